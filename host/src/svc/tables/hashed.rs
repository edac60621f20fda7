//! The map inside a shard of a set, bag or duplicate_bag: an open-addressing
//! hash table with linear probing whose entries are kept **sorted by
//! `(hash, key)`** (Amble and Knuth's ordered hash table).
//!
//! - An entry's home slot is given by the hash's high bits (below the bits
//!   that picked the shard), so home slots grow with the hash; each entry
//!   sits at or after its home, and the whole slot array is sorted. There is
//!   no wrap-around: slack slots after the last home take the overflow.
//! - A lookup scans from the home slot and stops at the first larger hash or
//!   empty slot: typically one or two slots, one or two cache lines.
//! - An insert shifts the run after its place right by one slot; a removal
//!   shifts the entries after it that are not at their home left by one.
//! - Because the order is by hash value, not by slot, it does not change
//!   when the table grows or shrinks: a `(hash, key)` is a stable cursor, so
//!   traversals resume after a key even while the table changes, and visit
//!   every key present throughout exactly once.

use super::bytes::{Bytes, compare};
use super::store::Values;
use std::cmp::Ordering;

/// One key and its values, with the key's hash.
pub(crate) struct Entry {
    pub(crate) hash: u64,
    pub(crate) key: Bytes,
    pub(crate) values: Values,
}

impl Entry {
    fn order(&self, hash: u64, key: &[u8]) -> Ordering {
        self.hash.cmp(&hash).then_with(|| compare(&self.key, key))
    }
}

/// Smallest table: 8 home slots.
const MIN_BITS: u32 = 3;

/// See the module docs.
pub(crate) struct HashIndex {
    slots: Vec<Option<Entry>>,
    /// log2 of the number of home slots.
    bits: u32,
    /// High hash bits already used to pick the shard.
    skip: u32,
    len: usize,
}

impl HashIndex {
    /// An empty table whose hashes all share their top `skip` bits.
    pub(crate) fn new(skip: u32) -> HashIndex {
        HashIndex { slots: Vec::new(), bits: 0, skip, len: 0 }
    }

    /// An empty table that stays empty (a stand-in).
    pub(crate) const fn empty() -> HashIndex {
        HashIndex { slots: Vec::new(), bits: 0, skip: 0, len: 0 }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    fn home(&self, hash: u64) -> usize {
        if self.bits == 0 { 0 } else { ((hash << self.skip) >> (64 - self.bits)) as usize }
    }

    /// `Ok(slot)` of the entry, or `Err(slot)` where it would go.
    fn find(&self, hash: u64, key: &[u8]) -> Result<usize, usize> {
        let mut i = self.home(hash);
        while let Some(Some(entry)) = self.slots.get(i) {
            match entry.order(hash, key) {
                Ordering::Less => i += 1,
                Ordering::Equal => return Ok(i),
                Ordering::Greater => return Err(i),
            }
        }
        Err(i)
    }

    pub(crate) fn get(&self, hash: u64, key: &[u8]) -> Option<&Values> {
        let i = self.find(hash, key).ok()?;
        self.slots[i].as_ref().map(|e| &e.values)
    }

    pub(crate) fn get_mut(&mut self, hash: u64, key: &[u8]) -> Option<&mut Values> {
        let i = self.find(hash, key).ok()?;
        self.slots[i].as_mut().map(|e| &mut e.values)
    }

    /// The values of a key, or `Err(slot)` where it would go (for
    /// [`HashIndex::insert_at`]): one probe for an insert or an update.
    pub(crate) fn slot_mut(&mut self, hash: u64, key: &[u8]) -> Result<&mut Values, usize> {
        match self.find(hash, key) {
            Ok(i) => self.slots[i].as_mut().map(|e| &mut e.values).ok_or(i),
            Err(at) => Err(at),
        }
    }

    /// Inserts an absent key at the slot `slot_mut` gave (nothing changed
    /// the table since).
    pub(crate) fn insert_at(&mut self, at: usize, hash: u64, key: Bytes, values: Values) {
        if (self.len + 1) * 4 > (1usize << self.bits) * 3 {
            return self.insert(hash, key, values);
        }
        match self.slots.get(at..).and_then(|run| run.iter().position(Option::is_none)) {
            Some(offset) => {
                self.slots[at..=at + offset].rotate_right(1);
                self.slots[at] = Some(Entry { hash, key, values });
                self.len += 1;
            }
            None => self.insert(hash, key, values),
        }
    }

    /// Inserts a key (callers insert absent keys; a present one has its
    /// values replaced).
    pub(crate) fn insert(&mut self, hash: u64, key: Bytes, values: Values) {
        if (self.len + 1) * 4 > (1usize << self.bits) * 3 {
            self.rebuild(self.bits + 1);
        }
        loop {
            let at = match self.find(hash, &key) {
                Ok(at) => {
                    self.slots[at] = Some(Entry { hash, key, values });
                    return;
                }
                Err(at) => at,
            };
            // The first empty slot from `at`: the run [at, empty) moves right.
            if let Some(offset) = self.slots.get(at..).and_then(|run| run.iter().position(Option::is_none)) {
                let empty = at + offset;
                self.slots[at..=empty].rotate_right(1);
                self.slots[at] = Some(Entry { hash, key, values });
                self.len += 1;
                return;
            }
            // No room before the end of the slack: grow, then retry.
            self.rebuild(self.bits + 1);
        }
    }

    /// Removes a key; returns its values.
    pub(crate) fn remove(&mut self, hash: u64, key: &[u8]) -> Option<Values> {
        let mut i = self.find(hash, key).ok()?;
        let entry = self.slots[i].take()?;
        // Shift back the entries after it that are not at their home.
        while let Some(Some(next)) = self.slots.get(i + 1) {
            if self.home(next.hash) > i {
                break;
            }
            self.slots.swap(i, i + 1);
            i += 1;
        }
        self.len -= 1;
        if self.bits > MIN_BITS && self.len * 8 < (1usize << self.bits) {
            self.rebuild(self.bits - 1);
        }
        Some(entry.values)
    }

    pub(crate) fn clear(&mut self) {
        *self = HashIndex::new(self.skip);
    }

    /// Re-lays the entries out for `2^bits` home slots (more if they do not
    /// fit the slack), in the same order.
    fn rebuild(&mut self, bits: u32) {
        let old = std::mem::take(&mut self.slots);
        self.bits = bits.max(MIN_BITS);
        // Each entry goes to its home or just after the previous one; grow
        // until that fits the slack after the last home.
        let size = |bits: u32| (1usize << bits) + (1usize << bits) / 64 + 32;
        loop {
            let mut next = 0;
            let fits = old.iter().flatten().all(|entry| {
                next = self.home(entry.hash).max(next) + 1;
                next <= size(self.bits)
            });
            if fits {
                break;
            }
            self.bits += 1;
        }
        let mut slots: Vec<Option<Entry>> = Vec::with_capacity(size(self.bits));
        advise_huge_pages(&slots);
        slots.resize_with(size(self.bits), || None);
        let mut next = 0;
        for entry in old.into_iter().flatten() {
            let at = self.home(entry.hash).max(next);
            next = at + 1;
            slots[at] = Some(entry);
        }
        self.slots = slots;
    }

    /// The entries after `(hash, key)` (all with `None`), in order.
    pub(crate) fn after<'a>(&'a self, cursor: Option<(u64, &'a [u8])>) -> impl Iterator<Item = &'a Entry> + 'a {
        let start = cursor.map_or(0, |(hash, key)| match self.find(hash, key) {
            Ok(i) => i + 1,
            Err(i) => i,
        });
        self.slots.get(start..).unwrap_or_default().iter().flatten()
    }

    /// The entries before `(hash, key)` (all with `None`), in reverse order.
    pub(crate) fn before<'a>(&'a self, cursor: Option<(u64, &'a [u8])>) -> impl Iterator<Item = &'a Entry> + 'a {
        let end = cursor.map_or(self.slots.len(), |(hash, key)| match self.find(hash, key) {
            Ok(i) | Err(i) => i,
        });
        self.slots[..end.min(self.slots.len())].iter().rev().flatten()
    }
}

/// Asks the kernel to back a large slot array with transparent huge pages
/// (where it does so only on request): a lookup in a table of millions of
/// keys is one random access into it, and with 4 KiB pages that access
/// also misses the TLB. Only an advice: nothing changes if it is refused.
fn advise_huge_pages(slots: &Vec<Option<Entry>>) {
    const HUGE: usize = 2 << 20;
    let bytes = slots.capacity() * std::mem::size_of::<Option<Entry>>();
    if bytes < 2 * HUGE {
        return;
    }
    // The whole huge pages inside the allocation.
    let start = (slots.as_ptr() as usize).next_multiple_of(HUGE);
    let end = (slots.as_ptr() as usize + bytes) / HUGE * HUGE;
    if end > start {
        // SAFETY: the range lies inside `slots`' allocation; MADV_HUGEPAGE
        // changes how it is backed, never its contents.
        unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn value(n: u64) -> Values {
        Values::One(Bytes::new(&n.to_le_bytes()))
    }

    fn number(values: &Values) -> u64 {
        u64::from_le_bytes((&*values.all()[0]).try_into().unwrap())
    }

    /// A deterministic pseudo-random sequence.
    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    fn check(index: &HashIndex, model: &BTreeMap<(u64, Vec<u8>), u64>) {
        assert_eq!(index.len(), model.len());
        let walked: Vec<(u64, Vec<u8>, u64)> =
            index.after(None).map(|e| (e.hash, e.key.to_vec(), number(&e.values))).collect();
        let expected: Vec<(u64, Vec<u8>, u64)> = model.iter().map(|((h, k), v)| (*h, k.clone(), *v)).collect();
        assert_eq!(walked, expected, "sorted by (hash, key)");
        for (i, slot) in index.slots.iter().enumerate() {
            if let Some(entry) = slot {
                assert!(index.home(entry.hash) <= i, "an entry before its home");
            }
        }
    }

    #[test]
    fn behaves_like_a_sorted_map_through_growth_and_shrinking() {
        for skip in [0, 4] {
            let mut index = HashIndex::new(skip);
            let mut model = BTreeMap::new();
            let mut state = 0x2545_F491_4F6C_DD1D_u64;
            for round in 0..6_000u64 {
                let r = xorshift(&mut state);
                // Few distinct hashes at times, to force collisions and ties.
                let hash = if round % 7 == 0 { (r % 16) << 58 >> skip } else { r >> skip };
                let key = (r % 64).to_le_bytes().to_vec();
                let present = model.contains_key(&(hash, key.clone()));
                match (r >> 60) % 3 {
                    0 | 1 if !present => {
                        index.insert(hash, Bytes::new(&key), value(round));
                        model.insert((hash, key), round);
                    }
                    0 | 1 => {
                        *index.get_mut(hash, &key).unwrap() = value(round);
                        model.insert((hash, key), round);
                    }
                    _ => {
                        assert_eq!(index.remove(hash, &key).map(|v| number(&v)), model.remove(&(hash, key)));
                    }
                }
                if round.is_multiple_of(500) {
                    check(&index, &model);
                }
            }
            check(&index, &model);
            for ((hash, key), v) in &model {
                assert_eq!(index.get(*hash, key).map(number), Some(*v));
            }
            let keys: Vec<(u64, Vec<u8>)> = model.keys().cloned().collect();
            for (hash, key) in keys {
                assert!(index.remove(hash, &key).is_some());
            }
            assert_eq!((index.len(), index.bits), (0, MIN_BITS), "shrunk back");
        }
    }

    #[test]
    fn a_cursor_survives_growth_inserts_and_removals() {
        let mut index = HashIndex::new(0);
        let hash = |n: u64| n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        for n in 0..100u64 {
            index.insert(hash(n), Bytes::new(&n.to_le_bytes()), value(n));
        }
        // Walk in steps of 7 while the table grows fivefold and loses half
        // of its newer keys: every original key is seen exactly once.
        let mut seen = Vec::new();
        let mut cursor: Option<(u64, Vec<u8>)> = None;
        let mut extra = 100u64;
        loop {
            let step: Vec<(u64, Vec<u8>)> = index
                .after(cursor.as_ref().map(|(h, k)| (*h, &k[..])))
                .take(7)
                .map(|e| (e.hash, e.key.to_vec()))
                .collect();
            let Some(last) = step.last().cloned() else { break };
            seen.extend(step.iter().map(|(_, k)| u64::from_le_bytes(k[..].try_into().unwrap())));
            cursor = Some(last);
            for _ in 0..40 {
                index.insert(hash(extra), Bytes::new(&extra.to_le_bytes()), value(extra));
                if extra.is_multiple_of(2) {
                    index.remove(hash(extra), &extra.to_le_bytes());
                }
                extra += 1;
            }
        }
        let mut originals: Vec<u64> = seen.iter().copied().filter(|n| *n < 100).collect();
        originals.sort();
        assert_eq!(originals, (0..100).collect::<Vec<_>>());
        let mut all = seen.clone();
        all.sort();
        all.dedup();
        assert_eq!(all.len(), seen.len(), "no key twice");
        // Backwards from the end, and from a key.
        let forward: Vec<u64> = index.after(None).map(|e| e.hash).collect();
        let mut backward: Vec<u64> = index.before(None).map(|e| e.hash).collect();
        backward.reverse();
        assert_eq!(forward, backward);
        let mid = index.after(None).nth(10).map(|e| (e.hash, e.key.to_vec())).unwrap();
        assert_eq!(index.before(Some((mid.0, &mid.1))).count(), 10);
        assert_eq!(index.after(Some((mid.0, &mid.1))).count(), forward.len() - 11);
    }
}
