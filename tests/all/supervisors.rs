//! Supervisors run by the host, with Erlang/OTP 25's `supervisor` rules:
//! each strategy restarts exactly the right children in the right order,
//! restart intensity climbs a tree, restart types, ordered shutdown with a
//! child killed after its timeout, failed starts, `init_ack`, dynamic
//! supervisors, `auto_shutdown`, and the ABI a guest starts and asks one
//! with.

use crate::common::*;
use std::time::Duration;
use warren_host::{
    AutoShutdown, ChildCounts, ChildRef, ChildSpec, ExitReason, Inbox, Node, Pid, Restart, Shutdown, SpawnOptions,
    Strategy, SupervisorError, SupervisorFlags, SupervisorSpec,
};

/// Tags the workers report with (payload: the child's number).
const STARTED: i64 = 1;
const IGNORED_SHUTDOWN: i64 = 6;
const STOPPING: i64 = 7;
const ACKED: i64 = 8;
/// Tags the test sends a worker.
const CRASH: i64 = 2;
const RETURN: i64 = 3;
const EXIT_SHUTDOWN: i64 = 4;

const IMPORTS: &str = r#"
  (import "warren_v1" "init_ack" (func $init_ack (result i32)))
  (import "warren_v1" "init_ignore" (func $init_ignore (result i32)))
  (import "warren_v1" "supervisor_start" (func $supervisor_start (param i32 i32) (result i64)))
  (import "warren_v1" "supervisor_request" (func $supervisor_request (param i64 i32 i32 i32) (result i64)))
  (import "warren_v1" "parent" (func $parent (result i64)))
"#;

/// Workers. Argument: [reporter][number]. Each reports `STARTED` with its
/// number when it starts (the message's sender is its pid).
const WORKERS: &str = r#"
  (func $started (call $report (call $arg64 (i32.const 0)) (i64.const 1) (call $arg64 (i32.const 1))))
  ;; Reports STARTED, then tells its supervisor it is ready (see `child`).
  (func $started_and_ready (call $started) (drop (call $init_ack)))
  (func $tell (param $tag i64) (call $report (call $arg64 (i32.const 0)) (local.get $tag) (call $arg64 (i32.const 1))))
  ;; Serves: CRASH traps, RETURN returns, EXIT_SHUTDOWN exits `shutdown`.
  (func $serve
    (local $tag i64)
    (loop $next
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (local.set $tag (call $msg_tag))
      (if (i64.eq (local.get $tag) (i64.const 2)) (then unreachable))
      (if (i64.eq (local.get $tag) (i64.const 3)) (then return))
      (if (i64.eq (local.get $tag) (i64.const 4)) (then (call $exit (i32.const 1) (i32.const 0) (i32.const 0))))
      (br $next)))
  (func (export "worker") (call $started_and_ready) (call $serve))
  ;; Traps exits: tells STOPPING when the exit signal comes, then ends.
  (func (export "polite")
    (local $tag i64)
    (drop (call $trap_exit (i32.const 1)))
    (call $started_and_ready)
    (loop $next
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (local.set $tag (call $msg_tag))
      (if (i64.eq (local.get $tag) (i64.const 2)) (then unreachable))
      (if (i64.eq (local.get $tag) (i64.const -100))
        (then (call $tell (i64.const 7)) (return)))
      (br $next)))
  ;; Traps exits and ignores them (tells IGNORED_SHUTDOWN each time).
  (func (export "stubborn")
    (drop (call $trap_exit (i32.const 1)))
    (call $started_and_ready)
    (loop $next
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (if (i64.eq (call $msg_tag) (i64.const -100)) (then (call $tell (i64.const 6))))
      (br $next)))
  ;; Acknowledges its start (then tells ACKED), and serves.
  (func (export "acker")
    (call $started)
    (drop (call $sleep (i64.const 20)))
    (drop (call $init_ack))
    (call $tell (i64.const 8))
    (call $serve))
  ;; Never acknowledges.
  (func (export "silent") (call $started) (call $idle))
  ;; Ignores its start (OTP's `ignore`) and ends normally.
  (func (export "ignorer") (call $started) (drop (call $init_ignore)))
  (func (export "crash_on_start") (unreachable))
  ;; Grows its memory by 4 pages when told (tag 9), then serves.
  (func (export "grower")
    (call $started)
    (drop (call $recv_tag (i64.const 9)))
    (drop (memory.grow (i32.const 4)))
    (call $serve))
  ;; Reports what spawning gives it (tag 10: the pid or the error code).
  (func (export "spawner")
    (call $tell_value (i64.const 10) (call $spawn (i32.const 9200) (i32.const 6) (i32.const 0) (i32.const 0)))
    (call $idle))
  (data (i32.const 9200) "worker")
  ;; Reports its parent (tag 14), then serves.
  (func (export "parental") (call $tell_value (i64.const 14) (call $parent)) (call $serve))
  ;; Spawns a `parental` with its own argument; reports the child (tag 15).
  (data (i32.const 9216) "parental")
  (func (export "parent_of")
    (drop (call $arg_read (i32.const 9300) (i32.const 16)))
    (call $tell_value (i64.const 15) (call $spawn (i32.const 9216) (i32.const 8) (i32.const 9300) (i32.const 16)))
    (call $idle))
  (func $tell_value (param $tag i64) (param $value i64)
    (call $report (call $arg64 (i32.const 0)) (local.get $tag) (local.get $value)))
  ;; Argument: [reporter][target]. Monitors the target; reports its DOWN's
  ;; reason kind (tag 11) and detail (tag 12).
  (func (export "watcher")
    (local $n i32)
    (drop (call $monitor (call $arg64 (i32.const 1))))
    (call $tell_value (i64.const 13) (i64.const 0))
    (local.set $n (call $recv_tag (i64.const -101)))
    (call $tell_value (i64.const 11) (i64.extend_i32_s (i32.load (i32.const 1040))))
    (drop (call $send (call $arg64 (i32.const 0)) (i64.const 12) (i32.const 1044) (i32.sub (local.get $n) (i32.const 20)))))
"#;

fn workers(node: &Node) {
    let source = format!("(module {RELATIONS_IMPORTS} {IMPORTS} {PRELUDE} {RELATIONS_HELPERS} {WORKERS})");
    load(node, "workers", &source);
}

fn arg(inbox: &Inbox, number: i64) -> Vec<u8> {
    reporter_arg(inbox, &number.to_le_bytes())
}

/// A child spec of `workers`' `entry`. The entries that report `STARTED`
/// and then acknowledge their start are waited for, so their reports come
/// in start order: without it, a child the supervisor started second may
/// run first (on the other scheduler) and report first.
fn child(inbox: &Inbox, id: &str, entry: &str, number: i64) -> ChildSpec {
    let spec = ChildSpec::worker(id, "workers", entry, &arg(inbox, number));
    match entry {
        "worker" | "polite" | "stubborn" => spec.ack_timeout(Some(PATIENCE)),
        _ => spec,
    }
}

/// The next `STARTED` report: (pid, number).
fn started(inbox: &Inbox) -> (Pid, i64) {
    let message = recv_tag(inbox, STARTED);
    (message.sender, as_i64(&message.data))
}

/// The next `count` reports of any tag, as (tag, number).
fn reports(inbox: &Inbox, count: usize) -> Vec<(i64, i64)> {
    (0..count)
        .map(|_| {
            let message = recv(inbox);
            (message.tag, as_i64(&message.data))
        })
        .collect()
}

fn flags(strategy: Strategy, intensity: u32) -> SupervisorFlags {
    SupervisorFlags::default().strategy(strategy).intensity(intensity, Duration::from_secs(60))
}

/// Starts a supervisor of workers 1..=n with `strategy`; returns it and the
/// children's pids in order.
fn three(node: &Node, inbox: &Inbox, strategy: Strategy, entry: &str) -> (warren_host::ProcessHandle, Vec<Pid>) {
    let children = (1..=3).map(|n| child(inbox, &format!("c{n}"), entry, n)).collect();
    let sup = node.start_supervisor(&SupervisorSpec::new(flags(strategy, 10), children)).expect("started");
    let pids = (1..=3)
        .map(|n| {
            let (pid, number) = started(inbox);
            assert_eq!(number, n, "children start in order");
            pid
        })
        .collect();
    (sup, pids)
}

/// Waits until `pid` is no longer alive (an exit signal acts when its
/// target next runs).
fn until_dead(node: &Node, pid: Pid) {
    let start = std::time::Instant::now();
    while node.is_alive(pid) {
        assert!(start.elapsed() < PATIENCE, "{pid} is still alive");
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn restarts(node: &Node, sup: Pid) -> Vec<u32> {
    node.which_children(sup).expect("children").iter().map(|c| c.restarts).collect()
}

fn live_pids(node: &Node, sup: Pid) -> Vec<Option<Pid>> {
    node.which_children(sup).expect("children").iter().map(|c| c.pid).collect()
}

#[test]
fn one_for_one_restarts_only_the_child_that_exited() {
    let node = node(2);
    workers(&node);
    let inbox = node.inbox();
    let (sup, pids) = three(&node, &inbox, Strategy::OneForOne, "worker");
    assert!(node.is_supervisor(sup.pid()) && node.is_linked(sup.pid(), pids[1]));
    inbox.send(pids[1], CRASH, b"");
    let (new, number) = started(&inbox);
    assert_eq!(number, 2);
    assert_ne!(new, pids[1]);
    assert_eq!(live_pids(&node, sup.pid()), [Some(pids[0]), Some(new), Some(pids[2])]);
    assert_eq!(restarts(&node, sup.pid()), [0, 1, 0]);
    assert!(inbox.recv_timeout(Duration::from_millis(50)).is_none(), "no other child restarted");
    node.exit(sup.pid(), ExitReason::Shutdown(vec![]));
    assert_eq!(finish(&sup), ExitReason::Shutdown(vec![]));
    for pid in [pids[0], new, pids[2]] {
        assert!(!node.is_alive(pid), "the children stopped with their supervisor");
    }
}

#[test]
fn one_for_all_stops_the_others_in_reverse_order_and_restarts_all_in_order() {
    let node = node(2);
    workers(&node);
    let inbox = node.inbox();
    let (sup, pids) = three(&node, &inbox, Strategy::OneForAll, "polite");
    inbox.send(pids[1], CRASH, b"");
    // 3 then 1 stop; then 1, 2, 3 start again.
    assert_eq!(reports(&inbox, 5), [(STOPPING, 3), (STOPPING, 1), (STARTED, 1), (STARTED, 2), (STARTED, 3)]);
    assert_eq!(restarts(&node, sup.pid()), [1, 1, 1]);
    assert!(live_pids(&node, sup.pid()).iter().zip(&pids).all(|(new, old)| new.is_some_and(|p| p != *old)));
}

#[test]
fn rest_for_one_restarts_the_child_and_those_after_it() {
    let node = node(2);
    workers(&node);
    let inbox = node.inbox();
    let (sup, pids) = three(&node, &inbox, Strategy::RestForOne, "polite");
    inbox.send(pids[1], CRASH, b"");
    assert_eq!(reports(&inbox, 3), [(STOPPING, 3), (STARTED, 2), (STARTED, 3)]);
    assert_eq!(restarts(&node, sup.pid()), [0, 1, 1]);
    assert_eq!(live_pids(&node, sup.pid())[0], Some(pids[0]), "the child before it runs on");
}

#[test]
fn past_its_intensity_a_supervisor_stops_its_children_and_exits_shutdown() {
    let node = node(2);
    workers(&node);
    let inbox = node.inbox();
    let spec = SupervisorSpec::new(
        flags(Strategy::OneForOne, 2),
        vec![child(&inbox, "crashy", "worker", 1), child(&inbox, "other", "polite", 2)],
    );
    let sup = node.start_supervisor(&spec).expect("started");
    let mut crashy = started(&inbox).0;
    started(&inbox);
    for _ in 0..2 {
        inbox.send(crashy, CRASH, b"");
        crashy = started(&inbox).0;
    }
    inbox.send(crashy, CRASH, b"");
    assert_eq!(reports(&inbox, 1), [(STOPPING, 2)], "the other child is stopped");
    assert_eq!(finish(&sup), ExitReason::Shutdown(b"reached_max_restart_intensity".to_vec()));
}

#[test]
fn intensity_exhaustion_in_a_three_level_tree_climbs_to_the_root() {
    let node = node(2);
    workers(&node);
    let inbox = node.inbox();
    let leaf = SupervisorSpec::new(flags(Strategy::OneForOne, 1), vec![child(&inbox, "leaf", "worker", 1)]);
    let middle = SupervisorSpec::new(flags(Strategy::OneForOne, 0), vec![ChildSpec::supervisor("leaf-sup", leaf)]);
    let root = SupervisorSpec::new(
        flags(Strategy::OneForOne, 0),
        vec![ChildSpec::supervisor("middle-sup", middle), child(&inbox, "sibling", "polite", 2)],
    );
    let sup = node.start_supervisor(&root).expect("started");
    let (leaf_pid, _) = started(&inbox);
    started(&inbox);
    let middle_pid = node.which_children(sup.pid()).unwrap()[0].pid.expect("middle runs");
    let leaf_sup = node.which_children(middle_pid).unwrap()[0].pid.expect("leaf supervisor runs");
    assert!(node.is_supervisor(leaf_sup));
    // The leaf supervisor allows one restart: the second crash ends it, the
    // middle one allows none, nor does the root.
    inbox.send(leaf_pid, CRASH, b"");
    let (leaf_pid, _) = started(&inbox);
    inbox.send(leaf_pid, CRASH, b"");
    assert_eq!(reports(&inbox, 1), [(STOPPING, 2)], "the root stops its other child");
    assert_eq!(finish(&sup), ExitReason::Shutdown(b"reached_max_restart_intensity".to_vec()));
    assert!(!node.is_alive(middle_pid) && !node.is_alive(leaf_sup));
}

#[test]
fn restart_types_after_normal_shutdown_and_crash_exits() {
    let node = node(2);
    workers(&node);
    let inbox = node.inbox();
    let cases = [
        (Restart::Permanent, RETURN, true),
        (Restart::Permanent, EXIT_SHUTDOWN, true),
        (Restart::Permanent, CRASH, true),
        (Restart::Transient, RETURN, false),
        (Restart::Transient, EXIT_SHUTDOWN, false),
        (Restart::Transient, CRASH, true),
        (Restart::Temporary, RETURN, false),
        (Restart::Temporary, EXIT_SHUTDOWN, false),
        (Restart::Temporary, CRASH, false),
    ];
    for (restart, how, restarted) in cases {
        let spec =
            SupervisorSpec::new(flags(Strategy::OneForOne, 5), vec![child(&inbox, "w", "worker", 1).restart(restart)]);
        let sup = node.start_supervisor(&spec).expect("started");
        let (pid, _) = started(&inbox);
        inbox.send(pid, how, b"");
        let case = format!("{restart:?} after tag {how}");
        if restarted {
            assert_eq!(started(&inbox).1, 1, "{case}: restarted");
        } else {
            assert!(inbox.recv_timeout(Duration::from_millis(100)).is_none(), "{case}: not restarted");
            assert!(!node.is_alive(pid));
        }
        let counts = node.count_children(sup.pid()).unwrap();
        let kept = restart != Restart::Temporary;
        assert_eq!((counts.specs, counts.active), (u32::from(kept), u32::from(restarted)), "{case}: {counts:?}");
        node.exit(sup.pid(), ExitReason::Shutdown(vec![]));
        finish(&sup);
    }
}

#[test]
fn shutdown_goes_in_reverse_order_and_kills_a_child_that_ignores_it_after_its_timeout() {
    let node = node(2);
    workers(&node);
    let inbox = node.inbox();
    let spec = SupervisorSpec::new(
        flags(Strategy::OneForOne, 1),
        vec![
            child(&inbox, "a", "polite", 1),
            child(&inbox, "b", "stubborn", 2).shutdown(Shutdown::Timeout(Duration::from_millis(200))),
            child(&inbox, "c", "polite", 3),
        ],
    );
    let sup = node.start_supervisor(&spec).expect("started");
    let pids: Vec<Pid> = (0..3).map(|_| started(&inbox).0).collect();
    let stopping = std::time::Instant::now();
    node.exit(sup.pid(), ExitReason::Shutdown(vec![]));
    assert_eq!(reports(&inbox, 3), [(STOPPING, 3), (IGNORED_SHUTDOWN, 2), (STOPPING, 1)]);
    assert!(stopping.elapsed() >= Duration::from_millis(200), "b was given its timeout before it was killed");
    assert_eq!(finish(&sup), ExitReason::Shutdown(vec![]));
    assert!(pids.iter().all(|&pid| !node.is_alive(pid)));
}

#[test]
fn a_failed_child_start_fails_the_supervisors_start() {
    let node = node(2);
    workers(&node);
    let inbox = node.inbox();
    let spec = SupervisorSpec::new(
        flags(Strategy::OneForOne, 5),
        vec![
            child(&inbox, "a", "polite", 1),
            // A crash before its acknowledgement is a failed start (without
            // one, started means spawned).
            child(&inbox, "b", "crash_on_start", 2).ack_timeout(Some(Duration::from_secs(10))),
            child(&inbox, "c", "worker", 3),
        ],
    );
    let Err(SupervisorError::Exited(reason)) = node.start_supervisor(&spec) else { panic!("the start failed") };
    let ExitReason::Shutdown(detail) = &reason else { panic!("shutdown, not {reason}") };
    let detail = String::from_utf8_lossy(detail);
    assert!(detail.starts_with("failed_to_start_child b: trap"), "{detail}");
    // a started and was stopped; c never started.
    assert_eq!(reports(&inbox, 2), [(STARTED, 1), (STOPPING, 1)]);
    assert!(inbox.recv_timeout(Duration::from_millis(50)).is_none());
    // A missing module is a failed start too.
    let spec = SupervisorSpec::new(flags(Strategy::OneForOne, 5), vec![ChildSpec::worker("x", "nowhere", "main", b"")]);
    let Err(SupervisorError::Exited(reason)) = node.start_supervisor(&spec) else { panic!("the start failed") };
    assert!(reason.to_string().contains("no module named `nowhere`"), "{reason}");
}

#[test]
fn a_child_that_must_acknowledge_is_waited_for_and_a_silent_one_fails_the_start() {
    let node = node(2);
    workers(&node);
    let inbox = node.inbox();
    let wait = Some(Duration::from_secs(10));
    let spec = SupervisorSpec::new(
        flags(Strategy::RestForOne, 5),
        vec![child(&inbox, "a", "acker", 1).ack_timeout(wait), child(&inbox, "b", "worker", 2)],
    );
    let sup = node.start_supervisor(&spec).expect("started");
    // b starts only after a acknowledged.
    assert_eq!(reports(&inbox, 3), [(STARTED, 1), (ACKED, 1), (STARTED, 2)]);
    node.exit(sup.pid(), ExitReason::Shutdown(vec![]));
    finish(&sup);

    let spec = SupervisorSpec::new(
        flags(Strategy::OneForOne, 5),
        vec![child(&inbox, "quiet", "silent", 1).ack_timeout(Some(Duration::from_millis(100)))],
    );
    let Err(SupervisorError::Exited(reason)) = node.start_supervisor(&spec) else { panic!("the start failed") };
    assert!(reason.to_string().contains("failed_to_start_child quiet: timeout: no init_ack in time"), "{reason}");
    let (quiet, _) = started(&inbox);
    until_dead(&node, quiet);
}

#[test]
fn a_child_that_ignores_its_start_is_kept_with_no_process_and_never_restarted() {
    let node = node(2);
    workers(&node);
    let inbox = node.inbox();
    let wait = Some(Duration::from_secs(10));
    // A permanent child that ignores its start, waited for and not, between
    // two that run: the start goes on, and nothing restarts it.
    let spec = SupervisorSpec::new(
        flags(Strategy::OneForOne, 1),
        vec![
            child(&inbox, "a", "worker", 1),
            child(&inbox, "waited", "ignorer", 2).ack_timeout(wait),
            child(&inbox, "unwaited", "ignorer", 3),
            child(&inbox, "b", "worker", 4),
        ],
    );
    let sup = node.start_supervisor(&spec).expect("started");
    let mut numbers: Vec<i64> = (0..4).map(|_| started(&inbox).1).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, [1, 2, 3, 4]);
    let ignorers: Vec<Pid> = node.which_children(sup.pid()).unwrap()[1..3].iter().filter_map(|c| c.pid).collect();
    let deadline = std::time::Instant::now() + PATIENCE;
    while node.which_children(sup.pid()).unwrap().iter().filter(|c| c.pid.is_none()).count() < 2 {
        assert!(std::time::Instant::now() < deadline, "the ignorers were never seen as ignored: {ignorers:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
    let children = node.which_children(sup.pid()).unwrap();
    let ids: Vec<&str> = children.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["a", "waited", "unwaited", "b"], "the specs are kept");
    assert_eq!(children.iter().map(|c| c.pid.is_some()).collect::<Vec<_>>(), [true, false, false, true]);
    assert_eq!(restarts(&node, sup.pid()), [0, 0, 0, 0], "an ignored start is no restart");
    assert!(node.is_alive(sup.pid()), "intensity 1 was not spent on the ignorers' exits");
    assert_eq!(node.count_children(sup.pid()).unwrap().active, 2);
    // restart_child starts it again: ignored again, as OTP's {ok, undefined}.
    assert_eq!(node.restart_child(sup.pid(), "waited"), Err(SupervisorError::Ignored));
    assert_eq!(started(&inbox).1, 2);
    // A dynamic supervisor forgets a child that ignored its start.
    let template = ChildSpec::worker("job", "workers", "ignorer", &pid_bytes(inbox.pid())).ack_timeout(wait);
    let dynamic = node
        .start_supervisor(&SupervisorSpec::new(flags(Strategy::SimpleOneForOne, 1), vec![template]))
        .expect("started");
    assert_eq!(node.start_dynamic_child(dynamic.pid(), &5i64.to_le_bytes()), Err(SupervisorError::Ignored));
    assert_eq!(started(&inbox).1, 5);
    assert_eq!(node.count_children(dynamic.pid()).unwrap().specs, 0, "no child kept");
    node.exit(sup.pid(), ExitReason::Shutdown(vec![]));
    finish(&sup);
}

#[test]
fn a_dynamic_supervisor_holds_at_most_max_children() {
    let node = node(2);
    workers(&node);
    let inbox = node.inbox();
    let template = ChildSpec::worker("conn", "workers", "worker", &pid_bytes(inbox.pid()));
    let spec = SupervisorSpec::new(flags(Strategy::SimpleOneForOne, 5).max_children(Some(3)), vec![template]);
    let sup = node.start_supervisor(&spec).expect("started");
    assert_eq!(node.count_children(sup.pid()).unwrap(), ChildCounts::default());
    let pids: Vec<Pid> = (1..=3)
        .map(|n: i64| {
            let pid = node.start_dynamic_child(sup.pid(), &n.to_le_bytes()).expect("started");
            assert_eq!(started(&inbox), (pid, n), "its own argument follows the template's");
            pid
        })
        .collect();
    assert_eq!(node.start_dynamic_child(sup.pid(), &4i64.to_le_bytes()), Err(SupervisorError::MaxChildren(3)));
    node.terminate_child(sup.pid(), ChildRef::Pid(pids[0])).expect("terminated");
    assert!(!node.is_alive(pids[0]));
    assert_eq!(node.terminate_child(sup.pid(), ChildRef::Pid(pids[0])), Err(SupervisorError::NotFound));
    inbox.send(pids[1], CRASH, b"");
    let (again, number) = started(&inbox);
    assert_eq!(number, 2, "restarted with its own argument");
    let counts = node.count_children(sup.pid()).unwrap();
    assert_eq!((counts.specs, counts.active, counts.workers), (2, 2, 2));
    // A restarted dynamic child keeps its place (start order).
    assert_eq!(live_pids(&node, sup.pid()), [Some(again), Some(pids[2])]);
    node.exit(sup.pid(), ExitReason::Shutdown(vec![]));
    assert_eq!(finish(&sup), ExitReason::Shutdown(vec![]));
    assert!(!node.is_alive(again) && !node.is_alive(pids[2]));
}

#[test]
fn auto_shutdown_ends_the_supervisor_with_its_significant_children() {
    let node = node(2);
    workers(&node);
    let inbox = node.inbox();
    let significant = |id, n| child(&inbox, id, "worker", n).restart(Restart::Transient).significant(true);
    for (auto, ends_after_first) in [(AutoShutdown::AnySignificant, true), (AutoShutdown::AllSignificant, false)] {
        let spec = SupervisorSpec::new(
            flags(Strategy::OneForOne, 5).auto_shutdown(auto),
            vec![significant("s1", 1), significant("s2", 2), child(&inbox, "other", "polite", 3)],
        );
        let sup = node.start_supervisor(&spec).expect("started");
        let pids: Vec<Pid> = (0..3).map(|_| started(&inbox).0).collect();
        inbox.send(pids[0], RETURN, b"");
        if !ends_after_first {
            assert_eq!(sup.wait_timeout(Duration::from_millis(100)), None, "{auto:?}: one significant child left");
            inbox.send(pids[1], RETURN, b"");
        }
        assert_eq!(reports(&inbox, 1), [(STOPPING, 3)], "{auto:?}: the other child is stopped");
        assert_eq!(finish(&sup), ExitReason::Shutdown(vec![]), "{auto:?}");
    }
    // Significant children need auto_shutdown, and cannot be permanent.
    let bad = SupervisorSpec::new(flags(Strategy::OneForOne, 5), vec![significant("s", 1)]);
    assert!(matches!(node.start_supervisor(&bad), Err(SupervisorError::BadSpec(why)) if why.contains("auto_shutdown")));
}

#[test]
fn ten_thousand_dynamic_children_crashing_at_once_are_all_restarted() {
    const N: usize = 10_000;
    let node = node_with(warren_host::NodeConfig::default().schedulers(2).max_processes(3 * N as u32));
    workers(&node);
    let inbox = node.inbox();
    let template = ChildSpec::worker("w", "workers", "worker", &pid_bytes(inbox.pid()));
    let spec = SupervisorSpec::new(flags(Strategy::SimpleOneForOne, N as u32 + 1), vec![template]);
    let sup = node.start_supervisor(&spec).expect("started");
    let first: Vec<Pid> =
        (0..N as i64).map(|n| node.start_dynamic_child(sup.pid(), &n.to_le_bytes()).expect("started")).collect();
    for _ in 0..N {
        started(&inbox);
    }
    for &pid in &first {
        inbox.send(pid, CRASH, b"");
    }
    let mut numbers: Vec<i64> = (0..N).map(|_| started(&inbox).1).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (0..N as i64).collect::<Vec<_>>(), "every child restarted once, with its own argument");
    let counts = node.count_children(sup.pid()).unwrap();
    assert_eq!((counts.specs, counts.active), (N as u32, N as u32));
    let now: std::collections::HashSet<Pid> =
        node.which_children(sup.pid()).unwrap().into_iter().filter_map(|c| c.pid).collect();
    assert!(first.iter().all(|pid| !now.contains(pid) && !node.is_alive(*pid)), "none of the old ones runs");
    node.exit(sup.pid(), ExitReason::Shutdown(vec![]));
    assert_eq!(finish(&sup), ExitReason::Shutdown(vec![]));
    assert_eq!(node.process_count(), 1, "only the test's inbox is left");
}

/// A guest starts a supervisor from a spec in its data segment, waits for
/// its TAG_ACK, asks it `which_children` and reports the answer's result
/// (the count) and first pid; then asks for a child that does not exist.
/// Argument: [reporter]. The spec: one_for_one, intensity 3 in 5 s, one
/// permanent worker `w` of module `workers`, entry `worker`, whose argument
/// is patched in at run time (the reporter, then number 9).
const GUEST_SUPERVISOR: &str = r#"
  ;; Header: strategy 0, auto_shutdown 0, reserved, intensity 3, period 5000,
  ;; max_children none, 1 child.
  (data (i32.const 9000) "\00\00\00\00" "\03\00\00\00" "\88\13\00\00" "\ff\ff\ff\ff" "\01\00\00\00")
  ;; The child record: its length (62), restart 0, type 0, significant 0,
  ;; shutdown 0 (timeout 5000), ack none, id "w", module "workers", entry
  ;; "worker", an argument of 16 bytes (at 9066), no options (at 9082).
  (data (i32.const 9020) "\3e\00\00\00" "\00\00\00\00" "\88\13\00\00" "\ff\ff\ff\ff"
    "\01\00\00\00" "w" "\07\00\00\00" "workers" "\06\00\00\00" "worker" "\10\00\00\00")
  (data (i32.const 9100) "nope")
  (func (export "starter")
    (local $sup i64) (local $n i32)
    (i64.store (i32.const 9066) (call $arg64 (i32.const 0)))
    (i64.store (i32.const 9074) (i64.const 9))
    (local.set $sup (call $supervisor_start (i32.const 9000) (i32.const 86)))
    (if (i64.le_s (local.get $sup) (i64.const 0)) (then unreachable))
    (drop (call $recv_tag (i64.const -103)))
    (call $report (call $arg64 (i32.const 0)) (i64.const 20) (call $msg_sender))
    (drop (call $supervisor_request (local.get $sup) (i32.const 5) (i32.const 0) (i32.const 0)))
    (local.set $n (call $recv_tag (i64.const -104)))
    ;; [request id][result = count][pid of the first child]...
    (call $report (call $arg64 (i32.const 0)) (i64.const 21) (i64.load (i32.const 1032)))
    (call $report (call $arg64 (i32.const 0)) (i64.const 22) (i64.load (i32.const 1040)))
    (drop (call $supervisor_request (local.get $sup) (i32.const 2) (i32.const 9100) (i32.const 4)))
    (drop (call $recv_tag (i64.const -104)))
    (call $report (call $arg64 (i32.const 0)) (i64.const 23) (i64.load (i32.const 1032)))
    (call $idle))
"#;

#[test]
fn a_guest_starts_a_supervisor_and_asks_it_through_the_abi() {
    let node = node(2);
    workers(&node);
    let inbox = node.inbox();
    let source = format!("(module {RELATIONS_IMPORTS} {IMPORTS} {PRELUDE} {RELATIONS_HELPERS} {GUEST_SUPERVISOR})");
    let module = load(&node, "starter", &source);
    let starter = spawn(&node, &module, "starter", &pid_bytes(inbox.pid()));
    let reports = recv_by_tag(&inbox, 5);
    let (child, number) = (reports[&STARTED].sender, as_i64(&reports[&STARTED].data));
    assert_eq!(number, 9);
    let sup = Pid::from_raw(as_i64(&reports[&20].data) as u64).expect("the ack came from the supervisor");
    assert!(node.is_supervisor(sup) && node.is_linked(sup, starter.pid()));
    assert_eq!(as_i64(&reports[&21].data), 1, "one child");
    assert_eq!(as_i64(&reports[&22].data), child.raw() as i64);
    assert_eq!(as_i64(&reports[&23].data), i64::from(warren_host::ERR_NOT_FOUND));
    // The starter is the supervisor's parent: its exit stops the tree.
    node.exit(starter.pid(), ExitReason::Kill);
    assert_eq!(finish(&starter), ExitReason::Killed);
    until_dead(&node, sup);
    until_dead(&node, child);
}

#[test]
fn children_in_wat_rust_and_c_are_supervised_alike() {
    let node = node(2);
    workers(&node);
    for (name, path) in [("rust", warren_test_artifacts::SDK_SUPERVISED), ("c", warren_test_artifacts::C_SUPERVISED)] {
        node.load_file_as(name, std::path::Path::new(path)).expect("artifact loads");
    }
    let inbox = node.inbox();
    let wait = Some(Duration::from_secs(10));
    let spec = SupervisorSpec::new(
        flags(Strategy::RestForOne, 10),
        vec![
            child(&inbox, "wat", "acker", 1).ack_timeout(wait),
            ChildSpec::worker("rust", "rust", "main", &arg(&inbox, 2)).ack_timeout(wait),
            ChildSpec::worker("c", "c", "main", &arg(&inbox, 3)).ack_timeout(wait),
        ],
    );
    let sup = node.start_supervisor(&spec).expect("started");
    assert_eq!(reports(&inbox, 4), [(STARTED, 1), (ACKED, 1), (STARTED, 2), (STARTED, 3)]);
    let pids = |node: &Node| live_pids(node, sup.pid()).into_iter().map(|p| p.expect("running")).collect::<Vec<_>>();
    // A Rust panic restarts the Rust child and the C child after it.
    inbox.send(pids(&node)[1], CRASH, b"");
    assert_eq!(reports(&inbox, 2), [(STARTED, 2), (STARTED, 3)]);
    // A C trap restarts the C child only.
    inbox.send(pids(&node)[2], CRASH, b"");
    assert_eq!(reports(&inbox, 1), [(STARTED, 3)]);
    // A WAT trap restarts all three, in order.
    inbox.send(pids(&node)[0], CRASH, b"");
    assert_eq!(reports(&inbox, 4), [(STARTED, 1), (ACKED, 1), (STARTED, 2), (STARTED, 3)]);
    assert_eq!(restarts(&node, sup.pid()), [1, 2, 3]);
    node.exit(sup.pid(), ExitReason::Shutdown(vec![]));
    assert_eq!(finish(&sup), ExitReason::Shutdown(vec![]));
}

#[test]
fn a_child_over_its_memory_limit_is_restarted_and_ended_with_reason_limit() {
    let node = node(2);
    workers(&node);
    let inbox = node.inbox();
    let limited = child(&inbox, "g", "grower", 1).options(SpawnOptions::default().max_memory(2 << 16));
    let sup = node.start_supervisor(&SupervisorSpec::new(flags(Strategy::OneForOne, 5), vec![limited])).unwrap();
    let (grower, _) = started(&inbox);
    let module = node.module("workers").unwrap();
    let watcher = spawn(&node, &module, "watcher", &reporter_arg(&inbox, &pid_bytes(grower)));
    recv_tag(&inbox, 13);
    inbox.send(grower, 9, b"");
    let reports = recv_by_tag(&inbox, 3);
    assert_eq!(as_i64(&reports[&11].data), i64::from(warren_host::REASON_LIMIT));
    let detail = String::from_utf8_lossy(&reports[&12].data).into_owned();
    assert!(detail.contains("memory") && detail.contains("process limit of 131072 bytes"), "{detail}");
    let (again, number) = (reports[&STARTED].sender, as_i64(&reports[&STARTED].data));
    assert_eq!(number, 1);
    assert_ne!(again, grower);
    assert_eq!(restarts(&node, sup.pid()), [1]);
    finish_normally(&watcher);
}

#[test]
fn a_child_spec_can_take_away_the_right_to_spawn() {
    let node = node(2);
    workers(&node);
    let inbox = node.inbox();
    let children = vec![
        child(&inbox, "free", "spawner", 1).restart(Restart::Temporary),
        child(&inbox, "bound", "spawner", 2).restart(Restart::Temporary).options(SpawnOptions::default().deny_spawn()),
    ];
    let sup = node.start_supervisor(&SupervisorSpec::new(flags(Strategy::OneForOne, 5), children)).unwrap();
    // Each child reports its spawn's result; they run side by side, so the
    // reports are told apart by sender.
    let reports: Vec<(Pid, i64)> = (0..2)
        .map(|_| {
            let report = recv_tag(&inbox, 10);
            (report.sender, as_i64(&report.data))
        })
        .collect();
    let pids = live_pids(&node, sup.pid());
    let result_of = |child: usize| reports.iter().find(|(pid, _)| Some(*pid) == pids[child]).map(|&(_, r)| r);
    let (free, bound) = (result_of(0).expect("the free child's report"), result_of(1).expect("the bound one's"));
    assert!(free > 0, "the first child may spawn: {reports:?}");
    assert_eq!(bound, i64::from(warren_host::ERR_NOT_PERMITTED));
    // The free child's own child reports STARTED (its argument is empty: number 0).
    node.exit(sup.pid(), ExitReason::Shutdown(vec![]));
    finish(&sup);
}

/// A supervisor whose significant child ends at once may have started and
/// ended before its starter looks: its start still succeeded (the tree ran),
/// and its end is then its exit reason. (Seen as a race in a CI run of the
/// example application.)
#[test]
fn a_supervisor_that_ends_as_soon_as_it_started_still_started() {
    let node = node(2);
    load(&node, "brief", r#"(module (memory (export "memory") 1) (func (export "main")))"#);
    for _ in 0..50 {
        let brief = ChildSpec::worker("brief", "brief", "main", b"").restart(Restart::Transient).significant(true);
        let spec =
            SupervisorSpec::new(flags(Strategy::OneForOne, 1).auto_shutdown(AutoShutdown::AnySignificant), vec![brief]);
        let sup = node.start_supervisor(&spec).expect("it started, whatever happened next");
        assert_eq!(finish(&sup), ExitReason::Shutdown(vec![]));
    }
}

#[test]
fn a_process_knows_its_parent_the_spawner_or_its_supervisor_and_none_from_the_host() {
    let node = node(2);
    workers(&node);
    let inbox = node.inbox();
    let module = node.module("workers").expect("loaded");
    // Spawned by the host: no parent.
    let _orphan = spawn(&node, &module, "parental", &arg(&inbox, 1));
    assert_eq!(as_i64(&recv_tag(&inbox, 14).data), 0);
    // Spawned by a guest: that guest.
    let spawner = spawn(&node, &module, "parent_of", &arg(&inbox, 2));
    let spawned = as_i64(&recv_tag(&inbox, 15).data);
    let report = recv_tag(&inbox, 14);
    assert_eq!(report.sender.raw() as i64, spawned);
    assert_eq!(as_i64(&report.data), spawner.pid().raw() as i64);
    // A supervisor's child: the supervisor, also after a restart.
    let spec = SupervisorSpec::new(flags(Strategy::OneForOne, 5), vec![child(&inbox, "p", "parental", 3)]);
    let sup = node.start_supervisor(&spec).expect("started");
    let first = recv_tag(&inbox, 14);
    assert_eq!(as_i64(&first.data), sup.pid().raw() as i64);
    inbox.send(first.sender, CRASH, &[]);
    assert_eq!(as_i64(&recv_tag(&inbox, 14).data), sup.pid().raw() as i64);
}
