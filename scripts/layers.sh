#!/usr/bin/env bash
# Checks the layering of the host crate (host/src): each top-level folder
# (or file) is a layer, and a layer may use only itself and the layers
# below it, in this order:
#
#   base < mem < sched < wasm < svc < process < node < abi
#
# so no cycle can run between layers. Two more rules:
# - nothing outside abi/ refers to abi, except node.rs, which links the host
#   functions into a node's linker (`abi::link`);
# - nothing outside abi/ refers to wasmtime-wasi (WASI is a family of host
#   functions, as the ABI is).
#
# Every `crate::` path in code (comments left out) counts, whether in a
# `use` or inline. Prints each layer's dependencies; exits 1 and names the
# file and line of every reference that breaks a rule.
set -euo pipefail
cd "$(dirname "$0")/../host/src"

layers=(base mem sched wasm svc process node abi)

rank() {
    local i
    for i in "${!layers[@]}"; do
        if [[ ${layers[$i]} == "$1" ]]; then
            echo "$i"
            return
        fi
    done
    echo -1
}

status=0
declare -A uses=()

while IFS= read -r file; do
    layer=${file%%/*}
    layer=${layer%.rs}
    [[ $layer == lib ]] && continue
    from=$(rank "$layer")
    if ((from < 0)); then
        echo "$file: not in any layer (add its folder to scripts/layers.sh)"
        status=1
        continue
    fi
    # Code only: drop whole-line comments and trailing `//` comments.
    code=$(sed -E 's@^[[:space:]]*//.*$@@; s@[[:space:]]//[^"]*$@@' "$file")
    if [[ $layer != abi ]] && grep -n 'wasmtime_wasi' <<<"$code" >/dev/null; then
        grep -n 'wasmtime_wasi' <<<"$code" | sed "s@^@$file:@; s@\$@  <- wasmtime-wasi outside abi/@"
        status=1
    fi
    if grep -n 'crate::{' <<<"$code" >/dev/null; then
        grep -n 'crate::{' <<<"$code" | sed "s@^@$file:@; s@\$@  <- write one \`use crate::layer::...\` per layer@"
        status=1
    fi
    while IFS=: read -r line target; do
        [[ -z $target ]] && continue
        to_layer=${target#crate::}
        to=$(rank "$to_layer")
        if ((to < 0)); then
            # A name the crate root re-exports (e.g. a doc-style path):
            # not a layer; the re-export's own layer is checked there.
            continue
        fi
        uses["$layer $to_layer"]=1
        if [[ $to_layer == abi && $layer != abi ]]; then
            if [[ $file == node.rs ]]; then
                continue
            fi
            echo "$file:$line: refers to abi (only node.rs may, to link the host functions)"
            status=1
        elif ((to > from)); then
            echo "$file:$line: $layer refers to $to_layer, a layer above it"
            status=1
        fi
    done < <(grep -n -o 'crate::[a-z_]*' <<<"$code" || true)
done < <(find . -name '*.rs' | sed 's@^\./@@' | sort)

echo "layer dependencies (a layer uses itself and the layers listed):"
for layer in "${layers[@]}"; do
    below=()
    for other in "${layers[@]}"; do
        if [[ $other != "$layer" && -n ${uses["$layer $other"]:-} ]]; then
            below+=("$other")
        fi
    done
    printf '  %-8s %s\n' "$layer" "${below[*]:-(none)}"
done

if ((status == 0)); then
    echo "ok: no reference runs up a layer"
fi
exit "$status"
