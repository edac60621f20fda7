//! Raw bindings to the table host functions of `warren_v1`, exactly as
//! `docs/ABI.md` ("Tables") lists them. Prefer [`super::RawTable`] and
//! [`super::Table`].
//!
//! Results of unknown size (`table_lookup`, `table_take`, `table_first`,
//! `table_next`, `table_range`, `table_select_prefix`, `table_chunk`,
//! `table_list`) return their size `n` in bytes: if `n <= dst_len` the result
//! is at `dst_ptr`; otherwise nothing was copied and the result is pending:
//! allocate `n` bytes and call [`table_result_read`].
//!
//! Calling them has the requirements of [`crate::sys`] ("Safety"): readable
//! sources and writable destinations (`dst_ptr`, `out_ptr`: 8 bytes) for
//! their whole length.

/// No table has that id (or name).
pub const ERR_NO_SUCH_TABLE: i32 = -8;
/// The table's access rules forbid this to the caller.
pub const ERR_ACCESS: i32 = -9;
/// The operation does not apply to this type of table.
pub const ERR_WRONG_TYPE: i32 = -10;
/// A table already has that name.
pub const ERR_TABLE_NAME_TAKEN: i32 = -11;
/// The key is not in the table (or a traversal reached its end).
pub const ERR_NOT_FOUND: i32 = -12;
/// The value under the key is not a counter (8 bytes).
pub const ERR_NOT_A_COUNTER: i32 = -13;
/// The counter would overflow an `i64`.
pub const ERR_OVERFLOW: i32 = -14;
/// The table's memory limit would be crossed.
pub const ERR_TABLE_FULL: i32 = -15;
/// The key is longer than [`MAX_KEY_LEN`].
pub const ERR_KEY_TOO_LARGE: i32 = -16;
/// The value is longer than the node's largest message.
pub const ERR_VALUE_TOO_LARGE: i32 = -17;
/// The process to give the table to is not alive.
pub const ERR_NOT_ALIVE: i32 = -18;
/// `table_result_read`: there is no pending result.
pub const ERR_NO_RESULT: i32 = -19;

/// Table type: one object per key.
pub const TABLE_SET: i32 = 0;
/// Table type: one object per key, in key order (bytewise).
pub const TABLE_ORDERED_SET: i32 = 1;
/// Table type: many objects per key, no two identical.
pub const TABLE_BAG: i32 = 2;
/// Table type: many objects per key, duplicates allowed.
pub const TABLE_DUPLICATE_BAG: i32 = 3;

/// Access: the owner writes, every process reads (the default).
pub const ACCESS_PROTECTED: i32 = 0;
/// Access: every process reads and writes.
pub const ACCESS_PUBLIC: i32 = 1;
/// Access: only the owner reads and writes.
pub const ACCESS_PRIVATE: i32 = 2;

/// `table_update_counter` flag: a missing key starts at `default`.
pub const COUNTER_DEFAULT: i32 = 1;
/// `table_range` flag: `from` itself is excluded.
pub const RANGE_FROM_EXCLUSIVE: i32 = 1;
/// `table_range` flag: `to` itself is included.
pub const RANGE_TO_INCLUSIVE: i32 = 2;
/// `table_range` flag: no lower bound (`from` is ignored).
pub const RANGE_FROM_START: i32 = 4;
/// `table_range` flag: no upper bound (`to` is ignored).
pub const RANGE_TO_END: i32 = 8;
/// `table_range` flag: descending order, from the upper end.
pub const RANGE_REVERSE: i32 = 16;
/// `table_select_prefix` / `table_chunk` flag: resume after the key `after`.
pub const SELECT_AFTER: i32 = 1;

/// Tag of the message a process gets when it becomes a table's owner.
/// Payload: `[table id: i64][previous owner: i64][data]` (LE).
pub const TAG_TABLE_TRANSFER: i64 = -102;
/// Longest key, in bytes.
pub const MAX_KEY_LEN: usize = 65_535;
/// Size of the record `table_info` writes.
pub const TABLE_INFO_SIZE: usize = 64;

#[link(wasm_import_module = "warren_v1")]
unsafe extern "C" {
    /// `(name_ptr, name_len, kind, access: i32, max_bytes: i64) -> i64`: a new
    /// table owned by the caller; returns its id (> 0). `name_len = 0`: an
    /// anonymous table. `max_bytes = 0`: no memory limit.
    pub fn table_new(name_ptr: *const u8, name_len: i32, kind: i32, access: i32, max_bytes: i64) -> i64;
    /// `(name_ptr, name_len) -> i64`: the id of the table with that name.
    pub fn table_whereis(name_ptr: *const u8, name_len: i32) -> i64;
    /// `(tid) -> i32`: deletes the table (needs write access).
    pub fn table_delete(tid: i64) -> i32;
    /// `(tid, pid, data_ptr, data_len) -> i32`: makes `pid` the owner; it
    /// gets a [`TAG_TABLE_TRANSFER`] message with `data`.
    pub fn table_give_away(tid: i64, pid: i64, data_ptr: *const u8, data_len: i32) -> i32;
    /// `(tid, pid, data_ptr, data_len) -> i32`: sets the heir (`pid = 0`: none).
    pub fn table_set_heir(tid: i64, pid: i64, data_ptr: *const u8, data_len: i32) -> i32;
    /// `(tid, dst_ptr, dst_len) -> i32`: copies up to 64 bytes of the info
    /// record; returns 64.
    pub fn table_info(tid: i64, dst_ptr: *mut u8, dst_len: i32) -> i32;
    /// `(dst_ptr, dst_len) -> i32`: records `(id: 8 bytes LE, name)` of every
    /// table (a result).
    pub fn table_list(dst_ptr: *mut u8, dst_len: i32) -> i32;
    /// `(tid, key_ptr, key_len, val_ptr, val_len) -> i32`: inserts one object.
    pub fn table_insert(tid: i64, key_ptr: *const u8, key_len: i32, val_ptr: *const u8, val_len: i32) -> i32;
    /// As [`table_insert`] if the key is absent: returns 1, else 0.
    pub fn table_insert_new(tid: i64, key_ptr: *const u8, key_len: i32, val_ptr: *const u8, val_len: i32) -> i32;
    /// `(tid, records_ptr, records_len) -> i32`: inserts every record,
    /// atomically; returns how many.
    pub fn table_insert_many(tid: i64, ptr: *const u8, len: i32) -> i32;
    /// As [`table_insert_many`] if none of the keys is present: returns 1,
    /// else 0 (nothing inserted).
    pub fn table_insert_new_many(tid: i64, ptr: *const u8, len: i32) -> i32;
    /// `(tid, key_ptr, key_len, dst_ptr, dst_len) -> i32`: the value (set
    /// types) or the objects as records (bag types); a result.
    pub fn table_lookup(tid: i64, key_ptr: *const u8, key_len: i32, dst_ptr: *mut u8, dst_len: i32) -> i32;
    /// `(tid, key_ptr, key_len) -> i32`: 1 if the key is present, else 0.
    pub fn table_member(tid: i64, key_ptr: *const u8, key_len: i32) -> i32;
    /// As [`table_lookup`], and removes the key.
    pub fn table_take(tid: i64, key_ptr: *const u8, key_len: i32, dst_ptr: *mut u8, dst_len: i32) -> i32;
    /// `(tid, key_ptr, key_len) -> i32`: removes the key; returns the
    /// objects removed.
    pub fn table_delete_key(tid: i64, key_ptr: *const u8, key_len: i32) -> i32;
    /// `(tid, key_ptr, key_len, val_ptr, val_len) -> i32`: removes that
    /// exact object; returns the objects removed.
    pub fn table_delete_object(tid: i64, key_ptr: *const u8, key_len: i32, val_ptr: *const u8, val_len: i32) -> i32;
    /// `(tid) -> i64`: removes every object; returns how many.
    pub fn table_delete_all(tid: i64) -> i64;
    /// `(tid, key_ptr, key_len, incr: i64, flags: i32, default: i64, out_ptr)
    /// -> i32`: adds `incr` to the i64 LE counter under the key and writes
    /// the new value (8 bytes LE) at `out_ptr`.
    pub fn table_update_counter(
        tid: i64,
        key_ptr: *const u8,
        key_len: i32,
        incr: i64,
        flags: i32,
        default: i64,
        out_ptr: *mut u8,
    ) -> i32;
    /// `(tid, key_ptr, key_len, offset, val_ptr, val_len) -> i32`: replaces
    /// the value of an existing key (`offset = -1`) or writes `val` over it
    /// from byte `offset`.
    pub fn table_update(
        tid: i64,
        key_ptr: *const u8,
        key_len: i32,
        offset: i32,
        val_ptr: *const u8,
        val_len: i32,
    ) -> i32;
    /// `(tid, dst_ptr, dst_len) -> i32`: the first key; a result.
    pub fn table_first(tid: i64, dst_ptr: *mut u8, dst_len: i32) -> i32;
    /// `(tid, dst_ptr, dst_len) -> i32`: the last key; a result.
    pub fn table_last(tid: i64, dst_ptr: *mut u8, dst_len: i32) -> i32;
    /// `(tid, key_ptr, key_len, dst_ptr, dst_len) -> i32`: the next key; a
    /// result.
    pub fn table_next(tid: i64, key_ptr: *const u8, key_len: i32, dst_ptr: *mut u8, dst_len: i32) -> i32;
    /// `(tid, key_ptr, key_len, dst_ptr, dst_len) -> i32`: the previous key;
    /// a result.
    pub fn table_prev(tid: i64, key_ptr: *const u8, key_len: i32, dst_ptr: *mut u8, dst_len: i32) -> i32;
    /// `(tid, from_ptr, from_len, to_ptr, to_len, flags, limit, dst_ptr,
    /// dst_len) -> i32`: objects of an ordered_set in a key range, as
    /// records; a result.
    pub fn table_range(
        tid: i64,
        from_ptr: *const u8,
        from_len: i32,
        to_ptr: *const u8,
        to_len: i32,
        flags: i32,
        limit: i32,
        dst_ptr: *mut u8,
        dst_len: i32,
    ) -> i32;
    /// `(tid, prefix_ptr, prefix_len, after_ptr, after_len, flags, limit,
    /// dst_ptr, dst_len) -> i32`: objects whose key starts with the prefix,
    /// as records; a result.
    pub fn table_select_prefix(
        tid: i64,
        prefix_ptr: *const u8,
        prefix_len: i32,
        after_ptr: *const u8,
        after_len: i32,
        flags: i32,
        limit: i32,
        dst_ptr: *mut u8,
        dst_len: i32,
    ) -> i32;
    /// `(tid, after_ptr, after_len, flags, limit, dst_ptr, dst_len) -> i32`:
    /// the next chunk of the whole table, as records; a result.
    pub fn table_chunk(
        tid: i64,
        after_ptr: *const u8,
        after_len: i32,
        flags: i32,
        limit: i32,
        dst_ptr: *mut u8,
        dst_len: i32,
    ) -> i32;
    /// `(dst_ptr, dst_len) -> i32`: copies the pending result if it fits
    /// (returns its size), else returns its size and copies nothing.
    pub fn table_result_read(dst_ptr: *mut u8, dst_len: i32) -> i32;
}
