//! Process identifiers.

use std::fmt;

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
pub struct Pid(u64);

impl Pid {
    pub(crate) fn new(index: u32, serial: u64) -> Pid {
        debug_assert!(u64::from(index) <= INDEX_MASK && (1..=MAX_SERIAL).contains(&serial));
        Pid((serial << INDEX_BITS) | u64::from(index))
    }

    /// The pid encoded as `raw`, if `raw` is a well-formed pid (positive,
    /// serial at least 1). A well-formed pid may still name no process.
    pub fn from_raw(raw: u64) -> Option<Pid> {
        let serial = raw >> INDEX_BITS;
        if serial == 0 || serial > MAX_SERIAL { None } else { Some(Pid(raw)) }
    }

    /// The pid as the 64-bit number guests see.
    pub fn raw(self) -> u64 {
        self.0
    }

    /// The process-table slot this pid names.
    pub(crate) fn index(self) -> u32 {
        (self.0 & INDEX_MASK) as u32
    }

    /// Which use of its slot this pid names.
    pub(crate) fn serial(self) -> u64 {
        self.0 >> INDEX_BITS
    }
}

impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<0.{}.{}>", self.index(), self.serial())
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
}
