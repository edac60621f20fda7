//! A supervisor's rules, as Erlang/OTP 25's `supervisor` applies them:
//! which children restart when one exits, restart intensity, start in
//! order and stop in reverse order, dynamic children, `auto_shutdown`.
//!
//! The supervisor is a state machine driven by events (its children's
//! exits, acknowledgements, its timers, requests); it acts through
//! [`Effects`], which the process layer implements with real processes and
//! the tests with a record. Like OTP's supervisor, it does one thing at a
//! time: while it waits for a child to stop or to acknowledge its start,
//! other events are kept, in order, for after.

use super::spec::{
    AutoShutdown, ChildCounts, ChildInfo, ChildRef, ChildSpec, Restart, Shutdown, Strategy, SupervisorError,
    SupervisorFlags, SupervisorSpec,
};
use crate::base::pid::Pid;
use crate::base::reason::ExitReason;
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a supervisor does in the world.
pub(crate) trait Effects {
    /// Starts `spec`'s child linked to the supervisor, with `arg` appended
    /// to the spec's argument (a dynamic child's own); a child that must
    /// acknowledge its start sends [`Event::Ack`]. `Err`: why it could not
    /// be spawned.
    fn start(&mut self, spec: &ChildSpec, arg: &[u8]) -> Result<Pid, ExitReason>;
    /// Sends the exit signal `reason` to `pid`.
    fn exit_signal(&mut self, pid: Pid, reason: ExitReason);
    /// Arms a timer: [`Event::Timeout`] with `token` after `after`.
    fn start_timer(&mut self, token: u64, after: Duration);
    /// Answers `request` of `to`.
    fn reply(&mut self, to: Pid, request: u64, reply: Reply);
    /// Tells whoever started the supervisor that its children have started.
    fn started(&mut self);
    /// A report, as OTP's SASL logs them.
    fn report(&mut self, report: Report<'_>);
    /// The time now.
    fn now(&self) -> Instant;
}

/// What happens to a supervisor.
#[derive(Debug)]
pub(crate) enum Event {
    /// A process linked to it exited (an exit signal, as a message: a
    /// supervisor traps exits).
    Exit { from: Pid, reason: ExitReason },
    /// A child acknowledged its start (`init_ack`).
    Ack {
        from: Pid,
        /// The child ignores its start (`init_ignore`, OTP's `ignore`).
        ignore: bool,
    },
    /// A timer it armed fired.
    Timeout(u64),
    /// An operation asked of it.
    Request { from: Pid, request: u64, op: Op },
}

/// An operation asked of a supervisor.
#[derive(Debug)]
pub(crate) enum Op {
    /// Add and start a child (a static supervisor).
    StartChild(Box<ChildSpec>),
    /// Start a child from the template with this argument (a dynamic one).
    StartDynamic(Vec<u8>),
    /// Stop a child (a static one keeps its spec).
    Terminate(ChildRef),
    /// Start a stopped child again.
    Restart(String),
    /// Forget a stopped child.
    Delete(String),
    /// List the children.
    WhichChildren,
    /// Count the children.
    CountChildren,
}

/// A supervisor's answer to an operation.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Reply {
    /// Done.
    Ok,
    /// The child started, with this pid.
    Started(Pid),
    /// The child ignored its start (OTP's `{ok, undefined}`): no process.
    Ignored,
    /// The children.
    Children(Vec<ChildInfo>),
    /// The counts.
    Counts(ChildCounts),
    /// It failed.
    Error(SupervisorError),
}

/// What a supervisor reports (see `Effects::report`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Report<'a> {
    /// A child exited with a reason other than `normal` or `shutdown`.
    ChildTerminated { id: &'a str, pid: Pid, reason: &'a ExitReason },
    /// A child was started again.
    ChildRestarted { id: &'a str, pid: Pid, restarts: u32 },
    /// A child could not be started.
    StartFailed { id: &'a str, reason: &'a ExitReason },
    /// More restarts than its intensity allows: it stops.
    GaveUp { intensity: u32, period: Duration },
}

/// The detail of the `shutdown` a supervisor exits with when it gives up.
pub(crate) const GAVE_UP: &[u8] = b"reached_max_restart_intensity";

/// A child as the supervisor holds it.
struct Child {
    spec: Arc<ChildSpec>,
    /// A dynamic child's own argument.
    arg: Vec<u8>,
    pid: Option<Pid>,
    /// Times started.
    starts: u32,
}

/// One thing to do, in a plan of several.
#[derive(Debug)]
enum Step {
    /// Start child `key`; `on_fail` says what a failed start means.
    Start { key: u64, on_fail: OnFail },
    /// Stop child `key` (if it runs) and wait for its exit.
    Stop { key: u64 },
    /// Stop these dynamic children at once, and wait for them all.
    StopAll { keys: Vec<u64> },
    /// Forget child `key`.
    Remove { key: u64 },
    /// Answer a request.
    Reply { to: Pid, request: u64, reply: Reply },
    /// The first start is over: say so.
    Started,
    /// Exit with this reason.
    Exit(ExitReason),
}

/// What a failed start means.
#[derive(Debug, Clone, Copy)]
enum OnFail {
    /// The supervisor's own start fails.
    AbortInit,
    /// A restart failed: it counts as a restart, and is tried again.
    Retry,
    /// Answer the request with the failure (and forget the child if it was
    /// added for it).
    Reply { to: Pid, request: u64, forget: bool },
}

/// What the supervisor waits for before its plan goes on.
#[derive(Debug)]
enum Wait {
    /// Child `key` (`pid`) to exit; `timer`: the token after which it is
    /// killed.
    Exit { key: u64, pid: Pid, timer: Option<u64> },
    /// Child `key` (`pid`) to acknowledge its start, within timer `timer`.
    Ack { key: u64, pid: Pid, timer: Option<u64>, on_fail: OnFail },
    /// Every one of these children to exit; killed after timer `timer`.
    ExitAll { pids: HashSet<Pid>, timer: Option<u64> },
}

/// A supervisor's state.
pub(crate) struct Supervisor {
    flags: SupervisorFlags,
    /// A dynamic supervisor's template.
    template: Option<Arc<ChildSpec>>,
    /// The children, by key, in start order.
    children: BTreeMap<u64, Child>,
    by_pid: HashMap<Pid, u64>,
    next_key: u64,
    /// When the recent restarts happened (within `flags.period`).
    restarts: VecDeque<Instant>,
    /// An exit signal from it stops the supervisor.
    parent: Pid,
    plan: VecDeque<Step>,
    waiting: Option<Wait>,
    /// Events that came while it waited, in order.
    deferred: VecDeque<Event>,
    next_token: u64,
    /// Set when the plan reached `Exit`.
    exit: Option<ExitReason>,
}

impl Supervisor {
    /// A supervisor for `spec` (validated), stopped by exit signals from
    /// `parent`. Nothing starts until [`Supervisor::init`].
    pub(crate) fn new(spec: &SupervisorSpec, parent: Pid) -> Result<Supervisor, SupervisorError> {
        spec.validate()?;
        let dynamic = spec.flags.strategy == Strategy::SimpleOneForOne;
        let mut supervisor = Supervisor {
            flags: spec.flags.clone(),
            template: dynamic.then(|| Arc::new(spec.children[0].clone())),
            children: BTreeMap::new(),
            by_pid: HashMap::new(),
            next_key: 0,
            restarts: VecDeque::new(),
            parent,
            plan: VecDeque::new(),
            waiting: None,
            deferred: VecDeque::new(),
            next_token: 0,
            exit: None,
        };
        if !dynamic {
            for child in &spec.children {
                supervisor.add(Arc::new(child.clone()), Vec::new());
            }
        }
        Ok(supervisor)
    }

    /// Starts the children in order (each acknowledged if its spec asks);
    /// then tells `Effects::started`. Returns the exit reason if the start
    /// failed (the children started are stopped first).
    pub(crate) fn init(&mut self, fx: &mut impl Effects) -> Option<ExitReason> {
        let keys: Vec<u64> = self.children.keys().copied().collect();
        self.plan.extend(keys.into_iter().map(|key| Step::Start { key, on_fail: OnFail::AbortInit }));
        self.plan.push_back(Step::Started);
        self.advance(fx)
    }

    /// Handles one event; returns the reason the supervisor exits with, if
    /// it is done.
    pub(crate) fn handle(&mut self, event: Event, fx: &mut impl Effects) -> Option<ExitReason> {
        match self.waiting.take() {
            Some(wait) => {
                if let Some(event) = self.resume(wait, event, fx) {
                    self.deferred.push_back(event);
                }
            }
            None => self.deferred.push_back(event),
        }
        self.advance(fx)
    }

    /// Whether it is a dynamic supervisor.
    pub(crate) fn is_dynamic(&self) -> bool {
        self.dynamic()
    }

    fn dynamic(&self) -> bool {
        self.template.is_some()
    }

    fn add(&mut self, spec: Arc<ChildSpec>, arg: Vec<u8>) -> u64 {
        let key = self.next_key;
        self.next_key += 1;
        self.children.insert(key, Child { spec, arg, pid: None, starts: 0 });
        key
    }

    fn token(&mut self) -> u64 {
        self.next_token += 1;
        self.next_token
    }

    /// Runs the plan, then the events kept for after it, until it must wait
    /// or has nothing left to do.
    fn advance(&mut self, fx: &mut impl Effects) -> Option<ExitReason> {
        loop {
            if let Some(reason) = self.exit.take() {
                return Some(reason);
            }
            if self.waiting.is_some() {
                return None;
            }
            if let Some(step) = self.plan.pop_front() {
                self.step(step, fx);
                continue;
            }
            let event = self.deferred.pop_front()?;
            self.dispatch(event, fx);
        }
    }

    // ------------------------------------------------------------ steps

    fn step(&mut self, step: Step, fx: &mut impl Effects) {
        match step {
            Step::Start { key, on_fail } => self.start(key, on_fail, fx),
            Step::Stop { key } => self.stop(key, fx),
            Step::StopAll { keys } => self.stop_all(keys, fx),
            Step::Remove { key } => self.forget(key),
            Step::Reply { to, request, reply } => fx.reply(to, request, reply),
            Step::Started => fx.started(),
            Step::Exit(reason) => self.exit = Some(reason),
        }
    }

    fn start(&mut self, key: u64, on_fail: OnFail, fx: &mut impl Effects) {
        // A request's start always gets its answer, even when a step planned
        // before it (a group restart) already started or forgot the child.
        let mut answer = |error| {
            if let OnFail::Reply { to, request, .. } = on_fail {
                fx.reply(to, request, Reply::Error(error));
            }
        };
        let Some(child) = self.children.get_mut(&key) else {
            return answer(SupervisorError::NotFound);
        };
        if child.pid.is_some() {
            return answer(SupervisorError::Running);
        }
        match fx.start(&child.spec, &child.arg) {
            Ok(pid) => {
                child.pid = Some(pid);
                child.starts += 1;
                self.by_pid.insert(pid, key);
                let spec = &child.spec;
                if spec.ack_timeout.is_some() || spec.is_supervisor() {
                    let after = spec.ack_timeout;
                    let timer = after.map(|after| {
                        let token = self.token();
                        fx.start_timer(token, after);
                        token
                    });
                    self.waiting = Some(Wait::Ack { key, pid, timer, on_fail });
                } else {
                    self.started_ok(key, on_fail, fx);
                }
            }
            Err(reason) => self.start_failed(key, reason, on_fail, fx),
        }
    }

    /// Child `key` has started (and acknowledged, if asked).
    fn started_ok(&mut self, key: u64, on_fail: OnFail, fx: &mut impl Effects) {
        let Some(child) = self.children.get(&key) else { return };
        let Some(pid) = child.pid else { return };
        if child.starts > 1 {
            fx.report(Report::ChildRestarted { id: &child.spec.id, pid, restarts: child.starts - 1 });
        }
        if let OnFail::Reply { to, request, .. } = on_fail {
            fx.reply(to, request, Reply::Started(pid));
        }
    }

    /// Child `key` (`pid`) ignored its start, as a start function that
    /// returns `ignore`: the supervisor keeps its spec with no process (a
    /// dynamic supervisor forgets it), and neither counts nor restarts it;
    /// its exit, which follows, is then no child's.
    fn ignored(&mut self, key: u64, pid: Pid, on_fail: OnFail, fx: &mut impl Effects) {
        self.by_pid.remove(&pid);
        if self.dynamic() {
            self.children.remove(&key);
        } else if let Some(child) = self.children.get_mut(&key) {
            child.pid = None;
        }
        if let OnFail::Reply { to, request, .. } = on_fail {
            fx.reply(to, request, Reply::Ignored);
        }
    }

    fn start_failed(&mut self, key: u64, reason: ExitReason, on_fail: OnFail, fx: &mut impl Effects) {
        let Some(child) = self.children.get_mut(&key) else { return };
        if let Some(pid) = child.pid.take() {
            self.by_pid.remove(&pid);
        }
        let id = child.spec.id.clone();
        fx.report(Report::StartFailed { id: &id, reason: &reason });
        match on_fail {
            OnFail::AbortInit => {
                self.plan.clear();
                let detail = format!("failed_to_start_child {id}: {reason}");
                self.stop_everything(ExitReason::Shutdown(detail.into_bytes()));
            }
            OnFail::Retry => {
                if self.add_restart(fx) {
                    self.plan.push_front(Step::Start { key, on_fail: OnFail::Retry });
                }
            }
            OnFail::Reply { to, request, forget } => {
                if forget {
                    self.forget(key);
                }
                fx.reply(to, request, Reply::Error(SupervisorError::StartFailed { id, reason }));
            }
        }
    }

    fn stop(&mut self, key: u64, fx: &mut impl Effects) {
        let Some(child) = self.children.get(&key) else { return };
        let Some(pid) = child.pid else { return };
        let shutdown = child.spec.shutdown;
        // It may have exited already: its exit waits among the kept events.
        if let Some(at) =
            self.deferred.iter().position(|event| matches!(event, Event::Exit { from, .. } if *from == pid))
        {
            self.deferred.remove(at);
            self.exited(key, pid);
            return;
        }
        let timer = self.signal_stop(pid, shutdown, fx);
        self.waiting = Some(Wait::Exit { key, pid, timer });
    }

    /// Sends `pid` the signal its shutdown calls for; returns the token of
    /// the timer after which it is killed.
    fn signal_stop(&mut self, pid: Pid, shutdown: Shutdown, fx: &mut impl Effects) -> Option<u64> {
        match shutdown {
            Shutdown::BrutalKill => {
                fx.exit_signal(pid, ExitReason::Kill);
                None
            }
            Shutdown::Infinity => {
                fx.exit_signal(pid, ExitReason::Shutdown(Vec::new()));
                None
            }
            Shutdown::Timeout(after) => {
                fx.exit_signal(pid, ExitReason::Shutdown(Vec::new()));
                let token = self.token();
                fx.start_timer(token, after);
                Some(token)
            }
        }
    }

    fn stop_all(&mut self, keys: Vec<u64>, fx: &mut impl Effects) {
        let mut pids: HashSet<Pid> = keys.iter().filter_map(|key| self.children.get(key)?.pid).collect();
        // Those that exited already: their exits wait among the kept events
        // (one pass over them, however many children).
        let mut gone = Vec::new();
        self.deferred.retain(|event| match event {
            Event::Exit { from, .. } if pids.remove(from) => {
                gone.push(*from);
                false
            }
            _ => true,
        });
        for pid in gone {
            if let Some(&key) = self.by_pid.get(&pid) {
                self.exited(key, pid);
            }
        }
        if pids.is_empty() {
            return;
        }
        // One signal each, and one timer for them all.
        let shutdown = self.template.as_ref().map_or(Shutdown::default(), |t| t.shutdown);
        let (signal, after) = match shutdown {
            Shutdown::BrutalKill => (ExitReason::Kill, None),
            Shutdown::Infinity => (ExitReason::Shutdown(Vec::new()), None),
            Shutdown::Timeout(after) => (ExitReason::Shutdown(Vec::new()), Some(after)),
        };
        for &pid in &pids {
            fx.exit_signal(pid, signal.clone());
        }
        let timer = after.map(|after| {
            let token = self.token();
            fx.start_timer(token, after);
            token
        });
        self.waiting = Some(Wait::ExitAll { pids, timer });
    }

    /// Child `key` (`pid`) is gone.
    fn exited(&mut self, key: u64, pid: Pid) {
        self.by_pid.remove(&pid);
        if let Some(child) = self.children.get_mut(&key) {
            child.pid = None;
            // A temporary child is never restarted, and a dynamic child has
            // no spec of its own to keep.
            if child.spec.restart == Restart::Temporary || self.template.is_some() {
                self.children.remove(&key);
            }
        }
    }

    fn forget(&mut self, key: u64) {
        if let Some(child) = self.children.remove(&key)
            && let Some(pid) = child.pid
        {
            self.by_pid.remove(&pid);
        }
    }

    /// Plans to stop every child, in reverse start order, then to exit with
    /// `reason`.
    fn stop_everything(&mut self, reason: ExitReason) {
        let keys: Vec<u64> =
            self.children.iter().rev().filter(|(_, child)| child.pid.is_some()).map(|(&key, _)| key).collect();
        if self.dynamic() {
            self.plan.push_back(Step::StopAll { keys });
        } else {
            self.plan.extend(keys.into_iter().map(|key| Step::Stop { key }));
        }
        self.plan.push_back(Step::Exit(reason));
    }

    // ------------------------------------------------------------ waiting

    /// Offers `event` to what the supervisor waits for; gives it back if it
    /// is not that (it is then kept for later).
    fn resume(&mut self, wait: Wait, event: Event, fx: &mut impl Effects) -> Option<Event> {
        match wait {
            Wait::Exit { key, pid, timer } => match event {
                Event::Exit { from, .. } if from == pid => {
                    self.exited(key, pid);
                    None
                }
                Event::Timeout(token) if Some(token) == timer => {
                    fx.exit_signal(pid, ExitReason::Kill);
                    self.waiting = Some(Wait::Exit { key, pid, timer: None });
                    None
                }
                event => {
                    self.waiting = Some(Wait::Exit { key, pid, timer });
                    Some(event)
                }
            },
            Wait::Ack { key, pid, timer, on_fail } => match event {
                Event::Ack { from, ignore: false } if from == pid => {
                    self.started_ok(key, on_fail, fx);
                    None
                }
                Event::Ack { from, ignore: true } if from == pid => {
                    self.ignored(key, pid, on_fail, fx);
                    None
                }
                Event::Exit { from, reason } if from == pid => {
                    self.start_failed(key, reason, on_fail, fx);
                    None
                }
                Event::Timeout(token) if Some(token) == timer => {
                    // As proc_lib's start timeout: the child is killed, its
                    // start failed.
                    fx.exit_signal(pid, ExitReason::Kill);
                    let reason = ExitReason::Custom(b"timeout: no init_ack in time".to_vec());
                    self.start_failed(key, reason, on_fail, fx);
                    None
                }
                event => {
                    self.waiting = Some(Wait::Ack { key, pid, timer, on_fail });
                    Some(event)
                }
            },
            Wait::ExitAll { mut pids, timer } => {
                let event = match event {
                    Event::Exit { from, .. } if pids.contains(&from) => {
                        pids.remove(&from);
                        if let Some(&key) = self.by_pid.get(&from) {
                            self.exited(key, from);
                        }
                        None
                    }
                    Event::Timeout(token) if Some(token) == timer => {
                        for &pid in &pids {
                            fx.exit_signal(pid, ExitReason::Kill);
                        }
                        return self.wait_all(pids, None);
                    }
                    event => Some(event),
                };
                self.wait_all(pids, timer);
                event
            }
        }
    }

    fn wait_all(&mut self, pids: HashSet<Pid>, timer: Option<u64>) -> Option<Event> {
        if !pids.is_empty() {
            self.waiting = Some(Wait::ExitAll { pids, timer });
        }
        None
    }

    // ------------------------------------------------------------ events

    fn dispatch(&mut self, event: Event, fx: &mut impl Effects) {
        match event {
            Event::Exit { from, reason } => {
                if let Some(&key) = self.by_pid.get(&from) {
                    self.child_exited(key, from, reason, fx);
                } else if from == self.parent {
                    // As a gen_server whose parent exits: stop the children,
                    // then exit with the parent's reason.
                    self.stop_everything(reason);
                }
                // An exit signal from anyone else is ignored, as OTP's
                // supervisor ignores unexpected messages.
            }
            // A child that ignores its start after the supervisor stopped
            // waiting for it (or never waited: no ack timeout).
            Event::Ack { from, ignore: true } => {
                if let Some(&key) = self.by_pid.get(&from) {
                    self.ignored(key, from, OnFail::Retry, fx);
                }
            }
            // Late acknowledgements and timers that no longer matter.
            Event::Ack { .. } | Event::Timeout(_) => {}
            Event::Request { from, request, op } => self.request(from, request, op),
        }
    }

    fn child_exited(&mut self, key: u64, pid: Pid, reason: ExitReason, fx: &mut impl Effects) {
        let Some(child) = self.children.get(&key) else { return };
        let spec = child.spec.clone();
        let shutdown_like = reason.is_normal() || matches!(reason, ExitReason::Shutdown(_));
        if !shutdown_like {
            fx.report(Report::ChildTerminated { id: &spec.id, pid, reason: &reason });
        }
        let restart = match spec.restart {
            Restart::Permanent => true,
            Restart::Transient => !shutdown_like,
            Restart::Temporary => false,
        };
        self.by_pid.remove(&pid);
        if let Some(child) = self.children.get_mut(&key) {
            child.pid = None;
        }
        if !restart {
            if spec.restart == Restart::Temporary || self.dynamic() {
                self.children.remove(&key);
            }
            if spec.significant && self.auto_shutdown_due() {
                self.stop_everything(ExitReason::Shutdown(Vec::new()));
            }
            return;
        }
        if !self.add_restart(fx) {
            return;
        }
        match self.flags.strategy {
            Strategy::OneForOne | Strategy::SimpleOneForOne => {
                self.plan.push_back(Step::Start { key, on_fail: OnFail::Retry });
            }
            Strategy::OneForAll => self.restart_from(None, key),
            Strategy::RestForOne => self.restart_from(Some(key), key),
        }
    }

    /// Plans a group restart: the children from `first` on (all of them if
    /// `None`) stop in reverse order, then start in order, except temporary
    /// ones, which are forgotten. `crashed` is already stopped.
    fn restart_from(&mut self, first: Option<u64>, crashed: u64) {
        let group: Vec<u64> = match first {
            Some(first) => self.children.range(first..).map(|(&key, _)| key).collect(),
            None => self.children.keys().copied().collect(),
        };
        for &key in group.iter().rev() {
            if key != crashed {
                self.plan.push_back(Step::Stop { key });
            }
        }
        for &key in &group {
            let temporary = self.children.get(&key).is_some_and(|c| c.spec.restart == Restart::Temporary);
            if temporary {
                self.plan.push_back(Step::Remove { key });
            } else {
                self.plan.push_back(Step::Start { key, on_fail: OnFail::Retry });
            }
        }
    }

    /// Counts a restart; past the intensity, plans the supervisor's end
    /// and returns false.
    fn add_restart(&mut self, fx: &mut impl Effects) -> bool {
        let now = fx.now();
        self.restarts.push_back(now);
        while let Some(&oldest) = self.restarts.front() {
            if now.saturating_duration_since(oldest) >= self.flags.period {
                self.restarts.pop_front();
            } else {
                break;
            }
        }
        if self.restarts.len() as u64 <= u64::from(self.flags.intensity) {
            return true;
        }
        fx.report(Report::GaveUp { intensity: self.flags.intensity, period: self.flags.period });
        self.plan.clear();
        self.stop_everything(ExitReason::Shutdown(GAVE_UP.to_vec()));
        false
    }

    fn auto_shutdown_due(&self) -> bool {
        match self.flags.auto_shutdown {
            AutoShutdown::Never => false,
            AutoShutdown::AnySignificant => true,
            AutoShutdown::AllSignificant => {
                !self.children.values().any(|child| child.spec.significant && child.pid.is_some())
            }
        }
    }

    // ------------------------------------------------------------ requests

    fn request(&mut self, to: Pid, request: u64, op: Op) {
        let reply = |reply| Step::Reply { to, request, reply };
        let fail = |error| Step::Reply { to, request, reply: Reply::Error(error) };
        let step = match op {
            Op::StartChild(spec) => {
                if self.dynamic() {
                    fail(SupervisorError::WrongKind("a dynamic supervisor starts children from its template"))
                } else if let Some(child) = self.children.values().find(|c| c.spec.id == spec.id) {
                    fail(match child.pid {
                        Some(pid) => SupervisorError::AlreadyStarted(pid),
                        None => SupervisorError::AlreadyPresent,
                    })
                } else if let Err(error) = self.check_child(&spec) {
                    fail(error)
                } else {
                    let key = self.add(Arc::new(*spec), Vec::new());
                    Step::Start { key, on_fail: OnFail::Reply { to, request, forget: true } }
                }
            }
            Op::StartDynamic(arg) => match self.template.clone() {
                None => fail(SupervisorError::WrongKind("only a dynamic supervisor starts children from an argument")),
                Some(template) => match self.flags.max_children {
                    Some(max) if self.children.len() >= max as usize => fail(SupervisorError::MaxChildren(max)),
                    _ => {
                        let key = self.add(template, arg);
                        Step::Start { key, on_fail: OnFail::Reply { to, request, forget: true } }
                    }
                },
            },
            Op::Terminate(which) => match self.find(&which) {
                None => fail(SupervisorError::NotFound),
                Some(key) => {
                    self.plan.push_back(Step::Stop { key });
                    // A dynamic child, or a temporary one, is forgotten.
                    let forget =
                        self.dynamic() || self.children.get(&key).is_some_and(|c| c.spec.restart == Restart::Temporary);
                    if forget {
                        self.plan.push_back(Step::Remove { key });
                    }
                    reply(Reply::Ok)
                }
            },
            Op::Restart(id) => match self.find_static(&id) {
                Err(error) => fail(error),
                Ok(key) => match self.children.get(&key).and_then(|c| c.pid) {
                    Some(_) => fail(SupervisorError::Running),
                    None => Step::Start { key, on_fail: OnFail::Reply { to, request, forget: false } },
                },
            },
            Op::Delete(id) => match self.find_static(&id) {
                Err(error) => fail(error),
                Ok(key) => match self.children.get(&key).and_then(|c| c.pid) {
                    Some(_) => fail(SupervisorError::Running),
                    None => {
                        self.forget(key);
                        reply(Reply::Ok)
                    }
                },
            },
            Op::WhichChildren => reply(Reply::Children(self.which_children())),
            Op::CountChildren => reply(Reply::Counts(self.count_children())),
        };
        self.plan.push_back(step);
    }

    /// The checks a child added later gets (those of a spec at start).
    fn check_child(&self, spec: &ChildSpec) -> Result<(), SupervisorError> {
        let flags = SupervisorFlags { strategy: Strategy::OneForOne, ..self.flags.clone() };
        SupervisorSpec::new(SupervisorFlags { max_children: None, ..flags }, vec![spec.clone()]).validate()
    }

    fn find(&self, which: &ChildRef) -> Option<u64> {
        match which {
            ChildRef::Pid(pid) => self.by_pid.get(pid).copied(),
            ChildRef::Id(id) if !self.dynamic() => {
                self.children.iter().find(|(_, c)| &c.spec.id == id).map(|(&key, _)| key)
            }
            ChildRef::Id(_) => None,
        }
    }

    fn find_static(&self, id: &str) -> Result<u64, SupervisorError> {
        if self.dynamic() {
            return Err(SupervisorError::WrongKind("a dynamic supervisor's children are named by pid"));
        }
        self.find(&ChildRef::Id(id.to_string())).ok_or(SupervisorError::NotFound)
    }

    fn which_children(&self) -> Vec<ChildInfo> {
        self.children
            .values()
            .map(|child| ChildInfo {
                id: child.spec.id.clone(),
                pid: child.pid,
                supervisor: child.spec.is_supervisor(),
                restarts: child.starts.saturating_sub(1),
            })
            .collect()
    }

    fn count_children(&self) -> ChildCounts {
        let mut counts = ChildCounts::default();
        for child in self.children.values() {
            counts.specs += 1;
            if child.pid.is_some() {
                counts.active += 1;
            }
            if child.spec.is_supervisor() {
                counts.supervisors += 1;
            } else {
                counts.workers += 1;
            }
        }
        counts
    }
}

#[cfg(test)]
mod tests;
