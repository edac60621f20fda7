//! Supervisors, side by side with Erlang/OTP's `supervisor` in the same
//! run: restart latency, dynamic starts, a supervisor's resident bytes, and
//! a one_for_all restart of 10,000 children.
//!
//! ```text
//! cargo bench --bench supervisors                  # every unit
//! cargo bench --bench supervisors -- restart       # units whose name contains "restart"
//! WARREN_BENCH_SCALE=0.01 cargo bench --bench supervisors   # sizes x 0.01 (a quick check; not `resident`'s)
//! ```
//!
//! Units:
//!
//! * `restart`: a one_for_one supervisor with one permanent worker (intensity
//!   above the number of rounds). The worker, a WAT guest, tells a driver
//!   process its pid when it starts and traps when told to crash. The driver
//!   sends the crash and waits for the replacement's report; the figure is
//!   the mean of 2,000 rounds, from sending the crash until the report has
//!   arrived. First row: the driver is a WAT guest timing itself with the
//!   WASI monotonic clock (as Erlang's driver, a process, does). Second
//!   row: the driver is the host, through an `Inbox` and `Instant` (a host
//!   thread's wake-up included), against the same Erlang figure. Third
//!   row: as the first, but the worker ends with `exit(REASON_CUSTOM)`
//!   instead of a trap (what a trap itself costs is the difference),
//!   against Erlang's worker ending with `exit(crash)`. Erlang: a
//!   `supervisor` whose child's start function `spawn_link`s a plain process
//!   (`{ok, Pid}`), which sends its pid to the driver process and crashes
//!   with `erlang:error(crash)` when told.
//! * `dynamic`: 100,000 children started under one dynamic supervisor
//!   (`simple_one_for_one`; the template is `guests/wat/minimal.wat`'s
//!   `main`, which waits in `receive`), in starts per second. First row: a
//!   WAT guest calling `supervisor_request(sup, SUP_START_CHILD, ...)` and
//!   waiting for each `TAG_SUPERVISOR_REPLY` (it does not monitor the
//!   supervisor). Second
//!   row: the host calling `Node::start_dynamic_child`, which makes an
//!   inbox and a monitor per call and waits for the reply on a host thread.
//!   Erlang: `supervisor:start_child(Sup, [])` from a process (a
//!   `gen_server` call: a monitor per call), the child a process waiting in
//!   `receive`.
//! * `resident`: RSS growth while 10,000 supervisors with no children are
//!   started (each by `supervisor_start` from a WAT guest, which waits for
//!   its `TAG_ACK` before starting the next, so each is linked to it),
//!   divided by 10,000; measured in a child process (this binary, with
//!   `WARREN_SUPERVISORS_CHILD` set) for a clean baseline, once everything
//!   is quiet. Measured the same way: 10,000 minimal WAT processes
//!   (`minimal.wat`, spawned by a guest) waiting in `receive`, and 10,000
//!   spawned on its handler `noop` (the densest process: no code run yet).
//!   Erlang: RSS growth of its VM while a process `supervisor:start_link`s
//!   10,000 supervisors with no children, divided by 10,000 (also
//!   `erlang:memory(total)`'s growth and `process_info(Sup, memory)`,
//!   printed only); against a process spawned waiting in `receive`, and a
//!   hibernated one. The rows are not scaled: the RSS growth of fewer is
//!   mostly the allocators' noise.
//! * `one-for-all`: a one_for_all supervisor with 10,000 permanent workers
//!   (the same worker as `restart`, reporting to a WAT driver); the driver
//!   crashes one and times until all 10,000 replacements have reported
//!   (the supervisor stops the 9,999 others one by one, in reverse order,
//!   then starts all 10,000 in order). The mean of 3 rounds. Erlang: the
//!   same with `supervisor` one_for_all and its driver process.
//!
//! Every supervisor and worker is stopped with OTP's default shutdown (a
//! 5 s timeout; the workers do not trap exits, so `shutdown` ends them at
//! once).
//!
//! The Erlang side is `benches/erlang/supervisors_bench.erl`, run with
//! `escript` (a fresh VM per workload; default flags, one scheduler per
//! core), with the logger's level set to `none`: OTP's supervisor reports
//! (and the VM's crash reports) are not formatted, as Warren's, logged
//! through `tracing`, go nowhere in this binary, which installs no
//! subscriber. Without Erlang (`apt-get install -y erlang-nox`) its column
//! reads n/a. Warren runs on 2 scheduler threads (`WARREN_BENCH_SCHEDULERS`).
//!
//! The final table's ratio is Warren's cost divided by Erlang's (for a rate,
//! Erlang's rate divided by Warren's): below 1.0 Warren is better.
//!
//! Each run is bounded: a report that does not come within `PATIENCE` (10
//! minutes) fails its unit, an Erlang run or child process still running
//! after it is killed, and a unit still running after an hour (a host call
//! to a supervisor that never answers) ends the benchmark with exit code 3.

#[path = "../src/allocator.rs"]
mod allocator;
#[path = "support/report.rs"]
#[allow(dead_code)] // this runner has no use for every helper
mod report;
#[path = "support/side_by_side.rs"]
mod side_by_side;

use anyhow::{Context, Result, anyhow, bail};
use side_by_side::{Bench, Section, Unit, child_figure, rss, run_child_if_asked, run_units};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use warren_host::{
    ChildSpec, Inbox, LoadedModule, Node, NodeConfig, Pid, ProcessHandle, Strategy, SupervisorFlags, SupervisorSpec,
};

/// One_for_one restarts timed, each.
const RESTARTS: u64 = 2_000;
/// Children started under one dynamic supervisor.
const DYNAMIC: u64 = 100_000;
/// Supervisors (and processes) whose memory is measured (not scaled: an
/// RSS growth of fewer is mostly the allocators' noise, Erlang's above all).
const RESIDENT: u64 = 10_000;
/// Children of the one_for_all supervisor.
const ONE_FOR_ALL: u64 = 10_000;
/// One_for_all restarts timed (not scaled).
const ONE_FOR_ALL_ROUNDS: u64 = 3;
/// Longest wait for one report, or one Erlang run or child process: a
/// bound against hangs only.
const PATIENCE: Duration = Duration::from_secs(600);
/// Longest a whole unit may take (its Erlang runs included).
const UNIT_PATIENCE: Duration = Duration::from_secs(3600);

/// The module's name on the node.
const MODULE: &str = "supervised";
/// Tags: a worker's start (empty payload; its pid is the sender), a
/// driver's figure, a guest's failure (payload: the error code).
const STARTED: i64 = 1;
const FIGURE: i64 = 2;
const FAILED: i64 = 3;
/// Tags of the resident handshake: ready, go, done (payload: the count).
const READY: i64 = 8;
const GO: i64 = 9;
const DONE: i64 = 7;
/// The tag that makes a worker trap.
const CRASH: i64 = 5;
/// The tag that makes a worker exit with a custom reason (`crash`).
const EXIT: i64 = 6;

/// The guest: the workers and the drivers. Memory: 0..64 the argument, 64
/// clock scratch, 72 report scratch, 80 a tag filter, 96..128 a
/// `receive_into` buffer, 256 names, 512 a supervisor spec with no
/// children. The minimal process (a dynamic supervisor's children, and the
/// resident unit's) is `guests/wat/minimal.wat`, loaded as `minimal`: no
/// data segment, so a process that waits never touches its memory.
const GUEST: &str = r#"
(module
  (import "warren_v1" "exit" (func $exit (param i32 i32 i32)))
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (import "warren_v1" "receive_into" (func $receive_into (param i32 i32 i64 i32 i32) (result i32)))
  (import "warren_v1" "msg_tag" (func $msg_tag (result i64)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))
  (import "warren_v1" "spawn_module" (func $spawn_module (param i32 i32 i32 i32 i32 i32) (result i64)))
  (import "warren_v1" "supervisor_start" (func $supervisor_start (param i32 i32) (result i64)))
  (import "warren_v1" "supervisor_request" (func $supervisor_request (param i64 i32 i32 i32) (result i64)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 256) "minimal")
  (data (i32.const 264) "main")
  (data (i32.const 272) "noop")
  (data (i32.const 280) "crash")
  ;; one_for_one, auto_shutdown never, intensity 1, period 5000 ms,
  ;; max_children none, no children.
  (data (i32.const 512) "\00\00\00\00" "\01\00\00\00" "\88\13\00\00" "\ff\ff\ff\ff" "\00\00\00\00")

  (func $arg (drop (call $arg_read (i32.const 0) (i32.const 64))))
  (func $arg64 (param $i i32) (result i64) (i64.load (i32.shl (local.get $i) (i32.const 3))))
  ;; The monotonic clock, in ns.
  (func $now (result i64)
    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 64)))
    (i64.load (i32.const 64)))
  ;; Sends `value` with `tag` to the reporter (argument word 0).
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

  ;; [driver]: sends the driver STARTED (empty), then waits; traps on
  ;; CRASH, exits with REASON_CUSTOM `crash` on EXIT.
  (func (export "worker")
    (call $arg)
    (drop (call $send (i64.load (i32.const 0)) (i64.const 1) (i32.const 0) (i32.const 0)))
    (loop $next
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (if (i64.eq (call $msg_tag) (i64.const 5)) (then unreachable))
      (if (i64.eq (call $msg_tag) (i64.const 6)) (then (call $exit (i32.const 2) (i32.const 280) (i32.const 5))))
      (br $next)))

  ;; Takes `n` STARTED messages; returns the sender of the one at index
  ;; `victim` (argument word 4).
  (func $collect (param $n i64) (result i64)
    (local $i i64) (local $pid i64)
    (loop $next
      (call $wait_tag (i64.const 1))
      (if (i64.eq (local.get $i) (call $arg64 (i32.const 4))) (then (local.set $pid (call $msg_sender))))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $next (i64.lt_u (local.get $i) (local.get $n))))
    (local.get $pid))

  ;; [reporter][initial][after][rounds][victim][tag]: takes the `initial`
  ;; workers' reports, then `rounds` times: sends `tag` to a worker and
  ;; takes `after` reports (its replacement's, and those of the others a
  ;; one_for_all supervisor restarts). Reports the total ns (FIGURE).
  (func (export "driver")
    (local $victim i64) (local $r i64) (local $t0 i64) (local $total i64)
    (call $arg)
    (local.set $victim (call $collect (call $arg64 (i32.const 1))))
    (loop $round
      (local.set $t0 (call $now))
      (drop (call $send (local.get $victim) (call $arg64 (i32.const 5)) (i32.const 0) (i32.const 0)))
      (local.set $victim (call $collect (call $arg64 (i32.const 2))))
      (local.set $total (i64.add (local.get $total) (i64.sub (call $now) (local.get $t0))))
      (local.set $r (i64.add (local.get $r) (i64.const 1)))
      (br_if $round (i64.lt_u (local.get $r) (call $arg64 (i32.const 3)))))
    (call $report (i64.const 2) (local.get $total)))

  ;; [reporter][sup][n]: n SUP_START_CHILD requests, each waiting for its
  ;; reply. Reports the total ns (FIGURE), or the first error (FAILED).
  (func (export "starter")
    (local $i i64) (local $t0 i64) (local $answer i64)
    (call $arg)
    (local.set $t0 (call $now))
    (loop $next
      (local.set $answer
        (call $supervisor_request (call $arg64 (i32.const 1)) (i32.const 1) (i32.const 0) (i32.const 0)))
      (if (i64.le_s (local.get $answer) (i64.const 0))
        (then (call $report (i64.const 3) (local.get $answer)) (return)))
      (i64.store (i32.const 80) (i64.const -104))
      (drop (call $receive_into (i32.const 80) (i32.const 1) (i64.const -1) (i32.const 96) (i32.const 32)))
      ;; The buffer: tag, sender, request id, result (the child's pid).
      (local.set $answer (i64.load (i32.const 120)))
      (if (i64.le_s (local.get $answer) (i64.const 0))
        (then (call $report (i64.const 3) (local.get $answer)) (return)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $next (i64.lt_u (local.get $i) (call $arg64 (i32.const 2)))))
    (call $report (i64.const 2) (i64.sub (call $now) (local.get $t0))))

  ;; [reporter][n][kind]: reports READY, waits for GO, then makes n of
  ;; `kind` (0: processes of module `minimal` on `main`, waiting in
  ;; receive; 1: on its handler `noop`, having run no code; 2: supervisors
  ;; with no children, each linked to it, waiting for each one's TAG_ACK);
  ;; reports DONE with the count (or FAILED), then waits.
  (func (export "maker")
    (local $i i64) (local $pid i64) (local $kind i64)
    (call $arg)
    (local.set $kind (call $arg64 (i32.const 2)))
    (call $report (i64.const 8) (i64.const 0))
    (call $wait_tag (i64.const 9))
    (loop $next
      (if (i64.eqz (local.get $kind))
        (then (local.set $pid (call $spawn_module (i32.const 256) (i32.const 7)
                (i32.const 264) (i32.const 4) (i32.const 0) (i32.const 0)))))
      (if (i64.eq (local.get $kind) (i64.const 1))
        (then (local.set $pid (call $spawn_module (i32.const 256) (i32.const 7)
                (i32.const 272) (i32.const 4) (i32.const 0) (i32.const 0)))))
      (if (i64.eq (local.get $kind) (i64.const 2))
        (then
          (local.set $pid (call $supervisor_start (i32.const 512) (i32.const 20)))
          (if (i64.gt_s (local.get $pid) (i64.const 0)) (then (call $wait_tag (i64.const -103))))))
      (if (i64.le_s (local.get $pid) (i64.const 0))
        (then (call $report (i64.const 3) (local.get $pid)) (call $idle)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $next (i64.lt_u (local.get $i) (call $arg64 (i32.const 1)))))
    (call $report (i64.const 7) (local.get $i))
    (call $idle))
)
"#;

fn main() {
    run_child_if_asked("WARREN_SUPERVISORS_CHILD", child_main);
    let units: &[(&str, Section)] = &[
        ("restart", restart_unit),
        ("dynamic", dynamic_unit),
        ("resident", resident_unit),
        ("one-for-all", one_for_all_unit),
    ];
    let mut bench = Bench::new("supervisors_bench.erl", schedulers());
    if scale() != 1.0 {
        println!("WARREN_BENCH_SCALE={}: every size but `resident`'s is scaled", scale());
    }
    run_units(&mut bench, units, watchdog);
}

// ------------------------------------------------------------------ units

fn restart_unit(bench: &mut Bench) -> Result<()> {
    let rounds = scaled(RESTARTS);
    let erlang = bench.erlang(&["restart", &rounds.to_string(), "error"]).and_then(|f| f.get("restart_ns").copied());
    let erlang_exit =
        bench.erlang(&["restart", &rounds.to_string(), "exit"]).and_then(|f| f.get("restart_ns").copied());
    let guest = restart_guest(rounds, CRASH);
    let guest_exit = restart_guest(rounds, EXIT);
    let host = (|| {
        let (node, _module, inbox) = setup()?;
        let spec = SupervisorSpec::new(flags(Strategy::OneForOne, rounds)?, vec![worker("w", inbox.pid())]);
        let sup = start_supervisor(&node, &spec)?;
        let mut child = started(&inbox)?;
        let mut total = Duration::ZERO;
        for _ in 0..rounds {
            let start = Instant::now();
            inbox.send(child, CRASH, &[]);
            child = started(&inbox)?;
            total += start.elapsed();
        }
        check_restarts(&node, &sup, 1, rounds)?;
        let ns = total.as_nanos() as f64 / rounds as f64;
        println!("  warren restart_ns (host driver) = {ns:.0}");
        Ok::<f64, anyhow::Error>(ns)
    })();
    let outcome =
        bench.row("one_for_one restart: crash to replacement running (ns)".into(), Unit::Nanos, guest, erlang);
    let host = bench.row("  the same, host driver through an Inbox (ns)".into(), Unit::Nanos, host, erlang);
    let exit = bench.row(
        "  the same, exit(REASON_CUSTOM) / Erlang: exit(crash), not a trap (ns)".into(),
        Unit::Nanos,
        guest_exit,
        erlang_exit,
    );
    outcome.and(host).and(exit)
}

/// The mean ns from sending `tag` to a one_for_one supervisor's only
/// worker until its replacement's report, timed by a WAT driver.
fn restart_guest(rounds: u64, tag: i64) -> Result<f64> {
    let (node, module, inbox) = setup()?;
    let driver = spawn(&node, &module, "driver", &arg(&[inbox.pid().raw(), 1, 1, rounds, 0, tag as u64]))?;
    let spec = SupervisorSpec::new(flags(Strategy::OneForOne, rounds)?, vec![worker("w", driver.pid())]);
    let sup = start_supervisor(&node, &spec)?;
    let ns = report(&inbox, FIGURE)? as f64 / rounds as f64;
    check_restarts(&node, &sup, 1, rounds)?;
    let how = if tag == CRASH { "trap" } else { "exit" };
    println!("  warren restart_ns (guest driver, {how}) = {ns:.0}");
    Ok(ns)
}

fn dynamic_unit(bench: &mut Bench) -> Result<()> {
    let n = scaled(DYNAMIC);
    let erlang = bench.erlang(&["dynamic", &n.to_string()]).and_then(|f| f.get("dynamic_starts_per_s").copied());
    let dynamic_supervisor = |node: &Node| {
        let template = ChildSpec::worker("w", "minimal", "main", &[]);
        start_supervisor(node, &SupervisorSpec::new(flags(Strategy::SimpleOneForOne, 10)?, vec![template]))
    };
    let guest = (|| {
        let (node, module, inbox) = setup()?;
        let sup = dynamic_supervisor(&node)?;
        let _starter = spawn(&node, &module, "starter", &arg(&[inbox.pid().raw(), sup.pid().raw(), n]))?;
        let ns = report(&inbox, FIGURE)?;
        check_active(&node, &sup, n)?;
        let rate = n as f64 / (ns as f64 / 1e9);
        println!("  warren dynamic_starts_per_s (guest supervisor_request) = {rate:.0}");
        Ok::<f64, anyhow::Error>(rate)
    })();
    let host = (|| {
        let (node, _module, _inbox) = setup()?;
        let sup = dynamic_supervisor(&node)?;
        let start = Instant::now();
        for i in 0..n {
            node.start_dynamic_child(sup.pid(), &[])
                .map_err(|e| anyhow!("start_dynamic_child number {i} failed: {e}"))?;
        }
        let rate = n as f64 / start.elapsed().as_secs_f64();
        check_active(&node, &sup, n)?;
        println!("  warren dynamic_starts_per_s (host start_dynamic_child) = {rate:.0}");
        Ok::<f64, anyhow::Error>(rate)
    })();
    let outcome = bench.row(
        format!("{} starts under one dynamic supervisor, guest SUP_START_CHILD (starts/s)", report::group_thousands(n)),
        Unit::PerSecond,
        guest,
        erlang,
    );
    bench.row("  the same, host Node::start_dynamic_child (starts/s)".into(), Unit::PerSecond, host, erlang)?;
    outcome
}

/// What the resident unit measures: the child's kind name, the guest's
/// `maker` kind, the Erlang workload's kind, and the row's label.
const RESIDENT_KINDS: [(&str, u64, &str, &str); 3] = [
    ("supervisor", 2, "supervisor", "supervisor with no children (RSS bytes each)"),
    ("idle", 0, "idle", "  minimal process waiting in receive (RSS bytes each)"),
    ("handler", 1, "hibernated", "  minimal process spawned on its handler / Erlang: hibernated (RSS bytes each)"),
];

fn resident_unit(bench: &mut Bench) -> Result<()> {
    let n = RESIDENT;
    let mut figures = Vec::new();
    let mut outcome = Ok(());
    for (kind, _, erlang_kind, label) in RESIDENT_KINDS {
        let erlang = bench.erlang(&["resident", erlang_kind, &n.to_string()]);
        if let Some(f) = &erlang
            && let Some(info) = f.get("process_info_memory")
        {
            println!("    (erlang process_info(_, memory) of one: {info} bytes; RSS growth is what the table shows)");
        }
        let erlang = erlang.and_then(|f| f.get("resident_bytes").copied());
        let warren = resident_in_child(kind, n);
        if let Ok(bytes) = &warren {
            println!("  warren resident_bytes ({kind}) = {bytes:.0}");
            figures.push((kind, *bytes));
        }
        let result = bench.row(format!("{label}, {}", report::group_thousands(n)), Unit::Bytes, warren, erlang);
        outcome = outcome.and(result);
    }
    let find = |name: &str| figures.iter().find(|(k, _)| *k == name).map(|(_, b)| *b);
    if let (Some(sup), Some(idle), Some(handler)) = (find("supervisor"), find("idle"), find("handler")) {
        let note = format!(
            "resident: a Warren supervisor takes {sup:.0} B, a minimal process {idle:.0} B waiting in receive, \
             {handler:.0} B on its handler (target: the supervisor under a minimal process's)"
        );
        println!("  {note}");
        bench.notes.push(note);
    }
    outcome
}

fn resident_in_child(kind: &str, n: u64) -> Result<f64> {
    child_figure("WARREN_SUPERVISORS_CHILD", &format!("resident {kind} {n}"), "resident_bytes")
}

fn one_for_all_unit(bench: &mut Bench) -> Result<()> {
    let n = scaled(ONE_FOR_ALL);
    let rounds = ONE_FOR_ALL_ROUNDS;
    let erlang = bench
        .erlang(&["one_for_all", &n.to_string(), &rounds.to_string()])
        .and_then(|f| f.get("one_for_all_ms").copied());
    let warren = (|| {
        let (node, module, inbox) = setup()?;
        let driver = spawn(&node, &module, "driver", &arg(&[inbox.pid().raw(), n, n, rounds, n / 2, CRASH as u64]))?;
        let children = (0..n).map(|i| worker(&format!("w{i}"), driver.pid())).collect();
        let start = Instant::now();
        let sup = start_supervisor(&node, &SupervisorSpec::new(flags(Strategy::OneForAll, rounds)?, children))?;
        println!(
            "  warren: start_supervisor with {n} children returned in {:.1} ms",
            start.elapsed().as_secs_f64() * 1e3
        );
        let ms = report(&inbox, FIGURE)? as f64 / rounds as f64 / 1e6;
        check_restarts(&node, &sup, n, rounds)?;
        println!("  warren one_for_all_ms = {ms:.1}");
        Ok::<f64, anyhow::Error>(ms)
    })();
    bench.row(
        format!("one_for_all restart of {} children (ms)", report::group_thousands(n)),
        Unit::Millis,
        warren,
        erlang,
    )
}

/// The child: RSS growth while a guest makes `n` of `kind`.
fn child_main(spec: &str) -> Result<()> {
    let words: Vec<&str> = spec.split_whitespace().collect();
    let ["resident", kind, n] = words.as_slice() else {
        bail!("unknown child spec");
    };
    let n: u64 = n.parse().context("a count")?;
    let (_, maker_kind, _, _) =
        RESIDENT_KINDS.iter().find(|(name, ..)| name == kind).ok_or_else(|| anyhow!("unknown kind {kind}"))?;
    let (node, module, inbox) = setup()?;
    let maker = spawn(&node, &module, "maker", &arg(&[inbox.pid().raw(), n, *maker_kind]))?;
    report(&inbox, READY)?;
    quiesce(Duration::from_secs(60))?;
    let base = node.process_count() as u64;
    let before = rss()?;
    inbox.send(maker.pid(), GO, &[]);
    let made = report(&inbox, DONE)?;
    quiesce(Duration::from_secs(300))?;
    let after = rss()?;
    let alive = node.process_count() as u64 - base;
    if made != n || alive != n {
        bail!("made {made} of {kind}, {alive} more processes alive, expected {n}");
    }
    println!("result resident_bytes {}", (after as f64 - before as f64) / n as f64);
    Ok(())
}

// -------------------------------------------------------------- plumbing

fn schedulers() -> usize {
    std::env::var("WARREN_BENCH_SCHEDULERS").ok().and_then(|s| s.parse().ok()).filter(|&n| n > 0).unwrap_or(2)
}

/// `WARREN_BENCH_SCALE` (default 1): every size is multiplied by it, for a
/// quick check that the units work.
fn scale() -> f64 {
    std::env::var("WARREN_BENCH_SCALE").ok().and_then(|s| s.parse().ok()).filter(|&s: &f64| s > 0.0).unwrap_or(1.0)
}

fn scaled(n: u64) -> u64 {
    ((n as f64 * scale()).round() as u64).max(2)
}

fn setup() -> Result<(Node, LoadedModule, Inbox)> {
    let node = Node::new(NodeConfig::default().schedulers(schedulers()))?;
    let module = node.load(MODULE, GUEST.as_bytes()).context("the guest does not load")?;
    let minimal = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("guests/wat/minimal.wat");
    let text = std::fs::read(&minimal).with_context(|| format!("cannot read {}", minimal.display()))?;
    node.load("minimal", &text).context("minimal.wat does not load")?;
    let inbox = node.inbox();
    Ok((node, module, inbox))
}

fn spawn(node: &Node, module: &LoadedModule, entry: &str, arg: &[u8]) -> Result<ProcessHandle> {
    node.spawn(module, entry, arg).with_context(|| format!("cannot spawn {entry}"))
}

fn arg(values: &[u64]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Flags with `strategy`, room for `restarts` restarts (and a few more)
/// within an hour.
fn flags(strategy: Strategy, restarts: u64) -> Result<SupervisorFlags> {
    let intensity = u32::try_from(restarts + 10).context("too many restarts for a supervisor's intensity")?;
    Ok(SupervisorFlags::default().strategy(strategy).intensity(intensity, Duration::from_secs(3600)))
}

/// A permanent worker that reports its start to `driver`.
fn worker(id: &str, driver: Pid) -> ChildSpec {
    ChildSpec::worker(id, MODULE, "worker", &arg(&[driver.raw()]))
}

fn start_supervisor(node: &Node, spec: &SupervisorSpec) -> Result<ProcessHandle> {
    node.start_supervisor(spec).map_err(|e| anyhow!("cannot start the supervisor: {e}"))
}

/// Checks that the supervisor has `children` children, each restarted
/// `restarts` times.
fn check_restarts(node: &Node, sup: &ProcessHandle, children: u64, restarts: u64) -> Result<()> {
    let listed = node.which_children(sup.pid()).map_err(|e| anyhow!("which_children: {e}"))?;
    let wrong = listed.iter().filter(|c| c.pid.is_none() || u64::from(c.restarts) != restarts).count();
    if listed.len() as u64 != children || wrong > 0 {
        bail!(
            "the supervisor lists {} children ({wrong} not running or not restarted {restarts} times), expected {children}",
            listed.len()
        );
    }
    Ok(())
}

/// Checks that the supervisor has `n` children running.
fn check_active(node: &Node, sup: &ProcessHandle, n: u64) -> Result<()> {
    let counts = node.count_children(sup.pid()).map_err(|e| anyhow!("count_children: {e}"))?;
    if u64::from(counts.active) != n || u64::from(counts.specs) != n {
        bail!("the supervisor counts {} specs, {} active, expected {n}", counts.specs, counts.active);
    }
    Ok(())
}

/// The next message with `tag` from a guest (others are skipped); FAILED
/// fails.
fn next(inbox: &Inbox, tag: i64) -> Result<warren_host::Message> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let message =
            inbox.recv_timeout(left).ok_or_else(|| anyhow!("no message with tag {tag} within {PATIENCE:?}"))?;
        if message.tag == FAILED {
            let code = message.data.get(..8).and_then(|b| b.try_into().ok()).map(i64::from_le_bytes);
            bail!("a guest failed with code {code:?}");
        }
        if message.tag == tag {
            return Ok(message);
        }
    }
}

/// The i64 a guest reports with `tag`.
fn report(inbox: &Inbox, tag: i64) -> Result<u64> {
    let message = next(inbox, tag)?;
    let bytes: [u8; 8] = message.data[..].try_into().map_err(|_| anyhow!("a report is 8 bytes"))?;
    Ok(u64::from_le_bytes(bytes))
}

/// The pid of the next worker to report its start.
fn started(inbox: &Inbox) -> Result<Pid> {
    Ok(next(inbox, STARTED)?.sender)
}

/// Waits until this process is quiet: over two 100 ms windows in a row,
/// its threads used under 2 ms of CPU and its RSS moved by under 64 KiB
/// (every process has reached its waiting point).
fn quiesce(timeout: Duration) -> Result<()> {
    let start = Instant::now();
    let mut previous = (report::cpu_ns(), rss()?);
    let mut calm = 0;
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let now = (report::cpu_ns(), rss()?);
        let busy = now.0.saturating_sub(previous.0);
        let moved = now.1.abs_diff(previous.1);
        calm = if busy < 2_000_000 && moved < 64 << 10 { calm + 1 } else { 0 };
        if calm >= 2 {
            return Ok(());
        }
        previous = now;
        if start.elapsed() > timeout {
            bail!("the process did not settle within {timeout:?} (last window: {busy} ns CPU, RSS moved {moved} B)");
        }
    }
}

/// Ends this benchmark (exit code 3) if the unit running now has not
/// returned within `UNIT_PATIENCE`: the host's supervisor calls block
/// until the supervisor answers, so a hung supervisor would hang the run.
/// Dropping the returned sender disarms it.
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
