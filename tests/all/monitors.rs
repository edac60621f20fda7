//! Monitors, by Erlang's rules: DOWN with the reason, DOWN noproc for a dead
//! pid, demonitor (with flush), independent monitors, spawn_monitor
//! atomicity, and 10,000 DOWNs at once.

use crate::common::*;
use crate::links::{arg, links_module, pid_of, raw, signal};
use std::collections::{HashMap, HashSet};
use warren_host::{REASON_CUSTOM, REASON_KILL, REASON_KILLED, REASON_NOPROC, REASON_NORMAL, REASON_TRAP};

const MONITORS: &str = r#"
  (data (i32.const 8192) "crash_now")  ;; 8192, 9
  (data (i32.const 8208) "gated")      ;; 8208, 5
  (data (i32.const 8216) "watched")    ;; 8216, 7
  (data (i32.const 8224) "odd")        ;; 8224, 3

  (func (export "crash_now") (unreachable))

  ;; Argument: [reporter][target]. Monitors target, reports the reference
  ;; (tag 1), then the DOWN's sender (tag 4) and payload (tag 3); then exits
  ;; custom "watched" (the target's exit did not touch it).
  (func (export "monitor_one")
    (local $n i32)
    (drop (call $args))
    (call $report (i64.load (i32.const 64)) (i64.const 1) (call $monitor (i64.load (i32.const 72))))
    (local.set $n (call $recv_tag (i64.const -101)))
    (call $report (i64.load (i32.const 64)) (i64.const 4) (call $msg_sender))
    (call $forward (i64.load (i32.const 64)) (i64.const 3) (local.get $n))
    (call $exit (i32.const 2) (i32.const 8216) (i32.const 7))
    (unreachable))

  ;; Argument: [reporter][dead]. Monitors the dead pid, reports the reference
  ;; (tag 1), then polls (no wait) for its DOWN: the poll's result (tag 2)
  ;; and the payload (tag 3).
  (func (export "monitor_dead")
    (local $n i32)
    (drop (call $args))
    (call $report (i64.load (i32.const 64)) (i64.const 1) (call $monitor (i64.load (i32.const 72))))
    (local.set $n (call $poll_tag (i64.const -101)))
    (call $report (i64.load (i32.const 64)) (i64.const 2) (i64.extend_i32_s (local.get $n)))
    (call $forward (i64.load (i32.const 64)) (i64.const 3) (local.get $n)))

  ;; Argument: [reporter][dead]. monitor(dead) queues DOWN noproc at once;
  ;; reports (tag 7) [demonitor(ref, flush), a poll for DOWN afterwards].
  (func (export "flush_dead")
    (local $ref i64)
    (drop (call $args))
    (local.set $ref (call $monitor (i64.load (i32.const 72))))
    (i64.store (i32.const 320) (i64.extend_i32_s (call $demonitor (local.get $ref) (i32.const 1))))
    (i64.store (i32.const 328) (i64.extend_i32_s (call $poll_tag (i64.const -101))))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 7) (i32.const 320) (i32.const 16))))

  ;; Argument: [reporter][target]. Monitors target twice, reports tag 1 and
  ;; waits for a DOWN (the test kills the target), demonitors the other
  ;; monitor with flush, then monitors the dead target again: the next DOWN
  ;; must be that new monitor's noproc. Reports (tag 7) [first DOWN's ref,
  ;; the other ref, demonitor's result, next DOWN's ref, its kind, the new
  ;; ref, a last poll].
  (func (export "flush_live")
    (local $r1 i64) (local $r2 i64) (local $first i64) (local $other i64)
    (drop (call $args))
    (local.set $r1 (call $monitor (i64.load (i32.const 72))))
    (local.set $r2 (call $monitor (i64.load (i32.const 72))))
    (call $report (i64.load (i32.const 64)) (i64.const 1) (i64.const 0))
    (drop (call $recv_tag (i64.const -101)))
    (local.set $first (i64.load (i32.const 1024)))
    (local.set $other (select (local.get $r2) (local.get $r1) (i64.eq (local.get $first) (local.get $r1))))
    (i64.store (i32.const 320) (local.get $first))
    (i64.store (i32.const 328) (local.get $other))
    (i64.store (i32.const 336) (i64.extend_i32_s (call $demonitor (local.get $other) (i32.const 1))))
    (i64.store (i32.const 360) (call $monitor (i64.load (i32.const 72))))
    (drop (call $recv_tag (i64.const -101)))
    (i64.store (i32.const 344) (i64.load (i32.const 1024)))
    (i64.store (i32.const 352) (i64.extend_i32_s (i32.load (i32.const 1040))))
    (i64.store (i32.const 368) (i64.extend_i32_s (call $poll_tag (i64.const -101))))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 7) (i32.const 320) (i32.const 56))))

  ;; Argument: [reporter][target]. Reports (tag 1) [demonitor of an active
  ;; monitor, of the same again, of an unknown ref]; monitors target again
  ;; and waits for its DOWN (the test kills it); reports (tag 7)
  ;; [demonitor of the fired monitor, a poll for another DOWN].
  (func (export "demonitor_results")
    (local $ref i64)
    (drop (call $args))
    (local.set $ref (call $monitor (i64.load (i32.const 72))))
    (i64.store (i32.const 320) (i64.extend_i32_s (call $demonitor (local.get $ref) (i32.const 0))))
    (i64.store (i32.const 328) (i64.extend_i32_s (call $demonitor (local.get $ref) (i32.const 0))))
    (i64.store (i32.const 336) (i64.extend_i32_s (call $demonitor (i64.const 123456789) (i32.const 1))))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 1) (i32.const 320) (i32.const 24)))
    (local.set $ref (call $monitor (i64.load (i32.const 72))))
    (drop (call $recv_tag (i64.const -101)))
    (i64.store (i32.const 320) (i64.extend_i32_s (call $demonitor (local.get $ref) (i32.const 1))))
    (i64.store (i32.const 328) (i64.extend_i32_s (call $poll_tag (i64.const -101))))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 7) (i32.const 320) (i32.const 16))))

  ;; Argument: [reporter][target]. Monitors target three times, demonitors
  ;; the second, reports (tag 1) [r1, r2, r3, demonitor's result]; then
  ;; reports the refs of the next two DOWNs (tag 2) and a poll (tag 3).
  (func (export "three_monitors")
    (local $r2 i64)
    (drop (call $args))
    (i64.store (i32.const 320) (call $monitor (i64.load (i32.const 72))))
    (local.set $r2 (call $monitor (i64.load (i32.const 72))))
    (i64.store (i32.const 328) (local.get $r2))
    (i64.store (i32.const 336) (call $monitor (i64.load (i32.const 72))))
    (i64.store (i32.const 344) (i64.extend_i32_s (call $demonitor (local.get $r2) (i32.const 0))))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 1) (i32.const 320) (i32.const 32)))
    (drop (call $recv_tag (i64.const -101)))
    (i64.store (i32.const 320) (i64.load (i32.const 1024)))
    (drop (call $recv_tag (i64.const -101)))
    (i64.store (i32.const 328) (i64.load (i32.const 1024)))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 2) (i32.const 320) (i32.const 16)))
    (call $report (i64.load (i32.const 64)) (i64.const 3) (i64.extend_i32_s (call $poll_tag (i64.const -101)))))

  ;; Argument: [reporter]. spawn_monitor of `crash_now`: reports (tag 1)
  ;; [pid, ref], then forwards the DOWN (tag 3).
  (func (export "spawn_monitor_crash_now")
    (drop (call $args))
    (i64.store (i32.const 320)
      (call $spawn_flags (i32.const 8192) (i32.const 9) (i32.const 0) (i32.const 0) (i32.const 2)))
    (i64.store (i32.const 328) (i64.load (i32.const 16)))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 1) (i32.const 320) (i32.const 16)))
    (call $forward (i64.load (i32.const 64)) (i64.const 3) (call $recv_tag (i64.const -101))))

  ;; Argument: [i]. Waits for a message; then returns (i even) or exits
  ;; custom "odd" (i odd).
  (func (export "gated")
    (drop (call $args))
    (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
    (if (i64.eqz (i64.and (i64.load (i32.const 64)) (i64.const 1))) (then (return)))
    (call $exit (i32.const 2) (i32.const 8224) (i32.const 3))
    (unreachable))

  ;; Argument: [reporter][n]. spawn_monitors n `gated` children (argument:
  ;; their index), reports (tag 1) every [pid][ref] in one message, releases
  ;; them all, forwards each DOWN (tag 2), then reports how many more DOWNs
  ;; are queued (tag 3).
  (func (export "mass_monitor")
    (local $i i32) (local $n i32) (local $at i32) (local $extra i64)
    (drop (call $args))
    (local.set $n (i32.wrap_i64 (i64.load (i32.const 72))))
    ;; pids and refs from 65536: n * 16 bytes
    (drop (memory.grow (i32.add (i32.shr_u (i32.mul (local.get $n) (i32.const 16)) (i32.const 16)) (i32.const 1))))
    (loop $spawn
      (local.set $at (i32.add (i32.const 65536) (i32.shl (local.get $i) (i32.const 4))))
      (i64.store (i32.const 320) (i64.extend_i32_u (local.get $i)))
      (i64.store (local.get $at)
        (call $spawn_flags (i32.const 8208) (i32.const 5) (i32.const 320) (i32.const 8) (i32.const 2)))
      (i64.store (i32.add (local.get $at) (i32.const 8)) (i64.load (i32.const 16)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $spawn (i32.lt_u (local.get $i) (local.get $n))))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 1) (i32.const 65536) (i32.shl (local.get $n) (i32.const 4))))
    (local.set $i (i32.const 0))
    (loop $release
      (drop (call $send (i64.load (i32.add (i32.const 65536) (i32.shl (local.get $i) (i32.const 4))))
        (i64.const 1) (i32.const 0) (i32.const 0)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $release (i32.lt_u (local.get $i) (local.get $n))))
    (local.set $i (i32.const 0))
    (loop $collect
      (call $forward (i64.load (i32.const 64)) (i64.const 2) (call $recv_tag (i64.const -101)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $collect (i32.lt_u (local.get $i) (local.get $n))))
    (call $yield_now)
    (call $yield_now)
    (loop $more
      (if (i32.ge_s (call $poll_tag (i64.const -101)) (i32.const 0))
        (then (local.set $extra (i64.add (local.get $extra) (i64.const 1))) (br $more))))
    (call $report (i64.load (i32.const 64)) (i64.const 3) (local.get $extra)))
"#;

fn monitors_module(node: &Node) -> LoadedModule {
    load(node, "monitors", &rwat(MONITORS))
}

#[test]
fn a_monitor_gives_down_with_the_exit_reason_and_leaves_the_watcher_alone() {
    let node = node(2);
    let links = links_module(&node);
    let module = monitors_module(&node);
    let inbox = node.inbox();
    // (target entry in the links module, how it is ended, expected kind, detail)
    let cases: [(&str, Option<i32>, i32, &[u8]); 3] = [
        ("crash_on_message", None, REASON_CUSTOM, b"c-crash"),
        ("wait_forever", Some(REASON_KILL), REASON_KILLED, b""),
        ("survivor", Some(REASON_NORMAL), REASON_CUSTOM, b"survived"),
    ];
    for (entry, signalled, kind, detail) in cases {
        let target = spawn(&node, &links, entry, b"");
        let watcher = spawn(&node, &module, "monitor_one", &arg(&[raw(inbox.pid()), raw(target.pid())], b""));
        let reference = as_i64(&recv_tag(&inbox, 1).data) as u64;
        assert!(reference > 0);
        match signalled {
            Some(signal_kind) => signal(&node, &links, &inbox, target.pid(), signal_kind, b""),
            None => inbox.send(target.pid(), 1, b""),
        }
        assert_eq!(pid_of(&recv_tag(&inbox, 4).data), target.pid(), "the DOWN comes from the target");
        let down = parse_down(&recv_tag(&inbox, 3).data);
        assert_eq!(down, (reference, target.pid(), kind, detail.to_vec()), "{entry}");
        assert_eq!(finish(&watcher), ExitReason::Custom(b"watched".to_vec()));
    }
}

#[test]
fn a_monitor_of_a_trapping_target_says_trap() {
    let node = node(2);
    let module = monitors_module(&node);
    let inbox = node.inbox();
    for _ in 0..20 {
        let watcher = spawn(&node, &module, "spawn_monitor_crash_now", &reporter_arg(&inbox, b""));
        let spawned = as_i64s(&recv_tag(&inbox, 1).data);
        let (reference, pid, kind, detail) = parse_down(&recv_tag(&inbox, 3).data);
        assert_eq!((reference as i64, raw(pid), kind), (spawned[1], spawned[0], REASON_TRAP));
        assert!(String::from_utf8_lossy(&detail).contains("unreachable"));
        finish_normally(&watcher);
    }
}

#[test]
fn monitor_of_a_dead_pid_gives_down_noproc_at_once() {
    let node = node(2);
    let module = monitors_module(&node);
    let inbox = node.inbox();
    let dead = dead_pid(&node);
    let watcher = spawn(&node, &module, "monitor_dead", &arg(&[raw(inbox.pid()), raw(dead)], b""));
    let reference = as_i64(&recv_tag(&inbox, 1).data) as u64;
    assert_eq!(as_i64(&recv_tag(&inbox, 2).data), 20, "queued before monitor returned (a poll finds it)");
    assert_eq!(parse_down(&recv_tag(&inbox, 3).data), (reference, dead, REASON_NOPROC, Vec::new()));
    finish_normally(&watcher);
}

#[test]
fn demonitor_with_flush_removes_a_down_already_queued() {
    let node = node(2);
    let links = links_module(&node);
    let module = monitors_module(&node);
    let inbox = node.inbox();
    // The DOWN noproc of a dead pid is queued by `monitor` itself.
    let dead = dead_pid(&node);
    let watcher = spawn(&node, &module, "flush_dead", &arg(&[raw(inbox.pid()), raw(dead)], b""));
    assert_eq!(as_i64s(&recv_tag(&inbox, 7).data), [0, i64::from(ERR_TIMEOUT)], "[was active, poll]");
    finish_normally(&watcher);
    // A live target with two monitors dies: once one DOWN is in, the other
    // is queued or about to be; demonitor+flush leaves none either way.
    for _ in 0..20 {
        let target = spawn(&node, &links, "wait_forever", b"");
        let watcher = spawn(&node, &module, "flush_live", &arg(&[raw(inbox.pid()), raw(target.pid())], b""));
        recv_tag(&inbox, 1);
        signal(&node, &links, &inbox, target.pid(), REASON_KILL, b"");
        let [first, other, _active, next, next_kind, fresh, poll] = as_i64s(&recv_tag(&inbox, 7).data)[..] else {
            panic!("seven values expected")
        };
        assert_ne!(first, other);
        assert_eq!((next, next_kind), (fresh, i64::from(REASON_NOPROC)), "the flushed DOWN came back");
        assert_eq!(poll, i64::from(ERR_TIMEOUT));
        finish_normally(&watcher);
    }
}

#[test]
fn demonitor_says_whether_the_monitor_was_active_and_no_down_follows() {
    let node = node(2);
    let links = links_module(&node);
    let module = monitors_module(&node);
    let inbox = node.inbox();
    let target = spawn(&node, &links, "wait_forever", b"");
    let watcher = spawn(&node, &module, "demonitor_results", &arg(&[raw(inbox.pid()), raw(target.pid())], b""));
    // active: 1; the same again: 0; an unknown reference: 0
    assert_eq!(as_i64s(&recv_tag(&inbox, 1).data), [1, 0, 0]);
    signal(&node, &links, &inbox, target.pid(), REASON_KILL, b"");
    // After its DOWN a monitor is gone: 0. The demonitored monitor sent no DOWN.
    assert_eq!(as_i64s(&recv_tag(&inbox, 7).data), [0, i64::from(ERR_TIMEOUT)]);
    finish_normally(&watcher);
}

#[test]
fn several_monitors_on_the_same_pair_are_independent() {
    let node = node(2);
    let links = links_module(&node);
    let module = monitors_module(&node);
    let inbox = node.inbox();
    let target = spawn(&node, &links, "wait_forever", b"");
    let watcher = spawn(&node, &module, "three_monitors", &arg(&[raw(inbox.pid()), raw(target.pid())], b""));
    let [r1, r2, r3, active] = as_i64s(&recv_tag(&inbox, 1).data)[..] else { panic!("four values expected") };
    assert_eq!(HashSet::from([r1, r2, r3]).len(), 3, "three distinct references");
    assert_eq!(active, 1);
    signal(&node, &links, &inbox, target.pid(), REASON_KILL, b"");
    let fired: HashSet<i64> = as_i64s(&recv_tag(&inbox, 2).data).into_iter().collect();
    assert_eq!(fired, HashSet::from([r1, r3]), "one DOWN per remaining monitor");
    assert_eq!(as_i64(&recv_tag(&inbox, 3).data), i64::from(ERR_TIMEOUT), "and no third");
    finish_normally(&watcher);
}

#[test]
fn ten_thousand_monitored_processes_exiting_at_once_give_one_down_each() {
    const N: i64 = 10_000;
    let node = node(2);
    let module = monitors_module(&node);
    let inbox = node.inbox();
    let watcher = spawn(&node, &module, "mass_monitor", &arg(&[raw(inbox.pid()), N], b""));
    let spawned = as_i64s(&recv_tag(&inbox, 1).data);
    assert_eq!(spawned.len(), 2 * N as usize);
    // reference -> (index, pid)
    let mut expected: HashMap<u64, (usize, Pid)> = HashMap::new();
    for (index, pair) in spawned.chunks(2).enumerate() {
        let pid = Pid::from_raw(pair[0] as u64).expect("a pid");
        assert!(expected.insert(pair[1] as u64, (index, pid)).is_none(), "reference {} twice", pair[1]);
    }
    for _ in 0..N {
        let message = recv_tag(&inbox, 2);
        let (reference, pid, kind, detail) = parse_down(&message.data);
        let Some((index, spawned_pid)) = expected.remove(&reference) else {
            panic!("DOWN for an unknown or already seen reference {reference}")
        };
        assert_eq!(pid, spawned_pid);
        if index % 2 == 0 {
            assert_eq!((kind, detail.as_slice()), (REASON_NORMAL, &b""[..]), "child {index}");
        } else {
            assert_eq!((kind, detail.as_slice()), (REASON_CUSTOM, &b"odd"[..]), "child {index}");
        }
    }
    assert!(expected.is_empty());
    assert_eq!(as_i64(&recv_tag(&inbox, 3).data), 0, "no DOWN after the 10,000th");
    finish_normally(&watcher);
}
