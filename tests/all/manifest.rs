//! `warren run app.toml`: manifests refused before anything starts (exit
//! code 2, the key and its line named), trees run end to end, SIGTERM and
//! SIGINT; the same signals for a plain `warren run FILE`; the demo's
//! supervision part; examples/app.toml.

use crate::common::PATIENCE;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Instant;

/// A directory in the temp directory, removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    pub(crate) fn new() -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!("warren-manifest-test-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let path = std::env::temp_dir().join(name);
        std::fs::create_dir_all(&path).expect("temp dir made");
        TempDir(path)
    }

    /// Writes `contents` to `name` in the directory; returns its path.
    pub(crate) fn write(&self, name: &str, contents: &str) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, contents).expect("temp file written");
        path.to_str().expect("UTF-8 temp path").to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running `warren`, its stdout read line by line as it comes.
struct Running {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    stderr: std::thread::JoinHandle<String>,
}

/// What a finished `warren` gave.
#[derive(Debug)]
struct Finished {
    code: Option<i32>,
    stdout: Vec<String>,
    stderr: String,
}

impl Finished {
    fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "exit code; stdout:\n{}\nstderr:\n{}", self.stdout.join("\n"), self.stderr);
        assert!(!self.stderr.contains("panicked"), "warren panicked:\n{}", self.stderr);
        self
    }

    fn stderr_has(&self, text: &str) -> &Self {
        assert!(self.stderr.contains(text), "stderr should contain {text:?}; stderr:\n{}", self.stderr);
        self
    }

    fn stdout_has(&self, text: &str) -> &Self {
        assert!(
            self.stdout.iter().any(|line| line.contains(text)),
            "stdout should contain {text:?}; stdout:\n{}\nstderr:\n{}",
            self.stdout.join("\n"),
            self.stderr
        );
        self
    }

    /// The index of the first stdout line containing `text`.
    fn line_of(&self, text: &str) -> usize {
        self.stdout_has(text);
        self.stdout.iter().position(|line| line.contains(text)).unwrap_or(usize::MAX)
    }
}

impl Running {
    fn start(args: &[&str]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_warren"))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("warren starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        Running { child, lines, seen: Vec::new(), stderr }
    }

    /// Waits for a stdout line containing `text` (failing the test after
    /// PATIENCE, or if stdout ends first).
    fn wait_for(&mut self, text: &str) {
        let deadline = Instant::now() + PATIENCE;
        while !self.seen.iter().any(|line| line.contains(text)) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.seen.push(line),
                Err(_) => {
                    let _ = self.child.kill();
                    panic!("no line {text:?} on stdout; it had:\n{}", self.seen.join("\n"));
                }
            }
        }
    }

    fn signal(&self, signal: libc::c_int) {
        let pid = libc::pid_t::try_from(self.child.id()).expect("a pid");
        // SAFETY: kill(2) with the pid of our own child process (not yet
        // waited for, so the pid is not reused) and a valid signal number.
        let result = unsafe { libc::kill(pid, signal) };
        assert_eq!(result, 0, "kill failed");
    }

    /// Waits for warren to exit (failing the test, killing it, after
    /// PATIENCE) and gathers all it printed.
    fn finish(mut self) -> Finished {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("waiting for warren") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("warren still runs after {PATIENCE:?}; stdout so far:\n{}", self.seen.join("\n"));
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        };
        // The reader ends at end of file.
        while let Ok(line) = self.lines.recv_timeout(PATIENCE) {
            self.seen.push(line);
        }
        Finished { code: status.code(), stdout: self.seen, stderr: self.stderr.join().expect("stderr read") }
    }
}

fn warren(args: &[&str]) -> Finished {
    Running::start(args).finish()
}

/// A WAT module that prints: `$print(ptr, len)` prints `len` bytes (it
/// uses bytes 0..16); a few host functions are imported.
fn printing_module(body: &str) -> String {
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "trap_exit" (func $trap_exit (param i32) (result i32)))
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (import "warren_v1" "msg_tag" (func $msg_tag (result i64)))
  (import "warren_v1" "msg_read" (func $msg_read (param i32 i32 i32) (result i32)))
  (import "warren_v1" "exit" (func $exit (param i32 i32 i32)))
  (import "warren_v1" "sleep" (func $sleep (param i64) (result i32)))
  (import "warren_v1" "init_ack" (func $init_ack (result i32)))
  (memory (export "memory") 1)
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  {body})"#
    )
}

/// A worker (export `main`) whose spawn argument is its name: it traps
/// exits, prints "NAME: started", and on an exit signal prints
/// "NAME: stopping on shutdown" (or "NAME: stopping on another reason")
/// and exits `shutdown`.
fn part_module() -> String {
    printing_module(
        r#"
  (data (i32.const 512) ": started\0a")
  (data (i32.const 544) ": stopping on shutdown\0a")
  (data (i32.const 576) ": stopping on another reason\0a")
  ;; prints the name (at 1024, $n bytes) and then $len bytes at $ptr
  (func $say (param $n i32) (param $ptr i32) (param $len i32)
    (memory.copy (i32.add (i32.const 1024) (local.get $n)) (local.get $ptr) (local.get $len))
    (call $print (i32.const 1024) (i32.add (local.get $n) (local.get $len))))
  (func (export "main")
    (local $n i32)
    (drop (call $trap_exit (i32.const 1)))
    (local.set $n (call $arg_read (i32.const 1024) (i32.const 64)))
    (call $say (local.get $n) (i32.const 512) (i32.const 10))
    (loop $wait
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (br_if $wait (i64.ne (call $msg_tag) (i64.const -100))))
    ;; the EXIT message: [from: i64][kind: i32]...
    (drop (call $msg_read (i32.const 8) (i32.const 16) (i32.const 4)))
    (if (i32.eq (i32.load (i32.const 16)) (i32.const 1))
      (then (call $say (local.get $n) (i32.const 544) (i32.const 23)))
      (else (call $say (local.get $n) (i32.const 576) (i32.const 29))))
    (call $exit (i32.const 1) (i32.const 0) (i32.const 0)))
"#,
    )
}

/// A manifest in a fresh directory with the part module as `part.wat`
/// (module `part`); returns the directory and the manifest's path.
fn app(manifest: &str) -> (TempDir, String) {
    let dir = TempDir::new();
    dir.write("part.wat", &part_module());
    let path = dir.write("app.toml", manifest);
    (dir, path)
}

/// A worker child of module `part` named `id`.
fn part(table: &str, id: &str) -> String {
    format!("[[{table}]]\nid = \"{id}\"\nmodule = \"part\"\narg = \"{id}\"\n")
}

// ------------------------------------------------------- refused manifests

#[test]
fn an_unknown_key_exits_2_naming_the_key_its_path_and_its_line() {
    let (_dir, path) = app(&format!(
        "[modules]\npart = \"part.wat\"\n\n[supervisor]\n{}restart_count = 3\n",
        part("supervisor.children", "a")
    ));
    warren(&["run", &path])
        .expect_code(2)
        .stderr_has("app.toml:9: supervisor.children[0].restart_count: unknown field `restart_count`");
}

#[test]
fn a_missing_module_file_exits_2_naming_it() {
    let (_dir, path) = app("[modules]\npart = \"part.wat\"\nother = \"missing.wat\"\n[supervisor]\n");
    warren(&["run", &path]).expect_code(2).stderr_has("app.toml:3: modules.other: module file `missing.wat` not found");
}

#[test]
fn a_module_that_does_not_load_exits_2_naming_it() {
    let (dir, path) = app("[modules]\nbroken = \"broken.wat\"\n[supervisor]\n");
    dir.write("broken.wat", "(module (func (export \"main\") (unknown_instruction)))");
    warren(&["run", &path]).expect_code(2).stderr_has("app.toml:2: modules.broken: cannot load");
}

#[test]
fn a_missing_export_exits_2_naming_the_child_and_the_exports() {
    let (_dir, path) = app(&format!(
        "[modules]\npart = \"part.wat\"\n[supervisor]\n{}entry = \"serve\"\n",
        part("supervisor.children", "a")
    ));
    warren(&["run", &path])
        .expect_code(2)
        .stderr_has("app.toml:8: supervisor.children[0].entry: module `part` has no exported function `serve`")
        .stderr_has("(it exports: main)");
}

#[test]
fn a_bad_value_exits_2_naming_the_key_and_the_choices() {
    let (_dir, path) = app("[modules]\npart = \"part.wat\"\n[supervisor]\nstrategy = \"one_for_none\"\n");
    warren(&["run", &path]).expect_code(2).stderr_has(
        "app.toml:4: supervisor.strategy: unknown value \"one_for_none\"; expected one of: one_for_one, one_for_all, rest_for_one, simple_one_for_one",
    );
}

#[test]
fn a_bad_tree_shape_exits_2_with_every_problem() {
    let (_dir, path) = app(&format!(
        "[modules]\npart = \"part.wat\"\n[supervisor]\n{}{}significant = true\n",
        part("supervisor.children", "a"),
        part("supervisor.children", "a"),
    ));
    warren(&["run", &path])
        .expect_code(2)
        .stderr_has("2 problems")
        .stderr_has("app.toml:9: supervisor.children[1].id: duplicate id \"a\" (first at line 5)")
        .stderr_has("app.toml:12: supervisor.children[1].significant: a permanent child cannot be significant");
}

#[test]
fn entry_and_module_options_do_not_go_with_a_manifest() {
    let (_dir, path) = app("[modules]\npart = \"part.wat\"\n[supervisor]\n");
    warren(&["run", &path, "--entry", "main"]).expect_code(2).stderr_has("--entry does not go with a manifest");
}

// ----------------------------------------------------------------- running

#[test]
fn a_tree_runs_and_sigterm_stops_it_in_reverse_order_with_exit_0() {
    let (_dir, path) = app(&format!(
        "[modules]\npart = \"part.wat\"\n[supervisor]\n{}[[supervisor.children]]\nid = \"sub\"\ntype = \"supervisor\"\n{}{}{}",
        part("supervisor.children", "a"),
        part("supervisor.children.children", "b"),
        part("supervisor.children.children", "c"),
        part("supervisor.children", "d"),
    ));
    let mut run = Running::start(&["run", &path]);
    for name in ["a", "b", "c", "d"] {
        run.wait_for(&format!("{name}: started"));
    }
    run.signal(libc::SIGTERM);
    let finished = run.finish();
    finished.expect_code(0);
    let order: Vec<usize> =
        ["d", "c", "b", "a"].iter().map(|name| finished.line_of(&format!("{name}: stopping on shutdown"))).collect();
    assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "stop order: {:#?}", finished.stdout);
}

#[test]
fn the_node_table_sets_the_node_and_the_command_line_wins() {
    let (_dir, path) = app(&format!(
        "[node]\ntag_output = true\nmax_processes = 100\n[modules]\npart = \"part.wat\"\n[supervisor]\n{}",
        part("supervisor.children", "a")
    ));
    let mut run = Running::start(&["run", &path]);
    run.wait_for("a: started");
    run.signal(libc::SIGTERM);
    let finished = run.finish();
    finished.expect_code(0);
    assert!(finished.stdout.iter().all(|line| line.starts_with("<0.")), "tag_output: {:#?}", finished.stdout);

    // An option on the command line wins over the manifest's: a node of at
    // most one process cannot start the root supervisor and its child.
    warren(&["run", &path, "--max-processes", "1"]).expect_code(1).stderr_has("could not start");
}

#[test]
fn a_child_gets_the_limits_and_capabilities_of_its_spec() {
    // `quiet` may not print. `big` starts with 2 pages of memory, more than
    // its 64 KiB limit: each start ends at once, and the supervisor gives up.
    let (dir, path) = app(&format!(
        "[modules]\npart = \"part.wat\"\n[supervisor]\n{}print = false\n{}",
        part("supervisor.children", "quiet"),
        part("supervisor.children", "loud"),
    ));
    let mut run = Running::start(&["run", &path]);
    run.wait_for("loud: started");
    run.signal(libc::SIGTERM);
    let finished = run.finish();
    finished.expect_code(0);
    assert_eq!(finished.stdout, ["loud: started", "loud: stopping on shutdown"]);

    let big = dir.write(
        "big.toml",
        "[modules]\nbig = \"big.wat\"\n[supervisor]\n[[supervisor.children]]\nid = \"big\"\nmodule = \"big\"\nmax_memory = \"64KiB\"\n",
    );
    dir.write("big.wat", r#"(module (memory (export "memory") 2) (func (export "main")))"#);
    warren(&["run", &big])
        .expect_code(1)
        .stderr_has("exceeds the process limit of 65536 bytes")
        .stderr_has("exited: {shutdown, reached_max_restart_intensity}");
}

#[test]
fn node_dirs_or_dir_options_preopen_the_directories_children_narrow() {
    let child = format!("{}dirs = [{{ guest = \"/data\", read_only = true }}]\n", part("supervisor.children", "a"));
    let tree = format!("[modules]\npart = \"part.wat\"\n[supervisor]\n{child}");
    let (dir, with_dirs) = app(&format!("[node]\ndirs = [{{ host = \".\", guest = \"/data\" }}]\n{tree}"));
    let without = dir.write("without.toml", &tree);
    let here = format!("{}::/data", dir.0.display());
    for args in [vec!["run", with_dirs.as_str()], vec!["run", without.as_str(), "--dir", here.as_str()]] {
        let mut run = Running::start(&args);
        run.wait_for("a: started");
        run.signal(libc::SIGTERM);
        run.finish().expect_code(0);
    }
    // Without them the node has no /data to keep: the child cannot start.
    warren(&["run", &without]).expect_code(1).stderr_has("could not start");
}

#[test]
fn sigint_stops_a_tree_and_a_second_sigint_stops_at_once() {
    // `stubborn` traps exits and ignores them; with shutdown = "infinity"
    // its supervisor waits for it for ever.
    let (dir, path) = app("[modules]\nstubborn = \"stubborn.wat\"\n[supervisor]\n\
         [[supervisor.children]]\nid = \"s\"\nmodule = \"stubborn\"\nshutdown = \"infinity\"\n");
    dir.write(
        "stubborn.wat",
        &printing_module(
            r#"(data (i32.const 512) "stubborn: started\0a")
               (data (i32.const 544) "stubborn: ignoring an exit signal\0a")
               (func (export "main")
                 (drop (call $trap_exit (i32.const 1)))
                 (call $print (i32.const 512) (i32.const 18))
                 (loop $wait
                   (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
                   (call $print (i32.const 544) (i32.const 34))
                   (br $wait)))"#,
        ),
    );
    let mut run = Running::start(&["run", &path]);
    run.wait_for("stubborn: started");
    run.signal(libc::SIGINT);
    run.wait_for("stubborn: ignoring an exit signal");
    run.signal(libc::SIGINT);
    run.finish().expect_code(130).stderr_has("stopped at once by a second signal");
}

#[test]
fn a_signal_while_the_tree_starts_stops_it_once_it_has_started() {
    // `slow` takes 300 ms to acknowledge its start; SIGTERM comes before.
    let (dir, path) = app("[modules]\nslow = \"slow.wat\"\n[supervisor]\n\
         [[supervisor.children]]\nid = \"slow\"\nmodule = \"slow\"\nack_timeout = 10000\n");
    dir.write(
        "slow.wat",
        &printing_module(
            r#"(data (i32.const 512) "slow: starting\0a")
               (data (i32.const 544) "slow: started\0a")
               (data (i32.const 576) "slow: stopping\0a")
               (func (export "main")
                 (drop (call $trap_exit (i32.const 1)))
                 (call $print (i32.const 512) (i32.const 15))
                 (drop (call $sleep (i64.const 300)))
                 (call $print (i32.const 544) (i32.const 14))
                 (drop (call $init_ack))
                 (loop $wait
                   (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
                   (br_if $wait (i64.ne (call $msg_tag) (i64.const -100))))
                 (call $print (i32.const 576) (i32.const 15)))"#,
        ),
    );
    let mut run = Running::start(&["run", &path]);
    run.wait_for("slow: starting");
    run.signal(libc::SIGTERM);
    let finished = run.finish();
    finished.expect_code(0);
    assert_eq!(finished.stdout, ["slow: starting", "slow: started", "slow: stopping"]);
}

#[test]
fn a_root_supervisor_that_gives_up_exits_1_with_its_reason() {
    let (dir, path) = app("[modules]\ncrasher = \"crasher.wat\"\n[supervisor]\nintensity = 2\nperiod = 60\n\
         [[supervisor.children]]\nid = \"crasher\"\nmodule = \"crasher\"\n");
    dir.write(
        "crasher.wat",
        &printing_module(
            r#"(data (i32.const 512) "crasher: started, crashing\0a")
               (func (export "main") (call $print (i32.const 512) (i32.const 27)) unreachable)"#,
        ),
    );
    let finished = warren(&["run", "--log", "info", &path]);
    finished.expect_code(1).stderr_has("exited: {shutdown, reached_max_restart_intensity}");
    // The first start and two restarts; the third crash is one too many.
    assert_eq!(finished.stdout.iter().filter(|line| line.contains("crasher: started")).count(), 3, "{finished:#?}");
    // The reports, as SASL's: each crash (error), each restart (info, with
    // its count), and the supervisor giving up (error).
    finished
        .stderr_has("supervisor: child terminated")
        .stderr_has("child=\"crasher\"")
        .stderr_has("supervisor: child restarted")
        .stderr_has("restarts=2")
        .stderr_has("supervisor: reached_max_restart_intensity, shutting down");
}

#[test]
fn a_child_that_cannot_start_exits_1() {
    // The child never acknowledges its start (init_ack) within 50 ms.
    let (_dir, path) = app(&format!(
        "[modules]\npart = \"part.wat\"\n[supervisor]\n{}ack_timeout = 50\n",
        part("supervisor.children", "a")
    ));
    warren(&["run", &path]).expect_code(1).stderr_has("could not start");
}

#[test]
fn the_example_application_runs_and_ends_with_its_significant_child() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples").join("app.toml");
    let finished = warren(&["run", manifest.to_str().expect("UTF-8 path")]);
    finished.expect_code(0);
    // Each service acknowledges its start (init_ack) before the next child
    // starts; the client's end stops the tree in reverse start order.
    let expected = [
        "store: up, registered as \"store\"",
        "greeter: up, registered as \"greeter\"",
        "client: asking \"greeter\" to greet \"world\"",
        "client: greeter answered: Hello, world!",
        "client: asking \"store\" to count three times",
        "client: store's count is now 3",
        "client: done. I am significant: my end ends the application",
        "greeter: got the exit signal shutdown from my supervisor, stopping",
        "store: got the exit signal shutdown from my supervisor, stopping",
    ];
    assert_eq!(finished.stdout, expected, "stderr:\n{}", finished.stderr);
}

// ---------------------------------------------------- a plain `warren run`

#[test]
fn sigterm_sends_a_plain_runs_root_shutdown_and_a_root_that_traps_exits_stops_cleanly() {
    let dir = TempDir::new();
    let path = dir.write("root.wat", &part_module());
    // The part module reads its name from its spawn argument; a root has
    // none, so it prints ": started".
    let mut run = Running::start(&["run", &path]);
    run.wait_for(": started");
    run.signal(libc::SIGTERM);
    run.finish().expect_code(0).stdout_has(": stopping on shutdown");
}

#[test]
fn sigint_ends_a_plain_run_whose_root_does_not_trap_exits_with_exit_0() {
    let dir = TempDir::new();
    let path = dir.write(
        "root.wat",
        &printing_module(
            r#"(data (i32.const 512) "root: waiting\0a")
               (func (export "main")
                 (call $print (i32.const 512) (i32.const 14))
                 (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1))))"#,
        ),
    );
    let mut run = Running::start(&["run", &path]);
    run.wait_for("root: waiting");
    run.signal(libc::SIGINT);
    run.finish().expect_code(0);
}

// -------------------------------------------------------------------- demo

#[test]
fn the_demo_shows_a_crash_and_the_restart() {
    let finished = warren(&[]);
    finished
        .expect_code(0)
        .stdout_has("main: done, exiting normally")
        .stdout_has("crashed: trap:")
        .stdout_has("so it started it again, as worker")
        .stdout_has("(restart 1 of at most 3 in 5 s)")
        .stdout_has("answered 42: the service is back")
        .stdout_has("exited: shutdown");
}
