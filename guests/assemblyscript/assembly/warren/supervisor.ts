// Supervisors the host runs (docs/ABI.md "Supervisors"): specs in the
// host's format, starting one, and requests to a running one.

import * as sys from "./sys";
import {
  AUTO_SHUTDOWN_NEVER, CHILD_SUPERVISOR, CHILD_WORKER, RESTART_PERMANENT, SHUTDOWN_INFINITY, SHUTDOWN_TIMEOUT,
  SPEC_NONE, STRATEGY_ONE_FOR_ONE, SUP_COUNT_CHILDREN, SUP_DELETE_CHILD, SUP_RESTART_CHILD, SUP_START_CHILD,
  SUP_TERMINATE_CHILD, SUP_WHICH_CHILDREN, TAG_ACK, TAG_SUPERVISOR_REPLY, WAIT_FOREVER,
} from "./codes";
import { Reader, Writer, len, ptr, text, utf8 } from "./bytes";
import { Mailbox, SupervisorReply } from "./message";
import { SpawnOptions } from "./options";

/** One child of a supervisor: a worker (module, entry, argument) or a nested supervisor. */
export class ChildSpec {
  restart: i32 = RESTART_PERMANENT;
  significant: bool = false;
  shutdown: i32 = SHUTDOWN_TIMEOUT;
  shutdownMs: u32 = 5000;
  /** SPEC_NONE: started means spawned; else wait that long for `initAck`. */
  ackTimeoutMs: u32 = <u32>SPEC_NONE;
  module: string = "";
  entry: string = "";
  arg: Uint8Array = new Uint8Array(0);
  nested: SupervisorSpec | null = null;
  options: SpawnOptions | null = null;

  private constructor(public id: string, public type: i32) {}

  /** A worker: export `entry` of module `module` ("" is not allowed: name the module) with `arg`. */
  static worker(id: string, module: string, entry: string, arg: Uint8Array | null = null): ChildSpec {
    const c = new ChildSpec(id, CHILD_WORKER);
    c.module = module;
    c.entry = entry;
    if (arg) c.arg = arg;
    return c;
  }

  /** A nested supervisor (shutdown `infinity`, as OTP's default for supervisors). */
  static supervisor(id: string, spec: SupervisorSpec): ChildSpec {
    const c = new ChildSpec(id, CHILD_SUPERVISOR);
    c.nested = spec;
    c.shutdown = SHUTDOWN_INFINITY;
    return c;
  }

  /** RESTART_PERMANENT, RESTART_TRANSIENT or RESTART_TEMPORARY. */
  withRestart(restart: i32): ChildSpec {
    this.restart = restart;
    return this;
  }
  /** SHUTDOWN_TIMEOUT (with `ms`), SHUTDOWN_BRUTAL_KILL or SHUTDOWN_INFINITY. */
  withShutdown(kind: i32, ms: u32 = 5000): ChildSpec {
    this.shutdown = kind;
    this.shutdownMs = ms;
    return this;
  }
  /** Waits at most `ms` for the child's `initAck` before starting the next. */
  withAck(ms: u32): ChildSpec {
    this.ackTimeoutMs = ms;
    return this;
  }
  /** Marks it significant (needs an auto_shutdown). */
  asSignificant(): ChildSpec {
    this.significant = true;
    return this;
  }
  /** Narrows its limits and capabilities. */
  withOptions(options: SpawnOptions): ChildSpec {
    this.options = options;
    return this;
  }

  /** The child record (without its length). */
  encode(): Uint8Array {
    const w = new Writer(64);
    w.u8(<u32>this.restart).u8(<u32>this.type).u8(this.significant ? 1 : 0).u8(<u32>this.shutdown);
    w.u32le(this.shutdownMs).u32le(this.ackTimeoutMs).lenText(this.id);
    const nested = this.nested;
    if (nested) {
      w.lenBytes(nested.encode());
    } else {
      w.lenText(this.module).lenText(this.entry).lenBytes(this.arg);
    }
    const options = this.options;
    w.lenBytes(options ? options.bytes() : null);
    return w.finish();
  }
}

/** A supervisor's spec: strategy, auto_shutdown, intensity, and its children in start order. */
export class SupervisorSpec {
  autoShutdown: i32 = AUTO_SHUTDOWN_NEVER;
  intensity: u32 = 3;
  periodMs: u32 = 5000;
  /** A dynamic supervisor's limit, or SPEC_NONE. */
  maxChildren: u32 = <u32>SPEC_NONE;
  children: Array<ChildSpec> = [];

  constructor(public strategy: i32 = STRATEGY_ONE_FOR_ONE) {}

  /** At most `intensity` restarts in `periodMs`. */
  withIntensity(intensity: u32, periodMs: u32): SupervisorSpec {
    this.intensity = intensity;
    this.periodMs = periodMs;
    return this;
  }
  /** AUTO_SHUTDOWN_*. */
  withAutoShutdown(mode: i32): SupervisorSpec {
    this.autoShutdown = mode;
    return this;
  }
  /** A dynamic supervisor's most children. */
  withMaxChildren(n: u32): SupervisorSpec {
    this.maxChildren = n;
    return this;
  }
  /** Adds a child (started after those added before). */
  child(spec: ChildSpec): SupervisorSpec {
    this.children.push(spec);
    return this;
  }

  /** The spec's bytes. */
  encode(): Uint8Array {
    const w = new Writer(128);
    w.u8(<u32>this.strategy).u8(<u32>this.autoShutdown).u8(0).u8(0);
    w.u32le(this.intensity).u32le(this.periodMs).u32le(this.maxChildren).u32le(<u32>this.children.length);
    for (let i = 0; i < this.children.length; i++) w.lenBytes(this.children[i].encode());
    return w.finish();
  }
}

/** A child as `whichChildren` lists it. */
export class ChildInfo {
  constructor(public pid: i64, public restarts: u32, public type: i32, public id: string) {}
}

/** `countChildren`'s answer. */
export class ChildCounts {
  constructor(public specs: u32, public active: u32, public supervisors: u32, public workers: u32) {}
}

/** A running supervisor, by pid. */
export class Supervisor {
  constructor(public readonly pid: i64) {}

  /**
   * Starts a supervisor for `spec`, linked to the caller: the pid (> 0) or
   * an error code. It acknowledges with TAG_ACK once its children started
   * (`awaitStarted`); a child that fails to start makes it exit `shutdown`.
   */
  static start(spec: SupervisorSpec): i64 {
    const b = spec.encode();
    return sys.supervisor_start(b.dataStart, b.length);
  }

  /** Waits for its TAG_ACK: whether it came within `timeoutMs`. */
  awaitStarted(timeoutMs: i64 = WAIT_FOREVER): bool {
    const m = Mailbox.receiveTag(TAG_ACK, timeoutMs);
    return m != null && m.sender == this.pid;
  }

  /** Sends operation `op` (SUP_*) with `arg`: the request id (> 0) or an error code. */
  request(op: i32, arg: Uint8Array | null = null): i64 {
    return sys.supervisor_request(this.pid, op, ptr(arg), len(arg));
  }

  /** The answer to request `id` (older answers are dropped), or null after `timeoutMs`. */
  awaitReply(id: i64, timeoutMs: i64 = WAIT_FOREVER): SupervisorReply | null {
    while (true) {
      const m = Mailbox.receiveTag(TAG_SUPERVISOR_REPLY, timeoutMs);
      if (!m) return null;
      const reply = m.asSupervisorReply();
      if (reply && reply.id == id) return reply;
    }
    return null;
  }

  private ask(op: i32, arg: Uint8Array | null, timeoutMs: i64): SupervisorReply | null {
    const id = this.request(op, arg);
    if (id < 0) return new SupervisorReply(0, id, new Uint8Array(0));
    return this.awaitReply(id, timeoutMs);
  }

  /** Starts a child from `spec`: the reply (`result` the pid, or an error code). */
  startChild(spec: ChildSpec, timeoutMs: i64 = WAIT_FOREVER): SupervisorReply | null {
    return this.ask(SUP_START_CHILD, spec.encode(), timeoutMs);
  }

  /** A dynamic supervisor: starts a child from its template with `arg` appended. */
  startDynamicChild(arg: Uint8Array | null, timeoutMs: i64 = WAIT_FOREVER): SupervisorReply | null {
    return this.ask(SUP_START_CHILD, arg, timeoutMs);
  }

  /** Stops child `id`: `result` OK or ERR_NOT_FOUND. */
  terminateChild(id: string, timeoutMs: i64 = WAIT_FOREVER): SupervisorReply | null {
    return this.ask(SUP_TERMINATE_CHILD, utf8(id), timeoutMs);
  }

  /** A dynamic supervisor: stops the child `pid`. */
  terminateDynamicChild(pid: i64, timeoutMs: i64 = WAIT_FOREVER): SupervisorReply | null {
    const b = new Uint8Array(8);
    store<i64>(b.dataStart, pid);
    return this.ask(SUP_TERMINATE_CHILD, b, timeoutMs);
  }

  /** Starts stopped child `id` again: `result` its new pid or an error code. */
  restartChild(id: string, timeoutMs: i64 = WAIT_FOREVER): SupervisorReply | null {
    return this.ask(SUP_RESTART_CHILD, utf8(id), timeoutMs);
  }

  /** Forgets stopped child `id`. */
  deleteChild(id: string, timeoutMs: i64 = WAIT_FOREVER): SupervisorReply | null {
    return this.ask(SUP_DELETE_CHILD, utf8(id), timeoutMs);
  }

  /** Its children in start order (empty if it did not answer). */
  whichChildren(timeoutMs: i64 = WAIT_FOREVER): Array<ChildInfo> {
    const out = new Array<ChildInfo>();
    const reply = this.ask(SUP_WHICH_CHILDREN, null, timeoutMs);
    if (!reply || reply.result < 0) return out;
    const r = new Reader(reply.data);
    while (r.remaining > 0) {
      const pid = r.i64le();
      const restarts = r.u32le();
      const type = r.u8();
      r.take(3);
      const id = text(r.lenBytes());
      if (!r.ok) break;
      out.push(new ChildInfo(pid, restarts, type, id));
    }
    return out;
  }

  /** Its counts of children, or null. */
  countChildren(timeoutMs: i64 = WAIT_FOREVER): ChildCounts | null {
    const reply = this.ask(SUP_COUNT_CHILDREN, null, timeoutMs);
    if (!reply || reply.result < 0) return null;
    const r = new Reader(reply.data);
    const counts = new ChildCounts(r.u32le(), r.u32le(), r.u32le(), r.u32le());
    return r.ok ? counts : null;
  }
}
