//! Hibernation: a handler-style process that asks for it (`hibernate`) gives
//! up its wasm instance between messages, as an Erlang process does with
//! `erlang:hibernate/3`. What it keeps is compact: the non-zero 64-byte
//! blocks of its linear memory, the values of its mutable globals, and its
//! process state (mailbox, links, tables, WASI state). The next message
//! makes a fresh instance of the same module and puts that state back before
//! the handler runs; the handler cannot tell the difference.
//!
//! A fresh instance differs from the old one only where the module
//! initialises it, so a module may hibernate only if the host can undo all
//! of that (checked once, when the module is loaded; see [`plan`]):
//! * no start function (it would run again);
//! * no imported memory, table or global, at most one memory, not shared,
//!   and exported if present (the host reads and writes it);
//! * every mutable global exported and numeric (saved and restored by
//!   value); a non-exported one could not be restored. (LLVM's
//!   `__stack_pointer` is such a global: link Rust and C guests with
//!   `--export=__stack_pointer` to make them eligible.)
//! * active data segments at constant offsets (their bytes are zeroed before
//!   the saved blocks are written back);
//! * no instruction that changes a table or the set of live segments
//!   (`table.set/grow/fill/copy/init`, `elem.drop`, `memory.init`,
//!   `data.drop`): a fresh instance would undo those changes.
//!
//! Precompiled (`.cwasm`) modules cannot hibernate: their wasm bytes are not
//! kept.

use crate::mem::region;
use wasmparser::{DataKind, ExternalKind, Operator, Parser, Payload};
use wasmtime::{Extern, ExternType, Instance, Memory, Module, ModuleExport, Store, Val};

/// Bytes per saved block of memory.
const BLOCK: usize = region::BLOCK;
/// Memories up to this size are read whole at a freeze. Larger ones first
/// ask the kernel which pages are resident and read only those: the query
/// (`mincore`) costs the same whatever the size, more than reading a small
/// memory whole. Reading a page never touched maps the kernel's shared zero
/// page there (no memory of its own; see `region::zero_all`).
const READ_WHOLE_UP_TO: usize = 64 << 10;

/// How to hibernate and wake instances of one module.
#[derive(Debug)]
pub(crate) struct Plan {
    /// The export of the module's memory, if it has one.
    memory: Option<PlannedExport>,
    /// `offset..offset + len` of every active data segment.
    data_ranges: Vec<(u64, u64)>,
    /// The exports of the module's mutable globals.
    globals: Vec<PlannedExport>,
}

/// An export the host reads or writes at every hibernation, found by index
/// (a lookup by name hashed the name each time).
struct PlannedExport {
    name: Box<str>,
    index: ModuleExport,
}

impl PlannedExport {
    fn find(module: &Module, name: Box<str>) -> Result<PlannedExport, String> {
        let index = module.get_export_index(&name).ok_or_else(|| format!("export `{name}` is missing"))?;
        Ok(PlannedExport { name, index })
    }

    /// The export in `instance`, as `kind` (`into`); the error names it.
    fn get<D, T>(
        &self,
        store: &mut Store<D>,
        instance: &Instance,
        kind: &str,
        into: fn(Extern) -> Option<T>,
    ) -> Result<T, String> {
        let found = instance.get_module_export(&mut *store, &self.index).and_then(into);
        found.ok_or_else(|| format!("{kind} `{}` is missing", self.name))
    }
}

/// Only the name: the index means nothing to a reader.
impl std::fmt::Debug for PlannedExport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.name.fmt(f)
    }
}

/// A hibernated instance's state: its memory, compacted, and its globals.
pub(crate) struct Frozen {
    memory_size: usize,
    /// Indexes of the 64-byte blocks that hold a non-zero byte, in order.
    blocks: Vec<u32>,
    /// Their contents, [`BLOCK`] bytes each.
    bytes: Vec<u8>,
    globals: Vec<Val>,
}

impl Frozen {
    /// The size the memory had when this was saved.
    pub(crate) fn memory_size(&self) -> usize {
        self.memory_size
    }
}

/// Works out whether instances of `module` (compiled from `wasm`; `None` for
/// a precompiled module) can hibernate. The error says why not.
pub(crate) fn plan(module: &Module, wasm: Option<&[u8]>) -> Result<Plan, String> {
    let Some(wasm) = wasm else {
        return Err("the module was loaded precompiled, so its wasm is not at hand".into());
    };
    for import in module.imports() {
        match import.ty() {
            ExternType::Func(_) | ExternType::Tag(_) => {}
            _ => return Err(format!("it imports `{}::{}`, which is not a function", import.module(), import.name())),
        }
    }
    let mut memories = 0;
    let mut mutable_globals = Vec::new();
    let mut data_ranges = Vec::new();
    let mut exports: Vec<(ExternalKind, u32, Box<str>)> = Vec::new();
    let bad = |e: wasmparser::BinaryReaderError| format!("cannot read the module: {e}");
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(bad)? {
            Payload::StartSection { .. } => return Err("it has a start function".into()),
            Payload::MemorySection(reader) => {
                for memory in reader {
                    if memory.map_err(bad)?.shared {
                        return Err("its memory is shared".into());
                    }
                    memories += 1;
                }
            }
            Payload::GlobalSection(reader) => {
                for (index, global) in reader.into_iter().enumerate() {
                    let ty = global.map_err(bad)?.ty;
                    if ty.mutable {
                        if !matches!(
                            ty.content_type,
                            wasmparser::ValType::I32
                                | wasmparser::ValType::I64
                                | wasmparser::ValType::F32
                                | wasmparser::ValType::F64
                                | wasmparser::ValType::V128
                        ) {
                            return Err(format!("mutable global {index} holds a reference"));
                        }
                        mutable_globals.push(index as u32);
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for export in reader {
                    let export = export.map_err(bad)?;
                    exports.push((export.kind, export.index, export.name.into()));
                }
            }
            Payload::DataSection(reader) => {
                for data in reader {
                    let data = data.map_err(bad)?;
                    let DataKind::Active { offset_expr, .. } = data.kind else { continue };
                    let offset = match offset_expr.get_operators_reader().read().map_err(bad)? {
                        Operator::I32Const { value } => u64::from(value as u32),
                        Operator::I64Const { value } => value as u64,
                        _ => return Err("a data segment has a computed offset".into()),
                    };
                    data_ranges.push((offset, data.data.len() as u64));
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut reader = body.get_operators_reader().map_err(bad)?;
                while !reader.eof() {
                    let name = match reader.read().map_err(bad)? {
                        Operator::TableSet { .. } => "table.set",
                        Operator::TableGrow { .. } => "table.grow",
                        Operator::TableFill { .. } => "table.fill",
                        Operator::TableCopy { .. } => "table.copy",
                        Operator::TableInit { .. } => "table.init",
                        Operator::ElemDrop { .. } => "elem.drop",
                        Operator::MemoryInit { .. } => "memory.init",
                        Operator::DataDrop { .. } => "data.drop",
                        _ => continue,
                    };
                    return Err(format!("its code uses `{name}`"));
                }
            }
            _ => {}
        }
    }
    let export_of = |kind: ExternalKind, index: u32| {
        exports.iter().find(|(k, i, _)| *k == kind && *i == index).map(|(_, _, name)| name.clone())
    };
    let memory = match memories {
        0 => None,
        1 => {
            Some(PlannedExport::find(module, export_of(ExternalKind::Memory, 0).ok_or("its memory is not exported")?)?)
        }
        _ => return Err("it has more than one memory".into()),
    };
    let globals = mutable_globals
        .into_iter()
        .map(|index| {
            let name =
                export_of(ExternalKind::Global, index).ok_or(format!("mutable global {index} is not exported"))?;
            PlannedExport::find(module, name)
        })
        .collect::<Result<_, _>>()?;
    Ok(Plan { memory, data_ranges, globals })
}

/// Which pages of a memory a freeze reads.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Scan {
    /// A hibernation: memories up to [`READ_WHOLE_UP_TO`] are read whole,
    /// larger ones only where the kernel says pages are resident.
    Hibernation,
    /// Only the resident pages, whatever the size: no page the guest never
    /// touched gets the zero page mapped. For the pristine copy of a module
    /// (made once): its slot then serves many short-lived processes, and a
    /// zero-page mapping would count as resident at each of their resets,
    /// which would read the page to find it zero (`region::zero_all`).
    ResidentOnly,
}

/// Saves what `instance` holds that a fresh instance would not.
pub(crate) fn freeze<T>(store: &mut Store<T>, instance: &Instance, plan: &Plan, scan: Scan) -> Result<Frozen, String> {
    let mut globals = Vec::with_capacity(plan.globals.len());
    for export in &plan.globals {
        globals.push(export.get(store, instance, "global", Extern::into_global)?.get(&mut *store));
    }
    let mut frozen = Frozen { memory_size: 0, blocks: Vec::new(), bytes: Vec::new(), globals };
    if let Some(memory) = plan.memory(store, instance)? {
        let data = memory.data(&*store);
        if data.len() / BLOCK > u32::MAX as usize {
            return Err(format!("a memory of {} bytes is too large to hibernate", data.len()));
        }
        frozen.memory_size = data.len();
        let page = region::page_size();
        let resident = if scan == Scan::Hibernation && data.len() <= READ_WHOLE_UP_TO {
            None
        } else {
            region::resident_pages(data.as_ptr() as usize, data.len())
        };
        for (page_index, page_bytes) in data.chunks(page).enumerate() {
            // Pages the kernel never filled read as zero: skip them whole.
            if resident.as_ref().is_some_and(|r| r.get(page_index) == Some(&0)) {
                continue;
            }
            // Most pages of a small memory read as zero: one pass says so.
            if region::is_zero(page_bytes) {
                continue;
            }
            let page_start = page_index * page;
            for (span_index, span) in page_bytes.chunks(region::BLOCKS_SPAN).enumerate() {
                let first_block = (page_start + span_index * region::BLOCKS_SPAN) / BLOCK;
                let mut mask = region::nonzero_blocks(span);
                while mask != 0 {
                    let offset = mask.trailing_zeros() as usize;
                    mask &= mask - 1;
                    let chunk = &span[offset * BLOCK..span.len().min((offset + 1) * BLOCK)];
                    frozen.blocks.push((first_block + offset) as u32);
                    frozen.bytes.extend_from_slice(chunk);
                    frozen.bytes.resize(frozen.blocks.len() * BLOCK, 0);
                }
            }
        }
    }
    frozen.blocks.shrink_to_fit();
    frozen.bytes.shrink_to_fit();
    Ok(frozen)
}

/// Puts `frozen` back into `instance`, a fresh instance of the module.
pub(crate) fn thaw<T>(store: &mut Store<T>, instance: &Instance, plan: &Plan, frozen: &Frozen) -> Result<(), String> {
    if let Some(memory) = plan.memory(store, instance)? {
        let current = memory.data_size(&*store);
        if frozen.memory_size > current {
            let pages = ((frozen.memory_size - current) as u64).div_ceil(memory.page_size(&*store));
            memory.grow(&mut *store, pages).map_err(|e| format!("cannot grow the memory back: {e}"))?;
        }
        let data = memory.data_mut(&mut *store);
        // A fresh memory is zero except where data segments put bytes.
        for &(offset, len) in &plan.data_ranges {
            let start = (offset as usize).min(data.len());
            let end = (offset.saturating_add(len) as usize).min(data.len());
            data[start..end].fill(0);
        }
        write_blocks(data, frozen)?;
    }
    restore_globals(store, instance, plan, frozen)
}

/// Makes `instance`, whose memory the caller has zeroed, hold `pristine`
/// again: what a fresh instance held (see `recycle.rs`). The memory must be
/// the size it was in `pristine`.
pub(crate) fn reset<T>(
    store: &mut Store<T>,
    instance: &Instance,
    memory: Option<wasmtime::Memory>,
    plan: &Plan,
    pristine: &Frozen,
) -> Result<(), String> {
    if let Some(memory) = memory {
        let data = memory.data_mut(&mut *store);
        if data.len() != pristine.memory_size {
            return Err("the memory changed size".into());
        }
        write_blocks(data, pristine)?;
    }
    restore_globals(store, instance, plan, pristine)
}

/// Zeroes the blocks of `data` that `frozen`, saved from it, lists: if
/// nothing wrote to `data` since, it then reads as zero throughout (a
/// freeze lists every block that holds a non-zero byte), and only the
/// blocks in use were written.
pub(crate) fn zero_saved_blocks(data: &mut [u8], frozen: &Frozen) {
    for &block in &frozen.blocks {
        let start = (block as usize * BLOCK).min(data.len());
        let end = (start + BLOCK).min(data.len());
        data[start..end].fill(0);
    }
}

/// Writes the saved blocks of `frozen` into `data`.
fn write_blocks(data: &mut [u8], frozen: &Frozen) -> Result<(), String> {
    for (block, bytes) in frozen.blocks.iter().zip(frozen.bytes.chunks_exact(BLOCK)) {
        let start = *block as usize * BLOCK;
        if start >= data.len() {
            return Err("the memory did not grow back to its size".into());
        }
        let end = (start + BLOCK).min(data.len());
        data[start..end].copy_from_slice(&bytes[..end - start]);
    }
    Ok(())
}

/// Sets the mutable globals of `instance` to the values in `frozen`.
fn restore_globals<T>(store: &mut Store<T>, instance: &Instance, plan: &Plan, frozen: &Frozen) -> Result<(), String> {
    for (export, value) in plan.globals.iter().zip(&frozen.globals) {
        let global = export.get(store, instance, "global", Extern::into_global)?;
        global.set(&mut *store, *value).map_err(|e| format!("cannot restore global `{}`: {e}", export.name))?;
    }
    Ok(())
}

impl Plan {
    /// The memory of `instance`, an instance of the plan's module (`None`
    /// if the module has none).
    pub(crate) fn memory<T>(&self, store: &mut Store<T>, instance: &Instance) -> Result<Option<Memory>, String> {
        self.memory.as_ref().map(|export| export.get(store, instance, "memory", Extern::into_memory)).transpose()
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;

    /// The plan for a module written in WAT, or why it cannot hibernate.
    fn plan_of(wat: &str) -> Result<Plan, String> {
        let wasm = wat::parse_str(wat).expect("valid WAT");
        let module = Module::new(&wasmtime::Engine::default(), &wasm).expect("valid module");
        plan(&module, Some(&wasm))
    }

    fn refusal(wat: &str) -> String {
        plan_of(wat).expect_err("the module must be refused")
    }

    #[test]
    fn an_eligible_module_lists_its_memory_data_and_mutable_globals() {
        let plan = plan_of(
            r#"(module
                 (memory (export "mem") 1)
                 (global (export "g") (mut i64) (i64.const 0))
                 (global i32 (i32.const 7))
                 (data (i32.const 16) "abc")
                 (data (i32.const 100) "de"))"#,
        )
        .expect("eligible");
        assert_eq!(plan.memory.map(|m| m.name), Some("mem".into()));
        assert_eq!(plan.data_ranges, [(16, 3), (100, 2)]);
        let globals: Vec<&str> = plan.globals.iter().map(|g| &*g.name).collect();
        assert_eq!(globals, ["g"]);
    }

    #[test]
    fn what_a_fresh_instance_could_not_undo_is_refused_with_the_reason() {
        let cases = [
            (r#"(module (func $s) (start $s))"#, "start function"),
            (r#"(module (import "m" "g" (global i32)))"#, "imports `m::g`"),
            (r#"(module (memory 1))"#, "memory is not exported"),
            (r#"(module (global (mut i32) (i32.const 0)))"#, "mutable global 0 is not exported"),
            (r#"(module (global (export "r") (mut funcref) (ref.null func)))"#, "holds a reference"),
            (
                r#"(module (memory (export "m") 1) (global $o i32 (i32.const 8)) (data (global.get $o) "x"))"#,
                "computed offset",
            ),
            (r#"(module (memory (export "m") 1) (data "x") (func (data.drop 0)))"#, "`data.drop`"),
            (r#"(module (table 1 funcref) (func (drop (table.grow (ref.null func) (i32.const 1)))))"#, "`table.grow`"),
        ];
        for (wat, reason) in cases {
            let why = refusal(wat);
            assert!(why.contains(reason), "{wat}: expected {reason:?} in {why:?}");
        }
    }

    #[test]
    fn a_precompiled_module_cannot_hibernate() {
        let module = Module::new(&wasmtime::Engine::default(), "(module)").expect("valid module");
        assert!(plan(&module, None).unwrap_err().contains("precompiled"));
    }
}
