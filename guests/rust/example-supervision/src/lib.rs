//! `example-supervision`: a supervision tree whose worker crashes on a bad
//! message and is restarted.
//!
//! The tree: a `one_for_one` supervisor with a key/value GenServer
//! (`stash`, registered) and an Agent counting hits (`hits`). The demo puts
//! a value in the stash, sends the stash a message it does not understand
//! (it panics), and shows that the supervisor restarted it (one restart,
//! a fresh state, the same name) while the agent kept its state.
//!
//! Run it with `warren run example_supervision.wasm`; a test gives it the
//! argument `(reporter, module)` as a term and gets each line as a message
//! (tag 1) instead of on stdout.

use serde::{Deserialize, Serialize};
use warren::agent::Agent;
use warren::gen_server::{self, CallReply, GenServer, Info, Init, Name, Next};
use warren::supervisor::{Strategy, SupFlags, Supervisor};
use warren::{Pid, ReplyTo};

/// The stash: keys and values.
#[derive(Debug, Default)]
pub struct Stash {
    entries: Vec<(String, String)>,
}

/// A call to the stash.
#[derive(Serialize, Deserialize, Debug)]
pub enum StashCall {
    /// The value of a key.
    Get(String),
    /// Sets a key.
    Put(String, String),
}

impl GenServer for Stash {
    type Arg = ();
    type Call = StashCall;
    type Reply = Option<String>;
    type Cast = ();
    type Continue = ();

    fn init(_: ()) -> Init<Self> {
        Init::ok(Stash::default())
    }

    fn handle_call(&mut self, call: StashCall, _: ReplyTo) -> CallReply<Option<String>, ()> {
        match call {
            StashCall::Get(key) => {
                CallReply::reply(self.entries.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone()))
            }
            StashCall::Put(key, value) => {
                self.entries.retain(|(k, _)| *k != key);
                self.entries.push((key, value));
                CallReply::reply(None)
            }
        }
    }

    /// A message that is not a call or a cast is a bug in its sender: the
    /// stash lets it crash, and its supervisor restarts it.
    fn handle_info(&mut self, info: Info) -> Next<()> {
        match info {
            Info::Message(msg) => panic!("stash: unexpected message with tag {}", msg.tag),
            _ => Next::Idle,
        }
    }
}

/// Where the lines go: the reporter of a test, or stdout.
fn say(reporter: Option<Pid>, line: &str) {
    match reporter {
        Some(reporter) => {
            let _ = reporter.send(1, line.as_bytes());
        }
        None => warren::println!("{line}"),
    }
}

#[warren::main]
fn main() -> Result<(), String> {
    let (reporter, module) = match warren::term::from_slice::<(Pid, String)>(&warren::arg()) {
        Ok((reporter, module)) => (Some(reporter), module),
        Err(_) => (None, String::from("example_supervision")),
    };
    let children = [
        gen_server::child_spec::<Stash>("stash", &module, &(), Some(Name::local("stash")))
            .map_err(|e| e.to_string())?,
        Agent::<u64>::child_spec("hits", &module, || 0, Some(Name::local("hits"))).map_err(|e| e.to_string())?,
    ];
    let flags = SupFlags::new(Strategy::OneForOne).intensity(3).period_ms(5_000);
    let sup = Supervisor::start_link(&flags, &children).map_err(|e| e.to_string())?;

    let hits = Agent::<u64>::from_ref("hits");
    gen_server::call::<Stash>("stash", &StashCall::Put("greeting".into(), "hello".into()), Some(5_000))
        .map_err(|e| e.to_string())?;
    hits.update(|n| *n += 1, Some(5_000)).map_err(|e| e.to_string())?;
    let greeting = gen_server::call::<Stash>("stash", &StashCall::Get("greeting".into()), Some(5_000));
    say(reporter, &format!("before the crash: greeting = {greeting:?}"));

    // The bad message, and the stash's death.
    let stash = warren::whereis("stash").ok_or("no stash")?;
    let watch = stash.monitor().map_err(|e| e.to_string())?;
    stash.send(7, b"not a call").map_err(|e| e.to_string())?;
    let down = loop {
        let msg = warren::receive_matching(&[warren::sys::TAG_DOWN], None);
        if let Some(down) = msg.and_then(|m| m.as_down()).filter(|d| d.monitor == watch) {
            break down;
        }
    };
    say(reporter, &format!("the stash crashed: {:?}", String::from_utf8_lossy(down.reason.detail())));

    // The supervisor has restarted it by the time it answers.
    for child in sup.which_children().map_err(|e| e.to_string())? {
        say(reporter, &format!("child {} restarted {} time(s)", child.id, child.restarts));
    }
    let again = gen_server::call::<Stash>("stash", &StashCall::Get("greeting".into()), Some(5_000));
    say(reporter, &format!("after the restart: greeting = {again:?}"));
    say(reporter, &format!("hits kept: {:?}", hits.get(|n| *n, Some(5_000))));
    sup.stop();
    Ok(())
}
