//! A scheduler thread: its loop, the part of the scheduler only it touches
//! (its queue's owning end, what it ran lately), found through a
//! thread-local so that a wake made by a job running on the thread can
//! place the woken job here, and the part the watch thread looks at (its
//! next slot, how many jobs it started).

use super::policy::{Backlog, Overdue, Recent};
use super::slot::NextSlot;
use super::{Job, Runner, Scheduler, ThreadStealers};
use crate::base::sync::{AtomicUsize, Ordering};
use crossbeam_deque::Worker as Queue;
use crossbeam_utils::sync::{Parker, Unparker};
use std::cell::{Cell, RefCell};
use std::ptr;

/// What a scheduler thread takes with it when it starts: its queue's owning
/// end and its parker (made with the scheduler, so that the others' stealers
/// and unparkers exist from the start).
pub(super) struct PendingWorker<J> {
    queue: Queue<J>,
    spawned: Queue<J>,
    parker: Parker,
}

impl<J> PendingWorker<J> {
    pub(super) fn new() -> PendingWorker<J> {
        PendingWorker { queue: Queue::new_fifo(), spawned: Queue::new_lifo(), parker: Parker::new() }
    }

    pub(super) fn stealers(&self) -> ThreadStealers<J> {
        ThreadStealers { spawned: self.spawned.stealer(), preempted: self.queue.stealer() }
    }

    pub(super) fn unparker(&self) -> Unparker {
        self.parker.unparker().clone()
    }
}

/// The part of a scheduler thread that the others may look at or take.
pub(super) struct ThreadShared<J: Job> {
    /// The job that runs after the current one (only the owner fills it).
    pub(super) next: NextSlot<J>,
    /// How many jobs the thread has started (only the owner writes it):
    /// unchanged for long, the thread is stuck in one job.
    pub(super) started: AtomicUsize,
    /// Nanoseconds the thread has spent parked, out of work (only the owner
    /// writes it, around a park: never on the way to a job), for the
    /// scheduler utilization of `warren stats`.
    pub(super) parked_nanos: AtomicUsize,
    /// When the current park began, in nanoseconds since the scheduler's
    /// epoch, plus one (0: not parked): a thread parked all along counts
    /// as idle before it wakes.
    pub(super) parked_since: AtomicUsize,
}

impl<J: Job> Default for ThreadShared<J> {
    fn default() -> Self {
        ThreadShared {
            next: NextSlot::default(),
            started: AtomicUsize::new(0),
            parked_nanos: AtomicUsize::new(0),
            parked_since: AtomicUsize::new(0),
        }
    }
}

/// The part of a scheduler thread that only it touches.
pub(super) struct Local<J> {
    /// The thread's index among the scheduler's.
    pub(super) index: usize,
    /// Jobs preempted, or pushed out of the next slot, oldest first.
    pub(super) queue: Queue<J>,
    /// Jobs spawned on this thread, newest first (see `policy.rs`); other
    /// threads steal the oldest.
    pub(super) spawned: Queue<J>,
    /// Whether this thread left a job in its next slot (the watch thread
    /// may have taken it since).
    pub(super) next_filled: bool,
    /// The jobs this thread ran last.
    pub(super) recent: Recent,
    /// How long `queue` has held jobs without running out.
    pub(super) queue_waits: Overdue,
    /// How long `spawned` has held jobs without running out.
    pub(super) spawned_waits: Overdue,
    /// Since when work has waited in `queue` and `spawned`.
    pub(super) backlog: Backlog,
}

impl<J: Job> Local<J> {
    /// Whether no job waits in this thread's queues (the next slot aside).
    pub(super) fn queues_empty(&self) -> bool {
        self.queue.is_empty() && self.spawned.is_empty()
    }

    /// How many jobs wait in this thread's queues (the next slot aside).
    pub(super) fn queued(&self) -> usize {
        self.queue.len() + self.spawned.len()
    }

    /// Puts a woken job in the next slot (this thread's): unless it ran
    /// here a moment ago (still in cache), it starts fetching what it will
    /// touch. A job the slot held goes to the queue; returns whether a
    /// parked thread should come for it.
    pub(super) fn put_next(&mut self, next: &NextSlot<J>, job: J) -> bool {
        if !self.recent.contains(job.key()) {
            job.prefetch();
        }
        match next.put(job, &mut self.next_filled) {
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
    let PendingWorker { queue, spawned, parker } = pending;
    let scheduler = runner.scheduler();
    let worker = ThreadWorker {
        scheduler: (scheduler as *const Scheduler<J>).cast(),
        local: RefCell::new(Local {
            index,
            queue,
            spawned,
            queue_waits: Overdue::default(),
            spawned_waits: Overdue::default(),
            next_filled: false,
            recent: Recent::default(),
            backlog: Backlog::default(),
        }),
    };
    CURRENT.with(|current| current.set((&worker as *const ThreadWorker<J>).cast()));
    runner.thread(&mut || {
        let mut streak = 0u32;
        let mut tick = 0u32;
        let mut idle = false;
        let mut started = 0usize;
        let shared = &scheduler.shared[index];
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
                    // The only writer: a store, not a read-modify-write.
                    started = started.wrapping_add(1);
                    shared.started.store(started, Ordering::Relaxed);
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
        let local = worker.local.borrow_mut();
        drop(shared.next.steal());
        while let Some(job) = local.queue.pop().or_else(|| local.spawned.pop()) {
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
            let shared = &self.shared[index];
            let since = self.nanos_since_epoch();
            shared.parked_since.store(since + 1, Ordering::Relaxed);
            match timeout {
                Some(timeout) => parker.park_timeout(timeout),
                None => parker.park(),
            }
            // The owner is the only writer: stores, not read-modify-writes.
            let nanos = self.nanos_since_epoch().saturating_sub(since);
            shared
                .parked_nanos
                .store(shared.parked_nanos.load(Ordering::Relaxed).wrapping_add(nanos), Ordering::Relaxed);
            shared.parked_since.store(0, Ordering::Relaxed);
        }
        self.sleepers.retire(index);
        if self.doze.must_wake() {
            self.watch_unparker.unpark();
        }
    }
}
