//! Agent (feature `serde`): Elixir's `Agent`, a process that holds a state
//! and runs functions on it: get, update, get_and_update, cast, stop.
//!
//! ```ignore
//! use warren::agent::Agent;
//! use warren::gen_server::StartOptions;
//!
//! let counter = Agent::start_link(|| 0u64, &StartOptions::new().name("hits"))?;
//! counter.update(|n| *n += 1, Some(5_000))?;
//! counter.cast(|n| *n += 10)?;
//! assert_eq!(counter.get(|n| *n, Some(5_000))?, 11);
//! let before = counter.get_and_update(|n| core::mem::replace(n, 0), Some(5_000))?;
//! counter.stop(Some(5_000))?;
//! ```
//!
//! # Functions, not closures
//!
//! Elixir sends the agent an anonymous function. A Rust closure cannot
//! cross into another process (another instance, another memory), so an
//! agent runs **function pointers** of this module: `fn(&S) -> R`,
//! `fn(&mut S)`, `fn(&mut S) -> R` (a closure that captures nothing
//! coerces to one, as above). What a function needs besides the state
//! comes as an argument, a term: the `_with` forms take `fn(&S, A) -> R`
//! and an `&A`.
//!
//! They travel as in [`crate::spawn_fn`]: the function's table index and
//! the index of an SDK invoker monomorphized for its types, which runs in
//! the agent (the same module, so the same table). The invoker gets the
//! state as `&mut dyn Any` and checks that it is an `S`: an
//! [`Agent::from_ref`] of the wrong state type gets
//! [`GenCallError::BadRequest`], never a state of another type.
//!
//! The agent is a [`GenServer`](crate::gen_server::GenServer)
//! underneath: started with `start_link` (returns once `init` has run),
//! addressed by pid, name or keyed-registry key, answering system
//! requests (`get_state` is the state's `Debug` text), with a
//! [`child_spec`](Agent::child_spec) for supervisors.

use crate::gen_server::{
    self, CallReply, CastError, GenCallError, GenServer, Init, Name, Next, ServerRef, StartError, StartOptions,
};
use crate::spawn_fn::SpawnFnError;
use crate::{ChildSpec, Error, Reason, ReplyTo};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::any::Any;
use core::fmt;
use core::marker::PhantomData;
use serde::Serialize;
use serde::de::DeserializeOwned;
use warren_term::{self as term, Term};

/// An operation's invoker, as the agent calls it: the state, the user
/// function's table index, the argument's term; the result's term.
type Invoker = fn(&mut dyn Any, usize, &[u8]) -> Result<Vec<u8>, String>;

/// An operation: `(kind, invoker, function, argument)`: kind [`RUN`] runs
/// the function (its invoker's and its own table indices, the argument's
/// term as a binary), kind [`STOP`] stops the agent.
#[doc(hidden)]
pub type AgentOp = (u8, u32, u32, Term);

/// An [`AgentOp`] that runs a function.
const RUN: u8 = 0;
/// An [`AgentOp`] that stops the agent.
const STOP: u8 = 1;

/// A function pointer (or invoker) as the `u32` table index a message
/// holds.
fn index(address: usize) -> Result<u32, Error> {
    u32::try_from(address).map_err(|_| Error::BadArg)
}

/// The state as an `S`, or why not.
fn state_as<S: 'static>(state: &mut dyn Any) -> Result<&mut S, String> {
    state.downcast_mut::<S>().ok_or_else(|| format!("the agent's state is not a {}", core::any::type_name::<S>()))
}

/// Decodes an operation's argument.
fn arg_of<A: DeserializeOwned>(bytes: &[u8]) -> Result<A, String> {
    term::from_slice::<A>(bytes).map_err(|e| format!("the argument is not a {}: {e}", core::any::type_name::<A>()))
}

/// Encodes an operation's result.
fn encoded<R: Serialize>(result: &R) -> Result<Vec<u8>, String> {
    term::to_vec(result).map_err(|e| format!("the result cannot be encoded as a term: {e}"))
}

// The invokers. SAFETY of every transmute below: `function` was written
// next to the index of this very instantiation by the typed client
// method, from a fn pointer of exactly that type (fn pointers are table
// indices on wasm32, and the agent runs the same module). Bytes forged by
// another process could name any index: wasm's `call_indirect` checks the
// index and the wasm type, and traps the agent otherwise.

fn invoke_get<S: 'static, R: Serialize>(state: &mut dyn Any, function: usize, _: &[u8]) -> Result<Vec<u8>, String> {
    // SAFETY: see above.
    let function = unsafe { core::mem::transmute::<usize, fn(&S) -> R>(function) };
    encoded(&function(state_as::<S>(state)?))
}

fn invoke_get_with<S: 'static, A: DeserializeOwned, R: Serialize>(
    state: &mut dyn Any,
    function: usize,
    arg: &[u8],
) -> Result<Vec<u8>, String> {
    // SAFETY: see above.
    let function = unsafe { core::mem::transmute::<usize, fn(&S, A) -> R>(function) };
    let state = state_as::<S>(state)?;
    encoded(&function(state, arg_of(arg)?))
}

fn invoke_update<S: 'static>(state: &mut dyn Any, function: usize, _: &[u8]) -> Result<Vec<u8>, String> {
    // SAFETY: see above.
    let function = unsafe { core::mem::transmute::<usize, fn(&mut S)>(function) };
    function(state_as::<S>(state)?);
    encoded(&())
}

fn invoke_update_with<S: 'static, A: DeserializeOwned>(
    state: &mut dyn Any,
    function: usize,
    arg: &[u8],
) -> Result<Vec<u8>, String> {
    // SAFETY: see above.
    let function = unsafe { core::mem::transmute::<usize, fn(&mut S, A)>(function) };
    let state = state_as::<S>(state)?;
    function(state, arg_of(arg)?);
    encoded(&())
}

fn invoke_get_and_update<S: 'static, R: Serialize>(
    state: &mut dyn Any,
    function: usize,
    _: &[u8],
) -> Result<Vec<u8>, String> {
    // SAFETY: see above.
    let function = unsafe { core::mem::transmute::<usize, fn(&mut S) -> R>(function) };
    encoded(&function(state_as::<S>(state)?))
}

fn invoke_get_and_update_with<S: 'static, A: DeserializeOwned, R: Serialize>(
    state: &mut dyn Any,
    function: usize,
    arg: &[u8],
) -> Result<Vec<u8>, String> {
    // SAFETY: see above.
    let function = unsafe { core::mem::transmute::<usize, fn(&mut S, A) -> R>(function) };
    let state = state_as::<S>(state)?;
    encoded(&function(state, arg_of(arg)?))
}

/// Makes the state: `fn() -> S`, or `fn(A) -> S` with the argument.
type InitInvoker<S> = fn(usize, &[u8]) -> Result<S, String>;

fn init_plain<S>(function: usize, _: &[u8]) -> Result<S, String> {
    // SAFETY: as for the invokers above.
    let function = unsafe { core::mem::transmute::<usize, fn() -> S>(function) };
    Ok(function())
}

fn init_with<S, A: DeserializeOwned>(function: usize, arg: &[u8]) -> Result<S, String> {
    // SAFETY: as for the invokers above.
    let function = unsafe { core::mem::transmute::<usize, fn(A) -> S>(function) };
    Ok(function(arg_of(arg)?))
}

/// The agent's server: the state, rendered by its `Debug` for
/// `get_state`.
#[doc(hidden)]
pub struct AgentServer<S> {
    state: S,
}

impl<S: fmt::Debug> fmt::Debug for AgentServer<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.state, f)
    }
}

impl<S: fmt::Debug + 'static> AgentServer<S> {
    /// Runs operation `(invoker, function, arg)` on the state.
    fn run(&mut self, invoker: u32, function: u32, arg: &Term) -> Result<Vec<u8>, String> {
        let Term::Binary(arg) = arg else { return Err(String::from("the argument is not a binary")) };
        // SAFETY: `invoker` was written by a typed client method from one
        // of the `invoke_*` functions above, all of type `Invoker`; a
        // forged index traps in `call_indirect` (see above).
        let invoker = unsafe { core::mem::transmute::<usize, Invoker>(invoker as usize) };
        invoker(&mut self.state, function as usize, arg)
    }
}

impl<S: fmt::Debug + 'static> GenServer for AgentServer<S> {
    type Arg = (u32, u32, Term);
    type Call = AgentOp;
    type Reply = Result<Term, String>;
    type Cast = AgentOp;
    type Continue = ();

    const BEHAVIOUR: &'static str = "agent";

    fn init((invoker, function, arg): Self::Arg) -> Init<Self> {
        let Term::Binary(arg) = arg else {
            return Init::Stop(Reason::Custom(b"agent: the init argument is not a binary".to_vec()));
        };
        // SAFETY: `invoker` was written by `Agent::<S>::start_*` from
        // `init_plain::<S>` or `init_with::<S, A>`, both of type
        // `InitInvoker<S>` for this very `S`; a forged index traps in
        // `call_indirect`.
        let invoker = unsafe { core::mem::transmute::<usize, InitInvoker<S>>(invoker as usize) };
        match invoker(function as usize, &arg) {
            Ok(state) => Init::ok(AgentServer { state }),
            Err(why) => Init::Stop(Reason::Custom(format!("agent: {why}").into_bytes())),
        }
    }

    fn handle_call(&mut self, (kind, invoker, function, arg): AgentOp, _from: ReplyTo) -> CallReply<Self::Reply, ()> {
        match kind {
            RUN => CallReply::reply(self.run(invoker, function, &arg).map(Term::Binary)),
            STOP => CallReply::Reply(Ok(Term::atom("ok")), Next::Stop(Reason::Normal)),
            other => CallReply::reply(Err(format!("unknown agent operation {other}"))),
        }
    }

    fn handle_cast(&mut self, (kind, invoker, function, arg): AgentOp) -> Next<()> {
        match kind {
            // A cast's failure has nobody to tell: the error is dropped
            // and the state kept (a panic in the function ends the agent,
            // as in Elixir).
            RUN => {
                let _ = self.run(invoker, function, &arg);
                Next::Idle
            }
            STOP => Next::Stop(Reason::Normal),
            _ => Next::Idle,
        }
    }
}

/// An agent holding an `S`: a handle (a pid, a name or a registry key) on
/// the agent process.
///
/// ```ignore
/// let cache: Agent<BTreeMap<String, u64>> = Agent::start_link(BTreeMap::new, &StartOptions::new())?;
/// cache.update_with(|m, (k, v): (String, u64)| { m.insert(k, v); }, &("a".into(), 1), None)?;
/// assert_eq!(cache.get_with(|m, k: String| m.get(&k).copied(), &"a".into(), None)?, Some(1));
/// ```
pub struct Agent<S> {
    target: ServerRef,
    _state: PhantomData<fn() -> S>,
}

impl<S> Clone for Agent<S> {
    fn clone(&self) -> Self {
        Agent { target: self.target.clone(), _state: PhantomData }
    }
}

impl<S> fmt::Debug for Agent<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Agent").field("target", &self.target).finish()
    }
}

impl<S: fmt::Debug + 'static> Agent<S> {
    /// Starts an agent linked to the caller whose state is `init()`, run
    /// in the agent; returns once it has run (Elixir's
    /// `Agent.start_link`). `options` names it, bounds the wait.
    ///
    /// ```ignore
    /// let agent = Agent::start_link(Vec::<u32>::new, &StartOptions::new())?;
    /// ```
    pub fn start_link(init: fn() -> S, options: &StartOptions) -> Result<Agent<S>, StartError> {
        let arg = init_arg(init_plain::<S> as InitInvoker<S>, init as usize, Vec::new())?;
        let pid = gen_server::start_link::<AgentServer<S>>(&arg, options)?;
        Ok(Agent::from_ref(pid))
    }

    /// [`Agent::start_link`] with a state made by `init(arg)`.
    ///
    /// ```ignore
    /// let agent = Agent::start_link_with(|n: u32| vec![0; n as usize], &8, &StartOptions::new())?;
    /// ```
    pub fn start_link_with<A: Serialize + DeserializeOwned>(
        init: fn(A) -> S,
        arg: &A,
        options: &StartOptions,
    ) -> Result<Agent<S>, StartError> {
        let bytes = term::to_vec(arg).map_err(StartError::Encode)?;
        let arg = init_arg(init_with::<S, A> as InitInvoker<S>, init as usize, bytes)?;
        let pid = gen_server::start_link::<AgentServer<S>>(&arg, options)?;
        Ok(Agent::from_ref(pid))
    }

    /// The child spec of an agent whose state is `init()`, for a
    /// supervisor: a worker `id` of this module loaded as `module`,
    /// registered as `name` if given (as `use Agent`'s `child_spec`).
    ///
    /// ```ignore
    /// let spec = Agent::<u64>::child_spec("hits", "app", || 0, Some(Name::local("hits")))?;
    /// ```
    pub fn child_spec(id: &str, module: &str, init: fn() -> S, name: Option<Name>) -> Result<ChildSpec, SpawnFnError> {
        let arg = init_arg(init_plain::<S> as InitInvoker<S>, init as usize, Vec::new()).map_err(|e| match e {
            StartError::Encode(e) => SpawnFnError::Encode(e),
            _ => SpawnFnError::Spawn(Error::BadArg),
        })?;
        gen_server::child_spec::<AgentServer<S>>(id, module, &arg, name)
    }

    /// The agent at `target` (a pid, a name, a keyed-registry key), whose
    /// state is an `S` (checked by the agent at each operation).
    ///
    /// ```ignore
    /// let hits = Agent::<u64>::from_ref("hits");
    /// ```
    pub fn from_ref(target: impl Into<ServerRef>) -> Agent<S> {
        Agent { target: target.into(), _state: PhantomData }
    }

    /// Where it is.
    ///
    /// ```ignore
    /// let pid = agent.target().whereis();
    /// ```
    pub fn target(&self) -> &ServerRef {
        &self.target
    }

    /// Runs an operation as a call.
    fn call<R: DeserializeOwned>(
        &self,
        invoker: Invoker,
        function: usize,
        arg: Vec<u8>,
        timeout_ms: Option<u64>,
    ) -> Result<R, GenCallError> {
        let op = op(invoker, function, arg).map_err(|e| GenCallError::Call(crate::CallError::Refused(e)))?;
        let answer = gen_server::call::<AgentServer<S>>(self.target.clone(), &op, timeout_ms)?;
        let bytes = match answer {
            Ok(Term::Binary(bytes)) => bytes,
            Ok(other) => return Err(GenCallError::BadRequest(format!("an unexpected answer: {other}"))),
            Err(why) => return Err(GenCallError::BadRequest(why)),
        };
        term::from_slice::<R>(&bytes).map_err(GenCallError::Decode)
    }

    /// `function(&state)`, computed in the agent (Elixir's `Agent.get`).
    ///
    /// ```ignore
    /// let len = agent.get(|v: &Vec<u32>| v.len(), Some(5_000))?;
    /// ```
    pub fn get<R: Serialize + DeserializeOwned>(
        &self,
        function: fn(&S) -> R,
        timeout_ms: Option<u64>,
    ) -> Result<R, GenCallError> {
        self.call(invoke_get::<S, R>, function as usize, Vec::new(), timeout_ms)
    }

    /// `function(&state, arg)`, computed in the agent.
    ///
    /// ```ignore
    /// let x = agent.get_with(|v: &Vec<u32>, i: usize| v.get(i).copied(), &3, None)?;
    /// ```
    pub fn get_with<A: Serialize + DeserializeOwned, R: Serialize + DeserializeOwned>(
        &self,
        function: fn(&S, A) -> R,
        arg: &A,
        timeout_ms: Option<u64>,
    ) -> Result<R, GenCallError> {
        let arg = term::to_vec(arg).map_err(GenCallError::Encode)?;
        self.call(invoke_get_with::<S, A, R>, function as usize, arg, timeout_ms)
    }

    /// Runs `function(&mut state)` in the agent and waits for it (Elixir's
    /// `Agent.update`).
    ///
    /// ```ignore
    /// agent.update(|v: &mut Vec<u32>| v.clear(), Some(5_000))?;
    /// ```
    pub fn update(&self, function: fn(&mut S), timeout_ms: Option<u64>) -> Result<(), GenCallError> {
        self.call(invoke_update::<S>, function as usize, Vec::new(), timeout_ms)
    }

    /// Runs `function(&mut state, arg)` in the agent and waits for it.
    ///
    /// ```ignore
    /// agent.update_with(|v: &mut Vec<u32>, x: u32| v.push(x), &7, None)?;
    /// ```
    pub fn update_with<A: Serialize + DeserializeOwned>(
        &self,
        function: fn(&mut S, A),
        arg: &A,
        timeout_ms: Option<u64>,
    ) -> Result<(), GenCallError> {
        let arg = term::to_vec(arg).map_err(GenCallError::Encode)?;
        self.call(invoke_update_with::<S, A>, function as usize, arg, timeout_ms)
    }

    /// Runs `function(&mut state)` in the agent and returns what it
    /// returns (Elixir's `Agent.get_and_update`: the function changes the
    /// state in place and returns the value to give).
    ///
    /// ```ignore
    /// let taken = agent.get_and_update(|v: &mut Vec<u32>| core::mem::take(v), None)?;
    /// ```
    pub fn get_and_update<R: Serialize + DeserializeOwned>(
        &self,
        function: fn(&mut S) -> R,
        timeout_ms: Option<u64>,
    ) -> Result<R, GenCallError> {
        self.call(invoke_get_and_update::<S, R>, function as usize, Vec::new(), timeout_ms)
    }

    /// [`Agent::get_and_update`] with an argument.
    ///
    /// ```ignore
    /// let old = agent.get_and_update_with(|n: &mut u64, x: u64| core::mem::replace(n, x), &0, None)?;
    /// ```
    pub fn get_and_update_with<A: Serialize + DeserializeOwned, R: Serialize + DeserializeOwned>(
        &self,
        function: fn(&mut S, A) -> R,
        arg: &A,
        timeout_ms: Option<u64>,
    ) -> Result<R, GenCallError> {
        let arg = term::to_vec(arg).map_err(GenCallError::Encode)?;
        self.call(invoke_get_and_update_with::<S, A, R>, function as usize, arg, timeout_ms)
    }

    /// Runs `function(&mut state)` in the agent without waiting (Elixir's
    /// `Agent.cast`). Casts from one process run in the order sent.
    ///
    /// ```ignore
    /// agent.cast(|n: &mut u64| *n += 1)?;
    /// ```
    pub fn cast(&self, function: fn(&mut S)) -> Result<(), CastError> {
        let op = op(invoke_update::<S>, function as usize, Vec::new()).map_err(CastError::Send)?;
        gen_server::cast::<AgentServer<S>>(self.target.clone(), &op)
    }

    /// [`Agent::cast`] with an argument.
    ///
    /// ```ignore
    /// agent.cast_with(|n: &mut u64, x: u64| *n += x, &10)?;
    /// ```
    pub fn cast_with<A: Serialize + DeserializeOwned>(
        &self,
        function: fn(&mut S, A),
        arg: &A,
    ) -> Result<(), CastError> {
        let arg = term::to_vec(arg).map_err(CastError::Encode)?;
        let op = op(invoke_update_with::<S, A>, function as usize, arg).map_err(CastError::Send)?;
        gen_server::cast::<AgentServer<S>>(self.target.clone(), &op)
    }

    /// Stops the agent with reason `normal` and waits until it has exited
    /// (Elixir's `Agent.stop`).
    ///
    /// ```ignore
    /// agent.stop(Some(5_000))?;
    /// ```
    pub fn stop(&self, timeout_ms: Option<u64>) -> Result<(), GenCallError> {
        let pid = self.target.whereis();
        gen_server::call::<AgentServer<S>>(self.target.clone(), &(STOP, 0, 0, Term::Binary(Vec::new())), timeout_ms)?
            .map_err(GenCallError::BadRequest)?;
        if let Some(pid) = pid {
            crate::wait::until_dead(pid);
        }
        Ok(())
    }
}

/// The start argument of an agent.
fn init_arg<S>(invoker: InitInvoker<S>, function: usize, arg: Vec<u8>) -> Result<(u32, u32, Term), StartError> {
    let invoker = index(invoker as usize).map_err(StartError::Spawn)?;
    let function = index(function).map_err(StartError::Spawn)?;
    Ok((invoker, function, Term::Binary(arg)))
}

/// An operation's message.
fn op(invoker: Invoker, function: usize, arg: Vec<u8>) -> Result<AgentOp, Error> {
    Ok((RUN, index(invoker as usize)?, index(function)?, Term::Binary(arg)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invokers_refuse_a_state_of_another_type() {
        let mut state: u64 = 5;
        let get: fn(&u64) -> u64 = |n| *n + 1;
        assert_eq!(invoke_get::<u64, u64>(&mut state, get as usize, &[]), Ok(term::to_vec(&6u64).unwrap()));
        let wrong: fn(&u32) -> u32 = |n| *n;
        let refused = invoke_get::<u32, u32>(&mut state, wrong as usize, &[]).unwrap_err();
        assert_eq!(refused, "the agent's state is not a u32");
        let add: fn(&mut u64, u64) = |n, x| *n += x;
        invoke_update_with::<u64, u64>(&mut state, add as usize, &term::to_vec(&10u64).unwrap()).unwrap();
        assert_eq!(state, 15);
        let bad_arg = invoke_update_with::<u64, u64>(&mut state, add as usize, b"no term").unwrap_err();
        assert!(bad_arg.starts_with("the argument is not a u64"), "{bad_arg}");
    }
}
