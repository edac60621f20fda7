//! [`Table<K, V>`]: a table of typed keys and values, encoded with
//! [`super::codec`] (keys order-preserving, values compact).

use super::codec::{self, Mode};
use super::{Access, Info, Kind, Options, RawIter, RawTable, Records, TableError};
use crate::Pid;
use alloc::vec::Vec;
use core::marker::PhantomData;
use core::ops::{Bound, RangeBounds};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A shared table with keys of type `K` and values of type `V`.
///
/// Keys are encoded so that their bytewise order is their natural order: an
/// ordered_set iterates and answers range queries in `K`'s order (as derived
/// `Ord` orders it). Values of type `i64` are 8 bytes little-endian, the
/// counter format, so a `Table<K, i64>` has
/// [`update_counter`](Table::update_counter).
pub struct Table<K, V> {
    raw: RawTable,
    types: PhantomData<fn() -> (K, V)>,
}

impl<K, V> Clone for Table<K, V> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<K, V> Copy for Table<K, V> {}

impl<K, V> core::fmt::Debug for Table<K, V> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("Table").field(&self.raw).finish()
    }
}

fn key_of<K: Serialize>(key: &K) -> Result<Vec<u8>, TableError> {
    Ok(codec::encode(key, Mode::Key)?)
}

fn value_of<V: Serialize>(value: &V) -> Result<Vec<u8>, TableError> {
    Ok(codec::encode(value, Mode::Value)?)
}

fn decode_key<K: DeserializeOwned>(bytes: &[u8]) -> Result<K, TableError> {
    Ok(codec::decode(bytes, Mode::Key)?)
}

fn decode_value<V: DeserializeOwned>(bytes: &[u8]) -> Result<V, TableError> {
    Ok(codec::decode(bytes, Mode::Value)?)
}

fn bound<K: Serialize>(bound: Bound<&K>) -> Result<Bound<Vec<u8>>, TableError> {
    Ok(match bound {
        Bound::Included(k) => Bound::Included(key_of(k)?),
        Bound::Excluded(k) => Bound::Excluded(key_of(k)?),
        Bound::Unbounded => Bound::Unbounded,
    })
}

impl<K: Serialize + DeserializeOwned, V: Serialize + DeserializeOwned> Table<K, V> {
    /// A new anonymous table owned by the calling process.
    pub fn new(kind: Kind, access: Access) -> Result<Self, TableError> {
        RawTable::new(kind, access).map(Table::from_raw)
    }

    /// A new table made with `options` (name, access, memory limit).
    pub fn create(options: &Options<'_>) -> Result<Self, TableError> {
        options.create().map(Table::from_raw)
    }

    /// The named table, seen with these types.
    pub fn whereis(name: &str) -> Result<Self, TableError> {
        RawTable::whereis(name).map(Table::from_raw)
    }

    /// A raw table seen with these types.
    pub const fn from_raw(raw: RawTable) -> Self {
        Table { raw, types: PhantomData }
    }

    /// The untyped table.
    pub const fn raw(&self) -> RawTable {
        self.raw
    }

    /// The table id.
    pub const fn id(&self) -> i64 {
        self.raw.id()
    }

    /// Type, access, owner, size and memory.
    pub fn info(&self) -> Result<Info, TableError> {
        self.raw.info()
    }

    /// Inserts `(key, value)` (see [`RawTable::insert`]).
    pub fn insert(&self, key: &K, value: &V) -> Result<(), TableError> {
        self.raw.insert(&key_of(key)?, &value_of(value)?)
    }

    /// Inserts only if the key is absent; `Ok(false)` if present.
    pub fn insert_new(&self, key: &K, value: &V) -> Result<bool, TableError> {
        self.raw.insert_new(&key_of(key)?, &value_of(value)?)
    }

    /// Inserts every object atomically.
    pub fn insert_many<'a>(&self, objects: impl IntoIterator<Item = (&'a K, &'a V)>) -> Result<usize, TableError>
    where
        K: 'a,
        V: 'a,
    {
        let records = records(objects)?;
        self.raw.insert_records(&records).map(|n| n as usize)
    }

    /// The value of `key` (the first value in a bag).
    pub fn lookup(&self, key: &K) -> Result<Option<V>, TableError> {
        self.raw.lookup(&key_of(key)?)?.map(|v| decode_value(&v)).transpose()
    }

    /// Every value of `key`, in insertion order.
    pub fn lookup_all(&self, key: &K) -> Result<Vec<V>, TableError> {
        self.raw.lookup_all(&key_of(key)?)?.iter().map(|v| decode_value(v)).collect()
    }

    /// Whether `key` is present.
    pub fn member(&self, key: &K) -> Result<bool, TableError> {
        self.raw.member(&key_of(key)?)
    }

    /// Removes `key` and returns its values.
    pub fn take(&self, key: &K) -> Result<Vec<V>, TableError> {
        self.raw.take(&key_of(key)?)?.iter().map(|v| decode_value(v)).collect()
    }

    /// Removes `key`; returns how many objects went with it.
    pub fn delete(&self, key: &K) -> Result<usize, TableError> {
        self.raw.delete(&key_of(key)?)
    }

    /// Removes the exact object `(key, value)`.
    pub fn delete_object(&self, key: &K, value: &V) -> Result<usize, TableError> {
        self.raw.delete_object(&key_of(key)?, &value_of(value)?)
    }

    /// Removes every object.
    pub fn delete_all(&self) -> Result<u64, TableError> {
        self.raw.delete_all()
    }

    /// Replaces the value of an existing key (`Ok(false)` if absent).
    pub fn update(&self, key: &K, value: &V) -> Result<bool, TableError> {
        self.raw.update(&key_of(key)?, &value_of(value)?)
    }

    /// The first key in traversal order.
    pub fn first(&self) -> Result<Option<K>, TableError> {
        self.raw.first()?.map(|k| decode_key(&k)).transpose()
    }

    /// The last key in traversal order.
    pub fn last(&self) -> Result<Option<K>, TableError> {
        self.raw.last()?.map(|k| decode_key(&k)).transpose()
    }

    /// The key after `key` in traversal order.
    pub fn next(&self, key: &K) -> Result<Option<K>, TableError> {
        self.raw.next(&key_of(key)?)?.map(|k| decode_key(&k)).transpose()
    }

    /// The key before `key` in traversal order.
    pub fn prev(&self, key: &K) -> Result<Option<K>, TableError> {
        self.raw.prev(&key_of(key)?)?.map(|k| decode_key(&k)).transpose()
    }

    /// The objects of an ordered_set whose keys are in `range`, at most
    /// `limit` keys, in key order (descending with `reverse`).
    pub fn range(&self, range: impl RangeBounds<K>, limit: u32, reverse: bool) -> Result<Vec<(K, V)>, TableError> {
        let (lower, upper) = (bound(range.start_bound())?, bound(range.end_bound())?);
        let records = self.raw.range(lower.as_ref().map(|k| &k[..]), upper.as_ref().map(|k| &k[..]), limit, reverse)?;
        decode_records(&records)
    }

    /// The objects whose encoded key starts with the encoding of `part`, a
    /// leading part of a composite key (for example the first field of a
    /// tuple key: `select_prefix(&"alice", None, 100)` on a
    /// `Table<(String, u32), V>`), after the key `after`, at most `limit`
    /// keys. For a plain string key, use [`RawTable::select_prefix`] with the
    /// raw bytes.
    pub fn select_prefix<P: Serialize + ?Sized>(
        &self,
        part: &P,
        after: Option<&K>,
        limit: u32,
    ) -> Result<Vec<(K, V)>, TableError> {
        let prefix = codec::encode_part(part, Mode::Key)?;
        let after = after.map(key_of).transpose()?;
        decode_records(&self.raw.select_prefix(&prefix, after.as_deref(), limit)?)
    }

    /// Every object, fetched in chunks of `chunk` keys.
    pub fn iter(&self, chunk: u32) -> Iter<K, V> {
        Iter { raw: self.raw.iter(chunk), types: PhantomData }
    }

    /// Makes `to` the owner (see [`RawTable::give_away`]).
    pub fn give_away(&self, to: Pid, data: &[u8]) -> Result<(), TableError> {
        self.raw.give_away(to, data)
    }

    /// Sets the heir (see [`RawTable::set_heir`]).
    pub fn set_heir(&self, heir: Option<Pid>, data: &[u8]) -> Result<(), TableError> {
        self.raw.set_heir(heir, data)
    }

    /// Deletes the table.
    pub fn delete_table(self) -> Result<(), TableError> {
        self.raw.delete_table()
    }
}

impl<K: Serialize + DeserializeOwned> Table<K, i64> {
    /// Adds `incr` to the counter under `key` atomically and returns the
    /// new value; a missing key starts at `default` (with `None` it is an
    /// error, `ERR_NOT_FOUND`).
    pub fn update_counter(&self, key: &K, incr: i64, default: Option<i64>) -> Result<i64, TableError> {
        self.raw.update_counter(&key_of(key)?, incr, default)
    }
}

fn records<'a, K: Serialize + 'a, V: Serialize + 'a>(
    objects: impl IntoIterator<Item = (&'a K, &'a V)>,
) -> Result<Vec<u8>, TableError> {
    let mut out = Vec::new();
    for (key, value) in objects {
        super::push_record(&mut out, &key_of(key)?, &value_of(value)?);
    }
    Ok(out)
}

fn decode_records<K: DeserializeOwned, V: DeserializeOwned>(records: &[u8]) -> Result<Vec<(K, V)>, TableError> {
    Records::new(records).map(|(k, v)| Ok((decode_key(k)?, decode_value(v)?))).collect()
}

/// Every object of a typed table, in chunks (see [`Table::iter`]).
pub struct Iter<K, V> {
    raw: RawIter,
    types: PhantomData<fn() -> (K, V)>,
}

impl<K: DeserializeOwned, V: DeserializeOwned> Iterator for Iter<K, V> {
    type Item = Result<(K, V), TableError>;

    fn next(&mut self) -> Option<Self::Item> {
        Some(self.raw.next()?.and_then(|(k, v)| Ok((decode_key(&k)?, decode_value(&v)?))))
    }
}
