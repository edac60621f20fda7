//! Guests that try to take the node down, written from docs/ABI.md alone:
//! each must harm only itself, and the node must keep serving the others
//! and stop on time.

use crate::common::*;
use std::time::Duration;

/// Drops `node` on another thread and fails the test if its shutdown takes
/// longer than PATIENCE (a thread held by a guest would hang it).
fn shut_down_on_time(node: Node) {
    let (done, finished) = crossbeam_channel::bounded(1);
    std::thread::spawn(move || {
        drop(node);
        let _ = done.send(());
    });
    assert!(finished.recv_timeout(PATIENCE).is_ok(), "the node did not shut down");
}

/// A poller that queues 20,000 messages to itself and then polls, forever,
/// with 4,096 tags none of them has; beside it, a root that plays 1,000
/// rounds of ping-pong with an echo, each reply awaited at most 2 seconds.
const POLLER_BESIDE_PINGPONG: &str = r#"
  (func (export "root")
    (local $echo i64) (local $i i32)
    (drop (call $spawn (i32.const 1000) (i32.const 6) (i32.const 0) (i32.const 0)))
    (local.set $echo (call $spawn (i32.const 1010) (i32.const 4) (i32.const 0) (i32.const 0)))
    (loop $round
      (drop (call $send (local.get $echo) (i64.const 5) (i32.const 0) (i32.const 0)))
      (if (i32.lt_s (call $receive (i32.const 0) (i32.const 0) (i64.const 2000)) (i32.const 0))
        (then unreachable))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $round (i32.lt_u (local.get $i) (i32.const 1000)))))
  (func (export "echo")
    (loop $next
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (drop (call $send (call $msg_sender) (i64.const 5) (i32.const 0) (i32.const 0)))
      (br $next)))
  (func (export "poller")
    (local $i i32)
    (loop $tags
      (i64.store (i32.add (i32.const 2048) (i32.shl (local.get $i) (i32.const 3)))
        (i64.add (i64.const 1000000) (i64.extend_i32_u (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $tags (i32.lt_u (local.get $i) (i32.const 4096))))
    (local.set $i (i32.const 0))
    (loop $fill
      (drop (call $send (call $self) (i64.const 1) (i32.const 0) (i32.const 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 20000))))
    (loop $poll
      (drop (call $receive (i32.const 2048) (i32.const 4096) (i64.const 0)))
      (br $poll)))
  (data (i32.const 1000) "poller")
  (data (i32.const 1010) "echo")
"#;

/// Work hidden in host calls is charged and sliced: a process that makes
/// every receive look through 20,000 queued messages with 4,096 tags no
/// longer holds a scheduler thread, so a ping-pong beside it completes, on
/// one scheduler and on two, and the node stops on time.
#[test]
fn a_poller_scanning_a_long_mailbox_does_not_starve_a_pingpong() {
    for schedulers in [1, 2] {
        let node = node(schedulers);
        let module = load(&node, "poller", &wat(POLLER_BESIDE_PINGPONG));
        let root = spawn(&node, &module, "root", b"");
        let reason = root.wait_timeout(PATIENCE);
        assert_eq!(reason, Some(ExitReason::Normal), "{schedulers} scheduler(s): the ping-pong completes");
        shut_down_on_time(node);
    }
}

/// The poller pays for what its receives look at: its reductions grow far
/// beyond the few instructions of its loop.
#[test]
fn a_receive_that_looks_through_many_messages_costs_reductions() {
    let node = node(1);
    let module = load(&node, "poller", &wat(POLLER_BESIDE_PINGPONG));
    let poller = spawn(&node, &module, "poller", b"");
    let deadline = std::time::Instant::now() + PATIENCE;
    let charged = loop {
        std::thread::sleep(Duration::from_millis(20));
        let used = node.reductions(poller.pid()).unwrap_or(0);
        // 20,000 messages looked at costs far more than a slice of fuel.
        if used > 20 * warren_host::DEFAULT_REDUCTIONS {
            break true;
        }
        if std::time::Instant::now() > deadline {
            break false;
        }
    };
    assert!(charged, "reductions: {:?}", node.reductions(poller.pid()));
    shut_down_on_time(node);
}

/// Resident memory of this test process, in bytes.
fn resident() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .unwrap_or(0);
    kib * 1024
}

/// A process that exits with a 16 MiB reason, watched by 50 monitors and
/// linked to 10 processes that trap exits. Watchers and links wait for a
/// go-ahead (tag 77) before they receive, so every DOWN and EXIT is queued
/// at once; then each reports the size of the message it got.
const HUGE_REASON: &str = r#"
  (func (export "target")
    ;; Grows its memory by 16 MiB + 64 KiB, then exits with 16 MiB of
    ;; detail after waiting for its watchers (tag 1).
    (drop (memory.grow (i32.const 257)))
    (i64.store (i32.const 128) (i64.const 1))
    (drop (call $receive (i32.const 128) (i32.const 1) (i64.const -1)))
    (call $exit (i32.const 2) (i32.const 65536) (i32.const 16777216)))
  ;; Argument: [reporter][target][1 = link, trapping; 0 = monitor].
  (func (export "watcher")
    (local $reporter i64) (local $target i64)
    (drop (call $arg_read (i32.const 0) (i32.const 24)))
    (local.set $reporter (i64.load (i32.const 0)))
    (local.set $target (i64.load (i32.const 8)))
    (if (i64.eq (i64.load (i32.const 16)) (i64.const 1))
      (then
        (drop (call $trap_exit (i32.const 1)))
        (drop (call $link (local.get $target))))
      (else (drop (call $monitor (local.get $target)))))
    (call $report (local.get $reporter) (i64.const 2) (i64.const 0))
    (i64.store (i32.const 128) (i64.const 77))
    (drop (call $receive (i32.const 128) (i32.const 1) (i64.const -1)))
    (call $report (local.get $reporter) (i64.const 3)
      (i64.extend_i32_s (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))))
"#;

/// An exit reason is shared by the messages of its exit, not copied into
/// each: 60 watchers of a 16 MiB reason cost about one copy of it.
#[test]
fn a_huge_exit_reason_is_shared_by_its_watchers() {
    let node = node_with(NodeConfig::default().schedulers(2).max_memory(64 << 20));
    let module = load(&node, "huge-reason", &rwat(HUGE_REASON));
    let inbox = node.inbox();
    let target = spawn(&node, &module, "target", b"");
    let watchers: Vec<ProcessHandle> = (0..60)
        .map(|n| {
            let mut arg = pid_bytes(inbox.pid()).to_vec();
            arg.extend_from_slice(&pid_bytes(target.pid()));
            arg.extend_from_slice(&i64::from(n < 10).to_le_bytes());
            spawn(&node, &module, "watcher", &arg)
        })
        .collect();
    for _ in 0..60 {
        assert_eq!(inbox.recv_timeout(PATIENCE).expect("a watcher is ready").tag, 2);
    }
    let before = resident();
    inbox.send(target.pid(), 1, b"");
    assert!(matches!(target.wait_timeout(PATIENCE), Some(ExitReason::Custom(detail)) if detail.len() == 16 << 20));
    // Every DOWN and EXIT is queued now, none received.
    let grown = resident().saturating_sub(before);
    for watcher in &watchers {
        inbox.send(watcher.pid(), 77, b"");
    }
    for _ in 0..60 {
        let report = inbox.recv_timeout(PATIENCE).expect("a watcher reports");
        let size = i64::from_le_bytes(report.data[..8].try_into().unwrap());
        assert_eq!(report.tag, 3);
        // A DOWN is 20 bytes and the detail, an EXIT 12 and the detail.
        assert!(size == 20 + (16 << 20) || size == 12 + (16 << 20), "message size {size}");
    }
    assert!(grown < 300 << 20, "the queued messages grew the node by {} MiB", grown >> 20);
    shut_down_on_time(node);
}

/// A sender that floods a process that never receives: past the node's
/// bound on the memory it holds for its guests, the sends get `ERR_LIMIT`;
/// the node lives on, and the count drops when the receiver exits.
const FLOOD: &str = r#"
  ;; Waits for a message with tag 0, leaving the others queued.
  (func (export "sink")
    (i64.store (i32.const 128) (i64.const 0))
    (drop (call $receive (i32.const 128) (i32.const 1) (i64.const -1))))
  ;; Argument: [sink]. Sends 60 KB messages until one is refused, then
  ;; exits with reason detail [messages sent: i64][the refusal's code: i64]
  ;; (past the bound a send to the host would be refused too).
  (func (export "flood")
    (local $sink i64) (local $sent i64) (local $result i32)
    (drop (call $arg_read (i32.const 0) (i32.const 8)))
    (local.set $sink (i64.load (i32.const 0)))
    (loop $send
      (local.set $result (call $send (local.get $sink) (i64.const 1) (i32.const 1024) (i32.const 60000)))
      (if (i32.eqz (local.get $result))
        (then
          (local.set $sent (i64.add (local.get $sent) (i64.const 1)))
          (br_if $send (i64.lt_u (local.get $sent) (i64.const 100000))))))
    (i64.store (i32.const 64) (local.get $sent))
    (i64.store (i32.const 72) (i64.extend_i32_s (local.get $result)))
    (call $exit (i32.const 2) (i32.const 64) (i32.const 16)))
"#;

#[test]
fn past_the_host_memory_bound_sends_are_refused_and_the_node_lives() {
    let limit = 32 << 20;
    let node = node_with(NodeConfig::default().schedulers(2).max_host_memory(limit));
    let module = load(&node, "flood", &wat(FLOOD));
    let sink = spawn(&node, &module, "sink", b"");
    let flood = spawn(&node, &module, "flood", &pid_bytes(sink.pid()));
    let Some(ExitReason::Custom(detail)) = flood.wait_timeout(PATIENCE) else { panic!("the flood reports") };
    let sent = i64::from_le_bytes(detail[..8].try_into().unwrap());
    let code = i64::from_le_bytes(detail[8..16].try_into().unwrap());
    assert_eq!(code, i64::from(ERR_LIMIT), "the send past the bound is refused");
    // 32 MiB of 60 KB messages: about 560, give or take the count's slack.
    assert!((400..=700).contains(&sent), "{sent} messages went");
    assert!(node.host_memory() <= limit + (16 << 20), "held: {}", node.host_memory());
    // The sink exits (its messages go with it): the node holds nothing, and
    // serves again.
    let inbox = node.inbox();
    inbox.send(sink.pid(), 0, b"");
    assert_eq!(sink.wait_timeout(PATIENCE), Some(ExitReason::Normal));
    drop(inbox);
    assert_eq!(node.host_memory(), 0, "every byte counted was given back");
    assert_node_still_runs(&node);
    shut_down_on_time(node);
}

/// Table imports, for the count test (WAT wants imports first).
const TABLE_IMPORTS: &str = r#"
  (import "warren_v1" "table_new" (func $table_new (param i32 i32 i32 i32 i64) (result i64)))
  (import "warren_v1" "table_insert" (func $table_insert (param i64 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_delete_key" (func $table_delete_key (param i64 i32 i32) (result i32)))
"#;

/// A mix of what makes the node hold memory for guests: a child with a
/// 5,000-byte argument that exits with 50 messages queued and a timer
/// pending to it; a timer that fires and one that is cancelled; a table
/// of 200 objects, half deleted, that goes with its owner; messages the
/// root leaves queued to itself. The root reports the node's work done
/// by exiting normally.
const HELD_THEN_GIVEN_BACK: &str = r#"
  (func (export "holder")
    (drop (call $recv_tag (i64.const 0))))
  (func (export "root")
    (local $holder i64) (local $tid i64) (local $i i32)
    (local.set $holder (call $spawn (i32.const 9000) (i32.const 6) (i32.const 10000) (i32.const 5000)))
    (loop $queue
      (drop (call $send (local.get $holder) (i64.const 1) (i32.const 10000) (i32.const 1000)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $queue (i32.lt_u (local.get $i) (i32.const 50))))
    (if (i64.le_s (call $send_after (local.get $holder) (i64.const 2) (i32.const 10000) (i32.const 1000)
                    (i64.const 60000)) (i64.const 0)) (then unreachable))
    (drop (call $send_after (call $self) (i64.const 3) (i32.const 10000) (i32.const 2000) (i64.const 1)))
    (drop (call $recv_tag (i64.const 3)))
    (if (i64.lt_s (call $cancel_timer (call $send_after (call $self) (i64.const 4) (i32.const 10000)
                    (i32.const 2000) (i64.const 60000))) (i64.const 0)) (then unreachable))
    (local.set $tid (call $table_new (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0)))
    (local.set $i (i32.const 0))
    (loop $insert
      (i32.store (i32.const 8192) (local.get $i))
      (if (call $table_insert (local.get $tid) (i32.const 8192) (i32.const 4) (i32.const 10000) (i32.const 1000))
        (then unreachable))
      (if (i32.and (local.get $i) (i32.const 1))
        (then (drop (call $table_delete_key (local.get $tid) (i32.const 8192) (i32.const 4)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $insert (i32.lt_u (local.get $i) (i32.const 200))))
    (drop (call $send (local.get $holder) (i64.const 0) (i32.const 0) (i32.const 0)))
    (drop (call $send (call $self) (i64.const 9) (i32.const 10000) (i32.const 3000))))
  (data (i32.const 9000) "holder")
"#;

/// After that mix of work, once its processes have exited, every byte the
/// node counted is given back (a count that drifts up would end in a
/// node that refuses everything).
#[test]
fn the_host_memory_count_comes_back_to_zero() {
    let node = node(2);
    let source =
        format!("(module {RELATIONS_IMPORTS} {TABLE_IMPORTS} {PRELUDE} {RELATIONS_HELPERS} {HELD_THEN_GIVEN_BACK})");
    let module = load(&node, "held", &source);
    let root = spawn(&node, &module, "root", b"");
    assert_eq!(root.wait_timeout(PATIENCE), Some(ExitReason::Normal));
    // The last exit's clean-up (its timers, then its counted bytes) may end
    // a moment after the process leaves the process table.
    let deadline = std::time::Instant::now() + PATIENCE;
    while (node.process_count() > 0 || node.pending_timers() > 0 || node.host_memory() > 0)
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(node.process_count(), 0, "the holder exits on the root's message");
    assert_eq!(node.pending_timers(), 0, "the timer to the holder went with it");
    assert_eq!(node.host_memory(), 0, "every byte counted was given back");
    shut_down_on_time(node);
}

/// A spawn argument is a message's worth at most: larger, the spawn gets
/// `ERR_LIMIT` and no process is made.
const SPAWN_WITH_ARGUMENT: &str = r#"
  (func (export "child"))
  ;; Argument: [len: i32]. Spawns "child" with `len` bytes of argument and
  ;; exits with the result as its detail (i64).
  (func (export "parent")
    (drop (call $arg_read (i32.const 0) (i32.const 4)))
    (i64.store (i32.const 8) (call $spawn (i32.const 100) (i32.const 5) (i32.const 1024) (i32.load (i32.const 0))))
    (call $exit (i32.const 2) (i32.const 8) (i32.const 8)))
  (data (i32.const 100) "child")
"#;

#[test]
fn a_spawn_argument_larger_than_the_largest_message_is_refused() {
    let node = node_with(NodeConfig::default().schedulers(1).max_message(4096));
    let module = load(&node, "spawn-arg", &wat(SPAWN_WITH_ARGUMENT));
    let spawned = |len: i32| {
        let parent = spawn(&node, &module, "parent", &len.to_le_bytes());
        let Some(ExitReason::Custom(detail)) = parent.wait_timeout(PATIENCE) else { panic!("the parent reports") };
        i64::from_le_bytes(detail[..8].try_into().unwrap())
    };
    assert!(spawned(4096) > 0, "an argument of the largest message's size is taken");
    assert_eq!(spawned(4097), i64::from(ERR_LIMIT), "one byte more is refused");
    assert_node_still_runs(&node);
    shut_down_on_time(node);
}

/// A watcher whose mailbox is full when its target exits: the DOWN goes
/// beyond the node's mailbox limit. Argument of `watcher`: [reporter]
/// [target].
const DOWN_PAST_THE_MAILBOX_LIMIT: &str = r#"
  (func (export "target")
    (drop (call $recv_tag (i64.const 1))))
  (func (export "watcher")
    (drop (call $monitor (call $arg64 (i32.const 1))))
    (drop (call $send (call $self) (i64.const 5) (i32.const 0) (i32.const 0)))
    (drop (call $send (call $self) (i64.const 5) (i32.const 0) (i32.const 0)))
    (call $report (call $arg64 (i32.const 0)) (i64.const 2) (i64.const 0))
    (drop (call $recv_tag (i64.const 999))))
"#;

/// The DOWN that overflows a watcher's mailbox ends the watcher with the
/// mailbox limit. (It was queued under the watcher's own lock, which the
/// exit request for the overflow took again: the scheduler thread
/// deadlocked, and the node with it. Found by the ABI fuzz test.)
#[test]
fn a_down_past_the_mailbox_limit_ends_the_watcher() {
    let node = node_with(NodeConfig::default().schedulers(2).max_mailbox(Some(2)));
    let module = load(&node, "down-overflow", &rwat(DOWN_PAST_THE_MAILBOX_LIMIT));
    let inbox = node.inbox();
    let target = spawn(&node, &module, "target", b"");
    let watcher = spawn(&node, &module, "watcher", &reporter_arg(&inbox, &pid_bytes(target.pid())));
    recv_tag(&inbox, 2);
    inbox.send(target.pid(), 1, b"");
    let Some(reason) = watcher.wait_timeout(PATIENCE) else {
        // A deadlocked scheduler thread would hang the node's shutdown too.
        std::mem::forget(node);
        panic!("the watcher did not end");
    };
    expect_limit(&reason, &["mailbox"]);
    finish_normally(&target);
    assert_node_still_runs(&node);
    shut_down_on_time(node);
}
