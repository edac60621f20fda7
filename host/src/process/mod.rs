//! The process layer: a process (one wasm instance in its own store, its
//! mailbox, its run state, the call in flight) and the runtime the
//! processes of a node share.
//!
//! | module | holds |
//! | --- | --- |
//! | this file | [`Process`], what the process table, its wakers and its senders share |
//! | [`state`] | [`ProcessState`], the data of the process's store: what host functions see |
//! | [`task`], [`run`], [`start`] | the task a scheduler thread polls, one step per state; making, waking and hibernating instances |
//! | [`run_state`] | the wake-up protocol (model-checked with loom) |
//! | [`mailbox`], [`letter`] | messages: lock-free for senders, selective receive for the owner |
//! | [`receive`] | the `receive` call: its state, its future, its timeout |
//! | [`call`], [`handoff`] | calls: request, reply and the callee's DOWN; a waiting callee run at once, nested in its caller's call |
//! | [`memory`], [`limits`] | the guest's memory as the host remembers it; the process's limits |
//! | [`call_box`], [`resume_hints`] | call futures in reused memory; what a waking process will touch, prefetched |
//! | [`recycle`], [`trim`] | stores of exited processes reused; stack pages of idle processes released |
//! | [`graveyard`] | exited processes' tasks, torn down (their stores recycled) by an idle thread |
//! | [`capabilities`] | what a process may do |
//! | [`supervisor`] | supervisor processes: the host runs them, no wasm instance |
//! | [`runtime`], [`spawn`], [`exit`] | what a node's processes share (configuration, engine, scheduler, services); spawning and ending processes |
//! | [`waker`] | a process as a scheduler job and as a waker |
//! | [`inspect`], [`trace`] | a look at a live process without stopping it; tracing its events (introspection) |

pub(crate) mod call;
pub(crate) mod call_box;
pub(crate) mod capabilities;
pub(crate) mod cost;
pub(crate) mod exit;
pub(crate) mod graveyard;
pub(crate) mod handoff;
pub(crate) mod inspect;
pub(crate) mod letter;
pub(crate) mod limits;
pub(crate) mod mailbox;
pub(crate) mod memory;
pub(crate) mod receive;
pub(crate) mod recycle;
pub(crate) mod resume_hints;
pub(crate) mod run;
pub(crate) mod run_state;
pub(crate) mod runtime;
pub(crate) mod spawn;
pub(crate) mod start;
pub(crate) mod state;
pub(crate) mod supervisor;
pub(crate) mod task;
pub(crate) mod trace;
pub(crate) mod trim;
pub(crate) mod waker;

use crate::base::pid::Pid;
use crate::base::reason::ExitReason;
use crate::svc::Member;
use crate::svc::signals::{Departing, Relations};
use letter::Letter;
use mailbox::{Mailbox, Message};
use resume_hints::ResumeHints;
use run_state::RunState;
use runtime::Runtime;
use state::ProcessState;
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use task::Task;
use trim::StackTrim;

/// Exit reason details longer than this are shared by the EXIT and DOWN
/// messages of an exit, not copied into each (see `Letter::with_reason`).
const SHARE_DETAIL_FROM: usize = 256;

/// `Process::max_mailbox` of a process without a mailbox limit (no mailbox
/// can hold that many messages: it is no limit).
const NO_MAILBOX_LIMIT: usize = usize::MAX;

/// What a process is made of, besides its mailbox.
pub(crate) enum Body {
    /// A wasm process and its task.
    Wasm(TaskCell),
    /// A host-side inbox (the node's `Inbox`): messages go to a channel.
    Inbox(crossbeam_channel::Sender<Message>),
    /// A supervisor, run by the host (see `supervisor.rs`).
    Supervisor(Box<supervisor::SupervisorBody>),
}

/// A process's task, owned by whoever holds the process in the `RUNNING`
/// state of its run state (see `run_state.rs`): the scheduler thread that
/// polls it, or a thread that borrowed it while idle
/// ([`RunState::borrow_idle`]). That state already gives one thread at a
/// time the process, with the ordering its transitions make, so the task
/// needs no lock of its own (a lock would add two atomic operations to every
/// scheduling).
pub(crate) struct TaskCell(UnsafeCell<Task>);

// SAFETY: the task is `Send`, and only the one thread that holds the
// process `RUNNING` touches it (see the type's docs), so sharing the cell
// never gives two threads the task at once.
unsafe impl Sync for TaskCell {}

impl TaskCell {
    /// A cell holding `task`.
    pub(crate) fn new(task: Task) -> TaskCell {
        TaskCell(UnsafeCell::new(task))
    }

    /// The task.
    ///
    /// # Safety
    /// The caller holds the process `RUNNING` (it moved it there and has
    /// not moved it out), or no scheduler thread runs any more (the node
    /// has stopped them); and it lets go of the reference before either
    /// ends.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn get(&self) -> &mut Task {
        // SAFETY: the caller's guarantee makes this the only reference.
        unsafe { &mut *self.0.get() }
    }
}

/// A live process, shared by the process table, its waker and its senders.
///
/// `repr(C)`, with what a message's send, wake and receive touch first: in
/// a ring of many processes each hop finds the receiver cold in the cache,
/// and these fields then span fewer cache lines.
#[repr(C)]
pub(crate) struct Process {
    pub(crate) body: Body,
    pub(crate) runtime: Arc<Runtime>,
    pub(crate) mailbox: Mailbox,
    /// Its state in its store, as its last `receive` call saw it: where the
    /// call's future finds it (see `receive.rs`). Only the thread that
    /// holds the process `RUNNING` reads or writes it.
    pub(crate) receiving: AtomicPtr<ProcessState>,
    /// Base of the dense fiber stack its store keeps (0: none yet).
    pub(crate) stack_base: AtomicUsize,
    /// Fuel used, as of the process's last wait or exit.
    pub(crate) reductions: AtomicU64,
    pub(crate) run_state: RunState,
    /// Set once a signal has asked the process to exit.
    exit_requested: AtomicBool,
    /// Whether exit signals arrive as messages.
    pub(crate) trap_exit: AtomicBool,
    /// Whether the task is `Hibernated` (readable by anyone, unlike the task).
    pub(crate) hibernated: AtomicBool,
    /// Whether a trace watches it (see `trace.rs`): read with one relaxed
    /// load where a message arrives and where it sends.
    pub(crate) traced: AtomicBool,
    /// Whether, as an idle handler-style process, it is on a scheduler
    /// thread's list of stacks to release.
    pub(crate) stack_trim: StackTrim,
    /// Where it will resume when it waits (see `resume_hints.rs`).
    pub(crate) resume_hints: ResumeHints,
    pub(crate) pid: Pid,
    /// Sequence number of the last receive whose timeout fired.
    pub(crate) timeout_fired: AtomicU64,
    /// Links, monitors, names and a pending exit (see `svc/signals.rs`).
    relations: Mutex<Relations>,
    /// Set once its instance is made (module instantiated, start function
    /// run): an exit before it means its module could not start.
    pub(crate) started: AtomicBool,
    /// Who its `init_ack` tells (`TAG_ACK`), once: the supervisor that
    /// waits for it (0: nobody).
    pub(crate) ack_to: AtomicU64,
    /// The reply token of the call it waits on (0: none): a reply is queued
    /// only by whoever swaps it to 0 first, so a call gets one reply at
    /// most, and none once it gave up (see `call.rs`).
    pub(crate) awaiting_reply: AtomicU64,
    /// Most messages its mailbox may hold, `NO_MAILBOX_LIMIT` for none: its
    /// capabilities' limit, kept here for its senders (a plain `usize`: 8
    /// bytes, not an `Option`'s 16). Cold beside the fields above.
    max_mailbox: usize,
    /// Bytes of linear memory its instance has, as its store's limiter last
    /// heard (growths are rare: no message path touches it); 0 while it
    /// has no instance (not started, hibernated).
    pub(crate) linear_memory: AtomicUsize,
    /// When it was spawned, in milliseconds since the Unix epoch.
    pub(crate) spawned_at: u64,
    /// The process that spawned it (a supervisor, for its children): what
    /// `proc_lib` calls its parent. `None` if the host spawned it.
    pub(crate) parent: Option<Pid>,
}

/// Now, in milliseconds since the Unix epoch (0 if the clock is before it).
fn unix_millis() -> u64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
}

/// What the exit waiter of a process hears: its exit reason, and whether
/// its instance was ever made (see [`Process::started`]).
pub(crate) type Exit = (ExitReason, bool);

impl Process {
    pub(crate) fn new(pid: Pid, runtime: Arc<Runtime>, body: Body) -> Process {
        let max_mailbox = runtime.config.max_mailbox.unwrap_or(NO_MAILBOX_LIMIT);
        Process {
            pid,
            run_state: RunState::new_scheduled(),
            mailbox: Mailbox::default(),
            body,
            runtime,
            reductions: AtomicU64::new(0),
            stack_base: AtomicUsize::new(0),
            receiving: AtomicPtr::default(),
            resume_hints: ResumeHints::default(),
            relations: Mutex::default(),
            timeout_fired: AtomicU64::new(0),
            exit_requested: AtomicBool::new(false),
            trap_exit: AtomicBool::new(false),
            hibernated: AtomicBool::new(false),
            stack_trim: StackTrim::default(),
            started: AtomicBool::new(false),
            ack_to: AtomicU64::new(0),
            awaiting_reply: AtomicU64::new(0),
            max_mailbox,
            traced: AtomicBool::new(false),
            linear_memory: AtomicUsize::new(0),
            spawned_at: unix_millis(),
            parent: None,
        }
    }

    /// The same process, with at most `limit` messages queued (its
    /// capabilities' limit; set before anyone can send to it).
    pub(crate) fn with_max_mailbox(mut self, limit: Option<usize>) -> Process {
        self.max_mailbox = limit.unwrap_or(NO_MAILBOX_LIMIT);
        self
    }

    /// The same process, spawned by `parent` (`None`: by the host).
    pub(crate) fn with_parent(mut self, parent: Option<Pid>) -> Process {
        self.parent = parent;
        self
    }

    /// Delivers a letter (the caller found this process alive).
    pub(crate) fn deliver_letter(self: &Arc<Self>, letter: Letter) {
        match &self.body {
            Body::Inbox(channel) => {
                let _ = channel.send(letter.into_message());
            }
            Body::Wasm(_) | Body::Supervisor(_) => {
                if self.enqueue_letter(letter) {
                    self.wake();
                }
            }
        }
    }

    /// Queues `letter` in a wasm process's mailbox, counted against its
    /// mailbox limit if it has one. Returns whether the caller must
    /// now wake the process; `false` when the letter went beyond the limit
    /// (the process has then been told to exit, and woken).
    pub(crate) fn enqueue_letter(self: &Arc<Self>, letter: Letter) -> bool {
        match self.push_letter(letter) {
            None => true,
            Some(overflow) => {
                self.request_exit(overflow, None);
                false
            }
        }
    }

    /// Queues `letter` in a wasm process's mailbox; returns the exit its
    /// mailbox calls for if that took it beyond its limit (the
    /// caller asks for it: it ends the process at its next slice, or at
    /// once if it waits, and like `kill` cannot be trapped).
    fn push_letter(&self, letter: Letter) -> Option<Arc<ExitReason>> {
        // Held by the host until the process takes it (see `HostMemory`).
        self.runtime.memory.charge_letter(letter.footprint());
        if self.traced.load(Ordering::Relaxed) {
            trace::message_in(self, &letter);
        }
        let limit = self.max_mailbox;
        if limit == NO_MAILBOX_LIMIT {
            self.mailbox.push(letter);
            return None;
        }
        let queued = self.mailbox.push_counted(letter);
        let reason = || format!("mailbox: {queued} messages queued exceeds the process limit of {limit}");
        (queued > limit).then(|| Arc::new(ExitReason::Limit(reason())))
    }

    /// The message of an exit signal or a DOWN: `head` and the detail of
    /// `reason`.
    fn signal_letter(from: Pid, tag: i64, head: &[u8], reason: &Arc<ExitReason>) -> Letter {
        let detail = reason.detail();
        // A short detail is copied (one block, no count on the reason); a
        // long one is shared by every message of the exit.
        if detail.len() <= SHARE_DETAIL_FROM {
            Letter::new(from, tag, &[head, detail].concat())
        } else {
            Letter::with_reason(from, tag, head, reason)
        }
    }

    /// Has the exit reason sent to `waiter`. Call it before the process can
    /// first run: an exit before it would go unseen. (Kept with its links:
    /// few processes have one.)
    pub(crate) fn set_exit_waiter(&self, waiter: crossbeam_channel::Sender<Exit>) {
        self.relations().attach().exit_waiter = Some(waiter);
    }

    /// Tells `waiter` (the exit waiter its departure took, if any) the exit
    /// reason, and whether the process started.
    pub(crate) fn record_exit(&self, waiter: Option<crossbeam_channel::Sender<Exit>>, reason: &ExitReason) {
        if let Some(waiter) = waiter {
            let _ = waiter.send((reason.clone(), self.started.load(Ordering::Acquire)));
        }
    }

    /// Whether the process is hibernated (waits with no instance).
    pub(crate) fn is_hibernated(&self) -> bool {
        self.hibernated.load(Ordering::Acquire)
    }

    /// Takes the task out of a finished process (dropped by the caller).
    ///
    /// # Safety
    /// As [`TaskCell::get`]: the caller holds the process `RUNNING`, or no
    /// scheduler thread runs any more.
    pub(crate) unsafe fn take_task(&self) -> Option<Task> {
        match &self.body {
            // SAFETY: the caller's guarantee.
            Body::Wasm(task) => Some(std::mem::replace(unsafe { task.get() }, Task::Finished)),
            Body::Inbox(_) | Body::Supervisor(_) => None,
        }
    }

    /// The exit a signal asked for, if any (taken by the scheduler).
    pub(crate) fn take_pending_exit(&self) -> Option<Arc<ExitReason>> {
        // Checked before every slice: a flag keeps the common case lock-free.
        if !self.exit_requested.load(Ordering::Acquire) {
            return None;
        }
        self.relations().take_pending_exit()
    }
}

impl Member for Process {
    fn pid(&self) -> Pid {
        self.pid
    }

    fn relations(&self) -> MutexGuard<'_, Relations> {
        self.relations.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn traps_exits(&self) -> bool {
        self.trap_exit.load(Ordering::Acquire)
    }

    fn deliver_signal(self: &Arc<Self>, from: Pid, tag: i64, head: &[u8], reason: &Arc<ExitReason>) {
        self.deliver_letter(Self::signal_letter(from, tag, head, reason));
    }

    fn deliver_signal_locked(
        self: &Arc<Self>,
        relations: &mut Relations,
        from: Pid,
        tag: i64,
        head: &[u8],
        reason: &Arc<ExitReason>,
    ) {
        let letter = Self::signal_letter(from, tag, head, reason);
        if matches!(self.body, Body::Inbox(_)) {
            return self.deliver_letter(letter);
        }
        if let Some(overflow) = self.push_letter(letter)
            && relations.request_exit(overflow)
        {
            self.exit_requested.store(true, Ordering::Release);
        }
        self.wake();
    }

    fn enqueue(self: &Arc<Self>, from: Pid, tag: i64, data: &[u8]) -> bool {
        let letter = Letter::new(from, tag, data);
        match &self.body {
            Body::Wasm(_) | Body::Supervisor(_) => self.enqueue_letter(letter),
            // An inbox needs no wake: its channel wakes its reader.
            Body::Inbox(_) => {
                self.deliver_letter(letter);
                false
            }
        }
    }

    fn wake(self: &Arc<Self>) {
        std::task::Wake::wake_by_ref(self);
    }

    fn request_exit(self: &Arc<Self>, reason: Arc<ExitReason>, awaited_by: Option<&Arc<Departing>>) -> bool {
        {
            let mut relations = self.relations();
            let asked = match awaited_by {
                Some(departing) => relations.request_exit_awaited(reason, departing),
                None => relations.request_exit(reason),
            };
            if !asked {
                return false;
            }
            self.exit_requested.store(true, Ordering::Release);
        }
        // Wake it so the scheduler ends it (a running process is marked and
        // ends after its current poll).
        self.wake();
        true
    }

    fn claim_call(&self, token: u64) -> bool {
        self.awaiting_reply.compare_exchange(token, 0, Ordering::AcqRel, Ordering::Relaxed).is_ok()
    }

    fn is_done(&self) -> bool {
        self.run_state.is_done()
    }

    fn timeout_fired(self: &Arc<Self>, sequence: u64) {
        self.timeout_fired.store(sequence, Ordering::Release);
        self.wake();
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::Process;

    #[test]
    fn a_process_with_its_reference_counts_fits_a_256_byte_block() {
        // Every process is one `Arc<Process>`: its counts (16 bytes) and
        // the process. mimalloc's size classes above 256 bytes are 320,
        // 384...: a field that pushes past 240 costs every process 64 bytes.
        assert!(size_of::<Process>() + 16 <= 256, "{} bytes", size_of::<Process>());
    }

    #[test]
    fn a_hibernated_process_keeps_its_state_in_a_192_byte_block() {
        // With the process, its frozen memory and its links, a hibernated
        // process's box is most of what it costs; mimalloc's class past 192
        // bytes is 224.
        let size = size_of::<super::task::Hibernated>();
        assert!(size <= 192, "{size} bytes");
    }
}
