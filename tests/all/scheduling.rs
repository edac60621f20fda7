//! Preemption, yielding, reductions, and handler-style processes.

use crate::common::*;

/// Starts `busy` never-ending processes (the WAT and the Rust busy loop in
/// turn), then runs 1,000 ping-pong round trips beside them.
fn ping_pong_completes_beside_busy_loops(schedulers: usize, busy: usize) {
    let node = node(schedulers);
    let loops = [load_fixture(&node, "busy.wat"), load_artifact(&node, warren_test_artifacts::BUSY)];
    let busy: Vec<ProcessHandle> = (0..busy).map(|i| spawn(&node, &loops[i % 2], "main", b"")).collect();
    let pingpong = load_fixture(&node, "pingpong.wat");
    let inbox = node.inbox();
    let process = spawn(&node, &pingpong, "main", &reporter_arg(&inbox, &1_000u32.to_le_bytes()));
    let report = recv_tag(&inbox, 7);
    assert_eq!((report.sender, as_u32(&report.data)), (process.pid(), 1_000));
    finish_normally(&process);
    for process in &busy {
        assert!(node.is_alive(process.pid()), "a busy loop never ends by itself");
    }
}

#[test]
fn busy_loops_on_every_scheduler_are_preempted_so_a_ping_pong_completes() {
    ping_pong_completes_beside_busy_loops(2, 4);
}

#[test]
fn a_busy_loop_on_a_single_scheduler_is_preempted_so_a_ping_pong_completes() {
    ping_pong_completes_beside_busy_loops(1, 2);
}

#[test]
fn the_smallest_time_slice_still_runs_everything_to_completion() {
    // One unit of fuel per slice: a process is preempted at nearly every
    // instruction, inside host calls' callers and handlers alike.
    let node = node_with(NodeConfig::default().schedulers(2).reductions(1));
    let pingpong = load_fixture(&node, "pingpong.wat");
    let busy = load_fixture(&node, "busy.wat");
    let _busy = spawn(&node, &busy, "main", b"");
    let inbox = node.inbox();
    let process = spawn(&node, &pingpong, "main", &reporter_arg(&inbox, &100u32.to_le_bytes()));
    assert_eq!(as_u32(&recv_tag(&inbox, 7).data), 100);
    finish_normally(&process);
    let handler = load_artifact(&node, warren_test_artifacts::SDK_HANDLER);
    let echo = spawn(&node, &handler, "main", b"");
    for i in 0..20u32 {
        inbox.send(echo.pid(), 1, &i.to_le_bytes());
    }
    inbox.send(echo.pid(), 99, b"");
    for i in 0..20u32 {
        assert_eq!(as_u32(&recv_tag(&inbox, 1).data), i);
    }
    recv_tag(&inbox, 99);
    finish_normally(&echo);
}

#[test]
fn yield_now_lets_another_process_run() {
    // One scheduler and a slice too long to end: only `yield_now` lets the
    // spawned child run. Total fuel bounds the test if yielding is broken.
    let node = node_with(NodeConfig::default().schedulers(1).reductions(1 << 40).max_fuel(Some(2_000_000_000)));
    let module = load(
        &node,
        "yield",
        &wat(r#"
        (data (i32.const 1024) "child")
        (func (export "main")
          (local $reporter i64)
          (local $yields i64)
          (local.set $reporter (call $arg_pid))
          (i64.store (i32.const 16) (call $self))
          (drop (call $spawn (i32.const 1024) (i32.const 5) (i32.const 16) (i32.const 8)))
          ;; spin, polling, until the child's message is there
          (block $got
            (loop $spin
              (br_if $got (i32.ge_s (call $receive (i32.const 0) (i32.const 0) (i64.const 0)) (i32.const 0)))
              (call $yield_now)
              (local.set $yields (i64.add (local.get $yields) (i64.const 1)))
              (br $spin)))
          (call $report (local.get $reporter) (i64.const 1) (local.get $yields)))
        (func (export "child")
          (call $report (call $arg_pid) (i64.const 2) (i64.const 0)))
        "#),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    let yields = as_i64(&recv_tag(&inbox, 1).data);
    assert!(yields >= 1, "the child ran before the first poll? yields: {yields}");
    finish_normally(&process);
}

#[test]
fn reductions_of_a_running_process_grow() {
    let node = node(2);
    let module = load(
        &node,
        "reductions",
        &wat(r#"
        (func $work (param $n i32)
          (loop $again
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br_if $again (i32.gt_s (local.get $n) (i32.const 0)))))
        (func $wait_a_little
          ;; nothing is sent to it now: the receive waits, and times out
          (drop (call $receive (i32.const 0) (i32.const 0) (i64.const 1))))
        (func (export "main")
          (local $reporter i64)
          (local.set $reporter (call $arg_pid))
          (call $work (i32.const 100000))
          (call $wait_a_little)
          (call $report (local.get $reporter) (i64.const 1) (i64.const 0))
          ;; go on when told (tag 1)
          (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
          (call $work (i32.const 100000))
          (call $wait_a_little)
          (call $report (local.get $reporter) (i64.const 2) (i64.const 0))
          ;; stop when told
          (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1))))
        "#),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    recv_tag(&inbox, 1);
    let first = node.reductions(process.pid()).expect("a live process has reductions");
    // About one unit of fuel per instruction: 100,000 iterations of a loop
    // of a few instructions, plus a few calls.
    assert!((100_000..10_000_000).contains(&first), "100,000 loop iterations: {first} reductions");
    inbox.send(process.pid(), 1, b"");
    recv_tag(&inbox, 2);
    let second = node.reductions(process.pid()).expect("a live process has reductions");
    assert!(
        (first + 100_000..first + 10_000_000).contains(&second),
        "reductions grow with the work done: {first} then {second}"
    );
    inbox.send(process.pid(), 1, b"");
    finish_normally(&process);
    assert_eq!(node.reductions(process.pid()), None, "a dead process has no reductions");
}

#[test]
fn the_rust_sdk_handler_echoes_in_order_and_stops_on_tag_99() {
    let node = node(2);
    let module = load_artifact(&node, warren_test_artifacts::SDK_HANDLER);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", b"");
    for i in 0..100u32 {
        inbox.send(process.pid(), i64::from(i % 50), &i.to_le_bytes());
    }
    inbox.send(process.pid(), 99, b"stop");
    for i in 0..100u32 {
        let reply = recv(&inbox);
        assert_eq!((reply.sender, reply.tag, as_u32(&reply.data)), (process.pid(), i64::from(i % 50), i));
    }
    let last = recv_tag(&inbox, 99);
    assert_eq!(&*last.data, b"stop");
    finish_normally(&process);
}

#[test]
fn a_rust_sdk_handler_export_can_be_spawned_directly() {
    let node = node(2);
    let module = load_artifact(&node, warren_test_artifacts::SDK_HANDLER);
    let inbox = node.inbox();
    // `handle` is `warren::handler!(handle, echo)`: no entry runs first.
    let process = spawn(&node, &module, "handle", b"");
    for i in 0..10u32 {
        inbox.send(process.pid(), 5, &i.to_le_bytes());
        assert_eq!(as_u32(&recv_tag(&inbox, 5).data), i);
    }
    inbox.send(process.pid(), 99, b"stop");
    recv_tag(&inbox, 99);
    finish_normally(&process);
}

#[test]
fn the_rust_sdk_counters_count_each_in_its_own_instance() {
    let node = node(2);
    let module = load_artifact(&node, warren_test_artifacts::SDK_HANDLER);
    let inbox = node.inbox();
    let count = |pid: Pid| -> u64 {
        inbox.send(pid, 2, b"");
        let reply = recv_tag(&inbox, 2);
        assert_eq!(reply.sender, pid);
        u64::from_le_bytes(reply.data[..].try_into().unwrap())
    };
    let first = spawn(&node, &module, "counter_main", b"");
    let second = spawn(&node, &module, "counter_main", b"");
    assert_eq!(count(first.pid()), 0);
    for _ in 0..50 {
        inbox.send(first.pid(), 1, b"");
    }
    inbox.send(first.pid(), 5, b"ignored");
    for _ in 0..3 {
        inbox.send(second.pid(), 1, b"");
    }
    assert_eq!(count(first.pid()), 50);
    assert_eq!(count(second.pid()), 3);
    for _ in 0..5 {
        inbox.send(first.pid(), 1, b"");
    }
    assert_eq!(count(first.pid()), 55);
    inbox.send(first.pid(), 99, b"");
    inbox.send(second.pid(), 99, b"");
    finish_normally(&first);
    finish_normally(&second);
}

/// A handler-style process in WAT: `main` registers `on_message`, which
/// replies to each message's sender with tag + 100 and the payload
/// `[messages handled so far: i64][the message]`, and stops after tag 9.
/// Tag 8 makes it exit with a custom reason, tag 7 trap, tag 6 return 6,
/// tag 5 return -1, and tag 1 wait inside the call for a tag 2 message whose
/// payload it sends back with tag 3.
const HANDLER: &str = r#"
  (data (i32.const 1024) "on_message")
  (data (i32.const 1040) "handler quit")
  (data (i32.const 1056) "nope")
  (data (i32.const 1064) "main")
  (global $handled (mut i64) (i64.const 0))
  (func (export "main")
    (if (call $set_handler (i32.const 1024) (i32.const 10))
      (then (unreachable))))
  (func (export "on_message") (result i32)
    (local $len i32)
    (local $tag i64)
    (global.set $handled (i64.add (global.get $handled) (i64.const 1)))
    (local.set $tag (call $msg_tag))
    (if (i64.eq (local.get $tag) (i64.const 8))
      (then (call $exit (i32.const 2) (i32.const 1040) (i32.const 12))))
    (if (i64.eq (local.get $tag) (i64.const 7))
      (then (unreachable)))
    (if (i64.eq (local.get $tag) (i64.const 6))
      (then (return (i32.const 6))))
    (if (i64.eq (local.get $tag) (i64.const 5))
      (then (return (i32.const -1))))
    (if (i64.eq (local.get $tag) (i64.const 1))
      (then
        (i64.store (i32.const 16) (i64.const 2))
        (local.set $len (call $receive (i32.const 16) (i32.const 1) (i64.const -1)))
        (drop (call $msg_read (i32.const 0) (i32.const 256) (local.get $len)))
        (drop (call $send (call $msg_sender) (i64.const 3) (i32.const 256) (local.get $len)))
        (return (i32.const 0))))
    (local.set $len (call $msg_size))
    (i64.store (i32.const 248) (global.get $handled))
    (drop (call $msg_read (i32.const 0) (i32.const 256) (local.get $len)))
    (drop (call $send (call $msg_sender) (i64.add (local.get $tag) (i64.const 100))
                      (i32.const 248) (i32.add (local.get $len) (i32.const 8))))
    (i64.eq (local.get $tag) (i64.const 9)))
  ;; set_handler with a missing export, an export of the wrong type and an
  ;; empty name: each ERR_NO_SUCH_EXPORT; then the entry returns.
  (func (export "bad_handlers")
    (local $reporter i64)
    (local.set $reporter (call $arg_pid))
    (call $report (local.get $reporter) (i64.const 1)
      (i64.extend_i32_s (call $set_handler (i32.const 1056) (i32.const 4))))
    (call $report (local.get $reporter) (i64.const 2)
      (i64.extend_i32_s (call $set_handler (i32.const 1064) (i32.const 4))))
    (call $report (local.get $reporter) (i64.const 3)
      (i64.extend_i32_s (call $set_handler (i32.const 1064) (i32.const 0)))))
"#;

#[test]
fn a_wat_handler_process_handles_each_message_in_order_keeping_its_state() {
    let node = node(2);
    let module = load(&node, "handler", &wat(HANDLER));
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", b"");
    let texts = ["one", "two", "three", "four"];
    for (i, text) in texts.iter().enumerate() {
        inbox.send(process.pid(), 20 + i as i64, text.as_bytes());
    }
    for (i, text) in texts.iter().enumerate() {
        let reply = recv_tag(&inbox, 120 + i as i64);
        assert_eq!(reply.sender, process.pid());
        assert_eq!(as_i64(&reply.data[..8]), i as i64 + 1, "messages handled so far");
        assert_eq!(&reply.data[8..], text.as_bytes());
    }
    assert!(node.is_alive(process.pid()), "an idle handler process stays alive");
    inbox.send(process.pid(), 9, b"last");
    let last = recv_tag(&inbox, 109);
    assert_eq!((as_i64(&last.data[..8]), &last.data[8..]), (5, &b"last"[..]));
    finish_normally(&process);
}

#[test]
fn a_process_spawned_on_a_handler_export_starts_handler_style() {
    let node = node(2);
    let module = load(&node, "handler", &wat(HANDLER));
    let inbox = node.inbox();
    // No entry runs: the first message is the handler's first call.
    let process = spawn(&node, &module, "on_message", b"");
    for (i, text) in ["one", "two"].iter().enumerate() {
        inbox.send(process.pid(), 20 + i as i64, text.as_bytes());
        let reply = recv_tag(&inbox, 120 + i as i64);
        assert_eq!((as_i64(&reply.data[..8]), &reply.data[8..]), (i as i64 + 1, text.as_bytes()));
    }
    inbox.send(process.pid(), 9, b"");
    recv_tag(&inbox, 109);
    finish_normally(&process);
    // A guest spawns one the same way (`spawn_module` with the handler's name).
    let spawner = load(
        &node,
        "handler_spawner",
        &wat(r#"
          (data (i32.const 1024) "on_message")
          (data (i32.const 1040) "handler")
          (func (export "main")
            (local $child i64)
            (local.set $child (call $spawn_module (i32.const 1040) (i32.const 7)
                                                  (i32.const 1024) (i32.const 10) (i32.const 0) (i32.const 0)))
            (i64.store (i32.const 16) (i64.const 2))
            (drop (call $send (local.get $child) (i64.const 2) (i32.const 16) (i32.const 8)))
            (drop (call $send (local.get $child) (i64.const 9) (i32.const 16) (i32.const 0)))
            (call $report (call $arg_pid) (i64.const 5) (local.get $child)))
        "#),
    );
    let parent = spawn(&node, &spawner, "main", &pid_bytes(inbox.pid()));
    finish_normally(&parent);
    let child = Pid::from_raw(as_i64(&recv_tag(&inbox, 5).data) as u64).expect("a pid");
    // The handler's replies went to the spawner (dead by now); it ended on tag 9.
    let start = std::time::Instant::now();
    while node.is_alive(child) {
        assert!(start.elapsed() < PATIENCE, "the spawned handler never ended");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

#[test]
fn a_handler_may_wait_in_receive_within_its_call() {
    let node = node(2);
    let module = load(&node, "handler", &wat(HANDLER));
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", b"");
    inbox.send(process.pid(), 1, b"");
    inbox.send(process.pid(), 40, b"queued meanwhile");
    inbox.send(process.pid(), 2, b"the answer");
    let answer = recv_tag(&inbox, 3);
    assert_eq!(&*answer.data, b"the answer");
    // The message that did not match stayed queued, for the next call.
    let next = recv_tag(&inbox, 140);
    assert_eq!((as_i64(&next.data[..8]), &next.data[8..]), (2, &b"queued meanwhile"[..]));
    inbox.send(process.pid(), 9, b"");
    recv_tag(&inbox, 109);
    finish_normally(&process);
}

#[test]
fn a_handler_returning_non_zero_ends_the_process_normally() {
    let node = node(2);
    let module = load(&node, "handler", &wat(HANDLER));
    let inbox = node.inbox();
    for tag in [6, 5] {
        let process = spawn(&node, &module, "main", b"");
        inbox.send(process.pid(), 30, b"first");
        recv_tag(&inbox, 130);
        inbox.send(process.pid(), tag, b"");
        inbox.send(process.pid(), 31, b"never handled");
        finish_normally(&process);
        assert!(!node.is_alive(process.pid()));
    }
    assert_eq!(inbox.try_recv(), None, "no message is handled after the handler asked to stop");
}

#[test]
fn a_handler_may_end_its_process_with_exit_or_by_trapping() {
    let node = node(2);
    let module = load(&node, "handler", &wat(HANDLER));
    let inbox = node.inbox();
    let quits = spawn(&node, &module, "main", b"");
    inbox.send(quits.pid(), 8, b"");
    assert_eq!(finish(&quits), ExitReason::Custom(b"handler quit".to_vec()));
    let crashes = spawn(&node, &module, "main", b"");
    inbox.send(crashes.pid(), 7, b"");
    expect_trap(&finish(&crashes), &["unreachable"]);
    assert_node_still_runs(&node);
}

#[test]
fn set_handler_with_a_missing_export_returns_err_no_such_export() {
    let node = node(2);
    let module = load(&node, "handler", &wat(HANDLER));
    let inbox = node.inbox();
    let process = spawn(&node, &module, "bad_handlers", &reporter_arg(&inbox, b""));
    let got: Vec<i64> = (1..=3).map(|tag| as_i64(&recv_tag(&inbox, tag).data)).collect();
    assert_eq!(got, [i64::from(ERR_NO_SUCH_EXPORT); 3], "missing, wrong type (() -> ()), empty name");
    // Not handler-style, so returning from the entry ends it.
    finish_normally(&process);
}

#[test]
fn a_handler_process_handles_a_burst_of_10000_messages_in_order() {
    const BURST: u32 = 10_000;
    let node = node(2);
    let module = load(&node, "handler", &wat(HANDLER));
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", b"");
    for i in 0..BURST {
        inbox.send(process.pid(), 20, &i.to_le_bytes());
    }
    for i in 0..BURST {
        let reply = recv_tag(&inbox, 120);
        assert_eq!((as_i64(&reply.data[..8]), as_u32(&reply.data[8..])), (i64::from(i) + 1, i));
    }
    inbox.send(process.pid(), 9, b"");
    recv_tag(&inbox, 109);
    finish_normally(&process);
}

#[test]
fn a_busy_handler_call_is_preempted_too() {
    let node = node(1);
    let module = load(
        &node,
        "busy-handler",
        &wat(r#"
        (data (i32.const 1024) "spin")
        (func (export "main")
          (drop (call $set_handler (i32.const 1024) (i32.const 4))))
        (func (export "spin") (result i32)
          (loop $forever (br $forever))
          (i32.const 0))
        "#),
    );
    let spinner = spawn(&node, &module, "main", b"");
    let inbox = node.inbox();
    inbox.send(spinner.pid(), 1, b"start spinning");
    let pingpong = load_fixture(&node, "pingpong.wat");
    let process = spawn(&node, &pingpong, "main", &reporter_arg(&inbox, &200u32.to_le_bytes()));
    assert_eq!(as_u32(&recv_tag(&inbox, 7).data), 200);
    finish_normally(&process);
    assert!(node.is_alive(spinner.pid()));
}

#[test]
fn many_ping_pong_pairs_all_complete_concurrently() {
    const PAIRS: usize = 50;
    const ROUNDS: u32 = 200;
    let node = node(2);
    let pingpong = load_fixture(&node, "pingpong.wat");
    let inbox = node.inbox();
    let pairs: Vec<ProcessHandle> =
        (0..PAIRS).map(|_| spawn(&node, &pingpong, "main", &reporter_arg(&inbox, &ROUNDS.to_le_bytes()))).collect();
    let mut reported = std::collections::HashSet::new();
    for _ in 0..PAIRS {
        let report = recv_tag(&inbox, 7);
        assert_eq!(as_u32(&report.data), ROUNDS);
        assert!(reported.insert(report.sender), "{} reported twice", report.sender);
    }
    for pair in &pairs {
        finish_normally(pair);
    }
}

#[test]
fn a_receive_that_times_out_never_loses_a_message() {
    const COUNT: u32 = 300;
    let node = node(2);
    let module = load(
        &node,
        "short-waits",
        &wat(r#"
        ;; argument: [reporter][count: u32]. Waits 1 ms at a time; forwards
        ;; each message (tag 1) until it has `count`, then reports how often
        ;; it timed out (tag 2).
        (func (export "main")
          (local $reporter i64)
          (local $count i32)
          (local $got i32)
          (local $timeouts i64)
          (local $len i32)
          (local.set $reporter (call $arg_pid))
          (drop (call $arg_read (i32.const 16) (i32.const 12)))
          (local.set $count (i32.load (i32.const 24)))
          (block $done
            (loop $wait
              (br_if $done (i32.ge_u (local.get $got) (local.get $count)))
              (local.set $len (call $receive (i32.const 0) (i32.const 0) (i64.const 1)))
              (if (i32.lt_s (local.get $len) (i32.const 0))
                (then (local.set $timeouts (i64.add (local.get $timeouts) (i64.const 1))))
                (else
                  (drop (call $msg_read (i32.const 0) (i32.const 32) (i32.const 4)))
                  (drop (call $send (local.get $reporter) (i64.const 1) (i32.const 32) (i32.const 4)))
                  (local.set $got (i32.add (local.get $got) (i32.const 1)))))
              (br $wait)))
          (call $report (local.get $reporter) (i64.const 2) (local.get $timeouts)))
        "#),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, &COUNT.to_le_bytes()));
    for i in 0..COUNT {
        inbox.send(process.pid(), 1, &i.to_le_bytes());
        // Spread the sends over the guest's 1 ms waits (pacing only).
        if i % 3 == 0 {
            std::thread::sleep(std::time::Duration::from_micros(300));
        }
    }
    for i in 0..COUNT {
        assert_eq!(as_u32(&recv_tag(&inbox, 1).data), i);
    }
    recv_tag(&inbox, 2);
    finish_normally(&process);
}

/// A WASI guest whose `main` sleeps (WASI `poll_oneoff` on a relative
/// monotonic clock) for the number of milliseconds in its argument after
/// the reporter pid, then reports tag 1 with poll_oneoff's errno.
fn wasi_sleeper(node: &Node) -> LoadedModule {
    let source = format!(
        r#"(module
          (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
          {PRELUDE}
          (func (export "main")
            (local $reporter i64)
            (local $errno i32)
            (local.set $reporter (call $arg_pid))
            (drop (call $arg_read (i32.const 16) (i32.const 16)))
            ;; one clock subscription at 256: userdata, tag 0 (clock),
            ;; monotonic clock (1), timeout in ns, precision 0, relative
            (i64.store (i32.const 256) (i64.const 42))
            (i32.store8 (i32.const 264) (i32.const 0))
            (i32.store (i32.const 272) (i32.const 1))
            (i64.store (i32.const 280) (i64.mul (i64.load (i32.const 24)) (i64.const 1000000)))
            (i64.store (i32.const 288) (i64.const 0))
            (i32.store16 (i32.const 296) (i32.const 0))
            (local.set $errno (call $poll_oneoff (i32.const 256) (i32.const 512) (i32.const 1) (i32.const 600)))
            (call $report (local.get $reporter) (i64.const 1) (i64.extend_i32_u (local.get $errno)))))"#
    );
    load(node, "sleeper", &source)
}

#[test]
fn a_wasi_sleep_ends_and_the_process_goes_on() {
    let node = node(1);
    let module = wasi_sleeper(&node);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, &10i64.to_le_bytes()));
    assert_eq!(as_i64(&recv_tag(&inbox, 1).data), 0, "poll_oneoff errno");
    finish_normally(&process);
}

#[test]
fn a_process_sleeping_in_wasi_holds_no_scheduler_thread() {
    let node = node(1);
    let module = wasi_sleeper(&node);
    let inbox = node.inbox();
    // Longer than the test's patience: if it held the only scheduler
    // thread, the ping-pong below could not finish in time.
    let sleeper = spawn(&node, &module, "main", &reporter_arg(&inbox, &120_000i64.to_le_bytes()));
    let pingpong = load_fixture(&node, "pingpong.wat");
    let process = spawn(&node, &pingpong, "main", &reporter_arg(&inbox, &100u32.to_le_bytes()));
    assert_eq!(as_u32(&recv_tag(&inbox, 7).data), 100);
    finish_normally(&process);
    assert!(node.is_alive(sleeper.pid()), "still asleep");
}

#[test]
fn set_handler_inside_a_handler_sends_the_next_messages_to_the_new_one() {
    let node = node(2);
    let module = load(
        &node,
        "switching-handler",
        &wat(r#"
          (data (i32.const 1024) "one")
          (data (i32.const 1032) "two")
          (func (export "main")
            (if (call $set_handler (i32.const 1024) (i32.const 3))
              (then (unreachable))))
          ;; Replies tag + 100; on tag 3, switches to `two` (after this call).
          (func (export "one") (result i32)
            (drop (call $send (call $msg_sender) (i64.add (call $msg_tag) (i64.const 100)) (i32.const 0) (i32.const 0)))
            (if (i64.eq (call $msg_tag) (i64.const 3))
              (then (drop (call $set_handler (i32.const 1032) (i32.const 3)))))
            (i32.const 0))
          ;; Replies tag + 200; ends after tag 9.
          (func (export "two") (result i32)
            (drop (call $send (call $msg_sender) (i64.add (call $msg_tag) (i64.const 200)) (i32.const 0) (i32.const 0)))
            (i64.eq (call $msg_tag) (i64.const 9)))
        "#),
    );
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", b"");
    for tag in [1, 2, 3, 4, 9] {
        inbox.send(process.pid(), tag, b"");
    }
    let tags: Vec<i64> = (0..5).map(|_| recv(&inbox).tag).collect();
    assert_eq!(tags, [101, 102, 103, 204, 209]);
    finish_normally(&process);
}
