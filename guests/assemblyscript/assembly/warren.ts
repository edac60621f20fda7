// Warren's AssemblyScript binding: the whole guest ABI (docs/ABI.md) in
// AssemblyScript's idiom. Import what you need:
//
//   import { Process, Mailbox, Term, encode } from "../assembly/warren";
//
// Compile with this directory's asconfig.json and transform (incremental
// runtime, no start function, mutable globals exported):
//
//   npm run asc -- my_guest.ts -o my_guest.wasm
//
// Modules: codes (the ABI's numbers), sys (the raw imports), process,
// message (receive, host messages, calls' requests), term (External Term
// Format), names, timer, table, supervisor, options, reason, errors, bytes.

export * from "./warren/codes";
export * from "./warren/bytes";
export * from "./warren/errors";
export * from "./warren/reason";
export * from "./warren/term";
export * from "./warren/message";
export * from "./warren/options";
export * from "./warren/process";
export * from "./warren/names";
export * from "./warren/timer";
export * from "./warren/table";
export * from "./warren/supervisor";
export { abort, seed, trace } from "./warren/runtime";
import * as sys from "./warren/sys";
export { sys };
