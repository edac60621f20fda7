//! `warren new NAME --lang rust|c|zig|assemblyscript|wat`: writes a guest
//! project that builds with one command and runs with `warren run`, as
//! `cargo new` and `mix new` do, then says what to install if the
//! language's toolchain is missing.
//!
//! The templates (`templates/`) and the bindings they build on (the C
//! headers, the Zig and AssemblyScript bindings, from their places in the
//! repository) are compiled into the binary, so a project needs no Warren
//! checkout; a Rust project depends on the guest SDK by path, since the SDK
//! is not on crates.io (`--sdk`, default: this checkout's `guest-sdk`).

mod toolchain;

use anyhow::{Context, Result, anyhow, bail};
use clap::ValueEnum;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// `warren new`'s arguments.
#[derive(clap::Args)]
pub struct NewArgs {
    /// The project's name: lowercase ASCII letters, digits, `-` and `_`,
    /// starting with a letter (at most 64); it names the directory, the
    /// module and the node.
    name: String,
    /// The guest's language.
    #[arg(long, value_enum, default_value_t = Lang::Rust)]
    lang: Lang,
    /// The project's directory; it must not exist or be empty [default: ./NAME].
    #[arg(long, value_name = "DIR")]
    path: Option<PathBuf>,
    /// The Rust guest SDK the project depends on, the `guest-sdk`
    /// directory of a Warren checkout (`--lang rust`) [default: the one
    /// this `warren` was built from].
    #[arg(long, value_name = "PATH")]
    sdk: Option<PathBuf>,
}

/// A guest language `warren new` knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    /// Rust with the guest SDK (GenServer, supervisors, terms...).
    Rust,
    /// C, freestanding, with `warren.h` and `warren_term.h`.
    C,
    /// Zig, with `warren.zig` and `term.zig`.
    Zig,
    /// AssemblyScript, with `assembly/warren.ts`.
    #[value(name = "assemblyscript", alias = "as")]
    AssemblyScript,
    /// WebAssembly text: nothing to build.
    Wat,
}

/// The Zig version the Zig binding is written for (and its build script
/// asks for): the one `guests/zig/requirements.txt` pins.
const ZIG_VERSION: &str = "0.14.1";
/// The AssemblyScript compiler the binding is written for, as
/// `guests/assemblyscript/package.json` pins it.
const ASC_VERSION: &str = "0.28.20";
/// The Rust target a Rust project builds for (`.cargo/config.toml`).
const RUST_TARGET: &str = "wasm32-wasip1";
/// The longest name taken (names become file, crate and node names).
const MAX_NAME: usize = 64;

/// One file of a new project: its path in the project, its text, and
/// whether it is a script to run.
struct File {
    path: String,
    text: String,
    executable: bool,
}

impl File {
    fn new(path: impl Into<String>, text: impl Into<String>) -> File {
        File { path: path.into(), text: text.into(), executable: false }
    }

    fn script(path: impl Into<String>, text: impl Into<String>) -> File {
        File { path: path.into(), text: text.into(), executable: true }
    }
}

/// Writes the project, prints the next steps and, when the toolchain is
/// missing, what to install (the project is written all the same).
pub fn run(args: NewArgs) -> Result<u8> {
    check_name(&args.name, args.lang)?;
    let dir = args.path.clone().unwrap_or_else(|| PathBuf::from(&args.name));
    check_dir(&dir)?;
    let sdk = match args.lang {
        Lang::Rust => Some(sdk_path(args.sdk.as_deref())?),
        _ => None,
    };
    let vars = Vars::new(&args.name, sdk.as_deref());
    let files = files(args.lang, &vars)?;
    write_project(&dir, &files)?;

    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "Created {} project `{}` in {}", lang_name(args.lang), args.name, dir.display());
    let _ = writeln!(out);
    let _ = writeln!(out, "Next:");
    let _ = writeln!(out, "  cd {}", shell_word(&dir));
    for step in next_steps(args.lang, &vars) {
        let _ = writeln!(out, "  {step}");
    }
    if let Some(sdk) = &sdk
        && !sdk.join("Cargo.toml").is_file()
    {
        let _ = writeln!(
            out,
            "\nNote: the guest SDK is not at {} (Cargo.toml depends on it by path): \
             pass `--sdk PATH/TO/guest-sdk` of a Warren checkout, or edit Cargo.toml.",
            sdk.display()
        );
    }
    let missing = toolchain::missing(args.lang);
    if !missing.is_empty() {
        let _ = writeln!(out, "\nTo build it, install first:");
        for need in missing {
            let _ = writeln!(out, "  {}: {}", need.what, need.install);
        }
    }
    Ok(0)
}

/// Refuses a name that would not make a file, crate, package and node
/// name (the same rule for every language, so a name works in each).
fn check_name(name: &str, lang: Lang) -> Result<()> {
    let starts_with_letter = name.chars().next().is_some_and(|c| c.is_ascii_lowercase());
    let all_allowed = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if !starts_with_letter || !all_allowed || name.len() > MAX_NAME {
        bail!(
            "`{name}` is not a project name: use lowercase ASCII letters, digits, `-` and `_`, \
             starting with a letter, at most {MAX_NAME} characters (e.g. `my-guest`)"
        );
    }
    // Cargo refuses a package named after a keyword or a standard crate.
    const RUST_RESERVED: &str = "as async await break const continue crate dyn else enum extern false fn for if \
        impl in let loop match mod move mut pub ref return self static struct super trait true type unsafe use where \
        while abstract become box do final gen macro override priv try typeof unsized virtual yield \
        core std alloc proc_macro test warren";
    if lang == Lang::Rust && RUST_RESERVED.split_whitespace().any(|word| word == name.replace('-', "_")) {
        bail!("`{name}` cannot name a Rust crate (a keyword, a standard crate or the SDK's own name): choose another");
    }
    Ok(())
}

/// Refuses a directory that exists and is not empty (or is not a
/// directory): `warren new` never writes over a file.
fn check_dir(dir: &Path) -> Result<()> {
    match fs::symlink_metadata(dir) {
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error).with_context(|| format!("cannot look at `{}`", dir.display())),
        Ok(meta) if !meta.is_dir() => bail!("`{}` exists and is not a directory", dir.display()),
        Ok(_) => {
            let mut entries = fs::read_dir(dir).with_context(|| format!("cannot read `{}`", dir.display()))?;
            if entries.next().is_some() {
                bail!("`{}` already exists and is not empty: choose another name or --path", dir.display());
            }
            Ok(())
        }
    }
}

/// The guest SDK's directory, absolute: `--sdk`, else the `guest-sdk` of
/// the checkout this binary was built from.
fn sdk_path(given: Option<&Path>) -> Result<PathBuf> {
    let sdk = match given {
        Some(path) => path.to_path_buf(),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("guest-sdk"),
    };
    let sdk = if sdk.is_absolute() {
        sdk
    } else {
        std::env::current_dir().context("cannot read the current directory")?.join(sdk)
    };
    // A given path must be the SDK; the default may be gone (a binary
    // copied away from its checkout): the project is still written, and
    // the next steps say to pass --sdk.
    if given.is_some() && !sdk.join("Cargo.toml").is_file() {
        bail!(
            "--sdk {}: no Cargo.toml there (it should be the `guest-sdk` directory of a Warren checkout)",
            sdk.display()
        );
    }
    Ok(fs::canonicalize(&sdk).unwrap_or(sdk))
}

/// What the templates' `{{...}}` placeholders become.
struct Vars {
    /// The project's name.
    name: String,
    /// The name as a Rust crate's (and its `.wasm` file's): `-` to `_`.
    crate_name: String,
    /// The guest SDK's path, as a TOML basic string's contents.
    sdk_toml: String,
    /// The guest SDK's path, as shown in the README.
    sdk_shown: String,
}

impl Vars {
    fn new(name: &str, sdk: Option<&Path>) -> Vars {
        let sdk = sdk.map(|path| path.display().to_string()).unwrap_or_default();
        Vars {
            name: name.to_string(),
            crate_name: name.replace('-', "_"),
            sdk_toml: sdk.replace('\\', "\\\\").replace('"', "\\\""),
            sdk_shown: sdk,
        }
    }

    /// `template` with its placeholders filled in. `{{sdk}}` is filled
    /// in as TOML text in `Cargo.toml` and as plain text elsewhere.
    fn fill(&self, template: &str, toml: bool) -> String {
        template
            .replace("{{name}}", &self.name)
            .replace("{{crate}}", &self.crate_name)
            .replace("{{sdk}}", if toml { &self.sdk_toml } else { &self.sdk_shown })
            .replace("{{zig_version}}", ZIG_VERSION)
            .replace("{{asc_version}}", ASC_VERSION)
            .replace("{{wat_prefix_len}}", &wat_prefix_len(&self.name).to_string())
    }
}

/// The length of the line `main.wat` prints before the reply (its
/// `(data (i32.const 256) ...)`), which the template cannot count itself.
fn wat_prefix_len(name: &str) -> usize {
    name.len() + ": the greeter replied \"".len()
}

/// The files of a new project in `lang`.
fn files(lang: Lang, vars: &Vars) -> Result<Vec<File>> {
    let fill = |template: &str| vars.fill(template, false);
    Ok(match lang {
        Lang::Rust => vec![
            File::new("Cargo.toml", vars.fill(include_str!("templates/rust/Cargo.toml"), true)),
            File::new(".cargo/config.toml", fill(include_str!("templates/rust/.cargo/config.toml"))),
            File::new("src/lib.rs", fill(include_str!("templates/rust/src/lib.rs"))),
            File::new("README.md", fill(include_str!("templates/rust/README.md"))),
            File::new(".gitignore", fill(include_str!("templates/rust/gitignore"))),
        ],
        Lang::C => vec![
            File::new("main.c", fill(include_str!("templates/c/main.c"))),
            File::script("build.sh", fill(include_str!("templates/c/build.sh"))),
            File::new("warren.h", include_str!("../../guests/c/warren.h")),
            File::new("warren_term.h", include_str!("../../guests/c/warren_term.h")),
            File::new("README.md", fill(include_str!("templates/c/README.md"))),
            File::new(".gitignore", fill(include_str!("templates/c/gitignore"))),
        ],
        Lang::Zig => vec![
            File::new("main.zig", fill(include_str!("templates/zig/main.zig"))),
            File::script("build.sh", fill(include_str!("templates/zig/build.sh"))),
            File::new("warren.zig", include_str!("../../guests/zig/warren.zig")),
            File::new("term.zig", include_str!("../../guests/zig/term.zig")),
            File::new("README.md", fill(include_str!("templates/zig/README.md"))),
            File::new(".gitignore", fill(include_str!("templates/zig/gitignore"))),
        ],
        Lang::AssemblyScript => {
            let mut files = vec![
                File::new("assembly/index.ts", fill(include_str!("templates/assemblyscript/assembly/index.ts"))),
                File::new("package.json", fill(include_str!("templates/assemblyscript/package.json"))),
                File::new("package-lock.json", package_lock(&vars.name)?),
                File::new("asconfig.json", include_str!("../../guests/assemblyscript/asconfig.json")),
                File::new("transform/warren.mjs", include_str!("../../guests/assemblyscript/transform/warren.mjs")),
                File::new("README.md", fill(include_str!("templates/assemblyscript/README.md"))),
                File::new(".gitignore", fill(include_str!("templates/assemblyscript/gitignore"))),
            ];
            files.extend(AS_BINDING.iter().map(|(path, text)| File::new(*path, *text)));
            files
        }
        Lang::Wat => vec![
            File::new(format!("{}.wat", vars.name), fill(include_str!("templates/wat/main.wat"))),
            File::new("README.md", fill(include_str!("templates/wat/README.md"))),
            File::new(".gitignore", fill(include_str!("templates/wat/gitignore"))),
        ],
    })
}

/// The AssemblyScript binding, at the paths its `asconfig.json` and its
/// own imports expect.
const AS_BINDING: &[(&str, &str)] = &[
    ("assembly/warren.ts", include_str!("../../guests/assemblyscript/assembly/warren.ts")),
    ("assembly/warren/bytes.ts", include_str!("../../guests/assemblyscript/assembly/warren/bytes.ts")),
    ("assembly/warren/codes.ts", include_str!("../../guests/assemblyscript/assembly/warren/codes.ts")),
    ("assembly/warren/errors.ts", include_str!("../../guests/assemblyscript/assembly/warren/errors.ts")),
    ("assembly/warren/message.ts", include_str!("../../guests/assemblyscript/assembly/warren/message.ts")),
    ("assembly/warren/names.ts", include_str!("../../guests/assemblyscript/assembly/warren/names.ts")),
    ("assembly/warren/options.ts", include_str!("../../guests/assemblyscript/assembly/warren/options.ts")),
    ("assembly/warren/process.ts", include_str!("../../guests/assemblyscript/assembly/warren/process.ts")),
    ("assembly/warren/reason.ts", include_str!("../../guests/assemblyscript/assembly/warren/reason.ts")),
    ("assembly/warren/runtime.ts", include_str!("../../guests/assemblyscript/assembly/warren/runtime.ts")),
    ("assembly/warren/supervisor.ts", include_str!("../../guests/assemblyscript/assembly/warren/supervisor.ts")),
    ("assembly/warren/sys.ts", include_str!("../../guests/assemblyscript/assembly/warren/sys.ts")),
    ("assembly/warren/table.ts", include_str!("../../guests/assemblyscript/assembly/warren/table.ts")),
    ("assembly/warren/term.ts", include_str!("../../guests/assemblyscript/assembly/warren/term.ts")),
    ("assembly/warren/timer.ts", include_str!("../../guests/assemblyscript/assembly/warren/timer.ts")),
];

/// The project's `package-lock.json`: Warren's own lock (the compiler and
/// its dependencies, with their integrity hashes), renamed for the
/// project, so `npm install` installs exactly the compiler the binding is
/// written for.
fn package_lock(name: &str) -> Result<String> {
    let mut lock: serde_json::Value =
        serde_json::from_str(include_str!("../../guests/assemblyscript/package-lock.json"))
            .context("Warren's embedded package-lock.json is not JSON")?;
    let root = lock
        .get_mut("packages")
        .and_then(|packages| packages.get_mut(""))
        .and_then(serde_json::Value::as_object_mut)
        .ok_or_else(|| anyhow!("Warren's embedded package-lock.json has no root package"))?;
    root.insert("name".into(), name.into());
    // The project's package.json names no license: it is the user's.
    root.remove("license");
    lock["name"] = name.into();
    let mut text = serde_json::to_string_pretty(&lock).context("writing package-lock.json")?;
    text.push('\n');
    Ok(text)
}

/// Writes `files` under `dir` (made if missing), scripts executable.
fn write_project(dir: &Path, files: &[File]) -> Result<()> {
    for file in files {
        let path = dir.join(&file.path);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).with_context(|| format!("cannot create `{}`", parent.display()))?;
        }
        fs::write(&path, &file.text).with_context(|| format!("cannot write `{}`", path.display()))?;
        if file.executable {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755))
                .with_context(|| format!("cannot make `{}` executable", path.display()))?;
        }
    }
    Ok(())
}

/// The commands that build and run a new project, from its directory.
fn next_steps(lang: Lang, vars: &Vars) -> Vec<String> {
    let name = &vars.name;
    match lang {
        Lang::Rust => vec![
            "cargo build --release".into(),
            format!("warren run target/{RUST_TARGET}/release/{}.wasm", vars.crate_name),
        ],
        Lang::C | Lang::Zig => vec!["./build.sh".into(), format!("warren run {name}.wasm")],
        Lang::AssemblyScript => vec!["npm install && npm run build".into(), format!("warren run {name}.wasm")],
        Lang::Wat => vec![format!("warren run {name}.wat")],
    }
}

fn lang_name(lang: Lang) -> &'static str {
    match lang {
        Lang::Rust => "Rust",
        Lang::C => "C",
        Lang::Zig => "Zig",
        Lang::AssemblyScript => "AssemblyScript",
        Lang::Wat => "WAT",
    }
}

/// `path` as one shell word (quoted when it needs to be).
fn shell_word(path: &Path) -> String {
    let text = path.display().to_string();
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || "-_./+".contains(c)) {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of the AssemblyScript binding is embedded: a file added
    /// to it (and imported by `warren.ts`) would otherwise be missing from
    /// new projects.
    #[test]
    fn the_assemblyscript_binding_is_embedded_whole() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let binding = repo.join("guests/assemblyscript/assembly");
        let mut on_disk = vec!["assembly/warren.ts".to_string()];
        for entry in fs::read_dir(binding.join("warren")).expect("the binding's directory") {
            let name = entry.expect("an entry").file_name().to_string_lossy().into_owned();
            on_disk.push(format!("assembly/warren/{name}"));
        }
        on_disk.sort();
        let mut embedded: Vec<String> = AS_BINDING.iter().map(|(path, _)| path.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk, "AS_BINDING lists the binding's files");
    }

    /// The versions the templates name are the ones the repository pins.
    #[test]
    fn the_pinned_versions_are_the_repository_s() {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let requirements = fs::read_to_string(repo.join("guests/zig/requirements.txt")).expect("requirements.txt");
        assert!(requirements.lines().any(|line| line.trim() == format!("ziglang=={ZIG_VERSION}")), "{requirements}");
        let package = fs::read_to_string(repo.join("guests/assemblyscript/package.json")).expect("package.json");
        assert!(package.contains(&format!("\"assemblyscript\": \"{ASC_VERSION}\"")), "{package}");
    }

    #[test]
    fn names_are_checked() {
        for good in ["a", "my-app", "my_app2", "x-1-y"] {
            assert!(check_name(good, Lang::Rust).is_ok(), "{good}");
        }
        for bad in ["", "A", "1a", "_a", "-a", "a.b", "a b", "a/b", "é"] {
            assert!(check_name(bad, Lang::Wat).is_err(), "{bad:?}");
        }
        assert!(check_name(&"a".repeat(MAX_NAME), Lang::C).is_ok());
        assert!(check_name(&"a".repeat(MAX_NAME + 1), Lang::C).is_err());
        // Rust keywords only for Rust.
        assert!(check_name("fn", Lang::Rust).is_err());
        assert!(check_name("fn", Lang::C).is_ok());
    }
}
