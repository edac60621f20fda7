//! Shared tables (ETS): every operation on every table type, access rules,
//! ownership (owner exit, heirs, give_away), concurrency, paging, errors.
//!
//! Most tests drive a WAT "proxy" guest: it performs whatever table call
//! the test sends it (one message per call) and replies with the return
//! value and the bytes the call wrote, so a test can act as any process
//! with plain Rust code. The Rust SDK guest (`sdk-table`) covers the typed
//! API, paging, iteration under writes and counters.

use crate::common::*;
use std::sync::OnceLock;
use warren_host::{
    ERR_ACCESS, ERR_KEY_TOO_LARGE, ERR_NO_RESULT, ERR_NO_SUCH_TABLE, ERR_NOT_A_COUNTER, ERR_NOT_ALIVE, ERR_NOT_FOUND,
    ERR_OVERFLOW, ERR_TABLE_FULL, ERR_TABLE_NAME_TAKEN, ERR_VALUE_TOO_LARGE, ERR_WRONG_TYPE, OBJECT_OVERHEAD,
    TableAccess, TableKind,
};

const SET: i32 = 0;
const ORDERED_SET: i32 = 1;
const BAG: i32 = 2;
const DUPLICATE_BAG: i32 = 3;
const PROTECTED: i64 = 0;
const PUBLIC: i64 = 1;
const PRIVATE: i64 = 2;

/// Every table import, declared before the common prelude.
const TABLE_IMPORTS: &str = r#"
  (import "warren_v1" "table_new" (func $table_new (param i32 i32 i32 i32 i64) (result i64)))
  (import "warren_v1" "table_whereis" (func $table_whereis (param i32 i32) (result i64)))
  (import "warren_v1" "table_delete" (func $table_delete (param i64) (result i32)))
  (import "warren_v1" "table_give_away" (func $table_give_away (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "table_set_heir" (func $table_set_heir (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "table_info" (func $table_info (param i64 i32 i32) (result i32)))
  (import "warren_v1" "table_list" (func $table_list (param i32 i32) (result i32)))
  (import "warren_v1" "table_insert" (func $table_insert (param i64 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_insert_new" (func $table_insert_new (param i64 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_insert_many" (func $table_insert_many (param i64 i32 i32) (result i32)))
  (import "warren_v1" "table_insert_new_many" (func $table_insert_new_many (param i64 i32 i32) (result i32)))
  (import "warren_v1" "table_lookup" (func $table_lookup (param i64 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_member" (func $table_member (param i64 i32 i32) (result i32)))
  (import "warren_v1" "table_take" (func $table_take (param i64 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_delete_key" (func $table_delete_key (param i64 i32 i32) (result i32)))
  (import "warren_v1" "table_delete_object" (func $table_delete_object (param i64 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_delete_all" (func $table_delete_all (param i64) (result i64)))
  (import "warren_v1" "table_update_counter" (func $table_update_counter (param i64 i32 i32 i64 i32 i64 i32) (result i32)))
  (import "warren_v1" "table_update" (func $table_update (param i64 i32 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_first" (func $table_first (param i64 i32 i32) (result i32)))
  (import "warren_v1" "table_last" (func $table_last (param i64 i32 i32) (result i32)))
  (import "warren_v1" "table_next" (func $table_next (param i64 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_prev" (func $table_prev (param i64 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_range" (func $table_range (param i64 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_select_prefix" (func $table_select_prefix (param i64 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_chunk" (func $table_chunk (param i64 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "warren_v1" "table_result_read" (func $table_result_read (param i32 i32) (result i32)))
"#;

/// The proxy (export `proxy`). A command is a message with tag 1:
/// `[op: i32][flags: i32][tid: i64][n1: i64][n2: i64][key_len: i32]
/// [val_len: i32][aux_len: i32][dst_len: i32][key][val][aux]`, copied to
/// 0x10000. The reply (tag = op) is `[ret: i64][out: i64][dst bytes]`, with
/// the first `ret` bytes of the 0x100000 buffer when `0 <= ret <= dst_len`.
const PROXY: &str = r#"
  (data (i32.const 16) "\01\00\00\00\00\00\00\00")
  (data (i32.const 24) "\9a\ff\ff\ff\ff\ff\ff\ff")
  (func (export "proxy")
    (local $len i32) (local $op i32) (local $flags i32) (local $tid i64) (local $n1 i64) (local $n2 i64)
    (local $k i32) (local $kl i32) (local $v i32) (local $vl i32) (local $a i32) (local $al i32) (local $dl i32)
    (local $ret i64) (local $copy i32) (local $from i64)
    (drop (memory.grow (i32.const 40)))
    (loop $serve
      (local.set $len (call $receive (i32.const 16) (i32.const 1) (i64.const -1)))
      (local.set $from (call $msg_sender))
      (drop (call $msg_read (i32.const 0) (i32.const 0x10000) (local.get $len)))
      (local.set $op (i32.load (i32.const 0x10000)))
      (local.set $flags (i32.load (i32.const 0x10004)))
      (local.set $tid (i64.load (i32.const 0x10008)))
      (local.set $n1 (i64.load (i32.const 0x10010)))
      (local.set $n2 (i64.load (i32.const 0x10018)))
      (local.set $kl (i32.load (i32.const 0x10020)))
      (local.set $vl (i32.load (i32.const 0x10024)))
      (local.set $al (i32.load (i32.const 0x10028)))
      (local.set $dl (i32.load (i32.const 0x1002c)))
      (local.set $k (i32.const 0x10030))
      (local.set $v (i32.add (local.get $k) (local.get $kl)))
      (local.set $a (i32.add (local.get $v) (local.get $vl)))
      (i64.store (i32.const 0xffff8) (i64.const 0))
      (local.set $ret (i64.const -999))
      (block $reply
        (block $b30 (block $b29 (block $b28 (block $b27 (block $b26 (block $b25 (block $b24 (block $b23
        (block $b22 (block $b21 (block $b20 (block $b19 (block $b18 (block $b17 (block $b16 (block $b15
        (block $b14 (block $b13 (block $b12 (block $b11 (block $b10 (block $b9 (block $b8 (block $b7
        (block $b6 (block $b5 (block $b4 (block $b3 (block $b2 (block $b1 (block $b0
          (br_table $b0 $b1 $b2 $b3 $b4 $b5 $b6 $b7 $b8 $b9 $b10 $b11 $b12 $b13 $b14 $b15 $b16 $b17
                    $b18 $b19 $b20 $b21 $b22 $b23 $b24 $b25 $b26 $b27 $b28 $b29 $b30 $reply (local.get $op)))
        (return))
        (local.set $ret (call $table_new (local.get $k) (local.get $kl) (local.get $flags)
          (i32.wrap_i64 (local.get $n1)) (local.get $n2)))
        (br $reply))
        (local.set $ret (call $table_whereis (local.get $k) (local.get $kl)))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_delete (local.get $tid))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_give_away (local.get $tid) (local.get $n1) (local.get $v) (local.get $vl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_set_heir (local.get $tid) (local.get $n1) (local.get $v) (local.get $vl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_info (local.get $tid) (i32.const 0x100000) (local.get $dl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_list (i32.const 0x100000) (local.get $dl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_insert (local.get $tid) (local.get $k) (local.get $kl) (local.get $v) (local.get $vl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_insert_new (local.get $tid) (local.get $k) (local.get $kl) (local.get $v) (local.get $vl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_insert_many (local.get $tid) (local.get $v) (local.get $vl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_insert_new_many (local.get $tid) (local.get $v) (local.get $vl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_lookup (local.get $tid) (local.get $k) (local.get $kl) (i32.const 0x100000) (local.get $dl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_member (local.get $tid) (local.get $k) (local.get $kl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_take (local.get $tid) (local.get $k) (local.get $kl) (i32.const 0x100000) (local.get $dl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_delete_key (local.get $tid) (local.get $k) (local.get $kl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_delete_object (local.get $tid) (local.get $k) (local.get $kl) (local.get $v) (local.get $vl))))
        (br $reply))
        (local.set $ret (call $table_delete_all (local.get $tid)))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_update_counter (local.get $tid) (local.get $k) (local.get $kl)
          (local.get $n1) (local.get $flags) (local.get $n2) (i32.const 0xffff8))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_update (local.get $tid) (local.get $k) (local.get $kl) (local.get $flags) (local.get $v) (local.get $vl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_first (local.get $tid) (i32.const 0x100000) (local.get $dl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_last (local.get $tid) (i32.const 0x100000) (local.get $dl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_next (local.get $tid) (local.get $k) (local.get $kl) (i32.const 0x100000) (local.get $dl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_prev (local.get $tid) (local.get $k) (local.get $kl) (i32.const 0x100000) (local.get $dl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_range (local.get $tid) (local.get $k) (local.get $kl) (local.get $a) (local.get $al)
          (local.get $flags) (i32.wrap_i64 (local.get $n1)) (i32.const 0x100000) (local.get $dl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_select_prefix (local.get $tid) (local.get $k) (local.get $kl) (local.get $a) (local.get $al)
          (local.get $flags) (i32.wrap_i64 (local.get $n1)) (i32.const 0x100000) (local.get $dl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_chunk (local.get $tid) (local.get $a) (local.get $al)
          (local.get $flags) (i32.wrap_i64 (local.get $n1)) (i32.const 0x100000) (local.get $dl))))
        (br $reply))
        (local.set $ret (i64.extend_i32_s (call $table_result_read (i32.const 0x100000) (local.get $dl))))
        (br $reply))
        ;; 28: insert with the key range (n1, flags) as given
        (local.set $ret (i64.extend_i32_s (call $table_insert (local.get $tid) (i32.wrap_i64 (local.get $n1)) (local.get $flags) (local.get $v) (local.get $vl))))
        (br $reply))
        ;; 29: wait n1 ms for a TAG_TABLE_TRANSFER message; out = its sender
        (local.set $ret (i64.extend_i32_s (call $receive (i32.const 24) (i32.const 1) (local.get $n1))))
        (if (i64.ge_s (local.get $ret) (i64.const 0)) (then
          (drop (call $msg_read (i32.const 0) (i32.const 0x100000) (local.get $dl)))
          (i64.store (i32.const 0xffff8) (call $msg_sender))))
        (br $reply))
        ;; 30: lookup into the destination range (n1, flags) as given
        (local.set $ret (i64.extend_i32_s (call $table_lookup (local.get $tid) (local.get $k) (local.get $kl) (i32.wrap_i64 (local.get $n1)) (local.get $flags))))
      )
      (i64.store (i32.const 0xffff0) (local.get $ret))
      (local.set $copy (select (i32.wrap_i64 (local.get $ret)) (i32.const 0)
        (i32.and (i64.ge_s (local.get $ret) (i64.const 0)) (i64.le_s (local.get $ret) (i64.extend_i32_s (local.get $dl))))))
      (drop (call $send (local.get $from) (i64.extend_i32_u (local.get $op)) (i32.const 0xffff0) (i32.add (i32.const 16) (local.get $copy))))
      (br $serve)))

  ;; counter: argument [reporter][tid: i64][n: i32]; adds 1 to key "hits" n times.
  (data (i32.const 32) "hits")
  (func (export "counter")
    (local $tid i64) (local $n i32)
    (drop (call $arg_read (i32.const 64) (i32.const 20)))
    (local.set $tid (i64.load (i32.const 72)))
    (local.set $n (i32.load (i32.const 80)))
    (loop $add
      (if (i32.ne (call $table_update_counter (local.get $tid) (i32.const 32) (i32.const 4)
                    (i64.const 1) (i32.const 1) (i64.const 0) (i32.const 96)) (i32.const 0))
        (then unreachable))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $add (i32.gt_s (local.get $n) (i32.const 0))))
    (call $report (i64.load (i32.const 64)) (i64.const 7) (i64.load (i32.const 96))))
"#;

/// The proxy module's source.
fn proxy_module() -> String {
    format!("(module {TABLE_IMPORTS} {PRELUDE} {PROXY})")
}

/// One command to a proxy.
#[derive(Clone, Default)]
struct Cmd {
    op: i32,
    flags: i32,
    tid: i64,
    n1: i64,
    n2: i64,
    key: Vec<u8>,
    val: Vec<u8>,
    aux: Vec<u8>,
    dst: i32,
}

fn cmd(op: i32, tid: i64) -> Cmd {
    Cmd { op, tid, dst: 65_536, ..Cmd::default() }
}

/// A proxy's answer: the call's return value, the `out` word (a counter's
/// new value, a message's sender), and the bytes it wrote.
#[derive(Debug)]
struct Reply {
    ret: i64,
    out: i64,
    data: Vec<u8>,
}

/// A proxy process and the inbox that talks to it.
struct Proxy {
    inbox: Inbox,
    handle: ProcessHandle,
}

impl Proxy {
    fn spawn(node: &Node, module: &LoadedModule) -> Proxy {
        let inbox = node.inbox();
        let handle = spawn(node, module, "proxy", b"");
        Proxy { inbox, handle }
    }

    fn pid(&self) -> Pid {
        self.handle.pid()
    }

    fn call(&self, c: Cmd) -> Reply {
        let mut m = Vec::new();
        for word in [c.op, c.flags] {
            m.extend_from_slice(&word.to_le_bytes());
        }
        for word in [c.tid, c.n1, c.n2] {
            m.extend_from_slice(&word.to_le_bytes());
        }
        for len in [c.key.len() as i32, c.val.len() as i32, c.aux.len() as i32, c.dst] {
            m.extend_from_slice(&len.to_le_bytes());
        }
        m.extend_from_slice(&c.key);
        m.extend_from_slice(&c.val);
        m.extend_from_slice(&c.aux);
        self.inbox.send(self.pid(), 1, &m);
        let reply = recv_tag(&self.inbox, i64::from(c.op));
        Reply { ret: as_i64(&reply.data[..8]), out: as_i64(&reply.data[8..16]), data: reply.data[16..].to_vec() }
    }

    fn ret(&self, c: Cmd) -> i64 {
        self.call(c).ret
    }

    fn new_table(&self, name: &[u8], kind: i32, access: i64, max_bytes: i64) -> i64 {
        self.ret(Cmd { flags: kind, n1: access, n2: max_bytes, key: name.to_vec(), ..cmd(1, 0) })
    }

    fn table(&self, kind: i32, access: i64) -> i64 {
        let tid = self.new_table(b"", kind, access, 0);
        assert!(tid > 0, "table_new returned {tid}");
        tid
    }

    fn insert(&self, tid: i64, key: &[u8], val: &[u8]) -> i64 {
        self.ret(Cmd { key: key.to_vec(), val: val.to_vec(), ..cmd(8, tid) })
    }

    fn insert_new(&self, tid: i64, key: &[u8], val: &[u8]) -> i64 {
        self.ret(Cmd { key: key.to_vec(), val: val.to_vec(), ..cmd(9, tid) })
    }

    fn insert_many(&self, tid: i64, objects: &[(&[u8], &[u8])], only_new: bool) -> i64 {
        self.ret(Cmd { val: records(objects), ..cmd(if only_new { 11 } else { 10 }, tid) })
    }

    /// `(return value, bytes)` of table_lookup.
    fn lookup(&self, tid: i64, key: &[u8]) -> (i64, Vec<u8>) {
        let r = self.call(Cmd { key: key.to_vec(), ..cmd(12, tid) });
        (r.ret, r.data)
    }

    fn member(&self, tid: i64, key: &[u8]) -> i64 {
        self.ret(Cmd { key: key.to_vec(), ..cmd(13, tid) })
    }

    fn take(&self, tid: i64, key: &[u8]) -> (i64, Vec<u8>) {
        let r = self.call(Cmd { key: key.to_vec(), ..cmd(14, tid) });
        (r.ret, r.data)
    }

    fn delete_key(&self, tid: i64, key: &[u8]) -> i64 {
        self.ret(Cmd { key: key.to_vec(), ..cmd(15, tid) })
    }

    fn delete_object(&self, tid: i64, key: &[u8], val: &[u8]) -> i64 {
        self.ret(Cmd { key: key.to_vec(), val: val.to_vec(), ..cmd(16, tid) })
    }

    /// `(return value, new counter)` of table_update_counter.
    fn counter(&self, tid: i64, key: &[u8], incr: i64, default: Option<i64>) -> (i64, i64) {
        let r = self.call(Cmd {
            key: key.to_vec(),
            n1: incr,
            flags: i32::from(default.is_some()),
            n2: default.unwrap_or(0),
            ..cmd(18, tid)
        });
        (r.ret, r.out)
    }

    fn update(&self, tid: i64, key: &[u8], offset: i32, val: &[u8]) -> i64 {
        self.ret(Cmd { key: key.to_vec(), flags: offset, val: val.to_vec(), ..cmd(19, tid) })
    }

    /// A key from first (20), last (21), next (22) or prev (23).
    fn step(&self, op: i32, tid: i64, key: &[u8]) -> Option<Vec<u8>> {
        let r = self.call(Cmd { key: key.to_vec(), ..cmd(op, tid) });
        if r.ret == i64::from(ERR_NOT_FOUND) {
            return None;
        }
        assert!(r.ret >= 0, "step {op}: {}", r.ret);
        Some(r.data)
    }

    fn range(&self, tid: i64, from: &[u8], to: &[u8], flags: i32, limit: i64) -> Reply {
        self.call(Cmd { key: from.to_vec(), aux: to.to_vec(), flags, n1: limit, ..cmd(24, tid) })
    }

    fn select(&self, tid: i64, prefix: &[u8], after: Option<&[u8]>, limit: i64) -> Reply {
        let aux = after.unwrap_or_default().to_vec();
        self.call(Cmd { key: prefix.to_vec(), aux, flags: i32::from(after.is_some()), n1: limit, ..cmd(25, tid) })
    }

    fn chunk(&self, tid: i64, after: Option<&[u8]>, limit: i64) -> Reply {
        let aux = after.unwrap_or_default().to_vec();
        self.call(Cmd { aux, flags: i32::from(after.is_some()), n1: limit, ..cmd(26, tid) })
    }

    fn info(&self, tid: i64) -> Info {
        let r = self.call(cmd(6, tid));
        assert_eq!(r.ret, 64, "table_info: {}", r.ret);
        Info::parse(&r.data)
    }

    fn give_away(&self, tid: i64, to: Pid, data: &[u8]) -> i64 {
        self.ret(Cmd { n1: to.raw() as i64, val: data.to_vec(), ..cmd(4, tid) })
    }

    fn set_heir(&self, tid: i64, heir: i64, data: &[u8]) -> i64 {
        self.ret(Cmd { n1: heir, val: data.to_vec(), ..cmd(5, tid) })
    }

    /// Waits for a table transfer message: `(payload, sender)`.
    fn transfer(&self) -> (Vec<u8>, i64) {
        let r = self.call(Cmd { n1: 30_000, ..cmd(29, 0) });
        assert!(r.ret >= 0, "no transfer message: {}", r.ret);
        (r.data, r.out)
    }

    fn stop(self) {
        self.inbox.send(self.pid(), 1, &[0; 48]);
        finish_normally(&self.handle);
    }
}

/// The fields of `table_info`'s 64-byte record.
#[derive(Debug, PartialEq)]
struct Info {
    id: i64,
    owner: i64,
    heir: i64,
    size: i64,
    keys: i64,
    memory: i64,
    max_bytes: i64,
    kind: i32,
    access: i32,
}

impl Info {
    fn parse(b: &[u8]) -> Info {
        let w = |i: usize| as_i64(&b[i * 8..i * 8 + 8]);
        let int = |at: usize| i32::from_le_bytes(b[at..at + 4].try_into().unwrap());
        Info {
            id: w(0),
            owner: w(1),
            heir: w(2),
            size: w(3),
            keys: w(4),
            memory: w(5),
            max_bytes: w(6),
            kind: int(56),
            access: int(60),
        }
    }
}

/// `[key_len u32][key][val_len u32][val]...`
fn records(objects: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (key, val) in objects {
        out.extend_from_slice(&(key.len() as u32).to_le_bytes());
        out.extend_from_slice(key);
        out.extend_from_slice(&(val.len() as u32).to_le_bytes());
        out.extend_from_slice(val);
    }
    out
}

fn parse_records(mut bytes: &[u8]) -> Vec<(Vec<u8>, Vec<u8>)> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        let kl = u32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize;
        let key = bytes[4..4 + kl].to_vec();
        bytes = &bytes[4 + kl..];
        let vl = u32::from_le_bytes(bytes[..4].try_into().unwrap()) as usize;
        let val = bytes[4..4 + vl].to_vec();
        bytes = &bytes[4 + vl..];
        out.push((key, val));
    }
    out
}

fn keys_of(reply: &Reply) -> Vec<Vec<u8>> {
    parse_records(&reply.data).into_iter().map(|(k, _)| k).collect()
}

/// The `sdk-table` guest, compiled once per test run (compiling it is slow
/// in a debug build) and loaded precompiled into each node (every node here
/// has the same engine settings).
fn load_sdk(node: &Node) -> LoadedModule {
    static COMPILED: OnceLock<Vec<u8>> = OnceLock::new();
    let compiled = COMPILED.get_or_init(|| {
        let wasm = std::fs::read(warren_test_artifacts::SDK_TABLE).expect("the sdk-table guest was built");
        node.precompile(&wasm).expect("sdk-table compiles")
    });
    node.load("sdk-table", compiled).expect("the precompiled sdk-table loads")
}

fn setup(schedulers: usize) -> (Node, LoadedModule) {
    let node = node(schedulers);
    let module = load(&node, "table-proxy", &proxy_module());
    (node, module)
}

const NF: i64 = ERR_NOT_FOUND as i64;

#[test]
fn set_and_ordered_set_support_every_operation() {
    let (node, module) = setup(2);
    let p = Proxy::spawn(&node, &module);
    for kind in [SET, ORDERED_SET] {
        let t = p.table(kind, PROTECTED);
        // insert, replace, insert_new, lookup, member
        assert_eq!(p.insert(t, b"k1", b"v1"), 0);
        assert_eq!(p.insert(t, b"k1", b"value one"), 0);
        assert_eq!(p.lookup(t, b"k1"), (9, b"value one".to_vec()));
        assert_eq!(p.insert_new(t, b"k1", b"x"), 0);
        assert_eq!(p.insert_new(t, b"k2", b"v2"), 1);
        assert_eq!((p.member(t, b"k2"), p.member(t, b"nope")), (1, 0));
        assert_eq!(p.lookup(t, b"nope").0, NF);
        // A result larger than the buffer stays pending for table_result_read.
        let big = vec![b'x'; 10_000];
        assert_eq!(p.insert(t, b"big", &big), 0);
        let r = p.call(Cmd { key: b"big".to_vec(), dst: 100, ..cmd(12, t) });
        assert_eq!((r.ret, r.data.len()), (10_000, 0));
        let r = p.call(Cmd { dst: 50, ..cmd(27, 0) });
        assert_eq!((r.ret, r.data.len()), (10_000, 0), "still too small: the size again");
        let r = p.call(Cmd { dst: 10_000, ..cmd(27, 0) });
        assert_eq!((r.ret, &r.data), (10_000, &big));
        assert_eq!(p.ret(cmd(27, 0)), i64::from(ERR_NO_RESULT), "read once");
        // take, delete, delete_object
        assert_eq!(p.take(t, b"big"), (10_000, big.clone()));
        assert_eq!(p.take(t, b"big").0, NF);
        assert_eq!(p.delete_object(t, b"k2", b"other"), 0);
        assert_eq!(p.delete_object(t, b"k2", b"v2"), 1);
        assert_eq!(p.delete_key(t, b"k2"), 0);
        assert_eq!(p.delete_key(t, b"k1"), 1);
        // update_counter
        assert_eq!(p.counter(t, b"c", 5, None), (NF, 0));
        assert_eq!(p.counter(t, b"c", 5, Some(100)), (0, 105));
        assert_eq!(p.counter(t, b"c", -200, None), (0, -95));
        assert_eq!(p.lookup(t, b"c"), (8, (-95i64).to_le_bytes().to_vec()), "a counter is 8 bytes LE");
        p.insert(t, b"text", b"abc");
        assert_eq!(p.counter(t, b"text", 1, Some(0)).0, i64::from(ERR_NOT_A_COUNTER));
        p.insert(t, b"max", &i64::MAX.to_le_bytes());
        assert_eq!(p.counter(t, b"max", 1, None).0, i64::from(ERR_OVERFLOW));
        // update: whole value, a patch, errors
        assert_eq!(p.update(t, b"text", 1, b"XYZ"), 0);
        assert_eq!(p.lookup(t, b"text").1, b"aXYZ");
        assert_eq!(p.update(t, b"text", -1, b"new"), 0);
        assert_eq!(p.lookup(t, b"text").1, b"new");
        assert_eq!(p.update(t, b"text", 4, b"!"), i64::from(ERR_BADARG), "offset past the end");
        assert_eq!(p.update(t, b"missing", -1, b"x"), NF);
        // insert_many / insert_new_many (atomic)
        assert_eq!(p.insert_many(t, &[(b"a", b"1"), (b"b", b"2"), (b"a", b"3")], false), 3);
        assert_eq!(p.lookup(t, b"a").1, b"3", "the last value of a repeated key wins");
        assert_eq!(p.insert_many(t, &[(b"d", b"4"), (b"b", b"x")], true), 0);
        assert_eq!(p.member(t, b"d"), 0, "nothing inserted");
        assert_eq!(p.insert_many(t, &[(b"d", b"4"), (b"e", b"5")], true), 1);
        assert_eq!(p.ret(Cmd { val: vec![9, 0, 0, 0, 1], ..cmd(10, t) }), i64::from(ERR_BADARG), "malformed records");
        // info and size: a, b, c, d, e, max, text
        let info = p.info(t);
        assert_eq!((info.id, info.owner, info.heir, info.size, info.keys), (t, p.pid().raw() as i64, 0, 7, 7));
        assert_eq!((info.kind, info.access, info.max_bytes), (kind, 0, 0));
        // traversal: first/next/last/prev visit every key once
        let mut walked = Vec::new();
        let mut key = p.step(20, t, b"");
        while let Some(k) = key {
            key = p.step(22, t, &k);
            walked.push(k);
        }
        let mut back = Vec::new();
        let mut key = p.step(21, t, b"");
        while let Some(k) = key {
            key = p.step(23, t, &k);
            back.push(k);
        }
        back.reverse();
        assert_eq!(walked, back);
        let mut sorted = walked.clone();
        sorted.sort();
        if kind == ORDERED_SET {
            assert_eq!(walked, sorted, "ordered_set traverses in key order");
        }
        sorted.dedup();
        assert_eq!(sorted.len(), 7);
        // chunks and prefix selection
        let mut chunked = Vec::new();
        let mut after: Option<Vec<u8>> = None;
        loop {
            let r = p.chunk(t, after.as_deref(), 3);
            let keys = keys_of(&r);
            let Some(last) = keys.last().cloned() else { break };
            assert!(keys.len() <= 3);
            chunked.extend(keys);
            after = Some(last);
        }
        assert_eq!(chunked, walked, "chunks follow the traversal order");
        p.insert(t, b"text2", b"t");
        let r = p.select(t, b"tex", None, 10);
        let mut texts = keys_of(&r);
        texts.sort();
        assert_eq!(texts, [b"text".to_vec(), b"text2".to_vec()]);
        // ranges: ordered_set only
        let r = p.range(t, b"b", b"e", 0, 100);
        if kind == ORDERED_SET {
            assert_eq!(
                parse_records(&r.data),
                [
                    (b"b".to_vec(), b"2".to_vec()),
                    (b"c".to_vec(), (-95i64).to_le_bytes().to_vec()),
                    (b"d".to_vec(), b"4".to_vec())
                ]
            );
        } else {
            assert_eq!(r.ret, i64::from(ERR_WRONG_TYPE));
        }
        // delete_all, then delete
        assert_eq!(p.ret(cmd(17, t)), 8);
        assert_eq!(p.info(t).size, 0);
        assert_eq!(p.ret(cmd(3, t)), 0);
        assert_eq!(p.insert(t, b"k", b"v"), i64::from(ERR_NO_SUCH_TABLE));
    }
    assert_eq!(node.tables_memory(), 0);
    p.stop();
}

#[test]
fn ordered_set_ranges_with_bounds_limits_and_direction() {
    let (node, module) = setup(1);
    let p = Proxy::spawn(&node, &module);
    let t = p.table(ORDERED_SET, PROTECTED);
    let objects: Vec<([u8; 2], [u8; 1])> = (0..50u16).map(|i| ((i * 2).to_be_bytes(), [i as u8])).collect();
    let refs: Vec<(&[u8], &[u8])> = objects.iter().map(|(k, v)| (&k[..], &v[..])).collect();
    assert_eq!(p.insert_many(t, &refs, false), 50);
    let nums =
        |r: &Reply| -> Vec<u16> { keys_of(r).iter().map(|k| u16::from_be_bytes(k[..].try_into().unwrap())).collect() };
    let (from, to) = (10u16.to_be_bytes(), 20u16.to_be_bytes());
    assert_eq!(nums(&p.range(t, &from, &to, 0, 100)), [10, 12, 14, 16, 18]);
    assert_eq!(nums(&p.range(t, &from, &to, 1 | 2, 100)), [12, 14, 16, 18, 20], "exclusive from, inclusive to");
    assert_eq!(nums(&p.range(t, &from, &to, 16, 2)), [18, 16], "reverse, from the upper end, limited");
    assert_eq!(nums(&p.range(t, b"", &to, 4, 3)), [0, 2, 4], "from the start");
    assert_eq!(nums(&p.range(t, &from, b"", 8 | 16, 2)), [98, 96], "to the end, reversed");
    assert_eq!(nums(&p.range(t, &to, &from, 0, 100)), Vec::<u16>::new(), "an inverted range is empty");
    assert_eq!(p.range(t, &from, &to, 64, 10).ret, i64::from(ERR_BADARG), "unknown flag");
    assert_eq!(p.range(t, &from, &to, 0, 0).ret, i64::from(ERR_BADARG), "limit 0");
    p.stop();
}

#[test]
fn bag_and_duplicate_bag_support_every_operation() {
    let (node, module) = setup(2);
    let p = Proxy::spawn(&node, &module);
    for kind in [BAG, DUPLICATE_BAG] {
        let t = p.table(kind, PROTECTED);
        for v in [&b"x"[..], b"y", b"x"] {
            assert_eq!(p.insert(t, b"k", v), 0);
        }
        let expected: Vec<&[u8]> = if kind == BAG { vec![b"x", b"y"] } else { vec![b"x", b"y", b"x"] };
        let (ret, data) = p.lookup(t, b"k");
        assert_eq!(ret as usize, data.len());
        let objects = parse_records(&data);
        assert_eq!(objects.iter().map(|(_, v)| v.as_slice()).collect::<Vec<_>>(), expected, "records, insertion order");
        assert!(objects.iter().all(|(k, _)| k == b"k"));
        assert_eq!(p.insert_new(t, b"k", b"z"), 0, "the key exists");
        assert_eq!(p.insert_new(t, b"k2", b"z"), 1);
        assert_eq!(p.member(t, b"k2"), 1);
        let info = p.info(t);
        assert_eq!((info.size, info.keys, info.kind), (expected.len() as i64 + 1, 2, kind));
        assert_eq!(p.delete_object(t, b"k", b"x"), if kind == BAG { 1 } else { 2 }, "every copy goes");
        assert_eq!(parse_records(&p.lookup(t, b"k").1), [(b"k".to_vec(), b"y".to_vec())]);
        // No counters, updates or ranges on bags.
        assert_eq!(p.counter(t, b"n", 1, Some(0)).0, i64::from(ERR_WRONG_TYPE));
        assert_eq!(p.update(t, b"k", -1, b"v"), i64::from(ERR_WRONG_TYPE));
        assert_eq!(p.range(t, b"a", b"z", 0, 10).ret, i64::from(ERR_WRONG_TYPE));
        // A chunk never splits a key's objects.
        for v in [&b"1"[..], b"2", b"3"] {
            p.insert(t, b"many", v);
        }
        let r = p.chunk(t, None, 1);
        let first = parse_records(&r.data);
        let key = &first[0].0;
        let all = parse_records(&p.lookup(t, key).1);
        assert_eq!(first, all);
        let r = p.select(t, b"man", None, 10);
        assert_eq!(parse_records(&r.data).len(), 3);
        assert!(p.step(20, t, b"").is_some());
        // take returns every object and removes the key.
        let (ret, data) = p.take(t, b"many");
        assert_eq!((ret as usize, parse_records(&data).len()), (data.len(), 3));
        assert_eq!(p.member(t, b"many"), 0);
        assert_eq!(p.delete_key(t, b"k2"), 1);
        assert_eq!(p.ret(cmd(17, t)), 1);
    }
    p.stop();
}

#[test]
fn access_rules_hold_for_owner_and_others() {
    let (node, module) = setup(2);
    let (owner, other) = (Proxy::spawn(&node, &module), Proxy::spawn(&node, &module));
    for access in [PUBLIC, PROTECTED, PRIVATE] {
        let t = owner.table(SET, access);
        assert_eq!(owner.insert(t, b"k", b"v"), 0, "the owner always writes");
        assert_eq!(owner.lookup(t, b"k").0, 1, "and reads");
        // Reads answer a size (>= 0) or ERR_ACCESS; writes OK or ERR_ACCESS.
        let denied = |ret: i64| match ret {
            0.. => false,
            e if e == i64::from(ERR_ACCESS) => true,
            other => panic!("unexpected {other}"),
        };
        let read = denied(other.lookup(t, b"k").0);
        let walk = denied(other.call(cmd(20, t)).ret);
        let select = denied(other.select(t, b"", None, 10).ret);
        let write = denied(other.insert(t, b"k2", b"v"));
        let counter = denied(other.counter(t, b"n", 1, Some(0)).0);
        let remove = denied(other.delete_key(t, b"k"));
        match access {
            PUBLIC => {
                assert_eq!((read, walk, select, write, counter, remove), (false, false, false, false, false, false))
            }
            PROTECTED => {
                assert_eq!((read, walk, select, write, counter, remove), (false, false, false, true, true, true))
            }
            _ => assert_eq!((read, walk, select, write, counter, remove), (true, true, true, true, true, true)),
        }
        // Only the owner gives away or sets an heir; info is for everyone.
        assert_eq!(other.give_away(t, owner.pid(), b""), i64::from(ERR_ACCESS));
        assert_eq!(other.set_heir(t, other.pid().raw() as i64, b""), i64::from(ERR_ACCESS));
        assert_eq!(other.info(t).owner, owner.pid().raw() as i64);
        // Deleting needs write access.
        let deleted = other.ret(cmd(3, t));
        if access == PUBLIC {
            assert_eq!(deleted, 0);
        } else {
            assert_eq!(deleted, i64::from(ERR_ACCESS));
            assert_eq!(owner.ret(cmd(3, t)), 0);
        }
    }
    owner.stop();
    other.stop();
}

#[test]
fn an_owner_exit_deletes_its_tables() {
    let (node, module) = setup(2);
    let (owner, other) = (Proxy::spawn(&node, &module), Proxy::spawn(&node, &module));
    let named = owner.new_table(b"sessions", SET, PUBLIC, 0);
    let anon = owner.table(ORDERED_SET, PUBLIC);
    owner.insert(named, b"k", b"v");
    owner.insert(anon, b"k", b"v");
    assert_eq!(other.ret(Cmd { key: b"sessions".to_vec(), ..cmd(2, 0) }), named);
    assert_eq!(other.lookup(named, b"k").0, 1, "the other process reads (and caches the handle)");
    assert_eq!(node.tables().len(), 2);
    assert!(node.tables_memory() > 0);
    owner.stop();
    assert!(node.tables().is_empty());
    assert_eq!(node.tables_memory(), 0);
    assert_eq!(other.lookup(named, b"k").0, i64::from(ERR_NO_SUCH_TABLE), "a cached handle sees the deletion");
    assert_eq!(other.insert(anon, b"k", b"v"), i64::from(ERR_NO_SUCH_TABLE));
    assert_eq!(other.ret(Cmd { key: b"sessions".to_vec(), ..cmd(2, 0) }), i64::from(ERR_NO_SUCH_TABLE));
    let again = other.new_table(b"sessions", SET, PUBLIC, 0);
    assert!(again > anon, "the name is free again and ids are never reused");
    other.stop();
    assert!(node.tables().is_empty());
}

#[test]
fn an_heir_inherits_the_table_and_gets_a_message() {
    let (node, module) = setup(2);
    let (owner, heir) = (Proxy::spawn(&node, &module), Proxy::spawn(&node, &module));
    let t = owner.table(SET, PROTECTED);
    owner.insert(t, b"k", b"v");
    assert_eq!(owner.set_heir(t, heir.pid().raw() as i64, b"heir data"), 0);
    assert_eq!(owner.info(t).heir, heir.pid().raw() as i64);
    assert_eq!(heir.insert(t, b"k", b"w"), i64::from(ERR_ACCESS), "not the owner yet");
    let owner_pid = owner.pid();
    owner.stop();
    let (payload, sender) = heir.transfer();
    assert_eq!(as_i64(&payload[..8]), t);
    assert_eq!(as_i64(&payload[8..16]), owner_pid.raw() as i64);
    assert_eq!(&payload[16..], b"heir data");
    assert_eq!(sender, owner_pid.raw() as i64, "the message comes from the old owner");
    let info = heir.info(t);
    let heir_raw = heir.pid().raw() as i64;
    assert_eq!((info.owner, info.heir, info.size), (heir_raw, heir_raw, 1), "the heir setting stays (OTP 25)");
    assert_eq!(heir.insert(t, b"k", b"w"), 0, "the heir owns and writes");
    let found = node.tables();
    assert_eq!(
        (found.len(), found[0].owner, found[0].kind, found[0].access),
        (1, heir.pid(), TableKind::Set, TableAccess::Protected)
    );
    // The heir, now the owner and still the heir, exits: the table goes.
    heir.stop();
    assert!(node.tables().is_empty());

    // An heir that is no longer alive inherits nothing.
    let (owner, gone) = (Proxy::spawn(&node, &module), Proxy::spawn(&node, &module));
    let t = owner.table(SET, PROTECTED);
    owner.set_heir(t, gone.pid().raw() as i64, b"");
    gone.stop();
    owner.stop();
    assert!(node.tables().is_empty());
}

/// Checked against Erlang/OTP 25's ets: after the heir takes over it stays
/// the heir, so a table it gives away comes back to it when the new owner
/// exits.
#[test]
fn a_table_given_away_by_its_heir_comes_back_to_the_heir() {
    let (node, module) = setup(2);
    let (owner, heir, other) =
        (Proxy::spawn(&node, &module), Proxy::spawn(&node, &module), Proxy::spawn(&node, &module));
    let t = owner.table(SET, PROTECTED);
    assert_eq!(owner.set_heir(t, heir.pid().raw() as i64, b"h1"), 0);
    owner.stop();
    let (payload, _) = heir.transfer();
    assert_eq!(&payload[16..], b"h1");
    assert_eq!(node.tables()[0].owner, heir.pid(), "the heir took over");
    assert_eq!(heir.give_away(t, other.pid(), b"gift"), 0);
    let (payload, _) = other.transfer();
    assert_eq!(&payload[16..], b"gift");
    assert_eq!(node.tables()[0].owner, other.pid(), "given away");
    assert_eq!(other.info(t).heir, heir.pid().raw() as i64, "the heir setting came along");
    let other_pid = other.pid();
    other.stop();
    let (payload, sender) = heir.transfer();
    assert_eq!(&payload[16..], b"h1", "the heir's own data, as Erlang sends it");
    assert_eq!(sender, other_pid.raw() as i64);
    assert_eq!(node.tables()[0].owner, heir.pid(), "back with the heir");
    heir.stop();
    assert!(node.tables().is_empty(), "the heir, owner and heir at once, exits: the table goes");
}

#[test]
fn an_heir_inherits_through_the_rust_sdk() {
    let node = node(2);
    let module = load_sdk(&node);
    let inbox = node.inbox();
    let heir = spawn(&node, &module, "heir_wait", &reporter_arg(&inbox, b""));
    let owner = spawn(&node, &module, "heir_owner", &reporter_arg(&inbox, &pid_bytes(heir.pid())));
    let id = as_i64(&recv_tag(&inbox, 6).data);
    inbox.send(owner.pid(), 99, b"");
    assert_eq!(finish(&owner), ExitReason::Custom(b"owner crashed".to_vec()));
    let report = String::from_utf8(recv_tag(&inbox, 7).data.to_vec()).unwrap();
    assert_eq!(report, format!("ok {id} {} heir-data", owner.pid().raw()));
    finish_normally(&heir);
    assert!(node.tables().is_empty(), "the heir exited: its inherited table is gone");
}

#[test]
fn give_away_moves_ownership() {
    let (node, module) = setup(2);
    let (a, b) = (Proxy::spawn(&node, &module), Proxy::spawn(&node, &module));
    let t = a.table(ORDERED_SET, PROTECTED);
    a.insert(t, b"k", b"v");
    assert_eq!(a.give_away(t, a.pid(), b""), i64::from(ERR_BADARG), "not to itself");
    let dead = Proxy::spawn(&node, &module);
    let dead_pid = dead.pid();
    dead.stop();
    assert_eq!(a.give_away(t, dead_pid, b""), i64::from(ERR_NOT_ALIVE));
    assert_eq!(a.ret(Cmd { n1: -5, ..cmd(4, t) }), i64::from(ERR_BADARG), "not a pid");
    assert_eq!(a.give_away(t, b.pid(), b"gift"), 0);
    let (payload, sender) = b.transfer();
    assert_eq!(
        (as_i64(&payload[..8]), as_i64(&payload[8..16]), &payload[16..]),
        (t, a.pid().raw() as i64, &b"gift"[..])
    );
    assert_eq!(sender, a.pid().raw() as i64);
    assert_eq!(a.insert(t, b"k", b"w"), i64::from(ERR_ACCESS), "the giver no longer writes");
    assert_eq!(a.give_away(t, b.pid(), b""), i64::from(ERR_ACCESS));
    assert_eq!(b.insert(t, b"k", b"w"), 0);
    a.stop();
    assert_eq!(node.tables().len(), 1, "the giver's exit does not touch it");
    b.stop();
    assert!(node.tables().is_empty());
}

#[test]
fn update_counter_from_100_processes_on_2_schedulers_is_exact() {
    let (node, module) = setup(2);
    let owner = Proxy::spawn(&node, &module);
    let t = owner.table(SET, PUBLIC);
    let inbox = node.inbox();
    let sdk = load_sdk(&node);
    const PROCESSES: usize = 100;
    const EACH: u32 = 1_000;
    let mut arg = reporter_arg(&inbox, &t.to_le_bytes());
    arg.extend_from_slice(&EACH.to_le_bytes());
    // Half WAT guests, half Rust SDK guests, all at once.
    let workers: Vec<ProcessHandle> = (0..PROCESSES)
        .map(|i| if i % 2 == 0 { spawn(&node, &module, "counter", &arg) } else { spawn(&node, &sdk, "counter", &arg) })
        .collect();
    for _ in 0..PROCESSES {
        let report = recv_tag(&inbox, 7);
        assert!(report.data.len() == 8 || report.data.starts_with(b"ok"), "{report:?}");
    }
    for worker in &workers {
        finish_normally(worker);
    }
    let (ret, value) = owner.lookup(t, b"hits");
    assert_eq!((ret, as_i64(&value)), (8, (PROCESSES as i64) * i64::from(EACH)));
    owner.stop();
}

#[test]
fn iteration_sees_every_key_once_while_another_process_writes() {
    let node = node(2);
    let module = load_sdk(&node);
    let inbox = node.inbox();
    for kind in [SET, ORDERED_SET, BAG, DUPLICATE_BAG] {
        let reader = spawn(&node, &module, "iterate_while_writing", &reporter_arg(&inbox, &[kind as u8]));
        let report = String::from_utf8(recv_tag(&inbox, 7).data.to_vec()).unwrap();
        assert!(report.starts_with("ok 3 "), "kind {kind}: {report}");
        let writes: u64 = report.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(writes > 0, "the writer wrote meanwhile");
        finish_normally(&reader);
    }
}

#[test]
fn range_paging_over_100000_keys_returns_each_key_once_in_order() {
    let node = node(2);
    let module = load_sdk(&node);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "range_paging", &reporter_arg(&inbox, &100_000u32.to_le_bytes()));
    let report = recv_tag(&inbox, 7);
    assert_eq!(String::from_utf8_lossy(&report.data), "ok 100000");
    finish_normally(&process);
    assert!(node.tables().is_empty(), "a private table goes with its owner");
}

#[test]
fn the_typed_sdk_table_works_on_every_type() {
    let node = node(2);
    let module = load_sdk(&node);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "typed", &reporter_arg(&inbox, b""));
    let report = recv_tag(&inbox, 7);
    assert_eq!(String::from_utf8_lossy(&report.data), "ok typed");
    finish_normally(&process);
}

#[test]
fn bad_ids_wrong_types_and_oversized_keys_give_clear_codes() {
    let node = node_with(NodeConfig::default().schedulers(2).max_message(64 << 10));
    let module = load(&node, "table-proxy", &proxy_module());
    let p = Proxy::spawn(&node, &module);
    let live = node.inbox();
    let no_table = i64::from(ERR_NO_SUCH_TABLE);
    for tid in [0, -1, 999_999, i64::MAX] {
        assert_eq!(p.insert(tid, b"k", b"v"), no_table);
        assert_eq!(p.lookup(tid, b"k").0, no_table);
        assert_eq!(p.ret(cmd(20, tid)), no_table);
        assert_eq!(p.range(tid, b"", b"", 4 | 8, 10).ret, no_table);
        assert_eq!(p.counter(tid, b"k", 1, Some(0)).0, no_table);
        assert_eq!(p.ret(cmd(6, tid)), no_table);
        assert_eq!(p.ret(cmd(3, tid)), no_table);
        assert_eq!(p.ret(cmd(17, tid)), no_table);
        assert_eq!(p.give_away(tid, live.pid(), b""), no_table);
        // Giving a table to oneself is a bad argument, whatever the table.
        assert_eq!(p.give_away(tid, p.pid(), b""), i64::from(ERR_BADARG));
    }
    // Bad kinds, accesses, limits, names.
    assert_eq!(p.new_table(b"", 4, PUBLIC, 0), i64::from(ERR_BADARG));
    assert_eq!(p.new_table(b"", SET, 3, 0), i64::from(ERR_BADARG));
    assert_eq!(p.new_table(b"", SET, PUBLIC, -1), i64::from(ERR_BADARG));
    assert_eq!(p.new_table(&[b'n'; 256], SET, PUBLIC, 0), i64::from(ERR_BADARG), "names are at most 255 bytes");
    assert_eq!(p.ret(cmd(2, 0)), i64::from(ERR_BADARG), "whereis with an empty name");
    assert!(p.new_table(b"taken", SET, PUBLIC, 0) > 0);
    assert_eq!(p.new_table(b"taken", BAG, PUBLIC, 0), i64::from(ERR_TABLE_NAME_TAKEN));
    // Oversized keys and values.
    let t = p.table(SET, PUBLIC);
    let huge_key = vec![1u8; 65_536];
    assert_eq!(p.insert(t, &huge_key, b"v"), i64::from(ERR_KEY_TOO_LARGE));
    assert_eq!(p.lookup(t, &huge_key).0, i64::from(ERR_KEY_TOO_LARGE));
    assert_eq!(p.member(t, &huge_key), i64::from(ERR_KEY_TOO_LARGE));
    assert_eq!(p.insert_many(t, &[(b"ok", b""), (&huge_key, b"")], false), i64::from(ERR_KEY_TOO_LARGE));
    assert_eq!(p.member(t, b"ok"), 0, "the batch is refused whole");
    assert_eq!(p.insert(t, &huge_key[..65_535], b"v"), 0, "65,535 bytes is the largest key");
    let huge_value = vec![2u8; (64 << 10) + 1];
    assert_eq!(p.insert(t, b"k", &huge_value[..(64 << 10) - 200]), 0);
    assert_eq!(
        p.ret(Cmd { key: b"k".to_vec(), val: vec![0; 300], flags: (64 << 10) - 250, ..cmd(19, t) }),
        i64::from(ERR_VALUE_TOO_LARGE)
    );
    // Wrong flags and limits.
    assert_eq!(p.counter(t, b"c", 1, None).0, NF);
    assert_eq!(p.ret(Cmd { key: b"c".to_vec(), flags: 2, ..cmd(18, t) }), i64::from(ERR_BADARG));
    assert_eq!(p.select(t, b"", None, 0).ret, i64::from(ERR_BADARG));
    assert_eq!(p.ret(Cmd { flags: 2, n1: 10, ..cmd(26, t) }), i64::from(ERR_BADARG));
    assert_eq!(p.range(t, b"", b"", 4 | 8, 10).ret, i64::from(ERR_WRONG_TYPE));
    assert_eq!(p.ret(cmd(27, 0)), i64::from(ERR_NO_RESULT));
    p.stop();
}

#[test]
fn a_table_with_a_memory_limit_refuses_what_does_not_fit() {
    let (node, module) = setup(1);
    let p = Proxy::spawn(&node, &module);
    let cost = (OBJECT_OVERHEAD + 2 + 8) as i64;
    let t = p.new_table(b"", SET, PROTECTED, 10 * cost);
    assert!(t > 0);
    for i in 0..10u16 {
        assert_eq!(p.insert(t, &i.to_be_bytes(), &[0; 8]), 0);
    }
    assert_eq!(p.insert(t, &10u16.to_be_bytes(), &[0; 8]), i64::from(ERR_TABLE_FULL));
    assert_eq!(p.insert(t, &0u16.to_be_bytes(), &[0; 9]), i64::from(ERR_TABLE_FULL), "a larger value does not fit");
    assert_eq!(p.insert(t, &0u16.to_be_bytes(), &[1; 8]), 0, "one of the same size does");
    assert_eq!(p.counter(t, &10u16.to_be_bytes(), 1, Some(0)).0, i64::from(ERR_TABLE_FULL));
    assert_eq!(p.insert_many(t, &[(b"x", b"")], false), i64::from(ERR_TABLE_FULL));
    let info = p.info(t);
    assert_eq!((info.size, info.memory, info.max_bytes), (10, 10 * cost, 10 * cost));
    assert_eq!(p.delete_key(t, &3u16.to_be_bytes()), 1);
    assert_eq!(p.insert(t, &10u16.to_be_bytes(), &[0; 8]), 0, "a delete makes room");
    p.stop();
}

#[test]
fn table_memory_counts_in_the_node_report() {
    let (node, module) = setup(1);
    let p = Proxy::spawn(&node, &module);
    assert_eq!(node.tables_memory(), 0);
    let t = p.table(SET, PROTECTED);
    let u = p.table(DUPLICATE_BAG, PROTECTED);
    p.insert(t, b"key", &[0; 1000]);
    p.insert(u, b"k", b"12345");
    p.insert(u, b"k", b"12345");
    let expected = (3 + 1000 + OBJECT_OVERHEAD) + 2 * (1 + 5 + OBJECT_OVERHEAD);
    assert_eq!(node.tables_memory(), expected);
    assert_eq!((p.info(t).memory + p.info(u).memory) as usize, expected);
    let infos = node.tables();
    assert_eq!(infos.iter().map(|i| i.memory as usize).sum::<usize>(), expected);
    p.delete_key(u, b"k");
    assert_eq!(node.tables_memory(), 3 + 1000 + OBJECT_OVERHEAD);
    // The list of tables, from a guest.
    let r = p.call(cmd(7, 0));
    let listed: Vec<i64> = parse_records(&r.data).iter().map(|(id, _)| as_i64(id)).collect();
    assert_eq!(listed, [t, u]);
    p.stop();
    assert_eq!(node.tables_memory(), 0);
}

#[test]
fn bad_guest_ranges_trap_only_the_caller() {
    let (node, module) = setup(2);
    let p = Proxy::spawn(&node, &module);
    let t = p.table(SET, PUBLIC);
    p.inbox.send(p.pid(), 1, &{
        let mut m = vec![0u8; 48];
        m[..4].copy_from_slice(&28i32.to_le_bytes());
        m[4..8].copy_from_slice(&64i32.to_le_bytes());
        m[8..16].copy_from_slice(&t.to_le_bytes());
        m[16..24].copy_from_slice(&0x7fff_0000i64.to_le_bytes());
        m
    });
    expect_trap(&finish(&p.handle), &["warren_v1.table_insert: guest range 0x7fff0000+64 is outside linear memory"]);
    let q = Proxy::spawn(&node, &module);
    let t = q.table(SET, PUBLIC);
    q.insert(t, b"k", b"value");
    q.inbox.send(q.pid(), 1, &{
        let mut m = vec![0u8; 49];
        m[..4].copy_from_slice(&30i32.to_le_bytes());
        m[4..8].copy_from_slice(&16i32.to_le_bytes());
        m[8..16].copy_from_slice(&t.to_le_bytes());
        m[16..24].copy_from_slice(&(-8i64).to_le_bytes());
        m[32..36].copy_from_slice(&1i32.to_le_bytes());
        m[48] = b'k';
        m
    });
    expect_trap(&finish(&q.handle), &["warren_v1.table_lookup: guest range 0xfffffff8+16"]);
    assert!(node.tables().is_empty(), "the trapped owners' tables are gone");
    assert_node_still_runs(&node);
}
