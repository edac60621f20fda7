//! Guests in C (guests/c, built by guests/artifacts): the conformance
//! scenario; the examples (an echo server, a counter that serves calls and
//! casts, a worker that crashes and the processes that see it); tables,
//! timers, names, a supervisor and spawn options through warren.h's
//! helpers; the term codec of warren_term.h against the Rust term crate,
//! byte for byte; and a guest built with wasi-libc.

use crate::common::*;
use crate::conformance::run_conformance;
use crate::term_helpers::*;
use std::path::Path;
use warren_host::term::{self, Pid as TermPid, Reference, Term};
use warren_host::{
    DirGrant, ERR_ALREADY_NAMED, ERR_NO_SUCH_NAME, ERR_NO_SUCH_TABLE, ERR_NO_SUCH_TIMER, ERR_NOT_PERMITTED,
    REASON_NORMAL, REASON_TRAP, SpawnOptions,
};

/// The tag of a cast to a Rust SDK GenServer (`gen_server::TAG_CAST`),
/// which the C counter takes too.
const TAG_CAST: i64 = 0x5741_5252_454E_0001;

fn load_c(node: &Node, name: &str, path: &str) -> LoadedModule {
    node.load_file_as(name, Path::new(path)).unwrap_or_else(|e| panic!("{path} loads: {e:#}"))
}

/// The shared conformance scenario (tests/all/conformance.rs), in C.
#[test]
fn c_passes_the_conformance_scenario() {
    let node = node(2);
    load_c(&node, "conformance-c", warren_test_artifacts::C_CONFORMANCE);
    run_conformance(&node, "conformance-c");
}

/// The handler-style echo server answers each message with its tag and
/// bytes, in order, and ends normally after echoing tag 0; spawned on the
/// handler itself it answers too.
#[test]
fn c_echo_server_answers_in_order() {
    let node = node(2);
    let module = load_c(&node, "c-echo-server", warren_test_artifacts::C_ECHO_SERVER);
    let inbox = node.inbox();
    let server = spawn(&node, &module, "echo_server", b"");
    let big: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    let messages: [(i64, &[u8]); 3] = [(1, b"hi"), (2, &big), (3, b"")];
    for (tag, data) in messages {
        inbox.send(server.pid(), tag, data);
    }
    for (tag, data) in messages {
        let echo = recv(&inbox);
        assert_eq!((echo.sender, echo.tag, &*echo.data), (server.pid(), tag, data));
    }
    inbox.send(server.pid(), 0, b"bye");
    let last = recv(&inbox);
    assert_eq!((last.tag, &*last.data), (0, &b"bye"[..]));
    finish_normally(&server);

    let direct = spawn(&node, &module, "echo_handle", b"");
    inbox.send(direct.pid(), 0, b"direct");
    assert_eq!(&*recv_tag(&inbox, 0).data, b"direct");
    finish_normally(&direct);
}

/// The counter serves calls and casts in the order they come, with the
/// Rust GenServer's terms, answers system requests, hibernates after a
/// cast (its count intact), and stops on a cast.
#[test]
fn c_counter_serves_calls_and_casts_in_order() {
    let node = node(2);
    let module = load_c(&node, "c-counter", warren_test_artifacts::C_COUNTER);
    let inbox = node.inbox();
    let counter = spawn(&node, &module, "counter", &10i64.to_le_bytes());
    let call = |request: &Term| -> Term {
        let reply = node
            .call(counter.pid(), &encode(request), PATIENCE)
            .unwrap_or_else(|e| panic!("the counter answers {request}: {e}"));
        decode(&reply)
    };
    let add = |n: i64| Term::tuple(vec![atom("add"), Term::Integer(n)]);
    assert_eq!(call(&atom("get")), Term::Integer(10));

    // Casts and calls interleaved: each call sees every cast before it.
    let mut expected = 10;
    for i in 1..=40 {
        inbox.send(counter.pid(), TAG_CAST, &encode(&add(i)));
        expected += i;
        if i % 10 == 0 {
            assert_eq!(call(&atom("get")), Term::Integer(expected), "after {i} casts");
        }
    }
    expected += 1_000_000;
    assert_eq!(call(&add(1_000_000)), Term::Integer(expected), "a call that adds replies the new count");
    let error = |what: &str| Term::tuple(vec![atom("error"), atom(what)]);
    assert_eq!(call(&add(i64::MAX)), error("overflow"), "an overflow changes nothing");
    assert_eq!(call(&atom("get")), Term::Integer(expected));
    assert_eq!(call(&Term::binary(&b"what"[..])), error("bad_request"));
    let not_a_term = node.call(counter.pid(), b"\x00junk", PATIENCE).expect("a reply");
    assert_eq!(decode(&not_a_term), error("bad_request"));

    // A cast makes it hibernate; its count survives.
    inbox.send(counter.pid(), TAG_CAST, &encode(&atom("reset")));
    inbox.send(counter.pid(), TAG_CAST, &encode(&add(7)));
    until_hibernated(&node, counter.pid());
    assert_eq!(call(&atom("get")), Term::Integer(7));

    // System requests, as `warren state` asks them.
    assert_eq!(node.get_state(counter.pid(), PATIENCE).expect("a state"), "count: 7");
    let status = node.get_status(counter.pid(), PATIENCE).expect("a status");
    assert_eq!(status.map_get(&atom("behaviour")), Some(&atom("c_counter")), "{status}");
    assert_eq!(status.map_get(&atom("status")), Some(&atom("running")), "{status}");
    let unknown = node.system_call(counter.pid(), &atom("suspend"), PATIENCE).expect("an answer");
    assert_eq!(unknown, error("unknown_system_request"));

    inbox.send(counter.pid(), TAG_CAST, &encode(&atom("stop")));
    finish_normally(&counter);
}

/// A worker that traps on a bad message: the linked watcher (trapping
/// exits) gets its EXIT and the monitor its DOWN, both with reason trap
/// and the trap's text; before that it served a good message.
#[test]
fn c_crash_reason_reaches_the_linked_and_the_monitoring_process() {
    let node = node(2);
    let module = load_c(&node, "c-crasher", warren_test_artifacts::C_CRASHER);
    let inbox = node.inbox();
    let watcher = spawn(&node, &module, "watch", &pid_bytes(inbox.pid()));
    let started = as_i64s(&recv_tag(&inbox, 1).data);
    let worker = Pid::from_raw(started[0] as u64).expect("the worker's pid");
    let monitor = started[1] as u64;

    inbox.send(worker, 5, &encode(&Term::tuple(vec![atom("double"), Term::Integer(21)])));
    let answer = recv_tag(&inbox, 1);
    assert_eq!(answer.sender, worker);
    assert_eq!(decode(&answer.data), Term::tuple(vec![atom("ok"), Term::Integer(42)]));

    inbox.send(worker, 5, b"not a term");
    let (from, kind, detail) = parse_exit(&recv_tag(&inbox, 2).data);
    assert_eq!((from, kind), (worker, REASON_TRAP), "the EXIT carries the trap");
    let text = String::from_utf8_lossy(&detail).to_string();
    assert!(text.contains("unreachable"), "the trap text: {text}");
    let (reference, pid, down_kind, down_detail) = parse_down(&recv_tag(&inbox, 3).data);
    assert_eq!((reference, pid, down_kind), (monitor, worker, REASON_TRAP), "the DOWN carries the trap");
    assert_eq!(down_detail, detail, "one reason, seen both ways");
    finish_normally(&watcher);
    assert!(!node.is_alive(worker));
}

/// Tables from C: ordered traversal, counters, a result too large for the
/// first buffer, bags filled by records, table info, names of tables.
#[test]
fn c_tables() {
    let node = node(2);
    let module = load_c(&node, "c-tour", warren_test_artifacts::C_TOUR);
    let inbox = node.inbox();
    let tour = spawn(&node, &module, "tables", &pid_bytes(inbox.pid()));
    assert_eq!(&*recv_tag(&inbox, 1).data, b"abc", "an ordered_set traverses in key order");
    assert_eq!(as_i64s(&recv_tag(&inbox, 2).data), [15, 16], "update_counter from its default");
    assert_eq!(as_i64s(&recv_tag(&inbox, 3).data), [300, 300, 0, 299 % 256], "a pending result read whole");
    assert_eq!(as_i64s(&recv_tag(&inbox, 4).data), [3, 2, 8], "a bag: 3 records, 2 under k (3 + 5 bytes)");
    assert_eq!(as_i64s(&recv_tag(&inbox, 5).data), [5, 1, 0, 1], "info: 5 objects, ordered_set, protected, own");
    assert_eq!(as_i64s(&recv_tag(&inbox, 6).data), [1, i64::from(ERR_NO_SUCH_TABLE)], "named, then deleted");
    finish_normally(&tour);
}

/// Timers from C: due order, time left, cancel once, sleep, a timer to a
/// name.
#[test]
fn c_timers() {
    let node = node(2);
    let module = load_c(&node, "c-tour", warren_test_artifacts::C_TOUR);
    let inbox = node.inbox();
    let tour = spawn(&node, &module, "timers", &pid_bytes(inbox.pid()));
    assert_eq!(&*recv_tag(&inbox, 1).data, b"soonlate", "timers fire in due order");
    let left = as_i64(&recv_tag(&inbox, 2).data);
    assert!(left > 0 && left <= 60_000, "read_timer: {left} ms left of 60000");
    assert_eq!(as_i64s(&recv_tag(&inbox, 3).data), [1, i64::from(ERR_NO_SUCH_TIMER)], "a timer cancels once");
    assert_eq!(as_i64(&recv_tag(&inbox, 4).data), i64::from(OK), "sleep");
    assert_eq!(&*recv_tag(&inbox, 5).data, b"named", "send_after_named reaches the name");
    finish_normally(&tour);
}

/// Names and keyed registries from C.
#[test]
fn c_names() {
    let node = node(2);
    let module = load_c(&node, "c-tour", warren_test_artifacts::C_TOUR);
    let inbox = node.inbox();
    let tour = spawn(&node, &module, "names", &pid_bytes(inbox.pid()));
    assert_eq!(as_i64s(&recv_tag(&inbox, 1).data), [i64::from(OK), i64::from(ERR_ALREADY_NAMED), 1, 0]);
    assert_eq!(&*recv_tag(&inbox, 2).data, b"by name");
    assert_eq!(as_i64(&recv_tag(&inbox, 3).data), i64::from(ERR_NO_SUCH_NAME), "a name nobody holds");
    assert_eq!(as_i64(&recv_tag(&inbox, 4).data), 1, "registered() lists the name");
    assert_eq!(as_i64s(&recv_tag(&inbox, 5).data), [2, 2, 2], "two entries, two messages dispatched and received");
    assert_eq!(as_i64s(&recv_tag(&inbox, 6).data), [i64::from(OK), 0], "unregistered");
    finish_normally(&tour);
    assert_eq!(node.whereis("c_names"), None);
}

/// A supervisor built from C with warren_spec_*: its worker acknowledges,
/// a nested supervisor starts, which_children and count_children see
/// them, start_child adds a second worker.
#[test]
fn c_supervisor_from_a_built_spec() {
    let node = node(2);
    let module = load_c(&node, "c-tour", warren_test_artifacts::C_TOUR);
    let inbox = node.inbox();
    let mut arg = pid_bytes(inbox.pid()).to_vec();
    arg.extend_from_slice(b"c-tour");
    let tour = spawn(&node, &module, "supervise", &arg);
    let first = as_i64(&recv_tag(&inbox, 50).data);
    let started = as_i64s(&recv_tag(&inbox, 10).data);
    assert!(started[0] > 0 && started[1] == 1, "the supervisor starts and acknowledges: {started:?}");
    assert_eq!(as_i64s(&recv_tag(&inbox, 11).data), [1, 2, first], "which_children: the worker, then inner");
    let second = as_i64(&recv_tag(&inbox, 50).data);
    assert_eq!(as_i64(&recv_tag(&inbox, 12).data), second, "start_child replies the new child's pid");
    assert_eq!(as_i64s(&recv_tag(&inbox, 13).data), [3, 3, 1, 2], "count_children: 2 workers, 1 supervisor");
    finish_normally(&tour);
}

/// The options blocks warren_opts_* build are the ABI's: docs/ABI.md's
/// example byte for byte, and every kind of record as the host reads it.
#[test]
fn c_options_blocks_are_the_abis() {
    let node = node(1);
    let module = load_c(&node, "c-tour", warren_test_artifacts::C_TOUR);
    let inbox = node.inbox();
    let tour = spawn(&node, &module, "options_block", &pid_bytes(inbox.pid()));
    let example: &[u8] = b"\x01\x00\x00\x00\x08\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\
        \x04\x00\x00\x00\x00\x00\x00\x00\x06\x00\x00\x00\x06\x00\x00\x00\x01/data";
    assert_eq!(&*recv_tag(&inbox, 30).data, example, "the example of docs/ABI.md");
    let every = recv_tag(&inbox, 31);
    let read = SpawnOptions::decode(&every.data).unwrap_or_else(|e| panic!("the host reads the block: {e:?}"));
    let expected = SpawnOptions::default()
        .max_memory(2 << 20)
        .max_fuel(1_000_000)
        .max_mailbox(10)
        .deny_spawn()
        .deny_print()
        .no_dirs()
        .dir(DirGrant::new("/tmp"))
        .clear_env()
        .env("A", "1");
    assert_eq!(read, expected);
    finish_normally(&tour);
}

/// spawn_opts with an options block built by warren_opts_*: the child may
/// not spawn; a block cut short is refused.
#[test]
fn c_spawn_options() {
    let node = node(2);
    let module = load_c(&node, "c-tour", warren_test_artifacts::C_TOUR);
    let inbox = node.inbox();
    let tour = spawn(&node, &module, "options", &pid_bytes(inbox.pid()));
    assert_eq!(as_i64(&recv_tag(&inbox, 20).data), i64::from(ERR_NOT_PERMITTED), "deny_spawn holds");
    assert_eq!(as_i64s(&recv_tag(&inbox, 21).data), [1, i64::from(REASON_NORMAL)], "its DOWN, by reference");
    assert_eq!(as_i64(&recv_tag(&inbox, 22).data), i64::from(ERR_BADARG), "a block cut short");
    finish_normally(&tour);
}

/// The table of terms guests/c/term_codec.c writes (keep in step with its
/// `write_term`).
fn c_term_table() -> Vec<Term> {
    let int = Term::Integer;
    let list = |items: Vec<Term>| Term::List(items);
    let map = |pairs: Vec<(Term, Term)>| Term::map(pairs);
    vec![
        int(0),
        int(255),
        int(256),
        int(-1),
        int(i64::from(i32::MIN)),
        int(i64::from(i32::MAX)),
        int(i64::from(i32::MAX) + 1),
        int(i64::from(i32::MIN) - 1),
        int(i64::MAX),
        int(i64::MIN),
        int(-(1 << 40)),
        Term::Float(0.5),
        Term::Float(-1.25e300),
        atom("ok"),
        atom(""),
        atom("été"),
        atom("λ_x"),
        Term::binary(Vec::new()),
        Term::binary(&b"hello"[..]),
        Term::tuple(vec![]),
        Term::tuple(vec![atom("ok"), int(1), Term::binary(&b"x"[..])]),
        list(vec![]),
        list(vec![int(1), int(2), int(3)]),
        list(vec![int(1), int(256)]),
        list(vec![atom("a"), list(vec![atom("b")])]),
        list(vec![int(97), int(98), int(99)]),
        map(vec![
            (atom("b"), int(1)),
            (Term::binary(&b"k"[..]), list(vec![])),
            (atom("a"), int(2)),
            (Term::tuple(vec![atom("t")]), int(0)),
            (Term::Float(2.5), atom("y")),
            (int(1), atom("x")),
        ]),
        map(vec![]),
        Term::Pid(TermPid::local((5 << 28) | 3)),
        Term::Pid(TermPid::local((((1u64 << 32) | 7) << 28) | 12345)),
        Term::Reference(Reference::local(5)),
        Term::Reference(Reference::local(0x0123_4567_89AB_CDEF)),
        Term::tuple((0..256).map(int).collect::<Vec<_>>()),
        list((0..300).map(|k| int(k % 256)).collect()),
        map(vec![
            (atom("λ"), int(5)),
            (atom("z"), int(3)),
            (atom("é"), int(4)),
            (atom("b"), int(2)),
            (atom("a"), int(1)),
        ]),
        Term::tuple(vec![atom("true"), atom("false")]),
        map(vec![
            (map(vec![(atom("k"), int(1))]), atom("map_key")),
            (int(300), atom("big")),
            (int(-5), atom("negative")),
            (int(1 << 40), atom("huge")),
            (Term::binary(&b"ab"[..]), atom("longer")),
            (Term::binary(&b"a"[..]), atom("shorter")),
        ]),
    ]
}

/// What C writes is byte for byte what the Rust term crate writes (which
/// term/tests/erlang.rs compares with Erlang/OTP's term_to_binary).
#[test]
fn c_terms_are_the_bytes_of_the_rust_term_crate() {
    let node = node(2);
    let module = load_c(&node, "c-term-codec", warren_test_artifacts::C_TERM_CODEC);
    let inbox = node.inbox();
    let encoder = spawn(&node, &module, "encode_table", &pid_bytes(inbox.pid()));
    let table = c_term_table();
    for (i, expected) in table.iter().enumerate() {
        let message = recv(&inbox);
        assert_eq!(message.tag, i as i64, "term {i} ({expected}) was written: {message:?}");
        assert_eq!(
            &*message.data,
            &encode(expected)[..],
            "term {i}: C wrote {}, Rust writes {expected}",
            decode(&message.data)
        );
    }
    assert_eq!(as_i64(&recv_tag(&inbox, 1000).data), table.len() as i64, "the C table has as many terms");
    finish_normally(&encoder);
}

/// The old FLOAT_EXT (`"%.20e"` text) reads as the Rust crate reads it
/// (Rust's correctly rounded parsing): random doubles as Erlang writes
/// them, and texts halfway between two doubles, at the ends of the range,
/// or not floats at all.
#[test]
fn c_reads_float_ext_as_the_rust_crate_does() {
    let node = node(1);
    let module = load_c(&node, "c-term-codec", warren_test_artifacts::C_TERM_CODEC);
    let inbox = node.inbox();
    let echo = spawn(&node, &module, "decode_echo", b"");
    let float_ext = |text: &str| -> Vec<u8> {
        let mut bytes = vec![131, 99];
        bytes.extend_from_slice(text.as_bytes());
        bytes.resize(2 + 31, 0);
        bytes
    };
    // As C's printf("%.20e") writes it: an exponent of at least 2 digits.
    let erlang_text = |x: f64| -> String {
        let rust = format!("{x:.20e}");
        let (mantissa, exponent) = rust.split_once('e').expect("an exponent");
        let exponent: i32 = exponent.parse().expect("a number");
        format!("{mantissa}e{}{:02}", if exponent < 0 { '-' } else { '+' }, exponent.abs())
    };
    let mut texts: Vec<String> = [
        "9.007199254740993e15",
        "9.007199254740995e15",
        "2.4703282292062327208828439643411068618252990130716238221279284125033775363510437593264991818081799618989828234772285886546332835517796989819938739800539093906315035659515570226392290858392449105184435931802849936536152500319370457678249219365623669863658480757001585769269903706311928279558551332927834338409351978015531246597263579574622766465272827220056374006485499977096599470454020828166226237857393450736339007967761930577506740176324673600968951340535537458516661134223766678604162159680461914467291840300530057530849048765391711386591646239524912623653881879636239373280423891018672348497668235089863388587925628302755995657524455507255189313690836254779186948667994968324049705821028513185451396213837722826145437693412532098591327667236328125e-324",
        "2.4703282292062328e-324",
        "4.9406564584124654e-324",
        "2.2250738585072011e-308",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "1e-400",
        "1e400",
        "-0.0",
        "  1.5  ",
        ".5",
        "5.",
        "+1e0",
        "1e",
        "e5",
        "inf",
        "nan",
        "0x10",
        "",
        "1.0e+0x",
    ]
    .iter()
    .map(|t| t.chars().take(31).collect())
    .collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..400 {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        let x = f64::from_bits(state.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        if x.is_finite() {
            texts.push(erlang_text(x));
        }
    }
    for special in [0.0, -0.0, f64::MIN_POSITIVE, 5e-324, f64::MAX, f64::MIN, 0.1, 1.0 / 3.0, 1e23, 123456.789] {
        texts.push(erlang_text(special));
    }
    for text in &texts {
        let bytes = float_ext(text);
        inbox.send(echo.pid(), 5, &bytes);
        let answer = recv(&inbox);
        match term::decode(&bytes) {
            Ok(t) => assert_eq!((answer.tag, answer.data.to_vec()), (1, encode(&t)), "{text:?} reads as {t}"),
            Err(e) => assert_eq!(answer.tag, 2, "{text:?}: Rust refuses it ({e}), C reads {:?}", answer.data),
        }
    }
    inbox.send(echo.pid(), 0, b"");
    finish_normally(&echo);
}

/// The C writer checks its bounds: each term of the table written into
/// every smaller buffer fails with `WARREN_TERM_ERR_OVERFLOW` and writes
/// nothing past it; the exact size gives the same bytes.
#[test]
fn c_term_writer_refuses_to_overflow_its_buffer() {
    let node = node(1);
    let module = load_c(&node, "c-term-codec", warren_test_artifacts::C_TERM_CODEC);
    let inbox = node.inbox();
    let bounds = spawn(&node, &module, "encode_bounds", &pid_bytes(inbox.pid()));
    let table = c_term_table();
    let sizes: usize = table.iter().map(|t| encode(t).len() + 1).sum();
    let report = as_i64s(&recv_tag(&inbox, 1).data);
    assert_eq!(report, [table.len() as i64, sizes as i64, 0], "[terms, sizes tried, failures]");
    finish_normally(&bounds);
}

/// The C reader reads every term of the table as Rust wrote it, and the C
/// writer writes it back identically; terms written another way Erlang
/// accepts come back in Erlang's own way; malformed input is refused with
/// the right error, never a trap.
#[test]
fn c_reads_terms_and_refuses_malformed_ones() {
    let node = node(2);
    let module = load_c(&node, "c-term-codec", warren_test_artifacts::C_TERM_CODEC);
    let inbox = node.inbox();
    let echo = spawn(&node, &module, "decode_echo", b"");
    let round_trip = |bytes: &[u8]| -> Result<Vec<u8>, i64> {
        inbox.send(echo.pid(), 5, bytes);
        let answer = recv(&inbox);
        match answer.tag {
            1 => Ok(answer.data.to_vec()),
            2 => Err(as_i64(&answer.data)),
            _ => panic!("unexpected answer {answer:?}"),
        }
    };
    for term in c_term_table() {
        let bytes = encode(&term);
        assert_eq!(round_trip(&bytes), Ok(bytes.clone()), "{term} round trips through C");
    }
    let own = Term::Pid(TermPid::local(echo.pid().raw()));
    assert_eq!(round_trip(&encode(&own)), Ok(encode(&own)), "a live pid");

    // Other spellings of the same terms come back as Erlang writes them.
    let canonical: [(&[u8], Term); 6] = [
        (&[131, 119, 2, b'o', b'k'], atom("ok")),
        (&[131, 115, 2, b'o', b'k'], atom("ok")),
        (&[131, 110, 1, 0, 5], Term::Integer(5)),
        (&[131, 98, 0, 0, 0, 7], Term::Integer(7)),
        (&[131, 108, 0, 0, 0, 2, 97, 1, 97, 2, 106], Term::List(vec![Term::Integer(1), Term::Integer(2)])),
        (
            &[131, 116, 0, 0, 0, 2, 100, 0, 1, b'b', 97, 2, 100, 0, 1, b'a', 97, 1],
            Term::map(vec![(atom("a"), Term::Integer(1)), (atom("b"), Term::Integer(2))]),
        ),
    ];
    for (bytes, term) in canonical {
        assert_eq!(round_trip(bytes), Ok(encode(&term)), "{bytes:?} reads as {term}");
    }

    const MALFORMED: i64 = -2;
    const RANGE: i64 = -4;
    const UNSUPPORTED: i64 = -5;
    let mut deep = vec![131];
    for _ in 0..200 {
        deep.extend_from_slice(&[104, 1]);
    }
    deep.push(106);
    let refused: Vec<(&str, Vec<u8>, i64)> = vec![
        ("empty", vec![], MALFORMED),
        ("a version byte alone", vec![131], MALFORMED),
        ("another version", vec![130, 97, 1], MALFORMED),
        ("cut short", vec![131, 97], MALFORMED),
        ("a binary longer than its bytes", vec![131, 109, 0, 0, 0, 10, 1, 2], MALFORMED),
        ("a tuple with too few elements", vec![131, 104, 3, 97, 1], MALFORMED),
        ("a list length past the end", vec![131, 108, 255, 255, 255, 255, 106], MALFORMED),
        ("a map without its last value", vec![131, 116, 0, 0, 0, 1, 97, 1], MALFORMED),
        ("nested 200 deep", deep, MALFORMED),
        ("bytes after the term", vec![131, 97, 1, 97, 2], MALFORMED),
        ("an atom of bad UTF-8", vec![131, 119, 2, 0xff, 0xfe], MALFORMED),
        ("an integer beyond i64", vec![131, 110, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9], RANGE),
        ("a NaN", vec![131, 70, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0], RANGE),
        ("a key twice", vec![131, 116, 0, 0, 0, 2, 97, 1, 97, 1, 97, 1, 97, 2], RANGE),
        ("another node's pid", encode(&Term::Pid(TermPid::new("a@b", 1, 2, 3))), RANGE),
        ("a compressed term", vec![131, 80, 0, 0, 0, 1, 120, 156], UNSUPPORTED),
        ("an improper list", vec![131, 108, 0, 0, 0, 1, 97, 1, 97, 2], UNSUPPORTED),
    ];
    for (what, bytes, error) in refused {
        assert_eq!(round_trip(&bytes), Err(error), "{what}: {bytes:?}");
    }
    inbox.send(echo.pid(), 0, b"");
    finish_normally(&echo);
}

/// A guest built with wasi-libc (snprintf, malloc, printf) beside the ABI.
#[test]
fn c_guest_with_wasi_libc() {
    let node = node(2);
    let module = load_c(&node, "c-hello-libc", warren_test_artifacts::C_HELLO_LIBC);
    let inbox = node.inbox();
    let hello = spawn(&node, &module, "main", &pid_bytes(inbox.pid()));
    let text = recv_tag(&inbox, 1);
    assert_eq!(String::from_utf8_lossy(&text.data), format!("hello from {}, 6 * 7 = 42", hello.pid()));
    finish_normally(&hello);
}

/// `warren run` runs a C guest built with wasi-libc: its printf reaches
/// stdout and a normal end exits 0.
#[test]
fn warren_run_runs_a_c_guest_with_wasi_libc() {
    crate::cli::warren(&["run", "--entry", "main", warren_test_artifacts::C_HELLO_LIBC])
        .expect_code(0)
        .stdout_has("hello from <0.0.1>, 6 * 7 = 42");
}

/// The crash is also what the host sees (the tests above read it through
/// guests; this reads the exit reason itself).
#[test]
fn c_worker_exit_reason_is_the_trap() {
    let node = node(1);
    let module = load_c(&node, "c-crasher", warren_test_artifacts::C_CRASHER);
    let inbox = node.inbox();
    let worker = spawn(&node, &module, "worker", b"");
    inbox.send(worker.pid(), 1, b"bad");
    expect_trap(&finish(&worker), &["unreachable"]);
}

/// Random corruptions of valid terms (bytes changed, cut, repeated): the C
/// reader refuses whatever the Rust crate refuses, never traps, and for
/// what Rust reads it either writes Rust's bytes back or refuses it as
/// outside its subset (an integer beyond i64, a foreign pid, an improper
/// list: `RANGE` or `UNSUPPORTED`), never as malformed. Deterministic: a
/// fixed seed (`WARREN_C_TERM_SEED` tries another).
#[test]
fn c_term_reader_agrees_with_the_rust_crate_on_corrupted_input() {
    const RANGE: i64 = -4;
    const UNSUPPORTED: i64 = -5;
    let node = node(2);
    let module = load_c(&node, "c-term-codec", warren_test_artifacts::C_TERM_CODEC);
    let inbox = node.inbox();
    let echo = spawn(&node, &module, "decode_echo", b"");
    let seeds: Vec<Vec<u8>> = c_term_table().iter().map(encode).filter(|bytes| bytes.len() < 2048).collect();
    let seed = std::env::var("WARREN_C_TERM_SEED").ok().and_then(|s| s.parse().ok());
    let mut state: u64 = seed.unwrap_or(0x9e37_79b9_7f4a_7c15) | 1;
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let (mut same, mut outside, mut refused) = (0, 0, 0);
    for round in 0..3000 {
        let mut bytes = seeds[next() as usize % seeds.len()].clone();
        for _ in 0..1 + next() % 3 {
            let at = next() as usize % bytes.len();
            match next() % 4 {
                0 => bytes[at] = next() as u8,
                1 => bytes[at] ^= 1 << (next() % 8),
                2 => bytes.truncate(at.max(1)),
                _ => {
                    let copy = bytes[at..].to_vec();
                    bytes.extend_from_slice(&copy[..copy.len().min(16)]);
                }
            }
        }
        inbox.send(echo.pid(), 5, &bytes);
        let answer = recv(&inbox);
        let c = match answer.tag {
            1 => Ok(answer.data.to_vec()),
            2 => Err(as_i64(&answer.data)),
            _ => panic!("round {round}: unexpected answer {answer:?}"),
        };
        match term::decode(&bytes) {
            Ok(t) => match c {
                Ok(written) => {
                    same += 1;
                    assert_eq!(written, encode(&t), "round {round}: {bytes:?} reads as {t}");
                }
                Err(code) => {
                    outside += 1;
                    assert!(code == RANGE || code == UNSUPPORTED, "round {round}: C refuses {t} ({bytes:?}): {code}");
                }
            },
            Err(e) => {
                refused += 1;
                assert!(c.is_err(), "round {round}: Rust refuses {bytes:?} ({e}); C reads it: {c:?}");
            }
        }
    }
    assert!(
        same > 100 && refused > 100,
        "both kinds were tried: {same} read alike, {outside} outside, {refused} refused"
    );
    inbox.send(echo.pid(), 0, b"");
    finish_normally(&echo);
}
