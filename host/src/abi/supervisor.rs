//! Host functions about supervisors: start one, ask one, and acknowledge a
//! start (docs/ABI.md, "Supervisors").

use super::charge::charge;
use super::guest_memory::guest;
use crate::base::codes::{
    ACK_IGNORE, ERR_BADARG, ERR_LIMIT, ERR_NOPROC, ERR_NOT_PERMITTED, MODULE, OK, SUP_RESTART_CHILD, SUP_START_CHILD,
    TAG_ACK, TAG_SUPERVISOR_REQUEST,
};
use crate::base::pid::Pid;
use crate::process::cost;
use crate::process::letter::Letter;
use crate::process::spawn::Watchers;
use crate::process::state::ProcessState;
use crate::svc::supervisor::spec::SupervisorError;
use crate::svc::supervisor::{codec, next_request};
use std::sync::atomic::Ordering;
use wasmtime::{Caller, Linker};

pub(super) fn link(linker: &mut Linker<ProcessState>) -> wasmtime::Result<()> {
    linker.func_wrap(MODULE, "supervisor_start", supervisor_start)?;
    linker.func_wrap(MODULE, "supervisor_request", supervisor_request)?;
    linker.func_wrap(MODULE, "init_ack", init_ack)?;
    linker.func_wrap(MODULE, "init_ignore", init_ignore)?;
    Ok(())
}

/// Starts a supervisor for the spec at `ptr..ptr + len`, linked to the
/// caller (its parent: an exit signal from the caller stops it); returns
/// its pid at once. It starts its children in its own time, then sends the
/// caller `TAG_ACK`; if a child's start fails, it exits with reason
/// `shutdown` (`failed_to_start_child ...`), which reaches the caller
/// through the link.
fn supervisor_start(mut caller: Caller<'_, ProcessState>, ptr: i32, len: i32) -> wasmtime::Result<i64> {
    let g = guest(&mut caller);
    let span = g.span("supervisor_start", ptr, len)?;
    let state = &*g.state;
    let runtime = state.process.runtime.clone();
    if span.len() > runtime.config.max_message {
        return Ok(ERR_LIMIT.into());
    }
    if !state.caps.may_spawn {
        return Ok(ERR_NOT_PERMITTED.into());
    }
    let Ok(spec) = codec::decode_spec(&g.mem[span.clone()]) else {
        return Ok(ERR_BADARG.into());
    };
    let me = state.process.clone();
    let watchers = Watchers { link: Some(&me), parent: Some(me.pid), ..Watchers::default() };
    let started = runtime.start_supervisor(&spec, me.pid, state.caps.clone(), Some(me.pid), watchers);
    charge(&mut caller, cost::copy(span.len()));
    Ok(match started {
        Ok(supervisor) => supervisor.pid.raw().cast_signed(),
        Err(SupervisorError::ProcessLimit(_)) => ERR_LIMIT.into(),
        // A spec that decodes but breaks OTP's rules.
        Err(_) => ERR_BADARG.into(),
    })
}

/// Sends operation `op` (a `SUP_*` code) with the bytes at `ptr..ptr + len`
/// to `supervisor`; returns the request's id, which its answer
/// (`TAG_SUPERVISOR_REPLY`) repeats.
fn supervisor_request(
    mut caller: Caller<'_, ProcessState>,
    supervisor: i64,
    op: i32,
    ptr: i32,
    len: i32,
) -> wasmtime::Result<i64> {
    let g = guest(&mut caller);
    let span = g.span("supervisor_request", ptr, len)?;
    let state = &*g.state;
    let runtime = &state.process.runtime;
    if !(SUP_START_CHILD..=crate::base::codes::SUP_COUNT_CHILDREN).contains(&op) {
        return Ok(ERR_BADARG.into());
    }
    if span.len() > runtime.config.max_message || !runtime.memory.has_room(span.len()) {
        return Ok(ERR_LIMIT.into());
    }
    let Some(to) = Pid::from_raw(supervisor.cast_unsigned()) else {
        return Ok(ERR_NOPROC.into());
    };
    match runtime.table.get(to) {
        None => return Ok(ERR_NOPROC.into()),
        Some(process) if !process.is_supervisor() => return Ok(ERR_BADARG.into()),
        Some(_) => {}
    }
    // Starting a child is spawning: a supervisor does it for those who
    // may.
    if matches!(op, SUP_START_CHILD | SUP_RESTART_CHILD) && !state.caps.may_spawn {
        return Ok(ERR_NOT_PERMITTED.into());
    }
    let request = next_request();
    let payload = codec::request_payload(request, op, &g.mem[span]);
    let copied = payload.len();
    runtime.send(to, Letter::new(state.pid, TAG_SUPERVISOR_REQUEST, &payload));
    charge(&mut caller, cost::copy(copied));
    Ok(request.cast_signed())
}

/// Tells the supervisor waiting for this process that it has started
/// (`TAG_ACK`), once; later calls, and calls of a process nobody waits
/// for, do nothing. Returns `OK`.
fn init_ack(caller: Caller<'_, ProcessState>) -> i32 {
    acknowledge(&caller, &[])
}

/// Tells the supervisor of this process that it ignores its start (OTP's
/// `ignore`): `TAG_ACK` with the payload `[1]`, to the supervisor waiting
/// for the acknowledgement, else to the parent if that is a supervisor.
/// The supervisor then keeps the child's spec with no process and does not
/// restart it. Returns `OK`.
fn init_ignore(caller: Caller<'_, ProcessState>) -> i32 {
    acknowledge(&caller, &[ACK_IGNORE])
}

/// Sends `TAG_ACK` with `payload` once: to the supervisor waiting for it,
/// or (for an `ignore`, which a supervisor must hear even when it does not
/// wait) to the parent if it is a supervisor.
fn acknowledge(caller: &Caller<'_, ProcessState>, payload: &[u8]) -> i32 {
    let process = &caller.data().process;
    let waiting = Pid::from_raw(process.ack_to.swap(0, Ordering::AcqRel));
    let to = match waiting {
        Some(to) => Some(to),
        None if !payload.is_empty() => {
            process.parent.filter(|&parent| process.runtime.table.get(parent).is_some_and(|p| p.is_supervisor()))
        }
        None => None,
    };
    if let Some(to) = to {
        process.runtime.send(to, Letter::new(process.pid, TAG_ACK, payload));
    }
    OK
}
