//! The memory layer: large reserved regions carved into slots (dense
//! linear memories and fiber stacks, so a process costs no memory mapping
//! of its own), the mapping budget of the guarded layout, per-thread caches
//! of small blocks, sharded free lists, the kernel's word on which pages are
//! resident, and the warm reserves of stacks
//! and memories that idle threads fill.

pub(crate) mod block_cache;
pub(crate) mod free_list;
pub(crate) mod maps;
pub(crate) mod memory;
pub(crate) mod pools;
pub(crate) mod region;
pub(crate) mod residency;
pub(crate) mod stack;
