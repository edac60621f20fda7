//! Helpers shared by the tests.

use std::sync::Arc;
use std::time::Duration;
use warren_host::{LoadedModule, Message, Node, NodeConfig};

/// How long a test waits for something that should happen at once. Only a
/// bound against hangs: tests never assert on time.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A node with `schedulers` threads and default settings otherwise.
pub fn node(schedulers: usize) -> Node {
    Node::new(NodeConfig { schedulers, ..NodeConfig::default() }).expect("node starts")
}

/// Loads WAT (or wasm) source under `name`.
pub fn load(node: &Node, name: &str, source: &str) -> Arc<LoadedModule> {
    node.load(name, source.as_bytes()).expect("module loads")
}

/// Loads a guest built by the build (a path from `warren_test_artifacts`).
pub fn load_artifact(node: &Node, path: &str) -> Arc<LoadedModule> {
    node.load_file(std::path::Path::new(path)).expect("artifact loads")
}

/// Receives the next message on `inbox`, failing the test after PATIENCE.
pub fn recv(inbox: &warren_host::Inbox) -> Message {
    inbox.recv_timeout(PATIENCE).expect("a message within the patience bound")
}

/// The common WAT prelude: imports of the whole ABI and one page of memory.
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
  (import "warren_v1" "msg_tag" (func $msg_tag (result i64)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))
  (import "warren_v1" "msg_size" (func $msg_size (result i32)))
  (import "warren_v1" "msg_read" (func $msg_read (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; The first 8 bytes of the argument: a pid (the reporter, by convention).
  (func $arg_pid (result i64)
    (drop (call $arg_read (i32.const 0) (i32.const 8)))
    (i64.load (i32.const 0)))
"#;

/// A WAT module: the prelude plus `body`.
pub fn wat(body: &str) -> String {
    format!("(module {PRELUDE} {body})")
}
