//! Every guest language side by side (issue 27): WAT, Rust, C, Zig and
//! AssemblyScript, each measured the same way on the same node, with
//! Erlang/OTP in the same run where a measure has an Erlang counterpart.
//!
//! ```text
//! cargo bench --bench languages                          # every unit
//! cargo bench --bench languages -- memory                # units whose name contains "memory"
//! WARREN_BENCH_SCALE=0.05 cargo bench --bench languages  # sizes x 0.05 (a quick check)
//! ```
//!
//! Units, one row per language each:
//! - `size`: bytes of the language's echo example (`.wasm`; WAT's text
//!   compiled by the `wat` crate). No Erlang column.
//! - `spawn`: spawn+exit rate: the host spawns N processes on the
//!   language's smallest entry that returns at once (`quick`), then waits
//!   for every exit (each must be normal). Erlang: `spawn_monitor` of a fun
//!   that returns, then every `'DOWN'`.
//! - `memory-blocking`, `memory-handler`, `memory-hibernated`: resident
//!   bytes per idle process, measured in a child process (this binary with
//!   `WARREN_LANGUAGES_CHILD` set, as benches/otp.rs does): the RSS growth
//!   while the host spawns N processes and each settles (all waiting, or
//!   all hibernated: checked, not assumed), divided by N. Blocking style:
//!   the language's echo waiting in `receive`; handler style: a handler
//!   installed and no call in flight; hibernated: a handler-style process
//!   that hibernated (where it hibernates only after a message, the host
//!   sends each one first). Erlang: a process blocked in `receive`, and
//!   one in `erlang:hibernate/3`. A style a language's guests lack reads
//!   n/a; each row names the module and entry it measures.
//! - `call`: round trip of a call `{add, 1}` (docs/ABI.md "Calls") to the
//!   language's counter, host-driven: `Node::call` timed with an `Instant`
//!   (no guest-side client loop exists in every language; the host drives
//!   all of them alike), the mean over N calls after 1,000 to warm up; the
//!   replies must count up. Erlang: `gen_server:call` to a counter
//!   gen_server, from an Erlang process.
//!
//! The Erlang side is `benches/erlang/languages_bench.erl` (a fresh VM per
//! workload, default flags, one scheduler per core). Without Erlang its
//! column reads n/a. Warren runs on 2 scheduler threads
//! (`WARREN_BENCH_SCHEDULERS`). The ratio is Warren's cost divided by
//! Erlang's (for a rate, Erlang's rate divided by Warren's): below 1.0
//! Warren is better.

#[path = "../src/allocator.rs"]
mod allocator;
#[path = "support/report.rs"]
#[allow(dead_code)] // this runner has no use for every helper
mod report;
#[path = "support/side_by_side.rs"]
#[allow(dead_code)] // nor for every unit of measure (no milliseconds here)
mod side_by_side;

use anyhow::{Context, Result, anyhow, bail};
use side_by_side::{Bench, Section, Unit, child_figure, rss, run_child_if_asked, run_units};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use warren_host::term::{self, Term};
use warren_host::{LoadedModule, Node, NodeConfig, ProcessKind, ProcessStatus};
use warren_test_artifacts as artifacts;

const SPAWNS: u64 = 50_000;
const PROCESSES: u64 = 20_000;
const CALLS: u64 = 50_000;
/// Calls before the timed ones (on both sides).
const WARMUP_CALLS: u64 = 1_000;
/// Longest wait for anything: a bound against hangs only.
const PATIENCE: Duration = Duration::from_secs(600);
/// The child's variable: `LANGUAGE STYLE N`.
const CHILD_VAR: &str = "WARREN_LANGUAGES_CHILD";

/// The C and Rust SDKs' cast tag (`warren_tag_cast` in guests/c/warren.h).
const TAG_CAST: i64 = 0x5741_5252_454E_0001;

// ------------------------------------------------------------- the guests

/// A module: a `.wasm` file, or a WAT file under guests/wat.
#[derive(Clone, Copy)]
enum Module {
    Wasm(&'static str),
    Wat(&'static str),
}

impl Module {
    fn path(self) -> PathBuf {
        match self {
            Module::Wasm(path) => PathBuf::from(path),
            Module::Wat(name) => Path::new(env!("CARGO_MANIFEST_DIR")).join("guests/wat").join(name),
        }
    }

    fn file_name(self) -> String {
        self.path().file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    }

    /// Bytes of its wasm binary.
    fn wasm_size(self) -> Result<u64> {
        let path = self.path();
        match self {
            Module::Wasm(_) => Ok(std::fs::metadata(&path).with_context(|| format!("{}", path.display()))?.len()),
            Module::Wat(_) => Ok(wat::parse_file(&path).with_context(|| format!("{}", path.display()))?.len() as u64),
        }
    }
}

/// What a process is spawned with, besides its module and entry.
#[derive(Clone, Copy)]
enum Arg {
    Empty,
    /// A pid, i64 LE (the host inbox's: a process that answers to it
    /// never does here).
    Pid,
}

/// A message the host sends each process after spawning it (from the
/// host's own pid, so echoes and replies are dropped).
#[derive(Clone, Copy)]
enum Poke {
    /// Bytes under a tag.
    Bytes(i64, &'static [u8]),
    /// The term `{add, 0}` as a cast (tag [`TAG_CAST`]).
    CastAddZero,
}

/// A process to spawn: module, entry, argument, and what to send it.
#[derive(Clone, Copy)]
struct Entry {
    module: Module,
    entry: &'static str,
    arg: Arg,
    poke: Option<Poke>,
}

const fn entry(module: Module, entry: &'static str) -> Entry {
    Entry { module, entry, arg: Arg::Empty, poke: None }
}

impl Entry {
    fn with_arg(self, arg: Arg) -> Entry {
        Entry { arg, ..self }
    }

    fn poked(self, poke: Poke) -> Entry {
        Entry { poke: Some(poke), ..self }
    }

    fn label(&self) -> String {
        format!("{} `{}`", self.module.file_name(), self.entry)
    }
}

/// One language's guests for each measure (`None`: it has none).
struct Language {
    name: &'static str,
    /// Its echo example(s).
    echo: Vec<Module>,
    quick: Entry,
    blocking: Option<Entry>,
    handler: Option<Entry>,
    hibernated: Option<Entry>,
    counter: Option<Entry>,
}

fn languages() -> Vec<Language> {
    use Module::{Wasm, Wat};
    let wat_minimal = Wat("minimal.wat");
    let rust_minimal = Wasm(artifacts::MINIMAL);
    let zig_echo = Wasm(artifacts::ZIG_ECHO);
    vec![
        Language {
            name: "WAT",
            // pingpong.wat's `pong` is WAT's echo.
            echo: vec![Wat("pingpong.wat")],
            quick: entry(wat_minimal, "quick"),
            blocking: Some(entry(Wat("pingpong.wat"), "pong")),
            handler: Some(entry(wat_minimal, "idle")),
            hibernated: Some(entry(wat_minimal, "sleep")),
            counter: None,
        },
        Language {
            name: "Rust",
            // sdk-pingpong's `pong` is the Rust SDK's echo.
            echo: vec![Wasm(artifacts::SDK_PINGPONG)],
            quick: entry(rust_minimal, "quick"),
            blocking: Some(entry(Wasm(artifacts::SDK_PINGPONG), "pong").with_arg(Arg::Pid)),
            handler: Some(entry(rust_minimal, "idle_main")),
            hibernated: Some(entry(rust_minimal, "sleep_main")),
            counter: Some(entry(Wasm(artifacts::EXAMPLE_COUNTER), "counter_server")),
        },
        Language {
            name: "C",
            echo: vec![Wasm(artifacts::C_ECHO), Wasm(artifacts::C_ECHO_SERVER)],
            quick: entry(Wasm(artifacts::C_ECHO_SERVER), "quick"),
            // echo.c's child, waiting for its one message.
            blocking: Some(entry(Wasm(artifacts::C_ECHO), "child").with_arg(Arg::Pid)),
            handler: Some(entry(Wasm(artifacts::C_ECHO_SERVER), "echo_server")),
            // The C counter hibernates after a cast.
            hibernated: Some(entry(Wasm(artifacts::C_COUNTER), "counter").poked(Poke::CastAddZero)),
            counter: Some(entry(Wasm(artifacts::C_COUNTER), "counter")),
        },
        Language {
            name: "Zig",
            echo: vec![zig_echo],
            quick: entry(zig_echo, "quick"),
            blocking: Some(entry(zig_echo, "main")),
            handler: Some(entry(zig_echo, "serve")),
            // `serve` hibernates after each message it echoes.
            hibernated: Some(entry(zig_echo, "serve").poked(Poke::Bytes(1, b"x"))),
            counter: Some(entry(Wasm(artifacts::ZIG_COUNTER), "main")),
        },
        Language {
            name: "AssemblyScript",
            echo: vec![Wasm(artifacts::AS_ECHO)],
            quick: entry(Wasm(artifacts::AS_ECHO), "quick"),
            blocking: Some(entry(Wasm(artifacts::AS_ECHO), "main")),
            // counter.ts hibernates as soon as it installs its handler: no
            // AssemblyScript guest idles handler-style unhibernated.
            handler: None,
            hibernated: Some(entry(Wasm(artifacts::AS_COUNTER), "main")),
            counter: Some(entry(Wasm(artifacts::AS_COUNTER), "main")),
        },
    ]
}

// ------------------------------------------------------------------ units

fn main() {
    run_child_if_asked(CHILD_VAR, child_main);
    let units: &[(&str, Section)] = &[
        ("size", size_unit),
        ("spawn", spawn_unit),
        ("memory-blocking", |b| memory_unit(b, Style::Blocking)),
        ("memory-handler", |b| memory_unit(b, Style::Handler)),
        ("memory-hibernated", |b| memory_unit(b, Style::Hibernated)),
        ("call", call_unit),
    ];
    let mut bench = Bench::new("languages_bench.erl", schedulers());
    if scale() != 1.0 {
        println!("WARREN_BENCH_SCALE={}: every size is scaled", scale());
    }
    run_units(&mut bench, units, |_| ());
}

fn size_unit(bench: &mut Bench) -> Result<()> {
    let mut failed = Ok(());
    for language in languages() {
        for module in &language.echo {
            let size = module.wasm_size();
            if let Ok(bytes) = &size {
                println!("  {} {}: {bytes} bytes", language.name, module.file_name());
            }
            let name = format!("echo module size, {}: {} (bytes)", language.name, module.file_name());
            failed = failed.and(bench.row(name, Unit::Bytes, size.map(|b| b as f64), None));
        }
    }
    failed
}

fn spawn_unit(bench: &mut Bench) -> Result<()> {
    let n = scaled(SPAWNS);
    let erlang = bench.erlang(&["spawn", &n.to_string()]).and_then(|f| f.get("spawn_per_s").copied());
    let mut failed = Ok(());
    for language in languages() {
        let quick = language.quick;
        let rate = spawn_rate(&quick, n);
        if let Ok(rate) = &rate {
            println!("  {} spawn_per_s = {rate:.0}", language.name);
        }
        let name = format!("spawn+exit, {}: {}, {n} processes (processes/s)", language.name, quick.label());
        failed = failed.and(bench.row(name, Unit::PerSecond, rate, erlang));
    }
    failed
}

/// Processes per second: `n` spawned on `quick` by the host, from the
/// first spawn until the last has exited (each normally).
fn spawn_rate(quick: &Entry, n: u64) -> Result<f64> {
    let node = node()?;
    let module = load(&node, quick.module)?;
    let arg = spawn_arg(quick.arg, &node);
    let mut handles = Vec::with_capacity(n as usize);
    let start = Instant::now();
    for _ in 0..n {
        handles.push(node.spawn(&module, quick.entry, &arg).with_context(|| format!("spawn {}", quick.label()))?);
    }
    for handle in &handles {
        let reason = handle.wait_timeout(PATIENCE).ok_or_else(|| anyhow!("{} still runs", handle.pid()))?;
        if !reason.is_normal() {
            bail!("{} exited {reason:?}", quick.label());
        }
    }
    Ok(n as f64 / start.elapsed().as_secs_f64())
}

#[derive(Clone, Copy)]
enum Style {
    Blocking,
    Handler,
    Hibernated,
}

impl Style {
    fn word(self) -> &'static str {
        match self {
            Style::Blocking => "blocking",
            Style::Handler => "handler",
            Style::Hibernated => "hibernated",
        }
    }

    fn of(self, language: &Language) -> Option<Entry> {
        match self {
            Style::Blocking => language.blocking,
            Style::Handler => language.handler,
            Style::Hibernated => language.hibernated,
        }
    }
}

fn memory_unit(bench: &mut Bench, style: Style) -> Result<()> {
    let n = scaled(PROCESSES);
    let erlang_kind = match style {
        Style::Blocking => Some("idle"),
        Style::Handler => None, // Erlang has no handler style: see the notes
        Style::Hibernated => Some("hibernate"),
    };
    let erlang = erlang_kind
        .and_then(|kind| bench.erlang(&[kind, &n.to_string()]))
        .and_then(|f| f.get("process_bytes").copied());
    let mut failed = Ok(());
    for language in languages() {
        let Some(guest) = style.of(&language) else {
            let name = format!("idle process, {} style, {}: no such guest (bytes)", style.word(), language.name);
            let _ = bench.row(name, Unit::Bytes, Err(anyhow!("none")), erlang);
            continue;
        };
        let bytes = memory_in_child(language.name, style, n);
        if let Ok(bytes) = &bytes {
            println!("  {} {} process_bytes = {bytes:.1}", language.name, style.word());
        }
        let what = match style {
            Style::Hibernated => "hibernated process".to_string(),
            _ => format!("idle process, {} style", style.word()),
        };
        let name = format!("{what}, {}: {}, {n} processes (bytes)", language.name, guest.label());
        failed = failed.and(bench.row(name, Unit::Bytes, bytes, erlang));
    }
    failed
}

/// Resident bytes per process of `language`'s `style`, measured by a child.
fn memory_in_child(language: &str, style: Style, n: u64) -> Result<f64> {
    child_figure(CHILD_VAR, &format!("{language} {} {n}", style.word()), "process_bytes")
}

/// The child: RSS growth while the host spawns `n` processes of one
/// language's style and they settle.
fn child_main(spec: &str) -> Result<()> {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let [language, style, n] = words.as_slice() else { bail!("unknown child spec") };
    let n: u64 = n.parse().context("a process count")?;
    let style = [Style::Blocking, Style::Handler, Style::Hibernated]
        .into_iter()
        .find(|s| s.word() == *style)
        .ok_or_else(|| anyhow!("unknown style {style}"))?;
    let languages = languages();
    let language = languages.iter().find(|l| l.name == *language).ok_or_else(|| anyhow!("unknown {language}"))?;
    let guest = style.of(language).ok_or_else(|| anyhow!("{} has no {} guest", language.name, style.word()))?;
    let node = node()?;
    let module = load(&node, guest.module)?;
    let arg = spawn_arg(guest.arg, &node);
    let poke = guest.poke.map(poke_bytes).transpose()?;
    std::thread::sleep(Duration::from_millis(200));
    let base = node.process_count();
    let before = rss()?;
    for _ in 0..n {
        // The handle is dropped at once (the process lives on): holding
        // n of them would count here.
        let pid = node.spawn(&module, guest.entry, &arg).with_context(|| format!("spawn {}", guest.label()))?.pid();
        if let Some((tag, bytes)) = &poke {
            node.send(pid, *tag, bytes);
        }
    }
    settle(&node, base, n as usize, style)?;
    std::thread::sleep(Duration::from_millis(500));
    let after = rss()?;
    // Still all there, still settled.
    settle(&node, base, n as usize, style)?;
    println!("result process_bytes {}", (after as f64 - before as f64) / n as f64);
    // Exit without tearing down the node: that is not what is measured.
    use std::io::Write;
    let _ = std::io::stdout().flush();
    std::process::exit(0)
}

/// Waits until all `n` guest processes (the node's processes beyond the
/// `base` it had before) are alive and waiting for a message
/// (hibernated, for that style); fails if one ended or if they never do.
fn settle(node: &Node, base: usize, n: usize, style: Style) -> Result<()> {
    let wanted = match style {
        Style::Hibernated => ProcessStatus::Hibernated,
        _ => ProcessStatus::Waiting,
    };
    let deadline = Instant::now() + PATIENCE;
    loop {
        let alive = node.process_count().saturating_sub(base);
        if alive < n {
            bail!("{} of {n} processes ended before they settled", n - alive);
        }
        let mut settled = 0usize;
        node.visit_processes(|process| {
            settled += usize::from(process.kind == ProcessKind::Wasm && process.status == wanted);
        });
        if settled == n {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{} processes never settled ({})", n.saturating_sub(settled), style.word());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn call_unit(bench: &mut Bench) -> Result<()> {
    let n = scaled(CALLS);
    let erlang = bench.erlang(&["call", &n.to_string()]).and_then(|f| f.get("call_ns").copied());
    let mut failed = Ok(());
    for language in languages() {
        let Some(counter) = language.counter else {
            let name = format!("call round trip {{add, 1}}, {}: no counter guest (ns)", language.name);
            let _ = bench.row(name, Unit::Nanos, Err(anyhow!("none")), erlang);
            continue;
        };
        let ns = call_ns(&counter, n);
        if let Ok(ns) = &ns {
            println!("  {} call_ns = {ns:.1}", language.name);
        }
        let name = format!(
            "call round trip {{add, 1}}, {}: {}, host Node::call + Instant, {n} calls (ns)",
            language.name,
            counter.label()
        );
        failed = failed.and(bench.row(name, Unit::Nanos, ns, erlang));
    }
    failed
}

/// Mean ns of a host `Node::call` `{add, 1}` to a fresh `counter`, over
/// `n` calls after [`WARMUP_CALLS`]; each reply must be the count so far.
fn call_ns(counter: &Entry, n: u64) -> Result<f64> {
    let node = node()?;
    let module = load(&node, counter.module)?;
    let process = node.spawn(&module, counter.entry, &spawn_arg(counter.arg, &node))?;
    let request = term::encode(&Term::tuple([Term::atom("add"), Term::Integer(1)]))?;
    let call = |expected: u64| -> Result<()> {
        let reply = node.call(process.pid(), &request, PATIENCE).map_err(|e| anyhow!("{}: {e}", counter.label()))?;
        let reply = term::decode(&reply).map_err(|e| anyhow!("{}: the reply is no term: {e}", counter.label()))?;
        if count_of(&reply) != Some(expected as i64) {
            bail!("{}: call {expected} replied {reply:?}", counter.label());
        }
        Ok(())
    };
    for i in 1..=WARMUP_CALLS {
        call(i)?;
    }
    let start = Instant::now();
    for i in 1..=n {
        call(WARMUP_CALLS + i)?;
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    Ok(ns)
}

/// The count in a counter's reply: `N`, or `{ok, N}` (the Zig counter's).
fn count_of(reply: &Term) -> Option<i64> {
    match reply {
        Term::Integer(n) => Some(*n),
        Term::Tuple(items) => match items.as_slice() {
            [ok, Term::Integer(n)] if ok.as_atom() == Some("ok") => Some(*n),
            _ => None,
        },
        _ => None,
    }
}

// -------------------------------------------------------------- plumbing

fn schedulers() -> usize {
    std::env::var("WARREN_BENCH_SCHEDULERS").ok().and_then(|s| s.parse().ok()).filter(|&n| n > 0).unwrap_or(2)
}

/// `WARREN_BENCH_SCALE` (default 1): every size is multiplied by it.
fn scale() -> f64 {
    std::env::var("WARREN_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).filter(|&s: &f64| s > 0.0).unwrap_or(1.0)
}

fn scaled(n: u64) -> u64 {
    ((n as f64 * scale()).round() as u64).max(10)
}

fn node() -> Result<Node> {
    Ok(Node::new(NodeConfig::default().schedulers(schedulers()))?)
}

fn load(node: &Node, module: Module) -> Result<LoadedModule> {
    let path = module.path();
    node.load_file(&path).with_context(|| format!("{} does not load", path.display()))
}

/// The spawn argument `arg` stands for, on `node`.
fn spawn_arg(arg: Arg, node: &Node) -> Vec<u8> {
    match arg {
        Arg::Empty => Vec::new(),
        // The inbox is dropped: the pid names no one, and nothing is sent to it.
        Arg::Pid => node.inbox().pid().raw().to_le_bytes().to_vec(),
    }
}

fn poke_bytes(poke: Poke) -> Result<(i64, Vec<u8>)> {
    Ok(match poke {
        Poke::Bytes(tag, bytes) => (tag, bytes.to_vec()),
        Poke::CastAddZero => (TAG_CAST, term::encode(&Term::tuple([Term::atom("add"), Term::Integer(0)]))?),
    })
}
