//! Functions reached through references: a table's elements and `ref.func`.
//! Warren's wasmtime makes an instance's reference to such a function when
//! it is first asked for, not with the instance (vendor/README.md); a guest
//! must see the same functions whatever the order it asks in, fresh or on a
//! recycled store.

use crate::common::*;

/// `run` calls every slot of its table in an order unlike both the table's
/// and the functions': slots 0-7 hold the functions an element segment put
/// there, slots 8 and 9 what `ref.func` returned. Function `$fN` returns
/// 100 + N. Reports the 20 results (two rounds) with tag 1.
const REFERENCES: &str = r#"
(module
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (type $value (func (result i64)))
  (table $slots 10 funcref)
  (elem (i32.const 0) func $f7 $f3 $f5 $f0 $f6 $f1 $f4 $f2)
  (elem declare func $f8 $f9)
  (func $f0 (result i64) (i64.const 100))
  (func $f1 (result i64) (i64.const 101))
  (func $f2 (result i64) (i64.const 102))
  (func $f3 (result i64) (i64.const 103))
  (func $f4 (result i64) (i64.const 104))
  (func $f5 (result i64) (i64.const 105))
  (func $f6 (result i64) (i64.const 106))
  (func $f7 (result i64) (i64.const 107))
  (func $f8 (result i64) (i64.const 108))
  (func $f9 (result i64) (i64.const 109))
  (func $call (param $slot i32) (param $at i32)
    (i64.store (local.get $at) (call_indirect (type $value) (local.get $slot))))
  (func (export "run")
    (local $round i32) (local $at i32)
    (drop (call $arg_read (i32.const 0) (i32.const 8)))
    (table.set (i32.const 8) (ref.func $f9))
    (table.set (i32.const 9) (ref.func $f8))
    (local.set $at (i32.const 64))
    (loop $rounds
      (call $call (i32.const 5) (local.get $at))
      (call $call (i32.const 9) (i32.add (local.get $at) (i32.const 8)))
      (call $call (i32.const 0) (i32.add (local.get $at) (i32.const 16)))
      (call $call (i32.const 3) (i32.add (local.get $at) (i32.const 24)))
      (call $call (i32.const 8) (i32.add (local.get $at) (i32.const 32)))
      (call $call (i32.const 1) (i32.add (local.get $at) (i32.const 40)))
      (call $call (i32.const 7) (i32.add (local.get $at) (i32.const 48)))
      (call $call (i32.const 2) (i32.add (local.get $at) (i32.const 56)))
      (call $call (i32.const 6) (i32.add (local.get $at) (i32.const 64)))
      (call $call (i32.const 4) (i32.add (local.get $at) (i32.const 72)))
      (local.set $at (i32.add (local.get $at) (i32.const 80)))
      (local.set $round (i32.add (local.get $round) (i32.const 1)))
      (br_if $rounds (i32.lt_u (local.get $round) (i32.const 2))))
    (drop (call $send (i64.load (i32.const 0)) (i64.const 1) (i32.const 64) (i32.const 160))))
)
"#;

#[test]
fn functions_reached_through_a_table_or_ref_func_are_the_ones_named_in_any_order_on_any_store() {
    // One scheduler: every process after the first may run on the store
    // its predecessor gave back.
    let node = node(1);
    let module = load(&node, "references", REFERENCES);
    let inbox = node.inbox();
    // Slot k holds: 0-7 the element segment's $f7 $f3 $f5 $f0 $f6 $f1 $f4
    // $f2, 8 $f9, 9 $f8; called in the order 5 9 0 3 8 1 7 2 6 4.
    let round = [101, 108, 107, 100, 109, 103, 102, 105, 104, 106];
    let expected: Vec<i64> = round.iter().chain(round.iter()).copied().collect();
    for process in 0..5 {
        let running = spawn(&node, &module, "run", &pid_bytes(inbox.pid()));
        assert_eq!(as_i64s(&recv_tag(&inbox, 1).data), expected, "process {process}");
        finish_normally(&running);
    }
}

/// `run` asks for its own pid three ways: a direct call of the imported
/// `self`, a `call_indirect` through a table slot that an element segment
/// filled with the import, and one that `ref.func` of the import filled; it
/// reports the three (tag 1). Its argument: the reporter's pid.
const IMPORTS_BY_REFERENCE: &str = r#"
(module
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  (import "warren_v1" "self" (func $self (result i64)))
  (memory (export "memory") 1)
  (type $pid (func (result i64)))
  (table $slots 2 funcref)
  (elem (i32.const 0) func $self)
  (elem declare func $self)
  (func (export "run")
    (drop (call $arg_read (i32.const 0) (i32.const 8)))
    (table.set (i32.const 1) (ref.func $self))
    (i64.store (i32.const 64) (call $self))
    (i64.store (i32.const 72) (call_indirect (type $pid) (i32.const 0)))
    (i64.store (i32.const 80) (call_indirect (type $pid) (i32.const 1)))
    (drop (call $send (i64.load (i32.const 0)) (i64.const 1) (i32.const 64) (i32.const 24))))
)
"#;

#[test]
fn imported_host_functions_called_directly_or_through_a_table_answer_the_process_that_calls() {
    // Every instance of a module made with host functions points to one
    // array of its imports (vendor/README.md): each call must still reach
    // the host as its own process, on either scheduler, fresh or recycled.
    let node = node(2);
    let module = load(&node, "imports by reference", IMPORTS_BY_REFERENCE);
    let inbox = node.inbox();
    let running: Vec<_> = (0..40).map(|_| spawn(&node, &module, "run", &pid_bytes(inbox.pid()))).collect();
    let mut reported: Vec<Vec<i64>> = (0..running.len()).map(|_| as_i64s(&recv_tag(&inbox, 1).data)).collect();
    for process in &running {
        finish_normally(process);
    }
    reported.sort();
    let mut expected: Vec<Vec<i64>> = running.iter().map(|p| vec![p.pid().raw() as i64; 3]).collect();
    expected.sort();
    assert_eq!(reported, expected, "each process saw its own pid three ways");
}
