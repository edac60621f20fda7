//! The scheduler: one thread per core, work-stealing run queues, over any
//! kind of job (the process layer's processes; plain jobs in the tests).
//!
//! Each scheduler thread owns two run queues (crossbeam-deque `Worker`s)
//! that the others can steal from: the jobs spawned on it, run newest
//! first, and the jobs preempted, run oldest first (see [`policy`]); plus a
//! one-job "next" slot. A job woken by a send made on a scheduler thread
//! goes to that thread's next slot, so a request and its reply run back to
//! back on one core without a cross-thread wake-up (as tokio's LIFO slot).
//! Jobs made runnable off the scheduler threads (timers, the host API) go
//! to a global injector, and wake a parked thread. A watch thread gives
//! the work waiting behind a thread stuck in one job (its next slot, its
//! queues) to the others.
//!
//! - [`policy`]: which job a thread runs next (the next slot's streak, the
//!   injector's turn, stealing) and when its backlog is shared with a
//!   parked thread;
//! - [`park`]: how a thread out of work parks and is woken without a lost
//!   wake-up (model-checked with loom);
//! - [`worker`]: the thread's loop, and its thread-local part;
//! - [`slot`]: the next slot, which the watch thread may empty;
//! - [`watch`]: the watch thread, for threads stuck in one job.
//!
//! The scheduler knows nothing of processes: a job only tells it where it
//! will resume ([`Job::prefetch`]), and the thread's [`Runner`] runs jobs
//! and uses the time a thread has no work (the process layer releases idle
//! processes' stack pages then).

mod park;
mod policy;
mod slot;
mod watch;
mod worker;

use crossbeam_deque::{Injector, Steal, Stealer};
use crossbeam_utils::CachePadded;
use crossbeam_utils::sync::{Parker, Unparker};
use park::Sleepers;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;
use watch::Doze;
use worker::{PendingWorker, Placed, ThreadShared};

/// A unit of work the scheduler queues and hands to its [`Runner`]: in
/// Warren, a process (`Arc<Process>`). Moving a job moves the right to run
/// it once; the runner puts it back with [`Scheduler::schedule_preempted`]
/// and friends if it must run again.
pub(crate) trait Job: Send + 'static {
    /// The job will run soon on this thread (it was woken into the next
    /// slot) and did not run here lately: start fetching into the cache
    /// what it will touch.
    fn prefetch(&self);

    /// A number that tells this job apart from the others alive (an
    /// address), for the list of jobs a thread ran lately.
    fn key(&self) -> usize;

    /// The job as one pointer, for a slot another thread may take it from
    /// (`Arc::into_raw`).
    fn into_raw(self) -> *mut ();

    /// The job back from [`Job::into_raw`].
    ///
    /// # Safety
    /// `raw` came from `into_raw` of this type, and is turned back once.
    unsafe fn from_raw(raw: *mut ()) -> Self;
}

/// What the scheduler threads of one scheduler do besides finding jobs.
pub(crate) trait Runner<J: Job>: Send + Sync + 'static {
    /// The scheduler whose threads this runner drives.
    fn scheduler(&self) -> &Scheduler<J>;

    /// Runs `job` for about one time slice, on a scheduler thread.
    fn run(&self, job: J);

    /// Runs a new scheduler thread's whole loop, `work`, with whatever
    /// thread-local set-up the jobs need around it.
    fn thread(&self, work: &mut dyn FnMut());

    /// The thread found no work: does the housekeeping of an idle thread
    /// and says how long it may park (`None`: until woken).
    fn idle(&self) -> Option<Duration>;

    /// The thread found work again after it had none.
    fn busy(&self);
}

/// A scheduler's load, as [`Scheduler::load`] saw it.
#[derive(Clone, Debug, Default)]
pub(crate) struct SchedulerLoad {
    /// Jobs waiting in the global injector.
    pub(crate) injector: usize,
    /// Each thread's own queue and time parked.
    pub(crate) threads: Vec<ThreadLoad>,
}

/// One scheduler thread's load.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ThreadLoad {
    /// Jobs waiting in its queue and next slot.
    pub(crate) queued: usize,
    /// Nanoseconds it has spent parked since it started.
    pub(crate) parked_nanos: u64,
}

/// The far ends of one scheduler thread's two queues, which other threads
/// steal from.
struct ThreadStealers<J> {
    /// Its spawned jobs: the far end holds the oldest.
    spawned: Stealer<J>,
    /// Its preempted jobs (and those pushed out of its next slot).
    preempted: Stealer<J>,
}

impl<J> ThreadStealers<J> {
    /// Both, in the order a thief tries them: the oldest spawned jobs are
    /// the roots of the largest subtrees not yet started.
    fn in_steal_order(&self) -> [&Stealer<J>; 2] {
        [&self.spawned, &self.preempted]
    }

    fn is_empty(&self) -> bool {
        self.spawned.is_empty() && self.preempted.is_empty()
    }

    fn len(&self) -> usize {
        self.spawned.len() + self.preempted.len()
    }
}

/// The shared part of a scheduler.
pub(crate) struct Scheduler<J: Job> {
    injector: Injector<J>,
    /// Per thread, the far ends of its two queues.
    stealers: Vec<ThreadStealers<J>>,
    unparkers: Vec<Unparker>,
    /// Per thread, what the other threads may look at or take.
    shared: Box<[CachePadded<ThreadShared<J>>]>,
    sleepers: Sleepers,
    /// Whether the watch thread sleeps until a thread wakes.
    doze: Doze,
    watch_unparker: Unparker,
    shutdown: AtomicBool,
    /// When the scheduler was made: the clock of its threads' park times.
    epoch: std::time::Instant,
    threads: Mutex<Vec<JoinHandle<()>>>,
    pending_workers: Mutex<Vec<PendingWorker<J>>>,
    pending_watch: Mutex<Option<Parker>>,
}

impl<J: Job> Scheduler<J> {
    /// A scheduler with `threads` run queues; call [`Scheduler::start`] to
    /// run them.
    pub(crate) fn new(threads: usize) -> Scheduler<J> {
        let pending: Vec<PendingWorker<J>> = (0..threads.max(1)).map(|_| PendingWorker::new()).collect();
        let watch_parker = Parker::new();
        Scheduler {
            injector: Injector::new(),
            stealers: pending.iter().map(PendingWorker::stealers).collect(),
            unparkers: pending.iter().map(PendingWorker::unparker).collect(),
            shared: pending.iter().map(|_| CachePadded::new(ThreadShared::default())).collect(),
            sleepers: Sleepers::default(),
            doze: Doze::default(),
            watch_unparker: watch_parker.unparker().clone(),
            shutdown: AtomicBool::new(false),
            epoch: std::time::Instant::now(),
            threads: Mutex::new(Vec::new()),
            pending_workers: Mutex::new(pending),
            pending_watch: Mutex::new(Some(watch_parker)),
        }
    }

    /// Starts the scheduler threads; they run jobs with `runner` (whose
    /// scheduler this is) until [`Scheduler::shutdown`].
    pub(crate) fn start<R: Runner<J>>(&self, runner: &Arc<R>) -> std::io::Result<()> {
        debug_assert!(std::ptr::eq(runner.scheduler(), self), "a runner drives its own scheduler");
        let workers = std::mem::take(&mut *self.pending_workers.lock().unwrap_or_else(|e| e.into_inner()));
        let mut threads = self.threads.lock().unwrap_or_else(|e| e.into_inner());
        for (index, pending) in workers.into_iter().enumerate() {
            let runner = runner.clone();
            let handle = std::thread::Builder::new().name(format!("warren-sched-{index}")).spawn(move || {
                let ran =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| worker::run(&*runner, index, pending)));
                if ran.is_err() {
                    // A panic here is a bug of the host, not of a guest
                    // (guest faults end only their process). The thread's
                    // jobs are lost and whoever waits on them would wait
                    // forever: end the program instead of hanging. The
                    // panic hook has already printed the cause.
                    std::process::abort();
                }
            })?;
            threads.push(handle);
        }
        // With one thread there is no other to give work to.
        let watch = self.pending_watch.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(parker) = watch.filter(|_| self.shared.len() > 1) {
            let runner = runner.clone();
            let handle = std::thread::Builder::new().name("warren-watch".into()).spawn(move || {
                let ran = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    watch::run(runner.scheduler(), &parker);
                }));
                if ran.is_err() {
                    // As for a scheduler thread: a bug of the host.
                    std::process::abort();
                }
            })?;
            threads.push(handle);
        }
        Ok(())
    }

    /// Makes a job woken by a message or timer runnable: to the current
    /// thread's next slot if this is one of our threads (prefetching where it
    /// will resume), else the injector.
    pub(crate) fn schedule_woken(&self, job: J) {
        let placed = self.with_local(job, |local, job| local.put_next(&self.shared[local.index].next, job));
        self.settle(placed);
    }

    /// Makes a new job runnable: on a scheduler thread, on top of its
    /// spawned jobs, which it runs newest first (see `policy.rs`) and other
    /// threads steal from oldest first; elsewhere, at the back of the
    /// injector. On a scheduler thread, a parked thread is woken only
    /// once work has waited in this thread's queue for a while (see
    /// [`policy::Backlog`]): this thread runs the job as soon as the spawner
    /// waits or its slice ends, waking a thread costs more than a spawn (a
    /// process that spawns the next and waits, as a chain of spawn_link
    /// does, went from thread to thread at every link), and a process first
    /// run on another core is slower to reach afterwards, its memory in the
    /// other core's caches. A backlog that lasts still spreads the work.
    pub(crate) fn schedule_back(&self, job: J) {
        let placed = self.with_local(job, |local, job| {
            local.spawned.push(job);
            local.backlog.persists()
        });
        self.settle(placed);
    }

    /// Puts a job that used its time slice (or was woken while running) at
    /// the back of this thread's queue. A parked thread is woken only if
    /// other work is queued here (waking one for a lone busy job would just
    /// bounce it between cores at every slice), and only once work has
    /// waited here a while, as for a spawn: a process preempted just after
    /// it sent a message (its partner in the next slot) woke the other
    /// thread, which took one of the pair, and from then on each of their
    /// messages crossed cores. (A job in the next slot counts as other
    /// work.)
    pub(crate) fn schedule_preempted(&self, job: J) {
        let placed = self.with_local(job, |local, job| {
            local.queue.push(job);
            let others_wait = local.queued() + usize::from(local.next_filled) > 1;
            local.backlog.persists() && others_wait
        });
        self.settle(placed);
    }

    /// After a job was placed on this thread (`Placed::Here(wake)`: whether
    /// a parked thread should come to share the work), or not, because this
    /// is not one of our threads (`Placed::Elsewhere(job)`: it goes to the
    /// injector, and a parked thread is woken to take it).
    fn settle(&self, placed: Placed<J>) {
        match placed {
            Placed::Here(false) => {}
            Placed::Here(true) => self.notify_one(),
            Placed::Elsewhere(job) => {
                self.injector.push(job);
                self.notify_one();
            }
        }
    }

    /// Wakes one parked thread, if any sleeps, for the housekeeping a
    /// runner does when a thread finds no job ([`Runner::idle`]): work a
    /// busy thread left for another core.
    pub(crate) fn wake_one_for_housekeeping(&self) {
        self.notify_one();
    }

    /// Wakes one parked thread, if any sleeps. Called after work was made
    /// stealable (see [`park`] for why no wake-up is lost).
    fn notify_one(&self) {
        if let Some(index) = self.sleepers.take_one() {
            self.unparkers[index].unpark();
        }
    }

    /// Whether any queue holds work another thread could take.
    fn has_stealable_work(&self) -> bool {
        !self.injector.is_empty() || self.stealers.iter().any(|stealers| !stealers.is_empty())
    }

    /// Per scheduler thread: the jobs waiting in its queue and next slot,
    /// and the nanoseconds it has spent parked; plus the jobs waiting in
    /// the global injector. A look for introspection: each number may be
    /// stale the moment after.
    pub(crate) fn load(&self) -> SchedulerLoad {
        let threads = self
            .stealers
            .iter()
            .zip(self.shared.iter())
            .map(|(stealers, shared)| {
                // A park under way counts up to now.
                let since = shared.parked_since.load(Ordering::Relaxed);
                let ongoing = if since == 0 { 0 } else { self.nanos_since_epoch().saturating_sub(since - 1) };
                ThreadLoad {
                    queued: stealers.len() + usize::from(shared.next.is_filled()),
                    parked_nanos: (shared.parked_nanos.load(Ordering::Relaxed) + ongoing) as u64,
                }
            })
            .collect();
        SchedulerLoad { injector: self.injector.len(), threads }
    }

    /// Nanoseconds since the scheduler was made (its threads' park times
    /// are counted on this clock).
    pub(super) fn nanos_since_epoch(&self) -> usize {
        usize::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(usize::MAX)
    }

    /// Stops the threads and waits for them.
    pub(crate) fn shutdown(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        for unparker in &self.unparkers {
            unparker.unpark();
        }
        self.watch_unparker.unpark();
        let threads = std::mem::take(&mut *self.threads.lock().unwrap_or_else(|e| e.into_inner()));
        let current = std::thread::current().id();
        for thread in threads {
            // A scheduler thread may drop the last node handle itself.
            if thread.thread().id() != current {
                let _ = thread.join();
            }
        }
    }

    /// Drains every queue (after shutdown).
    pub(crate) fn drain(&self) -> Vec<J> {
        let mut jobs = Vec::new();
        loop {
            match self.injector.steal() {
                Steal::Success(job) => jobs.push(job),
                Steal::Retry => continue,
                Steal::Empty => break,
            }
        }
        jobs.extend(self.shared.iter().filter_map(|shared| shared.next.steal()));
        for stealer in self.stealers.iter().flat_map(ThreadStealers::in_steal_order) {
            loop {
                match stealer.steal() {
                    Steal::Success(job) => jobs.push(job),
                    Steal::Retry => continue,
                    Steal::Empty => break,
                }
            }
        }
        jobs
    }

    /// Whether the scheduler was shut down (its threads stop).
    pub(crate) fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests;
