//! The client's side: starting servers, addressing them, calls and casts,
//! and a server's child spec.

use super::GenServer;
use super::server::{self, START_REQUEST, StartArg, StartReply, bad_request_reason};
use crate::links::{ExitReason, MonitorRef, Signal};
use crate::spawn_fn::{SPAWN_FN_EXPORT, SpawnFnError};
use crate::{CallError, ChildSpec, Error, NameError, Pid, Registry, SpawnOptions};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use warren_term as term;

/// How long a [`child_spec`]'s supervisor waits for the server's `init`
/// (its `init_ack`), in milliseconds, unless changed with
/// [`ChildSpec::ack_timeout`].
pub const CHILD_ACK_TIMEOUT_MS: u32 = 5_000;

/// A name a server registers under when it starts.
///
/// ```ignore
/// let local = Name::local("counter");                    // warren::register
/// let via = Name::via("workers", b"worker-7".to_vec());  // a keyed registry's key
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Name {
    /// A registered name, unique on the node ([`crate::register`]).
    Local(String),
    /// A key of a keyed registry ([`Registry::register`]): unique if the
    /// registry is (OTP's `{via, Registry, Key}`). The registry must exist.
    Via {
        /// The registry's name.
        registry: String,
        /// The key.
        key: Vec<u8>,
    },
}

/// A name as the start argument carries it: `(local, (registry, key))`.
pub(crate) type NameWire = (Option<String>, Option<(String, Vec<u8>)>);

impl Name {
    /// [`Name::Local`].
    ///
    /// ```ignore
    /// let name = warren::gen_server::Name::local("counter");
    /// ```
    pub fn local(name: &str) -> Name {
        Name::Local(String::from(name))
    }

    /// [`Name::Via`].
    ///
    /// ```ignore
    /// let name = warren::gen_server::Name::via("sessions", b"user-42".to_vec());
    /// ```
    pub fn via(registry: &str, key: impl Into<Vec<u8>>) -> Name {
        Name::Via { registry: String::from(registry), key: key.into() }
    }

    /// The process that holds this name now, if any (a duplicate
    /// registry's first entry).
    ///
    /// ```ignore
    /// let pid = warren::gen_server::Name::local("counter").whereis();
    /// ```
    pub fn whereis(&self) -> Option<Pid> {
        match self {
            Name::Local(name) => crate::whereis(name),
            Name::Via { registry, key } => Registry::named(registry).lookup(key).ok()?.first().map(|(pid, _)| *pid),
        }
    }

    pub(crate) fn to_wire(&self) -> NameWire {
        match self {
            Name::Local(name) => (Some(name.clone()), None),
            Name::Via { registry, key } => (None, Some((registry.clone(), key.clone()))),
        }
    }

    pub(crate) fn from_wire(wire: NameWire) -> Option<Name> {
        match wire {
            (Some(name), _) => Some(Name::Local(name)),
            (None, Some((registry, key))) => Some(Name::Via { registry, key }),
            (None, None) => None,
        }
    }
}

/// Where a call or a cast goes: a pid, a registered name, or a keyed
/// registry's key.
///
/// ```ignore
/// gen_server::call::<Counter>(pid, &Request::Get, None)?;        // ServerRef::Pid
/// gen_server::call::<Counter>("counter", &Request::Get, None)?;  // ServerRef::Name
/// gen_server::call::<Counter>(Name::via("workers", *b"w7"), &Request::Get, None)?; // ServerRef::Via
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ServerRef {
    /// The process.
    Pid(Pid),
    /// The process registered under this name.
    Name(String),
    /// The process registered under this key of this keyed registry.
    Via {
        /// The registry's name.
        registry: String,
        /// The key.
        key: Vec<u8>,
    },
}

impl From<Pid> for ServerRef {
    fn from(pid: Pid) -> ServerRef {
        ServerRef::Pid(pid)
    }
}

impl From<&str> for ServerRef {
    fn from(name: &str) -> ServerRef {
        ServerRef::Name(String::from(name))
    }
}

impl From<String> for ServerRef {
    fn from(name: String) -> ServerRef {
        ServerRef::Name(name)
    }
}

impl From<Name> for ServerRef {
    fn from(name: Name) -> ServerRef {
        match name {
            Name::Local(name) => ServerRef::Name(name),
            Name::Via { registry, key } => ServerRef::Via { registry, key },
        }
    }
}

impl From<&Name> for ServerRef {
    fn from(name: &Name) -> ServerRef {
        ServerRef::from(name.clone())
    }
}

impl ServerRef {
    /// The process this names now, if any.
    ///
    /// ```ignore
    /// let pid = warren::gen_server::ServerRef::from("counter").whereis();
    /// ```
    pub fn whereis(&self) -> Option<Pid> {
        match self {
            ServerRef::Pid(pid) => Some(*pid),
            ServerRef::Name(name) => crate::whereis(name),
            ServerRef::Via { registry, key } => {
                Registry::named(registry).lookup(key).ok()?.first().map(|(pid, _)| *pid)
            }
        }
    }
}

/// Options of a start: a name to register, a timeout, spawn options.
///
/// ```ignore
/// let options = StartOptions::new().name("counter").timeout(Some(1_000));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StartOptions {
    name: Option<Name>,
    timeout_ms: Option<u64>,
    spawn: SpawnOptions,
}

impl StartOptions {
    /// No name, no timeout (wait for `init` as long as it takes, as OTP's
    /// default `infinity`), the caller's limits and capabilities.
    ///
    /// ```ignore
    /// let pid = gen_server::start_link::<Counter>(&0, &StartOptions::new())?;
    /// ```
    pub fn new() -> StartOptions {
        StartOptions::default()
    }

    /// Registers the server under `name` before `init` runs; a start while
    /// another process holds it fails with [`StartError::AlreadyStarted`].
    ///
    /// ```ignore
    /// let options = StartOptions::new().name("counter");
    /// ```
    pub fn name(self, name: &str) -> StartOptions {
        self.register(Name::local(name))
    }

    /// Registers the server under `key` of keyed registry `registry`
    /// (which must exist) before `init` runs.
    ///
    /// ```ignore
    /// warren::Registry::new("workers", true)?;
    /// let options = StartOptions::new().via("workers", b"w7".to_vec());
    /// ```
    pub fn via(self, registry: &str, key: impl Into<Vec<u8>>) -> StartOptions {
        self.register(Name::via(registry, key))
    }

    /// Registers the server under `name` (local or via).
    ///
    /// ```ignore
    /// let options = StartOptions::new().register(Name::local("counter"));
    /// ```
    pub fn register(mut self, name: Name) -> StartOptions {
        self.name = Some(name);
        self
    }

    /// Waits at most `timeout_ms` for `init` (`None`: as long as it
    /// takes); past it the new process is killed and the start fails with
    /// [`StartError::Timeout`].
    ///
    /// ```ignore
    /// let options = StartOptions::new().timeout(Some(5_000));
    /// ```
    pub fn timeout(mut self, timeout_ms: Option<u64>) -> StartOptions {
        self.timeout_ms = timeout_ms;
        self
    }

    /// The server's limits and capabilities, narrowed by `options`.
    ///
    /// ```ignore
    /// let options = StartOptions::new().spawn_options(SpawnOptions::new().max_memory(1 << 20));
    /// ```
    pub fn spawn_options(mut self, options: SpawnOptions) -> StartOptions {
        self.spawn = options;
        self
    }
}

/// Why a start made no running server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartError {
    /// `init` returned [`super::Init::Ignore`] (OTP's `ignore`).
    Ignored,
    /// Another process holds the name.
    AlreadyStarted(Pid),
    /// `init` returned [`super::Init::Stop`] with this reason, or the
    /// process died before `init` returned (a panic's message, a trap...),
    /// or the name could not be registered.
    Failed(ExitReason),
    /// `init` did not return within the start's timeout (the process was
    /// killed).
    Timeout,
    /// The argument has no term encoding.
    Encode(term::Error),
    /// The host refused the spawn.
    Spawn(Error),
    /// The new process answered something a server does not (not a Rust
    /// SDK server of this module?).
    BadAnswer,
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Ignored => f.write_str("init returned ignore"),
            StartError::AlreadyStarted(pid) => write!(f, "already started as {pid}"),
            StartError::Failed(reason) => write!(f, "init failed: {reason:?}"),
            StartError::Timeout => f.write_str("init did not return in time"),
            StartError::Encode(error) => write!(f, "the argument cannot be encoded as a term: {error}"),
            StartError::Spawn(error) => write!(f, "the spawn failed: {error}"),
            StartError::BadAnswer => f.write_str("the new process did not answer as a server"),
        }
    }
}

impl core::error::Error for StartError {}

impl From<SpawnFnError> for StartError {
    fn from(error: SpawnFnError) -> StartError {
        match error {
            SpawnFnError::Encode(error) => StartError::Encode(error),
            SpawnFnError::Spawn(error) => StartError::Spawn(error),
        }
    }
}

/// The spawn argument of a server's process: the trampoline's header for
/// `server::run::<G>`, then the start argument's term.
fn server_arg<G: GenServer>(starter: Option<Pid>, name: Option<&Name>, arg: &G::Arg) -> Result<Vec<u8>, SpawnFnError> {
    entry_arg(server::run::<G>, starter, name, arg)
}

/// The spawn argument of a process that runs `run` (an SDK behaviour's
/// entry) with a [`StartArg`]: the trampoline's header, then the start
/// argument's term. Shared by the behaviours that start as servers do
/// ([`crate::stage`]).
fn entry_arg<A: Serialize + DeserializeOwned>(
    run: fn(StartArg<A>),
    starter: Option<Pid>,
    name: Option<&Name>,
    arg: &A,
) -> Result<Vec<u8>, SpawnFnError> {
    let mut bytes = crate::spawn_fn::header(run).map_err(SpawnFnError::Spawn)?.to_vec();
    // The same term as a `StartArg<A>`, from a reference.
    let start = (starter, name.map(Name::to_wire).unwrap_or((None, None)), arg);
    bytes.extend_from_slice(&term::to_vec(&start).map_err(SpawnFnError::Encode)?);
    Ok(bytes)
}

/// Starts a server: spawns it, then waits for `init` through a call.
fn start_with<G: GenServer>(
    arg: &G::Arg,
    options: &StartOptions,
    link: bool,
    monitor: bool,
) -> Result<(Pid, Option<MonitorRef>), StartError> {
    start_entry(server::run::<G>, arg, options, link, monitor)
}

/// Starts a process on `run` (an SDK behaviour's entry, which answers the
/// starter's call as [`server::run`] does): spawns it, then waits for its
/// `init` through a call.
pub(crate) fn start_entry<A: Serialize + DeserializeOwned>(
    run: fn(StartArg<A>),
    arg: &A,
    options: &StartOptions,
    link: bool,
    monitor: bool,
) -> Result<(Pid, Option<MonitorRef>), StartError> {
    let bytes = entry_arg(run, Some(crate::self_pid()), options.name.as_ref(), arg)?;
    let (pid, watch) =
        crate::spawn_opts("", SPAWN_FN_EXPORT, &bytes, &options.spawn, link, monitor).map_err(StartError::Spawn)?;
    let failed = |error: StartError| {
        // Leave nothing of the failed start behind: no link, no DOWN.
        if link {
            let _ = pid.unlink();
        }
        if let Some(watch) = watch {
            crate::demonitor(watch, true);
        }
        Err(error)
    };
    match crate::call(pid, START_REQUEST, options.timeout_ms) {
        Ok(answer) => match StartReply::decode(&answer) {
            Some(StartReply::Ok) => Ok((pid, watch)),
            Some(StartReply::Ignore) => failed(StartError::Ignored),
            Some(StartReply::Failed(reason)) => failed(StartError::Failed(reason)),
            Some(StartReply::AlreadyStarted(holder)) => failed(StartError::AlreadyStarted(holder)),
            None => {
                let _ = pid.exit(Signal::Kill);
                failed(StartError::BadAnswer)
            }
        },
        Err(CallError::Timeout) => {
            if link {
                let _ = pid.unlink();
            }
            let _ = pid.exit(Signal::Kill);
            failed(StartError::Timeout)
        }
        Err(CallError::Exited(reason)) => failed(StartError::Failed(reason)),
        Err(CallError::NoProc) => failed(StartError::Failed(ExitReason::Noproc)),
        Err(CallError::Refused(error)) => {
            let _ = pid.exit(Signal::Kill);
            failed(StartError::Spawn(error))
        }
    }
}

/// Starts a server linked to the caller, and returns once its `init` has
/// returned (OTP's `gen_server:start_link`). A failed `init`
/// ([`super::Init::Stop`], [`super::Init::Ignore`]) unlinks first, so it
/// only makes this return the error; a process that dies during `init`
/// (a panic) sends its exit signal through the link, as in OTP.
///
/// ```ignore
/// let pid = gen_server::start_link::<Counter>(&0, &StartOptions::new().name("counter"))?;
/// ```
pub fn start_link<G: GenServer>(arg: &G::Arg, options: &StartOptions) -> Result<Pid, StartError> {
    start_with::<G>(arg, options, true, false).map(|(pid, _)| pid)
}

/// [`start_link`] without the link (OTP's `gen_server:start`).
///
/// ```ignore
/// let pid = gen_server::start::<Counter>(&0, &StartOptions::new())?;
/// ```
pub fn start<G: GenServer>(arg: &G::Arg, options: &StartOptions) -> Result<Pid, StartError> {
    start_with::<G>(arg, options, false, false).map(|(pid, _)| pid)
}

/// [`start`], monitored by the caller from its spawn (OTP's
/// `gen_server:start_monitor`): the monitor's reference is returned.
///
/// ```ignore
/// let (pid, monitor) = gen_server::start_monitor::<Counter>(&0, &StartOptions::new())?;
/// ```
pub fn start_monitor<G: GenServer>(arg: &G::Arg, options: &StartOptions) -> Result<(Pid, MonitorRef), StartError> {
    let (pid, watch) = start_with::<G>(arg, options, false, true)?;
    Ok((pid, watch.unwrap_or(MonitorRef::from_raw(0))))
}

/// Why a call to a server has no reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GenCallError {
    /// The call failed: timeout (a late reply is dropped), noproc (no
    /// such process or name), the server exited (its reason), refused.
    Call(CallError),
    /// The request has no term encoding.
    Encode(term::Error),
    /// The reply is not a `G::Reply`.
    Decode(term::Error),
    /// The server could not read the request as its `Call` type (why).
    BadRequest(String),
}

impl fmt::Display for GenCallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GenCallError::Call(error) => fmt::Display::fmt(error, f),
            GenCallError::Encode(error) => write!(f, "the request cannot be encoded as a term: {error}"),
            GenCallError::Decode(error) => write!(f, "the reply is not of the expected type: {error}"),
            GenCallError::BadRequest(why) => write!(f, "the server refused the request: {why}"),
        }
    }
}

impl core::error::Error for GenCallError {}

/// Calls server `server` with `request` and waits at most `timeout_ms`
/// (`None`: for ever) for its reply (OTP's `gen_server:call`). A reply that
/// comes after the timeout never reaches the caller's mailbox.
///
/// ```ignore
/// match gen_server::call::<Counter>("counter", &Request::Get, Some(5_000)) {
///     Ok(count) => { /* ... */ }
///     Err(GenCallError::Call(CallError::Exited(reason))) => { /* it died */ }
///     Err(other) => { /* timeout, noproc, ... */ }
/// }
/// ```
pub fn call<G: GenServer>(
    server: impl Into<ServerRef>,
    request: &G::Call,
    timeout_ms: Option<u64>,
) -> Result<G::Reply, GenCallError> {
    // One buffer: the request's bytes, then the reply's.
    let mut answer = term::to_vec(request).map_err(GenCallError::Encode)?;
    match server.into() {
        ServerRef::Pid(pid) => crate::call::call_in(pid, &mut answer, timeout_ms),
        ServerRef::Name(name) => crate::call::call_named_in(&name, &mut answer, timeout_ms),
        via @ ServerRef::Via { .. } => match via.whereis() {
            Some(pid) => crate::call::call_in(pid, &mut answer, timeout_ms),
            None => Err(CallError::NoProc),
        },
    }
    .map_err(GenCallError::Call)?;
    term::from_slice::<G::Reply>(&answer).map_err(|error| match bad_request_reason(&answer) {
        Some(why) => GenCallError::BadRequest(why),
        None => GenCallError::Decode(error),
    })
}

/// Why a cast was not sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CastError {
    /// The cast has no term encoding.
    Encode(term::Error),
    /// The send failed (a message too large: [`Error::Limit`]).
    Send(Error),
}

impl fmt::Display for CastError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CastError::Encode(error) => write!(f, "the cast cannot be encoded as a term: {error}"),
            CastError::Send(error) => write!(f, "the cast was not sent: {error}"),
        }
    }
}

impl core::error::Error for CastError {}

/// Sends server `server` the cast `cast` (tag [`super::TAG_CAST`]) and
/// returns at once (OTP's `gen_server:cast`): as in OTP, a server that is
/// not alive, or a name nobody holds, is not an error. Casts from one
/// process to one server are handled in the order they were sent.
///
/// ```ignore
/// gen_server::cast::<Counter>("counter", &5)?;
/// ```
pub fn cast<G: GenServer>(server: impl Into<ServerRef>, cast: &G::Cast) -> Result<(), CastError> {
    let bytes = term::to_vec(cast).map_err(CastError::Encode)?;
    let sent = match server.into() {
        ServerRef::Pid(pid) => pid.send(super::TAG_CAST, &bytes).map_err(NameError::from),
        ServerRef::Name(name) => crate::send_named(&name, super::TAG_CAST, &bytes),
        ServerRef::Via { registry, key } => {
            Registry::named(&registry).dispatch(&key, super::TAG_CAST, &bytes).map(|_| ())
        }
    };
    match sent {
        Ok(()) | Err(NameError::NoSuchName) => Ok(()),
        Err(NameError::Other(error)) => Err(CastError::Send(error)),
        Err(other) => Err(CastError::Send(Error::from_code(other.code()))),
    }
}

/// The child spec that starts server `G` with `arg` under a host
/// supervisor (as `use GenServer`'s `child_spec/1`): a worker `id` of
/// module `module` (the name this guest's module is loaded under: the spec
/// runs a function of this module, by its table index), registered as
/// `name` if given, permanent, stopped with `shutdown` and 5 s, and the
/// supervisor waits for `init` (up to [`CHILD_ACK_TIMEOUT_MS`]) before it
/// starts the next child. Change any of it with the [`ChildSpec`] methods.
///
/// ```ignore
/// let spec = gen_server::child_spec::<Counter>("counter", "app", &0, Some(Name::local("counter")))?
///     .restart(warren::Restart::Transient);
/// let record = spec.to_bytes(); // a child record for supervisor_start / SUP_START_CHILD
/// ```
pub fn child_spec<G: GenServer>(
    id: &str,
    module: &str,
    arg: &G::Arg,
    name: Option<Name>,
) -> Result<ChildSpec, SpawnFnError> {
    let bytes = server_arg::<G>(None, name.as_ref(), arg)?;
    Ok(ChildSpec::worker(id, module, SPAWN_FN_EXPORT, &bytes).ack_timeout(Some(CHILD_ACK_TIMEOUT_MS)))
}
