//! Calls: `gen_server:call`'s request and reply, with the host at both
//! ends, so that every language calls and serves the same way. System
//! requests (`sys:get_state`'s) are calls with a tag of their own.
//!
//! A call monitors the process called (a monitor whose DOWN has a tag of
//! its own, `TAG_CALL_DOWN`), sends it a `TAG_CALL` message carrying a
//! fresh random reply token, and waits, as a `receive` does (the same
//! state, future and timeout: `receive.rs`), for either a `TAG_REPLY`
//! message or that DOWN.
//!
//! The token is also kept in the caller's [`Process::awaiting_reply`]. A
//! reply is queued only by whoever swaps the token there to 0, so a call
//! gets one reply at most, and none once it has given up: a caller whose
//! timeout fires swaps it to 0 itself, and if a replier won that race the
//! reply is already on its way and the call takes it instead of timing
//! out. So a late reply never reaches the caller's mailbox, as with
//! OTP 24's aliases, and a `TAG_REPLY` message only ever exists for the
//! call in flight. The token is random (64 bits): a process that did not
//! get the request cannot answer it.

use super::Process;
use super::letter::Letter;
use super::state::ProcessState;
use crate::base::codes::{
    ERR_EXITED, ERR_NOPROC, REASON_NOPROC, TAG_CALL, TAG_CALL_DOWN, TAG_DOWN, TAG_REPLY, TAG_SYSTEM,
};
use crate::base::pid::Pid;
use std::cell::Cell;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// A call in flight: what it waits for.
#[derive(Clone, Copy)]
pub(crate) struct CallInFlight {
    /// The reply token (never 0).
    token: u64,
    /// Its monitor on the process called.
    monitor: u64,
}

/// The tags a call's wait takes: the reply, or the DOWN of its monitor.
pub(crate) const WAIT_TAGS: [i64; 2] = [TAG_REPLY, TAG_CALL_DOWN];

/// What a call sends: a request ([`TAG_CALL`]) or a system request
/// ([`TAG_SYSTEM`]), which the SDKs' behaviours answer themselves.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Request,
    System,
}

impl Kind {
    fn tag(self) -> i64 {
        match self {
            Kind::Request => TAG_CALL,
            Kind::System => TAG_SYSTEM,
        }
    }
}

/// Starts a call of `callee` with `request` from the process of `state`:
/// monitors it, sends the request, and records what the call waits for
/// (the caller then waits on [`WAIT_TAGS`]). A callee that is not alive
/// gives the call its DOWN `noproc` at once.
pub(crate) fn start(state: &mut ProcessState, kind: Kind, callee: Pid, request: &[u8]) {
    let (token, monitor) = send_request(&state.process, kind, callee, request);
    state.receive.call = Some(CallInFlight { token, monitor });
}

/// Sends a call's request from `caller` (a wasm process or a host inbox)
/// to `callee`, under a call monitor; returns its token and the monitor's
/// reference.
pub(crate) fn send_request(caller: &Arc<Process>, kind: Kind, callee: Pid, request: &[u8]) -> (u64, u64) {
    let token = new_token();
    // Before the request leaves: its reply may come at once.
    caller.awaiting_reply.store(token, Ordering::Release);
    let runtime = &caller.runtime;
    // Looked up once, for the monitor and the request.
    let found = runtime.table.get(callee);
    let monitor = runtime.signals.monitor_call(caller, callee, found.as_ref());
    if let Some(callee) = found {
        callee.deliver_letter(Letter::from_parts(caller.pid, kind.tag(), &token.to_le_bytes(), request));
    }
    (token, monitor)
}

/// Whether `caller` may stop waiting for the reply of the call `token`
/// (its timeout fired, or the callee's DOWN came): it withdraws the token.
/// `false` when a reply has claimed it: the reply is on its way.
pub(crate) fn withdraw_token(caller: &Process, token: u64) -> bool {
    caller.awaiting_reply.compare_exchange(token, 0, Ordering::AcqRel, Ordering::Relaxed).is_ok()
}

/// Queues `reply`, from the process of `state`, for the process `to` if it
/// waits on the call of `token`; otherwise drops it, as a reply that comes
/// after its caller gave up, or a second reply to one call.
pub(crate) fn reply(state: &ProcessState, to: Pid, token: u64, reply: &[u8]) {
    let runtime = &state.process.runtime;
    runtime.table.with(to, |caller| {
        let claimed = caller.awaiting_reply.compare_exchange(token, 0, Ordering::AcqRel, Ordering::Relaxed).is_ok();
        if claimed {
            caller.deliver_letter(Letter::new(state.pid, TAG_REPLY, reply));
        }
    });
}

/// Whether the call in flight (if any) may end without its reply: it
/// withdraws its token. `false` when a reply has claimed the token: the
/// reply is on its way, and the call must wait for it.
pub(crate) fn withdraw(state: &ProcessState) -> bool {
    match state.receive.call {
        None => true,
        Some(call) => withdraw_token(&state.process, call.token),
    }
}

/// Whether a letter a call's wait took ends the call: a reply does; its
/// DOWN does unless a reply claimed the token first (then the reply, from
/// another process than the one called, is on its way: the DOWN is
/// dropped and the call waits on).
pub(crate) fn ends_call(state: &ProcessState, letter: &Letter) -> bool {
    letter.tag() != TAG_CALL_DOWN || withdraw(state)
}

/// Ends the call in flight with `letter`, its reply or its DOWN, which
/// becomes the current message; returns the call's result: the reply's
/// length, or `ERR_NOPROC` / `ERR_EXITED` for a DOWN.
pub(crate) fn finish(state: &mut ProcessState, mut letter: Letter) -> i32 {
    let Some(call) = state.receive.call.take() else {
        return state.take_delivery(letter);
    };
    if letter.tag() == TAG_REPLY {
        end_monitor(state, call);
        return state.take_delivery(letter);
    }
    // The DOWN: the guest sees it as any monitor's.
    letter.set_tag(TAG_DOWN);
    let noproc = letter.payload().head().get(16..20) == Some(&REASON_NOPROC.to_le_bytes()[..]);
    state.take_delivery(letter);
    if noproc { ERR_NOPROC } else { ERR_EXITED }
}

/// Ends a call that gave up (its timeout): its monitor goes.
pub(crate) fn abandon(state: &mut ProcessState) {
    if let Some(call) = state.receive.call.take() {
        end_monitor(state, call);
    }
}

/// Removes the call's monitor, and its DOWN if one was queued meanwhile.
fn end_monitor(state: &mut ProcessState, call: CallInFlight) {
    let runtime = &state.process.runtime;
    if !runtime.signals.demonitor(&runtime.table, &*state.process, call.monitor) {
        let down = state.received.remove_first(&state.process.mailbox, |m| m.tag() == TAG_CALL_DOWN);
        if let Some(down) = down {
            runtime.memory.release(down.footprint());
        }
    }
}

/// A fresh reply token: random, never 0.
fn new_token() -> u64 {
    thread_local! {
        static STATE: Cell<u64> = Cell::new(RandomState::new().hash_one(std::thread::current().id()) | 1);
    }
    STATE.with(|state| {
        // xorshift64*: a full-period generator over non-zero states, seeded
        // from the process-wide random keys of `RandomState`.
        let mut x = state.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D).max(1)
    })
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::new_token;

    #[test]
    fn tokens_are_never_zero_and_do_not_repeat_soon() {
        let tokens: std::collections::HashSet<u64> = (0..100_000).map(|_| new_token()).collect();
        assert_eq!(tokens.len(), 100_000);
        assert!(!tokens.contains(&0));
    }
}
