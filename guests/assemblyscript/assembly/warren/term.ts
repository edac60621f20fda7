// Terms: Erlang's External Term Format (version 131), the subset
// docs/ABI.md "Terms" defines, written byte for byte as OTP 25's
// `term_to_binary/1` (and the Rust crate warren-term) writes it, and read
// from untrusted bytes with every length checked.

import { Reader, Writer, bytesCompare, utf8 } from "./bytes";

/** The node name of a non-distributed Erlang node, in Warren's pids and references. */
export const LOCAL_NODE = "nonode@nohost";
/** How deep containers (tuples, lists, maps, list tails) may nest in decoded input. */
export const MAX_DEPTH: i32 = 128;
/** The most characters an atom has. */
export const MAX_ATOM_CHARS: i32 = 255;

const VERSION: u32 = 131;
const COMPRESSED: u32 = 80;
const SMALL_INTEGER_EXT: u32 = 97;
const INTEGER_EXT: u32 = 98;
const SMALL_BIG_EXT: u32 = 110;
const LARGE_BIG_EXT: u32 = 111;
const NEW_FLOAT_EXT: u32 = 70;
const FLOAT_EXT: u32 = 99;
const ATOM_EXT: u32 = 100;
const SMALL_ATOM_EXT: u32 = 115;
const ATOM_UTF8_EXT: u32 = 118;
const SMALL_ATOM_UTF8_EXT: u32 = 119;
const SMALL_TUPLE_EXT: u32 = 104;
const LARGE_TUPLE_EXT: u32 = 105;
const NIL_EXT: u32 = 106;
const STRING_EXT: u32 = 107;
const LIST_EXT: u32 = 108;
const BINARY_EXT: u32 = 109;
const MAP_EXT: u32 = 116;
const NEW_PID_EXT: u32 = 88;
const PID_EXT: u32 = 103;
const NEWER_REFERENCE_EXT: u32 = 90;
const NEW_REFERENCE_EXT: u32 = 114;
const REFERENCE_EXT: u32 = 101;

/** Bits of a Warren pid's process-table index. */
const INDEX_BITS: u64 = 28;
/** Bits of the first word of a Warren reference. */
const REF_FIRST_BITS: u64 = 18;

/** What a term is. */
export enum Kind {
  /** An integer that fits an `i64` (`int`). */
  Integer,
  /** An integer outside `i64` (`negative`, `data`: magnitude, LE digits). */
  BigInt,
  /** A finite float (`float`). */
  Float,
  /** An atom (`name`). */
  Atom,
  /** A binary (`data`). */
  Binary,
  /** A tuple (`items`). */
  Tuple,
  /** A proper list (`items`); empty, it is `[]`. */
  List,
  /** `[items... | tail]`, a tail that is not a list. */
  ImproperList,
  /** A map (`items`: keys, `values`), keys in Erlang's order. */
  Map,
  /** A pid (`node`, `id`, `serial`, `creation`). */
  Pid,
  /** A reference (`node`, `creation`, `words`). */
  Reference,
}

/** An Erlang term. Build one with the static functions; read its fields by `kind`. */
export class Term {
  int: i64 = 0;
  negative: bool = false;
  float: f64 = 0;
  name: string = "";
  data: Uint8Array | null = null;
  items: Array<Term> | null = null;
  values: Array<Term> | null = null;
  tail: Term | null = null;
  node: string = "";
  id: u32 = 0;
  serial: u32 = 0;
  creation: u32 = 0;
  words: Array<u32> | null = null;

  private constructor(public kind: Kind) {}

  /** An integer. */
  static int(value: i64): Term {
    const t = new Term(Kind.Integer);
    t.int = value;
    return t;
  }

  /** An integer given by sign and magnitude (little-endian base-256 digits); an `Integer` when it fits `i64`. */
  static bigint(negative: bool, magnitudeLE: Uint8Array): Term {
    let n = magnitudeLE.length;
    while (n > 0 && magnitudeLE[n - 1] == 0) n--;
    if (n <= 8) {
      let v: u64 = 0;
      for (let i = n - 1; i >= 0; i--) v = (v << 8) | <u64>magnitudeLE[i];
      if (!negative && v <= <u64>i64.MAX_VALUE) return Term.int(<i64>v);
      if (negative && v <= (<u64>1 << 63)) return Term.int(<i64>(~v + 1));
    }
    const t = new Term(Kind.BigInt);
    t.negative = negative;
    t.data = magnitudeLE.slice(0, n);
    return t;
  }

  /** A float (it must be finite to be encoded). */
  static float(value: f64): Term {
    const t = new Term(Kind.Float);
    t.float = value;
    return t;
  }

  /** An atom. */
  static atom(name: string): Term {
    const t = new Term(Kind.Atom);
    t.name = name;
    return t;
  }

  /** `true` or `false`. */
  static bool(value: bool): Term {
    return Term.atom(value ? "true" : "false");
  }

  /** The atom `nil` (Elixir's `nil`). */
  static nil(): Term {
    return Term.atom("nil");
  }

  /** A binary holding (a copy of) `bytes`. */
  static binary(bytes: Uint8Array): Term {
    const t = new Term(Kind.Binary);
    t.data = bytes.slice(0);
    return t;
  }

  /** A binary holding the UTF-8 of `text` (an Elixir string). */
  static string(text: string): Term {
    const t = new Term(Kind.Binary);
    t.data = utf8(text);
    return t;
  }

  /** A tuple. */
  static tuple(items: Array<Term>): Term {
    const t = new Term(Kind.Tuple);
    t.items = items;
    return t;
  }

  /** A proper list (`[]` when empty). */
  static list(items: Array<Term>): Term {
    const t = new Term(Kind.List);
    t.items = items;
    return t;
  }

  /** `[]`. */
  static emptyList(): Term {
    return Term.list([]);
  }

  /** `[items... | tail]` (a list tail is flattened when encoded, as Erlang holds it). */
  static improperList(items: Array<Term>, tail: Term): Term {
    if (items.length == 0) return tail;
    const t = new Term(Kind.ImproperList);
    t.items = items;
    t.tail = tail;
    return t;
  }

  /** A map of `keys[i] => values[i]`, kept in Erlang's key order (a key twice cannot be encoded). */
  static map(keys: Array<Term>, values: Array<Term>): Term {
    const t = new Term(Kind.Map);
    const n = keys.length;
    const k = new Array<Term>(n);
    const v = new Array<Term>(n);
    // As Erlang writes small maps: usually sorted already.
    let sorted = true;
    for (let i = 1; sorted && i < n; i++) sorted = compare(keys[i - 1], keys[i]) < 0;
    if (sorted) {
      for (let i = 0; i < n; i++) {
        k[i] = keys[i];
        v[i] = i < values.length ? values[i] : Term.nil();
      }
    } else {
      const pairs = new Array<MapPair>(n);
      for (let i = 0; i < n; i++) pairs[i] = new MapPair(keys[i], i < values.length ? values[i] : Term.nil());
      // O(n log n) whatever the input (a forged map must not cost n^2).
      pairs.sort((a: MapPair, b: MapPair): i32 => compare(a.key, b.key));
      for (let i = 0; i < n; i++) {
        k[i] = pairs[i].key;
        v[i] = pairs[i].value;
      }
    }
    t.items = k;
    t.values = v;
    return t;
  }

  /** The pid of the Warren process `raw` (`SERIAL << 28 | INDEX`). */
  static pid(raw: i64): Term {
    const r = <u64>raw;
    const index = r & ((<u64>1 << INDEX_BITS) - 1);
    const serial = r >> INDEX_BITS;
    return Term.pidOf(LOCAL_NODE, <u32>(index | ((serial >> 32) << INDEX_BITS)), <u32>serial, 0);
  }

  /** A pid with these fields (another node's, say). */
  static pidOf(node: string, id: u32, serial: u32, creation: u32): Term {
    const t = new Term(Kind.Pid);
    t.node = node;
    t.id = id;
    t.serial = serial;
    t.creation = creation;
    return t;
  }

  /** The reference of the Warren reference `raw` (a monitor's, a timer's). */
  static reference(raw: i64): Term {
    const r = <u64>raw;
    const words: Array<u32> = [
      <u32>(r & ((<u64>1 << REF_FIRST_BITS) - 1)),
      <u32>(r >> REF_FIRST_BITS),
      <u32>(r >> (REF_FIRST_BITS + 32)),
    ];
    return Term.referenceOf(LOCAL_NODE, 0, words);
  }

  /** A reference with these fields (1 to 5 words, least significant first). */
  static referenceOf(node: string, creation: u32, words: Array<u32>): Term {
    const t = new Term(Kind.Reference);
    t.node = node;
    t.creation = creation;
    t.words = words;
    return t;
  }

  /** Whether this is the atom `name`. */
  isAtom(name: string): bool {
    return this.kind == Kind.Atom && this.name == name;
  }

  /** Whether this is an integer that fits `i64`. */
  isInt(): bool {
    return this.kind == Kind.Integer;
  }

  /** Elements of a tuple or list, keys of a map, bytes of a binary. */
  get length(): i32 {
    if (this.kind == Kind.Binary) return this.data!.length;
    const items = this.items;
    return items ? items.length : 0;
  }

  /** Element `i` of a tuple or list (null when out of range). */
  at(i: i32): Term | null {
    const items = this.items;
    if (!items || i < 0 || i >= items.length || this.kind == Kind.Map) return null;
    return items[i];
  }

  /** The value under `key` in a map (null when absent or not a map). */
  get(key: Term): Term | null {
    if (this.kind != Kind.Map) return null;
    const keys = this.items!;
    for (let i = 0; i < keys.length; i++) {
      if (compare(keys[i], key) == 0) return this.values![i];
    }
    return null;
  }

  /** The binary's bytes (empty for any other term). */
  bytes(): Uint8Array {
    const data = this.data;
    return this.kind == Kind.Binary && data ? data : new Uint8Array(0);
  }

  /** The binary's bytes as UTF-8 text ("" for any other term). */
  text(): string {
    const b = this.bytes();
    return String.UTF8.decodeUnsafe(b.dataStart, b.length);
  }

  /** The raw Warren pid, if this is a pid of this node; 0 otherwise. */
  localPid(): i64 {
    if (this.kind != Kind.Pid || this.node != LOCAL_NODE || this.creation != 0) return 0;
    const index = <u64>this.id & ((<u64>1 << INDEX_BITS) - 1);
    const serial = (<u64>(this.id >> <u32>INDEX_BITS) << 32) | <u64>this.serial;
    return <i64>((serial << INDEX_BITS) | index);
  }

  /** The raw Warren reference, if this is one of this node; 0 otherwise. */
  localReference(): i64 {
    if (this.kind != Kind.Reference || this.node != LOCAL_NODE || this.creation != 0) return 0;
    const w = this.words!;
    if (w.length != 3 || (w[0] >> <u32>REF_FIRST_BITS) != 0 || (w[2] >> <u32>(64 - REF_FIRST_BITS - 32)) != 0) return 0;
    return <i64>(<u64>w[0] | (<u64>w[1] << REF_FIRST_BITS) | (<u64>w[2] << (REF_FIRST_BITS + 32)));
  }

  /** Whether `other` is the same term (Erlang's `=:=`). */
  equals(other: Term): bool {
    return compare(this, other) == 0;
  }

  /** The term as Erlang prints it (`{ok,1}`, `<<"text">>`, `#{a => 1}`). */
  toString(): string {
    switch (this.kind) {
      case Kind.Integer:
        return this.int.toString();
      case Kind.BigInt:
        return (this.negative ? "-" : "") + decimal(this.data!);
      case Kind.Float:
        return floatText(this.float);
      case Kind.Atom:
        return atomText(this.name);
      case Kind.Binary:
        return binaryText(this.data!);
      case Kind.Tuple:
        return "{" + joined(this.items!) + "}";
      case Kind.List:
        return "[" + joined(this.items!) + "]";
      case Kind.ImproperList:
        return "[" + joined(this.items!) + "|" + this.tail!.toString() + "]";
      case Kind.Map: {
        const keys = this.items!;
        let s = "#{";
        for (let i = 0; i < keys.length; i++) {
          if (i > 0) s += ",";
          s += keys[i].toString() + " => " + this.values![i].toString();
        }
        return s + "}";
      }
      case Kind.Pid:
        return this.node == LOCAL_NODE
          ? "<0." + this.id.toString() + "." + this.serial.toString() + ">"
          : "<" + this.node + "." + this.id.toString() + "." + this.serial.toString() + ">";
      default: {
        let s = "#Ref<0";
        const w = this.words!;
        for (let i = w.length - 1; i >= 0; i--) s += "." + w[i].toString();
        return s + ">";
      }
    }
  }
}

/** A key and its value, for sorting a map. */
class MapPair {
  constructor(public key: Term, public value: Term) {}
}

function joined(items: Array<Term>): string {
  let s = "";
  for (let i = 0; i < items.length; i++) {
    if (i > 0) s += ",";
    s += items[i].toString();
  }
  return s;
}

function floatText(v: f64): string {
  const s = v.toString();
  return s.includes(".") || s.includes("e") ? s : s + ".0";
}

function atomText(name: string): string {
  let plain = name.length > 0 && name.charCodeAt(0) >= 97 && name.charCodeAt(0) <= 122;
  for (let i = 0; plain && i < name.length; i++) {
    const c = name.charCodeAt(i);
    plain = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c == 95 || c == 64;
  }
  if (plain) return name;
  return "'" + name.replaceAll("\\", "\\\\").replaceAll("'", "\\'") + "'";
}

function binaryText(data: Uint8Array): string {
  let printable = data.length > 0;
  for (let i = 0; printable && i < data.length; i++) printable = data[i] >= 32 && data[i] < 127;
  if (printable) {
    const s = String.UTF8.decodeUnsafe(data.dataStart, data.length);
    return '<<"' + s.replaceAll("\\", "\\\\").replaceAll('"', '\\"') + '">>';
  }
  let s = "<<";
  for (let i = 0; i < data.length; i++) {
    if (i > 0) s += ",";
    s += data[i].toString();
  }
  return s + ">>";
}

/** A magnitude (LE base-256 digits) in decimal. */
function decimal(magnitude: Uint8Array): string {
  const digits = magnitude.slice(0);
  let n = digits.length;
  let out = "";
  while (n > 0) {
    let rem: u32 = 0;
    for (let i = n - 1; i >= 0; i--) {
      const cur = (rem << 8) | <u32>digits[i];
      digits[i] = <u8>(cur / 10);
      rem = cur % 10;
    }
    out = String.fromCharCode(48 + rem) + out;
    while (n > 0 && digits[n - 1] == 0) n--;
  }
  return out.length ? out : "0";
}

// ---------------------------------------------------------------------------
// Erlang's term order: numbers < atoms < references < pids < tuples < maps
// < [] < lists < binaries; every integer before every float.

function rank(t: Term): i32 {
  switch (t.kind) {
    case Kind.Integer:
    case Kind.BigInt:
      return 0;
    case Kind.Float:
      return 1;
    case Kind.Atom:
      return 2;
    case Kind.Reference:
      return 3;
    case Kind.Pid:
      return 4;
    case Kind.Tuple:
      return 5;
    case Kind.Map:
      return 6;
    case Kind.List:
      return t.items!.length == 0 ? 7 : 8;
    case Kind.ImproperList:
      return 8;
    default:
      return 9;
  }
}

function cmpNum<T>(a: T, b: T): i32 {
  return a < b ? -1 : a > b ? 1 : 0;
}

function cmpText(a: string, b: string): i32 {
  // By code point, as Rust compares UTF-8 bytes.
  return a == b ? 0 : bytesCompare(utf8(a), utf8(b));
}

/** Sign and magnitude (LE, no trailing zero digits) of an integer term. */
function magnitudeOf(t: Term): Uint8Array {
  if (t.kind == Kind.BigInt) return t.data!;
  const v = t.int;
  let m: u64 = v < 0 ? ~(<u64>v) + 1 : <u64>v;
  const out = new Array<u8>();
  while (m != 0) {
    out.push(<u8>(m & 0xff));
    m >>= 8;
  }
  const bytes = new Uint8Array(out.length);
  for (let i = 0; i < out.length; i++) bytes[i] = out[i];
  return bytes;
}

function isNegative(t: Term): bool {
  return t.kind == Kind.BigInt ? t.negative : t.int < 0;
}

function cmpIntegers(a: Term, b: Term): i32 {
  const na = isNegative(a);
  const nb = isNegative(b);
  if (na != nb) return na ? -1 : 1;
  const ma = magnitudeOf(a);
  const mb = magnitudeOf(b);
  let c = cmpNum<i32>(ma.length, mb.length);
  for (let i = ma.length - 1; c == 0 && i >= 0; i--) c = cmpNum<u8>(ma[i], mb[i]);
  return na ? -c : c;
}

function cmpArrays(x: Array<Term>, y: Array<Term>): i32 {
  const n = min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const c = compare(x[i], y[i]);
    if (c != 0) return c;
  }
  return cmpNum<i32>(x.length, y.length);
}

function cmpLists(a: Term, b: Term): i32 {
  const xs = a.items!;
  const ys = b.items!;
  const common = min(xs.length, ys.length);
  for (let i = 0; i < common; i++) {
    const c = compare(xs[i], ys[i]);
    if (c != 0) return c;
  }
  // What follows the common cells: more cells (rank 8), `[]` (7) or the tail.
  const restA = xs.length > common ? 8 : a.kind == Kind.List ? 7 : -1;
  const restB = ys.length > common ? 8 : b.kind == Kind.List ? 7 : -1;
  if (restA < 0 && restB < 0) return compare(a.tail!, b.tail!);
  const ra = restA < 0 ? rank(a.tail!) : restA;
  const rb = restB < 0 ? rank(b.tail!) : restB;
  return cmpNum<i32>(ra, rb);
}

/** Compares `a` and `b` in Erlang's term order: -1, 0 or 1. */
export function compare(a: Term, b: Term): i32 {
  const ka = a.kind;
  const kb = b.kind;
  if (ka == Kind.Integer && kb == Kind.Integer) return cmpNum<i64>(a.int, b.int);
  if ((ka == Kind.Integer || ka == Kind.BigInt) && (kb == Kind.Integer || kb == Kind.BigInt)) return cmpIntegers(a, b);
  if (ka == Kind.Float && kb == Kind.Float) return cmpNum<f64>(a.float, b.float);
  if (ka == Kind.Atom && kb == Kind.Atom) return cmpText(a.name, b.name);
  if (ka == Kind.Reference && kb == Kind.Reference) {
    let c = cmpText(a.node, b.node);
    const wa = a.words!;
    const wb = b.words!;
    if (c == 0) c = cmpNum<i32>(wa.length, wb.length);
    for (let i = wa.length - 1; c == 0 && i >= 0; i--) c = cmpNum<u32>(wa[i], wb[i]);
    return c != 0 ? c : cmpNum<u32>(a.creation, b.creation);
  }
  if (ka == Kind.Pid && kb == Kind.Pid) {
    let c = cmpText(a.node, b.node);
    if (c == 0) c = cmpNum<u32>(a.serial, b.serial);
    if (c == 0) c = cmpNum<u32>(a.id, b.id);
    return c != 0 ? c : cmpNum<u32>(a.creation, b.creation);
  }
  if (ka == Kind.Tuple && kb == Kind.Tuple) {
    const c = cmpNum<i32>(a.items!.length, b.items!.length);
    return c != 0 ? c : cmpArrays(a.items!, b.items!);
  }
  if (ka == Kind.Map && kb == Kind.Map) {
    let c = cmpNum<i32>(a.items!.length, b.items!.length);
    if (c == 0) c = cmpArrays(a.items!, b.items!);
    return c != 0 ? c : cmpArrays(a.values!, b.values!);
  }
  if ((ka == Kind.List || ka == Kind.ImproperList) && (kb == Kind.List || kb == Kind.ImproperList)) return cmpLists(a, b);
  if (ka == Kind.Binary && kb == Kind.Binary) return bytesCompare(a.data!, b.data!);
  return cmpNum<i32>(rank(a), rank(b));
}

// ---------------------------------------------------------------------------
// Encoding.

/** Writes terms; `error` says why the last `write` failed. */
class Encoder {
  out: Writer = new Writer(64);
  error: string = "";

  fail(why: string): bool {
    this.error = why;
    return false;
  }

  term(t: Term): bool {
    switch (t.kind) {
      case Kind.Integer:
        this.int(t.int);
        return true;
      case Kind.BigInt: {
        const m = t.data!;
        let n = m.length;
        while (n > 0 && m[n - 1] == 0) n--;
        if (n <= 8) {
          // Not normalised (built by hand): the smallest tag that holds it.
          const small = Term.bigint(t.negative, m);
          if (small.kind == Kind.Integer) {
            this.int(small.int);
            return true;
          }
        }
        this.big(t.negative, m.subarray(0, n));
        return true;
      }
      case Kind.Float:
        if (!isFinite(t.float)) return this.fail("a float that is NaN or infinite");
        this.out.u8(NEW_FLOAT_EXT).u64be(reinterpret<u64>(t.float));
        return true;
      case Kind.Atom:
        return this.atom(t.name);
      case Kind.Binary: {
        const d = t.data!;
        this.out.u8(BINARY_EXT).u32be(<u32>d.length).bytes(d);
        return true;
      }
      case Kind.Tuple: {
        const items = t.items!;
        if (items.length <= 255) this.out.u8(SMALL_TUPLE_EXT).u8(<u32>items.length);
        else this.out.u8(LARGE_TUPLE_EXT).u32be(<u32>items.length);
        for (let i = 0; i < items.length; i++) if (!this.term(items[i])) return false;
        return true;
      }
      case Kind.List:
        return this.list(t.items!, null);
      case Kind.ImproperList: {
        // Flatten `[a | [b | c]]` to `[a, b | c]`, as Erlang holds it.
        let all = t.items!.slice(0);
        let tail = t.tail!;
        while (true) {
          if (tail.kind == Kind.List) return this.list(all.concat(tail.items!), null);
          if (tail.kind != Kind.ImproperList) return this.list(all, tail);
          all = all.concat(tail.items!);
          tail = tail.tail!;
        }
        return false;
      }
      case Kind.Map: {
        const keys = t.items!;
        const values = t.values!;
        // Term.map keeps keys sorted; a hand-made map may not be.
        const sorted = Term.map(keys, values);
        const k = sorted.items!;
        const v = sorted.values!;
        for (let i = 1; i < k.length; i++) {
          if (compare(k[i - 1], k[i]) == 0) return this.fail("a map with a duplicate key");
        }
        this.out.u8(MAP_EXT).u32be(<u32>k.length);
        for (let i = 0; i < k.length; i++) {
          if (!this.term(k[i]) || !this.term(v[i])) return false;
        }
        return true;
      }
      case Kind.Pid:
        this.out.u8(NEW_PID_EXT);
        if (!this.atom(t.node)) return false;
        this.out.u32be(t.id).u32be(t.serial).u32be(t.creation);
        return true;
      default: {
        const words = t.words!;
        if (words.length < 1 || words.length > 5) return this.fail("a reference of no word or more than 5");
        this.out.u8(NEWER_REFERENCE_EXT).u16be(<u32>words.length);
        if (!this.atom(t.node)) return false;
        this.out.u32be(t.creation);
        for (let i = 0; i < words.length; i++) this.out.u32be(words[i]);
        return true;
      }
    }
  }

  /** The smallest of SMALL_INTEGER_EXT, INTEGER_EXT, SMALL_BIG_EXT. */
  int(v: i64): void {
    if (v >= 0 && v <= 255) {
      this.out.u8(SMALL_INTEGER_EXT).u8(<u32>v);
    } else if (v >= i32.MIN_VALUE && v <= i32.MAX_VALUE) {
      this.out.u8(INTEGER_EXT).u32be(<u32>(<i32>v));
    } else {
      let m: u64 = v < 0 ? ~(<u64>v) + 1 : <u64>v;
      const digits = new Uint8Array(8);
      let n = 0;
      while (m != 0) {
        digits[n++] = <u8>(m & 0xff);
        m >>= 8;
      }
      this.big(v < 0, digits.subarray(0, n));
    }
  }

  /** SMALL_BIG_EXT or LARGE_BIG_EXT of a trimmed magnitude. */
  big(negative: bool, magnitude: Uint8Array): void {
    if (magnitude.length <= 255) this.out.u8(SMALL_BIG_EXT).u8(<u32>magnitude.length);
    else this.out.u8(LARGE_BIG_EXT).u32be(<u32>magnitude.length);
    this.out.u8(negative ? 1 : 0).bytes(magnitude);
  }

  /** ATOM_EXT (Latin-1) when every character is Latin-1, else SMALL_ATOM_UTF8_EXT / ATOM_UTF8_EXT. */
  atom(name: string): bool {
    let chars = 0;
    let latin1 = true;
    for (let i = 0; i < name.length; i++) {
      const c = name.codePointAt(i);
      if (c > 0xffff) i++; // a surrogate pair is one character
      else if (c >= 0xd800 && c <= 0xdfff) return this.fail("an atom that is not valid Unicode");
      if (c > 0xff) latin1 = false;
      chars++;
    }
    if (chars > MAX_ATOM_CHARS) return this.fail("an atom longer than 255 characters");
    if (latin1) {
      this.out.u8(ATOM_EXT).u16be(<u32>chars);
      for (let i = 0; i < name.length; i++) this.out.u8(<u32>name.charCodeAt(i));
      return true;
    }
    const bytes = utf8(name);
    if (bytes.length <= 255) this.out.u8(SMALL_ATOM_UTF8_EXT).u8(<u32>bytes.length);
    else this.out.u8(ATOM_UTF8_EXT).u16be(<u32>bytes.length);
    this.out.bytes(bytes);
    return true;
  }

  /** A list of `items` and `tail` (null: proper); STRING_EXT when it can. */
  list(items: Array<Term>, tail: Term | null): bool {
    if (items.length == 0) {
      if (tail) return this.term(tail);
      this.out.u8(NIL_EXT);
      return true;
    }
    let bytes = !tail && items.length <= 65535;
    for (let i = 0; bytes && i < items.length; i++) {
      const e = items[i];
      bytes = e.kind == Kind.Integer && e.int >= 0 && e.int <= 255;
    }
    if (bytes) {
      this.out.u8(STRING_EXT).u16be(<u32>items.length);
      for (let i = 0; i < items.length; i++) this.out.u8(<u32>items[i].int);
      return true;
    }
    this.out.u8(LIST_EXT).u32be(<u32>items.length);
    for (let i = 0; i < items.length; i++) if (!this.term(items[i])) return false;
    if (tail) return this.term(tail);
    this.out.u8(NIL_EXT);
    return true;
  }
}

/** Why the last `tryEncode` failed ("" when it did not). */
let lastEncodeError = "";

/** The bytes of `term` (version byte first), or null if it cannot be encoded (see `encodeError`). */
export function tryEncode(term: Term): Uint8Array | null {
  const e = new Encoder();
  e.out.u8(VERSION);
  if (!e.term(term)) {
    lastEncodeError = e.error;
    return null;
  }
  lastEncodeError = "";
  return e.out.finish();
}

/** Why the last `tryEncode` returned null. */
export function encodeError(): string {
  return lastEncodeError;
}

/**
 * The bytes of `term` (version byte first), as OTP 25's `term_to_binary/1`.
 * Throws (ending the process) for a term that cannot be encoded: a NaN or
 * infinite float, an atom of more than 255 characters, a map key twice.
 */
export function encode(term: Term): Uint8Array {
  const bytes = tryEncode(term);
  if (!bytes) throw new Error("the term cannot be encoded: " + lastEncodeError);
  return bytes;
}

// ---------------------------------------------------------------------------
// Decoding.

/** The outcome of `decodeResult`: a term, or why and where the bytes are not one. */
export class Decoded {
  constructor(
    public term: Term | null,
    /** Why the bytes are not a term ("" when they are). */
    public error: string,
    /** The offset of the fault. */
    public offset: i32,
  ) {}
}

class Decoder {
  r: Reader;
  error: string = "";
  at: i32 = 0;

  constructor(bytes: Uint8Array) {
    this.r = new Reader(bytes);
  }

  fail(why: string, at: i32): Term | null {
    if (this.error.length == 0) {
      this.error = why;
      this.at = at;
    }
    return null;
  }

  eof(): Term | null {
    return this.fail("the bytes end inside a term", this.r.pos);
  }

  /** `n` as a length, or -1 (and an error) if it is past what is left. */
  length(n: u32): i32 {
    if (n > <u32>this.r.remaining) {
      this.r.ok = false;
      return -1;
    }
    return <i32>n;
  }

  atomBody(tag: u32, at: i32): string | null {
    let n: u32;
    let latin1 = true;
    if (tag == ATOM_EXT) n = this.r.u16be();
    else if (tag == SMALL_ATOM_EXT) n = this.r.u8();
    else if (tag == ATOM_UTF8_EXT) {
      n = this.r.u16be();
      latin1 = false;
    } else if (tag == SMALL_ATOM_UTF8_EXT) {
      n = this.r.u8();
      latin1 = false;
    } else {
      this.fail("expected an atom, found tag " + tag.toString(), at);
      return null;
    }
    const bytes = this.r.take(<i32>n);
    if (!this.r.ok) {
      this.eof();
      return null;
    }
    let s: string;
    let chars: i32;
    if (latin1) {
      s = latin1Text(bytes);
      chars = bytes.length;
    } else {
      chars = utf8Chars(bytes);
      if (chars < 0) {
        this.fail("atom text is not UTF-8", at);
        return null;
      }
      s = String.UTF8.decodeUnsafe(bytes.dataStart, bytes.length);
    }
    if (chars > MAX_ATOM_CHARS) {
      this.fail("an atom longer than 255 characters", at);
      return null;
    }
    return s;
  }

  atom(): string | null {
    const at = this.r.pos;
    const tag = this.r.u8();
    if (!this.r.ok) {
      this.eof();
      return null;
    }
    return this.atomBody(tag, at);
  }

  term(depth: i32): Term | null {
    const r = this.r;
    const at = r.pos;
    const tag = r.u8();
    if (!r.ok) return this.eof();
    switch (tag) {
      case SMALL_INTEGER_EXT: {
        const v = r.u8();
        return r.ok ? Term.int(v) : this.eof();
      }
      case INTEGER_EXT: {
        const v = <i32>r.u32be();
        return r.ok ? Term.int(v) : this.eof();
      }
      case SMALL_BIG_EXT:
      case LARGE_BIG_EXT: {
        const n = tag == SMALL_BIG_EXT ? r.u8() : r.u32be();
        const sign = r.u8();
        if (!r.ok) return this.eof();
        if (sign > 1) return this.fail("a big integer's sign byte is neither 0 nor 1", at);
        const len = this.length(n);
        if (len < 0) return this.eof();
        return Term.bigint(sign == 1, r.take(len));
      }
      case NEW_FLOAT_EXT: {
        const v = reinterpret<f64>(r.u64be());
        if (!r.ok) return this.eof();
        if (!isFinite(v)) return this.fail("a float that is NaN or infinite", at);
        return Term.float(v);
      }
      case FLOAT_EXT: {
        const raw = r.take(31);
        if (!r.ok) return this.eof();
        let end = 0;
        while (end < 31 && raw[end] != 0) end++;
        const s = String.UTF8.decodeUnsafe(raw.dataStart, end).trim();
        if (!floatSyntax(s)) return this.fail("FLOAT_EXT text is not a float", at);
        const v = parseFloat(s);
        if (!isFinite(v)) return this.fail("a float that is NaN or infinite", at);
        return Term.float(v);
      }
      case ATOM_EXT:
      case SMALL_ATOM_EXT:
      case ATOM_UTF8_EXT:
      case SMALL_ATOM_UTF8_EXT: {
        const name = this.atomBody(tag, at);
        return name == null ? null : Term.atom(name);
      }
      case SMALL_TUPLE_EXT:
      case LARGE_TUPLE_EXT: {
        const arity = tag == SMALL_TUPLE_EXT ? r.u8() : r.u32be();
        if (!r.ok) return this.eof();
        if (depth >= MAX_DEPTH) return this.fail("containers nest deeper than 128", r.pos);
        const items = new Array<Term>();
        for (let i: u32 = 0; i < arity; i++) {
          const e = this.term(depth + 1);
          if (!e) return null;
          items.push(e);
        }
        return Term.tuple(items);
      }
      case NIL_EXT:
        return Term.list([]);
      case STRING_EXT: {
        const n = r.u16be();
        const bytes = r.take(<i32>n);
        if (!r.ok) return this.eof();
        const items = new Array<Term>(bytes.length);
        for (let i = 0; i < bytes.length; i++) items[i] = Term.int(bytes[i]);
        return Term.list(items);
      }
      case LIST_EXT: {
        const n = r.u32be();
        if (!r.ok) return this.eof();
        if (depth >= MAX_DEPTH) return this.fail("containers nest deeper than 128", r.pos);
        const items = new Array<Term>();
        for (let i: u32 = 0; i < n; i++) {
          const e = this.term(depth + 1);
          if (!e) return null;
          items.push(e);
        }
        const tail = this.term(depth + 1);
        if (!tail) return null;
        // Flatten a tail that is a list, as Erlang holds it.
        if (tail.kind == Kind.List) return Term.list(items.concat(tail.items!));
        if (tail.kind == Kind.ImproperList) return Term.improperList(items.concat(tail.items!), tail.tail!);
        return Term.improperList(items, tail);
      }
      case BINARY_EXT: {
        const n = r.u32be();
        if (!r.ok) return this.eof();
        const len = this.length(n);
        if (len < 0) return this.eof();
        return Term.binary(r.take(len));
      }
      case MAP_EXT: {
        const n = r.u32be();
        if (!r.ok) return this.eof();
        if (depth >= MAX_DEPTH) return this.fail("containers nest deeper than 128", r.pos);
        const keys = new Array<Term>();
        const values = new Array<Term>();
        for (let i: u32 = 0; i < n; i++) {
          const k = this.term(depth + 1);
          if (!k) return null;
          const v = this.term(depth + 1);
          if (!v) return null;
          keys.push(k);
          values.push(v);
        }
        const map = Term.map(keys, values);
        const sorted = map.items!;
        for (let i = 1; i < sorted.length; i++) {
          if (compare(sorted[i - 1], sorted[i]) == 0) return this.fail("a map with a duplicate key", at);
        }
        return map;
      }
      case NEW_PID_EXT:
      case PID_EXT: {
        const node = this.atom();
        if (node == null) return null;
        const id = r.u32be();
        const serial = r.u32be();
        const creation = tag == NEW_PID_EXT ? r.u32be() : r.u8();
        return r.ok ? Term.pidOf(node, id, serial, creation) : this.eof();
      }
      case REFERENCE_EXT: {
        const node = this.atom();
        if (node == null) return null;
        const id = r.u32be();
        const creation = r.u8();
        return r.ok ? Term.referenceOf(node, creation, [id]) : this.eof();
      }
      case NEWER_REFERENCE_EXT:
      case NEW_REFERENCE_EXT: {
        const n = r.u16be();
        if (!r.ok) return this.eof();
        if (n == 0 || n > 5) return this.fail("a reference of no word or more than 5", at);
        const node = this.atom();
        if (node == null) return null;
        const creation = tag == NEWER_REFERENCE_EXT ? r.u32be() : r.u8();
        const words = new Array<u32>();
        for (let i: u32 = 0; i < n; i++) words.push(r.u32be());
        return r.ok ? Term.referenceOf(node, creation, words) : this.eof();
      }
      case COMPRESSED:
        return this.fail("compressed terms are not supported", at);
      default:
        return this.fail("unsupported tag " + tag.toString(), at);
    }
  }
}

/** Latin-1 `bytes` as a string (one allocation: ASCII is valid UTF-8, else UTF-16 code units). */
function latin1Text(bytes: Uint8Array): string {
  let ascii = true;
  for (let i = 0; ascii && i < bytes.length; i++) ascii = bytes[i] < 0x80;
  if (ascii) return String.UTF8.decodeUnsafe(bytes.dataStart, bytes.length);
  const units = new Uint16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) units[i] = bytes[i];
  return String.UTF16.decodeUnsafe(units.dataStart, bytes.length << 1);
}

/** Number of characters in strict UTF-8 `bytes`, or -1 if they are not UTF-8. */
function utf8Chars(bytes: Uint8Array): i32 {
  let i = 0;
  let chars = 0;
  const n = bytes.length;
  while (i < n) {
    const b0 = <u32>bytes[i];
    let need = 0;
    let cp: u32 = 0;
    let lowest: u32 = 0;
    if (b0 < 0x80) {
      i++;
      chars++;
      continue;
    } else if ((b0 & 0xe0) == 0xc0) {
      need = 1;
      cp = b0 & 0x1f;
      lowest = 0x80;
    } else if ((b0 & 0xf0) == 0xe0) {
      need = 2;
      cp = b0 & 0x0f;
      lowest = 0x800;
    } else if ((b0 & 0xf8) == 0xf0) {
      need = 3;
      cp = b0 & 0x07;
      lowest = 0x10000;
    } else return -1;
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return -1;
      const b = <u32>bytes[i + k];
      if ((b & 0xc0) != 0x80) return -1;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < lowest || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
    i += need + 1;
    chars++;
  }
  return chars;
}

/** Whether `s` is a decimal float: `[+-]digits[.digits][e[+-]digits]`. */
function floatSyntax(s: string): bool {
  let i = 0;
  const n = s.length;
  if (i < n && (s.charCodeAt(i) == 43 || s.charCodeAt(i) == 45)) i++;
  let digits = 0;
  while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) {
    i++;
    digits++;
  }
  if (i < n && s.charCodeAt(i) == 46) {
    i++;
    while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) {
      i++;
      digits++;
    }
  }
  if (digits == 0) return false;
  if (i < n && (s.charCodeAt(i) == 101 || s.charCodeAt(i) == 69)) {
    i++;
    if (i < n && (s.charCodeAt(i) == 43 || s.charCodeAt(i) == 45)) i++;
    let exp = 0;
    while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) {
      i++;
      exp++;
    }
    if (exp == 0) return false;
  }
  return i == n;
}

/** The term in `bytes` (version byte first, nothing after it), or why not. */
export function decodeResult(bytes: Uint8Array): Decoded {
  const d = new Decoder(bytes);
  const version = d.r.u8();
  if (!d.r.ok) return new Decoded(null, "no bytes", 0);
  if (version == COMPRESSED) return new Decoded(null, "compressed terms are not supported", 0);
  if (version != VERSION) return new Decoded(null, "the version byte is " + version.toString() + ", not 131", 0);
  const term = d.term(0);
  if (!term) return new Decoded(null, d.error, d.at);
  if (d.r.remaining != 0) return new Decoded(null, "bytes follow the term", d.r.pos);
  return new Decoded(term, "", 0);
}

/** The term in `bytes`, or null if they are not one (see `decodeResult` for why). */
export function decode(bytes: Uint8Array): Term | null {
  return decodeResult(bytes).term;
}
