//! Timers: `send_after`, `cancel_timer`, `read_timer`, as Erlang's.
//!
//! The pending timers of a node live in one table, under one short lock:
//! - a slab of timers: a reference names its slot and that slot's
//!   generation, so a reference is never reused and finds its timer without
//!   hashing;
//! - a hierarchical timing wheel of (deadline, creation sequence,
//!   reference) (see `wheel.rs`), which gives the firing order: by due
//!   time, ties in creation order, in O(1) per timer;
//! - for each destination pid, the list of its timers (linked through the
//!   slab), so that a process's exit cancels the timers aimed at it, as
//!   Erlang does.
//!
//! One task on the node's timer runtime (the thread that also drives
//! `receive` timeouts) sleeps until the earliest deadline, takes every due
//! timer out of the table, and sends their messages in that order.
//!
//! Firing and cancelling both take the timer out of the table under the
//! lock: whichever comes first wins, so a cancel racing the firing gets a
//! consistent answer (time left and no message, or "no such timer" and the
//! message is sent). Cancelling leaves the wheel's entry behind; it is
//! skipped when it comes up, and the wheel is compacted when such dead
//! entries outnumber the live ones.

mod wheel;

use super::Member;
use super::host_memory::HostMemory;
use super::names::Names;
use super::process_table::ProcessTable;
use crate::base::pid::Pid;
use std::collections::HashMap;
use std::future::poll_fn;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};
use wheel::{Entry, Wheel};

/// Bits of a reference that name the slot; the bits above are the slot's
/// generation (from 1), so references are positive `i64`s, never 0.
const SLOT_BITS: u32 = 28;
const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;
/// "No slot" in the destination lists.
const NONE: u32 = u32::MAX;
/// Most timers the driver takes out of the table in one go (it sends them
/// outside the lock, then comes back for more).
const BATCH: usize = 1024;
/// Dead wheel entries tolerated before a compaction is considered.
const COMPACT_AFTER: usize = 4096;
/// Slots the slab keeps when no timer is pending; beyond, it is freed.
const SHRINK_AFTER: usize = 4096;

/// Where a timer's message goes.
pub(crate) enum Destination {
    /// A pid.
    Pid(Pid),
    /// A registered name, looked up when the timer fires (as Erlang does).
    Name(String),
    /// Not a message: the receive timeout of a process. Firing records the
    /// timer's tag (the receive's sequence number) in the process and wakes
    /// it (see `process/receive.rs`).
    Wake(Pid),
}

/// A pending timer.
pub(crate) struct Timer {
    /// Nanoseconds from the table's epoch.
    deadline: u64,
    from: Pid,
    to: Destination,
    tag: i64,
    data: Box<[u8]>,
    /// Neighbours in the list of timers to the same pid (slots, or NONE).
    prev: u32,
    next: u32,
}

struct Slot {
    generation: u64,
    timer: Option<Timer>,
}

/// Everything behind the lock.
struct Table {
    slots: Vec<Slot>,
    free: Vec<u32>,
    live: usize,
    /// Generation of the slots made from now on, above every generation
    /// ever used (so no old reference names a timer of a new slot).
    first_generation: u64,
    /// The highest generation used so far.
    last_generation: u64,
    /// The firing order.
    wheel: Wheel,
    sequence: u64,
    /// Wheel entries whose timer is gone (cancelled).
    dead: usize,
    /// First slot of the list of timers to each pid that has some.
    by_pid: HashMap<Pid, u32>,
    /// The driver task runs.
    started: bool,
    /// The node stopped: the driver ends, no timer is kept.
    stopped: bool,
    /// Set by an insert that comes before the driver's next wake-up.
    woken: bool,
    waker: Option<Waker>,
    /// The deadline the driver sleeps until (`u64::MAX`: none).
    sleeping_until: u64,
}

/// The state the driver task shares with the node.
struct Inner {
    epoch: Instant,
    table: Mutex<Table>,
}

/// Who sends the messages of fired timers: the owner of the process table
/// and the names (see [`deliver`]).
pub(crate) trait Fire: Send + Sync + 'static {
    /// Sends the messages of `due` timers, in order, and empties it.
    fn fire(&self, due: &mut Vec<Timer>);
}

/// The pending timers of a node.
pub(crate) struct Timers {
    inner: Arc<Inner>,
    runtime: tokio::runtime::Handle,
    /// Where the driver hands fired timers (held weakly: the driver must not
    /// keep the node alive).
    fire: Weak<dyn Fire>,
    /// The node's count of memory held for guests: pending timers' payloads
    /// are in it.
    memory: Arc<HostMemory>,
    /// Counts the references handed out for timers that never existed.
    unissued: AtomicU64,
}

fn reference(slot: u32, generation: u64) -> u64 {
    (generation << SLOT_BITS) | u64::from(slot)
}

impl Table {
    fn new() -> Table {
        Table {
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            first_generation: 1,
            last_generation: 1,
            wheel: Wheel::new(),
            sequence: 0,
            dead: 0,
            by_pid: HashMap::new(),
            started: false,
            stopped: false,
            woken: false,
            waker: None,
            sleeping_until: u64::MAX,
        }
    }

    fn timer_mut(&mut self, slot: u32) -> &mut Timer {
        self.slots[slot as usize].timer.as_mut().expect("a linked slot holds a timer")
    }

    /// The slot of pending timer `reference`.
    fn find(&self, reference: u64) -> Option<u32> {
        let slot = (reference & SLOT_MASK) as u32;
        let entry = self.slots.get(slot as usize)?;
        (entry.generation == reference >> SLOT_BITS && entry.timer.is_some()).then_some(slot)
    }

    /// Stores `timer` (`immediate`: due at once); returns its reference, or
    /// `None` if every slot is taken.
    fn insert(&mut self, mut timer: Timer, immediate: bool) -> Option<u64> {
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None if (self.slots.len() as u64) < SLOT_MASK => {
                self.slots.push(Slot { generation: self.first_generation, timer: None });
                (self.slots.len() - 1) as u32
            }
            None => return None,
        };
        if let Destination::Pid(pid) | Destination::Wake(pid) = timer.to {
            let head = self.by_pid.insert(pid, slot).unwrap_or(NONE);
            timer.next = head;
            if head != NONE {
                self.timer_mut(head).prev = slot;
            }
        }
        let reference = reference(slot, self.slots[slot as usize].generation);
        self.sequence += 1;
        self.wheel.insert(Entry { deadline: timer.deadline, sequence: self.sequence, reference }, immediate);
        self.slots[slot as usize].timer = Some(timer);
        self.live += 1;
        Some(reference)
    }

    /// Takes pending timer `reference` out of the table.
    fn take(&mut self, reference: u64) -> Option<Timer> {
        let slot = self.find(reference)?;
        let entry = &mut self.slots[slot as usize];
        let timer = entry.timer.take()?;
        // The next timer in this slot gets a new reference.
        entry.generation += 1;
        self.last_generation = self.last_generation.max(entry.generation);
        self.free.push(slot);
        self.live -= 1;
        if let Destination::Pid(pid) | Destination::Wake(pid) = timer.to {
            match timer.prev {
                NONE if timer.next == NONE => drop(self.by_pid.remove(&pid)),
                NONE => drop(self.by_pid.insert(pid, timer.next)),
                prev => self.timer_mut(prev).next = timer.next,
            }
            if timer.next != NONE {
                self.timer_mut(timer.next).prev = timer.prev;
            }
        }
        if self.live == 0 && self.slots.len() > SHRINK_AFTER {
            // A burst of timers is over: give its memory back.
            self.first_generation = self.last_generation + 1;
            self.slots = Vec::new();
            self.free = Vec::new();
            self.by_pid = HashMap::new();
        }
        Some(timer)
    }

    /// Takes a timer out for a cancel (its wheel entry stays, dead).
    fn cancel(&mut self, reference: u64) -> Option<Timer> {
        let timer = self.take(reference)?;
        self.dead += 1;
        if self.dead > COMPACT_AFTER && self.dead > self.live {
            let slots = &self.slots;
            self.wheel.retain(|e| {
                let r = e.reference;
                slots.get((r & SLOT_MASK) as usize).is_some_and(|s| s.generation == r >> SLOT_BITS && s.timer.is_some())
            });
            self.dead = 0;
        }
        Some(timer)
    }

    /// Moves the timers due at `now` (at most `BATCH`) to `batch`, in
    /// firing order, and records when the driver must look again.
    fn take_due(&mut self, now: u64, batch: &mut Vec<Timer>) {
        while batch.len() < BATCH {
            let Some(entry) = self.wheel.pop_due(now) else { break };
            match self.take(entry.reference) {
                Some(timer) => batch.push(timer),
                None => self.dead = self.dead.saturating_sub(1),
            }
        }
        self.sleeping_until = if batch.len() == BATCH { now } else { self.wheel.next_due() };
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Nanoseconds from the epoch to now.
    fn now(&self) -> u64 {
        self.epoch.elapsed().as_nanos().min(u128::from(u64::MAX - 1)) as u64
    }

    fn left(&self, deadline: u64) -> Duration {
        Duration::from_nanos(deadline.saturating_sub(self.now()))
    }

    /// Waits until `deadline` (`u64::MAX`: forever), an earlier insert, or
    /// the node's stop.
    async fn wait(&self, deadline: u64) {
        let at = (deadline != u64::MAX).then(|| self.epoch.checked_add(Duration::from_nanos(deadline))).flatten();
        let mut sleep = at.map(|at| Box::pin(tokio::time::sleep_until(at.into())));
        poll_fn(|cx| {
            {
                let mut table = self.lock();
                if table.stopped || std::mem::take(&mut table.woken) {
                    return Poll::Ready(());
                }
                if !table.waker.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    table.waker = Some(cx.waker().clone());
                }
            }
            match sleep.as_mut() {
                Some(sleep) => sleep.as_mut().poll(cx),
                None => Poll::Pending,
            }
        })
        .await
    }
}

/// The driver: sends due timers, sleeps until the next one.
async fn drive(inner: Arc<Inner>, fire: Weak<dyn Fire>, memory: Arc<HostMemory>) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let next = {
            let mut table = inner.lock();
            if table.stopped {
                return;
            }
            table.take_due(inner.now(), &mut batch);
            table.sleeping_until
        };
        // Fired, the payloads become messages, counted as such.
        memory.release(batch.iter().map(|timer| timer.data.len()).sum());
        let Some(fire) = fire.upgrade() else { return };
        fire.fire(&mut batch);
        drop(fire);
        if next <= inner.now() {
            // More are due: let the runtime's other work in first.
            tokio::task::yield_now().await;
        } else {
            inner.wait(next).await;
        }
    }
}

impl Timers {
    /// The timers of a node whose timer thread is `runtime`'s; fired timers
    /// go to `fire`.
    pub(crate) fn new(runtime: tokio::runtime::Handle, fire: Weak<dyn Fire>, memory: Arc<HostMemory>) -> Timers {
        let inner = Arc::new(Inner { epoch: Instant::now(), table: Mutex::new(Table::new()) });
        Timers { inner, runtime, fire, memory, unissued: AtomicU64::new(0) }
    }

    /// A positive reference that names no timer, ever: generation 0 is never
    /// issued.
    fn unissued_reference(&self) -> u64 {
        1 + self.unissued.fetch_add(1, Ordering::Relaxed) % (SLOT_MASK - 1)
    }

    /// Cancels timer `reference`: the time that was left, or `None` if it has
    /// fired, was cancelled, or never existed.
    pub(crate) fn cancel(&self, reference: u64) -> Option<Duration> {
        let timer = self.inner.lock().cancel(reference)?;
        self.memory.release(timer.data.len());
        Some(self.inner.left(timer.deadline))
    }

    /// The time left on timer `reference`, if it is pending.
    pub(crate) fn read(&self, reference: u64) -> Option<Duration> {
        let deadline = {
            let table = self.inner.lock();
            let slot = table.find(reference)?;
            table.slots[slot as usize].timer.as_ref()?.deadline
        };
        Some(self.inner.left(deadline))
    }

    /// Cancels every timer aimed at `pid` (it exited).
    pub(crate) fn cancel_all_to(&self, pid: Pid) {
        let mut dropped = Vec::new();
        {
            let mut table = self.inner.lock();
            while let Some(&head) = table.by_pid.get(&pid) {
                let reference = reference(head, table.slots[head as usize].generation);
                dropped.extend(table.cancel(reference));
            }
        }
        self.memory.release(dropped.iter().map(|timer| timer.data.len()).sum());
        drop(dropped); // payloads are freed outside the lock
    }

    /// When the node's clock started (its timers count from there; WASI's
    /// monotonic clock does too).
    pub(crate) fn epoch(&self) -> Instant {
        self.inner.epoch
    }

    /// Number of pending timers.
    pub(crate) fn pending(&self) -> usize {
        self.inner.lock().live
    }

    /// Cancels every timer and stops the driver (node shutdown).
    pub(crate) fn clear(&self) {
        let (slots, waker) = {
            let mut table = self.inner.lock();
            table.stopped = true;
            table.wheel = Wheel::new();
            table.by_pid = HashMap::new();
            table.free = Vec::new();
            table.live = 0;
            (std::mem::take(&mut table.slots), table.waker.take())
        };
        let held = slots.iter().filter_map(|slot| slot.timer.as_ref()).map(|timer| timer.data.len()).sum();
        self.memory.release(held);
        drop(slots);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Timers {
    /// Sends `tag`/`data` from `from` to `destination` after `after`; returns
    /// the timer reference, or `None` if the node holds as many timers as it
    /// can. A timer to a pid that is not alive is never pending (its
    /// reference reads as fired).
    pub(crate) fn send_after<P: Member>(
        &self,
        table: &ProcessTable<P>,
        from: Pid,
        destination: Destination,
        tag: i64,
        data: Box<[u8]>,
        after: Duration,
    ) -> Option<u64> {
        let inner = &self.inner;
        let target = match &destination {
            Destination::Pid(pid) | Destination::Wake(pid) => match table.get(*pid) {
                Some(process) => Some(process),
                // A dead destination: a reference that names no timer.
                None => return Some(self.unissued_reference()),
            },
            Destination::Name(_) => None,
        };
        let deadline = inner.now().saturating_add(after.as_nanos().min(u128::from(u64::MAX)) as u64).min(u64::MAX - 1);
        let timer = Timer { deadline, from, to: destination, tag, data, prev: NONE, next: NONE };
        let (reference, wake, start) = {
            let mut table = inner.lock();
            if table.stopped {
                return None;
            }
            // Checked under the timer lock: a process marks itself done
            // before it cancels its timers (`cancel_all_to`, which takes
            // this lock), so either it is done now and gets no timer, or its
            // cancel comes after this insert and finds it.
            if target.as_ref().is_some_and(|p| p.is_done()) {
                return Some(self.unissued_reference());
            }
            let held = timer.data.len();
            let reference = table.insert(timer, after.is_zero())?;
            // The payload is the host's to hold until the timer fires or is
            // cancelled.
            self.memory.charge(held);
            let wake = deadline < table.sleeping_until;
            if wake {
                table.woken = true;
            }
            let start = !std::mem::replace(&mut table.started, true);
            (reference, wake.then(|| table.waker.take()).flatten(), start)
        };
        if start {
            self.runtime.spawn(drive(inner.clone(), self.fire.clone(), self.memory.clone()));
        }
        if let Some(waker) = wake {
            waker.wake();
        }
        Some(reference)
    }

    /// Arms the receive timeout number `sequence` of `pid`: after `after` the
    /// process is told that timeout fired ([`Member::timeout_fired`]).
    /// Returns the timer reference (to cancel it when a message comes first).
    pub(crate) fn wake_after<P: Member>(
        &self,
        table: &ProcessTable<P>,
        pid: Pid,
        sequence: u64,
        after: Duration,
    ) -> Option<u64> {
        self.send_after(table, pid, Destination::Wake(pid), sequence as i64, Box::new([]), after)
    }
}

/// Sends the messages of fired timers, in order: to pids through `table`,
/// to names looked up in `names` now. The messages to one process in a row
/// are queued before it is woken, once: a wake need only follow the
/// messages it announces (see `process/run_state.rs`).
pub(crate) fn deliver<P: Member>(table: &ProcessTable<P>, names: &Names, batch: &mut Vec<Timer>) {
    let mut current: Option<Arc<P>> = None;
    let mut queued = false;
    for timer in batch.drain(..) {
        let to = match timer.to {
            Destination::Pid(pid) => Some(pid),
            Destination::Name(name) => names.whereis(&name),
            Destination::Wake(pid) => {
                if let Some(process) = table.get(pid) {
                    process.timeout_fired(timer.tag as u64);
                }
                continue;
            }
        };
        let Some(to) = to else { continue };
        if current.as_ref().is_none_or(|p| p.pid() != to) {
            if let Some(process) = current.as_ref().filter(|_| queued) {
                process.wake();
            }
            current = table.get(to);
            queued = false;
        }
        let Some(process) = current.as_ref() else { continue };
        // Woken once the messages to it in a row are queued.
        queued |= process.enqueue(timer.from, timer.tag, &timer.data);
    }
    if let Some(process) = current.as_ref().filter(|_| queued) {
        process.wake();
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::wheel::TICK;
    use super::*;

    fn timer(deadline: u64, to: Destination, tag: i64) -> Timer {
        Timer { deadline, from: Pid::new(1, 1), to, tag, data: Box::new([]), prev: NONE, next: NONE }
    }

    fn name() -> Destination {
        Destination::Name("n".into())
    }

    fn due(table: &mut Table, now: u64) -> Vec<i64> {
        let mut batch = Vec::new();
        table.take_due(now, &mut batch);
        batch.iter().map(|t| t.tag).collect()
    }

    #[test]
    fn timers_fire_by_deadline_then_in_creation_order() {
        let mut table = Table::new();
        for (ms, tag) in [(30, 0), (10, 1), (20, 2), (10, 3), (20, 4), (10, 5)] {
            table.insert(timer(ms * TICK, name(), tag), false).unwrap();
        }
        assert_eq!(due(&mut table, 15 * TICK), [1, 3, 5]);
        assert_eq!(table.sleeping_until, 20 * TICK);
        assert_eq!(due(&mut table, 100 * TICK), [2, 4, 0]);
        assert_eq!(table.sleeping_until, u64::MAX);
        assert_eq!(table.live, 0);
    }

    #[test]
    fn a_reference_names_one_timer_and_is_never_reused() {
        let mut table = Table::new();
        let first = table.insert(timer(10 * TICK, name(), 1), false).unwrap();
        assert!(first > 0);
        assert!(table.cancel(first).is_some());
        assert!(table.cancel(first).is_none(), "cancelled twice");
        let second = table.insert(timer(10 * TICK, name(), 2), false).unwrap();
        assert_eq!(first & SLOT_MASK, second & SLOT_MASK, "the slot is reused");
        assert_ne!(first, second, "with a new reference");
        assert!(table.find(first).is_none());
        assert!(table.cancel(first).is_none(), "a stale reference cancels nothing");
        // The cancelled timer's wheel entry is skipped.
        assert_eq!(due(&mut table, 10 * TICK), [2]);
        assert_eq!(table.dead, 0);
    }

    #[test]
    fn the_timers_to_a_pid_are_listed_and_cancelled_together() {
        let mut table = Table::new();
        let (a, b) = (Pid::new(1, 1), Pid::new(2, 1));
        let refs: Vec<u64> = (0..5)
            .map(|i| {
                table.insert(timer(10 * TICK, Destination::Pid(if i % 2 == 0 { a } else { b }), i), false).unwrap()
            })
            .collect();
        // Unlink from the middle, then the rest of a's list from its head.
        table.cancel(refs[2]).unwrap();
        let mut rest = Vec::new();
        while let Some(&head) = table.by_pid.get(&a) {
            let reference = reference(head, table.slots[head as usize].generation);
            rest.push(table.cancel(reference).unwrap().tag);
        }
        rest.sort();
        assert_eq!(rest, [0, 4]);
        assert!(!table.by_pid.contains_key(&a));
        assert_eq!(table.live, 2);
        assert_eq!(due(&mut table, 10 * TICK), [1, 3], "b's timers are untouched");
        assert!(table.by_pid.is_empty());
    }

    #[test]
    fn the_slab_is_freed_after_a_burst_and_old_references_stay_dead() {
        let mut table = Table::new();
        let refs: Vec<u64> =
            (0..2 * SHRINK_AFTER as i64).map(|i| table.insert(timer(10 * TICK, name(), i), false).unwrap()).collect();
        table.cancel(refs[0]).unwrap();
        assert_eq!(due(&mut table, 10 * TICK).len(), BATCH);
        while !due(&mut table, 10 * TICK).is_empty() {}
        assert_eq!(table.live, 0);
        assert!(table.slots.is_empty(), "the slab was freed");
        let fresh = table.insert(timer(20 * TICK, name(), 7), false).unwrap();
        for old in &refs {
            assert_ne!(*old, fresh);
            assert!(table.find(*old).is_none(), "an old reference names nothing");
        }
        assert!(table.find(fresh).is_some());
    }

    #[test]
    fn dead_wheel_entries_are_compacted_once_they_outnumber_live_ones() {
        let mut table = Table::new();
        let refs: Vec<u64> =
            (0..3 * COMPACT_AFTER as i64).map(|i| table.insert(timer(10 * TICK, name(), i), false).unwrap()).collect();
        for reference in &refs[..2 * COMPACT_AFTER] {
            table.cancel(*reference).unwrap();
        }
        assert!(table.wheel.len() < 2 * COMPACT_AFTER, "compacted: {} entries", table.wheel.len());
        assert_eq!(due(&mut table, 10 * TICK).len(), BATCH, "a batch at most");
        assert_eq!(table.sleeping_until, 10 * TICK, "more are due at once");
    }

    #[test]
    fn fired_timers_go_to_pids_and_to_whoever_holds_a_name_when_they_fire() {
        use crate::svc::tests::{Received, table_of};
        let (table, [a, b]) = table_of();
        let names = Names::default();
        names.register(&table, "n", b.pid()).unwrap();
        let from = Pid::new(9, 1);
        let mut batch = vec![
            Timer {
                deadline: 0,
                from,
                to: Destination::Pid(a.pid()),
                tag: 1,
                data: Box::new([1]),
                prev: NONE,
                next: NONE,
            },
            Timer {
                deadline: 0,
                from,
                to: Destination::Pid(a.pid()),
                tag: 2,
                data: Box::new([2]),
                prev: NONE,
                next: NONE,
            },
            Timer { deadline: 0, from, to: name(), tag: 3, data: Box::new([3]), prev: NONE, next: NONE },
            Timer {
                deadline: 0,
                from,
                to: Destination::Name("nobody".into()),
                tag: 4,
                data: Box::new([]),
                prev: NONE,
                next: NONE,
            },
            Timer {
                deadline: 0,
                from,
                to: Destination::Wake(a.pid()),
                tag: 7,
                data: Box::new([]),
                prev: NONE,
                next: NONE,
            },
        ];
        deliver(&table, &names, &mut batch);
        assert!(batch.is_empty());
        assert_eq!(a.received(), [Received::message(from, 1, &[1]), Received::message(from, 2, &[2])]);
        assert_eq!(b.received(), [Received::message(from, 3, &[3])]);
        assert_eq!(a.wakes(), 2, "one wake for the two messages in a row, one for the timeout");
        assert_eq!(a.fired_timeout(), Some(7));
    }

    #[test]
    fn a_timer_to_a_dead_pid_is_never_pending() {
        use crate::svc::tests::table_of;
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let (table, [a]) = table_of();
        struct Nowhere;
        impl Fire for Nowhere {
            fn fire(&self, due: &mut Vec<Timer>) {
                due.clear();
            }
        }
        let fire: Arc<dyn Fire> = Arc::new(Nowhere);
        let timers =
            Timers::new(runtime.handle().clone(), Arc::downgrade(&fire), Arc::new(HostMemory::new(usize::MAX)));
        let dead = table.remove(a.pid()).unwrap().pid();
        let reference =
            timers.send_after(&table, dead, Destination::Pid(dead), 1, Box::new([]), Duration::from_secs(60));
        let reference = reference.expect("a reference");
        assert!(reference > 0);
        assert_eq!(timers.read(reference), None, "reads as fired");
        assert_eq!(timers.pending(), 0);
        timers.clear();
    }
}
