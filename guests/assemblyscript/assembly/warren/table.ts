// Shared tables (Erlang's ETS): byte keys and byte values that live in the
// host, readable by any process of the node without messages.

import * as sys from "./sys";
import { ACCESS_PROTECTED, COUNTER_DEFAULT, OK, TABLE_INFO_SIZE, TABLE_SET } from "./codes";
import { Reader, Writer, len, ptr, text, utf8 } from "./bytes";
import { check } from "./errors";

/** One object: a key and its value. */
export class Record {
  constructor(public key: Uint8Array, public value: Uint8Array) {}
}

/** What `table_info` says of a table. */
export class TableInfo {
  id: i64 = 0;
  owner: i64 = 0;
  /** 0 for none. */
  heir: i64 = 0;
  /** Objects. */
  size: i64 = 0;
  /** Distinct keys. */
  keys: i64 = 0;
  /** Bytes counted (keys, values, and an overhead per object). */
  memory: i64 = 0;
  /** 0 for no limit. */
  maxBytes: i64 = 0;
  /** TABLE_*. */
  kind: i32 = 0;
  /** ACCESS_*. */
  access: i32 = 0;
}

/** A table of the node, as `(id, name)` in `Table.list()`. */
export class TableEntry {
  constructor(public id: i64, public name: string) {}
}

/** Records packed as the host reads and writes them: `[key_len u32][key][value_len u32][value]`... */
export function packRecords(records: Array<Record>): Uint8Array {
  const w = new Writer(64);
  for (let i = 0; i < records.length; i++) w.lenBytes(records[i].key).lenBytes(records[i].value);
  return w.finish();
}

/** The records in `bytes` (as many whole ones as there are). */
export function unpackRecords(bytes: Uint8Array): Array<Record> {
  const out = new Array<Record>();
  const r = new Reader(bytes);
  while (r.remaining > 0) {
    const key = r.lenBytes().slice(0);
    const value = r.lenBytes().slice(0);
    if (!r.ok) break;
    out.push(new Record(key, value));
  }
  return out;
}

/** The scratch buffer results are first read into; larger ones are read again whole. */
const FIRST_READ: i32 = 256;

/**
 * A result of unknown size: `n` is what the call returned with `buf` as its
 * destination. The bytes, or null for an error code (kept in `error`).
 */
function result(n: i32, buf: Uint8Array, holder: Table): Uint8Array | null {
  if (n < 0) {
    holder.error = n;
    return null;
  }
  holder.error = OK;
  if (n <= buf.length) return buf.slice(0, n);
  // The host kept it as the pending result: read it whole.
  const whole = new Uint8Array(n);
  const m = sys.table_result_read(whole.dataStart, n);
  if (m < 0) {
    holder.error = m;
    return null;
  }
  return whole;
}

/** A table, by its id. Calls that fail leave their code in `error` (OK after a success). */
export class Table {
  /** The code of the last call that returned bytes or a value (OK, ERR_NOT_FOUND, ...). */
  error: i32 = OK;

  constructor(public readonly id: i64) {}

  /**
   * A new table owned by the caller (`kind` TABLE_*, `access` ACCESS_*;
   * `name` "" for an anonymous one; `maxBytes` 0 for no limit). Throws if
   * the host refuses (ERR_TABLE_NAME_TAKEN, ERR_BADARG); use `tryCreate`
   * to get the code instead.
   */
  static create(kind: i32 = TABLE_SET, access: i32 = ACCESS_PROTECTED, name: string = "", maxBytes: i64 = 0): Table {
    return new Table(check(Table.tryCreate(kind, access, name, maxBytes), "table_new"));
  }

  /** As `create`: the id (> 0) or an error code. */
  static tryCreate(kind: i32, access: i32, name: string = "", maxBytes: i64 = 0): i64 {
    const n = utf8(name);
    return sys.table_new(n.dataStart, n.length, kind, access, maxBytes);
  }

  /** The table named `name`, or null. */
  static whereis(name: string): Table | null {
    const n = utf8(name);
    const id = sys.table_whereis(n.dataStart, n.length);
    return id > 0 ? new Table(id) : null;
  }

  /** Every table of the node, by id. */
  static list(): Array<TableEntry> {
    const buf = new Uint8Array(FIRST_READ);
    const holder = new Table(0);
    const bytes = result(sys.table_list(buf.dataStart, buf.length), buf, holder);
    const out = new Array<TableEntry>();
    if (!bytes) return out;
    const records = unpackRecords(bytes);
    for (let i = 0; i < records.length; i++) {
      const k = records[i].key;
      out.push(new TableEntry(k.length == 8 ? load<i64>(k.dataStart) : 0, text(records[i].value)));
    }
    return out;
  }

  /** Deletes the table: `OK`, ERR_NO_SUCH_TABLE, ERR_ACCESS. */
  delete(): i32 {
    return sys.table_delete(this.id);
  }

  /** Gives it to `pid`, which gets a TAG_TABLE_TRANSFER with `data`. */
  giveAway(pid: i64, data: Uint8Array | null = null): i32 {
    return sys.table_give_away(this.id, pid, ptr(data), len(data));
  }

  /** Sets the heir (0: none) and the data its transfer message carries. */
  setHeir(pid: i64, data: Uint8Array | null = null): i32 {
    return sys.table_set_heir(this.id, pid, ptr(data), len(data));
  }

  /** The table's info, or null (ERR_NO_SUCH_TABLE in `error`). */
  info(): TableInfo | null {
    const b = new Uint8Array(TABLE_INFO_SIZE);
    const n = sys.table_info(this.id, b.dataStart, b.length);
    if (n < 0) {
      this.error = n;
      return null;
    }
    this.error = OK;
    const r = new Reader(b);
    const info = new TableInfo();
    info.id = r.i64le();
    info.owner = r.i64le();
    info.heir = r.i64le();
    info.size = r.i64le();
    info.keys = r.i64le();
    info.memory = r.i64le();
    info.maxBytes = r.i64le();
    info.kind = r.i32le();
    info.access = r.i32le();
    return info;
  }

  /** Inserts the object (a set replaces the key's value): `OK` or an error code. */
  insert(key: Uint8Array, value: Uint8Array): i32 {
    return sys.table_insert(this.id, key.dataStart, key.length, value.dataStart, value.length);
  }

  /** Inserts it only if the key is absent: 1 if inserted, 0 if not, or an error code. */
  insertNew(key: Uint8Array, value: Uint8Array): i32 {
    return sys.table_insert_new(this.id, key.dataStart, key.length, value.dataStart, value.length);
  }

  /** Inserts every record, atomically: how many, or an error code. */
  insertMany(records: Array<Record>): i32 {
    const b = packRecords(records);
    return sys.table_insert_many(this.id, b.dataStart, b.length);
  }

  /** Inserts them only if none of the keys is present: 1 if inserted, 0 if not, or an error code. */
  insertNewMany(records: Array<Record>): i32 {
    const b = packRecords(records);
    return sys.table_insert_new_many(this.id, b.dataStart, b.length);
  }

  /** The value under `key` (set, ordered_set), or null (ERR_NOT_FOUND or another code in `error`). */
  lookup(key: Uint8Array): Uint8Array | null {
    const buf = new Uint8Array(FIRST_READ);
    return result(sys.table_lookup(this.id, key.dataStart, key.length, buf.dataStart, buf.length), buf, this);
  }

  /** The objects under `key` of a bag, in insertion order (empty when absent). */
  lookupAll(key: Uint8Array): Array<Record> {
    const b = this.lookup(key);
    return b ? unpackRecords(b) : new Array<Record>();
  }

  /** Whether `key` is present. */
  member(key: Uint8Array): bool {
    return sys.table_member(this.id, key.dataStart, key.length) == 1;
  }

  /** As `lookup`, and removes the key, atomically. */
  take(key: Uint8Array): Uint8Array | null {
    const buf = new Uint8Array(FIRST_READ);
    return result(sys.table_take(this.id, key.dataStart, key.length, buf.dataStart, buf.length), buf, this);
  }

  /** Removes the key: how many objects went, or an error code. */
  deleteKey(key: Uint8Array): i32 {
    return sys.table_delete_key(this.id, key.dataStart, key.length);
  }

  /** Removes exactly this object: how many went, or an error code. */
  deleteObject(key: Uint8Array, value: Uint8Array): i32 {
    return sys.table_delete_object(this.id, key.dataStart, key.length, value.dataStart, value.length);
  }

  /** Removes every object, atomically: how many, or an error code. */
  deleteAll(): i64 {
    return sys.table_delete_all(this.id);
  }

  /**
   * Adds `incr` to the counter (an 8-byte i64 LE value) under `key`,
   * atomically; a missing key starts at `dflt` when `useDefault`. The new
   * value; check `error` (OK, ERR_NOT_FOUND, ERR_NOT_A_COUNTER, ERR_OVERFLOW...).
   */
  updateCounter(key: Uint8Array, incr: i64, useDefault: bool = true, dflt: i64 = 0): i64 {
    const out = new Uint8Array(8);
    const code = sys.table_update_counter(
      this.id, key.dataStart, key.length, incr, useDefault ? COUNTER_DEFAULT : 0, dflt, out.dataStart,
    );
    this.error = code;
    return code == OK ? load<i64>(out.dataStart) : 0;
  }

  /** Replaces the value (`offset` -1) or writes `value` over it from `offset`: `OK` or an error code. */
  update(key: Uint8Array, value: Uint8Array, offset: i32 = -1): i32 {
    return sys.table_update(this.id, key.dataStart, key.length, offset, value.dataStart, value.length);
  }

  /** The first key (traversal order), or null at the end (ERR_NOT_FOUND in `error`). */
  first(): Uint8Array | null {
    const buf = new Uint8Array(FIRST_READ);
    return result(sys.table_first(this.id, buf.dataStart, buf.length), buf, this);
  }

  /** The last key, or null. */
  last(): Uint8Array | null {
    const buf = new Uint8Array(FIRST_READ);
    return result(sys.table_last(this.id, buf.dataStart, buf.length), buf, this);
  }

  /** The key after `key` (which need not be present), or null at the end. */
  next(key: Uint8Array): Uint8Array | null {
    const buf = new Uint8Array(FIRST_READ);
    return result(sys.table_next(this.id, key.dataStart, key.length, buf.dataStart, buf.length), buf, this);
  }

  /** The key before `key`, or null at the start. */
  prev(key: Uint8Array): Uint8Array | null {
    const buf = new Uint8Array(FIRST_READ);
    return result(sys.table_prev(this.id, key.dataStart, key.length, buf.dataStart, buf.length), buf, this);
  }

  /** The objects of an ordered_set between `from` and `to` (RANGE_* `flags`), at most `limit` keys. */
  range(from: Uint8Array | null, to: Uint8Array | null, flags: i32, limit: i32): Array<Record> {
    const buf = new Uint8Array(FIRST_READ);
    const n = sys.table_range(this.id, ptr(from), len(from), ptr(to), len(to), flags, limit, buf.dataStart, buf.length);
    const b = result(n, buf, this);
    return b ? unpackRecords(b) : new Array<Record>();
  }

  /** The next objects whose key starts with `prefix` (after `after` with SELECT_AFTER), at most `limit` keys. */
  selectPrefix(prefix: Uint8Array, after: Uint8Array | null, flags: i32, limit: i32): Array<Record> {
    const buf = new Uint8Array(FIRST_READ);
    const n = sys.table_select_prefix(
      this.id, prefix.dataStart, prefix.length, ptr(after), len(after), flags, limit, buf.dataStart, buf.length,
    );
    const b = result(n, buf, this);
    return b ? unpackRecords(b) : new Array<Record>();
  }

  /** The next objects of the whole table (after `after` with SELECT_AFTER), at most `limit` keys; empty at the end. */
  chunk(after: Uint8Array | null, flags: i32, limit: i32): Array<Record> {
    const buf = new Uint8Array(FIRST_READ);
    const n = sys.table_chunk(this.id, ptr(after), len(after), flags, limit, buf.dataStart, buf.length);
    const b = result(n, buf, this);
    return b ? unpackRecords(b) : new Array<Record>();
  }
}

/** Table keys whose byte order is their value order, as the Rust SDK encodes them (docs/ABI.md "Key encoding"). */
export namespace Key {
  /** A signed integer: big-endian with the sign bit flipped. */
  export function int(v: i64): Uint8Array {
    const b = new Uint8Array(8);
    store<u64>(b.dataStart, bswap<u64>(<u64>v ^ (<u64>1 << 63)));
    return b;
  }
  /** An unsigned integer: big-endian. */
  export function uint(v: u64): Uint8Array {
    const b = new Uint8Array(8);
    store<u64>(b.dataStart, bswap<u64>(v));
    return b;
  }
  /** A string that is the whole key: its UTF-8 bytes. */
  export function text(s: string): Uint8Array {
    return utf8(s);
  }
}

/** Table values as the Rust SDK encodes them: an i64 LE (a counter). */
export namespace Value {
  /** An i64, little-endian (8 bytes: a counter). */
  export function int(v: i64): Uint8Array {
    const b = new Uint8Array(8);
    store<i64>(b.dataStart, v);
    return b;
  }
  /** The i64 in an 8-byte value (0 for any other length). */
  export function toInt(b: Uint8Array | null): i64 {
    return b && b.length == 8 ? load<i64>(b.dataStart) : 0;
  }
}
