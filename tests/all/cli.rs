//! The `warren` command line: the demo, `warren run`, exit codes and error
//! messages.

use crate::common::{PATIENCE, PRELUDE};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// What a run of `warren` gave.
#[derive(Debug)]
pub(crate) struct Run {
    code: Option<i32>,
    pub(crate) stdout: String,
    stderr: String,
}

impl Run {
    /// Checks the exit code, showing the output when it is not the one.
    pub(crate) fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(self.code, Some(code), "exit code; stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr);
        assert!(!self.stderr.contains("panicked"), "warren panicked:\n{}", self.stderr);
        self
    }

    pub(crate) fn stdout_has(&self, text: &str) -> &Self {
        assert!(
            self.stdout.contains(text),
            "stdout should contain {text:?}; stdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    pub(crate) fn stderr_has(&self, text: &str) -> &Self {
        assert!(self.stderr.contains(text), "stderr should contain {text:?}; stderr:\n{}", self.stderr);
        self
    }

    fn stdout_lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

/// Runs `warren` with `args`; fails the test if it runs longer than
/// PATIENCE (and kills it).
pub(crate) fn warren(args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_warren"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("warren starts");
    let mut stdout = child.stdout.take().expect("piped stdout");
    let mut stderr = child.stderr.take().expect("piped stderr");
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = wait_patiently(&mut child, &format!("`warren {}`", args.join(" ")));
    Run { code: status.code(), stdout: out.join().unwrap(), stderr: err.join().unwrap() }
}

/// Waits for `child` to exit; fails the test (killing it) if it runs
/// longer than PATIENCE. `what` names it in the failure.
fn wait_patiently(child: &mut std::process::Child, what: &str) -> std::process::ExitStatus {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(status) = child.try_wait().expect("waiting for warren") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still runs after {PATIENCE:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// A file in the temp directory, removed when dropped.
pub(crate) struct TempFile(PathBuf);

impl TempFile {
    pub(crate) fn new(name: &str, contents: &[u8]) -> TempFile {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let unique =
            format!("warren-cli-test-{}-{}-{name}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        let path = std::env::temp_dir().join(unique);
        std::fs::write(&path, contents).expect("temp file written");
        TempFile(path)
    }

    pub(crate) fn path(&self) -> &str {
        self.0.to_str().expect("UTF-8 temp path")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A WAT file: the WASI `fd_write` import, the warren prelude, a `$print`
/// helper (`$print(ptr, len)` writes to stdout; it uses bytes 16..28),
/// and `body`.
fn wasi_wat(name: &str, body: &str) -> TempFile {
    let source = format!(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
          {PRELUDE}
          (func $print (param $ptr i32) (param $len i32)
            (i32.store (i32.const 16) (local.get $ptr))
            (i32.store (i32.const 20) (local.get $len))
            (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))
          {body})"#
    );
    TempFile::new(&format!("{name}.wat"), source.as_bytes())
}

/// A data segment at `offset` holding `text`, and the call that prints it.
fn text_at(offset: u32, text: &str) -> (String, String) {
    let escaped = text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    (
        format!(r#"(data (i32.const {offset}) "{escaped}")"#),
        format!("(call $print (i32.const {offset}) (i32.const {}))", text.len()),
    )
}

/// A module whose export `entry` prints `text` (at data offset `offset`).
fn printing_export(entry: &str, offset: u32, text: &str) -> String {
    let (data, print) = text_at(offset, text);
    format!(r#"{data} (func (export "{entry}") {print})"#)
}

#[test]
fn with_no_arguments_warren_runs_the_builtin_demo() {
    warren(&[])
        .expect_code(0)
        .stdout_has("main: worker 2 says 20 squared is 400")
        .stdout_has("main: done, exiting normally");
}

/// `warren | head -1` with the log going to the same closed pipe: the demo
/// writes to a closed stdout and its crashing process logs to a closed
/// stderr. Warren must still finish (a panic on a scheduler thread used to
/// leave the node waiting forever) with the demo's own exit code.
#[test]
fn the_demo_finishes_when_its_stdout_and_stderr_are_closed() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_warren"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("warren starts");
    let mut first = [0u8; 1];
    let mut stdout = child.stdout.take().expect("piped stdout");
    stdout.read_exact(&mut first).expect("the demo prints something");
    drop(stdout);
    drop(child.stderr.take());
    let status = wait_patiently(&mut child, "the demo, its output closed,");
    assert_eq!(status.code(), Some(0), "exit status {status}");
}

#[test]
fn run_exits_0_when_the_root_process_exits_normally() {
    let file = wasi_wat("normal", &printing_export("main", 1024, "hello from main\n"));
    warren(&["run", file.path()]).expect_code(0).stdout_has("hello from main");
}

#[test]
fn a_wasi_guest_prints_to_stdout() {
    let file = wasi_wat("wasi-print", &printing_export("main", 1024, "line one\nline two\n"));
    let run = warren(&["run", file.path()]);
    run.expect_code(0);
    let lines = run.stdout_lines();
    let at = lines.iter().position(|l| *l == "line one").unwrap_or_else(|| panic!("no `line one` in {lines:?}"));
    assert_eq!(lines.get(at + 1), Some(&"line two"), "{lines:?}");
}

#[test]
fn run_also_runs_a_binary_wasm_file() {
    let wasm = wat::parse_str(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (memory (export "memory") 1)
          (data (i32.const 100) "binary ok\n")
          (func (export "main")
            (i32.store (i32.const 0) (i32.const 100))
            (i32.store (i32.const 4) (i32.const 10))
            (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))"#,
    )
    .unwrap();
    let file = TempFile::new("binary.wasm", &wasm);
    warren(&["run", file.path()]).expect_code(0).stdout_has("binary ok");
}

#[test]
fn run_exits_1_when_the_root_process_traps_and_says_why() {
    let file = wasi_wat("trap", r#"(func (export "main") (unreachable))"#);
    warren(&["run", file.path()]).expect_code(1).stderr_has("exited").stderr_has("unreachable");
}

#[test]
fn run_exits_1_when_the_root_process_exits_with_a_custom_reason() {
    let file = wasi_wat(
        "custom",
        r#"(data (i32.const 1024) "boom")
           (func (export "main") (call $exit (i32.const 2) (i32.const 1024) (i32.const 4)))"#,
    );
    warren(&["run", file.path()]).expect_code(1).stderr_has("exited").stderr_has("boom");
}

#[test]
fn wasi_proc_exit_sets_the_outcome_of_the_run() {
    let zero = wasi_wat("exit0", r#"(func (export "main") (call $proc_exit (i32.const 0)) (unreachable))"#);
    warren(&["run", zero.path()]).expect_code(0);
    let three = wasi_wat("exit3", r#"(func (export "main") (call $proc_exit (i32.const 3)) (unreachable))"#);
    warren(&["run", three.path()]).expect_code(1).stderr_has("exited").stderr_has("exit status 3");
}

#[test]
fn a_missing_file_exits_2_naming_the_path() {
    let path = std::env::temp_dir().join(format!("warren-cli-test-{}-no-such-file.wat", std::process::id()));
    let path = path.to_str().unwrap();
    warren(&["run", path]).expect_code(2).stderr_has(path).stderr_has("No such file");
}

#[test]
fn a_file_that_is_neither_wasm_nor_wat_exits_2() {
    let binary = TempFile::new("garbage.wasm", &[0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 3]);
    warren(&["run", binary.path()]).expect_code(2).stderr_has("not a WebAssembly module");
    let text = TempFile::new("notes.txt", b"hello, I am a text file\n");
    warren(&["run", text.path()]).expect_code(2).stderr_has("not a WebAssembly module");
}

#[test]
fn a_precompiled_module_runs_and_a_damaged_copy_is_refused_with_exit_2() {
    let source = wasi_wat("precompile", &printing_export("main", 100, "precompiled"));
    let compiled = std::env::temp_dir().join(format!("warren-cli-test-{}-precompiled.cwasm", std::process::id()));
    let compiled_path = compiled.to_str().unwrap();
    warren(&["compile", source.path(), "-o", compiled_path]).expect_code(0).stdout_has("compiled");
    warren(&["run", compiled_path]).expect_code(0).stdout_has("precompiled");
    let sealed = std::fs::read(&compiled).unwrap();
    let _ = std::fs::remove_file(&compiled);

    let truncated = TempFile::new("truncated.cwasm", &sealed[..sealed.len() / 2]);
    warren(&["run", truncated.path()]).expect_code(2).stderr_has("damaged");
    let mut flipped = sealed.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 0x40;
    let flipped = TempFile::new("flipped.cwasm", &flipped);
    warren(&["run", flipped.path()]).expect_code(2).stderr_has("checksum");
    // wasmtime's own file, without Warren's seal (the seal is 52 bytes).
    let bare = TempFile::new("bare.cwasm", &sealed[52..]);
    warren(&["run", bare.path()]).expect_code(2).stderr_has("seal");
}

/// A spawn bomb: the root spawns echo processes until a spawn fails, then
/// checks that the failure is `ERR_LIMIT` (not a crash of the node or of its
/// children), that it spawned many, and that its first child still answers.
const SPAWN_BOMB: &str = r#"
  (data (i32.const 100) "echo")
  (func (export "echo")
    (loop $next
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (drop (call $send (call $msg_sender) (i64.const 7) (i32.const 0) (i32.const 0)))
      (br $next)))
  (func (export "main")
    (local $pid i64) (local $first i64) (local $count i32)
    (loop $spawn
      (local.set $pid (call $spawn (i32.const 100) (i32.const 4) (i32.const 0) (i32.const 0)))
      (if (i64.gt_s (local.get $pid) (i64.const 0))
        (then
          (if (i64.eqz (local.get $first)) (then (local.set $first (local.get $pid))))
          (local.set $count (i32.add (local.get $count) (i32.const 1)))
          (br $spawn))))
    (if (i64.ne (local.get $pid) (i64.const -5)) (then unreachable))
    (if (i32.lt_u (local.get $count) (i32.const 500)) (then unreachable))
    (drop (call $send (local.get $first) (i64.const 7) (i32.const 0) (i32.const 0)))
    (if (i32.lt_s (call $receive (i32.const 0) (i32.const 0) (i64.const 30000)) (i32.const 0))
      (then unreachable)))
"#;

#[test]
fn a_spawn_bomb_under_the_guarded_layout_meets_err_limit_and_the_node_lives() {
    let bomb = wasi_wat("bomb", SPAWN_BOMB);
    // Without --max-processes the guarded layout's mapping budget stops it;
    // with it, the process table does.
    warren(&["run", bomb.path(), "--layout", "guarded"]).expect_code(0);
    warren(&["run", bomb.path(), "--layout", "guarded", "--max-processes", "1000"]).expect_code(0);
    warren(&["run", bomb.path(), "--max-processes", "2000"]).expect_code(0);
}

#[test]
fn a_module_importing_an_unknown_host_function_exits_2_naming_it() {
    let file = TempFile::new(
        "unknown-import.wat",
        br#"(module (import "warren_v1" "nope_fn" (func)) (func (export "main")))"#,
    );
    warren(&["run", file.path()]).expect_code(2).stderr_has("nope_fn");
}

#[test]
fn a_module_using_externref_or_shared_memory_exits_2_saying_why() {
    let host_refs = TempFile::new("externref.wat", br#"(module (table 1 externref) (func (export "main")))"#);
    warren(&["run", host_refs.path()]).expect_code(2).stderr_has("requires gc");
    let shared = TempFile::new("shared.wat", br#"(module (memory 1 1 shared) (func (export "main")))"#);
    warren(&["run", shared.path()]).expect_code(2).stderr_has("threads");
    // funcref tables, which compilers emit for indirect calls, are fine.
    let funcref = TempFile::new(
        "funcref.wat",
        br#"(module (table 2 funcref) (elem (i32.const 0) $f) (func $f)
              (func (export "main") (call_indirect (i32.const 0)) (drop (ref.is_null (table.get 0 (i32.const 1))))))"#,
    );
    warren(&["run", funcref.path()]).expect_code(0);
}

#[test]
fn a_missing_entry_export_exits_2_naming_it() {
    let file = wasi_wat("no-entry", &printing_export("main", 1024, "main ran\n"));
    let run = warren(&["run", file.path(), "--entry", "start_here"]);
    run.expect_code(2).stderr_has("start_here").stderr_has("no exported function");
    assert!(!run.stdout.contains("main ran"));
    // With neither `main` nor `_start`, the default entry is missing.
    let neither = wasi_wat("neither", &printing_export("other", 1024, "other ran\n"));
    warren(&["run", neither.path()]).expect_code(2).stderr_has("main").stderr_has("no exported function");
}

#[test]
fn invalid_option_values_exit_2_saying_invalid() {
    let file = wasi_wat("options", &printing_export("main", 1024, "ran\n"));
    for options in [
        &["--schedulers", "0"][..],
        &["--schedulers", "abc"],
        &["--max-memory", "12XB"],
        &["--layout", "sparse"],
        &["--max-mailbox", "0"],
    ] {
        let mut args = vec!["run", file.path()];
        args.extend_from_slice(options);
        let run = warren(&args);
        assert_eq!(run.code, Some(2), "{options:?}: {run:?}");
        assert!(run.stderr.contains("invalid"), "{options:?}: stderr should say invalid: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{options:?}: {}", run.stderr);
        assert!(!run.stdout.contains("ran"), "{options:?}: the module must not run");
    }
}

#[test]
fn every_error_that_prevents_running_exits_2_without_a_panic() {
    let file = wasi_wat("errors", &printing_export("main", 1024, "ran\n"));
    let cases: [&[&str]; 4] = [
        &["run", file.path(), "--reductions", "0"],
        &["run", file.path(), "--frobnicate"],
        &["run"],
        &["run", file.path(), "--module", "no-equals-sign"],
    ];
    for args in cases {
        let run = warren(args);
        assert_eq!(run.code, Some(2), "{args:?}: {run:?}");
        assert!(!run.stderr.trim().is_empty(), "{args:?}: no message on stderr");
        assert!(!run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn the_entry_defaults_to_main_then_to_start() {
    let both = wasi_wat(
        "both",
        &format!(
            "{} {}",
            printing_export("main", 1024, "from main\n"),
            printing_export("_start", 1100, "from _start\n")
        ),
    );
    let run = warren(&["run", both.path()]);
    run.expect_code(0).stdout_has("from main");
    assert!(!run.stdout.contains("from _start"), "{}", run.stdout);
    let start_only = wasi_wat("start-only", &printing_export("_start", 1100, "from _start\n"));
    warren(&["run", start_only.path()]).expect_code(0).stdout_has("from _start");
}

#[test]
fn the_entry_option_picks_the_export_to_run() {
    let file = wasi_wat(
        "entries",
        &format!("{} {}", printing_export("main", 1024, "from main\n"), printing_export("other", 1100, "from other\n")),
    );
    let run = warren(&["run", file.path(), "--entry", "other"]);
    run.expect_code(0).stdout_has("from other");
    assert!(!run.stdout.contains("from main"), "{}", run.stdout);
}

#[test]
fn arguments_after_a_double_dash_reach_the_root_process_through_wasi_args() {
    let source = format!(
        r#"(module
          (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
          {PRELUDE}
          ;; prints every argument on a line of its own
          (func (export "main")
            (local $size i32)
            (local $i i32)
            (if (call $args_sizes_get (i32.const 32) (i32.const 36)) (then (unreachable)))
            (if (call $args_get (i32.const 1024) (i32.const 8192)) (then (unreachable)))
            (local.set $size (i32.load (i32.const 36)))
            (block $done
              (loop $next
                (br_if $done (i32.ge_u (local.get $i) (local.get $size)))
                (if (i32.eqz (i32.load8_u (i32.add (i32.const 8192) (local.get $i))))
                  (then (i32.store8 (i32.add (i32.const 8192) (local.get $i)) (i32.const 10))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $next)))
            (i32.store (i32.const 16) (i32.const 8192))
            (i32.store (i32.const 20) (local.get $size))
            (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))"#
    );
    let file = TempFile::new("args.wat", source.as_bytes());
    let run = warren(&["run", file.path(), "--", "alpha", "beta gamma", "--entry", "x"]);
    run.expect_code(0);
    let lines = run.stdout_lines();
    let at = lines.iter().position(|l| *l == "alpha").unwrap_or_else(|| panic!("no `alpha` argument in {lines:?}"));
    assert_eq!(&lines[at..], ["alpha", "beta gamma", "--entry", "x"], "the arguments, in order, as given");
}

/// The pid at the start of a line tagged like `<0.5.1> text`, and the text.
fn split_pid_tag(line: &str) -> Option<(&str, &str)> {
    let (tag, text) = line.split_once("> ")?;
    let numbers = tag.strip_prefix("<0.")?;
    let (index, serial) = numbers.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    (digits(index) && digits(serial)).then(|| (&line[..tag.len() + 1], text))
}

/// A root that prints two lines, spawns `child` (which prints a line and
/// tells the root), waits for it, and returns.
fn two_printing_processes() -> TempFile {
    let (root_data, root_print) = text_at(1024, "root line one\nroot line two\n");
    let (child_data, child_print) = text_at(1100, "child line\n");
    wasi_wat(
        "tagged",
        &format!(
            r#"{root_data} {child_data}
            (data (i32.const 1200) "child")
            (func (export "main")
              {root_print}
              (i64.store (i32.const 40) (call $self))
              (drop (call $spawn (i32.const 1200) (i32.const 5) (i32.const 40) (i32.const 8)))
              (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1))))
            (func (export "child")
              {child_print}
              (call $report (call $arg_pid) (i64.const 1) (i64.const 0)))"#
        ),
    )
}

#[test]
fn tag_output_prefixes_each_line_of_a_process_with_its_pid() {
    let file = two_printing_processes();
    let run = warren(&["run", file.path(), "--tag-output"]);
    run.expect_code(0);
    let tagged: Vec<(&str, &str)> = run.stdout_lines().into_iter().filter_map(split_pid_tag).collect();
    let pid_of = |text: &str| {
        tagged.iter().find(|(_, t)| *t == text).map(|(pid, _)| *pid).unwrap_or_else(|| {
            panic!("no tagged line {text:?} in stdout:\n{}", run.stdout);
        })
    };
    let root = pid_of("root line one");
    assert_eq!(pid_of("root line two"), root, "every line of the root has its pid");
    assert_ne!(pid_of("child line"), root, "the child's line has the child's pid");
}

#[test]
fn without_tag_output_lines_are_printed_as_written() {
    let file = two_printing_processes();
    let run = warren(&["run", file.path()]);
    run.expect_code(0);
    let lines = run.stdout_lines();
    for line in ["root line one", "root line two", "child line"] {
        assert!(lines.contains(&line), "no plain {line:?} in {lines:?}");
    }
}

#[test]
fn the_module_option_loads_another_module_for_spawn_module() {
    let (greeting, greet) = text_at(1024, "helper says hi\n");
    let helper = wasi_wat(
        "helper",
        &format!(
            r#"{greeting}
            (func (export "main")
              {greet}
              (call $report (call $arg_pid) (i64.const 1) (i64.const 0)))"#
        ),
    );
    let root = wasi_wat(
        "root",
        r#"(data (i32.const 1024) "helper")
           (data (i32.const 1032) "main")
           (func (export "main")
             (i64.store (i32.const 40) (call $self))
             (if (i64.lt_s (call $spawn_module (i32.const 1024) (i32.const 6) (i32.const 1032) (i32.const 4)
                                               (i32.const 40) (i32.const 8))
                           (i64.const 0))
               (then (unreachable)))
             (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1))))"#,
    );
    let module = format!("helper={}", helper.path());
    warren(&["run", root.path(), "--module", &module]).expect_code(0).stdout_has("helper says hi");
    // Without it, spawn_module finds no module: the root traps.
    warren(&["run", root.path()]).expect_code(1).stderr_has("unreachable");
}

/// A root doing 200 round trips with a child, then printing `round trips done`.
fn round_trips() -> TempFile {
    let (data, print) = text_at(1024, "round trips done\n");
    wasi_wat(
        "round-trips",
        &format!(
            r#"{data}
            (data (i32.const 1100) "echo")
            (func (export "main")
              (local $child i64)
              (local $i i32)
              (i64.store (i32.const 40) (call $self))
              (local.set $child (call $spawn (i32.const 1100) (i32.const 4) (i32.const 40) (i32.const 8)))
              (loop $again
                (call $report (local.get $child) (i64.const 1) (i64.extend_i32_u (local.get $i)))
                (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $again (i32.lt_u (local.get $i) (i32.const 200))))
              (call $report (local.get $child) (i64.const 0) (i64.const 0))
              {print})
            (func (export "echo")
              (local $parent i64)
              (local.set $parent (call $arg_pid))
              (loop $again
                (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
                (call $report (local.get $parent) (call $msg_tag) (i64.const 0))
                (br_if $again (i64.ne (call $msg_tag) (i64.const 0)))))"#
        ),
    )
}

#[test]
fn run_accepts_the_scheduling_and_memory_options() {
    let file = round_trips();
    for options in [
        &["--schedulers", "1", "--reductions", "1000", "--layout", "guarded"][..],
        &["--schedulers", "2", "--layout", "dense", "--log", "warn"],
        &["--tag-output", "--log", "debug"],
    ] {
        let mut args = vec!["run", file.path()];
        args.extend_from_slice(options);
        let run = warren(&args);
        assert_eq!(run.code, Some(0), "{options:?}: {run:?}");
        assert!(run.stdout.contains("round trips done"), "{options:?}: {run:?}");
    }
}

#[test]
fn tag_output_keeps_a_line_written_in_pieces_whole() {
    let (first, print_first) = text_at(1024, "hello, ");
    let (second, print_second) = text_at(1100, "world\n");
    let (third, print_third) = text_at(1200, "no newline at the end");
    let file = wasi_wat(
        "pieces",
        &format!(
            r#"{first} {second} {third}
            (func (export "main") {print_first} {print_second} {print_third})"#
        ),
    );
    let run = warren(&["run", file.path(), "--tag-output"]);
    run.expect_code(0);
    let texts: Vec<&str> = run.stdout_lines().into_iter().filter_map(split_pid_tag).map(|(_, text)| text).collect();
    assert!(texts.contains(&"hello, world"), "one tagged line `hello, world` expected in:\n{}", run.stdout);
    assert!(texts.contains(&"no newline at the end"), "the unfinished last line is printed, tagged:\n{}", run.stdout);
}

/// A process that prints 4 MiB without a newline under `--tag-output`: the
/// host holds at most a bounded piece of the line, and prints it in tagged
/// pieces of at most 64 KiB.
#[test]
fn tag_output_prints_an_endless_line_in_bounded_pieces() {
    let file = wasi_wat(
        "endless",
        r#"(func (export "main")
             (local $i i32)
             (memory.fill (i32.const 4096) (i32.const 120) (i32.const 4096))
             (loop $chunk
               (call $print (i32.const 4096) (i32.const 4096))
               (local.set $i (i32.add (local.get $i) (i32.const 1)))
               (br_if $chunk (i32.lt_u (local.get $i) (i32.const 1024)))))"#,
    );
    let run = warren(&["run", file.path(), "--tag-output"]);
    run.expect_code(0);
    let pieces: Vec<&str> = run.stdout_lines().into_iter().filter_map(split_pid_tag).map(|(_, text)| text).collect();
    let total: usize = pieces.iter().map(|piece| piece.len()).sum();
    assert_eq!(total, 4 << 20, "every byte printed");
    assert!(pieces.iter().all(|piece| piece.len() <= 64 << 10 && piece.bytes().all(|b| b == b'x')));
    assert!(pieces.len() >= 64, "in pieces: {}", pieces.len());
}

#[test]
fn tag_output_tags_standard_error_lines_too() {
    let file = wasi_wat(
        "stderr",
        r#"(data (i32.const 1024) "to stderr\n")
           (func (export "main")
             (i32.store (i32.const 16) (i32.const 1024))
             (i32.store (i32.const 20) (i32.const 10))
             (drop (call $fd_write (i32.const 2) (i32.const 16) (i32.const 1) (i32.const 24))))"#,
    );
    let run = warren(&["run", file.path(), "--tag-output"]);
    run.expect_code(0);
    assert!(
        run.stderr.lines().filter_map(split_pid_tag).any(|(_, text)| text == "to stderr"),
        "a tagged `to stderr` line expected on stderr:\n{}",
        run.stderr
    );
    assert!(!run.stdout.contains("to stderr"));
}

#[test]
fn max_memory_limits_the_root_process() {
    let file = wasi_wat(
        "grow",
        r#"(func (export "main")
             (if (i32.lt_s (memory.grow (i32.const 31)) (i32.const 0)) (then (unreachable))))"#,
    );
    warren(&["run", file.path(), "--max-memory", "4MiB"]).expect_code(0);
    warren(&["run", file.path(), "--max-memory", "1MiB"]).expect_code(1).stderr_has("exited").stderr_has("memory");
}

#[test]
fn max_mailbox_limits_the_messages_a_process_may_have_queued() {
    // Ten messages to itself that it never takes, then a wait of 50 ms for
    // one that never comes.
    let file = wasi_wat(
        "flood",
        r#"(func (export "main")
             (local $i i32)
             (loop $more
               (drop (call $send (call $self) (i64.const 2) (i32.const 0) (i32.const 0)))
               (local.set $i (i32.add (local.get $i) (i32.const 1)))
               (br_if $more (i32.lt_u (local.get $i) (i32.const 10))))
             (i64.store (i32.const 32) (i64.const 1))
             (drop (call $receive (i32.const 32) (i32.const 1) (i64.const 50))))"#,
    );
    warren(&["run", file.path()]).expect_code(0);
    warren(&["run", file.path(), "--max-mailbox", "10"]).expect_code(0);
    warren(&["run", file.path(), "--max-mailbox", "5"]).expect_code(1).stderr_has("limit").stderr_has("mailbox");
}

#[test]
fn the_run_ends_when_the_root_process_does_even_if_others_still_run() {
    let (data, print) = text_at(1024, "root is done\n");
    let file = wasi_wat(
        "leave-behind",
        &format!(
            r#"{data}
            (data (i32.const 1100) "spin")
            (func (export "main")
              (drop (call $spawn (i32.const 1100) (i32.const 4) (i32.const 0) (i32.const 0)))
              (drop (call $spawn (i32.const 1100) (i32.const 4) (i32.const 0) (i32.const 0)))
              {print})
            (func (export "spin")
              (loop $forever (br $forever)))"#
        ),
    );
    warren(&["run", file.path()]).expect_code(0).stdout_has("root is done");
}

/// A module that loads but whose instance cannot be made can never run:
/// exit 2, as for a load error, not 1 (a root that ran and crashed).
#[test]
fn a_module_whose_instance_cannot_be_made_exits_2_saying_why() {
    let cases: [(&str, &str, &[&str], &str); 4] = [
        (
            "data-out-of-bounds",
            r#"(module (memory (export "memory") 1) (data (i32.const 65535) "ab") (func (export "main")))"#,
            &[],
            "out of bounds memory access",
        ),
        (
            "elem-out-of-bounds",
            r#"(module (table 1 funcref) (func $f) (elem (i32.const 1) $f) (func (export "main")))"#,
            &[],
            "out of bounds table access",
        ),
        (
            "start-traps",
            r#"(module (func $boom unreachable) (start $boom) (func (export "main")))"#,
            &[],
            "unreachable",
        ),
        (
            "too-much-memory",
            r#"(module (memory (export "memory") 32) (func (export "main")))"#,
            &["--max-memory", "1MiB"],
            "exceeds the process limit",
        ),
    ];
    for (name, source, options, why) in cases {
        let file = TempFile::new(&format!("{name}.wat"), source.as_bytes());
        let mut args = vec!["run", file.path()];
        args.extend_from_slice(options);
        warren(&args).expect_code(2).stderr_has("its instance could not be made").stderr_has(why);
    }
    // The same memory under a larger bound runs.
    let fits = TempFile::new("fits.wat", br#"(module (memory (export "memory") 32) (func (export "main")))"#);
    warren(&["run", fits.path(), "--max-memory", "4MiB"]).expect_code(0);
}

#[test]
fn a_start_function_that_exits_ends_the_run_as_the_entry_would() {
    let (data, print) = text_at(1024, "entry ran\n");
    for (status, code) in [(0, 0), (3, 1)] {
        let file = wasi_wat(
            "start-exits",
            &format!(
                r#"{data}
                (func $start (call $proc_exit (i32.const {status})))
                (start $start)
                (func (export "main") {print})"#
            ),
        );
        let run = warren(&["run", file.path()]);
        run.expect_code(code);
        assert!(!run.stdout.contains("entry ran"), "the entry never runs: {run:?}");
        if status != 0 {
            run.stderr_has("exit status 3");
        }
    }
}

#[test]
fn a_root_entry_of_handler_type_exits_2_as_nothing_could_call_it() {
    let handler = TempFile::new(
        "handler-entry.wat",
        br#"(module (memory (export "memory") 1) (func (export "serve") (result i32) (i32.const 0)))"#,
    );
    warren(&["run", handler.path(), "--entry", "serve"]).expect_code(2).stderr_has("is a handler");
    // A `main` of handler type is no default entry; `_start` is taken instead.
    let main_handler = wasi_wat(
        "main-handler",
        &format!(
            "(func (export \"main\") (result i32) (i32.const 0)) {}",
            printing_export("_start", 1024, "start ran\n")
        ),
    );
    warren(&["run", main_handler.path()]).expect_code(0).stdout_has("start ran");
    let only_handler =
        TempFile::new("only-handler.wat", br#"(module (func (export "main") (result i32) (i32.const 0)))"#);
    warren(&["run", only_handler.path()]).expect_code(2).stderr_has("no exported function `main` or `_start`");
}

#[test]
fn a_mistyped_entry_a_mistyped_import_or_invalid_wasm_exits_2() {
    let param = TempFile::new("param-entry.wat", br#"(module (func (export "main") (param i32)))"#);
    warren(&["run", param.path()]).expect_code(2).stderr_has("no exported function");
    warren(&["run", param.path(), "--entry", "main"]).expect_code(2).stderr_has("no exported function `main`");
    let import = TempFile::new(
        "mistyped-import.wat",
        br#"(module (import "warren_v1" "self" (func (result i32))) (func (export "main")))"#,
    );
    warren(&["run", import.path()]).expect_code(2).stderr_has("warren_v1::self");
    let invalid = TempFile::new("invalid.wat", br#"(module (func (export "main") (drop (i32.add))))"#);
    warren(&["run", invalid.path()]).expect_code(2).stderr_has("invalid WebAssembly module");
}

#[test]
fn a_precompiled_module_for_another_layout_exits_2() {
    let source = wasi_wat("layout", &printing_export("main", 100, "compiled"));
    let compiled = TempFile::new("guarded.cwasm", b"");
    warren(&["compile", source.path(), "-o", compiled.path(), "--layout", "guarded"]).expect_code(0);
    warren(&["run", compiled.path(), "--layout", "guarded"]).expect_code(0).stdout_has("compiled");
    warren(&["run", compiled.path()]).expect_code(2).stderr_has("cannot use precompiled module");
}

/// WASI checks a pointer when it uses it: `fd_write` has written its bytes
/// when its `nwritten` pointer, outside memory, traps the root (exit 1).
#[test]
fn a_wasi_pointer_outside_memory_traps_after_what_the_call_did_before() {
    let file = wasi_wat(
        "bad-nwritten",
        r#"(data (i32.const 1024) "written\n")
           (func (export "main")
             (i32.store (i32.const 16) (i32.const 1024))
             (i32.store (i32.const 20) (i32.const 8))
             (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 65535))))"#,
    );
    warren(&["run", file.path()]).expect_code(1).stdout_has("written").stderr_has("Pointer out of bounds");
}

/// A guest's standard input is empty, whatever warren's own is.
#[test]
fn a_guest_reads_an_empty_standard_input_even_when_warren_has_one() {
    // Reads up to 16 bytes from fd 0, then exits with status 10 + the count.
    let file = TempFile::new(
        "stdin.wat",
        br#"(module
          (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
          (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
          (memory (export "memory") 1)
          (func (export "main")
            (i32.store (i32.const 16) (i32.const 1024))
            (i32.store (i32.const 20) (i32.const 16))
            (if (call $fd_read (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 24)) (then unreachable))
            (call $proc_exit (i32.add (i32.const 10) (i32.load (i32.const 24))))))"#,
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_warren"))
        .args(["run", file.path()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("warren starts");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let _ = std::io::Write::write_all(&mut stdin, b"hello, guest\n");
    drop(stdin);
    let mut stderr = child.stderr.take().expect("piped stderr");
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let status = wait_patiently(&mut child, "the stdin guest");
    let stderr = err.join().unwrap();
    assert_eq!(status.code(), Some(1), "stderr:\n{stderr}");
    assert!(stderr.contains("exit status 10"), "0 bytes read: {stderr}");
}

#[test]
fn the_rust_examples_print_through_warren_run() {
    warren(&["run", warren_test_artifacts::EXAMPLE_COUNTER]).expect_code(0).stdout_has("count: 16\n");
    let supervision = warren(&["run", warren_test_artifacts::EXAMPLE_SUPERVISION]);
    supervision.expect_code(0);
    supervision.stdout_has("the stash crashed").stdout_has("child stash restarted 1 time(s)");
    supervision.stdout_has("after the restart: greeting = Ok(None)");
}
