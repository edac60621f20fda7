//! `warren`: run Erlang/OTP-style processes as WebAssembly sandboxes.
//!
//! `warren` alone runs a built-in demo; `warren run FILE` runs a guest;
//! `warren run app.toml` runs an application from a manifest.

mod allocator;
mod control;
mod size;

use anyhow::{Context, Result, anyhow};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use warren_host::{ExitReason, LoadedModule, MemoryLayout, Node, NodeConfig, Preopen};

/// `println!` that ignores a failed write: a closed stdout (`warren | head`)
/// must not panic the CLI.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// `eprintln!` that ignores a failed write (a closed stderr).
macro_rules! say_err {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

// After the macros, which they use.
mod dashboard;
mod manifest;
mod scaffold;
mod signals;
mod supervision_demo;

/// The demo guest, embedded in the binary (WebAssembly text).
const DEMO: &str = include_str!("../guests/wat/demo.wat");

/// Exit code when the root process ends with a reason other than `normal`.
const EXIT_ABNORMAL: u8 = 1;
/// Exit code when Warren cannot run the program at all (bad usage, a
/// missing or invalid file, a missing export, a module that cannot be
/// instantiated).
const EXIT_CANNOT_RUN: u8 = 2;

#[derive(Parser)]
#[command(name = "warren", version, about = "Run Erlang/OTP-style processes as WebAssembly sandboxes")]
#[command(after_help = "With no command, runs a built-in demo of spawning, messaging and supervision.")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a guest module: spawn its entry as the root process and wait for
    /// it; or run the application a manifest (`.toml`) describes.
    Run(Box<RunArgs>),
    /// Run the built-in demo (what `warren` alone does).
    Demo(NodeArgs),
    /// Create a guest project (Rust, C, Zig, AssemblyScript or WAT) that
    /// builds with one command and runs with `warren run`.
    New(scaffold::NewArgs),
    /// Compile a module ahead of time to a `.cwasm` file that `run` loads
    /// without compiling (for the same Warren version and layout).
    Compile(CompileArgs),
    /// List the running nodes (of this user).
    Nodes(control::commands::NodesArgs),
    /// List a node's processes (as `:recon.proc_count/2`).
    Ps(control::commands::PsArgs),
    /// Watch a node's processes, refreshed (as observer_cli, `:recon.proc_window/3`).
    Top(control::top::TopArgs),
    /// Show one process in detail (as `Process.info/1`).
    Info(control::commands::InfoArgs),
    /// Show the state of an SDK behaviour (as `:sys.get_state/1`).
    State(control::commands::StateArgs),
    /// Trace a process's messages, spawns, links and exit (as `:sys.trace/2`, recon_trace).
    Trace(control::commands::TraceArgs),
    /// Show the supervision trees with restart counts.
    Tree(control::commands::Target),
    /// List registered names (as `Process.registered/0`).
    Registered(control::commands::Target),
    /// List shared tables (as `:ets.i/0`).
    Tables(control::commands::Target),
    /// Show one shared table and its first entries.
    Table(control::commands::TableArgs),
    /// Send a message to a process from the host.
    Send(control::commands::SendArgs),
    /// Send a process an exit signal (`exit(Pid, kill)` by default).
    Kill(control::commands::KillArgs),
    /// Stop a node in order (as SIGTERM) and wait until it is gone.
    Stop(control::commands::StopArgs),
    /// Show a node's counters: processes, memory by kind, run queues, rates, scheduler utilization.
    Stats(control::commands::StatsArgs),
}

#[derive(clap::Args)]
struct CompileArgs {
    /// The module to compile (`.wasm` or `.wat`).
    file: PathBuf,
    /// Where to write the compiled module [default: FILE with extension `.cwasm`].
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// Memory layout the compiled code is for (must match `run --layout`).
    #[arg(long, value_enum, default_value_t = Layout::Dense)]
    layout: Layout,
}

#[derive(clap::Args)]
struct RunArgs {
    /// The module to run: a `.wasm`, `.wat` or precompiled `.cwasm` file;
    /// or a manifest, a `.toml` file (see README.md, "Manifests"), whose
    /// `[node]` options the options given here override.
    file: PathBuf,
    /// Export the root process starts on (type `() -> ()`).
    /// Default: `main`, or `_start` if there is no `main`.
    #[arg(long, value_name = "NAME")]
    entry: Option<String>,
    /// Load another module that guests may spawn from by name
    /// (`spawn_module`). Repeatable.
    #[arg(long = "module", value_name = "NAME=FILE", value_parser = parse_module_arg)]
    modules: Vec<(String, PathBuf)>,
    /// Preopen host directory HOST for the root process (WASI), read-write,
    /// under guest path GUEST [default: HOST]; the processes it spawns
    /// inherit it. Repeatable.
    #[arg(long = "dir", value_name = "HOST[::GUEST]", value_parser = parse_dir_arg)]
    dirs: Vec<(PathBuf, String)>,
    /// As --dir, read-only. Repeatable.
    #[arg(long = "dir-ro", value_name = "HOST[::GUEST]", value_parser = parse_dir_arg)]
    dirs_ro: Vec<(PathBuf, String)>,
    /// The node's name, for `warren ps --node NAME` and the other commands
    /// that drive it through its control socket
    /// ($XDG_RUNTIME_DIR/warren/NAME.sock, else /tmp/warren-$UID/NAME.sock).
    /// A running node of the same name is an error.
    /// [default: FILE's stem, with `-2`, `-3`... if a node of that name runs]
    #[arg(long, value_name = "NAME")]
    name: Option<String>,
    #[command(flatten)]
    node: NodeArgs,
    #[command(flatten)]
    dashboard: dashboard::DashboardArgs,
    /// Arguments for the root process (WASI `args_get`; argv[0] is the file name).
    #[arg(last = true, value_name = "ARGS")]
    args: Vec<String>,
}

#[derive(clap::Args)]
struct NodeArgs {
    /// Scheduler threads [default: one per core].
    #[arg(long, value_name = "N")]
    schedulers: Option<NonZeroUsize>,
    /// Fuel per time slice (the reduction budget before preemption).
    #[arg(long, value_name = "N", default_value_t = warren_host::DEFAULT_REDUCTIONS,
          value_parser = clap::value_parser!(u64).range(1..))]
    reductions: u64,
    /// Most processes alive at once (spawns beyond get ERR_LIMIT).
    #[arg(long, value_name = "N", default_value_t = 1 << 21, value_parser = clap::value_parser!(u32).range(1..))]
    max_processes: u32,
    /// Most messages a process may have queued; a send beyond ends the
    /// receiver with a limit reason [default: no limit].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    max_mailbox: Option<u64>,
    /// Largest linear memory of a process (e.g. 64MiB, 1GiB).
    #[arg(long, value_name = "SIZE", default_value = "256MiB", value_parser = size::parse_size)]
    max_memory: usize,
    /// Most memory the node holds for its guests outside their linear
    /// memories (queued messages, timers, spawn arguments, tables); past
    /// it a guest's send, timer, spawn or table write gets ERR_LIMIT
    /// [default: half of the machine's memory].
    #[arg(long, value_name = "SIZE", value_parser = size::parse_size)]
    max_host_memory: Option<usize>,
    /// Memory layout: `dense` (no memory mapping per process, explicit bounds
    /// checks) or `guarded` (guard pages, a few mappings per process).
    #[arg(long, value_enum, default_value_t = Layout::Dense)]
    layout: Layout,
    /// Hibernate handler-style processes idle this many milliseconds, when
    /// their module allows it (see `hibernate` in docs/ABI.md).
    #[arg(long, value_name = "MS")]
    hibernate_after: Option<u64>,
    /// Prefix every line a process prints with its pid.
    #[arg(long)]
    tag_output: bool,
    /// Environment variable processes see (WASI `environ_get`). Repeatable.
    #[arg(long = "env", value_name = "KEY=VALUE", value_parser = parse_env_arg)]
    env: Vec<(String, String)>,
    /// Log filter (tracing syntax, e.g. `info` or `warren_host=debug`);
    /// overrides RUST_LOG. Default: warnings (crash reports).
    #[arg(long, value_name = "FILTER")]
    log: Option<String>,
    /// Write /tmp/perf-PID.map, so that Linux `perf` names guest functions.
    #[arg(long)]
    perf_map: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Layout {
    Dense,
    Guarded,
}

fn parse_env_arg(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((key, value)) if !key.is_empty() => Ok((key.to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not KEY=VALUE")),
    }
}

/// `HOST[::GUEST]`, as wasmtime's CLI takes it: the guest path is the host
/// path unless given.
fn parse_dir_arg(text: &str) -> Result<(PathBuf, String), String> {
    let (host, guest) = text.split_once("::").unwrap_or((text, text));
    if host.is_empty() || guest.is_empty() {
        return Err(format!("`{text}` is not HOST[::GUEST]"));
    }
    Ok((host.into(), guest.to_string()))
}

fn parse_module_arg(text: &str) -> Result<(String, PathBuf), String> {
    match text.split_once('=') {
        Some((name, file)) if !name.is_empty() && !file.is_empty() => Ok((name.to_string(), file.into())),
        _ => Err(format!("`{text}` is not NAME=FILE")),
    }
}

fn main() -> ExitCode {
    let parsed = Cli::command().try_get_matches().and_then(|matches| Ok((Cli::from_arg_matches(&matches)?, matches)));
    let (cli, matches) = match parsed {
        Ok(parsed) => parsed,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { EXIT_CANNOT_RUN } else { 0 });
        }
    };
    let outcome = match cli.command {
        None => run_demo(&NodeArgs::default_for_demo()),
        Some(Command::Demo(node)) => run_demo(&node),
        Some(Command::Run(args)) if manifest::is_manifest(&args.file) => {
            manifest::run(*args, |id| given_on_command_line(&matches, "run", id))
        }
        Some(Command::Run(args)) => run_file(*args),
        Some(Command::Compile(args)) => compile_file(args),
        Some(Command::New(args)) => scaffold::run(args),
        Some(command) => return control_command(command),
    };
    let code = match outcome {
        Ok(code) => code,
        Err(error) => {
            say_err!("warren: error: {error:#}");
            EXIT_CANNOT_RUN
        }
    };
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    // Processes still running are stopped with the node: as an escript's
    // main, the program ends when its root process does.
    std::process::exit(i32::from(code));
}

/// Runs a subcommand that drives a running node; exits 0 on success, 1
/// with a one-line error naming the cause otherwise.
fn control_command(command: Command) -> ExitCode {
    use control::commands as c;
    let outcome = match &command {
        Command::Nodes(args) => c::nodes(args),
        Command::Ps(args) => c::ps(args),
        Command::Top(args) => c::top(args),
        Command::Info(args) => c::info(args),
        Command::State(args) => c::state(args),
        Command::Trace(args) => c::trace(args),
        Command::Tree(target) => c::tree(target),
        Command::Registered(target) => c::registered(target),
        Command::Tables(target) => c::tables(target),
        Command::Table(args) => c::table_of(args),
        Command::Send(args) => c::send(args),
        Command::Kill(args) => c::kill(args),
        Command::Stop(args) => c::stop(args),
        Command::Stats(args) => c::stats(args),
        Command::Run(_) | Command::Demo(_) | Command::Compile(_) | Command::New(_) => {
            Err(anyhow!("not a control command"))
        }
    };
    let _ = std::io::stdout().flush();
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            say_err!("warren: error: {error:#}");
            ExitCode::from(EXIT_ABNORMAL)
        }
    }
}

/// The name a node gets without `--name`: its file's stem.
fn default_node_name(file: &std::path::Path) -> String {
    file.file_stem().and_then(|stem| stem.to_str()).unwrap_or("warren").to_string()
}

/// Whether option `id` of subcommand `command` was given on the command
/// line (not left at its default).
fn given_on_command_line(matches: &ArgMatches, command: &str, id: &str) -> bool {
    matches.subcommand_matches(command).is_some_and(|matches| {
        matches.try_contains_id(id).unwrap_or(false) && matches.value_source(id) == Some(ValueSource::CommandLine)
    })
}

impl NodeArgs {
    fn default_for_demo() -> NodeArgs {
        NodeArgs {
            schedulers: None,
            reductions: warren_host::DEFAULT_REDUCTIONS,
            max_processes: 1 << 21,
            max_memory: 256 << 20,
            max_host_memory: None,
            max_mailbox: None,
            layout: Layout::Dense,
            hibernate_after: None,
            tag_output: false,
            env: Vec::new(),
            log: None,
            perf_map: false,
        }
    }

    fn init_logging(&self) {
        let filter = match &self.log {
            Some(filter) => tracing_subscriber::EnvFilter::new(filter),
            None => tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        };
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            // On a closed stderr the default reports the failed write with
            // eprintln!, which panics: on a scheduler thread, mid-process.
            .log_internal_errors(false)
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init();
    }

    fn config(&self, args: Vec<String>) -> NodeConfig {
        let defaults = NodeConfig::default();
        let schedulers = self.schedulers.map_or(defaults.schedulers, NonZeroUsize::get);
        let max_host_memory = self.max_host_memory.unwrap_or(defaults.max_host_memory);
        defaults
            .schedulers(schedulers)
            .reductions(self.reductions)
            .max_processes(self.max_processes)
            .max_memory(self.max_memory)
            .max_host_memory(max_host_memory)
            .max_mailbox(self.max_mailbox.map(|n| usize::try_from(n).unwrap_or(usize::MAX)))
            .layout(match self.layout {
                Layout::Dense => MemoryLayout::Dense,
                Layout::Guarded => MemoryLayout::Guarded,
            })
            .tag_output(self.tag_output)
            .hibernate_after(self.hibernate_after.map(std::time::Duration::from_millis))
            .args(args)
            .env(self.env.clone())
            .perf_map(self.perf_map)
    }
}

fn run_demo(args: &NodeArgs) -> Result<u8> {
    args.init_logging();
    say!("Warren demo: the guest below is WebAssembly text (guests/wat/demo.wat) embedded in this binary.");
    say!("Each process is its own wasm instance; they share nothing and talk only by copied messages.");
    say!();
    let node = Node::new(args.config(vec!["demo".into()]))?;
    let module = node.load("demo", DEMO.as_bytes())?;
    let code = run_root(&node, &module, "main", None)?;
    say!();
    supervision_demo::run(&node)?;
    say!();
    say!(
        "Try it yourself: edit guests/wat/demo.wat and run it with `warren run guests/wat/demo.wat` (see README.md and docs/ABI.md)"
    );
    Ok(code)
}

fn run_file(args: RunArgs) -> Result<u8> {
    args.node.init_logging();
    let mut wasi_args = vec![args.file.display().to_string()];
    wasi_args.extend(args.args.iter().cloned());
    let mut config = args.node.config(wasi_args);
    let dirs = args.dirs.iter().map(|dir| (dir, false)).chain(args.dirs_ro.iter().map(|dir| (dir, true)));
    for ((host, guest), read_only) in dirs {
        if !host.is_dir() {
            return Err(anyhow!("--dir{} {}: no such directory", if read_only { "-ro" } else { "" }, host.display()));
        }
        config = config.dir(Preopen { read_only, ..Preopen::new(host, guest.as_str()) });
    }
    let node = Arc::new(Node::new(config)?);
    for (name, file) in &args.modules {
        node.load_file_as(name, file)?;
    }
    let module = node.load_file(&args.file)?;
    // The root starts on an entry: on a handler it would wait for a message
    // nobody can send it.
    let is_entry = |name: &str| module.has_entry(name) && !module.is_handler(name);
    let entry = match &args.entry {
        Some(entry) if module.is_handler(entry) => {
            return Err(anyhow!(
                "export `{entry}` of `{}` is a handler (type `() -> i32`), which runs only for a message: \
                 the root process starts on an entry of type `() -> ()`",
                args.file.display()
            ));
        }
        Some(entry) => entry.clone(),
        None if is_entry("main") => "main".to_string(),
        None if is_entry("_start") => "_start".to_string(),
        None => {
            return Err(anyhow!(
                "module `{}` has no exported function `main` or `_start` of type `() -> ()` to start on; name one with --entry{}",
                args.file.display(),
                listed(&module)
            ));
        }
    };
    // Caught before the root starts, so that a signal never finds it
    // unprotected.
    let signals = signals::StopSignals::catch().context("cannot catch SIGINT and SIGTERM")?;
    let server = control::server::ControlServer::start(
        node.clone(),
        args.name.as_deref(),
        &default_node_name(&args.file),
        &args.file,
    )?;
    let dashboard = dashboard::Dashboard::start(server.responder(), &args.dashboard)?;
    let code = run_root(&node, &module, &entry, Some((signals, &server)));
    // The socket goes before the node: no command finds a node that stops.
    drop(dashboard);
    drop(server);
    code.with_context(|| format!("cannot run `{}`", args.file.display()))
}

fn compile_file(args: CompileArgs) -> Result<u8> {
    let bytes = std::fs::read(&args.file).with_context(|| format!("cannot read `{}`", args.file.display()))?;
    let mut node_args = NodeArgs::default_for_demo();
    node_args.layout = args.layout;
    node_args.schedulers = NonZeroUsize::new(1);
    let node = Node::new(node_args.config(Vec::new()))?;
    let compiled = node.precompile(&bytes).with_context(|| format!("cannot compile `{}`", args.file.display()))?;
    let output = args.output.unwrap_or_else(|| args.file.with_extension("cwasm"));
    std::fs::write(&output, compiled).with_context(|| format!("cannot write `{}`", output.display()))?;
    say!("compiled {} -> {}", args.file.display(), output.display());
    Ok(0)
}

/// The exports a root process can start on (entries, not handlers), as
/// a note for an error message.
fn listed(module: &LoadedModule) -> String {
    let entries: Vec<String> = module.entries().into_iter().filter(|name| !module.is_handler(name)).collect();
    if entries.is_empty() { String::new() } else { format!(" (it exports: {})", entries.join(", ")) }
}

/// Spawns the root process and waits for it; the exit code follows its
/// reason. A root whose instance could not be made (its module traps or
/// hits a limit while instantiated) is an error: the module cannot run.
///
/// With `signals`, SIGINT or SIGTERM sends the root the exit signal
/// `shutdown` (a root that traps exits gets it as a message and may stop
/// in its own way), and the run then exits 0 when the root exits `normal`
/// or `shutdown`; a second signal ends Warren at once.
fn run_root(
    node: &Node,
    module: &LoadedModule,
    entry: &str,
    signals: Option<(signals::StopSignals, &control::server::ControlServer)>,
) -> Result<u8> {
    let root = node.spawn(module, entry, b"")?;
    let (reason, stopped) = match signals {
        Some((signals, server)) => {
            let stop = || {
                server.begin_shutdown();
                node.exit(root.pid(), ExitReason::Shutdown(Vec::new()));
            };
            signals.while_waiting(stop, || root.wait())
        }
        None => (root.wait(), false),
    };
    let _ = std::io::stdout().flush();
    Ok(match reason {
        ExitReason::Normal => 0,
        ExitReason::Shutdown(_) if stopped => 0,
        reason @ (ExitReason::Trap(_) | ExitReason::Limit(_)) if !root.started() => {
            return Err(anyhow!("its instance could not be made: {reason}"));
        }
        reason => {
            say_err!("warren: root process {} exited: {reason}", root.pid());
            EXIT_ABNORMAL
        }
    })
}
