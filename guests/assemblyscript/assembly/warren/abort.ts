// What `throw` and a failed `assert` do in a Warren process: end it with a
// custom reason carrying the message and where it was thrown, which its
// links and monitors see (asconfig.json routes AssemblyScript's `abort`
// here; the host has no `env.abort`).

@external("warren_v1", "exit")
declare function warren_exit(kind: i32, detail: usize, len: i32): void;

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
