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
use std::num::NonZeroU64;
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
    pub(crate) handler: Option<Arc<str>>,
    /// Set by `set_handler`: the handler to call changes after this call.
    pub(crate) handler_changed: bool,
    /// Set by `hibernate`: hibernate when the current call returns.
    pub(crate) hibernate: bool,
    /// Its share of the memory-mapping budget (guarded layout; given back
    /// when the state is dropped, with the process).
    pub(crate) maps: MapReservation,
    /// With the node's `hibernate_after`: the timer armed when the process
    /// went idle, and its sequence number (see `timeout_fired`).
    pub(crate) idle_timer: Option<(NonZeroU64, u64)>,
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
    /// The WASI context, made by the host functions on the first WASI call
    /// (most processes make none). Its type is theirs: this layer only
    /// keeps it and drops it.
    pub(crate) wasi: Extension,
    /// Table handles and the pending table result (see `svc/tables`).
    pub(crate) tables: ProcessTables,
    /// The export the process started on (the spawn's own string, moved
    /// here once the process starts: for introspection, as `entry` is
    /// taken out of the state while the entry function runs).
    pub(crate) started_on: Option<Arc<str>>,
}

/// An entry function's name and typed handle in one store.
pub(crate) struct EntryFunc {
    pub(crate) name: Arc<str>,
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
            wasi: Extension::default(),
            tables: ProcessTables::default(),
            started_on: None,
        }
    }

    /// Gives back to the node's count what the state holds for the
    /// process (its queued messages, its spawn argument), dropping it: the
    /// state's process has exited, or the state goes.
    pub(crate) fn release_held(&mut self) {
        release_held(&self.process, &mut self.received, &mut self.arg);
    }

    /// The fuel the process starts with: its capabilities' (held to the
    /// node's at spawn; they never change). Read, not stored: the state is
    /// the larger part of a store, and a store just over 1 KiB took a
    /// 1,280-byte block.
    pub(crate) fn fuel_start(&self) -> u64 {
        self.caps.max_fuel.unwrap_or(u64::MAX)
    }

    /// The process's memory limiter, from its capabilities (as
    /// [`ProcessState::fuel_start`]).
    pub(crate) fn limiter(&self) -> ProcessLimiter {
        ProcessLimiter { max_memory: self.caps.max_memory }
    }

    /// Fuel used so far by this process.
    pub(crate) fn reductions(&self, fuel_left: u64) -> u64 {
        self.fuel_start().saturating_sub(fuel_left)
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

/// A hibernated process's state: its [`ProcessState`] without what only a
/// store with an instance uses (the current message, where its memory is,
/// its instance and entry handles, the resume hint), which a process
/// leaves empty when it hibernates, and with its receive state boxed in
/// the rare case a receive left something in it: about half the bytes.
pub(crate) struct DormantState {
    pub(crate) process: Arc<Process>,
    /// Messages taken from the shared mailbox and not yet received, if any
    /// (boxed: a hibernated process with messages wakes at once, so few
    /// keep any, and the box is a quarter of the queue's size).
    received: Option<Box<Received>>,
    /// The receive state, unless at rest (see [`ReceiveState::is_at_rest`]).
    receive: Option<Box<ReceiveState>>,
    receive_sequence: u64,
    /// The export called once per message.
    pub(crate) handler: Option<Arc<str>>,
    handler_changed: bool,
    maps: MapReservation,
    idle_timer: Option<(NonZeroU64, u64)>,
    exit_request: Option<Arc<ExitReason>>,
    pub(crate) module: Arc<Module>,
    pub(crate) caps: Arc<Capabilities>,
    arg: Box<[u8]>,
    wasi: Extension,
    tables: ProcessTables,
    /// The export the process started on.
    pub(crate) started_on: Option<Arc<str>>,
}

/// Gives back to `process`'s node what a state holds for it: its queued
/// messages and its spawn argument, emptied.
fn release_held(process: &Process, received: &mut Received, arg: &mut Box<[u8]>) {
    let held = received.clear() + std::mem::take(arg).len();
    process.runtime.memory.release(held);
}

impl ProcessState {
    /// The state of a process that hibernates, its store gone: what the
    /// process keeps. Its instance, memory and entry handles went with the
    /// store (the caller took them); a current message would be dropped
    /// (there is none once a call has returned).
    pub(crate) fn into_dormant(mut self) -> DormantState {
        debug_assert!(self.current.is_none() && self.instance.is_none() && self.entry.is_none());
        // Every field, named: a field added to the state must be kept here
        // (and put back by `wake`) or said to be left.
        let ProcessState {
            current: _,
            process: _,
            pid: _,
            last_read_to: _,
            memory: _,
            received: _,
            receive: _,
            receive_sequence: _,
            handler: _,
            handler_changed: _,
            hibernate: _,
            maps: _,
            idle_timer: _,
            instance: _,
            entry: _,
            exit_request: _,
            module: _,
            caps: _,
            arg: _,
            wasi: _,
            tables: _,
            started_on: _,
        } = &self;
        let receive = std::mem::take(&mut self.receive);
        DormantState {
            process: self.process.clone(),
            received: (!self.received.is_empty()).then(|| Box::new(std::mem::take(&mut self.received))),
            receive: (!receive.is_at_rest()).then(|| Box::new(receive)),
            receive_sequence: self.receive_sequence,
            handler: self.handler.take(),
            handler_changed: self.handler_changed,
            maps: std::mem::take(&mut self.maps),
            idle_timer: self.idle_timer.take(),
            exit_request: self.exit_request.take(),
            module: self.module.clone(),
            caps: self.caps.clone(),
            // What `self` holds for the node's count moves with these two
            // (`self` gives back nothing when it drops: both are empty).
            arg: std::mem::take(&mut self.arg),
            wasi: std::mem::take(&mut self.wasi),
            tables: std::mem::take(&mut self.tables),
            started_on: self.started_on.take(),
        }
    }
}

impl DormantState {
    /// The state of the process woken, for a store of its module: as it
    /// hibernated, with no instance yet and the hint reset.
    pub(crate) fn wake(mut self) -> ProcessState {
        ProcessState {
            current: None,
            process: self.process.clone(),
            pid: self.process.pid,
            last_read_to: 0,
            memory: KnownMemory::default(),
            received: self.take_received(),
            receive: self.receive.take().map(|receive| *receive).unwrap_or_default(),
            receive_sequence: self.receive_sequence,
            handler: self.handler.take(),
            handler_changed: self.handler_changed,
            hibernate: false,
            maps: std::mem::take(&mut self.maps),
            idle_timer: self.idle_timer.take(),
            instance: None,
            entry: None,
            exit_request: self.exit_request.take(),
            module: self.module.clone(),
            caps: self.caps.clone(),
            // As in `into_dormant`: the node's count moves with these.
            arg: std::mem::take(&mut self.arg),
            wasi: std::mem::take(&mut self.wasi),
            tables: std::mem::take(&mut self.tables),
            started_on: self.started_on.take(),
        }
    }

    /// Messages taken from the shared mailbox and not yet received.
    pub(crate) fn received(&self) -> Option<&Received> {
        self.received.as_deref()
    }

    /// Takes those messages out (an empty queue if there were none).
    fn take_received(&mut self) -> Received {
        self.received.take().map(|received| *received).unwrap_or_default()
    }
}

impl Drop for DormantState {
    /// A hibernated process that ends gives back what it held, as its
    /// [`ProcessState`] would have.
    fn drop(&mut self) {
        let mut received = self.take_received();
        release_held(&self.process, &mut received, &mut self.arg);
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
    use super::{Extension, ProcessState};

    #[test]
    fn a_state_keeps_its_store_within_a_1024_byte_block() {
        // A store is one allocation: the patched wasmtime 48's own fields
        // (632 bytes) and this state. mimalloc's next size class past 1,024
        // bytes is 1,280: a field that pushes the state past 392 bytes
        // costs every process 256 bytes.
        assert!(size_of::<ProcessState>() <= 392, "{} bytes", size_of::<ProcessState>());
    }

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
