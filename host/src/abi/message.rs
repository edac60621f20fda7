//! Host functions about messages: send, receive (selective, with timeout)
//! and reading the current message.

use super::charge::{charge, charge_with_receives};
use super::guest_memory::{count, dest_len, guest, pid_value};
use crate::base::codes::{ERR_BADARG, ERR_LIMIT, ERR_NO_MESSAGE, MAX_RECEIVE_TAGS, MODULE, OK};
use crate::base::pid::Pid;
use crate::process::cost;
use crate::process::letter::Letter;
use crate::process::receive::{self, IntoBuffer, Phase};
use crate::process::runtime::Runtime;
use crate::process::state::ProcessState;
use crate::process::trace;
use std::future::Future;
use std::sync::atomic::Ordering;
use wasmtime::{Caller, Linker};

pub(super) fn link(linker: &mut Linker<ProcessState>) -> wasmtime::Result<()> {
    linker.func_wrap(MODULE, "send", send)?;
    linker.func_wrap_async(MODULE, "receive", receive)?;
    linker.func_wrap_async(MODULE, "receive_into", receive_into)?;
    linker.func_wrap(MODULE, "msg_tag", |caller: Caller<'_, ProcessState>| {
        caller.data().current.as_ref().map_or(i64::from(ERR_NO_MESSAGE), |m| m.tag())
    })?;
    linker.func_wrap(MODULE, "msg_sender", |caller: Caller<'_, ProcessState>| {
        caller.data().current.as_ref().map_or(i64::from(ERR_NO_MESSAGE), |m| pid_value(m.sender()))
    })?;
    linker.func_wrap(MODULE, "msg_size", |caller: Caller<'_, ProcessState>| {
        caller.data().current.as_ref().map_or(ERR_NO_MESSAGE, |m| count(m.payload().len()))
    })?;
    linker.func_wrap(MODULE, "msg_header", msg_header)?;
    linker.func_wrap(MODULE, "msg_read", msg_read)?;
    linker.func_wrap(MODULE, "msg_queue_len", |mut caller: Caller<'_, ProcessState>| {
        let state = caller.data_mut();
        count(state.received.count_waiting(&state.process.mailbox))
    })?;
    Ok(())
}

fn send(mut caller: Caller<'_, ProcessState>, pid: i64, tag: i64, ptr: i32, len: i32) -> wasmtime::Result<i32> {
    let guest = guest(&mut caller);
    // The range first: a bad one traps, whatever else is wrong.
    let span = guest.span("send", ptr, len)?;
    if tag < 0 {
        return Ok(ERR_BADARG);
    }
    let runtime = &guest.state.process.runtime;
    if too_large(runtime, span.len()) {
        return Ok(ERR_LIMIT);
    }
    let Some(to) = Pid::from_raw(pid.cast_unsigned()) else {
        // Not a pid at all: like a dead one, the message goes nowhere.
        return Ok(OK);
    };
    let letter = Letter::new(guest.state.pid, tag, &guest.mem[span]);
    let copied = letter.payload().len();
    if guest.state.process.traced.load(Ordering::Relaxed) {
        trace::message_out(&guest.state.process, to, &letter);
    }
    runtime.send(to, letter);
    charge(&mut caller, cost::copy(copied));
    Ok(OK)
}

/// Whether a message of `len` bytes is refused: larger than the node's
/// largest, or more than the node may still hold for its guests (see
/// `svc/host_memory.rs`).
pub(super) fn too_large(runtime: &Runtime, len: usize) -> bool {
    len > runtime.config.max_message || !runtime.memory.has_room(len)
}

/// `receive`. Everything that needs no waiting is done before the future is
/// made (a message already queued, a poll, a bad argument); what a receive
/// that waits needs is kept in the process's state, so the future itself is
/// empty and costs no allocation (see `process/receive.rs`).
fn receive(
    mut caller: Caller<'_, ProcessState>,
    (tags_ptr, tags_count, timeout_ms): (i32, i32, i64),
) -> Box<dyn Future<Output = wasmtime::Result<i32>> + Send + '_> {
    let started = start_receive(&mut caller, "receive", (tags_ptr, tags_count), timeout_ms, None);
    receive_future(caller, started)
}

/// `receive_into`: `receive`, and the message's tag, sender and first bytes
/// written to the guest's buffer (see [`IntoBuffer`]).
fn receive_into(
    mut caller: Caller<'_, ProcessState>,
    (tags_ptr, tags_count, timeout_ms, buf_ptr, buf_len): (i32, i32, i64, i32, i32),
) -> Box<dyn Future<Output = wasmtime::Result<i32>> + Send + '_> {
    // The buffer must lie in memory before anything else (else a trap,
    // before the process waits).
    let started = guest(&mut caller).span("receive_into", buf_ptr, buf_len).and_then(|buffer| {
        start_receive(&mut caller, "receive_into", (tags_ptr, tags_count), timeout_ms, Some(buffer))
    });
    receive_future(caller, started)
}

/// The future of a receive call that started as `started` says.
fn receive_future(
    mut caller: Caller<'_, ProcessState>,
    started: wasmtime::Result<Phase>,
) -> Box<dyn Future<Output = wasmtime::Result<i32>> + Send + '_> {
    receive::future(caller.data_mut(), started)
}

/// The synchronous part of `receive` (and of `receive_into`, with the
/// range of its `buffer`, checked to lie in memory): returns the phase the
/// call starts in. `func` names the host function in traps.
fn start_receive(
    caller: &mut Caller<'_, ProcessState>,
    func: &str,
    (tags_ptr, tags_count): (i32, i32),
    timeout_ms: i64,
    buffer: Option<std::ops::Range<usize>>,
) -> wasmtime::Result<Phase> {
    // Every receive ends the current message, whatever it returns (a
    // refused one too). Dropped now, the letter is still in the cache; kept
    // until the next message comes, it was usually cold again by then.
    caller.data_mut().current = None;
    caller.data_mut().receive.into = None;
    if !(0..=MAX_RECEIVE_TAGS).contains(&tags_count) {
        return Ok(Phase::Ready(ERR_BADARG));
    }
    let (state, decoding) = match tags_count {
        0 => {
            let state = caller.data_mut();
            state.receive.tags.clear();
            (state, 0)
        }
        _ => {
            let guest = guest(caller);
            let span = guest.span(func, tags_ptr, tags_count * 8)?;
            guest.state.receive.tags.set_from_le_bytes(&guest.mem[span.clone()]);
            // Many tags are copied and sorted: the caller pays for that.
            let decoding = if tags_count > 4 { cost::copy(span.len()) + cost::items(span.len() / 8) } else { 0 };
            (guest.state, decoding)
        }
    };
    // A buffer too short for the header is refused once every range is
    // known to be good.
    match buffer.map(IntoBuffer::new) {
        Some(None) => return Ok(Phase::Ready(ERR_BADARG)),
        into => state.receive.into = into.flatten(),
    }
    let answer = receive::begin(state, timeout_ms);
    // What the receive looked at (and earlier receives' looks in their
    // polls) comes off the caller's slice.
    charge_with_receives(caller, decoding);
    if let Some(answer) = answer {
        return answer;
    }
    let fuel_left = caller.get_fuel().ok();
    Ok(receive::wait(caller.data_mut(), timeout_ms, fuel_left))
}

/// `msg_header(out_ptr) -> i32`: the current message's tag and sender
/// (16 bytes at `out_ptr`) and its size, in one host call instead of three.
fn msg_header(mut caller: Caller<'_, ProcessState>, out_ptr: i32) -> wasmtime::Result<i32> {
    let guest = guest(&mut caller);
    // The range first: a bad one traps, with or without a message.
    let out = guest.span("msg_header", out_ptr, 16)?;
    let Some(message) = &guest.state.current else {
        return Ok(ERR_NO_MESSAGE);
    };
    let (tag, sender) = (message.tag(), pid_value(message.sender()));
    let size = count(message.payload().len());
    let (tag_bytes, sender_bytes) = guest.mem[out].split_at_mut(8);
    tag_bytes.copy_from_slice(&tag.to_le_bytes());
    sender_bytes.copy_from_slice(&sender.to_le_bytes());
    Ok(size)
}

fn msg_read(mut caller: Caller<'_, ProcessState>, offset: i32, dst_ptr: i32, dst_len: i32) -> wasmtime::Result<i32> {
    let guest = guest(&mut caller);
    // The whole buffer must be in memory, whatever is copied into it.
    let buffer = guest.span("msg_read", dst_ptr, dst_len)?;
    if offset < 0 {
        return Ok(ERR_BADARG);
    }
    let Some(message) = &guest.state.current else {
        return Ok(ERR_NO_MESSAGE);
    };
    let payload = message.payload();
    let start = (offset.cast_unsigned() as usize).min(payload.len());
    let n = dest_len("msg_read", dst_len, payload.len() - start)?;
    let to = buffer.start..buffer.start + n;
    payload.copy_to(start, &mut guest.mem[to.clone()]);
    // The next message will likely be read to the same place.
    guest.state.last_read_to = guest.mem[to].as_ptr() as usize;
    charge(&mut caller, cost::copy(n));
    Ok(count(n))
}
