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

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
