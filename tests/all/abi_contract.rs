//! The guest ABI's general rules, as docs/ABI.md states them: which error a
//! call returns when several apply, what a well-formed pid is and that a
//! pid is no capability, what WASI gives a process, and what hibernation
//! keeps.

use crate::common::*;
use std::sync::Arc;
use std::time::Instant;
use warren_host::{
    Capabilities, ERR_ACCESS, ERR_KEY_TOO_LARGE, ERR_NAME_TAKEN, ERR_NO_SUCH_NAME, ERR_NO_SUCH_TABLE,
    ERR_NO_SUCH_TIMER, ERR_NOPROC, ERR_NOT_ALIVE, ERR_NOT_FOUND, ERR_NOT_PERMITTED, ERR_VALUE_TOO_LARGE,
    ERR_WRONG_TYPE, REASON_CUSTOM, TAG_DOWN, TAG_EXIT,
};

/// Imports beyond [`RELATIONS_IMPORTS`] and the prelude's: hibernation, the
/// table calls the tests use, and WASI.
const MORE_IMPORTS: &str = r#"
  (import "warren_v1" "hibernate" (func $hibernate (result i32)))
  (import "warren_v1" "table_new" (func $table_new (param i32 i32 i32 i32 i64) (result i64)))
  (import "warren_v1" "table_insert" (func $table_insert (param i64 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_lookup" (func $table_lookup (param i64 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_update" (func $table_update (param i64 i32 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_update_counter" (func $table_update_counter (param i64 i32 i32 i64 i32 i64 i32) (result i32)))
  (import "warren_v1" "table_range" (func $table_range (param i64 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_give_away" (func $table_give_away (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "table_set_heir" (func $table_set_heir (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "table_result_read" (func $table_result_read (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "clock_time_get" (func $clock_time_get (param i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "fd_seek" (func $fd_seek (param i32 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_advise" (func $fd_advise (param i32 i64 i64 i32) (result i32)))
"#;

/// Helpers of these tests' guests (memory: see [`RELATIONS_HELPERS`]; 1040
/// holds the last clock reading).
const REPORTING: &str = r#"
  ;; Reports `value` to the reporter (the argument's first pid) under `tag`.
  (func $r (param $tag i64) (param $value i64)
    (call $report (call $arg_pid) (local.get $tag) (local.get $value)))
  ;; As $r, for an i32 result.
  (func $r32 (param $tag i64) (param $value i32)
    (call $r (local.get $tag) (i64.extend_i32_s (local.get $value))))
  ;; WASI's monotonic clock, in nanoseconds.
  (func $mono (result i64)
    (if (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 1040)) (then unreachable))
    (i64.load (i32.const 1040)))
"#;

/// A module with every import these tests use, the helpers, and `body`.
fn contract_wat(body: &str) -> String {
    format!("(module {RELATIONS_IMPORTS} {MORE_IMPORTS} {PRELUDE} {RELATIONS_HELPERS} {REPORTING} {body})")
}

/// Names and bytes at 8192 and up, shared by the bodies below.
const DATA: &str = r#"
  (data (i32.const 8192) "\ff")          ;; not UTF-8
  (data (i32.const 8200) "ghost")        ;; no module, name or registry has it
  (data (i32.const 8208) "nope")         ;; no export has it
  (data (i32.const 8216) "child")
  (data (i32.const 8224) "mine")
  (data (i32.const 8232) "k")
  (data (i32.const 8240) "stranger")
  (func (export "child"))
"#;

/// The reports of one guest: `count` values, keyed by tag.
fn reports(inbox: &Inbox, count: usize) -> std::collections::HashMap<i64, i64> {
    recv_by_tag(inbox, count).into_iter().map(|(tag, message)| (tag, as_i64(&message.data))).collect()
}

/// Asserts the reported value of each `(tag, expected)`.
fn assert_reports(got: &std::collections::HashMap<i64, i64>, expected: &[(i64, i32)]) {
    for &(tag, value) in expected {
        assert_eq!(got.get(&tag), Some(&i64::from(value)), "report {tag}; all reports: {got:?}");
    }
}

// ------------------------------------------------------ which error wins

const SPAWNS: &str = r#"
  (func (export "spawns")
    ;; the module's name is not UTF-8 (and names no module): ERR_BADARG
    (call $r (i64.const 1) (call $spawn_module (i32.const 8192) (i32.const 1) (i32.const 8208) (i32.const 4) (i32.const 0) (i32.const 0)))
    ;; no such module, and an entry that is not UTF-8: ERR_BADARG
    (call $r (i64.const 2) (call $spawn_module (i32.const 8200) (i32.const 5) (i32.const 8192) (i32.const 1) (i32.const 0) (i32.const 0)))
    ;; no such module and no such export: the module first
    (call $r (i64.const 3) (call $spawn_module (i32.const 8200) (i32.const 5) (i32.const 8208) (i32.const 4) (i32.const 0) (i32.const 0)))
    ;; an unknown flag, and no such export: ERR_BADARG
    (call $r (i64.const 4) (call $spawn_opt (i32.const 0) (i32.const 0) (i32.const 8208) (i32.const 4) (i32.const 0) (i32.const 0) (i32.const 4) (i32.const 16)))
    ;; no such export, and an argument larger than the largest message: the export
    (call $r (i64.const 5) (call $spawn (i32.const 8208) (i32.const 4) (i32.const 0) (i32.const 8192)))
    ;; the argument alone: ERR_LIMIT
    (call $r (i64.const 6) (call $spawn (i32.const 8216) (i32.const 5) (i32.const 0) (i32.const 8192))))
"#;

/// A node whose largest message is 4 KiB, so a guest can pass a larger one
/// from its first page.
fn small_message_node() -> Node {
    node_with(NodeConfig::default().schedulers(2).max_message(4096))
}

#[test]
fn spawn_reports_bad_arguments_then_permission_then_the_module_then_the_export_then_limits() {
    let node = small_message_node();
    let module = load(&node, "spawns", &contract_wat(&format!("{DATA} {SPAWNS}")));
    let inbox = node.inbox();
    let process = spawn(&node, &module, "spawns", &pid_bytes(inbox.pid()));
    assert_reports(
        &reports(&inbox, 6),
        &[
            (1, ERR_BADARG),
            (2, ERR_BADARG),
            (3, ERR_NO_SUCH_MODULE),
            (4, ERR_BADARG),
            (5, ERR_NO_SUCH_EXPORT),
            (6, ERR_LIMIT),
        ],
    );
    finish_normally(&process);

    // Without the capability to spawn: bad arguments still come first, then
    // the permission, before the module or the export is looked at.
    let caps = Arc::new(Capabilities::full(Vec::new(), Vec::new()).may_spawn(false));
    let process = node.spawn_with(&module, "spawns", &pid_bytes(inbox.pid()), caps).expect("spawned");
    assert_reports(
        &reports(&inbox, 6),
        &[
            (1, ERR_BADARG),
            (2, ERR_BADARG),
            (3, ERR_NOT_PERMITTED),
            (4, ERR_BADARG),
            (5, ERR_NOT_PERMITTED),
            (6, ERR_NOT_PERMITTED),
        ],
    );
    finish_normally(&process);
}

const MESSAGES: &str = r#"
  (func (export "messages")
    (local $dead i64)
    (local.set $dead (call $arg64 (i32.const 1)))
    ;; send: a negative tag and a message too large: ERR_BADARG
    (call $r32 (i64.const 1) (call $send (call $self) (i64.const -1) (i32.const 0) (i32.const 8192)))
    ;; too large, to a malformed pid (which alone is no error): ERR_LIMIT
    (call $r32 (i64.const 2) (call $send (i64.const 5) (i64.const 1) (i32.const 0) (i32.const 8192)))
    (call $r32 (i64.const 3) (call $send (i64.const 5) (i64.const 1) (i32.const 0) (i32.const 8)))
    ;; send_named: a negative tag, to a name nobody holds: ERR_BADARG
    (call $r32 (i64.const 4) (call $send_named (i32.const 8200) (i32.const 5) (i64.const -1) (i32.const 0) (i32.const 8)))
    ;; nobody holds the name, and the message is too large: the name first
    (call $r32 (i64.const 5) (call $send_named (i32.const 8200) (i32.const 5) (i64.const 1) (i32.const 0) (i32.const 8192)))
    (if (call $register (i32.const 8224) (i32.const 4) (call $self)) (then unreachable))
    (call $r32 (i64.const 6) (call $send_named (i32.const 8224) (i32.const 4) (i64.const 1) (i32.const 0) (i32.const 8192)))
    ;; registry_dispatch: no such registry, too large: the registry first
    (call $r32 (i64.const 7) (call $registry_dispatch (i32.const 8200) (i32.const 5) (i32.const 8208) (i32.const 4)
                                (i64.const 1) (i32.const 0) (i32.const 8192)))
    (call $r32 (i64.const 8) (call $registry_dispatch (i32.const 8200) (i32.const 5) (i32.const 8208) (i32.const 4)
                                (i64.const -1) (i32.const 0) (i32.const 8)))
    ;; send_after: a malformed pid and too large: ERR_BADARG; to itself: ERR_LIMIT
    (call $r (i64.const 9) (call $send_after (i64.const 5) (i64.const 1) (i32.const 0) (i32.const 8192) (i64.const 10)))
    (call $r (i64.const 10) (call $send_after (call $self) (i64.const 1) (i32.const 0) (i32.const 8192) (i64.const 10)))
    ;; msg_read: a negative offset, and no current message: ERR_BADARG
    (call $r32 (i64.const 11) (call $msg_read (i32.const -1) (i32.const 1024) (i32.const 8)))
    (call $r32 (i64.const 12) (call $msg_read (i32.const 0) (i32.const 1024) (i32.const 8)))
    ;; a current message, then a receive_into refused for its short buffer:
    ;; the refused receive ends the current message too
    (drop (call $send (call $self) (i64.const 3) (i32.const 0) (i32.const 0)))
    (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
    (call $r (i64.const 13) (call $msg_tag))
    (call $r32 (i64.const 14) (call $receive_into (i32.const 0) (i32.const 0) (i64.const 0) (i32.const 1024) (i32.const 8)))
    (call $r (i64.const 15) (call $msg_tag))
    ;; register: a taken name for a dead pid: the pid first; a name taken
    ;; (by the caller, already named): ERR_NAME_TAKEN
    (call $r32 (i64.const 16) (call $register (i32.const 8224) (i32.const 4) (local.get $dead)))
    (call $r32 (i64.const 17) (call $register (i32.const 8224) (i32.const 0) (i64.const 5)))
    (call $r32 (i64.const 18) (call $register (i32.const 8224) (i32.const 4) (call $self)))
    ;; registry_register: a registry name not UTF-8; no such registry
    (call $r32 (i64.const 19) (call $registry_register (i32.const 8192) (i32.const 1) (i32.const 8208) (i32.const 4) (i32.const 0) (i32.const 0)))
    (call $r32 (i64.const 20) (call $registry_register (i32.const 8200) (i32.const 5) (i32.const 8208) (i32.const 4) (i32.const 0) (i32.const 0))))
"#;

#[test]
fn messages_and_names_report_bad_arguments_then_what_is_missing_then_limits() {
    let node = small_message_node();
    let module = load(&node, "messages", &contract_wat(&format!("{DATA} {MESSAGES}")));
    let inbox = node.inbox();
    let mut arg = pid_bytes(inbox.pid()).to_vec();
    arg.extend_from_slice(&pid_bytes(dead_pid(&node)));
    let process = spawn(&node, &module, "messages", &arg);
    assert_reports(
        &reports(&inbox, 20),
        &[
            (1, ERR_BADARG),
            (2, ERR_LIMIT),
            (3, OK),
            (4, ERR_BADARG),
            (5, ERR_NO_SUCH_NAME),
            (6, ERR_LIMIT),
            (7, ERR_NO_SUCH_NAME),
            (8, ERR_BADARG),
            (9, ERR_BADARG),
            (10, ERR_LIMIT),
            (11, ERR_BADARG),
            (12, ERR_NO_MESSAGE),
            (13, 3),
            (14, ERR_BADARG),
            (15, ERR_NO_MESSAGE),
            (16, ERR_NOPROC),
            (17, ERR_BADARG),
            (18, ERR_NAME_TAKEN),
            (19, ERR_BADARG),
            (20, ERR_NO_SUCH_NAME),
        ],
    );
    finish_normally(&process);
}

/// Calls with a range outside memory and another fault besides: each must
/// trap, naming the function, and have no effect.
const TRAPS: &str = r#"
  (func (export "trap_send") (drop (call $send (call $self) (i64.const -1) (i32.const 65530) (i32.const 100))))
  (func (export "trap_spawn_module")
    (drop (call $spawn_module (i32.const 8192) (i32.const 1) (i32.const 65530) (i32.const 100) (i32.const 0) (i32.const 0))))
  (func (export "trap_spawn_opt")
    (drop (call $spawn_opt (i32.const 0) (i32.const 0) (i32.const 8216) (i32.const 5) (i32.const 0) (i32.const 0)
                           (i32.const 6) (i32.const 65530))))
  (func (export "trap_receive_into")
    (drop (call $receive_into (i32.const 65530) (i32.const 1) (i64.const 0) (i32.const 1024) (i32.const 8))))
  (func (export "trap_msg_read") (drop (call $msg_read (i32.const -1) (i32.const 65530) (i32.const 100))))
  (func (export "trap_send_named")
    (drop (call $send_named (i32.const 8192) (i32.const 1) (i64.const 1) (i32.const 65530) (i32.const 100))))
  (func (export "trap_registry_register")
    (drop (call $registry_register (i32.const 8192) (i32.const 1) (i32.const 8208) (i32.const 4) (i32.const 65530) (i32.const 100))))
  (func (export "trap_registry_lookup")
    (drop (call $registry_lookup (i32.const 8200) (i32.const 5) (i32.const 8208) (i32.const 4) (i32.const 65530) (i32.const 100))))
  (func (export "trap_send_after")
    (drop (call $send_after (i64.const 5) (i64.const 1) (i32.const 65530) (i32.const 100) (i64.const -1))))
  (func (export "trap_table_insert")
    (drop (call $table_insert (i64.const 999999) (i32.const 0) (i32.const 70000) (i32.const 65530) (i32.const 100))))
"#;

#[test]
fn a_range_outside_memory_traps_whatever_else_is_wrong_and_does_nothing() {
    let node = small_message_node();
    let module = load(&node, "traps", &contract_wat(&format!("{DATA} {TRAPS}")));
    let inbox = node.inbox();
    for func in [
        "send",
        "spawn_module",
        "spawn_opt",
        "receive_into",
        "msg_read",
        "send_named",
        "registry_register",
        "registry_lookup",
        "send_after",
        "table_insert",
    ] {
        let process = spawn(&node, &module, &format!("trap_{func}"), &pid_bytes(inbox.pid()));
        expect_trap(&finish(&process), &[&format!("warren_v1.{func}: guest range"), "outside linear memory"]);
    }
    assert!(inbox.try_recv().is_none(), "nothing was sent");
    assert_eq!(node.process_count(), 1, "no child was left behind (the inbox is the one process)");
    assert_eq!(node.pending_timers(), 0, "no timer was made");
}

const TABLES: &str = r#"
  (func (export "tables")
    (local $bag i64) (local $private i64) (local $dead i64)
    (local.set $dead (call $arg64 (i32.const 1)))
    (drop (memory.grow (i32.const 1)))
    ;; no such table, and a key of 70,000 bytes: the key
    (call $r32 (i64.const 1) (call $table_insert (i64.const 999999) (i32.const 0) (i32.const 70000) (i32.const 0) (i32.const 0)))
    ;; no such table, and a value larger than the largest message: the value
    (call $r32 (i64.const 2) (call $table_insert (i64.const 999999) (i32.const 8232) (i32.const 1) (i32.const 0) (i32.const 8192)))
    ;; no such table, and an unknown flag or offset, or a give-away to oneself: ERR_BADARG
    (call $r32 (i64.const 3) (call $table_update_counter (i64.const 999999) (i32.const 8232) (i32.const 1)
                               (i64.const 1) (i32.const 2) (i64.const 0) (i32.const 1024)))
    (call $r32 (i64.const 4) (call $table_update (i64.const 999999) (i32.const 8232) (i32.const 1) (i32.const -2) (i32.const 0) (i32.const 0)))
    (call $r32 (i64.const 5) (call $table_give_away (i64.const 999999) (call $self) (i32.const 0) (i32.const 0)))
    (call $r32 (i64.const 6) (call $table_insert (i64.const 999999) (i32.const 8232) (i32.const 1) (i32.const 0) (i32.const 8)))
    ;; its own protected bag and private set
    (local.set $bag (call $table_new (i32.const 0) (i32.const 0) (i32.const 2) (i32.const 0) (i64.const 0)))
    (local.set $private (call $table_new (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 2) (i64.const 0)))
    (call $r32 (i64.const 7) (call $table_update_counter (local.get $bag) (i32.const 8232) (i32.const 1)
                               (i64.const 1) (i32.const 1) (i64.const 0) (i32.const 1024)))
    (call $r32 (i64.const 8) (call $table_range (local.get $private) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                               (i32.const 12) (i32.const 10) (i32.const 1024) (i32.const 64)))
    (call $r32 (i64.const 9) (call $table_give_away (local.get $bag) (local.get $dead) (i32.const 0) (i32.const 0)))
    ;; a stranger tries the same: [reporter][bag][private][dead]
    (i64.store (i32.const 8300) (call $arg64 (i32.const 0)))
    (i64.store (i32.const 8308) (local.get $bag))
    (i64.store (i32.const 8316) (local.get $private))
    (i64.store (i32.const 8324) (local.get $dead))
    (drop (call $spawn_flags (i32.const 8240) (i32.const 8) (i32.const 8300) (i32.const 32) (i32.const 0)))
    ;; the tables live as long as their owner: until the test is done
    (drop (call $recv_tag (i64.const 99))))
  (func (export "stranger")
    (local $bag i64) (local $private i64)
    (local.set $bag (call $arg64 (i32.const 1)))
    (local.set $private (call $arg64 (i32.const 2)))
    ;; access before type
    (call $r32 (i64.const 10) (call $table_update_counter (local.get $bag) (i32.const 8232) (i32.const 1)
                                (i64.const 1) (i32.const 1) (i64.const 0) (i32.const 1024)))
    (call $r32 (i64.const 11) (call $table_range (local.get $private) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                                (i32.const 12) (i32.const 10) (i32.const 1024) (i32.const 64)))
    ;; a receiver that is not alive before access; then access
    (call $r32 (i64.const 12) (call $table_give_away (local.get $bag) (call $arg64 (i32.const 3)) (i32.const 0) (i32.const 0)))
    (call $r32 (i64.const 13) (call $table_give_away (local.get $bag) (call $arg64 (i32.const 0)) (i32.const 0) (i32.const 0)))
    ;; a key too long before access
    (call $r32 (i64.const 14) (call $table_insert (local.get $bag) (i32.const 0) (i32.const 65536) (i32.const 0) (i32.const 0))))
"#;

#[test]
fn table_calls_report_arguments_then_the_table_then_access_then_type() {
    let node = small_message_node();
    let module = load(&node, "tables", &contract_wat(&format!("{DATA} {TABLES}")));
    let inbox = node.inbox();
    let mut arg = pid_bytes(inbox.pid()).to_vec();
    arg.extend_from_slice(&pid_bytes(dead_pid(&node)));
    let owner = spawn(&node, &module, "tables", &arg);
    assert_reports(
        &reports(&inbox, 14),
        &[
            (1, ERR_KEY_TOO_LARGE),
            (2, ERR_VALUE_TOO_LARGE),
            (3, ERR_BADARG),
            (4, ERR_BADARG),
            (5, ERR_BADARG),
            (6, ERR_NO_SUCH_TABLE),
            (7, ERR_WRONG_TYPE),
            (8, ERR_WRONG_TYPE),
            (9, ERR_NOT_ALIVE),
            (10, ERR_ACCESS),
            (11, ERR_ACCESS),
            (12, ERR_NOT_ALIVE),
            (13, ERR_ACCESS),
            (14, ERR_KEY_TOO_LARGE),
        ],
    );
    inbox.send(owner.pid(), 99, b"");
    finish_normally(&owner);
}

const HOST_MEMORY: &str = r#"
  (func (export "hostmem")
    (local $t i64)
    (drop (memory.grow (i32.const 40)))
    (local.set $t (call $table_new (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0)))
    ;; 2 MiB more than the node may hold: ERR_LIMIT, also before the key's absence
    (call $r32 (i64.const 1) (call $table_insert (local.get $t) (i32.const 8232) (i32.const 1) (i32.const 65536) (i32.const 2097152)))
    (call $r32 (i64.const 2) (call $table_update (local.get $t) (i32.const 8232) (i32.const 1) (i32.const -1) (i32.const 65536) (i32.const 2097152)))
    (call $r32 (i64.const 3) (call $table_update (local.get $t) (i32.const 8232) (i32.const 1) (i32.const -1) (i32.const 65536) (i32.const 8)))
    (i64.store (i32.const 8300) (call $arg64 (i32.const 0)))
    (i64.store (i32.const 8308) (local.get $t))
    (drop (call $spawn_flags (i32.const 8240) (i32.const 8) (i32.const 8300) (i32.const 16) (i32.const 0)))
    (drop (call $recv_tag (i64.const 99))))
  (func (export "stranger")
    (drop (memory.grow (i32.const 40)))
    ;; another's protected table: access before the limit
    (call $r32 (i64.const 4) (call $table_insert (call $arg64 (i32.const 1)) (i32.const 8232) (i32.const 1) (i32.const 65536) (i32.const 2097152))))
"#;

#[test]
fn a_table_write_past_the_host_memory_bound_reports_access_first_and_the_key_after() {
    let node = node_with(NodeConfig::default().schedulers(2).max_host_memory(1 << 20));
    let module = load(&node, "hostmem", &contract_wat(&format!("{DATA} {HOST_MEMORY}")));
    let inbox = node.inbox();
    let owner = spawn(&node, &module, "hostmem", &pid_bytes(inbox.pid()));
    assert_reports(&reports(&inbox, 4), &[(1, ERR_LIMIT), (2, ERR_LIMIT), (3, ERR_NOT_FOUND), (4, ERR_ACCESS)]);
    inbox.send(owner.pid(), 99, b"");
    finish_normally(&owner);
}

// ------------------------------------------------------------------ pids

const PIDS: &str = r#"
  (data (i32.const 8250) "pidtest")
  (func (export "pids")
    (local $p i64) (local $t i64) (local $timer i64)
    (local.set $p (call $arg64 (i32.const 1)))
    (drop (call $trap_exit (i32.const 1)))
    (local.set $t (call $table_new (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i64.const 0)))
    (call $r32 (i64.const 1) (call $send (local.get $p) (i64.const 1) (i32.const 0) (i32.const 0)))
    (call $r32 (i64.const 2) (call $link (local.get $p)))
    (call $r32 (i64.const 3) (call $unlink (local.get $p)))
    (call $r (i64.const 4) (call $monitor (local.get $p)))
    (call $r32 (i64.const 5) (call $exit_signal (local.get $p) (i32.const 2) (i32.const 0) (i32.const 0)))
    (call $r32 (i64.const 6) (call $register (i32.const 8250) (i32.const 7) (local.get $p)))
    (local.set $timer (call $send_after (local.get $p) (i64.const 1) (i32.const 0) (i32.const 0) (i64.const 60000)))
    (call $r (i64.const 7) (local.get $timer))
    (call $r32 (i64.const 8) (call $table_give_away (local.get $t) (local.get $p) (i32.const 0) (i32.const 0)))
    (call $r32 (i64.const 9) (call $table_set_heir (local.get $t) (local.get $p) (i32.const 0) (i32.const 0)))
    ;; what came back: the EXIT of the link, the DOWN of the monitor (their sizes, or ERR_TIMEOUT)
    (call $r32 (i64.const 10) (call $poll_tag (i64.const -100)))
    (call $r32 (i64.const 11) (call $poll_tag (i64.const -101)))
    (call $r (i64.const 12) (call $cancel_timer (local.get $timer))))
  (func (export "boundary")
    ;; 2^28 - 1 is malformed; 2^28 (<0.0.1>) and 2^63 - 1 are well-formed
    (call $r (i64.const 1) (call $monitor (i64.const 268435455)))
    (call $r (i64.const 2) (call $monitor (i64.const 268435456)))
    (call $r (i64.const 3) (call $monitor (i64.const 0x7fffffffffffffff))))
"#;

#[test]
fn a_malformed_pid_is_a_bad_argument_everywhere_but_send() {
    let node = node(2);
    let module = load(&node, "pids", &contract_wat(&format!("{DATA} {PIDS}")));
    let inbox = node.inbox();
    for malformed in [0, -1, 1, (1 << 28) - 1, i64::MIN] {
        let mut arg = pid_bytes(inbox.pid()).to_vec();
        arg.extend_from_slice(&malformed.to_le_bytes());
        let process = spawn(&node, &module, "pids", &arg);
        let got = reports(&inbox, 12);
        assert_reports(
            &got,
            &[
                (1, OK),
                (2, ERR_BADARG),
                (3, ERR_BADARG),
                (4, ERR_BADARG),
                (5, ERR_BADARG),
                (6, ERR_BADARG),
                (7, ERR_BADARG),
                (8, ERR_BADARG),
                // (0 means "no heir" to table_set_heir)
                (9, if malformed == 0 { OK } else { ERR_BADARG }),
                (10, ERR_TIMEOUT),
                (11, ERR_TIMEOUT),
            ],
        );
        finish_normally(&process);
    }
    let process = spawn(&node, &module, "boundary", &pid_bytes(inbox.pid()));
    let got = reports(&inbox, 3);
    assert_eq!(got[&1], i64::from(ERR_BADARG));
    assert!(got[&2] > 0 && got[&3] > 0, "monitor references expected: {got:?}");
    finish_normally(&process);
}

#[test]
fn a_well_formed_pid_of_no_process_is_accepted_and_answered_as_a_dead_one() {
    let node = node(2);
    let module = load(&node, "pids", &contract_wat(&format!("{DATA} {PIDS}")));
    let inbox = node.inbox();
    let never_issued = [i64::MAX, (1 << 28) | ((1 << 28) - 1)];
    for pid in [dead_pid(&node).raw() as i64].into_iter().chain(never_issued) {
        let mut arg = pid_bytes(inbox.pid()).to_vec();
        arg.extend_from_slice(&pid.to_le_bytes());
        let process = spawn(&node, &module, "pids", &arg);
        let got = reports(&inbox, 12);
        assert_reports(
            &got,
            &[
                (1, OK),
                (2, OK),
                (3, OK),
                (5, OK),
                (6, ERR_NOPROC),
                (8, ERR_NOT_ALIVE),
                (9, OK),
                (12, ERR_NO_SUCH_TIMER),
            ],
        );
        assert!(got[&4] > 0 && got[&7] > 0, "a monitor and a timer reference for {pid}: {got:?}");
        assert!(got[&10] >= 12, "the link's EXIT noproc came for {pid}: {got:?}");
        assert!(got[&11] >= 20, "the monitor's DOWN noproc came for {pid}: {got:?}");
        finish_normally(&process);
    }
}

const STRANGERS: &str = r#"
  ;; sends tag 77 to <0.I.1> for every I below 64: pids it guesses
  (func (export "guesser")
    (local $i i64)
    (loop $next
      (drop (call $send (i64.or (i64.const 268435456) (local.get $i)) (i64.const 77) (i32.const 0) (i32.const 0)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $next (i64.lt_u (local.get $i) (i64.const 64)))))
  ;; waits for tag 77, reports who sent it, then waits forever
  (func (export "victim")
    (drop (call $recv_tag (i64.const 77)))
    (call $r (i64.const 78) (call $msg_sender))
    (call $idle))
  ;; given a pid as bytes by a third party: monitors it, kills it, reports the DOWN's reason
  (func (export "killer")
    (local $p i64)
    (local.set $p (call $arg64 (i32.const 1)))
    (call $r (i64.const 79) (call $monitor (local.get $p)))
    (call $r32 (i64.const 80) (call $exit_signal (local.get $p) (i32.const 3) (i32.const 0) (i32.const 0)))
    (drop (call $recv_tag (i64.const -101)))
    (call $r (i64.const 81) (i64.extend_i32_s (i32.load (i32.const 1040)))))
"#;

#[test]
fn a_pid_is_no_capability_a_guessed_or_learned_one_reaches_its_process() {
    let node = node(2);
    let module = load(&node, "strangers", &contract_wat(&format!("{DATA} {STRANGERS}")));
    let inbox = node.inbox();
    let victim = spawn(&node, &module, "victim", &pid_bytes(inbox.pid()));
    let guesser = spawn(&node, &module, "guesser", b"");
    // The inbox (a process too) may get the guesser's message as well.
    let report = loop {
        let message = recv(&inbox);
        if message.tag == 78 {
            break message;
        }
        assert_eq!(message.tag, 77, "unexpected {message:?}");
    };
    assert_eq!(as_i64(&report.data), guesser.pid().raw() as i64, "the guesser reached the victim");
    finish_normally(&guesser);

    let mut arg = pid_bytes(inbox.pid()).to_vec();
    arg.extend_from_slice(&pid_bytes(victim.pid()));
    let killer = spawn(&node, &module, "killer", &arg);
    let got = reports(&inbox, 3);
    assert!(got[&79] > 0, "monitor: {got:?}");
    assert_eq!(got[&80], i64::from(OK));
    assert_eq!(got[&81], i64::from(warren_host::REASON_KILLED), "the DOWN says killed");
    assert_eq!(finish(&victim), ExitReason::Killed);
    finish_normally(&killer);
}

// ------------------------------------------------------------------ WASI

const WASI: &str = r#"
  (func (export "wasi_fds")
    ;; an iovec at 1024: 16 bytes at 2048; a count at 1032
    (i32.store (i32.const 1024) (i32.const 2048))
    (i32.store (i32.const 1028) (i32.const 16))
    (i32.store (i32.const 1032) (i32.const 77))
    (call $r32 (i64.const 1) (call $fd_read (i32.const 0) (i32.const 1024) (i32.const 1) (i32.const 1032)))
    (call $r32 (i64.const 2) (i32.load (i32.const 1032)))
    (call $r32 (i64.const 3) (call $fd_write (i32.const 3) (i32.const 1024) (i32.const 1) (i32.const 1032)))
    (call $r32 (i64.const 4) (call $fd_write (i32.const 100) (i32.const 1024) (i32.const 1) (i32.const 1032)))
    (call $r32 (i64.const 5) (call $fd_read (i32.const 5) (i32.const 1024) (i32.const 1) (i32.const 1032)))
    (call $r32 (i64.const 6) (call $clock_time_get (i32.const 2) (i64.const 1) (i32.const 1040)))
    (call $r32 (i64.const 7) (call $clock_time_get (i32.const 3) (i64.const 1) (i32.const 1040)))
    (call $r32 (i64.const 8) (call $clock_time_get (i32.const 0) (i64.const 1) (i32.const 1040)))
    (call $r (i64.const 9) (i64.load (i32.const 1040))))
  (data (i32.const 8260) "clock_child")
  (func (export "clock_parent")
    (call $r (i64.const 1) (call $mono))
    (drop (call $sleep (i64.const 30)))
    ;; the child's argument: the reporter, at 0 since $r read it
    (drop (call $spawn (i32.const 8260) (i32.const 11) (i32.const 0) (i32.const 8))))
  (func (export "clock_child")
    (call $r (i64.const 2) (call $mono)))
  (func (export "wasi_bad_iovec")
    (drop (call $fd_write (i32.const 1) (i32.const 70000) (i32.const 1) (i32.const 1032))))
  (func (export "wasi_bad_result")
    (drop (call $clock_time_get (i32.const 1) (i64.const 1) (i32.const 65532))))
  (func (export "wasi_bad_whence")
    (drop (call $fd_seek (i32.const 1) (i64.const 0) (i32.const 9) (i32.const 1040))))
  (func (export "wasi_bad_advice")
    (drop (call $fd_advise (i32.const 1) (i64.const 0) (i64.const 0) (i32.const 31))))
  (data (i32.const 8280) "show_wasi")
  (func (export "wasi_parent")
    (drop (call $arg_pid))
    (drop (call $spawn (i32.const 8280) (i32.const 9) (i32.const 0) (i32.const 8))))
  ;; sends its arguments (tag 1) and environment (tag 2) as WASI gives them
  (func (export "show_wasi")
    (drop (call $args_sizes_get (i32.const 1024) (i32.const 1028)))
    (drop (call $args_get (i32.const 2048) (i32.const 4096)))
    (drop (call $send (call $arg_pid) (i64.const 1) (i32.const 4096) (i32.load (i32.const 1028))))
    (drop (call $environ_sizes_get (i32.const 1024) (i32.const 1028)))
    (drop (call $environ_get (i32.const 2048) (i32.const 6144)))
    (drop (call $send (call $arg_pid) (i64.const 2) (i32.const 6144) (i32.load (i32.const 1028)))))
  (data (i32.const 8290) "exiter")
  (func (export "exit_parent")
    (drop (call $arg_pid))
    (drop (call $trap_exit (i32.const 1)))
    (drop (call $spawn_flags (i32.const 8290) (i32.const 6) (i32.const 0) (i32.const 0) (i32.const 1)))
    (call $forward (call $arg_pid) (i64.const 1) (call $recv_tag (i64.const -100)))
    (call $r (i64.const 2) (i64.const 1)))
  (func (export "exiter") (call $proc_exit (i32.const 3)))
"#;

fn wasi_node() -> (Node, LoadedModule) {
    let node = node_with(
        NodeConfig::default()
            .schedulers(2)
            .args(vec!["prog".into(), "one two".into()])
            .env(vec![("WARREN_TEST".into(), "yes".into())]),
    );
    let module = load(&node, "wasi", &contract_wat(&format!("{DATA} {WASI}")));
    (node, module)
}

#[test]
fn wasi_stdin_is_empty_and_an_fd_or_clock_that_names_nothing_is_ebadf() {
    const EBADF: i64 = 8;
    let (node, module) = wasi_node();
    let inbox = node.inbox();
    let process = spawn(&node, &module, "wasi_fds", &pid_bytes(inbox.pid()));
    let got = reports(&inbox, 9);
    assert_eq!((got[&1], got[&2]), (0, 0), "stdin: success, 0 bytes (end of file)");
    assert_eq!([got[&3], got[&4], got[&5]], [EBADF; 3], "fds 3, 100 and 5 name nothing");
    assert_eq!([got[&6], got[&7]], [EBADF; 2], "the CPU-time clocks");
    assert_eq!(got[&8], 0, "the wall clock");
    assert!(got[&9] > 1_600_000_000_000_000_000, "the wall clock is Unix time in ns: {}", got[&9]);
    finish_normally(&process);
}

#[test]
fn wasi_monotonic_clock_is_one_clock_for_the_node_counting_from_its_start() {
    let before_node = Instant::now();
    let (node, module) = wasi_node();
    let inbox = node.inbox();
    let parent = spawn(&node, &module, "clock_parent", &pid_bytes(inbox.pid()));
    let first = as_i64(&recv_tag(&inbox, 1).data);
    let second = as_i64(&recv_tag(&inbox, 2).data);
    let node_age = before_node.elapsed().as_nanos() as i64;
    // The child read the clock 30 ms or more after the parent, though it
    // made its WASI state only then.
    assert!(second - first >= 30_000_000, "parent {first} ns, child {second} ns");
    assert!(second <= node_age, "counted from the node's start: {second} ns, node {node_age} ns old");
    finish_normally(&parent);
}

#[test]
fn a_wasi_pointer_outside_memory_or_an_unknown_enum_value_traps_the_caller() {
    let (node, module) = wasi_node();
    for entry in ["wasi_bad_iovec", "wasi_bad_result"] {
        let process = spawn(&node, &module, entry, b"");
        expect_trap(&finish(&process), &["Pointer out of bounds"]);
    }
    // So does an argument WASI's types cannot hold.
    for entry in ["wasi_bad_whence", "wasi_bad_advice"] {
        let process = spawn(&node, &module, entry, b"");
        expect_trap(&finish(&process), &["Invalid enum value"]);
    }
    assert_node_still_runs(&node);
}

#[test]
fn wasi_arguments_and_environment_are_inherited_by_children() {
    let (node, module) = wasi_node();
    let inbox = node.inbox();
    let parent = spawn(&node, &module, "wasi_parent", &pid_bytes(inbox.pid()));
    assert_eq!(&*recv_tag(&inbox, 1).data, b"prog\0one two\0");
    assert_eq!(&*recv_tag(&inbox, 2).data, b"WARREN_TEST=yes\0");
    finish_normally(&parent);
}

#[test]
fn wasi_proc_exit_ends_only_the_caller_with_a_custom_reason() {
    let (node, module) = wasi_node();
    let inbox = node.inbox();
    let parent = spawn(&node, &module, "exit_parent", &pid_bytes(inbox.pid()));
    let (_, kind, detail) = parse_exit(&recv_tag(&inbox, 1).data);
    assert_eq!((kind, &*detail), (REASON_CUSTOM, &b"exit status 3"[..]));
    assert_eq!(as_i64(&recv_tag(&inbox, 2).data), 1, "the linked parent goes on");
    finish_normally(&parent);
}

// ----------------------------------------------------------- hibernation

const SLEEPER: &str = r#"
  (data (i32.const 8300) "sleeper1")
  (data (i32.const 8310) "on_msg")
  (data (i32.const 8320) "helper")
  (data (i32.const 8330) "bye")
  (data (i32.const 8336) "hibreg")
  ;; waits for a message, then exits with a custom reason
  (func (export "helper")
    (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
    (call $exit (i32.const 2) (i32.const 8330) (i32.const 3)))
  ;; traps exits, takes a name, a linked and a monitored helper and a
  ;; timer to itself, then hibernates
  (func (export "sleeper")
    (drop (call $trap_exit (i32.const 1)))
    (if (call $register (i32.const 8300) (i32.const 8) (call $self)) (then unreachable))
    (if (call $registry_new (i32.const 8336) (i32.const 6) (i32.const 1)) (then unreachable))
    (if (call $registry_register (i32.const 8336) (i32.const 6) (i32.const 8330) (i32.const 3) (i32.const 8232) (i32.const 1))
      (then unreachable))
    (call $r (i64.const 1) (call $spawn_flags (i32.const 8320) (i32.const 6) (i32.const 0) (i32.const 0) (i32.const 1)))
    (call $r (i64.const 2) (call $spawn_flags (i32.const 8320) (i32.const 6) (i32.const 0) (i32.const 0) (i32.const 2)))
    (call $r (i64.const 3) (i64.load (i32.const 16)))
    (drop (call $send_after (call $self) (i64.const 5) (i32.const 0) (i32.const 0) (i64.const 20)))
    (if (call $set_handler (i32.const 8310) (i32.const 6)) (then unreachable))
    (if (call $hibernate) (then unreachable)))
  ;; reports each message's tag (10), its first two i64s (11, 12) and the
  ;; size of its registry entry (13), hibernates again
  (func (export "on_msg") (result i32)
    (i64.store (i32.const 1024) (i64.const 0))
    (i64.store (i32.const 1032) (i64.const 0))
    (drop (call $msg_read (i32.const 0) (i32.const 1024) (i32.const 64)))
    (call $r (i64.const 10) (call $msg_tag))
    (call $r (i64.const 11) (i64.load (i32.const 1024)))
    (call $r (i64.const 12) (i64.load (i32.const 1032)))
    (call $r32 (i64.const 13) (call $registry_lookup (i32.const 8336) (i32.const 6) (i32.const 8330) (i32.const 3)
                                (i32.const 2048) (i32.const 64)))
    (drop (call $hibernate))
    (i64.eq (call $msg_tag) (i64.const 9)))
  ;; monitors the pid of its argument, says so (20), reports the DOWN's reason (21)
  (func (export "watcher")
    (drop (call $monitor (call $arg64 (i32.const 1))))
    (call $r (i64.const 20) (i64.const 0))
    (drop (call $recv_tag (i64.const -101)))
    (call $r32 (i64.const 21) (i32.load (i32.const 1040))))
  (func (export "kill_it")
    (drop (call $exit_signal (call $arg64 (i32.const 0)) (i32.const 3) (i32.const 0) (i32.const 0))))
"#;

/// What the sleeper reported for one message: (tag, first i64, second
/// i64); its registry entry is still there (pid, length, 1 byte: 13 bytes).
fn woken_by(inbox: &Inbox) -> (i64, i64, i64) {
    let tag = as_i64(&recv_tag(inbox, 10).data);
    let reported = (tag, as_i64(&recv_tag(inbox, 11).data), as_i64(&recv_tag(inbox, 12).data));
    assert_eq!(as_i64(&recv_tag(inbox, 13).data), 13, "its keyed-registry entry");
    reported
}

#[test]
fn hibernation_keeps_trap_exit_links_monitors_names_registry_entries_timers_and_the_argument() {
    let node = node(2);
    let module = load(&node, "sleeper", &contract_wat(&format!("{DATA} {SLEEPER}")));
    let inbox = node.inbox();
    let sleeper = spawn(&node, &module, "sleeper", &pid_bytes(inbox.pid()));
    let pid = sleeper.pid();
    let started = reports(&inbox, 3);
    let linked = Pid::from_raw(started[&1] as u64).expect("the linked helper");
    let monitored = Pid::from_raw(started[&2] as u64).expect("the monitored helper");
    let reference = started[&3];

    // The timer it made before hibernating fires and wakes it; its
    // argument (the reporter) is still there.
    assert_eq!(woken_by(&inbox).0, 5);
    until_hibernated(&node, pid);
    assert_eq!(node.whereis("sleeper1"), Some(pid), "its name");
    assert!(node.is_linked(pid, linked) && node.is_linked(linked, pid), "its link");

    // Its link: the helper's exit comes as an EXIT message (it still traps
    // exits), to the handler it set.
    inbox.send(linked, 1, b"");
    let (tag, from, kind_and_detail) = woken_by(&inbox);
    assert_eq!((tag, from), (TAG_EXIT, linked.raw() as i64));
    assert_eq!(kind_and_detail as u32 as i32, REASON_CUSTOM, "[from][kind: i32][detail]");
    until_hibernated(&node, pid);

    // Its monitor: a DOWN with the reference it was given.
    inbox.send(monitored, 1, b"");
    assert_eq!(woken_by(&inbox), (TAG_DOWN, reference, monitored.raw() as i64));
    until_hibernated(&node, pid);

    // An exit signal reaches it hibernated, and its exit reaches its
    // watchers.
    let mut arg = pid_bytes(inbox.pid()).to_vec();
    arg.extend_from_slice(&pid_bytes(pid));
    let watcher = spawn(&node, &module, "watcher", &arg);
    recv_tag(&inbox, 20);
    until_hibernated(&node, pid);
    let killer = spawn(&node, &module, "kill_it", &pid_bytes(pid));
    assert_eq!(finish(&sleeper), ExitReason::Killed);
    assert_eq!(as_i64(&recv_tag(&inbox, 21).data), i64::from(warren_host::REASON_KILLED));
    finish_normally(&killer);
    finish_normally(&watcher);
    assert_eq!(node.whereis("sleeper1"), None);
}

const TABLE_SLEEPER: &str = r#"
  (data (i32.const 8340) "hibtab")
  (data (i32.const 8360) "twenty bytes of data")
  (data (i32.const 8390) "on_wake")
  ;; owns a named table, leaves a lookup's result pending, reads the clock
  ;; (its WASI state), then hibernates
  (func (export "table_sleeper")
    (local $t i64)
    (local.set $t (call $table_new (i32.const 8340) (i32.const 6) (i32.const 0) (i32.const 0) (i64.const 0)))
    (i64.store (i32.const 8400) (local.get $t))
    (if (call $table_insert (local.get $t) (i32.const 8232) (i32.const 1) (i32.const 8360) (i32.const 20)) (then unreachable))
    (call $r32 (i64.const 1) (call $table_lookup (local.get $t) (i32.const 8232) (i32.const 1) (i32.const 2048) (i32.const 4)))
    (call $r (i64.const 2) (local.get $t))
    (call $r (i64.const 3) (call $mono))
    (if (call $set_handler (i32.const 8390) (i32.const 7)) (then unreachable))
    (if (call $hibernate) (then unreachable)))
  (func (export "on_wake") (result i32)
    (local $i i32)
    ;; the pending result, and the table
    (call $r32 (i64.const 4) (call $table_result_read (i32.const 2048) (i32.const 64)))
    (drop (call $send (call $arg_pid) (i64.const 5) (i32.const 2048) (i32.const 20)))
    (call $r32 (i64.const 6) (call $table_lookup (i64.load (i32.const 8400)) (i32.const 8232) (i32.const 1) (i32.const 2048) (i32.const 64)))
    ;; WASI: the clock, the arguments, the environment
    (call $r (i64.const 7) (call $mono))
    (drop (call $args_sizes_get (i32.const 1024) (i32.const 1028)))
    (drop (call $args_get (i32.const 3072) (i32.const 4096)))
    (drop (call $send (call $arg_pid) (i64.const 8) (i32.const 4096) (i32.load (i32.const 1028))))
    (drop (call $environ_sizes_get (i32.const 1024) (i32.const 1028)))
    (drop (call $environ_get (i32.const 3072) (i32.const 6144)))
    (drop (call $send (call $arg_pid) (i64.const 9) (i32.const 6144) (i32.load (i32.const 1028))))
    ;; some work, for the reductions
    (loop $work
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $work (i32.lt_u (local.get $i) (i32.const 100000))))
    (call $r (i64.const 10) (i64.const 0))
    (drop (call $hibernate))
    (i64.eq (call $msg_tag) (i64.const 9)))
"#;

#[test]
fn hibernation_keeps_owned_tables_the_pending_result_reductions_and_wasi_state() {
    let (node, _) = wasi_node();
    let module = load(&node, "table-sleeper", &contract_wat(&format!("{DATA} {TABLE_SLEEPER}")));
    let inbox = node.inbox();
    let process = spawn(&node, &module, "table_sleeper", &pid_bytes(inbox.pid()));
    let pid = process.pid();
    assert_eq!(as_i64(&recv_tag(&inbox, 1).data), 20, "the value is pending");
    let table = as_i64(&recv_tag(&inbox, 2).data);
    let mut clock = as_i64(&recv_tag(&inbox, 3).data);
    let owner = |node: &Node| node.tables().into_iter().find(|t| t.id == table).map(|t| t.owner);
    let mut reductions = Vec::new();
    for wake in 0..3 {
        until_hibernated(&node, pid);
        assert_eq!(owner(&node), Some(pid), "it owns its table while hibernated");
        reductions.push(node.reductions(pid).expect("alive"));
        inbox.send(pid, if wake == 2 { 9 } else { 1 }, b"");
        let expected_pending = if wake == 0 { 20 } else { warren_host::ERR_NO_RESULT };
        assert_eq!(as_i64(&recv_tag(&inbox, 4).data), i64::from(expected_pending), "wake {wake}");
        if wake == 0 {
            assert_eq!(&*recv_tag(&inbox, 5).data, b"twenty bytes of data", "the pending result");
        } else {
            recv_tag(&inbox, 5);
        }
        assert_eq!(as_i64(&recv_tag(&inbox, 6).data), 20, "the table answers");
        let now = as_i64(&recv_tag(&inbox, 7).data);
        assert!(now >= clock, "the same clock: {now} after {clock}");
        clock = now;
        assert_eq!(&*recv_tag(&inbox, 8).data, b"prog\0one two\0");
        assert_eq!(&*recv_tag(&inbox, 9).data, b"WARREN_TEST=yes\0");
        recv_tag(&inbox, 10);
    }
    finish_normally(&process);
    assert_eq!(owner(&node), None, "its table went with it");
    // Each wake adds the handler's work to what came before: the count is
    // not restarted by a fresh instance.
    assert!(reductions.windows(2).all(|w| w[1] > w[0]), "reductions {reductions:?}");
}

// ------------------------------------------------------ starting a module

const SPAWNS_BROKEN: &str = r#"
  (data (i32.const 8400) "broken")
  (data (i32.const 8410) "main")
  ;; spawns `main` of module "broken" with a monitor: reports the pid (1)
  ;; and the DOWN's reason kind (2)
  (func (export "spawn_broken")
    (call $r (i64.const 1) (call $spawn_opt (i32.const 8400) (i32.const 6) (i32.const 8410) (i32.const 4)
                                             (i32.const 0) (i32.const 0) (i32.const 2) (i32.const 16)))
    (drop (call $recv_tag (i64.const -101)))
    (call $r32 (i64.const 2) (i32.load (i32.const 1040))))
"#;

/// A module whose instance cannot be made: its data segment ends past its
/// memory.
const BROKEN: &str = r#"(module (memory (export "memory") 1) (data (i32.const 65535) "ab") (func (export "main")))"#;

#[test]
fn a_process_whose_instance_cannot_be_made_exits_at_once_and_never_started() {
    let node = node(2);
    let broken = load(&node, "broken", BROKEN);
    let process = spawn(&node, &broken, "main", b"");
    expect_trap(&finish(&process), &["out of bounds memory access"]);
    assert!(!process.started(), "its instance was never made");
    let fine = load(&node, "fine", r#"(module (func (export "main") unreachable))"#);
    let process = spawn(&node, &fine, "main", b"");
    expect_trap(&finish(&process), &["unreachable"]);
    assert!(process.started(), "it ran, then trapped");

    // A guest's spawn of it gets a pid, and the monitor sees the trap.
    let module = load(&node, "spawner", &contract_wat(&format!("{DATA} {SPAWNS_BROKEN}")));
    let inbox = node.inbox();
    let spawner = spawn(&node, &module, "spawn_broken", &pid_bytes(inbox.pid()));
    assert!(as_i64(&recv_tag(&inbox, 1).data) > 0, "a pid");
    assert_eq!(as_i64(&recv_tag(&inbox, 2).data), i64::from(warren_host::REASON_TRAP));
    finish_normally(&spawner);
}
