//! Exit reasons, as Erlang has them.

use super::codes::{
    REASON_CUSTOM, REASON_KILL, REASON_KILLED, REASON_LIMIT, REASON_NOPROC, REASON_NORMAL, REASON_SHUTDOWN, REASON_TRAP,
};
use std::fmt;

/// Why a process ended (or the reason carried by an exit signal).
///
/// The numeric kinds are part of the guest ABI (`REASON_*` in `codes.rs`):
/// a guest reads the kind and the detail bytes without any codec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExitReason {
    /// The process finished its work.
    Normal,
    /// An orderly shutdown, with optional detail bytes.
    Shutdown(Vec<u8>),
    /// Any other reason a guest gives, as bytes.
    Custom(Vec<u8>),
    /// The untrappable exit signal.
    Kill,
    /// The reason of a process that was sent `Kill`.
    Killed,
    /// The target process did not exist.
    Noproc,
    /// The process trapped: the trap text, with the wasm backtrace.
    Trap(String),
    /// The process hit a limit (memory, fuel, ...): which one and why.
    Limit(String),
}

impl ExitReason {
    /// The ABI kind number of this reason.
    pub fn kind(&self) -> i32 {
        match self {
            ExitReason::Normal => REASON_NORMAL,
            ExitReason::Shutdown(_) => REASON_SHUTDOWN,
            ExitReason::Custom(_) => REASON_CUSTOM,
            ExitReason::Kill => REASON_KILL,
            ExitReason::Killed => REASON_KILLED,
            ExitReason::Noproc => REASON_NOPROC,
            ExitReason::Trap(_) => REASON_TRAP,
            ExitReason::Limit(_) => REASON_LIMIT,
        }
    }

    /// The detail bytes of this reason (empty for the kinds without any).
    pub fn detail(&self) -> &[u8] {
        match self {
            ExitReason::Shutdown(d) | ExitReason::Custom(d) => d,
            ExitReason::Trap(t) | ExitReason::Limit(t) => t.as_bytes(),
            _ => &[],
        }
    }

    /// The reason a guest asks for with `exit(kind, detail)`, if `kind` is
    /// one a guest may give.
    pub fn from_guest(kind: i32, detail: Vec<u8>) -> Option<ExitReason> {
        match kind {
            REASON_NORMAL => Some(ExitReason::Normal),
            REASON_SHUTDOWN => Some(ExitReason::Shutdown(detail)),
            REASON_CUSTOM => Some(ExitReason::Custom(detail)),
            _ => None,
        }
    }

    /// The reason of kind `kind` with `detail`, as an EXIT or DOWN message
    /// carries it (the inverse of [`ExitReason::kind`] and
    /// [`ExitReason::detail`]); an unknown kind reads as `custom`.
    pub(crate) fn from_kind(kind: i32, detail: &[u8]) -> ExitReason {
        let text = || String::from_utf8_lossy(detail).into_owned();
        match kind {
            REASON_NORMAL => ExitReason::Normal,
            REASON_SHUTDOWN => ExitReason::Shutdown(detail.to_vec()),
            REASON_KILL => ExitReason::Kill,
            REASON_KILLED => ExitReason::Killed,
            REASON_NOPROC => ExitReason::Noproc,
            REASON_TRAP => ExitReason::Trap(text()),
            REASON_LIMIT => ExitReason::Limit(text()),
            _ => ExitReason::Custom(detail.to_vec()),
        }
    }

    /// Whether this is the `normal` reason.
    pub fn is_normal(&self) -> bool {
        matches!(self, ExitReason::Normal)
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Normal => f.write_str("normal"),
            ExitReason::Shutdown(d) if d.is_empty() => f.write_str("shutdown"),
            ExitReason::Shutdown(d) => write!(f, "{{shutdown, {}}}", String::from_utf8_lossy(d)),
            ExitReason::Custom(d) => write!(f, "{}", String::from_utf8_lossy(d)),
            ExitReason::Kill => f.write_str("kill"),
            ExitReason::Killed => f.write_str("killed"),
            ExitReason::Noproc => f.write_str("noproc"),
            ExitReason::Trap(t) => write!(f, "trap: {t}"),
            ExitReason::Limit(t) => write!(f, "limit: {t}"),
        }
    }
}
