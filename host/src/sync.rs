//! Synchronization primitives, swapped for loom's models with the `loom` feature
//! so the wake-up protocol can be model-checked (see `run_state.rs`).

#[cfg(feature = "loom")]
pub(crate) use loom::sync::atomic::{AtomicPtr, AtomicU8, AtomicUsize, Ordering};

#[cfg(not(feature = "loom"))]
pub(crate) use std::sync::atomic::{AtomicPtr, AtomicU8, AtomicUsize, Ordering};
