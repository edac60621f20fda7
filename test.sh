#!/usr/bin/env bash
# Runs every test of Warren: the host's layering check, unit and integration
# tests (real guests in WAT, Rust, C, Zig and AssemblyScript, the CLI, the
# dashboard in a browser), then the loom model checks of the wake-up
# protocol and the scheduler's park/notify handshake. Installs the
# toolchains the tests need when they are missing.
set -euo pipefail
cd "$(dirname "$0")"

# What the tests need and the machine lacks is installed first.
scripts/install-toolchains.sh
# The host's layers: no module refers to a layer above its own.
scripts/layers.sh
cargo test --workspace
# The term crate as guests build it: without Unicode names (its tests of that
# case run only then).
cargo test -p warren-term --no-default-features --lib
# The guest SDK is its own crate (built for wasm32 by the guests); its codec
# tests run on the host.
cargo test --manifest-path guest-sdk/Cargo.toml
cargo test -p warren-host --features loom --lib loom
