//! Guest SDK for Warren: write Erlang/OTP-style processes in Rust, compiled to
//! WebAssembly.
//!
//! Every Warren process is one instance of a wasm module. The host functions
//! of `docs/ABI.md` (import module `warren_v1`) are declared in [`sys`]; the
//! crate root wraps them in a small safe API: [`Pid`], [`spawn`], [`receive`]
//! and friends, [`exit`], [`set_handler`].
//!
//! The crate is `#![no_std]` and needs `alloc`. The simplest guest is an
//! ordinary `std` crate with `crate-type = ["cdylib"]` built for
//! `wasm32-unknown-unknown`. The SDK is the guest's global allocator (feature
//! `compact-heap`, on by default: a heap that starts right after the
//! module's data and keeps an idle process's memory to a few pages; see
//! Features below); it defines no panic handler.
//!
//! # Blocking style
//!
//! An entry is an exported `extern "C" fn()` (wasm type `() -> ()`). It runs
//! for the whole life of the process and calls [`receive`] when it wants a
//! message:
//!
//! ```ignore
//! #[unsafe(no_mangle)]
//! pub extern "C" fn main() {
//!     loop {
//!         let msg = warren::receive();
//!         if msg.tag == 99 {
//!             return; // the process ends normally
//!         }
//!         let _ = msg.reply(msg.tag, &msg.data); // echo
//!     }
//! }
//! ```
//!
//! # Handler style
//!
//! The entry calls [`set_handler`] and returns; from then on the host calls
//! the named export (wasm type `() -> i32`) once per message, with that
//! message current. The [`handler!`] macro writes the export for you:
//!
//! ```ignore
//! use warren::{Control, Message};
//!
//! #[unsafe(no_mangle)]
//! pub extern "C" fn main() {
//!     warren::set_handler("handle").unwrap();
//! }
//!
//! fn on_message(msg: Message) -> Control {
//!     let _ = msg.reply(msg.tag, &msg.data);
//!     if msg.tag == 99 { Control::Stop } else { Control::Continue }
//! }
//!
//! // Exports `handle: () -> i32`, calling `on_message` with the current message.
//! warren::handler!(handle, on_message);
//! ```
//!
//! Written by hand, the same export is:
//!
//! ```ignore
//! #[unsafe(no_mangle)]
//! pub extern "C" fn handle() -> i32 {
//!     let msg = warren::current_message().unwrap();
//!     let _ = msg.reply(msg.tag, &msg.data);
//!     (msg.tag == 99) as i32 // 0: keep running, anything else: stop
//! }
//! ```
//!
//! Each process has its own instance, so `static` state in a handler-style
//! guest is per process.
//!
//! # OTP on top (feature `serde`, on by default)
//!
//! - [`spawn_fn`], [`spawn_fn_link`], [`spawn_fn_monitor`],
//!   [`spawn_fn_opts`]: a Rust function with a serde argument as a process,
//!   without an export per function (one trampoline export,
//!   [`SPAWN_FN_EXPORT`], runs them all); [`macro@main`]
//!   (`#[warren::main]`) makes an entry of a function.
//! - [`gen_server`]: Erlang's `gen_server` as a trait, handler-style (an
//!   idle server holds no stack and can hibernate), with calls, casts,
//!   infos, continue, idle timeouts, terminate, named starts and child
//!   specs for the host's supervisors ([`ChildSpec`]).
//! - [`stage`]: GenStage's producers, consumers and producer-consumers,
//!   with demand-driven backpressure (demand, broadcast and partition
//!   dispatchers; bounded producer buffers; cancel modes).
//! - [`system`]: system requests (`get_state`, `get_status`), answered by
//!   every SDK behaviour without its user's callbacks.
//! - [`send_interval`]: a message every N milliseconds until cancelled.
//! - [`supervisor`]: Supervisor and DynamicSupervisor over the host's
//!   supervisors, with typed child specs and operations; [`task`]:
//!   `Task` (async/await, await_many, yield, shutdown, async_stream) and
//!   `Task.Supervisor`; [`agent`]: `Agent`; [`state_machine`]:
//!   `gen_statem`.
//! - [`term`]: Erlang's term format, the structured message format.
//!
//! ```ignore
//! fn worker(job: (String, u32)) -> Result<(), String> {
//!     // ... runs in its own process
//!     Ok(())
//! }
//!
//! #[warren::main]
//! fn main() {
//!     let pid = warren::spawn_fn_link(worker, &("resize".to_string(), 3)).unwrap();
//! }
//! ```
//!
//! # Features
//!
//! - `serde` (default): terms, typed tables, everything of the section
//!   above.
//! - `std`: for guests with std (the usual `cdylib`): a panic then ends the
//!   process with the panic's message as its exit reason
//!   ([`install_panic_hook`], installed by `#[warren::main]`, [`spawn_fn`]
//!   processes and GenServers). The SDK stays `no_std` without it.
//! - `compact-heap` (default): the guest's `#[global_allocator]` on
//!   `wasm32-unknown-unknown` (wasm without libc or threads; on WASI,
//!   wasi-libc's `malloc` stays): [talc](https://docs.rs/talc) over a heap
//!   that begins at `__heap_base`, right after the module's data, and grows
//!   a host page at a time (Rust's default, dlmalloc, starts its heap at the
//!   end of the initial memory and writes a record at the top of every
//!   stretch it grows: two or three more resident pages per idle process).
//!   Turn it off (`default-features = false, features = ["serde"]`) to
//!   declare another allocator.

#![no_std]

extern crate alloc;

#[cfg(feature = "compact-heap")]
mod heap;
pub mod output;
pub mod sys;
pub mod table;

#[cfg(feature = "serde")]
pub mod agent;
#[cfg(feature = "serde")]
pub mod gen_server;
#[cfg(feature = "serde")]
pub mod stage;
#[cfg(feature = "serde")]
pub mod state_machine;
#[cfg(feature = "serde")]
pub mod supervisor;
#[cfg(feature = "serde")]
pub mod system;
#[cfg(feature = "serde")]
pub mod task;

#[cfg(feature = "serde")]
mod behaviour_slot;
mod call;
mod child_spec;
#[cfg(feature = "serde")]
mod interval;
mod links;
mod names;
mod options;
mod panic;
#[cfg(feature = "serde")]
mod spawn_fn;
#[cfg(feature = "serde")]
mod terms;
mod timer;
#[cfg(feature = "serde")]
mod wait;

/// Erlang's External Term Format: the `warren-term` crate (feature
/// `serde`). Messages sent with [`Pid::send_term`] and read with
/// [`Message::decode`] are terms; see docs/ABI.md ("Terms").
#[cfg(feature = "serde")]
pub use warren_term as term;

pub use call::{CallError, ReplyTo, Request, call, call_named};
pub use child_spec::{ChildSpec, Restart, Shutdown};
#[cfg(feature = "serde")]
pub use interval::{Interval, send_interval};
pub use panic::install_panic_hook;
#[cfg(feature = "serde")]
pub use spawn_fn::{
    ExitValue, SPAWN_FN_EXPORT, SpawnFnError, spawn_fn, spawn_fn_arg, spawn_fn_link, spawn_fn_monitor, spawn_fn_opts,
};
/// Makes a function a process entry (an export of its name) that decodes
/// its spawn argument as a term, installs the panic hook and ends the
/// process as the function's result says. See [`warren_macros::main`].
///
/// ```ignore
/// #[warren::main]
/// fn main(name: String) {
///     // spawned with a term argument: `warren::spawn("main", &warren::term::to_vec(&"x")?)`
/// }
/// ```
pub use warren_macros::main;

/// What `#[warren::main]`'s expansion calls. Not public API.
#[doc(hidden)]
#[cfg(feature = "serde")]
pub mod __private {
    pub use crate::spawn_fn::{run_main, run_main_with};
}
pub use links::{
    Down, Exit, ExitReason, MonitorRef, Signal, SystemMessage, demonitor, exit_signal, monitor, spawn_link,
    spawn_monitor, spawn_opt, trap_exit,
};
pub use names::{NameError, Registry, register, registered, send_named, unregister, whereis};
pub use options::{SpawnOptions, spawn_opts};
#[cfg(feature = "serde")]
pub use terms::{SendNamedTermError, SendTermError, send_named_term};
pub use timer::{TimerRef, cancel_timer, read_timer, send_after, send_after_named, sleep};

use alloc::vec::Vec;
use core::fmt;

/// An error returned by a host function (the negative codes of the ABI).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Error {
    /// `ERR_BADARG` (-1): an argument is malformed (bad UTF-8, a negative
    /// tag, an unknown reason kind, a negative length).
    BadArg,
    /// `ERR_NO_SUCH_EXPORT` (-2): the export does not exist or has the wrong
    /// type.
    NoSuchExport,
    /// `ERR_NO_SUCH_MODULE` (-3): no module of that name is loaded.
    NoSuchModule,
    /// `ERR_NOT_PERMITTED` (-4): the process's capabilities do not allow it.
    NotPermitted,
    /// `ERR_LIMIT` (-5): a node or process limit was reached.
    Limit,
    /// `ERR_TIMEOUT` (-6): `receive` timed out or found nothing.
    Timeout,
    /// `ERR_NO_MESSAGE` (-7): there is no current message.
    NoMessage,
    /// `ERR_CANNOT_HIBERNATE` (-25): the module's processes cannot hibernate.
    CannotHibernate,
    /// A code this version of the SDK does not know.
    Unknown(i64),
}

impl Error {
    /// The error for a (negative) code returned by a host function.
    pub const fn from_code(code: i64) -> Error {
        match code {
            -1 => Error::BadArg,
            -2 => Error::NoSuchExport,
            -3 => Error::NoSuchModule,
            -4 => Error::NotPermitted,
            -5 => Error::Limit,
            -6 => Error::Timeout,
            -7 => Error::NoMessage,
            -25 => Error::CannotHibernate,
            other => Error::Unknown(other),
        }
    }

    /// The ABI code of this error.
    pub const fn code(self) -> i64 {
        match self {
            Error::BadArg => sys::ERR_BADARG as i64,
            Error::NoSuchExport => sys::ERR_NO_SUCH_EXPORT as i64,
            Error::NoSuchModule => sys::ERR_NO_SUCH_MODULE as i64,
            Error::NotPermitted => sys::ERR_NOT_PERMITTED as i64,
            Error::Limit => sys::ERR_LIMIT as i64,
            Error::Timeout => sys::ERR_TIMEOUT as i64,
            Error::NoMessage => sys::ERR_NO_MESSAGE as i64,
            Error::CannotHibernate => sys::ERR_CANNOT_HIBERNATE as i64,
            Error::Unknown(code) => code,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadArg => f.write_str("bad argument (ERR_BADARG)"),
            Error::NoSuchExport => f.write_str("no such export (ERR_NO_SUCH_EXPORT)"),
            Error::NoSuchModule => f.write_str("no such module (ERR_NO_SUCH_MODULE)"),
            Error::NotPermitted => f.write_str("not permitted (ERR_NOT_PERMITTED)"),
            Error::Limit => f.write_str("limit reached (ERR_LIMIT)"),
            Error::Timeout => f.write_str("timed out (ERR_TIMEOUT)"),
            Error::NoMessage => f.write_str("no current message (ERR_NO_MESSAGE)"),
            Error::CannotHibernate => f.write_str("the module cannot hibernate (ERR_CANNOT_HIBERNATE)"),
            Error::Unknown(code) => write!(f, "unknown error code {code}"),
        }
    }
}

impl core::error::Error for Error {}

/// Turns an `i32` status (`OK` or a negative code) into a `Result`.
fn status(code: i32) -> Result<(), Error> {
    if code >= 0 { Ok(()) } else { Err(Error::from_code(code.into())) }
}

/// The `(ptr, len)` of a byte slice, with the length as the ABI's `i32`.
fn raw_bytes(bytes: &[u8]) -> Result<(*const u8, i32), Error> {
    let len = i32::try_from(bytes.len()).map_err(|_| Error::Limit)?;
    Ok((bytes.as_ptr(), len))
}

/// A process identifier: non-zero, never reused on a node.
///
/// `Debug` and `Display` print `<0.INDEX.SERIAL>`, where INDEX is the low 28
/// bits of the raw pid and SERIAL the bits above.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pid(u64);

impl Pid {
    /// The pid with this raw value (as returned by `self`, `spawn`,
    /// `msg_sender`).
    pub const fn from_raw(raw: u64) -> Pid {
        Pid(raw)
    }

    /// The raw value of this pid (what `send` takes).
    pub const fn raw(self) -> u64 {
        self.0
    }

    /// The 8 little-endian bytes of the raw pid (the usual way to pass a pid
    /// in a spawn argument or a message).
    pub const fn to_le_bytes(self) -> [u8; 8] {
        self.0.to_le_bytes()
    }

    /// The pid whose raw value is these 8 little-endian bytes.
    pub const fn from_le_bytes(bytes: [u8; 8]) -> Pid {
        Pid(u64::from_le_bytes(bytes))
    }

    /// The pid in the first 8 bytes of `bytes` (little-endian), or `None` if
    /// there are fewer than 8.
    pub fn from_le_slice(bytes: &[u8]) -> Option<Pid> {
        let first: [u8; 8] = bytes.get(..8)?.try_into().ok()?;
        Some(Pid::from_le_bytes(first))
    }

    /// Sends a message with `tag` (must be `>= 0`) and a copy of `data` to
    /// this process. Succeeds also when the process is dead (the message is
    /// dropped, as in Erlang). Errors: [`Error::BadArg`] for a negative tag,
    /// [`Error::Limit`] for a message too large.
    pub fn send(&self, tag: i64, data: &[u8]) -> Result<(), Error> {
        let (ptr, len) = raw_bytes(data)?;
        // SAFETY: `ptr`/`len` are those of `data`, a live slice; the host only
        // reads those bytes, and checks the range.
        status(unsafe { sys::send(self.0 as i64, tag, ptr, len) })
    }
}

impl fmt::Debug for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<0.{}.{}>", self.0 & 0xFFF_FFFF, self.0 >> 28)
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The calling process's pid.
pub fn self_pid() -> Pid {
    // SAFETY: `self` takes no arguments and touches no guest memory.
    Pid(unsafe { sys::self_pid() } as u64)
}

/// The pid of the process that spawned this one (its supervisor, for a
/// supervisor's child), as `proc_lib`'s parent; `None` if the host spawned
/// it. The parent may have exited since.
///
/// ```ignore
/// if let Some(parent) = warren::parent() {
///     let _ = parent.send(1, b"started");
/// }
/// ```
pub fn parent() -> Option<Pid> {
    // SAFETY: `parent` takes no arguments and touches no guest memory.
    let raw = unsafe { sys::parent() };
    (raw > 0).then_some(Pid(raw as u64))
}

/// Pid (`> 0`) or error from a spawn call.
fn spawned(code: i64) -> Result<Pid, Error> {
    if code > 0 { Ok(Pid(code as u64)) } else { Err(Error::from_code(code)) }
}

/// Starts a new process running export `entry` (wasm type `() -> ()`) of this
/// guest's own module, in a fresh instance, with a copy of `arg` as its
/// argument (read it there with [`arg`]).
///
/// Errors: [`Error::NoSuchExport`], [`Error::NotPermitted`], [`Error::Limit`],
/// [`Error::BadArg`].
pub fn spawn(entry: &str, arg: &[u8]) -> Result<Pid, Error> {
    let (entry_ptr, entry_len) = raw_bytes(entry.as_bytes())?;
    let (arg_ptr, arg_len) = raw_bytes(arg)?;
    // SAFETY: both pairs are those of live slices (`entry`, `arg`); the host
    // only reads them, and checks the ranges.
    spawned(unsafe { sys::spawn(entry_ptr, entry_len, arg_ptr, arg_len) })
}

/// As [`spawn`], for export `entry` of the module loaded on the node under
/// the name `module`. Also fails with [`Error::NoSuchModule`].
pub fn spawn_module(module: &str, entry: &str, arg: &[u8]) -> Result<Pid, Error> {
    let (module_ptr, module_len) = raw_bytes(module.as_bytes())?;
    let (entry_ptr, entry_len) = raw_bytes(entry.as_bytes())?;
    let (arg_ptr, arg_len) = raw_bytes(arg)?;
    // SAFETY: the three pairs are those of live slices (`module`, `entry`,
    // `arg`); the host only reads them, and checks the ranges.
    spawned(unsafe { sys::spawn_module(module_ptr, module_len, entry_ptr, entry_len, arg_ptr, arg_len) })
}

/// A copy of the argument this process was spawned with (empty for none).
pub fn arg() -> Vec<u8> {
    // SAFETY: `arg_size` takes no arguments and touches no guest memory.
    let size = usize::try_from(unsafe { sys::arg_size() }).unwrap_or(0);
    let mut buf = Vec::with_capacity(size);
    // SAFETY: `buf` owns at least `size` bytes of spare capacity at
    // `as_mut_ptr()` (`size` came from an `i32`, so the cast is exact); the
    // host writes at most `size` bytes there.
    let copied = unsafe { sys::arg_read(buf.as_mut_ptr(), size as i32) };
    let copied = usize::try_from(copied).unwrap_or(0).min(size);
    // SAFETY: `copied <= size <= capacity`, and `arg_read` initialised the
    // first `copied` bytes (it returns how many it wrote).
    unsafe { buf.set_len(copied) };
    buf
}

/// A message: who sent it, its tag and a copy of its bytes.
///
/// Tags `>= 0` are chosen by guests; negative tags are messages made by the
/// host (exit signals, monitors, timers).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Message {
    /// The process that sent the message.
    pub sender: Pid,
    /// The sender's tag.
    pub tag: i64,
    /// The message's bytes.
    pub data: Vec<u8>,
}

impl Message {
    /// Sends `tag` and `data` back to the sender of this message
    /// (`self.sender.send(tag, data)`).
    pub fn reply(&self, tag: i64, data: &[u8]) -> Result<(), Error> {
        self.sender.send(tag, data)
    }
}

/// A copy of the current message: the one the last [`receive`] returned, or
/// inside a handler the message the handler was called for. `None` if there
/// is none.
pub fn current_message() -> Option<Message> {
    let mut header = [0u8; 16];
    // The size is never negative for a message, while a host message's tag
    // may be.
    // SAFETY: `header` is 16 writable bytes, all `msg_header` writes.
    let size = usize::try_from(unsafe { sys::msg_header(header.as_mut_ptr()) }).ok()?;
    let (tag, sender) = header.split_at(8);
    let tag = i64::from_le_bytes(tag.try_into().ok()?);
    let sender = Pid(u64::from_le_bytes(sender.try_into().ok()?));
    Some(Message { sender, tag, data: read_current(size) })
}

/// The first `size` bytes of the current message (all of them, when `size`
/// is its length as a receive or a call returned it): one host call.
pub(crate) fn read_current(size: usize) -> Vec<u8> {
    let mut data = Vec::with_capacity(size);
    read_current_into(size, &mut data);
    data
}

/// [`read_current`] into `data`, replacing what it held (its allocation
/// is kept when it has room).
pub(crate) fn read_current_into(size: usize, data: &mut Vec<u8>) {
    data.clear();
    if data.capacity() < size {
        data.reserve(size);
    }
    let Ok(len) = i32::try_from(size) else { return };
    // SAFETY: `data` owns at least `size` bytes of spare capacity at
    // `as_mut_ptr()`; the host writes at most `len == size` bytes there.
    let copied = unsafe { sys::msg_read(0, data.as_mut_ptr(), len) };
    let copied = usize::try_from(copied).unwrap_or(0).min(size);
    // SAFETY: `copied <= size <= capacity`, and `msg_read` initialised the
    // first `copied` bytes (it returns how many it wrote).
    unsafe { data.set_len(copied) };
}

/// Waits for the oldest message whose tag is one of `tags` (any tag if
/// `tags` is empty); messages that do not match stay queued, in order.
/// `timeout_ms`: `None` waits forever, `Some(0)` only polls, `Some(ms)` waits
/// at most `ms` milliseconds. `None` if nothing came in time.
pub fn receive_matching(tags: &[i64], timeout_ms: Option<u64>) -> Option<Message> {
    let count = i32::try_from(tags.len()).ok()?;
    let timeout = match timeout_ms {
        None => sys::WAIT_FOREVER,
        Some(ms) => i64::try_from(ms).unwrap_or(i64::MAX),
    };
    // One host call takes the message and copies its tag, sender and (for
    // most messages, small ones) all its bytes; a larger message's rest is
    // read after.
    let mut buffer = [0u8; RECEIVE_BUFFER];
    // SAFETY: `tags` is a live slice of `count` i64s, which the host only
    // reads; `buffer` is a live local array of `RECEIVE_BUFFER` bytes, the
    // `buf_len` given, and the host writes at most that many into it.
    let size = unsafe { sys::receive_into(tags.as_ptr(), count, timeout, buffer.as_mut_ptr(), RECEIVE_BUFFER as i32) };
    let size = usize::try_from(size).ok()?;
    let (header, first) = buffer.split_at(16);
    let tag = i64::from_le_bytes(header[..8].try_into().ok()?);
    let sender = Pid(u64::from_le_bytes(header[8..].try_into().ok()?));
    let mut data = Vec::with_capacity(size);
    data.extend_from_slice(&first[..size.min(first.len())]);
    if size > first.len() {
        let rest = size - first.len();
        // SAFETY: `first.len() < size <= capacity`, so `add` stays inside
        // `data`'s allocation and leaves `rest` bytes of spare capacity after
        // the `first.len()` already pushed; `rest < size` fits in an `i32`,
        // and the host writes at most `rest` bytes there.
        let copied = unsafe { sys::msg_read(first.len() as i32, data.as_mut_ptr().add(first.len()), rest as i32) };
        let copied = usize::try_from(copied).ok()?.min(rest);
        // SAFETY: the first `first.len()` bytes were pushed and `msg_read`
        // initialised the `copied <= rest` after them, so all
        // `first.len() + copied <= size <= capacity` bytes are initialised.
        unsafe { data.set_len(first.len() + copied) };
    }
    Some(Message { sender, tag, data })
}

/// Bytes of the buffer a receive copies a message into: its 16-byte header
/// and the first 240 bytes of its payload.
const RECEIVE_BUFFER: usize = 256;

/// Waits as long as it takes for the oldest message, whatever its tag.
pub fn receive() -> Message {
    loop {
        if let Some(msg) = receive_matching(&[], None) {
            return msg;
        }
    }
}

/// Waits at most `ms` milliseconds for the oldest message, whatever its tag.
pub fn receive_timeout(ms: u64) -> Option<Message> {
    receive_matching(&[], Some(ms))
}

/// The oldest message if there is one, without waiting.
pub fn poll() -> Option<Message> {
    receive_matching(&[], Some(0))
}

/// How many messages wait in this process's mailbox (the current one not
/// included), as Erlang's `process_info(self(), message_queue_len)`. A
/// message being sent at that moment may or may not be counted.
///
/// ```ignore
/// if warren::message_queue_len() > 10_000 {
///     // shed load: answer `busy` instead of queueing more work
/// }
/// ```
pub fn message_queue_len() -> usize {
    // SAFETY: `msg_queue_len` takes no arguments and touches no guest memory.
    usize::try_from(unsafe { sys::msg_queue_len() }).unwrap_or(0)
}

/// Why a process exits (see [`exit`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Reason {
    /// `REASON_NORMAL`: a normal exit.
    Normal,
    /// `REASON_SHUTDOWN`: an orderly shutdown, with optional detail bytes.
    Shutdown(Vec<u8>),
    /// `REASON_CUSTOM`: any other reason, with detail bytes.
    Custom(Vec<u8>),
}

impl Reason {
    /// The ABI reason kind (`REASON_NORMAL`, `REASON_SHUTDOWN`,
    /// `REASON_CUSTOM`).
    pub const fn kind(&self) -> i32 {
        match self {
            Reason::Normal => sys::REASON_NORMAL,
            Reason::Shutdown(_) => sys::REASON_SHUTDOWN,
            Reason::Custom(_) => sys::REASON_CUSTOM,
        }
    }

    /// The detail bytes (empty for [`Reason::Normal`]).
    pub fn detail(&self) -> &[u8] {
        match self {
            Reason::Normal => &[],
            Reason::Shutdown(detail) | Reason::Custom(detail) => detail,
        }
    }
}

/// Ends the calling process now with `reason`. Never returns.
pub fn exit(reason: Reason) -> ! {
    let detail = reason.detail();
    // A detail longer than 2 GiB cannot exist on wasm32; cut it anyway.
    let len = i32::try_from(detail.len()).unwrap_or(i32::MAX);
    // SAFETY: `detail` is a live slice at least `len` bytes long, which the
    // host only reads (and range-checks). `exit` never returns (the host ends
    // the process, or traps it for a bad kind), as its `-> !` type requires.
    unsafe { sys::exit(reason.kind(), detail.as_ptr(), len) }
}

/// Tells the supervisor that waits for this process (a child whose spec has
/// an ack timeout) that it has finished initialising, as OTP's
/// `proc_lib:init_ack`: the supervisor starts its next child only then.
/// Once; later calls, and calls no supervisor waits for, do nothing.
pub fn init_ack() {
    // SAFETY: `init_ack` takes no arguments and touches no guest memory.
    unsafe {
        sys::init_ack();
    }
}

/// Tells this process's supervisor that it ignores its start, as an OTP
/// start function that returns `ignore`: the supervisor keeps the child's
/// spec with no process (a dynamic supervisor forgets it) and does not
/// restart it; its `start_child` answers [`supervisor::SupervisorError::Ignored`].
/// Call it instead of [`init_ack`], then end the process normally.
pub fn init_ignore() {
    // SAFETY: `init_ignore` takes no arguments and touches no guest memory.
    unsafe {
        sys::init_ignore();
    }
}

/// Gives up the rest of the current time slice.
pub fn yield_now() {
    // SAFETY: `yield_now` takes no arguments and touches no guest memory.
    unsafe { sys::yield_now() }
}

/// Makes this process handler-style: when its entry function returns, the
/// host calls export `export` (wasm type `() -> i32`) once for each message,
/// with that message current. See [`handler!`].
///
/// Errors: [`Error::NoSuchExport`] if there is no such export of that type,
/// [`Error::BadArg`].
pub fn set_handler(export: &str) -> Result<(), Error> {
    let (ptr, len) = raw_bytes(export.as_bytes())?;
    // SAFETY: `ptr`/`len` are those of `export`, a live &str; the host only
    // reads those bytes, and checks the range.
    status(unsafe { sys::set_handler(ptr, len) })?;
    ASKED_HOST.store(true, core::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// Set when the running code asked the host for something it does when the
/// current handler call returns ([`hibernate`], [`set_handler`]): an SDK
/// behaviour serving queued messages in one handler call stops there.
/// (Atomic only to need no `unsafe`: an instance runs one thread.)
static ASKED_HOST: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Whether [`hibernate`] or [`set_handler`] was called since the last
/// look; clears it.
#[cfg_attr(not(feature = "serde"), allow(dead_code))] // read by the behaviours
pub(crate) fn take_asked_host() -> bool {
    ASKED_HOST.swap(false, core::sync::atomic::Ordering::Relaxed)
}

/// Hibernates this (handler-style) process when the current call returns:
/// the host drops its instance and keeps a compact copy of its memory and
/// exported globals, rebuilt for the next message, as
/// `erlang:hibernate/3` does. For processes that wait long between
/// messages; waking costs about a spawn. Applies once: call it again from
/// the handler to hibernate again.
///
/// Errors: [`Error::CannotHibernate`] if the module breaks a rule of
/// docs/ABI.md ("Hibernation"); build with `--export=__stack_pointer`.
pub fn hibernate() -> Result<(), Error> {
    #[cfg(feature = "compact-heap")]
    heap::before_hibernate();
    // SAFETY: `hibernate` takes no arguments and touches no guest memory.
    status(unsafe { sys::hibernate() })?;
    ASKED_HOST.store(true, core::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// What a handler tells the host after a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Control {
    /// Keep the process alive and call the handler for the next message
    /// (handler returns 0).
    Continue,
    /// End the process normally (handler returns 1).
    Stop,
    /// Keep the process alive and [`hibernate`] until the next message, as
    /// gen_server's `{noreply, State, hibernate}`. A module that cannot
    /// hibernate simply stays idle.
    Hibernate,
}

/// A value a handler function given to [`handler!`] may return.
pub trait HandlerResult {
    /// The value the exported handler returns to the host: `0` keeps the
    /// process alive, anything else ends it normally.
    fn into_code(self) -> i32;
}

impl HandlerResult for Control {
    fn into_code(self) -> i32 {
        match self {
            Control::Continue => 0,
            Control::Stop => 1,
            Control::Hibernate => {
                // A refusal only means the process idles with its instance.
                let _ = hibernate();
                0
            }
        }
    }
}

/// `()` keeps the process alive.
impl HandlerResult for () {
    fn into_code(self) -> i32 {
        0
    }
}

/// Exports a handler: `handler!(name, f)` defines
/// `#[unsafe(no_mangle)] pub extern "C" fn name() -> i32` that calls `f` (a
/// function or closure taking a [`Message`] and returning [`Control`] or
/// `()`) with the current message and returns what the host expects. Make it
/// the process's handler with `warren::set_handler("name")` in the entry, or
/// spawn a process on it directly (`warren::spawn("name", arg)`): that process
/// starts handler-style and runs no code until its first message.
///
/// If the host calls the export with no current message (it should not), the
/// handler returns 0 without calling `f`.
///
/// As for any `#[no_mangle]` function, `name` must not be the name of another
/// symbol of the module (such as `malloc` or `memcpy`): the macro cannot check
/// this, and invoking it takes no `unsafe`.
///
/// ```ignore
/// warren::handler!(handle, |msg: warren::Message| {
///     let _ = msg.reply(msg.tag, &msg.data);
///     if msg.tag == 99 { warren::Control::Stop } else { warren::Control::Continue }
/// });
/// ```
#[macro_export]
macro_rules! handler {
    ($export:ident, $func:expr $(,)?) => {
        // Not checked: `$export` must name no other symbol of the module
        // (see the macro's docs).
        #[unsafe(no_mangle)]
        pub extern "C" fn $export() -> i32 {
            match $crate::current_message() {
                Some(msg) => $crate::HandlerResult::into_code(($func)(msg)),
                None => 0,
            }
        }
    };
}
