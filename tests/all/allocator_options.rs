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

/// The patched allocator faults a fresh small page in whole when it first
/// hands it out (`vendor/README.md`): what it hands out must still be what
/// was asked for. Zeroed blocks from fresh pages read as zero, and every
/// block keeps what was written to it, across far more small pages than a
/// thread had (64 KiB each), on a thread of its own (fresh pages only).
#[test]
fn blocks_from_fresh_small_pages_read_as_zero_when_asked_and_keep_what_is_written() {
    std::thread::spawn(|| {
        const BLOCK: usize = 1000;
        const BLOCKS: usize = 40_000;
        let layout = std::alloc::Layout::from_size_align(BLOCK, 8).expect("a valid layout");
        let blocks: Vec<*mut u8> = (0..BLOCKS)
            .map(|i| {
                // SAFETY: a non-zero size; freed below with the same layout.
                let block =
                    unsafe { if i % 2 == 0 { std::alloc::alloc_zeroed(layout) } else { std::alloc::alloc(layout) } };
                assert!(!block.is_null(), "allocation {i} failed");
                if i % 2 == 0 {
                    // SAFETY: `block` holds BLOCK bytes.
                    assert!(unsafe { std::slice::from_raw_parts(block, BLOCK) }.iter().all(|&b| b == 0), "block {i}");
                }
                // SAFETY: as above.
                unsafe { std::ptr::write_bytes(block, (i % 251) as u8, BLOCK) };
                block
            })
            .collect();
        for (i, &block) in blocks.iter().enumerate() {
            // SAFETY: as above; each block is freed once.
            unsafe {
                assert!(std::slice::from_raw_parts(block, BLOCK).iter().all(|&b| b == (i % 251) as u8), "block {i}");
                std::alloc::dealloc(block, layout);
            }
        }
    })
    .join()
    .expect("the allocating thread");
}
