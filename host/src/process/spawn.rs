//! Spawning processes and sending them messages.

use super::capabilities::Capabilities;
use super::letter::Letter;
use super::runtime::Runtime;
use super::state::Module;
use super::task::{StartSpec, Task};
use super::{Body, Process, TaskCell};
use crate::base::codes::{ERR_BADARG, ERR_LIMIT, ERR_NO_SUCH_EXPORT, ERR_NO_SUCH_MODULE};
use crate::base::config::MemoryLayout;
use crate::base::options::OptionsError;
use crate::base::pid::Pid;
use crate::mem::maps::{self, MapReservation};
use std::fmt;
use std::sync::Arc;

/// Why a process could not be spawned.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SpawnError {
    /// The module exports no function of that name a process can start on
    /// (type `() -> ()`, or `() -> i32` for a handler).
    NoSuchExport {
        /// The module's name.
        module: String,
        /// The entry asked for.
        entry: String,
        /// The functions it exports that a process can start on.
        entries: Vec<String>,
    },
    /// No module of that name is loaded (a guest's `spawn_module`).
    NoSuchModule {
        /// The name asked for.
        module: String,
    },
    /// The node holds as many processes as it may.
    Limit {
        /// The node's limit (`NodeConfig::max_processes`).
        max_processes: u32,
    },
    /// The argument is larger than the node's largest message
    /// (`NodeConfig::max_message`).
    ArgumentTooLarge {
        /// The argument's length.
        len: usize,
        /// The node's largest message.
        max: usize,
    },
    /// The node holds as much memory for its guests as it may
    /// (`NodeConfig::max_host_memory`).
    HostMemory {
        /// The node's bound, in bytes.
        limit: usize,
    },
    /// The guarded layout's processes have used up the memory mappings the
    /// kernel allows (`vm.max_map_count`; the dense layout needs none).
    Mappings {
        /// How many guarded-layout processes fit, on all the nodes of this
        /// OS process.
        capacity: usize,
    },
    /// The spawn options cannot be applied (a malformed options block, a
    /// directory the parent does not have).
    Options(OptionsError),
}

impl From<OptionsError> for SpawnError {
    fn from(error: OptionsError) -> SpawnError {
        SpawnError::Options(error)
    }
}

impl SpawnError {
    /// The ABI error code a guest's spawn returns for this error.
    pub(crate) fn code(&self) -> i64 {
        i64::from(match self {
            SpawnError::NoSuchExport { .. } => ERR_NO_SUCH_EXPORT,
            SpawnError::NoSuchModule { .. } => ERR_NO_SUCH_MODULE,
            SpawnError::Limit { .. }
            | SpawnError::Mappings { .. }
            | SpawnError::ArgumentTooLarge { .. }
            | SpawnError::HostMemory { .. } => ERR_LIMIT,
            SpawnError::Options(_) => ERR_BADARG,
        })
    }
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpawnError::NoSuchExport { module, entry, entries } => {
                write!(
                    f,
                    "module `{module}` has no exported function `{entry}` of type `() -> ()` to start a process on"
                )?;
                if !entries.is_empty() {
                    write!(f, " (it exports: {})", entries.join(", "))?;
                }
                Ok(())
            }
            SpawnError::NoSuchModule { module } => write!(f, "no module named `{module}` is loaded"),
            SpawnError::Limit { max_processes } => write!(f, "the node holds its maximum of {max_processes} processes"),
            SpawnError::ArgumentTooLarge { len, max } => {
                write!(f, "the argument ({len} bytes) is larger than the node's largest message ({max} bytes)")
            }
            SpawnError::HostMemory { limit } => {
                write!(f, "the node holds as much memory for its guests as it may ({limit} bytes)")
            }
            SpawnError::Mappings { capacity } => write!(
                f,
                "the guarded layout's processes ({capacity} at most) have used up the memory mappings the kernel \
                 allows (vm.max_map_count); the dense layout needs none"
            ),
            SpawnError::Options(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for SpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SpawnError::Options(error) => Some(error),
            _ => None,
        }
    }
}

/// Who hears of a new process's exit, set up before it can run (so it
/// cannot die unseen).
#[derive(Default)]
pub(crate) struct Watchers<'a> {
    /// Linked to it (spawn_link).
    pub(crate) link: Option<&'a Arc<Process>>,
    /// Monitoring it (spawn_monitor).
    pub(crate) monitor: Option<&'a Arc<Process>>,
    /// The host, for a process it spawned.
    pub(crate) exit_waiter: Option<crossbeam_channel::Sender<super::Exit>>,
    /// Told when it calls `init_ack` (a supervisor waiting for it).
    pub(crate) ack_to: Option<Pid>,
    /// The process spawning it (`None`: the host), which `parent` returns.
    pub(crate) parent: Option<Pid>,
}

impl Runtime {
    /// Creates a process running `entry` of `module` and makes it runnable,
    /// with `watchers` in place before it can run, and `caps` (their limits
    /// held to the node's). Returns the process and the reference of the
    /// monitor, if `watchers` asked for one (else 0).
    pub(crate) fn spawn(
        self: &Arc<Self>,
        module: Arc<Module>,
        entry: &str,
        arg: Box<[u8]>,
        caps: Arc<Capabilities>,
        watchers: Watchers<'_>,
    ) -> Result<(Arc<Process>, u64), SpawnError> {
        let Watchers { link, monitor, exit_waiter, ack_to, parent } = watchers;
        let Some(entry) = module.export_name(entry) else {
            return Err(SpawnError::NoSuchExport {
                module: module.name().to_string(),
                entry: entry.to_string(),
                entries: module.entries(),
            });
        };
        if arg.len() > self.config.max_message {
            return Err(SpawnError::ArgumentTooLarge { len: arg.len(), max: self.config.max_message });
        }
        if !self.memory.has_room(arg.len()) {
            return Err(SpawnError::HostMemory { limit: self.config.max_host_memory });
        }
        let maps = match self.config.layout {
            MemoryLayout::Dense => MapReservation::default(),
            MemoryLayout::Guarded => {
                MapReservation::take().ok_or(SpawnError::Mappings { capacity: maps::guarded_capacity() })?
            }
        };
        // Capabilities made by the embedder may name larger limits than the
        // node's; those a process inherits are within them already (no copy).
        let caps = if caps.within(&self.config) { caps } else { Arc::new(caps.held_to(&self.config)) };
        let max_mailbox = caps.max_mailbox;
        let spec = StartSpec { module, entry, arg, caps, maps };
        let task = Task::Start(Box::new(spec));
        let body = Body::Wasm(TaskCell::new(task));
        let (_, process) = self
            .table
            .insert(|pid| {
                Arc::new(Process::new(pid, self.clone(), body).with_max_mailbox(max_mailbox).with_parent(parent))
            })
            .ok_or(SpawnError::Limit { max_processes: self.config.max_processes })?;
        if let Some(waiter) = exit_waiter {
            process.set_exit_waiter(waiter);
        }
        if let Some(to) = ack_to {
            process.ack_to.store(to.raw(), std::sync::atomic::Ordering::Release);
        }
        if let Some(parent) = link {
            self.signals.link_new(&*process, &**parent);
        }
        let reference = match monitor {
            Some(watcher) => self.signals.monitor(&self.table, watcher, process.pid),
            None => 0,
        };
        self.scheduler.schedule_back(process.clone());
        self.after_spawn();
        Ok((process, reference))
    }

    /// A host inbox: a process whose messages go to `channel`, which traps
    /// exits (the host sees exit signals as messages). `None` if the table
    /// is full.
    pub(crate) fn new_inbox(
        self: &Arc<Self>,
        channel: crossbeam_channel::Sender<super::mailbox::Message>,
    ) -> Option<Arc<Process>> {
        let (_, process) = self.table.insert(|pid| Arc::new(Process::new(pid, self.clone(), Body::Inbox(channel))))?;
        process.trap_exit.store(true, std::sync::atomic::Ordering::Release);
        Some(process)
    }

    /// Sends a message; a message to a dead pid is dropped, as in Erlang.
    pub(crate) fn send(&self, to: Pid, letter: Letter) {
        // Delivered under the receiver's table slot: a send costs no
        // reference-count traffic on the receiver.
        self.table.with(to, |process| process.deliver_letter(letter));
    }
}
