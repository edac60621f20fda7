//! `sdk-table`: shared tables through the guest SDK (`warren::table`).
//!
//! Every entry's argument starts with a reporter pid (8 bytes LE); the
//! outcome goes to it with tag 7: a text starting `ok` or `FAIL`.
//!
//! * `typed`: every operation of the typed `Table<K, V>` and of `RawTable`
//!   on every table type, with the order of encoded keys.
//! * `range_paging`: argument + n (u32 LE). Inserts n `i64` keys (negative
//!   ones too, in a scrambled order, in atomic batches) into an ordered_set,
//!   then pages through them with range queries of 1,000 keys, forwards
//!   and backwards, and with the chunked iterator: each must return every
//!   key exactly once, in order. Reports `ok N`.
//! * `iterate_while_writing`: argument + kind (1 byte, the ABI number).
//!   Makes a public table of 5,000 even keys, spawns `writer` on it, and
//!   iterates the whole table 3 times in chunks while the writer inserts
//!   and deletes odd keys and rewrites even ones: each pass must see every
//!   even key exactly once. Reports `ok PASSES WRITES`.
//! * `writer`: argument = [table id: i64]. Writes until a tag 99 message
//!   comes, then replies to its sender with tag 8 and its write count.
//! * `counter`: argument + [table id: i64][n: u32]: `update_counter` on key
//!   `hits` n times, then reports `ok`.
//! * `heir_owner`: argument + [heir pid]. Creates the named protected table
//!   `inherited` with the heir, inserts `k` -> `v`, reports tag 6 with the
//!   table id (8 bytes LE), then waits for tag 99 and crashes.
//! * `heir_wait`: waits for the `TAG_TABLE_TRANSFER` message, checks it
//!   owns (and can write) the table, and reports `ok ID FROM DATA`.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::ops::Bound;
use warren::table::{self, Access, Kind, Options, RawTable, Records, Table, TableError, Transfer};
use warren::{Pid, Reason};

const TAG_ID: i64 = 6;
const TAG_REPORT: i64 = 7;
const TAG_COUNT: i64 = 8;
const TAG_STOP: i64 = 99;

/// `expr?` with the expression and line in the error text.
macro_rules! t {
    ($e:expr) => {
        $e.map_err(|e| format!("line {}: {}: {e}", line!(), stringify!($e)))?
    };
}

/// Fails with the line and the two values unless they are equal.
macro_rules! same {
    ($left:expr, $right:expr) => {{
        let (left, right) = (&$left, &$right);
        if left != right {
            return Err(format!("line {}: {} = {left:?}, expected {right:?}", line!(), stringify!($left)));
        }
    }};
}

fn reporter() -> Pid {
    Pid::from_le_slice(&warren::arg()).unwrap_or_else(|| warren::exit(Reason::Custom(b"no reporter pid".to_vec())))
}

/// The argument bytes after the reporter pid.
fn rest() -> Vec<u8> {
    warren::arg().get(8..).unwrap_or_default().to_vec()
}

fn report(outcome: Result<String, String>) {
    let text = match outcome {
        Ok(text) => format!("ok {text}"),
        Err(text) => format!("FAIL {text}"),
    };
    let _ = reporter().send(TAG_REPORT, text.as_bytes());
}

fn le_i64(bytes: &[u8], at: usize) -> Result<i64, String> {
    Ok(i64::from_le_bytes(bytes.get(at..at + 8).ok_or("short argument")?.try_into().map_err(|_| "short")?))
}

#[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
struct User {
    name: String,
    age: u32,
    tags: Vec<String>,
    email: Option<String>,
}

fn user(name: &str, age: u32) -> User {
    User { name: name.into(), age, tags: vec!["t".into(), name.into()], email: None }
}

#[unsafe(no_mangle)]
pub extern "C" fn typed() {
    report(typed_checks().map(|()| "typed".into()));
}

fn typed_checks() -> Result<(), String> {
    let me = warren::self_pid();

    // An ordered_set with tuple keys: natural order, prefixes, ranges.
    let users: Table<(String, u32), User> = t!(Table::new(Kind::OrderedSet, Access::Protected));
    let keys = [("bob".to_string(), 1), ("alice".into(), 10), ("al".into(), 5), ("alice".into(), 2)];
    for (key, n) in keys.iter().zip([1u32, 2, 3, 4]) {
        t!(users.insert(key, &user(&key.0, n)));
    }
    let all: Vec<(String, u32)> =
        users.iter(2).map(|r| r.map(|(k, _)| k)).collect::<Result<_, _>>().map_err(|e| e.to_string())?;
    same!(all, vec![("al".to_string(), 5), ("alice".into(), 2), ("alice".into(), 10), ("bob".into(), 1)]);
    let alices = t!(users.select_prefix("alice", None, 10));
    same!(alices.iter().map(|(k, _)| k.1).collect::<Vec<_>>(), vec![2, 10]);
    same!(alices[0].1, user("alice", 4));
    let after = t!(users.select_prefix("alice", Some(&("alice".into(), 2)), 10));
    same!(after.len(), 1);
    let range = t!(users.range(("alice".to_string(), 0)..("bob".to_string(), 0), 10, false));
    same!(range.len(), 2);
    let back = t!(users.range(.., 3, true));
    same!(back.iter().map(|(k, _)| k.0.as_str()).collect::<Vec<_>>(), vec!["bob", "alice", "alice"]);
    same!(t!(users.first()), Some(("al".to_string(), 5)));
    same!(t!(users.last()), Some(("bob".to_string(), 1)));
    same!(t!(users.next(&("al".into(), 5))), Some(("alice".to_string(), 2)));
    same!(t!(users.prev(&("al".into(), 5))), None);
    same!(t!(users.insert_new(&("al".into(), 5), &user("x", 0))), false);
    same!(t!(users.insert_new(&("zed".into(), 0), &user("zed", 0))), true);
    same!(t!(users.update(&("zed".into(), 0), &user("zed", 99))), true);
    same!(t!(users.update(&("nobody".into(), 0), &user("x", 0))), false);
    same!(t!(users.lookup(&("zed".into(), 0))).map(|u| u.age), Some(99));
    same!(t!(users.take(&("zed".into(), 0))).len(), 1);
    same!(t!(users.member(&("zed".into(), 0))), false);
    same!(t!(users.delete_object(&("bob".into(), 1), &user("bob", 2))), 0);
    same!(t!(users.delete_object(&("bob".into(), 1), &user("bob", 1))), 1);
    same!(t!(users.delete(&("al".into(), 5))), 1);
    let info = t!(users.info());
    same!((info.size, info.keys, info.kind, info.access, info.owner), (2, 2, Kind::OrderedSet, Access::Protected, me));
    same!(users.range(.., 0, false).err(), Some(TableError::Other(warren::Error::BadArg)));

    // Counters: i64 values are the counter format.
    let hits: Table<String, i64> = t!(Table::create(&Options::new(Kind::Set).access(Access::Public).named("hits")));
    same!(t!(hits.update_counter(&"home".into(), 5, Some(10))), 15);
    same!(t!(hits.update_counter(&"home".into(), -20, None)), -5);
    same!(t!(hits.lookup(&"home".into())), Some(-5));
    same!(hits.update_counter(&"missing".into(), 1, None), Err(TableError::Other(warren::Error::Unknown(-12))));
    same!(t!(Table::<String, i64>::whereis("hits")).id(), hits.id());
    same!(Table::<String, i64>::create(&Options::new(Kind::Set).named("hits")).err(), Some(TableError::NameTaken));
    let words: Table<String, String> = Table::from_raw(hits.raw());
    t!(words.insert(&"text".into(), &"not a number".into()));
    same!(hits.update_counter(&"text".into(), 1, Some(0)), Err(TableError::NotACounter));
    same!(hits.range(.., 10, false).err(), Some(TableError::WrongType));

    // Bags and duplicate bags.
    for kind in [Kind::Bag, Kind::DuplicateBag] {
        let tags: Table<i32, String> = t!(Table::new(kind, Access::Private));
        let objects = [(-1, "a".to_string()), (-1, "b".into()), (-1, "a".into()), (7, "c".into())];
        same!(t!(tags.insert_many(objects.iter().map(|(k, v)| (k, v)))), 4);
        let expect: Vec<String> =
            if kind == Kind::Bag { vec!["a".into(), "b".into()] } else { vec!["a".into(), "b".into(), "a".into()] };
        same!(t!(tags.lookup_all(&-1)), expect);
        same!(t!(tags.delete_object(&-1, &"a".into())), expect.len() - 1);
        same!(t!(tags.take(&-1)), vec!["b".to_string()]);
        same!(t!(tags.update_counter_raw(&7)), TableError::WrongType);
        same!(t!(tags.first()), Some(7));
        same!(t!(tags.delete_all()), 1);
        t!(tags.delete_table());
        same!(tags.member(&7), Err(TableError::NoSuchTable));
    }

    // The raw API: bytes, records, atomic batches, chunks, the list.
    let raw = t!(RawTable::new(Kind::Set, Access::Protected));
    same!(t!(raw.insert_many(&[(b"a", b"1"), (b"b", b"2")])), 2);
    same!(t!(raw.insert_new_many(&[(b"c", b"3"), (b"a", b"x")])), false);
    same!(t!(raw.member(b"c")), false);
    same!(t!(raw.insert_new_many(&[(b"c", b"3"), (b"d", b"4")])), true);
    let big = vec![7u8; 5000];
    t!(raw.insert(b"big", &big));
    // A result larger than the first buffer comes through table_result_read.
    same!(t!(raw.lookup(b"big")), Some(big.clone()));
    let mut small = [0u8; 4];
    same!(t!(raw.lookup_into(b"a", &mut small)), Some(1));
    same!(small[0], b'1');
    same!(t!(raw.update_at(b"a", 1, b"23")), true);
    same!(t!(raw.lookup(b"a")), Some(b"123".to_vec()));
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let chunk = t!(raw.chunk(after.as_deref(), 2));
        let keys: Vec<Vec<u8>> = Records::new(&chunk).map(|(k, _)| k.to_vec()).collect();
        let Some(last) = keys.last().cloned() else { break };
        seen.extend(keys);
        after = Some(last);
    }
    seen.sort();
    same!(seen, vec![b"a".to_vec(), b"b".to_vec(), b"big".to_vec(), b"c".to_vec(), b"d".to_vec()]);
    let listed = t!(table::all_tables());
    for id in [users.id(), hits.id(), raw.id()] {
        if !listed.iter().any(|(t, _)| *t == id) {
            return Err(format!("table {id} is not in the list {listed:?}"));
        }
    }
    same!(listed.iter().find(|(t, _)| *t == hits.id()).map(|(_, n)| n.as_slice()), Some(&b"hits"[..]));
    same!(raw.insert(&vec![0u8; table::MAX_KEY_LEN + 1], b""), Err(TableError::KeyTooLarge));

    // Order of encoded scalar keys.
    let numbers: Table<i64, ()> = t!(Table::new(Kind::OrderedSet, Access::Protected));
    for n in [5i64, -3, 0, i64::MIN, 1 << 40, -1] {
        t!(numbers.insert(&n, &()));
    }
    let ordered: Vec<i64> = t!(numbers.range(.., 100, false)).into_iter().map(|(k, ())| k).collect();
    same!(ordered, vec![i64::MIN, -3, -1, 0, 5, 1 << 40]);
    Ok(())
}

/// A typed bag has no counters: this checks the error through the raw API.
trait CounterProbe {
    fn update_counter_raw(&self, key: &i32) -> Result<TableError, String>;
}

impl CounterProbe for Table<i32, String> {
    fn update_counter_raw(&self, key: &i32) -> Result<TableError, String> {
        let key = table::codec::encode(key, table::codec::Mode::Key).map_err(|e| e.to_string())?;
        match self.raw().update_counter(&key, 1, Some(0)) {
            Ok(n) => Err(format!("update_counter on a bag returned {n}")),
            Err(error) => Ok(error),
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn range_paging() {
    let n = u32::from_le_bytes(rest().get(..4).and_then(|b| b.try_into().ok()).unwrap_or_default());
    report(paging(i64::from(n)).map(|()| format!("{n}")));
}

fn paging(n: i64) -> Result<(), String> {
    let table: Table<i64, u32> = t!(Table::new(Kind::OrderedSet, Access::Private));
    // A permutation of 0..n (7919 is prime, n is not a multiple of it),
    // shifted so half the keys are negative.
    let keys: Vec<i64> = (0..n).map(|i| (i * 7919) % n - n / 2).collect();
    for batch in keys.chunks(1000) {
        let values: Vec<u32> = batch.iter().map(|k| *k as u32).collect();
        t!(table.insert_many(batch.iter().zip(&values)));
    }
    same!(t!(table.info()).size, n as u64);
    // Forwards.
    let mut expected = -n / 2;
    let mut last: Option<i64> = None;
    loop {
        let lower = last.as_ref().map_or(Bound::Unbounded, Bound::Excluded);
        let page = t!(table.range((lower, Bound::Unbounded), 1000, false));
        let Some((end, _)) = page.last() else { break };
        let end = *end;
        for (key, value) in page {
            same!(key, expected);
            same!(value, key as u32);
            expected += 1;
        }
        last = Some(end);
    }
    same!(expected, n - n / 2);
    // Backwards.
    let mut last: Option<i64> = None;
    let mut count = 0;
    loop {
        let upper = last.as_ref().map_or(Bound::Unbounded, Bound::Excluded);
        let page = t!(table.range((Bound::Unbounded, upper), 1000, true));
        let Some((end, _)) = page.last() else { break };
        let end = *end;
        for (key, _) in page {
            expected -= 1;
            same!(key, expected);
            count += 1;
        }
        last = Some(end);
    }
    same!(count, n);
    // The chunked iterator.
    let mut expected = -n / 2;
    for item in table.iter(777) {
        let (key, _) = t!(item);
        same!(key, expected);
        expected += 1;
    }
    same!(expected, n - n / 2);
    Ok(())
}

/// Even keys 0, 2, ... as u32 big-endian (so they sort numerically).
const BASE_KEYS: u32 = 10_000;
const PASSES: u32 = 3;

#[unsafe(no_mangle)]
pub extern "C" fn iterate_while_writing() {
    let kind = match rest().first() {
        Some(0) => Kind::Set,
        Some(1) => Kind::OrderedSet,
        Some(2) => Kind::Bag,
        _ => Kind::DuplicateBag,
    };
    report(iterate(kind));
}

fn iterate(kind: Kind) -> Result<String, String> {
    let table = t!(RawTable::new(kind, Access::Public));
    for batch in (0..BASE_KEYS).step_by(2).collect::<Vec<_>>().chunks(500) {
        let keys: Vec<[u8; 4]> = batch.iter().map(|k| k.to_be_bytes()).collect();
        let objects: Vec<(&[u8], &[u8])> = keys.iter().map(|k| (&k[..], &b"base"[..])).collect();
        t!(table.insert_many(&objects));
    }
    let writer = t!(warren::spawn("writer", &table.id().to_le_bytes()).map_err(TableError::Other));
    for pass in 0..PASSES {
        // Visits of each even key (a bag key's objects come together, as
        // consecutive records: one visit).
        let mut seen: HashMap<u32, u32> = HashMap::new();
        let mut previous: Option<Vec<u8>> = None;
        for item in table.iter(64) {
            let (key, _) = t!(item);
            let k = u32::from_be_bytes(key.as_slice().try_into().map_err(|_| "a 4-byte key")?);
            if previous.as_ref() == Some(&key) {
                if kind == Kind::Set || kind == Kind::OrderedSet {
                    return Err(format!("pass {pass}: key {k} twice in a row"));
                }
                continue;
            }
            if kind == Kind::OrderedSet && previous.as_ref().is_some_and(|p| *p > key) {
                return Err(format!("pass {pass}: key {k} out of order"));
            }
            previous = Some(key);
            if k % 2 == 0 {
                *seen.entry(k).or_default() += 1;
            }
        }
        for k in (0..BASE_KEYS).step_by(2) {
            let visits = seen.get(&k).copied().unwrap_or(0);
            if visits != 1 {
                return Err(format!("pass {pass}: even key {k} visited {visits} times"));
            }
        }
    }
    t!(writer.send(TAG_STOP, &[]).map_err(TableError::Other));
    let writes = warren::receive_matching(&[TAG_COUNT], Some(30_000)).ok_or("the writer did not answer")?;
    let writes = u64::from_le_bytes(writes.data.as_slice().try_into().map_err(|_| "8 bytes")?);
    Ok(format!("{PASSES} {writes}"))
}

#[unsafe(no_mangle)]
pub extern "C" fn writer() {
    let arg = warren::arg();
    let Ok(id) = le_i64(&arg, 0) else { warren::exit(Reason::Custom(b"writer: no table id".to_vec())) };
    let Ok(table) = RawTable::open(id) else { warren::exit(Reason::Custom(b"writer: no table".to_vec())) };
    let mut writes: u64 = 0;
    let mut i: u32 = 0;
    loop {
        let odd = (i.wrapping_mul(2).wrapping_add(1) % BASE_KEYS).to_be_bytes();
        let even = (i.wrapping_mul(2) % BASE_KEYS).to_be_bytes();
        let gone = (i.wrapping_sub(50).wrapping_mul(2).wrapping_add(1) % BASE_KEYS).to_be_bytes();
        let ok = table.insert(&odd, b"odd").is_ok()
            && table.insert(&even, &i.to_le_bytes()).is_ok()
            && table.delete(&gone).is_ok();
        if !ok {
            warren::exit(Reason::Custom(b"writer: a write failed".to_vec()));
        }
        writes += 3;
        i = i.wrapping_add(1);
        if i.is_multiple_of(64)
            && let Some(stop) = warren::receive_matching(&[TAG_STOP], Some(0))
        {
            let _ = stop.reply(TAG_COUNT, &writes.to_le_bytes());
            return;
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn counter() {
    let rest = rest();
    let outcome = (|| {
        let table = t!(RawTable::open(le_i64(&rest, 0)?));
        let n = u32::from_le_bytes(rest.get(8..12).ok_or("no count")?.try_into().map_err(|_| "count")?);
        for _ in 0..n {
            t!(table.update_counter(b"hits", 1, Some(0)));
        }
        Ok(String::from("counted"))
    })();
    report(outcome);
}

#[unsafe(no_mangle)]
pub extern "C" fn heir_owner() {
    let outcome = (|| {
        let heir = Pid::from_le_slice(&rest()).ok_or("no heir pid")?;
        let table: Table<String, String> = t!(Table::create(&Options::new(Kind::Set).named("inherited")));
        t!(table.set_heir(Some(heir), b"heir-data"));
        t!(table.insert(&"k".into(), &"v".into()));
        Ok::<_, String>(table.id())
    })();
    match outcome {
        Ok(id) => {
            let _ = reporter().send(TAG_ID, &id.to_le_bytes());
            let _ = warren::receive_matching(&[TAG_STOP], None);
            warren::exit(Reason::Custom(b"owner crashed".to_vec()));
        }
        Err(text) => report(Err(text)),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn heir_wait() {
    report((|| {
        let message = warren::receive_matching(&[table::TAG_TABLE_TRANSFER], Some(30_000)).ok_or("no transfer")?;
        let transfer = Transfer::from_message(&message).ok_or("not a transfer message")?;
        same!(message.sender, transfer.from);
        let table: Table<String, String> = Table::from_raw(t!(RawTable::open(transfer.table)));
        same!(t!(table.info()).owner, warren::self_pid());
        // The heir setting stays after a takeover, as in OTP 25.
        same!(t!(table.info()).heir, Some(warren::self_pid()));
        same!(t!(table.lookup(&"k".into())), Some("v".to_string()));
        t!(table.insert(&"heir".into(), &"wrote".into()));
        Ok(format!("{} {} {}", transfer.table, transfer.from.raw(), String::from_utf8_lossy(&transfer.data)))
    })());
}
