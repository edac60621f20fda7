//! Tracing a process, as `:sys.trace/2` and recon_trace do: the messages it
//! gets and sends, the processes it spawns, its links and its exit, handed
//! to whoever asked for the trace as they happen.
//!
//! A process that is not traced pays one relaxed load of its `traced` flag
//! where a message arrives and where it sends (measured: see README
//! "Production debugging"). A traced process's events go to a sink that can
//! never flood the node (recon_trace's safety): the sink takes at most the
//! number of events the trace asked for, then turns the trace off; events
//! beyond its bounded buffer are dropped and counted, not queued.

use super::Process;
use super::letter::Letter;
use crate::base::pid::Pid;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// One thing a traced process did.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceEvent {
    /// A message arrived in its mailbox.
    Received {
        /// Its sender.
        from: Pid,
        /// Its tag.
        tag: i64,
        /// Its length in bytes.
        size: usize,
        /// Its first bytes (as many as the trace asked for).
        head: Vec<u8>,
    },
    /// It sent a message.
    Sent {
        /// The receiver.
        to: Pid,
        /// Its tag.
        tag: i64,
        /// Its length in bytes.
        size: usize,
        /// Its first bytes.
        head: Vec<u8>,
    },
    /// It spawned a process.
    Spawned {
        /// The new process.
        child: Pid,
    },
    /// It linked to a process.
    Linked {
        /// The other process.
        other: Pid,
    },
    /// It removed a link.
    Unlinked {
        /// The other process.
        other: Pid,
    },
    /// It exited.
    Exited {
        /// Its exit reason, as text.
        reason: String,
    },
}

/// A [`TraceEvent`] with its process and time.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TraceRecord {
    /// The traced process.
    pub pid: Pid,
    /// When, in microseconds since the Unix epoch.
    pub at_micros: u64,
    /// What happened.
    pub event: TraceEvent,
}

/// Where one trace's events go.
pub(crate) struct Sink {
    events: crossbeam_channel::Sender<TraceRecord>,
    /// Events the trace still takes; at 0 it turns itself off.
    remaining: AtomicU64,
    /// Events dropped because the buffer was full.
    dropped: AtomicU64,
    /// Bytes of each message to copy into its event.
    head_bytes: usize,
}

impl Sink {
    /// Events dropped so far because the reader was behind.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// The traces of a node's processes, by pid. Only traced processes look
/// here, so the lock is off every untraced path.
#[derive(Default)]
pub(crate) struct Tracers {
    sinks: Mutex<HashMap<Pid, Arc<Sink>>>,
}

/// Why a trace could not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TraceRefused {
    /// Another trace watches the process.
    AlreadyTraced,
}

impl Tracers {
    /// Starts a trace of `process` taking at most `max_events` events,
    /// buffering at most `buffer` of them for the reader; returns the
    /// receiving end and the sink (for its counters).
    pub(crate) fn start(
        &self,
        process: &Process,
        max_events: u64,
        buffer: usize,
        head_bytes: usize,
    ) -> Result<(crossbeam_channel::Receiver<TraceRecord>, Arc<Sink>), TraceRefused> {
        let (events, receiver) = crossbeam_channel::bounded(buffer.max(1));
        let sink =
            Arc::new(Sink { events, remaining: AtomicU64::new(max_events), dropped: AtomicU64::new(0), head_bytes });
        let mut sinks = self.sinks.lock().unwrap_or_else(|e| e.into_inner());
        if sinks.contains_key(&process.pid) {
            return Err(TraceRefused::AlreadyTraced);
        }
        sinks.insert(process.pid, sink.clone());
        process.traced.store(true, Ordering::Relaxed);
        Ok((receiver, sink))
    }

    /// Ends the trace `sink` of `pid` (if it is still the one there), and
    /// turns `process`'s flag off if it is still alive.
    pub(crate) fn stop(&self, pid: Pid, sink: &Arc<Sink>, process: Option<&Process>) {
        let mut sinks = self.sinks.lock().unwrap_or_else(|e| e.into_inner());
        if sinks.get(&pid).is_some_and(|current| Arc::ptr_eq(current, sink)) {
            sinks.remove(&pid);
            if let Some(process) = process {
                process.traced.store(false, Ordering::Relaxed);
            }
        }
    }

    fn sink(&self, pid: Pid) -> Option<Arc<Sink>> {
        self.sinks.lock().unwrap_or_else(|e| e.into_inner()).get(&pid).cloned()
    }
}

/// Hands `event` to `process`'s trace, if it still takes events.
#[cold]
fn emit(process: &Process, event: impl FnOnce(usize) -> TraceEvent) {
    let Some(sink) = process.runtime.tracers.sink(process.pid) else { return };
    let taken = sink.remaining.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(1));
    match taken {
        Err(_) => {
            // Used up: nothing more is recorded (the reader ends the trace).
            process.traced.store(false, Ordering::Relaxed);
            return;
        }
        Ok(1) => process.traced.store(false, Ordering::Relaxed),
        Ok(_) => {}
    }
    let at_micros = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_micros() as u64);
    let record = TraceRecord { pid: process.pid, at_micros, event: event(sink.head_bytes) };
    if sink.events.try_send(record).is_err() {
        sink.dropped.fetch_add(1, Ordering::Relaxed);
    }
}

/// The first `limit` bytes of `letter`'s payload.
fn head_of(letter: &Letter, limit: usize) -> Vec<u8> {
    let payload = letter.payload();
    let mut head = vec![0; payload.len().min(limit)];
    let copied = payload.copy_to(0, &mut head);
    head.truncate(copied);
    head
}

/// `letter` arrived for the traced `process`.
#[cold]
pub(crate) fn message_in(process: &Process, letter: &Letter) {
    emit(process, |limit| TraceEvent::Received {
        from: letter.sender(),
        tag: letter.tag(),
        size: letter.payload().len(),
        head: head_of(letter, limit),
    });
}

/// The traced `process` sent `letter` to `to`.
#[cold]
pub(crate) fn message_out(process: &Process, to: Pid, letter: &Letter) {
    emit(process, |limit| TraceEvent::Sent {
        to,
        tag: letter.tag(),
        size: letter.payload().len(),
        head: head_of(letter, limit),
    });
}

/// The traced `process` did something other than a message (see
/// [`TraceEvent`]).
#[cold]
pub(crate) fn event(process: &Process, event: TraceEvent) {
    emit(process, |_| event);
}
