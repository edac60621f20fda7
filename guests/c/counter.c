/*
 * counter.c - a counter server in C that serves calls and casts as a Rust
 * SDK GenServer does (the same terms as guests/rust/example-counter), and
 * answers system requests (docs/ABI.md "System messages"), so `warren
 * state PID` shows its count.
 *
 * Export `counter` (argument: the starting count, i64 LE, or nothing for
 * 0) makes the process handler-style. Then:
 *   - calls (WARREN_TAG_CALL): `get` replies the count; `{add, N}` adds N
 *     and replies the new count; an addition that would overflow replies
 *     `{error, overflow}` and changes nothing; any other request replies
 *     `{error, bad_request}`;
 *   - casts (tag warren_tag_cast, the Rust SDK's TAG_CAST): `{add, N}`,
 *     `reset` (to 0), `stop` (the server ends normally); others are
 *     dropped. After a cast the counter hibernates (warren_hibernate: it
 *     keeps no instance until the next message; built with
 *     -mmutable-globals -Wl,--export=__stack_pointer, else it just stays);
 *   - system requests: `get_state` -> <<"count: N">>; `get_status` -> a
 *     map (behaviour => c_counter, state, status => running, name => nil);
 *     others -> {error, unknown_system_request}.
 *   Other messages are dropped.
 */
#include "warren.h"
#include "warren_term.h"

static int64_t count;
static uint8_t in[1024];
static uint8_t out[256];

/* Writes "count: N" into `text` (at least 32 bytes); returns its length. */
static uint32_t state_text(char *text) {
    const char prefix[] = "count: ";
    uint32_t len = 0;
    for (; prefix[len] != 0; len++) text[len] = prefix[len];
    uint64_t magnitude = count < 0 ? (uint64_t)0 - (uint64_t)count : (uint64_t)count;
    char digits[20];
    uint32_t n = 0;
    do {
        digits[n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude != 0);
    if (count < 0) text[len++] = '-';
    while (n > 0) text[len++] = digits[--n];
    return len;
}

/* Answers a system request. */
static void system_request(warren_term_reader *r, warren_term_writer *w) {
    char text[32];
    if (warren_term_match_atom(r, WARREN_STR("get_state")) == 1) {
        warren_term_put_binary(w, text, state_text(text));
    } else if (warren_term_match_atom(r, WARREN_STR("get_status")) == 1) {
        uint32_t map = warren_term_map_begin(w);
        warren_term_put_atom(w, WARREN_STR("behaviour"));
        warren_term_put_atom(w, WARREN_STR("c_counter"));
        warren_term_put_atom(w, WARREN_STR("state"));
        warren_term_put_binary(w, text, state_text(text));
        warren_term_put_atom(w, WARREN_STR("status"));
        warren_term_put_atom(w, WARREN_STR("running"));
        warren_term_put_atom(w, WARREN_STR("name"));
        warren_term_put_atom(w, WARREN_STR("nil"));
        warren_term_map_end(w, map, 4);
    } else {
        warren_term_put_tuple(w, 2);
        warren_term_put_atom(w, WARREN_STR("error"));
        warren_term_put_atom(w, WARREN_STR("unknown_system_request"));
    }
}

/* Answers a call. */
static void call_request(warren_term_reader *r, warren_term_writer *w) {
    uint32_t arity;
    int64_t n;
    int64_t sum;
    if (warren_term_match_atom(r, WARREN_STR("get")) == 1) {
        warren_term_put_int(w, count);
    } else if (warren_term_get_tuple(r, &arity) == WARREN_TERM_OK && arity == 2 &&
               warren_term_match_atom(r, WARREN_STR("add")) == 1 && warren_term_get_int(r, &n) == WARREN_TERM_OK) {
        if (__builtin_add_overflow(count, n, &sum)) {
            warren_term_put_tuple(w, 2);
            warren_term_put_atom(w, WARREN_STR("error"));
            warren_term_put_atom(w, WARREN_STR("overflow"));
        } else {
            count = sum;
            warren_term_put_int(w, count);
        }
    } else {
        warren_term_put_tuple(w, 2);
        warren_term_put_atom(w, WARREN_STR("error"));
        warren_term_put_atom(w, WARREN_STR("bad_request"));
    }
}

WARREN_EXPORT("counter_handle")
int32_t counter_handle(void) {
    warren_tag_t tag = warren_msg_tag();
    int32_t size = warren_msg_size();
    if (size < 0 || (uint32_t)size > sizeof in) return 0; /* not ours: dropped */
    warren_msg_read(0, in, (uint32_t)size);
    warren_term_reader r;
    warren_term_writer w;
    if (tag == WARREN_TAG_CALL || tag == WARREN_TAG_SYSTEM) {
        warren_call_t call;
        if (warren_parse_call(warren_msg_sender(), in, (uint32_t)size, &call) != WARREN_OK) return 0;
        warren_term_writer_init(&w, out, sizeof out);
        if (warren_term_reader_init(&r, call.request, call.len) != WARREN_TERM_OK) {
            warren_term_put_tuple(&w, 2);
            warren_term_put_atom(&w, WARREN_STR("error"));
            warren_term_put_atom(&w, WARREN_STR("bad_request"));
        } else if (tag == WARREN_TAG_CALL) {
            call_request(&r, &w);
        } else {
            system_request(&r, &w);
        }
        int32_t len = warren_term_writer_finish(&w);
        if (len > 0) warren_reply(call.from, call.token, out, (uint32_t)len);
        return 0;
    }
    if (tag == warren_tag_cast && warren_term_reader_init(&r, in, (uint32_t)size) == WARREN_TERM_OK) {
        uint32_t arity;
        int64_t n;
        int64_t sum;
        if (warren_term_match_atom(&r, WARREN_STR("reset")) == 1) {
            count = 0;
        } else if (warren_term_match_atom(&r, WARREN_STR("stop")) == 1) {
            return 1;
        } else if (warren_term_get_tuple(&r, &arity) == WARREN_TERM_OK && arity == 2 &&
                   warren_term_match_atom(&r, WARREN_STR("add")) == 1 &&
                   warren_term_get_int(&r, &n) == WARREN_TERM_OK && !__builtin_add_overflow(count, n, &sum)) {
            count = sum;
        }
        /* An idle counter gives its instance back until the next message
         * (WARREN_ERR_CANNOT_HIBERNATE if built without the exported stack
         * pointer: then it just stays). */
        warren_hibernate();
    }
    return 0;
}

WARREN_EXPORT("counter")
void counter(void) {
    int64_t start = 0;
    if (warren_arg_size() == (int32_t)sizeof start) warren_arg_read(&start, sizeof start);
    count = start;
    if (warren_set_handler(WARREN_STR("counter_handle")) != WARREN_OK)
        warren_exit(WARREN_REASON_CUSTOM, WARREN_STR("counter: no handler export"));
}
