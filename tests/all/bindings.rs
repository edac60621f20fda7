//! The import check covering every guest binding: for each language, a
//! guest that references every host function of its binding (C:
//! guests/c/abi_all.c) must import every `warren_v1` function the node
//! provides (`Node::host_imports`), each with exactly the host's parameter
//! and result types, and nothing the node does not provide. A host
//! function added to the ABI fails this test until every binding declares
//! it; a binding that gets a type wrong fails it at once, not when a guest
//! is first loaded.

use crate::common::*;
use std::collections::BTreeMap;
use warren_host::HostImport;
use wasmparser::{Parser, Payload, TypeRef, ValType};

/// Each binding's guest that imports the whole ABI: `(language, path of
/// its .wasm)`. A new binding adds one line.
const BINDINGS: &[(&str, &str)] = &[
    ("c", warren_test_artifacts::C_ABI_ALL),
    ("assemblyscript", warren_test_artifacts::AS_EVERY_IMPORT),
    ("zig", warren_test_artifacts::ZIG_ABI_ALL),
];

/// `(module, name)` of an import.
type Key = (String, String);
/// A function's parameter and result types, as WebAssembly text spells
/// them; `None` for an import that is not a function.
type Signature = Option<(Vec<String>, Vec<String>)>;

fn type_name(ty: ValType) -> String {
    match ty {
        ValType::I32 => "i32".into(),
        ValType::I64 => "i64".into(),
        ValType::F32 => "f32".into(),
        ValType::F64 => "f64".into(),
        ValType::V128 => "v128".into(),
        other => format!("{other:?}"),
    }
}

/// The imports of a wasm module, with their types.
fn imports_of(wasm: &[u8]) -> Result<BTreeMap<Key, Signature>, String> {
    let mut types: Vec<Signature> = Vec::new();
    let mut imports = BTreeMap::new();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::TypeSection(reader) => {
                for group in reader {
                    for sub in group.map_err(|e| e.to_string())?.into_types() {
                        types.push(match &sub.composite_type.inner {
                            wasmparser::CompositeInnerType::Func(f) => Some((
                                f.params().iter().copied().map(type_name).collect(),
                                f.results().iter().copied().map(type_name).collect(),
                            )),
                            _ => None,
                        });
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import.map_err(|e| e.to_string())?;
                    let signature = match import.ty {
                        TypeRef::Func(index) | TypeRef::FuncExact(index) => {
                            let index = usize::try_from(index).map_err(|e| e.to_string())?;
                            types.get(index).cloned().ok_or_else(|| format!("type {index} out of range"))?
                        }
                        _ => None,
                    };
                    imports.insert((import.module.to_string(), import.name.to_string()), signature);
                }
            }
            _ => {}
        }
    }
    Ok(imports)
}

/// What is wrong with `imports` against the host's functions: a
/// `warren_v1` function not imported, an import of another type than the
/// host's, an import the node does not provide. Empty if nothing.
fn problems(language: &str, imports: &BTreeMap<Key, Signature>, host: &[HostImport]) -> Vec<String> {
    let host: BTreeMap<Key, Signature> = host
        .iter()
        .map(|f| ((f.module.clone(), f.name.clone()), Some((f.params.clone(), f.results.clone()))))
        .collect();
    let mut problems = Vec::new();
    for ((module, name), signature) in &host {
        match imports.get(&(module.clone(), name.clone())) {
            None if module == "warren_v1" => problems.push(format!("{language}: does not import {module}.{name}")),
            Some(found) if found != signature => problems.push(format!(
                "{language}: imports {module}.{name} as {found:?}, the host's is {signature:?} (params, results)"
            )),
            _ => {}
        }
    }
    for (module, name) in imports.keys() {
        if !host.contains_key(&(module.clone(), name.clone())) {
            problems.push(format!("{language}: imports {module}.{name}, which the node does not provide"));
        }
    }
    problems
}

#[test]
fn every_binding_imports_the_whole_abi_with_the_hosts_types() {
    let node = node(1);
    let host = node.host_imports();
    assert!(host.iter().filter(|f| f.module == "warren_v1").count() > 60, "the node lists its ABI: {host:?}");
    let mut all = Vec::new();
    for (language, path) in BINDINGS {
        let wasm = std::fs::read(path).unwrap_or_else(|e| panic!("{language}: reading {path}: {e}"));
        let imports = imports_of(&wasm).unwrap_or_else(|e| panic!("{language}: {path} is not valid wasm: {e}"));
        all.extend(problems(language, &imports, &host));
        // And the node's own linker accepts it.
        if let Err(e) = node.load(&format!("abi-all-{language}"), &wasm) {
            all.push(format!("{language}: the node refuses {path}: {e:#}"));
        }
    }
    assert!(all.is_empty(), "{}", all.join("\n"));
}

/// The check finds what it must: a missing function, a wrong type, an
/// import the node lacks (a check that could not fail would prove nothing).
#[test]
fn the_import_check_reports_each_kind_of_mistake() {
    let node = node(1);
    let host = node.host_imports();
    let wasm = wat::parse_str(
        r#"(module
             (import "warren_v1" "send" (func (param i64 i64 i32 i32) (result i64)))
             (import "warren_v1" "self" (func (result i64)))
             (import "env" "memcpy" (func (param i32 i32 i32) (result i32))))"#,
    )
    .expect("valid WAT");
    let imports = imports_of(&wasm).expect("valid wasm");
    let found = problems("wat", &imports, &host);
    let warren = host.iter().filter(|f| f.module == "warren_v1").count();
    // Every warren_v1 function but the two imported is missing.
    assert_eq!(found.iter().filter(|p| p.contains("does not import")).count(), warren - 2, "{found:#?}");
    assert!(found.iter().any(|p| p.contains("warren_v1.send as Some")), "{found:#?}");
    assert!(found.iter().any(|p| p.contains("env.memcpy, which the node does not provide")), "{found:#?}");
    assert!(!found.iter().any(|p| p.contains("warren_v1.self")), "self is right: {found:#?}");
}
