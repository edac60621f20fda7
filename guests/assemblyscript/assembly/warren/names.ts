// Names: registered process names, and keyed registries (Elixir's Registry).

import * as sys from "./sys";
import { Reader, len, ptr, text, utf8 } from "./bytes";

/** Registers `pid` under `name`: `OK`, ERR_NAME_TAKEN, ERR_ALREADY_NAMED, ERR_NOPROC, ERR_BADARG. */
export function register(name: string, pid: i64): i32 {
  const n = utf8(name);
  return sys.register(n.dataStart, n.length, pid);
}

/** Frees `name`: `OK` or ERR_NO_SUCH_NAME. */
export function unregister(name: string): i32 {
  const n = utf8(name);
  return sys.unregister(n.dataStart, n.length);
}

/** The pid registered as `name`, or 0. */
export function whereis(name: string): i64 {
  const n = utf8(name);
  return sys.whereis(n.dataStart, n.length);
}

/** Sends to the process registered as `name`: `OK`, ERR_NO_SUCH_NAME (nothing sent), ERR_BADARG, ERR_LIMIT. */
export function sendNamed(name: string, tag: i64, bytes: Uint8Array | null = null): i32 {
  const n = utf8(name);
  return sys.send_named(n.dataStart, n.length, tag, ptr(bytes), len(bytes));
}

/** Every registered name, sorted. */
export function registered(): Array<string> {
  const names = new Array<string>();
  let buf = new Uint8Array(0);
  // The list may grow between the two calls: ask until it fits.
  while (true) {
    const need = sys.registered(buf.dataStart, buf.length);
    if (need <= buf.length) {
      const r = new Reader(buf.subarray(0, need));
      while (r.remaining > 0) {
        const name = r.lenBytes();
        if (!r.ok) break;
        names.push(text(name));
      }
      return names;
    }
    buf = new Uint8Array(need);
  }
  return names;
}

/** One entry of a keyed registry: the process and its value. */
export class RegistryEntry {
  constructor(public pid: i64, public value: Uint8Array) {}
}

/** A keyed registry (unique or duplicate keys) by name. */
export class Registry {
  private n: Uint8Array;

  constructor(public readonly name: string) {
    this.n = utf8(name);
  }

  /** Creates registry `name`: `OK`, ERR_NAME_TAKEN, ERR_BADARG. */
  static create(name: string, unique: bool): i32 {
    const n = utf8(name);
    return sys.registry_new(n.dataStart, n.length, unique ? 1 : 0);
  }

  /** Registers the caller under `key` with `value`: `OK`, ERR_NAME_TAKEN, ERR_NO_SUCH_NAME. */
  register(key: Uint8Array, value: Uint8Array | null = null): i32 {
    return sys.registry_register(this.n.dataStart, this.n.length, key.dataStart, key.length, ptr(value), len(value));
  }

  /** Removes the caller's entries under `key`: `OK` or ERR_NO_SUCH_NAME. */
  unregister(key: Uint8Array): i32 {
    return sys.registry_unregister(this.n.dataStart, this.n.length, key.dataStart, key.length);
  }

  /** The entries under `key`, in registration order (empty if none, or no such registry). */
  lookup(key: Uint8Array): Array<RegistryEntry> {
    const entries = new Array<RegistryEntry>();
    let buf = new Uint8Array(0);
    while (true) {
      const need = sys.registry_lookup(this.n.dataStart, this.n.length, key.dataStart, key.length, buf.dataStart, buf.length);
      if (need < 0) return entries;
      if (need <= buf.length) {
        const r = new Reader(buf.subarray(0, need));
        while (r.remaining > 0) {
          const pid = r.i64le();
          const value = r.lenBytes().slice(0);
          if (!r.ok) break;
          entries.push(new RegistryEntry(pid, value));
        }
        return entries;
      }
      buf = new Uint8Array(need);
    }
    return entries;
  }

  /** Sends the message to every entry under `key`: how many were sent, or an error code. */
  dispatch(key: Uint8Array, tag: i64, bytes: Uint8Array | null = null): i32 {
    return sys.registry_dispatch(this.n.dataStart, this.n.length, key.dataStart, key.length, tag, ptr(bytes), len(bytes));
  }
}
