//! Synchronization primitives, swapped for loom's models with the `loom`
//! feature so the wake-up protocol (`process/run_state.rs`, with the
//! mailbox) and the scheduler's park/notify handshake (`sched/park.rs`) can
//! be model-checked.

#[cfg(feature = "loom")]
pub(crate) use loom::sync::Mutex;
#[cfg(feature = "loom")]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicUsize, Ordering, fence};

#[cfg(not(feature = "loom"))]
pub(crate) use std::sync::Mutex;
#[cfg(not(feature = "loom"))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU8, AtomicUsize, Ordering, fence};
