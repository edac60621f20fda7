//! What the processes of a node share: its configuration, its engine and
//! modules, its scheduler, and its services. Every process holds the
//! runtime (`Process::runtime`), and the node's public API wraps it.

use super::Process;
use super::graveyard::Graveyard;
use super::run::RunOutcome;
use super::state::{Module, ProcessState};
use super::trace::Tracers;
use super::{recycle, trim};
use crate::base::config::NodeConfig;
use crate::mem::memory;
use crate::mem::pools::DensePools;
use crate::sched::{Runner, Scheduler};
use crate::svc::host_memory::HostMemory;
use crate::svc::names::Names;
use crate::svc::process_table::ProcessTable;
use crate::svc::signals::Signals;
use crate::svc::tables::Tables;
use crate::svc::timers::{self, Fire, Timer, Timers};
use crate::wasm::module::ModuleCache;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Weak};
use std::time::Duration;
use wasmtime::Engine;

/// What the processes of a node share.
pub(crate) struct Runtime {
    pub(crate) config: NodeConfig,
    pub(crate) engine: Engine,
    /// Size of the dense fiber stacks (`None` in the guarded layout).
    pub(crate) dense_stack_size: Option<usize>,
    /// The dense layout's pools and their warmer (`None` in the guarded
    /// layout).
    dense_pools: Option<DensePools>,
    /// The modules loaded on the node, by name (`spawn_module` finds them).
    pub(crate) modules: ModuleCache<ProcessState>,
    pub(crate) scheduler: Scheduler<Arc<Process>>,
    /// The live processes, by pid.
    pub(crate) table: ProcessTable<Process>,
    /// Links, monitors and exit signals.
    pub(crate) signals: Signals,
    /// Registered names and keyed registries.
    pub(crate) names: Names,
    /// Pending timers.
    pub(crate) timers: Timers,
    /// Shared tables (ETS).
    pub(crate) tables: Tables,
    /// The memory the node holds for its guests, and its bound.
    pub(crate) memory: Arc<HostMemory>,
    /// The traces of its processes (see `trace.rs`).
    pub(crate) tracers: Tracers,
    /// Reductions used by the processes that have exited (with those of the
    /// live ones, the node's total: see `node/introspect.rs`).
    pub(crate) exited_reductions: AtomicU64,
    /// Exited processes' tasks, torn down by idle scheduler threads.
    pub(crate) graveyard: Graveyard,
    /// Children the host's supervisors have restarted (counted where the
    /// restart is reported, off the message path).
    pub(crate) supervisor_restarts: AtomicU64,
    /// The runtime whose threads drive timers and WASI's clocks; scheduler
    /// threads enter it so host functions may use it.
    io: tokio::runtime::Handle,
}

impl Runtime {
    /// A runtime for `config` on `engine`, whose timers and WASI clocks run
    /// on `io`. Its scheduler threads are not started yet
    /// ([`Runtime::start`]).
    pub(crate) fn new(
        config: NodeConfig,
        engine: Engine,
        dense_pools: Option<DensePools>,
        io: tokio::runtime::Handle,
    ) -> Arc<Runtime> {
        let memory = Arc::new(HostMemory::new(config.max_host_memory));
        Arc::new_cyclic(|runtime: &Weak<Runtime>| {
            let fire: Weak<dyn Fire> = runtime.clone();
            Runtime {
                table: ProcessTable::new(config.max_processes),
                scheduler: Scheduler::new(config.schedulers),
                modules: ModuleCache::new(),
                dense_stack_size: dense_pools.as_ref().map(|pools| pools.stacks.stack_size()),
                dense_pools,
                signals: Signals::default(),
                names: Names::default(),
                timers: Timers::new(io.clone(), fire, memory.clone()),
                tables: Tables::new(memory.clone()),
                memory,
                tracers: Tracers::default(),
                exited_reductions: AtomicU64::new(0),
                graveyard: Graveyard::default(),
                supervisor_restarts: AtomicU64::new(0),
                engine,
                config,
                io,
            }
        })
    }

    /// After a spawn: the warmer tops up the reserves of stacks and
    /// memories if they run low (`mem/pools.rs`).
    pub(crate) fn after_spawn(&self) {
        if let Some(pools) = &self.dense_pools {
            pools.after_spawn();
        }
    }

    /// Starts the scheduler threads.
    pub(crate) fn start(self: &Arc<Self>) -> std::io::Result<()> {
        self.scheduler.start(self)
    }

    /// The module loaded under `name`.
    pub(crate) fn module(&self, name: &str) -> Option<Arc<Module>> {
        self.modules.get(name)
    }
}

/// The scheduler threads run processes: one slice each, then act on the
/// outcome.
impl Runner<Arc<Process>> for Runtime {
    fn scheduler(&self) -> &Scheduler<Arc<Process>> {
        &self.scheduler
    }

    fn run(&self, process: Arc<Process>) {
        if !process.run_state.start_running() {
            return; // exited while queued
        }
        // An exit signal asked it to end: it never runs again.
        if let Some(reason) = process.take_pending_exit() {
            self.process_exited(&process, reason);
            return;
        }
        match process.run() {
            RunOutcome::Pending => {
                if process.run_state.finish_poll() {
                    self.scheduler.schedule_preempted(process);
                }
            }
            RunOutcome::IdleHandler => {
                if process.run_state.finish_poll() {
                    self.scheduler.schedule_preempted(process);
                } else {
                    trim::went_idle(process);
                }
            }
            RunOutcome::Exited(reason) => self.process_exited(&process, reason),
        }
    }

    fn thread(&self, work: &mut dyn FnMut()) {
        // WASI host functions may use tokio (timers): give them a context.
        let _enter = self.io.enter();
        recycle::enable_on_this_thread(self.config.layout);
        memory::batch_on_this_thread();
        if self.dense_stack_size.is_some() {
            trim::enable_on_this_thread();
        }
        work();
        // Spares and listed processes hold processes, which hold the
        // runtime: let them go with the thread.
        trim::disable_on_this_thread();
        recycle::disable_on_this_thread();
        // Last: the teardowns above drop memories too.
        memory::stop_batching_on_this_thread();
    }

    fn idle(&self) -> Option<Duration> {
        let graves = self.graveyard.tear_down_batch().then_some(Duration::ZERO);
        if graves.is_none() {
            // Every kept task torn down: the slots of their memories go back.
            memory::release_retired();
        }
        match (graves, trim::thread_idle()) {
            (Some(graves), Some(trim)) => Some(graves.min(trim)),
            (graves, trim) => graves.or(trim),
        }
    }

    fn busy(&self) {
        trim::thread_busy();
    }
}

/// Fired timers are delivered to the node's processes, by pid or by name.
impl Fire for Runtime {
    fn fire(&self, due: &mut Vec<Timer>) {
        timers::deliver(&self.table, &self.names, due);
    }
}
