//! Compiles Warren's test guests to wasm and writes `$OUT_DIR/artifacts.rs`,
//! one `pub const NAME: &str = "/abs/path/name.wasm";` per guest (included by
//! `src/lib.rs`).
//!
//! * Rust guests: the cargo workspace `guests/rust` is built with
//!   `cargo build --release --target wasm32-unknown-unknown`, run from that
//!   directory (so its `.cargo/config.toml` applies) with a target directory
//!   inside `OUT_DIR`. Every member directory of `guests/rust` (a directory
//!   holding a `Cargo.toml`) must be a `cdylib`; package `sdk-pingpong`
//!   becomes `SDK_PINGPONG`.
//! * C guests: every `guests/c/NAME.c` is compiled with
//!   `clang --target=wasm32 -O2 -nostdlib -mmutable-globals -Wl,--no-entry
//!   -Wl,--export=__stack_pointer -Wl,--export-dynamic -Wl,--allow-undefined`
//!   and becomes `C_NAME`. Needs clang and wasm-ld
//!   (`apt-get install clang lld`), only when there is a C file. Set
//!   `WARREN_CLANG` to choose the clang binary. A file whose first line is
//!   `// warren: wasi-libc` is built with wasi-libc instead
//!   (`--target=wasm32-wasi -mexec-model=reactor`, the sysroot of
//!   `WASI_SYSROOT`, else `/usr/share/wasi-sysroot` if present, else clang's
//!   own, which finds Debian's `wasi-libc`); it needs `apt-get install
//!   wasi-libc libclang-rt-dev-wasm32`.
//! * Zig guests: every `guests/zig/NAME.zig` but the binding's own files
//!   (`warren.zig`, `term.zig`) is compiled with `zig build-exe -target
//!   wasm32-freestanding` (see [`zig_flags`]) and becomes `ZIG_NAME`;
//!   `echo.zig` is also compiled for `wasm32-wasi`, as `ZIG_ECHO_WASI`.
//!   Needs the Zig pinned in `guests/zig/requirements.txt`
//!   (`guests/zig/install.sh` puts it in `target/ziglang`); set `WARREN_ZIG`
//!   to choose the compiler (a command, e.g. `python3 -m ziglang`).
//! * AssemblyScript guests: every `guests/assemblyscript/examples/NAME.ts`
//!   and `guests/assemblyscript/tests/NAME.ts` is compiled with the `asc`
//!   that `guests/assemblyscript/package-lock.json` locks (with that
//!   directory's `asconfig.json` and transform: incremental runtime, `-O3`)
//!   and becomes `AS_NAME`. Needs Node.js and npm (`apt-get install nodejs
//!   npm`); runs `npm ci` there first when `node_modules` is missing.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const WASM_TARGET: &str = "wasm32-unknown-unknown";

fn main() {
    let manifest_dir = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let guests_dir = manifest_dir.parent().expect("guests/artifacts has a parent directory");
    let repo_dir = guests_dir.parent().expect("guests has a parent directory");

    println!("cargo:rerun-if-changed=build.rs");

    let mut artifacts = build_rust_guests(&guests_dir.join("rust"), &repo_dir.join("guest-sdk"), &out_dir);
    artifacts.extend(build_c_guests(&guests_dir.join("c"), &out_dir));
    artifacts.extend(build_zig_guests(&guests_dir.join("zig"), repo_dir, &out_dir));
    artifacts.extend(build_assemblyscript_guests(&guests_dir.join("assemblyscript"), &out_dir));
    write_artifacts_rs(&artifacts, &out_dir.join("artifacts.rs"));
}

/// One compiled guest.
struct Artifact {
    /// The constant's name, e.g. `SDK_PINGPONG`.
    constant: String,
    /// Where it came from, for the constant's doc comment.
    source: String,
    /// Absolute path of the `.wasm` file.
    wasm: PathBuf,
}

/// `sdk-pingpong` -> `SDK_PINGPONG`.
fn shouting_case(name: &str) -> String {
    name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

fn rerun_if_changed(path: &Path) {
    println!("cargo:rerun-if-changed={}", path.display());
}

/// The `name` in the `[package]` table of a `Cargo.toml` (a plain line
/// `name = "..."`, which is how the guests' manifests are written).
fn package_name(manifest: &Path) -> String {
    let text = fs::read_to_string(manifest).unwrap_or_else(|e| panic!("reading {}: {e}", manifest.display()));
    let mut in_package = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "name"
        {
            return value.trim().trim_matches('"').to_string();
        }
    }
    panic!("{}: no `name = \"...\"` line in [package]", manifest.display());
}

/// Builds the `guests/rust` workspace; returns its `.wasm` files.
fn build_rust_guests(rust_dir: &Path, sdk_dir: &Path, out_dir: &Path) -> Vec<Artifact> {
    // Watch sources only, never a `target` directory: someone running cargo
    // in guests/rust or guest-sdk by hand must not make this rerun.
    for file in ["Cargo.toml", "Cargo.lock", ".cargo/config.toml"] {
        rerun_if_changed(&rust_dir.join(file));
    }
    // The SDK and the crates it builds on by path: its macros, and the
    // term format (`term/`, beside the SDK).
    let term_dir = sdk_dir.parent().expect("guest-sdk has a parent directory").join("term");
    for dir in [sdk_dir.to_path_buf(), sdk_dir.join("macros"), term_dir] {
        rerun_if_changed(&dir.join("Cargo.toml"));
        rerun_if_changed(&dir.join("src"));
    }

    let mut members: Vec<(String, PathBuf)> = Vec::new();
    for entry in fs::read_dir(rust_dir).unwrap_or_else(|e| panic!("reading {}: {e}", rust_dir.display())) {
        let dir = entry.expect("reading guests/rust").path();
        let manifest = dir.join("Cargo.toml");
        if dir.is_dir() && manifest.is_file() {
            rerun_if_changed(&manifest);
            rerun_if_changed(&dir.join("src"));
            members.push((package_name(&manifest), dir));
        }
    }
    members.sort();

    let target_dir = out_dir.join("rust-guests");
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(rust_dir).args(["build", "--release", "--target", WASM_TARGET, "--target-dir"]).arg(&target_dir);
    scrub_cargo_env(&mut cmd);
    let output = cmd.output().unwrap_or_else(|e| panic!("running cargo for the Rust guests: {e}"));
    if !output.status.success() {
        panic!(
            "building the Rust guests failed ({}): {cmd:?} in {}\n--- stdout\n{}\n--- stderr\n{}",
            output.status,
            rust_dir.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
    }

    let release_dir = target_dir.join(WASM_TARGET).join("release");
    members
        .into_iter()
        .map(|(name, dir)| {
            let wasm = release_dir.join(format!("{}.wasm", name.replace('-', "_")));
            assert!(
                wasm.is_file(),
                "Rust guest {name} ({}) produced no {}: is it a member of guests/rust/Cargo.toml with crate-type = [\"cdylib\"]?",
                dir.display(),
                wasm.display()
            );
            Artifact {
                constant: shouting_case(&name),
                source: format!("Rust guest `{name}` (guests/rust/{})", dir.file_name().unwrap().to_string_lossy()),
                wasm,
            }
        })
        .collect()
}

/// Removes the variables the outer cargo gives a build script that would
/// change or break the nested build (flags and wrappers meant for the host
/// crates, its target dir, its jobserver, its profile, ...).
fn scrub_cargo_env(cmd: &mut Command) {
    const EXACT: &[&str] = &[
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_ENCODED_RUSTDOCFLAGS",
        "RUSTFLAGS",
        "RUSTDOCFLAGS",
        "CARGO_BUILD_RUSTFLAGS",
        "CARGO_BUILD_RUSTDOCFLAGS",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_TARGET_DIR",
        "CARGO_BUILD_TARGET",
        "CARGO_MAKEFLAGS",
        "MAKEFLAGS",
        "MFLAGS",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "CARGO_BUILD_RUSTC_WRAPPER",
        "CARGO_BUILD_RUSTC_WORKSPACE_WRAPPER",
        "RUSTC_LINKER",
        "TARGET",
        "HOST",
        "OPT_LEVEL",
        "PROFILE",
        "DEBUG",
        "OUT_DIR",
        "NUM_JOBS",
        "CARGO_MANIFEST_DIR",
        "CARGO_MANIFEST_PATH",
        "CARGO_MANIFEST_LINKS",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_CRATE_NAME",
    ];
    const PREFIXES: &[&str] = &[
        "CARGO_CFG_",
        "CARGO_FEATURE_",
        "CARGO_PROFILE_",
        "CARGO_PKG_",
        // CARGO_TARGET_<triple>_{RUSTFLAGS,LINKER,RUNNER} and CARGO_TARGET_DIR.
        "CARGO_TARGET_",
        "DEP_",
    ];
    for (key, _) in env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        if EXACT.contains(&key) || PREFIXES.iter().any(|p| key.starts_with(p)) {
            cmd.env_remove(key);
        }
    }
}

/// The files `dir/*.EXTENSION`, sorted.
fn files_with_extension(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .map(|entry| entry.unwrap_or_else(|e| panic!("reading {}: {e}", dir.display())).path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == extension))
        .collect();
    files.sort();
    files
}

/// Compiles every `c_dir/*.c`; returns the `.wasm` files.
fn build_c_guests(c_dir: &Path, out_dir: &Path) -> Vec<Artifact> {
    println!("cargo:rerun-if-env-changed=WARREN_CLANG");
    if !c_dir.is_dir() {
        return Vec::new();
    }
    // A directory: cargo rescans it, so new, changed and removed files
    // (headers included) all count.
    rerun_if_changed(c_dir);
    let sources = files_with_extension(c_dir, "c");
    if sources.is_empty() {
        return Vec::new();
    }

    let clang = find_clang();
    check_wasm_ld(&clang);
    let wasm_dir = out_dir.join("c-guests");
    fs::create_dir_all(&wasm_dir).unwrap_or_else(|e| panic!("creating {}: {e}", wasm_dir.display()));

    sources
        .into_iter()
        .map(|source| {
            rerun_if_changed(&source);
            let stem = source
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_else(|| panic!("{}: the file name is not UTF-8", source.display()));
            let wasm = wasm_dir.join(format!("{stem}.wasm"));
            let mut cmd = Command::new(&clang);
            if wants_wasi_libc(&source) {
                cmd.args(wasi_libc_args(&clang));
            } else {
                // The exported stack pointer (a mutable global, hence
                // -mmutable-globals) lets the module's processes hibernate
                // and their instances be recycled (docs/ABI.md "Hibernation").
                cmd.args([
                    "--target=wasm32",
                    "-nostdlib",
                    "-mmutable-globals",
                    "-Wl,--no-entry",
                    "-Wl,--export=__stack_pointer",
                ]);
            }
            cmd.args(["-O2", "-Wl,--export-dynamic", "-Wl,--allow-undefined", "-o"]).arg(&wasm).arg(&source);
            let output = cmd.output().unwrap_or_else(|e| panic!("running {clang}: {e}"));
            if !output.status.success() {
                panic!(
                    "compiling C guest {} failed ({}): {cmd:?}\n{}{}",
                    source.display(),
                    output.status,
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr),
                );
            }
            Artifact {
                constant: format!("C_{}", shouting_case(stem)),
                source: format!("C guest guests/c/{stem}.c"),
                wasm,
            }
        })
        .collect()
}

/// Whether a C guest asks for wasi-libc: its first line is
/// `// warren: wasi-libc`.
fn wants_wasi_libc(source: &Path) -> bool {
    let text = fs::read_to_string(source).unwrap_or_else(|e| panic!("reading {}: {e}", source.display()));
    text.lines().next().is_some_and(|line| line.trim() == "// warren: wasi-libc")
}

const WASI_LIBC_HINT: &str = "a C guest marked `// warren: wasi-libc` needs wasi-libc and the wasm32 \
     compiler builtins: install them with `apt-get install wasi-libc libclang-rt-dev-wasm32` (or set \
     WASI_SYSROOT to a wasi-sdk sysroot)";

/// clang's arguments for a guest built with wasi-libc, as a reactor (no
/// `main`: every export is an entry), after checking the sysroot and the
/// compiler builtins are there.
fn wasi_libc_args(clang: &str) -> Vec<String> {
    println!("cargo:rerun-if-env-changed=WASI_SYSROOT");
    let mut args = vec!["--target=wasm32-wasi".to_string(), "-mexec-model=reactor".to_string()];
    let sysroot = env::var_os("WASI_SYSROOT")
        .map(PathBuf::from)
        .or_else(|| Some(PathBuf::from("/usr/share/wasi-sysroot")).filter(|dir| dir.is_dir()));
    // Debian's wasi-libc lives where clang looks without a sysroot.
    let libc = match &sysroot {
        Some(dir) => dir.join("lib/wasm32-wasi/libc.a"),
        None => PathBuf::from("/usr/lib/wasm32-wasi/libc.a"),
    };
    assert!(libc.is_file(), "{} is missing; {WASI_LIBC_HINT}", libc.display());
    if let Some(dir) = sysroot {
        args.push(format!("--sysroot={}", dir.display()));
    }
    let output = Command::new(clang)
        .args(["--target=wasm32-wasi", "-print-libgcc-file-name"])
        .output()
        .unwrap_or_else(|e| panic!("running {clang}: {e}"));
    let builtins = String::from_utf8_lossy(&output.stdout).trim().to_string();
    assert!(Path::new(&builtins).is_file(), "{clang} has no builtins for wasm32-wasi ({builtins}); {WASI_LIBC_HINT}");
    args
}

fn runs(program: &str) -> bool {
    Command::new(program).arg("--version").output().is_ok_and(|out| out.status.success())
}

const INSTALL_HINT: &str = "the C guests in guests/c need clang and wasm-ld: install them with \
     `apt-get install clang lld` (or set WARREN_CLANG to a clang with the WebAssembly target)";

/// `$WARREN_CLANG`, else `clang`, else the newest `clang-NN` on the PATH.
fn find_clang() -> String {
    if let Ok(clang) = env::var("WARREN_CLANG") {
        assert!(runs(&clang), "WARREN_CLANG={clang} does not run; {INSTALL_HINT}");
        return clang;
    }
    std::iter::once("clang".to_string())
        .chain((11..=40).rev().map(|v| format!("clang-{v}")))
        .find(|clang| runs(clang))
        .unwrap_or_else(|| panic!("no clang found; {INSTALL_HINT}"))
}

/// Fails the build if clang cannot find `wasm-ld`.
fn check_wasm_ld(clang: &str) {
    let output = Command::new(clang)
        .args(["--target=wasm32", "-print-prog-name=wasm-ld"])
        .output()
        .unwrap_or_else(|e| panic!("running {clang}: {e}"));
    let linker = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let path = Path::new(&linker);
    let found = if path.is_absolute() {
        path.is_file()
    } else {
        env::var_os("PATH").is_some_and(|paths| env::split_paths(&paths).any(|dir| dir.join(&linker).is_file()))
    };
    assert!(found, "{clang} finds no wasm-ld (it says {linker:?}); {INSTALL_HINT}");
}

/// The files of `guests/zig` that are the binding, not guests.
const ZIG_LIBRARY: [&str; 2] = ["warren.zig", "term.zig"];

/// How every Zig guest is built (docs/ABI.md): a module without a `_start`
/// (`-fno-entry`) exporting what the source exports (`-rdynamic`), without
/// the UBSan runtime's exports, with safety checks on (a failed check is a
/// trap, the process's exit reason), a 64 KiB stack, and the stack pointer
/// exported so that its processes may hibernate.
fn zig_flags(target: &str) -> [&str; 12] {
    [
        "build-exe",
        "-target",
        target,
        "-fno-entry",
        "-rdynamic",
        "-fno-ubsan-rt",
        "-O",
        "ReleaseSafe",
        "-fstrip",
        "--stack",
        "65536",
        "--export=__stack_pointer",
    ]
}

/// Compiles every Zig guest of `zig_dir` (a few zig processes at a time);
/// returns the `.wasm` files.
fn build_zig_guests(zig_dir: &Path, repo_dir: &Path, out_dir: &Path) -> Vec<Artifact> {
    println!("cargo:rerun-if-env-changed=WARREN_ZIG");
    if !zig_dir.is_dir() {
        return Vec::new();
    }
    rerun_if_changed(zig_dir);
    let sources = files_with_extension(zig_dir, "zig");
    for source in &sources {
        rerun_if_changed(source);
    }
    let guests: Vec<&PathBuf> = sources
        .iter()
        .filter(|path| !ZIG_LIBRARY.iter().any(|lib| path.file_name().is_some_and(|name| name == *lib)))
        .collect();
    if guests.is_empty() {
        return Vec::new();
    }

    let zig = find_zig(zig_dir, repo_dir);
    let wasm_dir = out_dir.join("zig-guests");
    fs::create_dir_all(&wasm_dir).unwrap_or_else(|e| panic!("creating {}: {e}", wasm_dir.display()));
    let mut builds = Vec::new();
    for source in guests {
        let stem = source
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_else(|| panic!("{}: the file name is not UTF-8", source.display()));
        let mut targets = vec![("wasm32-freestanding", format!("ZIG_{}", shouting_case(stem)), stem.to_string())];
        if stem == "echo" {
            targets.push(("wasm32-wasi", "ZIG_ECHO_WASI".to_string(), "echo-wasi".to_string()));
        }
        for (target, constant, file) in targets {
            let wasm = wasm_dir.join(format!("{file}.wasm"));
            let mut cmd = zig.command();
            cmd.args(zig_flags(target))
                .arg("--cache-dir")
                .arg(out_dir.join("zig-cache"))
                .arg("--global-cache-dir")
                .arg(out_dir.join("zig-global-cache"))
                .arg(format!("-femit-bin={}", wasm.display()))
                .arg(source)
                .current_dir(zig_dir);
            let artifact = Artifact { constant, source: format!("Zig guest guests/zig/{stem}.zig ({target})"), wasm };
            builds.push((cmd, artifact));
        }
    }
    // As many at once as cargo runs jobs: each zig takes a core and about
    // 250 MB.
    let parallel = env::var("NUM_JOBS").ok().and_then(|n| n.parse().ok()).unwrap_or(1).max(1);
    let mut built = Vec::new();
    let mut builds = builds.into_iter().peekable();
    while builds.peek().is_some() {
        let running: Vec<_> = builds
            .by_ref()
            .take(parallel)
            .map(|(mut cmd, artifact)| {
                let child = cmd.spawn().unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
                (cmd, child, artifact)
            })
            .collect();
        for (cmd, child, artifact) in running {
            let output = child.wait_with_output().unwrap_or_else(|e| panic!("waiting for {cmd:?}: {e}"));
            if !output.status.success() {
                panic!(
                    "compiling {} failed ({}): {cmd:?}\n{}{}",
                    artifact.source,
                    output.status,
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr),
                );
            }
            built.push(artifact);
        }
    }
    built
}

/// A Zig compiler: a program and the arguments before zig's own.
struct Zig {
    program: String,
    prefix: Vec<String>,
}

impl Zig {
    fn command(&self) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.prefix);
        cmd
    }

    /// What `zig version` prints, if it runs.
    fn version(&self) -> Option<String> {
        let mut cmd = self.command();
        cmd.arg("version").stdin(std::process::Stdio::null());
        let output = cmd.output().ok().filter(|out| out.status.success())?;
        Some(String::from_utf8_lossy(&output.stdout).trim().to_string())
    }
}

/// `$WARREN_ZIG` (a command line, split at spaces), else the pinned
/// install in `target/ziglang`, else `python3 -m ziglang`, else `zig`; it
/// must be the version `guests/zig/requirements.txt` pins (the binding is
/// written for it: Zig changes between versions).
fn find_zig(zig_dir: &Path, repo_dir: &Path) -> Zig {
    let requirements = zig_dir.join("requirements.txt");
    rerun_if_changed(&requirements);
    let pinned = fs::read_to_string(&requirements)
        .unwrap_or_else(|e| panic!("reading {}: {e}", requirements.display()))
        .lines()
        .find_map(|line| line.trim().strip_prefix("ziglang==").map(|v| v.trim().to_string()))
        .unwrap_or_else(|| panic!("{}: no `ziglang==VERSION` line", requirements.display()));
    let hint = format!(
        "the Zig guests in guests/zig need Zig {pinned}: run `guests/zig/install.sh` (it runs \
         `python3 -m pip install --target target/ziglang ziglang=={pinned}`), or set WARREN_ZIG to a zig {pinned}"
    );
    let split = |line: &str| {
        let mut words = line.split_whitespace().map(str::to_string);
        let program = words.next().unwrap_or_default();
        Zig { program, prefix: words.collect() }
    };
    let candidates = if let Ok(line) = env::var("WARREN_ZIG") {
        vec![split(&line)]
    } else {
        let installed = repo_dir.join("target").join("ziglang").join("ziglang").join("zig");
        vec![
            Zig { program: installed.to_string_lossy().into_owned(), prefix: Vec::new() },
            split("python3 -m ziglang"),
            split("zig"),
        ]
    };
    let mut found = Vec::new();
    for zig in candidates {
        match zig.version() {
            Some(version) if version == pinned => return zig,
            Some(version) => found.push(format!("{} {} is {version}", zig.program, zig.prefix.join(" "))),
            None => {}
        }
    }
    if found.is_empty() {
        panic!("no Zig found; {hint}");
    }
    panic!("no Zig {pinned} found ({}); {hint}", found.join(", "));
}

fn write_artifacts_rs(artifacts: &[Artifact], dest: &Path) {
    let mut code = String::new();
    let mut seen = std::collections::BTreeSet::new();
    for artifact in artifacts {
        assert!(seen.insert(artifact.constant.as_str()), "two guests are both named {}", artifact.constant);
        let path = artifact.wasm.to_str().unwrap_or_else(|| panic!("{} is not UTF-8", artifact.wasm.display()));
        writeln!(code, "/// {}: absolute path of its `.wasm` file.", artifact.source).unwrap();
        writeln!(code, "pub const {}: &str = {path:?};", artifact.constant).unwrap();
    }
    code.push_str("\n/// Every guest, as `(constant name, path of its .wasm file)`.\n");
    code.push_str("pub const ALL: &[(&str, &str)] = &[\n");
    for artifact in artifacts {
        writeln!(code, "    ({:?}, {}),", artifact.constant, artifact.constant).unwrap();
    }
    code.push_str("];\n");
    fs::write(dest, code).unwrap_or_else(|e| panic!("writing {}: {e}", dest.display()));
}

const AS_INSTALL_HINT: &str = "the AssemblyScript guests in guests/assemblyscript need Node.js and npm: \
     install them with `apt-get install nodejs npm`";

/// Compiles every AssemblyScript guest (`examples/*.ts`, `tests/*.ts`) of
/// `as_dir` with its locked `asc`, all at once; returns the `.wasm` files.
fn build_assemblyscript_guests(as_dir: &Path, out_dir: &Path) -> Vec<Artifact> {
    if !as_dir.is_dir() {
        return Vec::new();
    }
    for watched in ["package.json", "package-lock.json", "asconfig.json", "transform", "assembly", "examples", "tests"]
    {
        rerun_if_changed(&as_dir.join(watched));
    }
    let mut sources: Vec<(String, PathBuf)> = Vec::new();
    for dir in ["examples", "tests"] {
        let Ok(entries) = fs::read_dir(as_dir.join(dir)) else { continue };
        for entry in entries {
            let path = entry.expect("reading guests/assemblyscript").path();
            if path.is_file() && path.extension().is_some_and(|ext| ext == "ts") {
                sources.push((dir.to_string(), path));
            }
        }
    }
    sources.sort();
    if sources.is_empty() {
        return Vec::new();
    }

    assert!(runs("node"), "no node found; {AS_INSTALL_HINT}");
    let asc = as_dir.join("node_modules/assemblyscript/bin/asc.js");
    if !asc.is_file() {
        // The compiler is locked by package-lock.json; `npm ci` installs
        // exactly that into node_modules (git-ignored).
        assert!(runs("npm"), "no npm found; {AS_INSTALL_HINT}");
        let output = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(as_dir)
            .output()
            .unwrap_or_else(|e| panic!("running npm ci in {}: {e}", as_dir.display()));
        if !output.status.success() {
            panic!(
                "`npm ci` in {} failed ({}):\n{}{}",
                as_dir.display(),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr),
            );
        }
    }

    let wasm_dir = out_dir.join("assemblyscript-guests");
    fs::create_dir_all(&wasm_dir).unwrap_or_else(|e| panic!("creating {}: {e}", wasm_dir.display()));
    let mut builds = Vec::new();
    for (dir, source) in &sources {
        let stem = source
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_else(|| panic!("{}: the file name is not UTF-8", source.display()));
        let wasm = wasm_dir.join(format!("{stem}.wasm"));
        let mut cmd = Command::new("node");
        // Relative paths: asc resolves the entry and the transform from
        // the working directory, where asconfig.json is.
        cmd.arg(&asc)
            .arg(format!("{dir}/{stem}.ts"))
            .args(["--transform", "./transform/warren.mjs", "-o"])
            .arg(&wasm)
            .current_dir(as_dir);
        let child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("running {cmd:?}: {e}"));
        let artifact = Artifact {
            constant: format!("AS_{}", shouting_case(stem)),
            source: format!("AssemblyScript guest guests/assemblyscript/{dir}/{stem}.ts"),
            wasm,
        };
        builds.push((cmd, child, artifact));
    }
    builds
        .into_iter()
        .map(|(cmd, child, artifact)| {
            let output = child.wait_with_output().unwrap_or_else(|e| panic!("waiting for {cmd:?}: {e}"));
            if !output.status.success() {
                panic!(
                    "compiling {} failed ({}): {cmd:?}\n{}{}",
                    artifact.source,
                    output.status,
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr),
                );
            }
            artifact
        })
        .collect()
}
