// The conformance scenario (tests/all/conformance.rs) in AssemblyScript:
// the same ten steps every binding implements, reported as terms.

import {
  ACCESS_PUBLIC, Kind, Mailbox, Process, REASON_CUSTOM, Reason, TABLE_SET, TAG_CALL, TAG_DOWN, TAG_EXIT, Table,
  Term, Timer, arg, decode, encode, exit, trapExit, utf8,
} from "../assembly/warren";

let reporter: Process = new Process(0);

function report(step: i64, t: Term): void {
  reporter.sendTerm(step, t);
}

/** `{Kind, Detail}` fields of a reason. */
function reasonTerms(reason: Reason): Array<Term> {
  return [Term.int(reason.kind), Term.binary(reason.detail)];
}

export function conformance(): void {
  const a = arg();
  if (a.length < 16) throw new Error("conformance: the argument is not two pids");
  reporter = new Process(load<i64>(a.dataStart));
  const callServer = new Process(load<i64>(a.dataStart + 8));
  const me = Process.self();

  // 1
  report(1, Term.tuple([Term.atom("hello"), me.toTerm()]));

  // 2: a linked child's exit, trapped.
  trapExit(true);
  const linked = Process.spawn("conformance_child", utf8("boom"));
  linked.link();
  linked.send(1);
  const ex = Mailbox.receiveTag(TAG_EXIT)!.asExit()!;
  report(2, Term.tuple([Term.atom("exit"), Term.pid(ex.from)].concat(reasonTerms(ex.reason))));

  // 3: a monitored child's DOWN.
  const watched = Process.spawn("conformance_child", utf8("bang"));
  const ref = watched.monitor();
  watched.send(1);
  const down = Mailbox.receiveTag(TAG_DOWN)!.asDown()!;
  if (down.ref != ref) throw new Error("conformance: the DOWN has another reference");
  report(3, Term.tuple([Term.atom("down"), Term.reference(down.ref), Term.pid(down.pid)].concat(reasonTerms(down.reason))));

  // 4
  me.register("conformance");
  report(4, Term.tuple([Term.atom("registered"), Term.string("conformance")]));

  // 5: {ping, N} sent to the name.
  const ping = Mailbox.receiveTag(20)!;
  const n = decode(ping.data)!.at(1)!;
  report(5, Term.tuple([Term.atom("pong"), n, Term.pid(ping.sender)]));

  // 6: a table.
  const table = Table.create(TABLE_SET, ACCESS_PUBLIC);
  table.insert(utf8("answer"), encode(Term.int(42)));
  const member = table.member(utf8("answer"));
  const value = decode(table.lookup(utf8("answer"))!)!;
  report(6, Term.tuple([Term.atom("table"), value, Term.bool(member)]));

  // 7: timers.
  Timer.sendAfter(me.pid, 21, encode(Term.atom("tick")), 5);
  const late = Timer.sendAfter(me.pid, 22, utf8("late"), 60000)!;
  const cancelled = late.cancel() >= 0;
  const tick = decode(Mailbox.receiveTag(21)!.data)!;
  const none = Mailbox.receiveTag(22, 0) == null;
  report(7, Term.tuple([Term.atom("timer"), tick, Term.bool(cancelled && none)]));

  // 8: serve a call {add, A, B}.
  const request = Mailbox.receiveTag(TAG_CALL)!.asCall()!;
  const add = request.decode()!;
  const x = add.at(1)!;
  const y = add.at(2)!;
  if (add.kind != Kind.Tuple || !x.isInt() || !y.isInt()) throw new Error("conformance: not {add, A, B}: " + add.toString());
  request.replyTerm(Term.tuple([Term.atom("sum"), Term.int(x.int + y.int)]));
  report(8, Term.tuple([Term.atom("served"), x, y]));

  // 9: call the call server.
  const result = callServer.callTerm(Term.tuple([Term.atom("echo"), Term.string("hi")]), 5000);
  const reply = result.replyTerm();
  if (!reply) throw new Error("conformance: the call failed with " + result.code.toString());
  report(9, Term.tuple([Term.atom("called"), reply]));

  // 10
  report(10, Term.atom("done"));
}

export function conformance_child(): void {
  const detail = arg();
  Mailbox.receive();
  exit(new Reason(REASON_CUSTOM, detail));
}
