/*
 * supervised.c - a worker for supervisor tests, in C (no libc).
 *
 * Export `main`: spawn argument = a reporter pid (i64 LE) and a number
 * (i64 LE). Sends the reporter tag 1 with the number, acknowledges its
 * start (warren_init_ack), then serves: tag 2 traps, tag 3 returns (a
 * normal exit), tag 4 exits with reason shutdown; other messages are
 * dropped.
 */
#include "warren.h"

WARREN_EXPORT("main")
void supervised_main(void) {
    int64_t arg[2] = {0, 0};
    if (warren_arg_read(arg, sizeof arg) != (int32_t)sizeof arg) {
        warren_exit(WARREN_REASON_CUSTOM, WARREN_STR("supervised: the argument is not [pid][number]"));
    }
    warren_send(arg[0], 1, &arg[1], sizeof arg[1]);
    warren_init_ack();
    for (;;) {
        if (warren_receive_any(WARREN_INFINITY) < 0) {
            continue;
        }
        switch (warren_msg_tag()) {
        case 2:
            __builtin_trap();
        case 3:
            return;
        case 4:
            warren_exit(WARREN_REASON_SHUTDOWN, 0, 0);
        default:
            break;
        }
    }
}
