//! Host functions about time: send_after, cancel_timer, read_timer, sleep.

use super::guest_memory::{read, read_str};
use super::message::too_large;
use super::{ERR_BADARG, ERR_LIMIT, MODULE, OK};
use crate::pid::Pid;
use crate::process::ProcessState;
use crate::timer::Destination;
use std::future::Future;
use std::time::Duration;
use wasmtime::{Caller, Linker};

/// The timer has fired, was cancelled, or never existed.
pub const ERR_NO_SUCH_TIMER: i32 = -24;

pub(super) fn link(linker: &mut Linker<ProcessState>) -> wasmtime::Result<()> {
    linker.func_wrap(MODULE, "send_after", send_after)?;
    linker.func_wrap(MODULE, "send_after_named", send_after_named)?;
    linker.func_wrap(MODULE, "cancel_timer", |caller: Caller<'_, ProcessState>, reference: i64| {
        caller.data().process.node.cancel_timer(reference as u64).map_or(i64::from(ERR_NO_SUCH_TIMER), millis)
    })?;
    linker.func_wrap(MODULE, "read_timer", |caller: Caller<'_, ProcessState>, reference: i64| {
        caller.data().process.node.timers.read(reference as u64).map_or(i64::from(ERR_NO_SUCH_TIMER), millis)
    })?;
    linker.func_wrap_async(MODULE, "sleep", |_caller: Caller<'_, ProcessState>, (ms,): (i64,)| {
        Box::new(async move {
            if ms > 0 {
                tokio::time::sleep(Duration::from_millis(ms as u64)).await;
            }
            Ok(OK)
        }) as Box<dyn Future<Output = wasmtime::Result<i32>> + Send>
    })?;
    Ok(())
}

/// Time left, in whole milliseconds rounded up (a timer with any time left
/// never reads as 0, which would look fired).
fn millis(left: Duration) -> i64 {
    left.as_micros().div_ceil(1000).min(i64::MAX as u128) as i64
}

fn send_after(
    mut caller: Caller<'_, ProcessState>,
    pid: i64,
    tag: i64,
    ptr: i32,
    len: i32,
    ms: i64,
) -> wasmtime::Result<i64> {
    let (Some(to), true, true) = (Pid::from_raw(pid as u64), tag >= 0, ms >= 0) else {
        return Ok(ERR_BADARG.into());
    };
    if too_large(&caller, len) {
        return Ok(ERR_LIMIT.into());
    }
    let data = read(&mut caller, "send_after", ptr, len)?;
    let state = caller.data();
    let reference =
        state.process.node.send_after(state.pid, Destination::Pid(to), tag, data, Duration::from_millis(ms as u64));
    Ok(reference.map_or(ERR_LIMIT.into(), |r| r as i64))
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
    let Some(name) = read_str(&mut caller, "send_after_named", name_ptr, name_len)? else {
        return Ok(ERR_BADARG.into());
    };
    if tag < 0 || ms < 0 {
        return Ok(ERR_BADARG.into());
    }
    if too_large(&caller, len) {
        return Ok(ERR_LIMIT.into());
    }
    let data = read(&mut caller, "send_after_named", ptr, len)?;
    let state = caller.data();
    let reference =
        state.process.node.send_after(state.pid, Destination::Name(name), tag, data, Duration::from_millis(ms as u64));
    Ok(reference.map_or(ERR_LIMIT.into(), |r| r as i64))
}
