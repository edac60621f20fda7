//! Links, monitors and exit signals, with Erlang's rules:
//!
//! - Links are bidirectional. When a process exits, each linked process gets
//!   an exit signal with the reason (`kill` travels as `killed`).
//! - An exit signal with reason `normal` does not kill a process that does
//!   not trap exits (unless a process sends it to itself); any other reason
//!   kills it, and it exits with the same reason, which propagates further.
//! - `trap_exit` turns incoming exit signals into messages
//!   ([`TAG_EXIT`]), except `kill` sent with `exit/2`, which cannot be
//!   trapped and ends the target with `killed`.
//! - Monitors are one-way: when the target exits the watcher gets a DOWN
//!   message ([`TAG_DOWN`]); monitoring a dead pid gives DOWN `noproc` at once.
//! - Linking to a dead pid sends the caller an exit signal `noproc`.
//!
//! A signal that must end a process records the reason in the target's
//! [`Relations`] and wakes it; the scheduler ends it before its next slice
//! (a running process notices at the end of its current slice), so signals,
//! like Erlang's, are asynchronous.
//!
//! Two guarantees of Erlang's hold under races, because each side's own
//! record decides:
//! - once `unlink(b)` has returned, the link has no further effect on the
//!   caller: an exit signal that travels because of a link only acts if the
//!   receiver still holds the link (it is removed as the signal acts);
//! - once `demonitor(ref)` has returned, no DOWN for `ref` will be queued:
//!   a dying target sends DOWN only if the watcher still holds the monitor,
//!   and removes it from the watcher as it queues the DOWN (under the
//!   watcher's lock), so a monitor whose DOWN was sent leaves nothing behind.

use crate::letter::Letter;
use crate::mailbox::Received;
use crate::node::NodeShared;
use crate::pid::Pid;
use crate::process::Process;
use crate::reason::ExitReason;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// Tag of an exit signal delivered as a message to a process that traps
/// exits. Payload: `[from: i64][reason kind: i32][detail bytes]` (LE).
pub const TAG_EXIT: i64 = -100;
/// Tag of a monitor's DOWN message. Payload:
/// `[monitor ref: i64][pid: i64][reason kind: i32][detail bytes]` (LE).
pub const TAG_DOWN: i64 = -101;

/// A process's pending exit and what is attached to it.
///
/// Most processes have no link, monitor or name: all of those live in one
/// box allocated on first use, so an unattached process pays a pointer.
#[derive(Default)]
pub(crate) struct Relations {
    /// Set once the process has exited: nothing new may attach.
    exited: bool,
    /// The reason a signal asked this process to exit with (first wins).
    pending_exit: Option<ExitReason>,
    attached: Option<Box<Attached>>,
}

/// Links, monitors and names of one process.
#[derive(Default)]
pub(crate) struct Attached {
    links: HashSet<Pid>,
    /// Monitors on this process: ref -> watcher.
    monitored_by: HashMap<u64, Pid>,
    /// Monitors this process holds: ref -> target.
    monitoring: HashMap<u64, Pid>,
    /// Its registered name, if any.
    pub(crate) name: Option<String>,
    /// Its entries in keyed registries: (registry, key).
    pub(crate) keyed: Vec<(String, Box<[u8]>)>,
}

/// What a process leaves behind when it exits.
pub(crate) struct Departure {
    links: HashSet<Pid>,
    monitored_by: HashMap<u64, Pid>,
    monitoring: HashMap<u64, Pid>,
    pub(crate) name: Option<String>,
    pub(crate) keyed: Vec<(String, Box<[u8]>)>,
}

impl Relations {
    /// Whether the process has exited (nothing may attach to it any more).
    pub(crate) fn is_exited(&self) -> bool {
        self.exited
    }

    /// What is attached, if anything ever was.
    pub(crate) fn attached(&self) -> Option<&Attached> {
        self.attached.as_deref()
    }

    /// What is attached, allocated on first use.
    pub(crate) fn attach(&mut self) -> &mut Attached {
        self.attached.get_or_insert_default()
    }

    /// What is attached, if anything ever was (mutable, no allocation).
    pub(crate) fn attached_mut(&mut self) -> Option<&mut Attached> {
        self.attached.as_deref_mut()
    }
}

impl Process {
    pub(crate) fn relations(&self) -> std::sync::MutexGuard<'_, Relations> {
        self.relations.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The exit a signal asked for, if any (taken by the scheduler).
    pub(crate) fn take_pending_exit(&self) -> Option<ExitReason> {
        // Checked before every slice: a flag keeps the common case lock-free.
        if !self.exit_requested.load(std::sync::atomic::Ordering::Acquire) {
            return None;
        }
        self.relations().pending_exit.take()
    }

    /// Asks the process to exit with `reason` (the first request wins).
    fn request_exit(self: &Arc<Self>, reason: ExitReason) {
        {
            let mut relations = self.relations();
            if relations.exited || relations.pending_exit.is_some() {
                return;
            }
            relations.pending_exit = Some(reason);
            self.exit_requested.store(true, std::sync::atomic::Ordering::Release);
        }
        // Wake it so the scheduler ends it (a running process is marked and
        // ends after its current poll).
        std::task::Wake::wake_by_ref(self);
    }

    /// Ends the process for going beyond a limit of the node: like `kill`,
    /// it cannot be trapped (the first exit request wins).
    pub(crate) fn exceeded_limit(self: &Arc<Self>, reason: ExitReason) {
        self.request_exit(reason);
    }

    /// Whether exit signals reach this process as messages.
    pub(crate) fn traps_exits(&self) -> bool {
        self.trap_exit.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Marks the process exited and takes what it leaves behind.
    pub(crate) fn depart(&self) -> Departure {
        let attached = {
            let mut relations = self.relations();
            relations.exited = true;
            relations.attached.take()
        };
        let a = attached.map(|a| *a).unwrap_or_default();
        Departure {
            links: a.links,
            monitored_by: a.monitored_by,
            monitoring: a.monitoring,
            name: a.name,
            keyed: a.keyed,
        }
    }

    /// Adds a link to `other` on this side; `false` if this process has
    /// exited.
    pub(crate) fn add_link(&self, other: Pid) -> bool {
        let mut relations = self.relations();
        if relations.exited {
            return false;
        }
        relations.attach().links.insert(other);
        true
    }

    /// Removes the link to `other` on this side; whether there was one.
    fn remove_link(&self, other: Pid) -> bool {
        self.relations().attached_mut().is_some_and(|a| a.links.remove(&other))
    }

    /// Whether this process holds a link to `other`.
    pub(crate) fn is_linked(&self, other: Pid) -> bool {
        self.relations().attached().is_some_and(|a| a.links.contains(&other))
    }
}

/// The payload of an EXIT message.
pub(crate) fn exit_payload(from: Pid, reason: &ExitReason) -> Box<[u8]> {
    let mut data = Vec::with_capacity(12 + reason.detail().len());
    data.extend_from_slice(&from.raw().to_le_bytes());
    data.extend_from_slice(&reason.kind().to_le_bytes());
    data.extend_from_slice(reason.detail());
    data.into()
}

/// The payload of a DOWN message.
pub(crate) fn down_payload(reference: u64, pid: Pid, reason: &ExitReason) -> Box<[u8]> {
    let mut data = Vec::with_capacity(20 + reason.detail().len());
    data.extend_from_slice(&reference.to_le_bytes());
    data.extend_from_slice(&pid.raw().to_le_bytes());
    data.extend_from_slice(&reason.kind().to_le_bytes());
    data.extend_from_slice(reason.detail());
    data.into()
}

impl NodeShared {
    /// Sends an exit signal from `from` to `to`. `via_link` is true for the
    /// signals a dying process sends its links: such a signal only acts if
    /// `to` still holds the link (an `unlink` that returned first wins), and
    /// removes it.
    pub(crate) fn exit_signal(&self, from: Pid, to: Pid, reason: &ExitReason, via_link: bool) {
        let Some(target) = self.table.get(to) else { return };
        if via_link && !target.remove_link(from) {
            return;
        }
        if matches!(reason, ExitReason::Kill) && !via_link {
            target.request_exit(ExitReason::Killed);
            return;
        }
        // `kill` from a dying process reaches its links as `killed`.
        let reason = if matches!(reason, ExitReason::Kill) { ExitReason::Killed } else { reason.clone() };
        if target.traps_exits() {
            target.deliver(Letter::new(from, TAG_EXIT, &exit_payload(from, &reason)));
        } else if !reason.is_normal() || (from == to && !via_link) {
            target.request_exit(reason);
        }
    }

    /// Links `a` (the caller, alive) and `b`. If `b` is not alive, `a` gets
    /// an exit signal `noproc` instead, as in Erlang. Linking twice, or to
    /// oneself, does nothing.
    pub(crate) fn link(&self, a: &Arc<Process>, b: Pid) {
        if a.pid == b {
            return;
        }
        // The caller's side first: if `b` dies once it holds the link, its
        // exit signal finds the link on our side and acts.
        {
            let mut relations = a.relations();
            if relations.exited || !relations.attach().links.insert(b) {
                return;
            }
        }
        let linked = self.table.get(b).is_some_and(|target| target.add_link(a.pid));
        if !linked {
            a.remove_link(b);
            self.exit_signal(b, a.pid, &ExitReason::Noproc, false);
        }
    }

    /// Removes the link between `a` and `b` on both sides.
    pub(crate) fn unlink(&self, a: &Arc<Process>, b: Pid) {
        a.remove_link(b);
        if let Some(target) = self.table.get(b) {
            target.remove_link(a.pid);
        }
    }

    /// Monitors `target` for `watcher`; returns the new reference. A dead
    /// target gives DOWN `noproc` at once.
    pub(crate) fn monitor(&self, watcher: &Arc<Process>, target: Pid) -> u64 {
        let reference = self.next_ref.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // The watcher's side first: a target that dies meanwhile finds it
        // there and sends DOWN (see `deliver_departure`).
        watcher.relations().attach().monitoring.insert(reference, target);
        let attached = self.table.get(target).is_some_and(|t| {
            let mut relations = t.relations();
            if relations.exited {
                return false;
            }
            relations.attach().monitored_by.insert(reference, watcher.pid);
            true
        });
        if !attached {
            let removed = watcher.relations().attached_mut().and_then(|a| a.monitoring.remove(&reference));
            if removed.is_some() {
                watcher.deliver(Letter::new(target, TAG_DOWN, &down_payload(reference, target, &ExitReason::Noproc)));
            }
        }
        reference
    }

    /// Removes monitor `reference` held by `watcher`; with `flush`, also a
    /// DOWN for it already queued. Returns whether the monitor was active
    /// (no DOWN for it was sent); either way no DOWN for it is queued after
    /// this returns.
    pub(crate) fn demonitor(
        &self,
        watcher: &Arc<Process>,
        received: &mut Received,
        reference: u64,
        flush: bool,
    ) -> bool {
        let target = watcher.relations().attached_mut().and_then(|a| a.monitoring.remove(&reference));
        if let Some(target) = target.and_then(|t| self.table.get(t))
            && let Some(attached) = target.relations().attached_mut()
        {
            attached.monitored_by.remove(&reference);
        }
        if flush {
            received.remove_first(&watcher.mailbox, |m| {
                m.tag() == TAG_DOWN && m.data().get(..8) == Some(&reference.to_le_bytes()[..])
            });
        }
        target.is_some()
    }

    /// Sends a dead process's signals: exit signals to its links, then DOWN
    /// to its watchers (so a watcher that gets DOWN knows the exit signals of
    /// the same death have acted); drops the monitors it held and the timers
    /// aimed at it.
    pub(crate) fn deliver_departure(&self, pid: Pid, departure: Departure, reason: &ExitReason) {
        // Timers aimed at it are cancelled, as Erlang does (it is marked
        // done already: see `send_after`).
        self.timers.cancel_all_to(pid);
        for (reference, target) in departure.monitoring {
            if let Some(target) = self.table.get(target)
                && let Some(attached) = target.relations().attached_mut()
            {
                attached.monitored_by.remove(&reference);
            }
        }
        for linked in departure.links {
            self.exit_signal(pid, linked, reason, true);
        }
        for (reference, watcher) in departure.monitored_by {
            let Some(watcher) = self.table.get(watcher) else { continue };
            // The monitor ends as its DOWN is queued, under the watcher's
            // lock, so a `demonitor` either removes it first (no DOWN) or
            // finds it gone (the DOWN is already queued, for `flush`).
            let mut relations = watcher.relations();
            if relations.attached_mut().and_then(|a| a.monitoring.remove(&reference)).is_some() {
                watcher.deliver(Letter::new(pid, TAG_DOWN, &down_payload(reference, pid, reason)));
            }
        }
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;

    #[test]
    fn the_relations_of_an_unattached_process_stay_small() {
        // Every process carries a `Relations`; links, monitors and names
        // live in a box made on first use.
        assert!(size_of::<Relations>() <= 48, "{} bytes", size_of::<Relations>());
    }
}
