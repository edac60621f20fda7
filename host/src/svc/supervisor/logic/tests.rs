//! The supervisor's rules without a node: a recording `Effects` plays the
//! world, and the tests play the children's exits, acks and timers.

use super::*;
use crate::base::options::SpawnOptions;

/// Records what the supervisor does; spawns give pids 1, 2, 3...
struct World {
    log: Vec<String>,
    next_pid: u32,
    /// Children whose start fails (by id).
    failing: HashSet<String>,
    now: Instant,
    timers: Vec<(u64, Duration)>,
    replies: Vec<(Pid, u64, Reply)>,
}

impl World {
    fn new() -> World {
        World {
            log: Vec::new(),
            next_pid: 0,
            failing: HashSet::new(),
            now: Instant::now(),
            timers: Vec::new(),
            replies: Vec::new(),
        }
    }

    fn take(&mut self) -> Vec<String> {
        std::mem::take(&mut self.log)
    }
}

fn pid(n: u32) -> Pid {
    Pid::new(n, 1)
}

impl Effects for World {
    fn start(&mut self, spec: &ChildSpec, arg: &[u8]) -> Result<Pid, ExitReason> {
        if self.failing.contains(&spec.id) {
            self.log.push(format!("fail {}", spec.id));
            return Err(ExitReason::Custom(b"no".to_vec()));
        }
        self.next_pid += 1;
        let suffix = if arg.is_empty() { String::new() } else { format!("({})", String::from_utf8_lossy(arg)) };
        self.log.push(format!("start {}{suffix}={}", spec.id, self.next_pid));
        Ok(pid(self.next_pid))
    }

    fn exit_signal(&mut self, to: Pid, reason: ExitReason) {
        let what = if matches!(reason, ExitReason::Kill) { "kill" } else { "stop" };
        self.log.push(format!("{what} {}", to.index()));
    }

    fn start_timer(&mut self, token: u64, after: Duration) {
        self.timers.push((token, after));
    }

    fn reply(&mut self, to: Pid, request: u64, reply: Reply) {
        self.replies.push((to, request, reply));
    }

    fn started(&mut self) {
        self.log.push("started".into());
    }

    fn report(&mut self, report: Report<'_>) {
        if let Report::GaveUp { .. } = report {
            self.log.push("gave up".into());
        }
    }

    fn now(&self) -> Instant {
        self.now
    }
}

const PARENT: u32 = 1000;

fn worker(id: &str) -> ChildSpec {
    ChildSpec::worker(id, "m", "main", b"")
}

fn supervisor(strategy: Strategy, intensity: u32, children: Vec<ChildSpec>) -> Supervisor {
    let flags = SupervisorFlags::default().strategy(strategy).intensity(intensity, Duration::from_secs(10));
    Supervisor::new(&SupervisorSpec::new(flags, children), pid(PARENT)).expect("a valid spec")
}

fn crash(n: u32) -> Event {
    Event::Exit { from: pid(n), reason: ExitReason::Trap("boom".into()) }
}

fn exited(n: u32) -> Event {
    Event::Exit { from: pid(n), reason: ExitReason::Shutdown(Vec::new()) }
}

#[test]
fn children_start_in_order_then_the_start_is_acknowledged() {
    let mut world = World::new();
    let mut sup = supervisor(Strategy::OneForOne, 1, vec![worker("a"), worker("b")]);
    assert_eq!(sup.init(&mut world), None);
    assert_eq!(world.take(), ["start a=1", "start b=2", "started"]);
}

#[test]
fn a_child_stopped_in_a_group_restart_is_waited_for_and_a_dead_one_is_not() {
    let mut world = World::new();
    let mut sup = supervisor(Strategy::OneForAll, 5, vec![worker("a"), worker("b"), worker("c")]);
    sup.init(&mut world);
    world.take();
    // c exits on its own right after b crashes: when the supervisor comes
    // to stop c, its exit is already there.
    sup.handle(crash(2), &mut world);
    assert_eq!(world.take(), ["stop 3"], "c first (reverse order), then wait");
    sup.handle(crash(1), &mut world);
    assert!(world.take().is_empty(), "a's exit is kept while it waits for c");
    sup.handle(exited(3), &mut world);
    assert_eq!(world.take(), ["start a=4", "start b=5", "start c=6"], "a was dead already: no signal");
    // a's kept exit is from a pid no longer its child: ignored.
    assert_eq!(sup.which_children().iter().map(|c| c.restarts).collect::<Vec<_>>(), [1, 1, 1]);
}

#[test]
fn a_child_that_ignores_shutdown_is_killed_when_its_timer_fires_and_stale_timers_are_ignored() {
    let mut world = World::new();
    let mut sup = supervisor(Strategy::OneForOne, 1, vec![worker("a")]);
    sup.init(&mut world);
    world.take();
    sup.handle(Event::Request { from: pid(50), request: 7, op: Op::Terminate(ChildRef::Id("a".into())) }, &mut world);
    assert_eq!(world.take(), ["stop 1"]);
    let (token, after) = world.timers[0];
    assert_eq!(after, Duration::from_secs(5), "OTP's default worker shutdown");
    sup.handle(Event::Timeout(token + 100), &mut world);
    assert!(world.take().is_empty(), "another timer's token does nothing");
    sup.handle(Event::Timeout(token), &mut world);
    assert_eq!(world.take(), ["kill 1"]);
    assert!(world.replies.is_empty(), "answered only once the child is gone");
    sup.handle(Event::Exit { from: pid(1), reason: ExitReason::Killed }, &mut world);
    assert_eq!(world.replies, [(pid(50), 7, Reply::Ok)]);
    sup.handle(Event::Timeout(token), &mut world);
    assert!(world.take().is_empty(), "a timer that fires late does nothing");
}

#[test]
fn intensity_counts_restarts_within_the_period_only() {
    let mut world = World::new();
    let mut sup = supervisor(Strategy::OneForOne, 2, vec![worker("a")]);
    sup.init(&mut world);
    let mut current = 1;
    for _ in 0..2 {
        assert_eq!(sup.handle(crash(current), &mut world), None);
        current += 1;
        world.now += Duration::from_secs(6);
    }
    // The first restart is 12 s old now, beyond the 10 s period: two in
    // the window with the next one.
    assert_eq!(sup.handle(crash(current), &mut world), None);
    current += 1;
    assert_eq!(
        sup.handle(crash(current), &mut world),
        Some(ExitReason::Shutdown(GAVE_UP.to_vec())),
        "a third restart within 10 s"
    );
    assert!(world.take().contains(&"gave up".to_string()));
}

#[test]
fn a_failing_restart_is_retried_and_counts_towards_the_intensity() {
    let mut world = World::new();
    let mut sup = supervisor(Strategy::OneForOne, 3, vec![worker("a"), worker("b")]);
    sup.init(&mut world);
    world.take();
    world.failing.insert("a".into());
    let exit = sup.handle(crash(1), &mut world);
    assert_eq!(world.take(), ["fail a", "fail a", "fail a", "gave up", "stop 2"]);
    assert_eq!(exit, None, "it waits for b to stop");
    assert_eq!(sup.handle(exited(2), &mut world), Some(ExitReason::Shutdown(GAVE_UP.to_vec())));
}

#[test]
fn an_exit_signal_from_the_parent_stops_the_children_then_the_supervisor_with_its_reason() {
    let mut world = World::new();
    let mut sup = supervisor(Strategy::OneForOne, 1, vec![worker("a"), worker("b")]);
    sup.init(&mut world);
    world.take();
    assert_eq!(sup.handle(Event::Exit { from: pid(77), reason: ExitReason::Killed }, &mut world), None);
    assert!(world.take().is_empty(), "an exit signal from a stranger is ignored");
    let reason = ExitReason::Custom(b"bye".to_vec());
    assert_eq!(sup.handle(Event::Exit { from: pid(PARENT), reason: reason.clone() }, &mut world), None);
    assert_eq!(world.take(), ["stop 2"]);
    sup.handle(exited(2), &mut world);
    assert_eq!(world.take(), ["stop 1"]);
    assert_eq!(sup.handle(exited(1), &mut world), Some(reason));
}

#[test]
fn a_start_waits_for_the_ack_and_keeps_other_events_for_after() {
    let mut world = World::new();
    let acked = worker("a").ack_timeout(Some(Duration::from_secs(1)));
    let mut sup = supervisor(Strategy::OneForOne, 5, vec![worker("z"), acked, worker("b")]);
    sup.init(&mut world);
    assert_eq!(world.take(), ["start z=1", "start a=2"]);
    // z crashes while a's start is awaited: its restart waits too.
    sup.handle(crash(1), &mut world);
    assert!(world.take().is_empty());
    sup.handle(Event::Ack { from: pid(2), ignore: false }, &mut world);
    assert_eq!(world.take(), ["start b=3", "started", "start z=4"]);
}

#[test]
fn a_child_that_ignores_its_start_is_kept_with_no_pid_and_its_exit_restarts_nothing() {
    let mut world = World::new();
    let waited = worker("a").ack_timeout(Some(Duration::from_secs(1)));
    let mut sup = supervisor(Strategy::OneForOne, 5, vec![waited, worker("b")]);
    sup.init(&mut world);
    assert_eq!(world.take(), ["start a=1"]);
    sup.handle(Event::Ack { from: pid(1), ignore: true }, &mut world);
    assert_eq!(world.take(), ["start b=2", "started"], "the start goes on");
    // Its normal exit, which follows, is no child's: nothing restarts.
    assert_eq!(sup.handle(Event::Exit { from: pid(1), reason: ExitReason::Normal }, &mut world), None);
    assert!(world.take().is_empty());
    // b ignores its start late (it had no ack timeout): forgotten as well.
    sup.handle(Event::Ack { from: pid(2), ignore: true }, &mut world);
    assert_eq!(sup.handle(Event::Exit { from: pid(2), reason: ExitReason::Normal }, &mut world), None);
    assert!(world.take().is_empty(), "no restart of b either");
}

#[test]
fn a_dynamic_supervisor_starts_children_from_its_template_up_to_max_children() {
    let mut world = World::new();
    let template = ChildSpec::worker("t", "m", "main", b"").restart(Restart::Transient);
    let flags = SupervisorFlags::default().strategy(Strategy::SimpleOneForOne).max_children(Some(2));
    let mut sup = Supervisor::new(&SupervisorSpec::new(flags, vec![template]), pid(PARENT)).unwrap();
    sup.init(&mut world);
    assert_eq!(world.take(), ["started"], "no children at start");
    for (request, arg) in [(1, "x"), (2, "y"), (3, "z")] {
        sup.handle(Event::Request { from: pid(50), request, op: Op::StartDynamic(arg.into()) }, &mut world);
    }
    assert_eq!(world.take(), ["start t(x)=1", "start t(y)=2"]);
    assert_eq!(world.replies[2], (pid(50), 3, Reply::Error(SupervisorError::MaxChildren(2))));
    // A transient child that exits normally is forgotten.
    sup.handle(Event::Exit { from: pid(1), reason: ExitReason::Normal }, &mut world);
    assert_eq!(sup.count_children().specs, 1);
    sup.handle(crash(2), &mut world);
    assert_eq!(world.take(), ["start t(y)=3"], "restarted with its own argument");
    // Stopping a dynamic supervisor stops its children at once.
    sup.handle(Event::Request { from: pid(50), request: 9, op: Op::StartDynamic(b"w".to_vec()) }, &mut world);
    sup.handle(Event::Exit { from: pid(PARENT), reason: ExitReason::Shutdown(Vec::new()) }, &mut world);
    let mut log = world.take();
    log.sort();
    assert_eq!(log, ["start t(w)=4", "stop 3", "stop 4"]);
    assert_eq!(world.timers.len(), 1, "one timer for them all");
    sup.handle(exited(4), &mut world);
    assert_eq!(sup.handle(exited(3), &mut world), Some(ExitReason::Shutdown(Vec::new())));
}

#[test]
fn static_operations_follow_otp() {
    let mut world = World::new();
    let mut sup = supervisor(Strategy::OneForOne, 5, vec![worker("a")]);
    sup.init(&mut world);
    world.take();
    let ask = |sup: &mut Supervisor, world: &mut World, op| {
        sup.handle(Event::Request { from: pid(50), request: 1, op }, world);
        world.replies.pop().map(|(_, _, reply)| reply)
    };
    assert_eq!(
        ask(&mut sup, &mut world, Op::StartChild(Box::new(worker("a")))),
        Some(Reply::Error(SupervisorError::AlreadyStarted(pid(1))))
    );
    assert_eq!(ask(&mut sup, &mut world, Op::Delete("a".into())), Some(Reply::Error(SupervisorError::Running)));
    assert_eq!(ask(&mut sup, &mut world, Op::Terminate(ChildRef::Id("a".into()))), None, "waits for a to stop");
    sup.handle(exited(1), &mut world);
    assert_eq!(world.replies.pop().map(|r| r.2), Some(Reply::Ok));
    assert_eq!(
        ask(&mut sup, &mut world, Op::StartChild(Box::new(worker("a")))),
        Some(Reply::Error(SupervisorError::AlreadyPresent))
    );
    assert_eq!(ask(&mut sup, &mut world, Op::Restart("a".into())), Some(Reply::Started(pid(2))));
    assert_eq!(ask(&mut sup, &mut world, Op::Restart("nope".into())), Some(Reply::Error(SupervisorError::NotFound)));
    assert_eq!(ask(&mut sup, &mut world, Op::StartChild(Box::new(worker("b")))), Some(Reply::Started(pid(3))));
    world.failing.insert("c".into());
    let failed = ask(&mut sup, &mut world, Op::StartChild(Box::new(worker("c"))));
    assert!(matches!(failed, Some(Reply::Error(SupervisorError::StartFailed { .. }))));
    assert_eq!(sup.count_children().specs, 2, "a failed start_child keeps no spec");
    let options = SpawnOptions::default();
    let significant = worker("s").restart(Restart::Transient).significant(true).options(options);
    assert!(matches!(
        ask(&mut sup, &mut world, Op::StartChild(Box::new(significant))),
        Some(Reply::Error(SupervisorError::BadSpec(_)))
    ));
}

#[test]
fn a_restart_request_behind_a_group_restart_is_answered() {
    let mut world = World::new();
    let mut sup = supervisor(Strategy::OneForAll, 5, vec![worker("a"), worker("b")]);
    sup.init(&mut world);
    world.take();
    // a crashes: b is being stopped when the request to restart a (not
    // running at this moment) comes; by the time its turn comes, the group
    // restart has started a again.
    sup.handle(crash(1), &mut world);
    sup.handle(Event::Request { from: pid(50), request: 3, op: Op::Restart("a".into()) }, &mut world);
    assert!(world.replies.is_empty(), "kept while b stops");
    sup.handle(exited(2), &mut world);
    assert_eq!(world.take(), ["stop 2", "start a=3", "start b=4"]);
    assert_eq!(world.replies, [(pid(50), 3, Reply::Error(SupervisorError::Running))]);
}
