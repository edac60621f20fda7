//! What a process may do and see, and its limits. Spawned processes
//! inherit their parent's, narrowed by the spawn's options
//! ([`Capabilities::narrowed`]): never widened.

use crate::base::config::NodeConfig;
use crate::base::options::{OptionsError, Preopen, SpawnOptions};

/// What a process may do and see, and its limits. Spawned processes
/// inherit their parent's, narrowed by the spawn's options.
///
/// The limits are the process's own effective values. A spawn holds them to
/// the node's ([`NodeConfig::max_memory`], `max_fuel`, `max_mailbox`), so
/// capabilities made by hand with larger ones get the node's.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Capabilities {
    /// May it spawn processes?
    pub may_spawn: bool,
    /// May it print (WASI stdout and stderr)? Without it, writes to fds 1
    /// and 2 fail with `EBADF` and print nothing.
    pub may_print: bool,
    /// Arguments seen through WASI `args_get`.
    pub args: Vec<String>,
    /// Environment seen through WASI `environ_get`.
    pub env: Vec<(String, String)>,
    /// Prefix each line of stdout/stderr with the pid.
    pub tag_output: bool,
    /// Host directories it sees through WASI (fds 3 and up, in this order).
    pub dirs: Vec<Preopen>,
    /// Largest linear memory, in bytes.
    pub max_memory: usize,
    /// Total fuel it may use over its life (`None`: no limit).
    pub max_fuel: Option<u64>,
    /// Most messages its mailbox may hold (`None`: no limit).
    pub max_mailbox: Option<usize>,
}

/// The least a process may do: no spawning, no printing, no directory, no
/// arguments or environment, and the node's limits.
impl Default for Capabilities {
    fn default() -> Capabilities {
        Capabilities {
            may_spawn: false,
            may_print: false,
            args: Vec::new(),
            env: Vec::new(),
            tag_output: false,
            dirs: Vec::new(),
            max_memory: usize::MAX,
            max_fuel: None,
            max_mailbox: None,
        }
    }
}

impl Capabilities {
    /// Everything a process may do on a node: spawn, print, and see these
    /// arguments and environment (no directory; the node's limits).
    pub fn full(args: Vec<String>, env: Vec<(String, String)>) -> Capabilities {
        Capabilities { may_spawn: true, may_print: true, args, env, ..Capabilities::default() }
    }

    /// What the processes the host spawns get on a node of `config`:
    /// everything, with its arguments, environment, directories, output
    /// tagging and limits.
    pub fn of_node(config: &NodeConfig) -> Capabilities {
        Capabilities {
            tag_output: config.tag_output,
            dirs: config.dirs.clone(),
            max_memory: config.max_memory,
            max_fuel: config.max_fuel,
            max_mailbox: config.max_mailbox,
            ..Capabilities::full(config.args.clone(), config.env.clone())
        }
    }

    /// The same capabilities, with spawning allowed or not.
    #[must_use]
    pub fn may_spawn(mut self, may_spawn: bool) -> Capabilities {
        self.may_spawn = may_spawn;
        self
    }

    /// The same capabilities, with printing allowed or not.
    #[must_use]
    pub fn may_print(mut self, may_print: bool) -> Capabilities {
        self.may_print = may_print;
        self
    }

    /// The same capabilities, with output lines tagged with the pid or not.
    #[must_use]
    pub fn tag_output(mut self, tag_output: bool) -> Capabilities {
        self.tag_output = tag_output;
        self
    }

    /// The same capabilities, seeing `dir` too.
    #[must_use]
    pub fn dir(mut self, dir: Preopen) -> Capabilities {
        self.dirs.push(dir);
        self
    }

    /// What a child gets: these capabilities narrowed by `options`. Limits
    /// become the smaller of these and the ones asked; `deny_spawn` and
    /// `deny_print` only take rights away; `dirs` keeps only the named
    /// directories (by guest path), read-only if asked or if these have it
    /// read-only; `env` replaces the environment. Nothing widens.
    ///
    /// Errors: [`OptionsError::UnknownDir`] for a directory these do not
    /// have.
    pub fn narrowed(&self, options: &SpawnOptions) -> Result<Capabilities, OptionsError> {
        let dirs = match &options.dirs {
            None => self.dirs.clone(),
            Some(grants) => {
                let mut kept: Vec<Preopen> = Vec::with_capacity(grants.len());
                for grant in grants {
                    let Some(dir) = self.dirs.iter().find(|dir| dir.guest == grant.guest) else {
                        return Err(OptionsError::UnknownDir { guest: grant.guest.clone() });
                    };
                    let read_only = dir.read_only || grant.read_only;
                    // A path named twice is kept once, read-only if either
                    // grant asks.
                    match kept.iter_mut().find(|kept| kept.guest == grant.guest) {
                        Some(kept) => kept.read_only |= read_only,
                        None => kept.push(Preopen { read_only, ..dir.clone() }),
                    }
                }
                kept
            }
        };
        Ok(Capabilities {
            may_spawn: self.may_spawn && !options.deny_spawn,
            may_print: self.may_print && !options.deny_print,
            args: self.args.clone(),
            env: options.env.clone().unwrap_or_else(|| self.env.clone()),
            tag_output: self.tag_output,
            dirs,
            max_memory: options.max_memory.map_or(self.max_memory, |asked| asked.min(self.max_memory)),
            max_fuel: narrower(self.max_fuel, options.max_fuel),
            max_mailbox: narrower(self.max_mailbox, options.max_mailbox),
        })
    }

    /// Whether its limits are within the node's of `config` (so a spawn
    /// keeps these capabilities as they are).
    pub(crate) fn within(&self, config: &NodeConfig) -> bool {
        self.max_memory <= config.max_memory
            && narrower(self.max_fuel, config.max_fuel) == self.max_fuel
            && narrower(self.max_mailbox, config.max_mailbox) == self.max_mailbox
    }

    /// The same capabilities, with limits held to the node's of `config`.
    pub(crate) fn held_to(&self, config: &NodeConfig) -> Capabilities {
        Capabilities {
            max_memory: self.max_memory.min(config.max_memory),
            max_fuel: narrower(self.max_fuel, config.max_fuel),
            max_mailbox: narrower(self.max_mailbox, config.max_mailbox),
            ..self.clone()
        }
    }
}

/// The smaller of two optional limits (`None`: no limit).
fn narrower<T: Ord>(a: Option<T>, b: Option<T>) -> Option<T> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::Capabilities;
    use crate::base::config::NodeConfig;
    use crate::base::options::{DirGrant, OptionsError, Preopen, SpawnOptions};

    fn parent() -> Capabilities {
        let config = NodeConfig::default()
            .max_memory(1 << 20)
            .max_fuel(Some(1_000))
            .dir(Preopen::new("/tmp/a", "/a"))
            .dir(Preopen::read_only("/tmp/b", "/b"));
        Capabilities::of_node(&config)
    }

    #[test]
    fn limits_become_the_smaller() {
        let child =
            parent().narrowed(&SpawnOptions::default().max_memory(1 << 30).max_fuel(10).max_mailbox(5)).unwrap();
        assert_eq!(child.max_memory, 1 << 20, "asking for more memory than the parent's gets the parent's");
        assert_eq!(child.max_fuel, Some(10));
        assert_eq!(child.max_mailbox, Some(5), "no limit narrowed to one");
        let grandchild = child.narrowed(&SpawnOptions::default().max_fuel(50).max_mailbox(9)).unwrap();
        assert_eq!((grandchild.max_fuel, grandchild.max_mailbox), (Some(10), Some(5)));
    }

    #[test]
    fn rights_are_only_taken_away() {
        let child = parent().narrowed(&SpawnOptions::default().deny_spawn().deny_print()).unwrap();
        assert!(!child.may_spawn && !child.may_print);
        let grandchild = child.narrowed(&SpawnOptions::default()).unwrap();
        assert!(!grandchild.may_spawn && !grandchild.may_print, "a child cannot get back what its parent lost");
    }

    #[test]
    fn directories_are_kept_by_guest_path_and_never_widened() {
        let parent = parent();
        assert_eq!(parent.narrowed(&SpawnOptions::default()).unwrap().dirs, parent.dirs);
        let child = parent.narrowed(&SpawnOptions::default().dir(DirGrant::new("/b"))).unwrap();
        assert_eq!(child.dirs, vec![Preopen::read_only("/tmp/b", "/b")], "the parent's read-only stays read-only");
        let child = parent.narrowed(&SpawnOptions::default().dir(DirGrant::read_only("/a"))).unwrap();
        assert_eq!(child.dirs, vec![Preopen::read_only("/tmp/a", "/a")]);
        let twice = SpawnOptions::default().dir(DirGrant::new("/a")).dir(DirGrant::read_only("/a"));
        assert_eq!(parent.narrowed(&twice).unwrap().dirs, vec![Preopen::read_only("/tmp/a", "/a")]);
        assert!(parent.narrowed(&SpawnOptions::default().no_dirs()).unwrap().dirs.is_empty());
        let unknown = parent.narrowed(&SpawnOptions::default().dir(DirGrant::new("/tmp/a")));
        assert_eq!(unknown.unwrap_err(), OptionsError::UnknownDir { guest: "/tmp/a".into() });
    }

    #[test]
    fn the_environment_is_replaced() {
        let parent = Capabilities::full(vec!["x".into()], vec![("A".into(), "1".into())]);
        let child = parent.narrowed(&SpawnOptions::default().env("B", "2")).unwrap();
        assert_eq!(child.env, vec![("B".to_string(), "2".to_string())]);
        assert_eq!(child.args, parent.args);
        assert!(parent.narrowed(&SpawnOptions::default().clear_env()).unwrap().env.is_empty());
    }

    #[test]
    fn capabilities_are_held_to_the_node() {
        let config = NodeConfig::default().max_memory(1 << 20).max_mailbox(Some(3));
        let caps = Capabilities::full(Vec::new(), Vec::new());
        assert!(!caps.within(&config));
        let held = caps.held_to(&config);
        assert!(held.within(&config));
        assert_eq!((held.max_memory, held.max_fuel, held.max_mailbox), (1 << 20, None, Some(3)));
    }
}
