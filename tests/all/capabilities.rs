//! Per-process limits and capabilities given at spawn (`spawn_opts`,
//! `Node::spawn_opts`, `warren run --dir`): each limit ends the process that
//! breaks it with a `limit` reason naming it, what a process may not do
//! returns `ERR_NOT_PERMITTED` (or `EBADF`, for printing), options only
//! narrow, and preopened directories reach the host's files.

use crate::cli::{TempFile, warren};
use crate::common::*;
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use warren_host::{
    DirGrant, ERR_NOT_PERMITTED, OPT_CLEAR_ENV, OPT_DENY_PRINT, OPT_DENY_SPAWN, OPT_DIR, OPT_ENV, OPT_MAX_FUEL,
    OPT_MAX_MAILBOX, OPT_MAX_MEMORY, OPT_NO_DIRS, OptionsError, Preopen, REASON_LIMIT, SpawnError, SpawnOptions,
};

/// Imports a capabilities guest needs beyond [`rwat`]'s (WAT wants every
/// import first).
const IMPORTS: &str = r#"
  (import "warren_v1" "spawn_opts" (func $spawn_opts (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i64)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close" (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
"#;

/// The guest of these tests.
///
/// `spawner`: its argument is `[reporter: i64][entry_len: u32][entry][options
/// block]`; it spawns `entry` of its own module with `spawn_opts`, the
/// options and `SPAWN_MONITOR`, giving the child the reporter's pid as
/// argument. It reports the result (pid or error) with tag 1, the monitor
/// reference with tag 7, and the child's DOWN payload with tag 2.
///
/// The children report to the pid in their argument with tag 3:
/// `grow` grows its memory by 4 pages (0 if it lives on); `burn` loops
/// forever; `try_spawn` reports what `spawn` returns; `wait` reports its
/// pid and waits for tag 999; `print` reports what `fd_write` to stdout
/// returns; `write_file` creates `out.txt` in fd 3 (the first preopened
/// directory), writes to it and reports the errno (0: written).
const BODY: &str = r#"
  (data (i32.const 8192) "hello from a child\n")
  (data (i32.const 8224) "out.txt")
  (data (i32.const 8240) "written by a child")
  (data (i32.const 8272) "noop")
  (func (export "spawner")
    (local $size i32) (local $elen i32) (local $pid i64) (local $n i32)
    (local.set $size (call $arg_size))
    (drop (call $arg_read (i32.const 16384) (local.get $size)))
    (local.set $elen (i32.load (i32.const 16392)))
    (local.set $pid (call $spawn_opts
      (i32.const 0) (i32.const 0)
      (i32.const 16396) (local.get $elen)
      (i32.const 16384) (i32.const 8)
      (i32.add (i32.const 16396) (local.get $elen))
      (i32.sub (local.get $size) (i32.add (i32.const 12) (local.get $elen)))
      (i32.const 2) (i32.const 16)))
    (call $report (i64.load (i32.const 16384)) (i64.const 1) (local.get $pid))
    (if (i64.gt_s (local.get $pid) (i64.const 0))
      (then
        (call $report (i64.load (i32.const 16384)) (i64.const 7) (i64.load (i32.const 16)))
        (local.set $n (call $recv_tag (i64.const -101)))
        (call $forward (i64.load (i32.const 16384)) (i64.const 2) (local.get $n)))))
  (func (export "grow")
    (drop (memory.grow (i32.const 4)))
    (call $report (call $arg_pid) (i64.const 3) (i64.const 0)))
  (func (export "burn") (loop $forever (br $forever)))
  (func (export "try_spawn")
    (call $report (call $arg_pid) (i64.const 3)
      (call $spawn (i32.const 8272) (i32.const 4) (i32.const 0) (i32.const 0))))
  (func (export "noop"))
  (func (export "wait")
    (call $report (call $arg_pid) (i64.const 3) (call $self))
    (drop (call $recv_tag (i64.const 999))))
  (func (export "print")
    (i32.store (i32.const 8300) (i32.const 8192))
    (i32.store (i32.const 8304) (i32.const 19))
    (call $report (call $arg_pid) (i64.const 3)
      (i64.extend_i32_s (call $fd_write (i32.const 1) (i32.const 8300) (i32.const 1) (i32.const 8308)))))
  (func (export "write_file")
    (local $errno i32)
    ;; path_open(fd 3, no lookup flags, "out.txt", CREAT | TRUNC,
    ;; FD_READ | FD_WRITE, the same, no fd flags, fd at 8312)
    (local.set $errno (call $path_open (i32.const 3) (i32.const 0) (i32.const 8224) (i32.const 7) (i32.const 9)
      (i64.const 66) (i64.const 66) (i32.const 0) (i32.const 8312)))
    (if (i32.eqz (local.get $errno))
      (then
        (i32.store (i32.const 8300) (i32.const 8240))
        (i32.store (i32.const 8304) (i32.const 18))
        (local.set $errno (call $fd_write (i32.load (i32.const 8312)) (i32.const 8300) (i32.const 1) (i32.const 8308)))
        (drop (call $fd_close (i32.load (i32.const 8312))))))
    (call $report (call $arg_pid) (i64.const 3) (i64.extend_i32_s (local.get $errno))))
"#;

/// The guest, loaded once per node under `caps`.
fn caps_module(node: &Node) -> LoadedModule {
    node.module("caps").unwrap_or_else(|| {
        load(node, "caps", &format!("(module {IMPORTS} {RELATIONS_IMPORTS} {PRELUDE} {RELATIONS_HELPERS} {BODY})"))
    })
}

/// One options record.
fn record(key: u32, body: &[u8]) -> Vec<u8> {
    let mut out = key.to_le_bytes().to_vec();
    out.extend_from_slice(&u32::try_from(body.len()).unwrap().to_le_bytes());
    out.extend_from_slice(body);
    out
}

/// The spawner's argument: the reporter, the child's entry, the options.
fn spawner_arg(inbox: &Inbox, entry: &str, options: &[u8]) -> Vec<u8> {
    let mut arg = pid_bytes(inbox.pid()).to_vec();
    arg.extend_from_slice(&u32::try_from(entry.len()).unwrap().to_le_bytes());
    arg.extend_from_slice(entry.as_bytes());
    arg.extend_from_slice(options);
    arg
}

/// The reports on an inbox, by tag, whatever order they come in.
struct Reports<'a> {
    inbox: &'a Inbox,
    early: HashMap<i64, VecDeque<Message>>,
}

impl<'a> Reports<'a> {
    fn new(inbox: &'a Inbox) -> Reports<'a> {
        Reports { inbox, early: HashMap::new() }
    }

    /// The next report with `tag`.
    fn take(&mut self, tag: i64) -> Message {
        if let Some(message) = self.early.get_mut(&tag).and_then(VecDeque::pop_front) {
            return message;
        }
        loop {
            let message = recv(self.inbox);
            if message.tag == tag {
                return message;
            }
            self.early.entry(message.tag).or_default().push_back(message);
        }
    }

    /// A report of one i64 with `tag`.
    fn value(&mut self, tag: i64) -> i64 {
        as_i64(&self.take(tag).data)
    }
}

/// A spawn by the spawner guest (spawned by the node with `parent`'s
/// options) of `entry` with `options`: what `spawn_opts` returned.
struct Spawned<'a> {
    result: i64,
    reports: Reports<'a>,
    spawner: ProcessHandle,
}

impl Spawned<'_> {
    /// The child's exit reason, from its DOWN: (kind, detail).
    fn down(&mut self) -> (i32, String) {
        assert!(self.result > 0, "the spawn failed with {}", self.result);
        let reference = self.reports.value(7);
        let (monitor, pid, kind, detail) = parse_down(&self.reports.take(2).data);
        assert_eq!(monitor, reference.cast_unsigned(), "the DOWN carries the reference spawn_opts wrote at ref_out");
        assert_eq!(pid.raw(), self.result.cast_unsigned());
        finish_normally(&self.spawner);
        (kind, String::from_utf8_lossy(&detail).into_owned())
    }
}

fn spawn_via_guest<'a>(
    node: &Node,
    inbox: &'a Inbox,
    parent: &SpawnOptions,
    entry: &str,
    options: &[u8],
) -> Spawned<'a> {
    let module = caps_module(node);
    let spawner = node.spawn_opts(&module, "spawner", &spawner_arg(inbox, entry, options), parent).expect("spawner");
    let mut reports = Reports::new(inbox);
    let result = reports.value(1);
    Spawned { result, reports, spawner }
}

/// Asserts a `(kind, detail)` is a limit whose detail has every needle.
fn assert_limit(down: &(i32, String), needles: &[&str]) {
    assert_eq!(down.0, REASON_LIMIT, "expected a limit, got {down:?}");
    for needle in needles {
        assert!(down.1.contains(needle), "the limit should name {needle:?}: {}", down.1);
    }
}

const PAGE: u64 = 65_536;

#[test]
fn a_child_over_its_memory_limit_ends_with_a_limit_naming_memory() {
    let node = node(2);
    let inbox = node.inbox();
    let options = record(OPT_MAX_MEMORY, &(2 * PAGE).to_le_bytes());
    let mut spawned = spawn_via_guest(&node, &inbox, &SpawnOptions::default(), "grow", &options);
    assert_limit(&spawned.down(), &["memory", "process limit of 131072 bytes"]);
    // Without the option the same child grows (the node allows 256 MiB).
    let mut spawned = spawn_via_guest(&node, &inbox, &SpawnOptions::default(), "grow", &[]);
    assert_eq!(spawned.reports.value(3), 0);
    assert_eq!(spawned.down().0, warren_host::REASON_NORMAL);
}

#[test]
fn options_cannot_widen_a_limit_asking_for_more_memory_gets_the_parents() {
    let node = node(2);
    let inbox = node.inbox();
    // The spawner may have 2 pages; it asks 1 GiB for its child.
    let parent = SpawnOptions::default().max_memory(2 * PAGE as usize);
    let options = record(OPT_MAX_MEMORY, &(1u64 << 30).to_le_bytes());
    let mut spawned = spawn_via_guest(&node, &inbox, &parent, "grow", &options);
    assert_limit(&spawned.down(), &["memory", "process limit of 131072 bytes"]);
    // And a child spawned without options has its parent's limit too.
    let mut spawned = spawn_via_guest(&node, &inbox, &parent, "grow", &[]);
    assert_limit(&spawned.down(), &["memory", "process limit of 131072 bytes"]);
}

#[test]
fn a_child_given_less_fuel_ends_with_a_limit_naming_fuel() {
    let node = node(2);
    let inbox = node.inbox();
    let options = record(OPT_MAX_FUEL, &1_000_000u64.to_le_bytes());
    let mut spawned = spawn_via_guest(&node, &inbox, &SpawnOptions::default(), "burn", &options);
    assert_limit(&spawned.down(), &["fuel", "process limit of 1000000"]);
}

#[test]
fn a_child_cannot_get_more_fuel_than_the_node_allows() {
    let node = node_with(NodeConfig::default().schedulers(2).max_fuel(Some(2_000_000)));
    let inbox = node.inbox();
    let options = record(OPT_MAX_FUEL, &u64::MAX.to_le_bytes());
    let mut spawned = spawn_via_guest(&node, &inbox, &SpawnOptions::default(), "burn", &options);
    assert_limit(&spawned.down(), &["fuel", "process limit of 2000000"]);
}

#[test]
fn a_per_process_mailbox_limit_ends_the_receiver_naming_it() {
    // The node has no mailbox limit; the child has 3.
    let node = node(2);
    let inbox = node.inbox();
    let options = record(OPT_MAX_MAILBOX, &3u64.to_le_bytes());
    let mut spawned = spawn_via_guest(&node, &inbox, &SpawnOptions::default(), "wait", &options);
    let child = Pid::from_raw(spawned.reports.value(3).cast_unsigned()).expect("a pid");
    for _ in 0..4 {
        inbox.send(child, 5, b"more");
    }
    assert_limit(&spawned.down(), &["mailbox", "4 messages queued exceeds the process limit of 3"]);
    // The spawner, under the node's (absent) limit, took many more.
    let many = spawn(&node, &caps_module(&node), "wait", &pid_bytes(inbox.pid()));
    let mut reports = Reports::new(&inbox);
    let pid = Pid::from_raw(reports.value(3).cast_unsigned()).expect("a pid");
    for _ in 0..100 {
        inbox.send(pid, 5, b"more");
    }
    inbox.send(pid, 999, b"");
    finish_normally(&many);
}

#[test]
fn a_child_without_the_right_to_spawn_gets_err_not_permitted() {
    let node = node(2);
    let inbox = node.inbox();
    let options = record(OPT_DENY_SPAWN, &[]);
    let mut spawned = spawn_via_guest(&node, &inbox, &SpawnOptions::default(), "try_spawn", &options);
    assert_eq!(spawned.reports.value(3), i64::from(ERR_NOT_PERMITTED));
    assert_eq!(spawned.down().0, warren_host::REASON_NORMAL);
    // A parent that may not spawn gets the same from spawn_opts itself.
    let spawned = spawn_via_guest(&node, &inbox, &SpawnOptions::default().deny_spawn(), "noop", &[]);
    assert_eq!(spawned.result, i64::from(ERR_NOT_PERMITTED));
    finish_normally(&spawned.spawner);
    // Without the option the child spawns.
    let mut spawned = spawn_via_guest(&node, &inbox, &SpawnOptions::default(), "try_spawn", &[]);
    assert!(spawned.reports.value(3) > 0);
    spawned.down();
}

#[test]
fn a_child_denied_printing_gets_ebadf() {
    let node = node(2);
    let inbox = node.inbox();
    let options = record(OPT_DENY_PRINT, &[]);
    let mut spawned = spawn_via_guest(&node, &inbox, &SpawnOptions::default(), "print", &options);
    assert_eq!(spawned.reports.value(3), 8, "fd_write on stdout returns EBADF");
    spawned.down();
    // Rights taken away stay away: the node's own spawn options too.
    let module = caps_module(&node);
    let denied = node.spawn_opts(&module, "print", &pid_bytes(inbox.pid()), &SpawnOptions::default().deny_print());
    let denied = denied.expect("spawned");
    assert_eq!(Reports::new(&inbox).value(3), 8);
    finish_normally(&denied);
}

#[test]
fn malformed_options_blocks_are_err_badarg() {
    let node = node(2);
    let inbox = node.inbox();
    let memory = record(OPT_MAX_MEMORY, &PAGE.to_le_bytes());
    let blocks: Vec<(&str, Vec<u8>)> = vec![
        ("a header cut short", vec![1, 0, 0, 0, 8]),
        ("a record cut short", memory[..12].to_vec()),
        ("an unknown key", record(99, &[])),
        ("a limit of 4 bytes", record(OPT_MAX_MEMORY, &[0; 4])),
        ("a deny flag with bytes", record(OPT_DENY_SPAWN, &[1])),
        ("a read-only byte of 2", record(OPT_DIR, b"\x02/a")),
        ("a directory without a path", record(OPT_DIR, &[0])),
        ("an environment entry without =", record(OPT_ENV, b"NAME")),
        ("text that is not UTF-8", record(OPT_ENV, b"A=\xff")),
        ("a limit given twice", [&memory[..], &memory[..]].concat()),
        ("a flag of no-dirs with bytes", record(OPT_NO_DIRS, &[0])),
    ];
    for (what, block) in blocks {
        let spawned = spawn_via_guest(&node, &inbox, &SpawnOptions::default(), "noop", &block);
        assert_eq!(spawned.result, i64::from(ERR_BADARG), "{what}: {block:?}");
        finish_normally(&spawned.spawner);
    }
    // Whole records are accepted in any order.
    let mut good = record(OPT_CLEAR_ENV, &[]);
    good.extend(record(OPT_ENV, b"A=1"));
    good.extend(memory);
    good.extend(record(OPT_NO_DIRS, &[]));
    let mut spawned = spawn_via_guest(&node, &inbox, &SpawnOptions::default(), "noop", &good);
    assert_eq!(spawned.down().0, warren_host::REASON_NORMAL);
}

#[test]
fn an_options_block_outside_memory_traps_the_caller_naming_spawn_opts() {
    let node = node(2);
    let module = load(
        &node,
        "opts-outside",
        &format!(
            r#"(module {IMPORTS} (memory (export "memory") 1) (data (i32.const 0) "noop")
            (func (export "noop"))
            (func (export "main")
              (drop (call $spawn_opts (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 4) (i32.const 0) (i32.const 0)
                (i32.const 65530) (i32.const 16) (i32.const 0) (i32.const 0)))))"#
        ),
    );
    let process = spawn(&node, &module, "main", b"");
    expect_trap(&finish(&process), &["warren_v1.spawn_opts", "outside linear memory"]);
}

/// A fresh, empty directory under the temp directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let path = std::env::temp_dir().join(format!("warren-caps-{}-{n}-{name}", std::process::id()));
        std::fs::create_dir_all(&path).expect("temp dir made");
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn file(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.0.join(name)).ok()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A node with a read-write directory at `/rw` and a read-only one at `/ro`.
fn node_with_dirs(rw: &TempDir, ro: &TempDir) -> Node {
    node_with(
        NodeConfig::default()
            .schedulers(2)
            .dir(Preopen::new(rw.path(), "/rw"))
            .dir(Preopen::read_only(ro.path(), "/ro")),
    )
}

/// The errno `write_file` reports when spawned by the guest with `options`
/// (fd 3 is the first directory it keeps).
fn write_file_errno(node: &Node, inbox: &Inbox, options: &[u8]) -> i64 {
    let mut spawned = spawn_via_guest(node, inbox, &SpawnOptions::default(), "write_file", options);
    let errno = spawned.reports.value(3);
    assert_eq!(spawned.down().0, warren_host::REASON_NORMAL);
    errno
}

#[test]
fn a_read_write_directory_can_be_written_and_the_file_lands_on_the_host() {
    let (rw, ro) = (TempDir::new("rw"), TempDir::new("ro"));
    let node = node_with_dirs(&rw, &ro);
    let inbox = node.inbox();
    // Without options the child has the node's directories: fd 3 is /rw.
    assert_eq!(write_file_errno(&node, &inbox, &[]), 0);
    assert_eq!(rw.file("out.txt").as_deref(), Some("written by a child"));
    std::fs::remove_file(rw.path().join("out.txt")).unwrap();
    // Kept by name, it stays writable.
    assert_eq!(write_file_errno(&node, &inbox, &record(OPT_DIR, b"\x00/rw")), 0);
    assert_eq!(rw.file("out.txt").as_deref(), Some("written by a child"));
}

#[test]
fn a_read_only_directory_cannot_be_written() {
    let (rw, ro) = (TempDir::new("rw"), TempDir::new("ro"));
    let node = node_with_dirs(&rw, &ro);
    let inbox = node.inbox();
    // Only /ro, which the node has read-only: fd 3 is /ro.
    let errno = write_file_errno(&node, &inbox, &record(OPT_DIR, b"\x00/ro"));
    assert_eq!(errno, 63, "creating a file in a read-only directory fails with EPERM");
    assert_eq!(ro.file("out.txt"), None);
    // /rw narrowed to read-only.
    let errno = write_file_errno(&node, &inbox, &record(OPT_DIR, b"\x01/rw"));
    assert_eq!(errno, 63, "creating a file in a directory narrowed to read-only fails with EPERM");
    assert_eq!(rw.file("out.txt"), None);
    // No directory at all: fd 3 names nothing.
    assert_eq!(write_file_errno(&node, &inbox, &record(OPT_NO_DIRS, &[])), 8, "EBADF");
}

#[test]
fn a_dir_grant_naming_an_unknown_guest_path_is_err_badarg() {
    let (rw, ro) = (TempDir::new("rw"), TempDir::new("ro"));
    let node = node_with_dirs(&rw, &ro);
    let inbox = node.inbox();
    // The host path is not a guest path: directories are named as the
    // parent sees them.
    for path in ["/nope", "/r", rw.path().to_str().unwrap()] {
        let block = record(OPT_DIR, &[&[0u8][..], path.as_bytes()].concat());
        let spawned = spawn_via_guest(&node, &inbox, &SpawnOptions::default(), "noop", &block);
        assert_eq!(spawned.result, i64::from(ERR_BADARG), "{path}");
        finish_normally(&spawned.spawner);
    }
    // A parent that kept only /ro cannot give its child /rw.
    let parent = SpawnOptions::default().dir(DirGrant::new("/ro"));
    let spawned = spawn_via_guest(&node, &inbox, &parent, "noop", &record(OPT_DIR, b"\x00/rw"));
    assert_eq!(spawned.result, i64::from(ERR_BADARG));
    finish_normally(&spawned.spawner);
}

#[test]
fn the_rust_api_narrows_the_nodes_capabilities_and_types_its_errors() {
    let (rw, ro) = (TempDir::new("rw"), TempDir::new("ro"));
    let node = node_with_dirs(&rw, &ro);
    let inbox = node.inbox();
    let module = caps_module(&node);
    let unknown = node.spawn_opts(&module, "noop", b"", &SpawnOptions::default().dir(DirGrant::new("/elsewhere")));
    match unknown {
        Err(SpawnError::Options(OptionsError::UnknownDir { guest })) => assert_eq!(guest, "/elsewhere"),
        Err(other) => panic!("expected an unknown directory, got {other:?}"),
        Ok(_) => panic!("a directory the node does not have was granted"),
    }
    let limited =
        node.spawn_opts(&module, "grow", &pid_bytes(inbox.pid()), &SpawnOptions::default().max_memory(65_536));
    expect_limit(&finish(&limited.expect("spawned")), &["memory", "process limit of 65536 bytes"]);
    let burn = node.spawn_opts(&module, "burn", b"", &SpawnOptions::default().max_fuel(500_000));
    expect_limit(&finish(&burn.expect("spawned")), &["fuel", "500000"]);
    // The node's directories, narrowed: /ro only, so fd 3 is /ro.
    let arg = pid_bytes(inbox.pid());
    let ro_only = node.spawn_opts(&module, "write_file", &arg, &SpawnOptions::default().dir(DirGrant::new("/ro")));
    assert_eq!(Reports::new(&inbox).value(3), 63, "EPERM");
    finish_normally(&ro_only.expect("spawned"));
    // The block the guests write says the same.
    let options = SpawnOptions::decode(&record(OPT_DIR, b"\x01/rw")).expect("a well-formed block");
    assert_eq!(options, SpawnOptions::default().dir(DirGrant::read_only("/rw")));
}

#[test]
fn a_memory_limit_below_the_initial_memory_stops_the_child_before_it_starts() {
    // One scheduler thread: the noops leave it spare instances of the
    // module (recycled stores), whose memory is already the initial size.
    let node = node(1);
    let module = caps_module(&node);
    for round in 0..3 {
        for _ in 0..40 {
            finish_normally(&spawn(&node, &module, "noop", b""));
        }
        let small = node.spawn_opts(&module, "noop", b"", &SpawnOptions::default().max_memory(1_000));
        let small = small.expect("the spawn itself succeeds");
        expect_limit(&finish(&small), &["memory", "process limit of 1000 bytes"]);
        assert!(!small.started(), "round {round}: the child never started");
    }
    assert_node_still_runs(&node);
}

#[test]
fn a_missing_preopened_directory_is_a_node_configuration_error() {
    let missing = std::env::temp_dir().join(format!("warren-caps-missing-{}", std::process::id()));
    let result = Node::new(NodeConfig::default().schedulers(1).dir(Preopen::new(&missing, "/x")));
    let Err(error) = result else { panic!("a node with a missing directory started") };
    assert!(error.to_string().contains("not a directory"), "{error}");
}

/// A CLI root: opens `cli.txt` in fd 3 for writing and prints `opened` or
/// `refused`; then prints fd 3's guest path.
fn cli_root() -> TempFile {
    let source = r#"(module
      (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_prestat_get" (func $prestat_get (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_prestat_dir_name" (func $prestat_dir_name (param i32 i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "path_open"
        (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 100) "cli.txt")
      (data (i32.const 120) "opened\n")
      (data (i32.const 140) "refused\n")
      (data (i32.const 160) "from the root\n")
      (data (i32.const 180) "\n")
      (func $write (param $fd i32) (param $ptr i32) (param $len i32)
        (i32.store (i32.const 0) (local.get $ptr))
        (i32.store (i32.const 4) (local.get $len))
        (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
      (func (export "main")
        (if (i32.eqz (call $path_open (i32.const 3) (i32.const 0) (i32.const 100) (i32.const 7) (i32.const 9)
              (i64.const 66) (i64.const 66) (i32.const 0) (i32.const 12)))
          (then
            (call $write (i32.load (i32.const 12)) (i32.const 160) (i32.const 14))
            (call $write (i32.const 1) (i32.const 120) (i32.const 7)))
          (else (call $write (i32.const 1) (i32.const 140) (i32.const 8))))
        ;; fd 3's guest path: its length at 1028, the name at 2048.
        (drop (call $prestat_get (i32.const 3) (i32.const 1024)))
        (drop (call $prestat_dir_name (i32.const 3) (i32.const 2048) (i32.load (i32.const 1028))))
        (call $write (i32.const 1) (i32.const 2048) (i32.load (i32.const 1028)))
        (call $write (i32.const 1) (i32.const 180) (i32.const 1))))"#;
    TempFile::new("dir-root.wat", source.as_bytes())
}

#[test]
fn cli_dir_preopens_a_directory_for_the_root_and_files_land_on_the_host() {
    let dir = TempDir::new("cli-rw");
    let root = cli_root();
    let spec = format!("{}::/data", dir.path().display());
    warren(&["run", root.path(), "--dir", &spec]).expect_code(0).stdout_has("opened\n").stdout_has("/data\n");
    assert_eq!(dir.file("cli.txt").as_deref(), Some("from the root\n"));
    // Without ::GUEST the guest path is the host path, as in wasmtime's CLI.
    let host = dir.path().to_str().unwrap();
    warren(&["run", root.path(), "--dir", host]).expect_code(0).stdout_has(&format!("{host}\n"));
}

#[test]
fn cli_dir_ro_preopens_a_directory_that_cannot_be_written() {
    let dir = TempDir::new("cli-ro");
    let root = cli_root();
    let spec = format!("{}::/data", dir.path().display());
    warren(&["run", root.path(), "--dir-ro", &spec]).expect_code(0).stdout_has("refused\n").stdout_has("/data\n");
    assert_eq!(dir.file("cli.txt"), None);
}

#[test]
fn cli_a_missing_host_directory_exits_2() {
    let root = cli_root();
    let missing = std::env::temp_dir().join(format!("warren-caps-cli-missing-{}", std::process::id()));
    let missing = missing.to_str().unwrap();
    warren(&["run", root.path(), "--dir", missing]).expect_code(2).stderr_has("no such directory");
    warren(&["run", root.path(), "--dir-ro", &format!("{missing}::/x")]).expect_code(2).stderr_has(missing);
    warren(&["run", root.path(), "--dir", "::/x"]).expect_code(2);
}

#[test]
fn cli_a_child_denied_printing_prints_nothing() {
    let source = format!(
        r#"(module {IMPORTS} {RELATIONS_IMPORTS} {PRELUDE} {RELATIONS_HELPERS}
          (data (i32.const 8192) "secret from the child\n")
          (data (i32.const 8224) "visible from the root\n")
          (data (i32.const 8256) "child")
          ;; OPT_DENY_PRINT
          (data (i32.const 8264) "\05\00\00\00\00\00\00\00")
          (func $print (param $ptr i32) (param $len i32)
            (i32.store (i32.const 8300) (local.get $ptr))
            (i32.store (i32.const 8304) (local.get $len))
            (drop (call $fd_write (i32.const 1) (i32.const 8300) (i32.const 1) (i32.const 8308))))
          (func (export "child") (call $print (i32.const 8192) (i32.const 22)))
          (func (export "main")
            (if (i64.le_s (call $spawn_opts (i32.const 0) (i32.const 0) (i32.const 8256) (i32.const 5)
                  (i32.const 0) (i32.const 0) (i32.const 8264) (i32.const 8) (i32.const 2) (i32.const 16))
                (i64.const 0))
              (then unreachable))
            (drop (call $recv_tag (i64.const -101)))
            (call $print (i32.const 8224) (i32.const 22))))"#
    );
    let root = TempFile::new("deny-print.wat", source.as_bytes());
    let run = warren(&["run", root.path()]);
    run.expect_code(0).stdout_has("visible from the root");
    assert!(!run.stdout.contains("secret"), "the denied child printed: {}", run.stdout);
}
