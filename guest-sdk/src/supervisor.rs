//! Supervisor and DynamicSupervisor (feature `serde`): typed, safe
//! wrappers over the host's supervisors (docs/ABI.md, "Supervisors").
//!
//! A supervisor is a process the host runs itself; a guest starts one with
//! a spec and talks to it with requests. This module builds the spec from
//! Rust values and turns every request and answer into typed results:
//!
//! ```ignore
//! use warren::supervisor::{Strategy, SupFlags, Supervisor};
//! use warren::{ChildSpec, gen_server};
//!
//! let children = [
//!     gen_server::child_spec::<Cache>("cache", "app", &1_000, None)?,
//!     ChildSpec::function("ticker", "app", ticker, &50)?,
//!     ChildSpec::worker("legacy", "legacy_c", "main", b""),
//! ];
//! let flags = SupFlags::new(Strategy::OneForOne).intensity(3).period_ms(5_000);
//! let sup = Supervisor::start_link_named("app_sup", &flags, &children)?;
//! let counts = sup.count_children()?;
//! sup.terminate_child("ticker")?;
//! let pid = sup.restart_child("ticker")?;
//! ```
//!
//! # Module names
//!
//! A child spec names the module its child runs, as the module is loaded
//! on the node (the manifest's name, `Node::load`'s): a supervisor has no
//! module of its own, so there is no "this module" for it. A Rust function
//! or server of the guest's own module ([`ChildSpec::function`],
//! [`gen_server::child_spec`](crate::gen_server::child_spec),
//! [`DynamicTemplate::function`]) runs only in that module (its argument
//! holds table indices of that module), so give the guest's own name.
//!
//! # Dynamic supervisors and their children's arguments
//!
//! A host dynamic supervisor (`simple_one_for_one`) starts each child from
//! its one template, with the template's argument **followed by** the
//! bytes given to `SUP_START_CHILD`. The SDK keeps that rule and makes the
//! bytes typed: a [`DynamicSupervisor<A>`] sends each child's argument as
//! the term of an `A`, so
//!
//! - a Rust function or server template's argument is only the function
//!   trampoline's 12-byte header (`"WFN1"`, two table indices; see
//!   [`crate::SPAWN_FN_EXPORT`]), and the header followed by the term is
//!   exactly the argument the trampoline reads;
//! - a plain module/entry template ([`DynamicTemplate::module`]) gets its
//!   fixed prefix, then the term of the `A`: its entry reads
//!   [`crate::arg`], skips the prefix and decodes the rest.
//!
//! # Waiting for a supervisor
//!
//! Requests are answered by message; while it waits, the caller checks
//! every few tens of milliseconds that the supervisor still lives, so a
//! request to a supervisor that dies ends with
//! [`SupervisorError::NoProc`] instead of a hang (the ABI's receive
//! selects by tag, so waiting for the supervisor's DOWN would take the
//! caller's other DOWN messages).

use crate::links::{ExitReason, Signal};
use crate::spawn_fn::{ExitValue, SPAWN_FN_EXPORT, SpawnFnError, spawn_fn_arg};
use crate::wait::{Waited, wait_while_alive};
use crate::{ChildSpec, Error, Message, NameError, Pid, raw_bytes, sys};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;
use serde::Serialize;
use serde::de::DeserializeOwned;
use warren_term as term;

/// `ERR_NOT_FOUND` (-12): no child of that id (or pid).
const ERR_NOT_FOUND: i64 = -12;

/// Which children a supervisor restarts when one exits.
///
/// ```ignore
/// let flags = SupFlags::new(Strategy::RestForOne);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Strategy {
    /// Only the child that exited (`one_for_one`).
    #[default]
    OneForOne,
    /// All children: the others are stopped in reverse order, then all
    /// start again in order (`one_for_all`).
    OneForAll,
    /// The child and those started after it (`rest_for_one`).
    RestForOne,
}

/// Whether significant children end their supervisor (OTP 25's
/// `auto_shutdown`).
///
/// ```ignore
/// let flags = SupFlags::new(Strategy::OneForOne).auto_shutdown(AutoShutdown::AnySignificant);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum AutoShutdown {
    /// Never (significant children are a spec error).
    #[default]
    Never,
    /// When any significant child exits and is not restarted.
    AnySignificant,
    /// When no significant child is left running.
    AllSignificant,
}

/// A supervisor's flags: strategy, restart intensity, auto_shutdown.
///
/// ```ignore
/// let flags = SupFlags::new(Strategy::OneForAll).intensity(5).period_ms(10_000);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SupFlags {
    strategy: Strategy,
    intensity: u32,
    period_ms: u32,
    auto_shutdown: AutoShutdown,
}

impl SupFlags {
    /// `strategy` with OTP's defaults: at most 1 restart in 5 seconds,
    /// `auto_shutdown` never.
    ///
    /// ```ignore
    /// let flags = SupFlags::new(Strategy::OneForOne);
    /// ```
    pub fn new(strategy: Strategy) -> SupFlags {
        SupFlags { strategy, intensity: 1, period_ms: 5_000, auto_shutdown: AutoShutdown::Never }
    }

    /// At most `restarts` restarts within the period; one more and the
    /// supervisor stops its children and exits `shutdown`
    /// (`reached_max_restart_intensity`).
    ///
    /// ```ignore
    /// let flags = SupFlags::new(Strategy::OneForOne).intensity(3);
    /// ```
    pub fn intensity(mut self, restarts: u32) -> SupFlags {
        self.intensity = restarts;
        self
    }

    /// The period of the intensity, in milliseconds (more than 0).
    ///
    /// ```ignore
    /// let flags = SupFlags::new(Strategy::OneForOne).intensity(3).period_ms(1_000);
    /// ```
    pub fn period_ms(mut self, period_ms: u32) -> SupFlags {
        self.period_ms = period_ms;
        self
    }

    /// When significant children end the supervisor.
    ///
    /// ```ignore
    /// let flags = SupFlags::new(Strategy::OneForOne).auto_shutdown(AutoShutdown::AllSignificant);
    /// ```
    pub fn auto_shutdown(mut self, auto_shutdown: AutoShutdown) -> SupFlags {
        self.auto_shutdown = auto_shutdown;
        self
    }
}

impl Default for SupFlags {
    /// `one_for_one`, 1 restart in 5 seconds.
    fn default() -> SupFlags {
        SupFlags::new(Strategy::OneForOne)
    }
}

/// The header and child records of a spec (docs/ABI.md, "The spec
/// format").
fn encode_spec(strategy: i32, flags: &SupFlags, max_children: Option<u32>, children: &[ChildSpec]) -> Vec<u8> {
    let auto = match flags.auto_shutdown {
        AutoShutdown::Never => sys::AUTO_SHUTDOWN_NEVER,
        AutoShutdown::AnySignificant => sys::AUTO_SHUTDOWN_ANY_SIGNIFICANT,
        AutoShutdown::AllSignificant => sys::AUTO_SHUTDOWN_ALL_SIGNIFICANT,
    };
    let mut out = Vec::with_capacity(20 + 64 * children.len());
    out.extend_from_slice(&[strategy as u8, auto as u8, 0, 0]);
    out.extend_from_slice(&flags.intensity.to_le_bytes());
    out.extend_from_slice(&flags.period_ms.to_le_bytes());
    out.extend_from_slice(&max_children.unwrap_or(sys::SPEC_NONE as u32).to_le_bytes());
    out.extend_from_slice(&(children.len() as u32).to_le_bytes());
    for child in children {
        let record = child.to_bytes();
        out.extend_from_slice(&(record.len() as u32).to_le_bytes());
        out.extend_from_slice(&record);
    }
    out
}

/// The spec of a static supervisor with `flags` and `children`, in
/// docs/ABI.md's format: for [`ChildSpec::supervisor`] (a nested
/// supervisor), or `supervisor_start` by hand.
///
/// ```ignore
/// let inner = supervisor::spec_bytes(&SupFlags::new(Strategy::OneForAll), &[a, b]);
/// let outer = [ChildSpec::supervisor("inner", inner), c];
/// let sup = Supervisor::start_link(&SupFlags::default(), &outer)?;
/// ```
pub fn spec_bytes(flags: &SupFlags, children: &[ChildSpec]) -> Vec<u8> {
    let strategy = match flags.strategy {
        Strategy::OneForOne => sys::STRATEGY_ONE_FOR_ONE,
        Strategy::OneForAll => sys::STRATEGY_ONE_FOR_ALL,
        Strategy::RestForOne => sys::STRATEGY_REST_FOR_ONE,
    };
    encode_spec(strategy, flags, None, children)
}

impl ChildSpec {
    /// The child spec of a Rust function of this module run as a process
    /// (as [`crate::spawn_fn`] runs it): a worker `id` of module `module`
    /// (the name this guest's module is loaded under) that runs
    /// `function(arg)`, permanent, stopped with `shutdown` and 5 s. Started
    /// means spawned (there is no `init` to wait for); change any of it
    /// with the other methods.
    ///
    /// ```ignore
    /// fn ticker(every_ms: u64) { /* ... */ }
    /// let spec = ChildSpec::function("ticker", "app", ticker, &50)?.restart(Restart::Transient);
    /// ```
    pub fn function<A, R>(id: &str, module: &str, function: fn(A) -> R, arg: &A) -> Result<ChildSpec, SpawnFnError>
    where
        A: Serialize + DeserializeOwned,
        R: ExitValue,
    {
        Ok(ChildSpec::worker(id, module, SPAWN_FN_EXPORT, &spawn_fn_arg(function, arg)?))
    }
}

/// The kind of a child.
///
/// ```ignore
/// let workers = sup.which_children()?.iter().filter(|c| c.kind == ChildType::Worker).count();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChildType {
    /// A wasm process.
    Worker,
    /// A nested supervisor.
    Supervisor,
}

/// One child, as [`Supervisor::which_children`] lists it.
///
/// ```ignore
/// for child in sup.which_children()? {
///     println!("{} {:?} restarted {} times", child.id, child.pid, child.restarts);
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ChildInfo {
    /// Its id (a dynamic supervisor's children all have their template's,
    /// `template`: they are named by pid).
    pub id: String,
    /// Its pid, `None` if it is not running (terminated, or being
    /// restarted).
    pub pid: Option<Pid>,
    /// How many times it was restarted.
    pub restarts: u32,
    /// Worker or supervisor.
    pub kind: ChildType,
}

/// A supervisor's counts of children (OTP's `count_children`).
///
/// ```ignore
/// let counts = sup.count_children()?;
/// assert_eq!(counts.active, counts.specs);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ChildCounts {
    /// Child specs held (for a dynamic supervisor: children).
    pub specs: u32,
    /// Children running.
    pub active: u32,
    /// Children that are supervisors.
    pub supervisors: u32,
    /// Children that are workers.
    pub workers: u32,
}

/// Why a supervisor did not start.
///
/// ```ignore
/// match Supervisor::start_link_named("app_sup", &flags, &children) {
///     Ok(sup) => { /* ... */ }
///     Err(StartError::AlreadyStarted(pid)) => { /* one runs already */ }
///     Err(other) => { /* ... */ }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartError {
    /// The host refused the spec or the start: [`Error::BadArg`] (the spec
    /// breaks a rule of docs/ABI.md: duplicate ids, a significant child
    /// without auto_shutdown...), [`Error::NotPermitted`], [`Error::Limit`].
    Refused(Error),
    /// A process already holds the name.
    AlreadyStarted(Pid),
    /// The name could not be registered.
    Name(NameError),
    /// A child failed to start, and the supervisor exited (`shutdown`,
    /// `failed_to_start_child ID: REASON`). That exit reached the caller
    /// through the link: a caller that traps exits has it as an EXIT
    /// message (with the reason); one that does not has been ended by it,
    /// as in OTP 25, and never sees this error.
    Exited,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Refused(error) => write!(f, "the supervisor was refused: {error}"),
            StartError::AlreadyStarted(pid) => write!(f, "already started as {pid}"),
            StartError::Name(error) => write!(f, "the name could not be registered: {error}"),
            StartError::Exited => f.write_str("a child failed to start and the supervisor exited"),
        }
    }
}

impl core::error::Error for StartError {}

/// Why a supervisor operation failed.
///
/// ```ignore
/// match sup.restart_child("db") {
///     Err(SupervisorError::Running) => { /* terminate it first */ }
///     Err(SupervisorError::NotFound) => { /* no such child */ }
///     other => { /* ... */ }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SupervisorError {
    /// A child with that id runs, with this pid (`ERR_ALREADY_STARTED`).
    AlreadyStarted(Pid),
    /// The child ignored its start (`init_ignore`, OTP's
    /// `{ok, undefined}`): no process runs; a static supervisor keeps its
    /// spec.
    Ignored,
    /// A child with that id is held, not running (`ERR_ALREADY_PRESENT`).
    AlreadyPresent,
    /// The child runs: terminate it first (`ERR_RUNNING`).
    Running,
    /// No child with that id or pid (`ERR_NOT_FOUND`).
    NotFound,
    /// The child did not start, with this reason (`ERR_START_FAILED`).
    StartFailed(ExitReason),
    /// A dynamic supervisor has `max_children` children (`ERR_LIMIT`).
    MaxChildren(u32),
    /// The supervisor refused the request, and says why (`ERR_BADARG`: a
    /// malformed child spec, an operation a dynamic supervisor does not
    /// have...).
    BadArg(String),
    /// The supervisor is not alive, or died before it answered.
    NoProc,
    /// The host refused the request ([`Error::NotPermitted`]: the caller
    /// may not spawn; [`Error::Limit`]; [`Error::BadArg`]: not a
    /// supervisor).
    Refused(Error),
    /// The argument has no term encoding (a dynamic supervisor's typed
    /// start).
    Encode(term::Error),
    /// The supervisor's answer is not what the ABI says.
    BadAnswer,
}

impl fmt::Display for SupervisorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SupervisorError::AlreadyStarted(pid) => write!(f, "already started as {pid}"),
            SupervisorError::Ignored => f.write_str("the child ignored its start"),
            SupervisorError::AlreadyPresent => f.write_str("a child with that id is present (not running)"),
            SupervisorError::Running => f.write_str("the child is running"),
            SupervisorError::NotFound => f.write_str("no such child"),
            SupervisorError::StartFailed(reason) => write!(f, "the child failed to start: {reason:?}"),
            SupervisorError::MaxChildren(max) => write!(f, "the supervisor has its maximum of {max} children"),
            SupervisorError::BadArg(why) => write!(f, "the supervisor refused the request: {why}"),
            SupervisorError::NoProc => f.write_str("the supervisor is not alive (noproc)"),
            SupervisorError::Refused(error) => write!(f, "the request was refused: {error}"),
            SupervisorError::Encode(error) => write!(f, "the argument cannot be encoded as a term: {error}"),
            SupervisorError::BadAnswer => f.write_str("the supervisor's answer is malformed"),
        }
    }
}

impl core::error::Error for SupervisorError {}

/// Starts a supervisor for `spec` linked to the caller, registers it as
/// `name` (if given), and waits until its children have started.
fn start_spec(spec: &[u8], name: Option<&str>) -> Result<Pid, StartError> {
    if let Some(holder) = name.and_then(crate::whereis) {
        return Err(StartError::AlreadyStarted(holder));
    }
    let (ptr, len) = raw_bytes(spec).map_err(StartError::Refused)?;
    // SAFETY: `ptr`/`len` are those of `spec`, a live slice the host only
    // reads.
    let code = unsafe { sys::supervisor_start(ptr, len) };
    if code <= 0 {
        return Err(StartError::Refused(Error::from_code(code)));
    }
    let sup = Pid::from_raw(code as u64);
    if let Some(name) = name
        && let Err(error) = crate::register(name, sup)
    {
        // Undo the start quietly: unlinked first, so its exit does not
        // reach the caller.
        let _ = sup.unlink();
        let _ = sup.exit(Signal::Kill);
        return Err(match (error, crate::whereis(name)) {
            (NameError::Taken, Some(holder)) => StartError::AlreadyStarted(holder),
            (error, _) => StartError::Name(error),
        });
    }
    let acked = wait_while_alive(&[sys::TAG_ACK], sup, None, |msg: Message| (msg.sender == sup).then_some(()));
    match acked {
        Waited::Got(()) => Ok(sup),
        Waited::Dead | Waited::TimedOut => Err(StartError::Exited),
    }
}

/// Sends `op` with `arg` to `sup` and waits for its answer: the result
/// code and the data after it.
fn request(sup: Pid, op: i32, arg: &[u8]) -> Result<(i64, Vec<u8>), SupervisorError> {
    let (ptr, len) = raw_bytes(arg).map_err(SupervisorError::Refused)?;
    // SAFETY: `ptr`/`len` are those of `arg`, a live slice the host only
    // reads.
    let id = unsafe { sys::supervisor_request(sup.raw() as i64, op, ptr, len) };
    if id <= 0 {
        return Err(match id {
            code if code == i64::from(sys::ERR_NOPROC) => SupervisorError::NoProc,
            code => SupervisorError::Refused(Error::from_code(code)),
        });
    }
    let answer = wait_while_alive(&[sys::TAG_SUPERVISOR_REPLY], sup, None, |msg: Message| {
        let data = msg.data;
        let request = i64::from_le_bytes(data.get(..8)?.try_into().ok()?);
        // An answer to another request (one whose caller gave up) is
        // dropped.
        if msg.sender != sup || request != id {
            return None;
        }
        let result = i64::from_le_bytes(data.get(8..16)?.try_into().ok()?);
        Some((result, data[16..].to_vec()))
    });
    match answer {
        Waited::Got(answer) => Ok(answer),
        Waited::Dead | Waited::TimedOut => Err(SupervisorError::NoProc),
    }
}

/// The error a failed answer (`result < 0`) stands for.
fn answer_error(result: i64, data: &[u8]) -> SupervisorError {
    let i32_at = |at: usize| Some(i32::from_le_bytes(data.get(at..at + 4)?.try_into().ok()?));
    match result {
        code if code == i64::from(sys::ERR_ALREADY_STARTED) => {
            Pid::from_le_slice(data).map_or(SupervisorError::BadAnswer, SupervisorError::AlreadyStarted)
        }
        code if code == i64::from(sys::ERR_ALREADY_PRESENT) => SupervisorError::AlreadyPresent,
        code if code == i64::from(sys::ERR_RUNNING) => SupervisorError::Running,
        ERR_NOT_FOUND => SupervisorError::NotFound,
        code if code == i64::from(sys::ERR_START_FAILED) => match i32_at(0) {
            Some(kind) => SupervisorError::StartFailed(ExitReason::from_parts(kind, &data[4..])),
            None => SupervisorError::BadAnswer,
        },
        code if code == i64::from(sys::ERR_LIMIT) => match i32_at(0) {
            Some(max) => SupervisorError::MaxChildren(max as u32),
            None => SupervisorError::Refused(Error::Limit),
        },
        code if code == i64::from(sys::ERR_BADARG) => {
            SupervisorError::BadArg(String::from_utf8_lossy(data).into_owned())
        }
        code => SupervisorError::Refused(Error::from_code(code)),
    }
}

/// A pid answer (`SUP_START_CHILD`, `SUP_RESTART_CHILD`).
fn pid_answer((result, data): (i64, Vec<u8>)) -> Result<Pid, SupervisorError> {
    match result {
        1.. => Ok(Pid::from_raw(result as u64)),
        // No process: the child ignored its start (OTP's `{ok, undefined}`).
        0 => Err(SupervisorError::Ignored),
        _ => Err(answer_error(result, &data)),
    }
}

/// An `OK` answer.
fn ok_answer((result, data): (i64, Vec<u8>)) -> Result<(), SupervisorError> {
    if result >= 0 { Ok(()) } else { Err(answer_error(result, &data)) }
}

/// Parses a `SUP_WHICH_CHILDREN` answer.
fn children_answer((result, data): (i64, Vec<u8>)) -> Result<Vec<ChildInfo>, SupervisorError> {
    if result < 0 {
        return Err(answer_error(result, &data));
    }
    let mut children = Vec::with_capacity(usize::try_from(result).unwrap_or(0).min(4096));
    let mut at = 0;
    while at < data.len() {
        let record = data.get(at..at + 20).ok_or(SupervisorError::BadAnswer)?;
        let raw = u64::from_le_bytes(record[..8].try_into().map_err(|_| SupervisorError::BadAnswer)?);
        let restarts = u32::from_le_bytes(record[8..12].try_into().map_err(|_| SupervisorError::BadAnswer)?);
        let kind =
            if i32::from(record[12]) == sys::CHILD_SUPERVISOR { ChildType::Supervisor } else { ChildType::Worker };
        let id_len = u32::from_le_bytes(record[16..20].try_into().map_err(|_| SupervisorError::BadAnswer)?) as usize;
        let id = data.get(at + 20..at + 20 + id_len).ok_or(SupervisorError::BadAnswer)?;
        children.push(ChildInfo {
            id: String::from_utf8_lossy(id).into_owned(),
            pid: (raw != 0).then_some(Pid::from_raw(raw)),
            restarts,
            kind,
        });
        at += 20 + id_len;
    }
    Ok(children)
}

/// Parses a `SUP_COUNT_CHILDREN` answer.
fn counts_answer((result, data): (i64, Vec<u8>)) -> Result<ChildCounts, SupervisorError> {
    if result < 0 {
        return Err(answer_error(result, &data));
    }
    let at = |i: usize| -> Result<u32, SupervisorError> {
        Ok(u32::from_le_bytes(
            data.get(i * 4..i * 4 + 4)
                .ok_or(SupervisorError::BadAnswer)?
                .try_into()
                .map_err(|_| SupervisorError::BadAnswer)?,
        ))
    };
    Ok(ChildCounts { specs: at(0)?, active: at(1)?, supervisors: at(2)?, workers: at(3)? })
}

/// A static supervisor (`one_for_one`, `one_for_all`, `rest_for_one`):
/// a handle on the host supervisor process, which outlives the handle.
///
/// ```ignore
/// let sup = Supervisor::start_link(&SupFlags::new(Strategy::OneForOne), &[spec_a, spec_b])?;
/// let pid = sup.start_child(&spec_c)?;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Supervisor {
    pid: Pid,
}

impl Supervisor {
    /// Starts a supervisor with `flags` and `children`, linked to the
    /// caller (its parent: an exit signal from the caller stops it and its
    /// children in reverse order), and returns once all its children have
    /// started (OTP's `supervisor:start_link`). See [`StartError::Exited`]
    /// for a child that fails to start.
    ///
    /// ```ignore
    /// let sup = Supervisor::start_link(&SupFlags::new(Strategy::OneForAll).intensity(3), &children)?;
    /// ```
    pub fn start_link(flags: &SupFlags, children: &[ChildSpec]) -> Result<Supervisor, StartError> {
        start_spec(&spec_bytes(flags, children), None).map(|pid| Supervisor { pid })
    }

    /// [`Supervisor::start_link`], registered as `name` before its
    /// children start waiting on it (OTP's `{local, Name}`). A name held by
    /// another process is [`StartError::AlreadyStarted`].
    ///
    /// ```ignore
    /// let sup = Supervisor::start_link_named("app_sup", &SupFlags::default(), &children)?;
    /// assert_eq!(Supervisor::whereis("app_sup"), Some(sup));
    /// ```
    pub fn start_link_named(name: &str, flags: &SupFlags, children: &[ChildSpec]) -> Result<Supervisor, StartError> {
        start_spec(&spec_bytes(flags, children), Some(name)).map(|pid| Supervisor { pid })
    }

    /// The supervisor with this pid (no check that it is one: requests to
    /// another process fail with [`SupervisorError::Refused`]).
    ///
    /// ```ignore
    /// let sup = Supervisor::from_pid(pid);
    /// ```
    pub fn from_pid(pid: Pid) -> Supervisor {
        Supervisor { pid }
    }

    /// The supervisor registered as `name`, if any.
    ///
    /// ```ignore
    /// let sup = Supervisor::whereis("app_sup").expect("started");
    /// ```
    pub fn whereis(name: &str) -> Option<Supervisor> {
        crate::whereis(name).map(Supervisor::from_pid)
    }

    /// Its pid.
    ///
    /// ```ignore
    /// let monitor = sup.pid().monitor()?;
    /// ```
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Adds child `spec` and starts it (OTP's `start_child`); its pid.
    /// Errors: [`SupervisorError::AlreadyStarted`],
    /// [`SupervisorError::AlreadyPresent`],
    /// [`SupervisorError::StartFailed`], [`SupervisorError::BadArg`].
    ///
    /// ```ignore
    /// let pid = sup.start_child(&ChildSpec::function("job", "app", job, &7)?)?;
    /// ```
    pub fn start_child(&self, spec: &ChildSpec) -> Result<Pid, SupervisorError> {
        pid_answer(request(self.pid, sys::SUP_START_CHILD, &spec.to_bytes())?)
    }

    /// Stops child `id` by its shutdown and keeps its spec (a temporary
    /// child's is forgotten); returns once it has stopped.
    ///
    /// ```ignore
    /// sup.terminate_child("job")?;
    /// ```
    pub fn terminate_child(&self, id: &str) -> Result<(), SupervisorError> {
        ok_answer(request(self.pid, sys::SUP_TERMINATE_CHILD, id.as_bytes())?)
    }

    /// Starts the stopped child `id` again; its new pid.
    /// [`SupervisorError::Running`] if it runs.
    ///
    /// ```ignore
    /// sup.terminate_child("job")?;
    /// let pid = sup.restart_child("job")?;
    /// ```
    pub fn restart_child(&self, id: &str) -> Result<Pid, SupervisorError> {
        pid_answer(request(self.pid, sys::SUP_RESTART_CHILD, id.as_bytes())?)
    }

    /// Forgets the stopped child `id`. [`SupervisorError::Running`] if it
    /// runs.
    ///
    /// ```ignore
    /// sup.terminate_child("job")?;
    /// sup.delete_child("job")?;
    /// ```
    pub fn delete_child(&self, id: &str) -> Result<(), SupervisorError> {
        ok_answer(request(self.pid, sys::SUP_DELETE_CHILD, id.as_bytes())?)
    }

    /// Its children, in start order.
    ///
    /// ```ignore
    /// let running = sup.which_children()?.iter().filter(|c| c.pid.is_some()).count();
    /// ```
    pub fn which_children(&self) -> Result<Vec<ChildInfo>, SupervisorError> {
        children_answer(request(self.pid, sys::SUP_WHICH_CHILDREN, &[])?)
    }

    /// Its counts of children.
    ///
    /// ```ignore
    /// let ChildCounts { active, .. } = sup.count_children()?;
    /// ```
    pub fn count_children(&self) -> Result<ChildCounts, SupervisorError> {
        counts_answer(request(self.pid, sys::SUP_COUNT_CHILDREN, &[])?)
    }

    /// Stops the supervisor as its parent does: exit signal `shutdown`
    /// (its children stop in reverse order first), and waits until it has
    /// exited. Only its parent (the process that started it) can: exit
    /// signals from others are ignored. The link is removed first, so the
    /// supervisor's exit does not reach the caller.
    ///
    /// ```ignore
    /// sup.stop();
    /// ```
    pub fn stop(self) {
        let _ = self.pid.unlink();
        let _ = self.pid.exit(Signal::Shutdown(Vec::new()));
        crate::wait::until_dead(self.pid);
    }
}

/// A dynamic supervisor's template: the one child spec every child starts
/// from, whose children take an `A` each (see the module's docs for how
/// the argument travels).
///
/// ```ignore
/// let template = DynamicTemplate::function("app", worker)?;             // fn worker(job: Job)
/// let template = DynamicTemplate::gen_server::<Session>("app")?;       // Session::Arg
/// let template = DynamicTemplate::<Job>::module("workers_c", "main", b"v1"); // prefix, then the term
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DynamicTemplate<A> {
    spec: ChildSpec,
    _arg: PhantomData<fn(A)>,
}

impl<A: Serialize + DeserializeOwned> DynamicTemplate<A> {
    /// Children that run `function(arg)` (a function of this module,
    /// loaded as `module`), permanent, stopped with `shutdown` and 5 s.
    ///
    /// ```ignore
    /// fn worker(n: u32) { /* ... */ }
    /// let template = DynamicTemplate::function("app", worker)?.with(|s| s.restart(Restart::Transient));
    /// ```
    pub fn function<R: ExitValue>(module: &str, function: fn(A) -> R) -> Result<DynamicTemplate<A>, Error> {
        let header = crate::spawn_fn::header(function)?;
        Ok(DynamicTemplate { spec: ChildSpec::worker("template", module, SPAWN_FN_EXPORT, &header), _arg: PhantomData })
    }

    /// Children that are GenServer `G` (of this module, loaded as
    /// `module`) started with `init(arg)`; the supervisor waits for `init`
    /// as [`gen_server::child_spec`](crate::gen_server::child_spec) says.
    ///
    /// ```ignore
    /// let template = DynamicTemplate::gen_server::<Session>("app")?;
    /// let sessions = DynamicSupervisor::start_link(&template, &DynamicOptions::new())?;
    /// let pid = sessions.start_child(&SessionArg { user: 7 })?;
    /// ```
    pub fn gen_server<G: crate::gen_server::GenServer<Arg = A>>(module: &str) -> Result<DynamicTemplate<A>, Error> {
        let run: fn(A) = crate::gen_server::run_supervised::<G>;
        let header = crate::spawn_fn::header(run)?;
        Ok(DynamicTemplate {
            spec: ChildSpec::worker("template", module, SPAWN_FN_EXPORT, &header)
                .ack_timeout(Some(crate::gen_server::CHILD_ACK_TIMEOUT_MS)),
            _arg: PhantomData,
        })
    }

    /// Children that run export `entry` of module `module` (any language)
    /// with the argument `prefix` followed by the term of their `A`.
    ///
    /// ```ignore
    /// let template = DynamicTemplate::<u32>::module("workers_c", "main", b"");
    /// ```
    pub fn module(module: &str, entry: &str, prefix: &[u8]) -> DynamicTemplate<A> {
        DynamicTemplate { spec: ChildSpec::worker("template", module, entry, prefix), _arg: PhantomData }
    }

    /// The template with its spec changed by `change` (restart type,
    /// shutdown, ack timeout, options).
    ///
    /// ```ignore
    /// let template = template.with(|spec| spec.restart(Restart::Temporary).shutdown(Shutdown::BrutalKill));
    /// ```
    pub fn with(mut self, change: impl FnOnce(ChildSpec) -> ChildSpec) -> DynamicTemplate<A> {
        self.spec = change(self.spec);
        self
    }

    /// The template's child spec.
    ///
    /// ```ignore
    /// assert_eq!(template.spec().entry(), warren::SPAWN_FN_EXPORT);
    /// ```
    pub fn spec(&self) -> &ChildSpec {
        &self.spec
    }
}

/// A dynamic supervisor's options (Elixir's `DynamicSupervisor.start_link`
/// options).
///
/// ```ignore
/// let options = DynamicOptions::new().max_children(100).intensity(10).name("sessions");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DynamicOptions {
    flags: SupFlags,
    max_children: Option<u32>,
    name: Option<String>,
}

impl DynamicOptions {
    /// Elixir's defaults: at most 3 restarts in 5 seconds, no limit on
    /// children, no name.
    ///
    /// ```ignore
    /// let options = DynamicOptions::new();
    /// ```
    pub fn new() -> DynamicOptions {
        DynamicOptions { flags: SupFlags::new(Strategy::OneForOne).intensity(3), max_children: None, name: None }
    }

    /// At most `max` children at a time; a start past it is
    /// [`SupervisorError::MaxChildren`].
    ///
    /// ```ignore
    /// let options = DynamicOptions::new().max_children(2);
    /// ```
    pub fn max_children(mut self, max: u32) -> DynamicOptions {
        self.max_children = Some(max);
        self
    }

    /// At most `restarts` restarts within the period.
    ///
    /// ```ignore
    /// let options = DynamicOptions::new().intensity(10);
    /// ```
    pub fn intensity(mut self, restarts: u32) -> DynamicOptions {
        self.flags = self.flags.intensity(restarts);
        self
    }

    /// The period of the intensity, in milliseconds.
    ///
    /// ```ignore
    /// let options = DynamicOptions::new().intensity(10).period_ms(1_000);
    /// ```
    pub fn period_ms(mut self, period_ms: u32) -> DynamicOptions {
        self.flags = self.flags.period_ms(period_ms);
        self
    }

    /// Registers the supervisor as `name`.
    ///
    /// ```ignore
    /// let options = DynamicOptions::new().name("sessions");
    /// ```
    pub fn name(mut self, name: &str) -> DynamicOptions {
        self.name = Some(String::from(name));
        self
    }
}

impl Default for DynamicOptions {
    fn default() -> DynamicOptions {
        DynamicOptions::new()
    }
}

/// A dynamic supervisor (`simple_one_for_one`, Elixir's
/// `DynamicSupervisor`) whose children each take an `A`: no children at
/// start, one template, children started on demand, named by pid,
/// restarted one for one (as their restart type says), at most
/// `max_children` of them.
///
/// ```ignore
/// fn worker(job: Job) { /* ... */ }
/// let template = DynamicTemplate::function("app", worker)?.with(|s| s.restart(Restart::Temporary));
/// let sup = DynamicSupervisor::start_link(&template, &DynamicOptions::new().max_children(8))?;
/// let pid = sup.start_child(&Job { id: 1 })?;
/// sup.terminate_child(pid)?;
/// ```
pub struct DynamicSupervisor<A> {
    pid: Pid,
    _arg: PhantomData<fn(A)>,
}

impl<A> Clone for DynamicSupervisor<A> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<A> Copy for DynamicSupervisor<A> {}

impl<A> fmt::Debug for DynamicSupervisor<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicSupervisor").field("pid", &self.pid).finish()
    }
}

impl<A> PartialEq for DynamicSupervisor<A> {
    fn eq(&self, other: &Self) -> bool {
        self.pid == other.pid
    }
}

impl<A> Eq for DynamicSupervisor<A> {}

impl<A: Serialize> DynamicSupervisor<A> {
    /// Starts a dynamic supervisor of `template`'s children, linked to the
    /// caller (its parent), registered if `options` names it.
    ///
    /// ```ignore
    /// let sup = DynamicSupervisor::start_link(&template, &DynamicOptions::new().max_children(2))?;
    /// ```
    pub fn start_link(template: &DynamicTemplate<A>, options: &DynamicOptions) -> Result<Self, StartError> {
        let spec = encode_spec(
            sys::STRATEGY_SIMPLE_ONE_FOR_ONE,
            &options.flags,
            options.max_children,
            core::slice::from_ref(&template.spec),
        );
        start_spec(&spec, options.name.as_deref()).map(|pid| DynamicSupervisor { pid, _arg: PhantomData })
    }

    /// The dynamic supervisor with this pid, whose children take an `A`
    /// (not checked: a template of another argument type makes its
    /// children fail as a bad argument does).
    ///
    /// ```ignore
    /// let sup = DynamicSupervisor::<Job>::from_pid(pid);
    /// ```
    pub fn from_pid(pid: Pid) -> Self {
        DynamicSupervisor { pid, _arg: PhantomData }
    }

    /// The dynamic supervisor registered as `name`, if any.
    ///
    /// ```ignore
    /// let sup = DynamicSupervisor::<Job>::whereis("jobs").expect("started");
    /// ```
    pub fn whereis(name: &str) -> Option<Self> {
        crate::whereis(name).map(Self::from_pid)
    }

    /// Its pid.
    ///
    /// ```ignore
    /// let pid = sup.pid();
    /// ```
    pub fn pid(&self) -> Pid {
        self.pid
    }

    /// Starts a child with argument `arg` (its term follows the
    /// template's argument); its pid. Errors:
    /// [`SupervisorError::MaxChildren`], [`SupervisorError::StartFailed`],
    /// [`SupervisorError::Encode`].
    ///
    /// ```ignore
    /// let pid = sup.start_child(&Job { id: 1 })?;
    /// ```
    pub fn start_child(&self, arg: &A) -> Result<Pid, SupervisorError> {
        let bytes = term::to_vec(arg).map_err(SupervisorError::Encode)?;
        self.start_child_bytes(&bytes)
    }

    /// Starts a child with `bytes` after the template's argument, as the
    /// host does (for a template whose children read bytes, not a term).
    ///
    /// ```ignore
    /// let pid = sup.start_child_bytes(&7u32.to_le_bytes())?;
    /// ```
    pub fn start_child_bytes(&self, bytes: &[u8]) -> Result<Pid, SupervisorError> {
        pid_answer(request(self.pid, sys::SUP_START_CHILD, bytes)?)
    }

    /// Stops child `child` by the template's shutdown and forgets it.
    ///
    /// ```ignore
    /// sup.terminate_child(pid)?;
    /// ```
    pub fn terminate_child(&self, child: Pid) -> Result<(), SupervisorError> {
        ok_answer(request(self.pid, sys::SUP_TERMINATE_CHILD, &child.to_le_bytes())?)
    }

    /// Its children (all with the template's id, `template`: they are
    /// named by pid).
    ///
    /// ```ignore
    /// let pids: Vec<_> = sup.which_children()?.into_iter().filter_map(|c| c.pid).collect();
    /// ```
    pub fn which_children(&self) -> Result<Vec<ChildInfo>, SupervisorError> {
        children_answer(request(self.pid, sys::SUP_WHICH_CHILDREN, &[])?)
    }

    /// Its counts of children.
    ///
    /// ```ignore
    /// assert!(sup.count_children()?.active <= 8);
    /// ```
    pub fn count_children(&self) -> Result<ChildCounts, SupervisorError> {
        counts_answer(request(self.pid, sys::SUP_COUNT_CHILDREN, &[])?)
    }

    /// Stops it as its parent does (see [`Supervisor::stop`]).
    ///
    /// ```ignore
    /// sup.stop();
    /// ```
    pub fn stop(self) {
        Supervisor::from_pid(self.pid).stop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Restart, Shutdown};

    #[test]
    fn a_spec_is_a_header_then_length_prefixed_records() {
        let a = ChildSpec::worker("a", "app", "main", b"x");
        let flags = SupFlags::new(Strategy::RestForOne).intensity(3).period_ms(1_000);
        let spec = spec_bytes(&flags, core::slice::from_ref(&a));
        assert_eq!(&spec[..4], &[2, 0, 0, 0]);
        assert_eq!(&spec[4..8], &3u32.to_le_bytes());
        assert_eq!(&spec[8..12], &1_000u32.to_le_bytes());
        assert_eq!(&spec[12..16], &u32::MAX.to_le_bytes(), "no max_children");
        assert_eq!(&spec[16..20], &1u32.to_le_bytes());
        let record = a.to_bytes();
        assert_eq!(&spec[20..24], &(record.len() as u32).to_le_bytes());
        assert_eq!(&spec[24..], &record[..]);
    }

    #[test]
    fn a_nested_supervisor_record_holds_its_spec() {
        let inner = spec_bytes(&SupFlags::default(), &[]);
        let record = ChildSpec::supervisor("inner", inner.clone()).to_bytes();
        assert_eq!(&record[..4], &[0, 1, 0, sys::SHUTDOWN_INFINITY as u8]);
        let mut expected = record[..12].to_vec();
        for field in [&b"inner"[..], &inner, b""] {
            expected.extend_from_slice(&(field.len() as u32).to_le_bytes());
            expected.extend_from_slice(field);
        }
        assert_eq!(record, expected);
    }

    #[test]
    fn answers_parse_into_typed_results() {
        let mut data = 5u64.to_le_bytes().to_vec();
        data.extend_from_slice(&2u32.to_le_bytes());
        data.extend_from_slice(&[0, 0, 0, 0]);
        data.extend_from_slice(&3u32.to_le_bytes());
        data.extend_from_slice(b"job");
        data.extend_from_slice(&0u64.to_le_bytes());
        data.extend_from_slice(&0u32.to_le_bytes());
        data.extend_from_slice(&[1, 0, 0, 0]);
        data.extend_from_slice(&0u32.to_le_bytes());
        let children = children_answer((2, data)).unwrap();
        assert_eq!(
            children,
            [
                ChildInfo { id: "job".into(), pid: Some(Pid::from_raw(5)), restarts: 2, kind: ChildType::Worker },
                ChildInfo { id: String::new(), pid: None, restarts: 0, kind: ChildType::Supervisor },
            ]
        );
        assert_eq!(children_answer((1, alloc::vec![1, 2])), Err(SupervisorError::BadAnswer));
        let counts: Vec<u8> = [4u32, 3, 1, 3].iter().flat_map(|n| n.to_le_bytes()).collect();
        assert_eq!(counts_answer((0, counts)), Ok(ChildCounts { specs: 4, active: 3, supervisors: 1, workers: 3 }));
        let mut failed = 2i32.to_le_bytes().to_vec();
        failed.extend_from_slice(b"boom");
        assert_eq!(
            pid_answer((i64::from(sys::ERR_START_FAILED), failed)),
            Err(SupervisorError::StartFailed(ExitReason::Custom(b"boom".to_vec())))
        );
        assert_eq!(
            pid_answer((i64::from(sys::ERR_LIMIT), 2u32.to_le_bytes().to_vec())),
            Err(SupervisorError::MaxChildren(2))
        );
        assert_eq!(ok_answer((ERR_NOT_FOUND, Vec::new())), Err(SupervisorError::NotFound));
        assert_eq!(pid_answer((9, Vec::new())), Ok(Pid::from_raw(9)));
    }

    #[test]
    fn a_module_template_keeps_its_prefix() {
        let template = DynamicTemplate::<u32>::module("c_workers", "main", b"v1")
            .with(|spec| spec.restart(Restart::Temporary).shutdown(Shutdown::BrutalKill));
        assert_eq!(template.spec().arg(), b"v1");
        assert_eq!(template.spec().entry(), "main");
    }
}
