//! The guest ABI: host functions imported from module `warren_v1`, one file
//! per concern. Host functions are thin: they check and copy guest memory,
//! then call the runtime's plain Rust API. docs/ABI.md is the contract.

mod guest_memory;
mod message;
mod names;
mod process;
mod signals;
mod table;
mod timer;

pub(crate) use guest_memory::KnownMemory;
pub(crate) use message::ReceiveState;
pub use names::{ERR_ALREADY_NAMED, ERR_NAME_TAKEN, ERR_NO_SUCH_NAME, ERR_NOPROC};
pub use process::ERR_CANNOT_HIBERNATE;
pub use signals::{SPAWN_LINK, SPAWN_MONITOR};
pub use table::{
    ERR_ACCESS, ERR_KEY_TOO_LARGE, ERR_NO_RESULT, ERR_NO_SUCH_TABLE, ERR_NOT_A_COUNTER, ERR_NOT_ALIVE, ERR_NOT_FOUND,
    ERR_OVERFLOW, ERR_TABLE_FULL, ERR_TABLE_NAME_TAKEN, ERR_VALUE_TOO_LARGE, ERR_WRONG_TYPE,
};
pub use timer::ERR_NO_SUCH_TIMER;

use crate::process::ProcessState;
use wasmtime::Linker;

/// The import module name every host function lives under.
pub const MODULE: &str = "warren_v1";

/// Success.
pub const OK: i32 = 0;
/// An argument is malformed.
pub const ERR_BADARG: i32 = -1;
/// The named export is missing or has the wrong type.
pub const ERR_NO_SUCH_EXPORT: i32 = -2;
/// No module of that name is loaded.
pub const ERR_NO_SUCH_MODULE: i32 = -3;
/// The process's capabilities do not allow this.
pub const ERR_NOT_PERMITTED: i32 = -4;
/// A node or process limit was reached.
pub const ERR_LIMIT: i32 = -5;
/// `receive` timed out (or found nothing when polling).
pub const ERR_TIMEOUT: i32 = -6;
/// There is no current message.
pub const ERR_NO_MESSAGE: i32 = -7;

/// Adds every host function, and WASI preview 1, to `linker`.
pub(crate) fn link(linker: &mut Linker<ProcessState>) -> wasmtime::Result<()> {
    process::link(linker)?;
    message::link(linker)?;
    signals::link(linker)?;
    names::link(linker)?;
    timer::link(linker)?;
    table::link(linker)?;
    wasmtime_wasi::p1::add_to_linker_async(linker, |state: &mut ProcessState| state.wasi())?;
    Ok(())
}
