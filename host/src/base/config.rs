//! Node configuration: schedulers, time slices, limits, memory layout.

use super::options::Preopen;

/// How linear memories and fiber stacks are laid out in the host's address
/// space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryLayout {
    /// Every memory and fiber stack is a slot of a large shared region: no
    /// memory mapping per process, so a node holds millions of processes
    /// under the kernel's default `vm.max_map_count`. Compiled code checks
    /// memory bounds explicitly (slower on memory-bound loops).
    Dense,
    /// wasmtime's own layout: each memory is its own reservation with guard
    /// pages, so bounds checks are elided, at the cost of a few mappings per
    /// process (the kernel's default map count then stops a node at tens of
    /// thousands of processes).
    Guarded,
}

/// Settings of a node. `NodeConfig::default()` is what the CLI uses when no
/// option is given; the builder methods change one setting each:
///
/// ```
/// use warren_host::NodeConfig;
/// let config = NodeConfig::default().schedulers(2).max_mailbox(Some(10_000));
/// assert_eq!(config.schedulers, 2);
/// ```
///
/// The fields can be read; new ones may come in later versions, so a
/// configuration is built from the default, not written out whole.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct NodeConfig {
    /// Scheduler threads (default: one per core).
    pub schedulers: usize,
    /// Fuel in one time slice: the reduction budget after which a running
    /// process goes to the back of the run queue.
    pub reductions: u64,
    /// Largest linear memory a process may have, in bytes (a spawn may give
    /// a process less: see `SpawnOptions`).
    pub max_memory: usize,
    /// Total fuel a process may use before it is stopped (`None`: no limit;
    /// a spawn may give a process less).
    pub max_fuel: Option<u64>,
    /// Largest message, in bytes.
    pub max_message: usize,
    /// Most messages a process may have queued (sent to it and not yet
    /// received). A send that goes beyond ends the receiver with a `Limit`
    /// reason; the sender is not told, as a send never fails. `None`: no
    /// limit (as Erlang, where only `max_heap_size` bounds a mailbox). A
    /// spawn may give a process a smaller limit.
    pub max_mailbox: Option<usize>,
    /// Most processes alive at once.
    pub max_processes: u32,
    /// Memory and stack layout.
    pub layout: MemoryLayout,
    /// Deepest wasm stack a process may use, in bytes.
    pub max_wasm_stack: usize,
    /// Prefix every line a process writes to stdout/stderr with its pid.
    pub tag_output: bool,
    /// Arguments the root process sees through WASI `args_get`.
    pub args: Vec<String>,
    /// Environment variables processes see through WASI `environ_get`.
    pub env: Vec<(String, String)>,
    /// Host directories the processes the host spawns see through WASI
    /// (the root process under `warren run --dir`); their children inherit
    /// them, narrowed by their spawn options.
    pub dirs: Vec<Preopen>,
    /// Hibernate handler-style processes that have waited this long for a
    /// message (as gen_server's `hibernate_after`), when their module allows
    /// it (see `hibernate` in docs/ABI.md). `None`: only when they ask.
    pub hibernate_after: Option<std::time::Duration>,
    /// Most bytes the node holds for its guests outside their linear
    /// memories: queued messages, timer payloads, spawn arguments, shared
    /// tables. Past it a guest's send, timer, spawn or table write gets
    /// `ERR_LIMIT` (see docs/ABI.md, "Limits"). Default: half of the
    /// machine's memory.
    pub max_host_memory: usize,
    /// Write where each loaded module's functions' machine code lies to
    /// `/tmp/perf-PID.map`, so that Linux `perf` names guest functions
    /// (`perf top`, `perf record` then `perf report`).
    pub perf_map: bool,
}

/// Default time slice, in fuel (about one fuel unit per wasm instruction):
/// long enough that preemption costs a busy loop little, short enough that
/// a ping-pong pair beside one busy loop per scheduler keeps its round trips
/// short. Chosen with the bench's "fairness" section (benches/runtime.rs).
pub const DEFAULT_REDUCTIONS: u64 = 100_000;

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            schedulers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            reductions: DEFAULT_REDUCTIONS,
            max_memory: 256 << 20,
            max_fuel: None,
            max_message: 64 << 20,
            max_mailbox: None,
            // As Erlang's `+P`: a spawn bomb meets `ERR_LIMIT` before it
            // exhausts the memory of an ordinary machine.
            max_processes: 1 << 21,
            layout: MemoryLayout::Dense,
            max_wasm_stack: 256 << 10,
            tag_output: false,
            args: Vec::new(),
            env: Vec::new(),
            dirs: Vec::new(),
            hibernate_after: None,
            max_host_memory: default_max_host_memory(),
            perf_map: false,
        }
    }
}

/// A builder method per setting: `config.schedulers(2)` is the
/// configuration with that one setting changed.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $ty:ty;)*) => {
        impl NodeConfig {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $name(mut self, value: $ty) -> Self {
                    self.$name = value;
                    self
                }
            )*
        }
    };
}

setters! {
    /// Sets [`NodeConfig::schedulers`].
    schedulers: usize;
    /// Sets [`NodeConfig::reductions`].
    reductions: u64;
    /// Sets [`NodeConfig::max_memory`].
    max_memory: usize;
    /// Sets [`NodeConfig::max_fuel`].
    max_fuel: Option<u64>;
    /// Sets [`NodeConfig::max_message`].
    max_message: usize;
    /// Sets [`NodeConfig::max_mailbox`].
    max_mailbox: Option<usize>;
    /// Sets [`NodeConfig::max_processes`].
    max_processes: u32;
    /// Sets [`NodeConfig::layout`].
    layout: MemoryLayout;
    /// Sets [`NodeConfig::max_wasm_stack`].
    max_wasm_stack: usize;
    /// Sets [`NodeConfig::tag_output`].
    tag_output: bool;
    /// Sets [`NodeConfig::args`].
    args: Vec<String>;
    /// Sets [`NodeConfig::env`].
    env: Vec<(String, String)>;
    /// Sets [`NodeConfig::dirs`].
    dirs: Vec<Preopen>;
    /// Sets [`NodeConfig::hibernate_after`].
    hibernate_after: Option<std::time::Duration>;
    /// Sets [`NodeConfig::max_host_memory`].
    max_host_memory: usize;
    /// Sets [`NodeConfig::perf_map`].
    perf_map: bool;
}

/// Half of the machine's memory (4 GiB if it cannot be read): a node holds
/// that much for its guests at most, by default, so that a guest cannot
/// make the host run out of memory.
fn default_max_host_memory() -> usize {
    let total_kib = std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| {
        let kib = text.lines().find_map(|line| line.strip_prefix("MemTotal:"))?;
        kib.trim().trim_end_matches("kB").trim().parse::<usize>().ok()
    });
    total_kib.map_or(4 << 30, |kib| kib.saturating_mul(1024) / 2)
}

impl NodeConfig {
    /// The configuration with host directory `dir` preopened too (see
    /// [`NodeConfig::dirs`]).
    #[must_use]
    pub fn dir(mut self, dir: Preopen) -> Self {
        self.dirs.push(dir);
        self
    }

    /// Fiber stack size: the wasm stack plus headroom for the host functions
    /// (WASI among them) that run on the fiber. Kept small: every stack slot's
    /// share of address space costs page-table bytes per process.
    pub(crate) fn fiber_stack_size(&self) -> usize {
        self.max_wasm_stack + (128 << 10)
    }
}
