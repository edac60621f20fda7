#!/bin/sh
# Builds {{name}}.wasm from main.zig with Zig {{zig_version}} (the version
# warren.zig is written for: Zig changes between versions), for
# wasm32-freestanding: $ZIG (a command, e.g. "python3 -m ziglang"), else
# the one pip installed in .ziglang, else zig on the PATH, else
# python3 -m ziglang.
set -eu
cd "$(dirname "$0")"
pinned={{zig_version}}
hint="install Zig $pinned here: python3 -m pip install --target .ziglang ziglang==$pinned (build.sh looks in .ziglang), or download it from https://ziglang.org/download/ and put zig on the PATH, or set ZIG"
if [ -z "${ZIG:-}" ]; then
    if [ -x .ziglang/ziglang/zig ] && [ "$(.ziglang/ziglang/zig version)" = "$pinned" ]; then
        ZIG=.ziglang/ziglang/zig
    elif command -v zig >/dev/null 2>&1 && [ "$(zig version)" = "$pinned" ]; then
        ZIG=zig
    elif [ "$(python3 -m ziglang version 2>/dev/null)" = "$pinned" ]; then
        ZIG="python3 -m ziglang"
    else
        echo "build.sh: no Zig $pinned found; $hint" >&2
        exit 1
    fi
fi
version=$($ZIG version) || { echo "build.sh: ZIG=$ZIG does not run; $hint" >&2; exit 1; }
if [ "$version" != "$pinned" ]; then
    echo "build.sh: $ZIG is Zig $version, not $pinned; $hint" >&2
    exit 1
fi
# No _start (-fno-entry); what the source exports is exported (-rdynamic);
# safety checks on (a failed check traps: the process's exit reason); a 64 KiB
# stack; the stack pointer exported so processes may hibernate.
$ZIG build-exe main.zig -target wasm32-freestanding -fno-entry -rdynamic -fno-ubsan-rt \
    -O ReleaseSafe -fstrip --stack 65536 --export=__stack_pointer -femit-bin={{name}}.wasm
echo "built {{name}}.wasm"
