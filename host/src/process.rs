//! A process: one wasm instance in its own store, its mailbox, its run
//! state, and the call in flight.

use crate::call_box::CallBox;
use crate::letter::Letter;
use crate::limits::{LimitExceeded, ProcessLimiter};
use crate::mailbox::{Mailbox, Message, Received};
use crate::module::LoadedModule;
use crate::node::NodeShared;
use crate::pid::Pid;
use crate::reason::ExitReason;
use crate::run_state::RunState;
use crate::wasi::Capabilities;
use std::cell::UnsafeCell;
use std::future::Future;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Wake, Waker};
use wasmtime::{Store, TypedFunc};
use wasmtime_wasi::p1::WasiP1Ctx;

/// What a process is made of, besides its mailbox.
pub(crate) enum Body {
    /// A wasm process and its task.
    Wasm(TaskCell),
    /// A host-side inbox (see [`crate::Inbox`]): messages go to a channel.
    Inbox(crossbeam_channel::Sender<Message>),
}

/// A process's task, owned by whoever holds the process in the `RUNNING`
/// state of its run state (see `run_state.rs`): the scheduler thread that
/// polls it, or a thread that borrowed it while idle
/// ([`RunState::borrow_idle`](crate::run_state::RunState::borrow_idle)).
/// That state already gives one thread at a time the process, with the
/// ordering its transitions make, so the task needs no lock of its own: a
/// lock cost two atomic operations on every scheduling, a tenth of a
/// message hop.
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

/// The state of a wasm process's execution.
pub(crate) enum Task {
    /// Spawned, not yet instantiated (instantiation happens on a scheduler
    /// thread, so a spawn costs its caller little).
    Start(Box<StartSpec>),
    /// Being instantiated (a start function may run). A separate stage from
    /// the call so a waiting process keeps only the call's small future
    /// (~300 bytes), not the instantiation's (~1.2 KiB).
    Instantiate(Pin<Box<dyn Future<Output = Instantiated> + Send>>),
    /// A call into wasm is in flight (the entry, or a handler call).
    Call(CallBox<CallDone>),
    /// A handler-style process between messages: no call, no stack.
    Idle(Box<IdleHandler>),
    /// A handler-style process that hibernated: no instance at all, only its
    /// compacted state (see `hibernate.rs`); the next message rebuilds it.
    Hibernated(Box<Hibernated>),
    /// Exited.
    Finished,
}

/// What a new process runs.
pub(crate) struct StartSpec {
    pub(crate) module: Arc<LoadedModule>,
    pub(crate) entry: Box<str>,
    pub(crate) arg: Box<[u8]>,
    pub(crate) caps: Arc<Capabilities>,
}

/// A handler-style process at rest.
pub(crate) struct IdleHandler {
    store: Store<ProcessState>,
    handler: TypedFunc<(), i32>,
}

impl IdleHandler {
    /// Moves the store and handler out for a call, keeping the allocation:
    /// the call hands it back, so going idle again allocates nothing.
    fn unbox(boxed: Box<IdleHandler>) -> (IdleHandler, SpareIdleBox) {
        let raw = Box::into_raw(boxed);
        // SAFETY: `raw` comes from a live box and is read once; the
        // allocation is then owned as `MaybeUninit<IdleHandler>` (same
        // layout), which never drops the value read out of it.
        let (value, spare) = unsafe { (raw.read(), Box::from_raw(raw.cast::<MaybeUninit<IdleHandler>>())) };
        (value, SpareIdleBox(spare))
    }

    /// Boxes `self`, in `spare` if there is one.
    fn boxed(self, spare: Option<SpareIdleBox>) -> Box<IdleHandler> {
        match spare {
            Some(SpareIdleBox(spare)) => Box::write(spare, self),
            None => Box::new(self),
        }
    }
}

/// The allocation of an [`IdleHandler`] whose contents are in a call.
pub(crate) struct SpareIdleBox(Box<MaybeUninit<IdleHandler>>);

/// A hibernated process: its state out of any store.
pub(crate) struct Hibernated {
    state: ProcessState,
    frozen: crate::hibernate::Frozen,
    fuel_left: u64,
}

/// The end of an instantiation: the store, and what to run in it.
pub(crate) struct Instantiated {
    store: Store<ProcessState>,
    outcome: wasmtime::Result<Started>,
}

/// What a fresh instance runs first.
enum Started {
    /// A new process: its entry function (in `ProcessState::entry`).
    Entry,
    /// A new process spawned on a handler export: it waits for its first
    /// message with no call made.
    NewHandler(TypedFunc<(), i32>),
    /// A hibernated process woken by a message: its handler.
    Handler(TypedFunc<(), i32>),
}

/// The end of a call into wasm.
pub(crate) struct CallDone {
    store: Store<ProcessState>,
    outcome: wasmtime::Result<CallOutcome>,
    /// A handler call's idle box, to go idle in again.
    spare: Option<SpareIdleBox>,
}

enum CallOutcome {
    /// The entry returned; `Some` if the process became handler-style.
    Entry(Option<TypedFunc<(), i32>>),
    /// A handler call returned this value.
    Handler(TypedFunc<(), i32>, i32),
}

/// The data of a process's wasmtime store: what host functions see.
///
/// `repr(C)`, with what `receive`, `msg_read` and `send` touch first: in a
/// ring of many processes the state is cold at every hop, and those fields
/// then take three cache lines (covered by the resume hints' prefetch of
/// the store) instead of six.
#[repr(C)]
pub struct ProcessState {
    /// The message the guest reads with `msg_*`.
    pub(crate) current: Option<Letter>,
    /// The process itself (its node is `process.node`).
    pub(crate) process: Arc<Process>,
    pub(crate) pid: Pid,
    fuel_start: u64,
    /// Where in guest memory (a host address) the last `msg_read` copied
    /// to: a resume hint, never dereferenced.
    pub(crate) last_read_to: usize,
    /// The guest's exported memory in the current store, found on first
    /// use, and where its bytes are.
    pub(crate) memory: crate::abi::KnownMemory,
    /// Messages taken from the shared mailbox and not yet received.
    pub(crate) received: Received,
    /// The `receive` call in flight, if any.
    pub(crate) receive: crate::abi::ReceiveState,
    /// Sequence number of the last receive that waited with a timeout.
    pub(crate) receive_sequence: u64,
    /// Set by `set_handler`: the export called once per message.
    pub(crate) handler: Option<Box<str>>,
    /// Set by `set_handler`: the handler to call changes after this call.
    pub(crate) handler_changed: bool,
    /// Set by `hibernate`: hibernate when the current call returns.
    pub(crate) hibernate: bool,
    /// With the node's `hibernate_after`: the timer armed when the process
    /// went idle, and its sequence number (see `timeout_fired`).
    idle_timer: Option<(u64, u64)>,
    /// The process's instance in the current store.
    pub(crate) instance: Option<wasmtime::Instance>,
    /// The entry function's name and typed handle in the current store
    /// (kept with a recycled store: the next process of the same entry
    /// needs no new handle, whose making touches the engine's type registry).
    /// (Boxed: a hibernated process's state carries the field, empty.)
    pub(crate) entry: Option<Box<EntryFunc>>,
    /// Set by `exit`: the reason the process asked for.
    pub(crate) exit_request: Option<Box<ExitReason>>,
    pub(crate) module: Arc<LoadedModule>,
    pub(crate) caps: Arc<Capabilities>,
    pub(crate) arg: Box<[u8]>,
    pub(crate) limiter: ProcessLimiter,
    /// WASI state, made on the first WASI call (most processes make none).
    pub(crate) wasi: Option<Box<WasiP1Ctx>>,
    /// Table handles and the pending table result (see `table.rs`).
    pub(crate) tables: crate::table::ProcessTables,
}

/// An entry function's name and typed handle in one store.
pub(crate) struct EntryFunc {
    name: Box<str>,
    func: TypedFunc<(), ()>,
}

impl ProcessState {
    /// Fuel used so far by this process.
    pub(crate) fn reductions(&self, fuel_left: u64) -> u64 {
        self.fuel_start.saturating_sub(fuel_left)
    }

    /// Makes `message` the current message (the one `msg_*` read) and
    /// returns its length, `receive`'s result.
    pub(crate) fn take_delivery(&mut self, letter: Letter) -> i32 {
        let len = letter.data().len() as i32;
        self.current = Some(letter);
        len
    }

    /// This process's WASI context, made on first use.
    pub(crate) fn wasi(&mut self) -> &mut WasiP1Ctx {
        let (pid, caps) = (self.pid, &self.caps);
        self.wasi.get_or_insert_with(|| Box::new(caps.build_wasi(pid)))
    }
}

/// A live process, shared by the process table, its waker and its senders.
///
/// `repr(C)`, with what a message's send, wake and receive touch first: in
/// a ring of many processes each hop finds the receiver cold in the cache,
/// and these fields then span three cache lines instead of four or five.
#[repr(C)]
pub struct Process {
    pub(crate) body: Body,
    pub(crate) node: Arc<NodeShared>,
    pub(crate) mailbox: Mailbox,
    /// Its state in its store, as its last `receive` call saw it: where the
    /// call's future finds it (see `abi/message.rs`). Only the thread that
    /// holds the process `RUNNING` reads or writes it.
    pub(crate) receiving: std::sync::atomic::AtomicPtr<ProcessState>,
    /// Base of the dense fiber stack its store keeps (0: none yet).
    stack_base: AtomicUsize,
    /// Fuel used, as of the process's last wait or exit.
    pub(crate) reductions: AtomicU64,
    pub(crate) run_state: RunState,
    /// Set once a signal has asked the process to exit.
    pub(crate) exit_requested: std::sync::atomic::AtomicBool,
    /// Whether exit signals arrive as messages.
    pub(crate) trap_exit: std::sync::atomic::AtomicBool,
    /// Whether the task is `Hibernated` (readable by anyone, unlike the task).
    hibernated: std::sync::atomic::AtomicBool,
    /// Whether, as an idle handler-style process, it is on a scheduler
    /// thread's list of stacks to release.
    pub(crate) stack_trim: crate::scheduler::StackTrim,
    /// Where it will resume when it waits (see `resume_hints.rs`).
    pub(crate) resume_hints: crate::resume_hints::ResumeHints,
    pub(crate) pid: Pid,
    /// Sequence number of the last receive whose timeout fired.
    pub(crate) timeout_fired: AtomicU64,
    /// Links, monitors, names and a pending exit (see `signals.rs`).
    pub(crate) relations: Mutex<crate::signals::Relations>,
    /// Who is told the exit reason: the host, for a process it spawned (set
    /// before the process first runs, so no exit goes unseen).
    exit_waiter: Mutex<Option<crossbeam_channel::Sender<ExitReason>>>,
}

/// What one scheduling of a process came to.
pub(crate) enum RunOutcome {
    /// The process waits or was preempted (its run state says which).
    Pending,
    /// A handler-style process went idle: no call in flight, so its stack
    /// pages can be released (see [`trim_stacks`]).
    IdleHandler,
    /// The process ended.
    Exited(ExitReason),
}

impl Process {
    pub(crate) fn new(pid: Pid, node: Arc<NodeShared>, body: Body) -> Process {
        Process {
            pid,
            run_state: RunState::new_scheduled(),
            mailbox: Mailbox::default(),
            body,
            node,
            reductions: AtomicU64::new(0),
            stack_base: AtomicUsize::new(0),
            receiving: Default::default(),
            resume_hints: Default::default(),
            relations: Mutex::default(),
            timeout_fired: AtomicU64::new(0),
            exit_requested: std::sync::atomic::AtomicBool::new(false),
            trap_exit: std::sync::atomic::AtomicBool::new(false),
            hibernated: std::sync::atomic::AtomicBool::new(false),
            stack_trim: Default::default(),
            exit_waiter: Mutex::new(None),
        }
    }

    /// This process's pid.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Delivers a letter (the caller found this process alive).
    pub(crate) fn deliver(self: &Arc<Self>, letter: Letter) {
        match &self.body {
            Body::Inbox(channel) => {
                let _ = channel.send(letter.into_message());
            }
            Body::Wasm(_) => {
                if self.enqueue(letter) {
                    Wake::wake_by_ref(self);
                }
            }
        }
    }

    /// Queues `letter` in a wasm process's mailbox, counted against the
    /// node's mailbox limit if there is one. Returns whether the caller must
    /// now wake the process; `false` when the letter went beyond the limit
    /// (the process has then been told to exit, and woken).
    pub(crate) fn enqueue(self: &Arc<Self>, letter: Letter) -> bool {
        let Some(limit) = self.node.config.max_mailbox else {
            self.mailbox.push(letter);
            return true;
        };
        let queued = self.mailbox.push_counted(letter);
        if queued > limit {
            // Ends it at its next slice (or at once if it waits).
            self.exceeded_limit(ExitReason::Limit(format!(
                "mailbox: {queued} messages queued exceeds the process limit of {limit}"
            )));
            return false;
        }
        true
    }

    /// Has the exit reason sent to `waiter`. Call it before the process can
    /// first run: an exit before it would go unseen.
    pub(crate) fn set_exit_waiter(&self, waiter: crossbeam_channel::Sender<ExitReason>) {
        *self.exit_waiter.lock().unwrap_or_else(|e| e.into_inner()) = Some(waiter);
    }

    /// Tells the exit waiter, if any, the exit reason.
    pub(crate) fn record_exit(&self, reason: &ExitReason) {
        let waiter = self.exit_waiter.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(waiter) = waiter {
            let _ = waiter.send(reason.clone());
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
            Body::Inbox(_) => None,
        }
    }

    /// Runs the process for about one time slice. Called only by the
    /// scheduler thread that moved it to `RUNNING`.
    pub(crate) fn run(self: &Arc<Self>) -> RunOutcome {
        let Body::Wasm(task) = &self.body else {
            return RunOutcome::Pending;
        };
        // SAFETY: only the scheduler thread that moved the process to
        // `RUNNING` calls `run`, and the reference ends with this call.
        let task = unsafe { task.get() };
        let waker = borrowed_waker(self);
        let mut cx = Context::from_waker(&waker);
        // Handler calls that finish quickly run back to back until they have
        // used a slice of fuel, then the process yields like any other.
        let mut run_start: Option<u64> = None;
        loop {
            match &mut *task {
                Task::Start(_) => {
                    let Task::Start(spec) = std::mem::replace(&mut *task, Task::Finished) else {
                        unreachable!("matched above")
                    };
                    match recycled(self, *spec) {
                        Ok(instantiated) => {
                            if let Some(ended) = self.start(instantiated, task) {
                                return ended;
                            }
                        }
                        Err(spec) => *task = Task::Instantiate(Box::pin(instantiate(self.clone(), spec))),
                    }
                }
                Task::Instantiate(instantiating) => {
                    let polled = instantiating.as_mut().poll(&mut cx);
                    if let Some(base) = crate::stack::take_last_new_stack() {
                        self.stack_base.store(base, Ordering::Relaxed);
                    }
                    let Poll::Ready(instantiated) = polled else {
                        return RunOutcome::Pending;
                    };
                    if let Some(ended) = self.start(instantiated, task) {
                        return ended;
                    }
                }
                Task::Call(call) => {
                    let polled = call.as_mut().poll(&mut cx);
                    if let Some(base) = crate::stack::take_last_new_stack() {
                        self.stack_base.store(base, Ordering::Relaxed);
                    }
                    let done = match polled {
                        Poll::Pending => {
                            self.resume_hints.record_call(call.address());
                            return RunOutcome::Pending;
                        }
                        Poll::Ready(done) => done,
                    };
                    let CallDone { mut store, outcome, spare } = done;
                    let used = store.get_fuel().map_or(0, |left| store.data().reductions(left));
                    self.reductions.store(used, Ordering::Relaxed);
                    let handler = match outcome {
                        Err(error) => {
                            let asked = store.data_mut().exit_request.take().map(|reason| *reason);
                            *task = Task::Finished;
                            crate::recycle::give_back(store, self.stack_base.swap(0, Ordering::Relaxed));
                            return RunOutcome::Exited(classify_error(error, asked));
                        }
                        Ok(CallOutcome::Entry(None)) => None,
                        Ok(CallOutcome::Handler(_, stop)) if stop != 0 => None,
                        Ok(CallOutcome::Entry(Some(handler)) | CallOutcome::Handler(handler, _)) => Some(handler),
                    };
                    let Some(handler) = handler else {
                        *task = Task::Finished;
                        crate::recycle::give_back(store, self.stack_base.swap(0, Ordering::Relaxed));
                        return RunOutcome::Exited(ExitReason::Normal);
                    };
                    store.data_mut().current = None;
                    if std::mem::take(&mut store.data_mut().hibernate) {
                        if let Some(ended) = self.hibernate_into(store, task) {
                            return ended;
                        }
                        continue;
                    }
                    self.arm_idle_timer(store.data_mut());
                    let state: *const ProcessState = store.data();
                    let last_read_to = store.data().last_read_to;
                    let idle = IdleHandler { store, handler }.boxed(spare);
                    self.record_idle_hints(&idle, state, last_read_to);
                    *task = Task::Idle(idle);
                    let first = *run_start.get_or_insert(used);
                    if used.saturating_sub(first) >= self.node.config.reductions {
                        // Handler calls used a slice: let others run first.
                        // A wake while running only marks the process, so
                        // the scheduler re-queues it after this poll.
                        let _ = self.run_state.wake();
                        return RunOutcome::Pending;
                    }
                }
                Task::Idle(idle) => {
                    let state = idle.store.data_mut();
                    let Some(message) = state.received.take_matching(&self.mailbox, &[]) else {
                        if !self.idle_timer_fired(state) {
                            return RunOutcome::IdleHandler;
                        }
                        // Idle for the node's `hibernate_after`.
                        let Task::Idle(idle) = std::mem::replace(&mut *task, Task::Finished) else {
                            unreachable!("matched above")
                        };
                        if let Some(ended) = self.hibernate_into(idle.store, task) {
                            return ended;
                        }
                        continue;
                    };
                    if let Some((reference, _)) = state.idle_timer.take() {
                        self.node.timers.cancel(reference);
                    }
                    state.current = Some(message);
                    let Task::Idle(idle) = std::mem::replace(&mut *task, Task::Finished) else {
                        unreachable!("matched above")
                    };
                    let (IdleHandler { mut store, handler }, spare) = IdleHandler::unbox(idle);
                    *task = Task::Call(CallBox::new(|| async move {
                        let outcome = async {
                            let stop = handler.call_async(&mut store, ()).await?;
                            // `set_handler` in a handler: the next message goes to the new one.
                            let handler = match std::mem::take(&mut store.data_mut().handler_changed) {
                                false => handler,
                                true => current_handler(&mut store)?,
                            };
                            Ok(CallOutcome::Handler(handler, stop))
                        }
                        .await;
                        CallDone { store, outcome, spare: Some(spare) }
                    }));
                }
                Task::Hibernated(hibernated) => {
                    if hibernated.state.received.is_empty() && self.mailbox.is_empty() {
                        return RunOutcome::Pending;
                    }
                    let Task::Hibernated(hibernated) = std::mem::replace(&mut *task, Task::Finished) else {
                        unreachable!("matched above")
                    };
                    self.hibernated.store(false, Ordering::Release);
                    match thaw_into_spare(self, hibernated) {
                        Ok(instantiated) => {
                            if let Some(ended) = self.start(instantiated, task) {
                                return ended;
                            }
                        }
                        Err(hibernated) => {
                            *task = Task::Instantiate(Box::pin(wake_from_hibernation(
                                *hibernated,
                                self.node.config.reductions,
                            )))
                        }
                    }
                }
                Task::Finished => return RunOutcome::Pending,
            }
        }
    }
}

impl Process {
    /// Starts what a new (or woken) instance runs, leaving `task` at it; if
    /// the instantiation failed, the process ends (the outcome says how).
    fn start(&self, instantiated: Instantiated, task: &mut Task) -> Option<RunOutcome> {
        let Instantiated { mut store, outcome } = instantiated;
        match outcome {
            Ok(Started::Entry) => *task = Task::Call(CallBox::new_lasting(|| call_entry(store))),
            Ok(Started::Handler(handler)) => *task = Task::Idle(Box::new(IdleHandler { store, handler })),
            Ok(Started::NewHandler(handler)) => {
                self.arm_idle_timer(store.data_mut());
                *task = Task::Idle(Box::new(IdleHandler { store, handler }));
            }
            Err(error) => {
                let asked = store.data_mut().exit_request.take().map(|reason| *reason);
                *task = Task::Finished;
                drop(store);
                return Some(RunOutcome::Exited(classify_error(error, asked)));
            }
        }
        None
    }

    /// Hibernates the process whose store is `store`, leaving `task`
    /// `Hibernated`; if that fails, the process ends (the outcome says how).
    fn hibernate_into(&self, store: Store<ProcessState>, task: &mut Task) -> Option<RunOutcome> {
        // Its stack goes with the store.
        let stack_base = self.stack_base.swap(0, Ordering::Relaxed);
        match hibernate(store, stack_base) {
            Ok(hibernated) => {
                *task = Task::Hibernated(Box::new(hibernated));
                self.hibernated.store(true, Ordering::Release);
                None
            }
            Err(reason) => {
                *task = Task::Finished;
                Some(RunOutcome::Exited(ExitReason::Trap(format!("hibernate: {reason}"))))
            }
        }
    }

    /// With the node's `hibernate_after` set and a module that can
    /// hibernate: arms the timer that hibernates the process if no message
    /// comes first.
    fn arm_idle_timer(&self, state: &mut ProcessState) {
        let Some(after) = self.node.config.hibernate_after else { return };
        if state.module.hibernation.is_err() {
            return;
        }
        state.receive_sequence += 1;
        let sequence = state.receive_sequence;
        // `None` only when the node is stopping.
        state.idle_timer = self.node.wake_after(self.pid, sequence, after).map(|reference| (reference, sequence));
    }

    /// Whether the idle timer armed by [`Process::arm_idle_timer`] fired.
    fn idle_timer_fired(&self, state: &mut ProcessState) -> bool {
        let fired =
            state.idle_timer.is_some_and(|(_, sequence)| self.timeout_fired.load(Ordering::Acquire) == sequence);
        if fired {
            state.idle_timer = None;
        }
        fired
    }

    /// Holds the process `RUNNING` (no call can start) until
    /// [`Process::end_trim`], unless it is busy (`None`). Held, it answers
    /// with its fiber stack's base and size if it is an idle handler-style
    /// process: between messages it has no call in flight, so its (cached)
    /// stack holds nothing.
    fn begin_trim(&self) -> Option<Option<(usize, usize)>> {
        let (Body::Wasm(task), Some(size)) = (&self.body, self.node.dense_stack_size) else { return None };
        if self.stack_base.load(Ordering::Relaxed) == 0 || !self.run_state.borrow_idle() {
            return None;
        }
        // Read again now that the process is held: it may have exited.
        let base = self.stack_base.load(Ordering::Relaxed);
        // SAFETY: we hold the process `RUNNING` until `end_trim`.
        Some((base != 0 && matches!(unsafe { task.get() }, Task::Idle(_))).then_some((base, size)))
    }

    /// Tells whoever wakes this idle handler-style process where its next
    /// message's call will start (see `resume_hints.rs`): its idle box and
    /// state, the top of its fiber stack (each call starts a fiber there)
    /// and the guest memory it last read a message into.
    fn record_idle_hints(&self, idle: &IdleHandler, state: *const ProcessState, last_read_to: usize) {
        let stack_top = match (self.stack_base.load(Ordering::Relaxed), self.node.dense_stack_size) {
            (base, Some(size)) if base != 0 => base + size,
            _ => 0,
        };
        let idle: *const IdleHandler = idle;
        self.resume_hints.record_idle(idle as usize, state as usize, stack_top, last_read_to);
    }

    /// Lets a process [`Process::begin_trim`] held run again.
    fn end_trim(self: &Arc<Self>) {
        if self.run_state.finish_poll() {
            // A message came meanwhile: its sender saw the process running
            // and left the enqueueing to us.
            self.node.scheduler.schedule_preempted(self.clone());
        }
    }
}

/// Most processes held at once by [`trim_stacks`]: messages to them wait
/// until their chunk's stacks are released.
const TRIM_CHUNK: usize = 1024;

/// Releases the stack pages of those `processes` that are idle
/// handler-style processes (see [`Process::begin_trim`]), with one system
/// call per run of adjacent stacks: fewer calls, and a run that covers a
/// whole 2 MiB-aligned block lets Linux (6.14 and later, `CONFIG_PT_RECLAIM`)
/// free that block's page table, which it does only when one
/// `MADV_DONTNEED` spans it.
pub(crate) fn trim_stacks(mut processes: Vec<Arc<Process>>) {
    // Sorted by stack first, so that each chunk holds neighbours.
    processes.sort_unstable_by_key(|process| process.stack_base.load(Ordering::Relaxed));
    let mut held = Vec::with_capacity(processes.len().min(TRIM_CHUNK));
    let mut stacks = Vec::with_capacity(processes.len().min(TRIM_CHUNK));
    for chunk in processes.chunks(TRIM_CHUNK) {
        for process in chunk {
            let Some(stack) = process.begin_trim() else { continue };
            stacks.extend(stack);
            held.push(process);
        }
        for (base, len) in adjacent_runs(&mut stacks) {
            // SAFETY: every stack in the run belongs to a held idle handler:
            // no fiber runs or is suspended on it, and none can start.
            unsafe { crate::stack::decommit_stack(base, len) };
        }
        stacks.clear();
        for process in held.drain(..) {
            process.stack_trim.mark_released();
            process.end_trim();
        }
    }
}

/// Sorts `(base, len)` ranges and joins those that touch end to start.
fn adjacent_runs(ranges: &mut [(usize, usize)]) -> Vec<(usize, usize)> {
    ranges.sort_unstable_by_key(|&(base, _)| base);
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for &(base, len) in ranges.iter() {
        match runs.last_mut() {
            Some((run_base, run_len)) if *run_base + *run_len == base => *run_len += len,
            _ => runs.push((base, len)),
        }
    }
    runs
}

/// The one way a process is made runnable after an event (a message, a
/// timer, a signal, a fuel yield): see `run_state.rs`. An inbox's run state
/// never goes idle, so waking one does nothing.
impl Wake for Process {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.run_state.wake() {
            self.node.scheduler.schedule_woken(self.clone());
        }
    }
}

/// The waker of a process: its data is the process (`Arc::as_ptr`).
///
/// The four functions' safety: `data` comes from `Arc::as_ptr` of a live
/// `Arc<Process>`; `clone` takes a new strong reference, and `wake` and
/// `drop` give back one that a clone took.
static PROCESS_WAKER: RawWakerVTable = RawWakerVTable::new(
    |data| {
        // SAFETY: see `PROCESS_WAKER`.
        unsafe { Arc::increment_strong_count(data.cast::<Process>()) };
        RawWaker::new(data, &PROCESS_WAKER)
    },
    // SAFETY (this and the two below): see `PROCESS_WAKER`.
    |data| Wake::wake(unsafe { Arc::from_raw(data.cast::<Process>()) }),
    |data| {
        let process = std::mem::ManuallyDrop::new(unsafe { Arc::from_raw(data.cast::<Process>()) });
        Wake::wake_by_ref(&*process);
    },
    |data| drop(unsafe { Arc::from_raw(data.cast::<Process>()) }),
);

/// A waker for `process` that borrows the caller's reference instead of
/// taking one (as `futures::task::waker_ref`): `run` needs a waker on every
/// scheduling, and an owned one cost two atomic reference-count updates.
/// Cloning it takes a real reference, so a clone may outlive `process`'s
/// borrow; the borrowed waker itself is never dropped.
fn borrowed_waker(process: &Arc<Process>) -> std::mem::ManuallyDrop<Waker> {
    let raw = RawWaker::new(Arc::as_ptr(process).cast(), &PROCESS_WAKER);
    // SAFETY: the vtable upholds the `RawWaker` contract (see above); the
    // result is never dropped, so it gives back no reference it did not take.
    std::mem::ManuallyDrop::new(unsafe { Waker::from_raw(raw) })
}

/// The process whose poll `cx` belongs to: every future of a process's
/// call is polled by [`Process::run`] with the process's waker. `None` for
/// any other waker.
pub(crate) fn polled_process<'a>(cx: &Context<'a>) -> Option<&'a Process> {
    let waker = cx.waker();
    if !std::ptr::eq(waker.vtable(), &PROCESS_WAKER) {
        return None;
    }
    // SAFETY: a waker with this vtable holds a live process (see
    // `PROCESS_WAKER`), for at least as long as the context borrows it.
    Some(unsafe { &*waker.data().cast::<Process>() })
}

/// A new process's state, for `spec`.
fn new_state(
    process: &Arc<Process>,
    module: Arc<LoadedModule>,
    caps: Arc<Capabilities>,
    arg: Box<[u8]>,
) -> ProcessState {
    let config = &process.node.config;
    let fuel_start = config.max_fuel.unwrap_or(u64::MAX);
    ProcessState {
        pid: process.pid,
        process: process.clone(),
        module,
        caps,
        arg,
        current: None,
        received: Received::default(),
        receive_sequence: 0,
        receive: Default::default(),
        last_read_to: 0,
        handler: None,
        handler_changed: false,
        hibernate: false,
        idle_timer: None,
        instance: None,
        entry: None,
        exit_request: None,
        memory: Default::default(),
        limiter: ProcessLimiter { max_memory: config.max_memory },
        wasi: None,
        tables: Default::default(),
        fuel_start,
    }
}

/// Starts a new process in a recycled store of its module (see
/// `recycle.rs`), if this thread has one; gives `spec` back if not. No
/// future is made: nothing here waits.
fn recycled(process: &Arc<Process>, spec: StartSpec) -> Result<Instantiated, StartSpec> {
    let Some(spare) = crate::recycle::take(&spec.module) else { return Err(spec) };
    let StartSpec { module, entry, arg, caps } = spec;
    // The module moves into the state, not cloned: its reference count is
    // shared by every scheduler thread.
    let state = new_state(process, module, caps, arg);
    let fuel_start = state.fuel_start;
    let mut store = into_spare(process, spare, state);
    // The same entry as the store's last process: its handle still holds.
    let state = store.data_mut();
    state.entry = state.entry.take().filter(|kept| kept.name == entry);
    let outcome = store.set_fuel(fuel_start).and_then(|()| find_start(&mut store, &entry));
    Ok(Instantiated { store, outcome })
}

/// Puts `state` into a spare store of its module: the handles that belong
/// to the store (instance, memory, typed entry) carry over into `state`,
/// and the process takes over the spare's fiber stack.
fn into_spare(process: &Process, spare: crate::recycle::Spare, mut state: ProcessState) -> Store<ProcessState> {
    let mut store = spare.store;
    process.stack_base.store(spare.stack_base, Ordering::Relaxed);
    let kept = store.data_mut();
    (state.instance, state.memory, state.entry) = (kept.instance, kept.memory, kept.entry.take());
    drop(std::mem::replace(store.data_mut(), state));
    store
}

/// Makes a new process's store and instance, and finds what it starts with.
async fn instantiate(process: Arc<Process>, spec: StartSpec) -> Instantiated {
    let state = new_state(&process, spec.module.clone(), spec.caps, spec.arg);
    let fuel_start = state.fuel_start;
    let (mut store, setup) = new_store(&process.node.engine, state, fuel_start, process.node.config.reductions);
    if let Err(error) = setup {
        return Instantiated { store, outcome: Err(error) };
    }
    let outcome = async {
        let instance = spec.module.pre.instantiate_async(&mut store).await?;
        store.data_mut().instance = Some(instance);
        crate::recycle::remember_pristine(&mut store, &spec.module, &instance);
        find_start(&mut store, &spec.entry)
    }
    .await;
    Instantiated { store, outcome }
}

/// What a new process starts with: export `name`, an entry function (which
/// the store's state then holds, typed) or a handler.
fn find_start(store: &mut Store<ProcessState>, name: &str) -> wasmtime::Result<Started> {
    // A recycled store may hold this entry already (see `recycled`).
    if store.data().entry.is_some() {
        return Ok(Started::Entry);
    }
    if store.data().module.is_handler(name) {
        store.data_mut().handler = Some(name.into());
        return Ok(Started::NewHandler(current_handler(store)?));
    }
    let state = store.data();
    let (module, instance) = (state.module.clone(), state.instance);
    let instance = instance.ok_or_else(|| wasmtime::Error::msg("the process has no instance"))?;
    let entry = module.entry(&mut *store, &instance, name)?;
    store.data_mut().entry = Some(Box::new(EntryFunc { name: name.into(), func: entry }));
    Ok(Started::Entry)
}

/// A store for `state`, with `fuel` left and a fuel yield every
/// `reductions`; the result says whether the fuel settings took.
fn new_store(
    engine: &wasmtime::Engine,
    state: ProcessState,
    fuel: u64,
    reductions: u64,
) -> (Store<ProcessState>, wasmtime::Result<()>) {
    let mut store = Store::new(engine, state);
    // The state itself: it forgets where its memory's bytes are before any
    // growth, then its `limiter` decides (see `abi/guest_memory.rs`).
    store.limiter(|s| s);
    let setup = store.set_fuel(fuel).and_then(|()| store.fuel_async_yield_interval(Some(reductions)));
    (store, setup)
}

/// Hibernates a handler-style process between calls: saves what its
/// instance holds. The store (instance, memory, fiber stack at
/// `stack_base`) goes to this thread's spares, where a later wake or spawn
/// of the module takes it once it is reset (see `recycle.rs`), or is
/// dropped.
fn hibernate(mut store: Store<ProcessState>, stack_base: usize) -> Result<Hibernated, String> {
    let module = store.data().module.clone();
    let plan = module.hibernation.as_ref().as_ref().map_err(Clone::clone)?;
    let instance = store.data().instance.ok_or("the process has no instance")?;
    let frozen = crate::hibernate::freeze(&mut store, &instance, plan, crate::hibernate::Scan::Hibernation)?;
    let fuel_left = store.get_fuel().unwrap_or(0);
    // The process's state leaves the store, which keeps an empty state of
    // the same process (as the store of an exited process does) and its
    // own handles (instance, memory, entry).
    let empty = {
        let state = store.data();
        new_state(&state.process, state.module.clone(), state.caps.clone(), Box::default())
    };
    let mut state = std::mem::replace(store.data_mut(), empty);
    let kept = store.data_mut();
    kept.instance = state.instance.take();
    kept.memory = std::mem::take(&mut state.memory);
    kept.entry = state.entry.take();
    crate::recycle::give_back_frozen(store, stack_base, &frozen);
    Ok(Hibernated { state, frozen, fuel_left })
}

/// Wakes a hibernated process in a spare store of its module (reset to a
/// fresh instance: see `recycle.rs`), if this thread has one; gives the
/// process back if not. Nothing here waits, so no future is made.
fn thaw_into_spare(process: &Process, hibernated: Box<Hibernated>) -> Result<Instantiated, Box<Hibernated>> {
    let Some(spare) = crate::recycle::take(&hibernated.state.module) else { return Err(hibernated) };
    let Hibernated { state, frozen, fuel_left } = *hibernated;
    let mut store = into_spare(process, spare, state);
    let outcome = store.set_fuel(fuel_left).and_then(|()| thaw(&mut store, &frozen));
    Ok(Instantiated { store, outcome })
}

/// Puts a hibernated process's saved instance state (`frozen`) into the
/// fresh instance of `store`, and finds its handler.
fn thaw(store: &mut Store<ProcessState>, frozen: &crate::hibernate::Frozen) -> wasmtime::Result<Started> {
    let module = store.data().module.clone();
    let instance = store.data().instance.ok_or_else(|| wasmtime::Error::msg("the process has no instance"))?;
    let plan = module.hibernation.as_ref().as_ref().map_err(|e| wasmtime::Error::msg(e.clone()))?;
    crate::hibernate::thaw(store, &instance, plan, frozen)
        .map_err(|e| wasmtime::Error::msg(format!("waking from hibernation: {e}")))?;
    Ok(Started::Handler(current_handler(store)?))
}

/// Rebuilds a hibernated process: a fresh instance of its module with its
/// saved state put back, and its handler.
async fn wake_from_hibernation(hibernated: Hibernated, reductions: u64) -> Instantiated {
    let Hibernated { state, frozen, fuel_left } = hibernated;
    let process = state.process.clone();
    let (mut store, setup) = new_store(&process.node.engine, state, fuel_left, reductions);
    if let Err(error) = setup {
        return Instantiated { store, outcome: Err(error) };
    }
    let outcome = async {
        let module = store.data().module.clone();
        let instance = module.pre.instantiate_async(&mut store).await?;
        store.data_mut().instance = Some(instance);
        thaw(&mut store, &frozen)
    }
    .await;
    Instantiated { store, outcome }
}

/// Runs the entry function (from the state, where it goes back
/// afterwards); then finds the handler if the process became handler-style.
async fn call_entry(mut store: Store<ProcessState>) -> CallDone {
    let outcome = async {
        let entry = store.data_mut().entry.take().ok_or_else(|| wasmtime::Error::msg("the process has no entry"))?;
        let called = entry.func.call_async(&mut store, ()).await;
        store.data_mut().entry = Some(entry);
        called?;
        store.data_mut().handler_changed = false;
        match store.data().handler {
            None => Ok(CallOutcome::Entry(None)),
            Some(_) => Ok(CallOutcome::Entry(Some(current_handler(&mut store)?))),
        }
    }
    .await;
    CallDone { store, outcome, spare: None }
}

/// The handler `set_handler` named last, in the process's instance.
fn current_handler(store: &mut Store<ProcessState>) -> wasmtime::Result<TypedFunc<(), i32>> {
    let state = store.data_mut();
    let (module, instance) = (state.module.clone(), state.instance);
    let instance = instance.ok_or_else(|| wasmtime::Error::msg("the process has no instance"))?;
    // Taken out for the lookup and put back: a clone cost an allocation at
    // every wake from hibernation.
    let name = state.handler.take().ok_or_else(|| wasmtime::Error::msg("no handler is set"))?;
    let found = module.handler(&mut *store, &instance, &name);
    store.data_mut().handler = Some(name);
    found
}

/// The exit reason for a call that failed with `error`.
pub(crate) fn classify_error(error: wasmtime::Error, asked: Option<ExitReason>) -> ExitReason {
    if let Some(reason) = asked {
        return reason;
    }
    if let Some(exit) = error.downcast_ref::<wasmtime_wasi::I32Exit>() {
        return match exit.0 {
            0 => ExitReason::Normal,
            status => ExitReason::Custom(format!("exit status {status}").into_bytes()),
        };
    }
    if let Some(limit) = error.downcast_ref::<LimitExceeded>() {
        return ExitReason::Limit(limit.0.clone());
    }
    if let Some(wasmtime::Trap::OutOfFuel) = error.downcast_ref::<wasmtime::Trap>() {
        return ExitReason::Limit("fuel: the process used all the fuel it may use".into());
    }
    let mut text = String::new();
    // The root cause is the trap (or host error) text; the outer layers and
    // the wasm backtrace say where.
    text.push_str(&error.root_cause().to_string());
    if let Some(trace) = error.downcast_ref::<wasmtime::WasmBacktrace>() {
        let trace = trace.to_string();
        if !trace.is_empty() {
            text.push('\n');
            text.push_str(trace.trim_end().trim_start_matches("error while executing at "));
        }
    }
    ExitReason::Trap(text)
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::adjacent_runs;

    #[test]
    fn adjacent_stacks_join_into_one_run_and_gaps_split_runs() {
        // Out of order, as a trim list holds them; 0x4000 is missing.
        let mut stacks = [(0x5000, 0x1000), (0x1000, 0x1000), (0x3000, 0x1000), (0x2000, 0x1000), (0x6000, 0x2000)];
        assert_eq!(adjacent_runs(&mut stacks), vec![(0x1000, 0x3000), (0x5000, 0x3000)]);
        assert_eq!(adjacent_runs(&mut []), vec![]);
        assert_eq!(adjacent_runs(&mut [(0x8000, 0x1000)]), vec![(0x8000, 0x1000)]);
    }
}
