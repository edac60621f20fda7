//! What the side-by-side benchmarks share (each includes this file beside
//! `report.rs`): the Erlang side run as an escript per workload, with a
//! bound on its time; measurements in a child run of the benchmark; the
//! table of rows with Warren's figure, Erlang's and their ratio; the RSS of
//! this process.
//!
//! `WARREN_BENCH_ROUNDS=N` runs every selected unit N times (Erlang's run
//! and Warren's alternate within each unit), and the table gives each
//! side's median and the median of the rounds' ratios with their range: a
//! machine whose speed moves by tens of percent between minutes moves both
//! sides of a round together, so a round's ratio is steadier than either
//! figure.

use super::report;
use anyhow::{Context, Result, anyhow, bail};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Longest an Erlang run (or any command run through [`run_bounded`]) may
/// take: a bound against hangs only.
pub const PATIENCE: Duration = Duration::from_secs(600);

/// VmRSS of this process, in bytes.
pub fn rss() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).ok_or_else(|| anyhow!("no VmRSS"))?;
    let kb: u64 = line.split_whitespace().nth(1).ok_or_else(|| anyhow!("bad VmRSS line"))?.parse()?;
    Ok(kb * 1024)
}

/// Runs `command` (stdin empty, stderr inherited) and returns its stdout;
/// fails if it fails, or has not exited after `PATIENCE` (it is killed).
pub fn run_bounded(command: &mut Command) -> Result<String> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot run {:?}", command.get_program()))?;
    let mut stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout pipe"))?;
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut text).map(|_| text)
    });
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().context("cannot wait for the child")? {
            break status;
        }
        if Instant::now() > deadline {
            // Ends the process this function started (by its own handle).
            let _ = child.kill();
            let _ = child.wait();
            bail!("still running after {PATIENCE:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = reader.join().map_err(|_| anyhow!("the stdout reader panicked"))?.context("cannot read stdout")?;
    if !status.success() {
        bail!("failed: {status}");
    }
    Ok(text)
}

// ------------------------------------------------------------------ table

#[derive(Clone, Copy, PartialEq)]
pub enum Unit {
    Nanos,
    Millis,
    PerSecond,
    Bytes,
}

impl Unit {
    fn is_rate(self) -> bool {
        self == Unit::PerSecond
    }

    fn format(self, value: f64) -> String {
        match self {
            Unit::PerSecond => report::group_thousands(value.round() as u64),
            Unit::Nanos | Unit::Bytes | Unit::Millis if value >= 100.0 => report::group_thousands(value.round() as u64),
            _ => format!("{value:.1}"),
        }
    }
}

struct Row {
    /// The run of the units it was measured in (see [`rounds`]).
    round: usize,
    name: String,
    unit: Unit,
    warren: Option<f64>,
    erlang: Option<f64>,
}

/// A unit: measures, prints, and adds rows to the table.
pub type Section = fn(&mut Bench) -> Result<()>;

/// When this process is a child run (the variable `var` is set, to its
/// spec), runs `child` with the spec and exits: 0 if it succeeded, 1 if not.
pub fn run_child_if_asked(var: &str, child: fn(&str) -> Result<()>) {
    let Ok(spec) = std::env::var(var) else { return };
    match child(&spec) {
        Ok(()) => std::process::exit(0),
        Err(error) => {
            eprintln!("child {spec:?}: {error:#}");
            std::process::exit(1);
        }
    }
}

/// Runs this benchmark's executable again as a child, with the variable
/// `var` set to `spec` (see [`run_child_if_asked`]), bounded as
/// [`run_bounded`], and returns the figure `key` it printed (a
/// `result KEY VALUE` line): a measurement that needs an address space of
/// its own (a clean RSS baseline).
pub fn child_figure(var: &str, spec: &str, key: &str) -> Result<f64> {
    let exe = std::env::current_exe().context("cannot find this benchmark's executable")?;
    let stdout = run_bounded(Command::new(exe).env(var, spec)).context("the child")?;
    let figures = report::parse_results(&stdout);
    figures.get(key).copied().ok_or_else(|| anyhow!("the child printed no {key}"))
}

/// How many times the units run: `WARREN_BENCH_ROUNDS` (1 when unset or
/// not a positive number).
pub fn rounds() -> usize {
    std::env::var("WARREN_BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(1)
}

/// Runs the units the command line selects (a unit is selected by a filter
/// its name contains; all of them with no filter), each while the value
/// `guard(name)` returns is alive, [`rounds`] times over, then prints the
/// table. Exits 2 when no unit matches.
pub fn run_units<G>(bench: &mut Bench, units: &[(&'static str, Section)], guard: impl Fn(&'static str) -> G) {
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let selected = |unit: &str| filters.is_empty() || filters.iter().any(|f| unit.contains(f.as_str()));
    let rounds = rounds();
    let mut ran = 0;
    for round in 0..rounds {
        bench.round = round;
        for &(name, run) in units {
            if selected(name) {
                match rounds {
                    1 => println!("\n=== {name} ==="),
                    _ => println!("\n=== {name} (round {} of {rounds}) ===", round + 1),
                }
                let guard = guard(name);
                let outcome = run(bench);
                drop(guard);
                if let Err(error) = outcome {
                    println!("  FAILED: {error:#}");
                    let note = format!("Warren {name}: {error:#}");
                    if !bench.notes.contains(&note) {
                        bench.notes.push(note);
                    }
                }
                ran += 1;
            }
        }
    }
    if ran == 0 {
        let names: Vec<&str> = units.iter().map(|(n, _)| *n).collect();
        eprintln!("no unit matches {filters:?}; the units are: {}", names.join(", "));
        std::process::exit(2);
    }
    bench.print_table();
}

pub struct Bench {
    pub erlang: Erlang,
    /// Warren's scheduler threads, for the table's header.
    schedulers: usize,
    rows: Vec<Row>,
    /// The round being run (see [`rounds`]).
    round: usize,
    /// Lines printed under the table.
    pub notes: Vec<String>,
}

impl Bench {
    /// A bench whose Erlang side is `benches/erlang/SCRIPT`, Warren's run on
    /// `schedulers` threads.
    /// Says so when Erlang cannot run (its column then reads n/a).
    pub fn new(script: &'static str, schedulers: usize) -> Bench {
        let erlang = Erlang::new(script);
        if let Err(why) = &erlang.available {
            println!("Erlang: {why}; its column reads n/a");
        }
        Bench { erlang, schedulers, rows: Vec::new(), round: 0, notes: Vec::new() }
    }

    /// Adds a row; a failed Warren measurement is noted, and returned.
    pub fn row(&mut self, name: String, unit: Unit, warren: Result<f64>, erlang: Option<f64>) -> Result<()> {
        let (value, outcome) = match warren {
            Ok(v) => (Some(v), Ok(())),
            Err(e) => (None, Err(e)),
        };
        self.rows.push(Row { round: self.round, name, unit, warren: value, erlang });
        outcome
    }

    pub fn erlang(&mut self, args: &[&str]) -> Option<HashMap<String, f64>> {
        match self.erlang.run(args) {
            Ok(figures) => Some(figures),
            Err(error) => {
                let note = format!("Erlang `{}`: {error}", args.join(" "));
                if self.erlang.available.is_ok() {
                    println!("  {note}");
                }
                if !self.notes.contains(&note) {
                    self.notes.push(note);
                }
                None
            }
        }
    }

    pub fn print_table(&self) {
        let mut lines = vec![["benchmark", "Warren", "Erlang/OTP", "ratio W/E"].map(String::from).to_vec()];
        // Rows of the same name from every round, in the order first seen.
        let mut names: Vec<&str> = Vec::new();
        for row in &self.rows {
            if !names.contains(&row.name.as_str()) {
                names.push(&row.name);
            }
        }
        let rounds = self.rows.iter().map(|row| row.round + 1).max().unwrap_or(1);
        for name in names {
            let rows: Vec<&Row> = self.rows.iter().filter(|row| row.name == name).collect();
            let unit = rows[0].unit;
            let value = |v: Option<f64>| v.map_or_else(|| "n/a".to_string(), |v| unit.format(v));
            let warren = median(rows.iter().filter_map(|row| row.warren).collect());
            let erlang = median(rows.iter().filter_map(|row| row.erlang).collect());
            // Each round's own ratio: both sides ran minutes apart at most.
            let ratios: Vec<f64> = rows
                .iter()
                .filter_map(|row| match (row.warren, row.erlang) {
                    (Some(w), Some(e)) if w > 0.0 && e > 0.0 => Some(if unit.is_rate() { e / w } else { w / e }),
                    _ => None,
                })
                .collect();
            let (low, high) = ratios.iter().fold((f64::MAX, f64::MIN), |(l, h), &r| (l.min(r), h.max(r)));
            let several = ratios.len() > 1;
            let ratio = match median(ratios) {
                Some(ratio) if several => format!("{ratio:.2} ({low:.2}-{high:.2})"),
                Some(ratio) => format!("{ratio:.2}"),
                None => "-".to_string(),
            };
            lines.push(vec![name.to_string(), value(warren), value(erlang), ratio]);
        }
        println!("\n=== results ===");
        println!(
            "ratio W/E = Warren's cost / Erlang's (for a rate: Erlang's rate / Warren's): < 1.0 means Warren is better."
        );
        println!(
            "Warren: {} schedulers; Erlang: {}.",
            self.schedulers,
            self.erlang.version.as_deref().unwrap_or("not available")
        );
        if rounds > 1 {
            println!(
                "{rounds} rounds: each side's median; the ratio is the median of the rounds' own ratios (their range)."
            );
        }
        report::print_markdown_table(&lines);
        if !self.notes.is_empty() {
            println!("\nnotes:");
            for note in &self.notes {
                println!("- {note}");
            }
        }
    }
}

/// The median of `values` (the lower middle one of an even count); `None`
/// if there are none.
fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len().saturating_sub(1) / 2).copied()
}

/// The Erlang side: `escript benches/erlang/SCRIPT ...`.
pub struct Erlang {
    script: PathBuf,
    /// The script's file name, for the log.
    name: &'static str,
    /// Whether `erl` runs here (else why not).
    pub available: Result<(), String>,
    version: Option<String>,
}

impl Erlang {
    fn new(script: &'static str) -> Erlang {
        let name = script;
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/erlang").join(script);
        let (available, version) = match report::erlang_version() {
            Ok(version) => (Ok(()), Some(version)),
            Err(why) => (Err(why), None),
        };
        Erlang { script, name, available, version }
    }

    fn run(&self, args: &[&str]) -> Result<HashMap<String, f64>, String> {
        self.available.clone()?;
        println!("  erlang: escript {} {}", self.name, args.join(" "));
        let mut command = Command::new("escript");
        command.arg(&self.script).args(args);
        let stdout = run_bounded(&mut command).map_err(|e| format!("escript: {e:#}"))?;
        let figures = report::parse_results(&stdout);
        if figures.is_empty() {
            return Err("printed no result lines".to_string());
        }
        let mut keys: Vec<_> = figures.iter().collect();
        keys.sort_by(|a, b| a.0.cmp(b.0));
        for (k, v) in keys {
            println!("    erlang {k} = {v:.1}");
        }
        Ok(figures)
    }
}
