//! The conformance scenario every guest language implements: one protocol,
//! one harness ([`run_conformance`]), so a binding in C, Zig,
//! AssemblyScript (or any language) proves it covers processes, links,
//! monitors, names, tables, timers, calls and terms the same way.
//!
//! # The protocol (for a binding's author)
//!
//! The guest module exports two entries, both of type `() -> ()`:
//!
//! * `conformance`: the scenario below;
//! * `conformance_child`: reads its spawn argument (some bytes, the
//!   "detail"), waits for one message (any tag), then exits with
//!   `exit(REASON_CUSTOM, detail)`.
//!
//! The harness spawns `conformance` with a 16-byte argument:
//! `[reporter: i64 LE][call_server: i64 LE]`, two pids. The guest
//! **reports** each step by sending the reporter a message whose tag is
//! the step's number and whose payload is a term (External Term Format,
//! version 131, written as `term_to_binary` writes it: see docs/ABI.md
//! "Terms"). Pids in reports are pid terms (NEW_PID_EXT of
//! `nonode@nohost`), references are reference terms (NEWER_REFERENCE_EXT,
//! three words), integers use the smallest integer tag. In order:
//!
//! | tag | the guest does | and reports |
//! | --- | --- | --- |
//! | 1 | reads its argument | `{hello, Self}`: its own pid |
//! | 2 | `trap_exit(1)`; spawns `conformance_child` of its own module with argument `boom`; `link`s to it; sends it one message (tag 1); waits for the `TAG_EXIT` (-100) message | `{exit, From, Kind, Detail}`: the EXIT's sender pid, reason kind (integer, 2) and detail (binary `<<"boom">>`) |
//! | 3 | spawns `conformance_child` with argument `bang`; `monitor`s it; sends it one message; waits for the `TAG_DOWN` (-101) message | `{down, Ref, Pid, Kind, Detail}`: the DOWN's reference (the one `monitor` returned), pid, kind (2) and detail (`<<"bang">>`) |
//! | 4 | `register`s itself as `conformance` | `{registered, <<"conformance">>}` |
//! | 5 | waits for a message with tag 20 (the harness sends it to the name): its payload is the term `{ping, N}` | `{pong, N, Sender}`: the integer received and the message's sender pid |
//! | 6 | makes a table (`table_new`, anonymous, set, public); inserts key `answer` (5 bytes) with the value `term_to_binary(42)`; asks `table_member` for the key; `table_lookup`s it and decodes the value | `{table, Value, Member}`: `{table, 42, true}` |
//! | 7 | `send_after(self, 21, term tick, 5 ms)`; `send_after(self, 22, any bytes, 60000 ms)` and `cancel_timer` on the second; waits for tag 21; then polls (timeout 0) for tag 22 | `{timer, Atom, Cancelled}`: the atom in the tag-21 message (`tick`), and `true` if `cancel_timer` returned >= 0 and no tag-22 message came |
//! | 8 | waits for a call (`TAG_CALL`, -105: payload `[token: i64 LE][request term]`): the request is `{add, A, B}`; `reply`s `{sum, A + B}` | `{served, A, B}` |
//! | 9 | `call`s the call server (the argument's second pid) with `{echo, <<"hi">>}`, timeout 5000 ms; the server replies `{reply, Request}` | `{called, Reply}`: the reply term as it came, `{called, {reply, {echo, <<"hi">>}}}` |
//! | 10 | | the atom `done`, then the entry returns (exit `normal`) |
//!
//! The harness sends step 5's message after report 4 (to the pid it finds
//! under the name `conformance`, from its own inbox, with `N = -70000`),
//! and makes step 8's call after report 7, with `A = 1`,
//! `B = 1099511627776` (2^40: the sum needs SMALL_BIG_EXT). It checks
//! every report's term exactly, the pids (the children are distinct, not
//! the guest, and dead by the end; the reporter's pid is step 5's sender),
//! the reply to its call, and that the guest exits `normal`.
//!
//! A binding adds its test with one line: load its module under a name
//! and call [`run_conformance`] (see `tests/all/lang_c.rs`).

use crate::common::*;
use crate::term_helpers::*;
use std::time::Duration;
use warren_host::term::{self, Term};

/// The call server the guest calls in step 9 (WAT, so that the scenario
/// depends on no binding): each `TAG_CALL` request `R` (a term) gets the
/// reply `{reply, R}`.
const CALL_SERVER: &str = r#"
(module
  (import "warren_v1" "receive" (func $receive (param i32 i32 i64) (result i32)))
  (import "warren_v1" "msg_sender" (func $msg_sender (result i64)))
  (import "warren_v1" "msg_read" (func $msg_read (param i32 i32 i32) (result i32)))
  (import "warren_v1" "reply" (func $reply (param i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; The tag filter: [TAG_CALL].
  (data (i32.const 0) "\97\ff\ff\ff\ff\ff\ff\ff")
  ;; The reply's head: 131, {reply, ... as SMALL_TUPLE_EXT of 2, ATOM_EXT "reply".
  (data (i32.const 2048) "\83\68\02\64\00\05reply")
  (func (export "main")
    (local $len i32)
    (loop $next
      (local.set $len (call $receive (i32.const 0) (i32.const 1) (i64.const -1)))
      ;; [token: 8 bytes][131][request...]: at most 1024 bytes are served.
      (if (i32.and (i32.ge_s (local.get $len) (i32.const 10)) (i32.le_s (local.get $len) (i32.const 1024)))
        (then
          (drop (call $msg_read (i32.const 0) (i32.const 1024) (local.get $len)))
          ;; The request without its version byte goes after the head.
          (memory.copy (i32.const 2059) (i32.const 1033) (i32.sub (local.get $len) (i32.const 9)))
          (drop (call $reply (call $msg_sender) (i64.load (i32.const 1024))
            (i32.const 2048) (i32.add (local.get $len) (i32.const 2))))))
      (br $next))))
"#;

/// Step 5's integer, sent by the harness to the guest's name.
const PING: i64 = -70_000;
/// Step 8's request `{add, A, B}`.
const ADD: (i64, i64) = (1, 1 << 40);

/// Runs the conformance scenario (see the module docs) on `node` against
/// the module loaded under `module_name`, asserting every report.
pub fn run_conformance(node: &Node, module_name: &str) {
    let module = node.module(module_name).unwrap_or_else(|| panic!("no module {module_name:?} is loaded"));
    let server_module = load(node, "conformance-call-server", CALL_SERVER);
    let server = spawn(node, &server_module, "main", b"");
    let inbox = node.inbox();
    let mut arg = pid_bytes(inbox.pid()).to_vec();
    arg.extend_from_slice(&pid_bytes(server.pid()));
    let guest = spawn(node, &module, "conformance", &arg);
    let me = term_pid(guest.pid());
    let step = |tag: i64| -> Term {
        let message = inbox
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|| panic!("{module_name}: no report {tag} within {PATIENCE:?}"));
        assert_eq!(message.tag, tag, "{module_name}: report {tag} expected, got {message:?}");
        assert_eq!(message.sender, guest.pid(), "{module_name}: report {tag} comes from the guest");
        term::decode(&message.data)
            .unwrap_or_else(|e| panic!("{module_name}: report {tag} is not a term ({e}): {:?}", message.data))
    };

    // 1: hello, with its own pid.
    assert_eq!(step(1), tuple([atom("hello"), me.clone()]), "{module_name}: step 1 (hello)");

    // 2: a linked child's exit, trapped.
    let exit = step(2);
    let fields = exit.as_tuple().unwrap_or_else(|| panic!("{module_name}: step 2 is not a tuple: {exit}"));
    assert_eq!(fields.len(), 4, "{module_name}: step 2 (exit): {exit}");
    let linked = local_pid(&fields[1], module_name, "step 2");
    let expected = tuple([atom("exit"), fields[1].clone(), Term::Integer(2), Term::binary(&b"boom"[..])]);
    assert_eq!(exit, expected, "{module_name}: step 2 (exit)");

    // 3: a monitored child's DOWN.
    let down = step(3);
    let fields = down.as_tuple().unwrap_or_else(|| panic!("{module_name}: step 3 is not a tuple: {down}"));
    assert_eq!(fields.len(), 5, "{module_name}: step 3 (down): {down}");
    let Term::Reference(reference) = &fields[1] else {
        panic!("{module_name}: step 3's ref is not a reference: {down}")
    };
    assert!(reference.to_local().is_some_and(|r| r > 0), "{module_name}: step 3's ref is a Warren reference: {down}");
    let monitored = local_pid(&fields[2], module_name, "step 3");
    let expected =
        tuple([atom("down"), fields[1].clone(), fields[2].clone(), Term::Integer(2), Term::binary(&b"bang"[..])]);
    assert_eq!(down, expected, "{module_name}: step 3 (down)");
    assert!(linked != monitored && linked != guest.pid() && monitored != guest.pid(), "{module_name}: two children");

    // 4 and 5: a name, and a message sent to it.
    assert_eq!(step(4), tuple([atom("registered"), Term::binary(&b"conformance"[..])]), "{module_name}: step 4");
    assert_eq!(node.whereis("conformance"), Some(guest.pid()), "{module_name}: the guest holds its name");
    let ping = term::encode(&tuple([atom("ping"), Term::Integer(PING)])).expect("the ping encodes");
    inbox.send(guest.pid(), 20, &ping);
    let pong = tuple([atom("pong"), Term::Integer(PING), term_pid(inbox.pid())]);
    assert_eq!(step(5), pong, "{module_name}: step 5 (pong)");

    // 6: a table.
    let table = tuple([atom("table"), Term::Integer(42), atom("true")]);
    assert_eq!(step(6), table, "{module_name}: step 6 (table)");

    // 7: timers, one fired and one cancelled.
    assert_eq!(step(7), tuple([atom("timer"), atom("tick"), atom("true")]), "{module_name}: step 7 (timer)");

    // 8: the guest serves a call.
    let request = term::encode(&tuple([atom("add"), Term::Integer(ADD.0), Term::Integer(ADD.1)])).expect("encodes");
    let reply = node
        .call(guest.pid(), &request, PATIENCE)
        .unwrap_or_else(|e| panic!("{module_name}: step 8, the guest serves no call: {e}"));
    let sum = term::decode(&reply).unwrap_or_else(|e| panic!("{module_name}: step 8's reply is not a term ({e})"));
    assert_eq!(sum, tuple([atom("sum"), Term::Integer(ADD.0 + ADD.1)]), "{module_name}: step 8 (the reply)");
    let served = tuple([atom("served"), Term::Integer(ADD.0), Term::Integer(ADD.1)]);
    assert_eq!(step(8), served, "{module_name}: step 8 (served)");

    // 9: the guest calls the call server.
    let echo = tuple([atom("echo"), Term::binary(&b"hi"[..])]);
    let called = tuple([atom("called"), tuple([atom("reply"), echo])]);
    assert_eq!(step(9), called, "{module_name}: step 9 (called)");

    // 10: done, and a normal exit; the children are gone.
    assert_eq!(step(10), atom("done"), "{module_name}: step 10 (done)");
    let reason = guest.wait_timeout(PATIENCE).unwrap_or_else(|| panic!("{module_name}: the guest still runs"));
    assert!(reason.is_normal(), "{module_name}: the guest exits normal, not {reason:?}");
    assert!(!node.is_alive(linked) && !node.is_alive(monitored), "{module_name}: the children exited");
    assert_eq!(node.whereis("conformance"), None, "{module_name}: the name went with the guest");
    assert!(inbox.recv_timeout(Duration::from_millis(0)).is_none(), "{module_name}: nothing after done");
}

/// The Warren pid a report carries, or a failure naming the step.
fn local_pid(term: &Term, module_name: &str, step: &str) -> Pid {
    let Term::Pid(pid) = term else { panic!("{module_name}: {step}: {term} is not a pid") };
    pid.to_local()
        .and_then(Pid::from_raw)
        .unwrap_or_else(|| panic!("{module_name}: {step}: {term} is not a pid of this node"))
}
