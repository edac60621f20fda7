//! Calls (`call`, `call_named`, `reply`) with `gen_server:call`'s
//! semantics, between real WAT guests: the round trip, a timeout whose late
//! reply never reaches the caller, a dead or unknown callee, a callee that
//! dies mid-call (its reason seen), a reply deferred to another process,
//! a second reply dropped, and what stays in the caller's mailbox. Then
//! the same from the host (`Node::call`), and system requests
//! (`system_call`, `Node::get_state` / `get_status`).

use crate::common::*;
use std::time::{Duration, Instant};
use warren_host::term::{Atom, Term};
use warren_host::{
    CallError, ERR_BADARG, ERR_EXITED, ERR_NOPROC, ERR_TIMEOUT, ExitReason, REASON_CUSTOM, REASON_NOPROC, TAG_DOWN,
    TAG_REPLY,
};

const CALL_IMPORTS: &str = r#"
  (import "warren_v1" "call" (func $call (param i64 i32 i32 i64) (result i32)))
  (import "warren_v1" "call_named" (func $call_named (param i32 i32 i32 i32 i64) (result i32)))
  (import "warren_v1" "reply" (func $reply (param i64 i64 i32 i32) (result i32)))
  (import "warren_v1" "system_call" (func $system_call (param i64 i32 i32 i64) (result i32)))
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
  ;; a plain message (tag 5) then reply, n never reply, b work for many
  ;; time slices then reply, p call the server whose pid follows with "e!"
  ;; and reply its reply. Reports every late reply to its reporter
  ;; (tag 50). Other messages are dropped.
  (func (export "server")
    (local $len i32) (local $from i64) (local $token i64) (local $op i32) (local $i i32)
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
          (if (i32.eq (local.get $op) (i32.const 98))
            (then
              (local.set $i (i32.const 0))
              (loop $spin
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br_if $spin (i32.lt_u (local.get $i) (i32.const 3000000))))
              (drop (call $reply (local.get $from) (local.get $token) (i32.const 1032) (i32.const 1)))))
          (if (i32.eq (local.get $op) (i32.const 112))
            (then
              (i32.store16 (i32.const 2048) (i32.const 0x2165))
              (local.set $len (call $call (i64.load (i32.const 1033)) (i32.const 2048) (i32.const 2) (i64.const 5000)))
              (drop (call $msg_read (i32.const 0) (i32.const 2048) (local.get $len)))
              (drop (call $reply (local.get $from) (local.get $token) (i32.const 2048) (local.get $len)))))
          (if (i32.eq (local.get $op) (i32.const 109))
            (then
              (drop (call $send (local.get $from) (i64.const 5) (i32.const 8216) (i32.const 5)))
              (drop (call $reply (local.get $from) (local.get $token) (i32.const 8208) (i32.const 5)))))))
      (br $next)))

  ;; Answers system requests (tag -107, payload [token][a term]) that are
  ;; atoms (ATOM_EXT): get_state (9 letters) with the binary
  ;; <<"counter=3">>, get_status (10) with the map #{status => running},
  ;; others with "oops", which is not a term. Other messages are dropped.
  (data (i32.const 8240) "\83\6d\00\00\00\09counter=3")
  (data (i32.const 8260) "\83\74\00\00\00\01\64\00\06status\64\00\07running")
  (data (i32.const 8288) "\83\64\00\09get_state")
  (data (i32.const 8304) "oops")
  (func (export "sys_server")
    (local $from i64) (local $token i64)
    (loop $next
      (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
      (local.set $from (call $msg_sender))
      (drop (call $msg_read (i32.const 0) (i32.const 1024) (i32.const 7168)))
      (if (i64.eq (call $msg_tag) (i64.const -107))
        (then
          (local.set $token (i64.load (i32.const 1024)))
          (if (i32.eq (i32.load8_u (i32.const 1035)) (i32.const 9))
            (then (drop (call $reply (local.get $from) (local.get $token) (i32.const 8240) (i32.const 15)))))
          (if (i32.eq (i32.load8_u (i32.const 1035)) (i32.const 10))
            (then (drop (call $reply (local.get $from) (local.get $token) (i32.const 8260) (i32.const 25)))))
          (if (i32.lt_u (i32.load8_u (i32.const 1035)) (i32.const 9))
            (then (drop (call $reply (local.get $from) (local.get $token) (i32.const 8304) (i32.const 4)))))))
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
  ;; Calls the server with `op` and the pid of the extra argument;
  ;; reports who replied (tag 3) and the reply (tag 4).
  (func $call_with_pid (param $op i32)
    (i32.store8 (i32.const 320) (local.get $op))
    (i64.store (i32.const 321) (call $arg64 (i32.const 2)))
    (drop (call $call_server (i32.const 320) (i32.const 9) (i64.const 5000)))
    (call $r (i64.const 3) (call $msg_sender))
    (call $report_current))
  (func (export "c_forward") (call $call_with_pid (i32.const 102)))
  (func (export "c_busy")
    (drop (call $call_server (call $op (i32.const 98)) (i32.const 1) (i64.const 30000)))
    (call $report_current))
  (func (export "c_relay") (call $call_with_pid (i32.const 112)))
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
  (func (export "c_system")
    (call $r32 (i64.const 1)
      (call $system_call (call $server) (i32.const 8288) (i32.const 13) (i64.const 5000)))
    (call $r (i64.const 2) (call $msg_tag))
    (call $report_current))
  (func (export "c_hang")
    (drop (call $call_server (call $op (i32.const 110)) (i32.const 1) (i64.const -1))))
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

    /// A client's call result (tag 1) and the reply it took (tag 4), with
    /// who replied (tag 3) in between when `sender` says the client reports it.
    fn answer(&self, sender: bool) -> (i64, Option<i64>, Vec<u8>) {
        let result = self.value(1);
        let replier = sender.then(|| self.value(3));
        (result, replier, recv_tag(&self.inbox, 4).data.to_vec())
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

/// A callee that was waiting runs at once, nested in its caller's call
/// (`process/handoff.rs`): one that needs many time slices for its answer,
/// or that calls another process on its way, still answers.
#[test]
fn a_callee_that_works_for_many_slices_or_calls_on_still_replies() {
    let s = setup();
    let (server, second) = (s.server(), s.server());
    let busy = s.client("c_busy", server.pid(), &[]);
    assert_eq!(s.answer(false), (1, None, b"b".to_vec()));
    finish_normally(&busy);
    let relay = s.client("c_relay", server.pid(), &pid_bytes(second.pid()));
    let relayed = (2, Some(server.pid().raw() as i64), b"e!".to_vec());
    assert_eq!(s.answer(true), relayed, "the second server's echo, relayed by the first");
    finish_normally(&relay);
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

#[test]
fn a_call_shows_on_both_ends_while_it_waits_and_leaves_nothing_on_the_callee_however_it_ends() {
    let s = setup();
    let server = s.server();
    let monitored_by = || s.node.process_details(server.pid(), 0, 0).expect("the server lives").monitored_by;
    // Answered by the callee, by another process, or not in time.
    let client = s.client("c_echo", server.pid(), &[]);
    assert_eq!(s.value(1), 6);
    assert_eq!(s.value(2), TAG_REPLY);
    assert_eq!(s.value(3), server.pid().raw() as i64);
    assert_eq!(&*recv_tag(&s.inbox, 4).data, b"ehello");
    finish_normally(&client);
    let helper = spawn(&s.node, &s.module, "helper", b"");
    let forward = s.client("c_forward", server.pid(), &pid_bytes(helper.pid()));
    assert_eq!(s.answer(true), (11, Some(helper.pid().raw() as i64), b"from helper".to_vec()));
    finish_normally(&forward);
    let client = s.client("c_silent", server.pid(), &[]);
    assert_eq!(s.value(1), i64::from(ERR_TIMEOUT));
    assert_eq!(&*recv_tag(&s.inbox, 4).data, b"e");
    assert_eq!(s.value(2), i64::from(ERR_TIMEOUT));
    s.value(3);
    finish_normally(&client);
    assert_eq!(s.node.call(server.pid(), b"n", Duration::from_millis(30)), Err(CallError::Timeout));
    assert_eq!(monitored_by(), [], "no call left a record on the server");
    // A caller that waits shows on both ends, as gen_server:call's monitor
    // does in Erlang, until it is killed mid-call.
    let client = s.client("c_hang", server.pid(), &[]);
    // (Its call is reported when it ends: the kill ends it first.)
    let deadline = Instant::now() + PATIENCE;
    while monitored_by().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    let watchers = monitored_by();
    assert_eq!(watchers.iter().map(|(_, pid)| *pid).collect::<Vec<_>>(), [client.pid()]);
    // The caller holds the same monitor, under the same reference (seen
    // once it waits: the record is made before its wait begins).
    let held = || s.node.process_details(client.pid(), 0, 0).expect("the caller lives").monitors;
    while held().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(held(), [(watchers[0].0, server.pid())]);
    s.node.exit(client.pid(), ExitReason::Kill);
    assert_eq!(finish(&client), ExitReason::Killed);
    assert_eq!(monitored_by(), [], "the killed caller's record went with it");
    assert_eq!(s.node.call(server.pid(), b"eok", PATIENCE).expect("a reply"), b"eok");
}

// ------------------------------------------------------ calls from the host

#[test]
fn the_host_calls_a_guest_and_gets_its_reply() {
    let s = setup();
    let server = s.server();
    assert_eq!(s.node.call(server.pid(), b"ehello", PATIENCE).expect("a reply"), b"ehello");
    assert_eq!(s.node.call(server.pid(), b"eagain", PATIENCE).expect("a reply"), b"eagain");
    // The calls left no process behind: the server and the test's inbox.
    assert_eq!(s.node.process_count(), 2);
}

#[test]
fn a_host_call_times_out_and_its_late_reply_goes_nowhere() {
    let s = setup();
    let server = s.server();
    let started = Instant::now();
    assert_eq!(s.node.call(server.pid(), b"s", Duration::from_millis(50)), Err(CallError::Timeout));
    assert!(started.elapsed() < Duration::from_millis(250), "the timeout took {:?}", started.elapsed());
    // The server replied 300 ms in (tag 50): the reply was dropped, and the
    // server still serves.
    recv_tag(&s.inbox, 50);
    assert_eq!(s.node.call(server.pid(), b"eok", PATIENCE).expect("a reply"), b"eok");
}

#[test]
fn a_host_call_to_nobody_is_noproc_and_to_a_dying_server_carries_its_reason() {
    let s = setup();
    assert_eq!(s.node.call(dead_pid(&s.node), b"e", PATIENCE), Err(CallError::Noproc));
    assert_eq!(s.node.call_named("ghost", b"e", PATIENCE), Err(CallError::Noproc));
    let server = s.server();
    assert_eq!(s.node.call(server.pid(), b"d", PATIENCE), Err(CallError::Exited(ExitReason::Custom(b"boom".to_vec()))));
    assert_eq!(finish(&server), ExitReason::Custom(b"boom".to_vec()));
}

#[test]
fn system_requests_get_the_state_and_status_of_a_process_that_answers_them() {
    let s = setup();
    let server = spawn(&s.node, &s.module, "sys_server", &pid_bytes(s.inbox.pid()));
    assert_eq!(s.node.get_state(server.pid(), PATIENCE).expect("a state"), "counter=3");
    let status = s.node.get_status(server.pid(), PATIENCE).expect("a status");
    assert_eq!(status.to_string(), "#{status => running}");
    // A guest asks the same with `system_call`: the answer is the current
    // message, a term.
    let client = s.client("c_system", server.pid(), &[]);
    assert_eq!(s.value(1), 15, "the answer's length");
    assert_eq!(s.value(2), TAG_REPLY);
    assert_eq!(&*recv_tag(&s.inbox, 4).data, b"\x83\x6d\x00\x00\x00\x09counter=3");
    finish_normally(&client);
}

#[test]
fn a_system_request_to_a_process_that_does_not_answer_ends_with_its_timeout() {
    let s = setup();
    // The plain call server drops what is not a call.
    let server = s.server();
    let started = Instant::now();
    assert_eq!(s.node.get_state(server.pid(), Duration::from_millis(100)), Err(CallError::Timeout));
    assert!(started.elapsed() < Duration::from_secs(5));
    // An answer that is not a term is an error that says so.
    let sys = spawn(&s.node, &s.module, "sys_server", &pid_bytes(s.inbox.pid()));
    let hello = Term::Atom(Atom::from("hello"));
    match s.node.system_call(sys.pid(), &hello, PATIENCE) {
        Err(CallError::BadReply(why)) => assert!(!why.is_empty()),
        other => panic!("expected a bad reply, got {other:?}"),
    }
    // The process still answers what it knows.
    assert!(matches!(s.node.get_status(sys.pid(), PATIENCE), Ok(Term::Map(_))));
    assert_node_still_runs(&s.node);
    assert_eq!(s.node.call(server.pid(), b"estill", PATIENCE).expect("a reply"), b"estill");
}
