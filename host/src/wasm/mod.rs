//! The wasm layer: the engine, modules compiled and linked once, and
//! hibernation's plan, freeze and thaw of an instance's state. Generic over
//! the data type of the stores (the process layer's `ProcessState`), whose
//! fields it never reads.

pub(crate) mod engine;
pub(crate) mod hibernate;
pub(crate) mod module;
pub(crate) mod perf_map;
pub(crate) mod precompiled;
