//! Host functions about names: registered names, keyed registries, and
//! sending to a name.

use super::charge::charge;
use super::guest_memory::{check_range, guest, read_str, write};
use super::message::too_large;
use crate::base::codes::{
    ERR_ALREADY_NAMED, ERR_BADARG, ERR_LIMIT, ERR_NAME_TAKEN, ERR_NO_SUCH_NAME, ERR_NOPROC, MODULE, OK,
};
use crate::base::pid::Pid;
use crate::process::cost;
use crate::process::letter::Letter;
use crate::process::state::ProcessState;
use crate::svc::names::NameError;
use wasmtime::{Caller, Linker};

fn code(error: NameError) -> i32 {
    match error {
        NameError::Taken => ERR_NAME_TAKEN,
        NameError::NotFound => ERR_NO_SUCH_NAME,
        NameError::AlreadyNamed => ERR_ALREADY_NAMED,
        NameError::Noproc => ERR_NOPROC,
    }
}

fn result(outcome: Result<(), NameError>) -> i32 {
    outcome.map_or_else(code, |()| OK)
}

pub(super) fn link(linker: &mut Linker<ProcessState>) -> wasmtime::Result<()> {
    linker.func_wrap(MODULE, "register", |mut caller: Caller<'_, ProcessState>, ptr: i32, len: i32, pid: i64| {
        let Some(name) = read_str(&mut caller, "register", ptr, len)? else { return Ok(ERR_BADARG) };
        let Some(pid) = Pid::from_raw(pid.cast_unsigned()) else { return Ok(ERR_BADARG) };
        if name.is_empty() {
            return Ok(ERR_BADARG);
        }
        let runtime = &caller.data().process.runtime;
        Ok(result(runtime.names.register(&runtime.table, &name, pid)))
    })?;
    linker.func_wrap(MODULE, "unregister", |mut caller: Caller<'_, ProcessState>, ptr: i32, len: i32| {
        let Some(name) = read_str(&mut caller, "unregister", ptr, len)? else { return Ok(ERR_BADARG) };
        let runtime = &caller.data().process.runtime;
        Ok(result(runtime.names.unregister(&runtime.table, &name)))
    })?;
    linker.func_wrap(MODULE, "whereis", |mut caller: Caller<'_, ProcessState>, ptr: i32, len: i32| {
        let Some(name) = read_str(&mut caller, "whereis", ptr, len)? else { return Ok(i64::from(ERR_BADARG)) };
        Ok(caller.data().process.runtime.names.whereis(&name).map_or(0, |pid| pid.raw().cast_signed()))
    })?;
    linker.func_wrap(MODULE, "send_named", send_named)?;
    linker.func_wrap(MODULE, "registered", |mut caller: Caller<'_, ProcessState>, dst: i32, dst_len: i32| {
        let names = caller.data().process.runtime.names.registered();
        let mut out = Vec::new();
        for name in &names {
            out.extend_from_slice(&length(name.len()).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
        }
        charge(&mut caller, cost::items(names.len()) + cost::copy(out.len()));
        copy_out(&mut caller, "registered", dst, dst_len, &out)
    })?;
    linker.func_wrap(
        MODULE,
        "registry_new",
        |mut caller: Caller<'_, ProcessState>, ptr: i32, len: i32, unique: i32| {
            let Some(name) = read_str(&mut caller, "registry_new", ptr, len)? else { return Ok(ERR_BADARG) };
            Ok(result(caller.data().process.runtime.names.registry_new(&name, unique != 0)))
        },
    )?;
    linker.func_wrap(MODULE, "registry_register", registry_register)?;
    linker.func_wrap(MODULE, "registry_unregister", registry_unregister)?;
    linker.func_wrap(MODULE, "registry_lookup", registry_lookup)?;
    linker.func_wrap(MODULE, "registry_dispatch", registry_dispatch)?;
    Ok(())
}

/// Copies `out` to the guest buffer if it fits; returns the bytes it needs.
fn copy_out(
    caller: &mut Caller<'_, ProcessState>,
    func: &str,
    dst: i32,
    dst_len: i32,
    out: &[u8],
) -> wasmtime::Result<i32> {
    check_range(caller, func, dst, dst_len)?;
    let needed = i32::try_from(out.len()).unwrap_or(i32::MAX);
    if usize::try_from(dst_len).is_ok_and(|room| out.len() <= room) {
        write(caller, func, dst, out)?;
    }
    Ok(needed)
}

fn send_named(
    mut caller: Caller<'_, ProcessState>,
    name_ptr: i32,
    name_len: i32,
    tag: i64,
    ptr: i32,
    len: i32,
) -> wasmtime::Result<i32> {
    let g = guest(&mut caller);
    // Ranges first, then the arguments, the name, the limits.
    let (name, payload) = (g.span("send_named", name_ptr, name_len)?, g.span("send_named", ptr, len)?);
    let Ok(name) = std::str::from_utf8(&g.mem[name]) else { return Ok(ERR_BADARG) };
    if tag < 0 {
        return Ok(ERR_BADARG);
    }
    let runtime = &g.state.process.runtime;
    // As in Erlang, sending to a name nobody holds is the sender's error.
    let Some(to) = runtime.names.whereis(name) else { return Ok(ERR_NO_SUCH_NAME) };
    if too_large(runtime, payload.len()) {
        return Ok(ERR_LIMIT);
    }
    let letter = Letter::new(g.state.pid, tag, &g.mem[payload]);
    let copied = letter.payload().len();
    runtime.send(to, letter);
    charge(&mut caller, cost::copy(copied));
    Ok(OK)
}

fn registry_register(
    mut caller: Caller<'_, ProcessState>,
    reg_ptr: i32,
    reg_len: i32,
    key_ptr: i32,
    key_len: i32,
    value_ptr: i32,
    value_len: i32,
) -> wasmtime::Result<i32> {
    const FUNC: &str = "registry_register";
    let g = guest(&mut caller);
    let (registry, key, value) =
        (g.span(FUNC, reg_ptr, reg_len)?, g.span(FUNC, key_ptr, key_len)?, g.span(FUNC, value_ptr, value_len)?);
    let Ok(registry) = std::str::from_utf8(&g.mem[registry]) else { return Ok(ERR_BADARG) };
    let names = &g.state.process.runtime.names;
    Ok(result(names.registry_register(registry, &*g.state.process, &g.mem[key], &g.mem[value])))
}

fn registry_unregister(
    mut caller: Caller<'_, ProcessState>,
    reg_ptr: i32,
    reg_len: i32,
    key_ptr: i32,
    key_len: i32,
) -> wasmtime::Result<i32> {
    const FUNC: &str = "registry_unregister";
    let g = guest(&mut caller);
    let (registry, key) = (g.span(FUNC, reg_ptr, reg_len)?, g.span(FUNC, key_ptr, key_len)?);
    let Ok(registry) = std::str::from_utf8(&g.mem[registry]) else { return Ok(ERR_BADARG) };
    let names = &g.state.process.runtime.names;
    Ok(result(names.registry_unregister(registry, &*g.state.process, &g.mem[key])))
}

fn registry_lookup(
    mut caller: Caller<'_, ProcessState>,
    reg_ptr: i32,
    reg_len: i32,
    key_ptr: i32,
    key_len: i32,
    dst: i32,
    dst_len: i32,
) -> wasmtime::Result<i32> {
    const FUNC: &str = "registry_lookup";
    let g = guest(&mut caller);
    let (registry, key) = (g.span(FUNC, reg_ptr, reg_len)?, g.span(FUNC, key_ptr, key_len)?);
    g.span(FUNC, dst, dst_len)?;
    let Ok(registry) = std::str::from_utf8(&g.mem[registry]) else { return Ok(ERR_BADARG) };
    let entries = match g.state.process.runtime.names.registry_lookup(registry, &g.mem[key]) {
        Ok(entries) => entries,
        Err(error) => return Ok(code(error)),
    };
    let mut out = Vec::new();
    for (pid, value) in &entries {
        out.extend_from_slice(&pid.raw().to_le_bytes());
        out.extend_from_slice(&length(value.len()).to_le_bytes());
        out.extend_from_slice(value);
    }
    charge(&mut caller, cost::items(entries.len()) + cost::copy(out.len()));
    copy_out(&mut caller, FUNC, dst, dst_len, &out)
}

#[allow(clippy::too_many_arguments)]
fn registry_dispatch(
    mut caller: Caller<'_, ProcessState>,
    reg_ptr: i32,
    reg_len: i32,
    key_ptr: i32,
    key_len: i32,
    tag: i64,
    ptr: i32,
    len: i32,
) -> wasmtime::Result<i32> {
    const FUNC: &str = "registry_dispatch";
    let g = guest(&mut caller);
    let (registry, key) = (g.span(FUNC, reg_ptr, reg_len)?, g.span(FUNC, key_ptr, key_len)?);
    let data = g.span(FUNC, ptr, len)?;
    let Ok(registry) = std::str::from_utf8(&g.mem[registry]) else { return Ok(ERR_BADARG) };
    if tag < 0 {
        return Ok(ERR_BADARG);
    }
    let (state, data) = (&*g.state, &g.mem[data]);
    let runtime = &state.process.runtime;
    let entries = match runtime.names.registry_lookup(registry, &g.mem[key]) {
        Ok(entries) => entries,
        Err(error) => return Ok(code(error)),
    };
    if too_large(runtime, data.len()) {
        return Ok(ERR_LIMIT);
    }
    for (pid, _) in &entries {
        runtime.send(*pid, Letter::new(state.pid, tag, data));
    }
    // A send per entry, each a copy of the message.
    let work = cost::sends(entries.len(), data.len());
    charge(&mut caller, work);
    Ok(i32::try_from(entries.len()).unwrap_or(i32::MAX))
}

/// A length as the records written to guests hold it (`u32`; names and
/// values are far below 4 GiB: they come from guest memory).
fn length(len: usize) -> u32 {
    u32::try_from(len).unwrap_or(u32::MAX)
}
