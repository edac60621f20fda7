// Exit reasons: a kind (REASON_*) and detail bytes, as the host passes
// them to `exit`, `exit_signal` and in EXIT and DOWN messages.

import {
  REASON_CUSTOM, REASON_KILL, REASON_KILLED, REASON_LIMIT, REASON_NOPROC, REASON_NORMAL, REASON_SHUTDOWN, REASON_TRAP,
} from "./codes";
import { text, utf8 } from "./bytes";

/** Why a process exited, or the reason of an exit signal. */
export class Reason {
  constructor(
    /** One of REASON_*. */
    public kind: i32,
    /** Free bytes: the custom reason, the trap text, the limit... */
    public detail: Uint8Array = new Uint8Array(0),
  ) {}

  /** `normal`. */
  static normal(): Reason {
    return new Reason(REASON_NORMAL);
  }
  /** `shutdown`, with an optional detail. */
  static shutdown(detail: string = ""): Reason {
    return new Reason(REASON_SHUTDOWN, utf8(detail));
  }
  /** A custom reason with this text. */
  static custom(why: string): Reason {
    return new Reason(REASON_CUSTOM, utf8(why));
  }
  /** A custom reason with these bytes. */
  static customBytes(why: Uint8Array): Reason {
    return new Reason(REASON_CUSTOM, why);
  }
  /** The untrappable exit signal (`exit_signal` only). */
  static kill(): Reason {
    return new Reason(REASON_KILL);
  }

  /** Whether this is `normal`. */
  get isNormal(): bool {
    return this.kind == REASON_NORMAL;
  }

  /** The detail as UTF-8 text. */
  text(): string {
    return text(this.detail);
  }

  /** `normal`, `shutdown`, `custom: why`, `trap: text`, ... */
  toString(): string {
    const d = this.detail.length > 0 ? ": " + this.text() : "";
    switch (this.kind) {
      case REASON_NORMAL:
        return "normal";
      case REASON_SHUTDOWN:
        return "shutdown" + d;
      case REASON_CUSTOM:
        return "custom" + d;
      case REASON_KILL:
        return "kill";
      case REASON_KILLED:
        return "killed";
      case REASON_NOPROC:
        return "noproc";
      case REASON_TRAP:
        return "trap" + d;
      case REASON_LIMIT:
        return "limit" + d;
      default:
        return "reason " + this.kind.toString() + d;
    }
  }
}
