//! Calls: `gen_server:call`'s request and reply, with the host at both
//! ends, so that every language calls and serves the same way. System
//! requests (`sys:get_state`'s) are calls with a tag of their own.
//!
//! A call sends the process called a `TAG_CALL` message carrying a fresh
//! random reply token, and waits, as a `receive` does (the same state,
//! future and timeout: `receive.rs`), for either a `TAG_REPLY` message or
//! the callee's DOWN (tag `TAG_CALL_DOWN`, which no guest receive takes).
//!
//! The token is also kept in the caller's [`Process::awaiting_reply`]. A
//! reply, or the DOWN, is queued only by whoever swaps the token there to
//! 0, so a call gets one answer at most, and none once it has given up: a
//! caller whose timeout fires swaps it to 0 itself, and if a replier won
//! that race the answer is already on its way and the call takes it
//! instead of timing out. So a late reply never reaches the caller's
//! mailbox, as with OTP 24's aliases, and a `TAG_REPLY` or `TAG_CALL_DOWN`
//! message only ever exists for the call in flight. The token is random: a
//! process that did not get the request cannot answer it.
//!
//! The DOWN comes from a record the call leaves on the callee alone (see
//! `Signals::attach_call`): a monitor without the caller's half, since
//! the token already says whether the caller still waits. The callee's
//! reply removes the record; a call that ends otherwise (its timeout,
//! another process's reply, the caller's exit) removes it itself.

use super::letter::Letter;
use super::state::ProcessState;
use super::task::Task;
use super::{Body, Process, handoff};
use crate::base::codes::{
    ERR_EXITED, ERR_NOPROC, REASON_NOPROC, TAG_CALL, TAG_CALL_DOWN, TAG_DOWN, TAG_REPLY, TAG_SYSTEM,
};
use crate::base::pid::Pid;
use crate::base::reason::ExitReason;
use crate::svc::Member;
use crate::svc::signals::{CALL_TOKEN, down_head};
use std::cell::Cell;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::Ordering;

/// A call in flight: what it waits for.
#[derive(Clone, Copy)]
pub(crate) struct CallInFlight {
    /// The reply token (never 0).
    token: u64,
    /// The process called (which holds the call's record).
    callee: Pid,
}

impl CallInFlight {
    /// The call's monitor as its caller holds it: (reference, target).
    /// The reference is the token, which a DOWN for the call carries.
    pub(crate) fn monitor(&self) -> (u64, Pid) {
        (self.token, self.callee)
    }
}

/// The tags a call's wait takes: the reply, or the callee's DOWN.
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
/// sends the request, and records what the call waits for (the caller
/// then waits on [`WAIT_TAGS`]). A callee that is not alive gives the call
/// its DOWN `noproc` at once.
///
/// Returns the callee when this call's request woke it and it may run at
/// once, nested in the call ([`handoff`]): the caller runs it.
pub(crate) fn start(state: &mut ProcessState, kind: Kind, callee: Pid, request: &[u8]) -> Option<Arc<Process>> {
    let (token, handoff) = send(&state.process, kind, callee, request, handoff::allowed());
    state.receive.call = Some(CallInFlight { token, callee });
    handoff
}

/// Sends a call's request from `caller` (a wasm process or a host inbox)
/// to `callee`, with a record on the callee that sends the caller its
/// DOWN if it exits first; returns the call's token, which is also the
/// DOWN's reference.
pub(crate) fn send_request(caller: &Arc<Process>, kind: Kind, callee: Pid, request: &[u8]) -> u64 {
    send(caller, kind, callee, request, false).0
}

/// [`send_request`]; with `handoff`, a wasm callee that the request wakes
/// is not queued but returned, for the caller to run.
fn send(caller: &Arc<Process>, kind: Kind, callee: Pid, request: &[u8], handoff: bool) -> (u64, Option<Arc<Process>>) {
    let token = new_token();
    // Before the request leaves: its reply may come at once.
    caller.awaiting_reply.store(token, Ordering::Release);
    let runtime = &caller.runtime;
    let found = runtime.table.get(callee);
    match found {
        Some(found) if runtime.signals.attach_call(caller.pid, &*found, token) => {
            let letter = Letter::from_parts(caller.pid, kind.tag(), &token.to_le_bytes(), request);
            if !(handoff && matches!(found.body, Body::Wasm(_))) {
                found.deliver_letter(letter);
            } else if found.enqueue_letter(letter) && found.run_state.wake() {
                // The wake is this call's (`IDLE -> SCHEDULED`): the caller
                // runs the callee instead of queueing it.
                return (token, Some(found));
            }
        }
        // Not alive: the DOWN `noproc` at once (nobody else knows the token,
        // so the claim succeeds).
        _ => {
            if caller.claim_call(token) {
                let noproc = Arc::new(ExitReason::Noproc);
                caller.deliver_signal(callee, TAG_CALL_DOWN, &down_head(token, callee, &noproc), &noproc);
            }
        }
    }
    (token, None)
}

/// Removes the record of the call `token` of `caller` from `callee` when
/// the call ended otherwise than by the callee's own reply or exit, which
/// remove it themselves: `replied_by` is who answered (`None`: the call
/// gave up).
pub(crate) fn settle(caller: &Process, callee: Pid, token: u64, replied_by: Option<Pid>) {
    if replied_by == Some(callee) {
        return;
    }
    let runtime = &caller.runtime;
    if let Some(callee) = runtime.table.get(callee) {
        runtime.signals.detach_call(&*callee, caller.pid, token);
    }
}

/// A process that exits in a call (an exit signal ended it while it
/// waited, or before it took a reply on its way) leaves a record of the
/// call on the callee: it goes.
///
/// # Safety
/// The caller holds `process` `RUNNING` and has not taken its task.
pub(crate) unsafe fn exited(process: &Process) {
    let Body::Wasm(task) = &process.body else { return };
    // SAFETY: the caller's guarantee.
    if !matches!(unsafe { task.get() }, Task::Call(_)) {
        return;
    }
    let state = process.receiving.load(Ordering::Relaxed);
    if state.is_null() {
        return;
    }
    // SAFETY: a non-null `receiving` of a process whose task is a call
    // points to the state in that call's store (`receive.rs`), which
    // nothing touches while the process is held.
    let call = unsafe { (*state).receive.call };
    if let Some(call) = call {
        settle(process, call.callee, call.token, None);
    }
}

/// Queues `reply`, from the process of `state`, for the process `to` if it
/// waits on the call of `token`; otherwise drops it, as a reply that comes
/// after its caller gave up, or a second reply to one call. The record of
/// the call on the replier, if it is the callee, goes.
pub(crate) fn reply(state: &ProcessState, to: Pid, token: u64, reply: &[u8]) {
    let runtime = &state.process.runtime;
    if token & CALL_TOKEN != 0 {
        runtime.signals.detach_call(&*state.process, to, token);
    }
    runtime.table.with(to, |caller| {
        if caller.claim_call(token) {
            let letter = Letter::new(state.pid, TAG_REPLY, reply);
            if handoff::is_waiting_caller(to.raw()) {
                // It runs this process nested in its call, and looks at its
                // mailbox next (an overflow still ends it: see `enqueue_letter`).
                caller.enqueue_letter(letter);
            } else {
                caller.deliver_letter(letter);
            }
        }
    });
}

/// Whether the call in flight (if any) may end without its reply: it
/// withdraws its token. `false` when a reply has claimed the token: the
/// reply is on its way, and the call must wait for it.
pub(crate) fn withdraw(state: &ProcessState) -> bool {
    match state.receive.call {
        None => true,
        Some(call) => state.process.claim_call(call.token),
    }
}

/// Ends the call in flight with `letter`, its reply or its DOWN, which
/// becomes the current message; returns the call's result: the reply's
/// length, or `ERR_NOPROC` / `ERR_EXITED` for a DOWN.
pub(crate) fn finish(state: &mut ProcessState, mut letter: Letter) -> i32 {
    let Some(call) = state.receive.call.take() else {
        return state.take_delivery(letter);
    };
    if letter.tag() == TAG_REPLY {
        settle(&state.process, call.callee, call.token, Some(letter.sender()));
        return state.take_delivery(letter);
    }
    // The DOWN: the callee's departure took the record. The guest sees it
    // as any monitor's.
    letter.set_tag(TAG_DOWN);
    let noproc = letter.payload().head().get(16..20) == Some(&REASON_NOPROC.to_le_bytes()[..]);
    state.take_delivery(letter);
    if noproc { ERR_NOPROC } else { ERR_EXITED }
}

/// Ends a call that gave up (its timeout, after [`withdraw`]): its record
/// on the callee goes.
pub(crate) fn abandon(state: &mut ProcessState) {
    if let Some(call) = state.receive.call.take() {
        settle(&state.process, call.callee, call.token, None);
    }
}

/// A fresh reply token: random, with [`CALL_TOKEN`] set (so never 0).
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
        x.wrapping_mul(0x2545_F491_4F6C_DD1D) | CALL_TOKEN
    })
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::new_token;

    #[test]
    fn tokens_are_never_zero_and_do_not_repeat_soon() {
        let tokens: std::collections::HashSet<u64> = (0..100_000).map(|_| new_token()).collect();
        assert_eq!(tokens.len(), 100_000);
        assert!(tokens.iter().all(|token| token & super::CALL_TOKEN != 0));
    }
}
