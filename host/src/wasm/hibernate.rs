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
//!
//! Once a module's first fresh instance has been saved ([`Pristine`]), a
//! hibernation keeps only the blocks that differ from it (a *delta*): the
//! bytes its data segments put there and never changed (a Rust or C guest's
//! constant data, most of its memory) are not copied per process; a wake
//! starts from an instance that holds them (a fresh one, or a recycled one
//! reset to the pristine image) and writes the delta over it.
//!
//! A module that exports LLVM's shadow-stack pointer (`__stack_pointer`,
//! a mutable `i32`) also loses, at a hibernation, what lies on its stack
//! below that pointer: LLVM's wasm ABI has no red zone, so bytes there are
//! dead between calls. The stack's bottom is 0 when the stack comes first
//! (no data segment below the pointer's initial value, Rust's and Zig's
//! layout), else the exported `__data_end` (clang's default layout puts the
//! data, then `.bss`, then the stack); without `__data_end` nothing is
//! dropped.

use crate::mem::region;
use wasmparser::{DataKind, ExternalKind, Operator, Parser, Payload};
use wasmtime::{Extern, ExternType, Instance, Memory, Module, ModuleExport, Store, Val};

/// Bytes per saved block of memory.
const BLOCK: usize = region::BLOCK;
/// Memories up to this size are read whole at a freeze. Larger ones first
/// ask the kernel which pages are resident and read only those: the query
/// (`mem/residency.rs`) costs a system call whatever the size, more than reading a small
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
    /// The module's shadow stack, if it has one the host can see.
    stack: Option<ShadowStack>,
}

/// LLVM's shadow stack: the bytes between `bottom` and the stack pointer
/// (the mutable global at index `global` of [`Plan::globals`]) are dead
/// between calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ShadowStack {
    global: usize,
    bottom: u64,
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
///
/// A minimal hibernated process's bytes are mostly its allocations, so all
/// of this is one allocation, `data`: the globals' values, then the saved
/// blocks' indexes, then their bytes (see [`FrozenParts`]).
pub(crate) struct Frozen {
    memory_size: usize,
    /// What the memory held, outside the saved blocks: zeroes, or the
    /// pristine image of the module.
    base: Base,
    /// Where in `data` the blocks' indexes start (the globals end).
    blocks_at: u32,
    /// How many blocks are saved.
    block_count: u32,
    data: Box<[u8]>,
}

/// What a [`Frozen`] holds, as a freeze gathers it.
#[derive(Default)]
struct FrozenParts {
    /// The mutable globals' values, in the plan's order.
    globals: Vec<Val>,
    /// Indexes of the 64-byte blocks saved, in order: those that hold a
    /// non-zero byte (base [`Base::Zero`]) or differ from the pristine
    /// image (base [`Base::Pristine`]).
    blocks: Vec<u32>,
    /// Per saved block, in order: which of its bytes differ from the base
    /// (a little-endian `u64`, bit `i` for byte `i`), then those bytes. A
    /// block of a heap or of allocator state mostly differs in a few of its
    /// bytes, so only those are kept.
    bytes: Vec<u8>,
}

/// How a global's value is kept in a [`Frozen`]: a tag byte, then its bits
/// (little-endian), as many bytes as the type has.
const GLOBAL_I32: u8 = 0;
const GLOBAL_I64: u8 = 1;
const GLOBAL_F32: u8 = 2;
const GLOBAL_F64: u8 = 3;
const GLOBAL_V128: u8 = 4;

/// How many bytes a global's value of type `tag` takes in a [`Frozen`].
fn global_len(tag: u8) -> usize {
    match tag {
        GLOBAL_I32 | GLOBAL_F32 => 4,
        GLOBAL_I64 | GLOBAL_F64 => 8,
        _ => 16,
    }
}

impl FrozenParts {
    /// Packs the parts into one allocation.
    fn pack(self, memory_size: usize, base: Base) -> Result<Frozen, String> {
        let mut data = Vec::with_capacity(
            self.globals.len() * (1 + size_of::<u128>()) + self.blocks.len() * size_of::<u32>() + self.bytes.len(),
        );
        for value in &self.globals {
            let (tag, bits) = match *value {
                Val::I32(v) => (GLOBAL_I32, u128::from(v.cast_unsigned())),
                Val::I64(v) => (GLOBAL_I64, u128::from(v.cast_unsigned())),
                Val::F32(bits) => (GLOBAL_F32, u128::from(bits)),
                Val::F64(bits) => (GLOBAL_F64, u128::from(bits)),
                Val::V128(v) => (GLOBAL_V128, v.as_u128()),
                // The plan refuses modules with a mutable reference global.
                _ => return Err("a mutable global holds a reference".into()),
            };
            data.push(tag);
            data.extend_from_slice(&bits.to_le_bytes()[..global_len(tag)]);
        }
        let too_large = |_| "a hibernated image is too large".to_string();
        let blocks_at = u32::try_from(data.len()).map_err(too_large)?;
        let block_count = u32::try_from(self.blocks.len()).map_err(too_large)?;
        for block in &self.blocks {
            data.extend_from_slice(&block.to_le_bytes());
        }
        data.extend_from_slice(&self.bytes);
        Ok(Frozen { memory_size, base, blocks_at, block_count, data: data.into_boxed_slice() })
    }
}

/// What a [`Frozen`] memory's unsaved blocks held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Base {
    Zero,
    Pristine,
}

impl Frozen {
    /// Whether this holds only what differs from the module's pristine
    /// image (and not every non-zero block).
    pub(crate) fn is_delta(&self) -> bool {
        self.base == Base::Pristine
    }

    /// The size the memory had when this was saved.
    pub(crate) fn memory_size(&self) -> usize {
        self.memory_size
    }

    /// Bytes this keeps of the memory (block contents and indexes).
    pub(crate) fn saved_bytes(&self) -> usize {
        self.data.len() - self.blocks_at as usize
    }

    /// The saved blocks' indexes, in order.
    fn blocks(&self) -> impl DoubleEndedIterator<Item = u32> + '_ {
        let start = self.blocks_at as usize;
        let end = start + self.block_count as usize * size_of::<u32>();
        self.data[start..end].chunks_exact(size_of::<u32>()).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// The saved blocks' masks and bytes (see [`FrozenParts::bytes`]).
    fn bytes(&self) -> &[u8] {
        &self.data[self.blocks_at as usize + self.block_count as usize * size_of::<u32>()..]
    }

    /// The mutable globals' values, in the plan's order.
    fn globals(&self) -> impl Iterator<Item = Val> + '_ {
        let mut rest = &self.data[..self.blocks_at as usize];
        std::iter::from_fn(move || {
            let (&tag, tail) = rest.split_first()?;
            let len = global_len(tag);
            let (bits, tail) = tail.split_at(len);
            rest = tail;
            let mut le = [0u8; 16];
            le[..len].copy_from_slice(bits);
            let bits = u128::from_le_bytes(le);
            Some(match tag {
                GLOBAL_I32 => Val::I32(bits as u32 as i32),
                GLOBAL_I64 => Val::I64(bits as u64 as i64),
                GLOBAL_F32 => Val::F32(bits as u32),
                GLOBAL_F64 => Val::F64(bits as u64),
                _ => Val::V128(bits.into()),
            })
        })
    }
}

/// What a fresh instance of a module holds (saved from its first one, a
/// [`Frozen`] against zeroes), and the same bytes as one dense image up to
/// its last non-zero block, against which hibernations save a delta.
pub(crate) struct Pristine {
    frozen: Frozen,
    image: Box<[u8]>,
    /// No data segment writes the memory's first page (see
    /// [`Pristine::starts_with_zero_page`]).
    first_page_zero: bool,
    /// Per host page of `image`: whether the image is all zero there (a
    /// Rust guest's shadow stack below its data, say), found once rather
    /// than at every reset.
    zero_pages: Box<[bool]>,
}

impl Pristine {
    /// The pristine state `frozen` (saved from a fresh instance by
    /// [`freeze`]).
    pub(crate) fn new(frozen: Frozen) -> Pristine {
        let end = frozen.blocks().next_back().map_or(0, |last| (last as usize + 1) * BLOCK).min(frozen.memory_size);
        let mut image = vec![0u8; end].into_boxed_slice();
        // Every block lies below `end`, or past the memory (never saved).
        let _ = write_blocks(&mut image, &frozen);
        let first_page_zero = region::is_zero(&image[..image.len().min(region::page_size())]);
        let zero_pages = image.chunks(region::page_size()).map(region::is_zero).collect();
        Pristine { frozen, image, first_page_zero, zero_pages }
    }

    /// Whether the image is all zero in page `index` (of `page` bytes).
    fn page_is_zero(&self, index: usize, page: usize) -> bool {
        if page == region::page_size() {
            return self.zero_pages.get(index).copied().unwrap_or(true);
        }
        region::is_zero(self.bytes(index * page, page))
    }

    /// The saved state.
    pub(crate) fn frozen(&self) -> &Frozen {
        &self.frozen
    }

    /// Whether a fresh instance's memory holds only zeroes in its first
    /// page (no data segment writes there). Read at every spawn: found
    /// once, when the image is made.
    pub(crate) fn starts_with_zero_page(&self) -> bool {
        self.first_page_zero
    }

    /// The pristine bytes at `start..start + len`: shorter than `len` (or
    /// empty) where the image ends, as the rest is zero.
    fn bytes(&self, start: usize, len: usize) -> &[u8] {
        let start = start.min(self.image.len());
        &self.image[start..(start + len).min(self.image.len())]
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
    // (index, value) of the globals initialised by an `i32.const`.
    let mut i32_initial: Vec<(u32, u32)> = Vec::new();
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
                    let global = global.map_err(bad)?;
                    let ty = global.ty;
                    if let Ok(Operator::I32Const { value }) = global.init_expr.get_operators_reader().read() {
                        i32_initial.push((index as u32, value as u32));
                    }
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
    let stack = shadow_stack(&exports, &mutable_globals, &i32_initial, &data_ranges);
    let globals = mutable_globals
        .into_iter()
        .map(|index| {
            let name =
                export_of(ExternalKind::Global, index).ok_or(format!("mutable global {index} is not exported"))?;
            PlannedExport::find(module, name)
        })
        .collect::<Result<_, _>>()?;
    Ok(Plan { memory, data_ranges, globals, stack })
}

/// Finds LLVM's shadow stack (see the module docs): `__stack_pointer`
/// exported, mutable and initialised by a constant, and the stack's bottom.
fn shadow_stack(
    exports: &[(ExternalKind, u32, Box<str>)],
    mutable_globals: &[u32],
    i32_initial: &[(u32, u32)],
    data_ranges: &[(u64, u64)],
) -> Option<ShadowStack> {
    let exported = |name: &str| {
        exports.iter().find(|(kind, _, export)| *kind == ExternalKind::Global && &**export == name).map(|e| e.1)
    };
    let initial = |index: u32| i32_initial.iter().find(|(i, _)| *i == index).map(|&(_, value)| u64::from(value));
    let pointer = exported("__stack_pointer")?;
    let global = mutable_globals.iter().position(|&index| index == pointer)?;
    let top = initial(pointer)?;
    let bottom = if data_ranges.iter().all(|&(offset, _)| offset >= top) {
        0
    } else {
        let data_end = exported("__data_end").filter(|index| !mutable_globals.contains(index))?;
        initial(data_end).filter(|&end| end <= top)?
    };
    Some(ShadowStack { global, bottom })
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

/// Saves what `instance` holds that a fresh instance would not: every block
/// that is not zero, or with `pristine`, every block that differs from it
/// (a delta), but none of the dead stack (see the module docs). The second
/// result lists the dead stack's blocks that differ from `pristine`: not
/// saved, but a reset of this memory must undo them
/// ([`restore_saved_blocks`]).
pub(crate) fn freeze<T>(
    store: &mut Store<T>,
    instance: &Instance,
    plan: &Plan,
    scan: Scan,
    pristine: Option<&Pristine>,
) -> Result<(Frozen, Vec<u32>), String> {
    let mut globals = Vec::with_capacity(plan.globals.len());
    for export in &plan.globals {
        globals.push(export.get(store, instance, "global", Extern::into_global)?.get(&mut *store));
    }
    let base = if pristine.is_some() { Base::Pristine } else { Base::Zero };
    let mut frozen = FrozenParts { globals, ..FrozenParts::default() };
    let mut memory_size = 0;
    let mut dead_blocks = Vec::new();
    if let Some(memory) = plan.memory(store, instance)? {
        let data = memory.data(&*store);
        if data.len() / BLOCK > u32::MAX as usize {
            return Err(format!("a memory of {} bytes is too large to hibernate", data.len()));
        }
        memory_size = data.len();
        let dead = match (pristine, plan.stack) {
            (Some(_), Some(stack)) => match frozen.globals.get(stack.global) {
                Some(&Val::I32(pointer)) => stack.bottom as usize..pointer.cast_unsigned() as usize,
                _ => 0..0,
            },
            _ => 0..0,
        };
        let mut saver = Saver { frozen: &mut frozen, dead, dead_blocks: &mut dead_blocks, pristine };
        let page = region::page_size();
        let resident = if scan == Scan::Hibernation && data.len() <= READ_WHOLE_UP_TO {
            None
        } else {
            region::resident_pages(data.as_ptr() as usize, data.len())
        };
        for (page_index, page_bytes) in data.chunks(page).enumerate() {
            let page_start = page_index * page;
            let base = pristine.map_or(&[][..], |pristine| pristine.bytes(page_start, page_bytes.len()));
            let base_is_zero = region::is_zero(base);
            // Pages the kernel never filled read as zero: not read at all.
            let untouched = resident.as_ref().is_some_and(|r| r.get(page_index) == Some(&0));
            if untouched || region::is_zero(page_bytes) {
                if !base_is_zero {
                    // Zero now where the image is not: those blocks are saved as zeroes.
                    for (index, block) in base.chunks(BLOCK).enumerate() {
                        if !region::is_zero(block) {
                            saver.save(page_start / BLOCK + index, &[]);
                        }
                    }
                }
                continue;
            }
            if base_is_zero {
                // Most pages of a small memory read as zero: one pass says so.
                for (span_index, span) in page_bytes.chunks(region::BLOCKS_SPAN).enumerate() {
                    let first_block = (page_start + span_index * region::BLOCKS_SPAN) / BLOCK;
                    let mut mask = region::nonzero_blocks(span);
                    while mask != 0 {
                        let offset = mask.trailing_zeros() as usize;
                        mask &= mask - 1;
                        saver.save(first_block + offset, &span[offset * BLOCK..span.len().min((offset + 1) * BLOCK)]);
                    }
                }
                continue;
            }
            // Constant data mostly: one comparison says the page is unchanged.
            if base == page_bytes {
                continue;
            }
            for (index, block) in page_bytes.chunks(BLOCK).enumerate() {
                let image = base.get(index * BLOCK..).map_or(&[][..], |rest| &rest[..rest.len().min(block.len())]);
                let (same, beyond) = block.split_at(image.len());
                if same != image || !region::is_zero(beyond) {
                    saver.save(page_start / BLOCK + index, block);
                }
            }
        }
    }
    Ok((frozen.pack(memory_size, base)?, dead_blocks))
}

/// Adds blocks to a [`Frozen`], or to the list of dead ones.
struct Saver<'a> {
    frozen: &'a mut FrozenParts,
    /// The dead stack's bytes.
    dead: std::ops::Range<usize>,
    dead_blocks: &'a mut Vec<u32>,
    /// The base of a delta (`None`: zeroes).
    pristine: Option<&'a Pristine>,
}

impl Saver<'_> {
    /// Saves block `index`, whose bytes are `bytes` followed by zeroes.
    fn save(&mut self, index: usize, bytes: &[u8]) {
        // Fits: the caller checked the memory's size against `u32`.
        let block = index as u32;
        let start = index * BLOCK;
        if start >= self.dead.start && start + BLOCK <= self.dead.end {
            self.dead_blocks.push(block);
            return;
        }
        let base = self.pristine.map_or(&[][..], |pristine| pristine.bytes(start, BLOCK));
        let mask_at = self.frozen.bytes.len();
        self.frozen.bytes.extend_from_slice(&[0; size_of::<u64>()]);
        let mut mask = 0u64;
        for offset in 0..BLOCK {
            let byte = bytes.get(offset).copied().unwrap_or(0);
            if byte != base.get(offset).copied().unwrap_or(0) {
                mask |= 1 << offset;
                self.frozen.bytes.push(byte);
            }
        }
        self.frozen.bytes[mask_at..mask_at + size_of::<u64>()].copy_from_slice(&mask.to_le_bytes());
        self.frozen.blocks.push(block);
    }
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
        // A fresh memory is zero except where data segments put bytes,
        // which a delta keeps and a saved copy of every byte overwrites.
        if frozen.base == Base::Zero {
            for &(offset, len) in &plan.data_ranges {
                let start = (offset as usize).min(data.len());
                let end = (offset.saturating_add(len) as usize).min(data.len());
                data[start..end].fill(0);
            }
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
    pristine: &Pristine,
) -> Result<(), String> {
    if let Some(memory) = memory {
        let data = memory.data_mut(&mut *store);
        if data.len() != pristine.frozen.memory_size {
            return Err("the memory changed size".into());
        }
        write_blocks(data, &pristine.frozen)?;
    }
    restore_globals(store, instance, plan, &pristine.frozen)
}

/// Makes `data`, the memory `frozen` and `dead` were saved from (by
/// [`freeze`], against `pristine`) and unchanged since, hold the pristine
/// image again: only the blocks that differed are written.
pub(crate) fn restore_saved_blocks(data: &mut [u8], frozen: &Frozen, dead: &[u32], pristine: &Pristine) {
    for block in frozen.blocks().chain(dead.iter().copied()) {
        let start = (block as usize * BLOCK).min(data.len());
        let end = (start + BLOCK).min(data.len());
        let image = pristine.bytes(start, end - start);
        data[start..start + image.len()].copy_from_slice(image);
        data[start + image.len()..end].fill(0);
    }
}

/// Makes `data`, a memory at least the size `pristine` was saved at whose
/// pages' residency `resident` gives (a byte per `page` bytes, lowest bit
/// set if resident), hold the pristine image again, writing only the pages
/// that differ from it: a page its last process only read (the module's
/// constant data, say) is left as it is. A page that is not resident reads
/// as zero, and is written only where the image is not zero; a resident
/// page past the image (what the memory grew by) is zeroed.
///
/// A resident page that must be zero and is (its last process did not
/// write it: an earlier one did, whose reset zeroed it) is added to
/// `stale` (ranges of whole pages, by address) for the caller to give back
/// to the kernel: else every later reset would read it again, and a store
/// keeps every page any of its processes ever touched.
pub(crate) fn restore_pristine_pages(
    data: &mut [u8],
    resident: &[u8],
    page: usize,
    pristine: &Pristine,
    stale: &mut Vec<(usize, usize)>,
) {
    for (index, flags) in resident.iter().enumerate() {
        let start = index * page;
        if start >= data.len() {
            break;
        }
        let end = (start + page).min(data.len());
        if pristine.page_is_zero(index, page) {
            if flags & 1 == 0 {
                continue;
            }
            let bytes = &mut data[start..end];
            let address = bytes.as_ptr() as usize;
            if !region::is_zero(bytes) {
                bytes.fill(0);
            } else if bytes.len() == page && address.is_multiple_of(page) {
                match stale.last_mut() {
                    Some((base, len)) if *base + *len == address => *len += page,
                    _ => stale.push((address, page)),
                }
            }
            continue;
        }
        let image = pristine.bytes(start, end - start);
        let (imaged, rest) = data[start..end].split_at_mut(image.len());
        if flags & 1 == 0 {
            // The rest reads as zero.
            imaged.copy_from_slice(image);
            continue;
        }
        if imaged != image {
            imaged.copy_from_slice(image);
        }
        if !region::is_zero(rest) {
            rest.fill(0);
        }
    }
}

/// The pages of `data`, a memory of this module, that hold exactly what a
/// fresh instance holds there and where that is not all zero: constant
/// data the process only read. Given back to the kernel while the process
/// is idle, they must be written again ([`rewrite_image_pages`]) before
/// anything reads them. `page` is the system page size.
pub(crate) fn unchanged_image_pages(data: &[u8], page: usize, pristine: &Pristine) -> Vec<u32> {
    let mut unchanged = Vec::new();
    for index in 0..pristine.image.len().div_ceil(page) {
        let start = index * page;
        if start >= data.len() {
            break;
        }
        let end = (start + page).min(data.len());
        let image = pristine.bytes(start, end - start);
        if region::is_zero(image) {
            continue;
        }
        let (imaged, rest) = data[start..end].split_at(image.len());
        if imaged == image && region::is_zero(rest) {
            // Fits: the image lies in the memory, whose blocks number fewer
            // than `u32::MAX` (checked when the image was frozen).
            unchanged.push(index as u32);
        }
    }
    unchanged
}

/// Writes the pristine bytes of `pages` (from [`unchanged_image_pages`])
/// back into `data`, whose pages they were: those pages were given back to
/// the kernel and read as zero, so only the image's bytes need writing.
pub(crate) fn rewrite_image_pages(data: &mut [u8], pages: &[u32], page: usize, pristine: &Pristine) {
    for &index in pages {
        let start = (index as usize * page).min(data.len());
        let end = (start + page).min(data.len());
        let image = pristine.bytes(start, end - start);
        data[start..start + image.len()].copy_from_slice(image);
    }
}

/// Sets the mutable globals of `instance` to their values in `pristine`.
pub(crate) fn reset_globals<T>(
    store: &mut Store<T>,
    instance: &Instance,
    plan: &Plan,
    pristine: &Pristine,
) -> Result<(), String> {
    restore_globals(store, instance, plan, &pristine.frozen)
}

/// Zeroes the blocks of `data` that `frozen`, saved from it, lists: if
/// nothing wrote to `data` since, it then reads as zero throughout (a
/// freeze lists every block that holds a non-zero byte), and only the
/// blocks in use were written.
pub(crate) fn zero_saved_blocks(data: &mut [u8], frozen: &Frozen) {
    for block in frozen.blocks() {
        let start = (block as usize * BLOCK).min(data.len());
        let end = (start + BLOCK).min(data.len());
        data[start..end].fill(0);
    }
}

/// Writes the saved bytes of `frozen` into `data`, which holds the
/// freeze's base (zeroes, or the pristine image) where they go.
fn write_blocks(data: &mut [u8], frozen: &Frozen) -> Result<(), String> {
    let short = "a hibernated image is shorter than its blocks";
    let mut bytes = frozen.bytes();
    for block in frozen.blocks() {
        let start = block as usize * BLOCK;
        let Some(block) = data.get_mut(start..start + BLOCK) else {
            return Err("the memory did not grow back to its size".into());
        };
        let (mask, rest) = bytes.split_first_chunk::<{ size_of::<u64>() }>().ok_or(short)?;
        let mask = u64::from_le_bytes(*mask);
        let (changed, rest) = rest.split_at_checked(mask.count_ones() as usize).ok_or(short)?;
        bytes = rest;
        let mut left = mask;
        for &byte in changed {
            let offset = left.trailing_zeros() as usize;
            left &= left - 1;
            block[offset] = byte;
        }
    }
    Ok(())
}

/// Sets the mutable globals of `instance` to the values in `frozen`.
fn restore_globals<T>(store: &mut Store<T>, instance: &Instance, plan: &Plan, frozen: &Frozen) -> Result<(), String> {
    for (export, value) in plan.globals.iter().zip(frozen.globals()) {
        let global = export.get(store, instance, "global", Extern::into_global)?;
        global.set(&mut *store, value).map_err(|e| format!("cannot restore global `{}`: {e}", export.name))?;
    }
    Ok(())
}

impl Plan {
    /// The dead part of the shadow stack of `instance` now (see the module
    /// docs), as offsets in its memory; empty if there is no dead part or
    /// the module has no shadow stack the host can see. Dead only between
    /// calls: the caller makes sure no call is in flight.
    pub(crate) fn dead_stack<T>(&self, store: &mut Store<T>, instance: &Instance) -> std::ops::Range<usize> {
        let Some(stack) = self.stack else { return 0..0 };
        let Some(export) = self.globals.get(stack.global) else { return 0..0 };
        match export.get(store, instance, "global", Extern::into_global).map(|global| global.get(&mut *store)) {
            Ok(Val::I32(pointer)) => stack.bottom as usize..pointer.cast_unsigned() as usize,
            _ => 0..0,
        }
    }

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

    /// A guest laid out as LLVM lays out Rust: a shadow stack first (8 KiB,
    /// pointer exported), then constant data, a changing counter and a
    /// word the guest zeroes.
    const STACK_FIRST: &str = r#"(module
        (memory (export "memory") 1)
        (global $sp (export "__stack_pointer") (mut i32) (i32.const 8192))
        (data (i32.const 8192) "constant data, never written")
        (data (i32.const 12288) "\07\00\00\00")
        (data (i32.const 12352) "\ff\ff\ff\ff")
        (func (export "work")
          (i32.store (i32.const 12288) (i32.add (i32.load (i32.const 12288)) (i32.const 1)))
          (i32.store (i32.const 12352) (i32.const 0))
          ;; a dead stack frame below the pointer, and a live heap word
          (i64.store (i32.const 4096) (i64.const -1))
          (i64.store (i32.const 40000) (i64.const 5))))"#;

    fn instance(store: &mut Store<()>, module: &Module) -> Instance {
        Instance::new(&mut *store, module, &[]).expect("instantiates")
    }

    fn memory_of(store: &mut Store<()>, instance: &Instance) -> Vec<u8> {
        instance.get_memory(&mut *store, "memory").expect("memory").data(&*store).to_vec()
    }

    #[test]
    fn a_delta_saves_only_what_differs_from_a_fresh_instance_and_no_dead_stack() {
        let engine = wasmtime::Engine::default();
        let wasm = wat::parse_str(STACK_FIRST).expect("valid WAT");
        let module = Module::new(&engine, &wasm).expect("valid module");
        let plan = plan(&module, Some(&wasm)).expect("eligible");
        assert_eq!(plan.stack, Some(ShadowStack { global: 0, bottom: 0 }));
        let mut store = Store::new(&engine, ());
        let fresh = instance(&mut store, &module);
        let fresh_bytes = memory_of(&mut store, &fresh);
        let (first, _) = freeze(&mut store, &fresh, &plan, Scan::ResidentOnly, None).expect("freezes");
        let pristine = Pristine::new(first);

        let used = instance(&mut store, &module);
        used.get_typed_func::<(), ()>(&mut store, "work").expect("work").call(&mut store, ()).expect("runs");
        let used_bytes = memory_of(&mut store, &used);
        let (delta, dead) = freeze(&mut store, &used, &plan, Scan::Hibernation, Some(&pristine)).expect("freezes");
        assert!(delta.is_delta());
        // The counter's block, the zeroed word's block, the heap word's.
        assert_eq!(delta.blocks().collect::<Vec<_>>(), [12288 / 64, 12352 / 64, 40000 / 64]);
        assert_eq!(dead, [4096 / 64], "the dead frame is listed, not saved");

        // Woken in a fresh instance, it holds what it left, but a clean stack.
        let woken = instance(&mut store, &module);
        thaw(&mut store, &woken, &plan, &delta).expect("thaws");
        let mut expected = used_bytes.clone();
        expected[4096..4104].fill(0);
        assert!(memory_of(&mut store, &woken) == expected, "the woken memory differs");

        // The memory it was saved from, reset from the delta, is fresh again.
        let memory = used.get_memory(&mut store, "memory").expect("memory");
        restore_saved_blocks(memory.data_mut(&mut store), &delta, &dead, &pristine);
        assert!(memory_of(&mut store, &used) == fresh_bytes, "the reset memory is not fresh");
    }

    #[test]
    fn globals_of_every_numeric_type_come_back_bit_for_bit_with_the_memory() {
        let wat = r#"(module (memory (export "memory") 1)
            (global (export "a") (mut i32) (i32.const 0))
            (global (export "b") (mut i64) (i64.const 0))
            (global (export "c") (mut f32) (f32.const 0))
            (global (export "d") (mut f64) (f64.const 0))
            (global (export "e") (mut v128) (v128.const i64x2 0 0))
            (func (export "work")
              (global.set 0 (i32.const -7))
              (global.set 1 (i64.const 0x123456789abcdef0))
              (global.set 2 (f32.const nan:0x12345))
              (global.set 3 (f64.const -0.0))
              (global.set 4 (v128.const i64x2 -1 0x0102030405060708))
              (i32.store (i32.const 100) (i32.const 0xabcdef))))"#;
        let engine = wasmtime::Engine::default();
        let wasm = wat::parse_str(wat).expect("valid WAT");
        let module = Module::new(&engine, &wasm).expect("valid module");
        let plan = plan(&module, Some(&wasm)).expect("eligible");
        let mut store = Store::new(&engine, ());
        let used = instance(&mut store, &module);
        used.get_typed_func::<(), ()>(&mut store, "work").expect("work").call(&mut store, ()).expect("runs");
        let (frozen, _) = freeze(&mut store, &used, &plan, Scan::Hibernation, None).expect("freezes");
        assert_eq!(frozen.blocks().collect::<Vec<_>>(), [100 / 64]);

        let woken = instance(&mut store, &module);
        thaw(&mut store, &woken, &plan, &frozen).expect("thaws");
        let bits = |name: &str, store: &mut Store<()>| {
            let global = woken.get_global(&mut *store, name).expect("global");
            match global.get(&mut *store) {
                Val::I32(v) => v as u32 as u128,
                Val::I64(v) => v as u64 as u128,
                Val::F32(v) => v as u128,
                Val::F64(v) => v as u128,
                Val::V128(v) => v.as_u128(),
                other => panic!("{name} holds {other:?}"),
            }
        };
        assert_eq!(bits("a", &mut store), (-7i32) as u32 as u128);
        assert_eq!(bits("b", &mut store), 0x123456789abcdef0);
        assert_eq!(bits("c", &mut store), 0x7f812345, "the NaN's payload is kept");
        assert_eq!(bits("d", &mut store), (-0.0f64).to_bits() as u128, "the sign of zero is kept");
        assert_eq!(bits("e", &mut store), 0x0102030405060708_ffffffffffffffff);
        assert_eq!(memory_of(&mut store, &woken)[100..104], 0xabcdefu32.to_le_bytes());
    }

    #[test]
    fn the_stack_bottom_is_data_end_when_data_comes_first_and_unknown_without_it() {
        let data_first = r#"(module (memory (export "memory") 1)
            (global (export "__stack_pointer") (mut i32) (i32.const 20000))
            (global (export "__data_end") i32 (i32.const 3000))
            (data (i32.const 1024) "x"))"#;
        assert_eq!(plan_of(data_first).expect("eligible").stack, Some(ShadowStack { global: 0, bottom: 3000 }));
        let no_data_end = r#"(module (memory (export "memory") 1)
            (global (export "__stack_pointer") (mut i32) (i32.const 20000))
            (data (i32.const 1024) "x"))"#;
        assert_eq!(plan_of(no_data_end).expect("eligible").stack, None);
    }

    #[test]
    fn a_precompiled_module_cannot_hibernate() {
        let module = Module::new(&wasmtime::Engine::default(), "(module)").expect("valid module");
        assert!(plan(&module, None).unwrap_err().contains("precompiled"));
    }
}
