#!/usr/bin/env bash
# Runs every test of Warren: unit and integration tests (real guests, the
# CLI), then the loom model checks of the wake-up protocol.
set -euo pipefail
cd "$(dirname "$0")"
cargo test --workspace
# The guest SDK is its own crate (built for wasm32 by the guests); its codec
# tests run on the host.
cargo test --manifest-path guest-sdk/Cargo.toml
cargo test -p warren-host --features loom --lib loom
