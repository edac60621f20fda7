//! Host functions about time: send_after, cancel_timer, read_timer, sleep.

use super::charge::charge;
use super::guest_memory::guest;
use super::message::too_large;
use crate::base::codes::{ERR_BADARG, ERR_LIMIT, ERR_NO_SUCH_TIMER, MODULE, OK};
use crate::base::pid::Pid;
use crate::process::cost;
use crate::process::state::ProcessState;
use crate::svc::timers::Destination;
use std::future::Future;
use std::time::Duration;
use wasmtime::{Caller, Linker};

pub(super) fn link(linker: &mut Linker<ProcessState>) -> wasmtime::Result<()> {
    linker.func_wrap(MODULE, "send_after", send_after)?;
    linker.func_wrap(MODULE, "send_after_named", send_after_named)?;
    linker.func_wrap(MODULE, "cancel_timer", |caller: Caller<'_, ProcessState>, reference: i64| {
        let timers = &caller.data().process.runtime.timers;
        timers.cancel(reference.cast_unsigned()).map_or(i64::from(ERR_NO_SUCH_TIMER), millis)
    })?;
    linker.func_wrap(MODULE, "read_timer", |caller: Caller<'_, ProcessState>, reference: i64| {
        let timers = &caller.data().process.runtime.timers;
        timers.read(reference.cast_unsigned()).map_or(i64::from(ERR_NO_SUCH_TIMER), millis)
    })?;
    linker.func_wrap_async(MODULE, "sleep", |_caller: Caller<'_, ProcessState>, (ms,): (i64,)| {
        Box::new(async move {
            if ms > 0 {
                tokio::time::sleep(Duration::from_millis(ms.unsigned_abs())).await;
            }
            Ok(OK)
        }) as Box<dyn Future<Output = wasmtime::Result<i32>> + Send>
    })?;
    Ok(())
}

/// Time left, in whole milliseconds rounded up (a timer with any time left
/// never reads as 0, which would look fired).
fn millis(left: Duration) -> i64 {
    i64::try_from(left.as_micros().div_ceil(1000)).unwrap_or(i64::MAX)
}

fn send_after(
    mut caller: Caller<'_, ProcessState>,
    pid: i64,
    tag: i64,
    ptr: i32,
    len: i32,
    ms: i64,
) -> wasmtime::Result<i64> {
    let g = guest(&mut caller);
    // The range first: a bad one traps, whatever else is wrong.
    let span = g.span("send_after", ptr, len)?;
    let (Some(to), true, true) = (Pid::from_raw(pid.cast_unsigned()), tag >= 0, ms >= 0) else {
        return Ok(ERR_BADARG.into());
    };
    if too_large(&g.state.process.runtime, span.len()) {
        return Ok(ERR_LIMIT.into());
    }
    let data = Box::from(&g.mem[span]);
    start_timer(caller, Destination::Pid(to), tag, data, ms)
}

#[allow(clippy::too_many_arguments)]
fn send_after_named(
    mut caller: Caller<'_, ProcessState>,
    name_ptr: i32,
    name_len: i32,
    tag: i64,
    ptr: i32,
    len: i32,
    ms: i64,
) -> wasmtime::Result<i64> {
    let g = guest(&mut caller);
    let (name, span) = (g.span("send_after_named", name_ptr, name_len)?, g.span("send_after_named", ptr, len)?);
    let Ok(name) = std::str::from_utf8(&g.mem[name]) else { return Ok(ERR_BADARG.into()) };
    if tag < 0 || ms < 0 {
        return Ok(ERR_BADARG.into());
    }
    if too_large(&g.state.process.runtime, span.len()) {
        return Ok(ERR_LIMIT.into());
    }
    let (name, data) = (name.to_string(), Box::from(&g.mem[span]));
    start_timer(caller, Destination::Name(name), tag, data, ms)
}

/// Makes a timer that sends `tag` and `data` to `to` in `ms` (>= 0)
/// milliseconds; the copy of `data` is charged to the caller.
fn start_timer(
    mut caller: Caller<'_, ProcessState>,
    to: Destination,
    tag: i64,
    data: Box<[u8]>,
    ms: i64,
) -> wasmtime::Result<i64> {
    charge(&mut caller, cost::copy(data.len()));
    let state = caller.data();
    let runtime = &state.process.runtime;
    let after = Duration::from_millis(ms.unsigned_abs());
    let reference = runtime.timers.send_after(&runtime.table, state.pid, to, tag, data, after);
    Ok(reference.map_or(ERR_LIMIT.into(), u64::cast_signed))
}
