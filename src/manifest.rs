//! Applications from a manifest: `warren run app.toml`.
//!
//! A manifest is a TOML file naming the modules to load (`[modules]`), the
//! node's options (`[node]`, the CLI's option names) and the root
//! supervision tree (`[supervisor]` and its `[[supervisor.children]]`, with
//! the fields of the ABI's child spec). README.md ("Manifests") documents
//! the format.
//!
//! A manifest is checked whole before anything starts, in two steps:
//! [`Manifest::read`] checks everything that needs no node (the TOML, the
//! keys, the values, the tree's shape, that the module files exist), and
//! [`Manifest::load_modules`] loads the modules on the node and checks that
//! every entry a child starts on is exported. Each step reports every
//! problem it found, each with the manifest's line and the key's path
//! (`supervisor.children[1].strategy`).

use crate::control::server::ControlServer;
use crate::signals::StopSignals;
use crate::size::parse_size;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::io::Write;
use std::num::NonZeroUsize;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;
use toml::Spanned;
use toml::de::{DeTable, DeValue};
use warren_host::{
    AutoShutdown, ChildSpec, DirGrant, ExitReason, Node, NodeConfig, Pid, Preopen, Restart, Shutdown, SpawnOptions,
    Strategy, SupervisorError, SupervisorFlags, SupervisorSpec,
};

/// Whether `path` names a manifest rather than a module: its extension is
/// `.toml`.
pub fn is_manifest(path: &Path) -> bool {
    path.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("toml"))
}

/// One thing wrong with a manifest: where, and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The line (from 1) of the key or value at fault, when known.
    pub line: Option<usize>,
    /// The key's path, as `supervisor.children[1].strategy` (empty when
    /// the problem is the whole document's).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// A manifest that cannot run: every problem found, in line order.
#[derive(Debug)]
pub struct ManifestError {
    /// The manifest file.
    pub file: PathBuf,
    /// What is wrong with it (at least one problem).
    pub problems: Vec<Problem>,
}

impl ManifestError {
    fn new(file: &Path, mut problems: Vec<Problem>) -> ManifestError {
        problems.sort_by_key(|problem| problem.line.unwrap_or(0));
        ManifestError { file: file.to_path_buf(), problems }
    }

    fn write_problem(&self, f: &mut fmt::Formatter<'_>, problem: &Problem) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = problem.line {
            write!(f, ":{line}")?;
        }
        if !problem.path.is_empty() {
            write!(f, ": {}", problem.path)?;
        }
        write!(f, ": {}", problem.message)
    }
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.as_slice() {
            [one] => self.write_problem(f, one),
            problems => {
                write!(f, "{}: {} problems", self.file.display(), problems.len())?;
                for problem in problems {
                    write!(f, "\n  ")?;
                    self.write_problem(f, problem)?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for ManifestError {}

/// The `[node]` options a manifest sets (`None`: not set). The names are
/// the CLI's; a CLI option given as well wins ([`NodeSettings::apply`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeSettings {
    /// `schedulers`: scheduler threads.
    pub schedulers: Option<NonZeroUsize>,
    /// `reductions`: fuel per time slice.
    pub reductions: Option<u64>,
    /// `max_processes`: most processes alive at once.
    pub max_processes: Option<u32>,
    /// `max_mailbox`: most messages a process may have queued.
    pub max_mailbox: Option<u64>,
    /// `max_memory`: largest linear memory of a process, in bytes.
    pub max_memory: Option<usize>,
    /// `max_host_memory`: most memory the node holds for its guests.
    pub max_host_memory: Option<usize>,
    /// `layout`: `dense` or `guarded`.
    pub layout: Option<crate::Layout>,
    /// `hibernate_after`: milliseconds.
    pub hibernate_after: Option<u64>,
    /// `tag_output`: prefix each printed line with its process's pid.
    pub tag_output: Option<bool>,
    /// `env`: the environment processes see.
    pub env: Option<Vec<(String, String)>>,
    /// `args`: the arguments processes see after argv[0] (the manifest).
    pub args: Option<Vec<String>>,
    /// `log`: the log filter.
    pub log: Option<String>,
    /// `dirs`: host directories the node's processes see through WASI
    /// (the root supervisor's, inherited by its children, each narrowed by
    /// its spec's `dirs`).
    pub dirs: Vec<NodeDir>,
}

/// A host directory a manifest's `[node] dirs` preopens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeDir {
    /// The directory on the host (relative paths are the manifest
    /// directory's).
    pub host: PathBuf,
    /// Where processes find it (default: `host` as written).
    pub guest: String,
    /// Whether processes may only read it.
    pub read_only: bool,
}

impl NodeSettings {
    /// The node's options: these settings over the defaults, and over
    /// both, every option `cli` has that was given on the command line
    /// (`given` tells by the option's id, its field name in `NodeArgs`).
    pub fn apply(&self, cli: crate::NodeArgs, given: impl Fn(&str) -> bool) -> crate::NodeArgs {
        // The command line's value if given there, else the manifest's if
        // it has one, else the command line's default.
        fn pick<T>(given: bool, cli: T, manifest: Option<T>) -> T {
            if given { cli } else { manifest.unwrap_or(cli) }
        }
        crate::NodeArgs {
            schedulers: pick(given("schedulers"), cli.schedulers, self.schedulers.map(Some)),
            reductions: pick(given("reductions"), cli.reductions, self.reductions),
            max_processes: pick(given("max_processes"), cli.max_processes, self.max_processes),
            max_mailbox: pick(given("max_mailbox"), cli.max_mailbox, self.max_mailbox.map(Some)),
            max_memory: pick(given("max_memory"), cli.max_memory, self.max_memory),
            max_host_memory: pick(given("max_host_memory"), cli.max_host_memory, self.max_host_memory.map(Some)),
            layout: pick(given("layout"), cli.layout, self.layout),
            hibernate_after: pick(given("hibernate_after"), cli.hibernate_after, self.hibernate_after.map(Some)),
            tag_output: pick(given("tag_output"), cli.tag_output, self.tag_output),
            env: pick(given("env"), cli.env, self.env.clone()),
            log: pick(given("log"), cli.log, self.log.clone().map(Some)),
            // A debugging switch of the command line only.
            perf_map: cli.perf_map,
        }
    }
}

/// A module the manifest loads.
#[derive(Clone, Debug)]
struct ModuleFile {
    /// Its name on the node.
    name: String,
    /// Its file (relative paths are the manifest directory's).
    file: PathBuf,
    /// Where `[modules]` names it.
    line: Option<usize>,
}

/// A worker's start: the module and the export it names, for the check
/// once the modules are loaded.
#[derive(Clone, Debug)]
struct EntryUse {
    module: String,
    entry: String,
    line: Option<usize>,
    path: String,
    /// Whether the manifest named the entry (else it is the default).
    named: bool,
}

/// A manifest, read and checked: what [`Manifest::load_modules`] and the
/// run need.
#[derive(Clone, Debug)]
pub struct Manifest {
    /// The manifest file.
    pub file: PathBuf,
    /// Its `[node]` options.
    pub node: NodeSettings,
    /// The root supervisor.
    pub supervisor: SupervisorSpec,
    modules: Vec<ModuleFile>,
    entries: Vec<EntryUse>,
}

/// The entry a worker starts on when its child spec names none.
pub const DEFAULT_ENTRY: &str = "main";

impl Manifest {
    /// Reads the manifest `file` and checks all that can be checked
    /// without a node.
    pub fn read(file: &Path) -> Result<Manifest, ManifestError> {
        let text = std::fs::read_to_string(file).map_err(|error| {
            ManifestError::new(
                file,
                vec![Problem {
                    line: None,
                    path: String::new(),
                    message: format!("cannot read the manifest: {error}"),
                }],
            )
        })?;
        let dir = file.parent().unwrap_or(Path::new("."));
        Manifest::parse(file, &text, dir)
    }

    /// Checks the manifest `text` (read from `file`; module files are
    /// relative to `dir`).
    pub fn parse(file: &Path, text: &str, dir: &Path) -> Result<Manifest, ManifestError> {
        let raw: RawManifest = toml::from_str(text).map_err(|error| {
            let span = error.span();
            let problem = Problem {
                line: span.as_ref().map(|span| line_of(text, span.start)),
                path: span.map(|span| path_at(text, span.start)).unwrap_or_default(),
                message: error.message().trim_end().to_string(),
            };
            ManifestError::new(file, vec![problem])
        })?;
        let mut checker = Checker { text, dir, problems: Vec::new(), modules: BTreeSet::new(), entries: Vec::new() };
        let node = checker.node(&raw.node);
        let modules = checker.modules(&raw.modules);
        let supervisor = match &raw.supervisor {
            Some(supervisor) => {
                let fields = supervisor.get_ref();
                checker.supervisor(&fields.flags(), &fields.children, supervisor.span(), "supervisor")
            }
            None => {
                checker.problems.push(Problem {
                    line: None,
                    path: "supervisor".into(),
                    message: "missing: a manifest has a [supervisor] table, the root supervisor, \
                              and its [[supervisor.children]]"
                        .into(),
                });
                SupervisorSpec::default()
            }
        };
        if checker.problems.is_empty() {
            // The host's own rules, should they ask more than the checks
            // above (a problem then has no line).
            if let Err(error) = supervisor.validate() {
                checker.problems.push(Problem { line: None, path: "supervisor".into(), message: error.to_string() });
            }
        }
        if !checker.problems.is_empty() {
            return Err(ManifestError::new(file, checker.problems));
        }
        Ok(Manifest { file: file.to_path_buf(), node, supervisor, modules, entries: checker.entries })
    }

    /// Loads the manifest's modules on `node` under their names, and checks
    /// that each export a worker starts on is there.
    pub fn load_modules(&self, node: &Node) -> Result<(), ManifestError> {
        let mut problems = Vec::new();
        let mut loaded = HashMap::new();
        for module in &self.modules {
            match node.load_file_as(&module.name, &module.file) {
                Ok(handle) => {
                    loaded.insert(module.name.clone(), handle);
                }
                Err(error) => problems.push(Problem {
                    line: module.line,
                    path: key_path("modules", &module.name),
                    message: format!("cannot load `{}`: {error}", module.file.display()),
                }),
            }
        }
        for entry in &self.entries {
            // A module that did not load has its own problem already.
            let Some(module) = loaded.get(&entry.module) else { continue };
            if !module.has_entry(&entry.entry) {
                let exports = module.entries();
                let listed =
                    if exports.is_empty() { String::new() } else { format!(" (it exports: {})", exports.join(", ")) };
                let default =
                    if entry.named { "" } else { " (the default entry: name the export with `entry = \"...\"`)" };
                problems.push(Problem {
                    line: entry.line,
                    path: entry.path.clone(),
                    message: format!(
                        "module `{}` has no exported function `{}` to start on{default}{listed}",
                        entry.module, entry.entry
                    ),
                });
            }
        }
        if problems.is_empty() { Ok(()) } else { Err(ManifestError::new(&self.file, problems)) }
    }
}

// ------------------------------------------------------------ raw TOML
// What serde reads: every key of the format, unknown keys refused, each
// value kept with its span for the checks below.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    #[serde(default)]
    node: RawNode,
    #[serde(default)]
    modules: BTreeMap<Spanned<String>, Spanned<String>>,
    supervisor: Option<Spanned<RawSupervisor>>,
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNode {
    schedulers: Option<Spanned<i64>>,
    reductions: Option<Spanned<i64>>,
    max_processes: Option<Spanned<i64>>,
    max_mailbox: Option<Spanned<i64>>,
    max_memory: Option<Spanned<toml::Value>>,
    max_host_memory: Option<Spanned<toml::Value>>,
    layout: Option<Spanned<String>>,
    hibernate_after: Option<Spanned<i64>>,
    tag_output: Option<bool>,
    env: Option<BTreeMap<Spanned<String>, String>>,
    args: Option<Vec<String>>,
    log: Option<String>,
    dirs: Option<Vec<Spanned<RawNodeDir>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNodeDir {
    host: Spanned<String>,
    guest: Option<Spanned<String>>,
    #[serde(default)]
    read_only: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSupervisor {
    strategy: Option<Spanned<String>>,
    intensity: Option<Spanned<i64>>,
    period: Option<Spanned<i64>>,
    auto_shutdown: Option<Spanned<String>>,
    max_children: Option<Spanned<i64>>,
    #[serde(default)]
    children: Vec<Spanned<RawChild>>,
}

impl RawSupervisor {
    fn flags(&self) -> RawFlags<'_> {
        RawFlags {
            strategy: self.strategy.as_ref(),
            intensity: self.intensity.as_ref(),
            period: self.period.as_ref(),
            auto_shutdown: self.auto_shutdown.as_ref(),
            max_children: self.max_children.as_ref(),
        }
    }
}

/// A supervisor's flag keys, the root's or a supervisor child's.
struct RawFlags<'r> {
    strategy: Option<&'r Spanned<String>>,
    intensity: Option<&'r Spanned<i64>>,
    period: Option<&'r Spanned<i64>>,
    auto_shutdown: Option<&'r Spanned<String>>,
    max_children: Option<&'r Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChild {
    id: Option<Spanned<String>>,
    #[serde(rename = "type")]
    kind: Option<Spanned<String>>,
    // A worker's start.
    module: Option<Spanned<String>>,
    entry: Option<Spanned<String>>,
    arg: Option<Spanned<String>>,
    arg_hex: Option<Spanned<String>>,
    // Any child's.
    restart: Option<Spanned<String>>,
    shutdown: Option<Spanned<toml::Value>>,
    significant: Option<Spanned<bool>>,
    ack_timeout: Option<Spanned<i64>>,
    // Its limits and capabilities.
    max_memory: Option<Spanned<toml::Value>>,
    max_fuel: Option<Spanned<i64>>,
    max_mailbox: Option<Spanned<i64>>,
    spawn: Option<Spanned<bool>>,
    print: Option<Spanned<bool>>,
    env: Option<BTreeMap<Spanned<String>, String>>,
    dirs: Option<Vec<Spanned<RawDir>>>,
    // A supervisor child's.
    strategy: Option<Spanned<String>>,
    intensity: Option<Spanned<i64>>,
    period: Option<Spanned<i64>>,
    auto_shutdown: Option<Spanned<String>>,
    max_children: Option<Spanned<i64>>,
    children: Option<Vec<Spanned<RawChild>>>,
}

impl RawChild {
    fn flags(&self) -> RawFlags<'_> {
        RawFlags {
            strategy: self.strategy.as_ref(),
            intensity: self.intensity.as_ref(),
            period: self.period.as_ref(),
            auto_shutdown: self.auto_shutdown.as_ref(),
            max_children: self.max_children.as_ref(),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDir {
    guest: Spanned<String>,
    #[serde(default)]
    read_only: bool,
}

// ------------------------------------------------------------- checks

/// Turns the raw TOML into specs, collecting every problem.
struct Checker<'t> {
    text: &'t str,
    /// The manifest's directory, which relative paths start from.
    dir: &'t Path,
    problems: Vec<Problem>,
    /// The modules `[modules]` names.
    modules: BTreeSet<String>,
    entries: Vec<EntryUse>,
}

const STRATEGIES: &[(&str, Strategy)] = &[
    ("one_for_one", Strategy::OneForOne),
    ("one_for_all", Strategy::OneForAll),
    ("rest_for_one", Strategy::RestForOne),
    ("simple_one_for_one", Strategy::SimpleOneForOne),
];

const AUTO_SHUTDOWNS: &[(&str, AutoShutdown)] = &[
    ("never", AutoShutdown::Never),
    ("any_significant", AutoShutdown::AnySignificant),
    ("all_significant", AutoShutdown::AllSignificant),
];

const RESTARTS: &[(&str, Restart)] =
    &[("permanent", Restart::Permanent), ("transient", Restart::Transient), ("temporary", Restart::Temporary)];

const LAYOUTS: &[(&str, crate::Layout)] = &[("dense", crate::Layout::Dense), ("guarded", crate::Layout::Guarded)];

/// A child's kind, its `type`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Worker,
    Supervisor,
}

const KINDS: &[(&str, Kind)] = &[("worker", Kind::Worker), ("supervisor", Kind::Supervisor)];

impl Checker<'_> {
    fn line(&self, span: &Range<usize>) -> Option<usize> {
        Some(line_of(self.text, span.start))
    }

    fn problem(&mut self, span: Range<usize>, path: &str, message: impl Into<String>) {
        let line = self.line(&span);
        self.problems.push(Problem { line, path: path.to_string(), message: message.into() });
    }

    /// One of `choices`, by name.
    fn choice<T: Copy>(&mut self, value: &Spanned<String>, path: &str, choices: &[(&str, T)]) -> Option<T> {
        let found = choices.iter().find(|(name, _)| *name == value.get_ref()).map(|&(_, choice)| choice);
        if found.is_none() {
            let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
            self.problem(
                value.span(),
                path,
                format!("unknown value \"{}\"; expected one of: {}", value.get_ref(), names.join(", ")),
            );
        }
        found
    }

    /// An integer within `min..=max`.
    fn integer(&mut self, value: &Spanned<i64>, path: &str, min: i64, max: i64, unit: &str) -> Option<i64> {
        let number = *value.get_ref();
        if (min..=max).contains(&number) {
            return Some(number);
        }
        let range =
            if max == i64::MAX { format!("at least {min}{unit}") } else { format!("from {min} to {max}{unit}") };
        self.problem(value.span(), path, format!("{number} is out of range: it must be {range}"));
        None
    }

    fn u64_at_least(&mut self, value: &Spanned<i64>, path: &str, min: i64, unit: &str) -> Option<u64> {
        self.integer(value, path, min, i64::MAX, unit).and_then(|n| u64::try_from(n).ok())
    }

    fn u32_at_least(&mut self, value: &Spanned<i64>, path: &str, min: i64) -> Option<u32> {
        self.integer(value, path, min, i64::from(u32::MAX), "").and_then(|n| u32::try_from(n).ok())
    }

    /// A size: bytes as an integer, or text such as `"64MiB"`.
    fn size(&mut self, value: &Spanned<toml::Value>, path: &str) -> Option<usize> {
        let parsed = match value.get_ref() {
            toml::Value::Integer(bytes) if *bytes >= 1 => usize::try_from(*bytes).map_err(|_| "too large".to_string()),
            toml::Value::Integer(bytes) => Err(format!("{bytes} is out of range: a size is at least 1 byte")),
            toml::Value::String(text) => match parse_size(text) {
                Ok(0) => Err("a size is at least 1 byte".to_string()),
                other => other,
            },
            other => Err(format!(
                "expected a size, bytes as an integer or text such as \"64MiB\", found {}",
                other.type_str()
            )),
        };
        parsed.map_err(|message| self.problem(value.span(), path, message)).ok()
    }

    /// An environment table: keys not empty, without `=`.
    fn env(&mut self, table: &BTreeMap<Spanned<String>, String>, path: &str) -> Vec<(String, String)> {
        let mut env = Vec::new();
        for (key, value) in table {
            let name = key.get_ref();
            if name.is_empty() || name.contains('=') || name.contains('\0') {
                self.problem(
                    key.span(),
                    &key_path(path, name),
                    "an environment variable's name is not empty and has no `=`",
                );
            } else if value.contains('\0') {
                self.problem(key.span(), &key_path(path, name), "an environment variable's value has no NUL byte");
            } else {
                env.push((name.clone(), value.clone()));
            }
        }
        env
    }

    fn node(&mut self, raw: &RawNode) -> NodeSettings {
        let mut node = NodeSettings::default();
        if let Some(value) = &raw.schedulers {
            node.schedulers = self
                .integer(value, "node.schedulers", 1, 4096, "")
                .and_then(|n| usize::try_from(n).ok())
                .and_then(NonZeroUsize::new);
        }
        if let Some(value) = &raw.reductions {
            node.reductions = self.u64_at_least(value, "node.reductions", 1, "");
        }
        if let Some(value) = &raw.max_processes {
            node.max_processes = self.u32_at_least(value, "node.max_processes", 1);
        }
        if let Some(value) = &raw.max_mailbox {
            node.max_mailbox = self.u64_at_least(value, "node.max_mailbox", 1, "");
        }
        if let Some(value) = &raw.max_memory {
            node.max_memory = self.size(value, "node.max_memory");
        }
        if let Some(value) = &raw.max_host_memory {
            node.max_host_memory = self.size(value, "node.max_host_memory");
        }
        if let Some(value) = &raw.layout {
            node.layout = self.choice(value, "node.layout", LAYOUTS);
        }
        if let Some(value) = &raw.hibernate_after {
            node.hibernate_after = self.u64_at_least(value, "node.hibernate_after", 0, " (milliseconds)");
        }
        node.tag_output = raw.tag_output;
        node.env = raw.env.as_ref().map(|env| self.env(env, "node.env"));
        node.args = raw.args.clone();
        node.log = raw.log.clone();
        for (index, dir) in raw.dirs.iter().flatten().enumerate() {
            let dir = dir.get_ref();
            let path = format!("node.dirs[{index}]");
            let host = self.dir.join(dir.host.get_ref());
            if !host.is_dir() {
                self.problem(
                    dir.host.span(),
                    &format!("{path}.host"),
                    format!(
                        "no directory `{}` (looked for {}: host paths are relative to the manifest's directory)",
                        dir.host.get_ref(),
                        host.display()
                    ),
                );
                continue;
            }
            let guest = dir.guest.as_ref().map_or_else(|| dir.host.get_ref().clone(), |guest| guest.get_ref().clone());
            if guest.is_empty() {
                let span = dir.guest.as_ref().map_or_else(|| dir.host.span(), Spanned::span);
                self.problem(span, &format!("{path}.guest"), "a guest path is not empty");
                continue;
            }
            node.dirs.push(NodeDir { host, guest, read_only: dir.read_only });
        }
        node
    }

    fn modules(&mut self, raw: &BTreeMap<Spanned<String>, Spanned<String>>) -> Vec<ModuleFile> {
        let mut modules = Vec::new();
        for (name, file) in raw {
            let path = key_path("modules", name.get_ref());
            if name.get_ref().is_empty() {
                self.problem(name.span(), &path, "a module's name is not empty");
                continue;
            }
            let resolved = self.dir.join(file.get_ref());
            let line = self.line(&name.span());
            // Named, even if its file is missing: the children that use it
            // are not wrong too.
            self.modules.insert(name.get_ref().clone());
            if !resolved.is_file() {
                let shown = resolved.display().to_string();
                let looked = if Path::new(file.get_ref()).is_absolute() {
                    String::new()
                } else {
                    format!(" (looked for {shown}: module files are relative to the manifest's directory)")
                };
                self.problem(file.span(), &path, format!("module file `{}` not found{looked}", file.get_ref()));
                continue;
            }
            modules.push(ModuleFile { name: name.get_ref().clone(), file: resolved, line });
        }
        modules
    }

    /// A supervisor's spec, from its flags and children at `path` (its
    /// table's header at `span`).
    fn supervisor(
        &mut self,
        raw: &RawFlags<'_>,
        children: &[Spanned<RawChild>],
        span: Range<usize>,
        path: &str,
    ) -> SupervisorSpec {
        let mut flags = SupervisorFlags::default();
        if let Some(value) = raw.strategy
            && let Some(strategy) = self.choice(value, &format!("{path}.strategy"), STRATEGIES)
        {
            flags = flags.strategy(strategy);
        }
        let intensity = match raw.intensity {
            Some(value) => self.u32_at_least(value, &format!("{path}.intensity"), 0).unwrap_or(flags.intensity),
            None => flags.intensity,
        };
        let period = match raw.period {
            Some(value) => self
                .integer(value, &format!("{path}.period"), 1, i64::from(u32::MAX), " (seconds)")
                .and_then(|n| u64::try_from(n).ok())
                .map_or(flags.period, Duration::from_secs),
            None => flags.period,
        };
        flags = flags.intensity(intensity, period);
        if let Some(value) = raw.auto_shutdown
            && let Some(auto_shutdown) = self.choice(value, &format!("{path}.auto_shutdown"), AUTO_SHUTDOWNS)
        {
            flags = flags.auto_shutdown(auto_shutdown);
        }
        if let Some(value) = raw.max_children {
            let at = format!("{path}.max_children");
            if flags.strategy == Strategy::SimpleOneForOne {
                flags = flags.max_children(self.u32_at_least(value, &at, 1));
            } else {
                self.problem(value.span(), &at, "only a simple_one_for_one supervisor has max_children");
            }
        }

        let mut specs = Vec::new();
        let mut ids: HashMap<String, usize> = HashMap::new();
        for (index, child) in children.iter().enumerate() {
            let child_path = format!("{path}.children[{index}]");
            if let Some(id) = &child.get_ref().id {
                let line = line_of(self.text, id.span().start);
                if let Some(first) = ids.insert(id.get_ref().clone(), line) {
                    self.problem(
                        id.span(),
                        &format!("{child_path}.id"),
                        format!(
                            "duplicate id \"{}\" (first at line {first}): the children of a supervisor have distinct ids",
                            id.get_ref()
                        ),
                    );
                }
            }
            if let Some(spec) = self.child(child, &child_path) {
                if spec.significant
                    && flags.auto_shutdown == AutoShutdown::Never
                    && let Some(significant) = &child.get_ref().significant
                {
                    self.problem(
                        significant.span(),
                        &format!("{child_path}.significant"),
                        format!(
                            "a significant child needs its supervisor's auto_shutdown to be \
                                 any_significant or all_significant (`{path}.auto_shutdown` is never)"
                        ),
                    );
                }
                specs.push(spec);
            }
        }
        if let Some(value) = raw.auto_shutdown
            && flags.strategy == Strategy::SimpleOneForOne
            && flags.auto_shutdown != AutoShutdown::Never
        {
            self.problem(
                value.span(),
                &format!("{path}.auto_shutdown"),
                "a simple_one_for_one supervisor has no auto_shutdown (its children are not significant)",
            );
        }
        if flags.strategy == Strategy::SimpleOneForOne && children.len() != 1 {
            let at = raw.strategy.map_or(span, Spanned::span);
            self.problem(
                at,
                &format!("{path}.strategy"),
                format!(
                    "a simple_one_for_one supervisor has exactly one child spec, the template its children \
                     are started from; this one has {}",
                    children.len()
                ),
            );
        }
        SupervisorSpec::new(flags, specs)
    }

    /// A child's spec, or `None` when it has problems enough not to make
    /// one (each recorded).
    fn child(&mut self, raw: &Spanned<RawChild>, path: &str) -> Option<ChildSpec> {
        let span = raw.span();
        let raw = raw.get_ref();
        let before = self.problems.len();
        let id = match &raw.id {
            Some(id) if id.get_ref().is_empty() => {
                self.problem(id.span(), &format!("{path}.id"), "a child's id is not empty");
                String::new()
            }
            Some(id) => id.get_ref().clone(),
            None => {
                self.problem(span.clone(), path, "missing key `id`: every child has an id, unique among its siblings");
                String::new()
            }
        };
        let kind = match &raw.kind {
            Some(kind) => self.choice(kind, &format!("{path}.type"), KINDS)?,
            None => Kind::Worker,
        };
        let mut spec = match kind {
            Kind::Worker => self.worker(raw, &id, span, path),
            Kind::Supervisor => {
                self.not_for(
                    path,
                    "a supervisor child",
                    &[
                        ("module", raw.module.as_ref().map(Spanned::span)),
                        ("entry", raw.entry.as_ref().map(Spanned::span)),
                        ("arg", raw.arg.as_ref().map(Spanned::span)),
                        ("arg_hex", raw.arg_hex.as_ref().map(Spanned::span)),
                    ],
                );
                let children = raw.children.as_deref().unwrap_or_default();
                let nested = self.supervisor(&raw.flags(), children, span, path);
                ChildSpec::supervisor(&id, nested)
            }
        };
        if let Some(value) = &raw.restart
            && let Some(restart) = self.choice(value, &format!("{path}.restart"), RESTARTS)
        {
            spec = spec.restart(restart);
        }
        if let Some(value) = &raw.shutdown
            && let Some(shutdown) = self.shutdown(value, &format!("{path}.shutdown"))
        {
            spec = spec.shutdown(shutdown);
        }
        if let Some(value) = &raw.significant {
            if *value.get_ref() && spec.restart == Restart::Permanent {
                self.problem(
                    value.span(),
                    &format!("{path}.significant"),
                    "a permanent child cannot be significant: significant = true needs \
                     restart = \"transient\" or \"temporary\"",
                );
            }
            spec = spec.significant(*value.get_ref());
        }
        if let Some(value) = &raw.ack_timeout {
            let millis = self.u64_at_least(value, &format!("{path}.ack_timeout"), 0, " (milliseconds)");
            spec = spec.ack_timeout(millis.map(Duration::from_millis));
        }
        let options = self.options(raw, path);
        spec = spec.options(options);
        (self.problems.len() == before).then_some(spec)
    }

    /// A worker child's spec: its module, entry and argument.
    fn worker(&mut self, raw: &RawChild, id: &str, span: Range<usize>, path: &str) -> ChildSpec {
        self.not_for(
            path,
            "a worker child (add type = \"supervisor\" for a supervisor child)",
            &[
                ("strategy", raw.strategy.as_ref().map(Spanned::span)),
                ("intensity", raw.intensity.as_ref().map(Spanned::span)),
                ("period", raw.period.as_ref().map(Spanned::span)),
                ("auto_shutdown", raw.auto_shutdown.as_ref().map(Spanned::span)),
                ("max_children", raw.max_children.as_ref().map(Spanned::span)),
                ("children", raw.children.as_ref().map(|_| span.clone())),
            ],
        );
        let module = match &raw.module {
            Some(module) if !self.modules.contains(module.get_ref()) => {
                let known: Vec<&str> = self.modules.iter().map(String::as_str).collect();
                let listed = if known.is_empty() { "none".to_string() } else { known.join(", ") };
                self.problem(
                    module.span(),
                    &format!("{path}.module"),
                    format!("no module \"{}\" in [modules] (it has: {listed})", module.get_ref()),
                );
                String::new()
            }
            Some(module) => module.get_ref().clone(),
            None => {
                self.problem(span.clone(), path, "missing key `module`: a worker child names the module it runs");
                String::new()
            }
        };
        let (entry, entry_span, named) = match &raw.entry {
            Some(entry) => (entry.get_ref().clone(), entry.span(), true),
            None => (DEFAULT_ENTRY.to_string(), span.clone(), false),
        };
        if entry.is_empty() {
            self.problem(entry_span.clone(), &format!("{path}.entry"), "an entry's name is not empty");
        } else if !module.is_empty() {
            let line = self.line(&entry_span);
            self.entries.push(EntryUse {
                module: module.clone(),
                entry: entry.clone(),
                line,
                path: format!("{path}.entry"),
                named,
            });
        }
        let arg = match (&raw.arg, &raw.arg_hex) {
            (Some(_), Some(hex)) => {
                self.problem(
                    hex.span(),
                    &format!("{path}.arg_hex"),
                    "give `arg` (text) or `arg_hex` (bytes), not both",
                );
                Vec::new()
            }
            (Some(text), None) => text.get_ref().as_bytes().to_vec(),
            (None, Some(hex)) => match parse_hex(hex.get_ref()) {
                Ok(bytes) => bytes,
                Err(message) => {
                    self.problem(hex.span(), &format!("{path}.arg_hex"), message);
                    Vec::new()
                }
            },
            (None, None) => Vec::new(),
        };
        ChildSpec::worker(id, &module, &entry, &arg)
    }

    /// Refuses the keys that are not for this kind of child.
    fn not_for(&mut self, path: &str, what: &str, keys: &[(&str, Option<Range<usize>>)]) {
        for (key, span) in keys {
            if let Some(span) = span {
                self.problem(span.clone(), &format!("{path}.{key}"), format!("`{key}` is not a key of {what}"));
            }
        }
    }

    fn shutdown(&mut self, value: &Spanned<toml::Value>, path: &str) -> Option<Shutdown> {
        match value.get_ref() {
            toml::Value::Integer(millis) if *millis >= 0 => {
                Some(Shutdown::Timeout(Duration::from_millis(u64::try_from(*millis).ok()?)))
            }
            toml::Value::String(word) if word == "brutal_kill" => Some(Shutdown::BrutalKill),
            toml::Value::String(word) if word == "infinity" => Some(Shutdown::Infinity),
            other => {
                let found = match other {
                    toml::Value::String(word) => format!("\"{word}\""),
                    toml::Value::Integer(n) => n.to_string(),
                    other => other.type_str().to_string(),
                };
                self.problem(
                    value.span(),
                    path,
                    format!(
                        "expected milliseconds (an integer, at least 0), \"brutal_kill\" or \"infinity\", found {found}"
                    ),
                );
                None
            }
        }
    }

    /// A child's limits and capabilities.
    fn options(&mut self, raw: &RawChild, path: &str) -> SpawnOptions {
        let mut options = SpawnOptions::default();
        if let Some(value) = &raw.max_memory {
            options.max_memory = self.size(value, &format!("{path}.max_memory"));
        }
        if let Some(value) = &raw.max_fuel {
            options.max_fuel = self.u64_at_least(value, &format!("{path}.max_fuel"), 1, "");
        }
        if let Some(value) = &raw.max_mailbox {
            options.max_mailbox = self
                .u64_at_least(value, &format!("{path}.max_mailbox"), 1, "")
                .map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        }
        options.deny_spawn = raw.spawn.as_ref().is_some_and(|spawn| !spawn.get_ref());
        options.deny_print = raw.print.as_ref().is_some_and(|print| !print.get_ref());
        if let Some(env) = &raw.env {
            options.env = Some(self.env(env, &format!("{path}.env")));
        }
        if let Some(dirs) = &raw.dirs {
            let mut grants = Vec::new();
            for (index, dir) in dirs.iter().enumerate() {
                let guest = &dir.get_ref().guest;
                if guest.get_ref().is_empty() {
                    self.problem(guest.span(), &format!("{path}.dirs[{index}].guest"), "a guest path is not empty");
                } else {
                    grants.push(DirGrant { guest: guest.get_ref().clone(), read_only: dir.get_ref().read_only });
                }
            }
            options.dirs = Some(grants);
        }
        options
    }
}

// ------------------------------------------------------------ running

/// `warren run app.toml`: reads and checks the manifest, makes the node
/// (its `[node]` options, and over them the CLI options `given` says were
/// on the command line), loads the modules, starts the root supervisor and
/// waits for it. SIGINT or SIGTERM stops the tree (exit signal `shutdown`
/// to the root supervisor, which stops its children in reverse order within
/// their shutdown timeouts); a second signal ends Warren at once.
///
/// Returns the exit code: 0 when the root supervisor exits `shutdown`
/// (stopped by a signal, or by its `auto_shutdown`) or `normal`; 1 when it
/// gives up (its restart intensity) or exits with any other reason, or its
/// children cannot start. An error (exit code 2) when the manifest or a
/// module is refused.
pub fn run(args: crate::RunArgs, given: impl Fn(&str) -> bool) -> anyhow::Result<u8> {
    if args.entry.is_some() {
        anyhow::bail!("--entry does not go with a manifest: each worker child names its own entry");
    }
    if !args.modules.is_empty() {
        anyhow::bail!("--module does not go with a manifest: list the modules in its [modules] table");
    }
    let manifest = Manifest::read(&args.file)?;
    let node_args = manifest.node.apply(args.node, given);
    node_args.init_logging();
    let mut wasi_args = vec![args.file.display().to_string()];
    if args.args.is_empty() {
        wasi_args.extend(manifest.node.args.iter().flatten().cloned());
    } else {
        wasi_args.extend(args.args);
    }
    let config = with_dirs(node_args.config(wasi_args), &manifest.node.dirs, &args.dirs, &args.dirs_ro)?;
    let node = std::sync::Arc::new(Node::new(config)?);
    manifest.load_modules(&node)?;
    // Caught before anything starts. A signal while the children start is
    // acted on as soon as the root supervisor has started (a second one
    // ends Warren at once, as always).
    let signals = StopSignals::catch().map_err(|error| anyhow::anyhow!("cannot catch SIGINT and SIGTERM: {error}"))?;
    let default_name = crate::default_node_name(&args.file);
    let server = ControlServer::start(node.clone(), args.name.as_deref(), &default_name, &args.file)?;
    let dashboard = crate::dashboard::Dashboard::start(server.responder(), &args.dashboard)?;
    let root = Mutex::new(Root::Starting { stop: false });
    let stop = || {
        server.begin_shutdown();
        let mut root = root.lock().unwrap_or_else(PoisonError::into_inner);
        match &mut *root {
            Root::Running(pid) => node.exit(*pid, ExitReason::Shutdown(Vec::new())),
            Root::Starting { stop } => *stop = true,
        }
    };
    let start_and_wait = || {
        let handle = node.start_supervisor(&manifest.supervisor)?;
        let mut state = root.lock().unwrap_or_else(PoisonError::into_inner);
        if let Root::Starting { stop: true } = *state {
            node.exit(handle.pid(), ExitReason::Shutdown(Vec::new()));
        }
        *state = Root::Running(handle.pid());
        drop(state);
        Ok::<_, SupervisorError>((handle.pid(), handle.wait()))
    };
    let (outcome, _) = signals.while_waiting(stop, start_and_wait);
    // The socket goes before the node: no command finds a node that stops.
    drop(dashboard);
    drop(server);
    let _ = std::io::stdout().flush();
    let (pid, reason) = match outcome {
        Ok(ended) => ended,
        Err(error) => {
            say_err!("warren: the root supervisor of {} could not start: {error}", args.file.display());
            return Ok(crate::EXIT_ABNORMAL);
        }
    };
    Ok(match reason {
        ExitReason::Normal => 0,
        // Stopped by a signal, or by its auto_shutdown; it gives up with
        // `{shutdown, reached_max_restart_intensity}`.
        ExitReason::Shutdown(detail) if detail.is_empty() => 0,
        reason => {
            say_err!("warren: root supervisor {pid} exited: {reason}");
            crate::EXIT_ABNORMAL
        }
    })
}

/// The root supervisor, for the signal handler: starting (and whether a
/// signal asked to stop it meanwhile), or running.
enum Root {
    Starting { stop: bool },
    Running(Pid),
}

/// `config` with the host directories preopened: `--dir` and `--dir-ro`
/// if any was given (they replace the manifest's), else `[node] dirs`.
fn with_dirs(
    mut config: NodeConfig,
    manifest: &[NodeDir],
    read_write: &[(PathBuf, String)],
    read_only: &[(PathBuf, String)],
) -> anyhow::Result<NodeConfig> {
    let given = read_write.iter().map(|dir| (dir, false)).chain(read_only.iter().map(|dir| (dir, true)));
    let mut dirs = Vec::new();
    for ((host, guest), read_only) in given {
        if !host.is_dir() {
            anyhow::bail!("--dir{} {}: no such directory", if read_only { "-ro" } else { "" }, host.display());
        }
        dirs.push(NodeDir { host: host.clone(), guest: guest.clone(), read_only });
    }
    if dirs.is_empty() {
        dirs = manifest.to_vec();
    }
    for dir in dirs {
        config = config.dir(Preopen { read_only: dir.read_only, ..Preopen::new(dir.host, dir.guest) });
    }
    Ok(config)
}

/// Bytes from hex text (`"00ff"`; spaces and `_` between bytes allowed).
fn parse_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text.bytes().filter(|b| !matches!(b, b' ' | b'_')).collect();
    if !digits.len().is_multiple_of(2) {
        return Err(format!("\"{text}\" is not hex bytes: an odd number of digits"));
    }
    digits
        .chunks(2)
        .map(|pair| {
            std::str::from_utf8(pair)
                .ok()
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
                .ok_or_else(|| format!("\"{text}\" is not hex bytes (two digits 0-9, a-f per byte)"))
        })
        .collect()
}

/// The line (from 1) of byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end].iter().filter(|&&b| b == b'\n').count() + 1
}

/// `path.key`, the key quoted when it is not a bare TOML key.
fn key_path(path: &str, key: &str) -> String {
    let bare = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let key = if bare { key.to_string() } else { format!("{key:?}") };
    if path.is_empty() { key } else { format!("{path}.{key}") }
}

/// The path of the key or value of `text` at byte `offset` (the innermost
/// one there), for an error serde found: `supervisor.children[1].bogus`.
fn path_at(text: &str, offset: usize) -> String {
    let Ok(root) = DeTable::parse(text) else { return String::new() };
    let mut best = None;
    visit_table(root.get_ref(), "", offset, &mut best);
    best.map(|(_, path)| path).unwrap_or_default()
}

fn visit_table(table: &DeTable<'_>, path: &str, offset: usize, best: &mut Option<(usize, String)>) {
    for (key, value) in table.iter() {
        let here = key_path(path, key.get_ref());
        consider(key.span(), &here, offset, best);
        consider(value.span(), &here, offset, best);
        visit_value(value, &here, offset, best);
    }
}

fn visit_value(value: &Spanned<DeValue<'_>>, path: &str, offset: usize, best: &mut Option<(usize, String)>) {
    match value.get_ref() {
        DeValue::Table(table) => visit_table(table, path, offset, best),
        DeValue::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                let here = format!("{path}[{index}]");
                consider(item.span(), &here, offset, best);
                visit_value(item, &here, offset, best);
            }
        }
        _ => {}
    }
}

/// Keeps `path` if its `span` holds `offset` and is the narrowest so far.
fn consider(span: Range<usize>, path: &str, offset: usize, best: &mut Option<(usize, String)>) {
    if span.contains(&offset) && best.as_ref().is_none_or(|(len, _)| span.len() <= *len) {
        *best = Some((span.len(), path.to_string()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parses `text` as a manifest in this crate's directory (where
    /// `guests/wat/demo.wat` exists).
    fn parse(text: &str) -> Result<Manifest, ManifestError> {
        Manifest::parse(Path::new("app.toml"), text, Path::new(env!("CARGO_MANIFEST_DIR")))
    }

    fn problems(text: &str) -> Vec<Problem> {
        match parse(text) {
            Ok(_) => panic!("the manifest should be refused:\n{text}"),
            Err(error) => error.problems,
        }
    }

    fn one_problem(text: &str) -> Problem {
        let problems = problems(text);
        assert_eq!(problems.len(), 1, "{problems:#?}");
        problems.into_iter().next().unwrap_or_else(|| unreachable!())
    }

    const MODULES: &str = "[modules]\ndemo = \"guests/wat/demo.wat\"\n";

    #[test]
    fn a_full_manifest_becomes_its_specs() {
        let text = format!(
            r#"{MODULES}
[node]
schedulers = 2
max_memory = "16MiB"
max_host_memory = 1048576
layout = "guarded"
tag_output = true
env = {{ A = "1" }}
args = ["x"]

[supervisor]
strategy = "rest_for_one"
intensity = 3
period = 10
auto_shutdown = "any_significant"

[[supervisor.children]]
id = "first"
module = "demo"
arg_hex = "00 ff"
shutdown = "brutal_kill"
max_memory = 65536
max_fuel = 1000
spawn = false
dirs = [{{ guest = "/data", read_only = true }}]

[[supervisor.children]]
id = "pool"
type = "supervisor"
strategy = "simple_one_for_one"
max_children = 4

[[supervisor.children.children]]
id = "template"
module = "demo"
entry = "worker"
arg = "hi"
restart = "transient"
significant = false
ack_timeout = 100

[[supervisor.children]]
id = "last"
module = "demo"
restart = "temporary"
significant = true
print = false
env = {{ B = "2" }}
"#
        );
        let manifest = parse(&text).unwrap_or_else(|error| panic!("{error}"));
        assert_eq!(manifest.node.schedulers, NonZeroUsize::new(2));
        assert_eq!(manifest.node.max_memory, Some(16 << 20));
        assert_eq!(manifest.node.max_host_memory, Some(1 << 20));
        assert_eq!(manifest.node.tag_output, Some(true));
        assert_eq!(manifest.node.env, Some(vec![("A".into(), "1".into())]));
        let root = &manifest.supervisor;
        assert_eq!(root.flags.strategy, Strategy::RestForOne);
        assert_eq!((root.flags.intensity, root.flags.period), (3, Duration::from_secs(10)));
        assert_eq!(root.flags.auto_shutdown, AutoShutdown::AnySignificant);
        assert_eq!(root.children.len(), 3);

        let mut options = SpawnOptions::default();
        options.max_memory = Some(65536);
        options.max_fuel = Some(1000);
        options.deny_spawn = true;
        options.dirs = Some(vec![DirGrant { guest: "/data".into(), read_only: true }]);
        let first =
            ChildSpec::worker("first", "demo", "main", &[0, 0xff]).shutdown(Shutdown::BrutalKill).options(options);
        assert_eq!(root.children[0], first);

        let template = ChildSpec::worker("template", "demo", "worker", b"hi")
            .restart(Restart::Transient)
            .ack_timeout(Some(Duration::from_millis(100)));
        let pool = SupervisorSpec::new(
            SupervisorFlags::default().strategy(Strategy::SimpleOneForOne).max_children(Some(4)),
            vec![template],
        );
        assert_eq!(root.children[1], ChildSpec::supervisor("pool", pool));

        let mut options = SpawnOptions::default();
        options.deny_print = true;
        options.env = Some(vec![("B".into(), "2".into())]);
        let last = ChildSpec::worker("last", "demo", "main", b"")
            .restart(Restart::Temporary)
            .significant(true)
            .options(options);
        assert_eq!(root.children[2], last);
        assert_eq!(manifest.entries.len(), 3);
    }

    #[test]
    fn an_unknown_key_is_named_with_its_line_and_path() {
        let text =
            format!("{MODULES}[supervisor]\n\n[[supervisor.children]]\nid = \"a\"\nmodule = \"demo\"\nrestarts = 1\n");
        let problem = one_problem(&text);
        assert_eq!(problem.line, Some(8));
        assert_eq!(problem.path, "supervisor.children[0].restarts");
        assert!(problem.message.contains("unknown field `restarts`"), "{problem:?}");
    }

    #[test]
    fn an_unknown_node_key_and_a_wrong_type_are_located() {
        let problem = one_problem(&format!("{MODULES}[node]\nschedulerz = 2\n[supervisor]\n"));
        assert_eq!((problem.line, problem.path.as_str()), (Some(4), "node.schedulerz"));
        let problem = one_problem(&format!("{MODULES}[node]\nschedulers = \"two\"\n[supervisor]\n"));
        assert_eq!((problem.line, problem.path.as_str()), (Some(4), "node.schedulers"));
        assert!(problem.message.contains("invalid type"), "{problem:?}");
    }

    #[test]
    fn bad_values_are_each_named() {
        let text = format!(
            r#"{MODULES}
[node]
schedulers = 0
max_memory = "12XB"
layout = "sparse"
[supervisor]
strategy = "one_for_none"
period = 0
[[supervisor.children]]
id = "a"
module = "demo"
restart = "sometimes"
shutdown = -1
arg = "x"
arg_hex = "0"
"#
        );
        let found: Vec<(Option<usize>, String)> = problems(&text).into_iter().map(|p| (p.line, p.path)).collect();
        let expected = [
            (5, "node.schedulers"),
            (6, "node.max_memory"),
            (7, "node.layout"),
            (9, "supervisor.strategy"),
            (10, "supervisor.period"),
            (14, "supervisor.children[0].restart"),
            (15, "supervisor.children[0].shutdown"),
            (17, "supervisor.children[0].arg_hex"),
        ];
        let expected: Vec<(Option<usize>, String)> =
            expected.iter().map(|&(line, path)| (Some(line), path.to_string())).collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn tree_shapes_that_cannot_run_are_refused() {
        let tree = |body: &str| format!("{MODULES}[supervisor]\n{body}");
        let problem = one_problem(&tree(
            "[[supervisor.children]]\nid = \"a\"\nmodule = \"demo\"\n[[supervisor.children]]\nid = \"a\"\nmodule = \"demo\"\n",
        ));
        assert_eq!((problem.line, problem.path.as_str()), (Some(8), "supervisor.children[1].id"));
        assert!(problem.message.contains("duplicate id \"a\" (first at line 5)"), "{problem:?}");

        let problem = one_problem(&tree("strategy = \"simple_one_for_one\"\n"));
        assert_eq!(problem.path, "supervisor.strategy");
        assert!(problem.message.contains("exactly one child spec"), "{problem:?}");

        let problem =
            one_problem(&tree("[[supervisor.children]]\nid = \"a\"\nmodule = \"demo\"\nsignificant = true\n"));
        assert_eq!(problem.path, "supervisor.children[0].significant");
        assert!(problem.message.contains("permanent child cannot be significant"), "{problem:?}");

        let problem = one_problem(&tree(
            "[[supervisor.children]]\nid = \"a\"\nmodule = \"demo\"\nrestart = \"transient\"\nsignificant = true\n",
        ));
        assert!(problem.message.contains("auto_shutdown"), "{problem:?}");

        let problem = one_problem(&tree("[[supervisor.children]]\nid = \"a\"\nmodule = \"nope\"\n"));
        assert_eq!(problem.path, "supervisor.children[0].module");
        assert!(problem.message.contains("no module \"nope\" in [modules] (it has: demo)"), "{problem:?}");

        let problem =
            one_problem(&tree("[[supervisor.children]]\nid = \"a\"\nstrategy = \"one_for_all\"\nmodule = \"demo\"\n"));
        assert!(problem.message.contains("not a key of a worker child"), "{problem:?}");

        let problem =
            one_problem(&tree("[[supervisor.children]]\nid = \"s\"\ntype = \"supervisor\"\nmodule = \"demo\"\n"));
        assert_eq!(problem.path, "supervisor.children[0].module");

        let problem = one_problem(&tree("[[supervisor.children]]\nmodule = \"demo\"\n"));
        assert_eq!((problem.line, problem.path.as_str()), (Some(4), "supervisor.children[0]"));
        assert!(problem.message.contains("missing key `id`"), "{problem:?}");

        let problem = one_problem(MODULES);
        assert_eq!(problem.path, "supervisor");
    }

    #[test]
    fn node_dirs_are_relative_to_the_manifest_and_must_exist() {
        let manifest =
            parse("[node]\ndirs = [{ host = \"guests\", guest = \"/g\", read_only = true }, { host = \"src\" }]\n[supervisor]\n")
                .unwrap_or_else(|error| panic!("{error}"));
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(
            manifest.node.dirs,
            vec![
                NodeDir { host: root.join("guests"), guest: "/g".into(), read_only: true },
                NodeDir { host: root.join("src"), guest: "src".into(), read_only: false },
            ]
        );
        let problem = one_problem("[node]\ndirs = [{ host = \"no-such-dir\" }]\n[supervisor]\n");
        assert_eq!((problem.line, problem.path.as_str()), (Some(2), "node.dirs[0].host"));
    }

    #[test]
    fn a_missing_module_file_is_named() {
        let problem = one_problem("[modules]\nw = \"no/such/file.wat\"\n[supervisor]\n");
        assert_eq!((problem.line, problem.path.as_str()), (Some(2), "modules.w"));
        assert!(problem.message.contains("module file `no/such/file.wat` not found"), "{problem:?}");
    }

    #[test]
    fn a_toml_syntax_error_has_its_line() {
        let problem = one_problem("[modules\n");
        assert_eq!(problem.line, Some(1));
    }

    #[test]
    fn the_cli_wins_over_the_node_table_for_the_options_it_was_given() {
        let settings = NodeSettings {
            schedulers: NonZeroUsize::new(3),
            max_memory: Some(1 << 20),
            tag_output: Some(true),
            ..NodeSettings::default()
        };
        let mut cli = crate::NodeArgs::default_for_demo();
        cli.schedulers = NonZeroUsize::new(1);
        cli.max_memory = 2 << 20;
        let merged = settings.apply(cli, |id| id == "schedulers");
        assert_eq!(merged.schedulers, NonZeroUsize::new(1));
        assert_eq!(merged.max_memory, 1 << 20);
        assert!(merged.tag_output);
    }

    #[test]
    fn hex_arguments() {
        assert_eq!(parse_hex("00ff"), Ok(vec![0, 255]));
        assert_eq!(parse_hex("de ad_be ef"), Ok(vec![0xde, 0xad, 0xbe, 0xef]));
        assert!(parse_hex("0").is_err());
        assert!(parse_hex("zz").is_err());
    }
}
