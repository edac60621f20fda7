//! What a supervisor is told to do: its flags and its children's specs, as
//! Erlang/OTP 25's `supervisor` takes them (`sup_flags()` and
//! `child_spec()`). The ABI's binary form of these is in `codec.rs`.

use crate::base::options::SpawnOptions;
use crate::base::pid::Pid;
use crate::base::reason::ExitReason;
use std::fmt;
use std::time::Duration;

/// How a supervisor restarts its children when one of them exits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Strategy {
    /// Only the child that exited is restarted.
    #[default]
    OneForOne,
    /// Every child is stopped (in reverse start order) and all are started
    /// again (in start order).
    OneForAll,
    /// The child that exited and the children started after it are stopped
    /// (in reverse order) and started again (in order).
    RestForOne,
    /// A dynamic supervisor (OTP's `simple_one_for_one`, Elixir's
    /// `DynamicSupervisor`): no children at start; children are started on
    /// demand from one template spec, with an argument each, and restarted
    /// one for one.
    SimpleOneForOne,
}

/// When a supervisor ends by itself because significant children ended
/// (OTP 25's `auto_shutdown`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AutoShutdown {
    /// Never: significant children are not allowed.
    #[default]
    Never,
    /// When any significant child ends (and is not restarted).
    AnySignificant,
    /// When every significant child has ended.
    AllSignificant,
}

/// A supervisor's flags.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SupervisorFlags {
    /// How children are restarted.
    pub strategy: Strategy,
    /// At most this many restarts in `period`; one more and the supervisor
    /// stops its children and exits with reason `shutdown`.
    pub intensity: u32,
    /// The window of `intensity`.
    pub period: Duration,
    /// Ending by itself with its significant children.
    pub auto_shutdown: AutoShutdown,
    /// Most children a dynamic supervisor holds (`None`: no limit beyond the
    /// node's).
    pub max_children: Option<u32>,
}

impl Default for SupervisorFlags {
    /// OTP's defaults: `one_for_one`, 1 restart in 5 seconds, `never`.
    fn default() -> SupervisorFlags {
        SupervisorFlags {
            strategy: Strategy::OneForOne,
            intensity: 1,
            period: Duration::from_secs(5),
            auto_shutdown: AutoShutdown::Never,
            max_children: None,
        }
    }
}

impl SupervisorFlags {
    /// These flags with `strategy`.
    #[must_use]
    pub fn strategy(mut self, strategy: Strategy) -> SupervisorFlags {
        self.strategy = strategy;
        self
    }

    /// These flags with at most `intensity` restarts in `period`.
    #[must_use]
    pub fn intensity(mut self, intensity: u32, period: Duration) -> SupervisorFlags {
        self.intensity = intensity;
        self.period = period;
        self
    }

    /// These flags with `auto_shutdown`.
    #[must_use]
    pub fn auto_shutdown(mut self, auto_shutdown: AutoShutdown) -> SupervisorFlags {
        self.auto_shutdown = auto_shutdown;
        self
    }

    /// These flags with a dynamic supervisor's most children.
    #[must_use]
    pub fn max_children(mut self, max_children: Option<u32>) -> SupervisorFlags {
        self.max_children = max_children;
        self
    }
}

/// When a child that exited is restarted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Restart {
    /// Always.
    #[default]
    Permanent,
    /// Only after an abnormal exit: not after `normal` or `shutdown`.
    Transient,
    /// Never (and the child is forgotten when it exits).
    Temporary,
}

/// How a child is stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// At once, with exit signal `kill`.
    BrutalKill,
    /// With exit signal `shutdown`, then `kill` if it has not exited after
    /// this long.
    Timeout(Duration),
    /// With exit signal `shutdown`, waiting as long as it takes (OTP's
    /// default for a supervisor child).
    Infinity,
}

impl Default for Shutdown {
    /// OTP's default for a worker: 5 seconds.
    fn default() -> Shutdown {
        Shutdown::Timeout(Duration::from_secs(5))
    }
}

/// What a child runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChildStart {
    /// A wasm process: a loaded module's export, with a spawn argument.
    Worker {
        /// The module's name on the node.
        module: String,
        /// The export the process starts on (an entry or a handler).
        entry: String,
        /// The spawn argument (a dynamic supervisor appends each child's
        /// own argument to its template's).
        arg: Vec<u8>,
    },
    /// Another supervisor, nested.
    Supervisor(Box<SupervisorSpec>),
}

/// One child of a supervisor.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChildSpec {
    /// Its name among its siblings.
    pub id: String,
    /// What it runs.
    pub start: ChildStart,
    /// When it is restarted.
    pub restart: Restart,
    /// How it is stopped.
    pub shutdown: Shutdown,
    /// Whether its end may end the supervisor (`auto_shutdown`); only for a
    /// `transient` or `temporary` child.
    pub significant: bool,
    /// Wait this long for the child to say it is ready (`init_ack`) before
    /// starting the next one; its exit, or no acknowledgement in time, is a
    /// failed start. `None`: started means spawned. A supervisor child
    /// always acknowledges, once its own children have started.
    pub ack_timeout: Option<Duration>,
    /// Its limits and capabilities, narrower than the supervisor's.
    pub options: SpawnOptions,
}

impl ChildSpec {
    /// A permanent worker running `entry` of `module` with `arg`, stopped
    /// with a 5 second timeout, not waited for.
    pub fn worker(id: &str, module: &str, entry: &str, arg: &[u8]) -> ChildSpec {
        ChildSpec {
            id: id.to_string(),
            start: ChildStart::Worker { module: module.to_string(), entry: entry.to_string(), arg: arg.to_vec() },
            restart: Restart::Permanent,
            shutdown: Shutdown::default(),
            significant: false,
            ack_timeout: None,
            options: SpawnOptions::default(),
        }
    }

    /// A permanent supervisor child running `spec`, stopped with
    /// `infinity` (it stops its own children first).
    pub fn supervisor(id: &str, spec: SupervisorSpec) -> ChildSpec {
        ChildSpec {
            id: id.to_string(),
            start: ChildStart::Supervisor(Box::new(spec)),
            restart: Restart::Permanent,
            shutdown: Shutdown::Infinity,
            significant: false,
            ack_timeout: None,
            options: SpawnOptions::default(),
        }
    }

    /// This spec with `restart`.
    #[must_use]
    pub fn restart(mut self, restart: Restart) -> ChildSpec {
        self.restart = restart;
        self
    }

    /// This spec with `shutdown`.
    #[must_use]
    pub fn shutdown(mut self, shutdown: Shutdown) -> ChildSpec {
        self.shutdown = shutdown;
        self
    }

    /// This spec, significant or not.
    #[must_use]
    pub fn significant(mut self, significant: bool) -> ChildSpec {
        self.significant = significant;
        self
    }

    /// This spec, waiting up to `timeout` for the child's `init_ack`.
    #[must_use]
    pub fn ack_timeout(mut self, timeout: Option<Duration>) -> ChildSpec {
        self.ack_timeout = timeout;
        self
    }

    /// This spec with `options`.
    #[must_use]
    pub fn options(mut self, options: SpawnOptions) -> ChildSpec {
        self.options = options;
        self
    }

    /// Whether this child is a supervisor.
    pub fn is_supervisor(&self) -> bool {
        matches!(self.start, ChildStart::Supervisor(_))
    }
}

/// A supervisor: its flags and its children, in start order (for a
/// dynamic supervisor, exactly one child: the template).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SupervisorSpec {
    /// Its flags.
    pub flags: SupervisorFlags,
    /// Its children.
    pub children: Vec<ChildSpec>,
}

impl SupervisorSpec {
    /// A supervisor with `flags` and `children`.
    pub fn new(flags: SupervisorFlags, children: Vec<ChildSpec>) -> SupervisorSpec {
        SupervisorSpec { flags, children }
    }
}

/// A child named in an operation: by id (a static supervisor's child) or
/// by pid (a dynamic supervisor's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChildRef {
    /// The child with this id.
    Id(String),
    /// The child with this pid.
    Pid(Pid),
}

/// One child, as `which_children` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChildInfo {
    /// Its id (a dynamic supervisor's children share their template's).
    pub id: String,
    /// Its process, if it runs.
    pub pid: Option<Pid>,
    /// Whether it is a supervisor (else a worker).
    pub supervisor: bool,
    /// How many times it was started again after its first start.
    pub restarts: u32,
}

/// A supervisor's children, counted as `count_children` does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChildCounts {
    /// Child specs held (running or not).
    pub specs: u32,
    /// Children running.
    pub active: u32,
    /// Specs of supervisor children.
    pub supervisors: u32,
    /// Specs of worker children.
    pub workers: u32,
}

/// Why a supervisor operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SupervisorError {
    /// No live supervisor has that pid.
    NoSupervisor(Pid),
    /// The spec is not valid (the text says why).
    BadSpec(String),
    /// No child has that id (or pid).
    NotFound,
    /// The child runs (it must be terminated first).
    Running,
    /// A child with that id is held already, not running.
    AlreadyPresent,
    /// A child with that id runs already, with this pid.
    AlreadyStarted(Pid),
    /// The child did not start: its id and why.
    StartFailed {
        /// The child's id.
        id: String,
        /// Why (its exit reason, or why it could not be spawned).
        reason: ExitReason,
    },
    /// A dynamic supervisor holds its `max_children` already.
    MaxChildren(u32),
    /// The operation is for the other kind of supervisor (dynamic or not).
    WrongKind(&'static str),
    /// The supervisor exited before it answered, with this reason.
    Exited(ExitReason),
    /// The node holds as many processes as it may (its `max_processes`).
    ProcessLimit(u32),
    /// The child ignored its start (`init_ignore`, OTP's `{ok, undefined}`):
    /// no process runs; a static supervisor keeps its spec.
    Ignored,
}

impl fmt::Display for SupervisorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SupervisorError::NoSupervisor(pid) => write!(f, "no supervisor has pid {pid}"),
            SupervisorError::BadSpec(why) => write!(f, "bad supervisor spec: {why}"),
            SupervisorError::NotFound => f.write_str("no such child"),
            SupervisorError::Running => f.write_str("the child is running"),
            SupervisorError::AlreadyPresent => f.write_str("a child with that id is present already"),
            SupervisorError::AlreadyStarted(pid) => write!(f, "a child with that id runs already as {pid}"),
            SupervisorError::StartFailed { id, reason } => write!(f, "child `{id}` failed to start: {reason}"),
            SupervisorError::MaxChildren(max) => write!(f, "the supervisor holds its maximum of {max} children"),
            SupervisorError::WrongKind(why) => f.write_str(why),
            SupervisorError::Exited(reason) => write!(f, "the supervisor exited: {reason}"),
            SupervisorError::ProcessLimit(max) => write!(f, "the node holds its maximum of {max} processes"),
            SupervisorError::Ignored => f.write_str("the child ignored its start"),
        }
    }
}

impl std::error::Error for SupervisorError {}

impl SupervisorSpec {
    /// Checks the spec as OTP's supervisor does before it starts anything
    /// (nested supervisors too); the error names the child.
    pub fn validate(&self) -> Result<(), SupervisorError> {
        let bad = |why: String| Err(SupervisorError::BadSpec(why));
        let flags = &self.flags;
        if flags.period.is_zero() {
            return bad("the restart period must be longer than zero".into());
        }
        if flags.strategy == Strategy::SimpleOneForOne {
            if self.children.len() != 1 {
                return bad(format!(
                    "a simple_one_for_one supervisor has exactly one child spec (its template), not {}",
                    self.children.len()
                ));
            }
            if flags.auto_shutdown != AutoShutdown::Never {
                return bad("a simple_one_for_one supervisor cannot have auto_shutdown".into());
            }
        } else if flags.max_children.is_some() {
            return bad("max_children is for a simple_one_for_one supervisor".into());
        }
        let mut ids = std::collections::HashSet::new();
        for child in &self.children {
            if !ids.insert(child.id.as_str()) {
                return bad(format!("two children have id `{}`", child.id));
            }
            if child.significant {
                if child.restart == Restart::Permanent {
                    return bad(format!("child `{}`: a permanent child cannot be significant", child.id));
                }
                if flags.auto_shutdown == AutoShutdown::Never {
                    return bad(format!("child `{}` is significant, but auto_shutdown is never", child.id));
                }
            }
            match &child.start {
                ChildStart::Worker { module, entry, .. } => {
                    if module.is_empty() || entry.is_empty() {
                        return bad(format!("child `{}`: a worker names a module and an entry", child.id));
                    }
                }
                ChildStart::Supervisor(spec) => {
                    spec.validate().map_err(|e| match e {
                        SupervisorError::BadSpec(why) => SupervisorError::BadSpec(format!("in `{}`: {why}", child.id)),
                        other => other,
                    })?;
                }
            }
        }
        Ok(())
    }
}
