/*
 * {{name}}: a Warren guest in C, freestanding (no libc). `main` spawns a
 * greeter (a process of this same module), calls it, prints its reply and
 * returns; the run ends with it, exit code 0.
 *
 * warren.h is the whole ABI (docs/ABI.md); warren_term.h writes and reads
 * Erlang terms, the structured messages other languages understand.
 */
#include "warren.h"

/* WASI's fd_write, which Warren gives every process: fd 1 is the node's
 * stdout. (With wasi-libc, printf does this for you: see README.md.) */
typedef struct {
    const void *buf;
    uint32_t len;
} ciovec_t;
__attribute__((import_module("wasi_snapshot_preview1"), import_name("fd_write")))
int32_t fd_write(int32_t fd, const ciovec_t *iovs, uint32_t iovs_len, uint32_t *written);

/* Writes `len` bytes to stdout. */
static void print(const void *text, uint32_t len) {
    ciovec_t iov = {text, len};
    uint32_t written;
    fd_write(1, &iov, 1, &written);
}

/* The greeter: answers each call `NAME` with `Hello, NAME!`. Blocking
 * style: it runs until the node stops. */
WARREN_EXPORT("greeter")
void greeter(void) {
    static uint8_t buf[256];
    static uint8_t answer[300];
    static const char hello[] = "Hello, ";
    for (;;) {
        warren_tag_t tags[1] = {WARREN_TAG_CALL};
        warren_msg_t m;
        if (warren_receive_msg(tags, 1, WARREN_INFINITY, &m, buf, sizeof buf) < 0) continue;
        warren_call_t call;
        if (warren_parse_call(m.sender, buf, m.copied, &call) != WARREN_OK) continue;
        uint32_t n = 0;
        for (uint32_t i = 0; i < sizeof hello - 1; i++) answer[n++] = (uint8_t)hello[i];
        for (uint32_t i = 0; i < call.len; i++) answer[n++] = call.request[i];
        answer[n++] = '!';
        warren_reply(call.from, call.token, answer, n);
    }
}

/* The root process: `warren run` starts it. */
WARREN_EXPORT("main")
void start(void) {
    static uint8_t reply[300];
    warren_pid_t greeter_pid = warren_spawn(WARREN_STR("greeter"), 0, 0);
    if (greeter_pid < 0) warren_exit(WARREN_REASON_CUSTOM, WARREN_STR("the greeter did not start"));
    /* Registered, so `warren info`, `trace`... name it `greeter`. */
    warren_register(WARREN_STR("greeter"), greeter_pid);
    int32_t len = warren_call_timeout(greeter_pid, WARREN_STR("world"), 5000, reply, sizeof reply);
    if (len < 0 || (uint32_t)len > sizeof reply)
        warren_exit(WARREN_REASON_CUSTOM, WARREN_STR("the greeter did not answer"));
    static const char prefix[] = "{{name}}: the greeter replied \"";
    print(prefix, sizeof prefix - 1);
    print(reply, (uint32_t)len);
    print("\"\n", 2);
}
