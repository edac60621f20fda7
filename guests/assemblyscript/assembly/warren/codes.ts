// The numbers of Warren's guest ABI (docs/ABI.md), with the host's values:
// error codes, exit reason kinds, the tags of host-made messages, spawn
// flags and option keys, supervisor specs and operations, table kinds,
// access modes and flags. host/src/base/codes.rs checks that every
// `export const NAME: TYPE = VALUE;` here is the host's value.

/** The import module every host function lives under. */
export const MODULE = "warren_v1";

/** Success. */
export const OK: i32 = 0;
/** An argument is malformed. */
export const ERR_BADARG: i32 = -1;
/** The named export is missing or has the wrong type. */
export const ERR_NO_SUCH_EXPORT: i32 = -2;
/** No module of that name is loaded. */
export const ERR_NO_SUCH_MODULE: i32 = -3;
/** The process's capabilities do not allow this. */
export const ERR_NOT_PERMITTED: i32 = -4;
/** A node or process limit was reached. */
export const ERR_LIMIT: i32 = -5;
/** `receive` timed out (or found nothing when polling). */
export const ERR_TIMEOUT: i32 = -6;
/** There is no current message. */
export const ERR_NO_MESSAGE: i32 = -7;
/** No table has that id (or name). */
export const ERR_NO_SUCH_TABLE: i32 = -8;
/** The table's access rules forbid this to the caller. */
export const ERR_ACCESS: i32 = -9;
/** The operation does not apply to this type of table. */
export const ERR_WRONG_TYPE: i32 = -10;
/** A table already has that name. */
export const ERR_TABLE_NAME_TAKEN: i32 = -11;
/** The key is not in the table (or a traversal reached its end). */
export const ERR_NOT_FOUND: i32 = -12;
/** The value under the key is not a counter (8 bytes). */
export const ERR_NOT_A_COUNTER: i32 = -13;
/** The counter would overflow an `i64`. */
export const ERR_OVERFLOW: i32 = -14;
/** The table's memory limit would be crossed. */
export const ERR_TABLE_FULL: i32 = -15;
/** The key is longer than `MAX_KEY_LEN`. */
export const ERR_KEY_TOO_LARGE: i32 = -16;
/** The value is longer than the node's largest message. */
export const ERR_VALUE_TOO_LARGE: i32 = -17;
/** The process to give the table to is not alive. */
export const ERR_NOT_ALIVE: i32 = -18;
/** `table_result_read`: there is no pending result. */
export const ERR_NO_RESULT: i32 = -19;
/** The name (or unique key, or registry name) is taken. */
export const ERR_NAME_TAKEN: i32 = -20;
/** No such name, key or registry. */
export const ERR_NO_SUCH_NAME: i32 = -21;
/** The process already has a registered name. */
export const ERR_ALREADY_NAMED: i32 = -22;
/** The process is not alive. */
export const ERR_NOPROC: i32 = -23;
/** The timer has fired, was cancelled, or never existed. */
export const ERR_NO_SUCH_TIMER: i32 = -24;
/** The module's processes cannot hibernate (see docs/ABI.md for the rules). */
export const ERR_CANNOT_HIBERNATE: i32 = -25;
/** Error: a supervisor holds a child with that id already (not running). */
export const ERR_ALREADY_PRESENT: i32 = -26;
/** Error: a supervisor runs a child with that id already (its pid follows in the reply). */
export const ERR_ALREADY_STARTED: i32 = -27;
/** Error: the child runs (terminate it first). */
export const ERR_RUNNING: i32 = -28;
/** Error: the child did not start (its reason follows in the reply). */
export const ERR_START_FAILED: i32 = -29;
/** Error: the process called exited before it replied; the current message is its DOWN, which carries the exit reason. */
export const ERR_EXITED: i32 = -30;
/** Exit reason kind of `ExitReason::Normal`. */
export const REASON_NORMAL: i32 = 0;
/** Exit reason kind of `ExitReason::Shutdown`. */
export const REASON_SHUTDOWN: i32 = 1;
/** Exit reason kind of `ExitReason::Custom`. */
export const REASON_CUSTOM: i32 = 2;
/** Exit reason kind of `ExitReason::Kill`. */
export const REASON_KILL: i32 = 3;
/** Exit reason kind of `ExitReason::Killed`. */
export const REASON_KILLED: i32 = 4;
/** Exit reason kind of `ExitReason::Noproc`. */
export const REASON_NOPROC: i32 = 5;
/** Exit reason kind of `ExitReason::Trap`. */
export const REASON_TRAP: i32 = 6;
/** Exit reason kind of `ExitReason::Limit`. */
export const REASON_LIMIT: i32 = 7;
/** Tag of an exit signal delivered as a message to a process that traps exits. Payload: `[from: i64][reason kind: i32][detail bytes]` (LE). */
export const TAG_EXIT: i64 = -100;
/** Tag of a monitor's DOWN message. Payload: `[monitor ref: i64][pid: i64][reason kind: i32][detail bytes]` (LE). */
export const TAG_DOWN: i64 = -101;
/** Tag of the message a process gets when it becomes a table's owner, as heir of an owner that exited or by `give_away`. Payload (LE): `[table id: i64][previous owner: i64][heir or gift data bytes]`; the message's sender is the previous owner. */
export const TAG_TABLE_TRANSFER: i64 = -102;
/** Tag of the message a process gets from a child it waits for (a supervisor's child, a supervisor it started) when the child calls `init_ack`, or when a supervisor's children have all started. Empty payload; the sender is the child. */
export const TAG_ACK: i64 = -103;
/** The payload byte of a `TAG_ACK` from a child that ignores its start (`initIgnore`). */
export const ACK_IGNORE: u8 = 1;
/** Tag of a supervisor's answer to `supervisor_request`. Payload (LE): `[request id: i64][result: i64][data bytes]` (see docs/ABI.md). */
export const TAG_SUPERVISOR_REPLY: i64 = -104;
/** Tag of a call's request, as the process called receives it. Payload (LE): `[reply token: i64][request bytes]`; the sender is the caller, which `reply` answers with the token. */
export const TAG_CALL: i64 = -105;
/** Tag of the current message after a call that got its reply. Payload: the reply's bytes; the sender is the process that replied. */
export const TAG_REPLY: i64 = -106;
/** Tag of a system request, as the process asked receives it: a call (answered with `reply`) that the SDKs' behaviours answer themselves (`get_state`, `get_status`: see docs/ABI.md "System messages"). Payload (LE): `[reply token: i64][request: a term]`; the sender is the asker. */
export const TAG_SYSTEM: i64 = -107;
/** Supervisor strategy: restart only the child that exited. */
export const STRATEGY_ONE_FOR_ONE: i32 = 0;
/** Supervisor strategy: restart every child. */
export const STRATEGY_ONE_FOR_ALL: i32 = 1;
/** Supervisor strategy: restart the child and those started after it. */
export const STRATEGY_REST_FOR_ONE: i32 = 2;
/** Supervisor strategy: a dynamic supervisor (one template). */
export const STRATEGY_SIMPLE_ONE_FOR_ONE: i32 = 3;
/** `auto_shutdown`: never. */
export const AUTO_SHUTDOWN_NEVER: i32 = 0;
/** `auto_shutdown`: when any significant child ends. */
export const AUTO_SHUTDOWN_ANY_SIGNIFICANT: i32 = 1;
/** `auto_shutdown`: when every significant child has ended. */
export const AUTO_SHUTDOWN_ALL_SIGNIFICANT: i32 = 2;
/** Child restart: always. */
export const RESTART_PERMANENT: i32 = 0;
/** Child restart: after an abnormal exit only. */
export const RESTART_TRANSIENT: i32 = 1;
/** Child restart: never. */
export const RESTART_TEMPORARY: i32 = 2;
/** Child shutdown: exit signal `shutdown`, then `kill` after its timeout. */
export const SHUTDOWN_TIMEOUT: i32 = 0;
/** Child shutdown: exit signal `kill` at once. */
export const SHUTDOWN_BRUTAL_KILL: i32 = 1;
/** Child shutdown: exit signal `shutdown`, waiting as long as it takes. */
export const SHUTDOWN_INFINITY: i32 = 2;
/** Child type: a wasm process. */
export const CHILD_WORKER: i32 = 0;
/** Child type: a nested supervisor. */
export const CHILD_SUPERVISOR: i32 = 1;
/** A 32-bit count or time in a spec that means "none" (no limit, no acknowledgement). */
export const SPEC_NONE: i64 = 4294967295;
/** `supervisor_request` operation: start a child (a child record, or a dynamic supervisor's argument bytes). */
export const SUP_START_CHILD: i32 = 1;
/** `supervisor_request` operation: stop a child (its id, or for a dynamic supervisor its pid as 8 bytes). */
export const SUP_TERMINATE_CHILD: i32 = 2;
/** `supervisor_request` operation: start a stopped child again (its id). */
export const SUP_RESTART_CHILD: i32 = 3;
/** `supervisor_request` operation: forget a stopped child (its id). */
export const SUP_DELETE_CHILD: i32 = 4;
/** `supervisor_request` operation: list the children. */
export const SUP_WHICH_CHILDREN: i32 = 5;
/** `supervisor_request` operation: count the children. */
export const SUP_COUNT_CHILDREN: i32 = 6;
/** `spawn_opt` / `spawn_opts` flag: link the child to the caller. */
export const SPAWN_LINK: i32 = 1;
/** `spawn_opt` / `spawn_opts` flag: monitor the child. */
export const SPAWN_MONITOR: i32 = 2;
/** `spawn_opts` options record: the largest linear memory, in bytes (a `u64` LE). */
export const OPT_MAX_MEMORY: u32 = 1;
/** `spawn_opts` options record: the total fuel the process may use (a `u64` LE). */
export const OPT_MAX_FUEL: u32 = 2;
/** `spawn_opts` options record: the most messages its mailbox may hold (a `u64` LE). */
export const OPT_MAX_MAILBOX: u32 = 3;
/** `spawn_opts` options record: no right to spawn (no bytes). */
export const OPT_DENY_SPAWN: u32 = 4;
/** `spawn_opts` options record: no right to print (no bytes). */
export const OPT_DENY_PRINT: u32 = 5;
/** `spawn_opts` options record: keep one of the parent's preopened directories (`[read_only: u8][guest path bytes]`; repeated). */
export const OPT_DIR: u32 = 6;
/** `spawn_opts` options record: one environment variable (`KEY=VALUE` bytes; repeated; replaces the parent's environment). */
export const OPT_ENV: u32 = 7;
/** `spawn_opts` options record: keep none of the parent's preopened directories but those `OPT_DIR` records name (no bytes). */
export const OPT_NO_DIRS: u32 = 8;
/** `spawn_opts` options record: an empty environment, but for the `OPT_ENV` records (no bytes). */
export const OPT_CLEAR_ENV: u32 = 9;
/** Most tags one selective receive may name. */
export const MAX_RECEIVE_TAGS: i32 = 4096;
/** Table kind: one object per key. */
export const TABLE_SET: i32 = 0;
/** Table kind: one object per key, traversed in key order. */
export const TABLE_ORDERED_SET: i32 = 1;
/** Table kind: many objects per key, no two identical. */
export const TABLE_BAG: i32 = 2;
/** Table kind: many objects per key, duplicates allowed. */
export const TABLE_DUPLICATE_BAG: i32 = 3;
/** Table access: the owner writes, every process reads (the default). */
export const ACCESS_PROTECTED: i32 = 0;
/** Table access: every process reads and writes. */
export const ACCESS_PUBLIC: i32 = 1;
/** Table access: only the owner reads and writes. */
export const ACCESS_PRIVATE: i32 = 2;
/** `table_update_counter` flag: start a missing key at `default`. */
export const COUNTER_DEFAULT: i32 = 1;
/** `table_range` flag: the lower bound is exclusive. */
export const RANGE_FROM_EXCLUSIVE: i32 = 1;
/** `table_range` flag: the upper bound is inclusive. */
export const RANGE_TO_INCLUSIVE: i32 = 2;
/** `table_range` flag: no lower bound. */
export const RANGE_FROM_START: i32 = 4;
/** `table_range` flag: no upper bound. */
export const RANGE_TO_END: i32 = 8;
/** `table_range` flag: from the last key down. */
export const RANGE_REVERSE: i32 = 16;
/** `table_select_prefix` / `table_chunk` flag: resume after the given key. */
export const SELECT_AFTER: i32 = 1;
/** Size of the record `table_info` writes. */
export const TABLE_INFO_SIZE: i32 = 64;
/** Longest table key, in bytes. */
export const MAX_KEY_LEN: i32 = 65535;

/** `receive` timeout: wait for ever (any negative value does). */
export const WAIT_FOREVER: i64 = -1;
/** `receive` timeout: only look, do not wait. */
export const POLL: i64 = 0;
