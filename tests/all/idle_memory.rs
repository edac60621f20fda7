//! What an idle handler-style process gives back: the pages of its linear
//! memory that hold only its module's constant data go to the kernel while
//! it waits, and it reads them as they were at its next message, after a
//! hibernation, and in the next process of a recycled store.

use crate::common::*;
use std::time::{Duration, Instant};
use warren_host::{ExitReason, Node, NodeConfig, Pid};

/// Bytes of constant data the guest sums (three 4 KiB pages from 4096).
const PATTERN_START: usize = 4096;
const PATTERN_LEN: usize = 3 * 4096;

/// The pattern's byte at `offset`: never zero, different on every page.
fn pattern_byte(offset: usize) -> u8 {
    ((offset * 7 + 3) % 251) as u8 + 1
}

fn pattern_sum() -> i64 {
    (0..PATTERN_LEN).map(|offset| i64::from(pattern_byte(offset))).sum()
}

/// A handler-style guest with the pattern as a data segment. Each message
/// (tag 2: after adding 1 to the pattern's byte at 8192, on its second
/// page) sums the pattern's bytes and replies to the sender (tag + 100)
/// with the sum; tag 9 ends the process.
fn guest() -> String {
    let data: String = (0..PATTERN_LEN).map(|offset| format!("\\{:02x}", pattern_byte(offset))).collect();
    format!(
        r#"(module
  (import "warren_v1" "set_handler" (func $set_handler (param i32 i32) (result i32)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "msg_tag" (func $msg_tag (result i64)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 256) "on_message")
  (data (i32.const {PATTERN_START}) "{data}")
  (func (export "main")
    (if (call $set_handler (i32.const 256) (i32.const 10))
      (then (unreachable))))
  (func (export "on_message") (result i32)
    (local $tag i64) (local $at i32) (local $sum i64)
    (local.set $tag (call $msg_tag))
    (if (i64.eq (local.get $tag) (i64.const 2))
      (then (i32.store8 (i32.const 8192) (i32.add (i32.load8_u (i32.const 8192)) (i32.const 1)))))
    (local.set $at (i32.const {PATTERN_START}))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $at) (i32.const {end})))
        (local.set $sum (i64.add (local.get $sum) (i64.load8_u (local.get $at))))
        (local.set $at (i32.add (local.get $at) (i32.const 1)))
        (br $next)))
    (i64.store (i32.const 512) (local.get $sum))
    (drop (call $send (call $msg_sender) (i64.add (local.get $tag) (i64.const 100)) (i32.const 512) (i32.const 8)))
    (i64.eq (local.get $tag) (i64.const 9)))
)"#,
        end = PATTERN_START + PATTERN_LEN,
    )
}

/// Sends `pid` tag `tag` and returns the sum it replies with.
fn sum_after(inbox: &warren_host::Inbox, pid: Pid, tag: i64) -> i64 {
    inbox.send(pid, tag, b"");
    as_i64(&recv_tag(inbox, tag + 100).data)
}

/// Waits until the linear memory of `pid` (idle) has at most `pages` 4 KiB
/// pages in RAM; returns what it last saw.
fn until_resident_at_most(node: &Node, pid: Pid, pages: usize) -> usize {
    let start = Instant::now();
    loop {
        let resident = node.process_details(pid, 0, 0).and_then(|details| details.resident_linear_memory);
        if let Some(bytes) = resident
            && bytes <= pages * 4096
        {
            return bytes;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the idle process never gave its constant data back: {resident:?} bytes resident"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn an_idle_process_gives_its_constant_pages_back_and_reads_them_as_they_were() {
    let node = node(2);
    let module = load(&node, "constant_data", &guest());
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", b"");
    let pid = process.pid();
    assert_eq!(sum_after(&inbox, pid, 1), pattern_sum());
    // Page 0 (the handler's name, the reply) stays: the process wrote it.
    // The pattern's three pages, only read, go back to the kernel.
    assert_eq!(until_resident_at_most(&node, pid, 1), 4096);
    assert_eq!(sum_after(&inbox, pid, 1), pattern_sum(), "the pages came back as they were");
    // A page the process changed is its own: it stays, and keeps the change.
    assert_eq!(sum_after(&inbox, pid, 2), pattern_sum() + 1);
    assert_eq!(until_resident_at_most(&node, pid, 2), 2 * 4096);
    assert_eq!(sum_after(&inbox, pid, 1), pattern_sum() + 1);
    assert_eq!(until_resident_at_most(&node, pid, 2), 2 * 4096);
    node.exit(pid, ExitReason::Kill);
    finish(&process);
    // The next processes of the module (in a recycled store, as a rule)
    // see the module's data, not a zero page nor the last one's change.
    for _ in 0..3 {
        let next = spawn(&node, &module, "main", b"");
        assert_eq!(sum_after(&inbox, next.pid(), 1), pattern_sum());
        until_resident_at_most(&node, next.pid(), 1);
        assert_eq!(sum_after(&inbox, next.pid(), 9), pattern_sum());
        finish_normally(&next);
    }
}

#[test]
fn a_process_that_gave_its_constant_pages_back_hibernates_with_them() {
    let node = node_with(NodeConfig::default().schedulers(2).hibernate_after(Some(Duration::from_millis(300))));
    let module = load(&node, "constant_data", &guest());
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", b"");
    let pid = process.pid();
    assert_eq!(sum_after(&inbox, pid, 2), pattern_sum() + 1);
    until_resident_at_most(&node, pid, 2);
    until_hibernated(&node, pid);
    assert_eq!(sum_after(&inbox, pid, 1), pattern_sum() + 1, "woken with its data and its change");
    assert_eq!(sum_after(&inbox, pid, 9), pattern_sum() + 1);
    finish_normally(&process);
}

/// The SDK's heap (`guest-sdk/src/heap.rs`) starts right after the module's
/// data and grows a page at a time: an idle Rust GenServer that has served
/// requests keeps its state in the page its data ends in, and nothing at
/// the top of its memory (Rust's default allocator kept eight pages: a heap
/// at the end of the initial memory and a record at the top of each stretch).
#[test]
fn an_idle_rust_genserver_keeps_at_most_two_pages_of_linear_memory() {
    let node = node(2);
    let module = load_artifact(&node, warren_test_artifacts::EXAMPLE_COUNTER);
    let server = spawn(&node, &module, "counter_server", b"");
    let pid = server.pid();
    for _ in 0..20 {
        let state = node.get_state(pid, Duration::from_secs(10)).expect("the counter answers");
        assert_eq!(state, "Counter { count: 0 }");
    }
    let resident = until_resident_at_most(&node, pid, 2);
    assert!(resident > 0, "its state is in RAM");
    assert_eq!(
        node.get_state(pid, Duration::from_secs(10)).expect("the counter answers after its pages went"),
        "Counter { count: 0 }"
    );
    node.exit(pid, ExitReason::Kill);
    server.wait_timeout(Duration::from_secs(10)).expect("the counter ends");
}
