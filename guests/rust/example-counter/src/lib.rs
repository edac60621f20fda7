//! `example-counter`: a counter GenServer and a client, the Rust SDK's
//! GenServer in its smallest useful form. Run it with
//! `warren run example_counter.wasm` (entry `main`): it starts the counter
//! under the name `counter`, adds to it by calls and casts, prints the
//! count, and stops it.

use serde::{Deserialize, Serialize};
use warren::ReplyTo;
use warren::gen_server::{self, CallReply, GenServer, Info, Init, Name, Next, StartOptions};

/// The counter's state.
#[derive(Debug)]
pub struct Counter {
    count: i64,
}

/// A call to the counter.
#[derive(Serialize, Deserialize, Debug)]
pub enum Request {
    /// The count.
    Get,
    /// Adds to the count; replies the new count.
    Add(i64),
}

/// A cast to the counter.
#[derive(Serialize, Deserialize, Debug)]
pub enum Cast {
    /// Adds to the count.
    Add(i64),
    /// Sets the count to 0.
    Reset,
}

impl GenServer for Counter {
    type Arg = i64;
    type Call = Request;
    type Reply = i64;
    type Cast = Cast;
    type Continue = ();

    fn init(start: i64) -> Init<Self> {
        Init::ok(Counter { count: start })
    }

    fn handle_call(&mut self, request: Request, _from: ReplyTo) -> CallReply<i64, ()> {
        match request {
            Request::Get => CallReply::reply(self.count),
            Request::Add(n) => {
                self.count += n;
                CallReply::reply(self.count)
            }
        }
    }

    fn handle_cast(&mut self, cast: Cast) -> Next<()> {
        match cast {
            Cast::Add(n) => self.count += n,
            Cast::Reset => self.count = 0,
        }
        // An idle counter gives its instance back to the host until the
        // next message.
        Next::Hibernate
    }

    /// A message that is neither a call nor a cast is a bug in its sender:
    /// the counter lets it crash, and its supervisor restarts it.
    fn handle_info(&mut self, info: Info) -> Next<()> {
        match info {
            Info::Message(msg) => panic!("counter: unexpected message with tag {}", msg.tag),
            _ => Next::Idle,
        }
    }
}

/// The client: starts the counter, uses it, prints the count.
#[warren::main]
fn main() -> Result<(), String> {
    let counter = gen_server::start_link::<Counter>(&10, &StartOptions::new().name("counter"))
        .map_err(|e| format!("the counter did not start: {e}"))?;
    gen_server::cast::<Counter>("counter", &Cast::Add(5)).map_err(|e| e.to_string())?;
    let count = gen_server::call::<Counter>(counter, &Request::Add(1), Some(5_000)).map_err(|e| e.to_string())?;
    warren::println!("count: {count}");
    Ok(())
}

/// The counter as a supervised child (of a manifest's supervisor, say,
/// which starts it by this export): its spawn argument is the name it
/// registers (none if empty), and it counts from 0.
#[unsafe(no_mangle)]
pub extern "C" fn counter_server() {
    let name = String::from_utf8(warren::arg()).ok().filter(|name| !name.is_empty());
    gen_server::enter_loop::<Counter>(0, name.as_deref().map(Name::local));
}
