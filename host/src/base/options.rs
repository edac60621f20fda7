//! What a spawn may ask of a new process's limits and capabilities: the
//! spawn options block of the ABI (`spawn_opts`), a child spec's options,
//! and a manifest's. A process gets its parent's limits and capabilities,
//! narrowed by these; nothing here can widen them.

use std::path::PathBuf;

/// Limits and capabilities a spawn asks for a new process. Each field left
/// at its default keeps what the new process inherits from its parent (or,
/// for a process the host spawns, from the node); each one set can only
/// narrow it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpawnOptions {
    /// Largest linear memory, in bytes (at most the parent's).
    pub max_memory: Option<usize>,
    /// Total fuel the process may use over its life (at most the parent's
    /// remaining allowance).
    pub max_fuel: Option<u64>,
    /// Most messages its mailbox may hold (at most the parent's).
    pub max_mailbox: Option<usize>,
    /// Takes away the right to spawn.
    pub deny_spawn: bool,
    /// Takes away the right to print (WASI stdout and stderr).
    pub deny_print: bool,
    /// Keeps only these of the parent's preopened directories, named by
    /// their guest path, each read-only if asked (or if the parent's is).
    /// `None` keeps them all, as they are.
    pub dirs: Option<Vec<DirGrant>>,
    /// Replaces the environment WASI shows (`None` keeps the parent's). An
    /// environment is data the parent could pass in its argument anyway,
    /// not an authority, so it may be replaced rather than only narrowed.
    pub env: Option<Vec<(String, String)>>,
}

/// One of the parent's preopened directories kept for a new process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirGrant {
    /// The directory's guest path, as the parent sees it.
    pub guest: String,
    /// Whether the new process may only read it.
    pub read_only: bool,
}

/// A host directory a process sees through WASI, under a guest path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Preopen {
    /// The directory on the host.
    pub host: PathBuf,
    /// Where the guest finds it.
    pub guest: String,
    /// Whether the guest may only read it.
    pub read_only: bool,
}

// MERGE-PLACEHOLDER: replaced by the options codec of branch `caps`.
impl SpawnOptions {
    /// Decodes an options block.
    pub fn decode(block: &[u8]) -> Result<SpawnOptions, String> {
        if block.is_empty() { Ok(SpawnOptions::default()) } else { Err("options not merged yet".into()) }
    }
    /// Encodes an options block.
    pub fn encode(&self) -> Vec<u8> {
        Vec::new()
    }
}
