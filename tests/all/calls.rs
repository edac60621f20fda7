//! Calls (`call`, `call_named`, `reply`) with `gen_server:call`'s
//! semantics, between real WAT guests: the round trip, a timeout whose late
//! reply never reaches the caller, a dead or unknown callee, a callee that
//! dies mid-call (its reason seen), a reply deferred to another process,
//! a second reply dropped, and what stays in the caller's mailbox.

use crate::common::*;
use warren_host::{ERR_BADARG, ERR_EXITED, ERR_NOPROC, ERR_TIMEOUT, REASON_CUSTOM, REASON_NOPROC, TAG_DOWN, TAG_REPLY};

const CALL_IMPORTS: &str = r#"
  (import "warren_v1" "call" (func $call (param i64 i32 i32 i64) (result i32)))
  (import "warren_v1" "call_named" (func $call_named (param i32 i32 i32 i32 i64) (result i32)))
  (import "warren_v1" "reply" (func $reply (param i64 i64 i32 i32) (result i32)))
"#;

/// A server, a helper that answers calls handed to it, and clients, one
/// export per scenario. Clients take `[reporter][server][extra]` and report
/// `(tag, i64)` values: 1 the call's result, 2 and 3 what follows, and the
/// current message's payload under tag 4.
const GUESTS: &str = r#"
  (data (i32.const 8192) "boom")
  (data (i32.const 8200) "ghost")
  (data (i32.const 8208) "hello")
  (data (i32.const 8216) "first")
  (data (i32.const 8224) "from helper")

  ;; Serves calls by the request's first byte: e echo, s sleep 300 ms then
  ;; reply, d die (custom reason "boom"), f hand the call to the helper
  ;; whose pid follows, t reply twice, r reply then die, m send the caller
  ;; a plain message (tag 5) then reply, n never reply. Reports every late
  ;; reply to its reporter (tag 50). Other messages are dropped.
  (func (export "server")
    (local $len i32) (local $from i64) (local $token i64) (local $op i32)
    (loop $next
      (local.set $len (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (local.set $from (call $msg_sender))
      (drop (call $msg_read (i32.const 0) (i32.const 1024) (i32.const 7168)))
      (if (i64.eq (call $msg_tag) (i64.const -105))
        (then
          (local.set $token (i64.load (i32.const 1024)))
          (local.set $op (i32.load8_u (i32.const 1032)))
          (if (i32.eq (local.get $op) (i32.const 101))
            (then (drop (call $reply (local.get $from) (local.get $token)
                    (i32.const 1032) (i32.sub (local.get $len) (i32.const 8))))))
          (if (i32.eq (local.get $op) (i32.const 115))
            (then
              (drop (call $sleep (i64.const 300)))
              (drop (call $reply (local.get $from) (local.get $token) (i32.const 1032) (i32.const 1)))
              (call $report (call $arg_pid) (i64.const 50) (i64.const 0))))
          (if (i32.eq (local.get $op) (i32.const 100))
            (then (call $exit (i32.const 2) (i32.const 8192) (i32.const 4))))
          (if (i32.eq (local.get $op) (i32.const 102))
            (then
              (i64.store (i32.const 320) (local.get $from))
              (i64.store (i32.const 328) (local.get $token))
              (drop (call $send (i64.load (i32.const 1033)) (i64.const 7) (i32.const 320) (i32.const 16)))))
          (if (i32.eq (local.get $op) (i32.const 116))
            (then
              (i32.store8 (i32.const 320) (i32.const 49))
              (drop (call $reply (local.get $from) (local.get $token) (i32.const 320) (i32.const 1)))
              (i32.store8 (i32.const 320) (i32.const 50))
              (drop (call $reply (local.get $from) (local.get $token) (i32.const 320) (i32.const 1)))))
          (if (i32.eq (local.get $op) (i32.const 114))
            (then
              (drop (call $reply (local.get $from) (local.get $token) (i32.const 8208) (i32.const 5)))
              (call $exit (i32.const 2) (i32.const 8192) (i32.const 4))))
          (if (i32.eq (local.get $op) (i32.const 109))
            (then
              (drop (call $send (local.get $from) (i64.const 5) (i32.const 8216) (i32.const 5)))
              (drop (call $reply (local.get $from) (local.get $token) (i32.const 8208) (i32.const 5)))))))
      (br $next)))

  ;; Answers each call handed to it (tag 7: [caller][token]).
  (func (export "helper")
    (loop $next
      (drop (call $recv_tag (i64.const 7)))
      (drop (call $reply (i64.load (i32.const 1024)) (i64.load (i32.const 1032)) (i32.const 8224) (i32.const 11)))
      (br $next)))

  ;; Reports the current message: its payload (tag 4).
  (func $report_current
    (local $n i32)
    (local.set $n (call $msg_read (i32.const 0) (i32.const 1024) (i32.const 7168)))
    (drop (call $send (call $arg_pid) (i64.const 4) (i32.const 1024) (local.get $n))))
  (func $server (result i64) (call $arg64 (i32.const 1)))
  ;; call(server, the `len` bytes at `ptr`, `timeout`), reported (tag 1).
  (func $call_server (param $ptr i32) (param $len i32) (param $timeout i64) (result i32)
    (local $result i32)
    (local.set $result (call $call (call $server) (local.get $ptr) (local.get $len) (local.get $timeout)))
    (call $r32 (i64.const 1) (local.get $result))
    (local.get $result))
  ;; Polls for any message: reports the result (tag 2) and the tag (3).
  (func $poll_any
    (call $r32 (i64.const 2) (call $receive (i32.const 0) (i32.const 0) (i64.const 0)))
    (call $r (i64.const 3) (call $msg_tag)))
  (func $r (param $tag i64) (param $value i64)
    (call $report (call $arg_pid) (local.get $tag) (local.get $value)))
  (func $r32 (param $tag i64) (param $value i32)
    (call $r (local.get $tag) (i64.extend_i32_s (local.get $value))))
  (func $op (param $op i32) (result i32)
    (i32.store8 (i32.const 320) (local.get $op))
    (i32.const 320))

  (func (export "c_echo")
    (i32.store8 (i32.const 320) (i32.const 101))
    (i64.store (i32.const 321) (i64.load (i32.const 8208)))
    (drop (call $call_server (i32.const 320) (i32.const 6) (i64.const 5000)))
    (call $r (i64.const 2) (call $msg_tag))
    (call $r (i64.const 3) (call $msg_sender))
    (call $report_current))
  (func (export "c_late")
    (drop (call $call_server (call $op (i32.const 115)) (i32.const 1) (i64.const 50)))
    (drop (call $recv_tag (i64.const 9)))
    (call $poll_any))
  (func (export "c_down")
    (drop (call $call_server (call $op (i32.const 0)) (i32.const 1) (i64.const 5000)))
    (call $r (i64.const 2) (call $msg_tag))
    (call $report_current))
  (func (export "c_ghost")
    (call $r32 (i64.const 1) (call $call_named (i32.const 8200) (i32.const 5) (i32.const 320) (i32.const 1)
      (i64.const 5000))))
  (func (export "c_dies")
    (drop (call $call_server (call $op (i32.const 100)) (i32.const 1) (i64.const 5000)))
    (call $r (i64.const 2) (call $msg_tag))
    (call $report_current))
  (func (export "c_forward")
    (i32.store8 (i32.const 320) (i32.const 102))
    (i64.store (i32.const 321) (call $arg64 (i32.const 2)))
    (drop (call $call_server (i32.const 320) (i32.const 9) (i64.const 5000)))
    (call $r (i64.const 3) (call $msg_sender))
    (call $report_current))
  (func (export "c_twice")
    (drop (call $call_server (call $op (i32.const 116)) (i32.const 1) (i64.const 5000)))
    (call $report_current)
    (drop (call $sleep (i64.const 100)))
    (call $poll_any))
  (func (export "c_self")
    (call $r32 (i64.const 1) (call $call (call $self) (i32.const 320) (i32.const 1) (i64.const 100))))
  (func (export "c_after")
    (drop (call $call_server (call $op (i32.const 114)) (i32.const 1) (i64.const 5000)))
    (call $report_current)
    (drop (call $sleep (i64.const 100)))
    (call $poll_any))
  (func (export "c_order")
    (drop (call $call_server (call $op (i32.const 109)) (i32.const 1) (i64.const 5000)))
    (call $report_current)
    (call $poll_any))
  (func (export "c_silent")
    (drop (call $call_server (call $op (i32.const 110)) (i32.const 1) (i64.const 30)))
    (i32.store8 (i32.const 320) (i32.const 101))
    (drop (call $call (call $server) (i32.const 320) (i32.const 1) (i64.const 5000)))
    (call $report_current)
    (drop (call $sleep (i64.const 50)))
    (call $poll_any))
"#;

fn calls_wat() -> String {
    format!("(module {RELATIONS_IMPORTS} {CALL_IMPORTS} {PRELUDE} {RELATIONS_HELPERS} {GUESTS})")
}

struct Setup {
    node: Node,
    module: LoadedModule,
    inbox: Inbox,
}

fn setup() -> Setup {
    let node = node(2);
    let module = load(&node, "calls", &calls_wat());
    let inbox = node.inbox();
    Setup { node, module, inbox }
}

impl Setup {
    fn server(&self) -> ProcessHandle {
        spawn(&self.node, &self.module, "server", &pid_bytes(self.inbox.pid()))
    }

    /// Runs client `entry` against `callee` (with `extra` after it) to its end.
    fn client(&self, entry: &str, callee: Pid, extra: &[u8]) -> ProcessHandle {
        let arg = reporter_arg(&self.inbox, &[&pid_bytes(callee)[..], extra].concat());
        spawn(&self.node, &self.module, entry, &arg)
    }

    fn value(&self, tag: i64) -> i64 {
        as_i64(&recv_tag(&self.inbox, tag).data)
    }
}

#[test]
fn a_call_returns_the_reply_as_the_current_message() {
    let s = setup();
    let server = s.server();
    let client = s.client("c_echo", server.pid(), &[]);
    assert_eq!(s.value(1), 6, "the reply's length");
    assert_eq!(s.value(2), TAG_REPLY);
    assert_eq!(s.value(3), server.pid().raw() as i64, "the reply's sender is the server");
    assert_eq!(&*recv_tag(&s.inbox, 4).data, b"ehello");
    finish_normally(&client);
}

#[test]
fn a_late_reply_never_reaches_a_caller_that_timed_out() {
    let s = setup();
    let server = s.server();
    let client = s.client("c_late", server.pid(), &[]);
    assert_eq!(s.value(1), i64::from(ERR_TIMEOUT));
    // The server has replied (after the caller's timeout): then the caller
    // looks in its mailbox.
    recv_tag(&s.inbox, 50);
    s.inbox.send(client.pid(), 9, b"");
    assert_eq!(s.value(2), i64::from(ERR_TIMEOUT), "nothing queued: the late reply was dropped");
    finish_normally(&client);
}

#[test]
fn a_call_to_a_dead_process_or_an_unknown_name_is_noproc() {
    let s = setup();
    let dead = dead_pid(&s.node);
    let client = s.client("c_down", dead, &[]);
    assert_eq!(s.value(1), i64::from(ERR_NOPROC));
    assert_eq!(s.value(2), TAG_DOWN, "the current message is the DOWN");
    let (_, pid, kind, _) = parse_down(&recv_tag(&s.inbox, 4).data);
    assert_eq!((pid, kind), (dead, REASON_NOPROC));
    finish_normally(&client);

    let server = s.server();
    let client = s.client("c_ghost", server.pid(), &[]);
    assert_eq!(s.value(1), i64::from(ERR_NOPROC), "no process holds the name");
    finish_normally(&client);
}

#[test]
fn a_callee_that_dies_mid_call_gives_its_exit_reason() {
    let s = setup();
    let server = s.server();
    let client = s.client("c_dies", server.pid(), &[]);
    assert_eq!(s.value(1), i64::from(ERR_EXITED));
    assert_eq!(s.value(2), TAG_DOWN);
    let (_, pid, kind, detail) = parse_down(&recv_tag(&s.inbox, 4).data);
    assert_eq!((pid, kind, &detail[..]), (server.pid(), REASON_CUSTOM, &b"boom"[..]));
    finish_normally(&client);
    assert!(matches!(finish(&server), ExitReason::Custom(_)));
}

#[test]
fn another_process_may_reply_with_the_callers_handle() {
    let s = setup();
    let server = s.server();
    let helper = spawn(&s.node, &s.module, "helper", b"");
    let client = s.client("c_forward", server.pid(), &pid_bytes(helper.pid()));
    assert_eq!(s.value(1), 11);
    assert_eq!(s.value(3), helper.pid().raw() as i64, "the helper replied");
    assert_eq!(&*recv_tag(&s.inbox, 4).data, b"from helper");
    finish_normally(&client);
}

#[test]
fn one_call_gets_one_reply() {
    let s = setup();
    let server = s.server();
    let client = s.client("c_twice", server.pid(), &[]);
    assert_eq!(s.value(1), 1);
    assert_eq!(&*recv_tag(&s.inbox, 4).data, b"1", "the first reply");
    assert_eq!(s.value(2), i64::from(ERR_TIMEOUT), "the second was dropped");
    finish_normally(&client);
}

#[test]
fn a_process_cannot_call_itself() {
    let s = setup();
    let client = s.client("c_self", dead_pid(&s.node), &[]);
    assert_eq!(s.value(1), i64::from(ERR_BADARG));
    finish_normally(&client);
}

#[test]
fn a_callee_that_dies_after_replying_leaves_no_down_behind() {
    let s = setup();
    let server = s.server();
    let client = s.client("c_after", server.pid(), &[]);
    assert_eq!(s.value(1), 5);
    assert_eq!(&*recv_tag(&s.inbox, 4).data, b"hello");
    assert_eq!(s.value(2), i64::from(ERR_TIMEOUT), "no DOWN of the call's monitor is left");
    finish_normally(&client);
}

#[test]
fn messages_that_came_during_a_call_stay_queued_in_order() {
    let s = setup();
    let server = s.server();
    let client = s.client("c_order", server.pid(), &[]);
    assert_eq!(s.value(1), 5);
    assert_eq!(&*recv_tag(&s.inbox, 4).data, b"hello", "the call took its reply");
    assert_eq!(s.value(2), 5, "the plain message sent before the reply is still queued");
    assert_eq!(s.value(3), 5, "with its tag");
    finish_normally(&client);
}

#[test]
fn a_call_that_timed_out_leaves_the_caller_free_to_call_again() {
    let s = setup();
    let server = s.server();
    let client = s.client("c_silent", server.pid(), &[]);
    assert_eq!(s.value(1), i64::from(ERR_TIMEOUT));
    assert_eq!(&*recv_tag(&s.inbox, 4).data, b"e", "the next call got its own reply");
    assert_eq!(s.value(2), i64::from(ERR_TIMEOUT), "nothing else is queued: no DOWN, no request echo");
    finish_normally(&client);
}
