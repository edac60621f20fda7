//! Small heap blocks that a thread keeps for reuse, by size class.
//!
//! Two kinds of memory come and go on every message hop, on the same
//! thread: a message's letter (the receiver drops its previous message,
//! the next send makes a new one, see `letter.rs`) and, for a
//! handler-style process, its call's future (see `call_box.rs`). Through
//! the allocator each costs a `malloc` and a `free` (glibc's `free` goes
//! through `_int_free` even for its own per-thread cache). Here a freed
//! block of a small size goes to this thread's cache instead and serves
//! its next block of that size class, usually still hot in the cache; the
//! allocator's bookkeeping is skipped both ways. A thread that only frees
//! (or only allocates) just finds its cache full (or empty) and falls back
//! to the allocator. Larger blocks, and blocks aligned more strictly than
//! [`ALIGN`], always go to the allocator.

use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::cell::UnsafeCell;
use std::ptr::{self, NonNull};

/// Block sizes of the size classes; a block takes the smallest that holds
/// it. (A letter with up to 480 payload bytes fits, and so does a handler
/// call's future.)
const CLASS_SIZES: [usize; 4] = [64, 128, 256, 512];
/// Alignment of every block of a size class.
const ALIGN: usize = 8;
/// Blocks of each size class a thread keeps.
const CACHED_PER_CLASS: usize = 32;

/// The size class (index in [`CLASS_SIZES`]) of blocks of `layout`, if
/// they are small.
pub(crate) fn class_of(layout: Layout) -> Option<usize> {
    if layout.align() > ALIGN {
        return None;
    }
    CLASS_SIZES.iter().position(|&size| layout.size() <= size)
}

fn class_layout(class: usize) -> Layout {
    // SAFETY: the sizes are small multiples of the (power of two) alignment.
    unsafe { Layout::from_size_align_unchecked(CLASS_SIZES[class], ALIGN) }
}

/// Memory for `layout`, which must have a non-zero size: a block this
/// thread kept if it has one of the size class, else new memory.
pub(crate) fn allocate(layout: Layout) -> NonNull<u8> {
    let (layout, kept) = match class_of(layout) {
        Some(class) => (class_layout(class), take(class)),
        None => (layout, None),
    };
    // SAFETY: `layout` has a non-zero size (the caller's guarantee, and a
    // class's block is never empty).
    let fresh = || unsafe { alloc(layout) };
    NonNull::new(kept.unwrap_or_else(fresh)).unwrap_or_else(|| handle_alloc_error(layout))
}

/// Gives back memory that [`allocate`] returned: this thread keeps it for
/// its next block of the size class, or it is freed.
///
/// # Safety
/// `memory` came from [`allocate`] with this same `layout` (on any
/// thread), and nothing uses it any more.
pub(crate) unsafe fn free(memory: NonNull<u8>, layout: Layout) {
    let layout = match class_of(layout) {
        Some(class) if keep(class, memory.as_ptr()) => return,
        Some(class) => class_layout(class),
        None => layout,
    };
    // SAFETY: `memory` was allocated with `layout` (the caller's
    // guarantee; a class's blocks all have the class's layout).
    unsafe { dealloc(memory.as_ptr(), layout) }
}

/// Freed blocks of the size classes, kept by a thread for its next ones.
struct Cache {
    /// Per size class: the kept blocks, the first `len` of them valid.
    blocks: [[*mut u8; CACHED_PER_CLASS]; CLASS_SIZES.len()],
    len: [usize; CLASS_SIZES.len()],
}

impl Drop for Cache {
    fn drop(&mut self) {
        for (class, &len) in self.len.iter().enumerate() {
            for &block in &self.blocks[class][..len] {
                // SAFETY: kept blocks were allocated with their class's
                // layout and are owned by the cache alone.
                unsafe { dealloc(block, class_layout(class)) }
            }
        }
    }
}

thread_local! {
    // An `UnsafeCell`, not a `RefCell`: only `take` and `keep` touch it,
    // neither calls out while holding it, so no borrow flag is needed.
    static CACHE: UnsafeCell<Cache> = const {
        UnsafeCell::new(Cache {
            blocks: [[ptr::null_mut(); CACHED_PER_CLASS]; CLASS_SIZES.len()],
            len: [0; CLASS_SIZES.len()],
        })
    };
}

/// A kept block of size class `class`, if this thread has one.
fn take(class: usize) -> Option<*mut u8> {
    // `try_with`: none while the thread is being torn down.
    CACHE
        .try_with(|cache| {
            // SAFETY: see `CACHE`; this is the only reference meanwhile.
            let cache = unsafe { &mut *cache.get() };
            let len = cache.len[class].checked_sub(1)?;
            cache.len[class] = len;
            Some(cache.blocks[class][len])
        })
        .ok()
        .flatten()
}

/// Keeps a freed block of size class `class` for this thread's next
/// blocks; `false` if the cache is full (or the thread is ending).
fn keep(class: usize, block: *mut u8) -> bool {
    CACHE
        .try_with(|cache| {
            // SAFETY: see `CACHE`; this is the only reference meanwhile.
            let cache = unsafe { &mut *cache.get() };
            let len = cache.len[class];
            if len == CACHED_PER_CLASS {
                return false;
            }
            cache.blocks[class][len] = block;
            cache.len[class] = len + 1;
            true
        })
        .unwrap_or(false)
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;

    fn layout(size: usize, align: usize) -> Layout {
        Layout::from_size_align(size, align).expect("a valid layout")
    }

    /// A block is the smallest class that holds it, if any does and its
    /// alignment allows.
    #[test]
    fn blocks_take_the_smallest_class_that_holds_them() {
        assert_eq!(class_of(layout(1, 1)), Some(0));
        assert_eq!(class_of(layout(64, 8)), Some(0));
        assert_eq!(class_of(layout(65, 8)), Some(1));
        assert_eq!(class_of(layout(384, 8)), Some(3));
        assert_eq!(class_of(layout(512, 8)), Some(3));
        assert_eq!(class_of(layout(513, 8)), None);
        assert_eq!(class_of(layout(32, 16)), None);
    }

    /// A freed block serves the next block of its class on the thread,
    /// whatever its exact size; beyond what the cache keeps, blocks are
    /// freed, and every block handed out is usable memory of its size.
    #[test]
    fn a_freed_block_serves_the_next_of_its_class() {
        let first = allocate(layout(300, 8));
        // SAFETY: from `allocate` with this layout, no longer used.
        unsafe { free(first, layout(300, 8)) };
        let second = allocate(layout(400, 4));
        assert_eq!(second, first);
        // SAFETY: as above.
        unsafe { free(second, layout(400, 4)) };
        let many: Vec<_> = (0..3 * CACHED_PER_CLASS).map(|_| allocate(layout(100, 8))).collect();
        for (i, block) in many.iter().enumerate() {
            // SAFETY: each block is 100 writable bytes, unique to it.
            unsafe { ptr::write_bytes(block.as_ptr(), i as u8, 100) };
        }
        for (i, block) in many.iter().enumerate() {
            // SAFETY: as above.
            assert!(unsafe { std::slice::from_raw_parts(block.as_ptr(), 100) }.iter().all(|&b| b == i as u8));
        }
        for block in many {
            // SAFETY: from `allocate` with this layout, no longer used.
            unsafe { free(block, layout(100, 8)) };
        }
        // Larger or more aligned blocks go to the allocator and back.
        let big = allocate(layout(4096, 8));
        let aligned = allocate(layout(64, 64));
        assert_eq!(aligned.as_ptr() as usize % 64, 0);
        // SAFETY: from `allocate` with these layouts, no longer used.
        unsafe { free(big, layout(4096, 8)) };
        // SAFETY: as above.
        unsafe { free(aligned, layout(64, 64)) };
    }
}
