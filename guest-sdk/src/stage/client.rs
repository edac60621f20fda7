//! The client's side of stages: starting them, calls and casts, and
//! subscriptions made or ended from outside `init`.

use super::engine::{self, AsConsumer, AsProducer, AsProducerConsumer, SubscribeToWire, cancel_payload};
use super::{Consumer, Producer, ProducerConsumer, SubscribeOptions, Subscription, TAG_CANCEL, TAG_SUBSCRIBE_TO};
use crate::gen_server::server::bad_request_reason;
use crate::gen_server::{CastError, GenCallError, ServerRef, StartError, StartOptions, TAG_CAST, start_entry};
use crate::{CallError, Error, NameError, Pid, Reason, Registry};
use core::fmt;
use serde::Serialize;
use serde::de::DeserializeOwned;
use warren_term as term;

/// Starts producer `P` linked to the caller, and returns once its `init`
/// has returned (GenStage's `start_link`). Errors as
/// [`crate::gen_server::start_link`]'s.
///
/// ```ignore
/// let numbers = stage::start_link_producer::<Counter>(&0, &StartOptions::new().name("numbers"))?;
/// ```
pub fn start_link_producer<P: Producer>(arg: &P::Arg, options: &StartOptions) -> Result<Pid, StartError> {
    start_entry(engine::run::<AsProducer<P>>, arg, options, true, false).map(|(pid, _)| pid)
}

/// [`start_link_producer`] without the link.
///
/// ```ignore
/// let numbers = stage::start_producer::<Counter>(&0, &StartOptions::new())?;
/// ```
pub fn start_producer<P: Producer>(arg: &P::Arg, options: &StartOptions) -> Result<Pid, StartError> {
    start_entry(engine::run::<AsProducer<P>>, arg, options, false, false).map(|(pid, _)| pid)
}

/// Starts consumer `C` linked to the caller, and returns once its `init`
/// has returned and its subscriptions of `init` are sent.
///
/// ```ignore
/// let printer = stage::start_link_consumer::<Printer>(&numbers, &StartOptions::new())?;
/// ```
pub fn start_link_consumer<C: Consumer>(arg: &C::Arg, options: &StartOptions) -> Result<Pid, StartError> {
    start_entry(engine::run::<AsConsumer<C>>, arg, options, true, false).map(|(pid, _)| pid)
}

/// [`start_link_consumer`] without the link.
///
/// ```ignore
/// let printer = stage::start_consumer::<Printer>(&numbers, &StartOptions::new())?;
/// ```
pub fn start_consumer<C: Consumer>(arg: &C::Arg, options: &StartOptions) -> Result<Pid, StartError> {
    start_entry(engine::run::<AsConsumer<C>>, arg, options, false, false).map(|(pid, _)| pid)
}

/// Starts producer-consumer `PC` linked to the caller, and returns once
/// its `init` has returned and its subscriptions of `init` are sent.
///
/// ```ignore
/// let doubler = stage::start_link_producer_consumer::<Double>(&numbers, &StartOptions::new())?;
/// ```
pub fn start_link_producer_consumer<PC: ProducerConsumer>(
    arg: &PC::Arg,
    options: &StartOptions,
) -> Result<Pid, StartError> {
    start_entry(engine::run::<AsProducerConsumer<PC>>, arg, options, true, false).map(|(pid, _)| pid)
}

/// [`start_link_producer_consumer`] without the link.
///
/// ```ignore
/// let doubler = stage::start_producer_consumer::<Double>(&numbers, &StartOptions::new())?;
/// ```
pub fn start_producer_consumer<PC: ProducerConsumer>(arg: &PC::Arg, options: &StartOptions) -> Result<Pid, StartError> {
    start_entry(engine::run::<AsProducerConsumer<PC>>, arg, options, false, false).map(|(pid, _)| pid)
}

/// Calls stage `stage` with `request` (its `Call` type) and waits at most
/// `timeout_ms` (`None`: for ever) for its reply (GenStage's `call`, as
/// [`crate::gen_server::call`]).
///
/// ```ignore
/// let made: u64 = stage::call(numbers, &(), Some(1_000))?;
/// ```
pub fn call<Q: Serialize, R: DeserializeOwned>(
    stage: impl Into<ServerRef>,
    request: &Q,
    timeout_ms: Option<u64>,
) -> Result<R, GenCallError> {
    let bytes = term::to_vec(request).map_err(GenCallError::Encode)?;
    let answer = match stage.into() {
        ServerRef::Pid(pid) => crate::call(pid, &bytes, timeout_ms),
        ServerRef::Name(name) => crate::call_named(&name, &bytes, timeout_ms),
        via @ ServerRef::Via { .. } => match via.whereis() {
            Some(pid) => crate::call(pid, &bytes, timeout_ms),
            None => Err(CallError::NoProc),
        },
    }
    .map_err(GenCallError::Call)?;
    term::from_slice::<R>(&answer).map_err(|error| match bad_request_reason(&answer) {
        Some(why) => GenCallError::BadRequest(why),
        None => GenCallError::Decode(error),
    })
}

/// Sends stage `stage` the cast `cast` (its `Cast` type, tag
/// [`TAG_CAST`]) and returns at once; a stage that is not alive is not an
/// error (as [`crate::gen_server::cast`]).
///
/// ```ignore
/// stage::cast(numbers, &vec![1u64, 2, 3])?; // events pushed into a producer
/// ```
pub fn cast<C: Serialize>(stage: impl Into<ServerRef>, cast: &C) -> Result<(), CastError> {
    let bytes = term::to_vec(cast).map_err(CastError::Encode)?;
    let sent = match stage.into() {
        ServerRef::Pid(pid) => pid.send(TAG_CAST, &bytes).map_err(NameError::from),
        ServerRef::Name(name) => crate::send_named(&name, TAG_CAST, &bytes),
        ServerRef::Via { registry, key } => Registry::named(&registry).dispatch(&key, TAG_CAST, &bytes).map(|_| ()),
    };
    match sent {
        Ok(()) | Err(NameError::NoSuchName) => Ok(()),
        Err(NameError::Other(error)) => Err(CastError::Send(error)),
        Err(other) => Err(CastError::Send(Error::from_code(other.code()))),
    }
}

/// Why a subscription order was not sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubscribeError {
    /// No process holds the producer's name.
    NoProc,
    /// The options' bounds are not valid (why).
    BadOptions(&'static str),
    /// The send failed.
    Send(Error),
}

impl fmt::Display for SubscribeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubscribeError::NoProc => f.write_str("no process holds the producer's name (noproc)"),
            SubscribeError::BadOptions(why) => write!(f, "bad subscription options: {why}"),
            SubscribeError::Send(error) => write!(f, "the subscription order was not sent: {error}"),
        }
    }
}

impl core::error::Error for SubscribeError {}

/// Tells consumer (or producer-consumer) `consumer` to subscribe to
/// `producer` with `options` (GenStage's `async_subscribe`): returns once
/// the order is sent. The subscription then behaves as one made in `init`.
///
/// ```ignore
/// stage::async_subscribe(printer, "numbers", &SubscribeOptions::new().max_demand(10))?;
/// ```
pub fn async_subscribe(
    consumer: Pid,
    producer: impl Into<ServerRef>,
    options: &SubscribeOptions,
) -> Result<(), SubscribeError> {
    options.bounds().map_err(SubscribeError::BadOptions)?;
    let to = producer.into().whereis().ok_or(SubscribeError::NoProc)?;
    let bytes = SubscribeToWire { to, options: options.clone() }.encode().map_err(SubscribeError::BadOptions)?;
    consumer.send(TAG_SUBSCRIBE_TO, &bytes).map_err(SubscribeError::Send)
}

/// Cancels `subscription` with `reason` (GenStage's `cancel`), from its
/// consumer (a callback of the stage that holds it): the producer forgets
/// the consumer and answers, and the consumer then runs `handle_cancel`
/// and applies the subscription's [`super::Cancel`] mode (a permanent one
/// exits with `reason`).
///
/// ```ignore
/// fn handle_events(&mut self, events: Vec<u64>, from: Subscription) -> Next {
///     if self.had_enough() {
///         let _ = stage::cancel(&from, Reason::Normal);
///     }
///     Next::Idle
/// }
/// ```
pub fn cancel(subscription: &Subscription, reason: Reason) -> Result<(), Error> {
    let reason = crate::gen_server::from_reason(&reason);
    subscription.pid.send(TAG_CANCEL, &cancel_payload(subscription.reference, &reason))
}
