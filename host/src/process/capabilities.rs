//! What a process may do and see. Spawned processes inherit their parent's.

/// What a process may do and see. Spawned processes inherit their parent's.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct Capabilities {
    /// May it spawn processes?
    pub may_spawn: bool,
    /// Arguments seen through WASI `args_get`.
    pub args: Vec<String>,
    /// Environment seen through WASI `environ_get`.
    pub env: Vec<(String, String)>,
    /// Prefix each line of stdout/stderr with the pid.
    pub tag_output: bool,
}

impl Capabilities {
    /// Everything a process may do on a node: spawn, and see these
    /// arguments and environment.
    pub fn full(args: Vec<String>, env: Vec<(String, String)>) -> Capabilities {
        Capabilities { may_spawn: true, args, env, tag_output: false }
    }

    /// The same capabilities, with spawning allowed or not.
    #[must_use]
    pub fn may_spawn(mut self, may_spawn: bool) -> Capabilities {
        self.may_spawn = may_spawn;
        self
    }

    /// The same capabilities, with output lines tagged with the pid or not.
    #[must_use]
    pub fn tag_output(mut self, tag_output: bool) -> Capabilities {
        self.tag_output = tag_output;
        self
    }
}

// MERGE-PLACEHOLDER: replaced by branch `caps`.
impl Capabilities {
    pub(crate) fn narrowed(&self, _options: &crate::base::options::SpawnOptions) -> Result<Capabilities, String> {
        Err("options not merged yet".into())
    }
}
