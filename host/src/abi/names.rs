//! Host functions about names: registered names, keyed registries, and
//! sending to a name.

use super::guest_memory::{check_range, read, read_str, with_bytes, write};
use super::message::too_large;
use super::{ERR_BADARG, ERR_LIMIT, MODULE, OK};
use crate::letter::Letter;
use crate::pid::Pid;
use crate::process::ProcessState;
use crate::registry::NameError;
use wasmtime::{Caller, Linker};

/// The name (or unique key, or registry name) is taken.
pub const ERR_NAME_TAKEN: i32 = -20;
/// No such name, key or registry.
pub const ERR_NO_SUCH_NAME: i32 = -21;
/// The process already has a registered name.
pub const ERR_ALREADY_NAMED: i32 = -22;
/// The process is not alive.
pub const ERR_NOPROC: i32 = -23;

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
        let Some(pid) = Pid::from_raw(pid as u64) else { return Ok(ERR_BADARG) };
        if name.is_empty() {
            return Ok(ERR_BADARG);
        }
        Ok(result(caller.data().process.node.register_name(&name, pid)))
    })?;
    linker.func_wrap(MODULE, "unregister", |mut caller: Caller<'_, ProcessState>, ptr: i32, len: i32| {
        let Some(name) = read_str(&mut caller, "unregister", ptr, len)? else { return Ok(ERR_BADARG) };
        Ok(result(caller.data().process.node.unregister_name(&name)))
    })?;
    linker.func_wrap(MODULE, "whereis", |mut caller: Caller<'_, ProcessState>, ptr: i32, len: i32| {
        let Some(name) = read_str(&mut caller, "whereis", ptr, len)? else { return Ok(i64::from(ERR_BADARG)) };
        Ok(caller.data().process.node.whereis(&name).map_or(0, |pid| pid.raw() as i64))
    })?;
    linker.func_wrap(MODULE, "send_named", send_named)?;
    linker.func_wrap(MODULE, "registered", |mut caller: Caller<'_, ProcessState>, dst: i32, dst_len: i32| {
        let names = caller.data().process.node.registered();
        let mut out = Vec::new();
        for name in &names {
            out.extend_from_slice(&(name.len() as u32).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
        }
        copy_out(&mut caller, "registered", dst, dst_len, &out)
    })?;
    linker.func_wrap(
        MODULE,
        "registry_new",
        |mut caller: Caller<'_, ProcessState>, ptr: i32, len: i32, unique: i32| {
            let Some(name) = read_str(&mut caller, "registry_new", ptr, len)? else { return Ok(ERR_BADARG) };
            Ok(result(caller.data().process.node.registry_new(&name, unique != 0)))
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
    if out.len() <= dst_len as usize {
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
    let Some(name) = read_str(&mut caller, "send_named", name_ptr, name_len)? else { return Ok(ERR_BADARG) };
    if tag < 0 {
        return Ok(ERR_BADARG);
    }
    if too_large(&caller, len) {
        return Ok(ERR_LIMIT);
    }
    let letter = with_bytes(&mut caller, "send_named", ptr, len, |bytes, state| Letter::new(state.pid, tag, bytes))?;
    let state = caller.data();
    // As in Erlang, sending to a name nobody holds is the sender's error.
    let Some(to) = state.process.node.whereis(&name) else { return Ok(ERR_NO_SUCH_NAME) };
    state.process.node.send(to, letter);
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
    let Some(registry) = read_str(&mut caller, "registry_register", reg_ptr, reg_len)? else { return Ok(ERR_BADARG) };
    let key = read(&mut caller, "registry_register", key_ptr, key_len)?;
    let value = read(&mut caller, "registry_register", value_ptr, value_len)?;
    let state = caller.data();
    Ok(result(state.process.node.registry_register(&registry, &state.process, &key, &value)))
}

fn registry_unregister(
    mut caller: Caller<'_, ProcessState>,
    reg_ptr: i32,
    reg_len: i32,
    key_ptr: i32,
    key_len: i32,
) -> wasmtime::Result<i32> {
    let Some(registry) = read_str(&mut caller, "registry_unregister", reg_ptr, reg_len)? else { return Ok(ERR_BADARG) };
    let key = read(&mut caller, "registry_unregister", key_ptr, key_len)?;
    let state = caller.data();
    Ok(result(state.process.node.registry_unregister(&registry, &state.process, &key)))
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
    let Some(registry) = read_str(&mut caller, "registry_lookup", reg_ptr, reg_len)? else { return Ok(ERR_BADARG) };
    let key = read(&mut caller, "registry_lookup", key_ptr, key_len)?;
    let entries = match caller.data().process.node.registry_lookup(&registry, &key) {
        Ok(entries) => entries,
        Err(error) => return Ok(code(error)),
    };
    let mut out = Vec::new();
    for (pid, value) in &entries {
        out.extend_from_slice(&pid.raw().to_le_bytes());
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        out.extend_from_slice(value);
    }
    copy_out(&mut caller, "registry_lookup", dst, dst_len, &out)
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
    let Some(registry) = read_str(&mut caller, "registry_dispatch", reg_ptr, reg_len)? else { return Ok(ERR_BADARG) };
    if tag < 0 {
        return Ok(ERR_BADARG);
    }
    if too_large(&caller, len) {
        return Ok(ERR_LIMIT);
    }
    let key = read(&mut caller, "registry_dispatch", key_ptr, key_len)?;
    let data = read(&mut caller, "registry_dispatch", ptr, len)?;
    let state = caller.data();
    let entries = match state.process.node.registry_lookup(&registry, &key) {
        Ok(entries) => entries,
        Err(error) => return Ok(code(error)),
    };
    for (pid, _) in &entries {
        state.process.node.send(*pid, Letter::new(state.pid, tag, &data));
    }
    Ok(entries.len() as i32)
}
