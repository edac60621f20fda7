//! Names: unique registered names (`register/2`, `whereis/1`), and keyed
//! registries in the style of Elixir's `Registry` (unique or duplicate keys,
//! a small value per entry, dispatch to all). Entries vanish when their
//! process exits.

use crate::node::NodeShared;
use crate::pid::Pid;
use crate::process::Process;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

/// Why a registry operation failed; each maps to an ABI error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NameError {
    /// The name (or unique key, or registry name) is taken.
    Taken,
    /// No such name, key or registry.
    NotFound,
    /// The process already has a registered name.
    AlreadyNamed,
    /// The process is not alive.
    Noproc,
}

/// Every name on a node.
#[derive(Default)]
pub(crate) struct Registry {
    names: Mutex<HashMap<String, Pid>>,
    keyed: RwLock<HashMap<String, Arc<KeyedRegistry>>>,
}

/// The entries under one key: each process with its value, in registration
/// order.
pub(crate) type Entries = Vec<(Pid, Box<[u8]>)>;

/// One keyed registry.
struct KeyedRegistry {
    unique: bool,
    entries: Mutex<HashMap<Box<[u8]>, Entries>>,
}

impl NodeShared {
    /// `register(name, pid)`.
    pub(crate) fn register_name(&self, name: &str, pid: Pid) -> Result<(), NameError> {
        let process = self.table.get(pid).ok_or(NameError::Noproc)?;
        let mut names = self.registry.names.lock().unwrap_or_else(|e| e.into_inner());
        if names.contains_key(name) {
            return Err(NameError::Taken);
        }
        let mut relations = process.relations();
        if relations.is_exited() {
            return Err(NameError::Noproc);
        }
        let attached = relations.attach();
        if attached.name.is_some() {
            return Err(NameError::AlreadyNamed);
        }
        attached.name = Some(name.to_string());
        names.insert(name.to_string(), pid);
        Ok(())
    }

    /// `unregister(name)`.
    pub(crate) fn unregister_name(&self, name: &str) -> Result<(), NameError> {
        let mut names = self.registry.names.lock().unwrap_or_else(|e| e.into_inner());
        let pid = names.remove(name).ok_or(NameError::NotFound)?;
        if let Some(process) = self.table.get(pid)
            && let Some(attached) = process.relations().attached_mut()
        {
            attached.name = None;
        }
        Ok(())
    }

    /// `whereis(name)`.
    pub(crate) fn whereis(&self, name: &str) -> Option<Pid> {
        self.registry.names.lock().unwrap_or_else(|e| e.into_inner()).get(name).copied()
    }

    /// `registered()`: every registered name, sorted.
    pub(crate) fn registered(&self) -> Vec<String> {
        let mut names: Vec<String> =
            self.registry.names.lock().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect();
        names.sort();
        names
    }

    /// Creates keyed registry `name`.
    pub(crate) fn registry_new(&self, name: &str, unique: bool) -> Result<(), NameError> {
        let mut keyed = self.registry.keyed.write().unwrap_or_else(|e| e.into_inner());
        if keyed.contains_key(name) {
            return Err(NameError::Taken);
        }
        keyed.insert(name.to_string(), Arc::new(KeyedRegistry { unique, entries: Mutex::default() }));
        Ok(())
    }

    fn keyed(&self, name: &str) -> Result<Arc<KeyedRegistry>, NameError> {
        self.registry.keyed.read().unwrap_or_else(|e| e.into_inner()).get(name).cloned().ok_or(NameError::NotFound)
    }

    /// Registers `process` under `key` in registry `name` with `value`.
    pub(crate) fn registry_register(
        &self,
        name: &str,
        process: &Arc<Process>,
        key: &[u8],
        value: &[u8],
    ) -> Result<(), NameError> {
        let registry = self.keyed(name)?;
        let mut entries = registry.entries.lock().unwrap_or_else(|e| e.into_inner());
        if registry.unique && entries.get(key).is_some_and(|list| !list.is_empty()) {
            return Err(NameError::Taken);
        }
        let mut relations = process.relations();
        if relations.is_exited() {
            return Err(NameError::Noproc);
        }
        relations.attach().keyed.push((name.to_string(), key.into()));
        entries.entry(key.into()).or_default().push((process.pid, value.into()));
        Ok(())
    }

    /// Removes `process`'s entries under `key` in registry `name`.
    pub(crate) fn registry_unregister(&self, name: &str, process: &Arc<Process>, key: &[u8]) -> Result<(), NameError> {
        let registry = self.keyed(name)?;
        remove_entries(&registry, key, process.pid);
        if let Some(attached) = process.relations().attached_mut() {
            attached.keyed.retain(|(r, k)| !(r == name && &**k == key));
        }
        Ok(())
    }

    /// The entries under `key` in registry `name`, in registration order.
    pub(crate) fn registry_lookup(&self, name: &str, key: &[u8]) -> Result<Entries, NameError> {
        let registry = self.keyed(name)?;
        let entries = registry.entries.lock().unwrap_or_else(|e| e.into_inner());
        Ok(entries.get(key).cloned().unwrap_or_default())
    }

    /// Releases the names of a process that exited.
    pub(crate) fn release_names(&self, pid: Pid, name: Option<String>, keyed: Vec<(String, Box<[u8]>)>) {
        if let Some(name) = name {
            let mut names = self.registry.names.lock().unwrap_or_else(|e| e.into_inner());
            if names.get(&name) == Some(&pid) {
                names.remove(&name);
            }
        }
        for (registry, key) in keyed {
            if let Ok(registry) = self.keyed(&registry) {
                remove_entries(&registry, &key, pid);
            }
        }
    }
}

fn remove_entries(registry: &KeyedRegistry, key: &[u8], pid: Pid) {
    let mut entries = registry.entries.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(list) = entries.get_mut(key) {
        list.retain(|(p, _)| *p != pid);
        if list.is_empty() {
            entries.remove(key);
        }
    }
}
