//! Warren's guest ABI (docs/ABI.md, import module `warren_v1`) for Zig.
//!
//! `raw` declares every host function with the host's wasm types; the rest
//! of this file wraps them in Zig's idiom: slices for buffers, error unions
//! for the negative codes (`Error`), optionals where the ABI answers "none",
//! and small builders and parsers for the byte layouts the ABI defines
//! (spawn options, supervisor specs, table records, host-made messages).
//! `term` (term.zig) is the External Term Format, Warren's structured
//! message format.
//!
//! Build a guest with (see guests/artifacts/build.rs, README "Guests in Zig"):
//!
//!     zig build-exe guest.zig -target wasm32-freestanding -fno-entry -rdynamic \
//!         -fno-ubsan-rt -O ReleaseSafe -fstrip --stack 65536 --export=__stack_pointer
//!
//! and export entries as `export fn name() void` and handlers as
//! `export fn name() i32`. The memory rule of the ABI holds throughout: the
//! guest allocates; the host reads from and writes into slices it is given.

const std = @import("std");

/// The External Term Format (term.zig).
pub const term = @import("term.zig");

// ------------------------------------------------------------- the numbers
// Each of these is checked against the host's value by
// host/src/base/codes.rs (`the_zig_binding_agrees_with_the_host`).

pub const OK: i32 = 0;
pub const ERR_BADARG: i32 = -1;
pub const ERR_NO_SUCH_EXPORT: i32 = -2;
pub const ERR_NO_SUCH_MODULE: i32 = -3;
pub const ERR_NOT_PERMITTED: i32 = -4;
pub const ERR_LIMIT: i32 = -5;
pub const ERR_TIMEOUT: i32 = -6;
pub const ERR_NO_MESSAGE: i32 = -7;
pub const ERR_NO_SUCH_TABLE: i32 = -8;
pub const ERR_ACCESS: i32 = -9;
pub const ERR_WRONG_TYPE: i32 = -10;
pub const ERR_TABLE_NAME_TAKEN: i32 = -11;
pub const ERR_NOT_FOUND: i32 = -12;
pub const ERR_NOT_A_COUNTER: i32 = -13;
pub const ERR_OVERFLOW: i32 = -14;
pub const ERR_TABLE_FULL: i32 = -15;
pub const ERR_KEY_TOO_LARGE: i32 = -16;
pub const ERR_VALUE_TOO_LARGE: i32 = -17;
pub const ERR_NOT_ALIVE: i32 = -18;
pub const ERR_NO_RESULT: i32 = -19;
pub const ERR_NAME_TAKEN: i32 = -20;
pub const ERR_NO_SUCH_NAME: i32 = -21;
pub const ERR_ALREADY_NAMED: i32 = -22;
pub const ERR_NOPROC: i32 = -23;
pub const ERR_NO_SUCH_TIMER: i32 = -24;
pub const ERR_CANNOT_HIBERNATE: i32 = -25;
pub const ERR_ALREADY_PRESENT: i32 = -26;
pub const ERR_ALREADY_STARTED: i32 = -27;
pub const ERR_RUNNING: i32 = -28;
pub const ERR_START_FAILED: i32 = -29;
pub const ERR_EXITED: i32 = -30;

pub const REASON_NORMAL: i32 = 0;
pub const REASON_SHUTDOWN: i32 = 1;
pub const REASON_CUSTOM: i32 = 2;
pub const REASON_KILL: i32 = 3;
pub const REASON_KILLED: i32 = 4;
pub const REASON_NOPROC: i32 = 5;
pub const REASON_TRAP: i32 = 6;
pub const REASON_LIMIT: i32 = 7;

pub const TAG_EXIT: i64 = -100;
pub const TAG_DOWN: i64 = -101;
pub const TAG_TABLE_TRANSFER: i64 = -102;
pub const TAG_ACK: i64 = -103;
/// The payload byte of a `TAG_ACK` from a child that ignores its start (`initIgnore`).
pub const ACK_IGNORE: u8 = 1;
pub const TAG_SUPERVISOR_REPLY: i64 = -104;
pub const TAG_CALL: i64 = -105;
pub const TAG_REPLY: i64 = -106;
pub const TAG_SYSTEM: i64 = -107;

pub const STRATEGY_ONE_FOR_ONE: i32 = 0;
pub const STRATEGY_ONE_FOR_ALL: i32 = 1;
pub const STRATEGY_REST_FOR_ONE: i32 = 2;
pub const STRATEGY_SIMPLE_ONE_FOR_ONE: i32 = 3;
pub const AUTO_SHUTDOWN_NEVER: i32 = 0;
pub const AUTO_SHUTDOWN_ANY_SIGNIFICANT: i32 = 1;
pub const AUTO_SHUTDOWN_ALL_SIGNIFICANT: i32 = 2;
pub const RESTART_PERMANENT: i32 = 0;
pub const RESTART_TRANSIENT: i32 = 1;
pub const RESTART_TEMPORARY: i32 = 2;
pub const SHUTDOWN_TIMEOUT: i32 = 0;
pub const SHUTDOWN_BRUTAL_KILL: i32 = 1;
pub const SHUTDOWN_INFINITY: i32 = 2;
pub const CHILD_WORKER: i32 = 0;
pub const CHILD_SUPERVISOR: i32 = 1;
pub const SPEC_NONE: u32 = 4294967295;
pub const SUP_START_CHILD: i32 = 1;
pub const SUP_TERMINATE_CHILD: i32 = 2;
pub const SUP_RESTART_CHILD: i32 = 3;
pub const SUP_DELETE_CHILD: i32 = 4;
pub const SUP_WHICH_CHILDREN: i32 = 5;
pub const SUP_COUNT_CHILDREN: i32 = 6;

pub const SPAWN_LINK: i32 = 1;
pub const SPAWN_MONITOR: i32 = 2;

pub const OPT_MAX_MEMORY: u32 = 1;
pub const OPT_MAX_FUEL: u32 = 2;
pub const OPT_MAX_MAILBOX: u32 = 3;
pub const OPT_DENY_SPAWN: u32 = 4;
pub const OPT_DENY_PRINT: u32 = 5;
pub const OPT_DIR: u32 = 6;
pub const OPT_ENV: u32 = 7;
pub const OPT_NO_DIRS: u32 = 8;
pub const OPT_CLEAR_ENV: u32 = 9;

pub const MAX_RECEIVE_TAGS: i32 = 4096;

pub const TABLE_SET: i32 = 0;
pub const TABLE_ORDERED_SET: i32 = 1;
pub const TABLE_BAG: i32 = 2;
pub const TABLE_DUPLICATE_BAG: i32 = 3;
pub const ACCESS_PROTECTED: i32 = 0;
pub const ACCESS_PUBLIC: i32 = 1;
pub const ACCESS_PRIVATE: i32 = 2;
pub const COUNTER_DEFAULT: i32 = 1;
pub const RANGE_FROM_EXCLUSIVE: i32 = 1;
pub const RANGE_TO_INCLUSIVE: i32 = 2;
pub const RANGE_FROM_START: i32 = 4;
pub const RANGE_TO_END: i32 = 8;
pub const RANGE_REVERSE: i32 = 16;
pub const SELECT_AFTER: i32 = 1;
pub const TABLE_INFO_SIZE: usize = 64;
pub const MAX_KEY_LEN: usize = 65_535;

/// Receive timeout: wait for ever (any negative value does).
pub const WAIT_FOREVER: i64 = -1;
/// Receive timeout: only look, do not wait.
pub const POLL: i64 = 0;

// ------------------------------------------------------ the host functions

/// Every host function of `warren_v1`, as the host declares it (pointers
/// and lengths are wasm `i32`s; pids, tags, references, table ids and
/// times `i64`). Prefer the wrappers below; these are for what they do
/// not cover.
pub const raw = struct {
    // Processes.
    pub extern "warren_v1" fn self() i64;
    pub extern "warren_v1" fn parent() i64;
    pub extern "warren_v1" fn spawn(entry_ptr: [*]const u8, entry_len: i32, arg_ptr: [*]const u8, arg_len: i32) i64;
    pub extern "warren_v1" fn spawn_module(module_ptr: [*]const u8, module_len: i32, entry_ptr: [*]const u8, entry_len: i32, arg_ptr: [*]const u8, arg_len: i32) i64;
    pub extern "warren_v1" fn spawn_opt(module_ptr: [*]const u8, module_len: i32, entry_ptr: [*]const u8, entry_len: i32, arg_ptr: [*]const u8, arg_len: i32, flags: i32, ref_out: *i64) i64;
    pub extern "warren_v1" fn spawn_opts(module_ptr: [*]const u8, module_len: i32, entry_ptr: [*]const u8, entry_len: i32, arg_ptr: [*]const u8, arg_len: i32, options_ptr: [*]const u8, options_len: i32, flags: i32, ref_out: *i64) i64;
    pub extern "warren_v1" fn arg_size() i32;
    pub extern "warren_v1" fn arg_read(dst_ptr: [*]u8, dst_len: i32) i32;
    pub extern "warren_v1" fn exit(kind: i32, detail_ptr: [*]const u8, detail_len: i32) noreturn;
    pub extern "warren_v1" fn yield_now() void;
    pub extern "warren_v1" fn set_handler(name_ptr: [*]const u8, name_len: i32) i32;
    pub extern "warren_v1" fn hibernate() i32;
    // Messages.
    pub extern "warren_v1" fn send(pid: i64, tag: i64, ptr: [*]const u8, len: i32) i32;
    pub extern "warren_v1" fn receive(tags_ptr: [*]const i64, tags_count: i32, timeout_ms: i64) i32;
    pub extern "warren_v1" fn receive_into(tags_ptr: [*]const i64, tags_count: i32, timeout_ms: i64, buf_ptr: [*]u8, buf_len: i32) i32;
    pub extern "warren_v1" fn msg_tag() i64;
    pub extern "warren_v1" fn msg_sender() i64;
    pub extern "warren_v1" fn msg_size() i32;
    pub extern "warren_v1" fn msg_header(out_ptr: [*]u8) i32;
    pub extern "warren_v1" fn msg_read(offset: i32, dst_ptr: [*]u8, dst_len: i32) i32;
    pub extern "warren_v1" fn msg_queue_len() i32;
    // Calls.
    pub extern "warren_v1" fn call(pid: i64, req_ptr: [*]const u8, req_len: i32, timeout_ms: i64) i32;
    pub extern "warren_v1" fn call_named(name_ptr: [*]const u8, name_len: i32, req_ptr: [*]const u8, req_len: i32, timeout_ms: i64) i32;
    pub extern "warren_v1" fn system_call(pid: i64, req_ptr: [*]const u8, req_len: i32, timeout_ms: i64) i32;
    pub extern "warren_v1" fn reply(pid: i64, token: i64, ptr: [*]const u8, len: i32) i32;
    // Links and monitors.
    pub extern "warren_v1" fn link(pid: i64) i32;
    pub extern "warren_v1" fn unlink(pid: i64) i32;
    pub extern "warren_v1" fn trap_exit(on: i32) i32;
    pub extern "warren_v1" fn exit_signal(pid: i64, kind: i32, detail_ptr: [*]const u8, detail_len: i32) i32;
    pub extern "warren_v1" fn monitor(pid: i64) i64;
    pub extern "warren_v1" fn demonitor(reference: i64, flush: i32) i32;
    // Names and keyed registries.
    pub extern "warren_v1" fn register(name_ptr: [*]const u8, name_len: i32, pid: i64) i32;
    pub extern "warren_v1" fn unregister(name_ptr: [*]const u8, name_len: i32) i32;
    pub extern "warren_v1" fn whereis(name_ptr: [*]const u8, name_len: i32) i64;
    pub extern "warren_v1" fn send_named(name_ptr: [*]const u8, name_len: i32, tag: i64, ptr: [*]const u8, len: i32) i32;
    pub extern "warren_v1" fn registered(dst_ptr: [*]u8, dst_len: i32) i32;
    pub extern "warren_v1" fn registry_new(name_ptr: [*]const u8, name_len: i32, unique: i32) i32;
    pub extern "warren_v1" fn registry_register(reg_ptr: [*]const u8, reg_len: i32, key_ptr: [*]const u8, key_len: i32, value_ptr: [*]const u8, value_len: i32) i32;
    pub extern "warren_v1" fn registry_unregister(reg_ptr: [*]const u8, reg_len: i32, key_ptr: [*]const u8, key_len: i32) i32;
    pub extern "warren_v1" fn registry_lookup(reg_ptr: [*]const u8, reg_len: i32, key_ptr: [*]const u8, key_len: i32, dst_ptr: [*]u8, dst_len: i32) i32;
    pub extern "warren_v1" fn registry_dispatch(reg_ptr: [*]const u8, reg_len: i32, key_ptr: [*]const u8, key_len: i32, tag: i64, ptr: [*]const u8, len: i32) i32;
    // Timers.
    pub extern "warren_v1" fn send_after(pid: i64, tag: i64, ptr: [*]const u8, len: i32, ms: i64) i64;
    pub extern "warren_v1" fn send_after_named(name_ptr: [*]const u8, name_len: i32, tag: i64, ptr: [*]const u8, len: i32, ms: i64) i64;
    pub extern "warren_v1" fn cancel_timer(reference: i64) i64;
    pub extern "warren_v1" fn read_timer(reference: i64) i64;
    pub extern "warren_v1" fn sleep(ms: i64) i32;
    // Tables.
    pub extern "warren_v1" fn table_new(name_ptr: [*]const u8, name_len: i32, kind: i32, access: i32, max_bytes: i64) i64;
    pub extern "warren_v1" fn table_whereis(name_ptr: [*]const u8, name_len: i32) i64;
    pub extern "warren_v1" fn table_delete(tid: i64) i32;
    pub extern "warren_v1" fn table_give_away(tid: i64, pid: i64, data_ptr: [*]const u8, data_len: i32) i32;
    pub extern "warren_v1" fn table_set_heir(tid: i64, pid: i64, data_ptr: [*]const u8, data_len: i32) i32;
    pub extern "warren_v1" fn table_info(tid: i64, dst_ptr: [*]u8, dst_len: i32) i32;
    pub extern "warren_v1" fn table_list(dst_ptr: [*]u8, dst_len: i32) i32;
    pub extern "warren_v1" fn table_insert(tid: i64, key_ptr: [*]const u8, key_len: i32, val_ptr: [*]const u8, val_len: i32) i32;
    pub extern "warren_v1" fn table_insert_new(tid: i64, key_ptr: [*]const u8, key_len: i32, val_ptr: [*]const u8, val_len: i32) i32;
    pub extern "warren_v1" fn table_insert_many(tid: i64, rec_ptr: [*]const u8, rec_len: i32) i32;
    pub extern "warren_v1" fn table_insert_new_many(tid: i64, rec_ptr: [*]const u8, rec_len: i32) i32;
    pub extern "warren_v1" fn table_lookup(tid: i64, key_ptr: [*]const u8, key_len: i32, dst_ptr: [*]u8, dst_len: i32) i32;
    pub extern "warren_v1" fn table_member(tid: i64, key_ptr: [*]const u8, key_len: i32) i32;
    pub extern "warren_v1" fn table_take(tid: i64, key_ptr: [*]const u8, key_len: i32, dst_ptr: [*]u8, dst_len: i32) i32;
    pub extern "warren_v1" fn table_delete_key(tid: i64, key_ptr: [*]const u8, key_len: i32) i32;
    pub extern "warren_v1" fn table_delete_object(tid: i64, key_ptr: [*]const u8, key_len: i32, val_ptr: [*]const u8, val_len: i32) i32;
    pub extern "warren_v1" fn table_delete_all(tid: i64) i64;
    pub extern "warren_v1" fn table_update_counter(tid: i64, key_ptr: [*]const u8, key_len: i32, incr: i64, flags: i32, default: i64, out_ptr: *i64) i32;
    pub extern "warren_v1" fn table_update(tid: i64, key_ptr: [*]const u8, key_len: i32, offset: i32, val_ptr: [*]const u8, val_len: i32) i32;
    pub extern "warren_v1" fn table_first(tid: i64, dst_ptr: [*]u8, dst_len: i32) i32;
    pub extern "warren_v1" fn table_last(tid: i64, dst_ptr: [*]u8, dst_len: i32) i32;
    pub extern "warren_v1" fn table_next(tid: i64, key_ptr: [*]const u8, key_len: i32, dst_ptr: [*]u8, dst_len: i32) i32;
    pub extern "warren_v1" fn table_prev(tid: i64, key_ptr: [*]const u8, key_len: i32, dst_ptr: [*]u8, dst_len: i32) i32;
    pub extern "warren_v1" fn table_range(tid: i64, from_ptr: [*]const u8, from_len: i32, to_ptr: [*]const u8, to_len: i32, flags: i32, limit: i32, dst_ptr: [*]u8, dst_len: i32) i32;
    pub extern "warren_v1" fn table_select_prefix(tid: i64, prefix_ptr: [*]const u8, prefix_len: i32, after_ptr: [*]const u8, after_len: i32, flags: i32, limit: i32, dst_ptr: [*]u8, dst_len: i32) i32;
    pub extern "warren_v1" fn table_chunk(tid: i64, after_ptr: [*]const u8, after_len: i32, flags: i32, limit: i32, dst_ptr: [*]u8, dst_len: i32) i32;
    pub extern "warren_v1" fn table_result_read(dst_ptr: [*]u8, dst_len: i32) i32;
    // Supervisors.
    pub extern "warren_v1" fn supervisor_start(spec_ptr: [*]const u8, spec_len: i32) i64;
    pub extern "warren_v1" fn supervisor_request(sup: i64, op: i32, arg_ptr: [*]const u8, arg_len: i32) i64;
    pub extern "warren_v1" fn init_ack() i32;
    pub extern "warren_v1" fn init_ignore() i32;
};

// ------------------------------------------------------------------ errors

/// The ABI's error codes as a Zig error set, plus `BufferTooSmall` (a
/// wrapper's own: a result did not fit the slice given) and `Unknown` (a
/// negative code this binding does not know: a newer host).
pub const Error = error{
    BadArg,
    NoSuchExport,
    NoSuchModule,
    NotPermitted,
    Limit,
    Timeout,
    NoMessage,
    NoSuchTable,
    Access,
    WrongType,
    TableNameTaken,
    NotFound,
    NotACounter,
    Overflow,
    TableFull,
    KeyTooLarge,
    ValueTooLarge,
    NotAlive,
    NoResult,
    NameTaken,
    NoSuchName,
    AlreadyNamed,
    Noproc,
    NoSuchTimer,
    CannotHibernate,
    AlreadyPresent,
    AlreadyStarted,
    Running,
    StartFailed,
    Exited,
    BufferTooSmall,
    Unknown,
};

/// The error of a negative code.
pub fn errorOf(code: i64) Error {
    return switch (code) {
        ERR_BADARG => error.BadArg,
        ERR_NO_SUCH_EXPORT => error.NoSuchExport,
        ERR_NO_SUCH_MODULE => error.NoSuchModule,
        ERR_NOT_PERMITTED => error.NotPermitted,
        ERR_LIMIT => error.Limit,
        ERR_TIMEOUT => error.Timeout,
        ERR_NO_MESSAGE => error.NoMessage,
        ERR_NO_SUCH_TABLE => error.NoSuchTable,
        ERR_ACCESS => error.Access,
        ERR_WRONG_TYPE => error.WrongType,
        ERR_TABLE_NAME_TAKEN => error.TableNameTaken,
        ERR_NOT_FOUND => error.NotFound,
        ERR_NOT_A_COUNTER => error.NotACounter,
        ERR_OVERFLOW => error.Overflow,
        ERR_TABLE_FULL => error.TableFull,
        ERR_KEY_TOO_LARGE => error.KeyTooLarge,
        ERR_VALUE_TOO_LARGE => error.ValueTooLarge,
        ERR_NOT_ALIVE => error.NotAlive,
        ERR_NO_RESULT => error.NoResult,
        ERR_NAME_TAKEN => error.NameTaken,
        ERR_NO_SUCH_NAME => error.NoSuchName,
        ERR_ALREADY_NAMED => error.AlreadyNamed,
        ERR_NOPROC => error.Noproc,
        ERR_NO_SUCH_TIMER => error.NoSuchTimer,
        ERR_CANNOT_HIBERNATE => error.CannotHibernate,
        ERR_ALREADY_PRESENT => error.AlreadyPresent,
        ERR_ALREADY_STARTED => error.AlreadyStarted,
        ERR_RUNNING => error.Running,
        ERR_START_FAILED => error.StartFailed,
        ERR_EXITED => error.Exited,
        else => error.Unknown,
    };
}

/// The code of an error (for a guest that reports codes to others);
/// `BufferTooSmall` and `Unknown` have none of the host's and give
/// `ERR_LIMIT` and `ERR_BADARG`.
pub fn codeOf(err: Error) i32 {
    return switch (err) {
        error.BadArg, error.Unknown => ERR_BADARG,
        error.NoSuchExport => ERR_NO_SUCH_EXPORT,
        error.NoSuchModule => ERR_NO_SUCH_MODULE,
        error.NotPermitted => ERR_NOT_PERMITTED,
        error.Limit, error.BufferTooSmall => ERR_LIMIT,
        error.Timeout => ERR_TIMEOUT,
        error.NoMessage => ERR_NO_MESSAGE,
        error.NoSuchTable => ERR_NO_SUCH_TABLE,
        error.Access => ERR_ACCESS,
        error.WrongType => ERR_WRONG_TYPE,
        error.TableNameTaken => ERR_TABLE_NAME_TAKEN,
        error.NotFound => ERR_NOT_FOUND,
        error.NotACounter => ERR_NOT_A_COUNTER,
        error.Overflow => ERR_OVERFLOW,
        error.TableFull => ERR_TABLE_FULL,
        error.KeyTooLarge => ERR_KEY_TOO_LARGE,
        error.ValueTooLarge => ERR_VALUE_TOO_LARGE,
        error.NotAlive => ERR_NOT_ALIVE,
        error.NoResult => ERR_NO_RESULT,
        error.NameTaken => ERR_NAME_TAKEN,
        error.NoSuchName => ERR_NO_SUCH_NAME,
        error.AlreadyNamed => ERR_ALREADY_NAMED,
        error.Noproc => ERR_NOPROC,
        error.NoSuchTimer => ERR_NO_SUCH_TIMER,
        error.CannotHibernate => ERR_CANNOT_HIBERNATE,
        error.AlreadyPresent => ERR_ALREADY_PRESENT,
        error.AlreadyStarted => ERR_ALREADY_STARTED,
        error.Running => ERR_RUNNING,
        error.StartFailed => ERR_START_FAILED,
        error.Exited => ERR_EXITED,
    };
}

/// A 32-bit result: its value if not negative, else its error.
pub fn check(code: i32) Error!u32 {
    if (code < 0) return errorOf(code);
    return @intCast(code);
}

/// A 64-bit result: its value if not negative, else its error.
pub fn check64(code: i64) Error!i64 {
    if (code < 0) return errorOf(code);
    return code;
}

/// A slice's length as the ABI's `i32` (a wasm32 slice cannot exceed it
/// in practice; a larger one traps on the cast rather than wrap).
fn len32(bytes: []const u8) i32 {
    return @intCast(bytes.len);
}

fn readI64(bytes: []const u8, at: usize) i64 {
    return std.mem.readInt(i64, bytes[at..][0..8], .little);
}

fn readI32(bytes: []const u8, at: usize) i32 {
    return std.mem.readInt(i32, bytes[at..][0..4], .little);
}

fn readU32(bytes: []const u8, at: usize) u32 {
    return std.mem.readInt(u32, bytes[at..][0..4], .little);
}

// --------------------------------------------------------------- processes

/// A process id: an `i64` never reused on the node (docs/ABI.md "Pids").
pub const Pid = i64;
/// A monitor or timer reference.
pub const Ref = i64;

/// The caller's pid.
pub fn self() Pid {
    return raw.self();
}

/// The process that spawned the caller (its supervisor, for a
/// supervisor's child), or null if the host spawned it.
pub fn parent() ?Pid {
    const pid = raw.parent();
    return if (pid == 0) null else pid;
}

/// Starts export `entry` of the caller's module in a new process, with a
/// copy of `arg` as its argument.
pub fn spawn(entry: []const u8, arg: []const u8) Error!Pid {
    return check64(raw.spawn(entry.ptr, len32(entry), arg.ptr, len32(arg)));
}

/// As `spawn`, for export `entry` of the module loaded as `module` (empty:
/// the caller's own).
pub fn spawnModule(module: []const u8, entry: []const u8, arg: []const u8) Error!Pid {
    return check64(raw.spawn_module(module.ptr, len32(module), entry.ptr, len32(entry), arg.ptr, len32(arg)));
}

/// A child of `spawnOpt`: its pid, and its monitor with `SPAWN_MONITOR`.
pub const Spawned = struct { pid: Pid, monitor: ?Ref };

/// Spawns atomically linked (`SPAWN_LINK`) and/or monitored
/// (`SPAWN_MONITOR`).
pub fn spawnOpt(module: []const u8, entry: []const u8, arg: []const u8, flags: i32) Error!Spawned {
    return spawnOpts(module, entry, arg, "", flags);
}

/// As `spawnOpt`, with the child's limits and capabilities narrowed by an
/// options block (`Options`).
pub fn spawnOpts(module: []const u8, entry: []const u8, arg: []const u8, options: []const u8, flags: i32) Error!Spawned {
    var reference: i64 = 0;
    const pid = try check64(raw.spawn_opts(module.ptr, len32(module), entry.ptr, len32(entry), arg.ptr, len32(arg), options.ptr, len32(options), flags, &reference));
    return .{ .pid = pid, .monitor = if (flags & SPAWN_MONITOR != 0) reference else null };
}

/// `spawn`, linked to the caller.
pub fn spawnLink(entry: []const u8, arg: []const u8) Error!Pid {
    return (try spawnOpt("", entry, arg, SPAWN_LINK)).pid;
}

/// `spawn`, monitored by the caller.
pub fn spawnMonitor(entry: []const u8, arg: []const u8) Error!Spawned {
    return spawnOpt("", entry, arg, SPAWN_MONITOR);
}

/// Writes a spawn options block (docs/ABI.md "The options block") into a
/// buffer the caller owns; `bytes()` is the block for `spawnOpts` or a
/// supervisor child's options.
pub const Options = struct {
    buf: []u8,
    len: usize = 0,

    pub fn init(buf: []u8) Options {
        return .{ .buf = buf };
    }

    fn record(o: *Options, key: u32, parts: []const []const u8) Error!void {
        var size: usize = 0;
        for (parts) |part| size += part.len;
        if (o.buf.len - o.len < 8 + size) return error.BufferTooSmall;
        std.mem.writeInt(u32, o.buf[o.len..][0..4], key, .little);
        std.mem.writeInt(u32, o.buf[o.len + 4 ..][0..4], @intCast(size), .little);
        o.len += 8;
        for (parts) |part| {
            @memcpy(o.buf[o.len..][0..part.len], part);
            o.len += part.len;
        }
    }

    fn limit(o: *Options, key: u32, value: u64) Error!void {
        var le: [8]u8 = undefined;
        std.mem.writeInt(u64, &le, value, .little);
        return o.record(key, &.{&le});
    }

    /// At most `bytes` of linear memory.
    pub fn maxMemory(o: *Options, max: u64) Error!void {
        return o.limit(OPT_MAX_MEMORY, max);
    }
    /// At most `fuel` units of fuel over the child's life.
    pub fn maxFuel(o: *Options, fuel: u64) Error!void {
        return o.limit(OPT_MAX_FUEL, fuel);
    }
    /// At most `messages` queued in the child's mailbox.
    pub fn maxMailbox(o: *Options, messages: u64) Error!void {
        return o.limit(OPT_MAX_MAILBOX, messages);
    }
    /// The child may not spawn.
    pub fn denySpawn(o: *Options) Error!void {
        return o.record(OPT_DENY_SPAWN, &.{});
    }
    /// The child may not print.
    pub fn denyPrint(o: *Options) Error!void {
        return o.record(OPT_DENY_PRINT, &.{});
    }
    /// Keep the caller's preopened directory at `guest_path`.
    pub fn dir(o: *Options, guest_path: []const u8, read_only: bool) Error!void {
        const flag = [1]u8{@intFromBool(read_only)};
        return o.record(OPT_DIR, &.{ &flag, guest_path });
    }
    /// One environment variable, `KEY=VALUE`.
    pub fn env(o: *Options, key_value: []const u8) Error!void {
        return o.record(OPT_ENV, &.{key_value});
    }
    /// None of the caller's directories but those `dir` names.
    pub fn noDirs(o: *Options) Error!void {
        return o.record(OPT_NO_DIRS, &.{});
    }
    /// An empty environment but for `env`.
    pub fn clearEnv(o: *Options) Error!void {
        return o.record(OPT_CLEAR_ENV, &.{});
    }

    pub fn bytes(o: *const Options) []const u8 {
        return o.buf[0..o.len];
    }
};

/// The length of the caller's spawn argument.
pub fn argSize() u32 {
    return @intCast(@max(raw.arg_size(), 0));
}

/// Copies the spawn argument into `dst`; returns the part copied.
pub fn argRead(dst: []u8) []u8 {
    const n = raw.arg_read(dst.ptr, len32(dst));
    return dst[0..@intCast(@max(n, 0))];
}

/// Ends the caller with reason `kind` (`REASON_NORMAL`, `REASON_SHUTDOWN`,
/// `REASON_CUSTOM`) and `detail`.
pub fn exit(kind: i32, detail: []const u8) noreturn {
    raw.exit(kind, detail.ptr, len32(detail));
}

/// Ends the caller with a custom reason.
pub fn exitCustom(detail: []const u8) noreturn {
    exit(REASON_CUSTOM, detail);
}

/// Gives up the rest of the time slice.
pub fn yieldNow() void {
    raw.yield_now();
}

/// Makes the caller handler-style: export `name` (`fn () i32`) is called
/// once per message once the current call returns.
pub fn setHandler(name: []const u8) Error!void {
    _ = try check(raw.set_handler(name.ptr, len32(name)));
}

/// Asks to hibernate when the current handler call returns.
pub fn hibernate() Error!void {
    _ = try check(raw.hibernate());
}

// ---------------------------------------------------------------- messages

/// Sends `data` with `tag` (>= 0) to `pid`.
pub fn send(pid: Pid, tag: i64, data: []const u8) Error!void {
    _ = try check(raw.send(pid, tag, data.ptr, len32(data)));
}

/// Sends a term (encoded into `buf`) to `pid`.
pub fn sendTerm(pid: Pid, tag: i64, value: term.Term, buf: []u8) (Error || term.EncodeError)!void {
    return send(pid, tag, try term.encodeInto(value, buf));
}

/// Waits for the oldest message whose tag is in `tags` (empty: any) for
/// at most `timeout_ms` (`WAIT_FOREVER`, `POLL`); it becomes the current
/// message. Returns its size.
pub fn receive(tags: []const i64, timeout_ms: i64) Error!u32 {
    return check(raw.receive(tags.ptr, @intCast(tags.len), timeout_ms));
}

/// A message taken by `receiveInto`, or the current one.
pub const Message = struct {
    tag: i64,
    sender: Pid,
    /// The whole message's length.
    size: u32,
    /// Its bytes, or their first `data.len` when it did not fit the
    /// buffer (read the rest with `msgRead`: it is the current message).
    data: []u8,

    /// Whether `data` holds the whole message.
    pub fn complete(m: Message) bool {
        return m.data.len == m.size;
    }
};

/// `receive`, writing the message into `buf` (its first 16 bytes hold the
/// tag and sender; `buf.len` must be at least 16) in one host call.
pub fn receiveInto(tags: []const i64, timeout_ms: i64, buf: []u8) Error!Message {
    if (buf.len < 16) return error.BufferTooSmall;
    const size = try check(raw.receive_into(tags.ptr, @intCast(tags.len), timeout_ms, buf.ptr, len32(buf)));
    const copied = @min(size, buf.len - 16);
    return .{ .tag = readI64(buf, 0), .sender = readI64(buf, 8), .size = size, .data = buf[16..][0..copied] };
}

/// The current message, its bytes read into `buf`.
pub fn current(buf: []u8) Error!Message {
    const size = try check(raw.msg_size());
    const tag = raw.msg_tag();
    const sender = raw.msg_sender();
    const data = try msgRead(0, buf);
    return .{ .tag = tag, .sender = sender, .size = size, .data = data };
}

/// The tag of the current message.
pub fn msgTag() Error!i64 {
    const tag = raw.msg_tag();
    if (tag == ERR_NO_MESSAGE) return error.NoMessage;
    return tag;
}

/// The sender of the current message.
pub fn msgSender() Error!Pid {
    return check64(raw.msg_sender());
}

/// The size of the current message.
pub fn msgSize() Error!u32 {
    return check(raw.msg_size());
}

/// Copies the current message from `offset` into `dst`; returns the part
/// copied.
pub fn msgRead(offset: u32, dst: []u8) Error![]u8 {
    const n = try check(raw.msg_read(@intCast(offset), dst.ptr, len32(dst)));
    return dst[0..n];
}

// --------------------------------------------- messages made by the host

/// An exit reason: its kind and detail bytes.
pub const Reason = struct {
    kind: i32,
    detail: []const u8,
};

/// A `TAG_EXIT` message: an exit signal trapped as a message.
pub const Exit = struct {
    from: Pid,
    reason: Reason,

    pub fn parse(data: []const u8) ?Exit {
        if (data.len < 12) return null;
        return .{ .from = readI64(data, 0), .reason = .{ .kind = readI32(data, 8), .detail = data[12..] } };
    }
};

/// A `TAG_DOWN` message: a monitored process exited.
pub const Down = struct {
    monitor: Ref,
    pid: Pid,
    reason: Reason,

    pub fn parse(data: []const u8) ?Down {
        if (data.len < 20) return null;
        return .{ .monitor = readI64(data, 0), .pid = readI64(data, 8), .reason = .{ .kind = readI32(data, 16), .detail = data[20..] } };
    }
};

/// A `TAG_CALL` (or `TAG_SYSTEM`) message: a request to answer with
/// `reply(sender, token, ...)`.
pub const Request = struct {
    token: i64,
    request: []const u8,

    pub fn parse(data: []const u8) ?Request {
        if (data.len < 8) return null;
        return .{ .token = readI64(data, 0), .request = data[8..] };
    }
};

/// A `TAG_TABLE_TRANSFER` message: the receiver owns a table now.
pub const TableTransfer = struct {
    table: Table,
    previous_owner: Pid,
    data: []const u8,

    pub fn parse(data: []const u8) ?TableTransfer {
        if (data.len < 16) return null;
        return .{ .table = .{ .tid = readI64(data, 0) }, .previous_owner = readI64(data, 8), .data = data[16..] };
    }
};

/// A `TAG_SUPERVISOR_REPLY` message.
pub const SupervisorReply = struct {
    request: i64,
    result: i64,
    data: []const u8,

    pub fn parse(data: []const u8) ?SupervisorReply {
        if (data.len < 16) return null;
        return .{ .request = readI64(data, 0), .result = readI64(data, 8), .data = data[16..] };
    }
};

// ------------------------------------------------------------------- calls

/// Calls `pid` with `request` (gen_server:call); the reply is read into
/// `dst`. `error.Noproc` / `error.Exited` leave the callee's DOWN as the
/// current message; `error.BufferTooSmall` leaves the reply current.
pub fn call(pid: Pid, request: []const u8, timeout_ms: i64, dst: []u8) Error![]u8 {
    return readReply(raw.call(pid, request.ptr, len32(request), timeout_ms), dst);
}

/// As `call`, to the process registered under `name`.
pub fn callNamed(name: []const u8, request: []const u8, timeout_ms: i64, dst: []u8) Error![]u8 {
    return readReply(raw.call_named(name.ptr, len32(name), request.ptr, len32(request), timeout_ms), dst);
}

/// As `call`, sent as a system request (a term; docs/ABI.md "System
/// messages").
pub fn systemCall(pid: Pid, request: []const u8, timeout_ms: i64, dst: []u8) Error![]u8 {
    return readReply(raw.system_call(pid, request.ptr, len32(request), timeout_ms), dst);
}

fn readReply(code: i32, dst: []u8) Error![]u8 {
    const size = try check(code);
    if (size > dst.len) return error.BufferTooSmall;
    return msgRead(0, dst[0..size]);
}

/// Answers call `token` of `pid`.
pub fn reply(pid: Pid, token: i64, data: []const u8) Error!void {
    _ = try check(raw.reply(pid, token, data.ptr, len32(data)));
}

/// Answers a system request the way the ABI asks of a behaviour:
/// `get_state` with `state` as a binary, `get_status` with a map of
/// `behaviour`, `state`, `status => running` and `name` (or `nil`),
/// anything else with `{error, unknown_system_request}`. `buf` holds the
/// answer's bytes.
pub fn answerSystem(sender: Pid, req: Request, behaviour: []const u8, state: []const u8, name: ?[]const u8, buf: []u8) (Error || term.EncodeError)!void {
    var arena_buf: [2048]u8 = undefined;
    var fba = std.heap.FixedBufferAllocator.init(&arena_buf);
    const asked = term.decode(fba.allocator(), req.request) catch term.Term{ .atom = "" };
    const answer: term.Term = if (asked.isAtom("get_state"))
        .{ .binary = state }
    else if (asked.isAtom("get_status"))
        .{ .map = &.{
            .{ .key = .{ .atom = "behaviour" }, .value = .{ .atom = behaviour } },
            .{ .key = .{ .atom = "state" }, .value = .{ .binary = state } },
            .{ .key = .{ .atom = "status" }, .value = .{ .atom = "running" } },
            .{ .key = .{ .atom = "name" }, .value = if (name) |n| .{ .binary = n } else .{ .atom = "nil" } },
        } }
    else
        .{ .tuple = &.{ .{ .atom = "error" }, .{ .atom = "unknown_system_request" } } };
    try reply(sender, req.token, try term.encodeInto(answer, buf));
}

// ------------------------------------------------------ links and signals

/// Links the caller and `pid`.
pub fn link(pid: Pid) Error!void {
    _ = try check(raw.link(pid));
}

/// Removes the link between the caller and `pid`.
pub fn unlink(pid: Pid) Error!void {
    _ = try check(raw.unlink(pid));
}

/// Sets whether exit signals come as `TAG_EXIT` messages; returns the
/// previous setting.
pub fn trapExit(on: bool) bool {
    return raw.trap_exit(@intFromBool(on)) != 0;
}

/// Sends `pid` an exit signal (`REASON_NORMAL`, `REASON_SHUTDOWN`,
/// `REASON_CUSTOM` with `detail`, or `REASON_KILL`).
pub fn exitSignal(pid: Pid, kind: i32, detail: []const u8) Error!void {
    _ = try check(raw.exit_signal(pid, kind, detail.ptr, len32(detail)));
}

/// The untrappable exit signal.
pub fn kill(pid: Pid) Error!void {
    return exitSignal(pid, REASON_KILL, "");
}

/// Monitors `pid`; its exit comes as a `TAG_DOWN` message.
pub fn monitor(pid: Pid) Error!Ref {
    return check64(raw.monitor(pid));
}

/// Ends monitor `reference`; true if it was active. `flush` also removes
/// its DOWN if queued.
pub fn demonitor(reference: Ref, flush: bool) bool {
    return raw.demonitor(reference, @intFromBool(flush)) == 1;
}

// ------------------------------------------------------------------- names

/// Registers `pid` under `name`.
pub fn register(name: []const u8, pid: Pid) Error!void {
    _ = try check(raw.register(name.ptr, len32(name), pid));
}

/// Frees `name`.
pub fn unregister(name: []const u8) Error!void {
    _ = try check(raw.unregister(name.ptr, len32(name)));
}

/// The pid registered under `name`, or null.
pub fn whereis(name: []const u8) Error!?Pid {
    const pid = try check64(raw.whereis(name.ptr, len32(name)));
    return if (pid == 0) null else pid;
}

/// Sends to the process registered under `name`.
pub fn sendNamed(name: []const u8, tag: i64, data: []const u8) Error!void {
    _ = try check(raw.send_named(name.ptr, len32(name), tag, data.ptr, len32(data)));
}

/// Every registered name, as `[len: u32][name]...` in `dst`, iterated by
/// `Names`.
pub fn registered(dst: []u8) Error!Names {
    const need = try check(raw.registered(dst.ptr, len32(dst)));
    if (need > dst.len) return error.BufferTooSmall;
    return .{ .bytes = dst[0..need] };
}

/// The names of a `registered` list, in order.
pub const Names = struct {
    bytes: []const u8,
    at: usize = 0,

    pub fn next(it: *Names) ?[]const u8 {
        if (it.bytes.len - it.at < 4) return null;
        const n = readU32(it.bytes, it.at);
        if (it.bytes.len - it.at - 4 < n) return null;
        const name = it.bytes[it.at + 4 ..][0..n];
        it.at += 4 + n;
        return name;
    }
};

/// A keyed registry (Elixir's `Registry`), by name.
pub const Registry = struct {
    name: []const u8,

    /// Creates registry `name` (`unique`: one entry per key).
    pub fn new(name: []const u8, unique: bool) Error!Registry {
        _ = try check(raw.registry_new(name.ptr, len32(name), @intFromBool(unique)));
        return .{ .name = name };
    }

    /// Registers the caller under `key` with `value`.
    pub fn register(r: Registry, key: []const u8, value: []const u8) Error!void {
        _ = try check(raw.registry_register(r.name.ptr, len32(r.name), key.ptr, len32(key), value.ptr, len32(value)));
    }

    /// Removes the caller's entries under `key`.
    pub fn unregister(r: Registry, key: []const u8) Error!void {
        _ = try check(raw.registry_unregister(r.name.ptr, len32(r.name), key.ptr, len32(key)));
    }

    /// The entries under `key`, read into `dst`.
    pub fn lookup(r: Registry, key: []const u8, dst: []u8) Error!Entries {
        const need = try check(raw.registry_lookup(r.name.ptr, len32(r.name), key.ptr, len32(key), dst.ptr, len32(dst)));
        if (need > dst.len) return error.BufferTooSmall;
        return .{ .bytes = dst[0..need] };
    }

    /// Sends the message to every entry under `key`; returns how many.
    pub fn dispatch(r: Registry, key: []const u8, tag: i64, data: []const u8) Error!u32 {
        return check(raw.registry_dispatch(r.name.ptr, len32(r.name), key.ptr, len32(key), tag, data.ptr, len32(data)));
    }
};

/// The entries of a registry lookup, in registration order.
pub const Entries = struct {
    bytes: []const u8,
    at: usize = 0,

    pub const Entry = struct { pid: Pid, value: []const u8 };

    pub fn next(it: *Entries) ?Entry {
        if (it.bytes.len - it.at < 12) return null;
        const n = readU32(it.bytes, it.at + 8);
        if (it.bytes.len - it.at - 12 < n) return null;
        const entry = Entry{ .pid = readI64(it.bytes, it.at), .value = it.bytes[it.at + 12 ..][0..n] };
        it.at += 12 + n;
        return entry;
    }
};

// ------------------------------------------------------------------ timers

/// Sends `tag` and `data` to `pid` in `ms` milliseconds.
pub fn sendAfter(pid: Pid, tag: i64, data: []const u8, ms: i64) Error!Ref {
    return check64(raw.send_after(pid, tag, data.ptr, len32(data), ms));
}

/// As `sendAfter`, to whoever holds `name` when it fires.
pub fn sendAfterNamed(name: []const u8, tag: i64, data: []const u8, ms: i64) Error!Ref {
    return check64(raw.send_after_named(name.ptr, len32(name), tag, data.ptr, len32(data), ms));
}

/// Cancels a timer; returns the milliseconds it had left.
pub fn cancelTimer(reference: Ref) Error!u64 {
    return @intCast(try check64(raw.cancel_timer(reference)));
}

/// The milliseconds left on a timer.
pub fn readTimer(reference: Ref) Error!u64 {
    return @intCast(try check64(raw.read_timer(reference)));
}

/// Suspends the caller for `ms` milliseconds.
pub fn sleep(ms: i64) void {
    _ = raw.sleep(ms);
}

// ------------------------------------------------------------------ tables

/// A shared table (ETS), by id.
pub const Table = struct {
    tid: i64,

    /// A table owned by the caller (`name` empty: anonymous; `max_bytes`
    /// 0: no limit).
    pub fn new(name: []const u8, kind: i32, access: i32, max_bytes: i64) Error!Table {
        return .{ .tid = try check64(raw.table_new(name.ptr, len32(name), kind, access, max_bytes)) };
    }

    /// The table named `name`.
    pub fn whereis(name: []const u8) Error!Table {
        return .{ .tid = try check64(raw.table_whereis(name.ptr, len32(name))) };
    }

    pub fn delete(t: Table) Error!void {
        _ = try check(raw.table_delete(t.tid));
    }

    pub fn giveAway(t: Table, pid: Pid, data: []const u8) Error!void {
        _ = try check(raw.table_give_away(t.tid, pid, data.ptr, len32(data)));
    }

    /// Sets the heir (null: none) and the data its message carries.
    pub fn setHeir(t: Table, pid: ?Pid, data: []const u8) Error!void {
        _ = try check(raw.table_set_heir(t.tid, pid orelse 0, data.ptr, len32(data)));
    }

    /// The `table_info` record.
    pub const Info = struct {
        id: i64,
        owner: Pid,
        heir: ?Pid,
        size: i64,
        keys: i64,
        memory: i64,
        max_bytes: i64,
        kind: i32,
        access: i32,
    };

    pub fn info(t: Table) Error!Info {
        var b: [TABLE_INFO_SIZE]u8 = undefined;
        _ = try check(raw.table_info(t.tid, &b, b.len));
        const heir = readI64(&b, 16);
        return .{
            .id = readI64(&b, 0),
            .owner = readI64(&b, 8),
            .heir = if (heir == 0) null else heir,
            .size = readI64(&b, 24),
            .keys = readI64(&b, 32),
            .memory = readI64(&b, 40),
            .max_bytes = readI64(&b, 48),
            .kind = readI32(&b, 56),
            .access = readI32(&b, 60),
        };
    }

    pub fn insert(t: Table, key: []const u8, value: []const u8) Error!void {
        _ = try check(raw.table_insert(t.tid, key.ptr, len32(key), value.ptr, len32(value)));
    }

    /// Inserts if the key is absent; false if it was present.
    pub fn insertNew(t: Table, key: []const u8, value: []const u8) Error!bool {
        return try check(raw.table_insert_new(t.tid, key.ptr, len32(key), value.ptr, len32(value))) == 1;
    }

    /// Inserts every record (`RecordWriter`) atomically; returns how many.
    pub fn insertMany(t: Table, records: []const u8) Error!u32 {
        return check(raw.table_insert_many(t.tid, records.ptr, len32(records)));
    }

    /// Inserts the records if none of their keys is present.
    pub fn insertNewMany(t: Table, records: []const u8) Error!bool {
        return try check(raw.table_insert_new_many(t.tid, records.ptr, len32(records))) == 1;
    }

    /// The value under `key` (a set), or its records (a bag), in `dst`.
    pub fn lookup(t: Table, key: []const u8, dst: []u8) Error![]u8 {
        return result(raw.table_lookup(t.tid, key.ptr, len32(key), dst.ptr, len32(dst)), dst);
    }

    pub fn member(t: Table, key: []const u8) Error!bool {
        return try check(raw.table_member(t.tid, key.ptr, len32(key))) == 1;
    }

    /// As `lookup`, and removes the key.
    pub fn take(t: Table, key: []const u8, dst: []u8) Error![]u8 {
        return result(raw.table_take(t.tid, key.ptr, len32(key), dst.ptr, len32(dst)), dst);
    }

    /// As `lookup`, in memory from `allocator` (the caller frees it).
    pub fn lookupAlloc(t: Table, allocator: std.mem.Allocator, key: []const u8) (Error || std.mem.Allocator.Error)![]u8 {
        var none: [0]u8 = .{};
        return resultAlloc(allocator, raw.table_lookup(t.tid, key.ptr, len32(key), &none, 0));
    }

    /// As `take`, in memory from `allocator` (the caller frees it).
    pub fn takeAlloc(t: Table, allocator: std.mem.Allocator, key: []const u8) (Error || std.mem.Allocator.Error)![]u8 {
        var none: [0]u8 = .{};
        return resultAlloc(allocator, raw.table_take(t.tid, key.ptr, len32(key), &none, 0));
    }

    /// Removes the key; returns how many objects went.
    pub fn deleteKey(t: Table, key: []const u8) Error!u32 {
        return check(raw.table_delete_key(t.tid, key.ptr, len32(key)));
    }

    pub fn deleteObject(t: Table, key: []const u8, value: []const u8) Error!u32 {
        return check(raw.table_delete_object(t.tid, key.ptr, len32(key), value.ptr, len32(value)));
    }

    pub fn deleteAll(t: Table) Error!i64 {
        return check64(raw.table_delete_all(t.tid));
    }

    /// Adds `incr` to the counter under `key` (starting at `default` when
    /// absent, if given); returns the new value.
    pub fn updateCounter(t: Table, key: []const u8, incr: i64, default: ?i64) Error!i64 {
        var out: i64 = 0;
        const flags: i32 = if (default != null) COUNTER_DEFAULT else 0;
        _ = try check(raw.table_update_counter(t.tid, key.ptr, len32(key), incr, flags, default orelse 0, &out));
        return out;
    }

    /// Replaces the value (`offset` null) or writes `value` over it from
    /// `offset`.
    pub fn update(t: Table, key: []const u8, offset: ?u32, value: []const u8) Error!void {
        const at: i32 = if (offset) |o| @intCast(o) else -1;
        _ = try check(raw.table_update(t.tid, key.ptr, len32(key), at, value.ptr, len32(value)));
    }

    pub fn first(t: Table, dst: []u8) Error![]u8 {
        return result(raw.table_first(t.tid, dst.ptr, len32(dst)), dst);
    }

    pub fn last(t: Table, dst: []u8) Error![]u8 {
        return result(raw.table_last(t.tid, dst.ptr, len32(dst)), dst);
    }

    pub fn next(t: Table, key: []const u8, dst: []u8) Error![]u8 {
        return result(raw.table_next(t.tid, key.ptr, len32(key), dst.ptr, len32(dst)), dst);
    }

    pub fn prev(t: Table, key: []const u8, dst: []u8) Error![]u8 {
        return result(raw.table_prev(t.tid, key.ptr, len32(key), dst.ptr, len32(dst)), dst);
    }

    /// The objects between `from` and `to` (null: unbounded), at most
    /// `limit` keys, as records; `flags` are `RANGE_*` (the bounds' flags
    /// are added for null bounds).
    pub fn range(t: Table, from: ?[]const u8, to: ?[]const u8, flags: i32, limit: u32, dst: []u8) Error!Records {
        const f = from orelse "";
        const e = to orelse "";
        var all = flags;
        if (from == null) all |= RANGE_FROM_START;
        if (to == null) all |= RANGE_TO_END;
        return .{ .bytes = try result(raw.table_range(t.tid, f.ptr, len32(f), e.ptr, len32(e), all, @intCast(limit), dst.ptr, len32(dst)), dst) };
    }

    /// The next objects whose key starts with `prefix`, after `after`.
    pub fn selectPrefix(t: Table, prefix: []const u8, after: ?[]const u8, limit: u32, dst: []u8) Error!Records {
        const a = after orelse "";
        const flags: i32 = if (after != null) SELECT_AFTER else 0;
        return .{ .bytes = try result(raw.table_select_prefix(t.tid, prefix.ptr, len32(prefix), a.ptr, len32(a), flags, @intCast(limit), dst.ptr, len32(dst)), dst) };
    }

    /// The next objects of the whole table, after `after`.
    pub fn chunk(t: Table, after: ?[]const u8, limit: u32, dst: []u8) Error!Records {
        const a = after orelse "";
        const flags: i32 = if (after != null) SELECT_AFTER else 0;
        return .{ .bytes = try result(raw.table_chunk(t.tid, a.ptr, len32(a), flags, @intCast(limit), dst.ptr, len32(dst)), dst) };
    }

    /// Every table of the node, as records (id LE, name).
    pub fn list(dst: []u8) Error!Records {
        return .{ .bytes = try result(raw.table_list(dst.ptr, len32(dst)), dst) };
    }
};

/// A result of unknown size (docs/ABI.md "Results of unknown size"): in
/// `dst`, or `error.BufferTooSmall` with the result left pending (read it
/// with `resultRead` into `pendingResultSize()` bytes, or use the
/// `...Alloc` functions).
fn result(code: i32, dst: []u8) Error![]u8 {
    const n = try check(code);
    if (n > dst.len) return error.BufferTooSmall;
    return dst[0..n];
}

/// A result of unknown size in memory from `allocator` (the caller frees
/// it): asked with no room, so that any result but an empty one is left
/// pending, then read whole.
fn resultAlloc(allocator: std.mem.Allocator, code: i32) (Error || std.mem.Allocator.Error)![]u8 {
    const n = try check(code);
    const all = try allocator.alloc(u8, n);
    if (n == 0) return all;
    errdefer allocator.free(all);
    return resultRead(all);
}

/// The size of the pending table result (`error.NoResult` if none); it
/// stays pending.
pub fn pendingResultSize() Error!u32 {
    var none: [0]u8 = .{};
    return check(raw.table_result_read(&none, 0));
}

/// Copies the pending table result into `dst` (then it is no longer
/// pending); `error.BufferTooSmall` if it does not fit (it stays pending).
pub fn resultRead(dst: []u8) Error![]u8 {
    const n = try check(raw.table_result_read(dst.ptr, len32(dst)));
    if (n > dst.len) return error.BufferTooSmall;
    return dst[0..n];
}

/// Table records `[key_len: u32][key][value_len: u32][value]...`, read.
pub const Records = struct {
    bytes: []const u8,
    at: usize = 0,

    pub const Record = struct { key: []const u8, value: []const u8 };

    pub fn next(it: *Records) ?Record {
        const key = it.field() orelse return null;
        const value = it.field() orelse return null;
        return .{ .key = key, .value = value };
    }

    fn field(it: *Records) ?[]const u8 {
        if (it.bytes.len - it.at < 4) return null;
        const n = readU32(it.bytes, it.at);
        if (it.bytes.len - it.at - 4 < n) return null;
        const bytes = it.bytes[it.at + 4 ..][0..n];
        it.at += 4 + n;
        return bytes;
    }
};

/// Table records, written (for `insertMany`).
pub const RecordWriter = struct {
    buf: []u8,
    len: usize = 0,

    pub fn init(buf: []u8) RecordWriter {
        return .{ .buf = buf };
    }

    pub fn add(w: *RecordWriter, key: []const u8, value: []const u8) Error!void {
        if (w.buf.len - w.len < 8 + key.len + value.len) return error.BufferTooSmall;
        for ([_][]const u8{ key, value }) |part| {
            std.mem.writeInt(u32, w.buf[w.len..][0..4], @intCast(part.len), .little);
            @memcpy(w.buf[w.len + 4 ..][0..part.len], part);
            w.len += 4 + part.len;
        }
    }

    pub fn bytes(w: *const RecordWriter) []const u8 {
        return w.buf[0..w.len];
    }
};

// ------------------------------------------------------------- supervisors

/// A child of a supervisor spec (docs/ABI.md "The spec format").
pub const Child = struct {
    id: []const u8,
    restart: i32 = RESTART_PERMANENT,
    significant: bool = false,
    shutdown: i32 = SHUTDOWN_TIMEOUT,
    /// For `SHUTDOWN_TIMEOUT`.
    shutdown_ms: u32 = 5000,
    /// Wait for `initAck` this long (`SPEC_NONE`: do not wait).
    ack_ms: u32 = SPEC_NONE,
    /// A worker's module (named: a supervisor has no module of its own),
    /// entry and argument.
    module: []const u8 = "",
    entry: []const u8 = "",
    arg: []const u8 = "",
    /// A nested supervisor's spec (`CHILD_SUPERVISOR` when set).
    supervisor: ?[]const u8 = null,
    /// The child's spawn options block (`Options`).
    options: []const u8 = "",
};

/// Writes a supervisor spec: `init` with the header, `child` per child,
/// then `bytes()` for `supervisorStart`.
pub const Spec = struct {
    buf: []u8,
    len: usize = 20,
    children: u32 = 0,

    pub const Flags = struct {
        strategy: i32 = STRATEGY_ONE_FOR_ONE,
        auto_shutdown: i32 = AUTO_SHUTDOWN_NEVER,
        intensity: u32 = 1,
        period_ms: u32 = 5000,
        /// Dynamic supervisors only.
        max_children: u32 = SPEC_NONE,
    };

    pub fn init(buf: []u8, flags: Flags) Error!Spec {
        if (buf.len < 20) return error.BufferTooSmall;
        buf[0] = @intCast(flags.strategy);
        buf[1] = @intCast(flags.auto_shutdown);
        buf[2] = 0;
        buf[3] = 0;
        std.mem.writeInt(u32, buf[4..8], flags.intensity, .little);
        std.mem.writeInt(u32, buf[8..12], flags.period_ms, .little);
        std.mem.writeInt(u32, buf[12..16], flags.max_children, .little);
        std.mem.writeInt(u32, buf[16..20], 0, .little);
        return .{ .buf = buf };
    }

    /// Appends a child record with its length.
    pub fn child(s: *Spec, c: Child) Error!void {
        if (s.buf.len - s.len < 4) return error.BufferTooSmall;
        const n = try childRecord(s.buf[s.len + 4 ..], c);
        std.mem.writeInt(u32, s.buf[s.len..][0..4], @intCast(n.len), .little);
        s.len += 4 + n.len;
        s.children += 1;
        std.mem.writeInt(u32, s.buf[16..20], s.children, .little);
    }

    pub fn bytes(s: *const Spec) []const u8 {
        return s.buf[0..s.len];
    }
};

/// Writes one child record (without its length) into `buf`: a child of a
/// spec, or the argument of `SUP_START_CHILD`.
pub fn childRecord(buf: []u8, c: Child) Error![]u8 {
    var w = Writer{ .buf = buf };
    try w.byte(@intCast(c.restart));
    try w.byte(if (c.supervisor != null) CHILD_SUPERVISOR else CHILD_WORKER);
    try w.byte(@intFromBool(c.significant));
    try w.byte(@intCast(c.shutdown));
    try w.int(c.shutdown_ms);
    try w.int(c.ack_ms);
    try w.field(c.id);
    if (c.supervisor) |nested| {
        try w.field(nested);
    } else {
        try w.field(c.module);
        try w.field(c.entry);
        try w.field(c.arg);
    }
    try w.field(c.options);
    return buf[0..w.len];
}

const Writer = struct {
    buf: []u8,
    len: usize = 0,

    fn byte(w: *Writer, b: u8) Error!void {
        if (w.len >= w.buf.len) return error.BufferTooSmall;
        w.buf[w.len] = b;
        w.len += 1;
    }

    fn int(w: *Writer, v: u32) Error!void {
        if (w.buf.len - w.len < 4) return error.BufferTooSmall;
        std.mem.writeInt(u32, w.buf[w.len..][0..4], v, .little);
        w.len += 4;
    }

    fn field(w: *Writer, bytes: []const u8) Error!void {
        try w.int(@intCast(bytes.len));
        if (w.buf.len - w.len < bytes.len) return error.BufferTooSmall;
        @memcpy(w.buf[w.len..][0..bytes.len], bytes);
        w.len += bytes.len;
    }
};

/// Starts a supervisor for `spec`, linked to the caller; it sends
/// `TAG_ACK` once its children have started.
pub fn supervisorStart(spec: []const u8) Error!Pid {
    return check64(raw.supervisor_start(spec.ptr, len32(spec)));
}

/// Sends operation `op` (`SUP_*`) to supervisor `sup`; returns the request
/// id its `TAG_SUPERVISOR_REPLY` carries.
pub fn supervisorRequest(sup: Pid, op: i32, arg: []const u8) Error!i64 {
    return check64(raw.supervisor_request(sup, op, arg.ptr, len32(arg)));
}

/// `supervisorRequest`, then waits for its answer (read into `buf`).
/// Answers to other requests that arrive meanwhile are dropped: ask one
/// thing at a time, or use `supervisorRequest` and match the ids yourself.
pub fn supervisorAsk(sup: Pid, op: i32, arg: []const u8, buf: []u8) Error!SupervisorReply {
    const id = try supervisorRequest(sup, op, arg);
    while (true) {
        const m = try receiveInto(&.{TAG_SUPERVISOR_REPLY}, WAIT_FOREVER, buf);
        if (!m.complete()) return error.BufferTooSmall;
        const answer = SupervisorReply.parse(m.data) orelse continue;
        if (answer.request == id) return answer;
    }
}

/// Tells a supervisor that waits for the caller that it has started.
pub fn initAck() void {
    _ = raw.init_ack();
}

/// Tells the caller's supervisor that it ignores its start (OTP's
/// `ignore`): the supervisor keeps its spec with no process and does not
/// restart it. Call it instead of `initAck`, then exit normally.
pub fn initIgnore() void {
    _ = raw.init_ignore();
}
