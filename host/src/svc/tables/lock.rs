//! The lock of a table shard: a "big reader" lock, as ETS's
//! `read_concurrency` has. With a plain read-write lock every reader writes
//! the lock's word, so readers on different cores pass that cache line back
//! and forth and do not scale. Here:
//!
//! - each thread has a fixed reader slot (one of `SLOTS`, each a counter on
//!   its own cache line); a reader adds one to its slot's counter, then
//!   checks the writer flag: clear, it holds the lock; set, it takes its one
//!   back and waits for the flag to clear. So readers on different cores
//!   write different lines, and only read the (rarely written) flag's line;
//! - a writer sets the writer flag (one writer at a time), then waits until
//!   every slot's counter is zero.
//!
//! Correctness is Dekker's argument: reader (add to slot, then load flag)
//! and writer (set flag, then load slots) use `SeqCst`, so in the single
//! total order of those operations either the reader sees the flag or the
//! writer sees the reader. A reader's release and a writer's clearing of the
//! flag are `Release`, the loads that observe them `Acquire`/`SeqCst`, so
//! everything a writer did happens before the next readers, and everything
//! readers did before the next writer.
//!
//! Waits spin briefly, then yield the thread (`Backoff::snooze`): shard
//! locks are held for one key, or for one bounded chunk of a traversal, and
//! never across a suspension of a process (table host functions are
//! synchronous), so a waiter waits microseconds. Waiting writers keep new
//! readers out, so writers are not starved. Two threads sharing a slot
//! (threads outnumber slots) costs speed only. `SLOTS` is the number of
//! cores, at most 8: writers pay one load per slot.

use crossbeam_utils::{Backoff, CachePadded};
use std::cell::UnsafeCell;
use std::ops::{Deref, DerefMut};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// Most reader slots.
const MAX_SLOTS: usize = 8;

/// Reader slots per lock: the cores of the machine, at most [`MAX_SLOTS`].
fn slot_count() -> usize {
    static COUNT: OnceLock<usize> = OnceLock::new();
    *COUNT.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, MAX_SLOTS))
}

/// This thread's slot number (before the modulo).
fn thread_slot() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local!(static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed));
    SLOT.with(|slot| *slot)
}

/// See the module docs.
pub(crate) struct ShardLock<T> {
    /// Readers holding the lock, per slot.
    readers: Box<[CachePadded<AtomicUsize>]>,
    /// Set while a writer holds (or waits to hold) the lock.
    writer: CachePadded<AtomicBool>,
    value: UnsafeCell<T>,
}

// SAFETY: the value is reached only through guards. A read guard exists only
// while its slot counts it and the writer flag was seen clear after that
// count was made; a write guard exists only while the flag is set by it and
// every slot was seen empty after it was set. By the argument in the module
// docs a write guard never coexists with another guard: `&mut T` is unique,
// and `&T` is shared only among readers. Hence the usual RwLock bounds.
unsafe impl<T: Send> Send for ShardLock<T> {}
// SAFETY: as above.
unsafe impl<T: Send + Sync> Sync for ShardLock<T> {}

impl<T> ShardLock<T> {
    pub(crate) fn new(value: T) -> ShardLock<T> {
        ShardLock {
            readers: (0..slot_count()).map(|_| CachePadded::new(AtomicUsize::new(0))).collect(),
            writer: CachePadded::new(AtomicBool::new(false)),
            value: UnsafeCell::new(value),
        }
    }

    /// Shared access, excluding writers only.
    pub(crate) fn read(&self) -> ReadGuard<'_, T> {
        let slot = &self.readers[thread_slot() % self.readers.len()];
        loop {
            slot.fetch_add(1, Ordering::SeqCst);
            if !self.writer.load(Ordering::SeqCst) {
                // SAFETY: counted in a slot, and no writer: none can start
                // until the count is taken back (module docs).
                return ReadGuard { slot, value: unsafe { &*self.value.get() } };
            }
            slot.fetch_sub(1, Ordering::Release);
            let backoff = Backoff::new();
            while self.writer.load(Ordering::Acquire) {
                backoff.snooze();
            }
        }
    }

    /// Exclusive access.
    pub(crate) fn write(&self) -> WriteGuard<'_, T> {
        let backoff = Backoff::new();
        while self.writer.compare_exchange_weak(false, true, Ordering::SeqCst, Ordering::Relaxed).is_err() {
            backoff.snooze();
        }
        for slot in self.readers.iter() {
            let backoff = Backoff::new();
            while slot.load(Ordering::SeqCst) != 0 {
                backoff.snooze();
            }
        }
        // SAFETY: the flag is ours and every slot was empty after we set it:
        // no other guard exists until we clear it (module docs).
        WriteGuard { flag: &self.writer, value: unsafe { &mut *self.value.get() } }
    }
}

/// Shared access to a [`ShardLock`]'s value.
pub(crate) struct ReadGuard<'a, T> {
    slot: &'a AtomicUsize,
    value: &'a T,
}

impl<T> Deref for ReadGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value
    }
}

impl<T> Drop for ReadGuard<'_, T> {
    fn drop(&mut self) {
        self.slot.fetch_sub(1, Ordering::Release);
    }
}

/// Exclusive access to a [`ShardLock`]'s value.
pub(crate) struct WriteGuard<'a, T> {
    flag: &'a AtomicBool,
    value: &'a mut T,
}

impl<T> Deref for WriteGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value
    }
}

impl<T> DerefMut for WriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value
    }
}

impl<T> Drop for WriteGuard<'_, T> {
    fn drop(&mut self) {
        self.flag.store(false, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writers_exclude_readers_and_each_other() {
        let lock = ShardLock::new((0u64, 0u64));
        std::thread::scope(|s| {
            for t in 0..4u64 {
                let lock = &lock;
                s.spawn(move || {
                    for i in 0..50_000u64 {
                        if (i + t) % 4 == 0 {
                            let mut pair = lock.write();
                            pair.0 += 1;
                            std::hint::spin_loop();
                            pair.1 += 1;
                        } else {
                            let pair = lock.read();
                            assert_eq!(pair.0, pair.1, "a reader saw a write half done");
                        }
                    }
                });
            }
        });
        assert_eq!(*lock.read(), (50_000, 50_000));
    }

    #[test]
    fn readers_share_and_nest_across_locks() {
        let (a, b) = (ShardLock::new(1), ShardLock::new(2));
        let (ra, rb, ra2) = (a.read(), b.read(), a.read());
        assert_eq!(*ra + *rb + *ra2, 4);
        drop((ra, rb, ra2));
        *a.write() += 1;
        assert_eq!(*a.read(), 2);
    }
}
