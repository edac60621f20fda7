//! A call hands its callee the thread: when a process calls one that was
//! waiting, the host runs the callee at once, nested in the caller's `call`,
//! instead of queueing it and switching away from the caller. The host sees
//! both ends of a call, so it can: a callee that answers within its slice
//! has replied by the time the caller looks for the reply, and the caller
//! goes on without ever waiting. That saves the caller's fiber switch out
//! and back, two scheduler turns and the caller's wake.
//!
//! The callee runs as a scheduler thread runs any process (the same
//! `Runner::run`: run state, pending exit, its slice, its outcome), only on
//! the caller's fiber stack, so:
//! - only a callee whose wake this call made (`IDLE -> SCHEDULED`: it was
//!   in no queue and no thread polls it) is run, and only from a process
//!   that no handoff is running already: one level deep, so the host's
//!   headroom on a fiber stack bounds it;
//! - what the callee used of its slice is charged to the caller's slice,
//!   so a caller and the callees it runs share one slice, as Erlang's
//!   reductions would make them;
//! - the callee's reply to the caller is queued without a wake (the caller
//!   is running and looks at its mailbox next): a wake would mark it to
//!   run again for nothing.
//!
//! A callee that does not reply within the nested run (it waits in turn,
//! or its slice ran out) is where any waiting process is (queued, or
//! waiting for its wake), and the caller waits for the reply as usual.

use super::Process;
use crate::mem::stack;
use crate::sched::Runner;
use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::Ordering;

thread_local! {
    /// The raw pid of the caller whose callee this thread runs nested (0:
    /// none).
    static CALLER: Cell<u64> = const { Cell::new(0) };
}

/// Whether a call made now may run its callee nested (no handoff is under
/// way on this thread).
pub(crate) fn allowed() -> bool {
    CALLER.get() == 0
}

/// Whether `pid` is the caller whose callee this thread runs now: a reply
/// to it needs no wake.
pub(crate) fn is_waiting_caller(pid: u64) -> bool {
    CALLER.get() == pid
}

/// Runs `callee` (scheduled by the call of `caller`, which holds its wake)
/// for one slice, nested; returns the fuel it used meanwhile, which the
/// caller is charged.
pub(crate) fn run(caller: &Process, callee: Arc<Process>) -> u64 {
    let before = callee.reductions.load(Ordering::Relaxed);
    // A stack the caller's own poll made is the caller's: the nested run
    // must not take it for the callee's (see `Process::note_new_stack`).
    let running = Running { callers_new_stack: stack::take_last_new_stack() };
    CALLER.set(caller.pid.raw());
    Runner::run(&*caller.runtime, callee.clone());
    drop(running);
    callee.reductions.load(Ordering::Relaxed).saturating_sub(before)
}

/// A nested run under way: when it ends (even by unwinding), the thread
/// runs no handoff any more, and the caller's new stack is back where its
/// poll will look for it.
struct Running {
    callers_new_stack: Option<usize>,
}

impl Drop for Running {
    fn drop(&mut self) {
        CALLER.set(0);
        if let Some(base) = self.callers_new_stack {
            stack::set_last_new_stack(base);
        }
    }
}
