//! The tasks of exited processes, torn down by whichever scheduler thread
//! has nothing to run: a wasm store costs far more to tear down than an
//! Erlang heap (a suspended call is unwound, the instance, memory and stack
//! go back), and an exit's signals must not wait for it. An exit cascade
//! through a chain of linked processes, or a supervisor stopping and
//! restarting its children, then runs at the speed of its signals on one
//! core while another core tears down behind it.
//!
//! The graves are the node's, not a thread's: a cascade runs on one thread
//! (each exit wakes the next process into that thread's next slot), so the
//! thread that buries is the one with no time to dig. Every
//! [`BATCH`] graves a parked thread is woken to tear them down; a thread
//! also tears down when it finds no work itself.
//!
//! A killed process's store is recycled, not dropped, when the module's
//! instances can be reset (`recycle.rs`): an idle handler-style process has
//! no call in flight, and a process killed while it waited in a receive has
//! that receive fail (`receive::dispose`), so its call unwinds and gives
//! the store back. The restarts that follow a supervisor's kill then find
//! ready instances. Any other task (a call suspended elsewhere, a
//! hibernated process) is dropped.
//!
//! Bounded: at most [`MAX_WAITING`] graves wait; past that, the burying
//! thread tears a task down at once, as it did before. The total work is
//! the same; only its place moves.

use super::Process;
use super::recycle;
use super::task::{CallDone, Task};
use super::waker::borrowed_waker;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

/// Most graves that wait for an idle thread.
const MAX_WAITING: usize = 1024;
/// Graves torn down per idle call (the thread looks for new work between
/// batches), and how many wait before a parked thread is woken for them.
const BATCH: usize = 32;

/// The tasks of a node's exited processes, waiting to be torn down.
#[derive(Default)]
pub(crate) struct Graveyard {
    graves: Mutex<Vec<Grave>>,
    /// How many graves wait, read without the lock.
    waiting: AtomicUsize,
}

/// An exited process and its task.
struct Grave {
    /// Its waker polls a killed receive to its end; its stack base goes
    /// with a recycled store.
    process: Arc<Process>,
    task: Task,
}

impl Graveyard {
    /// Keeps the task of `process`, which exited, for an idle thread (or
    /// tears it down now if too many wait). Returns whether a batch is
    /// waiting: the caller then wakes a parked thread.
    pub(crate) fn bury(&self, process: &Arc<Process>, task: Task) -> bool {
        if matches!(task, Task::Finished) {
            return false; // its store went back when its call returned
        }
        let grave = Grave { process: process.clone(), task };
        let mut graves = self.graves.lock().unwrap_or_else(|e| e.into_inner());
        if graves.len() >= MAX_WAITING {
            drop(graves);
            grave.tear_down();
            return false;
        }
        graves.push(grave);
        self.waiting.store(graves.len(), Ordering::Relaxed);
        graves.len().is_multiple_of(BATCH)
    }

    /// Tears down a batch of the waiting graves (a thread with nothing to
    /// run). Returns whether more wait.
    pub(crate) fn tear_down_batch(&self) -> bool {
        if self.waiting.load(Ordering::Relaxed) == 0 {
            return false;
        }
        let batch = {
            let mut graves = self.graves.lock().unwrap_or_else(|e| e.into_inner());
            let from = graves.len().saturating_sub(BATCH);
            let batch = graves.split_off(from);
            self.waiting.store(graves.len(), Ordering::Relaxed);
            batch
        };
        // Outside the lock: burying goes on meanwhile.
        for grave in batch {
            grave.tear_down();
        }
        self.waiting.load(Ordering::Relaxed) > 0
    }

    /// Tears down every waiting grave (the node stops: its scheduler
    /// threads have, and the graves hold processes, which hold the node).
    pub(crate) fn clear(&self) {
        let graves = std::mem::take(&mut *self.graves.lock().unwrap_or_else(|e| e.into_inner()));
        self.waiting.store(0, Ordering::Relaxed);
        for grave in graves {
            grave.tear_down();
        }
    }
}

impl Grave {
    /// Recycles the store of the task if it can, else drops the task.
    fn tear_down(self) {
        let Grave { process, task } = self;
        let stack_base = || process.stack_base.swap(0, Ordering::Relaxed);
        match task {
            Task::Idle(idle) => recycle::give_back(idle.store, stack_base()),
            // SAFETY: the process exited, and its task is this grave's.
            Task::Call(mut call) if unsafe { super::receive::dispose(&process) } => {
                let waker = borrowed_waker(&process);
                // The receive fails at once, and the call unwinds to its end.
                if let Poll::Ready(CallDone { store, .. }) = call.as_mut().poll(&mut Context::from_waker(&waker)) {
                    recycle::give_back(store, stack_base());
                }
            }
            other => drop(other),
        }
    }
}
