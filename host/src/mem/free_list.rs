//! A free list split into shards, so scheduler threads that give back and
//! reuse items (process-table slots, memory and stack slots) do not all
//! contend on one lock. A thread pushes to the shard it was given first and
//! pops from it first; it looks at the other shards only when its own is
//! empty, and skips the ones whose length says they are empty without
//! taking their locks (a node that only grows, say while it builds a large
//! tree, finds every shard empty on every pop).

use crossbeam_utils::CachePadded;
use std::cell::Cell;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// How many shards a list has.
pub(crate) const SHARDS: usize = 8;

thread_local! {
    static SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// This thread's shard (threads are dealt shards in turn).
pub(crate) fn my_shard() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    SHARD.with(|s| {
        if s.get() == usize::MAX {
            s.set(NEXT.fetch_add(1, Ordering::Relaxed) % SHARDS);
        }
        s.get()
    })
}

/// Items given back, most recent last in each shard (reused first: they are
/// warm in cache).
pub(crate) struct ShardedFreeList<T> {
    /// A cache line each: two shards on one line made the threads that own
    /// them bounce it on every push and pop.
    shards: [CachePadded<Shard<T>>; SHARDS],
}

struct Shard<T> {
    items: Mutex<Vec<T>>,
    /// The length of `items`, written under its lock and read without it:
    /// a pop skips a shard that reads as empty. A stale read only makes a
    /// pop look at one shard more, or miss an item pushed a moment ago (as
    /// if the pop had come first).
    len: AtomicUsize,
}

impl<T> Default for ShardedFreeList<T> {
    fn default() -> Self {
        ShardedFreeList {
            shards: std::array::from_fn(|_| {
                CachePadded::new(Shard { items: Mutex::new(Vec::new()), len: AtomicUsize::new(0) })
            }),
        }
    }
}

impl<T> ShardedFreeList<T> {
    /// Takes an item: from this thread's shard if it has one, else from any.
    pub(crate) fn pop(&self) -> Option<T> {
        let mine = my_shard();
        (0..SHARDS).find_map(|offset| {
            let shard = &self.shards[(mine + offset) % SHARDS];
            if shard.len.load(Ordering::Relaxed) == 0 {
                return None;
            }
            let mut items = shard.items.lock().unwrap_or_else(|e| e.into_inner());
            let item = items.pop();
            shard.len.store(items.len(), Ordering::Relaxed);
            item
        })
    }

    /// Gives an item back to this thread's shard.
    pub(crate) fn push(&self, item: T) {
        let shard = &self.shards[my_shard()];
        let mut items = shard.items.lock().unwrap_or_else(|e| e.into_inner());
        items.push(item);
        shard.len.store(items.len(), Ordering::Relaxed);
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;

    #[test]
    fn items_come_back_most_recent_first_then_from_other_threads() {
        let list = ShardedFreeList::default();
        list.push(1);
        list.push(2);
        assert_eq!(list.pop(), Some(2));
        std::thread::scope(|s| {
            s.spawn(|| list.push(3));
        });
        let mut rest = vec![list.pop(), list.pop()];
        rest.sort();
        assert_eq!(rest, [Some(1), Some(3)]);
        assert_eq!(list.pop(), None);
    }
}
