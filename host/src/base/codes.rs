//! The numbers of the guest ABI, defined once: the import module's name,
//! error codes, exit reason kinds, the tags of host-made messages, spawn
//! flags and the keys of the spawn options block, table kinds and access
//! modes, and the flags of the table calls.
//!
//! docs/ABI.md is the contract; the Rust guest SDK (`guest-sdk/src/sys.rs`,
//! `guest-sdk/src/table/sys.rs`) and the C header (`guests/c/warren.h`)
//! repeat these numbers for guests. The tests at the end of this file read
//! those three files and fail when one of them disagrees with a value here
//! (or, for the SDK and the docs, lacks one).

/// The import module name every host function lives under.
pub const MODULE: &str = "warren_v1";

/// Success.
pub const OK: i32 = 0;
/// An argument is malformed.
pub const ERR_BADARG: i32 = -1;
/// The named export is missing or has the wrong type.
pub const ERR_NO_SUCH_EXPORT: i32 = -2;
/// No module of that name is loaded.
pub const ERR_NO_SUCH_MODULE: i32 = -3;
/// The process's capabilities do not allow this.
pub const ERR_NOT_PERMITTED: i32 = -4;
/// A node or process limit was reached.
pub const ERR_LIMIT: i32 = -5;
/// `receive` timed out (or found nothing when polling).
pub const ERR_TIMEOUT: i32 = -6;
/// There is no current message.
pub const ERR_NO_MESSAGE: i32 = -7;
/// No table has that id (or name).
pub const ERR_NO_SUCH_TABLE: i32 = -8;
/// The table's access rules forbid this to the caller.
pub const ERR_ACCESS: i32 = -9;
/// The operation does not apply to this type of table.
pub const ERR_WRONG_TYPE: i32 = -10;
/// A table already has that name.
pub const ERR_TABLE_NAME_TAKEN: i32 = -11;
/// The key is not in the table (or a traversal reached its end).
pub const ERR_NOT_FOUND: i32 = -12;
/// The value under the key is not a counter (8 bytes).
pub const ERR_NOT_A_COUNTER: i32 = -13;
/// The counter would overflow an `i64`.
pub const ERR_OVERFLOW: i32 = -14;
/// The table's memory limit would be crossed.
pub const ERR_TABLE_FULL: i32 = -15;
/// The key is longer than [`MAX_KEY_LEN`].
pub const ERR_KEY_TOO_LARGE: i32 = -16;
/// The value is longer than the node's largest message.
pub const ERR_VALUE_TOO_LARGE: i32 = -17;
/// The process to give the table to is not alive.
pub const ERR_NOT_ALIVE: i32 = -18;
/// `table_result_read`: there is no pending result.
pub const ERR_NO_RESULT: i32 = -19;
/// The name (or unique key, or registry name) is taken.
pub const ERR_NAME_TAKEN: i32 = -20;
/// No such name, key or registry.
pub const ERR_NO_SUCH_NAME: i32 = -21;
/// The process already has a registered name.
pub const ERR_ALREADY_NAMED: i32 = -22;
/// The process is not alive.
pub const ERR_NOPROC: i32 = -23;
/// The timer has fired, was cancelled, or never existed.
pub const ERR_NO_SUCH_TIMER: i32 = -24;
/// The module's processes cannot hibernate (see docs/ABI.md for the rules).
pub const ERR_CANNOT_HIBERNATE: i32 = -25;

/// Error: a supervisor holds a child with that id already (not running).
pub const ERR_ALREADY_PRESENT: i32 = -26;
/// Error: a supervisor runs a child with that id already (its pid follows
/// in the reply).
pub const ERR_ALREADY_STARTED: i32 = -27;
/// Error: the child runs (terminate it first).
pub const ERR_RUNNING: i32 = -28;
/// Error: the child did not start (its reason follows in the reply).
pub const ERR_START_FAILED: i32 = -29;
/// Error: the process called exited before it replied; the current message
/// is its DOWN, which carries the exit reason.
pub const ERR_EXITED: i32 = -30;

/// Exit reason kind of [`ExitReason::Normal`](crate::ExitReason::Normal).
pub const REASON_NORMAL: i32 = 0;
/// Exit reason kind of [`ExitReason::Shutdown`](crate::ExitReason::Shutdown).
pub const REASON_SHUTDOWN: i32 = 1;
/// Exit reason kind of [`ExitReason::Custom`](crate::ExitReason::Custom).
pub const REASON_CUSTOM: i32 = 2;
/// Exit reason kind of [`ExitReason::Kill`](crate::ExitReason::Kill).
pub const REASON_KILL: i32 = 3;
/// Exit reason kind of [`ExitReason::Killed`](crate::ExitReason::Killed).
pub const REASON_KILLED: i32 = 4;
/// Exit reason kind of [`ExitReason::Noproc`](crate::ExitReason::Noproc).
pub const REASON_NOPROC: i32 = 5;
/// Exit reason kind of [`ExitReason::Trap`](crate::ExitReason::Trap).
pub const REASON_TRAP: i32 = 6;
/// Exit reason kind of [`ExitReason::Limit`](crate::ExitReason::Limit).
pub const REASON_LIMIT: i32 = 7;

/// Tag of an exit signal delivered as a message to a process that traps
/// exits. Payload: `[from: i64][reason kind: i32][detail bytes]` (LE).
pub const TAG_EXIT: i64 = -100;
/// Tag of a monitor's DOWN message. Payload:
/// `[monitor ref: i64][pid: i64][reason kind: i32][detail bytes]` (LE).
pub const TAG_DOWN: i64 = -101;
/// Tag of the message a process gets when it becomes a table's owner, as
/// heir of an owner that exited or by `give_away`. Payload (LE):
/// `[table id: i64][previous owner: i64][heir or gift data bytes]`; the
/// message's sender is the previous owner.
pub const TAG_TABLE_TRANSFER: i64 = -102;

/// Tag of the message a process gets from a child it waits for (a
/// supervisor's child, a supervisor it started) when the child calls
/// `init_ack`, or when a supervisor's children have all started. Empty
/// payload; the sender is the child. A child that calls `init_ignore` sends
/// its supervisor the payload `[ACK_IGNORE]`.
pub const TAG_ACK: i64 = -103;
/// The payload byte of a `TAG_ACK` that says the child ignores its start
/// (`init_ignore`, OTP's `ignore`).
pub const ACK_IGNORE: u8 = 1;
/// Tag of a supervisor's answer to `supervisor_request`. Payload (LE):
/// `[request id: i64][result: i64][data bytes]` (see docs/ABI.md).
pub const TAG_SUPERVISOR_REPLY: i64 = -104;

/// Tag of a call's request, as the process called receives it. Payload
/// (LE): `[reply token: i64][request bytes]`; the sender is the caller,
/// which `reply` answers with the token.
pub const TAG_CALL: i64 = -105;
/// Tag of the current message after a call that got its reply. Payload:
/// the reply's bytes; the sender is the process that replied.
pub const TAG_REPLY: i64 = -106;

/// Tag of a system request, as the process asked receives it: a call
/// (answered with `reply`) that the SDKs' behaviours answer themselves
/// (`get_state`, `get_status`: see docs/ABI.md "System messages"). Payload
/// (LE): `[reply token: i64][request: a term]`; the sender is the asker.
pub const TAG_SYSTEM: i64 = -107;

/// Tag of the DOWN of the monitor a call holds on the process called
/// (payload as [`TAG_DOWN`]'s): a call waits for it and for its reply, and
/// hands it to the guest as a `TAG_DOWN`. Host-internal.
pub(crate) const TAG_CALL_DOWN: i64 = -202;

/// Tag of a request to a supervisor (made by `supervisor_request` or the
/// host; guests cannot send negative tags). Host-internal.
pub(crate) const TAG_SUPERVISOR_REQUEST: i64 = -200;
/// Tag of a supervisor's own timer. Host-internal.
pub(crate) const TAG_SUPERVISOR_TIMER: i64 = -201;

/// Supervisor strategy: restart only the child that exited.
pub const STRATEGY_ONE_FOR_ONE: i32 = 0;
/// Supervisor strategy: restart every child.
pub const STRATEGY_ONE_FOR_ALL: i32 = 1;
/// Supervisor strategy: restart the child and those started after it.
pub const STRATEGY_REST_FOR_ONE: i32 = 2;
/// Supervisor strategy: a dynamic supervisor (one template).
pub const STRATEGY_SIMPLE_ONE_FOR_ONE: i32 = 3;
/// `auto_shutdown`: never.
pub const AUTO_SHUTDOWN_NEVER: i32 = 0;
/// `auto_shutdown`: when any significant child ends.
pub const AUTO_SHUTDOWN_ANY_SIGNIFICANT: i32 = 1;
/// `auto_shutdown`: when every significant child has ended.
pub const AUTO_SHUTDOWN_ALL_SIGNIFICANT: i32 = 2;
/// Child restart: always.
pub const RESTART_PERMANENT: i32 = 0;
/// Child restart: after an abnormal exit only.
pub const RESTART_TRANSIENT: i32 = 1;
/// Child restart: never.
pub const RESTART_TEMPORARY: i32 = 2;
/// Child shutdown: exit signal `shutdown`, then `kill` after its timeout.
pub const SHUTDOWN_TIMEOUT: i32 = 0;
/// Child shutdown: exit signal `kill` at once.
pub const SHUTDOWN_BRUTAL_KILL: i32 = 1;
/// Child shutdown: exit signal `shutdown`, waiting as long as it takes.
pub const SHUTDOWN_INFINITY: i32 = 2;
/// Child type: a wasm process.
pub const CHILD_WORKER: i32 = 0;
/// Child type: a nested supervisor.
pub const CHILD_SUPERVISOR: i32 = 1;
/// A 32-bit count or time in a spec that means "none" (no limit, no
/// acknowledgement).
pub const SPEC_NONE: i64 = 4_294_967_295;
/// `supervisor_request` operation: start a child (a child record, or a
/// dynamic supervisor's argument bytes).
pub const SUP_START_CHILD: i32 = 1;
/// `supervisor_request` operation: stop a child (its id, or for a dynamic
/// supervisor its pid as 8 bytes).
pub const SUP_TERMINATE_CHILD: i32 = 2;
/// `supervisor_request` operation: start a stopped child again (its id).
pub const SUP_RESTART_CHILD: i32 = 3;
/// `supervisor_request` operation: forget a stopped child (its id).
pub const SUP_DELETE_CHILD: i32 = 4;
/// `supervisor_request` operation: list the children.
pub const SUP_WHICH_CHILDREN: i32 = 5;
/// `supervisor_request` operation: count the children.
pub const SUP_COUNT_CHILDREN: i32 = 6;

/// `spawn_opt` / `spawn_opts` flag: link the child to the caller.
pub const SPAWN_LINK: i32 = 1;
/// `spawn_opt` / `spawn_opts` flag: monitor the child.
pub const SPAWN_MONITOR: i32 = 2;

/// `spawn_opts` options record: the largest linear memory, in bytes (a
/// `u64` LE).
pub const OPT_MAX_MEMORY: u32 = 1;
/// `spawn_opts` options record: the total fuel the process may use (a `u64`
/// LE).
pub const OPT_MAX_FUEL: u32 = 2;
/// `spawn_opts` options record: the most messages its mailbox may hold (a
/// `u64` LE).
pub const OPT_MAX_MAILBOX: u32 = 3;
/// `spawn_opts` options record: no right to spawn (no bytes).
pub const OPT_DENY_SPAWN: u32 = 4;
/// `spawn_opts` options record: no right to print (no bytes).
pub const OPT_DENY_PRINT: u32 = 5;
/// `spawn_opts` options record: keep one of the parent's preopened
/// directories (`[read_only: u8][guest path bytes]`; repeated).
pub const OPT_DIR: u32 = 6;
/// `spawn_opts` options record: one environment variable (`KEY=VALUE`
/// bytes; repeated; replaces the parent's environment).
pub const OPT_ENV: u32 = 7;
/// `spawn_opts` options record: keep none of the parent's preopened
/// directories but those `OPT_DIR` records name (no bytes).
pub const OPT_NO_DIRS: u32 = 8;
/// `spawn_opts` options record: an empty environment, but for the
/// `OPT_ENV` records (no bytes).
pub const OPT_CLEAR_ENV: u32 = 9;

/// Most tags one selective receive may name.
pub const MAX_RECEIVE_TAGS: i32 = 4096;

/// Table kind: one object per key.
pub const TABLE_SET: i32 = 0;
/// Table kind: one object per key, traversed in key order.
pub const TABLE_ORDERED_SET: i32 = 1;
/// Table kind: many objects per key, no two identical.
pub const TABLE_BAG: i32 = 2;
/// Table kind: many objects per key, duplicates allowed.
pub const TABLE_DUPLICATE_BAG: i32 = 3;
/// Table access: the owner writes, every process reads (the default).
pub const ACCESS_PROTECTED: i32 = 0;
/// Table access: every process reads and writes.
pub const ACCESS_PUBLIC: i32 = 1;
/// Table access: only the owner reads and writes.
pub const ACCESS_PRIVATE: i32 = 2;
/// `table_update_counter` flag: start a missing key at `default`.
pub const COUNTER_DEFAULT: i32 = 1;
/// `table_range` flag: the lower bound is exclusive.
pub const RANGE_FROM_EXCLUSIVE: i32 = 1;
/// `table_range` flag: the upper bound is inclusive.
pub const RANGE_TO_INCLUSIVE: i32 = 2;
/// `table_range` flag: no lower bound.
pub const RANGE_FROM_START: i32 = 4;
/// `table_range` flag: no upper bound.
pub const RANGE_TO_END: i32 = 8;
/// `table_range` flag: from the last key down.
pub const RANGE_REVERSE: i32 = 16;
/// `table_select_prefix` / `table_chunk` flag: resume after the given key.
pub const SELECT_AFTER: i32 = 1;
/// Size of the record `table_info` writes.
pub const TABLE_INFO_SIZE: usize = 64;
/// Longest table key, in bytes.
pub const MAX_KEY_LEN: usize = 65_535;

/// Every number above by name, for the agreement tests (and for tools that
/// print the ABI).
pub const ALL: &[(&str, i64)] = &[
    ("OK", OK as i64),
    ("ERR_BADARG", ERR_BADARG as i64),
    ("ERR_NO_SUCH_EXPORT", ERR_NO_SUCH_EXPORT as i64),
    ("ERR_NO_SUCH_MODULE", ERR_NO_SUCH_MODULE as i64),
    ("ERR_NOT_PERMITTED", ERR_NOT_PERMITTED as i64),
    ("ERR_LIMIT", ERR_LIMIT as i64),
    ("ERR_TIMEOUT", ERR_TIMEOUT as i64),
    ("ERR_NO_MESSAGE", ERR_NO_MESSAGE as i64),
    ("ERR_NO_SUCH_TABLE", ERR_NO_SUCH_TABLE as i64),
    ("ERR_ACCESS", ERR_ACCESS as i64),
    ("ERR_WRONG_TYPE", ERR_WRONG_TYPE as i64),
    ("ERR_TABLE_NAME_TAKEN", ERR_TABLE_NAME_TAKEN as i64),
    ("ERR_NOT_FOUND", ERR_NOT_FOUND as i64),
    ("ERR_NOT_A_COUNTER", ERR_NOT_A_COUNTER as i64),
    ("ERR_OVERFLOW", ERR_OVERFLOW as i64),
    ("ERR_TABLE_FULL", ERR_TABLE_FULL as i64),
    ("ERR_KEY_TOO_LARGE", ERR_KEY_TOO_LARGE as i64),
    ("ERR_VALUE_TOO_LARGE", ERR_VALUE_TOO_LARGE as i64),
    ("ERR_NOT_ALIVE", ERR_NOT_ALIVE as i64),
    ("ERR_NO_RESULT", ERR_NO_RESULT as i64),
    ("ERR_NAME_TAKEN", ERR_NAME_TAKEN as i64),
    ("ERR_NO_SUCH_NAME", ERR_NO_SUCH_NAME as i64),
    ("ERR_ALREADY_NAMED", ERR_ALREADY_NAMED as i64),
    ("ERR_NOPROC", ERR_NOPROC as i64),
    ("ERR_NO_SUCH_TIMER", ERR_NO_SUCH_TIMER as i64),
    ("ERR_CANNOT_HIBERNATE", ERR_CANNOT_HIBERNATE as i64),
    ("ERR_ALREADY_PRESENT", ERR_ALREADY_PRESENT as i64),
    ("ERR_ALREADY_STARTED", ERR_ALREADY_STARTED as i64),
    ("ERR_RUNNING", ERR_RUNNING as i64),
    ("ERR_START_FAILED", ERR_START_FAILED as i64),
    ("ERR_EXITED", ERR_EXITED as i64),
    ("REASON_NORMAL", REASON_NORMAL as i64),
    ("REASON_SHUTDOWN", REASON_SHUTDOWN as i64),
    ("REASON_CUSTOM", REASON_CUSTOM as i64),
    ("REASON_KILL", REASON_KILL as i64),
    ("REASON_KILLED", REASON_KILLED as i64),
    ("REASON_NOPROC", REASON_NOPROC as i64),
    ("REASON_TRAP", REASON_TRAP as i64),
    ("REASON_LIMIT", REASON_LIMIT as i64),
    ("TAG_EXIT", TAG_EXIT),
    ("TAG_DOWN", TAG_DOWN),
    ("TAG_TABLE_TRANSFER", TAG_TABLE_TRANSFER),
    ("TAG_ACK", TAG_ACK),
    ("ACK_IGNORE", ACK_IGNORE as i64),
    ("TAG_SUPERVISOR_REPLY", TAG_SUPERVISOR_REPLY),
    ("TAG_CALL", TAG_CALL),
    ("TAG_REPLY", TAG_REPLY),
    ("TAG_SYSTEM", TAG_SYSTEM),
    ("STRATEGY_ONE_FOR_ONE", STRATEGY_ONE_FOR_ONE as i64),
    ("STRATEGY_ONE_FOR_ALL", STRATEGY_ONE_FOR_ALL as i64),
    ("STRATEGY_REST_FOR_ONE", STRATEGY_REST_FOR_ONE as i64),
    ("STRATEGY_SIMPLE_ONE_FOR_ONE", STRATEGY_SIMPLE_ONE_FOR_ONE as i64),
    ("AUTO_SHUTDOWN_NEVER", AUTO_SHUTDOWN_NEVER as i64),
    ("AUTO_SHUTDOWN_ANY_SIGNIFICANT", AUTO_SHUTDOWN_ANY_SIGNIFICANT as i64),
    ("AUTO_SHUTDOWN_ALL_SIGNIFICANT", AUTO_SHUTDOWN_ALL_SIGNIFICANT as i64),
    ("RESTART_PERMANENT", RESTART_PERMANENT as i64),
    ("RESTART_TRANSIENT", RESTART_TRANSIENT as i64),
    ("RESTART_TEMPORARY", RESTART_TEMPORARY as i64),
    ("SHUTDOWN_TIMEOUT", SHUTDOWN_TIMEOUT as i64),
    ("SHUTDOWN_BRUTAL_KILL", SHUTDOWN_BRUTAL_KILL as i64),
    ("SHUTDOWN_INFINITY", SHUTDOWN_INFINITY as i64),
    ("CHILD_WORKER", CHILD_WORKER as i64),
    ("CHILD_SUPERVISOR", CHILD_SUPERVISOR as i64),
    ("SPEC_NONE", SPEC_NONE),
    ("SUP_START_CHILD", SUP_START_CHILD as i64),
    ("SUP_TERMINATE_CHILD", SUP_TERMINATE_CHILD as i64),
    ("SUP_RESTART_CHILD", SUP_RESTART_CHILD as i64),
    ("SUP_DELETE_CHILD", SUP_DELETE_CHILD as i64),
    ("SUP_WHICH_CHILDREN", SUP_WHICH_CHILDREN as i64),
    ("SUP_COUNT_CHILDREN", SUP_COUNT_CHILDREN as i64),
    ("SPAWN_LINK", SPAWN_LINK as i64),
    ("SPAWN_MONITOR", SPAWN_MONITOR as i64),
    ("OPT_MAX_MEMORY", OPT_MAX_MEMORY as i64),
    ("OPT_MAX_FUEL", OPT_MAX_FUEL as i64),
    ("OPT_MAX_MAILBOX", OPT_MAX_MAILBOX as i64),
    ("OPT_DENY_SPAWN", OPT_DENY_SPAWN as i64),
    ("OPT_DENY_PRINT", OPT_DENY_PRINT as i64),
    ("OPT_DIR", OPT_DIR as i64),
    ("OPT_ENV", OPT_ENV as i64),
    ("OPT_NO_DIRS", OPT_NO_DIRS as i64),
    ("OPT_CLEAR_ENV", OPT_CLEAR_ENV as i64),
    ("MAX_RECEIVE_TAGS", MAX_RECEIVE_TAGS as i64),
    ("TABLE_SET", TABLE_SET as i64),
    ("TABLE_ORDERED_SET", TABLE_ORDERED_SET as i64),
    ("TABLE_BAG", TABLE_BAG as i64),
    ("TABLE_DUPLICATE_BAG", TABLE_DUPLICATE_BAG as i64),
    ("ACCESS_PROTECTED", ACCESS_PROTECTED as i64),
    ("ACCESS_PUBLIC", ACCESS_PUBLIC as i64),
    ("ACCESS_PRIVATE", ACCESS_PRIVATE as i64),
    ("COUNTER_DEFAULT", COUNTER_DEFAULT as i64),
    ("RANGE_FROM_EXCLUSIVE", RANGE_FROM_EXCLUSIVE as i64),
    ("RANGE_TO_INCLUSIVE", RANGE_TO_INCLUSIVE as i64),
    ("RANGE_FROM_START", RANGE_FROM_START as i64),
    ("RANGE_TO_END", RANGE_TO_END as i64),
    ("RANGE_REVERSE", RANGE_REVERSE as i64),
    ("SELECT_AFTER", SELECT_AFTER as i64),
    ("TABLE_INFO_SIZE", TABLE_INFO_SIZE as i64),
    ("MAX_KEY_LEN", MAX_KEY_LEN as i64),
];

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::ALL;
    use std::collections::BTreeMap;

    /// The Rust SDK's constants: `pub const NAME: TYPE = VALUE;`.
    const SDK: [(&str, &str); 2] = [
        ("guest-sdk/src/sys.rs", include_str!("../../../guest-sdk/src/sys.rs")),
        ("guest-sdk/src/table/sys.rs", include_str!("../../../guest-sdk/src/table/sys.rs")),
    ];
    /// The C header's constants: `#define WARREN_NAME VALUE`.
    const C_HEADER: &str = include_str!("../../../guests/c/warren.h");
    /// The Zig binding's constants, in the SDK's form: `pub const NAME:
    /// TYPE = VALUE;`.
    const ZIG: &str = include_str!("../../../guests/zig/warren.zig");
    /// The docs' constants: table rows `` | `NAME` | VALUE | ``.
    const ABI_DOC: &str = include_str!("../../../docs/ABI.md");
    /// The AssemblyScript binding's constants: `export const NAME: TYPE = VALUE;`.
    const ASSEMBLYSCRIPT: &str = include_str!("../../../guests/assemblyscript/assembly/warren/codes.ts");

    /// Names in a guest binding that are not host numbers: values for the
    /// guest's own convenience (receive timeouts).
    const GUEST_ONLY: [&str; 3] = ["WAIT_FOREVER", "POLL", "INFINITY"];

    fn host() -> BTreeMap<&'static str, i64> {
        ALL.iter().copied().collect()
    }

    /// Parses an integer literal as the bindings write them: `-5`, `(-5)`,
    /// `65_535`.
    fn number(text: &str) -> Option<i64> {
        let text = text.trim().trim_start_matches('(').trim_end_matches(')').replace('_', "");
        text.parse().ok()
    }

    fn sdk_constants(source: &str) -> Vec<(String, i64)> {
        source
            .lines()
            .filter_map(|line| {
                let rest = line.trim().strip_prefix("pub const ")?;
                let (name, rest) = rest.split_once(':')?;
                let value = rest.split_once('=')?.1.trim().strip_suffix(';')?;
                Some((name.trim().to_string(), number(value)?))
            })
            .collect()
    }

    fn assemblyscript_constants(source: &str) -> Vec<(String, i64)> {
        source
            .lines()
            .filter_map(|line| {
                let rest = line.trim().strip_prefix("export const ")?;
                let (name, rest) = rest.split_once(':')?;
                let value = rest.split_once('=')?.1.trim().strip_suffix(';')?;
                Some((name.trim().to_string(), number(value)?))
            })
            .collect()
    }

    fn header_constants(source: &str) -> Vec<(String, i64)> {
        source
            .lines()
            .filter_map(|line| {
                let rest = line.trim().strip_prefix("#define WARREN_")?;
                let mut words = rest.split_whitespace();
                let name = words.next()?;
                Some((name.to_string(), number(words.next()?)?))
            })
            .collect()
    }

    /// The C header's enum entries: `WARREN_NAME = VALUE,` (its error
    /// codes, as `enum warren_error`).
    fn header_enum_constants(source: &str) -> Vec<(String, i64)> {
        source
            .lines()
            .filter_map(|line| {
                let rest = line.trim().strip_prefix("WARREN_")?;
                let (name, value) = rest.split_once('=')?;
                Some((name.trim().to_string(), number(value.trim().strip_suffix(',')?)?))
            })
            .collect()
    }

    fn doc_constants(source: &str) -> Vec<(String, i64)> {
        source
            .lines()
            .filter_map(|line| {
                let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                let name = cells.get(1)?.strip_prefix('`')?.strip_suffix('`')?;
                let value = cells.get(2)?.split_whitespace().next()?;
                let looks_like_constant =
                    name.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                looks_like_constant.then(|| Some((name.to_string(), number(value)?))).flatten()
            })
            .collect()
    }

    /// Every `(name, value)` a file defines must be the host's value; the
    /// disagreements, as text.
    fn disagreements(file: &str, found: &[(String, i64)]) -> Vec<String> {
        let host = host();
        found
            .iter()
            .filter(|(name, _)| !GUEST_ONLY.contains(&name.as_str()))
            .filter_map(|(name, value)| match host.get(name.as_str()) {
                Some(expected) if expected == value => None,
                Some(expected) => Some(format!("{file}: {name} is {value}, the host says {expected}")),
                None => Some(format!("{file}: {name} = {value} is not a number of the host's ABI")),
            })
            .collect()
    }

    #[test]
    fn the_rust_sdk_has_every_number_with_the_hosts_value() {
        let mut problems = Vec::new();
        let mut defined = BTreeMap::new();
        for (file, source) in SDK {
            let found = sdk_constants(source);
            problems.extend(disagreements(file, &found));
            defined.extend(found);
        }
        for (name, _) in ALL {
            if !defined.contains_key(*name) && *name != "MAX_RECEIVE_TAGS" {
                problems.push(format!("the SDK lacks {name}"));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn the_c_header_agrees_with_the_host() {
        let found = header_constants(C_HEADER);
        assert!(found.len() >= 10, "the header's constants were not found: {found:?}");
        let mut problems = disagreements("guests/c/warren.h", &found);
        // Its enum of error codes: the host's values, every code, the same
        // names as its macros.
        let enumerated = header_enum_constants(C_HEADER);
        problems.extend(disagreements("guests/c/warren.h (enum warren_error)", &enumerated));
        let is_code = |name: &str| name == "OK" || name.starts_with("ERR_");
        let listed: BTreeMap<String, i64> = enumerated.into_iter().collect();
        for (name, value) in ALL.iter().filter(|(name, _)| is_code(name)) {
            if listed.get(*name) != Some(value) {
                problems.push(format!("guests/c/warren.h: enum warren_error lacks WARREN_{name} = {value}"));
            }
        }
        let defined: BTreeMap<String, i64> = found.into_iter().filter(|(name, _)| is_code(name)).collect();
        if defined != listed {
            problems.push(format!("guests/c/warren.h: the enum {listed:?} and the macros {defined:?} differ"));
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn the_assemblyscript_binding_agrees_with_the_host() {
        let file = "guests/assemblyscript/assembly/warren/codes.ts";
        let found = assemblyscript_constants(ASSEMBLYSCRIPT);
        let mut problems = disagreements(file, &found);
        let defined: BTreeMap<String, i64> = found.into_iter().collect();
        for (name, _) in ALL {
            if !defined.contains_key(*name) {
                problems.push(format!("{file} lacks {name}"));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn the_abi_document_lists_every_number_with_the_hosts_value() {
        let found = doc_constants(ABI_DOC);
        let mut problems = disagreements("docs/ABI.md", &found);
        let documented: BTreeMap<String, i64> = found.into_iter().collect();
        for (name, _) in ALL {
            if !documented.contains_key(*name) && !ABI_DOC.contains(name) {
                problems.push(format!("docs/ABI.md does not mention {name}"));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn the_zig_binding_agrees_with_the_host() {
        let found = sdk_constants(ZIG);
        let mut problems = disagreements("guests/zig/warren.zig", &found);
        let defined: BTreeMap<String, i64> = found.into_iter().collect();
        for (name, _) in ALL {
            if !defined.contains_key(*name) {
                problems.push(format!("guests/zig/warren.zig lacks {name}"));
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn the_parsers_read_the_forms_the_bindings_use() {
        assert_eq!(sdk_constants("pub const ERR_LIMIT: i32 = -5;"), [("ERR_LIMIT".to_string(), -5)]);
        assert_eq!(sdk_constants("    pub const MAX_KEY_LEN: usize = 65_535;"), [("MAX_KEY_LEN".to_string(), 65535)]);
        assert_eq!(header_constants("#define WARREN_ERR_LIMIT (-5) /* x */"), [("ERR_LIMIT".to_string(), -5)]);
        assert_eq!(header_enum_constants("    WARREN_ERR_LIMIT = -5,"), [("ERR_LIMIT".to_string(), -5)]);
        assert!(header_enum_constants("WARREN_IMPORT(\"send\")").is_empty());
        assert_eq!(doc_constants("| `ERR_LIMIT` | -5 | a limit |"), [("ERR_LIMIT".to_string(), -5)]);
        assert_eq!(assemblyscript_constants("export const ERR_LIMIT: i32 = -5;"), [("ERR_LIMIT".to_string(), -5)]);
        assert!(assemblyscript_constants("export const MODULE = \"warren_v1\";").is_empty());
        assert!(doc_constants("| `send` | `(pid: i64)` | sends |").is_empty());
        let wrong = disagreements("x", &[("ERR_LIMIT".to_string(), -6)]);
        assert_eq!(wrong, ["x: ERR_LIMIT is -6, the host says -5"]);
    }
}
