//! The call-sequence generator: guests (WAT) that import every host
//! function and call random sequences of them, with arguments biased to
//! the values where host code goes wrong: zero, -1, the ends of the integer
//! ranges, the end of linear memory, ranges that leave memory or overflow
//! `ptr + len`, live, dead and made-up pids, reserved tags, huge timeouts,
//! tables and timers of this process or none.
//!
//! [`ABI`] says how to fill each parameter of each host function; the
//! fuzz test checks that it lists exactly the node's host functions.

use arbitrary::{Result, Unstructured};
use std::fmt::Write;

/// How the generator fills a parameter. The pair kinds fill two `i32`
/// parameters: a pointer and a length (or count).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arg {
    /// (ptr, len) of bytes: an in or out buffer.
    Buf,
    /// (ptr, len) of a name or key: mostly a string of the pool.
    Name,
    /// (ptr, len) of an export to start a process on: mostly one of the
    /// guest's own (`main`, `child`, `handler`).
    Entry,
    /// (ptr, len) of a module name: mostly a module of the node.
    Module,
    /// (ptr, count) of `i64` tags (a receive filter).
    Tags,
    /// (ptr, count) of WASI iovecs.
    Iovs,
    /// (ptr, len) of table records.
    Records,
    /// (ptr, len) of a spawn options block: mostly whole records, some
    /// cut short.
    Opts,
    /// A single `i32` pointer (an out pointer, or WASI's in pointers).
    Ptr,
    /// An `i32` flag, kind, offset or limit.
    Int,
    /// An `i32` exit reason kind.
    Kind,
    /// An `i32` WASI file descriptor.
    Fd,
    /// An `i32` WASI file descriptor written to or renumbered: never
    /// stdout or stderr, which are the test binary's own.
    FdOut,
    /// An `i64` pid.
    Pid,
    /// An `i64` message tag.
    Tag,
    /// An `i64` timeout in milliseconds.
    Ms,
    /// An `i64` monitor or timer reference.
    Ref,
    /// An `i64` table id.
    Tid,
    /// Any other `i64`.
    I64,
}

impl Arg {
    /// The wasm types of the parameters this fills.
    fn types(self) -> &'static [&'static str] {
        match self {
            Arg::Buf | Arg::Name | Arg::Entry | Arg::Module | Arg::Tags | Arg::Iovs | Arg::Records | Arg::Opts => {
                &["i32", "i32"]
            }
            Arg::Ptr | Arg::Int | Arg::Kind | Arg::Fd | Arg::FdOut => &["i32"],
            Arg::Pid | Arg::Tag | Arg::Ms | Arg::Ref | Arg::Tid | Arg::I64 => &["i64"],
        }
    }
}

/// Where a call's result goes: dropped, or kept in a global that later
/// arguments draw on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    Drop,
    Pid,
    Ref,
    Tid,
}

/// A host function: its import names, how to fill its parameters, its
/// result type and where the result goes.
pub struct Func {
    pub module: &'static str,
    pub name: &'static str,
    pub args: &'static [Arg],
    pub result: Option<&'static str>,
    pub keep: Keep,
}

impl Func {
    /// The wasm types of its parameters.
    pub fn params(&self) -> Vec<String> {
        self.args.iter().flat_map(|arg| arg.types()).map(|t| t.to_string()).collect()
    }

    /// The identifier of its import in the generated WAT.
    fn id(&self) -> String {
        format!("${}.{}", self.module, self.name)
    }
}

const W: &str = "warren_v1";
const WASI: &str = "wasi_snapshot_preview1";

macro_rules! abi {
    ($($module:ident $name:literal ($($arg:ident),*) $(-> $result:literal $(as $keep:ident)?)?;)*) => {
        /// Every host function a guest can import, with how to fill it.
        pub const ABI: &[Func] = &[$(Func {
            module: $module,
            name: $name,
            args: &[$(Arg::$arg),*],
            result: abi!(@result $($result)?),
            keep: abi!(@keep $($($keep)?)?),
        }),*];
    };
    (@result) => { None };
    (@result $result:literal) => { Some($result) };
    (@keep) => { Keep::Drop };
    (@keep $keep:ident) => { Keep::$keep };
}

abi! {
    W "self" () -> "i64" as Pid;
    W "parent" () -> "i64" as Pid;
    W "spawn" (Entry, Buf) -> "i64" as Pid;
    W "spawn_module" (Module, Entry, Buf) -> "i64" as Pid;
    W "arg_size" () -> "i32";
    W "arg_read" (Buf) -> "i32";
    W "exit" (Kind, Buf);
    W "yield_now" ();
    W "set_handler" (Entry) -> "i32";
    W "hibernate" () -> "i32";
    W "send" (Pid, Tag, Buf) -> "i32";
    W "receive" (Tags, Ms) -> "i32";
    W "receive_into" (Tags, Ms, Buf) -> "i32";
    W "msg_tag" () -> "i64";
    W "msg_sender" () -> "i64" as Pid;
    W "msg_size" () -> "i32";
    W "msg_header" (Ptr) -> "i32";
    W "msg_queue_len" () -> "i32";
    W "msg_read" (Int, Buf) -> "i32";
    W "call" (Pid, Buf, Ms) -> "i32";
    W "call_named" (Name, Buf, Ms) -> "i32";
    W "system_call" (Pid, Buf, Ms) -> "i32";
    W "reply" (Pid, I64, Buf) -> "i32";
    W "spawn_opt" (Module, Entry, Buf, Int, Ptr) -> "i64" as Pid;
    W "spawn_opts" (Module, Entry, Buf, Opts, Int, Ptr) -> "i64" as Pid;
    W "link" (Pid) -> "i32";
    W "unlink" (Pid) -> "i32";
    W "trap_exit" (Int) -> "i32";
    W "exit_signal" (Pid, Kind, Buf) -> "i32";
    W "monitor" (Pid) -> "i64" as Ref;
    W "demonitor" (Ref, Int) -> "i32";
    W "register" (Name, Pid) -> "i32";
    W "unregister" (Name) -> "i32";
    W "whereis" (Name) -> "i64" as Pid;
    W "send_named" (Name, Tag, Buf) -> "i32";
    W "registered" (Buf) -> "i32";
    W "registry_new" (Name, Int) -> "i32";
    W "registry_register" (Name, Name, Buf) -> "i32";
    W "registry_unregister" (Name, Name) -> "i32";
    W "registry_lookup" (Name, Name, Buf) -> "i32";
    W "registry_dispatch" (Name, Name, Tag, Buf) -> "i32";
    W "send_after" (Pid, Tag, Buf, Ms) -> "i64" as Ref;
    W "send_after_named" (Name, Tag, Buf, Ms) -> "i64" as Ref;
    W "cancel_timer" (Ref) -> "i64";
    W "read_timer" (Ref) -> "i64";
    W "sleep" (Ms) -> "i32";
    W "table_new" (Name, Int, Int, I64) -> "i64" as Tid;
    W "table_whereis" (Name) -> "i64" as Tid;
    W "table_delete" (Tid) -> "i32";
    W "table_give_away" (Tid, Pid, Buf) -> "i32";
    W "table_set_heir" (Tid, Pid, Buf) -> "i32";
    W "table_info" (Tid, Buf) -> "i32";
    W "table_list" (Buf) -> "i32";
    W "table_insert" (Tid, Name, Buf) -> "i32";
    W "table_insert_new" (Tid, Name, Buf) -> "i32";
    W "table_insert_many" (Tid, Records) -> "i32";
    W "table_insert_new_many" (Tid, Records) -> "i32";
    W "table_lookup" (Tid, Name, Buf) -> "i32";
    W "table_member" (Tid, Name) -> "i32";
    W "table_take" (Tid, Name, Buf) -> "i32";
    W "table_delete_key" (Tid, Name) -> "i32";
    W "table_delete_object" (Tid, Name, Buf) -> "i32";
    W "table_delete_all" (Tid) -> "i64";
    W "table_update_counter" (Tid, Name, I64, Int, I64, Ptr) -> "i32";
    W "table_update" (Tid, Name, Int, Buf) -> "i32";
    W "table_first" (Tid, Buf) -> "i32";
    W "table_last" (Tid, Buf) -> "i32";
    W "table_next" (Tid, Name, Buf) -> "i32";
    W "table_prev" (Tid, Name, Buf) -> "i32";
    W "table_range" (Tid, Name, Name, Int, Int, Buf) -> "i32";
    W "table_select_prefix" (Tid, Name, Name, Int, Int, Buf) -> "i32";
    W "table_chunk" (Tid, Name, Int, Int, Buf) -> "i32";
    W "table_result_read" (Buf) -> "i32";
    W "supervisor_start" (Buf) -> "i64" as Pid;
    W "supervisor_request" (Pid, Int, Buf) -> "i64";
    W "init_ack" () -> "i32";
    W "init_ignore" () -> "i32";
    WASI "args_get" (Ptr, Ptr) -> "i32";
    WASI "args_sizes_get" (Ptr, Ptr) -> "i32";
    WASI "clock_res_get" (Int, Ptr) -> "i32";
    WASI "clock_time_get" (Int, I64, Ptr) -> "i32";
    WASI "environ_get" (Ptr, Ptr) -> "i32";
    WASI "environ_sizes_get" (Ptr, Ptr) -> "i32";
    WASI "fd_advise" (Fd, I64, I64, Int) -> "i32";
    WASI "fd_allocate" (Fd, I64, I64) -> "i32";
    WASI "fd_close" (Fd) -> "i32";
    WASI "fd_datasync" (Fd) -> "i32";
    WASI "fd_fdstat_get" (Fd, Ptr) -> "i32";
    WASI "fd_fdstat_set_flags" (Fd, Int) -> "i32";
    WASI "fd_fdstat_set_rights" (Fd, I64, I64) -> "i32";
    WASI "fd_filestat_get" (Fd, Ptr) -> "i32";
    WASI "fd_filestat_set_size" (Fd, I64) -> "i32";
    WASI "fd_filestat_set_times" (Fd, I64, I64, Int) -> "i32";
    WASI "fd_pread" (Fd, Iovs, I64, Ptr) -> "i32";
    WASI "fd_prestat_dir_name" (Fd, Buf) -> "i32";
    WASI "fd_prestat_get" (Fd, Ptr) -> "i32";
    WASI "fd_pwrite" (FdOut, Iovs, I64, Ptr) -> "i32";
    WASI "fd_read" (Fd, Iovs, Ptr) -> "i32";
    WASI "fd_readdir" (Fd, Buf, I64, Ptr) -> "i32";
    WASI "fd_renumber" (FdOut, FdOut) -> "i32";
    WASI "fd_seek" (Fd, I64, Int, Ptr) -> "i32";
    WASI "fd_sync" (Fd) -> "i32";
    WASI "fd_tell" (Fd, Ptr) -> "i32";
    WASI "fd_write" (FdOut, Iovs, Ptr) -> "i32";
    WASI "path_create_directory" (Fd, Name) -> "i32";
    WASI "path_filestat_get" (Fd, Int, Name, Ptr) -> "i32";
    WASI "path_filestat_set_times" (Fd, Int, Name, I64, I64, Int) -> "i32";
    WASI "path_link" (Fd, Int, Name, Fd, Name) -> "i32";
    WASI "path_open" (Fd, Int, Name, Int, I64, I64, Int, Ptr) -> "i32";
    WASI "path_readlink" (Fd, Name, Buf, Ptr) -> "i32";
    WASI "path_remove_directory" (Fd, Name) -> "i32";
    WASI "path_rename" (Fd, Name, Fd, Name) -> "i32";
    WASI "path_symlink" (Name, Fd, Name) -> "i32";
    WASI "path_unlink_file" (Fd, Name) -> "i32";
    WASI "poll_oneoff" (Ptr, Ptr, Int, Ptr) -> "i32";
    WASI "proc_exit" (Int);
    WASI "proc_raise" (Int) -> "i32";
    WASI "random_get" (Buf) -> "i32";
    WASI "sched_yield" () -> "i32";
    WASI "sock_accept" (Fd, Int, Ptr) -> "i32";
    WASI "sock_recv" (Fd, Iovs, Int, Ptr, Ptr) -> "i32";
    WASI "sock_send" (FdOut, Iovs, Int, Ptr) -> "i32";
    WASI "sock_shutdown" (Fd, Int) -> "i32";
}

// The memory map of a generated guest (its first page): a pool of strings
// at 0, then prepared areas that host functions read, then scratch.

/// Receive filters: `TAG_VALUES` as i64 LE.
const TAGS: u32 = 1024;
const TAG_VALUES: &[i64] = &[0, 1, 2, 3, 7, -1, -100, -101, -102, i64::MAX, i64::MIN];
/// WASI iovecs: four (ptr, len) pairs, some outside memory.
const IOVS: u32 = 1280;
const IOV_VALUES: &[(u32, u32)] = &[(SCRATCH, 16), (SCRATCH + 16, 0), (60_000, 8_000), (0xffff_fff0, 32)];
/// Table records, well formed.
const RECORDS: u32 = 1536;
/// WASI subscriptions: a short clock, stdin readable, a clock that never
/// fires.
const SUBS: u32 = 1792;
/// Spawn options: records back to back (see [`options`]); a prefix that
/// ends between records is cut short.
const OPTS: u32 = 1936;
/// [victim][dead][self]: the process's known pids, its children's
/// argument (written by the prologue of `main`).
const ARG: u32 = 2048;
/// Where results and outgoing payloads go.
const SCRATCH: u32 = 4096;

/// The strings every guest has (names, keys, exports, modules), shared by
/// the guests of a node so that their names, registries and tables meet.
const STRINGS: &[&[u8]] = &[
    b"main",
    b"child",
    b"handler",
    b"memory",
    b"nope",
    b"",
    b"fz-a",
    b"fz-b",
    b"fz-reg",
    b"fz-t",
    b"k1",
    b"k2",
    b"k",
    b"\xff\xfe",
    b"sentinel",
    b"warren_v1",
    b"a longer value of some bytes, to copy around and store",
];

/// A generated guest: its WAT and its module name.
pub struct Guest {
    pub name: String,
    pub wat: String,
    /// Whether "main" may start it (else it is spawned on "handler").
    pub starts_on_main: bool,
}

/// Generates a guest to load under `name`; `peers` are the names of the
/// other modules on the node (for `spawn_module`).
pub fn generate(u: &mut Unstructured<'_>, name: &str, peers: &[String]) -> Result<Guest> {
    let mut strings: Vec<Vec<u8>> = STRINGS.iter().map(|s| s.to_vec()).collect();
    strings.push(name.as_bytes().to_vec());
    strings.extend(peers.iter().map(|p| p.as_bytes().to_vec()));
    let mut pool = Vec::new();
    let mut spans = Vec::new();
    for s in &strings {
        spans.push((pool.len() as u32, s.len() as u32));
        pool.extend_from_slice(s);
    }
    assert!(pool.len() < TAGS as usize, "the string pool fits below the tags");
    let records = records();
    // How often an argument is at an edge that traps the caller (a range
    // outside memory, a negative length): a guest that traps at once
    // tests little, one that never does misses those paths.
    let edges = *u.choose(&[50, 12, 4])?;
    // The pool's exports ("main", "child", "handler") and modules ("",
    // "sentinel", this one, its peers).
    let span = |s: &[u8]| spans[STRINGS.iter().position(|x| *x == s).expect("in the pool")];
    let entries = vec![span(b"main"), span(b"child"), span(b"handler")];
    let mut modules = vec![span(b""), span(b"sentinel")];
    modules.extend_from_slice(&spans[STRINGS.len()..]);
    let options_ends = options().1;
    let steps = Gen { spans, entries, modules, records_len: records.len() as u32, options_ends, edges };

    let export_memory = !u.ratio(1, 20)?;
    let pages = *u.choose(&[1u32, 1, 1, 2, 4])?;
    let max = if u.ratio(1, 4)? { format!(" {pages}") } else { String::new() };

    let mut w = String::from("(module\n");
    for f in ABI {
        let params = f.params().join(" ");
        let result = f.result.map(|r| format!(" (result {r})")).unwrap_or_default();
        writeln!(w, "  (import \"{}\" \"{}\" (func {} (param {params}){result}))", f.module, f.name, f.id()).unwrap();
    }
    let export = if export_memory { "(export \"memory\")" } else { "" };
    writeln!(w, "  (memory {export} {pages}{max})").unwrap();
    for global in ["victim", "dead", "parent", "pid", "ref", "tid"] {
        writeln!(w, "  (global ${global} (mut i64) (i64.const 0))").unwrap();
    }
    writeln!(w, "  (global $n (mut i32) (i32.const 0))").unwrap();
    writeln!(w, "  (data (i32.const 0) \"{}\")", escape(&pool)).unwrap();
    let tags: Vec<u8> = TAG_VALUES.iter().flat_map(|t| t.to_le_bytes()).collect();
    writeln!(w, "  (data (i32.const {TAGS}) \"{}\")", escape(&tags)).unwrap();
    let iovs: Vec<u8> = IOV_VALUES.iter().flat_map(|(p, l)| [p.to_le_bytes(), l.to_le_bytes()].concat()).collect();
    writeln!(w, "  (data (i32.const {IOVS}) \"{}\")", escape(&iovs)).unwrap();
    writeln!(w, "  (data (i32.const {RECORDS}) \"{}\")", escape(&records)).unwrap();
    writeln!(w, "  (data (i32.const {SUBS}) \"{}\")", escape(&subscriptions())).unwrap();
    let (opts, _) = options();
    assert!(OPTS as usize + opts.len() <= ARG as usize, "the options fit below the argument");
    writeln!(w, "  (data (i32.const {OPTS}) \"{}\")", escape(&opts)).unwrap();
    // The end of linear memory, in bytes, now.
    w.push_str("  (func $end (result i32) (i32.shl (memory.size) (i32.const 16)))\n");

    // main: learns its pids from its argument, then runs its calls, maybe
    // in a loop.
    w.push_str("  (func (export \"main\")\n");
    if export_memory {
        writeln!(
            w,
            "    (drop (call {} (i32.const {ARG}) (i32.const 24)))\n    (global.set $victim (i64.load (i32.const \
             {ARG})))\n    (global.set $dead (i64.load (i32.const {})))\n    (global.set $parent (i64.load (i32.const \
             {})))\n    (i64.store (i32.const {}) (call {}))",
            id("arg_read"),
            ARG + 8,
            ARG + 16,
            ARG + 16,
            id("self")
        )
        .unwrap();
    }
    let rounds = *u.choose(&[1u32, 1, 1, 2, 3, 10, 100, u32::MAX])?;
    writeln!(w, "    (loop $again").unwrap();
    let calls = u.int_in_range(1..=30)?;
    for _ in 0..calls {
        steps.step(u, &mut w, "      ")?;
    }
    writeln!(
        w,
        "      (global.set $n (i32.add (global.get $n) (i32.const 1)))\n      (br_if $again (i32.lt_u (global.get $n) \
         (i32.const {})))))",
        rounds as i32
    )
    .unwrap();

    // child: a few calls, no loop.
    w.push_str("  (func (export \"child\")\n");
    for _ in 0..u.int_in_range(0..=8)? {
        steps.step(u, &mut w, "    ")?;
    }
    w.push_str("  )\n");

    // handler: a few calls, then stays (0) or ends (1).
    w.push_str("  (func (export \"handler\") (result i32)\n");
    for _ in 0..u.int_in_range(0..=8)? {
        steps.step(u, &mut w, "    ")?;
    }
    writeln!(w, "    (i32.const {}))", u.choose(&[0, 0, 0, 1, 7])?).unwrap();
    w.push(')');
    Ok(Guest { name: name.to_string(), wat: w, starts_on_main: !u.ratio(1, 8)? })
}

/// The identifier of `warren_v1` function `name`.
fn id(name: &str) -> String {
    format!("${W}.{name}")
}

/// Well-formed table records: three objects.
fn records() -> Vec<u8> {
    let mut out = Vec::new();
    for (key, value) in [(&b"k1"[..], &b"v1"[..]), (b"k2", b""), (b"k", b"a value")] {
        out.extend_from_slice(&(key.len() as u32).to_le_bytes());
        out.extend_from_slice(key);
        out.extend_from_slice(&(value.len() as u32).to_le_bytes());
        out.extend_from_slice(value);
    }
    out
}

/// Spawn options records: small limits (memory, fuel, mailbox), no
/// printing, no spawning, an environment, and a directory the node does
/// not have (`ERR_BADARG`); with where each record ends.
fn options() -> (Vec<u8>, Vec<u32>) {
    let mut out = Vec::new();
    let mut ends = vec![0];
    let mut record = |key: u32, body: &[u8]| {
        out.extend_from_slice(&key.to_le_bytes());
        out.extend_from_slice(&(body.len() as u32).to_le_bytes());
        out.extend_from_slice(body);
        ends.push(out.len() as u32);
    };
    record(warren_host::OPT_MAX_MEMORY, &(4u64 << 16).to_le_bytes());
    record(warren_host::OPT_MAX_FUEL, &10_000_000u64.to_le_bytes());
    record(warren_host::OPT_MAX_MAILBOX, &100u64.to_le_bytes());
    record(warren_host::OPT_DENY_PRINT, &[]);
    record(warren_host::OPT_DENY_SPAWN, &[]);
    record(warren_host::OPT_ENV, b"A=1");
    record(warren_host::OPT_DIR, b"\x00/nope");
    (out, ends)
}

/// Three WASI subscriptions (48 bytes each): a relative monotonic clock of
/// 1 ms, stdin readable, a clock that never fires.
fn subscriptions() -> Vec<u8> {
    let mut out = vec![0u8; 48 * 3];
    let clock = |sub: &mut [u8], timeout: u64| {
        sub[0..8].copy_from_slice(&1u64.to_le_bytes()); // userdata
        sub[8] = 0; // clock
        sub[16..20].copy_from_slice(&1u32.to_le_bytes()); // monotonic
        sub[24..32].copy_from_slice(&timeout.to_le_bytes());
    };
    clock(&mut out[0..48], 1_000_000);
    out[48 + 8] = 1; // fd_read, fd 0
    clock(&mut out[96..144], u64::MAX);
    out
}

/// Bytes as a WAT string.
fn escape(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("\\{b:02x}")).collect()
}

/// What a guest's calls draw their arguments from.
struct Gen {
    /// (offset, len) of each string of the pool.
    spans: Vec<(u32, u32)>,
    entries: Vec<(u32, u32)>,
    modules: Vec<(u32, u32)>,
    records_len: u32,
    /// Where each options record ends (0 first).
    options_ends: Vec<u32>,
    /// One argument in `edges` is a trapping edge.
    edges: u32,
}

impl Gen {
    /// One step: a host call, or something that changes what later calls
    /// see (memory growth, bytes stored).
    fn step(&self, u: &mut Unstructured<'_>, w: &mut String, indent: &str) -> Result<()> {
        match u.int_in_range(0..=19)? {
            0 => {
                let pages = u.choose(&[0, 1, 2, 16, -1])?;
                writeln!(w, "{indent}(drop (memory.grow (i32.const {pages})))").unwrap();
            }
            1 => {
                let value: i64 = u.arbitrary()?;
                let at = SCRATCH + u.int_in_range(0..=64)? * 8;
                writeln!(w, "{indent}(i64.store (i32.const {at}) (i64.const {value}))").unwrap();
            }
            _ => {
                // The ABI's own functions are drawn three times as often as
                // WASI's.
                let warren: Vec<&Func> = ABI.iter().filter(|f| f.module == W).collect();
                let f = if u.ratio(3, 4)? { *u.choose(&warren)? } else { u.choose(ABI)? };
                let mut args = String::new();
                for arg in f.args {
                    args.push(' ');
                    args.push_str(&self.arg(u, *arg)?);
                }
                let call = format!("(call {}{args})", f.id());
                let line = match (f.result, f.keep) {
                    (None, _) => call,
                    (Some(_), Keep::Drop) => format!("(drop {call})"),
                    (Some(_), Keep::Pid) => format!("(global.set $pid {call})"),
                    (Some(_), Keep::Ref) => format!("(global.set $ref {call})"),
                    (Some(_), Keep::Tid) => format!("(global.set $tid {call})"),
                };
                writeln!(w, "{indent}{line}").unwrap();
            }
        }
        Ok(())
    }

    /// The WAT of the argument(s) for `arg`.
    fn arg(&self, u: &mut Unstructured<'_>, arg: Arg) -> Result<String> {
        let i32c = |v: i64| format!("(i32.const {})", v as i32);
        let i64c = |v: i64| format!("(i64.const {v})");
        Ok(match arg {
            Arg::Buf => self.range(u, SCRATCH, 256)?,
            Arg::Name | Arg::Entry | Arg::Module => {
                let choices = match arg {
                    Arg::Entry if u.ratio(3, 4)? => &self.entries,
                    Arg::Module if u.ratio(3, 4)? => &self.modules,
                    _ => &self.spans,
                };
                if !u.ratio(1, self.edges)? {
                    let (at, len) = *u.choose(choices)?;
                    format!("{} {}", i32c(at.into()), i32c(len.into()))
                } else {
                    self.range(u, 0, 16)?
                }
            }
            Arg::Tags => {
                if !u.ratio(1, self.edges)? {
                    let count = *u.choose(&[0, 1, 2, 4, TAG_VALUES.len() as i64, 4096, 4097])?;
                    format!("{} {}", i32c(TAGS.into()), i32c(count))
                } else {
                    self.range(u, TAGS, 4)?
                }
            }
            Arg::Iovs => {
                if !u.ratio(1, self.edges)? {
                    format!("{} {}", i32c(IOVS.into()), i32c(u.int_in_range(0..=IOV_VALUES.len() as i64)?))
                } else {
                    self.range(u, IOVS, 4)?
                }
            }
            Arg::Records => {
                if !u.ratio(1, self.edges)? {
                    let len = i64::from(self.records_len) - i64::from(u.ratio(1, 3)?);
                    format!("{} {}", i32c(RECORDS.into()), i32c(len))
                } else {
                    self.range(u, RECORDS, 64)?
                }
            }
            Arg::Opts => {
                if !u.ratio(1, self.edges)? {
                    // Whole records from the start, or from one record on,
                    // or cut short by a few bytes.
                    let from = *u.choose(&self.options_ends[..self.options_ends.len() - 1])?;
                    let to = *u.choose(&self.options_ends)?;
                    let len = i64::from(to.max(from) - from) - i64::from(*u.choose(&[0, 0, 0, 1, 5])?);
                    format!("{} {}", i32c(i64::from(OPTS + from)), i32c(len.max(0)))
                } else {
                    self.range(u, OPTS, 16)?
                }
            }
            Arg::Ptr if u.ratio(1, self.edges)? => match u.int_in_range(0..=2)? {
                0 => format!("(i32.sub (call $end) (i32.const {}))", u.choose(&[0, 1, 4, 8, 16, 48])?),
                1 => i32c(*u.choose(&[-1, i32::MAX as i64, i32::MIN as i64, -8])?),
                _ => i32c(u.arbitrary::<i32>()?.into()),
            },
            Arg::Ptr => match u.int_in_range(0..=3)? {
                0..=2 => i32c(SCRATCH as i64 + 8 * u.int_in_range(0..=32)?),
                _ => i32c(*u.choose(&[TAGS, IOVS, SUBS, ARG, 0])? as i64),
            },
            Arg::Int => i32c(match u.int_in_range(0..=4)? {
                0..=2 => *u.choose(&[0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 255])?,
                3 => *u.choose(&[-1, i32::MIN as i64, i32::MAX as i64, 0x8000, 65_536])?,
                _ => u.arbitrary::<i32>()?.into(),
            }),
            Arg::Kind => i32c(*u.choose(&[0, 0, 1, 2, 2, 3, 4, 5, 6, 7, 8, -1, i32::MIN as i64])?),
            Arg::Fd => i32c(*u.choose(&[0, 1, 2, 3, 4, 5, -1, i32::MAX as i64, 1000])?),
            Arg::FdOut => i32c(*u.choose(&[0, 3, 4, 5, -1, i32::MAX as i64, 1000])?),
            Arg::Pid => match u.int_in_range(0..=12)? {
                0 => format!("(call {})", id("self")),
                1 | 2 => "(global.get $victim)".into(),
                3 => "(global.get $dead)".into(),
                4 => "(global.get $parent)".into(),
                5..=7 => "(global.get $pid)".into(),
                8 => format!("(call {})", id("msg_sender")),
                9 | 10 => i64c(*u.choose(&[0, -1, 1, i64::MIN, i64::MAX, 1 << 28])?),
                _ => i64c(u.arbitrary()?),
            },
            Arg::Tag => match u.int_in_range(0..=5)? {
                0..=2 => i64c(*u.choose(&[0, 1, 2, 3, 7])?),
                3 => i64c(*u.choose(&[-1, -100, -101, -102, i64::MIN, i64::MAX])?),
                4 => format!("(call {})", id("msg_tag")),
                _ => i64c(u.arbitrary()?),
            },
            // Mostly short: a wait that never ends stops the guest's calls.
            Arg::Ms => i64c(match u.int_in_range(0..=19)? {
                0..=9 => 0,
                10..=16 => u.int_in_range(1..=20)?,
                17 => *u.choose(&[-1, i64::MIN, i64::MAX, i64::MAX / 1000, u32::MAX as i64])?,
                _ => u.arbitrary()?,
            }),
            Arg::Ref => match u.int_in_range(0..=5)? {
                0..=2 => "(global.get $ref)".into(),
                3 => "(global.get $pid)".into(),
                4 => i64c(*u.choose(&[0, 1, -1, i64::MIN, i64::MAX])?),
                _ => i64c(u.arbitrary()?),
            },
            Arg::Tid => match u.int_in_range(0..=5)? {
                0..=2 => "(global.get $tid)".into(),
                3 => i64c(*u.choose(&[0, 1, 2, 3, -1, i64::MIN, i64::MAX])?),
                4 => "(global.get $pid)".into(),
                _ => i64c(u.arbitrary()?),
            },
            Arg::I64 => i64c(match u.int_in_range(0..=3)? {
                0 | 1 => *u.choose(&[0, 1, 2, -1, 100, 1 << 20, 1 << 32])?,
                2 => *u.choose(&[i64::MIN, i64::MAX, i64::MIN + 1, i64::MAX - 1])?,
                _ => u.arbitrary()?,
            }),
        })
    }

    /// A (ptr, len) pair: mostly in bounds, near `base` (at most `small`
    /// bytes) or at the end of memory; one in `edges` outside memory,
    /// overflowing, or with a negative length.
    fn range(&self, u: &mut Unstructured<'_>, base: u32, small: u32) -> Result<String> {
        let c = |v: i64| format!("(i32.const {})", v as i32);
        let end = |k: i64| format!("(i32.sub (call $end) (i32.const {k}))");
        let base = i64::from(base);
        if !u.ratio(1, self.edges)? {
            return Ok(match u.int_in_range(0..=9)? {
                0..=5 => format!("{} {}", c(base), c(u.int_in_range(0..=small)?.into())),
                6 => format!("{} {}", c(SCRATCH.into()), c(*u.choose(&[4096, 16_384, 60_000])?)),
                // The argument area: [victim][dead][self], a child's
                // argument.
                7 => format!("{} {}", c(ARG.into()), c(*u.choose(&[0, 8, 16, 24])?)),
                8 => format!("{} {}", c(0), c(0)),
                // Exactly to the end of memory, and empty at its end.
                _ => {
                    let k = *u.choose(&[0, 1, 8, 16, 64])?;
                    format!("{} {}", end(k), c(k))
                }
            });
        }
        Ok(match u.int_in_range(0..=7)? {
            // One byte past the end of memory; empty past it.
            0 => {
                let k = *u.choose(&[1, 8, 16, 64])?;
                format!("{} {}", end(k), c(k + 1))
            }
            1 => format!("{} {}", end(*u.choose(&[-1, -65_536])?), c(0)),
            // ptr + len overflows u32 or i32.
            2 => format!(
                "{} {}",
                c(*u.choose(&[-1, -8, i32::MAX as i64, i32::MIN as i64])?),
                c(*u.choose(&[1, 2, 8, 16, i32::MAX as i64])?)
            ),
            3 => format!("{} {}", end(8), c(i32::MAX.into())),
            // Negative lengths.
            4 => format!("{} {}", c(base), c(*u.choose(&[-1, -8, i32::MIN as i64])?)),
            5 => format!("{} {}", c(base), c(*u.choose(&[65_536, 1 << 20, i32::MAX as i64])?)),
            _ => format!("{} {}", c(u.arbitrary::<i32>()?.into()), c(u.arbitrary::<i32>()?.into())),
        })
    }
}
