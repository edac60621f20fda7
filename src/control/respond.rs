//! Answering the control protocol's requests (see `protocol.rs`): what the
//! control socket (`server.rs`) and the web dashboard (`src/dashboard/`)
//! both serve, rendered once here from the host's introspection calls, so
//! that `warren ps` and the dashboard's process table show the same rows.

use super::protocol::{
    ErrorKind, KillReason, Limits, MemoryRow, MessageRow, MonitorRow, NameRow, NodeHello, ProcessInfo, ProcessRow,
    Request, Response, SortKey, StatsSample, TableEntry, TableRow, TraceLine, TreeChildRow, TreeNode, hex, unhex,
};
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use warren_host::{CallError, ExitReason, Node, Pid, ProcessSummary, SupervisionTree, TableInfo, TraceEvent};

/// Most events one trace may ask for, and its longest duration.
pub const MAX_TRACE_EVENTS: u64 = 100_000;
/// The longest a trace may last.
pub const MAX_TRACE_DURATION: Duration = Duration::from_secs(3600);
/// Most messages and entries `info` and `table` show, and bytes of each.
const MAX_PREVIEW: usize = 100;
const PREVIEW_BYTES: usize = 64;

/// Answers requests about one node: who it is and what runs in it.
pub struct Responder {
    node: Arc<Node>,
    name: String,
    file: String,
    started: Instant,
    /// Set once the node's orderly shutdown has begun.
    shutting_down: AtomicBool,
}

impl Responder {
    /// A responder for `node`, named `name`, which runs `file`.
    pub fn new(node: Arc<Node>, name: String, file: String) -> Responder {
        Responder { node, name, file, started: Instant::now(), shutting_down: AtomicBool::new(false) }
    }

    /// The node.
    pub fn node(&self) -> &Arc<Node> {
        &self.node
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Marks the node as shutting down.
    pub fn begin_shutdown(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    /// Whether the node's orderly shutdown has begun.
    pub fn shutting_down(&self) -> bool {
        self.shutting_down.load(Ordering::SeqCst)
    }

    /// The answer to every request but a trace (served as a stream by
    /// each front end: see [`Responder::resolve`] and [`trace_line`]).
    pub fn answer(&self, request: Request) -> Response {
        respond(self, request).unwrap_or_else(Response::from)
    }

    /// The pid `target` names: a pid (`<0.5.1>` or its number) of a live
    /// process, or a registered name.
    pub fn resolve(&self, target: &str) -> Result<Pid, Refusal> {
        resolve(&self.node, target)
    }
}

/// An error response.
pub fn error(kind: ErrorKind, message: &str) -> Response {
    Response::Error { kind, message: message.to_string() }
}

/// A request refused: the error response it gets (small, unlike a
/// [`Response`], so results carry it cheaply).
pub struct Refusal(pub ErrorKind, pub String);

/// A refusal of `kind`.
pub fn refuse(kind: ErrorKind, message: &str) -> Refusal {
    Refusal(kind, message.to_string())
}

impl From<Refusal> for Response {
    fn from(Refusal(kind, message): Refusal) -> Response {
        Response::Error { kind, message }
    }
}

/// The pid `target` names: a pid (`<0.5.1>` or its number) of a live
/// process, or a registered name.
fn resolve(node: &Node, target: &str) -> Result<Pid, Refusal> {
    let looks_like_pid = target.starts_with('<') || target.bytes().all(|b| b.is_ascii_digit());
    let pid = if looks_like_pid {
        target.parse::<Pid>().map_err(|e| refuse(ErrorKind::BadPid, &e.to_string()))?
    } else {
        node.whereis(target)
            .ok_or_else(|| refuse(ErrorKind::NotFound, &format!("no process is registered as `{target}`")))?
    };
    if !node.is_alive(pid) {
        return Err(refuse(ErrorKind::NotFound, &format!("no process {pid} is alive")));
    }
    Ok(pid)
}

fn respond(shared: &Responder, request: Request) -> Result<Response, Refusal> {
    let node = &*shared.node;
    Ok(match request {
        Request::Hello => Response::Hello(NodeHello {
            name: shared.name.clone(),
            os_pid: std::process::id(),
            file: shared.file.clone(),
            uptime_secs: shared.started.elapsed().as_secs_f64(),
            processes: node.process_count(),
            warren_version: env!("CARGO_PKG_VERSION").to_string(),
        }),
        Request::Ps { sort, limit } => ps(node, sort, limit),
        Request::Info { target, messages } => {
            let pid = resolve(node, &target)?;
            let details = node
                .process_details(pid, messages.min(MAX_PREVIEW), PREVIEW_BYTES)
                .ok_or_else(|| refuse(ErrorKind::NotFound, &format!("no process {pid} is alive")))?;
            Response::Info(Box::new(info(details)))
        }
        Request::State { target, timeout_ms } => {
            let pid = resolve(node, &target)?;
            let timeout = Duration::from_millis(timeout_ms.min(3_600_000));
            match node.get_state(pid, timeout) {
                Ok(state) => Response::State { pid: pid.to_string(), state },
                Err(CallError::Timeout) => {
                    return Err(refuse(
                        ErrorKind::Timeout,
                        &format!(
                            "process {pid} did not answer the system request within {} ms \
                             (only SDK behaviours answer it)",
                            timeout.as_millis()
                        ),
                    ));
                }
                Err(CallError::Noproc) => {
                    return Err(refuse(ErrorKind::NotFound, &format!("no process {pid} is alive")));
                }
                Err(other) => return Err(refuse(ErrorKind::Failed, &format!("process {pid}: {other}"))),
            }
        }
        Request::Trace { .. } => return Err(refuse(ErrorKind::BadRequest, "a trace is served as a stream")),
        Request::Tree => Response::Tree { trees: node.supervision_trees().into_iter().map(tree).collect() },
        Request::Registered => Response::Registered {
            names: node
                .registered()
                .into_iter()
                .filter_map(|name| Some(NameRow { pid: node.whereis(&name)?.to_string(), name }))
                .collect(),
        },
        Request::Tables => Response::Tables { tables: node.tables().iter().map(table_row).collect() },
        Request::Table { target, entries } => {
            let id = match target.parse::<i64>() {
                Ok(id) => id,
                Err(_) => node
                    .table_named(target.as_bytes())
                    .ok_or_else(|| refuse(ErrorKind::NotFound, &format!("no table is named `{target}`")))?,
            };
            let (info, rows) = node
                .table_entries(id, entries.min(MAX_PREVIEW))
                .ok_or_else(|| refuse(ErrorKind::NotFound, &format!("no table {id}")))?;
            let entries = rows
                .into_iter()
                .map(|(key, values)| TableEntry {
                    key_hex: hex(&key),
                    values_hex: values.iter().map(|v| hex(v)).collect(),
                })
                .collect();
            Response::Table { table: table_row(&info), entries }
        }
        Request::Send { target, tag, data_hex } => {
            let pid = resolve(node, &target)?;
            if tag < 0 {
                return Err(refuse(
                    ErrorKind::BadRequest,
                    "a tag sent from the CLI must be >= 0 (negative tags are the host's)",
                ));
            }
            let data = unhex(&data_hex).map_err(|e| refuse(ErrorKind::BadRequest, &e))?;
            node.send(pid, tag, &data);
            Response::Sent { pid: pid.to_string() }
        }
        Request::Kill { target, reason } => {
            let pid = resolve(node, &target)?;
            let reason = match reason {
                KillReason::Kill => ExitReason::Kill,
                KillReason::Normal => ExitReason::Normal,
                KillReason::Shutdown(detail) => ExitReason::Shutdown(detail.into_bytes()),
                KillReason::Custom(text) => ExitReason::Custom(text.into_bytes()),
            };
            node.exit(pid, reason);
            Response::Killed { pid: pid.to_string() }
        }
        Request::Stop => {
            shared.begin_shutdown();
            Response::Stopping
        }
        Request::Stats => Response::Stats(Box::new(stats(node))),
    })
}

/// `ps`: the top `limit` by `sort`, keeping only that many while it walks.
fn ps(node: &Node, sort: Option<SortKey>, limit: Option<usize>) -> Response {
    let total = node.process_count();
    let Some(key) = sort else {
        let mut rows = Vec::new();
        node.visit_processes(|process| {
            if limit.is_none_or(|limit| rows.len() < limit) {
                rows.push(row(&process));
            }
        });
        return Response::Processes { total, processes: rows };
    };
    let weight = |process: &ProcessSummary| -> u64 {
        match key {
            SortKey::Memory => (process.linear_memory + process.host_memory) as u64,
            SortKey::Reductions => process.reductions,
            SortKey::Mailbox => process.mailbox_len.unwrap_or(0) as u64,
        }
    };
    let limit = limit.unwrap_or(usize::MAX);
    // A min-heap of the best `limit` so far: (weight, reversed pid order).
    let mut best: BinaryHeap<std::cmp::Reverse<(u64, std::cmp::Reverse<u64>, usize)>> = BinaryHeap::new();
    let mut kept: Vec<Option<ProcessSummary>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    node.visit_processes(|process| {
        let entry = (weight(&process), std::cmp::Reverse(process.pid.raw()));
        if best.len() < limit {
            let slot = free.pop().unwrap_or_else(|| {
                kept.push(None);
                kept.len() - 1
            });
            kept[slot] = Some(process);
            best.push(std::cmp::Reverse((entry.0, entry.1, slot)));
        } else if let Some(std::cmp::Reverse(worst)) = best.peek()
            && (entry.0, entry.1) > (worst.0, worst.1)
        {
            let slot = worst.2;
            best.pop();
            kept[slot] = Some(process);
            best.push(std::cmp::Reverse((entry.0, entry.1, slot)));
        }
    });
    let mut ordered: Vec<(u64, std::cmp::Reverse<u64>, usize)> = best.into_iter().map(|r| r.0).collect();
    ordered.sort_by_key(|&(weight, pid, _)| std::cmp::Reverse((weight, pid)));
    let processes = ordered.into_iter().filter_map(|(_, _, slot)| kept[slot].take()).map(|p| row(&p)).collect();
    Response::Processes { total, processes }
}

fn row(process: &ProcessSummary) -> ProcessRow {
    ProcessRow {
        pid: process.pid.to_string(),
        name: process.name.clone(),
        kind: process.kind.as_str().to_string(),
        module: process.module.clone(),
        entry: process.entry.clone(),
        status: process.status.as_str().to_string(),
        linear_memory: process.linear_memory,
        host_memory: process.host_memory,
        reductions: process.reductions,
        mailbox: process.mailbox_len,
        messages_received: process.messages_received,
        current_call: process.current_call.clone(),
        spawned_at_ms: process.spawned_at_ms,
    }
}

fn info(details: warren_host::ProcessDetails) -> ProcessInfo {
    let monitor = |(reference, pid): &(u64, Pid)| MonitorRow { reference: *reference, pid: pid.to_string() };
    let caps = details.capabilities.as_ref();
    let mut capabilities = Vec::new();
    if let Some(caps) = caps {
        if caps.may_spawn {
            capabilities.push("spawn".to_string());
        }
        if caps.may_print {
            capabilities.push("print".to_string());
        }
        for dir in &caps.dirs {
            capabilities.push(format!("dir {}", dir.guest));
        }
        if !caps.env.is_empty() {
            capabilities.push(format!("env ({} variables)", caps.env.len()));
        }
    }
    ProcessInfo {
        row: row(&details.summary),
        links: details.links.iter().map(Pid::to_string).collect(),
        monitors: details.monitors.iter().map(monitor).collect(),
        monitored_by: details.monitored_by.iter().map(monitor).collect(),
        trap_exit: details.trap_exit,
        traced: details.traced,
        parent: details.parent.map(|pid| pid.to_string()),
        supervisor: details.supervisor.map(|pid| pid.to_string()),
        mailbox_bytes: details.mailbox_bytes,
        stack: details.stack,
        hibernated_image: details.hibernated_image,
        resident_linear_memory: details.resident_linear_memory,
        limits: caps.map(|caps| Limits {
            max_memory: caps.max_memory,
            max_fuel: caps.max_fuel,
            max_mailbox: caps.max_mailbox,
        }),
        capabilities,
        messages: details
            .messages
            .iter()
            .map(|m| MessageRow { sender: m.sender.to_string(), tag: m.tag, size: m.size, head_hex: hex(&m.head) })
            .collect(),
    }
}

fn tree(tree: SupervisionTree) -> TreeNode {
    TreeNode {
        pid: tree.pid.to_string(),
        name: tree.name,
        children: tree
            .children
            .into_iter()
            .map(|child| TreeChildRow {
                id: child.info.id,
                pid: child.info.pid.map(|pid| pid.to_string()),
                name: child.name,
                supervisor: child.info.supervisor,
                restarts: child.info.restarts,
                subtree: child.subtree.map(self::tree),
            })
            .collect(),
    }
}

fn table_row(info: &TableInfo) -> TableRow {
    TableRow {
        id: info.id,
        name: info.name.as_ref().map(|name| String::from_utf8_lossy(name).into_owned()),
        kind: format!("{:?}", info.kind).to_lowercase(),
        access: format!("{:?}", info.access).to_lowercase(),
        owner: info.owner.to_string(),
        heir: info.heir.map(|pid| pid.to_string()),
        size: info.size,
        keys: info.keys,
        memory: info.memory,
    }
}

/// A sample of the node's counters as the protocol renders it.
pub fn stats(node: &Node) -> StatsSample {
    let stats = node.stats();
    StatsSample {
        processes: stats.processes,
        by_status: stats.by_status.iter().map(|(status, n)| (status.as_str().to_string(), *n)).collect(),
        memory: MemoryRow {
            linear_memories: stats.memory.linear_memories,
            stacks: stats.memory.stacks,
            mailboxes: stats.memory.mailboxes,
            tables: stats.memory.tables,
            host: stats.memory.host,
        },
        run_queues: stats.run_queues,
        global_queue: stats.global_queue,
        reductions: stats.reductions,
        messages: stats.messages,
        supervisor_restarts: stats.supervisor_restarts,
        parked_nanos: stats.parked_nanos,
        uptime_nanos: stats.uptime_nanos,
        tables: stats.tables,
        timers: stats.timers,
    }
}

/// A trace event as the protocol renders it.
pub fn trace_line(record: &warren_host::TraceRecord) -> TraceLine {
    let mut line = TraceLine {
        pid: record.pid.to_string(),
        at_micros: record.at_micros,
        event: String::new(),
        other: None,
        tag: None,
        size: None,
        head_hex: None,
        reason: None,
    };
    match &record.event {
        TraceEvent::Received { from, tag, size, head } => {
            (line.event, line.other, line.tag, line.size) =
                ("received".into(), Some(from.to_string()), Some(*tag), Some(*size));
            line.head_hex = Some(hex(head));
        }
        TraceEvent::Sent { to, tag, size, head } => {
            (line.event, line.other, line.tag, line.size) =
                ("sent".into(), Some(to.to_string()), Some(*tag), Some(*size));
            line.head_hex = Some(hex(head));
        }
        TraceEvent::Spawned { child } => (line.event, line.other) = ("spawned".into(), Some(child.to_string())),
        TraceEvent::Linked { other } => (line.event, line.other) = ("linked".into(), Some(other.to_string())),
        TraceEvent::Unlinked { other } => (line.event, line.other) = ("unlinked".into(), Some(other.to_string())),
        TraceEvent::Exited { reason } => (line.event, line.reason) = ("exited".into(), Some(reason.clone())),
        other => line.event = format!("{other:?}"),
    }
    line
}
