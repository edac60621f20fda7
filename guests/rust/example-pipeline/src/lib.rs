//! `example-pipeline`: a three-stage pipeline with a slow consumer, the
//! Rust SDK's stages (`warren::stage`) in their smallest useful form. Run
//! it with `warren run example_pipeline.wasm` (entry `main`): a producer
//! counts up, a producer-consumer squares, and a consumer that takes 5 ms
//! per batch prints the squares. The consumer asks for at most 10 events
//! at a time, so the producer makes them only as fast as the consumer
//! takes them: nothing piles up in any mailbox.

use warren::gen_server::StartOptions;
use warren::stage::{
    self, Consumer, ConsumerOptions, Init, Next, Producer, ProducerConsumer, ProducerConsumerOptions, ProducerOptions,
    SubscribeOptions, Subscription,
};
use warren::{Pid, Reason};

/// Counts up from 1, as fast as it is asked.
#[derive(Debug)]
pub struct Numbers {
    next: u64,
}

impl Producer for Numbers {
    type Arg = ();
    type Event = u64;
    type Call = ();
    type Reply = ();
    type Cast = ();

    fn init(_: ()) -> Init<Self, ProducerOptions<u64>> {
        Init::ok(Numbers { next: 1 })
    }

    fn handle_demand(&mut self, demand: usize, events: &mut Vec<u64>) -> Next {
        events.extend(self.next..self.next + demand as u64);
        self.next += demand as u64;
        Next::Idle
    }
}

/// Squares what it gets.
#[derive(Debug)]
pub struct Squares;

impl ProducerConsumer for Squares {
    type Arg = Pid;
    type In = u64;
    type Out = u64;
    type Call = ();
    type Reply = ();
    type Cast = ();

    fn init(numbers: Pid) -> Init<Self, ProducerConsumerOptions<u64>> {
        let upstream = SubscribeOptions::new().max_demand(10).min_demand(5);
        Init::Ok(Squares, ProducerConsumerOptions::new().subscribe_to(numbers, upstream))
    }

    fn handle_events(&mut self, events: Vec<u64>, _from: Subscription, out: &mut Vec<u64>) -> Next {
        out.extend(events.into_iter().map(|n| n * n));
        Next::Idle
    }
}

/// Prints what it gets, slowly, and stops after `limit` events.
#[derive(Debug)]
pub struct Printer {
    seen: u64,
    limit: u64,
}

impl Consumer for Printer {
    type Arg = (Pid, u64);
    type Event = u64;
    type Call = ();
    type Reply = ();
    type Cast = ();

    fn init((squares, limit): (Pid, u64)) -> Init<Self, ConsumerOptions> {
        let options = ConsumerOptions::new().subscribe_to(squares, SubscribeOptions::new().max_demand(10));
        Init::Ok(Printer { seen: 0, limit }, options)
    }

    fn handle_events(&mut self, events: Vec<u64>, _from: Subscription) -> Next {
        warren::sleep(5); // a slow consumer
        self.seen += events.len() as u64;
        warren::println!("{events:?}");
        if self.seen >= self.limit { Next::Stop(Reason::Normal) } else { Next::Idle }
    }
}

/// Starts the pipeline, waits for the printer to have printed 30
/// squares, then stops the pipeline from its source.
#[warren::main]
fn main() -> Result<(), String> {
    let start = StartOptions::new();
    let numbers = stage::start_link_producer::<Numbers>(&(), &start).map_err(|e| e.to_string())?;
    let squares = stage::start_link_producer_consumer::<Squares>(&numbers, &start).map_err(|e| e.to_string())?;
    let printer = stage::start_link_consumer::<Printer>(&(squares, 30), &start).map_err(|e| e.to_string())?;
    let monitor = warren::monitor(printer).map_err(|e| e.to_string())?;
    loop {
        let down = warren::receive_matching(&[warren::sys::TAG_DOWN], None).and_then(|msg| msg.as_down());
        if let Some(down) = down.filter(|down| down.monitor == monitor) {
            warren::println!("printer done: {:?}", down.reason);
            // Stop the source; the squares' (permanent) subscription ends
            // with it, and so does the squares stage.
            return numbers.exit(warren::Signal::Shutdown(Vec::new())).map_err(|e| e.to_string());
        }
    }
}
