//! The guest ABI: host functions imported from module `warren_v1`, one file
//! per concern, and WASI preview 1. Host functions are thin: they check and
//! copy guest memory, then call the layers below. docs/ABI.md is the
//! contract; the numbers it names are defined once, in `base/codes.rs`.
//!
//! Every number a guest passes crosses a type here (`i32` lengths, `i64`
//! pids): conversions are explicit (`try_from`, `cast_unsigned`), never a
//! silent `as`, so the cast lints below hold for the whole ABI.
#![warn(clippy::cast_possible_truncation, clippy::cast_possible_wrap, clippy::cast_sign_loss)]

mod call;
mod charge;
mod guest_memory;
mod message;
mod names;
mod process;
mod signals;
mod supervisor;
mod table;
mod timer;
mod wasi;

use crate::process::state::ProcessState;
use wasmtime::Linker;

/// Adds every host function, and WASI preview 1, to `linker`.
pub(crate) fn link(linker: &mut Linker<ProcessState>) -> wasmtime::Result<()> {
    process::link(linker)?;
    message::link(linker)?;
    call::link(linker)?;
    signals::link(linker)?;
    names::link(linker)?;
    timer::link(linker)?;
    table::link(linker)?;
    supervisor::link(linker)?;
    wasi::link(linker)?;
    Ok(())
}
