//! The running behaviour of a handler-style process (a GenServer, a
//! stage), kept between the host's calls of its handler export. Each
//! behaviour has its own export and its own slot; this is what they share:
//! installing the behaviour after its `init`, and handing it each message.

use crate::{Message, Reason, current_message, exit};
use alloc::boxed::Box;
use alloc::format;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};

/// A behaviour with its state type erased, for its handler export.
pub(crate) trait Serve {
    /// Handles one message; returns what the handler returns to the host.
    fn serve(&mut self, msg: Message) -> i32;
}

/// Where a process's behaviour waits between messages (null before its
/// `init`, and in a process that runs none). A process is one
/// single-threaded instance, so the swaps never race; the pointer is atomic
/// only to need no `unsafe impl Sync`.
pub(crate) struct Slot(AtomicPtr<Box<dyn Serve>>);

impl Slot {
    /// An empty slot.
    pub(crate) const fn new() -> Slot {
        Slot(AtomicPtr::new(ptr::null_mut()))
    }

    /// Installs the process's behaviour (after its `init`).
    pub(crate) fn install(&self, behaviour: Box<dyn Serve>) {
        self.0.store(Box::into_raw(Box::new(behaviour)), Ordering::Release);
    }

    /// The body of a handler export: hands the current message to the
    /// installed behaviour, then the messages already queued behind it, in
    /// mailbox order, until one stops the process, asks to hibernate or
    /// changes the handler (which the host carries out when the call
    /// returns), or none is left. Each call of a handler export costs the
    /// host a fiber and a trip into the instance: a burst of casts paid it
    /// per message. Fuel still preempts a long run of messages. A message
    /// to a process that runs no behaviour ends it with a reason naming
    /// `export` and `what` it lacks.
    pub(crate) fn serve_current(&self, export: &str, what: &str) -> i32 {
        let Some(msg) = current_message() else { return 0 };
        let raw = self.0.swap(ptr::null_mut(), Ordering::Acquire);
        if raw.is_null() {
            exit(Reason::Custom(format!("{export}: a message came to a process that runs no {what}").into_bytes()))
        }
        // SAFETY: a non-null pointer in the slot comes only from
        // `Box::into_raw` here or in `install` (never freed meanwhile), and
        // the swap to null made this call its only owner.
        let mut behaviour = unsafe { Box::from_raw(raw) };
        crate::take_asked_host();
        let mut code = behaviour.serve(msg);
        // The queue's length first, once per run of messages: a poll that
        // finds nothing costs a trip through the host's receive, which a
        // call's server would pay after every request.
        let mut waiting = 0;
        while code == 0 && !crate::take_asked_host() {
            if waiting == 0 {
                waiting = crate::message_queue_len();
                if waiting == 0 {
                    break;
                }
            }
            // A callback's own receive may have taken what was counted.
            let Some(next) = crate::poll() else { break };
            waiting -= 1;
            code = behaviour.serve(next);
        }
        self.0.store(Box::into_raw(behaviour), Ordering::Release);
        code
    }
}
