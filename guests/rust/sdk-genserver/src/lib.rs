//! `sdk-genserver`: the Rust SDK's GenServer, processes from functions,
//! panics as exit reasons and intervals, driven by `tests/all/genserver.rs`.
//!
//! * [`Probe`]: a GenServer whose calls exercise every kind of answer
//!   (reply, deferred reply, no reply, stop with and without a reply, a
//!   panic, continue, idle timeout, hibernate). It reports `terminate`, idle
//!   timeouts and the messages `handle_info` sees to its reporter, tag
//!   [`TAG_SERVER`], as text.
//! * `drive` (entry, `#[warren::main]`): argument `(reporter, scenario)`
//!   as a term. Runs the scenario as a client and reports each
//!   outcome to the reporter, tag [`TAG_DRIVER`], as text (see
//!   [`scenario`]); a pid the test needs goes with tag [`TAG_PID`] (8 bytes
//!   LE).
//! * `child_spec` (entry): argument `(reporter, module)`; sends the child
//!   record of a Probe (registered as `supervised-probe`, trapping exits),
//!   tag [`TAG_PID`], then that of a Probe whose init ignores its start
//!   (id `ignoring`).
//! * `plain` (entry): a blocking process that never answers anything.

use serde::{Deserialize, Serialize};
use warren::gen_server::{self, CallReply, GenCallError, GenServer, Info, Init, Name, Next, StartOptions};
use warren::{ExitReason, Pid, Reason, ReplyTo};

/// Tag of a driver's reports.
pub const TAG_DRIVER: i64 = 1;
/// Tag of a pid or bytes the test needs.
pub const TAG_PID: i64 = 2;
/// Tag of a server's reports (terminate, idle timeout, infos).
pub const TAG_SERVER: i64 = 3;
/// Tag the test sends a driver to let it go on.
pub const TAG_GO: i64 = 5;
/// Tag of an interval's ticks.
pub const TAG_TICK: i64 = 9;

/// How `Probe::init` goes.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub enum Start {
    /// Starts.
    Ok,
    /// Starts, then runs `handle_continue` before any message.
    Continue,
    /// `Init::Ignore`.
    Ignore,
    /// `Init::Stop` with this reason.
    Fail(String),
    /// Panics with this message.
    Panic(String),
}

/// The argument of `Probe::init`.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Config {
    /// Where the server reports.
    pub reporter: Pid,
    /// How init goes.
    pub start: Start,
    /// Trap exits (so `terminate` runs on the parent's shutdown).
    pub trap_exit: bool,
}

/// A call to the probe.
#[derive(Serialize, Deserialize, Debug)]
pub enum Request {
    /// The count.
    Get,
    /// Adds to the count; the new count.
    Add(i64),
    /// The casts seen, in order.
    Casts,
    /// The events seen (continues), in order.
    Events,
    /// Reply later, on `Release`.
    Defer,
    /// How many calls wait for `Release`.
    Waiting,
    /// Answers every deferred call with this; replies how many there were.
    Release(i64),
    /// Never answered (until a `ReleaseSlow` cast, too late).
    Slow,
    /// Replies with the count, then stops with this reason.
    StopWith(String),
    /// Stops with this reason without replying.
    Die(String),
    /// Panics with this message.
    Panic(String),
    /// Replies, then continues (`handle_continue` runs before any message).
    Continue,
    /// Replies, then waits at most this long (idle timeout).
    IdleTimeout(u64),
    /// Replies, then hibernates.
    Hibernate,
}

/// A cast to the probe.
#[derive(Serialize, Deserialize, Debug)]
pub enum Cast {
    /// Records the number.
    Push(i64),
    /// Answers the `Slow` calls (after their callers gave up).
    ReleaseSlow,
}

/// The probe's state.
#[derive(Debug)]
pub struct Probe {
    count: i64,
    casts: Vec<i64>,
    events: Vec<String>,
    deferred: Vec<ReplyTo>,
    slow: Vec<ReplyTo>,
    reporter: Pid,
}

impl Probe {
    fn report(&self, text: &str) {
        let _ = self.reporter.send(TAG_SERVER, text.as_bytes());
    }
}

impl GenServer for Probe {
    type Arg = Config;
    type Call = Request;
    type Reply = i64;
    type Cast = Cast;
    type Continue = String;

    fn init(config: Config) -> Init<Self> {
        if config.trap_exit {
            warren::trap_exit(true);
        }
        let probe = Probe {
            count: 0,
            casts: Vec::new(),
            events: Vec::new(),
            deferred: Vec::new(),
            slow: Vec::new(),
            reporter: config.reporter,
        };
        match config.start {
            Start::Ok => Init::ok(probe),
            Start::Continue => Init::Ok(probe, Next::Continue("init-continue".into())),
            Start::Ignore => Init::Ignore,
            Start::Fail(reason) => Init::Stop(Reason::Custom(reason.into_bytes())),
            Start::Panic(message) => panic!("{message}"),
        }
    }

    fn handle_call(&mut self, request: Request, from: ReplyTo) -> CallReply<i64, String> {
        match request {
            Request::Get => CallReply::reply(self.count),
            Request::Add(n) => {
                self.count += n;
                CallReply::reply(self.count)
            }
            Request::Casts => CallReply::reply(self.casts.iter().fold(0, |acc, n| acc * 1000 + n)),
            Request::Events => CallReply::reply(self.events.len() as i64),
            Request::Defer => {
                self.deferred.push(from);
                CallReply::noreply()
            }
            Request::Waiting => CallReply::reply(self.deferred.len() as i64),
            Request::Release(value) => {
                let released = self.deferred.len() as i64;
                for waiting in self.deferred.drain(..) {
                    let _ = waiting.reply_term(&value);
                }
                CallReply::reply(released)
            }
            Request::Slow => {
                self.slow.push(from);
                CallReply::noreply()
            }
            Request::StopWith(reason) => CallReply::Reply(self.count, Next::Stop(Reason::Custom(reason.into_bytes()))),
            Request::Die(reason) => CallReply::NoReply(Next::Stop(Reason::Custom(reason.into_bytes()))),
            Request::Panic(message) => panic!("{message}"),
            Request::Continue => CallReply::Reply(self.count, Next::Continue("continued".into())),
            Request::IdleTimeout(ms) => CallReply::Reply(self.count, Next::Timeout(ms)),
            Request::Hibernate => CallReply::Reply(self.count, Next::Hibernate),
        }
    }

    fn handle_cast(&mut self, cast: Cast) -> Next<String> {
        match cast {
            Cast::Push(n) => self.casts.push(n),
            Cast::ReleaseSlow => {
                for waiting in self.slow.drain(..) {
                    let _ = waiting.reply_term(&-1i64);
                }
            }
        }
        Next::Idle
    }

    fn handle_info(&mut self, info: Info) -> Next<String> {
        match info {
            Info::Timeout => self.report("idle timeout"),
            Info::Exit(exit) => self.report(&format!("info exit {}", show_reason(&exit.reason))),
            Info::Down(down) => self.report(&format!("info down {}", show_reason(&down.reason))),
            Info::Message(msg) => self.report(&format!("info message tag {}", msg.tag)),
        }
        Next::Idle
    }

    fn handle_continue(&mut self, event: String) -> Next<String> {
        self.report(&format!("continue {event} after {} events", self.events.len()));
        self.events.push(event);
        Next::Idle
    }

    fn terminate(&mut self, reason: &ExitReason) {
        self.report(&format!("terminate {} count {}", show_reason(reason), self.count));
    }
}

/// A server whose requests are text: calling a [`Probe`] with it is a bad
/// request.
#[derive(Debug)]
pub struct Wrong;

impl GenServer for Wrong {
    type Arg = ();
    type Call = String;
    type Reply = String;
    type Cast = ();
    type Continue = ();

    fn init(_: ()) -> Init<Self> {
        Init::ok(Wrong)
    }

    fn handle_call(&mut self, text: String, _: ReplyTo) -> CallReply<String, ()> {
        CallReply::reply(text)
    }
}

/// A reason as short text: `normal`, `shutdown:DETAIL`, `custom:DETAIL`,
/// `killed`, `noproc`, `trap:...`.
pub fn show_reason(reason: &ExitReason) -> String {
    match reason {
        ExitReason::Normal => "normal".into(),
        ExitReason::Shutdown(detail) => format!("shutdown:{}", String::from_utf8_lossy(detail)),
        ExitReason::Custom(detail) => format!("custom:{}", String::from_utf8_lossy(detail)),
        ExitReason::Killed => "killed".into(),
        ExitReason::Noproc => "noproc".into(),
        other => format!("{other:?}"),
    }
}

/// A call's outcome as short text: `ok N`, `timeout`, `noproc`,
/// `exited REASON`, `bad request`, or the error's `Debug`.
fn show<T: std::fmt::Debug>(result: Result<T, GenCallError>) -> String {
    match result {
        Ok(value) => format!("ok {value:?}"),
        Err(GenCallError::Call(warren::CallError::Timeout)) => "timeout".into(),
        Err(GenCallError::Call(warren::CallError::NoProc)) => "noproc".into(),
        Err(GenCallError::Call(warren::CallError::Exited(reason))) => format!("exited {}", show_reason(&reason)),
        Err(GenCallError::BadRequest(_)) => "bad request".into(),
        Err(other) => format!("{other:?}"),
    }
}

/// A start's outcome as short text.
fn show_start(result: Result<Pid, gen_server::StartError>) -> String {
    match result {
        Ok(_) => "started".into(),
        Err(gen_server::StartError::Failed(reason)) => format!("failed {}", show_reason(&reason)),
        Err(other) => format!("{other:?}"),
    }
}

fn config(reporter: Pid, start: Start) -> Config {
    Config { reporter, start, trap_exit: false }
}

/// Starts a probe (not linked), or ends the driver saying why.
fn probe(reporter: Pid, start: Start, options: &StartOptions) -> Pid {
    match gen_server::start::<Probe>(&config(reporter, start), options) {
        Ok(pid) => pid,
        Err(error) => warren::exit(Reason::Custom(format!("the probe did not start: {error}").into_bytes())),
    }
}

/// The next exit signal or DOWN (the driver traps exits), as text.
fn next_signal() -> String {
    let msg = warren::receive_matching(&[warren::sys::TAG_EXIT, warren::sys::TAG_DOWN], None);
    match msg.as_ref().and_then(|m| m.as_system()) {
        Some(warren::SystemMessage::Exit(exit)) => format!("exit {}", show_reason(&exit.reason)),
        Some(warren::SystemMessage::Down(down)) => format!("down {}", show_reason(&down.reason)),
        None => "no signal".into(),
    }
}

/// A spawned function: reports `job NAME ROUNDS` and ends normally, or
/// with `Err` for 0 rounds.
fn worker((reporter, name, rounds): (Pid, String, u32)) -> Result<(), String> {
    let _ = reporter.send(TAG_SERVER, format!("job {name} {rounds}").as_bytes());
    if rounds == 0 { Err(format!("{name}: nothing to do")) } else { Ok(()) }
}

/// A spawned function that panics with its argument.
fn panicker(message: String) {
    panic!("{message}");
}

/// A spawned function: a client that makes a deferred call and reports its
/// outcome.
fn deferred_client((reporter, server): (Pid, Pid)) {
    let outcome = show(gen_server::call::<Probe>(server, &Request::Defer, None));
    let _ = reporter.send(TAG_SERVER, format!("deferred {outcome}").as_bytes());
}

/// A spawned function: makes an interval to `target`, tells it the
/// interval's helper, and ends.
fn interval_owner(target: Pid) {
    if let Ok(ticks) = warren::send_interval(target, TAG_TICK, b"tick", 10) {
        let _ = target.send(TAG_PID, &ticks.pid().to_le_bytes());
    }
}

/// Runs scenario `name`; `say` reports one outcome to the reporter.
fn scenario(reporter: Pid, name: &str) {
    let say = |text: String| {
        let _ = reporter.send(TAG_DRIVER, text.as_bytes());
    };
    warren::trap_exit(true);
    match name {
        "call" => {
            let server = probe(reporter, Start::Ok, &StartOptions::new());
            say(show(gen_server::call::<Probe>(server, &Request::Add(2), Some(5_000))));
            say(show(gen_server::call::<Probe>(server, &Request::Add(3), Some(5_000))));
            say(show(gen_server::call::<Probe>(server, &Request::Get, None)));
            say(show(gen_server::call::<Wrong>(server, &"hello".to_string(), Some(5_000))));
            say(show(gen_server::call::<Probe>(server, &Request::Get, None)));
            let watch = warren::monitor(server);
            say(show(gen_server::call::<Probe>(server, &Request::StopWith("done".into()), Some(5_000))));
            if watch.is_ok() {
                say(next_signal());
            }
        }
        "timeout" => {
            let server = probe(reporter, Start::Ok, &StartOptions::new());
            say(show(gen_server::call::<Probe>(server, &Request::Slow, Some(50))));
            // The server answers the slow call now, too late; the call
            // after it proves the late reply was made before it.
            let _ = gen_server::cast::<Probe>(server, &Cast::ReleaseSlow);
            say(show(gen_server::call::<Probe>(server, &Request::Get, None)));
            say(format!("mailbox {:?}", warren::poll().map(|m| m.tag)));
        }
        "noproc" => {
            if let Ok((gone, _)) = warren::spawn_fn_monitor(worker, &(reporter, "short".to_string(), 1)) {
                say(next_signal());
                say(show(gen_server::call::<Probe>(gone, &Request::Get, Some(5_000))));
            }
            say(show(gen_server::call::<Probe>("nobody-holds-this", &Request::Get, Some(5_000))));
            let _ = warren::Registry::new("noproc-registry", true);
            say(show(gen_server::call::<Probe>(Name::via("noproc-registry", *b"k"), &Request::Get, Some(5_000))));
            let server = probe(reporter, Start::Ok, &StartOptions::new());
            say(show(gen_server::call::<Probe>(server, &Request::Die("boom".into()), Some(5_000))));
            let server = probe(reporter, Start::Ok, &StartOptions::new());
            say(show(gen_server::call::<Probe>(server, &Request::Panic("probe: panic requested".into()), None)));
            say(format!("cast to a dead server {:?}", gen_server::cast::<Probe>(server, &Cast::Push(1))));
            say(format!("cast to nobody {:?}", gen_server::cast::<Probe>("nobody-holds-this", &Cast::Push(1))));
        }
        "defer" => {
            let server = probe(reporter, Start::Ok, &StartOptions::new());
            for _ in 0..2 {
                let _ = warren::spawn_fn(deferred_client, &(reporter, server));
            }
            // Both clients wait in their calls once the server holds both.
            while gen_server::call::<Probe>(server, &Request::Waiting, None) != Ok(2) {
                warren::yield_now();
            }
            say(show(gen_server::call::<Probe>(server, &Request::Release(7), None)));
        }
        "cast_order" => {
            let server = probe(reporter, Start::Ok, &StartOptions::new());
            for n in 1..=5 {
                let _ = gen_server::cast::<Probe>(server, &Cast::Push(n));
            }
            say(show(gen_server::call::<Probe>(server, &Request::Casts, None)));
        }
        "continue" => {
            let server = probe(reporter, Start::Continue, &StartOptions::new());
            say(show(gen_server::call::<Probe>(server, &Request::Events, None)));
            say(show(gen_server::call::<Probe>(server, &Request::Continue, None)));
            say(show(gen_server::call::<Probe>(server, &Request::Events, None)));
        }
        "idle_timeout" => {
            let server = probe(reporter, Start::Ok, &StartOptions::new());
            say(show(gen_server::call::<Probe>(server, &Request::IdleTimeout(20), None)));
        }
        "terminate_on_stop" => {
            let options = StartOptions::new();
            let trapping = Config { reporter, start: Start::Ok, trap_exit: true };
            match gen_server::start_link::<Probe>(&trapping, &options) {
                Ok(server) => {
                    say(show(gen_server::call::<Probe>(server, &Request::Add(4), None)));
                    say(show(gen_server::call::<Probe>(server, &Request::StopWith("done".into()), None)));
                    say(next_signal());
                }
                Err(error) => say(format!("{error:?}")),
            }
        }
        "terminate_on_parent_exit" => {
            // The driver is the parent; its exit signal (trapped by the
            // server) runs terminate.
            let trapping = Config { reporter, start: Start::Ok, trap_exit: true };
            if let Ok(server) = gen_server::start_link::<Probe>(&trapping, &StartOptions::new()) {
                let _ = reporter.send(TAG_PID, &server.to_le_bytes());
                warren::exit(Reason::Shutdown(b"parent done".to_vec()));
            }
        }
        "init" => {
            warren::trap_exit(false);
            let options = StartOptions::new();
            say(show_start(gen_server::start_link::<Probe>(
                &config(reporter, Start::Fail("bad config".into())),
                &options,
            )));
            say(show_start(gen_server::start_link::<Probe>(&config(reporter, Start::Ignore), &options)));
            say(show_start(gen_server::start::<Probe>(
                &config(reporter, Start::Panic("init panicked".into())),
                &options,
            )));
            let monitored =
                gen_server::start_monitor::<Probe>(&config(reporter, Start::Fail("again".into())), &options);
            say(show_start(monitored.map(|(pid, _)| pid)));
            say(format!("mailbox {:?}", warren::poll().map(|m| m.tag)));
            say(show_start(gen_server::start_link::<Probe>(&config(reporter, Start::Ok), &options)));
        }
        "named" => {
            let options = StartOptions::new().name("probe");
            let first = gen_server::start_link::<Probe>(&config(reporter, Start::Ok), &options);
            say(show(gen_server::call::<Probe>("probe", &Request::Add(1), None)));
            let again = gen_server::start_link::<Probe>(&config(reporter, Start::Ok), &options);
            say(format!(
                "again: already started by the first {}",
                matches!((first, again), (Ok(a), Err(gen_server::StartError::AlreadyStarted(b))) if a == b)
            ));
            let _ = warren::Registry::new("probes", true);
            let via = StartOptions::new().via("probes", *b"p1");
            let first = gen_server::start_link::<Probe>(&config(reporter, Start::Ok), &via);
            let _ = gen_server::cast::<Probe>(Name::via("probes", *b"p1"), &Cast::Push(7));
            say(show(gen_server::call::<Probe>(Name::via("probes", *b"p1"), &Request::Casts, None)));
            let again = gen_server::start_link::<Probe>(&config(reporter, Start::Ok), &via);
            say(format!(
                "via again: already started by the first {}",
                matches!((first, again), (Ok(a), Err(gen_server::StartError::AlreadyStarted(b))) if a == b)
            ));
        }
        "hibernate" => {
            let server = probe(reporter, Start::Ok, &StartOptions::new());
            say(show(gen_server::call::<Probe>(server, &Request::Add(4), None)));
            say(show(gen_server::call::<Probe>(server, &Request::Hibernate, None)));
            let _ = reporter.send(TAG_PID, &server.to_le_bytes());
            warren::receive_matching(&[TAG_GO], None);
            say(show(gen_server::call::<Probe>(server, &Request::Add(1), None)));
        }
        "system" => {
            let server = probe(reporter, Start::Ok, &StartOptions::new().name("system-probe"));
            let _ = gen_server::call::<Probe>(server, &Request::Add(3), None);
            say(format!("{:?}", warren::system::get_state(server, Some(5_000))));
            match warren::system::get_status(server, Some(5_000)) {
                Ok(status) => say(status.to_string()),
                Err(error) => say(format!("{error:?}")),
            }
            let request = warren::term::Term::atom("suspend");
            match warren::system::system_call(server, &request, Some(5_000)) {
                Ok(answer) => say(answer.to_string()),
                Err(error) => say(format!("{error:?}")),
            }
            if let Ok(plain) = warren::spawn("plain", b"") {
                say(format!("plain {:?}", warren::system::get_state(plain, Some(50))));
                let _ = plain.exit(warren::Signal::Kill);
            }
            let _ = reporter.send(TAG_PID, &server.to_le_bytes());
        }
        "spawn_fn" => {
            match warren::spawn_fn_link(worker, &(reporter, "resize".to_string(), 3)) {
                Ok(_) => say(next_signal()),
                Err(error) => say(format!("{error:?}")),
            }
            match warren::spawn_fn_monitor(worker, &(reporter, "crop".to_string(), 0)) {
                Ok(_) => say(next_signal()),
                Err(error) => say(format!("{error:?}")),
            }
            match warren::spawn_fn_monitor(panicker, &"worker panicked: 42".to_string()) {
                Ok(_) => say(next_signal()),
                Err(error) => say(format!("{error:?}")),
            }
            let options = warren::SpawnOptions::new().deny_spawn();
            match warren::spawn_fn_opts(worker, &(reporter, "limited".to_string(), 1), &options, false, true) {
                Ok((_, Some(_))) => say(next_signal()),
                other => say(format!("{other:?}")),
            }
        }
        "interval" => {
            let me = warren::self_pid();
            match warren::send_interval(me, TAG_TICK, b"tick", 10) {
                Ok(ticks) => {
                    let from_helper = (0..3).all(|_| {
                        warren::receive_matching(&[TAG_TICK], None)
                            .is_some_and(|m| m.sender == ticks.pid() && m.data == b"tick")
                    });
                    say(format!("3 ticks from the helper {from_helper}"));
                    let watch = warren::monitor(ticks.pid());
                    say(format!("cancel {}", ticks.cancel()));
                    if watch.is_ok() {
                        say(next_signal());
                    }
                    say(format!("cancel again {}", ticks.cancel()));
                }
                Err(error) => say(format!("{error:?}")),
            }
            // An interval ends with the process that made it.
            if let Ok((owner, _)) = warren::spawn_fn_monitor(interval_owner, &me) {
                let helper = warren::receive_matching(&[TAG_PID], None).and_then(|m| Pid::from_le_slice(&m.data));
                say(next_signal());
                if let Some(helper) = helper
                    && helper != owner
                    && warren::monitor(helper).is_ok()
                {
                    // `down normal`, or `down noproc` if it ended before
                    // the monitor: either way, it ended.
                    say(format!("helper ended {}", next_signal().starts_with("down")));
                }
            }
            say(format!("bad interval {:?}", warren::send_interval(me, TAG_TICK, b"", 0).map(|t| t.pid())));
        }
        other => say(format!("unknown scenario {other}")),
    }
}

/// The driver's entry: `(reporter, scenario)`.
#[warren::main]
fn drive((reporter, name): (Pid, String)) {
    scenario(reporter, &name);
    let _ = reporter.send(TAG_DRIVER, b"end");
}

/// Sends the reporter the child record of a probe that a host supervisor
/// starts: `(reporter, module)`.
#[warren::main]
fn child_spec((reporter, module): (Pid, String)) -> Result<(), String> {
    let config = Config { reporter, start: Start::Ok, trap_exit: true };
    let spec = gen_server::child_spec::<Probe>("probe", &module, &config, Some(Name::local("supervised-probe")))
        .map_err(|e| e.to_string())?;
    reporter.send(TAG_PID, &spec.to_bytes()).map_err(|e| e.to_string())?;
    let ignoring = Config { reporter, start: Start::Ignore, trap_exit: true };
    let spec = gen_server::child_spec::<Probe>("ignoring", &module, &ignoring, None).map_err(|e| e.to_string())?;
    reporter.send(TAG_PID, &spec.to_bytes()).map_err(|e| e.to_string())
}

/// A blocking process that takes no message (it answers no system
/// request).
#[warren::main]
fn plain() {
    warren::receive_matching(&[TAG_GO], None);
}
