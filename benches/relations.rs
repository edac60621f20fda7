//! Process relationships, side by side with Erlang/OTP in the same run:
//! link/unlink and monitor/demonitor cost, exit propagation through a chain
//! of 100,000 linked processes, and 1,000,000 pending timers (insert,
//! cancel and fire throughput, memory per pending timer).
//!
//! ```text
//! cargo bench --bench relations                 # every unit
//! cargo bench --bench relations -- timers       # units whose name contains "timers"
//! ```
//!
//! Units: `link`, `monitor`, `chain`, `timers`, `timer-memory`.
//!
//! The Erlang side is `benches/erlang/relations_bench.erl`, run with
//! `escript` (a fresh VM per workload; default flags, one scheduler per
//! core). Without Erlang (`apt-get install -y erlang-nox`) its column reads
//! n/a. Warren runs on 2 scheduler threads (`WARREN_BENCH_SCHEDULERS`).
//!
//! The chain's build also shows the fresh memory it took per member: the
//! OS process's page faults during the build (`getrusage` on Warren's side,
//! `/proc/self/stat` on Erlang's) times the page size, divided by the
//! members. Each is a page the kernel had to allocate and zero, the cost
//! that bounds a build of processes that all stay alive.
//!
//! Every Warren figure is measured by a WAT guest with the WASI monotonic
//! clock, except the chain (host clock, from the `kill` to the head's exit)
//! and the memory per timer, measured in a child process (this binary, with
//! `WARREN_RELATIONS_CHILD` set) for a clean RSS baseline: the RSS growth
//! while a guest makes 1,000,000 timers (due in an hour, references
//! dropped), divided by 1,000,000. Erlang's is measured the same way.
//!
//! The final table's ratio is Warren's cost divided by Erlang's (for a rate,
//! Erlang's rate divided by Warren's): below 1.0 Warren is better.
//!
//! The environment is used as it is (`RUST_BACKTRACE=1` included). A
//! process killed while it waits has its suspended call unwound without a
//! wasm backtrace (vendored wasmtime patch 05), and its store is torn down
//! (recycled where it can be) by a scheduler thread with nothing else to
//! run, at most 1,024 graves behind (`host/src/process/graveyard.rs`): in
//! the chain's cascade the other thread digs while the cascade runs, and
//! the cascade's own thread takes what overflows. Warren's process uses
//! the `warren` binary's allocator (`src/allocator.rs`).

#[path = "../src/allocator.rs"]
mod allocator;
#[path = "support/report.rs"]
#[allow(dead_code)] // this runner has no use for every helper
mod report;
#[path = "support/side_by_side.rs"]
mod side_by_side;

use anyhow::{Context, Result, anyhow, bail};
use side_by_side::{Bench, Section, Unit, child_figure, rss, run_child_if_asked, run_units};
use std::time::{Duration, Instant};
use warren_host::{Inbox, LoadedModule, Node, NodeConfig, Pid, ProcessHandle};

const LINK_PAIRS: u64 = 1_000_000;
const MONITOR_PAIRS: u64 = 1_000_000;
const CHAIN: u64 = 100_000;
const TIMERS: u64 = 1_000_000;
/// Longest wait for one report: a bound against hangs only.
const PATIENCE: Duration = Duration::from_secs(600);

/// The guest. Memory: 0..64 the argument ([reporter][a][b]...), 64 clock
/// scratch, 72 report scratch, 80 a tag filter, 88 `ref_out`, 256 names,
/// 65536 and up: timer references.
const GUEST: &str = r#"
(module
  (import "warren_v1" "self" (func $self (result i64)))
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (import "warren_v1" "spawn_opt" (func $spawn_opt (param i32 i32 i32 i32 i32 i32 i32 i32) (result i64)))
  (import "warren_v1" "link" (func $link (param i64) (result i32)))
  (import "warren_v1" "unlink" (func $unlink (param i64) (result i32)))
  (import "warren_v1" "monitor" (func $monitor (param i64) (result i64)))
  (import "warren_v1" "demonitor" (func $demonitor (param i64 i32) (result i32)))
  (import "warren_v1" "exit_signal" (func $exit_signal (param i64 i32 i32 i32) (result i32)))
  (import "warren_v1" "send_after" (func $send_after (param i64 i64 i32 i32 i64) (result i64)))
  (import "warren_v1" "cancel_timer" (func $cancel_timer (param i64) (result i64)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "chain")

  (func $arg (drop (call $arg_read (i32.const 0) (i32.const 64))))
  ;; The monotonic clock, in ns.
  (func $now (result i64)
    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 64)))
    (i64.load (i32.const 64)))
  (func $report (param $tag i64) (param $value i64)
    (i64.store (i32.const 72) (local.get $value))
    (drop (call $send (i64.load (i32.const 0)) (local.get $tag) (i32.const 72) (i32.const 8))))
  (func $idle
    (loop $forever
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (br $forever)))
  ;; Waits for a message with `tag`.
  (func $wait_tag (param $tag i64)
    (i64.store (i32.const 80) (local.get $tag))
    (drop (call $receive (i32.const 80) (i32.const 1) (i64.const -1))))

  (func (export "idle") (call $idle))

  ;; [reporter][peer][n]: n link+unlink pairs; reports the ns (tag 1).
  (func (export "link_loop")
    (local $i i64) (local $t0 i64)
    (call $arg)
    (local.set $t0 (call $now))
    (loop $pair
      (drop (call $link (i64.load (i32.const 8))))
      (drop (call $unlink (i64.load (i32.const 8))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $pair (i64.lt_u (local.get $i) (i64.load (i32.const 16)))))
    (call $report (i64.const 1) (i64.sub (call $now) (local.get $t0))))

  ;; [reporter][peer][n]: n monitor+demonitor pairs; reports the ns (tag 1).
  (func (export "monitor_loop")
    (local $i i64) (local $t0 i64)
    (call $arg)
    (local.set $t0 (call $now))
    (loop $pair
      (drop (call $demonitor (call $monitor (i64.load (i32.const 8))) (i32.const 0)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $pair (i64.lt_u (local.get $i) (i64.load (i32.const 16)))))
    (call $report (i64.const 1) (i64.sub (call $now) (local.get $t0))))

  ;; [reporter][remaining]: spawn_links the next member; the far end
  ;; reports its pid (tag 2). Then waits.
  (func (export "chain")
    (call $arg)
    (if (i64.gt_s (i64.load (i32.const 8)) (i64.const 0))
      (then
        (i64.store (i32.const 8) (i64.sub (i64.load (i32.const 8)) (i64.const 1)))
        (if (i64.le_s (call $spawn_opt (i32.const 0) (i32.const 0) (i32.const 256) (i32.const 5)
                        (i32.const 0) (i32.const 16) (i32.const 1) (i32.const 88)) (i64.const 0))
          (then unreachable)))
      (else (call $report (i64.const 2) (call $self))))
    (call $idle))

  ;; [reporter][target]: exit_signal(target, kill).
  (func (export "killer")
    (call $arg)
    (drop (call $exit_signal (i64.load (i32.const 8)) (i32.const 3) (i32.const 0) (i32.const 0))))

  ;; [reporter][n]: makes n timers to itself due in an hour, keeping the
  ;; references (tag 3: ns taken), cancels them in order (tag 4: ns); then
  ;; makes n timers all due at one instant (twice the insert time plus 50 ms
  ;; ahead, each rounded up to the ms) and receives them: tag 5 is the last
  ;; arrival minus the due instant, tag 6 the last arrival minus the first.
  (func (export "timers")
    (local $n i32) (local $i i32) (local $t0 i64) (local $insert i64) (local $due i64) (local $ms i64)
    (local $first i64) (local $last i64)
    (call $arg)
    (local.set $n (i32.wrap_i64 (i64.load (i32.const 8))))
    (drop (memory.grow (i32.add (i32.shr_u (i32.shl (local.get $n) (i32.const 3)) (i32.const 16)) (i32.const 1))))
    (local.set $t0 (call $now))
    (loop $insert
      (i64.store (i32.add (i32.const 65536) (i32.shl (local.get $i) (i32.const 3)))
        (call $send_after (call $self) (i64.const 1) (i32.const 0) (i32.const 0) (i64.const 3600000)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $insert (i32.lt_u (local.get $i) (local.get $n))))
    (local.set $insert (i64.sub (call $now) (local.get $t0)))
    (call $report (i64.const 3) (local.get $insert))
    (local.set $i (i32.const 0))
    (local.set $t0 (call $now))
    (loop $cancel
      (drop (call $cancel_timer (i64.load (i32.add (i32.const 65536) (i32.shl (local.get $i) (i32.const 3))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $cancel (i32.lt_u (local.get $i) (local.get $n))))
    (call $report (i64.const 4) (i64.sub (call $now) (local.get $t0)))
    (local.set $due (i64.add (call $now) (i64.add (i64.shl (local.get $insert) (i64.const 1)) (i64.const 50000000))))
    (local.set $i (i32.const 0))
    (loop $arm
      (local.set $ms (i64.sub (local.get $due) (call $now)))
      (if (i64.lt_s (local.get $ms) (i64.const 0)) (then (local.set $ms (i64.const 0))))
      (drop (call $send_after (call $self) (i64.const 2) (i32.const 0) (i32.const 0)
        (i64.div_u (i64.add (local.get $ms) (i64.const 999999)) (i64.const 1000000))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $arm (i32.lt_u (local.get $i) (local.get $n))))
    (local.set $i (i32.const 0))
    (call $wait_tag (i64.const 2))
    (local.set $first (call $now))
    (local.set $i (i32.const 1))
    (loop $take
      (call $wait_tag (i64.const 2))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $take (i32.lt_u (local.get $i) (local.get $n))))
    (local.set $last (call $now))
    (call $report (i64.const 5) (i64.sub (local.get $last) (local.get $due)))
    (call $report (i64.const 6) (i64.sub (local.get $last) (local.get $first))))

  ;; [reporter][n]: reports ready (tag 8), waits for tag 9, makes n timers
  ;; to itself due in an hour (references dropped), reports done (tag 7),
  ;; then waits.
  (func (export "hold_timers")
    (local $i i64)
    (call $arg)
    (call $report (i64.const 8) (i64.const 0))
    (call $wait_tag (i64.const 9))
    (loop $insert
      (drop (call $send_after (call $self) (i64.const 1) (i32.const 0) (i32.const 0) (i64.const 3600000)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $insert (i64.lt_u (local.get $i) (i64.load (i32.const 8)))))
    (call $report (i64.const 7) (local.get $i))
    (call $idle))
)
"#;

fn main() {
    run_child_if_asked("WARREN_RELATIONS_CHILD", child_main);
    let units: &[(&str, Section)] = &[
        ("link", link_unit),
        ("monitor", monitor_unit),
        ("chain", chain_unit),
        ("timers", timers_unit),
        ("timer-memory", timer_memory_unit),
    ];
    let mut bench = Bench::new("relations_bench.erl", schedulers());
    run_units(&mut bench, units, |_| ());
}

// ------------------------------------------------------------------ units

fn link_unit(bench: &mut Bench) -> Result<()> {
    pairs_unit(bench, "link_loop", LINK_PAIRS, "link + unlink", "link_unlink_ns", "link")
}

fn monitor_unit(bench: &mut Bench) -> Result<()> {
    pairs_unit(bench, "monitor_loop", MONITOR_PAIRS, "monitor + demonitor", "monitor_demonitor_ns", "monitor")
}

/// A guest loop of `n` pairs of calls on a live idle peer.
fn pairs_unit(bench: &mut Bench, entry: &str, n: u64, label: &str, key: &str, erlang: &str) -> Result<()> {
    let erlang = bench.erlang(&[erlang, &n.to_string()]).and_then(|f| f.get(key).copied());
    let row = format!("{label} (ns per pair)");
    let warren = (|| {
        let (node, module, inbox) = setup()?;
        let peer = spawn(&node, &module, "idle", &[])?;
        let looper = spawn(&node, &module, entry, &arg(&[inbox.pid().raw(), peer.pid().raw(), n]))?;
        let ns = report(&inbox, 1)? as f64 / n as f64;
        looper.wait();
        println!("  warren {key} = {ns:.1}");
        Ok::<f64, anyhow::Error>(ns)
    })();
    bench.row(row, Unit::Nanos, warren, erlang)
}

fn chain_unit(bench: &mut Bench) -> Result<()> {
    let erlang = bench.erlang(&["chain", &CHAIN.to_string()]);
    let warren = (|| {
        let (node, module, inbox) = setup()?;
        let faults = minor_faults();
        let built = Instant::now();
        let head = spawn(&node, &module, "chain", &arg(&[inbox.pid().raw(), CHAIN - 1]))?;
        let end = Pid::from_raw(report(&inbox, 2)?).ok_or_else(|| anyhow!("the far end reported no pid"))?;
        let build_ms = built.elapsed().as_secs_f64() * 1e3;
        let fresh = (minor_faults() - faults) as f64 * page_size() / CHAIN as f64;
        let start = Instant::now();
        spawn(&node, &module, "killer", &arg(&[inbox.pid().raw(), end.raw()]))?;
        let reason = head
            .wait_timeout(PATIENCE)
            .ok_or_else(|| anyhow!("the head of the chain is still alive after {PATIENCE:?}"))?;
        let kill_ms = start.elapsed().as_secs_f64() * 1e3;
        if reason != warren_host::ExitReason::Killed {
            bail!("the head exited with {reason}, not killed");
        }
        println!(
            "  warren chain_build_ms = {build_ms:.1}, chain_kill_ms = {kill_ms:.1}, chain_fresh_bytes = {fresh:.0}"
        );
        Ok::<(f64, f64, f64), anyhow::Error>((build_ms, kill_ms, fresh))
    })();
    let (build, kill, fresh) = match warren {
        Ok((build, kill, fresh)) => (Ok(build), Ok(kill), Ok(fresh)),
        Err(error) => (Err(anyhow!("{error:#}")), Err(anyhow!("{error:#}")), Err(error)),
    };
    let figure = |key: &str| erlang.as_ref().and_then(|f| f.get(key).copied());
    bench.row(format!("exit(End, kill) through {CHAIN} links (ms)"), Unit::Millis, kill, figure("chain_kill_ms"))?;
    bench.row(format!("spawn_link chain of {CHAIN} (ms, build)"), Unit::Millis, build, figure("chain_build_ms"))?;
    let row = "  fresh memory per chain member (page faults x page size)".to_string();
    bench.row(row, Unit::Bytes, fresh, figure("chain_fresh_bytes"))
}

/// Minor page faults of this OS process so far (every thread's).
fn minor_faults() -> i64 {
    // SAFETY: `rusage` is integers and `timeval`s: all zeros is a value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: a valid pointer to a `rusage`; RUSAGE_SELF cannot fail.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    usage.ru_minflt
}

/// The size of a memory page, in bytes.
fn page_size() -> f64 {
    // SAFETY: `sysconf` reads a constant of the system.
    unsafe { libc::sysconf(libc::_SC_PAGESIZE) as f64 }
}

fn timers_unit(bench: &mut Bench) -> Result<()> {
    let erlang = bench.erlang(&["timers", &TIMERS.to_string()]);
    let warren = (|| {
        let (node, module, inbox) = setup()?;
        let process = spawn(&node, &module, "timers", &arg(&[inbox.pid().raw(), TIMERS]))?;
        let insert = report(&inbox, 3)? as f64;
        let cancel = report(&inbox, 4)? as f64;
        let fire = report(&inbox, 5)? as f64;
        let spread = report(&inbox, 6)? as f64;
        process.wait();
        let n = TIMERS as f64;
        let figures = [n / (insert / 1e9), n / (cancel / 1e9), n / (fire.max(1.0) / 1e9)];
        println!(
            "  warren insert {:.0}/s, cancel {:.0}/s, fire {:.0}/s (last arrival {:.1} ms after the due time, {:.1} ms after the first)",
            figures[0],
            figures[1],
            figures[2],
            fire / 1e6,
            spread / 1e6
        );
        Ok::<[f64; 3], anyhow::Error>(figures)
    })();
    let figure = |key: &str| erlang.as_ref().and_then(|f| f.get(key).copied());
    let pick = |i: usize| warren.as_ref().map(|f| f[i]).map_err(|e| anyhow!("{e:#}"));
    bench.row(
        format!("send_after, {TIMERS} pending (timers/s)"),
        Unit::PerSecond,
        pick(0),
        figure("timer_insert_per_s"),
    )?;
    bench.row(
        format!("cancel_timer of {TIMERS} (timers/s)"),
        Unit::PerSecond,
        pick(1),
        figure("timer_cancel_per_s"),
    )?;
    bench.row(
        format!("{TIMERS} due at once, fired+received (timers/s)"),
        Unit::PerSecond,
        pick(2),
        figure("timer_fire_per_s"),
    )
}

fn timer_memory_unit(bench: &mut Bench) -> Result<()> {
    let erlang = bench.erlang(&["timer_memory", &TIMERS.to_string()]).and_then(|f| f.get("timer_bytes").copied());
    let warren = child_figure("WARREN_RELATIONS_CHILD", &format!("timer-memory {TIMERS}"), "timer_bytes")
        .inspect(|bytes| println!("  warren timer_bytes = {bytes:.1}"));
    bench.row(format!("memory per pending timer, {TIMERS} (bytes)"), Unit::Bytes, warren, erlang)
}

/// The child: RSS growth while a guest makes `n` timers.
fn child_main(spec: &str) -> Result<()> {
    let mut words = spec.split_whitespace();
    let (Some("timer-memory"), Some(n)) = (words.next(), words.next()) else {
        bail!("unknown child spec");
    };
    let n: u64 = n.parse().context("a timer count")?;
    let (node, module, inbox) = setup()?;
    let _holder = spawn(&node, &module, "hold_timers", &arg(&[inbox.pid().raw(), n]))?;
    report(&inbox, 8)?;
    std::thread::sleep(Duration::from_millis(200));
    let before = rss()?;
    inbox.send(_holder.pid(), 9, &[]);
    let made = report(&inbox, 7)?;
    let after = rss()?;
    if made != n || node.pending_timers() as u64 != n {
        bail!("made {made} timers, {} pending, expected {n}", node.pending_timers());
    }
    println!("result timer_bytes {}", (after as f64 - before as f64) / n as f64);
    Ok(())
}

// -------------------------------------------------------------- plumbing

fn schedulers() -> usize {
    std::env::var("WARREN_BENCH_SCHEDULERS").ok().and_then(|s| s.parse().ok()).filter(|&n| n > 0).unwrap_or(2)
}

fn setup() -> Result<(Node, LoadedModule, Inbox)> {
    let node = Node::new(NodeConfig::default().schedulers(schedulers()))?;
    let module = node.load("relations", GUEST.as_bytes()).context("the guest does not load")?;
    let inbox = node.inbox();
    Ok((node, module, inbox))
}

fn spawn(node: &Node, module: &LoadedModule, entry: &str, arg: &[u8]) -> Result<ProcessHandle> {
    node.spawn(module, entry, arg).with_context(|| format!("cannot spawn {entry}"))
}

fn arg(values: &[u64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// The i64 a guest reports with `tag` (other messages are skipped).
fn report(inbox: &Inbox, tag: i64) -> Result<u64> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let message =
            inbox.recv_timeout(left).ok_or_else(|| anyhow!("no report with tag {tag} within {PATIENCE:?}"))?;
        if message.tag == tag {
            let bytes: [u8; 8] = message.data[..].try_into().map_err(|_| anyhow!("a report is 8 bytes"))?;
            return Ok(u64::from_le_bytes(bytes));
        }
    }
}
