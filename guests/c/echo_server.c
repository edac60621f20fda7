/*
 * echo_server.c - an echo server in C, handler-style (docs/ABI.md "Two
 * styles of process"): between messages no call is in flight, so an idle
 * server holds no stack.
 *
 * Exports:
 *   echo_server   entry: installs the handler and returns;
 *   echo_handle   the handler: answers each message to its sender with the
 *                 same tag and bytes (up to 64 KiB; a larger message ends
 *                 the server with reason custom "echo: message too large").
 *                 A message with tag 0 is echoed, then the server ends
 *                 normally. Messages the host makes (negative tags) are
 *                 ignored. A process may also be spawned on echo_handle
 *                 directly: no entry runs at all.
 *   quick         entry: returns at once, so the process ends normally
 *                 (for spawn+exit benchmarks: benches/languages.rs).
 *
 *   warren run --entry echo_server echo_server.wasm
 */
#include "warren.h"

static uint8_t buffer[65536];

WARREN_EXPORT("echo_handle")
int32_t echo_handle(void) {
    warren_tag_t tag = warren_msg_tag();
    if (tag < 0) return 0;
    int32_t size = warren_msg_size();
    if (size < 0) return 0;
    if ((uint32_t)size > sizeof buffer) warren_exit(WARREN_REASON_CUSTOM, WARREN_STR("echo: message too large"));
    warren_msg_read(0, buffer, (uint32_t)size);
    warren_send(warren_msg_sender(), tag, buffer, (uint32_t)size);
    return tag == 0 ? 1 : 0;
}

WARREN_EXPORT("echo_server")
void echo_server(void) {
    if (warren_set_handler(WARREN_STR("echo_handle")) != WARREN_OK)
        warren_exit(WARREN_REASON_CUSTOM, WARREN_STR("echo: no handler export"));
}

WARREN_EXPORT("quick")
void quick(void) {}
