//! The watch thread: no runnable job waits behind a stuck thread while
//! another thread could run it.
//!
//! A scheduler thread runs one job at a time; the jobs it made runnable
//! meanwhile wait in its queue (which idle threads steal from, but a
//! parked thread is woken for it only once the backlog lasts: see
//! [`policy`](super::policy)) and in its next slot (which only it takes).
//! A job normally returns within a time slice, but a long host call, a
//! page-fault storm or the OS descheduling the thread can hold it longer.
//! While any scheduler thread is awake, the watch thread looks, every
//! [`WATCH_INTERVAL`], at how many jobs each has started; a thread that has
//! started none for [`STUCK_AFTER`] is stuck: its next-slot job goes to the
//! injector, and a parked thread is woken to take it and to steal from the
//! stuck thread's queue (as Go's sysmon retakes a processor held by a long
//! system call).
//!
//! While every scheduler thread is parked no job runs, so none can get
//! stuck: the watch thread then parks too, until a scheduler thread wakes
//! ([`Doze`] makes sure that wake-up is not missed).

use super::park::Sleepers;
use super::{Job, Scheduler};
use crate::base::sync::{AtomicBool, Ordering, fence};
use crossbeam_utils::sync::Parker;
use std::time::{Duration, Instant};

/// How often the watch thread looks while scheduler threads are awake.
pub(super) const WATCH_INTERVAL: Duration = Duration::from_millis(1);
/// How long a thread may run one job before its waiting work is given to
/// others: many time slices (a slice is far shorter), so a thread that
/// merely runs a busy job keeps its work, and its caches.
pub(super) const STUCK_AFTER: Duration = Duration::from_millis(2);

/// Whether the watch thread sleeps until a scheduler thread wakes, and the
/// handshake that keeps that wake-up from being missed: the watch thread
/// sets the flag, then a `SeqCst` fence, then counts the sleepers; a
/// scheduler thread leaves the sleepers (updates their count), then a
/// `SeqCst` fence, then reads the flag. The fences order each side's write
/// before its read (as in [`Sleepers`]), so either the watch thread sees a
/// thread awake (and does not sleep) or the thread sees the flag (and
/// unparks it).
#[derive(Default)]
pub(super) struct Doze {
    deep: AtomicBool,
}

impl Doze {
    /// The watch thread is about to park until woken: whether it may (every
    /// one of the `threads` scheduler threads is parked or about to park).
    /// If it may, it must park, and then call [`Doze::woke`].
    pub(super) fn may_sleep(&self, sleepers: &Sleepers, threads: usize) -> bool {
        self.deep.store(true, Ordering::Relaxed);
        fence(Ordering::SeqCst);
        if sleepers.count() >= threads {
            return true;
        }
        self.woke();
        false
    }

    /// The watch thread is awake again.
    pub(super) fn woke(&self) {
        self.deep.store(false, Ordering::Relaxed);
    }

    /// A scheduler thread has left the sleepers (it will look for work):
    /// whether it must unpark the watch thread.
    pub(super) fn must_wake(&self) -> bool {
        fence(Ordering::SeqCst);
        self.deep.load(Ordering::Relaxed) && self.deep.swap(false, Ordering::Relaxed)
    }
}

/// The watch thread's loop, until the scheduler shuts down.
pub(super) fn run<J: Job>(scheduler: &Scheduler<J>, parker: &Parker) {
    let threads = scheduler.shared.len();
    let start = Instant::now();
    // Per scheduler thread: the job count last seen, and since when.
    let mut seen: Vec<(usize, Instant)> = vec![(usize::MAX, start); threads];
    while !scheduler.is_shutdown() {
        if scheduler.doze.may_sleep(&scheduler.sleepers, threads) && !scheduler.is_shutdown() {
            parker.park();
            scheduler.doze.woke();
        } else {
            parker.park_timeout(WATCH_INTERVAL);
        }
        let now = Instant::now();
        for (index, (last, since)) in seen.iter_mut().enumerate() {
            let started = scheduler.shared[index].started.load(Ordering::Relaxed);
            if started != *last {
                (*last, *since) = (started, now);
            } else if now.duration_since(*since) >= STUCK_AFTER {
                scheduler.rescue(index);
            }
        }
    }
}

impl<J: Job> Scheduler<J> {
    /// Thread `index` is stuck in one job: its next-slot job goes to the
    /// injector, and a parked thread is woken for it and for the stuck
    /// thread's queue.
    fn rescue(&self, index: usize) {
        match self.shared[index].next.steal() {
            Some(job) => {
                self.injector.push(job);
                self.notify_one();
            }
            None if !self.stealers[index].is_empty() => self.notify_one(),
            None => {}
        }
    }
}

#[cfg(all(test, feature = "loom"))]
mod tests {
    use super::Doze;
    use crate::sched::park::Sleepers;
    use loom::sync::Arc;
    use loom::thread;

    /// The one scheduler thread is parked (listed); the watch thread sees
    /// that and dozes off, while the scheduler thread wakes, leaving the
    /// sleepers either by itself (`retire`) or by a pusher (`take_one`).
    /// The watch thread must not stay parked while the thread is awake:
    /// loom reports a park that nobody ends as a deadlock.
    fn model(taken_by_pusher: bool) {
        loom::model(move || {
            let (sleepers, doze) = (Arc::new(Sleepers::default()), Arc::new(Doze::default()));
            sleepers.announce(0);
            let watch = {
                let (sleepers, doze) = (sleepers.clone(), doze.clone());
                thread::spawn(move || {
                    if doze.may_sleep(&sleepers, 1) {
                        thread::park();
                        doze.woke();
                    }
                })
            };
            if taken_by_pusher {
                assert_eq!(sleepers.take_one(), Some(0));
            } else {
                sleepers.retire(0);
            }
            if doze.must_wake() {
                watch.thread().unpark();
            }
            watch.join().unwrap();
        });
    }

    #[test]
    fn loom_the_watch_thread_wakes_when_a_thread_leaves_park_by_itself() {
        model(false);
    }

    #[test]
    fn loom_the_watch_thread_wakes_when_a_pusher_takes_a_parked_thread() {
        model(true);
    }
}
