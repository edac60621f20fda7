//! The node's supervisor API: start supervisors and ask them what OTP's
//! `supervisor` module asks (`start_child`, `terminate_child`,
//! `which_children`...). Each request goes through the supervisor's
//! mailbox, as a guest's does, so it is ordered with the supervisor's
//! other work.

use super::{Node, ProcessHandle};
use crate::base::codes::{TAG_ACK, TAG_DOWN, TAG_SUPERVISOR_REPLY, TAG_SUPERVISOR_REQUEST};
use crate::base::pid::Pid;
use crate::base::reason::ExitReason;
use crate::process::letter::Letter;
use crate::process::spawn::Watchers;
use crate::svc::process_table::ProcessTable;
use crate::svc::signals::is_down_of;
use crate::svc::supervisor::logic::{Op, Reply};
use crate::svc::supervisor::spec::{ChildCounts, ChildInfo, ChildRef, ChildSpec, SupervisorError, SupervisorSpec};
use crate::svc::supervisor::{codec, next_request};
use std::sync::Arc;

impl Node {
    /// Starts a supervisor running `spec`, linked to nothing, and waits
    /// until its children have started (in order, each acknowledged if its
    /// spec asks). If a child's start fails, the supervisor stops the
    /// children it started and exits, and this returns
    /// [`SupervisorError::Exited`] with its reason
    /// (`shutdown: failed_to_start_child ID: REASON`). An exit signal from
    /// the host ([`Node::exit`]) stops it, children first.
    pub fn start_supervisor(&self, spec: &SupervisorSpec) -> Result<ProcessHandle, SupervisorError> {
        spec.validate()?;
        // The inbox monitors the supervisor from its birth: its
        // acknowledgement and its DOWN come through one channel, in the order
        // it sent them (a supervisor may start and end before this looks).
        let inbox = self.inbox();
        let Some(me) = self.runtime.table.get(inbox.pid()) else {
            return Err(SupervisorError::ProcessLimit(self.runtime.config.max_processes));
        };
        let (waiter, exit) = crossbeam_channel::bounded(1);
        let watchers = Watchers { exit_waiter: Some(waiter), monitor: Some(&me), ..Watchers::default() };
        let pid = self
            .runtime
            .start_supervisor(spec, host_pid(), self.default_caps.clone(), Some(inbox.pid()), watchers)?
            .pid;
        let handle = ProcessHandle { pid, exit, reason: std::sync::OnceLock::new() };
        while let Ok(message) = inbox.rx.recv() {
            if message.sender != pid {
                continue;
            }
            match message.tag {
                TAG_ACK => return Ok(handle),
                TAG_DOWN => return Err(SupervisorError::Exited(down_reason(&message.data))),
                _ => {}
            }
        }
        Err(SupervisorError::Exited(handle.wait()))
    }

    /// Sends the exit signal `reason` to `pid` from the host, as Erlang's
    /// `exit/2`: `kill` cannot be trapped; a supervisor started by the host
    /// stops on any other reason from it, children first.
    pub fn exit(&self, pid: Pid, reason: ExitReason) {
        self.runtime.signals.exit_signal(&self.runtime.table, host_pid(), pid, &Arc::new(reason), false);
    }

    /// Whether `pid` is a live supervisor.
    pub fn is_supervisor(&self, pid: Pid) -> bool {
        self.runtime.table.get(pid).is_some_and(|p| p.is_supervisor())
    }

    /// Adds `spec` to a static supervisor and starts it (OTP's
    /// `supervisor:start_child/2`); returns its pid, or
    /// [`SupervisorError::Ignored`] if the child ignored its start (OTP's
    /// `{ok, undefined}`: the spec is kept, with no process).
    pub fn start_child(&self, supervisor: Pid, spec: ChildSpec) -> Result<Pid, SupervisorError> {
        let id = spec.id.clone();
        self.started(self.request(supervisor, Op::StartChild(Box::new(spec)), &id)?)
    }

    /// Starts a child of a dynamic supervisor from its template, with `arg`
    /// appended to the template's argument; returns its pid.
    pub fn start_dynamic_child(&self, supervisor: Pid, arg: &[u8]) -> Result<Pid, SupervisorError> {
        self.started(self.request(supervisor, Op::StartDynamic(arg.to_vec()), "")?)
    }

    /// Stops a child (a static supervisor keeps its spec, unless it is
    /// temporary).
    pub fn terminate_child(&self, supervisor: Pid, child: ChildRef) -> Result<(), SupervisorError> {
        self.done(self.request(supervisor, Op::Terminate(child), "")?)
    }

    /// Starts a stopped child of a static supervisor again; returns its pid.
    pub fn restart_child(&self, supervisor: Pid, id: &str) -> Result<Pid, SupervisorError> {
        self.started(self.request(supervisor, Op::Restart(id.to_string()), id)?)
    }

    /// Forgets a stopped child of a static supervisor.
    pub fn delete_child(&self, supervisor: Pid, id: &str) -> Result<(), SupervisorError> {
        self.done(self.request(supervisor, Op::Delete(id.to_string()), id)?)
    }

    /// A supervisor's children, in start order.
    pub fn which_children(&self, supervisor: Pid) -> Result<Vec<ChildInfo>, SupervisorError> {
        match self.request(supervisor, Op::WhichChildren, "")? {
            Reply::Children(children) => Ok(children),
            other => Err(unexpected(other)),
        }
    }

    /// A supervisor's children, counted.
    pub fn count_children(&self, supervisor: Pid) -> Result<ChildCounts, SupervisorError> {
        match self.request(supervisor, Op::CountChildren, "")? {
            Reply::Counts(counts) => Ok(counts),
            other => Err(unexpected(other)),
        }
    }

    fn started(&self, reply: Reply) -> Result<Pid, SupervisorError> {
        match reply {
            Reply::Started(pid) => Ok(pid),
            Reply::Ignored => Err(SupervisorError::Ignored),
            other => Err(unexpected(other)),
        }
    }

    fn done(&self, reply: Reply) -> Result<(), SupervisorError> {
        match reply {
            Reply::Ok => Ok(()),
            other => Err(unexpected(other)),
        }
    }

    /// Sends `op` to `supervisor` from a new inbox that monitors it, and
    /// waits for the answer (or the supervisor's end).
    fn request(&self, supervisor: Pid, op: Op, id: &str) -> Result<Reply, SupervisorError> {
        if !self.is_supervisor(supervisor) {
            return Err(SupervisorError::NoSupervisor(supervisor));
        }
        let inbox = self.inbox();
        let Some(me) = self.runtime.table.get(inbox.pid()) else {
            return Err(SupervisorError::ProcessLimit(self.runtime.config.max_processes));
        };
        let monitor = self.runtime.signals.monitor(&self.runtime.table, &me, supervisor);
        let request = next_request();
        let (code, arg) = codec::encode_op(&op);
        let payload = codec::request_payload(request, code, &arg);
        self.runtime.send(supervisor, Letter::new(inbox.pid(), TAG_SUPERVISOR_REQUEST, &payload));
        while let Ok(message) = inbox.rx.recv() {
            if message.tag == TAG_SUPERVISOR_REPLY
                && let Some((answered, reply)) = codec::decode_reply(&message.data, code, id)
                && answered == request
            {
                return match reply {
                    Reply::Error(error) => Err(error),
                    reply => Ok(reply),
                };
            }
            if is_down_of(monitor, message.tag, &message.data) {
                return Err(match down_reason(&message.data) {
                    ExitReason::Noproc => SupervisorError::NoSupervisor(supervisor),
                    reason => SupervisorError::Exited(reason),
                });
            }
            debug_assert!(message.tag == TAG_SUPERVISOR_REPLY || message.tag == TAG_DOWN);
        }
        Err(SupervisorError::Exited(ExitReason::Shutdown(b"node stopped".to_vec())))
    }
}

/// The exit reason a DOWN message's payload carries
/// (`[ref: i64][pid: i64][kind: i32][detail]`).
pub(super) fn down_reason(data: &[u8]) -> ExitReason {
    let kind = data.get(16..20).and_then(|b| b.try_into().ok()).map_or(0, i32::from_le_bytes);
    ExitReason::from_kind(kind, data.get(20..).unwrap_or_default())
}

/// The pid the host's own signals come from: one no process ever has.
pub(crate) fn host_pid() -> Pid {
    ProcessTable::<crate::process::Process>::unissued_pid()
}

fn unexpected(reply: Reply) -> SupervisorError {
    match reply {
        Reply::Error(error) => error,
        other => SupervisorError::BadSpec(format!("unexpected answer {other:?}")),
    }
}
