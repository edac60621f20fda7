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
//! the rules of hibernation (`hibernate.rs`: no start function, every
//! mutable global exported, nothing that changes a table or the set of live
//! segments), the node uses the dense layout, and the memory is still the
//! size it started at (memories do not shrink). The reset zeroes the memory
//! (only its resident pages are written), writes back the bytes the data
//! segments put there and sets the mutable globals to their initial values,
//! both saved from the module's first fresh instance (`pristine`). The next
//! process cannot tell a recycled instance from a new one.
//!
//! The spare stores of a thread live in a thread-local list, so taking and
//! giving back take no lock. Only scheduler threads keep spares (they
//! enable it when they start and drop their spares when they stop); on
//! other threads an exited store is dropped as before.

use crate::hibernate::Frozen;
use crate::module::LoadedModule;
use crate::process::ProcessState;
use std::cell::RefCell;
use std::sync::Arc;
use wasmtime::Store;

/// Spare stores kept per module and thread: enough for a steady stream of
/// short-lived processes, few enough that idle spares (each holding the
/// pages its last process touched, zeroed) cost little.
const SPARES_PER_MODULE: usize = 16;

/// A reset store waiting for its next process.
pub(crate) struct Spare {
    /// Its data is the exited process's state, emptied (see [`give_back`]);
    /// the next process's state replaces it.
    pub(crate) store: Store<ProcessState>,
    /// Base of the fiber stack the store keeps (0: none).
    pub(crate) stack_base: usize,
}

/// One thread's spares, by module (a node has few modules).
#[derive(Default)]
struct Spares {
    by_module: Vec<(Arc<LoadedModule>, Vec<Spare>)>,
}

thread_local! {
    /// `None` on threads that keep no spares.
    static SPARES: RefCell<Option<Spares>> = const { RefCell::new(None) };
}

/// Lets this thread keep spare stores (scheduler threads, when they start).
pub(crate) fn enable_on_this_thread() {
    SPARES.with(|spares| *spares.borrow_mut() = Some(Spares::default()));
}

/// Drops this thread's spares and keeps no more (scheduler threads, when
/// they stop: spares hold their last process, which holds the node).
pub(crate) fn disable_on_this_thread() {
    let spares = SPARES.with(|spares| spares.borrow_mut().take());
    drop(spares);
}

/// A spare store for a new process of `module`, if this thread has one.
pub(crate) fn take(module: &Arc<LoadedModule>) -> Option<Spare> {
    SPARES.with(|spares| {
        let mut spares = spares.borrow_mut();
        let (_, list) = spares.as_mut()?.by_module.iter_mut().find(|(m, _)| Arc::ptr_eq(m, module))?;
        list.pop()
    })
}

/// Saves what a fresh instance of `module` holds (`instance`, just made in
/// `store`, before any of its code ran), once per module: what a recycled
/// instance is reset to.
pub(crate) fn remember_pristine(store: &mut Store<ProcessState>, module: &LoadedModule, instance: &wasmtime::Instance) {
    if module.pristine.get().is_some() || !recyclable_node(store) {
        return;
    }
    let Ok(plan) = module.hibernation.as_ref() else { return };
    if let Ok(frozen) = crate::hibernate::freeze(store, instance, plan) {
        let _ = module.pristine.set(frozen);
    }
}

/// Takes back the store of a process that exited (its call finished) and
/// keeps it, reset, as a spare; drops it if it cannot be recycled.
/// `stack_base` is the base of the fiber stack the store keeps.
pub(crate) fn give_back(mut store: Store<ProcessState>, stack_base: usize) {
    let module = store.data().module.clone();
    let has_room = SPARES.with(|spares| {
        spares.borrow().as_ref().is_some_and(|spares| {
            spares
                .by_module
                .iter()
                .find(|(m, _)| Arc::ptr_eq(m, &module))
                .is_none_or(|(_, list)| list.len() < SPARES_PER_MODULE)
        })
    });
    if !has_room || !recyclable_node(&store) {
        return;
    }
    let (Ok(plan), Some(pristine)) = (module.hibernation.as_ref(), module.pristine.get()) else { return };
    if reset(&mut store, plan, pristine).is_err() {
        return;
    }
    empty_state(store.data_mut());
    SPARES.with(|spares| {
        let mut spares = spares.borrow_mut();
        let Some(spares) = spares.as_mut() else { return };
        let index = match spares.by_module.iter().position(|(m, _)| Arc::ptr_eq(m, &module)) {
            Some(index) => index,
            None => {
                spares.by_module.push((module, Vec::new()));
                spares.by_module.len() - 1
            }
        };
        spares.by_module[index].1.push(Spare { store, stack_base });
    });
}

/// Whether the store's node lays memories out densely (the reset zeroes a
/// memory through its slot in a region of ours).
fn recyclable_node(store: &Store<ProcessState>) -> bool {
    store.data().process.node.config.layout == crate::config::MemoryLayout::Dense
}

/// Resets the store's instance to `pristine`.
fn reset(store: &mut Store<ProcessState>, plan: &crate::hibernate::Plan, pristine: &Frozen) -> Result<(), String> {
    let instance = store.data().instance.ok_or("no instance")?;
    let memory = match plan.memory_name() {
        Some(name) => Some(instance.get_memory(&mut *store, name).ok_or("no memory")?),
        None => None,
    };
    if let Some(memory) = memory {
        let size = memory.data_size(&*store);
        if size != pristine.memory_size() {
            return Err("the memory changed size".into());
        }
        // SAFETY: in the dense layout the memory is a slot of a region of
        // ours; no wasm runs in this store (its process exited).
        unsafe { crate::region::zero(memory.data_ptr(&*store) as usize, size) };
    }
    crate::hibernate::reset(store, &instance, memory, plan, pristine)
}

/// Drops what an exited process's state holds now, rather than when its
/// store is next used: WASI handles (flushing output), table handles, the
/// message being read, queued messages, the spawn argument.
fn empty_state(state: &mut ProcessState) {
    state.wasi = None;
    state.tables = Default::default();
    state.current = None;
    state.received = Default::default();
    state.arg = Box::default();
}
