// An AssemblyScript compiler transform that makes a module fit Warren's
// rules for hibernation and recycled instances (docs/ABI.md, "Hibernation"):
//
// * No start function. The runtime's initialisation (the incremental GC's
//   lists, top-level statements) is compiled with `--exportStart
//   __warren_init`, which makes it a function guarded by a global
//   (`~started`), run once. This transform removes that export and makes
//   every other exported function call it first: a process runs it at its
//   first call, whichever export that is (an entry, or a handler a process
//   was spawned on), and a woken or recycled instance gets the guard's
//   value back with its other globals, so it runs again only on a fresh
//   start.
// * Every mutable global exported (under its own name), so the host can
//   save and restore it.
//
// Used through asconfig.json: `asc FILE.ts -o FILE.wasm` in this directory.

import { Transform } from "assemblyscript/dist/transform.js";

const INIT_EXPORT = "__warren_init";

export default class WarrenTransform extends Transform {
  afterCompile(module) {
    const binaryen = this.binaryen;
    const exports = [];
    for (let i = 0, n = module.getNumExports(); i < n; ++i) {
      exports.push(binaryen.getExportInfo(module.getExportByIndex(i)));
    }
    const init = exports.find((e) => e.name === INIT_EXPORT && e.kind === binaryen.ExternalFunction);
    if (module.getStart()) {
      throw new Error(
        `the module has a start function: compile with --exportStart ${INIT_EXPORT} (guests/assemblyscript/asconfig.json does)`,
      );
    }
    if (init) {
      module.removeExport(INIT_EXPORT);
      const initName = init.value;
      for (const e of exports) {
        if (e.kind !== binaryen.ExternalFunction || e.name === INIT_EXPORT) continue;
        const func = module.getFunction(e.value);
        const info = binaryen.getFunctionInfo(func);
        if (info.module) continue; // a re-exported import has no body
        const body = module.block(null, [module.call(initName, [], binaryen.none), info.body], info.results);
        binaryen.Function.setBody(func, body);
      }
    }
    const exported = new Set(
      exports.filter((e) => e.kind === binaryen.ExternalGlobal).map((e) => e.value),
    );
    const names = new Set(exports.map((e) => e.name));
    for (let i = 0, n = module.getNumGlobals(); i < n; ++i) {
      const global = binaryen.getGlobalInfo(module.getGlobalByIndex(i));
      if (!global.mutable || global.module || exported.has(global.name)) continue;
      let name = global.name;
      while (names.has(name)) name = "_" + name;
      names.add(name);
      module.addGlobalExport(global.name, name);
    }
  }
}
