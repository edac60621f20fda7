//! The control protocol: one JSON request per line, one JSON response per
//! line (a trace answers with one line per event, then an end line). Every
//! line carries the protocol's version. The types here are shared by the
//! node's server and the CLI's client, and are what the web dashboard's
//! JSON API serves (`src/dashboard/api.rs`): a field added later must have
//! a default, so an older peer still reads the line.

use serde::{Deserialize, Serialize};

/// The protocol's version; a request of another version gets an error.
pub const VERSION: u32 = 1;

/// Longest request line the node reads (bytes, newline included): a `send`
/// carries its data hex-encoded, so this bounds a message sent by the CLI
/// to about half of it.
pub const MAX_REQUEST_LINE: usize = 1 << 20;

/// A request line.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RequestLine {
    /// The protocol version the client speaks.
    pub version: u32,
    /// What it asks.
    #[serde(flatten)]
    pub request: Request,
}

/// What a client asks.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "snake_case")]
pub enum Request {
    /// Who the node is (`warren nodes`).
    Hello,
    /// Processes (`warren ps`, `warren top`): sorted by `sort` (descending;
    /// pid order if none), the first `limit` (all if none).
    Ps {
        #[serde(default)]
        sort: Option<SortKey>,
        #[serde(default)]
        limit: Option<usize>,
    },
    /// One process in detail, with its first `messages` queued messages.
    Info {
        target: String,
        #[serde(default = "default_messages")]
        messages: usize,
    },
    /// The state of an SDK behaviour (`sys:get_state/2`).
    State {
        target: String,
        #[serde(default = "default_timeout_ms")]
        timeout_ms: u64,
    },
    /// A trace of one process: at most `count` events, for at most
    /// `duration_ms`.
    Trace { target: String, count: u64, duration_ms: u64 },
    /// The supervision trees.
    Tree,
    /// Registered names.
    Registered,
    /// Shared tables.
    Tables,
    /// One table (by id or name), with its first `entries` keys.
    Table {
        target: String,
        #[serde(default = "default_entries")]
        entries: usize,
    },
    /// Sends a message from the host.
    Send { target: String, tag: i64, data_hex: String },
    /// Sends an exit signal from the host (`exit(Pid, Reason)`).
    Kill { target: String, reason: KillReason },
    /// The node's orderly shutdown (as SIGTERM).
    Stop,
    /// A sample of the node's counters.
    Stats,
}

fn default_messages() -> usize {
    10
}

fn default_timeout_ms() -> u64 {
    5000
}

fn default_entries() -> usize {
    20
}

/// A column `ps` sorts by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum SortKey {
    /// Linear memory plus host memory.
    Memory,
    /// Reductions used.
    Reductions,
    /// Messages queued.
    Mailbox,
}

/// The reason of an exit signal sent by `kill`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "detail", rename_all = "snake_case")]
pub enum KillReason {
    /// `kill`: cannot be trapped; the process exits `killed`.
    Kill,
    /// `shutdown`, with optional detail.
    Shutdown(String),
    /// `normal`: only a process that traps exits sees it.
    Normal,
    /// Any other reason (its text).
    Custom(String),
}

/// A response line.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ResponseLine {
    /// The protocol version of the node.
    pub version: u32,
    /// The answer.
    #[serde(flatten)]
    pub response: Response,
}

/// What the node answers.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "response", rename_all = "snake_case")]
pub enum Response {
    /// To [`Request::Hello`].
    Hello(NodeHello),
    /// To [`Request::Ps`]: the processes asked for, and how many live.
    Processes { total: usize, processes: Vec<ProcessRow> },
    /// To [`Request::Info`].
    Info(Box<ProcessInfo>),
    /// To [`Request::State`]: the state as its language renders it.
    State { pid: String, state: String },
    /// One event of a trace (a trace answers with several lines).
    TraceEvent(Box<TraceLine>),
    /// The last line of a trace.
    TraceEnd { events: u64, dropped: u64, why: String },
    /// To [`Request::Tree`].
    Tree { trees: Vec<TreeNode> },
    /// To [`Request::Registered`].
    Registered { names: Vec<NameRow> },
    /// To [`Request::Tables`].
    Tables { tables: Vec<TableRow> },
    /// To [`Request::Table`].
    Table { table: TableRow, entries: Vec<TableEntry> },
    /// To [`Request::Send`]: delivered to that pid (if it was still alive).
    Sent { pid: String },
    /// To [`Request::Kill`]: the signal went to that pid.
    Killed { pid: String },
    /// To [`Request::Stop`]: the node is stopping.
    Stopping,
    /// To [`Request::Stats`].
    Stats(Box<StatsSample>),
    /// The request failed.
    Error { kind: ErrorKind, message: String },
}

/// What went wrong with a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// Not JSON, not a known request, a field missing or of the wrong type.
    BadRequest,
    /// Another protocol version.
    Version,
    /// The line was longer than [`MAX_REQUEST_LINE`].
    TooLong,
    /// Not a pid.
    BadPid,
    /// No such process, name or table.
    NotFound,
    /// A call got no answer in time.
    Timeout,
    /// The node is shutting down.
    ShuttingDown,
    /// The node is serving as many connections as it may.
    Busy,
    /// Anything else (the message says what).
    Failed,
}

/// Who a node is.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NodeHello {
    /// Its name.
    pub name: String,
    /// The OS process id of `warren run`.
    pub os_pid: u32,
    /// What it runs (a module or a manifest).
    pub file: String,
    /// Seconds since it started.
    pub uptime_secs: f64,
    /// Live processes.
    pub processes: usize,
    /// Warren's version.
    pub warren_version: String,
}

/// A process as `ps` lists it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProcessRow {
    pub pid: String,
    pub name: Option<String>,
    /// wasm, supervisor or inbox.
    pub kind: String,
    pub module: Option<String>,
    pub entry: Option<String>,
    /// running, runnable, waiting, sleeping, hibernated or exiting.
    pub status: String,
    /// Bytes of linear memory.
    pub linear_memory: usize,
    /// Bytes the host holds for it.
    pub host_memory: usize,
    pub reductions: u64,
    /// Messages queued (`None`: it was running at the look).
    pub mailbox: Option<usize>,
    /// Messages it has received so far.
    #[serde(default)]
    pub messages_received: u64,
    /// The host function it waits in.
    pub current_call: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub spawned_at_ms: u64,
}

/// A process in detail (`info`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProcessInfo {
    #[serde(flatten)]
    pub row: ProcessRow,
    pub links: Vec<String>,
    /// Monitors it holds.
    pub monitors: Vec<MonitorRow>,
    /// Monitors held on it.
    pub monitored_by: Vec<MonitorRow>,
    pub trap_exit: bool,
    pub traced: bool,
    /// The process that spawned it (none: the host).
    #[serde(default)]
    pub parent: Option<String>,
    pub supervisor: Option<String>,
    pub mailbox_bytes: Option<usize>,
    pub stack: usize,
    pub hibernated_image: usize,
    /// Bytes of its linear memory in RAM, if known.
    #[serde(default)]
    pub resident_linear_memory: Option<usize>,
    pub limits: Option<Limits>,
    /// may_spawn, may_print, dirs...
    pub capabilities: Vec<String>,
    pub messages: Vec<MessageRow>,
}

/// A monitor: its reference and the other process.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MonitorRow {
    pub reference: u64,
    pub pid: String,
}

/// A process's limits.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Limits {
    pub max_memory: usize,
    pub max_fuel: Option<u64>,
    pub max_mailbox: Option<usize>,
}

/// The start of a queued message.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MessageRow {
    pub sender: String,
    pub tag: i64,
    pub size: usize,
    /// Its first bytes, hex.
    pub head_hex: String,
}

/// One trace event.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TraceLine {
    pub pid: String,
    pub at_micros: u64,
    /// received, sent, spawned, linked, unlinked or exited.
    pub event: String,
    /// The other process (sender, receiver, child, link).
    pub other: Option<String>,
    pub tag: Option<i64>,
    pub size: Option<usize>,
    pub head_hex: Option<String>,
    /// An exit's reason.
    pub reason: Option<String>,
}

/// A supervisor and its children.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TreeNode {
    pub pid: String,
    pub name: Option<String>,
    pub children: Vec<TreeChildRow>,
}

/// A child of a supervisor.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TreeChildRow {
    pub id: String,
    pub pid: Option<String>,
    pub name: Option<String>,
    pub supervisor: bool,
    pub restarts: u32,
    pub subtree: Option<TreeNode>,
}

/// A registered name.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NameRow {
    pub name: String,
    pub pid: String,
}

/// A shared table.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TableRow {
    pub id: i64,
    pub name: Option<String>,
    /// set, ordered_set, bag or duplicate_bag.
    pub kind: String,
    /// public, protected or private.
    pub access: String,
    pub owner: String,
    pub heir: Option<String>,
    pub size: u64,
    pub keys: u64,
    pub memory: u64,
}

/// A key of a table and its values, hex.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TableEntry {
    pub key_hex: String,
    pub values_hex: Vec<String>,
}

/// A sample of the node's counters (cumulative: two samples give rates).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StatsSample {
    pub processes: usize,
    /// Live processes by status.
    pub by_status: Vec<(String, usize)>,
    pub memory: MemoryRow,
    pub run_queues: Vec<usize>,
    pub global_queue: usize,
    pub reductions: u64,
    pub messages: u64,
    /// Children the host's supervisors have restarted since the start.
    #[serde(default)]
    pub supervisor_restarts: u64,
    /// Per scheduler thread: nanoseconds parked since it started.
    pub parked_nanos: Vec<u64>,
    pub uptime_nanos: u64,
    pub tables: usize,
    pub timers: usize,
}

/// Memory by kind, in bytes.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MemoryRow {
    pub linear_memories: usize,
    pub stacks: usize,
    pub mailboxes: usize,
    pub tables: usize,
    pub host: usize,
}

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex (upper or lower case, even length) as bytes.
pub fn unhex(text: &str) -> Result<Vec<u8>, String> {
    if !text.is_ascii() {
        return Err(format!("`{text}` is not hex"));
    }
    if !text.len().is_multiple_of(2) {
        return Err(format!("hex `{text}` has an odd number of digits"));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|_| format!("`{text}` is not hex")))
        .collect()
}
