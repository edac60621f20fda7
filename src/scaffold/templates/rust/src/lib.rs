//! {{name}}: a Warren guest. `main` starts a greeter (a GenServer: a
//! process of this same module), calls it, prints its reply and returns;
//! the run ends with it, exit code 0.

use serde::{Deserialize, Serialize};
use warren::ReplyTo;
use warren::gen_server::{self, CallReply, GenServer, Init, StartOptions};

/// The greeter's state.
#[derive(Debug)]
pub struct Greeter {
    /// How many it has greeted (`warren state` shows it).
    greeted: u64,
}

/// What the greeter answers: a call's request (an Erlang term on the wire).
#[derive(Serialize, Deserialize, Debug)]
pub enum Request {
    /// Greets someone by name.
    Greet(String),
}

impl GenServer for Greeter {
    type Arg = ();
    type Call = Request;
    type Reply = String;
    type Cast = ();
    type Continue = ();

    fn init(_: ()) -> Init<Self> {
        Init::ok(Greeter { greeted: 0 })
    }

    fn handle_call(&mut self, request: Request, _from: ReplyTo) -> CallReply<String, ()> {
        match request {
            Request::Greet(name) => {
                self.greeted += 1;
                CallReply::reply(format!("Hello, {name}!"))
            }
        }
    }
}

/// The root process: `warren run` starts it.
#[warren::main]
fn main() -> Result<(), String> {
    let greeter = gen_server::start_link::<Greeter>(&(), &StartOptions::new().name("greeter"))
        .map_err(|e| format!("the greeter did not start: {e}"))?;
    let reply = gen_server::call::<Greeter>(greeter, &Request::Greet("world".into()), Some(5_000))
        .map_err(|e| format!("the greeter did not answer: {e}"))?;
    println!("{{name}}: the greeter replied \"{reply}\"");
    Ok(())
}
