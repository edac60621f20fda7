//! Recycled stores: a process that exits leaves its instance to the next
//! process of its module, reset. Whatever the last process did (wrote its
//! memory and data segments, changed its globals, trapped, grew its memory,
//! ran a different entry), the next one sees a fresh instance.
//!
//! One scheduler thread: every process here runs and exits on it, so each
//! spawn after the first takes the store its predecessor gave back.

use crate::common::*;

/// `observe` reports what the instance holds (tag 1, six i64s): the global
/// `counter` (5 when fresh), the 8 bytes at 16 (the data segment
/// "pristine"), the i64 at 4096 and at 60000 (0 when fresh), the memory
/// size in pages (1 when fresh), and, once it has grown the memory by a
/// page, the i64 at 70000 in that page (0: a grown page is zero); then it
/// dirties all of them, the grown page too, and exits with its memory
/// grown. `dirty_then_trap` and `dirty_then_grow` dirty the instance and
/// end badly or bigger.
/// `sleeper` becomes a handler that dirties the instance at every message,
/// replies tag 2 with its `counter`, and hibernates.
const OBSERVER: &str = r#"
(module
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  (import "warren_v1" "set_handler" (func $set_handler (param i32 i32) (result i32)))
  (import "warren_v1" "hibernate" (func $hibernate (result i32)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (global $counter (export "counter") (mut i64) (i64.const 5))
  (data (i32.const 16) "pristine")
  (data (i32.const 1024) "on_message")
  (data (i32.const 1040) "on_ignored")
  (func $dirty
    (global.set $counter (i64.add (global.get $counter) (i64.const 1)))
    (i64.store (i32.const 16) (i64.const -1))
    (i64.store (i32.const 4096) (i64.const 42))
    (i64.store (i32.const 60000) (i64.const 43)))
  (func (export "observe")
    (drop (call $arg_read (i32.const 0) (i32.const 8)))
    (i64.store (i32.const 256) (global.get $counter))
    (i64.store (i32.const 264) (i64.load (i32.const 16)))
    (i64.store (i32.const 272) (i64.load (i32.const 4096)))
    (i64.store (i32.const 280) (i64.load (i32.const 60000)))
    (i64.store (i32.const 288) (i64.extend_i32_u (memory.size)))
    (drop (memory.grow (i32.const 1)))
    (i64.store (i32.const 296) (i64.load (i32.const 70000)))
    (drop (call $send (i64.load (i32.const 0)) (i64.const 1) (i32.const 256) (i32.const 48)))
    (call $dirty)
    (i64.store (i32.const 70000) (i64.const 45)))
  ;; Touches nothing: the pages its predecessor dirtied, zeroed by the
  ;; reset, are still zero at the next reset, which gives them back.
  (func (export "nothing"))
  (func (export "dirty_then_trap")
    (call $dirty)
    (unreachable))
  (func (export "dirty_then_grow")
    (call $dirty)
    (drop (memory.grow (i32.const 1)))
    (i64.store (i32.const 70000) (i64.const 44)))
  ;; [reporter]: dirties the instance, tells the reporter (tag 3) and
  ;; waits in a receive for ever.
  (func (export "dirty_then_wait")
    (drop (call $arg_read (i32.const 0) (i32.const 8)))
    (call $dirty)
    (drop (call $send (i64.load (i32.const 0)) (i64.const 3) (i32.const 0) (i32.const 0)))
    (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
    (unreachable))
  ;; [reporter]: the same, then idles as a handler-style process (no call
  ;; in flight, not hibernated).
  (func (export "dirty_then_idle")
    (drop (call $arg_read (i32.const 0) (i32.const 8)))
    (call $dirty)
    (if (call $set_handler (i32.const 1040) (i32.const 10))
      (then (unreachable)))
    (drop (call $send (i64.load (i32.const 0)) (i64.const 3) (i32.const 0) (i32.const 0))))
  (func (export "on_ignored") (result i32) (i32.const 0))
  (func (export "sleeper")
    (if (call $set_handler (i32.const 1024) (i32.const 10))
      (then (unreachable)))
    (drop (call $hibernate)))
  (func (export "on_message") (result i32)
    (call $dirty)
    (i64.store (i32.const 512) (global.get $counter))
    (drop (call $send (call $msg_sender) (i64.const 2) (i32.const 512) (i32.const 8)))
    (drop (call $hibernate))
    (i32.const 0))
)
"#;

/// What `observe` reports on a fresh instance.
fn fresh() -> Vec<i64> {
    vec![5, i64::from_le_bytes(*b"pristine"), 0, 0, 1, 0]
}

#[test]
fn every_process_sees_a_fresh_instance_whatever_its_predecessor_did() {
    let node = node(1);
    let module = load(&node, "observer", OBSERVER);
    let inbox = node.inbox();
    let observe = |round: usize| {
        let process = spawn(&node, &module, "observe", &pid_bytes(inbox.pid()));
        assert_eq!(as_i64s(&recv_tag(&inbox, 1).data), fresh(), "observer {round}");
        finish_normally(&process);
    };
    // Stores are reset a batch at a time (32): enough rounds for several.
    for round in 0..120 {
        match round % 10 {
            3 => {
                let trapped = spawn(&node, &module, "dirty_then_trap", b"");
                expect_trap(&finish(&trapped), &["unreachable"]);
            }
            // A memory that grew is shrunk back to its first size by the
            // reset, what it grew by zeroed (every observer grows it too).
            6 => finish_normally(&spawn(&node, &module, "dirty_then_grow", b"")),
            // Pages the last process left zero are given back to the
            // kernel at the reset: they still read as zero.
            8 => finish_normally(&spawn(&node, &module, "nothing", b"")),
            _ => observe(round),
        }
    }
}

#[test]
fn processes_on_recycled_stores_run_concurrently_each_with_its_own_memory() {
    let node = node(2);
    let module = load(&node, "observer", OBSERVER);
    let inbox = node.inbox();
    for batch in 0..20 {
        let processes: Vec<_> = (0..50).map(|_| spawn(&node, &module, "observe", &pid_bytes(inbox.pid()))).collect();
        for process in &processes {
            finish_normally(process);
        }
        for _ in &processes {
            assert_eq!(as_i64s(&recv_tag(&inbox, 1).data), fresh(), "batch {batch}");
        }
    }
}

/// A process that hibernates gives its store back reset at once (its
/// memory zeroed where the freeze found bytes, not where the kernel says
/// pages are resident). On one scheduler thread the next spawn of the
/// module takes that store: it must see a fresh instance, and the sleeper
/// must still wake with its own state.
#[test]
fn a_store_given_back_by_hibernation_serves_a_new_process_as_a_fresh_instance() {
    let node = node(1);
    let module = load(&node, "observer", OBSERVER);
    let inbox = node.inbox();
    let sleeper = spawn(&node, &module, "sleeper", b"");
    for round in 1..=20i64 {
        until_hibernated(&node, sleeper.pid());
        inbox.send(sleeper.pid(), 1, b"");
        assert_eq!(as_i64s(&recv_tag(&inbox, 2).data), [5 + round], "the sleeper's counter in round {round}");
        until_hibernated(&node, sleeper.pid());
        let observer = spawn(&node, &module, "observe", &pid_bytes(inbox.pid()));
        assert_eq!(as_i64s(&recv_tag(&inbox, 1).data), fresh(), "a new process in round {round}");
        finish_normally(&observer);
    }
}

/// A process killed while it waits in a receive has that receive fail and
/// its call unwind, and one killed while idle between handler calls has no
/// call at all: either leaves its store to be recycled (`graveyard.rs`).
/// The killed ones end `killed`, and every process after them, on the same
/// scheduler thread (so on their stores), sees a fresh instance.
#[test]
fn processes_after_killed_ones_see_fresh_instances() {
    let node = node(1);
    let module = load(&node, "observer", OBSERVER);
    let inbox = node.inbox();
    for round in 0..4 {
        let entries = ["dirty_then_wait", "dirty_then_idle"];
        let victims: Vec<_> = (0..40).map(|i| spawn(&node, &module, entries[i % 2], &pid_bytes(inbox.pid()))).collect();
        for _ in &victims {
            recv_tag(&inbox, 3);
        }
        for victim in &victims {
            node.exit(victim.pid(), ExitReason::Killed);
        }
        for (i, victim) in victims.iter().enumerate() {
            assert_eq!(finish(victim), ExitReason::Killed, "{} {i} in round {round}", entries[i % 2]);
        }
        for i in 0..40 {
            let observer = spawn(&node, &module, "observe", &pid_bytes(inbox.pid()));
            assert_eq!(as_i64s(&recv_tag(&inbox, 1).data), fresh(), "observer {i} after kills in round {round}");
            finish_normally(&observer);
        }
    }
    assert_node_still_runs(&node);
}
