/*
 * warren.h - the Warren guest ABI, version 1, for C guests.
 *
 * This header declares every host function of the module "warren_v1" as
 * described in docs/ABI.md, with its error codes and reason kinds. It needs no
 * libc: compile a guest with
 *
 *   clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export-dynamic \
 *         -Wl,--allow-undefined -o guest.wasm guest.c
 *
 * and give each entry point a wasm export name, for example
 *
 *   WARREN_EXPORT("main") void my_main(void) { ... }
 *
 * (an entry must be `void f(void)`; a handler `int32_t f(void)`). wasm-ld
 * exports the linear memory as "memory", which the host needs.
 *
 * Conventions (see docs/ABI.md):
 * - pointers and lengths are 32-bit (lengths are read as unsigned); pids,
 *   tags and timeouts are 64-bit;
 * - a negative return value is an error code (WARREN_ERR_*);
 * - the guest always allocates: the host copies out of the guest's memory on
 *   send/spawn, and into it only into buffers the guest passes;
 * - a (pointer, length) pair outside linear memory traps the calling process.
 */
#ifndef WARREN_H
#define WARREN_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Declares a function imported from the host module "warren_v1". */
#define WARREN_IMPORT(name) \
    __attribute__((import_module("warren_v1"), import_name(name)))

/* Gives a guest function the wasm export name `name`. */
#define WARREN_EXPORT(name) __attribute__((export_name(name), used))

/* A pid: a non-zero i64 that names one process, never reused. */
typedef int64_t warren_pid_t;
/* A message tag: >= 0 for guests, < 0 reserved for the host. */
typedef int64_t warren_tag_t;

/* ------------------------------------------------------------ error codes */

#define WARREN_OK                   0  /* success */
#define WARREN_ERR_BADARG         (-1) /* malformed argument: bad UTF-8, negative tag, unknown reason kind, negative length */
#define WARREN_ERR_NO_SUCH_EXPORT (-2) /* no such export, or wrong type: () -> () for entries, () -> i32 for handlers */
#define WARREN_ERR_NO_SUCH_MODULE (-3) /* no module of that name is loaded on the node */
#define WARREN_ERR_NOT_PERMITTED  (-4) /* the process's capabilities do not allow this */
#define WARREN_ERR_LIMIT          (-5) /* a node or process limit was reached (process table full, message too large) */
#define WARREN_ERR_TIMEOUT        (-6) /* receive timed out, or found nothing when polling */
#define WARREN_ERR_NO_MESSAGE     (-7) /* there is no current message to read */

/* ----------------------------------------------------------- reason kinds */

#define WARREN_REASON_NORMAL   0 /* normal exit */
#define WARREN_REASON_SHUTDOWN 1 /* orderly shutdown (detail optional) */
#define WARREN_REASON_CUSTOM   2 /* any other reason given by a guest (detail = bytes) */
#define WARREN_REASON_KILL     3 /* reserved: the untrappable exit signal */
#define WARREN_REASON_KILLED   4 /* reserved: the reason of a process that got kill */
#define WARREN_REASON_NOPROC   5 /* reserved: the target did not exist */
#define WARREN_REASON_TRAP     6 /* the process trapped (detail = trap text) */
#define WARREN_REASON_LIMIT    7 /* the process hit a limit (detail names it) */

/* ------------------------------------------------------------ supervisors */

#define WARREN_ERR_ALREADY_PRESENT (-26) /* Error: a supervisor holds a child with that id already (not running). */
#define WARREN_ERR_ALREADY_STARTED (-27) /* Error: a supervisor runs a child with that id already (its pid follows in the reply). */
#define WARREN_ERR_RUNNING (-28) /* Error: the child runs (terminate it first). */
#define WARREN_ERR_START_FAILED (-29) /* Error: the child did not start (its reason follows in the reply). */
#define WARREN_TAG_ACK (-103) /* Tag of the message a process gets from a child it waits for (a supervisor's child, a supervisor it started) when the child calls `init_ack`, or when a supervisor's children have all started. Empty payload; the sender is the child. */
#define WARREN_TAG_SUPERVISOR_REPLY (-104) /* Tag of a supervisor's answer to `supervisor_request`. Payload (LE): `[request id: i64][result: i64][data bytes]` (see docs/ABI.md). */
#define WARREN_STRATEGY_ONE_FOR_ONE 0 /* Supervisor strategy: restart only the child that exited. */
#define WARREN_STRATEGY_ONE_FOR_ALL 1 /* Supervisor strategy: restart every child. */
#define WARREN_STRATEGY_REST_FOR_ONE 2 /* Supervisor strategy: restart the child and those started after it. */
#define WARREN_STRATEGY_SIMPLE_ONE_FOR_ONE 3 /* Supervisor strategy: a dynamic supervisor (one template). */
#define WARREN_AUTO_SHUTDOWN_NEVER 0 /* `auto_shutdown`: never. */
#define WARREN_AUTO_SHUTDOWN_ANY_SIGNIFICANT 1 /* `auto_shutdown`: when any significant child ends. */
#define WARREN_AUTO_SHUTDOWN_ALL_SIGNIFICANT 2 /* `auto_shutdown`: when every significant child has ended. */
#define WARREN_RESTART_PERMANENT 0 /* Child restart: always. */
#define WARREN_RESTART_TRANSIENT 1 /* Child restart: after an abnormal exit only. */
#define WARREN_RESTART_TEMPORARY 2 /* Child restart: never. */
#define WARREN_SHUTDOWN_TIMEOUT 0 /* Child shutdown: exit signal `shutdown`, then `kill` after its timeout. */
#define WARREN_SHUTDOWN_BRUTAL_KILL 1 /* Child shutdown: exit signal `kill` at once. */
#define WARREN_SHUTDOWN_INFINITY 2 /* Child shutdown: exit signal `shutdown`, waiting as long as it takes. */
#define WARREN_CHILD_WORKER 0 /* Child type: a wasm process. */
#define WARREN_CHILD_SUPERVISOR 1 /* Child type: a nested supervisor. */
#define WARREN_SPEC_NONE 4294967295 /* A 32-bit count or time in a spec that means "none" (no limit, no acknowledgement). */
#define WARREN_SUP_START_CHILD 1 /* `supervisor_request` operation: start a child (a child record, or a dynamic supervisor's argument bytes). */
#define WARREN_SUP_TERMINATE_CHILD 2 /* `supervisor_request` operation: stop a child (its id, or for a dynamic supervisor its pid as 8 bytes). */
#define WARREN_SUP_RESTART_CHILD 3 /* `supervisor_request` operation: start a stopped child again (its id). */
#define WARREN_SUP_DELETE_CHILD 4 /* `supervisor_request` operation: forget a stopped child (its id). */
#define WARREN_SUP_WHICH_CHILDREN 5 /* `supervisor_request` operation: list the children. */
#define WARREN_SUP_COUNT_CHILDREN 6 /* `supervisor_request` operation: count the children. */

/* ------------------------------------------------------- receive timeouts */

#define WARREN_INFINITY (-1) /* receive: wait forever */
#define WARREN_POLL       0  /* receive: do not wait, only look */

/* -------------------------------------------------------------- processes */

/* The caller's own pid. */
WARREN_IMPORT("self")
warren_pid_t warren_self(void);

/* The pid of the process that spawned the caller (its supervisor, for a
 * supervisor's child); 0 if the host spawned it. */
WARREN_IMPORT("parent")
warren_pid_t warren_parent(void);

/*
 * Starts a new process running export `entry` (type () -> ()) of the caller's
 * own module, with a copy of the `arg_len` bytes at `arg` as its argument.
 * The child gets a fresh instance (own memory, own globals) and inherits the
 * caller's capabilities and limits.
 * Returns the new pid (> 0) or WARREN_ERR_NO_SUCH_EXPORT, _NOT_PERMITTED,
 * _LIMIT, _BADARG.
 */
WARREN_IMPORT("spawn")
warren_pid_t warren_spawn(const char *entry, uint32_t entry_len,
                          const void *arg, uint32_t arg_len);

/*
 * As warren_spawn, for export `entry` of another module loaded on the node
 * under the name `module`. WARREN_ERR_NO_SUCH_MODULE if there is none.
 */
WARREN_IMPORT("spawn_module")
warren_pid_t warren_spawn_module(const char *module, uint32_t module_len,
                                 const char *entry, uint32_t entry_len,
                                 const void *arg, uint32_t arg_len);

/* spawn_opts flags. */
#define WARREN_SPAWN_LINK    1 /* link the child to the caller */
#define WARREN_SPAWN_MONITOR 2 /* monitor the child; the reference goes to *ref_out */

/*
 * Keys of the records of a spawn options block. A block is a sequence of
 * records [key: u32 LE][len: u32 LE][len bytes], in any order; the empty
 * block changes nothing. See docs/ABI.md, "Limits and capabilities".
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

/*
 * As warren_spawn_module (module_len = 0: the caller's own module), with the
 * child's limits and capabilities narrowed by the options block at `options`
 * (they can only be narrowed: a limit larger than the caller's is the
 * caller's), atomically linked and/or monitored by `flags` (WARREN_SPAWN_LINK,
 * WARREN_SPAWN_MONITOR: the monitor reference is written at `ref_out`).
 * Returns the new pid (> 0) or WARREN_ERR_BADARG (also for a malformed block
 * or a directory the caller does not have), _NOT_PERMITTED, _NO_SUCH_MODULE,
 * _NO_SUCH_EXPORT, _LIMIT.
 */
WARREN_IMPORT("spawn_opts")
warren_pid_t warren_spawn_opts(const char *module, uint32_t module_len,
                               const char *entry, uint32_t entry_len,
                               const void *arg, uint32_t arg_len,
                               const void *options, uint32_t options_len,
                               int32_t flags, int64_t *ref_out);

/* Length in bytes of the argument the process was spawned with (0: none). */
WARREN_IMPORT("arg_size")
int32_t warren_arg_size(void);

/*
 * Copies min(dst_len, arg_size) bytes of the spawn argument to `dst`.
 * Returns the number of bytes copied.
 */
WARREN_IMPORT("arg_read")
int32_t warren_arg_read(void *dst, uint32_t dst_len);

/*
 * Ends the calling process now; never returns. `kind` is
 * WARREN_REASON_NORMAL, _SHUTDOWN or _CUSTOM (any other kind traps).
 * `detail` is free bytes kept in the reason (may be empty).
 */
WARREN_IMPORT("exit")
_Noreturn void warren_exit(int32_t kind, const void *detail, uint32_t detail_len);

/* Gives up the rest of the current time slice. */
WARREN_IMPORT("yield_now")
void warren_yield_now(void);

/*
 * Makes the process handler-style: once the entry function returns, the
 * process stays alive and the host calls export `name` (type () -> i32) once
 * per message, with that message current. The handler returns 0 to stay
 * alive, anything else to end normally.
 * Returns WARREN_OK or WARREN_ERR_NO_SUCH_EXPORT.
 */
WARREN_IMPORT("set_handler")
int32_t warren_set_handler(const char *name, uint32_t name_len);

/* --------------------------------------------------------------- messages */

/*
 * Sends a copy of the `len` bytes at `data` to `pid` with `tag`.
 * Returns WARREN_OK, also when `pid` is dead or never existed (the message is
 * dropped), WARREN_ERR_BADARG for a negative tag, WARREN_ERR_LIMIT for a
 * message larger than the node's maximum (64 MiB by default). Messages from
 * one sender to one receiver arrive in the order they were sent.
 */
WARREN_IMPORT("send")
int32_t warren_send(warren_pid_t pid, warren_tag_t tag,
                    const void *data, uint32_t len);

/*
 * Waits for the oldest message whose tag is one of the `tags_count` tags at
 * `tags` (tags_count 0: any message); the others stay queued, in order.
 * `timeout_ms`: WARREN_INFINITY (-1) waits forever, WARREN_POLL (0) only
 * looks, > 0 waits at most that many milliseconds.
 * Returns the message's length (>= 0) and makes it the current message, or
 * WARREN_ERR_TIMEOUT.
 */
WARREN_IMPORT("receive")
int32_t warren_receive(const warren_tag_t *tags, uint32_t tags_count,
                       int64_t timeout_ms);

/*
 * As warren_receive, and the message taken is also written to `buf`: its
 * tag (int64 LE), its sender's pid (int64 LE), then its first
 * min(size, buf_len - 16) bytes. Returns the message's whole length (read
 * what did not fit with warren_msg_read from offset buf_len - 16), or an
 * error; buf_len below 16 is WARREN_ERR_BADARG. Nothing is written when no
 * message is taken.
 */
WARREN_IMPORT("receive_into")
int32_t warren_receive_into(const warren_tag_t *tags, uint32_t tags_count,
                            int64_t timeout_ms, void *buf, uint32_t buf_len);

/* ------------------------------------------------------------------ calls */

#define WARREN_ERR_EXITED (-30) /* Error: the process called exited before it replied; the current message is its DOWN. */
#define WARREN_TAG_CALL (-105)  /* A call's request. Payload (LE): [token: i64][request bytes]; the sender is the caller. */
#define WARREN_TAG_REPLY (-106) /* Tag of the current message after a call that got its reply. */
#define WARREN_TAG_SYSTEM (-107) /* A system request. Payload (LE): [token: i64][request: a term]; the sender is the asker. */

/*
 * gen_server:call: sends `pid` the request as a WARREN_TAG_CALL message and
 * waits for its reply (returns its length; the reply is the current
 * message), for `timeout_ms` (WARREN_INFINITY waits forever;
 * WARREN_ERR_TIMEOUT), or for the callee's death (WARREN_ERR_NOPROC or
 * WARREN_ERR_EXITED; the current message is its DOWN, with the reason).
 * A reply that comes after the timeout never reaches the mailbox.
 */
WARREN_IMPORT("call")
int32_t warren_call(warren_pid_t pid, const void *request, uint32_t len,
                    int64_t timeout_ms);

/* As warren_call, to the process registered under `name`
 * (WARREN_ERR_NOPROC if nobody holds it). */
WARREN_IMPORT("call_named")
int32_t warren_call_named(const char *name, uint32_t name_len,
                          const void *request, uint32_t len,
                          int64_t timeout_ms);

/* As warren_call, with the request sent as a system request
 * (WARREN_TAG_SYSTEM; request and answer are terms: docs/ABI.md "System
 * messages"). */
WARREN_IMPORT("system_call")
int32_t warren_system_call(warren_pid_t pid, const void *request,
                           uint32_t len, int64_t timeout_ms);

/* Answers the call `token` of `pid` (the request's sender, and the token
 * in its payload). WARREN_OK also when the reply is dropped (the caller
 * gave up, is gone, or has its reply). */
WARREN_IMPORT("reply")
int32_t warren_reply(warren_pid_t pid, int64_t token, const void *data,
                     uint32_t len);

/* Tag of the current message, or WARREN_ERR_NO_MESSAGE. */
WARREN_IMPORT("msg_tag")
warren_tag_t warren_msg_tag(void);

/* Pid of the current message's sender, or WARREN_ERR_NO_MESSAGE. */
WARREN_IMPORT("msg_sender")
warren_pid_t warren_msg_sender(void);

/* Length of the current message, or WARREN_ERR_NO_MESSAGE. */
WARREN_IMPORT("msg_size")
int32_t warren_msg_size(void);

/*
 * Copies min(dst_len, size - offset) bytes of the current message, starting
 * at `offset`, to `dst`. Returns the number copied (0 when offset >= size),
 * or WARREN_ERR_NO_MESSAGE.
 * The current message stays readable until the next call of receive (or
 * receive_into), whatever it returns (or, in a handler, until the handler
 * returns).
 */
WARREN_IMPORT("msg_read")
int32_t warren_msg_read(uint32_t offset, void *dst, uint32_t dst_len);

/* ---------------------------------------------------------------- helpers */

/* Expands to a string literal and its length (without the NUL):
 *   warren_spawn(WARREN_STR("worker"), &arg, sizeof arg);              */
#define WARREN_STR(literal) (literal), (uint32_t)(sizeof(literal) - 1)

/* Waits for the oldest message with the one tag `tag`. */
static inline int32_t warren_receive_tag(warren_tag_t tag, int64_t timeout_ms) {
    warren_tag_t filter[1] = {tag};
    return warren_receive(filter, 1, timeout_ms);
}

/* Waits for the oldest message, whatever its tag. */
static inline int32_t warren_receive_any(int64_t timeout_ms) {
    return warren_receive(0, 0, timeout_ms);
}

/* Starts a supervisor for the spec (docs/ABI.md, "Supervisors"), linked to
 * the caller; returns its pid, or an error. It sends WARREN_TAG_ACK once its
 * children have started. */
WARREN_IMPORT("supervisor_start")
int64_t warren_supervisor_start(const void *spec, int32_t spec_len);

/* Sends operation op (WARREN_SUP_*) to a supervisor; returns the request id
 * that its WARREN_TAG_SUPERVISOR_REPLY answer repeats, or an error. */
WARREN_IMPORT("supervisor_request")
int64_t warren_supervisor_request(warren_pid_t sup, int32_t op, const void *arg, int32_t arg_len);

/* Tells the supervisor waiting for the caller that it has started, once. */
WARREN_IMPORT("init_ack")
int32_t warren_init_ack(void);

#ifdef __cplusplus
}
#endif

#endif /* WARREN_H */
