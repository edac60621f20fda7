//! The table of live processes: pid -> process, with slot reuse that never
//! reuses a pid.

use crate::base::pid::{self, MAX_SERIAL, Pid};
use crate::mem::free_list::ShardedFreeList;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Slots per chunk; chunks are allocated on first use, so an idle node
/// costs a few kilobytes and a million processes cost 24 bytes a slot.
const CHUNK_BITS: u32 = 12;
const CHUNK: usize = 1 << CHUNK_BITS;

/// A chunk of slots, allocated on first use.
type Chunk<T> = OnceLock<Box<[Slot<T>]>>;

struct Slot<T> {
    entry: Mutex<SlotEntry<T>>,
}

struct SlotEntry<T> {
    serial: u64,
    value: Option<Arc<T>>,
}

/// Maps pids to values (processes), lock-free to find a slot, one short
/// uncontended lock per slot to read or change it.
pub(crate) struct ProcessTable<T> {
    chunks: Box<[Chunk<T>]>,
    /// Slots of exited processes, to reuse (with the next serial).
    free: ShardedFreeList<u32>,
    next_index: AtomicU32,
    capacity: u32,
    live: AtomicUsize,
}

impl<T> ProcessTable<T> {
    /// A table that holds at most `capacity` processes at once.
    pub(crate) fn new(capacity: u32) -> Self {
        // The last index is never issued: see `ProcessTable::unissued_pid`.
        let capacity = capacity.clamp(1, (1 << pid::INDEX_BITS) - 1);
        let chunks = (capacity as usize).div_ceil(CHUNK);
        ProcessTable {
            chunks: (0..chunks).map(|_| OnceLock::new()).collect(),
            free: ShardedFreeList::default(),
            next_index: AtomicU32::new(0),
            capacity,
            live: AtomicUsize::new(0),
        }
    }

    fn slot(&self, index: u32) -> Option<&Slot<T>> {
        let chunk = self.chunks.get((index >> CHUNK_BITS) as usize)?;
        let slots = chunk.get_or_init(|| {
            let slots: Box<[Slot<T>]> =
                (0..CHUNK).map(|_| Slot { entry: Mutex::new(SlotEntry { serial: 0, value: None }) }).collect();
            // Every page of the chunk written now. Its memory comes zeroed
            // and untouched from the allocator, and slots straddle pages:
            // the first touch of a page could be the read of a serial,
            // which maps the kernel's shared zero page, and the write that
            // follows replaces it, flushing the page from every other core
            // running the node (an interrupt each, costly in a VM). A lock
            // writes its slot's first word; one slot in every 2 KiB covers
            // each page.
            let stride = (2048 / std::mem::size_of::<Slot<T>>()).max(1);
            for slot in slots.iter().step_by(stride).chain(slots.last()) {
                drop(slot.entry.lock());
            }
            slots
        });
        slots.get(index as usize & (CHUNK - 1))
    }

    /// Inserts the value made by `make` for a fresh pid. Returns `None` when
    /// the table is full.
    pub(crate) fn insert(&self, make: impl FnOnce(Pid) -> Arc<T>) -> Option<(Pid, Arc<T>)> {
        let index = self.allocate_index()?;
        let slot = self.slot(index)?;
        let mut entry = slot.entry.lock().unwrap_or_else(|e| e.into_inner());
        // A slot whose serials are used up is retired (never in practice).
        if entry.serial >= MAX_SERIAL {
            return None;
        }
        entry.serial += 1;
        let pid = Pid::new(index, entry.serial);
        let value = make(pid);
        entry.value = Some(value.clone());
        self.live.fetch_add(1, Ordering::Relaxed);
        Some((pid, value))
    }

    fn allocate_index(&self) -> Option<u32> {
        if let Some(index) = self.free.pop() {
            return Some(index);
        }
        let index = self.next_index.fetch_add(1, Ordering::Relaxed);
        if index >= self.capacity {
            self.next_index.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        Some(index)
    }

    /// The value of `pid`, if it is alive.
    pub(crate) fn get(&self, pid: Pid) -> Option<Arc<T>> {
        if pid.index() >= self.next_index.load(Ordering::Acquire) {
            return None;
        }
        let slot = self.slot(pid.index())?;
        let entry = slot.entry.lock().unwrap_or_else(|e| e.into_inner());
        if entry.serial == pid.serial() { entry.value.clone() } else { None }
    }

    /// Runs `f` on the value of `pid` if it is alive, without taking a
    /// reference of its own (the slot stays locked meanwhile: keep `f` short).
    pub(crate) fn with<R>(&self, pid: Pid, f: impl FnOnce(&Arc<T>) -> R) -> Option<R> {
        if pid.index() >= self.next_index.load(Ordering::Acquire) {
            return None;
        }
        let slot = self.slot(pid.index())?;
        let entry = slot.entry.lock().unwrap_or_else(|e| e.into_inner());
        if entry.serial == pid.serial() { entry.value.as_ref().map(f) } else { None }
    }

    /// Removes `pid`; its slot is reused with the next serial.
    pub(crate) fn remove(&self, pid: Pid) -> Option<Arc<T>> {
        let slot = self.slot(pid.index())?;
        let value = {
            let mut entry = slot.entry.lock().unwrap_or_else(|e| e.into_inner());
            if entry.serial != pid.serial() {
                return None;
            }
            entry.value.take()
        };
        if value.is_some() {
            self.live.fetch_sub(1, Ordering::Relaxed);
            self.free.push(pid.index());
        }
        value
    }

    /// A well-formed pid that names no process, ever.
    pub(crate) fn unissued_pid() -> Pid {
        Pid::new((1 << pid::INDEX_BITS) - 1, 1)
    }

    /// Number of live entries.
    pub(crate) fn len(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    /// Calls `f` on every live value, slot by slot: a slot's lock is held
    /// only to take a reference, never while `f` runs, so a walk over a
    /// million processes stops none of them (each may spawn, exit or be sent
    /// to meanwhile; the walk sees it or not).
    pub(crate) fn for_each(&self, mut f: impl FnMut(Arc<T>)) {
        let used = self.next_index.load(Ordering::Acquire);
        for index in 0..used {
            let value =
                self.slot(index).and_then(|slot| slot.entry.lock().unwrap_or_else(|e| e.into_inner()).value.clone());
            if let Some(value) = value {
                f(value);
            }
        }
    }

    /// Every live value (a snapshot).
    pub(crate) fn snapshot(&self) -> Vec<Arc<T>> {
        let used = self.next_index.load(Ordering::Acquire);
        let mut out = Vec::with_capacity(self.len());
        for index in 0..used {
            if let Some(slot) = self.slot(index)
                && let Some(value) = &slot.entry.lock().unwrap_or_else(|e| e.into_inner()).value
            {
                out.push(value.clone());
            }
        }
        out
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;

    #[test]
    fn a_reused_slot_never_reuses_a_pid() {
        let table = ProcessTable::<u32>::new(4);
        let (first, _) = table.insert(|_| Arc::new(1)).unwrap();
        assert!(table.remove(first).is_some());
        let (second, _) = table.insert(|_| Arc::new(2)).unwrap();
        assert_eq!(first.index(), second.index());
        assert_ne!(first, second);
        assert!(table.get(first).is_none(), "a stale pid must not reach the new process");
        assert_eq!(table.get(second).as_deref(), Some(&2));
    }

    #[test]
    fn a_full_table_refuses() {
        let table = ProcessTable::<u32>::new(2);
        assert!(table.insert(|_| Arc::new(1)).is_some());
        assert!(table.insert(|_| Arc::new(2)).is_some());
        assert!(table.insert(|_| Arc::new(3)).is_none());
        assert_eq!(table.len(), 2);
    }
}
