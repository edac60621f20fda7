//! Lists of free small blocks in front of the heap.
//!
//! Most of a process's allocations are small and short-lived: a message's
//! term, a request's encoding, a reply. A freed small block goes on a list
//! of its size class and the next allocation of that class takes it back,
//! a few instructions each way; the general heap (boundary tags, bins,
//! coalescing) sees only the larger blocks and the lists' overflow. A list
//! keeps at most [`KEPT`] blocks: the rest go back to the heap, where they
//! can coalesce, so a burst of small allocations does not stay split up.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr;

/// The largest block the lists keep, in bytes.
const LARGEST: usize = 128;
/// The size classes' step, and the most alignment a listed block has.
const STEP: usize = 8;
/// Size classes: 8, 16, ... [`LARGEST`] bytes.
const CLASSES: usize = LARGEST / STEP;
/// The most blocks one list keeps.
const KEPT: u16 = 16;

/// A free block on a list: the link to the next lives in the block.
struct Free {
    next: *mut Free,
}

/// One size class's free blocks.
#[derive(Clone, Copy)]
struct List {
    head: *mut Free,
    len: u16,
}

/// A [`GlobalAlloc`] that serves small blocks from per-class free lists and
/// everything else from `heap`.
///
/// Not thread-safe: for a single-threaded guest (one wasm instance runs one
/// thread), where the global allocator is never entered twice at once.
pub(crate) struct QuickLists<A> {
    heap: A,
    lists: UnsafeCell<[List; CLASSES]>,
}

impl<A> QuickLists<A> {
    /// Empty lists in front of `heap`.
    pub(crate) const fn new(heap: A) -> QuickLists<A> {
        QuickLists { heap, lists: UnsafeCell::new([List { head: ptr::null_mut(), len: 0 }; CLASSES]) }
    }

    /// The heap behind the lists.
    #[cfg(test)]
    pub(crate) fn heap(&self) -> &A {
        &self.heap
    }

    /// Gives every listed block back to the heap, where it can coalesce:
    /// before a hibernation, whose image keeps what differs from the
    /// module's fresh memory (the lists' heads and their blocks' links).
    ///
    /// # Safety
    /// No allocation is under way (single-threaded use).
    pub(crate) unsafe fn release_all(&self)
    where
        A: GlobalAlloc,
    {
        for class in 0..CLASSES {
            let mut block = {
                // SAFETY: single-threaded, by the caller; the borrow ends
                // before the heap is called.
                let list = unsafe { self.list(class) };
                list.len = 0;
                core::mem::replace(&mut list.head, ptr::null_mut())
            };
            while !block.is_null() {
                // SAFETY: a listed block is free, holds its link, and came
                // from the heap with its class's layout.
                unsafe {
                    let next = (*block).next;
                    self.heap.dealloc(block.cast(), block_layout(class));
                    block = next;
                }
            }
        }
    }

    /// The list of class `class`.
    ///
    /// # Safety
    /// No other reference to the lists is alive (single-threaded use, and
    /// no list is borrowed across a call into the heap).
    #[allow(clippy::mut_from_ref)] // the lists are this allocator's interior state
    unsafe fn list(&self, class: usize) -> &mut List {
        // SAFETY: `class < CLASSES` (from `class_of`); exclusive by the caller.
        unsafe { &mut (*self.lists.get())[class] }
    }
}

/// The size class of a block of `layout`, if the lists take it.
fn class_of(layout: Layout) -> Option<usize> {
    (layout.size() <= LARGEST && layout.align() <= STEP).then(|| layout.size().saturating_sub(1) / STEP)
}

/// The layout the heap gives every block of `class`: the class's full size,
/// so any block of it fits any request of it.
fn block_layout(class: usize) -> Layout {
    // SAFETY: a nonzero size at most LARGEST, with a power-of-two alignment.
    unsafe { Layout::from_size_align_unchecked((class + 1) * STEP, STEP) }
}

// SAFETY: small blocks come from `heap` with their class's layout and go
// back to it with the same; a listed block is free (its first word holds
// the link, and a class is at least a word) until an allocation takes it
// off its list; everything else passes through with its own layout.
unsafe impl<A: GlobalAlloc> GlobalAlloc for QuickLists<A> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some(class) = class_of(layout) else {
            // SAFETY: the caller's layout, passed through.
            return unsafe { self.heap.alloc(layout) };
        };
        // SAFETY: single-threaded; the borrow ends before the heap is called.
        let list = unsafe { self.list(class) };
        let block = list.head;
        if block.is_null() {
            // SAFETY: a valid nonzero layout.
            return unsafe { self.heap.alloc(block_layout(class)) };
        }
        // SAFETY: a listed block is free and holds its link.
        list.head = unsafe { (*block).next };
        list.len -= 1;
        block.cast()
    }

    unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
        let Some(class) = class_of(layout) else {
            // SAFETY: allocated by the heap with this layout (by `alloc`).
            return unsafe { self.heap.dealloc(block, layout) };
        };
        // SAFETY: single-threaded; the borrow ends before the heap is called.
        let list = unsafe { self.list(class) };
        if list.len >= KEPT {
            // SAFETY: allocated by the heap with its class's layout.
            return unsafe { self.heap.dealloc(block, block_layout(class)) };
        }
        let free = block.cast::<Free>();
        // SAFETY: the block is the caller's to give back, at least a word
        // long and aligned for one (a class's size and alignment).
        unsafe { free.write(Free { next: list.head }) };
        list.head = free;
        list.len += 1;
    }

    unsafe fn realloc(&self, block: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller guarantees `new_size`, rounded up to the
        // alignment, does not overflow.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class_of(layout), class_of(new_layout)) {
            // SAFETY: a block the heap gave with `layout`, passed through.
            (None, None) => unsafe { self.heap.realloc(block, layout, new_size) },
            // The block already has its class's full size.
            (Some(old), Some(new)) if old == new => block,
            _ => {
                // SAFETY: a valid nonzero layout (the caller's).
                let moved = unsafe { self.alloc(new_layout) };
                if !moved.is_null() {
                    // SAFETY: both blocks hold at least the bytes copied and
                    // do not overlap (`moved` is newly allocated); `block`
                    // was allocated with `layout`.
                    unsafe {
                        ptr::copy_nonoverlapping(block, moved, layout.size().min(new_size));
                        self.dealloc(block, layout);
                    }
                }
                moved
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use core::cell::Cell;

    /// A heap that counts what reaches it, over the host's allocator.
    #[derive(Default)]
    struct Counting {
        allocs: Cell<usize>,
        deallocs: Cell<usize>,
    }

    // SAFETY: passes every call through to the host's allocator.
    unsafe impl GlobalAlloc for Counting {
        unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
            self.allocs.set(self.allocs.get() + 1);
            // SAFETY: passed through.
            unsafe { alloc::alloc::alloc(layout) }
        }
        unsafe fn dealloc(&self, block: *mut u8, layout: Layout) {
            self.deallocs.set(self.deallocs.get() + 1);
            // SAFETY: passed through.
            unsafe { alloc::alloc::dealloc(block, layout) }
        }
    }

    fn layout(size: usize) -> Layout {
        Layout::from_size_align(size, 8).unwrap()
    }

    #[test]
    fn a_freed_small_block_serves_the_next_request_of_its_class() {
        let quick = QuickLists::new(Counting::default());
        // SAFETY: blocks go back with the layouts they were allocated with;
        // bytes are read and written inside them.
        unsafe {
            let a = quick.alloc(layout(20));
            a.write_bytes(7, 20);
            quick.dealloc(a, layout(20));
            // 17..=24 bytes is one class.
            let b = quick.alloc(layout(24));
            assert_eq!(b, a, "the listed block comes back");
            let c = quick.alloc(layout(9));
            assert_ne!(c, a, "another class takes another block");
            assert_eq!(quick.heap().allocs.get(), 2);
            quick.dealloc(b, layout(24));
            quick.dealloc(c, layout(9));
            assert_eq!(quick.heap().deallocs.get(), 0, "small blocks stay listed");
        }
    }

    #[test]
    fn a_list_keeps_at_most_its_share_and_large_blocks_pass_through() {
        let quick = QuickLists::new(Counting::default());
        // SAFETY: blocks go back with the layouts they were allocated with;
        // bytes are read and written inside them.
        unsafe {
            let blocks: Vec<*mut u8> = (0..40).map(|_| quick.alloc(layout(64))).collect();
            for &block in &blocks {
                quick.dealloc(block, layout(64));
            }
            assert_eq!(quick.heap().deallocs.get(), 40 - usize::from(KEPT), "the overflow goes back to the heap");
            let big = quick.alloc(layout(4096));
            quick.dealloc(big, layout(4096));
            assert_eq!(quick.heap().deallocs.get(), 40 - usize::from(KEPT) + 1);
            // An over-aligned small block is the heap's too.
            let aligned = Layout::from_size_align(32, 64).unwrap();
            let block = quick.alloc(aligned);
            assert_eq!(block as usize % 64, 0);
            quick.dealloc(block, aligned);
            assert_eq!(quick.heap().deallocs.get(), 40 - usize::from(KEPT) + 2);
            // The listed blocks go back to the host.
            for _ in 0..KEPT {
                let block = quick.alloc(layout(64));
                alloc::alloc::dealloc(block, block_layout(class_of(layout(64)).unwrap()));
            }
        }
    }

    #[test]
    fn release_all_gives_every_listed_block_back() {
        let quick = QuickLists::new(Counting::default());
        // SAFETY: blocks go back with the layouts they were allocated with;
        // bytes are read and written inside them.
        unsafe {
            let blocks: Vec<(*mut u8, usize)> = (1..=40).map(|size| (quick.alloc(layout(size)), size)).collect();
            for &(block, size) in &blocks {
                quick.dealloc(block, layout(size));
            }
            assert_eq!(quick.heap().deallocs.get(), 0);
            quick.release_all();
            assert_eq!(quick.heap().deallocs.get(), 40, "every block went back");
            let fresh = quick.alloc(layout(8));
            assert_eq!(quick.heap().allocs.get(), 41, "the lists are empty");
            quick.dealloc(fresh, layout(8));
            quick.release_all();
        }
    }

    #[test]
    fn realloc_keeps_the_bytes_across_classes_and_into_the_heap() {
        let quick = QuickLists::new(Counting::default());
        // SAFETY: blocks go back with the layouts they were allocated with;
        // bytes are read and written inside them.
        unsafe {
            let mut block = quick.alloc(layout(3));
            block.copy_from_nonoverlapping([1u8, 2, 3].as_ptr(), 3);
            let mut size = 3;
            for new_size in [5, 8, 30, 128, 129, 1000, 100, 6] {
                block = quick.realloc(block, layout(size), new_size);
                assert!(!block.is_null());
                let kept = core::slice::from_raw_parts(block, 3);
                assert_eq!(kept, [1, 2, 3], "after {size} -> {new_size}");
                size = new_size;
            }
            // 5 and 8 bytes are one class: that step kept the block.
            quick.dealloc(block, layout(size));
            let again = quick.alloc(layout(1));
            assert_eq!(again, block, "the last block went on its list");
            alloc::alloc::dealloc(again, block_layout(0));
        }
    }
}
