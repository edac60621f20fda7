//! The `receive` call of a process: its state (kept in the process's
//! store data, so the call's future is empty and costs no allocation), its
//! future, and its timeout.
//!
//! The host functions (`abi/message.rs`) check the guest's arguments,
//! decode the tags into [`ReceiveState::tags`] and call [`begin`], which
//! answers what needs no waiting (a message already queued, a poll that
//! found none). Otherwise the call is a [`future`] polled by the process's
//! run loop: a receive that waits ([`wait`]) looks again at each wake, and
//! a receive whose look through a long queue ran out of its budget
//! ([`cost::scan_budget`](super::cost::scan_budget)) yields and goes on
//! where it stopped, so no receive holds a scheduler thread for more than
//! about a slice. What it looked at is charged to the process
//! ([`ReceiveState::take_charge`]).

use super::Process;
use super::call::{self, CallInFlight};
use super::cost;
use super::letter::Letter;
use super::mailbox::{Cursor, Scan};
use super::state::ProcessState;
use super::waker::polled_process;
use crate::base::codes::{ERR_TIMEOUT, MODULE};
use std::future::Future;
use std::num::NonZeroU64;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;

/// The synchronous part of a receive whose tags are set: a new look
/// through the process's messages, within a slice's budget. Returns the
/// call's answer when it needs no waiting (a message taken, or a poll,
/// `timeout_ms == 0`, that found none), or the phase its future starts in:
/// [`Phase::Scanning`] when the budget ran out; `None` when every message
/// was looked at and none matched, and the receive waits ([`wait`]).
pub(crate) fn begin(state: &mut ProcessState, timeout_ms: i64) -> Option<wasmtime::Result<Phase>> {
    let receive = &mut state.receive;
    receive.cursor = Cursor::default();
    receive.poll_only = timeout_ms == 0;
    let budget = cost::scan_budget(state.process.runtime.config.reductions);
    match look(state, budget) {
        Scan::Found(message) => Some(deliver(state, message).map(Phase::Ready)),
        Scan::NotFound if timeout_ms == 0 && call::withdraw(state) => {
            call::abandon(state);
            Some(Ok(Phase::Ready(ERR_TIMEOUT)))
        }
        Scan::NotFound => {
            // A call whose reply claimed its token waits for it.
            state.receive.poll_only = false;
            None
        }
        Scan::OutOfBudget => {
            // The timeout counts from the call; it is looked at once every
            // message has been.
            state.receive.timer = if timeout_ms > 0 { start_timeout(state, timeout_ms) } else { None };
            Some(Ok(Phase::Scanning))
        }
    }
}

/// A receive that looked at every message and found none it takes: it
/// waits. Records the process's reductions (`fuel_left` is its store's)
/// and arms the timeout of a receive that waits at most `timeout_ms`
/// (negative: for ever).
pub(crate) fn wait(state: &mut ProcessState, timeout_ms: i64, fuel_left: Option<u64>) -> Phase {
    if let Some(left) = fuel_left {
        state.process.reductions.store(state.reductions(left), Ordering::Relaxed);
    }
    state.receive.timer = if timeout_ms > 0 { start_timeout(state, timeout_ms) } else { None };
    Phase::Starting
}

/// Looks through the process's messages from where this receive stopped,
/// at no more than `budget` of them; what it looked at is charged.
#[inline]
fn look(state: &mut ProcessState, budget: u64) -> Scan {
    let receive = &mut state.receive;
    let before = receive.cursor.looked;
    let tags = &receive.tags;
    let scan =
        state.received.take_matching(&state.process.mailbox, |tag| tags.matches(tag), &mut receive.cursor, budget);
    let looked = receive.cursor.looked - before;
    if looked > cost::FREE_SCAN {
        receive.charge = receive.charge.saturating_add(cost::scan(looked));
    }
    if let Scan::Found(letter) = &scan {
        // The process holds the message now, not the host.
        state.process.runtime.memory.release(letter.footprint());
    }
    scan
}

/// The future of a receive call that started as `started` says (an error:
/// the call traps).
pub(crate) fn future(
    state: &mut ProcessState,
    started: wasmtime::Result<Phase>,
) -> Box<dyn Future<Output = wasmtime::Result<i32>> + Send> {
    let phase = match started {
        Ok(phase) => phase,
        Err(trap) => return Box::new(std::future::ready(Err(trap))),
    };
    state.receive.phase = phase;
    // Where `Receive::poll` finds the state (see there).
    let state_ptr: *mut ProcessState = state;
    state.process.receiving.store(state_ptr, Ordering::Relaxed);
    Box::new(Receive)
}

/// Arms the timer of a receive that waits at most `timeout_ms`: returns
/// its reference and sequence number (`None` only when the node is
/// stopping: then the receive waits without one).
fn start_timeout(state: &mut ProcessState, timeout_ms: i64) -> Option<(NonZeroU64, u64)> {
    state.receive_sequence += 1;
    let sequence = state.receive_sequence;
    let runtime = &state.process.runtime;
    let after = Duration::from_millis(timeout_ms.unsigned_abs());
    runtime
        .timers
        .wake_after(&runtime.table, state.pid, sequence, after)
        .and_then(NonZeroU64::new)
        .map(|reference| (reference, sequence))
}

/// The `receive` call in flight of a process, kept in its state.
#[derive(Default)]
pub(crate) struct ReceiveState {
    pub(crate) phase: Phase,
    /// Where a `receive_into` writes the message it takes.
    pub(crate) into: Option<IntoBuffer>,
    /// The tags a waiting receive takes.
    pub(crate) tags: Tags,
    /// The timeout's timer reference (never 0) and sequence number, if any.
    timer: Option<(NonZeroU64, u64)>,
    /// Where this receive's look through the queue stands.
    cursor: Cursor,
    /// A poll (`timeout_ms == 0`): once every message was looked at, the
    /// call returns `ERR_TIMEOUT`.
    poll_only: bool,
    /// Fuel owed for messages looked at, not yet taken from the process's
    /// slice (a future cannot reach the store's fuel; the host function
    /// takes it at the next call).
    charge: u64,
    /// The call this wait belongs to, if it is a call's (see `call.rs`).
    pub(crate) call: Option<CallInFlight>,
}

impl ReceiveState {
    /// Whether no receive is in flight and no fuel is owed: what is left is
    /// what the next receive sets anew (its tags, where its look starts,
    /// whether it polls), so a default state does the same.
    pub(crate) fn is_at_rest(&self) -> bool {
        self.phase == Phase::Done
            && self.into.is_none()
            && self.timer.is_none()
            && self.charge == 0
            && self.call.is_none()
    }

    /// The fuel owed for the receives' work, now taken off the books: the
    /// host function charges it to the process's slice.
    pub(crate) fn take_charge(&mut self) -> u64 {
        std::mem::take(&mut self.charge)
    }
}

/// Where a `receive` call is.
#[derive(Default, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// No receive in flight.
    #[default]
    Done,
    /// Answered without waiting: the call returns this.
    Ready(i32),
    /// Found no matching message: it waits. The mailbox was looked at just
    /// before, so the first poll only records the resume hints and waits (a
    /// message sent meanwhile came with a wake, which polls again).
    Starting,
    /// Its look through the queue used the call's budget: the first poll
    /// yields (the process goes to the back of the run queue), and the next
    /// goes on looking ([`Phase::Resuming`]).
    Scanning,
    /// Going on with a look through the queue, a budget at each poll.
    Resuming,
    /// Waiting for a matching message, or for its timeout. The process is
    /// suspended meanwhile; the sender's wake or the timer's makes it
    /// runnable again (see `run_state.rs`), and its next poll looks at what
    /// arrived. The timeout is a timer of the node's timer service
    /// (`svc/timers`), cancelled if a message comes first.
    Waiting,
    /// The process was killed while it waited: the next poll fails with
    /// wasmtime's discard marker, so the call unwinds and gives its store
    /// back to be recycled (see [`dispose`]).
    Disposed,
}

/// The future of a `receive` call: empty, its state is the process's
/// [`ReceiveState`].
struct Receive;

impl Future for Receive {
    type Output = wasmtime::Result<i32>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Every future of a process's call is polled by `Process::run`,
        // whose waker names the process.
        let Some(process) = polled_process(cx) else {
            return Poll::Ready(Err(wasmtime::Error::msg("warren_v1.receive: polled outside its process")));
        };
        let state = process.receiving.load(Ordering::Relaxed);
        // SAFETY: `future` stored this pointer to the process's state,
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
            Phase::Scanning => {
                state.receive.phase = Phase::Resuming;
                // A wake from inside the poll: the process goes to the back
                // of the run queue, and its next poll goes on looking.
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Phase::Resuming | Phase::Waiting => poll_waiting(process, state, cx),
            Phase::Disposed => {
                state.receive.phase = Phase::Done;
                Poll::Ready(Err(wasmtime::Error::new(wasmtime::FiberDisposed)))
            }
        }
    }
}

/// Readies the call of an exited `process` to be discarded with its store
/// kept: if the process waits in a receive, that receive's next poll fails
/// (see [`Phase::Disposed`]). Returns whether it does; if not (a process
/// suspended elsewhere, in a fuel yield or a `sleep`, say), polling the
/// call would run the process on, and it must be dropped instead.
///
/// # Safety
/// `process` has exited, and the caller owns its task (taken out of the
/// process), so nothing else polls or looks into the call's store.
pub(crate) unsafe fn dispose(process: &Process) -> bool {
    let state = process.receiving.load(Ordering::Relaxed);
    if state.is_null() {
        return false;
    }
    // SAFETY: a non-null `receiving` points to the state in the store of
    // the process's call in flight (see `future`), which the caller owns
    // and nothing else touches.
    let state = unsafe { &mut *state };
    match state.receive.phase {
        Phase::Starting | Phase::Scanning | Phase::Resuming | Phase::Waiting => {
            state.receive.phase = Phase::Disposed;
            true
        }
        Phase::Done | Phase::Ready(_) | Phase::Disposed => false,
    }
}

/// A poll of a receive that goes on looking or waits: takes a matching
/// message if one is there, yields again if its budget ran out first, ends
/// a poll or a wait whose timeout fired once every message was looked at.
/// (Out of line: the first poll of a receive, which only records where it
/// will resume, stays short.)
#[inline(never)]
fn poll_waiting(process: &Process, state: &mut ProcessState, cx: &mut Context<'_>) -> Poll<wasmtime::Result<i32>> {
    let budget = cost::scan_budget(process.runtime.config.reductions);
    match look(state, budget) {
        Scan::Found(message) => {
            let receive = &mut state.receive;
            receive.phase = Phase::Done;
            if let Some((reference, _)) = receive.timer.take() {
                process.runtime.timers.cancel(reference.get());
            }
            Poll::Ready(deliver(state, message))
        }
        Scan::OutOfBudget => {
            state.receive.phase = Phase::Resuming;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Scan::NotFound => {
            let receive = &mut state.receive;
            let fired =
                receive.timer.is_some_and(|(_, sequence)| process.timeout_fired.load(Ordering::Acquire) == sequence);
            if fired || receive.poll_only {
                receive.timer = None;
                receive.poll_only = false;
                if call::withdraw(state) {
                    call::abandon(state);
                    state.receive.phase = Phase::Done;
                    return Poll::Ready(Ok(ERR_TIMEOUT));
                }
                // A call whose reply claimed its token: it comes, with a wake.
                let receive = &mut state.receive;
                if receive.phase == Phase::Resuming {
                    receive.phase = Phase::Waiting;
                    record_resume_hints(state);
                }
                return Poll::Pending;
            }
            if receive.phase == Phase::Resuming {
                // Every message looked at: from now on it waits.
                receive.phase = Phase::Waiting;
                record_resume_hints(state);
            }
            Poll::Pending
        }
    }
}

/// Makes `message` the current message of a receive that took it and
/// returns the call's result, its length; a `receive_into` also copies it
/// to its buffer.
#[inline]
fn deliver(state: &mut ProcessState, message: Letter) -> wasmtime::Result<i32> {
    if state.receive.call.is_some() {
        return Ok(call::finish(state, message));
    }
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
pub(crate) struct IntoBuffer {
    start: usize,
    len: usize,
}

impl IntoBuffer {
    /// Bytes before the payload: the tag and the sender.
    const HEADER: usize = 16;

    /// The buffer at `span` of guest memory (checked to lie in it by the
    /// caller); `None` if it is too short for the header.
    pub(crate) fn new(span: std::ops::Range<usize>) -> Option<IntoBuffer> {
        (span.len() >= Self::HEADER).then_some(IntoBuffer { start: span.start, len: span.len() })
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
        let n = message.payload().copy_to(0, payload);
        // The next message will likely be written to the same place.
        state.last_read_to = header.as_ptr() as usize;
        if n as u64 > cost::FREE_BYTES {
            state.receive.charge = state.receive.charge.saturating_add(cost::copy(n));
        }
        Ok(())
    }
}

/// The trap of a `receive_into` whose buffer left guest memory while it
/// waited (the guest cannot grow its memory then: a host bug if ever seen).
#[cold]
#[inline(never)]
fn memory_gone() -> wasmtime::Error {
    wasmtime::Error::msg(format!("{MODULE}.receive_into: the buffer is no longer in guest memory"))
}

/// The tags of a selective receive, decoded from the guest in place: up to
/// [`Tags::INLINE`] kept inline (a receive naming no more allocates
/// nothing) and compared one by one, more on the heap, sorted, and found by
/// binary search (a receive naming thousands of tags costs a dozen
/// comparisons a message, not thousands).
pub(crate) enum Tags {
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
    pub(crate) fn set_from_le_bytes(&mut self, bytes: &[u8]) {
        let decode = |chunk: &[u8]| i64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let len = bytes.len() / 8;
        if len > Self::INLINE {
            let mut tags: Vec<i64> = bytes.chunks_exact(8).map(decode).collect();
            tags.sort_unstable();
            tags.dedup();
            *self = Tags::Heap(tags.into_boxed_slice());
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
            *count = u8::try_from(len).unwrap_or(0);
        }
    }

    /// Replaces the tags with `tags` (at most [`Tags::INLINE`]: a call's).
    pub(crate) fn set(&mut self, tags: &[i64]) {
        debug_assert!(tags.len() <= Self::INLINE);
        let mut inline = [0; Self::INLINE];
        let count = tags.len().min(Self::INLINE);
        inline[..count].copy_from_slice(&tags[..count]);
        *self = Tags::Inline(inline, u8::try_from(count).unwrap_or(0));
    }

    /// No tags: any message matches.
    pub(crate) fn clear(&mut self) {
        match self {
            Tags::Inline(_, count) => *count = 0,
            Tags::Heap(_) => *self = Tags::default(),
        }
    }

    /// Whether a receive for these tags takes a message with `tag` (any
    /// message when there are none).
    #[inline]
    pub(crate) fn matches(&self, tag: i64) -> bool {
        match self {
            Tags::Inline(tags, count) => *count == 0 || tags[..usize::from(*count)].contains(&tag),
            Tags::Heap(sorted) => sorted.binary_search(&tag).is_ok(),
        }
    }

    /// The tags, in the order the guest named them (inline) or sorted
    /// (heap).
    #[cfg(all(test, not(feature = "loom")))]
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
            let mut expected = named.to_vec();
            if named.len() > Tags::INLINE {
                expected.sort_unstable();
            }
            assert_eq!(tags.as_slice(), expected);
            assert_eq!(matches!(tags, Tags::Heap(_)), named.len() > Tags::INLINE, "{named:?}");
            for tag in -3..25 {
                assert_eq!(tags.matches(tag), named.is_empty() || named.contains(&tag), "{named:?} {tag}");
            }
        }
        tags.clear();
        assert!(tags.as_slice().is_empty());
    }

    #[test]
    fn no_tags_match_any_message_and_many_tags_are_searched_not_walked() {
        let mut tags = Tags::default();
        assert!(tags.matches(42) && tags.matches(-100), "no tags: any message");
        let many: Vec<i64> = (0..4096).rev().map(|n| n * 3).collect();
        tags.set_from_le_bytes(&le_bytes(&many));
        assert!(tags.matches(0) && tags.matches(3 * 4095) && tags.matches(300));
        assert!(!tags.matches(1) && !tags.matches(-3) && !tags.matches(3 * 4096));
    }
}
