#!/usr/bin/env bash
# Installs what Warren's tests and its guests' builds need when it is
# missing: wasm targets, clang and lld, wasi-libc, Erlang/OTP, Node.js and
# the locked AssemblyScript compiler, Chromium and chromedriver, and the
# pinned Zig. Used by ./test.sh (the README's test command) and .ci/run.
# Debian packages come from apt-get (with sudo unless root); where there is
# no apt-get, a missing one stops the script with its name.
set -euo pipefail
cd "$(dirname "$0")/.."

# `install_packages WHAT PACKAGE...`: installs Debian packages (with sudo unless
# root), or stops naming them where there is no apt-get.
install_packages() {
    local what=$1
    shift
    if command -v apt-get >/dev/null 2>&1; then
        local sudo
        sudo=$([ "$(id -u)" -eq 0 ] || echo sudo)
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
    else
        echo "install-toolchains.sh: $what; install them (Debian/Ubuntu: $*)" >&2
        exit 1
    fi
}

# The Rust test guests build for wasm32. rust-toolchain.toml names the
# targets, but rustup adds them only when it installs the toolchain itself,
# not to a toolchain that is already there; this is a no-op when present.
if command -v rustup >/dev/null 2>&1; then
    rustup target add wasm32-unknown-unknown wasm32-wasip1 >/dev/null
fi
# The C test guests are compiled with clang for wasm32 and linked with
# wasm-ld (lld).
if ! command -v clang >/dev/null 2>&1 || ! command -v wasm-ld >/dev/null 2>&1; then
    install_packages "the C test guests need clang and lld (wasm-ld)" clang lld
fi
# One C test guest (guests/c/hello_libc.c) is built with wasi-libc, which
# needs the C library for wasm32-wasi and clang's wasm32 builtins (Debian
# puts wasi-libc where clang looks; wasi-sdk's sysroot is
# /usr/share/wasi-sysroot).
if ! { [ -d /usr/share/wasi-sysroot ] || [ -f /usr/lib/wasm32-wasi/libc.a ]; } \
    || ! [ -f "$(clang --target=wasm32-wasi -print-libgcc-file-name 2>/dev/null)" ]; then
    install_packages "the C test guests built with wasi-libc need wasi-libc and clang's wasm32 builtins" \
        wasi-libc libclang-rt-dev-wasm32
fi
# The term codec's test (term/tests/erlang.rs) compares its bytes with
# Erlang/OTP's own term_to_binary.
if ! command -v erl >/dev/null 2>&1; then
    install_packages "the term codec's tests need Erlang/OTP (erl)" erlang-nox
fi
# The AssemblyScript test guests are compiled with the asc that
# guests/assemblyscript/package-lock.json locks (npm ci), run by Node.js.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    install_packages "the AssemblyScript test guests need Node.js and npm" nodejs npm
fi
if [ ! -f guests/assemblyscript/node_modules/assemblyscript/bin/asc.js ]; then
    (cd guests/assemblyscript && npm ci --no-audit --no-fund)
fi
# The dashboard's browser test (tests/all/dashboard.rs) drives headless
# Chromium through chromedriver (WebDriver).
if ! command -v chromedriver >/dev/null 2>&1; then
    install_packages "the dashboard's browser test needs Chromium and chromedriver" chromium chromium-driver
fi
# The Zig test guests are compiled with the Zig that
# guests/zig/requirements.txt pins, from PyPI: installed into target/ziglang
# when missing (and pip with apt-get, if that is missing too).
guests/zig/install.sh
