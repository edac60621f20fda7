//! The run state of a process: the wake-up protocol between senders,
//! timers and scheduler threads.
//!
//! A process is in exactly one of these states:
//!
//! | state       | meaning                                                    |
//! |-------------|------------------------------------------------------------|
//! | `IDLE`      | waiting (for a message or a timer); in no run queue        |
//! | `SCHEDULED` | in exactly one run queue                                   |
//! | `RUNNING`   | a scheduler thread is polling it                           |
//! | `NOTIFIED`  | running, and woken meanwhile: it must run again            |
//! | `DONE`      | exited; wakes are ignored                                  |
//!
//! Rules (the whole protocol):
//! 1. A waker first makes its event visible (a message pushed onto the
//!    mailbox, or a timer flag set), then calls
//!    [`RunState::wake`]; only the caller that moves `IDLE -> SCHEDULED`
//!    enqueues the process, so it is never queued twice.
//! 2. A scheduler thread moves `SCHEDULED -> RUNNING` before it polls.
//!    While polling, the process checks its mailbox and timers itself.
//! 3. After a poll that did not finish, [`RunState::finish_poll`] moves
//!    `RUNNING -> IDLE`, unless a wake arrived during the poll (`NOTIFIED`):
//!    then the process goes back to `SCHEDULED` and the same thread
//!    re-enqueues it.
//!
//! 4. A thread that needs the task of a waiting process without running it
//!    (to release an idle handler's stack pages) borrows it: `IDLE ->
//!    RUNNING` ([`RunState::borrow_idle`]), then gives it back with
//!    `finish_poll` like a poll, enqueueing the process if a wake came
//!    meanwhile. `RUNNING` is what owns the task (`process.rs`, `TaskCell`).
//!
//! No wake-up is lost: an event made visible before the process checked is
//! seen by the check; an event made visible after the check comes with a
//! wake that finds `RUNNING` (so `NOTIFIED` makes it run again) or `IDLE`
//! (so the waker enqueues it). A fuel yield is a wake from inside the poll,
//! so a preempted process simply goes to the back of the queue.
//! `tests::loom_*` model-check this with a mailbox.

use crate::base::sync::{AtomicU8, Ordering};

const IDLE: u8 = 0;
const SCHEDULED: u8 = 1;
const RUNNING: u8 = 2;
const NOTIFIED: u8 = 3;
const DONE: u8 = 4;

/// A run state as [`RunState::observe`] saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Observed {
    /// `IDLE`: waiting for a message or a timer.
    Waiting,
    /// `SCHEDULED`: in a run queue.
    Queued,
    /// `RUNNING` or `NOTIFIED`: a thread polls it (or borrowed it).
    Running,
    /// `DONE`: exited.
    Done,
}

/// The atomic run state of one process (see the module docs).
pub(crate) struct RunState(AtomicU8);

impl RunState {
    /// A new process starts scheduled: its spawner enqueues it.
    pub(crate) fn new_scheduled() -> RunState {
        RunState(AtomicU8::new(SCHEDULED))
    }

    /// Records a wake. Returns `true` when the caller must enqueue the process.
    ///
    /// Every outcome but `DONE` writes the state (a no-op write when it is
    /// already `SCHEDULED` or `NOTIFIED`): the scheduler's next read-modify-
    /// write of the state then synchronizes with this one, so the event the
    /// caller made visible before waking is visible to the process's next
    /// poll. (The mailbox is lock-free, so nothing else orders the two.)
    pub(crate) fn wake(&self) -> bool {
        let mut current = self.0.load(Ordering::Relaxed);
        loop {
            let next = match current {
                IDLE => SCHEDULED,
                RUNNING => NOTIFIED,
                SCHEDULED | NOTIFIED => current,
                _ => return false,
            };
            match self.0.compare_exchange_weak(current, next, Ordering::AcqRel, Ordering::Relaxed) {
                Ok(_) => return next == SCHEDULED && current == IDLE,
                Err(actual) => current = actual,
            }
        }
    }

    /// A scheduler thread takes the process from a run queue. Returns
    /// `false` if it has exited meanwhile (then it must not be polled).
    pub(crate) fn start_running(&self) -> bool {
        self.0.compare_exchange(SCHEDULED, RUNNING, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    /// Another thread takes a waiting process's task for a moment
    /// (`IDLE -> RUNNING`; rule 4). Returns `false` if the process is not
    /// idle (queued, running or exited): then it must not be touched. Give
    /// it back with [`RunState::finish_poll`].
    pub(crate) fn borrow_idle(&self) -> bool {
        self.0.compare_exchange(IDLE, RUNNING, Ordering::AcqRel, Ordering::Acquire).is_ok()
    }

    /// After a poll that did not finish. Returns `true` when the process was
    /// woken during the poll and the caller must enqueue it again.
    pub(crate) fn finish_poll(&self) -> bool {
        match self.0.compare_exchange(RUNNING, IDLE, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => false,
            Err(_) => {
                // Only a waker can have changed RUNNING, to NOTIFIED. A swap,
                // not a store: it reads the latest wake (see `wake`).
                self.0.swap(SCHEDULED, Ordering::AcqRel);
                true
            }
        }
    }

    /// The process has exited: later wakes are ignored.
    pub(crate) fn set_done(&self) {
        self.0.store(DONE, Ordering::Release);
    }

    /// The node stops the process: later wakes are ignored. Returns whether
    /// a thread was polling it (or had borrowed it) at that moment, which
    /// then still holds its task.
    pub(crate) fn stop(&self) -> bool {
        matches!(self.0.swap(DONE, Ordering::AcqRel), RUNNING | NOTIFIED)
    }

    /// Whether the process has exited.
    pub(crate) fn is_done(&self) -> bool {
        self.0.load(Ordering::Acquire) == DONE
    }

    /// What the state is now, for introspection (it may change the moment
    /// after: only a transition owns the process).
    pub(crate) fn observe(&self) -> Observed {
        match self.0.load(Ordering::Relaxed) {
            IDLE => Observed::Waiting,
            SCHEDULED => Observed::Queued,
            RUNNING | NOTIFIED => Observed::Running,
            _ => Observed::Done,
        }
    }
}

#[cfg(all(test, feature = "loom"))]
mod tests {
    use super::*;
    use crate::base::pid::Pid;
    use crate::process::letter::Letter;
    use crate::process::mailbox::{Mailbox, Received};
    use loom::sync::Arc;
    use loom::sync::atomic::AtomicUsize;

    /// A sender thread: pushes one message, then wakes the process and
    /// counts the enqueue if the wake asks for one.
    fn spawn_sender(
        state: &Arc<RunState>,
        mailbox: &Arc<Mailbox>,
        enqueued: &Arc<AtomicUsize>,
    ) -> loom::thread::JoinHandle<()> {
        let (state, mailbox, enqueued) = (state.clone(), mailbox.clone(), enqueued.clone());
        loom::thread::spawn(move || {
            mailbox.push(Letter::new(Pid::new(1, 1), 1, &[]));
            if state.wake() {
                enqueued.fetch_add(1, Ordering::SeqCst);
            }
        })
    }

    /// A receiver that polls once, finds its mailbox empty and goes idle,
    /// racing a sender: the message must always be received, and the
    /// process enqueued exactly once more.
    #[test]
    fn loom_no_lost_wakeup_between_check_and_idle() {
        loom::model(|| {
            let state = Arc::new(RunState::new_scheduled());
            let mailbox = Arc::new(Mailbox::default());
            let enqueued = Arc::new(AtomicUsize::new(0));

            let sender = spawn_sender(&state, &mailbox, &enqueued);

            // The scheduler thread: one poll.
            let mut received = Received::default();
            assert!(state.start_running());
            let got = received.take_next(&mailbox).is_some();
            let requeue = state.finish_poll();
            sender.join().unwrap();

            let again = requeue as usize + enqueued.load(Ordering::SeqCst);
            if got {
                // Received in the first poll: at most one spurious re-run.
                assert!(again <= 1);
            } else {
                // Not seen in the poll: the process must run again, once.
                assert_eq!(again, 1, "lost wake-up");
                assert!(state.start_running());
                assert!(received.take_next(&mailbox).is_some());
            }
        });
    }

    /// Two concurrent wakers enqueue an idle process exactly once.
    #[test]
    fn loom_two_wakers_enqueue_once() {
        loom::model(|| {
            let state = Arc::new(RunState::new_scheduled());
            assert!(state.start_running());
            assert!(!state.finish_poll());
            let enqueued = Arc::new(AtomicUsize::new(0));
            let handles: Vec<_> = (0..2)
                .map(|_| {
                    let (state, enqueued) = (state.clone(), enqueued.clone());
                    loom::thread::spawn(move || {
                        if state.wake() {
                            enqueued.fetch_add(1, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            for h in handles {
                h.join().unwrap();
            }
            assert_eq!(enqueued.load(Ordering::SeqCst), 1);
        });
    }

    /// A thread borrowing an idle process (rule 4) racing a sender: the
    /// message is always seen, by the process's next poll, which is
    /// enqueued exactly once (by the sender, or by the borrower).
    #[test]
    fn loom_borrow_idle_racing_a_wake_enqueues_once() {
        loom::model(|| {
            let state = Arc::new(RunState::new_scheduled());
            assert!(state.start_running());
            assert!(!state.finish_poll());
            let mailbox = Arc::new(Mailbox::default());
            let enqueued = Arc::new(AtomicUsize::new(0));
            let sender = spawn_sender(&state, &mailbox, &enqueued);
            let borrowed = state.borrow_idle();
            let requeue = borrowed && state.finish_poll();
            sender.join().unwrap();
            assert_eq!(requeue as usize + enqueued.load(Ordering::SeqCst), 1, "enqueued once");
            // Whoever enqueued it, the process runs and finds the message.
            assert!(state.start_running());
            assert!(Received::default().take_next(&mailbox).is_some());
        });
    }

    /// A wake racing the end of a poll that was itself woken (a fuel yield)
    /// never enqueues twice and never drops the re-run.
    #[test]
    fn loom_yield_and_message_enqueue_once() {
        loom::model(|| {
            let state = Arc::new(RunState::new_scheduled());
            let enqueued = Arc::new(AtomicUsize::new(0));
            assert!(state.start_running());
            let waker = {
                let (state, enqueued) = (state.clone(), enqueued.clone());
                loom::thread::spawn(move || {
                    if state.wake() {
                        enqueued.fetch_add(1, Ordering::SeqCst);
                    }
                })
            };
            // The fuel yield: a wake from inside the poll.
            assert!(!state.wake());
            let requeue = state.finish_poll();
            waker.join().unwrap();
            assert!(requeue);
            assert_eq!(enqueued.load(Ordering::SeqCst), 0, "queued twice");
        });
    }
}
