//! The node's control endpoint: a Unix socket in the user's runtime
//! directory (see `dir.rs`), served while `warren run` runs. Each
//! connection has a thread of its own, with a read timeout, so a silent
//! client holds only its own thread; every request is checked, and bad
//! input gets an error line, never a crash or a hang of the node.

use super::dir::{self, Probe};
use super::protocol::{ErrorKind, MAX_REQUEST_LINE, Request, RequestLine, Response, ResponseLine, VERSION};
use super::respond::{MAX_TRACE_DURATION, MAX_TRACE_EVENTS, Refusal, Responder, error, refuse, trace_line};
use anyhow::{Context, Result, anyhow, bail};
use std::io::{BufRead, BufReader, ErrorKind as IoErrorKind, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use warren_host::{Node, TraceError, TraceEvent, TraceLimits};

/// A connection that sends nothing for this long is closed.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// A client that reads nothing for this long is dropped.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more get a `busy` error.
const MAX_CONNECTIONS: usize = 32;
/// How often a trace with no events looks whether its client left.
const TRACE_POLL: Duration = Duration::from_millis(100);

/// What the server needs besides the node.
struct Shared {
    /// Answers the requests (shared with the dashboard).
    responder: Arc<Responder>,
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
            responder: Arc::new(Responder::new(node, name, file.display().to_string())),
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
        self.shared.responder.begin_shutdown();
    }

    /// What answers this endpoint's requests, for another front end of
    /// the same node (the dashboard).
    pub fn responder(&self) -> Arc<Responder> {
        self.shared.responder.clone()
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
        let answered = if shared.responder.shutting_down() {
            let message = format!("node `{}` is shutting down", shared.responder.name());
            write_line(&mut out, &error(ErrorKind::ShuttingDown, &message))
        } else if let Request::Trace { target, count, duration_ms } = request {
            trace(shared, &mut out, &target, count, duration_ms)
        } else {
            let stop = matches!(request, Request::Stop);
            let response = shared.responder.answer(request);
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

fn write_line(out: &mut UnixStream, response: &Response) -> std::io::Result<()> {
    let line = ResponseLine { version: VERSION, response: response.clone() };
    let mut text = serde_json::to_string(&line).map_err(std::io::Error::other)?;
    text.push('\n');
    out.write_all(text.as_bytes())
}

/// Serves a trace: event lines as they happen, then an end line. Ends
/// after `count` events, after `duration_ms`, when the process exits, when
/// the node shuts down, or when the client leaves; the trace is off again
/// as it ends (dropped).
fn trace(shared: &Shared, out: &mut UnixStream, target: &str, count: u64, duration_ms: u64) -> std::io::Result<()> {
    let node: &Node = shared.responder.node();
    let pid = match shared.responder.resolve(target) {
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
        if shared.responder.shutting_down() {
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
