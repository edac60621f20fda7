//! The guest's linear memory as its process's store data remembers it,
//! and the store's resource limiter, which hears of every growth.

use super::state::ProcessState;
use std::num::NonZeroUsize;
use std::sync::atomic::Ordering;
use wasmtime::Memory;

/// A process's exported `memory` in its current store, found on first use,
/// and where its bytes are, remembered until the memory next grows.
///
/// Finding the bytes through wasmtime walks the store's instance table, the
/// instance and its VM context: three cache lines that are cold again at
/// every message in a ring of many processes. Remembering them is sound
/// because a memory moves or changes size only when it grows, and every
/// growth asks the store's limiter first, which forgets the bytes (see the
/// `ResourceLimiter` impl below). The value belongs to the store, not to the
/// process: when a process's state enters or leaves a store, the store's
/// `KnownMemory` goes with the store's other handles (`start.rs`).
#[derive(Default, Clone, Copy)]
pub(crate) struct KnownMemory {
    handle: Option<Memory>,
    /// Base address and length of the memory's bytes.
    bytes: Option<(NonZeroUsize, usize)>,
}

impl KnownMemory {
    /// A memory just found, its bytes not yet looked up.
    pub(crate) fn found(memory: Memory) -> KnownMemory {
        KnownMemory { handle: Some(memory), bytes: None }
    }

    /// The memory, if found.
    pub(crate) fn handle(&self) -> Option<Memory> {
        self.handle
    }

    /// The memory's bytes as last looked up (base, length), if they are
    /// known.
    pub(crate) fn known_bytes(&self) -> Option<(NonZeroUsize, usize)> {
        self.bytes
    }

    /// Remembers where the memory's bytes are now (looked up by a host
    /// call of the store, which holds it).
    pub(crate) fn remember_bytes(&mut self, base: NonZeroUsize, len: usize) {
        self.bytes = Some((base, len));
    }

    /// The memory's bytes, if they are known (a host call that checked a
    /// guest range has looked them up, and the memory has not grown since).
    ///
    /// # Safety
    /// Only inside a host call of the store this belongs to, with nothing
    /// else reading or writing guest memory meanwhile (as `abi`'s `guest`
    /// gives).
    pub(crate) unsafe fn bytes_mut(&mut self) -> Option<&mut [u8]> {
        let (base, len) = self.bytes?;
        // SAFETY: these are the live bytes of the store's memory (forgotten
        // before any growth: see the limiter below), and the caller
        // guarantees exclusive access.
        Some(unsafe { std::slice::from_raw_parts_mut(base.get() as *mut u8, len) })
    }
}

/// Every growth of a memory (the guest's `memory.grow`, or the host's when
/// a process wakes from hibernation) asks the store's limiter first: the
/// remembered bytes are forgotten there, then the process's limits decide.
impl wasmtime::ResourceLimiter for ProcessState {
    fn memory_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.memory.bytes = None;
        let allowed = self.limiter().memory_growing(current, desired, maximum)?;
        if allowed {
            // For introspection (`inspect.rs`): growths are rare, so the
            // count costs no message anything.
            self.process.linear_memory.fetch_add(desired.saturating_sub(current), Ordering::Relaxed);
        }
        Ok(allowed)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limiter().memory_grow_failed(error)
    }

    fn table_growing(&mut self, current: usize, desired: usize, maximum: Option<usize>) -> wasmtime::Result<bool> {
        self.limiter().table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limiter().table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.limiter().instances()
    }

    fn tables(&self) -> usize {
        self.limiter().tables()
    }

    fn memories(&self) -> usize {
        self.limiter().memories()
    }
}
