//! Spawning with limits and capabilities (see "Limits and capabilities" in
//! `docs/ABI.md`): a child gets the caller's, narrowed by [`SpawnOptions`];
//! nothing widens them.
//!
//! ```ignore
//! use warren::SpawnOptions;
//!
//! let options = SpawnOptions::new().max_memory(1 << 20).max_fuel(10_000_000).deny_spawn();
//! let (worker, _) = warren::spawn_opts("", "worker", b"", &options, true, false)?;
//! ```

use crate::links::MonitorRef;
use crate::{Error, Pid, raw_bytes, spawned, sys};
use alloc::vec::Vec;

/// Options for [`spawn_opts`]: the child's limits and capabilities, each
/// narrowing the caller's. Built as the options block the host reads.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpawnOptions {
    block: Vec<u8>,
}

impl SpawnOptions {
    /// No options: the child gets the caller's limits and capabilities.
    pub const fn new() -> SpawnOptions {
        SpawnOptions { block: Vec::new() }
    }

    /// The options block, as `spawn_opts` takes it.
    pub fn as_bytes(&self) -> &[u8] {
        &self.block
    }

    fn record(mut self, key: u32, parts: &[&[u8]]) -> SpawnOptions {
        let len: usize = parts.iter().map(|part| part.len()).sum();
        self.block.extend_from_slice(&key.to_le_bytes());
        self.block.extend_from_slice(&(len as u32).to_le_bytes());
        for part in parts {
            self.block.extend_from_slice(part);
        }
        self
    }

    /// Largest linear memory, in bytes (at most the caller's). Give each
    /// limit once: a limit given twice makes the spawn fail with
    /// [`Error::BadArg`].
    pub fn max_memory(self, bytes: u64) -> SpawnOptions {
        self.record(sys::OPT_MAX_MEMORY, &[&bytes.to_le_bytes()])
    }

    /// Total fuel the child may use over its life (at most the caller's
    /// own limit).
    pub fn max_fuel(self, fuel: u64) -> SpawnOptions {
        self.record(sys::OPT_MAX_FUEL, &[&fuel.to_le_bytes()])
    }

    /// Most messages the child's mailbox may hold (at most the caller's).
    pub fn max_mailbox(self, messages: u64) -> SpawnOptions {
        self.record(sys::OPT_MAX_MAILBOX, &[&messages.to_le_bytes()])
    }

    /// The child may not spawn.
    pub fn deny_spawn(self) -> SpawnOptions {
        self.record(sys::OPT_DENY_SPAWN, &[])
    }

    /// The child may not print (its writes to stdout and stderr fail).
    pub fn deny_print(self) -> SpawnOptions {
        self.record(sys::OPT_DENY_PRINT, &[])
    }

    /// Keeps the caller's preopened directory at guest path `guest` for the
    /// child, read-only if `read_only` (or if the caller's is). Once one is
    /// named, the child gets only those named.
    pub fn dir(self, guest: &str, read_only: bool) -> SpawnOptions {
        self.record(sys::OPT_DIR, &[&[u8::from(read_only)], guest.as_bytes()])
    }

    /// The child gets none of the caller's directories (but those named with
    /// [`SpawnOptions::dir`]).
    pub fn no_dirs(self) -> SpawnOptions {
        self.record(sys::OPT_NO_DIRS, &[])
    }

    /// Environment variable `key=value` for the child. Once one is given,
    /// the child's environment is those given only.
    pub fn env(self, key: &str, value: &str) -> SpawnOptions {
        self.record(sys::OPT_ENV, &[key.as_bytes(), b"=", value.as_bytes()])
    }

    /// The child's environment is empty (but for those given with
    /// [`SpawnOptions::env`]).
    pub fn clear_env(self) -> SpawnOptions {
        self.record(sys::OPT_CLEAR_ENV, &[])
    }
}

/// Spawns export `entry` of module `module` (`""`: this guest's own) with
/// `options`, linked to the caller if `link`, monitored if `monitor` (then
/// the monitor reference is returned too); as [`crate::spawn_opt`] with
/// options.
///
/// Errors: [`Error::BadArg`] (also for options naming a directory the
/// caller does not have), [`Error::NotPermitted`], [`Error::NoSuchModule`],
/// [`Error::NoSuchExport`], [`Error::Limit`].
pub fn spawn_opts(
    module: &str,
    entry: &str,
    arg: &[u8],
    options: &SpawnOptions,
    link: bool,
    monitor: bool,
) -> Result<(Pid, Option<MonitorRef>), Error> {
    let (module_ptr, module_len) = raw_bytes(module.as_bytes())?;
    let (entry_ptr, entry_len) = raw_bytes(entry.as_bytes())?;
    let (arg_ptr, arg_len) = raw_bytes(arg)?;
    let (options_ptr, options_len) = raw_bytes(options.as_bytes())?;
    let flags = if link { sys::SPAWN_LINK } else { 0 } | if monitor { sys::SPAWN_MONITOR } else { 0 };
    let mut reference: i64 = 0;
    // SAFETY: the four pairs are those of live slices (`module`, `entry`,
    // `arg`, the options block), which the host only reads (range-checked);
    // `&mut reference` is a live, aligned i64, where the host writes at most
    // its 8 bytes (with `SPAWN_MONITOR`).
    let pid = spawned(unsafe {
        sys::spawn_opts(
            module_ptr,
            module_len,
            entry_ptr,
            entry_len,
            arg_ptr,
            arg_len,
            options_ptr,
            options_len,
            flags,
            &mut reference,
        )
    })?;
    Ok((pid, monitor.then_some(MonitorRef::from_raw(reference as u64))))
}
