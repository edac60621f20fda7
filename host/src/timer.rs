//! Timers: `send_after`, `cancel_timer`, `read_timer`, as Erlang's.
//!
//! Each pending timer is a task on the node's timer runtime (tokio's
//! hierarchical timing wheel) plus an entry in a sharded map from its
//! reference. Firing and cancelling both remove the entry first: whichever
//! removes it wins, so a cancel racing the firing gets a consistent answer
//! (time left and no message, or "already fired" and the message sent).
//!
//! A timer aimed at a pid is also recorded in that process's relations, and
//! cancelled when the process exits (as Erlang does): a timer to a dead pid
//! is never pending, and sends nothing.

use crate::mailbox::Message;
use crate::node::NodeShared;
use crate::pid::Pid;
use crate::process::Process;
use crate::process_table::ProcessTable;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

const SHARDS: usize = 16;

/// Where a timer's message goes.
pub(crate) enum Destination {
    /// A pid.
    Pid(Pid),
    /// A registered name, looked up when the timer fires (as Erlang does).
    Name(String),
}

struct Entry {
    deadline: Instant,
    task: tokio::task::AbortHandle,
    /// The destination pid, whose relations record this timer.
    pid: Option<Pid>,
}

/// The pending timers of a node.
pub(crate) struct Timers {
    next: AtomicU64,
    shards: Vec<Mutex<HashMap<u64, Entry>>>,
    runtime: tokio::runtime::Handle,
}

impl Timers {
    pub(crate) fn new(runtime: tokio::runtime::Handle) -> Timers {
        Timers { next: AtomicU64::new(1), shards: (0..SHARDS).map(|_| Mutex::default()).collect(), runtime }
    }

    fn shard(&self, reference: u64) -> std::sync::MutexGuard<'_, HashMap<u64, Entry>> {
        self.shards[reference as usize % SHARDS].lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Removes a pending timer; returns its deadline if it was pending.
    fn take(&self, reference: u64) -> Option<Entry> {
        self.shard(reference).remove(&reference)
    }

    /// Cancels timer `reference`: the time that was left, or `None` if it has
    /// fired, was cancelled, or never existed.
    pub(crate) fn cancel(&self, table: &ProcessTable<Process>, reference: u64) -> Option<Duration> {
        let entry = self.take(reference)?;
        entry.task.abort();
        if let Some(pid) = entry.pid {
            forget(table, pid, reference);
        }
        Some(entry.deadline.saturating_duration_since(Instant::now()))
    }

    /// The time left on timer `reference`, if it is pending.
    pub(crate) fn read(&self, reference: u64) -> Option<Duration> {
        self.shard(reference).get(&reference).map(|e| e.deadline.saturating_duration_since(Instant::now()))
    }

    /// Number of pending timers.
    pub(crate) fn pending(&self) -> usize {
        self.shards.iter().map(|s| s.lock().unwrap_or_else(|e| e.into_inner()).len()).sum()
    }

    /// Cancels every timer (node shutdown).
    pub(crate) fn clear(&self) {
        for shard in &self.shards {
            for (_, entry) in shard.lock().unwrap_or_else(|e| e.into_inner()).drain() {
                entry.task.abort();
            }
        }
    }
}

/// Removes timer `reference` from the relations of its destination `pid`.
fn forget(table: &ProcessTable<Process>, pid: Pid, reference: u64) {
    if let Some(process) = table.get(pid)
        && let Some(attached) = process.relations().attached_mut()
    {
        attached.timers.remove(&reference);
    }
}

impl NodeShared {
    /// Cancels timer `reference` (see [`Timers::cancel`]).
    pub(crate) fn cancel_timer(&self, reference: u64) -> Option<Duration> {
        self.timers.cancel(&self.table, reference)
    }

    /// Sends `tag`/`data` from `from` to `destination` after `after`; returns
    /// the timer reference. A timer to a pid that is not alive is never
    /// pending (its reference reads as fired).
    pub(crate) fn send_after(
        self: &Arc<Self>,
        from: Pid,
        destination: Destination,
        tag: i64,
        data: Box<[u8]>,
        after: Duration,
    ) -> u64 {
        let timers = &self.timers;
        let reference = timers.next.fetch_add(1, Ordering::Relaxed);
        // Record the timer with its destination first, so the destination's
        // exit finds it; a dead destination gets no timer at all.
        let target = match &destination {
            Destination::Pid(pid) => {
                let Some(process) = self.table.get(*pid) else { return reference };
                {
                    let mut relations = process.relations();
                    if relations.is_exited() {
                        return reference;
                    }
                    relations.attach().timers.insert(reference);
                }
                Some(process)
            }
            Destination::Name(_) => None,
        };
        let pid = target.as_ref().map(|p| p.pid);
        let deadline = Instant::now() + after;
        let node: Weak<NodeShared> = Arc::downgrade(self);
        {
            // The shard stays locked until the entry is in, so the task
            // cannot fire (and look for its entry) before it exists.
            let mut shard = timers.shard(reference);
            let task = timers.runtime.spawn(async move {
                tokio::time::sleep_until(deadline.into()).await;
                let Some(node) = node.upgrade() else { return };
                if node.timers.take(reference).is_none() {
                    return; // cancelled meanwhile
                }
                let to = match destination {
                    Destination::Pid(pid) => Some(pid),
                    Destination::Name(name) => node.whereis(&name),
                };
                let Some(process) = to.and_then(|to| node.table.get(to)) else { return };
                if pid.is_some()
                    && let Some(attached) = process.relations().attached_mut()
                {
                    attached.timers.remove(&reference);
                }
                process.deliver(Message { sender: from, tag, data });
            });
            shard.insert(reference, Entry { deadline, task: task.abort_handle(), pid });
        }
        // A destination that exited meanwhile may have missed the entry.
        if let Some(target) = target
            && target.relations().is_exited()
        {
            self.cancel_timer(reference);
        }
        reference
    }
}
