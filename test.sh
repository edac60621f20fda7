#!/usr/bin/env bash
# Runs every test of Warren: unit and integration tests (real guests, the
# CLI), then the loom model checks of the wake-up protocol.
set -euo pipefail
cd "$(dirname "$0")"
cargo test --workspace
cargo test -p warren-host --features loom --lib loom
