//! The process's global allocator: mimalloc, for the `warren` binary and,
//! included by path, for its benches and integration tests, so they measure
//! and test what users run.
//!
//! A node allocates a store, an instance and their parts for every process
//! it spawns, and frees them when the process ends, on every scheduler
//! thread. glibc's per-thread arenas grew their heap a page at a time, with
//! an `mprotect(2)` each on the address space's lock (about one per spawn);
//! mimalloc takes fresh memory a segment at a time and keeps free lists per
//! thread. Spawning, exit cascades and message hops all got cheaper (the
//! `relations` and `runtime` benches); an embedder of `warren-host` picks
//! its own allocator.
//!
//! Its C library is patched (`vendor/libmimalloc-sys`, see
//! `vendor/README.md`): a fresh small page is faulted in with one
//! `madvise(MADV_POPULATE_WRITE)` when mimalloc first hands it out, rather
//! than a trap per 4 KiB as its blocks are used; processes that stay alive
//! got most of their memory that way.
//!
//! Faulting a page in is kernel work that a spawn waited for (the
//! allocation of its store took the fresh page). While a thread takes fresh
//! pages (a node spawning processes that stay), the patched allocator also
//! tells this module where its next ones are likely to come from (the
//! arena's slices just past the page), and a thread of this module
//! (`warren-prefault`, at the kernel's idle priority) faults those in
//! ahead of need, on a core that would otherwise idle; a page found faulted
//! in is not populated again. Populating changes no byte of memory, so a
//! guess that misses (another thread took those slices, or none does)
//! costs resident memory only: at most a few slices per hint.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_generic_collect` in mimalloc v3's `mi_option_e` (the
/// bindings name no constant for it; `tests/all/allocator_options.rs`
/// checks the place).
pub(crate) const GENERIC_COLLECT: libmimalloc_sys::mi_option_t = 34;

/// How many slow-path allocations a thread makes between two full
/// collections of its heap (mimalloc's default: 10,000). A full collection
/// visits every page the thread owns: with a hundred thousand processes'
/// stores on a thread, and another thread freeing them (the graveyard),
/// those visits were a sixth of an exit cascade's time. Empty pages still
/// go back at every thousandth slow-path allocation.
pub(crate) const ALLOCATIONS_PER_COLLECTION: std::ffi::c_long = 1_000_000;

/// Sets the option before `main` (an ELF initializer, as the `ctor` crate
/// makes them), so it holds for the test harness and the benches too.
#[used]
#[unsafe(link_section = ".init_array")]
static SET_OPTIONS: extern "C" fn() = set_options;

extern "C" fn set_options() {
    // SAFETY: sets one integer option of the allocator; valid at any time.
    unsafe { libmimalloc_sys::mi_option_set(GENERIC_COLLECT, ALLOCATIONS_PER_COLLECTION) };
    prefault::start();
}

/// The thread that faults in the allocator's next fresh pages ahead of need.
pub(crate) mod prefault {
    use std::ffi::c_void;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::thread::Thread;

    /// mimalloc v3's arena slice: a small page is one, and hints are whole
    /// slices at slice-aligned addresses.
    pub(crate) const SLICE: usize = 64 << 10;

    /// Hints not yet taken by the thread: a slice-aligned start with the
    /// slice count in its low bits, or 0. A hint may overwrite an untaken
    /// one (a lost guess costs nothing but the trap it would have saved).
    static HINTS: [AtomicUsize; 16] = [const { AtomicUsize::new(0) }; 16];
    /// Where the next hint goes.
    static NEXT_HINT: AtomicUsize = AtomicUsize::new(0);
    /// Slices the thread has faulted in and neither an allocation has taken
    /// nor a purge has emptied since, by their address's slice number modulo
    /// the length (a collision forgets one: its page is then populated by the
    /// allocating thread as before). While the thread populates a slice its
    /// entry is the address with `POPULATING` set: a purge meanwhile clears
    /// it, and the thread then records nothing.
    static FAULTED_IN: [AtomicUsize; 64] = [const { AtomicUsize::new(0) }; 64];
    /// Marks an entry of `FAULTED_IN` whose slice is being populated.
    const POPULATING: usize = 1;
    /// The thread, once started.
    static THREAD: OnceLock<Thread> = OnceLock::new();

    /// `madvise(2)` advice that faults a range in as if written (Linux 5.14).
    const MADV_POPULATE_WRITE: libc::c_int = 23;

    unsafe extern "C" {
        /// Warren's patch 02 of mimalloc (`vendor/README.md`).
        fn mi_warren_set_fresh_page_hook(hook: Option<extern "C" fn(*mut c_void, usize, *mut c_void, usize) -> bool>);
        /// The same patch's second hook, told of each purged range.
        fn mi_warren_set_purged_hook(hook: Option<extern "C" fn(*mut c_void, usize)>);
    }

    /// Starts the thread and gives mimalloc the hook. Without the thread
    /// (it could not be made) there is no hook: fresh pages are populated
    /// by the threads that take them, as without this module.
    pub(super) fn start() {
        let spawned = std::thread::Builder::new().name("warren-prefault".into()).spawn(run);
        if let Ok(handle) = spawned
            && THREAD.set(handle.thread().clone()).is_ok()
        {
            // SAFETY: `fresh_page` and `purged` allocate nothing, never
            // block and cannot unwind (atomics and an unpark only). The
            // purge hook goes first: no record outlives its pages.
            unsafe {
                mi_warren_set_purged_hook(Some(purged));
                mi_warren_set_fresh_page_hook(Some(fresh_page));
            }
        }
    }

    fn slot(slice: usize) -> &'static AtomicUsize {
        &FAULTED_IN[(slice / SLICE) % FAULTED_IN.len()]
    }

    /// The hook: called inside an allocation, for each fresh small page.
    extern "C" fn fresh_page(page: *mut c_void, page_size: usize, next: *mut c_void, next_size: usize) -> bool {
        let (page, next) = (page as usize, next as usize);
        let slices = next_size / SLICE;
        if slices > 0 && next.is_multiple_of(SLICE) {
            let index = NEXT_HINT.fetch_add(1, Ordering::Relaxed) % HINTS.len();
            HINTS[index].store(next | slices.min(SLICE - 1), Ordering::Release);
            if let Some(thread) = THREAD.get() {
                thread.unpark();
            }
        }
        // A page of one slice that the thread faulted in (taken once: a
        // later reuse of the slice may follow a purge).
        page_size == SLICE
            && page.is_multiple_of(SLICE)
            && slot(page).compare_exchange(page, 0, Ordering::AcqRel, Ordering::Relaxed).is_ok()
    }

    /// The purge hook: records of slices in the range (or being populated
    /// there) go, as their pages do.
    extern "C" fn purged(start: *mut c_void, size: usize) {
        let range = start as usize..(start as usize).saturating_add(size);
        for entry in &FAULTED_IN {
            // Until the entry names no slice of the range: the thread may
            // turn a mark into a record between the load and the exchange.
            let mut recorded = entry.load(Ordering::Acquire);
            while recorded != 0 && range.contains(&(recorded & !POPULATING)) {
                match entry.compare_exchange(recorded, 0, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(_) => break,
                    Err(now) => recorded = now,
                }
            }
        }
    }

    /// Whether a hint not yet taken by the thread names the slice at
    /// `slice`.
    #[allow(dead_code)] // tests/all/allocator_options.rs
    pub(crate) fn is_hinted(slice: usize) -> bool {
        HINTS.iter().any(|hint| {
            let hint = hint.load(Ordering::Acquire);
            let (start, slices) = (hint & !(SLICE - 1), hint & (SLICE - 1));
            hint != 0 && (start..start + slices * SLICE).contains(&slice)
        })
    }

    /// Whether the thread has faulted in the slice at `slice` and no fresh
    /// page has been made of it since.
    #[allow(dead_code)] // tests/all/allocator_options.rs
    pub(crate) fn is_faulted_in(slice: usize) -> bool {
        slot(slice).load(Ordering::Acquire) == slice
    }

    fn run() {
        run_at_idle_priority();
        loop {
            std::thread::park();
            for hint in &HINTS {
                let taken = hint.swap(0, Ordering::AcqRel);
                if taken == 0 {
                    continue;
                }
                let (start, slices) = (taken & !(SLICE - 1), taken & (SLICE - 1));
                for slice in (0..slices).map(|i| start + i * SLICE) {
                    if slot(slice).load(Ordering::Acquire) == slice {
                        continue;
                    }
                    slot(slice).store(slice | POPULATING, Ordering::Release);
                    // SAFETY: populating changes no byte of memory; the range
                    // lies in one of the allocator's arenas, anonymous and
                    // read-write, which mimalloc keeps mapped while the
                    // process runs (slices taken meanwhile by any thread are
                    // only faulted in sooner).
                    if unsafe { libc::madvise(slice as *mut c_void, SLICE, MADV_POPULATE_WRITE) } == 0 {
                        // Unless a purge (or another slice) took the entry.
                        let _ = slot(slice).compare_exchange(
                            slice | POPULATING,
                            slice,
                            Ordering::AcqRel,
                            Ordering::Relaxed,
                        );
                    } else if std::io::Error::last_os_error().raw_os_error() == Some(libc::EINVAL) {
                        // A kernel older than 5.14 refuses the advice: every
                        // hint would cost a system call for nothing. The hook
                        // goes (mimalloc's pages fault in as they are used)
                        // and the thread ends.
                        // SAFETY: as in `start`.
                        unsafe {
                            mi_warren_set_fresh_page_hook(None);
                            mi_warren_set_purged_hook(None);
                        }
                        return;
                    }
                }
            }
        }
    }

    /// Asks the kernel to run this thread only when a core would otherwise
    /// be idle (`SCHED_IDLE`), as the node's warmer thread does.
    fn run_at_idle_priority() {
        let param = libc::sched_param { sched_priority: 0 };
        // SAFETY: pid 0 is this thread; `param` is a valid sched_param. If
        // it fails the thread runs at normal priority.
        let _ = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
    }
}
