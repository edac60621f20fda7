// Messages: receiving (blocking style) and the current message (handler
// style), and reading the messages the host makes (EXIT, DOWN, calls,
// system requests, table transfers, supervisor replies) without a codec.

import * as sys from "./sys";
import {
  TAG_CALL, TAG_DOWN, TAG_EXIT, TAG_SUPERVISOR_REPLY, TAG_SYSTEM, TAG_TABLE_TRANSFER, WAIT_FOREVER,
} from "./codes";
import { Reader, ptr, len, text } from "./bytes";
import { Reason } from "./reason";
import { Term, decode, encode } from "./term";

/** A message: its tag, its sender's pid and its bytes (a copy). */
export class Message {
  constructor(public tag: i64, public sender: i64, public data: Uint8Array) {}

  /**
   * The current message (a handler call's, or the last receive's), or null
   * if there is none.
   */
  static current(): Message | null {
    const size = sys.msg_size();
    if (size < 0) return null;
    const data = new Uint8Array(size);
    if (size > 0) sys.msg_read(0, data.dataStart, size);
    return new Message(sys.msg_tag(), sys.msg_sender(), data);
  }

  /** The bytes as UTF-8 text. */
  text(): string {
    return text(this.data);
  }

  /** The bytes as a term, or null if they are not one. */
  decode(): Term | null {
    return decode(this.data);
  }

  /** The first 8 bytes as an `i64` (LE), or 0 if there are fewer. */
  i64(): i64 {
    return this.data.length >= 8 ? load<i64>(this.data.dataStart) : 0;
  }

  /** An exit signal a process that traps exits got, or null. */
  asExit(): Exit | null {
    if (this.tag != TAG_EXIT) return null;
    const r = new Reader(this.data);
    const from = r.i64le();
    const kind = r.i32le();
    const detail = r.rest().slice(0);
    return r.ok ? new Exit(from, new Reason(kind, detail)) : null;
  }

  /** A monitor's DOWN, or null. */
  asDown(): Down | null {
    if (this.tag != TAG_DOWN) return null;
    const r = new Reader(this.data);
    const ref = r.i64le();
    const pid = r.i64le();
    const kind = r.i32le();
    const detail = r.rest().slice(0);
    return r.ok ? new Down(ref, pid, new Reason(kind, detail)) : null;
  }

  /** A call's request (answer it with `reply`), or null. */
  asCall(): Request | null {
    if (this.tag != TAG_CALL || this.data.length < 8) return null;
    return new Request(this.sender, load<i64>(this.data.dataStart), this.data.slice(8));
  }

  /** A system request (`get_state`, `get_status`), or null. */
  asSystem(): SystemRequest | null {
    if (this.tag != TAG_SYSTEM || this.data.length < 8) return null;
    return new SystemRequest(this.sender, load<i64>(this.data.dataStart), this.data.slice(8));
  }

  /** A table given to this process (as heir, or by `giveAway`), or null. */
  asTableTransfer(): TableTransfer | null {
    if (this.tag != TAG_TABLE_TRANSFER) return null;
    const r = new Reader(this.data);
    const table = r.i64le();
    const from = r.i64le();
    const data = r.rest().slice(0);
    return r.ok ? new TableTransfer(table, from, data) : null;
  }

  /** A supervisor's answer to a request, or null. */
  asSupervisorReply(): SupervisorReply | null {
    if (this.tag != TAG_SUPERVISOR_REPLY) return null;
    const r = new Reader(this.data);
    const id = r.i64le();
    const result = r.i64le();
    const data = r.rest().slice(0);
    return r.ok ? new SupervisorReply(id, result, data) : null;
  }
}

/** An exit signal, as a message (`TAG_EXIT`). */
export class Exit {
  constructor(public from: i64, public reason: Reason) {}
}

/** A monitor's DOWN (`TAG_DOWN`). */
export class Down {
  constructor(public ref: i64, public pid: i64, public reason: Reason) {}
}

/** A table's transfer to this process (`TAG_TABLE_TRANSFER`). */
export class TableTransfer {
  constructor(public table: i64, public from: i64, public data: Uint8Array) {}
}

/** A supervisor's answer (`TAG_SUPERVISOR_REPLY`): the request id, the result, its data. */
export class SupervisorReply {
  constructor(public id: i64, public result: i64, public data: Uint8Array) {}
}

/** A call's request: who called, the token to reply with, the request's bytes. */
export class Request {
  constructor(public caller: i64, public token: i64, public body: Uint8Array) {}

  /** The request as a term, or null if it is not one. */
  decode(): Term | null {
    return decode(this.body);
  }

  /** Answers the call with these bytes (`OK` even when the caller is gone). */
  reply(bytes: Uint8Array | null): i32 {
    return sys.reply(this.caller, this.token, ptr(bytes), len(bytes));
  }

  /** Answers the call with a term. */
  replyTerm(term: Term): i32 {
    return this.reply(encode(term));
  }
}

/** A system request (`TAG_SYSTEM`): a call whose request is a term. */
export class SystemRequest extends Request {
  /**
   * Answers as an SDK behaviour does (docs/ABI.md "System messages"):
   * `get_state` with `state` as a binary, `get_status` with a map of
   * `behaviour`, `state`, `status` and `name` (`nil` for none), anything
   * else with `{error, unknown_system_request}`.
   */
  answer(behaviour: string, state: string, name: string | null = null): i32 {
    const request = this.decode();
    if (request && request.isAtom("get_state")) return this.replyTerm(Term.string(state));
    if (request && request.isAtom("get_status")) {
      const keys = [Term.atom("behaviour"), Term.atom("state"), Term.atom("status"), Term.atom("name")];
      const values = [
        Term.atom(behaviour),
        Term.string(state),
        Term.atom("running"),
        name != null ? Term.string(name) : Term.nil(),
      ];
      return this.replyTerm(Term.map(keys, values));
    }
    return this.replyTerm(Term.tuple([Term.atom("error"), Term.atom("unknown_system_request")]));
  }
}

/** Bytes `receive_into` fills at once: the tag, the sender, then this many bytes of the message. */
const INLINE: i32 = 240;
let buffer: Uint8Array | null = null;

function receiveFrom(tags: usize, count: i32, timeoutMs: i64): Message | null {
  let buf = buffer;
  if (!buf) buffer = buf = new Uint8Array(16 + INLINE);
  const n = sys.receive_into(tags, count, timeoutMs, buf.dataStart, buf.length);
  if (n < 0) return null;
  const data = new Uint8Array(n);
  const inline = min(n, INLINE);
  memory.copy(data.dataStart, buf.dataStart + 16, inline);
  if (n > inline) sys.msg_read(inline, data.dataStart + inline, n - inline);
  return new Message(load<i64>(buf.dataStart), load<i64>(buf.dataStart + 8), data);
}

/** The mailbox of the calling process. */
export namespace Mailbox {
  /** The oldest message, waiting at most `timeoutMs` (-1: for ever, 0: only look); null on timeout. */
  export function receive(timeoutMs: i64 = WAIT_FOREVER): Message | null {
    return receiveFrom(0, 0, timeoutMs);
  }

  /** The oldest message whose tag is `tag`; others stay queued in order. */
  export function receiveTag(tag: i64, timeoutMs: i64 = WAIT_FOREVER): Message | null {
    const tags = new StaticArray<i64>(1);
    tags[0] = tag;
    return receiveFrom(changetype<usize>(tags), 1, timeoutMs);
  }

  /** The oldest message whose tag is one of `tags`; others stay queued in order. */
  export function receiveTags(tags: Array<i64>, timeoutMs: i64 = WAIT_FOREVER): Message | null {
    return receiveFrom(tags.dataStart, tags.length, timeoutMs);
  }
}
