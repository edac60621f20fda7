// warren: wasi-libc
/*
 * hello_libc.c - a C guest built with wasi-libc (the first line above asks
 * guests/artifacts/build.rs for it): the C library's printf, snprintf and
 * malloc beside the Warren ABI.
 *
 *   clang --target=wasm32-wasi -O2 -mexec-model=reactor \
 *         -Wl,--export-dynamic -Wl,--allow-undefined -o hello_libc.wasm hello_libc.c
 *   warren run --entry main hello_libc.wasm
 *
 * Export `main`: prints a greeting with its pid on stdout. With an
 * argument [reporter: i64 LE] it also sends the reporter (tag 1) the text
 * "hello from <0.I.S>, 6 * 7 = 42", formatted with snprintf into memory
 * from malloc.
 */
#include <stdio.h>
#include <stdlib.h>
#include "warren.h"

WARREN_EXPORT("main")
void hello_main(void) {
    warren_pid_t self = warren_self();
    unsigned long long index = (unsigned long long)self & ((1u << 28) - 1);
    unsigned long long serial = (unsigned long long)self >> 28;
    char *text = malloc(128);
    if (text == NULL) warren_exit(WARREN_REASON_CUSTOM, WARREN_STR("hello_libc: out of memory"));
    int len = snprintf(text, 128, "hello from <0.%llu.%llu>, 6 * 7 = %d", index, serial, 6 * 7);
    printf("%s\n", text);
    fflush(stdout);
    warren_pid_t reporter;
    if (warren_arg_read(&reporter, sizeof reporter) == (int32_t)sizeof reporter && len > 0)
        warren_send(reporter, 1, text, (uint32_t)len);
    free(text);
}
