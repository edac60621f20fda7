//! Shared tables (ETS): tables of byte keys and byte values that live in the
//! host, outside every process's memory, with Erlang's `ets` as the
//! reference.
//!
//! - [`Tables`] is the node's registry: table ids (positive, never reused on
//!   a node), names, owners and heirs. Ownership changes (create, delete,
//!   give_away, an owner's exit) happen under its lock, which no table
//!   operation takes.
//! - `store.rs` holds one table's objects: shards by key hash, each under
//!   its own read-write lock (the design, its guarantees and its costs are
//!   described there).
//! - [`ProcessTables`] is what a process keeps: the tables it used lately
//!   (so an operation does not touch the registry or any shared reference
//!   count) and the pending result of its last operation.
//! - `records.rs` is the byte layout objects have when they cross the ABI.
//!
//! The host functions (`abi/table.rs`) only check and copy guest memory and
//! call this API.

mod bytes;
mod hashed;
mod lock;
pub(crate) mod records;
mod store;

use crate::base::codes::{
    ACCESS_PRIVATE, ACCESS_PROTECTED, ACCESS_PUBLIC, TABLE_BAG, TABLE_DUPLICATE_BAG, TABLE_ORDERED_SET, TABLE_SET,
};
use crate::base::pid::Pid;
use crate::svc::host_memory::HostMemory;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

pub(crate) use bytes::Bytes;
pub(crate) use store::Table;
pub use store::{OBJECT_OVERHEAD, TableInfo};

/// Longest table name, in bytes.
pub const MAX_NAME_LEN: usize = 255;

/// The type of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TableKind {
    /// One object per key.
    Set,
    /// One object per key, traversed in key order (bytewise).
    OrderedSet,
    /// Many objects per key, no two identical.
    Bag,
    /// Many objects per key, duplicates allowed.
    DuplicateBag,
}

impl TableKind {
    /// The kind with ABI number `n` (`TABLE_SET` ... `TABLE_DUPLICATE_BAG`).
    pub fn from_abi(n: i32) -> Option<TableKind> {
        Some(match n {
            TABLE_SET => TableKind::Set,
            TABLE_ORDERED_SET => TableKind::OrderedSet,
            TABLE_BAG => TableKind::Bag,
            TABLE_DUPLICATE_BAG => TableKind::DuplicateBag,
            _ => return None,
        })
    }

    /// The ABI number of this kind.
    pub fn abi(self) -> i32 {
        match self {
            TableKind::Set => TABLE_SET,
            TableKind::OrderedSet => TABLE_ORDERED_SET,
            TableKind::Bag => TABLE_BAG,
            TableKind::DuplicateBag => TABLE_DUPLICATE_BAG,
        }
    }
}

/// Who may read and write a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TableAccess {
    /// The owner writes, every process reads (the default).
    Protected,
    /// Every process reads and writes.
    Public,
    /// Only the owner reads and writes.
    Private,
}

impl TableAccess {
    /// The access with ABI number `n` (`ACCESS_PROTECTED`, `ACCESS_PUBLIC`,
    /// `ACCESS_PRIVATE`).
    pub fn from_abi(n: i32) -> Option<TableAccess> {
        Some(match n {
            ACCESS_PROTECTED => TableAccess::Protected,
            ACCESS_PUBLIC => TableAccess::Public,
            ACCESS_PRIVATE => TableAccess::Private,
            _ => return None,
        })
    }

    /// The ABI number of this access.
    pub fn abi(self) -> i32 {
        match self {
            TableAccess::Protected => ACCESS_PROTECTED,
            TableAccess::Public => ACCESS_PUBLIC,
            TableAccess::Private => ACCESS_PRIVATE,
        }
    }
}

pub(crate) use TableAccess as Access;
pub(crate) use TableKind as Kind;

/// Why a table operation failed; each is one ABI error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableError {
    /// A malformed argument.
    BadArg,
    /// No table has that id (or name): never existed, or deleted.
    NoSuchTable,
    /// The table's access rules forbid this to the caller.
    Access,
    /// The operation does not apply to this type of table.
    WrongType,
    /// A table already has that name.
    NameTaken,
    /// The key is not in the table.
    NotFound,
    /// The value under the key is not a counter (8 bytes).
    NotACounter,
    /// The counter would overflow an `i64`.
    Overflow,
    /// The table's memory ceiling would be crossed.
    Full,
    /// The key is longer than [`MAX_KEY_LEN`](crate::base::codes::MAX_KEY_LEN).
    KeyTooLarge,
    /// The value is longer than the node's largest message.
    ValueTooLarge,
    /// The process to give the table to is not alive.
    NotAlive,
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TableError::BadArg => "bad argument",
            TableError::NoSuchTable => "no such table",
            TableError::Access => "the table's access rules forbid this",
            TableError::WrongType => "not supported by this type of table",
            TableError::NameTaken => "a table already has this name",
            TableError::NotFound => "no such key",
            TableError::NotACounter => "the value is not a counter (8 bytes)",
            TableError::Overflow => "the counter would overflow",
            TableError::Full => "the table's memory limit is reached",
            TableError::KeyTooLarge => "the key is too large",
            TableError::ValueTooLarge => "the value is too large",
            TableError::NotAlive => "the process is not alive",
        })
    }
}

impl std::error::Error for TableError {}

/// The payload of a [`TAG_TABLE_TRANSFER`](crate::base::codes::TAG_TABLE_TRANSFER) message.
pub(crate) fn transfer_payload(table: i64, from: Pid, data: &[u8]) -> Box<[u8]> {
    let mut payload = Vec::with_capacity(16 + data.len());
    payload.extend_from_slice(&table.to_le_bytes());
    payload.extend_from_slice(&(from.raw() as i64).to_le_bytes());
    payload.extend_from_slice(data);
    payload.into()
}

/// The node's tables.
pub(crate) struct Tables {
    /// The node's count of memory held for guests (every table's objects
    /// are in it).
    memory: Arc<HostMemory>,
    registry: RwLock<Registry>,
    next_id: AtomicI64,
    /// Live tables: lets the exit of a process that owns none (nearly all)
    /// skip the registry lock when the node has no tables at all.
    live: AtomicUsize,
}

#[derive(Default)]
struct Registry {
    by_id: HashMap<i64, Arc<Table>>,
    by_name: HashMap<Box<[u8]>, i64>,
    by_owner: HashMap<Pid, Vec<i64>>,
}

impl Registry {
    fn disown(&mut self, owner: Pid, id: i64) {
        if let Some(ids) = self.by_owner.get_mut(&owner) {
            ids.retain(|&t| t != id);
            if ids.is_empty() {
                self.by_owner.remove(&owner);
            }
        }
    }

    /// Unregisters a table and marks it deleted; the caller frees its
    /// objects with `Table::destroy` once the registry lock is released.
    fn remove(&mut self, table: &Table) {
        self.by_id.remove(&table.id);
        if let Some(name) = &table.name {
            self.by_name.remove(name);
        }
        self.disown(table.owner(), table.id);
        table.mark_deleted();
    }
}

impl Default for Tables {
    fn default() -> Self {
        Tables::new(Arc::new(HostMemory::new(usize::MAX)))
    }
}

impl Tables {
    pub(crate) fn new(memory: Arc<HostMemory>) -> Tables {
        Tables { memory, registry: RwLock::default(), next_id: AtomicI64::new(1), live: AtomicUsize::new(0) }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.registry.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.registry.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Creates a table owned by `owner`; `name` makes it a named table
    /// (found by [`Tables::whereis`]). `max_bytes` caps its memory.
    pub(crate) fn create(
        &self,
        owner: Pid,
        name: Option<&[u8]>,
        kind: Kind,
        access: Access,
        max_bytes: Option<usize>,
    ) -> Result<Arc<Table>, TableError> {
        if name.is_some_and(|n| n.is_empty() || n.len() > MAX_NAME_LEN) {
            return Err(TableError::BadArg);
        }
        let mut registry = self.write();
        if name.is_some_and(|n| registry.by_name.contains_key(n)) {
            return Err(TableError::NameTaken);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let table = Arc::new(Table::new(id, name.map(Box::from), kind, access, owner, max_bytes, self.memory.clone()));
        registry.by_id.insert(id, table.clone());
        if let Some(name) = name {
            registry.by_name.insert(name.into(), id);
        }
        registry.by_owner.entry(owner).or_default().push(id);
        self.live.fetch_add(1, Ordering::Relaxed);
        Ok(table)
    }

    /// The table with this id.
    pub(crate) fn get(&self, id: i64) -> Option<Arc<Table>> {
        self.read().by_id.get(&id).cloned()
    }

    /// The id of the table named `name`.
    pub(crate) fn whereis(&self, name: &[u8]) -> Option<i64> {
        self.read().by_name.get(name).copied()
    }

    /// Deletes a table; needs write access (the owner, or anyone for a
    /// public table), as in Erlang.
    pub(crate) fn delete(&self, caller: Pid, id: i64) -> Result<(), TableError> {
        let mut registry = self.write();
        let table = registry.by_id.get(&id).cloned().ok_or(TableError::NoSuchTable)?;
        if table.access != Access::Public && table.owner() != caller {
            return Err(TableError::Access);
        }
        registry.remove(&table);
        drop(registry);
        self.live.fetch_sub(1, Ordering::Relaxed);
        table.destroy();
        Ok(())
    }

    /// Makes `to` the owner of a table the caller owns; returns the payload
    /// of the [`TAG_TABLE_TRANSFER`](crate::base::codes::TAG_TABLE_TRANSFER) message for `to` (the caller sends it).
    pub(crate) fn give_away(
        &self,
        caller: Pid,
        id: i64,
        to: Pid,
        data: &[u8],
        is_alive: impl Fn(Pid) -> bool,
    ) -> Result<Box<[u8]>, TableError> {
        let mut registry = self.write();
        if to == caller {
            return Err(TableError::BadArg);
        }
        let table = registry.by_id.get(&id).cloned().ok_or(TableError::NoSuchTable)?;
        // Checked under the registry lock: if `to` exits after this, its own
        // exit handling (which takes this lock) finds the table. Existence
        // before access, as everywhere in the ABI.
        if !is_alive(to) {
            return Err(TableError::NotAlive);
        }
        if table.owner() != caller {
            return Err(TableError::Access);
        }
        registry.disown(caller, id);
        table.set_owner(to);
        registry.by_owner.entry(to).or_default().push(id);
        Ok(transfer_payload(id, caller, data))
    }

    /// Sets (or with `None` clears) the heir of a table the caller owns.
    pub(crate) fn set_heir(&self, caller: Pid, id: i64, heir: Option<(Pid, Box<[u8]>)>) -> Result<(), TableError> {
        let registry = self.write();
        let table = registry.by_id.get(&id).ok_or(TableError::NoSuchTable)?;
        if table.owner() != caller {
            return Err(TableError::Access);
        }
        *table.heir.lock().unwrap_or_else(PoisonError::into_inner) = heir;
        Ok(())
    }

    /// `pid` exited: each table it owned goes to its heir if the heir is
    /// alive and is not `pid` itself, or is deleted. The heir setting stays
    /// as it was (as in OTP 25's ets): a table the heir gives away comes
    /// back to it when the new owner exits.
    /// Returns the [`TAG_TABLE_TRANSFER`](crate::base::codes::TAG_TABLE_TRANSFER) messages to send, as `(heir,
    /// payload)`, sent by the caller from `pid`.
    pub(crate) fn owner_exited(&self, pid: Pid, is_alive: impl Fn(Pid) -> bool) -> Vec<(Pid, Box<[u8]>)> {
        if self.live.load(Ordering::Relaxed) == 0 {
            return Vec::new();
        }
        if !self.read().by_owner.contains_key(&pid) {
            return Vec::new();
        }
        let mut registry = self.write();
        let Some(ids) = registry.by_owner.remove(&pid) else { return Vec::new() };
        let mut transfers = Vec::new();
        let mut doomed = Vec::new();
        for id in ids {
            let Some(table) = registry.by_id.get(&id).cloned() else { continue };
            let heir = table.heir.lock().unwrap_or_else(PoisonError::into_inner).clone();
            match heir {
                // Checked under the registry lock (see `give_away`).
                Some((heir, data)) if heir != pid && is_alive(heir) => {
                    table.set_owner(heir);
                    registry.by_owner.entry(heir).or_default().push(id);
                    transfers.push((heir, transfer_payload(id, pid, &data)));
                }
                _ => {
                    registry.remove(&table);
                    self.live.fetch_sub(1, Ordering::Relaxed);
                    doomed.push(table);
                }
            }
        }
        drop(registry);
        for table in doomed {
            table.destroy();
        }
        transfers
    }

    /// Every table, as `(id, name)`, by id.
    pub(crate) fn list(&self) -> Vec<(i64, Option<Box<[u8]>>)> {
        let mut all: Vec<_> = self.read().by_id.values().map(|t| (t.id, t.name.clone())).collect();
        all.sort_unstable_by_key(|(id, _)| *id);
        all
    }

    /// Every table's info, by id.
    pub(crate) fn infos(&self) -> Vec<TableInfo> {
        let tables: Vec<Arc<Table>> = self.read().by_id.values().cloned().collect();
        let mut infos: Vec<TableInfo> = tables.iter().map(|t| t.info()).collect();
        infos.sort_unstable_by_key(|info| info.id);
        infos
    }

    /// Memory counted for every table's objects, in bytes.
    pub(crate) fn memory(&self) -> usize {
        let tables: Vec<Arc<Table>> = self.read().by_id.values().cloned().collect();
        tables.iter().map(|t| t.memory()).sum()
    }

    /// Number of live tables.
    #[cfg(test)]
    pub(crate) fn count(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }
}

/// How many tables a process keeps handles to.
const CACHED_TABLES: usize = 8;

/// A process's table state: handles to the tables it used lately and the
/// pending result of its last operation. Boxed on first use, so a process
/// that uses no table pays one pointer.
#[derive(Default)]
pub(crate) struct ProcessTables(Option<Box<Session>>);

/// See [`ProcessTables`].
#[derive(Default)]
pub(crate) struct Session {
    cache: Vec<(i64, Arc<Table>)>,
    /// The result of the last operation, when it did not fit the guest's
    /// buffer (`table_result_read` copies it out).
    pub(crate) result: Vec<u8>,
    pub(crate) pending: bool,
}

impl ProcessTables {
    /// The session, made on first use.
    pub(crate) fn session(&mut self) -> &mut Session {
        self.0.get_or_insert_default()
    }
}

impl Session {
    /// The table `id` (from the handle cache, else the registry), and the
    /// result buffer, borrowed together.
    pub(crate) fn resolve(
        &mut self,
        tables: &Tables,
        id: i64,
    ) -> Result<(&Table, &mut Vec<u8>, &mut bool), TableError> {
        let position = match self.cache.iter().position(|(cached, _)| *cached == id) {
            Some(i) if self.cache[i].1.is_deleted() => {
                self.cache.swap_remove(i);
                return Err(TableError::NoSuchTable);
            }
            Some(i) => i,
            None => {
                let table = tables.get(id).ok_or(TableError::NoSuchTable)?;
                if self.cache.len() == CACHED_TABLES {
                    self.cache.remove(0);
                }
                self.cache.push((id, table));
                self.cache.len() - 1
            }
        };
        Ok((&self.cache[position].1, &mut self.result, &mut self.pending))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ops::Bound;

    fn pid(n: u32) -> Pid {
        Pid::new(n, 1)
    }

    const A: u32 = 1;
    const B: u32 = 2;

    fn table(kind: Kind, access: Access) -> (Tables, Arc<Table>) {
        let tables = Tables::default();
        let table = tables.create(pid(A), None, kind, access, None).unwrap();
        (tables, table)
    }

    fn values(table: &Table, key: &[u8]) -> Option<Vec<Vec<u8>>> {
        table.lookup(pid(A), key, |vs| vs.iter().map(|v| v.to_vec()).collect()).unwrap()
    }

    fn keys_in(table: &Table) -> Vec<Vec<u8>> {
        let mut keys = Vec::new();
        table
            .select_prefix(pid(A), b"", None, usize::MAX, |k, _| {
                keys.push(k.to_vec());
                true
            })
            .unwrap();
        keys
    }

    #[test]
    fn set_insert_lookup_replace_delete() {
        for kind in [Kind::Set, Kind::OrderedSet] {
            let (_tables, t) = table(kind, Access::Protected);
            let me = pid(A);
            t.insert(me, b"k", b"v1").unwrap();
            t.insert(me, b"k", b"value two, longer than inline").unwrap();
            assert_eq!(values(&t, b"k"), Some(vec![b"value two, longer than inline".to_vec()]));
            assert!(t.member(me, b"k").unwrap());
            assert!(!t.insert_new(me, b"k", b"x").unwrap());
            assert!(t.insert_new(me, b"k2", b"x").unwrap());
            assert_eq!(t.info().size, 2);
            assert_eq!(t.delete_object(me, b"k2", b"other").unwrap(), 0);
            assert_eq!(t.delete_object(me, b"k2", b"x").unwrap(), 1);
            assert_eq!(t.delete(me, b"k").unwrap(), 1);
            assert_eq!(t.delete(me, b"k").unwrap(), 0);
            assert_eq!(values(&t, b"k"), None);
            assert_eq!(t.memory(), 0, "{kind:?}");
        }
    }

    #[test]
    fn bags_keep_objects_and_duplicate_bags_keep_copies() {
        let (_tables, bag) = table(Kind::Bag, Access::Public);
        let (_tables2, dup) = table(Kind::DuplicateBag, Access::Public);
        let me = pid(B);
        for t in [&bag, &dup] {
            for v in [&b"a"[..], b"b", b"a"] {
                t.insert(me, b"k", v).unwrap();
            }
        }
        assert_eq!(values(&bag, b"k"), Some(vec![b"a".to_vec(), b"b".to_vec()]));
        assert_eq!(values(&dup, b"k"), Some(vec![b"a".to_vec(), b"b".to_vec(), b"a".to_vec()]));
        assert_eq!((bag.info().size, bag.info().keys, dup.info().size), (2, 1, 3));
        assert_eq!(dup.delete_object(me, b"k", b"a").unwrap(), 2, "every copy goes");
        assert_eq!(values(&dup, b"k"), Some(vec![b"b".to_vec()]));
        let taken = bag.take(me, b"k").unwrap().unwrap();
        assert_eq!(taken.all().len(), 2);
        assert_eq!(bag.info().size, 0);
        // Deleting a key's last objects one by one removes the key.
        assert_eq!(dup.delete_object(me, b"k", b"b").unwrap(), 1);
        assert_eq!((dup.info().size, dup.info().keys, dup.memory()), (0, 0, 0));
        assert!(!dup.member(me, b"k").unwrap());
        assert_eq!(bag.update_counter(me, b"c", 1, Some(0)), Err(TableError::WrongType));
        assert_eq!(bag.update(me, b"k", None, b"x"), Err(TableError::WrongType));
        assert_eq!(
            bag.range(me, Bound::Unbounded, Bound::Unbounded, false, 10, |_, _| true),
            Err(TableError::WrongType)
        );
    }

    #[test]
    fn counters_updates_and_their_errors() {
        let (_tables, t) = table(Kind::Set, Access::Public);
        let me = pid(B);
        assert_eq!(t.update_counter(me, b"c", 5, None), Err(TableError::NotFound));
        assert_eq!(t.update_counter(me, b"c", 5, Some(10)), Ok(15));
        assert_eq!(t.update_counter(me, b"c", -20, None), Ok(-5));
        assert_eq!(values(&t, b"c"), Some(vec![(-5i64).to_le_bytes().to_vec()]));
        t.insert(me, b"text", b"abc").unwrap();
        assert_eq!(t.update_counter(me, b"text", 1, Some(0)), Err(TableError::NotACounter));
        t.insert(me, b"big", &i64::MAX.to_le_bytes()).unwrap();
        assert_eq!(t.update_counter(me, b"big", 1, None), Err(TableError::Overflow));
        t.update(me, b"text", Some(1), b"XYZ").unwrap();
        assert_eq!(values(&t, b"text"), Some(vec![b"aXYZ".to_vec()]));
        t.update(me, b"text", None, b"new").unwrap();
        assert_eq!(values(&t, b"text"), Some(vec![b"new".to_vec()]));
        assert_eq!(t.update(me, b"text", Some(4), b"!"), Err(TableError::BadArg));
        assert_eq!(t.update(me, b"nope", None, b"x"), Err(TableError::NotFound));
    }

    #[test]
    fn access_rules() {
        let (owner, other) = (pid(A), pid(B));
        for access in [Access::Public, Access::Protected, Access::Private] {
            let (_tables, t) = table(Kind::Set, access);
            t.insert(owner, b"k", b"v").unwrap();
            let read = t.member(other, b"k");
            let write = t.insert(other, b"k", b"w");
            match access {
                Access::Public => assert_eq!((read, write), (Ok(true), Ok(()))),
                Access::Protected => assert_eq!((read, write), (Ok(true), Err(TableError::Access))),
                Access::Private => assert_eq!((read, write), (Err(TableError::Access), Err(TableError::Access))),
            }
        }
    }

    #[test]
    fn insert_many_is_all_or_nothing() {
        let tables = Tables::default();
        let me = pid(A);
        let t = tables.create(me, None, Kind::Set, Access::Protected, None).unwrap();
        let objects: Vec<(Vec<u8>, Vec<u8>)> = (0..100u32).map(|i| (i.to_be_bytes().to_vec(), vec![1; 10])).collect();
        let refs: Vec<(&[u8], &[u8])> = objects.iter().map(|(k, v)| (&k[..], &v[..])).collect();
        assert_eq!(t.insert_many(me, &refs), Ok(100));
        assert_eq!(t.info().size, 100);
        assert_eq!(t.insert_new_many(me, &[(b"new", b"x"), (&0u32.to_be_bytes(), b"y")]), Ok(false));
        assert!(!t.member(me, b"new").unwrap());
        assert_eq!(t.insert_new_many(me, &[(b"new", b"x"), (b"new2", b"y")]), Ok(true));
        assert_eq!(t.delete_all(me), Ok(102));
        assert_eq!(t.info().size, 0);

        // With a memory ceiling, a batch that does not fit changes nothing.
        let small = tables.create(me, None, Kind::Set, Access::Protected, Some(10 * (OBJECT_OVERHEAD + 8))).unwrap();
        let batch: Vec<(Vec<u8>, Vec<u8>)> = (0..20u32).map(|i| (i.to_be_bytes().to_vec(), vec![0; 4])).collect();
        let refs: Vec<(&[u8], &[u8])> = batch.iter().map(|(k, v)| (&k[..], &v[..])).collect();
        assert_eq!(small.insert_many(me, &refs), Err(TableError::Full));
        assert_eq!(small.info().size, 0);
        assert_eq!(small.insert_many(me, &refs[..10]), Ok(10));
        assert_eq!(small.insert(me, b"more", b""), Err(TableError::Full));
        // Replacing a value with one of the same size fits; a delete frees room.
        small.insert(me, &0u32.to_be_bytes(), &[9; 4]).unwrap();
        small.delete(me, &1u32.to_be_bytes()).unwrap();
        small.insert(me, &[7; 4], &[1; 4]).unwrap();
        assert_eq!(small.memory(), 10 * (OBJECT_OVERHEAD + 8));
    }

    #[test]
    fn ordered_traversal_and_ranges_merge_the_shards() {
        let (_tables, t) = table(Kind::OrderedSet, Access::Protected);
        let me = pid(A);
        for i in (0..1000u32).rev() {
            t.insert(me, &i.to_be_bytes(), &i.to_le_bytes()).unwrap();
        }
        assert_eq!(t.first(me).unwrap().as_deref(), Some(&0u32.to_be_bytes()[..]));
        assert_eq!(t.last(me).unwrap().as_deref(), Some(&999u32.to_be_bytes()[..]));
        assert_eq!(t.next(me, &41u32.to_be_bytes()).unwrap().as_deref(), Some(&42u32.to_be_bytes()[..]));
        assert_eq!(t.prev(me, &0u32.to_be_bytes()).unwrap(), None);
        assert_eq!(t.next(me, &999u32.to_be_bytes()).unwrap(), None);
        let expected: Vec<Vec<u8>> = (0..1000u32).map(|i| i.to_be_bytes().to_vec()).collect();
        assert_eq!(keys_in(&t), expected);
        // Paging through with a limit.
        let mut seen = Vec::new();
        let mut cursor: Option<Vec<u8>> = None;
        loop {
            let lower = cursor.as_deref().map_or(Bound::Unbounded, Bound::Excluded);
            let mut page = Vec::new();
            t.range(me, lower, Bound::Unbounded, false, 64, |k, _| {
                page.push(k.to_vec());
                true
            })
            .unwrap();
            let Some(last) = page.last().cloned() else { break };
            seen.extend(page);
            cursor = Some(last);
        }
        assert_eq!(seen, expected);
        // Bounds, reverse order, empty and inverted ranges.
        let mut got = Vec::new();
        let (lo, hi) = (10u32.to_be_bytes(), 15u32.to_be_bytes());
        t.range(me, Bound::Excluded(&lo), Bound::Included(&hi), true, 100, |k, _| {
            got.push(u32::from_be_bytes(k.try_into().unwrap()));
            true
        })
        .unwrap();
        assert_eq!(got, [15, 14, 13, 12, 11]);
        for (lower, upper) in [
            (Bound::Excluded(&lo[..]), Bound::Excluded(&lo[..])),
            (Bound::Included(&hi[..]), Bound::Included(&lo[..])),
            (Bound::Excluded(&lo[..]), Bound::Included(&lo[..])),
        ] {
            assert_eq!(t.range(me, lower, upper, false, 10, |_, _| true), Ok(0));
        }
    }

    #[test]
    fn hash_traversal_visits_every_key_once() {
        let (_tables, t) = table(Kind::Set, Access::Protected);
        let me = pid(A);
        for i in 0..500u32 {
            t.insert(me, &i.to_le_bytes(), b"").unwrap();
        }
        let mut walked = Vec::new();
        let mut key = t.first(me).unwrap();
        while let Some(k) = key {
            walked.push(k.to_vec());
            key = t.next(me, &k).unwrap();
        }
        let mut back = Vec::new();
        let mut key = t.last(me).unwrap();
        while let Some(k) = key {
            back.push(k.to_vec());
            key = t.prev(me, &k).unwrap();
        }
        back.reverse();
        assert_eq!(walked, back);
        assert_eq!(walked, keys_in(&t));
        let mut sorted = walked.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), 500);
        // next of a key that is not there still continues the traversal.
        t.delete(me, &walked[10]).unwrap();
        assert_eq!(t.next(me, &walked[10]).unwrap().as_deref(), Some(&walked[11][..]));
    }

    #[test]
    fn prefix_selection_in_every_type() {
        for kind in [Kind::Set, Kind::OrderedSet, Kind::Bag, Kind::DuplicateBag] {
            let (_tables, t) = table(kind, Access::Protected);
            let me = pid(A);
            for key in [&b"user/1"[..], b"user/2", b"user/3", b"users", b"group/1", b"user\xff", b"user0"] {
                t.insert(me, key, b"v").unwrap();
            }
            let mut got = Vec::new();
            let mut after: Option<Vec<u8>> = None;
            loop {
                let mut page = Vec::new();
                t.select_prefix(me, b"user/", after.as_deref(), 2, |k, _| {
                    page.push(k.to_vec());
                    true
                })
                .unwrap();
                let Some(last) = page.last().cloned() else { break };
                got.extend(page);
                after = Some(last);
            }
            got.sort();
            assert_eq!(got, [b"user/1".to_vec(), b"user/2".to_vec(), b"user/3".to_vec()], "{kind:?}");
        }
        assert_eq!(store::prefix_end(b"ab\xff"), Some(b"ac".to_vec()));
        assert_eq!(store::prefix_end(b"\xff\xff"), None);
        assert_eq!(store::prefix_end(b""), None);
    }

    #[test]
    fn registry_names_ownership_heirs() {
        let tables = Tables::default();
        let (a, b, c) = (pid(A), pid(B), pid(3));
        let named = tables.create(a, Some(b"cache"), Kind::Set, Access::Protected, None).unwrap();
        assert_eq!(
            tables.create(b, Some(b"cache"), Kind::Set, Access::Public, None).err(),
            Some(TableError::NameTaken)
        );
        assert_eq!(tables.whereis(b"cache"), Some(named.id));
        let anon = tables.create(a, None, Kind::Bag, Access::Public, None).unwrap();
        assert!(anon.id > named.id);
        assert_eq!(tables.list().iter().map(|(id, _)| *id).collect::<Vec<_>>(), [named.id, anon.id]);

        // give_away: only the owner, only to a live other process.
        let alive = |p: Pid| p != c;
        assert_eq!(tables.give_away(b, named.id, a, b"", alive), Err(TableError::Access));
        assert_eq!(tables.give_away(b, named.id, c, b"", alive), Err(TableError::NotAlive), "existence first");
        assert_eq!(tables.give_away(a, named.id, a, b"", alive), Err(TableError::BadArg));
        assert_eq!(tables.give_away(a, named.id, c, b"", alive), Err(TableError::NotAlive));
        let payload = tables.give_away(a, named.id, b, b"gift", alive).unwrap();
        assert_eq!(&payload[..8], &named.id.to_le_bytes());
        assert_eq!(&payload[8..16], &(a.raw() as i64).to_le_bytes());
        assert_eq!(&payload[16..], b"gift");
        assert_eq!(named.owner(), b);

        // b exits with an heir (a): a inherits, and stays the heir (OTP 25).
        tables.set_heir(b, named.id, Some((a, b"heir data".to_vec().into()))).unwrap();
        let transfers = tables.owner_exited(b, |_| true);
        assert_eq!(transfers.len(), 1);
        assert_eq!(transfers[0].0, a);
        assert_eq!(&transfers[0].1[16..], b"heir data");
        assert_eq!(named.owner(), a);
        assert_eq!(named.info().heir, Some(a));

        // a exits, the heir of its own table: both its tables are deleted,
        // names freed.
        assert!(tables.owner_exited(a, |_| true).is_empty());
        assert!(named.is_deleted() && anon.is_deleted());
        assert_eq!(tables.whereis(b"cache"), None);
        assert_eq!((tables.count(), tables.list().len()), (0, 0));
        assert_eq!(tables.delete(a, named.id), Err(TableError::NoSuchTable));
        assert_eq!(named.insert(a, b"k", b"v"), Err(TableError::NoSuchTable));

        // A dead heir does not inherit; only writers may delete.
        let t = tables.create(a, None, Kind::Set, Access::Protected, None).unwrap();
        assert_eq!(tables.delete(b, t.id), Err(TableError::Access));
        tables.set_heir(a, t.id, Some((c, Box::default()))).unwrap();
        assert!(tables.owner_exited(a, alive).is_empty());
        assert!(t.is_deleted());
        let p = tables.create(a, None, Kind::Set, Access::Public, None).unwrap();
        assert_eq!(tables.delete(b, p.id), Ok(()));
    }

    #[test]
    fn the_handle_cache_notices_deletion() {
        let tables = Tables::default();
        let t = tables.create(pid(A), None, Kind::Set, Access::Public, None).unwrap();
        let mut state = ProcessTables::default();
        assert!(state.session().resolve(&tables, t.id).is_ok());
        assert_eq!(state.session().resolve(&tables, t.id + 100).err(), Some(TableError::NoSuchTable));
        tables.delete(pid(A), t.id).unwrap();
        assert_eq!(state.session().resolve(&tables, t.id).err(), Some(TableError::NoSuchTable));
        for _ in 0..20 {
            let t = tables.create(pid(A), None, Kind::Set, Access::Public, None).unwrap();
            assert!(state.session().resolve(&tables, t.id).is_ok());
        }
        assert!(state.session().cache.len() <= CACHED_TABLES);
    }

    #[test]
    fn parallel_counters_and_writers_lose_nothing() {
        let tables = Tables::default();
        let t = tables.create(pid(A), None, Kind::Set, Access::Public, None).unwrap();
        std::thread::scope(|s| {
            for n in 0..4u32 {
                let t = &t;
                s.spawn(move || {
                    for i in 0..2000u32 {
                        t.update_counter(pid(10 + n), b"hits", 1, Some(0)).unwrap();
                        t.insert(pid(10 + n), &[n.to_be_bytes(), i.to_be_bytes()].concat(), b"v").unwrap();
                    }
                });
            }
        });
        let total = t.lookup(pid(A), b"hits", |v| i64::from_le_bytes((&*v[0]).try_into().unwrap())).unwrap();
        assert_eq!(total, Some(8000));
        assert_eq!(t.info().size, 8001);
    }
}
