//! The guest's heap, kept compact (feature `compact-heap`, on by default).
//!
//! Warren keeps a million processes by keeping each one's resident memory
//! small: an idle process's linear memory costs the pages it has written.
//! Rust's default allocator on `wasm32-unknown-unknown` (dlmalloc) takes its
//! heap from `memory.grow` only: the heap starts at the end of the module's
//! initial memory (a page of its own, even when the memory between the
//! module's data and that end is free), its state fills a few hundred bytes
//! of `.bss`, and the top of every segment it grows holds a record (one more
//! page). This heap is [talc](https://docs.rs/talc) with a source of memory
//! that starts at `__heap_base`, right after the module's data, and extends
//! the heap a host page at a time, into the initial memory first and into
//! pages grown with `memory.grow` after it (`source.rs`): a process that
//! allocates a few kilobytes writes the page its data ends in and the next
//! one or two, and nothing at the top of its memory. Small blocks go
//! through free lists per size class in front of talc (`quick.rs`): talc
//! alone was slower than dlmalloc on a GenServer call; with the lists it is
//! faster.
//!
//! With the feature on, on a wasm target without libc or threads
//! (`wasm32-unknown-unknown`, `wasm32v1-none`), the SDK is the guest's
//! `#[global_allocator]`. On WASI targets wasi-libc's `malloc` owns the
//! memory from `__heap_base` (it starts its own heap there), so the SDK
//! leaves the allocator alone. A guest that wants another allocator turns
//! the feature off (`default-features = false, features = ["serde"]`) and
//! declares its own.
//!
//! Memory that other code grows with `memory.grow` after the heap's first
//! allocation stays that code's: the heap extends only into pages it grew
//! itself, and starts a new stretch after pages grown by someone else.

// The parts are built where the allocator is (and for their tests).
#[cfg(any(
    test,
    all(target_family = "wasm", any(target_os = "unknown", target_os = "none"), not(target_feature = "atomics"))
))]
mod quick;
#[cfg(any(
    test,
    all(target_family = "wasm", any(target_os = "unknown", target_os = "none"), not(target_feature = "atomics"))
))]
mod source;

#[cfg(all(target_family = "wasm", any(target_os = "unknown", target_os = "none"), not(target_feature = "atomics")))]
mod global;

/// Before a hibernation: the free lists' blocks go back to the heap, so the
/// hibernated image does not keep the lists (where this SDK is the
/// allocator; a no-op elsewhere).
pub(crate) fn before_hibernate() {
    #[cfg(all(
        target_family = "wasm",
        any(target_os = "unknown", target_os = "none"),
        not(target_feature = "atomics")
    ))]
    global::release_free_lists();
}
