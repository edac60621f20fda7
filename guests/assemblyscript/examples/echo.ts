// An echo server in AssemblyScript, blocking style: `main` takes messages
// for ever and sends each back to its sender, same tag, same bytes; a
// message with tag 0 ends it (after its echo). `quick` returns at once, so
// the process ends normally (for spawn+exit benchmarks: benches/languages.rs).
//
//   npm run asc -- examples/echo.ts -o echo.wasm
//   warren run echo.wasm

import { Mailbox, Process } from "../assembly/warren";

export function main(): void {
  while (true) {
    const m = Mailbox.receive();
    if (!m) continue;
    new Process(m.sender).send(m.tag, m.data);
    if (m.tag == 0) return;
  }
}

export function quick(): void {}
