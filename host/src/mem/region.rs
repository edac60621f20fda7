//! Large reserved address-space regions carved into equal slots.
//!
//! The kernel limits the number of memory mappings a process may have
//! (`vm.max_map_count`, 65530 by default). A mapping per process (or two,
//! with guard pages) stops a node at a few tens of thousands of processes.
//! A [`SlotPool`] maps address space in large chunks (one mapping each,
//! readable and writable, reserved lazily by the kernel: `MAP_NORESERVE`)
//! and hands out fixed-size slots from them, so a million processes cost a
//! few thousand mappings in all. Pages become resident only when touched.

use super::free_list::{self, ShardedFreeList};
use super::residency;
use crossbeam_utils::CachePadded;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A memory's or stack's pointer back to the pools it came from, with no
/// reference count: cloning an `Arc` of the pools for every process made
/// every spawn and exit bump one counter shared by all scheduler threads.
///
/// Sound because of who owns what: pools belong to a creator wasmtime keeps
/// in its `Engine`; memories and stacks live in a `Store`, and every store
/// holds its engine. So the pools outlive everything that points to them.
pub(crate) struct PoolsRef<T>(std::ptr::NonNull<T>);

// SAFETY: a shared reference to a `Sync` value may be sent and shared.
unsafe impl<T: Sync> Send for PoolsRef<T> {}
// SAFETY: as above.
unsafe impl<T: Sync> Sync for PoolsRef<T> {}

impl<T> PoolsRef<T> {
    /// # Safety
    /// `pools` must outlive the returned value (see the type's docs).
    pub(crate) unsafe fn new(pools: &T) -> PoolsRef<T> {
        PoolsRef(std::ptr::NonNull::from(pools))
    }

    /// The pools.
    pub(crate) fn get(&self) -> &T {
        // SAFETY: the constructor's contract keeps the pools alive.
        unsafe { self.0.as_ref() }
    }
}

/// Bytes of address space mapped at once, at least.
const CHUNK_BYTES: usize = 256 << 20;

/// Bytes of never-used slots a thread takes from a chunk at once (at least
/// one slot). A thread's processes then have neighbouring slots, so one
/// `MADV_DONTNEED` releases many idle stacks, and one that spans a whole
/// 2 MiB-aligned block frees that block's page table too (see
/// `process::trim_stacks`). With slots dealt one at a time to threads in
/// turn, no thread's stacks were adjacent.
const RUN_BYTES: usize = 8 << 20;

/// A pool of equal, page-aligned slots of address space.
pub(crate) struct SlotPool {
    slot_size: usize,
    slots_per_chunk: usize,
    slots_per_run: usize,
    /// Slots given back, most recent last (reused first: they are warm).
    free: ShardedFreeList<usize>,
    /// Never-used slots whose first-touched page is resident already (see
    /// [`SlotPool::warm_up`]), taken before fresh ones.
    warm: Mutex<Vec<usize>>,
    /// The length of `warm`, read without its lock.
    warm_len: AtomicUsize,
    /// Where in a slot its user touches first (the page `warm_up` makes
    /// resident), if the pool keeps a warm reserve.
    first_touch: Option<usize>,
    /// Each thread's run of never-used slots, by its free-list shard.
    runs: [CachePadded<Mutex<Fresh>>; free_list::SHARDS],
    /// What the runs have not taken of the current chunk.
    chunk: Mutex<Fresh>,
}

/// A warm reserve below this many slots asks for warming up
/// ([`SlotPool::wants_warming`]).
const WARM_LOW: usize = 64;
/// [`SlotPool::warm_up`] fills the reserve to this many slots: one page each
/// stays resident while they wait (a few MiB for the node at most).
pub(crate) const WARM_HIGH: usize = 512;

/// The next never-used slot of a range, and the range's end.
#[derive(Clone, Copy, Default)]
struct Fresh {
    bump: usize,
    end: usize,
}

impl SlotPool {
    /// A pool of slots of `slot_size` bytes (a multiple of the page size).
    pub(crate) fn new(slot_size: usize) -> SlotPool {
        let slots_per_chunk = (CHUNK_BYTES / slot_size).max(4);
        let slots_per_run = (RUN_BYTES / slot_size).clamp(1, slots_per_chunk);
        SlotPool {
            slot_size,
            slots_per_chunk,
            slots_per_run,
            free: Default::default(),
            warm: Mutex::default(),
            warm_len: AtomicUsize::new(0),
            first_touch: None,
            runs: Default::default(),
            chunk: Mutex::default(),
        }
    }

    /// The pool keeps a reserve of never-used slots whose page at `offset`
    /// (page-aligned, inside a slot) is resident: the page every user of a
    /// slot touches first (a stack's top, a memory's first page).
    ///
    /// A fresh page costs its first toucher a page fault (a trap, a page
    /// allocated and zeroed); the warmer thread (`pools.rs`) faults the
    /// reserve in ahead of need with [`SlotPool::warm_up`].
    pub(crate) fn with_warm_reserve(mut self, offset: usize) -> SlotPool {
        debug_assert!(offset.is_multiple_of(page_size()) && offset < self.slot_size);
        self.first_touch = Some(offset);
        self
    }

    /// The size of every slot.
    pub(crate) fn slot_size(&self) -> usize {
        self.slot_size
    }

    /// A slot's base address. A never-used slot reads as zero; a reused one
    /// holds what its last owner left (see [`SlotPool::release`]).
    pub(crate) fn acquire(&self) -> Result<usize, String> {
        if let Some(base) = self.free.pop() {
            return Ok(base);
        }
        if self.warm_len.load(Ordering::Relaxed) > 0 {
            let mut warm = self.warm.lock().unwrap_or_else(|e| e.into_inner());
            let base = warm.pop();
            self.warm_len.store(warm.len(), Ordering::Relaxed);
            if let Some(base) = base {
                return Ok(base);
            }
        }
        self.acquire_fresh()
    }

    /// A slot as [`SlotPool::acquire`] gives, but never one of the warm
    /// reserve: for a user that will not touch the reserve's resident
    /// page, which would then cost memory for nothing.
    pub(crate) fn acquire_cold(&self) -> Result<usize, String> {
        match self.free.pop() {
            Some(base) => Ok(base),
            None => self.acquire_fresh(),
        }
    }

    /// A never-used slot from this thread's run.
    fn acquire_fresh(&self) -> Result<usize, String> {
        let mut run = self.runs[free_list::my_shard()].lock().unwrap_or_else(|e| e.into_inner());
        if run.bump == run.end {
            *run = self.take_run()?;
        }
        let base = run.bump;
        run.bump += self.slot_size;
        Ok(base)
    }

    /// How many slots the warm reserve holds.
    #[cfg(test)]
    pub(crate) fn warm_slots(&self) -> usize {
        self.warm_len.load(Ordering::Relaxed)
    }

    /// Whether the warm reserve runs low (always false for a pool without
    /// one). One relaxed load: spawns ask.
    pub(crate) fn wants_warming(&self) -> bool {
        self.first_touch.is_some() && self.warm_len.load(Ordering::Relaxed) < WARM_LOW
    }

    /// Adds up to `batch` never-used slots to the warm reserve, with their
    /// first-touched page made resident, unless the reserve is full. Returns
    /// whether it wants more: false when full, and when no slot could be
    /// had (the pool's address space cannot grow).
    pub(crate) fn warm_up(&self, batch: usize) -> bool {
        let Some(offset) = self.first_touch else { return false };
        let wanted = WARM_HIGH.saturating_sub(self.warm_len.load(Ordering::Relaxed)).min(batch);
        let mut made = Vec::with_capacity(wanted);
        for _ in 0..wanted {
            let Ok(base) = self.acquire_fresh() else { break };
            make_resident(base + offset);
            made.push(base);
        }
        let complete = made.len() == wanted;
        let mut warm = self.warm.lock().unwrap_or_else(|e| e.into_inner());
        // Taken last first: the batch's lowest address goes out first.
        warm.extend(made.into_iter().rev());
        self.warm_len.store(warm.len(), Ordering::Relaxed);
        complete && warm.len() < WARM_HIGH
    }

    /// The next run of never-used slots, from a new chunk if need be.
    fn take_run(&self) -> Result<Fresh, String> {
        let mut chunk = self.chunk.lock().unwrap_or_else(|e| e.into_inner());
        if chunk.bump == chunk.end {
            let len = self.slot_size * self.slots_per_chunk;
            let base = map_region(len)?;
            *chunk = Fresh { bump: base, end: base + len };
        }
        // A chunk is whole slots, so a run is too.
        let run = Fresh { bump: chunk.bump, end: (chunk.bump + self.slot_size * self.slots_per_run).min(chunk.end) };
        chunk.bump = run.end;
        Ok(run)
    }

    /// Gives a slot back. Memories are zeroed first (a new memory must read
    /// as zero); stacks are not (wasmtime asks for zeroed stacks only when
    /// configured to, and `DenseStackCreator` zeroes them then).
    pub(crate) fn release(&self, base: usize) {
        self.free.push(base);
    }
}

/// Gives the never-used page at `addr` (inside a slot no one else holds)
/// a frame of its own: a write of the zero it reads as. A write's fault
/// was cheaper per page than `madvise(MADV_POPULATE_WRITE)` of that one
/// page (which walks the kernel's get-user-pages path for it); the warmer
/// keeps up with more spawns the cheaper a page is.
fn make_resident(addr: usize) {
    // SAFETY: the page is inside a slot that is ours (never used, not
    // handed out); writing the zero it already reads as makes the kernel
    // give it a page of its own.
    unsafe { std::ptr::write_volatile(addr as *mut u8, 0) };
}

/// Maps `len` bytes of zeroed, read-write, lazily committed address space.
fn map_region(len: usize) -> Result<usize, String> {
    // SAFETY: an anonymous private mapping at an address the kernel picks
    // touches no existing memory.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Err(format!("cannot reserve {} MiB of address space: {}", len >> 20, std::io::Error::last_os_error()));
    }
    Ok(ptr as usize)
}

/// Most pages whose residency `zero` asks the kernel about; larger ranges
/// are returned to the kernel whole.
const QUERY_PAGES: usize = 4096;
/// Up to this many resident bytes are zeroed by writing; beyond, the range
/// goes back to the kernel (a system call and a TLB flush, but no copying).
const WRITE_LIMIT: usize = 256 << 10;

/// Makes `len` bytes at `base` zero again. Only the pages that are resident
/// (touched) are written, so a slot stays as small as its process left it;
/// large ranges are returned to the kernel instead.
///
/// # Safety
/// `base..base + len` must lie in a mapping made by this module, `base`
/// page-aligned, and must not be in use.
pub(crate) unsafe fn zero(base: usize, len: usize) {
    // SAFETY: as the caller guarantees.
    unsafe { zero_all(&mut [(base, len)]) }
}

/// [`zero`] for many ranges (`(base, len)`, sorted here), with one residency
/// query for ranges that lie close together: each query is a system call
/// that takes the address space's lock, which scheduler threads share.
///
/// # Safety
/// As for [`zero`], for every range.
pub(crate) unsafe fn zero_all(ranges: &mut [(usize, usize)]) {
    ranges.sort_unstable_by_key(|&(base, _)| base);
    let mut to_decommit = Vec::new();
    for_residency(ranges, |_, (base, len), resident| {
        // SAFETY: the caller owns the range.
        unsafe { zero_by_writing_or_decommit(base, len.next_multiple_of(page_size()), resident, &mut to_decommit) }
    });
    // SAFETY: as above; the ranges are page-aligned.
    unsafe { decommit_all(&to_decommit) };
}

/// Calls `visit(index, range, resident)` for each of `ranges` (`(base,
/// len)`, sorted by base), with a byte per page of it saying whether the
/// page is resident (lowest bit), or `None` where the kernel was not asked
/// (a range too large for one query) or could not say. One query covers
/// ranges that lie close together (see [`residency::widest_gap_pages`]).
pub(crate) fn for_residency(ranges: &[(usize, usize)], mut visit: impl FnMut(usize, (usize, usize), Option<&[u8]>)) {
    let page = page_size();
    let mut resident = [0u8; QUERY_PAGES];
    let mut first = 0;
    while first < ranges.len() {
        let span_base = ranges[first].0;
        // The ranges whose pages fit one query with the first.
        let mut span_end = span_base;
        let mut last = first;
        while let Some(&(base, len)) = ranges.get(last) {
            let end = base + len.next_multiple_of(page);
            if (end.max(span_end) - span_base) / page > QUERY_PAGES
                || (last > first && base.saturating_sub(span_end) / page > residency::widest_gap_pages())
            {
                break;
            }
            span_end = span_end.max(end);
            last += 1;
        }
        if last == first {
            // One range too large to ask about.
            visit(first, ranges[first], None);
            first += 1;
            continue;
        }
        let span_len = (span_end - span_base).next_multiple_of(page);
        let asked =
            span_base.is_multiple_of(page) && residency::query(span_base, span_len, &mut resident[..span_len / page]);
        for (index, &(base, len)) in ranges.iter().enumerate().take(last).skip(first) {
            let offset = (base - span_base) / page;
            let pages = len.div_ceil(page);
            visit(index, (base, len), asked.then(|| &resident[offset..offset + pages]));
        }
        first = last;
    }
}

/// Whether `resident` (from [`for_residency`]) lists few enough resident
/// pages to write them rather than return the range to the kernel.
pub(crate) fn few_enough_to_write(resident: &[u8]) -> bool {
    resident.iter().filter(|&&r| r & 1 != 0).count() * page_size() <= WRITE_LIMIT
}

/// Zeroes `base..base + len` given which of its pages are resident: writes
/// them if they are few, else adds the range to `to_decommit`, for the
/// caller to return to the kernel ([`decommit_all`]). With no residency
/// known, a page-aligned range goes back to the kernel and any other is
/// written whole.
///
/// # Safety
/// As for [`zero`]; `len` is a multiple of the page size, and `resident`,
/// if given, is this range's residency (a byte per page, as
/// [`for_residency`] gives it).
pub(crate) unsafe fn zero_by_writing_or_decommit(
    base: usize,
    len: usize,
    resident: Option<&[u8]>,
    to_decommit: &mut Vec<(usize, usize)>,
) {
    let page = page_size();
    match resident {
        Some(resident) if few_enough_to_write(resident) => {
            for (index, _) in resident.iter().enumerate().filter(|(_, r)| **r & 1 != 0) {
                let page_base = (base + index * page) as *mut u8;
                // SAFETY: the caller owns the range; the page is inside it
                // and resident, so reading it faults nothing in.
                let bytes = unsafe { std::slice::from_raw_parts_mut(page_base, page) };
                // A page only read so far maps the kernel's shared zero
                // page (a freeze reads small memories whole): writing it
                // would copy that page into one of the slot's own.
                if !is_zero(bytes) {
                    bytes.fill(0);
                }
            }
        }
        _ if base.is_multiple_of(page) => to_decommit.push((base, len)),
        // SAFETY: the caller owns the range.
        _ => unsafe { std::ptr::write_bytes(base as *mut u8, 0, len) },
    }
}

/// Which pages of `base..base + len` are resident, a byte per page: 1 if
/// resident, 0 if not (`None` if the kernel cannot say, e.g. `base` is not
/// page-aligned). Pages not resident read as zero in the anonymous mappings
/// memories live in.
pub(crate) fn resident_pages(base: usize, len: usize) -> Option<Vec<u8>> {
    let page = page_size();
    if !base.is_multiple_of(page) || len == 0 {
        return None;
    }
    let pages = len.div_ceil(page);
    let mut resident = vec![0u8; pages];
    residency::query(base, pages * page, &mut resident).then_some(resident)
}

/// Returns the pages of `base..base + len` to the kernel (they read as zero
/// afterwards).
///
/// # Safety
/// As for [`zero`].
pub(crate) unsafe fn decommit(base: usize, len: usize) {
    // SAFETY: the caller owns the range.
    unsafe {
        libc::madvise(base as *mut libc::c_void, len, libc::MADV_DONTNEED);
    }
}

/// [`decommit`] for many ranges (`(base, len)`, each page-aligned), in as
/// few system calls as the kernel allows: one `process_madvise(2)` on this
/// process for up to [`IOV_MAX`] ranges. Each `madvise(MADV_DONTNEED)` that
/// unmaps pages makes the kernel flush the TLB of every core that runs this
/// process, an inter-processor interrupt (costly in a VM, where the other
/// core is a vCPU running another scheduler thread); `process_madvise`
/// (on this process since Linux 6.13) flushes once per call. Where the
/// kernel refuses it, one `madvise` per range, as before.
///
/// # Safety
/// As for [`zero`], for every range.
pub(crate) unsafe fn decommit_all(ranges: &[(usize, usize)]) {
    for chunk in ranges.chunks(IOV_MAX) {
        if let [(base, len)] = chunk {
            // SAFETY: as the caller guarantees.
            unsafe { decommit(*base, *len) };
            continue;
        }
        // SAFETY: as the caller guarantees.
        if !unsafe { batch_decommit(chunk) } {
            for &(base, len) in chunk {
                // SAFETY: as the caller guarantees.
                unsafe { decommit(base, len) };
            }
        }
    }
}

/// Most ranges one `process_madvise` call takes (the kernel's `UIO_MAXIOV`).
const IOV_MAX: usize = 1024;

/// A pidfd of this process for `process_madvise`, and the pid it was
/// opened for (`None` where the kernel has none: plain `madvise` then).
static SELF_PIDFD: std::sync::OnceLock<Option<(i32, std::os::fd::OwnedFd)>> = std::sync::OnceLock::new();
/// Set once the kernel refused batches for good (older than 6.13:
/// `process_madvise` took no `MADV_DONTNEED`).
static BATCH_REFUSED: AtomicBool = AtomicBool::new(false);

/// Returns `ranges` to the kernel with one `process_madvise` call; false if
/// the kernel did not take all of them (the caller then uses `madvise`).
///
/// # Safety
/// As for [`decommit_all`].
#[cfg(target_os = "linux")]
unsafe fn batch_decommit(ranges: &[(usize, usize)]) -> bool {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
    if BATCH_REFUSED.load(Ordering::Relaxed) {
        return false;
    }
    // SAFETY: getpid has no preconditions.
    let pid = unsafe { libc::getpid() };
    let pidfd = SELF_PIDFD.get_or_init(|| {
        // SAFETY: pidfd_open takes a pid and flags; a non-negative result
        // is a new file descriptor we own.
        let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
        let fd = i32::try_from(fd).ok().filter(|&fd| fd >= 0)?;
        // SAFETY: as above.
        Some((pid, unsafe { OwnedFd::from_raw_fd(fd) }))
    });
    // In a forked child the pidfd names the parent: never advise another
    // process's memory.
    let Some((_, pidfd)) = pidfd.as_ref().filter(|(opened_for, _)| *opened_for == pid) else { return false };
    let iovecs: Vec<libc::iovec> =
        ranges.iter().map(|&(base, len)| libc::iovec { iov_base: base as *mut libc::c_void, iov_len: len }).collect();
    let total: usize = ranges.iter().map(|&(_, len)| len).sum();
    // SAFETY: the iovecs describe ranges the caller owns; the call only
    // reads them.
    let advised = unsafe {
        libc::syscall(
            libc::SYS_process_madvise,
            pidfd.as_raw_fd(),
            iovecs.as_ptr(),
            iovecs.len(),
            libc::MADV_DONTNEED,
            0u32,
        )
    };
    if usize::try_from(advised).ok() == Some(total) {
        return true;
    }
    // Refused for good (no such call, or not this advice on this process):
    // plain `madvise` from now on. Anything else (a transient error, fewer
    // bytes than asked) falls back for this batch only.
    let errno = std::io::Error::last_os_error().raw_os_error();
    if advised < 0 && matches!(errno, Some(libc::ENOSYS | libc::EINVAL | libc::EPERM | libc::EBADF)) {
        BATCH_REFUSED.store(true, Ordering::Relaxed);
    }
    false
}

#[cfg(not(target_os = "linux"))]
unsafe fn batch_decommit(_: &[(usize, usize)]) -> bool {
    false
}

/// Whether every byte of `bytes` is zero. ORs eight words at a time into
/// eight accumulators, which compiles to vector code: a fold over bytes
/// was much slower, and a scan that stops at the first non-zero byte goes
/// a byte at a time (both were most of the cost of a freeze, which reads
/// memories whole).
pub(crate) fn is_zero(bytes: &[u8]) -> bool {
    // Below a kilobyte the check for AVX2 costs more than it saves.
    if bytes.len() >= 1024 { with_avx2(|| is_zero_words(bytes)) } else { is_zero_words(bytes) }
}

/// Runs `scan` compiled for AVX2 where the CPU has it, as it is elsewhere:
/// 32-byte ORs read a page faster than the 16-byte ones of the x86-64
/// baseline. `scan` must inline whole (`#[inline(always)]` callees) for the
/// wider code to be made.
#[inline(always)]
fn with_avx2<R>(scan: impl FnOnce() -> R) -> R {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        #[target_feature(enable = "avx2")]
        unsafe fn compiled_for_avx2<R>(scan: impl FnOnce() -> R) -> R {
            scan()
        }
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { compiled_for_avx2(scan) };
    }
    scan()
}

/// [`is_zero`] for any target: the compiler vectorizes each stretch, and
/// the first stretch with a byte set ends the look (a page a process wrote
/// to is usually written near its start: reading it whole, cold, was most
/// of zeroing a dropped memory).
#[inline(always)]
fn is_zero_words(bytes: &[u8]) -> bool {
    /// Bytes ORed together between looks at the result.
    const STRETCH: usize = 512;
    bytes.chunks(STRETCH).all(|stretch| {
        let mut any = [0u64; 8];
        let mut chunks = stretch.chunks_exact(64);
        for chunk in &mut chunks {
            for (word, any) in chunk.chunks_exact(8).zip(&mut any) {
                *any |= u64::from_ne_bytes([word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7]]);
            }
        }
        let rest = chunks.remainder().iter().fold(0, |any, &byte| any | byte);
        any.iter().fold(0, |all, &word| all | word) == 0 && rest == 0
    })
}

/// Bytes per block of [`nonzero_blocks`].
pub(crate) const BLOCK: usize = 64;
/// The most bytes [`nonzero_blocks`] reads at once: 64 blocks.
pub(crate) const BLOCKS_SPAN: usize = 64 * BLOCK;

/// Which [`BLOCK`]-byte blocks of `bytes` (at most [`BLOCKS_SPAN`] bytes)
/// hold a non-zero byte: bit `i` for block `i`, a short last block included.
/// One pass over the bytes; a call per block cost much more.
pub(crate) fn nonzero_blocks(bytes: &[u8]) -> u64 {
    debug_assert!(bytes.len() <= BLOCKS_SPAN);
    with_avx2(|| nonzero_blocks_words(bytes))
}

/// [`nonzero_blocks`] for any target: the compiler vectorizes each block.
#[inline(always)]
fn nonzero_blocks_words(bytes: &[u8]) -> u64 {
    let mut mask = 0;
    let mut blocks = bytes.chunks_exact(BLOCK);
    for (index, block) in (&mut blocks).take(64).enumerate() {
        let mut words = [0u64; BLOCK / 8];
        for (word, bytes) in words.iter_mut().zip(block.chunks_exact(8)) {
            *word =
                u64::from_ne_bytes([bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7]]);
        }
        mask |= u64::from(words.iter().fold(0, |all, &word| all | word) != 0) << index;
    }
    let rest = blocks.remainder();
    if !rest.is_empty() && bytes.len() < BLOCKS_SPAN && rest.iter().any(|&byte| byte != 0) {
        mask |= 1 << (bytes.len() / BLOCK);
    }
    mask
}

/// The host's page size (asked once).
pub(crate) fn page_size() -> usize {
    static SIZE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *SIZE.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if size > 0 { size as usize } else { 4096 }
    })
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;

    #[test]
    fn a_threads_new_slots_are_adjacent_while_another_thread_takes_slots() {
        let page = page_size();
        let pool = SlotPool::new(16 * page);
        let my_shard = free_list::my_shard();
        let mut mine = vec![pool.acquire().expect("slot")];
        for _ in 0..3 {
            // A thread on a shard of its own (threads are dealt shards in
            // turn, and other tests make threads too) takes a slot.
            let took = (0..4 * free_list::SHARDS).any(|_| {
                std::thread::scope(|s| {
                    s.spawn(|| free_list::my_shard() != my_shard && pool.acquire().is_ok()).join().unwrap_or(false)
                })
            });
            assert!(took, "no thread got another shard");
            mine.push(pool.acquire().expect("slot"));
        }
        let steps: Vec<usize> = mine.windows(2).map(|pair| pair[1] - pair[0]).collect();
        assert_eq!(steps, [16 * page; 3], "slots {mine:x?}");
        // A slot given back is reused first.
        pool.release(mine[1]);
        assert_eq!(pool.acquire().expect("slot"), mine[1]);
    }

    #[test]
    fn warm_slots_are_handed_out_first_with_their_first_page_resident_and_zero() {
        let page = page_size();
        let plain = SlotPool::new(16 * page);
        assert!(!plain.wants_warming() && !plain.warm_up(8), "a pool without a reserve warms nothing");
        assert_eq!(plain.warm_slots(), 0);

        let pool = SlotPool::new(16 * page).with_warm_reserve(15 * page);
        assert!(pool.wants_warming());
        assert!(pool.warm_up(4), "a reserve of 4 wants more");
        assert_eq!(pool.warm_slots(), 4);
        let warm: Vec<usize> = (0..4).map(|_| pool.acquire().expect("slot")).collect();
        assert_eq!(pool.warm_slots(), 0);
        // In address order, each with its last page (a stack's top) resident.
        assert!(warm.windows(2).all(|pair| pair[1] == pair[0] + 16 * page), "{warm:x?}");
        for &slot in &warm {
            let resident = resident_pages(slot, 16 * page).expect("residency");
            assert_eq!(resident.iter().filter(|&&r| r == 1).count(), 1, "slot {slot:#x}");
            assert_eq!(resident[15], 1);
            // SAFETY: the slot is ours and 16 pages long.
            assert!(is_zero(unsafe { std::slice::from_raw_parts(slot as *const u8, 16 * page) }));
        }
        // The reserve fills up to its bound, and then stops asking.
        while pool.warm_up(64) {}
        assert_eq!(pool.warm_slots(), WARM_HIGH);
        assert!(!pool.wants_warming() && !pool.warm_up(64));
        // A slot given back still comes before the reserve.
        pool.release(warm[2]);
        assert_eq!(pool.acquire().expect("slot"), warm[2]);
        assert_eq!(pool.warm_slots(), WARM_HIGH);
    }

    #[test]
    fn the_block_mask_names_exactly_the_blocks_that_hold_a_non_zero_byte() {
        assert_eq!(nonzero_blocks(&[0; BLOCKS_SPAN]), 0);
        assert_eq!(nonzero_blocks(&[]), 0);
        for len in [BLOCKS_SPAN, BLOCKS_SPAN - 1, 100, 64, 63, 1] {
            for position in [0, 7, 63, 64, 65, 127, 2000, BLOCKS_SPAN - 1] {
                if position >= len {
                    continue;
                }
                let mut bytes = vec![0u8; len];
                bytes[position] = 0x80;
                assert_eq!(nonzero_blocks(&bytes), 1 << (position / BLOCK), "byte {position} of {len}");
            }
        }
        let mut bytes = vec![0u8; BLOCKS_SPAN];
        bytes[5] = 1;
        bytes[3 * BLOCK + 9] = 1;
        bytes[63 * BLOCK] = 1;
        assert_eq!(nonzero_blocks(&bytes), 1 | 1 << 3 | 1 << 63);
    }

    #[test]
    fn a_range_is_zero_only_if_every_byte_is() {
        assert!(is_zero(&[0; 4096]));
        assert!(is_zero(&[]));
        assert!(is_zero(&[0; 3]));
        // Short ranges, and pages (read with AVX2 where the CPU has it).
        for len in [1, 63, 64, 65, 130, 4096, 4096 + 33] {
            for position in (0..len).step_by(if len > 1000 { 37 } else { 1 }).chain([len - 1]) {
                let mut bytes = vec![0u8; len];
                bytes[position] = 0x80;
                assert!(!is_zero(&bytes), "byte {position} of {len}");
            }
        }
    }

    #[test]
    fn zero_all_clears_every_range_and_nothing_between() {
        let page = page_size();
        let pool = SlotPool::new(16 * page);
        let slots: Vec<usize> = (0..6).map(|_| pool.acquire().expect("slot")).collect();
        for &slot in &slots {
            // SAFETY: the slots are ours and 16 pages long.
            unsafe {
                std::ptr::write_bytes(slot as *mut u8, 0xAB, 3);
                std::ptr::write_bytes((slot + 5 * page + 7) as *mut u8, 0xCD, 2 * page);
            }
        }
        // Every other slot: the others keep their bytes.
        let mut ranges: Vec<(usize, usize)> = slots.iter().rev().step_by(2).map(|&s| (s, 16 * page)).collect();
        // SAFETY: the ranges are slots of ours that nothing else uses.
        unsafe { zero_all(&mut ranges) };
        for &slot in &slots {
            // SAFETY: as above.
            let bytes = unsafe { std::slice::from_raw_parts(slot as *const u8, 16 * page) };
            let cleared = ranges.iter().any(|&(base, _)| base == slot);
            let nonzero = bytes.iter().filter(|&&b| b != 0).count();
            assert_eq!(nonzero, if cleared { 0 } else { 3 + 2 * page }, "slot {slot:#x}");
        }
    }

    #[test]
    fn residency_is_told_per_range_for_ranges_near_and_far_apart() {
        let page = page_size();
        // Slots of 4 pages (one query spans neighbours) and of 200 pages
        // (ranges further apart than one query spans: a query each).
        for slot_pages in [4, 200] {
            let pool = SlotPool::new(slot_pages * page);
            let slots: Vec<usize> = (0..5).map(|_| pool.acquire().expect("slot")).collect();
            for (i, &slot) in slots.iter().enumerate() {
                // SAFETY: the slots are ours; page `i % 3` lies in each.
                unsafe { std::ptr::write_volatile((slot + (i % 3) * page) as *mut u8, 1) };
            }
            let mut ranges: Vec<(usize, usize)> = slots.iter().map(|&slot| (slot, 3 * page)).collect();
            ranges.sort_unstable();
            let mut seen = 0;
            for_residency(&ranges, |index, (base, len), resident| {
                assert_eq!((base, len), ranges[index]);
                let resident = resident.expect("asked");
                let i = slots.iter().position(|&slot| slot == base).expect("a slot");
                let flags: Vec<bool> = resident.iter().map(|r| r & 1 == 1).collect();
                let expected: Vec<bool> = (0..3).map(|p| p == i % 3).collect();
                assert_eq!(flags, expected, "slot {i} of {slot_pages} pages");
                seen += 1;
            });
            assert_eq!(seen, slots.len(), "every range visited once");
        }
    }

    #[test]
    fn decommit_all_returns_every_range_to_the_kernel_and_nothing_between() {
        let page = page_size();
        let pool = SlotPool::new(8 * page);
        let slots: Vec<usize> = (0..8).map(|_| pool.acquire().expect("slot")).collect();
        let fill = || {
            for &slot in &slots {
                // SAFETY: the slots are ours and 8 pages long.
                unsafe { std::ptr::write_bytes(slot as *mut u8, 0xEE, 8 * page) };
            }
        };
        // Pages 2..5 of every other slot, in one batch; then one range alone.
        for ranges in
            [slots.iter().step_by(2).map(|&s| (s + 2 * page, 3 * page)).collect::<Vec<_>>(), vec![(slots[1], page)]]
        {
            fill();
            // SAFETY: the ranges are pages of slots of ours that nothing else uses.
            unsafe { decommit_all(&ranges) };
            for &slot in &slots {
                let resident = resident_pages(slot, 8 * page).expect("residency");
                for (index, &flag) in resident.iter().enumerate() {
                    let address = slot + index * page;
                    let released = ranges.iter().any(|&(base, len)| (base..base + len).contains(&address));
                    // SAFETY: as above.
                    let bytes = unsafe { std::slice::from_raw_parts(address as *const u8, page) };
                    assert_eq!(flag & 1 == 0, released, "page {index} of slot {slot:#x}: resident {flag}");
                    assert!(if released { is_zero(bytes) } else { bytes.iter().all(|&b| b == 0xEE) });
                }
            }
        }
    }
}
