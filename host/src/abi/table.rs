//! Host functions about shared tables (ETS): create, own, read and write
//! tables of byte keys and byte values (see docs/ABI.md, "Tables").
//!
//! Each function checks the guest ranges it was given (a bad one traps the
//! process), resolves the table through the process's handle cache, and
//! calls the plain API of `svc/tables`. Results of unknown size are
//! copied into the guest's buffer when they fit, and otherwise kept as the
//! process's pending result for `table_result_read`.

use super::charge::charge;
use super::guest_memory::{count, guest, pid_value};
use crate::base::codes::{
    COUNTER_DEFAULT, ERR_ACCESS, ERR_BADARG, ERR_KEY_TOO_LARGE, ERR_LIMIT, ERR_NO_RESULT, ERR_NO_SUCH_TABLE,
    ERR_NOT_A_COUNTER, ERR_NOT_ALIVE, ERR_NOT_FOUND, ERR_OVERFLOW, ERR_TABLE_FULL, ERR_TABLE_NAME_TAKEN,
    ERR_VALUE_TOO_LARGE, ERR_WRONG_TYPE, MAX_KEY_LEN, MODULE, OK, RANGE_FROM_EXCLUSIVE, RANGE_FROM_START,
    RANGE_REVERSE, RANGE_TO_END, RANGE_TO_INCLUSIVE, SELECT_AFTER, TABLE_INFO_SIZE, TAG_TABLE_TRANSFER,
};
use crate::base::pid::Pid;
use crate::process::cost;
use crate::process::letter::Letter;
use crate::process::runtime::Runtime;
use crate::process::state::ProcessState;
use crate::svc::tables::{Bytes, TableAccess, TableError, TableKind, records};
use std::ops::{Bound, Range};
use wasmtime::{Caller, Linker};

/// A pending result larger than this is not kept allocated after it is read.
const KEEP_RESULT_CAPACITY: usize = 64 << 10;

fn code(error: TableError) -> i32 {
    match error {
        TableError::BadArg => ERR_BADARG,
        TableError::NoSuchTable => ERR_NO_SUCH_TABLE,
        TableError::Access => ERR_ACCESS,
        TableError::WrongType => ERR_WRONG_TYPE,
        TableError::NameTaken => ERR_TABLE_NAME_TAKEN,
        TableError::NotFound => ERR_NOT_FOUND,
        TableError::NotACounter => ERR_NOT_A_COUNTER,
        TableError::Overflow => ERR_OVERFLOW,
        TableError::Full => ERR_TABLE_FULL,
        TableError::KeyTooLarge => ERR_KEY_TOO_LARGE,
        TableError::ValueTooLarge => ERR_VALUE_TOO_LARGE,
        TableError::NotAlive => ERR_NOT_ALIVE,
    }
}

/// Turns a table result into a return value (`Ok` mapped by `f`).
fn status<T>(result: Result<T, TableError>, f: impl FnOnce(T) -> i32) -> i32 {
    result.map_or_else(code, f)
}

/// Unwraps a `Result<_, TableError>` or returns its code from the host
/// function.
macro_rules! attempt {
    ($e:expr) => {
        match $e {
            Ok(value) => value,
            Err(error) => return Ok(code(error).into()),
        }
    };
}

pub(super) fn link(linker: &mut Linker<ProcessState>) -> wasmtime::Result<()> {
    linker.func_wrap(MODULE, "table_new", table_new)?;
    linker.func_wrap(MODULE, "table_whereis", table_whereis)?;
    linker.func_wrap(MODULE, "table_delete", table_delete)?;
    linker.func_wrap(MODULE, "table_give_away", table_give_away)?;
    linker.func_wrap(MODULE, "table_set_heir", table_set_heir)?;
    linker.func_wrap(MODULE, "table_info", table_info)?;
    linker.func_wrap(MODULE, "table_list", table_list)?;
    linker.func_wrap(MODULE, "table_insert", table_insert)?;
    linker.func_wrap(MODULE, "table_insert_new", table_insert_new)?;
    linker.func_wrap(MODULE, "table_insert_many", table_insert_many)?;
    linker.func_wrap(MODULE, "table_insert_new_many", table_insert_new_many)?;
    linker.func_wrap(MODULE, "table_lookup", table_lookup)?;
    linker.func_wrap(MODULE, "table_member", table_member)?;
    linker.func_wrap(MODULE, "table_take", table_take)?;
    linker.func_wrap(MODULE, "table_delete_key", table_delete_key)?;
    linker.func_wrap(MODULE, "table_delete_object", table_delete_object)?;
    linker.func_wrap(MODULE, "table_delete_all", table_delete_all)?;
    linker.func_wrap(MODULE, "table_update_counter", table_update_counter)?;
    linker.func_wrap(MODULE, "table_update", table_update)?;
    linker.func_wrap(MODULE, "table_first", |c: Caller<'_, ProcessState>, tid: i64, dp: i32, dl: i32| {
        step(c, "table_first", tid, None, false, dp, dl)
    })?;
    linker.func_wrap(MODULE, "table_last", |c: Caller<'_, ProcessState>, tid: i64, dp: i32, dl: i32| {
        step(c, "table_last", tid, None, true, dp, dl)
    })?;
    linker.func_wrap(
        MODULE,
        "table_next",
        |c: Caller<'_, ProcessState>, tid: i64, kp: i32, kl: i32, dp: i32, dl: i32| {
            step(c, "table_next", tid, Some((kp, kl)), false, dp, dl)
        },
    )?;
    linker.func_wrap(
        MODULE,
        "table_prev",
        |c: Caller<'_, ProcessState>, tid: i64, kp: i32, kl: i32, dp: i32, dl: i32| {
            step(c, "table_prev", tid, Some((kp, kl)), true, dp, dl)
        },
    )?;
    linker.func_wrap(MODULE, "table_range", table_range)?;
    linker.func_wrap(MODULE, "table_select_prefix", table_select_prefix)?;
    linker.func_wrap(
        MODULE,
        "table_chunk",
        |c: Caller<'_, ProcessState>, tid: i64, ap: i32, al: i32, flags: i32, limit: i32, dp: i32, dl: i32| {
            select(c, "table_chunk", tid, (0, 0), (ap, al), flags, limit, dp, dl)
        },
    )?;
    linker.func_wrap(MODULE, "table_result_read", table_result_read)?;
    Ok(())
}

// ------------------------------------------------------------ guest access

/// Runs `f` with the key bytes and the destination buffer, both in guest
/// memory, borrowed together: split apart when the two ranges do not
/// overlap (the usual case), else with a copy of the key.
fn with_key_and_dst<R>(
    mem: &mut [u8],
    key: Range<usize>,
    dst: Range<usize>,
    f: impl FnOnce(&[u8], &mut [u8]) -> R,
) -> R {
    if key.is_empty() {
        return f(&[], &mut mem[dst]);
    }
    if key.end <= dst.start {
        let (low, high) = mem.split_at_mut(dst.start);
        f(&low[key], &mut high[..dst.len()])
    } else if dst.end <= key.start {
        let (low, high) = mem.split_at_mut(key.start);
        f(&high[..key.len()], &mut low[dst])
    } else {
        let copy = mem[key].to_vec();
        f(&copy, &mut mem[dst])
    }
}

fn check_key(key: &[u8]) -> Result<(), TableError> {
    if key.len() > MAX_KEY_LEN { Err(TableError::KeyTooLarge) } else { Ok(()) }
}

fn check_value(max: usize, len: usize) -> Result<(), TableError> {
    if len > max { Err(TableError::ValueTooLarge) } else { Ok(()) }
}

/// Makes `result` the outcome of a call: copied into `dst` if it fits
/// (nothing stays pending), else kept pending. Returns its size.
fn deliver(dst: &mut [u8], result: &mut Vec<u8>, pending: &mut bool) -> i32 {
    let size = result.len();
    if size <= dst.len() {
        dst[..size].copy_from_slice(result);
        *pending = false;
        if result.capacity() > KEEP_RESULT_CAPACITY {
            *result = Vec::new();
        }
    } else {
        *pending = true;
    }
    i32::try_from(size).unwrap_or(i32::MAX)
}

/// Whether the node may hold `bytes` more for its guests (a table write
/// beyond gets `ERR_LIMIT`: see `svc/host_memory.rs`).
fn has_room(runtime: &Runtime, bytes: usize) -> bool {
    runtime.memory.has_room(bytes)
}

/// The fuel for a call's result of `answer` bytes (a negative answer is an
/// error code: nothing was copied).
fn result_cost(answer: i32) -> u64 {
    usize::try_from(answer).map_or(0, cost::copy)
}

/// Copies one value (or key) out as a call's result.
fn deliver_bytes(dst: &mut [u8], bytes: &[u8], result: &mut Vec<u8>, pending: &mut bool) -> i32 {
    if bytes.len() <= dst.len() {
        dst[..bytes.len()].copy_from_slice(bytes);
        *pending = false;
        return count(bytes.len());
    }
    result.clear();
    result.extend_from_slice(bytes);
    *pending = true;
    i32::try_from(bytes.len()).unwrap_or(i32::MAX)
}

/// Appends every object of one key to a result; false once the result has
/// reached `budget` bytes.
fn push_objects(result: &mut Vec<u8>, budget: usize, key: &[u8], values: &[Bytes]) -> bool {
    for value in values {
        records::push(result, key, value);
    }
    result.len() < budget
}

// -------------------------------------------------------------- tables

fn table_new(
    mut caller: Caller<'_, ProcessState>,
    name_ptr: i32,
    name_len: i32,
    kind: i32,
    access: i32,
    max_bytes: i64,
) -> wasmtime::Result<i64> {
    let g = guest(&mut caller);
    let name = g.span("table_new", name_ptr, name_len)?;
    let (Some(kind), Some(access)) = (TableKind::from_abi(kind), TableAccess::from_abi(access)) else {
        return Ok(ERR_BADARG.into());
    };
    let Ok(max_bytes) = usize::try_from(max_bytes) else { return Ok(ERR_BADARG.into()) };
    let name = (!name.is_empty()).then(|| &g.mem[name]);
    let max = (max_bytes > 0).then_some(max_bytes);
    Ok(match g.state.process.runtime.tables.create(g.state.pid, name, kind, access, max) {
        Ok(table) => table.id,
        Err(error) => code(error).into(),
    })
}

fn table_whereis(mut caller: Caller<'_, ProcessState>, name_ptr: i32, name_len: i32) -> wasmtime::Result<i64> {
    let g = guest(&mut caller);
    let name = g.span("table_whereis", name_ptr, name_len)?;
    if name.is_empty() {
        return Ok(ERR_BADARG.into());
    }
    Ok(g.state.process.runtime.tables.whereis(&g.mem[name]).unwrap_or(ERR_NO_SUCH_TABLE.into()))
}

fn table_delete(caller: Caller<'_, ProcessState>, tid: i64) -> i32 {
    let state = caller.data();
    status(state.process.runtime.tables.delete(state.pid, tid), |()| OK)
}

fn table_give_away(
    mut caller: Caller<'_, ProcessState>,
    tid: i64,
    pid: i64,
    data_ptr: i32,
    data_len: i32,
) -> wasmtime::Result<i32> {
    let g = guest(&mut caller);
    let data = g.span("table_give_away", data_ptr, data_len)?;
    let (runtime, me) = (&g.state.process.runtime, g.state.pid);
    let Some(to) = Pid::from_raw(pid.cast_unsigned()).filter(|&to| to != me) else { return Ok(ERR_BADARG) };
    let payload = attempt!(runtime.tables.give_away(me, tid, to, &g.mem[data], |p| runtime.table.get(p).is_some()));
    runtime.send(to, Letter::new(me, TAG_TABLE_TRANSFER, &payload));
    Ok(OK)
}

fn table_set_heir(
    mut caller: Caller<'_, ProcessState>,
    tid: i64,
    pid: i64,
    data_ptr: i32,
    data_len: i32,
) -> wasmtime::Result<i32> {
    let g = guest(&mut caller);
    let data = g.span("table_set_heir", data_ptr, data_len)?;
    let heir = match pid {
        0 => None,
        raw => match Pid::from_raw(raw.cast_unsigned()) {
            Some(heir) => Some((heir, Box::from(&g.mem[data]))),
            None => return Ok(ERR_BADARG),
        },
    };
    Ok(status(g.state.process.runtime.tables.set_heir(g.state.pid, tid, heir), |()| OK))
}

fn table_info(mut caller: Caller<'_, ProcessState>, tid: i64, dst_ptr: i32, dst_len: i32) -> wasmtime::Result<i32> {
    let g = guest(&mut caller);
    let dst = g.span("table_info", dst_ptr, dst_len)?;
    let Some(table) = g.state.process.runtime.tables.get(tid) else { return Ok(ERR_NO_SUCH_TABLE) };
    let info = table.info();
    let mut out = [0u8; TABLE_INFO_SIZE];
    let fields = [
        info.id,
        pid_value(info.owner),
        info.heir.map_or(0, pid_value),
        wide(info.size),
        wide(info.keys),
        wide(info.memory),
        info.max_bytes.map_or(0, wide),
    ];
    for (slot, field) in out.chunks_exact_mut(8).zip(fields) {
        slot.copy_from_slice(&field.to_le_bytes());
    }
    out[56..60].copy_from_slice(&info.kind.abi().to_le_bytes());
    out[60..64].copy_from_slice(&info.access.abi().to_le_bytes());
    let n = dst.len().min(TABLE_INFO_SIZE);
    g.mem[dst.start..dst.start + n].copy_from_slice(&out[..n]);
    Ok(count(TABLE_INFO_SIZE))
}

/// A host count as the `i64` fields of a table record hold it (counts of
/// objects and bytes in memory, far below `i64::MAX`).
fn wide<N: TryInto<i64>>(n: N) -> i64 {
    n.try_into().unwrap_or(i64::MAX)
}

fn table_list(mut caller: Caller<'_, ProcessState>, dst_ptr: i32, dst_len: i32) -> wasmtime::Result<i32> {
    let g = guest(&mut caller);
    let dst = g.span("table_list", dst_ptr, dst_len)?;
    let all = g.state.process.runtime.tables.list();
    let session = g.state.tables.session();
    session.result.clear();
    let tables = all.len();
    for (id, name) in all {
        records::push(&mut session.result, &id.to_le_bytes(), name.as_deref().unwrap_or_default());
    }
    let answer = deliver(&mut g.mem[dst], &mut session.result, &mut session.pending);
    charge(&mut caller, cost::items(tables) + result_cost(answer));
    Ok(answer)
}

// -------------------------------------------------------------- writes

fn table_insert(
    mut caller: Caller<'_, ProcessState>,
    tid: i64,
    kp: i32,
    kl: i32,
    vp: i32,
    vl: i32,
) -> wasmtime::Result<i32> {
    insert_one(&mut caller, "table_insert", tid, kp, kl, vp, vl, false)
}

fn table_insert_new(
    mut caller: Caller<'_, ProcessState>,
    tid: i64,
    kp: i32,
    kl: i32,
    vp: i32,
    vl: i32,
) -> wasmtime::Result<i32> {
    insert_one(&mut caller, "table_insert_new", tid, kp, kl, vp, vl, true)
}

#[allow(clippy::too_many_arguments)]
fn insert_one(
    caller: &mut Caller<'_, ProcessState>,
    func: &str,
    tid: i64,
    kp: i32,
    kl: i32,
    vp: i32,
    vl: i32,
    only_new: bool,
) -> wasmtime::Result<i32> {
    let g = guest(caller);
    let (key, value) = (g.span(func, kp, kl)?, g.span(func, vp, vl)?);
    let (key, value) = (&g.mem[key], &g.mem[value]);
    let state = &mut *g.state;
    let max_value = state.process.runtime.config.max_message;
    attempt!(check_key(key));
    attempt!(check_value(max_value, value.len()));
    let (table, _, _) = attempt!(state.tables.session().resolve(&state.process.runtime.tables, tid));
    attempt!(table.writable(state.pid, false));
    let copied = key.len() + value.len();
    if !has_room(&state.process.runtime, copied) {
        return Ok(ERR_LIMIT);
    }
    let answer = if only_new {
        status(table.insert_new(state.pid, key, value), i32::from)
    } else {
        status(table.insert(state.pid, key, value), |()| OK)
    };
    charge(caller, cost::copy(copied));
    Ok(answer)
}

fn table_insert_many(mut caller: Caller<'_, ProcessState>, tid: i64, ptr: i32, len: i32) -> wasmtime::Result<i32> {
    insert_batch(&mut caller, "table_insert_many", tid, ptr, len, false)
}

fn table_insert_new_many(mut caller: Caller<'_, ProcessState>, tid: i64, ptr: i32, len: i32) -> wasmtime::Result<i32> {
    insert_batch(&mut caller, "table_insert_new_many", tid, ptr, len, true)
}

fn insert_batch(
    caller: &mut Caller<'_, ProcessState>,
    func: &str,
    tid: i64,
    ptr: i32,
    len: i32,
    only_new: bool,
) -> wasmtime::Result<i32> {
    let g = guest(caller);
    let span = g.span(func, ptr, len)?;
    let state = &mut *g.state;
    let max_value = state.process.runtime.config.max_message;
    let Some(objects) = records::parse(&g.mem[span.clone()]) else { return Ok(ERR_BADARG) };
    for &(key, value) in &objects {
        attempt!(check_key(key));
        attempt!(check_value(max_value, value.len()));
    }
    let (table, _, _) = attempt!(state.tables.session().resolve(&state.process.runtime.tables, tid));
    attempt!(table.writable(state.pid, false));
    if !has_room(&state.process.runtime, span.len()) {
        return Ok(ERR_LIMIT);
    }
    let work = cost::copy(span.len()) + cost::items(objects.len());
    let answer = if only_new {
        status(table.insert_new_many(state.pid, &objects), i32::from)
    } else {
        status(table.insert_many(state.pid, &objects), |n| i32::try_from(n).unwrap_or(i32::MAX))
    };
    charge(caller, work);
    Ok(answer)
}

fn table_delete_key(mut caller: Caller<'_, ProcessState>, tid: i64, kp: i32, kl: i32) -> wasmtime::Result<i32> {
    let g = guest(&mut caller);
    let key = &g.mem[g.span("table_delete_key", kp, kl)?];
    attempt!(check_key(key));
    let state = &mut *g.state;
    let (table, _, _) = attempt!(state.tables.session().resolve(&state.process.runtime.tables, tid));
    Ok(status(table.delete(state.pid, key), |n| i32::try_from(n).unwrap_or(i32::MAX)))
}

fn table_delete_object(
    mut caller: Caller<'_, ProcessState>,
    tid: i64,
    kp: i32,
    kl: i32,
    vp: i32,
    vl: i32,
) -> wasmtime::Result<i32> {
    let g = guest(&mut caller);
    let (key, value) = (g.span("table_delete_object", kp, kl)?, g.span("table_delete_object", vp, vl)?);
    let (key, value) = (&g.mem[key], &g.mem[value]);
    attempt!(check_key(key));
    let state = &mut *g.state;
    let (table, _, _) = attempt!(state.tables.session().resolve(&state.process.runtime.tables, tid));
    Ok(status(table.delete_object(state.pid, key, value), |n| i32::try_from(n).unwrap_or(i32::MAX)))
}

fn table_delete_all(mut caller: Caller<'_, ProcessState>, tid: i64) -> i64 {
    let state = caller.data_mut();
    let (table, _, _) = match state.tables.session().resolve(&state.process.runtime.tables, tid) {
        Ok(found) => found,
        Err(error) => return code(error).into(),
    };
    match table.delete_all(state.pid) {
        Ok(deleted) => {
            charge(&mut caller, cost::items(deleted));
            wide(deleted)
        }
        Err(error) => code(error).into(),
    }
}

#[allow(clippy::too_many_arguments)]
fn table_update_counter(
    mut caller: Caller<'_, ProcessState>,
    tid: i64,
    kp: i32,
    kl: i32,
    incr: i64,
    flags: i32,
    default: i64,
    out_ptr: i32,
) -> wasmtime::Result<i32> {
    let g = guest(&mut caller);
    let key = g.span("table_update_counter", kp, kl)?;
    let out = g.span("table_update_counter", out_ptr, 8)?;
    if flags & !COUNTER_DEFAULT != 0 {
        return Ok(ERR_BADARG);
    }
    attempt!(check_key(&g.mem[key.clone()]));
    let state = &mut *g.state;
    let (table, _, _) = attempt!(state.tables.session().resolve(&state.process.runtime.tables, tid));
    attempt!(table.writable(state.pid, true));
    if !has_room(&state.process.runtime, key.len() + 8) {
        return Ok(ERR_LIMIT);
    }
    let default = (flags & COUNTER_DEFAULT != 0).then_some(default);
    let new = attempt!(table.update_counter(state.pid, &g.mem[key], incr, default));
    g.mem[out].copy_from_slice(&new.to_le_bytes());
    Ok(OK)
}

fn table_update(
    mut caller: Caller<'_, ProcessState>,
    tid: i64,
    kp: i32,
    kl: i32,
    offset: i32,
    vp: i32,
    vl: i32,
) -> wasmtime::Result<i32> {
    let g = guest(&mut caller);
    let (key, value) = (g.span("table_update", kp, kl)?, g.span("table_update", vp, vl)?);
    let (key, value) = (&g.mem[key], &g.mem[value]);
    let offset = match offset {
        -1 => None,
        n if n >= 0 => Some(n.cast_unsigned() as usize),
        _ => return Ok(ERR_BADARG),
    };
    let state = &mut *g.state;
    let max_value = state.process.runtime.config.max_message;
    attempt!(check_key(key));
    attempt!(check_value(max_value, offset.unwrap_or(0) + value.len()));
    let (table, _, _) = attempt!(state.tables.session().resolve(&state.process.runtime.tables, tid));
    attempt!(table.writable(state.pid, true));
    if !has_room(&state.process.runtime, value.len()) {
        return Ok(ERR_LIMIT);
    }
    Ok(status(table.update(state.pid, key, offset, value), |()| OK))
}

// --------------------------------------------------------------- reads

fn table_member(mut caller: Caller<'_, ProcessState>, tid: i64, kp: i32, kl: i32) -> wasmtime::Result<i32> {
    let g = guest(&mut caller);
    let key = &g.mem[g.span("table_member", kp, kl)?];
    attempt!(check_key(key));
    let state = &mut *g.state;
    let (table, _, _) = attempt!(state.tables.session().resolve(&state.process.runtime.tables, tid));
    Ok(status(table.member(state.pid, key), i32::from))
}

/// `table_lookup`: a set's value, or a bag's objects as records.
fn table_lookup(
    mut caller: Caller<'_, ProcessState>,
    tid: i64,
    kp: i32,
    kl: i32,
    dp: i32,
    dl: i32,
) -> wasmtime::Result<i32> {
    let g = guest(&mut caller);
    let (key, dst) = (g.span("table_lookup", kp, kl)?, g.span("table_lookup", dp, dl)?);
    if key.len() > MAX_KEY_LEN {
        return Ok(code(TableError::KeyTooLarge));
    }
    let state = &mut *g.state;
    let pid = state.pid;
    let (table, result, pending) = attempt!(state.tables.session().resolve(&state.process.runtime.tables, tid));
    let bags = matches!(table.kind, TableKind::Bag | TableKind::DuplicateBag);
    let found = with_key_and_dst(g.mem, key, dst, |key, dst| {
        table.lookup(pid, key, |values| {
            if bags {
                // A lookup returns every object of the key (no budget).
                result.clear();
                push_objects(result, usize::MAX, key, values);
                deliver(dst, result, pending)
            } else {
                deliver_bytes(dst, &values[0], result, pending)
            }
        })
    });
    let answer = attempt!(found).unwrap_or(ERR_NOT_FOUND);
    charge(&mut caller, result_cost(answer));
    Ok(answer)
}

/// `table_take`: as `table_lookup`, and the key is removed.
fn table_take(
    mut caller: Caller<'_, ProcessState>,
    tid: i64,
    kp: i32,
    kl: i32,
    dp: i32,
    dl: i32,
) -> wasmtime::Result<i32> {
    let g = guest(&mut caller);
    let (key, dst) = (g.span("table_take", kp, kl)?, g.span("table_take", dp, dl)?);
    let key = &g.mem[key];
    attempt!(check_key(key));
    let state = &mut *g.state;
    let pid = state.pid;
    let (table, result, pending) = attempt!(state.tables.session().resolve(&state.process.runtime.tables, tid));
    let Some(values) = attempt!(table.take(pid, key)) else { return Ok(ERR_NOT_FOUND) };
    let bags = matches!(table.kind, TableKind::Bag | TableKind::DuplicateBag);
    let answer = if bags {
        result.clear();
        push_objects(result, usize::MAX, key, values.all());
        deliver(&mut g.mem[dst], result, pending)
    } else {
        deliver_bytes(&mut g.mem[dst], &values.all()[0], result, pending)
    };
    charge(&mut caller, result_cost(answer));
    Ok(answer)
}

/// `table_first` / `table_last` / `table_next` / `table_prev`: a key.
fn step(
    mut caller: Caller<'_, ProcessState>,
    func: &str,
    tid: i64,
    from: Option<(i32, i32)>,
    back: bool,
    dp: i32,
    dl: i32,
) -> wasmtime::Result<i32> {
    let g = guest(&mut caller);
    let from = match from {
        Some((kp, kl)) => Some(g.span(func, kp, kl)?),
        None => None,
    };
    let dst = g.span(func, dp, dl)?;
    let from = from.map(|key| &g.mem[key]);
    if let Some(key) = from {
        attempt!(check_key(key));
    }
    let state = &mut *g.state;
    let pid = state.pid;
    let (table, result, pending) = attempt!(state.tables.session().resolve(&state.process.runtime.tables, tid));
    let found = match from {
        Some(key) if back => table.prev(pid, key),
        Some(key) => table.next(pid, key),
        None if back => table.last(pid),
        None => table.first(pid),
    };
    match attempt!(found) {
        Some(key) => Ok(deliver_bytes(&mut g.mem[dst], &key, result, pending)),
        None => Ok(ERR_NOT_FOUND),
    }
}

#[allow(clippy::too_many_arguments)]
fn table_range(
    mut caller: Caller<'_, ProcessState>,
    tid: i64,
    from_ptr: i32,
    from_len: i32,
    to_ptr: i32,
    to_len: i32,
    flags: i32,
    limit: i32,
    dp: i32,
    dl: i32,
) -> wasmtime::Result<i32> {
    const FLAGS: i32 = RANGE_FROM_EXCLUSIVE | RANGE_TO_INCLUSIVE | RANGE_FROM_START | RANGE_TO_END | RANGE_REVERSE;
    let g = guest(&mut caller);
    let from = g.span("table_range", from_ptr, from_len)?;
    let to = g.span("table_range", to_ptr, to_len)?;
    let dst = g.span("table_range", dp, dl)?;
    if flags & !FLAGS != 0 || limit <= 0 {
        return Ok(ERR_BADARG);
    }
    let state = &mut *g.state;
    let (pid, budget) = (state.pid, state.process.runtime.config.max_message);
    let (table, result, pending) = attempt!(state.tables.session().resolve(&state.process.runtime.tables, tid));
    let (from, to) = (&g.mem[from], &g.mem[to]);
    let lower = match flags {
        f if f & RANGE_FROM_START != 0 => Bound::Unbounded,
        f if f & RANGE_FROM_EXCLUSIVE != 0 => Bound::Excluded(from),
        _ => Bound::Included(from),
    };
    let upper = match flags {
        f if f & RANGE_TO_END != 0 => Bound::Unbounded,
        f if f & RANGE_TO_INCLUSIVE != 0 => Bound::Included(to),
        _ => Bound::Excluded(to),
    };
    result.clear();
    let reverse = flags & RANGE_REVERSE != 0;
    let visited = attempt!(table.range(pid, lower, upper, reverse, limit.cast_unsigned() as usize, |key, values| {
        push_objects(result, budget, key, values)
    }));
    let answer = deliver(&mut g.mem[dst], result, pending);
    charge(&mut caller, cost::items(visited) + result_cost(answer));
    Ok(answer)
}

#[allow(clippy::too_many_arguments)]
fn table_select_prefix(
    caller: Caller<'_, ProcessState>,
    tid: i64,
    prefix_ptr: i32,
    prefix_len: i32,
    after_ptr: i32,
    after_len: i32,
    flags: i32,
    limit: i32,
    dp: i32,
    dl: i32,
) -> wasmtime::Result<i32> {
    select(caller, "table_select_prefix", tid, (prefix_ptr, prefix_len), (after_ptr, after_len), flags, limit, dp, dl)
}

/// `table_select_prefix` and `table_chunk` (the empty prefix).
#[allow(clippy::too_many_arguments)]
fn select(
    mut caller: Caller<'_, ProcessState>,
    func: &str,
    tid: i64,
    (prefix_ptr, prefix_len): (i32, i32),
    (after_ptr, after_len): (i32, i32),
    flags: i32,
    limit: i32,
    dp: i32,
    dl: i32,
) -> wasmtime::Result<i32> {
    let g = guest(&mut caller);
    let prefix = g.span(func, prefix_ptr, prefix_len)?;
    let after = g.span(func, after_ptr, after_len)?;
    let dst = g.span(func, dp, dl)?;
    if flags & !SELECT_AFTER != 0 || limit <= 0 {
        return Ok(ERR_BADARG);
    }
    let state = &mut *g.state;
    let (pid, budget) = (state.pid, state.process.runtime.config.max_message);
    let (table, result, pending) = attempt!(state.tables.session().resolve(&state.process.runtime.tables, tid));
    let prefix = &g.mem[prefix];
    let after = (flags & SELECT_AFTER != 0).then(|| &g.mem[after]);
    result.clear();
    let (_, looked) =
        attempt!(table.select_prefix(pid, prefix, after, limit.cast_unsigned() as usize, |key, values| {
            push_objects(result, budget, key, values)
        }));
    let answer = deliver(&mut g.mem[dst], result, pending);
    charge(&mut caller, cost::items(looked) + result_cost(answer));
    Ok(answer)
}

fn table_result_read(mut caller: Caller<'_, ProcessState>, dst_ptr: i32, dst_len: i32) -> wasmtime::Result<i32> {
    let g = guest(&mut caller);
    let dst = g.span("table_result_read", dst_ptr, dst_len)?;
    let session = g.state.tables.session();
    if !session.pending {
        return Ok(ERR_NO_RESULT);
    }
    let answer = deliver(&mut g.mem[dst], &mut session.result, &mut session.pending);
    charge(&mut caller, result_cost(answer));
    Ok(answer)
}
