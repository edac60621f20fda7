//! Which job a scheduler thread runs next, and when it shares its backlog.
//!
//! - The next slot first: a woken job runs right after the job that woke it
//!   (a request and its reply back to back), at most [`MAX_NEXT_STREAK`]
//!   times in a row while others wait in the queue, so two chatty jobs
//!   cannot starve it.
//! - Every [`INJECTOR_INTERVAL`] runs the global injector first, so work
//!   from outside is never starved by local work.
//! - Then the thread's own queues: the jobs spawned here, newest first,
//!   then the jobs preempted (or pushed out of the next slot), oldest
//!   first. Either queue's oldest job goes first once that queue has not
//!   run out for [`OLDEST_AFTER`], so neither a stream of spawns nor a
//!   deep tree starves older work. Then the injector, then the other
//!   threads' queues (stealing half of one, their oldest spawned jobs
//!   first). Another thread's next slot is left to it, unless it is stuck
//!   (see [`watch`](super::watch)).
//!
//! Newest spawned first, as in a work-stealing fork-join pool, so a tree of
//! processes (each spawns children, then waits for their answers) is
//! walked depth first: a process's children run, answer and exit while
//! their parent's store is still warm, and few processes of the tree are
//! alive at once, each of them holding a store. Oldest first, the tree was
//! walked breadth first: skynet's 111,111 inner processes were mostly alive
//! at once, and most of its time went to making, resetting and tearing down
//! their stores. Other threads steal the oldest spawned jobs, the roots of
//! the largest untouched subtrees.
//!
//! A job spawned or preempted on a thread stays in that thread's queue
//! unless work has waited there for [`SPREAD_AFTER`] ([`Backlog`]): a
//! burst of spawns is usually followed by brief first runs (a ring, a pool
//! or a supervisor's children starting and waiting for messages), and a
//! process first run on another core left its memory in that core's
//! caches, which made every later message to it slower. Compute-bound work
//! spreads once it has kept a queue busy for [`SPREAD_AFTER`].
//! While one job holds a thread for long (no push or pop happens to notice
//! the backlog), the [watch](super::watch) thread wakes a parked thread
//! for its work.

use super::worker::Local;
use super::{Job, Scheduler};
use crossbeam_deque::{Steal, Worker as Queue};
use std::time::{Duration, Instant};

/// Times in a row a thread may run its next-slot job while others wait.
pub(super) const MAX_NEXT_STREAK: u32 = 3;
/// Every this many runs a thread looks at the global injector first.
pub(super) const INJECTOR_INTERVAL: u32 = 61;
/// Once one of a thread's queues has not run out for this long, its oldest
/// job runs next, and again after each such stretch: how long a stream of
/// newer work can keep an older job waiting. Long enough that a tree
/// walked depth first stays so (each such turn for the spawned jobs starts
/// another subtree while the current one waits), and that a process
/// preempted while it spawns waits, as it did in one FIFO queue, for the
/// children it spawned (run first, it spawned faster than they ran, and
/// the waiting ones grew without bound).
pub(super) const OLDEST_AFTER: Duration = Duration::from_millis(10);
/// A thread looks at the clock for [`OLDEST_AFTER`] every this many runs.
pub(super) const OVERDUE_CLOCK_INTERVAL: u32 = 64;
/// How long work may wait in a thread's queue before a parked thread is
/// woken to share it: above the time a group of a thousand processes takes
/// to start and wait for a message (mostly page faults on fresh memory), so
/// such a group stays on the core whose caches hold it.
pub(super) const SPREAD_AFTER: Duration = Duration::from_millis(10);
/// A thread with a backlog reads the clock at every this many pushes and
/// pops, not at each (a clock read costs more than a push).
pub(super) const BACKLOG_CLOCK_INTERVAL: u32 = 16;

impl<J: Job> Scheduler<J> {
    /// The next job this thread should run, if any (`streak`: next-slot
    /// runs in a row; `tick`: runs of this thread so far).
    pub(super) fn find_job(&self, local: &mut Local<J>, index: usize, streak: &mut u32, tick: u32) -> Option<J> {
        let job = self.pick_job(local, index, streak, tick)?;
        local.recent.remember(job.key());
        Some(job)
    }

    fn pick_job(&self, local: &mut Local<J>, index: usize, streak: &mut u32, tick: u32) -> Option<J> {
        if let Some(job) = self.shared[index].next.take(&mut local.next_filled) {
            if *streak < MAX_NEXT_STREAK {
                *streak += 1;
                return Some(job);
            }
            // With nothing queued here the streak starves no one (the
            // injector is still looked at on its ticks): queueing the job
            // would only pop it straight back.
            if local.queues_empty() && !tick.is_multiple_of(INJECTOR_INTERVAL) {
                return Some(job);
            }
            // Enough back-to-back runs: the next-slot job queues up.
            local.queue.push(job);
        }
        *streak = 0;
        if tick.is_multiple_of(INJECTOR_INTERVAL)
            && let Some(job) = self.steal_injector(&local.queue)
        {
            return Some(job);
        }
        let overdue = if tick.is_multiple_of(OVERDUE_CLOCK_INTERVAL) {
            let now = Instant::now();
            let queue = local.queue_waits.due(local.queue.is_empty(), now);
            (queue, !queue && local.spawned_waits.due(local.spawned.is_empty(), now))
        } else {
            (false, false)
        };
        let own = match overdue {
            (true, _) => local.queue.pop(),
            // The oldest spawned job, taken from the far end as a thief would.
            (_, true) => self.steal_oldest_spawned(index),
            _ => None,
        };
        let own = own.or_else(|| local.spawned.pop()).or_else(|| local.queue.pop());
        if let Some(job) = own {
            if local.queues_empty() {
                local.backlog.clear();
            } else if local.backlog.persists() {
                self.notify_one();
            }
            return Some(job);
        }
        local.backlog.clear();
        if let Some(job) = self.steal_injector(&local.queue) {
            return Some(job);
        }
        let n = self.stealers.len();
        for offset in 1..n {
            let victim = (index + offset) % n;
            for stealer in self.stealers[victim].in_steal_order() {
                loop {
                    match stealer.steal_batch_and_pop(&local.queue) {
                        Steal::Success(job) => return Some(job),
                        Steal::Retry => continue,
                        Steal::Empty => break,
                    }
                }
            }
        }
        None
    }

    /// The oldest job spawned on thread `index`, if any.
    fn steal_oldest_spawned(&self, index: usize) -> Option<J> {
        loop {
            match self.stealers[index].spawned.steal() {
                Steal::Success(job) => return Some(job),
                Steal::Retry => continue,
                Steal::Empty => return None,
            }
        }
    }

    fn steal_injector(&self, queue: &Queue<J>) -> Option<J> {
        loop {
            match self.injector.steal_batch_and_pop(queue) {
                Steal::Success(job) => return Some(job),
                Steal::Retry => continue,
                Steal::Empty => return None,
            }
        }
    }
}

/// How long one of a thread's queues has held jobs without running out, as
/// seen at the thread's looks (every [`OVERDUE_CLOCK_INTERVAL`] runs): once
/// for [`OLDEST_AFTER`], its oldest job is due. A job that came after the
/// queue last ran out between two looks is younger than the wait says: it
/// only gets its turn early.
#[derive(Default)]
pub(super) struct Overdue {
    since: Option<Instant>,
}

impl Overdue {
    /// At a look at clock reading `now`, the queue being `empty` or not:
    /// whether its oldest job is due (then the wait counts afresh).
    pub(super) fn due(&mut self, empty: bool, now: Instant) -> bool {
        if empty {
            self.since = None;
            return false;
        }
        stretch_passed(&mut self.since, now, OLDEST_AFTER)
    }
}

/// Whether a stretch of `length` has passed since `since` at clock reading
/// `now`; a stretch starts at the first reading (`since` empty) and again
/// after each one that passed.
fn stretch_passed(since: &mut Option<Instant>, now: Instant, length: Duration) -> bool {
    match *since {
        Some(start) if now.duration_since(start) >= length => {
            *since = Some(now);
            true
        }
        Some(_) => false,
        None => {
            *since = Some(now);
            false
        }
    }
}

/// How long a thread's queue has held work without a break: once it has for
/// [`SPREAD_AFTER`], a parked thread is woken to share it. Only this
/// thread's pushes and pops look at it, so the backlog's start is known to
/// within [`BACKLOG_CLOCK_INTERVAL`] of them.
#[derive(Default)]
pub(super) struct Backlog {
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
    pub(super) fn persists(&mut self) -> bool {
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
        stretch_passed(&mut self.since, now, SPREAD_AFTER)
    }

    /// The queue is empty: no backlog.
    pub(super) fn clear(&mut self) {
        self.since = None;
        self.events = 0;
    }
}

/// The last [`Recent::LEN`] jobs a thread ran (by [`Job::key`]). What they
/// touched is likely still in this core's caches, so waking one needs no
/// prefetch: a ping-pong pair or a small ring would only pay for the
/// prefetch instructions.
#[derive(Default)]
pub(super) struct Recent {
    keys: [usize; Recent::LEN],
    next: usize,
}

impl Recent {
    const LEN: usize = 8;

    pub(super) fn remember(&mut self, key: usize) {
        self.keys[self.next] = key;
        self.next = (self.next + 1) % Self::LEN;
    }

    pub(super) fn contains(&self, key: usize) -> bool {
        self.keys.contains(&key)
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::{BACKLOG_CLOCK_INTERVAL, Backlog, OLDEST_AFTER, Overdue, Recent, SPREAD_AFTER};
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
    fn a_queue_that_has_not_run_out_for_a_while_has_its_oldest_job_due_and_then_every_while() {
        let mut waits = Overdue::default();
        let start = Instant::now();
        assert!(!waits.due(false, start), "the first look starts the wait");
        assert!(!waits.due(false, start + OLDEST_AFTER - Duration::from_micros(1)));
        assert!(waits.due(false, start + OLDEST_AFTER), "waited long enough");
        assert!(!waits.due(false, start + OLDEST_AFTER + Duration::from_micros(1)), "the wait starts afresh");
        assert!(waits.due(false, start + OLDEST_AFTER * 2));
        assert!(!waits.due(true, start + OLDEST_AFTER * 10), "an empty queue has nothing due");
        assert!(!waits.due(false, start + OLDEST_AFTER * 10), "and ran out: the wait starts again");
        assert!(waits.due(false, start + OLDEST_AFTER * 11));
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
    fn the_recent_list_keeps_the_last_eight_jobs() {
        let mut recent = Recent::default();
        for key in 1..=10 {
            recent.remember(key);
        }
        assert!(!recent.contains(1) && !recent.contains(2), "pushed out");
        assert!((3..=10).all(|key| recent.contains(key)));
    }
}
