// Test guest: the term codec of the AssemblyScript binding, checked from
// Rust against the warren-term crate (tests/all/lang_assemblyscript.rs).
//
// `main` serves until a message with tag 0:
//   tag 1 (bytes):  decodes them; replies tag 1 with the term encoded again,
//                   or tag 2 with "WHY at OFFSET" if they are not a term;
//   tag 3:          replies tag 3 with the encodings of VALUES, each as
//                   [u32 LE length][bytes];
//   tag 5:          replies tag 5 with why each of UNENCODABLE cannot be
//                   encoded, [u32 LE length][text] each ("" if it could).

import {
  Mailbox, Process, Term, Writer, decodeResult, encode, encodeError, tryEncode, utf8,
} from "../assembly/warren";

function ints(values: Array<i64>): Array<Term> {
  const out = new Array<Term>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Term.int(values[i]);
  return out;
}

/** The values tests/all/lang_assemblyscript.rs builds too, in the same order. */
function values(): Array<Term> {
  const big = new Uint8Array(9);
  big[8] = 1; // 2^64
  const huge = new Uint8Array(300);
  huge.fill(0xff);
  const bytes = new Uint8Array(2);
  bytes[1] = 255;
  const wide = new Array<Term>(300);
  for (let i = 0; i < 300; i++) wide[i] = Term.int(i);
  const long = new Array<Term>(65536);
  for (let i = 0; i < long.length; i++) long[i] = Term.int(7);
  const pid = Term.pid((<i64>1 << 28) | 5);
  const keys: Array<Term> = [
    Term.atom("b"), Term.atom("a"), Term.int(1), Term.string("k"), Term.tuple([Term.atom("t")]), Term.float(1.0),
    pid, Term.list([Term.int(1)]), Term.emptyList(), Term.int(-70000000000), Term.reference(9),
    Term.map([Term.atom("x")], [Term.int(1)]),
  ];
  const vals = ints([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  return [
    Term.int(0), Term.int(255), Term.int(256), Term.int(-1), Term.int(2147483647), Term.int(-2147483648),
    Term.int(2147483648), Term.int(i64.MAX_VALUE), Term.int(i64.MIN_VALUE), Term.bigint(false, big),
    Term.bigint(true, huge), Term.float(1.5), Term.float(-0.0), Term.float(1e300), Term.atom("ok"), Term.atom(""),
    Term.atom("é"), Term.atom("日本"), Term.atom("a".repeat(255)), Term.bool(true), Term.binary(new Uint8Array(0)),
    Term.string("hello"), Term.binary(bytes), Term.tuple([]), Term.tuple([Term.atom("ok"), Term.int(1)]),
    Term.tuple(wide), Term.emptyList(), Term.list(ints([1, 2])), Term.list(ints([1, 256])),
    Term.improperList([Term.atom("a")], Term.atom("b")),
    Term.improperList([Term.int(1)], Term.improperList([Term.int(2)], Term.int(3))),
    Term.improperList([Term.int(1)], Term.list([Term.int(2)])), Term.list(long), Term.map([], []),
    Term.map(keys, vals), pid, Term.pid((((<i64>1 << 32) | 3) << 28) | 7), Term.reference(5),
    Term.reference(i64.MAX_VALUE),
    Term.tuple([Term.list([Term.map([Term.atom("k")], [Term.tuple([Term.string("v")])])])]),
    Term.pidOf("other@host", 1, 2, 3), Term.referenceOf("nonode@nohost", 0, [1, 2, 3, 4, 5]),
  ];
}

function unencodable(): Array<Term> {
  return [
    Term.float(NaN),
    Term.float(Infinity),
    Term.atom("a".repeat(256)),
    Term.map([Term.atom("k"), Term.atom("k")], [Term.int(1), Term.int(2)]),
    Term.tuple([Term.int(1), Term.float(-Infinity)]),
    Term.atom("ok"),
  ];
}

export function main(): void {
  while (true) {
    const m = Mailbox.receive();
    if (!m) continue;
    const to = new Process(m.sender);
    if (m.tag == 0) return;
    if (m.tag == 1) {
      const d = decodeResult(m.data);
      const t = d.term;
      if (t) to.send(1, encode(t));
      else to.sendText(2, d.error + " at " + d.offset.toString());
    } else if (m.tag == 3) {
      const all = values();
      const w = new Writer(1 << 16);
      for (let i = 0; i < all.length; i++) w.lenBytes(encode(all[i]));
      to.send(3, w.finish());
    } else if (m.tag == 5) {
      const all = unencodable();
      const w = new Writer(256);
      for (let i = 0; i < all.length; i++) {
        const b = tryEncode(all[i]);
        w.lenBytes(utf8(b ? "" : encodeError()));
      }
      to.send(5, w.finish());
    }
  }
}
