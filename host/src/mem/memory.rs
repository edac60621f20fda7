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
//! the memory to a larger class (wasmtime reloads the base after a grow),
//! a copy of the whole memory and a zeroing of the old slot. Memories that
//! start in the same class and grew out of it once are likely to again (a
//! Rust guest's allocator grows its memory at its first allocation), so
//! later ones start in the class the earlier ones grew to, up to
//! [`MAX_HEADROOM`] classes above their own: a slot is address space, and
//! only the pages a process touches cost memory.

use super::region::{self, SlotPool};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use wasmtime::{LinearMemory, MemoryCreator, MemoryType};

/// Smallest size class: one wasm page.
const MIN_CLASS: usize = 64 << 10;

/// Most size classes above the one that holds a memory's initial size
/// that a new memory starts in, when earlier memories of its class grew.
const MAX_HEADROOM: usize = 3;

/// Hands out linear memories from size-class pools.
pub(crate) struct DenseMemories {
    classes: Vec<SlotPool>,
    /// By the class of memories' initial size: the largest class any of
    /// them grew to (bounded by [`MAX_HEADROOM`]), where new ones start.
    grown_to: Vec<AtomicUsize>,
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
        let grown_to = (0..classes.len()).map(AtomicUsize::new).collect();
        Arc::new(DenseMemories { classes, grown_to })
    }

    /// The pool of the smallest memories (for warming up its reserve).
    pub(crate) fn smallest(&self) -> &SlotPool {
        &self.classes[0]
    }

    fn class_for(&self, bytes: usize) -> Option<usize> {
        self.classes.iter().position(|c| c.slot_size() >= bytes)
    }

    /// The class a new memory whose initial size fits `initial` starts in.
    fn starting_class(&self, initial: usize) -> usize {
        self.grown_to[initial].load(Ordering::Relaxed).max(initial)
    }

    /// A memory that started in class `initial` grew into class `class`.
    fn grew(&self, initial: usize, class: usize) {
        let class = class.min(initial + MAX_HEADROOM).min(self.classes.len() - 1);
        self.grown_to[initial].fetch_max(class, Ordering::Relaxed);
    }
}

/// One linear memory living in a pool slot.
struct DenseMemory {
    pools: region::PoolsRef<DenseMemories>,
    /// The class that holds its initial size (see [`DenseMemories::grew`]).
    initial_class: usize,
    class: usize,
    base: usize,
    size: usize,
    maximum: usize,
}

impl Drop for DenseMemory {
    fn drop(&mut self) {
        // SAFETY: the pools outlive this memory, and the retired slot too:
        // a thread gives back what it retired before it stops, and the
        // pools go with the engine, after the scheduler threads.
        let pools = unsafe { region::PoolsRef::new(self.pools.get()) };
        let slot = Retired { pools, class: self.class, base: self.base, size: self.size };
        retire(slot);
    }
}

/// The slot of a dropped memory, to be zeroed and then given back to its
/// pool.
struct Retired {
    pools: region::PoolsRef<DenseMemories>,
    class: usize,
    base: usize,
    size: usize,
}

/// Slots retired at once: zeroing a slot asks the kernel which of its pages
/// are resident, and one query covers many slots that lie close together
/// (a system call on the address space's lock, which every thread's page
/// faults take too). An exit cascade or a supervisor's restart of many
/// children drops memories one after another, mostly in neighbouring
/// slots.
const RETIRE_BATCH: usize = 32;

thread_local! {
    /// Retired slots not zeroed yet, on threads that batch them (scheduler
    /// threads, between [`batch_on_this_thread`] and
    /// [`stop_batching_on_this_thread`]); `None` elsewhere, where a
    /// dropped memory's slot is zeroed at once.
    static RETIRED: std::cell::RefCell<Option<Vec<Retired>>> = const { std::cell::RefCell::new(None) };
}

thread_local! {
    /// Set by [`next_memory_leaves_first_page`] for the next memory made on
    /// this thread (and cleared by its making).
    static FIRST_PAGE_LEFT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Says whether the next memory made on this thread will leave its first
/// page untouched when its instance is made (no data segment writes there:
/// a Rust guest's shadow stack, say, whose bottom page is touched only by
/// deep calls): such a memory takes no slot of the warm reserve, whose
/// first page is resident already and would cost memory for nothing.
pub(crate) fn next_memory_leaves_first_page(left: bool) {
    FIRST_PAGE_LEFT.with(|cell| cell.set(left));
}

/// Zeroes `slot` and gives it back, now or with this thread's next batch.
fn retire(slot: Retired) {
    let now = RETIRED.with(|retired| match retired.borrow_mut().as_mut() {
        Some(waiting) => {
            waiting.push(slot);
            if waiting.len() >= RETIRE_BATCH {
                // In place: the list keeps its capacity for the next batch
                // (zeroing and giving back drop no memory, so nothing
                // here retires another slot meanwhile).
                release_all(waiting);
            }
            None
        }
        None => Some(slot),
    });
    if let Some(slot) = now {
        release_all(&mut vec![slot]);
    }
}

/// Zeroes `slots` (one residency query for neighbours) and gives them back
/// to their pools, emptying the list: only then may another memory take
/// them.
fn release_all(slots: &mut Vec<Retired>) {
    if slots.is_empty() {
        return;
    }
    let mut ranges = [(0, 0); RETIRE_BATCH];
    for chunk in slots.chunks(RETIRE_BATCH) {
        let ranges = &mut ranges[..chunk.len()];
        for (range, slot) in ranges.iter_mut().zip(chunk) {
            *range = (slot.base, slot.size);
        }
        // SAFETY: every slot is a page-aligned slot of one of our regions
        // whose memory was dropped: no wasm uses it, and no pool hands it
        // out before `release` below.
        unsafe { region::zero_all(ranges) };
    }
    for slot in slots.drain(..) {
        slot.pools.get().classes[slot.class].release(slot.base);
    }
}

/// From now on this thread retires the slots of the memories it drops in
/// batches (a scheduler thread, as it starts).
pub(crate) fn batch_on_this_thread() {
    RETIRED.with(|retired| *retired.borrow_mut() = Some(Vec::with_capacity(RETIRE_BATCH)));
}

/// Gives back the slots this thread retired so far (when it finds no work:
/// they then serve new memories again).
pub(crate) fn release_retired() {
    RETIRED.with(|retired| {
        if let Some(waiting) = retired.borrow_mut().as_mut() {
            release_all(waiting);
        }
    });
}

/// Gives back what this thread retired, and retires nothing more in
/// batches (a scheduler thread, as it stops: before the node's pools go).
pub(crate) fn stop_batching_on_this_thread() {
    let waiting = RETIRED.with(|retired| retired.borrow_mut().take());
    release_all(&mut waiting.unwrap_or_default());
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
        self.pools.get().grew(self.initial_class, class);
        self.class = class;
        self.base = base;
        self.size = new_size;
        Ok(())
    }

    fn as_ptr(&self) -> *mut u8 {
        self.base as *mut u8
    }

    /// For a recycled instance (`process/recycle.rs`), whose resetter has
    /// zeroed the bytes past `new_size` first: a growth within the slot
    /// hands them out again as they are. The slot (and its class) stays.
    fn shrink_to(&mut self, new_size: usize) -> wasmtime::Result<()> {
        if new_size > self.size {
            wasmtime::bail!("cannot shrink a memory of {} bytes to {new_size}", self.size);
        }
        self.size = new_size;
        Ok(())
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
        let initial_class =
            self.0.class_for(want).ok_or_else(|| format!("memory of {want} bytes is larger than any size class"))?;
        // Room to grow, as earlier memories of its class did, but never a
        // class beyond its maximum's.
        let ceiling = self.0.class_for(maximum).unwrap_or(initial_class).max(initial_class);
        let class = self.0.starting_class(initial_class).min(ceiling);
        let base = match FIRST_PAGE_LEFT.with(|cell| cell.replace(false)) {
            true => self.0.classes[class].acquire_cold()?,
            false => self.0.classes[class].acquire()?,
        };
        // SAFETY: the creator holds the pools, and wasmtime holds the
        // creator in the engine, which every store (so every memory) holds.
        let pools = unsafe { region::PoolsRef::new(&*self.0) };
        Ok(Box::new(DenseMemory { pools, initial_class, class, base, size: minimum, maximum }))
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;

    const PAGE: usize = 64 << 10;

    fn memory(creator: &DenseMemoryCreator, pages: usize, maximum: Option<usize>) -> Box<dyn LinearMemory> {
        let ty = MemoryType::new(u32::try_from(pages).unwrap_or(u32::MAX), None);
        creator.new_memory(ty, pages * PAGE, maximum, None, 0).expect("a memory")
    }

    /// Once a memory grew out of its class, the next ones that start in
    /// that class start in the class it grew to, so they grow without a
    /// copy; never more than `MAX_HEADROOM` classes up, nor past their
    /// maximum's class; and their contents survive the growth.
    #[test]
    fn memories_start_with_the_room_their_class_grew_to() {
        let creator = DenseMemoryCreator(DenseMemories::new(64 << 20));
        let first = memory(&creator, 2, None);
        assert_eq!(first.byte_capacity(), 2 * PAGE, "no memory of its class grew yet");
        let mut grower = memory(&creator, 2, None);
        // SAFETY: the memory is 2 pages long and ours alone.
        unsafe { *grower.as_ptr().add(PAGE + 5) = 7 };
        grower.grow_to(5 * PAGE).expect("grows");
        assert_eq!(grower.byte_capacity(), 8 * PAGE);
        // SAFETY: as above, 5 pages now.
        assert_eq!(unsafe { *grower.as_ptr().add(PAGE + 5) }, 7, "the contents moved with the memory");
        let mut next = memory(&creator, 2, None);
        assert_eq!((next.byte_size(), next.byte_capacity()), (2 * PAGE, 8 * PAGE));
        let base = next.as_ptr();
        next.grow_to(7 * PAGE).expect("grows");
        assert_eq!(next.as_ptr(), base, "grew in place, no copy");
        // Far beyond: later memories get at most three classes more.
        grower.grow_to(1024 * PAGE).expect("grows");
        assert_eq!(memory(&creator, 2, None).byte_capacity(), 16 * PAGE);
        assert_eq!(memory(&creator, 2, Some(3 * PAGE)).byte_capacity(), 4 * PAGE, "not past its maximum's class");
        // Other classes learned nothing.
        assert_eq!(memory(&creator, 1, None).byte_capacity(), PAGE);
    }

    /// A memory whose instance leaves its first page alone takes no slot
    /// of the warm reserve (whose first page is resident); the next memory
    /// does, and the hint is gone once a memory was made.
    #[test]
    fn a_memory_that_leaves_its_first_page_alone_takes_a_cold_slot() {
        let creator = DenseMemoryCreator(DenseMemories::new(64 << 20));
        let reserve = creator.0.smallest();
        assert!(reserve.warm_up(4) && reserve.warm_slots() == 4);
        next_memory_leaves_first_page(true);
        let cold = memory(&creator, 1, None);
        assert_eq!(reserve.warm_slots(), 4, "the reserve is left alone");
        let resident = region::resident_pages(cold.as_ptr() as usize, region::page_size()).expect("residency");
        assert_eq!(resident[0] & 1, 0, "the cold slot's first page is not resident");
        let warm = memory(&creator, 1, None);
        assert_eq!(reserve.warm_slots(), 3, "without the hint, a warm slot");
        let resident = region::resident_pages(warm.as_ptr() as usize, region::page_size()).expect("residency");
        assert_eq!(resident[0] & 1, 1, "its first page is resident");
    }
}
