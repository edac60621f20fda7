//! Making, waking and hibernating a process's instance, and calling into
//! it: the futures and steps the run loop (`run.rs`) drives.

use super::Process;
use super::limits::LimitExceeded;
use super::recycle;
use super::state::{EntryFunc, ProcessState};
use super::task::{CallDone, CallOutcome, Hibernated, Instantiated, StartSpec, Started};
use crate::base::reason::ExitReason;
use crate::mem::memory;
use crate::wasm::hibernate;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use wasmtime::{Store, TypedFunc};

/// Starts a new process in a recycled store of its module (see
/// `recycle.rs`), if this thread has one; gives `spec` back if not. No
/// future is made: nothing here waits.
pub(crate) fn recycled(process: &Arc<Process>, spec: StartSpec) -> Result<Instantiated, StartSpec> {
    let Some(spare) = recycle::take(&spec.module) else { return Err(spec) };
    // A fresh instance checks its initial memory against the process's
    // limit; a recycled one's memory is that size already: a process whose
    // limit is smaller gets a fresh instance, which cannot start.
    if spare.memory_size() > spec.caps.max_memory {
        return Err(spec);
    }
    let StartSpec { module, entry, arg, caps, maps } = spec;
    // The module moves into the state, not cloned: its reference count is
    // shared by every scheduler thread.
    let mut state = ProcessState::new(process, module, caps, arg);
    state.maps = maps;
    let fuel_start = state.fuel_start();
    let mut store = into_spare(process, spare, state);
    // The same entry as the store's last process: its handle still holds.
    let state = store.data_mut();
    state.entry = state.entry.take().filter(|kept| kept.name == entry);
    let outcome = store.set_fuel(fuel_start).and_then(|()| find_start(&mut store, &entry));
    store.data_mut().started_on = Some(entry);
    Ok(Instantiated { store, outcome })
}

/// Puts `state` into a spare store of its module: the handles that belong
/// to the store (instance, memory, typed entry) carry over into `state`,
/// and the process takes over the spare's fiber stack.
fn into_spare(process: &Process, spare: recycle::Spare, mut state: ProcessState) -> Store<ProcessState> {
    // Its memory is the spare's (a reset, not a growth: no limiter call).
    process.linear_memory.store(spare.memory_size(), Ordering::Relaxed);
    let mut store = spare.store;
    process.stack_base.store(spare.stack_base, Ordering::Relaxed);
    let kept = store.data_mut();
    (state.instance, state.memory, state.entry) = (kept.instance, kept.memory, kept.entry.take());
    drop(std::mem::replace(store.data_mut(), state));
    store
}

/// Makes a new process's store and instance, and finds what it starts with.
pub(crate) async fn instantiate(process: Arc<Process>, spec: StartSpec) -> Instantiated {
    let mut state = ProcessState::new(&process, spec.module.clone(), spec.caps, spec.arg);
    state.maps = spec.maps;
    let fuel_start = state.fuel_start();
    let (mut store, setup) = new_store(&process.runtime.engine, state, fuel_start, process.runtime.config.reductions);
    if let Err(error) = setup {
        return Instantiated { store, outcome: Err(error) };
    }
    let outcome = async {
        // A module whose data segments leave the first page alone takes a
        // memory slot whose first page is not made resident ahead.
        let left = spec.module.pristine.get().is_some_and(|p| p.starts_with_zero_page());
        memory::next_memory_leaves_first_page(left);
        let instance = spec.module.pre.instantiate_async(&mut store).await;
        memory::next_memory_leaves_first_page(false);
        let instance = instance?;
        store.data_mut().instance = Some(instance);
        recycle::remember_pristine(&mut store, &spec.module, &instance);
        find_start(&mut store, &spec.entry)
    }
    .await;
    store.data_mut().started_on = Some(spec.entry);
    Instantiated { store, outcome }
}

/// What a new process starts with: export `name`, an entry function (which
/// the store's state then holds, typed) or a handler.
fn find_start(store: &mut Store<ProcessState>, name: &Arc<str>) -> wasmtime::Result<Started> {
    // A recycled store may hold this entry already (see `recycled`).
    if store.data().entry.is_some() {
        return Ok(Started::Entry);
    }
    if store.data().module.is_handler(name) {
        store.data_mut().handler = Some(name.clone());
        return Ok(Started::NewHandler(current_handler(store)?));
    }
    let state = store.data();
    let (module, instance) = (state.module.clone(), state.instance);
    let instance = instance.ok_or_else(|| wasmtime::Error::msg("the process has no instance"))?;
    let entry = module.entry(&mut *store, &instance, name)?;
    store.data_mut().entry = Some(Box::new(EntryFunc { name: name.clone(), func: entry }));
    Ok(Started::Entry)
}

/// A store for `state`, with `fuel` left and a fuel yield every
/// `reductions`; the result says whether the fuel settings took.
fn new_store(
    engine: &wasmtime::Engine,
    state: ProcessState,
    fuel: u64,
    reductions: u64,
) -> (Store<ProcessState>, wasmtime::Result<()>) {
    let mut store = Store::new(engine, state);
    // The state itself: it forgets where its memory's bytes are before any
    // growth, then its `limiter` decides (see `abi/guest_memory.rs`).
    store.limiter(|s| s);
    let setup = store.set_fuel(fuel).and_then(|()| store.fuel_async_yield_interval(Some(reductions)));
    (store, setup)
}

/// Hibernates a handler-style process between calls: saves what its
/// instance holds. The store (instance, memory, fiber stack at
/// `stack_base`) goes to this thread's spares, where a later wake or spawn
/// of the module takes it once it is reset (see `recycle.rs`), or is
/// dropped.
pub(crate) fn hibernate_store(mut store: Store<ProcessState>, stack_base: usize) -> Result<Hibernated, String> {
    let module = store.data().module.clone();
    let plan = module.hibernation.as_ref().as_ref().map_err(Clone::clone)?;
    let instance = store.data().instance.ok_or("the process has no instance")?;
    // Against the module's fresh instance, once saved: only what changed.
    let (frozen, dead) =
        hibernate::freeze(&mut store, &instance, plan, hibernate::Scan::Hibernation, module.pristine.get())?;
    let fuel_left = store.get_fuel().unwrap_or(0);
    // The process's state leaves the store, which keeps an empty state of
    // the same process (as the store of an exited process does) and its
    // own handles (instance, memory, entry).
    let empty = {
        let state = store.data();
        ProcessState::new(&state.process, state.module.clone(), state.caps.clone(), Box::default())
    };
    let mut state = std::mem::replace(store.data_mut(), empty);
    let kept = store.data_mut();
    kept.instance = state.instance.take();
    kept.memory = std::mem::take(&mut state.memory);
    kept.entry = state.entry.take();
    recycle::give_back_frozen(store, stack_base, &frozen, &dead);
    Ok(Hibernated { state: state.into_dormant(), frozen, fuel_left })
}

/// Wakes a hibernated process in a spare store of its module (reset to a
/// fresh instance: see `recycle.rs`), if this thread has one; gives the
/// process back if not. Nothing here waits, so no future is made.
pub(crate) fn thaw_into_spare(process: &Process, hibernated: Box<Hibernated>) -> Result<Instantiated, Box<Hibernated>> {
    let Some(spare) = recycle::take(&hibernated.state.module) else { return Err(hibernated) };
    let Hibernated { state, frozen, fuel_left } = *hibernated;
    let mut store = into_spare(process, spare, state.wake());
    let outcome = store.set_fuel(fuel_left).and_then(|()| thaw(&mut store, &frozen));
    Ok(Instantiated { store, outcome })
}

/// Puts a hibernated process's saved instance state (`frozen`) into the
/// fresh instance of `store`, and finds its handler.
fn thaw(store: &mut Store<ProcessState>, frozen: &hibernate::Frozen) -> wasmtime::Result<Started> {
    let module = store.data().module.clone();
    let instance = store.data().instance.ok_or_else(|| wasmtime::Error::msg("the process has no instance"))?;
    let plan = module.hibernation.as_ref().as_ref().map_err(|e| wasmtime::Error::msg(e.clone()))?;
    hibernate::thaw(store, &instance, plan, frozen)
        .map_err(|e| wasmtime::Error::msg(format!("waking from hibernation: {e}")))?;
    Ok(Started::Handler(current_handler(store)?))
}

/// Rebuilds a hibernated process: a fresh instance of its module with its
/// saved state put back, and its handler.
pub(crate) async fn wake_from_hibernation(hibernated: Hibernated, reductions: u64) -> Instantiated {
    let Hibernated { state, frozen, fuel_left } = hibernated;
    let state = state.wake();
    let process = state.process.clone();
    let (mut store, setup) = new_store(&process.runtime.engine, state, fuel_left, reductions);
    if let Err(error) = setup {
        return Instantiated { store, outcome: Err(error) };
    }
    let outcome = async {
        let module = store.data().module.clone();
        let instance = module.pre.instantiate_async(&mut store).await?;
        store.data_mut().instance = Some(instance);
        thaw(&mut store, &frozen)
    }
    .await;
    Instantiated { store, outcome }
}

/// Runs the entry function (from the state, where it goes back
/// afterwards); then finds the handler if the process became handler-style.
pub(crate) async fn call_entry(mut store: Store<ProcessState>) -> CallDone {
    let outcome = async {
        let entry = store.data_mut().entry.take().ok_or_else(|| wasmtime::Error::msg("the process has no entry"))?;
        let called = entry.func.call_async(&mut store, ()).await;
        store.data_mut().entry = Some(entry);
        called?;
        store.data_mut().handler_changed = false;
        match store.data().handler {
            None => Ok(CallOutcome::Entry(None)),
            Some(_) => Ok(CallOutcome::Entry(Some(current_handler(&mut store)?))),
        }
    }
    .await;
    CallDone { store, outcome, spare: None }
}

/// The handler `set_handler` named last, in the process's instance.
pub(crate) fn current_handler(store: &mut Store<ProcessState>) -> wasmtime::Result<TypedFunc<(), i32>> {
    let state = store.data_mut();
    let (module, instance) = (state.module.clone(), state.instance);
    let instance = instance.ok_or_else(|| wasmtime::Error::msg("the process has no instance"))?;
    // Taken out for the lookup and put back: a clone cost an allocation at
    // every wake from hibernation.
    let name = state.handler.take().ok_or_else(|| wasmtime::Error::msg("no handler is set"))?;
    let found = module.handler(&mut *store, &instance, &name);
    store.data_mut().handler = Some(name);
    found
}

/// The exit reason for a call that failed with `error`, of a process whose
/// state is `state` (its limits name themselves in a `Limit` reason).
pub(crate) fn classify_error(
    error: wasmtime::Error,
    asked: Option<Arc<ExitReason>>,
    state: &ProcessState,
) -> Arc<ExitReason> {
    if let Some(reason) = asked {
        return reason;
    }
    Arc::new(classify_trap(error, state))
}

/// The exit reason of a call that failed with `error` without asking.
fn classify_trap(error: wasmtime::Error, state: &ProcessState) -> ExitReason {
    if let Some(limit) = error.downcast_ref::<LimitExceeded>() {
        return ExitReason::Limit(limit.0.clone());
    }
    if let Some(wasmtime::Trap::OutOfFuel) = error.downcast_ref::<wasmtime::Trap>() {
        return ExitReason::Limit(format!(
            "fuel: the process used all the fuel it may use, the process limit of {}",
            state.fuel_start()
        ));
    }
    let mut text = String::new();
    // The root cause is the trap (or host error) text; the outer layers and
    // the wasm backtrace say where.
    text.push_str(&error.root_cause().to_string());
    if let Some(trace) = error.downcast_ref::<wasmtime::WasmBacktrace>() {
        let trace = trace.to_string();
        if !trace.is_empty() {
            text.push('\n');
            text.push_str(trace.trim_end().trim_start_matches("error while executing at "));
        }
    }
    ExitReason::Trap(text)
}

/// Calls the handler of an idle handler-style process for the message it
/// just took (its current message); `spare` is its idle box, to go idle in
/// again afterwards.
pub(crate) async fn call_handler(
    mut store: Store<ProcessState>,
    handler: TypedFunc<(), i32>,
    spare: super::task::SpareIdleBox,
) -> CallDone {
    let outcome = async {
        let stop = handler.call_async(&mut store, ()).await?;
        // `set_handler` in a handler: the next message goes to the new one.
        let handler = match std::mem::take(&mut store.data_mut().handler_changed) {
            false => handler,
            true => current_handler(&mut store)?,
        };
        Ok(CallOutcome::Handler(handler, stop))
    }
    .await;
    CallDone { store, outcome, spare: Some(spare) }
}
