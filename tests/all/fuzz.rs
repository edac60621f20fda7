//! Fuzzing of the host ABI: generated guests call every host function with
//! random arguments. Whatever a guest does, its valid outcomes are to exit
//! (normally or with a reason), trap, hit a limit or be killed: the host
//! must not panic, hang or stop serving other processes.
//!
//! Two generators make the guests: `calls` (random sequences of calls to
//! every `warren_v1` and WASI function, with arguments biased to edge
//! values, sometimes in a loop, sometimes spawning copies of themselves)
//! and `smith` (wasm-smith modules that import the ABI). They run in
//! batches, each on a fresh node with small limits (memory, fuel,
//! processes, host memory, mailbox) and otherwise random settings. After
//! each batch a sentinel process spawned before the guests must still be
//! served, a new process must run if the node has room for it, no thread
//! of the node may have panicked, and the node must shut down within
//! `PATIENCE`.
//!
//! The suite runs it for a fixed time from a seed taken from the clock and
//! printed first (to stderr, uncaptured, so an abort cannot hide it).
//! Batch `n` uses seed `seed + n`; a failure names its batch's seed and
//! writes the batch's guests under `target/tmp/warren-fuzz/`.
//!
//! - `WARREN_FUZZ_SEED=<seed>` starts from that seed: the failing batch is
//!   generated again, first (scheduling may still differ from run to run).
//! - `WARREN_FUZZ_SECS=<secs>` runs that long instead of 20 s (at least one
//!   batch runs). A longer run, for developers changing the host:
//!
//! ```text
//! WARREN_FUZZ_SECS=600 cargo test --release --test all fuzz -- --nocapture
//! ```
//!
//! `--nocapture` shows the run's summary: outcomes by kind and every
//! distinct trap and limit text (numbers masked), worth a look after a
//! change.

mod calls;
mod smith;

use crate::common::*;
use arbitrary::Unstructured;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};
use warren_host::{MemoryLayout, SpawnError};

/// The generator's list of host functions is the node's: a host function
/// added to the ABI (or WASI) fails this test until the generator knows
/// how to call it.
#[test]
fn the_generator_calls_every_host_function() {
    let node = node(1);
    let mut listed: Vec<(String, String, Vec<String>, Vec<String>)> = calls::ABI
        .iter()
        .map(|f| {
            (f.module.to_string(), f.name.to_string(), f.params(), f.result.iter().map(|r| r.to_string()).collect())
        })
        .collect();
    listed.sort();
    let linked: Vec<(String, String, Vec<String>, Vec<String>)> =
        node.host_imports().into_iter().map(|i| (i.module, i.name, i.params, i.results)).collect();
    assert!(linked.iter().any(|i| i.0 == "warren_v1" && i.1 == "send"), "the node lists its ABI");
    assert!(linked.iter().any(|i| i.0 == "wasi_snapshot_preview1" && i.1 == "fd_write"), "and WASI");
    let missing: Vec<_> = linked.iter().filter(|i| !listed.contains(i)).collect();
    let extra: Vec<_> = listed.iter().filter(|i| !linked.contains(i)).collect();
    assert!(missing.is_empty() && extra.is_empty(), "not in the generator: {missing:?}; not linked: {extra:?}");
    assert_eq!(listed.len(), linked.len(), "each function is listed once");
}

/// Generated guests of both kinds load: the generators make what the node
/// accepts (a guest refused at load would test nothing).
#[test]
fn generated_guests_load() {
    let node = node(1);
    let bytes = random_bytes(1, 1 << 16);
    let mut u = Unstructured::new(&bytes);
    for n in 0..4 {
        let guest = calls::generate(&mut u, &format!("g{n}"), &[]).expect("a guest");
        if let Err(e) = node.load(&guest.name, guest.wat.as_bytes()) {
            panic!("{e:#}\n{}", guest.wat);
        }
    }
    let mut made = 0;
    for _ in 0..8 {
        // wasm-smith gives up on some inputs; what it makes must load.
        let Ok(wasm) = smith::generate(&mut u) else { continue };
        made += 1;
        if let Err(e) = node.load("smith", &wasm) {
            panic!("a wasm-smith module is refused: {e:#}");
        }
    }
    assert!(made > 0, "wasm-smith made modules");
}

#[test]
fn fuzz_the_host_abi() {
    install_panic_hook();
    let seed = env_u64("WARREN_FUZZ_SEED").unwrap_or_else(|| {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        now.as_nanos() as u64 % 1_000_000_000
    });
    let budget = Duration::from_secs(env_u64("WARREN_FUZZ_SECS").unwrap_or(20));
    let _ = writeln!(
        std::io::stderr(),
        "fuzz: seed {seed} for {budget:?} (replay: WARREN_FUZZ_SEED={seed}; run longer: WARREN_FUZZ_SECS=...)"
    );
    let watchdog = Watchdog::start();
    let mut stats = Stats::default();
    let start = Instant::now();
    let mut batch = seed;
    loop {
        run_batch(batch, &mut stats);
        watchdog.progress();
        stats.batches += 1;
        batch += 1;
        if start.elapsed() >= budget {
            break;
        }
    }
    println!("fuzz: {} batches from seed {seed} in {:?}", stats.batches, start.elapsed());
    println!("{stats}");
    assert!(stats.guests > 0, "guests ran");
}

/// Counts of what the guests of a run did.
#[derive(Default)]
struct Stats {
    batches: u64,
    guests: u64,
    /// wasm-smith modules the node refused at load (not valid for it).
    refused: u64,
    /// Roots that could not be spawned (node limits reached).
    not_spawned: u64,
    /// Roots still running when their batch ended (waiting, or looping).
    running: u64,
    /// How roots ended, by reason kind.
    ended: BTreeMap<&'static str, u64>,
    /// Each distinct trap or limit text (numbers masked), with its count
    /// and the whole text of its first occurrence.
    texts: BTreeMap<String, (u64, String)>,
    /// Batches whose sentinel a guest ended (so it proved nothing).
    sentinel_lost: u64,
    /// Batches whose node had no room for a new process at the check.
    no_room: u64,
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "guests {} (refused at load {}, not spawned {}, still running at the end {}); sentinel lost {}, \
             no room at the check {}",
            self.guests, self.refused, self.not_spawned, self.running, self.sentinel_lost, self.no_room
        )?;
        writeln!(f, "ended: {:?}", self.ended)?;
        for (text, (count, first)) in &self.texts {
            writeln!(f, "{count:6} {text}")?;
            if std::env::var_os("WARREN_FUZZ_VERBOSE").is_some() {
                writeln!(f, "       first: {}", first.lines().next().unwrap_or_default())?;
            }
        }
        Ok(())
    }
}

/// The guests of the batch now running: what a failure writes out.
struct Batch {
    seed: u64,
    guests: Vec<(String, Vec<u8>, &'static str)>,
}

static CURRENT: Mutex<Option<Batch>> = Mutex::new(None);

/// Panics on the node's own threads (schedulers, timers).
static HOST_PANICS: AtomicUsize = AtomicUsize::new(0);

/// Counts panics on the node's threads and says which batch was running.
/// A scheduler thread that panics aborts the test binary (see
/// `sched/mod.rs`), after the hook has run: the hook's lines are what is
/// left to read.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name().is_some_and(|name| name.starts_with("warren-")) {
                HOST_PANICS.fetch_add(1, Ordering::SeqCst);
                let _ = writeln!(std::io::stderr(), "fuzz: a thread of the node panicked: {info}");
                if let Ok(current) = CURRENT.try_lock() {
                    dump(current.as_ref());
                }
            }
            previous(info);
        }));
    });
}

/// Writes the batch's guests out and says how to replay it.
fn dump(batch: Option<&Batch>) {
    let Some(batch) = batch else { return };
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("warren-fuzz").join(format!("seed-{}", batch.seed));
    let _ = std::fs::create_dir_all(&dir);
    for (n, (name, bytes, ext)) in batch.guests.iter().enumerate() {
        let _ = std::fs::write(dir.join(format!("{n}-{name}.{ext}")), bytes);
    }
    let _ = writeln!(
        std::io::stderr(),
        "fuzz: batch seed {} failed; its guests are in {}; replay with WARREN_FUZZ_SEED={}",
        batch.seed,
        dir.display(),
        batch.seed
    );
}

/// Dumps the current batch if the test thread unwinds (a failed check).
struct Blame;

impl Drop for Blame {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let current = CURRENT.lock().unwrap_or_else(|e| e.into_inner());
            dump(current.as_ref());
        }
    }
}

/// Aborts the test binary, naming the batch, if a batch takes far longer
/// than it may: a hang in a host call made by the test itself would
/// otherwise hold the suite forever.
struct Watchdog {
    progress: crossbeam_channel::Sender<()>,
}

impl Watchdog {
    fn start() -> Watchdog {
        let (progress, beats) = crossbeam_channel::unbounded::<()>();
        std::thread::spawn(move || {
            loop {
                match beats.recv_timeout(PATIENCE * 4) {
                    Ok(()) => continue,
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => return,
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {
                        let _ = writeln!(std::io::stderr(), "fuzz: a batch hangs");
                        if let Ok(current) = CURRENT.try_lock() {
                            dump(current.as_ref());
                        }
                        std::process::abort();
                    }
                }
            }
        });
        Watchdog { progress }
    }

    fn progress(&self) {
        let _ = self.progress.send(());
    }
}

/// How long the roots of a batch may run before the checks.
const WINDOW: Duration = Duration::from_millis(500);

/// The sentinel: waits for one message, then exits normally. Guests are
/// not told its pid. `quick` is the process of the check that a new
/// process runs.
const SENTINEL: &str = r#"(module
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (memory (export "memory") 1)
  (func (export "main") (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1))))
  (func (export "quick")))"#;

/// Runs one batch of guests on a fresh node, then checks the node.
fn run_batch(seed: u64, stats: &mut Stats) {
    let bytes = random_bytes(seed, 1 << 20);
    let mut u = Unstructured::new(&bytes);
    let config = random_config(&mut u);
    let node = node_with(config);
    let sentinel_module = load(&node, "sentinel", SENTINEL);
    let sentinel = spawn(&node, &sentinel_module, "main", b"");
    // The guests' own inbox (they may link to it, kill it, flood it); the
    // test's checks do not use it.
    let victim = node.inbox();
    let dead = dead_pid(&node);
    // Dropped before the node: a failed check writes the batch out before
    // the node's shutdown, which may be what hangs.
    let _blame = Blame;

    // Generate the batch and record it before anything of it runs.
    let count = u.int_in_range(1..=6).unwrap_or(3);
    let names: Vec<String> = (0..count).map(|n| format!("fz{n}")).collect();
    let mut guests = Vec::new();
    for name in &names {
        if u.ratio(2, 3).unwrap_or(true) {
            let guest = calls::generate(&mut u, name, &names).expect("the generator never runs out");
            let entry = if guest.starts_on_main { "main" } else { "handler" };
            guests.push((name.clone(), guest.wat.into_bytes(), "wat", entry));
        } else {
            // wasm-smith gives up on some inputs: then there is one guest
            // fewer.
            let Ok(wasm) = smith::generate(&mut u) else { continue };
            let entry = if u.ratio(1, 4).unwrap_or(false) { "handler" } else { "main" };
            guests.push((name.clone(), wasm, "wasm", entry));
        }
    }
    *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) =
        Some(Batch { seed, guests: guests.iter().map(|(n, b, e, _)| (n.clone(), b.clone(), *e)).collect() });

    let mut arg = pid_bytes(victim.pid()).to_vec();
    arg.extend_from_slice(&pid_bytes(dead));
    // Every module first, so that each guest can spawn from the others.
    let mut loaded = Vec::new();
    for (name, bytes, kind, entry) in &guests {
        stats.guests += 1;
        match node.load(name, bytes) {
            Ok(module) if module.has_entry(entry) => loaded.push((module, *entry)),
            Ok(_) => {
                assert_eq!(*kind, "wasm", "a generated guest lacks {entry}");
                stats.refused += 1;
            }
            Err(e) => {
                assert_eq!(*kind, "wasm", "a generated guest is refused: {e:#}");
                stats.refused += 1;
            }
        }
    }
    let mut roots = Vec::new();
    for (module, entry) in &loaded {
        match node.spawn(module, entry, &arg) {
            Ok(process) => roots.push(process),
            Err(SpawnError::Limit { .. } | SpawnError::HostMemory { .. } | SpawnError::Mappings { .. }) => {
                stats.not_spawned += 1
            }
            Err(e) => panic!("spawn {}: {e:#}", module.name()),
        }
    }

    let deadline = Instant::now() + WINDOW;
    for root in &roots {
        match root.wait_timeout(deadline.saturating_duration_since(Instant::now())) {
            Some(reason) => stats.record(&reason),
            None => stats.running += 1,
        }
    }
    check_node(&node, &sentinel, &sentinel_module, stats);
    drop(victim);
    shut_down_on_time(node);
    assert_eq!(HOST_PANICS.load(Ordering::SeqCst), 0, "a thread of the node panicked (see above)");
    *CURRENT.lock().unwrap_or_else(|e| e.into_inner()) = None;
}

impl Stats {
    fn record(&mut self, reason: &ExitReason) {
        let kind = match reason {
            ExitReason::Normal => "normal",
            ExitReason::Shutdown(_) => "shutdown",
            ExitReason::Custom(_) => "custom",
            ExitReason::Kill => "kill",
            ExitReason::Killed => "killed",
            ExitReason::Noproc => "noproc",
            ExitReason::Trap(_) => "trap",
            ExitReason::Limit(_) => "limit",
        };
        *self.ended.entry(kind).or_default() += 1;
        if let ExitReason::Trap(text) | ExitReason::Limit(text) = reason {
            let first = text.lines().next().unwrap_or_default();
            let masked: Vec<String> = first.split(' ').map(mask).collect();
            let entry = self.texts.entry(format!("{kind}: {}", masked.join(" "))).or_insert((0, text.clone()));
            entry.0 += 1;
        }
    }
}

/// A word of a reason's text with its numbers masked (`#`), so texts that
/// differ only in addresses, sizes and pids count as one.
fn mask(word: &str) -> String {
    let core = word.trim_matches(|c: char| "()<>`,:".contains(c));
    let numeric = core.starts_with(|c: char| c.is_ascii_digit() || c == '-');
    if numeric && !core.is_empty() { word.replace(core, "#") } else { word.to_string() }
}

/// The node still serves processes: the sentinel gets a message and ends
/// (unless a guest ended it first), and a new process runs if the node
/// has room for it. Neither needs host memory the guests may have used up.
fn check_node(node: &Node, sentinel: &ProcessHandle, module: &LoadedModule, stats: &mut Stats) {
    assert_eq!(HOST_PANICS.load(Ordering::SeqCst), 0, "a thread of the node panicked (see above)");
    let inbox = node.inbox();
    inbox.send(sentinel.pid(), 1, b"");
    match sentinel.wait_timeout(PATIENCE) {
        Some(ExitReason::Normal) => {}
        // Its own code cannot fail: any other reason is an exit signal from
        // a guest that guessed its pid and linked to it (a guest's trap or
        // limit travels as such), or killed it. `kill` itself never is a
        // process's exit reason (it arrives as `killed`).
        Some(ExitReason::Kill) => panic!("the sentinel ended with reason kill, not killed"),
        Some(_) => stats.sentinel_lost += 1,
        None => panic!("the sentinel was not served within {PATIENCE:?}"),
    }
    match node.spawn(module, "quick", b"") {
        Ok(quick) => assert_eq!(quick.wait_timeout(PATIENCE), Some(ExitReason::Normal), "a new process runs"),
        Err(SpawnError::Limit { .. } | SpawnError::HostMemory { .. } | SpawnError::Mappings { .. }) => {
            stats.no_room += 1
        }
        Err(e) => panic!("a new process cannot be spawned: {e:#}"),
    }
}

/// Settings of a batch's node: small limits, so that every guest is
/// bounded, and otherwise random.
fn random_config(u: &mut Unstructured<'_>) -> NodeConfig {
    let mut pick = |choices: &[u64]| u.choose(choices).copied().unwrap_or(choices[0]);
    let schedulers = pick(&[1, 2]) as usize;
    let reductions = pick(&[1_000, 20_000, warren_host::DEFAULT_REDUCTIONS]);
    let max_memory = pick(&[2 << 16, 16 << 16, 64 << 16]) as usize;
    let max_fuel = pick(&[200_000, 2_000_000, 20_000_000]);
    let max_message = pick(&[256, 64 << 10, 1 << 20]) as usize;
    let max_mailbox = [None, Some(16), Some(1_000)][pick(&[0, 1, 2]) as usize];
    let max_processes = pick(&[8, 32, 128]) as u32;
    let layout = [MemoryLayout::Dense, MemoryLayout::Dense, MemoryLayout::Guarded][pick(&[0, 1, 2]) as usize];
    let hibernate_after =
        [None, Some(Duration::from_millis(1)), Some(Duration::from_millis(20))][pick(&[0, 1, 2]) as usize];
    let max_host_memory = pick(&[256 << 10, 4 << 20, 64 << 20]) as usize;
    let tag_output = pick(&[0, 1]) == 1;
    NodeConfig::default()
        .schedulers(schedulers)
        .reductions(reductions)
        .max_memory(max_memory)
        .max_fuel(Some(max_fuel))
        .max_message(max_message)
        .max_mailbox(max_mailbox)
        .max_processes(max_processes)
        .layout(layout)
        .hibernate_after(hibernate_after)
        .max_host_memory(max_host_memory)
        .tag_output(tag_output)
}

/// `len` bytes of a splitmix64 stream from `seed`.
fn random_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(len);
    out
}

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    Some(value.trim().parse().unwrap_or_else(|_| panic!("{name} must be a number, not {value:?}")))
}

/// Drops `node` on another thread and fails the test if its shutdown takes
/// longer than PATIENCE (a thread held by a guest would hang it).
fn shut_down_on_time(node: Node) {
    let (done, finished) = crossbeam_channel::bounded(1);
    std::thread::spawn(move || {
        drop(node);
        let _ = done.send(());
    });
    assert!(finished.recv_timeout(PATIENCE).is_ok(), "the node did not shut down within {PATIENCE:?}");
}
