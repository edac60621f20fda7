//! The task of a wasm process: where its execution stands, which only the
//! thread that holds the process `RUNNING` touches (see `TaskCell`).

use super::call_box::CallBox;
use super::capabilities::Capabilities;
use super::state::{DormantState, Module, ProcessState};
use crate::mem::maps::MapReservation;
use crate::wasm::hibernate::Frozen;
use std::future::Future;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::sync::Arc;
use wasmtime::{Store, TypedFunc};

/// The state of a wasm process's execution.
pub(crate) enum Task {
    /// Spawned, not yet instantiated (instantiation happens on a scheduler
    /// thread, so a spawn costs its caller little).
    Start(Box<StartSpec>),
    /// Being instantiated (a start function may run). A separate stage from
    /// the call so a waiting process keeps only the call's small future,
    /// not the instantiation's, several times larger.
    Instantiate(Pin<Box<dyn Future<Output = Instantiated> + Send>>),
    /// A call into wasm is in flight (the entry, or a handler call).
    Call(CallBox<CallDone>),
    /// A handler-style process between messages: no call, no stack.
    Idle(Box<IdleHandler>),
    /// A handler-style process that hibernated: no instance at all, only its
    /// compacted state (see `wasm/hibernate.rs`); the next message rebuilds it.
    Hibernated(Box<Hibernated>),
    /// Exited.
    Finished,
}

/// What a new process runs.
pub(crate) struct StartSpec {
    pub(crate) module: Arc<Module>,
    /// The module's name of the export (see `Module::export_name`).
    pub(crate) entry: Arc<str>,
    pub(crate) arg: Box<[u8]>,
    pub(crate) caps: Arc<Capabilities>,
    /// Its share of the memory-mapping budget (guarded layout only).
    pub(crate) maps: MapReservation,
}

/// A handler-style process at rest.
pub(crate) struct IdleHandler {
    pub(crate) store: Store<ProcessState>,
    pub(crate) handler: TypedFunc<(), i32>,
    /// Pages of its linear memory that held only what its module's data
    /// segments put there and went back to the kernel while it waited
    /// (`trim.rs`): written again before anything reads them.
    pub(crate) released_image: Box<[u32]>,
}

impl IdleHandler {
    /// A process at rest in `store`, whose next message goes to `handler`.
    pub(crate) fn new(store: Store<ProcessState>, handler: TypedFunc<(), i32>) -> IdleHandler {
        IdleHandler { store, handler, released_image: Box::default() }
    }

    /// Moves the store and handler out for a call, keeping the allocation:
    /// the call hands it back, so going idle again allocates nothing.
    pub(crate) fn unbox(boxed: Box<IdleHandler>) -> (IdleHandler, SpareIdleBox) {
        let raw = Box::into_raw(boxed);
        // SAFETY: `raw` comes from a live box and is read once; the
        // allocation is then owned as `MaybeUninit<IdleHandler>` (same
        // layout), which never drops the value read out of it.
        let (value, spare) = unsafe { (raw.read(), Box::from_raw(raw.cast::<MaybeUninit<IdleHandler>>())) };
        (value, SpareIdleBox(spare))
    }

    /// Boxes `self`, in `spare` if there is one.
    pub(crate) fn boxed(self, spare: Option<SpareIdleBox>) -> Box<IdleHandler> {
        match spare {
            Some(SpareIdleBox(spare)) => Box::write(spare, self),
            None => Box::new(self),
        }
    }
}

/// The allocation of an [`IdleHandler`] whose contents are in a call.
pub(crate) struct SpareIdleBox(Box<MaybeUninit<IdleHandler>>);

/// A hibernated process: its state out of any store.
pub(crate) struct Hibernated {
    pub(crate) state: DormantState,
    pub(crate) frozen: Frozen,
    pub(crate) fuel_left: u64,
}

/// The end of an instantiation: the store, and what to run in it.
pub(crate) struct Instantiated {
    pub(crate) store: Store<ProcessState>,
    pub(crate) outcome: wasmtime::Result<Started>,
}

/// What a fresh instance runs first.
pub(crate) enum Started {
    /// A new process: its entry function (in `ProcessState::entry`).
    Entry,
    /// A new process spawned on a handler export: it waits for its first
    /// message with no call made.
    NewHandler(TypedFunc<(), i32>),
    /// A hibernated process woken by a message: its handler.
    Handler(TypedFunc<(), i32>),
}

/// The end of a call into wasm.
pub(crate) struct CallDone {
    pub(crate) store: Store<ProcessState>,
    pub(crate) outcome: wasmtime::Result<CallOutcome>,
    /// A handler call's idle box, to go idle in again.
    pub(crate) spare: Option<SpareIdleBox>,
}

pub(crate) enum CallOutcome {
    /// The entry returned; `Some` if the process became handler-style.
    Entry(Option<TypedFunc<(), i32>>),
    /// A handler call returned this value.
    Handler(TypedFunc<(), i32>, i32),
}
