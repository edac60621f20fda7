//! Loading modules: wasm, wat or precompiled bytes -> a compiled `Module`
//! and its linked `InstancePre`, cached by content hash. Generic over the
//! data type `T` of the stores that instantiate them.

use super::{hibernate, precompiled};
use std::collections::HashMap;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use wasmtime::{
    AsContextMut, Engine, ExternType, Instance, InstancePre, Linker, Module, ModuleExport, Precompiled, TypedFunc,
    ValType,
};

/// A module loaded on a node, ready to instantiate in stores of data `T`.
pub(crate) struct LinkedModule<T: 'static> {
    pub(crate) name: String,
    pub(crate) module: Module,
    pub(crate) pre: InstancePre<T>,
    /// Exports of type `() -> ()` (entries) and `() -> i32` (handlers),
    /// typed once at load: a spawn then finds its function by index, with
    /// no type check (which takes a lock in wasmtime's engine-wide type
    /// registry, contended when every scheduler spawns).
    /// Their names are shared with the processes that start on them or
    /// set them as handlers (no copy per process).
    entries: HashMap<Arc<str>, ModuleExport>,
    handlers: HashMap<Arc<str>, ModuleExport>,
    /// How its processes hibernate, or why they cannot (see `hibernate.rs`).
    pub(crate) hibernation: Arc<HibernationPlan>,
    /// What a fresh instance holds, saved from the first one (if processes
    /// can hibernate): what recycled instances are reset to (`recycle.rs`).
    pub(crate) pristine: std::sync::OnceLock<hibernate::Pristine>,
}

/// A compiled module and whether its processes can hibernate.
type Compiled = (Module, Arc<HibernationPlan>);

/// Whether a module's processes can hibernate, worked out at load.
pub(crate) type HibernationPlan = Result<hibernate::Plan, String>;

impl<T: 'static> LinkedModule<T> {
    fn new(name: &str, module: Module, pre: InstancePre<T>, hibernation: Arc<HibernationPlan>) -> LinkedModule<T> {
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
        LinkedModule {
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
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// Whether the module exports a function `name` a process can start on:
    /// an entry (type `() -> ()`), or a handler (type `() -> i32`), on which
    /// the process starts handler-style, waiting for its first message.
    pub(crate) fn has_entry(&self, name: &str) -> bool {
        self.entries.contains_key(name) || self.handlers.contains_key(name)
    }

    /// The module's own copy of `name`, if it is an entry or a handler.
    pub(crate) fn export_name(&self, name: &str) -> Option<Arc<str>> {
        let (found, _) = self.entries.get_key_value(name).or_else(|| self.handlers.get_key_value(name))?;
        Some(found.clone())
    }

    /// Whether export `name` is a handler (type `() -> i32`).
    pub(crate) fn is_handler(&self, name: &str) -> bool {
        self.handlers.contains_key(name)
    }

    /// The names of the exported functions a process can start on (entries
    /// and handlers).
    pub(crate) fn entries(&self) -> Vec<String> {
        self.module.exports().filter(|e| self.has_entry(e.name())).map(|e| e.name().to_string()).collect()
    }
}

/// The modules of a node: compiled once per content, named for spawning.
pub(crate) struct ModuleCache<T: 'static> {
    /// Compiled modules and whether they can hibernate, by content.
    by_hash: Mutex<HashMap<(u64, usize), Compiled>>,
    /// Read by every spawn by module name, written only by loads.
    by_name: RwLock<HashMap<String, Arc<LinkedModule<T>>>>,
}

impl<T: 'static> ModuleCache<T> {
    pub(crate) fn new() -> ModuleCache<T> {
        ModuleCache { by_hash: Mutex::new(HashMap::new()), by_name: RwLock::new(HashMap::new()) }
    }

    /// Compiles (or finds) `bytes` and links it under `name`.
    pub(crate) fn load(
        &self,
        engine: &Engine,
        linker: &Linker<T>,
        name: &str,
        bytes: &[u8],
    ) -> Result<Arc<LinkedModule<T>>, LoadError> {
        let failed = |kind| LoadError { module: name.to_string(), file: None, kind };
        let mut hasher = DefaultHasher::new();
        bytes.hash(&mut hasher);
        let key = (hasher.finish(), bytes.len());
        let cached = self.by_hash.lock().unwrap_or_else(|e| e.into_inner()).get(&key).cloned();
        let (module, hibernation) = match cached {
            Some(compiled) => compiled,
            None => {
                let (module, wasm) = compile(engine, bytes).map_err(failed)?;
                let hibernation = Arc::new(hibernate::plan(&module, wasm.as_deref()));
                let compiled = (module, hibernation);
                self.by_hash.lock().unwrap_or_else(|e| e.into_inner()).insert(key, compiled.clone());
                compiled
            }
        };
        let pre = linker.instantiate_pre(&module).map_err(|e| failed(link_error(&e)))?;
        let loaded = Arc::new(LinkedModule::new(name, module, pre, hibernation));
        self.by_name.write().unwrap_or_else(|e| e.into_inner()).insert(name.to_string(), loaded.clone());
        Ok(loaded)
    }

    /// The module loaded under `name`.
    pub(crate) fn get(&self, name: &str) -> Option<Arc<LinkedModule<T>>> {
        self.by_name.read().unwrap_or_else(|e| e.into_inner()).get(name).cloned()
    }
}

/// Why a module could not be loaded: what went wrong, with the module's
/// name (and file, if it came from one).
#[derive(Debug)]
pub struct LoadError {
    module: String,
    file: Option<PathBuf>,
    kind: LoadErrorKind,
}

/// What went wrong in a load (see [`LoadError::kind`]).
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadErrorKind {
    /// The file could not be read.
    Read(std::io::Error),
    /// Neither a wasm binary (it has no `\0asm` header) nor WebAssembly
    /// text.
    NotWasm,
    /// WebAssembly text that does not parse (the parser's message).
    InvalidText(String),
    /// A wasm module that does not validate or compile (wasmtime's
    /// message).
    Invalid(String),
    /// A precompiled file that this node cannot use: a component, or made by
    /// another version or configuration (wasmtime's message).
    Precompiled(String),
    /// The module imports something the node does not provide (the import,
    /// as `` `module::name` `` and its type).
    UnknownImport(String),
    /// Linking failed for another reason (wasmtime's message).
    Link(String),
}

impl LoadError {
    /// A load of module `module` that failed with `kind`.
    pub(crate) fn new(module: &str, kind: LoadErrorKind) -> LoadError {
        LoadError { module: module.to_string(), file: None, kind }
    }

    /// The same error, for a module read from `file`.
    pub(crate) fn in_file(mut self, file: &Path) -> LoadError {
        self.file = Some(file.to_path_buf());
        self
    }

    /// The name the module was to be loaded under.
    pub fn module(&self) -> &str {
        &self.module
    }

    /// The file it was read from, if any.
    pub fn file(&self) -> Option<&Path> {
        self.file.as_deref()
    }

    /// What went wrong.
    pub fn kind(&self) -> &LoadErrorKind {
        &self.kind
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.file {
            Some(file) => write!(f, "cannot load module `{}` from `{}`: {}", self.module, file.display(), self.kind),
            None => write!(f, "cannot load module `{}`: {}", self.module, self.kind),
        }
    }
}

impl std::error::Error for LoadError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            LoadErrorKind::Read(error) => Some(error),
            _ => None,
        }
    }
}

impl fmt::Display for LoadErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadErrorKind::Read(_) => f.write_str("cannot read the file"),
            LoadErrorKind::NotWasm => {
                f.write_str("not a WebAssembly module: no `\\0asm` header, and not WebAssembly text")
            }
            LoadErrorKind::InvalidText(why) => write!(f, "not valid WebAssembly text: {why}"),
            LoadErrorKind::Invalid(why) => write!(f, "invalid WebAssembly module: {why}"),
            LoadErrorKind::Precompiled(why) => write!(f, "cannot use precompiled module: {why}"),
            LoadErrorKind::UnknownImport(what) => write!(
                f,
                "it imports {what}, which this node does not provide (Warren provides `warren_v1` and `wasi_snapshot_preview1`; see docs/ABI.md)"
            ),
            LoadErrorKind::Link(why) => write!(f, "cannot link it: {why}"),
        }
    }
}

/// Compiles wasm bytes, WebAssembly text, or a module precompiled by this
/// version of Warren (`.cwasm`). Also returns the wasm bytes, unless the
/// module was precompiled.
fn compile(engine: &Engine, bytes: &[u8]) -> Result<(Module, Option<Vec<u8>>), LoadErrorKind> {
    if precompiled::is_sealed(bytes) {
        let code = precompiled::open(bytes).map_err(LoadErrorKind::Precompiled)?;
        if Engine::detect_precompiled(code) != Some(Precompiled::Module) {
            return Err(LoadErrorKind::Precompiled("the file holds no precompiled core module".into()));
        }
        // SAFETY: `detect_precompiled` checked the header; wasmtime checks
        // that it was made by a compatible engine, and the seal that it is
        // the code `warren compile` wrote. Precompiled files are trusted
        // input, as native code is (see `precompiled.rs`).
        return unsafe { Module::deserialize(engine, code) }
            .map(|module| (module, None))
            .map_err(|e| LoadErrorKind::Precompiled(e.to_string()));
    }
    if Engine::detect_precompiled(bytes).is_some() {
        return Err(LoadErrorKind::Precompiled(
            "the file is compiled code without Warren's seal: Warren loads only what `warren compile` wrote".into(),
        ));
    }
    let wasm = to_wasm(bytes)?;
    let module = Module::new(engine, &wasm).map_err(|e| LoadErrorKind::Invalid(e.root_cause().to_string()))?;
    Ok((module, Some(wasm.into_owned())))
}

/// The wasm binary of `bytes`: themselves, or WebAssembly text parsed.
pub(crate) fn to_wasm(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, LoadErrorKind> {
    if bytes.starts_with(b"\0asm") {
        Ok(std::borrow::Cow::Borrowed(bytes))
    } else if looks_like_text(bytes) {
        let wasm = wat::parse_bytes(bytes).map_err(|e| LoadErrorKind::InvalidText(e.to_string()))?;
        Ok(std::borrow::Cow::Owned(wasm.into_owned()))
    } else {
        Err(LoadErrorKind::NotWasm)
    }
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

/// Classifies a link error, so it says what a user must change.
fn link_error(error: &wasmtime::Error) -> LoadErrorKind {
    let text = error.to_string();
    match text.strip_prefix("unknown import: ") {
        Some(rest) => LoadErrorKind::UnknownImport(rest.trim_end_matches(" has not been defined").to_string()),
        None => LoadErrorKind::Link(format!("{error:#}")),
    }
}
