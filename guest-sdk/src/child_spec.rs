//! Child specs for the host's supervisors: the child record of docs/ABI.md
//! ("Supervisors", "The spec format"), as `supervisor_start` and the
//! `SUP_START_CHILD` request read it.
//!
//! ```ignore
//! use warren::{ChildSpec, Restart, Shutdown};
//!
//! let record = ChildSpec::worker("cache", "app", "cache_main", b"")
//!     .restart(Restart::Transient)
//!     .shutdown(Shutdown::Timeout(5_000))
//!     .to_bytes();
//! ```
//!
//! A [`crate::gen_server`] server gives its own with
//! [`gen_server::child_spec`](crate::gen_server::child_spec).

use crate::{SpawnOptions, sys};
use alloc::string::String;
use alloc::vec::Vec;

/// When a supervisor restarts a child.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Restart {
    /// Always (`RESTART_PERMANENT`).
    #[default]
    Permanent,
    /// After an exit other than `normal` or `shutdown` (`RESTART_TRANSIENT`).
    Transient,
    /// Never (`RESTART_TEMPORARY`).
    Temporary,
}

/// How a supervisor stops a child.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Shutdown {
    /// Exit signal `kill` at once (`SHUTDOWN_BRUTAL_KILL`).
    BrutalKill,
    /// Exit signal `shutdown`, then `kill` after this many milliseconds
    /// (`SHUTDOWN_TIMEOUT`).
    Timeout(u32),
    /// Exit signal `shutdown`, waiting as long as it takes
    /// (`SHUTDOWN_INFINITY`).
    Infinity,
}

impl Default for Shutdown {
    /// OTP's default for a worker: `shutdown`, then `kill` after 5 s.
    fn default() -> Shutdown {
        Shutdown::Timeout(5_000)
    }
}

/// A worker's child spec: what a host supervisor starts, how it restarts
/// and stops it. [`ChildSpec::to_bytes`] is the child record.
///
/// ```ignore
/// let spec = warren::ChildSpec::worker("db", "app", "db_main", b"")
///     .ack_timeout(Some(5_000))
///     .shutdown(warren::Shutdown::Infinity);
/// let record = spec.to_bytes();
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChildSpec {
    id: String,
    module: String,
    entry: String,
    arg: Vec<u8>,
    restart: Restart,
    shutdown: Shutdown,
    significant: bool,
    ack_timeout: Option<u32>,
    options: SpawnOptions,
    /// A nested supervisor's spec (then `module`, `entry` and `arg` are
    /// empty and unused).
    nested: Option<Vec<u8>>,
}

impl ChildSpec {
    /// A worker `id` that runs export `entry` of the module loaded as
    /// `module`, with `arg`: permanent, stopped with `shutdown` and a 5 s
    /// timeout, not significant, started without waiting for `init_ack`,
    /// with the supervisor's limits and capabilities.
    ///
    /// ```ignore
    /// let spec = warren::ChildSpec::worker("w1", "app", "worker", b"arg");
    /// ```
    pub fn worker(id: &str, module: &str, entry: &str, arg: &[u8]) -> ChildSpec {
        ChildSpec {
            id: String::from(id),
            module: String::from(module),
            entry: String::from(entry),
            arg: arg.to_vec(),
            restart: Restart::default(),
            shutdown: Shutdown::default(),
            significant: false,
            ack_timeout: None,
            options: SpawnOptions::new(),
            nested: None,
        }
    }

    /// A nested supervisor `id` that runs the supervisor spec `spec` (the
    /// bytes of docs/ABI.md's spec format, as
    /// [`supervisor::spec_bytes`](crate::supervisor::spec_bytes) writes
    /// them): permanent and stopped with `infinity`, as OTP's default for
    /// a supervisor child.
    ///
    /// ```ignore
    /// use warren::supervisor::{self, SupFlags, Strategy};
    /// let inner = supervisor::spec_bytes(&SupFlags::new(Strategy::OneForOne), &[worker_spec]);
    /// let spec = warren::ChildSpec::supervisor("workers", inner);
    /// ```
    pub fn supervisor(id: &str, spec: Vec<u8>) -> ChildSpec {
        ChildSpec {
            id: String::from(id),
            module: String::new(),
            entry: String::new(),
            arg: Vec::new(),
            restart: Restart::Permanent,
            shutdown: Shutdown::Infinity,
            significant: false,
            ack_timeout: None,
            options: SpawnOptions::new(),
            nested: Some(spec),
        }
    }

    /// Whether this is a nested supervisor ([`ChildSpec::supervisor`]).
    ///
    /// ```ignore
    /// assert!(!warren::ChildSpec::worker("w1", "app", "main", b"").is_supervisor());
    /// ```
    pub fn is_supervisor(&self) -> bool {
        self.nested.is_some()
    }

    /// The same spec with another id (a template reused for several
    /// children).
    ///
    /// ```ignore
    /// let second = spec.clone().with_id("w2");
    /// ```
    pub fn with_id(mut self, id: &str) -> ChildSpec {
        self.id = String::from(id);
        self
    }

    /// When the child is restarted.
    ///
    /// ```ignore
    /// let spec = spec.restart(warren::Restart::Temporary);
    /// ```
    pub fn restart(mut self, restart: Restart) -> ChildSpec {
        self.restart = restart;
        self
    }

    /// How the child is stopped.
    ///
    /// ```ignore
    /// let spec = spec.shutdown(warren::Shutdown::BrutalKill);
    /// ```
    pub fn shutdown(mut self, shutdown: Shutdown) -> ChildSpec {
        self.shutdown = shutdown;
        self
    }

    /// Whether the child is significant (for a supervisor's
    /// `auto_shutdown`).
    ///
    /// ```ignore
    /// let spec = spec.restart(warren::Restart::Transient).significant(true);
    /// ```
    pub fn significant(mut self, significant: bool) -> ChildSpec {
        self.significant = significant;
        self
    }

    /// `Some(ms)`: the supervisor waits up to `ms` milliseconds for the
    /// child's `init_ack` before it starts the next child (an exit first,
    /// or no acknowledgement in time, is a failed start). `None`: started
    /// means spawned.
    ///
    /// ```ignore
    /// let spec = spec.ack_timeout(Some(1_000));
    /// ```
    pub fn ack_timeout(mut self, timeout_ms: Option<u32>) -> ChildSpec {
        self.ack_timeout = timeout_ms;
        self
    }

    /// The child's limits and capabilities, narrowed by `options`.
    ///
    /// ```ignore
    /// let spec = spec.options(warren::SpawnOptions::new().max_memory(1 << 20));
    /// ```
    pub fn options(mut self, options: SpawnOptions) -> ChildSpec {
        self.options = options;
        self
    }

    /// The child's id.
    ///
    /// ```ignore
    /// assert_eq!(warren::ChildSpec::worker("w1", "app", "main", b"").id(), "w1");
    /// ```
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The export the child starts on.
    ///
    /// ```ignore
    /// assert_eq!(warren::ChildSpec::worker("w1", "app", "main", b"").entry(), "main");
    /// ```
    pub fn entry(&self) -> &str {
        &self.entry
    }

    /// The child's spawn argument.
    ///
    /// ```ignore
    /// assert_eq!(warren::ChildSpec::worker("w1", "app", "main", b"x").arg(), b"x");
    /// ```
    pub fn arg(&self) -> &[u8] {
        &self.arg
    }

    /// The child record (without the `u32` length a spec puts before it),
    /// as docs/ABI.md lays it out.
    ///
    /// ```ignore
    /// let record = warren::ChildSpec::worker("w1", "app", "main", b"").to_bytes();
    /// assert_eq!(record[0], warren::sys::RESTART_PERMANENT as u8);
    /// ```
    pub fn to_bytes(&self) -> Vec<u8> {
        let (shutdown, shutdown_ms) = match self.shutdown {
            Shutdown::BrutalKill => (sys::SHUTDOWN_BRUTAL_KILL, 0),
            Shutdown::Timeout(ms) => (sys::SHUTDOWN_TIMEOUT, ms),
            Shutdown::Infinity => (sys::SHUTDOWN_INFINITY, 0),
        };
        let restart = match self.restart {
            Restart::Permanent => sys::RESTART_PERMANENT,
            Restart::Transient => sys::RESTART_TRANSIENT,
            Restart::Temporary => sys::RESTART_TEMPORARY,
        };
        let ack = self.ack_timeout.unwrap_or(sys::SPEC_NONE as u32);
        let kind = if self.nested.is_some() { sys::CHILD_SUPERVISOR } else { sys::CHILD_WORKER };
        let mut out = Vec::with_capacity(40 + self.id.len() + self.module.len() + self.entry.len() + self.arg.len());
        out.extend_from_slice(&[restart as u8, kind as u8, u8::from(self.significant), shutdown as u8]);
        out.extend_from_slice(&shutdown_ms.to_le_bytes());
        out.extend_from_slice(&ack.to_le_bytes());
        let push = |out: &mut Vec<u8>, field: &[u8]| {
            out.extend_from_slice(&(field.len() as u32).to_le_bytes());
            out.extend_from_slice(field);
        };
        push(&mut out, self.id.as_bytes());
        match &self.nested {
            Some(spec) => push(&mut out, spec),
            None => {
                push(&mut out, self.module.as_bytes());
                push(&mut out, self.entry.as_bytes());
                push(&mut out, &self.arg);
            }
        }
        push(&mut out, self.options.as_bytes());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_laid_out_as_the_abi_says() {
        let record = ChildSpec::worker("w", "app", "main", b"xy")
            .restart(Restart::Transient)
            .shutdown(Shutdown::Timeout(300))
            .ack_timeout(Some(1_000))
            .to_bytes();
        let mut expected = alloc::vec![1, 0, 0, 0];
        expected.extend_from_slice(&300u32.to_le_bytes());
        expected.extend_from_slice(&1_000u32.to_le_bytes());
        for field in [&b"w"[..], b"app", b"main", b"xy", b""] {
            expected.extend_from_slice(&(field.len() as u32).to_le_bytes());
            expected.extend_from_slice(field);
        }
        assert_eq!(record, expected);
        let defaults = ChildSpec::worker("w", "m", "e", b"").shutdown(Shutdown::Infinity).to_bytes();
        assert_eq!(&defaults[..4], &[0, 0, 0, 2]);
        assert_eq!(&defaults[8..12], &u32::MAX.to_le_bytes(), "no ack timeout: SPEC_NONE");
    }
}
