// What AssemblyScript's runtime asks of its host, on Warren: the node
// provides no `env` imports, so asconfig.json routes them here.
//
// * `abort` (a `throw`, a failed `assert`): ends the process with a custom
//   reason carrying the message and where it was thrown, which its links
//   and monitors see.
// * `trace`: a line on the process's stderr (WASI `fd_write`, fd 2).
// * `seed` (for `Math.random`): 8 random bytes from WASI `random_get`.

@external("warren_v1", "exit")
declare function warren_exit(kind: i32, detail: usize, len: i32): void;

@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: i32, iovs: usize, iovs_len: i32, nwritten: usize): i32;

@external("wasi_snapshot_preview1", "random_get")
declare function random_get(buf: usize, len: i32): i32;

/** Ends the process with reason `custom` and detail `abort: MESSAGE at FILE:LINE:COLUMN`. */
export function abort(message: string | null = null, fileName: string | null = null, line: u32 = 0, column: u32 = 0): void {
  let text = "abort: ";
  text += message != null ? message : "(no message)";
  if (fileName != null) text += " at " + fileName + ":" + line.toString() + ":" + column.toString();
  const bytes = String.UTF8.encode(text);
  // REASON_CUSTOM: never returns.
  warren_exit(2, changetype<usize>(bytes), bytes.byteLength);
  unreachable();
}

/** Prints `trace: MESSAGE A0, A1...` (the first `n` numbers) on stderr. */
export function trace(message: string, n: i32 = 0, a0: f64 = 0, a1: f64 = 0, a2: f64 = 0, a3: f64 = 0, a4: f64 = 0): void {
  let text = "trace: " + message;
  const values: Array<f64> = [a0, a1, a2, a3, a4];
  for (let i = 0; i < n && i < 5; i++) text += (i == 0 ? " " : ", ") + values[i].toString();
  const bytes = String.UTF8.encode(text + "\n");
  const iov = new StaticArray<u32>(3);
  iov[0] = <u32>changetype<usize>(bytes);
  iov[1] = <u32>bytes.byteLength;
  // A process that may not print gets EBADF: nothing to do about it.
  fd_write(2, changetype<usize>(iov), 1, changetype<usize>(iov) + 8);
}

/** A random seed for `Math.random` (never 0, which the runtime refuses). */
export function seed(): f64 {
  const buf = new StaticArray<u64>(1);
  random_get(changetype<usize>(buf), 8);
  return reinterpret<f64>(buf[0] | 1);
}
