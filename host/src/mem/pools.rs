//! A node's dense pools (fiber stacks and linear memories) and the thread
//! that keeps their warm reserves filled.
//!
//! A never-used slot costs its first user a page fault per page it touches
//! (a trap, a page allocated and zeroed): a new process touched a fresh
//! stack page and a fresh memory page, which were a third of what a spawn
//! that stays alive cost. The warmer thread faults those pages in ahead of
//! need (see `SlotPool::warm_up`) at the kernel's idle priority, so it
//! runs only on a core that has nothing else to do: a burst of spawns (a
//! supervisor starting its children, a tree being built) finds them ready
//! while another core is free, and pays as before when none is.
//!
//! A memory whose instance will not touch its first page (its module's data
//! segments leave that page alone: a Rust guest's shadow stack, or a module
//! without data) takes no warm slot: its resident page would cost memory
//! for nothing (`memory::next_memory_leaves_first_page`).
//!
//! A thread of its own rather than a scheduler thread with nothing to run:
//! a scheduler woken for the warming looked for work first and stole the
//! process just spawned, so a chain of spawns hopped between cores.

use super::memory::DenseMemories;
use super::stack::DenseStacks;
use crossbeam_utils::sync::{Parker, Unparker};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

/// Slots made ready per pool between looks at the stop flag.
const WARM_BATCH: usize = 32;

/// The stacks and memories of a node in the dense layout.
pub(crate) struct DensePools {
    /// Fiber stacks.
    pub(crate) stacks: Arc<DenseStacks>,
    /// Linear memories.
    pub(crate) memories: Arc<DenseMemories>,
    warmer: Option<Warmer>,
}

/// The warmer thread and how to wake and stop it.
struct Warmer {
    unparker: Unparker,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl DensePools {
    /// The pools, and their warmer thread (none if the thread cannot be
    /// made: spawns then fault their pages in themselves).
    pub(crate) fn new(stacks: Arc<DenseStacks>, memories: Arc<DenseMemories>) -> DensePools {
        let warmer = Warmer::start(stacks.clone(), memories.clone())
            .inspect_err(|error| tracing::warn!(%error, "no warmer thread: spawns fault their pages in"))
            .ok();
        DensePools { stacks, memories, warmer }
    }

    /// After a spawn: wakes the warmer if a reserve runs low. Two relaxed
    /// loads when it does not.
    pub(crate) fn after_spawn(&self) {
        if let Some(warmer) = &self.warmer
            && (self.stacks.pool().wants_warming() || self.memories.smallest().wants_warming())
        {
            warmer.unparker.unpark();
        }
    }
}

impl Drop for DensePools {
    fn drop(&mut self) {
        if let Some(warmer) = self.warmer.take() {
            warmer.stop.store(true, Ordering::Release);
            warmer.unparker.unpark();
            // The warmer only faults pages in: it stops within a batch.
            let _ = warmer.thread.join();
        }
    }
}

impl Warmer {
    fn start(stacks: Arc<DenseStacks>, memories: Arc<DenseMemories>) -> std::io::Result<Warmer> {
        let parker = Parker::new();
        let unparker = parker.unparker().clone();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::Builder::new().name("warren-warm".into()).spawn(move || {
            run_at_idle_priority();
            while !stopped.load(Ordering::Acquire) {
                // Both pools, a batch each, until both are full (or cannot
                // grow); then sleep until a spawn finds one low.
                let stacks_want = stacks.pool().warm_up(WARM_BATCH);
                let memories_want = memories.smallest().warm_up(WARM_BATCH);
                if !stacks_want && !memories_want {
                    parker.park();
                }
            }
        })?;
        Ok(Warmer { unparker, stop, thread })
    }
}

/// Asks the kernel to run this thread only when a core would otherwise be
/// idle (`SCHED_IDLE`). Where it cannot, the thread runs at normal priority:
/// the warming is then done sooner, at the schedulers' expense.
fn run_at_idle_priority() {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: pid 0 is this thread; `param` is a valid sched_param.
        let failed = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } != 0;
        if failed {
            tracing::debug!(error = %std::io::Error::last_os_error(), "the warmer runs at normal priority");
        }
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;
    use crate::mem::region::WARM_HIGH;
    use std::time::{Duration, Instant};

    #[test]
    fn the_warmer_fills_both_reserves_refills_them_after_spawns_and_stops_with_the_pools() {
        let pools = DensePools::new(DenseStacks::new(64 << 10), DenseMemories::new(1 << 20));
        let full = |pools: &DensePools| {
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                let warm = (pools.stacks.pool().warm_slots(), pools.memories.smallest().warm_slots());
                if warm == (WARM_HIGH, WARM_HIGH) {
                    return warm;
                }
                assert!(Instant::now() < deadline, "the reserves are not full after 20 s");
                std::thread::sleep(Duration::from_millis(5));
            }
        };
        let (stacks, _) = full(&pools);
        // Spawns take from the reserves until they run low; the warmer,
        // woken by the spawn that sees it, fills them again.
        let taken: Vec<usize> = (0..stacks).map(|_| pools.stacks.pool().acquire().expect("stack")).collect();
        assert!(pools.stacks.pool().wants_warming());
        pools.after_spawn();
        assert_eq!(full(&pools).0, stacks);
        assert!(taken.iter().all(|&base| base != 0));
        // Dropping the pools stops and joins the warmer (the test would hang).
        drop(pools);
    }
}
