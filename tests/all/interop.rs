//! Processes in five languages in one supervision tree, from one manifest
//! run by the real `warren` binary: a Rust SDK GenServer, a C, a Zig and an
//! AssemblyScript counter, and a WAT process that calls each of them. Every
//! reply arrives; the Rust server crashes on a message it does not expect,
//! its supervisor restarts it (a fresh count) and it serves again, while
//! the others kept their counts.

use crate::cli::warren;
use crate::manifest::TempDir;
use warren_host::term::{self, Term};

/// The caller: asks its supervisor (its parent) for the children's pids
/// (`SUP_WHICH_CHILDREN`), calls each of the first four with `{add, 1}`
/// and prints `I:HEX` (child I's reply, in hex) or `I:error`; then sends
/// child 0 a message with tag 7, waits until the supervisor shows a new
/// pid for it, prints `r:N` (its restarts), and calls all four again.
const CALLER: &str = r#"(module
  (import "warren_v1" "call" (func $call (param i64 i32 i32 i64) (result i32)))
  (import "warren_v1" "msg_read" (func $msg_read (param i32 i32 i32) (result i32)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (import "warren_v1" "parent" (func $parent (result i64)))
  (import "warren_v1" "supervisor_request" (func $supervisor_request (param i64 i32 i32 i32) (result i64)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; the request {add, 1}, as OTP 25's term_to_binary writes it (11 bytes)
  (data (i32.const 0) "\83\68\02\64\00\03add\61\01")
  (data (i32.const 16) "0123456789abcdef")
  ;; TAG_SUPERVISOR_REPLY (-104), then a tag nobody sends (to sleep on)
  (data (i32.const 32) "\98\ff\ff\ff\ff\ff\ff\ff\e7\03\00\00\00\00\00\00")
  (data (i32.const 48) "error")
  ;; 64: the children's pids (i64 each); 128: their restarts (u32 each);
  ;; 1024: a message; 8192: a line of output; 12288: its iovec.

  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 12288) (local.get $ptr))
    (i32.store (i32.const 12292) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 12288) (i32.const 1) (i32.const 12296))))

  ;; which_children of the parent into 64 and 128; the count.
  (func $children (result i32)
    (local $id i64) (local $count i32) (local $off i32) (local $i i32)
    (local.set $id (call $supervisor_request (call $parent) (i32.const 5) (i32.const 0) (i32.const 0)))
    (if (i64.le_s (local.get $id) (i64.const 0)) (then (unreachable)))
    (block $got
      (loop $wait
        (if (i32.lt_s (call $receive (i32.const 32) (i32.const 1) (i64.const 5000)) (i32.const 0))
          (then (unreachable)))
        (drop (call $msg_read (i32.const 0) (i32.const 1024) (i32.const 4096)))
        (br_if $got (i64.eq (i64.load (i32.const 1024)) (local.get $id)))
        (br $wait)))
    (local.set $count (i32.wrap_i64 (i64.load (i32.const 1032))))
    (local.set $off (i32.const 1040))
    (block $done
      (loop $each
        (br_if $done (i32.ge_s (local.get $i) (local.get $count)))
        (i64.store (i32.add (i32.const 64) (i32.shl (local.get $i) (i32.const 3))) (i64.load (local.get $off)))
        (i32.store (i32.add (i32.const 128) (i32.shl (local.get $i) (i32.const 2)))
          (i32.load (i32.add (local.get $off) (i32.const 8))))
        (local.set $off (i32.add (local.get $off)
          (i32.add (i32.const 20) (i32.load (i32.add (local.get $off) (i32.const 16))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each)))
    (local.get $count))

  ;; Calls child $i with {add, 1}; prints "I:HEX" or "I:error".
  (func $ask (param $i i32)
    (local $n i32) (local $p i32) (local $k i32) (local $b i32)
    (i32.store8 (i32.const 8192) (i32.add (i32.const 48) (local.get $i)))
    (i32.store8 (i32.const 8193) (i32.const 58))
    (local.set $p (i32.const 8194))
    (local.set $n (call $call (i64.load (i32.add (i32.const 64) (i32.shl (local.get $i) (i32.const 3))))
      (i32.const 0) (i32.const 11) (i64.const 5000)))
    (if (i32.lt_s (local.get $n) (i32.const 0))
      (then
        (memory.copy (local.get $p) (i32.const 48) (i32.const 5))
        (local.set $p (i32.add (local.get $p) (i32.const 5))))
      (else
        (local.set $n (call $msg_read (i32.const 0) (i32.const 1024) (i32.const 1024)))
        (block $done
          (loop $hex
            (br_if $done (i32.ge_s (local.get $k) (local.get $n)))
            (local.set $b (i32.load8_u (i32.add (i32.const 1024) (local.get $k))))
            (i32.store8 (local.get $p) (i32.load8_u (i32.add (i32.const 16) (i32.shr_u (local.get $b) (i32.const 4)))))
            (i32.store8 (i32.add (local.get $p) (i32.const 1))
              (i32.load8_u (i32.add (i32.const 16) (i32.and (local.get $b) (i32.const 15)))))
            (local.set $p (i32.add (local.get $p) (i32.const 2)))
            (local.set $k (i32.add (local.get $k) (i32.const 1)))
            (br $hex)))))
    (i32.store8 (local.get $p) (i32.const 10))
    (call $print (i32.const 8192) (i32.sub (i32.add (local.get $p) (i32.const 1)) (i32.const 8192))))

  (func $ask_all
    (call $ask (i32.const 0)) (call $ask (i32.const 1)) (call $ask (i32.const 2)) (call $ask (i32.const 3)))

  (func (export "main")
    (local $old i64) (local $tries i32)
    (drop (call $children))
    (call $ask_all)
    ;; a message the Rust server does not expect: it crashes
    (local.set $old (i64.load (i32.const 64)))
    (drop (call $send (local.get $old) (i64.const 7) (i32.const 0) (i32.const 0)))
    (loop $restarted
      (drop (call $receive (i32.const 40) (i32.const 1) (i64.const 10)))
      (drop (call $children))
      (local.set $tries (i32.add (local.get $tries) (i32.const 1)))
      (br_if $restarted (i32.and (i32.lt_u (local.get $tries) (i32.const 1000))
        (i32.or (i64.eqz (i64.load (i32.const 64))) (i64.eq (i64.load (i32.const 64)) (local.get $old))))))
    (i32.store (i32.const 8192) (i32.const 0x0a303a72)) ;; "r:0\n"
    (i32.store8 (i32.const 8194) (i32.add (i32.const 48) (i32.load (i32.const 128))))
    (call $print (i32.const 8192) (i32.const 4))
    (call $ask_all)))
"#;

/// The reply bytes of a line `I:HEX`, decoded.
fn reply(line: &str) -> Term {
    let (_, hex) = line.split_once(':').expect("a line I:HEX");
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap_or_else(|_| panic!("not hex: {line}")))
        .collect();
    term::decode(&bytes).unwrap_or_else(|e| panic!("line {line}: not a term: {e}"))
}

#[test]
fn a_tree_of_five_languages_serves_calls_and_restarts_the_one_that_crashed() {
    let dir = TempDir::new();
    dir.write("caller.wat", CALLER);
    let manifest = format!(
        r#"[modules]
rust = "{rust}"
c = "{c}"
zig = "{zig}"
assemblyscript = "{assemblyscript}"
caller = "caller.wat"

[supervisor]
strategy = "one_for_one"
intensity = 3
period = 5
auto_shutdown = "any_significant"

[[supervisor.children]]
id = "rust"
module = "rust"
entry = "counter_server"
arg = "rust_counter"
ack_timeout = 5000

[[supervisor.children]]
id = "c"
module = "c"
entry = "counter"

[[supervisor.children]]
id = "zig"
module = "zig"
arg = "zig_counter"

[[supervisor.children]]
id = "assemblyscript"
module = "assemblyscript"

[[supervisor.children]]
id = "caller"
module = "caller"
restart = "transient"
significant = true
"#,
        rust = warren_test_artifacts::EXAMPLE_COUNTER,
        c = warren_test_artifacts::C_COUNTER,
        zig = warren_test_artifacts::ZIG_COUNTER,
        assemblyscript = warren_test_artifacts::AS_COUNTER,
    );
    let path = dir.write("app.toml", &manifest);
    let run = warren(&["run", &path]);
    run.expect_code(0);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 9, "four replies, the restarts, four replies:\n{}", run.stdout);
    let int = Term::Integer;
    let zig = |n| Term::tuple([Term::atom("ok"), int(n)]);
    // Rust, C and AssemblyScript answer the new count; Zig `{ok, Count}`.
    let first = [int(1), int(1), zig(1), int(1)];
    for (i, expected) in first.iter().enumerate() {
        assert!(lines[i].starts_with(&format!("{i}:")), "line {i}: {}", lines[i]);
        assert_eq!(&reply(lines[i]), expected, "child {i}'s first reply");
    }
    assert_eq!(lines[4], "r:1", "the Rust server was restarted once");
    // The restarted server counts from 0 again; the others kept counting.
    let second = [int(1), int(2), zig(2), int(2)];
    for (i, expected) in second.iter().enumerate() {
        assert_eq!(&reply(lines[5 + i]), expected, "child {i}'s reply after the restart");
    }
}
