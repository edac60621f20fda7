//! Host functions about processes: self, parent, spawn, arguments, exit,
//! yield, handler style.

use super::charge::charge;
use super::guest_memory::{check_range, dest_len, exit_detail, fault, read_str, write};
use super::signals::{Spawn, spawn_with};
use crate::base::codes::{ERR_BADARG, ERR_CANNOT_HIBERNATE, ERR_NO_SUCH_EXPORT, MODULE, OK};
use crate::base::reason::ExitReason;
use crate::process::cost;
use crate::process::state::ProcessState;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use wasmtime::{Caller, Extern, Linker};

pub(super) fn link(linker: &mut Linker<ProcessState>) -> wasmtime::Result<()> {
    linker.func_wrap(MODULE, "self", |caller: Caller<'_, ProcessState>| caller.data().pid.raw().cast_signed())?;
    // 0 when the host spawned it (no pid is 0).
    linker.func_wrap(MODULE, "parent", |caller: Caller<'_, ProcessState>| {
        caller.data().process.parent.map_or(0, |parent| parent.raw().cast_signed())
    })?;
    linker.func_wrap(MODULE, "spawn", spawn)?;
    linker.func_wrap(MODULE, "spawn_module", spawn_module)?;
    linker.func_wrap(MODULE, "arg_size", |caller: Caller<'_, ProcessState>| {
        // A spawn argument comes from guest memory: far below 2 GiB.
        i32::try_from(caller.data().arg.len()).unwrap_or(i32::MAX)
    })?;
    linker.func_wrap(MODULE, "arg_read", arg_read)?;
    linker.func_wrap(MODULE, "exit", exit)?;
    linker.func_wrap(MODULE, "set_handler", set_handler)?;
    linker.func_wrap(MODULE, "hibernate", hibernate)?;
    linker.func_wrap_async(MODULE, "yield_now", |_caller: Caller<'_, ProcessState>, (): ()| {
        Box::new(YieldOnce(false)) as Box<dyn Future<Output = wasmtime::Result<()>> + Send>
    })?;
    Ok(())
}

fn spawn(
    caller: Caller<'_, ProcessState>,
    entry_ptr: i32,
    entry_len: i32,
    arg_ptr: i32,
    arg_len: i32,
) -> wasmtime::Result<i64> {
    spawn_with(caller, "spawn", Spawn::plain((0, 0), (entry_ptr, entry_len), (arg_ptr, arg_len)))
}

fn spawn_module(
    caller: Caller<'_, ProcessState>,
    module_ptr: i32,
    module_len: i32,
    entry_ptr: i32,
    entry_len: i32,
    arg_ptr: i32,
    arg_len: i32,
) -> wasmtime::Result<i64> {
    let spawn = Spawn::plain((module_ptr, module_len), (entry_ptr, entry_len), (arg_ptr, arg_len));
    spawn_with(caller, "spawn_module", spawn)
}

fn arg_read(mut caller: Caller<'_, ProcessState>, dst_ptr: i32, dst_len: i32) -> wasmtime::Result<i32> {
    check_range(&mut caller, "arg_read", dst_ptr, dst_len)?;
    let n = dest_len("arg_read", dst_len, caller.data().arg.len())?;
    // The argument is moved out while it is copied (no clone), then put back.
    let arg = std::mem::take(&mut caller.data_mut().arg);
    let result = write(&mut caller, "arg_read", dst_ptr, &arg[..n]);
    caller.data_mut().arg = arg;
    charge(&mut caller, cost::copy(n));
    result.map(|()| i32::try_from(n).unwrap_or(i32::MAX))
}

fn exit(mut caller: Caller<'_, ProcessState>, kind: i32, detail_ptr: i32, detail_len: i32) -> wasmtime::Result<()> {
    let detail = exit_detail(&mut caller, "exit", detail_ptr, detail_len)?;
    let Some(reason) = ExitReason::from_guest(kind, detail) else {
        return Err(fault(
            "exit",
            format_args!("reason kind {kind} cannot be given by a guest (use 0 normal, 1 shutdown or 2 custom)"),
        ));
    };
    caller.data_mut().exit_request = Some(std::sync::Arc::new(reason));
    // Unwinds the guest; the scheduler reads `exit_request` for the reason.
    Err(wasmtime::Error::msg("process called exit"))
}

fn set_handler(mut caller: Caller<'_, ProcessState>, name_ptr: i32, name_len: i32) -> wasmtime::Result<i32> {
    let Some(name) = read_str(&mut caller, "set_handler", name_ptr, name_len)? else {
        return Ok(ERR_BADARG);
    };
    let typed = match caller.get_export(&name) {
        Some(Extern::Func(func)) => func.typed::<(), i32>(&caller).is_ok(),
        _ => false,
    };
    if !typed {
        return Ok(ERR_NO_SUCH_EXPORT);
    }
    let state = caller.data_mut();
    state.handler = Some(state.module.export_name(&name).unwrap_or_else(|| name.into()));
    state.handler_changed = true;
    Ok(OK)
}

/// Asks to hibernate when the current call returns (if the process is then
/// handler-style): see `wasm/hibernate.rs`.
fn hibernate(mut caller: Caller<'_, ProcessState>) -> i32 {
    let state = caller.data_mut();
    match state.module.hibernation.as_ref() {
        Ok(_) => {
            state.hibernate = true;
            OK
        }
        Err(why) => {
            tracing::debug!(pid = %state.pid, module = %state.module.name, "cannot hibernate: {why}");
            ERR_CANNOT_HIBERNATE
        }
    }
}

/// Yields once: a wake from inside the poll sends the process to the back of
/// the run queue.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = wasmtime::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        if self.0 {
            Poll::Ready(Ok(()))
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}
