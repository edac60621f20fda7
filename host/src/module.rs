//! Loading modules: wasm, wat or precompiled bytes -> a compiled `Module`
//! and its linked `InstancePre`, cached by content hash.

use crate::process::ProcessState;
use anyhow::{Context, Result, anyhow, bail};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, RwLock};
use wasmtime::{
    AsContextMut, Engine, ExternType, Instance, InstancePre, Linker, Module, ModuleExport, Precompiled, TypedFunc,
    ValType,
};

/// A module loaded on a node, ready to instantiate.
pub struct LoadedModule {
    pub(crate) name: String,
    pub(crate) module: Module,
    pub(crate) pre: InstancePre<ProcessState>,
    /// Exports of type `() -> ()` (entries) and `() -> i32` (handlers),
    /// typed once at load: a spawn then finds its function by index, with
    /// no type check (which takes a lock in wasmtime's engine-wide type
    /// registry, contended when every scheduler spawns).
    entries: HashMap<Box<str>, ModuleExport>,
    handlers: HashMap<Box<str>, ModuleExport>,
    /// How its processes hibernate, or why they cannot (see `hibernate.rs`).
    pub(crate) hibernation: Arc<HibernationPlan>,
    /// What a fresh instance holds, saved from the first one (if processes
    /// can hibernate): what recycled instances are reset to (`recycle.rs`).
    pub(crate) pristine: std::sync::OnceLock<crate::hibernate::Frozen>,
}

/// A compiled module and whether its processes can hibernate.
type Compiled = (Module, Arc<HibernationPlan>);

/// Whether a module's processes can hibernate, worked out at load.
pub(crate) type HibernationPlan = Result<crate::hibernate::Plan, String>;

impl LoadedModule {
    fn new(
        name: &str,
        module: Module,
        pre: InstancePre<ProcessState>,
        hibernation: Arc<HibernationPlan>,
    ) -> LoadedModule {
        let (mut entries, mut handlers) = (HashMap::new(), HashMap::new());
        for export in module.exports() {
            let ExternType::Func(ty) = export.ty() else { continue };
            let Some(index) = module.get_export_index(export.name()) else { continue };
            let results: Vec<ValType> = ty.results().collect();
            if ty.params().len() != 0 {
                continue;
            }
            match results.as_slice() {
                [] => entries.insert(export.name().into(), index),
                [ValType::I32] => handlers.insert(export.name().into(), index),
                _ => None,
            };
        }
        LoadedModule {
            name: name.to_string(),
            module,
            pre,
            entries,
            handlers,
            hibernation,
            pristine: Default::default(),
        }
    }

    /// The entry function `name` of `instance` (an instance of this module).
    pub(crate) fn entry(
        &self,
        mut store: impl AsContextMut,
        instance: &Instance,
        name: &str,
    ) -> wasmtime::Result<TypedFunc<(), ()>> {
        let found = self.entries.get(name).and_then(|export| instance.get_module_export(&mut store, export));
        match found.and_then(|e| e.into_func()) {
            // SAFETY: `entries` holds only exports of type `() -> ()`.
            Some(func) => Ok(unsafe { TypedFunc::new_unchecked(&store, func) }),
            // Missing or mistyped: wasmtime's own lookup says which.
            None => instance.get_typed_func(store, name),
        }
    }

    /// The handler function `name` of `instance` (an instance of this
    /// module).
    pub(crate) fn handler(
        &self,
        mut store: impl AsContextMut,
        instance: &Instance,
        name: &str,
    ) -> wasmtime::Result<TypedFunc<(), i32>> {
        let found = self.handlers.get(name).and_then(|export| instance.get_module_export(&mut store, export));
        match found.and_then(|e| e.into_func()) {
            // SAFETY: `handlers` holds only exports of type `() -> i32`.
            Some(func) => Ok(unsafe { TypedFunc::new_unchecked(&store, func) }),
            None => instance.get_typed_func(store, name),
        }
    }

    /// The name the module was loaded under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the module exports a function `name` a process can start on:
    /// an entry (type `() -> ()`), or a handler (type `() -> i32`), on which
    /// the process starts handler-style, waiting for its first message.
    pub fn has_entry(&self, name: &str) -> bool {
        self.entries.contains_key(name) || self.handlers.contains_key(name)
    }

    /// Whether export `name` is a handler (type `() -> i32`).
    pub(crate) fn is_handler(&self, name: &str) -> bool {
        self.handlers.contains_key(name)
    }

    /// The names of the exported functions a process can start on (entries
    /// and handlers).
    pub fn entries(&self) -> Vec<String> {
        self.module.exports().filter(|e| self.has_entry(e.name())).map(|e| e.name().to_string()).collect()
    }
}

/// The modules of a node: compiled once per content, named for spawning.
pub(crate) struct ModuleCache {
    /// Compiled modules and whether they can hibernate, by content.
    by_hash: Mutex<HashMap<(u64, usize), Compiled>>,
    /// Read by every spawn by module name, written only by loads.
    by_name: RwLock<HashMap<String, Arc<LoadedModule>>>,
}

impl ModuleCache {
    pub(crate) fn new() -> ModuleCache {
        ModuleCache { by_hash: Mutex::new(HashMap::new()), by_name: RwLock::new(HashMap::new()) }
    }

    /// Compiles (or finds) `bytes` and links it under `name`.
    pub(crate) fn load(
        &self,
        engine: &Engine,
        linker: &Linker<ProcessState>,
        name: &str,
        bytes: &[u8],
    ) -> Result<Arc<LoadedModule>> {
        let mut hasher = DefaultHasher::new();
        bytes.hash(&mut hasher);
        let key = (hasher.finish(), bytes.len());
        let cached = self.by_hash.lock().unwrap_or_else(|e| e.into_inner()).get(&key).cloned();
        let (module, hibernation) = match cached {
            Some(compiled) => compiled,
            None => {
                let (module, wasm) = compile(engine, bytes).with_context(|| format!("cannot load module `{name}`"))?;
                let hibernation = Arc::new(crate::hibernate::plan(&module, wasm.as_deref()));
                let compiled = (module, hibernation);
                self.by_hash.lock().unwrap_or_else(|e| e.into_inner()).insert(key, compiled.clone());
                compiled
            }
        };
        let pre = linker
            .instantiate_pre(&module)
            .map_err(|e| anyhow!("cannot load module `{name}`: {}", describe_link_error(&e)))?;
        let loaded = Arc::new(LoadedModule::new(name, module, pre, hibernation));
        self.by_name.write().unwrap_or_else(|e| e.into_inner()).insert(name.to_string(), loaded.clone());
        Ok(loaded)
    }

    /// The module loaded under `name`.
    pub(crate) fn get(&self, name: &str) -> Option<Arc<LoadedModule>> {
        self.by_name.read().unwrap_or_else(|e| e.into_inner()).get(name).cloned()
    }
}

/// Compiles wasm bytes, WebAssembly text, or a module precompiled by this
/// version of Warren (`.cwasm`). Also returns the wasm bytes, unless the
/// module was precompiled.
fn compile(engine: &Engine, bytes: &[u8]) -> Result<(Module, Option<Vec<u8>>)> {
    if let Some(kind) = Engine::detect_precompiled(bytes) {
        if kind != Precompiled::Module {
            bail!("the precompiled file is a component, not a core module");
        }
        // SAFETY: `detect_precompiled` checked the header; wasmtime checks
        // that it was made by a compatible engine. Precompiled files are
        // trusted input, as native code is.
        return unsafe { Module::deserialize(engine, bytes) }
            .map(|module| (module, None))
            .map_err(|e| anyhow!("cannot use precompiled module: {e}"));
    }
    let wasm = if bytes.starts_with(b"\0asm") {
        std::borrow::Cow::Borrowed(bytes)
    } else if looks_like_text(bytes) {
        std::borrow::Cow::Owned(
            wat::parse_bytes(bytes).map_err(|e| anyhow!("not valid WebAssembly text: {e}"))?.into_owned(),
        )
    } else {
        bail!("not a WebAssembly module: no `\\0asm` header, and not WebAssembly text");
    };
    let module = Module::new(engine, &wasm).map_err(|e| anyhow!("invalid WebAssembly module: {}", root_text(&e)))?;
    Ok((module, Some(wasm.into_owned())))
}

fn looks_like_text(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(text) => {
            let text = text.trim_start();
            text.starts_with('(') || text.starts_with(";;") || text.is_empty()
        }
        Err(_) => false,
    }
}

fn root_text(error: &wasmtime::Error) -> String {
    error.root_cause().to_string()
}

/// Rewords wasmtime's link errors so they say what a user must change.
fn describe_link_error(error: &wasmtime::Error) -> String {
    let text = error.to_string();
    if let Some(rest) = text.strip_prefix("unknown import: ") {
        let what = rest.trim_end_matches(" has not been defined");
        return format!(
            "it imports {what}, which this node does not provide (Warren provides `warren_v1` and `wasi_snapshot_preview1`; see docs/ABI.md)"
        );
    }
    format!("{error:#}")
}
