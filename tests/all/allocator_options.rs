//! The allocator's options (`src/allocator.rs`), as the binary, the tests
//! and the benches run with them.

use crate::allocator::{ALLOCATIONS_PER_COLLECTION, GENERIC_COLLECT};
use libmimalloc_sys::mi_option_get;

/// The option set before `main` is the one meant: the options after it in
/// mimalloc v3's list have their documented defaults (`page_full_retain`
/// 2, `page_max_candidates` 4), and it holds the value set.
#[test]
fn the_collection_interval_is_set_at_its_place_in_mimallocs_options() {
    // SAFETY: reads integer options.
    let (set, retain, candidates) = unsafe {
        (mi_option_get(GENERIC_COLLECT), mi_option_get(GENERIC_COLLECT + 2), mi_option_get(GENERIC_COLLECT + 3))
    };
    assert_eq!((retain, candidates), (2, 4), "mimalloc's option list moved: find mi_option_generic_collect again");
    assert_eq!(set, ALLOCATIONS_PER_COLLECTION);
}
