//! Side-by-side benchmarks: Warren and Erlang/OTP, measured in the same run.
//!
//! ```text
//! cargo bench --bench runtime                    # every section
//! cargo bench --bench runtime -- density         # sections whose name contains "density"
//! cargo bench --bench runtime -- pingpong ring   # several filters: any may match
//! ```
//!
//! Sections (units): `density/wat-blocked`, `density/wat-handler`, `density/wat-idle`, `density/wat-hibernated`,
//! `density/rust-blocked`, `density/rust-idle`, `density/rust-hibernated`, `spawn`, `pingpong`, `call`, `ring`, `ring/10k`,
//! `hibernate`, `fairness`. A filter that is a unit's whole name selects that unit alone; any other selects
//! every unit whose name contains it.
//!
//! Environment:
//! * `WARREN_BENCH_N`: processes per density run (default 1,000,000 for the
//!   WAT guest and for Erlang, 200,000 for the Rust guest).
//! * `WARREN_BENCH_TEARDOWN=1`: also time the node's shutdown after a
//!   density run, and the RSS after it (skipped by default: a node's
//!   shutdown is not what is measured, and it is slow at a million).
//! * `WARREN_BENCH_PAGEMAP=1`: after a density run, print the resident pages
//!   of the large anonymous mappings as runs (from /proc/self/pagemap), to
//!   tell one-page linear memories and fiber stacks from malloc arenas.
//! * `WARREN_BENCH_SCHEDULERS`: scheduler threads of every Warren node
//!   (default 2, as Erlang's default on a 2-core machine).
//! * `WARREN_BENCH_RING=SIZE,ROUNDS`: the ring's shape (default 1000,1000,
//!   the target's), to see how the cost per hop grows with the ring.
//!
//! The Erlang side is `benches/erlang/warren_bench.erl`, run with `escript`
//! (one fresh VM per workload); it prints `result KEY VALUE` lines. Without
//! Erlang installed (`apt-get install -y erlang-nox`) its columns read "n/a".
//!
//! Each density unit runs in a child process (this same binary, selected by
//! the `WARREN_BENCH_CHILD` variable): a fresh address space gives a clean
//! RSS baseline, and a node killed for lack of memory cannot take the whole
//! run down with it.
//!
//! The final table's ratio is Warren's cost divided by Erlang's (for a rate,
//! Erlang's rate divided by Warren's), so below 1.0 Warren is better.

#[path = "../src/allocator.rs"]
mod allocator;
#[path = "support/report.rs"]
mod report;
#[path = "support/steal.rs"]
mod steal;

use anyhow::{Context, Result, anyhow, bail};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};
use steal::CpuTimes;
use warren_host::{DEFAULT_REDUCTIONS, Inbox, LoadedModule, Message, Node, NodeConfig, Pid, ProcessHandle};

/// The spawner guest (see its header).
const SPAWNER_WAT: &str = include_str!("wat/spawner.wat");
/// The timed ping-pong and busy-work guest (see its header).
const FAIR_WAT: &str = include_str!("wat/fair.wat");
/// Ping-pong with a hibernating handler (see its header).
const HIBERNATE_WAT: &str = include_str!("wat/hibernate.wat");
/// A pinger whose receives look past queued messages it does not want.
const SELECTIVE_WAT: &str = include_str!("wat/selective.wat");
/// call.wat: calls between a caller and a server (`call` and `reply`).
const CALL_WAT: &str = include_str!("wat/call.wat");
/// Round trips of the `hibernate` section.
const HIBERNATE_ROUNDS: u32 = 20_000;

/// Scheduler threads for every Warren node here, unless
/// `WARREN_BENCH_SCHEDULERS` says otherwise (as Erlang's default on a 2-core
/// machine: it uses one scheduler per core).
const DEFAULT_SCHEDULERS: usize = 2;

fn schedulers() -> usize {
    static VALUE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *VALUE.get_or_init(|| match std::env::var("WARREN_BENCH_SCHEDULERS") {
        Err(_) => DEFAULT_SCHEDULERS,
        Ok(raw) => raw.parse().ok().filter(|&n| n > 0).unwrap_or_else(|| {
            eprintln!("WARREN_BENCH_SCHEDULERS={raw:?} is not a positive number; using {DEFAULT_SCHEDULERS}");
            DEFAULT_SCHEDULERS
        }),
    })
}
/// The tag every bench guest reports with.
const REPORT_TAG: i64 = 7;
/// Longest wait for one report: a bound against hangs only.
const PATIENCE: Duration = Duration::from_secs(600);

/// Default density sizes.
const DENSITY_N_WAT: u64 = 1_000_000;
const DENSITY_N_RUST: u64 = 200_000;
const DENSITY_N_ERLANG: u64 = 1_000_000;
/// Spawns per spawner process in the spawn benchmark (one spawner per
/// scheduler).
const SPAWNS_PER_SPAWNER: u32 = 500_000;
const PINGPONG_ROUNDS: u32 = 100_000;
/// Round trips of the `selective` section, and the messages each of its
/// receives looks past.
const SELECTIVE_ROUNDS: u32 = 10_000;
const SELECTIVE_QUEUED: u32 = 1_000;
const RING_SIZE: u32 = 1_000;
const RING_ROUNDS: u32 = 1_000;
/// The shape of the `ring/10k` section.
const LARGE_RING_SIZE: u32 = 10_000;
const LARGE_RING_ROUNDS: u32 = 100;
/// Rounds of the message-passing units (ping-pong, rings): each round runs
/// Warren's side, then Erlang's, and each side's figure is the median of its
/// rounds. A shared host's speed drifts from one minute to the next; taken
/// back to back, the two sides see the same host more often than when one
/// side ran all its runs first.
const INTERLEAVED_ROUNDS: usize = 3;
// The reading notes say 3.
const _: () = assert!(INTERLEAVED_ROUNDS == 3);
/// Timed round trips per fairness run (the first 10% are dropped as warm-up).
const FAIRNESS_ROUNDS: u32 = 20_000;
/// Time slices compared by the fairness section.
const FAIRNESS_REDUCTIONS: [u64; 5] = [2_000, 20_000, 50_000, DEFAULT_REDUCTIONS, 200_000];
// The default is one of them, not an extra row.
const _: () = assert!(DEFAULT_REDUCTIONS == 100_000);
/// Iterations of busy work used to measure the cost of preemption.
const WORK_ITERATIONS: u64 = 100_000_000;

fn main() {
    if let Ok(spec) = std::env::var("WARREN_BENCH_CHILD") {
        std::process::exit(child_main(&spec));
    }
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let units: [(&str, Section); 15] = [
        ("density/wat-blocked", |b| density_unit(b, Density::WatBlocked)),
        ("density/wat-handler", |b| density_unit(b, Density::WatHandler)),
        ("density/wat-idle", |b| density_unit(b, Density::WatIdle)),
        ("density/wat-hibernated", |b| density_unit(b, Density::WatHibernated)),
        ("density/rust-blocked", |b| density_unit(b, Density::RustBlocked)),
        ("density/rust-idle", |b| density_unit(b, Density::RustIdle)),
        ("density/rust-hibernated", |b| density_unit(b, Density::RustHibernated)),
        ("spawn", spawn_unit),
        ("pingpong", pingpong_unit),
        ("selective", selective_unit),
        ("call", call_unit),
        ("ring", ring_unit),
        ("ring/10k", large_ring_unit),
        ("hibernate", hibernate_unit),
        ("fairness", fairness_unit),
    ];
    // A filter that names a unit exactly selects that unit alone (`hibernate`
    // is not also `density/wat-hibernated`); any other selects every unit
    // whose name contains it.
    let selected = |unit: &str| {
        filters.is_empty()
            || filters
                .iter()
                .any(|f| if units.iter().any(|(name, _)| name == f) { unit == f } else { unit.contains(f.as_str()) })
    };
    let mut bench =
        Bench { erlang: Erlang::new(), rows: Vec::new(), notes: Vec::new(), erlang_time: CpuTimes::default() };
    if let Err(why) = &bench.erlang.available {
        println!("Erlang: {why}; its columns read n/a");
    }
    let mut ran = 0;
    for (name, run) in units {
        if selected(name) {
            println!("\n=== {name} ===");
            let before = CpuTimes::read();
            bench.erlang_time = CpuTimes::default();
            run(&mut bench);
            bench.stolen_row(name, before);
            ran += 1;
        }
    }
    if ran == 0 {
        let names: Vec<&str> = units.iter().map(|(n, _)| *n).collect();
        eprintln!("no benchmark matches {filters:?}; the units are: {}", names.join(", "));
        std::process::exit(2);
    }
    bench.print_table();
}

/// Printed under the table.
const READING_NOTES: &[&str] = &[
    "density: (RSS after - RSS before) / N and (VmPTE after - VmPTE before) / N, measured once every process waits \
     (process count reached, schedulers idle, RSS stable). Erlang's counterpart of a blocked process is a process in \
     `receive`; of a handler-style idle process, a hibernated one (erlang:hibernate/3). The erlang:memory row is \
     what the VM accounts for itself. The `after set_handler` guest writes its handler's name into its own memory \
     first: that write makes one 4 KiB page of each process's memory resident, the whole difference from the row \
     spawned on its handler.",
    "spawn: throughput is spawns / wall time from the first spawn until every child has exited (one spawner per \
     scheduler, spawning a process that returns at once). Latency is the spawner's loop time per spawn: it includes \
     the time the spawner waits, preempted, behind its own children.",
    "pingpong and ring: timed from spawning the first process until its report (set-up included), median of 3 runs \
     after a warm-up run, on each side. The two sides take turns, 3 rounds of Warren then Erlang, and each figure \
     is the median of its 3 rounds: the host's speed drifts from minute to minute, and back to back the two sides \
     meet the same host more often. In each ring's first row every process waits in `receive`, as Erlang's do; in its second \
     the first process does and the others are handler style (one handler call per message, no call kept \
     between messages), measured against the same Erlang ring. The 10,000-process ring has no target: it shows \
     how a hop's cost grows once the processes no longer fit in the caches.",
    "selective: the pingpong round trip, with 1,000 messages the pinger never takes queued ahead of every reply: \
     each receive looks past all of them (Erlang's receive does the same, its pattern matching no queued message).",
    "stolen: the share of the machine's CPU time (all cores, /proc/stat) the hypervisor gave to other guests \
     while each side of a unit ran. Figures taken while it is high are slower than the code is. A low share does \
     not mean a quiet host: other guests also share its caches and memory bandwidth, which no counter here shows.",
    "fairness: round trips timed inside the pinger (WASI monotonic clock on Warren, erlang:monotonic_time on \
     Erlang), first 10% dropped. Erlang has no slice setting (a fixed reduction budget), so its figures repeat on \
     every R row. The preemption rows time a busy loop alone at each R against the same loop never preempted.",
];

/// A benchmark section: measures, prints, and adds rows to the table.
type Section = fn(&mut Bench);

// ---------------------------------------------------------------- the table

/// What a figure measures, how it prints, and which way is better.
#[derive(Clone, Copy, PartialEq)]
enum Unit {
    /// KiB per process (a cost).
    KiB,
    /// Bytes per process (a cost).
    Bytes,
    /// Spawns per second (a rate: higher is better).
    PerSecond,
    /// Microseconds (a cost).
    Micros,
    /// Nanoseconds (a cost).
    Nanos,
    /// Percent (a cost).
    Percent,
    /// Percent of the machine's time, a condition of the run rather than a
    /// result: no ratio.
    MachinePercent,
}

impl Unit {
    fn label(self) -> &'static str {
        match self {
            Unit::KiB => "KiB/proc",
            Unit::Bytes => "B/proc",
            Unit::PerSecond => "spawns/s",
            Unit::Micros => "µs",
            Unit::Nanos => "ns",
            Unit::Percent | Unit::MachinePercent => "%",
        }
    }

    fn is_rate(self) -> bool {
        self == Unit::PerSecond
    }

    fn format(self, value: f64) -> String {
        match self {
            Unit::PerSecond => report::group_thousands(value.round() as u64),
            Unit::Bytes | Unit::Nanos if value.abs() >= 100.0 => report::group_thousands(value.round() as u64),
            Unit::KiB | Unit::Micros | Unit::Percent | Unit::MachinePercent if value.abs() >= 100.0 => {
                format!("{value:.0}")
            }
            _ => format!("{value:.2}"),
        }
    }
}

/// One line of the final table.
struct Row {
    name: String,
    unit: Unit,
    warren: Option<f64>,
    erlang: Option<f64>,
    /// The goal for Warren's figure (an upper bound for a cost, a lower bound
    /// for a rate).
    target: Option<f64>,
}

struct Bench {
    erlang: Erlang,
    rows: Vec<Row>,
    /// Failures and remarks printed under the table.
    notes: Vec<String>,
    /// The machine's CPU time while Erlang ran, in the current unit.
    erlang_time: CpuTimes,
}

impl Bench {
    fn row(
        &mut self,
        name: impl Into<String>,
        unit: Unit,
        warren: Option<f64>,
        erlang: Option<f64>,
        target: Option<f64>,
    ) {
        self.rows.push(Row { name: name.into(), unit, warren, erlang, target });
    }

    /// Runs the Erlang workload `args` (once per distinct `args`) and returns
    /// its figures; a failure is noted and gives `None`.
    fn erlang(&mut self, args: &[&str]) -> Option<Figures> {
        let before = CpuTimes::read();
        let figures = self.erlang.run(args);
        if let (Some(before), Some(after)) = (before, CpuTimes::read()) {
            self.erlang_time = self.erlang_time.plus(after.since(before));
        }
        match figures {
            Ok(figures) => Some(figures),
            Err(error) => {
                let note = match &self.erlang.available {
                    Ok(()) => format!("Erlang `{}`: {error}", args.join(" ")),
                    Err(why) => format!("Erlang not run: {why}"),
                };
                if !self.notes.contains(&note) {
                    if self.erlang.available.is_ok() {
                        println!("  {note}");
                    }
                    self.notes.push(note);
                }
                None
            }
        }
    }

    /// Runs the Erlang workload `args` again, even if it ran before (see
    /// [`INTERLEAVED_ROUNDS`]); as [`Bench::erlang`] otherwise.
    fn erlang_again(&mut self, args: &[&str]) -> Option<Figures> {
        self.erlang.forget(args);
        self.erlang(args)
    }

    /// [`INTERLEAVED_ROUNDS`] rounds of: every one of `warren`'s
    /// measurements, then the Erlang workload `args` (its figure `key`).
    /// Returns the median of each Warren measurement over the rounds, and
    /// of Erlang's; a measurement that fails in any round gives `None`
    /// (Warren's failures are noted by the closures).
    fn interleaved<const N: usize>(
        &mut self,
        mut warren: impl FnMut(&mut Bench) -> [Option<f64>; N],
        args: &[&str],
        key: &str,
    ) -> ([Option<f64>; N], Option<f64>) {
        let mut warren_runs: [Vec<Option<f64>>; N] = std::array::from_fn(|_| Vec::new());
        let mut erlang_runs = Vec::new();
        for _ in 0..INTERLEAVED_ROUNDS {
            for (runs, figure) in warren_runs.iter_mut().zip(warren(self)) {
                runs.push(figure);
            }
            erlang_runs.push(self.erlang_again(args).as_ref().and_then(|f| figure(f, key)));
        }
        let median_of = |runs: Vec<Option<f64>>| runs.into_iter().collect::<Option<Vec<f64>>>().map(median);
        (warren_runs.map(median_of), median_of(erlang_runs))
    }

    /// Adds a row with the share of CPU time the hypervisor stole while the
    /// unit `name` (begun at `before`) ran, Warren's part and Erlang's.
    fn stolen_row(&mut self, name: &str, before: Option<CpuTimes>) {
        let (Some(before), Some(after)) = (before, CpuTimes::read()) else { return };
        // The unit's span less Erlang's part of it.
        let warren = after.since(before).since(self.erlang_time);
        let (warren, erlang) = (warren.stolen_percent(), self.erlang_time.stolen_percent());
        println!(
            "  CPU time stolen by the hypervisor: {} while Warren ran, {} while Erlang ran",
            warren.map_or("n/a".into(), |p| format!("{p:.1}%")),
            erlang.map_or("n/a".into(), |p| format!("{p:.1}%")),
        );
        self.row(format!("{name}: CPU time stolen by the hypervisor"), Unit::MachinePercent, warren, erlang, None);
    }

    /// Records a failed Warren measurement.
    fn warren_failed(&mut self, what: &str, error: &anyhow::Error) {
        let note = format!("Warren {what}: {error:#}");
        println!("  FAILED: {note}");
        self.notes.push(note);
    }

    fn print_table(&self) {
        let header = vec![
            "benchmark".to_string(),
            "unit".to_string(),
            "Warren".to_string(),
            "Erlang/OTP".to_string(),
            "ratio W/E".to_string(),
            "target".to_string(),
            "met".to_string(),
        ];
        let mut lines = vec![header];
        for row in &self.rows {
            let value = |v: Option<f64>| v.map_or_else(|| "n/a".to_string(), |v| row.unit.format(v));
            let ratio = match (row.warren, row.erlang) {
                (Some(w), Some(e)) if w > 0.0 && e > 0.0 && row.unit != Unit::MachinePercent => {
                    format!("{:.2}", if row.unit.is_rate() { e / w } else { w / e })
                }
                _ => "-".to_string(),
            };
            let (target, met) = match row.target {
                None => ("-".to_string(), "-".to_string()),
                Some(t) => {
                    let bound = if row.unit.is_rate() { "≥" } else { "≤" };
                    let met = match row.warren {
                        None => "n/a",
                        Some(w) if (row.unit.is_rate() && w >= t) || (!row.unit.is_rate() && w <= t) => "yes",
                        Some(_) => "NO",
                    };
                    (format!("{bound} {}", row.unit.format(t)), met.to_string())
                }
            };
            lines.push(vec![
                row.name.clone(),
                row.unit.label().to_string(),
                value(row.warren),
                value(row.erlang),
                ratio,
                target,
                met,
            ]);
        }
        println!("\n=== results ===");
        println!(
            "ratio W/E = Warren's cost / Erlang's cost (for spawns/s: Erlang's rate / Warren's rate): < 1.0 means Warren is better."
        );
        println!(
            "Warren: {} schedulers, {DEFAULT_REDUCTIONS} reductions per slice unless a row says otherwise; Erlang: {}.",
            schedulers(),
            self.erlang.version.as_deref().unwrap_or("not available")
        );
        report::print_markdown_table(&lines);
        println!("\nhow to read it:");
        for line in READING_NOTES {
            println!("- {line}");
        }
        if !self.notes.is_empty() {
            println!("\nnotes:");
            for note in &self.notes {
                println!("- {note}");
            }
        }
    }
}

// ----------------------------------------------------------------- children

/// Figures parsed from `result KEY VALUE` lines.
type Figures = HashMap<String, f64>;

fn figure(figures: &Figures, key: &str) -> Option<f64> {
    figures.get(key).copied()
}

fn describe_status(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(9)) => "killed by signal 9 (SIGKILL: most likely the kernel's OOM killer, see `dmesg`)".into(),
        (None, Some(6)) => "killed by signal 6 (SIGABRT: an abort, e.g. a failed allocation)".into(),
        (None, Some(11)) => "killed by signal 11 (SIGSEGV)".into(),
        (None, Some(signal)) => format!("killed by signal {signal}"),
        (None, None) => format!("{status}"),
    }
}

/// Runs a child to completion (at most `timeout`), echoing its stderr live
/// with `prefix`, and returns its stdout. A failure carries the status and the
/// tail of stderr.
fn run_child(command: &mut Command, timeout: Duration, prefix: &str) -> Result<String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {command:?}"))?;
    let mut stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout pipe"))?;
    let stderr = child.stderr.take().ok_or_else(|| anyhow!("no stderr pipe"))?;
    let out_thread = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let prefix = prefix.to_string();
    let err_thread = std::thread::spawn(move || {
        let mut tail: Vec<String> = Vec::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            eprintln!("{prefix}{line}");
            tail.push(line);
            if tail.len() > 12 {
                tail.remove(0);
            }
        }
        tail
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                break Err(anyhow!("no result within {timeout:?}: killed"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(error) => break Err(anyhow!("cannot wait for the child: {error}")),
        }
    };
    let stdout = out_thread.join().unwrap_or_default();
    let tail = err_thread.join().unwrap_or_default();
    let tail_text = if tail.is_empty() { String::new() } else { format!("; last stderr lines: {}", tail.join(" / ")) };
    match status {
        Ok(status) if status.success() => Ok(stdout),
        Ok(status) => Err(anyhow!("{}{tail_text}", describe_status(status))),
        Err(error) => Err(anyhow!("{error}{tail_text}")),
    }
}

/// The Erlang side: `escript benches/erlang/warren_bench.erl ...`.
struct Erlang {
    script: PathBuf,
    /// Why Erlang cannot run, if it cannot.
    available: Result<(), String>,
    version: Option<String>,
    cache: HashMap<String, Result<Figures, String>>,
}

impl Erlang {
    fn new() -> Erlang {
        let script = repo().join("benches/erlang/warren_bench.erl");
        let (available, version) = match report::erlang_version() {
            Ok(version) => (Ok(()), Some(version)),
            Err(why) => (Err(why), None),
        };
        let available = available
            .and_then(|()| if script.is_file() { Ok(()) } else { Err(format!("{} is missing", script.display())) });
        Erlang { script, available, version, cache: HashMap::new() }
    }

    /// Drops the cached figures of `args`: the next `run` runs it again.
    fn forget(&mut self, args: &[&str]) {
        self.cache.remove(&args.join(" "));
    }

    fn run(&mut self, args: &[&str]) -> Result<Figures, String> {
        self.available.clone()?;
        let key = args.join(" ");
        if let Some(cached) = self.cache.get(&key) {
            return cached.clone();
        }
        println!("  erlang: escript warren_bench.erl {key}");
        let mut command = Command::new("escript");
        command.arg(&self.script).args(args);
        let result = run_child(&mut command, Duration::from_secs(1800), "  [erlang] ")
            .map(|stdout| report::parse_results(&stdout))
            .map_err(|e| format!("{e:#}"))
            .and_then(|f| if f.is_empty() { Err("printed no result lines".to_string()) } else { Ok(f) });
        if let Ok(figures) = &result {
            let mut keys: Vec<_> = figures.iter().collect();
            keys.sort_by(|a, b| a.0.cmp(b.0));
            for (k, v) in keys {
                println!("    erlang {k} = {v}");
            }
        }
        self.cache.insert(key, result.clone());
        result
    }
}

// -------------------------------------------------------- Warren: plumbing

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn wat_file(name: &str) -> PathBuf {
    repo().join("guests/wat").join(name)
}

fn new_node(reductions: u64) -> Result<Node> {
    new_node_with(schedulers(), reductions)
}

fn new_node_with(schedulers: usize, reductions: u64) -> Result<Node> {
    Node::new(NodeConfig::default().schedulers(schedulers).reductions(reductions)).context("cannot start a Warren node")
}

fn load_file(node: &Node, name: &str, path: &Path) -> Result<LoadedModule> {
    node.load_file_as(name, path).with_context(|| format!("cannot load {}", path.display()))
}

fn spawn(node: &Node, module: &LoadedModule, entry: &str, arg: &[u8]) -> Result<ProcessHandle> {
    node.spawn(module, entry, arg).with_context(|| format!("cannot spawn `{}`.{entry}", module.name()))
}

/// Waits for `count` reports (tag 7) from the processes of `handles`. Fails
/// at once if one of them ends abnormally, or when they have all ended with
/// reports missing, or after `PATIENCE`.
fn reports(inbox: &Inbox, handles: &[ProcessHandle], count: usize, what: &str) -> Result<Vec<Message>> {
    let deadline = Instant::now() + PATIENCE;
    let mut got = Vec::with_capacity(count);
    let mut ended = vec![false; handles.len()];
    while got.len() < count {
        if let Some(message) = inbox.recv_timeout(Duration::from_millis(100)) {
            if message.tag == REPORT_TAG {
                got.push(message);
            }
            continue;
        }
        for (handle, ended) in handles.iter().zip(&mut ended) {
            if *ended {
                continue;
            }
            if let Some(reason) = handle.wait_timeout(Duration::ZERO) {
                *ended = true;
                if !reason.is_normal() {
                    bail!("{what} {} ended before reporting: {reason}", handle.pid());
                }
            }
        }
        if ended.iter().all(|e| *e) {
            while let Some(message) = inbox.try_recv() {
                if message.tag == REPORT_TAG {
                    got.push(message);
                }
            }
            if got.len() < count {
                bail!("{what}: every process ended but only {} of {count} reports arrived", got.len());
            }
        }
        if Instant::now() >= deadline {
            bail!("{what}: {} of {count} reports within {PATIENCE:?} (is the node hung?)", got.len());
        }
    }
    Ok(got)
}

/// Polls `done` every `every` until it holds, at most `timeout`.
fn wait_until(what: &str, timeout: Duration, every: Duration, mut done: impl FnMut() -> bool) -> Result<Duration> {
    let start = Instant::now();
    while !done() {
        if start.elapsed() >= timeout {
            bail!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(every);
    }
    Ok(start.elapsed())
}

fn u32_at(data: &[u8], at: usize) -> Result<u32> {
    data.get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map(u32::from_le_bytes)
        .ok_or_else(|| anyhow!("report of {} bytes is too short", data.len()))
}

fn u64_at(data: &[u8], at: usize) -> Result<u64> {
    data.get(at..at + 8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_le_bytes)
        .ok_or_else(|| anyhow!("report of {} bytes is too short", data.len()))
}

/// The argument of spawner.wat.
fn spawner_arg(reporter: Pid, count: u32, module: &str, entry: &str) -> Vec<u8> {
    let mut arg = Vec::new();
    arg.extend_from_slice(&reporter.raw().to_le_bytes());
    arg.extend_from_slice(&count.to_le_bytes());
    arg.extend_from_slice(&(module.len() as u32).to_le_bytes());
    arg.extend_from_slice(&(entry.len() as u32).to_le_bytes());
    arg.extend_from_slice(module.as_bytes());
    arg.extend_from_slice(entry.as_bytes());
    arg
}

/// A spawner.wat report: (loop time, processes spawned, first error code).
fn spawner_report(message: &Message) -> Result<(Duration, u32, i64)> {
    let data = &message.data;
    Ok((Duration::from_nanos(u64_at(data, 0)?), u32_at(data, 8)?, u64_at(data, 16)? as i64))
}

fn median<T: Copy + PartialOrd>(mut values: Vec<T>) -> T {
    values.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    values[(values.len() - 1) / 2]
}

// ------------------------------------------------------------ memory state

/// This process's memory, from /proc/self.
#[derive(Clone, Copy, Debug)]
struct MemStatus {
    rss: u64,
    pte: u64,
    vm_size: u64,
    maps: u64,
}

impl MemStatus {
    fn read() -> Result<MemStatus> {
        let status = std::fs::read_to_string("/proc/self/status").context("cannot read /proc/self/status")?;
        let field = |name: &str| -> Result<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
                .and_then(|r| r.split_whitespace().next())
                .and_then(|n| n.parse::<u64>().ok())
                .map(|kib| kib * 1024)
                .ok_or_else(|| anyhow!("no {name} in /proc/self/status"))
        };
        let maps = std::fs::read_to_string("/proc/self/maps").map(|m| m.lines().count() as u64).unwrap_or(0);
        Ok(MemStatus { rss: field("VmRSS")?, pte: field("VmPTE")?, vm_size: field("VmSize")?, maps })
    }
}

/// Resident bytes by kind of mapping, from /proc/self/smaps: (anonymous
/// mappings of 256 MiB or more: the dense region's chunks of linear memories
/// and fiber stacks, which the kernel may merge; the malloc heap and the
/// other anonymous mappings: malloc arenas, thread stacks; everything else).
fn rss_by_kind() -> Result<(u64, u64, u64)> {
    let smaps = std::fs::read_to_string("/proc/self/smaps").context("cannot read /proc/self/smaps")?;
    let (mut dense, mut heap, mut other) = (0, 0, 0);
    let mut kind = 2;
    for line in smaps.lines() {
        let mut words = line.split_whitespace();
        let first = words.next().unwrap_or("");
        if let Some((start, end)) = first.split_once('-')
            && let (Ok(start), Ok(end)) = (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16))
        {
            let path = words.nth(4).unwrap_or("");
            kind = match path {
                "" if end - start >= 256 << 20 => 0,
                "" | "[heap]" => 1,
                _ => 2,
            };
        } else if first == "Rss:" {
            let kib: u64 = words.next().and_then(|n| n.parse().ok()).unwrap_or(0);
            match kind {
                0 => dense += kib * 1024,
                1 => heap += kib * 1024,
                _ => other += kib * 1024,
            }
        }
    }
    Ok((dense, heap, other))
}

/// Diagnostic (`WARREN_BENCH_PAGEMAP=1`): resident pages of the dense region
/// (anonymous mappings of 256 MiB or more), from /proc/self/pagemap, as a
/// histogram of runs of consecutive resident pages: run length in pages ->
/// number of runs. A linear memory with one touched page shows as a run of
/// 1; a suspended fiber stack as a run at the top of its slot; a malloc arena
/// the kernel merged into these mappings as a long run (up to 64 MiB).
fn dense_page_runs() -> Result<Vec<(u64, u64)>> {
    use std::io::{Seek, SeekFrom};
    let maps = std::fs::read_to_string("/proc/self/maps").context("cannot read /proc/self/maps")?;
    let mut pagemap = std::fs::File::open("/proc/self/pagemap").context("cannot open /proc/self/pagemap")?;
    let mut runs: HashMap<u64, u64> = HashMap::new();
    for line in maps.lines() {
        let mut words = line.split_whitespace();
        let Some((start, end)) = words.next().and_then(|r| r.split_once('-')) else { continue };
        let (Ok(start), Ok(end)) = (u64::from_str_radix(start, 16), u64::from_str_radix(end, 16)) else { continue };
        if words.nth(4).is_some() || end - start < 256 << 20 {
            continue;
        }
        let mut run = 0u64;
        let mut page = start / 4096;
        let mut buffer = vec![0u8; 1 << 20];
        while page < end / 4096 {
            let count = ((end / 4096 - page) as usize).min(buffer.len() / 8);
            pagemap.seek(SeekFrom::Start(page * 8))?;
            pagemap.read_exact(&mut buffer[..count * 8])?;
            for entry in buffer[..count * 8].chunks_exact(8) {
                let present = u64::from_le_bytes(entry.try_into().unwrap_or_default()) >> 63 == 1;
                if present {
                    run += 1;
                } else if run > 0 {
                    *runs.entry(run).or_default() += 1;
                    run = 0;
                }
            }
            page += count as u64;
        }
        if run > 0 {
            *runs.entry(run).or_default() += 1;
        }
    }
    let mut runs: Vec<(u64, u64)> = runs.into_iter().collect();
    runs.sort_unstable();
    Ok(runs)
}

/// [`report::quiesce`] with this process's RSS.
fn quiesce(timeout: Duration) -> Result<Duration> {
    report::quiesce(timeout, || MemStatus::read().map(|status| status.rss)).map_err(anyhow::Error::msg)
}

// ------------------------------------------------------------------ density

#[derive(Clone, Copy)]
enum Density {
    WatBlocked,
    /// Spawned on its handler export: waits for its first message having
    /// run no code.
    WatHandler,
    /// Ran an entry that called `set_handler` (which wrote the handler's
    /// name into its memory).
    WatIdle,
    WatHibernated,
    RustBlocked,
    RustIdle,
    RustHibernated,
}

impl Density {
    fn name(self) -> &'static str {
        match self {
            Density::WatBlocked => "wat-blocked",
            Density::WatHandler => "wat-handler",
            Density::WatIdle => "wat-idle",
            Density::WatHibernated => "wat-hibernated",
            Density::RustBlocked => "rust-blocked",
            Density::RustIdle => "rust-idle",
            Density::RustHibernated => "rust-hibernated",
        }
    }

    fn from_name(name: &str) -> Option<Density> {
        [
            Density::WatBlocked,
            Density::WatHandler,
            Density::WatIdle,
            Density::WatHibernated,
            Density::RustBlocked,
            Density::RustIdle,
            Density::RustHibernated,
        ]
        .into_iter()
        .find(|d| d.name() == name)
    }

    /// The guest file and the entry to spawn.
    fn guest(self) -> (PathBuf, &'static str) {
        match self {
            Density::WatBlocked => (wat_file("minimal.wat"), "main"),
            Density::WatHandler => (wat_file("minimal.wat"), "noop"),
            Density::WatIdle => (wat_file("minimal.wat"), "idle"),
            Density::WatHibernated => (wat_file("minimal.wat"), "sleep"),
            Density::RustBlocked => (PathBuf::from(warren_test_artifacts::MINIMAL), "main"),
            Density::RustIdle => (PathBuf::from(warren_test_artifacts::MINIMAL), "idle_main"),
            Density::RustHibernated => (PathBuf::from(warren_test_artifacts::MINIMAL), "sleep_main"),
        }
    }

    fn default_n(self) -> u64 {
        match self {
            Density::WatBlocked | Density::WatHandler | Density::WatIdle | Density::WatHibernated => DENSITY_N_WAT,
            Density::RustBlocked | Density::RustIdle | Density::RustHibernated => DENSITY_N_RUST,
        }
    }

    /// Warren's goal, KiB per process.
    fn target_kib(self) -> f64 {
        match self {
            Density::WatBlocked => 12.0,
            Density::WatHandler | Density::WatIdle | Density::WatHibernated => 8.0,
            Density::RustBlocked | Density::RustIdle | Density::RustHibernated => 16.0,
        }
    }

    fn blocked(self) -> bool {
        matches!(self, Density::WatBlocked | Density::RustBlocked)
    }

    fn label(self) -> &'static str {
        match self {
            Density::WatBlocked => "density: WAT, blocked in receive",
            Density::WatHandler => "density: WAT, handler-style idle, spawned on its handler",
            Density::WatIdle => "density: WAT, handler-style idle, after set_handler",
            Density::WatHibernated => "density: WAT, handler-style hibernated",
            Density::RustBlocked => "density: Rust, blocked in receive",
            Density::RustIdle => "density: Rust, handler-style idle",
            Density::RustHibernated => "density: Rust, handler-style hibernated",
        }
    }
}

fn env_n() -> Option<u64> {
    let raw = std::env::var("WARREN_BENCH_N").ok()?;
    match raw.replace(['_', ','], "").parse() {
        Ok(n) if n > 0 => Some(n),
        _ => {
            eprintln!("WARREN_BENCH_N={raw:?} is not a positive number; using the defaults");
            None
        }
    }
}

fn density_unit(bench: &mut Bench, density: Density) {
    let n = env_n().unwrap_or(density.default_n());
    println!("  warren: {n} processes, in a child process");
    let warren = density_in_child(density, n);
    let erlang_n = env_n().unwrap_or(DENSITY_N_ERLANG).to_string();
    let kind = if density.blocked() { "blocked" } else { "hibernate" };
    let erlang = bench.erlang(&["density", kind, &erlang_n]);
    let erlang_rss = erlang.as_ref().and_then(|f| figure(f, "rss_per_proc"));
    let erlang_pte = erlang.as_ref().and_then(|f| figure(f, "pte_per_proc"));
    let erlang_vm = erlang.as_ref().and_then(|f| figure(f, "memory_total_per_proc"));
    let warren_breakdown = warren.as_ref().map(Clone::clone).map_err(|_| ());
    let (rss, pte) = match warren {
        Ok(f) => {
            let per = |k: &str| figure(&f, k);
            println!(
                "  warren: {} processes alive; spawned in {:.2} s, settled in {:.2} s; RSS {} -> {} MiB, VmPTE {} -> {} MiB, VmSize {} GiB, {} mappings",
                per("processes").unwrap_or(0.0),
                per("spawn_s").unwrap_or(0.0),
                per("settle_s").unwrap_or(0.0),
                per("rss_before").unwrap_or(0.0) as u64 >> 20,
                per("rss_after").unwrap_or(0.0) as u64 >> 20,
                per("pte_before").unwrap_or(0.0) as u64 >> 20,
                per("pte_after").unwrap_or(0.0) as u64 >> 20,
                per("vm_size_after").unwrap_or(0.0) as u64 >> 30,
                per("maps_after").unwrap_or(0.0),
            );
            if let Some(t) = per("teardown_s") {
                println!(
                    "  warren: node shutdown took {t:.2} s; RSS afterwards {} MiB",
                    per("rss_after_teardown").unwrap_or(0.0) as u64 >> 20
                );
            }
            (per("rss_per_proc"), per("pte_per_proc"))
        }
        Err(error) => {
            bench.warren_failed(&format!("density {} (N = {n})", density.name()), &error);
            (None, None)
        }
    };
    if let Some(rss) = rss {
        println!("  warren: {:.0} B/process RSS, {:.0} B/process page tables", rss, pte.unwrap_or(0.0));
    }
    if let Ok(f) = &warren_breakdown {
        println!(
            "  warren: RSS per process by mapping: anonymous mappings >= 256 MiB (the dense region's memories and fiber stacks, and any malloc arenas the kernel merged with them) {:.0} B, [heap] and smaller anonymous mappings {:.0} B, other {:.0} B (WARREN_BENCH_PAGEMAP=1 tells them apart)",
            figure(f, "dense_rss_per_proc").unwrap_or(0.0),
            figure(f, "heap_rss_per_proc").unwrap_or(0.0),
            figure(f, "other_rss_per_proc").unwrap_or(0.0),
        );
    }
    let label = density.label();
    let kib = |v: Option<f64>| v.map(|v| v / 1024.0);
    bench.row(
        format!("{label}: RSS (N: Warren {n}, Erlang {erlang_n})"),
        Unit::KiB,
        kib(rss),
        kib(erlang_rss),
        Some(density.target_kib()),
    );
    bench.row(format!("{label}: page tables (VmPTE)"), Unit::Bytes, pte, erlang_pte, None);
    if matches!(density, Density::WatBlocked | Density::WatHandler | Density::WatIdle | Density::WatHibernated) {
        bench.row(format!("{label}: Erlang VM-accounted (erlang:memory)"), Unit::Bytes, None, erlang_vm, None);
    }
}

fn density_in_child(density: Density, n: u64) -> Result<Figures> {
    let exe = std::env::current_exe().context("cannot find this benchmark's executable")?;
    let mut command = Command::new(exe);
    command.env("WARREN_BENCH_CHILD", format!("density {} {n}", density.name()));
    let stdout = run_child(&mut command, Duration::from_secs(3600), "  [child] ")?;
    let figures = report::parse_results(&stdout);
    if figures.is_empty() {
        bail!("the child printed no results");
    }
    Ok(figures)
}

/// Entry point of a child process; returns the exit code.
fn child_main(spec: &str) -> i32 {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let result = match words.as_slice() {
        ["density", name, n] => match (Density::from_name(name), n.parse::<u64>()) {
            (Some(density), Ok(n)) => density_child(density, n),
            _ => Err(anyhow!("bad WARREN_BENCH_CHILD={spec:?}")),
        },
        _ => Err(anyhow!("bad WARREN_BENCH_CHILD={spec:?}")),
    };
    match result {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("error: {error:#}");
            1
        }
    }
}

/// Spawns `n` processes (via spawner.wat, in batches), waits until all of
/// them wait, prints the memory they took.
fn density_child(density: Density, n: u64) -> Result<()> {
    const BATCH: u64 = 100_000;
    let (path, entry) = density.guest();
    let node = new_node(DEFAULT_REDUCTIONS)?;
    load_file(&node, "target", &path)?;
    let spawner = node.load("spawner", SPAWNER_WAT.as_bytes()).context("cannot load spawner.wat")?;
    let inbox = node.inbox();
    let base_count = node.process_count() as u64;
    quiesce(Duration::from_secs(60))?;
    let before = MemStatus::read()?;
    let kinds_before = rss_by_kind()?;
    let start = Instant::now();
    let mut spawned = 0u64;
    while spawned < n {
        let count = (n - spawned).min(BATCH) as u32;
        let handle = spawn(&node, &spawner, "main", &spawner_arg(inbox.pid(), count, "target", entry))?;
        let report = reports(&inbox, std::slice::from_ref(&handle), 1, "the spawner")?;
        let (_, done, error) = spawner_report(&report[0])?;
        spawned += u64::from(done);
        if error != 0 {
            bail!(
                "spawn failed after {spawned} processes with error code {error}; RSS {} MiB",
                MemStatus::read().map(|m| m.rss >> 20).unwrap_or(0)
            );
        }
        if spawned.is_multiple_of(200_000) || spawned == n {
            eprintln!(
                "{spawned} spawned, {:.1} s, RSS {} MiB",
                start.elapsed().as_secs_f64(),
                MemStatus::read().map(|m| m.rss >> 20).unwrap_or(0)
            );
        }
    }
    let spawn_time = start.elapsed();
    wait_until("the spawners to exit", Duration::from_secs(60), Duration::from_millis(10), || {
        node.process_count() as u64 <= base_count + n
    })?;
    let settle = quiesce(Duration::from_secs(1200))?;
    let after = MemStatus::read()?;
    let kinds_after = rss_by_kind()?;
    let alive = node.process_count() as u64 - base_count;
    if alive != n {
        bail!("only {alive} of {n} processes are alive after settling: some exited (see the log above)");
    }
    if std::env::var("WARREN_BENCH_PAGEMAP").is_ok_and(|v| v == "1") {
        let runs = dense_page_runs()?;
        let text: Vec<String> = runs.iter().map(|(len, count)| format!("{len} pages x {count}")).collect();
        eprintln!("resident runs in the dense region: {}", text.join(", "));
    }
    let per = |a: u64, b: u64| (a as f64 - b as f64) / n as f64;
    println!("result processes {alive}");
    println!("result spawn_s {}", spawn_time.as_secs_f64());
    println!("result settle_s {}", settle.as_secs_f64());
    println!("result rss_before {}", before.rss);
    println!("result rss_after {}", after.rss);
    println!("result pte_before {}", before.pte);
    println!("result pte_after {}", after.pte);
    println!("result vm_size_after {}", after.vm_size);
    println!("result maps_after {}", after.maps);
    println!("result rss_per_proc {}", per(after.rss, before.rss));
    println!("result pte_per_proc {}", per(after.pte, before.pte));
    println!("result dense_rss_per_proc {}", per(kinds_after.0, kinds_before.0));
    println!("result heap_rss_per_proc {}", per(kinds_after.1, kinds_before.1));
    println!("result other_rss_per_proc {}", per(kinds_after.2, kinds_before.2));
    if std::env::var("WARREN_BENCH_TEARDOWN").is_ok_and(|v| v == "1") {
        eprintln!("timing the node's shutdown");
        let start = Instant::now();
        drop(inbox);
        drop(node);
        println!("result teardown_s {}", start.elapsed().as_secs_f64());
        println!("result rss_after_teardown {}", MemStatus::read()?.rss);
    }
    // Exit without dropping the node: tearing down a million processes is
    // not what is measured here.
    use std::io::Write;
    let _ = std::io::stdout().flush();
    std::process::exit(0)
}

// -------------------------------------------------------------------- spawn

/// Spawn+exit throughput: one spawner.wat per scheduler, each spawning
/// `per_spawner` children on minimal.wat `quick`; timed from the first spawn
/// until every child has exited. Returns (spawns per second, mean time of
/// one spawn call in the spawners' loops).
fn warren_spawn(per_spawner: u32) -> Result<(f64, Duration)> {
    let node = new_node(DEFAULT_REDUCTIONS)?;
    load_file(&node, "minimal", &wat_file("minimal.wat"))?;
    let spawner = node.load("spawner", SPAWNER_WAT.as_bytes()).context("cannot load spawner.wat")?;
    let inbox = node.inbox();
    let base = node.process_count();
    let round = |m: u32| -> Result<(Duration, Duration)> {
        let start = Instant::now();
        let arg = spawner_arg(inbox.pid(), m, "minimal", "quick");
        let handles = (0..schedulers()).map(|_| spawn(&node, &spawner, "main", &arg)).collect::<Result<Vec<_>>>()?;
        let mut loop_time = Duration::ZERO;
        for report in reports(&inbox, &handles, handles.len(), "a spawner")? {
            let (elapsed, done, error) = spawner_report(&report)?;
            if error != 0 || done != m {
                bail!("a spawner spawned {done} of {m}, error code {error}");
            }
            loop_time += elapsed;
        }
        wait_until("every child to exit", PATIENCE, Duration::from_micros(100), || node.process_count() <= base)?;
        Ok((start.elapsed(), loop_time / (schedulers() as u32 * m)))
    };
    round(per_spawner / 10)?;
    let runs = (0..3).map(|_| round(per_spawner)).collect::<Result<Vec<_>>>()?;
    let (elapsed, call) = median(runs);
    let total = schedulers() as f64 * f64::from(per_spawner);
    Ok((total / elapsed.as_secs_f64(), call))
}

fn spawn_unit(bench: &mut Bench) {
    let per = SPAWNS_PER_SPAWNER;
    println!("  warren: {} spawners x {per} spawns of minimal.wat `quick` (median of 3)", schedulers());
    let (rate, call) = match warren_spawn(per) {
        Ok((rate, call)) => {
            println!("  warren: {rate:.0} spawns/s (spawn to exit), {:.3} µs per spawn call", call.as_secs_f64() * 1e6);
            (Some(rate), Some(call.as_secs_f64() * 1e6))
        }
        Err(error) => {
            bench.warren_failed("spawn", &error);
            (None, None)
        }
    };
    let erlang = bench.erlang(&["spawn", &per.to_string()]);
    let e_rate = erlang.as_ref().and_then(|f| figure(f, "spawn_per_s"));
    let e_call = erlang.as_ref().and_then(|f| figure(f, "spawn_call_ns")).map(|ns| ns / 1000.0);
    let total = schedulers() as u32 * per;
    bench.row(format!("spawn+exit throughput ({total} spawns)"), Unit::PerSecond, rate, e_rate, Some(1_000_000.0));
    bench.row("spawn latency (spawner loop time per spawn)", Unit::Micros, call, e_call, None);
}

// ----------------------------------------------------------------- pingpong

/// pingpong.wat: ns per round trip, timed from spawn to report.
fn warren_pingpong(rounds: u32) -> Result<f64> {
    let node = new_node(DEFAULT_REDUCTIONS)?;
    let module = load_file(&node, "pingpong", &wat_file("pingpong.wat"))?;
    timed_pinger(&node, &module, "main", rounds, &[])
}

/// Runs a pinger (`entry` of `module`, spawn argument `[reporter pid: i64]
/// [rounds: u32][extra]`) that reports once done: ns per round, median of 3
/// runs after a warm-up run.
fn timed_pinger(node: &Node, module: &LoadedModule, entry: &str, rounds: u32, extra: &[u8]) -> Result<f64> {
    let inbox = node.inbox();
    warm_median(rounds, |rounds| {
        let mut arg = inbox.pid().raw().to_le_bytes().to_vec();
        arg.extend_from_slice(&rounds.to_le_bytes());
        arg.extend_from_slice(extra);
        let start = Instant::now();
        let handle = spawn(node, module, entry, &arg)?;
        reports(&inbox, std::slice::from_ref(&handle), 1, "the pinger")?;
        Ok(start.elapsed().as_nanos() as f64 / f64::from(rounds))
    })
}

/// `once(rounds / 10)` as a warm-up, then the median of three `once(rounds)`.
fn warm_median(rounds: u32, once: impl Fn(u32) -> Result<f64>) -> Result<f64> {
    once(rounds / 10)?;
    let runs = (0..3).map(|_| once(rounds)).collect::<Result<Vec<_>>>()?;
    Ok(median(runs))
}

fn pingpong_unit(bench: &mut Bench) {
    println!(
        "  warren: pingpong.wat, {PINGPONG_ROUNDS} rounds (median of 3), {INTERLEAVED_ROUNDS} rounds with Erlang's"
    );
    let warren = |bench: &mut Bench| {
        [warren_pingpong(PINGPONG_ROUNDS)
            .inspect(|ns| println!("  warren: {ns:.0} ns per round trip"))
            .map_err(|e| bench.warren_failed("pingpong", &e))
            .ok()]
    };
    let ([warren], e) = bench.interleaved(warren, &["pingpong", &PINGPONG_ROUNDS.to_string()], "rtt_ns");
    bench.row(format!("pingpong round trip ({PINGPONG_ROUNDS} rounds)"), Unit::Nanos, warren, e, Some(600.0));
}

// --------------------------------------------------------------------- call

/// call.wat: ns per call round trip (`call` with a 4-byte request and no
/// timeout, answered by `reply` from a blocking-style server).
fn warren_call(rounds: u32) -> Result<f64> {
    let node = new_node(DEFAULT_REDUCTIONS)?;
    let module = node.load("call", CALL_WAT.as_bytes()).context("cannot load call.wat")?;
    timed_pinger(&node, &module, "main", rounds, &[])
}

fn call_unit(bench: &mut Bench) {
    println!(
        "  warren: call.wat, {PINGPONG_ROUNDS} calls (median of 3), {INTERLEAVED_ROUNDS} rounds with Erlang's \
         gen_server:call"
    );
    let warren = |bench: &mut Bench| {
        [warren_call(PINGPONG_ROUNDS)
            .inspect(|ns| println!("  warren: {ns:.0} ns per call"))
            .map_err(|e| bench.warren_failed("call", &e))
            .ok()]
    };
    let ([warren], e) = bench.interleaved(warren, &["call", &PINGPONG_ROUNDS.to_string()], "call_ns");
    // The target: at most Erlang's gen_server:call (ratio <= 1.0).
    bench.row(format!("call round trip ({PINGPONG_ROUNDS} calls)"), Unit::Nanos, warren, e, e);
}

// ---------------------------------------------------------------- selective

/// selective.wat: ns per round trip of a pinger whose every receive looks
/// past `queued` messages it does not want.
fn warren_selective(rounds: u32, queued: u32) -> Result<f64> {
    let node = new_node(DEFAULT_REDUCTIONS)?;
    let module = node.load("selective", SELECTIVE_WAT.as_bytes()).context("cannot load selective.wat")?;
    timed_pinger(&node, &module, "main", rounds, &queued.to_le_bytes())
}

fn selective_unit(bench: &mut Bench) {
    println!(
        "  warren: selective.wat, {SELECTIVE_ROUNDS} round trips past {SELECTIVE_QUEUED} queued messages \
         (median of 3), {INTERLEAVED_ROUNDS} rounds with Erlang's"
    );
    let warren = |bench: &mut Bench| {
        [warren_selective(SELECTIVE_ROUNDS, SELECTIVE_QUEUED)
            .inspect(|ns| println!("  warren: {ns:.0} ns per round trip"))
            .map_err(|e| bench.warren_failed("selective", &e))
            .ok()]
    };
    let args = ["selective", &SELECTIVE_ROUNDS.to_string(), &SELECTIVE_QUEUED.to_string()];
    let ([warren], e) = bench.interleaved(warren, &args, "rtt_ns");
    bench.row(
        format!("selective receive past {SELECTIVE_QUEUED} queued messages, round trip"),
        Unit::Nanos,
        warren,
        e,
        None,
    );
}

// ---------------------------------------------------------------- hibernate

/// hibernate.wat: ns per round trip from a blocking pinger to a handler-style
/// echo that hibernates after every message (`hibernating`) or not.
fn warren_hibernate_pingpong(rounds: u32, hibernating: bool) -> Result<f64> {
    let node = new_node(DEFAULT_REDUCTIONS)?;
    let module = node.load("hibernate", HIBERNATE_WAT.as_bytes()).context("cannot load hibernate.wat")?;
    timed_pinger(&node, &module, "ping", rounds, &u32::from(hibernating).to_le_bytes())
}

fn hibernate_unit(bench: &mut Bench) {
    println!("  warren: hibernate.wat, {HIBERNATE_ROUNDS} rounds (median of 3)");
    let mut warren = |hibernating: bool| {
        warren_hibernate_pingpong(HIBERNATE_ROUNDS, hibernating)
            .inspect(|ns| println!("  warren: {ns:.0} ns per round trip (hibernating: {hibernating})"))
            .map_err(|e| bench.warren_failed("hibernate", &e))
            .ok()
    };
    let (idle, hibernating) = (warren(false), warren(true));
    let erlang = bench.erlang(&["hibernate", &HIBERNATE_ROUNDS.to_string()]);
    let e = |key: &str| erlang.as_ref().and_then(|f| figure(f, key));
    bench.row("round trip to an idle handler-style process", Unit::Nanos, idle, e("plain_rtt_ns"), None);
    bench.row("round trip to a hibernating process (wakes each time)", Unit::Nanos, hibernating, e("rtt_ns"), None);
}

// --------------------------------------------------------------------- ring

/// ring.wat: ns per hop, timed from spawn to report (ring set-up included);
/// the nodes wait in `receive`, or are handler style if `handlers`.
fn warren_ring(size: u32, rounds: u32, handlers: bool) -> Result<f64> {
    let node = new_node(DEFAULT_REDUCTIONS)?;
    let module = load_file(&node, "ring", &wat_file("ring.wat"))?;
    let inbox = node.inbox();
    let once = |rounds: u32| -> Result<f64> {
        let mut arg = size.to_le_bytes().to_vec();
        arg.extend_from_slice(&inbox.pid().raw().to_le_bytes());
        arg.extend_from_slice(&rounds.to_le_bytes());
        arg.extend_from_slice(&u32::from(handlers).to_le_bytes());
        let start = Instant::now();
        let handle = spawn(&node, &module, "main", &arg)?;
        let report = reports(&inbox, std::slice::from_ref(&handle), 1, "the ring")?;
        let elapsed = start.elapsed();
        let hops = u64_at(&report[0].data, 0)?;
        if hops != u64::from(size) * u64::from(rounds) {
            bail!("the ring reported {hops} hops, expected {}", u64::from(size) * u64::from(rounds));
        }
        Ok(elapsed.as_nanos() as f64 / hops as f64)
    };
    warm_median(rounds, once)
}

/// The ring's shape: `WARREN_BENCH_RING=SIZE,ROUNDS` (a diagnostic: how the
/// cost per hop grows with the number of processes), else the target's.
fn ring_shape() -> (u32, u32) {
    let Ok(raw) = std::env::var("WARREN_BENCH_RING") else { return (RING_SIZE, RING_ROUNDS) };
    let parsed = raw.split_once(',').and_then(|(s, r)| Some((s.trim().parse().ok()?, r.trim().parse().ok()?)));
    match parsed {
        Some((size, rounds)) if size > 0 && rounds > 0 => (size, rounds),
        _ => {
            eprintln!("WARREN_BENCH_RING={raw:?} is not SIZE,ROUNDS; using {RING_SIZE},{RING_ROUNDS}");
            (RING_SIZE, RING_ROUNDS)
        }
    }
}

fn ring_unit(bench: &mut Bench) {
    let (size, rounds) = ring_shape();
    ring_rows(bench, size, rounds, Some(300.0));
}

/// A ring ten times larger than the target's: its processes' memory no
/// longer fits in the caches, and a handler-style process whose stack was
/// released between messages pays for it at every hop.
fn large_ring_unit(bench: &mut Bench) {
    ring_rows(bench, LARGE_RING_SIZE, LARGE_RING_ROUNDS, None);
}

/// The ring's rows for one shape, both styles, against Erlang's ring.
fn ring_rows(bench: &mut Bench, size: u32, rounds: u32, target: Option<f64>) {
    println!(
        "  warren: ring.wat, {size} processes x {rounds} rounds (median of 3), {INTERLEAVED_ROUNDS} rounds with Erlang's"
    );
    let warren = |bench: &mut Bench| {
        [false, true].map(|handlers| {
            let style = if handlers { "handler style" } else { "waiting in receive" };
            warren_ring(size, rounds, handlers)
                .inspect(|ns| println!("  warren: {ns:.0} ns per hop ({style})"))
                .map_err(|e| bench.warren_failed(&format!("ring ({style})"), &e))
                .ok()
        })
    };
    let ([receiving, handlers], e) =
        bench.interleaved(warren, &["ring", &size.to_string(), &rounds.to_string()], "hop_ns");
    bench.row(format!("ring hop ({size} procs x {rounds} rounds)"), Unit::Nanos, receiving, e, target);
    bench.row(format!("ring hop, handler-style nodes ({size} procs)"), Unit::Nanos, handlers, e, None);
}

// ----------------------------------------------------------------- fairness

/// Round-trip latency percentiles, ns.
#[derive(Clone, Copy, Debug)]
struct Latency {
    p50: f64,
    p99: f64,
    max: f64,
}

/// The sample at quantile `q` of sorted `samples` (nearest rank, as the
/// Erlang side computes it).
fn percentile(sorted: &[u64], q: f64) -> f64 {
    let rank = ((q * sorted.len() as f64).round() as usize).clamp(1, sorted.len());
    sorted[rank - 1] as f64
}

/// fair.wat `ping` with `busy` busy.wat loops running, at `reductions` per
/// slice.
fn warren_latency(reductions: u64, busy: usize, rounds: u32) -> Result<Latency> {
    let node = new_node(reductions)?;
    let fair = node.load("fair", FAIR_WAT.as_bytes()).context("cannot load fair.wat")?;
    let busy_module = load_file(&node, "busy", &wat_file("busy.wat"))?;
    let inbox = node.inbox();
    let _busy = (0..busy).map(|_| spawn(&node, &busy_module, "main", b"")).collect::<Result<Vec<_>>>()?;
    std::thread::sleep(Duration::from_millis(50));
    let mut arg = inbox.pid().raw().to_le_bytes().to_vec();
    arg.extend_from_slice(&rounds.to_le_bytes());
    let handle = spawn(&node, &fair, "ping", &arg)?;
    let report = reports(&inbox, std::slice::from_ref(&handle), 1, "the pinger")?;
    let data = &report[0].data;
    if data.len() != rounds as usize * 8 {
        bail!("the pinger sent {} bytes of samples, expected {}", data.len(), rounds as usize * 8);
    }
    let mut samples: Vec<u64> = data
        .chunks_exact(8)
        .skip(rounds as usize / 10)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
        .collect();
    samples.sort_unstable();
    Ok(Latency {
        p50: percentile(&samples, 0.50),
        p99: percentile(&samples, 0.99),
        max: samples.last().copied().unwrap_or(0) as f64,
    })
}

/// fair.wat `work`, alone on a node of `schedulers` threads: (elapsed, fuel
/// used).
fn warren_work(schedulers: usize, reductions: u64, iterations: u64) -> Result<(Duration, u64)> {
    let node = new_node_with(schedulers, reductions)?;
    let fair = node.load("fair", FAIR_WAT.as_bytes()).context("cannot load fair.wat")?;
    let inbox = node.inbox();
    let mut arg = inbox.pid().raw().to_le_bytes().to_vec();
    arg.extend_from_slice(&iterations.to_le_bytes());
    let handle = spawn(&node, &fair, "work", &arg)?;
    let report = reports(&inbox, std::slice::from_ref(&handle), 1, "the worker")?;
    let elapsed = Duration::from_nanos(u64_at(&report[0].data, 0)?);
    // `work` waits in receive after reporting, and records its reductions
    // when it starts to wait.
    let mut fuel = 0;
    wait_until("the worker's reductions", Duration::from_secs(10), Duration::from_millis(1), || {
        fuel = node.reductions(handle.pid()).unwrap_or(0);
        fuel > 0
    })?;
    Ok((elapsed, fuel))
}

fn fairness_unit(bench: &mut Bench) {
    let rounds = FAIRNESS_ROUNDS;
    let erlang = bench.erlang(&["fairness", &rounds.to_string()]);
    let e = |k: &str| erlang.as_ref().and_then(|f| figure(f, k));
    println!(
        "  warren: fair.wat ping-pong, {rounds} timed round trips (first 10% dropped), alone and with {} busy.wat loops",
        schedulers()
    );
    for reductions in FAIRNESS_REDUCTIONS {
        for busy in [0, schedulers()] {
            let what = if busy == 0 { "alone" } else { "with busy loops" };
            let latency = match warren_latency(reductions, busy, rounds) {
                Ok(l) => {
                    println!(
                        "  warren R={reductions:>6} {what:>15}: p50 {:>8.0} ns, p99 {:>8.0} ns, max {:>10.0} ns",
                        l.p50, l.p99, l.max
                    );
                    Some(l)
                }
                Err(error) => {
                    bench.warren_failed(&format!("fairness R={reductions} {what}"), &error);
                    None
                }
            };
            let prefix = if busy == 0 { "idle" } else { "busy" };
            for (q, get) in [("p50", (|l: Latency| l.p50) as fn(Latency) -> f64), ("p99", |l: Latency| l.p99)] {
                bench.row(
                    format!("fairness RTT {q}, {what}, R={reductions}"),
                    Unit::Nanos,
                    latency.map(get),
                    e(&format!("{prefix}_{q}_ns")),
                    None,
                );
            }
        }
    }
    // The other side of the trade-off: what preemption costs a busy process,
    // on the bench's node and on a node of one scheduler (no idle sibling
    // thread to wake at each preemption).
    let mut counts = vec![schedulers()];
    if schedulers() != 1 {
        counts.push(1);
    }
    for threads in counts {
        preemption_rows(bench, threads);
    }
}

/// Times fair.wat `work` alone at each slice size against the same work
/// never preempted, on a node of `threads` schedulers.
fn preemption_rows(bench: &mut Bench, threads: usize) {
    let on = if threads == 1 { "1 scheduler".to_string() } else { format!("{threads} schedulers") };
    println!("  warren: fair.wat `work` ({WORK_ITERATIONS} iterations) alone on {on}, per slice size (median of 3)");
    let unlimited =
        (0..3).map(|_| warren_work(threads, u64::MAX >> 2, WORK_ITERATIONS)).collect::<Result<Vec<_>>>().map(median);
    match &unlimited {
        Ok((t, fuel)) => println!(
            "  warren: no preemption: {:.1} ms, {fuel} fuel ({:.3} ns per fuel unit)",
            t.as_secs_f64() * 1e3,
            t.as_nanos() as f64 / *fuel as f64
        ),
        Err(error) => bench.warren_failed(&format!("work without preemption on {on}"), error),
    }
    for reductions in FAIRNESS_REDUCTIONS {
        let runs = (0..3).map(|_| warren_work(threads, reductions, WORK_ITERATIONS)).collect::<Result<Vec<_>>>();
        let (overhead, slice) = match (runs, &unlimited) {
            (Ok(runs), Ok((base, fuel))) => {
                let (t, _) = median(runs);
                let yields = *fuel as f64 / reductions as f64;
                let overhead = (t.as_secs_f64() / base.as_secs_f64() - 1.0) * 100.0;
                let per_yield = (t.as_nanos() as f64 - base.as_nanos() as f64) / yields;
                let slice_us = base.as_secs_f64() * 1e6 / yields;
                println!(
                    "  warren R={reductions:>6}: {:.1} ms, {overhead:+.2}% vs no preemption ({yields:.0} yields, ~{per_yield:.0} ns per yield); a slice is ~{slice_us:.2} µs of this loop",
                    t.as_secs_f64() * 1e3
                );
                (Some(overhead), Some(slice_us))
            }
            (Err(error), _) => {
                bench.warren_failed(&format!("work R={reductions} on {on}"), &error);
                (None, None)
            }
            (Ok(_), Err(_)) => (None, None),
        };
        bench.row(
            format!("preemption overhead on busy work, {on}, R={reductions}"),
            Unit::Percent,
            overhead,
            None,
            None,
        );
        if threads == schedulers() {
            bench.row(format!("time slice length (busy loop), R={reductions}"), Unit::Micros, slice, None, None);
        }
    }
}
