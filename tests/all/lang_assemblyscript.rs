//! Guests in AssemblyScript (`guests/assemblyscript`, built by
//! guests/artifacts/build.rs with the locked `asc`): the binding
//! `assembly/warren.ts` end to end, on one node shared by this file's tests
//! (each test uses names of its own).
//!
//! Terms the guests send are decoded, and terms sent to them encoded, with
//! the Rust crate (`warren_host::term`), so each test also holds the
//! AssemblyScript codec to the Rust one; the codec tests compare bytes.

use crate::common::*;
use crate::term_helpers::*;
use std::sync::OnceLock;
use warren_host::term::{self, Pid as TermPid, Reference, Term};
use warren_host::{ERR_EXITED, ERR_LIMIT, ERR_NOPROC, REASON_SHUTDOWN, REASON_TRAP};
use warren_host::{ERR_NO_SUCH_TIMER, ERR_NOT_FOUND, ERR_NOT_PERMITTED, OK, REASON_CUSTOM, REASON_NORMAL};

/// The shared node, with every AssemblyScript guest loaded under the name
/// its tests use (the probe spawns `worker` by name, and names itself in
/// its supervisor's child spec).
fn shared() -> &'static Node {
    static NODE: OnceLock<Node> = OnceLock::new();
    NODE.get_or_init(|| {
        let node = node(2);
        for (name, path) in [
            ("as_echo", warren_test_artifacts::AS_ECHO),
            ("as_counter", warren_test_artifacts::AS_COUNTER),
            ("worker", warren_test_artifacts::AS_WORKER),
            ("as_probe", warren_test_artifacts::AS_PROBE),
            ("as_codec", warren_test_artifacts::AS_CODEC),
            ("as_every_import", warren_test_artifacts::AS_EVERY_IMPORT),
            ("as_conformance", warren_test_artifacts::AS_CONFORMANCE),
            ("as_tour", warren_test_artifacts::AS_TOUR),
        ] {
            let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
            node.load(name, &bytes).unwrap_or_else(|e| panic!("loading {path}: {e:#}"));
        }
        node
    })
}

fn module(name: &str) -> LoadedModule {
    shared().module(name).unwrap_or_else(|| panic!("{name} is loaded"))
}

/// The next report on `inbox` with `tag`, as a term.
fn report(inbox: &Inbox, tag: i64) -> Term {
    decode(&recv_tag(inbox, tag).data)
}

/// `{name, value}` pairs, as the probe reports them.
fn pairs<const N: usize>(entries: [(&str, Term); N]) -> Term {
    Term::list(entries.into_iter().map(|(name, value)| tuple([atom(name), value])).collect::<Vec<_>>())
}

/// Waits (bounded by PATIENCE: a hang guard) until `pid` is hibernated.
fn until_hibernated(node: &Node, pid: Pid) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while !node.is_hibernated(pid) {
        assert!(std::time::Instant::now() < deadline, "{pid} did not hibernate within {PATIENCE:?}");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

#[test]
fn assemblyscript_echo_returns_every_message_to_its_sender() {
    let node = shared();
    let inbox = node.inbox();
    let echo = spawn(node, &module("as_echo"), "main", b"");
    // A payload longer than what `receive_into` reads at once.
    let long: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
    inbox.send(echo.pid(), 5, b"hello");
    inbox.send(echo.pid(), 6, &long);
    inbox.send(echo.pid(), 7, b"");
    for (tag, data) in [(5, &b"hello"[..]), (6, &long[..]), (7, &b""[..])] {
        let reply = recv_tag(&inbox, tag);
        assert_eq!((reply.sender, &*reply.data), (echo.pid(), data));
    }
    inbox.send(echo.pid(), 0, b"bye");
    assert_eq!(&*recv_tag(&inbox, 0).data, b"bye");
    finish_normally(&echo);
}

#[test]
fn assemblyscript_counter_serves_calls_and_casts_and_hibernates_between_messages() {
    let node = shared();
    let inbox = node.inbox();
    let counter = spawn(node, &module("as_counter"), "main", b"");
    let pid = counter.pid();
    let call = |request: &Term| -> Term {
        let reply = node.call(pid, &encode(request), PATIENCE).unwrap_or_else(|e| panic!("call {request}: {e}"));
        decode(&reply)
    };
    assert_eq!(call(&atom("get")), int(0));
    assert_eq!(call(&tuple([atom("add"), int(5)])), int(5));
    // A cast (tag 1, no reply); the inbox's send is queued before the
    // call that follows.
    inbox.send(pid, 1, &encode(&tuple([atom("add"), int(10)])));
    assert_eq!(call(&atom("get")), int(15));
    assert_eq!(call(&tuple([atom("add"), int(-20)])), int(-5));
    assert_eq!(call(&atom("nonsense")), tuple([atom("error"), atom("bad_request")]));
    // Between messages it gives up its instance; the count comes back.
    until_hibernated(node, pid);
    assert_eq!(call(&atom("get")), int(-5));
    assert_eq!(node.get_state(pid, PATIENCE).expect("a system request is answered"), "count=-5");
    let status = node.get_status(pid, PATIENCE).expect("get_status is answered");
    assert_eq!(status.map_get(&atom("behaviour")), Some(&atom("counter")));
    assert_eq!(status.map_get(&atom("status")), Some(&atom("running")));
    inbox.send(pid, 1, &encode(&atom("stop")));
    finish_normally(&counter);
}

#[test]
fn assemblyscript_counter_spawned_on_its_handler_initialises_at_its_first_message() {
    let node = shared();
    let counter = spawn(node, &module("as_counter"), "handle", b"");
    let reply = node.call(counter.pid(), &encode(&tuple([atom("add"), int(2)])), PATIENCE).expect("a reply");
    assert_eq!(decode(&reply), int(2));
    let reply = node.call(counter.pid(), &encode(&atom("get")), PATIENCE).expect("a reply");
    assert_eq!(decode(&reply), int(2));
    node.inbox().send(counter.pid(), 1, &encode(&atom("stop")));
    finish_normally(&counter);
}

/// Runs the probe's `crash_watch` with `bad` as the worker's bad message;
/// returns the `(kind, detail)` its linked watcher and its monitoring
/// watcher saw, after checking both saw the worker.
fn crash(bad: &[u8]) -> [(i64, String); 2] {
    let node = shared();
    let inbox = node.inbox();
    let watcher = spawn(node, &module("as_probe"), "crash_watch", &reporter_arg(&inbox, bad));
    assert_eq!(report(&inbox, 1), tuple([atom("square"), int(49)]), "the worker served first");
    // From two processes: in either order.
    let mut reports = recv_by_tag(&inbox, 2);
    let mut seen = Vec::new();
    for (tag, name) in [(2, "exit"), (3, "down")] {
        let report = decode(&reports.remove(&tag).unwrap_or_else(|| panic!("no {name} report")).data);
        let fields = report.as_tuple().map(<[Term]>::to_vec).expect("a tuple");
        assert_eq!(fields[0], atom(name));
        let n = fields.len();
        assert!(fields[1..n - 2].iter().all(|f| *f == bool_atom(true)), "{name} names the worker: {fields:?}");
        let kind = fields[n - 2].as_i64().expect("a kind");
        let detail = fields[n - 1].as_str().expect("a detail").to_string();
        seen.push((kind, detail));
    }
    finish_normally(&watcher);
    [seen[0].clone(), seen[1].clone()]
}

#[test]
fn assemblyscript_worker_crash_reason_reaches_a_linked_and_a_monitoring_process() {
    // A message that is no term: the worker throws, and exits with its
    // message as a custom reason.
    let [exit, down] = crash(b"not a term");
    assert_eq!(exit, down, "the link and the monitor see the same reason");
    assert_eq!(exit.0, i64::from(REASON_CUSTOM));
    assert!(exit.1.starts_with("abort: bad message: not a term (10 bytes) at examples/worker.ts:"), "{}", exit.1);

    // A term it does not know: the same, naming the term.
    let [exit, _] = crash(&encode(&tuple([atom("cube"), int(3)])));
    assert!(exit.1.starts_with("abort: bad message: {cube,3} at "), "{}", exit.1);

    // A division by zero traps: reason `trap`, with the trap's text.
    let [exit, down] = crash(&encode(&tuple([atom("divide"), int(1), int(0)])));
    assert_eq!(exit, down);
    assert_eq!(exit.0, i64::from(REASON_TRAP));
    assert!(exit.1.contains("divide by zero"), "{}", exit.1);
}

#[test]
fn assemblyscript_throw_ends_the_process_with_its_message() {
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("as_probe"), "monitored_throw", &pid_bytes(inbox.pid()));
    let fields = report(&inbox, 1).as_tuple().map(<[Term]>::to_vec).expect("a tuple");
    assert_eq!(fields[..2], [bool_atom(true), int(REASON_CUSTOM.into())]);
    let detail = fields[2].as_str().expect("text");
    assert!(detail.starts_with("abort: thrown on purpose at tests/probe.ts:"), "{detail}");
    finish_normally(&guest);
}

#[test]
fn assemblyscript_math_random_and_trace_run_on_wasi() {
    // AssemblyScript's runtime imports `env.seed` and `env.trace`, which
    // the node does not provide: asconfig.json routes them to WASI.
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("as_probe"), "random", &pid_bytes(inbox.pid()));
    assert_eq!(report(&inbox, 1), tuple([atom("random"), bool_atom(true), bool_atom(true)]));
    finish_normally(&guest);
}

#[test]
fn assemblyscript_table() {
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("as_probe"), "table", &pid_bytes(inbox.pid()));
    let expected = pairs([
        ("lookup_a", bin("1")),
        ("lookup_c_len", int(1000)),
        ("missing", tuple([bool_atom(true), int(ERR_NOT_FOUND.into())])),
        ("member_b", bool_atom(true)),
        ("counter", tuple([int(15), int(16)])),
        ("range", Term::list(vec![bin("a"), bin("b"), bin("c")])),
        ("first", bin("a")),
        ("next", bin("b")),
        ("last", bin("hits")),
        ("size", int(4)),
        ("delete_b", int(1)),
        ("size_after", int(3)),
        ("whereis", bool_atom(true)),
    ]);
    assert_eq!(report(&inbox, 1), expected);
    finish_normally(&guest);
    // Its owner is gone: so is the table.
    assert!(
        node.tables().iter().all(|t| t.name.as_deref() != Some(&b"as_probe_table"[..])),
        "the table went with its owner"
    );
}

#[test]
fn assemblyscript_timers() {
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("as_probe"), "timer", &pid_bytes(inbox.pid()));
    let expected = pairs([
        ("read", bool_atom(true)),
        ("cancel", bool_atom(true)),
        ("cancel_again", int(ERR_NO_SUCH_TIMER.into())),
        ("fired", tuple([bin("soon"), bool_atom(true)])),
        ("read_after_fire", int(ERR_NO_SUCH_TIMER.into())),
        ("named", bin("named")),
        ("slept", bool_atom(true)),
        ("cancelled_arrived", bool_atom(false)),
    ]);
    assert_eq!(report(&inbox, 1), expected);
    finish_normally(&guest);
}

#[test]
fn assemblyscript_names_and_registries() {
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("as_probe"), "names", &pid_bytes(inbox.pid()));
    let expected = pairs([
        ("register", int(OK.into())),
        ("register_again", int(warren_host::ERR_ALREADY_NAMED.into())),
        ("whereis", bool_atom(true)),
        ("send_named", int(OK.into())),
        ("got", bin("hi")),
        ("send_nobody", bool_atom(true)),
        ("registered", bool_atom(true)),
        ("lookup", Term::list(vec![tuple([bool_atom(true), bin("v1")]), tuple([bool_atom(true), bin("v2")])])),
        ("dispatch", int(2)),
        ("dispatched", Term::list(vec![bin("pub"), bin("pub")])),
        ("unregister", int(OK.into())),
        ("whereis_after", int(0)),
    ]);
    assert_eq!(report(&inbox, 1), expected);
    finish_normally(&guest);
    assert_eq!(node.whereis("as_probe"), None);
}

#[test]
fn assemblyscript_supervisor_restarts_its_child() {
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("as_probe"), "supervise", &reporter_arg(&inbox, b"as_probe"));
    let expected = tuple([
        atom("supervise"),
        bool_atom(true), // the killed child's DOWN: killed
        bool_atom(true), // a new child
        int(1),          // restarted once
        int(1),          // one active child
        bool_atom(true), // the supervisor's EXIT
        int(REASON_SHUTDOWN.into()),
    ]);
    assert_eq!(report(&inbox, 1), expected);
    finish_normally(&guest);
}

#[test]
fn assemblyscript_spawn_options_narrow_the_childs_capabilities() {
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("as_probe"), "caps", &pid_bytes(inbox.pid()));
    assert_eq!(report(&inbox, 1), tuple([atom("caps"), int(ERR_NOT_PERMITTED.into())]), "the child may not spawn");
    let done = tuple([atom("caps_done"), bool_atom(true), int(REASON_NORMAL.into())]);
    assert_eq!(report(&inbox, 1), done, "and it ended normally");
    finish_normally(&guest);
}

#[test]
fn assemblyscript_calls_that_fail_exit_signals_unlink_and_demonitor() {
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("as_tour"), "signals", &pid_bytes(inbox.pid()));
    let expected = pairs([
        ("parent", bool_atom(true)),
        ("call_nobody", tuple([int(ERR_NOPROC.into()), bool_atom(true)])),
        ("call_exited", tuple([int(ERR_EXITED.into()), bool_atom(true), bin("custom: no")])),
        ("call_dead", bool_atom(true)),
        ("shutdown", tuple([bool_atom(true), int(REASON_SHUTDOWN.into()), bin("bye")])),
        ("demonitor", bool_atom(true)),
        ("unlink", int(OK.into())),
        ("quiet", bool_atom(true)),
        ("linked_killed", tuple([bool_atom(true), bin("killed")])),
        ("error_name", bin("ERR_NOT_FOUND")),
        ("reason_text", bin("custom: why")),
    ]);
    assert_eq!(report(&inbox, 1), expected);
    finish_normally(&guest);
}

#[test]
fn assemblyscript_every_table_call() {
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("as_tour"), "tables", &pid_bytes(inbox.pid()));
    // The table's new owner reports its transfer message on its own.
    let mut reports = recv_by_tag(&inbox, 2);
    let transfer = decode(&reports.remove(&2).expect("the transfer").data);
    assert_eq!(transfer, tuple([atom("transfer"), bool_atom(true), bin("yours"), bool_atom(true)]));
    let expected = pairs([
        ("bag", Term::list(vec![bin("1"), bin("2")])),
        ("delete_object", int(1)),
        ("counter_on_bag", bin("ERR_WRONG_TYPE")),
        ("insert_many", int(5)),
        ("insert_new", int(0)),
        ("insert_new_many", int(0)),
        ("first", int(-20)),
        ("prev_of_last", int(10)),
        ("update", int(OK.into())),
        ("update_at", int(OK.into())),
        ("after_update", tuple([int(111), int(0x0114)])),
        ("reverse_two", Term::list(vec![int(0x0114), int(111)])),
        ("chunks", tuple([int(2), bool_atom(true)])),
        ("prefix", Term::list(vec![bin("user:1"), bin("user:2")])),
        ("take", tuple([bin("a"), bool_atom(false)])),
        ("delete_all", int(6)),
        ("empty_first", tuple([bool_atom(true), bin("ERR_NOT_FOUND")])),
        ("listed", bool_atom(true)),
        ("set_heir", int(OK.into())),
        ("give_away", int(OK.into())),
        ("owner_now", bool_atom(true)),
        ("delete_bag", int(OK.into())),
    ]);
    assert_eq!(decode(&reports.remove(&1).expect("the report").data), expected);
    finish_normally(&guest);
}

#[test]
fn assemblyscript_static_and_dynamic_supervisors() {
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("as_tour"), "supervisors", &reporter_arg(&inbox, b"as_tour"));
    let expected = pairs([
        ("started", bool_atom(true)),
        ("start_child", bool_atom(true)),
        ("start_dup", bool_atom(true)),
        ("terminate", int(OK.into())),
        ("restart", bool_atom(true)),
        ("delete", int(OK.into())),
        ("children", Term::list(vec![tuple([bin("a"), int(0)]), tuple([bin("inner"), int(1)])])),
        ("counts", tuple([int(2), int(1), int(1)])),
        ("dynamic", tuple([bool_atom(true), int(ERR_LIMIT.into())])),
        ("dynamic_terminate", int(OK.into())),
        ("dynamic_counts", tuple([int(1), int(1)])),
        ("stopped", bool_atom(true)),
    ]);
    assert_eq!(report(&inbox, 1), expected);
    finish_normally(&guest);
}

#[test]
fn assemblyscript_spawn_options_are_the_abis_bytes() {
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("as_tour"), "options", &pid_bytes(inbox.pid()));
    // docs/ABI.md's example: at most 1 MiB, no spawning, only /data, read-only.
    let mut example = Vec::new();
    example.extend_from_slice(b"\x01\0\0\0\x08\0\0\0\0\0\x10\0\0\0\0\0");
    example.extend_from_slice(b"\x04\0\0\0\0\0\0\0");
    example.extend_from_slice(b"\x06\0\0\0\x06\0\0\0\x01/data");
    assert_eq!(&*recv_tag(&inbox, 1).data, &example[..]);
    let every = recv_tag(&inbox, 2);
    let options = warren_host::SpawnOptions::decode(&every.data).expect("the host reads the block");
    assert_eq!((options.max_fuel, options.max_mailbox), (Some(1_000_000), Some(10)));
    assert!(options.deny_print && !options.deny_spawn);
    assert_eq!(options.dirs.as_ref().map(Vec::len), Some(1), "only /tmp: {:?}", options.dirs);
    assert_eq!(options.env, Some(vec![("K".to_string(), "V=W".to_string())]));
    finish_normally(&guest);
}

#[test]
fn assemblyscript_term_helpers() {
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("as_tour"), "terms", &pid_bytes(inbox.pid()));
    let shown = [
        "{ok,-1}",
        "#{a => <<\"x\">>,b => 2}",
        "[1|t]",
        "<0.5.3>",
        "#Ref<0.0.0.5>",
        "'Hello world'",
        "<<0,0>>",
        "18446744073709551616",
    ];
    let expected = pairs([
        ("shown", Term::list(shown.iter().map(|s| bin(s)).collect::<Vec<_>>())),
        ("get", bin("x")),
        ("missing", bool_atom(true)),
        ("pid_back", bool_atom(true)),
        ("ref_back", bool_atom(true)),
        ("equals", bool_atom(true)),
    ]);
    assert_eq!(report(&inbox, 1), expected);
    finish_normally(&guest);
}

/// `tests/tour.ts`'s `api_surface` names the rest of the binding's API, so
/// the build type-checks all of it (AssemblyScript compiles only what a
/// module uses); it runs and returns.
#[test]
fn assemblyscript_whole_api_compiles_and_its_surface_entry_runs() {
    let node = shared();
    let guest = spawn(node, &module("as_tour"), "api_surface", b"");
    finish_normally(&guest);
}

#[test]
fn assemblyscript_conformance() {
    crate::conformance::run_conformance(shared(), "as_conformance");
}

/// The values `guests/assemblyscript/tests/codec.ts` builds, in its order.
fn codec_values() -> Vec<Term> {
    let mut big = vec![0u8; 9];
    big[8] = 1;
    let pid = Term::Pid(TermPid::local(5 | (1 << 28)));
    let keys_values = vec![
        (atom("b"), int(1)),
        (atom("a"), int(2)),
        (int(1), int(3)),
        (bin("k"), int(4)),
        (tuple([atom("t")]), int(5)),
        (Term::Float(1.0), int(6)),
        (pid.clone(), int(7)),
        (Term::list(vec![int(1)]), int(8)),
        (Term::list(Vec::new()), int(9)),
        (int(-70_000_000_000), int(10)),
        (Term::Reference(Reference::local(9)), int(11)),
        (Term::map([(atom("x"), int(1))]), int(12)),
    ];
    vec![
        int(0),
        int(255),
        int(256),
        int(-1),
        int(2_147_483_647),
        int(-2_147_483_648),
        int(2_147_483_648),
        int(i64::MAX),
        int(i64::MIN),
        Term::from_magnitude(false, &big),
        Term::from_magnitude(true, &[0xff; 300]),
        Term::Float(1.5),
        Term::Float(-0.0),
        Term::Float(1e300),
        atom("ok"),
        atom(""),
        atom("é"),
        atom("日本"),
        atom(&"a".repeat(255)),
        bool_atom(true),
        Term::binary(Vec::new()),
        bin("hello"),
        Term::binary(vec![0, 255]),
        Term::tuple(Vec::new()),
        tuple([atom("ok"), int(1)]),
        Term::tuple((0..300).map(int).collect::<Vec<_>>()),
        Term::list(Vec::new()),
        Term::list(vec![int(1), int(2)]),
        Term::list(vec![int(1), int(256)]),
        Term::ImproperList(vec![atom("a")], Box::new(atom("b"))),
        Term::ImproperList(vec![int(1)], Box::new(Term::ImproperList(vec![int(2)], Box::new(int(3))))),
        Term::ImproperList(vec![int(1)], Box::new(Term::list(vec![int(2)]))),
        Term::list(vec![int(7); 65536]),
        Term::map([]),
        Term::map(keys_values),
        pid,
        Term::Pid(TermPid::local((((1u64 << 32) | 3) << 28) | 7)),
        Term::Reference(Reference::local(5)),
        Term::Reference(Reference::local(i64::MAX as u64)),
        tuple([Term::list(vec![Term::map([(atom("k"), tuple([bin("v")]))])])]),
        Term::Pid(TermPid::new("other@host", 1, 2, 3)),
        Term::Reference(Reference::new("nonode@nohost", 0, &[1, 2, 3, 4, 5]).expect("five words")),
    ]
}

/// `[u32 LE length][bytes]...` split.
fn length_prefixed(mut data: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let (len, rest) = data.split_at(4);
        let len = u32::from_le_bytes(len.try_into().expect("4 bytes")) as usize;
        out.push(rest[..len].to_vec());
        data = &rest[len..];
    }
    out
}

/// The codec guest's answer to `bytes`: the term encoded again, or why not.
fn roundtrip(codec: Pid, inbox: &Inbox, bytes: &[u8]) -> Result<Vec<u8>, String> {
    inbox.send(codec, 1, bytes);
    let reply = recv(inbox);
    match reply.tag {
        1 => Ok(reply.data.to_vec()),
        2 => Err(String::from_utf8_lossy(&reply.data).into_owned()),
        other => panic!("unexpected tag {other}"),
    }
}

#[test]
fn assemblyscript_term_codec_writes_the_rust_crates_bytes() {
    let node = shared();
    let inbox = node.inbox();
    let codec = spawn(node, &module("as_codec"), "main", b"");
    inbox.send(codec.pid(), 3, b"");
    let written = length_prefixed(&recv_tag(&inbox, 3).data);
    let values = codec_values();
    assert_eq!(written.len(), values.len(), "one encoding per value");
    for (i, (bytes, value)) in written.iter().zip(&values).enumerate() {
        assert_eq!(*bytes, encode(value), "value {i}: {value}");
    }
    // Each of them read back and written again: the same bytes.
    for (i, value) in values.iter().enumerate() {
        let bytes = encode(value);
        assert_eq!(roundtrip(codec.pid(), &inbox, &bytes), Ok(bytes), "value {i}: {value}");
    }
    // What cannot be encoded is refused, with the reason.
    inbox.send(codec.pid(), 5, b"");
    let refusals: Vec<String> =
        length_prefixed(&recv_tag(&inbox, 5).data).into_iter().map(|b| String::from_utf8(b).expect("UTF-8")).collect();
    let expected = [
        "a float that is NaN or infinite",
        "a float that is NaN or infinite",
        "an atom longer than 255 characters",
        "a map with a duplicate key",
        "a float that is NaN or infinite",
        "",
    ];
    assert_eq!(refusals, expected);
    inbox.send(codec.pid(), 0, b"");
    finish_normally(&codec);
}

#[test]
fn assemblyscript_term_codec_reads_every_spelling_the_rust_crate_reads() {
    let node = shared();
    let inbox = node.inbox();
    let codec = spawn(node, &module("as_codec"), "main", b"");
    let mut float_ext = vec![131, 99];
    float_ext.extend_from_slice(b"1.50000000000000000000e+00");
    float_ext.resize(2 + 31, 0);
    let mut deep = vec![131];
    deep.extend([104, 1].repeat(128));
    deep.push(106);
    let node_atom = |bytes: &mut Vec<u8>| {
        bytes.extend_from_slice(&[100, 0, 13]);
        bytes.extend_from_slice(b"nonode@nohost");
    };
    let mut pid_ext = vec![131, 103];
    node_atom(&mut pid_ext);
    pid_ext.extend_from_slice(&[0, 0, 0, 5, 0, 0, 0, 1, 0]);
    let mut new_ref = vec![131, 114, 0, 3];
    node_atom(&mut new_ref);
    new_ref.extend_from_slice(&[0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0]);
    let mut old_ref = vec![131, 101];
    node_atom(&mut old_ref);
    old_ref.extend_from_slice(&[0, 0, 0, 7, 0]);
    // A large map whose keys come in descending order: sorted on reading.
    let mut descending = vec![131, 116];
    descending.extend_from_slice(&5000u32.to_be_bytes());
    for key in (0..5000i32).rev() {
        descending.push(98);
        descending.extend_from_slice(&key.to_be_bytes());
        descending.extend_from_slice(&[97, 1]);
    }
    let inputs: Vec<(&str, Vec<u8>)> = vec![
        ("a map of 5000 keys, descending", descending),
        ("SMALL_ATOM_EXT", vec![131, 115, 2, b'o', b'k']),
        ("ATOM_UTF8_EXT of Latin-1", vec![131, 118, 0, 2, b'o', b'k']),
        ("SMALL_ATOM_EXT of Latin-1 é", vec![131, 115, 1, 233]),
        ("FLOAT_EXT", float_ext),
        ("PID_EXT", pid_ext),
        ("NEW_REFERENCE_EXT", new_ref),
        ("REFERENCE_EXT", old_ref),
        ("an unsorted map", vec![131, 116, 0, 0, 0, 2, 100, 0, 1, b'b', 97, 1, 100, 0, 1, b'a', 97, 2]),
        ("SMALL_BIG_EXT that fits", vec![131, 110, 1, 0, 5]),
        ("SMALL_BIG_EXT with a zero digit", vec![131, 110, 8, 1, 0, 0, 0, 0, 1, 0, 0, 0]),
        ("LARGE_BIG_EXT", vec![131, 111, 0, 0, 0, 1, 0, 9]),
        ("a list with a list tail", vec![131, 108, 0, 0, 0, 1, 97, 1, 107, 0, 1, 2]),
        ("LIST_EXT of small integers", vec![131, 108, 0, 0, 0, 2, 97, 1, 97, 2, 106]),
        ("LIST_EXT of nothing with a tail", vec![131, 108, 0, 0, 0, 0, 100, 0, 1, b'a']),
        ("INTEGER_EXT of a small one", vec![131, 98, 0, 0, 0, 7]),
        ("128 nested tuples", deep),
    ];
    for (what, bytes) in inputs {
        let rust = term::decode(&bytes).unwrap_or_else(|e| panic!("{what}: the Rust crate reads it: {e}"));
        assert_eq!(roundtrip(codec.pid(), &inbox, &bytes), Ok(encode(&rust)), "{what}: {rust}");
    }
    inbox.send(codec.pid(), 0, b"");
    finish_normally(&codec);
}

#[test]
fn assemblyscript_term_codec_rejects_malformed_input() {
    let node = shared();
    let inbox = node.inbox();
    let codec = spawn(node, &module("as_codec"), "main", b"");
    let mut too_deep = vec![131];
    too_deep.extend([104, 1].repeat(129));
    too_deep.push(106);
    let mut bad_float = vec![131, 99];
    bad_float.extend_from_slice(b"1.5abc");
    bad_float.resize(2 + 31, 0);
    let mut long_atom = vec![131, 100, 1, 0];
    long_atom.extend(std::iter::repeat_n(b'a', 256));
    let inputs: Vec<(&str, Vec<u8>, &str)> = vec![
        ("no bytes", vec![], "no bytes"),
        ("another version", vec![130, 97, 1], "the version byte is 130"),
        ("only the version", vec![131], "the bytes end inside a term"),
        ("a cut integer", vec![131, 98, 0, 0], "the bytes end inside a term"),
        ("a binary longer than the bytes", vec![131, 109, 0, 0, 0, 10, 1, 2], "the bytes end inside a term"),
        ("a forged list length", vec![131, 108, 255, 255, 255, 255, 106], "the bytes end inside a term"),
        ("a key twice", vec![131, 116, 0, 0, 0, 2, 97, 1, 97, 1, 97, 1, 97, 2], "a map with a duplicate key"),
        ("an atom that is not UTF-8", vec![131, 119, 2, 0xc3, 0x28], "atom text is not UTF-8"),
        ("an atom of 256 characters", long_atom, "an atom longer than 255 characters"),
        ("infinity", vec![131, 70, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0], "a float that is NaN or infinite"),
        ("a compressed term", vec![131, 80, 0, 0, 0, 1, 120, 156], "compressed terms are not supported"),
        ("a compressed version byte", vec![80, 0, 0, 0, 1], "compressed terms are not supported"),
        ("bytes after the term", vec![131, 97, 1, 97, 2], "bytes follow the term"),
        ("129 nested tuples", too_deep, "containers nest deeper than 128"),
        ("a big integer's sign", vec![131, 110, 1, 2, 5], "a big integer's sign byte is neither 0 nor 1"),
        ("a reference of 6 words", vec![131, 90, 0, 6, 100, 0, 0], "a reference of no word or more than 5"),
        ("a bitstring", vec![131, 77, 0, 0, 0, 1, 8, 255], "unsupported tag 77"),
        ("a FLOAT_EXT that is no float", bad_float, "FLOAT_EXT text is not a float"),
        ("a pid whose node is no atom", vec![131, 88, 97, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0], "expected an atom"),
    ];
    for (what, bytes, why) in inputs {
        assert!(term::decode(&bytes).is_err(), "{what}: the Rust crate refuses it too");
        match roundtrip(codec.pid(), &inbox, &bytes) {
            Err(text) => assert!(text.starts_with(why), "{what}: {text:?} should start with {why:?}"),
            Ok(bytes) => panic!("{what}: read as {bytes:?}"),
        }
    }
    // It still serves.
    assert_eq!(roundtrip(codec.pid(), &inbox, &[131, 97, 1]), Ok(vec![131, 97, 1]));
    inbox.send(codec.pid(), 0, b"");
    finish_normally(&codec);
}

/// Corrupted encodings of the values table (a byte changed, cut short, a
/// byte inserted: a fixed pseudo-random sequence): the AssemblyScript
/// decoder must read exactly what the Rust crate reads, and refuse what it
/// refuses, without trapping.
#[test]
fn assemblyscript_term_codec_agrees_with_the_rust_crate_on_corrupted_terms() {
    let node = shared();
    let inbox = node.inbox();
    let codec = spawn(node, &module("as_codec"), "main", b"");
    // Small values only: each case is one round trip.
    let values: Vec<Vec<u8>> = codec_values().iter().map(encode).filter(|b| b.len() <= 512).collect();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let (mut read, mut refused) = (0, 0);
    for case in 0..2000 {
        let mut bytes = values[next() as usize % values.len()].clone();
        let at = next() as usize % bytes.len();
        match next() % 4 {
            0 => bytes[at] = next() as u8,
            1 => bytes.truncate(at),
            2 => bytes.insert(at, next() as u8),
            _ => bytes[at] ^= 1 << (next() % 8),
        }
        let answer = roundtrip(codec.pid(), &inbox, &bytes);
        match term::decode(&bytes) {
            Ok(rust) => {
                assert_eq!(answer, Ok(encode(&rust)), "case {case}: {bytes:?} is {rust}");
                read += 1;
            }
            Err(e) => {
                assert!(answer.is_err(), "case {case}: {bytes:?}: Rust refuses it ({e}), AssemblyScript read it");
                refused += 1;
            }
        }
    }
    assert!(read > 100 && refused > 100, "both kinds were tried: {read} read, {refused} refused");
    inbox.send(codec.pid(), 0, b"");
    finish_normally(&codec);
}

/// `warren run` on AssemblyScript modules: a root that returns exits 0; one
/// that throws exits 1, with its reason on stderr.
#[test]
fn assemblyscript_modules_run_with_warren_run() {
    use crate::cli::warren;
    warren(&["run", warren_test_artifacts::AS_EVERY_IMPORT]).expect_code(0);
    warren(&["run", warren_test_artifacts::AS_PROBE, "--entry", "throws"])
        .expect_code(1)
        .stderr_has("abort: thrown on purpose at tests/probe.ts:");
}

/// The import check proper (every host function, with the host's types,
/// nothing else) is tests/all/bindings.rs's, which lists this guest; here
/// the node loads it, which it refuses for an import it does not provide
/// or of another type, and it runs.
#[test]
fn assemblyscript_every_import_guest_loads_and_runs() {
    let node = shared();
    let guest = spawn(node, &module("as_every_import"), "main", b"");
    finish_normally(&guest);
}
