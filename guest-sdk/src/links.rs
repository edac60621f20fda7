//! Links, exit signals, trapping exits and monitors, with Erlang's rules
//! (see "Links and exit signals" and "Monitors" in `docs/ABI.md`).
//!
//! ```ignore
//! use warren::{ExitReason, SystemMessage};
//!
//! warren::trap_exit(true);
//! let worker = warren::spawn_link("worker", b"")?;
//! let msg = warren::receive_matching(&[warren::sys::TAG_EXIT], None).unwrap();
//! if let Some(SystemMessage::Exit(exit)) = msg.as_system() {
//!     assert_eq!(exit.from, worker);
//!     if exit.reason != ExitReason::Normal { /* restart it */ }
//! }
//! ```

use crate::{Error, Message, Pid, Reason, raw_bytes, status, sys};
use alloc::string::String;
use alloc::vec::Vec;

/// A monitor reference: returned by [`monitor`] and [`spawn_monitor`], and
/// carried by the monitor's [`Down`] message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MonitorRef(u64);

impl MonitorRef {
    /// The reference with this raw value.
    pub const fn from_raw(raw: u64) -> MonitorRef {
        MonitorRef(raw)
    }

    /// The raw value (what `demonitor` takes).
    pub const fn raw(self) -> u64 {
        self.0
    }

    /// Ends this monitor; see [`demonitor`].
    pub fn demonitor(self, flush: bool) -> bool {
        demonitor(self, flush)
    }
}

/// An exit signal a process sends with [`exit_signal`] (Erlang's
/// `exit(Pid, Reason)`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Signal {
    /// `normal`: ignored by a process that does not trap exits (but ends the
    /// caller itself, when sent to itself).
    Normal,
    /// `shutdown`, with optional detail bytes.
    Shutdown(Vec<u8>),
    /// Any other reason, as bytes.
    Custom(Vec<u8>),
    /// `kill`: cannot be trapped; the target exits with
    /// [`ExitReason::Killed`].
    Kill,
}

impl Signal {
    /// The ABI reason kind of this signal.
    pub const fn kind(&self) -> i32 {
        match self {
            Signal::Normal => sys::REASON_NORMAL,
            Signal::Shutdown(_) => sys::REASON_SHUTDOWN,
            Signal::Custom(_) => sys::REASON_CUSTOM,
            Signal::Kill => sys::REASON_KILL,
        }
    }

    /// The detail bytes (empty for `Normal` and `Kill`).
    pub fn detail(&self) -> &[u8] {
        match self {
            Signal::Shutdown(detail) | Signal::Custom(detail) => detail,
            Signal::Normal | Signal::Kill => &[],
        }
    }
}

impl From<Reason> for Signal {
    fn from(reason: Reason) -> Signal {
        match reason {
            Reason::Normal => Signal::Normal,
            Reason::Shutdown(detail) => Signal::Shutdown(detail),
            Reason::Custom(detail) => Signal::Custom(detail),
        }
    }
}

/// Why a process exited, or the reason an exit signal carries, as the host
/// reports it in [`Exit`] and [`Down`] messages (reason kind and detail).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExitReason {
    /// `REASON_NORMAL`.
    Normal,
    /// `REASON_SHUTDOWN`, with its detail bytes (often empty).
    Shutdown(Vec<u8>),
    /// `REASON_CUSTOM`: the bytes the process gave.
    Custom(Vec<u8>),
    /// `REASON_KILL`.
    Kill,
    /// `REASON_KILLED`: the process got `kill`, or a linked process died
    /// `killed`.
    Killed,
    /// `REASON_NOPROC`: the process did not exist (link or monitor of a
    /// dead pid).
    Noproc,
    /// `REASON_TRAP`: the process trapped; the trap text.
    Trap(String),
    /// `REASON_LIMIT`: the process hit a limit; which one.
    Limit(String),
    /// A kind this version of the SDK does not know, with its detail.
    Unknown(i32, Vec<u8>),
}

impl ExitReason {
    /// The reason of kind `kind` with `detail` (read from a host message).
    pub fn from_parts(kind: i32, detail: &[u8]) -> ExitReason {
        match kind {
            sys::REASON_NORMAL => ExitReason::Normal,
            sys::REASON_SHUTDOWN => ExitReason::Shutdown(detail.to_vec()),
            sys::REASON_CUSTOM => ExitReason::Custom(detail.to_vec()),
            sys::REASON_KILL => ExitReason::Kill,
            sys::REASON_KILLED => ExitReason::Killed,
            sys::REASON_NOPROC => ExitReason::Noproc,
            sys::REASON_TRAP => ExitReason::Trap(String::from_utf8_lossy(detail).into_owned()),
            sys::REASON_LIMIT => ExitReason::Limit(String::from_utf8_lossy(detail).into_owned()),
            other => ExitReason::Unknown(other, detail.to_vec()),
        }
    }

    /// The ABI reason kind.
    pub const fn kind(&self) -> i32 {
        match self {
            ExitReason::Normal => sys::REASON_NORMAL,
            ExitReason::Shutdown(_) => sys::REASON_SHUTDOWN,
            ExitReason::Custom(_) => sys::REASON_CUSTOM,
            ExitReason::Kill => sys::REASON_KILL,
            ExitReason::Killed => sys::REASON_KILLED,
            ExitReason::Noproc => sys::REASON_NOPROC,
            ExitReason::Trap(_) => sys::REASON_TRAP,
            ExitReason::Limit(_) => sys::REASON_LIMIT,
            ExitReason::Unknown(kind, _) => *kind,
        }
    }

    /// The detail bytes (empty for the kinds that have none).
    pub fn detail(&self) -> &[u8] {
        match self {
            ExitReason::Shutdown(detail) | ExitReason::Custom(detail) | ExitReason::Unknown(_, detail) => detail,
            ExitReason::Trap(text) | ExitReason::Limit(text) => text.as_bytes(),
            ExitReason::Normal | ExitReason::Kill | ExitReason::Killed | ExitReason::Noproc => &[],
        }
    }

    /// Whether this is `normal`.
    pub const fn is_normal(&self) -> bool {
        matches!(self, ExitReason::Normal)
    }
}

/// An exit signal received as a message by a process that traps exits
/// (tag [`sys::TAG_EXIT`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Exit {
    /// The process the signal comes from.
    pub from: Pid,
    /// Its reason.
    pub reason: ExitReason,
}

/// A monitor's DOWN message (tag [`sys::TAG_DOWN`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Down {
    /// The monitor that fired.
    pub monitor: MonitorRef,
    /// The monitored process.
    pub pid: Pid,
    /// Why it exited (`Noproc` if it was not alive when monitored).
    pub reason: ExitReason,
}

/// A message made by the host.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum SystemMessage {
    /// An exit signal, for a process that traps exits.
    Exit(Exit),
    /// A monitor's DOWN.
    Down(Down),
}

fn le_u64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

fn le_i32(bytes: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

impl Message {
    /// The exit signal this message carries, if it is one (tag
    /// [`sys::TAG_EXIT`] with a well-formed payload).
    pub fn as_exit(&self) -> Option<Exit> {
        if self.tag != sys::TAG_EXIT {
            return None;
        }
        let from = Pid::from_raw(le_u64(&self.data, 0)?);
        let kind = le_i32(&self.data, 8)?;
        Some(Exit { from, reason: ExitReason::from_parts(kind, &self.data[12..]) })
    }

    /// The DOWN this message carries, if it is one (tag [`sys::TAG_DOWN`]
    /// with a well-formed payload).
    pub fn as_down(&self) -> Option<Down> {
        if self.tag != sys::TAG_DOWN {
            return None;
        }
        let monitor = MonitorRef(le_u64(&self.data, 0)?);
        let pid = Pid::from_raw(le_u64(&self.data, 8)?);
        let kind = le_i32(&self.data, 16)?;
        Some(Down { monitor, pid, reason: ExitReason::from_parts(kind, &self.data[20..]) })
    }

    /// The host message this is, if it is one.
    pub fn as_system(&self) -> Option<SystemMessage> {
        self.as_exit().map(SystemMessage::Exit).or_else(|| self.as_down().map(SystemMessage::Down))
    }
}

impl Pid {
    /// Links the calling process and this one (Erlang's `link/1`). Linking
    /// twice, or to oneself, does nothing. If this process is not alive the
    /// caller gets an exit signal `noproc`: unless it traps exits, it ends
    /// at once with [`ExitReason::Noproc`] (this call does not return).
    ///
    /// Errors: [`Error::BadArg`] for a malformed pid.
    pub fn link(self) -> Result<(), Error> {
        // SAFETY: `link` takes only a pid (an integer) and touches no guest
        // memory.
        status(unsafe { sys::link(self.raw() as i64) })
    }

    /// Removes the link between the calling process and this one. Once this
    /// returns, the link has no more effect on the caller (an EXIT message
    /// already queued stays queued).
    ///
    /// Errors: [`Error::BadArg`] for a malformed pid.
    pub fn unlink(self) -> Result<(), Error> {
        // SAFETY: `unlink` takes only a pid (an integer) and touches no
        // guest memory.
        status(unsafe { sys::unlink(self.raw() as i64) })
    }

    /// Sends this process an exit signal (Erlang's `exit(Pid, Reason)`); see
    /// [`exit_signal`].
    pub fn exit(self, signal: impl Into<Signal>) -> Result<(), Error> {
        exit_signal(self, signal.into())
    }

    /// Monitors this process; see [`monitor`].
    pub fn monitor(self) -> Result<MonitorRef, Error> {
        monitor(self)
    }
}

/// Sends `pid` an exit signal (Erlang's `exit(Pid, Reason)`), linked or not:
/// a process that traps exits gets it as an [`Exit`] message (except
/// [`Signal::Kill`], which ends it with [`ExitReason::Killed`]); one that
/// does not ignores [`Signal::Normal`] and exits with any other reason. Sent
/// to the calling process itself, a signal that ends it does so at once
/// (this call does not return). A signal to a dead pid is dropped.
///
/// Errors: [`Error::BadArg`] for a malformed pid.
pub fn exit_signal(pid: Pid, signal: Signal) -> Result<(), Error> {
    let (ptr, len) = raw_bytes(signal.detail())?;
    // SAFETY: `ptr`/`len` are those of `signal.detail()`, a live slice; the
    // host only reads those bytes, and checks the range.
    status(unsafe { sys::exit_signal(pid.raw() as i64, signal.kind(), ptr, len) })
}

/// Turns trapping exits on or off for the calling process; returns the
/// previous setting. While on, exit signals arrive as [`Exit`] messages
/// (tag [`sys::TAG_EXIT`]) instead of ending the process, except `kill`.
pub fn trap_exit(on: bool) -> bool {
    // SAFETY: `trap_exit` takes only an integer flag and touches no guest
    // memory.
    unsafe { sys::trap_exit(i32::from(on)) != 0 }
}

/// Monitors `pid`: when it exits, the caller gets a [`Down`] message (tag
/// [`sys::TAG_DOWN`]) with the returned reference. A dead `pid` gives DOWN
/// with [`ExitReason::Noproc`] at once. Each call makes an independent
/// monitor.
///
/// Errors: [`Error::BadArg`] for a malformed pid.
pub fn monitor(pid: Pid) -> Result<MonitorRef, Error> {
    // SAFETY: `monitor` takes only a pid (an integer) and touches no guest
    // memory.
    let code = unsafe { sys::monitor(pid.raw() as i64) };
    if code > 0 { Ok(MonitorRef(code as u64)) } else { Err(Error::from_code(code)) }
}

/// Ends monitor `reference`. Returns `true` if it was active (its DOWN was
/// not sent), `false` if it had fired or is unknown. Once this returns no
/// DOWN for it will arrive; with `flush`, a DOWN for it already queued is
/// removed too.
pub fn demonitor(reference: MonitorRef, flush: bool) -> bool {
    // SAFETY: `demonitor` takes only integers and touches no guest memory.
    unsafe { sys::demonitor(reference.0 as i64, i32::from(flush)) == 1 }
}

/// Spawns `entry` of `module` (`""`: this guest's own module), atomically
/// linked to the caller if `link` and monitored by it if `monitor` (the
/// relations exist before the child runs). Returns the child's pid and, with
/// `monitor`, the monitor reference.
///
/// Errors: as [`crate::spawn_module`].
pub fn spawn_opt(
    module: &str,
    entry: &str,
    arg: &[u8],
    link: bool,
    monitor: bool,
) -> Result<(Pid, Option<MonitorRef>), Error> {
    // An empty options block: the caller's limits and capabilities, as the
    // ABI's `spawn_opt` (one host function fewer to keep in step).
    crate::spawn_opts(module, entry, arg, &crate::SpawnOptions::default(), link, monitor)
}

/// Spawns export `entry` of this guest's module linked to the caller
/// (Erlang's `spawn_link`): atomic, so a child that crashes at once still
/// sends its exit signal.
pub fn spawn_link(entry: &str, arg: &[u8]) -> Result<Pid, Error> {
    spawn_opt("", entry, arg, true, false).map(|(pid, _)| pid)
}

/// Spawns export `entry` of this guest's module monitored by the caller
/// (Erlang's `spawn_monitor`): atomic, so a child that crashes at once still
/// gives its DOWN.
pub fn spawn_monitor(entry: &str, arg: &[u8]) -> Result<(Pid, MonitorRef), Error> {
    let (pid, reference) = spawn_opt("", entry, arg, false, true)?;
    Ok((pid, reference.unwrap_or(MonitorRef(0))))
}
