//! Spawning, sending and receiving.

use crate::common::*;
use std::collections::HashMap;

#[test]
fn echo_round_trip_through_a_guest() {
    let node = node(2);
    let module = load(
        &node,
        "echo",
        &wat(r#"
        (func (export "main")
          (local $len i32)
          (local.set $len (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
          (drop (call $msg_read (i32.const 0) (i32.const 100) (local.get $len)))
          (drop (call $send (call $msg_sender) (i64.add (call $msg_tag) (i64.const 1)) (i32.const 100) (local.get $len))))
        "#),
    );
    let inbox = node.inbox();
    let process = node.spawn(&module, "main", b"").unwrap();
    inbox.send(process.pid(), 41, b"hello");
    let reply = recv(&inbox);
    assert_eq!((reply.tag, &*reply.data, reply.sender), (42, &b"hello"[..], process.pid()));
    assert!(process.wait().is_normal());
}

#[test]
fn a_guest_spawns_a_child_and_they_exchange_messages() {
    let node = node(2);
    let module = load(
        &node,
        "parent-child",
        &wat(r#"
        (data (i32.const 1024) "child")
        ;; main: spawns `child` with [own pid], sends it 21 (tag 1), waits
        ;; for the answer (tag 2) and reports it with tag 7.
        (func (export "main")
          (local $reporter i64)
          (local $child i64)
          (local.set $reporter (call $arg_pid))
          (i64.store (i32.const 16) (call $self))
          (local.set $child (call $spawn (i32.const 1024) (i32.const 5) (i32.const 16) (i32.const 8)))
          (call $report (local.get $reporter) (i64.const 6) (local.get $child))
          (call $report (local.get $child) (i64.const 1) (i64.const 21))
          (i64.store (i32.const 24) (i64.const 2))
          (drop (call $receive (i32.const 24) (i32.const 1) (i64.const -1)))
          (drop (call $msg_read (i32.const 0) (i32.const 32) (i32.const 8)))
          (call $report (local.get $reporter) (i64.const 7) (i64.load (i32.const 32))))
        ;; child: doubles the number it gets and sends it to its parent.
        (func (export "child")
          (local $parent i64)
          (local.set $parent (call $arg_pid))
          (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
          (drop (call $msg_read (i32.const 0) (i32.const 16) (i32.const 8)))
          (call $report (local.get $parent) (i64.const 2) (i64.mul (i64.load (i32.const 16)) (i64.const 2))))
        "#),
    );
    let inbox = node.inbox();
    let parent = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    let child = as_i64(&recv_tag(&inbox, 6).data);
    assert!(child > 0, "spawn returned {child}");
    assert_ne!(child as u64, parent.pid().raw());
    let answer = recv_tag(&inbox, 7);
    assert_eq!((answer.sender, as_i64(&answer.data)), (parent.pid(), 42));
    finish_normally(&parent);
}

/// A receiver that forwards every message to the reporter as
/// `[original sender: i64][payload: 4 bytes]` under the same tag, and
/// returns after `total` messages; senders that send `count` numbered
/// messages to a receiver.
const FIFO: &str = r#"
  ;; argument: [reporter: i64][total: u32]
  (func (export "receiver")
    (local $reporter i64)
    (local $total i32)
    (local $n i32)
    (local.set $reporter (call $arg_pid))
    (drop (call $arg_read (i32.const 16) (i32.const 12)))
    (local.set $total (i32.load (i32.const 24)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $n) (local.get $total)))
        (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
        (i64.store (i32.const 32) (call $msg_sender))
        (drop (call $msg_read (i32.const 0) (i32.const 40) (i32.const 4)))
        (drop (call $send (local.get $reporter) (call $msg_tag) (i32.const 32) (i32.const 12)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $next))))
  ;; argument: [receiver: i64][count: u32]; sends 0..count (u32 LE), tag 1
  (func (export "sender")
    (local $to i64)
    (local $count i32)
    (local $i i32)
    (drop (call $arg_read (i32.const 16) (i32.const 12)))
    (local.set $to (i64.load (i32.const 16)))
    (local.set $count (i32.load (i32.const 24)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $count)))
        (i32.store (i32.const 32) (local.get $i))
        (drop (call $send (local.get $to) (i64.const 1) (i32.const 32) (i32.const 4)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))
"#;

#[test]
fn messages_from_one_sender_arrive_in_send_order_under_two_schedulers() {
    const SENDERS: usize = 3;
    const EACH: u32 = 1_000;
    let node = node(2);
    let module = load(&node, "fifo", &wat(FIFO));
    let inbox = node.inbox();
    let total = (SENDERS as u32 * EACH).to_le_bytes();
    let receiver = spawn(&node, &module, "receiver", &reporter_arg(&inbox, &total));
    let mut arg = pid_bytes(receiver.pid()).to_vec();
    arg.extend_from_slice(&EACH.to_le_bytes());
    let senders: Vec<ProcessHandle> = (0..SENDERS).map(|_| spawn(&node, &module, "sender", &arg)).collect();

    let mut seen: HashMap<u64, Vec<u32>> = HashMap::new();
    for _ in 0..SENDERS as u32 * EACH {
        let message = recv_tag(&inbox, 1);
        assert_eq!(message.sender, receiver.pid());
        let from = u64::from_le_bytes(message.data[..8].try_into().unwrap());
        seen.entry(from).or_default().push(as_u32(&message.data[8..]));
    }
    let expected: Vec<u32> = (0..EACH).collect();
    for sender in &senders {
        let numbers = seen.remove(&sender.pid().raw()).unwrap_or_default();
        assert!(numbers == expected, "sender {} out of order: {numbers:?}", sender.pid());
        finish_normally(sender);
    }
    assert!(seen.is_empty(), "messages from unknown senders: {:?}", seen.keys());
    finish_normally(&receiver);
}

#[test]
fn messages_from_the_host_arrive_in_send_order() {
    let node = node(2);
    let module = load(&node, "echo", &wat(ECHO));
    let inbox = node.inbox();
    let echo = spawn(&node, &module, "main", b"");
    for i in 1..=500u32 {
        inbox.send(echo.pid(), 1, &i.to_le_bytes());
    }
    inbox.send(echo.pid(), 0, b"");
    for i in 1..=500u32 {
        let reply = recv_tag(&inbox, 1);
        assert_eq!(as_u32(&reply.data), i);
    }
    recv_tag(&inbox, 0);
    finish_normally(&echo);
}

#[test]
fn selective_receive_takes_the_oldest_match_and_leaves_the_rest_queued_in_order() {
    let node = node(2);
    let module = load(
        &node,
        "selective",
        &wat(r#"
        ;; tag filters: [3] at 64, [2] at 72, [2, 1] at 80
        (data (i32.const 64) "\03\00\00\00\00\00\00\00\02\00\00\00\00\00\00\00\02\00\00\00\00\00\00\00\01\00\00\00\00\00\00\00")
        (global $reporter (mut i64) (i64.const 0))
        ;; receives with a filter and reports (tag, index) as tag 100 + step
        (func $take (param $step i64) (param $filter i32) (param $count i32)
          (local $len i32)
          (local.set $len (call $receive (local.get $filter) (local.get $count) (i64.const 0)))
          (if (i32.lt_s (local.get $len) (i32.const 0))
            (then (call $report (global.get $reporter) (i64.add (i64.const 100) (local.get $step))
                            (i64.extend_i32_s (local.get $len))))
            (else
              (i64.store (i32.const 16) (i64.const 0))
              (drop (call $msg_read (i32.const 0) (i32.const 16) (i32.const 1)))
              (call $report (global.get $reporter) (i64.add (i64.const 100) (local.get $step))
                (i64.add (i64.mul (call $msg_tag) (i64.const 1000)) (i64.load (i32.const 16)))))))
        (func (export "main")
          (local $i i32)
          (global.set $reporter (call $arg_pid))
          ;; tags 1, 2, 3, 1, 2, 3 with payload = index 0..6 (one byte)
          (loop $send
            (i32.store8 (i32.const 24) (local.get $i))
            (drop (call $send (call $self)
              (i64.extend_i32_u (i32.add (i32.rem_u (local.get $i) (i32.const 3)) (i32.const 1)))
              (i32.const 24) (i32.const 1)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $send (i32.lt_u (local.get $i) (i32.const 6))))
          (call $take (i64.const 0) (i32.const 64) (i32.const 1))  ;; [3]
          (call $take (i64.const 1) (i32.const 64) (i32.const 1))  ;; [3]
          (call $take (i64.const 2) (i32.const 64) (i32.const 1))  ;; [3]: none left
          (call $take (i64.const 3) (i32.const 72) (i32.const 1))  ;; [2]
          (call $take (i64.const 4) (i32.const 80) (i32.const 2))  ;; [2, 1]
          (call $take (i64.const 5) (i32.const 0) (i32.const 0))   ;; any
          (call $take (i64.const 6) (i32.const 0) (i32.const 0))   ;; any
          (call $take (i64.const 7) (i32.const 0) (i32.const 0)))  ;; any: empty
        "#),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    let got: Vec<i64> = (100..108).map(|tag| as_i64(&recv_tag(&inbox, tag).data)).collect();
    let timeout = i64::from(ERR_TIMEOUT);
    // tag * 1000 + index: the two tag 3 first (oldest first), then nothing
    // for [3], then the oldest tag 2, the oldest of tags 1 and 2, then the
    // rest in arrival order.
    assert_eq!(got, [3002, 3005, timeout, 2001, 1000, 1003, 2004, timeout]);
    finish_normally(&process);
}

#[test]
fn msg_queue_len_counts_the_waiting_messages_those_passed_over_included() {
    let node = node(2);
    let module = load(
        &node,
        "queue-len",
        &wat(r#"
        (data (i32.const 64) "\09\00\00\00\00\00\00\00")
        ;; Waits for tag 9 (passing over what came before it), then reports
        ;; the queue's length (tag 100), takes one message of any tag and
        ;; reports it again (tag 101), then takes the rest and reports the
        ;; last length (tag 102).
        (func (export "main")
          (local $reporter i64)
          (local.set $reporter (call $arg_pid))
          (drop (call $receive (i32.const 64) (i32.const 1) (i64.const -1)))
          (call $report (local.get $reporter) (i64.const 100) (i64.extend_i32_s (call $msg_queue_len)))
          (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
          (call $report (local.get $reporter) (i64.const 101) (i64.extend_i32_s (call $msg_queue_len)))
          (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
          (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
          (call $report (local.get $reporter) (i64.const 102) (i64.extend_i32_s (call $msg_queue_len))))
        "#),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    for tag in [1, 2, 3, 9] {
        inbox.send(process.pid(), tag, b"");
    }
    // Tags 1, 2 and 3 wait (passed over by the receive of tag 9, which is
    // current and not counted); then two, then none.
    assert_eq!(as_i64(&recv_tag(&inbox, 100).data), 3);
    assert_eq!(as_i64(&recv_tag(&inbox, 101).data), 2);
    assert_eq!(as_i64(&recv_tag(&inbox, 102).data), 0);
    finish_normally(&process);
}

#[test]
fn a_receive_may_name_many_tags_and_the_next_receive_names_its_own() {
    let node = node(2);
    let module = load(
        &node,
        "many_tags",
        &wat(r#"
        (global $reporter (mut i64) (i64.const 0))
        ;; receives with `count` tags at `filter`, waiting `timeout`, and
        ;; reports tag * 1000 + the first payload byte as tag 100 + step
        (func $take (param $step i64) (param $filter i32) (param $count i32) (param $timeout i64)
          (local $len i32)
          (local.set $len (call $receive (local.get $filter) (local.get $count) (local.get $timeout)))
          (i64.store (i32.const 16) (i64.const 0))
          (if (i32.ge_s (local.get $len) (i32.const 0))
            (then (drop (call $msg_read (i32.const 0) (i32.const 16) (i32.const 1)))))
          (call $report (global.get $reporter) (i64.add (i64.const 100) (local.get $step))
            (select (i64.add (i64.mul (call $msg_tag) (i64.const 1000)) (i64.load (i32.const 16)))
                    (i64.extend_i32_s (local.get $len))
                    (i32.ge_s (local.get $len) (i32.const 0)))))
        (func (export "main")
          (local $i i32)
          (global.set $reporter (call $arg_pid))
          ;; twelve tags, 20..31, at 200; one tag, 1, at 64
          (loop $fill
            (i64.store (i32.add (i32.const 200) (i32.shl (local.get $i) (i32.const 3)))
                       (i64.extend_i32_u (i32.add (local.get $i) (i32.const 20))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $fill (i32.lt_u (local.get $i) (i32.const 12))))
          (i64.store (i32.const 64) (i64.const 1))
          ;; tag 1 (payload 7) and tag 31 (payload 8) to itself
          (i32.store8 (i32.const 24) (i32.const 7))
          (drop (call $send (call $self) (i64.const 1) (i32.const 24) (i32.const 1)))
          (i32.store8 (i32.const 24) (i32.const 8))
          (drop (call $send (call $self) (i64.const 31) (i32.const 24) (i32.const 1)))
          (call $take (i64.const 0) (i32.const 200) (i32.const 12) (i64.const 0))   ;; 31, skipping 1
          (call $take (i64.const 1) (i32.const 200) (i32.const 12) (i64.const -1))  ;; waits: the host's 25
          (call $take (i64.const 2) (i32.const 64) (i32.const 1) (i64.const 0))     ;; [1]
          (call $take (i64.const 3) (i32.const 200) (i32.const 12) (i64.const 0))  ;; none of them left
          (call $take (i64.const 4) (i32.const 0) (i32.const 0) (i64.const 0)))    ;; any: the host's 2
        "#),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    assert_eq!(as_i64(&recv_tag(&inbox, 100).data), 31_008);
    // It waits for one of its twelve tags: a 2 does not match, a 25 does.
    inbox.send(process.pid(), 2, &[9]);
    inbox.send(process.pid(), 25, &[5]);
    let got: Vec<i64> = (101..105).map(|tag| as_i64(&recv_tag(&inbox, tag).data)).collect();
    assert_eq!(got, [25_005, 1_007, i64::from(ERR_TIMEOUT), 2_009]);
    finish_normally(&process);
}

#[test]
fn receive_with_a_timeout_returns_err_timeout_when_nothing_comes() {
    let node = node(2);
    let module = load(
        &node,
        "timeout",
        &wat(r#"
        (func (export "main")
          (local $reporter i64)
          (local.set $reporter (call $arg_pid))
          (call $report (local.get $reporter) (i64.const 1)
            (i64.extend_i32_s (call $receive (i32.const 0) (i32.const 0) (i64.const 20))))
          ;; a message whose tag is not asked for does not end the wait
          (drop (call $send (call $self) (i64.const 4) (i32.const 0) (i32.const 0)))
          (i64.store (i32.const 16) (i64.const 5))
          (call $report (local.get $reporter) (i64.const 2)
            (i64.extend_i32_s (call $receive (i32.const 16) (i32.const 1) (i64.const 20))))
          ;; and it is still there afterwards
          (call $report (local.get $reporter) (i64.const 3)
            (i64.extend_i32_s (call $receive (i32.const 0) (i32.const 0) (i64.const 0))))
          (call $report (local.get $reporter) (i64.const 4) (call $msg_tag)))
        "#),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    assert_eq!(as_i64(&recv_tag(&inbox, 1).data), i64::from(ERR_TIMEOUT));
    assert_eq!(as_i64(&recv_tag(&inbox, 2).data), i64::from(ERR_TIMEOUT));
    assert_eq!(as_i64(&recv_tag(&inbox, 3).data), 0, "the tag 4 message (empty) is still queued");
    assert_eq!(as_i64(&recv_tag(&inbox, 4).data), 4);
    finish_normally(&process);
}

#[test]
fn receive_with_a_timeout_returns_a_message_that_arrives_while_it_waits() {
    let node = node(2);
    let module = load(
        &node,
        "late",
        &wat(r#"
        (func (export "main")
          (local $reporter i64)
          (local.set $reporter (call $arg_pid))
          (call $report (local.get $reporter) (i64.const 1) (i64.const 0))  ;; ready
          (i64.store (i32.const 16) (i64.const 5))
          ;; the patience bound of the test, so this never times out first
          (call $report (local.get $reporter) (i64.const 2)
            (i64.extend_i32_s (call $receive (i32.const 16) (i32.const 1) (i64.const 30000))))
          (call $report (local.get $reporter) (i64.const 3) (call $msg_tag)))
        "#),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    recv_tag(&inbox, 1);
    inbox.send(process.pid(), 5, b"abc");
    assert_eq!(as_i64(&recv_tag(&inbox, 2).data), 3, "receive returns the message's length");
    assert_eq!(as_i64(&recv_tag(&inbox, 3).data), 5);
    finish_normally(&process);
}

#[test]
fn polling_with_timeout_zero_returns_err_timeout_at_once_on_an_empty_mailbox() {
    let node = node(1);
    let module = load(
        &node,
        "poll",
        &wat(r#"
        (func (export "main")
          (local $reporter i64)
          (local.set $reporter (call $arg_pid))
          (call $report (local.get $reporter) (i64.const 1)
            (i64.extend_i32_s (call $receive (i32.const 0) (i32.const 0) (i64.const 0))))
          ;; a non-matching message does not satisfy a filtered poll
          (drop (call $send (call $self) (i64.const 4) (i32.const 16) (i32.const 3)))
          (i64.store (i32.const 24) (i64.const 9))
          (call $report (local.get $reporter) (i64.const 2)
            (i64.extend_i32_s (call $receive (i32.const 24) (i32.const 1) (i64.const 0))))
          ;; a matching one does
          (i64.store (i32.const 24) (i64.const 4))
          (call $report (local.get $reporter) (i64.const 3)
            (i64.extend_i32_s (call $receive (i32.const 24) (i32.const 1) (i64.const 0)))))
        "#),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    assert_eq!(as_i64(&recv_tag(&inbox, 1).data), i64::from(ERR_TIMEOUT));
    assert_eq!(as_i64(&recv_tag(&inbox, 2).data), i64::from(ERR_TIMEOUT));
    assert_eq!(as_i64(&recv_tag(&inbox, 3).data), 3);
    finish_normally(&process);
}

#[test]
fn sending_to_a_dead_pid_returns_ok_and_the_message_is_dropped() {
    let node = node(2);
    let module = load(
        &node,
        "dead-letter",
        &wat(r#"
        ;; argument: [reporter][dead pid][live pid]
        (func (export "main")
          (local $reporter i64)
          (local.set $reporter (call $arg_pid))
          (drop (call $arg_read (i32.const 16) (i32.const 24)))
          ;; to the dead pid, to a pid that never existed, to pid 0 ...
          (call $report (local.get $reporter) (i64.const 1)
            (i64.extend_i32_s (call $send (i64.load (i32.const 24)) (i64.const 3) (i32.const 16) (i32.const 8))))
          (call $report (local.get $reporter) (i64.const 2)
            (i64.extend_i32_s (call $send (i64.const 0x7fffffffffffffff) (i64.const 3) (i32.const 16) (i32.const 8))))
          (call $report (local.get $reporter) (i64.const 3)
            (i64.extend_i32_s (call $send (i64.const 0) (i64.const 3) (i32.const 16) (i32.const 8))))
          ;; ... then a marker (tag 4) to the live process
          (call $report (i64.load (i32.const 32)) (i64.const 4) (i64.const 0)))
        (func (export "quick"))
        ;; reports the tag of the first message it gets (tag 5), then returns
        (func (export "first")
          (local $reporter i64)
          (local.set $reporter (call $arg_pid))
          (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
          (call $report (local.get $reporter) (i64.const 5) (call $msg_tag)))
        "#),
    );
    let inbox = node.inbox();
    let dead = spawn(&node, &module, "quick", b"");
    finish_normally(&dead);
    assert!(!node.is_alive(dead.pid()));
    // Spawned after the death, the live process may take the dead one's
    // slot: the dead pid's mail must not reach it.
    let live = spawn(&node, &module, "first", &reporter_arg(&inbox, b""));
    let mut arg = reporter_arg(&inbox, &pid_bytes(dead.pid()));
    arg.extend_from_slice(&pid_bytes(live.pid()));
    let sender = spawn(&node, &module, "main", &arg);
    let by_tag = recv_by_tag(&inbox, 4);
    assert_eq!(as_i64(&by_tag[&1].data), i64::from(OK), "send to a dead pid");
    assert_eq!(as_i64(&by_tag[&2].data), i64::from(OK), "send to a pid that never existed");
    assert_eq!(as_i64(&by_tag[&3].data), i64::from(OK), "send to pid 0");
    assert_eq!(as_i64(&by_tag[&5].data), 4, "the live process got the marker first, nothing before it");
    finish_normally(&sender);
    finish_normally(&live);
    // The host may send to a dead pid too; nothing happens.
    inbox.send(dead.pid(), 1, b"nobody home");
    assert_node_still_runs(&node);
}

#[test]
fn a_stale_pid_never_reaches_the_process_that_reuses_its_slot() {
    let node = node(1);
    let module = load(
        &node,
        "stale",
        &wat(r#"
        (func (export "quick"))
        ;; reports the tag of the first message it gets, then returns
        (func (export "first")
          (local $reporter i64)
          (local.set $reporter (call $arg_pid))
          (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
          (call $report (local.get $reporter) (i64.const 1) (call $msg_tag)))
        "#),
    );
    let inbox = node.inbox();
    for _ in 0..20 {
        let dead = spawn(&node, &module, "quick", b"");
        finish_normally(&dead);
        let next = spawn(&node, &module, "first", &reporter_arg(&inbox, b""));
        assert_ne!(next.pid(), dead.pid(), "a pid was reused");
        inbox.send(dead.pid(), 66, b"stale");
        inbox.send(next.pid(), 7, b"fresh");
        assert_eq!(as_i64(&recv_tag(&inbox, 1).data), 7, "the stale message reached {}", next.pid());
        finish_normally(&next);
    }
}

#[test]
fn send_with_a_negative_tag_returns_err_badarg_and_sends_nothing() {
    let node = node(2);
    let module = load(
        &node,
        "negative-tag",
        &wat(r#"
        (func (export "main")
          (local $reporter i64)
          (local.set $reporter (call $arg_pid))
          (call $report (local.get $reporter) (i64.const 1)
            (i64.extend_i32_s (call $send (call $self) (i64.const -1) (i32.const 16) (i32.const 4))))
          (call $report (local.get $reporter) (i64.const 2)
            (i64.extend_i32_s (call $send (local.get $reporter) (i64.const 0x8000000000000000) (i32.const 16) (i32.const 4))))
          (call $report (local.get $reporter) (i64.const 3)
            (i64.extend_i32_s (call $receive (i32.const 0) (i32.const 0) (i64.const 0)))))
        "#),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    assert_eq!(as_i64(&recv_tag(&inbox, 1).data), i64::from(ERR_BADARG));
    let second = recv(&inbox);
    assert_eq!((second.tag, as_i64(&second.data)), (2, i64::from(ERR_BADARG)), "i64::MIN is negative too");
    assert_eq!(as_i64(&recv_tag(&inbox, 3).data), i64::from(ERR_TIMEOUT), "nothing was sent to itself");
    finish_normally(&process);
}

#[test]
fn a_message_larger_than_the_node_maximum_returns_err_limit() {
    let node = node_with(NodeConfig::default().schedulers(1).max_message(16));
    let module = load(
        &node,
        "big",
        &wat(r#"
        (func (export "main")
          (local $reporter i64)
          (local.set $reporter (call $arg_pid))
          (call $report (local.get $reporter) (i64.const 1)
            (i64.extend_i32_s (call $send (local.get $reporter) (i64.const 9) (i32.const 16) (i32.const 16))))
          (call $report (local.get $reporter) (i64.const 2)
            (i64.extend_i32_s (call $send (local.get $reporter) (i64.const 9) (i32.const 16) (i32.const 17)))))
        "#),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    assert_eq!(recv_tag(&inbox, 9).data.len(), 16);
    assert_eq!(as_i64(&recv_tag(&inbox, 1).data), i64::from(OK));
    assert_eq!(as_i64(&recv_tag(&inbox, 2).data), i64::from(ERR_LIMIT));
    finish_normally(&process);
}

#[test]
fn msg_read_copies_from_the_given_offset_and_the_message_stays_current() {
    let node = node(2);
    let module = load(
        &node,
        "msg-read",
        &wat(r#"
        (func (export "main")
          (local $reporter i64)
          (local.set $reporter (call $arg_pid))
          (call $report (local.get $reporter) (i64.const 1)
            (i64.extend_i32_s (call $receive (i32.const 0) (i32.const 0) (i64.const -1))))
          (call $report (local.get $reporter) (i64.const 2) (i64.extend_i32_s (call $msg_size)))
          (call $report (local.get $reporter) (i64.const 3) (call $msg_sender))
          ;; "world": from offset 6, a buffer larger than what is left
          (call $report (local.get $reporter) (i64.const 4)
            (i64.extend_i32_s (call $msg_read (i32.const 6) (i32.const 100) (i32.const 50))))
          (drop (call $send (local.get $reporter) (i64.const 5) (i32.const 100) (i32.const 5)))
          ;; "lo w": from offset 3, a 4-byte buffer
          (call $report (local.get $reporter) (i64.const 6)
            (i64.extend_i32_s (call $msg_read (i32.const 3) (i32.const 200) (i32.const 4))))
          (drop (call $send (local.get $reporter) (i64.const 7) (i32.const 200) (i32.const 4)))
          ;; at and past the end: nothing
          (call $report (local.get $reporter) (i64.const 8)
            (i64.extend_i32_s (call $msg_read (i32.const 11) (i32.const 300) (i32.const 10))))
          (call $report (local.get $reporter) (i64.const 9)
            (i64.extend_i32_s (call $msg_read (i32.const 1000) (i32.const 300) (i32.const 10))))
          ;; the whole message again: reading does not consume it
          (call $report (local.get $reporter) (i64.const 10)
            (i64.extend_i32_s (call $msg_read (i32.const 0) (i32.const 400) (i32.const 11))))
          (drop (call $send (local.get $reporter) (i64.const 11) (i32.const 400) (i32.const 11)))
          (call $report (local.get $reporter) (i64.const 12) (call $msg_tag)))
        "#),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    inbox.send(process.pid(), 33, b"hello world");
    let mut values = Vec::new();
    let mut texts = Vec::new();
    for tag in 1..=12 {
        let message = recv_tag(&inbox, tag);
        if [5, 7, 11].contains(&tag) {
            texts.push(String::from_utf8(message.data.to_vec()).unwrap());
        } else {
            values.push(as_i64(&message.data));
        }
    }
    assert_eq!(values, [11, 11, inbox.pid().raw() as i64, 5, 4, 0, 0, 11, 33]);
    assert_eq!(texts, ["world", "lo w", "hello world"]);
    finish_normally(&process);
}

/// receive_into.wat: `main` takes messages with `receive_into` into a
/// buffer at 256 whose length is the argument's u32 at 16, and forwards to
/// the reporter, under tag 1, the call's result then the buffer's first
/// 16 + the argument's u32 at 20 bytes; then, under tag 2, what `msg_tag`
/// and `msg_read` say of the same message (it is current). A non-zero u32
/// at 24 of the argument is the one tag it takes. After an empty message it
/// polls once with `receive` (any tag) and reports the result (tag 3) and
/// `msg_tag` (tag 4), then ends.
const RECEIVE_INTO: &str = r#"
  ;; argument: [reporter][buffer len: u32][bytes shown: u32][only tag: u32]
  (func (export "main")
    (local $reporter i64)
    (local $n i32)
    (local $tags i32)
    (local.set $reporter (call $arg_pid))
    (drop (call $arg_read (i32.const 8) (i32.const 20)))
    (local.set $tags (i32.ne (i32.load (i32.const 24)) (i32.const 0)))
    (i64.store (i32.const 32) (i64.extend_i32_u (i32.load (i32.const 24))))
    (loop $next
      ;; marks the buffer, to see what the host wrote
      (memory.fill (i32.const 256) (i32.const 0xee) (i32.const 1024))
      (local.set $n (call $receive_into (i32.const 32) (local.get $tags) (i64.const -1)
                                        (i32.const 256) (i32.load (i32.const 16))))
      (i32.store (i32.const 252) (local.get $n))
      (drop (call $send (local.get $reporter) (i64.const 1) (i32.const 252)
                        (i32.add (i32.const 20) (i32.load (i32.const 20)))))
      (i64.store (i32.const 2048) (call $msg_tag))
      (i32.store (i32.const 2056) (call $msg_read (i32.const 0) (i32.const 2060) (i32.const 100)))
      (drop (call $send (local.get $reporter) (i64.const 2) (i32.const 2048)
                        (i32.add (i32.const 12) (i32.load (i32.const 2056)))))
      (br_if $next (i32.gt_s (local.get $n) (i32.const 0))))
    (call $report (local.get $reporter) (i64.const 3)
      (i64.extend_i32_s (call $receive (i32.const 0) (i32.const 0) (i64.const 0))))
    (call $report (local.get $reporter) (i64.const 4) (call $msg_tag)))
"#;

/// What receive_into.wat forwarded for one message: the call's result and
/// the buffer's first bytes; then `msg_tag` and `msg_read`'s bytes.
fn received_into(inbox: &Inbox) -> ((i32, Vec<u8>), (i64, Vec<u8>)) {
    let buffer = recv_tag(inbox, 1).data;
    let current = recv_tag(inbox, 2).data;
    let result = i32::from_le_bytes(buffer[..4].try_into().unwrap());
    let tag = i64::from_le_bytes(current[..8].try_into().unwrap());
    ((result, buffer[4..].to_vec()), (tag, current[12..].to_vec()))
}

/// Starts receive_into.wat's `main` with a `buffer`-byte buffer, showing
/// `shown` bytes after the header, taking only tag `only` (0: any).
fn start_receive_into(node: &Node, inbox: &Inbox, buffer: u32, shown: u32, only: u32) -> ProcessHandle {
    let module = load(node, "receive-into", &wat(RECEIVE_INTO));
    let arg: Vec<u8> = [buffer, shown, only].iter().flat_map(|n| n.to_le_bytes()).collect();
    spawn(node, &module, "main", &reporter_arg(inbox, &arg))
}

/// The 16-byte header receive_into writes: tag, then sender.
fn into_header(tag: i64, sender: Pid) -> Vec<u8> {
    let mut header = tag.to_le_bytes().to_vec();
    header.extend_from_slice(&sender.raw().to_le_bytes());
    header
}

#[test]
fn receive_into_writes_the_tag_sender_and_payload_and_the_message_stays_current() {
    let node = node(2);
    let inbox = node.inbox();
    // A 40-byte buffer: 24 payload bytes fit; show 30 bytes after the header.
    let process = start_receive_into(&node, &inbox, 40, 30, 0);
    let me = inbox.pid();

    // Sent before the call waits, and while it waits.
    inbox.send(process.pid(), 33, b"hello");
    let ((result, buffer), (tag, current)) = received_into(&inbox);
    assert_eq!(result, 5);
    let mut expected = into_header(33, me);
    expected.extend_from_slice(b"hello");
    expected.extend_from_slice(&[0xee; 25]);
    assert_eq!(buffer, expected, "header, payload, then untouched bytes");
    assert_eq!((tag, current), (33, b"hello".to_vec()), "the message is current");

    std::thread::sleep(std::time::Duration::from_millis(20));
    let long: Vec<u8> = (0..50).collect();
    inbox.send(process.pid(), 34, &long);
    let ((result, buffer), (tag, current)) = received_into(&inbox);
    assert_eq!(result, 50, "the message's whole length");
    let mut expected = into_header(34, me);
    expected.extend_from_slice(&long[..24]);
    expected.extend_from_slice(&[0xee; 6]);
    assert_eq!(buffer, expected, "only what fits is written");
    assert_eq!((tag, current), (34, long), "the rest is read with msg_read");

    inbox.send(process.pid(), 0, b"");
    let ((result, buffer), _) = received_into(&inbox);
    assert_eq!((result, &buffer[..16]), (0, &into_header(0, me)[..]));
    assert_eq!(as_i64(&recv_tag(&inbox, 3).data), i64::from(ERR_TIMEOUT), "nothing else was queued");
    finish_normally(&process);
}

#[test]
fn receive_into_is_selective_like_receive() {
    let node = node(2);
    let inbox = node.inbox();
    let process = start_receive_into(&node, &inbox, 64, 8, 9);
    inbox.send(process.pid(), 5, b"skipped");
    inbox.send(process.pid(), 9, b"taken");
    let ((result, buffer), (tag, _)) = received_into(&inbox);
    assert_eq!((result, tag), (5, 9));
    assert_eq!(&buffer[16..21], b"taken");
    inbox.send(process.pid(), 9, b"");
    let ((result, _), (tag, _)) = received_into(&inbox);
    assert_eq!((result, tag), (0, 9));
    // The message it skipped is still queued.
    assert_eq!(as_i64(&recv_tag(&inbox, 3).data), 7, "its length");
    assert_eq!(as_i64(&recv_tag(&inbox, 4).data), 5, "its tag");
    finish_normally(&process);
}

#[test]
fn receive_into_refuses_a_buffer_shorter_than_its_header_and_traps_on_one_outside_memory() {
    let node = node(2);
    let module = load(
        &node,
        "receive-into-bad",
        &wat(r#"
        (func (export "main")
          (local $reporter i64)
          (local.set $reporter (call $arg_pid))
          (call $report (local.get $reporter) (i64.const 1)
            (i64.extend_i32_s (call $receive_into (i32.const 0) (i32.const 0) (i64.const 0) (i32.const 256) (i32.const 15))))
          (call $report (local.get $reporter) (i64.const 2)
            (i64.extend_i32_s (call $receive_into (i32.const 0) (i32.const 4097) (i64.const 0) (i32.const 256) (i32.const 16))))
          ;; an empty mailbox: a poll times out and writes nothing
          (i64.store (i32.const 256) (i64.const 77))
          (call $report (local.get $reporter) (i64.const 3)
            (i64.extend_i32_s (call $receive_into (i32.const 0) (i32.const 0) (i64.const 0) (i32.const 256) (i32.const 16))))
          (call $report (local.get $reporter) (i64.const 4) (i64.load (i32.const 256)))
          ;; the last 8 bytes of the page and 8 more: outside memory
          (drop (call $receive_into (i32.const 0) (i32.const 0) (i64.const -1) (i32.const 65528) (i32.const 16))))
        "#),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    let got: Vec<i64> = (1..=4).map(|tag| as_i64(&recv_tag(&inbox, tag).data)).collect();
    assert_eq!(got, [i64::from(ERR_BADARG), i64::from(ERR_BADARG), i64::from(ERR_TIMEOUT), 77]);
    expect_trap(&finish(&process), &["receive_into", "outside linear memory"]);
}

#[test]
fn without_a_current_message_the_msg_functions_return_err_no_message() {
    let node = node(1);
    let module = load(
        &node,
        "no-message",
        &wat(r#"
        (func (export "main")
          (local $reporter i64)
          (local.set $reporter (call $arg_pid))
          (call $report (local.get $reporter) (i64.const 1) (call $msg_tag))
          (call $report (local.get $reporter) (i64.const 2) (call $msg_sender))
          (call $report (local.get $reporter) (i64.const 3) (i64.extend_i32_s (call $msg_size)))
          (call $report (local.get $reporter) (i64.const 4)
            (i64.extend_i32_s (call $msg_read (i32.const 0) (i32.const 16) (i32.const 8))))
          ;; a receive that times out leaves no current message either
          (drop (call $receive (i32.const 0) (i32.const 0) (i64.const 0)))
          (call $report (local.get $reporter) (i64.const 5) (i64.extend_i32_s (call $msg_size)))
          ;; nor does one that times out after a message was received
          (call $report (local.get $reporter) (i64.const 6)
            (i64.extend_i32_s (call $receive (i32.const 0) (i32.const 0) (i64.const -1))))
          (call $report (local.get $reporter) (i64.const 7) (i64.extend_i32_s (call $msg_size)))
          (drop (call $receive (i32.const 0) (i32.const 0) (i64.const 0)))
          (call $report (local.get $reporter) (i64.const 8) (i64.extend_i32_s (call $msg_size))))
        "#),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    let got: Vec<i64> = (1..=5).map(|tag| as_i64(&recv_tag(&inbox, tag).data)).collect();
    assert_eq!(got, [i64::from(ERR_NO_MESSAGE); 5]);
    inbox.send(process.pid(), 42, b"abc");
    let got: Vec<i64> = (6..=8).map(|tag| as_i64(&recv_tag(&inbox, tag).data)).collect();
    assert_eq!(got, [3, 3, i64::from(ERR_NO_MESSAGE)], "size from receive, msg_size, msg_size after a poll");
    finish_normally(&process);
}

/// A guest that uses memory in host calls, grows it by 64 pages (past the
/// dense layout's first size class, so the memory moves), then uses the old
/// and the new pages in host calls again.
const GROW_BETWEEN_HOST_CALLS: &str = r#"
  (func (export "main")
    (local $reporter i64)
    (local.set $reporter (call $arg_pid))
    (i64.store (i32.const 64) (i64.const 0x1111))
    (drop (call $send (local.get $reporter) (i64.const 1) (i32.const 64) (i32.const 8)))
    (call $report (local.get $reporter) (i64.const 2) (i64.extend_i32_s (memory.grow (i32.const 64))))
    (i64.store (i32.const 64) (i64.const 0x2222))
    ;; 64 KiB * 64 + 64: in the new pages
    (i64.store (i32.const 4194368) (i64.const 0x3333))
    (drop (call $send (local.get $reporter) (i64.const 3) (i32.const 64) (i32.const 8)))
    (drop (call $send (local.get $reporter) (i64.const 4) (i32.const 4194368) (i32.const 8)))
    (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
    (drop (call $msg_read (i32.const 0) (i32.const 4194400) (i32.const 8)))
    (call $report (local.get $reporter) (i64.const 5) (i64.load (i32.const 4194400))))
"#;

fn host_calls_see_the_memory_as_it_is_after_growing(layout: MemoryLayout) {
    let node = node_with(NodeConfig::default().schedulers(1).max_memory(16 << 20).layout(layout));
    let module = load(&node, "grow-between-host-calls", &wat(GROW_BETWEEN_HOST_CALLS));
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    assert_eq!(as_i64(&recv_tag(&inbox, 1).data), 0x1111, "send before the growth");
    assert_eq!(as_i64(&recv_tag(&inbox, 2).data), 1, "memory.grow returns the old size in pages");
    assert_eq!(as_i64(&recv_tag(&inbox, 3).data), 0x2222, "send reads what the guest wrote after growing");
    assert_eq!(as_i64(&recv_tag(&inbox, 4).data), 0x3333, "send reads the new pages");
    inbox.send(process.pid(), 9, &0x4444i64.to_le_bytes());
    assert_eq!(as_i64(&recv_tag(&inbox, 5).data), 0x4444, "msg_read writes into the new pages");
    finish_normally(&process);
}

#[test]
fn host_calls_see_the_memory_as_it_is_after_growing_dense() {
    host_calls_see_the_memory_as_it_is_after_growing(MemoryLayout::Dense);
}

#[test]
fn host_calls_see_the_memory_as_it_is_after_growing_guarded() {
    host_calls_see_the_memory_as_it_is_after_growing(MemoryLayout::Guarded);
}

#[test]
fn the_spawn_argument_round_trips_through_arg_size_and_arg_read() {
    let node = node(2);
    let module = load(
        &node,
        "args",
        &wat(r#"
        (data (i32.const 1024) "child")
        (data (i32.const 1040) "to the child")
        (func (export "main")
          (local $reporter i64)
          (local $n i32)
          (local.set $reporter (call $arg_pid))
          (call $report (local.get $reporter) (i64.const 1) (i64.extend_i32_s (call $arg_size)))
          ;; the whole argument, with a larger buffer
          (local.set $n (call $arg_read (i32.const 100) (i32.const 500)))
          (drop (call $send (local.get $reporter) (i64.const 2) (i32.const 100) (local.get $n)))
          ;; a 3-byte buffer gets the first 3 bytes
          (local.set $n (call $arg_read (i32.const 700) (i32.const 3)))
          (drop (call $send (local.get $reporter) (i64.const 3) (i32.const 700) (local.get $n)))
          ;; a guest-to-guest spawn argument: [reporter]["to the child"]
          (i64.store (i32.const 1032) (local.get $reporter))
          (call $report (local.get $reporter) (i64.const 4)
            (call $spawn (i32.const 1024) (i32.const 5) (i32.const 1032) (i32.const 20))))
        ;; sends the reporter (first 8 bytes) tag 6 its whole argument
        (func (export "child")
          (local $n i32)
          (local.set $n (call $arg_read (i32.const 100) (i32.const 500)))
          (drop (call $send (call $arg_pid) (i64.const 6) (i32.const 100) (local.get $n))))
        "#),
    );
    let inbox = node.inbox();
    let arg = reporter_arg(&inbox, b"spawn argument \x00\xff bytes");
    let process = spawn(&node, &module, "main", &arg);
    assert_eq!(as_i64(&recv_tag(&inbox, 1).data), arg.len() as i64);
    assert_eq!(&*recv_tag(&inbox, 2).data, &arg[..]);
    assert_eq!(&*recv_tag(&inbox, 3).data, &arg[..3]);
    let by_tag = recv_by_tag(&inbox, 2);
    assert!(as_i64(&by_tag[&4].data) > 0, "spawn returned {:?}", by_tag[&4]);
    let child = &by_tag[&6];
    assert_eq!(child.sender.raw() as i64, as_i64(&by_tag[&4].data));
    assert_eq!(&child.data[..8], &pid_bytes(inbox.pid()));
    assert_eq!(&child.data[8..], b"to the child");
    finish_normally(&process);
}

#[test]
fn arg_size_is_zero_and_arg_read_copies_nothing_without_an_argument() {
    let node = node(1);
    let module = load(
        &node,
        "no-arg",
        &wat(r#"
        (func (export "main")
          (local $size i32)
          (local $copied i32)
          (local.set $size (call $arg_size))
          (local.set $copied (call $arg_read (i32.const 16) (i32.const 64)))
          ;; the host gets [size, copied] as the exit detail
          (i32.store (i32.const 32) (local.get $size))
          (i32.store (i32.const 36) (local.get $copied))
          (call $exit (i32.const 2) (i32.const 32) (i32.const 8)))
        "#),
    );
    let process = spawn(&node, &module, "main", b"");
    assert_eq!(finish(&process), ExitReason::Custom(vec![0; 8]));
}

#[test]
fn spawning_a_missing_export_returns_err_no_such_export() {
    let node = node(2);
    let module = load(
        &node,
        "missing-export",
        &wat(r#"
        (data (i32.const 1024) "nope")
        (data (i32.const 1032) "takes_a_param")
        (data (i32.const 1048) "memory")
        (data (i32.const 1056) "main")
        (func (export "takes_a_param") (param i32))
        (func (export "main")
          (local $reporter i64)
          (local.set $reporter (call $arg_pid))
          (call $report (local.get $reporter) (i64.const 1)
            (call $spawn (i32.const 1024) (i32.const 4) (i32.const 0) (i32.const 0)))
          (call $report (local.get $reporter) (i64.const 2)
            (call $spawn (i32.const 1032) (i32.const 13) (i32.const 0) (i32.const 0)))
          (call $report (local.get $reporter) (i64.const 3)
            (call $spawn (i32.const 1048) (i32.const 6) (i32.const 0) (i32.const 0))))
        "#),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    let code = i64::from(ERR_NO_SUCH_EXPORT);
    assert_eq!(as_i64(&recv_tag(&inbox, 1).data), code, "a missing export");
    assert_eq!(as_i64(&recv_tag(&inbox, 2).data), code, "an export of the wrong type");
    assert_eq!(as_i64(&recv_tag(&inbox, 3).data), code, "an export that is not a function");
    finish_normally(&process);
    // The host API refuses it too, naming the export.
    let error = node.spawn(&module, "nope", b"").err().expect("spawn of a missing export fails");
    assert!(error.to_string().contains("nope"), "{error:#}");
}

/// A module spawning into the module loaded as "helper".
const SPAWN_MODULE: &str = r#"
  (data (i32.const 1024) "helper")
  (data (i32.const 1032) "hello")
  (data (i32.const 1040) "ghost")
  (data (i32.const 1048) "nope")
  (func (export "main")
    (local $reporter i64)
    (local.set $reporter (call $arg_pid))
    ;; helper.hello with [reporter] as argument
    (call $report (local.get $reporter) (i64.const 1)
      (call $spawn_module (i32.const 1024) (i32.const 6) (i32.const 1032) (i32.const 5) (i32.const 0) (i32.const 8)))
    (call $report (local.get $reporter) (i64.const 2)
      (call $spawn_module (i32.const 1040) (i32.const 5) (i32.const 1032) (i32.const 5) (i32.const 0) (i32.const 8)))
    (call $report (local.get $reporter) (i64.const 3)
      (call $spawn_module (i32.const 1024) (i32.const 6) (i32.const 1048) (i32.const 4) (i32.const 0) (i32.const 8))))
"#;

/// The module spawned into: it says who it is.
const HELPER: &str = r#"
  (data (i32.const 1024) "from the helper module")
  (func (export "hello")
    (drop (call $send (call $arg_pid) (i64.const 9) (i32.const 1024) (i32.const 22))))
"#;

#[test]
fn spawn_module_starts_an_export_of_another_loaded_module() {
    let node = node(2);
    load(&node, "helper", &wat(HELPER));
    let module = load(&node, "spawner", &wat(SPAWN_MODULE));
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    let by_tag = recv_by_tag(&inbox, 4);
    let child = as_i64(&by_tag[&1].data);
    assert!(child > 0, "spawn_module returned {child}");
    let hello = &by_tag[&9];
    assert_eq!((hello.sender.raw() as i64, &*hello.data), (child, &b"from the helper module"[..]));
    assert_eq!(as_i64(&by_tag[&3].data), i64::from(ERR_NO_SUCH_EXPORT), "a missing export of the helper");
    finish_normally(&process);
}

#[test]
fn spawn_module_to_an_unknown_module_returns_err_no_such_module() {
    let node = node(2);
    load(&node, "helper", &wat(HELPER));
    let module = load(&node, "spawner", &wat(SPAWN_MODULE));
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    let by_tag = recv_by_tag(&inbox, 4);
    assert_eq!(as_i64(&by_tag[&2].data), i64::from(ERR_NO_SUCH_MODULE));
    finish_normally(&process);
}

#[test]
fn a_ring_of_10000_processes_passes_the_token_around() {
    ring_of_10000(None);
}

#[test]
fn a_ring_of_10000_handler_style_processes_passes_the_token_around() {
    ring_of_10000(Some(1));
}

/// Runs ring.wat with 10,000 processes, its nodes in `style` (see its
/// header), and checks the hop count it reports; every node then ends.
fn ring_of_10000(style: Option<u32>) {
    const N: u32 = 10_000;
    const ROUNDS: u32 = 3;
    let node = node(2);
    let module = load_fixture(&node, "ring.wat");
    let inbox = node.inbox();
    let mut arg = N.to_le_bytes().to_vec();
    arg.extend_from_slice(&pid_bytes(inbox.pid()));
    arg.extend_from_slice(&ROUNDS.to_le_bytes());
    arg.extend(style.map(u32::to_le_bytes).into_iter().flatten());
    let ring = spawn(&node, &module, "main", &arg);
    let report = recv_tag(&inbox, 7);
    assert_eq!(report.sender, ring.pid());
    assert_eq!(as_i64(&report.data), i64::from(N * ROUNDS), "hops");
    finish_normally(&ring);
    // The shutdown token went round: every node ended.
    let start = std::time::Instant::now();
    while node.process_count() > 1 {
        assert!(start.elapsed() < PATIENCE, "{} processes never ended", node.process_count() - 1);
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

#[test]
fn the_rust_sdk_pingpong_guest_echoes_100_messages_in_order() {
    let node = node(2);
    let module = load_artifact(&node, warren_test_artifacts::SDK_PINGPONG);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    let report = recv_tag(&inbox, 7);
    assert_eq!(String::from_utf8_lossy(&report.data), "pingpong ok 100");
    finish_normally(&process);
}

#[test]
fn the_rust_sdk_selective_guest_receives_selectively_and_times_out() {
    let node = node(2);
    let module = load_artifact(&node, warren_test_artifacts::SDK_SELECTIVE);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    assert_eq!(&*recv_tag(&inbox, 7).data, &[3, 3, 1, 2, 1, 2]);
    assert_eq!(String::from_utf8_lossy(&recv_tag(&inbox, 8).data), "timeout ok");
    finish_normally(&process);
}

#[test]
fn the_c_echo_guest_replies_in_upper_case() {
    let node = node(2);
    let module = load_artifact(&node, warren_test_artifacts::C_ECHO);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    let reply = recv_tag(&inbox, 7);
    assert_eq!((reply.sender, &*reply.data), (process.pid(), &b"HELLO FROM C"[..]));
    finish_normally(&process);
}

#[test]
fn malformed_arguments_return_err_badarg() {
    let node = node(2);
    let module = load(
        &node,
        "badarg",
        &wat(r#"
        (data (i32.const 1024) "\ff\fe")  ;; not UTF-8
        (data (i32.const 1032) "main")
        (func (export "main")
          (local $reporter i64)
          (local.set $reporter (call $arg_pid))
          (call $report (local.get $reporter) (i64.const 1)
            (call $spawn (i32.const 1024) (i32.const 2) (i32.const 0) (i32.const 0)))
          (call $report (local.get $reporter) (i64.const 2)
            (call $spawn_module (i32.const 1024) (i32.const 2) (i32.const 1032) (i32.const 4) (i32.const 0) (i32.const 0)))
          (call $report (local.get $reporter) (i64.const 3)
            (i64.extend_i32_s (call $set_handler (i32.const 1024) (i32.const 2))))
          ;; too many tags, a negative count
          (call $report (local.get $reporter) (i64.const 4)
            (i64.extend_i32_s (call $receive (i32.const 0) (i32.const 4097) (i64.const 0))))
          (call $report (local.get $reporter) (i64.const 5)
            (i64.extend_i32_s (call $receive (i32.const 0) (i32.const -1) (i64.const 0))))
          ;; a negative offset
          (drop (call $send (call $self) (i64.const 1) (i32.const 1032) (i32.const 4)))
          (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
          (call $report (local.get $reporter) (i64.const 6)
            (i64.extend_i32_s (call $msg_read (i32.const -1) (i32.const 16) (i32.const 4)))))
        "#),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    let got: Vec<i64> = (1..=6).map(|tag| as_i64(&recv_tag(&inbox, tag).data)).collect();
    let what = ["spawn: entry not UTF-8", "spawn_module: module not UTF-8", "set_handler: name not UTF-8"];
    for (i, what) in what.iter().enumerate() {
        assert_eq!(got[i], i64::from(ERR_BADARG), "{what}");
    }
    assert_eq!(got[3], i64::from(ERR_BADARG), "receive with 4097 tags");
    assert_eq!(got[4], i64::from(ERR_BADARG), "receive with -1 tags");
    assert_eq!(got[5], i64::from(ERR_BADARG), "msg_read at offset -1");
    finish_normally(&process);
}

#[test]
fn a_receive_with_any_negative_or_a_huge_timeout_waits_for_its_message() {
    let node = node(2);
    let module = load(
        &node,
        "long-wait",
        &wat(r#"
        ;; argument: [reporter][timeout: i64]
        (func (export "main")
          (local $reporter i64)
          (local.set $reporter (call $arg_pid))
          (drop (call $arg_read (i32.const 16) (i32.const 16)))
          (call $report (local.get $reporter) (i64.const 1) (i64.const 0))  ;; ready
          (i64.store (i32.const 32) (i64.const 5))
          (call $report (local.get $reporter) (i64.const 2)
            (i64.extend_i32_s (call $receive (i32.const 32) (i32.const 1) (i64.load (i32.const 24)))))
          (call $report (local.get $reporter) (i64.const 3) (call $msg_tag))
          ;; the message that did not match is still queued
          (call $report (local.get $reporter) (i64.const 4)
            (i64.extend_i32_s (call $receive (i32.const 0) (i32.const 0) (i64.const 0))))
          (call $report (local.get $reporter) (i64.const 5) (call $msg_tag)))
        "#),
    );
    let inbox = node.inbox();
    for timeout in [-5i64, i64::MAX, i64::MIN] {
        let process = spawn(&node, &module, "main", &reporter_arg(&inbox, &timeout.to_le_bytes()));
        recv_tag(&inbox, 1);
        inbox.send(process.pid(), 4, b"xy");
        inbox.send(process.pid(), 5, b"abc");
        let got: Vec<i64> = (2..=5).map(|tag| as_i64(&recv_tag(&inbox, tag).data)).collect();
        assert_eq!(got, [3, 5, 2, 4], "timeout {timeout}");
        finish_normally(&process);
    }
}

#[test]
fn spawning_beyond_the_process_limit_returns_err_limit() {
    // Room for the inbox, the spawner and two children.
    let node = node_with(NodeConfig::default().schedulers(2).max_processes(4));
    let module = load(
        &node,
        "limit",
        &wat(r#"
        (data (i32.const 1024) "idle")
        (func (export "main")
          (local $reporter i64)
          (local $pid i64)
          (local $spawned i64)
          (local.set $reporter (call $arg_pid))
          (block $full
            (loop $more
              (local.set $pid (call $spawn (i32.const 1024) (i32.const 4) (i32.const 0) (i32.const 0)))
              (br_if $full (i64.lt_s (local.get $pid) (i64.const 0)))
              (local.set $spawned (i64.add (local.get $spawned) (i64.const 1)))
              (br_if $more (i64.lt_u (local.get $spawned) (i64.const 100)))))
          (call $report (local.get $reporter) (i64.const 1) (local.get $spawned))
          (call $report (local.get $reporter) (i64.const 2) (local.get $pid))
          ;; stay, so the table stays full
          (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1))))
        (func (export "idle")
          (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1))))
        "#),
    );
    let inbox = node.inbox();
    let spawner = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    assert_eq!(as_i64(&recv_tag(&inbox, 1).data), 2, "children spawned before the table was full");
    assert_eq!(as_i64(&recv_tag(&inbox, 2).data), i64::from(ERR_LIMIT));
    assert_eq!(node.process_count(), 4);
    let error = node.spawn(&module, "idle", b"").err().expect("the host cannot spawn either");
    assert!(error.to_string().contains("maximum"), "{error:#}");
    // When a process ends its place is free again.
    inbox.send(spawner.pid(), 1, b"");
    finish_normally(&spawner);
    let again = spawn(&node, &module, "idle", b"");
    assert!(node.is_alive(again.pid()));
}

#[test]
fn msg_header_gives_the_tag_the_sender_and_the_size_in_one_call() {
    let node = node(2);
    let module = load(
        &node,
        "msg-header",
        &format!(
            r#"(module
          (import "warren_v1" "msg_header" (func $msg_header (param i32) (result i32)))
          {PRELUDE}
          (func (export "main")
            (local $reporter i64)
            (local.set $reporter (call $arg_pid))
            ;; No current message yet: ERR_NO_MESSAGE, and nothing written.
            (i64.store (i32.const 100) (i64.const 1234))
            (call $report (local.get $reporter) (i64.const 1)
              (i64.extend_i32_s (call $msg_header (i32.const 100))))
            (call $report (local.get $reporter) (i64.const 2) (i64.load (i32.const 100)))
            (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
            (call $report (local.get $reporter) (i64.const 3)
              (i64.extend_i32_s (call $msg_header (i32.const 100))))
            (call $report (local.get $reporter) (i64.const 4) (i64.load (i32.const 100)))
            (call $report (local.get $reporter) (i64.const 5) (i64.load (i32.const 108)))
            ;; The last 16 bytes of the memory take a header; a byte further traps.
            (call $report (local.get $reporter) (i64.const 6)
              (i64.extend_i32_s (call $msg_header (i32.const 65520))))
            (drop (call $msg_header (i32.const 65521))))
        )"#
        ),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    let values = |count| {
        (0..count)
            .map(|_| {
                let m = recv(&inbox);
                (m.tag, as_i64(&m.data))
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(values(2), [(1, i64::from(ERR_NO_MESSAGE)), (2, 1234)], "no message: nothing written");
    inbox.send(process.pid(), 33, b"hello world");
    assert_eq!(values(4), [(3, 11), (4, 33), (5, inbox.pid().raw() as i64), (6, 11)], "size, tag, sender");
    expect_trap(&finish(&process), &["msg_header"]);
}
