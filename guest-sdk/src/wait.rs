//! Waiting for a message from another process while watching that it is
//! still alive, without taking anyone else's DOWN or EXIT messages.
//!
//! The ABI's receive selects by tag only, and every DOWN has the same tag:
//! a process that waited for "the answer, or the DOWN of the process that
//! should answer" would take the DOWNs of its other monitors out of its
//! mailbox. So the SDK's behaviours wait for the answer's tag alone, in
//! slices, and between slices ask whether the other process still lives
//! (a monitor taken and removed at once, its DOWN flushed: two host calls,
//! nothing left behind). An answer wakes the waiter at once; a death is
//! seen within [`MAX_SLICE_MS`].

use crate::{Message, Pid, receive_matching};

/// The first slice of a wait, in milliseconds.
const FIRST_SLICE_MS: u64 = 2;

/// The longest slice: a death is seen at most this long after it.
pub(crate) const MAX_SLICE_MS: u64 = 64;

/// Whether `pid` is alive now. Leaves no monitor and no DOWN behind.
pub(crate) fn is_alive(pid: Pid) -> bool {
    match crate::monitor(pid) {
        // `demonitor` says whether the monitor was still active: a dead
        // process's monitor has fired (its DOWN `noproc`, flushed here).
        Ok(watch) => crate::demonitor(watch, true),
        Err(_) => false,
    }
}

/// Waits for a message with one of `tags` that `accept` takes (`Some`);
/// messages it refuses (`None`) are dropped. Ends with `None` when `pid`
/// is found dead and no accepted message is left, or when `budget_ms`
/// (`None`: no limit) has been spent waiting. Slices are counted whole:
/// the budget is a lower bound of the time waited (fine for the SDK's
/// timeouts, which are "at least").
pub(crate) fn wait_while_alive<T>(
    tags: &[i64],
    pid: Pid,
    budget_ms: Option<u64>,
    mut accept: impl FnMut(Message) -> Option<T>,
) -> Waited<T> {
    let mut slice = FIRST_SLICE_MS;
    let mut spent = 0u64;
    loop {
        let wait = match budget_ms {
            Some(budget) => slice.min(budget.saturating_sub(spent)),
            None => slice,
        };
        match receive_matching(tags, Some(wait)) {
            Some(msg) => {
                if let Some(found) = accept(msg) {
                    return Waited::Got(found);
                }
            }
            None => {
                spent = spent.saturating_add(wait);
                if !is_alive(pid) {
                    // It may have sent before it died: look once more.
                    while let Some(msg) = receive_matching(tags, Some(0)) {
                        if let Some(found) = accept(msg) {
                            return Waited::Got(found);
                        }
                    }
                    return Waited::Dead;
                }
                if budget_ms.is_some_and(|budget| spent >= budget) {
                    return Waited::TimedOut;
                }
                slice = (slice * 2).min(MAX_SLICE_MS);
            }
        }
    }
}

/// How [`wait_while_alive`] ended.
pub(crate) enum Waited<T> {
    /// An accepted message.
    Got(T),
    /// The process is dead and sent nothing acceptable.
    Dead,
    /// The budget ran out; the process lives.
    TimedOut,
}

/// Waits until `pid` is dead (after a kill, say), however long it takes,
/// without taking any message.
pub(crate) fn until_dead(pid: Pid) {
    let mut slice = 0u64;
    while is_alive(pid) {
        if slice == 0 {
            crate::yield_now();
        } else {
            crate::sleep(slice);
        }
        slice = (slice * 2).clamp(1, MAX_SLICE_MS);
    }
}

/// Waits until `pid` is dead, at most about `ms` milliseconds, without
/// taking any message; whether it is dead.
pub(crate) fn dead_within(pid: Pid, ms: u64) -> bool {
    let mut spent = 0u64;
    let mut slice = 1u64;
    while is_alive(pid) {
        if spent >= ms {
            return false;
        }
        let nap = slice.min(ms - spent);
        crate::sleep(nap);
        spent += nap;
        slice = (slice * 2).min(MAX_SLICE_MS);
    }
    true
}
