//! `bench-otp`: the Rust side of `benches/otp.rs` (GenServer calls and
//! casts, skynet, a three-stage pipeline, resident bytes of idle and
//! hibernated GenServers). Every entry takes `(reporter, ...)` as a term
//! and reports figures to the reporter as 8-byte LE integers: tag
//! [`TAG_NS`] the nanoseconds a workload took (WASI's monotonic clock),
//! tag [`TAG_VALUE`] a value to check, tag [`TAG_READY`] "done".

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use warren::gen_server::{self, CallReply, GenServer, Init, Next, StartOptions};
use warren::stage::{
    self, Consumer, ConsumerOptions, Producer, ProducerConsumer, ProducerConsumerOptions, ProducerOptions,
    SubscribeOptions, Subscription,
};
use warren::{Message, Pid, Reason, ReplyTo};

/// Tag of a duration in ns.
pub const TAG_NS: i64 = 1;
/// Tag of a value to check.
pub const TAG_VALUE: i64 = 2;
/// Tag of "done" (the servers are up).
pub const TAG_READY: i64 = 7;
/// Tag of a skynet node's sum, to its parent.
const TAG_SUM: i64 = 20;

#[link(wasm_import_module = "wasi_snapshot_preview1")]
unsafe extern "C" {
    fn clock_time_get(id: u32, precision: u64, time: *mut u64) -> u16;
}

/// WASI's monotonic clock, in ns.
fn now_ns() -> u64 {
    let mut time = 0u64;
    // SAFETY: `time` is a live local u64 the host writes 8 bytes to.
    unsafe { clock_time_get(1, 1, &mut time) };
    time
}

fn report(reporter: Pid, tag: i64, value: u64) {
    let _ = reporter.send(tag, &value.to_le_bytes());
}

// ------------------------------------------------------------ GenServers

/// Answers every call with its request; counts casts.
#[derive(Debug)]
pub struct Echo {
    casts: u64,
}

/// A call to [`Echo`].
#[derive(Serialize, Deserialize, Debug)]
pub enum Call {
    /// Answered with the number.
    Echo(u64),
    /// The casts handled so far.
    Casts,
}

impl GenServer for Echo {
    type Arg = bool;
    type Call = Call;
    type Reply = u64;
    type Cast = u64;
    type Continue = ();

    fn init(hibernate: bool) -> Init<Self> {
        Init::Ok(Echo { casts: 0 }, if hibernate { Next::Hibernate } else { Next::Idle })
    }

    fn handle_call(&mut self, request: Call, _: ReplyTo) -> CallReply<u64, ()> {
        match request {
            Call::Echo(n) => CallReply::reply(n),
            Call::Casts => CallReply::reply(self.casts),
        }
    }

    fn handle_cast(&mut self, _: u64) -> Next<()> {
        self.casts += 1;
        Next::Idle
    }
}

/// `rounds` calls to an Echo server (after 1,000 to warm up): tag 1 the
/// ns they took.
#[warren::main]
fn call_bench((reporter, rounds): (Pid, u64)) -> Result<(), String> {
    let server = gen_server::start_link::<Echo>(&false, &StartOptions::new()).map_err(|e| e.to_string())?;
    let round = |n: u64| gen_server::call::<Echo>(server, &Call::Echo(n), None).map_err(|e| e.to_string());
    for n in 0..1_000 {
        round(n)?;
    }
    let start = now_ns();
    for n in 0..rounds {
        if round(n)? != n {
            return Err("a wrong reply".into());
        }
    }
    report(reporter, TAG_NS, now_ns() - start);
    Ok(())
}

/// `rounds` times: a new Echo server, a first call, `idle_ms` of waiting,
/// then a call timed alone (a server that waited that long has given its
/// stack and constant pages back): tag 1 the ns those calls took in all.
#[warren::main]
fn call_after_idle_bench((reporter, rounds, idle_ms): (Pid, u64, u64)) -> Result<(), String> {
    let mut total = 0;
    for n in 0..rounds {
        let server = gen_server::start_link::<Echo>(&false, &StartOptions::new()).map_err(|e| e.to_string())?;
        gen_server::call::<Echo>(server, &Call::Echo(n), None).map_err(|e| e.to_string())?;
        warren::sleep(idle_ms);
        let start = now_ns();
        if gen_server::call::<Echo>(server, &Call::Echo(n), None).map_err(|e| e.to_string())? != n {
            return Err("a wrong reply".into());
        }
        total += now_ns() - start;
    }
    report(reporter, TAG_NS, total);
    Ok(())
}

/// `n` casts to an Echo server, then a call that returns once they are
/// all handled: tag 1 the ns, tag 2 the casts counted.
#[warren::main]
fn cast_bench((reporter, n): (Pid, u64)) -> Result<(), String> {
    let server = gen_server::start_link::<Echo>(&false, &StartOptions::new()).map_err(|e| e.to_string())?;
    let start = now_ns();
    for i in 0..n {
        gen_server::cast::<Echo>(server, &i).map_err(|e| e.to_string())?;
    }
    let counted = gen_server::call::<Echo>(server, &Call::Casts, None).map_err(|e| e.to_string())?;
    report(reporter, TAG_NS, now_ns() - start);
    report(reporter, TAG_VALUE, counted);
    Ok(())
}

/// Starts `n` Echo servers (unlinked; hibernated if asked), reports tag 7,
/// then waits for ever.
#[warren::main]
fn servers((reporter, n, hibernate): (Pid, u64, bool)) -> Result<(), String> {
    for _ in 0..n {
        gen_server::start::<Echo>(&hibernate, &StartOptions::new()).map_err(|e| e.to_string())?;
    }
    report(reporter, TAG_READY, n);
    loop {
        warren::receive();
    }
}

// ---------------------------------------------------------------- skynet

/// An inner node's parent, the children still to answer, their sum (each
/// process has its own instance, so these are per process).
static PARENT: AtomicU64 = AtomicU64::new(0);
static WAITING: AtomicU64 = AtomicU64::new(0);
static SUM: AtomicU64 = AtomicU64::new(0);

/// A skynet node: a leaf sends its number to its parent; an inner node
/// spawns 10 children and becomes handler-style (no stack while it waits),
/// summing their answers in `skynet_sum`.
fn skynet((parent, num, size): (Pid, u64, u64)) -> Result<(), String> {
    if size == 1 {
        return parent.send(TAG_SUM, &num.to_le_bytes()).map_err(|e| e.to_string());
    }
    let me = warren::self_pid();
    let child = size / 10;
    for i in 0..10 {
        warren::spawn_fn(skynet, &(me, num + i * child, child)).map_err(|e| e.to_string())?;
    }
    PARENT.store(parent.raw(), Ordering::Relaxed);
    WAITING.store(10, Ordering::Relaxed);
    warren::set_handler("skynet_sum").map_err(|e| e.to_string())
}

fn sum_one(msg: Message) -> warren::Control {
    let Some(value) = msg.data.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes) else {
        return warren::Control::Continue;
    };
    let sum = SUM.fetch_add(value, Ordering::Relaxed) + value;
    if WAITING.fetch_sub(1, Ordering::Relaxed) == 1 {
        let _ = Pid::from_raw(PARENT.load(Ordering::Relaxed)).send(TAG_SUM, &sum.to_le_bytes());
        return warren::Control::Stop;
    }
    warren::Control::Continue
}

warren::handler!(skynet_sum, sum_one);

/// Skynet over `size` leaves: tag 2 the sum, tag 1 the ns.
#[warren::main]
fn skynet_bench((reporter, size): (Pid, u64)) -> Result<(), String> {
    let start = now_ns();
    warren::spawn_fn(skynet, &(warren::self_pid(), 0, size)).map_err(|e| e.to_string())?;
    let msg = warren::receive_matching(&[TAG_SUM], None).ok_or("no sum")?;
    let elapsed = now_ns() - start;
    let sum = msg.data.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes).ok_or("a bad sum")?;
    report(reporter, TAG_VALUE, sum);
    report(reporter, TAG_NS, elapsed);
    Ok(())
}

// -------------------------------------------------------------- pipeline

/// Counts up from 0.
#[derive(Debug)]
pub struct Numbers(u64);

impl Producer for Numbers {
    type Arg = ();
    type Event = u64;
    type Call = ();
    type Reply = ();
    type Cast = ();

    fn init(_: ()) -> stage::Init<Self, ProducerOptions<u64>> {
        stage::Init::ok(Numbers(0))
    }

    fn handle_demand(&mut self, demand: usize, events: &mut Vec<u64>) -> stage::Next {
        events.extend(self.0..self.0 + demand as u64);
        self.0 += demand as u64;
        stage::Next::Idle
    }
}

/// Passes events on, plus one.
#[derive(Debug)]
pub struct PlusOne;

impl ProducerConsumer for PlusOne {
    type Arg = (Pid, u64);
    type In = u64;
    type Out = u64;
    type Call = ();
    type Reply = ();
    type Cast = ();

    fn init((source, max): (Pid, u64)) -> stage::Init<Self, ProducerConsumerOptions<u64>> {
        let options = ProducerConsumerOptions::new().subscribe_to(source, SubscribeOptions::new().max_demand(max));
        stage::Init::Ok(PlusOne, options)
    }

    fn handle_events(&mut self, events: Vec<u64>, _: Subscription, out: &mut Vec<u64>) -> stage::Next {
        out.extend(events.into_iter().map(|n| n + 1));
        stage::Next::Idle
    }
}

/// Sums `limit` events, then tells `reporter` the sum (tag 2) and stops.
#[derive(Debug)]
pub struct Sink {
    reporter: Pid,
    limit: u64,
    seen: u64,
    sum: u64,
}

impl Consumer for Sink {
    type Arg = (Pid, Pid, u64, u64);
    type Event = u64;
    type Call = ();
    type Reply = ();
    type Cast = ();

    fn init((reporter, source, limit, max): (Pid, Pid, u64, u64)) -> stage::Init<Self, ConsumerOptions> {
        let options = ConsumerOptions::new().subscribe_to(source, SubscribeOptions::new().max_demand(max));
        stage::Init::Ok(Sink { reporter, limit, seen: 0, sum: 0 }, options)
    }

    fn handle_events(&mut self, events: Vec<u64>, _: Subscription) -> stage::Next {
        for event in events {
            if self.seen < self.limit {
                self.sum += event;
                self.seen += 1;
            }
        }
        if self.seen == self.limit {
            report(self.reporter, TAG_SUM, self.sum);
            return stage::Next::Stop(Reason::Normal);
        }
        stage::Next::Idle
    }
}

/// `events` events through producer -> producer-consumer -> consumer, all
/// subscriptions with `max_demand`: tag 2 the sum, tag 1 the ns from the
/// first start to the consumer's last event.
#[warren::main]
fn pipeline_bench((reporter, events, max): (Pid, u64, u64)) -> Result<(), String> {
    let start = now_ns();
    let options = StartOptions::new();
    let numbers = stage::start_link_producer::<Numbers>(&(), &options).map_err(|e| e.to_string())?;
    let plus = stage::start_link_producer_consumer::<PlusOne>(&(numbers, max), &options).map_err(|e| e.to_string())?;
    stage::start_link_consumer::<Sink>(&(warren::self_pid(), plus, events, max), &options)
        .map_err(|e| e.to_string())?;
    let msg = warren::receive_matching(&[TAG_SUM], None).ok_or("no sum")?;
    let elapsed = now_ns() - start;
    let sum = msg.data.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_le_bytes).ok_or("a bad sum")?;
    report(reporter, TAG_VALUE, sum);
    report(reporter, TAG_NS, elapsed);
    // The stages are linked: a non-normal exit ends them with this process.
    warren::exit(Reason::Shutdown(Vec::new()))
}
