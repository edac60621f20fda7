#!/bin/sh
# Builds {{name}}.wasm from main.c: clang for wasm32, freestanding (no libc),
# linked by wasm-ld. CLANG=... picks the compiler.
set -eu
cd "$(dirname "$0")"
if [ -z "${CLANG:-}" ]; then
    for candidate in clang clang-22 clang-21 clang-20 clang-19 clang-18 clang-17 clang-16 clang-15 clang-14; do
        if command -v "$candidate" >/dev/null 2>&1; then CLANG=$candidate; break; fi
    done
fi
if [ -z "${CLANG:-}" ]; then
    echo "build.sh: no clang found: install clang and lld (Debian/Ubuntu: sudo apt-get install clang lld; macOS: brew install llvm lld), or set CLANG" >&2
    exit 1
fi
linker=$("$CLANG" --target=wasm32 -print-prog-name=wasm-ld)
if ! command -v "$linker" >/dev/null 2>&1; then
    echo "build.sh: $CLANG finds no wasm-ld: install lld (Debian/Ubuntu: sudo apt-get install lld; macOS: brew install lld)" >&2
    exit 1
fi
# No entry point (every export is one); the stack pointer exported (a
# mutable global, hence -mmutable-globals) so processes may hibernate;
# --export-dynamic keeps every WARREN_EXPORT; the imports come from Warren.
"$CLANG" --target=wasm32 -nostdlib -mmutable-globals -Wl,--no-entry -Wl,--export=__stack_pointer \
    -O2 -Wl,--export-dynamic -Wl,--allow-undefined -o {{name}}.wasm main.c
echo "built {{name}}.wasm"
