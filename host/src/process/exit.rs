//! A process's exit: everything that happens when one ends, in the order
//! Erlang's guarantees need, and the stop of every process when the node
//! stops.

use super::Process;
use super::letter::Letter;
use super::runtime::Runtime;
use super::trace::{self, TraceEvent};
use crate::base::codes::TAG_TABLE_TRANSFER;
use crate::base::reason::ExitReason;
use crate::svc::Member;
use std::sync::Arc;
use std::sync::atomic::Ordering;

impl Runtime {
    /// Everything that happens when a process ends. Called by the scheduler
    /// thread that holds a wasm process `RUNNING`, or for an inbox.
    ///
    /// The order: the process is marked done (no new timer aims at it, no
    /// wake runs it) and leaves the table (no new message, link or monitor
    /// finds it); its names are freed; its tables go to their heirs; its
    /// timers are cancelled; then its links get their exit signals and only
    /// after them its monitors their DOWN; last its instance goes to be torn
    /// down by an idle thread (`graveyard.rs`).
    pub(crate) fn process_exited(&self, process: &Arc<Process>, reason: Arc<ExitReason>) {
        process.run_state.set_done();
        self.exited_reductions.fetch_add(process.reductions.load(Ordering::Relaxed), Ordering::Relaxed);
        if process.traced.load(Ordering::Relaxed) {
            trace::event(process, TraceEvent::Exited { reason: reason.to_string() });
        }
        let mut departure = process.relations().depart();
        let exit_waiter = departure.exit_waiter.take();
        self.table.remove(process.pid);
        // SAFETY: the caller holds the process `RUNNING` (or it is an
        // inbox), and its task is taken below.
        unsafe { super::call::exited(process) };
        self.names.release(process.pid, departure.name.take(), std::mem::take(&mut departure.keyed));
        self.memory.release(process.mailbox.clear());
        // Its tables go to their heirs, or are deleted.
        for (heir, payload) in self.tables.owner_exited(process.pid, |pid| self.table.get(pid).is_some()) {
            self.send(heir, Letter::new(process.pid, TAG_TABLE_TRANSFER, &payload));
        }
        match &*reason {
            ExitReason::Normal => tracing::debug!(pid = %process.pid, "process exited normally"),
            ExitReason::Shutdown(_) | ExitReason::Custom(_) => {
                tracing::info!(pid = %process.pid, %reason, "process exited")
            }
            _ => tracing::warn!(pid = %process.pid, %reason, "process crashed"),
        }
        // Timers aimed at it are cancelled, as Erlang does (it is marked
        // done already: see `Timers::send_after`).
        self.timers.cancel_all_to(process.pid);
        // Signals first, then the teardown of the instance: linked processes
        // learn of the exit without waiting for the store to be freed.
        self.signals.deliver_departure(&self.table, process.pid, departure, &reason);
        // SAFETY: a wasm process ends on the scheduler thread that holds it
        // `RUNNING` (an inbox has no task).
        if let Some(task) = unsafe { process.take_task() } {
            if self.scheduler.is_shutdown() {
                // The node stops: no thread will dig, and a grave would
                // hold the node (its process holds it).
                drop(task);
            } else if self.graveyard.bury(process, task) {
                self.scheduler.wake_one_for_housekeeping();
            }
        }
        process.record_exit(exit_waiter, &reason);
    }

    /// Stops the scheduler threads, the timers and every process still
    /// running (the node stops).
    pub(crate) fn stop(&self) {
        self.scheduler.shutdown();
        self.graveyard.clear();
        self.timers.clear();
        for process in self.table.snapshot() {
            let held = process.run_state.stop();
            self.table.remove(process.pid);
            if !held {
                // SAFETY: the scheduler threads have stopped, and none held
                // this process (one that did, the thread dropping the node
                // itself, keeps its task until the process is freed).
                drop(unsafe { process.take_task() });
            }
            self.memory.release(process.mailbox.clear());
            let waiter = process.relations().attached_mut().and_then(|a| a.exit_waiter.take());
            process.record_exit(waiter, &ExitReason::Shutdown(b"node stopped".to_vec()));
        }
        drop(self.scheduler.drain());
    }
}
