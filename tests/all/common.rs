//! Helpers shared by the tests.

#![allow(dead_code)] // not every test module uses every helper

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;
pub use warren_host::{
    ERR_BADARG, ERR_LIMIT, ERR_NO_MESSAGE, ERR_NO_SUCH_EXPORT, ERR_NO_SUCH_MODULE, ERR_TIMEOUT, ExitReason, Inbox,
    LoadedModule, MemoryLayout, Message, Node, NodeConfig, OK, Pid, ProcessHandle,
};

/// How long a test waits for something that should happen at once. Only a
/// bound against hangs: tests never assert on time.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A node with `schedulers` threads and default settings otherwise.
pub fn node(schedulers: usize) -> Node {
    Node::new(NodeConfig::default().schedulers(schedulers)).expect("node starts")
}

/// A node with the given settings.
pub fn node_with(config: NodeConfig) -> Node {
    Node::new(config).expect("node starts")
}

/// Loads WAT (or wasm) source under `name`.
pub fn load(node: &Node, name: &str, source: &str) -> LoadedModule {
    node.load(name, source.as_bytes()).expect("module loads")
}

/// Loads a guest built by the build (a path from `warren_test_artifacts`).
pub fn load_artifact(node: &Node, path: &str) -> LoadedModule {
    node.load_file(std::path::Path::new(path)).expect("artifact loads")
}

/// Path of a WAT fixture in guests/wat.
pub fn fixture(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("guests").join("wat").join(file)
}

/// Loads a WAT fixture of guests/wat (named after its file stem).
pub fn load_fixture(node: &Node, file: &str) -> LoadedModule {
    node.load_file(&fixture(file)).expect("fixture loads")
}

/// Spawns `entry` of `module`, failing the test if the spawn fails.
pub fn spawn(node: &Node, module: &LoadedModule, entry: &str, arg: &[u8]) -> ProcessHandle {
    node.spawn(module, entry, arg).unwrap_or_else(|e| panic!("spawn {entry}: {e:#}"))
}

/// The 8 bytes a guest reads as a pid (i64 LE).
pub fn pid_bytes(pid: Pid) -> [u8; 8] {
    pid.raw().to_le_bytes()
}

/// A spawn argument: the reporter's pid followed by `rest`.
pub fn reporter_arg(inbox: &Inbox, rest: &[u8]) -> Vec<u8> {
    let mut arg = pid_bytes(inbox.pid()).to_vec();
    arg.extend_from_slice(rest);
    arg
}

/// Receives the next message on `inbox`, failing the test after PATIENCE.
pub fn recv(inbox: &Inbox) -> Message {
    inbox.recv_timeout(PATIENCE).expect("a message within the patience bound")
}

/// Receives the next message and checks its tag.
pub fn recv_tag(inbox: &Inbox, tag: i64) -> Message {
    let message = recv(inbox);
    assert_eq!(message.tag, tag, "unexpected message {message:?}");
    message
}

/// Waits for `process` to exit, failing the test after PATIENCE.
pub fn finish(process: &ProcessHandle) -> ExitReason {
    process.wait_timeout(PATIENCE).unwrap_or_else(|| panic!("{} still runs after {PATIENCE:?}", process.pid()))
}

/// Waits for `process` and checks it exits normally.
pub fn finish_normally(process: &ProcessHandle) {
    let reason = finish(process);
    assert!(reason.is_normal(), "{} exited with {reason:?}, expected normal", process.pid());
}

/// The text of a `Trap` reason that contains every one of `needles`.
pub fn expect_trap(reason: &ExitReason, needles: &[&str]) -> String {
    let ExitReason::Trap(text) = reason else { panic!("expected a trap, got {reason:?}") };
    for needle in needles {
        assert!(text.contains(needle), "the trap text should contain {needle:?}: {text}");
    }
    text.clone()
}

/// The text of a `Limit` reason that contains every one of `needles`.
pub fn expect_limit(reason: &ExitReason, needles: &[&str]) -> String {
    let ExitReason::Limit(text) = reason else { panic!("expected a limit, got {reason:?}") };
    for needle in needles {
        assert!(text.contains(needle), "the limit text should contain {needle:?}: {text}");
    }
    text.clone()
}

/// `data` as one i64 LE (the whole payload must be 8 bytes).
pub fn as_i64(data: &[u8]) -> i64 {
    i64::from_le_bytes(data.try_into().unwrap_or_else(|_| panic!("expected 8 bytes, got {data:?}")))
}

/// `data` as one u32 LE (the whole payload must be 4 bytes).
pub fn as_u32(data: &[u8]) -> u32 {
    u32::from_le_bytes(data.try_into().unwrap_or_else(|_| panic!("expected 4 bytes, got {data:?}")))
}

/// `data` as a sequence of i64 LE.
pub fn as_i64s(data: &[u8]) -> Vec<i64> {
    assert_eq!(data.len() % 8, 0, "not a sequence of i64: {data:?}");
    data.chunks_exact(8).map(as_i64).collect()
}

/// Receives `count` messages and returns them keyed by tag (a test that
/// reports each value once under its own tag need not care about order).
pub fn recv_by_tag(inbox: &Inbox, count: usize) -> HashMap<i64, Message> {
    let mut by_tag = HashMap::new();
    for _ in 0..count {
        let message = recv(inbox);
        let tag = message.tag;
        assert!(by_tag.insert(tag, message).is_none(), "tag {tag} reported twice");
    }
    by_tag
}

/// The common WAT prelude: imports of the whole ABI, one page of memory and
/// two helpers.
///
/// Memory map of guests built on it: bytes 0..8 are `$arg_pid`'s, 8..16
/// `$report`'s; test bodies use 16 and up.
pub const PRELUDE: &str = r#"
  (import "warren_v1" "self" (func $self (result i64)))
  (import "warren_v1" "spawn" (func $spawn (param i32 i32 i32 i32) (result i64)))
  (import "warren_v1" "spawn_module" (func $spawn_module (param i32 i32 i32 i32 i32 i32) (result i64)))
  (import "warren_v1" "arg_size" (func $arg_size (result i32)))
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  (import "warren_v1" "exit" (func $exit (param i32 i32 i32)))
  (import "warren_v1" "yield_now" (func $yield_now))
  (import "warren_v1" "set_handler" (func $set_handler (param i32 i32) (result i32)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (import "warren_v1" "receive_into" (func $receive_into (param i32 i32 i64 i32 i32) (result i32)))
  (import "warren_v1" "msg_tag" (func $msg_tag (result i64)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))
  (import "warren_v1" "msg_size" (func $msg_size (result i32)))
  (import "warren_v1" "msg_queue_len" (func $msg_queue_len (result i32)))
  (import "warren_v1" "msg_read" (func $msg_read (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; The first 8 bytes of the argument: a pid (the reporter, by convention).
  (func $arg_pid (result i64)
    (drop (call $arg_read (i32.const 0) (i32.const 8)))
    (i64.load (i32.const 0)))
  ;; Sends `to` a message with `tag` whose payload is `value` (i64 LE).
  (func $report (param $to i64) (param $tag i64) (param $value i64)
    (i64.store (i32.const 8) (local.get $value))
    (drop (call $send (local.get $to) (local.get $tag) (i32.const 8) (i32.const 8))))
"#;

/// A WAT module: the prelude plus `body`.
pub fn wat(body: &str) -> String {
    format!("(module {PRELUDE} {body})")
}

/// A blocking-style echo server (export `main`): replies to every message
/// with the same tag and payload, and returns after echoing tag 0.
pub const ECHO: &str = r#"
  (func (export "main")
    (local $len i32)
    (local $tag i64)
    (loop $next
      (local.set $len (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (local.set $tag (call $msg_tag))
      (drop (call $msg_read (i32.const 0) (i32.const 256) (i32.const 1024)))
      (drop (call $send (call $msg_sender) (local.get $tag) (i32.const 256) (local.get $len)))
      (br_if $next (i64.ne (local.get $tag) (i64.const 0)))))
"#;

/// Proves the node still runs processes: a fresh echo process answers a
/// round trip, then stops normally.
pub fn assert_node_still_runs(node: &Node) {
    let module = load(node, "still-runs-echo", &wat(ECHO));
    let inbox = node.inbox();
    let echo = spawn(node, &module, "main", b"");
    inbox.send(echo.pid(), 5, b"still there?");
    let reply = recv(&inbox);
    assert_eq!((reply.sender, reply.tag, &*reply.data), (echo.pid(), 5, &b"still there?"[..]));
    inbox.send(echo.pid(), 0, b"");
    assert_eq!(recv(&inbox).tag, 0);
    finish_normally(&echo);
}

/// Imports of the process-relationship functions (links, monitors, names,
/// keyed registries, timers). WAT wants every import before the first
/// function, so [`rwat`] puts them ahead of [`PRELUDE`].
pub const RELATIONS_IMPORTS: &str = r#"
  (import "warren_v1" "spawn_opt" (func $spawn_opt (param i32 i32 i32 i32 i32 i32 i32 i32) (result i64)))
  (import "warren_v1" "link" (func $link (param i64) (result i32)))
  (import "warren_v1" "unlink" (func $unlink (param i64) (result i32)))
  (import "warren_v1" "trap_exit" (func $trap_exit (param i32) (result i32)))
  (import "warren_v1" "exit_signal" (func $exit_signal (param i64 i32 i32 i32) (result i32)))
  (import "warren_v1" "monitor" (func $monitor (param i64) (result i64)))
  (import "warren_v1" "demonitor" (func $demonitor (param i64 i32) (result i32)))
  (import "warren_v1" "register" (func $register (param i32 i32 i64) (result i32)))
  (import "warren_v1" "unregister" (func $unregister (param i32 i32) (result i32)))
  (import "warren_v1" "whereis" (func $whereis (param i32 i32) (result i64)))
  (import "warren_v1" "send_named" (func $send_named (param i32 i32 i64 i32 i32) (result i32)))
  (import "warren_v1" "registered" (func $registered (param i32 i32) (result i32)))
  (import "warren_v1" "registry_new" (func $registry_new (param i32 i32 i32) (result i32)))
  (import "warren_v1" "registry_register" (func $registry_register (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "registry_unregister" (func $registry_unregister (param i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "registry_lookup" (func $registry_lookup (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "registry_dispatch" (func $registry_dispatch (param i32 i32 i32 i32 i64 i32 i32) (result i32)))
  (import "warren_v1" "send_after" (func $send_after (param i64 i64 i32 i32 i64) (result i64)))
  (import "warren_v1" "send_after_named" (func $send_after_named (param i32 i32 i64 i32 i32 i64) (result i64)))
  (import "warren_v1" "cancel_timer" (func $cancel_timer (param i64) (result i64)))
  (import "warren_v1" "read_timer" (func $read_timer (param i64) (result i64)))
  (import "warren_v1" "sleep" (func $sleep (param i64) (result i32)))
"#;

/// Helpers of the relationship tests' guests (after [`PRELUDE`]).
///
/// Memory map: 0..16 the prelude's; 16..24 `spawn_opt`'s `ref_out`; 24..32 a
/// one-tag receive filter; 64..320 a copy of the argument; 320..1024
/// outgoing payloads; 1024..8192 the payload of the message last received
/// by `$recv_tag`/`$poll_tag`; 8192 and up: the test's data.
pub const RELATIONS_HELPERS: &str = r#"
  ;; Copies the argument (at most 256 bytes) to 64; returns its size.
  (func $args (result i32) (call $arg_read (i32.const 64) (i32.const 256)))
  ;; The `index`-th i64 of the argument.
  (func $arg64 (param $index i32) (result i64)
    (drop (call $args))
    (i64.load (i32.add (i32.const 64) (i32.shl (local.get $index) (i32.const 3)))))
  ;; Waits for the oldest message with `tag`, copies its payload to 1024 and
  ;; returns the bytes copied.
  (func $recv_tag (param $tag i64) (result i32)
    (i64.store (i32.const 24) (local.get $tag))
    (drop (call $receive (i32.const 24) (i32.const 1) (i64.const -1)))
    (call $msg_read (i32.const 0) (i32.const 1024) (i32.const 7168)))
  ;; As $recv_tag without waiting: ERR_TIMEOUT (-6) if none is queued.
  (func $poll_tag (param $tag i64) (result i32)
    (i64.store (i32.const 24) (local.get $tag))
    (if (result i32) (i32.lt_s (call $receive (i32.const 24) (i32.const 1) (i64.const 0)) (i32.const 0))
      (then (i32.const -6))
      (else (call $msg_read (i32.const 0) (i32.const 1024) (i32.const 7168)))))
  ;; Sends `to` the payload last received (at 1024, `n` bytes) with `tag`.
  (func $forward (param $to i64) (param $tag i64) (param $n i32)
    (drop (call $send (local.get $to) (local.get $tag) (i32.const 1024) (local.get $n))))
  ;; spawn_opt of an export of this module (the monitor reference goes to
  ;; 16); traps if the spawn fails.
  (func $spawn_flags (param $entry i32) (param $len i32) (param $arg i32) (param $arg_len i32)
                     (param $flags i32) (result i64)
    (local $pid i64)
    (local.set $pid (call $spawn_opt (i32.const 0) (i32.const 0) (local.get $entry) (local.get $len)
      (local.get $arg) (local.get $arg_len) (local.get $flags) (i32.const 16)))
    (if (i64.le_s (local.get $pid) (i64.const 0)) (then unreachable))
    (local.get $pid))
  ;; Waits forever, dropping every message.
  (func $idle
    (loop $forever
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (br $forever)))
"#;

/// A WAT module: the relationship imports, the prelude, the helpers, then
/// `body`.
pub fn rwat(body: &str) -> String {
    format!("(module {RELATIONS_IMPORTS} {PRELUDE} {RELATIONS_HELPERS} {body})")
}

/// The parts of a `TAG_EXIT` payload: (from, reason kind, detail).
pub fn parse_exit(data: &[u8]) -> (Pid, i32, Vec<u8>) {
    assert!(data.len() >= 12, "an EXIT payload has at least 12 bytes: {data:?}");
    let from = Pid::from_raw(u64::from_le_bytes(data[..8].try_into().unwrap())).expect("a well-formed pid");
    (from, i32::from_le_bytes(data[8..12].try_into().unwrap()), data[12..].to_vec())
}

/// The parts of a `TAG_DOWN` payload: (monitor ref, pid, reason kind, detail).
pub fn parse_down(data: &[u8]) -> (u64, Pid, i32, Vec<u8>) {
    assert!(data.len() >= 20, "a DOWN payload has at least 20 bytes: {data:?}");
    let reference = u64::from_le_bytes(data[..8].try_into().unwrap());
    let pid = Pid::from_raw(u64::from_le_bytes(data[8..16].try_into().unwrap())).expect("a well-formed pid");
    (reference, pid, i32::from_le_bytes(data[16..20].try_into().unwrap()), data[20..].to_vec())
}

/// A pid that was alive once and is dead now.
pub fn dead_pid(node: &Node) -> Pid {
    let module = load(node, "dead-pid-quick", r#"(module (memory (export "memory") 1) (func (export "main")))"#);
    let process = spawn(node, &module, "main", b"");
    finish_normally(&process);
    process.pid()
}

/// Waits until `pid` is hibernated (or the test's patience runs out).
pub fn until_hibernated(node: &Node, pid: Pid) {
    let start = std::time::Instant::now();
    while !node.is_hibernated(pid) {
        assert!(start.elapsed() < PATIENCE, "the process never hibernated");
        std::thread::sleep(Duration::from_millis(1));
    }
}
