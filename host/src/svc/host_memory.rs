//! The memory guests make the node hold for them, outside their own linear
//! memories: messages queued in mailboxes, timer payloads, spawn
//! arguments, shared tables. A node has a bound on it
//! (`NodeConfig::max_host_memory`); past the bound, what a guest asks for
//! that would add to it (a send, a timer, a spawn, a table write) is
//! refused with `ERR_LIMIT`, while what the host makes (EXIT and DOWN
//! messages, fired timers, table transfers) is counted but never refused.
//! Erlang's VM dies when it runs out of memory; a node refuses instead.
//!
//! The count is kept in per-thread shards, so that the hot path (a message
//! queued, a message taken) costs one uncontended atomic add on the
//! thread's own cache line. The shards are summed only when a shard's
//! count crosses a multiple of [`SLACK`], which sets or clears the node's
//! `over` flag; the checks read that flag. So the bound holds within
//! [`SLACK`] per shard (plus the request being checked), not to the byte.
//!
//! Each shard also counts the messages queued ([`HostMemory::charge_letter`]),
//! on the cache line the byte count has just taken: the node's messages
//! per second (`warren stats`) cost a send one more uncontended add there.

use crate::mem::free_list::{SHARDS, my_shard};
use crossbeam_utils::CachePadded;
use std::sync::atomic::{AtomicBool, AtomicIsize, AtomicU64, Ordering};

/// How far a shard's count may move before the shards are summed again (a
/// power of two).
const SLACK: usize = 1 << 20;

/// The node's count of host memory held for guests, and its bound.
pub(crate) struct HostMemory {
    limit: usize,
    shards: [CachePadded<Shard>; SHARDS],
    /// Whether the count was over the bound when last summed.
    over: AtomicBool,
}

/// One thread shard's counts.
#[derive(Default)]
struct Shard {
    /// Bytes held (may go negative in a shard: another shard charged them).
    bytes: AtomicIsize,
    /// Messages queued through this shard, ever.
    letters: AtomicU64,
}

impl HostMemory {
    /// A count of nothing, bounded by `limit` bytes.
    pub(crate) fn new(limit: usize) -> HostMemory {
        HostMemory { limit, shards: Default::default(), over: AtomicBool::new(false) }
    }

    /// Counts `bytes` more (never refused: see [`HostMemory::has_room`] for
    /// the check that comes first).
    #[inline]
    pub(crate) fn charge(&self, bytes: usize) {
        let bytes = isize::try_from(bytes).unwrap_or(isize::MAX);
        let before = self.shards[my_shard()].bytes.fetch_add(bytes, Ordering::Relaxed);
        self.note(before, before.saturating_add(bytes));
    }

    /// Counts a message queued in a mailbox, of `bytes`.
    #[inline]
    pub(crate) fn charge_letter(&self, bytes: usize) {
        let shard = &self.shards[my_shard()];
        shard.letters.fetch_add(1, Ordering::Relaxed);
        let bytes = isize::try_from(bytes).unwrap_or(isize::MAX);
        let before = shard.bytes.fetch_add(bytes, Ordering::Relaxed);
        self.note(before, before.saturating_add(bytes));
    }

    /// Messages queued in mailboxes since the node started.
    pub(crate) fn letters(&self) -> u64 {
        self.shards.iter().map(|shard| shard.letters.load(Ordering::Relaxed)).sum()
    }

    /// Counts `bytes` fewer.
    #[inline]
    pub(crate) fn release(&self, bytes: usize) {
        let bytes = isize::try_from(bytes).unwrap_or(isize::MAX);
        let before = self.shards[my_shard()].bytes.fetch_sub(bytes, Ordering::Relaxed);
        self.note(before, before.saturating_sub(bytes));
    }

    /// Whether the node may hold `bytes` more for a guest that asks. A
    /// request of [`SLACK`] or more is checked against the exact count.
    #[inline]
    pub(crate) fn has_room(&self, bytes: usize) -> bool {
        if bytes < SLACK {
            return !self.over.load(Ordering::Relaxed);
        }
        self.used().saturating_add(bytes) <= self.limit
    }

    /// The bytes counted now (the shards summed).
    pub(crate) fn used(&self) -> usize {
        let total: isize = self.shards.iter().map(|shard| shard.bytes.load(Ordering::Relaxed)).sum();
        usize::try_from(total).unwrap_or(0)
    }

    /// After a shard went from `before` to `after`: if it crossed a
    /// multiple of [`SLACK`], sums the shards and sets the flag.
    #[inline]
    fn note(&self, before: isize, after: isize) {
        let slack_bits = SLACK.trailing_zeros();
        if before >> slack_bits != after >> slack_bits {
            self.recount();
        }
    }

    #[cold]
    fn recount(&self) {
        let used = self.used();
        let over = used > self.limit;
        if self.over.swap(over, Ordering::Relaxed) != over {
            if over {
                tracing::warn!(
                    used,
                    limit = self.limit,
                    "host memory held for guests is over the bound: guests' sends, timers, spawns and table writes get ERR_LIMIT"
                );
            } else {
                tracing::info!(used, limit = self.limit, "host memory held for guests is back under the bound");
            }
        }
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::{HostMemory, SLACK};

    #[test]
    fn the_count_follows_charges_and_releases() {
        let memory = HostMemory::new(10 * SLACK);
        memory.charge(100);
        memory.charge(SLACK);
        memory.release(50);
        assert_eq!(memory.used(), SLACK + 50);
        assert!(memory.has_room(100));
    }

    #[test]
    fn past_the_bound_small_and_large_requests_are_refused() {
        let memory = HostMemory::new(4 * SLACK);
        for _ in 0..5 {
            memory.charge(SLACK);
        }
        assert!(!memory.has_room(1), "over the bound: the flag says so");
        assert!(!memory.has_room(2 * SLACK), "a large request is checked exactly");
        for _ in 0..3 {
            memory.release(SLACK);
        }
        assert!(memory.has_room(1), "back under the bound");
        assert!(memory.has_room(2 * SLACK));
        assert!(!memory.has_room(3 * SLACK));
    }

    #[test]
    fn charges_and_releases_on_other_threads_add_up() {
        let memory = std::sync::Arc::new(HostMemory::new(usize::MAX));
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let memory = memory.clone();
                std::thread::spawn(move || {
                    for _ in 0..1000 {
                        memory.charge(3000);
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        for _ in 0..2000 {
            memory.release(3000);
        }
        assert_eq!(memory.used(), 2000 * 3000);
    }
}
