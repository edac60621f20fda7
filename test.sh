#!/usr/bin/env bash
# Runs every test of Warren: the host's layering check, unit and integration
# tests (real guests, the CLI), then the loom model checks of the wake-up
# protocol and the scheduler's park/notify handshake.
set -euo pipefail
cd "$(dirname "$0")"
# The Rust test guests build for wasm32. rust-toolchain.toml names the
# targets, but rustup adds them only when it installs the toolchain itself,
# not to a toolchain that is already there; this is a no-op when present.
if command -v rustup >/dev/null 2>&1; then
    rustup target add wasm32-unknown-unknown wasm32-wasip1 >/dev/null
fi
# The C test guests are compiled with clang for wasm32 and linked with
# wasm-ld (lld): installed here when missing, on Debian-like systems.
if ! command -v clang >/dev/null 2>&1 || ! command -v wasm-ld >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang lld
    else
        echo "test.sh: the C test guests need clang and lld (wasm-ld); install them" >&2
        exit 1
    fi
fi
# One C test guest (guests/c/hello_libc.c) is built with wasi-libc, which
# needs the C library for wasm32-wasi and clang's wasm32 builtins:
# installed here when missing (Debian puts wasi-libc where clang looks;
# wasi-sdk's sysroot is /usr/share/wasi-sysroot).
if ! { [ -d /usr/share/wasi-sysroot ] || [ -f /usr/lib/wasm32-wasi/libc.a ]; } \
    || ! [ -f "$(clang --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null)" ]; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wasi-libc libclang-rt-dev-wasm32
    else
        echo "test.sh: the C test guests built with wasi-libc need wasi-libc and clang's wasm32 builtins; install them (Debian/Ubuntu: wasi-libc libclang-rt-dev-wasm32)" >&2
        exit 1
    fi
fi
# The term codec's test (term/tests/erlang.rs) compares its bytes with
# Erlang/OTP's own term_to_binary: installed here when missing.
if ! command -v erl >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq erlang-nox
    else
        echo "test.sh: the term codec's tests need Erlang/OTP (erl); install it (Debian/Ubuntu: erlang-nox)" >&2
        exit 1
    fi
fi
# The AssemblyScript test guests are compiled with the asc that
# guests/assemblyscript/package-lock.json locks, run by Node.js: Node.js
# and npm are installed here when missing, then that asc (npm ci).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm
    else
        echo "test.sh: the AssemblyScript test guests need Node.js and npm; install them (Debian/Ubuntu: nodejs npm)" >&2
        exit 1
    fi
fi
if [ ! -f guests/assemblyscript/node_modules/assemblyscript/bin/asc.js ]; then
    (cd guests/assemblyscript && npm ci --no-audit --no-fund)
fi
# The dashboard's browser test (tests/all/dashboard.rs) drives headless
# Chromium through chromedriver (WebDriver): installed here when missing.
if ! command -v chromedriver >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver
    else
        echo "test.sh: the dashboard's browser test needs Chromium and chromedriver; install them (Debian/Ubuntu: chromium chromium-driver)" >&2
        exit 1
    fi
fi
# The Zig test guests are compiled with the Zig that
# guests/zig/requirements.txt pins, from PyPI: installed into target/ziglang
# when missing (and pip with apt-get, if that is missing too).
guests/zig/install.sh
# The host's layers: no module refers to a layer above its own.
scripts/layers.sh
cargo test --workspace
# The guest SDK is its own crate (built for wasm32 by the guests); its codec
# tests run on the host.
cargo test --manifest-path guest-sdk/Cargo.toml
cargo test -p warren-host --features loom --lib loom
