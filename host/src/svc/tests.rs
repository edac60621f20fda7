//! A plain process for the services' unit tests: it records what the
//! services do to it (messages queued, wakes, exit requests), so that
//! Erlang's rules can be checked without a node, a scheduler or a wasm
//! instance.

use super::Member;
use super::process_table::ProcessTable;
use super::signals::{Departing, Relations, down_head, exit_head};
use crate::base::codes::{TAG_DOWN, TAG_EXIT};
use crate::base::pid::Pid;
use crate::base::reason::ExitReason;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Orders every delivery of every test process, to check which came first.
static SEQUENCE: AtomicU64 = AtomicU64::new(1);

/// A message a test process got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Received {
    from: Pid,
    tag: i64,
    data: Box<[u8]>,
}

impl Received {
    pub(crate) fn message(from: Pid, tag: i64, data: &[u8]) -> Received {
        Received { from, tag, data: data.into() }
    }

    /// The EXIT message of a trapped exit signal.
    pub(crate) fn exit(from: Pid, reason: &ExitReason) -> Received {
        Received { from, tag: TAG_EXIT, data: [&exit_head(from, reason)[..], reason.detail()].concat().into() }
    }

    /// The DOWN message of monitor `reference` on `pid`.
    pub(crate) fn down(reference: u64, pid: Pid, reason: &ExitReason) -> Received {
        let head = down_head(reference, pid, reason);
        Received { from: pid, tag: TAG_DOWN, data: [&head[..], reason.detail()].concat().into() }
    }
}

/// A process that only records.
#[derive(Default)]
pub(crate) struct TestProcess {
    pid: Option<Pid>,
    relations: Mutex<Relations>,
    trap_exit: AtomicBool,
    done: AtomicBool,
    inbox: Mutex<Vec<(u64, Received)>>,
    wakes: AtomicUsize,
    fired: Mutex<Option<u64>>,
    /// The token of the call it waits on (0: none).
    awaiting_reply: AtomicU64,
}

impl TestProcess {
    /// A test process with pid `pid` (put it in a table yourself).
    pub(crate) fn with_pid(pid: Pid) -> TestProcess {
        TestProcess { pid: Some(pid), ..TestProcess::default() }
    }

    pub(crate) fn set_trap_exit(&self, on: bool) {
        self.trap_exit.store(on, Ordering::Relaxed);
    }

    /// The exit a signal asked for, if any (taken).
    pub(crate) fn pending_exit(&self) -> Option<ExitReason> {
        self.relations().take_pending_exit().map(|reason| (*reason).clone())
    }

    /// The messages it got so far, in order (taken).
    pub(crate) fn received(&self) -> Vec<Received> {
        std::mem::take(&mut *self.inbox.lock().unwrap()).into_iter().map(|(_, message)| message).collect()
    }

    /// The sequence number of its last delivery (0: none).
    pub(crate) fn last_sequence(&self) -> u64 {
        self.inbox.lock().unwrap().last().map_or(0, |(sequence, _)| *sequence)
    }

    /// Waits on the call of `token` (as a caller does once its request
    /// has gone).
    pub(crate) fn await_call(&self, token: u64) {
        self.awaiting_reply.store(token, Ordering::Release);
    }

    /// How many times it was woken.
    pub(crate) fn wakes(&self) -> usize {
        self.wakes.load(Ordering::Relaxed)
    }

    /// The sequence number of the last receive timeout that fired.
    pub(crate) fn fired_timeout(&self) -> Option<u64> {
        *self.fired.lock().unwrap()
    }

    fn push(&self, from: Pid, tag: i64, data: &[u8]) {
        let sequence = SEQUENCE.fetch_add(1, Ordering::Relaxed);
        self.inbox.lock().unwrap().push((sequence, Received::message(from, tag, data)));
    }
}

impl Member for TestProcess {
    fn pid(&self) -> Pid {
        self.pid.expect("a test process is made in a table")
    }

    fn relations(&self) -> MutexGuard<'_, Relations> {
        self.relations.lock().unwrap()
    }

    fn traps_exits(&self) -> bool {
        self.trap_exit.load(Ordering::Relaxed)
    }

    fn deliver_signal(self: &Arc<Self>, from: Pid, tag: i64, head: &[u8], reason: &Arc<ExitReason>) {
        self.push(from, tag, &[head, reason.detail()].concat());
        self.wake();
    }

    fn deliver_signal_locked(
        self: &Arc<Self>,
        _relations: &mut Relations,
        from: Pid,
        tag: i64,
        head: &[u8],
        reason: &Arc<ExitReason>,
    ) {
        self.deliver_signal(from, tag, head, reason);
    }

    fn enqueue(self: &Arc<Self>, from: Pid, tag: i64, data: &[u8]) -> bool {
        self.push(from, tag, data);
        true
    }

    fn wake(self: &Arc<Self>) {
        self.wakes.fetch_add(1, Ordering::Relaxed);
    }

    fn request_exit(self: &Arc<Self>, reason: Arc<ExitReason>, awaited_by: Option<&Arc<Departing>>) -> bool {
        let asked = match awaited_by {
            Some(departing) => self.relations().request_exit_awaited(reason, departing),
            None => self.relations().request_exit(reason),
        };
        if asked {
            self.wake();
        }
        asked
    }

    fn claim_call(&self, token: u64) -> bool {
        self.awaiting_reply.compare_exchange(token, 0, Ordering::AcqRel, Ordering::Relaxed).is_ok()
    }

    fn is_done(&self) -> bool {
        self.done.load(Ordering::Relaxed)
    }

    fn timeout_fired(self: &Arc<Self>, sequence: u64) {
        *self.fired.lock().unwrap() = Some(sequence);
        self.wake();
    }
}

/// A table holding `N` new test processes.
pub(crate) fn table_of<const N: usize>() -> (ProcessTable<TestProcess>, [Arc<TestProcess>; N]) {
    let table = ProcessTable::new(64);
    let processes = std::array::from_fn(|_| {
        let (_, process) = table
            .insert(|pid| Arc::new(TestProcess { pid: Some(pid), ..TestProcess::default() }))
            .expect("room in the table");
        process
    });
    (table, processes)
}
