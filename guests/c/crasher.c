/*
 * crasher.c - a worker that crashes on a bad message, and a watcher that
 * sees the crash both ways Erlang offers: through a link (trapping exits)
 * and through a monitor.
 *
 * Exports:
 *   worker  answers `{double, N}` (a term) from any sender with `{ok, 2N}`
 *           (tag 1); any other message is a bug it does not handle: it
 *           traps (`__builtin_trap`, wasm `unreachable`), and its exit
 *           reason is REASON_TRAP with the trap text.
 *   watch   argument: [reporter: i64 LE]. Traps exits, spawns `worker`
 *           linked and monitored at once (spawn_opt), and reports: tag 1
 *           [worker pid: i64][monitor ref: i64]; tag 2 the EXIT payload it
 *           gets; tag 3 the DOWN payload it gets (both as the host made
 *           them: docs/ABI.md "Messages made by the host"). Then returns.
 */
#include "warren.h"
#include "warren_term.h"

WARREN_EXPORT("worker")
void worker(void) {
    uint8_t in[256];
    uint8_t out[64];
    for (;;) {
        warren_msg_t msg;
        if (warren_receive_msg(0, 0, WARREN_INFINITY, &msg, in, sizeof in) < 0) continue;
        warren_term_reader r;
        uint32_t arity;
        int64_t n;
        if (msg.size > sizeof in || warren_term_reader_init(&r, in, msg.size) != WARREN_TERM_OK ||
            warren_term_get_tuple(&r, &arity) != WARREN_TERM_OK || arity != 2 ||
            warren_term_match_atom(&r, WARREN_STR("double")) != 1 || warren_term_get_int(&r, &n) != WARREN_TERM_OK)
            __builtin_trap();
        warren_term_writer w;
        warren_term_writer_init(&w, out, sizeof out);
        warren_term_put_tuple(&w, 2);
        warren_term_put_atom(&w, WARREN_STR("ok"));
        warren_term_put_int(&w, 2 * n);
        int32_t len = warren_term_writer_finish(&w);
        if (len > 0) warren_send(msg.sender, 1, out, (uint32_t)len);
    }
}

/* Waits for a message with `tag` and forwards its payload to `to`. */
static void forward(warren_tag_t tag, warren_pid_t to, warren_tag_t as) {
    uint8_t payload[1024];
    warren_msg_t msg;
    if (warren_receive_msg(&tag, 1, WARREN_INFINITY, &msg, payload, sizeof payload) < 0) return;
    warren_send(to, as, payload, msg.copied);
}

WARREN_EXPORT("watch")
void watch(void) {
    warren_pid_t reporter;
    if (warren_arg_read(&reporter, sizeof reporter) != (int32_t)sizeof reporter)
        warren_exit(WARREN_REASON_CUSTOM, WARREN_STR("watch: the argument is not a pid"));
    warren_trap_exit(1);
    int64_t report[2];
    warren_ref_t ref = 0;
    report[0] = warren_spawn_opt(0, 0, WARREN_STR("worker"), 0, 0, WARREN_SPAWN_LINK | WARREN_SPAWN_MONITOR, &ref);
    report[1] = ref;
    if (report[0] < 0) warren_exit(WARREN_REASON_CUSTOM, WARREN_STR("watch: spawn_opt failed"));
    warren_send(reporter, 1, report, sizeof report);
    forward(WARREN_TAG_EXIT, reporter, 2);
    forward(WARREN_TAG_DOWN, reporter, 3);
}
