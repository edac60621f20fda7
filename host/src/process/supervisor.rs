//! Supervisor processes: a process the host runs itself, with no wasm
//! instance. It has a pid, a mailbox, links and monitors like any process,
//! and traps exits; a scheduler thread runs it when a message comes, and
//! it applies the supervisor's rules (`svc/supervisor/logic.rs`) to its
//! messages: its children's exits, their acknowledgements, its timers and
//! the requests of other processes and of the host.

use super::capabilities::Capabilities;
use super::letter::Letter;
use super::mailbox::Received;
use super::run::RunOutcome;
use super::runtime::Runtime;
use super::spawn::Watchers;
use super::{Body, Process};
use crate::base::codes::{
    ACK_IGNORE, TAG_ACK, TAG_EXIT, TAG_SUPERVISOR_REPLY, TAG_SUPERVISOR_REQUEST, TAG_SUPERVISOR_TIMER,
};
use crate::base::options::SpawnOptions;
use crate::base::pid::Pid;
use crate::base::reason::ExitReason;
use crate::svc::supervisor::codec;
use crate::svc::supervisor::logic::{Effects, Event, Reply, Report, Supervisor};
use crate::svc::supervisor::spec::{ChildSpec, ChildStart, SupervisorError, SupervisorSpec};
use crate::svc::timers::Destination;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Most messages a supervisor handles in one scheduling before it lets
/// other processes run (a burst of 10,000 exits is handled over several).
const EVENTS_PER_SLICE: usize = 256;

/// The body of a supervisor process.
pub(crate) struct SupervisorBody {
    /// Only the scheduler thread that holds the process `RUNNING` locks it:
    /// the lock is never contended.
    run: Mutex<SupervisorRun>,
}

impl SupervisorBody {
    /// The capabilities its children start from.
    pub(crate) fn capabilities(&self) -> Arc<Capabilities> {
        self.run.lock().unwrap_or_else(|e| e.into_inner()).caps.clone()
    }

    /// Runs `f` on the messages it has taken from its mailbox and not yet
    /// handled. Only for a caller that holds the process `RUNNING` (as
    /// [`Process::run_supervisor`] does), so the lock is not contended.
    pub(crate) fn with_received<R>(&self, f: impl FnOnce(&Received) -> R) -> R {
        f(&self.run.lock().unwrap_or_else(|e| e.into_inner()).received)
    }
}

struct SupervisorRun {
    rules: Supervisor,
    received: Received,
    /// Its children's limits and capabilities start from these.
    caps: Arc<Capabilities>,
    /// Told (`TAG_ACK`) when its children have started.
    ack_to: Option<Pid>,
    initialised: bool,
}

impl Runtime {
    /// Creates a supervisor process for `spec` and makes it runnable: it
    /// starts its children when it first runs, then sends `TAG_ACK` to
    /// `ack_to`. Exit signals from `parent` stop it. `watchers` are in place
    /// before it runs.
    pub(crate) fn start_supervisor(
        self: &Arc<Self>,
        spec: &SupervisorSpec,
        parent: Pid,
        caps: Arc<Capabilities>,
        ack_to: Option<Pid>,
        watchers: Watchers<'_>,
    ) -> Result<Arc<Process>, SupervisorError> {
        let rules = Supervisor::new(spec, parent)?;
        let run = SupervisorRun { rules, received: Received::default(), caps, ack_to, initialised: false };
        let body = Body::Supervisor(Box::new(SupervisorBody { run: Mutex::new(run) }));
        let Watchers { link, monitor, exit_waiter, parent: watchers_parent, .. } = watchers;
        let (_, process) = self
            .table
            .insert(|pid| Arc::new(Process::new(pid, self.clone(), body).with_parent(watchers_parent)))
            .ok_or(SupervisorError::ProcessLimit(self.config.max_processes))?;
        process.trap_exit.store(true, Ordering::Release);
        if let Some(waiter) = exit_waiter {
            process.set_exit_waiter(waiter);
        }
        if let Some(parent) = link {
            self.signals.link_new(&*process, &**parent);
        }
        if let Some(watcher) = monitor {
            self.signals.monitor(&self.table, watcher, process.pid);
        }
        self.scheduler.schedule_back(process.clone());
        Ok(process)
    }
}

impl Process {
    /// Runs a supervisor: its first start, then the messages queued, at
    /// most a slice's worth.
    pub(super) fn run_supervisor(self: &Arc<Self>, body: &SupervisorBody) -> RunOutcome {
        let mut run = body.run.lock().unwrap_or_else(|e| e.into_inner());
        let run = &mut *run;
        let mut fx = Fx { process: self, caps: &run.caps, ack_to: &mut run.ack_to };
        if !run.initialised {
            run.initialised = true;
            self.started.store(true, Ordering::Release);
            if let Some(reason) = run.rules.init(&mut fx) {
                return self.supervisor_exited(&mut run.received, reason);
            }
        }
        for _ in 0..EVENTS_PER_SLICE {
            let Some(letter) = run.received.take_next(&self.mailbox) else {
                return RunOutcome::Pending;
            };
            self.runtime.memory.release(letter.footprint());
            let dynamic = run.rules.is_dynamic();
            let Some(event) = event(&letter, dynamic, &mut fx) else { continue };
            if let Some(reason) = run.rules.handle(event, &mut fx) {
                return self.supervisor_exited(&mut run.received, reason);
            }
        }
        // More may be queued: run again after the others.
        std::task::Wake::wake_by_ref(self);
        RunOutcome::Pending
    }

    /// The supervisor ends: the messages it had taken from its mailbox and
    /// not handled are dropped (the host holds them no longer).
    fn supervisor_exited(&self, received: &mut Received, reason: ExitReason) -> RunOutcome {
        self.runtime.memory.release(received.clear());
        RunOutcome::Exited(Arc::new(reason))
    }

    /// Whether this is a supervisor process.
    pub(crate) fn is_supervisor(&self) -> bool {
        matches!(self.body, Body::Supervisor(_))
    }
}

/// The event a message is to a supervisor, if any (a message from a guest
/// with a tag of its own is dropped, as OTP's supervisor drops unexpected
/// messages). A malformed request is answered here.
fn event(letter: &Letter, dynamic: bool, fx: &mut Fx<'_>) -> Option<Event> {
    let from = letter.sender();
    match letter.tag() {
        TAG_EXIT => {
            let payload = letter.payload().to_vec();
            let kind = i32::from_le_bytes(payload.get(8..12)?.try_into().ok()?);
            Some(Event::Exit { from, reason: ExitReason::from_kind(kind, &payload[12..]) })
        }
        TAG_ACK => Some(Event::Ack { from, ignore: letter.payload().to_vec() == [ACK_IGNORE] }),
        TAG_SUPERVISOR_TIMER => {
            let payload = letter.payload().to_vec();
            Some(Event::Timeout(u64::from_le_bytes(payload.get(..8)?.try_into().ok()?)))
        }
        TAG_SUPERVISOR_REQUEST => {
            let payload = letter.payload().to_vec();
            let (request, op, arg) = codec::split_request(&payload)?;
            match codec::decode_op(op, arg, dynamic) {
                Ok(op) => Some(Event::Request { from, request, op }),
                Err(malformed) => {
                    fx.reply(from, request, Reply::Error(SupervisorError::BadSpec(malformed.0)));
                    None
                }
            }
        }
        _ => None,
    }
}

/// What a supervisor does, done with the node's processes.
struct Fx<'a> {
    process: &'a Arc<Process>,
    caps: &'a Arc<Capabilities>,
    ack_to: &'a mut Option<Pid>,
}

impl Fx<'_> {
    fn runtime(&self) -> &Arc<Runtime> {
        &self.process.runtime
    }
}

/// A child's capabilities: the supervisor's, narrowed by the spec's
/// options.
fn child_caps(caps: &Arc<Capabilities>, options: &SpawnOptions) -> Result<Arc<Capabilities>, ExitReason> {
    if *options == SpawnOptions::default() {
        return Ok(caps.clone());
    }
    caps.narrowed(options).map(Arc::new).map_err(|e| ExitReason::Custom(e.to_string().into_bytes()))
}

impl Effects for Fx<'_> {
    fn start(&mut self, spec: &ChildSpec, arg: &[u8]) -> Result<Pid, ExitReason> {
        let caps = child_caps(self.caps, &spec.options)?;
        let runtime = self.runtime().clone();
        let supervisor = self.process;
        let watchers =
            |ack| Watchers { link: Some(supervisor), ack_to: ack, parent: Some(supervisor.pid), ..Watchers::default() };
        match &spec.start {
            ChildStart::Worker { module, entry, arg: base } => {
                let Some(loaded) = runtime.module(module) else {
                    return Err(ExitReason::Custom(format!("no module named `{module}` is loaded").into_bytes()));
                };
                let full: Box<[u8]> = [&base[..], arg].concat().into();
                let ack = spec.ack_timeout.map(|_| supervisor.pid);
                runtime
                    .spawn(loaded, entry, full, caps, watchers(ack))
                    .map(|(child, _)| child.pid)
                    .map_err(|e| ExitReason::Custom(e.to_string().into_bytes()))
            }
            ChildStart::Supervisor(nested) => runtime
                .start_supervisor(nested, supervisor.pid, caps, Some(supervisor.pid), watchers(None))
                .map(|child| child.pid)
                .map_err(|e| ExitReason::Custom(e.to_string().into_bytes())),
        }
    }

    fn exit_signal(&mut self, pid: Pid, reason: ExitReason) {
        let runtime = self.runtime();
        runtime.signals.exit_signal(&runtime.table, self.process.pid, pid, &Arc::new(reason), false);
    }

    fn start_timer(&mut self, token: u64, after: Duration) {
        let runtime = self.runtime();
        let me = self.process.pid;
        let payload: Box<[u8]> = token.to_le_bytes().into();
        // A node with no timer left: the wait has no end but the child's
        // exit (as `infinity`).
        let _ =
            runtime.timers.send_after(&runtime.table, me, Destination::Pid(me), TAG_SUPERVISOR_TIMER, payload, after);
    }

    fn reply(&mut self, to: Pid, request: u64, reply: Reply) {
        let payload = codec::encode_reply(request, &reply);
        self.runtime().send(to, Letter::new(self.process.pid, TAG_SUPERVISOR_REPLY, &payload));
    }

    fn started(&mut self) {
        if let Some(to) = self.ack_to.take() {
            self.runtime().send(to, Letter::new(self.process.pid, TAG_ACK, &[]));
        }
    }

    fn report(&mut self, report: Report<'_>) {
        let supervisor = self.process.pid;
        // As SASL's supervisor reports: one line each, with the facts.
        match report {
            Report::ChildTerminated { id, pid, reason } => {
                tracing::error!(%supervisor, child = id, %pid, %reason, "supervisor: child terminated");
            }
            Report::ChildRestarted { id, pid, restarts } => {
                self.runtime().supervisor_restarts.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::info!(%supervisor, child = id, %pid, restarts, "supervisor: child restarted");
            }
            Report::StartFailed { id, reason } => {
                tracing::error!(%supervisor, child = id, %reason, "supervisor: child failed to start");
            }
            Report::GaveUp { intensity, period } => {
                tracing::error!(
                    %supervisor,
                    intensity,
                    period_ms = period.as_millis() as u64,
                    "supervisor: reached_max_restart_intensity, shutting down"
                );
            }
        }
    }

    fn now(&self) -> Instant {
        Instant::now()
    }
}
