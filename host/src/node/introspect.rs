//! What an operator asks a live node, as `:recon`, `:sys`, `Process.info`
//! and observer ask a BEAM node: every process with its status, memory,
//! reductions and mailbox; one process in detail; the supervision trees;
//! the node's counters; a trace of one process. The control endpoint of
//! `warren run`, its web dashboard and its `/metrics` serve these.
//!
//! It reads what the node keeps anyway (see `process/inspect.rs` for how a
//! process is looked at without stopping it or slowing its messages), and
//! walks the process table slot by slot, never stopping it as a whole.
//! Rates (reductions/s, messages/s, scheduler utilization) are differences
//! of the cumulative counters of two [`NodeStats`] samples: the caller
//! picks the window.

use super::Node;
use crate::base::pid::Pid;
use crate::process::Process;
use crate::process::capabilities::Capabilities;
use crate::process::inspect::{Depth, Inspection, MessagePreview, ProcessKind, ProcessStatus};
use crate::process::runtime::Runtime;
use crate::process::trace::{Sink, TraceRecord, TraceRefused};
use crate::svc::Member;
use crate::svc::supervisor::spec::ChildInfo;
use crate::svc::tables::TableInfo;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// One process as `warren ps` lists it. What only the process's own thread
/// may read (its module, mailbox, current call) is `None` when the process
/// was running or queued at the moment of the look.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ProcessSummary {
    /// Its pid.
    pub pid: Pid,
    /// Its registered name, if any.
    pub name: Option<String>,
    /// Wasm instance, supervisor, or host inbox.
    pub kind: ProcessKind,
    /// The module it runs.
    pub module: Option<String>,
    /// The export it started on (a handler-style process: its handler).
    pub entry: Option<String>,
    /// What it is doing.
    pub status: ProcessStatus,
    /// Bytes of linear memory (0 while hibernated: see
    /// [`ProcessDetails::hibernated_image`]).
    pub linear_memory: usize,
    /// Bytes the host holds for it: its fiber stack (reserved size), its
    /// queued messages, a hibernated image, and its process record.
    pub host_memory: usize,
    /// Reductions (fuel) used, as of its last wait.
    pub reductions: u64,
    /// Messages queued and not yet received.
    pub mailbox_len: Option<usize>,
    /// Messages it has received so far (the difference between two looks
    /// is its messages per second).
    pub messages_received: u64,
    /// The host function it waits in, if any.
    pub current_call: Option<String>,
    /// When it was spawned, in milliseconds since the Unix epoch.
    pub spawned_at_ms: u64,
}

/// One process in detail (`warren info`): its summary and its relations,
/// limits, capabilities and first queued messages.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ProcessDetails {
    /// What `warren ps` shows of it.
    pub summary: ProcessSummary,
    /// The processes it is linked to.
    pub links: Vec<Pid>,
    /// The monitors it holds: (reference, target), with the monitor of a
    /// call it waits in (whose reference is the call's token).
    pub monitors: Vec<(u64, Pid)>,
    /// The monitors held on it: (reference, watcher).
    pub monitored_by: Vec<(u64, Pid)>,
    /// Whether exit signals reach it as messages.
    pub trap_exit: bool,
    /// Whether a trace watches it.
    pub traced: bool,
    /// The process that spawned it (`None`: the host), as `proc_lib`'s
    /// parent.
    pub parent: Option<Pid>,
    /// The supervisor whose child it is, if any.
    pub supervisor: Option<Pid>,
    /// Its capabilities and limits, if known.
    pub capabilities: Option<Capabilities>,
    /// Bytes its queued messages hold.
    pub mailbox_bytes: Option<usize>,
    /// Bytes of its fiber stack (reserved).
    pub stack: usize,
    /// Bytes of a hibernated process's saved image.
    pub hibernated_image: usize,
    /// Bytes of its linear memory in RAM, if known (an idle handler-style
    /// process: its fiber stack and the pages of its memory that hold only
    /// constant data go back to the kernel while it waits).
    pub resident_linear_memory: Option<usize>,
    /// Its oldest queued messages (as many as asked for).
    pub messages: Vec<MessagePreview>,
}

/// A supervisor and its children, each child's subtree if it is a
/// supervisor (`warren tree`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SupervisionTree {
    /// The supervisor.
    pub pid: Pid,
    /// Its registered name, if any.
    pub name: Option<String>,
    /// Its children, in start order.
    pub children: Vec<TreeChild>,
}

/// A child in a [`SupervisionTree`].
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct TreeChild {
    /// What its supervisor knows of it (id, pid, kind, restarts).
    pub info: ChildInfo,
    /// Its registered name, if it runs and has one.
    pub name: Option<String>,
    /// Its own tree, if it is a running supervisor.
    pub subtree: Option<SupervisionTree>,
}

/// Memory of a node by kind, in bytes.
#[derive(Clone, Copy, Debug, Default)]
#[non_exhaustive]
pub struct MemoryByKind {
    /// Linear memories of the live processes.
    pub linear_memories: usize,
    /// Fiber stacks the processes' stores keep (reserved size).
    pub stacks: usize,
    /// Messages queued in mailboxes (of the processes that could be looked
    /// at; see [`ProcessSummary`]).
    pub mailboxes: usize,
    /// Objects of the shared tables.
    pub tables: usize,
    /// Everything the node holds for its guests outside their linear
    /// memories (messages, timers, spawn arguments, tables): the count
    /// `NodeConfig::max_host_memory` bounds.
    pub host: usize,
}

/// A sample of a node's counters (`warren stats`). The totals are
/// cumulative: two samples give rates.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct NodeStats {
    /// Live processes (inboxes included).
    pub processes: usize,
    /// Live processes by status.
    pub by_status: Vec<(ProcessStatus, usize)>,
    /// Memory by kind.
    pub memory: MemoryByKind,
    /// Jobs waiting in each scheduler thread's run queue.
    pub run_queues: Vec<usize>,
    /// Jobs waiting in the global queue (woken off the scheduler threads).
    pub global_queue: usize,
    /// Reductions used by every process since the node started.
    pub reductions: u64,
    /// Messages queued in mailboxes since the node started.
    pub messages: u64,
    /// Children the host's supervisors have restarted since the node
    /// started (a guest's own supervisors, as the Rust SDK's, are not
    /// counted: they restart inside the guest).
    pub supervisor_restarts: u64,
    /// Per scheduler thread: nanoseconds spent parked since it started.
    pub parked_nanos: Vec<u64>,
    /// Nanoseconds since the node started, when the sample was taken.
    pub uptime_nanos: u64,
    /// Shared tables.
    pub tables: usize,
    /// Pending timers.
    pub timers: usize,
}

/// A key of a table and its values (see [`Node::table_entries`]).
pub type TableEntry = (Vec<u8>, Vec<Vec<u8>>);

/// Why a trace could not start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TraceError {
    /// The process is not alive.
    Noproc,
    /// Another trace watches it (one at a time per process).
    AlreadyTraced,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TraceError::Noproc => "noproc: no such process",
            TraceError::AlreadyTraced => "the process is traced already",
        })
    }
}

impl std::error::Error for TraceError {}

/// How much a trace may take (see [`Node::trace`]).
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct TraceLimits {
    /// Events recorded at most; then the trace turns itself off.
    pub max_events: u64,
    /// Events buffered for the reader at most; more are dropped and
    /// counted ([`Trace::dropped`]).
    pub buffer: usize,
    /// Bytes of each message copied into its event.
    pub message_bytes: usize,
}

impl TraceLimits {
    /// At most `max_events` events, a buffer of as many (up to 10,000), 64
    /// bytes of each message.
    pub fn events(max_events: u64) -> TraceLimits {
        TraceLimits {
            max_events,
            buffer: usize::try_from(max_events).unwrap_or(usize::MAX).clamp(1, 10_000),
            message_bytes: 64,
        }
    }
}

/// A trace of one process: its events as they happen. Dropping it turns
/// the trace off.
pub struct Trace {
    pid: Pid,
    events: crossbeam_channel::Receiver<TraceRecord>,
    sink: Arc<Sink>,
    runtime: Arc<Runtime>,
}

impl Trace {
    /// The traced process.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// The next event, waiting at most `timeout`.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<TraceRecord> {
        self.events.recv_timeout(timeout).ok()
    }

    /// Events dropped because the buffer was full (the reader was behind).
    pub fn dropped(&self) -> u64 {
        self.sink.dropped()
    }
}

impl Drop for Trace {
    fn drop(&mut self) {
        let process = self.runtime.table.get(self.pid);
        self.runtime.tracers.stop(self.pid, &self.sink, process.as_deref());
    }
}

impl Node {
    /// Every live process, as `warren ps` lists it (inboxes included),
    /// in pid order. Walks the process table slot by slot: no process is
    /// stopped for it (see the module docs).
    pub fn processes(&self) -> Vec<ProcessSummary> {
        let mut all = Vec::with_capacity(self.process_count());
        self.visit_processes(|process| all.push(process));
        all
    }

    /// As [`Node::processes`], one process at a time, holding none of them
    /// (a caller that keeps the top ten of a million keeps ten).
    pub fn visit_processes(&self, mut visit: impl FnMut(ProcessSummary)) {
        let names = self.names_by_pid();
        self.runtime.table.for_each(|process| {
            let seen = process.inspect(Depth::default());
            visit(summary(&process, &seen, &names));
        });
    }

    /// One process in detail, with its `messages` oldest queued messages
    /// (each cut to `message_bytes`); `None` if it is not alive.
    pub fn process_details(&self, pid: Pid, messages: usize, message_bytes: usize) -> Option<ProcessDetails> {
        let process = self.runtime.table.get(pid)?;
        let seen = process.inspect(Depth { messages, message_bytes });
        let names = self.names_by_pid();
        let (links, mut monitors, monitored_by) = process.relations_snapshot();
        // A call in flight monitors its callee, as `gen_server:call` does.
        if let Some(call) = seen.call_monitor {
            monitors.push(call);
            monitors.sort_by_key(|(reference, _)| *reference);
        }
        // A supervisor's child has it as its parent; a child started before
        // parents were kept, or adopted, is found by asking the supervisors.
        let supervisor = match process.parent {
            Some(parent) if self.is_supervisor(parent) => Some(parent),
            _ => self.supervisor_of(pid),
        };
        Some(ProcessDetails {
            summary: summary(&process, &seen, &names),
            links,
            monitors,
            monitored_by,
            trap_exit: process.traps_exits(),
            traced: process.is_traced(),
            parent: process.parent,
            supervisor,
            capabilities: seen.capabilities.as_deref().cloned(),
            mailbox_bytes: seen.mailbox_bytes,
            stack: seen.stack,
            hibernated_image: seen.hibernated_image,
            resident_linear_memory: seen.resident_linear_memory,
            messages: seen.messages,
        })
    }

    /// Every supervision tree: each supervisor that is no other
    /// supervisor's child, with its children and theirs. Asks each
    /// supervisor for its children through its mailbox (as
    /// `supervisor:which_children/1`), so a supervisor busy stopping its
    /// children answers when done.
    pub fn supervision_trees(&self) -> Vec<SupervisionTree> {
        let names = self.names_by_pid();
        let mut children_of: HashMap<Pid, Vec<ChildInfo>> = HashMap::new();
        self.runtime.table.for_each(|process| {
            if process.is_supervisor()
                && let Ok(children) = self.which_children(process.pid)
            {
                children_of.insert(process.pid, children);
            }
        });
        let is_child: std::collections::HashSet<Pid> =
            children_of.values().flatten().filter_map(|child| child.pid).collect();
        let mut roots: Vec<Pid> = children_of.keys().copied().filter(|pid| !is_child.contains(pid)).collect();
        roots.sort_by_key(|pid| pid.raw());
        roots.into_iter().map(|root| tree(root, &children_of, &names, 0)).collect()
    }

    /// A sample of the node's counters (see [`NodeStats`]). Looks at every
    /// process, as [`Node::processes`] does.
    pub fn stats(&self) -> NodeStats {
        let mut stats = NodeStats { processes: self.process_count(), ..NodeStats::default() };
        let mut by_status: HashMap<ProcessStatus, usize> = HashMap::new();
        let mut live_reductions = 0u64;
        self.runtime.table.for_each(|process| {
            let seen = process.inspect(Depth::default());
            *by_status.entry(seen.status).or_default() += 1;
            stats.memory.linear_memories += seen.linear_memory;
            stats.memory.stacks += seen.stack;
            stats.memory.mailboxes += seen.mailbox_bytes.unwrap_or(0);
            live_reductions += process.reductions.load(Ordering::Relaxed);
        });
        let mut by_status: Vec<(ProcessStatus, usize)> = by_status.into_iter().collect();
        by_status.sort_by_key(|(status, _)| status.as_str());
        stats.by_status = by_status;
        stats.memory.tables = self.tables_memory();
        stats.memory.host = self.host_memory();
        let load = self.runtime.scheduler.load();
        stats.run_queues = load.threads.iter().map(|thread| thread.queued).collect();
        stats.parked_nanos = load.threads.iter().map(|thread| thread.parked_nanos).collect();
        stats.global_queue = load.injector;
        stats.reductions = self.runtime.exited_reductions.load(Ordering::Relaxed) + live_reductions;
        stats.messages = self.runtime.memory.letters();
        stats.supervisor_restarts = self.runtime.supervisor_restarts.load(Ordering::Relaxed);
        stats.uptime_nanos = u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        stats.tables = self.runtime.tables.infos().len();
        stats.timers = self.pending_timers();
        stats
    }

    /// The table `id`, with its first `max` keys in traversal order and
    /// their values (read as its owner would: introspection sees private
    /// tables too, as `:ets.tab2list/1` from the shell cannot but observer
    /// can).
    pub fn table_entries(&self, id: i64, max: usize) -> Option<(TableInfo, Vec<TableEntry>)> {
        let table = self.runtime.tables.get(id)?;
        let info = table.info();
        let owner = table.owner();
        let mut entries = Vec::new();
        let mut key = table.first(owner).ok()?;
        while let Some(current) = key {
            if entries.len() >= max {
                break;
            }
            let values = table
                .lookup(owner, &current, |values| values.iter().map(|value| value.to_vec()).collect::<Vec<_>>())
                .ok()
                .flatten()
                .unwrap_or_default();
            entries.push((current.to_vec(), values));
            key = table.next(owner, &current).ok().flatten();
        }
        Some((info, entries))
    }

    /// The id of the table named `name`.
    pub fn table_named(&self, name: &[u8]) -> Option<i64> {
        self.runtime.tables.whereis(name)
    }

    /// Starts a trace of `pid` (see [`Trace`]): its messages in and out,
    /// spawns, links and exit, at most `limits.max_events` of them.
    pub fn trace(&self, pid: Pid, limits: TraceLimits) -> Result<Trace, TraceError> {
        let process = self.runtime.table.get(pid).ok_or(TraceError::Noproc)?;
        let (events, sink) = self
            .runtime
            .tracers
            .start(&process, limits.max_events, limits.buffer, limits.message_bytes)
            .map_err(|TraceRefused::AlreadyTraced| TraceError::AlreadyTraced)?;
        Ok(Trace { pid, events, sink, runtime: self.runtime.clone() })
    }

    /// Sends a message from the host (its sender is a pid no process has);
    /// dropped if `to` is not alive, as any send.
    pub fn send(&self, to: Pid, tag: i64, data: &[u8]) {
        self.runtime.send(to, crate::process::letter::Letter::new(super::supervise::host_pid(), tag, data));
    }

    /// The supervisor whose child `pid` is, if any.
    fn supervisor_of(&self, pid: Pid) -> Option<Pid> {
        let mut found = None;
        self.runtime.table.for_each(|process| {
            if found.is_none()
                && process.is_supervisor()
                && let Ok(children) = self.which_children(process.pid)
                && children.iter().any(|child| child.pid == Some(pid))
            {
                found = Some(process.pid);
            }
        });
        found
    }

    /// Registered names by pid.
    fn names_by_pid(&self) -> HashMap<Pid, String> {
        self.registered().into_iter().filter_map(|name| Some((self.whereis(&name)?, name))).collect()
    }
}

/// A [`ProcessSummary`] of what a look at `process` found.
fn summary(process: &Process, seen: &Inspection, names: &HashMap<Pid, String>) -> ProcessSummary {
    let mailbox_bytes = seen.mailbox_bytes.unwrap_or(0);
    ProcessSummary {
        pid: process.pid,
        name: names.get(&process.pid).cloned(),
        kind: seen.kind,
        module: seen.module.clone(),
        entry: seen.entry.clone(),
        status: seen.status,
        linear_memory: seen.linear_memory,
        host_memory: size_of::<Process>() + seen.stack + mailbox_bytes + seen.hibernated_image,
        reductions: process.reductions.load(Ordering::Relaxed),
        mailbox_len: seen.mailbox_len,
        messages_received: process.mailbox.received() as u64,
        current_call: seen.current_call.map(str::to_string),
        spawned_at_ms: process.spawned_at,
    }
}

/// Deepest supervision tree shown (a tree deeper than this is cut: no
/// supervisor can be its own descendant, but a cap costs nothing).
const MAX_TREE_DEPTH: usize = 64;

fn tree(
    pid: Pid,
    children_of: &HashMap<Pid, Vec<ChildInfo>>,
    names: &HashMap<Pid, String>,
    depth: usize,
) -> SupervisionTree {
    let children = children_of
        .get(&pid)
        .map(|children| {
            children
                .iter()
                .map(|child| TreeChild {
                    info: child.clone(),
                    name: child.pid.and_then(|pid| names.get(&pid).cloned()),
                    subtree: child
                        .pid
                        .filter(|pid| child.supervisor && children_of.contains_key(pid) && depth < MAX_TREE_DEPTH)
                        .map(|pid| tree(pid, children_of, names, depth + 1)),
                })
                .collect()
        })
        .unwrap_or_default();
    SupervisionTree { pid, name: names.get(&pid).cloned(), children }
}
