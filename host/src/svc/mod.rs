//! The services: what the processes of a node share, each a struct that
//! owns its state and applies Erlang's rules to it.
//!
//! | service | holds |
//! | --- | --- |
//! | [`process_table`] | the live processes, by pid |
//! | [`signals`] | links, monitors and exit signals (the relations live in each process) |
//! | [`names`] | registered names and keyed registries |
//! | [`timers`] | pending timers (`send_after`, receive timeouts) and their driver |
//! | [`tables`] | shared tables (ETS) |
//! | [`supervisor`] | supervisors' rules: strategies, intensity, ordered start and stop |
//! | [`host_memory`] | the count and bound of the memory the node holds for its guests |
//!
//! The services are generic over the process type, through [`Member`]:
//! the process layer above implements it for its processes, and the unit
//! tests here for a plain recording process (`tests.rs`), so each rule is
//! tested without a node or a wasm instance.

pub(crate) mod host_memory;
pub(crate) mod names;
pub(crate) mod process_table;
pub(crate) mod signals;
pub(crate) mod supervisor;
pub(crate) mod tables;
pub(crate) mod timers;

#[cfg(all(test, not(feature = "loom")))]
pub(crate) mod tests;

use crate::base::pid::Pid;
use crate::base::reason::ExitReason;
use signals::{Departing, Relations};
use std::sync::{Arc, MutexGuard};

/// A process as the services see it: a pid, its relations under its own
/// lock, and the few things a service does to it.
pub(crate) trait Member: Send + Sync + Sized + 'static {
    /// Its pid.
    fn pid(&self) -> Pid;

    /// Its links, monitors, names and pending exit, locked.
    fn relations(&self) -> MutexGuard<'_, Relations>;

    /// Whether exit signals reach it as messages (`trap_exit`).
    fn traps_exits(&self) -> bool;

    /// Queues a signal's message for it (an EXIT or a DOWN) and wakes it:
    /// its payload is `head` followed by `reason`'s detail, which the
    /// messages of one exit share rather than copy.
    fn deliver_signal(self: &Arc<Self>, from: Pid, tag: i64, head: &[u8], reason: &Arc<ExitReason>);

    /// As [`Member::deliver_signal`], for a caller that holds its
    /// relations (`relations`, locked): an exit the message calls for (a
    /// mailbox past its limit) is recorded in them, not asked for through
    /// [`Member::request_exit`], which would lock them again.
    fn deliver_signal_locked(
        self: &Arc<Self>,
        relations: &mut Relations,
        from: Pid,
        tag: i64,
        head: &[u8],
        reason: &Arc<ExitReason>,
    );

    /// Queues a message for it without waking it; returns whether the
    /// caller must now wake it ([`Member::wake`]), which it may do once
    /// for several messages.
    fn enqueue(self: &Arc<Self>, from: Pid, tag: i64, data: &[u8]) -> bool;

    /// Makes it runnable after an event the caller made visible.
    fn wake(self: &Arc<Self>);

    /// Asks it to exit with `reason` (the first request wins; a process
    /// that has exited ignores it): it ends before its next slice. With
    /// `awaited_by`, that departure waits for this process to finish
    /// departing (see `signals.rs`); returns `false` when the process has
    /// departed already (so nothing will wait).
    fn request_exit(self: &Arc<Self>, reason: Arc<ExitReason>, awaited_by: Option<&Arc<Departing>>) -> bool;

    /// Claims the reply of the call `token` it waits for (see
    /// `process/call.rs`): `true` once, for whoever swaps its token out
    /// first, and only while it waits for that call.
    fn claim_call(&self, token: u64) -> bool;

    /// Whether it has ended (a timer aimed at it is then never kept).
    fn is_done(&self) -> bool;

    /// Its receive timeout number `sequence` fired: recorded, and it is
    /// woken to see it.
    fn timeout_fired(self: &Arc<Self>, sequence: u64);
}
