//! The boxed future of a process's wasm call, in memory a scheduler thread
//! reuses.
//!
//! A handler-style process makes a new call future for every message it
//! takes, and drops it when the handler returns. As a `Box` that cost a
//! `malloc` and a `free` per message, and `Box::pin` built the future on
//! the stack and then copied all of it to the heap. A [`CallBox`] builds
//! the future in place, and a handler call's takes its memory from the
//! thread's block cache (`block_cache.rs`, shared with the letters) and
//! gives it back there. An entry call's future is allocated to its exact
//! size, as a `Box` is: a blocking process keeps that future for as long
//! as it lives, and rounding it up to the cache's size class made every
//! blocked process larger (the density bench showed it).
//!
//! In a ring of handler-style processes, a hop takes fewer instructions
//! and less time with a `CallBox` than with `Box::pin` (the bench's
//! handler-style ring measures it).

use crate::mem::block_cache;
use std::alloc::{Layout, alloc, dealloc, handle_alloc_error};
use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;

/// A pinned, boxed future whose allocation is reused (see the module docs).
pub(crate) struct CallBox<T> {
    future: NonNull<dyn Future<Output = T> + Send>,
    /// Whether the memory is a block of the thread's cache, else exactly
    /// the future's size from the allocator.
    cached: bool,
}

// SAFETY: a `CallBox` owns its future, which is `Send`, as a
// `Pin<Box<dyn Future + Send>>` does.
unsafe impl<T> Send for CallBox<T> {}

impl<T> CallBox<T> {
    /// Boxes the future `make` makes for a call that ends soon (a handler
    /// call), in a block of this thread's cache if it has one of the size.
    /// (`make` runs once the memory is found, so the future can be built in
    /// place rather than built and then copied. Were `make` to panic, that
    /// memory would leak; the futures made here cannot.)
    #[inline(always)]
    pub(crate) fn new<F: Future<Output = T> + Send + 'static>(make: impl FnOnce() -> F) -> CallBox<T> {
        Self::boxed(make, true)
    }

    /// Boxes the future `make` makes for a call that may last as long as
    /// its process (the entry), in memory of exactly its size.
    #[inline(always)]
    pub(crate) fn new_lasting<F: Future<Output = T> + Send + 'static>(make: impl FnOnce() -> F) -> CallBox<T> {
        Self::boxed(make, false)
    }

    #[inline(always)]
    fn boxed<F: Future<Output = T> + Send + 'static>(make: impl FnOnce() -> F, cached: bool) -> CallBox<T> {
        let layout = Layout::new::<F>();
        let memory = match layout.size() {
            0 => NonNull::<F>::dangling().cast::<u8>(),
            _ if cached => block_cache::allocate(layout),
            // SAFETY: `layout` has a non-zero size.
            _ => NonNull::new(unsafe { alloc(layout) }).unwrap_or_else(|| handle_alloc_error(layout)),
        };
        let typed = memory.cast::<F>();
        // SAFETY: `memory` is valid for a write of `F` (allocated for `F`'s
        // layout, or dangling for a zero-sized `F`) and holds no value.
        unsafe { typed.as_ptr().write(make()) };
        CallBox { future: typed, cached }
    }

    /// The future, pinned: it never moves until it is dropped.
    pub(crate) fn as_mut(&mut self) -> Pin<&mut (dyn Future<Output = T> + Send)> {
        // SAFETY: the future lives at a fixed address for as long as the
        // box, and the box hands out no other access to it.
        unsafe { Pin::new_unchecked(self.future.as_mut()) }
    }

    /// The future's address (a resume hint).
    pub(crate) fn address(&self) -> usize {
        self.future.cast::<u8>().as_ptr() as usize
    }
}

impl<T> Drop for CallBox<T> {
    fn drop(&mut self) {
        // SAFETY: the future is live until it is dropped here, once; its
        // memory is not touched again but to be given back.
        let layout = Layout::for_value(unsafe { self.future.as_ref() });
        // SAFETY: as above.
        unsafe { std::ptr::drop_in_place(self.future.as_ptr()) };
        let memory = self.future.cast::<u8>();
        match layout.size() {
            0 => {}
            // SAFETY: `new` allocated the memory from the cache with this
            // layout (the future's), and the future is gone.
            _ if self.cached => unsafe { block_cache::free(memory, layout) },
            // SAFETY: `new_lasting` allocated it with this layout.
            _ => unsafe { dealloc(memory.as_ptr(), layout) },
        }
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::task::{Context, Poll, Waker};

    /// More boxes than the block cache keeps of one size.
    const MANY: usize = 100;

    /// A future that counts its drops and is ready with its value.
    struct Counted(Arc<AtomicUsize>, u64, [u64; 8]);

    impl Future for Counted {
        type Output = u64;
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<u64> {
            Poll::Ready(self.1 + self.2.iter().sum::<u64>())
        }
    }

    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn poll<T>(call: &mut CallBox<T>) -> Poll<T> {
        call.as_mut().poll(&mut Context::from_waker(Waker::noop()))
    }

    /// Each future is polled and dropped exactly once, and the next box of
    /// the same layout on the thread reuses the last one's memory.
    #[test]
    fn a_dropped_call_box_is_reused_by_the_next_of_its_layout() {
        let drops = Arc::new(AtomicUsize::new(0));
        let mut first = CallBox::new(|| Counted(drops.clone(), 1, [2; 8]));
        assert_eq!(poll(&mut first), Poll::Ready(17));
        let address = first.address();
        drop(first);
        assert_eq!(drops.load(Ordering::Relaxed), 1);
        let mut second = CallBox::new(|| Counted(drops.clone(), 5, [0; 8]));
        assert_eq!(second.address(), address);
        assert_eq!(poll(&mut second), Poll::Ready(5));
        // Another layout gets other memory; a zero-sized future none.
        let mut other = CallBox::new(|| std::future::ready(7u8));
        assert_ne!(other.address(), address);
        assert_eq!(poll(&mut other), Poll::Ready(7));
        let mut empty = CallBox::new(|| std::future::ready(()));
        assert_eq!(poll(&mut empty), Poll::Ready(()));
        drop((second, other, empty));
        assert_eq!(drops.load(Ordering::Relaxed), 2);
    }

    /// A thread whose cache is full of blocks of another size still reuses
    /// the memory of the size it makes now.
    #[test]
    fn blocks_of_another_size_do_not_stand_in_the_way() {
        let drops = Arc::new(AtomicUsize::new(0));
        let old: Vec<_> = (0..MANY as u64).map(|i| CallBox::new(|| Counted(drops.clone(), i, [0; 8]))).collect();
        drop(old);
        let current = CallBox::new(|| std::future::ready([1u64; 3]));
        let address = current.address();
        drop(current);
        // Had the memory gone back to the allocator, this would take it.
        let blocker = Box::new(std::future::ready([0u64; 3]));
        for _ in 0..3 {
            let mut again = CallBox::new(|| std::future::ready([2u64; 3]));
            assert_eq!(again.address(), address);
            assert_eq!(poll(&mut again), Poll::Ready([2; 3]));
        }
        assert_eq!(drops.load(Ordering::Relaxed), MANY);
        assert_ne!(&*blocker as *const _ as usize, address);
    }

    /// A lasting box (an entry call's) is polled and dropped like any
    /// other, in memory that does not come from the block cache.
    #[test]
    fn a_lasting_box_takes_memory_of_its_own() {
        let drops = Arc::new(AtomicUsize::new(0));
        let cached = CallBox::new(|| Counted(drops.clone(), 1, [0; 8]));
        let address = cached.address();
        drop(cached);
        let mut lasting = CallBox::new_lasting(|| Counted(drops.clone(), 2, [1; 8]));
        assert_ne!(lasting.address(), address);
        assert_eq!(poll(&mut lasting), Poll::Ready(10));
        drop(lasting);
        let mut empty = CallBox::new_lasting(|| std::future::ready(()));
        assert_eq!(poll(&mut empty), Poll::Ready(()));
        drop(empty);
        assert_eq!(drops.load(Ordering::Relaxed), 2);
        // The cached block is still there for the next short call.
        assert_eq!(CallBox::new(|| Counted(drops.clone(), 3, [0; 8])).address(), address);
    }

    /// More boxes dropped at once than the thread keeps: the rest are
    /// freed, and every future is dropped once.
    #[test]
    fn boxes_beyond_what_the_cache_keeps_are_freed() {
        let drops = Arc::new(AtomicUsize::new(0));
        let boxes: Vec<_> = (0..MANY as u64).map(|i| CallBox::new(|| Counted(drops.clone(), i, [0; 8]))).collect();
        drop(boxes);
        assert_eq!(drops.load(Ordering::Relaxed), MANY);
        let again: Vec<_> = (0..MANY as u64).map(|i| CallBox::new(|| Counted(drops.clone(), i, [0; 8]))).collect();
        drop(again);
        assert_eq!(drops.load(Ordering::Relaxed), 2 * MANY);
    }
}
