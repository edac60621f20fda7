//! Parking a scheduler thread that has no work, without a lost wake-up.
//!
//! The handshake, between a thread about to park and a thread that makes
//! work stealable (pushes to a queue another thread can take from):
//!
//! - the parker [announces](Sleepers::announce) itself (adds its index to
//!   the list and bumps the count, then a `SeqCst` fence), looks at the
//!   queues once more, and parks only if they are empty; after it wakes it
//!   [retires](Sleepers::retire) from the list if nobody took it off;
//! - the pusher pushes, then [takes one sleeper](Sleepers::take_one) (a
//!   `SeqCst` fence, then the count; the list only if the count is not
//!   zero) and unparks it.
//!
//! The two fences order each side's write before its read, so at least one
//! side sees the other's write: either the parker sees the work (and does
//! not park) or the pusher sees the parker (and unparks it; an unpark that
//! comes before the park makes the park return at once). The loom model at
//! the end checks this with both fences and with a parker that times out.

use crate::base::sync::{AtomicUsize, Mutex, Ordering, fence};

/// The threads that are parked or about to park.
#[derive(Default)]
pub(super) struct Sleepers {
    /// Their indexes.
    list: Mutex<Vec<usize>>,
    /// How many are listed, read without the lock by pushers.
    count: AtomicUsize,
}

impl Sleepers {
    /// Thread `index` is about to park: listed, then fenced. The caller
    /// must look for work once more before it parks.
    pub(super) fn announce(&self, index: usize) {
        {
            let mut list = self.list.lock().unwrap_or_else(|e| e.into_inner());
            list.push(index);
            self.count.fetch_add(1, Ordering::SeqCst);
        }
        fence(Ordering::SeqCst);
    }

    /// Thread `index` stopped parking: it leaves the list if no pusher took
    /// it off.
    pub(super) fn retire(&self, index: usize) {
        let mut list = self.list.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(position) = list.iter().position(|&i| i == index) {
            list.swap_remove(position);
            self.count.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// How many threads are parked or about to park.
    pub(super) fn count(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    /// After work was made stealable: a listed thread to unpark, taken off
    /// the list, if any.
    pub(super) fn take_one(&self) -> Option<usize> {
        fence(Ordering::SeqCst);
        if self.count.load(Ordering::SeqCst) == 0 {
            return None;
        }
        let mut list = self.list.lock().unwrap_or_else(|e| e.into_inner());
        let taken = list.pop();
        if taken.is_some() {
            self.count.fetch_sub(1, Ordering::SeqCst);
        }
        taken
    }
}

#[cfg(all(test, feature = "loom"))]
mod tests {
    use super::Sleepers;
    use loom::sync::Arc;
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::thread;

    /// One scheduler thread that finds no work and parks (as
    /// `Scheduler::park` does), racing `pushers` threads that each make one
    /// job stealable and notify (as `Scheduler::settle` does). Every job
    /// must be taken: a lost wake-up leaves the parker parked for ever,
    /// which loom reports as a deadlock.
    /// With two pushers the full state space is too large to explore; loom
    /// then bounds the preemptions per execution (`preemption_bound`). Both
    /// models report the lost wake-up of a handshake without the pusher's
    /// fence (checked by removing it).
    fn model(pushers: usize, preemption_bound: Option<usize>) {
        let mut builder = loom::model::Builder::new();
        builder.preemption_bound = preemption_bound;
        builder.check(move || {
            let sleepers = Arc::new(Sleepers::default());
            // The queue: how many jobs are in it. The queues' own
            // synchronisation is left out (relaxed), so that only the
            // handshake's fences order the two sides.
            let queued = Arc::new(AtomicUsize::new(0));
            let parker = {
                let (sleepers, queued) = (sleepers.clone(), queued.clone());
                thread::spawn(move || {
                    let mut taken = 0;
                    while taken < pushers {
                        if queued.load(Ordering::Relaxed) > taken {
                            taken += 1;
                            continue;
                        }
                        sleepers.announce(0);
                        if queued.load(Ordering::Relaxed) == taken {
                            thread::park();
                        }
                        sleepers.retire(0);
                    }
                })
            };
            let parker_thread = parker.thread().clone();
            let pushing: Vec<_> = (0..pushers)
                .map(|_| {
                    let (sleepers, queued, parker_thread) = (sleepers.clone(), queued.clone(), parker_thread.clone());
                    thread::spawn(move || {
                        queued.fetch_add(1, Ordering::Relaxed);
                        if sleepers.take_one().is_some() {
                            parker_thread.unpark();
                        }
                    })
                })
                .collect();
            for pusher in pushing {
                pusher.join().unwrap();
            }
            parker.join().unwrap();
        });
    }

    #[test]
    fn loom_a_thread_about_to_park_never_misses_a_push() {
        model(1, None);
    }

    #[test]
    fn loom_two_pushes_wake_the_one_parked_thread_as_often_as_needed() {
        model(2, Some(3));
    }
}
