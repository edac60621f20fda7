//! A scheduler thread: its loop, and the part of the scheduler only it
//! touches (its queue's owning end, its next slot, what it ran lately),
//! found through a thread-local so that a wake made by a job running on
//! the thread can place the woken job here.

use super::policy::{Backlog, Recent};
use super::{Job, Runner, Scheduler};
use crossbeam_deque::{Stealer, Worker as Queue};
use crossbeam_utils::sync::{Parker, Unparker};
use std::cell::{Cell, RefCell};
use std::ptr;

/// What a scheduler thread takes with it when it starts: its queue's owning
/// end and its parker (made with the scheduler, so that the others' stealers
/// and unparkers exist from the start).
pub(super) struct PendingWorker<J> {
    queue: Queue<J>,
    parker: Parker,
}

impl<J> PendingWorker<J> {
    pub(super) fn new() -> PendingWorker<J> {
        PendingWorker { queue: Queue::new_fifo(), parker: Parker::new() }
    }

    pub(super) fn stealer(&self) -> Stealer<J> {
        self.queue.stealer()
    }

    pub(super) fn unparker(&self) -> Unparker {
        self.parker.unparker().clone()
    }
}

/// The part of a scheduler thread that only it touches.
pub(super) struct Local<J> {
    pub(super) queue: Queue<J>,
    pub(super) next: Option<J>,
    /// The jobs this thread ran last.
    pub(super) recent: Recent,
    /// Since when work has waited in `queue`.
    pub(super) backlog: Backlog,
}

impl<J: Job> Local<J> {
    /// Puts a woken job in the next slot: unless it ran here a moment ago
    /// (still in cache), it starts fetching what it will touch. A job the
    /// slot held goes to the queue; returns whether a parked thread should
    /// come for it.
    pub(super) fn put_next(&mut self, job: J) -> bool {
        if !self.recent.contains(job.key()) {
            job.prefetch();
        }
        match self.next.replace(job) {
            Some(old) => {
                self.queue.push(old);
                true
            }
            None => false,
        }
    }
}

/// Where [`Scheduler::with_local`] put a job.
pub(super) enum Placed<J> {
    /// On this scheduler thread; whether a parked thread should be woken to
    /// share the work.
    Here(bool),
    /// Not on a thread of this scheduler: the job, for the injector.
    Elsewhere(J),
}

/// A running scheduler thread's local part, with the scheduler it belongs
/// to first, so that the thread-local pointer to it can be checked before
/// its job type is known (`repr(C)` keeps the field first).
#[repr(C)]
struct ThreadWorker<J> {
    scheduler: *const (),
    local: RefCell<Local<J>>,
}

thread_local! {
    /// The [`ThreadWorker`] of this thread, type-erased (a thread-local
    /// cannot be generic), or null on threads that are not scheduler
    /// threads. Set for the whole of [`run`], which owns the worker.
    static CURRENT: Cell<*const ()> = const { Cell::new(ptr::null()) };
}

impl<J: Job> Scheduler<J> {
    /// Runs `place` with this thread's local part if this thread is one of
    /// this scheduler's; else gives `job` back as [`Placed::Elsewhere`].
    pub(super) fn with_local(&self, job: J, place: impl FnOnce(&mut Local<J>, J) -> bool) -> Placed<J> {
        let current = CURRENT.with(Cell::get);
        if current.is_null() {
            return Placed::Elsewhere(job);
        }
        // SAFETY: a non-null `CURRENT` points to the live `ThreadWorker` of
        // this thread (`run` owns it and clears the pointer before it goes),
        // whose first field (`repr(C)`) is its scheduler's address, whatever
        // its job type.
        let scheduler = unsafe { *current.cast::<*const ()>() };
        if !ptr::eq(scheduler, (self as *const Self).cast()) {
            return Placed::Elsewhere(job);
        }
        // SAFETY: the worker belongs to this scheduler, whose job type is
        // `J`: it is a `ThreadWorker<J>`.
        let worker = unsafe { &*current.cast::<ThreadWorker<J>>() };
        Placed::Here(place(&mut worker.local.borrow_mut(), job))
    }
}

/// A scheduler thread's life: runs the loop inside the runner's thread
/// set-up until the scheduler shuts down.
pub(super) fn run<J: Job, R: Runner<J>>(runner: &R, index: usize, pending: PendingWorker<J>) {
    let PendingWorker { queue, parker } = pending;
    let scheduler = runner.scheduler();
    let worker = ThreadWorker {
        scheduler: (scheduler as *const Scheduler<J>).cast(),
        local: RefCell::new(Local { queue, next: None, recent: Recent::default(), backlog: Backlog::default() }),
    };
    CURRENT.with(|current| current.set((&worker as *const ThreadWorker<J>).cast()));
    runner.thread(&mut || {
        let mut streak = 0u32;
        let mut tick = 0u32;
        let mut idle = false;
        while !scheduler.is_shutdown() {
            tick = tick.wrapping_add(1);
            let found = {
                let mut local = worker.local.borrow_mut();
                scheduler.find_job(&mut local, index, &mut streak, tick)
            };
            match found {
                Some(job) => {
                    if std::mem::take(&mut idle) {
                        runner.busy();
                    }
                    runner.run(job);
                }
                None => {
                    idle = true;
                    let timeout = runner.idle();
                    scheduler.park(index, &parker, timeout);
                }
            }
        }
        // Jobs left in this thread's queue are dropped here, inside the
        // runner's set-up (what they hold may need it to go); their owner
        // (the node) stops them through its own records.
        let mut local = worker.local.borrow_mut();
        drop(local.next.take());
        while let Some(job) = local.queue.pop() {
            drop(job);
        }
    });
    CURRENT.with(|current| current.set(ptr::null()));
}

impl<J: Job> Scheduler<J> {
    /// Parks this thread until there may be work, or `timeout` has passed
    /// (see [`super::park`]).
    fn park(&self, index: usize, parker: &Parker, timeout: Option<std::time::Duration>) {
        self.sleepers.announce(index);
        if !self.has_stealable_work() && !self.is_shutdown() {
            match timeout {
                Some(timeout) => parker.park_timeout(timeout),
                None => parker.park(),
            }
        }
        self.sleepers.retire(index);
    }
}
