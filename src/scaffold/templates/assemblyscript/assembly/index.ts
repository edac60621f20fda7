// {{name}}: a Warren guest in AssemblyScript. `main` spawns a greeter (a
// process of this same module), calls it, prints its reply and returns;
// the run ends with it, exit code 0.
//
// assembly/warren.ts is the whole ABI (docs/ABI.md) as classes: Process,
// Mailbox, Message, Request, Term (Erlang terms, the structured messages
// other languages understand), Table, Timer, Supervisor...

import { Mailbox, Process, TAG_CALL, text, utf8 } from "./warren";

// WASI's fd_write, which Warren gives every process: fd 1 is the node's stdout.
@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: i32, iovs: usize, iovsLen: i32, written: usize): i32;

/** Writes `line` and a newline to stdout. */
function println(line: string): void {
  const bytes = utf8(line + "\n");
  const iov = new StaticArray<u32>(3); // [buf, len], then where the count goes
  iov[0] = <u32>bytes.dataStart;
  iov[1] = <u32>bytes.length;
  fd_write(1, changetype<usize>(iov), 1, changetype<usize>(iov) + 8);
}

/** The greeter: answers each call `NAME` with `Hello, NAME!`. Blocking
 * style: it runs until the node stops. */
export function greeter(): void {
  while (true) {
    const m = Mailbox.receiveTag(TAG_CALL);
    if (!m) continue;
    const request = m.asCall();
    if (!request) continue;
    request.reply(utf8("Hello, " + text(request.body) + "!"));
  }
}

/** The root process: `warren run` starts it. */
export function main(): void {
  const server = Process.spawn("greeter");
  server.register("greeter"); // so `warren info`, `trace`... name it `greeter`
  const reply = server.call(utf8("world"), 5000).reply();
  if (!reply) throw new Error("the greeter did not answer");
  println('{{name}}: the greeter replied "' + text(reply) + '"');
}
