//! Where nodes' control sockets live: a per-user runtime directory
//! (`$XDG_RUNTIME_DIR/warren/`, else `/tmp/warren-$UID/`), mode 0700 and
//! owned by the user, so only the user who started a node can drive it. A
//! node's socket is `NAME.sock` there. A socket whose node died (connecting
//! is refused) is stale: whoever finds it removes it.

use anyhow::{Context, Result, anyhow, bail};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

/// Longest node name (a socket path must fit `sun_path`, 108 bytes).
const MAX_NAME: usize = 64;

/// The runtime directory, created (0700) if missing; refused if another
/// user owns it or others may enter it.
pub fn runtime_dir() -> Result<PathBuf> {
    let dir = match std::env::var_os("XDG_RUNTIME_DIR").filter(|dir| !dir.is_empty()) {
        Some(base) => PathBuf::from(base).join("warren"),
        // SAFETY: getuid has no preconditions and cannot fail.
        None => std::env::temp_dir().join(format!("warren-{}", unsafe { libc::getuid() })),
    };
    match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => {}
        Err(error) if error.kind() == ErrorKind::AlreadyExists => {}
        Err(error) => {
            return Err(error).with_context(|| format!("cannot create the runtime directory {}", dir.display()));
        }
    }
    let meta = std::fs::symlink_metadata(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
    // SAFETY: as above.
    let uid = unsafe { libc::getuid() };
    if !meta.is_dir() {
        bail!("the runtime directory {} is not a directory", dir.display());
    }
    if meta.uid() != uid {
        bail!(
            "the runtime directory {} belongs to another user (uid {}): refusing to use it",
            dir.display(),
            meta.uid()
        );
    }
    if meta.permissions().mode() & 0o077 != 0 {
        bail!(
            "the runtime directory {} is open to other users (mode {:o}): refusing to use it (chmod 700 it)",
            dir.display(),
            meta.permissions().mode() & 0o777
        );
    }
    Ok(dir)
}

/// Checks a node name: letters, digits, `_`, `-` and `.` (not first), at
/// most 64 of them.
pub fn check_name(name: &str) -> Result<()> {
    let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
    if name.is_empty() || name.len() > MAX_NAME || !name.chars().all(fine) || name.starts_with('.') {
        bail!("`{name}` is not a node name: use up to {MAX_NAME} letters, digits, `_`, `-` and `.` (not first)");
    }
    Ok(())
}

/// The socket of node `name`.
pub fn socket_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.sock"))
}

/// What a look at a node's socket found.
pub enum Probe {
    /// A node listens on it.
    Live(UnixStream),
    /// No node listens: the socket was stale, and is removed now.
    Stale,
    /// No such socket.
    Missing,
}

/// Connects to `socket`; a stale one is removed.
pub fn probe(socket: &Path) -> Result<Probe> {
    match UnixStream::connect(socket) {
        Ok(stream) => Ok(Probe::Live(stream)),
        Err(error) if error.kind() == ErrorKind::NotFound => Ok(Probe::Missing),
        Err(error) if error.kind() == ErrorKind::ConnectionRefused => match std::fs::remove_file(socket) {
            Ok(()) => Ok(Probe::Stale),
            Err(error) if error.kind() == ErrorKind::NotFound => Ok(Probe::Missing),
            Err(error) => Err(error).with_context(|| format!("cannot remove the stale socket {}", socket.display())),
        },
        Err(error) => Err(error).with_context(|| format!("cannot connect to {}", socket.display())),
    }
}

/// The names of the sockets in the runtime directory, sorted.
pub fn socket_names(dir: &Path) -> Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let entry = entry?;
        let file = entry.file_name();
        if let Some(name) = file.to_str().and_then(|f| f.strip_suffix(".sock")) {
            names.push(name.to_string());
        }
    }
    names.sort();
    Ok(names)
}

/// A running node's name, and a connection to it.
pub type LiveNode = (String, UnixStream);

/// The nodes running now (each socket probed; stale ones removed, and
/// returned second).
pub fn running_nodes(dir: &Path) -> Result<(Vec<LiveNode>, Vec<String>)> {
    let mut live = Vec::new();
    let mut stale = Vec::new();
    for name in socket_names(dir)? {
        match probe(&socket_path(dir, &name))? {
            Probe::Live(stream) => live.push((name, stream)),
            Probe::Stale => stale.push(name),
            Probe::Missing => {}
        }
    }
    Ok((live, stale))
}

/// Connects to node `name`, or to the only node running if `name` is
/// `None`. Errors name the cause: no such node (listing those running), a
/// stale socket (removed), several nodes and none named.
pub fn connect(name: Option<&str>) -> Result<(String, UnixStream)> {
    let dir = runtime_dir()?;
    if let Some(name) = name {
        check_name(name)?;
        return match probe(&socket_path(&dir, name))? {
            Probe::Live(stream) => Ok((name.to_string(), stream)),
            Probe::Stale => Err(anyhow!("node `{name}` is not running (its stale socket was removed)")),
            Probe::Missing => {
                let (live, _) = running_nodes(&dir)?;
                Err(anyhow!("no node named `{name}` is running{}", running_list(&live)))
            }
        };
    }
    let (mut live, stale) = running_nodes(&dir)?;
    let cleaned = if stale.is_empty() {
        String::new()
    } else {
        format!(" (stale socket{} removed: {})", if stale.len() == 1 { "" } else { "s" }, stale.join(", "))
    };
    match live.len() {
        0 => Err(anyhow!("no node is running{cleaned}")),
        1 => Ok(live.remove(0)),
        _ => Err(anyhow!("several nodes are running{}: pick one with --node NAME", running_list(&live))),
    }
}

fn running_list(live: &[LiveNode]) -> String {
    if live.is_empty() {
        " (none is)".to_string()
    } else {
        format!(" (running: {})", live.iter().map(|(name, _)| name.as_str()).collect::<Vec<_>>().join(", "))
    }
}

/// Makes a socket file readable and writable by its owner only.
pub fn restrict(socket: &Path) -> Result<()> {
    std::fs::set_permissions(socket, std::fs::Permissions::from_mode(0o600))
        .with_context(|| format!("cannot set the mode of {}", socket.display()))
}
