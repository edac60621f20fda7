//! StateMachine (feature `serde`): Erlang's `gen_statem` in its
//! `handle_event_function` mode, for Rust.
//!
//! A machine is a type implementing [`StateMachine`]: its `State` (an
//! enum, typically) and its `Data`, and one function,
//! [`StateMachine::handle_event`], that gets every event with the current
//! state and the data and returns a [`Transition`]: keep the state, go to
//! another, or stop, with [`Action`]s (replies, postpone, inserted events,
//! timeouts, hibernate).
//!
//! ```ignore
//! use warren::state_machine::{self, Action, Event, InitResult, StateMachine, Transition};
//!
//! struct Door;
//!
//! #[derive(Clone, Debug, PartialEq)]
//! enum State { Locked, Open }
//!
//! impl StateMachine for Door {
//!     type State = State;
//!     type Data = String; // the code
//!     type Arg = String;
//!     type Call = String; // a code tried
//!     type Reply = bool;
//!     type Cast = ();
//!     type Timeout = ();
//!     type Internal = ();
//!
//!     fn init(code: String) -> InitResult<Self> {
//!         InitResult::Ok(State::Locked, code, vec![])
//!     }
//!
//!     fn handle_event(event: &Event<Self>, state: &State, code: &mut String) -> Transition<Self> {
//!         match (event, state) {
//!             (Event::Call(tried, from), State::Locked) if tried == code => Transition::next(State::Open)
//!                 .with(Action::Reply(*from, true))
//!                 .with(Action::StateTimeout(1_000, ())),
//!             (Event::Call(_, from), _) => Transition::keep().with(Action::Reply(*from, false)),
//!             (Event::StateTimeout(()), State::Open) => Transition::next(State::Locked),
//!             _ => Transition::keep(),
//!         }
//!     }
//! }
//!
//! let door = state_machine::start_link::<Door>(&"1234".to_string(), &StartOptions::new())?;
//! assert!(state_machine::call::<Door>(door, &"1234".to_string(), Some(1_000))?);
//! ```
//!
//! # Events and their order (as gen_statem)
//!
//! - Calls ([`Event::Call`], answered with [`Action::Reply`] now or later
//!   through the [`ReplyTo`]), casts ([`Event::Cast`]) and other messages
//!   ([`Event::Info`]) come from the mailbox, in order.
//! - [`Action::NextEvent`] inserts an event that runs before any other.
//! - [`Action::Postpone`] keeps the current event until the state changes;
//!   then the postponed events run again, oldest first, after the inserted
//!   ones and before the mailbox.
//! - With [`StateMachine::STATE_ENTER`], every state change (and the first
//!   state) first runs [`Event::Enter`] with the old state; an enter call
//!   may keep the state (with actions), not change it, postpone or insert
//!   events (the machine stops with a reason that says so).
//!
//! # Timeouts
//!
//! - [`Action::EventTimeout`]: fires if no event at all comes first
//!   (any event cancels it; it is not started when an event is already
//!   queued).
//! - [`Action::StateTimeout`]: fires if the machine stays in the state;
//!   a state change cancels it (one set in the transition that changes the
//!   state runs in the new state); [`Action::CancelStateTimeout`].
//! - [`Action::Timeout`]: a generic timeout by name, cancelled only by
//!   [`Action::CancelTimeout`] or set again.
//!
//! Their contents (`Self::Timeout`) stay in the machine's process; the
//! timer's message ([`TAG_STATE_TIMEOUT`]) carries only a generation
//! number, so a timeout cancelled too late to stop its message is dropped.
//!
//! # The process
//!
//! A machine runs as a [`GenServer`](crate::gen_server::GenServer)
//! (handler-style, hibernates for real), so it starts, is addressed and
//! supervised as one ([`start_link`], [`call`], [`cast`],
//! [`child_spec`]), and answers system requests: `get_state` is
//! `{State, Data}` rendered with `Debug` (as `sys:get_state` gives
//! gen_statem's), `get_status` says `gen_statem`. `terminate` runs on a
//! stop and on its parent's exit signal while it traps exits.

use crate::gen_server::{
    self, CallReply, CastError, GenCallError, GenServer, Info, Init, Name, Next, ServerRef, StartError, StartOptions,
};
use crate::links::ExitReason;
use crate::spawn_fn::SpawnFnError;
use crate::supervisor::DynamicTemplate;
use crate::{ChildSpec, Error, Pid, Reason, ReplyTo, TimerRef};
use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Tag of a machine's own timeout messages (`"WARREN"` then 3); keep it
/// out of its other messages.
///
/// ```ignore
/// assert_eq!(warren::state_machine::TAG_STATE_TIMEOUT, 0x5741_5252_454E_0003);
/// ```
pub const TAG_STATE_TIMEOUT: i64 = 0x5741_5252_454E_0003;

/// A state machine's types and callbacks (gen_statem's callback module,
/// `handle_event_function` mode).
///
/// ```ignore
/// impl StateMachine for Door {
///     type State = State;
///     type Data = Data;
///     type Arg = String;
///     type Call = Request;
///     type Reply = Answer;
///     type Cast = Button;
///     type Timeout = ();
///     type Internal = Check;
///     const STATE_ENTER: bool = true;
///
///     fn init(code: String) -> InitResult<Self> { InitResult::Ok(State::Locked, Data::new(code), vec![]) }
///     fn handle_event(event: &Event<Self>, state: &State, data: &mut Data) -> Transition<Self> { /* ... */ }
/// }
/// ```
pub trait StateMachine: Sized + 'static {
    /// The state (compared with `==` to tell a state change).
    type State: Clone + PartialEq + fmt::Debug;
    /// The data kept beside the state.
    type Data: fmt::Debug;
    /// What [`StateMachine::init`] gets (a term).
    type Arg: Serialize + DeserializeOwned;
    /// A call's request.
    type Call: Serialize + DeserializeOwned;
    /// A call's reply.
    type Reply: Serialize + DeserializeOwned;
    /// A cast.
    type Cast: Serialize + DeserializeOwned;
    /// What a timeout carries back to the machine (stays in the process).
    type Timeout;
    /// What an [`Event::Internal`] (inserted by [`Action::NextEvent`])
    /// carries (stays in the process).
    type Internal;

    /// Whether state changes run [`Event::Enter`] first (gen_statem's
    /// `state_enter`).
    ///
    /// ```ignore
    /// const STATE_ENTER: bool = true;
    /// ```
    const STATE_ENTER: bool = false;

    /// The first state and data, and actions to run (timeouts, inserted
    /// events), in the new process before the start returns.
    ///
    /// ```ignore
    /// fn init(code: String) -> InitResult<Self> {
    ///     if code.is_empty() { return InitResult::Stop(Reason::Custom(b"no code".to_vec())); }
    ///     InitResult::Ok(State::Locked, Data::new(code), vec![Action::StateTimeout(60_000, ())])
    /// }
    /// ```
    fn init(arg: Self::Arg) -> InitResult<Self>;

    /// Every event, with the current state and the data.
    ///
    /// ```ignore
    /// fn handle_event(event: &Event<Self>, state: &State, data: &mut Data) -> Transition<Self> {
    ///     match (event, state) {
    ///         (Event::Cast(Button::Digit(d)), State::Locked) => { data.entered.push(*d); Transition::keep() }
    ///         (Event::Cast(_), State::Open) => Transition::keep().with(Action::Postpone),
    ///         _ => Transition::keep(),
    ///     }
    /// }
    /// ```
    fn handle_event(event: &Event<Self>, state: &Self::State, data: &mut Self::Data) -> Transition<Self>;

    /// The machine stops (see [`crate::gen_server::GenServer::terminate`]
    /// for when). By default: nothing.
    ///
    /// ```ignore
    /// fn terminate(reason: &ExitReason, state: &State, data: &mut Data) {
    ///     let _ = data.log.send_term(0, &format!("{state:?} {reason:?}"));
    /// }
    /// ```
    fn terminate(reason: &ExitReason, state: &Self::State, data: &mut Self::Data) {
        let _ = (reason, state, data);
    }
}

/// What [`StateMachine::init`] returns.
///
/// ```ignore
/// InitResult::Ok(State::Idle, Data::default(), vec![Action::Timeout("tick".into(), 100, ())])
/// ```
pub enum InitResult<M: StateMachine> {
    /// Started in this state with this data; then these actions.
    Ok(M::State, M::Data, Vec<Action<M>>),
    /// Not started, not an error (`ignore`).
    Ignore,
    /// Not started: the start fails with this reason.
    Stop(Reason),
}

/// An event for [`StateMachine::handle_event`].
///
/// ```ignore
/// match event {
///     Event::Enter(old) => { /* entered this state from `old` */ }
///     Event::Call(request, from) => { /* reply with Action::Reply(*from, ..) */ }
///     Event::Cast(cast) => {}
///     Event::Info(info) => {}
///     Event::EventTimeout(t) | Event::StateTimeout(t) => {}
///     Event::Timeout(name, t) => {}
///     Event::Internal(x) => {}
/// }
/// ```
pub enum Event<M: StateMachine> {
    /// The state changed from this one (only with
    /// [`StateMachine::STATE_ENTER`]); for the first state, the state
    /// itself.
    Enter(M::State),
    /// A call, to answer with [`Action::Reply`] (now, or later through the
    /// [`ReplyTo`]).
    Call(M::Call, ReplyTo),
    /// A cast.
    Cast(M::Cast),
    /// Any other message: exit signals (trapping exits) from others than
    /// the parent, DOWNs, plain messages.
    Info(Info),
    /// The event timeout fired.
    EventTimeout(M::Timeout),
    /// The state timeout fired.
    StateTimeout(M::Timeout),
    /// The generic timeout of this name fired.
    Timeout(String, M::Timeout),
    /// An event inserted by [`Action::NextEvent`].
    Internal(M::Internal),
}

impl<M: StateMachine> fmt::Debug for Event<M>
where
    M::Call: fmt::Debug,
    M::Cast: fmt::Debug,
    M::Timeout: fmt::Debug,
    M::Internal: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Enter(old) => f.debug_tuple("Enter").field(old).finish(),
            Event::Call(request, from) => f.debug_tuple("Call").field(request).field(from).finish(),
            Event::Cast(cast) => f.debug_tuple("Cast").field(cast).finish(),
            Event::Info(info) => f.debug_tuple("Info").field(info).finish(),
            Event::EventTimeout(t) => f.debug_tuple("EventTimeout").field(t).finish(),
            Event::StateTimeout(t) => f.debug_tuple("StateTimeout").field(t).finish(),
            Event::Timeout(name, t) => f.debug_tuple("Timeout").field(name).field(t).finish(),
            Event::Internal(x) => f.debug_tuple("Internal").field(x).finish(),
        }
    }
}

/// What the machine does after an event.
///
/// ```ignore
/// Transition::keep()                                   // keep_state_and_data
/// Transition::next(State::Open).with(Action::Reply(*from, true))
/// Transition::stop(Reason::Normal)
/// ```
pub enum Transition<M: StateMachine> {
    /// Stay in the state, then these actions.
    Keep(Vec<Action<M>>),
    /// Go to this state (the same state is no change), then these
    /// actions.
    Next(M::State, Vec<Action<M>>),
    /// Stop with this reason, after these actions (replies).
    Stop(Reason, Vec<Action<M>>),
}

impl<M: StateMachine> Transition<M> {
    /// Stay, no actions.
    ///
    /// ```ignore
    /// Transition::<Door>::keep()
    /// ```
    pub fn keep() -> Transition<M> {
        Transition::Keep(Vec::new())
    }

    /// Go to `state`, no actions.
    ///
    /// ```ignore
    /// Transition::<Door>::next(State::Open)
    /// ```
    pub fn next(state: M::State) -> Transition<M> {
        Transition::Next(state, Vec::new())
    }

    /// Stop with `reason`.
    ///
    /// ```ignore
    /// Transition::<Door>::stop(Reason::Normal)
    /// ```
    pub fn stop(reason: Reason) -> Transition<M> {
        Transition::Stop(reason, Vec::new())
    }

    /// The same transition with `action` added after its others.
    ///
    /// ```ignore
    /// Transition::keep().with(Action::Postpone).with(Action::Hibernate)
    /// ```
    pub fn with(mut self, action: Action<M>) -> Transition<M> {
        match &mut self {
            Transition::Keep(actions) | Transition::Next(_, actions) | Transition::Stop(_, actions) => {
                actions.push(action)
            }
        }
        self
    }
}

/// What the machine does with a transition (gen_statem's actions).
///
/// ```ignore
/// Action::Reply(from, answer)
/// Action::Postpone
/// Action::NextEvent(Event::Internal(Check::Code))
/// Action::EventTimeout(500, ())
/// Action::StateTimeout(10_000, ())
/// Action::Timeout("heartbeat".into(), 1_000, ())
/// ```
pub enum Action<M: StateMachine> {
    /// Answer a call.
    Reply(ReplyTo, M::Reply),
    /// Keep the current event until the state changes (not in an enter
    /// call).
    Postpone,
    /// Run this event before any other (not in an enter call).
    NextEvent(Event<M>),
    /// Fire [`Event::EventTimeout`] after this many milliseconds unless
    /// an event comes first.
    EventTimeout(u64, M::Timeout),
    /// Fire [`Event::StateTimeout`] after this many milliseconds unless
    /// the state changes (replaces the pending one).
    StateTimeout(u64, M::Timeout),
    /// Cancel the state timeout.
    CancelStateTimeout,
    /// Fire [`Event::Timeout`] with this name after this many
    /// milliseconds (replaces a pending one of that name).
    Timeout(String, u64, M::Timeout),
    /// Cancel the generic timeout of this name.
    CancelTimeout(String),
    /// Hibernate when the machine waits next.
    Hibernate,
}

/// The kinds of timeout, in a timer message's first byte.
const KIND_EVENT: u8 = 0;
const KIND_STATE: u8 = 1;
const KIND_GENERIC: u8 = 2;

/// A pending timeout: its timer, its generation, its content.
struct Pending<T> {
    timer: TimerRef,
    generation: u64,
    content: T,
}

/// The machine as a GenServer: state, data, and what gen_statem keeps.
#[doc(hidden)]
pub struct Machine<M: StateMachine> {
    state: M::State,
    data: M::Data,
    me: Pid,
    /// Events to run before the mailbox (inserted, then re-delivered).
    queue: VecDeque<Event<M>>,
    /// Events kept until the state changes.
    postponed: VecDeque<Event<M>>,
    event_timeout: Option<Pending<M::Timeout>>,
    state_timeout: Option<Pending<M::Timeout>>,
    generic: BTreeMap<String, Pending<M::Timeout>>,
    generation: u64,
    hibernate: bool,
}

impl<M: StateMachine> fmt::Debug for Machine<M> {
    /// `{State, Data}`, as `sys:get_state` gives a gen_statem's.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{{:?}, {:?}}}", self.state, self.data)
    }
}

/// What the actions of one transition ask.
struct Asked<M: StateMachine> {
    postpone: bool,
    inserted: Vec<Event<M>>,
    event_timeout: Option<(u64, M::Timeout)>,
    /// `Some(None)`: cancel; `Some(Some(..))`: set.
    state_timeout: Option<Option<(u64, M::Timeout)>>,
}

impl<M: StateMachine> Machine<M> {
    /// Arms a timer for a timeout of `kind`.
    fn arm(&mut self, kind: u8, name: &str, ms: u64, content: M::Timeout) -> Result<Pending<M::Timeout>, Reason> {
        self.generation = self.generation.wrapping_add(1);
        let mut payload = Vec::with_capacity(9 + name.len());
        payload.push(kind);
        payload.extend_from_slice(&self.generation.to_le_bytes());
        payload.extend_from_slice(name.as_bytes());
        match crate::send_after(self.me, TAG_STATE_TIMEOUT, &payload, ms) {
            Ok(timer) => Ok(Pending { timer, generation: self.generation, content }),
            Err(error) => Err(Reason::Custom(format!("gen_statem: a timeout could not be set: {error}").into_bytes())),
        }
    }

    /// Runs the actions of a transition (replies go at once).
    fn run_actions(&mut self, actions: Vec<Action<M>>, in_enter: bool) -> Result<Asked<M>, Reason> {
        let mut asked = Asked { postpone: false, inserted: Vec::new(), event_timeout: None, state_timeout: None };
        for action in actions {
            match action {
                Action::Reply(to, reply) => {
                    let _ = to.reply_term(&reply);
                }
                Action::Postpone | Action::NextEvent(_) if in_enter => {
                    return Err(Reason::Custom(
                        b"gen_statem: a state enter call may not postpone or insert events".to_vec(),
                    ));
                }
                Action::Postpone => asked.postpone = true,
                Action::NextEvent(event) => asked.inserted.push(event),
                Action::EventTimeout(ms, content) => asked.event_timeout = Some((ms, content)),
                Action::StateTimeout(ms, content) => asked.state_timeout = Some(Some((ms, content))),
                Action::CancelStateTimeout => asked.state_timeout = Some(None),
                Action::Timeout(name, ms, content) => {
                    if let Some(old) = self.generic.remove(&name) {
                        crate::cancel_timer(old.timer);
                    }
                    let pending = self.arm(KIND_GENERIC, &name, ms, content)?;
                    self.generic.insert(name, pending);
                }
                Action::CancelTimeout(name) => {
                    if let Some(old) = self.generic.remove(&name) {
                        crate::cancel_timer(old.timer);
                    }
                }
                Action::Hibernate => self.hibernate = true,
            }
        }
        Ok(asked)
    }

    /// Runs one event to the end of its transition.
    fn dispatch(&mut self, event: Event<M>) -> Result<(), Reason> {
        // Any event cancels the event timeout.
        if let Some(pending) = self.event_timeout.take() {
            crate::cancel_timer(pending.timer);
        }
        let transition = M::handle_event(&event, &self.state, &mut self.data);
        let (next, actions) = match transition {
            Transition::Keep(actions) => (None, actions),
            Transition::Next(state, actions) => (Some(state), actions),
            Transition::Stop(reason, actions) => {
                self.run_actions(actions, false)?;
                return Err(reason);
            }
        };
        let asked = self.run_actions(actions, false)?;
        if asked.postpone {
            self.postponed.push_back(event);
        }
        let changed = next.as_ref().is_some_and(|state| *state != self.state);
        let old = match next {
            Some(state) => core::mem::replace(&mut self.state, state),
            None => self.state.clone(),
        };
        let mut front: VecDeque<Event<M>> = asked.inserted.into();
        if changed {
            front.extend(self.postponed.drain(..));
            if asked.state_timeout.is_none()
                && let Some(pending) = self.state_timeout.take()
            {
                crate::cancel_timer(pending.timer);
            }
        }
        while let Some(event) = front.pop_back() {
            self.queue.push_front(event);
        }
        self.set_timeouts(asked.state_timeout, asked.event_timeout)?;
        if changed && M::STATE_ENTER {
            self.enter(old)?;
        }
        Ok(())
    }

    /// Sets the state and event timeouts a transition asked for.
    fn set_timeouts(
        &mut self,
        state_timeout: Option<Option<(u64, M::Timeout)>>,
        event_timeout: Option<(u64, M::Timeout)>,
    ) -> Result<(), Reason> {
        if let Some(state_timeout) = state_timeout {
            if let Some(pending) = self.state_timeout.take() {
                crate::cancel_timer(pending.timer);
            }
            if let Some((ms, content)) = state_timeout {
                self.state_timeout = Some(self.arm(KIND_STATE, "", ms, content)?);
            }
        }
        // An event already queued would cancel it at once.
        if let Some((ms, content)) = event_timeout
            && self.queue.is_empty()
        {
            self.event_timeout = Some(self.arm(KIND_EVENT, "", ms, content)?);
        }
        Ok(())
    }

    /// The state enter call after a change from `old`.
    fn enter(&mut self, old: M::State) -> Result<(), Reason> {
        let transition = M::handle_event(&Event::Enter(old), &self.state, &mut self.data);
        let actions = match transition {
            Transition::Keep(actions) => actions,
            Transition::Next(state, actions) if state == self.state => actions,
            Transition::Next(..) => {
                return Err(Reason::Custom(b"gen_statem: a state enter call may not change the state".to_vec()));
            }
            Transition::Stop(reason, actions) => {
                self.run_actions(actions, true)?;
                return Err(reason);
            }
        };
        let asked = self.run_actions(actions, true)?;
        self.set_timeouts(asked.state_timeout, asked.event_timeout)
    }

    /// Runs `event`, then every queued event.
    fn run(&mut self, event: Event<M>) -> Next<()> {
        self.hibernate = false;
        if let Err(reason) = self.dispatch(event) {
            return Next::Stop(reason);
        }
        self.drain()
    }

    /// Runs the queued events; then waits (or hibernates).
    fn drain(&mut self) -> Next<()> {
        while let Some(event) = self.queue.pop_front() {
            if let Err(reason) = self.dispatch(event) {
                return Next::Stop(reason);
            }
        }
        if self.hibernate { Next::Hibernate } else { Next::Idle }
    }

    /// The timeout event a timer message stands for, if it is live.
    fn timeout_event(&mut self, data: &[u8]) -> Option<Event<M>> {
        let kind = *data.first()?;
        let generation = u64::from_le_bytes(data.get(1..9)?.try_into().ok()?);
        let name = data.get(9..)?;
        match kind {
            KIND_EVENT if self.event_timeout.as_ref()?.generation == generation => {
                Some(Event::EventTimeout(self.event_timeout.take()?.content))
            }
            KIND_STATE if self.state_timeout.as_ref()?.generation == generation => {
                Some(Event::StateTimeout(self.state_timeout.take()?.content))
            }
            KIND_GENERIC => {
                let name = core::str::from_utf8(name).ok()?;
                if self.generic.get(name)?.generation != generation {
                    return None;
                }
                let pending = self.generic.remove(name)?;
                Some(Event::Timeout(String::from(name), pending.content))
            }
            _ => None,
        }
    }
}

impl<M: StateMachine> GenServer for Machine<M> {
    type Arg = M::Arg;
    type Call = M::Call;
    type Reply = M::Reply;
    type Cast = M::Cast;
    type Continue = ();

    const BEHAVIOUR: &'static str = "gen_statem";

    fn init(arg: M::Arg) -> Init<Self> {
        let (state, data, actions) = match M::init(arg) {
            InitResult::Ok(state, data, actions) => (state, data, actions),
            InitResult::Ignore => return Init::Ignore,
            InitResult::Stop(reason) => return Init::Stop(reason),
        };
        let mut machine = Machine {
            state,
            data,
            me: crate::self_pid(),
            queue: VecDeque::new(),
            postponed: VecDeque::new(),
            event_timeout: None,
            state_timeout: None,
            generic: BTreeMap::new(),
            generation: 0,
            hibernate: false,
        };
        let started = (|| {
            let asked = machine.run_actions(actions, false)?;
            if asked.postpone {
                return Err(Reason::Custom(b"gen_statem: init may not postpone".to_vec()));
            }
            machine.queue.extend(asked.inserted);
            machine.set_timeouts(asked.state_timeout, asked.event_timeout)?;
            if M::STATE_ENTER {
                let first = machine.state.clone();
                machine.enter(first)?;
            }
            Ok(())
        })();
        match started {
            // The inserted events run once the start has returned, before
            // the mailbox.
            Ok(()) => Init::Ok(machine, Next::Continue(())),
            Err(reason) => Init::Stop(reason),
        }
    }

    fn handle_call(&mut self, request: M::Call, from: ReplyTo) -> CallReply<M::Reply, ()> {
        CallReply::NoReply(self.run(Event::Call(request, from)))
    }

    fn handle_cast(&mut self, cast: M::Cast) -> Next<()> {
        self.run(Event::Cast(cast))
    }

    fn handle_info(&mut self, info: Info) -> Next<()> {
        if let Info::Message(msg) = &info
            && msg.tag == TAG_STATE_TIMEOUT
            && msg.sender == self.me
        {
            return match self.timeout_event(&msg.data) {
                Some(event) => self.run(event),
                // Cancelled too late to stop its message.
                None => {
                    if self.hibernate {
                        Next::Hibernate
                    } else {
                        Next::Idle
                    }
                }
            };
        }
        self.run(Event::Info(info))
    }

    fn handle_continue(&mut self, _: ()) -> Next<()> {
        self.hibernate = false;
        self.drain()
    }

    fn terminate(&mut self, reason: &ExitReason) {
        M::terminate(reason, &self.state, &mut self.data);
    }
}

/// Starts machine `M` linked to the caller; returns once `init` has run
/// (gen_statem's `start_link`).
///
/// ```ignore
/// let door = state_machine::start_link::<Door>(&"1234".to_string(), &StartOptions::new().name("door"))?;
/// ```
pub fn start_link<M: StateMachine>(arg: &M::Arg, options: &StartOptions) -> Result<Pid, StartError> {
    gen_server::start_link::<Machine<M>>(arg, options)
}

/// [`start_link`] without the link.
///
/// ```ignore
/// let door = state_machine::start::<Door>(&"1234".to_string(), &StartOptions::new())?;
/// ```
pub fn start<M: StateMachine>(arg: &M::Arg, options: &StartOptions) -> Result<Pid, StartError> {
    gen_server::start::<Machine<M>>(arg, options)
}

/// Calls the machine: the request is an [`Event::Call`]; waits at most
/// `timeout_ms` for the [`Action::Reply`].
///
/// ```ignore
/// let opened = state_machine::call::<Door>("door", &"1234".to_string(), Some(1_000))?;
/// ```
pub fn call<M: StateMachine>(
    server: impl Into<ServerRef>,
    request: &M::Call,
    timeout_ms: Option<u64>,
) -> Result<M::Reply, GenCallError> {
    gen_server::call::<Machine<M>>(server, request, timeout_ms)
}

/// Casts to the machine: an [`Event::Cast`].
///
/// ```ignore
/// state_machine::cast::<Door>("door", &Button::Digit(1))?;
/// ```
pub fn cast<M: StateMachine>(server: impl Into<ServerRef>, cast: &M::Cast) -> Result<(), CastError> {
    gen_server::cast::<Machine<M>>(server, cast)
}

/// The machine's child spec for a supervisor (see
/// [`gen_server::child_spec`]).
///
/// ```ignore
/// let spec = state_machine::child_spec::<Door>("door", "app", &"1234".to_string(), Some(Name::local("door")))?;
/// ```
pub fn child_spec<M: StateMachine>(
    id: &str,
    module: &str,
    arg: &M::Arg,
    name: Option<Name>,
) -> Result<ChildSpec, SpawnFnError> {
    gen_server::child_spec::<Machine<M>>(id, module, arg, name)
}

/// A dynamic supervisor's template whose children are machines `M`.
///
/// ```ignore
/// let doors = DynamicSupervisor::start_link(&state_machine::dynamic_template::<Door>("app")?, &DynamicOptions::new())?;
/// let door = doors.start_child(&"1234".to_string())?;
/// ```
pub fn dynamic_template<M: StateMachine>(module: &str) -> Result<DynamicTemplate<M::Arg>, Error> {
    DynamicTemplate::gen_server::<Machine<M>>(module)
}
