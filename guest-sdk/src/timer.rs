//! Timers and sleeping (see "Timers" in `docs/ABI.md`).
//!
//! ```ignore
//! let me = warren::self_pid();
//! let timer = warren::send_after(me, 5, b"tick", 100)?;
//! match warren::cancel_timer(timer) {
//!     Some(left_ms) => { /* cancelled: the message will never come */ }
//!     None => { /* it fired: the message comes (or came) */ }
//! }
//! ```

use crate::{Error, Pid, raw_bytes, sys};

/// A timer reference, returned by [`send_after`] and [`send_after_named`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerRef(u64);

impl TimerRef {
    /// The reference with this raw value.
    pub const fn from_raw(raw: u64) -> TimerRef {
        TimerRef(raw)
    }

    /// The raw value (what `cancel_timer` and `read_timer` take).
    pub const fn raw(self) -> u64 {
        self.0
    }
}

fn timer(code: i64) -> Result<TimerRef, Error> {
    if code > 0 { Ok(TimerRef(code as u64)) } else { Err(Error::from_code(code)) }
}

fn millis(ms: u64) -> i64 {
    i64::try_from(ms).unwrap_or(i64::MAX)
}

/// Sends `tag` (`>= 0`) and a copy of `data` to `pid` in `ms` milliseconds;
/// the message's sender is the caller. A timer to a process that is not
/// alive, or exits first, is cancelled and sends nothing.
///
/// Errors: [`Error::BadArg`] (malformed pid, negative tag), [`Error::Limit`]
/// (message too large).
pub fn send_after(pid: Pid, tag: i64, data: &[u8], ms: u64) -> Result<TimerRef, Error> {
    let (ptr, len) = raw_bytes(data)?;
    // SAFETY: `ptr`/`len` are those of `data`, a live slice; the host only
    // reads (copies) those bytes now, and checks the range.
    timer(unsafe { sys::send_after(pid.raw() as i64, tag, ptr, len, millis(ms)) })
}

/// As [`send_after`], to the process registered under `name` when the timer
/// fires (nothing is sent if nobody holds the name then).
pub fn send_after_named(name: &str, tag: i64, data: &[u8], ms: u64) -> Result<TimerRef, Error> {
    let (name_ptr, name_len) = raw_bytes(name.as_bytes())?;
    let (ptr, len) = raw_bytes(data)?;
    // SAFETY: both pairs are those of live slices (`name`, `data`); the host
    // only reads (copies) them now, and checks the ranges.
    timer(unsafe { sys::send_after_named(name_ptr, name_len, tag, ptr, len, millis(ms)) })
}

/// Cancels `timer`: `Some(ms)` with the milliseconds that were left (rounded
/// up), and then its message is never sent; `None` if it has already fired
/// (its message is sent, and may arrive just after this returns), was
/// cancelled, or is unknown.
pub fn cancel_timer(timer: TimerRef) -> Option<u64> {
    // SAFETY: `cancel_timer` takes only a timer reference (an integer) and
    // touches no guest memory.
    u64::try_from(unsafe { sys::cancel_timer(timer.0 as i64) }).ok()
}

/// The milliseconds left on `timer` (rounded up), or `None` if it is not
/// pending.
pub fn read_timer(timer: TimerRef) -> Option<u64> {
    // SAFETY: `read_timer` takes only a timer reference (an integer) and
    // touches no guest memory.
    u64::try_from(unsafe { sys::read_timer(timer.0 as i64) }).ok()
}

/// Suspends the calling process for `ms` milliseconds. It holds no scheduler
/// thread meanwhile; messages that arrive wait in its mailbox.
pub fn sleep(ms: u64) {
    // SAFETY: `sleep` takes only a duration (an integer) and touches no
    // guest memory.
    unsafe { sys::sleep(millis(ms)) };
}
