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
}
