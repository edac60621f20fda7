//! Tasks, side by side with Erlang/OTP in the same run: `Task.async_stream`
//! over 1,000,000 items with `max_concurrency` = schedulers x 2.
//!
//! ```text
//! cargo bench --bench tasks                               # every unit
//! WARREN_BENCH_SCALE=0.01 cargo bench --bench tasks       # sizes x 0.01 (a quick check)
//! ```
//!
//! Units:
//!
//! * `async-stream`: a driver process of the Rust guest `sdk-otp` (entry
//!   `stream_sum`) runs `warren::task::async_stream` of `fn double(n: u64)
//!   -> u64 { n * 2 }` over `0..1_000_000`, ordered, no timeout, at most
//!   schedulers x 2 tasks at a time, and sums the results; each item is a
//!   task process (a fresh instance of the guest, started on the SDK's
//!   function trampoline), its argument and result terms. Timed by the
//!   host from the driver's spawn until its sum has arrived; in items per
//!   second. Erlang: `benches/erlang/tasks_bench.erl`, Elixir's
//!   `Task.async_stream` written out in Erlang (Erlang/OTP 25 has no
//!   Elixir): a process per item spawned linked and monitored, results
//!   `{Ref, Result}` buffered and emitted in order, the same
//!   `max_concurrency`, in a fresh VM with default flags (one scheduler
//!   per core).
//!
//! Warren runs on 2 scheduler threads (`WARREN_BENCH_SCHEDULERS`); the
//! final table's ratio is Erlang's rate divided by Warren's: below 1.0
//! Warren is better. Without Erlang (`apt-get install -y erlang-nox`) its
//! column reads n/a. A report that does not come within `PATIENCE` fails
//! its unit; a unit still running after an hour ends the benchmark with
//! exit code 3.

#[path = "../src/allocator.rs"]
mod allocator;
#[path = "support/report.rs"]
#[allow(dead_code)] // this runner has no use for every helper
mod report;
#[path = "support/side_by_side.rs"]
#[allow(dead_code)] // nor for every side-by-side helper (child runs, RSS)
mod side_by_side;

use anyhow::{Context, Result, bail};
use side_by_side::{Bench, Section, Unit, run_units};
use std::time::{Duration, Instant};
use warren_host::term::{self, Term};
use warren_host::{Node, NodeConfig};

/// Items of the stream.
const ITEMS: u64 = 1_000_000;
/// Longest wait for the driver's sum: a bound against hangs only.
const PATIENCE: Duration = Duration::from_secs(1800);
/// Longest a whole unit may take (its Erlang run included).
const UNIT_PATIENCE: Duration = Duration::from_secs(3600);
/// The tag of the driver's report.
const TAG_DRIVER: i64 = 1;

fn main() {
    let units: &[(&str, Section)] = &[("async-stream", async_stream_unit)];
    let mut bench = Bench::new("tasks_bench.erl", schedulers());
    if scale() != 1.0 {
        println!("WARREN_BENCH_SCALE={}: sizes are scaled", scale());
    }
    run_units(&mut bench, units, watchdog);
}

fn async_stream_unit(bench: &mut Bench) -> Result<()> {
    let items = scaled(ITEMS);
    let max = schedulers() * 2;
    let erlang = bench
        .erlang(&["stream", &items.to_string(), &max.to_string()])
        .and_then(|figures| figures.get("items_per_s").copied());
    let warren = (|| {
        let node = Node::new(NodeConfig::default().schedulers(schedulers())).context("node")?;
        let module = node.load_file(std::path::Path::new(warren_test_artifacts::SDK_OTP)).context("load sdk-otp")?;
        let inbox = node.inbox();
        let arg = term::encode(&Term::tuple([
            Term::Pid(term::Pid::local(inbox.pid().raw())),
            Term::Integer(i64::try_from(items)?),
            Term::Integer(i64::try_from(max)?),
        ]))?;
        let start = Instant::now();
        let driver = node.spawn(&module, "stream_sum", &arg).context("spawn the driver")?;
        let Some(report) = inbox.recv_timeout(PATIENCE) else { bail!("no sum within {PATIENCE:?}") };
        let elapsed = start.elapsed();
        if report.tag != TAG_DRIVER || report.data.len() != 8 {
            bail!("unexpected report {report:?}");
        }
        let sum = u64::from_le_bytes(report.data[..8].try_into()?);
        if sum != items * (items - 1) {
            bail!("wrong sum {sum}, expected {}", items * (items - 1));
        }
        let _ = driver;
        let rate = items as f64 / elapsed.as_secs_f64();
        println!("  warren: {items} items in {elapsed:?}, {rate:.0} items/s");
        Ok(rate)
    })();
    bench.row(
        format!("Task.async_stream, {} items, max_concurrency {max} (items/s)", report::group_thousands(items)),
        Unit::PerSecond,
        warren,
        erlang,
    )
}

fn schedulers() -> usize {
    std::env::var("WARREN_BENCH_SCHEDULERS").ok().and_then(|s| s.parse().ok()).filter(|&n| n > 0).unwrap_or(2)
}

fn scale() -> f64 {
    std::env::var("WARREN_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).filter(|&s: &f64| s > 0.0).unwrap_or(1.0)
}

fn scaled(n: u64) -> u64 {
    ((n as f64 * scale()).round() as u64).max(2)
}

fn watchdog(unit: &'static str) -> std::sync::mpsc::Sender<()> {
    let (done, wait) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(UNIT_PATIENCE) {
            eprintln!("unit {unit} did not finish within {UNIT_PATIENCE:?}: giving up");
            std::process::exit(3);
        }
    });
    done
}
