//! What a spawn may ask of a new process's limits and capabilities: the
//! spawn options block of the ABI (`spawn_opts`), a child spec's options,
//! and a manifest's. A process gets its parent's limits and capabilities,
//! narrowed by these; nothing here can widen them.
//!
//! The options block is the bytes guests write (docs/ABI.md, "Limits and
//! capabilities"): a sequence of records `[key: u32 LE][len: u32 LE][len
//! bytes]`, keys `OPT_*` of `base/codes.rs`. [`SpawnOptions::decode`] reads
//! it in one pass, with no allocation but the directory and environment
//! lists; [`SpawnOptions::encode`] writes it.

use super::codes::{
    OPT_CLEAR_ENV, OPT_DENY_PRINT, OPT_DENY_SPAWN, OPT_DIR, OPT_ENV, OPT_MAX_FUEL, OPT_MAX_MAILBOX, OPT_MAX_MEMORY,
    OPT_NO_DIRS,
};
use std::fmt;
use std::path::PathBuf;

/// Limits and capabilities a spawn asks for a new process. Each field left
/// at its default keeps what the new process inherits from its parent (or,
/// for a process the host spawns, from the node); each one set can only
/// narrow it.
///
/// ```
/// use warren_host::{DirGrant, SpawnOptions};
/// let options = SpawnOptions::default().max_memory(1 << 20).deny_spawn().dir(DirGrant::read_only("/data"));
/// assert_eq!(SpawnOptions::decode(&options.encode()), Ok(options));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct SpawnOptions {
    /// Largest linear memory, in bytes (at most the parent's).
    pub max_memory: Option<usize>,
    /// Total fuel the process may use over its life: at most the parent's
    /// own limit (its configured total, not what it has left of it: a
    /// child's fuel is its own, not taken from its parent's), and at most
    /// the node's.
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

impl DirGrant {
    /// The parent's directory at guest path `guest`, as the parent has it.
    pub fn new(guest: impl Into<String>) -> DirGrant {
        DirGrant { guest: guest.into(), read_only: false }
    }

    /// The parent's directory at guest path `guest`, read-only.
    pub fn read_only(guest: impl Into<String>) -> DirGrant {
        DirGrant { guest: guest.into(), read_only: true }
    }
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

impl Preopen {
    /// Host directory `host` under guest path `guest`, read-write.
    pub fn new(host: impl Into<PathBuf>, guest: impl Into<String>) -> Preopen {
        Preopen { host: host.into(), guest: guest.into(), read_only: false }
    }

    /// Host directory `host` under guest path `guest`, read-only.
    pub fn read_only(host: impl Into<PathBuf>, guest: impl Into<String>) -> Preopen {
        Preopen { host: host.into(), guest: guest.into(), read_only: true }
    }
}

/// Spawn options that cannot be applied: a malformed options block, or a
/// directory the parent does not have. A guest's spawn gets `ERR_BADARG`
/// for any of them.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OptionsError {
    /// A record's header (8 bytes) or its bytes run past the end of the
    /// block.
    Truncated {
        /// Where the record starts in the block.
        at: usize,
    },
    /// A key this version does not know.
    UnknownKey {
        /// The key.
        key: u32,
        /// Where the record starts in the block.
        at: usize,
    },
    /// A record's length does not fit its key (8 for a limit, 0 for a
    /// deny flag or `OPT_NO_DIRS` / `OPT_CLEAR_ENV`, at least 2 for a
    /// directory).
    BadLength {
        /// The key.
        key: u32,
        /// The record's length.
        len: u32,
        /// Where the record starts in the block.
        at: usize,
    },
    /// A record's bytes are malformed: text that is not UTF-8 or holds a
    /// NUL byte, an environment entry without `=` or with an empty name, a
    /// read-only byte other than 0 or 1, a limit given twice.
    BadValue {
        /// The key.
        key: u32,
        /// Where the record starts in the block.
        at: usize,
        /// What is wrong.
        why: &'static str,
    },
    /// A directory grant names a guest path the parent has no preopened
    /// directory at.
    UnknownDir {
        /// The guest path asked for.
        guest: String,
    },
}

impl fmt::Display for OptionsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionsError::Truncated { at } => write!(f, "spawn options: the record at byte {at} is cut short"),
            OptionsError::UnknownKey { key, at } => write!(f, "spawn options: unknown key {key} at byte {at}"),
            OptionsError::BadLength { key, len, at } => {
                write!(f, "spawn options: key {key} at byte {at} cannot have length {len}")
            }
            OptionsError::BadValue { key, at, why } => write!(f, "spawn options: key {key} at byte {at}: {why}"),
            OptionsError::UnknownDir { guest } => {
                write!(f, "spawn options: the parent has no preopened directory at guest path `{guest}`")
            }
        }
    }
}

impl std::error::Error for OptionsError {}

/// A record header's size: key and length.
const HEADER: usize = 8;

impl SpawnOptions {
    /// The same options, with the largest linear memory at most `bytes`.
    #[must_use]
    pub fn max_memory(mut self, bytes: usize) -> SpawnOptions {
        self.max_memory = Some(bytes);
        self
    }

    /// The same options, with the total fuel at most `fuel`.
    #[must_use]
    pub fn max_fuel(mut self, fuel: u64) -> SpawnOptions {
        self.max_fuel = Some(fuel);
        self
    }

    /// The same options, with at most `messages` queued in the mailbox.
    #[must_use]
    pub fn max_mailbox(mut self, messages: usize) -> SpawnOptions {
        self.max_mailbox = Some(messages);
        self
    }

    /// The same options, without the right to spawn.
    #[must_use]
    pub fn deny_spawn(mut self) -> SpawnOptions {
        self.deny_spawn = true;
        self
    }

    /// The same options, without the right to print.
    #[must_use]
    pub fn deny_print(mut self) -> SpawnOptions {
        self.deny_print = true;
        self
    }

    /// The same options, keeping `grant` of the parent's directories too
    /// (once any is named, only those named are kept).
    #[must_use]
    pub fn dir(mut self, grant: DirGrant) -> SpawnOptions {
        self.dirs.get_or_insert_with(Vec::new).push(grant);
        self
    }

    /// The same options, keeping none of the parent's directories.
    #[must_use]
    pub fn no_dirs(mut self) -> SpawnOptions {
        self.dirs = Some(Vec::new());
        self
    }

    /// The same options, with environment variable `key=value` (once any is
    /// given, the environment is these only).
    #[must_use]
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> SpawnOptions {
        self.env.get_or_insert_with(Vec::new).push((key.into(), value.into()));
        self
    }

    /// The same options, with an empty environment (but for variables
    /// given with [`SpawnOptions::env`]).
    #[must_use]
    pub fn clear_env(mut self) -> SpawnOptions {
        self.env = Some(Vec::new());
        self
    }

    /// Reads an options block (docs/ABI.md, "Limits and capabilities").
    /// Pure and single-pass; the empty block is the default options.
    pub fn decode(block: &[u8]) -> Result<SpawnOptions, OptionsError> {
        let mut options = SpawnOptions::default();
        let mut at = 0;
        while at < block.len() {
            let header = block.get(at..at + HEADER).ok_or(OptionsError::Truncated { at })?;
            let key = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
            let len = u32::from_le_bytes([header[4], header[5], header[6], header[7]]);
            let start = at + HEADER;
            let body = usize::try_from(len)
                .ok()
                .and_then(|len| block.get(start..start.checked_add(len)?))
                .ok_or(OptionsError::Truncated { at })?;
            options.apply_record(key, body, at)?;
            at = start + body.len();
        }
        Ok(options)
    }

    /// Applies one record of a block (`at`: where it starts, for errors).
    fn apply_record(&mut self, key: u32, body: &[u8], at: usize) -> Result<(), OptionsError> {
        let bad_length = || OptionsError::BadLength { key, len: u32::try_from(body.len()).unwrap_or(u32::MAX), at };
        let bad = |why| OptionsError::BadValue { key, at, why };
        let limit = || -> Result<u64, OptionsError> {
            let bytes: [u8; 8] = body.try_into().map_err(|_| bad_length())?;
            Ok(u64::from_le_bytes(bytes))
        };
        // A limit larger than the address space is no limit beyond it: the
        // narrowing takes the smaller of it and the parent's.
        let size = |value: u64| usize::try_from(value).unwrap_or(usize::MAX);
        match key {
            OPT_MAX_MEMORY => set_once(&mut self.max_memory, size(limit()?)).ok_or_else(|| bad(TWICE))?,
            OPT_MAX_FUEL => set_once(&mut self.max_fuel, limit()?).ok_or_else(|| bad(TWICE))?,
            OPT_MAX_MAILBOX => set_once(&mut self.max_mailbox, size(limit()?)).ok_or_else(|| bad(TWICE))?,
            OPT_DENY_SPAWN | OPT_DENY_PRINT | OPT_NO_DIRS | OPT_CLEAR_ENV if !body.is_empty() => {
                return Err(bad_length());
            }
            OPT_DENY_SPAWN => self.deny_spawn = true,
            OPT_DENY_PRINT => self.deny_print = true,
            OPT_NO_DIRS => {
                self.dirs.get_or_insert_with(Vec::new);
            }
            OPT_CLEAR_ENV => {
                self.env.get_or_insert_with(Vec::new);
            }
            OPT_DIR => {
                let (&read_only, guest) = body.split_first().ok_or_else(bad_length)?;
                if guest.is_empty() {
                    return Err(bad_length());
                }
                let read_only = match read_only {
                    0 => false,
                    1 => true,
                    _ => return Err(bad("the read-only byte is neither 0 nor 1")),
                };
                let guest = text(guest).ok_or_else(|| bad(NOT_TEXT))?;
                self.dirs.get_or_insert_with(Vec::new).push(DirGrant { guest: guest.to_string(), read_only });
            }
            OPT_ENV => {
                let entry = text(body).ok_or_else(|| bad(NOT_TEXT))?;
                let (name, value) = entry.split_once('=').ok_or_else(|| bad("an environment entry has no `=`"))?;
                if name.is_empty() {
                    return Err(bad("an environment entry has an empty name"));
                }
                self.env.get_or_insert_with(Vec::new).push((name.to_string(), value.to_string()));
            }
            _ => return Err(OptionsError::UnknownKey { key, at }),
        }
        Ok(())
    }

    /// Writes these options as an options block, which
    /// [`SpawnOptions::decode`] reads back.
    pub fn encode(&self) -> Vec<u8> {
        let mut block = Vec::new();
        let mut record = |key: u32, parts: &[&[u8]]| {
            let len: usize = parts.iter().map(|part| part.len()).sum();
            block.extend_from_slice(&key.to_le_bytes());
            block.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_le_bytes());
            parts.iter().for_each(|part| block.extend_from_slice(part));
        };
        let wide = |value: usize| u64::try_from(value).unwrap_or(u64::MAX).to_le_bytes();
        if let Some(bytes) = self.max_memory {
            record(OPT_MAX_MEMORY, &[&wide(bytes)]);
        }
        if let Some(fuel) = self.max_fuel {
            record(OPT_MAX_FUEL, &[&fuel.to_le_bytes()]);
        }
        if let Some(messages) = self.max_mailbox {
            record(OPT_MAX_MAILBOX, &[&wide(messages)]);
        }
        if self.deny_spawn {
            record(OPT_DENY_SPAWN, &[]);
        }
        if self.deny_print {
            record(OPT_DENY_PRINT, &[]);
        }
        // An empty list has no records to say "only these": a record of its own.
        if self.dirs.as_ref().is_some_and(Vec::is_empty) {
            record(OPT_NO_DIRS, &[]);
        }
        if self.env.as_ref().is_some_and(Vec::is_empty) {
            record(OPT_CLEAR_ENV, &[]);
        }
        for grant in self.dirs.iter().flatten() {
            record(OPT_DIR, &[&[u8::from(grant.read_only)], grant.guest.as_bytes()]);
        }
        for (name, value) in self.env.iter().flatten() {
            record(OPT_ENV, &[name.as_bytes(), b"=", value.as_bytes()]);
        }
        block
    }
}

const TWICE: &str = "a limit is given twice";
const NOT_TEXT: &str = "the text is not UTF-8 or holds a NUL byte";

/// Sets `slot` to `value` if it is unset; `None` if it was set already.
fn set_once<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    match slot {
        Some(_) => None,
        None => {
            *slot = Some(value);
            Some(())
        }
    }
}

/// `bytes` as text WASI can show (UTF-8, no NUL: WASI hands environment
/// entries and paths to C as NUL-terminated strings).
fn text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok().filter(|text| !text.contains('\0'))
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::{DirGrant, OptionsError, SpawnOptions};
    use crate::base::codes::{OPT_DENY_SPAWN, OPT_DIR, OPT_ENV, OPT_MAX_MEMORY};

    fn record(key: u32, body: &[u8]) -> Vec<u8> {
        let mut out = key.to_le_bytes().to_vec();
        out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn every_option_round_trips() {
        let options = SpawnOptions::default()
            .max_memory(1 << 20)
            .max_fuel(5_000)
            .max_mailbox(7)
            .deny_spawn()
            .deny_print()
            .dir(DirGrant::new("/a"))
            .dir(DirGrant::read_only("/b"))
            .env("KEY", "a=b")
            .env("EMPTY", "");
        let block = options.encode();
        assert_eq!(SpawnOptions::decode(&block), Ok(options));
    }

    #[test]
    fn empty_lists_round_trip() {
        let options = SpawnOptions::default().no_dirs().clear_env();
        assert_eq!(SpawnOptions::decode(&options.encode()), Ok(options));
        let some = SpawnOptions::default().no_dirs().dir(DirGrant::new("/a")).clear_env().env("A", "1");
        assert_eq!(SpawnOptions::decode(&some.encode()), Ok(some));
    }

    #[test]
    fn the_empty_block_is_the_default() {
        assert_eq!(SpawnOptions::decode(&[]), Ok(SpawnOptions::default()));
        assert!(SpawnOptions::default().encode().is_empty());
    }

    #[test]
    fn the_block_reads_as_the_abi_document_writes_it() {
        let mut block = record(OPT_MAX_MEMORY, &65_536u64.to_le_bytes());
        block.extend(record(OPT_DENY_SPAWN, &[]));
        block.extend(record(OPT_DIR, b"\x01/data"));
        block.extend(record(OPT_ENV, b"LANG=C"));
        let options = SpawnOptions::decode(&block).unwrap();
        assert_eq!(options.max_memory, Some(65_536));
        assert!(options.deny_spawn && !options.deny_print);
        assert_eq!(options.dirs, Some(vec![DirGrant::read_only("/data")]));
        assert_eq!(options.env, Some(vec![("LANG".to_string(), "C".to_string())]));
    }

    #[test]
    fn malformed_blocks_are_refused() {
        let limit = record(OPT_MAX_MEMORY, &1u64.to_le_bytes());
        let cases: Vec<(Vec<u8>, OptionsError)> = vec![
            (vec![1, 0, 0], OptionsError::Truncated { at: 0 }),
            (limit[..12].to_vec(), OptionsError::Truncated { at: 0 }),
            ([&limit[..], &[0xff; 8]].concat(), OptionsError::Truncated { at: 16 }),
            (record(99, &[]), OptionsError::UnknownKey { key: 99, at: 0 }),
            (record(0, &[]), OptionsError::UnknownKey { key: 0, at: 0 }),
            (record(OPT_MAX_MEMORY, &[1, 2, 3, 4]), OptionsError::BadLength { key: 1, len: 4, at: 0 }),
            (record(OPT_DENY_SPAWN, &[0]), OptionsError::BadLength { key: 4, len: 1, at: 0 }),
            (record(OPT_DIR, &[0]), OptionsError::BadLength { key: 6, len: 1, at: 0 }),
            (record(OPT_DIR, &[]), OptionsError::BadLength { key: 6, len: 0, at: 0 }),
        ];
        for (block, expected) in cases {
            assert_eq!(SpawnOptions::decode(&block), Err(expected), "block {block:?}");
        }
        let bad_value = |block: &[u8]| matches!(SpawnOptions::decode(block), Err(OptionsError::BadValue { .. }));
        assert!(bad_value(&record(OPT_DIR, b"\x02/a")), "a read-only byte of 2");
        assert!(bad_value(&record(OPT_DIR, b"\x00\xff")), "a path that is not UTF-8");
        assert!(bad_value(&record(OPT_ENV, b"NOEQUALS")), "an entry without =");
        assert!(bad_value(&record(OPT_ENV, b"=value")), "an empty name");
        assert!(bad_value(&record(OPT_ENV, b"A=\0")), "a NUL byte");
        assert!(bad_value(&[&limit[..], &limit[..]].concat()), "a limit twice");
    }

    #[test]
    fn a_length_past_the_end_of_the_address_space_is_truncation() {
        let mut block = OPT_ENV.to_le_bytes().to_vec();
        block.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(SpawnOptions::decode(&block), Err(OptionsError::Truncated { at: 0 }));
    }

    #[test]
    fn huge_limits_saturate() {
        let options = SpawnOptions::decode(&record(OPT_MAX_MEMORY, &u64::MAX.to_le_bytes())).unwrap();
        assert_eq!(options.max_memory, Some(usize::MAX));
    }
}
