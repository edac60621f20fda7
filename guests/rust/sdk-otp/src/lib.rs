//! `sdk-otp`: the Rust SDK's Supervisor, DynamicSupervisor, Task,
//! Task.Supervisor, Agent and StateMachine, driven by `tests/all/otp.rs`
//! (and `benches/tasks.rs`).
//!
//! * `drive` (entry, `#[warren::main]`): argument `(reporter, module,
//!   scenario)` as a term, `module` the name this module is loaded under
//!   (child specs need it). Runs the scenario and reports each outcome to
//!   the reporter as text, tag [`TAG_DRIVER`], then `end`.
//! * `stream_sum` (entry): argument `(reporter, items, max_concurrency)`;
//!   runs `Task.async_stream` of [`double`] over `0..items` and sends the
//!   sum of the results (8 bytes LE), tag [`TAG_DRIVER`]. The benchmark.

use serde::{Deserialize, Serialize};
use std::fmt::Debug;
use warren::agent::Agent;
use warren::gen_server::{self, CallReply, GenCallError, GenServer, Info, Init, Name, StartOptions};
use warren::state_machine::{self, Action, Event, InitResult, StateMachine, Transition};
use warren::supervisor::{
    AutoShutdown, ChildType, DynamicOptions, DynamicSupervisor, DynamicTemplate, Strategy, SupFlags, Supervisor,
};
use warren::table::{Access, Kind, RawTable};
use warren::task::{self, OnTimeout, StreamOptions, Task, TaskError, TaskSupervisor};
use warren::{ChildSpec, ExitReason, Pid, Reason, ReplyTo, Restart, Shutdown};

/// Tag of a driver's reports.
pub const TAG_DRIVER: i64 = 1;
/// Tag of what functions and servers report by themselves.
pub const TAG_SIDE: i64 = 3;

/// A reason as short text.
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

/// A task's outcome as short text.
fn show_task<T: Debug>(outcome: Result<T, TaskError>) -> String {
    match outcome {
        Ok(value) => format!("ok {value:?}"),
        Err(TaskError::Exited(reason)) => format!("exited {}", show_reason(&reason)),
        Err(other) => format!("{other:?}"),
    }
}

/// A call's outcome as short text.
fn show_call<T: Debug>(outcome: Result<T, GenCallError>) -> String {
    match outcome {
        Ok(value) => format!("ok {value:?}"),
        Err(GenCallError::BadRequest(why)) => format!("bad request: {why}"),
        Err(other) => format!("{other:?}"),
    }
}

/// Ends the driver, saying why.
fn fail(what: &str, error: impl std::fmt::Display) -> ! {
    warren::exit(Reason::Custom(format!("{what}: {error}").into_bytes()))
}

/// Whether `pid` is alive (a monitor taken and dropped at once).
fn alive(pid: Pid) -> bool {
    pid.monitor().is_ok_and(|watch| warren::demonitor(watch, true))
}

/// Whether the mailbox is empty (nothing left behind).
fn mailbox() -> String {
    match warren::poll() {
        None => "mailbox empty".into(),
        Some(msg) => format!("mailbox has tag {}", msg.tag),
    }
}

// ---------------------------------------------------------------- workers

/// A supervised worker: registers as `name`, then waits for ever.
fn member(name: String) {
    if let Err(error) = warren::register(&name, warren::self_pid()) {
        fail("register", error);
    }
    loop {
        warren::receive();
    }
}

/// A function child that returns at once (a dynamic supervisor's job).
fn job(n: u32) {
    warren::receive_matching(&[99], Some(u64::from(n)));
}

/// A worker GenServer that crashes on a message it does not understand.
#[derive(Debug)]
pub struct Kv {
    entries: Vec<(String, i64)>,
}

/// A call to [`Kv`].
#[derive(Serialize, Deserialize, Debug)]
pub enum KvCall {
    /// The value of a key.
    Get(String),
    /// Sets a key; replies the old value.
    Put(String, i64),
}

impl GenServer for Kv {
    type Arg = ();
    type Call = KvCall;
    type Reply = Option<i64>;
    type Cast = ();
    type Continue = ();

    fn init(_: ()) -> Init<Self> {
        Init::ok(Kv { entries: Vec::new() })
    }

    fn handle_call(&mut self, call: KvCall, _: ReplyTo) -> CallReply<Option<i64>, ()> {
        match call {
            KvCall::Get(key) => CallReply::reply(self.entries.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)),
            KvCall::Put(key, value) => {
                let old = self.entries.iter().position(|(k, _)| *k == key).map(|i| self.entries.remove(i).1);
                self.entries.push((key, value));
                CallReply::reply(old)
            }
        }
    }

    fn handle_info(&mut self, info: Info) -> gen_server::Next<()> {
        match info {
            Info::Message(msg) => panic!("kv: a message it does not understand (tag {})", msg.tag),
            _ => gen_server::Next::Idle,
        }
    }
}

// ---------------------------------------------------------------- tasks

/// A task: `n * 2`.
pub fn double(n: u64) -> u64 {
    n * 2
}

/// A task: sleeps `ms`, then returns it.
fn nap(ms: u64) -> u64 {
    warren::sleep(ms);
    ms
}

/// A task that panics.
fn explode(message: String) -> u64 {
    panic!("{message}");
}

/// A task: tells `to` it ran (tag [`TAG_SIDE`]).
fn hello(to: Pid) {
    let _ = to.send(TAG_SIDE, b"hello from a supervised task");
}

/// A stream's task: counts itself in while it runs (table `table`, key
/// `running`), sleeps, counts itself out; returns `(2 * n, running
/// count seen when it came in)`.
fn counted((table, n, ms): (i64, u64, u64)) -> (u64, i64) {
    let Ok(table) = RawTable::open(table) else { return (u64::MAX, -1) };
    let running = table.update_counter(b"running", 1, Some(0)).unwrap_or(-1);
    warren::sleep(ms);
    let _ = table.update_counter(b"running", -1, Some(0));
    (n * 2, running)
}

// ---------------------------------------------------------------- state machine

/// The lock's states.
#[derive(Clone, Debug, PartialEq)]
pub enum LockState {
    /// Locked.
    Locked,
    /// Open, until its state timeout.
    Open,
}

/// The lock's data.
#[derive(Debug)]
pub struct LockData {
    code: String,
    entered: String,
    open_ms: u64,
    log: Vec<String>,
}

/// A call to the lock.
#[derive(Serialize, Deserialize, Debug)]
pub enum LockCall {
    /// Its state's name.
    State,
    /// Its log.
    Log,
    /// Use it: postponed while locked.
    Use,
    /// Stop.
    Stop,
}

/// A cast to the lock.
#[derive(Serialize, Deserialize, Debug)]
pub enum LockCast {
    /// A digit of the code.
    Digit(char),
    /// Sets an event timeout of 150 ms.
    Ping,
    /// Sets generic timeout NAME after MS.
    Tick(String, u64),
    /// Cancels generic timeout NAME.
    CancelTick(String),
}

/// An event inserted by the lock itself.
#[derive(Debug)]
pub enum LockInternal {
    /// The code entered is complete: check it.
    Check,
}

/// A door lock that exercises every gen_statem feature.
pub struct Lock;

impl StateMachine for Lock {
    type State = LockState;
    type Data = LockData;
    type Arg = (String, u64);
    type Call = LockCall;
    type Reply = Vec<String>;
    type Cast = LockCast;
    type Timeout = ();
    type Internal = LockInternal;
    const STATE_ENTER: bool = true;

    fn init((code, open_ms): (String, u64)) -> InitResult<Self> {
        InitResult::Ok(LockState::Locked, LockData { code, entered: String::new(), open_ms, log: Vec::new() }, vec![])
    }

    fn handle_event(event: &Event<Self>, state: &LockState, data: &mut LockData) -> Transition<Self> {
        match (event, state) {
            (Event::Enter(old), _) => {
                data.log.push(format!("enter {state:?} from {old:?}"));
                match state {
                    LockState::Open => Transition::keep().with(Action::StateTimeout(data.open_ms, ())),
                    LockState::Locked => Transition::keep(),
                }
            }
            (Event::Call(LockCall::State, from), _) => {
                Transition::keep().with(Action::Reply(*from, vec![format!("{state:?}")]))
            }
            (Event::Call(LockCall::Log, from), _) => Transition::keep().with(Action::Reply(*from, data.log.clone())),
            (Event::Call(LockCall::Use, _), LockState::Locked) => {
                data.log.push("postpone use".into());
                Transition::keep().with(Action::Postpone)
            }
            (Event::Call(LockCall::Use, from), LockState::Open) => {
                data.log.push("use".into());
                Transition::keep().with(Action::Reply(*from, vec!["used in Open".into()]))
            }
            (Event::Call(LockCall::Stop, from), _) => {
                Transition::stop(Reason::Normal).with(Action::Reply(*from, vec!["stopping".into()]))
            }
            (Event::Cast(LockCast::Digit(d)), LockState::Locked) => {
                data.entered.push(*d);
                data.log.push(format!("digit {d}"));
                if data.entered.len() == data.code.len() {
                    Transition::keep().with(Action::NextEvent(Event::Internal(LockInternal::Check)))
                } else {
                    Transition::keep()
                }
            }
            (Event::Cast(LockCast::Digit(d)), LockState::Open) => {
                data.log.push(format!("digit {d} ignored"));
                Transition::keep()
            }
            (Event::Internal(LockInternal::Check), _) => {
                let right = data.entered == data.code;
                data.entered.clear();
                data.log.push(format!("check {}", if right { "ok" } else { "bad" }));
                if right { Transition::next(LockState::Open) } else { Transition::keep() }
            }
            (Event::Cast(LockCast::Ping), _) => {
                data.log.push("ping".into());
                Transition::keep().with(Action::EventTimeout(150, ()))
            }
            (Event::EventTimeout(()), _) => {
                data.log.push("event timeout".into());
                Transition::keep()
            }
            (Event::StateTimeout(()), _) => {
                data.log.push(format!("state timeout in {state:?}"));
                Transition::next(LockState::Locked)
            }
            (Event::Cast(LockCast::Tick(name, ms)), _) => {
                data.log.push(format!("set {name}"));
                Transition::keep().with(Action::Timeout(name.clone(), *ms, ()))
            }
            (Event::Cast(LockCast::CancelTick(name)), _) => {
                data.log.push(format!("cancel {name}"));
                Transition::keep().with(Action::CancelTimeout(name.clone()))
            }
            (Event::Timeout(name, ()), _) => {
                data.log.push(format!("timeout {name}"));
                Transition::keep()
            }
            (Event::Info(_), _) => {
                data.log.push("info".into());
                Transition::keep()
            }
        }
    }

    fn terminate(reason: &ExitReason, state: &LockState, data: &mut LockData) {
        let _ = data;
        if let Some(reporter) = warren::whereis("otp-reporter") {
            let _ = reporter.send(TAG_SIDE, format!("terminate {} in {state:?}", show_reason(reason)).as_bytes());
        }
    }
}

/// A client that calls the lock's `Use` (postponed until it opens) and
/// reports the answer.
fn lock_user((reporter, lock): (Pid, Pid)) {
    let answer = show_call(state_machine::call::<Lock>(lock, &LockCall::Use, Some(5_000)));
    let _ = reporter.send(TAG_SIDE, format!("user got {answer}").as_bytes());
}

// ---------------------------------------------------------------- scenarios

/// The children of a supervisor as `id:restarts:running`.
fn show_children(sup: &Supervisor) -> String {
    match sup.which_children() {
        Ok(children) => children
            .iter()
            .map(|c| format!("{}:{}:{}", c.id, c.restarts, if c.pid.is_some() { "up" } else { "down" }))
            .collect::<Vec<_>>()
            .join(" "),
        Err(error) => format!("{error:?}"),
    }
}

/// Crashes the process registered as `name` and waits for its DOWN (so
/// the supervisor has its EXIT before the driver's next request).
fn crash(name: &str) -> Pid {
    let Some(pid) = warren::whereis(name) else { fail("crash", format!("{name} is not registered")) };
    let Ok(watch) = pid.monitor() else { fail("crash", "monitor") };
    let _ = pid.exit(warren::Signal::Custom(b"boom".to_vec()));
    loop {
        let Some(msg) = warren::receive_matching(&[warren::sys::TAG_DOWN], None) else { continue };
        if msg.as_down().is_some_and(|down| down.monitor == watch) {
            return pid;
        }
    }
}

/// Starts a supervisor of three `member`s named `PREFIX-a/b/c`.
fn three(module: &str, prefix: &str, strategy: Strategy, intensity: u32) -> Supervisor {
    let children: Vec<ChildSpec> = ["a", "b", "c"]
        .iter()
        .map(|id| {
            ChildSpec::function(id, module, member, &format!("{prefix}-{id}"))
                .unwrap_or_else(|e| fail("child spec", e))
                .shutdown(Shutdown::BrutalKill)
        })
        .collect();
    let flags = SupFlags::new(strategy).intensity(intensity).period_ms(60_000);
    Supervisor::start_link(&flags, &children).unwrap_or_else(|e| fail("start_link", e))
}

/// Which of the three kept their pids.
fn same_pids(prefix: &str, before: &[Option<Pid>]) -> String {
    ["a", "b", "c"]
        .iter()
        .zip(before)
        .map(|(id, old)| {
            let now = warren::whereis(&format!("{prefix}-{id}"));
            format!("{id}:{}", if now == *old { "same" } else { "new" })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn pids(prefix: &str) -> Vec<Option<Pid>> {
    ["a", "b", "c"].iter().map(|id| warren::whereis(&format!("{prefix}-{id}"))).collect()
}

/// Waits until `name` is registered again (a restarted `member` registers
/// itself when it runs).
fn registered(name: &str) -> Pid {
    loop {
        if let Some(pid) = warren::whereis(name) {
            return pid;
        }
        warren::sleep(1);
    }
}

fn scenario(reporter: Pid, module: &str, name: &str) {
    let say = |text: String| {
        let _ = reporter.send(TAG_DRIVER, text.as_bytes());
    };
    warren::trap_exit(true);
    match name {
        "strategies" => {
            for (prefix, strategy) in
                [("s1", Strategy::OneForOne), ("s2", Strategy::OneForAll), ("s3", Strategy::RestForOne)]
            {
                let sup = three(module, prefix, strategy, 5);
                for id in ["a", "b", "c"] {
                    registered(&format!("{prefix}-{id}"));
                }
                let before = pids(prefix);
                crash(&format!("{prefix}-b"));
                say(format!("{strategy:?} {}", show_children(&sup)));
                for id in ["a", "b", "c"] {
                    registered(&format!("{prefix}-{id}"));
                }
                say(format!("{strategy:?} {}", same_pids(prefix, &before)));
                sup.stop();
                say(format!("{strategy:?} stopped, a left: {}", warren::whereis(&format!("{prefix}-a")).is_some()));
            }
        }
        "intensity" => {
            let sup = three(module, "i", Strategy::OneForOne, 2);
            for round in 0..3 {
                registered("i-a");
                crash("i-a");
                if round < 2 {
                    say(format!("after crash {}: {}", round + 1, show_children(&sup)));
                }
            }
            let exit = warren::receive_matching(&[warren::sys::TAG_EXIT], Some(5_000)).and_then(|m| m.as_exit());
            match exit {
                Some(exit) if exit.from == sup.pid() => say(format!("supervisor exited {}", show_reason(&exit.reason))),
                other => say(format!("unexpected {other:?}")),
            }
            say(format!(
                "children left: {}",
                ["i-a", "i-b", "i-c"].iter().filter(|n| warren::whereis(n).is_some()).count()
            ));
        }
        "operations" => {
            let sup = three(module, "o", Strategy::OneForOne, 5);
            say(format!("{:?}", sup.count_children()));
            say(format!("terminate a {:?}", sup.terminate_child("a")));
            say(show_children(&sup));
            say(format!("delete a again {:?}", sup.delete_child("zz")));
            let restarted = sup.restart_child("a");
            say(format!("restart a {}", if restarted.is_ok() { "ok" } else { "failed" }));
            say(format!("restart a again {:?}", sup.restart_child("a")));
            say(format!("delete a running {:?}", sup.delete_child("a")));
            say(format!("terminate a {:?}", sup.terminate_child("a")));
            say(format!("delete a {:?}", sup.delete_child("a")));
            say(format!("delete a again {:?}", sup.delete_child("a")));
            let d = ChildSpec::function("d", module, member, &"o-d".to_string()).unwrap_or_else(|e| fail("spec", e));
            let started = sup.start_child(&d).unwrap_or_else(|e| fail("start_child", e));
            say(format!(
                "start d twice same pid: {}",
                sup.start_child(&d) == Err(warren::supervisor::SupervisorError::AlreadyStarted(started))
            ));
            let bad = ChildSpec::worker("e", "no-such-module", "main", b"");
            match sup.start_child(&bad) {
                Err(warren::supervisor::SupervisorError::StartFailed(reason)) => {
                    say(format!("start e failed {}", show_reason(&reason)))
                }
                other => say(format!("start e {other:?}")),
            }
            let kinds: Vec<ChildType> =
                sup.which_children().map(|c| c.iter().map(|c| c.kind).collect()).unwrap_or_default();
            say(format!("{} {kinds:?}", show_children(&sup)));
            say(format!("{:?}", sup.count_children()));
            let nested = warren::supervisor::spec_bytes(
                &SupFlags::default(),
                &[ChildSpec::function("x", module, member, &"o-x".to_string()).unwrap_or_else(|e| fail("spec", e))],
            );
            say(format!("nested {:?}", sup.start_child(&ChildSpec::supervisor("inner", nested)).map(|_| ())));
            registered("o-x");
            say(format!("{:?}", sup.count_children()));
            let significant = ChildSpec::function("s", module, job, &30)
                .unwrap_or_else(|e| fail("spec", e))
                .restart(Restart::Transient)
                .significant(true);
            say(format!("significant without auto_shutdown {:?}", sup.start_child(&significant).map(|_| ())));
            let flags = SupFlags::new(Strategy::OneForOne).auto_shutdown(AutoShutdown::AnySignificant);
            let auto = Supervisor::start_link(&flags, &[significant]).unwrap_or_else(|e| fail("auto", e));
            let exit = warren::receive_matching(&[warren::sys::TAG_EXIT], Some(5_000)).and_then(|m| m.as_exit());
            say(format!(
                "auto_shutdown: {}",
                exit.map_or("none".into(), |e| format!("{} {}", e.from == auto.pid(), show_reason(&e.reason)))
            ));
            let named = Supervisor::start_link_named("otp-named-sup", &SupFlags::default(), &[])
                .unwrap_or_else(|e| fail("named", e));
            say(format!("named {}", Supervisor::whereis("otp-named-sup") == Some(named)));
            say(format!(
                "named again {:?}",
                Supervisor::start_link_named("otp-named-sup", &SupFlags::default(), &[]).map(|_| ())
                    == Err(warren::supervisor::StartError::AlreadyStarted(named.pid()))
            ));
            named.stop();
            sup.stop();
            say(format!("stopped: {:?}", sup.count_children()));
        }
        "worker_restart" => {
            let spec = gen_server::child_spec::<Kv>("kv", module, &(), Some(Name::local("otp-kv")))
                .unwrap_or_else(|e| fail("spec", e));
            let sup = Supervisor::start_link(&SupFlags::new(Strategy::OneForOne).intensity(3), &[spec])
                .unwrap_or_else(|e| fail("start", e));
            say(show_call(gen_server::call::<Kv>("otp-kv", &KvCall::Put("x".into(), 1), Some(5_000))));
            say(show_call(gen_server::call::<Kv>("otp-kv", &KvCall::Get("x".into()), Some(5_000))));
            let old = warren::whereis("otp-kv").unwrap_or_else(|| fail("kv", "not registered"));
            let Ok(watch) = old.monitor() else { fail("monitor", "kv") };
            let _ = old.send(77, b"a bad message");
            let down = loop {
                let Some(down) = warren::receive_matching(&[warren::sys::TAG_DOWN], None).and_then(|m| m.as_down())
                else {
                    continue;
                };
                if down.monitor == watch {
                    break down;
                }
            };
            say(format!("kv died {}", show_reason(&down.reason)));
            say(show_children(&sup));
            let new = registered("otp-kv");
            say(format!("new pid {}", new != old));
            say(show_call(gen_server::call::<Kv>("otp-kv", &KvCall::Get("x".into()), Some(5_000))));
            sup.stop();
        }
        "dynamic" => {
            let template = DynamicTemplate::function(module, job)
                .unwrap_or_else(|e| fail("template", e))
                .with(|s| s.restart(Restart::Temporary));
            let sup = DynamicSupervisor::start_link(&template, &DynamicOptions::new().max_children(2).name("otp-dyn"))
                .unwrap_or_else(|e| fail("start", e));
            let first = sup.start_child(&60_000);
            let second = sup.start_child(&60_000);
            say(format!("two started {}", first.is_ok() && second.is_ok()));
            say(format!("third {:?}", sup.start_child(&60_000)));
            say(format!("{:?}", sup.count_children()));
            if let Ok(first) = first {
                say(format!("terminate first {:?}", sup.terminate_child(first)));
                say(format!("terminate first again {:?}", sup.terminate_child(first)));
            }
            let quick = sup.start_child(&0).unwrap_or_else(|e| fail("quick", e));
            let Ok(watch) = quick.monitor() else { fail("monitor", "quick") };
            let _ = warren::receive_matching(&[warren::sys::TAG_DOWN], None);
            let _ = watch;
            say(format!("after a temporary child ended: {:?}", sup.count_children()));
            say(format!("whereis {}", DynamicSupervisor::<u32>::whereis("otp-dyn") == Some(sup)));
            let servers = DynamicSupervisor::start_link(
                &DynamicTemplate::gen_server::<Kv>(module).unwrap_or_else(|e| fail("template", e)),
                &DynamicOptions::new(),
            )
            .unwrap_or_else(|e| fail("start", e));
            let kv = servers.start_child(&()).unwrap_or_else(|e| fail("kv", e));
            say(show_call(gen_server::call::<Kv>(kv, &KvCall::Put("k".into(), 5), Some(5_000))));
            say(show_call(gen_server::call::<Kv>(kv, &KvCall::Get("k".into()), Some(5_000))));
            let children = servers.which_children().unwrap_or_default();
            say(format!(
                "kv child {}",
                children.len() == 1 && children[0].pid == Some(kv) && children[0].id == "template"
            ));
            let doors = DynamicSupervisor::start_link(
                &state_machine::dynamic_template::<Lock>(module).unwrap_or_else(|e| fail("template", e)),
                &DynamicOptions::new(),
            )
            .unwrap_or_else(|e| fail("start", e));
            let door = doors.start_child(&("7".to_string(), 1_000)).unwrap_or_else(|e| fail("door", e));
            say(show_call(state_machine::call::<Lock>(door, &LockCall::State, Some(5_000))));
            doors.stop();
            servers.stop();
            sup.stop();
        }
        "agent" => {
            let agent = Agent::start_link(|| vec![1u32, 2], &StartOptions::new().name("otp-agent"))
                .unwrap_or_else(|e| fail("agent", e));
            say(show_call(agent.get(|v: &Vec<u32>| v.len(), Some(5_000))));
            say(show_call(agent.update(|v: &mut Vec<u32>| v.push(3), Some(5_000))));
            say(show_call(agent.get_with(|v: &Vec<u32>, i: usize| v.get(i).copied(), &2, Some(5_000))));
            say(show_call(agent.get_and_update(|v: &mut Vec<u32>| v.remove(0), Some(5_000))));
            let _ = agent.cast(|v: &mut Vec<u32>| v.push(10));
            let _ = agent.cast_with(|v: &mut Vec<u32>, x: u32| v.push(x), &20);
            say(show_call(agent.update_with(|v: &mut Vec<u32>, x: u32| v.push(x), &30, Some(5_000))));
            say(show_call(agent.get_and_update_with(
                |v: &mut Vec<u32>, x: u32| std::mem::replace(&mut v[0], x),
                &0,
                None,
            )));
            let by_name = Agent::<Vec<u32>>::from_ref("otp-agent");
            say(show_call(by_name.get(|v: &Vec<u32>| v.clone(), None)));
            let pid = warren::whereis("otp-agent").unwrap_or_else(|| fail("agent", "not registered"));
            say(format!("get_state {:?}", warren::system::get_state(pid, Some(5_000))));
            let status = warren::system::get_status(pid, Some(5_000)).map(|s| s.to_string()).unwrap_or_default();
            say(format!("behaviour agent {}", status.contains("behaviour => agent")));
            let wrong = Agent::<u64>::from_ref(pid);
            say(show_call(wrong.get(|n: &u64| *n, Some(5_000))));
            say(show_call(agent.stop(Some(5_000))));
            say(format!("alive after stop {}", warren::whereis("otp-agent").is_some()));
            let exit = warren::receive_matching(&[warren::sys::TAG_EXIT], Some(5_000)).and_then(|m| m.as_exit());
            say(format!("exit {}", exit.map_or("none".into(), |e| show_reason(&e.reason))));
            say(show_call(agent.get(|v: &Vec<u32>| v.len(), Some(100))));
            say(mailbox());
        }
        "task_await" => {
            say(show_task(Task::async_(double, &21).map_err(TaskError::Spawn).and_then(|t| t.await_(Some(5_000)))));
            let slow = Task::async_(nap, &200).unwrap_or_else(|e| fail("task", e));
            let slow_pid = slow.pid();
            say(show_task(slow.await_(Some(20))));
            warren::sleep(250);
            say(format!("task alive {}", alive(slow_pid)));
            say(mailbox());
            let boom = Task::async_(explode, &"kaboom".to_string()).unwrap_or_else(|e| fail("task", e));
            say(show_task(boom.await_(Some(5_000))));
            let exit = warren::receive_matching(&[warren::sys::TAG_EXIT], Some(5_000)).and_then(|m| m.as_exit());
            say(format!("exit message {}", exit.map_or("none".into(), |e| show_reason(&e.reason))));
            say(mailbox());
            let tasks: Vec<Task<u64>> =
                [30u64, 1, 15].iter().map(|ms| Task::async_(nap, ms).unwrap_or_else(|e| fail("task", e))).collect();
            say(format!("await_many {:?}", task::await_many(tasks, Some(5_000))));
            let tasks: Vec<Task<u64>> =
                [1u64, 300].iter().map(|ms| Task::async_(nap, ms).unwrap_or_else(|e| fail("task", e))).collect();
            say(format!("await_many short {:?}", task::await_many(tasks, Some(50))));
            warren::sleep(350);
            say(mailbox());
        }
        "task_yield" => {
            let slow = Task::async_(nap, &80).unwrap_or_else(|e| fail("task", e));
            say(format!("yield {:?}", slow.yield_(Some(10))));
            say(format!("yield {:?}", slow.yield_(Some(5_000))));
            let sleeper = Task::async_(nap, &10_000).unwrap_or_else(|e| fail("task", e));
            let pid = sleeper.pid();
            say(format!("shutdown brutal {:?}", sleeper.shutdown(Shutdown::BrutalKill)));
            say(format!("dead {}", !alive(pid)));
            let sleeper = Task::async_(nap, &10_000).unwrap_or_else(|e| fail("task", e));
            say(format!("shutdown timeout {:?}", sleeper.shutdown(Shutdown::Timeout(50))));
            let quick = Task::async_(double, &4).unwrap_or_else(|e| fail("task", e));
            warren::sleep(50);
            say(format!("shutdown finished {:?}", quick.shutdown(Shutdown::BrutalKill)));
            let boom = Task::async_(explode, &"early".to_string()).unwrap_or_else(|e| fail("task", e));
            warren::sleep(50);
            say(format!("shutdown failed {:?}", boom.shutdown(Shutdown::Timeout(100)).map(show_task)));
            let _ = warren::receive_matching(&[warren::sys::TAG_EXIT], Some(5_000));
            say(mailbox());
        }
        "stream" => {
            let table = RawTable::new(Kind::Set, Access::Public).unwrap_or_else(|e| fail("table", e));
            let items: Vec<(i64, u64, u64)> = (0..24).map(|n| (table.id(), n, 10)).collect();
            let options = StreamOptions::new().max_concurrency(4);
            let outcomes: Vec<(u64, i64)> =
                task::async_stream(items, counted, &options).map(|o| o.unwrap_or_else(|e| fail("stream", e))).collect();
            let values: Vec<u64> = outcomes.iter().map(|(v, _)| *v).collect();
            say(format!("ordered {}", values == (0..24).map(|n| n * 2).collect::<Vec<_>>()));
            say(format!("max running {}", outcomes.iter().map(|(_, r)| *r).max().unwrap_or(0)));
            let unordered: Vec<u64> =
                task::async_stream(vec![120u64, 1, 2, 3], nap, &StreamOptions::new().ordered(false))
                    .map(|o| o.unwrap_or(0))
                    .collect();
            say(format!("unordered first {} last {}", unordered[0] != 120, unordered[3]));
            let killed: Vec<String> = task::async_stream(
                vec![1u64, 400, 2],
                nap,
                &StreamOptions::new().timeout(Some(60)).on_timeout(OnTimeout::KillTask),
            )
            .map(show_task)
            .collect();
            say(format!("kill_task {killed:?}"));
            let ended: Vec<String> = task::async_stream(
                vec![1u64, 400, 400, 1],
                nap,
                &StreamOptions::new().timeout(Some(60)).max_concurrency(2),
            )
            .map(show_task)
            .collect();
            say(format!("exit {ended:?}"));
            let mut partial = task::async_stream(0..100u64, nap, &StreamOptions::new().max_concurrency(3));
            say(format!("first {:?}", partial.next().map(show_task)));
            drop(partial);
            warren::sleep(150);
            say(mailbox());
        }
        "task_supervisor" => {
            let tasks = TaskSupervisor::start_link(module, &DynamicOptions::new().name("otp-tasks"))
                .unwrap_or_else(|e| fail("start", e));
            let task = tasks.async_nolink(double, &50).unwrap_or_else(|e| fail("async_nolink", e));
            say(show_task(task.await_(Some(5_000))));
            let boom = tasks.async_nolink(explode, &"nolink".to_string()).unwrap_or_else(|e| fail("async_nolink", e));
            say(show_task(boom.await_(Some(5_000))));
            say(format!("driver alive, no exit message: {}", warren::poll().is_none()));
            let slow = tasks.async_nolink(nap, &5_000).unwrap_or_else(|e| fail("async_nolink", e));
            say(format!("yield {:?}", slow.yield_(Some(10))));
            say(format!("children {:?}", tasks.children().map(|c| c.len())));
            say(format!("shutdown {:?}", slow.shutdown(Shutdown::BrutalKill)));
            let started = tasks.start_child(hello, &reporter);
            say(format!("start_child {}", started.is_ok()));
            if let Ok(pid) = started
                && let Ok(watch) = pid.monitor()
            {
                // Wait for it: the supervisor stops its children when the
                // driver ends.
                loop {
                    let down = warren::receive_matching(&[warren::sys::TAG_DOWN], None).and_then(|m| m.as_down());
                    if down.is_some_and(|d| d.monitor == watch) {
                        break;
                    }
                }
            }
            say(format!("whereis {}", TaskSupervisor::whereis("otp-tasks") == Some(tasks)));
            say(mailbox());
        }
        "state_machine" => {
            let _ = warren::register("otp-reporter", reporter);
            let lock = state_machine::start_link::<Lock>(&("12".to_string(), 60), &StartOptions::new())
                .unwrap_or_else(|e| fail("start", e));
            say(show_call(state_machine::call::<Lock>(lock, &LockCall::State, Some(5_000))));
            let _ = warren::spawn_fn(lock_user, &(reporter, lock));
            // The user's call is postponed: wait until the log says so.
            loop {
                let log = state_machine::call::<Lock>(lock, &LockCall::Log, Some(5_000)).unwrap_or_default();
                if log.iter().any(|l| l == "postpone use") {
                    break;
                }
                warren::sleep(1);
            }
            let _ = state_machine::cast::<Lock>(lock, &LockCast::Digit('1'));
            let _ = state_machine::cast::<Lock>(lock, &LockCast::Digit('2'));
            let _ = state_machine::cast::<Lock>(lock, &LockCast::Digit('3'));
            warren::sleep(200);
            say(show_call(state_machine::call::<Lock>(lock, &LockCall::State, Some(5_000))));
            for _ in 0..3 {
                let _ = state_machine::cast::<Lock>(lock, &LockCast::Ping);
                warren::sleep(20);
            }
            warren::sleep(300);
            let _ = state_machine::cast::<Lock>(lock, &LockCast::Tick("tick".into(), 30));
            let _ = state_machine::cast::<Lock>(lock, &LockCast::Tick("tock".into(), 60));
            let _ = state_machine::cast::<Lock>(lock, &LockCast::CancelTick("tock".into()));
            warren::sleep(150);
            let _ = lock.send(42, b"info");
            say(format!(
                "log {:?}",
                state_machine::call::<Lock>(lock, &LockCall::Log, Some(5_000)).unwrap_or_default()
            ));
            let state = warren::system::get_state(lock, Some(5_000)).unwrap_or_default();
            say(format!("get_state {}", state.split(", LockData").next().unwrap_or("")));
            let status = warren::system::get_status(lock, Some(5_000)).map(|s| s.to_string()).unwrap_or_default();
            say(format!("behaviour gen_statem {}", status.contains("behaviour => gen_statem")));
            say(show_call(state_machine::call::<Lock>(lock, &LockCall::Stop, Some(5_000))));
            let exit = warren::receive_matching(&[warren::sys::TAG_EXIT], Some(5_000)).and_then(|m| m.as_exit());
            say(format!("exit {}", exit.map_or("none".into(), |e| show_reason(&e.reason))));
        }
        other => say(format!("unknown scenario {other}")),
    }
}

#[warren::main]
fn drive((reporter, module, name): (Pid, String, String)) {
    scenario(reporter, &module, &name);
    let _ = reporter.send(TAG_DRIVER, b"end");
}

/// The benchmark: `Task.async_stream` of [`double`] over `0..items`, at
/// most `max_concurrency` at a time, no timeout; sends the sum.
#[warren::main]
fn stream_sum((reporter, items, max_concurrency): (Pid, u64, usize)) {
    let options = StreamOptions::new().max_concurrency(max_concurrency).timeout(None);
    let sum: u64 = task::async_stream(0..items, double, &options).map(|outcome| outcome.unwrap_or(0)).sum();
    let _ = reporter.send(TAG_DRIVER, &sum.to_le_bytes());
}
