//! Raw bindings to the `warren_v1` host functions, exactly as `docs/ABI.md`
//! lists them.
//!
//! Pointers and lengths are `i32` on the wasm side (a `*const u8` is an `i32`
//! on wasm32); pids, tags and timeouts are `i64`. Negative return values are
//! error codes ([`ERR_BADARG`] and following). Every `(ptr, len)` pair must lie
//! inside the guest's exported `memory`, otherwise the calling process traps.
//!
//! Prefer the safe wrappers at the crate root; these are for guests that want
//! to avoid allocation or need something the wrappers do not offer.
//!
//! # Safety
//!
//! The host checks every range and traps the calling process when one does
//! not fit in `memory`, but it cannot tell which bytes inside `memory` are
//! whose. So a caller must pass, for each `(ptr, len)`, bytes it may read for
//! `len` bytes, and for each destination (`dst_ptr`, `buf_ptr`, `ref_out`)
//! bytes it may write for the whole `len` (or the fixed size stated): the
//! host may write anywhere in a destination up to that length, and keeps no
//! pointer after the call returns. `exit` never returns.

/// Success.
pub const OK: i32 = 0;
/// An argument is malformed (bad UTF-8, a negative tag, an unknown reason
/// kind, a negative length).
pub const ERR_BADARG: i32 = -1;
/// The export named does not exist, or its type is not `() -> ()` (entries) /
/// `() -> i32` (handlers).
pub const ERR_NO_SUCH_EXPORT: i32 = -2;
/// No module of that name is loaded on the node.
pub const ERR_NO_SUCH_MODULE: i32 = -3;
/// The process's capabilities do not allow this (for example spawning).
pub const ERR_NOT_PERMITTED: i32 = -4;
/// A node or process limit was reached (process table full, message too
/// large).
pub const ERR_LIMIT: i32 = -5;
/// `receive` timed out, or found nothing when polling.
pub const ERR_TIMEOUT: i32 = -6;
/// There is no current message to read.
pub const ERR_NO_MESSAGE: i32 = -7;

/// The name (registered name, unique key, or registry name) is taken.
pub const ERR_NAME_TAKEN: i32 = -20;
/// No process holds that name, or there is no such registry.
pub const ERR_NO_SUCH_NAME: i32 = -21;
/// The process already has a registered name.
pub const ERR_ALREADY_NAMED: i32 = -22;
/// The process is not alive.
pub const ERR_NOPROC: i32 = -23;
/// The timer has fired, was cancelled, or never existed.
pub const ERR_NO_SUCH_TIMER: i32 = -24;
/// The module's processes cannot hibernate (see `hibernate` in docs/ABI.md).
pub const ERR_CANNOT_HIBERNATE: i32 = -25;

/// Tag of an exit signal delivered as a message to a process that traps
/// exits. Payload: `[from: i64][reason kind: i32][detail bytes]` (LE); the
/// sender is `from`.
pub const TAG_EXIT: i64 = -100;
/// Tag of a monitor's DOWN message. Payload: `[monitor ref: i64][pid: i64]
/// [reason kind: i32][detail bytes]` (LE); the sender is the monitored pid.
pub const TAG_DOWN: i64 = -101;

/// [`spawn_opt`] flag: link the child to the caller.
pub const SPAWN_LINK: i32 = 1;
/// [`spawn_opt`] flag: monitor the child (the reference is written at
/// `ref_out`).
pub const SPAWN_MONITOR: i32 = 2;

/// [`spawn_opts`] options record: the largest linear memory, in bytes
/// (8 bytes: a `u64` LE).
pub const OPT_MAX_MEMORY: u32 = 1;
/// [`spawn_opts`] options record: the total fuel the child may use (a `u64`
/// LE).
pub const OPT_MAX_FUEL: u32 = 2;
/// [`spawn_opts`] options record: the most messages its mailbox may hold (a
/// `u64` LE).
pub const OPT_MAX_MAILBOX: u32 = 3;
/// [`spawn_opts`] options record: no right to spawn (no bytes).
pub const OPT_DENY_SPAWN: u32 = 4;
/// [`spawn_opts`] options record: no right to print (no bytes).
pub const OPT_DENY_PRINT: u32 = 5;
/// [`spawn_opts`] options record: keep one of the caller's preopened
/// directories: `[read_only: u8][guest path bytes]` (repeatable).
pub const OPT_DIR: u32 = 6;
/// [`spawn_opts`] options record: one environment variable, `KEY=VALUE`
/// bytes (repeatable; replaces the caller's environment).
pub const OPT_ENV: u32 = 7;
/// [`spawn_opts`] options record: keep none of the caller's directories but
/// those [`OPT_DIR`] records name (no bytes).
pub const OPT_NO_DIRS: u32 = 8;
/// [`spawn_opts`] options record: an empty environment, but for the
/// [`OPT_ENV`] records (no bytes).
pub const OPT_CLEAR_ENV: u32 = 9;

/// Reason kind: normal exit.
pub const REASON_NORMAL: i32 = 0;
/// Reason kind: orderly shutdown (detail optional).
pub const REASON_SHUTDOWN: i32 = 1;
/// Reason kind: any other reason given by a guest (detail = bytes).
pub const REASON_CUSTOM: i32 = 2;
/// Reason kind, reserved for the host: the untrappable exit signal.
pub const REASON_KILL: i32 = 3;
/// Reason kind, reserved for the host: the reason of a process that got
/// `kill`.
pub const REASON_KILLED: i32 = 4;
/// Reason kind, reserved for the host: the target did not exist.
pub const REASON_NOPROC: i32 = 5;
/// Reason kind: the process trapped (detail = trap text).
pub const REASON_TRAP: i32 = 6;
/// Reason kind: the process hit a limit (detail names it).
pub const REASON_LIMIT: i32 = 7;

// Supervisors (docs/ABI.md, "Supervisors").

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
/// is its DOWN (with the exit reason).
pub const ERR_EXITED: i32 = -30;
/// Tag of a call's request, as the process called receives it. Payload
/// (LE): `[reply token: i64][request bytes]`; the sender is the caller.
pub const TAG_CALL: i64 = -105;
/// Tag of the current message after a call that got its reply.
pub const TAG_REPLY: i64 = -106;
/// Tag of a system request (`:sys.get_state`, `:sys.get_status`), sent by
/// [`system_call`] or by the host for an introspection tool (guests cannot
/// send negative tags). Payload (LE):
/// `[token: i64][request: ETF term]`; the sender is the asker. A process
/// that runs an SDK behaviour answers with [`reply`]`(sender, token, ..)`
/// and an ETF term (see [`crate::system`]); one that does not answer
/// leaves the message in its mailbox, and the asker times out.
pub const TAG_SYSTEM: i64 = -107;
/// Tag of the message a process gets from a child it waits for (a
/// supervisor's child, a supervisor it started) when the child calls
/// `init_ack`, or when a supervisor's children have all started. Empty
/// payload; the sender is the child. A child that calls `init_ignore`
/// sends its supervisor the payload `[ACK_IGNORE]`.
pub const TAG_ACK: i64 = -103;
/// The payload byte of a [`TAG_ACK`] that says the child ignores its start.
pub const ACK_IGNORE: u8 = 1;
/// Tag of a supervisor's answer to `supervisor_request`. Payload (LE):
/// `[request id: i64][result: i64][data bytes]` (see docs/ABI.md).
pub const TAG_SUPERVISOR_REPLY: i64 = -104;
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

/// `timeout_ms` value for [`receive`] that waits forever.
pub const WAIT_FOREVER: i64 = -1;
/// `timeout_ms` value for [`receive`] that only polls.
pub const POLL: i64 = 0;

#[link(wasm_import_module = "warren_v1")]
unsafe extern "C" {
    /// `self: () -> i64`: the caller's pid.
    #[link_name = "self"]
    pub fn self_pid() -> i64;

    /// `parent: () -> i64`: the pid of the process that spawned the caller
    /// (its supervisor, for a supervisor's child); 0 if the host spawned it.
    pub fn parent() -> i64;

    /// `spawn: (entry_ptr, entry_len, arg_ptr, arg_len: i32) -> i64`: starts a
    /// new process running export `entry` (type `() -> ()`) of the caller's
    /// own module, with a copy of the `arg` bytes as its argument. Returns the
    /// new pid (> 0) or `ERR_NO_SUCH_EXPORT`, `ERR_NOT_PERMITTED`,
    /// `ERR_LIMIT`, `ERR_BADARG`.
    pub fn spawn(entry_ptr: *const u8, entry_len: i32, arg_ptr: *const u8, arg_len: i32) -> i64;

    /// `spawn_module: (module_ptr, module_len, entry_ptr, entry_len, arg_ptr,
    /// arg_len: i32) -> i64`: as [`spawn`], for export `entry` of the module
    /// loaded on the node under the name `module`. `ERR_NO_SUCH_MODULE` if
    /// there is none.
    pub fn spawn_module(
        module_ptr: *const u8,
        module_len: i32,
        entry_ptr: *const u8,
        entry_len: i32,
        arg_ptr: *const u8,
        arg_len: i32,
    ) -> i64;

    /// `arg_size: () -> i32`: length in bytes of the argument the process was
    /// spawned with (0 for none).
    pub fn arg_size() -> i32;

    /// `arg_read: (dst_ptr, dst_len: i32) -> i32`: copies
    /// `min(dst_len, arg_size)` bytes of the argument to `dst_ptr`; returns the
    /// number copied.
    pub fn arg_read(dst_ptr: *mut u8, dst_len: i32) -> i32;

    /// `exit: (kind: i32, detail_ptr, detail_len: i32)`: ends the calling
    /// process now with the given reason; never returns. `kind` is
    /// [`REASON_NORMAL`], [`REASON_SHUTDOWN`] or [`REASON_CUSTOM`] (others: the
    /// process traps). `detail` is free bytes kept in the reason.
    pub fn exit(kind: i32, detail_ptr: *const u8, detail_len: i32) -> !;

    /// `yield_now: () -> ()`: gives up the rest of the current time slice.
    pub fn yield_now();

    /// `set_handler: (name_ptr, name_len: i32) -> i32`: makes the process
    /// handler-style: when the entry function returns, the host calls export
    /// `name` (type `() -> i32`) once per message. Returns `OK` or
    /// `ERR_NO_SUCH_EXPORT`.
    pub fn set_handler(name_ptr: *const u8, name_len: i32) -> i32;

    /// `hibernate: () -> i32`: hibernate when the current call returns (a
    /// handler-style process only): the instance is dropped and rebuilt, with
    /// its memory and exported globals, for the next message. Returns `OK` or
    /// `ERR_CANNOT_HIBERNATE`.
    pub fn hibernate() -> i32;

    /// `send: (pid: i64, tag: i64, ptr, len: i32) -> i32`: copies `len` bytes
    /// at `ptr` into a message for `pid`, with `tag`. Returns `OK` (also when
    /// `pid` is dead), `ERR_BADARG` for a negative tag, `ERR_LIMIT` for a
    /// message that is too large.
    pub fn send(pid: i64, tag: i64, ptr: *const u8, len: i32) -> i32;

    /// `receive: (tags_ptr, tags_count: i32, timeout_ms: i64) -> i32`: waits
    /// for the oldest message whose tag is one of the `tags_count` `i64` tags
    /// at `tags_ptr` (`tags_count = 0`: any message). `timeout_ms`: `-1` waits
    /// forever, `0` only polls, `> 0` waits at most that long. Returns the
    /// message's length (>= 0) and makes it the current message, or
    /// `ERR_TIMEOUT`.
    pub fn receive(tags_ptr: *const i64, tags_count: i32, timeout_ms: i64) -> i32;

    /// `receive_into: (tags_ptr, tags_count: i32, timeout_ms: i64, buf_ptr,
    /// buf_len: i32) -> i32`: as [`receive`], and the message taken is also
    /// written to the buffer: its tag (`i64` LE), its sender's pid (`i64`
    /// LE), then as many of its first bytes as fit. `buf_len` must be at
    /// least 16 (else `ERR_BADARG`). Nothing is written if no message is
    /// taken.
    pub fn receive_into(tags_ptr: *const i64, tags_count: i32, timeout_ms: i64, buf_ptr: *mut u8, buf_len: i32) -> i32;

    /// `msg_tag: () -> i64`: tag of the current message (`ERR_NO_MESSAGE` if
    /// none). Host messages have negative tags, so check [`msg_size`] first
    /// to tell "no message" from a host tag.
    pub fn msg_tag() -> i64;

    /// `msg_sender: () -> i64`: pid of the current message's sender
    /// (`ERR_NO_MESSAGE` if none).
    pub fn msg_sender() -> i64;

    /// `msg_size: () -> i32`: length of the current message (`ERR_NO_MESSAGE`
    /// if none).
    pub fn msg_size() -> i32;

    /// `msg_header: (out_ptr: i32) -> i32`: writes the current message's
    /// tag (`i64` LE) and sender's pid (`i64` LE) to the 16 bytes at
    /// `out_ptr` and returns its length; `ERR_NO_MESSAGE` (nothing written)
    /// if none.
    pub fn msg_header(out_ptr: *mut u8) -> i32;

    /// `msg_read: (offset, dst_ptr, dst_len: i32) -> i32`: copies
    /// `min(dst_len, size - offset)` bytes of the current message, from
    /// `offset`, to `dst_ptr`; returns the number copied (0 when
    /// `offset >= size`), `ERR_NO_MESSAGE` if none.
    pub fn msg_read(offset: i32, dst_ptr: *mut u8, dst_len: i32) -> i32;

    /// `msg_queue_len: () -> i32`: how many messages wait in the mailbox
    /// (the current one not included).
    pub fn msg_queue_len() -> i32;

    /// `call: (pid: i64, req_ptr, req_len: i32, timeout_ms: i64) -> i32`:
    /// sends `pid` the request as a [`TAG_CALL`] message and waits for its
    /// reply (returns its length; the reply is the current message, tag
    /// [`TAG_REPLY`]), its timeout (`ERR_TIMEOUT`; `-1` waits for ever), or
    /// the callee's death (`ERR_NOPROC` / [`ERR_EXITED`]; the current
    /// message is its DOWN). A late reply never reaches the mailbox.
    pub fn call(pid: i64, req_ptr: *const u8, req_len: i32, timeout_ms: i64) -> i32;

    /// `call_named: (name_ptr, name_len, req_ptr, req_len: i32, timeout_ms:
    /// i64) -> i32`: as [`call`], to the process registered under `name`
    /// (`ERR_NOPROC` if nobody holds it).
    pub fn call_named(name_ptr: *const u8, name_len: i32, req_ptr: *const u8, req_len: i32, timeout_ms: i64) -> i32;

    /// `system_call: (pid: i64, req_ptr, req_len: i32, timeout_ms: i64) ->
    /// i32`: as [`call`], with the request sent as a system request
    /// ([`TAG_SYSTEM`]); the request and its answer are terms.
    pub fn system_call(pid: i64, req_ptr: *const u8, req_len: i32, timeout_ms: i64) -> i32;

    /// `reply: (pid: i64, token: i64, ptr, len: i32) -> i32`: answers the
    /// call `token` of process `pid`. `OK` also when the reply is dropped
    /// (the caller gave up or is gone).
    pub fn reply(pid: i64, token: i64, ptr: *const u8, len: i32) -> i32;

    /// `spawn_opt: (module_ptr, module_len, entry_ptr, entry_len, arg_ptr,
    /// arg_len, flags, ref_out: i32) -> i64`: as [`spawn_module`]
    /// (`module_len = 0`: the caller's own module), atomically linked
    /// ([`SPAWN_LINK`]) and/or monitored ([`SPAWN_MONITOR`], the monitor
    /// reference is written as an `i64` at `ref_out`). Returns the pid or a
    /// spawn error code.
    #[allow(clippy::too_many_arguments)]
    pub fn spawn_opt(
        module_ptr: *const u8,
        module_len: i32,
        entry_ptr: *const u8,
        entry_len: i32,
        arg_ptr: *const u8,
        arg_len: i32,
        flags: i32,
        ref_out: *mut i64,
    ) -> i64;

    /// `spawn_opts: (module_ptr, module_len, entry_ptr, entry_len, arg_ptr,
    /// arg_len, options_ptr, options_len, flags, ref_out: i32) -> i64`: as
    /// [`spawn_opt`], with the child's limits and capabilities narrowed by
    /// the options block at `options_ptr` (records `[key: u32][len:
    /// u32][len bytes]`, keys `OPT_*`; an empty block changes nothing).
    /// `ERR_BADARG` also for a malformed block or a directory the caller
    /// does not have.
    #[allow(clippy::too_many_arguments)]
    pub fn spawn_opts(
        module_ptr: *const u8,
        module_len: i32,
        entry_ptr: *const u8,
        entry_len: i32,
        arg_ptr: *const u8,
        arg_len: i32,
        options_ptr: *const u8,
        options_len: i32,
        flags: i32,
        ref_out: *mut i64,
    ) -> i64;

    /// `link: (pid: i64) -> i32`: links the caller and `pid`. A `pid` that
    /// is not alive sends the caller an exit signal `noproc` (which ends it
    /// now unless it traps exits). `OK` or `ERR_BADARG`.
    pub fn link(pid: i64) -> i32;

    /// `unlink: (pid: i64) -> i32`: removes the link between the caller and
    /// `pid`. `OK` or `ERR_BADARG`.
    pub fn unlink(pid: i64) -> i32;

    /// `trap_exit: (on: i32) -> i32`: turns trapping exits on (`on != 0`) or
    /// off; returns the previous setting (0 or 1).
    pub fn trap_exit(on: i32) -> i32;

    /// `exit_signal: (pid: i64, kind: i32, detail_ptr, detail_len: i32) ->
    /// i32`: Erlang's `exit(Pid, Reason)`; `kind` is [`REASON_NORMAL`],
    /// [`REASON_SHUTDOWN`], [`REASON_CUSTOM`] or [`REASON_KILL`]. Sent to the
    /// caller itself it takes effect at once. `OK` or `ERR_BADARG`.
    pub fn exit_signal(pid: i64, kind: i32, detail_ptr: *const u8, detail_len: i32) -> i32;

    /// `monitor: (pid: i64) -> i64`: monitors `pid`; returns the reference
    /// (> 0) or `ERR_BADARG`. A dead `pid` gives DOWN `noproc` at once.
    pub fn monitor(pid: i64) -> i64;

    /// `demonitor: (ref: i64, flush: i32) -> i32`: ends monitor `ref`; 1 if
    /// it was active, else 0. `flush != 0` also removes its queued DOWN.
    pub fn demonitor(reference: i64, flush: i32) -> i32;

    /// `register: (name_ptr, name_len: i32, pid: i64) -> i32`: registers
    /// `pid` under `name`. `OK`, `ERR_NAME_TAKEN`, `ERR_ALREADY_NAMED`,
    /// `ERR_NOPROC`, `ERR_BADARG`.
    pub fn register(name_ptr: *const u8, name_len: i32, pid: i64) -> i32;

    /// `unregister: (name_ptr, name_len: i32) -> i32`: frees `name`. `OK`,
    /// `ERR_NO_SUCH_NAME`, `ERR_BADARG`.
    pub fn unregister(name_ptr: *const u8, name_len: i32) -> i32;

    /// `whereis: (name_ptr, name_len: i32) -> i64`: the pid registered under
    /// `name`, or 0.
    pub fn whereis(name_ptr: *const u8, name_len: i32) -> i64;

    /// `send_named: (name_ptr, name_len: i32, tag: i64, ptr, len: i32) ->
    /// i32`: as [`send`], to a registered name. `ERR_NO_SUCH_NAME` if nobody
    /// holds it.
    pub fn send_named(name_ptr: *const u8, name_len: i32, tag: i64, ptr: *const u8, len: i32) -> i32;

    /// `registered: (dst_ptr, dst_len: i32) -> i32`: every registered name,
    /// sorted, as `[len: u32][bytes]...`, written only if it all fits;
    /// returns the bytes needed.
    pub fn registered(dst_ptr: *mut u8, dst_len: i32) -> i32;

    /// `registry_new: (name_ptr, name_len, unique: i32) -> i32`: creates a
    /// keyed registry. `OK`, `ERR_NAME_TAKEN`, `ERR_BADARG`.
    pub fn registry_new(name_ptr: *const u8, name_len: i32, unique: i32) -> i32;

    /// `registry_register: (reg_ptr, reg_len, key_ptr, key_len, value_ptr,
    /// value_len: i32) -> i32`: registers the caller under `key` with
    /// `value`. `OK`, `ERR_NAME_TAKEN`, `ERR_NO_SUCH_NAME`, `ERR_BADARG`.
    pub fn registry_register(
        reg_ptr: *const u8,
        reg_len: i32,
        key_ptr: *const u8,
        key_len: i32,
        value_ptr: *const u8,
        value_len: i32,
    ) -> i32;

    /// `registry_unregister: (reg_ptr, reg_len, key_ptr, key_len: i32) ->
    /// i32`: removes the caller's entries under `key`. `OK`,
    /// `ERR_NO_SUCH_NAME`, `ERR_BADARG`.
    pub fn registry_unregister(reg_ptr: *const u8, reg_len: i32, key_ptr: *const u8, key_len: i32) -> i32;

    /// `registry_lookup: (reg_ptr, reg_len, key_ptr, key_len, dst_ptr,
    /// dst_len: i32) -> i32`: the entries under `key` as `[pid: i64]
    /// [value_len: u32][value]...`, written only if they all fit; returns the
    /// bytes needed, or `ERR_NO_SUCH_NAME`.
    pub fn registry_lookup(
        reg_ptr: *const u8,
        reg_len: i32,
        key_ptr: *const u8,
        key_len: i32,
        dst_ptr: *mut u8,
        dst_len: i32,
    ) -> i32;

    /// `registry_dispatch: (reg_ptr, reg_len, key_ptr, key_len: i32, tag:
    /// i64, ptr, len: i32) -> i32`: sends the message to every entry under
    /// `key`; returns how many were sent, or `ERR_NO_SUCH_NAME`,
    /// `ERR_BADARG`, `ERR_LIMIT`.
    #[allow(clippy::too_many_arguments)]
    pub fn registry_dispatch(
        reg_ptr: *const u8,
        reg_len: i32,
        key_ptr: *const u8,
        key_len: i32,
        tag: i64,
        ptr: *const u8,
        len: i32,
    ) -> i32;

    /// `send_after: (pid: i64, tag: i64, ptr, len: i32, ms: i64) -> i64`:
    /// sends the message to `pid` in `ms` milliseconds; returns the timer
    /// reference (> 0), `ERR_BADARG` or `ERR_LIMIT`.
    pub fn send_after(pid: i64, tag: i64, ptr: *const u8, len: i32, ms: i64) -> i64;

    /// `send_after_named: (name_ptr, name_len: i32, tag: i64, ptr, len: i32,
    /// ms: i64) -> i64`: as [`send_after`], to the name's holder when the
    /// timer fires.
    pub fn send_after_named(name_ptr: *const u8, name_len: i32, tag: i64, ptr: *const u8, len: i32, ms: i64) -> i64;

    /// `cancel_timer: (ref: i64) -> i64`: cancels a timer; returns the
    /// milliseconds that were left (>= 0) or `ERR_NO_SUCH_TIMER`.
    pub fn cancel_timer(reference: i64) -> i64;

    /// `read_timer: (ref: i64) -> i64`: milliseconds left (>= 0) or
    /// `ERR_NO_SUCH_TIMER`.
    pub fn read_timer(reference: i64) -> i64;

    /// `sleep: (ms: i64) -> i32`: suspends the caller for `ms` milliseconds
    /// without holding a scheduler thread; returns `OK`.
    pub fn sleep(ms: i64) -> i32;

    /// `supervisor_start: (spec_ptr, spec_len: i32) -> i64`: starts a
    /// supervisor for the spec (docs/ABI.md, "Supervisors"), linked to the
    /// caller; returns its pid at once, and the supervisor sends
    /// [`TAG_ACK`] once its children have started. `ERR_BADARG`,
    /// `ERR_NOT_PERMITTED`, `ERR_LIMIT`.
    pub fn supervisor_start(spec_ptr: *const u8, spec_len: i32) -> i64;

    /// `supervisor_request: (sup: i64, op: i32, arg_ptr, arg_len: i32) ->
    /// i64`: sends operation `op` (`SUP_*`) to a supervisor; returns the
    /// request id its [`TAG_SUPERVISOR_REPLY`] answer repeats.
    /// `ERR_NOPROC`, `ERR_BADARG`, `ERR_NOT_PERMITTED`, `ERR_LIMIT`.
    pub fn supervisor_request(sup: i64, op: i32, arg_ptr: *const u8, arg_len: i32) -> i64;

    /// `init_ack: () -> i32`: tells the supervisor waiting for the caller
    /// that it has started ([`TAG_ACK`]), once. `OK`.
    pub fn init_ack() -> i32;

    /// `init_ignore: () -> i32`: tells the caller's supervisor that it
    /// ignores its start (OTP's `ignore`; [`TAG_ACK`] with
    /// `[ACK_IGNORE]`): no process, spec kept, no restart. `OK`.
    pub fn init_ignore() -> i32;
}
