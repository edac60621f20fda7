//! The global allocator of a guest on wasm without libc or threads: the
//! quick lists over talc over the process's own linear memory.

use super::quick::QuickLists;
use super::source::{CompactHeap, LinearMemory, WASM_PAGE};

/// The process's own linear memory (memory 0), as the heap's source sees it.
#[derive(Debug)]
pub(crate) struct WasmMemory;

impl LinearMemory for WasmMemory {
    fn heap_base(&self) -> usize {
        unsafe extern "C" {
            /// The linker's first address after the module's data.
            static __heap_base: u8;
        }
        &raw const __heap_base as usize
    }

    fn size(&self) -> usize {
        // A full 4 GiB memory's size is one more than `usize::MAX`.
        core::arch::wasm32::memory_size::<0>().saturating_mul(WASM_PAGE)
    }

    fn grow(&mut self, pages: usize) -> Option<usize> {
        match core::arch::wasm32::memory_grow::<0>(pages) {
            usize::MAX => None,
            before => Some(before * WASM_PAGE),
        }
    }

    fn at(&self, address: usize) -> *mut u8 {
        core::ptr::with_exposed_provenance_mut(address)
    }

    fn address(&self, ptr: *mut u8) -> usize {
        ptr.expose_provenance()
    }
}

/// The guest's global allocator.
#[global_allocator]
static HEAP: QuickLists<talc::cell::TalcSyncCell<CompactHeap<WasmMemory>, talc::wasm::WasmBinning>> =
    QuickLists::new(talc::cell::TalcSyncCell::new_wasm(CompactHeap::new(WasmMemory)));

/// Gives the free lists' blocks back to talc (before a hibernation).
pub(crate) fn release_free_lists() {
    // SAFETY: one thread, and no allocation is under way (this is not
    // called from the allocator).
    unsafe { HEAP.release_all() }
}

// SAFETY: a wasm instance without threads runs one thread: the global
// allocator is never entered from two at once.
unsafe impl<A> Sync for QuickLists<A> {}
