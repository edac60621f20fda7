//! The run loop: one scheduling of a process, one step per state of its
//! task (see `task.rs`), until it waits, is preempted, goes idle or ends.

use super::call_box::CallBox;
use super::start::{
    call_entry, call_handler, classify_error, hibernate_store, instantiate, recycled, thaw_into_spare,
    wake_from_hibernation,
};
use super::state::ProcessState;
use super::task::{CallDone, CallOutcome, IdleHandler, Instantiated, Started, Task};
use super::trim;
use super::waker::borrowed_waker;
use super::{Body, Process};
use crate::base::reason::ExitReason;
use crate::mem::stack;
use std::num::NonZeroU64;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use wasmtime::Store;

/// What one scheduling of a process came to.
pub(crate) enum RunOutcome {
    /// The process waits or was preempted (its run state says which).
    Pending,
    /// A handler-style process went idle: no call in flight, so its stack
    /// pages can be released (see `trim.rs`).
    IdleHandler,
    /// The process ended.
    Exited(Arc<ExitReason>),
}

/// A step's result: go on with the task's next state, or return. (Each step
/// has one caller, `run`, and is inlined into it: the split is for the
/// reader, not the machine.)
type Step = ControlFlow<RunOutcome>;

/// Takes the value out of the task's current state (the step was chosen by
/// matching that state), leaving `Finished` meanwhile.
macro_rules! take_state {
    ($task:expr, $variant:path) => {{
        let $variant(value) = std::mem::replace($task, Task::Finished) else {
            unreachable!("the step was chosen by matching this state")
        };
        value
    }};
}

impl Process {
    /// Runs the process for about one time slice. Called only by the
    /// scheduler thread that moved it to `RUNNING`.
    pub(crate) fn run(self: &Arc<Self>) -> RunOutcome {
        let task = match &self.body {
            Body::Wasm(task) => task,
            Body::Supervisor(body) => return self.run_supervisor(body),
            Body::Inbox(_) => return RunOutcome::Pending,
        };
        // SAFETY: only the scheduler thread that moved the process to
        // `RUNNING` calls `run`, and the reference ends with this call.
        let task = unsafe { task.get() };
        let waker = borrowed_waker(self);
        let mut cx = Context::from_waker(&waker);
        // Handler calls that finish quickly run back to back until they have
        // used a slice of fuel, then the process yields like any other:
        // the fuel used when the first of them started.
        let mut slice_start: Option<u64> = None;
        loop {
            let step = match task {
                Task::Start(_) => self.step_start(task),
                Task::Instantiate(_) => self.step_instantiate(task, &mut cx),
                Task::Call(_) => self.step_call(task, &mut cx, &mut slice_start),
                Task::Idle(_) => self.step_idle(task),
                Task::Hibernated(_) => self.step_hibernated(task),
                Task::Finished => return RunOutcome::Pending,
            };
            if let ControlFlow::Break(outcome) = step {
                return outcome;
            }
        }
    }

    /// Spawned: start in a recycled store of the module if this thread has
    /// one (nothing to wait for), else instantiate.
    #[inline(always)]
    fn step_start(self: &Arc<Self>, task: &mut Task) -> Step {
        let spec = take_state!(task, Task::Start);
        match recycled(self, *spec) {
            Ok(instantiated) => self.start(instantiated, task),
            Err(spec) => {
                *task = Task::Instantiate(Box::pin(instantiate(self.clone(), spec)));
                ControlFlow::Continue(())
            }
        }
    }

    /// Instantiating: poll it; once done, start what the instance runs.
    #[inline(always)]
    fn step_instantiate(&self, task: &mut Task, cx: &mut Context<'_>) -> Step {
        let Task::Instantiate(instantiating) = task else { return ControlFlow::Continue(()) };
        let polled = instantiating.as_mut().poll(cx);
        self.note_new_stack();
        match polled {
            Poll::Pending => ControlFlow::Break(RunOutcome::Pending),
            Poll::Ready(instantiated) => self.start(instantiated, task),
        }
    }

    /// A call in flight: poll it; once it returns, the process ends, goes
    /// idle (handler-style) or hibernates.
    #[inline(always)]
    fn step_call(&self, task: &mut Task, cx: &mut Context<'_>, slice_start: &mut Option<u64>) -> Step {
        let Task::Call(call) = task else { return ControlFlow::Continue(()) };
        let polled = call.as_mut().poll(cx);
        self.note_new_stack();
        let done = match polled {
            Poll::Pending => {
                self.resume_hints.record_call(call.address());
                return ControlFlow::Break(RunOutcome::Pending);
            }
            Poll::Ready(done) => done,
        };
        let CallDone { mut store, outcome, spare } = done;
        let used = store.get_fuel().map_or(0, |left| store.data().reductions(left));
        self.reductions.store(used, Ordering::Relaxed);
        let handler = match outcome {
            Err(error) => {
                let asked = store.data_mut().exit_request.take();
                let reason = classify_error(error, asked, store.data());
                return self.finish(task, store, reason);
            }
            Ok(CallOutcome::Entry(None)) => None,
            Ok(CallOutcome::Handler(_, stop)) if stop != 0 => None,
            Ok(CallOutcome::Entry(Some(handler)) | CallOutcome::Handler(handler, _)) => Some(handler),
        };
        let Some(handler) = handler else {
            return self.finish(task, store, Arc::new(ExitReason::Normal));
        };
        store.data_mut().current = None;
        if std::mem::take(&mut store.data_mut().hibernate) {
            return self.hibernate_into(store, task);
        }
        self.arm_idle_timer(store.data_mut());
        let state: *const ProcessState = store.data();
        let last_read_to = store.data().last_read_to;
        let idle = IdleHandler::new(store, handler).boxed(spare);
        self.record_idle_hints(&idle, state, last_read_to);
        *task = Task::Idle(idle);
        let first = *slice_start.get_or_insert(used);
        if used.saturating_sub(first) >= self.runtime.config.reductions {
            // Handler calls used a slice: let others run first. A wake
            // while running only marks the process, so the scheduler
            // re-queues it after this poll.
            let _ = self.run_state.wake();
            return ControlFlow::Break(RunOutcome::Pending);
        }
        ControlFlow::Continue(())
    }

    /// An idle handler-style process: call its handler for the next
    /// message, or hibernate it if its idle timer fired, or stay idle.
    #[inline(always)]
    fn step_idle(&self, task: &mut Task) -> Step {
        let Task::Idle(idle) = task else { return ControlFlow::Continue(()) };
        let state = idle.store.data_mut();
        let taken = state.received.take_next(&self.mailbox);
        if let Some(message) = &taken {
            self.runtime.memory.release(message.footprint());
        }
        let Some(message) = taken else {
            if !self.idle_timer_fired(state) {
                return ControlFlow::Break(RunOutcome::IdleHandler);
            }
            // Idle for the node's `hibernate_after`.
            let IdleHandler { mut store, released_image, .. } = *take_state!(task, Task::Idle);
            trim::rewrite_released_image(&mut store, &released_image);
            return self.hibernate_into(store, task);
        };
        if let Some((reference, _)) = state.idle_timer.take() {
            self.runtime.timers.cancel(reference.get());
        }
        state.current = Some(message);
        let idle = take_state!(task, Task::Idle);
        let (IdleHandler { mut store, handler, released_image }, spare) = IdleHandler::unbox(idle);
        if !released_image.is_empty() {
            trim::rewrite_released_image(&mut store, &released_image);
        }
        *task = Task::Call(CallBox::new(|| call_handler(store, handler, spare)));
        ControlFlow::Continue(())
    }

    /// A hibernated process: a message wakes it in a fresh (or recycled)
    /// instance.
    #[inline(always)]
    fn step_hibernated(&self, task: &mut Task) -> Step {
        let Task::Hibernated(hibernated) = task else { return ControlFlow::Continue(()) };
        if hibernated.state.received().is_none_or(|received| received.is_empty()) && self.mailbox.is_empty() {
            return ControlFlow::Break(RunOutcome::Pending);
        }
        let hibernated = take_state!(task, Task::Hibernated);
        self.hibernated.store(false, Ordering::Release);
        match thaw_into_spare(self, hibernated) {
            Ok(instantiated) => self.start(instantiated, task),
            Err(hibernated) => {
                let reductions = self.runtime.config.reductions;
                *task = Task::Instantiate(Box::pin(wake_from_hibernation(*hibernated, reductions)));
                ControlFlow::Continue(())
            }
        }
    }

    /// Starts what a new (or woken) instance runs, leaving `task` at it; if
    /// the instantiation failed, the process ends (the outcome says how).
    fn start(&self, instantiated: Instantiated, task: &mut Task) -> Step {
        let Instantiated { mut store, outcome } = instantiated;
        match outcome {
            Ok(Started::Entry) => {
                self.started.store(true, Ordering::Release);
                *task = Task::Call(CallBox::new_lasting(|| call_entry(store)));
            }
            Ok(Started::Handler(handler)) => *task = Task::Idle(Box::new(IdleHandler::new(store, handler))),
            Ok(Started::NewHandler(handler)) => {
                self.started.store(true, Ordering::Release);
                self.arm_idle_timer(store.data_mut());
                *task = Task::Idle(Box::new(IdleHandler::new(store, handler)));
            }
            Err(error) => {
                let asked = store.data_mut().exit_request.take();
                let reason = classify_error(error, asked, store.data());
                *task = Task::Finished;
                drop(store);
                return ControlFlow::Break(RunOutcome::Exited(reason));
            }
        }
        ControlFlow::Continue(())
    }

    /// The process's call ended it with `reason`: its store goes to this
    /// thread's spares (see `recycle.rs`), with its fiber stack.
    fn finish(&self, task: &mut Task, store: Store<ProcessState>, reason: Arc<ExitReason>) -> Step {
        *task = Task::Finished;
        super::recycle::give_back(store, self.stack_base.swap(0, Ordering::Relaxed));
        ControlFlow::Break(RunOutcome::Exited(reason))
    }

    /// A poll may have made the store's fiber stack: remember its base (the
    /// store keeps it; see `trim.rs` and `recycle.rs`).
    fn note_new_stack(&self) {
        if let Some(base) = stack::take_last_new_stack() {
            self.stack_base.store(base, Ordering::Relaxed);
        }
    }

    /// Hibernates the process whose store is `store`, leaving `task`
    /// `Hibernated`; if that fails, the process ends (the outcome says how).
    fn hibernate_into(&self, store: Store<ProcessState>, task: &mut Task) -> Step {
        // Its stack goes with the store.
        let stack_base = self.stack_base.swap(0, Ordering::Relaxed);
        // Its state leaves the store: the pointer a receive left must not
        // outlive it (introspection reads it while the process waits), and
        // its memory goes with the store.
        self.receiving.store(std::ptr::null_mut(), Ordering::Relaxed);
        self.linear_memory.store(0, Ordering::Relaxed);
        match hibernate_store(store, stack_base) {
            Ok(hibernated) => {
                *task = Task::Hibernated(Box::new(hibernated));
                self.hibernated.store(true, Ordering::Release);
                ControlFlow::Continue(())
            }
            Err(reason) => {
                *task = Task::Finished;
                let reason = ExitReason::Trap(format!("hibernate: {reason}"));
                ControlFlow::Break(RunOutcome::Exited(Arc::new(reason)))
            }
        }
    }

    /// With the node's `hibernate_after` set and a module that can
    /// hibernate: arms the timer that hibernates the process if no message
    /// comes first.
    fn arm_idle_timer(&self, state: &mut ProcessState) {
        let Some(after) = self.runtime.config.hibernate_after else { return };
        if state.module.hibernation.is_err() {
            return;
        }
        state.receive_sequence += 1;
        let sequence = state.receive_sequence;
        let runtime = &self.runtime;
        // `None` only when the node is stopping.
        state.idle_timer = runtime
            .timers
            .wake_after(&runtime.table, self.pid, sequence, after)
            .and_then(NonZeroU64::new)
            .map(|reference| (reference, sequence));
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

    /// Tells whoever wakes this idle handler-style process where its next
    /// message's call will start (see `resume_hints.rs`): its idle box and
    /// state, the top of its fiber stack (each call starts a fiber there)
    /// and the guest memory it last read a message into.
    fn record_idle_hints(&self, idle: &IdleHandler, state: *const ProcessState, last_read_to: usize) {
        let stack_top = match (self.stack_base.load(Ordering::Relaxed), self.runtime.dense_stack_size) {
            (base, Some(size)) if base != 0 => base + size,
            _ => 0,
        };
        let idle: *const IdleHandler = idle;
        self.resume_hints.record_idle(idle as usize, state as usize, stack_top, last_read_to);
    }
}
