//! Host functions about messages: send, receive (selective, with timeout)
//! and reading the current message.

use super::guest_memory::{dest_len, guest, with_bytes};
use super::{ERR_BADARG, ERR_LIMIT, ERR_NO_MESSAGE, ERR_TIMEOUT, MODULE, OK};
use crate::letter::Letter;
use crate::pid::Pid;
use crate::process::ProcessState;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;
use wasmtime::{Caller, Linker};

/// Most tags one selective receive may name.
const MAX_RECEIVE_TAGS: i32 = 4096;

pub(super) fn link(linker: &mut Linker<ProcessState>) -> wasmtime::Result<()> {
    linker.func_wrap(MODULE, "send", send)?;
    linker.func_wrap_async(MODULE, "receive", receive)?;
    linker.func_wrap(MODULE, "msg_tag", |caller: Caller<'_, ProcessState>| {
        caller.data().current.as_ref().map_or(i64::from(ERR_NO_MESSAGE), |m| m.tag())
    })?;
    linker.func_wrap(MODULE, "msg_sender", |caller: Caller<'_, ProcessState>| {
        caller.data().current.as_ref().map_or(i64::from(ERR_NO_MESSAGE), |m| m.sender().raw() as i64)
    })?;
    linker.func_wrap(MODULE, "msg_size", |caller: Caller<'_, ProcessState>| {
        caller.data().current.as_ref().map_or(ERR_NO_MESSAGE, |m| m.data().len() as i32)
    })?;
    linker.func_wrap(MODULE, "msg_read", msg_read)?;
    Ok(())
}

fn send(mut caller: Caller<'_, ProcessState>, pid: i64, tag: i64, ptr: i32, len: i32) -> wasmtime::Result<i32> {
    if tag < 0 {
        return Ok(ERR_BADARG);
    }
    // (A negative length traps in `read` below, as every bad range does.)
    if too_large(&caller, len) {
        return Ok(ERR_LIMIT);
    }
    let Some(to) = Pid::from_raw(pid as u64) else {
        // Not a pid at all: like a dead one, the message goes nowhere.
        return Ok(OK);
    };
    let letter = with_bytes(&mut caller, "send", ptr, len, |bytes, state| Letter::new(state.pid, tag, bytes))?;
    caller.data().process.node.send(to, letter);
    Ok(OK)
}

/// Whether a message of `len` bytes is larger than the node allows (a
/// negative length traps later, in the range check).
pub(super) fn too_large(caller: &Caller<'_, ProcessState>, len: i32) -> bool {
    len > 0 && len as usize > caller.data().process.node.config.max_message
}

/// `receive`: everything that needs no waiting is done before the future
/// is made (a message already queued, a poll, a bad argument), so the
/// future is only a tiny ready value or a [`Waiting`] receive.
fn receive(
    mut caller: Caller<'_, ProcessState>,
    (tags_ptr, tags_count, timeout_ms): (i32, i32, i64),
) -> Box<dyn Future<Output = wasmtime::Result<i32>> + Send + '_> {
    if !(0..=MAX_RECEIVE_TAGS).contains(&tags_count) {
        return Box::new(std::future::ready(Ok(ERR_BADARG)));
    }
    let tags = if tags_count == 0 {
        Tags::Inline([0; Tags::INLINE], 0)
    } else {
        match with_bytes(&mut caller, "receive", tags_ptr, tags_count * 8, |bytes, _| Tags::from_le_bytes(bytes)) {
            Ok(tags) => tags,
            Err(trap) => return Box::new(std::future::ready(Err(trap))),
        }
    };
    let state = caller.data_mut();
    if let Some(message) = state.received.take_matching(&state.process.mailbox, &tags) {
        return Box::new(std::future::ready(Ok(state.take_delivery(message))));
    }
    if timeout_ms == 0 {
        return Box::new(std::future::ready(Ok(ERR_TIMEOUT)));
    }
    if let Ok(left) = caller.get_fuel() {
        let state = caller.data();
        state.process.reductions.store(state.reductions(left), Ordering::Relaxed);
    }
    let timer = (timeout_ms > 0).then(|| start_timeout(caller.data_mut(), timeout_ms)).flatten();
    Box::new(Waiting { caller, tags, timer, polled: false })
}

/// Arms the timer of a receive that waits at most `timeout_ms`: returns
/// its reference and sequence number (`None` only when the node is
/// stopping: then the receive waits without one).
fn start_timeout(state: &mut ProcessState, timeout_ms: i64) -> Option<(u64, u64)> {
    state.receive_sequence += 1;
    let sequence = state.receive_sequence;
    state
        .process
        .node
        .wake_after(state.pid, sequence, Duration::from_millis(timeout_ms as u64))
        .map(|reference| (reference, sequence))
}

/// A receive that found no matching message and waits for one, or for its
/// timeout. The process is suspended meanwhile; the sender's wake or the
/// timer's makes it runnable again (see `run_state.rs`), and its next poll
/// looks again. The timeout is a timer of the node's timer service
/// (`timer.rs`), cancelled if a message comes first.
struct Waiting<'a> {
    caller: Caller<'a, ProcessState>,
    tags: Tags,
    /// The timeout's timer reference and sequence number, if any.
    timer: Option<(u64, u64)>,
    /// Whether the first poll has been made. The receive looked at the
    /// mailbox just before, so the first poll only records the resume
    /// hints and waits: a message sent meanwhile came with a wake, which
    /// polls again.
    polled: bool,
}

impl Future for Waiting<'_> {
    type Output = wasmtime::Result<i32>;

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if !std::mem::replace(&mut this.polled, true) {
            record_resume_hints(&this.caller);
            return Poll::Pending;
        }
        let state = this.caller.data_mut();
        if let Some(message) = state.received.take_matching(&state.process.mailbox, &this.tags) {
            if let Some((reference, _)) = this.timer {
                state.process.node.timers.cancel(reference);
            }
            return Poll::Ready(Ok(state.take_delivery(message)));
        }
        if let Some((_, sequence)) = this.timer
            && state.process.timeout_fired.load(Ordering::Acquire) == sequence
        {
            return Poll::Ready(Ok(ERR_TIMEOUT));
        }
        Poll::Pending
    }
}

/// The tags of a selective receive: up to [`Tags::INLINE`] kept in place,
/// so the usual receive (no tag, or a few) allocates nothing.
enum Tags {
    Inline([i64; Tags::INLINE], usize),
    Heap(Vec<i64>),
}

impl Tags {
    const INLINE: usize = 8;

    /// Decodes little-endian i64s (`bytes.len()` is a multiple of 8).
    fn from_le_bytes(bytes: &[u8]) -> Tags {
        let decode = |chunk: &[u8]| i64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let count = bytes.len() / 8;
        if count > Self::INLINE {
            return Tags::Heap(bytes.chunks_exact(8).map(decode).collect());
        }
        let mut tags = [0; Self::INLINE];
        for (tag, chunk) in tags.iter_mut().zip(bytes.chunks_exact(8)) {
            *tag = decode(chunk);
        }
        Tags::Inline(tags, count)
    }
}

impl std::ops::Deref for Tags {
    type Target = [i64];

    fn deref(&self) -> &[i64] {
        match self {
            Tags::Inline(tags, count) => &tags[..*count],
            Tags::Heap(tags) => tags,
        }
    }
}

/// Tells whoever wakes this process where it will resume (see
/// `resume_hints.rs`). Runs on the process's fiber stack, inside the boxed
/// [`Waiting`] future of its `receive` call, which holds `caller`.
#[inline(never)]
fn record_resume_hints(caller: &Caller<'_, ProcessState>) {
    let on_stack = 0u8;
    let stack = std::hint::black_box(&on_stack) as *const u8 as usize;
    let state = caller.data();
    let store: *const ProcessState = state;
    let receive: *const Caller<'_, ProcessState> = caller;
    state.process.resume_hints.record_wait(stack, store as usize, receive as usize, state.last_read_to);
}

fn msg_read(mut caller: Caller<'_, ProcessState>, offset: i32, dst_ptr: i32, dst_len: i32) -> wasmtime::Result<i32> {
    if offset < 0 {
        return Ok(ERR_BADARG);
    }
    let guest = guest(&mut caller);
    // The whole buffer must be in memory, whatever is copied into it.
    let buffer = guest.span("msg_read", dst_ptr, dst_len)?;
    let Some(message) = &guest.state.current else {
        return Ok(ERR_NO_MESSAGE);
    };
    let data = message.data();
    let start = (offset as usize).min(data.len());
    let n = dest_len("msg_read", dst_len, data.len() - start)?;
    let to = buffer.start..buffer.start + n;
    guest.mem[to.clone()].copy_from_slice(&data[start..start + n]);
    // The next message will likely be read to the same place.
    guest.state.last_read_to = guest.mem[to].as_ptr() as usize;
    Ok(n as i32)
}
