//! Byte-for-byte agreement with a real Erlang: Erlang's `term_to_binary`
//! of a table of terms (written in Erlang syntax by `Term`'s `Display`, or
//! by hand for the serde cases) must equal this crate's encoding, through
//! `Term` and through serde; the Rust decoder must read Erlang's bytes
//! (including forms this crate never writes: old floats, UTF-8 atoms,
//! large maps in hash order, Erlang's own pids and references); and Erlang
//! must read this crate's pids and references and write them back
//! unchanged.
//!
//! One `erl` run for all of it. Needs Erlang/OTP (`erl` on the PATH;
//! Debian/Ubuntu package `erlang-nox`, which ./test.sh installs); written
//! for OTP 25, whose `term_to_binary` is the reference.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::process::Command;
use warren_term::{Atom, Pid, Reference, Term, decode, encode, from_slice, to_vec};

/// How Erlang treats a fixture.
#[derive(Clone, Copy)]
enum Kind {
    /// `term_to_binary(T)`.
    Term,
    /// `term_to_binary(T, [{minor_version, 0}])`: floats as FLOAT_EXT.
    OldFloats,
    /// `term_to_binary(T, [{minor_version, 2}])`: every atom as UTF-8.
    Utf8Atoms,
    /// `term_to_binary(binary_to_term(T))`: T is bytes this crate wrote.
    Back,
    /// `term_to_binary(self())`.
    OwnPid,
    /// `term_to_binary(make_ref())`.
    OwnRef,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Term => "term",
            Kind::OldFloats => "v0",
            Kind::Utf8Atoms => "v2",
            Kind::Back => "back",
            Kind::OwnPid => "self",
            Kind::OwnRef => "ref",
        }
    }
}

/// Runs `erl` once over `fixtures` (kind, Erlang source of a term) and
/// returns what it wrote for each.
fn erlang(fixtures: &[(Kind, String)]) -> Vec<Vec<u8>> {
    let mut file = String::from("%% -*- coding: utf-8 -*-\n");
    for (kind, source) in fixtures {
        writeln!(file, "{{{}, {source}}}.", kind.name()).unwrap();
    }
    let dir = std::env::temp_dir().join(format!("warren-term-erlang-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fixtures.eterm");
    std::fs::write(&path, file).unwrap();
    let code = format!(
        r#"{{ok, Fs}} = file:consult("{}"),
        Hex = fun(B) -> [io_lib:format("~2.16.0b", [X]) || <<X>> <= B] end,
        Enc = fun({{term, T}}) -> term_to_binary(T);
                 ({{v0, T}}) -> term_to_binary(T, [{{minor_version, 0}}]);
                 ({{v2, T}}) -> term_to_binary(T, [{{minor_version, 2}}]);
                 ({{back, B}}) -> term_to_binary(binary_to_term(B));
                 ({{self, _}}) -> term_to_binary(self());
                 ({{ref, _}}) -> term_to_binary(make_ref()) end,
        io:format("otp ~s~n", [erlang:system_info(otp_release)]),
        [io:format("~s~n", [Hex(Enc(F))]) || F <- Fs],
        halt()."#,
        path.display()
    );
    let output = match Command::new("erl").args(["-noshell", "-eval", &code]).output() {
        Ok(output) => output,
        Err(error) => panic!(
            "cannot run `erl` ({error}): this test compares the codec with a real Erlang/OTP; \
             install it (Debian/Ubuntu: `apt-get install erlang-nox`; ./test.sh does)"
        ),
    };
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "erl failed: {stdout}{}", String::from_utf8_lossy(&output.stderr));
    let mut lines = stdout.lines();
    let release = lines.next().unwrap_or_default();
    // term_to_binary changed in OTP 26 (UTF-8 atoms by default): the
    // expected bytes are OTP 25's.
    assert_eq!(release, "otp 25", "this test expects Erlang/OTP 25");
    let encoded: Vec<Vec<u8>> = lines
        .map(|line| (0..line.len()).step_by(2).map(|i| u8::from_str_radix(&line[i..i + 2], 16).unwrap()).collect())
        .collect();
    assert_eq!(encoded.len(), fixtures.len(), "erl wrote {stdout}");
    encoded
}

/// An Erlang binary literal of `bytes`.
fn binary_literal(bytes: &[u8]) -> String {
    let list: Vec<String> = bytes.iter().map(u8::to_string).collect();
    format!("<<{}>>", list.join(","))
}

/// The terms whose Erlang syntax is their `Display`.
fn terms() -> Vec<Term> {
    let int = |v: i128| Term::from(v);
    let mut terms: Vec<Term> = [
        0,
        1,
        255,
        256,
        -1,
        -255,
        (1 << 31) - 1,
        1 << 31,
        -(1 << 31),
        -(1 << 31) - 1,
        1 << 32,
        (1 << 63) - 1,
        -(1 << 63),
        1 << 63,
        (1 << 64) - 1,
        1 << 64,
        i128::MAX,
        i128::MIN,
    ]
    .into_iter()
    .map(int)
    .collect();
    let mut big = vec![0u8; 300];
    big[299] = 7;
    terms.push(Term::from_magnitude(false, &big)); // LARGE_BIG_EXT
    terms.push(Term::from_magnitude(true, &big));
    for float in [0.0, -0.0, 1.5, -2.5, 1.0e300, 0.1, 1.0e-10, 5.0e-324, 1.7976931348623157e308, 123456.789] {
        terms.push(Term::Float(float));
    }
    for atom in ["ok", "nil", "true", "hello world", "é", "ÿü", "日本", "", "Elixir.Point", "a@b", "don't"] {
        terms.push(Term::atom(String::from(atom)));
    }
    let long: String = std::iter::repeat_n('日', 100).collect();
    terms.push(Term::atom(long)); // ATOM_UTF8_EXT: 300 bytes
    terms.push(Term::atom(String::from_iter(std::iter::repeat_n('a', 255))));
    terms.extend([
        Term::binary(*b""),
        Term::string("text"),
        Term::binary([0u8, 1, 255]),
        Term::tuple([]),
        Term::tuple([Term::atom("ok"), Term::from(1)]),
        Term::tuple(vec![Term::from(1); 256]),
        Term::list([]),
        Term::list([Term::from(1), Term::from(2), Term::from(3)]),
        Term::list([Term::from(1), Term::from(256)]),
        Term::list([Term::atom("a"), Term::list([Term::string("b")]), Term::tuple([Term::Float(1.0)])]),
        Term::list(vec![Term::from(7); 65535]),
        Term::list(vec![Term::from(7); 65536]),
        Term::ImproperList(vec![Term::from(1), Term::from(2)], Term::from(3).into()),
        Term::ImproperList(vec![Term::atom("a")], Term::string("tail").into()),
        Term::map([]),
        Term::map([(Term::atom("b"), Term::from(1)), (Term::atom("a"), Term::from(2))]),
        Term::map([
            (Term::Float(1.0), Term::atom("a")),
            (Term::from(2), Term::atom("b")),
            (Term::from(1), Term::atom("c")),
            (Term::from(1u128 << 70), Term::atom("d")),
        ]),
        Term::map([
            (Term::atom("z"), Term::list([])),
            (Term::string("x"), Term::from(1)),
            (Term::tuple([Term::from(1)]), Term::from(2)),
            (Term::list([]), Term::from(3)),
            (Term::list([Term::from(1)]), Term::from(4)),
            (Term::map([]), Term::from(5)),
            (Term::from(-5), Term::from(6)),
            (Term::atom("日本"), Term::from(7)),
            (Term::atom("é"), Term::from(8)),
            (Term::atom("e"), Term::from(9)),
        ]),
        // 32 keys: the largest map Erlang keeps sorted.
        Term::map((0..32).map(|i| (Term::atom(format!("k{i}")), Term::from(i)))),
        Term::map([(Term::atom("nested"), Term::map([(Term::from(1), Term::tuple([]))]))]),
    ]);
    terms
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Point {
    // Declared out of order: the map is written sorted, as Erlang does.
    y: i32,
    x: i32,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct ElixirPoint {
    #[serde(rename = "__struct__")]
    module: Atom,
    x: i32,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Shape {
    Empty,
    DarkRed,
    Circle(f64),
    Line(Point, Point),
    Rect { w: u8, h: u8 },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Ping;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Config {
    name: String,
    #[serde(with = "serde_bytes")]
    key: Vec<u8>,
    ports: Vec<u16>,
    limit: Option<u64>,
    parent: Option<u64>,
    ratio: f32,
    tags: BTreeMap<String, bool>,
}

/// A serde case: the bytes of a Rust value, Erlang's syntax for the term
/// Rustler would make of it, and a check that it reads back.
struct SerdeCase {
    bytes: Vec<u8>,
    erlang: &'static str,
    reads_back: bool,
}

fn case<T: Serialize + for<'de> Deserialize<'de> + PartialEq>(value: T, erlang: &'static str) -> SerdeCase {
    let bytes = to_vec(&value).unwrap();
    let reads_back = from_slice::<T>(&bytes).is_ok_and(|back| back == value);
    SerdeCase { bytes, erlang, reads_back }
}

fn serde_cases() -> Vec<SerdeCase> {
    vec![
        case(Point { y: 2, x: 1 }, "#{x => 1, y => 2}"),
        case(ElixirPoint { module: Atom::from("Elixir.Point"), x: 1 }, "#{'__struct__' => 'Elixir.Point', x => 1}"),
        case(Shape::Empty, "empty"),
        case(Shape::DarkRed, "dark_red"),
        case(Shape::Circle(1.5), "{circle, 1.5}"),
        case(Shape::Line(Point { y: 0, x: 0 }, Point { y: 1, x: -1 }), "{line, #{x => 0, y => 0}, #{x => -1, y => 1}}"),
        case(Shape::Rect { w: 2, h: 3 }, "{rect, #{w => 2, h => 3}}"),
        case(Ping, "ping"),
        case((), "{}"),
        case(None::<i32>, "nil"),
        case(Some(5), "5"),
        case(true, "true"),
        case((1u8, String::from("a"), false), "{1, <<\"a\">>, false}"),
        case(vec![1u8, 2, 3], "[1, 2, 3]"),
        case(vec![1000u32, 2], "[1000, 2]"),
        case(Vec::<String>::new(), "[]"),
        case(serde_bytes::ByteBuf::from(vec![1u8, 2, 3]), "<<1, 2, 3>>"),
        case(String::from("日本"), "<<230,151,165,230,156,172>>"),
        case(BTreeMap::from([(String::from("b"), 1), (String::from("a"), 2)]), "#{<<\"a\">> => 2, <<\"b\">> => 1}"),
        case(BTreeMap::from([(3u16, 'a'), (300, 'b')]), "#{3 => 97, 300 => 98}"),
        case(u64::MAX, "18446744073709551615"),
        case(i64::MIN, "-9223372036854775808"),
        case(u128::MAX, "340282366920938463463374607431768211455"),
        case(-1i8, "-1"),
        case(2.5f32, "2.5"),
        case(
            Config {
                name: String::from("db"),
                key: vec![0, 255],
                ports: vec![80, 443],
                limit: None,
                parent: Some(7),
                ratio: 0.5,
                tags: BTreeMap::from([(String::from("fast"), true)]),
            },
            "#{name => <<\"db\">>, key => <<0, 255>>, ports => [80, 443], limit => nil, parent => 7, ratio => 0.5, \
             tags => #{<<\"fast\">> => true}}",
        ),
    ]
}

/// Values that Erlang must read back and write unchanged (it has no
/// literal syntax for pids and references).
fn back_cases() -> Vec<Vec<u8>> {
    #[derive(Serialize)]
    struct Down {
        pid: Pid,
        monitor: Reference,
    }
    let mut cases: Vec<Vec<u8>> = [
        Term::Pid(Pid::local((1 << 28) | 5)),
        Term::Pid(Pid::local(0)),
        // The largest local pid a non-distributed Erlang accepts
        // (number 15 bits, serial 13 bits).
        Term::Pid(Pid::local((8191 << 28) | 32767)),
        Term::Pid(Pid::new("other@host", 1 << 30, u32::MAX, 7)),
        Term::Reference(Reference::local(0)),
        Term::Reference(Reference::local(5)),
        Term::Reference(Reference::local(u64::MAX)),
        Term::Reference(Reference::new("other@host", 3, &[1, 2, 3, 4, 5]).unwrap()),
        Term::tuple([Term::atom("DOWN"), Term::Reference(Reference::local(1 << 40)), Term::Pid(Pid::local(9))]),
    ]
    .iter()
    .map(|term| encode(term).unwrap())
    .collect();
    cases.push(to_vec(&Down { pid: Pid::local(3), monitor: Reference::local(77) }).unwrap());
    cases
}

#[test]
fn agrees_with_erlang_term_to_binary() {
    let terms = terms();
    let serde_cases = serde_cases();
    let back = back_cases();
    let old_floats = [1.5, 0.1, -1.0e300, 5.0e-324];
    let large_map = Term::map((0..40).map(|i| (Term::from(i), Term::atom(format!("v{i}")))));
    let utf8_atoms = Term::tuple([Term::atom("ok"), Term::atom("é"), Term::list([Term::atom("nonode@nohost")])]);

    let mut fixtures: Vec<(Kind, String)> = Vec::new();
    fixtures.extend(terms.iter().map(|term| (Kind::Term, term.to_string())));
    fixtures.extend(serde_cases.iter().map(|case| (Kind::Term, case.erlang.to_string())));
    fixtures.extend(back.iter().map(|bytes| (Kind::Back, binary_literal(bytes))));
    fixtures.extend(old_floats.iter().map(|float| (Kind::OldFloats, Term::Float(*float).to_string())));
    fixtures.push((Kind::Term, large_map.to_string()));
    fixtures.push((Kind::Utf8Atoms, utf8_atoms.to_string()));
    fixtures.push((Kind::OwnPid, String::from("x")));
    fixtures.push((Kind::OwnRef, String::from("x")));
    let mut erlang = erlang(&fixtures).into_iter();

    // Term: encode is term_to_binary; decode reads it back.
    for term in &terms {
        let expected = erlang.next().unwrap();
        let ours = encode(term).unwrap();
        assert_eq!(ours, expected, "encode({term})");
        assert_eq!(to_vec(term).unwrap(), expected, "to_vec({term})");
        assert_eq!(&decode(&expected).unwrap(), term, "decode of Erlang's {term}");
        assert_eq!(&from_slice::<Term>(&expected).unwrap(), term, "from_slice of Erlang's {term}");
    }
    // serde: Rust values as Rustler maps them.
    for case in &serde_cases {
        let expected = erlang.next().unwrap();
        assert_eq!(case.bytes, expected, "to_vec of {}: ours {}", case.erlang, decode(&case.bytes).unwrap());
        assert!(case.reads_back, "{} does not read back", case.erlang);
    }
    // Pids and references: Erlang reads ours as the same terms.
    for bytes in &back {
        let expected = erlang.next().unwrap();
        assert_eq!(bytes, &expected, "Erlang wrote {} back differently", decode(bytes).unwrap());
    }
    // Forms this crate never writes, read from Erlang.
    for float in old_floats {
        let bytes = erlang.next().unwrap();
        assert_eq!(bytes[1], warren_term::tag::FLOAT_EXT);
        assert_eq!(decode(&bytes).unwrap(), Term::Float(float));
        assert_eq!(from_slice::<f64>(&bytes).unwrap(), float);
    }
    let bytes = erlang.next().unwrap();
    assert_ne!(bytes, encode(&large_map).unwrap(), "Erlang writes a 40-key map in hash order");
    assert_eq!(decode(&bytes).unwrap(), large_map);
    assert_eq!(from_slice::<BTreeMap<u8, Atom>>(&bytes).unwrap().len(), 40);
    let bytes = erlang.next().unwrap();
    assert_eq!(bytes[3], warren_term::tag::SMALL_ATOM_UTF8_EXT);
    assert_eq!(decode(&bytes).unwrap(), utf8_atoms);
    for kind in ["pid", "reference"] {
        let bytes = erlang.next().unwrap();
        let term = decode(&bytes).unwrap();
        // Of node nonode@nohost, creation 0. (An Erlang reference has 82
        // bits, so it is not always a Warren one: to_local may say no.)
        let local = match &term {
            Term::Pid(pid) => pid.to_local().is_some(),
            Term::Reference(reference) => reference.node() == warren_term::LOCAL_NODE && reference.creation() == 0,
            _ => false,
        };
        assert!(local, "Erlang's own {kind} {term} is of this node");
        assert_eq!(encode(&term).unwrap(), bytes, "Erlang's own {kind} {term}");
    }
}
