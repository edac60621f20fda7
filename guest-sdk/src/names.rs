//! Registered names and keyed registries (see "Names" in `docs/ABI.md`).
//!
//! ```ignore
//! warren::register("logger", warren::self_pid())?;
//! warren::send_named("logger", 1, b"hello")?; // Err(NameError::NoSuchName) if nobody holds it
//!
//! let topics = warren::Registry::new("topics", false)?; // duplicate keys
//! topics.register(b"news", b"")?;
//! topics.dispatch(b"news", 2, b"extra! extra!")?;
//! ```

use crate::{Error, Pid, raw_bytes, sys};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Why a name or registry call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameError {
    /// `ERR_NAME_TAKEN` (-20): the name, unique key or registry name is
    /// taken.
    Taken,
    /// `ERR_NO_SUCH_NAME` (-21): nobody holds the name, or there is no such
    /// registry.
    NoSuchName,
    /// `ERR_ALREADY_NAMED` (-22): the process already has a name.
    AlreadyNamed,
    /// `ERR_NOPROC` (-23): the process is not alive.
    Noproc,
    /// Any other error ([`Error::BadArg`], [`Error::Limit`]).
    Other(Error),
}

impl NameError {
    /// The error for a (negative) code returned by a host function.
    pub const fn from_code(code: i64) -> NameError {
        match code {
            -20 => NameError::Taken,
            -21 => NameError::NoSuchName,
            -22 => NameError::AlreadyNamed,
            -23 => NameError::Noproc,
            other => NameError::Other(Error::from_code(other)),
        }
    }

    /// The ABI code of this error.
    pub const fn code(self) -> i64 {
        match self {
            NameError::Taken => sys::ERR_NAME_TAKEN as i64,
            NameError::NoSuchName => sys::ERR_NO_SUCH_NAME as i64,
            NameError::AlreadyNamed => sys::ERR_ALREADY_NAMED as i64,
            NameError::Noproc => sys::ERR_NOPROC as i64,
            NameError::Other(error) => error.code(),
        }
    }
}

impl From<Error> for NameError {
    fn from(error: Error) -> NameError {
        NameError::Other(error)
    }
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameError::Taken => f.write_str("name taken (ERR_NAME_TAKEN)"),
            NameError::NoSuchName => f.write_str("no such name (ERR_NO_SUCH_NAME)"),
            NameError::AlreadyNamed => f.write_str("the process already has a name (ERR_ALREADY_NAMED)"),
            NameError::Noproc => f.write_str("no such process (ERR_NOPROC)"),
            NameError::Other(error) => fmt::Display::fmt(error, f),
        }
    }
}

impl core::error::Error for NameError {}

/// `OK` or a name error, from an `i32` status.
fn name_status(code: i32) -> Result<(), NameError> {
    if code >= 0 { Ok(()) } else { Err(NameError::from_code(code.into())) }
}

/// Calls `fill(dst_ptr, dst_len)` (a host function that writes its whole
/// answer only if it fits, and returns the bytes it needs) until the answer
/// fits, and returns it. `dst_ptr` is always the start of `dst_len` bytes of
/// spare capacity owned by this function, writable until `fill` returns.
fn fetch(mut fill: impl FnMut(*mut u8, i32) -> i32) -> Result<Vec<u8>, NameError> {
    let mut buf: Vec<u8> = Vec::new();
    loop {
        let capacity = i32::try_from(buf.capacity()).map_err(|_| Error::Limit)?;
        let needed = fill(buf.as_mut_ptr(), capacity);
        let needed = usize::try_from(needed).map_err(|_| NameError::from_code(needed.into()))?;
        if needed <= buf.capacity() {
            // SAFETY: `needed <= capacity`, and the answer fit the `capacity`
            // bytes given, so the host wrote all of it: `needed` bytes from
            // `buf.as_mut_ptr()`.
            unsafe { buf.set_len(needed) };
            return Ok(buf);
        }
        // The answer grew (or this is the first call): try again with room.
        buf.reserve_exact(needed);
    }
}

/// Registers `pid` (any live process) under `name`, unique on the node. A
/// name is freed the moment its process exits.
///
/// Errors: [`NameError::Taken`], [`NameError::AlreadyNamed`] (a process has
/// at most one name), [`NameError::Noproc`], `Other(BadArg)` (empty name).
pub fn register(name: &str, pid: Pid) -> Result<(), NameError> {
    let (ptr, len) = raw_bytes(name.as_bytes())?;
    // SAFETY: `ptr`/`len` are those of `name`, a live &str; the host only
    // reads those bytes, and checks the range.
    name_status(unsafe { sys::register(ptr, len, pid.raw() as i64) })
}

/// Frees `name`, whoever holds it. Errors: [`NameError::NoSuchName`].
pub fn unregister(name: &str) -> Result<(), NameError> {
    let (ptr, len) = raw_bytes(name.as_bytes())?;
    // SAFETY: `ptr`/`len` are those of `name`, a live &str; the host only
    // reads those bytes, and checks the range.
    name_status(unsafe { sys::unregister(ptr, len) })
}

/// The process registered under `name`, if any.
pub fn whereis(name: &str) -> Option<Pid> {
    let (ptr, len) = raw_bytes(name.as_bytes()).ok()?;
    // SAFETY: `ptr`/`len` are those of `name`, a live &str; the host only
    // reads those bytes, and checks the range.
    let pid = unsafe { sys::whereis(ptr, len) };
    (pid > 0).then(|| Pid::from_raw(pid as u64))
}

/// Sends `tag` and a copy of `data` to the process registered under `name`.
/// As in Erlang, a name nobody holds is the sender's error:
/// [`NameError::NoSuchName`], and nothing is sent. Also `Other(BadArg)` for
/// a negative tag, `Other(Limit)` for a message too large.
pub fn send_named(name: &str, tag: i64, data: &[u8]) -> Result<(), NameError> {
    let (name_ptr, name_len) = raw_bytes(name.as_bytes())?;
    let (ptr, len) = raw_bytes(data)?;
    // SAFETY: both pairs are those of live slices (`name`, `data`); the host
    // only reads them, and checks the ranges.
    name_status(unsafe { sys::send_named(name_ptr, name_len, tag, ptr, len) })
}

/// Every registered name on the node, sorted.
pub fn registered() -> Vec<String> {
    // SAFETY: `fetch` passes `ptr`/`len` of spare capacity it owns, writable
    // for `len` bytes; the host writes at most `len` bytes there.
    let Ok(bytes) = fetch(|ptr, len| unsafe { sys::registered(ptr, len) }) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    let mut rest = &bytes[..];
    while let Some((len, tail)) = rest.split_first_chunk::<4>() {
        let len = u32::from_le_bytes(*len) as usize;
        let Some((name, tail)) = tail.split_at_checked(len) else {
            break;
        };
        names.push(String::from_utf8_lossy(name).into_owned());
        rest = tail;
    }
    names
}

/// A keyed registry (in the style of Elixir's `Registry`): byte-string keys
/// mapped to processes, each with a small value. Entries vanish when their
/// process exits. This is a handle: it holds only the registry's name.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Registry {
    name: String,
}

impl Registry {
    /// Creates registry `name` on the node: with `unique` each key has at
    /// most one entry, otherwise any number (in registration order).
    ///
    /// Errors: [`NameError::Taken`] if a registry of that name exists.
    pub fn new(name: &str, unique: bool) -> Result<Registry, NameError> {
        let (ptr, len) = raw_bytes(name.as_bytes())?;
        // SAFETY: `ptr`/`len` are those of `name`, a live &str; the host only
        // reads those bytes, and checks the range.
        name_status(unsafe { sys::registry_new(ptr, len, i32::from(unique)) })?;
        Ok(Registry::named(name))
    }

    /// A handle on registry `name`, made by any process (calls on it fail
    /// with [`NameError::NoSuchName`] if there is no such registry).
    pub fn named(name: &str) -> Registry {
        Registry { name: String::from(name) }
    }

    /// The registry's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Registers the calling process under `key` with a copy of `value`.
    ///
    /// Errors: [`NameError::Taken`] (unique registry: the key is held, also
    /// if by the caller), [`NameError::NoSuchName`] (no such registry).
    pub fn register(&self, key: &[u8], value: &[u8]) -> Result<(), NameError> {
        let (reg_ptr, reg_len) = raw_bytes(self.name.as_bytes())?;
        let (key_ptr, key_len) = raw_bytes(key)?;
        let (value_ptr, value_len) = raw_bytes(value)?;
        // SAFETY: the three pairs are those of live slices (the registry's
        // name, `key`, `value`); the host only reads them, and checks the
        // ranges.
        name_status(unsafe { sys::registry_register(reg_ptr, reg_len, key_ptr, key_len, value_ptr, value_len) })
    }

    /// Removes every entry of the calling process under `key`.
    ///
    /// Errors: [`NameError::NoSuchName`] (no such registry).
    pub fn unregister(&self, key: &[u8]) -> Result<(), NameError> {
        let (reg_ptr, reg_len) = raw_bytes(self.name.as_bytes())?;
        let (key_ptr, key_len) = raw_bytes(key)?;
        // SAFETY: both pairs are those of live slices (the registry's name,
        // `key`); the host only reads them, and checks the ranges.
        name_status(unsafe { sys::registry_unregister(reg_ptr, reg_len, key_ptr, key_len) })
    }

    /// The entries under `key`, in registration order: each process with
    /// its value.
    ///
    /// Errors: [`NameError::NoSuchName`] (no such registry).
    pub fn lookup(&self, key: &[u8]) -> Result<Vec<(Pid, Vec<u8>)>, NameError> {
        let (reg_ptr, reg_len) = raw_bytes(self.name.as_bytes())?;
        let (key_ptr, key_len) = raw_bytes(key)?;
        // SAFETY: the `reg` and `key` pairs are those of live slices, which
        // the host only reads (range-checked); `fetch` passes `ptr`/`len` of
        // spare capacity it owns, writable for `len` bytes, and the host
        // writes at most `len` bytes there.
        let bytes = fetch(|ptr, len| unsafe { sys::registry_lookup(reg_ptr, reg_len, key_ptr, key_len, ptr, len) })?;
        let mut entries = Vec::new();
        let mut rest = &bytes[..];
        while let Some((pid, tail)) = rest.split_first_chunk::<8>()
            && let Some((len, tail)) = tail.split_first_chunk::<4>()
            && let Some((value, tail)) = tail.split_at_checked(u32::from_le_bytes(*len) as usize)
        {
            entries.push((Pid::from_le_bytes(*pid), value.to_vec()));
            rest = tail;
        }
        Ok(entries)
    }

    /// The process of the first entry under `key` (the only one in a
    /// unique registry), if any (`whereis` for a registry's key, as OTP's
    /// `{via, Registry, Key}` resolves one).
    ///
    /// Errors: [`NameError::NoSuchName`] (no such registry).
    ///
    /// ```ignore
    /// let sessions = warren::Registry::new("sessions", true)?;
    /// sessions.register(b"user-42", b"")?;
    /// assert_eq!(sessions.whereis(b"user-42")?, Some(warren::self_pid()));
    /// ```
    pub fn whereis(&self, key: &[u8]) -> Result<Option<Pid>, NameError> {
        Ok(self.lookup(key)?.first().map(|(pid, _)| *pid))
    }

    /// Sends `tag` and a copy of `data` to the process of every entry under
    /// `key`; returns how many messages were sent.
    ///
    /// Errors: [`NameError::NoSuchName`] (no such registry), `Other(BadArg)`
    /// (negative tag), `Other(Limit)` (message too large).
    pub fn dispatch(&self, key: &[u8], tag: i64, data: &[u8]) -> Result<usize, NameError> {
        let (reg_ptr, reg_len) = raw_bytes(self.name.as_bytes())?;
        let (key_ptr, key_len) = raw_bytes(key)?;
        let (ptr, len) = raw_bytes(data)?;
        // SAFETY: the three pairs are those of live slices (the registry's
        // name, `key`, `data`); the host only reads them, and checks the
        // ranges.
        let sent = unsafe { sys::registry_dispatch(reg_ptr, reg_len, key_ptr, key_len, tag, ptr, len) };
        usize::try_from(sent).map_err(|_| NameError::from_code(sent.into()))
    }
}
