//! Recycled stores: a process that exits gives its wasmtime store and
//! instance back, reset to what a fresh instance holds, for the next spawn
//! of the same module on the same scheduler thread.
//!
//! Making a store and an instance and tearing them down was most of a
//! spawn's cost, and much of it touched what every scheduler thread shares
//! (the engine's type registry, the module's code registration, reference
//! counts), so a second core added little. A recycled store skips all of
//! that: its instance, memory slot, fiber stack and typed entry function
//! stay made.
//!
//! Only instances the host can reset exactly are recycled: the module meets
//! the rules of hibernation (`wasm/hibernate.rs`: no start function, every
//! mutable global exported, nothing that changes a table or the set of live
//! segments) and the node uses the dense layout. The reset makes the memory
//! hold what the data segments put there again (only resident pages that
//! differ are written: constant data the process only read stays as it is),
//! zeroes what the memory grew by and shrinks it back to its first size
//! (vendored wasmtime patch 06: a Rust guest's allocator grows its memory at
//! its first allocation, so no such store could be recycled before), and
//! sets the mutable globals to their initial values, both saved from the
//! module's first fresh instance (`pristine`). The next process cannot tell
//! a recycled instance from a new one.
//!
//! Exited stores wait to be reset until a thread has several (see
//! [`RESET_BATCH`]). The store a process leaves when it hibernates is reset
//! at once instead ([`give_back_frozen`]): its freeze has just found every
//! block of the memory that is not zero, so zeroing those is the reset.
//! The spare stores of a thread live in a thread-local
//! list, so taking and giving back take no lock. Only the scheduler threads
//! of a dense-layout node keep spares (they enable it when they start and
//! drop their spares when they stop); elsewhere an exited store is dropped
//! as before.

use super::memory::KnownMemory;
use super::state::{Module, ProcessState};
use crate::base::config::MemoryLayout;
use crate::mem::region;
use crate::wasm::hibernate;
use std::cell::RefCell;
use std::sync::Arc;
use wasmtime::Store;

/// Spare stores kept per module and thread: enough for a steady stream of
/// short-lived processes (twice [`RESET_BATCH`], so stores that exit while
/// a batch is in use are kept too), few enough that idle spares cost little:
/// each holds the pages its last process touched, and once reset at most
/// `WRITE_LIMIT` (256 KiB) of memory, as a reset returns more to the kernel.
const SPARES_PER_MODULE: usize = 64;

/// Exited stores are reset this many at a time: the reset asks the kernel
/// which pages of each memory are resident, and one query covers memories
/// that lie close together (a query is a system call on the address space's
/// lock, which all scheduler threads share). Batches of 32 rather than 8
/// made spawn+exit faster: one query covers more memories.
const RESET_BATCH: usize = 32;

/// A store waiting for its next process.
pub(crate) struct Spare {
    /// Its data is the exited process's state, emptied (see [`give_back`]);
    /// the next process's state replaces it.
    pub(crate) store: Store<ProcessState>,
    /// Base of the fiber stack the store keeps (0: none).
    pub(crate) stack_base: usize,
    /// The instance's memory, if it has one.
    memory: Option<SpareMemory>,
}

/// A spare's memory, and where its bytes are.
#[derive(Clone, Copy)]
struct SpareMemory {
    memory: wasmtime::Memory,
    base: usize,
    size: usize,
}

/// One thread's spares of one module.
struct ModuleSpares {
    module: Arc<Module>,
    /// Reset, ready for a process.
    ready: Vec<Spare>,
    /// Given back, not yet reset.
    exited: Vec<Spare>,
}

thread_local! {
    /// `None` on threads that keep no spares; else by module (a node has
    /// few modules).
    static SPARES: RefCell<Option<Vec<ModuleSpares>>> = const { RefCell::new(None) };
}

/// Lets this thread keep spare stores (scheduler threads, when they start),
/// if the node lays memories out densely: the reset zeroes a memory through
/// its slot in a region of ours.
pub(crate) fn enable_on_this_thread(layout: MemoryLayout) {
    if layout == MemoryLayout::Dense {
        SPARES.with(|spares| *spares.borrow_mut() = Some(Vec::new()));
    }
}

/// Drops this thread's spares and keeps no more (scheduler threads, when
/// they stop: spares hold their last process, which holds the node).
pub(crate) fn disable_on_this_thread() {
    let spares = SPARES.with(|spares| spares.borrow_mut().take());
    drop(spares);
}

impl Spare {
    /// The size of its memory, in bytes (0 if it has none).
    pub(crate) fn memory_size(&self) -> usize {
        self.memory.map_or(0, |memory| memory.size)
    }
}

/// A spare store for a new process of `module`, if this thread has one.
pub(crate) fn take(module: &Arc<Module>) -> Option<Spare> {
    let mut failed = Vec::new();
    let spare = SPARES.with(|spares| {
        let mut spares = spares.borrow_mut();
        let spares = spares.as_mut()?.iter_mut().find(|s| Arc::ptr_eq(&s.module, module))?;
        if spares.ready.is_empty() && spares.exited.len() >= RESET_BATCH {
            let (ready, unusable) = reset_all(&spares.module, std::mem::take(&mut spares.exited));
            spares.ready = ready;
            failed = unusable;
        }
        spares.ready.pop()
    });
    // Dropped outside the borrow of this thread's spares.
    drop(failed);
    spare
}

/// Saves what a fresh instance of `module` holds (`instance`, just made in
/// `store`, before any of its code ran), once per module: what a recycled
/// instance is reset to.
pub(crate) fn remember_pristine(store: &mut Store<ProcessState>, module: &Module, instance: &wasmtime::Instance) {
    if module.pristine.get().is_some() {
        return;
    }
    let Ok(plan) = module.hibernation.as_ref() else { return };
    if let Ok((frozen, _)) = hibernate::freeze(store, instance, plan, hibernate::Scan::ResidentOnly, None) {
        let _ = module.pristine.set(hibernate::Pristine::new(frozen));
    }
}

/// Takes back the store of a process that exited (its call finished) and
/// keeps it as a spare, to be reset before its next use; drops it if it
/// cannot be recycled. `stack_base` is the base of the fiber stack the
/// store keeps.
pub(crate) fn give_back(mut store: Store<ProcessState>, stack_base: usize) {
    let Some(memory) = recyclable_memory(&mut store) else { return };
    empty_state(store.data_mut());
    keep(Spare { store, stack_base, memory }, false);
}

/// Takes back the store of a process that just hibernated, whose memory
/// `frozen` (and `dead`, the dead stack's changed blocks) was saved from,
/// and resets it at once, with no residency query (as in [`reset_all`]):
/// the freeze listed every block that differs from a fresh instance
/// (a delta) or that is not zero, so writing those blocks back is the
/// whole reset of the memory.
pub(crate) fn give_back_frozen(
    mut store: Store<ProcessState>,
    stack_base: usize,
    frozen: &hibernate::Frozen,
    dead: &[u32],
) {
    let Some(memory) = recyclable_memory(&mut store) else { return };
    empty_state(store.data_mut());
    let module = store.data().module.clone();
    let (Ok(plan), Some(pristine), Some(instance)) =
        (module.hibernation.as_ref(), module.pristine.get(), store.data().instance)
    else {
        return;
    };
    if let Some(memory) = memory {
        let data = memory.memory.data_mut(&mut store);
        if data.len() != frozen.memory_size() {
            return; // not the memory `frozen` was saved from
        }
        if frozen.is_delta() {
            hibernate::restore_saved_blocks(data, frozen, dead, pristine);
        } else {
            hibernate::zero_saved_blocks(data, frozen);
        }
    }
    // The saved blocks covered every byte that is not zero, past the first
    // size too: the memory can shrink back.
    let mut spare = Spare { store, stack_base, memory };
    let reset = shrink_to_first(&mut spare, pristine.frozen().memory_size()).and_then(|()| match frozen.is_delta() {
        true => hibernate::reset_globals(&mut spare.store, &instance, plan, pristine),
        false => restore_pristine(&module, &mut spare),
    });
    if reset.is_ok() {
        keep(spare, true);
    }
}

/// Keeps `spare` on this thread, `ready` (reset) or to be reset, unless
/// the thread keeps no spares or has enough of its module.
fn keep(spare: Spare, ready: bool) {
    let refused = SPARES.with(|spares| {
        let mut spares = spares.borrow_mut();
        let Some(spares) = spares.as_mut() else { return Some(spare) };
        // Compared by address, not cloned: a clone would bump the module's
        // reference count, which every scheduler thread shares.
        let key = Arc::as_ptr(&spare.store.data().module);
        let index = match spares.iter().position(|s| Arc::as_ptr(&s.module) == key) {
            Some(index) => index,
            None => {
                let module = spare.store.data().module.clone();
                spares.push(ModuleSpares { module, ready: Vec::new(), exited: Vec::new() });
                spares.len() - 1
            }
        };
        let spares = &mut spares[index];
        if spares.ready.len() + spares.exited.len() >= SPARES_PER_MODULE {
            return Some(spare);
        }
        if ready {
            spares.ready.push(spare)
        } else {
            spares.exited.push(spare)
        }
        None
    });
    // Dropped outside the borrow of this thread's spares.
    drop(refused);
}

/// If the store's instance can be reset: its memory (`Some(None)` if it has
/// none).
fn recyclable_memory(store: &mut Store<ProcessState>) -> Option<Option<SpareMemory>> {
    let state = store.data();
    let instance = state.instance?;
    let module = state.module.clone();
    let (Ok(plan), Some(pristine)) = (module.hibernation.as_ref(), module.pristine.get()) else {
        return None;
    };
    let first_size = pristine.frozen().memory_size();
    let memory = match state.memory.handle() {
        Some(memory) => memory,
        None => {
            let Some(memory) = plan.memory(store, &instance).ok()? else { return Some(None) };
            // Kept for the store's next processes (`state.memory` carries over).
            store.data_mut().memory = KnownMemory::found(memory);
            memory
        }
    };
    let size = memory.data_size(&*store);
    // One that grew is shrunk back by its reset (`shrink_to_first`).
    (size >= first_size).then(|| Some(SpareMemory { memory, base: memory.data_ptr(&*store) as usize, size }))
}

/// Shrinks `spare`'s memory back to its first size (`first_size`), once
/// the reset has made every byte past it zero: a growth then hands those
/// bytes out as fresh. The store forgets where the bytes were (its next
/// process looks them up again).
fn shrink_to_first(spare: &mut Spare, first_size: usize) -> Result<(), String> {
    let Some(memory) = spare.memory.as_mut() else { return Ok(()) };
    if memory.size == first_size {
        return Ok(());
    }
    memory.memory.shrink_for_reuse(&mut spare.store, first_size).map_err(|e| format!("{e:#}"))?;
    memory.size = first_size;
    spare.store.data_mut().memory = KnownMemory::found(memory.memory);
    Ok(())
}

/// Resets exited stores to what a fresh instance holds (one residency
/// query for memories that lie close together): each resident page that
/// differs from the module's pristine image is written back, the others
/// are left alone (a Rust guest's constant data, tens of KiB its processes
/// only read, was zeroed and copied back at every reset); then the mutable
/// globals are set back. A memory with too many resident pages goes back
/// to the kernel and gets its pristine bytes written. Returns the reset
/// stores and those that failed.
fn reset_all(module: &Module, mut exited: Vec<Spare>) -> (Vec<Spare>, Vec<Spare>) {
    exited.sort_unstable_by_key(|spare| spare.memory.map_or(0, |memory| memory.base));
    let with_memory: Vec<usize> = (0..exited.len()).filter(|&i| exited[i].memory.is_some()).collect();
    let ranges: Vec<(usize, usize)> =
        with_memory.iter().filter_map(|&i| exited[i].memory.map(|memory| (memory.base, memory.size))).collect();
    let pristine = module.pristine.get();
    let mut restored = vec![false; exited.len()];
    let mut to_decommit = Vec::new();
    region::for_residency(&ranges, |index, (base, len), resident| {
        let spare = &mut exited[with_memory[index]];
        match (resident, pristine, spare.memory) {
            (Some(resident), Some(pristine), Some(memory))
                if region::few_enough_to_write(resident) && len >= pristine.frozen().memory_size() =>
            {
                // Pages past the pristine image (what the memory grew by)
                // are zeroed where resident.
                let data = memory.memory.data_mut(&mut spare.store);
                hibernate::restore_pristine_pages(data, resident, region::page_size(), pristine, &mut to_decommit);
                restored[with_memory[index]] = true;
            }
            // SAFETY: in the dense layout every memory is a slot of a
            // region of ours, page-aligned (its length whole wasm pages); no
            // wasm runs in these stores (their processes exited) and nothing
            // else uses the slots. The residency is the query's above.
            _ => unsafe { region::zero_by_writing_or_decommit(base, len, resident, &mut to_decommit) },
        }
    });
    // SAFETY: as above (one batch: one TLB flush); the stale pages the
    // restores listed lie in those memories too, whole and page-aligned.
    unsafe { region::decommit_all(&to_decommit) };
    let (mut ready, mut failed) = (Vec::with_capacity(exited.len()), Vec::new());
    let first_size = pristine.map_or(0, |pristine| pristine.frozen().memory_size());
    for (mut spare, restored) in exited.drain(..).zip(restored) {
        // Every byte past the first size is zero now (written or zeroed
        // above): the memory can shrink back.
        let reset = shrink_to_first(&mut spare, first_size).and_then(|()| match restored {
            true => reset_globals(module, &mut spare),
            false => restore_pristine(module, &mut spare),
        });
        match reset {
            Ok(()) => ready.push(spare),
            Err(_) => failed.push(spare),
        }
    }
    (ready, failed)
}

/// Sets the mutable globals of `spare`'s instance back to what a fresh
/// instance of `module` holds (its memory already holds the pristine image).
fn reset_globals(module: &Module, spare: &mut Spare) -> Result<(), String> {
    match (module.hibernation.as_ref(), module.pristine.get(), spare.store.data().instance) {
        (Ok(plan), Some(pristine), Some(instance)) => {
            hibernate::reset_globals(&mut spare.store, &instance, plan, pristine)
        }
        _ => Err("the module cannot be recycled".into()),
    }
}

/// Writes back what a fresh instance of `module` holds beyond zeroes (the
/// data segments' bytes, the mutable globals' initial values) into
/// `spare`, whose memory the caller has zeroed.
fn restore_pristine(module: &Module, spare: &mut Spare) -> Result<(), String> {
    match (module.hibernation.as_ref(), module.pristine.get(), spare.store.data().instance) {
        (Ok(plan), Some(pristine), Some(instance)) => {
            hibernate::reset(&mut spare.store, &instance, spare.memory.map(|m| m.memory), plan, pristine)
        }
        _ => Err("the module cannot be recycled".into()),
    }
}

/// Drops what an exited process's state holds now, rather than when its
/// store is next used: WASI handles (flushing output), table handles, the
/// message being read, queued messages, the spawn argument.
fn empty_state(state: &mut ProcessState) {
    state.wasi.clear();
    state.tables = Default::default();
    state.current = None;
    state.release_held();
}
