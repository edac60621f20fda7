//! # warren-host
//!
//! The Warren runtime as a library: Erlang/OTP-style processes, each a
//! WebAssembly instance with its own linear memory and fuel counter, run by
//! a preemptive work-stealing scheduler over all cores, exchanging copied
//! messages.
//!
//! ```no_run
//! use warren_host::{Node, NodeConfig};
//! let node = Node::new(NodeConfig::default())?;
//! let module = node.load("hello", br#"(module (func (export "main")))"#)?;
//! let process = node.spawn(&module, "main", b"")?;
//! assert!(process.wait().is_normal());
//! # anyhow::Ok(())
//! ```
//!
//! Module map: [`node`] (the public API), `scheduler` (threads and run
//! queues), `run_state` (the wake-up protocol), `process` (a process and its
//! call in flight), `call_box` (call futures in reused memory),
//! `block_cache` (per-thread caches of small blocks: letters, call
//! futures), `mailbox` (lock-free for senders), `process_table` (pids),
//! `abi` (host functions, one file per namespace), `memory`/`stack`/`region`
//! (dense layout), `free_list` (sharded free lists for slots), `recycle`
//! (stores of exited processes, reset and reused), `resume_hints` (what a
//! waking process will touch, prefetched by its waker), `wasi` (WASI and
//! capabilities).

mod abi;
mod block_cache;
mod call_box;
mod config;
mod engine;
mod free_list;
mod hibernate;
mod letter;
mod limits;
mod mailbox;
mod memory;
mod module;
pub mod node;
mod pid;
mod process;
mod process_table;
mod reason;
mod recycle;
mod region;
mod registry;
mod resume_hints;
mod run_state;
mod scheduler;
mod signals;
mod stack;
mod sync;
mod table;
mod timer;
mod wasi;

pub use abi::{
    ERR_ACCESS, ERR_KEY_TOO_LARGE, ERR_NO_RESULT, ERR_NO_SUCH_TABLE, ERR_NOT_A_COUNTER, ERR_NOT_ALIVE, ERR_NOT_FOUND,
    ERR_OVERFLOW, ERR_TABLE_FULL, ERR_TABLE_NAME_TAKEN, ERR_VALUE_TOO_LARGE, ERR_WRONG_TYPE,
};
pub use abi::{
    ERR_ALREADY_NAMED, ERR_BADARG, ERR_CANNOT_HIBERNATE, ERR_LIMIT, ERR_NAME_TAKEN, ERR_NO_MESSAGE, ERR_NO_SUCH_EXPORT,
    ERR_NO_SUCH_MODULE, ERR_NO_SUCH_NAME, ERR_NO_SUCH_TIMER, ERR_NOPROC, ERR_NOT_PERMITTED, ERR_TIMEOUT,
    MODULE as ABI_MODULE, OK, SPAWN_LINK, SPAWN_MONITOR,
};
pub use config::{DEFAULT_REDUCTIONS, MemoryLayout, NodeConfig};
pub use mailbox::Message;
pub use module::LoadedModule;
pub use node::{Inbox, Node, ProcessHandle, SpawnError};
pub use pid::Pid;
pub use process::ProcessState;
pub use reason::*;
pub use registry::NameError;
pub use signals::{TAG_DOWN, TAG_EXIT};
pub use table::{MAX_KEY_LEN, OBJECT_OVERHEAD, TAG_TABLE_TRANSFER, TableAccess, TableError, TableInfo, TableKind};
pub use wasi::Capabilities;
