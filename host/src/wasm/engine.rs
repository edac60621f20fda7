//! The wasmtime engine of a node, configured for its memory layout.

use crate::base::config::{MemoryLayout, NodeConfig};
use crate::mem::memory::{DenseMemories, DenseMemoryCreator};
use crate::mem::pools::DensePools;
use crate::mem::stack::{DenseStackCreator, DenseStacks};
use std::sync::Arc;
use wasmtime::{Config, Engine, ModuleVersionStrategy};

/// The version compiled code (`warren compile`'s `.cwasm`) is tagged with
/// and must match to load. Warren's patched wasmtime lays out an instance's
/// context differently from the published one (vendor/README.md), so code
/// compiled by either must not load into the other; the layout's number
/// goes up with each change to it.
const CODE_VERSION: &str = concat!("wasmtime 48.0.8, warren vmctx 2, warren ", env!("CARGO_PKG_VERSION"));

/// Builds the engine every process of a node runs on. Also returns the
/// pools of the dense layout (with the thread that warms them).
pub(crate) fn build_engine(config: &NodeConfig) -> wasmtime::Result<(Engine, Option<DensePools>)> {
    let mut dense = None;
    let mut c = Config::new();
    c.consume_fuel(true);
    c.module_version(ModuleVersionStrategy::Custom(CODE_VERSION.into()))?;
    c.max_wasm_stack(config.max_wasm_stack);
    c.async_stack_size(config.fiber_stack_size());
    match config.layout {
        MemoryLayout::Dense => {
            // No reservation and no guard region: memories are pool slots
            // and may move when they outgrow their size class.
            c.memory_reservation(0);
            c.memory_guard_size(0);
            c.memory_reservation_for_growth(0);
            c.guard_before_linear_memory(false);
            c.memory_may_move(true);
            c.memory_init_cow(false);
            let memories = DenseMemories::new(config.max_memory);
            c.with_host_memory(Arc::new(DenseMemoryCreator(memories.clone())));
            let stacks = DenseStacks::new(config.fiber_stack_size());
            c.with_host_stack(Arc::new(DenseStackCreator(stacks.clone())));
            dense = Some(DensePools::new(stacks, memories));
        }
        MemoryLayout::Guarded => {
            // wasmtime's defaults: 4 GiB reservations with guard pages.
        }
    }
    Ok((Engine::new(&c)?, dense))
}
