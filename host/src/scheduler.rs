//! The scheduler: one thread per core, work-stealing run queues.
//!
//! Each scheduler thread owns a FIFO run queue (a crossbeam-deque `Worker`)
//! that the others can steal from, plus a one-process "next" slot. A process
//! woken by a send made on a scheduler thread goes to that thread's next
//! slot, so a request and its reply run back to back on one core without a
//! cross-thread wake-up (as tokio's LIFO slot). The next slot is taken at
//! most [`MAX_NEXT_STREAK`] times in a row while other processes wait in
//! the queue, so two chatty processes cannot starve it. Processes made
//! runnable off the scheduler threads (timers, the host API) go to a global
//! injector.
//!
//! A process spawned on a scheduler thread stays in that thread's queue
//! unless work has waited there for [`SPREAD_AFTER`] (see [`Backlog`]): a
//! burst of spawns is usually followed by brief first runs (a ring, a pool
//! or a supervisor's children starting and waiting for messages), and a
//! process first run on another core left its memory in that core's
//! caches, which made every later message to it slower. A process that
//! used a whole slice is put back the same way: compute-bound work spreads
//! once it has kept a queue busy for [`SPREAD_AFTER`].
//! The cost: while one long host call holds a thread, the processes it
//! spawned wait for that thread (no push or pop happens to notice the
//! backlog), as they would behind a busy second core.
//!
//! Idle threads park. A thread that finds no work announces itself as a
//! sleeper and checks the queues once more before parking; whoever makes
//! work stealable checks the sleeper count afterwards (both with `SeqCst`),
//! so either the sleeper sees the work or the pusher sees the sleeper.
//!
//! Handler-style processes keep their fiber stacks between messages until
//! they have stayed idle a while: a thread releases the stack pages of
//! those it listed when it has had no work for [`TRIM_INTERVAL`], and,
//! while busy, in passes at least that far apart (see `list_idle_handler`),
//! once a process has stayed idle through as many passes as its patience,
//! which grows each time its released stack is soon needed again (see
//! [`StackTrim`]).

use crate::node::NodeShared;
use crate::process::{Process, RunOutcome};
use crossbeam_deque::{Injector, Steal, Stealer, Worker};
use crossbeam_utils::sync::{Parker, Unparker};
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering, fence};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Times in a row a thread may run its next-slot process.
const MAX_NEXT_STREAK: u32 = 3;
/// Every this many runs a thread looks at the global injector first, so work
/// from outside is never starved by local work.
const INJECTOR_INTERVAL: u32 = 61;
/// Idle handler-style processes a thread lists before it releases the
/// stacks of those that stayed idle (it releases every listed one once it
/// has been out of work for [`TRIM_INTERVAL`]).
const TRIM_BATCH: usize = 256;
/// The least time between two trim passes of a thread, so a process must
/// stay idle at least this long to lose its stack while the thread is busy.
/// Without it a pass ran every [`TRIM_BATCH`] listings: in a ring of more
/// than 256 handler-style processes each went idle for less than a round
/// (~0.3 ms) and lost its stack, and every hop then paid for the release
/// and the page faults that brought the stack back (~4 µs a hop instead of
/// ~0.4).
const TRIM_INTERVAL: Duration = Duration::from_millis(10);
/// How long work may wait in a thread's queue before a parked thread is
/// woken to share it. Above the time a thousand processes take to start
/// and wait for a message here (4.4-5.8 ms, mostly page faults on fresh
/// memory), so such a group stays on the core whose caches hold it;
/// compute-bound work spreads after this long.
const SPREAD_AFTER: Duration = Duration::from_millis(10);
/// A thread with a backlog reads the clock at every this many pushes and
/// pops, not at each (a clock read, ~25 ns here, costs more than a push).
const BACKLOG_CLOCK_INTERVAL: u32 = 16;

type Job = Arc<Process>;

/// The shared part of the scheduler.
pub(crate) struct Scheduler {
    injector: Injector<Job>,
    stealers: Vec<Stealer<Job>>,
    unparkers: Vec<Unparker>,
    sleepers: Mutex<Vec<usize>>,
    sleeping: AtomicUsize,
    shutdown: AtomicBool,
    threads: Mutex<Vec<JoinHandle<()>>>,
    pending_workers: Mutex<Vec<(Worker<Job>, Parker)>>,
}

/// The part of a scheduler thread that only it touches.
struct Local {
    scheduler: *const Scheduler,
    queue: Worker<Job>,
    next: Option<Job>,
    /// Handler-style processes gone idle whose stack pages may be released
    /// (each listed once: see [`StackTrim`]).
    idle_handlers: Vec<Job>,
    /// The list's length at which the next trim pass may run.
    trim_at: usize,
    /// When the last trim pass ran (see [`TRIM_INTERVAL`]).
    last_trim: Instant,
    /// The processes this thread ran last.
    recent: Recent,
    /// Since when work has waited in `queue`.
    backlog: Backlog,
}

/// How long a thread's queue has held work without a break: once it has for
/// [`SPREAD_AFTER`], a parked thread is woken to share it. Only this
/// thread's pushes and pops look at it, so the backlog's start is known to
/// within [`BACKLOG_CLOCK_INTERVAL`] of them.
#[derive(Default)]
struct Backlog {
    /// When the queue was first seen holding work, at a clock reading.
    since: Option<Instant>,
    /// Pushes and pops with work left in the queue since it was last empty.
    events: u32,
}

impl Backlog {
    /// After a push or pop that left work in the queue: whether the work
    /// has waited long enough that a parked thread should come and share it
    /// (then the wait counts afresh, so a thread that stays alone with its
    /// backlog asks again every [`SPREAD_AFTER`], not at every push).
    fn persists(&mut self) -> bool {
        self.clock_due() && self.waited_enough(Instant::now())
    }

    /// Counts a push or pop; whether this one reads the clock.
    fn clock_due(&mut self) -> bool {
        let due = self.events.is_multiple_of(BACKLOG_CLOCK_INTERVAL);
        self.events = self.events.wrapping_add(1);
        due
    }

    /// [`Backlog::persists`] at clock reading `now`.
    fn waited_enough(&mut self, now: Instant) -> bool {
        match self.since {
            Some(since) if now.duration_since(since) >= SPREAD_AFTER => {
                self.since = Some(now);
                true
            }
            Some(_) => false,
            None => {
                self.since = Some(now);
                false
            }
        }
    }

    /// The queue is empty: no backlog.
    fn clear(&mut self) {
        self.since = None;
        self.events = 0;
    }
}

/// The last [`Recent::LEN`] processes a thread ran (by address; never
/// dereferenced). What they touched is likely still in this core's caches,
/// so waking one needs no prefetch: a ping-pong pair or a small ring would
/// only pay for the prefetch instructions.
#[derive(Default)]
struct Recent {
    processes: [usize; Recent::LEN],
    next: usize,
}

impl Recent {
    const LEN: usize = 8;

    fn remember(&mut self, job: &Job) {
        self.processes[self.next] = Arc::as_ptr(job) as usize;
        self.next = (self.next + 1) % Self::LEN;
    }

    fn contains(&self, job: &Job) -> bool {
        self.processes.contains(&(Arc::as_ptr(job) as usize))
    }
}

thread_local! {
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

impl Scheduler {
    /// A scheduler with `threads` run queues; call [`Scheduler::start`] to
    /// run them.
    pub(crate) fn new(threads: usize) -> Scheduler {
        let threads = threads.max(1);
        let mut stealers = Vec::new();
        let mut unparkers = Vec::new();
        let mut pending = Vec::new();
        for _ in 0..threads {
            let queue = Worker::new_fifo();
            let parker = Parker::new();
            stealers.push(queue.stealer());
            unparkers.push(parker.unparker().clone());
            pending.push((queue, parker));
        }
        Scheduler {
            injector: Injector::new(),
            stealers,
            unparkers,
            sleepers: Mutex::new(Vec::new()),
            sleeping: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            threads: Mutex::new(Vec::new()),
            pending_workers: Mutex::new(pending),
        }
    }

    /// Starts the scheduler threads; they run until [`Scheduler::shutdown`].
    pub(crate) fn start(&self, node: &Arc<NodeShared>, runtime: tokio::runtime::Handle) -> std::io::Result<()> {
        let workers = std::mem::take(&mut *self.pending_workers.lock().unwrap_or_else(|e| e.into_inner()));
        let mut threads = self.threads.lock().unwrap_or_else(|e| e.into_inner());
        for (index, (queue, parker)) in workers.into_iter().enumerate() {
            let node = node.clone();
            let runtime = runtime.clone();
            let handle = std::thread::Builder::new().name(format!("warren-sched-{index}")).spawn(move || {
                // WASI host functions may use tokio (timers); give them a
                // runtime context.
                let _enter = runtime.enter();
                let ran =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| worker_main(node, index, queue, parker)));
                if ran.is_err() {
                    // A panic here is a bug of the host, not of a guest
                    // (guest faults end only their process). The thread's
                    // processes are lost and whoever waits on them would
                    // wait forever: end the program instead of hanging.
                    // The panic hook has already printed the cause.
                    std::process::abort();
                }
            })?;
            threads.push(handle);
        }
        Ok(())
    }

    /// Makes a process woken by a message or timer runnable: to the current
    /// thread's next slot if this is one of our threads (prefetching where it
    /// will resume), else the injector.
    pub(crate) fn schedule_woken(&self, job: Job) {
        let displaced = LOCAL.with(|local| {
            let mut local = local.borrow_mut();
            match local.as_mut() {
                Some(local) if std::ptr::eq(local.scheduler, self) => {
                    // It runs next on this thread: unless it ran here a
                    // moment ago (still in cache), start fetching what it
                    // will touch (see `resume_hints.rs`).
                    if !local.recent.contains(&job) {
                        job.resume_hints.prefetch();
                    }
                    match local.next.replace(job) {
                        Some(old) => {
                            local.queue.push(old);
                            Ok(true)
                        }
                        None => Ok(false),
                    }
                }
                _ => Err(job),
            }
        });
        self.settle(displaced);
    }

    /// Makes a new process runnable at the back of a queue, where other
    /// threads may steal it. On a scheduler thread, a parked thread is woken
    /// only once work has waited in this thread's queue for
    /// [`SPREAD_AFTER`]: this thread runs the process as soon as the
    /// spawner waits or its slice ends, waking a thread costs more than a
    /// spawn (a process that spawns the next and waits, as a chain of
    /// spawn_link does, went from thread to thread at every link), and a
    /// process first run on another core is slower to reach afterwards (a
    /// ring of 1,000 spawned in a burst ran ~15% slower when half of it had
    /// started on the other core). A backlog that lasts still spreads the
    /// work.
    pub(crate) fn schedule_back(&self, job: Job) {
        self.push_back(job, |local| local.backlog.persists());
    }

    /// Puts a process that used its time slice (or was woken while running)
    /// at the back of this thread's queue. A parked thread is woken only if
    /// there is other work queued here (waking one for a lone busy process
    /// would just bounce it between cores at every slice), and only once
    /// work has waited here for [`SPREAD_AFTER`], as for a spawn: a process
    /// preempted just after it sent a message (its partner in the next
    /// slot) woke the other thread, which took one of the pair, and from
    /// then on each of their messages crossed cores (at small slices, 1% of
    /// a lone ping-pong's round trips took ~7 µs instead of ~0.7).
    /// (A process in the thread's next slot counts as other work.)
    pub(crate) fn schedule_preempted(&self, job: Job) {
        self.push_back(job, |local| {
            let others_wait = local.queue.len() + usize::from(local.next.is_some()) > 1;
            local.backlog.persists() && others_wait
        });
    }

    /// Pushes `job` at the back of this thread's queue and wakes a parked
    /// thread if `wake` says so, after the push; from other threads, the
    /// job goes to the injector and a parked thread is woken.
    fn push_back(&self, job: Job, wake: impl FnOnce(&mut Local) -> bool) {
        let pushed = LOCAL.with(|local| {
            let mut local = local.borrow_mut();
            match local.as_mut() {
                Some(local) if std::ptr::eq(local.scheduler, self) => {
                    local.queue.push(job);
                    Ok(wake(local))
                }
                _ => Err(job),
            }
        });
        self.settle(pushed);
    }

    /// After a job was placed on this thread (`Ok(wake)`: whether a parked
    /// thread should come to share the work), or not, because this is not
    /// one of our threads (`Err(job)`: it goes to the injector, and a
    /// parked thread is woken to take it).
    fn settle(&self, placed: Result<bool, Job>) {
        match placed {
            Ok(false) => {}
            Ok(true) => self.notify_one(),
            Err(job) => {
                self.injector.push(job);
                self.notify_one();
            }
        }
    }

    /// Wakes one parked thread, if any sleeps.
    fn notify_one(&self) {
        fence(Ordering::SeqCst);
        if self.sleeping.load(Ordering::SeqCst) == 0 {
            return;
        }
        let woken = {
            let mut sleepers = self.sleepers.lock().unwrap_or_else(|e| e.into_inner());
            let woken = sleepers.pop();
            if woken.is_some() {
                self.sleeping.fetch_sub(1, Ordering::SeqCst);
            }
            woken
        };
        if let Some(index) = woken {
            self.unparkers[index].unpark();
        }
    }

    fn has_stealable_work(&self) -> bool {
        !self.injector.is_empty() || self.stealers.iter().any(|s| !s.is_empty())
    }

    /// Stops the threads and waits for them.
    pub(crate) fn shutdown(&self) {
        self.shutdown.store(true, Ordering::SeqCst);
        for unparker in &self.unparkers {
            unparker.unpark();
        }
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
    pub(crate) fn drain(&self) -> Vec<Job> {
        let mut jobs = Vec::new();
        loop {
            match self.injector.steal() {
                Steal::Success(job) => jobs.push(job),
                Steal::Retry => continue,
                Steal::Empty => break,
            }
        }
        for stealer in &self.stealers {
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

    fn is_shutdown(&self) -> bool {
        self.shutdown.load(Ordering::Acquire)
    }
}

fn worker_main(node: Arc<NodeShared>, index: usize, queue: Worker<Job>, parker: Parker) {
    let scheduler: *const Scheduler = &node.scheduler;
    LOCAL.with(|local| {
        *local.borrow_mut() = Some(Local {
            scheduler,
            queue,
            next: None,
            idle_handlers: Vec::new(),
            trim_at: TRIM_BATCH,
            last_trim: Instant::now(),
            recent: Recent::default(),
            backlog: Backlog::default(),
        })
    });
    crate::recycle::enable_on_this_thread(node.config.layout);
    let scheduler = &node.scheduler;
    let mut streak = 0u32;
    let mut tick = 0u32;
    // Since when this thread has found no work (`None`: it has work), or
    // since its last trim pass while it had none.
    let mut idle_since: Option<Instant> = None;
    // Trim passes made since the thread last had work.
    let mut idle_passes = 0u32;
    while !scheduler.is_shutdown() {
        tick = tick.wrapping_add(1);
        match find_job(scheduler, index, &mut streak, tick) {
            Some(job) => {
                idle_since = None;
                idle_passes = 0;
                run_job(&node, job)
            }
            None => {
                // The stacks of idle handler-style processes go back once
                // the thread has had nothing to do for `TRIM_INTERVAL`: a
                // pause between two messages would otherwise cost each of
                // them its stack, faulted back in at the next message. A
                // process whose patience has grown (see `StackTrim`) stays
                // listed: the thread passes again every `TRIM_INTERVAL`
                // while it is out of work, and after as many passes as the
                // most patience releases every listed stack (a process busy
                // on another thread may stay on this list).
                let now = Instant::now();
                let idle_for = now.duration_since(*idle_since.get_or_insert(now));
                let timeout = match TRIM_INTERVAL.checked_sub(idle_for) {
                    _ if !has_idle_handlers() => None,
                    Some(left) if !left.is_zero() => Some(left),
                    _ if idle_passes >= u32::from(StackTrim::MAX_PATIENCE) => {
                        trim_all_idle_handlers();
                        None
                    }
                    _ => {
                        idle_since = Some(now);
                        idle_passes += 1;
                        idle_trim_pass(now).then_some(TRIM_INTERVAL)
                    }
                };
                park(scheduler, index, &parker, timeout)
            }
        }
    }
    // Processes left in this thread's queue are dropped by `Node::shutdown`
    // through the process table; release our references now.
    let left = LOCAL.with(|local| local.borrow_mut().take());
    drop(left);
    crate::recycle::disable_on_this_thread();
}

/// The next process this thread should run, if any.
fn find_job(scheduler: &Scheduler, index: usize, streak: &mut u32, tick: u32) -> Option<Job> {
    LOCAL.with(|local| {
        let mut local = local.borrow_mut();
        let local = local.as_mut()?;
        let job = pick_job(local, scheduler, index, streak, tick)?;
        local.recent.remember(&job);
        Some(job)
    })
}

/// [`find_job`]'s choice.
fn pick_job(local: &mut Local, scheduler: &Scheduler, index: usize, streak: &mut u32, tick: u32) -> Option<Job> {
    if let Some(job) = local.next.take() {
        if *streak < MAX_NEXT_STREAK {
            *streak += 1;
            return Some(job);
        }
        // With nothing queued here the streak starves no one (the injector
        // is still looked at on its ticks): queueing the process would only
        // pop it straight back.
        if local.queue.is_empty() && !tick.is_multiple_of(INJECTOR_INTERVAL) {
            return Some(job);
        }
        // Enough back-to-back runs: the next-slot process queues up.
        local.queue.push(job);
    }
    *streak = 0;
    if tick.is_multiple_of(INJECTOR_INTERVAL)
        && let Some(job) = steal_injector(scheduler, &local.queue)
    {
        return Some(job);
    }
    if let Some(job) = local.queue.pop() {
        if local.queue.is_empty() {
            local.backlog.clear();
        } else if local.backlog.persists() {
            scheduler.notify_one();
        }
        return Some(job);
    }
    local.backlog.clear();
    if let Some(job) = steal_injector(scheduler, &local.queue) {
        return Some(job);
    }
    let n = scheduler.stealers.len();
    for offset in 1..n {
        let victim = &scheduler.stealers[(index + offset) % n];
        loop {
            match victim.steal_batch_and_pop(&local.queue) {
                Steal::Success(job) => return Some(job),
                Steal::Retry => continue,
                Steal::Empty => break,
            }
        }
    }
    None
}

fn steal_injector(scheduler: &Scheduler, queue: &Worker<Job>) -> Option<Job> {
    loop {
        match scheduler.injector.steal_batch_and_pop(queue) {
            Steal::Success(job) => return Some(job),
            Steal::Retry => continue,
            Steal::Empty => return None,
        }
    }
}

/// Parks this thread until there may be work, or `timeout` has passed.
fn park(scheduler: &Scheduler, index: usize, parker: &Parker, timeout: Option<Duration>) {
    {
        let mut sleepers = scheduler.sleepers.lock().unwrap_or_else(|e| e.into_inner());
        sleepers.push(index);
        scheduler.sleeping.fetch_add(1, Ordering::SeqCst);
    }
    fence(Ordering::SeqCst);
    if !scheduler.has_stealable_work() && !scheduler.is_shutdown() {
        match timeout {
            Some(timeout) => parker.park_timeout(timeout),
            None => parker.park(),
        }
    }
    // Leave the sleeper list if no one took us off it.
    let mut sleepers = scheduler.sleepers.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(position) = sleepers.iter().position(|&i| i == index) {
        sleepers.swap_remove(position);
        scheduler.sleeping.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs one process for a slice and acts on the outcome.
fn run_job(node: &Arc<NodeShared>, job: Job) {
    if !job.run_state.start_running() {
        return; // exited while queued
    }
    // An exit signal asked it to end: it never runs again.
    if let Some(reason) = job.take_pending_exit() {
        node.process_exited(&job, reason);
        return;
    }
    match job.run() {
        RunOutcome::Pending => {
            if job.run_state.finish_poll() {
                node.scheduler.schedule_preempted(job);
            }
        }
        RunOutcome::IdleHandler => {
            if job.run_state.finish_poll() {
                node.scheduler.schedule_preempted(job);
            } else if job.stack_trim.went_idle() {
                list_idle_handler(job);
            }
        }
        RunOutcome::Exited(reason) => node.process_exited(&job, reason),
    }
}

/// Lists a handler-style process that went idle and was not listed yet;
/// when the list is long enough and the last pass is [`TRIM_INTERVAL`] old,
/// releases the stacks of those that stayed idle since they were listed.
/// The others (they handled a message since) get a second chance: their
/// next message would only fault their stack pages back in.
fn list_idle_handler(job: Job) {
    let stayed_idle = LOCAL.with(|local| {
        let mut local = local.borrow_mut();
        let Some(local) = local.as_mut() else {
            // Not a scheduler thread: no list to be on.
            job.stack_trim.unlist();
            return None;
        };
        local.idle_handlers.push(job);
        if local.idle_handlers.len() < local.trim_at {
            return None;
        }
        // The clock is read once a batch, not at every listing.
        let now = Instant::now();
        if now.duration_since(local.last_trim) < TRIM_INTERVAL {
            local.trim_at = local.idle_handlers.len() + TRIM_BATCH;
            return None;
        }
        Some(local.trim_pass(now))
    });
    if let Some(stayed_idle) = stayed_idle {
        crate::process::trim_stacks(stayed_idle);
    }
}

impl Local {
    /// A trim pass: takes off the list the processes that have stayed idle
    /// through as many passes as their patience (their stacks may go); the
    /// others stay listed.
    fn trim_pass(&mut self, now: Instant) -> Vec<Job> {
        self.last_trim = now;
        let (stayed_idle, busy): (Vec<Job>, Vec<Job>) =
            std::mem::take(&mut self.idle_handlers).into_iter().partition(|job| job.stack_trim.take_for_trim());
        // The next busy pass after as many new listings as a batch.
        self.trim_at = busy.len() + TRIM_BATCH;
        self.idle_handlers = busy;
        stayed_idle
    }
}

/// Whether this thread lists idle handler-style processes.
fn has_idle_handlers() -> bool {
    LOCAL.with(|local| local.borrow().as_ref().is_some_and(|local| !local.idle_handlers.is_empty()))
}

/// Releases the stack pages of every idle handler-style process this thread
/// listed, whatever its patience (the thread has been out of work for
/// [`StackTrim::MAX_PATIENCE`] passes).
fn trim_all_idle_handlers() {
    let listed = LOCAL.with(|local| match local.borrow_mut().as_mut() {
        Some(local) => {
            local.trim_at = TRIM_BATCH;
            std::mem::take(&mut local.idle_handlers)
        }
        None => Vec::new(),
    });
    for process in &listed {
        process.stack_trim.unlist();
    }
    crate::process::trim_stacks(listed);
}

/// A trim pass of a thread that has been out of work for [`TRIM_INTERVAL`]:
/// releases the stack pages of the idle handler-style processes it listed
/// whose patience has run out. Returns whether some stay listed: the
/// thread then comes back for another pass after [`TRIM_INTERVAL`].
fn idle_trim_pass(now: Instant) -> bool {
    let (stayed_idle, left) = LOCAL.with(|local| match local.borrow_mut().as_mut() {
        Some(local) => {
            let stayed_idle = local.trim_pass(now);
            (stayed_idle, !local.idle_handlers.is_empty())
        }
        None => (Vec::new(), false),
    });
    crate::process::trim_stacks(stayed_idle);
    left
}

/// Whether an idle handler-style process is on a thread's trim list,
/// whether it handled a message since it was listed, and how many passes it
/// must stay idle before its stack goes. A process is listed once, however
/// many messages it handles: listing it at every message cost a system call
/// per message (releasing a stack that had just been released).
///
/// The patience adapts, as Linux's page reclaim does with pages that fault
/// back soon after eviction: a process starts at one pass, and each time
/// its stack was released and then needed again for a message, its patience
/// doubles (up to [`StackTrim::MAX_PATIENCE`] passes). Without it, a
/// process woken a little less often than a pass lost its stack at every
/// message, and paying for that slowed everything enough that other
/// processes were idle longer too: a ring of 10,000 handler-style processes
/// settled at ~5 µs a hop, one page fault each (now ~1.2-2 µs, and no
/// faults once its processes have started).
#[derive(Default)]
pub(crate) struct StackTrim {
    /// [`StackTrim::UNLISTED`], [`StackTrim::LISTED`] or
    /// [`StackTrim::LISTED_AND_USED`], with [`StackTrim::RELEASED`] while
    /// its stack is released and it has handled no message since.
    state: AtomicU8,
    /// Passes it has stayed idle through on its list (only the listing
    /// thread reads or writes it).
    idle_passes: AtomicU8,
    /// Passes it must stay idle through before its stack goes, less one
    /// (0: one pass).
    extra_patience: AtomicU8,
}

impl StackTrim {
    const UNLISTED: u8 = 0;
    const LISTED: u8 = 1;
    const LISTED_AND_USED: u8 = 2;
    /// A flag on top of the list state: released, not used since.
    const RELEASED: u8 = 4;
    /// The most passes a process must stay idle before its stack goes.
    const MAX_PATIENCE: u8 = 64;

    /// The process went idle: whether to list it (it is not listed yet).
    /// (A compare-and-swap: the thread whose list holds the process may
    /// unlist it meanwhile, and a process marked used but on no list would
    /// never be listed again.)
    fn went_idle(&self) -> bool {
        let mut current = self.state.load(Ordering::Relaxed);
        if current == Self::LISTED_AND_USED {
            // The common case, a busy handler: nothing to write.
            return false;
        }
        loop {
            let (next, list) = match current & !Self::RELEASED {
                Self::UNLISTED => (Self::LISTED, true),
                _ => (Self::LISTED_AND_USED, false),
            };
            match self.state.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => {
                    if current & Self::RELEASED != 0 {
                        // Its released stack was needed again.
                        self.grow_patience();
                    }
                    if list {
                        self.idle_passes.store(0, Ordering::Relaxed);
                    }
                    return list;
                }
                Err(actual) => current = actual,
            }
        }
    }

    /// Doubles the passes the process must stay idle, up to the most.
    fn grow_patience(&self) {
        let patience = self.patience();
        let doubled = patience.saturating_mul(2).min(Self::MAX_PATIENCE);
        self.extra_patience.store(doubled - 1, Ordering::Relaxed);
    }

    /// Passes the process must stay idle through before its stack goes.
    fn patience(&self) -> u8 {
        self.extra_patience.load(Ordering::Relaxed).saturating_add(1)
    }

    /// At a trim pass: whether the process has now stayed idle through as
    /// many passes as its patience (it is then unlisted, and its stack may
    /// be released); if not, it stays listed, as not used since.
    fn take_for_trim(&self) -> bool {
        let used = self.state.swap(Self::LISTED, Ordering::Relaxed) != Self::LISTED;
        let idle_passes = match used {
            true => 0,
            false => self.idle_passes.load(Ordering::Relaxed).saturating_add(1),
        };
        if idle_passes < self.patience() {
            self.idle_passes.store(idle_passes, Ordering::Relaxed);
            return false;
        }
        // Unless a message made it used meanwhile (it then stays listed).
        self.state.compare_exchange(Self::LISTED, Self::UNLISTED, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    }

    /// Records that the process's stack was released: if it handles a
    /// message again, its patience grows.
    pub(crate) fn mark_released(&self) {
        self.state.fetch_or(Self::RELEASED, Ordering::Relaxed);
    }

    /// Takes the process off the list whatever its use.
    fn unlist(&self) {
        self.state.store(Self::UNLISTED, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::{BACKLOG_CLOCK_INTERVAL, Backlog, SPREAD_AFTER, StackTrim};
    use std::time::{Duration, Instant};

    #[test]
    fn a_backlog_asks_for_help_once_it_has_lasted_and_then_every_interval() {
        let mut backlog = Backlog::default();
        let start = Instant::now();
        assert!(!backlog.waited_enough(start), "a new backlog starts the wait");
        assert!(!backlog.waited_enough(start + SPREAD_AFTER - Duration::from_micros(1)));
        assert!(backlog.waited_enough(start + SPREAD_AFTER), "waited long enough");
        assert!(!backlog.waited_enough(start + SPREAD_AFTER + Duration::from_micros(1)), "the wait starts afresh");
        assert!(backlog.waited_enough(start + SPREAD_AFTER * 2));
        backlog.clear();
        assert!(!backlog.waited_enough(start + SPREAD_AFTER * 10), "an emptied queue ends the backlog");
    }

    #[test]
    fn a_backlog_reads_the_clock_at_its_first_event_and_then_every_interval() {
        let mut backlog = Backlog::default();
        let due: Vec<bool> = (0..BACKLOG_CLOCK_INTERVAL * 2 + 1).map(|_| backlog.clock_due()).collect();
        let expected: Vec<bool> =
            (0..BACKLOG_CLOCK_INTERVAL * 2 + 1).map(|i| i % BACKLOG_CLOCK_INTERVAL == 0).collect();
        assert_eq!(due, expected);
        backlog.clear();
        assert!(backlog.clock_due(), "a new backlog reads the clock at once");
    }

    #[test]
    fn an_idle_handler_is_listed_once_however_many_messages_it_handles() {
        let trim = StackTrim::default();
        assert!(trim.went_idle(), "first idle: listed");
        assert!(!trim.went_idle(), "already listed");
        assert!(!trim.went_idle(), "already listed");
    }

    #[test]
    fn a_listed_handler_that_handled_a_message_since_gets_a_second_chance() {
        let trim = StackTrim::default();
        assert!(trim.went_idle());
        // Idle since listed: its stack goes.
        assert!(trim.take_for_trim());
        assert!(trim.went_idle(), "unlisted at the pass: listed again");
        assert!(!trim.went_idle(), "a message since it was listed");
        assert!(!trim.take_for_trim(), "used since listed: kept for the next pass");
        assert!(trim.take_for_trim(), "idle through a whole pass");
    }

    /// Passes `trim` stays listed through, idle, before its stack goes.
    fn passes_until_released(trim: &StackTrim) -> u32 {
        assert!(trim.went_idle(), "listed");
        let mut passes = 1;
        while !trim.take_for_trim() {
            passes += 1;
            assert!(passes <= 1000, "never released");
        }
        trim.mark_released();
        passes
    }

    #[test]
    fn a_handler_whose_released_stack_was_needed_again_waits_twice_as_many_passes() {
        let trim = StackTrim::default();
        assert_eq!(passes_until_released(&trim), 1, "a new process waits one pass");
        // Its next message found the stack released: patience doubles, and
        // again each time, up to the most.
        let mut expected = vec![2, 4, 8, 16, 32, 64];
        expected.extend([u32::from(StackTrim::MAX_PATIENCE); 3]);
        let waited: Vec<u32> = expected.iter().map(|_| passes_until_released(&trim)).collect();
        assert_eq!(waited, expected);
    }

    #[test]
    fn a_message_during_the_wait_starts_the_count_again() {
        let trim = StackTrim::default();
        assert_eq!(passes_until_released(&trim), 1);
        assert!(trim.went_idle(), "listed again; patience now 2");
        assert!(!trim.take_for_trim(), "one idle pass of two");
        assert!(!trim.went_idle(), "a message: used");
        assert!(!trim.take_for_trim(), "used since the last pass");
        assert!(!trim.take_for_trim(), "one idle pass of two");
        assert!(trim.take_for_trim(), "two idle passes");
    }

    #[test]
    fn a_stack_released_without_a_message_after_keeps_the_patience() {
        let trim = StackTrim::default();
        assert!(trim.went_idle());
        assert!(trim.take_for_trim());
        // Released by the pass but not marked (its trim was skipped, say):
        // the next message does not count as a stack needed again.
        assert!(trim.went_idle());
        assert!(trim.take_for_trim(), "still one pass");
    }

    #[test]
    fn unlisting_makes_the_next_idle_list_it_again() {
        let trim = StackTrim::default();
        assert!(trim.went_idle());
        assert!(!trim.went_idle());
        trim.unlist();
        assert!(trim.went_idle());
    }
}
