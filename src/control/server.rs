//! The node's control endpoint: a Unix socket in the user's runtime
//! directory (see `dir.rs`), served while `warren run` runs. Each
//! connection has a thread of its own, with a read timeout, so a silent
//! client holds only its own thread; every request is checked, and bad
//! input gets an error line, never a crash or a hang of the node.

use super::dir::{self, Probe};
use super::protocol::{
    ErrorKind, KillReason, Limits, MAX_REQUEST_LINE, MemoryRow, MessageRow, MonitorRow, NameRow, NodeHello,
    ProcessInfo, ProcessRow, Request, RequestLine, Response, ResponseLine, SortKey, StatsSample, TableEntry, TableRow,
    TraceLine, TreeChildRow, TreeNode, VERSION, hex, unhex,
};
use anyhow::{Context, Result, anyhow, bail};
use std::collections::BinaryHeap;
use std::io::{BufRead, BufReader, ErrorKind as IoErrorKind, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use warren_host::{
    CallError, ExitReason, Node, Pid, ProcessSummary, SupervisionTree, TableInfo, TraceError, TraceEvent, TraceLimits,
};

/// A connection that sends nothing for this long is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// A client that reads nothing for this long is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more get a `busy` error.
const MAX_CONNECTIONS: usize = 32;
/// Most events one trace may ask for, and its longest duration.
const MAX_TRACE_EVENTS: u64 = 100_000;
const MAX_TRACE_DURATION: Duration = Duration::from_secs(3600);
/// How often a trace with no events looks whether its client left.
const TRACE_POLL: Duration = Duration::from_millis(100);
/// Most messages and entries `info` and `table` show, and bytes of each.
const MAX_PREVIEW: usize = 100;
const PREVIEW_BYTES: usize = 64;

/// What the server needs besides the node.
struct Shared {
    node: Arc<Node>,
    name: String,
    file: String,
    started: Instant,
    /// Set once the node's orderly shutdown has begun.
    shutting_down: Arc<AtomicBool>,
    /// Set when the endpoint closes.
    closed: AtomicBool,
    connections: AtomicUsize,
}

/// A running control endpoint; dropping it closes it and removes its
/// socket.
pub struct ControlServer {
    shared: Arc<Shared>,
    socket: PathBuf,
}

impl ControlServer {
    /// Listens as node `name` (or, with `None`, under `default_name`, with a
    /// `-2`, `-3`... suffix if a node of that name runs already), serving
    /// `node`, which runs `file`. A live node of an explicitly given name is
    /// an error; a stale socket of that name is removed.
    pub fn start(node: Arc<Node>, name: Option<&str>, default_name: &str, file: &Path) -> Result<ControlServer> {
        let dir = dir::runtime_dir()?;
        let (name, listener, socket) = match name {
            Some(name) => {
                dir::check_name(name)?;
                let socket = dir::socket_path(&dir, name);
                let listener = bind(&socket)?.ok_or_else(|| {
                    anyhow!("a node named `{name}` is running already (its socket is {})", socket.display())
                })?;
                (name.to_string(), listener, socket)
            }
            None => bind_default(&dir, default_name)?,
        };
        dir::restrict(&socket)?;
        let shared = Arc::new(Shared {
            node,
            name,
            file: file.display().to_string(),
            started: Instant::now(),
            shutting_down: Arc::new(AtomicBool::new(false)),
            closed: AtomicBool::new(false),
            connections: AtomicUsize::new(0),
        });
        let accepting = shared.clone();
        std::thread::Builder::new()
            .name("warren-control".into())
            .spawn(move || accept_loop(&accepting, &listener))
            .context("cannot start the control endpoint's thread")?;
        Ok(ControlServer { shared, socket })
    }

    /// Marks the node as shutting down: requests get an error from now on.
    pub fn begin_shutdown(&self) {
        self.shared.shutting_down.store(true, Ordering::SeqCst);
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        self.shared.closed.store(true, Ordering::SeqCst);
        // Wakes the accept loop, which sees `closed` and ends.
        let _ = UnixStream::connect(&self.socket);
        let _ = std::fs::remove_file(&self.socket);
    }
}

/// Binds `socket`; `None` if a live node holds it. A stale socket is
/// removed first.
fn bind(socket: &Path) -> Result<Option<UnixListener>> {
    if let Probe::Live(_) = dir::probe(socket)? {
        return Ok(None);
    }
    match UnixListener::bind(socket) {
        Ok(listener) => Ok(Some(listener)),
        // Another node bound it between our probe and our bind.
        Err(error) if error.kind() == IoErrorKind::AddrInUse => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot listen on {}", socket.display())),
    }
}

/// Binds the first free name of `stem`, `stem-2`, `stem-3`...
fn bind_default(dir: &Path, stem: &str) -> Result<(String, UnixListener, PathBuf)> {
    let stem: String = stem
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' || c == '-' { c } else { '_' })
        .take(56)
        .collect();
    let stem = if stem.is_empty() { "warren".to_string() } else { stem };
    for n in 1..=1000 {
        let name = if n == 1 { stem.clone() } else { format!("{stem}-{n}") };
        let socket = dir::socket_path(dir, &name);
        if let Some(listener) = bind(&socket)? {
            return Ok((name, listener, socket));
        }
    }
    bail!("a thousand nodes named `{stem}` are running: name this one with --name")
}

fn accept_loop(shared: &Arc<Shared>, listener: &UnixListener) {
    for stream in listener.incoming() {
        if shared.closed.load(Ordering::SeqCst) {
            return;
        }
        let Ok(stream) = stream else { continue };
        if shared.connections.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            shared.connections.fetch_sub(1, Ordering::SeqCst);
            let mut stream = stream;
            let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
            let _ = write_line(&mut stream, &error(ErrorKind::Busy, "the node serves as many connections as it may"));
            continue;
        }
        let serving = shared.clone();
        let spawned = std::thread::Builder::new().name("warren-control-conn".into()).spawn(move || {
            serve(&serving, stream);
            serving.connections.fetch_sub(1, Ordering::SeqCst);
        });
        if spawned.is_err() {
            shared.connections.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// Serves one connection: requests one line each, until the client
/// closes, stays silent too long, or sends a line too long to resync.
fn serve(shared: &Shared, stream: UnixStream) {
    let _ = stream.set_read_timeout(Some(IDLE_TIMEOUT));
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let Ok(mut out) = stream.try_clone() else { return };
    let mut reader = BufReader::new(stream);
    loop {
        let line = match read_line(&mut reader) {
            Ok(Some(line)) => line,
            Ok(None) => return,
            Err(LineError::TooLong) => {
                let message = format!("request line longer than {MAX_REQUEST_LINE} bytes");
                let _ = write_line(&mut out, &error(ErrorKind::TooLong, &message));
                return;
            }
            Err(LineError::Io) => return,
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let request = match parse(&line) {
            Ok(request) => request,
            Err(refusal) => {
                if write_line(&mut out, &refusal.into()).is_err() {
                    return;
                }
                continue;
            }
        };
        let answered = if shared.shutting_down.load(Ordering::SeqCst) {
            let message = format!("node `{}` is shutting down", shared.name);
            write_line(&mut out, &error(ErrorKind::ShuttingDown, &message))
        } else if let Request::Trace { target, count, duration_ms } = request {
            trace(shared, &mut out, &target, count, duration_ms)
        } else {
            let stop = matches!(request, Request::Stop);
            let response = answer(shared, request);
            let written = write_line(&mut out, &response);
            if stop {
                // The same path as SIGTERM (src/signals.rs): the run stops
                // its root in order, then ends.
                let _ = signal_hook::low_level::raise(signal_hook::consts::SIGTERM);
            }
            written
        };
        if answered.is_err() {
            return;
        }
    }
}

enum LineError {
    TooLong,
    Io,
}

/// The next line (without its newline), at most [`MAX_REQUEST_LINE`]
/// bytes; `None` at the end of the stream.
fn read_line(reader: &mut BufReader<UnixStream>) -> Result<Option<Vec<u8>>, LineError> {
    let mut line = Vec::new();
    let limit = MAX_REQUEST_LINE as u64;
    let read = reader.by_ref().take(limit).read_until(b'\n', &mut line).map_err(|_| LineError::Io)?;
    if read == 0 {
        return Ok(None);
    }
    if line.last() == Some(&b'\n') {
        line.pop();
        return Ok(Some(line));
    }
    if line.len() as u64 >= limit { Err(LineError::TooLong) } else { Ok(Some(line)) }
}

/// A request line, checked; an error response if it is not one.
fn parse(line: &[u8]) -> Result<Request, Refusal> {
    let value: serde_json::Value =
        serde_json::from_slice(line).map_err(|e| refuse(ErrorKind::BadRequest, &format!("malformed JSON: {e}")))?;
    match value.get("version").and_then(serde_json::Value::as_u64) {
        Some(version) if version == u64::from(VERSION) => {}
        Some(version) => {
            return Err(refuse(ErrorKind::Version, &format!("protocol version {version} is not {VERSION}")));
        }
        None => return Err(refuse(ErrorKind::BadRequest, "the request has no `version` number")),
    }
    serde_json::from_value::<RequestLine>(value)
        .map(|line| line.request)
        .map_err(|e| refuse(ErrorKind::BadRequest, &format!("bad request: {e}")))
}

fn error(kind: ErrorKind, message: &str) -> Response {
    Response::Error { kind, message: message.to_string() }
}

/// A request refused: the error response it gets (small, unlike a
/// [`Response`], so results carry it cheaply).
struct Refusal(ErrorKind, String);

fn refuse(kind: ErrorKind, message: &str) -> Refusal {
    Refusal(kind, message.to_string())
}

impl From<Refusal> for Response {
    fn from(Refusal(kind, message): Refusal) -> Response {
        Response::Error { kind, message }
    }
}

fn write_line(out: &mut UnixStream, response: &Response) -> std::io::Result<()> {
    let line = ResponseLine { version: VERSION, response: response.clone() };
    let mut text = serde_json::to_string(&line).map_err(std::io::Error::other)?;
    text.push('\n');
    out.write_all(text.as_bytes())
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

/// The answer to every request but a trace.
fn answer(shared: &Shared, request: Request) -> Response {
    respond(shared, request).unwrap_or_else(Response::from)
}

fn respond(shared: &Shared, request: Request) -> Result<Response, Refusal> {
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
            shared.shutting_down.store(true, Ordering::SeqCst);
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

fn stats(node: &Node) -> StatsSample {
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
        parked_nanos: stats.parked_nanos,
        uptime_nanos: stats.uptime_nanos,
        tables: stats.tables,
        timers: stats.timers,
    }
}

/// Serves a trace: event lines as they happen, then an end line. Ends
/// after `count` events, after `duration_ms`, when the process exits, when
/// the node shuts down, or when the client leaves; the trace is off again
/// as it ends (dropped).
fn trace(shared: &Shared, out: &mut UnixStream, target: &str, count: u64, duration_ms: u64) -> std::io::Result<()> {
    let node = &*shared.node;
    let pid = match resolve(node, target) {
        Ok(pid) => pid,
        Err(refusal) => return write_line(out, &refusal.into()),
    };
    let count = count.clamp(1, MAX_TRACE_EVENTS);
    let deadline = Instant::now() + Duration::from_millis(duration_ms).min(MAX_TRACE_DURATION);
    let trace = match node.trace(pid, TraceLimits::events(count)) {
        Ok(trace) => trace,
        Err(TraceError::AlreadyTraced) => {
            return write_line(out, &error(ErrorKind::Failed, &format!("process {pid} is traced already")));
        }
        Err(other) => return write_line(out, &error(ErrorKind::NotFound, &format!("process {pid}: {other}"))),
    };
    let mut events = 0;
    let why = loop {
        if events >= count {
            break "count reached";
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break "duration reached";
        }
        if shared.shutting_down.load(Ordering::SeqCst) {
            break "node shutting down";
        }
        let Some(record) = trace.recv_timeout(left.min(TRACE_POLL)) else {
            if client_left(out) {
                return Ok(());
            }
            continue;
        };
        events += 1;
        let exited = matches!(record.event, TraceEvent::Exited { .. });
        write_line(out, &Response::TraceEvent(Box::new(trace_line(&record))))?;
        if exited {
            break "process exited";
        }
    };
    let dropped = trace.dropped();
    drop(trace);
    write_line(out, &Response::TraceEnd { events, dropped, why: why.to_string() })
}

/// Whether the client closed its end (a peek finds the end of the stream).
fn client_left(stream: &UnixStream) -> bool {
    use std::os::fd::AsRawFd;
    let mut byte = 0u8;
    // SAFETY: the descriptor is the stream's, open for the call; the
    // buffer is one byte we own. MSG_PEEK leaves the byte queued.
    let read =
        unsafe { libc::recv(stream.as_raw_fd(), (&raw mut byte).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT) };
    match read {
        0 => true,
        n if n > 0 => false,
        _ => std::io::Error::last_os_error().kind() != IoErrorKind::WouldBlock,
    }
}

fn trace_line(record: &warren_host::TraceRecord) -> TraceLine {
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
