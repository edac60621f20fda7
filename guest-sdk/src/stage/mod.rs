//! Stages with backpressure (feature `serde`), in the style of Elixir's
//! GenStage: **producers** make events, **consumers** take them, and
//! **producer-consumers** do both; a consumer asks its producers for at
//! most `max_demand` events and a producer sends only what was asked, so a
//! slow consumer slows its producers instead of letting a mailbox grow
//! without bound.
//!
//! Implement [`Producer`], [`Consumer`] or [`ProducerConsumer`] for a
//! stage's state, start it with [`start_link_producer`],
//! [`start_link_consumer`] or [`start_link_producer_consumer`] (they return
//! once `init` has run), and subscribe consumers to producers, in `init`
//! ([`ConsumerOptions::subscribe_to`]) or later ([`async_subscribe`]).
//! Events, calls and casts are Rust values carried as Erlang terms (serde).
//!
//! ```ignore
//! use warren::gen_server::StartOptions;
//! use warren::stage::{self, Consumer, ConsumerOptions, Init, Next, Producer, ProducerOptions, SubscribeOptions, Subscription};
//!
//! /// Counts up from its argument, as fast as its consumers ask.
//! #[derive(Debug)]
//! struct Counter(u64);
//!
//! impl Producer for Counter {
//!     type Arg = u64;
//!     type Event = u64;
//!     type Call = ();
//!     type Reply = ();
//!     type Cast = ();
//!
//!     fn init(start: u64) -> Init<Self, ProducerOptions<u64>> {
//!         Init::ok(Counter(start))
//!     }
//!
//!     fn handle_demand(&mut self, demand: usize, events: &mut Vec<u64>) -> Next {
//!         events.extend(self.0..self.0 + demand as u64);
//!         self.0 += demand as u64;
//!         Next::Idle
//!     }
//! }
//!
//! /// Prints what it gets.
//! #[derive(Debug)]
//! struct Printer;
//!
//! impl Consumer for Printer {
//!     type Arg = warren::Pid;
//!     type Event = u64;
//!     type Call = ();
//!     type Reply = ();
//!     type Cast = ();
//!
//!     fn init(producer: warren::Pid) -> Init<Self, ConsumerOptions> {
//!         let options = ConsumerOptions::new().subscribe_to(producer, SubscribeOptions::new().max_demand(10));
//!         Init::Ok(Printer, options)
//!     }
//!
//!     fn handle_events(&mut self, events: Vec<u64>, _from: Subscription) -> Next {
//!         println!("{events:?}");
//!         Next::Idle
//!     }
//! }
//!
//! let counter = stage::start_link_producer::<Counter>(&0, &StartOptions::new())?;
//! let printer = stage::start_link_consumer::<Printer>(&counter, &StartOptions::new())?;
//! ```
//!
//! # Demand
//!
//! A consumer subscribes with [`SubscribeOptions`]: `max_demand` (1000 by
//! default) and `min_demand` (75 % of it by default), as GenStage. It asks
//! for `max_demand` events at once, takes the events that come in batches
//! of at most `max_demand - min_demand` (one [`Consumer::handle_events`]
//! each), and after each batch, once its outstanding demand has fallen to
//! `min_demand` or below, asks for enough to bring it back to
//! `max_demand`. So at most `max_demand` events are ever on their way to
//! it, whatever its speed.
//!
//! A producer's [`Dispatcher`] keeps each consumer's demand and passes it
//! on to [`Producer::handle_demand`] as it grows. Events the producer makes
//! (in any callback) go to consumers within their demand only; the others
//! wait in the producer's buffer ([`ProducerOptions::buffer_size`], 10,000
//! by default; past it the oldest or the newest are dropped as
//! [`BufferKeep`] says), and the buffer is emptied first when demand comes.
//!
//! A producer-consumer takes events from its producers only while its own
//! consumers have demand: its [`ProducerConsumer::handle_events`] runs
//! when downstream demand is there, and it asks upstream after each batch,
//! so backpressure travels up a pipeline of any length.
//!
//! # Subscriptions end cleanly
//!
//! Both sides of a subscription monitor each other. When a consumer exits
//! or cancels, its producer forgets it (and its demand); when a producer
//! exits or cancels, its consumers run [`Consumer::handle_cancel`] and
//! then, as the subscription's [`Cancel`] mode says: `Permanent` (the
//! default) exits with the same reason, `Transient` exits unless the reason
//! is `normal` or `shutdown`, `Temporary` carries on.
//!
//! # How it runs
//!
//! A stage is a handler-style process (docs/ABI.md, "Two styles of
//! process"): the host calls the SDK's export `__warren_stage` once per
//! message, so an idle stage holds no stack and [`Next::Hibernate`]
//! hibernates it for real. Stages start as GenServers do (a call the new
//! process answers once `init` has returned, see [`crate::gen_server`]),
//! take calls and casts as GenServers do ([`call`], [`cast`]), stop their
//! parent's way, and answer the system requests of [`crate::system`]
//! (`get_state`, `get_status`, with behaviour `gen_stage`) without their
//! user's callbacks.
//!
//! # Protocol
//!
//! The messages between stages are ordinary messages whose payload is a
//! term (docs/ABI.md, "Terms"), so a process in any language can be a
//! producer or a consumer by sending and reading them. `Ref` is an integer
//! the consumer chooses, unique among its own subscriptions; a
//! subscription is the pair (consumer pid, `Ref`). The sender of each
//! message is the side it comes from.
//!
//! | tag | from → to | payload | meaning |
//! | --- | --- | --- | --- |
//! | [`TAG_SUBSCRIBE`] (`0x5741_5252_454E_0101`) | consumer → producer | `{Ref, Partition}` (`nil` or an integer) | subscribe, with no demand yet; the consumer monitors the producer first |
//! | [`TAG_ASK`] (…`0102`) | consumer → producer | `{Ref, Count}` | demand for `Count` more events |
//! | [`TAG_EVENTS`] (…`0103`) | producer → consumer | `{Ref, [Event]}` | events, never more than the demand not yet met |
//! | [`TAG_CANCEL`] (…`0104`) | either way | `{Ref, Kind, <<Detail>>}` (an exit reason as docs/ABI.md codes it) | consumer → producer: end this subscription (the producer answers with the same message back); producer → consumer: the subscription is over (refused at subscribe, cancelled, or unknown) |
//! | [`TAG_SUBSCRIBE_TO`] (…`0105`) | anyone → consumer | `#{to => Pid, max_demand => N, min_demand => N, cancel => permanent \| transient \| temporary, partition => nil \| N}` | subscribe to that producer ([`async_subscribe`]) |
//! | `TAG_DOWN` | host → either | a monitor's DOWN | the other side exited: the subscription is over |
//! | [`TAG_CAST`](crate::gen_server::TAG_CAST) | anyone → stage | the cast's term | [`Producer::handle_cast`] and friends |
//! | `TAG_CALL` | anyone → stage | the request's term | [`Producer::handle_call`] and friends |
//! | `TAG_SYSTEM` | anyone → stage | a system request | answered by the SDK |
//!
//! A consumer sends `TAG_SUBSCRIBE` then `TAG_ASK` with its `max_demand`;
//! a producer that cannot take it (a consumer; a partition out of range or
//! taken) answers `TAG_CANCEL`. Events for a subscription the receiver does
//! not know, and asks for one the producer does not know, are answered
//! with `TAG_CANCEL` (reason `unknown_subscription`) and otherwise ignored.
//! Keep these tags out of a stage's other messages.

mod client;
mod dispatch;
mod engine;

pub use client::{
    SubscribeError, async_subscribe, call, cancel, cast, start_consumer, start_link_consumer, start_link_producer,
    start_link_producer_consumer, start_producer, start_producer_consumer,
};

pub use crate::gen_server::Info;
use crate::links::ExitReason;
use crate::{Pid, Reason, ReplyTo};
use alloc::vec::Vec;
use core::fmt;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Tag of a subscription request, consumer → producer: `{Ref, Partition}`.
///
/// ```ignore
/// // What a consumer's subscription sends first (a process of any language may):
/// producer.send_term(warren::stage::TAG_SUBSCRIBE, &(1u64, None::<u32>))?;
/// ```
pub const TAG_SUBSCRIBE: i64 = 0x5741_5252_454E_0101;

/// Tag of demand, consumer → producer: `{Ref, Count}`.
///
/// ```ignore
/// producer.send_term(warren::stage::TAG_ASK, &(1u64, 100u64))?; // 100 more events, please
/// ```
pub const TAG_ASK: i64 = 0x5741_5252_454E_0102;

/// Tag of events, producer → consumer: `{Ref, [Event]}`.
///
/// ```ignore
/// let msg = warren::receive_matching(&[warren::stage::TAG_EVENTS], None).unwrap();
/// let (reference, events): (u64, Vec<u64>) = msg.decode()?;
/// ```
pub const TAG_EVENTS: i64 = 0x5741_5252_454E_0103;

/// Tag of a cancellation, either way: `{Ref, Kind, <<Detail>>}`.
///
/// ```ignore
/// let msg = warren::receive_matching(&[warren::stage::TAG_CANCEL], Some(100));
/// ```
pub const TAG_CANCEL: i64 = 0x5741_5252_454E_0104;

/// Tag of an order to subscribe, anyone → consumer (see [`async_subscribe`]).
///
/// ```ignore
/// assert_ne!(warren::stage::TAG_SUBSCRIBE_TO, warren::stage::TAG_SUBSCRIBE);
/// ```
pub const TAG_SUBSCRIBE_TO: i64 = 0x5741_5252_454E_0105;

/// The reason of the `TAG_CANCEL` answering a message for a subscription
/// its receiver does not know.
const UNKNOWN_SUBSCRIPTION: &[u8] = b"unknown_subscription";

/// What a consumer does when a subscription ends (GenStage's `:cancel`).
///
/// ```ignore
/// let options = SubscribeOptions::new().cancel(Cancel::Temporary); // outlive the producer
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Cancel {
    /// Exit with the subscription's reason, whatever it is.
    #[default]
    Permanent,
    /// Exit with the subscription's reason unless it is `normal` or
    /// `shutdown`.
    Transient,
    /// Never exit because of it.
    Temporary,
}

impl Cancel {
    /// Whether a consumer whose subscription ended with `reason` exits.
    ///
    /// ```ignore
    /// assert!(!Cancel::Transient.exits(&ExitReason::Normal));
    /// ```
    pub fn exits(self, reason: &ExitReason) -> bool {
        match self {
            Cancel::Permanent => true,
            Cancel::Transient => !matches!(reason, ExitReason::Normal | ExitReason::Shutdown(_)),
            Cancel::Temporary => false,
        }
    }

    /// The mode's atom: `permanent`, `transient`, `temporary`.
    fn atom(self) -> &'static str {
        match self {
            Cancel::Permanent => "permanent",
            Cancel::Transient => "transient",
            Cancel::Temporary => "temporary",
        }
    }

    /// The mode of an atom's text.
    fn from_atom(atom: &str) -> Option<Cancel> {
        [Cancel::Permanent, Cancel::Transient, Cancel::Temporary].into_iter().find(|mode| mode.atom() == atom)
    }
}

/// How a consumer subscribes: its demand bounds, its [`Cancel`] mode, its
/// partition (for a producer with [`Dispatcher::Partition`]).
///
/// ```ignore
/// let options = SubscribeOptions::new().max_demand(10).min_demand(5).cancel(Cancel::Transient);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SubscribeOptions {
    max_demand: u64,
    min_demand: Option<u64>,
    cancel: Cancel,
    partition: Option<u32>,
}

impl Default for SubscribeOptions {
    fn default() -> SubscribeOptions {
        SubscribeOptions { max_demand: 1000, min_demand: None, cancel: Cancel::Permanent, partition: None }
    }
}

impl SubscribeOptions {
    /// GenStage's defaults: `max_demand` 1000, `min_demand` 75 % of it,
    /// permanent, no partition.
    ///
    /// ```ignore
    /// let options = SubscribeOptions::new();
    /// ```
    pub fn new() -> SubscribeOptions {
        SubscribeOptions::default()
    }

    /// The most events on their way to the consumer at any time (at least
    /// 1).
    ///
    /// ```ignore
    /// let options = SubscribeOptions::new().max_demand(100);
    /// ```
    pub fn max_demand(mut self, max_demand: u64) -> SubscribeOptions {
        self.max_demand = max_demand;
        self
    }

    /// Ask again once the outstanding demand falls to this (below
    /// `max_demand`; 75 % of it unless set). Batches given to
    /// `handle_events` hold at most `max_demand - min_demand` events.
    ///
    /// ```ignore
    /// let options = SubscribeOptions::new().max_demand(100).min_demand(50);
    /// ```
    pub fn min_demand(mut self, min_demand: u64) -> SubscribeOptions {
        self.min_demand = Some(min_demand);
        self
    }

    /// What the consumer does when the subscription ends.
    ///
    /// ```ignore
    /// let options = SubscribeOptions::new().cancel(Cancel::Temporary);
    /// ```
    pub fn cancel(mut self, cancel: Cancel) -> SubscribeOptions {
        self.cancel = cancel;
        self
    }

    /// The partition to take (a producer with [`Dispatcher::Partition`]
    /// requires one).
    ///
    /// ```ignore
    /// let options = SubscribeOptions::new().partition(0);
    /// ```
    pub fn partition(mut self, partition: u32) -> SubscribeOptions {
        self.partition = Some(partition);
        self
    }

    /// `(max_demand, min_demand)`, or why they are not valid bounds.
    fn bounds(&self) -> Result<(u64, u64), &'static str> {
        let max = self.max_demand;
        let min = self.min_demand.unwrap_or(max / 4 * 3 + max % 4 * 3 / 4);
        if max == 0 {
            return Err("max_demand must be at least 1");
        }
        if min >= max {
            return Err("min_demand must be below max_demand");
        }
        Ok((max, min))
    }
}

/// One subscription, as a stage's callbacks see it: the process on the
/// other side (a consumer's producer, a producer's consumer) and the
/// subscription's reference.
///
/// ```ignore
/// fn handle_events(&mut self, events: Vec<u64>, from: Subscription) -> Next {
///     if events.contains(&0) {
///         let _ = warren::stage::cancel(&from, warren::Reason::Normal); // no more from this producer
///     }
///     Next::Idle
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Subscription {
    /// The process on the other side.
    pub pid: Pid,
    /// The subscription's reference (chosen by the consumer).
    pub reference: u64,
}

/// Why a subscription ended, for `handle_cancel`.
///
/// ```ignore
/// fn handle_cancel(&mut self, reason: CancelReason, from: Subscription) -> Next {
///     match reason {
///         CancelReason::Cancel(_) => { /* cancelled by one side */ }
///         CancelReason::Down(_) => { /* the other side exited */ }
///     }
///     Next::Idle
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CancelReason {
    /// One side cancelled it with this reason (or the producer refused
    /// it).
    Cancel(ExitReason),
    /// The other side exited with this reason (`noproc`: it was not
    /// alive).
    Down(ExitReason),
}

impl CancelReason {
    /// The reason inside.
    ///
    /// ```ignore
    /// let why: &ExitReason = reason.reason();
    /// ```
    pub fn reason(&self) -> &ExitReason {
        match self {
            CancelReason::Cancel(reason) | CancelReason::Down(reason) => reason,
        }
    }
}

/// Which side of a producer-consumer a subscription is on.
///
/// ```ignore
/// fn handle_subscribe(&mut self, side: Side, sub: Subscription) -> Next {
///     if side == Side::Consumer { self.consumers += 1; }
///     Next::Idle
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// A subscription of this stage to a producer.
    Producer,
    /// A consumer's subscription to this stage.
    Consumer,
}

/// How a producer hands out events (GenStage's dispatchers).
///
/// ```ignore
/// let options = ProducerOptions::new().dispatcher(Dispatcher::Broadcast);
/// let by_parity = ProducerOptions::new().dispatcher(Dispatcher::Partition { partitions: 2, hash: |n: &u64| Some((n % 2) as u32) });
/// ```
pub enum Dispatcher<E> {
    /// Each event to one consumer: the one with the most unmet demand.
    Demand,
    /// Every event to every consumer, at the pace of the slowest.
    Broadcast,
    /// Each event to the consumer of its partition: `hash` gives it
    /// (`None`, or a partition out of range, discards it). Consumers
    /// subscribe with [`SubscribeOptions::partition`], one per partition.
    /// Every ask passes on to the producer as it is, and events of a
    /// partition without demand (or without a consumer) wait in the
    /// dispatcher, as GenStage's: a partition's consumer gets events as
    /// fast as the producer makes events that hash to it.
    Partition {
        /// How many partitions (0 to `partitions - 1`).
        partitions: u32,
        /// An event's partition.
        hash: fn(&E) -> Option<u32>,
    },
}

impl<E> fmt::Debug for Dispatcher<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dispatcher::Demand => f.write_str("Demand"),
            Dispatcher::Broadcast => f.write_str("Broadcast"),
            Dispatcher::Partition { partitions, .. } => write!(f, "Partition({partitions})"),
        }
    }
}

/// Which events a full buffer keeps (GenStage's `buffer_keep`).
///
/// ```ignore
/// let options = ProducerOptions::new().buffer_size(Some(100)).buffer_keep(BufferKeep::First);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum BufferKeep {
    /// The oldest: newer events are dropped.
    First,
    /// The newest (the default): the oldest are dropped.
    #[default]
    Last,
}

/// A producer's options: its dispatcher and its buffer.
///
/// ```ignore
/// let options = ProducerOptions::new().dispatcher(Dispatcher::Broadcast).buffer_size(Some(1_000));
/// ```
#[derive(Debug)]
pub struct ProducerOptions<E> {
    dispatcher: Dispatcher<E>,
    buffer_size: Option<usize>,
    buffer_keep: BufferKeep,
}

impl<E> Default for ProducerOptions<E> {
    fn default() -> ProducerOptions<E> {
        ProducerOptions { dispatcher: Dispatcher::Demand, buffer_size: Some(10_000), buffer_keep: BufferKeep::Last }
    }
}

impl<E> ProducerOptions<E> {
    /// The demand dispatcher, a buffer of 10,000 events keeping the last.
    ///
    /// ```ignore
    /// fn init(_: ()) -> Init<Self, ProducerOptions<u64>> { Init::Ok(Self::default(), ProducerOptions::new()) }
    /// ```
    pub fn new() -> ProducerOptions<E> {
        ProducerOptions::default()
    }

    /// How events are handed out.
    ///
    /// ```ignore
    /// let options = ProducerOptions::<u64>::new().dispatcher(Dispatcher::Broadcast);
    /// ```
    pub fn dispatcher(mut self, dispatcher: Dispatcher<E>) -> ProducerOptions<E> {
        self.dispatcher = dispatcher;
        self
    }

    /// The most events kept while no consumer has demand (`None`: no
    /// bound).
    ///
    /// ```ignore
    /// let options = ProducerOptions::<u64>::new().buffer_size(Some(5));
    /// ```
    pub fn buffer_size(mut self, size: Option<usize>) -> ProducerOptions<E> {
        self.buffer_size = size;
        self
    }

    /// Which events a full buffer keeps.
    ///
    /// ```ignore
    /// let options = ProducerOptions::<u64>::new().buffer_keep(BufferKeep::First);
    /// ```
    pub fn buffer_keep(mut self, keep: BufferKeep) -> ProducerOptions<E> {
        self.buffer_keep = keep;
        self
    }
}

/// A subscription made in `init`: the producer and the options.
#[derive(Clone, Debug, PartialEq, Eq)]
struct SubscribeTo {
    producer: crate::gen_server::ServerRef,
    options: SubscribeOptions,
}

/// A consumer's options: the producers it subscribes to in `init`.
///
/// ```ignore
/// let options = ConsumerOptions::new().subscribe_to("numbers", SubscribeOptions::new().max_demand(50));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConsumerOptions {
    subscribe_to: Vec<SubscribeTo>,
}

impl ConsumerOptions {
    /// No subscriptions.
    ///
    /// ```ignore
    /// let options = ConsumerOptions::new();
    /// ```
    pub fn new() -> ConsumerOptions {
        ConsumerOptions::default()
    }

    /// Subscribes to `producer` (a pid, a registered name, a registry key)
    /// when `init` returns, before the start does. A name nobody holds
    /// ends the subscription at once with reason `noproc`.
    ///
    /// ```ignore
    /// let options = ConsumerOptions::new().subscribe_to(producer, SubscribeOptions::new());
    /// ```
    pub fn subscribe_to(
        mut self,
        producer: impl Into<crate::gen_server::ServerRef>,
        options: SubscribeOptions,
    ) -> ConsumerOptions {
        self.subscribe_to.push(SubscribeTo { producer: producer.into(), options });
        self
    }
}

/// A producer-consumer's options: its producer side's and its
/// subscriptions. Its buffer has no bound by default, as GenStage's.
///
/// ```ignore
/// let options = ProducerConsumerOptions::new().subscribe_to(source, SubscribeOptions::new().max_demand(10));
/// ```
#[derive(Debug)]
pub struct ProducerConsumerOptions<E> {
    producer: ProducerOptions<E>,
    consumer: ConsumerOptions,
}

impl<E> Default for ProducerConsumerOptions<E> {
    fn default() -> ProducerConsumerOptions<E> {
        ProducerConsumerOptions { producer: ProducerOptions::new().buffer_size(None), consumer: ConsumerOptions::new() }
    }
}

impl<E> ProducerConsumerOptions<E> {
    /// The demand dispatcher, an unbounded buffer, no subscriptions.
    ///
    /// ```ignore
    /// let options = ProducerConsumerOptions::<u64>::new();
    /// ```
    pub fn new() -> ProducerConsumerOptions<E> {
        ProducerConsumerOptions::default()
    }

    /// As [`ProducerOptions::dispatcher`].
    ///
    /// ```ignore
    /// let options = ProducerConsumerOptions::<u64>::new().dispatcher(Dispatcher::Broadcast);
    /// ```
    pub fn dispatcher(mut self, dispatcher: Dispatcher<E>) -> ProducerConsumerOptions<E> {
        self.producer = self.producer.dispatcher(dispatcher);
        self
    }

    /// As [`ProducerOptions::buffer_size`].
    ///
    /// ```ignore
    /// let options = ProducerConsumerOptions::<u64>::new().buffer_size(Some(100));
    /// ```
    pub fn buffer_size(mut self, size: Option<usize>) -> ProducerConsumerOptions<E> {
        self.producer = self.producer.buffer_size(size);
        self
    }

    /// As [`ProducerOptions::buffer_keep`].
    ///
    /// ```ignore
    /// let options = ProducerConsumerOptions::<u64>::new().buffer_keep(BufferKeep::First);
    /// ```
    pub fn buffer_keep(mut self, keep: BufferKeep) -> ProducerConsumerOptions<E> {
        self.producer = self.producer.buffer_keep(keep);
        self
    }

    /// As [`ConsumerOptions::subscribe_to`].
    ///
    /// ```ignore
    /// let options = ProducerConsumerOptions::<u64>::new().subscribe_to("source", SubscribeOptions::new());
    /// ```
    pub fn subscribe_to(
        mut self,
        producer: impl Into<crate::gen_server::ServerRef>,
        options: SubscribeOptions,
    ) -> ProducerConsumerOptions<E> {
        self.consumer = self.consumer.subscribe_to(producer, options);
        self
    }
}

/// What a stage's `init` returns.
///
/// ```ignore
/// fn init(limit: u64) -> Init<Self, ProducerOptions<u64>> {
///     if limit == 0 { return Init::Stop(warren::Reason::Custom(b"nothing to make".to_vec())); }
///     Init::Ok(Counter { next: 0, limit }, ProducerOptions::new().buffer_size(Some(100)))
/// }
/// ```
pub enum Init<S, O> {
    /// Started, with this state and these options.
    Ok(S, O),
    /// Not started, not an error (OTP's `ignore`): the start returns
    /// [`crate::gen_server::StartError::Ignored`].
    Ignore,
    /// Not started: the start fails with this reason, which is also the
    /// process's exit reason.
    Stop(Reason),
}

impl<S, O: Default> Init<S, O> {
    /// `Init::Ok(state, O::default())`.
    ///
    /// ```ignore
    /// fn init(start: u64) -> Init<Self, ProducerOptions<u64>> { Init::ok(Counter(start)) }
    /// ```
    pub fn ok(state: S) -> Init<S, O> {
        Init::Ok(state, O::default())
    }
}

/// What a stage does after a callback.
///
/// ```ignore
/// fn handle_events(&mut self, events: Vec<u64>, _from: Subscription) -> Next {
///     self.seen += events.len();
///     if self.seen >= self.limit { Next::Stop(warren::Reason::Normal) } else { Next::Idle }
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Wait for the next message.
    Idle,
    /// Hibernate until the next message (see
    /// [`crate::gen_server::Next::Hibernate`]).
    Hibernate,
    /// Stop: `terminate` runs, then the process exits with this reason
    /// (its subscriptions end with it).
    Stop(Reason),
}

/// What a stage's `handle_call` returns.
///
/// ```ignore
/// CallReply::reply(self.count)                   // reply now
/// CallReply::Reply(0, Next::Stop(Reason::Normal)) // reply, then stop
/// CallReply::noreply()                           // reply later through the ReplyTo
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallReply<R> {
    /// Reply now with this, then as [`Next`] says.
    Reply(R, Next),
    /// No reply now (one may come later through the callback's
    /// [`ReplyTo`]); then as [`Next`] says.
    NoReply(Next),
}

impl<R> CallReply<R> {
    /// `CallReply::Reply(reply, Next::Idle)`.
    ///
    /// ```ignore
    /// CallReply::reply(42u64)
    /// ```
    pub fn reply(reply: R) -> CallReply<R> {
        CallReply::Reply(reply, Next::Idle)
    }

    /// `CallReply::NoReply(Next::Idle)`.
    ///
    /// ```ignore
    /// CallReply::<u64>::noreply()
    /// ```
    pub fn noreply() -> CallReply<R> {
        CallReply::NoReply(Next::Idle)
    }
}

/// Answers a call a stage without `handle_call` got.
fn no_handle_call(from: ReplyTo) {
    let _ = from.reply(&crate::gen_server::server::bad_request("the stage does not take calls"));
}

/// A producer: makes events when its consumers ask. Only
/// [`Producer::init`] and [`Producer::handle_demand`] must be written.
///
/// Every callback may emit events by pushing them on `events`: they go to
/// consumers within their demand, the rest to the buffer.
///
/// ```ignore
/// #[derive(Debug)]
/// struct Counter(u64);
///
/// impl Producer for Counter {
///     type Arg = u64;
///     type Event = u64;
///     type Call = ();
///     type Reply = ();
///     type Cast = Vec<u64>; // events pushed from outside
///
///     fn init(start: u64) -> Init<Self, ProducerOptions<u64>> { Init::ok(Counter(start)) }
///
///     fn handle_demand(&mut self, demand: usize, events: &mut Vec<u64>) -> Next {
///         events.extend(self.0..self.0 + demand as u64);
///         self.0 += demand as u64;
///         Next::Idle
///     }
///
///     fn handle_cast(&mut self, pushed: Vec<u64>, events: &mut Vec<u64>) -> Next {
///         events.extend(pushed);
///         Next::Idle
///     }
/// }
/// ```
pub trait Producer: Sized + fmt::Debug + 'static {
    /// What `init` gets (sent to the new process as a term).
    type Arg: Serialize + DeserializeOwned;
    /// The events it makes.
    type Event: Serialize + DeserializeOwned;
    /// A call's request (`()` if unused).
    type Call: Serialize + DeserializeOwned;
    /// A call's reply (`()` if unused).
    type Reply: Serialize + DeserializeOwned;
    /// A cast (`()` if unused).
    type Cast: Serialize + DeserializeOwned;

    /// Makes the state and the options, in the new process, before the
    /// start returns.
    ///
    /// ```ignore
    /// fn init(start: u64) -> Init<Self, ProducerOptions<u64>> {
    ///     Init::Ok(Counter(start), ProducerOptions::new().dispatcher(Dispatcher::Broadcast))
    /// }
    /// ```
    fn init(arg: Self::Arg) -> Init<Self, ProducerOptions<Self::Event>>;

    /// Consumers asked for `demand` more events (beyond those in the
    /// buffer): push at most that many on `events`, now or later from any
    /// callback. More are buffered, not sent.
    ///
    /// ```ignore
    /// fn handle_demand(&mut self, demand: usize, events: &mut Vec<u64>) -> Next {
    ///     events.extend((0..demand as u64).map(|i| self.0 + i));
    ///     self.0 += demand as u64;
    ///     Next::Idle
    /// }
    /// ```
    fn handle_demand(&mut self, demand: usize, events: &mut Vec<Self::Event>) -> Next;

    /// A call. By default: answered as a bad request.
    ///
    /// ```ignore
    /// fn handle_call(&mut self, _: (), _from: ReplyTo, _events: &mut Vec<u64>) -> CallReply<u64> {
    ///     CallReply::reply(self.0)
    /// }
    /// ```
    fn handle_call(
        &mut self,
        request: Self::Call,
        from: ReplyTo,
        events: &mut Vec<Self::Event>,
    ) -> CallReply<Self::Reply> {
        let _ = (request, events);
        no_handle_call(from);
        CallReply::noreply()
    }

    /// A cast. By default: ignored.
    ///
    /// ```ignore
    /// fn handle_cast(&mut self, pushed: Vec<u64>, events: &mut Vec<u64>) -> Next {
    ///     events.extend(pushed);
    ///     Next::Idle
    /// }
    /// ```
    fn handle_cast(&mut self, cast: Self::Cast, events: &mut Vec<Self::Event>) -> Next {
        let _ = (cast, events);
        Next::Idle
    }

    /// Any other message (as [`crate::gen_server::GenServer::handle_info`];
    /// never [`Info::Timeout`]). By default: ignored.
    ///
    /// ```ignore
    /// fn handle_info(&mut self, info: Info, events: &mut Vec<u64>) -> Next {
    ///     if let Info::Message(msg) = info { events.push(msg.tag as u64); }
    ///     Next::Idle
    /// }
    /// ```
    fn handle_info(&mut self, info: Info, events: &mut Vec<Self::Event>) -> Next {
        let _ = (info, events);
        Next::Idle
    }

    /// A consumer subscribed. By default: nothing.
    ///
    /// ```ignore
    /// fn handle_subscribe(&mut self, consumer: Subscription) -> Next {
    ///     self.consumers.push(consumer.pid);
    ///     Next::Idle
    /// }
    /// ```
    fn handle_subscribe(&mut self, consumer: Subscription) -> Next {
        let _ = consumer;
        Next::Idle
    }

    /// A consumer's subscription ended (it cancelled, or exited). By
    /// default: nothing.
    ///
    /// ```ignore
    /// fn handle_cancel(&mut self, _reason: CancelReason, consumer: Subscription, _events: &mut Vec<u64>) -> Next {
    ///     self.consumers.retain(|pid| *pid != consumer.pid);
    ///     Next::Idle
    /// }
    /// ```
    fn handle_cancel(&mut self, reason: CancelReason, consumer: Subscription, events: &mut Vec<Self::Event>) -> Next {
        let _ = (reason, consumer, events);
        Next::Idle
    }

    /// The stage stops (as [`crate::gen_server::GenServer::terminate`]).
    /// By default: nothing.
    ///
    /// ```ignore
    /// fn terminate(&mut self, reason: &ExitReason) { let _ = reason; }
    /// ```
    fn terminate(&mut self, reason: &ExitReason) {
        let _ = reason;
    }
}

/// A consumer: takes events from its producers. Only [`Consumer::init`]
/// and [`Consumer::handle_events`] must be written.
///
/// ```ignore
/// #[derive(Debug)]
/// struct Sum(u64);
///
/// impl Consumer for Sum {
///     type Arg = warren::Pid;
///     type Event = u64;
///     type Call = ();
///     type Reply = u64;
///     type Cast = ();
///
///     fn init(producer: warren::Pid) -> Init<Self, ConsumerOptions> {
///         Init::Ok(Sum(0), ConsumerOptions::new().subscribe_to(producer, SubscribeOptions::new()))
///     }
///
///     fn handle_events(&mut self, events: Vec<u64>, _from: Subscription) -> Next {
///         self.0 += events.iter().sum::<u64>();
///         Next::Idle
///     }
/// }
/// ```
pub trait Consumer: Sized + fmt::Debug + 'static {
    /// What `init` gets (sent to the new process as a term).
    type Arg: Serialize + DeserializeOwned;
    /// The events it takes.
    type Event: Serialize + DeserializeOwned;
    /// A call's request (`()` if unused).
    type Call: Serialize + DeserializeOwned;
    /// A call's reply (`()` if unused).
    type Reply: Serialize + DeserializeOwned;
    /// A cast (`()` if unused).
    type Cast: Serialize + DeserializeOwned;

    /// Makes the state and the options (the subscriptions), in the new
    /// process, before the start returns.
    ///
    /// ```ignore
    /// fn init(producer: warren::Pid) -> Init<Self, ConsumerOptions> {
    ///     Init::Ok(Sum(0), ConsumerOptions::new().subscribe_to(producer, SubscribeOptions::new().max_demand(10)))
    /// }
    /// ```
    fn init(arg: Self::Arg) -> Init<Self, ConsumerOptions>;

    /// A batch of events from producer `from` (at most `max_demand -
    /// min_demand` of them); the SDK asks for more after it returns.
    ///
    /// ```ignore
    /// fn handle_events(&mut self, events: Vec<u64>, _from: Subscription) -> Next {
    ///     self.0 += events.iter().sum::<u64>();
    ///     Next::Idle
    /// }
    /// ```
    fn handle_events(&mut self, events: Vec<Self::Event>, from: Subscription) -> Next;

    /// A call. By default: answered as a bad request.
    ///
    /// ```ignore
    /// fn handle_call(&mut self, _: (), _from: ReplyTo) -> CallReply<u64> { CallReply::reply(self.0) }
    /// ```
    fn handle_call(&mut self, request: Self::Call, from: ReplyTo) -> CallReply<Self::Reply> {
        let _ = request;
        no_handle_call(from);
        CallReply::noreply()
    }

    /// A cast. By default: ignored.
    ///
    /// ```ignore
    /// fn handle_cast(&mut self, reset: (), ) -> Next { self.0 = 0; Next::Idle }
    /// ```
    fn handle_cast(&mut self, cast: Self::Cast) -> Next {
        let _ = cast;
        Next::Idle
    }

    /// Any other message. By default: ignored.
    ///
    /// ```ignore
    /// fn handle_info(&mut self, info: Info) -> Next { let _ = info; Next::Idle }
    /// ```
    fn handle_info(&mut self, info: Info) -> Next {
        let _ = info;
        Next::Idle
    }

    /// Subscribed to a producer (its `TAG_SUBSCRIBE` sent). By default:
    /// nothing.
    ///
    /// ```ignore
    /// fn handle_subscribe(&mut self, producer: Subscription) -> Next {
    ///     self.producers += 1;
    ///     Next::Idle
    /// }
    /// ```
    fn handle_subscribe(&mut self, producer: Subscription) -> Next {
        let _ = producer;
        Next::Idle
    }

    /// A subscription to a producer ended; then the subscription's
    /// [`Cancel`] mode decides whether the consumer exits. By default:
    /// nothing.
    ///
    /// ```ignore
    /// fn handle_cancel(&mut self, reason: CancelReason, producer: Subscription) -> Next {
    ///     self.log.push(format!("{producer:?} ended: {reason:?}"));
    ///     Next::Idle
    /// }
    /// ```
    fn handle_cancel(&mut self, reason: CancelReason, producer: Subscription) -> Next {
        let _ = (reason, producer);
        Next::Idle
    }

    /// The stage stops. By default: nothing.
    ///
    /// ```ignore
    /// fn terminate(&mut self, reason: &ExitReason) { let _ = reason; }
    /// ```
    fn terminate(&mut self, reason: &ExitReason) {
        let _ = reason;
    }
}

/// A producer-consumer: takes events from its producers and makes events
/// for its consumers, as fast as its consumers ask. Only
/// [`ProducerConsumer::init`] and [`ProducerConsumer::handle_events`] must
/// be written.
///
/// ```ignore
/// #[derive(Debug)]
/// struct Double;
///
/// impl ProducerConsumer for Double {
///     type Arg = warren::Pid;
///     type In = u64;
///     type Out = u64;
///     type Call = ();
///     type Reply = ();
///     type Cast = ();
///
///     fn init(source: warren::Pid) -> Init<Self, ProducerConsumerOptions<u64>> {
///         Init::Ok(Double, ProducerConsumerOptions::new().subscribe_to(source, SubscribeOptions::new()))
///     }
///
///     fn handle_events(&mut self, events: Vec<u64>, _from: Subscription, out: &mut Vec<u64>) -> Next {
///         out.extend(events.into_iter().map(|n| n * 2));
///         Next::Idle
///     }
/// }
/// ```
pub trait ProducerConsumer: Sized + fmt::Debug + 'static {
    /// What `init` gets (sent to the new process as a term).
    type Arg: Serialize + DeserializeOwned;
    /// The events it takes.
    type In: Serialize + DeserializeOwned;
    /// The events it makes.
    type Out: Serialize + DeserializeOwned;
    /// A call's request (`()` if unused).
    type Call: Serialize + DeserializeOwned;
    /// A call's reply (`()` if unused).
    type Reply: Serialize + DeserializeOwned;
    /// A cast (`()` if unused).
    type Cast: Serialize + DeserializeOwned;

    /// Makes the state and the options, in the new process, before the
    /// start returns.
    ///
    /// ```ignore
    /// fn init(source: warren::Pid) -> Init<Self, ProducerConsumerOptions<u64>> {
    ///     Init::Ok(Double, ProducerConsumerOptions::new().subscribe_to(source, SubscribeOptions::new().max_demand(10)))
    /// }
    /// ```
    fn init(arg: Self::Arg) -> Init<Self, ProducerConsumerOptions<Self::Out>>;

    /// A batch of events from producer `from`, taken while its consumers
    /// have demand: push what it makes on `out` (any number: beyond the
    /// demand they are buffered).
    ///
    /// ```ignore
    /// fn handle_events(&mut self, events: Vec<u64>, _from: Subscription, out: &mut Vec<u64>) -> Next {
    ///     out.extend(events.into_iter().filter(|n| n % 2 == 0));
    ///     Next::Idle
    /// }
    /// ```
    fn handle_events(&mut self, events: Vec<Self::In>, from: Subscription, out: &mut Vec<Self::Out>) -> Next;

    /// A call. By default: answered as a bad request.
    ///
    /// ```ignore
    /// fn handle_call(&mut self, _: (), _from: ReplyTo, _out: &mut Vec<u64>) -> CallReply<()> { CallReply::reply(()) }
    /// ```
    fn handle_call(&mut self, request: Self::Call, from: ReplyTo, out: &mut Vec<Self::Out>) -> CallReply<Self::Reply> {
        let _ = (request, out);
        no_handle_call(from);
        CallReply::noreply()
    }

    /// A cast. By default: ignored.
    ///
    /// ```ignore
    /// fn handle_cast(&mut self, extra: Vec<u64>, out: &mut Vec<u64>) -> Next { out.extend(extra); Next::Idle }
    /// ```
    fn handle_cast(&mut self, cast: Self::Cast, out: &mut Vec<Self::Out>) -> Next {
        let _ = (cast, out);
        Next::Idle
    }

    /// Any other message. By default: ignored.
    ///
    /// ```ignore
    /// fn handle_info(&mut self, info: Info, _out: &mut Vec<u64>) -> Next { let _ = info; Next::Idle }
    /// ```
    fn handle_info(&mut self, info: Info, out: &mut Vec<Self::Out>) -> Next {
        let _ = (info, out);
        Next::Idle
    }

    /// A subscription began: to a producer ([`Side::Producer`]) or from a
    /// consumer ([`Side::Consumer`]). By default: nothing.
    ///
    /// ```ignore
    /// fn handle_subscribe(&mut self, side: Side, sub: Subscription) -> Next { let _ = (side, sub); Next::Idle }
    /// ```
    fn handle_subscribe(&mut self, side: Side, subscription: Subscription) -> Next {
        let _ = (side, subscription);
        Next::Idle
    }

    /// A subscription ended. On [`Side::Producer`] the subscription's
    /// [`Cancel`] mode then decides whether the stage exits. By default:
    /// nothing.
    ///
    /// ```ignore
    /// fn handle_cancel(&mut self, side: Side, reason: CancelReason, sub: Subscription, _out: &mut Vec<u64>) -> Next {
    ///     let _ = (side, reason, sub);
    ///     Next::Idle
    /// }
    /// ```
    fn handle_cancel(
        &mut self,
        side: Side,
        reason: CancelReason,
        subscription: Subscription,
        out: &mut Vec<Self::Out>,
    ) -> Next {
        let _ = (side, reason, subscription, out);
        Next::Idle
    }

    /// The stage stops. By default: nothing.
    ///
    /// ```ignore
    /// fn terminate(&mut self, reason: &ExitReason) { let _ = reason; }
    /// ```
    fn terminate(&mut self, reason: &ExitReason) {
        let _ = reason;
    }
}
