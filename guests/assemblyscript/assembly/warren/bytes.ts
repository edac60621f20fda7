// Bytes: a growable writer and a bounds-checked reader, both endiannesses,
// and the conversions between strings and UTF-8 the host functions need.

/** The UTF-8 bytes of `text`. */
export function utf8(text: string): Uint8Array {
  return Uint8Array.wrap(String.UTF8.encode(text));
}

/** `bytes` read as UTF-8 (invalid sequences become U+FFFD). */
export function text(bytes: Uint8Array): string {
  return String.UTF8.decodeUnsafe(bytes.dataStart, bytes.length);
}

/** The address of `bytes`'s first byte (0 for none): for host calls. */
// @ts-ignore: decorator
@inline
export function ptr(bytes: Uint8Array | null): usize {
  return bytes ? bytes.dataStart : 0;
}

/** The length of `bytes` (0 for none): for host calls. */
// @ts-ignore: decorator
@inline
export function len(bytes: Uint8Array | null): i32 {
  return bytes ? bytes.length : 0;
}

/** Whether `a` and `b` hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): bool {
  if (a.length != b.length) return false;
  return memory.compare(a.dataStart, b.dataStart, a.length) == 0;
}

/** Compares `a` and `b` bytewise, a prefix first: -1, 0 or 1. */
export function bytesCompare(a: Uint8Array, b: Uint8Array): i32 {
  const n = min(a.length, b.length);
  const c = memory.compare(a.dataStart, b.dataStart, n);
  if (c != 0) return c < 0 ? -1 : 1;
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** A growable byte buffer that appends numbers and bytes. */
export class Writer {
  private buf: Uint8Array;
  private n: i32 = 0;

  constructor(capacity: i32 = 64) {
    this.buf = new Uint8Array(max(capacity, 8));
  }

  /** How many bytes were written. */
  get length(): i32 {
    return this.n;
  }

  private reserve(more: i32): void {
    const need = this.n + more;
    if (need <= this.buf.length) return;
    let cap = this.buf.length;
    while (cap < need) cap <<= 1;
    const grown = new Uint8Array(cap);
    memory.copy(grown.dataStart, this.buf.dataStart, this.n);
    this.buf = grown;
  }

  u8(v: u32): Writer {
    this.reserve(1);
    store<u8>(this.buf.dataStart + this.n, <u8>v);
    this.n += 1;
    return this;
  }
  u16be(v: u32): Writer {
    this.reserve(2);
    store<u16>(this.buf.dataStart + this.n, bswap<u16>(<u16>v));
    this.n += 2;
    return this;
  }
  u32be(v: u32): Writer {
    this.reserve(4);
    store<u32>(this.buf.dataStart + this.n, bswap<u32>(v));
    this.n += 4;
    return this;
  }
  u64be(v: u64): Writer {
    this.reserve(8);
    store<u64>(this.buf.dataStart + this.n, bswap<u64>(v));
    this.n += 8;
    return this;
  }
  u32le(v: u32): Writer {
    this.reserve(4);
    store<u32>(this.buf.dataStart + this.n, v);
    this.n += 4;
    return this;
  }
  i32le(v: i32): Writer {
    return this.u32le(<u32>v);
  }
  u64le(v: u64): Writer {
    this.reserve(8);
    store<u64>(this.buf.dataStart + this.n, v);
    this.n += 8;
    return this;
  }
  i64le(v: i64): Writer {
    return this.u64le(<u64>v);
  }
  bytes(b: Uint8Array | null): Writer {
    if (!b) return this;
    this.reserve(b.length);
    memory.copy(this.buf.dataStart + this.n, b.dataStart, b.length);
    this.n += b.length;
    return this;
  }
  /** A `u32` LE length, then the bytes (the spec format's strings). */
  lenBytes(b: Uint8Array | null): Writer {
    this.u32le(<u32>len(b));
    return this.bytes(b);
  }
  /** A `u32` LE length, then the UTF-8 of `s`. */
  lenText(s: string): Writer {
    return this.lenBytes(utf8(s));
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.n);
  }
}

/**
 * A cursor over bytes. Every read checks the bytes left: a read past the
 * end returns 0 (or empty bytes) and clears `ok`, so a caller checks once
 * at the end.
 */
export class Reader {
  pos: i32 = 0;
  ok: bool = true;

  constructor(public bytes: Uint8Array) {}

  /** Bytes not read yet. */
  get remaining(): i32 {
    return this.bytes.length - this.pos;
  }

  /** Whether `n` more bytes are there; clears `ok` if not. */
  has(n: i32): bool {
    if (n < 0 || n > this.remaining) {
      this.ok = false;
      return false;
    }
    return true;
  }

  u8(): u32 {
    if (!this.has(1)) return 0;
    return load<u8>(this.bytes.dataStart + this.pos++);
  }
  u16be(): u32 {
    if (!this.has(2)) return 0;
    const v = bswap<u16>(load<u16>(this.bytes.dataStart + this.pos));
    this.pos += 2;
    return v;
  }
  u32be(): u32 {
    if (!this.has(4)) return 0;
    const v = bswap<u32>(load<u32>(this.bytes.dataStart + this.pos));
    this.pos += 4;
    return v;
  }
  u64be(): u64 {
    if (!this.has(8)) return 0;
    const v = bswap<u64>(load<u64>(this.bytes.dataStart + this.pos));
    this.pos += 8;
    return v;
  }
  u32le(): u32 {
    if (!this.has(4)) return 0;
    const v = load<u32>(this.bytes.dataStart + this.pos);
    this.pos += 4;
    return v;
  }
  i32le(): i32 {
    return <i32>this.u32le();
  }
  i64le(): i64 {
    if (!this.has(8)) return 0;
    const v = load<i64>(this.bytes.dataStart + this.pos);
    this.pos += 8;
    return v;
  }
  /** The next `n` bytes (a view, not a copy). */
  take(n: i32): Uint8Array {
    if (!this.has(n)) return new Uint8Array(0);
    const v = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }
  /** A `u32` LE length, then that many bytes. */
  lenBytes(): Uint8Array {
    const n = this.u32le();
    if (n > <u32>i32.MAX_VALUE) {
      this.ok = false;
      return new Uint8Array(0);
    }
    return this.take(<i32>n);
  }
  /** All the bytes left. */
  rest(): Uint8Array {
    return this.take(this.remaining);
  }
}
