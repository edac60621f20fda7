//! The Rust SDK's Supervisor, DynamicSupervisor, Task, Task.Supervisor,
//! Agent and StateMachine, with real Rust guests (`guests/rust/sdk-otp`
//! and the examples `example-supervision`, `example-fanout`,
//! `example-door-lock`, `example-pubsub`).
//!
//! A scenario runs in a driver process of `sdk-otp` (entry `drive`),
//! which reports each outcome as text, tag 1, then `end`; what tasks and
//! servers report by themselves comes with tag 3.

use crate::common::*;
use std::sync::OnceLock;
use warren_host::term::{self, Term};

const TAG_DRIVER: i64 = 1;
const TAG_SIDE: i64 = 3;

/// One node with `sdk-otp` loaded, shared by this file's tests (each
/// scenario uses names of its own).
fn shared() -> &'static (Node, LoadedModule) {
    static SHARED: OnceLock<(Node, LoadedModule)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let node = node(2);
        let module = load_artifact(&node, warren_test_artifacts::SDK_OTP);
        (node, module)
    })
}

/// The reports of a scenario.
struct Run {
    inbox: Inbox,
    driver: ProcessHandle,
    side: Vec<String>,
}

impl Run {
    /// The driver's reports up to `end`.
    fn lines(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            let message = recv(&self.inbox);
            let text = String::from_utf8_lossy(&message.data).into_owned();
            match message.tag {
                TAG_DRIVER if text == "end" => return lines,
                TAG_DRIVER => lines.push(text),
                TAG_SIDE => self.side.push(text),
                other => panic!("unexpected report with tag {other}: {message:?}"),
            }
        }
    }

    /// Waits until `count` side reports came; returns them.
    fn side(&mut self, count: usize) -> Vec<String> {
        while self.side.len() < count {
            let message = recv_tag(&self.inbox, TAG_SIDE);
            self.side.push(String::from_utf8_lossy(&message.data).into_owned());
        }
        self.side.clone()
    }
}

/// Runs scenario `name` in a driver on the shared node.
fn drive(name: &str) -> Run {
    let (node, module) = shared();
    let inbox = node.inbox();
    let arg = term::encode(&Term::tuple([
        Term::Pid(term::Pid::local(inbox.pid().raw())),
        Term::string(module.name()),
        Term::string(name),
    ]))
    .unwrap();
    let driver = spawn(node, module, "drive", &arg);
    Run { inbox, driver, side: Vec::new() }
}

#[test]
fn supervisor_strategies_restart_exactly_the_children_they_say() {
    let mut run = drive("strategies");
    assert_eq!(
        run.lines(),
        [
            "OneForOne a:0:up b:1:up c:0:up",
            "OneForOne a:same b:new c:same",
            "OneForOne stopped, a left: false",
            "OneForAll a:1:up b:1:up c:1:up",
            "OneForAll a:new b:new c:new",
            "OneForAll stopped, a left: false",
            "RestForOne a:0:up b:1:up c:1:up",
            "RestForOne a:same b:new c:new",
            "RestForOne stopped, a left: false",
        ]
    );
    finish_normally(&run.driver);
}

#[test]
fn a_supervisor_past_its_intensity_stops_its_children_and_exits() {
    let mut run = drive("intensity");
    assert_eq!(
        run.lines(),
        [
            "after crash 1: a:1:up b:0:up c:0:up",
            "after crash 2: a:2:up b:0:up c:0:up",
            "supervisor exited shutdown:reached_max_restart_intensity",
            "children left: 0",
        ]
    );
    finish_normally(&run.driver);
}

#[test]
fn every_supervisor_operation_returns_a_typed_result() {
    let mut run = drive("operations");
    let counts = |specs, active, supervisors, workers| {
        format!(
            "Ok(ChildCounts {{ specs: {specs}, active: {active}, supervisors: {supervisors}, workers: {workers} }})"
        )
    };
    assert_eq!(
        run.lines(),
        [
            counts(3, 3, 0, 3).as_str(),
            "terminate a Ok(())",
            "a:0:down b:0:up c:0:up",
            "delete a again Err(NotFound)",
            "restart a ok",
            "restart a again Err(Running)",
            "delete a running Err(Running)",
            "terminate a Ok(())",
            "delete a Ok(())",
            "delete a again Err(NotFound)",
            "start d twice same pid: true",
            "start e failed custom:no module named `no-such-module` is loaded",
            "b:0:up c:0:up d:0:up [Worker, Worker, Worker]",
            counts(3, 3, 0, 3).as_str(),
            "nested Ok(())",
            counts(4, 4, 1, 3).as_str(),
            "significant without auto_shutdown Err(BadArg(\"child `s` is significant, but auto_shutdown is never\"))",
            "auto_shutdown: true shutdown:",
            "named true",
            "named again true",
            "stopped: Err(NoProc)",
        ],
        "count, terminate/restart/delete with Running and NotFound, start_child twice (AlreadyStarted with the pid), \
         a failed start with its reason, a nested supervisor, a spec error, auto_shutdown any_significant, names, stop"
    );
    finish_normally(&run.driver);
}

#[test]
fn a_genserver_worker_that_crashes_on_a_bad_message_is_restarted() {
    let mut run = drive("worker_restart");
    assert_eq!(
        run.lines(),
        [
            "ok None",
            "ok Some(1)",
            "kv died custom:kv: a message it does not understand (tag 77)",
            "kv:1:up",
            "new pid true",
            "ok None",
        ],
        "put, get, the panic's message as its reason, one restart, registered again, with a fresh state"
    );
    finish_normally(&run.driver);
}

#[test]
fn a_dynamic_supervisor_starts_typed_children_up_to_max_children() {
    let mut run = drive("dynamic");
    assert_eq!(
        run.lines(),
        [
            "two started true",
            "third Err(MaxChildren(2))",
            "Ok(ChildCounts { specs: 2, active: 2, supervisors: 0, workers: 2 })",
            "terminate first Ok(())",
            "terminate first again Err(NotFound)",
            "after a temporary child ended: Ok(ChildCounts { specs: 1, active: 1, supervisors: 0, workers: 1 })",
            "whereis true",
            "ok None",
            "ok Some(5)",
            "kv child true",
            "ok [\"Locked\"]",
        ],
        "function children up to max_children, terminate by pid, a temporary child forgotten, \
         GenServer and StateMachine children started with their typed argument"
    );
    finish_normally(&run.driver);
}

#[test]
fn an_agent_gets_updates_casts_and_stops() {
    let mut run = drive("agent");
    assert_eq!(
        run.lines(),
        [
            "ok 2",
            "ok ()",
            "ok Some(3)",
            "ok 1",
            "ok ()",
            "ok 2",
            "ok [0, 3, 10, 20, 30]",
            "get_state Ok(\"[0, 3, 10, 20, 30]\")",
            "behaviour agent true",
            "bad request: the agent's state is not a u64",
            "ok ()",
            "alive after stop false",
            "exit normal",
            "Call(NoProc)",
            "mailbox empty",
        ],
        "get, update, get_with, get_and_update, casts (in order, before the next call), update_with, \
         get_and_update_with, by name, get_state/get_status, a handle of the wrong state type refused, stop"
    );
    finish_normally(&run.driver);
}

#[test]
fn tasks_are_awaited_and_a_late_result_never_reaches_the_mailbox() {
    let mut run = drive("task_await");
    assert_eq!(
        run.lines(),
        [
            "ok 42",
            "Timeout",
            "task alive false",
            "mailbox empty",
            "exited custom:kaboom",
            "exit message custom:kaboom",
            "mailbox empty",
            "await_many Ok([30, 1, 15])",
            "await_many short Err(Timeout)",
            "mailbox empty",
        ],
        "await; await's timeout kills the task and nothing comes later; a panic's message as the error \
         (and the EXIT a trapping owner gets); await_many in the tasks' order; await_many's timeout"
    );
    finish_normally(&run.driver);
}

#[test]
fn tasks_yield_and_shut_down() {
    let mut run = drive("task_yield");
    assert_eq!(
        run.lines(),
        [
            "yield None",
            "yield Some(Ok(80))",
            "shutdown brutal None",
            "dead true",
            "shutdown timeout None",
            "shutdown finished Some(Ok(8))",
            "shutdown failed Some(\"exited custom:early\")",
            "mailbox empty",
        ],
        "yield leaves the task running, then gets its result; shutdown of a running task, \
         of one that had finished (its result), of one that had failed (its reason)"
    );
    finish_normally(&run.driver);
}

#[test]
fn async_stream_keeps_order_and_never_exceeds_max_concurrency() {
    let mut run = drive("stream");
    assert_eq!(
        run.lines(),
        [
            "ordered true",
            "max running 4",
            "unordered first true last 120",
            "kill_task [\"ok 1\", \"Timeout\", \"ok 2\"]",
            "exit [\"ok 1\", \"Timeout\"]",
            "first Some(\"ok 0\")",
            "mailbox empty",
        ],
        "24 items in order with at most 4 tasks counted running at once (each sleeps 10 ms: all 4 overlap); \
         unordered: the slow item last; on_timeout kill_task and exit; a stream dropped early leaves nothing"
    );
    finish_normally(&run.driver);
}

#[test]
fn a_task_supervisor_runs_unlinked_tasks() {
    let mut run = drive("task_supervisor");
    assert_eq!(
        run.lines(),
        [
            "ok 100",
            "exited custom:nolink",
            "driver alive, no exit message: true",
            "yield None",
            "children Ok(1)",
            "shutdown None",
            "start_child true",
            "whereis true",
            "mailbox empty",
        ],
        "async_nolink's result; its panic is only an error; yield and shutdown; start_child"
    );
    assert_eq!(run.side(1), ["hello from a supervised task"]);
    finish_normally(&run.driver);
}

#[test]
fn a_state_machine_has_enter_calls_timeouts_postpone_and_inserted_events() {
    let mut run = drive("state_machine");
    let log = [
        "enter Locked from Locked",
        "postpone use",
        "digit 1",
        "digit 2",
        "check ok",
        "enter Open from Locked",
        "use",
        "digit 3 ignored",
        "state timeout in Open",
        "enter Locked from Open",
        "ping",
        "ping",
        "ping",
        "event timeout",
        "set tick",
        "set tock",
        "cancel tock",
        "timeout tick",
        "info",
    ];
    assert_eq!(
        run.lines(),
        [
            "ok [\"Locked\"]".to_string(),
            "ok [\"Locked\"]".to_string(),
            format!("log {log:?}"),
            "get_state {Locked".to_string(),
            "behaviour gen_statem true".to_string(),
            "ok [\"stopping\"]".to_string(),
            "exit normal".to_string(),
        ],
        "the enter call of the first state; a call postponed while locked; the inserted check runs \
         before the next cast; the postponed call re-delivered after the state change and its enter \
         call; the state timeout; one event timeout after three pings 20 ms apart (each cancels the \
         last, 150 ms); a generic timeout fires, a cancelled one does not; get_state is {{State, Data}}"
    );
    assert_eq!(run.side(2), ["user got ok [\"used in Open\"]", "terminate normal in Locked"]);
    finish_normally(&run.driver);
}

/// Runs example `path` on the shared node with `arg`; its lines (tag 1),
/// once it has ended normally.
fn example(path: &str, arg: impl FnOnce(Pid, &str) -> Vec<u8>) -> Vec<String> {
    let (node, _) = shared();
    let module = load_artifact(node, path);
    let inbox = node.inbox();
    let main = spawn(node, &module, "main", &arg(inbox.pid(), module.name()));
    finish_normally(&main);
    let mut lines = Vec::new();
    while let Some(message) = inbox.try_recv() {
        assert_eq!(message.tag, 1, "{message:?}");
        lines.push(String::from_utf8_lossy(&message.data).into_owned());
    }
    lines
}

/// The term of a pid.
fn pid_term(pid: Pid) -> Term {
    Term::Pid(term::Pid::local(pid.raw()))
}

#[test]
fn example_supervision_restarts_the_worker_that_crashed_on_a_bad_message() {
    let lines = example(warren_test_artifacts::EXAMPLE_SUPERVISION, |reporter, module| {
        term::encode(&Term::tuple([pid_term(reporter), Term::string(module)])).unwrap()
    });
    assert_eq!(
        lines,
        [
            "before the crash: greeting = Ok(Some(\"hello\"))",
            "the stash crashed: \"stash: unexpected message with tag 7\"",
            "child stash restarted 1 time(s)",
            "child hits restarted 0 time(s)",
            "after the restart: greeting = Ok(None)",
            "hits kept: Ok(1)",
        ]
    );
}

#[test]
fn example_fanout_computes_in_order_with_async_stream() {
    let lines =
        example(warren_test_artifacts::EXAMPLE_FANOUT, |reporter, _| term::encode(&pid_term(reporter)).unwrap());
    let steps: Vec<u32> = (1..=30u64)
        .map(|mut n| {
            let mut steps = 0;
            while n > 1 {
                n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
                steps += 1;
            }
            steps
        })
        .collect();
    assert_eq!(lines, [format!("steps: {steps:?}"), "longest: 27 takes 111 steps".to_string()]);
}

#[test]
fn example_door_lock_opens_on_the_right_code_and_locks_again() {
    let lines =
        example(warren_test_artifacts::EXAMPLE_DOOR_LOCK, |reporter, _| term::encode(&pid_term(reporter)).unwrap());
    assert_eq!(
        lines,
        [
            "door: locked",
            "door: wrong code",
            "door: open",
            "door: locked",
            "open after a wrong code: false, after the right one: true, 150 ms later: false",
        ]
    );
}

#[test]
fn example_pubsub_delivers_to_every_subscriber_of_a_topic() {
    let lines =
        example(warren_test_artifacts::EXAMPLE_PUBSUB, |reporter, _| term::encode(&pid_term(reporter)).unwrap());
    assert_eq!(
        lines,
        [
            "ann got news: rust 2024 ships",
            "ann got sports: final tonight",
            "bob got news: rust 2024 ships",
            "cy got sports: final tonight",
            "4 deliveries",
        ]
    );
}
