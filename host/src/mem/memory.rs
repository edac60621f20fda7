//! Dense linear memories: every process's memory is a slot of a shared
//! reserved region (see `region.rs`), so a process costs no memory mapping
//! of its own.
//!
//! The trade-off: with no guard region after a memory, compiled code checks
//! every access explicitly (slower on memory-bound loops).
//! The guarded layout (`MemoryLayout::Guarded`) keeps wasmtime's own
//! mappings and guard pages instead, at the cost of a few mappings per
//! process.
//!
//! Memories start in the smallest size class that holds them (64 KiB, then
//! powers of two). Growth within the class is free; growth beyond it moves
//! the memory to a larger class (wasmtime reloads the base after a grow).

use super::region::{self, SlotPool};
use std::sync::Arc;
use wasmtime::{LinearMemory, MemoryCreator, MemoryType};

/// Smallest size class: one wasm page.
const MIN_CLASS: usize = 64 << 10;

/// Hands out linear memories from size-class pools.
pub(crate) struct DenseMemories {
    classes: Vec<SlotPool>,
}

impl DenseMemories {
    /// Pools for memories of up to `max_bytes` each.
    pub(crate) fn new(max_bytes: usize) -> Arc<DenseMemories> {
        let mut classes = Vec::new();
        let mut size = MIN_CLASS;
        loop {
            let pool = SlotPool::new(size);
            // Most memories are one page (the smallest class), and their
            // data segments and first stores are on its first page.
            classes.push(if size == MIN_CLASS { pool.with_warm_reserve(0) } else { pool });
            if size >= max_bytes || size >= (4 << 30) {
                break;
            }
            size *= 2;
        }
        Arc::new(DenseMemories { classes })
    }

    /// The pool of the smallest memories (for warming up its reserve).
    pub(crate) fn smallest(&self) -> &SlotPool {
        &self.classes[0]
    }

    fn class_for(&self, bytes: usize) -> Option<usize> {
        self.classes.iter().position(|c| c.slot_size() >= bytes)
    }
}

/// One linear memory living in a pool slot.
struct DenseMemory {
    pools: region::PoolsRef<DenseMemories>,
    class: usize,
    base: usize,
    size: usize,
    maximum: usize,
}

impl Drop for DenseMemory {
    fn drop(&mut self) {
        // SAFETY: the slot is ours and no longer in use by wasm.
        unsafe { region::zero(self.base, self.size) };
        self.pools.get().classes[self.class].release(self.base);
    }
}

// SAFETY: `as_ptr` stays valid until the next grow or drop; the byte sizes
// are honest; growth keeps contents (it copies when it moves).
unsafe impl LinearMemory for DenseMemory {
    fn byte_size(&self) -> usize {
        self.size
    }

    fn byte_capacity(&self) -> usize {
        self.pools.get().classes[self.class].slot_size()
    }

    fn grow_to(&mut self, new_size: usize) -> wasmtime::Result<()> {
        if new_size > self.maximum {
            wasmtime::bail!("memory of {new_size} bytes exceeds its maximum of {} bytes", self.maximum);
        }
        if new_size <= self.byte_capacity() {
            self.size = new_size;
            return Ok(());
        }
        let Some(class) = self.pools.get().class_for(new_size) else {
            wasmtime::bail!("memory of {new_size} bytes exceeds the node's largest memory");
        };
        let base = self.pools.get().classes[class].acquire().map_err(wasmtime::Error::msg)?;
        // SAFETY: both slots are ours; the new one is zeroed and larger.
        unsafe {
            std::ptr::copy_nonoverlapping(self.base as *const u8, base as *mut u8, self.size);
            region::zero(self.base, self.size);
        }
        self.pools.get().classes[self.class].release(self.base);
        self.class = class;
        self.base = base;
        self.size = new_size;
        Ok(())
    }

    fn as_ptr(&self) -> *mut u8 {
        self.base as *mut u8
    }
}

/// The `MemoryCreator` wasmtime calls for every instance's memory.
pub(crate) struct DenseMemoryCreator(pub(crate) Arc<DenseMemories>);

// SAFETY: memories are zeroed, sized as asked, and owned by one instance.
unsafe impl MemoryCreator for DenseMemoryCreator {
    fn new_memory(
        &self,
        _ty: MemoryType,
        minimum: usize,
        maximum: Option<usize>,
        reserved_size_in_bytes: Option<usize>,
        guard_size_in_bytes: usize,
    ) -> Result<Box<dyn LinearMemory>, String> {
        if guard_size_in_bytes != 0 {
            return Err("dense memories have no guard region".into());
        }
        let largest = self.0.classes.last().map_or(0, |c| c.slot_size());
        let maximum = maximum.unwrap_or(largest).min(largest);
        if minimum > maximum {
            return Err(format!("memory needs {minimum} bytes at start, more than the limit of {maximum} bytes"));
        }
        let want = minimum.max(reserved_size_in_bytes.unwrap_or(0).min(maximum)).max(1);
        let class =
            self.0.class_for(want).ok_or_else(|| format!("memory of {want} bytes is larger than any size class"))?;
        let base = self.0.classes[class].acquire()?;
        // SAFETY: the creator holds the pools, and wasmtime holds the
        // creator in the engine, which every store (so every memory) holds.
        let pools = unsafe { region::PoolsRef::new(&*self.0) };
        Ok(Box::new(DenseMemory { pools, class, base, size: minimum, maximum }))
    }
}
