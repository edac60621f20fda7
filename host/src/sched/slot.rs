//! A scheduler thread's next slot: the one job that runs right after the
//! current one (a woken job, so that a request and its reply run back to
//! back), which another thread may take when the owner is stuck.
//!
//! Only the owner puts and takes; the [watch](super::watch) thread steals.
//! The slot is one atomic pointer (the job as [`Job::into_raw`]), so that a
//! steal and the owner's take cannot both get the job: each takes it with a
//! swap, and only one swap sees it. The owner knows whether it left a job
//! in the slot (`filled`, kept in its thread-local part): a stealer only
//! ever swaps a null in, so a slot its owner emptied stays empty, and a put
//! into it is a plain store, a take from it no atomic operation at all.

use super::Job;
use crate::base::sync::{AtomicPtr, Ordering};
use std::marker::PhantomData;
use std::ptr;

/// One job at most, owned by the slot while it is in it.
pub(super) struct NextSlot<J: Job> {
    job: AtomicPtr<()>,
    _owns: PhantomData<J>,
}

// SAFETY: the slot owns its job (moved in by `put`, out by `take`/`steal`),
// and each job leaves it once (swaps); jobs are `Send`.
unsafe impl<J: Job> Sync for NextSlot<J> {}
// SAFETY: as above: moving the slot moves the job it owns.
unsafe impl<J: Job> Send for NextSlot<J> {}

impl<J: Job> Default for NextSlot<J> {
    fn default() -> Self {
        NextSlot { job: AtomicPtr::new(ptr::null_mut()), _owns: PhantomData }
    }
}

impl<J: Job> NextSlot<J> {
    /// Puts `job` in the slot (owner only; `filled`: whether the owner left
    /// a job in it); gives back the job it held, if it still held one.
    #[inline]
    pub(super) fn put(&self, job: J, filled: &mut bool) -> Option<J> {
        let raw = job.into_raw();
        if !std::mem::replace(filled, true) {
            // Empty since the owner emptied it: only the owner fills it.
            Self::fill_empty(&self.job, raw);
            return None;
        }
        // SAFETY: what the swap gives back was put by `put` and is taken
        // once (by this swap).
        unsafe { Self::from_raw(self.job.swap(raw, Ordering::AcqRel)) }
    }

    /// Takes the job out of the slot (owner only; `filled` as for `put`).
    #[inline]
    pub(super) fn take(&self, filled: &mut bool) -> Option<J> {
        if !std::mem::take(filled) {
            return None;
        }
        self.steal()
    }

    /// Whether a job is in the slot now (a look from any thread).
    pub(super) fn is_filled(&self) -> bool {
        !self.job.load(Ordering::Relaxed).is_null()
    }

    /// Takes the job out of the slot, from any thread.
    #[inline]
    pub(super) fn steal(&self) -> Option<J> {
        // SAFETY: as in `put`.
        unsafe { Self::from_raw(self.job.swap(ptr::null_mut(), Ordering::AcqRel)) }
    }

    /// Fills the empty slot `job` with `raw`.
    #[cfg(not(feature = "loom"))]
    #[inline]
    fn fill_empty(job: &AtomicPtr<()>, raw: *mut ()) {
        job.store(raw, Ordering::Release);
    }

    /// Fills the empty slot `job` with `raw`: under loom, with a swap (the
    /// same operation on an empty slot), because loom 0.7 lets a store
    /// land between the read and the write of another thread's swap
    /// (tokio-rs/loom#254), which the hardware never does.
    #[cfg(feature = "loom")]
    fn fill_empty(job: &AtomicPtr<()>, raw: *mut ()) {
        let was = job.swap(raw, Ordering::AcqRel);
        assert!(was.is_null(), "only the owner fills its slot");
    }

    /// The job behind `raw`, if not null.
    ///
    /// # Safety
    /// `raw` is null or came from [`Job::into_raw`] of a `J`, and is turned
    /// back into a job only once.
    #[inline]
    unsafe fn from_raw(raw: *mut ()) -> Option<J> {
        // SAFETY: the caller's promise.
        (!raw.is_null()).then(|| unsafe { J::from_raw(raw) })
    }
}

impl<J: Job> Drop for NextSlot<J> {
    fn drop(&mut self) {
        drop(self.steal());
    }
}

#[cfg(all(test, feature = "loom"))]
mod tests {
    use super::NextSlot;
    use crate::sched::Job;
    use loom::sync::Arc;
    use loom::sync::atomic::{AtomicUsize, Ordering};
    use loom::thread;

    /// A job that counts its runs.
    struct Counted(Arc<AtomicUsize>);

    impl Job for Box<Counted> {
        fn prefetch(&self) {}
        fn key(&self) -> usize {
            0
        }
        fn into_raw(self) -> *mut () {
            Box::into_raw(self).cast()
        }
        unsafe fn from_raw(raw: *mut ()) -> Self {
            // SAFETY: made by `into_raw` above, once.
            unsafe { Box::from_raw(raw.cast()) }
        }
    }

    fn run(job: Box<Counted>) {
        job.0.fetch_add(1, Ordering::Relaxed);
    }

    /// The owner puts two jobs (the second displaces the first, which it
    /// runs, as the scheduler queues it) and takes what is left, while the
    /// watch thread steals: every job runs exactly once, none is lost.
    #[test]
    fn loom_a_job_leaves_the_slot_once_whoever_takes_it() {
        loom::model(|| {
            let runs = [Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0))];
            let slot = Arc::new(NextSlot::<Box<Counted>>::default());
            let stealer = {
                let slot = slot.clone();
                thread::spawn(move || {
                    if let Some(job) = slot.steal() {
                        run(job);
                    }
                })
            };
            let mut filled = false;
            for count in &runs {
                if let Some(displaced) = slot.put(Box::new(Counted(count.clone())), &mut filled) {
                    run(displaced);
                }
            }
            if let Some(job) = slot.take(&mut filled) {
                run(job);
            }
            stealer.join().unwrap();
            assert!(slot.steal().is_none(), "nothing is left in the slot");
            let counts: Vec<usize> = runs.iter().map(|c| c.load(Ordering::Relaxed)).collect();
            assert_eq!(counts, [1, 1], "each job runs once");
        });
    }
}
