//! Unit tests: every tag decoded, round trips, hostile input, the serde
//! mapping, Erlang syntax. The byte-for-byte comparison with a real Erlang
//! is in `tests/erlang.rs`.

extern crate std;

use crate::*;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// The bytes of `term` after the version byte.
fn body(term: &Term) -> Vec<u8> {
    encode(term).unwrap()[1..].to_vec()
}

/// `bytes` with the version byte in front.
fn v(bytes: &[u8]) -> Vec<u8> {
    let mut all = vec![131];
    all.extend_from_slice(bytes);
    all
}

fn atom_ext(text: &str) -> Vec<u8> {
    let mut bytes = vec![100, 0, text.len() as u8];
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

#[test]
fn integers_use_the_smallest_tag() {
    assert_eq!(body(&Term::from(0)), [97, 0]);
    assert_eq!(body(&Term::from(255)), [97, 255]);
    assert_eq!(body(&Term::from(256)), [98, 0, 0, 1, 0]);
    assert_eq!(body(&Term::from(-1)), [98, 255, 255, 255, 255]);
    assert_eq!(body(&Term::from(i32::MAX)), [98, 127, 255, 255, 255]);
    assert_eq!(body(&Term::from(i64::from(i32::MAX) + 1)), [110, 4, 0, 0, 0, 0, 128]);
    assert_eq!(body(&Term::from(i64::from(i32::MIN) - 1)), [110, 4, 1, 1, 0, 0, 128]);
    assert_eq!(body(&Term::from(u64::MAX)), [110, 8, 0, 255, 255, 255, 255, 255, 255, 255, 255]);
    assert_eq!(body(&Term::from(i64::MIN)), [110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 128]);
    // 2^2040: 256 digits, LARGE_BIG_EXT.
    let mut magnitude = vec![0u8; 256];
    magnitude[255] = 1;
    let big = Term::from_magnitude(false, &magnitude);
    let bytes = body(&big);
    assert_eq!(bytes[..6], [111, 0, 0, 1, 0, 0]);
    assert_eq!(decode(&v(&bytes)).unwrap(), big);
}

#[test]
fn integers_decode_from_every_tag_and_normalize() {
    for (bytes, value) in [
        (vec![97, 7], 7i128),
        (vec![98, 255, 255, 255, 254], -2),
        (vec![110, 1, 0, 5], 5),                                    // a big tag for a small value
        (vec![110, 9, 1, 0, 0, 0, 0, 0, 0, 0, 128, 0], -(1 << 63)), // trailing zero digit
        (vec![111, 0, 0, 0, 2, 1, 0, 1], -256),
        (vec![110, 0, 1], 0), // negative zero
        (vec![110, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], 1 << 64),
    ] {
        let term = decode(&v(&bytes)).unwrap();
        assert_eq!(term.as_i128(), Some(value), "{bytes:?}");
        assert_eq!(term, Term::from(value));
    }
    assert!(matches!(decode(&v(&[110, 1, 2, 5])).unwrap_err().kind(), ErrorKind::Invalid(_)));
}

#[test]
fn big_integers_print_in_decimal() {
    assert_eq!(Term::from(u64::MAX).to_string(), "18446744073709551615");
    assert_eq!(Term::from(i128::MIN).to_string(), "-170141183460469231731687303715884105728");
    assert_eq!(Term::from(1u128 << 64).to_string(), "18446744073709551616");
}

#[test]
fn floats() {
    assert_eq!(body(&Term::Float(1.5)), [70, 63, 248, 0, 0, 0, 0, 0, 0]);
    assert_eq!(body(&Term::Float(-0.0)), [70, 128, 0, 0, 0, 0, 0, 0, 0]);
    assert!(encode(&Term::Float(f64::NAN)).is_err());
    assert!(to_vec(&f64::INFINITY).is_err());
    // FLOAT_EXT: "%.20e" padded with NULs to 31 bytes.
    let mut old = vec![99];
    let mut text = b"1.50000000000000000000e+00".to_vec();
    text.resize(31, 0);
    old.extend_from_slice(&text);
    assert_eq!(decode(&v(&old)).unwrap(), Term::Float(1.5));
    // Erlang refuses non-finite floats; so do we.
    assert!(decode(&v(&[70, 127, 240, 0, 0, 0, 0, 0, 0])).is_err());
    for (value, text) in [
        (1.5, "1.5"),
        (1.0e300, "1.0e300"),
        (0.1, "0.1"),
        (100.0, "100.0"),
        (1000.0, "1.0e3"),
        (1.0e15, "1.0e15"),
        (1.2345678901234568e17, "1.2345678901234568e17"),
        (9007199254740992.0, "9.007199254740992e15"),
        (1000000000000001.0, "1000000000000001.0"),
        (0.0001, "0.0001"),
        (1.23e-4, "1.23e-4"),
        (1.0e-5, "1.0e-5"),
        (12345.678, "12345.678"),
        (-0.0, "-0.0"),
        (-2.5, "-2.5"),
        (5.0e-324, "5.0e-324"),
    ] {
        assert_eq!(Term::Float(value).to_string(), text);
    }
}

#[test]
fn atoms_as_otp_25_writes_them() {
    assert_eq!(body(&Term::atom("abc")), atom_ext("abc"));
    // Latin-1 atoms are ATOM_EXT with Latin-1 bytes.
    assert_eq!(body(&Term::atom("é")), [100, 0, 1, 233]);
    assert_eq!(body(&Term::atom("日本")), [119, 6, 230, 151, 165, 230, 156, 172]);
    let long: String = core::iter::repeat_n('日', 200).collect();
    let bytes = body(&Term::atom(long.clone()));
    assert_eq!(bytes[..3], [118, 2, 88]);
    assert_eq!(decode(&v(&bytes)).unwrap(), Term::atom(long));
    let too_long: String = core::iter::repeat_n('a', 256).collect();
    assert!(encode(&Term::atom(too_long)).is_err());
    // Every atom tag decodes.
    for bytes in [atom_ext("ok"), vec![115, 2, b'o', b'k'], vec![118, 0, 2, b'o', b'k'], vec![119, 2, b'o', b'k']] {
        assert_eq!(decode(&v(&bytes)).unwrap(), Term::atom("ok"));
    }
    assert_eq!(decode(&v(&[115, 1, 233])).unwrap(), Term::atom("é"));
    assert!(decode(&v(&[119, 1, 233])).is_err()); // not UTF-8
}

#[test]
fn containers() {
    assert_eq!(body(&Term::tuple([])), [104, 0]);
    let wide = Term::tuple(vec![Term::from(1); 256]);
    assert_eq!(body(&wide)[..5], [105, 0, 0, 1, 0]);
    assert_eq!(decode(&v(&body(&wide))).unwrap(), wide);
    assert_eq!(body(&Term::list([])), [106]);
    // Lists of bytes are STRING_EXT, as Erlang writes "abc".
    assert_eq!(body(&Term::list([Term::from(1), Term::from(2)])), [107, 0, 2, 1, 2]);
    assert_eq!(body(&Term::list([Term::from(256)])), [108, 0, 0, 0, 1, 98, 0, 0, 1, 0, 106]);
    let long = Term::list(vec![Term::from(1); 65536]);
    assert_eq!(body(&long)[..5], [108, 0, 1, 0, 0]);
    assert_eq!(decode(&v(&body(&long))).unwrap(), long);
    assert_eq!(decode(&v(&[107, 0, 3, b'a', b'b', b'c'])).unwrap().to_string(), "[97,98,99]");
    assert_eq!(body(&Term::binary(*b"xy")), [109, 0, 0, 0, 2, b'x', b'y']);
}

#[test]
fn improper_lists() {
    let improper = decode(&v(&[108, 0, 0, 0, 1, 97, 1, 97, 2])).unwrap();
    assert_eq!(improper, Term::ImproperList(vec![Term::from(1)], Term::from(2).into()));
    assert_eq!(improper.to_string(), "[1|2]");
    assert_eq!(body(&improper), [108, 0, 0, 0, 1, 97, 1, 97, 2]);
    // [1 | [2 | 3]] is [1, 2 | 3]; [1 | [2]] is [1, 2].
    let nested = v(&[108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 97, 3]);
    assert_eq!(decode(&nested).unwrap().to_string(), "[1,2|3]");
    let built = Term::ImproperList(vec![Term::from(1)], Term::list([Term::from(2)]).into());
    assert_eq!(body(&built), [107, 0, 2, 1, 2]);
    // The serde path refuses them, or copies them whole inside a Term.
    assert!(from_slice::<Vec<i32>>(&v(&[108, 0, 0, 0, 1, 97, 1, 97, 2])).is_err());
    assert_eq!(to_vec(&improper).unwrap(), encode(&improper).unwrap());
}

#[test]
fn maps_are_sorted_in_term_order() {
    // #{1.0 => a, 2 => b, 1 => c}: every integer before every float.
    let map = Term::map([
        (Term::Float(1.0), Term::atom("a")),
        (Term::from(2), Term::atom("b")),
        (Term::from(1), Term::atom("c")),
    ]);
    assert_eq!(map.to_string(), "#{1 => c,2 => b,1.0 => a}");
    let mut expected = vec![116, 0, 0, 0, 3, 97, 1];
    expected.extend(atom_ext("c"));
    expected.extend([97, 2]);
    expected.extend(atom_ext("b"));
    expected.extend([70, 63, 240, 0, 0, 0, 0, 0, 0]);
    expected.extend(atom_ext("a"));
    assert_eq!(body(&map), expected);
    // Any order decodes, sorted; duplicate keys are refused.
    let mut reversed = vec![116, 0, 0, 0, 2];
    reversed.extend(atom_ext("b"));
    reversed.extend([97, 1]);
    reversed.extend(atom_ext("a"));
    reversed.extend([97, 2]);
    assert_eq!(decode(&v(&reversed)).unwrap().to_string(), "#{a => 2,b => 1}");
    let mut duplicate = vec![116, 0, 0, 0, 2];
    duplicate.extend(atom_ext("a"));
    duplicate.extend([97, 1]);
    duplicate.extend([118, 0, 1, b'a']); // the same atom, another tag
    duplicate.extend([97, 2]);
    assert!(decode(&v(&duplicate)).is_err());
    assert!(from_slice::<Term>(&v(&duplicate)).is_err());
    assert!(from_slice::<serde::de::IgnoredAny>(&v(&duplicate)).is_err());
    assert!(encode(&Term::Map(vec![(Term::from(1), Term::from(1)), (Term::from(1), Term::from(2))])).is_err());
    // Term::map keeps the last value of a key given twice.
    assert_eq!(Term::map([(Term::from(1), Term::from(1)), (Term::from(1), Term::from(2))]).to_string(), "#{1 => 2}");
}

#[test]
fn term_order_across_types() {
    let ordered = [
        Term::from(-1),
        Term::from(5),
        Term::from(u64::MAX),
        Term::Float(0.5),
        Term::atom("a"),
        Term::atom("b"),
        Term::Reference(Reference::local(1)),
        Term::Pid(Pid::local(1)),
        Term::tuple([Term::from(9)]),
        Term::tuple([Term::from(1), Term::from(1)]),
        Term::map([]),
        Term::list([]),
        // [1|2] < [1|[]]: the tails compare, and numbers sort before [].
        Term::ImproperList(vec![Term::from(1)], Term::from(2).into()),
        Term::list([Term::from(1)]),
        Term::list([Term::from(1), Term::from(2)]),
        Term::binary(*b""),
        Term::binary(*b"a"),
    ];
    for (i, a) in ordered.iter().enumerate() {
        for (j, b) in ordered.iter().enumerate() {
            assert_eq!(a.erlang_cmp(b), i.cmp(&j), "{a} vs {b}");
        }
    }
}

#[test]
fn warren_pids_and_references() {
    let raw = (1u64 << 28) | 5;
    let pid = Pid::local(raw);
    assert_eq!((pid.id(), pid.serial(), pid.creation()), (5, 1, 0));
    assert_eq!(pid.to_string(), "<0.5.1>");
    let mut expected = vec![88];
    expected.extend(atom_ext("nonode@nohost"));
    expected.extend([0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0]);
    assert_eq!(body(&Term::Pid(pid.clone())), expected);
    assert_eq!(to_vec(&pid).unwrap(), v(&expected));
    assert_eq!(from_slice::<Pid>(&v(&expected)).unwrap().to_local(), Some(raw));
    // Serials past 32 bits go to the ID's top bits.
    for raw in [u64::MAX, (0x7_0000_0001 << 28) | 0x0FFF_FFFF, 1] {
        let pid = Pid::local(raw);
        assert_eq!(pid.to_local(), Some(raw));
        assert_eq!(decode(&encode(&Term::Pid(pid)).unwrap()).unwrap(), Term::Pid(Pid::local(raw)));
    }
    assert_eq!(Pid::local((0x7_0000_0001 << 28) | 3).id(), 0x7000_0003);
    // PID_EXT (one-byte creation) decodes too; another node's is no Warren pid.
    let mut old = vec![103];
    old.extend(atom_ext("a@b"));
    old.extend([0, 0, 0, 5, 0, 0, 0, 1, 2]);
    let remote = decode(&v(&old)).unwrap();
    assert_eq!(remote, Term::Pid(Pid::new("a@b", 5, 1, 2)));
    assert_eq!(remote.to_string(), "<a@b.5.1>");
    assert_eq!(Pid::new("a@b", 5, 1, 2).to_local(), None);

    let reference = Reference::local(u64::MAX - 1);
    assert_eq!(reference.words(), [0x3FFFE, 0xFFFF_FFFF, 0x3FFF]);
    assert_eq!(reference.to_local(), Some(u64::MAX - 1));
    assert_eq!(Reference::local(5).to_string(), "#Ref<0.0.0.5>");
    let mut expected = vec![90, 0, 3];
    expected.extend(atom_ext("nonode@nohost"));
    expected.extend([0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0]);
    assert_eq!(body(&Term::Reference(Reference::local(5))), expected);
    assert_eq!(to_vec(&Reference::local(5)).unwrap(), v(&expected));
    assert_eq!(from_slice::<Reference>(&v(&expected)).unwrap(), Reference::local(5));
    // NEW_REFERENCE_EXT and REFERENCE_EXT decode too.
    let mut new = vec![114, 0, 2];
    new.extend(atom_ext("a@b"));
    new.extend([1, 0, 0, 0, 7, 0, 0, 0, 8]);
    assert_eq!(decode(&v(&new)).unwrap().to_string(), "#Ref<a@b.8.7>");
    let mut oldest = vec![101];
    oldest.extend(atom_ext("a@b"));
    oldest.extend([0, 0, 0, 7, 1]);
    assert_eq!(decode(&v(&oldest)).unwrap(), Term::Reference(Reference::new("a@b", 1, &[7]).unwrap()));
    let mut six = vec![90, 0, 6];
    six.extend(atom_ext("a@b"));
    six.extend([0; 4 + 24]);
    assert!(decode(&v(&six)).is_err());
}

#[test]
fn unsupported_input_is_a_clear_error() {
    assert_eq!(decode(&[80, 0, 0, 0, 1, 120]).unwrap_err().kind(), &ErrorKind::Compressed);
    assert_eq!(decode(&[131, 80, 0]).unwrap_err().kind(), &ErrorKind::Compressed);
    assert_eq!(decode(&[130, 106]).unwrap_err().kind(), &ErrorKind::BadVersion(130));
    assert_eq!(decode(&[]).unwrap_err().kind(), &ErrorKind::Eof);
    assert_eq!(decode(&[131, 106, 106]).unwrap_err().kind(), &ErrorKind::TrailingBytes);
    let bits = decode(&[131, 77, 0, 0, 0, 1, 3, 0xE0]).unwrap_err();
    assert_eq!((bits.kind(), bits.offset()), (&ErrorKind::UnsupportedTag(77), Some(1)));
    assert!(bits.to_string().contains("bitstring"), "{bits}");
    let error = from_slice::<(i32, String)>(&v(&[104, 2, 97, 1, 97, 2])).unwrap_err();
    assert_eq!(error.to_string(), "at byte 5: expected a binary (a UTF-8 string), found an integer");
}

/// Every term kind, nested: the fixture of the hostile-input tests.
fn sample() -> Term {
    Term::tuple([
        Term::atom("ok"),
        Term::Pid(Pid::local(5 | 1 << 28)),
        Term::Reference(Reference::local(77)),
        Term::list([Term::from(1), Term::from(300), Term::Float(2.5), Term::from(1u128 << 100)]),
        Term::map([(Term::atom("a"), Term::string("text")), (Term::from(1), Term::list([Term::from(1)]))]),
        Term::ImproperList(vec![Term::atom("h")], Term::atom("t").into()),
        Term::binary([0u8, 255]),
        Term::atom("日本"),
    ])
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = encode(&sample()).unwrap();
    assert_eq!(decode(&bytes).unwrap(), sample());
    assert_eq!(from_slice::<Term>(&bytes).unwrap(), sample());
    for len in 0..bytes.len() {
        let cut = &bytes[..len];
        assert!(decode(cut).is_err(), "{len}");
        assert!(from_slice::<Term>(cut).is_err(), "{len}");
        assert!(from_slice::<serde::de::IgnoredAny>(cut).is_err(), "{len}");
    }
}

#[test]
fn every_corrupted_byte_decodes_or_fails_cleanly() {
    let bytes = encode(&sample()).unwrap();
    for i in 1..bytes.len() {
        for value in [0, 1, 97, 104, 106, 108, 116, 127, 128, 255] {
            let mut corrupt = bytes.clone();
            corrupt[i] = value;
            let _ = decode(&corrupt);
            let _ = from_slice::<Term>(&corrupt);
        }
    }
}

#[test]
fn length_bombs_do_not_allocate() {
    // Lengths of u32::MAX with nothing behind them: each fails at once
    // (an allocation of 4 G elements would abort the test).
    for bytes in [
        vec![131, 108, 255, 255, 255, 255],
        vec![131, 105, 255, 255, 255, 255],
        vec![131, 116, 255, 255, 255, 255],
        vec![131, 109, 255, 255, 255, 255],
        vec![131, 111, 255, 255, 255, 255, 0],
        vec![131, 108, 255, 255, 255, 255, 106, 106],
    ] {
        assert_eq!(decode(&bytes).unwrap_err().kind(), &ErrorKind::Eof, "{bytes:?}");
        assert!(from_slice::<Term>(&bytes).is_err());
        assert!(from_slice::<Vec<u8>>(&bytes).is_err());
        assert!(from_slice::<Vec<Vec<u64>>>(&bytes).is_err());
        assert!(from_slice::<BTreeMap<String, u8>>(&bytes).is_err());
    }
}

#[test]
fn nesting_is_limited() {
    let nest = |levels: usize, open: &[u8]| {
        let mut bytes = vec![131];
        for _ in 0..levels {
            bytes.extend_from_slice(open);
        }
        bytes.push(106);
        bytes
    };
    for open in [&[104u8, 1][..], &[108, 0, 0, 0, 1], &[116, 0, 0, 0, 1, 106]] {
        assert!(decode(&nest(MAX_DEPTH, open)).is_ok() || open[0] == 108);
        let deep = nest(100_000, open);
        assert_eq!(decode(&deep).unwrap_err().kind(), &ErrorKind::TooDeep);
        assert_eq!(from_slice::<Term>(&deep).unwrap_err().kind(), &ErrorKind::TooDeep);
        assert_eq!(from_slice::<serde::de::IgnoredAny>(&deep).unwrap_err().kind(), &ErrorKind::TooDeep);
    }
    // Exactly MAX_DEPTH tuples decode; one more does not.
    assert!(decode(&nest(MAX_DEPTH, &[104, 1])).is_ok());
    assert!(decode(&nest(MAX_DEPTH + 1, &[104, 1])).is_err());
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Point {
    y: i32,
    x: i32,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
enum Shape {
    Empty,
    DarkRed,
    HTTPServer,
    Circle(f64),
    Line(Point, Point),
    Rect { w: u8, h: u8 },
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Ping;

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Meters(u32);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Pair(u8, String);

fn show<T: Serialize>(value: &T) -> String {
    decode(&to_vec(value).unwrap()).unwrap().to_string()
}

fn round_trip<T: Serialize + for<'de> Deserialize<'de> + PartialEq + core::fmt::Debug>(value: T) {
    let bytes = to_vec(&value).unwrap();
    assert_eq!(from_slice::<T>(&bytes).unwrap(), value);
    // Through Term too: decoded, re-encoded, the same bytes.
    assert_eq!(encode(&decode(&bytes).unwrap()).unwrap(), bytes, "{value:?}");
}

#[test]
fn serde_mapping_follows_rustler() {
    assert_eq!(show(&Point { y: 2, x: 1 }), "#{x => 1,y => 2}");
    assert_eq!(show(&Shape::Empty), "empty");
    assert_eq!(show(&Shape::DarkRed), "dark_red");
    assert_eq!(show(&Shape::HTTPServer), "http_server");
    assert_eq!(show(&Shape::Circle(1.5)), "{circle,1.5}");
    assert_eq!(
        show(&Shape::Line(Point { x: 0, y: 0 }, Point { x: 1, y: 1 })),
        "{line,#{x => 0,y => 0},#{x => 1,y => 1}}"
    );
    assert_eq!(show(&Shape::Rect { w: 2, h: 3 }), "{rect,#{h => 3,w => 2}}");
    assert_eq!(show(&Ping), "ping");
    assert_eq!(show(&Meters(5)), "5");
    assert_eq!(show(&Pair(1, "a".into())), "{1,<<\"a\">>}");
    assert_eq!(show(&Some(3)), "3");
    assert_eq!(show(&None::<u8>), "nil");
    assert_eq!(show(&()), "{}");
    assert_eq!(show(&(true, false)), "{true,false}");
    assert_eq!(show(&'a'), "97");
    assert_eq!(show(&"text"), "<<\"text\">>");
    assert_eq!(show(&serde_bytes::Bytes::new(&[1, 2])), "<<1,2>>");
    assert_eq!(show(&vec![1u8, 2]), "[1,2]");
    assert_eq!(to_vec(&vec![1u8, 2]).unwrap(), v(&[107, 0, 2, 1, 2]));
    assert_eq!(show(&Vec::<u8>::new()), "[]");
    assert_eq!(show(&BTreeMap::from([("b", 1), ("a", 2)])), "#{<<\"a\">> => 2,<<\"b\">> => 1}");
    assert_eq!(show(&u64::MAX), "18446744073709551615");
    assert_eq!(show(&i128::MIN), "-170141183460469231731687303715884105728");
    assert_eq!(show(&Atom::from("Elixir.Point")), "'Elixir.Point'");

    round_trip(Point { y: -5, x: 7 });
    for shape in [
        Shape::Empty,
        Shape::DarkRed,
        Shape::HTTPServer,
        Shape::Circle(0.25),
        Shape::Line(Point { x: 1, y: 2 }, Point { x: 3, y: 4 }),
        Shape::Rect { w: 1, h: 255 },
    ] {
        round_trip(shape);
    }
    round_trip(Ping);
    round_trip(Meters(70000));
    round_trip(Pair(9, "é".into()));
    round_trip(Some(Some(1u8)));
    round_trip(None::<String>);
    round_trip(());
    round_trip((1u8, -1i8, 300u16, -300i16, u32::MAX, i32::MIN, u64::MAX, i64::MIN));
    round_trip((i128::MAX, u128::MAX, 1.5f32, 'λ'));
    round_trip(vec![String::from("a"), String::new()]);
    round_trip(BTreeMap::from([(1u32, vec![0u8; 3]), (256, vec![])]));
    round_trip(serde_bytes::ByteBuf::from(vec![0u8, 1, 255]));
    round_trip(vec![Some(1u64), None]);
    round_trip(Pid::local(u64::MAX));
    round_trip(Reference::local(0));
    round_trip(Atom::from("with space"));
    round_trip(sample());
}

#[test]
fn serde_decoding_is_lenient_where_erlang_has_spellings() {
    // Fields as binary keys, unknown keys skipped (an Elixir struct's
    // __struct__), fields in any order.
    let elixir = Term::map([
        (Term::atom("__struct__"), Term::atom("Elixir.Point")),
        (Term::string("x"), Term::from(1)),
        (Term::atom("y"), Term::from(2)),
    ]);
    assert_eq!(from_slice::<Point>(&encode(&elixir).unwrap()).unwrap(), Point { x: 1, y: 2 });
    // Variants and unit structs also by their Rust names.
    assert_eq!(from_slice::<Shape>(&encode(&Term::atom("DarkRed")).unwrap()).unwrap(), Shape::DarkRed);
    assert_eq!(from_slice::<Ping>(&encode(&Term::atom("Ping")).unwrap()).unwrap(), Ping);
    // Unknown variants name the atom.
    let error = from_slice::<Shape>(&encode(&Term::atom("blue")).unwrap()).unwrap_err();
    assert!(error.to_string().contains("unknown variant `blue`"), "{error}");
    // Wrong arity of a tagged tuple.
    assert!(from_slice::<Shape>(&encode(&Term::tuple([Term::atom("circle")])).unwrap()).is_err());
    assert!(from_slice::<Shape>(&encode(&Term::tuple([Term::atom("empty"), Term::from(1)])).unwrap()).is_err());
    // Bytes from a binary, a charlist or a list; floats from integers;
    // chars from one-character binaries; () from nil.
    let not_bytes = encode(&Term::list([Term::from(1), Term::from(300)])).unwrap();
    assert!(from_slice::<serde_bytes::ByteBuf>(&not_bytes).is_err());
    let from_list: serde_bytes::ByteBuf = from_slice(&v(&[108, 0, 0, 0, 1, 97, 7, 106])).unwrap();
    assert_eq!(&from_list[..], [7]);
    let charlist = v(&[107, 0, 1, 7]);
    let from_string: &serde_bytes::Bytes = from_slice(&charlist).unwrap();
    assert_eq!(&from_string[..], [7]);
    assert_eq!(from_slice::<Vec<u8>>(&v(&[109, 0, 0, 0, 2, 1, 2])).unwrap(), [1, 2]);
    assert_eq!(from_slice::<f64>(&v(&[97, 2])).unwrap(), 2.0);
    assert_eq!(from_slice::<char>(&encode(&Term::string("λ")).unwrap()).unwrap(), 'λ');
    from_slice::<()>(&encode(&Term::atom("nil")).unwrap()).unwrap();
    assert_eq!(from_slice::<(u8, u8)>(&v(&[107, 0, 2, 1, 2])).unwrap(), (1, 2));
    // Integers out of range name the type.
    let error = from_slice::<u8>(&v(&[98, 0, 0, 1, 0])).unwrap_err();
    assert_eq!(error.to_string(), "at byte 1: expected an integer in u8's range, found an integer out of its range");
    // A tuple longer than the Rust tuple is an error, not a desync.
    assert!(from_slice::<(u8, u8)>(&v(&[104, 3, 97, 1, 97, 2, 97, 3])).is_err());
}

/// Variants found by an atom's bytes (ASCII atoms) and by its text (the
/// others) are the same ones, in the same order of preference: the name as
/// written first, then the snake_case, the first variant that matches.
#[test]
fn variants_are_found_by_their_atoms_in_every_spelling() {
    #[derive(Deserialize, Debug, PartialEq)]
    #[allow(non_camel_case_types)]
    enum Tricky {
        Ab,
        Ac(u8),
        AbC,
        ab_c,
        Été,
        #[serde(rename = "renamed_one")]
        Renamed,
    }
    let atom = |text: &'static str| encode(&Term::atom(text)).unwrap();
    let tagged = |text: &'static str| encode(&Term::tuple([Term::atom(text), Term::from(7)])).unwrap();
    assert_eq!(from_slice::<Tricky>(&atom("ab")).unwrap(), Tricky::Ab);
    assert_eq!(from_slice::<Tricky>(&atom("Ab")).unwrap(), Tricky::Ab);
    assert_eq!(from_slice::<Tricky>(&tagged("ac")).unwrap(), Tricky::Ac(7));
    assert_eq!(from_slice::<Tricky>(&atom("AbC")).unwrap(), Tricky::AbC);
    // Written as it stands, `ab_c` is a variant of its own; as the
    // snake_case of `AbC` it would come first.
    assert_eq!(from_slice::<Tricky>(&atom("ab_c")).unwrap(), Tricky::ab_c);
    assert_eq!(from_slice::<Tricky>(&atom("renamed_one")).unwrap(), Tricky::Renamed);
    // Not ASCII: by text, as UTF-8 and as Latin-1 (OTP 25 writes the
    // former; `ATOM_EXT` is the latter).
    assert_eq!(from_slice::<Tricky>(&atom("Été")).unwrap(), Tricky::Été);
    #[cfg(feature = "unicode-names")]
    assert_eq!(from_slice::<Tricky>(&atom("été")).unwrap(), Tricky::Été);
    assert_eq!(from_slice::<Tricky>(&v(&[100, 0, 3, 0xC9, b't', 0xE9])).unwrap(), Tricky::Été);
    // Latin-1 bytes that happen to be the UTF-8 of a name are not that name.
    assert!(from_slice::<Tricky>(&v(&[100, 0, 4, 0xC3, 0x89, b't', 0xE9])).is_err());
    // Unknown atoms name themselves; a tag that is not an atom says what
    // was wanted.
    let error = from_slice::<Tricky>(&atom("ad")).unwrap_err();
    assert!(error.to_string().contains("unknown variant `ad`"), "{error}");
    let error = from_slice::<Tricky>(&encode(&Term::tuple([Term::from(1), Term::from(7)])).unwrap()).unwrap_err();
    assert!(error.to_string().contains("an atom naming the variant"), "{error}");
}

#[test]
fn serde_borrows_from_the_input() {
    #[derive(Deserialize)]
    struct Borrowed<'a> {
        name: &'a str,
        #[serde(borrow)]
        data: &'a [u8],
    }
    let bytes =
        encode(&Term::map([(Term::atom("name"), Term::string("abc")), (Term::atom("data"), Term::binary([1u8, 2]))]))
            .unwrap();
    let value: Borrowed = from_slice(&bytes).unwrap();
    assert_eq!((value.name, value.data), ("abc", &[1u8, 2][..]));
    assert!(bytes.as_ptr_range().contains(&value.name.as_ptr()));
}

#[test]
fn serializer_and_encoder_agree() {
    // A Term through serde is the Term's own encoding, maps included
    // (keys given out of order are sorted the same way).
    let unsorted = Term::Map(vec![
        (Term::string("b"), Term::from(1)),
        (Term::atom("z"), Term::from(2)),
        (Term::from(3), Term::list([])),
        (Term::tuple([]), Term::Float(1.0)),
    ]);
    for term in [sample(), unsorted, Term::list(vec![Term::from(7); 70000]), Term::from(-(1i128 << 90))] {
        assert_eq!(to_vec(&term).unwrap(), encode(&term).unwrap(), "{term}");
    }
    // serde's flatten writes a struct as a map with string keys, which
    // are binaries: here `a` twice.
    #[derive(Serialize)]
    struct Dup {
        a: u8,
        #[serde(flatten)]
        more: BTreeMap<&'static str, u8>,
    }
    let dup = Dup { a: 1, more: BTreeMap::from([("a", 2)]) };
    assert!(to_vec(&dup).is_err());
}

#[test]
fn terms_inside_serde_types() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Envelope {
        from: Pid,
        body: Term,
    }
    let envelope = Envelope { from: Pid::local(9), body: sample() };
    let bytes = to_vec(&envelope).unwrap();
    assert_eq!(from_slice::<Envelope>(&bytes).unwrap(), envelope);
    // A Term field keeps tuples apart from lists (the natural serde shape
    // would not).
    let tuple = Envelope { from: Pid::local(9), body: Term::tuple([Term::from(1)]) };
    assert_eq!(from_slice::<Envelope>(&to_vec(&tuple).unwrap()).unwrap(), tuple);
}

#[test]
fn display_uses_erlang_syntax() {
    let term = Term::tuple([
        Term::atom("ok"),
        Term::Pid(Pid::local((1 << 28) | 5)),
        Term::list([Term::from(1), Term::from(2)]),
    ]);
    assert_eq!(term.to_string(), "{ok,<0.5.1>,[1,2]}");
    assert_eq!(alloc::format!("{term:?}"), "{ok,<0.5.1>,[1,2]}");
    for (atom, shown) in [
        ("ok", "ok"),
        ("a@b", "a@b"),
        ("Ab_9@x", "'Ab_9@x'"),
        ("hello world", "'hello world'"),
        ("don't", "'don\\'t'"),
        ("", "''"),
        ("é", "é"),
        ("日本", "'日本'"),
        ("a\nb", "'a\\nb'"),
        ("case", "'case'"),
        ("maybe", "maybe"),
        ("_x", "'_x'"),
    ] {
        assert_eq!(Term::atom(String::from(atom)).to_string(), shown);
    }
    assert_eq!(Term::string("text").to_string(), "<<\"text\">>");
    assert_eq!(Term::string("a\"b\\").to_string(), "<<\"a\\\"b\\\\\">>");
    assert_eq!(Term::string("日本").to_string(), "<<\"日本\"/utf8>>");
    assert_eq!(Term::binary(*b"").to_string(), "<<>>");
    assert_eq!(Term::binary([0u8, 1]).to_string(), "<<0,1>>");
    assert_eq!(Term::map([(Term::atom("a"), Term::from(1))]).to_string(), "#{a => 1}");
    assert_eq!(Reference::local(77).to_string(), "#Ref<0.0.0.77>");
}

#[test]
fn term_accessors() {
    let term = sample();
    let elements = term.as_tuple().unwrap();
    assert!(elements[0].is_atom("ok"));
    assert_eq!(elements[3].as_list().unwrap()[1].as_i64(), Some(300));
    assert_eq!(elements[4].map_get(&Term::atom("a")).and_then(Term::as_str), Some("text"));
    assert_eq!(elements[6].as_binary(), Some(&[0u8, 255][..]));
    assert_eq!(Term::from(true), Term::atom("true"));
    assert_eq!(Term::from("s"), Term::string("s"));
    assert_eq!(Term::from(1u64 << 63).as_i128(), Some(1 << 63));
    let _ = ToString::to_string(&Term::from(1));
}
