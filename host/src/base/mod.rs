//! The bottom layer: plain types every other layer uses (pids, exit
//! reasons, the node's configuration, the ABI's numbers) and the
//! synchronization primitives that loom swaps for its models.

pub(crate) mod codes;
pub(crate) mod config;
pub(crate) mod options;
pub(crate) mod pid;
pub(crate) mod reason;
pub(crate) mod small_map;
pub(crate) mod sync;
