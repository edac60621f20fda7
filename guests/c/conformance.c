/*
 * conformance.c - the conformance scenario in C (the protocol is the doc
 * comment of tests/all/conformance.rs): processes, links, monitors, names,
 * tables, timers and calls, each step reported to the harness as a term.
 *
 * Exports: conformance (the scenario; argument [reporter: i64][call
 * server: i64]) and conformance_child (exits with its argument as a custom
 * reason after one message). Any failure exits with reason custom and a
 * detail naming the step, which the harness prints.
 */
#include "warren.h"
#include "warren_term.h"

/* Ends the scenario with a custom reason naming what went wrong. */
#define FAIL(what) warren_exit(WARREN_REASON_CUSTOM, WARREN_STR("conformance: " what))

static warren_pid_t reporter;

/* Sends the reporter the term in `w` with tag `step`. */
static void report(int64_t step, warren_term_writer *w) {
    int32_t len = warren_term_writer_finish(w);
    if (len < 0) FAIL("a report does not fit its buffer");
    if (warren_send(reporter, step, w->buf, (uint32_t)len) != WARREN_OK) FAIL("a report was refused");
}

/* Waits for a message with `tag` and copies its payload to `buf`; returns
 * its length (the step fails if it does not fit). */
static uint32_t receive_tag(warren_tag_t tag, uint8_t *buf, uint32_t cap) {
    warren_msg_t msg;
    if (warren_receive_msg(&tag, 1, WARREN_INFINITY, &msg, buf, cap) < 0) FAIL("receive failed");
    if (msg.size > cap) FAIL("a message is larger than its buffer");
    return msg.size;
}

WARREN_EXPORT("conformance_child")
void conformance_child(void) {
    uint8_t detail[64];
    int32_t len = warren_arg_read(detail, sizeof detail);
    warren_receive_any(WARREN_INFINITY);
    warren_exit(WARREN_REASON_CUSTOM, detail, (uint32_t)len);
}

WARREN_EXPORT("conformance")
void conformance(void) {
    uint8_t out[256];
    uint8_t in[256];
    warren_term_writer w;
    warren_term_reader r;

    /* 1: hello. */
    int64_t arg[2];
    if (warren_arg_read(arg, sizeof arg) != (int32_t)sizeof arg) FAIL("the argument is not [reporter][server]");
    reporter = arg[0];
    warren_pid_t server = arg[1];
    warren_term_writer_init(&w, out, sizeof out);
    warren_term_put_tuple(&w, 2);
    warren_term_put_atom(&w, WARREN_STR("hello"));
    warren_term_put_pid(&w, warren_self());
    report(1, &w);

    /* 2: a linked child's exit, trapped. */
    warren_trap_exit(1);
    warren_pid_t linked = warren_spawn(WARREN_STR("conformance_child"), WARREN_STR("boom"));
    if (linked < 0) FAIL("spawn failed");
    if (warren_link(linked) != WARREN_OK) FAIL("link failed");
    warren_send(linked, 1, 0, 0);
    uint32_t n = receive_tag(WARREN_TAG_EXIT, in, sizeof in);
    warren_exit_t exit;
    if (warren_parse_exit(in, n, &exit) != WARREN_OK) FAIL("a short EXIT");
    warren_term_writer_init(&w, out, sizeof out);
    warren_term_put_tuple(&w, 4);
    warren_term_put_atom(&w, WARREN_STR("exit"));
    warren_term_put_pid(&w, exit.from);
    warren_term_put_int(&w, exit.kind);
    warren_term_put_binary(&w, exit.detail, exit.detail_len);
    report(2, &w);

    /* 3: a monitored child's DOWN. */
    warren_pid_t monitored = warren_spawn(WARREN_STR("conformance_child"), WARREN_STR("bang"));
    if (monitored < 0) FAIL("spawn failed");
    warren_ref_t ref = warren_monitor(monitored);
    if (ref <= 0) FAIL("monitor failed");
    warren_send(monitored, 1, 0, 0);
    n = receive_tag(WARREN_TAG_DOWN, in, sizeof in);
    warren_down_t down;
    if (warren_parse_down(in, n, &down) != WARREN_OK) FAIL("a short DOWN");
    if (down.ref != ref) FAIL("the DOWN's reference is not the monitor's");
    warren_term_writer_init(&w, out, sizeof out);
    warren_term_put_tuple(&w, 5);
    warren_term_put_atom(&w, WARREN_STR("down"));
    warren_term_put_ref(&w, down.ref);
    warren_term_put_pid(&w, down.pid);
    warren_term_put_int(&w, down.kind);
    warren_term_put_binary(&w, down.detail, down.detail_len);
    report(3, &w);

    /* 4: a name. */
    if (warren_register(WARREN_STR("conformance"), warren_self()) != WARREN_OK) FAIL("register failed");
    warren_term_writer_init(&w, out, sizeof out);
    warren_term_put_tuple(&w, 2);
    warren_term_put_atom(&w, WARREN_STR("registered"));
    warren_term_put_binary(&w, WARREN_STR("conformance"));
    report(4, &w);

    /* 5: a message sent to the name: {ping, N}. */
    warren_tag_t ping_tag = 20;
    warren_msg_t msg;
    if (warren_receive_msg(&ping_tag, 1, WARREN_INFINITY, &msg, in, sizeof in) < 0) FAIL("receive failed");
    uint32_t arity;
    int64_t number;
    if (msg.size > sizeof in || warren_term_reader_init(&r, in, msg.size) != WARREN_TERM_OK ||
        warren_term_get_tuple(&r, &arity) != WARREN_TERM_OK || arity != 2 ||
        warren_term_match_atom(&r, WARREN_STR("ping")) != 1 || warren_term_get_int(&r, &number) != WARREN_TERM_OK ||
        !warren_term_reader_done(&r))
        FAIL("the ping is not {ping, N}");
    warren_term_writer_init(&w, out, sizeof out);
    warren_term_put_tuple(&w, 3);
    warren_term_put_atom(&w, WARREN_STR("pong"));
    warren_term_put_int(&w, number);
    warren_term_put_pid(&w, msg.sender);
    report(5, &w);

    /* 6: a table. */
    warren_tid_t tid = warren_table_new(0, 0, WARREN_TABLE_SET, WARREN_ACCESS_PUBLIC, 0);
    if (tid <= 0) FAIL("table_new failed");
    uint8_t value[16];
    warren_term_writer_init(&w, value, sizeof value);
    warren_term_put_int(&w, 42);
    int32_t value_len = warren_term_writer_finish(&w);
    if (warren_table_insert(tid, WARREN_STR("answer"), value, (uint32_t)value_len) != WARREN_OK)
        FAIL("table_insert failed");
    int32_t member = warren_table_member(tid, WARREN_STR("answer"));
    int32_t found = warren_table_lookup(tid, WARREN_STR("answer"), in, sizeof in);
    if (found < 0 || found > (int32_t)sizeof in) FAIL("table_lookup failed");
    int64_t stored;
    if (warren_term_reader_init(&r, in, (uint32_t)found) != WARREN_TERM_OK ||
        warren_term_get_int(&r, &stored) != WARREN_TERM_OK)
        FAIL("the stored value is not an integer");
    warren_term_writer_init(&w, out, sizeof out);
    warren_term_put_tuple(&w, 3);
    warren_term_put_atom(&w, WARREN_STR("table"));
    warren_term_put_int(&w, stored);
    warren_term_put_bool(&w, member == 1);
    report(6, &w);

    /* 7: timers, one fired, one cancelled. */
    uint8_t tick[16];
    warren_term_writer_init(&w, tick, sizeof tick);
    warren_term_put_atom(&w, WARREN_STR("tick"));
    int32_t tick_len = warren_term_writer_finish(&w);
    if (warren_send_after(warren_self(), 21, tick, (uint32_t)tick_len, 5) <= 0) FAIL("send_after failed");
    warren_ref_t later = warren_send_after(warren_self(), 22, WARREN_STR("never"), 60000);
    if (later <= 0) FAIL("send_after failed");
    int64_t left = warren_cancel_timer(later);
    n = receive_tag(21, in, sizeof in);
    char atom[16];
    uint32_t atom_len;
    if (warren_term_reader_init(&r, in, n) != WARREN_TERM_OK ||
        warren_term_get_atom(&r, atom, sizeof atom, &atom_len) != WARREN_TERM_OK)
        FAIL("the timer's message is not an atom");
    int cancelled = left >= 0 && warren_receive_tag(22, WARREN_POLL) == WARREN_ERR_TIMEOUT;
    warren_term_writer_init(&w, out, sizeof out);
    warren_term_put_tuple(&w, 3);
    warren_term_put_atom(&w, WARREN_STR("timer"));
    warren_term_put_atom(&w, atom, atom_len);
    warren_term_put_bool(&w, cancelled);
    report(7, &w);

    /* 8: serve a call {add, A, B} with {sum, A + B}. */
    warren_tag_t call_tag = WARREN_TAG_CALL;
    if (warren_receive_msg(&call_tag, 1, WARREN_INFINITY, &msg, in, sizeof in) < 0) FAIL("receive failed");
    warren_call_t call;
    int64_t a, b;
    if (msg.size > sizeof in || warren_parse_call(msg.sender, in, msg.size, &call) != WARREN_OK ||
        warren_term_reader_init(&r, call.request, call.len) != WARREN_TERM_OK ||
        warren_term_get_tuple(&r, &arity) != WARREN_TERM_OK || arity != 3 ||
        warren_term_match_atom(&r, WARREN_STR("add")) != 1 || warren_term_get_int(&r, &a) != WARREN_TERM_OK ||
        warren_term_get_int(&r, &b) != WARREN_TERM_OK)
        FAIL("the call is not {add, A, B}");
    warren_term_writer_init(&w, out, sizeof out);
    warren_term_put_tuple(&w, 2);
    warren_term_put_atom(&w, WARREN_STR("sum"));
    warren_term_put_int(&w, a + b);
    int32_t reply_len = warren_term_writer_finish(&w);
    if (reply_len < 0 || warren_reply(call.from, call.token, out, (uint32_t)reply_len) != WARREN_OK)
        FAIL("reply failed");
    warren_term_writer_init(&w, out, sizeof out);
    warren_term_put_tuple(&w, 3);
    warren_term_put_atom(&w, WARREN_STR("served"));
    warren_term_put_int(&w, a);
    warren_term_put_int(&w, b);
    report(8, &w);

    /* 9: call the server with {echo, <<"hi">>}; report its reply as is. */
    uint8_t request[32];
    warren_term_writer_init(&w, request, sizeof request);
    warren_term_put_tuple(&w, 2);
    warren_term_put_atom(&w, WARREN_STR("echo"));
    warren_term_put_binary(&w, WARREN_STR("hi"));
    int32_t request_len = warren_term_writer_finish(&w);
    int32_t got = warren_call_timeout(server, request, (uint32_t)request_len, 5000, in, sizeof in);
    if (got < 0 || got > (int32_t)sizeof in) FAIL("the call to the server failed");
    warren_term_writer_init(&w, out, sizeof out);
    warren_term_put_tuple(&w, 2);
    warren_term_put_atom(&w, WARREN_STR("called"));
    warren_term_put_term(&w, in, (uint32_t)got);
    report(9, &w);

    /* 10: done. */
    warren_term_writer_init(&w, out, sizeof out);
    warren_term_put_atom(&w, WARREN_STR("done"));
    report(10, &w);
}
