//! `sdk-stages`: the Rust SDK's stages (`warren::stage`), driven by
//! `tests/all/stages.rs`.
//!
//! * [`Counter`]: a producer of 0, 1, 2... that makes `greedy` times the
//!   demand it gets (0: only what is pushed into it by a cast), with the
//!   dispatcher and buffer its argument says; its `Stats` call tells what
//!   `handle_demand` was given and what it made.
//! * [`Relay`]: a producer-consumer that passes events on unchanged.
//! * [`Collector`]: a consumer that keeps what it gets, sleeps after each
//!   batch if asked (a slow consumer), stops after a number of events, and
//!   reports them to its reporter (tag [`TAG_STAGE`], text).
//! * `drive` (entry, `#[warren::main]`): argument `(reporter, scenario)`
//!   as a term; runs the scenario and reports each outcome as text, tag
//!   [`TAG_DRIVER`], then `end`.

use serde::{Deserialize, Serialize};
use warren::gen_server::StartOptions;
use warren::stage::{
    self, BufferKeep, Cancel, CancelReason, Consumer, ConsumerOptions, Dispatcher, Info, Init, Next, Producer,
    ProducerConsumer, ProducerConsumerOptions, ProducerOptions, SubscribeOptions, Subscription, TAG_ASK, TAG_CANCEL,
    TAG_EVENTS, TAG_SUBSCRIBE,
};
use warren::{ExitReason, Pid, Reason, ReplyTo, SpawnOptions};

/// Tag of a driver's reports.
pub const TAG_DRIVER: i64 = 1;
/// Tag of a stage's reports.
pub const TAG_STAGE: i64 = 3;

/// How long a driver waits for anything: a bound against hangs only.
const PATIENCE_MS: u64 = 20_000;

/// A reason as the reports print it: `normal`, `shutdown`, `custom:TEXT`,
/// `limit:TEXT`...
fn reason_text(reason: &ExitReason) -> String {
    match reason {
        ExitReason::Normal => "normal".into(),
        ExitReason::Shutdown(detail) => format!("shutdown:{}", String::from_utf8_lossy(detail)),
        ExitReason::Custom(detail) => format!("custom:{}", String::from_utf8_lossy(detail)),
        ExitReason::Limit(text) => format!("limit:{text}"),
        ExitReason::Trap(text) => format!("trap:{text}"),
        other => format!("{other:?}"),
    }
}

/// A reason from its text: `normal` or a custom one.
fn reason_of(text: &str) -> Reason {
    if text == "normal" { Reason::Normal } else { Reason::Custom(text.as_bytes().to_vec()) }
}

/// Which dispatcher a [`Counter`] uses.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq)]
pub enum Dispatch {
    /// [`Dispatcher::Demand`].
    Demand,
    /// [`Dispatcher::Broadcast`].
    Broadcast,
    /// [`Dispatcher::Partition`] into 2 by parity.
    Parity,
}

/// A [`Counter`]'s argument.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct CounterArg {
    /// Events made per event of demand (0: none, only pushed ones).
    pub greedy: u64,
    /// The dispatcher.
    pub dispatch: Dispatch,
    /// The buffer's bound (`None`: GenStage's default, 10,000).
    pub buffer: Option<u64>,
    /// Keep the first events of a full buffer (else the last).
    pub keep_first: bool,
}

/// A call to a [`Counter`].
#[derive(Serialize, Deserialize, Debug)]
pub enum Query {
    /// [`Stats`].
    Stats,
}

/// What a [`Counter`] answers: the sum of the demands `handle_demand` got,
/// the events it made, its consumers, its `handle_cancel`s.
#[derive(Serialize, Deserialize, Debug)]
pub struct Stats {
    /// Sum of the demands given to `handle_demand`.
    pub demand: u64,
    /// Events made.
    pub made: u64,
    /// Consumers subscribed now.
    pub consumers: u64,
    /// The `handle_cancel`s seen, as text.
    pub cancels: Vec<String>,
}

/// A cast to a [`Counter`].
#[derive(Serialize, Deserialize, Debug)]
pub enum CounterCast {
    /// Emits these events (beyond any demand: buffered if none).
    Push(Vec<u64>),
    /// Stops with this reason (`normal` or a custom one).
    Stop(String),
}

/// A producer of 0, 1, 2...
#[derive(Debug)]
pub struct Counter {
    next: u64,
    greedy: u64,
    demand: u64,
    made: u64,
    consumers: u64,
    cancels: Vec<String>,
}

fn parity(n: &u64) -> Option<u32> {
    Some((n % 2) as u32)
}

fn cancel_text(reason: &CancelReason) -> String {
    match reason {
        CancelReason::Cancel(reason) => format!("cancel {}", reason_text(reason)),
        CancelReason::Down(reason) => format!("down {}", reason_text(reason)),
    }
}

impl Producer for Counter {
    type Arg = CounterArg;
    type Event = u64;
    type Call = Query;
    type Reply = Stats;
    type Cast = CounterCast;

    fn init(arg: CounterArg) -> Init<Self, ProducerOptions<u64>> {
        let dispatcher = match arg.dispatch {
            Dispatch::Demand => Dispatcher::Demand,
            Dispatch::Broadcast => Dispatcher::Broadcast,
            Dispatch::Parity => Dispatcher::Partition { partitions: 2, hash: parity },
        };
        let mut options = ProducerOptions::new().dispatcher(dispatcher);
        if let Some(size) = arg.buffer {
            options = options.buffer_size(Some(size as usize));
        }
        if arg.keep_first {
            options = options.buffer_keep(BufferKeep::First);
        }
        let counter = Counter { next: 0, greedy: arg.greedy, demand: 0, made: 0, consumers: 0, cancels: Vec::new() };
        Init::Ok(counter, options)
    }

    fn handle_demand(&mut self, demand: usize, events: &mut Vec<u64>) -> Next {
        self.demand += demand as u64;
        let count = demand as u64 * self.greedy;
        events.extend(self.next..self.next + count);
        self.next += count;
        self.made += count;
        Next::Idle
    }

    fn handle_call(&mut self, _: Query, _: ReplyTo, _: &mut Vec<u64>) -> stage::CallReply<Stats> {
        stage::CallReply::reply(Stats {
            demand: self.demand,
            made: self.made,
            consumers: self.consumers,
            cancels: self.cancels.clone(),
        })
    }

    fn handle_cast(&mut self, cast: CounterCast, events: &mut Vec<u64>) -> Next {
        match cast {
            CounterCast::Push(pushed) => {
                self.made += pushed.len() as u64;
                events.extend(pushed);
                Next::Idle
            }
            CounterCast::Stop(reason) => Next::Stop(reason_of(&reason)),
        }
    }

    fn handle_subscribe(&mut self, _: Subscription) -> Next {
        self.consumers += 1;
        Next::Idle
    }

    fn handle_cancel(&mut self, reason: CancelReason, _: Subscription, _: &mut Vec<u64>) -> Next {
        self.consumers -= 1;
        self.cancels.push(cancel_text(&reason));
        Next::Idle
    }
}

/// How a stage subscribes (the options of [`SubscribeOptions`]).
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Sub {
    /// The producer.
    pub producer: Pid,
    /// `max_demand`.
    pub max: u64,
    /// `min_demand`.
    pub min: u64,
    /// `permanent`, `transient` or `temporary`.
    pub cancel: String,
    /// The partition, if any.
    pub partition: Option<u32>,
}

impl Sub {
    fn new(producer: Pid, max: u64, min: u64) -> Sub {
        Sub { producer, max, min, cancel: "permanent".into(), partition: None }
    }

    fn options(&self) -> SubscribeOptions {
        let cancel = match self.cancel.as_str() {
            "transient" => Cancel::Transient,
            "temporary" => Cancel::Temporary,
            _ => Cancel::Permanent,
        };
        let options = SubscribeOptions::new().max_demand(self.max).min_demand(self.min).cancel(cancel);
        match self.partition {
            Some(partition) => options.partition(partition),
            None => options,
        }
    }
}

/// A producer-consumer passing events on unchanged.
#[derive(Debug)]
pub struct Relay {
    passed: u64,
}

impl ProducerConsumer for Relay {
    type Arg = Sub;
    type In = u64;
    type Out = u64;
    type Call = ();
    type Reply = u64;
    type Cast = ();

    fn init(sub: Sub) -> Init<Self, ProducerConsumerOptions<u64>> {
        Init::Ok(Relay { passed: 0 }, ProducerConsumerOptions::new().subscribe_to(sub.producer, sub.options()))
    }

    fn handle_events(&mut self, events: Vec<u64>, _: Subscription, out: &mut Vec<u64>) -> Next {
        self.passed += events.len() as u64;
        out.extend(events);
        Next::Idle
    }

    fn handle_call(&mut self, _: (), _: ReplyTo, _: &mut Vec<u64>) -> stage::CallReply<u64> {
        stage::CallReply::reply(self.passed)
    }
}

/// A [`Collector`]'s argument.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct CollectorArg {
    /// Where it reports.
    pub reporter: Pid,
    /// Its name in reports.
    pub label: String,
    /// Its subscription.
    pub sub: Sub,
    /// Stop (normally) after this many events, reporting them; 0: never.
    pub limit: u64,
    /// Milliseconds to sleep after each batch (a slow consumer).
    pub sleep_ms: u64,
    /// Report the events themselves (else their count, sum and order).
    pub list: bool,
}

/// A call to a [`Collector`].
#[derive(Serialize, Deserialize, Debug)]
pub enum CollectorCall {
    /// Its `handle_cancel`s, as text.
    Cancels,
}

/// A cast to a [`Collector`].
#[derive(Serialize, Deserialize, Debug)]
pub enum CollectorCast {
    /// Cancels its subscriptions with reason `enough`.
    CancelAll,
    /// Stops normally.
    Stop,
}

/// A consumer that keeps what it gets.
#[derive(Debug)]
pub struct Collector {
    arg: CollectorArg,
    events: Vec<u64>,
    /// The largest batch `handle_events` got.
    largest: usize,
    subs: Vec<Subscription>,
    cancels: Vec<String>,
}

impl Collector {
    fn finish(&self) {
        let text = if self.arg.list {
            format!("{} {:?}", self.arg.label, self.events)
        } else {
            let in_order = self.events.windows(2).all(|w| w[1] == w[0] + 1);
            format!(
                "{} got {} sum {} in order {in_order} largest batch {}",
                self.arg.label,
                self.events.len(),
                self.events.iter().sum::<u64>(),
                self.largest
            )
        };
        let _ = self.arg.reporter.send(TAG_STAGE, text.as_bytes());
    }
}

impl Consumer for Collector {
    type Arg = CollectorArg;
    type Event = u64;
    type Call = CollectorCall;
    type Reply = Vec<String>;
    type Cast = CollectorCast;

    fn init(arg: CollectorArg) -> Init<Self, ConsumerOptions> {
        let options = ConsumerOptions::new().subscribe_to(arg.sub.producer, arg.sub.options());
        Init::Ok(Collector { arg, events: Vec::new(), largest: 0, subs: Vec::new(), cancels: Vec::new() }, options)
    }

    fn handle_events(&mut self, events: Vec<u64>, _: Subscription) -> Next {
        self.largest = self.largest.max(events.len());
        for event in events {
            if self.arg.limit == 0 || (self.events.len() as u64) < self.arg.limit {
                self.events.push(event);
            }
        }
        if self.arg.sleep_ms > 0 {
            warren::sleep(self.arg.sleep_ms);
        }
        if self.arg.limit > 0 && self.events.len() as u64 >= self.arg.limit {
            self.finish();
            return Next::Stop(Reason::Normal);
        }
        Next::Idle
    }

    fn handle_call(&mut self, _: CollectorCall, _: ReplyTo) -> stage::CallReply<Vec<String>> {
        stage::CallReply::reply(self.cancels.clone())
    }

    fn handle_cast(&mut self, cast: CollectorCast) -> Next {
        match cast {
            CollectorCast::CancelAll => {
                for sub in &self.subs {
                    let _ = stage::cancel(sub, Reason::Custom(b"enough".to_vec()));
                }
                Next::Idle
            }
            CollectorCast::Stop => Next::Stop(Reason::Normal),
        }
    }

    fn handle_info(&mut self, info: Info) -> Next {
        let _ = info;
        Next::Idle
    }

    fn handle_subscribe(&mut self, producer: Subscription) -> Next {
        self.subs.push(producer);
        Next::Idle
    }

    fn handle_cancel(&mut self, reason: CancelReason, producer: Subscription) -> Next {
        self.subs.retain(|sub| *sub != producer);
        self.cancels.push(cancel_text(&reason));
        Next::Idle
    }
}

// ------------------------------------------------------------- scenarios

/// The driver's reporting and waiting.
struct Driver {
    reporter: Pid,
    /// DOWNs taken while waiting for another.
    downs: std::cell::RefCell<Vec<warren::Down>>,
}

impl Driver {
    fn say(&self, text: &str) {
        let _ = self.reporter.send(TAG_DRIVER, text.as_bytes());
    }

    /// Waits for the DOWN of `pid` (monitored by the caller); its reason.
    fn down_of(&self, pid: Pid) -> Result<ExitReason, String> {
        let mut downs = self.downs.borrow_mut();
        if let Some(at) = downs.iter().position(|down| down.pid == pid) {
            return Ok(downs.remove(at).reason);
        }
        loop {
            let msg = warren::receive_matching(&[warren::sys::TAG_DOWN], Some(PATIENCE_MS))
                .ok_or_else(|| format!("no DOWN of {pid} in time"))?;
            match msg.as_down() {
                Some(down) if down.pid == pid => return Ok(down.reason),
                Some(down) => downs.push(down),
                None => {}
            }
        }
    }
}

/// Events waiting in the caller's mailbox (subscription `reference`), in
/// order, with the number of messages they came in; none waits.
fn drain_events(reference: u64) -> Result<(Vec<u64>, usize), String> {
    let mut events = Vec::new();
    let mut messages = 0;
    while let Some(msg) = warren::receive_matching(&[TAG_EVENTS], Some(0)) {
        let (got, batch): (u64, Vec<u64>) = msg.decode().map_err(|e| format!("bad events: {e}"))?;
        if got != reference {
            return Err(format!("events for subscription {got}"));
        }
        messages += 1;
        events.extend(batch);
    }
    Ok((events, messages))
}

fn counter(greedy: u64, dispatch: Dispatch) -> CounterArg {
    CounterArg { greedy, dispatch, buffer: None, keep_first: false }
}

fn stats(producer: Pid) -> Result<Stats, String> {
    stage::call(producer, &Query::Stats, Some(PATIENCE_MS)).map_err(|e| format!("stats: {e}"))
}

/// Calls `f` until it gives `Some` (at most a bounded number of times,
/// 1 ms apart): for a state another process's message changes.
fn eventually<T>(mut f: impl FnMut() -> Result<Option<T>, String>) -> Result<T, String> {
    for _ in 0..PATIENCE_MS {
        if let Some(value) = f()? {
            return Ok(value);
        }
        warren::sleep(1);
    }
    Err("the state never came".into())
}

fn scenario(driver: &Driver, name: &str) -> Result<(), String> {
    let start = StartOptions::new();
    match name {
        // A consumer by hand (this process) asks 3, 4, 5 of a producer that
        // makes twice what it is asked: exactly 12 events come, in order.
        "demand" => {
            let producer = stage::start_link_producer::<Counter>(&counter(2, Dispatch::Demand), &start)
                .map_err(|e| e.to_string())?;
            let send = |tag, value: &(u64, u64)| producer.send_term(tag, value).map_err(|e| e.to_string());
            producer.send_term(TAG_SUBSCRIBE, &(1u64, None::<u32>)).map_err(|e| e.to_string())?;
            for count in [3, 4, 5] {
                send(TAG_ASK, &(1, count))?;
            }
            let seen = stats(producer)?;
            let (events, messages) = drain_events(1)?;
            driver.say(&format!("received {} in {messages} messages: {events:?}", events.len()));
            driver.say(&format!("handle_demand got {}, made {}", seen.demand, seen.made));
            // An ask for a subscription the producer does not know.
            send(TAG_ASK, &(9, 5))?;
            let answer = warren::receive_matching(&[TAG_CANCEL], Some(PATIENCE_MS)).ok_or("no cancel")?;
            let reason = answer.decode::<warren::term::Term>().map_err(|e| e.to_string())?;
            driver.say(&format!("unknown ask answered {reason}"));
            let status = warren::system::get_status(producer, Some(PATIENCE_MS)).map_err(|e| e.to_string())?;
            let behaviour = status.map_get(&warren::term::Term::atom("behaviour")).cloned();
            let state = warren::system::get_state(producer, Some(PATIENCE_MS)).map_err(|e| e.to_string())?;
            driver.say(&format!("status {behaviour:?} state {}", state.starts_with("Counter {")));
            let (after, _) = drain_events(1)?;
            driver.say(&format!("nothing more: {after:?}"));
        }
        // producer -> producer-consumer -> a slow consumer, every stage
        // limited to a mailbox of max_demand (10) messages.
        "pipeline" => {
            let limited = StartOptions::new().spawn_options(SpawnOptions::new().max_mailbox(10));
            let producer = stage::start_link_producer::<Counter>(&counter(1, Dispatch::Demand), &limited)
                .map_err(|e| e.to_string())?;
            let relay = stage::start_link_producer_consumer::<Relay>(&Sub::new(producer, 10, 5), &limited)
                .map_err(|e| e.to_string())?;
            let arg = CollectorArg {
                reporter: driver.reporter,
                label: "slow".into(),
                sub: Sub::new(relay, 10, 5),
                limit: 300,
                sleep_ms: 2,
                list: false,
            };
            let consumer = stage::start_link_consumer::<Collector>(&arg, &limited).map_err(|e| e.to_string())?;
            let _ = warren::monitor(consumer);
            driver.say(&format!("consumer {}", reason_text(&driver.down_of(consumer)?)));
            let made = stats(producer)?.made;
            let passed: u64 = stage::call(relay, &(), Some(PATIENCE_MS)).map_err(|e| e.to_string())?;
            driver.say(&format!("producer made {made}, relay passed {passed}"));
        }
        // The same slow consumer and mailbox limit, fed by a process that
        // ignores demand.
        "firehose" => {
            let firehose = warren::spawn_fn(firehose, &()).map_err(|e| e.to_string())?;
            let arg = CollectorArg {
                reporter: driver.reporter,
                label: "flooded".into(),
                sub: Sub::new(firehose, 10, 5),
                limit: 0,
                sleep_ms: 5,
                list: false,
            };
            let limited = StartOptions::new().spawn_options(SpawnOptions::new().max_mailbox(10));
            let consumer = stage::start_consumer::<Collector>(&arg, &limited).map_err(|e| e.to_string())?;
            let _ = warren::monitor(consumer);
            driver.say(&format!("consumer {}", reason_text(&driver.down_of(consumer)?)));
        }
        // Three consumers of a broadcast producer with different demands.
        "broadcast" => {
            // Events pushed once all three are subscribed (a consumer that
            // subscribes later gets only the later events, as GenStage's).
            let producer = stage::start_link_producer::<Counter>(&counter(0, Dispatch::Broadcast), &start)
                .map_err(|e| e.to_string())?;
            let mut consumers = Vec::new();
            for (label, max, min) in [("a", 2, 1), ("b", 5, 3), ("c", 10, 0)] {
                let arg = CollectorArg {
                    reporter: driver.reporter,
                    label: label.into(),
                    sub: Sub::new(producer, max, min),
                    limit: 40,
                    sleep_ms: 0,
                    list: true,
                };
                let consumer = stage::start_link_consumer::<Collector>(&arg, &start).map_err(|e| e.to_string())?;
                let _ = warren::monitor(consumer);
                consumers.push(consumer);
            }
            eventually(|| Ok(Some(stats(producer)?.consumers).filter(|n| *n == 3)))?;
            stage::cast(producer, &CounterCast::Push((0..40).collect())).map_err(|e| e.to_string())?;
            for consumer in consumers {
                driver.say(&format!("consumer {}", reason_text(&driver.down_of(consumer)?)));
            }
        }
        // Two consumers of a producer partitioned by parity.
        "partition" => {
            let producer = stage::start_link_producer::<Counter>(&counter(0, Dispatch::Parity), &start)
                .map_err(|e| e.to_string())?;
            let mut consumers = Vec::new();
            for partition in [0, 1] {
                let mut sub = Sub::new(producer, 4, 2);
                sub.partition = Some(partition);
                let arg = CollectorArg {
                    reporter: driver.reporter,
                    label: format!("p{partition}"),
                    sub,
                    limit: 20,
                    sleep_ms: 0,
                    list: true,
                };
                let consumer = stage::start_link_consumer::<Collector>(&arg, &start).map_err(|e| e.to_string())?;
                let _ = warren::monitor(consumer);
                consumers.push(consumer);
            }
            eventually(|| Ok(Some(stats(producer)?.consumers).filter(|n| *n == 2)))?;
            stage::cast(producer, &CounterCast::Push((0..40).collect())).map_err(|e| e.to_string())?;
            for consumer in consumers {
                driver.say(&format!("consumer {}", reason_text(&driver.down_of(consumer)?)));
            }
            // A partition out of range is refused.
            let mut sub = Sub::new(producer, 4, 2);
            sub.partition = Some(5);
            sub.cancel = "temporary".into();
            let arg =
                CollectorArg { reporter: driver.reporter, label: "p5".into(), sub, limit: 0, sleep_ms: 0, list: true };
            let consumer = stage::start_link_consumer::<Collector>(&arg, &start).map_err(|e| e.to_string())?;
            let cancels = eventually(|| {
                let cancels: Vec<String> =
                    stage::call(consumer, &CollectorCall::Cancels, Some(PATIENCE_MS)).map_err(|e| e.to_string())?;
                Ok((!cancels.is_empty()).then_some(cancels))
            })?;
            driver.say(&format!("partition 5: {cancels:?}"));
        }
        // A producer exits: each cancel mode, for a normal and an abnormal
        // reason.
        "cancel_modes" => {
            for reason in ["normal", "boom"] {
                let producer = stage::start_producer::<Counter>(&counter(1, Dispatch::Demand), &start)
                    .map_err(|e| e.to_string())?;
                let mut consumers = Vec::new();
                for mode in ["permanent", "transient", "temporary"] {
                    let mut sub = Sub::new(producer, 5, 2);
                    sub.cancel = mode.into();
                    let arg = CollectorArg {
                        reporter: driver.reporter,
                        label: mode.into(),
                        sub,
                        limit: 0,
                        sleep_ms: 0,
                        list: true,
                    };
                    let consumer = stage::start_consumer::<Collector>(&arg, &start).map_err(|e| e.to_string())?;
                    let _ = warren::monitor(consumer);
                    consumers.push((mode, consumer));
                }
                let subscribed = eventually(|| Ok(Some(stats(producer)?.consumers).filter(|n| *n == 3)))?;
                let _ = warren::monitor(producer);
                stage::cast(producer, &CounterCast::Stop(reason.into())).map_err(|e| e.to_string())?;
                let producer_down = reason_text(&driver.down_of(producer)?);
                let mut outcome = vec![format!("{subscribed} subscribed, producer {producer_down}")];
                for (mode, consumer) in consumers {
                    let exits = matches!((mode, reason), ("permanent", _) | ("transient", "boom"));
                    if exits {
                        outcome.push(format!("{mode} exited {}", reason_text(&driver.down_of(consumer)?)));
                    } else {
                        let cancels = eventually(|| {
                            let cancels: Vec<String> =
                                stage::call(consumer, &CollectorCall::Cancels, Some(PATIENCE_MS))
                                    .map_err(|e| e.to_string())?;
                            Ok((!cancels.is_empty()).then_some(cancels))
                        })?;
                        outcome.push(format!("{mode} alive {cancels:?}"));
                        stage::cast(consumer, &CollectorCast::Stop).map_err(|e| e.to_string())?;
                        driver.down_of(consumer)?;
                    }
                }
                driver.say(&outcome.join("; "));
            }
        }
        // A consumer cancels, another exits: the producer forgets both.
        "consumer_leaves" => {
            let producer = stage::start_link_producer::<Counter>(&counter(1, Dispatch::Demand), &start)
                .map_err(|e| e.to_string())?;
            let mut consumers = Vec::new();
            for mode in ["temporary", "permanent"] {
                let mut sub = Sub::new(producer, 5, 2);
                sub.cancel = mode.into();
                let arg = CollectorArg {
                    reporter: driver.reporter,
                    label: mode.into(),
                    sub,
                    limit: 0,
                    sleep_ms: 0,
                    list: true,
                };
                let consumer = stage::start_consumer::<Collector>(&arg, &start).map_err(|e| e.to_string())?;
                let _ = warren::monitor(consumer);
                consumers.push(consumer);
            }
            eventually(|| Ok(Some(stats(producer)?.consumers).filter(|n| *n == 2)))?;
            stage::cast(consumers[0], &CollectorCast::CancelAll).map_err(|e| e.to_string())?;
            let cancels = eventually(|| {
                let cancels: Vec<String> =
                    stage::call(consumers[0], &CollectorCall::Cancels, Some(PATIENCE_MS)).map_err(|e| e.to_string())?;
                Ok((!cancels.is_empty()).then_some(cancels))
            })?;
            driver.say(&format!("temporary consumer after its cancel: alive, {cancels:?}"));
            stage::cast(consumers[1], &CollectorCast::Stop).map_err(|e| e.to_string())?;
            driver.say(&format!("permanent consumer {}", reason_text(&driver.down_of(consumers[1])?)));
            let seen = eventually(|| Ok(Some(stats(producer)?).filter(|s| s.consumers == 0)))?;
            driver.say(&format!("producer: {} consumers, cancels {:?}", seen.consumers, seen.cancels));
            stage::cast(consumers[0], &CollectorCast::Stop).map_err(|e| e.to_string())?;
            driver.down_of(consumers[0])?;
        }
        // Ten events pushed into a producer with room for five and no
        // consumer, keeping the last, then the first.
        "buffer" => {
            for keep_first in [false, true] {
                let arg = CounterArg { greedy: 0, dispatch: Dispatch::Demand, buffer: Some(5), keep_first };
                let producer = stage::start_link_producer::<Counter>(&arg, &start).map_err(|e| e.to_string())?;
                stage::cast(producer, &CounterCast::Push((0..10).collect())).map_err(|e| e.to_string())?;
                producer.send_term(TAG_SUBSCRIBE, &(1u64, None::<u32>)).map_err(|e| e.to_string())?;
                producer.send_term(TAG_ASK, &(1u64, 100u64)).map_err(|e| e.to_string())?;
                stats(producer)?;
                let (kept, _) = drain_events(1)?;
                stage::cast(producer, &CounterCast::Push(vec![100, 101])).map_err(|e| e.to_string())?;
                stats(producer)?;
                let (later, _) = drain_events(1)?;
                let keep = if keep_first { "first" } else { "last" };
                driver.say(&format!("keep {keep}: {kept:?} then {later:?}"));
            }
        }
        other => return Err(format!("unknown scenario {other}")),
    }
    Ok(())
}

/// A "producer" that ignores demand: takes one subscription, then sends
/// 200 events, one per message, at once.
fn firehose(_: ()) {
    let Some(msg) = warren::receive_matching(&[TAG_SUBSCRIBE], Some(PATIENCE_MS)) else { return };
    let Ok((reference, _)) = msg.decode::<(u64, Option<u32>)>() else { return };
    let _ = warren::monitor(msg.sender);
    for n in 0..200u64 {
        let _ = msg.sender.send_term(TAG_EVENTS, &(reference, [n]));
    }
    // Outlive the consumer, or its permanent subscription would end it.
    warren::receive_matching(&[warren::sys::TAG_DOWN], Some(PATIENCE_MS));
}

/// Runs scenario `name`, reporting to `reporter`; `end` last.
#[warren::main]
fn drive((reporter, name): (Pid, String)) -> Result<(), String> {
    let driver = Driver { reporter, downs: Default::default() };
    let outcome = scenario(&driver, &name);
    driver.say("end");
    outcome
}
