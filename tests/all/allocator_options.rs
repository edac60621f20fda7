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

/// While a thread takes fresh small pages, the slices just past each are
/// faulted in by the allocator's prefault thread before anyone asks for
/// them (resident, and recorded), and the fresh page later made of such a
/// slice is taken as faulted in (its record is used up); blocks read as
/// zero and keep what is written throughout.
#[test]
fn the_slices_past_a_growing_threads_fresh_pages_are_faulted_in_ahead_of_need() {
    // The other tests of this binary allocate from the same arena meanwhile:
    // one may take the slice and give it back (purged) between the record
    // and the look at its pages. A few tries, each on a fresh thread.
    let tries: Vec<String> = (0..5)
        .map_while(|_| match std::thread::spawn(slice_past_fresh_page_is_faulted_in).join() {
            Ok(Ok(())) => None,
            Ok(Err(why)) => Some(why),
            Err(_) => Some("the allocating thread panicked".to_string()),
        })
        .collect();
    assert!(tries.len() < 5, "every try failed: {tries:?}");
}

/// One try of the test above, on a thread of its own (its heap grows from
/// fresh pages); `Err` says why it failed.
fn slice_past_fresh_page_is_faulted_in() -> Result<(), String> {
    use crate::allocator::prefault::{SLICE, is_faulted_in, is_hinted};
    {
        const BLOCK: usize = 1000;
        let layout = std::alloc::Layout::from_size_align(BLOCK, 8).expect("a valid layout");
        let slice_of = |block: *mut u8| block as usize & !(SLICE - 1);
        let mut blocks = Vec::with_capacity(100_000);
        let allocate = |blocks: &mut Vec<*mut u8>| {
            // SAFETY: a non-zero size; freed below with the same layout.
            let block = unsafe { std::alloc::alloc_zeroed(layout) };
            assert!(!block.is_null());
            // SAFETY: `block` holds BLOCK zeroed bytes.
            assert!(unsafe { std::slice::from_raw_parts(block, BLOCK) }.iter().all(|&b| b == 0));
            // SAFETY: as above.
            unsafe { std::ptr::write_bytes(block, 0xA5, BLOCK) };
            blocks.push(block);
            block
        };
        // Blocks until one comes from a fresh page that sent a hint (a page
        // can also be one another thread left, which sends none); the slice
        // after it is the guess.
        let mut last = slice_of(allocate(&mut blocks));
        let next = loop {
            let slice = slice_of(allocate(&mut blocks));
            if slice != last {
                if is_hinted(slice + SLICE) || is_faulted_in(slice + SLICE) {
                    break slice + SLICE;
                }
                last = slice;
            }
            assert!(blocks.len() < 50_000, "no fresh page sent a hint");
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        while !is_faulted_in(next) {
            assert!(std::time::Instant::now() < deadline, "the slice after a fresh page was not faulted in");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let page = 4096;
        let mut resident = vec![0u8; SLICE / page];
        // SAFETY: mincore reads the page tables of an allocator's range and
        // writes one byte per page into `resident`, which has room.
        assert_eq!(unsafe { libc::mincore(next as *mut libc::c_void, SLICE, resident.as_mut_ptr()) }, 0);
        if !resident.iter().all(|&r| r & 1 == 1) {
            // Freed blocks first: the next try starts afresh.
            for &block in &blocks {
                // SAFETY: each block holds BLOCK bytes and is freed once.
                unsafe { std::alloc::dealloc(block, layout) };
            }
            return Err(format!("a page of the faulted-in slice {next:#x} is not resident: {resident:?}"));
        }
        // Growing on into that slice uses the record up (unless another
        // thread took the slice first: then this one goes past it).
        let mut reached = None;
        while reached.is_none() {
            let slice = slice_of(allocate(&mut blocks));
            if slice != last && slice >= next {
                reached = Some(slice);
            }
            assert!(blocks.len() < 100_000, "the thread never went past its page");
        }
        if reached == Some(next) {
            assert!(!is_faulted_in(next), "the fresh page made of the slice took it as faulted in");
        }
        for &block in &blocks {
            // SAFETY: each block holds BLOCK bytes and is freed once.
            unsafe {
                assert!(std::slice::from_raw_parts(block, BLOCK).iter().all(|&b| b == 0xA5));
                std::alloc::dealloc(block, layout);
            }
        }
        Ok(())
    }
}
