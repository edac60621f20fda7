//! Synchronization primitives, swapped for loom's models with the `loom` feature
//! so the wake-up protocol can be model-checked (see `run_state.rs`).

#[cfg(feature = "loom")]
pub(crate) use loom::sync::Mutex;
#[cfg(feature = "loom")]
pub(crate) use loom::sync::atomic::{AtomicU8, Ordering};

#[cfg(not(feature = "loom"))]
pub(crate) use std::sync::Mutex;
#[cfg(not(feature = "loom"))]
pub(crate) use std::sync::atomic::{AtomicU8, Ordering};
