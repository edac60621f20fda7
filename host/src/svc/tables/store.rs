//! One table's objects and every operation on them.
//!
//! A table is split into shards by a hash of the key (16 for set, bag and
//! duplicate_bag, 8 for ordered_set), each under its own lock, padded to its
//! own cache line. The map in a shard is an ordered hash table (`hashed.rs`)
//! for the hash types and a `BTreeMap` for ordered_set. The lock
//! (`lock.rs`) is a "big reader" lock: a reader writes only a lock word of
//! its own core's, so
//!
//! - readers run in parallel, on one shard or many, without passing any
//!   cache line between cores, and operations on keys in different shards
//!   share no lock at all;
//! - every single-key operation takes exactly one shard lock, so it is
//!   atomic, and a reader never sees a torn value;
//! - operations on many keys (`insert_many`, `insert_new_many`,
//!   `delete_all`, ordered range queries) take the shard locks they need in
//!   ascending shard order, so they are atomic too and cannot deadlock.
//!
//! Every map is ordered, so a key is a stable traversal cursor: the hash
//! types traverse shards in order and `(hash, key)` order within a shard
//! (the order of the hash table's slots, which no insert, delete or resize
//! changes), ordered_set traverses key order. `next(key)` works even if `key`
//! was deleted meanwhile, and a traversal in chunks while other processes
//! write visits every key present throughout exactly once.
//!
//! Costs. A lookup in a hash shard is one probe, usually one cache line.
//! Prefix selection is a key range on an ordered_set, but a filtered scan
//! (in chunks) on the hash types, as ETS's `select` on a set. ordered_set
//! pays for its sharding in traversal: `first`/`next`/`prev`/`last` look at
//! every shard (8 tree lookups), and a range query merges the shards'
//! ranges (a k-way merge, `O(limit × 8)` comparisons) while it holds the
//! read locks of all shards, so one range call is a consistent snapshot;
//! writers to an ordered_set still spread over 8 locks.

use super::bytes::{Bytes, INLINE};
use super::hashed::HashIndex;
use super::lock::{ReadGuard, ShardLock, WriteGuard};
use super::{Access, Kind, TableError};
use crate::base::pid::Pid;
use crate::svc::host_memory::HostMemory;
use crossbeam_utils::CachePadded;
use std::collections::BTreeMap;
use std::collections::btree_map;
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// Shards of a set, bag or duplicate_bag table.
pub(crate) const HASH_SHARDS: usize = 16;
/// Shards of an ordered_set table.
pub(crate) const ORDERED_SHARDS: usize = 8;
/// What one object costs in a table's memory count besides its key and
/// value bytes: about its share of a hash-table slot (56 bytes, at a load
/// between 3/8 and 3/4) or of a B-tree node.
pub const OBJECT_OVERHEAD: usize = 64;

/// The memory one object is counted for.
pub(crate) fn object_cost(key: &[u8], value: &[u8]) -> usize {
    key.len() + value.len() + OBJECT_OVERHEAD
}

/// The values stored under one key: exactly one in set types, one or more
/// (in insertion order) in bag types. 24 bytes, as a `Bytes` (the list is
/// boxed so a set's slot stays small).
#[derive(Clone, Debug)]
#[allow(clippy::box_collection)]
pub(crate) enum Values {
    One(Bytes),
    Many(Box<Vec<Bytes>>),
}

impl Values {
    /// Every value, in insertion order.
    pub(crate) fn all(&self) -> &[Bytes] {
        match self {
            Values::One(value) => std::slice::from_ref(value),
            Values::Many(values) => values,
        }
    }

    fn cost(&self, key: &[u8]) -> usize {
        self.all().iter().map(|v| object_cost(key, v)).sum()
    }
}

/// One shard: its part of the map, and its counts.
pub(crate) struct Shard {
    map: Map,
    /// Objects (key-value pairs; a bag key counts once per value).
    objects: usize,
    /// Memory counted for those objects.
    bytes: usize,
    /// `bytes` as the node's count last heard of it (see [`ShardWrite`]).
    reported: usize,
    /// The node's count of memory held for guests.
    memory: Arc<HostMemory>,
}

/// An optional ceiling on a table's memory, kept exactly across shards.
struct Limit {
    max: usize,
    used: CachePadded<AtomicUsize>,
}

impl Limit {
    /// Accounts for a change from `old` to `new` bytes, or refuses it if it
    /// would cross the ceiling.
    fn change(&self, old: usize, new: usize) -> Result<(), TableError> {
        if new <= old {
            self.used.fetch_sub(old - new, Ordering::AcqRel);
            return Ok(());
        }
        let grow = new - old;
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| used.checked_add(grow).filter(|&n| n <= self.max))
            .map(drop)
            .map_err(|_| TableError::Full)
    }
}

/// A table. Owned by the node's [`super::Tables`]; processes hold it by id.
pub(crate) struct Table {
    pub(crate) id: i64,
    pub(crate) name: Option<Box<[u8]>>,
    pub(crate) kind: Kind,
    pub(crate) access: Access,
    /// Raw pid of the owner (changes on give_away and inheritance).
    owner: AtomicU64,
    /// The heir and the data it gets, if any (changed under the registry
    /// lock).
    pub(crate) heir: Mutex<Option<(Pid, Box<[u8]>)>>,
    deleted: AtomicBool,
    /// `64 - log2(shards)`: the hash's top bits pick the shard.
    shift: u32,
    shards: Box<[CachePadded<ShardLock<Shard>>]>,
    limit: Option<Limit>,
}

/// What `Table::info` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableInfo {
    /// The table id.
    pub id: i64,
    /// The name, for a named table.
    pub name: Option<Vec<u8>>,
    /// set, ordered_set, bag or duplicate_bag.
    pub kind: Kind,
    /// public, protected or private.
    pub access: Access,
    /// The owner.
    pub owner: Pid,
    /// The heir, if one is set.
    pub heir: Option<Pid>,
    /// Objects in the table (a bag key counts once per value).
    pub size: u64,
    /// Distinct keys.
    pub keys: u64,
    /// Memory counted for the objects, in bytes.
    pub memory: u64,
    /// The memory ceiling (`None`: unlimited).
    pub max_bytes: Option<u64>,
}

/// A 64-bit hash of a key (word-at-a-time multiply-rotate, then a
/// finalizer, so the top bits that pick a shard are well mixed).
pub(crate) fn hash(key: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = key.len() as u64;
    let mut words = key.chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        h = (h.rotate_left(23) ^ word).wrapping_mul(K);
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(23) ^ u64::from_le_bytes(last)).wrapping_mul(K);
    }
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^ (h >> 33)
}

/// Whether a `(lower, upper)` pair selects nothing (and must not be given to
/// `BTreeMap::range`, which panics on some of these).
fn empty_range(lower: Bound<&[u8]>, upper: Bound<&[u8]>) -> bool {
    match (lower, upper) {
        (Bound::Included(lo), Bound::Included(hi)) => lo > hi,
        (Bound::Included(lo) | Bound::Excluded(lo), Bound::Included(hi) | Bound::Excluded(hi)) => lo >= hi,
        _ => false,
    }
}

/// Where a prefix selection resumes: after `after` if given and not before
/// the prefix, else at the prefix.
fn lower_bound<'a>(prefix: &'a [u8], after: Option<&'a [u8]>) -> Bound<&'a [u8]> {
    match after {
        Some(after) if after >= prefix => Bound::Excluded(after),
        _ => Bound::Included(prefix),
    }
}

/// The smallest key greater than every key starting with `prefix`
/// (`Unbounded` when there is none: an empty or all-`0xFF` prefix).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let last = prefix.iter().rposition(|&b| b != 0xFF)?;
    let mut end = prefix[..=last].to_vec();
    end[last] += 1;
    Some(end)
}

/// A key and its hash (computed once per operation: the hash picks the
/// shard, and places the key in a hash shard).
#[derive(Clone, Copy)]
pub(crate) struct Key<'a> {
    pub(crate) bytes: &'a [u8],
    pub(crate) hash: u64,
}

impl<'a> Key<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Key<'a> {
        Key { bytes, hash: hash(bytes) }
    }
}

/// The map of a shard: a tree (ordered_set) or an ordered hash table.
enum Map {
    Tree(BTreeMap<Bytes, Values>),
    Hash(HashIndex),
}

impl Map {
    fn get_mut(&mut self, key: Key<'_>) -> Option<&mut Values> {
        match self {
            Map::Tree(tree) => {
                // A short key is searched as `Bytes`, whose order is faster.
                if key.bytes.len() <= INLINE { tree.get_mut(&Bytes::new(key.bytes)) } else { tree.get_mut(key.bytes) }
            }
            Map::Hash(index) => index.get_mut(key.hash, key.bytes),
        }
    }
}

/// Stands in for the map of the other kind (never reached: a table's shards
/// are all of its kind).
static NO_TREE: BTreeMap<Bytes, Values> = BTreeMap::new();
static NO_INDEX: HashIndex = HashIndex::empty();

impl Shard {
    fn new(kind: Kind, skip: u32, memory: Arc<HostMemory>) -> Shard {
        let map = match kind {
            Kind::OrderedSet => Map::Tree(BTreeMap::new()),
            _ => Map::Hash(HashIndex::new(skip)),
        };
        Shard { map, objects: 0, bytes: 0, reported: 0, memory }
    }

    fn get(&self, key: Key<'_>) -> Option<&Values> {
        match &self.map {
            // A short key is searched as `Bytes`, whose order is faster.
            Map::Tree(tree) if key.bytes.len() <= INLINE => tree.get(&Bytes::new(key.bytes)),
            Map::Tree(tree) => tree.get(key.bytes),
            Map::Hash(index) => index.get(key.hash, key.bytes),
        }
    }

    fn get_mut(&mut self, key: Key<'_>) -> Option<&mut Values> {
        self.map.get_mut(key)
    }

    fn contains(&self, key: Key<'_>) -> bool {
        self.get(key).is_some()
    }

    /// Distinct keys.
    fn keys(&self) -> usize {
        match &self.map {
            Map::Tree(tree) => tree.len(),
            Map::Hash(index) => index.len(),
        }
    }

    /// The tree of an ordered_set shard.
    fn tree(&self) -> &BTreeMap<Bytes, Values> {
        match &self.map {
            Map::Tree(tree) => tree,
            Map::Hash(_) => &NO_TREE,
        }
    }

    /// The hash table of another shard.
    fn index(&self) -> &HashIndex {
        match &self.map {
            Map::Hash(index) => index,
            Map::Tree(_) => &NO_INDEX,
        }
    }

    fn range(&self, lower: Bound<&[u8]>, upper: Bound<&[u8]>) -> btree_map::Range<'_, Bytes, Values> {
        if empty_range(lower, upper) {
            // An empty range of the same type.
            return NO_TREE.range::<[u8], _>(..);
        }
        self.tree().range::<[u8], _>((lower, upper))
    }

    /// How much the memory count changes if `(key, value)` is inserted.
    fn insert_growth(&self, kind: Kind, key: Key<'_>, value: &[u8]) -> (usize, usize) {
        let add = object_cost(key.bytes, value);
        match (kind, self.get(key)) {
            (Kind::Set | Kind::OrderedSet, Some(old)) => (old.cost(key.bytes), add),
            (Kind::Bag, Some(old)) if old.all().iter().any(|v| **v == *value) => (0, 0),
            _ => (0, add),
        }
    }

    /// Inserts one object (no limit check: the caller made room).
    fn insert(&mut self, kind: Kind, key: Key<'_>, value: &[u8]) {
        let add = object_cost(key.bytes, value);
        if let Map::Tree(tree) = &mut self.map {
            // One search: the entry of the key.
            let values = match tree.entry(Bytes::new(key.bytes)) {
                btree_map::Entry::Occupied(slot) => slot.into_mut(),
                btree_map::Entry::Vacant(slot) => {
                    slot.insert(Self::new_values(kind, value));
                    self.objects += 1;
                    self.bytes += add;
                    return;
                }
            };
            return Self::add_value(kind, values, key, value, &mut self.objects, &mut self.bytes);
        }
        // One probe: the key's values, or where it goes.
        let found = match &mut self.map {
            Map::Tree(_) => Err(0),
            Map::Hash(index) => index.slot_mut(key.hash, key.bytes),
        };
        match found {
            Ok(values) => Self::add_value(kind, values, key, value, &mut self.objects, &mut self.bytes),
            Err(at) => {
                let values = Self::new_values(kind, value);
                if let Map::Hash(index) = &mut self.map {
                    index.insert_at(at, key.hash, Bytes::new(key.bytes), values);
                }
                self.objects += 1;
                self.bytes += add;
            }
        }
    }

    /// The values of a new key.
    fn new_values(kind: Kind, value: &[u8]) -> Values {
        match kind {
            Kind::Set | Kind::OrderedSet => Values::One(Bytes::new(value)),
            Kind::Bag | Kind::DuplicateBag => Values::Many(Box::new(vec![Bytes::new(value)])),
        }
    }

    /// Inserts `value` into the values of a present key.
    fn add_value(kind: Kind, values: &mut Values, key: Key<'_>, value: &[u8], objects: &mut usize, bytes: &mut usize) {
        let add = object_cost(key.bytes, value);
        match values {
            Values::One(old) => {
                *bytes = *bytes + add - object_cost(key.bytes, old);
                old.set(value);
            }
            Values::Many(list) => {
                if kind == Kind::Bag && list.iter().any(|v| **v == *value) {
                    return;
                }
                list.push(Bytes::new(value));
                *objects += 1;
                *bytes += add;
            }
        }
    }

    /// Removes a key; returns its values.
    fn remove(&mut self, key: Key<'_>) -> Option<Values> {
        let values = match &mut self.map {
            Map::Tree(tree) => {
                if key.bytes.len() <= INLINE {
                    tree.remove(&Bytes::new(key.bytes))
                } else {
                    tree.remove(key.bytes)
                }
            }
            Map::Hash(index) => index.remove(key.hash, key.bytes),
        }?;
        self.objects -= values.all().len();
        self.bytes -= values.cost(key.bytes);
        Some(values)
    }

    /// Removes everything; returns how many objects there were.
    fn clear(&mut self) -> usize {
        match &mut self.map {
            Map::Tree(tree) => tree.clear(),
            Map::Hash(index) => index.clear(),
        }
        self.bytes = 0;
        std::mem::take(&mut self.objects)
    }
}

/// `(old, new)` memory of a batch of inserts, computed without applying it
/// (for tables with a memory ceiling).
fn batch_growth(
    kind: Kind,
    shards: &[(usize, ShardWrite<'_>)],
    table: &Table,
    objects: &[(&[u8], &[u8])],
) -> (usize, usize) {
    // Group the batch by key, keeping order within a key.
    let mut by_key: BTreeMap<&[u8], Vec<&[u8]>> = BTreeMap::new();
    for &(key, value) in objects {
        by_key.entry(key).or_default().push(value);
    }
    let (mut old, mut new) = (0, 0);
    for (key, values) in by_key {
        let key = Key::new(key);
        let index = table.shard_of(key);
        let Some((_, shard)) = shards.iter().find(|(i, _)| *i == index) else { continue };
        let existing = shard.get(key);
        let key = key.bytes;
        match kind {
            Kind::Set | Kind::OrderedSet => {
                old += existing.map_or(0, |v| v.cost(key));
                new += values.last().map_or(0, |v| object_cost(key, v));
            }
            Kind::Bag => {
                let mut seen: Vec<&[u8]> = existing.map_or_else(Vec::new, |v| v.all().iter().map(|b| &**b).collect());
                for value in values {
                    if !seen.contains(&value) {
                        seen.push(value);
                        new += object_cost(key, value);
                    }
                }
            }
            Kind::DuplicateBag => new += values.iter().map(|v| object_cost(key, v)).sum::<usize>(),
        }
    }
    (old, new)
}

/// Several shards' ranges merged into one key order (ascending, or
/// descending with `reverse`).
struct Merge<'a> {
    ranges: Vec<btree_map::Range<'a, Bytes, Values>>,
    heads: Vec<Option<(&'a Bytes, &'a Values)>>,
    reverse: bool,
}

impl<'a> Merge<'a> {
    fn new(ranges: Vec<btree_map::Range<'a, Bytes, Values>>, reverse: bool) -> Merge<'a> {
        let mut merge = Merge { heads: Vec::with_capacity(ranges.len()), ranges, reverse };
        for i in 0..merge.ranges.len() {
            let head = merge.advance(i);
            merge.heads.push(head);
        }
        merge
    }

    fn advance(&mut self, i: usize) -> Option<(&'a Bytes, &'a Values)> {
        if self.reverse { self.ranges[i].next_back() } else { self.ranges[i].next() }
    }
}

impl<'a> Iterator for Merge<'a> {
    type Item = (&'a Bytes, &'a Values);

    fn next(&mut self) -> Option<Self::Item> {
        let mut best: Option<usize> = None;
        for (i, head) in self.heads.iter().enumerate() {
            let Some((key, _)) = head else { continue };
            let better = match best.and_then(|b| self.heads[b]) {
                None => true,
                Some((best_key, _)) => (key < &best_key) != self.reverse,
            };
            if better {
                best = Some(i);
            }
        }
        let i = best?;
        let item = self.heads[i];
        self.heads[i] = self.advance(i);
        item
    }
}

/// A shard locked for writing. When the lock goes it passes the change of
/// the shard's memory on to the node's count (`HostMemory`), once the
/// change not yet passed on reaches [`REPORT_EVERY`] bytes either way: a
/// write costs no shared atomic operation, and the node's count lags each
/// shard by less than that. Two words, like the lock's own guard, so that
/// it is returned in registers (a larger guard went through the stack on
/// every write).
pub(crate) struct ShardWrite<'a> {
    guard: WriteGuard<'a, Shard>,
}

/// How far a shard's memory may move before the node's count hears of it.
const REPORT_EVERY: usize = 4096;

impl ShardWrite<'_> {
    /// Passes every change not yet passed on to the node's count.
    fn report(&mut self) {
        let shard = &mut *self.guard;
        if shard.bytes > shard.reported {
            shard.memory.charge(shard.bytes - shard.reported);
        } else {
            shard.memory.release(shard.reported - shard.bytes);
        }
        shard.reported = shard.bytes;
    }
}

impl std::ops::Deref for ShardWrite<'_> {
    type Target = Shard;

    fn deref(&self) -> &Shard {
        &self.guard
    }
}

impl std::ops::DerefMut for ShardWrite<'_> {
    fn deref_mut(&mut self) -> &mut Shard {
        &mut self.guard
    }
}

impl Drop for ShardWrite<'_> {
    #[inline]
    fn drop(&mut self) {
        if self.guard.bytes.abs_diff(self.guard.reported) >= REPORT_EVERY {
            self.report();
        }
    }
}

impl Table {
    pub(crate) fn new(
        id: i64,
        name: Option<Box<[u8]>>,
        kind: Kind,
        access: Access,
        owner: Pid,
        max_bytes: Option<usize>,
        memory: Arc<HostMemory>,
    ) -> Table {
        let count = if kind == Kind::OrderedSet { ORDERED_SHARDS } else { HASH_SHARDS };
        let bits = count.trailing_zeros();
        Table {
            id,
            name,
            kind,
            access,
            owner: AtomicU64::new(owner.raw()),
            heir: Mutex::new(None),
            deleted: AtomicBool::new(false),
            shift: 64 - bits,
            shards: (0..count)
                .map(|_| CachePadded::new(ShardLock::new(Shard::new(kind, bits, memory.clone()))))
                .collect(),
            limit: max_bytes.map(|max| Limit { max, used: CachePadded::new(AtomicUsize::new(0)) }),
        }
    }

    /// The owner.
    pub(crate) fn owner(&self) -> Pid {
        Pid::from_raw(self.owner.load(Ordering::Acquire)).unwrap_or_else(|| unreachable!("owners are pids"))
    }

    pub(crate) fn set_owner(&self, owner: Pid) {
        self.owner.store(owner.raw(), Ordering::Release);
    }

    pub(crate) fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Acquire)
    }

    /// Marks the table deleted: operations that have not yet locked a shard
    /// get `NoSuchTable`.
    pub(crate) fn mark_deleted(&self) {
        self.deleted.store(true, Ordering::Release);
    }

    /// Marks the table deleted and frees its objects (each shard once the
    /// operations in flight on it are done).
    pub(crate) fn destroy(&self) {
        self.mark_deleted();
        for index in 0..self.shards.len() {
            let mut shard = self.write(index);
            shard.clear();
            // Nothing is left to report later: the node hears of it all now.
            shard.report();
        }
    }

    /// Checks that `caller` may read (or write) this table.
    fn check(&self, caller: Pid, write: bool) -> Result<(), TableError> {
        let allowed = match self.access {
            Access::Public => true,
            Access::Protected if !write => true,
            Access::Protected | Access::Private => self.owner.load(Ordering::Acquire) == caller.raw(),
        };
        if allowed { Ok(()) } else { Err(TableError::Access) }
    }

    /// Fails once the table is deleted (checked under a shard lock).
    fn alive(&self) -> Result<(), TableError> {
        if self.is_deleted() { Err(TableError::NoSuchTable) } else { Ok(()) }
    }

    /// The checks of a write by `caller`, in the order of the ABI's errors:
    /// access, then (with `set_only`) the type. A write checks them itself;
    /// the ABI checks them first when a node limit could refuse it too.
    pub(crate) fn writable(&self, caller: Pid, set_only: bool) -> Result<(), TableError> {
        self.check(caller, true)?;
        if set_only { self.set_only() } else { Ok(()) }
    }

    fn set_only(&self) -> Result<(), TableError> {
        match self.kind {
            Kind::Set | Kind::OrderedSet => Ok(()),
            Kind::Bag | Kind::DuplicateBag => Err(TableError::WrongType),
        }
    }

    /// The shard of a key: the top bits of its hash.
    pub(crate) fn shard_of(&self, key: Key<'_>) -> usize {
        (key.hash >> self.shift) as usize
    }

    fn read(&self, index: usize) -> ReadGuard<'_, Shard> {
        self.shards[index].read()
    }

    fn write(&self, index: usize) -> ShardWrite<'_> {
        ShardWrite { guard: self.shards[index].write() }
    }

    /// Read-locks the shard of `key` after the access check.
    fn read_key(&self, caller: Pid, key: Key<'_>) -> Result<ReadGuard<'_, Shard>, TableError> {
        self.check(caller, false)?;
        let shard = self.read(self.shard_of(key));
        self.alive()?;
        Ok(shard)
    }

    /// Write-locks the shard of `key` after the access check.
    fn write_key(&self, caller: Pid, key: Key<'_>) -> Result<ShardWrite<'_>, TableError> {
        self.check(caller, true)?;
        let shard = self.write(self.shard_of(key));
        self.alive()?;
        Ok(shard)
    }

    /// Write-locks the shards of `keys`, in ascending order.
    fn write_many<'a>(
        &self,
        caller: Pid,
        keys: impl Iterator<Item = Key<'a>>,
    ) -> Result<Vec<(usize, ShardWrite<'_>)>, TableError> {
        self.check(caller, true)?;
        let mut wanted = [false; HASH_SHARDS];
        for key in keys {
            wanted[self.shard_of(key)] = true;
        }
        let guards: Vec<_> = (0..self.shards.len()).filter(|&i| wanted[i]).map(|i| (i, self.write(i))).collect();
        self.alive()?;
        Ok(guards)
    }

    fn guard_for<'g, 's>(&self, guards: &'g mut [(usize, ShardWrite<'s>)], key: Key<'_>) -> &'g mut Shard {
        let index = self.shard_of(key);
        match guards.iter_mut().find(|(i, _)| *i == index) {
            Some((_, guard)) => guard,
            None => unreachable!("write_many locked the shard of every key"),
        }
    }

    /// Makes room for a change from `old` to `new` bytes under the table's
    /// ceiling, if it has one.
    fn make_room(&self, old: usize, new: usize) -> Result<(), TableError> {
        self.limit.as_ref().map_or(Ok(()), |limit| limit.change(old, new))
    }

    /// Gives back the memory of removed objects to the ceiling.
    fn release(&self, bytes: usize) {
        if let Some(limit) = &self.limit {
            limit.used.fetch_sub(bytes, Ordering::AcqRel);
        }
    }

    // ------------------------------------------------------------ writes

    /// Inserts one object: a set replaces the value, a bag adds it unless
    /// the same object is there, a duplicate_bag always adds it.
    pub(crate) fn insert(&self, caller: Pid, key: &[u8], value: &[u8]) -> Result<(), TableError> {
        let key = Key::new(key);
        let mut shard = self.write_key(caller, key)?;
        if self.limit.is_some() {
            let (old, new) = shard.insert_growth(self.kind, key, value);
            self.make_room(old, new)?;
        }
        shard.insert(self.kind, key, value);
        Ok(())
    }

    /// Inserts one object only if its key is absent; `Ok(false)` if present.
    pub(crate) fn insert_new(&self, caller: Pid, key: &[u8], value: &[u8]) -> Result<bool, TableError> {
        let key = Key::new(key);
        let mut shard = self.write_key(caller, key)?;
        if shard.contains(key) {
            return Ok(false);
        }
        self.make_room(0, object_cost(key.bytes, value))?;
        shard.insert(self.kind, key, value);
        Ok(true)
    }

    /// Inserts every object, atomically (as one insert after another: for a
    /// set the last value of a repeated key wins). Returns how many.
    pub(crate) fn insert_many(&self, caller: Pid, objects: &[(&[u8], &[u8])]) -> Result<usize, TableError> {
        let keys: Vec<Key<'_>> = objects.iter().map(|o| Key::new(o.0)).collect();
        let mut guards = self.write_many(caller, keys.iter().copied())?;
        if self.limit.is_some() {
            let (old, new) = batch_growth(self.kind, &guards, self, objects);
            self.make_room(old, new)?;
        }
        for (&key, &(_, value)) in keys.iter().zip(objects) {
            self.guard_for(&mut guards, key).insert(self.kind, key, value);
        }
        Ok(objects.len())
    }

    /// Inserts every object if none of their keys is present, atomically;
    /// `Ok(false)` (and nothing inserted) otherwise.
    pub(crate) fn insert_new_many(&self, caller: Pid, objects: &[(&[u8], &[u8])]) -> Result<bool, TableError> {
        let keys: Vec<Key<'_>> = objects.iter().map(|o| Key::new(o.0)).collect();
        let mut guards = self.write_many(caller, keys.iter().copied())?;
        if keys.iter().any(|&key| self.guard_for(&mut guards, key).contains(key)) {
            return Ok(false);
        }
        if self.limit.is_some() {
            let (old, new) = batch_growth(self.kind, &guards, self, objects);
            self.make_room(old, new)?;
        }
        for (&key, &(_, value)) in keys.iter().zip(objects) {
            self.guard_for(&mut guards, key).insert(self.kind, key, value);
        }
        Ok(true)
    }

    /// Removes a key and returns its values (`None` if absent).
    pub(crate) fn take(&self, caller: Pid, key: &[u8]) -> Result<Option<Values>, TableError> {
        let key = Key::new(key);
        let mut shard = self.write_key(caller, key)?;
        let values = shard.remove(key);
        if let Some(values) = &values {
            self.release(values.cost(key.bytes));
        }
        Ok(values)
    }

    /// Removes a key; returns how many objects went with it.
    pub(crate) fn delete(&self, caller: Pid, key: &[u8]) -> Result<usize, TableError> {
        Ok(self.take(caller, key)?.map_or(0, |values| values.all().len()))
    }

    /// Removes the object `(key, value)` exactly (every copy of it in a
    /// duplicate_bag); returns how many objects were removed.
    pub(crate) fn delete_object(&self, caller: Pid, key: &[u8], value: &[u8]) -> Result<usize, TableError> {
        let key = Key::new(key);
        let mut shard = self.write_key(caller, key)?;
        let Some(values) = shard.get_mut(key) else { return Ok(0) };
        let freed = match values {
            // A set's key goes with its value (`remove` counts it).
            Values::One(old) if **old == *value => {
                shard.remove(key);
                self.release(object_cost(key.bytes, value));
                return Ok(1);
            }
            Values::One(_) => return Ok(0),
            Values::Many(list) => {
                let before = list.len();
                list.retain(|v| **v != *value);
                before - list.len()
            }
        };
        if freed > 0 {
            let bytes = freed * object_cost(key.bytes, value);
            shard.objects -= freed;
            shard.bytes -= bytes;
            self.release(bytes);
            // A bag key with no object left goes too (nothing left to count).
            if shard.get(key).is_some_and(|v| v.all().is_empty()) {
                shard.remove(key);
            }
        }
        Ok(freed)
    }

    /// Removes every object, atomically; returns how many.
    pub(crate) fn delete_all(&self, caller: Pid) -> Result<usize, TableError> {
        self.check(caller, true)?;
        let mut guards: Vec<_> = (0..self.shards.len()).map(|i| self.write(i)).collect();
        self.alive()?;
        let mut removed = 0;
        for shard in &mut guards {
            self.release(shard.bytes);
            removed += shard.clear();
        }
        Ok(removed)
    }

    /// Adds `incr` to the counter under `key` (a value of exactly 8 bytes, an
    /// `i64` little-endian) and returns the new value. A missing key starts
    /// at `default`, or is `NotFound` without one.
    pub(crate) fn update_counter(
        &self,
        caller: Pid,
        key: &[u8],
        incr: i64,
        default: Option<i64>,
    ) -> Result<i64, TableError> {
        self.writable(caller, true)?;
        let key = Key::new(key);
        let mut shard = self.write_key(caller, key)?;
        if let Some(Values::One(value)) = shard.get_mut(key) {
            let old = i64::from_le_bytes((&**value).try_into().map_err(|_| TableError::NotACounter)?);
            let new = old.checked_add(incr).ok_or(TableError::Overflow)?;
            value.set(&new.to_le_bytes());
            return Ok(new);
        }
        let start = default.ok_or(TableError::NotFound)?;
        let new = start.checked_add(incr).ok_or(TableError::Overflow)?;
        self.make_room(0, object_cost(key.bytes, &[0; 8]))?;
        shard.insert(self.kind, key, &new.to_le_bytes());
        Ok(new)
    }

    /// Changes the value of an existing key: `offset: None` replaces it
    /// whole, `Some(n)` writes `bytes` over it from byte `n` (at most its
    /// length), growing it if they reach past its end.
    pub(crate) fn update(
        &self,
        caller: Pid,
        key: &[u8],
        offset: Option<usize>,
        bytes: &[u8],
    ) -> Result<(), TableError> {
        self.writable(caller, true)?;
        let key = Key::new(key);
        let mut shard = self.write_key(caller, key)?;
        let shard = &mut *shard;
        let Some(Values::One(value)) = shard.get_mut(key) else { return Err(TableError::NotFound) };
        let new = match offset {
            None => bytes.to_vec(),
            Some(offset) if offset > value.len() => return Err(TableError::BadArg),
            Some(offset) => {
                let mut new = value.to_vec();
                let end = offset + bytes.len();
                if end > new.len() {
                    new.resize(end, 0);
                }
                new[offset..end].copy_from_slice(bytes);
                new
            }
        };
        let (old_cost, new_cost) = (object_cost(key.bytes, value), object_cost(key.bytes, &new));
        self.make_room(old_cost, new_cost)?;
        value.set(&new);
        shard.bytes = shard.bytes + new_cost - old_cost;
        Ok(())
    }

    // ------------------------------------------------------------- reads

    /// Calls `f` with the values of `key` under the shard's read lock;
    /// `None` if the key is absent.
    pub(crate) fn lookup<R>(
        &self,
        caller: Pid,
        key: &[u8],
        f: impl FnOnce(&[Bytes]) -> R,
    ) -> Result<Option<R>, TableError> {
        let key = Key::new(key);
        let shard = self.read_key(caller, key)?;
        Ok(shard.get(key).map(|values| f(values.all())))
    }

    /// Whether `key` is present.
    pub(crate) fn member(&self, caller: Pid, key: &[u8]) -> Result<bool, TableError> {
        let key = Key::new(key);
        Ok(self.read_key(caller, key)?.contains(key))
    }

    /// The first key in traversal order (key order for ordered_set; shard,
    /// hash, key order for the hash types).
    pub(crate) fn first(&self, caller: Pid) -> Result<Option<Bytes>, TableError> {
        self.step(caller, None, false)
    }

    /// The last key in traversal order.
    pub(crate) fn last(&self, caller: Pid) -> Result<Option<Bytes>, TableError> {
        self.step(caller, None, true)
    }

    /// The key after `key` in traversal order (`key` need not be present).
    pub(crate) fn next(&self, caller: Pid, key: &[u8]) -> Result<Option<Bytes>, TableError> {
        self.step(caller, Some(key), false)
    }

    /// The key before `key` in traversal order.
    pub(crate) fn prev(&self, caller: Pid, key: &[u8]) -> Result<Option<Bytes>, TableError> {
        self.step(caller, Some(key), true)
    }

    fn step(&self, caller: Pid, from: Option<&[u8]>, back: bool) -> Result<Option<Bytes>, TableError> {
        self.check(caller, false)?;
        if self.kind == Kind::OrderedSet {
            let (lower, upper) = match (from, back) {
                (None, _) => (Bound::Unbounded, Bound::Unbounded),
                (Some(key), false) => (Bound::Excluded(key), Bound::Unbounded),
                (Some(key), true) => (Bound::Unbounded, Bound::Excluded(key)),
            };
            let mut best: Option<Bytes> = None;
            for index in 0..self.shards.len() {
                let shard = self.read(index);
                self.alive()?;
                let mut range = shard.range(lower, upper);
                let found = if back { range.next_back() } else { range.next() };
                if let Some((key, _)) = found
                    && best.as_ref().is_none_or(|b| (key < b) != back)
                {
                    best = Some(key.clone());
                }
            }
            return Ok(best);
        }
        // Hash types: shards in order, then (hash, key) order within a shard.
        let from = from.map(Key::new);
        let count = self.shards.len();
        let start = from.map_or(if back { count - 1 } else { 0 }, |key| self.shard_of(key));
        let order: Box<dyn Iterator<Item = usize>> =
            if back { Box::new((0..=start).rev()) } else { Box::new(start..count) };
        for index in order {
            let shard = self.read(index);
            self.alive()?;
            let cursor = from.filter(|_| index == start).map(|key| (key.hash, key.bytes));
            let index = shard.index();
            let found = if back { index.before(cursor).next() } else { index.after(cursor).next() };
            if let Some(entry) = found {
                return Ok(Some(entry.key.clone()));
            }
        }
        Ok(None)
    }

    /// Visits the keys of an ordered_set between `lower` and `upper`, in
    /// key order (descending with `reverse`), at most `limit` keys, while
    /// `visit` returns true. Holds every shard's read lock meanwhile: the
    /// keys visited are one consistent snapshot. Returns the keys visited.
    pub(crate) fn range(
        &self,
        caller: Pid,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
        limit: usize,
        visit: impl FnMut(&[u8], &[Bytes]) -> bool,
    ) -> Result<usize, TableError> {
        self.check(caller, false)?;
        if self.kind != Kind::OrderedSet {
            return Err(TableError::WrongType);
        }
        self.merged(lower, upper, reverse, limit, visit)
    }

    fn merged(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
        limit: usize,
        mut visit: impl FnMut(&[u8], &[Bytes]) -> bool,
    ) -> Result<usize, TableError> {
        let guards: Vec<_> = (0..self.shards.len()).map(|i| self.read(i)).collect();
        self.alive()?;
        let merge = Merge::new(guards.iter().map(|shard| shard.range(lower, upper)).collect(), reverse);
        let mut visited = 0;
        for (key, values) in merge.take(limit) {
            visited += 1;
            if !visit(key, values.all()) {
                break;
            }
        }
        Ok(visited)
    }

    /// Visits the keys that start with `prefix`, in traversal order, after
    /// the key `after` if given, at most `limit` keys, while `visit` returns
    /// true. Any table type; an empty prefix visits the whole table (in
    /// chunks, with `after` as the cursor). On an ordered_set the prefix is
    /// a key range; on the hash types it is a filter over the traversal.
    /// Returns the keys visited, and the keys looked at to find them (on
    /// the hash types the filter looks at every key it passes over: the
    /// caller pays for those too).
    pub(crate) fn select_prefix(
        &self,
        caller: Pid,
        prefix: &[u8],
        after: Option<&[u8]>,
        limit: usize,
        mut visit: impl FnMut(&[u8], &[Bytes]) -> bool,
    ) -> Result<(usize, usize), TableError> {
        self.check(caller, false)?;
        if self.kind == Kind::OrderedSet {
            let end = prefix_end(prefix);
            let upper = end.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
            let visited = self.merged(lower_bound(prefix, after), upper, false, limit, visit)?;
            return Ok((visited, visited));
        }
        let after = after.map(Key::new);
        let start = after.map_or(0, |key| self.shard_of(key));
        let (mut visited, mut looked) = (0, 0);
        for index in start..self.shards.len() {
            let shard = self.read(index);
            self.alive()?;
            let cursor = after.filter(|_| index == start).map(|key| (key.hash, key.bytes));
            for entry in shard.index().after(cursor) {
                looked += 1;
                if !entry.key.starts_with(prefix) {
                    continue;
                }
                if visited == limit {
                    return Ok((visited, looked));
                }
                visited += 1;
                if !visit(&entry.key, entry.values.all()) {
                    return Ok((visited, looked));
                }
            }
        }
        Ok((visited, looked))
    }

    // -------------------------------------------------------------- info

    /// Objects, keys and memory, summed over the shards.
    pub(crate) fn counts(&self) -> (usize, usize, usize) {
        let (mut objects, mut keys, mut bytes) = (0, 0, 0);
        for index in 0..self.shards.len() {
            let shard = self.read(index);
            objects += shard.objects;
            keys += shard.keys();
            bytes += shard.bytes;
        }
        (objects, keys, bytes)
    }

    /// Memory counted for the table's objects.
    pub(crate) fn memory(&self) -> usize {
        self.counts().2
    }

    pub(crate) fn info(&self) -> TableInfo {
        let (objects, keys, memory) = self.counts();
        TableInfo {
            id: self.id,
            name: self.name.as_ref().map(|n| n.to_vec()),
            kind: self.kind,
            access: self.access,
            owner: self.owner(),
            heir: self.heir.lock().unwrap_or_else(PoisonError::into_inner).as_ref().map(|(pid, _)| *pid),
            size: objects as u64,
            keys: keys as u64,
            memory: memory as u64,
            max_bytes: self.limit.as_ref().map(|l| l.max as u64),
        }
    }
}
