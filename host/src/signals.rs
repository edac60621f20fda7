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

use crate::mailbox::Message;
use crate::node::NodeShared;
use crate::pid::Pid;
use crate::process::Process;
use crate::reason::ExitReason;
use std::collections::HashSet;
use std::sync::Arc;

/// Tag of an exit signal delivered as a message to a process that traps
/// exits. Payload: `[from: i64][reason kind: i32][detail bytes]` (LE).
pub const TAG_EXIT: i64 = -100;
/// Tag of a monitor's DOWN message. Payload:
/// `[monitor ref: i64][pid: i64][reason kind: i32][detail bytes]` (LE).
pub const TAG_DOWN: i64 = -101;

/// A process's links, monitors and pending exit.
#[derive(Default)]
pub(crate) struct Relations {
    /// Set once the process has exited: nothing new may attach.
    exited: bool,
    links: HashSet<Pid>,
    /// Monitors on this process: (ref, watcher).
    monitored_by: Vec<(u64, Pid)>,
    /// Monitors this process holds: (ref, target).
    monitoring: Vec<(u64, Pid)>,
    /// The reason a signal asked this process to exit with (first wins).
    pending_exit: Option<ExitReason>,
    /// Its registered name, if any.
    pub(crate) name: Option<String>,
    /// Its entries in keyed registries: (registry, key).
    pub(crate) keyed: Vec<(String, Box<[u8]>)>,
}

/// What a process leaves behind when it exits.
pub(crate) struct Departure {
    links: HashSet<Pid>,
    monitored_by: Vec<(u64, Pid)>,
    monitoring: Vec<(u64, Pid)>,
    pub(crate) name: Option<String>,
    pub(crate) keyed: Vec<(String, Box<[u8]>)>,
}

impl Relations {
    /// Whether the process has exited (nothing may attach to it any more).
    pub(crate) fn is_exited(&self) -> bool {
        self.exited
    }
}

impl Process {
    pub(crate) fn relations(&self) -> std::sync::MutexGuard<'_, Relations> {
        self.relations.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The exit a signal asked for, if any (taken by the scheduler).
    pub(crate) fn take_pending_exit(&self) -> Option<ExitReason> {
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
        }
        // Wake it so the scheduler ends it (a running process is marked and
        // ends after its current poll).
        if matches!(self.body, crate::process::Body::Wasm(_)) && self.run_state.wake() {
            self.node.scheduler.schedule_woken(self.clone());
        }
    }

    /// Whether exit signals reach this process as messages.
    pub(crate) fn traps_exits(&self) -> bool {
        self.trap_exit.load(std::sync::atomic::Ordering::Acquire)
    }

    /// Marks the process exited and takes what it leaves behind.
    pub(crate) fn depart(&self) -> Departure {
        let mut relations = self.relations();
        relations.exited = true;
        Departure {
            links: std::mem::take(&mut relations.links),
            monitored_by: std::mem::take(&mut relations.monitored_by),
            monitoring: std::mem::take(&mut relations.monitoring),
            name: relations.name.take(),
            keyed: std::mem::take(&mut relations.keyed),
        }
    }

    /// Adds a link to `other` on this side; `false` if this process has exited.
    pub(crate) fn add_link(&self, other: Pid) -> bool {
        let mut relations = self.relations();
        if relations.exited {
            return false;
        }
        relations.links.insert(other);
        true
    }

    fn remove_link(&self, other: Pid) {
        self.relations().links.remove(&other);
    }

    /// Whether this process holds a link to `other`.
    pub(crate) fn is_linked(&self, other: Pid) -> bool {
        self.relations().links.contains(&other)
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
    /// signals a dying process sends its links.
    pub(crate) fn exit_signal(&self, from: Pid, to: Pid, reason: &ExitReason, via_link: bool) {
        let Some(target) = self.table.get(to) else { return };
        if via_link {
            // The link is gone on both sides once the signal travels.
            target.remove_link(from);
        }
        if matches!(reason, ExitReason::Kill) && !via_link {
            target.request_exit(ExitReason::Killed);
            return;
        }
        // `kill` from a dying process reaches its links as `killed`.
        let reason = if matches!(reason, ExitReason::Kill) { ExitReason::Killed } else { reason.clone() };
        if target.traps_exits() {
            target.deliver(Message { sender: from, tag: TAG_EXIT, data: exit_payload(from, &reason) });
        } else if !reason.is_normal() || (from == to && !via_link) {
            target.request_exit(reason);
        }
    }

    /// Links `a` (the caller, alive) and `b`. If `b` is not alive, `a` gets
    /// an exit signal `noproc` instead, as in Erlang.
    pub(crate) fn link(&self, a: &Arc<Process>, b: Pid) {
        if a.pid == b {
            return;
        }
        let linked = self.table.get(b).is_some_and(|target| target.add_link(a.pid));
        if linked {
            a.add_link(b);
        } else {
            self.exit_signal(b, a.pid, &ExitReason::Noproc, true);
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
        let attached = self.table.get(target).is_some_and(|t| {
            let mut relations = t.relations();
            if relations.exited {
                return false;
            }
            relations.monitored_by.push((reference, watcher.pid));
            true
        });
        if attached {
            watcher.relations().monitoring.push((reference, target));
        } else {
            watcher.deliver(Message {
                sender: target,
                tag: TAG_DOWN,
                data: down_payload(reference, target, &ExitReason::Noproc),
            });
        }
        reference
    }

    /// Removes monitor `reference` held by `watcher`; with `flush`, also a
    /// DOWN for it already queued. Returns whether the monitor was active.
    pub(crate) fn demonitor(&self, watcher: &Arc<Process>, reference: u64, flush: bool) -> bool {
        let target = {
            let mut relations = watcher.relations();
            let position = relations.monitoring.iter().position(|&(r, _)| r == reference);
            position.map(|p| relations.monitoring.swap_remove(p).1)
        };
        let mut active = false;
        if let Some(target) = target.and_then(|t| self.table.get(t)) {
            let mut relations = target.relations();
            if let Some(p) = relations.monitored_by.iter().position(|&(r, _)| r == reference) {
                relations.monitored_by.swap_remove(p);
                active = true;
            }
        }
        if flush {
            watcher.mailbox.remove_first(|m| m.tag == TAG_DOWN && m.data.get(..8) == Some(&reference.to_le_bytes()[..]));
        }
        active
    }

    /// Sends a dead process's signals: exit signals to its links, DOWN to its
    /// watchers, and drops the monitors it held.
    pub(crate) fn deliver_departure(&self, pid: Pid, departure: Departure, reason: &ExitReason) {
        for (reference, target) in departure.monitoring {
            if let Some(target) = self.table.get(target) {
                target.relations().monitored_by.retain(|&(r, _)| r != reference);
            }
        }
        for (reference, watcher) in departure.monitored_by {
            if let Some(watcher) = self.table.get(watcher) {
                watcher.deliver(Message { sender: pid, tag: TAG_DOWN, data: down_payload(reference, pid, reason) });
            }
        }
        for linked in departure.links {
            self.exit_signal(pid, linked, reason, true);
        }
    }
}
