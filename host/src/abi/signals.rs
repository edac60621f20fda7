//! Host functions about links, monitors and exit signals (see
//! `svc/signals.rs` for the rules), and spawning.

use super::charge::charge;
use super::guest_memory::{exit_detail, guest, write};
use crate::base::codes::{
    ERR_BADARG, ERR_NO_SUCH_MODULE, ERR_NOT_PERMITTED, MODULE, OK, REASON_KILL, SPAWN_LINK, SPAWN_MONITOR,
};
use crate::base::options::SpawnOptions;
use crate::base::pid::Pid;
use crate::base::reason::ExitReason;
use crate::process::cost;
use crate::process::spawn::Watchers;
use crate::process::state::ProcessState;
use crate::process::trace::{self, TraceEvent};
use crate::svc::signals::is_down_of;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use wasmtime::{Caller, Linker};

pub(super) fn link(linker: &mut Linker<ProcessState>) -> wasmtime::Result<()> {
    linker.func_wrap(MODULE, "spawn_opt", spawn_opt)?;
    linker.func_wrap(MODULE, "spawn_opts", spawn_opts)?;
    linker.func_wrap(MODULE, "link", |mut caller: Caller<'_, ProcessState>, pid: i64| {
        let Some(pid) = Pid::from_raw(pid.cast_unsigned()) else { return Ok(ERR_BADARG) };
        let state = caller.data();
        let runtime = &state.process.runtime;
        runtime.signals.link(&runtime.table, &state.process, pid);
        if state.process.is_traced() {
            trace::event(&state.process, TraceEvent::Linked { other: pid });
        }
        // Linking to a dead pid without trapping exits ends the caller with
        // `noproc` now, as the call fails in Erlang.
        exit_now_if_asked(&mut caller)?;
        Ok(OK)
    })?;
    linker.func_wrap(MODULE, "unlink", |caller: Caller<'_, ProcessState>, pid: i64| {
        let state = caller.data();
        match Pid::from_raw(pid.cast_unsigned()) {
            Some(pid) => {
                let runtime = &state.process.runtime;
                runtime.signals.unlink(&runtime.table, &*state.process, pid);
                if state.process.is_traced() {
                    trace::event(&state.process, TraceEvent::Unlinked { other: pid });
                }
                OK
            }
            None => ERR_BADARG,
        }
    })?;
    linker.func_wrap(MODULE, "trap_exit", |caller: Caller<'_, ProcessState>, on: i32| {
        i32::from(caller.data().process.trap_exit.swap(on != 0, Ordering::AcqRel))
    })?;
    linker.func_wrap(MODULE, "exit_signal", exit_signal)?;
    linker.func_wrap(MODULE, "monitor", |caller: Caller<'_, ProcessState>, pid: i64| {
        let state = caller.data();
        match Pid::from_raw(pid.cast_unsigned()) {
            Some(pid) => {
                let runtime = &state.process.runtime;
                runtime.signals.monitor(&runtime.table, &state.process, pid).cast_signed()
            }
            None => i64::from(ERR_BADARG),
        }
    })?;
    linker.func_wrap(MODULE, "demonitor", |mut caller: Caller<'_, ProcessState>, reference: i64, flush: i32| {
        let state = caller.data_mut();
        let reference = reference.cast_unsigned();
        let runtime = &state.process.runtime;
        let active = runtime.signals.demonitor(&runtime.table, &*state.process, reference);
        if flush != 0 {
            // After the demonitor no DOWN of it is queued: one that was is
            // found now.
            let flushed = state
                .received
                .remove_first(&state.process.mailbox, |m| is_down_of(reference, m.tag(), m.payload().head()));
            if let Some(down) = flushed {
                runtime.memory.release(down.footprint());
            }
        }
        i32::from(active)
    })?;
    Ok(())
}

/// `spawn_opt(module, entry, arg, flags, ref_out)`: spawn with link and/or
/// monitor, atomically. An empty module name means the caller's module.
#[allow(clippy::too_many_arguments)]
fn spawn_opt(
    caller: Caller<'_, ProcessState>,
    module_ptr: i32,
    module_len: i32,
    entry_ptr: i32,
    entry_len: i32,
    arg_ptr: i32,
    arg_len: i32,
    flags: i32,
    ref_out: i32,
) -> wasmtime::Result<i64> {
    let spawn =
        Spawn { flags, ref_out, ..Spawn::plain((module_ptr, module_len), (entry_ptr, entry_len), (arg_ptr, arg_len)) };
    spawn_with(caller, "spawn_opt", spawn)
}

/// `spawn_opts(module, entry, arg, options, flags, ref_out)`: as
/// `spawn_opt`, with the child's limits and capabilities narrowed by the
/// options block (see `base/options.rs` and docs/ABI.md).
#[allow(clippy::too_many_arguments)]
fn spawn_opts(
    caller: Caller<'_, ProcessState>,
    module_ptr: i32,
    module_len: i32,
    entry_ptr: i32,
    entry_len: i32,
    arg_ptr: i32,
    arg_len: i32,
    options_ptr: i32,
    options_len: i32,
    flags: i32,
    ref_out: i32,
) -> wasmtime::Result<i64> {
    let spawn = Spawn {
        options: (options_ptr, options_len),
        flags,
        ref_out,
        ..Spawn::plain((module_ptr, module_len), (entry_ptr, entry_len), (arg_ptr, arg_len))
    };
    spawn_with(caller, "spawn_opts", spawn)
}

/// The guest's arguments of a spawn: `(ptr, len)` ranges of the module
/// name (empty for the caller's own module), the entry, the argument and
/// the options block (empty: the caller's capabilities as they are); the
/// link/monitor flags and where the monitor reference goes.
pub(super) struct Spawn {
    pub(super) module: (i32, i32),
    pub(super) entry: (i32, i32),
    pub(super) arg: (i32, i32),
    pub(super) options: (i32, i32),
    pub(super) flags: i32,
    pub(super) ref_out: i32,
}

impl Spawn {
    /// A spawn of `entry` of `module` with `arg`: no options, not linked
    /// or monitored.
    pub(super) fn plain(module: (i32, i32), entry: (i32, i32), arg: (i32, i32)) -> Spawn {
        Spawn { module, entry, arg, options: (0, 0), flags: 0, ref_out: 0 }
    }
}

/// Every spawn function: checks every range (the module name; the entry;
/// the argument; the options; with `SPAWN_MONITOR`, `ref_out`), then the
/// arguments (the options block among them, and the directories it names
/// against the caller's), the capability, the module, and spawns with the
/// link/monitor `flags`. `func` names the host function in traps.
pub(super) fn spawn_with(mut caller: Caller<'_, ProcessState>, func: &str, spawn: Spawn) -> wasmtime::Result<i64> {
    let Spawn { module, entry, arg, options, flags, ref_out } = spawn;
    let g = guest(&mut caller);
    let (module, entry) = (g.span(func, module.0, module.1)?, g.span(func, entry.0, entry.1)?);
    let arg = g.span(func, arg.0, arg.1)?;
    let options = g.span(func, options.0, options.1)?;
    if flags & SPAWN_MONITOR != 0 {
        // Checked before spawning: a trap must not leave a child behind.
        g.span(func, ref_out, 8)?;
    }
    let (Ok(module), Ok(entry)) = (std::str::from_utf8(&g.mem[module]), std::str::from_utf8(&g.mem[entry])) else {
        return Ok(ERR_BADARG.into());
    };
    if flags & !(SPAWN_LINK | SPAWN_MONITOR) != 0 {
        return Ok(ERR_BADARG.into());
    }
    let state = &*g.state;
    // No options: the child shares the caller's capabilities (no copy).
    let caps = if options.is_empty() {
        state.caps.clone()
    } else {
        let narrowed = SpawnOptions::decode(&g.mem[options.clone()]).and_then(|asked| state.caps.narrowed(&asked));
        match narrowed {
            Ok(caps) => Arc::new(caps),
            Err(_) => return Ok(ERR_BADARG.into()),
        }
    };
    if !state.caps.may_spawn {
        return Ok(ERR_NOT_PERMITTED.into());
    }
    let runtime = &state.process.runtime;
    let module = if module.is_empty() {
        state.module.clone()
    } else {
        match runtime.module(module) {
            Some(module) => module,
            None => return Ok(ERR_NO_SUCH_MODULE.into()),
        }
    };
    let arg: Box<[u8]> = Box::from(&g.mem[arg]);
    let copied = arg.len() + options.len();
    let me = &state.process;
    let watchers = Watchers {
        link: (flags & SPAWN_LINK != 0).then_some(me),
        monitor: (flags & SPAWN_MONITOR != 0).then_some(me),
        parent: Some(me.pid),
        ..Watchers::default()
    };
    let spawned = runtime.spawn(module, entry, arg, caps, watchers);
    charge(&mut caller, cost::copy(copied));
    let (child, reference) = match spawned {
        Ok(spawned) => spawned,
        Err(error) => return Ok(error.code()),
    };
    if caller.data().process.is_traced() {
        trace::event(&caller.data().process, TraceEvent::Spawned { child: child.pid });
    }
    if flags & SPAWN_MONITOR != 0 {
        write(&mut caller, func, ref_out, &reference.to_le_bytes())?;
    }
    Ok(child.pid.raw().cast_signed())
}

/// `exit_signal(pid, kind, detail)`: erlang:exit/2.
fn exit_signal(
    mut caller: Caller<'_, ProcessState>,
    pid: i64,
    kind: i32,
    detail_ptr: i32,
    detail_len: i32,
) -> wasmtime::Result<i32> {
    let detail = exit_detail(&mut caller, "exit_signal", detail_ptr, detail_len)?;
    charge(&mut caller, cost::copy(detail.len()));
    let reason = if kind == REASON_KILL { Some(ExitReason::Kill) } else { ExitReason::from_guest(kind, detail) };
    let (Some(reason), Some(to)) = (reason, Pid::from_raw(pid.cast_unsigned())) else {
        return Ok(ERR_BADARG);
    };
    let state = caller.data();
    let runtime = &state.process.runtime;
    runtime.signals.exit_signal(&runtime.table, state.pid, to, &Arc::new(reason), false);
    // A signal that ends the caller itself takes effect now, as `exit` does.
    exit_now_if_asked(&mut caller)?;
    Ok(OK)
}

/// Ends the caller now if a signal asked it to exit (unwinds the guest; the
/// scheduler reads `exit_request` for the reason).
fn exit_now_if_asked(caller: &mut Caller<'_, ProcessState>) -> wasmtime::Result<()> {
    match caller.data().process.take_pending_exit() {
        Some(reason) => {
            caller.data_mut().exit_request = Some(reason);
            Err(wasmtime::Error::msg("process exited by an exit signal"))
        }
        None => Ok(()),
    }
}
