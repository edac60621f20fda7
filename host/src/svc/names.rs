//! Names: unique registered names (`register/2`, `whereis/1`), and keyed
//! registries in the style of Elixir's `Registry` (unique or duplicate keys,
//! a small value per entry, dispatch to all). Entries vanish when their
//! process exits.
//!
//! The service owns the node's name tables; each process also records its
//! own name and entries in its [`Relations`](super::signals::Relations),
//! under its lock, so that a registration and the process's exit cannot
//! cross: a name is given only to a process that has not exited, and an
//! exiting process finds every name it holds in its own record.

use super::Member;
use super::process_table::ProcessTable;
use super::signals::KeyedEntries;
use crate::base::pid::Pid;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

/// Why a registry operation failed; each maps to an ABI error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NameError {
    /// The name (or unique key, or registry name) is taken.
    Taken,
    /// No such name, key or registry.
    NotFound,
    /// The process already has a registered name.
    AlreadyNamed,
    /// The process is not alive.
    Noproc,
}

/// The entries under one key: each process with its value, in registration
/// order.
pub(crate) type Entries = Vec<(Pid, Box<[u8]>)>;

/// One keyed registry.
struct KeyedRegistry {
    unique: bool,
    entries: Mutex<HashMap<Box<[u8]>, Entries>>,
}

/// Every name on a node.
#[derive(Default)]
pub(crate) struct Names {
    names: Mutex<HashMap<String, Pid>>,
    keyed: RwLock<HashMap<String, Arc<KeyedRegistry>>>,
}

impl Names {
    /// `register(name, pid)`.
    pub(crate) fn register<P: Member>(&self, table: &ProcessTable<P>, name: &str, pid: Pid) -> Result<(), NameError> {
        let process = table.get(pid).ok_or(NameError::Noproc)?;
        let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
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
        attached.name = Some(name.into());
        names.insert(name.to_string(), pid);
        Ok(())
    }

    /// `unregister(name)`.
    pub(crate) fn unregister<P: Member>(&self, table: &ProcessTable<P>, name: &str) -> Result<(), NameError> {
        let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
        let pid = names.remove(name).ok_or(NameError::NotFound)?;
        if let Some(process) = table.get(pid)
            && let Some(attached) = process.relations().attached_mut()
        {
            attached.name = None;
        }
        Ok(())
    }

    /// `whereis(name)`.
    pub(crate) fn whereis(&self, name: &str) -> Option<Pid> {
        self.names.lock().unwrap_or_else(|e| e.into_inner()).get(name).copied()
    }

    /// `registered()`: every registered name, sorted.
    pub(crate) fn registered(&self) -> Vec<String> {
        let mut names: Vec<String> = self.names.lock().unwrap_or_else(|e| e.into_inner()).keys().cloned().collect();
        names.sort();
        names
    }

    /// Creates keyed registry `name`.
    pub(crate) fn registry_new(&self, name: &str, unique: bool) -> Result<(), NameError> {
        let mut keyed = self.keyed.write().unwrap_or_else(|e| e.into_inner());
        if keyed.contains_key(name) {
            return Err(NameError::Taken);
        }
        keyed.insert(name.to_string(), Arc::new(KeyedRegistry { unique, entries: Mutex::default() }));
        Ok(())
    }

    fn keyed(&self, name: &str) -> Result<Arc<KeyedRegistry>, NameError> {
        self.keyed.read().unwrap_or_else(|e| e.into_inner()).get(name).cloned().ok_or(NameError::NotFound)
    }

    /// Registers `process` under `key` in registry `name` with `value`.
    pub(crate) fn registry_register<P: Member>(
        &self,
        name: &str,
        process: &P,
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
        relations.attach().keyed.get_or_insert_default().push((name.to_string(), key.into()));
        entries.entry(key.into()).or_default().push((process.pid(), value.into()));
        Ok(())
    }

    /// Removes `process`'s entries under `key` in registry `name`.
    pub(crate) fn registry_unregister<P: Member>(&self, name: &str, process: &P, key: &[u8]) -> Result<(), NameError> {
        let registry = self.keyed(name)?;
        remove_entries(&registry, key, process.pid());
        if let Some(keyed) = process.relations().attached_mut().and_then(|attached| attached.keyed.as_mut()) {
            keyed.retain(|(r, k)| !(r == name && &**k == key));
        }
        Ok(())
    }

    /// The entries under `key` in registry `name`, in registration order.
    pub(crate) fn registry_lookup(&self, name: &str, key: &[u8]) -> Result<Entries, NameError> {
        let registry = self.keyed(name)?;
        let entries = registry.entries.lock().unwrap_or_else(|e| e.into_inner());
        Ok(entries.get(key).cloned().unwrap_or_default())
    }

    /// Releases the names of a process that exited (what its
    /// [`Departure`](super::signals::Departure) listed).
    pub(crate) fn release(&self, pid: Pid, name: Option<Box<str>>, keyed: KeyedEntries) {
        if let Some(name) = name {
            let mut names = self.names.lock().unwrap_or_else(|e| e.into_inner());
            if names.get(&*name) == Some(&pid) {
                names.remove(&*name);
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

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;
    use crate::svc::tests::table_of;

    /// An exit as the node handles it: the process departs, leaves the
    /// table, and its names are released.
    fn exit(names: &Names, table: &ProcessTable<crate::svc::tests::TestProcess>, pid: Pid) {
        let process = table.remove(pid).unwrap();
        let departure = process.relations().depart();
        names.release(pid, departure.name, departure.keyed);
    }

    #[test]
    fn a_name_is_unique_held_once_per_process_and_freed_by_the_exit() {
        let names = Names::default();
        let (table, [a, b]) = table_of();
        assert_eq!(names.register(&table, "server", a.pid()), Ok(()));
        assert_eq!(names.whereis("server"), Some(a.pid()));
        assert_eq!(names.register(&table, "server", b.pid()), Err(NameError::Taken));
        assert_eq!(names.register(&table, "other", a.pid()), Err(NameError::AlreadyNamed));
        exit(&names, &table, a.pid());
        assert_eq!(names.whereis("server"), None, "the exit freed the name");
        assert_eq!(names.register(&table, "server", b.pid()), Ok(()), "and it can be taken again");
        assert_eq!(names.register(&table, "late", a.pid()), Err(NameError::Noproc));
    }

    #[test]
    fn unregister_frees_the_name_and_the_process_may_take_another() {
        let names = Names::default();
        let (table, [a]) = table_of();
        names.register(&table, "one", a.pid()).unwrap();
        assert_eq!(names.unregister(&table, "one"), Ok(()));
        assert_eq!(names.unregister(&table, "one"), Err(NameError::NotFound));
        assert_eq!(names.register(&table, "two", a.pid()), Ok(()));
        assert_eq!(names.registered(), ["two"]);
    }

    #[test]
    fn an_exit_does_not_free_a_name_someone_else_holds_now() {
        let names = Names::default();
        let (table, [a, b]) = table_of();
        names.register(&table, "x", a.pid()).unwrap();
        names.unregister(&table, "x").unwrap();
        names.register(&table, "x", b.pid()).unwrap();
        // `a` kept no record of "x" after the unregister, but even a stale
        // record must not free `b`'s name.
        names.release(a.pid(), Some("x".into()), Vec::new());
        assert_eq!(names.whereis("x"), Some(b.pid()));
    }

    #[test]
    fn keyed_registries_keep_entries_in_order_and_drop_them_at_exit() {
        let names = Names::default();
        let (table, [a, b, c]) = table_of();
        names.registry_new("topics", false).unwrap();
        assert_eq!(names.registry_new("topics", true), Err(NameError::Taken));
        names.registry_register("topics", &*b, b"news", b"1").unwrap();
        names.registry_register("topics", &*a, b"news", b"2").unwrap();
        names.registry_register("topics", &*a, b"news", b"3").unwrap();
        names.registry_register("topics", &*c, b"sport", b"4").unwrap();
        let news = names.registry_lookup("topics", b"news").unwrap();
        assert_eq!(news, vec![(b.pid(), b"1"[..].into()), (a.pid(), b"2"[..].into()), (a.pid(), b"3"[..].into())]);
        exit(&names, &table, a.pid());
        assert_eq!(names.registry_lookup("topics", b"news").unwrap(), vec![(b.pid(), b"1"[..].into())]);
        names.registry_unregister("topics", &*b, b"news").unwrap();
        assert!(names.registry_lookup("topics", b"news").unwrap().is_empty());
        assert_eq!(names.registry_lookup("topics", b"sport").unwrap().len(), 1);
        assert_eq!(names.registry_lookup("nope", b"news"), Err(NameError::NotFound));
    }

    #[test]
    fn a_unique_registry_holds_one_entry_per_key() {
        let names = Names::default();
        let (table, [a, b]) = table_of();
        names.registry_new("u", true).unwrap();
        names.registry_register("u", &*a, b"k", b"").unwrap();
        assert_eq!(names.registry_register("u", &*b, b"k", b""), Err(NameError::Taken));
        assert_eq!(names.registry_register("u", &*a, b"k", b""), Err(NameError::Taken), "also for the holder");
        exit(&names, &table, a.pid());
        assert_eq!(names.registry_register("u", &*b, b"k", b""), Ok(()), "free after the holder's exit");
    }
}
