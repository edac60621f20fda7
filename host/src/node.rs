//! The node: the runtime as a library. Load modules, spawn processes, talk
//! to them from the host, wait for them, shut down.

mod call;
mod introspect;
mod supervise;

pub use call::CallError;
pub use introspect::{
    MemoryByKind, NodeStats, ProcessDetails, ProcessSummary, SupervisionTree, Trace, TraceError, TraceLimits, TreeChild,
};

use crate::abi;
use crate::base::config::NodeConfig;
use crate::base::options::SpawnOptions;
use crate::base::pid::Pid;
use crate::base::reason::ExitReason;
use crate::process::capabilities::Capabilities;
use crate::process::letter::Letter;
use crate::process::mailbox::Message;
use crate::process::runtime::Runtime;
use crate::process::spawn::{SpawnError, Watchers};
use crate::process::state::{Module, ProcessState};
use crate::process::{Body, Process};
use crate::svc::Member;
use crate::svc::process_table::ProcessTable;
use crate::svc::tables::TableInfo;
use crate::wasm::engine::build_engine;
use crate::wasm::module::{LoadError, LoadErrorKind, ModuleCache, to_wasm};
use crate::wasm::precompiled;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use wasmtime::Linker;

/// Why a node could not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum NodeError {
    /// A setting is out of range (the text says which).
    Config(String),
    /// wasmtime refused the engine's configuration (its message).
    Engine(String),
    /// The host functions could not be linked (a bug of Warren: its
    /// message).
    Link(String),
    /// A thread of the node could not be started.
    Threads(std::io::Error),
}

impl fmt::Display for NodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeError::Config(why) => write!(f, "bad node configuration: {why}"),
            NodeError::Engine(why) => write!(f, "cannot configure the wasm engine: {why}"),
            NodeError::Link(why) => write!(f, "cannot link the host functions: {why}"),
            NodeError::Threads(error) => write!(f, "cannot start the node's threads: {error}"),
        }
    }
}

impl std::error::Error for NodeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NodeError::Threads(error) => Some(error),
            _ => None,
        }
    }
}

/// A module loaded on a node, ready to spawn processes from (cheap to
/// clone).
#[derive(Clone)]
pub struct LoadedModule(pub(crate) Arc<Module>);

impl LoadedModule {
    /// The name the module was loaded under.
    pub fn name(&self) -> &str {
        self.0.name()
    }

    /// Whether the module exports a function `name` a process can start on:
    /// an entry (type `() -> ()`), or a handler (type `() -> i32`), on which
    /// the process starts handler-style, waiting for its first message.
    pub fn has_entry(&self, name: &str) -> bool {
        self.0.has_entry(name)
    }

    /// The names of the exported functions a process can start on (entries
    /// and handlers).
    pub fn entries(&self) -> Vec<String> {
        self.0.entries()
    }

    /// Whether export `name` is a handler (type `() -> i32`): a process
    /// spawned on it runs no code until its first message.
    pub fn is_handler(&self, name: &str) -> bool {
        self.0.is_handler(name)
    }
}

impl fmt::Debug for LoadedModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedModule").field("name", &self.name()).finish_non_exhaustive()
    }
}

/// A host function a guest can import (see [`Node::host_imports`]).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub struct HostImport {
    /// The module it is imported from (`warren_v1`, or WASI's
    /// `wasi_snapshot_preview1`).
    pub module: String,
    /// The function's name.
    pub name: String,
    /// Its parameter types, as WebAssembly text spells them (`i32`, `i64`).
    pub params: Vec<String>,
    /// Its result types, spelled the same way.
    pub results: Vec<String>,
}

/// A Warren node: scheduler threads running wasm processes.
///
/// Dropping the node stops every process still running.
pub struct Node {
    runtime: Arc<Runtime>,
    linker: Linker<ProcessState>,
    /// The thread that drives timers and WASI's clocks (`None` once stopped).
    io: Option<tokio::runtime::Runtime>,
    default_caps: Arc<Capabilities>,
    /// When the node started (its uptime, in `Node::stats`).
    started: std::time::Instant,
}

impl Node {
    /// Starts a node.
    pub fn new(config: NodeConfig) -> Result<Node, NodeError> {
        if config.schedulers == 0 {
            return Err(NodeError::Config("a node needs at least one scheduler thread".into()));
        }
        if config.reductions == 0 {
            return Err(NodeError::Config("a time slice needs at least one unit of fuel".into()));
        }
        let mut config = config;
        config.max_message = config.max_message.min(i32::MAX as usize);
        let (engine, dense_pools) = build_engine(&config).map_err(|e| NodeError::Engine(format!("{e:#}")))?;
        let mut linker = Linker::new(&engine);
        abi::link(&mut linker).map_err(|e| NodeError::Link(format!("{e:#}")))?;
        if let Some(dir) = config.dirs.iter().find(|dir| !dir.host.is_dir()) {
            return Err(NodeError::Config(format!("preopened directory {} is not a directory", dir.host.display())));
        }
        let default_caps = Arc::new(Capabilities::of_node(&config));
        // A small tokio runtime drives WASI's timers (poll_oneoff) and the
        // timers of the timer service; processes run on the schedulers.
        let io = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("warren-timers")
            .enable_time()
            .build()
            .map_err(NodeError::Threads)?;
        let runtime = Runtime::new(config, engine, dense_pools, io.handle().clone());
        runtime.start().map_err(NodeError::Threads)?;
        Ok(Node { runtime, linker, io: Some(io), default_caps, started: std::time::Instant::now() })
    }

    /// The node's configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.runtime.config
    }

    /// Loads a module (wasm, WebAssembly text, or precompiled) under `name`,
    /// so processes can be spawned from it (also by guests, with
    /// `spawn_module`). Compiles once per distinct content.
    pub fn load(&self, name: &str, bytes: &[u8]) -> Result<LoadedModule, LoadError> {
        let loaded = self.runtime.modules.load(&self.runtime.engine, &self.linker, name, bytes)?;
        if self.runtime.config.perf_map
            && let Err(error) = crate::wasm::perf_map::record(name, &loaded.module)
        {
            tracing::warn!(
                "module {name}: cannot write the perf map {}: {error}",
                crate::wasm::perf_map::path().display()
            );
        }
        Ok(LoadedModule(loaded))
    }

    /// Loads a module from a file, named after the file's stem.
    pub fn load_file(&self, path: &Path) -> Result<LoadedModule, LoadError> {
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("main").to_string();
        self.load_file_as(&name, path)
    }

    /// Loads a module from a file under `name`.
    pub fn load_file_as(&self, name: &str, path: &Path) -> Result<LoadedModule, LoadError> {
        let bytes = std::fs::read(path).map_err(|e| LoadError::new(name, LoadErrorKind::Read(e)).in_file(path))?;
        self.load(name, &bytes).map_err(|e| e.in_file(path))
    }

    /// Compiles wasm or WebAssembly text ahead of time for this node's
    /// configuration; `Node::load` accepts the result (a `.cwasm` file).
    ///
    /// The result is native code, sealed with a checksum: `load` refuses a
    /// damaged copy, but it runs whatever code a well-sealed file holds, so
    /// load only precompiled files you trust, as you would a native binary.
    pub fn precompile(&self, bytes: &[u8]) -> Result<Vec<u8>, LoadError> {
        let failed = |kind| LoadError::new("precompiled", kind);
        let wasm = to_wasm(bytes).map_err(failed)?;
        let code = self
            .runtime
            .engine
            .precompile_module(&wasm)
            .map_err(|e| failed(LoadErrorKind::Invalid(e.root_cause().to_string())))?;
        Ok(precompiled::seal(&code))
    }

    /// The module loaded under `name`.
    pub fn module(&self, name: &str) -> Option<LoadedModule> {
        self.runtime.module(name).map(LoadedModule)
    }

    /// Spawns a process on export `entry` (type `() -> ()`) of `module`,
    /// with `arg` as its spawn argument.
    pub fn spawn(&self, module: &LoadedModule, entry: &str, arg: &[u8]) -> Result<ProcessHandle, SpawnError> {
        self.spawn_with(module, entry, arg, self.default_caps.clone())
    }

    /// As [`Node::spawn`], with the node's capabilities and limits narrowed
    /// by `options` (see [`Capabilities::narrowed`]).
    ///
    /// Errors: as [`Node::spawn`], and [`SpawnError::Options`] for a
    /// directory the node does not preopen.
    pub fn spawn_opts(
        &self,
        module: &LoadedModule,
        entry: &str,
        arg: &[u8],
        options: &SpawnOptions,
    ) -> Result<ProcessHandle, SpawnError> {
        let caps = self.default_caps.narrowed(options)?;
        self.spawn_with(module, entry, arg, Arc::new(caps))
    }

    /// As [`Node::spawn`], with the given capabilities (their limits held
    /// to the node's).
    pub fn spawn_with(
        &self,
        module: &LoadedModule,
        entry: &str,
        arg: &[u8],
        caps: Arc<Capabilities>,
    ) -> Result<ProcessHandle, SpawnError> {
        let (waiter, exit) = crossbeam_channel::bounded(1);
        let watchers = Watchers { exit_waiter: Some(waiter), ..Watchers::default() };
        let (process, _) = self.runtime.spawn(module.0.clone(), entry, arg.into(), caps, watchers)?;
        Ok(ProcessHandle { pid: process.pid, exit, reason: std::sync::OnceLock::new() })
    }

    /// A host-side mailbox with a pid of its own: guests can send to it, and
    /// the host can send from it.
    pub fn inbox(&self) -> Inbox {
        let (tx, rx) = crossbeam_channel::unbounded();
        let runtime = self.runtime.clone();
        match self.runtime.new_inbox(tx) {
            Some(process) => Inbox { pid: process.pid, rx, runtime },
            // A full table: the inbox gets a pid no process ever has, so
            // nothing can reach it, but the host can still send from it.
            None => Inbox { pid: ProcessTable::<crate::process::Process>::unissued_pid(), rx, runtime },
        }
    }

    /// Whether `pid` names a live process.
    pub fn is_alive(&self, pid: Pid) -> bool {
        self.runtime.table.get(pid).is_some_and(|p| !p.run_state.is_done())
    }

    /// Whether `pid` is a live process that hibernated (see `hibernate` in
    /// docs/ABI.md) and has not been woken since.
    pub fn is_hibernated(&self, pid: Pid) -> bool {
        self.runtime.table.get(pid).is_some_and(|p| p.is_hibernated())
    }

    /// Number of live processes (inboxes included).
    pub fn process_count(&self) -> usize {
        self.runtime.table.len()
    }

    /// The pid registered under `name`.
    pub fn whereis(&self, name: &str) -> Option<Pid> {
        self.runtime.names.whereis(name)
    }

    /// Every registered name, sorted.
    pub fn registered(&self) -> Vec<String> {
        self.runtime.names.registered()
    }

    /// Whether `a` holds a link to `b`.
    pub fn is_linked(&self, a: Pid, b: Pid) -> bool {
        self.runtime.table.get(a).is_some_and(|p| p.relations().is_linked(b))
    }

    /// Number of pending timers (`send_after`).
    pub fn pending_timers(&self) -> usize {
        self.runtime.timers.pending()
    }

    /// Memory counted for the objects of every shared table, in bytes (see
    /// docs/ABI.md, "Tables").
    pub fn tables_memory(&self) -> usize {
        self.runtime.tables.memory()
    }

    /// Every shared table, by id.
    pub fn tables(&self) -> Vec<TableInfo> {
        self.runtime.tables.infos()
    }

    /// The memory the node holds for its guests now, outside their linear
    /// memories (queued messages, pending timers, spawn arguments, table
    /// objects), in bytes; bounded by `NodeConfig::max_host_memory`.
    pub fn host_memory(&self) -> usize {
        self.runtime.memory.used()
    }

    /// Reductions (fuel) used by `pid`, as of its last wait.
    pub fn reductions(&self, pid: Pid) -> Option<u64> {
        self.runtime.table.get(pid).map(|p| p.reductions.load(Ordering::Relaxed))
    }

    /// Every host function a guest of this node can import (the ABI's and
    /// WASI's), sorted by module and name: what the node's linker holds, for
    /// tools and tests that must know the whole ABI.
    pub fn host_imports(&self) -> Vec<HostImport> {
        // The linker hands out its definitions only in a store: one of a
        // process that never runs, is in no table and has an empty module.
        let Ok(module) = ModuleCache::new().load(&self.runtime.engine, &self.linker, "host-imports", b"(module)")
        else {
            return Vec::new();
        };
        let (channel, _) = crossbeam_channel::bounded(0);
        let pid = ProcessTable::<Process>::unissued_pid();
        let process = Arc::new(Process::new(pid, self.runtime.clone(), Body::Inbox(channel)));
        let state = ProcessState::new(&process, module, self.default_caps.clone(), Box::default());
        let mut store = wasmtime::Store::new(&self.runtime.engine, state);
        let defined: Vec<(String, String, wasmtime::Extern)> =
            self.linker.iter(&mut store).map(|(module, name, item)| (module.into(), name.into(), item)).collect();
        let mut imports: Vec<HostImport> = defined
            .into_iter()
            .filter_map(|(module, name, item)| {
                let ty = item.ty(&store);
                let func = ty.func()?;
                Some(HostImport {
                    module,
                    name,
                    params: func.params().map(|t| t.to_string()).collect(),
                    results: func.results().map(|t| t.to_string()).collect(),
                })
            })
            .collect();
        imports.sort();
        imports.dedup();
        imports
    }

    /// Stops the schedulers and every process still running.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let Some(io) = self.io.take() else { return };
        self.runtime.stop();
        io.shutdown_background();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A process spawned by the host, with a way to wait for its exit.
pub struct ProcessHandle {
    pid: Pid,
    exit: crossbeam_channel::Receiver<(ExitReason, bool)>,
    /// The exit reason, and whether the process started.
    reason: std::sync::OnceLock<(ExitReason, bool)>,
}

impl ProcessHandle {
    /// The process's pid.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Waits until the process exits; returns its reason (every time it is
    /// asked).
    pub fn wait(&self) -> ExitReason {
        self.exit().0.clone()
    }

    /// Waits at most `timeout`; `None` if the process is still running.
    pub fn wait_timeout(&self, timeout: Duration) -> Option<ExitReason> {
        if let Some((reason, _)) = self.reason.get() {
            return Some(reason.clone());
        }
        let exit = self.exit.recv_timeout(timeout).ok()?;
        Some(self.reason.get_or_init(|| exit).0.clone())
    }

    /// Waits until the process exits, as [`ProcessHandle::wait`]; returns
    /// whether it had started: its instance was made (its module
    /// instantiated, its start function run). `false` when instantiation
    /// failed (a data segment out of bounds, a start function that trapped,
    /// an initial memory beyond the node's `max_memory`): the module cannot
    /// run. (Also `false` for a process stopped before it first ran.)
    pub fn started(&self) -> bool {
        self.exit().1
    }

    fn exit(&self) -> &(ExitReason, bool) {
        if let Some(exit) = self.reason.get() {
            return exit;
        }
        // The node records every exit; a closed channel means the node itself
        // was dropped, which stops every process.
        let exit = self.exit.recv().unwrap_or_else(|_| (ExitReason::Shutdown(b"node stopped".to_vec()), false));
        self.reason.get_or_init(|| exit)
    }
}

/// A host-side mailbox with its own pid (as a test process or a shell has
/// in Erlang). Guests send to [`Inbox::pid`] like to any process.
pub struct Inbox {
    pid: Pid,
    rx: crossbeam_channel::Receiver<Message>,
    runtime: Arc<Runtime>,
}

impl Inbox {
    /// The inbox's pid.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Sends a message from this inbox (dropped if `to` is dead).
    pub fn send(&self, to: Pid, tag: i64, data: &[u8]) {
        self.runtime.send(to, Letter::new(self.pid, tag, data));
    }

    /// Waits at most `timeout` for the next message.
    pub fn recv_timeout(&self, timeout: Duration) -> Option<Message> {
        self.rx.recv_timeout(timeout).ok()
    }

    /// The next message, if one is queued.
    pub fn try_recv(&self) -> Option<Message> {
        self.rx.try_recv().ok()
    }
}

impl Drop for Inbox {
    /// The inbox exits normally: its name is freed, its links and monitors
    /// get their signals, like any process's.
    fn drop(&mut self) {
        if let Some(process) = self.runtime.table.get(self.pid)
            && matches!(process.body, Body::Inbox(_))
        {
            self.runtime.process_exited(&process, Arc::new(ExitReason::Normal));
        }
    }
}
