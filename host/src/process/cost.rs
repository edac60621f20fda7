//! What host work costs the process that asks for it, in reductions (units
//! of fuel, the currency of a time slice).
//!
//! A host call's work is charged to the caller's fuel as if wasm had done
//! it, so a process that makes the host work for it uses up its slice as
//! fast as one that computes, and the scheduler preempts it as usual (as
//! BEAM charges a selective receive per message it looks at). The prices
//! are set so that a slice of host work takes about as long as a slice of
//! simple wasm (the `fairness` section of the runtime bench measures both);
//! the small work every call does anyway is free, so the common calls pay
//! nothing extra. Work that has no bound of its own (a selective receive
//! over a long mailbox) also stops after a slice's worth and continues after
//! a yield: see [`scan_budget`].

/// Fuel per message a selective receive looks at.
pub(crate) const PER_MESSAGE_SCANNED: u64 = 64;
/// Messages a receive may look at for free (a reply is usually among the
/// first few).
pub(crate) const FREE_SCAN: u64 = 8;
/// Fuel per byte copied between guest memory and the host.
pub(crate) const PER_BYTE: u64 = 1;
/// Bytes copied for free by each call (a small message costs no more than
/// the call itself).
pub(crate) const FREE_BYTES: u64 = 1024;
/// Fuel per item a call visits (a table object, a registry entry, a name).
pub(crate) const PER_ITEM: u64 = 64;
/// Fuel per message a call sends (beyond its bytes).
pub(crate) const PER_SEND: u64 = 128;

/// The fuel for copying `bytes`.
pub(crate) fn copy(bytes: usize) -> u64 {
    (bytes as u64).saturating_sub(FREE_BYTES).saturating_mul(PER_BYTE)
}

/// The fuel for looking at `messages` in a selective receive.
pub(crate) fn scan(messages: u64) -> u64 {
    messages.saturating_sub(FREE_SCAN).saturating_mul(PER_MESSAGE_SCANNED)
}

/// The fuel for visiting `items` (table objects, registry entries).
pub(crate) fn items(items: usize) -> u64 {
    (items as u64).saturating_mul(PER_ITEM)
}

/// The fuel for sending `count` copies of a message of `bytes` bytes.
pub(crate) fn sends(count: usize, bytes: usize) -> u64 {
    let each = PER_SEND.saturating_add((bytes as u64).saturating_mul(PER_BYTE));
    (count as u64).saturating_mul(each)
}

/// How many messages one step of a selective receive may look at before it
/// yields: a slice's worth (`reductions`, the node's slice).
pub(crate) fn scan_budget(reductions: u64) -> u64 {
    (reductions / PER_MESSAGE_SCANNED).max(FREE_SCAN)
}
