//! Linux `perf` map: where each guest function's machine code lies, so
//! that `perf top` and `perf report` name guest functions
//! (`counter::handle_call`) instead of bare addresses.
//!
//! The format is perf's JIT interface (`tools/perf/Documentation/
//! jit-interface.txt`): one line per function, `START SIZE NAME` in hex, in
//! `/tmp/perf-PID.map`, which perf reads at report time. wasmtime writes the
//! same file with its `profiling` feature, which also builds VTune's
//! `ittapi` (C++) and a profile processor that Warren does not use; the map
//! itself is these few lines over `Module::functions`.
//!
//! Beside the map, each module's machine code is written as it lies in
//! memory to `/tmp/perf-PID.MODULE.START.text` (START: the code's address,
//! in hex). perf annotates no code it has no bytes of; with them,
//! `objdump -D -b binary -m i386:x86-64 --adjust-vma=0xSTART FILE` shows a
//! guest function's instructions at the addresses `perf script` samples.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::sync::Mutex;
use wasmtime::Module;

/// The process's map file, opened at the first module (appended to: perf
/// reads one file per process).
static MAP: Mutex<Option<File>> = Mutex::new(None);

/// Where this process's map is.
pub(crate) fn path() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("perf-{}.map", std::process::id()))
}

/// Adds the functions of `module`, loaded as `name`, to the map. A module
/// whose functions have no names (no `name` section) is listed by index.
pub(crate) fn record(name: &str, module: &Module) -> std::io::Result<()> {
    // A name may hold any character: perf reads one line per function.
    let clean = |text: &str| text.replace(['\n', '\r'], "_");
    let module_name = clean(name);
    let text = module.text().as_ptr() as usize;
    let mut lines = String::new();
    for function in module.functions() {
        let start = text + function.offset;
        let function_name = match &function.name {
            Some(function_name) => clean(function_name),
            None => format!("function[{}]", function.index.as_u32()),
        };
        lines.push_str(&format!("{start:x} {:x} {module_name}::{function_name}\n", function.len));
    }
    let mut map = MAP.lock().unwrap_or_else(|e| e.into_inner());
    if map.is_none() {
        *map = Some(OpenOptions::new().create(true).append(true).open(path())?);
    }
    if let Some(file) = map.as_mut() {
        file.write_all(lines.as_bytes())?;
    }
    std::fs::write(code_path(&module_name, text), module.text())
}

/// Where [`record`] writes the machine code of the module loaded as `name`,
/// which lies at `start`.
pub(crate) fn code_path(name: &str, start: usize) -> std::path::PathBuf {
    let file_name = name.replace(['/', '\\'], "_");
    std::env::temp_dir().join(format!("perf-{}.{file_name}.{start:x}.text", std::process::id()))
}
