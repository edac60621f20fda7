//! Host functions about calls: `call` and `call_named` (a request, and a
//! wait for its reply, its timeout or the death of the process called),
//! `system_call` (the same for a system request) and `reply` (see
//! `process/call.rs` for how they meet).

use super::charge::{charge, charge_with_receives};
use super::guest_memory::guest;
use super::message::too_large;
use crate::base::codes::{ERR_BADARG, ERR_LIMIT, ERR_NOPROC, MODULE, OK};
use crate::base::pid::Pid;
use crate::process::call::{self, Kind};
use crate::process::cost;
use crate::process::handoff;
use crate::process::receive::{self, Phase};
use crate::process::state::ProcessState;
use std::future::Future;
use std::ops::Range;
use wasmtime::{Caller, Linker};

pub(super) fn link(linker: &mut Linker<ProcessState>) -> wasmtime::Result<()> {
    linker.func_wrap_async(MODULE, "call", call)?;
    linker.func_wrap_async(MODULE, "call_named", call_named)?;
    linker.func_wrap_async(MODULE, "system_call", system_call)?;
    linker.func_wrap(MODULE, "reply", reply)?;
    Ok(())
}

/// Whom a call is for.
enum Callee {
    Pid(i64),
    /// A registered name: the range of its bytes in guest memory.
    Name(Range<usize>),
}

/// `call(pid, req_ptr, req_len, timeout_ms)`.
fn call(
    mut caller: Caller<'_, ProcessState>,
    (pid, ptr, len, timeout_ms): (i64, i32, i32, i64),
) -> Box<dyn Future<Output = wasmtime::Result<i32>> + Send + '_> {
    let started = start_call(&mut caller, ("call", Kind::Request), Ok(Callee::Pid(pid)), (ptr, len), timeout_ms);
    receive::future(caller.data_mut(), started)
}

/// `system_call(pid, req_ptr, req_len, timeout_ms)`: as `call`, with the
/// request sent as a system request (`TAG_SYSTEM`).
fn system_call(
    mut caller: Caller<'_, ProcessState>,
    (pid, ptr, len, timeout_ms): (i64, i32, i32, i64),
) -> Box<dyn Future<Output = wasmtime::Result<i32>> + Send + '_> {
    let call = ("system_call", Kind::System);
    let started = start_call(&mut caller, call, Ok(Callee::Pid(pid)), (ptr, len), timeout_ms);
    receive::future(caller.data_mut(), started)
}

/// `call_named(name_ptr, name_len, req_ptr, req_len, timeout_ms)`.
fn call_named(
    mut caller: Caller<'_, ProcessState>,
    (name_ptr, name_len, ptr, len, timeout_ms): (i32, i32, i32, i32, i64),
) -> Box<dyn Future<Output = wasmtime::Result<i32>> + Send + '_> {
    let name = guest(&mut caller).span("call_named", name_ptr, name_len).map(Callee::Name);
    let started = start_call(&mut caller, ("call_named", Kind::Request), name, (ptr, len), timeout_ms);
    receive::future(caller.data_mut(), started)
}

/// The synchronous part of a call: checks, the request sent, and the look
/// for an answer already there (a callee not alive answers at once).
/// Returns the phase the call's wait starts in.
fn start_call(
    caller: &mut Caller<'_, ProcessState>,
    (func, kind): (&str, Kind),
    callee: wasmtime::Result<Callee>,
    (ptr, len): (i32, i32),
    timeout_ms: i64,
) -> wasmtime::Result<Phase> {
    // As every receive, a call ends the current message.
    caller.data_mut().current = None;
    caller.data_mut().receive.into = None;
    let callee = callee?;
    let g = guest(caller);
    // Ranges first (a bad one traps), then the arguments, then the limits.
    let request = g.span(func, ptr, len)?;
    let runtime = &g.state.process.runtime;
    let callee = match callee {
        Callee::Pid(raw) => match Pid::from_raw(raw.cast_unsigned()) {
            Some(pid) => pid,
            None => return Ok(Phase::Ready(ERR_BADARG)),
        },
        Callee::Name(name) => {
            let Ok(name) = std::str::from_utf8(&g.mem[name]) else { return Ok(Phase::Ready(ERR_BADARG)) };
            // As `gen_server:call` to a name nobody holds: `noproc`.
            match runtime.names.whereis(name) {
                Some(pid) => pid,
                None => return Ok(Phase::Ready(ERR_NOPROC)),
            }
        }
    };
    // A process calling itself would wait for ever (OTP exits it with
    // `calling_self`).
    if callee == g.state.pid {
        return Ok(Phase::Ready(ERR_BADARG));
    }
    if too_large(runtime, request.len()) {
        return Ok(Phase::Ready(ERR_LIMIT));
    }
    g.state.receive.tags.set(&call::WAIT_TAGS);
    let handoff = call::start(g.state, kind, callee, &g.mem[request.clone()]);
    // The callee this call woke runs now, nested: its reply is then there.
    let callee_used = handoff.map_or(0, |callee| handoff::run(&g.state.process, callee));
    let answer = receive::begin(g.state, timeout_ms);
    charge_with_receives(caller, cost::sends(1, request.len()).saturating_add(callee_used));
    if let Some(answer) = answer {
        return answer;
    }
    let fuel_left = caller.get_fuel().ok();
    Ok(receive::wait(caller.data_mut(), timeout_ms, fuel_left))
}

/// `reply(pid, token, ptr, len)`: answers the call of `token` from `pid`.
fn reply(mut caller: Caller<'_, ProcessState>, pid: i64, token: i64, ptr: i32, len: i32) -> wasmtime::Result<i32> {
    let g = guest(&mut caller);
    let span = g.span("reply", ptr, len)?;
    let Some(to) = Pid::from_raw(pid.cast_unsigned()) else { return Ok(ERR_BADARG) };
    if token == 0 {
        return Ok(ERR_BADARG);
    }
    if too_large(&g.state.process.runtime, span.len()) {
        return Ok(ERR_LIMIT);
    }
    call::reply(g.state, to, token.cast_unsigned(), &g.mem[span.clone()]);
    charge(&mut caller, cost::sends(1, span.len()));
    Ok(OK)
}
