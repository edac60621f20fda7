//! GenServer (feature `serde`): a server process in the style of Erlang's
//! `gen_server` and Elixir's `GenServer`, handler-style.
//!
//! Implement [`GenServer`] for the server's state; start it with
//! [`start_link`], [`start`] or [`start_monitor`] (they return once `init`
//! has run), then [`call`] it (a request and its reply, with a timeout) and
//! [`cast`] to it (fire and forget). Calls, replies and casts carry Rust
//! values as Erlang terms (serde), so a server is also reachable from other
//! languages and from Erlang.
//!
//! ```ignore
//! use serde::{Deserialize, Serialize};
//! use warren::gen_server::{self, CallReply, GenServer, Init, Next, StartOptions};
//!
//! #[derive(Debug)]
//! struct Counter { count: i64 }
//!
//! #[derive(Serialize, Deserialize)]
//! enum Request { Get, Add(i64) }
//!
//! impl GenServer for Counter {
//!     type Arg = i64;
//!     type Call = Request;
//!     type Reply = i64;
//!     type Cast = i64;
//!     type Continue = ();
//!
//!     fn init(start: i64) -> Init<Self> {
//!         Init::ok(Counter { count: start })
//!     }
//!
//!     fn handle_call(&mut self, request: Request, _from: warren::ReplyTo) -> CallReply<i64, ()> {
//!         match request {
//!             Request::Get => CallReply::reply(self.count),
//!             Request::Add(n) => { self.count += n; CallReply::reply(self.count) }
//!         }
//!     }
//!
//!     fn handle_cast(&mut self, n: i64) -> Next<()> {
//!         self.count += n;
//!         Next::Idle
//!     }
//! }
//!
//! let counter = gen_server::start_link::<Counter>(&10, &StartOptions::new().name("counter"))?;
//! gen_server::cast::<Counter>(counter, &5)?;
//! assert_eq!(gen_server::call::<Counter>("counter", &Request::Get, Some(5_000))?, 15);
//! ```
//!
//! # How it runs
//!
//! The server is a handler-style process (docs/ABI.md, "Two styles of
//! process"): its entry runs `init` and returns, and the host then calls
//! the SDK's export `__warren_gen_server` once per message, which calls the
//! right callback with the state. Between messages no call is in flight, so
//! an idle server holds no stack, and [`Next::Hibernate`] hibernates it for
//! real (the host drops its instance until the next message). The state
//! lives in the instance's memory (each process has its own).
//!
//! # Messages
//!
//! | message | callback |
//! | --- | --- |
//! | a call (`TAG_CALL`) whose request decodes as `Self::Call` | [`GenServer::handle_call`] |
//! | a call that does not decode | none: the caller gets [`GenCallError::BadRequest`] |
//! | a cast: tag [`TAG_CAST`], a term that decodes as `Self::Cast` | [`GenServer::handle_cast`] |
//! | the idle timeout of [`Next::Timeout`] | [`GenServer::handle_info`] with [`Info::Timeout`] |
//! | an exit signal (trapping exits) from the parent | [`GenServer::terminate`], then the process exits with that reason |
//! | another exit signal, a DOWN | [`GenServer::handle_info`] with [`Info::Exit`], [`Info::Down`] |
//! | a system request (`TAG_SYSTEM`: `get_state`, `get_status`) | none: answered by the SDK (see [`crate::system`]) |
//! | anything else (timers, plain sends, casts that do not decode) | [`GenServer::handle_info`] with [`Info::Message`] |
//!
//! **Casts** are ordinary messages with tag [`TAG_CAST`]
//! (`0x5741_5252_454E_0001`, "WARREN" then 1) and the cast as a term, so
//! any language can cast: send that tag and a term. Tag
//! [`TAG_TIMEOUT`] (…`0002`) is the server's own idle timeout; keep both
//! tags out of a server's other messages.
//!
//! **The parent** is the process that started the server with
//! [`start_link`] and friends, or the host supervisor that started it from
//! [`child_spec`] ([`crate::parent`]); an exit signal from it is the order
//! to stop. A server the host spawned itself has no parent process: there
//! any trapped exit signal with reason `shutdown` is that order. As in
//! OTP, `terminate` runs on such a signal only if the server traps exits
//! ([`crate::trap_exit`] in `init`); otherwise the signal ends it at once.
//!
//! **Starting.** The starter spawns the server (on the SDK's function
//! trampoline, [`crate::spawn_fn`]) and makes a host call to it, which
//! the server answers once `init` has returned: so a start waits for
//! `init`, gets its outcome, and sees the server's death during `init` (or
//! its timeout) as any call does. Under a host supervisor, the server
//! calls [`crate::init_ack`] after `init` ([`child_spec`] asks the
//! supervisor to wait for it).

mod client;
pub(crate) mod server;

pub(crate) use client::start_entry;

pub use client::{
    CHILD_ACK_TIMEOUT_MS, CastError, GenCallError, Name, ServerRef, StartError, StartOptions, call, cast, child_spec,
    start, start_link, start_monitor,
};

use crate::links::{Down, Exit, ExitReason};
use crate::{Message, Reason, ReplyTo};
use core::fmt;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Tag of a cast: the cast's term is the payload.
///
/// ```ignore
/// // What `gen_server::cast::<Counter>(pid, &5)` sends:
/// pid.send_term(warren::gen_server::TAG_CAST, &5)?;
/// ```
pub const TAG_CAST: i64 = 0x5741_5252_454E_0001;

/// Tag of a server's idle timeout (see [`Next::Timeout`]), which the server
/// sends itself; a message with this tag from another process is an
/// ordinary message.
///
/// ```ignore
/// assert_ne!(warren::gen_server::TAG_TIMEOUT, warren::gen_server::TAG_CAST);
/// ```
pub const TAG_TIMEOUT: i64 = 0x5741_5252_454E_0002;

/// A server: its state is `Self`, its callbacks are the methods.
///
/// Only [`GenServer::init`] and [`GenServer::handle_call`] must be written;
/// the other callbacks default to doing nothing. `Debug` renders the state
/// for [`crate::system::get_state`] (Erlang's `sys:get_state`).
///
/// ```ignore
/// #[derive(Debug)]
/// struct Echo;
///
/// impl warren::gen_server::GenServer for Echo {
///     type Arg = ();
///     type Call = String;
///     type Reply = String;
///     type Cast = ();
///     type Continue = ();
///
///     fn init(_: ()) -> warren::gen_server::Init<Self> {
///         warren::gen_server::Init::ok(Echo)
///     }
///
///     fn handle_call(&mut self, text: String, _: warren::ReplyTo) -> warren::gen_server::CallReply<String, ()> {
///         warren::gen_server::CallReply::reply(text)
///     }
/// }
/// ```
pub trait GenServer: Sized + fmt::Debug + 'static {
    /// What [`GenServer::init`] gets (sent to the new process as a term).
    type Arg: Serialize + DeserializeOwned;
    /// A call's request.
    type Call: Serialize + DeserializeOwned;
    /// A call's reply.
    type Reply: Serialize + DeserializeOwned;
    /// A cast.
    type Cast: Serialize + DeserializeOwned;
    /// What [`Next::Continue`] carries to [`GenServer::handle_continue`]
    /// (stays in the process: no serde). `()` if unused.
    type Continue;

    /// The behaviour's name in a `get_status` answer (see
    /// [`crate::system`]): `gen_server` unless a behaviour built on this
    /// one says otherwise (an [`Agent`](crate::agent), a
    /// [`StateMachine`](crate::state_machine)).
    ///
    /// ```ignore
    /// assert_eq!(<Counter as GenServer>::BEHAVIOUR, "gen_server");
    /// ```
    const BEHAVIOUR: &'static str = "gen_server";

    /// Makes the state from the start argument, in the new process, before
    /// the start returns: [`Init::Ok`] starts the server, [`Init::Ignore`]
    /// and [`Init::Stop`] make the start fail (the process then exits).
    ///
    /// ```ignore
    /// fn init(limit: u32) -> Init<Self> {
    ///     if limit == 0 { return Init::Stop(Reason::Custom(b"zero limit".to_vec())); }
    ///     warren::trap_exit(true); // terminate runs on the parent's shutdown
    ///     Init::ok(Pool { limit, busy: 0 })
    /// }
    /// ```
    fn init(arg: Self::Arg) -> Init<Self>;

    /// A call: reply now ([`CallReply::Reply`]), later
    /// ([`CallReply::NoReply`], then `from.reply_term(&reply)` from this
    /// or any process), or stop ([`Next::Stop`], with or without a reply).
    ///
    /// ```ignore
    /// fn handle_call(&mut self, request: Request, from: ReplyTo) -> CallReply<i64, ()> {
    ///     match request {
    ///         Request::Get => CallReply::reply(self.count),
    ///         Request::Later => { self.waiting.push(from); CallReply::noreply() }
    ///         Request::Stop => CallReply::Reply(self.count, Next::Stop(Reason::Normal)),
    ///     }
    /// }
    /// ```
    fn handle_call(&mut self, request: Self::Call, from: ReplyTo) -> CallReply<Self::Reply, Self::Continue>;

    /// A cast. By default: ignored.
    ///
    /// ```ignore
    /// fn handle_cast(&mut self, n: i64) -> Next<()> {
    ///     self.count += n;
    ///     Next::Idle
    /// }
    /// ```
    fn handle_cast(&mut self, cast: Self::Cast) -> Next<Self::Continue> {
        let _ = cast;
        Next::Idle
    }

    /// Any other message (see the module's table). By default: ignored.
    ///
    /// ```ignore
    /// fn handle_info(&mut self, info: Info) -> Next<()> {
    ///     match info {
    ///         Info::Timeout => Next::Stop(Reason::Normal), // idle too long
    ///         Info::Down(down) => { self.clients.remove(&down.pid); Next::Idle }
    ///         _ => Next::Idle,
    ///     }
    /// }
    /// ```
    fn handle_info(&mut self, info: Info) -> Next<Self::Continue> {
        let _ = info;
        Next::Idle
    }

    /// Work a callback deferred with [`Next::Continue`], run before the
    /// next message (OTP's `handle_continue`). By default: nothing.
    ///
    /// ```ignore
    /// fn handle_continue(&mut self, _: ()) -> Next<()> {
    ///     self.cache = load_everything();
    ///     Next::Idle
    /// }
    /// ```
    fn handle_continue(&mut self, cont: Self::Continue) -> Next<Self::Continue> {
        let _ = cont;
        Next::Idle
    }

    /// The server stops: after [`Next::Stop`], or an exit signal from its
    /// parent while it traps exits. The process then exits with `reason`.
    /// Not called when the server is killed, or ends by an exit signal it
    /// does not trap, or panics. By default: nothing.
    ///
    /// ```ignore
    /// fn terminate(&mut self, reason: &ExitReason) {
    ///     let _ = self.log.send_term(0, &format!("stopping: {reason:?}"));
    /// }
    /// ```
    fn terminate(&mut self, reason: &ExitReason) {
        let _ = reason;
    }
}

/// What [`GenServer::init`] returns.
///
/// ```ignore
/// fn init(arg: Config) -> Init<Self> {
///     match arg.mode {
///         Mode::Off => Init::Ignore,
///         Mode::Broken => Init::Stop(Reason::Custom(b"bad config".to_vec())),
///         Mode::On => Init::Ok(Server::new(arg), Next::Continue(Warmup)),
///     }
/// }
/// ```
pub enum Init<S: GenServer> {
    /// Started, with this state; then as [`Next`] says ([`Next::Idle`],
    /// an idle timeout, hibernate, continue). [`Next::Stop`] here is
    /// [`Init::Stop`].
    Ok(S, Next<S::Continue>),
    /// Not started, not an error (OTP's `ignore`): the start returns
    /// [`StartError::Ignored`] and the process exits `normal`.
    Ignore,
    /// Not started: the start returns [`StartError::Failed`] with this
    /// reason, which is also the process's exit reason (`terminate` is not
    /// called).
    Stop(Reason),
}

impl<S: GenServer> Init<S> {
    /// `Init::Ok(state, Next::Idle)`.
    ///
    /// ```ignore
    /// fn init(start: i64) -> Init<Self> { Init::ok(Counter { count: start }) }
    /// ```
    pub fn ok(state: S) -> Init<S> {
        Init::Ok(state, Next::Idle)
    }
}

/// What the server does after a callback (OTP's `{noreply, State, ...}`).
///
/// ```ignore
/// fn handle_cast(&mut self, job: Job) -> Next<()> {
///     self.queue.push(job);
///     if self.queue.len() > 100 { Next::Continue(()) } else { Next::Timeout(1_000) }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next<C> {
    /// Wait for the next message.
    Idle,
    /// Wait for the next message at most this many milliseconds; if none
    /// comes, [`GenServer::handle_info`] gets [`Info::Timeout`]. Any
    /// message (but a system request) cancels it.
    Timeout(u64),
    /// Hibernate until the next message (docs/ABI.md, "Hibernation"): the
    /// host drops the instance and keeps a compact copy of its memory. For
    /// servers that wait long; waking costs about a spawn. A module that
    /// cannot hibernate simply stays idle.
    Hibernate,
    /// Call [`GenServer::handle_continue`] with this before any message.
    Continue(C),
    /// Stop: [`GenServer::terminate`] runs, then the process exits with
    /// this reason.
    Stop(Reason),
}

/// What [`GenServer::handle_call`] returns.
///
/// ```ignore
/// CallReply::reply(42)                          // {reply, 42, State}
/// CallReply::Reply(42, Next::Hibernate)         // {reply, 42, State, hibernate}
/// CallReply::noreply()                          // {noreply, State}: reply later
/// CallReply::Reply(0, Next::Stop(Reason::Normal)) // {stop, normal, 0, State}
/// CallReply::NoReply(Next::Stop(Reason::Normal))  // {stop, normal, State}
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallReply<R, C> {
    /// Reply now with this, then as [`Next`] says. With [`Next::Stop`],
    /// `terminate` runs first, then the reply goes, then the process exits.
    Reply(R, Next<C>),
    /// No reply now (one may come later, through the [`ReplyTo`] the
    /// callback got); then as [`Next`] says. With [`Next::Stop`], the
    /// caller gets the exit reason (unless a reply was sent).
    NoReply(Next<C>),
}

impl<R, C> CallReply<R, C> {
    /// `CallReply::Reply(reply, Next::Idle)`.
    ///
    /// ```ignore
    /// CallReply::<i64, ()>::reply(7)
    /// ```
    pub fn reply(reply: R) -> CallReply<R, C> {
        CallReply::Reply(reply, Next::Idle)
    }

    /// `CallReply::NoReply(Next::Idle)`: reply later through the
    /// [`ReplyTo`].
    ///
    /// ```ignore
    /// self.waiting.push(from);
    /// CallReply::<i64, ()>::noreply()
    /// ```
    pub fn noreply() -> CallReply<R, C> {
        CallReply::NoReply(Next::Idle)
    }
}

/// A message for [`GenServer::handle_info`].
///
/// ```ignore
/// match info {
///     Info::Timeout => { /* no message within Next::Timeout */ }
///     Info::Exit(exit) => { /* a linked process exited (trapping exits) */ }
///     Info::Down(down) => { /* a monitored process exited */ }
///     Info::Message(msg) => { /* anything else: msg.tag, msg.decode::<T>() */ }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Info {
    /// No message came within the idle timeout of [`Next::Timeout`].
    Timeout,
    /// An exit signal, as a message (the server traps exits), from a
    /// process other than its parent.
    Exit(Exit),
    /// A monitor's DOWN.
    Down(Down),
    /// Any other message: a timer's, a plain send, a cast that does not
    /// decode as `Self::Cast`.
    Message(Message),
}

/// The exit reason for `reason` as a process can give it to `exit`:
/// `normal`, `shutdown` and custom reasons as they are; the reasons only
/// the host makes (`killed`, `noproc`, a trap's or a limit's text) as a
/// custom reason with their text.
pub(crate) fn exit_reason(reason: &ExitReason) -> Reason {
    match reason {
        ExitReason::Normal => Reason::Normal,
        ExitReason::Shutdown(detail) => Reason::Shutdown(detail.clone()),
        ExitReason::Custom(detail) | ExitReason::Unknown(_, detail) => Reason::Custom(detail.clone()),
        ExitReason::Kill => Reason::Custom(b"kill".to_vec()),
        ExitReason::Killed => Reason::Custom(b"killed".to_vec()),
        ExitReason::Noproc => Reason::Custom(b"noproc".to_vec()),
        ExitReason::Trap(text) | ExitReason::Limit(text) => Reason::Custom(text.clone().into_bytes()),
    }
}

/// Makes the calling process a server of `G`, as OTP's
/// `gen_server:enter_loop/3` does: registers `name` (if any), runs
/// `init(arg)`, acknowledges its start to the supervisor that spawned it
/// (`init_ack`) and becomes handler-style; each later message then reaches
/// the callbacks. Call it from a process's entry and return: the entry's
/// return leaves the process serving. This is how a Rust GenServer is a
/// child that a manifest or another language's supervisor starts by a
/// plain export:
///
/// ```ignore
/// #[unsafe(no_mangle)]
/// pub extern "C" fn counter() {
///     gen_server::enter_loop::<Counter>(0, Some(Name::local("counter")));
/// }
/// ```
///
/// A failed registration or init ends the process with the reason (its
/// supervisor's start of it fails); `Init::Ignore` ends it normally.
pub fn enter_loop<G: GenServer>(arg: G::Arg, name: Option<Name>) {
    server::run::<G>((None, name.as_ref().map_or((None, None), Name::to_wire), arg));
}

/// The entry of a server a dynamic supervisor starts: its template's
/// argument is the function trampoline's header for this function, and
/// each child's own bytes (appended by the supervisor) are the term of
/// `init`'s argument (see [`crate::supervisor::DynamicTemplate::gen_server`]).
pub(crate) fn run_supervised<G: GenServer>(arg: G::Arg) {
    server::run::<G>((None, (None, None), arg));
}

/// The [`ExitReason`] a process exiting with `reason` has.
pub(crate) fn from_reason(reason: &Reason) -> ExitReason {
    match reason {
        Reason::Normal => ExitReason::Normal,
        Reason::Shutdown(detail) => ExitReason::Shutdown(detail.clone()),
        Reason::Custom(detail) => ExitReason::Custom(detail.clone()),
    }
}
