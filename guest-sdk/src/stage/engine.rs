//! A running stage: the process's entry (run through the function
//! trampoline), its subscriptions and demand between messages, and the
//! handler export the host calls once per message.
//!
//! The three behaviours ([`Producer`], [`Consumer`], [`ProducerConsumer`])
//! reach one engine through [`Behave`], which each wraps.

use super::dispatch::{Buffer, Dispatch, Key};
use super::{
    CallReply, Cancel, CancelReason, Consumer, Info, Init, Next, Producer, ProducerConsumer, ProducerOptions, Side,
    SubscribeOptions, SubscribeTo, Subscription, TAG_ASK, TAG_CANCEL, TAG_EVENTS, TAG_SUBSCRIBE, TAG_SUBSCRIBE_TO,
    UNKNOWN_SUBSCRIPTION,
};
use crate::behaviour_slot::{Serve, Slot};
use crate::gen_server::server::{StartArg, StartReply, bad_request, register, take_start_call};
use crate::gen_server::{Name, TAG_CAST, exit_reason, from_reason};
use crate::links::{ExitReason, MonitorRef};
use crate::{Message, Pid, Reason, ReplyTo, exit, sys};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use warren_term::{self as term, Atom, Term};

/// The export the host calls for each message of a stage.
const HANDLER_EXPORT: &str = "__warren_stage";

/// The behaviour's name in system answers.
const BEHAVIOUR: &str = "gen_stage";

/// Which sides a stage has.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Producer,
    Consumer,
    ProducerConsumer,
}

/// What `init` gives the engine besides the state.
pub(crate) struct Setup<E> {
    producer: Option<ProducerOptions<E>>,
    subscribe_to: Vec<SubscribeTo>,
}

/// One behaviour as the engine drives it.
pub(crate) trait Behave: Sized + 'static {
    type Arg: Serialize + DeserializeOwned;
    type In: DeserializeOwned;
    type Out: Serialize;
    type Call: DeserializeOwned;
    type Reply: Serialize;
    type Cast: DeserializeOwned;
    const KIND: Kind;

    fn init(arg: Self::Arg) -> Init<Self, Setup<Self::Out>>;
    fn state(&self) -> &dyn fmt::Debug;
    fn demand(&mut self, demand: usize, out: &mut Vec<Self::Out>) -> Next;
    fn events(&mut self, events: Vec<Self::In>, from: Subscription, out: &mut Vec<Self::Out>) -> Next;
    fn call(&mut self, request: Self::Call, from: ReplyTo, out: &mut Vec<Self::Out>) -> CallReply<Self::Reply>;
    fn cast(&mut self, cast: Self::Cast, out: &mut Vec<Self::Out>) -> Next;
    fn info(&mut self, info: Info, out: &mut Vec<Self::Out>) -> Next;
    fn subscribed(&mut self, side: Side, subscription: Subscription) -> Next;
    fn cancelled(&mut self, side: Side, reason: CancelReason, sub: Subscription, out: &mut Vec<Self::Out>) -> Next;
    fn terminate(&mut self, reason: &ExitReason);
}

/// `init`'s outcome with the state wrapped and the options as a [`Setup`].
fn wrap<S, O, B, E>(init: Init<S, O>, state: fn(S) -> B, setup: impl FnOnce(O) -> Setup<E>) -> Init<B, Setup<E>> {
    match init {
        Init::Ok(s, o) => Init::Ok(state(s), setup(o)),
        Init::Ignore => Init::Ignore,
        Init::Stop(reason) => Init::Stop(reason),
    }
}

/// A [`Producer`] as the engine drives it.
pub(crate) struct AsProducer<P>(P);

impl<P: Producer> Behave for AsProducer<P> {
    type Arg = P::Arg;
    type In = ();
    type Out = P::Event;
    type Call = P::Call;
    type Reply = P::Reply;
    type Cast = P::Cast;
    const KIND: Kind = Kind::Producer;

    fn init(arg: P::Arg) -> Init<Self, Setup<P::Event>> {
        wrap(P::init(arg), AsProducer, |o| Setup { producer: Some(o), subscribe_to: Vec::new() })
    }
    fn state(&self) -> &dyn fmt::Debug {
        &self.0
    }
    fn demand(&mut self, demand: usize, out: &mut Vec<P::Event>) -> Next {
        self.0.handle_demand(demand, out)
    }
    fn events(&mut self, _: Vec<()>, _: Subscription, _: &mut Vec<P::Event>) -> Next {
        // A producer subscribes to nobody, so no events come to it.
        Next::Idle
    }
    fn call(&mut self, request: P::Call, from: ReplyTo, out: &mut Vec<P::Event>) -> CallReply<P::Reply> {
        self.0.handle_call(request, from, out)
    }
    fn cast(&mut self, cast: P::Cast, out: &mut Vec<P::Event>) -> Next {
        self.0.handle_cast(cast, out)
    }
    fn info(&mut self, info: Info, out: &mut Vec<P::Event>) -> Next {
        self.0.handle_info(info, out)
    }
    fn subscribed(&mut self, _: Side, subscription: Subscription) -> Next {
        self.0.handle_subscribe(subscription)
    }
    fn cancelled(&mut self, _: Side, reason: CancelReason, sub: Subscription, out: &mut Vec<P::Event>) -> Next {
        self.0.handle_cancel(reason, sub, out)
    }
    fn terminate(&mut self, reason: &ExitReason) {
        self.0.terminate(reason)
    }
}

/// A [`Consumer`] as the engine drives it.
pub(crate) struct AsConsumer<C>(C);

impl<C: Consumer> Behave for AsConsumer<C> {
    type Arg = C::Arg;
    type In = C::Event;
    type Out = ();
    type Call = C::Call;
    type Reply = C::Reply;
    type Cast = C::Cast;
    const KIND: Kind = Kind::Consumer;

    fn init(arg: C::Arg) -> Init<Self, Setup<()>> {
        wrap(C::init(arg), AsConsumer, |o| Setup { producer: None, subscribe_to: o.subscribe_to })
    }
    fn state(&self) -> &dyn fmt::Debug {
        &self.0
    }
    fn demand(&mut self, _: usize, _: &mut Vec<()>) -> Next {
        // A consumer has no consumers, so nobody asks it for events.
        Next::Idle
    }
    fn events(&mut self, events: Vec<C::Event>, from: Subscription, _: &mut Vec<()>) -> Next {
        self.0.handle_events(events, from)
    }
    fn call(&mut self, request: C::Call, from: ReplyTo, _: &mut Vec<()>) -> CallReply<C::Reply> {
        self.0.handle_call(request, from)
    }
    fn cast(&mut self, cast: C::Cast, _: &mut Vec<()>) -> Next {
        self.0.handle_cast(cast)
    }
    fn info(&mut self, info: Info, _: &mut Vec<()>) -> Next {
        self.0.handle_info(info)
    }
    fn subscribed(&mut self, _: Side, subscription: Subscription) -> Next {
        self.0.handle_subscribe(subscription)
    }
    fn cancelled(&mut self, _: Side, reason: CancelReason, sub: Subscription, _: &mut Vec<()>) -> Next {
        self.0.handle_cancel(reason, sub)
    }
    fn terminate(&mut self, reason: &ExitReason) {
        self.0.terminate(reason)
    }
}

/// A [`ProducerConsumer`] as the engine drives it.
pub(crate) struct AsProducerConsumer<PC>(PC);

impl<PC: ProducerConsumer> Behave for AsProducerConsumer<PC> {
    type Arg = PC::Arg;
    type In = PC::In;
    type Out = PC::Out;
    type Call = PC::Call;
    type Reply = PC::Reply;
    type Cast = PC::Cast;
    const KIND: Kind = Kind::ProducerConsumer;

    fn init(arg: PC::Arg) -> Init<Self, Setup<PC::Out>> {
        wrap(PC::init(arg), AsProducerConsumer, |o| Setup {
            producer: Some(o.producer),
            subscribe_to: o.consumer.subscribe_to,
        })
    }
    fn state(&self) -> &dyn fmt::Debug {
        &self.0
    }
    fn demand(&mut self, _: usize, _: &mut Vec<PC::Out>) -> Next {
        // Downstream demand lets queued events through (`take_pc_events`).
        Next::Idle
    }
    fn events(&mut self, events: Vec<PC::In>, from: Subscription, out: &mut Vec<PC::Out>) -> Next {
        self.0.handle_events(events, from, out)
    }
    fn call(&mut self, request: PC::Call, from: ReplyTo, out: &mut Vec<PC::Out>) -> CallReply<PC::Reply> {
        self.0.handle_call(request, from, out)
    }
    fn cast(&mut self, cast: PC::Cast, out: &mut Vec<PC::Out>) -> Next {
        self.0.handle_cast(cast, out)
    }
    fn info(&mut self, info: Info, out: &mut Vec<PC::Out>) -> Next {
        self.0.handle_info(info, out)
    }
    fn subscribed(&mut self, side: Side, subscription: Subscription) -> Next {
        self.0.handle_subscribe(side, subscription)
    }
    fn cancelled(&mut self, side: Side, reason: CancelReason, sub: Subscription, out: &mut Vec<PC::Out>) -> Next {
        self.0.handle_cancel(side, reason, sub, out)
    }
    fn terminate(&mut self, reason: &ExitReason) {
        self.0.terminate(reason)
    }
}

/// The payload of [`TAG_SUBSCRIBE_TO`]: `#{to => Pid, max_demand => N,
/// min_demand => N, cancel => Mode, partition => nil | N}`.
pub(crate) struct SubscribeToWire {
    pub(crate) to: Pid,
    pub(crate) options: SubscribeOptions,
}

impl SubscribeToWire {
    /// The payload's bytes; the options must have valid bounds.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, &'static str> {
        let (max, min) = self.options.bounds()?;
        let integer = |n: u64| i64::try_from(n).map(Term::Integer).map_err(|_| "a demand out of range");
        let payload = Term::map([
            (Term::atom("to"), Term::Pid(self.to.into())),
            (Term::atom("max_demand"), integer(max)?),
            (Term::atom("min_demand"), integer(min)?),
            (Term::atom("cancel"), Term::atom(self.options.cancel.atom())),
            (
                Term::atom("partition"),
                self.options.partition.map_or(Term::Atom(Atom::NIL), |p| Term::Integer(p.into())),
            ),
        ]);
        term::encode(&payload).map_err(|_| "the order cannot be encoded")
    }

    /// The order in `bytes`, if it is one.
    fn decode(bytes: &[u8]) -> Option<SubscribeToWire> {
        let payload = term::decode(bytes).ok()?;
        let field = |name: &'static str| payload.map_get(&Term::atom(name));
        let to = match field("to")? {
            Term::Pid(pid) => Pid::try_from(pid).ok()?,
            _ => return None,
        };
        let demand = |name| field(name)?.as_i64().and_then(|n| u64::try_from(n).ok());
        let cancel = match field("cancel")? {
            Term::Atom(atom) => Cancel::from_atom(atom.as_str())?,
            _ => return None,
        };
        let partition = match field("partition")? {
            Term::Integer(n) => Some(u32::try_from(*n).ok()?),
            other if other.is_atom("nil") => None,
            _ => return None,
        };
        let options = SubscribeOptions {
            max_demand: demand("max_demand")?,
            min_demand: Some(demand("min_demand")?),
            cancel,
            partition,
        };
        Some(SubscribeToWire { to, options })
    }
}

/// The payload of a [`TAG_CANCEL`]: `{Ref, Kind, <<Detail>>}`.
pub(crate) fn cancel_payload(reference: u64, reason: &ExitReason) -> Vec<u8> {
    let payload = Term::tuple([
        Term::Integer(reference as i64),
        Term::Integer(reason.kind().into()),
        Term::binary(reason.detail().to_vec()),
    ]);
    // Integers and a binary always encode.
    term::encode(&payload).unwrap_or_default()
}

/// The reference and reason of a [`TAG_CANCEL`] payload.
fn read_cancel(bytes: &[u8]) -> Option<(u64, ExitReason)> {
    let payload = term::decode(bytes).ok()?;
    match payload.as_tuple()? {
        [reference, kind, detail] => {
            let kind = i32::try_from(kind.as_i64()?).ok()?;
            Some((reference.as_i64()? as u64, ExitReason::from_parts(kind, detail.as_binary()?)))
        }
        _ => None,
    }
}

/// Sends `events` to the consumer of `key` (`{Ref, [Event]}`); an event
/// that does not encode is noted in `failed`.
fn send_events<E: Serialize>(key: Key, events: &[E], failed: &mut Option<String>) {
    match term::to_vec(&(key.1, events)) {
        Ok(bytes) => {
            let _ = key.0.send(TAG_EVENTS, &bytes);
        }
        Err(error) => *failed = Some(format!("gen_stage: an event cannot be encoded as a term: {error}")),
    }
}

/// A subscription of this stage to a producer.
struct Upstream {
    sub: Subscription,
    monitor: Option<MonitorRef>,
    max: u64,
    min: u64,
    /// Events asked for (or about to be) and not yet received.
    demand: u64,
    cancel: Cancel,
}

/// A batch of events for `handle_events`, and the demand to ask for after
/// it.
struct Batch<E> {
    events: Vec<E>,
    from: Subscription,
    ask: u64,
}

/// Splits `events` into batches of at most `max - min`, each with what to
/// ask for after it, as GenStage does: once the outstanding demand falls to
/// `min` or below, ask for enough to bring it back to `max`. Returns the
/// outstanding demand after the asks. Events beyond `demand` (a producer
/// that sent too many) are handled but ask for nothing.
fn split_batches<E>(mut events: Vec<E>, from: Subscription, min: u64, max: u64, demand: u64) -> (u64, Vec<Batch<E>>) {
    let size = (max - min).max(1) as usize;
    let (mut old, mut new) = (demand, demand);
    let mut batches = Vec::with_capacity(events.len().div_ceil(size));
    while !events.is_empty() {
        let rest = if events.len() > size { events.split_off(size) } else { Vec::new() };
        let batch = core::mem::replace(&mut events, rest);
        let count = (batch.len() as u64).min(old);
        old -= count;
        let left = new - count;
        let ask = if left <= min {
            new = max;
            max - left
        } else {
            new = left;
            0
        };
        batches.push(Batch { events: batch, from, ask });
    }
    (new, batches)
}

/// The process's stage between messages.
static STAGE: Slot = Slot::new();

/// The handler of every stage: the host calls it once per message (see
/// [`crate::stage`]). Not for calling.
#[unsafe(no_mangle)]
pub extern "C" fn __warren_stage() -> i32 {
    STAGE.serve_current(HANDLER_EXPORT, "stage")
}

/// The producer side of a stage.
struct Downstream<E> {
    dispatch: Dispatch<E>,
    buffer: Buffer<E>,
    /// The monitor of each consumer.
    monitors: Vec<(MonitorRef, Key)>,
}

/// A running stage.
struct Engine<B: Behave> {
    behave: B,
    parent: Option<Pid>,
    name: Option<String>,
    /// The last callback asked to hibernate.
    hibernating: bool,
    /// The producer side (producers, producer-consumers).
    downstream: Option<Downstream<B::Out>>,
    /// Subscriptions to producers (consumers, producer-consumers).
    upstream: Vec<Upstream>,
    next_ref: u64,
    /// A producer-consumer's downstream demand not yet met by events it
    /// made, and the batches waiting for such demand.
    pc_demand: usize,
    pc_queue: VecDeque<Batch<B::In>>,
    /// What callbacks push their events on (kept for its allocation).
    out: Vec<B::Out>,
}

impl<B: Behave> Serve for Engine<B> {
    fn serve(&mut self, msg: Message) -> i32 {
        match msg.tag {
            sys::TAG_SYSTEM => {
                if let Some(request) = msg.as_system_request() {
                    let _ = request.answer(BEHAVIOUR, self.behave.state(), self.name.as_deref());
                }
            }
            TAG_SUBSCRIBE => self.on_subscribe(msg),
            TAG_ASK => self.on_ask(msg),
            TAG_EVENTS => self.on_events(msg),
            TAG_CANCEL => self.on_cancel(msg),
            TAG_SUBSCRIBE_TO => self.on_subscribe_to(msg),
            sys::TAG_CALL => self.on_call(msg),
            TAG_CAST => match term::from_slice::<B::Cast>(&msg.data) {
                Ok(cast) => {
                    let next = self.behave.cast(cast, &mut self.out);
                    self.emitted(next);
                }
                Err(_) => self.info(Info::Message(msg)),
            },
            sys::TAG_DOWN => match msg.as_down() {
                Some(down) => self.on_down(down),
                None => self.info(Info::Message(msg)),
            },
            sys::TAG_EXIT => match msg.as_exit() {
                Some(exit) if self.is_parent_stop(&exit) => self.stop(&exit.reason, None),
                Some(exit) => self.info(Info::Exit(exit)),
                None => self.info(Info::Message(msg)),
            },
            _ => self.info(Info::Message(msg)),
        }
        if self.hibernating {
            // A refusal only means the process idles with its instance.
            let _ = crate::hibernate();
        }
        0
    }
}

impl<B: Behave> Engine<B> {
    fn info(&mut self, info: Info) {
        let next = self.behave.info(info, &mut self.out);
        self.emitted(next);
    }

    /// After a callback: dispatches what it emitted, then does what it
    /// returned.
    fn emitted(&mut self, next: Next) {
        self.emit();
        self.next(next);
    }

    fn next(&mut self, next: Next) {
        match next {
            Next::Idle => self.hibernating = false,
            Next::Hibernate => self.hibernating = true,
            Next::Stop(reason) => self.stop(&from_reason(&reason), None),
        }
    }

    /// Stops: `terminate`, then the reply (if any), then the exit.
    fn stop(&mut self, reason: &ExitReason, reply: Option<(ReplyTo, &[u8])>) -> ! {
        self.behave.terminate(reason);
        if let Some((to, bytes)) = reply {
            let _ = to.reply(bytes);
        }
        exit(exit_reason(reason))
    }

    /// Whether exit signal `exit` is the parent's order to stop (as a
    /// GenServer's).
    fn is_parent_stop(&self, exit: &crate::Exit) -> bool {
        match self.parent {
            Some(parent) => exit.from == parent,
            None => matches!(exit.reason, ExitReason::Shutdown(_)),
        }
    }

    /// Sends the events the last callback pushed to consumers with demand;
    /// buffers the rest.
    fn emit(&mut self) {
        if self.out.is_empty() {
            return;
        }
        let events = core::mem::take(&mut self.out);
        let Some(down) = self.downstream.as_mut() else {
            // A consumer has no `out` to push on: nothing to do.
            return;
        };
        let mut failed = None;
        let mut left = down.dispatch.dispatch(events, &mut |key, events| send_events(key, events, &mut failed));
        if let Some(why) = failed {
            self.stop(&ExitReason::Custom(why.into_bytes()), None)
        }
        if !left.is_empty() {
            down.buffer.push(core::mem::take(&mut left));
        }
        // Keep the allocation for the next callback.
        self.out = left;
    }

    /// Demand `demand` came for the producer side: the buffer first, then
    /// the producer's `handle_demand` (or a producer-consumer's queued
    /// events).
    fn fulfil(&mut self, demand: usize) {
        let Some(down) = self.downstream.as_mut() else { return };
        if demand == 0 {
            return;
        }
        let buffered = down.buffer.take(demand);
        let taken = buffered.len();
        if taken > 0 {
            let mut failed = None;
            let left = down.dispatch.dispatch(buffered, &mut |key, events| send_events(key, events, &mut failed));
            if let Some(why) = failed {
                self.stop(&ExitReason::Custom(why.into_bytes()), None)
            }
            down.buffer.unshift(left);
        }
        let rest = demand - taken;
        if rest == 0 {
            return;
        }
        match B::KIND {
            Kind::Producer => {
                let next = self.behave.demand(rest, &mut self.out);
                self.emitted(next);
            }
            Kind::ProducerConsumer => {
                self.pc_demand += rest;
                self.take_pc_events();
            }
            Kind::Consumer => {}
        }
    }

    /// A producer-consumer handles queued batches while its consumers have
    /// demand, asking upstream after each.
    fn take_pc_events(&mut self) {
        while self.pc_demand > 0 {
            let Some(batch) = self.pc_queue.pop_front() else { break };
            let next = self.behave.events(batch.events, batch.from, &mut self.out);
            self.pc_demand = self.pc_demand.saturating_sub(self.out.len());
            self.emit();
            self.ask_upstream(batch.from, batch.ask);
            self.next(next);
        }
    }

    /// Asks the producer of `sub` for `count` more events, if it is still
    /// subscribed.
    fn ask_upstream(&self, sub: Subscription, count: u64) {
        if count > 0 && self.upstream.iter().any(|up| up.sub == sub) {
            let _ = sub.pid.send_term(TAG_ASK, &(sub.reference, count));
        }
    }

    // ------------------------------------------------------ producer side

    fn on_subscribe(&mut self, msg: Message) {
        let Ok((reference, partition)) = term::from_slice::<(u64, Option<u32>)>(&msg.data) else {
            return self.info(Info::Message(msg));
        };
        let key = (msg.sender, reference);
        let Some(down) = self.downstream.as_mut() else {
            let why = ExitReason::Custom(b"not a producer".to_vec());
            let _ = msg.sender.send(TAG_CANCEL, &cancel_payload(reference, &why));
            return;
        };
        if down.dispatch.has(key) {
            return;
        }
        if let Err(why) = down.dispatch.subscribe(key, partition) {
            let _ = msg.sender.send(TAG_CANCEL, &cancel_payload(reference, &ExitReason::Custom(why.into_bytes())));
            return;
        }
        if let Ok(monitor) = crate::monitor(msg.sender) {
            down.monitors.push((monitor, key));
        }
        let next = self.behave.subscribed(Side::Consumer, Subscription { pid: msg.sender, reference });
        self.next(next);
    }

    fn on_ask(&mut self, msg: Message) {
        let Ok((reference, count)) = term::from_slice::<(u64, u64)>(&msg.data) else {
            return self.info(Info::Message(msg));
        };
        let key = (msg.sender, reference);
        let Some(down) = self.downstream.as_mut().filter(|down| down.dispatch.has(key)) else {
            let unknown = ExitReason::Custom(UNKNOWN_SUBSCRIPTION.to_vec());
            let _ = msg.sender.send(TAG_CANCEL, &cancel_payload(reference, &unknown));
            return;
        };
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        let mut failed = None;
        let demand = down.dispatch.ask(key, count, &mut |key, events| send_events(key, events, &mut failed));
        if let Some(why) = failed {
            self.stop(&ExitReason::Custom(why.into_bytes()), None)
        }
        self.fulfil(demand);
    }

    /// Forgets consumer `key` (it cancelled or exited), then tells the
    /// behaviour.
    fn drop_consumer(&mut self, key: Key, reason: CancelReason) {
        let Some(down) = self.downstream.as_mut() else { return };
        let demand = down.dispatch.cancel(key);
        let next =
            self.behave.cancelled(Side::Consumer, reason, Subscription { pid: key.0, reference: key.1 }, &mut self.out);
        self.emitted(next);
        self.fulfil(demand);
    }

    // ------------------------------------------------------ consumer side

    fn on_events(&mut self, msg: Message) {
        let Ok((reference, events)) = term::from_slice::<(u64, Vec<B::In>)>(&msg.data) else {
            return self.info(Info::Message(msg));
        };
        let Some(up) = self.upstream.iter_mut().find(|up| up.sub.reference == reference && up.sub.pid == msg.sender)
        else {
            let unknown = ExitReason::Custom(UNKNOWN_SUBSCRIPTION.to_vec());
            let _ = msg.sender.send(TAG_CANCEL, &cancel_payload(reference, &unknown));
            return;
        };
        let (demand, batches) = split_batches(events, up.sub, up.min, up.max, up.demand);
        up.demand = demand;
        if B::KIND == Kind::ProducerConsumer {
            self.pc_queue.extend(batches);
            self.take_pc_events();
            return;
        }
        for batch in batches {
            let next = self.behave.events(batch.events, batch.from, &mut self.out);
            self.emit();
            self.ask_upstream(batch.from, batch.ask);
            self.next(next);
        }
    }

    fn on_cancel(&mut self, msg: Message) {
        let Some((reference, reason)) = read_cancel(&msg.data) else {
            return self.info(Info::Message(msg));
        };
        if let Some(at) = self.upstream.iter().position(|up| up.sub.reference == reference && up.sub.pid == msg.sender)
        {
            // The producer ended our subscription (or answered our cancel).
            let up = self.upstream.remove(at);
            if let Some(monitor) = up.monitor {
                crate::demonitor(monitor, true);
            }
            return self.upstream_ended(up, CancelReason::Cancel(reason));
        }
        let key = (msg.sender, reference);
        let Some(down) = self.downstream.as_mut().filter(|down| down.dispatch.has(key)) else { return };
        // A consumer cancels: forget it, and answer so its side ends too.
        if let Some(at) = down.monitors.iter().position(|(_, k)| *k == key) {
            crate::demonitor(down.monitors.remove(at).0, true);
        }
        let _ = msg.sender.send(TAG_CANCEL, &cancel_payload(reference, &reason));
        self.drop_consumer(key, CancelReason::Cancel(reason));
    }

    /// A subscription to a producer is over: `handle_cancel`, then the
    /// cancel mode.
    fn upstream_ended(&mut self, up: Upstream, reason: CancelReason) {
        let next = self.behave.cancelled(Side::Producer, reason.clone(), up.sub, &mut self.out);
        self.emit();
        if up.cancel.exits(reason.reason()) {
            self.stop(reason.reason(), None)
        }
        self.next(next);
    }

    fn on_subscribe_to(&mut self, msg: Message) {
        let order = match SubscribeToWire::decode(&msg.data) {
            Some(order) if B::KIND != Kind::Producer => order,
            _ => return self.info(Info::Message(msg)),
        };
        if self.subscribe(order.to, &order.options).is_err() {
            self.info(Info::Message(msg));
        }
    }

    /// Subscribes to `producer`: monitor, `TAG_SUBSCRIBE`, then the first
    /// ask. Fails only for bad bounds.
    fn subscribe(&mut self, producer: Pid, options: &SubscribeOptions) -> Result<(), &'static str> {
        let (max, min) = options.bounds()?;
        self.next_ref += 1;
        let sub = Subscription { pid: producer, reference: self.next_ref };
        // A dead producer gives a DOWN `noproc` at once; a malformed pid
        // gives no monitor, and no DOWN: then the send is dropped too.
        let monitor = crate::monitor(producer).ok();
        let _ = producer.send_term(TAG_SUBSCRIBE, &(sub.reference, options.partition));
        let _ = producer.send_term(TAG_ASK, &(sub.reference, max));
        self.upstream.push(Upstream { sub, monitor, max, min, demand: max, cancel: options.cancel });
        let next = self.behave.subscribed(Side::Producer, sub);
        self.next(next);
        Ok(())
    }

    // ------------------------------------------------------------- both

    fn on_down(&mut self, down: crate::Down) {
        if let Some(at) = self.upstream.iter().position(|up| up.monitor == Some(down.monitor)) {
            let up = self.upstream.remove(at);
            return self.upstream_ended(up, CancelReason::Down(down.reason));
        }
        if let Some(side) = self.downstream.as_mut()
            && let Some(at) = side.monitors.iter().position(|(monitor, _)| *monitor == down.monitor)
        {
            let (_, key) = side.monitors.remove(at);
            return self.drop_consumer(key, CancelReason::Down(down.reason));
        }
        self.info(Info::Down(down));
    }

    fn on_call(&mut self, msg: Message) {
        let Some(request) = msg.as_call() else { return self.info(Info::Message(msg)) };
        let call = match term::from_slice::<B::Call>(&request.body) {
            Ok(call) => call,
            Err(error) => {
                let why = format!("the request is not a {}: {error}", core::any::type_name::<B::Call>());
                let _ = request.reply_to.reply(&bad_request(&why));
                return;
            }
        };
        match self.behave.call(call, request.reply_to, &mut self.out) {
            CallReply::Reply(reply, next) => {
                self.emit();
                let bytes = match term::to_vec(&reply) {
                    Ok(bytes) => bytes,
                    Err(error) => {
                        let why = format!("gen_stage: the reply cannot be encoded as a term: {error}");
                        self.stop(&ExitReason::Custom(why.into_bytes()), None)
                    }
                };
                if let Next::Stop(reason) = &next {
                    self.stop(&from_reason(reason), Some((request.reply_to, &bytes)));
                }
                let _ = request.reply_to.reply(&bytes);
                self.next(next);
            }
            CallReply::NoReply(next) => self.emitted(next),
        }
    }
}

/// The entry of a stage's process (run by the function trampoline).
pub(crate) fn run<B: Behave>(start: StartArg<B::Arg>) {
    let (starter, name, arg) = start;
    let me = crate::self_pid();
    let start_call = starter.map(take_start_call);
    // The start's outcome, to the starter if there is one; on a failure
    // unlinked first (as a GenServer's).
    let answer = |reply: StartReply| {
        if reply != StartReply::Ok
            && let Some(starter) = starter
        {
            let _ = starter.unlink();
        }
        if let Some(to) = start_call {
            let _ = to.reply(&reply.encode());
        }
    };
    let fail = |reason: ExitReason| -> ! {
        answer(StartReply::Failed(reason.clone()));
        exit(exit_reason(&reason))
    };
    let name = Name::from_wire(name);
    if let Some(name) = &name
        && let Err(reply) = register(name, me)
    {
        let reason = match &reply {
            StartReply::Failed(reason) => exit_reason(reason),
            _ => Reason::Normal,
        };
        answer(reply);
        exit(reason)
    }
    let (behave, setup) = match B::init(arg) {
        Init::Ok(behave, setup) => (behave, setup),
        Init::Ignore => {
            answer(StartReply::Ignore);
            crate::init_ack();
            exit(Reason::Normal)
        }
        Init::Stop(reason) => fail(from_reason(&reason)),
    };
    if let Err(error) = crate::set_handler(HANDLER_EXPORT) {
        fail(ExitReason::Custom(format!("{HANDLER_EXPORT}: set_handler failed: {error}").into_bytes()))
    }
    let downstream = setup.producer.map(|options| Downstream {
        dispatch: Dispatch::new(&options.dispatcher),
        buffer: Buffer::new(options.buffer_size, options.buffer_keep),
        monitors: Vec::new(),
    });
    let mut engine = Engine::<B> {
        behave,
        parent: starter,
        name: match &name {
            Some(Name::Local(name)) => Some(name.clone()),
            _ => None,
        },
        hibernating: false,
        downstream,
        upstream: Vec::new(),
        next_ref: 0,
        pc_demand: 0,
        pc_queue: VecDeque::new(),
        out: Vec::new(),
    };
    for to in setup.subscribe_to {
        match to.producer.whereis() {
            Some(pid) => {
                if let Err(why) = engine.subscribe(pid, &to.options) {
                    fail(ExitReason::Custom(format!("gen_stage: bad subscription options: {why}").into_bytes()))
                }
            }
            None if to.options.cancel.exits(&ExitReason::Noproc) => fail(ExitReason::Noproc),
            None => {
                engine.next_ref += 1;
                let sub = Subscription { pid: Pid::from_raw(0), reference: engine.next_ref };
                let next = engine.behave.cancelled(
                    Side::Producer,
                    CancelReason::Down(ExitReason::Noproc),
                    sub,
                    &mut engine.out,
                );
                engine.emitted(next);
            }
        }
    }
    answer(StartReply::Ok);
    crate::init_ack();
    if engine.hibernating {
        let _ = crate::hibernate();
    }
    STAGE.install(Box::new(engine));
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn sub() -> Subscription {
        Subscription { pid: Pid::from_raw(1 << 28), reference: 1 }
    }

    fn shape(batches: &[Batch<u32>]) -> Vec<(usize, u64)> {
        batches.iter().map(|b| (b.events.len(), b.ask)).collect()
    }

    #[test]
    fn batches_ask_to_refill_max_once_demand_falls_to_min() {
        // max 10, min 5: batches of 5; the first takes demand to 5 (<= min):
        // ask 5, back to 10; and so on.
        let (demand, batches) = split_batches((0..10).collect(), sub(), 5, 10, 10);
        assert_eq!((demand, shape(&batches)), (10, vec![(5, 5), (5, 5)]));
        // max 10, min 7: batches of 3; 10 -> 7 (ask 3) -> 7 (ask 3)...
        let (demand, batches) = split_batches((0..4).collect(), sub(), 7, 10, 10);
        assert_eq!((demand, shape(&batches)), (9, vec![(3, 3), (1, 0)]), "10 - 1 = 9 > 7: no ask yet");
        let (demand, batches) = split_batches((0..2).collect(), sub(), 7, 10, 9);
        assert_eq!((demand, shape(&batches)), (10, vec![(2, 3)]), "9 - 2 = 7 <= 7: refill to 10");
    }

    #[test]
    fn events_beyond_the_demand_ask_for_nothing_more() {
        let (demand, batches) = split_batches((0..6).collect(), sub(), 0, 3, 3);
        assert_eq!((demand, shape(&batches)), (3, vec![(3, 3), (3, 0)]));
    }

    #[test]
    fn subscribe_orders_round_trip() {
        let options = SubscribeOptions::new().max_demand(10).cancel(Cancel::Transient).partition(3);
        let order = SubscribeToWire { to: Pid::from_raw(5 << 28), options };
        let back = SubscribeToWire::decode(&order.encode().unwrap()).unwrap();
        assert_eq!(
            (back.to, back.options),
            (order.to, SubscribeOptions::new().max_demand(10).min_demand(7).cancel(Cancel::Transient).partition(3))
        );
        let bad = SubscribeToWire { to: Pid::from_raw(5 << 28), options: SubscribeOptions::new().max_demand(0) };
        assert!(bad.encode().is_err());
        assert!(SubscribeToWire::decode(b"junk").is_none());
    }

    #[test]
    fn cancel_payloads_round_trip() {
        for reason in [ExitReason::Normal, ExitReason::Custom(b"boom".to_vec()), ExitReason::Shutdown(Vec::new())] {
            assert_eq!(read_cancel(&cancel_payload(7, &reason)), Some((7, reason)));
        }
        assert_eq!(read_cancel(b"junk"), None);
    }
}
