//! Whether the tools that build a project in a language are installed,
//! and, for each that is not, the command that installs it. `warren new`
//! says so without failing: the project is written all the same.

use super::{Lang, RUST_TARGET, ZIG_VERSION};
use std::process::{Command, Stdio};

/// A tool a project needs that is not there.
pub struct Missing {
    /// What it is.
    pub what: String,
    /// How to install it: a command, or where to get it.
    pub install: String,
}

/// The tools `lang`'s build command needs that are missing.
pub fn missing(lang: Lang) -> Vec<Missing> {
    let mut missing = Vec::new();
    let mut need = |what: &str, install: String| missing.push(Missing { what: what.into(), install });
    match lang {
        Lang::Rust => {
            if !runs("cargo", &["--version"]) {
                need("Rust (cargo)", "curl https://sh.rustup.rs -sSf | sh   (see https://rustup.rs)".into());
            }
            if !rust_target_installed() {
                need(&format!("Rust's {RUST_TARGET} target"), format!("rustup target add {RUST_TARGET}"));
            }
        }
        Lang::C => {
            if !clang_with_wasm_ld() {
                need(
                    "clang and wasm-ld (lld)",
                    "sudo apt-get install clang lld   (macOS: brew install llvm lld)".into(),
                );
            }
        }
        Lang::Zig => {
            let pinned = |program: &str, args: &[&str]| output(program, args).is_some_and(|v| v.trim() == ZIG_VERSION);
            if !pinned("zig", &["version"]) && !pinned("python3", &["-m", "ziglang", "version"]) {
                need(
                    &format!("Zig {ZIG_VERSION}"),
                    format!(
                        "python3 -m pip install --target .ziglang ziglang=={ZIG_VERSION}   (in the project, where build.sh \
                         looks; or Zig {ZIG_VERSION} from https://ziglang.org/download/ on the PATH)"
                    ),
                );
            }
        }
        Lang::AssemblyScript => {
            if !runs("node", &["--version"]) || !runs("npm", &["--version"]) {
                need(
                    "Node.js 20 or later and npm",
                    "sudo apt-get install nodejs npm   (or from https://nodejs.org)".into(),
                );
            }
        }
        Lang::Wat => {}
    }
    missing
}

/// What `program args` prints on stdout, if it runs and succeeds.
fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

fn runs(program: &str, args: &[&str]) -> bool {
    output(program, args).is_some()
}

/// Whether the Rust target is installed. Without rustup (a Rust from
/// elsewhere) there is no asking: say nothing.
fn rust_target_installed() -> bool {
    match output("rustup", &["target", "list", "--installed"]) {
        Some(list) => list.lines().any(|line| line.trim() == RUST_TARGET),
        None => !runs("rustup", &["--version"]),
    }
}

/// Whether a clang (or `clang-NN`) runs and finds wasm-ld, as the C
/// project's build.sh looks for them.
fn clang_with_wasm_ld() -> bool {
    let clang = std::iter::once("clang".to_string())
        .chain((14..=22).rev().map(|v| format!("clang-{v}")))
        .find(|clang| runs(clang, &["--version"]));
    let Some(clang) = clang else { return false };
    let Some(linker) = output(&clang, &["--target=wasm32", "-print-prog-name=wasm-ld"]) else { return false };
    let linker = std::path::PathBuf::from(linker.trim());
    if linker.is_absolute() {
        return linker.is_file();
    }
    std::env::var_os("PATH").is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(&linker).is_file()))
}
