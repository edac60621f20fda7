//! Where the heap's memory comes from: a [`talc`] source that starts at
//! `__heap_base` and extends the heap a host page at a time, into the
//! initial memory first and then into pages it grows with `memory.grow`.

use core::alloc::Layout;
use core::ptr::NonNull;
use talc::base::Talc;
use talc::base::binning::Binning;
use talc::source::Source;

/// The heap grows by whole host pages: the free space above the last
/// allocation ends in the page being filled, so the free chunk's footer
/// does not make a page of its own resident.
const GRANULE: usize = 4096;

/// A wasm page: what `memory.grow` counts in.
pub(crate) const WASM_PAGE: usize = 65536;

/// Room for one allocation's bookkeeping beyond its size and alignment:
/// a chunk's header and footer, and the rounding of its ends (talc's
/// chunks are [`talc::base::CHUNK_UNIT`] aligned), counted generously.
const CHUNK_OVERHEAD: usize = 4 * talc::base::CHUNK_UNIT;

/// The linear memory a [`CompactHeap`] takes its pages from.
pub(crate) trait LinearMemory: core::fmt::Debug {
    /// Where the heap may begin: the first byte after the module's data.
    fn heap_base(&self) -> usize;
    /// The memory's current size in bytes.
    fn size(&self) -> usize;
    /// Grows the memory by `pages` wasm pages; the size before, or `None`
    /// when the memory cannot grow.
    fn grow(&mut self, pages: usize) -> Option<usize>;
    /// A pointer to the byte at `address`.
    fn at(&self, address: usize) -> *mut u8;
    /// The address of the byte `ptr` points to (the inverse of [`at`](Self::at)).
    fn address(&self, ptr: *mut u8) -> usize;
}

/// talc's source of memory: the heap from [`LinearMemory::heap_base`],
/// extended a [`GRANULE`] at a time.
#[derive(Debug)]
pub(crate) struct CompactHeap<M> {
    memory: M,
    /// The address where the heap's current stretch ends (talc's heap
    /// end), once it has one.
    end: Option<usize>,
    /// The end of the memory the heap may use: the memory's size at the
    /// first allocation, then the end of the last pages it grew itself.
    owned_end: usize,
}

impl<M: LinearMemory> CompactHeap<M> {
    /// A heap that has taken nothing yet.
    pub(crate) const fn new(memory: M) -> CompactHeap<M> {
        CompactHeap { memory, end: None, owned_end: 0 }
    }

    /// The memory the heap takes its pages from.
    #[cfg(test)]
    pub(crate) fn memory(&self) -> &M {
        &self.memory
    }

    /// Makes the memory at least `wanted` bytes past `start` the heap's to
    /// claim or extend into: returns the stretch (`start` moves when the
    /// pages past the heap's memory belong to someone else).
    fn room(&mut self, mut start: usize, wanted: usize) -> Option<(usize, usize)> {
        loop {
            let end = round_up(start.checked_add(wanted)?, GRANULE)?;
            if end <= self.owned_end {
                return Some((start, end));
            }
            let pages = (end - self.owned_end).div_ceil(WASM_PAGE);
            let before = self.memory.grow(pages)?;
            if before != self.owned_end {
                // Someone else grew the memory since the heap last did:
                // their pages stay theirs, and the heap starts a new
                // stretch in its own (grown again if they are too few).
                start = before;
            }
            // A wasm32 memory's last byte is at `usize::MAX`: sums are checked.
            self.owned_end = before.checked_add(pages.checked_mul(WASM_PAGE)?)?;
        }
    }
}

// SAFETY: `acquire` uses only the `talc` it is given (no allocation), and
// hands talc memory that nothing else uses: the heap's own stretch of the
// linear memory, between `__heap_base` (or pages the heap grew) and
// `owned_end`, which only grows.
unsafe impl<M: LinearMemory> Source for CompactHeap<M> {
    fn acquire<B: Binning>(talc: &mut Talc<Self, B>, layout: Layout) -> Result<(), ()> {
        let source = &mut talc.source;
        let mut wanted =
            layout.size().checked_add(layout.align()).and_then(|n| n.checked_add(CHUNK_OVERHEAD)).ok_or(())?;
        let start = match source.end {
            Some(end) => end,
            None => {
                // The first allocation: talc keeps its bins at the heap's start.
                source.owned_end = source.memory.size();
                wanted = wanted.checked_add(talc::min_first_heap_size::<B>()).ok_or(())?;
                source.memory.heap_base()
            }
        };
        let (start, end) = source.room(start, wanted).ok_or(())?;
        let (start_ptr, end_ptr) = (source.memory.at(start), source.memory.at(end));
        let new_end = match source.end {
            // SAFETY: the heap ends at `start` (talc's heap end, kept in
            // `source.end`), and `start..end` is the heap's own memory.
            Some(heap_end) if heap_end == start => unsafe { talc.extend(NonNull::new(start_ptr).ok_or(())?, end_ptr) },
            // SAFETY: `start..end` is the heap's own memory, used by nothing
            // else (a first stretch, or pages the heap just grew).
            _ => unsafe { talc.claim(start_ptr, end - start) }.ok_or(())?,
        };
        talc.source.end = Some(talc.source.memory.address(new_end.as_ptr()));
        Ok(())
    }
}

/// `value` rounded up to a multiple of `to` (a power of two).
fn round_up(value: usize, to: usize) -> Option<usize> {
    Some(value.checked_add(to - 1)? & !(to - 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use talc::wasm::WasmBinning;

    /// A linear memory in a host buffer: the heap from `heap_base`, `size`
    /// bytes now, the buffer's length at most.
    #[derive(Debug)]
    struct FakeMemory {
        buffer: *mut u8,
        heap_base: usize,
        size: usize,
        limit: usize,
        /// Bytes of growth that belong to someone else, taken at the next
        /// `grow` before the heap's.
        foreign: usize,
    }

    impl LinearMemory for FakeMemory {
        fn heap_base(&self) -> usize {
            self.heap_base
        }
        fn size(&self) -> usize {
            self.size
        }
        fn grow(&mut self, pages: usize) -> Option<usize> {
            self.size += core::mem::take(&mut self.foreign);
            let before = self.size;
            let after = before + pages * WASM_PAGE;
            if after > self.limit {
                return None;
            }
            self.size = after;
            Some(before)
        }
        fn at(&self, address: usize) -> *mut u8 {
            self.buffer.wrapping_add(address)
        }
        fn address(&self, ptr: *mut u8) -> usize {
            ptr as usize - self.buffer as usize
        }
    }

    type Heap = Talc<CompactHeap<FakeMemory>, WasmBinning>;

    /// A heap over 16 wasm pages of host memory (`buffer`), two of them
    /// initial, with the heap from `0x1a3c0` (a Rust guest's layout).
    fn heap(buffer: &mut Vec<u64>) -> Heap {
        *buffer = alloc::vec![0u64; 16 * WASM_PAGE / 8];
        let memory = FakeMemory {
            buffer: buffer.as_mut_ptr().cast(),
            heap_base: 0x1a3c0,
            size: 2 * WASM_PAGE,
            limit: 16 * WASM_PAGE,
            foreign: 0,
        };
        Talc::new(CompactHeap::new(memory))
    }

    fn alloc(heap: &mut Heap, size: usize) -> Option<usize> {
        // SAFETY: a nonzero size; the heap's memory is the live buffer.
        let ptr = unsafe { heap.allocate(Layout::from_size_align(size, 8).ok()?) }?;
        Some(heap.source.memory().address(ptr.as_ptr()))
    }

    fn bytes(buffer: &[u64]) -> &[u8] {
        // SAFETY: the same memory, as bytes.
        unsafe { core::slice::from_raw_parts(buffer.as_ptr().cast(), buffer.len() * 8) }
    }

    #[test]
    fn small_allocations_stay_in_the_pages_after_the_data() {
        let mut buffer = Vec::new();
        let mut heap = heap(&mut buffer);
        for size in [24, 100, 300, 8, 1000, 64] {
            let at = alloc(&mut heap, size).expect("room");
            assert!((0x1a3c0..0x1c000).contains(&at), "{at:#x} is in the two pages after the data");
        }
        assert_eq!(heap.source.memory().size, 2 * WASM_PAGE, "no memory.grow while the initial memory has room");
        let bytes = bytes(&buffer);
        assert!(bytes[0x1c000..].iter().all(|&b| b == 0), "nothing written past the pages in use");
        assert!(bytes[..0x1a3c0].iter().all(|&b| b == 0), "the module's data is untouched");
    }

    #[test]
    fn grows_the_memory_when_the_initial_pages_are_full_and_reuses_freed_space() {
        let mut buffer = Vec::new();
        let mut heap = heap(&mut buffer);
        let layout = Layout::from_size_align(100_000, 8).unwrap();
        let first = alloc(&mut heap, layout.size()).expect("room");
        assert!(heap.source.memory().size >= first + layout.size(), "the memory grew to hold it");
        // SAFETY: allocated just above with this layout.
        unsafe { heap.deallocate(heap.source.memory().at(first), layout) };
        assert_eq!(alloc(&mut heap, layout.size()), Some(first), "the freed space is used again");
        assert_eq!(alloc(&mut heap, 2 << 20), None, "past the memory's limit an allocation fails");
        assert!(alloc(&mut heap, 16).is_some(), "and the heap still works");
    }

    #[test]
    fn pages_grown_by_someone_else_are_left_alone() {
        let mut buffer = Vec::new();
        let mut heap = heap(&mut buffer);
        alloc(&mut heap, 64).expect("room");
        // Another user of memory.grow takes a page before the heap needs one.
        heap.source.memory.foreign = WASM_PAGE;
        let size = 40_000;
        let at = alloc(&mut heap, size).expect("room");
        let foreign = 2 * WASM_PAGE..3 * WASM_PAGE;
        assert!(at >= foreign.end, "{at:#x}: the heap went on after the foreign page");
        // SAFETY: the allocation is `size` bytes at `at`.
        unsafe { heap.source.memory().at(at).write_bytes(1, size) };
        assert!(bytes(&buffer)[foreign.clone()].iter().all(|&b| b == 0), "nothing written in the foreign page");
        for _ in 0..8 {
            assert!(alloc(&mut heap, 3000).is_some_and(|at| !foreign.contains(&at)));
        }
    }
}
