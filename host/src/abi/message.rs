//! Host functions about messages: send, receive (selective, with timeout)
//! and reading the current message.

use super::guest_memory::{dest_len, guest, read, with_bytes};
use super::{ERR_BADARG, ERR_LIMIT, ERR_NO_MESSAGE, ERR_TIMEOUT, MODULE, OK};
use crate::mailbox::Message;
use crate::pid::Pid;
use crate::process::ProcessState;
use std::future::{Future, poll_fn};
use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::Duration;
use wasmtime::{Caller, Linker};

/// Most tags one selective receive may name.
const MAX_RECEIVE_TAGS: i32 = 4096;

pub(super) fn link(linker: &mut Linker<ProcessState>) -> wasmtime::Result<()> {
    linker.func_wrap(MODULE, "send", send)?;
    linker.func_wrap_async(MODULE, "receive", receive)?;
    linker.func_wrap(MODULE, "msg_tag", |caller: Caller<'_, ProcessState>| {
        caller.data().current.as_ref().map_or(i64::from(ERR_NO_MESSAGE), |m| m.tag)
    })?;
    linker.func_wrap(MODULE, "msg_sender", |caller: Caller<'_, ProcessState>| {
        caller.data().current.as_ref().map_or(i64::from(ERR_NO_MESSAGE), |m| m.sender.raw() as i64)
    })?;
    linker.func_wrap(MODULE, "msg_size", |caller: Caller<'_, ProcessState>| {
        caller.data().current.as_ref().map_or(ERR_NO_MESSAGE, |m| m.data.len() as i32)
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
    let data = read(&mut caller, "send", ptr, len)?;
    let state = caller.data();
    state.process.node.send(state.pid, to, tag, data);
    Ok(OK)
}

/// Whether a message of `len` bytes is larger than the node allows (a
/// negative length traps later, in the range check).
pub(super) fn too_large(caller: &Caller<'_, ProcessState>, len: i32) -> bool {
    len > 0 && len as usize > caller.data().process.node.config.max_message
}

fn receive(
    mut caller: Caller<'_, ProcessState>,
    (tags_ptr, tags_count, timeout_ms): (i32, i32, i64),
) -> Box<dyn Future<Output = wasmtime::Result<i32>> + Send + '_> {
    Box::new(async move {
        if !(0..=MAX_RECEIVE_TAGS).contains(&tags_count) {
            return Ok(ERR_BADARG);
        }
        let tags = with_bytes(&mut caller, "receive", tags_ptr, tags_count * 8, |bytes, _| Tags::from_le_bytes(bytes))?;
        let state = caller.data_mut();
        let message = match state.received.take_matching(&state.process.mailbox, &tags) {
            Some(message) => Some(message),
            None if timeout_ms == 0 => None,
            None => {
                if let Ok(left) = caller.get_fuel() {
                    let state = caller.data();
                    state.process.reductions.store(state.reductions(left), Ordering::Relaxed);
                }
                wait_for(&mut caller, &tags, timeout_ms).await
            }
        };
        Ok(match message {
            Some(message) => {
                let len = message.data.len() as i32;
                caller.data_mut().current = Some(message);
                len
            }
            None => ERR_TIMEOUT,
        })
    })
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

/// Waits for a matching message, or for `timeout_ms` (negative: forever).
/// The process is suspended meanwhile; the sender's wake or the timer's
/// makes it runnable again (see `run_state.rs`). The timeout is a timer of
/// the node's timer service (`timer.rs`), cancelled if a message comes first.
async fn wait_for(caller: &mut Caller<'_, ProcessState>, tags: &[i64], timeout_ms: i64) -> Option<Message> {
    let state = caller.data_mut();
    let timer = if timeout_ms > 0 {
        state.receive_sequence += 1;
        let sequence = state.receive_sequence;
        // `None` only when the node is stopping: then wait without one.
        state
            .process
            .node
            .wake_after(state.pid, sequence, Duration::from_millis(timeout_ms as u64))
            .map(|reference| (reference, sequence))
    } else {
        None
    };
    record_resume_hints(caller);
    let message = poll_fn(|_cx| {
        let state = caller.data_mut();
        if let Some(message) = state.received.take_matching(&state.process.mailbox, tags) {
            return Poll::Ready(Some(message));
        }
        if let Some((_, sequence)) = timer
            && state.process.timeout_fired.load(Ordering::Acquire) == sequence
        {
            return Poll::Ready(None);
        }
        Poll::Pending
    })
    .await;
    if let (Some(_), Some((reference, _))) = (&message, timer) {
        caller.data().process.node.timers.cancel(reference);
    }
    message
}

/// Tells whoever wakes this process where it will resume (see
/// `resume_hints.rs`). Runs on the process's fiber stack, inside the boxed
/// future of its `receive` call, which holds `caller`.
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
    let start = (offset as usize).min(message.data.len());
    let n = dest_len("msg_read", dst_len, message.data.len() - start)?;
    let to = buffer.start..buffer.start + n;
    guest.mem[to.clone()].copy_from_slice(&message.data[start..start + n]);
    // The next message will likely be read to the same place.
    guest.state.last_read_to = guest.mem[to].as_ptr() as usize;
    Ok(n as i32)
}
