//! The data of a process's wasmtime store: what host functions see.

use super::Process;
use super::capabilities::Capabilities;
use super::letter::Letter;
use super::limits::ProcessLimiter;
use super::mailbox::Received;
use super::memory::KnownMemory;
use super::receive::ReceiveState;
use crate::base::pid::Pid;
use crate::base::reason::ExitReason;
use crate::mem::maps::MapReservation;
use crate::svc::tables::ProcessTables;
use crate::wasm::module::LinkedModule;
use std::any::Any;
use std::sync::Arc;
use wasmtime::TypedFunc;

/// A module as the processes of a node load it: instantiated in stores of
/// [`ProcessState`].
pub(crate) type Module = LinkedModule<ProcessState>;

/// The data of a process's wasmtime store: what host functions see.
///
/// `repr(C)`, with what `receive`, `msg_read` and `send` touch first: in a
/// ring of many processes the state is cold at every hop, and those fields
/// then take fewer cache lines (covered by the resume hints' prefetch of
/// the store).
#[repr(C)]
pub(crate) struct ProcessState {
    /// The message the guest reads with `msg_*`.
    pub(crate) current: Option<Letter>,
    /// The process itself (its runtime is `process.runtime`).
    pub(crate) process: Arc<Process>,
    pub(crate) pid: Pid,
    pub(crate) fuel_start: u64,
    /// Where in guest memory (a host address) the last `msg_read` copied
    /// to: a resume hint, never dereferenced.
    pub(crate) last_read_to: usize,
    /// The guest's exported memory in the current store, found on first
    /// use, and where its bytes are.
    pub(crate) memory: KnownMemory,
    /// Messages taken from the shared mailbox and not yet received.
    pub(crate) received: Received,
    /// The `receive` call in flight, if any.
    pub(crate) receive: ReceiveState,
    /// Sequence number of the last receive that waited with a timeout.
    pub(crate) receive_sequence: u64,
    /// Set by `set_handler`: the export called once per message.
    pub(crate) handler: Option<Box<str>>,
    /// Set by `set_handler`: the handler to call changes after this call.
    pub(crate) handler_changed: bool,
    /// Set by `hibernate`: hibernate when the current call returns.
    pub(crate) hibernate: bool,
    /// Its share of the memory-mapping budget (guarded layout; given back
    /// when the state is dropped, with the process).
    pub(crate) maps: MapReservation,
    /// With the node's `hibernate_after`: the timer armed when the process
    /// went idle, and its sequence number (see `timeout_fired`).
    pub(crate) idle_timer: Option<(u64, u64)>,
    /// The process's instance in the current store.
    pub(crate) instance: Option<wasmtime::Instance>,
    /// The entry function's name and typed handle in the current store
    /// (kept with a recycled store: the next process of the same entry
    /// needs no new handle, whose making touches the engine's type registry).
    /// (Boxed: a hibernated process's state carries the field, empty.)
    pub(crate) entry: Option<Box<EntryFunc>>,
    /// Set by `exit` (and WASI's `proc_exit`): the reason the process asked
    /// for.
    pub(crate) exit_request: Option<Arc<ExitReason>>,
    pub(crate) module: Arc<Module>,
    pub(crate) caps: Arc<Capabilities>,
    pub(crate) arg: Box<[u8]>,
    pub(crate) limiter: ProcessLimiter,
    /// The WASI context, made by the host functions on the first WASI call
    /// (most processes make none). Its type is theirs: this layer only
    /// keeps it and drops it.
    pub(crate) wasi: Extension,
    /// Table handles and the pending table result (see `svc/tables`).
    pub(crate) tables: ProcessTables,
    /// The export the process started on (the spawn's own string, moved
    /// here once the process starts: for introspection, as `entry` is
    /// taken out of the state while the entry function runs).
    pub(crate) started_on: Box<str>,
}

/// An entry function's name and typed handle in one store.
pub(crate) struct EntryFunc {
    pub(crate) name: Box<str>,
    pub(crate) func: TypedFunc<(), ()>,
}

impl ProcessState {
    /// A new process's state.
    pub(crate) fn new(
        process: &Arc<Process>,
        module: Arc<Module>,
        caps: Arc<Capabilities>,
        arg: Box<[u8]>,
    ) -> ProcessState {
        // The process's own limits (held to the node's at spawn).
        let fuel_start = caps.max_fuel.unwrap_or(u64::MAX);
        let limiter = ProcessLimiter { max_memory: caps.max_memory };
        // The argument is held by the host for the process's life.
        process.runtime.memory.charge(arg.len());
        ProcessState {
            pid: process.pid,
            process: process.clone(),
            module,
            caps,
            arg,
            current: None,
            received: Received::default(),
            receive_sequence: 0,
            receive: ReceiveState::default(),
            last_read_to: 0,
            handler: None,
            handler_changed: false,
            hibernate: false,
            maps: MapReservation::default(),
            idle_timer: None,
            instance: None,
            entry: None,
            exit_request: None,
            memory: KnownMemory::default(),
            limiter,
            wasi: Extension::default(),
            tables: ProcessTables::default(),
            fuel_start,
            started_on: Box::default(),
        }
    }

    /// Gives back to the node's count what the state holds for the
    /// process (its queued messages, its spawn argument), dropping it: the
    /// state's process has exited, or the state goes.
    pub(crate) fn release_held(&mut self) {
        let held = self.received.clear() + std::mem::take(&mut self.arg).len();
        self.process.runtime.memory.release(held);
    }

    /// Fuel used so far by this process.
    pub(crate) fn reductions(&self, fuel_left: u64) -> u64 {
        self.fuel_start.saturating_sub(fuel_left)
    }

    /// Makes `message` the current message (the one `msg_*` read) and
    /// returns its length, `receive`'s result (a message is at most the
    /// node's largest, itself at most `i32::MAX` bytes).
    pub(crate) fn take_delivery(&mut self, letter: Letter) -> i32 {
        let len = i32::try_from(letter.payload().len()).unwrap_or(i32::MAX);
        self.current = Some(letter);
        len
    }
}

impl Drop for ProcessState {
    fn drop(&mut self) {
        self.release_held();
    }
}

/// A value of a type this layer does not know, kept per process for the
/// host functions (the WASI context). Boxed twice: one pointer in every
/// process's state, not two (the value is rare, and only WASI calls reach
/// it).
#[derive(Default)]
pub(crate) struct Extension(Option<Box<Box<dyn Any + Send>>>);

impl Extension {
    /// The value, made with `make` on first use.
    pub(crate) fn get_or_insert_with<T: Any + Send>(&mut self, make: impl FnOnce() -> T) -> &mut T {
        if !self.0.as_ref().is_some_and(|value| value.is::<T>()) {
            self.0 = Some(Box::new(Box::new(make())));
        }
        match self.0.as_mut().and_then(|value| value.downcast_mut::<T>()) {
            Some(value) => value,
            None => unreachable!("a value of this type was stored just above"),
        }
    }

    /// Drops the value, if any.
    pub(crate) fn clear(&mut self) {
        self.0 = None;
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::Extension;

    #[test]
    fn an_extension_is_made_once_and_costs_a_pointer() {
        assert_eq!(size_of::<Extension>(), size_of::<usize>());
        let mut extension = Extension::default();
        let mut made = 0;
        *extension.get_or_insert_with(|| {
            made += 1;
            7u32
        }) += 1;
        assert_eq!(*extension.get_or_insert_with(|| 0u32), 8, "the value made first is kept");
        assert_eq!(made, 1);
        extension.clear();
        assert_eq!(*extension.get_or_insert_with(|| 1u32), 1, "made again after a clear");
    }
}
