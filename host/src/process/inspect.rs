//! Looking at a live process from another thread, for the node's
//! introspection (`node/introspect.rs`): its status, memory, mailbox and
//! the host call it waits in.
//!
//! Nothing here adds work to a message's send or receive or to the
//! scheduler: what every thread may read is read as it is (atomics the
//! process keeps anyway), and what only the process's owner may touch (its
//! task: its store, its private message queue) is read by borrowing a
//! *waiting* process for a moment, as the stack trim does
//! (`RunState::borrow_idle`, rule 4 of `run_state.rs`). A message that
//! arrives meanwhile finds the process held and leaves the enqueueing to
//! the borrower, which enqueues it as it lets go. A process that is running
//! or queued is not waited for: what only its owner knows is left unknown
//! (`None`), so looking at a million processes never stops any of them.

use super::capabilities::Capabilities;
use super::letter::Letter;
use super::mailbox::Received;
use super::run_state::Observed;
use super::state::{Module, ProcessState};
use super::task::{IdleHandler, Task};
use super::{Body, Process};
use crate::base::pid::Pid;
use crate::mem::region;
use crate::svc::Member;
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// What a process is doing, as `warren ps` shows it (Erlang's
/// `process_info(Pid, status)`, with Warren's own states).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProcessStatus {
    /// A scheduler thread runs it now.
    Running,
    /// In a run queue, waiting for a scheduler thread.
    Runnable,
    /// Waiting for a message (a `receive`, a call's reply, or a
    /// handler-style process between messages).
    Waiting,
    /// In `sleep`.
    Sleeping,
    /// Hibernated: waiting for a message with no instance at all.
    Hibernated,
    /// Asked to exit, or exiting.
    Exiting,
}

impl ProcessStatus {
    /// Its name, as `warren ps` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessStatus::Running => "running",
            ProcessStatus::Runnable => "runnable",
            ProcessStatus::Waiting => "waiting",
            ProcessStatus::Sleeping => "sleeping",
            ProcessStatus::Hibernated => "hibernated",
            ProcessStatus::Exiting => "exiting",
        }
    }
}

/// What a process is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProcessKind {
    /// A wasm instance.
    Wasm,
    /// A supervisor, run by the host.
    Supervisor,
    /// A host-side inbox (a `Node::inbox`, or a call the host makes).
    Inbox,
}

impl ProcessKind {
    /// Its name, as `warren ps` prints it.
    pub fn as_str(self) -> &'static str {
        match self {
            ProcessKind::Wasm => "wasm",
            ProcessKind::Supervisor => "supervisor",
            ProcessKind::Inbox => "inbox",
        }
    }
}

/// The start of a queued message (see [`Inspection::messages`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessagePreview {
    /// Who sent it.
    pub sender: Pid,
    /// Its tag.
    pub tag: i64,
    /// Its whole length, in bytes.
    pub size: usize,
    /// Its first bytes (at most what was asked for).
    pub head: Vec<u8>,
}

/// What a look at one process found (see the module docs for what may be
/// unknown and why).
#[derive(Clone, Debug)]
pub(crate) struct Inspection {
    pub(crate) kind: ProcessKind,
    pub(crate) status: ProcessStatus,
    pub(crate) module: Option<String>,
    pub(crate) entry: Option<String>,
    pub(crate) linear_memory: usize,
    /// Its fiber stack's size, if its store keeps one.
    pub(crate) stack: usize,
    /// Bytes of a hibernated process's saved image.
    pub(crate) hibernated_image: usize,
    /// Bytes of its linear memory in RAM, where the look could ask (an
    /// idle handler-style process in the dense layout).
    pub(crate) resident_linear_memory: Option<usize>,
    pub(crate) mailbox_len: Option<usize>,
    pub(crate) mailbox_bytes: Option<usize>,
    /// The host function it waits in, if any.
    pub(crate) current_call: Option<&'static str>,
    /// The monitor of the call it waits in (reference, callee): the
    /// callee keeps the call's record, so the caller's relations do not
    /// list it.
    pub(crate) call_monitor: Option<(u64, Pid)>,
    pub(crate) capabilities: Option<Arc<Capabilities>>,
    /// The oldest queued messages, as many as asked for.
    pub(crate) messages: Vec<MessagePreview>,
}

/// A process's links, the monitors it holds (reference, target) and those
/// held on it (reference, watcher).
pub(crate) type RelationsSnapshot = (Vec<Pid>, Vec<(u64, Pid)>, Vec<(u64, Pid)>);

/// How much a look at a process reads of its mailbox.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Depth {
    /// Oldest messages to preview.
    pub(crate) messages: usize,
    /// Bytes of each previewed message to copy.
    pub(crate) message_bytes: usize,
}

/// A mailbox's count as a walk finds it.
#[derive(Default)]
struct MailboxView {
    len: usize,
    bytes: usize,
    messages: Vec<MessagePreview>,
}

impl MailboxView {
    fn see(&mut self, letter: &Letter, depth: Depth) {
        self.len += 1;
        self.bytes += letter.footprint();
        if self.messages.len() < depth.messages {
            let payload = letter.payload();
            let mut head = vec![0; payload.len().min(depth.message_bytes)];
            let copied = payload.copy_to(0, &mut head);
            head.truncate(copied);
            self.messages.push(MessagePreview {
                sender: letter.sender(),
                tag: letter.tag(),
                size: payload.len(),
                head,
            });
        }
    }
}

impl Process {
    /// Looks at the process (see the module docs); `depth` says how much
    /// of its mailbox to preview.
    pub(crate) fn inspect(self: &Arc<Self>, depth: Depth) -> Inspection {
        let kind = match &self.body {
            Body::Wasm(_) => ProcessKind::Wasm,
            Body::Supervisor(_) => ProcessKind::Supervisor,
            Body::Inbox(_) => ProcessKind::Inbox,
        };
        let mut seen = Inspection {
            kind,
            status: ProcessStatus::Waiting,
            module: None,
            entry: None,
            linear_memory: self.linear_memory.load(Ordering::Relaxed),
            stack: match (self.stack_base.load(Ordering::Relaxed), self.runtime.dense_stack_size) {
                (0, _) | (_, None) => 0,
                (_, Some(size)) => size,
            },
            hibernated_image: 0,
            resident_linear_memory: None,
            mailbox_len: None,
            mailbox_bytes: None,
            current_call: None,
            call_monitor: None,
            capabilities: None,
            messages: Vec::new(),
        };
        if let Body::Inbox(channel) = &self.body {
            seen.mailbox_len = Some(channel.len());
            return seen;
        }
        seen.status = match self.run_state.observe() {
            Observed::Running => ProcessStatus::Running,
            Observed::Queued => ProcessStatus::Runnable,
            Observed::Done => ProcessStatus::Exiting,
            Observed::Waiting => ProcessStatus::Waiting,
        };
        if seen.status == ProcessStatus::Waiting && self.run_state.borrow_idle() {
            self.inspect_held(&mut seen, depth);
            if self.run_state.finish_poll() {
                // Woken while held: its waker left the enqueueing to us.
                self.runtime.scheduler.schedule_preempted(self.clone());
            }
        } else if self.is_hibernated() {
            seen.status = ProcessStatus::Hibernated;
        }
        if self.exit_requested.load(Ordering::Relaxed) && seen.status != ProcessStatus::Running {
            seen.status = ProcessStatus::Exiting;
        }
        seen
    }

    /// The part of [`Process::inspect`] that reads the owner's data, while
    /// the caller holds the process borrowed (`RUNNING`).
    fn inspect_held(&self, seen: &mut Inspection, depth: Depth) {
        let mut mailbox = MailboxView::default();
        let see_queue = |received: &Received, mailbox: &mut MailboxView| {
            for letter in received.iter() {
                mailbox.see(letter, depth);
            }
        };
        match &self.body {
            Body::Wasm(task) => {
                // SAFETY: the caller holds the process `RUNNING` (borrowed
                // idle) until this returns.
                let task = unsafe { task.get() };
                match task {
                    Task::Start(spec) => {
                        seen.module = Some(spec.module.name().to_string());
                        seen.entry = Some(spec.entry.to_string());
                        seen.capabilities = Some(spec.caps.clone());
                    }
                    Task::Instantiate(_) | Task::Finished => {}
                    Task::Call(_) => {
                        let state = self.receiving.load(Ordering::Relaxed);
                        if state.is_null() {
                            // A call in flight that never received: `sleep`
                            // is the one other host call a process waits in.
                            seen.current_call = Some("sleep");
                            seen.status = ProcessStatus::Sleeping;
                        } else {
                            // SAFETY: a non-null `receiving` points to the
                            // state in the store of the call in flight
                            // (`receive.rs`; cleared when the state leaves
                            // its store, at hibernation), which nothing
                            // touches while the process is held.
                            let state = unsafe { &*state };
                            describe_state(state, seen);
                            see_queue(&state.received, &mut mailbox);
                            let (call, status) = waiting_in(state);
                            seen.current_call = Some(call);
                            seen.call_monitor = state.receive.call.map(|call| call.monitor());
                            seen.status = status;
                        }
                    }
                    Task::Idle(idle) => {
                        let state = idle.store.data();
                        describe_state(state, seen);
                        see_queue(&state.received, &mut mailbox);
                        seen.current_call = Some("handler (between messages)");
                        seen.resident_linear_memory = self.resident_linear_memory(idle);
                    }
                    Task::Hibernated(hibernated) => {
                        let state = &hibernated.state;
                        describe(
                            &state.module,
                            state.started_on.as_deref(),
                            state.handler.as_deref(),
                            &state.caps,
                            seen,
                        );
                        if let Some(received) = hibernated.state.received() {
                            see_queue(received, &mut mailbox);
                        }
                        seen.hibernated_image = hibernated.frozen.saved_bytes();
                        seen.status = ProcessStatus::Hibernated;
                    }
                }
            }
            Body::Supervisor(body) => {
                seen.capabilities = Some(body.capabilities());
                body.with_received(|received| see_queue(received, &mut mailbox));
                seen.current_call = Some("supervisor loop");
            }
            Body::Inbox(_) => {}
        }
        // SAFETY: the caller holds the process `RUNNING`, as `visit_pushed`
        // requires.
        unsafe { self.mailbox.visit_pushed(|letter| mailbox.see(letter, depth)) };
        seen.mailbox_len = Some(mailbox.len);
        seen.mailbox_bytes = Some(mailbox.bytes);
        seen.messages = mailbox.messages;
    }

    /// Whether a trace watches this process.
    pub(crate) fn is_traced(&self) -> bool {
        self.traced.load(Ordering::Relaxed)
    }

    /// Its links, the monitors it holds (reference, target) and those held
    /// on it (reference, watcher), each sorted.
    pub(crate) fn relations_snapshot(&self) -> RelationsSnapshot {
        let relations = self.relations();
        let Some(attached) = relations.attached() else { return Default::default() };
        let mut links: Vec<Pid> = attached.links().collect();
        let mut monitoring: Vec<(u64, Pid)> = attached.monitoring().collect();
        let mut monitored_by: Vec<(u64, Pid)> = attached.monitored_by().collect();
        links.sort_by_key(|pid| pid.raw());
        monitoring.sort_by_key(|(reference, _)| *reference);
        monitored_by.sort_by_key(|(reference, _)| *reference);
        (links, monitoring, monitored_by)
    }
}

/// The module, entry and capabilities a process's state names.
fn describe_state(state: &ProcessState, seen: &mut Inspection) {
    describe(&state.module, state.started_on.as_deref(), state.handler.as_deref(), &state.caps, seen);
}

/// What [`describe_state`] records, from a state's parts (a running or
/// idle process's state, or a hibernated one's).
fn describe(
    module: &Module,
    started_on: Option<&str>,
    handler: Option<&str>,
    caps: &Arc<Capabilities>,
    seen: &mut Inspection,
) {
    seen.module = Some(module.name().to_string());
    let entry = started_on;
    seen.entry = entry.or(handler).map(str::to_string);
    seen.capabilities = Some(caps.clone());
}

/// The host call a process whose call in flight has received waits in.
fn waiting_in(state: &ProcessState) -> (&'static str, ProcessStatus) {
    use super::receive::Phase;
    match (state.receive.phase, &state.receive.call) {
        (Phase::Done | Phase::Ready(_), _) => ("sleep", ProcessStatus::Sleeping),
        (_, Some(_)) => ("call", ProcessStatus::Waiting),
        (_, None) => ("receive", ProcessStatus::Waiting),
    }
}

impl Process {
    /// Bytes of an idle handler-style process's linear memory that are in
    /// RAM (the kernel's residency of its slot), in the dense layout.
    fn resident_linear_memory(&self, idle: &IdleHandler) -> Option<usize> {
        self.runtime.dense_stack_size?;
        let memory = idle.store.data().memory.handle()?;
        let (base, len) = (memory.data_ptr(&idle.store) as usize, memory.data_size(&idle.store));
        let resident = region::resident_pages(base, len)?;
        Some(resident.iter().filter(|&&page| page & 1 != 0).count() * region::page_size())
    }
}
