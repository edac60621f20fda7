#!/usr/bin/env bash
# Installs the Zig compiler pinned in guests/zig/requirements.txt into
# target/ziglang (pip's --target: no virtualenv, no root, and allowed on
# Debian's externally-managed Python), where guests/artifacts/build.rs looks
# for it. Installs pip itself with apt-get when it is missing. A no-op when
# the pinned version is there, or when WARREN_ZIG names a compiler.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -n "${WARREN_ZIG:-}" ] && exit 0
pinned=$(sed -n 's/^ziglang==\([^ ]*\).*/\1/p' guests/zig/requirements.txt)
zig=target/ziglang/ziglang/zig
if [ -x "$zig" ] && [ "$("$zig" version 2>/dev/null)" = "$pinned" ]; then
    exit 0
fi
if ! python3 -m pip --version >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-pip
    else
        echo "guests/zig/install.sh: the Zig guests need Python's pip to install Zig (pip install ziglang==$pinned); install python3-pip" >&2
        exit 1
    fi
fi
python3 -m pip install --disable-pip-version-check --quiet --upgrade \
    --target target/ziglang -r guests/zig/requirements.txt
"$zig" version >/dev/null
