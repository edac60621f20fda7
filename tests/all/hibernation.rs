//! Hibernation: a handler-style process gives up its instance between
//! messages and wakes with its memory, globals and mailbox as they were.

use crate::common::*;
use std::time::Instant;
use warren_host::ERR_CANNOT_HIBERNATE;

/// A handler-style guest that hibernates after every message but tag 2.
///
/// `main` registers `on_message`, asks to hibernate and returns. Each call
/// of `on_message` counts itself in an exported mutable global and in
/// memory, bumps a byte of its data segment, grows its memory to two pages
/// on the first call (writing the call count past the first page), and
/// replies to the sender (tag + 100) with six i64s: calls (global), calls
/// (memory), the data-segment byte, memory pages, the count past the first
/// page, and what `hibernate` returned (in `main` for the first reply, in
/// the previous call after). Tag 9 ends the process.
const HIBERNATING: &str = r#"
(module
  (import "warren_v1" "set_handler" (func $set_handler (param i32 i32) (result i32)))
  (import "warren_v1" "hibernate" (func $hibernate (result i32)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "msg_tag" (func $msg_tag (result i64)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))
  (memory (export "memory") 1)
  (global $calls (export "calls") (mut i64) (i64.const 0))
  (data (i32.const 1024) "on_message")
  (data (i32.const 2048) "seed")
  (func (export "main")
    (if (call $set_handler (i32.const 1024) (i32.const 10))
      (then (unreachable)))
    (i32.store (i32.const 3000) (call $hibernate)))
  (func (export "on_message") (result i32)
    (local $tag i64)
    (local.set $tag (call $msg_tag))
    (global.set $calls (i64.add (global.get $calls) (i64.const 1)))
    (i64.store (i32.const 4096) (i64.add (i64.load (i32.const 4096)) (i64.const 1)))
    (i32.store8 (i32.const 2048) (i32.add (i32.load8_u (i32.const 2048)) (i32.const 1)))
    (if (i32.eq (memory.size) (i32.const 1))
      (then (drop (memory.grow (i32.const 1)))))
    (i64.store (i32.const 65636) (global.get $calls))
    (i64.store (i32.const 512) (global.get $calls))
    (i64.store (i32.const 520) (i64.load (i32.const 4096)))
    (i64.store (i32.const 528) (i64.load8_u (i32.const 2048)))
    (i64.store (i32.const 536) (i64.extend_i32_u (memory.size)))
    (i64.store (i32.const 544) (i64.load (i32.const 65636)))
    (i64.store (i32.const 552) (i64.extend_i32_s (i32.load (i32.const 3000))))
    (drop (call $send (call $msg_sender) (i64.add (local.get $tag) (i64.const 100))
                      (i32.const 512) (i32.const 48)))
    (if (i64.ne (local.get $tag) (i64.const 2))
      (then (i32.store (i32.const 3000) (call $hibernate))))
    (i64.eq (local.get $tag) (i64.const 9)))
)
"#;

#[test]
fn a_hibernated_process_wakes_with_its_memory_globals_and_data_as_it_left_them() {
    let node = node(2);
    let module = load(&node, "hibernating", HIBERNATING);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", b"");
    until_hibernated(&node, process.pid());
    for call in 1..=3 {
        inbox.send(process.pid(), 1, b"");
        let reply = recv_tag(&inbox, 101);
        // calls (global), calls (memory), 's' + calls, 2 pages, calls past
        // the first page, hibernate's result.
        assert_eq!(as_i64s(&reply.data), [call, call, i64::from(b's') + call, 2, call, i64::from(OK)]);
        until_hibernated(&node, process.pid());
    }
    // Tag 2: no hibernate this time; the process idles with its instance.
    inbox.send(process.pid(), 2, b"");
    assert_eq!(as_i64s(&recv_tag(&inbox, 102).data)[..2], [4, 4]);
    assert!(!node.is_hibernated(process.pid()));
    inbox.send(process.pid(), 9, b"");
    assert_eq!(as_i64s(&recv_tag(&inbox, 109).data)[..3], [5, 5, i64::from(b's') + 5]);
    finish_normally(&process);
}

#[test]
fn messages_sent_to_a_hibernated_process_are_handled_in_order() {
    let node = node(2);
    let module = load(&node, "hibernating", HIBERNATING);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", b"");
    until_hibernated(&node, process.pid());
    for _ in 0..100 {
        inbox.send(process.pid(), 1, b"");
    }
    for call in 1..=100 {
        assert_eq!(as_i64s(&recv_tag(&inbox, 101).data)[0], call);
    }
    until_hibernated(&node, process.pid());
    inbox.send(process.pid(), 9, b"");
    recv_tag(&inbox, 109);
    finish_normally(&process);
}

/// A hibernated process keeps what the node counts for it (its spawn
/// argument), and gives it back when it ends without waking: here killed,
/// after a round of waking and hibernating again.
#[test]
fn hibernated_processes_keep_their_counted_bytes_and_give_them_back_when_killed() {
    const PROCESSES: usize = 20;
    const ARG: usize = 4096;
    let node = node(2);
    let module = load(&node, "hibernating", HIBERNATING);
    let inbox = node.inbox();
    let processes: Vec<_> = (0..PROCESSES).map(|_| spawn(&node, &module, "main", &[7; ARG])).collect();
    for process in &processes {
        until_hibernated(&node, process.pid());
        inbox.send(process.pid(), 1, b"");
        assert_eq!(as_i64s(&recv_tag(&inbox, 101).data)[0], 1, "{} woke as it was", process.pid());
        until_hibernated(&node, process.pid());
    }
    assert!(node.host_memory() >= PROCESSES * ARG, "held while hibernated: {}", node.host_memory());
    for process in &processes {
        node.exit(process.pid(), ExitReason::Kill);
    }
    for process in &processes {
        assert_eq!(finish(process), ExitReason::Killed);
    }
    let deadline = Instant::now() + PATIENCE;
    while node.host_memory() > 0 && Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(node.host_memory(), 0, "every byte counted was given back");
}

#[test]
fn a_module_with_a_hidden_mutable_global_cannot_hibernate_and_keeps_running() {
    // The same guest plus a mutable global that is not exported: a fresh
    // instance could not restore it, so `hibernate` refuses.
    let hidden = HIBERNATING.replace(
        r#"(global $calls (export "calls") (mut i64) (i64.const 0))"#,
        r#"(global $calls (export "calls") (mut i64) (i64.const 0))
           (global $hidden (mut i32) (i32.const 0))"#,
    );
    let node = node(2);
    let module = load(&node, "hidden", &hidden);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", b"");
    for call in 1..=2 {
        inbox.send(process.pid(), 1, b"");
        let reply = as_i64s(&recv_tag(&inbox, 101).data);
        assert_eq!((reply[0], reply[5]), (call, i64::from(ERR_CANNOT_HIBERNATE)));
        assert!(!node.is_hibernated(process.pid()));
    }
    inbox.send(process.pid(), 9, b"");
    recv_tag(&inbox, 109);
    finish_normally(&process);
}

#[test]
fn a_module_that_changes_its_table_cannot_hibernate() {
    let node = node(1);
    let module = load(
        &node,
        "table-setter",
        r#"(module
             (import "warren_v1" "hibernate" (func $hibernate (result i32)))
             (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
             (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
             (memory (export "memory") 1)
             (table 1 funcref)
             (func $f)
             (elem declare func $f)
             (func (export "set") (table.set (i32.const 0) (ref.func $f)))
             (func (export "main")
               (drop (call $arg_read (i32.const 0) (i32.const 8)))
               (i64.store (i32.const 8) (i64.extend_i32_s (call $hibernate)))
               (drop (call $send (i64.load (i32.const 0)) (i64.const 1) (i32.const 8) (i32.const 8)))))"#,
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &pid_bytes(inbox.pid()));
    assert_eq!(as_i64(&recv_tag(&inbox, 1).data), i64::from(ERR_CANNOT_HIBERNATE));
    finish_normally(&process);
}

#[test]
fn a_rust_sdk_handler_keeps_its_static_state_across_hibernation() {
    let node = node(2);
    let module = load_artifact(&node, warren_test_artifacts::SDK_HANDLER);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "counter_main", b"");
    for _ in 0..3 {
        inbox.send(process.pid(), 1, b"");
    }
    inbox.send(process.pid(), 3, b"");
    assert_eq!(as_i64(&recv_tag(&inbox, 3).data), i64::from(OK), "hibernate");
    until_hibernated(&node, process.pid());
    for _ in 0..2 {
        inbox.send(process.pid(), 1, b"");
    }
    inbox.send(process.pid(), 2, b"");
    assert_eq!(as_i64(&recv_tag(&inbox, 2).data), 5, "the count survives hibernation");
    // Again, with the woken instance.
    inbox.send(process.pid(), 3, b"");
    recv_tag(&inbox, 3);
    until_hibernated(&node, process.pid());
    inbox.send(process.pid(), 2, b"");
    assert_eq!(as_i64(&recv_tag(&inbox, 2).data), 5);
    inbox.send(process.pid(), 99, b"");
    finish_normally(&process);
}

#[test]
fn a_minimal_rust_guest_hibernates_and_wakes_for_a_message() {
    let node = node(1);
    let module = load_artifact(&node, warren_test_artifacts::MINIMAL);
    let process = spawn(&node, &module, "sleep_main", b"");
    until_hibernated(&node, process.pid());
    node.inbox().send(process.pid(), 1, b"wake up");
    let start = Instant::now();
    while node.is_hibernated(process.pid()) {
        assert!(start.elapsed() < PATIENCE, "the message never woke the process");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    assert!(node.is_alive(process.pid()), "it handled the message and went idle");
}

#[test]
fn a_rust_handler_returning_control_hibernate_hibernates_and_still_echoes() {
    let node = node(2);
    let module = load_artifact(&node, warren_test_artifacts::SDK_HANDLER);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", b"");
    inbox.send(process.pid(), 4, b"sleep well");
    assert_eq!(&*recv_tag(&inbox, 4).data, b"sleep well");
    until_hibernated(&node, process.pid());
    inbox.send(process.pid(), 5, b"awake");
    assert_eq!(&*recv_tag(&inbox, 5).data, b"awake");
    assert!(!node.is_hibernated(process.pid()), "tag 5 does not hibernate");
    inbox.send(process.pid(), 99, b"");
    recv_tag(&inbox, 99);
    finish_normally(&process);
}

/// A handler-style echo that never asks to hibernate: `main` registers
/// `echo`, which replies to each message with its tag and ends after tag 9.
/// It keeps a count in memory and an exported global, reported in the reply.
const ECHO_HANDLER: &str = r#"
(module
  (import "warren_v1" "set_handler" (func $set_handler (param i32 i32) (result i32)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "msg_tag" (func $msg_tag (result i64)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))
  (memory (export "memory") 1)
  (global $calls (export "calls") (mut i64) (i64.const 0))
  (data (i32.const 1024) "echo")
  (func (export "main")
    (if (call $set_handler (i32.const 1024) (i32.const 4))
      (then (unreachable))))
  (func (export "echo") (result i32)
    (global.set $calls (i64.add (global.get $calls) (i64.const 1)))
    (i64.store (i32.const 512) (global.get $calls))
    (drop (call $send (call $msg_sender) (call $msg_tag) (i32.const 512) (i32.const 8)))
    (i64.eq (call $msg_tag) (i64.const 9)))
)
"#;

#[test]
fn with_hibernate_after_an_idle_handler_process_hibernates_by_itself() {
    let node =
        node_with(NodeConfig::default().schedulers(2).hibernate_after(Some(std::time::Duration::from_millis(5))));
    let module = load(&node, "echo-handler", ECHO_HANDLER);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", b"");
    for call in 1..=3 {
        inbox.send(process.pid(), 1, b"");
        assert_eq!(as_i64(&recv_tag(&inbox, 1).data), call);
        until_hibernated(&node, process.pid());
    }
    // Each message cancels the idle timer armed after the one before: at
    // most the last one is pending.
    for call in 4..=50 {
        inbox.send(process.pid(), 2, b"");
        assert_eq!(as_i64(&recv_tag(&inbox, 2).data), call);
    }
    assert!(node.pending_timers() <= 1, "{} idle timers pending", node.pending_timers());
    inbox.send(process.pid(), 9, b"");
    assert_eq!(as_i64(&recv_tag(&inbox, 9).data), 51);
    finish_normally(&process);
    assert_eq!(node.pending_timers(), 0, "no idle timer outlives the process");
}

#[test]
fn without_hibernate_after_an_idle_handler_process_keeps_its_instance() {
    let node = node(1);
    let module = load(&node, "echo-handler", ECHO_HANDLER);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", b"");
    inbox.send(process.pid(), 1, b"");
    recv_tag(&inbox, 1);
    std::thread::sleep(std::time::Duration::from_millis(20));
    assert!(!node.is_hibernated(process.pid()));
    assert_eq!(node.pending_timers(), 0, "no idle timer is armed");
    inbox.send(process.pid(), 9, b"");
    finish_normally(&process);
}

/// A handler that hibernates after every message, keeping a count in an
/// exported global, in memory and in a byte of its data segment (its memory
/// never grows, so its stores can be recycled). Each reply (tag + 100)
/// carries the three counts and the process's own id (its spawn argument,
/// kept in memory at 600).
const COUNTING_SLEEPER: &str = r#"
(module
  (import "warren_v1" "set_handler" (func $set_handler (param i32 i32) (result i32)))
  (import "warren_v1" "hibernate" (func $hibernate (result i32)))
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "msg_tag" (func $msg_tag (result i64)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))
  (memory (export "memory") 1)
  (global $calls (export "calls") (mut i64) (i64.const 0))
  (data (i32.const 1024) "on_message")
  (data (i32.const 2048) "\10")
  (func (export "main")
    (drop (call $arg_read (i32.const 600) (i32.const 8)))
    (if (call $set_handler (i32.const 1024) (i32.const 10))
      (then (unreachable)))
    (drop (call $hibernate)))
  (func (export "on_message") (result i32)
    (local $tag i64)
    (local.set $tag (call $msg_tag))
    (global.set $calls (i64.add (global.get $calls) (i64.const 1)))
    (i64.store (i32.const 4096) (i64.add (i64.load (i32.const 4096)) (i64.const 1)))
    (i32.store8 (i32.const 2048) (i32.add (i32.load8_u (i32.const 2048)) (i32.const 1)))
    (i64.store (i32.const 512) (global.get $calls))
    (i64.store (i32.const 520) (i64.load (i32.const 4096)))
    (i64.store (i32.const 528) (i64.load8_u (i32.const 2048)))
    (i64.store (i32.const 536) (i64.load (i32.const 600)))
    (drop (call $send (call $msg_sender) (i64.add (local.get $tag) (i64.const 100))
                      (i32.const 512) (i32.const 32)))
    (drop (call $hibernate))
    (i64.eq (local.get $tag) (i64.const 9)))
)
"#;

/// Processes of one module that hibernate and wake many times on one
/// scheduler: their stores go back to the thread's spares when they
/// hibernate and serve later wakes (of the same process or another) once
/// reset. Each process keeps its own counts, whichever store it wakes in.
#[test]
fn hibernating_processes_sharing_recycled_stores_keep_their_own_state() {
    let node = node(1);
    let module = load(&node, "counting-sleeper", COUNTING_SLEEPER);
    let inbox = node.inbox();
    let processes: Vec<_> = (0..3u64).map(|id| spawn(&node, &module, "main", &(id + 1).to_le_bytes())).collect();
    for round in 1..=40i64 {
        for (id, process) in processes.iter().enumerate() {
            until_hibernated(&node, process.pid());
            inbox.send(process.pid(), 1, b"");
            let reply = as_i64s(&recv_tag(&inbox, 101).data);
            // calls (global), calls (memory), 0x10 + calls (data byte), id
            assert_eq!(reply, [round, round, 0x10 + round, id as i64 + 1], "process {id}, round {round}");
        }
    }
    for process in &processes {
        inbox.send(process.pid(), 9, b"");
        recv_tag(&inbox, 109);
        finish_normally(process);
    }
}
