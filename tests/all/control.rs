//! The control endpoint and the subcommands that drive a running node
//! (`warren ps`, `info`, `state`, `trace`, `tree`, `send`, `kill`, `stop`...):
//! each test starts a real `warren run` on a guest of its own, with a
//! runtime directory of its own (`XDG_RUNTIME_DIR`), and drives it with
//! the real `warren` binary.

use crate::common::{PATIENCE, PRELUDE, RELATIONS_IMPORTS};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The test guest. `main` (the root) traps exits and sets up:
/// - `holder_a` and `holder_b`, which wait only for tag 99, with 5 and 2
///   messages of tag 1 left in their mailboxes; the root monitors both and
///   is linked to `holder_b`;
/// - `echo`, which prints `echo got: DATA` for each message;
/// - `ticker`, which sends itself a message and receives it, every 5 ms;
/// - `stateful`, which answers the system request `get_state` with
///   `counter=3`;
/// - `big`, with 10 more pages of linear memory; `burner`, which burns fuel
///   before it waits.
///
/// It prints `ready` once all are set up, `holder down: killed` (or
/// `custom DETAIL`) when a holder's DOWN comes, and on the exit signal
/// `shutdown` prints `root stopping` and returns (entry `main`) or prints
/// `lingering` and waits for tag 77 (entry `linger`).
pub(crate) fn guest() -> String {
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "reply" (func $reply (param i64 i64 i32 i32) (result i32)))
  {RELATIONS_IMPORTS}
  {PRELUDE}
  (data (i32.const 2000) "ready\n")
  (data (i32.const 2010) "holder down: killed\n")
  (data (i32.const 2040) "holder down: custom ")
  (data (i32.const 2070) "root stopping\n")
  (data (i32.const 2090) "lingering\n")
  (data (i32.const 2100) "echo got: ")
  (data (i32.const 2120) "\n")
  (data (i32.const 2200) "holder")
  (data (i32.const 2210) "holder_a")
  (data (i32.const 2220) "holder_b")
  (data (i32.const 2230) "echo")
  (data (i32.const 2240) "ticker")
  (data (i32.const 2250) "stateful")
  (data (i32.const 2260) "sys_server")
  (data (i32.const 2280) "big")
  (data (i32.const 2290) "burner")
  (data (i32.const 2300) "tick")
  (data (i32.const 2310) "\83\6d\00\00\00\09counter=3")
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))
  ;; Waits for a message with `tag` only.
  (func $wait_tag (param $tag i64)
    (i64.store (i32.const 32) (local.get $tag))
    (drop (call $receive (i32.const 32) (i32.const 1) (i64.const -1))))
  ;; Spawns export `entry` (its name at `ptr`, `len` bytes) with the
  ;; caller's pid as its argument; `flags`: 1 link, 0 none.
  (func $start (param $ptr i32) (param $len i32) (param $flags i32) (result i64)
    (i64.store (i32.const 40) (call $self))
    (call $spawn_opt (i32.const 0) (i32.const 0) (local.get $ptr) (local.get $len) (i32.const 40) (i32.const 8)
                     (local.get $flags) (i32.const 48)))
  (func $name (param $pid i64) (param $ptr i32) (param $len i32)
    (drop (call $register (local.get $ptr) (local.get $len) (local.get $pid))))

  (func $setup
    (local $a i64) (local $b i64) (local $i i32)
    (drop (call $trap_exit (i32.const 1)))
    (local.set $a (call $start (i32.const 2200) (i32.const 6) (i32.const 0)))
    (local.set $b (call $start (i32.const 2200) (i32.const 6) (i32.const 1)))
    (call $name (local.get $a) (i32.const 2210) (i32.const 8))
    (call $name (local.get $b) (i32.const 2220) (i32.const 8))
    (drop (call $monitor (local.get $a)))
    (drop (call $monitor (local.get $b)))
    (loop $five
      (call $report (local.get $a) (i64.const 1) (i64.extend_i32_u (local.get $i)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $five (i32.lt_u (local.get $i) (i32.const 5))))
    (call $report (local.get $b) (i64.const 1) (i64.const 0))
    (call $report (local.get $b) (i64.const 1) (i64.const 1))
    (call $name (call $start (i32.const 2230) (i32.const 4) (i32.const 0)) (i32.const 2230) (i32.const 4))
    (call $name (call $start (i32.const 2240) (i32.const 6) (i32.const 0)) (i32.const 2240) (i32.const 6))
    (call $name (call $start (i32.const 2260) (i32.const 10) (i32.const 0)) (i32.const 2250) (i32.const 8))
    (call $name (call $start (i32.const 2280) (i32.const 3) (i32.const 0)) (i32.const 2280) (i32.const 3))
    (call $name (call $start (i32.const 2290) (i32.const 6) (i32.const 0)) (i32.const 2290) (i32.const 6))
    ;; `big` and `burner` report (tag 2) once done.
    (call $wait_tag (i64.const 2))
    (call $wait_tag (i64.const 2))
    (call $print (i32.const 2000) (i32.const 6)))

  ;; The root's loop: DOWNs are printed; the exit signal `shutdown` (kind
  ;; 1) ends it. Returns when it should stop.
  (func $serve
    (local $n i32)
    (loop $next
      (local.set $n (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (drop (call $msg_read (i32.const 0) (i32.const 4096) (i32.const 4096)))
      (if (i64.eq (call $msg_tag) (i64.const -101))
        (then
          (if (i32.eq (i32.load (i32.const 4112)) (i32.const 4))
            (then (call $print (i32.const 2010) (i32.const 20))))
          (if (i32.eq (i32.load (i32.const 4112)) (i32.const 2))
            (then
              (call $print (i32.const 2040) (i32.const 20))
              (call $print (i32.const 4116) (i32.sub (local.get $n) (i32.const 20)))
              (call $print (i32.const 2120) (i32.const 1))))))
      (br_if $next (i32.eqz (i32.and (i64.eq (call $msg_tag) (i64.const -100))
                                      (i32.eq (i32.load (i32.const 4104)) (i32.const 1)))))))

  (func (export "main")
    (call $setup)
    (call $serve)
    (call $print (i32.const 2070) (i32.const 14)))

  (func (export "linger")
    (call $setup)
    (call $serve)
    (call $print (i32.const 2090) (i32.const 10))
    (call $wait_tag (i64.const 77)))

  (func (export "holder") (call $wait_tag (i64.const 99)))

  (func (export "echo")
    (local $n i32)
    (loop $next
      (local.set $n (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (drop (call $msg_read (i32.const 0) (i32.const 4096) (i32.const 4096)))
      (call $print (i32.const 2100) (i32.const 10))
      (call $print (i32.const 4096) (local.get $n))
      (call $print (i32.const 2120) (i32.const 1))
      (br $next)))

  (func (export "ticker")
    (loop $next
      (drop (call $sleep (i64.const 5)))
      (drop (call $send (call $self) (i64.const 5) (i32.const 2300) (i32.const 4)))
      (call $wait_tag (i64.const 5))
      (br $next)))

  (func (export "sys_server")
    (local $from i64)
    (loop $next
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (local.set $from (call $msg_sender))
      (drop (call $msg_read (i32.const 0) (i32.const 4096) (i32.const 4096)))
      (if (i64.eq (call $msg_tag) (i64.const -107))
        (then (drop (call $reply (local.get $from) (i64.load (i32.const 4096)) (i32.const 2310) (i32.const 15)))))
      (br $next)))

  (func (export "big")
    (drop (memory.grow (i32.const 10)))
    (call $report (call $arg_pid) (i64.const 2) (i64.const 0))
    (call $wait_tag (i64.const 99)))

  (func (export "burner")
    (local $i i32)
    (loop $burn
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $burn (i32.lt_u (local.get $i) (i32.const 3000000))))
    (call $report (call $arg_pid) (i64.const 2) (i64.const 0))
    (call $wait_tag (i64.const 99))))"#
    )
}

/// A directory of the test's own (the runtime directory, mode 0700, and
/// the guest's files), removed when dropped.
pub(crate) struct Sandbox(pub(crate) PathBuf);

impl Sandbox {
    pub(crate) fn new() -> Sandbox {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!("wct-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        // Short: a socket path must fit 108 bytes.
        let path = PathBuf::from("/tmp").join(name);
        std::fs::create_dir_all(&path).expect("sandbox made");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).expect("sandbox mode set");
        Sandbox(path)
    }

    pub(crate) fn write(&self, name: &str, contents: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("file written");
        path.to_str().expect("UTF-8 path").to_string()
    }

    /// The directory the node's sockets are in.
    fn sockets(&self) -> PathBuf {
        self.0.join("warren")
    }

    /// Runs `warren args` to its end, in this sandbox's runtime directory.
    pub(crate) fn warren(&self, args: &[&str]) -> Output {
        let output = Command::new(env!("CARGO_BIN_EXE_warren"))
            .args(args)
            .env("XDG_RUNTIME_DIR", &self.0)
            .stdin(Stdio::null())
            .output()
            .expect("warren runs");
        let output = Output {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert!(!output.stderr.contains("panicked"), "warren panicked:\n{}", output.stderr);
        output
    }

    /// Starts `warren run args` in the background; returns once it printed
    /// `wait_for` and its socket `name` answers.
    fn node(&self, args: &[&str], name: &str, wait_for: &str) -> Node {
        let mut child = Command::new(env!("CARGO_BIN_EXE_warren"))
            .args(args)
            .env("XDG_RUNTIME_DIR", &self.0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("warren run starts");
        let (lines, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines.send(line).is_err() {
                    return;
                }
            }
        });
        let mut stderr = child.stderr.take().expect("piped stderr");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut node = Node {
            child,
            lines: rx,
            seen: Vec::new(),
            stderr: Some(stderr),
            socket: self.sockets().join(format!("{name}.sock")),
        };
        if !wait_for.is_empty() {
            node.wait_line(wait_for);
        }
        let deadline = Instant::now() + PATIENCE;
        while UnixStream::connect(&node.socket).is_err() {
            assert!(Instant::now() < deadline, "the socket {} never answered", node.socket.display());
            std::thread::sleep(Duration::from_millis(5));
        }
        node
    }

    /// Polls `warren args` until `check` accepts its output.
    pub(crate) fn until(&self, args: &[&str], check: impl Fn(&Output) -> bool) -> Output {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let output = self.warren(args);
            if check(&output) {
                return output;
            }
            assert!(
                Instant::now() < deadline,
                "`warren {}` never gave what was expected; last:\n{output:?}",
                args.join(" ")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// What a finished `warren` gave.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) code: Option<i32>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Output {
    pub(crate) fn ok(&self) -> &Self {
        assert_eq!(self.code, Some(0), "exit code; stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        self
    }

    /// A failure: a non-zero exit and one line on stderr containing `text`.
    pub(crate) fn fails_with(&self, text: &str) -> &Self {
        assert!(matches!(self.code, Some(code) if code != 0), "expected a failure, got {self:?}");
        assert!(self.stderr.contains(text), "stderr should contain {text:?}:\n{}", self.stderr);
        assert_eq!(self.stderr.trim_end().lines().count(), 1, "a one-line error:\n{}", self.stderr);
        self
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }

    /// The `ps --json` rows.
    pub(crate) fn processes(&self) -> Vec<serde_json::Value> {
        self.json()["processes"].as_array().cloned().unwrap_or_default()
    }
}

/// A running node.
struct Node {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    stderr: Option<std::thread::JoinHandle<String>>,
    socket: PathBuf,
}

impl Node {
    /// Waits for a stdout line containing `text` (after those seen).
    fn wait_line(&mut self, text: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(text) {
                        return line;
                    }
                }
                Err(_) => panic!("no line {text:?} from the node; stdout so far:\n{}", self.seen.join("\n")),
            }
        }
    }

    /// Waits for the node to exit; its exit code and stderr.
    fn wait_exit(&mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                let stderr = self.stderr.take().map(|t| t.join().unwrap_or_default()).unwrap_or_default();
                return (status.code(), stderr);
            }
            assert!(Instant::now() < deadline, "the node did not exit");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn signal(&self, signal: i32) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe { libc::kill(self.child.id() as i32, signal) };
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A sandbox with the guest written, and a node named `name` running it.
fn started(name: &str) -> (Sandbox, Node) {
    let sandbox = Sandbox::new();
    let file = sandbox.write("guest.wat", &guest());
    let node = sandbox.node(&["run", &file, "--name", name], name, "ready");
    (sandbox, node)
}

/// The pid of the process registered as `name`.
fn pid_of(sandbox: &Sandbox, name: &str) -> String {
    let registered = sandbox.warren(&["registered", "--json"]);
    registered.ok();
    let names = registered.json()["names"].as_array().cloned().unwrap_or_default();
    names
        .iter()
        .find(|row| row["name"] == name)
        .and_then(|row| row["pid"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no {name} in {names:?}"))
}

/// `ps --json` once the two holders are seen waiting with their messages.
fn settled_ps(sandbox: &Sandbox, extra: &[&str]) -> Output {
    let mut args = vec!["ps", "--json"];
    args.extend_from_slice(extra);
    sandbox.until(&args, |output| {
        let rows = output.processes();
        let mailbox = |name: &str| rows.iter().find(|r| r["name"] == name).and_then(|r| r["mailbox"].as_u64());
        output.code == Some(0) && mailbox("holder_a") == Some(5) && mailbox("holder_b") == Some(2)
    })
}

#[test]
fn ps_lists_the_guests_processes_with_names_and_mailbox_lengths() {
    let (sandbox, _node) = started("ps");
    let output = settled_ps(&sandbox, &[]);
    let rows = output.processes();
    // (The ticker is left out of the module check: it may be running at
    // the look, and what only its own thread may read is then unknown.)
    for name in ["holder_a", "holder_b", "echo", "stateful", "big", "burner"] {
        let row = rows.iter().find(|r| r["name"] == name).unwrap_or_else(|| panic!("{name} not listed: {rows:?}"));
        assert_eq!(row["module"], "guest", "{name}'s module");
        assert_eq!(row["kind"], "wasm");
    }
    assert!(rows.iter().any(|r| r["name"] == "ticker"), "the ticker is listed: {rows:?}");
    let holder = rows.iter().find(|r| r["name"] == "holder_a").expect("holder_a");
    assert_eq!(holder["entry"], "holder");
    assert_eq!(holder["status"], "waiting");
    assert_eq!(holder["current_call"], "receive");
    // The table for people: aligned columns with the same facts.
    let table = sandbox.warren(&["ps"]);
    table.ok();
    let header = table.stdout.lines().next().expect("a header");
    assert!(header.starts_with("PID") && header.contains("MAILBOX") && header.contains("MODULE:ENTRY"), "{header}");
    let line = table.stdout.lines().find(|l| l.contains("holder_a")).expect("holder_a's line");
    assert!(line.contains("guest:holder") && line.contains("waiting"), "{line}");
}

#[test]
fn ps_sorts_by_mailbox_memory_and_reductions() {
    let (sandbox, _node) = started("sorts");
    settled_ps(&sandbox, &[]);
    let names = |sort: &str, n: &str| -> Vec<String> {
        let output = sandbox.warren(&["ps", "--json", "--sort", sort, "-n", n]);
        output.ok();
        output.processes().iter().map(|r| r["name"].as_str().unwrap_or("-").to_string()).collect()
    };
    assert_eq!(names("mailbox", "2"), ["holder_a", "holder_b"]);
    assert_eq!(names("memory", "1"), ["big"]);
    assert_eq!(names("reductions", "1"), ["burner"]);
    let limited = sandbox.warren(&["ps", "-n", "3"]);
    limited.ok();
    assert_eq!(limited.stdout.lines().count(), 5, "a header, 3 rows and the count line:\n{}", limited.stdout);
}

#[test]
fn info_shows_links_monitors_and_queued_messages() {
    let (sandbox, _node) = started("info");
    settled_ps(&sandbox, &[]);
    let (holder_a, holder_b) = (pid_of(&sandbox, "holder_a"), pid_of(&sandbox, "holder_b"));
    let root = pid_of_root(&sandbox);
    let info = sandbox.warren(&["info", &root, "--json"]);
    info.ok();
    let info = info.json();
    assert_eq!(info["links"], serde_json::json!([holder_b]));
    let monitored: Vec<&str> =
        info["monitors"].as_array().expect("monitors").iter().filter_map(|m| m["pid"].as_str()).collect();
    assert_eq!(monitored, [holder_a.as_str(), holder_b.as_str()]);
    assert_eq!(info["trap_exit"], true);
    // The holder: monitored by the root, its five messages queued.
    let holder = sandbox.warren(&["info", "holder_a", "--json"]);
    holder.ok();
    let holder = holder.json();
    assert_eq!(holder["monitored_by"][0]["pid"], root.as_str());
    assert_eq!(holder["messages"].as_array().map(Vec::len), Some(5));
    assert_eq!(holder["messages"][0]["tag"], 1);
    assert_eq!(holder["messages"][0]["sender"], root.as_str());
    assert_eq!(holder["parent"], root.as_str(), "the root spawned it");
    assert_eq!(info["parent"], serde_json::Value::Null, "the host spawned the root");
    let text = sandbox.warren(&["info", "holder_b"]);
    text.ok();
    assert!(text.stdout.lines().any(|l| l.starts_with("links") && l.contains(&root)), "{}", text.stdout);
}

/// The root: the process that links `holder_b`.
fn pid_of_root(sandbox: &Sandbox) -> String {
    let holder = sandbox.warren(&["info", "holder_b", "--json"]);
    holder.ok();
    holder.json()["links"][0].as_str().expect("holder_b's link").to_string()
}

#[test]
fn trace_shows_exactly_the_next_n_events_and_stops() {
    let (sandbox, _node) = started("trace");
    let output = sandbox.warren(&["trace", "ticker", "--count", "4", "--json"]);
    output.ok();
    let lines: Vec<serde_json::Value> =
        output.stdout.lines().map(|l| serde_json::from_str(l).expect("a JSON line")).collect();
    let events: Vec<&serde_json::Value> = lines.iter().filter(|l| l["response"] == "trace_event").collect();
    assert_eq!(events.len(), 4, "{}", output.stdout);
    assert_eq!(lines.last().map(|l| l["why"].clone()), Some(serde_json::json!("count reached")));
    // The ticker sends itself a message, then receives it.
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    assert!(kinds.iter().all(|k| *k == "sent" || *k == "received"), "{kinds:?}");
    assert!(events.iter().all(|e| e["tag"] == 5 && e["head_hex"] == "7469636b"), "{events:?}");
    // The trace is off again: the process is no longer traced.
    let info = sandbox.warren(&["info", "ticker", "--json"]);
    assert_eq!(info.json()["traced"], false);
    // The text form, by duration.
    let text = sandbox.warren(&["trace", "ticker", "--count", "1000", "--duration", "100ms"]);
    text.ok();
    assert!(text.stderr.contains("trace ended: duration reached"), "{}", text.stderr);
    assert!(text.stdout.lines().any(|l| l.contains("tag 5") && l.contains("\"tick\"")), "{}", text.stdout);
}

#[test]
fn kill_ends_a_process_with_the_reason_its_monitor_sees() {
    let (sandbox, mut node) = started("kill");
    sandbox.warren(&["kill", "holder_a"]).ok();
    node.wait_line("holder down: killed");
    sandbox.warren(&["kill", "holder_b", "--reason", "bye"]).ok();
    node.wait_line("holder down: custom bye");
    sandbox.warren(&["info", "holder_a"]).fails_with("no process is registered as `holder_a`");
}

#[test]
fn send_delivers_text_and_hex() {
    let (sandbox, mut node) = started("send");
    sandbox.warren(&["send", "echo", "--tag", "3", "hello there"]).ok();
    node.wait_line("echo got: hello there");
    sandbox.warren(&["send", "echo", "--tag", "3", "--hex", "4f4b"]).ok();
    node.wait_line("echo got: OK");
    sandbox.warren(&["send", "echo", "--tag", "3", "--hex", "4f4"]).fails_with("odd number");
}

#[test]
fn state_prints_what_a_system_request_answers_and_times_out_otherwise() {
    let (sandbox, _node) = started("state");
    let state = sandbox.warren(&["state", "stateful"]);
    state.ok();
    assert_eq!(state.stdout.trim(), "counter=3");
    sandbox.warren(&["state", "holder_a", "--timeout", "200ms"]).fails_with("did not answer the system request");
}

#[test]
fn stop_shuts_the_node_down_in_order_and_it_exits_0() {
    let (sandbox, mut node) = started("stop");
    let stopped = sandbox.warren(&["stop"]);
    stopped.ok();
    assert!(stopped.stdout.contains("node `stop` stopped"), "{}", stopped.stdout);
    node.wait_line("root stopping");
    let (code, stderr) = node.wait_exit();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!node.socket.exists(), "the socket is removed");
    sandbox.warren(&["ps"]).fails_with("no node is running");
}

#[test]
fn a_node_that_is_shutting_down_refuses_requests() {
    let sandbox = Sandbox::new();
    let file = sandbox.write("guest.wat", &guest());
    let mut node = sandbox.node(&["run", &file, "--name", "lingers", "--entry", "linger"], "lingers", "ready");
    node.signal(libc::SIGTERM);
    node.wait_line("lingering");
    sandbox.warren(&["ps"]).fails_with("node `lingers` is shutting down");
    sandbox.warren(&["send", "echo", "--tag", "1", "x"]).fails_with("shutting down");
}

/// Writes a manifest whose one_for_one supervisor has one child,
/// `crasher` (registered under that name), which traps at its first
/// message; returns the manifest's path.
pub(crate) fn crasher_app(sandbox: &Sandbox) -> String {
    sandbox.write(
        "crasher.wat",
        &format!(
            r#"(module {RELATIONS_IMPORTS} {PRELUDE}
              (data (i32.const 2000) "crasher")
              (func (export "main")
                (drop (call $register (i32.const 2000) (i32.const 7) (call $self)))
                (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
                unreachable))"#
        ),
    );
    sandbox.write(
        "app.toml",
        "[modules]\ncrasher = \"crasher.wat\"\n\n[supervisor]\nstrategy = \"one_for_one\"\n\n\
         [[supervisor.children]]\nid = \"crasher\"\nmodule = \"crasher\"\n",
    )
}

#[test]
fn tree_shows_restart_counts_after_a_crash() {
    let sandbox = Sandbox::new();
    let manifest = crasher_app(&sandbox);
    let _node = sandbox.node(&["run", &manifest], "app", "");
    let before = sandbox
        .until(&["tree", "--json"], |o| o.code == Some(0) && o.json()["trees"][0]["children"][0]["pid"].is_string());
    assert_eq!(before.json()["trees"][0]["children"][0]["restarts"], 0);
    let first = pid_of(&sandbox, "crasher");
    sandbox.warren(&["send", "crasher", "--tag", "1", "boom"]).ok();
    let after = sandbox.until(&["tree", "--json"], |o| {
        o.code == Some(0)
            && o.json()["trees"][0]["children"][0]["restarts"] == 1
            && o.json()["trees"][0]["children"][0]["pid"].is_string()
    });
    assert_ne!(after.json()["trees"][0]["children"][0]["pid"].as_str(), Some(first.as_str()), "a new process");
    let text = sandbox.warren(&["tree"]);
    text.ok();
    assert!(text.stdout.contains("crasher") && text.stdout.contains("restarts 1"), "{}", text.stdout);
}

#[test]
fn state_prints_a_rust_genservers_state_and_info_shows_its_supervisor() {
    let sandbox = Sandbox::new();
    let manifest = sandbox.write(
        "app.toml",
        &format!(
            "[modules]\ncounter = \"{}\"\n\n[supervisor]\nstrategy = \"one_for_one\"\n\n\
             [[supervisor.children]]\nid = \"counter\"\nmodule = \"counter\"\nentry = \"counter_server\"\n\
             arg = \"rust_counter\"\nack_timeout = 5000\n",
            warren_test_artifacts::EXAMPLE_COUNTER
        ),
    );
    let _node = sandbox.node(&["run", &manifest, "--name", "rusty"], "rusty", "");
    // The SDK's GenServer answers the system request with its state's Debug.
    let state = sandbox.until(&["state", "rust_counter"], |o| o.code == Some(0));
    assert_eq!(state.stdout.trim(), "Counter { count: 0 }");
    let info = sandbox.warren(&["info", "rust_counter", "--json"]);
    info.ok();
    let supervisor = info.json()["supervisor"].as_str().map(str::to_string);
    assert!(supervisor.is_some(), "info names its supervisor: {}", info.stdout);
    // Idle, it gives back its stack and the pages that hold only constant
    // data (tens of KiB of a Rust guest's): a few pages stay in RAM.
    let in_ram = |o: &Output| o.json()["resident_linear_memory"].as_u64();
    let idle = sandbox.until(&["info", "rust_counter", "--json"], |o| in_ram(o).is_some_and(|bytes| bytes <= 32 << 10));
    assert!(in_ram(&idle).is_some_and(|bytes| bytes > 0), "{}", idle.stdout);
    let text = sandbox.warren(&["info", "rust_counter"]);
    assert!(text.stdout.lines().any(|line| line.starts_with("linear memory in RAM")), "{}", text.stdout);
    let state = sandbox.warren(&["state", "rust_counter"]);
    assert_eq!(state.stdout.trim(), "Counter { count: 0 }", "its constant data came back for the request");
    let tree = sandbox.warren(&["tree", "--json"]);
    tree.ok();
    assert_eq!(tree.json()["trees"][0]["pid"].as_str().map(str::to_string), supervisor, "its supervisor is the root");
}

#[test]
fn bad_targets_each_get_a_clear_error() {
    let (sandbox, _node) = started("bad");
    sandbox.warren(&["info", "<0.99999.1>"]).fails_with("no process <0.99999.1> is alive");
    sandbox.warren(&["info", "nobody"]).fails_with("no process is registered as `nobody`");
    sandbox.warren(&["info", "<0.x.1>"]).fails_with("is not a pid");
    sandbox.warren(&["kill", "<0.5>"]).fails_with("is not a pid");
    sandbox.warren(&["ps", "--node", "ghost"]).fails_with("no node named `ghost` is running (running: bad)");
    sandbox.warren(&["table", "no_table"]).fails_with("no table is named `no_table`");
}

#[test]
fn a_stale_socket_is_cleaned_and_reported() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.sockets()).expect("runtime dir");
    std::fs::set_permissions(sandbox.sockets(), std::fs::Permissions::from_mode(0o700)).expect("mode");
    let socket = sandbox.sockets().join("dead.sock");
    // A socket file with no listener: as a node that died leaves it.
    drop(UnixListener::bind(&socket).expect("bound"));
    assert!(socket.exists());
    sandbox.warren(&["ps", "--node", "dead"]).fails_with("node `dead` is not running (its stale socket was removed)");
    assert!(!socket.exists(), "the stale socket is removed");
    drop(UnixListener::bind(&socket).expect("bound again"));
    sandbox.warren(&["ps"]).fails_with("no node is running (stale socket removed: dead)");
}

#[test]
fn a_second_node_with_the_same_name_is_refused_and_several_need_a_name() {
    let (sandbox, _node) = started("twin");
    let file = sandbox.write("other.wat", &guest());
    let second = sandbox.warren(&["run", &file, "--name", "twin"]);
    assert_eq!(second.code, Some(2), "{second:?}");
    assert!(second.stderr.contains("a node named `twin` is running already"), "{}", second.stderr);
    // A second node under another name: commands must pick one.
    let _other = sandbox.node(&["run", &file], "other", "ready");
    sandbox.warren(&["ps"]).fails_with("several nodes are running (running: other, twin): pick one with --node NAME");
    sandbox.warren(&["ps", "--node", "other"]).ok();
    let nodes = sandbox.warren(&["nodes", "--json"]);
    nodes.ok();
    let listed = nodes.json();
    let mut names: Vec<&str> =
        listed["nodes"].as_array().into_iter().flatten().filter_map(|n| n["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["other", "twin"]);
}

#[test]
fn the_socket_is_private_and_bad_requests_get_error_lines() {
    let (sandbox, _node) = started("raw");
    let mode = |path: &Path| std::fs::metadata(path).expect("metadata").permissions().mode() & 0o777;
    assert_eq!(mode(&sandbox.sockets()), 0o700);
    assert_eq!(mode(&sandbox.sockets().join("raw.sock")), 0o600);
    let stream = UnixStream::connect(sandbox.sockets().join("raw.sock")).expect("connected");
    stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    let mut ask = |line: &[u8]| -> serde_json::Value {
        // The node stops reading an oversized line: the rest of it may not
        // be written.
        let _ = writer.write_all(line).and_then(|()| writer.write_all(b"\n"));
        let mut answer = String::new();
        reader.read_line(&mut answer).expect("an answer");
        serde_json::from_str(&answer).expect("a JSON answer")
    };
    assert_eq!(ask(b"not json")["kind"], "bad_request");
    assert_eq!(ask(br#"{"version":1,"request":"dance"}"#)["kind"], "bad_request");
    assert_eq!(ask(br#"{"version":9,"request":"ps"}"#)["kind"], "version");
    assert_eq!(ask(br#"{"request":"ps"}"#)["kind"], "bad_request");
    assert_eq!(ask(br#"{"version":1,"request":"info","target":"<0.1>"}"#)["kind"], "bad_pid");
    assert_eq!(ask(br#"{"version":1,"request":"send","target":"echo","tag":-5,"data_hex":""}"#)["kind"], "bad_request");
    assert_eq!(ask(br#"{"version":1,"request":"ps","limit":1}"#)["response"], "processes");
    // An oversized line: an error, and the connection closes.
    let huge = vec![b'x'; 2 << 20];
    assert_eq!(ask(&huge)["kind"], "too_long");
    // The node still answers.
    sandbox.warren(&["ps", "-n", "1"]).ok();
    sandbox.warren(&["stats", "--window", "50ms"]).ok();
}

#[test]
fn stats_top_tables_and_registered_answer() {
    let (sandbox, _node) = started("misc");
    let stats = sandbox.warren(&["stats", "--window", "100ms", "--json"]);
    stats.ok();
    let stats = stats.json();
    assert!(stats["sample"]["processes"].as_u64() >= Some(8), "{stats}");
    assert!(stats["rates"]["messages_per_sec"].as_f64() > Some(0.0), "the ticker sends: {stats}");
    assert!(stats["sample"]["memory"]["linear_memories"].as_u64() > Some(10 * 65536), "{stats}");
    let top = sandbox.warren(&["top", "--iterations", "2", "--interval", "50ms", "-n", "3"]);
    top.ok();
    assert!(top.stdout.contains("REDS/S") && top.stdout.contains("reductions/s"), "{}", top.stdout);
    assert!(top.stdout.contains("MSGS/S"), "{}", top.stdout);
    // By messages received per second: the ticker (200 a second) leads.
    let top = sandbox.warren(&["top", "--sort", "messages-rate", "--iterations", "2", "--interval", "100ms", "--json"]);
    top.ok();
    let last = top.stdout.lines().rfind(|line| !line.trim().is_empty()).expect("a frame");
    let frame: serde_json::Value = serde_json::from_str(last).expect("a JSON frame");
    assert_eq!(frame["top"][0]["process"]["name"], "ticker", "{frame}");
    assert!(frame["top"][0]["messages_per_sec"].as_f64() > Some(0.0), "{frame}");
    assert!(frame["top"][0]["process"]["messages_received"].as_u64() > Some(0), "{frame}");
    let registered = sandbox.warren(&["registered"]);
    registered.ok();
    assert!(registered.stdout.contains("stateful") && registered.stdout.contains("holder_a"), "{}", registered.stdout);
    let tables = sandbox.warren(&["tables"]);
    tables.ok();
    assert!(tables.stdout.starts_with("ID"), "{}", tables.stdout);
}
