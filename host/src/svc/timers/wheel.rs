//! A hierarchical timing wheel (the design of tokio's and of Erlang's timer
//! wheels): insertion and expiry in O(1), whatever the number of pending
//! timers.
//!
//! Time is counted in ticks of 1 ms from the timer table's epoch. The wheel
//! has 6 levels of 64 slots; a slot of level `L` spans `64^L` ticks, so the
//! levels cover 64 ms, 4 s, 4.5 min, 4.8 h, 12.7 days and 2.2 years. An
//! entry goes to the lowest level whose current rotation holds its tick;
//! when the wheel's time reaches a slot of a higher level, the slot's
//! entries cascade to lower levels (each entry moves at most 5 times). An
//! entry due more than 2.2 years ahead waits in a small heap until it fits.
//!
//! Entries due at the current tick or before are in `due`, in firing order:
//! by due tick (a deadline counts as due at the first whole millisecond at
//! or after it), then in creation order. An entry is never fired before its
//! deadline: a tick is processed once the clock has reached it.
//!
//! Every slot's entries stay in creation order (a slot first receives the
//! entries that cascade into it, in order, then the ones inserted directly,
//! which are newer), so putting a tick in order costs a linear pass.

use std::collections::{BinaryHeap, VecDeque};

const LEVEL_BITS: usize = 6;
const LEVEL_SLOTS: usize = 1 << LEVEL_BITS;
const LEVELS: usize = 6;
/// Ticks the levels cover (2^36 ms: about 2.2 years).
const MAX_TICKS: u64 = 1 << (LEVEL_BITS * LEVELS);
/// Nanoseconds per tick.
pub(super) const TICK: u64 = 1_000_000;

/// A timer as the wheel knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    /// Nanoseconds from the epoch.
    pub(super) deadline: u64,
    /// Creation order, for ties.
    pub(super) sequence: u64,
    pub(super) reference: u64,
}

impl Entry {
    /// The first tick at or after the deadline: the entry is due once the
    /// clock has reached it.
    fn tick(&self) -> u64 {
        self.deadline.div_ceil(TICK)
    }

    /// The firing order: by due tick, then creation.
    fn order(&self) -> (u64, u64) {
        (self.tick(), self.sequence)
    }
}

/// A far entry, ordered by its firing order (the heap's top is the first).
#[derive(Clone, Copy, PartialEq, Eq)]
struct Far(Entry);

impl Ord for Far {
    fn cmp(&self, other: &Far) -> std::cmp::Ordering {
        other.0.order().cmp(&self.0.order())
    }
}

impl PartialOrd for Far {
    fn partial_cmp(&self, other: &Far) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

struct Level {
    occupied: u64,
    slots: [Vec<Entry>; LEVEL_SLOTS],
}

/// A slot of a level that holds entries, and the tick it starts at.
struct Expiration {
    level: usize,
    slot: usize,
    tick: u64,
}

fn slot_ticks(level: usize) -> u64 {
    1 << (LEVEL_BITS * level)
}

fn level_ticks(level: usize) -> u64 {
    1 << (LEVEL_BITS * (level + 1))
}

fn slot_for(tick: u64, level: usize) -> usize {
    ((tick >> (level * LEVEL_BITS)) % LEVEL_SLOTS as u64) as usize
}

/// The level for an entry due at `tick` when the wheel's time is `now`
/// (`tick > now`): the highest bit in which they differ.
fn level_for(now: u64, tick: u64) -> usize {
    let masked = (now ^ tick) | (LEVEL_SLOTS as u64 - 1);
    if masked >= MAX_TICKS {
        return LEVELS - 1;
    }
    masked.ilog2() as usize / LEVEL_BITS
}

impl Level {
    fn new() -> Level {
        Level { occupied: 0, slots: std::array::from_fn(|_| Vec::new()) }
    }

    /// The first occupied slot at or after `now`'s (the slot holding `now`
    /// itself last: it can only hold entries a whole rotation ahead).
    fn next_expiration(&self, level: usize, now: u64) -> Option<Expiration> {
        if self.occupied == 0 {
            return None;
        }
        let now_slot = (now / slot_ticks(level)) % LEVEL_SLOTS as u64 + 1;
        let occupied = self.occupied.rotate_right(now_slot as u32);
        let slot = (occupied.trailing_zeros() as usize + now_slot as usize) % LEVEL_SLOTS;
        let start = now & !(level_ticks(level) - 1);
        let mut tick = start + slot as u64 * slot_ticks(level);
        if tick <= now {
            tick += level_ticks(level);
        }
        Some(Expiration { level, slot, tick })
    }

    fn add(&mut self, level: usize, entry: Entry, tick: u64) {
        let slot = slot_for(tick, level);
        self.slots[slot].push(entry);
        self.occupied |= 1 << slot;
    }

    fn take(&mut self, slot: usize) -> Vec<Entry> {
        self.occupied &= !(1 << slot);
        std::mem::take(&mut self.slots[slot])
    }
}

pub(super) struct Wheel {
    /// The wheel's time, in ticks: every entry of the levels is due after
    /// it.
    now: u64,
    levels: Box<[Level; LEVELS]>,
    /// Entries due, in firing order.
    due: VecDeque<Entry>,
    /// Entries due more than `MAX_TICKS` after `now`.
    far: BinaryHeap<Far>,
    len: usize,
}

impl Wheel {
    pub(super) fn new() -> Wheel {
        Wheel {
            now: 0,
            levels: Box::new(std::array::from_fn(|_| Level::new())),
            due: VecDeque::new(),
            far: BinaryHeap::new(),
            len: 0,
        }
    }

    /// Entries held (some may name timers cancelled since). Only the tests
    /// ask, and they are off under loom.
    #[cfg(all(test, not(feature = "loom")))]
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// Adds an entry; `immediate` makes it due at once (a timer of 0 ms).
    pub(super) fn insert(&mut self, entry: Entry, immediate: bool) {
        self.len += 1;
        self.place(entry, immediate);
    }

    fn place(&mut self, entry: Entry, immediate: bool) {
        let tick = entry.tick();
        if immediate || tick <= self.now {
            // Usually the last in order; a clock read just before a tick
            // was processed can make it a little earlier.
            let at = self.due.partition_point(|e| e.order() < entry.order());
            self.due.insert(at, entry);
        } else if tick - self.now >= MAX_TICKS {
            self.far.push(Far(entry));
        } else {
            let level = level_for(self.now, tick);
            self.levels[level].add(level, entry, tick);
        }
    }

    fn next_expiration(&self) -> Option<Expiration> {
        self.levels.iter().enumerate().find_map(|(level, l)| l.next_expiration(level, self.now))
    }

    /// The next entry due at `now` (ns from the epoch), in firing order.
    pub(super) fn pop_due(&mut self, now: u64) -> Option<Entry> {
        if self.due.is_empty() {
            self.advance(now / TICK);
        }
        let Some(entry) = self.due.pop_front() else {
            if self.due.capacity() > 4096 {
                // A burst is over: give its memory back.
                self.due = VecDeque::new();
            }
            return None;
        };
        self.len -= 1;
        Some(entry)
    }

    /// Moves the wheel's time up to `until` (ticks), or less if some
    /// entries come due first.
    fn advance(&mut self, until: u64) {
        loop {
            while let Some(Far(entry)) = self.far.peek()
                && entry.tick().saturating_sub(self.now) < MAX_TICKS
            {
                let entry = *entry;
                self.far.pop();
                self.place(entry, false);
            }
            if !self.due.is_empty() {
                return;
            }
            let Some(expiration) = self.next_expiration().filter(|e| e.tick <= until) else {
                self.now = self.now.max(until);
                return;
            };
            self.now = self.now.max(expiration.tick);
            // The slot's entries due now are a whole tick (no other level
            // holds entries of that tick): put them in order. The others
            // cascade to lower levels.
            let mut ready = Vec::new();
            for entry in self.levels[expiration.level].take(expiration.slot) {
                if entry.tick() <= self.now {
                    ready.push(entry);
                } else {
                    self.place(entry, false);
                }
            }
            // Already in order but for rare cases (see the module docs):
            // a linear check.
            ready.sort_by_key(Entry::order);
            self.due.extend(ready);
        }
    }

    /// When the next entry is due, in ns from the epoch (`u64::MAX`: none);
    /// 0 when some are due now.
    pub(super) fn next_due(&self) -> u64 {
        if !self.due.is_empty() {
            return 0;
        }
        let wheel = self.next_expiration().map(|e| e.tick);
        let far = self.far.peek().map(|Far(e)| e.tick());
        match wheel.into_iter().chain(far).min() {
            Some(tick) => tick.saturating_mul(TICK),
            None => u64::MAX,
        }
    }

    /// Keeps only the entries `keep` says to keep.
    pub(super) fn retain(&mut self, mut keep: impl FnMut(&Entry) -> bool) {
        for level in self.levels.iter_mut() {
            for slot in 0..LEVEL_SLOTS {
                level.slots[slot].retain(&mut keep);
                if level.slots[slot].is_empty() {
                    level.occupied &= !(1 << slot);
                    level.slots[slot] = Vec::new();
                }
            }
        }
        self.due.retain(&mut keep);
        self.far.retain(|Far(e)| keep(e));
        self.len = self.levels.iter().flat_map(|l| l.slots.iter()).map(Vec::len).sum::<usize>()
            + self.due.len()
            + self.far.len();
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;

    fn entry(deadline: u64, sequence: u64) -> Entry {
        Entry { deadline, sequence, reference: sequence }
    }

    /// Everything due at `now` ns, as sequences.
    fn due(wheel: &mut Wheel, now: u64) -> Vec<u64> {
        std::iter::from_fn(|| wheel.pop_due(now)).map(|e| e.sequence).collect()
    }

    #[test]
    fn entries_come_due_by_tick_then_in_creation_order() {
        let mut wheel = Wheel::new();
        let deadlines = [5 * TICK, 3 * TICK + 7, 3 * TICK + 7, 900 * TICK, 3 * TICK, 70_000 * TICK, 3 * TICK + 7];
        for (sequence, deadline) in deadlines.iter().enumerate() {
            wheel.insert(entry(*deadline, sequence as u64), false);
        }
        assert_eq!(wheel.next_due(), 3 * TICK);
        assert_eq!(due(&mut wheel, 3 * TICK), [4], "3 ms exactly is due at 3 ms");
        assert_eq!(wheel.next_due(), 4 * TICK, "3 ms + 7 ns is due once tick 4 begins");
        assert_eq!(due(&mut wheel, 4 * TICK - 1), Vec::<u64>::new(), "never early");
        assert_eq!(due(&mut wheel, 10 * TICK), [1, 2, 6, 0]);
        assert_eq!(due(&mut wheel, 100_000 * TICK), [3, 5]);
        assert_eq!(wheel.len(), 0);
        assert_eq!(wheel.next_due(), u64::MAX);
    }

    #[test]
    fn every_level_and_the_far_heap_deliver_at_the_right_tick() {
        let mut wheel = Wheel::new();
        let ticks: Vec<u64> = (0..=7).map(|level| (1u64 << (6 * level)) + 10).collect();
        for (sequence, tick) in ticks.iter().enumerate() {
            wheel.insert(entry(tick * TICK, sequence as u64), false);
        }
        for (sequence, tick) in ticks.iter().enumerate() {
            assert!(wheel.next_due() / TICK <= *tick);
            assert_eq!(due(&mut wheel, tick * TICK - 1), Vec::<u64>::new(), "tick {tick}: not yet");
            assert_eq!(due(&mut wheel, tick * TICK), [sequence as u64], "tick {tick}");
        }
    }

    #[test]
    fn a_sparse_wheel_jumps_ahead_and_still_orders_random_deadlines() {
        let mut wheel = Wheel::new();
        let mut state = 0x2545F4914F6CDD1Du64;
        let mut deadlines = Vec::new();
        for sequence in 0..5000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let deadline = state % (10_000_000 * TICK);
            deadlines.push((deadline.div_ceil(TICK), sequence));
            wheel.insert(entry(deadline, sequence), false);
        }
        deadlines.sort();
        let mut got = Vec::new();
        let mut now = 0;
        while got.len() < deadlines.len() {
            now = wheel.next_due().max(now);
            got.extend(due(&mut wheel, now));
        }
        assert_eq!(got, deadlines.iter().map(|d| d.1).collect::<Vec<_>>());
    }

    #[test]
    fn immediate_and_late_entries_join_the_due_ones_in_order() {
        let mut wheel = Wheel::new();
        wheel.insert(entry(10 * TICK, 0), false);
        assert_eq!(due(&mut wheel, 20 * TICK), [0]);
        wheel.insert(entry(20 * TICK + 5, 1), true);
        wheel.insert(entry(15 * TICK, 2), false); // its tick has passed
        assert_eq!(due(&mut wheel, 20 * TICK), [2, 1], "by due tick");
        wheel.insert(entry(30 * TICK + 5, 3), false);
        wheel.insert(entry(30 * TICK + 1, 4), false);
        assert_eq!(due(&mut wheel, 31 * TICK), [3, 4], "in creation order within a tick");
    }

    #[test]
    fn retain_drops_entries_everywhere() {
        let mut wheel = Wheel::new();
        for sequence in 0..200u64 {
            wheel.insert(entry(sequence * 1000 * TICK, sequence), sequence == 0);
        }
        wheel.insert(entry(MAX_TICKS * 3 * TICK, 1000), false);
        wheel.retain(|e| e.sequence % 2 == 1);
        assert_eq!(wheel.len(), 100);
        let got = due(&mut wheel, u64::MAX);
        assert_eq!(got, (0..200).filter(|s| s % 2 == 1).collect::<Vec<_>>());
        assert_eq!(wheel.len(), 0);
    }
}
