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
//! [`Relations`] and wakes it ([`Member::request_exit`]); the scheduler ends
//! it before its next slice (a running process notices at the end of its
//! current slice), so signals, like Erlang's, are asynchronous.
//!
//! One ordering holds all the same, and supervisors rely on it: by the time
//! any watcher of a process gets its DOWN, or a linked process that traps
//! exits its EXIT, the exit signals of that exit have acted: the processes
//! they end have exited (their names are free, their own links and
//! monitors have heard), and so have the processes *those* exits ended. A
//! departure that ends others ([`Signals::deliver_departure`]) keeps its
//! DOWNs and trapped EXITs in a [`Departing`] until each process it ended
//! has finished departing in turn; the last one to finish delivers them.
//!
//! Each process keeps its own [`Relations`] under its own lock (most have
//! none: they cost a pointer), and the rules here decide with each side's
//! own record, so two of Erlang's guarantees hold under races:
//! - once `unlink(b)` has returned, the link has no further effect on the
//!   caller: an exit signal that travels because of a link only acts if the
//!   receiver still holds the link (it is removed as the signal acts);
//! - once `demonitor(ref)` has returned, no DOWN for `ref` will be queued:
//!   a dying target sends DOWN only if the watcher still holds the monitor,
//!   and removes it from the watcher as it queues the DOWN (under the
//!   watcher's lock), so a monitor whose DOWN was sent leaves nothing behind.

use super::Member;
use super::process_table::ProcessTable;
use crate::base::codes::{TAG_CALL_DOWN, TAG_DOWN, TAG_EXIT};
use crate::base::pid::Pid;
use crate::base::reason::ExitReason;
use crate::base::small_map::SmallMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A process's pending exit and what is attached to it.
///
/// Most processes have no link, monitor or name: all of those live in one
/// box allocated on first use, so an unattached process pays a pointer.
#[derive(Default)]
pub(crate) struct Relations {
    /// Set once the process has exited: nothing new may attach.
    exited: bool,
    /// The reason a signal asked this process to exit with (first wins).
    pending_exit: Option<Arc<ExitReason>>,
    attached: Option<Box<Attached>>,
}

/// Links, monitors and names of one process.
#[derive(Default)]
pub(crate) struct Attached {
    links: SmallMap<Pid, ()>,
    /// Monitors on this process: ref -> watcher.
    monitored_by: SmallMap<u64, Pid>,
    /// Monitors this process holds: ref -> target.
    monitoring: SmallMap<u64, Pid>,
    /// Its registered name, if any (see `names.rs`).
    pub(crate) name: Option<Box<str>>,
    /// Its entries in keyed registries: (registry, key), if any (boxed, as
    /// `awaited_by`: most processes have none, and a box is a third of a
    /// vector, which keeps this record in a 128-byte block).
    pub(crate) keyed: Option<Box<KeyedEntries>>,
    /// The departures of processes whose exit signals are ending this one:
    /// they wait for this one's departure to finish.
    #[allow(clippy::box_collection)] // a thin pointer: see `keyed`
    awaited_by: Option<Box<Vec<Arc<Departing>>>>,
    /// Who is told the exit reason and whether the process started: the
    /// host, for a process it spawned (few processes have one).
    pub(crate) exit_waiter: Option<ExitWaiter>,
}

/// A process's entries in keyed registries: (registry, key).
pub(crate) type KeyedEntries = Vec<(String, Box<[u8]>)>;

/// Where the host hears a process's exit reason, and whether the process
/// started (see `Process::record_exit`).
pub(crate) type ExitWaiter = crossbeam_channel::Sender<(ExitReason, bool)>;

impl Attached {
    /// The processes it is linked to.
    pub(crate) fn links(&self) -> impl Iterator<Item = Pid> + '_ {
        self.links.keys().copied()
    }

    /// The monitors it holds: (reference, target).
    pub(crate) fn monitoring(&self) -> impl Iterator<Item = (u64, Pid)> + '_ {
        self.monitoring.iter().map(|(reference, target)| (*reference, *target))
    }

    /// The monitors held on it: (reference, watcher).
    pub(crate) fn monitored_by(&self) -> impl Iterator<Item = (u64, Pid)> + '_ {
        self.monitored_by.iter().map(|(reference, watcher)| (*reference, *watcher))
    }
}

/// What a process leaves behind when it exits.
pub(crate) struct Departure {
    links: SmallMap<Pid, ()>,
    monitored_by: SmallMap<u64, Pid>,
    monitoring: SmallMap<u64, Pid>,
    awaited_by: Vec<Arc<Departing>>,
    /// Its registered name (released by `names.rs`).
    pub(crate) name: Option<Box<str>>,
    /// Its keyed registry entries (released by `names.rs`).
    pub(crate) keyed: KeyedEntries,
    /// Who is told its exit reason.
    pub(crate) exit_waiter: Option<ExitWaiter>,
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

    /// Records an exit a signal asks for; `false` if the process has exited
    /// or an earlier request stands (the first wins).
    pub(crate) fn request_exit(&mut self, reason: Arc<ExitReason>) -> bool {
        if self.exited || self.pending_exit.is_some() {
            return false;
        }
        self.pending_exit = Some(reason);
        true
    }

    /// The exit a signal asked for, if any (taken once).
    pub(crate) fn take_pending_exit(&mut self) -> Option<Arc<ExitReason>> {
        self.pending_exit.take()
    }

    /// Marks the process exited and takes what it leaves behind.
    pub(crate) fn depart(&mut self) -> Departure {
        self.exited = true;
        let a = self.attached.take().map(|a| *a).unwrap_or_default();
        Departure {
            links: a.links,
            monitored_by: a.monitored_by,
            monitoring: a.monitoring,
            awaited_by: a.awaited_by.map(|awaited_by| *awaited_by).unwrap_or_default(),
            name: a.name,
            keyed: a.keyed.map(|keyed| *keyed).unwrap_or_default(),
            exit_waiter: a.exit_waiter,
        }
    }

    /// Records the exit a dying linked process's signal asks for (unless an
    /// earlier request stands: the first wins), and that `departing` waits
    /// for this process's departure. `false` if the process has departed
    /// already: there is nothing to wait for.
    pub(crate) fn request_exit_awaited(&mut self, reason: Arc<ExitReason>, departing: &Arc<Departing>) -> bool {
        if self.exited {
            return false;
        }
        if self.pending_exit.is_none() {
            self.pending_exit = Some(reason);
        }
        self.attach().awaited_by.get_or_insert_default().push(departing.clone());
        true
    }

    /// Adds a link to `other` on this side (if it is not there yet);
    /// `false` if the process has exited.
    fn add_link(&mut self, other: Pid) -> bool {
        if self.exited {
            return false;
        }
        self.attach().links.insert(other, ());
        true
    }

    /// Removes the link to `other` on this side; whether there was one.
    fn remove_link(&mut self, other: Pid) -> bool {
        self.attached_mut().is_some_and(|a| a.links.remove(&other).is_some())
    }

    /// Whether this side holds a link to `other`.
    pub(crate) fn is_linked(&self, other: Pid) -> bool {
        self.attached().is_some_and(|a| a.links.contains_key(&other))
    }
}

/// The head of an EXIT message's payload: `[from: i64][reason kind: i32]`;
/// the reason's detail follows (see [`Member::deliver_signal`]).
pub(crate) fn exit_head(from: Pid, reason: &ExitReason) -> [u8; 12] {
    let mut head = [0u8; 12];
    head[..8].copy_from_slice(&from.raw().to_le_bytes());
    head[8..].copy_from_slice(&reason.kind().to_le_bytes());
    head
}

/// The head of a DOWN message's payload: `[monitor ref: i64][pid: i64]
/// [reason kind: i32]`; the reason's detail follows.
pub(crate) fn down_head(reference: u64, pid: Pid, reason: &ExitReason) -> [u8; 20] {
    let mut head = [0u8; 20];
    head[..8].copy_from_slice(&reference.to_le_bytes());
    head[8..16].copy_from_slice(&pid.raw().to_le_bytes());
    head[16..].copy_from_slice(&reason.kind().to_le_bytes());
    head
}

/// `kill` from a dying process, or sent again, reaches its targets as
/// `killed` (a reason with no detail, made once).
fn killed(reason: &Arc<ExitReason>) -> Arc<ExitReason> {
    match **reason {
        ExitReason::Kill => Arc::new(ExitReason::Killed),
        _ => reason.clone(),
    }
}

/// The bit every call's reply token has (see `process/call.rs`): among the
/// monitors held on a process, it marks a call waiting for its reply (see
/// [`Signals::attach_call`]); the node's monitor counter never reaches it.
pub(crate) const CALL_TOKEN: u64 = 1 << 62;

/// Whether a message (`tag`, the first bytes of its payload `head`) is the
/// DOWN of monitor `reference`.
pub(crate) fn is_down_of(reference: u64, tag: i64, head: &[u8]) -> bool {
    tag == TAG_DOWN && head.get(..8) == Some(&reference.to_le_bytes()[..])
}

/// The signals service: Erlang's rules for links, monitors and exit
/// signals between the processes of one table. The relations themselves
/// live in each process (see [`Relations`]); the service hands out monitor
/// references.
pub(crate) struct Signals {
    /// The next monitor reference.
    next_ref: AtomicU64,
}

impl Default for Signals {
    fn default() -> Self {
        Signals { next_ref: AtomicU64::new(1) }
    }
}

impl Signals {
    /// Sends an exit signal from `from` to `to`. `via_link` is true for the
    /// signals a dying process sends its links: such a signal only acts if
    /// `to` still holds the link (an `unlink` that returned first wins), and
    /// removes it.
    pub(crate) fn exit_signal<P: Member>(
        &self,
        table: &ProcessTable<P>,
        from: Pid,
        to: Pid,
        reason: &Arc<ExitReason>,
        via_link: bool,
    ) {
        let Some(target) = table.get(to) else { return };
        if via_link && !target.relations().remove_link(from) {
            return;
        }
        if matches!(**reason, ExitReason::Kill) && !via_link {
            target.request_exit(killed(reason), None);
            return;
        }
        // `kill` from a dying process reaches its links as `killed`.
        let reason = killed(reason);
        if target.traps_exits() {
            target.deliver_signal(from, TAG_EXIT, &exit_head(from, &reason), &reason);
        } else if !reason.is_normal() || (from == to && !via_link) {
            target.request_exit(reason, None);
        }
    }

    /// Links `a` (the caller, alive) and `b`. If `b` is not alive, `a` gets
    /// an exit signal `noproc` instead, as in Erlang. Linking twice, or to
    /// oneself, does nothing.
    pub(crate) fn link<P: Member>(&self, table: &ProcessTable<P>, a: &Arc<P>, b: Pid) {
        if a.pid() == b {
            return;
        }
        // The caller's side first: if `b` dies once it holds the link, its
        // exit signal finds the link on our side and acts.
        {
            let mut relations = a.relations();
            if relations.is_exited() || relations.attach().links.insert(b, ()).is_some() {
                return;
            }
        }
        let linked = table.get(b).is_some_and(|target| target.relations().add_link(a.pid()));
        if !linked {
            a.relations().remove_link(b);
            self.exit_signal(table, b, a.pid(), &Arc::new(ExitReason::Noproc), false);
        }
    }

    /// Links a process being spawned to its parent, before it can run (so
    /// it cannot die unseen): `spawn_link`.
    pub(crate) fn link_new<P: Member>(&self, child: &P, parent: &P) {
        child.relations().add_link(parent.pid());
        parent.relations().add_link(child.pid());
    }

    /// Removes the link between `a` and `b` on both sides.
    pub(crate) fn unlink<P: Member>(&self, table: &ProcessTable<P>, a: &P, b: Pid) {
        a.relations().remove_link(b);
        if let Some(target) = table.get(b) {
            target.relations().remove_link(a.pid());
        }
    }

    /// Monitors `target` for `watcher`; returns the new reference. A dead
    /// target gives DOWN `noproc` at once.
    pub(crate) fn monitor<P: Member>(&self, table: &ProcessTable<P>, watcher: &Arc<P>, target: Pid) -> u64 {
        let reference = self.next_ref.fetch_add(1, Ordering::Relaxed);
        let found = table.get(target);
        // The watcher's side first: a target that dies meanwhile finds it
        // there and sends DOWN (see `deliver_departure`). Looked up before
        // is as good as after: a target that exits in between is seen
        // exited under its own lock below.
        watcher.relations().attach().monitoring.insert(reference, target);
        let attached = found.is_some_and(|t| {
            let mut relations = t.relations();
            if relations.is_exited() {
                return false;
            }
            relations.attach().monitored_by.insert(reference, watcher.pid());
            true
        });
        if !attached {
            let removed = watcher.relations().attached_mut().and_then(|a| a.monitoring.remove(&reference));
            if removed.is_some() {
                let noproc = Arc::new(ExitReason::Noproc);
                let head = down_head(reference, target, &noproc);
                watcher.deliver_signal(target, TAG_DOWN, &head, &noproc);
            }
        }
        reference
    }

    /// Records on `callee` that `caller` waits for the reply of the call `token`
    /// (which has [`CALL_TOKEN`] set): a monitor held on the callee alone.
    /// If the callee exits first, the caller gets the call's DOWN (tag
    /// `TAG_CALL_DOWN`, reference `token`), but only if it still waits for
    /// that reply: the DOWN claims the token as a reply would
    /// ([`Member::claim_call`]), so a call gets its reply or its DOWN, never
    /// both, and none once it gave up. The caller's side holds nothing (its
    /// token is its record), so a call locks only the callee's relations.
    /// Returns `false`, attaching nothing, if the callee has exited.
    pub(crate) fn attach_call<P: Member>(&self, caller: Pid, callee: &P, token: u64) -> bool {
        let mut relations = callee.relations();
        if relations.is_exited() {
            return false;
        }
        relations.attach().monitored_by.insert(token, caller);
        true
    }

    /// Removes from `callee` the record of the call `token` of `caller`
    /// ([`Signals::attach_call`]): it has its reply, or gave up.
    pub(crate) fn detach_call<P: Member>(&self, callee: &P, caller: Pid, token: u64) {
        let mut relations = callee.relations();
        if let Some(attached) = relations.attached_mut()
            && attached.monitored_by.get(&token) == Some(&caller)
        {
            attached.monitored_by.remove(&token);
        }
    }

    /// Removes monitor `reference` held by `watcher`. Returns whether the
    /// monitor was active (no DOWN for it was sent); either way no DOWN for
    /// it is queued after this returns, so a caller that flushes DOWNs of
    /// `reference` ([`is_down_of`]) afterwards finds any that was.
    pub(crate) fn demonitor<P: Member>(&self, table: &ProcessTable<P>, watcher: &P, reference: u64) -> bool {
        let target = watcher.relations().attached_mut().and_then(|a| a.monitoring.remove(&reference));
        if let Some(target) = target.and_then(|t| table.get(t))
            && let Some(attached) = target.relations().attached_mut()
        {
            attached.monitored_by.remove(&reference);
        }
        target.is_some()
    }

    /// Sends a dead process's signals: exit signals to its links, then DOWN
    /// to its watchers; drops the monitors it held. The linked processes
    /// its signals end are asked to exit at once; the EXITs of those that
    /// trap exits and the DOWNs wait until every one of them has finished
    /// departing (see the module docs), then go out, exits first.
    pub(crate) fn deliver_departure<P: Member>(
        &self,
        table: &ProcessTable<P>,
        pid: Pid,
        departure: Departure,
        reason: &Arc<ExitReason>,
    ) {
        for (reference, target) in departure.monitoring {
            if let Some(target) = table.get(target)
                && let Some(attached) = target.relations().attached_mut()
            {
                attached.monitored_by.remove(&reference);
            }
        }
        // `kill` from a dying process reaches its links as `killed`.
        let link_reason = killed(reason);
        let mut ended = Vec::new();
        let mut trapping = Vec::new();
        for (linked, ()) in departure.links {
            let Some(target) = table.get(linked) else { continue };
            if target.traps_exits() {
                // Its signal (an EXIT message) is sent with the DOWNs.
                trapping.push(linked);
                continue;
            }
            // The signal acts only if the target still holds the link (an
            // `unlink` that returned first wins), and takes it.
            if !target.relations().remove_link(pid) || link_reason.is_normal() {
                continue;
            }
            ended.push(target);
        }
        let deferred = Deferred {
            from: pid,
            reason: reason.clone(),
            trapping,
            monitored_by: departure.monitored_by,
            awaited_by: departure.awaited_by,
        };
        if ended.is_empty() {
            self.finish(table, deferred);
            return;
        }
        // One count per ended process, and one held until all are asked.
        let departing =
            Arc::new(Departing { left: AtomicUsize::new(ended.len() + 1), deferred: Mutex::new(Some(deferred)) });
        for target in ended {
            if !target.request_exit(link_reason.clone(), Some(&departing)) {
                // It had departed already: nothing to wait for.
                self.complete(table, departing.clone());
            }
        }
        self.complete(table, departing);
    }

    /// One process `departing` waited for has finished departing: when it
    /// was the last, `departing`'s signals go out (and the departures that
    /// waited for it learn of it in turn: a loop, not a recursion, however
    /// long the chain of exits).
    fn complete<P: Member>(&self, table: &ProcessTable<P>, departing: Arc<Departing>) {
        let mut done = vec![departing];
        while let Some(departing) = done.pop() {
            if departing.left.fetch_sub(1, Ordering::AcqRel) != 1 {
                continue;
            }
            let deferred = departing.deferred.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let Some(deferred) = deferred {
                done.extend(self.send_deferred(table, deferred));
            }
        }
    }

    /// Sends what a departure kept until its ended processes had departed,
    /// and completes the departures that waited for this one.
    fn finish<P: Member>(&self, table: &ProcessTable<P>, deferred: Deferred) {
        let waiting = self.send_deferred(table, deferred);
        for departing in waiting {
            self.complete(table, departing);
        }
    }

    /// Sends a departure's EXITs to the linked processes that trap exits,
    /// then its DOWNs; returns the departures that waited for it.
    fn send_deferred<P: Member>(&self, table: &ProcessTable<P>, deferred: Deferred) -> Vec<Arc<Departing>> {
        let Deferred { from, reason, trapping, monitored_by, awaited_by } = deferred;
        for linked in trapping {
            // As any exit signal along a link: it acts if the target still
            // holds the link, as the target's settings say now.
            self.exit_signal(table, from, linked, &reason, true);
        }
        for (reference, watcher) in monitored_by {
            let Some(watcher) = table.get(watcher) else { continue };
            if reference & CALL_TOKEN != 0 {
                // A call waiting for its reply: its DOWN goes only if it
                // still waits (the DOWN claims the token, as a reply would).
                if watcher.claim_call(reference) {
                    watcher.deliver_signal(from, TAG_CALL_DOWN, &down_head(reference, from, &reason), &reason);
                }
                continue;
            }
            // The monitor ends as its DOWN is queued, under the watcher's
            // lock, so a `demonitor` either removes it first (no DOWN) or
            // finds it gone (the DOWN is already queued, for `flush`).
            let mut relations = watcher.relations();
            if relations.attached_mut().and_then(|a| a.monitoring.remove(&reference)).is_some() {
                let head = down_head(reference, from, &reason);
                watcher.deliver_signal_locked(&mut relations, from, TAG_DOWN, &head, &reason);
            }
        }
        awaited_by
    }
}

/// A departure whose DOWNs and trapped EXITs wait until the processes its
/// exit signals ended have finished departing.
pub(crate) struct Departing {
    /// Ended processes that have not finished departing (one more while
    /// the departure is still asking them to exit).
    left: AtomicUsize,
    /// What goes out when `left` reaches zero.
    deferred: Mutex<Option<Deferred>>,
}

/// The signals a departure sends once the processes it ended have departed.
struct Deferred {
    from: Pid,
    reason: Arc<ExitReason>,
    /// Linked processes that trap exits (each gets an EXIT).
    trapping: Vec<Pid>,
    /// Monitors on the departed process: ref -> watcher (each gets a DOWN).
    monitored_by: SmallMap<u64, Pid>,
    /// Departures waiting for this one.
    awaited_by: Vec<Arc<Departing>>,
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;
    use crate::svc::tests::{Received, TestProcess, table_of};

    #[test]
    fn the_relations_of_an_unattached_process_stay_small() {
        // Every process carries a `Relations`; links, monitors and names
        // live in a box made on first use, which fits mimalloc's 128-byte
        // class (the next is 160).
        assert!(size_of::<Relations>() <= 48, "{} bytes", size_of::<Relations>());
        assert!(size_of::<Attached>() <= 128, "{} bytes", size_of::<Attached>());
    }

    /// The exit-signal table of docs/ABI.md, as Erlang has it: what a signal
    /// with each reason does to a process that traps exits and to one that
    /// does not, sent with `exit/2` or by a dying linked process.
    #[test]
    fn exit_signals_follow_erlangs_table() {
        let signals = Signals::default();
        let custom = ExitReason::Custom(b"boom".to_vec());
        let cases: [(&ExitReason, bool, bool, Option<ExitReason>, bool); 12] = [
            // (reason, via_link, traps, exits with, gets an EXIT message)
            (&ExitReason::Normal, false, false, None, false),
            (&ExitReason::Normal, true, false, None, false),
            (&ExitReason::Normal, false, true, None, true),
            (&custom, false, false, Some(custom.clone()), false),
            (&custom, true, false, Some(custom.clone()), false),
            (&custom, true, true, None, true),
            (&ExitReason::Kill, false, false, Some(ExitReason::Killed), false),
            (&ExitReason::Kill, false, true, Some(ExitReason::Killed), false),
            (&ExitReason::Kill, true, false, Some(ExitReason::Killed), false),
            (&ExitReason::Kill, true, true, None, true),
            (&ExitReason::Killed, false, false, Some(ExitReason::Killed), false),
            (&ExitReason::Killed, true, true, None, true),
        ];
        for (reason, via_link, traps, exits, message) in cases {
            let (table, [from, to]) = table_of();
            to.set_trap_exit(traps);
            if via_link {
                signals.link(&table, &from, to.pid());
            }
            signals.exit_signal(&table, from.pid(), to.pid(), &Arc::new((*reason).clone()), via_link);
            let case = format!("{reason:?} via_link={via_link} traps={traps}");
            assert_eq!(to.pending_exit(), exits, "{case}");
            let received = to.received();
            if message {
                let expected = match reason {
                    ExitReason::Kill => ExitReason::Killed,
                    other => other.clone(),
                };
                assert_eq!(received, [Received::exit(from.pid(), &expected)], "{case}");
            } else {
                assert!(received.is_empty(), "{case}: {received:?}");
            }
            if via_link {
                assert!(!to.relations().is_linked(from.pid()), "{case}: the signal took the link");
            }
        }
    }

    #[test]
    fn a_normal_exit_signal_to_oneself_ends_the_process() {
        let signals = Signals::default();
        let (table, [me]) = table_of();
        signals.exit_signal(&table, me.pid(), me.pid(), &Arc::new(ExitReason::Normal), false);
        assert_eq!(me.pending_exit(), Some(ExitReason::Normal));
    }

    #[test]
    fn a_signal_along_a_link_that_was_removed_does_nothing() {
        let signals = Signals::default();
        let (table, [a, b]) = table_of();
        signals.link(&table, &a, b.pid());
        signals.unlink(&table, &a, b.pid());
        signals.exit_signal(&table, b.pid(), a.pid(), &Arc::new(ExitReason::Custom(b"x".to_vec())), true);
        assert_eq!(a.pending_exit(), None, "unlink won");
    }

    #[test]
    fn the_first_exit_request_wins() {
        let signals = Signals::default();
        let (table, [a, b]) = table_of();
        signals.exit_signal(&table, a.pid(), b.pid(), &Arc::new(ExitReason::Custom(b"first".to_vec())), false);
        signals.exit_signal(&table, a.pid(), b.pid(), &Arc::new(ExitReason::Kill), false);
        assert_eq!(b.pending_exit(), Some(ExitReason::Custom(b"first".to_vec())));
    }

    #[test]
    fn links_are_bidirectional_and_linking_a_dead_pid_sends_noproc() {
        let signals = Signals::default();
        let (table, [a, b, c, d]) = table_of();
        signals.link(&table, &a, b.pid());
        assert!(a.relations().is_linked(b.pid()) && b.relations().is_linked(a.pid()));
        signals.link(&table, &a, a.pid());
        assert!(!a.relations().is_linked(a.pid()), "linking to oneself does nothing");

        let dead = table.remove(b.pid()).unwrap();
        dead.relations().depart();
        signals.link(&table, &c, dead.pid());
        assert_eq!(c.pending_exit(), Some(ExitReason::Noproc), "a caller that does not trap exits ends");
        assert!(!c.relations().is_linked(dead.pid()));

        d.set_trap_exit(true);
        signals.link(&table, &d, dead.pid());
        assert_eq!(d.received(), [Received::exit(dead.pid(), &ExitReason::Noproc)]);
        assert_eq!(d.pending_exit(), None);
    }

    #[test]
    fn a_departure_signals_links_before_it_sends_down() {
        let signals = Signals::default();
        let (table, [dying, linked, watcher]) = table_of();
        linked.set_trap_exit(true);
        signals.link(&table, &dying, linked.pid());
        let reference = signals.monitor(&table, &watcher, dying.pid());
        let reason = ExitReason::Trap("unreachable".into());
        let departure = dying.relations().depart();
        table.remove(dying.pid());
        signals.deliver_departure(&table, dying.pid(), departure, &Arc::new(reason.clone()));
        // Both sequence numbers come from one counter: the EXIT was queued first.
        assert!(linked.last_sequence() < watcher.last_sequence(), "links are signalled before DOWN is sent");
        assert_eq!(linked.received(), [Received::exit(dying.pid(), &reason)]);
        assert_eq!(watcher.received(), [Received::down(reference, dying.pid(), &reason)]);
        assert!(!linked.relations().is_linked(dying.pid()));
    }

    #[test]
    fn monitors_are_one_way_and_independent() {
        let signals = Signals::default();
        let (table, [watcher, target]) = table_of();
        let first = signals.monitor(&table, &watcher, target.pid());
        let second = signals.monitor(&table, &watcher, target.pid());
        assert_ne!(first, second);
        let departure = target.relations().depart();
        table.remove(target.pid());
        signals.deliver_departure(&table, target.pid(), departure, &Arc::new(ExitReason::Normal));
        let downs = watcher.received();
        assert_eq!(downs.len(), 2, "one DOWN per monitor: {downs:?}");
        assert!(downs.contains(&Received::down(first, target.pid(), &ExitReason::Normal)));
        assert!(downs.contains(&Received::down(second, target.pid(), &ExitReason::Normal)));
        assert_eq!(target.received(), [], "the target hears nothing of the watcher");
    }

    #[test]
    fn monitoring_a_dead_pid_gives_down_noproc_at_once() {
        let signals = Signals::default();
        let (table, [watcher, target]) = table_of();
        let dead = table.remove(target.pid()).unwrap();
        dead.relations().depart();
        let reference = signals.monitor(&table, &watcher, dead.pid());
        assert_eq!(watcher.received(), [Received::down(reference, dead.pid(), &ExitReason::Noproc)]);
        assert!(!signals.demonitor(&table, &watcher, reference), "its DOWN was sent");
    }

    #[test]
    fn after_demonitor_no_down_comes() {
        let signals = Signals::default();
        let (table, [watcher, target]) = table_of();
        let reference = signals.monitor(&table, &watcher, target.pid());
        assert!(signals.demonitor(&table, &watcher, reference), "active");
        assert!(!signals.demonitor(&table, &watcher, reference), "already removed");
        let departure = target.relations().depart();
        signals.deliver_departure(&table, target.pid(), departure, &Arc::new(ExitReason::Normal));
        assert_eq!(watcher.received(), []);
    }

    #[test]
    fn a_down_already_queued_is_recognised_for_flushing() {
        let down = down_head(7, Pid::new(3, 1), &ExitReason::Normal);
        assert!(is_down_of(7, TAG_DOWN, &down));
        assert!(!is_down_of(8, TAG_DOWN, &down));
        assert!(!is_down_of(7, TAG_EXIT, &down));
    }

    #[test]
    fn nothing_attaches_to_a_process_that_has_exited() {
        let signals = Signals::default();
        let (table, [a, b]) = table_of();
        b.relations().depart();
        signals.link(&table, &a, b.pid());
        assert!(!b.relations().is_linked(a.pid()));
        assert!(!b.relations().request_exit(Arc::new(ExitReason::Kill)), "no exit request after the exit");
    }

    /// A call's record on its callee: the DOWN goes (tag `TAG_CALL_DOWN`,
    /// the token as its reference) only while the caller still waits on
    /// that call, and a record removed or never made sends nothing.
    #[test]
    fn a_call_record_sends_its_down_only_while_the_caller_waits() {
        let signals = Signals::default();
        let (table, [caller, callee, other]) = table_of();
        let token = CALL_TOKEN | 5;
        caller.await_call(token);
        assert!(signals.attach_call(caller.pid(), &*callee, token));
        let watchers: Vec<_> = callee.relations().attached().unwrap().monitored_by().collect();
        assert_eq!(watchers, [(token, caller.pid())], "the callee lists its caller among its monitors");
        let crash = ExitReason::Custom(b"boom".to_vec());
        depart(&signals, &table, &callee, &crash);
        let head = down_head(token, callee.pid(), &crash);
        let down = Received::message(callee.pid(), TAG_CALL_DOWN, &[&head[..], crash.detail()].concat());
        assert_eq!(caller.received(), [down]);
        assert!(!caller.claim_call(token), "the DOWN claimed the call");

        // A caller that gave up (its token withdrawn) gets no DOWN.
        let (table, [caller, callee]) = table_of();
        caller.await_call(token);
        assert!(signals.attach_call(caller.pid(), &*callee, token));
        assert!(caller.claim_call(token), "the timeout withdraws the token");
        depart(&signals, &table, &callee, &crash);
        assert_eq!(caller.received(), []);

        // A record removed by its reply, or by another process's pid, and
        // one on an exited or missing callee.
        let (table, [caller, callee]) = table_of();
        caller.await_call(token);
        assert!(signals.attach_call(caller.pid(), &*callee, token));
        signals.detach_call(&*callee, other.pid(), token);
        assert!(callee.relations().attached().unwrap().monitored_by().next().is_some(), "not the caller's pid");
        signals.detach_call(&*callee, caller.pid(), token);
        assert!(callee.relations().attached().unwrap().monitored_by().next().is_none());
        depart(&signals, &table, &callee, &crash);
        assert_eq!(caller.received(), []);
        assert!(!signals.attach_call(caller.pid(), &*callee, token), "the callee has exited");
    }

    /// A process's departure as the node runs it: it departs and leaves
    /// the table, then its signals go out.
    fn depart(signals: &Signals, table: &ProcessTable<TestProcess>, process: &TestProcess, reason: &ExitReason) {
        let departure = process.relations().depart();
        table.remove(process.pid());
        signals.deliver_departure(table, process.pid(), departure, &Arc::new(reason.clone()));
    }

    /// The ordering supervisors need: a watcher gets the DOWN of an exit
    /// only once the processes that exit's signals ended have departed.
    #[test]
    fn a_down_waits_until_the_processes_the_exit_ended_have_departed() {
        let signals = Signals::default();
        let (table, [a, b, watcher]) = table_of();
        signals.link(&table, &a, b.pid());
        let reference = signals.monitor(&table, &watcher, a.pid());
        let crash = ExitReason::Trap("unreachable".into());
        depart(&signals, &table, &a, &crash);
        assert_eq!(b.pending_exit(), Some(crash.clone()), "b is asked to exit");
        assert_eq!(watcher.received(), [], "no DOWN while b has not departed");
        depart(&signals, &table, &b, &crash);
        assert_eq!(watcher.received(), [Received::down(reference, a.pid(), &crash)]);
    }

    /// Down a chain of links: a supervisor that traps exits and is linked
    /// to `a` gets a's EXIT only once `b` and then `c`, ended in turn, have
    /// departed.
    #[test]
    fn a_trapped_exit_waits_for_the_whole_cascade() {
        let signals = Signals::default();
        let (table, [supervisor, a, b, c]) = table_of();
        supervisor.set_trap_exit(true);
        signals.link(&table, &supervisor, a.pid());
        signals.link(&table, &a, b.pid());
        signals.link(&table, &b, c.pid());
        let crash = ExitReason::Custom(b"boom".to_vec());
        depart(&signals, &table, &a, &crash);
        assert_eq!(supervisor.received(), []);
        assert_eq!(b.pending_exit(), Some(crash.clone()));
        depart(&signals, &table, &b, &crash);
        assert_eq!(supervisor.received(), [], "c has not departed yet");
        assert_eq!(c.pending_exit(), Some(crash.clone()));
        depart(&signals, &table, &c, &crash);
        assert_eq!(supervisor.received(), [Received::exit(a.pid(), &crash)]);
    }

    #[test]
    fn an_exit_that_ends_nobody_or_only_the_departed_sends_at_once() {
        let signals = Signals::default();
        let (table, [a, b, watcher]) = table_of();
        signals.link(&table, &a, b.pid());
        let reference = signals.monitor(&table, &watcher, a.pid());
        // b departs on its own first (the link to a goes with it).
        b.relations().depart();
        let crash = ExitReason::Killed;
        depart(&signals, &table, &a, &crash);
        assert_eq!(watcher.received(), [Received::down(reference, a.pid(), &crash)]);
    }

    #[test]
    fn a_normal_exit_ends_no_linked_process_and_sends_at_once() {
        let signals = Signals::default();
        let (table, [a, b, watcher]) = table_of();
        signals.link(&table, &a, b.pid());
        let reference = signals.monitor(&table, &watcher, a.pid());
        depart(&signals, &table, &a, &ExitReason::Normal);
        assert_eq!(b.pending_exit(), None);
        assert!(!b.relations().is_linked(a.pid()), "the link went with a");
        assert_eq!(watcher.received(), [Received::down(reference, a.pid(), &ExitReason::Normal)]);
    }

    #[test]
    fn a_long_chain_of_exits_completes_without_recursion() {
        // Each departure waits for the next: the last one's departure
        // completes them all in a loop.
        let signals = Signals::default();
        let table = ProcessTable::new(20_000);
        let chain: Vec<Arc<TestProcess>> =
            (0..10_000).map(|_| table.insert(|pid| Arc::new(TestProcess::with_pid(pid))).unwrap().1).collect();
        let (_, watcher) = table.insert(|pid| Arc::new(TestProcess::with_pid(pid))).unwrap();
        for pair in chain.windows(2) {
            signals.link(&table, &pair[0], pair[1].pid());
        }
        let reference = signals.monitor(&table, &watcher, chain[0].pid());
        let crash = ExitReason::Custom(b"x".to_vec());
        for process in &chain {
            depart(&signals, &table, process, &crash);
        }
        assert_eq!(watcher.received(), [Received::down(reference, chain[0].pid(), &crash)]);
    }
}
