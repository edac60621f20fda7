//! Integration tests of the whole system: real guests (WAT inline, Rust and
//! C compiled by the build) on real nodes, and the `warren` CLI. One test
//! binary, as wasmtime does, to keep link time low.

mod abi_contract;
#[path = "../../src/allocator.rs"]
mod allocator;
mod allocator_options;
mod bindings;
mod calls;
mod capabilities;
mod cli;
mod common;
mod conformance;
mod control;
mod dashboard;
mod exits;
mod function_references;
mod fuzz;
mod genserver;
mod hibernation;
mod hostile;
mod idle_memory;
mod interop;
mod isolation;
mod lang_assemblyscript;
mod lang_c;
mod lang_zig;
mod links;
mod manifest;
mod messaging;
mod monitors;
mod names;
mod otp;
mod profiling;
mod recycling;
mod scaffold;
mod scheduling;
mod stages;
mod supervisors;
mod tables;
mod term_helpers;
mod timers;
