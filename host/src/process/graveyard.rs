//! The tasks of exited processes, torn down when their thread has nothing
//! to run: a wasm store costs far more to tear down than an Erlang heap
//! (a suspended call is unwound, the instance, memory and stack go back),
//! and an exit's signals must not wait for it. An exit cascade through a
//! chain of linked processes, or a supervisor stopping and restarting its
//! children, then runs at the speed of its signals; the teardowns follow
//! when the thread is idle.
//!
//! Bounded: a thread keeps at most [`MAX_BURIED`] tasks; past that, a task
//! is torn down at once, as it was before. The total work is the same;
//! only its place in time moves.

use super::task::Task;
use std::cell::RefCell;
use std::time::Duration;

/// Most tasks a thread keeps for later.
const MAX_BURIED: usize = 256;
/// Tasks torn down per idle call: the thread looks for new work between
/// batches.
const BATCH: usize = 32;

thread_local! {
    /// `None` on threads that are not scheduler threads (their tasks go at
    /// once).
    static GRAVEYARD: RefCell<Option<Vec<Task>>> = const { RefCell::new(None) };
}

/// This thread keeps exited processes' tasks for later from now on (a
/// scheduler thread, as it starts).
pub(crate) fn enable_on_this_thread() {
    GRAVEYARD.with(|graveyard| *graveyard.borrow_mut() = Some(Vec::new()));
}

/// Tears down what this thread kept, and keeps nothing more (a scheduler
/// thread, as it stops; its recycling is still on, so stores may go to it).
pub(crate) fn disable_on_this_thread() {
    let kept = GRAVEYARD.with(|graveyard| graveyard.borrow_mut().take());
    drop(kept);
}

/// An exited process's task: kept for [`thread_idle`] if this thread keeps
/// any and has room, else torn down now.
pub(crate) fn bury(task: Task) {
    let overflow = GRAVEYARD.with(|graveyard| match graveyard.borrow_mut().as_mut() {
        Some(kept) if kept.len() < MAX_BURIED => {
            kept.push(task);
            None
        }
        _ => Some(task),
    });
    // Outside the borrow: a teardown may recycle a store, which touches
    // other thread-locals, never this one.
    drop(overflow);
}

/// The thread found no work: tears down a batch of the tasks it kept.
/// Returns `Some(0)` if more are left (the thread then looks for work, and
/// comes back), `None` if none are.
pub(crate) fn thread_idle() -> Option<Duration> {
    let batch: Vec<Task> = GRAVEYARD.with(|graveyard| {
        let mut graveyard = graveyard.borrow_mut();
        let kept = graveyard.as_mut()?;
        let from = kept.len().saturating_sub(BATCH);
        Some(kept.split_off(from))
    })?;
    let torn_down = batch.len();
    drop(batch);
    let left = GRAVEYARD.with(|graveyard| graveyard.borrow().as_ref().is_some_and(|kept| !kept.is_empty()));
    (torn_down > 0 && left).then_some(Duration::ZERO)
}
