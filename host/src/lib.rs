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
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! ## Module map
//!
//! The folders are layers; each uses only the layers above it in this list
//! (`scripts/layers.sh` checks it):
//!
//! 1. `base`: plain types every layer uses: `pid`, `reason` (exit reasons),
//!    `config` (the node's settings), `options` (what a spawn asks of a new
//!    process's limits and capabilities), `codes` (the ABI's numbers, defined
//!    once), `sync` (primitives loom swaps for its models).
//! 2. `mem`: `region` (reserved regions carved into slots), `memory` and
//!    `stack` (dense linear memories and fiber stacks), `block_cache`
//!    (per-thread caches of small blocks), `free_list` (sharded free lists).
//! 3. `sched`: the scheduler over any job type: `policy` (which job runs
//!    next, when a backlog spreads), `park` (parking without a lost
//!    wake-up), `worker` (a scheduler thread's loop).
//! 4. `wasm`: `engine`, `module` (compiled and linked once, generic over the
//!    store's data), `hibernate` (an instance's state frozen and thawed).
//! 5. `svc`: the services, each owning its state, generic over the process
//!    type: `process_table`, `signals` (links, monitors, exit signals),
//!    `names` (registered names, keyed registries), `timers`, `tables`
//!    (ETS), `supervisor` (OTP's supervisor rules, the spec format).
//! 6. `process`: a process (`state`, `task`, `run`, `start`, `run_state`,
//!    `mailbox`, `letter`, `receive`, `memory`, `limits`, `call_box`,
//!    `resume_hints`, `recycle`, `trim`, `capabilities`, `waker`), the
//!    `supervisor` process the host runs, and the `runtime` a node's
//!    processes share (`spawn`, `exit`).
//! 7. `node`: the public API (`node/supervise.rs`: supervisors').
//! 8. `abi`: the host functions guests import, one file per namespace, and
//!    WASI.

mod abi;
mod base;
mod mem;
mod node;
mod process;
mod sched;
mod svc;
mod wasm;

pub use base::codes::*;
pub use base::config::{DEFAULT_REDUCTIONS, MemoryLayout, NodeConfig};
pub use base::options::{DirGrant, OptionsError, Preopen, SpawnOptions};
pub use base::pid::{ParsePidError, Pid};
pub use base::reason::ExitReason;
pub use node::{
    CallError, HostImport, Inbox, LoadedModule, MemoryByKind, Node, NodeError, NodeStats, ProcessDetails,
    ProcessHandle, ProcessSummary, SupervisionTree, Trace, TraceError, TraceLimits, TreeChild,
};
pub use process::capabilities::Capabilities;
pub use process::inspect::{MessagePreview, ProcessKind, ProcessStatus};
pub use process::mailbox::Message;
pub use process::spawn::SpawnError;
pub use process::trace::{TraceEvent, TraceRecord};
pub use svc::supervisor::spec::{
    AutoShutdown, ChildCounts, ChildInfo, ChildRef, ChildSpec, ChildStart, Restart, Shutdown, Strategy,
    SupervisorError, SupervisorFlags, SupervisorSpec,
};
pub use svc::tables::{OBJECT_OVERHEAD, TableAccess, TableInfo, TableKind};
/// Erlang's External Term Format (the `warren-term` crate): system
/// requests and their answers are terms.
pub use warren_term as term;
pub use wasm::module::{LoadError, LoadErrorKind};

/// The ABI's numbers (also re-exported at the crate root).
pub mod codes {
    pub use crate::base::codes::*;
}
