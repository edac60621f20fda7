/*
 * warren.h - the Warren guest ABI, version 1, for C guests: every host
 * function of the import module "warren_v1" (docs/ABI.md is the contract),
 * its numbers, and small helpers in C idiom (options blocks, child specs,
 * host-made messages, calls). Terms (External Term Format) are in
 * warren_term.h.
 *
 * It needs no libc. Freestanding:
 *
 *   clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export-dynamic \
 *         -Wl,--allow-undefined -o guest.wasm guest.c
 *
 * (add -mmutable-globals -Wl,--export=__stack_pointer for processes that
 * hibernate: see warren_hibernate), or with wasi-libc (printf, snprintf,
 * malloc; Debian: `apt-get install wasi-libc libclang-rt-dev-wasm32`; with
 * wasi-sdk add --sysroot=/usr/share/wasi-sysroot):
 *
 *   clang --target=wasm32-wasi -O2 -mexec-model=reactor \
 *         -Wl,--export-dynamic -Wl,--allow-undefined -o guest.wasm guest.c
 *
 * (a reactor: no main, every export is an entry).
 *
 * Give each entry point a wasm export name:
 *
 *   WARREN_EXPORT("main") void my_main(void) { ... }
 *
 * (an entry is `void f(void)`; a handler `int32_t f(void)`). wasm-ld exports
 * the linear memory as "memory", which the host needs.
 *
 * Conventions (see docs/ABI.md):
 * - pointers and lengths are 32-bit (lengths are read as unsigned); pids,
 *   tags, references, table ids and times are 64-bit;
 * - a negative return value is an error code (WARREN_ERR_*);
 * - the guest always allocates: the host copies out of the guest's memory on
 *   send/spawn, and into it only into buffers the guest passes;
 * - a (pointer, length) pair outside linear memory traps the calling process.
 *
 * Every `#define WARREN_NAME VALUE` below is checked against the host's own
 * numbers by a test (host/src/base/codes.rs).
 */
#ifndef WARREN_H
#define WARREN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if !defined(__wasi__) && !defined(WARREN_NO_MEM_FUNCTIONS)
#include <stddef.h>
/*
 * clang turns some loops and copies into calls of memcpy, memmove, memset
 * and memcmp even under -nostdlib; a freestanding guest would then import
 * them from "env", which no node provides. These weak definitions keep it
 * self-contained (a real libc's win when one is linked; define
 * WARREN_NO_MEM_FUNCTIONS to leave them out). `no_builtin` keeps clang from
 * turning their own loops back into calls.
 */
__attribute__((weak, no_builtin)) void *memcpy(void *dst, const void *src, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    while (n--) *d++ = *s++;
    return dst;
}
__attribute__((weak, no_builtin)) void *memmove(void *dst, const void *src, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    const unsigned char *s = (const unsigned char *)src;
    if (d < s) {
        while (n--) *d++ = *s++;
    } else {
        while (n--) d[n] = s[n];
    }
    return dst;
}
__attribute__((weak, no_builtin)) void *memset(void *dst, int c, size_t n) {
    unsigned char *d = (unsigned char *)dst;
    while (n--) *d++ = (unsigned char)c;
    return dst;
}
__attribute__((weak, no_builtin)) int memcmp(const void *a, const void *b, size_t n) {
    const unsigned char *x = (const unsigned char *)a;
    const unsigned char *y = (const unsigned char *)b;
    for (; n--; x++, y++) {
        if (*x != *y) return *x < *y ? -1 : 1;
    }
    return 0;
}
#endif

/* Declares a function imported from the host module "warren_v1". */
#define WARREN_IMPORT(name) \
    __attribute__((import_module("warren_v1"), import_name(name)))

/* A function that never returns (C11 and C++ spell it differently). */
#ifdef __cplusplus
#define WARREN_NORETURN [[noreturn]]
#else
#define WARREN_NORETURN _Noreturn
#endif

/* Gives a guest function the wasm export name `name`. */
#define WARREN_EXPORT(name) __attribute__((export_name(name), used))

/* A pid: an i64 from 2^28 to 2^63 - 1 that names one process, never reused. */
typedef int64_t warren_pid_t;
/* A message tag: >= 0 for guests, < 0 reserved for the host. */
typedef int64_t warren_tag_t;
/* A reference: a monitor's or a timer's (> 0, unique on the node). */
typedef int64_t warren_ref_t;
/* A table id (> 0, never reused on the node). */
typedef int64_t warren_tid_t;

/* ------------------------------------------------------------ error codes */

/*
 * The error codes as an enum, for switch statements and debuggers: a
 * function's int32_t or int64_t result compares with them directly. The
 * macros below repeat each value (defined after the enum, they are what the
 * names expand to from here on); host/src/base/codes.rs checks both.
 */
typedef enum warren_error {
    WARREN_OK = 0,
    WARREN_ERR_BADARG = -1,
    WARREN_ERR_NO_SUCH_EXPORT = -2,
    WARREN_ERR_NO_SUCH_MODULE = -3,
    WARREN_ERR_NOT_PERMITTED = -4,
    WARREN_ERR_LIMIT = -5,
    WARREN_ERR_TIMEOUT = -6,
    WARREN_ERR_NO_MESSAGE = -7,
    WARREN_ERR_NO_SUCH_TABLE = -8,
    WARREN_ERR_ACCESS = -9,
    WARREN_ERR_WRONG_TYPE = -10,
    WARREN_ERR_TABLE_NAME_TAKEN = -11,
    WARREN_ERR_NOT_FOUND = -12,
    WARREN_ERR_NOT_A_COUNTER = -13,
    WARREN_ERR_OVERFLOW = -14,
    WARREN_ERR_TABLE_FULL = -15,
    WARREN_ERR_KEY_TOO_LARGE = -16,
    WARREN_ERR_VALUE_TOO_LARGE = -17,
    WARREN_ERR_NOT_ALIVE = -18,
    WARREN_ERR_NO_RESULT = -19,
    WARREN_ERR_NAME_TAKEN = -20,
    WARREN_ERR_NO_SUCH_NAME = -21,
    WARREN_ERR_ALREADY_NAMED = -22,
    WARREN_ERR_NOPROC = -23,
    WARREN_ERR_NO_SUCH_TIMER = -24,
    WARREN_ERR_CANNOT_HIBERNATE = -25,
    WARREN_ERR_ALREADY_PRESENT = -26,
    WARREN_ERR_ALREADY_STARTED = -27,
    WARREN_ERR_RUNNING = -28,
    WARREN_ERR_START_FAILED = -29,
    WARREN_ERR_EXITED = -30,
} warren_error_t;

#define WARREN_OK                      0  /* success */
#define WARREN_ERR_BADARG            (-1) /* malformed argument: bad UTF-8, malformed pid, negative tag, unknown kind or flag */
#define WARREN_ERR_NO_SUCH_EXPORT    (-2) /* no such export, or wrong type: () -> () for entries, () -> i32 for handlers */
#define WARREN_ERR_NO_SUCH_MODULE    (-3) /* no module of that name is loaded on the node */
#define WARREN_ERR_NOT_PERMITTED     (-4) /* the process's capabilities do not allow this */
#define WARREN_ERR_LIMIT             (-5) /* a node or process limit was reached (process table full, message too large) */
#define WARREN_ERR_TIMEOUT           (-6) /* receive timed out, or found nothing when polling */
#define WARREN_ERR_NO_MESSAGE        (-7) /* there is no current message to read */
#define WARREN_ERR_NO_SUCH_TABLE     (-8) /* no table has that id (or name) */
#define WARREN_ERR_ACCESS            (-9) /* the table's access rules forbid this to the caller */
#define WARREN_ERR_WRONG_TYPE       (-10) /* not supported by this table type */
#define WARREN_ERR_TABLE_NAME_TAKEN (-11) /* a table already has that name */
#define WARREN_ERR_NOT_FOUND        (-12) /* the key is absent, or a traversal reached the end */
#define WARREN_ERR_NOT_A_COUNTER    (-13) /* the value under the key is not 8 bytes */
#define WARREN_ERR_OVERFLOW         (-14) /* the counter would overflow an i64 (nothing changed) */
#define WARREN_ERR_TABLE_FULL       (-15) /* the table's max_bytes would be passed (nothing changed) */
#define WARREN_ERR_KEY_TOO_LARGE    (-16) /* the key is longer than WARREN_MAX_KEY_LEN bytes */
#define WARREN_ERR_VALUE_TOO_LARGE  (-17) /* the value is longer than the node's largest message */
#define WARREN_ERR_NOT_ALIVE        (-18) /* table_give_away: the receiver is not alive */
#define WARREN_ERR_NO_RESULT        (-19) /* table_result_read: no result is pending */
#define WARREN_ERR_NAME_TAKEN       (-20) /* the name (registered name, unique key, registry name) is taken */
#define WARREN_ERR_NO_SUCH_NAME     (-21) /* no process holds that name, or there is no such registry */
#define WARREN_ERR_ALREADY_NAMED    (-22) /* the process already has a registered name */
#define WARREN_ERR_NOPROC           (-23) /* the process is not alive */
#define WARREN_ERR_NO_SUCH_TIMER    (-24) /* the timer has fired, was cancelled, or never existed */
#define WARREN_ERR_CANNOT_HIBERNATE (-25) /* the module's processes cannot hibernate */
#define WARREN_ERR_ALREADY_PRESENT  (-26) /* a supervisor holds a child with that id already (not running) */
#define WARREN_ERR_ALREADY_STARTED  (-27) /* a supervisor runs a child with that id already (its pid follows in the reply) */
#define WARREN_ERR_RUNNING          (-28) /* the child runs (terminate it first) */
#define WARREN_ERR_START_FAILED     (-29) /* the child did not start (its reason follows in the reply) */
#define WARREN_ERR_EXITED           (-30) /* the process called exited before it replied; the current message is its DOWN */

/* ----------------------------------------------------------- reason kinds */

#define WARREN_REASON_NORMAL   0 /* normal exit */
#define WARREN_REASON_SHUTDOWN 1 /* orderly shutdown (detail optional) */
#define WARREN_REASON_CUSTOM   2 /* any other reason given by a guest (detail = bytes) */
#define WARREN_REASON_KILL     3 /* the untrappable exit signal: only for warren_exit_signal */
#define WARREN_REASON_KILLED   4 /* reserved: the reason of a process that got kill */
#define WARREN_REASON_NOPROC   5 /* reserved: the target did not exist */
#define WARREN_REASON_TRAP     6 /* the process trapped (detail = trap text) */
#define WARREN_REASON_LIMIT    7 /* the process hit a limit (detail names it) */

/* ------------------------------------------------- tags of host messages */

#define WARREN_TAG_EXIT           (-100) /* an exit signal, trapped. Payload (LE): [from: i64][reason kind: i32][detail] */
#define WARREN_TAG_DOWN           (-101) /* a monitor's DOWN. Payload (LE): [ref: i64][pid: i64][reason kind: i32][detail] */
#define WARREN_TAG_TABLE_TRANSFER (-102) /* a table became the receiver's. Payload (LE): [tid: i64][previous owner: i64][data] */
#define WARREN_TAG_ACK            (-103) /* a child's init_ack, or a supervisor's "my children have started". Empty payload */
#define WARREN_ACK_IGNORE         1      /* the payload byte of a TAG_ACK from a child that ignores its start (warren_init_ignore) */
#define WARREN_TAG_SUPERVISOR_REPLY (-104) /* a supervisor's answer. Payload (LE): [request id: i64][result: i64][data] */
#define WARREN_TAG_CALL           (-105) /* a call's request. Payload (LE): [token: i64][request bytes]; the sender is the caller */
#define WARREN_TAG_REPLY          (-106) /* the tag of the current message after a call that got its reply */
#define WARREN_TAG_SYSTEM         (-107) /* a system request. Payload (LE): [token: i64][request: a term]; the sender is the asker */

/* ------------------------------------------------------- receive timeouts */

#define WARREN_INFINITY (-1) /* receive, call: wait forever */
#define WARREN_POLL       0  /* receive: do not wait, only look */
#define WARREN_MAX_RECEIVE_TAGS 4096 /* most tags one selective receive may name */

/* ---------------------------------------------------- spawn flags, options */

#define WARREN_SPAWN_LINK    1 /* link the child to the caller */
#define WARREN_SPAWN_MONITOR 2 /* monitor the child; the reference goes to *ref_out */

/*
 * Keys of the records of a spawn options block: [key: u32 LE][len: u32 LE]
 * [len bytes], back to back, any order; the empty block changes nothing
 * (docs/ABI.md, "Limits and capabilities"). Build one with warren_opts_*.
 */
#define WARREN_OPT_MAX_MEMORY  1 /* u64 LE: largest linear memory, in bytes */
#define WARREN_OPT_MAX_FUEL    2 /* u64 LE: total fuel the child may use */
#define WARREN_OPT_MAX_MAILBOX 3 /* u64 LE: most messages queued */
#define WARREN_OPT_DENY_SPAWN  4 /* no bytes: the child may not spawn */
#define WARREN_OPT_DENY_PRINT  5 /* no bytes: the child may not print */
#define WARREN_OPT_DIR         6 /* [read_only: u8][guest path]: keep that directory (repeatable) */
#define WARREN_OPT_ENV         7 /* KEY=VALUE: an environment variable (repeatable; replaces) */
#define WARREN_OPT_NO_DIRS     8 /* no bytes: keep no directory but those OPT_DIR names */
#define WARREN_OPT_CLEAR_ENV   9 /* no bytes: an empty environment but for OPT_ENV */

/* ------------------------------------------------------------ supervisors */

#define WARREN_STRATEGY_ONE_FOR_ONE 0 /* restart only the child that exited */
#define WARREN_STRATEGY_ONE_FOR_ALL 1 /* restart every child */
#define WARREN_STRATEGY_REST_FOR_ONE 2 /* restart the child and those started after it */
#define WARREN_STRATEGY_SIMPLE_ONE_FOR_ONE 3 /* a dynamic supervisor (one template) */
#define WARREN_AUTO_SHUTDOWN_NEVER 0 /* significant children are not allowed */
#define WARREN_AUTO_SHUTDOWN_ANY_SIGNIFICANT 1 /* end with the first significant child */
#define WARREN_AUTO_SHUTDOWN_ALL_SIGNIFICANT 2 /* end with the last significant child */
#define WARREN_RESTART_PERMANENT 0 /* always restarted */
#define WARREN_RESTART_TRANSIENT 1 /* restarted after an abnormal exit only */
#define WARREN_RESTART_TEMPORARY 2 /* never restarted */
#define WARREN_SHUTDOWN_TIMEOUT 0 /* exit signal shutdown, then kill after its timeout */
#define WARREN_SHUTDOWN_BRUTAL_KILL 1 /* exit signal kill at once */
#define WARREN_SHUTDOWN_INFINITY 2 /* exit signal shutdown, waiting as long as it takes */
#define WARREN_CHILD_WORKER 0 /* a wasm process */
#define WARREN_CHILD_SUPERVISOR 1 /* a nested supervisor */
#define WARREN_SPEC_NONE 4294967295 /* a 32-bit count or time in a spec that means "none" */
#define WARREN_SUP_START_CHILD 1 /* start a child (a child record, or a dynamic supervisor's argument bytes) */
#define WARREN_SUP_TERMINATE_CHILD 2 /* stop a child (its id, or for a dynamic supervisor its pid as 8 bytes) */
#define WARREN_SUP_RESTART_CHILD 3 /* start a stopped child again (its id) */
#define WARREN_SUP_DELETE_CHILD 4 /* forget a stopped child (its id) */
#define WARREN_SUP_WHICH_CHILDREN 5 /* list the children */
#define WARREN_SUP_COUNT_CHILDREN 6 /* count the children */

/* ----------------------------------------------------------------- tables */

#define WARREN_TABLE_SET 0 /* one object per key, hash order */
#define WARREN_TABLE_ORDERED_SET 1 /* one object per key, key order */
#define WARREN_TABLE_BAG 2 /* many objects per key, no two identical */
#define WARREN_TABLE_DUPLICATE_BAG 3 /* many objects per key, duplicates allowed */
#define WARREN_ACCESS_PROTECTED 0 /* the owner writes, every process reads (the default) */
#define WARREN_ACCESS_PUBLIC 1 /* every process reads and writes */
#define WARREN_ACCESS_PRIVATE 2 /* only the owner reads and writes */
#define WARREN_COUNTER_DEFAULT 1 /* table_update_counter: start a missing key at `default` */
#define WARREN_RANGE_FROM_EXCLUSIVE 1 /* table_range: the lower bound is exclusive */
#define WARREN_RANGE_TO_INCLUSIVE 2 /* table_range: the upper bound is inclusive */
#define WARREN_RANGE_FROM_START 4 /* table_range: no lower bound */
#define WARREN_RANGE_TO_END 8 /* table_range: no upper bound */
#define WARREN_RANGE_REVERSE 16 /* table_range: from the last key down */
#define WARREN_SELECT_AFTER 1 /* table_select_prefix, table_chunk: resume after the given key */
#define WARREN_TABLE_INFO_SIZE 64 /* size of the record table_info writes */
#define WARREN_MAX_KEY_LEN 65535 /* longest table key, in bytes */

/* ============================================================= processes */

/* The caller's own pid. */
WARREN_IMPORT("self")
warren_pid_t warren_self(void);

/* The pid of the process that spawned the caller (its supervisor, for a
 * supervisor's child); 0 if the host spawned it. */
WARREN_IMPORT("parent")
warren_pid_t warren_parent(void);

/* Starts a process on export `entry` of the caller's own module (an entry
 * () -> (), or a handler () -> i32: then it starts handler-style), with a
 * copy of `arg` as its argument; it inherits the caller's capabilities and
 * limits. Returns the pid (> 0) or WARREN_ERR_NO_SUCH_EXPORT,
 * _NOT_PERMITTED, _LIMIT, _BADARG. */
WARREN_IMPORT("spawn")
warren_pid_t warren_spawn(const char *entry, uint32_t entry_len,
                          const void *arg, uint32_t arg_len);

/* As warren_spawn, on export `entry` of the module loaded as `module`
 * (empty: the caller's own). WARREN_ERR_NO_SUCH_MODULE if there is none. */
WARREN_IMPORT("spawn_module")
warren_pid_t warren_spawn_module(const char *module, uint32_t module_len,
                                 const char *entry, uint32_t entry_len,
                                 const void *arg, uint32_t arg_len);

/* As warren_spawn_module, atomically linked and/or monitored by `flags`
 * (WARREN_SPAWN_LINK | WARREN_SPAWN_MONITOR: the monitor reference is
 * written at `ref_out`, which is ignored without WARREN_SPAWN_MONITOR). */
WARREN_IMPORT("spawn_opt")
warren_pid_t warren_spawn_opt(const char *module, uint32_t module_len,
                              const char *entry, uint32_t entry_len,
                              const void *arg, uint32_t arg_len,
                              int32_t flags, warren_ref_t *ref_out);

/* As warren_spawn_opt, with the child's limits and capabilities narrowed
 * by the options block at `options` (build it with warren_opts_*; empty:
 * the caller's). WARREN_ERR_BADARG also for a malformed block. */
WARREN_IMPORT("spawn_opts")
warren_pid_t warren_spawn_opts(const char *module, uint32_t module_len,
                               const char *entry, uint32_t entry_len,
                               const void *arg, uint32_t arg_len,
                               const void *options, uint32_t options_len,
                               int32_t flags, warren_ref_t *ref_out);

/* Length in bytes of the argument the process was spawned with (0: none). */
WARREN_IMPORT("arg_size")
int32_t warren_arg_size(void);

/* Copies min(dst_len, arg_size) bytes of the argument to `dst`; returns
 * the number copied. */
WARREN_IMPORT("arg_read")
int32_t warren_arg_read(void *dst, uint32_t dst_len);

/* Ends the calling process now with reason `kind` (WARREN_REASON_NORMAL,
 * _SHUTDOWN or _CUSTOM; others trap) and `detail` bytes; never returns. */
WARREN_NORETURN WARREN_IMPORT("exit")
void warren_exit(int32_t kind, const void *detail, uint32_t detail_len);

/* Gives up the rest of the current time slice. */
WARREN_IMPORT("yield_now")
void warren_yield_now(void);

/* Makes the process handler-style: once the entry returns, the host calls
 * export `name` (int32_t f(void)) once per message, with the message
 * current; it returns 0 to stay alive, anything else to end normally.
 * Called from a handler, it switches handlers for the next messages.
 * Returns WARREN_OK or WARREN_ERR_NO_SUCH_EXPORT. */
WARREN_IMPORT("set_handler")
int32_t warren_set_handler(const char *name, uint32_t name_len);

/* Asks a handler-style process to hibernate when the current call returns
 * (its instance is dropped until the next message; docs/ABI.md
 * "Hibernation": build with -mmutable-globals -Wl,--export=__stack_pointer).
 * Applies once.
 * Returns WARREN_OK or WARREN_ERR_CANNOT_HIBERNATE. */
WARREN_IMPORT("hibernate")
int32_t warren_hibernate(void);

/* ============================================================== messages */

/* Sends a copy of `len` bytes at `data` to `pid` with `tag` (>= 0).
 * WARREN_OK also when `pid` is dead (the message is dropped);
 * WARREN_ERR_BADARG (negative tag), WARREN_ERR_LIMIT (too large). Messages
 * from one sender to one receiver arrive in order. */
WARREN_IMPORT("send")
int32_t warren_send(warren_pid_t pid, warren_tag_t tag,
                    const void *data, uint32_t len);

/* Waits for the oldest message whose tag is one of the `tags_count` tags at
 * `tags` (0: any message; at most WARREN_MAX_RECEIVE_TAGS); the others stay
 * queued, in order. `timeout_ms`: WARREN_INFINITY, WARREN_POLL, or > 0.
 * Returns the message's length (it is now the current message) or
 * WARREN_ERR_TIMEOUT. */
WARREN_IMPORT("receive")
int32_t warren_receive(const warren_tag_t *tags, uint32_t tags_count,
                       int64_t timeout_ms);

/* As warren_receive, and the message is written to `buf`: its tag (i64
 * LE), its sender (i64 LE), then its first min(size, buf_len - 16) bytes.
 * Returns the whole length (read the rest with warren_msg_read from offset
 * buf_len - 16); buf_len below 16 is WARREN_ERR_BADARG. */
WARREN_IMPORT("receive_into")
int32_t warren_receive_into(const warren_tag_t *tags, uint32_t tags_count,
                            int64_t timeout_ms, void *buf, uint32_t buf_len);

/* Tag of the current message, or WARREN_ERR_NO_MESSAGE. */
WARREN_IMPORT("msg_tag")
warren_tag_t warren_msg_tag(void);

/* Pid of the current message's sender, or WARREN_ERR_NO_MESSAGE. */
WARREN_IMPORT("msg_sender")
warren_pid_t warren_msg_sender(void);

/* Length of the current message, or WARREN_ERR_NO_MESSAGE. */
WARREN_IMPORT("msg_size")
int32_t warren_msg_size(void);

/* The current message's tag and sender's pid (little-endian, 8 bytes
 * each, at `out`) and its length: one host call instead of
 * warren_msg_tag, warren_msg_sender and warren_msg_size. Returns
 * WARREN_ERR_NO_MESSAGE (nothing written) if there is none. */
WARREN_IMPORT("msg_header")
int32_t warren_msg_header(void *out);

/* How many messages wait in the mailbox (the current one not included), as
   Erlang's message_queue_len. */
WARREN_IMPORT("msg_queue_len")
int32_t warren_msg_queue_len(void);

/* Copies min(dst_len, size - offset) bytes of the current message from
 * `offset` to `dst`; returns the number copied (0 when offset >= size) or
 * WARREN_ERR_NO_MESSAGE. The message stays current until the next receive
 * (or call), or in a handler until the handler returns. */
WARREN_IMPORT("msg_read")
int32_t warren_msg_read(uint32_t offset, void *dst, uint32_t dst_len);

/* ================================================================= calls */

/* gen_server:call: sends `pid` the request (a WARREN_TAG_CALL message) and
 * waits for its reply: returns its length (the reply is the current
 * message, tag WARREN_TAG_REPLY); or WARREN_ERR_TIMEOUT (a late reply
 * never arrives), WARREN_ERR_NOPROC or WARREN_ERR_EXITED (the current
 * message is the callee's DOWN, with its reason), WARREN_ERR_BADARG (own
 * pid), WARREN_ERR_LIMIT. */
WARREN_IMPORT("call")
int32_t warren_call(warren_pid_t pid, const void *request, uint32_t len,
                    int64_t timeout_ms);

/* As warren_call, to the process registered under `name`
 * (WARREN_ERR_NOPROC if nobody holds it). */
WARREN_IMPORT("call_named")
int32_t warren_call_named(const char *name, uint32_t name_len,
                          const void *request, uint32_t len,
                          int64_t timeout_ms);

/* As warren_call, sent as a system request (WARREN_TAG_SYSTEM; request and
 * answer are terms: docs/ABI.md "System messages"). */
WARREN_IMPORT("system_call")
int32_t warren_system_call(warren_pid_t pid, const void *request,
                           uint32_t len, int64_t timeout_ms);

/* Answers the call `token` of `pid` (the request's sender, and the token in
 * its payload). WARREN_OK also when the reply is dropped (the caller gave
 * up, is gone, or has its reply); WARREN_ERR_BADARG, WARREN_ERR_LIMIT. */
WARREN_IMPORT("reply")
int32_t warren_reply(warren_pid_t pid, int64_t token, const void *data,
                     uint32_t len);

/* ================================================ links and exit signals */

/* Links the caller and `pid` (twice, or to oneself: nothing). If `pid` is
 * not alive the caller gets an exit signal noproc. WARREN_OK or
 * WARREN_ERR_BADARG (malformed pid). */
WARREN_IMPORT("link")
int32_t warren_link(warren_pid_t pid);

/* Removes the link between the caller and `pid`, if any. */
WARREN_IMPORT("unlink")
int32_t warren_unlink(warren_pid_t pid);

/* on != 0: exit signals (but kill) reach the caller as WARREN_TAG_EXIT
 * messages. Returns the previous setting, 0 or 1. */
WARREN_IMPORT("trap_exit")
int32_t warren_trap_exit(int32_t on);

/* Erlang's exit(Pid, Reason): sends `pid` an exit signal with reason
 * `kind` (WARREN_REASON_NORMAL, _SHUTDOWN, _CUSTOM with `detail`, _KILL).
 * WARREN_OK or WARREN_ERR_BADARG. */
WARREN_IMPORT("exit_signal")
int32_t warren_exit_signal(warren_pid_t pid, int32_t kind,
                           const void *detail, uint32_t detail_len);

/* ============================================================== monitors */

/* Monitors `pid`: returns a reference (> 0); the caller gets a
 * WARREN_TAG_DOWN message when `pid` exits (at once, noproc, if it is not
 * alive). WARREN_ERR_BADARG for a malformed pid. */
WARREN_IMPORT("monitor")
warren_ref_t warren_monitor(warren_pid_t pid);

/* Ends the monitor `ref`: 1 if it was active, else 0. `flush` != 0 also
 * removes its DOWN if already queued. */
WARREN_IMPORT("demonitor")
int32_t warren_demonitor(warren_ref_t ref, int32_t flush);

/* ================================================================= names */

/* Registers `pid` under `name`. WARREN_OK, _NAME_TAKEN, _ALREADY_NAMED,
 * _NOPROC, _BADARG. The name is freed when the process exits. */
WARREN_IMPORT("register")
int32_t warren_register(const char *name, uint32_t name_len, warren_pid_t pid);

/* Frees `name`. WARREN_OK, _NO_SUCH_NAME, _BADARG. */
WARREN_IMPORT("unregister")
int32_t warren_unregister(const char *name, uint32_t name_len);

/* The pid registered under `name`, or 0 if none. */
WARREN_IMPORT("whereis")
warren_pid_t warren_whereis(const char *name, uint32_t name_len);

/* As warren_send, to the process registered under `name`
 * (WARREN_ERR_NO_SUCH_NAME if nobody holds it: nothing is sent). */
WARREN_IMPORT("send_named")
int32_t warren_send_named(const char *name, uint32_t name_len, warren_tag_t tag,
                          const void *data, uint32_t len);

/* Every registered name, sorted, as [len: u32 LE][name]..., written only
 * if all of it fits; returns the bytes needed (dst_len 0: the size). */
WARREN_IMPORT("registered")
int32_t warren_registered(void *dst, uint32_t dst_len);

/* ====================================================== keyed registries */

/* Creates registry `name` (unique != 0: unique keys). WARREN_OK,
 * _NAME_TAKEN, _BADARG. */
WARREN_IMPORT("registry_new")
int32_t warren_registry_new(const char *name, uint32_t name_len, int32_t unique);

/* Registers the caller under `key` with a copy of `value`. WARREN_OK,
 * _NAME_TAKEN (unique key held), _NO_SUCH_NAME (no registry), _BADARG. */
WARREN_IMPORT("registry_register")
int32_t warren_registry_register(const char *registry, uint32_t registry_len,
                                 const void *key, uint32_t key_len,
                                 const void *value, uint32_t value_len);

/* Removes every entry of the caller under `key`. */
WARREN_IMPORT("registry_unregister")
int32_t warren_registry_unregister(const char *registry, uint32_t registry_len,
                                   const void *key, uint32_t key_len);

/* The entries under `key`, in registration order, as
 * [pid: i64 LE][value_len: u32 LE][value]..., written only if all of it
 * fits; returns the bytes needed (0: no entry) or an error. */
WARREN_IMPORT("registry_lookup")
int32_t warren_registry_lookup(const char *registry, uint32_t registry_len,
                               const void *key, uint32_t key_len,
                               void *dst, uint32_t dst_len);

/* Sends the message to the process of every entry under `key`; returns
 * the number sent or an error. */
WARREN_IMPORT("registry_dispatch")
int32_t warren_registry_dispatch(const char *registry, uint32_t registry_len,
                                 const void *key, uint32_t key_len,
                                 warren_tag_t tag, const void *data, uint32_t len);

/* ================================================================ timers */

/* Sends `pid` the message (`tag`, a copy of `data`) in `ms` milliseconds.
 * Returns a timer reference (> 0), WARREN_ERR_BADARG or WARREN_ERR_LIMIT. */
WARREN_IMPORT("send_after")
warren_ref_t warren_send_after(warren_pid_t pid, warren_tag_t tag,
                               const void *data, uint32_t len, int64_t ms);

/* As warren_send_after, to whoever holds `name` when the timer fires. */
WARREN_IMPORT("send_after_named")
warren_ref_t warren_send_after_named(const char *name, uint32_t name_len,
                                     warren_tag_t tag, const void *data,
                                     uint32_t len, int64_t ms);

/* Cancels a timer: the milliseconds that were left (>= 0; the message is
 * never sent), or WARREN_ERR_NO_SUCH_TIMER. */
WARREN_IMPORT("cancel_timer")
int64_t warren_cancel_timer(warren_ref_t ref);

/* The milliseconds left on a timer, or WARREN_ERR_NO_SUCH_TIMER. */
WARREN_IMPORT("read_timer")
int64_t warren_read_timer(warren_ref_t ref);

/* Suspends the caller for `ms` milliseconds; returns WARREN_OK. */
WARREN_IMPORT("sleep")
int32_t warren_sleep(int64_t ms);

/* ================================================================ tables */

/* A new table owned by the caller: `kind` WARREN_TABLE_*, `access`
 * WARREN_ACCESS_*, name_len 0 for an anonymous table, max_bytes 0 for no
 * limit. Returns its id (> 0), WARREN_ERR_TABLE_NAME_TAKEN, _BADARG. */
WARREN_IMPORT("table_new")
warren_tid_t warren_table_new(const char *name, uint32_t name_len, int32_t kind,
                              int32_t access, int64_t max_bytes);

/* The id of the table named `name`, or WARREN_ERR_NO_SUCH_TABLE. */
WARREN_IMPORT("table_whereis")
warren_tid_t warren_table_whereis(const char *name, uint32_t name_len);

/* Deletes the table (needs write access). */
WARREN_IMPORT("table_delete")
int32_t warren_table_delete(warren_tid_t tid);

/* Makes `pid` the owner (the caller must own it); `pid` gets a
 * WARREN_TAG_TABLE_TRANSFER message carrying `data`. */
WARREN_IMPORT("table_give_away")
int32_t warren_table_give_away(warren_tid_t tid, warren_pid_t pid,
                               const void *data, uint32_t data_len);

/* Sets the heir (0: none) and the data its transfer message carries. */
WARREN_IMPORT("table_set_heir")
int32_t warren_table_set_heir(warren_tid_t tid, warren_pid_t pid,
                              const void *data, uint32_t data_len);

/* Copies min(dst_len, WARREN_TABLE_INFO_SIZE) bytes of the info record
 * (see warren_table_info_t); returns WARREN_TABLE_INFO_SIZE or an error. */
WARREN_IMPORT("table_info")
int32_t warren_table_info(warren_tid_t tid, void *dst, uint32_t dst_len);

/* Every table as records (key: its id, 8 bytes LE; value: its name); a
 * result of unknown size (see below). */
WARREN_IMPORT("table_list")
int32_t warren_table_list(void *dst, uint32_t dst_len);

/*
 * Results of unknown size (lookup, take, first, last, next, prev, range,
 * select_prefix, chunk, list): each returns the result's size n (or an
 * error); if n <= dst_len the result is at dst, else nothing was copied and
 * warren_table_result_read(buf, n) reads it. Lists of objects are records
 * [key_len: u32 LE][key][value_len: u32 LE][value] (see warren_records_*).
 */

/* Inserts the object (a set replaces the key's value). */
WARREN_IMPORT("table_insert")
int32_t warren_table_insert(warren_tid_t tid, const void *key, uint32_t key_len,
                            const void *value, uint32_t value_len);

/* As warren_table_insert if the key is absent: 1; else 0 (nothing done). */
WARREN_IMPORT("table_insert_new")
int32_t warren_table_insert_new(warren_tid_t tid, const void *key, uint32_t key_len,
                                const void *value, uint32_t value_len);

/* Inserts every record, atomically; returns how many. */
WARREN_IMPORT("table_insert_many")
int32_t warren_table_insert_many(warren_tid_t tid, const void *records, uint32_t len);

/* As warren_table_insert_many if no key is present: 1; else 0. */
WARREN_IMPORT("table_insert_new_many")
int32_t warren_table_insert_new_many(warren_tid_t tid, const void *records, uint32_t len);

/* The value (sets) or the key's objects as records (bags): a result;
 * WARREN_ERR_NOT_FOUND if absent. */
WARREN_IMPORT("table_lookup")
int32_t warren_table_lookup(warren_tid_t tid, const void *key, uint32_t key_len,
                            void *dst, uint32_t dst_len);

/* 1 if the key is present, else 0. */
WARREN_IMPORT("table_member")
int32_t warren_table_member(warren_tid_t tid, const void *key, uint32_t key_len);

/* As warren_table_lookup, and removes the key, atomically. */
WARREN_IMPORT("table_take")
int32_t warren_table_take(warren_tid_t tid, const void *key, uint32_t key_len,
                          void *dst, uint32_t dst_len);

/* Removes the key; returns how many objects went. */
WARREN_IMPORT("table_delete_key")
int32_t warren_table_delete_key(warren_tid_t tid, const void *key, uint32_t key_len);

/* Removes that exact object; returns how many objects went. */
WARREN_IMPORT("table_delete_object")
int32_t warren_table_delete_object(warren_tid_t tid, const void *key, uint32_t key_len,
                                   const void *value, uint32_t value_len);

/* Removes every object, atomically; returns how many. */
WARREN_IMPORT("table_delete_all")
int64_t warren_table_delete_all(warren_tid_t tid);

/* Adds `incr` to the counter (an i64 LE value) under the key, atomically,
 * and writes the new value at `out`. A missing key starts at `dflt` with
 * WARREN_COUNTER_DEFAULT in `flags`, else WARREN_ERR_NOT_FOUND. */
WARREN_IMPORT("table_update_counter")
int32_t warren_table_update_counter(warren_tid_t tid, const void *key, uint32_t key_len,
                                    int64_t incr, int32_t flags, int64_t dflt,
                                    int64_t *out);

/* Changes an existing key's value: offset -1 replaces it whole, offset >= 0
 * writes `value` over it from that byte. */
WARREN_IMPORT("table_update")
int32_t warren_table_update(warren_tid_t tid, const void *key, uint32_t key_len,
                            int32_t offset, const void *value, uint32_t value_len);

/* The first key: a result; WARREN_ERR_NOT_FOUND if empty. */
WARREN_IMPORT("table_first")
int32_t warren_table_first(warren_tid_t tid, void *dst, uint32_t dst_len);

/* The last key: a result; WARREN_ERR_NOT_FOUND if empty. */
WARREN_IMPORT("table_last")
int32_t warren_table_last(warren_tid_t tid, void *dst, uint32_t dst_len);

/* The key after `key`: a result; WARREN_ERR_NOT_FOUND at the end. */
WARREN_IMPORT("table_next")
int32_t warren_table_next(warren_tid_t tid, const void *key, uint32_t key_len,
                          void *dst, uint32_t dst_len);

/* The key before `key`: a result; WARREN_ERR_NOT_FOUND at the start. */
WARREN_IMPORT("table_prev")
int32_t warren_table_prev(warren_tid_t tid, const void *key, uint32_t key_len,
                          void *dst, uint32_t dst_len);

/* The objects of an ordered_set between `from` and `to` (WARREN_RANGE_*
 * flags), at most `limit` keys, as records: a result. */
WARREN_IMPORT("table_range")
int32_t warren_table_range(warren_tid_t tid, const void *from, uint32_t from_len,
                           const void *to, uint32_t to_len, int32_t flags,
                           int32_t limit, void *dst, uint32_t dst_len);

/* The next objects (at most `limit` keys) whose key starts with `prefix`,
 * after `after` with WARREN_SELECT_AFTER, as records: a result. */
WARREN_IMPORT("table_select_prefix")
int32_t warren_table_select_prefix(warren_tid_t tid, const void *prefix,
                                   uint32_t prefix_len, const void *after,
                                   uint32_t after_len, int32_t flags,
                                   int32_t limit, void *dst, uint32_t dst_len);

/* The next objects of the whole table (at most `limit` keys), after `after`
 * with WARREN_SELECT_AFTER, as records: a result (empty at the end). */
WARREN_IMPORT("table_chunk")
int32_t warren_table_chunk(warren_tid_t tid, const void *after, uint32_t after_len,
                           int32_t flags, int32_t limit, void *dst, uint32_t dst_len);

/* Copies the pending result to `dst` if it fits and returns its size;
 * WARREN_ERR_NO_RESULT if none is pending. */
WARREN_IMPORT("table_result_read")
int32_t warren_table_result_read(void *dst, uint32_t dst_len);

/* =========================================================== supervisors */

/* Starts a supervisor for the spec (build it with warren_spec_*), linked to
 * the caller; returns its pid at once, or WARREN_ERR_BADARG (malformed
 * spec), _NOT_PERMITTED, _LIMIT. It sends WARREN_TAG_ACK once its children
 * have started. */
WARREN_IMPORT("supervisor_start")
warren_pid_t warren_supervisor_start(const void *spec, uint32_t spec_len);

/* Sends operation `op` (WARREN_SUP_*) with `arg` to supervisor `sup`;
 * returns a request id (> 0) that its WARREN_TAG_SUPERVISOR_REPLY answer
 * repeats, or WARREN_ERR_NOPROC, _BADARG, _NOT_PERMITTED, _LIMIT. */
WARREN_IMPORT("supervisor_request")
int64_t warren_supervisor_request(warren_pid_t sup, int32_t op,
                                  const void *arg, uint32_t arg_len);

/* Tells the supervisor waiting for the caller that it has started (once). */
WARREN_IMPORT("init_ack")
int32_t warren_init_ack(void);

/* Tells the caller's supervisor that it ignores its start (OTP's `ignore`):
 * the supervisor keeps its spec with no process and does not restart it.
 * Call it instead of warren_init_ack, then exit normally. */
WARREN_IMPORT("init_ignore")
int32_t warren_init_ignore(void);

/* =============================================================== helpers */

/* Expands to a string literal and its length (without the NUL):
 *   warren_spawn(WARREN_STR("worker"), &arg, sizeof arg);              */
#define WARREN_STR(literal) (literal), (uint32_t)(sizeof(literal) - 1)

/* The tag of a cast to a Rust SDK GenServer (gen_server::TAG_CAST, "WARREN"
 * then 1): a C server that takes casts from Rust clients, or a C client of
 * a Rust GenServer, uses it; the payload is a term. */
static const warren_tag_t warren_tag_cast = 0x57415252454E0001LL;

/* Length of a NUL-terminated string (no libc needed). */
static inline uint32_t warren_strlen(const char *s) {
    uint32_t n = 0;
    while (s[n] != 0) n++;
    return n;
}

/* Little-endian loads and stores at any alignment (payloads are packed). */
static inline uint64_t warren_load_u64(const void *p) {
    const uint8_t *b = (const uint8_t *)p;
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | b[i];
    return v;
}
static inline uint32_t warren_load_u32(const void *p) {
    const uint8_t *b = (const uint8_t *)p;
    return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}
static inline void warren_store_u64(void *p, uint64_t v) {
    uint8_t *b = (uint8_t *)p;
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
}
static inline void warren_store_u32(void *p, uint32_t v) {
    uint8_t *b = (uint8_t *)p;
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
}

/* ------------------------------------------------------------- receiving */

/* Waits for the oldest message with the one tag `tag`. */
static inline int32_t warren_receive_tag(warren_tag_t tag, int64_t timeout_ms) {
    warren_tag_t filter[1] = {tag};
    return warren_receive(filter, 1, timeout_ms);
}

/* Waits for the oldest message, whatever its tag. */
static inline int32_t warren_receive_any(int64_t timeout_ms) {
    return warren_receive(0, 0, timeout_ms);
}

/* A message taken by warren_receive_msg. */
typedef struct {
    warren_tag_t tag;     /* its tag */
    warren_pid_t sender;  /* who sent it (the host sets it: it cannot be forged) */
    uint32_t size;        /* its whole length (more than `cap` bytes: read the rest with warren_msg_read) */
    uint32_t copied;      /* how many bytes of it are at `data` */
} warren_msg_t;

/* Waits for the oldest message whose tag is one of the `count` tags at
 * `tags` (count 0: any), for `timeout_ms`, and copies its first `cap`
 * bytes to `data`. Returns its length (and fills *msg), or
 * WARREN_ERR_TIMEOUT. The message stays current (warren_msg_read). */
static inline int32_t warren_receive_msg(const warren_tag_t *tags, uint32_t count,
                                         int64_t timeout_ms, warren_msg_t *msg,
                                         void *data, uint32_t cap) {
    int32_t size = warren_receive(tags, count, timeout_ms);
    if (size < 0) return size;
    msg->tag = warren_msg_tag();
    msg->sender = warren_msg_sender();
    msg->size = (uint32_t)size;
    int32_t copied = cap ? warren_msg_read(0, data, cap) : 0;
    msg->copied = copied < 0 ? 0 : (uint32_t)copied;
    return size;
}

/* A WARREN_TAG_EXIT payload: [from: i64][kind: i32][detail]. */
typedef struct {
    warren_pid_t from;     /* the process the exit signal comes from */
    int32_t kind;          /* WARREN_REASON_* */
    const uint8_t *detail; /* points into the payload */
    uint32_t detail_len;
} warren_exit_t;

/* Reads an EXIT payload; WARREN_OK, or WARREN_ERR_BADARG if too short. */
static inline int32_t warren_parse_exit(const void *payload, uint32_t len, warren_exit_t *out) {
    const uint8_t *p = (const uint8_t *)payload;
    if (len < 12) return WARREN_ERR_BADARG;
    out->from = (warren_pid_t)warren_load_u64(p);
    out->kind = (int32_t)warren_load_u32(p + 8);
    out->detail = p + 12;
    out->detail_len = len - 12;
    return WARREN_OK;
}

/* A WARREN_TAG_DOWN payload: [ref: i64][pid: i64][kind: i32][detail]. */
typedef struct {
    warren_ref_t ref;      /* the monitor's reference */
    warren_pid_t pid;      /* the process that exited */
    int32_t kind;          /* WARREN_REASON_* */
    const uint8_t *detail; /* points into the payload */
    uint32_t detail_len;
} warren_down_t;

/* Reads a DOWN payload; WARREN_OK, or WARREN_ERR_BADARG if too short. */
static inline int32_t warren_parse_down(const void *payload, uint32_t len, warren_down_t *out) {
    const uint8_t *p = (const uint8_t *)payload;
    if (len < 20) return WARREN_ERR_BADARG;
    out->ref = (warren_ref_t)warren_load_u64(p);
    out->pid = (warren_pid_t)warren_load_u64(p + 8);
    out->kind = (int32_t)warren_load_u32(p + 16);
    out->detail = p + 20;
    out->detail_len = len - 20;
    return WARREN_OK;
}

/* ----------------------------------------------------------------- calls */

/* A request taken from a WARREN_TAG_CALL (or WARREN_TAG_SYSTEM) message. */
typedef struct {
    warren_pid_t from;      /* the caller: answer with warren_reply(from, token, ...) */
    int64_t token;          /* the call's token */
    const uint8_t *request; /* points into the payload */
    uint32_t len;
} warren_call_t;

/* Reads a call's payload ([token: i64][request]) sent by `sender`;
 * WARREN_OK, or WARREN_ERR_BADARG if too short. */
static inline int32_t warren_parse_call(warren_pid_t sender, const void *payload, uint32_t len,
                                        warren_call_t *out) {
    const uint8_t *p = (const uint8_t *)payload;
    if (len < 8) return WARREN_ERR_BADARG;
    out->from = sender;
    out->token = (int64_t)warren_load_u64(p);
    out->request = p + 8;
    out->len = len - 8;
    return WARREN_OK;
}

/* Calls `pid` with `request`, waiting at most `timeout_ms` (or
 * WARREN_INFINITY), and copies the reply's first `cap` bytes to `reply`.
 * Returns the reply's whole length, or WARREN_ERR_TIMEOUT,
 * WARREN_ERR_NOPROC / WARREN_ERR_EXITED (the current message is the DOWN:
 * warren_msg_read it into a warren_down_t for the reason), _BADARG, _LIMIT. */
static inline int32_t warren_call_timeout(warren_pid_t pid, const void *request, uint32_t len,
                                          int64_t timeout_ms, void *reply, uint32_t cap) {
    int32_t size = warren_call(pid, request, len, timeout_ms);
    if (size < 0) return size;
    if (cap) warren_msg_read(0, reply, cap);
    return size;
}

/* -------------------------------------------------------- building bytes */

/* A byte buffer the caller owns, for options blocks, child specs and table
 * records. Writing past `cap` writes nothing more and sets `err` to
 * WARREN_ERR_LIMIT; check it once at the end. */
typedef struct {
    uint8_t *data;
    uint32_t cap;
    uint32_t len;
    int32_t err;
} warren_buf_t;

/* Starts an empty buffer over `data` (`cap` bytes). */
static inline void warren_buf_init(warren_buf_t *b, void *data, uint32_t cap) {
    b->data = (uint8_t *)data;
    b->cap = cap;
    b->len = 0;
    b->err = WARREN_OK;
}

/* Appends `n` bytes (or sets err). */
static inline void warren_buf_put(warren_buf_t *b, const void *src, uint32_t n) {
    if (b->err != WARREN_OK || n > b->cap - b->len) {
        b->err = WARREN_ERR_LIMIT;
        return;
    }
    const uint8_t *s = (const uint8_t *)src;
    for (uint32_t i = 0; i < n; i++) b->data[b->len + i] = s[i];
    b->len += n;
}
static inline void warren_buf_u8(warren_buf_t *b, uint8_t v) { warren_buf_put(b, &v, 1); }
static inline void warren_buf_u32(warren_buf_t *b, uint32_t v) {
    uint8_t le[4];
    warren_store_u32(le, v);
    warren_buf_put(b, le, 4);
}
static inline void warren_buf_u64(warren_buf_t *b, uint64_t v) {
    uint8_t le[8];
    warren_store_u64(le, v);
    warren_buf_put(b, le, 8);
}
/* Appends [len: u32 LE][bytes]. */
static inline void warren_buf_sized(warren_buf_t *b, const void *src, uint32_t n) {
    warren_buf_u32(b, n);
    warren_buf_put(b, src, n);
}

/* ---------------------------------------------------- spawn options block */

static inline void warren_opts_record(warren_buf_t *b, uint32_t key, const void *bytes, uint32_t n) {
    warren_buf_u32(b, key);
    warren_buf_sized(b, bytes, n);
}
static inline void warren_opts_u64(warren_buf_t *b, uint32_t key, uint64_t v) {
    uint8_t le[8];
    warren_store_u64(le, v);
    warren_opts_record(b, key, le, 8);
}
/* The child's largest linear memory, in bytes. */
static inline void warren_opts_max_memory(warren_buf_t *b, uint64_t bytes) { warren_opts_u64(b, WARREN_OPT_MAX_MEMORY, bytes); }
/* The total fuel the child may use. */
static inline void warren_opts_max_fuel(warren_buf_t *b, uint64_t fuel) { warren_opts_u64(b, WARREN_OPT_MAX_FUEL, fuel); }
/* The most messages the child's mailbox may hold. */
static inline void warren_opts_max_mailbox(warren_buf_t *b, uint64_t n) { warren_opts_u64(b, WARREN_OPT_MAX_MAILBOX, n); }
/* The child may not spawn. */
static inline void warren_opts_deny_spawn(warren_buf_t *b) { warren_opts_record(b, WARREN_OPT_DENY_SPAWN, 0, 0); }
/* The child may not print. */
static inline void warren_opts_deny_print(warren_buf_t *b) { warren_opts_record(b, WARREN_OPT_DENY_PRINT, 0, 0); }
/* Keep the caller's directory at guest path `path` (read-only if asked). */
static inline void warren_opts_dir(warren_buf_t *b, int read_only, const char *path, uint32_t len) {
    warren_buf_u32(b, WARREN_OPT_DIR);
    warren_buf_u32(b, len + 1);
    warren_buf_u8(b, read_only ? 1 : 0);
    warren_buf_put(b, path, len);
}
/* One environment variable, "KEY=VALUE". */
static inline void warren_opts_env(warren_buf_t *b, const char *entry, uint32_t len) { warren_opts_record(b, WARREN_OPT_ENV, entry, len); }
/* Keep none of the caller's directories but those warren_opts_dir names. */
static inline void warren_opts_no_dirs(warren_buf_t *b) { warren_opts_record(b, WARREN_OPT_NO_DIRS, 0, 0); }
/* An empty environment but for warren_opts_env. */
static inline void warren_opts_clear_env(warren_buf_t *b) { warren_opts_record(b, WARREN_OPT_CLEAR_ENV, 0, 0); }

/* ---------------------------------------------------------- child specs */

/* A child of a supervisor spec (docs/ABI.md "The spec format"). Start from
 * warren_worker_child() and change what differs. */
typedef struct {
    uint8_t restart;      /* WARREN_RESTART_* */
    uint8_t type;         /* WARREN_CHILD_WORKER or WARREN_CHILD_SUPERVISOR */
    uint8_t significant;  /* 0 or 1 (needs an auto_shutdown) */
    uint8_t shutdown;     /* WARREN_SHUTDOWN_* */
    uint32_t shutdown_ms; /* for WARREN_SHUTDOWN_TIMEOUT */
    uint32_t ack_ms;      /* wait for warren_init_ack this long, or WARREN_SPEC_NONE */
    const char *id; uint32_t id_len;
    const char *module; uint32_t module_len; /* worker: the module's name */
    const char *entry; uint32_t entry_len;   /* worker: its entry export */
    const void *arg; uint32_t arg_len;       /* worker: its argument */
    const void *spec; uint32_t spec_len;     /* supervisor: the nested spec */
    const void *opts; uint32_t opts_len;     /* its spawn options block (0: none) */
} warren_child_t;

/* A permanent worker `id` on export `entry` of module `module`, stopped
 * with shutdown then kill after 5000 ms, started without waiting for an ack. */
static inline warren_child_t warren_worker_child(const char *id, const char *module, const char *entry,
                                                 const void *arg, uint32_t arg_len) {
    warren_child_t c;
    c.restart = WARREN_RESTART_PERMANENT;
    c.type = WARREN_CHILD_WORKER;
    c.significant = 0;
    c.shutdown = WARREN_SHUTDOWN_TIMEOUT;
    c.shutdown_ms = 5000;
    c.ack_ms = (uint32_t)WARREN_SPEC_NONE;
    c.id = id; c.id_len = warren_strlen(id);
    c.module = module; c.module_len = warren_strlen(module);
    c.entry = entry; c.entry_len = warren_strlen(entry);
    c.arg = arg; c.arg_len = arg_len;
    c.spec = 0; c.spec_len = 0;
    c.opts = 0; c.opts_len = 0;
    return c;
}

/* A child supervisor `id` running the spec at `spec` (shutdown infinity). */
static inline warren_child_t warren_supervisor_child(const char *id, const void *spec, uint32_t spec_len) {
    warren_child_t c = warren_worker_child(id, "", "", 0, 0);
    c.type = WARREN_CHILD_SUPERVISOR;
    c.shutdown = WARREN_SHUTDOWN_INFINITY;
    c.spec = spec; c.spec_len = spec_len;
    return c;
}

/* Appends a child record (without its length: what WARREN_SUP_START_CHILD
 * takes). */
static inline void warren_child_record(warren_buf_t *b, const warren_child_t *c) {
    warren_buf_u8(b, c->restart);
    warren_buf_u8(b, c->type);
    warren_buf_u8(b, c->significant);
    warren_buf_u8(b, c->shutdown);
    warren_buf_u32(b, c->shutdown_ms);
    warren_buf_u32(b, c->ack_ms);
    warren_buf_sized(b, c->id, c->id_len);
    if (c->type == WARREN_CHILD_SUPERVISOR) {
        warren_buf_sized(b, c->spec, c->spec_len);
    } else {
        warren_buf_sized(b, c->module, c->module_len);
        warren_buf_sized(b, c->entry, c->entry_len);
        warren_buf_sized(b, c->arg, c->arg_len);
    }
    warren_buf_sized(b, c->opts, c->opts_len);
}

/* Starts a spec in `b` (which must be empty): its 20-byte header, with no
 * children yet. `max_children` is WARREN_SPEC_NONE but for a dynamic
 * supervisor. */
static inline void warren_spec_begin(warren_buf_t *b, uint8_t strategy, uint8_t auto_shutdown,
                                     uint32_t intensity, uint32_t period_ms, uint32_t max_children) {
    warren_buf_u8(b, strategy);
    warren_buf_u8(b, auto_shutdown);
    warren_buf_u8(b, 0);
    warren_buf_u8(b, 0);
    warren_buf_u32(b, intensity);
    warren_buf_u32(b, period_ms);
    warren_buf_u32(b, max_children);
    warren_buf_u32(b, 0);
}

/* Appends a child to the spec in `b` ([length][record]) and counts it. */
static inline void warren_spec_child(warren_buf_t *b, const warren_child_t *c) {
    if (b->err != WARREN_OK || b->len < 20) {
        b->err = WARREN_ERR_LIMIT;
        return;
    }
    uint32_t at = b->len;
    warren_buf_u32(b, 0);
    warren_child_record(b, c);
    if (b->err != WARREN_OK) return;
    warren_store_u32(b->data + at, b->len - at - 4);
    warren_store_u32(b->data + 16, warren_load_u32(b->data + 16) + 1);
}

/* A WARREN_TAG_SUPERVISOR_REPLY payload: [request id: i64][result: i64][data]. */
typedef struct {
    int64_t request;     /* the id warren_supervisor_request returned */
    int64_t result;      /* a pid, a count, WARREN_OK or an error */
    const uint8_t *data; /* points into the payload */
    uint32_t len;
} warren_sup_reply_t;

/* Reads a supervisor's reply; WARREN_OK, or WARREN_ERR_BADARG if too short. */
static inline int32_t warren_parse_sup_reply(const void *payload, uint32_t len, warren_sup_reply_t *out) {
    const uint8_t *p = (const uint8_t *)payload;
    if (len < 16) return WARREN_ERR_BADARG;
    out->request = (int64_t)warren_load_u64(p);
    out->result = (int64_t)warren_load_u64(p + 8);
    out->data = p + 16;
    out->len = len - 16;
    return WARREN_OK;
}

/* ---------------------------------------------------------------- tables */

/* The record warren_table_info writes, read with warren_table_info_get. */
typedef struct {
    warren_tid_t id;
    warren_pid_t owner;
    warren_pid_t heir;  /* 0: none */
    int64_t size;       /* objects */
    int64_t keys;       /* distinct keys */
    int64_t memory;     /* bytes */
    int64_t max_bytes;  /* 0: none */
    int32_t kind;       /* WARREN_TABLE_* */
    int32_t access;     /* WARREN_ACCESS_* */
} warren_table_info_t;

/* Reads the table's info; WARREN_OK or an error (WARREN_ERR_NO_SUCH_TABLE). */
static inline int32_t warren_table_info_get(warren_tid_t tid, warren_table_info_t *out) {
    uint8_t raw[WARREN_TABLE_INFO_SIZE];
    int32_t n = warren_table_info(tid, raw, sizeof raw);
    if (n < 0) return n;
    out->id = (warren_tid_t)warren_load_u64(raw);
    out->owner = (warren_pid_t)warren_load_u64(raw + 8);
    out->heir = (warren_pid_t)warren_load_u64(raw + 16);
    out->size = (int64_t)warren_load_u64(raw + 24);
    out->keys = (int64_t)warren_load_u64(raw + 32);
    out->memory = (int64_t)warren_load_u64(raw + 40);
    out->max_bytes = (int64_t)warren_load_u64(raw + 48);
    out->kind = (int32_t)warren_load_u32(raw + 56);
    out->access = (int32_t)warren_load_u32(raw + 60);
    return WARREN_OK;
}

/* Appends one record [key_len][key][value_len][value] (for
 * warren_table_insert_many). */
static inline void warren_records_put(warren_buf_t *b, const void *key, uint32_t key_len,
                                      const void *value, uint32_t value_len) {
    warren_buf_sized(b, key, key_len);
    warren_buf_sized(b, value, value_len);
}

/* One record of a table result. */
typedef struct {
    const uint8_t *key; uint32_t key_len;
    const uint8_t *value; uint32_t value_len;
} warren_record_t;

/* Reads the record at *offset of `data` (`len` bytes) and moves *offset
 * past it: 1, or 0 at the end, or WARREN_ERR_BADARG if the bytes are not
 * whole records. */
static inline int32_t warren_records_next(const void *data, uint32_t len, uint32_t *offset,
                                          warren_record_t *out) {
    const uint8_t *p = (const uint8_t *)data;
    uint32_t at = *offset;
    if (at == len) return 0;
    if (at > len || len - at < 4) return WARREN_ERR_BADARG;
    uint32_t key_len = warren_load_u32(p + at);
    at += 4;
    if (len - at < key_len) return WARREN_ERR_BADARG;
    out->key = p + at; out->key_len = key_len;
    at += key_len;
    if (len - at < 4) return WARREN_ERR_BADARG;
    uint32_t value_len = warren_load_u32(p + at);
    at += 4;
    if (len - at < value_len) return WARREN_ERR_BADARG;
    out->value = p + at; out->value_len = value_len;
    *offset = at + value_len;
    return 1;
}

#ifdef __cplusplus
}
#endif

#endif /* WARREN_H */
