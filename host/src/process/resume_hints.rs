//! Where a waiting process will resume, so that whoever wakes it can start
//! fetching that memory early.
//!
//! A process blocked in `receive` is spread over several places that
//! nothing else touches while it waits: its suspended fiber stack, its
//! store, the boxed future of its wasm call, and the guest memory it copies
//! messages into. With many processes (a ring of a thousand) all of those
//! have left the caches by the time a message comes, and resuming the
//! process walks them one dependent miss after another. The sender knows
//! which process it wakes shortly before that process runs on the same
//! thread (the woken process takes the thread's next slot), so it issues
//! prefetches for all of them at once: the misses overlap each other and
//! the sender's own suspension instead of following each other.
//!
//! An idle handler-style process is spread the same way: its idle task and
//! store, the top of its fiber stack (its next call starts a fiber there)
//! and its message buffer. It records them when it goes idle.
//!
//! The addresses are hints: the process writes them when it starts to wait
//! and never clears them. A prefetch never faults, so a stale hint (the
//! process has exited, hibernated or moved on) costs one useless fetch and
//! nothing else.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Bytes of the suspended stack fetched below the recorded stack position
/// (the frames of the suspension itself) and above it (the host-call frames
/// and the guest's frame the process returns through).
const STACK_BELOW: usize = 128;
const STACK_ABOVE: usize = 768;
/// Bytes of the store fetched around the process's state: the store's own
/// fields (fuel, async state, the VM context pointers) sit next to it.
const STORE_BELOW: usize = 128;
const STORE_ABOVE: usize = 256;
/// Bytes fetched of the call's boxed future.
const FUTURE_BYTES: usize = 128;
const LINE: usize = 64;
// These windows cover part of what a resumed ring process misses. What
// they leave out is known (the rest of the store around the process's
// state, and the suspended stack up to its top), but prefetching all of
// both made the ring slower, and so did one spare line per window: the
// prefetches compete with the misses that are waited for. An unrolled
// constant-count loop, with fewer instructions per wake-up, was not faster
// either. Four more hints showed no gain beyond the noise of interleaved
// ring runs: the call's whole future, the top of the suspended stack (the
// wasm entry's `CallThreadState` and the fiber's result slot), the
// instance's runtime state (wasmtime's `vm::Instance` and `VMContext`;
// wasmtime does not expose its address, a patch did for the trial), and,
// one hop ahead, the `Process` of the process it last sent to. Prefetching
// itself works (a walk of objects spread over memory is faster when the
// next one is prefetched); whatever a ring hop still waits for is
// elsewhere. The figures are in the issue notes.

/// The addresses a waiting process will touch first when it resumes (zero:
/// not known).
#[derive(Default)]
pub(crate) struct ResumeHints {
    /// A position on the suspended fiber stack.
    stack: AtomicUsize,
    /// The process's state inside its store.
    store: AtomicUsize,
    /// The future of the process's wasm call (its task).
    call: AtomicUsize,
    /// The guest memory the process last read a message into.
    memory: AtomicUsize,
}

impl ResumeHints {
    /// Called by the process as it starts to wait in `receive`, on its own
    /// fiber stack (`stack` is an address on it).
    pub(crate) fn record_wait(&self, stack: usize, store: usize, memory: usize) {
        self.stack.store(stack, Ordering::Relaxed);
        self.store.store(store, Ordering::Relaxed);
        self.memory.store(memory, Ordering::Relaxed);
    }

    /// Called when a handler-style process goes idle, with the address of
    /// its idle task, of its state in its store, of the top of its fiber
    /// stack (0: not known), and of the guest memory it last read a message
    /// into. Its next call starts a fiber at the top of the stack, whose
    /// first frames lie just below it.
    pub(crate) fn record_idle(&self, idle: usize, store: usize, stack_top: usize, memory: usize) {
        let stack = stack_top.saturating_sub(STACK_ABOVE);
        self.record_wait(stack, store, memory);
        self.record_call(idle);
    }

    /// Called when the process's wasm call is suspended, with the address
    /// of that call's future.
    pub(crate) fn record_call(&self, call: usize) {
        self.call.store(call, Ordering::Relaxed);
    }

    /// Starts fetching everything the hints point at into this core's
    /// caches. Call it on the thread that will resume the process.
    pub(crate) fn prefetch(&self) {
        // The heads of dependent chains first: resuming reads the call's
        // future, then the store and the stack.
        prefetch_range(self.call.load(Ordering::Relaxed), 0, FUTURE_BYTES);
        prefetch_range(self.store.load(Ordering::Relaxed), STORE_BELOW, STORE_ABOVE);
        prefetch_range(self.stack.load(Ordering::Relaxed), STACK_BELOW, STACK_ABOVE);
        prefetch_range(self.memory.load(Ordering::Relaxed), 0, LINE);
    }
}

/// Prefetches the cache lines of `at - below .. at + above` (nothing if
/// `at` is zero).
fn prefetch_range(at: usize, below: usize, above: usize) {
    if at == 0 {
        return;
    }
    let mut line = at.saturating_sub(below) & !(LINE - 1);
    // (Capped so that `line` cannot overflow at the top of the address
    // space.)
    let end = at.saturating_add(above).min(usize::MAX - LINE);
    // A plain pointer walk: a range of line indices compiled to more
    // instructions a line.
    while line < end {
        prefetch_line(line);
        line += LINE;
    }
}

#[cfg(target_arch = "x86_64")]
fn prefetch_line(address: usize) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    // SAFETY: a prefetch is only a hint to the cache: it never faults and
    // has no visible effect, whatever the address.
    unsafe { _mm_prefetch::<_MM_HINT_T0>(address as *const i8) }
}

#[cfg(not(target_arch = "x86_64"))]
fn prefetch_line(_address: usize) {}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prefetching never faults: not for addresses that were never mapped,
    /// nor at the ends of the address space.
    #[test]
    fn prefetching_any_address_is_harmless() {
        let hints = ResumeHints::default();
        hints.prefetch();
        hints.record_wait(1, usize::MAX - 8, 0x10);
        hints.record_call(usize::MAX);
        hints.prefetch();
        let buffer = vec![7u8; 4096];
        hints.record_wait(buffer.as_ptr() as usize + 2048, buffer.as_ptr() as usize, 0);
        hints.prefetch();
        hints.record_idle(buffer.as_ptr() as usize, buffer.as_ptr() as usize + 64, buffer.as_ptr() as usize + 4096, 0);
        hints.prefetch();
        hints.record_idle(usize::MAX, 1, 3, usize::MAX);
        hints.prefetch();
        assert!(buffer.iter().all(|&b| b == 7));
    }
}
