//! A process as the scheduler and futures see it: a scheduler job, and
//! the waker of its call's futures (whose data is the process itself).

use super::Process;
use crate::sched::Job;
use std::sync::Arc;
use std::task::{Context, RawWaker, RawWakerVTable, Wake, Waker};

impl Job for Arc<Process> {
    fn prefetch(&self) {
        self.resume_hints.prefetch();
    }

    fn key(&self) -> usize {
        Arc::as_ptr(self) as usize
    }

    fn into_raw(self) -> *mut () {
        Arc::into_raw(self).cast_mut().cast()
    }

    unsafe fn from_raw(raw: *mut ()) -> Self {
        // SAFETY: `raw` came from `into_raw` above (`Arc::into_raw` of an
        // `Arc<Process>`), turned back once: the caller's promise.
        unsafe { Arc::from_raw(raw.cast_const().cast()) }
    }
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
            self.runtime.scheduler.schedule_woken(self.clone());
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
    // SAFETY: see `PROCESS_WAKER` (gives back the reference a clone took).
    |data| Wake::wake(unsafe { Arc::from_raw(data.cast::<Process>()) }),
    |data| {
        // SAFETY: see `PROCESS_WAKER`; the reference is borrowed, not given
        // back (`ManuallyDrop`).
        let process = std::mem::ManuallyDrop::new(unsafe { Arc::from_raw(data.cast::<Process>()) });
        Wake::wake_by_ref(&*process);
    },
    // SAFETY: see `PROCESS_WAKER` (gives back the reference a clone took).
    |data| drop(unsafe { Arc::from_raw(data.cast::<Process>()) }),
);

/// A waker for `process` that borrows the caller's reference instead of
/// taking one (as `futures::task::waker_ref`): `run` needs a waker on every
/// scheduling, and an owned one cost two atomic reference-count updates.
/// Cloning it takes a real reference, so a clone may outlive `process`'s
/// borrow; the borrowed waker itself is never dropped.
pub(super) fn borrowed_waker(process: &Arc<Process>) -> std::mem::ManuallyDrop<Waker> {
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
