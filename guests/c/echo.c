/*
 * echo.c - a C guest for Warren, written from docs/ABI.md only (no libc).
 *
 * Build:
 *   clang --target=wasm32 -O2 -nostdlib -Wl,--no-entry -Wl,--export-dynamic \
 *         -Wl,--allow-undefined -o echo.wasm echo.c
 *
 * Exports: memory (from wasm-ld), main, child.
 *
 * main: spawn argument = the reporter's pid (i64 LE, 8 bytes).
 *   1. spawns `child` with main's own pid (i64 LE) as its argument;
 *   2. sends the child "hello from C" (12 bytes) with tag 1;
 *   3. receives with the tag filter [2] the child's reply;
 *   4. sends the reply's bytes, "HELLO FROM C", to the reporter with tag 7.
 *
 * child: spawn argument = its parent's pid (i64 LE). Receives one tag 1
 *   message, and sends its bytes uppercased (ASCII a-z) to the parent with
 *   tag 2, then returns (a normal exit).
 *
 * If something goes wrong, the process exits with WARREN_REASON_CUSTOM and a
 * detail saying what ("echo: ...").
 */
#include "warren.h"

/* Messages longer than this are cut to it. */
#define BUF_SIZE 256

static const char HELLO[] = "hello from C";

/* Ends the process with a custom reason carrying the literal `why`. */
#define FAIL(why) warren_exit(WARREN_REASON_CUSTOM, WARREN_STR(why))

/* Reads the 8-byte pid given as spawn argument. */
static warren_pid_t arg_pid(void) {
    warren_pid_t pid = 0;
    if (warren_arg_read(&pid, sizeof pid) != (int32_t)sizeof pid) {
        FAIL("echo: the spawn argument is not an 8-byte pid");
    }
    return pid;
}

WARREN_EXPORT("main")
void echo_main(void) {
    warren_pid_t reporter = arg_pid();

    /* the child answers to us: give it our pid */
    warren_pid_t me = warren_self();
    warren_pid_t child = warren_spawn(WARREN_STR("child"), &me, sizeof me);
    if (child < 0) {
        FAIL("echo: spawn failed");
    }

    /* the text, without its NUL */
    if (warren_send(child, 1, HELLO, sizeof HELLO - 1) != WARREN_OK) {
        FAIL("echo: send to the child failed");
    }

    /* only the reply (tag 2) will do */
    if (warren_receive_tag(2, WARREN_INFINITY) < 0) {
        FAIL("echo: receive failed");
    }
    static unsigned char reply[BUF_SIZE];
    int32_t n = warren_msg_read(0, reply, sizeof reply);
    if (n < 0) {
        FAIL("echo: msg_read failed");
    }

    warren_send(reporter, 7, reply, (uint32_t)n);
}

WARREN_EXPORT("child")
void echo_child(void) {
    warren_pid_t parent = arg_pid();

    if (warren_receive_tag(1, WARREN_INFINITY) < 0) {
        FAIL("echo: receive failed");
    }
    static unsigned char text[BUF_SIZE];
    int32_t n = warren_msg_read(0, text, sizeof text);
    if (n < 0) {
        FAIL("echo: msg_read failed");
    }

    for (int32_t i = 0; i < n; i++) {
        if (text[i] >= 'a' && text[i] <= 'z') {
            text[i] = (unsigned char)(text[i] - 'a' + 'A');
        }
    }

    warren_send(parent, 2, text, (uint32_t)n);
}
