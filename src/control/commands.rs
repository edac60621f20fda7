//! The subcommands that drive a running node through its control socket:
//! `nodes`, `ps`, `top`, `info`, `state`, `trace`, `tree`, `registered`,
//! `tables`, `table`, `send`, `kill`, `stop`, `stats`. Aligned tables for
//! people by default, `--json` for tools.

use super::client::{ANSWER_TIMEOUT, Client};
use super::dir;
use super::protocol::{
    KillReason, ProcessInfo, ProcessRow, Request, Response, SortKey, StatsSample, TableRow, TraceLine, TreeNode, hex,
};
use super::top;
use anyhow::{Result, anyhow, bail};
use std::io::Write;
use std::time::{Duration, Instant};

/// Which node, and how to print.
#[derive(clap::Args, Clone)]
pub struct Target {
    /// The node to ask [default: the only one running].
    #[arg(long, value_name = "NAME")]
    pub node: Option<String>,
    /// Print JSON (the protocol's response) instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `warren nodes`.
#[derive(clap::Args)]
pub struct NodesArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// `warren ps`.
#[derive(clap::Args)]
pub struct PsArgs {
    #[command(flatten)]
    pub target: Target,
    /// Order by this column, largest first [default: pid order].
    #[arg(long, value_enum)]
    pub sort: Option<SortKey>,
    /// Show at most N processes.
    #[arg(short = 'n', value_name = "N")]
    pub limit: Option<usize>,
}

/// `warren info` and `warren state`.
#[derive(clap::Args)]
pub struct ProcessArgs {
    #[command(flatten)]
    pub target: Target,
    /// The process: a pid (`<0.5.1>` or its number) or a registered name.
    pub process: String,
}

/// `warren info`.
#[derive(clap::Args)]
pub struct InfoArgs {
    #[command(flatten)]
    pub process: ProcessArgs,
    /// Queued messages to show (at most 100).
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub messages: usize,
}

/// `warren state`.
#[derive(clap::Args)]
pub struct StateArgs {
    #[command(flatten)]
    pub process: ProcessArgs,
    /// How long to wait for the process's answer (e.g. 5s, 500ms).
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// `warren trace`.
#[derive(clap::Args)]
pub struct TraceArgs {
    #[command(flatten)]
    pub process: ProcessArgs,
    /// Stop after N events.
    #[arg(long, value_name = "N", default_value_t = 100)]
    pub count: u64,
    /// Stop after this long (e.g. 10s, 2m).
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub duration: Duration,
}

/// `warren table`.
#[derive(clap::Args)]
pub struct TableArgs {
    #[command(flatten)]
    pub target: Target,
    /// The table: its id or its name.
    pub table: String,
    /// Keys to show (at most 100).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub entries: usize,
}

/// `warren send`.
#[derive(clap::Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub process: ProcessArgs,
    /// The message's tag (>= 0).
    #[arg(long, value_name = "T")]
    pub tag: i64,
    /// DATA is hex bytes (e.g. `0a0b`), not text.
    #[arg(long)]
    pub hex: bool,
    /// The message: text (its UTF-8 bytes), or hex with --hex.
    #[arg(default_value = "")]
    pub data: String,
}

/// `warren kill`.
#[derive(clap::Args)]
pub struct KillArgs {
    #[command(flatten)]
    pub process: ProcessArgs,
    /// The exit reason: `kill` (cannot be trapped: the process exits
    /// `killed`), `shutdown`, `normal`, or any other text (a custom reason).
    #[arg(long, default_value = "kill")]
    pub reason: String,
}

/// `warren stop`.
#[derive(clap::Args)]
pub struct StopArgs {
    #[command(flatten)]
    pub target: Target,
    /// How long to wait for the node to be gone.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = parse_duration)]
    pub timeout: Duration,
}

/// `warren stats`.
#[derive(clap::Args)]
pub struct StatsArgs {
    #[command(flatten)]
    pub target: Target,
    /// The window the rates are measured over (e.g. 1s, 500ms).
    #[arg(long, value_name = "DURATION", default_value = "1s", value_parser = parse_duration)]
    pub window: Duration,
}

/// A duration: a number with `ms`, `s`, `m` or `h` (plain: seconds).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().map_err(|_| format!("`{text}` is not a duration (examples: 500ms, 5s, 2m)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "" | "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        other => return Err(format!("unknown duration unit `{other}` (use ms, s, m or h)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|_| format!("`{text}` is not a duration"))
}

/// `println!` that ignores a closed stdout.
fn out(text: &str) {
    let _ = writeln!(std::io::stdout(), "{text}");
}

fn print_json(value: &impl serde::Serialize) -> Result<()> {
    out(&serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Rows as columns aligned on their widest cell (left-aligned text,
/// right-aligned numbers: `right[i]`).
pub fn table(headers: &[&str], right: &[bool], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            let pad = widths[i] - cell.chars().count();
            if i > 0 {
                text.push_str("  ");
            }
            if right.get(i).copied().unwrap_or(false) {
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            } else {
                text.push_str(cell);
                if i + 1 < cells.len() {
                    text.push_str(&" ".repeat(pad));
                }
            }
        }
        text
    };
    let mut text = line(headers.to_vec());
    for row in rows {
        text.push('\n');
        text.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    text
}

/// Bytes as people read them.
pub fn bytes(n: usize) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// `module:entry`, or what is known of it.
fn code(row: &ProcessRow) -> String {
    match (&row.module, &row.entry) {
        (Some(module), Some(entry)) => format!("{module}:{entry}"),
        (Some(module), None) => module.clone(),
        (None, _) if row.kind != "wasm" => format!("({})", row.kind),
        (None, _) => "-".to_string(),
    }
}

/// The `ps` table's rows.
pub fn process_rows(rows: &[ProcessRow]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|row| {
            vec![
                row.pid.clone(),
                row.name.clone().unwrap_or_else(|| "-".into()),
                code(row),
                row.status.clone(),
                bytes(row.linear_memory),
                bytes(row.host_memory),
                row.reductions.to_string(),
                row.mailbox.map_or("-".into(), |n| n.to_string()),
                row.current_call.clone().unwrap_or_else(|| "-".into()),
            ]
        })
        .collect()
}

/// The `ps` table's header, and which columns are numbers.
pub const PS_HEADERS: [&str; 9] =
    ["PID", "NAME", "MODULE:ENTRY", "STATUS", "LINEAR", "HOST", "REDUCTIONS", "MAILBOX", "CURRENT"];
pub const PS_RIGHT: [bool; 9] = [false, false, false, false, true, true, true, true, false];

/// `warren nodes`.
pub fn nodes(args: &NodesArgs) -> Result<()> {
    let dir = dir::runtime_dir()?;
    let (live, stale) = dir::running_nodes(&dir)?;
    let mut hellos = Vec::new();
    for (name, stream) in live {
        let mut client = Client::over(name.clone(), stream)?;
        match client.ask(Request::Hello, Duration::from_secs(5)) {
            Ok(Response::Hello(hello)) => hellos.push(Ok(hello)),
            Ok(_) => hellos.push(Err((name, "an unexpected answer".to_string()))),
            Err(error) => hellos.push(Err((name, format!("{error:#}")))),
        }
    }
    for name in &stale {
        let _ = writeln!(std::io::stderr(), "warren: removed the stale socket of node `{name}` (it is not running)");
    }
    if args.json {
        let nodes: Vec<_> = hellos.iter().filter_map(|hello| hello.as_ref().ok()).collect();
        return print_json(&serde_json::json!({ "nodes": nodes, "stale_removed": stale }));
    }
    let rows: Vec<Vec<String>> = hellos
        .iter()
        .map(|hello| match hello {
            Ok(h) => vec![
                h.name.clone(),
                h.os_pid.to_string(),
                h.processes.to_string(),
                format!("{:.0}s", h.uptime_secs),
                h.file.clone(),
            ],
            Err((name, why)) => vec![name.clone(), "-".into(), "-".into(), "-".into(), why.clone()],
        })
        .collect();
    if rows.is_empty() {
        out("no node is running");
    } else {
        out(&table(&["NODE", "OS PID", "PROCESSES", "UPTIME", "RUNS"], &[false, true, true, true, false], &rows));
    }
    Ok(())
}

/// `warren ps`.
pub fn ps(args: &PsArgs) -> Result<()> {
    let mut client = Client::connect(args.target.node.as_deref())?;
    let response = client.ask(Request::Ps { sort: args.sort, limit: args.limit }, ANSWER_TIMEOUT)?;
    let Response::Processes { total, processes } = &response else { bail!("unexpected answer to ps") };
    if args.target.json {
        return print_json(&response);
    }
    out(&table(&PS_HEADERS, &PS_RIGHT, &process_rows(processes)));
    if processes.len() < *total {
        out(&format!("({} of {total} processes)", processes.len()));
    }
    Ok(())
}

/// `warren top`.
pub fn top(args: &top::TopArgs) -> Result<()> {
    let client = Client::connect(args.target.node.as_deref())?;
    top::run(client, args)
}

/// `warren info`.
pub fn info(args: &InfoArgs) -> Result<()> {
    let mut client = Client::connect(args.process.target.node.as_deref())?;
    let request = Request::Info { target: args.process.process.clone(), messages: args.messages };
    let response = client.ask(request, ANSWER_TIMEOUT)?;
    let Response::Info(info) = &response else { bail!("unexpected answer to info") };
    if args.process.target.json {
        return print_json(&response);
    }
    print_info(info);
    Ok(())
}

fn print_info(info: &ProcessInfo) {
    let row = &info.row;
    let list = |items: &[String]| if items.is_empty() { "-".to_string() } else { items.join(", ") };
    let monitors = |rows: &[super::protocol::MonitorRow]| {
        list(&rows.iter().map(|m| format!("{} (ref {})", m.pid, m.reference)).collect::<Vec<_>>())
    };
    let mut fields: Vec<(&str, String)> = vec![
        ("pid", row.pid.clone()),
        ("name", row.name.clone().unwrap_or_else(|| "-".into())),
        ("kind", row.kind.clone()),
        ("module:entry", code(row)),
        ("status", row.status.clone()),
        ("current call", row.current_call.clone().unwrap_or_else(|| "-".into())),
        ("spawned at", format_time(row.spawned_at_ms)),
        ("reductions", row.reductions.to_string()),
        ("linear memory", bytes(row.linear_memory)),
        ("linear memory in RAM", info.resident_linear_memory.map_or("-".into(), bytes)),
        ("host memory", bytes(row.host_memory)),
        ("stack", bytes(info.stack)),
        ("mailbox", row.mailbox.map_or("- (running)".into(), |n| n.to_string())),
        ("mailbox bytes", info.mailbox_bytes.map_or("-".into(), bytes)),
        ("links", list(&info.links)),
        ("monitors", monitors(&info.monitors)),
        ("monitored by", monitors(&info.monitored_by)),
        ("trap_exit", info.trap_exit.to_string()),
        ("traced", info.traced.to_string()),
        ("parent", info.parent.clone().unwrap_or_else(|| "- (the host)".into())),
        ("supervisor", info.supervisor.clone().unwrap_or_else(|| "-".into())),
    ];
    if info.hibernated_image > 0 {
        fields.push(("hibernated image", bytes(info.hibernated_image)));
    }
    if let Some(limits) = &info.limits {
        let max = |n: Option<String>| n.unwrap_or_else(|| "none".into());
        fields.push((
            "limits",
            format!(
                "memory {}, fuel {}, mailbox {}",
                bytes(limits.max_memory),
                max(limits.max_fuel.map(|n| n.to_string())),
                max(limits.max_mailbox.map(|n| n.to_string()))
            ),
        ));
    }
    fields.push(("capabilities", list(&info.capabilities)));
    let width = fields.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    for (name, value) in &fields {
        out(&format!("{name:<width$}  {value}"));
    }
    if !info.messages.is_empty() {
        out("");
        let rows: Vec<Vec<String>> = info
            .messages
            .iter()
            .map(|m| vec![m.sender.clone(), m.tag.to_string(), m.size.to_string(), printable(&m.head_hex)])
            .collect();
        out(&table(&["FROM", "TAG", "BYTES", "FIRST BYTES"], &[false, true, true, false], &rows));
    }
}

/// Hex bytes shown as text when they are printable ASCII, else as hex.
fn printable(head_hex: &str) -> String {
    let bytes = super::protocol::unhex(head_hex).unwrap_or_default();
    if !bytes.is_empty() && bytes.iter().all(|b| b.is_ascii_graphic() || *b == b' ') {
        format!("{:?}", String::from_utf8_lossy(&bytes))
    } else {
        head_hex.to_string()
    }
}

/// Milliseconds since the Unix epoch as UTC date and time.
fn format_time(ms: u64) -> String {
    let secs = ms / 1000;
    let days = secs / 86_400;
    let (hour, minute, second) = (secs / 3600 % 24, secs / 60 % 60, secs % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}.{:03} UTC", ms % 1000)
}

/// `warren state`.
pub fn state(args: &StateArgs) -> Result<()> {
    let mut client = Client::connect(args.process.target.node.as_deref())?;
    let timeout_ms = u64::try_from(args.timeout.as_millis()).unwrap_or(u64::MAX);
    let request = Request::State { target: args.process.process.clone(), timeout_ms };
    let response = client.ask(request, args.timeout + Duration::from_secs(5))?;
    let Response::State { state, .. } = &response else { bail!("unexpected answer to state") };
    if args.process.target.json {
        return print_json(&response);
    }
    out(state);
    Ok(())
}

/// `warren trace`: prints events as they come, until the node ends the
/// trace.
pub fn trace(args: &TraceArgs) -> Result<()> {
    let mut client = Client::connect(args.process.target.node.as_deref())?;
    let duration_ms = u64::try_from(args.duration.as_millis()).unwrap_or(u64::MAX);
    client.send(Request::Trace { target: args.process.process.clone(), count: args.count, duration_ms })?;
    // The node ends the trace by the duration at the latest.
    let deadline = Instant::now() + args.duration + Duration::from_secs(10);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let response = client.next(left)?;
        if args.process.target.json {
            out(&serde_json::to_string(&response)?);
        }
        match response {
            Response::TraceEvent(line) => {
                if !args.process.target.json {
                    out(&trace_text(&line));
                }
            }
            Response::TraceEnd { events, dropped, why } => {
                if !args.process.target.json {
                    let dropped =
                        if dropped > 0 { format!(", {dropped} dropped (the buffer was full)") } else { String::new() };
                    let _ = writeln!(std::io::stderr(), "trace ended: {why} ({events} events{dropped})");
                }
                return Ok(());
            }
            _ => bail!("unexpected answer to trace"),
        }
    }
}

fn trace_text(line: &TraceLine) -> String {
    let time = format_time(line.at_micros / 1000);
    let time = time.split(' ').nth(1).unwrap_or_default();
    let other = line.other.clone().unwrap_or_default();
    let message = |dir: &str| {
        format!(
            "{dir} {other} tag {} ({} bytes) {}",
            line.tag.unwrap_or_default(),
            line.size.unwrap_or_default(),
            printable(line.head_hex.as_deref().unwrap_or_default())
        )
    };
    let what = match line.event.as_str() {
        "received" => message("<<"),
        "sent" => message(">>"),
        "exited" => format!("exited: {}", line.reason.clone().unwrap_or_default()),
        event => format!("{event} {other}"),
    };
    format!("{time} {} {what}", line.pid)
}

/// `warren tree`.
pub fn tree(target: &Target) -> Result<()> {
    let mut client = Client::connect(target.node.as_deref())?;
    let response = client.ask(Request::Tree, ANSWER_TIMEOUT)?;
    let Response::Tree { trees } = &response else { bail!("unexpected answer to tree") };
    if target.json {
        return print_json(&response);
    }
    if trees.is_empty() {
        out("no supervisor is running");
    }
    for tree in trees {
        let name = tree.name.as_ref().map(|n| format!(" ({n})")).unwrap_or_default();
        out(&format!("{}{name} supervisor", tree.pid));
        print_children(tree, "");
    }
    Ok(())
}

fn print_children(tree: &TreeNode, indent: &str) {
    for (i, child) in tree.children.iter().enumerate() {
        let last = i + 1 == tree.children.len();
        let branch = if last { "└─ " } else { "├─ " };
        let pid = child.pid.clone().unwrap_or_else(|| "(not running)".into());
        let name = child.name.as_ref().map(|n| format!(" ({n})")).unwrap_or_default();
        let kind = if child.supervisor { "supervisor" } else { "worker" };
        out(&format!("{indent}{branch}{} {pid}{name} {kind}, restarts {}", child.id, child.restarts));
        if let Some(subtree) = &child.subtree {
            print_children(subtree, &format!("{indent}{}", if last { "   " } else { "│  " }));
        }
    }
}

/// `warren registered`.
pub fn registered(target: &Target) -> Result<()> {
    let mut client = Client::connect(target.node.as_deref())?;
    let response = client.ask(Request::Registered, ANSWER_TIMEOUT)?;
    let Response::Registered { names } = &response else { bail!("unexpected answer to registered") };
    if target.json {
        return print_json(&response);
    }
    let rows: Vec<Vec<String>> = names.iter().map(|n| vec![n.name.clone(), n.pid.clone()]).collect();
    out(&table(&["NAME", "PID"], &[false, false], &rows));
    Ok(())
}

fn table_rows(tables: &[TableRow]) -> Vec<Vec<String>> {
    tables
        .iter()
        .map(|t| {
            vec![
                t.id.to_string(),
                t.name.clone().unwrap_or_else(|| "-".into()),
                t.kind.clone(),
                t.access.clone(),
                t.owner.clone(),
                t.size.to_string(),
                bytes(usize::try_from(t.memory).unwrap_or(usize::MAX)),
            ]
        })
        .collect()
}

const TABLE_HEADERS: [&str; 7] = ["ID", "NAME", "TYPE", "ACCESS", "OWNER", "SIZE", "MEMORY"];
const TABLE_RIGHT: [bool; 7] = [true, false, false, false, false, true, true];

/// `warren tables`.
pub fn tables(target: &Target) -> Result<()> {
    let mut client = Client::connect(target.node.as_deref())?;
    let response = client.ask(Request::Tables, ANSWER_TIMEOUT)?;
    let Response::Tables { tables } = &response else { bail!("unexpected answer to tables") };
    if target.json {
        return print_json(&response);
    }
    out(&table(&TABLE_HEADERS, &TABLE_RIGHT, &table_rows(tables)));
    Ok(())
}

/// `warren table`.
pub fn table_of(args: &TableArgs) -> Result<()> {
    let mut client = Client::connect(args.target.node.as_deref())?;
    let response = client.ask(Request::Table { target: args.table.clone(), entries: args.entries }, ANSWER_TIMEOUT)?;
    let Response::Table { table: info, entries } = &response else { bail!("unexpected answer to table") };
    if args.target.json {
        return print_json(&response);
    }
    out(&table(&TABLE_HEADERS, &TABLE_RIGHT, &table_rows(std::slice::from_ref(info))));
    out("");
    let rows: Vec<Vec<String>> = entries
        .iter()
        .map(|e| vec![printable(&e.key_hex), e.values_hex.iter().map(|v| printable(v)).collect::<Vec<_>>().join(", ")])
        .collect();
    out(&table(&["KEY", "VALUES"], &[false, false], &rows));
    if (entries.len() as u64) < info.keys {
        out(&format!("({} of {} keys)", entries.len(), info.keys));
    }
    Ok(())
}

/// `warren send`.
pub fn send(args: &SendArgs) -> Result<()> {
    let data = if args.hex {
        super::protocol::unhex(&args.data).map_err(|e| anyhow!(e))?
    } else {
        args.data.clone().into_bytes()
    };
    let mut client = Client::connect(args.process.target.node.as_deref())?;
    let request = Request::Send { target: args.process.process.clone(), tag: args.tag, data_hex: hex(&data) };
    let response = client.ask(request, ANSWER_TIMEOUT)?;
    let Response::Sent { pid } = &response else { bail!("unexpected answer to send") };
    if args.process.target.json {
        return print_json(&response);
    }
    out(&format!("sent {} bytes with tag {} to {pid}", data.len(), args.tag));
    Ok(())
}

/// `warren kill`.
pub fn kill(args: &KillArgs) -> Result<()> {
    let reason = match args.reason.as_str() {
        "kill" => KillReason::Kill,
        "normal" => KillReason::Normal,
        "shutdown" => KillReason::Shutdown(String::new()),
        other => match other.strip_prefix("shutdown:") {
            Some(detail) => KillReason::Shutdown(detail.trim().to_string()),
            None => KillReason::Custom(other.to_string()),
        },
    };
    let mut client = Client::connect(args.process.target.node.as_deref())?;
    let response = client.ask(Request::Kill { target: args.process.process.clone(), reason }, ANSWER_TIMEOUT)?;
    let Response::Killed { pid } = &response else { bail!("unexpected answer to kill") };
    if args.process.target.json {
        return print_json(&response);
    }
    out(&format!("sent exit signal `{}` to {pid}", args.reason));
    Ok(())
}

/// `warren stop`: asks for the orderly shutdown, then waits until the node
/// is gone (its socket removed).
pub fn stop(args: &StopArgs) -> Result<()> {
    let mut client = Client::connect(args.target.node.as_deref())?;
    let name = client.name().to_string();
    client.ask(Request::Stop, ANSWER_TIMEOUT)?;
    let socket = dir::socket_path(&dir::runtime_dir()?, &name);
    let deadline = Instant::now() + args.timeout;
    let mut pause = Duration::from_millis(5);
    while socket.exists() {
        if Instant::now() >= deadline {
            bail!("node `{name}` is still stopping after {:.0} s", args.timeout.as_secs_f64());
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(200));
    }
    if args.target.json {
        return print_json(&serde_json::json!({ "stopped": name }));
    }
    out(&format!("node `{name}` stopped"));
    Ok(())
}

/// `warren stats`: two samples `--window` apart, and the rates between.
pub fn stats(args: &StatsArgs) -> Result<()> {
    let mut client = Client::connect(args.target.node.as_deref())?;
    let first = sample(&mut client)?;
    std::thread::sleep(args.window);
    let second = sample(&mut client)?;
    let rates = Rates::between(&first, &second);
    if args.target.json {
        return print_json(&serde_json::json!({ "sample": second, "rates": rates }));
    }
    let m = &second.memory;
    let status: Vec<String> = second.by_status.iter().map(|(s, n)| format!("{n} {s}")).collect();
    let utilization: Vec<String> = rates.scheduler_utilization.iter().map(|u| format!("{:.0}%", u * 100.0)).collect();
    let lines = [
        ("processes", format!("{} ({})", second.processes, status.join(", "))),
        ("memory: linear", bytes(m.linear_memories)),
        ("memory: stacks", bytes(m.stacks)),
        ("memory: mailboxes", bytes(m.mailboxes)),
        ("memory: tables", bytes(m.tables)),
        ("memory: host total", bytes(m.host)),
        ("run queues", format!("{:?} + global {}", second.run_queues, second.global_queue)),
        ("reductions/s", format!("{:.0}", rates.reductions_per_sec)),
        ("messages/s", format!("{:.0}", rates.messages_per_sec)),
        ("scheduler utilization", format!("{} (total {:.0}%)", utilization.join(" "), rates.total_utilization * 100.0)),
        ("tables", second.tables.to_string()),
        ("timers", second.timers.to_string()),
        ("uptime", format!("{:.1} s", second.uptime_nanos as f64 / 1e9)),
    ];
    let width = lines.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    for (name, value) in &lines {
        out(&format!("{name:<width$}  {value}"));
    }
    Ok(())
}

/// One stats sample.
pub fn sample(client: &mut Client) -> Result<StatsSample> {
    match client.ask(Request::Stats, ANSWER_TIMEOUT)? {
        Response::Stats(sample) => Ok(*sample),
        _ => bail!("unexpected answer to stats"),
    }
}

/// Rates between two samples.
#[derive(serde::Serialize)]
pub struct Rates {
    pub reductions_per_sec: f64,
    pub messages_per_sec: f64,
    /// Per scheduler thread: the share of the window it was not parked
    /// (`:scheduler.utilization/1`).
    pub scheduler_utilization: Vec<f64>,
    pub total_utilization: f64,
}

impl Rates {
    /// The rates from `first` to `second`.
    pub fn between(first: &StatsSample, second: &StatsSample) -> Rates {
        let window = second.uptime_nanos.saturating_sub(first.uptime_nanos).max(1) as f64;
        let per_sec = |a: u64, b: u64| b.saturating_sub(a) as f64 * 1e9 / window;
        let scheduler_utilization: Vec<f64> = first
            .parked_nanos
            .iter()
            .zip(&second.parked_nanos)
            .map(|(a, b)| (1.0 - b.saturating_sub(*a) as f64 / window).clamp(0.0, 1.0))
            .collect();
        let total_utilization = scheduler_utilization.iter().sum::<f64>() / scheduler_utilization.len().max(1) as f64;
        Rates {
            reductions_per_sec: per_sec(first.reductions, second.reductions),
            messages_per_sec: per_sec(first.messages, second.messages),
            scheduler_utilization,
            total_utilization,
        }
    }
}
