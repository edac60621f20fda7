//! Registered names and keyed registries: register/whereis/unregister,
//! sending to a name, registered(), names freed at exit; unique and
//! duplicate keyed registries, dispatch, entries freed at exit.

use crate::common::*;
use crate::links::{arg, pid_of, raw};
use warren_host::{ERR_ALREADY_NAMED, ERR_NAME_TAKEN, ERR_NO_SUCH_NAME, ERR_NOPROC};

const NAMES: &str = r#"
  (data (i32.const 8192) "alpha")   ;; 8192, 5
  (data (i32.const 8200) "beta")    ;; 8200, 4
  (data (i32.const 8208) "gamma")   ;; 8208, 5
  (data (i32.const 8216) "nobody")  ;; 8216, 6
  (data (i32.const 8224) "me")      ;; 8224, 2
  (data (i32.const 8232) "hello")   ;; 8232, 5
  (data (i32.const 8240) "host")    ;; 8240, 4
  (data (i32.const 8248) "u")       ;; 8248, 1  unique registry
  (data (i32.const 8256) "k")       ;; 8256, 1
  (data (i32.const 8264) "v1")      ;; 8264, 2
  (data (i32.const 8272) "v2")      ;; 8272, 2
  (data (i32.const 8280) "nope")    ;; 8280, 4
  (data (i32.const 8288) "topics")  ;; 8288, 6  duplicate registry
  (data (i32.const 8296) "news")    ;; 8296, 4
  (data (i32.const 8304) "news!")   ;; 8304, 5
  (data (i32.const 8312) "reg")     ;; 8312, 3

  ;; Stores `value` as the `index`-th i64 of the outgoing buffer (320).
  (func $put (param $index i32) (param $value i64)
    (i64.store (i32.add (i32.const 320) (i32.shl (local.get $index) (i32.const 3))) (local.get $value)))
  (func $put32 (param $index i32) (param $value i32)
    (call $put (local.get $index) (i64.extend_i32_s (local.get $value))))
  ;; Sends the first `count` i64s of the outgoing buffer to the reporter.
  (func $send_put (param $tag i64) (param $count i32)
    (drop (call $send (i64.load (i32.const 64)) (local.get $tag) (i32.const 320) (i32.shl (local.get $count) (i32.const 3)))))

  ;; Argument: [reporter][other][dead]. Reports (tag 7) the results of a
  ;; script of register/whereis/unregister calls.
  (func (export "register_script")
    (drop (call $args))
    (call $put32 (i32.const 0) (call $register (i32.const 8192) (i32.const 5) (call $self)))
    (call $put32 (i32.const 1) (call $register (i32.const 8192) (i32.const 5) (call $self)))
    (call $put32 (i32.const 2) (call $register (i32.const 8200) (i32.const 4) (call $self)))
    (call $put (i32.const 3) (i64.sub (call $whereis (i32.const 8192) (i32.const 5)) (call $self)))
    (call $put32 (i32.const 4) (call $register (i32.const 8192) (i32.const 0) (call $self)))
    (call $put32 (i32.const 5) (call $register (i32.const 8208) (i32.const 5) (i64.const 0)))
    (call $put32 (i32.const 6) (call $register (i32.const 8208) (i32.const 5) (i64.load (i32.const 80))))
    (call $put32 (i32.const 7) (call $register (i32.const 8192) (i32.const 5) (i64.load (i32.const 72))))
    (call $put32 (i32.const 8) (call $register (i32.const 8208) (i32.const 5) (i64.load (i32.const 72))))
    (call $put (i32.const 9) (i64.sub (call $whereis (i32.const 8208) (i32.const 5)) (i64.load (i32.const 72))))
    (call $put32 (i32.const 10) (call $unregister (i32.const 8192) (i32.const 5)))
    (call $put32 (i32.const 11) (call $unregister (i32.const 8192) (i32.const 5)))
    (call $put (i32.const 12) (call $whereis (i32.const 8192) (i32.const 5)))
    (call $put (i32.const 13) (call $whereis (i32.const 8216) (i32.const 6)))
    (call $put32 (i32.const 14) (call $register (i32.const 8200) (i32.const 4) (call $self)))
    (call $put32 (i32.const 15) (call $unregister (i32.const 8200) (i32.const 4)))
    (call $send_put (i64.const 7) (i32.const 16)))

  ;; Argument: [reporter]. Reports (tag 7) the results of sends by name;
  ;; also sends the reporter, registered as "host", tag 6 "hello".
  (func (export "send_script")
    (drop (call $args))
    (call $put32 (i32.const 0) (call $send_named (i32.const 8216) (i32.const 6) (i64.const 5) (i32.const 8232) (i32.const 5)))
    (call $put32 (i32.const 1) (call $register (i32.const 8224) (i32.const 2) (call $self)))
    (call $put32 (i32.const 2) (call $send_named (i32.const 8224) (i32.const 2) (i64.const 5) (i32.const 8232) (i32.const 5)))
    (call $put32 (i32.const 3) (call $recv_tag (i64.const 5)))
    (call $put (i32.const 4) (i64.sub (call $msg_sender) (call $self)))
    (call $put32 (i32.const 5) (call $send_named (i32.const 8224) (i32.const 2) (i64.const -1) (i32.const 0) (i32.const 0)))
    (call $put32 (i32.const 6) (call $unregister (i32.const 8224) (i32.const 2)))
    (call $put32 (i32.const 7) (call $send_named (i32.const 8224) (i32.const 2) (i64.const 5) (i32.const 8232) (i32.const 5)))
    (call $put32 (i32.const 8) (call $poll_tag (i64.const 5)))
    (call $put32 (i32.const 9) (call $register (i32.const 8240) (i32.const 4) (i64.load (i32.const 64))))
    (call $put32 (i32.const 10) (call $send_named (i32.const 8240) (i32.const 4) (i64.const 6) (i32.const 8232) (i32.const 5)))
    (call $put32 (i32.const 11) (call $unregister (i32.const 8240) (i32.const 4)))
    (call $send_put (i64.const 7) (i32.const 12)))

  ;; Argument: [reporter][name...]. Registers itself under name, reports
  ;; register's result (tag 1), then on any message traps.
  (func (export "hold_name")
    (local $size i32)
    (local.set $size (call $args))
    (call $report (i64.load (i32.const 64)) (i64.const 1)
      (i64.extend_i32_s (call $register (i32.const 72) (i32.sub (local.get $size) (i32.const 8)) (call $self))))
    (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
    (unreachable))

  ;; Argument: [reporter][holder][name...]. Monitors holder, reports tag 1;
  ;; on its DOWN registers itself under name and reports the result (tag 2);
  ;; then returns on any message.
  (func (export "reclaimer")
    (local $size i32)
    (local.set $size (call $args))
    (drop (call $monitor (i64.load (i32.const 72))))
    (call $report (i64.load (i32.const 64)) (i64.const 1) (i64.const 0))
    (drop (call $recv_tag (i64.const -101)))
    (call $report (i64.load (i32.const 64)) (i64.const 2)
      (i64.extend_i32_s (call $register (i32.const 80) (i32.sub (local.get $size) (i32.const 16)) (call $self))))
    (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1))))

  ;; Argument: [reporter]. Reports (tag 7) [registered(dst, 0), registered
  ;; into a buffer one byte short, that buffer's first byte (0xEE: not
  ;; written), registered into a large buffer], then sends that list (tag 8).
  (func (export "list_names")
    (local $needed i32)
    (drop (call $args))
    (local.set $needed (call $registered (i32.const 1024) (i32.const 0)))
    (call $put32 (i32.const 0) (local.get $needed))
    (i32.store8 (i32.const 1024) (i32.const 0xEE))
    (call $put32 (i32.const 1) (call $registered (i32.const 1024) (i32.sub (local.get $needed) (i32.const 1))))
    (call $put32 (i32.const 2) (i32.load8_u (i32.const 1024)))
    (call $put32 (i32.const 3) (call $registered (i32.const 1024) (i32.const 7168)))
    (call $send_put (i64.const 7) (i32.const 4))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 8) (i32.const 1024) (local.get $needed))))

  ;; Argument: [reporter]. Reports (tag 7) the results of a script on a
  ;; unique registry "u" and an unknown one, and (tag 8) a lookup's bytes.
  (func (export "unique_script")
    (drop (call $args))
    (call $put32 (i32.const 0) (call $registry_new (i32.const 8248) (i32.const 1) (i32.const 1)))
    (call $put32 (i32.const 1) (call $registry_new (i32.const 8248) (i32.const 1) (i32.const 0)))
    (call $put32 (i32.const 2) (call $registry_register (i32.const 8248) (i32.const 1) (i32.const 8256) (i32.const 1) (i32.const 8264) (i32.const 2)))
    (call $put32 (i32.const 3) (call $registry_register (i32.const 8248) (i32.const 1) (i32.const 8256) (i32.const 1) (i32.const 8272) (i32.const 2)))
    (call $put32 (i32.const 4) (call $registry_lookup (i32.const 8248) (i32.const 1) (i32.const 8256) (i32.const 1) (i32.const 1024) (i32.const 0)))
    (i32.store8 (i32.const 1024) (i32.const 0xEE))
    (call $put32 (i32.const 5) (call $registry_lookup (i32.const 8248) (i32.const 1) (i32.const 8256) (i32.const 1) (i32.const 1024) (i32.const 13)))
    (call $put32 (i32.const 6) (i32.load8_u (i32.const 1024)))
    (call $put32 (i32.const 7) (call $registry_lookup (i32.const 8248) (i32.const 1) (i32.const 8256) (i32.const 1) (i32.const 1024) (i32.const 64)))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 8) (i32.const 1024) (i32.const 14)))
    (call $put32 (i32.const 8) (call $registry_lookup (i32.const 8248) (i32.const 1) (i32.const 8216) (i32.const 6) (i32.const 1024) (i32.const 64)))
    (call $put32 (i32.const 9) (call $registry_register (i32.const 8280) (i32.const 4) (i32.const 8256) (i32.const 1) (i32.const 8264) (i32.const 2)))
    (call $put32 (i32.const 10) (call $registry_lookup (i32.const 8280) (i32.const 4) (i32.const 8256) (i32.const 1) (i32.const 1024) (i32.const 64)))
    (call $put32 (i32.const 11) (call $registry_unregister (i32.const 8280) (i32.const 4) (i32.const 8256) (i32.const 1)))
    (call $put32 (i32.const 12) (call $registry_dispatch (i32.const 8280) (i32.const 4) (i32.const 8256) (i32.const 1) (i64.const 5) (i32.const 0) (i32.const 0)))
    (call $put32 (i32.const 13) (call $registry_dispatch (i32.const 8248) (i32.const 1) (i32.const 8256) (i32.const 1) (i64.const 5) (i32.const 8232) (i32.const 5)))
    (call $put32 (i32.const 14) (call $recv_tag (i64.const 5)))
    (call $put32 (i32.const 15) (call $registry_dispatch (i32.const 8248) (i32.const 1) (i32.const 8256) (i32.const 1) (i64.const -1) (i32.const 0) (i32.const 0)))
    (call $put32 (i32.const 16) (call $registry_unregister (i32.const 8248) (i32.const 1) (i32.const 8256) (i32.const 1)))
    (call $put32 (i32.const 17) (call $registry_lookup (i32.const 8248) (i32.const 1) (i32.const 8256) (i32.const 1) (i32.const 1024) (i32.const 0)))
    (call $put32 (i32.const 18) (call $registry_unregister (i32.const 8248) (i32.const 1) (i32.const 8256) (i32.const 1)))
    (call $send_put (i64.const 7) (i32.const 19)))

  ;; Argument: [reporter][unique][key...]. Creates registry "reg" (unique or
  ;; not; it may exist), registers itself under key, reports the result
  ;; (tag 1), then traps on any message.
  (func (export "keyed_holder")
    (local $size i32)
    (local.set $size (call $args))
    (drop (call $registry_new (i32.const 8312) (i32.const 3) (i32.wrap_i64 (i64.load (i32.const 72)))))
    (call $report (i64.load (i32.const 64)) (i64.const 1)
      (i64.extend_i32_s (call $registry_register (i32.const 8312) (i32.const 3)
        (i32.const 80) (i32.sub (local.get $size) (i32.const 16)) (i32.const 8264) (i32.const 2))))
    (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
    (unreachable))

  ;; Argument: [reporter][index][times]. Registers itself `times` times in
  ;; registry "topics" under "news" with the index (one byte) as value,
  ;; reports tag 1; then forwards each tag 6 message as tag 4
  ;; [index][payload], and returns on tag 0.
  (func (export "topic_member")
    (local $i i64) (local $n i32)
    (drop (call $args))
    (drop (call $registry_new (i32.const 8288) (i32.const 6) (i32.const 0)))
    (loop $again
      (drop (call $registry_register (i32.const 8288) (i32.const 6) (i32.const 8296) (i32.const 4) (i32.const 72) (i32.const 1)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $again (i64.lt_s (local.get $i) (i64.load (i32.const 80)))))
    (call $report (i64.load (i32.const 64)) (i64.const 1) (i64.load (i32.const 72)))
    (loop $serve
      (local.set $n (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (if (i64.eq (call $msg_tag) (i64.const 6))
        (then
          (i64.store (i32.const 320) (i64.load (i32.const 72)))
          (drop (call $msg_read (i32.const 0) (i32.const 328) (i32.const 64)))
          (drop (call $send (i64.load (i32.const 64)) (i64.const 4) (i32.const 320) (i32.add (local.get $n) (i32.const 8))))))
      (br_if $serve (i64.ne (call $msg_tag) (i64.const 0)))))

  ;; Argument: [reporter]. Sends the entries under "news" (tag 2), then
  ;; dispatches tag 6 "news!" to them and reports the count (tag 3).
  (func (export "topic_publisher")
    (local $n i32)
    (drop (call $args))
    (local.set $n (call $registry_lookup (i32.const 8288) (i32.const 6) (i32.const 8296) (i32.const 4) (i32.const 1024) (i32.const 7168)))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 2) (i32.const 1024) (local.get $n)))
    (call $report (i64.load (i32.const 64)) (i64.const 3)
      (i64.extend_i32_s (call $registry_dispatch (i32.const 8288) (i32.const 6) (i32.const 8296) (i32.const 4)
        (i64.const 6) (i32.const 8304) (i32.const 5)))))
"#;

fn names_module(node: &Node) -> LoadedModule {
    load(node, "names", &rwat(NAMES))
}

fn idle(node: &Node) -> ProcessHandle {
    spawn(node, &crate::links::links_module(node), "wait_forever", b"")
}

#[test]
fn register_whereis_and_unregister_follow_erlangs_rules() {
    let node = node(2);
    let module = names_module(&node);
    let inbox = node.inbox();
    let other = idle(&node);
    let dead = dead_pid(&node);
    let script = spawn(&node, &module, "register_script", &arg(&[raw(inbox.pid()), raw(other.pid()), raw(dead)], b""));
    let (ok, bad) = (i64::from(OK), i64::from(ERR_BADARG));
    let (taken, named, noproc, none) =
        (i64::from(ERR_NAME_TAKEN), i64::from(ERR_ALREADY_NAMED), i64::from(ERR_NOPROC), i64::from(ERR_NO_SUCH_NAME));
    assert_eq!(
        as_i64s(&recv_tag(&inbox, 7).data),
        [
            ok,     // register(alpha, self)
            taken,  // register(alpha, self) again
            named,  // register(beta, self): a process has one name
            0,      // whereis(alpha) - self
            bad,    // register("", self)
            bad,    // register(gamma, 0)
            noproc, // register(gamma, dead)
            taken,  // register(alpha, other)
            ok,     // register(gamma, other): any process may name another
            0,      // whereis(gamma) - other
            ok,     // unregister(alpha)
            none,   // unregister(alpha) again
            0,      // whereis(alpha)
            0,      // whereis(nobody)
            ok,     // register(beta, self): free of its name again
            ok,     // unregister(beta)
        ]
    );
    finish_normally(&script);
    assert_eq!(node.whereis("gamma"), Some(other.pid()));
    assert_eq!(node.registered(), ["gamma"]);
}

#[test]
fn sending_to_an_unknown_name_fails_and_sends_nothing() {
    let node = node(2);
    let module = names_module(&node);
    let inbox = node.inbox();
    let script = spawn(&node, &module, "send_script", &reporter_arg(&inbox, b""));
    let (ok, bad, none) = (i64::from(OK), i64::from(ERR_BADARG), i64::from(ERR_NO_SUCH_NAME));
    // The host's inbox, registered as "host", gets tag 6 by name.
    let by_name = recv_tag(&inbox, 6);
    assert_eq!((by_name.sender, &*by_name.data), (script.pid(), &b"hello"[..]));
    assert_eq!(
        as_i64s(&recv_tag(&inbox, 7).data),
        [
            none,                   // send_named(nobody)
            ok,                     // register(me, self)
            ok,                     // send_named(me, 5, hello)
            5,                      // received: 5 bytes
            0,                      // its sender - self
            bad,                    // send_named(me) with a negative tag
            ok,                     // unregister(me)
            none,                   // send_named(me): nobody holds it now
            i64::from(ERR_TIMEOUT), // so nothing came
            ok,                     // register(host, reporter)
            ok,                     // send_named(host, 6, hello)
            ok,                     // unregister(host)
        ]
    );
    finish_normally(&script);
}

#[test]
fn registered_lists_every_name_sorted_and_writes_only_when_it_fits() {
    let node = node(2);
    let module = names_module(&node);
    let inbox = node.inbox();
    let mut holders = Vec::new();
    for name in ["zeta", "alpha", "mid"] {
        holders.push(spawn(&node, &module, "hold_name", &reporter_arg(&inbox, name.as_bytes())));
        assert_eq!(as_i64(&recv_tag(&inbox, 1).data), i64::from(OK));
    }
    let lister = spawn(&node, &module, "list_names", &reporter_arg(&inbox, b""));
    let needed = (4 + 5) + (4 + 3) + (4 + 4);
    assert_eq!(as_i64s(&recv_tag(&inbox, 7).data), [needed, needed, 0xEE, needed]);
    let list = recv_tag(&inbox, 8).data;
    let mut names = Vec::new();
    let mut rest = &list[..];
    while !rest.is_empty() {
        let len = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
        names.push(String::from_utf8(rest[4..4 + len].to_vec()).unwrap());
        rest = &rest[4 + len..];
    }
    assert_eq!(names, ["alpha", "mid", "zeta"]);
    assert_eq!(node.registered(), names);
    finish_normally(&lister);
}

#[test]
fn a_name_is_free_for_reuse_right_after_its_process_exits() {
    let node = node(2);
    let module = names_module(&node);
    let inbox = node.inbox();
    for _ in 0..20 {
        let holder = spawn(&node, &module, "hold_name", &reporter_arg(&inbox, b"svc"));
        assert_eq!(as_i64(&recv_tag(&inbox, 1).data), i64::from(OK));
        assert_eq!(node.whereis("svc"), Some(holder.pid()));
        let reclaimer = spawn(&node, &module, "reclaimer", &arg(&[raw(inbox.pid()), raw(holder.pid())], b"svc"));
        recv_tag(&inbox, 1);
        inbox.send(holder.pid(), 1, b"crash");
        expect_trap(&finish(&holder), &["unreachable"]);
        // The watcher registers the name as soon as it hears of the exit.
        assert_eq!(as_i64(&recv_tag(&inbox, 2).data), i64::from(OK));
        assert_eq!(node.whereis("svc"), Some(reclaimer.pid()));
        inbox.send(reclaimer.pid(), 1, b"");
        finish_normally(&reclaimer);
        // And by the time `wait` returns, the name is free.
        assert_eq!(node.whereis("svc"), None);
    }
    assert!(node.registered().is_empty());
}

#[test]
fn a_unique_registry_holds_one_entry_per_key_and_unknown_registries_are_err_no_such_name() {
    let node = node(2);
    let module = names_module(&node);
    let inbox = node.inbox();
    let script = spawn(&node, &module, "unique_script", &reporter_arg(&inbox, b""));
    let lookup = recv_tag(&inbox, 8).data;
    let (ok, bad, taken, none) =
        (i64::from(OK), i64::from(ERR_BADARG), i64::from(ERR_NAME_TAKEN), i64::from(ERR_NO_SUCH_NAME));
    assert_eq!(
        as_i64s(&recv_tag(&inbox, 7).data),
        [
            ok,    // registry_new(u, unique)
            taken, // registry_new(u) again
            ok,    // register(k, v1)
            taken, // register(k, v2): a unique key is held
            14,    // lookup(k) with no room: the bytes needed
            14,    // lookup(k) one byte short...
            0xEE,  // ...writes nothing
            14,    // lookup(k) with room
            0,     // lookup(nobody): no entry
            none,  // register in an unknown registry
            none,  // lookup in it
            none,  // unregister in it
            none,  // dispatch in it
            1,     // dispatch(k, 5, hello): one entry (the script itself)
            5,     // which it receives
            bad,   // dispatch with a negative tag
            ok,    // unregister(k)
            0,     // lookup(k): gone
            ok,    // unregister(k) again: nothing to remove is fine
        ]
    );
    let mut expected = raw(script.pid()).to_le_bytes().to_vec();
    expected.extend_from_slice(&2u32.to_le_bytes());
    expected.extend_from_slice(b"v1");
    assert_eq!(*lookup, *expected, "[pid][value_len][value]");
    finish_normally(&script);
}

#[test]
fn a_unique_key_is_free_again_the_moment_its_process_exits() {
    let node = node(2);
    let module = names_module(&node);
    let inbox = node.inbox();
    let holder = spawn(&node, &module, "keyed_holder", &arg(&[raw(inbox.pid()), 1], b"key"));
    assert_eq!(as_i64(&recv_tag(&inbox, 1).data), i64::from(OK));
    let contender = spawn(&node, &module, "keyed_holder", &arg(&[raw(inbox.pid()), 1], b"key"));
    assert_eq!(as_i64(&recv_tag(&inbox, 1).data), i64::from(ERR_NAME_TAKEN));
    inbox.send(holder.pid(), 1, b"");
    expect_trap(&finish(&holder), &["unreachable"]);
    let next = spawn(&node, &module, "keyed_holder", &arg(&[raw(inbox.pid()), 1], b"key"));
    assert_eq!(as_i64(&recv_tag(&inbox, 1).data), i64::from(OK));
    drop((contender, next));
}

#[test]
fn a_duplicate_registry_keeps_registration_order_dispatches_to_every_entry_and_forgets_exited_processes() {
    let node = node(2);
    let module = names_module(&node);
    let inbox = node.inbox();
    // Five members, registered one after the other; member 2 twice.
    let mut members = Vec::new();
    for index in 0..5i64 {
        let times = if index == 2 { 2 } else { 1 };
        members.push(spawn(&node, &module, "topic_member", &arg(&[raw(inbox.pid()), index, times], b"")));
        assert_eq!(as_i64(&recv_tag(&inbox, 1).data), index);
    }
    let publish = |expected: &[usize]| {
        let publisher = spawn(&node, &module, "topic_publisher", &reporter_arg(&inbox, b""));
        let entries = recv_tag(&inbox, 2).data;
        let mut got = Vec::new();
        for entry in entries.chunks(13) {
            assert_eq!(u32::from_le_bytes(entry[8..12].try_into().unwrap()), 1, "one-byte values");
            got.push((pid_of(&entry[..8]), entry[12] as usize));
        }
        let want: Vec<(Pid, usize)> = expected.iter().map(|&i| (members[i].pid(), i)).collect();
        assert_eq!(got, want, "entries in registration order");
        // The publisher's count (tag 3) and the members' reports (tag 4)
        // race each other to the inbox.
        let mut heard = Vec::new();
        let mut count = None;
        for _ in 0..=expected.len() {
            let message = recv(&inbox);
            match message.tag {
                3 => count = Some(as_i64(&message.data)),
                4 => {
                    assert_eq!(&message.data[8..], b"news!");
                    heard.push(as_i64(&message.data[..8]) as usize);
                }
                other => panic!("unexpected tag {other}"),
            }
        }
        assert_eq!(count, Some(expected.len() as i64), "dispatched to every entry");
        heard.sort();
        assert_eq!(heard, expected, "each entry got the message once");
        finish_normally(&publisher);
    };
    publish(&[0, 1, 2, 2, 3, 4]);
    for index in [0, 2, 4] {
        inbox.send(members[index].pid(), 0, b"");
        finish_normally(&members[index]);
    }
    publish(&[1, 3]);
}
