// Processes: spawning, the calling process's own controls (exit, trap
// exits, handler style, hibernation, its argument), and `Process`, a pid
// with the operations on it (send, link, monitor, exit signals, calls).

import * as sys from "./sys";
import {
  REASON_CUSTOM, REASON_KILL, REASON_NORMAL, SPAWN_LINK, SPAWN_MONITOR, TAG_REPLY,
} from "./codes";
import { len, ptr, utf8 } from "./bytes";
import { check } from "./errors";
import { Down, Message } from "./message";
import { SpawnOptions } from "./options";
import { Reason } from "./reason";
import { Term, decode, encode } from "./term";

/** A spawn's outcome: the pid (> 0) or an error code (< 0), and the monitor's reference (with SPAWN_MONITOR). */
export class Spawned {
  constructor(public pid: i64, public ref: i64) {}
  /** Whether the spawn succeeded. */
  get ok(): bool {
    return this.pid > 0;
  }
  /** The new process (throws if the spawn failed). */
  process(): Process {
    return new Process(check(this.pid, "spawn"));
  }
}

/**
 * Spawns export `entry` of `module` ("": the caller's own module) with a
 * copy of `arg`, linked and/or monitored (`flags`: SPAWN_LINK,
 * SPAWN_MONITOR), its limits and capabilities narrowed by `options`.
 * Returns the pid or an error code; never throws.
 */
export function spawnWith(
  module: string, entry: string, arg: Uint8Array | null = null, flags: i32 = 0, options: SpawnOptions | null = null,
): Spawned {
  const m = utf8(module);
  const e = utf8(entry);
  const refOut = new Uint8Array(8);
  const block = options ? options.bytes() : null;
  const pid = sys.spawn_opts(
    m.dataStart, m.length, e.dataStart, e.length, ptr(arg), len(arg), ptr(block), len(block), flags, refOut.dataStart,
  );
  return new Spawned(pid, flags & SPAWN_MONITOR ? load<i64>(refOut.dataStart) : 0);
}

/** Spawns export `entry` of this module: the pid, or an error code (< 0). */
export function spawn(entry: string, arg: Uint8Array | null = null): i64 {
  const e = utf8(entry);
  return sys.spawn(e.dataStart, e.length, ptr(arg), len(arg));
}

/** Spawns export `entry` of the module loaded as `module`: the pid, or an error code (< 0). */
export function spawnModule(module: string, entry: string, arg: Uint8Array | null = null): i64 {
  const m = utf8(module);
  const e = utf8(entry);
  return sys.spawn_module(m.dataStart, m.length, e.dataStart, e.length, ptr(arg), len(arg));
}

/** Ends the calling process now with `reason` (never returns). */
export function exit(reason: Reason): void {
  sys.exit(reason.kind, reason.detail.dataStart, reason.detail.length);
  unreachable();
}

/** Ends the calling process normally. */
export function exitNormal(): void {
  sys.exit(REASON_NORMAL, 0, 0);
  unreachable();
}

/** Ends the calling process with a custom reason. */
export function exitWith(why: string): void {
  const b = utf8(why);
  sys.exit(REASON_CUSTOM, b.dataStart, b.length);
  unreachable();
}

/** Traps exits (`on`) or not; returns the previous setting. */
export function trapExit(on: bool): bool {
  return sys.trap_exit(on ? 1 : 0) != 0;
}

/** Gives up the rest of the time slice. */
export function yieldNow(): void {
  sys.yield_now();
}

/**
 * Makes the calling process handler-style: when the current call returns,
 * the host calls export `name` (`(): i32`, 0 to go on) once per message.
 * `OK` or `ERR_NO_SUCH_EXPORT`.
 */
export function setHandler(name: string): i32 {
  const b = utf8(name);
  return sys.set_handler(b.dataStart, b.length);
}

/** Hibernates once the current call returns (handler style): `OK` or `ERR_CANNOT_HIBERNATE`. */
export function hibernate(): i32 {
  return sys.hibernate();
}

/** Tells the supervisor that waits for this process that it has started. */
export function initAck(): void {
  sys.init_ack();
}

/** Tells this process's supervisor that it ignores its start (OTP's `ignore`): the supervisor keeps its spec with no process and does not restart it. Call it instead of `initAck`, then exit normally. */
export function initIgnore(): void {
  sys.init_ignore();
}

/** The bytes the process was spawned with. */
export function arg(): Uint8Array {
  const n = sys.arg_size();
  const b = new Uint8Array(n);
  if (n > 0) sys.arg_read(b.dataStart, n);
  return b;
}

/** Ends monitor `ref`: whether it was active; `flush` also drops its queued DOWN. */
export function demonitor(ref: i64, flush: bool = false): bool {
  return sys.demonitor(ref, flush ? 1 : 0) == 1;
}

/** A call's outcome: the reply, or why there is none. */
export class CallResult {
  constructor(
    /** The reply's length (>= 0), or ERR_TIMEOUT, ERR_NOPROC, ERR_EXITED, ERR_BADARG, ERR_LIMIT. */
    public code: i32,
    /** The reply (TAG_REPLY), or the callee's DOWN (ERR_NOPROC, ERR_EXITED), or null. */
    public message: Message | null,
  ) {}

  /** Whether the call got its reply. */
  get ok(): bool {
    return this.code >= 0;
  }

  /** The reply's bytes (null without a reply). */
  reply(): Uint8Array | null {
    const m = this.message;
    return this.ok && m && m.tag == TAG_REPLY ? m.data : null;
  }

  /** The reply as a term (null without a reply, or if it is not a term). */
  replyTerm(): Term | null {
    const r = this.reply();
    return r ? decode(r) : null;
  }

  /** The callee's DOWN when it was dead or died (its reason), else null. */
  down(): Down | null {
    const m = this.message;
    return !this.ok && m ? m.asDown() : null;
  }
}

function callOutcome(code: i32): CallResult {
  // A reply or the callee's DOWN is the current message; otherwise there is none.
  return new CallResult(code, Message.current());
}

/** Calls the process registered as `name` (gen_server:call): waits for the reply at most `timeoutMs`. */
export function callNamed(name: string, request: Uint8Array | null, timeoutMs: i64): CallResult {
  const n = utf8(name);
  return callOutcome(sys.call_named(n.dataStart, n.length, ptr(request), len(request), timeoutMs));
}

/** A process, named by its pid. */
export class Process {
  constructor(public readonly pid: i64) {}

  /** The calling process. */
  static self(): Process {
    return new Process(sys.self_pid());
  }

  /** The process that spawned the caller, or null if the host did. */
  static parent(): Process | null {
    const p = sys.parent();
    return p > 0 ? new Process(p) : null;
  }

  /** Spawns export `entry` of this module (throws if it cannot). */
  static spawn(entry: string, arg: Uint8Array | null = null): Process {
    return new Process(check(spawn(entry, arg), "spawn " + entry));
  }

  /** Spawns export `entry` of this module, linked to the caller (throws if it cannot). */
  static spawnLink(entry: string, arg: Uint8Array | null = null): Process {
    return spawnWith("", entry, arg, SPAWN_LINK).process();
  }

  /** Spawns export `entry` of this module, monitored by the caller: the pid (or error) and the reference. */
  static spawnMonitor(entry: string, arg: Uint8Array | null = null): Spawned {
    return spawnWith("", entry, arg, SPAWN_MONITOR);
  }

  /** Sends `bytes` with `tag` (>= 0): `OK`, or ERR_BADARG / ERR_LIMIT. */
  send(tag: i64, bytes: Uint8Array | null = null): i32 {
    return sys.send(this.pid, tag, ptr(bytes), len(bytes));
  }

  /** Sends the UTF-8 of `text`. */
  sendText(tag: i64, text: string): i32 {
    return this.send(tag, utf8(text));
  }

  /** Sends a term. */
  sendTerm(tag: i64, term: Term): i32 {
    return this.send(tag, encode(term));
  }

  /** Links the caller and this process: `OK` or ERR_BADARG. */
  link(): i32 {
    return sys.link(this.pid);
  }

  /** Removes the link: `OK` or ERR_BADARG. */
  unlink(): i32 {
    return sys.unlink(this.pid);
  }

  /** Monitors this process: the reference (> 0), or ERR_BADARG. */
  monitor(): i64 {
    return sys.monitor(this.pid);
  }

  /** Sends it an exit signal with `reason` (`Reason.kill()` included): `OK` or ERR_BADARG. */
  exit(reason: Reason): i32 {
    return sys.exit_signal(this.pid, reason.kind, reason.detail.dataStart, reason.detail.length);
  }

  /** Sends it the untrappable exit signal `kill`. */
  kill(): i32 {
    return sys.exit_signal(this.pid, REASON_KILL, 0, 0);
  }

  /** Registers it under `name`: `OK`, ERR_NAME_TAKEN, ERR_ALREADY_NAMED, ERR_NOPROC, ERR_BADARG. */
  register(name: string): i32 {
    const n = utf8(name);
    return sys.register(n.dataStart, n.length, this.pid);
  }

  /** Calls it (gen_server:call): sends `request`, waits for the reply at most `timeoutMs` (-1: for ever). */
  call(request: Uint8Array | null, timeoutMs: i64 = 5000): CallResult {
    return callOutcome(sys.call(this.pid, ptr(request), len(request), timeoutMs));
  }

  /** Calls it with a term. */
  callTerm(request: Term, timeoutMs: i64 = 5000): CallResult {
    return this.call(encode(request), timeoutMs);
  }

  /** Asks it a system request (`get_state`, `get_status`). */
  systemCall(request: Term, timeoutMs: i64 = 5000): CallResult {
    const b = encode(request);
    return callOutcome(sys.system_call(this.pid, b.dataStart, b.length, timeoutMs));
  }

  /** The pid as a term. */
  toTerm(): Term {
    return Term.pid(this.pid);
  }

  /** `<0.INDEX.SERIAL>`. */
  toString(): string {
    return Term.pid(this.pid).toString();
  }
}
