// Test guest: the AssemblyScript binding's processes, links, monitors,
// tables, timers, names, supervisors and spawn options on a real node (tests/all/lang_assemblyscript.rs).
// Every entry takes [reporter pid: i64 LE][more] as its argument and
// reports terms to the reporter (tag 1 unless said otherwise).

import {
  ACCESS_PUBLIC, ChildSpec, ERR_NO_SUCH_NAME, Mailbox, Process, RANGE_TO_INCLUSIVE, REASON_KILLED, Reason, Record,
  Registry, SHUTDOWN_BRUTAL_KILL, SPAWN_LINK, SPAWN_MONITOR, STRATEGY_ONE_FOR_ONE, SpawnOptions, Supervisor,
  SupervisorSpec, TABLE_ORDERED_SET, TAG_DOWN, TAG_EXIT, Table, Term, Timer, arg, check, register, registered,
  monotonicNs, sendNamed, sleep, spawn, systemTimeMs, spawnWith, text, trapExit, unregister, utf8, whereis,
} from "../assembly/warren";

function reporter(): Process {
  const a = arg();
  if (a.length < 8) throw new Error("the argument is not a reporter pid");
  return new Process(load<i64>(a.dataStart));
}

function pair(name: string, value: Term): Term {
  return Term.tuple([Term.atom(name), value]);
}

/** Sends a reporter pid and `pid` as the argument of another entry. */
function pids(a: i64, b: i64): Uint8Array {
  const out = new Uint8Array(16);
  store<i64>(out.dataStart, a);
  store<i64>(out.dataStart + 8, b);
  return out;
}

/**
 * Argument: [reporter][bad message]. Links to and monitors (through
 * `crash_monitor`) a worker of module "worker" (examples/worker.ts), proves
 * it serves ({square, 7}: tag 1 {square, 49}), sends it the bad message,
 * and reports the EXIT it gets as a linked process that traps exits (tag 2
 * {exit, FromIsWorker, Kind, Detail}); `crash_monitor` reports its DOWN
 * (tag 3 {down, PidIsWorker, RefMatches, Kind, Detail}).
 */
export function crash_watch(): void {
  const rep = reporter();
  const bad = arg().slice(8);
  trapExit(true);
  const worker = spawnWith("worker", "main", null, SPAWN_LINK).process();
  const watcher = Process.spawn("crash_monitor", pids(rep.pid, worker.pid));
  // The watcher says when its monitor is in place.
  const ready = Mailbox.receiveTag(9);
  if (!ready || ready.sender != watcher.pid) throw new Error("crash_monitor did not start");
  worker.sendTerm(1, Term.tuple([Term.atom("square"), Term.int(7)]));
  const answer = Mailbox.receiveTag(2)!;
  rep.sendTerm(1, pair("square", answer.decode()!));
  worker.send(1, bad);
  const exit = Mailbox.receiveTag(TAG_EXIT)!.asExit()!;
  rep.sendTerm(
    2,
    Term.tuple([
      Term.atom("exit"), Term.bool(exit.from == worker.pid), Term.int(exit.reason.kind),
      Term.string(exit.reason.text()),
    ]),
  );
}

/** Argument: [reporter][worker]. Monitors the worker, says so (tag 9 to its parent), reports its DOWN (tag 3). */
export function crash_monitor(): void {
  const a = arg();
  const rep = new Process(load<i64>(a.dataStart));
  const worker = new Process(load<i64>(a.dataStart + 8));
  const ref = worker.monitor();
  Process.parent()!.send(9);
  const down = Mailbox.receiveTag(TAG_DOWN)!.asDown()!;
  rep.sendTerm(
    3,
    Term.tuple([
      Term.atom("down"), Term.bool(down.pid == worker.pid), Term.bool(down.ref == ref), Term.int(down.reason.kind),
      Term.string(down.reason.text()),
    ]),
  );
}

function keys(records: Array<Record>): Term {
  const out = new Array<Term>();
  for (let i = 0; i < records.length; i++) out.push(Term.binary(records[i].key));
  return Term.list(out);
}

/** A named public ordered_set: writes, reads, a counter, a range, traversal, info. Reports a list of {what, value}. */
export function table(): void {
  const rep = reporter();
  const t = Table.create(TABLE_ORDERED_SET, ACCESS_PUBLIC, "as_probe_table");
  const large = new Uint8Array(1000);
  large.fill(42);
  t.insert(utf8("b"), utf8("2"));
  t.insert(utf8("a"), utf8("1"));
  t.insert(utf8("c"), large);
  const out = new Array<Term>();
  out.push(pair("lookup_a", Term.binary(t.lookup(utf8("a"))!)));
  out.push(pair("lookup_c_len", Term.int(t.lookup(utf8("c"))!.length)));
  const missing = t.lookup(utf8("zz"));
  out.push(pair("missing", Term.tuple([Term.bool(missing == null), Term.int(t.error)])));
  out.push(pair("member_b", Term.bool(t.member(utf8("b")))));
  const first = t.updateCounter(utf8("hits"), 5, true, 10);
  const second = t.updateCounter(utf8("hits"), 1);
  out.push(pair("counter", Term.tuple([Term.int(first), Term.int(second)])));
  out.push(pair("range", keys(t.range(utf8("a"), utf8("c"), RANGE_TO_INCLUSIVE, 100))));
  const k1 = t.first()!;
  out.push(pair("first", Term.binary(k1)));
  out.push(pair("next", Term.binary(t.next(k1)!)));
  out.push(pair("last", Term.binary(t.last()!)));
  out.push(pair("size", Term.int(t.info()!.size)));
  out.push(pair("delete_b", Term.int(t.deleteKey(utf8("b")))));
  out.push(pair("size_after", Term.int(t.info()!.size)));
  const found = Table.whereis("as_probe_table");
  out.push(pair("whereis", Term.bool(found != null && found.id == t.id)));
  rep.sendTerm(1, Term.list(out));
}

/** Timers: read, cancel, fire, send_after to a name, sleep. Reports a list of {what, value}. */
export function timer(): void {
  const rep = reporter();
  const me = Process.self();
  const out = new Array<Term>();
  const late = Timer.sendAfter(me.pid, 7, utf8("late"), 60000)!;
  const left = late.read();
  out.push(pair("read", Term.bool(left > 0 && left <= 60000)));
  const cancelled = late.cancel();
  out.push(pair("cancel", Term.bool(cancelled > 0 && cancelled <= 60000)));
  out.push(pair("cancel_again", Term.int(late.cancel())));
  const soon = Timer.sendAfter(me.pid, 8, utf8("soon"), 10)!;
  const fired = Mailbox.receiveTag(8)!;
  out.push(pair("fired", Term.tuple([Term.string(fired.text()), Term.bool(fired.sender == me.pid)])));
  out.push(pair("read_after_fire", Term.int(soon.read())));
  me.register("as_timer_probe");
  Timer.sendAfterNamed("as_timer_probe", 9, utf8("named"), 0);
  out.push(pair("named", Term.string(Mailbox.receiveTag(9)!.text())));
  const before = monotonicNs();
  sleep(5);
  out.push(pair("slept", Term.bool(monotonicNs() - before >= 5000000 && systemTimeMs() > 1700000000000)));
  // The cancelled timer's message was never queued: a poll finds nothing.
  out.push(pair("cancelled_arrived", Term.bool(Mailbox.receiveTag(7, 0) != null)));
  rep.sendTerm(1, Term.list(out));
}

/** Registered names and a duplicate keyed registry. Reports a list of {what, value}. */
export function names(): void {
  const rep = reporter();
  const me = Process.self();
  const out = new Array<Term>();
  out.push(pair("register", Term.int(register("as_probe", me.pid))));
  out.push(pair("register_again", Term.int(me.register("as_probe_2"))));
  out.push(pair("whereis", Term.bool(whereis("as_probe") == me.pid)));
  out.push(pair("send_named", Term.int(sendNamed("as_probe", 5, utf8("hi")))));
  out.push(pair("got", Term.string(Mailbox.receiveTag(5)!.text())));
  out.push(pair("send_nobody", Term.bool(sendNamed("as_nobody", 5) == ERR_NO_SUCH_NAME)));
  out.push(pair("registered", Term.bool(registered().includes("as_probe"))));
  Registry.create("as_topics", false);
  const reg = new Registry("as_topics");
  reg.register(utf8("news"), utf8("v1"));
  reg.register(utf8("news"), utf8("v2"));
  const entries = reg.lookup(utf8("news"));
  const values = new Array<Term>();
  for (let i = 0; i < entries.length; i++) {
    values.push(Term.tuple([Term.bool(entries[i].pid == me.pid), Term.string(text(entries[i].value))]));
  }
  out.push(pair("lookup", Term.list(values)));
  out.push(pair("dispatch", Term.int(reg.dispatch(utf8("news"), 6, utf8("pub")))));
  const a = Mailbox.receiveTag(6)!;
  const b = Mailbox.receiveTag(6)!;
  out.push(pair("dispatched", Term.list([Term.string(a.text()), Term.string(b.text())])));
  out.push(pair("unregister", Term.int(unregister("as_probe"))));
  out.push(pair("whereis_after", Term.int(whereis("as_probe"))));
  rep.sendTerm(1, Term.list(out));
}

/** Spawns a monitored child that throws at once: reports its DOWN's reason (tag 1 {Kind, Detail}). */
export function monitored_throw(): void {
  const rep = reporter();
  const s = spawnWith("", "throws", null, SPAWN_MONITOR);
  const down = Mailbox.receiveTag(TAG_DOWN)!.asDown()!;
  rep.sendTerm(1, Term.tuple([Term.bool(down.ref == s.ref), Term.int(down.reason.kind), Term.string(down.reason.text())]));
}

/** Throws at once. */
export function throws(): void {
  throw new Error("thrown on purpose");
}

/** Waits for messages for ever (a supervised child). */
export function sleeper(): void {
  while (true) Mailbox.receive();
}

/**
 * Argument: [reporter][this module's name]. Starts a one_for_one
 * supervisor of one `sleeper`, kills the child, sees it restarted, then
 * stops the supervisor with `shutdown`. Reports
 * {supervise, KilledSeen, NewPid, Restarts, Active, ExitKind}.
 */
export function supervise(): void {
  const rep = reporter();
  const self = text(arg().slice(8));
  trapExit(true);
  const spec = new SupervisorSpec(STRATEGY_ONE_FOR_ONE)
    .withIntensity(5, 10000)
    .child(ChildSpec.worker("w", self, "sleeper").withShutdown(SHUTDOWN_BRUTAL_KILL));
  const sup = new Supervisor(check(Supervisor.start(spec), "supervisor_start"));
  if (!sup.awaitStarted(30000)) throw new Error("the supervisor did not start");
  const before = sup.whichChildren()[0];
  const child = new Process(before.pid);
  const ref = child.monitor();
  child.kill();
  const down = Mailbox.receiveTag(TAG_DOWN)!.asDown()!;
  const after = sup.whichChildren()[0];
  const counts = sup.countChildren()!;
  new Process(sup.pid).exit(Reason.shutdown());
  const exit = Mailbox.receiveTag(TAG_EXIT)!.asExit()!;
  rep.sendTerm(
    1,
    Term.tuple([
      Term.atom("supervise"), Term.bool(down.ref == ref && down.reason.kind == REASON_KILLED),
      Term.bool(after.pid != 0 && after.pid != before.pid), Term.int(after.restarts), Term.int(counts.active),
      Term.bool(exit.from == sup.pid), Term.int(exit.reason.kind),
    ]),
  );
}

/** Argument: [reporter]. Tries to spawn: reports {caps, Code}. */
export function try_spawn(): void {
  reporter().sendTerm(1, Term.tuple([Term.atom("caps"), Term.int(spawn("sleeper"))]));
}

/** Argument: [reporter]. Spawns `try_spawn`, monitored, with the right to spawn denied; reports {caps_done, Kind}. */
export function caps(): void {
  const rep = reporter();
  const s = spawnWith("", "try_spawn", arg(), SPAWN_MONITOR, new SpawnOptions().denySpawn().maxMemory(1 << 20));
  const down = Mailbox.receiveTag(TAG_DOWN)!.asDown()!;
  rep.sendTerm(1, Term.tuple([Term.atom("caps_done"), Term.bool(down.ref == s.ref), Term.int(down.reason.kind)]));
}

/** `Math.random` (seeded through WASI) and `trace` (to stderr): reports {random, InRange, Differ}. */
export function random(): void {
  const a = Math.random();
  const b = Math.random();
  trace("the probe's random numbers", 2, a, b);
  reporter().sendTerm(1, Term.tuple([Term.atom("random"), Term.bool(a >= 0 && a < 1 && b >= 0 && b < 1), Term.bool(a != b)]));
}
