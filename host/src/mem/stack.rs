//! Dense fiber stacks: a process blocked in `receive` keeps its call
//! suspended on a fiber stack. Stacks are slots of a shared reserved region
//! (see `region.rs`), so they cost no memory mapping each, and only the pages
//! a call touched are resident.
//!
//! There is no guard page: wasm code cannot overflow (wasmtime checks the
//! wasm stack against `max_wasm_stack`, which is kept well below the stack
//! size), and the host code that runs on a fiber (host functions) has the
//! rest of the stack as headroom.

use super::region::{self, SlotPool};
use std::cell::Cell;
use std::ops::Range;
use std::sync::Arc;
use wasmtime::{StackCreator, StackMemory};

thread_local! {
    /// Base of the last stack made on this thread. A store makes its stack on
    /// the thread that first polls it and keeps it afterwards, so the
    /// scheduler reads this right after a poll to learn which stack a process
    /// owns (see `process::trim_stacks`).
    static LAST_NEW_STACK: Cell<usize> = const { Cell::new(0) };
}

/// Takes the base of the stack made on this thread since the last call.
pub(crate) fn take_last_new_stack() -> Option<usize> {
    let base = LAST_NEW_STACK.with(|c| c.replace(0));
    (base != 0).then_some(base)
}

/// Puts back a stack base [`take_last_new_stack`] took, for the poll that
/// made it to take (a nested run took it out of the way meanwhile).
pub(crate) fn set_last_new_stack(base: usize) {
    LAST_NEW_STACK.with(|c| c.set(base));
}

/// Hands out fiber stacks of one size.
pub(crate) struct DenseStacks {
    pool: SlotPool,
}

impl DenseStacks {
    /// Stacks of `size` bytes (rounded up to whole pages).
    pub(crate) fn new(size: usize) -> Arc<DenseStacks> {
        let size = size.next_multiple_of(region::page_size());
        // Stacks grow down: a call touches the top page first.
        let pool = SlotPool::new(size).with_warm_reserve(size - region::page_size());
        Arc::new(DenseStacks { pool })
    }

    /// The pool of stacks (for warming up its reserve of ready stacks).
    pub(crate) fn pool(&self) -> &SlotPool {
        &self.pool
    }

    /// The size of every stack.
    pub(crate) fn stack_size(&self) -> usize {
        self.pool.slot_size()
    }
}

struct DenseStack {
    stacks: region::PoolsRef<DenseStacks>,
    base: usize,
}

impl Drop for DenseStack {
    fn drop(&mut self) {
        // Stack contents need not be zeroed for reuse (wasmtime asks only
        // when `async_stack_zeroing` is on, handled in `new_stack`).
        self.stacks.get().pool.release(self.base);
    }
}

// SAFETY: the range is a private slot of the pool, page aligned.
unsafe impl StackMemory for DenseStack {
    fn top(&self) -> *mut u8 {
        (self.base + self.stacks.get().pool.slot_size()) as *mut u8
    }

    fn range(&self) -> Range<usize> {
        self.base..self.base + self.stacks.get().pool.slot_size()
    }

    fn guard_range(&self) -> Range<*mut u8> {
        // No guard pages. An empty range that reads nothing: wasmtime asks
        // at every fiber resume, and `self` is then usually cold.
        std::ptr::null_mut()..std::ptr::null_mut()
    }
}

/// The `StackCreator` wasmtime calls for fiber stacks.
pub(crate) struct DenseStackCreator(pub(crate) Arc<DenseStacks>);

// SAFETY: stacks are page aligned, exclusively owned, and zeroed on request.
unsafe impl StackCreator for DenseStackCreator {
    fn new_stack(&self, size: usize, zeroed: bool) -> wasmtime::Result<Box<dyn StackMemory>> {
        let slot = self.0.pool.slot_size();
        if size > slot {
            wasmtime::bail!("fiber stack of {size} bytes asked, pool slots hold {slot}");
        }
        let base = self.0.pool.acquire().map_err(wasmtime::Error::msg)?;
        if zeroed {
            // SAFETY: the slot is ours.
            unsafe { region::decommit(base, slot) };
        }
        LAST_NEW_STACK.with(|c| c.set(base));
        // SAFETY: the creator holds the pools, and wasmtime holds the
        // creator in the engine, which every store (so every stack) holds.
        let stacks = unsafe { region::PoolsRef::new(&*self.0) };
        Ok(Box::new(DenseStack { stacks, base }))
    }
}
