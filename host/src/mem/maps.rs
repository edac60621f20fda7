//! Memory mappings, a resource the kernel caps per OS process
//! (`vm.max_map_count`). The dense layout costs no mapping per process; the
//! guarded layout costs a few (a linear memory's reservation and guard
//! regions, a fiber stack and its guard page). Once the kernel's cap is
//! reached every `mmap` and even `munmap` can fail, so the guarded layout
//! reserves its share at spawn ([`MapReservation::take`]): a spawn beyond
//! it is refused (`ERR_LIMIT`) instead of failing later, in the middle of an
//! instantiation or a teardown.
//!
//! The reservations of every node of the OS process count against one
//! budget: the kernel's cap, less a headroom for what is not a process (the
//! host's code and libraries, thread stacks, malloc arenas, compiled
//! modules, the dense layout's regions).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Mappings a guarded-layout process may cost, rounded up from what one
/// costs (a linear memory: its reservation and guard regions; a fiber
/// stack: the stack and its guard page).
pub(crate) const PER_GUARDED_PROCESS: usize = 5;
/// Mappings kept out of the budget, for what is not a process.
const HEADROOM: usize = 8192;
/// The kernel's default cap, used when it cannot be read.
const DEFAULT_MAX_MAP_COUNT: usize = 65_530;

/// Mappings reserved by live guarded-layout processes, on all nodes.
static RESERVED: AtomicUsize = AtomicUsize::new(0);

/// The mappings processes may reserve in all: the kernel's cap, less the
/// headroom (read once).
fn budget() -> usize {
    static BUDGET: OnceLock<usize> = OnceLock::new();
    *BUDGET.get_or_init(|| {
        let cap = std::fs::read_to_string("/proc/sys/vm/max_map_count")
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(DEFAULT_MAX_MAP_COUNT);
        cap.saturating_sub(HEADROOM)
    })
}

/// How many guarded-layout processes the budget holds in all.
pub(crate) fn guarded_capacity() -> usize {
    budget() / PER_GUARDED_PROCESS
}

/// A guarded-layout process's share of the mapping budget, given back when
/// it is dropped (with the process's state). The default holds none (the
/// dense layout's processes).
#[derive(Default)]
pub(crate) struct MapReservation(bool);

impl MapReservation {
    /// A share for one more guarded-layout process, if the budget has room.
    pub(crate) fn take() -> Option<MapReservation> {
        Self::take_from(&RESERVED, budget()).then_some(MapReservation(true))
    }

    /// Reserves a process's share of `budget` in `reserved`; whether it fit.
    fn take_from(reserved: &AtomicUsize, budget: usize) -> bool {
        reserved
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |now| {
                now.checked_add(PER_GUARDED_PROCESS).filter(|&next| next <= budget)
            })
            .is_ok()
    }
}

impl Drop for MapReservation {
    fn drop(&mut self) {
        if self.0 {
            RESERVED.fetch_sub(PER_GUARDED_PROCESS, Ordering::Relaxed);
        }
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::{MapReservation, PER_GUARDED_PROCESS};
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn shares_are_taken_until_the_budget_is_spent() {
        let reserved = AtomicUsize::new(0);
        let budget = PER_GUARDED_PROCESS * 3 + 1;
        let taken = (0..5).filter(|_| MapReservation::take_from(&reserved, budget)).count();
        assert_eq!(taken, 3);
        assert_eq!(reserved.load(Ordering::Relaxed), PER_GUARDED_PROCESS * 3);
    }

    #[test]
    fn a_dense_layout_process_holds_no_share_and_costs_a_byte() {
        assert_eq!(size_of::<MapReservation>(), 1);
        drop(MapReservation::default());
    }
}
