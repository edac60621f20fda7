//! The Rust SDK's GenServer, processes from functions, panics as exit
//! reasons, system messages and intervals, with real Rust guests
//! (`guests/rust/sdk-genserver`, `guests/rust/example-counter`).
//!
//! A scenario runs in a driver process of `sdk-genserver` (entry `drive`),
//! which is the servers' client and reports each outcome as text, tag 1;
//! the servers report `terminate`, idle timeouts and the messages their
//! `handle_info` sees, tag 3; pids and bytes the test needs come with
//! tag 2.

use crate::common::*;
use std::sync::OnceLock;
use std::time::Duration;
use warren_host::term::{self, Atom, Term};
use warren_host::{ChildSpec, Restart, Shutdown, SupervisorFlags, SupervisorSpec};

const TAG_DRIVER: i64 = 1;
const TAG_PID: i64 = 2;
const TAG_SERVER: i64 = 3;
const TAG_GO: i64 = 5;

/// The reports of one scenario, by tag.
struct Reports {
    inbox: Inbox,
    driver: Vec<String>,
    server: Vec<String>,
    data: Vec<Vec<u8>>,
}

impl Reports {
    fn new(inbox: Inbox) -> Reports {
        Reports { inbox, driver: Vec::new(), server: Vec::new(), data: Vec::new() }
    }

    /// Takes one message into its list.
    fn take(&mut self) {
        let message = recv(&self.inbox);
        let text = String::from_utf8_lossy(&message.data).into_owned();
        match message.tag {
            TAG_DRIVER => self.driver.push(text),
            TAG_SERVER => self.server.push(text),
            TAG_PID => self.data.push(message.data.to_vec()),
            other => panic!("unexpected report with tag {other}: {message:?}"),
        }
    }

    /// Waits until the driver has reported `end`; returns its reports
    /// before it.
    fn driver_until_end(&mut self) -> Vec<String> {
        while self.driver.last().map(String::as_str) != Some("end") {
            self.take();
        }
        let mut lines = std::mem::take(&mut self.driver);
        lines.pop();
        lines
    }

    /// Waits until the servers have reported `count` lines; returns them.
    fn server_lines(&mut self, count: usize) -> Vec<String> {
        while self.server.len() < count {
            self.take();
        }
        self.server.clone()
    }

    /// Waits for the next pid (8 bytes) reported with tag 2.
    fn pid(&mut self) -> Pid {
        while self.data.is_empty() {
            self.take();
        }
        let bytes = self.data.remove(0);
        Pid::from_raw(as_i64(&bytes) as u64).expect("a well-formed pid")
    }
}

/// One node with `sdk-genserver` loaded, shared by this file's tests:
/// compiling the guest costs seconds in a debug build, and each scenario
/// uses names and registries of its own, so the tests cannot meet.
fn shared() -> &'static (Node, LoadedModule) {
    static SHARED: OnceLock<(Node, LoadedModule)> = OnceLock::new();
    SHARED.get_or_init(|| {
        let node = node(2);
        let module = load_artifact(&node, warren_test_artifacts::SDK_GENSERVER);
        (node, module)
    })
}

/// The shared node, and a driver running `scenario` there.
fn drive(scenario: &str) -> (&'static Node, &'static LoadedModule, Reports, ProcessHandle) {
    let (node, module) = shared();
    let inbox = node.inbox();
    let arg = term_arg(inbox.pid(), scenario);
    let driver = spawn(node, module, "drive", &arg);
    (node, module, Reports::new(inbox), driver)
}

/// The term `{Reporter, <<"scenario">>}` (the driver's argument).
fn term_arg(reporter: Pid, text: &str) -> Vec<u8> {
    term::encode(&Term::tuple([Term::Pid(term::Pid::local(reporter.raw())), Term::string(text)])).unwrap()
}

#[test]
fn calls_get_their_replies_and_a_bad_request_is_refused_without_harm() {
    let (_node, _module, mut reports, driver) = drive("call");
    assert_eq!(
        reports.driver_until_end(),
        ["ok 2", "ok 5", "ok 5", "bad request", "ok 5", "ok 5", "down custom:done"],
        "add, add, get, a request of another type, get (the server lives on), stop with a reply, its DOWN"
    );
    assert_eq!(reports.server_lines(1), ["terminate custom:done count 5"], "terminate runs before the reply");
    finish_normally(&driver);
}

#[test]
fn a_call_that_times_out_never_gets_its_late_reply() {
    let (_node, _module, mut reports, driver) = drive("timeout");
    assert_eq!(reports.driver_until_end(), ["timeout", "ok 0", "mailbox None"]);
    finish_normally(&driver);
}

#[test]
fn calls_to_dead_pids_unknown_names_and_dying_servers_fail_with_the_reason() {
    let (_node, _module, mut reports, driver) = drive("noproc");
    assert_eq!(
        reports.driver_until_end(),
        [
            "down normal",
            "noproc",
            "noproc",
            "noproc",
            "exited custom:boom",
            "exited custom:probe: panic requested",
            "cast to a dead server Ok(())",
            "cast to nobody Ok(())",
        ],
        "a dead pid, an unknown name, an unknown registry key, a server that stops without replying, one that panics"
    );
    assert_eq!(
        reports.server_lines(2),
        ["job short 1", "terminate custom:boom count 0"],
        "the spawned function's report; terminate for the stop, none for the panic"
    );
    finish_normally(&driver);
}

#[test]
fn a_deferred_reply_reaches_each_waiting_caller() {
    let (_node, _module, mut reports, driver) = drive("defer");
    assert_eq!(reports.driver_until_end(), ["ok 2"], "two callers were waiting");
    assert_eq!(reports.server_lines(2), ["deferred ok 7", "deferred ok 7"]);
    finish_normally(&driver);
}

#[test]
fn casts_are_handled_in_the_order_they_were_sent() {
    let (_node, _module, mut reports, driver) = drive("cast_order");
    // The casts 1..=5 as digits in base 1000, in the order handled.
    assert_eq!(reports.driver_until_end(), ["ok 1002003004005"]);
    finish_normally(&driver);
}

#[test]
fn handle_continue_runs_before_the_next_message() {
    let (_node, _module, mut reports, driver) = drive("continue");
    assert_eq!(reports.driver_until_end(), ["ok 1", "ok 0", "ok 2"], "events after init, the reply, events after it");
    assert_eq!(reports.server_lines(2), ["continue init-continue after 0 events", "continue continued after 1 events"]);
    finish_normally(&driver);
}

#[test]
fn an_idle_timeout_comes_to_handle_info() {
    let (_node, _module, mut reports, driver) = drive("idle_timeout");
    assert_eq!(reports.driver_until_end(), ["ok 0"]);
    finish_normally(&driver);
    assert_eq!(reports.server_lines(1), ["idle timeout"], "no message came within 20 ms of the reply");
}

#[test]
fn terminate_runs_on_stop_and_on_the_parents_exit_signal() {
    let (_node, _module, mut reports, driver) = drive("terminate_on_stop");
    assert_eq!(reports.driver_until_end(), ["ok 4", "ok 4", "exit custom:done"]);
    assert_eq!(reports.server_lines(1), ["terminate custom:done count 4"]);
    finish_normally(&driver);

    let (node, _module, mut reports, driver) = drive("terminate_on_parent_exit");
    let server = reports.pid();
    assert_eq!(finish(&driver), ExitReason::Shutdown(b"parent done".to_vec()));
    assert_eq!(reports.server_lines(1), ["terminate shutdown:parent done count 0"]);
    let start = std::time::Instant::now();
    while node.is_alive(server) {
        assert!(start.elapsed() < PATIENCE, "the server outlived its terminate");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn terminate_runs_when_a_host_supervisor_shuts_its_child_down_and_a_server_that_ignores_its_start_has_no_process() {
    let (node, module) = shared();
    let inbox = node.inbox();
    let arg = term_arg(inbox.pid(), module.name());
    let maker = spawn(node, module, "child_spec", &arg);
    let record = recv_tag(&inbox, TAG_PID).data.to_vec();
    let ignoring = recv_tag(&inbox, TAG_PID).data.to_vec();
    finish_normally(&maker);

    let child = parse_child_record(&record);
    assert_eq!(child.id, "probe");
    // A server whose init returns `Init::Ignore` is kept with no process,
    // as OTP's supervisor keeps a child whose start returned `ignore`.
    let ignoring = parse_child_record(&ignoring);
    let spec = SupervisorSpec::new(SupervisorFlags::default(), vec![ignoring, child]);
    let supervisor = node.start_supervisor(&spec).expect("the supervisor starts its GenServer child");
    let children = node.which_children(supervisor.pid()).expect("its children");
    assert_eq!(
        children.iter().map(|c| (c.id.as_str(), c.pid.is_some())).collect::<Vec<_>>(),
        [("ignoring", false), ("probe", true)]
    );
    // Started means initialised: the child spec waits for init's ack, and
    // the server registered its name before init.
    let server = node.whereis("supervised-probe").expect("the server registered its name");
    node.exit(supervisor.pid(), ExitReason::Shutdown(Vec::new()));
    let report = recv_tag(&inbox, TAG_SERVER);
    assert_eq!(String::from_utf8_lossy(&report.data), "terminate shutdown: count 0");
    assert_eq!(finish(&supervisor), ExitReason::Shutdown(Vec::new()));
    assert!(!node.is_alive(server));
}

/// A host child spec from the child record the SDK wrote (the layout of
/// docs/ABI.md, "The spec format").
fn parse_child_record(record: &[u8]) -> ChildSpec {
    let u32_at = |at: usize| u32::from_le_bytes(record[at..at + 4].try_into().unwrap());
    let mut at = 12;
    let mut field = || {
        let len = u32_at(at) as usize;
        let bytes = record[at + 4..at + 4 + len].to_vec();
        at += 4 + len;
        bytes
    };
    let (id, module, entry, arg, options) = (field(), field(), field(), field(), field());
    assert_eq!(at, record.len(), "nothing follows the record");
    assert_eq!(&record[..4], &[0, 0, 0, 0], "permanent worker, not significant, shutdown with a timeout");
    assert_eq!(u32_at(4), 5_000, "shutdown timeout");
    assert_eq!(u32_at(8), 5_000, "the supervisor waits for init's ack");
    assert!(options.is_empty());
    assert_eq!(entry, b"__warren_spawn_fn");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    ChildSpec::worker(&text(id), &text(module), &text(entry), &arg)
        .restart(Restart::Permanent)
        .shutdown(Shutdown::Timeout(Duration::from_millis(u64::from(u32_at(4)))))
        .ack_timeout(Some(Duration::from_millis(u64::from(u32_at(8)))))
}

#[test]
fn a_failed_init_fails_the_start_with_its_reason_and_ignore_is_not_a_failure() {
    let (_node, _module, mut reports, driver) = drive("init");
    assert_eq!(
        reports.driver_until_end(),
        [
            "failed custom:bad config",
            "Ignored",
            "failed custom:init panicked",
            "failed custom:again",
            "mailbox None",
            "started",
        ],
        "stop, ignore, a panic in init, start_monitor's stop (no DOWN left), then a start that works"
    );
    finish_normally(&driver);
}

#[test]
fn servers_start_under_a_name_or_a_registry_key_once() {
    let (_node, _module, mut reports, driver) = drive("named");
    assert_eq!(
        reports.driver_until_end(),
        ["ok 1", "again: already started by the first true", "ok 7", "via again: already started by the first true"]
    );
    finish_normally(&driver);
}

#[test]
fn an_idle_server_hibernates_and_keeps_its_state() {
    let (node, _module, mut reports, driver) = drive("hibernate");
    let server = reports.pid();
    until_hibernated(node, server);
    assert_eq!(node.get_state(server, PATIENCE).as_deref().map(|s| s.starts_with("Probe { count: 4,")), Ok(true));
    until_hibernated(node, server); // a system request does not keep it awake
    reports.inbox.send(driver.pid(), TAG_GO, b"");
    assert_eq!(reports.driver_until_end(), ["ok 4", "ok 4", "ok 5"], "add 4, hibernate, then add 1 after the wake");
    assert!(reports.server.is_empty(), "no callback saw the system request: {:?}", reports.server);
    finish_normally(&driver);
}

#[test]
fn system_requests_are_answered_by_the_sdk_not_by_the_callbacks() {
    let (node, _module, mut reports, driver) = drive("system");
    let lines = reports.driver_until_end();
    let state = "Probe { count: 3, casts: [], events: [], deferred: [], slow: [], reporter: <0.";
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert!(lines[0].starts_with(&format!("Ok(\"{state}")), "the guest's get_state: {}", lines[0]);
    assert!(
        lines[1].starts_with("#{behaviour => gen_server,name => <<\"system-probe\">>,state => <<\"Probe { count: 3,")
    );
    assert!(lines[1].ends_with(",status => running}"), "{}", lines[1]);
    assert_eq!(lines[2], "{error,unknown_system_request}");
    assert_eq!(lines[3], "plain Err(Call(Timeout))", "a process that runs no behaviour does not answer");
    let server = reports.pid();
    let text = node.get_state(server, PATIENCE).expect("the host's get_state");
    assert!(text.starts_with(state), "{text}");
    let status = node.get_status(server, PATIENCE).expect("the host's get_status");
    assert_eq!(status.map_get(&Term::atom("behaviour")), Some(&Term::atom("gen_server")));
    assert_eq!(status.map_get(&Term::atom("status")), Some(&Term::atom("running")));
    assert_eq!(status.map_get(&Term::atom("name")), Some(&Term::string("system-probe")));
    assert_eq!(status.map_get(&Term::atom("state")), Some(&Term::binary(text.into_bytes())));
    let unknown = node.system_call(server, &Term::Atom(Atom::from("suspend")), PATIENCE);
    assert_eq!(unknown.map(|t| t.to_string()).as_deref(), Ok("{error,unknown_system_request}"));
    assert!(reports.server.is_empty(), "no callback saw a system request: {:?}", reports.server);
    finish_normally(&driver);
}

#[test]
fn functions_run_as_processes_and_a_panic_is_the_exit_reason() {
    let (_node, _module, mut reports, driver) = drive("spawn_fn");
    assert_eq!(
        reports.driver_until_end(),
        ["exit normal", "down custom:crop: nothing to do", "down custom:worker panicked: 42", "down normal"],
        "linked and returning, monitored and returning Err, monitored and panicking, with spawn options"
    );
    let mut jobs = reports.server_lines(3);
    jobs.sort();
    assert_eq!(jobs, ["job crop 0", "job limited 1", "job resize 3"]);
    finish_normally(&driver);
}

#[test]
fn an_interval_ticks_until_cancelled_or_its_maker_exits() {
    let (_node, _module, mut reports, driver) = drive("interval");
    assert_eq!(
        reports.driver_until_end(),
        [
            "3 ticks from the helper true",
            "cancel true",
            "down normal",
            "cancel again false",
            "down normal",
            "helper ended true",
            "bad interval Err(Spawn(BadArg))",
        ]
    );
    finish_normally(&driver);
}

#[test]
fn the_counter_example_runs() {
    let node = node(2);
    let module = load_artifact(&node, warren_test_artifacts::EXAMPLE_COUNTER);
    let main = spawn(&node, &module, "main", b"");
    finish_normally(&main);
}
