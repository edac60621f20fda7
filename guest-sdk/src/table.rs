//! Shared tables (ETS): tables of keys and values that live in the host,
//! outside every process's memory, shared by the processes of a node.
//!
//! - [`RawTable`]: byte keys and byte values, every operation of the ABI.
//! - [`Table<K, V>`](Table) (feature `serde`, on by default): typed keys and
//!   values, encoded by [`codec`]; keys keep their natural order, so an
//!   ordered_set of `i64` or `(String, u32)` iterates in that order.
//!
//! A table has a type ([`Kind`]: set, ordered_set, bag, duplicate_bag) and
//! an [`Access`] (protected by default: the owner writes, everyone reads). It
//! belongs to the process that made it: when that process exits the table is
//! deleted, unless an heir is set ([`RawTable::set_heir`]), which then owns
//! it and gets a [`TAG_TABLE_TRANSFER`] message ([`Transfer`]).
//!
//! ```ignore
//! use warren::table::{Access, Kind, Table};
//!
//! let hits: Table<String, i64> = Table::new(Kind::Set, Access::Public)?;
//! hits.update_counter(&"home".into(), 1, Some(0))?;
//! assert_eq!(hits.lookup(&"home".into())?, Some(1));
//! ```

pub mod sys;

#[cfg(feature = "serde")]
pub mod codec;
#[cfg(feature = "serde")]
mod typed;

#[cfg(feature = "serde")]
pub use typed::{Iter, Table};

use crate::{Message, Pid};
use alloc::vec::Vec;
use core::fmt;
use core::ops::Bound;

pub use sys::{MAX_KEY_LEN, TAG_TABLE_TRANSFER};

/// The type of a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// One object per key.
    Set,
    /// One object per key, traversed in key order (bytewise).
    OrderedSet,
    /// Many objects per key, no two identical.
    Bag,
    /// Many objects per key, duplicates allowed.
    DuplicateBag,
}

impl Kind {
    const fn abi(self) -> i32 {
        match self {
            Kind::Set => sys::TABLE_SET,
            Kind::OrderedSet => sys::TABLE_ORDERED_SET,
            Kind::Bag => sys::TABLE_BAG,
            Kind::DuplicateBag => sys::TABLE_DUPLICATE_BAG,
        }
    }

    fn from_abi(n: i32) -> Option<Kind> {
        [Kind::Set, Kind::OrderedSet, Kind::Bag, Kind::DuplicateBag].into_iter().find(|k| k.abi() == n)
    }
}

/// Who may read and write a table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Access {
    /// The owner writes, every process reads.
    #[default]
    Protected,
    /// Every process reads and writes.
    Public,
    /// Only the owner reads and writes.
    Private,
}

impl Access {
    const fn abi(self) -> i32 {
        match self {
            Access::Protected => sys::ACCESS_PROTECTED,
            Access::Public => sys::ACCESS_PUBLIC,
            Access::Private => sys::ACCESS_PRIVATE,
        }
    }

    fn from_abi(n: i32) -> Option<Access> {
        [Access::Protected, Access::Public, Access::Private].into_iter().find(|a| a.abi() == n)
    }
}

/// Why a table operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TableError {
    /// `ERR_NO_SUCH_TABLE` (-8): no table has that id or name.
    NoSuchTable,
    /// `ERR_ACCESS` (-9): the table's access rules forbid this.
    Access,
    /// `ERR_WRONG_TYPE` (-10): not supported by this type of table.
    WrongType,
    /// `ERR_TABLE_NAME_TAKEN` (-11): a table already has that name.
    NameTaken,
    /// `ERR_NOT_A_COUNTER` (-13): the value is not an 8-byte counter.
    NotACounter,
    /// `ERR_OVERFLOW` (-14): the counter would overflow.
    Overflow,
    /// `ERR_TABLE_FULL` (-15): the table's memory limit is reached.
    Full,
    /// `ERR_KEY_TOO_LARGE` (-16): the key is longer than [`MAX_KEY_LEN`].
    KeyTooLarge,
    /// `ERR_VALUE_TOO_LARGE` (-17): the value is too large.
    ValueTooLarge,
    /// `ERR_NOT_ALIVE` (-18): the process to give the table to is not alive.
    NotAlive,
    /// Another ABI error (for example `ERR_BADARG`, or `ERR_NOT_FOUND` where
    /// a missing key is an error).
    Other(crate::Error),
    /// A typed key or value could not be encoded or decoded.
    #[cfg(feature = "serde")]
    Codec(codec::CodecError),
}

impl TableError {
    /// The error for a negative ABI code.
    pub fn from_code(code: i64) -> TableError {
        match code {
            -8 => TableError::NoSuchTable,
            -9 => TableError::Access,
            -10 => TableError::WrongType,
            -11 => TableError::NameTaken,
            -13 => TableError::NotACounter,
            -14 => TableError::Overflow,
            -15 => TableError::Full,
            -16 => TableError::KeyTooLarge,
            -17 => TableError::ValueTooLarge,
            -18 => TableError::NotAlive,
            other => TableError::Other(crate::Error::from_code(other)),
        }
    }
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableError::NoSuchTable => f.write_str("no such table (ERR_NO_SUCH_TABLE)"),
            TableError::Access => f.write_str("the table's access rules forbid this (ERR_ACCESS)"),
            TableError::WrongType => f.write_str("not supported by this type of table (ERR_WRONG_TYPE)"),
            TableError::NameTaken => f.write_str("a table already has this name (ERR_TABLE_NAME_TAKEN)"),
            TableError::NotACounter => f.write_str("the value is not a counter (ERR_NOT_A_COUNTER)"),
            TableError::Overflow => f.write_str("the counter would overflow (ERR_OVERFLOW)"),
            TableError::Full => f.write_str("the table's memory limit is reached (ERR_TABLE_FULL)"),
            TableError::KeyTooLarge => f.write_str("the key is too large (ERR_KEY_TOO_LARGE)"),
            TableError::ValueTooLarge => f.write_str("the value is too large (ERR_VALUE_TOO_LARGE)"),
            TableError::NotAlive => f.write_str("the process is not alive (ERR_NOT_ALIVE)"),
            TableError::Other(error) => fmt::Display::fmt(error, f),
            #[cfg(feature = "serde")]
            TableError::Codec(error) => write!(f, "table encoding: {error}"),
        }
    }
}

impl core::error::Error for TableError {}

#[cfg(feature = "serde")]
impl From<codec::CodecError> for TableError {
    fn from(error: codec::CodecError) -> Self {
        TableError::Codec(error)
    }
}

/// `Ok(n)` for `n >= 0`, else the error.
fn check(code: i64) -> Result<i64, TableError> {
    if code >= 0 { Ok(code) } else { Err(TableError::from_code(code)) }
}

/// `(ptr, len)` of a slice, with the ABI's `i32` length.
fn raw(bytes: &[u8]) -> Result<(*const u8, i32), TableError> {
    let len = i32::try_from(bytes.len()).map_err(|_| TableError::Other(crate::Error::Limit))?;
    Ok((bytes.as_ptr(), len))
}

/// First buffer size for results of unknown size.
const FIRST_BUFFER: usize = 256;

/// Runs a result-producing call with a buffer; fetches the pending result
/// if it did not fit. `Ok(None)` for `ERR_NOT_FOUND`. `call` gets the start
/// of `FIRST_BUFFER` bytes of spare capacity owned by this function, writable
/// until it returns, and that length.
fn fetch(call: impl FnOnce(*mut u8, i32) -> i32) -> Result<Option<Vec<u8>>, TableError> {
    let mut buf: Vec<u8> = Vec::with_capacity(FIRST_BUFFER);
    let size = call(buf.as_mut_ptr(), FIRST_BUFFER as i32);
    if size == sys::ERR_NOT_FOUND {
        return Ok(None);
    }
    let size = check(size.into())? as usize;
    if size > FIRST_BUFFER {
        buf.reserve_exact(size);
        // SAFETY: `buf` is empty, so after `reserve_exact` it owns at least
        // `size` bytes of spare capacity at `as_mut_ptr()` (`size` came from
        // an `i32`, so the cast is exact); the host writes at most `size`
        // bytes there.
        let read = unsafe { sys::table_result_read(buf.as_mut_ptr(), size as i32) };
        if check(read.into())? as usize != size {
            return Err(TableError::Other(crate::Error::Limit));
        }
    }
    // SAFETY: `size <= capacity` (`size <= FIRST_BUFFER`, or reserved
    // above), and the host wrote the whole result, `size` bytes from
    // `as_mut_ptr()`: the first call when it fit `FIRST_BUFFER`, else
    // `table_result_read`, which returned exactly `size` (so it fit and was
    // copied).
    unsafe { buf.set_len(size) };
    Ok(Some(buf))
}

/// The records of a result: `[key_len: u32 LE][key][value_len: u32 LE][value]`
/// repeated. Yields `(key, value)`; stops at the first malformed record.
#[derive(Clone, Debug)]
pub struct Records<'a>(&'a [u8]);

impl<'a> Records<'a> {
    /// The records in `bytes`.
    pub fn new(bytes: &'a [u8]) -> Records<'a> {
        Records(bytes)
    }
}

fn field(bytes: &[u8]) -> Option<(&[u8], &[u8])> {
    let (len, rest) = bytes.split_first_chunk::<4>()?;
    let len = u32::from_le_bytes(*len) as usize;
    (rest.len() >= len).then(|| rest.split_at(len))
}

impl<'a> Iterator for Records<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let (key, rest) = field(self.0)?;
        let (value, rest) = field(rest)?;
        self.0 = rest;
        Some((key, value))
    }
}

/// Appends one record to `out` (the layout [`RawTable::insert_many`] reads).
pub fn push_record(out: &mut Vec<u8>, key: &[u8], value: &[u8]) {
    out.extend_from_slice(&(key.len() as u32).to_le_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&(value.len() as u32).to_le_bytes());
    out.extend_from_slice(value);
}

/// What [`RawTable::info`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Info {
    /// The table id.
    pub id: i64,
    /// The owner.
    pub owner: Pid,
    /// The heir, if one is set.
    pub heir: Option<Pid>,
    /// Objects (a bag key counts once per value).
    pub size: u64,
    /// Distinct keys.
    pub keys: u64,
    /// Memory counted for the objects, in bytes.
    pub memory: u64,
    /// The memory limit, if any.
    pub max_bytes: Option<u64>,
    /// The table type.
    pub kind: Kind,
    /// The access.
    pub access: Access,
}

/// The message a process gets when it becomes a table's owner (tag
/// [`TAG_TABLE_TRANSFER`]), as heir or by [`RawTable::give_away`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transfer {
    /// The id of the table now owned ([`RawTable::open`] it).
    pub table: i64,
    /// The previous owner.
    pub from: Pid,
    /// The heir data or the gift data.
    pub data: Vec<u8>,
}

impl Transfer {
    /// The transfer in `message`, if it is one.
    pub fn from_message(message: &Message) -> Option<Transfer> {
        if message.tag != TAG_TABLE_TRANSFER {
            return None;
        }
        let id = i64::from_le_bytes(message.data.get(..8)?.try_into().ok()?);
        let from = Pid::from_le_slice(message.data.get(8..)?)?;
        Some(Transfer { table: id, from, data: message.data[16..].to_vec() })
    }
}

/// How to make a table: `Options::new(kind).access(..).named(..)`.
#[derive(Clone, Copy, Debug)]
pub struct Options<'a> {
    kind: Kind,
    access: Access,
    name: Option<&'a str>,
    max_bytes: u64,
}

impl<'a> Options<'a> {
    /// A protected, anonymous, unlimited table of this kind.
    pub const fn new(kind: Kind) -> Options<'a> {
        Options { kind, access: Access::Protected, name: None, max_bytes: 0 }
    }

    /// Sets the access.
    pub const fn access(mut self, access: Access) -> Options<'a> {
        self.access = access;
        self
    }

    /// Names the table (found with [`RawTable::whereis`]).
    pub const fn named(mut self, name: &'a str) -> Options<'a> {
        self.name = Some(name);
        self
    }

    /// Caps the table's memory (0: no limit); inserts beyond fail with
    /// [`TableError::Full`].
    pub const fn max_bytes(mut self, max_bytes: u64) -> Options<'a> {
        self.max_bytes = max_bytes;
        self
    }

    /// Creates the table, owned by the calling process.
    pub fn create(&self) -> Result<RawTable, TableError> {
        let (name_ptr, name_len) = raw(self.name.unwrap_or_default().as_bytes())?;
        let max = i64::try_from(self.max_bytes).unwrap_or(i64::MAX);
        // SAFETY: `name_ptr`/`name_len` are those of the name (or of `""`), a
        // live &str; the host only reads those bytes, and checks the range.
        let id = check(unsafe { sys::table_new(name_ptr, name_len, self.kind.abi(), self.access.abi(), max) })?;
        Ok(RawTable { id, kind: self.kind })
    }
}

/// The bounds of a range query on an ordered_set.
fn range_args<'a>(lower: Bound<&'a [u8]>, upper: Bound<&'a [u8]>) -> (&'a [u8], &'a [u8], i32) {
    let (from, from_flags) = match lower {
        Bound::Included(k) => (k, 0),
        Bound::Excluded(k) => (k, sys::RANGE_FROM_EXCLUSIVE),
        Bound::Unbounded => (&[][..], sys::RANGE_FROM_START),
    };
    let (to, to_flags) = match upper {
        Bound::Included(k) => (k, sys::RANGE_TO_INCLUSIVE),
        Bound::Excluded(k) => (k, 0),
        Bound::Unbounded => (&[][..], sys::RANGE_TO_END),
    };
    (from, to, from_flags | to_flags)
}

/// A table of byte keys and byte values: its id and type. Copying the
/// handle does not copy the table; any process may hold it (the table's
/// access decides what it may do).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RawTable {
    id: i64,
    kind: Kind,
}

impl RawTable {
    /// A new anonymous table owned by the calling process.
    pub fn new(kind: Kind, access: Access) -> Result<RawTable, TableError> {
        Options::new(kind).access(access).create()
    }

    /// The handle of table `id` (for example one received in a message).
    pub fn open(id: i64) -> Result<RawTable, TableError> {
        let kind = RawTable { id, kind: Kind::Set }.info()?.kind;
        Ok(RawTable { id, kind })
    }

    /// The table with this name.
    pub fn whereis(name: &str) -> Result<RawTable, TableError> {
        let (ptr, len) = raw(name.as_bytes())?;
        // SAFETY: `ptr`/`len` are those of `name`, a live &str; the host only
        // reads those bytes, and checks the range.
        let id = check(unsafe { sys::table_whereis(ptr, len) })?;
        RawTable::open(id)
    }

    /// The table type.
    pub const fn kind(self) -> Kind {
        self.kind
    }

    /// The table id (positive, never reused on a node).
    pub const fn id(self) -> i64 {
        self.id
    }

    /// Deletes the table (needs write access).
    pub fn delete_table(self) -> Result<(), TableError> {
        // SAFETY: `table_delete` takes only the table id and touches no
        // guest memory.
        check(unsafe { sys::table_delete(self.id) }.into()).map(drop)
    }

    /// Makes `to` the owner (only the owner may); `to` gets a
    /// [`TAG_TABLE_TRANSFER`] message with `data`.
    pub fn give_away(self, to: Pid, data: &[u8]) -> Result<(), TableError> {
        let (ptr, len) = raw(data)?;
        // SAFETY: `ptr`/`len` are those of `data`, a live slice; the host only
        // reads those bytes, and checks the range.
        check(unsafe { sys::table_give_away(self.id, to.raw() as i64, ptr, len) }.into()).map(drop)
    }

    /// Sets the heir that inherits the table when its owner exits (`None`:
    /// the table is deleted then).
    pub fn set_heir(self, heir: Option<Pid>, data: &[u8]) -> Result<(), TableError> {
        let (ptr, len) = raw(data)?;
        let pid = heir.map_or(0, |p| p.raw() as i64);
        // SAFETY: `ptr`/`len` are those of `data`, a live slice; the host only
        // reads those bytes, and checks the range.
        check(unsafe { sys::table_set_heir(self.id, pid, ptr, len) }.into()).map(drop)
    }

    /// Type, access, owner, size and memory of the table.
    pub fn info(self) -> Result<Info, TableError> {
        let mut out = [0u8; sys::TABLE_INFO_SIZE];
        // SAFETY: `out` is a live local array of `TABLE_INFO_SIZE` bytes, the
        // length given; the host writes at most that many into it.
        check(unsafe { sys::table_info(self.id, out.as_mut_ptr(), out.len() as i32) }.into())?;
        let word = |i: usize| i64::from_le_bytes(out[i * 8..i * 8 + 8].try_into().unwrap_or_default());
        let int = |at: usize| i32::from_le_bytes(out[at..at + 4].try_into().unwrap_or_default());
        let unknown = TableError::Other(crate::Error::Unknown(0));
        Ok(Info {
            id: word(0),
            owner: Pid::from_raw(word(1) as u64),
            heir: (word(2) != 0).then(|| Pid::from_raw(word(2) as u64)),
            size: word(3) as u64,
            keys: word(4) as u64,
            memory: word(5) as u64,
            max_bytes: (word(6) != 0).then_some(word(6) as u64),
            kind: Kind::from_abi(int(56)).ok_or(unknown.clone())?,
            access: Access::from_abi(int(60)).ok_or(unknown)?,
        })
    }

    /// Inserts `(key, value)`: a set replaces the key's value, a bag adds
    /// the object unless it is there, a duplicate_bag always adds it.
    pub fn insert(self, key: &[u8], value: &[u8]) -> Result<(), TableError> {
        let ((kp, kl), (vp, vl)) = (raw(key)?, raw(value)?);
        // SAFETY: the pairs are those of `key` and `value`, live slices; the
        // host only reads them, and checks the ranges.
        check(unsafe { sys::table_insert(self.id, kp, kl, vp, vl) }.into()).map(drop)
    }

    /// Inserts only if the key is absent; `Ok(false)` if it is present.
    pub fn insert_new(self, key: &[u8], value: &[u8]) -> Result<bool, TableError> {
        let ((kp, kl), (vp, vl)) = (raw(key)?, raw(value)?);
        // SAFETY: the pairs are those of `key` and `value`, live slices; the
        // host only reads them, and checks the ranges.
        check(unsafe { sys::table_insert_new(self.id, kp, kl, vp, vl) }.into()).map(|n| n == 1)
    }

    /// Inserts every object atomically (other processes see all or none).
    pub fn insert_many(self, objects: &[(&[u8], &[u8])]) -> Result<usize, TableError> {
        self.insert_records(&records_of(objects)).map(|n| n as usize)
    }

    /// Inserts every object atomically, if none of the keys is present;
    /// `Ok(false)` (nothing inserted) otherwise.
    pub fn insert_new_many(self, objects: &[(&[u8], &[u8])]) -> Result<bool, TableError> {
        let records = records_of(objects);
        let (ptr, len) = raw(&records)?;
        // SAFETY: `ptr`/`len` are those of `records`, a live Vec; the host only
        // reads those bytes, and checks the range.
        check(unsafe { sys::table_insert_new_many(self.id, ptr, len) }.into()).map(|n| n == 1)
    }

    /// Inserts records already laid out (see [`push_record`]), atomically.
    pub fn insert_records(self, records: &[u8]) -> Result<i64, TableError> {
        let (ptr, len) = raw(records)?;
        // SAFETY: `ptr`/`len` are those of `records`, a live slice; the host
        // only reads those bytes, and checks the range.
        check(unsafe { sys::table_insert_many(self.id, ptr, len) }.into())
    }

    /// The value of `key` in a set or ordered_set (`None` if absent). On a
    /// bag, the first value.
    pub fn lookup(self, key: &[u8]) -> Result<Option<Vec<u8>>, TableError> {
        if matches!(self.kind, Kind::Bag | Kind::DuplicateBag) {
            return Ok(self.lookup_all(key)?.into_iter().next());
        }
        let (kp, kl) = raw(key)?;
        // SAFETY: `kp`/`kl` are those of `key`, a live slice the host only
        // reads (range-checked); `fetch` passes `dst`/`dl` of spare capacity
        // it owns, and the host writes at most `dl` bytes there.
        fetch(|dst, dl| unsafe { sys::table_lookup(self.id, kp, kl, dst, dl) })
    }

    /// Copies the value of `key` in a set or ordered_set into `buf` without
    /// allocating: `Ok(Some(len))` (the value's length; if it is larger than
    /// `buf`, nothing was copied), `Ok(None)` if the key is absent.
    pub fn lookup_into(self, key: &[u8], buf: &mut [u8]) -> Result<Option<usize>, TableError> {
        let ((kp, kl), len) = (raw(key)?, i32::try_from(buf.len()).unwrap_or(i32::MAX));
        // SAFETY: `kp`/`kl` are those of `key`, a live slice the host only
        // reads (range-checked); `buf` is a live `&mut [u8]` of at least `len`
        // bytes, and the host writes at most `len` bytes into it.
        let size = unsafe { sys::table_lookup(self.id, kp, kl, buf.as_mut_ptr(), len) };
        if size == sys::ERR_NOT_FOUND {
            return Ok(None);
        }
        check(size.into()).map(|n| Some(n as usize))
    }

    /// Every value of `key` (one at most in set types), in insertion order.
    pub fn lookup_all(self, key: &[u8]) -> Result<Vec<Vec<u8>>, TableError> {
        let (kp, kl) = raw(key)?;
        // SAFETY: `kp`/`kl` are those of `key`, a live slice the host only
        // reads (range-checked); `fetch` passes `dst`/`dl` of spare capacity
        // it owns, and the host writes at most `dl` bytes there.
        let found = fetch(|dst, dl| unsafe { sys::table_lookup(self.id, kp, kl, dst, dl) })?;
        self.values_of(found)
    }

    /// Whether `key` is present.
    pub fn member(self, key: &[u8]) -> Result<bool, TableError> {
        let (kp, kl) = raw(key)?;
        // SAFETY: `kp`/`kl` are those of `key`, a live slice; the host only
        // reads those bytes, and checks the range.
        check(unsafe { sys::table_member(self.id, kp, kl) }.into()).map(|n| n == 1)
    }

    /// Removes `key` and returns its values (empty if it was absent).
    pub fn take(self, key: &[u8]) -> Result<Vec<Vec<u8>>, TableError> {
        let (kp, kl) = raw(key)?;
        // SAFETY: `kp`/`kl` are those of `key`, a live slice the host only
        // reads (range-checked); `fetch` passes `dst`/`dl` of spare capacity
        // it owns, and the host writes at most `dl` bytes there.
        let found = fetch(|dst, dl| unsafe { sys::table_take(self.id, kp, kl, dst, dl) })?;
        self.values_of(found)
    }

    /// Removes `key`; returns how many objects went with it.
    pub fn delete(self, key: &[u8]) -> Result<usize, TableError> {
        let (kp, kl) = raw(key)?;
        // SAFETY: `kp`/`kl` are those of `key`, a live slice; the host only
        // reads those bytes, and checks the range.
        check(unsafe { sys::table_delete_key(self.id, kp, kl) }.into()).map(|n| n as usize)
    }

    /// Removes the exact object `(key, value)` (every copy in a
    /// duplicate_bag); returns how many objects were removed.
    pub fn delete_object(self, key: &[u8], value: &[u8]) -> Result<usize, TableError> {
        let ((kp, kl), (vp, vl)) = (raw(key)?, raw(value)?);
        // SAFETY: the pairs are those of `key` and `value`, live slices; the
        // host only reads them, and checks the ranges.
        check(unsafe { sys::table_delete_object(self.id, kp, kl, vp, vl) }.into()).map(|n| n as usize)
    }

    /// Removes every object, atomically; returns how many.
    pub fn delete_all(self) -> Result<u64, TableError> {
        // SAFETY: `table_delete_all` takes only the table id and touches no
        // guest memory.
        check(unsafe { sys::table_delete_all(self.id) }).map(|n| n as u64)
    }

    /// Adds `incr` to the counter under `key` (an `i64` stored as 8 bytes
    /// LE) atomically and returns the new value; a missing key starts at
    /// `default` (with `None`, a missing key is `Other(Error::Unknown(-12))`,
    /// `ERR_NOT_FOUND`).
    pub fn update_counter(self, key: &[u8], incr: i64, default: Option<i64>) -> Result<i64, TableError> {
        let (kp, kl) = raw(key)?;
        let flags = if default.is_some() { sys::COUNTER_DEFAULT } else { 0 };
        let mut out = [0u8; 8];
        // SAFETY: `kp`/`kl` are those of `key`, a live slice the host only
        // reads (range-checked); `out` is a live local array of 8 bytes, and
        // the host writes exactly 8 bytes (the new counter) at `out_ptr`.
        let status =
            unsafe { sys::table_update_counter(self.id, kp, kl, incr, flags, default.unwrap_or(0), out.as_mut_ptr()) };
        check(status.into()).map(|_| i64::from_le_bytes(out))
    }

    /// Replaces the value of an existing key (`Ok(false)` if it is absent).
    pub fn update(self, key: &[u8], value: &[u8]) -> Result<bool, TableError> {
        self.update_raw(key, -1, value)
    }

    /// Writes `bytes` over the value of an existing key from byte `offset`
    /// (at most its length), growing it if needed (`Ok(false)` if absent).
    pub fn update_at(self, key: &[u8], offset: u32, bytes: &[u8]) -> Result<bool, TableError> {
        self.update_raw(key, i32::try_from(offset).map_err(|_| TableError::Other(crate::Error::BadArg))?, bytes)
    }

    fn update_raw(self, key: &[u8], offset: i32, bytes: &[u8]) -> Result<bool, TableError> {
        let ((kp, kl), (vp, vl)) = (raw(key)?, raw(bytes)?);
        // SAFETY: the pairs are those of `key` and `bytes`, live slices; the
        // host only reads them, and checks the ranges.
        match unsafe { sys::table_update(self.id, kp, kl, offset, vp, vl) } {
            sys::ERR_NOT_FOUND => Ok(false),
            status => check(status.into()).map(|_| true),
        }
    }

    /// The first key in traversal order (key order in an ordered_set).
    pub fn first(self) -> Result<Option<Vec<u8>>, TableError> {
        // SAFETY: `fetch` passes `dst`/`dl` of spare capacity it owns, and
        // the host writes at most `dl` bytes there.
        fetch(|dst, dl| unsafe { sys::table_first(self.id, dst, dl) })
    }

    /// The last key in traversal order.
    pub fn last(self) -> Result<Option<Vec<u8>>, TableError> {
        // SAFETY: `fetch` passes `dst`/`dl` of spare capacity it owns, and
        // the host writes at most `dl` bytes there.
        fetch(|dst, dl| unsafe { sys::table_last(self.id, dst, dl) })
    }

    /// The key after `key` in traversal order (`key` need not be present).
    pub fn next(self, key: &[u8]) -> Result<Option<Vec<u8>>, TableError> {
        let (kp, kl) = raw(key)?;
        // SAFETY: `kp`/`kl` are those of `key`, a live slice the host only
        // reads (range-checked); `fetch` passes `dst`/`dl` of spare capacity
        // it owns, and the host writes at most `dl` bytes there.
        fetch(|dst, dl| unsafe { sys::table_next(self.id, kp, kl, dst, dl) })
    }

    /// The key before `key` in traversal order.
    pub fn prev(self, key: &[u8]) -> Result<Option<Vec<u8>>, TableError> {
        let (kp, kl) = raw(key)?;
        // SAFETY: `kp`/`kl` are those of `key`, a live slice the host only
        // reads (range-checked); `fetch` passes `dst`/`dl` of spare capacity
        // it owns, and the host writes at most `dl` bytes there.
        fetch(|dst, dl| unsafe { sys::table_prev(self.id, kp, kl, dst, dl) })
    }

    /// The objects of an ordered_set with keys between `lower` and `upper`,
    /// at most `limit` keys, in key order (descending with `reverse`), as
    /// records. Page on with the last key as an excluded bound.
    pub fn range(
        self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        limit: u32,
        reverse: bool,
    ) -> Result<Vec<u8>, TableError> {
        let (from, to, mut flags) = range_args(lower, upper);
        if reverse {
            flags |= sys::RANGE_REVERSE;
        }
        let ((fp, fl), (tp, tl)) = (raw(from)?, raw(to)?);
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        // SAFETY: the `from` and `to` pairs are those of live slices, which
        // the host only reads (range-checked); `fetch` passes `dst`/`dl` of
        // spare capacity it owns, and the host writes at most `dl` bytes there.
        fetch(|dst, dl| unsafe { sys::table_range(self.id, fp, fl, tp, tl, flags, limit, dst, dl) })
            .map(Option::unwrap_or_default)
    }

    /// The objects whose key starts with `prefix`, after the key `after` if
    /// given, at most `limit` keys, in traversal order, as records. Works on
    /// every type of table.
    pub fn select_prefix(self, prefix: &[u8], after: Option<&[u8]>, limit: u32) -> Result<Vec<u8>, TableError> {
        let ((pp, pl), (ap, al)) = (raw(prefix)?, raw(after.unwrap_or_default())?);
        let flags = if after.is_some() { sys::SELECT_AFTER } else { 0 };
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        // SAFETY: the `prefix` and `after` pairs are those of live slices,
        // which the host only reads (range-checked); `fetch` passes `dst`/`dl`
        // of spare capacity it owns, and the host writes at most `dl` bytes
        // there.
        fetch(|dst, dl| unsafe { sys::table_select_prefix(self.id, pp, pl, ap, al, flags, limit, dst, dl) })
            .map(Option::unwrap_or_default)
    }

    /// The next chunk of the whole table after the key `after` (from the
    /// start with `None`), at most `limit` keys, as records. Chunks visit
    /// every key present throughout exactly once, even while others write.
    pub fn chunk(self, after: Option<&[u8]>, limit: u32) -> Result<Vec<u8>, TableError> {
        let (ap, al) = raw(after.unwrap_or_default())?;
        let flags = if after.is_some() { sys::SELECT_AFTER } else { 0 };
        let limit = i32::try_from(limit).unwrap_or(i32::MAX);
        // SAFETY: `ap`/`al` are those of `after` (or of `[]`), a live slice
        // the host only reads (range-checked); `fetch` passes `dst`/`dl` of
        // spare capacity it owns, and the host writes at most `dl` bytes there.
        fetch(|dst, dl| unsafe { sys::table_chunk(self.id, ap, al, flags, limit, dst, dl) })
            .map(Option::unwrap_or_default)
    }

    /// Every object, fetched in chunks of `chunk` keys.
    pub fn iter(self, chunk: u32) -> RawIter {
        RawIter { table: self, chunk, buffer: Vec::new(), at: 0, after: None, done: false }
    }

    /// The values in a lookup result: a raw value (set types) or records.
    fn values_of(self, found: Option<Vec<u8>>) -> Result<Vec<Vec<u8>>, TableError> {
        let Some(found) = found else { return Ok(Vec::new()) };
        Ok(match self.kind {
            Kind::Set | Kind::OrderedSet => alloc::vec![found],
            Kind::Bag | Kind::DuplicateBag => Records(&found).map(|(_, v)| v.to_vec()).collect(),
        })
    }
}

fn records_of(objects: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut records = Vec::with_capacity(objects.iter().map(|(k, v)| 8 + k.len() + v.len()).sum());
    for (key, value) in objects {
        push_record(&mut records, key, value);
    }
    records
}

/// Every object of a table, in chunks (see [`RawTable::iter`]). Yields
/// `(key, value)`, or one error and then nothing.
#[derive(Debug)]
pub struct RawIter {
    table: RawTable,
    chunk: u32,
    buffer: Vec<u8>,
    at: usize,
    after: Option<Vec<u8>>,
    done: bool,
}

impl Iterator for RawIter {
    type Item = Result<(Vec<u8>, Vec<u8>), TableError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some((key, value)) = Records(&self.buffer[self.at..]).next() {
                self.at += 8 + key.len() + value.len();
                let (key, value) = (key.to_vec(), value.to_vec());
                self.after = Some(key.clone());
                return Some(Ok((key, value)));
            }
            if self.done {
                return None;
            }
            match self.table.chunk(self.after.as_deref(), self.chunk.max(1)) {
                Ok(records) if records.is_empty() => {
                    self.done = true;
                    return None;
                }
                Ok(records) => {
                    self.buffer = records;
                    self.at = 0;
                }
                Err(error) => {
                    self.done = true;
                    self.buffer.clear();
                    self.at = 0;
                    return Some(Err(error));
                }
            }
        }
    }
}

/// Every table on the node, as `(table id, name)` (empty name: anonymous),
/// by id.
pub fn all_tables() -> Result<Vec<(i64, Vec<u8>)>, TableError> {
    // SAFETY: `fetch` passes `dst`/`dl` of spare capacity it owns, and the
    // host writes at most `dl` bytes there.
    let records = fetch(|dst, dl| unsafe { sys::table_list(dst, dl) })?.unwrap_or_default();
    Ok(Records(&records)
        .filter_map(|(id, name)| Some((i64::from_le_bytes(id.try_into().ok()?), name.to_vec())))
        .collect())
}
