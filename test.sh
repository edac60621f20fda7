#!/usr/bin/env bash
# Runs every test of Warren: unit and integration tests (real guests, the
# CLI), then the loom model checks of the wake-up protocol.
set -euo pipefail
cd "$(dirname "$0")"
# The Rust test guests build for wasm32. rust-toolchain.toml names the
# targets, but rustup adds them only when it installs the toolchain itself,
# not to a toolchain that is already there; this is a no-op when present.
if command -v rustup >/dev/null 2>&1; then
    rustup target add wasm32-unknown-unknown wasm32-wasip1 >/dev/null
fi
cargo test --workspace
# The guest SDK is its own crate (built for wasm32 by the guests); its codec
# tests run on the host.
cargo test --manifest-path guest-sdk/Cargo.toml
cargo test -p warren-host --features loom --lib loom
