//! Shared tables (ETS) benchmark: Warren's tables driven from wasm guests,
//! side by side with Erlang/OTP's `ets` measured in the same run.
//!
//! ```text
//! cargo bench --bench tables                 # everything
//! cargo bench --bench tables -- lookup       # rows whose name contains "lookup"
//! ```
//!
//! Workloads (each in processes of their own, released together once they
//! are instantiated; the figure is nanoseconds per operation, and for two
//! processes the wall time divided by the operations of both):
//!
//! * `insert`: one process inserts the integer keys 0..N (values the same
//!   integers) into a fresh table;
//! * `lookup_seq` / `lookup_scattered`: one process looks every key up, in
//!   order or in the order `(i * 7919) mod N`;
//! * `..._2procs`: two processes do that at once on the same table;
//! * `counter`: `update_counter` N times on one key; `counter_2procs_same_key`
//!   from two processes on the same key (contention), `..._own_keys` on a
//!   key each;
//! * `ordered_...`: the same on an ordered_set.
//!
//! Warren keys are the integers in the SDK's order-preserving encoding (8
//! bytes big-endian, sign bit flipped), values 8 bytes. The guest is WAT, so
//! the figures are the cost of the host calls themselves. The Erlang side is
//! `benches/erlang/tables_bench.erl` (run with `escript`; it takes the faster
//! of ETS's default and concurrency-tuned options for each figure). Without
//! Erlang (`apt-get install -y erlang-nox`) its column reads n/a.
//!
//! Environment: `WARREN_BENCH_N` (default 1,000,000 keys), `WARREN_BENCH_RUNS`
//! (default 3; the median is reported), `WARREN_BENCH_NO_ERLANG` (set: skip
//! the Erlang side, for profiling).
//!
//! The ratio is Warren / Erlang: below 1.0 Warren is faster. The target, on
//! the set workloads, is Erlang's own figure (at least as fast as Erlang);
//! the ordered_set rows are for information.

#[path = "../src/allocator.rs"]
mod allocator;
#[path = "support/report.rs"]
#[allow(dead_code)] // this runner has no use for every helper
mod report;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};
use warren_host::{Inbox, LoadedModule, Node, NodeConfig, ProcessHandle};

/// The bench guest. Every entry's argument is `[reporter: i64]` followed by
/// the entry's i64 fields; workers report "ready" (tag 4), wait for "go"
/// (tag 2), run, and report "done" (tag 3).
const GUEST: &str = r#"
(module
  (import "warren_v1" "arg_read" (func $arg_read (param i32 i32) (result i32)))
  (import "warren_v1" "send" (func $send (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (import "warren_v1" "table_new" (func $table_new (param i32 i32 i32 i32 i64) (result i64)))
  (import "warren_v1" "table_insert" (func $table_insert (param i64 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_lookup" (func $table_lookup (param i64 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_update_counter"
    (func $table_update_counter (param i64 i32 i32 i64 i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0..48: the argument; 48: outgoing i64; 56: tag filter "go" (2);
  ;; 64: tag filter "stop" (9); 96: key; 112: value; 128: lookup buffer.
  (data (i32.const 56) "\02\00\00\00\00\00\00\00")
  (data (i32.const 64) "\09\00\00\00\00\00\00\00")
  (func $arg (param $i i32) (result i64) (i64.load (i32.mul (local.get $i) (i32.const 8))))
  (func $tell (param $tag i64) (param $v i64)
    (i64.store (i32.const 48) (local.get $v))
    (drop (call $send (call $arg (i32.const 0)) (local.get $tag) (i32.const 48) (i32.const 8))))
  (func $ready_go
    (call $tell (i64.const 4) (i64.const 0))
    (drop (call $receive (i32.const 56) (i32.const 1) (i64.const -1))))
  ;; The key of integer v at 96: 8 bytes big-endian with the sign bit flipped.
  (func $key (param $v i64)
    (local $i i32)
    (local.set $v (i64.xor (local.get $v) (i64.const 0x8000000000000000)))
    (local.set $i (i32.const 7))
    (loop $byte
      (i64.store8 (i32.add (i32.const 96) (local.get $i)) (local.get $v))
      (local.set $v (i64.shr_u (local.get $v) (i64.const 8)))
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (br_if $byte (i32.ge_s (local.get $i) (i32.const 0)))))
  ;; owner: [kind]. Makes a public table, reports its id (tag 1), waits for tag 9.
  (func (export "owner")
    (drop (call $arg_read (i32.const 0) (i32.const 16)))
    (call $tell (i64.const 1)
      (call $table_new (i32.const 0) (i32.const 0) (i32.wrap_i64 (call $arg (i32.const 1))) (i32.const 1) (i64.const 0)))
    (drop (call $receive (i32.const 64) (i32.const 1) (i64.const -1))))
  ;; insert: [tid][n]. Inserts keys 0..n, each with its integer as value.
  (func (export "insert")
    (local $tid i64) (local $i i64) (local $n i64)
    (drop (call $arg_read (i32.const 0) (i32.const 24)))
    (local.set $tid (call $arg (i32.const 1)))
    (local.set $n (call $arg (i32.const 2)))
    (call $ready_go)
    (block $done (loop $next
      (br_if $done (i64.ge_s (local.get $i) (local.get $n)))
      (call $key (local.get $i))
      (i64.store (i32.const 112) (local.get $i))
      (if (call $table_insert (local.get $tid) (i32.const 96) (i32.const 8) (i32.const 112) (i32.const 8))
        (then unreachable))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (call $tell (i64.const 3) (i64.const 0)))
  ;; lookup: [tid][n][scattered][offset]. Looks up n keys: i in order, or
  ;; ((i + offset) * 7919) mod n; each must be there.
  (func (export "lookup")
    (local $tid i64) (local $i i64) (local $n i64) (local $scattered i64) (local $offset i64)
    (drop (call $arg_read (i32.const 0) (i32.const 40)))
    (local.set $tid (call $arg (i32.const 1)))
    (local.set $n (call $arg (i32.const 2)))
    (local.set $scattered (call $arg (i32.const 3)))
    (local.set $offset (call $arg (i32.const 4)))
    (call $ready_go)
    (block $done (loop $next
      (br_if $done (i64.ge_s (local.get $i) (local.get $n)))
      (if (i64.eqz (local.get $scattered))
        (then (call $key (local.get $i)))
        (else (call $key (i64.rem_u (i64.mul (i64.add (local.get $i) (local.get $offset)) (i64.const 7919)) (local.get $n)))))
      (if (i32.ne (call $table_lookup (local.get $tid) (i32.const 96) (i32.const 8) (i32.const 128) (i32.const 8)) (i32.const 8))
        (then unreachable))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (call $tell (i64.const 3) (i64.const 0)))
  ;; counter: [tid][n][key]. update_counter(key, +1, default 0) n times.
  (func (export "counter")
    (local $tid i64) (local $n i64)
    (drop (call $arg_read (i32.const 0) (i32.const 32)))
    (local.set $tid (call $arg (i32.const 1)))
    (local.set $n (call $arg (i32.const 2)))
    (call $key (call $arg (i32.const 3)))
    (call $ready_go)
    (block $done (loop $next
      (br_if $done (i64.eqz (local.get $n)))
      (if (call $table_update_counter (local.get $tid) (i32.const 96) (i32.const 8)
            (i64.const 1) (i32.const 1) (i64.const 0) (i32.const 112))
        (then unreachable))
      (local.set $n (i64.sub (local.get $n) (i64.const 1)))
      (br $next)))
    (call $tell (i64.const 3) (i64.const 0)))
)
"#;

const SET: i64 = 0;
const ORDERED_SET: i64 = 1;
const SCHEDULERS: usize = 2;
/// A bound against hangs only.
const PATIENCE: Duration = Duration::from_secs(600);

/// Every row, in print order: (name, what it measures).
const ROWS: &[(&str, &str)] = &[
    ("insert", "insert, 1 process"),
    ("lookup_seq", "lookup in key order, 1 process"),
    ("lookup_scattered", "lookup scattered, 1 process"),
    ("lookup_seq_2procs", "lookup in key order, 2 processes (wall)"),
    ("lookup_scattered_2procs", "lookup scattered, 2 processes (wall)"),
    ("counter", "update_counter, 1 process"),
    ("counter_2procs_same_key", "update_counter, 2 processes, same key (wall)"),
    ("counter_2procs_own_keys", "update_counter, 2 processes, a key each (wall)"),
    ("ordered_insert", "ordered_set insert, 1 process"),
    ("ordered_lookup_seq", "ordered_set lookup in key order, 1 process"),
    ("ordered_lookup_scattered", "ordered_set lookup scattered, 1 process"),
    ("ordered_lookup_seq_2procs", "ordered_set lookup in key order, 2 processes (wall)"),
    ("ordered_lookup_scattered_2procs", "ordered_set lookup scattered, 2 processes (wall)"),
];

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(default)
}

fn main() {
    let n = env_number("WARREN_BENCH_N", 1_000_000);
    let runs = env_number("WARREN_BENCH_RUNS", 3).max(1);
    let filters: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let selected = |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    if !ROWS.iter().any(|(name, _)| selected(name)) {
        let names: Vec<&str> = ROWS.iter().map(|(n, _)| *n).collect();
        eprintln!("no benchmark matches {filters:?}; the rows are: {}", names.join(", "));
        std::process::exit(2);
    }
    println!("Warren tables: N = {n}, {SCHEDULERS} schedulers, median of {runs} runs");
    let warren = Warren::new().measure(n, runs, &selected);
    let erlang = erlang(n, runs);
    print_table(&warren, &erlang, &selected);
}

// ------------------------------------------------------------------ Warren

struct Warren {
    node: Node,
    module: LoadedModule,
    inbox: Inbox,
}

impl Warren {
    fn new() -> Warren {
        let node = Node::new(NodeConfig::default().schedulers(SCHEDULERS)).expect("a node starts");
        let module = node.load("tables-bench", GUEST.as_bytes()).expect("the bench guest loads");
        let inbox = node.inbox();
        Warren { node, module, inbox }
    }

    fn arg(&self, fields: &[i64]) -> Vec<u8> {
        let mut arg = (self.inbox.pid().raw() as i64).to_le_bytes().to_vec();
        for field in fields {
            arg.extend_from_slice(&field.to_le_bytes());
        }
        arg
    }

    fn recv(&self, tag: i64) -> i64 {
        let message = self.inbox.recv_timeout(PATIENCE).expect("the bench guest answers");
        assert_eq!(message.tag, tag, "unexpected message {message:?}");
        i64::from_le_bytes(message.data[..8].try_into().expect("8 bytes"))
    }

    /// A process that owns a fresh public table of `kind`.
    fn owner(&self, kind: i64) -> (ProcessHandle, i64) {
        let owner = self.node.spawn(&self.module, "owner", &self.arg(&[kind])).expect("spawn owner");
        let tid = self.recv(1);
        assert!(tid > 0, "table_new returned {tid}");
        (owner, tid)
    }

    fn release(&self, owner: ProcessHandle) {
        self.inbox.send(owner.pid(), 9, b"");
        assert!(owner.wait().is_normal());
    }

    /// Runs workers, released together; returns the wall time.
    fn timed(&self, workers: &[(&str, Vec<i64>)]) -> Duration {
        let handles: Vec<ProcessHandle> = workers
            .iter()
            .map(|(entry, fields)| self.node.spawn(&self.module, entry, &self.arg(fields)).expect("spawn worker"))
            .collect();
        for _ in &handles {
            self.recv(4);
        }
        let start = Instant::now();
        for handle in &handles {
            self.inbox.send(handle.pid(), 2, b"");
        }
        for _ in &handles {
            self.recv(3);
        }
        let elapsed = start.elapsed();
        for handle in handles {
            let reason = handle.wait();
            assert!(reason.is_normal(), "a bench worker ended with {reason:?}");
        }
        elapsed
    }

    fn measure(&self, n: u64, runs: u64, selected: &dyn Fn(&str) -> bool) -> BTreeMap<String, f64> {
        let n = n as i64;
        let per_op = |d: Duration, ops: i64| d.as_nanos() as f64 / ops as f64;
        let mut samples: BTreeMap<String, Vec<f64>> = BTreeMap::new();
        for run in 0..runs {
            for (kind, prefix) in [(SET, ""), (ORDERED_SET, "ordered_")] {
                // The lookups need the inserts: a kind runs whole if any of
                // its rows is selected.
                let of_kind = |name: &str| match prefix {
                    "" => !name.starts_with("ordered_") && !name.starts_with("counter"),
                    _ => name.starts_with(prefix),
                };
                if !ROWS.iter().any(|(name, _)| of_kind(name) && selected(name)) {
                    continue;
                }
                let (owner, tid) = self.owner(kind);
                let mut record = |row: &str, value: f64| {
                    println!("  run {run}: {prefix}{row} {value:.1} ns/op");
                    samples.entry(format!("{prefix}{row}")).or_default().push(value);
                };
                record("insert", per_op(self.timed(&[("insert", vec![tid, n])]), n));
                for (scattered, name) in [(0, "seq"), (1, "scattered")] {
                    let one = self.timed(&[("lookup", vec![tid, n, scattered, 0])]);
                    record(&format!("lookup_{name}"), per_op(one, n));
                    let two = self
                        .timed(&[("lookup", vec![tid, n, scattered, 0]), ("lookup", vec![tid, n, scattered, n / 2])]);
                    record(&format!("lookup_{name}_2procs"), per_op(two, 2 * n));
                }
                self.release(owner);
            }
            if ROWS.iter().any(|(name, _)| name.starts_with("counter") && selected(name)) {
                let (owner, tid) = self.owner(SET);
                let mut record = |row: &str, value: f64| {
                    println!("  run {run}: {row} {value:.1} ns/op");
                    samples.entry(row.to_string()).or_default().push(value);
                };
                record("counter", per_op(self.timed(&[("counter", vec![tid, n, 1])]), n));
                let same = self.timed(&[("counter", vec![tid, n, 1]), ("counter", vec![tid, n, 1])]);
                record("counter_2procs_same_key", per_op(same, 2 * n));
                let own = self.timed(&[("counter", vec![tid, n, 2]), ("counter", vec![tid, n, 3])]);
                record("counter_2procs_own_keys", per_op(own, 2 * n));
                self.release(owner);
            }
        }
        assert_eq!(self.node.tables_memory(), 0, "every bench table is gone with its owner");
        samples.into_iter().map(|(row, mut values)| (row, median(&mut values))).collect()
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[(values.len() - 1) / 2]
}

// ------------------------------------------------------------------ Erlang

/// The Erlang figures, or why there are none.
fn erlang(n: u64, runs: u64) -> Result<BTreeMap<String, f64>, String> {
    if std::env::var_os("WARREN_BENCH_NO_ERLANG").is_some() {
        return Err("skipped (WARREN_BENCH_NO_ERLANG is set)".into());
    }
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/erlang/tables_bench.erl");
    println!("\nErlang/OTP: escript {} {n} {runs}", script.display());
    let output = Command::new("escript").arg(&script).arg(n.to_string()).arg(runs.to_string()).output();
    let output = match output {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err("`escript` not found (install Erlang/OTP: apt-get install -y erlang-nox)".into());
        }
        Err(e) => return Err(format!("cannot run escript: {e}")),
        Ok(output) => output,
    };
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!("escript failed ({}): {}", output.status, String::from_utf8_lossy(&output.stderr)));
    }
    let mut figures = BTreeMap::new();
    for line in stdout.lines() {
        match line.strip_prefix("result ").and_then(|rest| rest.split_once(' ')) {
            Some((key, value)) => {
                if let Ok(value) = value.trim().parse::<f64>() {
                    figures.insert(key.to_string(), value);
                }
            }
            None => println!("  {line}"),
        }
    }
    if figures.is_empty() { Err("the Erlang script printed no result".into()) } else { Ok(figures) }
}

// ------------------------------------------------------------------- table

fn print_table(
    warren: &BTreeMap<String, f64>,
    erlang: &Result<BTreeMap<String, f64>, String>,
    selected: &dyn Fn(&str) -> bool,
) {
    if let Err(why) = erlang {
        println!("\nErlang: {why}; its column reads n/a");
    }
    let mut lines =
        vec![["benchmark (ns/op)", "Warren", "Erlang/OTP", "ratio W/E", "target met"].map(String::from).to_vec()];
    for (name, what) in ROWS.iter().filter(|(name, _)| selected(name)) {
        let w = warren.get(*name).copied();
        let e = erlang.as_ref().ok().and_then(|f| f.get(*name).copied());
        let fmt = |v: Option<f64>| v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.0}"));
        let target = !name.starts_with("ordered_");
        let (ratio, met) = match (w, e) {
            (Some(w), Some(e)) if e > 0.0 => {
                let met = match (target, w <= e) {
                    (false, _) => "(info)",
                    (true, true) => "yes",
                    (true, false) => "NO",
                };
                (format!("{:.2}", w / e), met.to_string())
            }
            _ => ("-".to_string(), "-".to_string()),
        };
        lines.push(vec![format!("{name}: {what}"), fmt(w), fmt(e), ratio, met]);
    }
    println!();
    report::print_markdown_table(&lines);
    println!(
        "\nratio = Warren / Erlang (below 1.0: Warren is faster). Target (the set workloads of issue 4): at \
         least as fast as Erlang; the ordered_set rows are for information."
    );
}
