//! The node: the runtime as a library. Load modules, spawn processes, talk
//! to them from the host, wait for them, shut down.

use crate::abi;
use crate::config::NodeConfig;
use crate::engine::build_engine;
use crate::letter::Letter;
use crate::mailbox::Message;
use crate::module::{LoadedModule, ModuleCache};
use crate::pid::Pid;
use crate::process::{Body, Process, ProcessState, StartSpec, Task, TaskCell};
use crate::process_table::ProcessTable;
use crate::reason::ExitReason;
use crate::scheduler::Scheduler;
use crate::wasi::Capabilities;
use anyhow::{Context, Result, anyhow, bail};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use wasmtime::{Engine, Linker};

/// Why a spawn failed; each maps to an ABI error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpawnError {
    /// The entry is not an exported `() -> ()` function.
    NoSuchExport,
    /// No module of that name is loaded.
    NoSuchModule,
    /// The process table is full.
    Limit,
}

impl SpawnError {
    /// The ABI error code.
    pub(crate) fn code(self) -> i64 {
        match self {
            SpawnError::NoSuchExport => i64::from(abi::ERR_NO_SUCH_EXPORT),
            SpawnError::NoSuchModule => i64::from(abi::ERR_NO_SUCH_MODULE),
            SpawnError::Limit => i64::from(abi::ERR_LIMIT),
        }
    }
}

/// What every part of the runtime shares.
pub(crate) struct NodeShared {
    pub(crate) config: NodeConfig,
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<ProcessState>,
    pub(crate) modules: ModuleCache,
    pub(crate) table: ProcessTable<Process>,
    pub(crate) scheduler: Scheduler,
    /// Size of the dense fiber stacks (`None` in the guarded layout).
    pub(crate) dense_stack_size: Option<usize>,
    /// Registered names and keyed registries.
    pub(crate) registry: crate::registry::Registry,
    /// Pending timers.
    pub(crate) timers: crate::timer::Timers,
    /// The next monitor reference.
    pub(crate) next_ref: std::sync::atomic::AtomicU64,
    /// Shared tables (ETS).
    pub(crate) tables: crate::table::Tables,
}

/// Who hears of a new process's exit, set up before it can run (so it
/// cannot die unseen).
#[derive(Default)]
struct Watchers<'a> {
    /// Linked to it (spawn_link).
    link: Option<&'a Arc<Process>>,
    /// Monitoring it (spawn_monitor).
    monitor: Option<&'a Arc<Process>>,
    /// The host, for a process it spawned.
    exit_waiter: Option<crossbeam_channel::Sender<ExitReason>>,
}

impl NodeShared {
    /// Creates a process running `entry` of `module` and makes it runnable;
    /// its exit reason goes to `exit_waiter`.
    pub(crate) fn spawn(
        self: &Arc<Self>,
        module: Arc<LoadedModule>,
        entry: &str,
        arg: Box<[u8]>,
        caps: Arc<Capabilities>,
        exit_waiter: crossbeam_channel::Sender<ExitReason>,
    ) -> Result<Arc<Process>, SpawnError> {
        let watchers = Watchers { exit_waiter: Some(exit_waiter), ..Watchers::default() };
        self.spawn_watched(module, entry, arg, caps, watchers).map(|(process, _)| process)
    }

    /// As [`NodeShared::spawn`], atomically linked to `link` and/or
    /// monitored by `monitor` (spawn_link / spawn_monitor): the relations
    /// exist before the child can run, so it cannot die unseen. Returns the
    /// monitor reference too.
    pub(crate) fn spawn_opt(
        self: &Arc<Self>,
        module: Arc<LoadedModule>,
        entry: &str,
        arg: Box<[u8]>,
        caps: Arc<Capabilities>,
        link: Option<&Arc<Process>>,
        monitor: Option<&Arc<Process>>,
    ) -> Result<(Arc<Process>, u64), SpawnError> {
        self.spawn_watched(module, entry, arg, caps, Watchers { link, monitor, exit_waiter: None })
    }

    /// Spawns with `watchers` in place before the child can run.
    fn spawn_watched(
        self: &Arc<Self>,
        module: Arc<LoadedModule>,
        entry: &str,
        arg: Box<[u8]>,
        caps: Arc<Capabilities>,
        watchers: Watchers<'_>,
    ) -> Result<(Arc<Process>, u64), SpawnError> {
        let Watchers { link, monitor, exit_waiter } = watchers;
        if !module.has_entry(entry) {
            return Err(SpawnError::NoSuchExport);
        }
        let spec = StartSpec { module, entry: entry.into(), arg, caps };
        let (_, process) = self
            .table
            .insert(|pid| {
                Arc::new(Process::new(pid, self.clone(), Body::Wasm(TaskCell::new(Task::Start(Box::new(spec))))))
            })
            .ok_or(SpawnError::Limit)?;
        if let Some(waiter) = exit_waiter {
            process.set_exit_waiter(waiter);
        }
        if let Some(parent) = link {
            process.add_link(parent.pid);
            parent.add_link(process.pid);
        }
        let reference = match monitor {
            Some(watcher) => self.monitor(watcher, process.pid),
            None => 0,
        };
        self.scheduler.schedule_back(process.clone());
        Ok((process, reference))
    }

    /// Sends a message; a message to a dead pid is dropped, as in Erlang.
    pub(crate) fn send(&self, to: Pid, letter: Letter) {
        // Delivered under the receiver's table slot: a send costs no
        // reference-count traffic on the receiver.
        self.table.with(to, |process| process.deliver(letter));
    }

    /// Everything that happens when a process ends. Called by the scheduler
    /// thread that holds a wasm process `RUNNING`, or for an inbox.
    pub(crate) fn process_exited(&self, process: &Arc<Process>, reason: ExitReason) {
        process.run_state.set_done();
        let mut departure = process.depart();
        self.table.remove(process.pid);
        self.release_names(process.pid, departure.name.take(), std::mem::take(&mut departure.keyed));
        process.mailbox.clear();
        // Its tables go to their heirs, or are deleted.
        for (heir, payload) in self.tables.owner_exited(process.pid, |pid| self.table.get(pid).is_some()) {
            self.send(heir, Letter::new(process.pid, crate::table::TAG_TABLE_TRANSFER, &payload));
        }
        match &reason {
            ExitReason::Normal => tracing::debug!(pid = %process.pid, "process exited normally"),
            ExitReason::Shutdown(_) | ExitReason::Custom(_) => {
                tracing::info!(pid = %process.pid, %reason, "process exited")
            }
            _ => tracing::warn!(pid = %process.pid, %reason, "process crashed"),
        }
        // Signals first, then the teardown of the instance: linked processes
        // learn of the exit without waiting for the store to be freed.
        self.deliver_departure(process.pid, departure, &reason);
        // SAFETY: a wasm process ends on the scheduler thread that holds it
        // `RUNNING` (an inbox has no task).
        drop(unsafe { process.take_task() });
        process.record_exit(&reason);
    }
}

/// A Warren node: scheduler threads running wasm processes.
///
/// Dropping the node stops every process still running.
pub struct Node {
    shared: Arc<NodeShared>,
    runtime: Option<tokio::runtime::Runtime>,
    default_caps: Arc<Capabilities>,
}

impl Node {
    /// Starts a node.
    pub fn new(config: NodeConfig) -> Result<Node> {
        if config.schedulers == 0 {
            bail!("a node needs at least one scheduler thread");
        }
        if config.reductions == 0 {
            bail!("a time slice needs at least one unit of fuel");
        }
        let mut config = config;
        config.max_message = config.max_message.min(i32::MAX as usize);
        let (engine, dense_stack_size) = build_engine(&config)?;
        let mut linker = Linker::new(&engine);
        abi::link(&mut linker).map_err(|e| anyhow!("cannot link the host functions: {e}"))?;
        let default_caps = Arc::new(Capabilities {
            may_spawn: true,
            args: config.args.clone(),
            env: config.env.clone(),
            tag_output: config.tag_output,
        });
        // A small tokio runtime drives WASI's timers (poll_oneoff) and the
        // receive timeouts; processes themselves run on our schedulers.
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("warren-timers")
            .enable_time()
            .build()
            .context("cannot start the timer thread")?;
        let shared = Arc::new(NodeShared {
            table: ProcessTable::new(config.max_processes),
            scheduler: Scheduler::new(config.schedulers),
            modules: ModuleCache::new(),
            config,
            engine,
            linker,
            dense_stack_size,
            registry: crate::registry::Registry::default(),
            timers: crate::timer::Timers::new(runtime.handle().clone()),
            next_ref: std::sync::atomic::AtomicU64::new(1),
            tables: crate::table::Tables::new(),
        });
        shared.scheduler.start(&shared, runtime.handle().clone()).context("cannot start the scheduler threads")?;
        Ok(Node { shared, runtime: Some(runtime), default_caps })
    }

    /// The node's configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.shared.config
    }

    /// Loads a module (wasm, WebAssembly text, or precompiled) under `name`,
    /// so processes can be spawned from it (also by guests, with
    /// `spawn_module`). Compiles once per distinct content.
    pub fn load(&self, name: &str, bytes: &[u8]) -> Result<Arc<LoadedModule>> {
        self.shared.modules.load(&self.shared.engine, &self.shared.linker, name, bytes)
    }

    /// Loads a module from a file, named after the file's stem.
    pub fn load_file(&self, path: &Path) -> Result<Arc<LoadedModule>> {
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("main").to_string();
        self.load_file_as(&name, path)
    }

    /// Loads a module from a file under `name`.
    pub fn load_file_as(&self, name: &str, path: &Path) -> Result<Arc<LoadedModule>> {
        let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
        self.load(name, &bytes).with_context(|| format!("in file `{}`", path.display()))
    }

    /// Compiles wasm or WebAssembly text ahead of time for this node's
    /// configuration; `Node::load` accepts the result (a `.cwasm` file).
    pub fn precompile(&self, bytes: &[u8]) -> Result<Vec<u8>> {
        let wasm = if bytes.starts_with(b"\0asm") {
            bytes.to_vec()
        } else {
            wat::parse_bytes(bytes)
                .map_err(|e| anyhow!("not a WebAssembly module or valid WebAssembly text: {e}"))?
                .into_owned()
        };
        self.shared.engine.precompile_module(&wasm).map_err(|e| anyhow!("cannot compile: {e:#}"))
    }

    /// The module loaded under `name`.
    pub fn module(&self, name: &str) -> Option<Arc<LoadedModule>> {
        self.shared.modules.get(name)
    }

    /// Spawns a process on export `entry` (type `() -> ()`) of `module`,
    /// with `arg` as its spawn argument.
    pub fn spawn(&self, module: &Arc<LoadedModule>, entry: &str, arg: &[u8]) -> Result<ProcessHandle> {
        self.spawn_with(module, entry, arg, self.default_caps.clone())
    }

    /// As [`Node::spawn`], with the given capabilities.
    pub fn spawn_with(
        &self,
        module: &Arc<LoadedModule>,
        entry: &str,
        arg: &[u8],
        caps: Arc<Capabilities>,
    ) -> Result<ProcessHandle> {
        if !module.has_entry(entry) {
            let entries = module.entries();
            return Err(anyhow!(
                "module `{}` has no exported function `{entry}` of type `() -> ()` to start a process on{}",
                module.name(),
                if entries.is_empty() { String::new() } else { format!(" (it exports: {})", entries.join(", ")) }
            ));
        }
        let (waiter, exit) = crossbeam_channel::bounded(1);
        let process = self.shared.spawn(module.clone(), entry, arg.into(), caps, waiter).map_err(|e| match e {
            SpawnError::Limit => {
                anyhow!("the node holds its maximum of {} processes", self.shared.config.max_processes)
            }
            other => anyhow!("cannot spawn: {other:?}"),
        })?;
        Ok(ProcessHandle { pid: process.pid, exit, reason: std::sync::OnceLock::new() })
    }

    /// A host-side mailbox with a pid of its own: guests can send to it, and
    /// the host can send from it.
    pub fn inbox(&self) -> Inbox {
        let (tx, rx) = crossbeam_channel::unbounded();
        let shared = self.shared.clone();
        let inserted = self.shared.table.insert(|pid| Arc::new(Process::new(pid, shared.clone(), Body::Inbox(tx))));
        match inserted {
            Some((pid, process)) => {
                // The host sees exit signals as messages (it traps exits).
                process.trap_exit.store(true, Ordering::Release);
                Inbox { pid, rx, shared }
            }
            None => {
                // A full table: the inbox gets a pid no process ever has, so
                // nothing can reach it, but the host can still send from it.
                Inbox { pid: ProcessTable::<Process>::unissued_pid(), rx, shared }
            }
        }
    }

    /// Whether `pid` names a live process.
    pub fn is_alive(&self, pid: Pid) -> bool {
        self.shared.table.get(pid).is_some_and(|p| !p.run_state.is_done())
    }

    /// Whether `pid` is a live process that hibernated (see `hibernate` in
    /// docs/ABI.md) and has not been woken since.
    pub fn is_hibernated(&self, pid: Pid) -> bool {
        self.shared.table.get(pid).is_some_and(|p| p.is_hibernated())
    }

    /// Number of live processes (inboxes included).
    pub fn process_count(&self) -> usize {
        self.shared.table.len()
    }

    /// The pid registered under `name`.
    pub fn whereis(&self, name: &str) -> Option<Pid> {
        self.shared.whereis(name)
    }

    /// Every registered name, sorted.
    pub fn registered(&self) -> Vec<String> {
        self.shared.registered()
    }

    /// Whether `a` holds a link to `b`.
    pub fn is_linked(&self, a: Pid, b: Pid) -> bool {
        self.shared.table.get(a).is_some_and(|p| p.is_linked(b))
    }

    /// Number of pending timers (`send_after`).
    pub fn pending_timers(&self) -> usize {
        self.shared.timers.pending()
    }

    /// Memory counted for the objects of every shared table, in bytes (see
    /// docs/ABI.md, "Tables").
    pub fn tables_memory(&self) -> usize {
        self.shared.tables.memory()
    }

    /// Every shared table, by id.
    pub fn tables(&self) -> Vec<crate::table::TableInfo> {
        self.shared.tables.infos()
    }

    /// Reductions (fuel) used by `pid`, as of its last wait.
    pub fn reductions(&self, pid: Pid) -> Option<u64> {
        self.shared.table.get(pid).map(|p| p.reductions.load(Ordering::Relaxed))
    }

    /// Stops the schedulers and every process still running.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        let Some(runtime) = self.runtime.take() else { return };
        self.shared.scheduler.shutdown();
        self.shared.timers.clear();
        for process in self.shared.table.snapshot() {
            let held = process.run_state.stop();
            self.shared.table.remove(process.pid);
            if !held {
                // SAFETY: the scheduler threads have stopped, and none held
                // this process (one that did, the thread dropping the node
                // itself, keeps its task until the process is freed).
                drop(unsafe { process.take_task() });
            }
            process.mailbox.clear();
            process.record_exit(&ExitReason::Shutdown(b"node stopped".to_vec()));
        }
        drop(self.shared.scheduler.drain());
        runtime.shutdown_background();
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
    exit: crossbeam_channel::Receiver<ExitReason>,
    reason: std::sync::OnceLock<ExitReason>,
}

impl ProcessHandle {
    /// The process's pid.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Waits until the process exits; returns its reason (every time it is
    /// asked).
    pub fn wait(&self) -> ExitReason {
        if let Some(reason) = self.reason.get() {
            return reason.clone();
        }
        // The node records every exit; a closed channel means the node itself
        // was dropped, which stops every process.
        let reason = self.exit.recv().unwrap_or_else(|_| ExitReason::Shutdown(b"node stopped".to_vec()));
        self.reason.get_or_init(|| reason).clone()
    }

    /// Waits at most `timeout`; `None` if the process is still running.
    pub fn wait_timeout(&self, timeout: Duration) -> Option<ExitReason> {
        if let Some(reason) = self.reason.get() {
            return Some(reason.clone());
        }
        let reason = self.exit.recv_timeout(timeout).ok()?;
        Some(self.reason.get_or_init(|| reason).clone())
    }
}

/// A host-side mailbox with its own pid (as a test process or a shell has
/// in Erlang). Guests send to [`Inbox::pid`] like to any process.
pub struct Inbox {
    pid: Pid,
    rx: crossbeam_channel::Receiver<Message>,
    shared: Arc<NodeShared>,
}

impl Inbox {
    /// The inbox's pid.
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Sends a message from this inbox (dropped if `to` is dead).
    pub fn send(&self, to: Pid, tag: i64, data: &[u8]) {
        self.shared.send(to, Letter::new(self.pid, tag, data));
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
        if let Some(process) = self.shared.table.get(self.pid) {
            self.shared.process_exited(&process, ExitReason::Normal);
        }
    }
}
