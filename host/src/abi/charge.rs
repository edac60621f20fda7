//! Charging the work a host call did to the calling process's time slice
//! (see `process/cost.rs` for the prices).

use crate::process::state::ProcessState;
use wasmtime::Caller;

/// Takes `fuel` off the caller's slice, as if its wasm had used it: a call
/// that worked long for the process brings its preemption closer. (Free
/// when `fuel` is 0, the common case.)
#[inline]
pub(super) fn charge(caller: &mut Caller<'_, ProcessState>, fuel: u64) {
    if fuel > 0 {
        charge_now(caller, fuel);
    }
}

#[inline(never)]
fn charge_now(caller: &mut Caller<'_, ProcessState>, fuel: u64) {
    // Fails only if fuel is not configured, which every node does.
    let _ = caller.consume_fuel(fuel);
    // The process's reductions, as the node reports them, include it now
    // (they are otherwise brought up to date when it waits).
    if let Ok(left) = caller.get_fuel() {
        let state = caller.data();
        state.process.reductions.store(state.reductions(left), std::sync::atomic::Ordering::Relaxed);
    }
}

/// What the caller's receives owe for the messages they looked at (their
/// futures cannot reach the slice), plus `fuel`: charged now.
#[inline]
pub(super) fn charge_with_receives(caller: &mut Caller<'_, ProcessState>, fuel: u64) {
    let owed = caller.data_mut().receive.take_charge();
    charge(caller, fuel.saturating_add(owed));
}
