//! Host functions about messages: send, receive (selective, with timeout)
//! and reading the current message.

use super::guest_memory::{dest_len, fault, guest, with_bytes};
use super::{ERR_BADARG, ERR_LIMIT, ERR_NO_MESSAGE, ERR_TIMEOUT, MODULE, OK};
use crate::letter::Letter;
use crate::pid::Pid;
use crate::process::{Process, ProcessState};
use std::future::Future;
use std::num::NonZeroU64;
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
    linker.func_wrap_async(MODULE, "receive_into", receive_into)?;
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

/// `receive`. Everything that needs no waiting is done before the future is
/// made (a message already queued, a poll, a bad argument); what a receive
/// that waits needs is kept in the process's [`ReceiveState`], so the
/// future itself is an empty [`Receive`] and costs no allocation (wasmtime
/// boxes it; a box of nothing allocates nothing).
fn receive(
    mut caller: Caller<'_, ProcessState>,
    (tags_ptr, tags_count, timeout_ms): (i32, i32, i64),
) -> Box<dyn Future<Output = wasmtime::Result<i32>> + Send + '_> {
    let started = start_receive(&mut caller, tags_ptr, tags_count, timeout_ms, None);
    receive_future(caller, started)
}

/// `receive_into`: `receive`, and the message's tag, sender and first bytes
/// written to the guest's buffer (see [`IntoBuffer`]).
fn receive_into(
    mut caller: Caller<'_, ProcessState>,
    (tags_ptr, tags_count, timeout_ms, buf_ptr, buf_len): (i32, i32, i64, i32, i32),
) -> Box<dyn Future<Output = wasmtime::Result<i32>> + Send + '_> {
    let started = IntoBuffer::check(&mut caller, buf_ptr, buf_len).and_then(|into| match into {
        Some(into) => start_receive(&mut caller, tags_ptr, tags_count, timeout_ms, Some(into)),
        None => Ok(Phase::Ready(ERR_BADARG)),
    });
    receive_future(caller, started)
}

/// The future of a receive call that started as `started` says.
fn receive_future(
    mut caller: Caller<'_, ProcessState>,
    started: wasmtime::Result<Phase>,
) -> Box<dyn Future<Output = wasmtime::Result<i32>> + Send + '_> {
    let phase = match started {
        Ok(phase) => phase,
        Err(trap) => return Box::new(std::future::ready(Err(trap))),
    };
    let state = caller.data_mut();
    state.receive.phase = phase;
    // Where `Receive::poll` finds the state (see there).
    let state_ptr: *mut ProcessState = state;
    state.process.receiving.store(state_ptr, Ordering::Relaxed);
    Box::new(Receive)
}

/// The synchronous part of `receive` (and of `receive_into`, with `into`):
/// returns the phase the call starts in.
fn start_receive(
    caller: &mut Caller<'_, ProcessState>,
    tags_ptr: i32,
    tags_count: i32,
    timeout_ms: i64,
    into: Option<IntoBuffer>,
) -> wasmtime::Result<Phase> {
    // Every receive ends the current message, whatever it returns. Dropped
    // now, the letter is still in the cache; kept until the next message
    // comes, it was usually cold again by then.
    caller.data_mut().current = None;
    caller.data_mut().receive.into = into;
    if !(0..=MAX_RECEIVE_TAGS).contains(&tags_count) {
        return Ok(Phase::Ready(ERR_BADARG));
    }
    let state = match tags_count {
        0 => {
            let state = caller.data_mut();
            state.receive.tags.clear();
            state
        }
        _ => {
            let guest = guest(caller);
            let span = guest.span("receive", tags_ptr, tags_count * 8)?;
            guest.state.receive.tags.set_from_le_bytes(&guest.mem[span]);
            guest.state
        }
    };
    if let Some(message) = state.received.take_matching(&state.process.mailbox, state.receive.tags.as_slice()) {
        return Ok(Phase::Ready(deliver(state, message)?));
    }
    if timeout_ms == 0 {
        return Ok(Phase::Ready(ERR_TIMEOUT));
    }
    if let Ok(left) = caller.get_fuel() {
        let state = caller.data();
        state.process.reductions.store(state.reductions(left), Ordering::Relaxed);
    }
    let state = caller.data_mut();
    state.receive.timer = if timeout_ms > 0 { start_timeout(state, timeout_ms) } else { None };
    Ok(Phase::Starting)
}

/// Arms the timer of a receive that waits at most `timeout_ms`: returns
/// its reference and sequence number (`None` only when the node is
/// stopping: then the receive waits without one).
fn start_timeout(state: &mut ProcessState, timeout_ms: i64) -> Option<(NonZeroU64, u64)> {
    state.receive_sequence += 1;
    let sequence = state.receive_sequence;
    state
        .process
        .node
        .wake_after(state.pid, sequence, Duration::from_millis(timeout_ms as u64))
        .and_then(NonZeroU64::new)
        .map(|reference| (reference, sequence))
}

/// The `receive` call in flight of a process, kept in its state.
#[derive(Default)]
pub(crate) struct ReceiveState {
    phase: Phase,
    /// Where a `receive_into` writes the message it takes.
    into: Option<IntoBuffer>,
    /// The tags a waiting receive takes.
    tags: Tags,
    /// The timeout's timer reference (never 0) and sequence number, if any.
    timer: Option<(NonZeroU64, u64)>,
}

/// Where a `receive` call is.
#[derive(Default, Clone, Copy)]
enum Phase {
    /// No receive in flight.
    #[default]
    Done,
    /// Answered without waiting: the call returns this.
    Ready(i32),
    /// Found no matching message: it waits. The mailbox was looked at just
    /// before, so the first poll only records the resume hints and waits (a
    /// message sent meanwhile came with a wake, which polls again).
    Starting,
    /// Waiting for a matching message, or for its timeout. The process is
    /// suspended meanwhile; the sender's wake or the timer's makes it
    /// runnable again (see `run_state.rs`), and its next poll looks again.
    /// The timeout is a timer of the node's timer service (`timer.rs`),
    /// cancelled if a message comes first.
    Waiting,
}

/// The future of a `receive` call: empty, its state is the process's
/// [`ReceiveState`].
struct Receive;

impl Future for Receive {
    type Output = wasmtime::Result<i32>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Every future of a process's call is polled by `Process::run`,
        // whose waker names the process.
        let Some(process) = crate::process::polled_process(cx) else {
            return Poll::Ready(Err(wasmtime::Error::msg("warren_v1.receive: polled outside its process")));
        };
        let state = process.receiving.load(Ordering::Relaxed);
        // SAFETY: `receive` stored this pointer to the process's state,
        // which lives in the store of the wasm call this future belongs to
        // (boxed by wasmtime, never moved while the call is in flight), and
        // only the thread that holds the process `RUNNING` polls it. While
        // it polls, nothing else reads or writes the state: the host
        // function frames below this poll hold the store but do not touch
        // it until the future is done, exactly as when the future held
        // their `Caller` itself.
        let state = unsafe { &mut *state };
        match state.receive.phase {
            Phase::Done => Poll::Ready(Err(wasmtime::Error::msg("warren_v1.receive: no receive in flight"))),
            Phase::Ready(result) => {
                state.receive.phase = Phase::Done;
                Poll::Ready(Ok(result))
            }
            Phase::Starting => {
                state.receive.phase = Phase::Waiting;
                record_resume_hints(state);
                Poll::Pending
            }
            Phase::Waiting => poll_waiting(process, state),
        }
    }
}

/// A poll of a waiting receive: takes a matching message if one came, or
/// ends the wait if its timeout fired. (Out of line: the first poll of a
/// receive, which only records where it will resume, stays short.)
#[inline(never)]
fn poll_waiting(process: &Process, state: &mut ProcessState) -> Poll<wasmtime::Result<i32>> {
    let receive = &mut state.receive;
    if let Some(message) = state.received.take_matching(&process.mailbox, receive.tags.as_slice()) {
        receive.phase = Phase::Done;
        if let Some((reference, _)) = receive.timer.take() {
            process.node.timers.cancel(reference.get());
        }
        return Poll::Ready(deliver(state, message));
    }
    if let Some((_, sequence)) = receive.timer
        && process.timeout_fired.load(Ordering::Acquire) == sequence
    {
        receive.phase = Phase::Done;
        receive.timer = None;
        return Poll::Ready(Ok(ERR_TIMEOUT));
    }
    Poll::Pending
}

/// Makes `message` the current message of a receive that took it and
/// returns the call's result, its length; a `receive_into` also copies it
/// to its buffer.
#[inline]
fn deliver(state: &mut ProcessState, message: Letter) -> wasmtime::Result<i32> {
    let len = state.take_delivery(message);
    if let Some(into) = state.receive.into.take() {
        into.write(state)?;
    }
    Ok(len)
}

/// The buffer of a `receive_into` call: where in guest memory, and how
/// long. The message's tag (i64 LE) goes in its first 8 bytes, its
/// sender's pid (i64 LE) in the next 8, and as many of its first payload
/// bytes as fit after them.
#[derive(Clone, Copy)]
struct IntoBuffer {
    start: usize,
    len: usize,
}

impl IntoBuffer {
    /// Bytes before the payload: the tag and the sender.
    const HEADER: usize = 16;

    /// Checks a guest's buffer: a range outside its memory traps; `None`
    /// (the call returns `ERR_BADARG`) if it is too short for the header.
    fn check(caller: &mut Caller<'_, ProcessState>, ptr: i32, len: i32) -> wasmtime::Result<Option<IntoBuffer>> {
        let span = guest(caller).span("receive_into", ptr, len)?;
        Ok((span.len() >= Self::HEADER).then_some(IntoBuffer { start: span.start, len: span.len() }))
    }

    /// Writes the current message to the buffer.
    fn write(self, state: &mut ProcessState) -> wasmtime::Result<()> {
        let Some(message) = &state.current else { return Ok(()) };
        // SAFETY: this runs inside the process's `receive_into` call (at its
        // start, or in a poll of its future): the guest is suspended in it,
        // and the host function frames below hold the store without
        // touching its memory until the call returns.
        let Some(mem) = (unsafe { state.memory.bytes_mut() }) else {
            return Err(memory_gone());
        };
        let Some(buffer) = mem.get_mut(self.start..self.start + self.len) else {
            return Err(memory_gone());
        };
        let (header, payload) = buffer.split_at_mut(Self::HEADER);
        header[..8].copy_from_slice(&message.tag().to_le_bytes());
        header[8..].copy_from_slice(&message.sender().raw().to_le_bytes());
        let data = message.data();
        let n = data.len().min(payload.len());
        payload[..n].copy_from_slice(&data[..n]);
        // The next message will likely be written to the same place.
        state.last_read_to = header.as_ptr() as usize;
        Ok(())
    }
}

/// The trap of a `receive_into` whose buffer left guest memory while it
/// waited (the guest cannot grow its memory then: a host bug if ever seen).
#[cold]
#[inline(never)]
fn memory_gone() -> wasmtime::Error {
    fault("receive_into", "the buffer is no longer in guest memory")
}

/// The tags of a selective receive, decoded from the guest in place: up to
/// [`Tags::INLINE`] kept inline (a receive naming no more allocates
/// nothing), more on the heap.
enum Tags {
    Inline([i64; Tags::INLINE], u8),
    Heap(Box<[i64]>),
}

impl Default for Tags {
    /// No tags: any message matches.
    fn default() -> Tags {
        Tags::Inline([0; Tags::INLINE], 0)
    }
}

impl Tags {
    /// Receives name no tag or one or two, a reply's reference and a DOWN,
    /// say; the state of every process has room for this many.
    const INLINE: usize = 4;

    /// Replaces the tags with little-endian i64s (`bytes.len()` is a
    /// multiple of 8).
    fn set_from_le_bytes(&mut self, bytes: &[u8]) {
        let decode = |chunk: &[u8]| i64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let len = bytes.len() / 8;
        if len > Self::INLINE {
            *self = Tags::Heap(bytes.chunks_exact(8).map(decode).collect());
            return;
        }
        if let Tags::Heap(_) = self {
            *self = Tags::default();
        }
        // Decoded in place: built on the stack and moved in, the tags were
        // copied byte-wise and read back whole, which stalled every
        // selective receive on store forwarding.
        if let Tags::Inline(tags, count) = self {
            for (tag, chunk) in tags.iter_mut().zip(bytes.chunks_exact(8)) {
                *tag = decode(chunk);
            }
            *count = len as u8;
        }
    }

    /// No tags: any message matches.
    fn clear(&mut self) {
        match self {
            Tags::Inline(_, count) => *count = 0,
            Tags::Heap(_) => *self = Tags::default(),
        }
    }

    fn as_slice(&self) -> &[i64] {
        match self {
            Tags::Inline(tags, count) => &tags[..usize::from(*count)],
            Tags::Heap(tags) => tags,
        }
    }
}

/// Tells whoever wakes this process where it will resume (see
/// `resume_hints.rs`). Runs on the process's fiber stack, in the first poll
/// of its waiting `receive`.
#[inline(never)]
fn record_resume_hints(state: &ProcessState) {
    let on_stack = 0u8;
    let stack = std::hint::black_box(&on_stack) as *const u8 as usize;
    let store: *const ProcessState = state;
    state.process.resume_hints.record_wait(stack, store as usize, state.last_read_to);
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

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::Tags;

    fn le_bytes(tags: &[i64]) -> Vec<u8> {
        tags.iter().flat_map(|tag| tag.to_le_bytes()).collect()
    }

    /// A receive's tags are exactly those the guest named, whichever way
    /// they are kept (inline up to four, on the heap beyond) and whatever
    /// an earlier receive of the process named.
    #[test]
    fn tags_replace_the_previous_receives_tags_inline_or_on_the_heap() {
        let mut tags = Tags::default();
        assert!(tags.as_slice().is_empty());
        let sequence: [&[i64]; 7] =
            [&[7], &[1, -2, i64::MAX, 4], &[1, 2, 3, 4, 5, 6], &[9, 10], &[], &[11, 12, 13, 14, 15], &[16, 17, 18, 19]];
        for named in sequence {
            tags.set_from_le_bytes(&le_bytes(named));
            assert_eq!(tags.as_slice(), named);
            assert_eq!(matches!(tags, Tags::Heap(_)), named.len() > Tags::INLINE, "{named:?}");
        }
        tags.clear();
        assert!(tags.as_slice().is_empty());
    }
}
