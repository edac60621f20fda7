//! Interval timers (feature `serde`): a message sent again and again, every
//! so many milliseconds, until cancelled (Erlang's `timer:send_interval`).
//!
//! The ABI has no interval timer yet (docs/ABI.md, "Timers": `send_after`
//! fires once), so the SDK runs each interval in a small helper process
//! (made with [`crate::spawn_fn`]) that sends the message on schedule. The
//! helper keeps to the schedule, without drift: the `n`th message is due
//! `n * ms` after the start, measured on the node's timer clock, and a
//! helper that fell behind skips the ticks it missed rather than sending
//! a burst. It monitors the caller and the target, and ends when either
//! exits, so an interval never outlives them; [`Interval::cancel`] ends it
//! at once. The messages' sender is the helper ([`Interval::pid`]), and
//! making an interval needs the right to spawn.
//!
//! ```ignore
//! let me = warren::self_pid();
//! let ticks = warren::send_interval(me, 7, b"tick", 100)?;
//! for _ in 0..3 {
//!     warren::receive_matching(&[7], None);
//! }
//! ticks.cancel(); // no tick is sent after this returns
//! ```

use crate::spawn_fn::{SpawnFnError, spawn_fn};
use crate::{Pid, sys};
use alloc::vec::Vec;

/// The tag of the helper's own clock timer, which never fires in its life.
const CLOCK_TAG: i64 = 0;

/// How far ahead the helper's clock timer is set: 2^40 ms, about 35 years.
const CLOCK_SPAN_MS: u64 = 1 << 40;

/// The request that cancels an interval (a call to its helper).
const CANCEL: &[u8] = b"cancel";

/// An interval made by [`send_interval`]: a handle that cancels it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Interval {
    helper: Pid,
}

impl Interval {
    /// The process that sends the interval's messages (their sender).
    ///
    /// ```ignore
    /// let ticks = warren::send_interval(me, 7, b"", 50)?;
    /// let msg = warren::receive_matching(&[7], None).unwrap();
    /// assert_eq!(msg.sender, ticks.pid());
    /// ```
    pub fn pid(&self) -> Pid {
        self.helper
    }

    /// Cancels the interval: once this returns no more of its messages
    /// are sent (one already sent may still be in the target's mailbox).
    /// `true` if it was running, `false` if it had already ended
    /// (cancelled, or its caller or target exited). Any process with the
    /// handle may cancel it.
    ///
    /// ```ignore
    /// let ticks = warren::send_interval(me, 7, b"", 50)?;
    /// assert!(ticks.cancel());
    /// assert!(!ticks.cancel());
    /// ```
    pub fn cancel(self) -> bool {
        crate::call(self.helper, CANCEL, None).is_ok()
    }
}

/// Sends `tag` and a copy of `data` to `pid` every `ms` milliseconds,
/// first `ms` from now, until the interval is cancelled
/// ([`Interval::cancel`]) or the caller or `pid` exits.
///
/// Errors: [`SpawnFnError::Spawn`] with [`crate::Error::BadArg`] for
/// `ms = 0` or a negative tag, and as [`crate::spawn_fn`] (the caller
/// needs the right to spawn).
///
/// ```ignore
/// let ticks = warren::send_interval(warren::self_pid(), 1, b"tick", 1_000)?;
/// ```
pub fn send_interval(pid: Pid, tag: i64, data: &[u8], ms: u64) -> Result<Interval, SpawnFnError> {
    if ms == 0 || tag < 0 {
        return Err(SpawnFnError::Spawn(crate::Error::BadArg));
    }
    let helper = spawn_fn(ticker, &(crate::self_pid(), pid, tag, data.to_vec(), ms))?;
    Ok(Interval { helper })
}

/// Milliseconds since `clock` was set (the node's timer clock, rounded
/// down), or `None` if the clock is gone.
fn elapsed(clock: crate::TimerRef, span: u64) -> Option<u64> {
    crate::read_timer(clock).map(|left| span.saturating_sub(left))
}

/// The helper of one interval: `(owner, target, tag, data, ms)`.
fn ticker((owner, target, tag, data, period): (Pid, Pid, i64, Vec<u8>, u64)) {
    let _ = crate::monitor(owner);
    if target != owner {
        let _ = crate::monitor(target);
    }
    // A timer to itself that never fires in its life is its clock: the
    // time left tells the time passed.
    let Ok(clock) = crate::send_after(crate::self_pid(), CLOCK_TAG, &[], CLOCK_SPAN_MS) else { return };
    let Some(span) = crate::read_timer(clock) else { return };
    let mut due = period;
    loop {
        let Some(now) = elapsed(clock, span) else { return };
        let wait = due.saturating_sub(now);
        match crate::receive_matching(&[sys::TAG_CALL, sys::TAG_DOWN], Some(wait)) {
            None => {
                // A message too large for the node now: this tick is lost,
                // the next may fit.
                let _ = target.send(tag, &data);
                let now = elapsed(clock, span).unwrap_or(due);
                // The next tick after now, skipping those missed.
                due += period * (1 + now.saturating_sub(due) / period);
            }
            Some(msg) if msg.tag == sys::TAG_DOWN => return,
            Some(msg) => {
                if let Some(request) = msg.as_call()
                    && request.body == CANCEL
                {
                    let _ = request.reply_to.reply(b"ok");
                    return;
                }
            }
        }
    }
}
