#!/usr/bin/env bash
# Rebuilds the patched crates in vendor/ from the published crates and the
# patches in vendor/patches/ (see vendor/README.md).
#
#   scripts/vendor-patches.sh [apply] [--version CRATE=VER]... [--force] [CRATE...]
#       For each crate in vendor/patches/crates.txt (or each CRATE named):
#       unpack the published crate into a temporary directory, drop the files
#       vendoring drops, apply vendor/patches/<crate>/*.diff in order. If every
#       patch applies, make vendor/<crate> the result (files whose content is
#       unchanged are left alone); if one does not, say which patch and hunk
#       and leave vendor/ untouched. Refuses to overwrite uncommitted changes
#       in vendor/<crate> unless --force. --version tries another published
#       version and, on success, writes it to crates.txt.
#   scripts/vendor-patches.sh check [--version CRATE=VER]... [CRATE...]
#       The same into a temporary directory only, then compare with
#       vendor/<crate>: exit 0 if identical, else print the differences, exit 1.
#   scripts/vendor-patches.sh diff CRATE NN-name
#       Write what vendor/CRATE changes beyond the crate's other patches (all
#       but NN-name.diff) to vendor/patches/CRATE/NN-name.diff: adds a patch,
#       or regenerates one after its hunks were fixed by hand.
#
# The published crate comes from cargo's download cache
# ($CARGO_HOME/registry/cache/*/<crate>-<ver>.crate, or the unpacked copy in
# registry/src); when neither is there, `cargo fetch` in a scratch crate
# brings it. VENDOR_PATCHES_DIR points the script at another patches
# directory (with its own crates.txt), VENDOR_DIR at another vendor directory.
set -euo pipefail
shopt -s inherit_errexit
export LC_ALL=C

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
vendor=$(cd "${VENDOR_DIR:-$root/vendor}" && pwd)
patches=$(cd "${VENDOR_PATCHES_DIR:-$vendor/patches}" && pwd)
manifest=$patches/crates.txt
cargo_home=${CARGO_HOME:-$HOME/.cargo}
# In the published crate but not in vendor/: cargo's unpack marker, and the
# lock file and original manifest that `cargo package` adds.
dropped=(.cargo-ok Cargo.lock Cargo.toml.orig)

usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }
die() { echo "vendor-patches: $*" >&2; exit 1; }
# A path for messages: relative to the repository when inside it.
show() { local p=$1; [[ $p == "$root"/* ]] && p=${p#"$root"/}; printf '%s' "$p"; }

# --- the manifest -----------------------------------------------------------

declare -a crates=()
declare -A versions=()
manifest_shown=$(show "$manifest")
[[ -f $manifest ]] || die "no manifest: $manifest_shown"
while read -r name ver rest; do
    [[ -z ${name:-} || $name == \#* ]] && continue
    [[ -n ${ver:-} && -z ${rest:-} ]] || die "$manifest_shown: expected 'name version', got: $name ${ver:-} ${rest:-}"
    crates+=("$name")
    versions[$name]=$ver
done <"$manifest"

# --- arguments --------------------------------------------------------------

mode=apply
case ${1:-} in
    apply | check | diff) mode=$1; shift ;;
    -h | --help | help) usage; exit 0 ;;
esac
declare -A override=()
force=0
declare -a args=()
while (($#)); do
    case $1 in
        --version) (($# >= 2)) || die "--version needs CRATE=VER"; set -- "--version=$2" "${@:3}"; continue ;;
        --version=*=*)
            spec=${1#--version=}
            [[ -n ${versions[${spec%%=*}]:-} ]] || die "--version: ${spec%%=*} is not in $(show "$manifest")"
            override[${spec%%=*}]=${spec#*=} ;;
        --force) force=1 ;;
        -h | --help) usage; exit 0 ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) args+=("$1") ;;
    esac
    shift
done
for name in "${!override[@]}"; do versions[$name]=${override[$name]}; done

# --- getting the published crate --------------------------------------------

# The download cache's archive is what was published (cargo checked its
# checksum); the unpacked copy is the fallback.
find_published() { # name ver -> path of a .crate or of an unpacked directory
    local name=$1 ver=$2 hit
    for hit in "$cargo_home"/registry/cache/*/"$name-$ver.crate" "$cargo_home"/registry/src/*/"$name-$ver"; do
        [[ -e $hit ]] && { printf '%s\n' "$hit"; return 0; }
    done
    return 1
}

cargo_fetch() { # name ver
    local name=$1 ver=$2 scratch
    command -v cargo >/dev/null || die "$name $ver is not in $cargo_home/registry and cargo is not installed to fetch it"
    echo "vendor-patches: fetching $name $ver" >&2
    scratch=$work/fetch-$name
    mkdir -p "$scratch/src"
    : >"$scratch/src/lib.rs"
    cat >"$scratch/Cargo.toml" <<EOF
[package]
name = "vendor-patches-fetch"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
$name = { version = "=$ver", default-features = false }

[workspace]
EOF
    (cd "$scratch" && cargo fetch --quiet) || die "cargo fetch of $name $ver failed"
}

unpack_published() { # name ver dest
    local name=$1 ver=$2 dest=$3 src tmp f
    src=$(find_published "$name" "$ver") || { cargo_fetch "$name" "$ver"; src=$(find_published "$name" "$ver"); } ||
        die "cargo fetch did not bring $name $ver into $cargo_home/registry"
    # (Called where errexit is off, hence the explicit checks.)
    if [[ -d $src ]]; then
        cp -R "$src" "$dest" || die "could not copy $src"
    else
        tmp=$work/unpack-$name
        mkdir -p "$tmp" || die "could not make $tmp"
        tar -xzf "$src" -C "$tmp" --no-same-owner || die "could not unpack $src"
        [[ -d $tmp/$name-$ver ]] || die "$src does not hold $name-$ver/"
        mv "$tmp/$name-$ver" "$dest" || die "could not move $name-$ver out of $tmp"
        rmdir "$tmp" || die "$src holds more than $name-$ver/"
    fi
    for f in "${dropped[@]}"; do rm -f "$dest/$f" || die "could not remove $dest/$f"; done
}

# --- applying patches -------------------------------------------------------

# Prints the header of hunk number $3 for file $2 in diff $1, counting lines so
# that a "+++"/"@@" inside a hunk's text is not taken for a header.
hunk_header() {
    awk -v want_file="$2" -v want="$3" '
        function strip(p) { sub(/\t.*/, "", p); sub(/^[ab]\//, "", p); return p }
        function count(r,   i) { i = index(r, ","); return i ? substr(r, i + 1) + 0 : 1 }
        inhunk {
            c = substr($0, 1, 1)
            if (c == " " || c == "") { old--; new-- } else if (c == "-") old--; else if (c == "+") new--
            if (old <= 0 && new <= 0) inhunk = 0
            next
        }
        /^\+\+\+ / { file = strip(substr($0, 5)); k = 0; next }
        /^@@ / {
            k++
            if (file == want_file && k == want) { print; exit }
            split($0, f, " "); old = count(f[2]); new = count(f[3]); inhunk = 1
        }' "$1"
}

# Explains patch(1)'s output for a patch that did not apply.
report_failure() { # name ver diff output
    local name=$1 ver=$2 diff=$3 out=$4 line file="" missing=0 n f
    echo "vendor-patches: $name $ver: $(show "$diff") does not apply:" >&2
    while IFS= read -r line; do
        case $line in
            "patching file "*) file=${line#patching file }; file=${file#\'}; file=${file%\'} ;;
            "can't find file to patch"*) missing=1 ;;
            "|+++ "*)
                if ((missing)); then
                    f=${line#|+++ }; f=${f%%$'\t'*}; f=${f#b/}
                    echo "  $f: no such file in $name $ver" >&2
                    missing=0
                fi ;;
            "Hunk #"*" FAILED at "*)
                n=${line#Hunk #}; n=${n%% *}
                echo "  $file: hunk #$n failed: $(hunk_header "$diff" "$file" "$n")" >&2 ;;
            "Reversed (or previously applied) patch detected!"*)
                echo "  $file: the change is already there (patch looks reversed): has upstream taken it?" >&2 ;;
        esac
    done <<<"$out"
    echo "  patch said:" >&2
    while IFS= read -r line; do echo "  | $line"; done <<<"$out" >&2
}

# Builds the patched crate in $work/$name; returns 1 if a patch did not apply.
# A patch named in $3 (a file name) is left out.
build_crate() { # name ver [skip]
    local name=$1 ver=$2 skip=${3:-} dest=$work/$1 diff out ok=0
    unpack_published "$name" "$ver" "$dest"
    for diff in "$patches/$name"/*.diff; do
        [[ -e $diff ]] || continue
        [[ ${diff##*/} == "$skip" ]] && continue
        if ! out=$(cd "$dest" && patch -p1 --forward --batch --fuzz=0 --no-backup-if-mismatch \
            --remove-empty-files -i "$diff" 2>&1); then
            report_failure "$name" "$ver" "$diff" "$out"
            ok=1
        fi
    done
    return "$ok"
}

# Makes directory $2 hold exactly the files of $1; a file whose content and
# executable bit already match is not touched (cargo rebuilds a path
# dependency whose files' times change). Prints how many files changed.
sync_tree() { # src dst
    local src=$1 dst=$2 f changed=0
    mkdir -p "$dst"
    while IFS= read -r -d '' f; do
        if [[ ! -e $src/$f ]]; then rm -f -- "$dst/$f"; changed=$((changed + 1)); fi
    done < <(cd "$dst" && find . \( -type f -o -type l \) -print0)
    while IFS= read -r -d '' f; do
        if [[ -L $dst/$f || ! -f $dst/$f ]] || ! cmp -s "$src/$f" "$dst/$f"; then
            mkdir -p "$(dirname "$dst/$f")"
            rm -f -- "$dst/$f"
            cp "$src/$f" "$dst/$f"
            changed=$((changed + 1))
        fi
        if [[ -x $src/$f && ! -x $dst/$f ]]; then chmod +x "$dst/$f"; changed=$((changed + 1)); fi
        if [[ ! -x $src/$f && -x $dst/$f ]]; then chmod -x "$dst/$f"; changed=$((changed + 1)); fi
    done < <(cd "$src" && find . -type f -print0)
    find "$dst" -mindepth 1 -type d -empty -delete
    echo "$changed"
}

uncommitted() { # dir: prints git's status of the directory, if it is in a work tree
    command -v git >/dev/null && git -C "$vendor" rev-parse --is-inside-work-tree >/dev/null 2>&1 || return 0
    git -C "$vendor" status --porcelain -- "$1"
}

set_manifest_version() { # name ver
    awk -v name="$1" -v ver="$2" '$1 == name && NF == 2 { $2 = ver } { print }' "$manifest" >"$manifest.tmp"
    mv "$manifest.tmp" "$manifest"
}

# --- main -------------------------------------------------------------------

work=$(mktemp -d "${TMPDIR:-/tmp}/vendor-patches.XXXXXX")
keep_work=0
cleanup() { ((keep_work)) || rm -rf "$work"; }
trap cleanup EXIT

for dir in "$patches"/*/; do
    [[ ! -d $dir || -n ${versions[$(basename "$dir")]:-} ]] ||
        echo "vendor-patches: warning: $(show "${dir%/}") is not named in $(show "$manifest"); its patches are not used" >&2
done

if [[ $mode == diff ]]; then
    ((${#args[@]} == 2)) || die "usage: $0 diff CRATE NN-name"
    name=${args[0]}
    patch_name=${args[1]%.diff}.diff
    [[ -n ${versions[$name]:-} ]] || die "$name is not in $(show "$manifest")"
    [[ $patch_name != */* ]] || die "give the patch's file name, not a path"
    [[ -d $vendor/$name ]] || die "no $(show "$vendor/$name")"
    leftovers=$(cd "$vendor/$name" && find . -name '*.rej' -o -name '*.orig')
    [[ -z $leftovers ]] || die "remove patch's leftovers from $(show "$vendor/$name") first:"$'\n'"$leftovers"
    build_crate "$name" "${versions[$name]}" "$patch_name" ||
        die "the other patches of $name do not apply; fix them first"
    out=$patches/$name/$patch_name
    mkdir -p "$patches/$name"
    : >"$work/new.diff"
    while IFS= read -r f; do
        a=$work/$name/$f b=$vendor/$name/$f
        [[ -f $a && -f $b ]] && cmp -s "$a" "$b" && continue
        rc=0
        diff -u -p -N --label "a/$f" --label "b/$f" "$a" "$b" >>"$work/new.diff" || rc=$?
        ((rc == 1)) || die "diff failed on $f"
        if grep -q '^Binary files ' "$work/new.diff"; then die "$f is binary; a patch can only change text"; fi
        echo "  $f" >&2
    done < <({ (cd "$work/$name" && find . -type f) && (cd "$vendor/$name" && find . -type f); } | sed 's|^\./||' | sort -u)
    [[ -s $work/new.diff ]] || die "$(show "$vendor/$name") has no changes beyond its other patches"
    mv "$work/new.diff" "$out"
    echo "vendor-patches: wrote $(show "$out"); run '$0 check' to confirm the patches rebuild vendor/" >&2
    exit 0
fi

((${#args[@]})) || args=("${crates[@]}")
declare -A chosen=()
for name in "${args[@]}"; do
    [[ -n ${versions[$name]:-} ]] || die "$name is not in $(show "$manifest")"
    [[ -z ${chosen[$name]:-} ]] || die "$name is named twice"
    chosen[$name]=1
done
for name in "${!override[@]}"; do
    [[ -n ${chosen[$name]:-} ]] || die "--version names $name, which this run does not rebuild"
done

failed=0
for name in "${args[@]}"; do
    build_crate "$name" "${versions[$name]}" || failed=1
done
if ((failed)); then
    keep_work=1
    [[ $mode == check ]] || echo "vendor-patches: vendor/ left as it was" >&2
    echo "vendor-patches: the patched trees, with a .rej file beside each file a hunk missed, are in $work" >&2
    exit 1
fi

if [[ $mode == check ]]; then
    status=0
    for name in "${args[@]}"; do
        label="$name ${versions[$name]} + patches"
        if [[ ! -d $vendor/$name ]]; then
            echo "vendor-patches: $(show "$vendor/$name") is missing" >&2
            status=1
            continue
        fi
        same=1
        if ! diff -ru "$work/$name" "$vendor/$name" >"$work/$name.check"; then
            sed "s|$work/$name|$name-${versions[$name]}+patches|g; s|$root/||g" "$work/$name.check"
            same=0
        fi
        x_published=$(cd "$work/$name" && find . -type f -perm -u+x | sort)
        x_vendored=$(cd "$vendor/$name" && find . -type f -perm -u+x | sort)
        if [[ $x_published != "$x_vendored" ]]; then
            echo "executable files: < $label, > $(show "$vendor/$name")"
            diff <(echo "$x_published") <(echo "$x_vendored") || true
            same=0
        fi
        if ((same)); then
            echo "vendor-patches: $(show "$vendor/$name") = $label" >&2
        else
            echo "vendor-patches: $(show "$vendor/$name") differs from $label" >&2
            status=1
        fi
    done
    exit "$status"
fi

# apply
if ((!force)); then
    for name in "${args[@]}"; do
        dirty=$(uncommitted "$vendor/$name")
        [[ -z $dirty ]] || die "$(show "$vendor/$name") has uncommitted changes (save them as a patch with '$0 diff', or pass --force):"$'\n'"$(head -n 10 <<<"$dirty")"
    done
fi
for name in "${args[@]}"; do
    changed=$(sync_tree "$work/$name" "$vendor/$name")
    echo "vendor-patches: $(show "$vendor/$name") = $name ${versions[$name]} + patches ($changed files changed)" >&2
done
for name in "${!override[@]}"; do
    set_manifest_version "$name" "${override[$name]}"
    echo "vendor-patches: $(show "$manifest"): $name ${override[$name]}" >&2
done
