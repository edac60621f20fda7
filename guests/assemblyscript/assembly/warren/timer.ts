// Timers: a message later (send_after), cancelling and reading timers, sleep.

import * as sys from "./sys";
import { len, ptr, utf8 } from "./bytes";

/** A timer, by its reference. */
export class Timer {
  constructor(public readonly ref: i64) {}

  /**
   * Sends `tag` and a copy of `bytes` to `pid` in `ms` milliseconds: the
   * timer, or null if refused (`Timer.lastError` says why).
   */
  static sendAfter(pid: i64, tag: i64, bytes: Uint8Array | null, ms: i64): Timer | null {
    return Timer.of(sys.send_after(pid, tag, ptr(bytes), len(bytes), ms));
  }

  /** As `sendAfter`, to whoever holds `name` when it fires. */
  static sendAfterNamed(name: string, tag: i64, bytes: Uint8Array | null, ms: i64): Timer | null {
    const n = utf8(name);
    return Timer.of(sys.send_after_named(n.dataStart, n.length, tag, ptr(bytes), len(bytes), ms));
  }

  /** The code of the last refused `sendAfter` / `sendAfterNamed` (0 if none). */
  static lastError: i64 = 0;

  private static of(ref: i64): Timer | null {
    if (ref < 0) {
      Timer.lastError = ref;
      return null;
    }
    return new Timer(ref);
  }

  /** Cancels it: the milliseconds that were left (>= 0), or ERR_NO_SUCH_TIMER (it fired, or was cancelled). */
  cancel(): i64 {
    return sys.cancel_timer(this.ref);
  }

  /** The milliseconds left, or ERR_NO_SUCH_TIMER. */
  read(): i64 {
    return sys.read_timer(this.ref);
  }
}

/** Suspends the caller for `ms` milliseconds (messages wait in its mailbox). */
export function sleep(ms: i64): void {
  sys.sleep(ms);
}

@external("wasi_snapshot_preview1", "clock_time_get")
declare function clock_time_get(id: u32, precision: u64, out: usize): i32;

/** Nanoseconds since the node started: one clock for every process, the timers' clock (WASI's CLOCK_MONOTONIC). */
export function monotonicNs(): i64 {
  const out = new StaticArray<i64>(1);
  clock_time_get(1, 1, changetype<usize>(out));
  return out[0];
}

/** Milliseconds since the Unix epoch, by the host's wall clock (WASI's CLOCK_REALTIME); `Date.now` has no host here. */
export function systemTimeMs(): i64 {
  const out = new StaticArray<i64>(1);
  clock_time_get(0, 1, changetype<usize>(out));
  return out[0] / 1000000;
}
