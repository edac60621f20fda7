// The spawn options block (docs/ABI.md "Limits and capabilities"): what a
// child's limits and capabilities are narrowed to.

import {
  OPT_CLEAR_ENV, OPT_DENY_PRINT, OPT_DENY_SPAWN, OPT_DIR, OPT_ENV, OPT_MAX_FUEL, OPT_MAX_MAILBOX, OPT_MAX_MEMORY,
  OPT_NO_DIRS,
} from "./codes";
import { Writer, utf8 } from "./bytes";

/** A builder of the options block `spawn_opts` and child specs take. */
export class SpawnOptions {
  private out: Writer = new Writer(32);

  private record(key: u32, value: Uint8Array | null): SpawnOptions {
    this.out.u32le(key).u32le(value ? <u32>value.length : 0).bytes(value);
    return this;
  }

  private limit(key: u32, value: u64): SpawnOptions {
    const b = new Uint8Array(8);
    store<u64>(b.dataStart, value);
    return this.record(key, b);
  }

  /** The largest linear memory, in bytes. */
  maxMemory(bytes: u64): SpawnOptions {
    return this.limit(OPT_MAX_MEMORY, bytes);
  }
  /** The total fuel the child may use. */
  maxFuel(fuel: u64): SpawnOptions {
    return this.limit(OPT_MAX_FUEL, fuel);
  }
  /** The most messages its mailbox may hold. */
  maxMailbox(messages: u64): SpawnOptions {
    return this.limit(OPT_MAX_MAILBOX, messages);
  }
  /** The child may not spawn. */
  denySpawn(): SpawnOptions {
    return this.record(OPT_DENY_SPAWN, null);
  }
  /** The child may not print. */
  denyPrint(): SpawnOptions {
    return this.record(OPT_DENY_PRINT, null);
  }
  /** Keep the caller's directory at `guestPath` (read-only if asked). */
  dir(guestPath: string, readOnly: bool = false): SpawnOptions {
    const path = utf8(guestPath);
    const b = new Uint8Array(1 + path.length);
    b[0] = readOnly ? 1 : 0;
    b.set(path, 1);
    return this.record(OPT_DIR, b);
  }
  /** Keep none of the caller's directories (but those `dir` names). */
  noDirs(): SpawnOptions {
    return this.record(OPT_NO_DIRS, null);
  }
  /** An environment variable (the child's environment is only those given). */
  env(key: string, value: string): SpawnOptions {
    return this.record(OPT_ENV, utf8(key + "=" + value));
  }
  /** An empty environment (but for `env`). */
  clearEnv(): SpawnOptions {
    return this.record(OPT_CLEAR_ENV, null);
  }

  /** The block's bytes. */
  bytes(): Uint8Array {
    return this.out.finish();
  }
}
