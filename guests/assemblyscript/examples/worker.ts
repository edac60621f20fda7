// A worker in AssemblyScript that crashes on a bad message, as an Erlang
// worker would: its links and monitors see why.
//
// `main` serves, blocking style, requests as terms from any process:
//   {square, N}     -> replies N * N (tag 2, a term)
//   {divide, A, B}  -> replies A div B; B = 0 traps (integer divide by zero):
//                      the process exits with reason `trap`, the trap text
//   stop            -> ends normally
//   anything else   -> throws: the process exits with a custom reason,
//                      "abort: bad message: ..." (asconfig.json's abort)
//
//   npm run asc -- examples/worker.ts -o worker.wasm

import { Kind, Mailbox, Process, Term } from "../assembly/warren";

const REPLY: i64 = 2;

/** The integer at `i` of tuple `t`, or throws. */
function intAt(t: Term, i: i32): i64 {
  const e = t.at(i);
  if (!e || !e.isInt()) throw new Error("bad message: " + t.toString());
  return e.int;
}

/** A / B, trapping when B is 0 (wasm's i64.div_s does). */
// @ts-ignore: decorator
@inline
function divide(a: i64, b: i64): i64 {
  return a / b;
}

export function main(): void {
  while (true) {
    const m = Mailbox.receive();
    if (!m) continue;
    const t = m.decode();
    if (!t) throw new Error("bad message: not a term (" + m.data.length.toString() + " bytes)");
    if (t.isAtom("stop")) return;
    const from = new Process(m.sender);
    if (t.kind == Kind.Tuple && t.length == 2 && t.at(0)!.isAtom("square")) {
      const n = intAt(t, 1);
      from.sendTerm(REPLY, Term.int(n * n));
    } else if (t.kind == Kind.Tuple && t.length == 3 && t.at(0)!.isAtom("divide")) {
      from.sendTerm(REPLY, Term.int(divide(intAt(t, 1), intAt(t, 2))));
    } else {
      throw new Error("bad message: " + t.toString());
    }
  }
}
