//! `warren ps -n 10 --sort memory` on a node holding many idle processes
//! (1,000,000 by default): the time it takes to answer, and the ping-pong
//! round trip inside the node measured alone and while `ps` runs over and
//! over (issue 26: "the round trip barely moves"). Erlang/OTP side by side:
//! the same round trip while a process lists the top 10 by memory, as
//! `recon:proc_count(memory, 10)` does (benches/erlang/control_bench.erl).
//!
//! ```text
//! cargo bench --bench control                 # 1,000,000 idle processes
//! WARREN_BENCH_PROCESSES=100000 cargo bench --bench control
//! ```
//!
//! The guest prints a line after every 10,000 round trips; a batch's round
//! trip is the time between two lines over 10,000. Each phase reports the
//! median batch and the mean over all its round trips (a listing that
//! stalled the node would show in the mean). The phase with listings lasts
//! until 5 listings are done.

#[path = "../src/allocator.rs"]
mod allocator;
#[path = "support/report.rs"]
#[allow(dead_code)]
mod report;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

/// Round trips per printed line.
const BATCH: u64 = 10_000;
/// Batches measured without listings (about a second).
const ALONE_BATCHES: usize = 200;
/// Listings the phase with listings lasts for.
const LISTINGS: usize = 5;

/// The guest: spawns `count` idle processes (each waits in `receive` for
/// ever: a blocked process, the common kind), prints `spawned`, then pings
/// a pong process for ever, printing `b` every 10,000 round trips.
fn guest(count: u64) -> String {
    format!(
        r#"(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "self" (func $self (result i64)))
  (import "warren_v1" "spawn" (func $spawn (param i32 i32 i32 i32) (result i64)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 100) "idle")
  (data (i32.const 110) "pong")
  (data (i32.const 120) "spawned\n")
  (data (i32.const 130) "b\n")
  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 16) (local.get $ptr))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24))))
  (func (export "idle") (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1))))
  (func (export "pong")
    (loop $next
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (drop (call $send (call $msg_sender) (i64.const 1) (i32.const 0) (i32.const 0)))
      (br $next)))
  (func (export "main")
    (local $i i64) (local $pong i64)
    (loop $spawn
      (if (i64.lt_s (call $spawn (i32.const 100) (i32.const 4) (i32.const 0) (i32.const 0)) (i64.const 0))
        (then unreachable))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $spawn (i64.lt_u (local.get $i) (i64.const {count}))))
    (call $print (i32.const 120) (i32.const 8))
    (local.set $pong (call $spawn (i32.const 110) (i32.const 4) (i32.const 0) (i32.const 0)))
    (loop $batch
      (local.set $i (i64.const 0))
      (loop $trip
        (drop (call $send (local.get $pong) (i64.const 1) (i32.const 0) (i32.const 0)))
        (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
        (local.set $i (i64.add (local.get $i) (i64.const 1)))
        (br_if $trip (i64.lt_u (local.get $i) (i64.const {BATCH}))))
      (call $print (i32.const 130) (i32.const 2))
      (br $batch))))"#
    )
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

/// Nanoseconds per round trip of each batch until `done` (asked after
/// each batch): (median batch, mean over all).
fn rtt(lines: &mpsc::Receiver<Instant>, mut done: impl FnMut(usize) -> bool) -> (f64, f64) {
    let first = lines.recv().expect("a batch line");
    let mut last = first;
    let mut per_trip = Vec::new();
    while !done(per_trip.len()) {
        let now = lines.recv().expect("a batch line");
        per_trip.push(now.duration_since(last).as_nanos() as f64 / BATCH as f64);
        last = now;
    }
    let mean = last.duration_since(first).as_nanos() as f64 / (per_trip.len() as f64 * BATCH as f64);
    (median(per_trip), mean)
}

fn main() {
    let count: u64 = std::env::var("WARREN_BENCH_PROCESSES").ok().and_then(|n| n.parse().ok()).unwrap_or(1_000_000);
    let dir = std::env::temp_dir().join(format!("warren-control-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench dir");
    let runtime = dir.join("run");
    std::fs::create_dir_all(&runtime).expect("runtime dir");
    std::fs::set_permissions(&runtime, std::os::unix::fs::PermissionsExt::from_mode(0o700)).expect("mode");
    let file = dir.join("million.wat");
    std::fs::write(&file, guest(count)).expect("guest written");
    let warren = env!("CARGO_BIN_EXE_warren");

    let started = Instant::now();
    let mut node = Command::new(warren)
        .args(["run", file.to_str().expect("UTF-8"), "--name", "bench", "--max-processes", "2000000"])
        .env("XDG_RUNTIME_DIR", &runtime)
        .stdout(Stdio::piped())
        .spawn()
        .expect("warren run starts");
    let stdout = node.stdout.take().expect("stdout");
    let (spawned_tx, spawned) = mpsc::channel();
    let (batch_tx, batches) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let sent = if line == "spawned" { spawned_tx.send(Instant::now()) } else { batch_tx.send(Instant::now()) };
            if sent.is_err() {
                return;
            }
        }
    });
    let spawned_at = spawned.recv_timeout(Duration::from_secs(600)).expect("the guest spawned its processes");
    println!("{count} idle processes spawned in {:.1} s", spawned_at.duration_since(started).as_secs_f64());

    let (alone, alone_mean) = rtt(&batches, |n| n >= ALONE_BATCHES);
    // `warren ps` over and over, from another thread, while the round
    // trips go on.
    let stop = Arc::new(AtomicBool::new(false));
    let listed = Arc::new(AtomicUsize::new(0));
    let lister = {
        let stop = stop.clone();
        let listed = listed.clone();
        let runtime = runtime.clone();
        std::thread::spawn(move || {
            let mut times = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let start = Instant::now();
                let output = Command::new(warren)
                    .args(["ps", "-n", "10", "--sort", "memory"])
                    .env("XDG_RUNTIME_DIR", &runtime)
                    .output()
                    .expect("warren ps runs");
                assert!(output.status.success(), "warren ps failed: {}", String::from_utf8_lossy(&output.stderr));
                times.push(start.elapsed().as_secs_f64() * 1e3);
                listed.fetch_add(1, Ordering::Relaxed);
            }
            times
        })
    };
    let (during, during_mean) = rtt(&batches, |_| listed.load(Ordering::Relaxed) >= LISTINGS);
    stop.store(true, Ordering::Relaxed);
    let ps_times = lister.join().expect("the lister");
    let listings = ps_times.len();
    let ps_ms = median(ps_times);
    let _ = node.kill();
    let _ = node.wait();
    let _ = std::fs::remove_dir_all(&dir);

    let erlang = Command::new("escript")
        .args([
            concat!(env!("CARGO_MANIFEST_DIR"), "/benches/erlang/control_bench.erl"),
            &count.to_string(),
            &LISTINGS.to_string(),
        ])
        .stderr(Stdio::inherit())
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| report::parse_results(&String::from_utf8_lossy(&output.stdout)));
    let erl = |key: &str| erlang.as_ref().and_then(|figures| figures.get(key).copied());
    let version = report::erlang_version().unwrap_or_else(|why| format!("Erlang not run: {why}"));
    println!("\n{count} idle processes; {listings} `warren ps` listings while the round trips ran; {version}\n");
    let fmt = |value: Option<f64>, digits: usize| value.map_or("-".to_string(), |v| format!("{v:.digits$}"));
    let ratio = |w: f64, e: Option<f64>| e.map_or("-".to_string(), |e| format!("{:.2}", w / e));
    report::print_markdown_table(&[
        vec!["figure".into(), "Warren".into(), "Erlang/OTP".into(), "Warren / Erlang".into()],
        vec![
            "round trip alone, median batch (ns)".into(),
            format!("{alone:.0}"),
            fmt(erl("rtt_alone_ns"), 0),
            ratio(alone, erl("rtt_alone_ns")),
        ],
        vec![
            "round trip while listing, median batch (ns)".into(),
            format!("{during:.0}"),
            fmt(erl("rtt_during_ns"), 0),
            ratio(during, erl("rtt_during_ns")),
        ],
        vec![
            "round trip alone, mean (ns)".into(),
            format!("{alone_mean:.0}"),
            fmt(erl("mean_alone_ns"), 0),
            ratio(alone_mean, erl("mean_alone_ns")),
        ],
        vec![
            "round trip while listing, mean (ns)".into(),
            format!("{during_mean:.0}"),
            fmt(erl("mean_during_ns"), 0),
            ratio(during_mean, erl("mean_during_ns")),
        ],
        vec![
            "top 10 by memory (ms, median)".into(),
            format!("{ps_ms:.1}"),
            fmt(erl("ps_ms"), 1),
            ratio(ps_ms, erl("ps_ms")),
        ],
    ]);
    println!(
        "\nWarren's listing is the whole `warren ps -n 10 --sort memory` command (a new OS process, a socket, \
         every process looked at); Erlang's is the in-VM listing only."
    );
}
