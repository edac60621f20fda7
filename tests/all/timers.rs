//! Timers: due order, cancel racing the firing, read_timer, timers to dead
//! processes, timers to names, and sleep. No test asserts on elapsed time:
//! a guest checks with read_timer that its timers were made close enough
//! together for their order to be decided, and tries again if not.

use crate::common::*;
use crate::links::{arg, links_module, raw, signal};
use warren_host::{ERR_NO_SUCH_TIMER, REASON_KILL};

const TIMERS: &str = r#"
  (data (i32.const 8192) "target")   ;; 8192, 6
  (data (i32.const 8200) "tick")     ;; 8200, 4
  (data (i32.const 8208) "ponger")   ;; 8208, 6
  (data (i32.const 8216) "zero")     ;; 8216, 4

  (func $put (param $index i32) (param $value i64)
    (i64.store (i32.add (i32.const 320) (i32.shl (local.get $index) (i32.const 3))) (local.get $value)))

  ;; Argument: [reporter][n][spacing]. Makes n timers to itself, the i-th
  ;; due in 5 + spacing * ((7 i) mod n) ms, with that rank as payload. If
  ;; read_timer shows they were all made within less than `spacing` ms (so
  ;; their due order is their rank order), receives them and reports the
  ;; ranks in arrival order (tag 2) and the attempt (tag 3); else cancels
  ;; them and tries again with the next attempt's tag.
  (func (export "due_order")
    (local $n i32) (local $spacing i64) (local $i i32) (local $attempt i64) (local $left i64)
    (drop (call $args))
    (local.set $n (i32.wrap_i64 (i64.load (i32.const 72))))
    (local.set $spacing (i64.load (i32.const 80)))
    (loop $attempt
      (local.set $attempt (i64.add (local.get $attempt) (i64.const 1)))
      (if (i64.gt_s (local.get $attempt) (i64.const 50)) (then unreachable))
      (local.set $i (i32.const 0))
      (loop $make
        (i64.store (i32.const 32) (i64.extend_i32_u (i32.rem_u (i32.mul (local.get $i) (i32.const 7)) (local.get $n))))
        (call $put (local.get $i)
          (call $send_after (call $self) (i64.add (i64.const 100) (local.get $attempt)) (i32.const 32) (i32.const 8)
            (i64.add (i64.const 5) (i64.mul (local.get $spacing) (i64.load (i32.const 32))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $make (i32.lt_u (local.get $i) (local.get $n))))
      ;; the first timer (rank 0, due in 5 ms): made at t0; all made before
      ;; now < t0 + 5 - left + 1
      (local.set $left (call $read_timer (i64.load (i32.const 320))))
      (if (i32.or (i64.lt_s (local.get $left) (i64.const 0))
                  (i64.ge_s (i64.sub (i64.const 6) (local.get $left)) (local.get $spacing)))
        (then
          (local.set $i (i32.const 0))
          (loop $cancel
            (drop (call $cancel_timer (i64.load (i32.add (i32.const 320) (i32.shl (local.get $i) (i32.const 3))))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br_if $cancel (i32.lt_u (local.get $i) (local.get $n))))
          (br $attempt))))
    (local.set $i (i32.const 0))
    (loop $take
      (drop (call $recv_tag (i64.add (i64.const 100) (local.get $attempt))))
      (if (i64.ne (call $msg_sender) (call $self)) (then unreachable))
      (call $put (local.get $i) (i64.load (i32.const 1024)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $take (i32.lt_u (local.get $i) (local.get $n))))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 2) (i32.const 320) (i32.shl (local.get $n) (i32.const 3))))
    (call $report (i64.load (i32.const 64)) (i64.const 3) (local.get $attempt)))

  ;; Argument: [reporter][n][ms]. Makes n timers to itself, all due in ms,
  ;; payload = the index; reports the indices in arrival order (tag 2).
  (func (export "same_due")
    (local $n i32) (local $i i32)
    (drop (call $args))
    (local.set $n (i32.wrap_i64 (i64.load (i32.const 72))))
    (loop $make
      (i64.store (i32.const 32) (i64.extend_i32_u (local.get $i)))
      (drop (call $send_after (call $self) (i64.const 1) (i32.const 32) (i32.const 8) (i64.load (i32.const 80))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $make (i32.lt_u (local.get $i) (local.get $n))))
    (local.set $i (i32.const 0))
    (loop $take
      (drop (call $recv_tag (i64.const 1)))
      (call $put (local.get $i) (i64.load (i32.const 1024)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $take (i32.lt_u (local.get $i) (local.get $n))))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 2) (i32.const 320) (i32.shl (local.get $n) (i32.const 3)))))

  ;; Argument: [reporter][n]. n times: a timer to itself (tag 1, payload i)
  ;; due in i mod 3 ms; a pause (none, a busy loop, or sleep 1 ms); then
  ;; cancel_timer. Time left: the message must never come. ERR_NO_SUCH_TIMER:
  ;; it must come, and be this one. Finally a sentinel timer (tag 2): any
  ;; tag 1 before it is a cancelled timer's message. Reports (tag 7)
  ;; [cancelled, fired, wrong answers or messages, late messages].
  (func (export "cancel_race")
    (local $i i64) (local $ref i64) (local $left i64) (local $spin i32)
    (local $cancelled i64) (local $fired i64) (local $wrong i64) (local $late i64)
    (drop (call $args))
    (loop $next
      (i64.store (i32.const 32) (local.get $i))
      (local.set $ref (call $send_after (call $self) (i64.const 1) (i32.const 32) (i32.const 8)
        (i64.rem_u (local.get $i) (i64.const 3))))
      (if (i64.eq (i64.rem_u (local.get $i) (i64.const 8)) (i64.const 7))
        (then (drop (call $sleep (i64.const 1)))))
      (if (i64.eq (i64.rem_u (local.get $i) (i64.const 8)) (i64.const 3))
        (then
          (local.set $spin (i32.wrap_i64 (i64.rem_u (i64.mul (local.get $i) (i64.const 7919)) (i64.const 200000))))
          (loop $busy
            (local.set $spin (i32.sub (local.get $spin) (i32.const 1)))
            (br_if $busy (i32.gt_s (local.get $spin) (i32.const 0))))))
      (local.set $left (call $cancel_timer (local.get $ref)))
      (if (i64.ge_s (local.get $left) (i64.const 0))
        (then (local.set $cancelled (i64.add (local.get $cancelled) (i64.const 1))))
        (else
          (if (i64.eq (local.get $left) (i64.const -24))
            (then
              (local.set $fired (i64.add (local.get $fired) (i64.const 1)))
              (drop (call $recv_tag (i64.const 1)))
              (if (i64.ne (i64.load (i32.const 1024)) (local.get $i))
                (then (local.set $wrong (i64.add (local.get $wrong) (i64.const 1))))))
            (else (local.set $wrong (i64.add (local.get $wrong) (i64.const 1)))))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $next (i64.lt_u (local.get $i) (i64.load (i32.const 72)))))
    (drop (call $send_after (call $self) (i64.const 2) (i32.const 0) (i32.const 0) (i64.const 5)))
    (i64.store (i32.const 40) (i64.const 1))
    (i64.store (i32.const 48) (i64.const 2))
    (loop $drain
      (drop (call $receive (i32.const 40) (i32.const 2) (i64.const -1)))
      (if (i64.eq (call $msg_tag) (i64.const 1))
        (then (local.set $late (i64.add (local.get $late) (i64.const 1))) (br $drain))))
    (call $put (i32.const 0) (local.get $cancelled))
    (call $put (i32.const 1) (local.get $fired))
    (call $put (i32.const 2) (local.get $wrong))
    (call $put (i32.const 3) (local.get $late))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 7) (i32.const 320) (i32.const 32))))

  ;; Argument: [reporter]. Reports (tag 7) the results of a script of
  ;; send_after / read_timer / cancel_timer calls.
  (func (export "timer_script")
    (local $ref i64)
    (drop (call $args))
    (local.set $ref (call $send_after (call $self) (i64.const 1) (i32.const 0) (i32.const 0) (i64.const 60000)))
    (call $put (i32.const 0) (local.get $ref))
    (call $put (i32.const 1) (call $read_timer (local.get $ref)))
    (call $put (i32.const 2) (call $read_timer (local.get $ref)))
    (call $put (i32.const 3) (call $cancel_timer (local.get $ref)))
    (call $put (i32.const 4) (call $read_timer (local.get $ref)))
    (call $put (i32.const 5) (call $cancel_timer (local.get $ref)))
    (call $put (i32.const 6) (call $read_timer (i64.const 999999999)))
    (call $put (i32.const 7) (call $cancel_timer (i64.const -5)))
    (call $put (i32.const 8) (call $send_after (call $self) (i64.const 1) (i32.const 0) (i32.const 0) (i64.const -1)))
    (call $put (i32.const 9) (call $send_after (call $self) (i64.const -1) (i32.const 0) (i32.const 0) (i64.const 1)))
    (call $put (i32.const 10) (call $send_after (i64.const 0) (i64.const 1) (i32.const 0) (i32.const 0) (i64.const 1)))
    (call $put (i32.const 11) (call $send_after_named (i32.const 8192) (i32.const 6) (i64.const -1) (i32.const 0) (i32.const 0) (i64.const 1)))
    (drop (call $send_after (call $self) (i64.const 3) (i32.const 8216) (i32.const 4) (i64.const 0)))
    (call $put (i32.const 12) (i64.extend_i32_s (call $recv_tag (i64.const 3))))
    (call $put (i32.const 13) (i64.sub (call $msg_sender) (call $self)))
    (call $put (i32.const 14) (i64.extend_i32_u (i32.load (i32.const 1024))))
    ;; the longest timer there is
    (local.set $ref (call $send_after (call $self) (i64.const 1) (i32.const 0) (i32.const 0) (i64.const 0x7fffffffffffffff)))
    (call $put (i32.const 15) (local.get $ref))
    (call $put (i32.const 16) (call $read_timer (local.get $ref)))
    (call $put (i32.const 17) (call $cancel_timer (local.get $ref)))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 7) (i32.const 320) (i32.const 144))))

  ;; Argument: [reporter][target][ms]. A timer to target (tag 1) due in ms;
  ;; reports (tag 1) [ref, read_timer]; on any message reports (tag 2)
  ;; [read_timer, cancel_timer] and returns.
  (func (export "timer_to")
    (local $ref i64)
    (drop (call $args))
    (local.set $ref (call $send_after (i64.load (i32.const 72)) (i64.const 1) (i32.const 0) (i32.const 0) (i64.load (i32.const 80))))
    (call $put (i32.const 0) (local.get $ref))
    (call $put (i32.const 1) (call $read_timer (local.get $ref)))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 1) (i32.const 320) (i32.const 16)))
    (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
    (call $put (i32.const 0) (call $read_timer (local.get $ref)))
    (call $put (i32.const 1) (call $cancel_timer (local.get $ref)))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 2) (i32.const 320) (i32.const 16))))

  ;; Argument: [reporter]. Forwards every message to the reporter as tag 4
  ;; [its tag][its sender], forever.
  (func (export "forwarder")
    (drop (call $args))
    (loop $forever
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (call $put (i32.const 0) (call $msg_tag))
      (call $put (i32.const 1) (call $msg_sender))
      (drop (call $send (i64.load (i32.const 64)) (i64.const 4) (i32.const 320) (i32.const 16)))
      (br $forever)))

  ;; Argument: [reporter][a][b]. Names a "target", makes a timer to the name
  ;; (tag 10 + attempt), moves the name to b; if the timer is still pending
  ;; it must reach b: reports the attempt's tag (tag 1). Else tries again
  ;; with a longer timer.
  (func (export "named_timer")
    (local $attempt i64) (local $ref i64)
    (drop (call $args))
    (loop $attempt
      (local.set $attempt (i64.add (local.get $attempt) (i64.const 1)))
      (if (i64.gt_s (local.get $attempt) (i64.const 12)) (then unreachable))
      (drop (call $unregister (i32.const 8192) (i32.const 6)))
      (if (call $register (i32.const 8192) (i32.const 6) (i64.load (i32.const 72))) (then unreachable))
      (local.set $ref (call $send_after_named (i32.const 8192) (i32.const 6) (i64.add (i64.const 10) (local.get $attempt))
        (i32.const 8200) (i32.const 4) (i64.shl (i64.const 2) (local.get $attempt))))
      (if (call $unregister (i32.const 8192) (i32.const 6)) (then unreachable))
      (if (call $register (i32.const 8192) (i32.const 6) (i64.load (i32.const 80))) (then unreachable))
      (br_if $attempt (i64.lt_s (call $read_timer (local.get $ref)) (i64.const 0))))
    (call $report (i64.load (i32.const 64)) (i64.const 1) (i64.add (i64.const 10) (local.get $attempt))))

  ;; Argument: [reporter][ms]. Reports sleep's result (tag 1), then returns.
  (func (export "sleeper")
    (drop (call $args))
    (call $report (i64.load (i32.const 64)) (i64.const 1) (i64.extend_i32_s (call $sleep (i64.load (i32.const 72))))))

  ;; Argument: [reporter][rounds]. Round trips with a `ponger`; reports the
  ;; rounds done (tag 2).
  (func (export "pinger")
    (local $ponger i64) (local $i i64)
    (drop (call $args))
    (i64.store (i32.const 320) (call $self))
    (local.set $ponger (call $spawn (i32.const 8208) (i32.const 6) (i32.const 320) (i32.const 8)))
    (loop $round
      (drop (call $send (local.get $ponger) (i64.const 1) (i32.const 0) (i32.const 0)))
      (drop (call $recv_tag (i64.const 2)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $round (i64.lt_s (local.get $i) (i64.load (i32.const 72)))))
    (drop (call $send (local.get $ponger) (i64.const 0) (i32.const 0) (i32.const 0)))
    (call $report (i64.load (i32.const 64)) (i64.const 2) (local.get $i)))

  (func (export "ponger")
    (drop (call $args))
    (loop $serve
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (if (i64.eqz (call $msg_tag)) (then (return)))
      (drop (call $send (i64.load (i32.const 64)) (i64.const 2) (i32.const 0) (i32.const 0)))
      (br $serve)))
"#;

fn timers_module(node: &Node) -> LoadedModule {
    load(node, "timers", &rwat(TIMERS))
}

#[test]
fn timers_fire_in_due_order() {
    let node = node(2);
    let module = timers_module(&node);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "due_order", &arg(&[raw(inbox.pid()), 20, 10], b""));
    let ranks = as_i64s(&recv_tag(&inbox, 2).data);
    let attempt = as_i64(&recv_tag(&inbox, 3).data);
    assert_eq!(ranks, (0..20).collect::<Vec<i64>>(), "arrival order (attempt {attempt})");
    finish_normally(&process);
}

#[test]
fn timers_due_at_the_same_time_fire_in_the_order_they_were_made() {
    let node = node(2);
    let module = timers_module(&node);
    let inbox = node.inbox();
    for ms in [0, 3] {
        let process = spawn(&node, &module, "same_due", &arg(&[raw(inbox.pid()), 80, ms], b""));
        assert_eq!(as_i64s(&recv_tag(&inbox, 2).data), (0..80).collect::<Vec<i64>>(), "due in {ms} ms");
        finish_normally(&process);
    }
}

#[test]
fn cancel_timer_racing_the_firing_gives_a_consistent_answer() {
    const N: i64 = 1000;
    let node = node(2);
    let module = timers_module(&node);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "cancel_race", &arg(&[raw(inbox.pid()), N], b""));
    let [cancelled, fired, wrong, late] = as_i64s(&recv_tag(&inbox, 7).data)[..] else { panic!("four values") };
    println!("cancel race: {cancelled} cancelled, {fired} fired");
    assert_eq!((wrong, late), (0, 0), "inconsistent answers / messages of cancelled timers");
    assert_eq!(cancelled + fired, N);
    finish_normally(&process);
    assert_eq!(node.pending_timers(), 0);
}

#[test]
fn read_timer_and_cancel_timer_report_the_time_left_until_the_timer_is_gone() {
    let node = node(2);
    let module = timers_module(&node);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "timer_script", &reporter_arg(&inbox, b""));
    let v = as_i64s(&recv_tag(&inbox, 7).data);
    let (gone, bad) = (i64::from(ERR_NO_SUCH_TIMER), i64::from(ERR_BADARG));
    assert!(v[0] > 0, "a timer reference is positive: {}", v[0]);
    assert!(0 < v[1] && v[1] <= 60_000, "read_timer: {}", v[1]);
    assert!(0 < v[2] && v[2] <= v[1], "time left only shrinks: {} then {}", v[1], v[2]);
    assert!(0 < v[3] && v[3] <= v[2], "cancel_timer returns the time left: {}", v[3]);
    assert_eq!(
        v[4..15],
        [
            gone,                                    // read_timer after cancel
            gone,                                    // cancel_timer again
            gone,                                    // read_timer of an unknown reference
            gone,                                    // cancel_timer of a negative reference
            bad,                                     // send_after with a negative time
            bad,                                     // send_after with a negative tag
            bad,                                     // send_after to a malformed pid
            bad,                                     // send_after_named with a negative tag
            4,                                       // a timer due in 0 ms came, 4 bytes
            0,                                       // from the process itself
            i64::from(u32::from_le_bytes(*b"zero")), // with its payload
        ]
    );
    // A timer due in i64::MAX ms is simply pending (far) in the future.
    assert!(v[15] > 0 && v[16] > 0 && v[17] > 0, "{:?}", &v[15..]);
    finish_normally(&process);
}

#[test]
fn timers_to_a_dead_process_vanish() {
    let node = node(2);
    let links = links_module(&node);
    let module = timers_module(&node);
    let inbox = node.inbox();
    // A timer to a pid that is already dead is never pending.
    let dead = dead_pid(&node);
    let maker = spawn(&node, &module, "timer_to", &arg(&[raw(inbox.pid()), raw(dead), 60_000], b""));
    let [reference, left] = as_i64s(&recv_tag(&inbox, 1).data)[..] else { panic!("two values") };
    assert!(reference > 0);
    assert_eq!(left, i64::from(ERR_NO_SUCH_TIMER));
    assert_eq!(node.pending_timers(), 0);
    inbox.send(maker.pid(), 1, b"");
    recv_tag(&inbox, 2);
    finish_normally(&maker);
    // A timer to a live process is cancelled when the process exits.
    let target = spawn(&node, &links, "survivor", b"");
    let maker = spawn(&node, &module, "timer_to", &arg(&[raw(inbox.pid()), raw(target.pid()), 60_000], b""));
    let [_, left] = as_i64s(&recv_tag(&inbox, 1).data)[..] else { panic!("two values") };
    assert!(left > 0);
    assert_eq!(node.pending_timers(), 1);
    inbox.send(target.pid(), 1, b"");
    assert_eq!(finish(&target), ExitReason::Custom(b"survived".to_vec()));
    assert_eq!(node.pending_timers(), 0, "gone by the time wait returns");
    inbox.send(maker.pid(), 1, b"");
    let gone = i64::from(ERR_NO_SUCH_TIMER);
    assert_eq!(as_i64s(&recv_tag(&inbox, 2).data), [gone, gone], "[read_timer, cancel_timer]");
    finish_normally(&maker);
}

#[test]
fn send_after_named_resolves_the_name_when_the_timer_fires() {
    let node = node(2);
    let module = timers_module(&node);
    let inbox = node.inbox();
    let first = spawn(&node, &module, "forwarder", &reporter_arg(&inbox, b""));
    let second = spawn(&node, &module, "forwarder", &reporter_arg(&inbox, b""));
    let maker =
        spawn(&node, &module, "named_timer", &arg(&[raw(inbox.pid()), raw(first.pid()), raw(second.pid())], b""));
    // Timers of earlier attempts may have fired to either process (and been
    // forwarded, tag 4) before the maker reports the attempt that held.
    let mut forwarded_early = std::collections::VecDeque::new();
    let tag = loop {
        let message = recv(&inbox);
        match message.tag {
            1 => break as_i64(&message.data),
            4 => forwarded_early.push_back(message),
            other => panic!("unexpected message with tag {other}"),
        }
    };
    finish_normally(&maker);
    // This one reaches the name's holder when it fires: `second`.
    loop {
        let message = forwarded_early.pop_front().unwrap_or_else(|| recv_tag(&inbox, 4));
        let forwarded = as_i64s(&message.data);
        if forwarded[0] == tag {
            assert_eq!(message.sender, second.pid(), "the timer reached the name's holder at firing time");
            assert_eq!(Pid::from_raw(forwarded[1] as u64), Some(maker.pid()), "sent from the timer's maker");
            break;
        }
    }
    assert_eq!(node.whereis("target"), Some(second.pid()));
}

#[test]
fn sleep_frees_the_scheduler_thread() {
    let node = node(1);
    let module = timers_module(&node);
    let inbox = node.inbox();
    // With one scheduler thread, a ping-pong completes while a process
    // sleeps (for far longer than the test runs).
    let sleeper = spawn(&node, &module, "sleeper", &arg(&[raw(inbox.pid()), 3_600_000], b""));
    let pinger = spawn(&node, &module, "pinger", &arg(&[raw(inbox.pid()), 1000], b""));
    assert_eq!(as_i64(&recv_tag(&inbox, 2).data), 1000);
    finish_normally(&pinger);
    assert!(node.is_alive(sleeper.pid()), "still asleep");
    // An exit signal ends it at once.
    signal(&node, &links_module(&node), &inbox, sleeper.pid(), REASON_KILL, b"");
    assert_eq!(finish(&sleeper), ExitReason::Killed);
    assert!(inbox.try_recv().is_none(), "the sleeper never woke to report");
}

#[test]
fn sleep_returns_ok_when_the_time_is_up() {
    let node = node(1);
    let module = timers_module(&node);
    let inbox = node.inbox();
    for ms in [-5, 0, 2] {
        let sleeper = spawn(&node, &module, "sleeper", &arg(&[raw(inbox.pid()), ms], b""));
        assert_eq!(as_i64(&recv_tag(&inbox, 1).data), i64::from(OK), "sleep({ms})");
        finish_normally(&sleeper);
    }
}

#[test]
fn a_receive_timeout_is_a_timer_of_the_node_cancelled_when_a_message_comes_first() {
    let node = node(2);
    let module = load(
        &node,
        "receive-timer",
        &wat(r#"
        (func (export "main")
          (local $len i32)
          ;; Tell the host we are about to wait, then wait up to a minute.
          (drop (call $send (call $arg_pid) (i64.const 1) (i32.const 0) (i32.const 0)))
          (local.set $len (call $receive (i32.const 0) (i32.const 0) (i64.const 60000)))
          (drop (call $send (call $arg_pid) (i64.extend_i32_s (local.get $len)) (i32.const 0) (i32.const 0))))
        "#),
    );
    let inbox = node.inbox();
    let process = node.spawn(&module, "main", &inbox.pid().raw().to_le_bytes()).unwrap();
    assert_eq!(recv(&inbox).tag, 1);
    // The waiting receive holds one pending timer of the node's timer service.
    let deadline = std::time::Instant::now() + PATIENCE;
    while node.pending_timers() != 1 {
        assert!(std::time::Instant::now() < deadline, "the receive timeout never became a pending timer");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    inbox.send(process.pid(), 5, b"abc");
    assert_eq!(recv(&inbox).tag, 3, "the receive returned the message's length");
    assert!(process.wait().is_normal());
    assert_eq!(node.pending_timers(), 0, "the timer is cancelled when the message comes first");
}
