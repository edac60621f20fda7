//! Process identifiers.

use std::fmt;
use std::num::NonZeroU64;

/// Bits of a pid that hold the process-table slot index.
pub(crate) const INDEX_BITS: u32 = 28;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;
/// Highest serial a slot can reach: pids stay positive as `i64`.
pub(crate) const MAX_SERIAL: u64 = (1 << (63 - INDEX_BITS)) - 1;

/// A process identifier, unique for the whole life of a node.
///
/// A pid is a slot index in the process table plus the serial number of that
/// slot's use. A slot is reused after its process exits, but with the next
/// serial, so a stale pid never reaches a newer process. As an `i64` a pid is
/// always positive (guests see it as such), and it prints as Erlang prints
/// pids: `<0.INDEX.SERIAL>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Pid(NonZeroU64);

impl Pid {
    /// The pid `(serial << INDEX_BITS) | index`, never zero: its serial is at
    /// least 1. (So an `Option<Pid>` takes 8 bytes, as a pid does.)
    fn from_parts(index: u64, serial: u64) -> Pid {
        debug_assert!(index <= INDEX_MASK && (1..=MAX_SERIAL).contains(&serial));
        Pid(NonZeroU64::new((serial << INDEX_BITS) | index).unwrap_or(NonZeroU64::MIN))
    }

    pub(crate) fn new(index: u32, serial: u64) -> Pid {
        Pid::from_parts(u64::from(index), serial)
    }

    /// The pid encoded as `raw`, if `raw` is a well-formed pid (positive,
    /// serial at least 1). A well-formed pid may still name no process.
    pub fn from_raw(raw: u64) -> Option<Pid> {
        let serial = raw >> INDEX_BITS;
        if serial == 0 || serial > MAX_SERIAL { None } else { NonZeroU64::new(raw).map(Pid) }
    }

    /// The pid as the 64-bit number guests see.
    pub fn raw(self) -> u64 {
        self.0.get()
    }

    /// The process-table slot this pid names.
    pub(crate) fn index(self) -> u32 {
        (self.0.get() & INDEX_MASK) as u32
    }

    /// Which use of its slot this pid names.
    pub(crate) fn serial(self) -> u64 {
        self.0.get() >> INDEX_BITS
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<0.{}.{}>", self.index(), self.serial())
    }
}

/// Why a text is not a pid (see `Pid`'s `FromStr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsePidError(String);

impl fmt::Display for ParsePidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a pid (write it as <0.INDEX.SERIAL>, or as its 64-bit number)", self.0)
    }
}

impl std::error::Error for ParsePidError {}

/// A pid as it prints (`<0.INDEX.SERIAL>`), or as the 64-bit number guests
/// see; well-formed only (it may still name no process).
impl std::str::FromStr for Pid {
    type Err = ParsePidError;

    fn from_str(text: &str) -> Result<Pid, ParsePidError> {
        let bad = || ParsePidError(text.to_string());
        if let Ok(raw) = text.parse::<u64>() {
            return Pid::from_raw(raw).ok_or_else(bad);
        }
        let inner = text.strip_prefix("<0.").and_then(|rest| rest.strip_suffix('>')).ok_or_else(bad)?;
        let (index, serial) = inner.split_once('.').ok_or_else(bad)?;
        let index: u64 = index.parse().map_err(|_| bad())?;
        let serial: u64 = serial.parse().map_err(|_| bad())?;
        if index > INDEX_MASK || !(1..=MAX_SERIAL).contains(&serial) {
            return Err(bad());
        }
        Ok(Pid::from_parts(index, serial))
    }
}

impl fmt::Debug for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_prints_like_erlang() {
        let pid = Pid::new(83, 1);
        assert_eq!(Pid::from_raw(pid.raw()), Some(pid));
        assert_eq!(pid.to_string(), "<0.83.1>");
        assert!((pid.raw() as i64) > 0);
        assert_eq!(Pid::from_raw(0), None);
        assert_eq!(Pid::from_raw(5), None, "serial 0 is never issued");
        assert_eq!(Pid::from_raw(u64::MAX), None, "negative as i64");
    }

    #[test]
    fn parses_as_it_prints_or_as_its_number() {
        let pid = Pid::new(83, 2);
        assert_eq!("<0.83.2>".parse::<Pid>(), Ok(pid));
        assert_eq!(pid.raw().to_string().parse::<Pid>(), Ok(pid));
        for bad in ["", "<0.83>", "<1.83.2>", "<0.83.0>", "<0.x.2>", "0", "5", "pid", "<0.83.2"] {
            assert!(bad.parse::<Pid>().is_err(), "{bad:?} must be refused");
        }
    }
}
