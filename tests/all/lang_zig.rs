//! Guests in Zig (`guests/zig`, built by guests/artifacts/build.rs): the
//! binding `warren.zig` and its term codec `term.zig` end to end, on one
//! node shared by this file's tests (each test uses names of its own).
//!
//! Terms the guests send are decoded, and terms sent to them encoded, with
//! the Rust crate (`warren_host::term`), so each test also holds the Zig
//! codec to the Rust one. The import check of the binding
//! (guests/zig/abi_all.zig) is in tests/all/bindings.rs, with the other
//! languages'.

use crate::common::*;
use crate::term_helpers::*;
use std::sync::OnceLock;
use warren_host::term::{self, Pid as TermPid, Reference, Term};
use warren_host::{CallError, REASON_SHUTDOWN, REASON_TRAP};

/// The shared node, with every Zig guest loaded under the name its test
/// uses (the supervisor test names its own module in its child spec).
fn shared() -> &'static Node {
    static NODE: OnceLock<Node> = OnceLock::new();
    NODE.get_or_init(|| {
        let node = node(2);
        for (name, path) in [
            ("zig_echo", warren_test_artifacts::ZIG_ECHO),
            ("zig_echo_wasi", warren_test_artifacts::ZIG_ECHO_WASI),
            ("zig_counter", warren_test_artifacts::ZIG_COUNTER),
            ("zig_worker", warren_test_artifacts::ZIG_WORKER),
            ("zig_terms", warren_test_artifacts::ZIG_TERMS),
            ("zig_tour", warren_test_artifacts::ZIG_TOUR),
            ("zig_conformance", warren_test_artifacts::ZIG_CONFORMANCE),
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

/// The next report on `inbox`: tag 1, a term.
fn report(inbox: &Inbox) -> Term {
    decode(&recv_tag(inbox, 1).data)
}

#[test]
fn zig_echo_server_echoes_in_blocking_style() {
    let node = shared();
    let echo = spawn(node, &module("zig_echo"), "main", b"");
    let inbox = node.inbox();
    inbox.send(echo.pid(), 7, b"hello");
    // Larger than the guest's 4 KiB buffer: read on its heap.
    let large: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    inbox.send(echo.pid(), 8, &large);
    let first = recv_tag(&inbox, 7);
    assert_eq!((&first.data[..], first.sender), (&b"hello"[..], echo.pid()));
    assert_eq!(recv_tag(&inbox, 8).data.to_vec(), large);
    node.exit(echo.pid(), ExitReason::Kill);
}

#[test]
fn zig_echo_built_for_wasi_echoes() {
    let node = shared();
    let echo = spawn(node, &module("zig_echo_wasi"), "main", b"");
    let inbox = node.inbox();
    inbox.send(echo.pid(), 3, b"wasi");
    assert_eq!(&recv_tag(&inbox, 3).data[..], b"wasi");
    node.exit(echo.pid(), ExitReason::Kill);
}

#[test]
fn zig_handler_style_echo_hibernates_and_keeps_its_memory() {
    let node = shared();
    let echo = spawn(node, &module("zig_echo"), "serve", b"");
    let inbox = node.inbox();
    inbox.send(echo.pid(), 1, b"one");
    assert_eq!(&recv_tag(&inbox, 1).data[..], b"one");
    until_hibernated(node, echo.pid());
    inbox.send(echo.pid(), 2, b"two");
    assert_eq!(&recv_tag(&inbox, 2).data[..], b"two");
    until_hibernated(node, echo.pid());
    inbox.send(echo.pid(), 3, b"count");
    assert_eq!(as_i64(&recv_tag(&inbox, 3).data), 2, "the count survives two hibernations");
    inbox.send(echo.pid(), 4, b"stop");
    finish_normally(&echo);
}

#[test]
fn zig_counter_serves_calls_and_casts_and_system_requests() {
    let node = shared();
    let counter = spawn(node, &module("zig_counter"), "main", b"zig_counter");
    let call = |request: Term| -> Term {
        let reply = node.call(counter.pid(), &encode(&request), PATIENCE).unwrap_or_else(|e| panic!("call: {e}"));
        decode(&reply)
    };
    assert_eq!(call(tuple([atom("get")])), int(0));
    // Its entry has run (it serves calls): its name is there.
    assert_eq!(node.whereis("zig_counter"), Some(counter.pid()), "registered under its argument");
    let big = 1i64 << 40;
    assert_eq!(call(tuple([atom("add"), int(big)])), tuple([atom("ok"), int(big)]));

    // Three casts and a call from one Zig client: one sender's messages
    // arrive in order, so the call sees them all. (Casts from this test's
    // inbox would race `node.call`, which calls from an inbox of its own.)
    let inbox = node.inbox();
    let client = spawn(node, &module("zig_counter"), "client", &reporter_arg(&inbox, &pid_bytes(counter.pid())));
    let state = Term::binary(format!("count={}", big + 3).into_bytes());
    assert_eq!(report(&inbox), tuple([atom("got"), int(big + 3), state]), "the call and the system call");
    finish_normally(&client);

    assert_eq!(node.get_state(counter.pid(), PATIENCE).expect("get_state"), format!("count={}", big + 3));
    let status = node.get_status(counter.pid(), PATIENCE).expect("get_status");
    assert_eq!(status.map_get(&atom("behaviour")), Some(&atom("gen_server")), "{status}");
    assert_eq!(status.map_get(&atom("name")), Some(&Term::binary(&b"zig_counter"[..])), "{status}");
    assert_eq!(status.map_get(&atom("status")), Some(&atom("running")), "{status}");

    assert_eq!(call(tuple([atom("bogus")])), tuple([atom("error"), atom("bad_request")]));
    let not_a_term = node.call(counter.pid(), b"\x00\x01", PATIENCE).expect("a reply");
    assert_eq!(decode(&not_a_term), tuple([atom("error"), atom("bad_request")]));
    assert_eq!(call(tuple([atom("stop")])), atom("ok"));
    finish_normally(&counter);
    assert_eq!(node.whereis("zig_counter"), None);
    assert!(matches!(node.call(counter.pid(), b"", PATIENCE), Err(CallError::Noproc)));
}

#[test]
fn zig_worker_crash_is_seen_by_a_linked_and_a_monitoring_process() {
    let node = shared();
    let worker_module = module("zig_worker");
    let inbox = node.inbox();
    let linked = spawn(node, &worker_module, "linked", &pid_bytes(inbox.pid()));
    let reported = decode(&recv_tag(&inbox, 10).data);
    let fields = reported.as_tuple().expect("{worker, Pid}");
    let worker = local_pid(&fields[1]);
    let monitoring = spawn(node, &worker_module, "monitoring", &reporter_arg(&inbox, &pid_bytes(worker)));
    let watching = decode(&recv_tag(&inbox, 13).data);
    let Term::Reference(reference) = &watching.as_tuple().expect("{monitoring, Ref}")[1] else {
        panic!("{watching} holds no reference")
    };
    let reference = reference.clone();

    // It works on a good message...
    inbox.send(worker, 1, &encode(&tuple([atom("work"), int(21)])));
    assert_eq!(decode(&recv_tag(&inbox, 2).data), tuple([atom("done"), int(42)]));
    // ...and traps on a bad one.
    inbox.send(worker, 1, b"not a term");
    let reports = recv_by_tag(&inbox, 2);
    let exit = decode(&reports[&11].data);
    let down = decode(&reports[&12].data);
    let exit = exit.as_tuple().expect("{exit, From, Kind, Detail}");
    let down = down.as_tuple().expect("{down, Ref, Pid, Kind, Detail}");
    assert_eq!((&exit[0], local_pid(&exit[1]), &exit[2]), (&atom("exit"), worker, &int(REASON_TRAP.into())));
    assert_eq!(&down[0], &atom("down"));
    assert_eq!(down[1], Term::Reference(reference), "the DOWN carries the monitor's reference");
    assert_eq!((local_pid(&down[2]), &down[3]), (worker, &int(REASON_TRAP.into())));
    let detail = |t: &Term| String::from_utf8_lossy(t.as_binary().expect("a binary detail")).into_owned();
    assert!(detail(&exit[3]).contains("unreachable"), "a panic is a trap: {}", detail(&exit[3]));
    assert_eq!(detail(&exit[3]), detail(&down[4]), "both see the same reason");
    finish_normally(&linked);
    finish_normally(&monitoring);
    assert!(!node.is_alive(worker));
}

#[test]
fn zig_tables() {
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("zig_tour"), "tables", &pid_bytes(inbox.pid()));
    let b = |s: &str| Term::binary(s.as_bytes());
    let expected = Term::tuple(vec![
        atom("tables"),
        bool_atom(true),                          // a second table of that name: ERR_TABLE_NAME_TAKEN
        bool_atom(true),                          // insert_new of a new key
        bool_atom(false),                         // insert_new of a present key
        int(2),                                   // insert_many's records
        b("1"),                                   // lookup
        bool_atom(true),                          // lookup of a missing key: ERR_NOT_FOUND
        int(15),                                  // update_counter from its default, 10 + 5
        int(12),                                  // and again, - 3
        b("a"),                                   // first key of the ordered_set
        b("b"),                                   // next after "a"
        Term::list(vec![b("b"), b("c"), b("d")]), // range b..=d
        b("5"),                                   // take
        bool_atom(false),                         // member after take
        int(5),                                   // size: a, b, c, d, hits
        bool_atom(true),                          // info: owner, kind, id
        bool_atom(true),                          // a 5000-byte value does not fit 16 bytes
        int(5000),                                // it is pending
        bool_atom(true),                          // and read whole with an allocator
    ]);
    assert_eq!(report(&inbox), expected);
    finish_normally(&guest);
}

#[test]
fn zig_timers() {
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("zig_tour"), "timers", &pid_bytes(inbox.pid()));
    let all_true = [0; 6].map(|_| bool_atom(true));
    let mut expected = vec![atom("timers")];
    expected.extend(all_true);
    assert_eq!(report(&inbox), Term::tuple(expected), "tick, named, read, cancelled, cancel twice, nothing late");
    finish_normally(&guest);
}

#[test]
fn zig_names_and_registries() {
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("zig_tour"), "names", &pid_bytes(inbox.pid()));
    let expected = Term::tuple(vec![
        atom("names"),
        bool_atom(true),                                                      // whereis
        bool_atom(true),                                                      // a second name: ERR_ALREADY_NAMED
        bool_atom(true),                                                      // registered lists it
        bool_atom(true),                                                      // send_named reached it
        Term::list(vec![Term::binary(&b"v1"[..]), Term::binary(&b"v2"[..])]), // lookup, in order
        int(2),                                                               // dispatch
        bool_atom(true),                                                      // unregistered from the registry
        bool_atom(true),                                                      // unregister: whereis finds nobody
        bool_atom(true),                                                      // send_named to nobody: ERR_NO_SUCH_NAME
    ]);
    assert_eq!(report(&inbox), expected);
    finish_normally(&guest);
}

#[test]
fn zig_supervisor_restarts_its_child() {
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("zig_tour"), "supervise", &reporter_arg(&inbox, b"zig_tour"));
    let expected = tuple([
        atom("supervise"),
        bool_atom(true), // the killed child's DOWN: killed
        bool_atom(true), // a new child
        int(1),          // one active child
        bool_atom(true), // the supervisor's EXIT
        int(REASON_SHUTDOWN.into()),
    ]);
    assert_eq!(report(&inbox), expected);
    finish_normally(&guest);
}

#[test]
fn zig_spawn_options_narrow_the_childs_capabilities() {
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("zig_tour"), "caps", &pid_bytes(inbox.pid()));
    assert_eq!(report(&inbox), tuple([atom("caps"), bool_atom(true)]), "the child may not spawn");
    assert_eq!(report(&inbox), tuple([atom("caps_done"), int(0)]), "and it ended normally");
    finish_normally(&guest);
}

/// Terms the Rust crate writes, each with the reason it is in the table.
fn term_table() -> Vec<Term> {
    let pid = TermPid::local(Pid::from_raw(5 | (3 << 28)).expect("a pid").raw());
    let mut values = vec![
        int(0),
        int(255),
        int(256),
        int(-1),
        int(i32::MAX.into()),
        int(i32::MIN.into()),
        int(i64::from(i32::MAX) + 1),
        int(i64::MIN),
        int(i64::MAX),
        Term::from_magnitude(false, &[0, 0, 0, 0, 0, 0, 0, 0, 1]),
        Term::from_magnitude(true, &[7; 300]), // LARGE_BIG_EXT
        Term::Float(1.5),
        Term::Float(-0.0),
        Term::Float(f64::MIN_POSITIVE),
        atom("ok"),
        atom("été"),
        atom("日本"),
        atom(&"x".repeat(255)),
        atom(&"日".repeat(100)), // ATOM_UTF8_EXT: more than 255 bytes
        Term::binary(&b""[..]),
        Term::binary((0..=255u8).collect::<Vec<u8>>()),
        tuple([]),
        Term::tuple((0..300).map(int).collect::<Vec<Term>>()),
        Term::list(vec![]),
        Term::list(vec![int(1), int(2), int(3)]),
        Term::list(vec![int(1), int(256)]),
        Term::list((0..70_000).map(|i| int(i % 256)).collect::<Vec<Term>>()), // too long for STRING_EXT
        Term::ImproperList(vec![int(1), atom("a")], Box::new(int(2))),
        Term::map(vec![
            (Term::binary(&b"k"[..]), int(1)),
            (atom("b"), int(2)),
            (tuple([]), int(3)),
            (atom("a"), int(4)),
            (int(7), Term::list(vec![])),
            (Term::Float(0.5), int(5)),
            (Term::list(vec![int(1)]), int(6)),
            (Term::list(vec![]), int(7)),
            (Term::Pid(pid.clone()), int(8)),
            (Term::Reference(Reference::local(9)), int(9)),
            (Term::map(vec![]), int(10)),
            (Term::from_magnitude(true, &[1; 9]), int(11)),
        ]),
        Term::Pid(pid.clone()),
        Term::Pid(TermPid::new("other@host".to_string(), 1, 2, 3)),
        Term::Reference(Reference::local(5)),
        Term::Reference(Reference::local(u64::MAX >> 1)),
        Term::Reference(Reference::new("other@host".to_string(), 7, &[1, 2, 3, 4, 5]).expect("a reference")),
    ];
    let mut nested = tuple([atom("leaf")]);
    for depth in 0..100 {
        nested = if depth % 2 == 0 { Term::list(vec![nested]) } else { tuple([nested, int(depth)]) };
    }
    values.push(nested);
    values
}

/// A term's text, cut to 120 characters for a failure message.
fn short(term: &Term) -> String {
    let text = term.to_string();
    match text.char_indices().nth(120) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text,
    }
}

/// Sends `bytes` to the codec guest; its answer: `Ok(bytes re-encoded)` or
/// `Err(the decoder's error name)`.
fn roundtrip(codec: Pid, inbox: &Inbox, bytes: &[u8]) -> Result<Vec<u8>, String> {
    inbox.send(codec, 1, bytes);
    let answer = recv(inbox);
    match answer.tag {
        2 => Ok(answer.data.to_vec()),
        3 => Err(String::from_utf8_lossy(&answer.data).into_owned()),
        other => panic!("the codec answers tag {other}: {:?}", String::from_utf8_lossy(&answer.data)),
    }
}

#[test]
fn zig_term_codec_writes_the_rust_crates_bytes() {
    let node = shared();
    let codec = spawn(node, &module("zig_terms"), "main", b"");
    let inbox = node.inbox();
    for value in term_table() {
        let bytes = encode(&value);
        let what = short(&value);
        let zig = roundtrip(codec.pid(), &inbox, &bytes).unwrap_or_else(|e| panic!("{what}: the Zig decoder says {e}"));
        // Compared as a whole, reported by its first difference (some
        // terms are large).
        let first_difference = zig.iter().zip(&bytes).position(|(a, b)| a != b);
        assert!(
            zig.len() == bytes.len() && first_difference.is_none(),
            "{what}: decoded and encoded again in Zig, {} bytes against {}, first difference at {first_difference:?}",
            zig.len(),
            bytes.len()
        );
    }
    // Spellings the encoders never write: the Zig decoder reads them, and
    // writes what the Rust crate writes for the same term.
    let other_spellings: &[&[u8]] = &[
        &[131, 108, 0, 0, 0, 2, 97, 1, 97, 2, 106],      // [1,2] as LIST_EXT
        &[131, 115, 2, b'o', b'k'],                      // SMALL_ATOM_EXT
        &[131, 118, 0, 2, b'o', b'k'],                   // ATOM_UTF8_EXT, ASCII
        &[131, 119, 2, 0xc3, 0xa9],                      // 'é' as SMALL_ATOM_UTF8_EXT
        &[131, 110, 2, 0, 1, 0],                         // 1 as SMALL_BIG_EXT
        &[131, 110, 9, 1, 0, 0, 0, 0, 0, 0, 0, 0x80, 0], // i64::MIN as a 9-digit big
        &[131, 98, 0, 0, 0, 5],                          // 5 as INTEGER_EXT
        &[131, 105, 0, 0, 0, 1, 97, 1],                  // {1} as LARGE_TUPLE_EXT
        &[131, 116, 0, 0, 0, 2, 100, 0, 1, b'b', 97, 1, 100, 0, 1, b'a', 97, 2], // keys out of order
        &[131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 106], // [1 | [2]]
        &[131, 108, 0, 0, 0, 0, 97, 7],                  // [ | 7]: just 7
        &[
            131, 103, 100, 0, 13, b'n', b'o', b'n', b'o', b'd', b'e', b'@', b'n', b'o', b'h', b'o', b's', b't', 0, 0,
            0, 5, 0, 0, 0, 1, 0,
        ], // PID_EXT
        &[131, 101, 100, 0, 1, b'n', 0, 0, 0, 9, 1],     // REFERENCE_EXT
        &[131, 114, 0, 1, 100, 0, 1, b'n', 2, 0, 0, 0, 9], // NEW_REFERENCE_EXT
    ];
    for &bytes in other_spellings {
        let rust = encode(&decode(bytes));
        let zig =
            roundtrip(codec.pid(), &inbox, bytes).unwrap_or_else(|e| panic!("{bytes:?}: the Zig decoder says {e}"));
        assert_eq!(zig, rust, "{bytes:?} ({}) written again", decode(bytes));
    }
    let mut float_ext = vec![131, 99];
    float_ext.extend_from_slice(format!("{:.20e}", 2.5f64).as_bytes());
    float_ext.resize(2 + 31, 0);
    assert_eq!(roundtrip(codec.pid(), &inbox, &float_ext), Ok(encode(&Term::Float(2.5))), "FLOAT_EXT");
    node.exit(codec.pid(), ExitReason::Kill);
}

#[test]
fn zig_term_codec_rejects_malformed_input() {
    let node = shared();
    let codec = spawn(node, &module("zig_terms"), "main", b"");
    let inbox = node.inbox();
    let mut nested_too_deep = vec![131];
    nested_too_deep.extend(std::iter::repeat_n([104, 1], 129).flatten());
    nested_too_deep.push(106);
    let mut nested_deepest = vec![131];
    nested_deepest.extend(std::iter::repeat_n([104, 1], 128).flatten());
    nested_deepest.push(106);
    let malformed: Vec<(&str, Vec<u8>)> = vec![
        ("empty", vec![]),
        ("no term", vec![131]),
        ("another version", vec![130, 106]),
        ("compressed", vec![80, 0, 0, 0, 1, 120, 156]),
        ("trailing bytes", vec![131, 106, 106]),
        ("a list claiming 4 Gi elements", vec![131, 108, 255, 255, 255, 255, 106]),
        ("a map claiming 4 Gi pairs", vec![131, 116, 255, 255, 255, 255]),
        ("a tuple claiming 255 elements", vec![131, 104, 255, 97, 1]),
        ("a binary longer than the input", vec![131, 109, 0, 0, 1, 0, 1, 2]),
        ("a big integer's sign byte", vec![131, 110, 1, 2, 5]),
        ("a NaN", vec![131, 70, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0]),
        ("an infinity", vec![131, 70, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0]),
        ("a map key twice", vec![131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 97, 1, 97, 3]),
        ("an atom that is not UTF-8", vec![131, 119, 1, 0xff]),
        ("an atom of 256 characters", [vec![131, 100, 1, 0], vec![b'a'; 256]].concat()),
        ("a reference of 6 words", vec![131, 90, 0, 6, 100, 0, 0, 0, 0, 0, 0]),
        ("a reference of no word", vec![131, 90, 0, 0, 100, 0, 0, 0, 0, 0, 0]),
        ("a bitstring", vec![131, 77, 0, 0, 0, 1, 3, 0xff]),
        ("a fun", vec![131, 113, 100, 0, 1, b'm', 100, 0, 1, b'f', 97, 0]),
        ("an unknown tag", vec![131, 1]),
        ("FLOAT_EXT that is no float", [vec![131, 99], vec![b'x'; 31]].concat()),
        ("129 nested tuples", nested_too_deep),
    ];
    for (what, bytes) in &malformed {
        assert!(term::decode(bytes).is_err(), "{what}: the Rust crate refuses it");
        let answer = roundtrip(codec.pid(), &inbox, bytes);
        assert!(answer.is_err(), "{what}: the Zig decoder accepts {bytes:?}: {answer:?}");
    }
    assert_eq!(roundtrip(codec.pid(), &inbox, &nested_deepest), Ok(nested_deepest.clone()), "128 containers are fine");
    // Every cut of a term is refused, and the guest survives them all.
    let whole = encode(&Term::map(vec![
        (atom("k"), Term::list(vec![Term::binary(&b"abc"[..]), Term::Float(1.5), int(1 << 40)])),
        (int(1), Term::Pid(TermPid::local(1 << 28))),
        (tuple([atom("é")]), Term::Reference(Reference::local(77))),
    ]));
    for cut in 0..whole.len() {
        let answer = roundtrip(codec.pid(), &inbox, &whole[..cut]);
        assert!(answer.is_err(), "the first {cut} bytes of {whole:?} are no term: {answer:?}");
    }
    assert_eq!(roundtrip(codec.pid(), &inbox, &whole), Ok(whole.clone()), "the whole term is");
    assert!(node.is_alive(codec.pid()), "no input crashes the decoder");
    node.exit(codec.pid(), ExitReason::Kill);
}

/// Random corruptions of valid terms (bytes changed, cut, repeated): the
/// Zig decoder refuses what the Rust crate refuses, and writes what it
/// writes for what both read. Deterministic: a fixed seed.
#[test]
fn zig_term_codec_agrees_with_the_rust_crate_on_corrupted_input() {
    let node = shared();
    let codec = spawn(node, &module("zig_terms"), "main", b"");
    let inbox = node.inbox();
    let seeds: Vec<Vec<u8>> = term_table().iter().filter(|t| encode(t).len() < 2048).map(encode).collect();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        // xorshift64*
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let (mut accepted, mut refused) = (0, 0);
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
        let zig = roundtrip(codec.pid(), &inbox, &bytes);
        match term::decode(&bytes) {
            Ok(t) => {
                accepted += 1;
                let rust = term::encode(&t).expect("what decodes encodes");
                assert_eq!(zig, Ok(rust), "round {round}: {bytes:?} reads as {}", short(&t));
            }
            Err(e) => {
                refused += 1;
                assert!(zig.is_err(), "round {round}: Rust refuses {bytes:?} ({e}); Zig reads it: {zig:?}");
            }
        }
    }
    assert!(accepted > 100 && refused > 100, "both kinds were tried: {accepted} read, {refused} refused");
    assert!(node.is_alive(codec.pid()));
    node.exit(codec.pid(), ExitReason::Kill);
}

#[test]
fn zig_terms_built_in_zig_are_the_rust_crates_bytes() {
    let node = shared();
    let inbox = node.inbox();
    let guest = spawn(node, &module("zig_terms"), "samples", &pid_bytes(inbox.pid()));
    let me = term_pid(guest.pid());
    let two_to_64 = [0, 0, 0, 0, 0, 0, 0, 0, 1];
    let expected = vec![
        int(0),
        int(255),
        int(256),
        int(-1),
        int(2147483647),
        int(-2147483648),
        int(2147483648),
        int(i64::MIN),
        int(i64::MAX),
        Term::from_magnitude(false, &two_to_64),
        Term::from_magnitude(true, &two_to_64),
        Term::Float(1.5),
        Term::Float(-0.0),
        Term::Float(1.0e300),
        atom("ok"),
        atom("été"),
        atom("日本"),
        atom(""),
        Term::binary(&b"hi"[..]),
        Term::binary(&b""[..]),
        tuple([]),
        tuple([atom("add"), int(1)]),
        Term::tuple((0..300).map(int).collect::<Vec<Term>>()),
        Term::list(vec![]),
        Term::list(vec![int(1), int(2), int(3)]),
        Term::list(vec![int(1), int(256)]),
        Term::list(vec![atom("a"), Term::binary(&b"b"[..])]),
        Term::ImproperList(vec![int(1)], Box::new(int(2))),
        Term::map(vec![
            (Term::binary(&b"k"[..]), int(1)),
            (atom("b"), int(2)),
            (tuple([]), int(3)),
            (atom("a"), int(4)),
            (int(7), Term::list(vec![])),
            (Term::Float(0.5), int(5)),
        ]),
        me.clone(),
        Term::Reference(Reference::local(5)),
        Term::Reference(Reference::local(i64::MAX as u64)),
        tuple([
            atom("ok"),
            Term::list(vec![Term::map(vec![(Term::binary(&b"k"[..]), Term::list(vec![Term::Float(2.5)]))])]),
            me,
        ]),
    ];
    for (i, value) in expected.iter().enumerate() {
        let message = recv(&inbox);
        assert_eq!(message.tag, i as i64 + 1, "sample {}", i + 1);
        assert!(
            message.data.to_vec() == encode(value),
            "sample {} is {}: {:?}",
            i + 1,
            short(value),
            &message.data[..message.data.len().min(64)]
        );
    }
    assert_eq!(recv(&inbox).tag, 0, "and the end");
    finish_normally(&guest);
}

/// The scenario every binding implements (tests/all/conformance.rs), by
/// guests/zig/conformance.zig.
#[test]
fn zig_conformance() {
    crate::conformance::run_conformance(shared(), "zig_conformance");
}
