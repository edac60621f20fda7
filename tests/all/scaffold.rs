//! `warren new`: for each language, the project it writes builds with its
//! one build command and runs with `warren run`, printing the greeter's
//! reply and exiting 0; names and directories it must refuse are refused;
//! a missing toolchain is named with its install command.
//!
//! The toolchains are the tests' own (`./test.sh` installs them): clang and
//! lld, the pinned Zig in `target/ziglang`, Node.js and npm, Rust's
//! `wasm32-wasip1` target. A missing one fails its test with the command
//! that installs it.

use crate::control::{Output, Sandbox};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The line every template's `main` prints.
fn greeting(name: &str) -> String {
    format!("{name}: the greeter replied \"Hello, world!\"")
}

/// Runs `warren args` in `dir` with the extra environment `env`, to its end.
fn warren_in(sandbox: &Sandbox, dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_warren"));
    cmd.args(args).current_dir(dir).env("XDG_RUNTIME_DIR", &sandbox.0).stdin(Stdio::null());
    for (key, value) in env {
        cmd.env(key, value);
    }
    let output = cmd.output().expect("warren runs");
    let output = Output {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert!(!output.stderr.contains("panicked"), "warren panicked:\n{}", output.stderr);
    output
}

/// `warren new NAME --lang LANG --path DIR` in the sandbox; returns the
/// project's directory.
fn new_project(sandbox: &Sandbox, name: &str, lang: &str) -> PathBuf {
    let dir = sandbox.0.join(name);
    let path = dir.to_str().expect("UTF-8 path");
    let out = warren_in(sandbox, &sandbox.0, &["new", name, "--lang", lang, "--path", path], &[]);
    out.ok();
    assert!(out.stdout.contains("Created "), "no summary:\n{}", out.stdout);
    dir
}

/// Runs a project's build command `program args` in `dir`, with `env`
/// set and the variables in `unset` removed; fails the test with its
/// output and `install` (how to get the toolchain) if it fails.
fn build(dir: &Path, program: &str, args: &[&str], env: &[(&str, &str)], unset: &[&str], install: &str) {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(dir).stdin(Stdio::null());
    for (key, value) in env {
        cmd.env(key, value);
    }
    for key in unset {
        cmd.env_remove(key);
    }
    let output = cmd.output().unwrap_or_else(|e| panic!("cannot run `{program}` ({e}); {install}"));
    assert!(
        output.status.success(),
        "`{program} {}` failed in {} ({}); {install}\n--- stdout\n{}\n--- stderr\n{}",
        args.join(" "),
        dir.display(),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

/// `warren run FILE`: the greeting on stdout, exit code 0.
fn runs_and_greets(sandbox: &Sandbox, dir: &Path, file: &Path, name: &str) {
    let file = file.to_str().expect("UTF-8 path");
    let out = warren_in(sandbox, dir, &["run", file], &[]);
    out.ok();
    assert_eq!(out.stdout.lines().collect::<Vec<_>>(), [greeting(name).as_str()], "stderr:\n{}", out.stderr);
}

/// The Warren checkout (where the tests' toolchains are installed).
fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn warren_new_wat_runs_without_a_build() {
    let sandbox = Sandbox::new();
    // The default directory, ./NAME; an existing empty directory is taken.
    std::fs::create_dir(sandbox.0.join("hello-wat")).expect("empty dir made");
    warren_in(&sandbox, &sandbox.0, &["new", "hello-wat", "--lang", "wat"], &[]).ok();
    let dir = sandbox.0.join("hello-wat");
    for file in ["hello-wat.wat", "README.md", ".gitignore"] {
        assert!(dir.join(file).is_file(), "{file} written");
    }
    runs_and_greets(&sandbox, &dir, &dir.join("hello-wat.wat"), "hello-wat");
}

#[test]
fn warren_new_c_builds_with_build_sh_and_runs() {
    let sandbox = Sandbox::new();
    let dir = new_project(&sandbox, "hello_c", "c");
    build(
        &dir,
        "sh",
        &["build.sh"],
        &[],
        &[],
        "the C project needs clang and lld: `apt-get install clang lld` (./test.sh does it)",
    );
    runs_and_greets(&sandbox, &dir, &dir.join("hello_c.wasm"), "hello_c");
}

#[test]
fn warren_new_zig_builds_with_build_sh_and_runs() {
    let sandbox = Sandbox::new();
    let dir = new_project(&sandbox, "hello-zig", "zig");
    // The pinned Zig the tests install (guests/zig/install.sh); build.sh
    // would also find a `zig` or `python3 -m ziglang` of that version.
    let pinned = repo().join("target/ziglang/ziglang/zig");
    let zig = std::env::var("WARREN_ZIG").unwrap_or_else(|_| pinned.display().to_string());
    let zig_cache = repo().join("target/scaffold-zig-cache");
    let cache = zig_cache.to_str().expect("UTF-8 path");
    build(
        &dir,
        "sh",
        &["build.sh"],
        &[("ZIG", &zig), ("ZIG_GLOBAL_CACHE_DIR", cache)],
        &[],
        "the Zig project needs Zig 0.14.1: run `guests/zig/install.sh` (./test.sh does it)",
    );
    runs_and_greets(&sandbox, &dir, &dir.join("hello-zig.wasm"), "hello-zig");
}

#[test]
fn warren_new_assemblyscript_builds_with_npm_and_runs() {
    let sandbox = Sandbox::new();
    let dir = new_project(&sandbox, "hello-as", "assemblyscript");
    let install = "the AssemblyScript project needs Node.js and npm: `apt-get install nodejs npm` (./test.sh does it)";
    // `npm install && npm run build`, taking the locked compiler from npm's
    // cache when it is there (the tests' own `npm ci` put it there).
    build(&dir, "npm", &["install", "--prefer-offline", "--no-audit", "--no-fund"], &[], &[], install);
    build(&dir, "npm", &["run", "build"], &[], &[], install);
    runs_and_greets(&sandbox, &dir, &dir.join("hello-as.wasm"), "hello-as");
}

#[test]
fn warren_new_rust_builds_with_cargo_and_runs() {
    let sandbox = Sandbox::new();
    let dir = new_project(&sandbox, "hello-rust", "rust");
    let cargo_toml = std::fs::read_to_string(dir.join("Cargo.toml")).expect("Cargo.toml written");
    let sdk = std::fs::canonicalize(repo().join("guest-sdk")).expect("the SDK is there");
    assert!(cargo_toml.contains(&format!("path = \"{}\"", sdk.display())), "the SDK by path:\n{cargo_toml}");
    // The toolchain rust-toolchain.toml pins (which has the target), not
    // whatever rustup's default is outside the checkout; a target directory
    // under target/ that later runs reuse; the SDK's dependencies from
    // cargo's cache.
    let toolchain = std::fs::read_to_string(repo().join("rust-toolchain.toml")).expect("rust-toolchain.toml");
    let channel = toolchain
        .lines()
        .find_map(|line| line.trim().strip_prefix("channel = ").map(|v| v.trim_matches('"').to_string()))
        .expect("a channel in rust-toolchain.toml");
    let target_dir = repo().join("target/scaffold-rust");
    let target = target_dir.to_str().expect("UTF-8 path");
    build(
        &dir,
        "cargo",
        &["build", "--release", "--offline"],
        &[("CARGO_TARGET_DIR", target), ("RUSTUP_TOOLCHAIN", &channel)],
        // Flags meant for the host crates would replace the project's own
        // (.cargo/config.toml's link flags).
        &["RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_BUILD_RUSTFLAGS", "CARGO_BUILD_TARGET"],
        "the Rust project needs the wasm32-wasip1 target: `rustup target add wasm32-wasip1` (./test.sh does it)",
    );
    runs_and_greets(&sandbox, &dir, &target_dir.join("wasm32-wasip1/release/hello_rust.wasm"), "hello-rust");
}

#[test]
fn warren_new_refuses_a_name_that_is_not_one() {
    let sandbox = Sandbox::new();
    for name in ["", "My-App", "1st", "-x", "a b", "../escape", "a/b", "x.y", &"n".repeat(65)] {
        // After `--`, so that clap takes `-x` as the name too.
        let out = warren_in(&sandbox, &sandbox.0, &["new", "--lang", "wat", "--", name], &[]);
        out.fails_with("is not a project name");
    }
    // A keyword cannot name a Rust crate.
    warren_in(&sandbox, &sandbox.0, &["new", "fn", "--lang", "rust"], &[]).fails_with("cannot name a Rust crate");
    let left: Vec<_> = std::fs::read_dir(&sandbox.0).expect("sandbox read").collect();
    assert!(left.is_empty(), "nothing written: {left:?}");
}

#[test]
fn warren_new_refuses_an_existing_directory_that_is_not_empty() {
    let sandbox = Sandbox::new();
    let dir = sandbox.0.join("taken");
    std::fs::create_dir(&dir).expect("dir made");
    std::fs::write(dir.join("notes.txt"), "mine").expect("file written");
    let path = dir.to_str().expect("UTF-8 path");
    for lang in ["rust", "c", "zig", "assemblyscript", "wat"] {
        warren_in(&sandbox, &sandbox.0, &["new", "app", "--lang", lang, "--path", path], &[])
            .fails_with("already exists and is not empty");
    }
    // Nor a file where the directory would go.
    warren_in(&sandbox, &sandbox.0, &["new", "app", "--path", dir.join("notes.txt").to_str().expect("UTF-8")], &[])
        .fails_with("exists and is not a directory");
    // An --sdk that is not the guest SDK is refused before anything is written.
    let not_sdk = sandbox.0.join("not-an-sdk");
    let not_sdk = not_sdk.to_str().expect("UTF-8 path");
    warren_in(&sandbox, &sandbox.0, &["new", "app", "--lang", "rust", "--sdk", not_sdk], &[])
        .fails_with("no Cargo.toml there");
    assert!(!sandbox.0.join("app").exists(), "no project written");
    let files: Vec<_> = std::fs::read_dir(&dir).expect("dir read").map(|e| e.expect("entry").file_name()).collect();
    assert_eq!(files, ["notes.txt"], "nothing else written");
    assert_eq!(std::fs::read_to_string(dir.join("notes.txt")).expect("file read"), "mine");
}

#[test]
fn warren_new_names_the_install_command_of_a_missing_toolchain() {
    let sandbox = Sandbox::new();
    // A PATH with none of the tools: every check fails, the project is
    // written all the same, and the next steps say what to install.
    let empty = sandbox.0.join("empty-path");
    std::fs::create_dir(&empty).expect("dir made");
    let path = empty.to_str().expect("UTF-8 path");
    for (lang, file, install) in [
        ("c", "build.sh", "apt-get install clang lld"),
        ("zig", "build.sh", "python3 -m pip install --target .ziglang ziglang==0.14.1"),
        ("assemblyscript", "package.json", "apt-get install nodejs npm"),
        ("rust", "Cargo.toml", "https://rustup.rs"),
    ] {
        let name = format!("missing-{lang}");
        let dir = sandbox.0.join(&name);
        let out = warren_in(
            &sandbox,
            &sandbox.0,
            &["new", &name, "--lang", lang, "--path", dir.to_str().expect("UTF-8")],
            &[("PATH", path)],
        );
        out.ok();
        assert!(out.stdout.contains("To build it, install first:"), "{lang}:\n{}", out.stdout);
        assert!(out.stdout.contains(install), "{lang} names `{install}`:\n{}", out.stdout);
        assert!(dir.join(file).is_file(), "{lang}: the project is written");
    }
    // WAT needs no tool: no install line.
    let out = warren_in(&sandbox, &sandbox.0, &["new", "fine", "--lang", "wat"], &[]);
    out.ok();
    assert!(!out.stdout.contains("install first"), "{}", out.stdout);
}
