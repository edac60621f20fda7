//! Supervisors: processes the host itself runs (no wasm instance), with
//! Erlang/OTP 25's `supervisor` semantics: restart strategies, restart
//! intensity, ordered start and shutdown, dynamic children and
//! `auto_shutdown`.

pub(crate) mod codec;
pub(crate) mod logic;
pub(crate) mod spec;

use std::sync::atomic::{AtomicU64, Ordering};

/// A new request id (node-wide; the host's requests and guests' share it,
/// so an answer is never taken for another's).
pub(crate) fn next_request() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
