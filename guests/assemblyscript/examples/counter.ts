// A counter server in AssemblyScript, handler style: `main` makes the
// process handler-style and returns; the host then calls `handle` once
// per message. Between messages it hibernates (its instance is dropped;
// the count, a module global, comes back with the next message).
//
// Calls (docs/ABI.md "Calls"), requests and replies as terms:
//   get          -> N
//   {add, K}     -> N + K (the new count)
// Casts (plain messages, tag 1, no reply): {add, K}; the atom stop ends it.
// System requests (`warren state PID`): the state is "count=N".
//
//   npm run asc -- examples/counter.ts -o counter.wasm

import { Kind, Message, Request, Term, hibernate, setHandler } from "../assembly/warren";

/** The count: a module global, so hibernation keeps it. */
let count: i64 = 0;

/** Tag of a cast. */
const CAST: i64 = 1;

export function main(): void {
  setHandler("handle");
  hibernate();
}

/** `{add, K}` as K, or null for anything else. */
function addend(t: Term | null): Term | null {
  if (t && t.kind == Kind.Tuple && t.length == 2 && t.at(0)!.isAtom("add") && t.at(1)!.isInt()) return t.at(1);
  return null;
}

function serve(request: Request): void {
  const t = request.decode();
  if (t && t.isAtom("get")) {
    request.replyTerm(Term.int(count));
    return;
  }
  const k = addend(t);
  if (k) {
    count += k.int;
    request.replyTerm(Term.int(count));
    return;
  }
  request.replyTerm(Term.tuple([Term.atom("error"), Term.atom("bad_request")]));
}

/** Called once per message; returns non-zero to end normally. */
export function handle(): i32 {
  const m = Message.current();
  if (!m) return 0;
  const call = m.asCall();
  if (call) {
    serve(call);
  } else if (m.asSystem()) {
    m.asSystem()!.answer("counter", "count=" + count.toString());
  } else if (m.tag == CAST) {
    const t = m.decode();
    if (t && t.isAtom("stop")) return 1;
    const k = addend(t);
    if (k) count += k.int;
  }
  hibernate();
  return 0;
}
