//! Which pages of a range hold bytes of their own: the kernel's answer, for
//! the resets of recycled memories, the zeroing of retired slots and the
//! freezes of hibernation, which write or read only those pages.
//!
//! Linux 6.7 and later answer with the `PAGEMAP_SCAN` ioctl of
//! `/proc/self/pagemap`: it lists the pages that match as runs, and its
//! walk of the page tables costs about a third of `mincore`'s per page
//! (which calls a function for every page without a page-table entry, and
//! copies its answer through a page the kernel allocates for each call). A reset batch
//! asks about spans of hundreds of pages, most of them never touched, so
//! the walk was most of a query's cost. Older kernels get `mincore`.
//!
//! The scan also names pages swapped out, which `mincore` reports as not
//! resident: their bytes still exist (a read swaps them back in), so they
//! count as resident here, and a reset zeroes them.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

/// Fills `resident` (a byte per page of `base..base + len`, `base`
/// page-aligned, `len` a multiple of the page size and `resident` that many
/// pages long) with 1 for each page that holds bytes of its own (present,
/// or swapped out) and 0 for the others, which read as zero in the
/// anonymous mappings this module is asked about. Returns false if the
/// kernel could not say (the contents of `resident` are then unspecified).
pub(crate) fn query(base: usize, len: usize, resident: &mut [u8]) -> bool {
    #[cfg(target_os = "linux")]
    if let Some(answered) = scan::query(base, len, resident) {
        return answered;
    }
    // SAFETY: mincore only reads the page tables of the range and writes a
    // byte per page into `resident`, which has room for them (the caller's
    // contract).
    let answered = unsafe { libc::mincore(base as *mut libc::c_void, len, resident.as_mut_ptr()) } == 0;
    // The kernel may set other bits; only the lowest one says resident.
    resident.iter_mut().for_each(|r| *r &= 1);
    answered
}

/// The widest gap, in pages, between two ranges that one query should
/// span. A query costs about as much as a walk of a few hundred pages with
/// the scan, of a hundred or so with `mincore`; ranges far apart (slots of
/// the same pool handed out at different times) would make one query walk
/// thousands of pages that are none of theirs.
pub(crate) fn widest_gap_pages() -> usize {
    #[cfg(target_os = "linux")]
    if !scan::REFUSED.load(Ordering::Relaxed) {
        return 256;
    }
    64
}

#[cfg(target_os = "linux")]
mod scan {
    use super::*;
    use std::os::fd::{AsRawFd, OwnedFd};

    /// `struct page_region` of `linux/fs.h`: a run of pages with the same
    /// categories.
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct PageRegion {
        start: u64,
        end: u64,
        categories: u64,
    }

    /// `struct pm_scan_arg` of `linux/fs.h`.
    #[repr(C)]
    struct PmScanArg {
        size: u64,
        flags: u64,
        start: u64,
        end: u64,
        walk_end: u64,
        vec: u64,
        vec_len: u64,
        max_pages: u64,
        category_inverted: u64,
        category_mask: u64,
        category_anyof_mask: u64,
        return_mask: u64,
    }

    const PAGE_IS_PRESENT: u64 = 1 << 3;
    const PAGE_IS_SWAPPED: u64 = 1 << 4;
    /// `_IOWR('f', 16, struct pm_scan_arg)`.
    const PAGEMAP_SCAN: u64 = (3 << 30) | ((size_of::<PmScanArg>() as u64) << 16) | ((b'f' as u64) << 8) | 16;
    /// Runs read per call: a span holds at most half as many runs as pages,
    /// and a full list is followed by another call from where it stopped.
    const RUNS: usize = 256;

    /// This process's `/proc/self/pagemap`, and the pid it was opened for
    /// (`None` where it cannot be opened).
    static PAGEMAP: OnceLock<Option<(i32, OwnedFd)>> = OnceLock::new();
    /// Set once the kernel refused the scan for good (older than 6.7).
    pub(super) static REFUSED: AtomicBool = AtomicBool::new(false);

    /// [`super::query`] with `PAGEMAP_SCAN`; `None` where the scan cannot
    /// be used (the caller asks `mincore`).
    pub(super) fn query(base: usize, len: usize, resident: &mut [u8]) -> Option<bool> {
        if REFUSED.load(Ordering::Relaxed) {
            return None;
        }
        // SAFETY: getpid has no preconditions.
        let pid = unsafe { libc::getpid() };
        let pagemap = PAGEMAP.get_or_init(|| {
            let file = std::fs::File::open("/proc/self/pagemap").ok()?;
            Some((pid, OwnedFd::from(file)))
        });
        // In a forked child the file describes the parent's memory.
        let (_, pagemap) = pagemap.as_ref().filter(|(opened_for, _)| *opened_for == pid)?;
        let page = super::super::region::page_size();
        resident.fill(0);
        let mut runs = [PageRegion::default(); RUNS];
        let (mut start, end) = (base as u64, (base + len) as u64);
        while start < end {
            let mut arg = PmScanArg {
                size: size_of::<PmScanArg>() as u64,
                flags: 0,
                start,
                end,
                walk_end: 0,
                vec: runs.as_mut_ptr() as u64,
                vec_len: RUNS as u64,
                max_pages: 0,
                category_inverted: 0,
                category_mask: 0,
                category_anyof_mask: PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
                return_mask: PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
            };
            // SAFETY: the ioctl reads `arg` and writes `arg.walk_end` and at
            // most `vec_len` runs into `runs`; it only reads page tables.
            let found = unsafe { libc::ioctl(pagemap.as_raw_fd(), PAGEMAP_SCAN as libc::Ioctl, &mut arg) };
            let Ok(found) = usize::try_from(found) else {
                // No such ioctl (ENOTTY) or not this argument (EINVAL): for
                // good. Anything else: `mincore` for this query only.
                let errno = std::io::Error::last_os_error().raw_os_error();
                if matches!(errno, Some(libc::ENOTTY | libc::EINVAL)) {
                    REFUSED.store(true, Ordering::Relaxed);
                }
                return None;
            };
            for run in &runs[..found.min(RUNS)] {
                // Runs lie inside the range asked about; clamped anyway.
                let first = (run.start.max(base as u64) - base as u64) as usize / page;
                let last = ((run.end.min(end) - base as u64) as usize).div_ceil(page);
                resident[first..last.max(first)].fill(1);
            }
            if arg.walk_end <= start || arg.walk_end > end {
                // The walk stopped without progress, or out of the range:
                // `mincore` answers instead.
                return None;
            }
            start = arg.walk_end;
        }
        Some(true)
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;

    #[test]
    fn pages_written_are_resident_and_pages_only_reserved_are_not() {
        let page = crate::mem::region::page_size();
        let pages = 600;
        // SAFETY: a fresh private anonymous mapping, unmapped below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                pages * page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED);
        let base = base as usize;
        // Scattered pages and runs, more runs than one scan call reads.
        let written: Vec<usize> = (0..pages).filter(|i| i % 2 == 0 || (100..140).contains(i)).collect();
        for &i in &written {
            // SAFETY: inside the mapping.
            unsafe { std::ptr::write_volatile((base + i * page) as *mut u8, 1) };
        }
        let mut resident = vec![7u8; pages];
        assert!(query(base, pages * page, &mut resident));
        let expected: Vec<u8> = (0..pages).map(|i| u8::from(written.contains(&i))).collect();
        assert_eq!(resident, expected);
        // The same answer as `mincore`'s, where the scan was used.
        let mut told = vec![0u8; pages];
        // SAFETY: the range is the mapping's; `told` has a byte per page.
        assert_eq!(unsafe { libc::mincore(base as *mut libc::c_void, pages * page, told.as_mut_ptr()) }, 0);
        told.iter_mut().for_each(|r| *r &= 1);
        assert_eq!(told, expected);
        // A part of the range, starting at a page not resident.
        let mut part = vec![7u8; 50];
        assert!(query(base + 101 * page, 50 * page, &mut part));
        assert_eq!(part, expected[101..151]);
        // SAFETY: the mapping made above, no longer used.
        unsafe { libc::munmap(base as *mut libc::c_void, pages * page) };
    }
}
