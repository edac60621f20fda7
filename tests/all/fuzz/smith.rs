//! The wasm-smith generator: structurally random modules (loops, branches,
//! memory and table operations, calls between their own functions) that
//! may import any `warren_v1` function and call it with whatever values
//! their code computes.
//!
//! Only the ABI's own functions are offered: WASI's could write random
//! bytes to the test binary's stdout (the call-sequence generator covers
//! WASI, keeping away from stdout and stderr).

use super::calls::ABI;
use arbitrary::{Result, Unstructured};

/// A module importing every `warren_v1` function: what wasm-smith may
/// import from.
fn available_imports() -> Vec<u8> {
    let mut wat = String::from("(module\n");
    for f in ABI.iter().filter(|f| f.module == "warren_v1") {
        let result = f.result.map(|r| format!(" (result {r})")).unwrap_or_default();
        wat.push_str(&format!(
            "  (import \"{}\" \"{}\" (func (param {}){result}))\n",
            f.module,
            f.name,
            f.params().join(" ")
        ));
    }
    wat.push(')');
    wat::parse_str(&wat).expect("the import list is valid WAT")
}

/// The exports a generated module must have: its memory, an entry and
/// maybe a handler.
fn exports(handler: bool) -> Vec<u8> {
    let handler = if handler { r#"(func (export "handler") (result i32) unreachable)"# } else { "" };
    wat::parse_str(format!(r#"(module (memory (export "memory") 1) (func (export "main") unreachable) {handler})"#))
        .expect("the export list is valid WAT")
}

/// A random module (wasm bytes) that exports `memory` and `main`.
pub fn generate(u: &mut Unstructured<'_>) -> Result<Vec<u8>> {
    let config = wasm_smith::Config {
        available_imports: Some(available_imports()),
        exports: Some(exports(u.arbitrary()?)),
        // Small modules: cranelift compiles each, and the test's time is
        // better spent running them.
        max_funcs: u.int_in_range(1..=8)?,
        max_instructions: u.int_in_range(10..=300)?,
        max_imports: 64,
        max_memories: 1,
        max_tables: 2,
        max_table_elements: 64,
        max_data_segments: 4,
        max_element_segments: 4,
        max_globals: 8,
        max_types: 32,
        max_memory32_bytes: 4 << 16,
        allow_start_export: u.ratio(1, 8)?,
        disallow_traps: u.arbitrary()?,
        // What Warren's engine refuses (see docs/ABI.md) or does not enable.
        // wasm-smith's reference types bring `externref`, which is refused.
        reference_types_enabled: false,
        gc_enabled: false,
        threads_enabled: false,
        exceptions_enabled: false,
        memory64_enabled: false,
        wide_arithmetic_enabled: false,
        compact_imports_enabled: false,
        custom_page_sizes_enabled: false,
        ..wasm_smith::Config::default()
    };
    let module = wasm_smith::Module::new(config, u)?;
    Ok(module.to_bytes())
}
