//! Links and exit signals, by Erlang's rules: propagation along links,
//! `normal` versus other reasons, `kill`/`killed`, trap_exit, exit/2, link
//! to a dead pid, spawn_link atomicity; and the Rust SDK end to end.

use crate::common::*;
use std::collections::{HashMap, HashSet};
use warren_host::{REASON_CUSTOM, REASON_KILLED, REASON_NOPROC, REASON_SHUTDOWN, REASON_TRAP, TAG_EXIT};

/// Data at 8192: export names and reasons (offset, length in comments).
const LINKS: &str = r#"
  (data (i32.const 8192) "chain")      ;; 8192, 5
  (data (i32.const 8200) "crasher")    ;; 8200, 7
  (data (i32.const 8208) "crash_now")  ;; 8208, 9
  (data (i32.const 8224) "quick")      ;; 8224, 5
  (data (i32.const 8232) "a-crash")    ;; 8232, 7
  (data (i32.const 8240) "c-crash")    ;; 8240, 7
  (data (i32.const 8248) "survived")   ;; 8248, 8
  (data (i32.const 8256) "me")         ;; 8256, 2

  ;; A member of a chain. Argument: [reporter][remaining][trap_at][index].
  ;; Links the reporter (which traps exits, so it hears of each member's
  ;; exit), reports tag 1 [index][pid], then spawn_links the next member, or,
  ;; at the far end, reports tag 2 with its pid. Traps exits if
  ;; index == trap_at, and forwards each EXIT it gets to the reporter (tag 3).
  (func (export "chain")
    (local $n i32)
    (drop (call $args))
    (if (i64.eq (i64.load (i32.const 80)) (i64.load (i32.const 88)))
      (then (drop (call $trap_exit (i32.const 1)))))
    (drop (call $link (i64.load (i32.const 64))))
    (i64.store (i32.const 320) (i64.load (i32.const 88)))
    (i64.store (i32.const 328) (call $self))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 1) (i32.const 320) (i32.const 16)))
    (if (i64.gt_s (i64.load (i32.const 72)) (i64.const 0))
      (then
        (i64.store (i32.const 72) (i64.sub (i64.load (i32.const 72)) (i64.const 1)))
        (i64.store (i32.const 88) (i64.add (i64.load (i32.const 88)) (i64.const 1)))
        (drop (call $spawn_flags (i32.const 8192) (i32.const 5) (i32.const 64) (i32.const 32) (i32.const 1))))
      (else (call $report (i64.load (i32.const 64)) (i64.const 2) (call $self))))
    (loop $forever
      (local.set $n (call $recv_tag (i64.const -100)))
      (call $forward (i64.load (i32.const 64)) (i64.const 3) (local.get $n))
      (br $forever)))

  ;; Argument: [reporter][target][kind][detail...]. exit_signal(target,
  ;; kind, detail), reports its result (tag 9), then sends target tag 1.
  (func (export "signaller")
    (local $size i32)
    (local.set $size (call $args))
    (call $report (i64.load (i32.const 64)) (i64.const 9)
      (i64.extend_i32_s (call $exit_signal (i64.load (i32.const 72)) (i32.wrap_i64 (i64.load (i32.const 80)))
        (i32.const 88) (i32.sub (local.get $size) (i32.const 24)))))
    (drop (call $send (i64.load (i32.const 72)) (i64.const 1) (i32.const 0) (i32.const 0))))

  ;; Argument: [reporter][n]. Traps exits, spawn_links n `crasher`s, forwards
  ;; each EXIT to the reporter (tag 5); then reports how many more EXITs are
  ;; queued (tag 6).
  (func (export "crasher_parent")
    (local $i i64) (local $n i32) (local $extra i64)
    (drop (call $args))
    (drop (call $trap_exit (i32.const 1)))
    (loop $spawn
      (i64.store (i32.const 320) (local.get $i))
      (drop (call $spawn_flags (i32.const 8200) (i32.const 7) (i32.const 320) (i32.const 8) (i32.const 1)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $spawn (i64.lt_s (local.get $i) (i64.load (i32.const 72)))))
    (local.set $i (i64.const 0))
    (loop $collect
      (local.set $n (call $recv_tag (i64.const -100)))
      (call $forward (i64.load (i32.const 64)) (i64.const 5) (local.get $n))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br_if $collect (i64.lt_s (local.get $i) (i64.load (i32.const 72)))))
    (call $yield_now)
    (call $yield_now)
    (loop $more
      (if (i32.ge_s (call $poll_tag (i64.const -100)) (i32.const 0))
        (then (local.set $extra (i64.add (local.get $extra) (i64.const 1))) (br $more))))
    (call $report (i64.load (i32.const 64)) (i64.const 6) (local.get $extra)))

  ;; Argument: [i]. i % 3 == 0: traps; 1: exits custom; 2: exits shutdown;
  ;; the detail is [i][own pid].
  (func (export "crasher")
    (local $i i64)
    (drop (call $args))
    (local.set $i (i64.load (i32.const 64)))
    (i64.store (i32.const 320) (local.get $i))
    (i64.store (i32.const 328) (call $self))
    (if (i64.eqz (i64.rem_u (local.get $i) (i64.const 3))) (then unreachable))
    (call $exit (select (i32.const 2) (i32.const 1) (i64.eq (i64.rem_u (local.get $i) (i64.const 3)) (i64.const 1)))
      (i32.const 320) (i32.const 16))
    (unreachable))

  (func (export "quick"))
  (func (export "crash_now") (unreachable))
  (func (export "wait_forever") (call $idle))

  ;; Waits for any message, then exits custom "survived".
  (func (export "survivor")
    (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
    (call $exit (i32.const 2) (i32.const 8248) (i32.const 8))
    (unreachable))

  ;; Waits for any message, then exits custom "c-crash".
  (func (export "crash_on_message")
    (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
    (call $exit (i32.const 2) (i32.const 8240) (i32.const 7))
    (unreachable))

  ;; spawn_link + monitor of `quick` (exits normally); on its DOWN, exits
  ;; custom "survived": the normal exit signal did not kill it.
  (func (export "normal_link_watcher")
    (drop (call $spawn_flags (i32.const 8224) (i32.const 5) (i32.const 0) (i32.const 0) (i32.const 3)))
    (drop (call $recv_tag (i64.const -101)))
    (call $exit (i32.const 2) (i32.const 8248) (i32.const 8))
    (unreachable))

  ;; Argument: [reporter]. Traps exits, reports tag 1 (its pid), then for
  ;; each EXIT reports tag 4 (the message's sender) and forwards it (tag 3).
  (func (export "trapper")
    (local $n i32)
    (drop (call $args))
    (drop (call $trap_exit (i32.const 1)))
    (call $report (i64.load (i32.const 64)) (i64.const 1) (call $self))
    (loop $forever
      (local.set $n (call $recv_tag (i64.const -100)))
      (call $report (i64.load (i32.const 64)) (i64.const 4) (call $msg_sender))
      (call $forward (i64.load (i32.const 64)) (i64.const 3) (local.get $n))
      (br $forever)))

  ;; Argument: [reporter][dead][trap]. Traps exits if trap != 0, links the
  ;; dead pid, reports link's result (tag 5), then the EXIT's sender (tag 4)
  ;; and payload (tag 3).
  (func (export "link_dead")
    (local $n i32)
    (drop (call $args))
    (if (i64.ne (i64.load (i32.const 80)) (i64.const 0)) (then (drop (call $trap_exit (i32.const 1)))))
    (call $report (i64.load (i32.const 64)) (i64.const 5) (i64.extend_i32_s (call $link (i64.load (i32.const 72)))))
    (local.set $n (call $recv_tag (i64.const -100)))
    (call $report (i64.load (i32.const 64)) (i64.const 4) (call $msg_sender))
    (call $forward (i64.load (i32.const 64)) (i64.const 3) (local.get $n)))

  ;; Argument: [reporter][other]. Links other, reports tag 1, waits forever.
  (func (export "linker")
    (drop (call $args))
    (drop (call $link (i64.load (i32.const 72))))
    (call $report (i64.load (i32.const 64)) (i64.const 1) (i64.const 0))
    (call $idle))

  ;; Argument: [reporter][other]. Links other, reports tag 1, then on any
  ;; message exits custom "a-crash".
  (func (export "crash_linker")
    (drop (call $args))
    (drop (call $link (i64.load (i32.const 72))))
    (call $report (i64.load (i32.const 64)) (i64.const 1) (i64.const 0))
    (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
    (call $exit (i32.const 2) (i32.const 8232) (i32.const 7))
    (unreachable))

  ;; Argument: [reporter][other]. Links other twice, unlinks it once,
  ;; reports tag 1, then on any message exits custom "a-crash".
  (func (export "unlinker")
    (drop (call $args))
    (drop (call $link (i64.load (i32.const 72))))
    (drop (call $link (i64.load (i32.const 72))))
    (drop (call $unlink (i64.load (i32.const 72))))
    (call $report (i64.load (i32.const 64)) (i64.const 1) (i64.const 0))
    (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
    (call $exit (i32.const 2) (i32.const 8232) (i32.const 7))
    (unreachable))

  ;; Argument: [reporter][trap]. Traps exits if trap != 0, spawn_links
  ;; `crash_now`, reports its pid (tag 2), then forwards the EXIT (tag 3).
  (func (export "spawn_link_crash_now")
    (local $n i32)
    (drop (call $args))
    (if (i64.ne (i64.load (i32.const 72)) (i64.const 0)) (then (drop (call $trap_exit (i32.const 1)))))
    (call $report (i64.load (i32.const 64)) (i64.const 2)
      (call $spawn_flags (i32.const 8208) (i32.const 9) (i32.const 0) (i32.const 0) (i32.const 1)))
    (local.set $n (call $recv_tag (i64.const -100)))
    (call $forward (i64.load (i32.const 64)) (i64.const 3) (local.get $n)))

  ;; Argument: [kind][detail...]. exit_signal(self, kind, detail); a return
  ;; from it would trap.
  (func (export "self_exit")
    (local $size i32)
    (local.set $size (call $args))
    (drop (call $exit_signal (call $self) (i32.wrap_i64 (i64.load (i32.const 64)))
      (i32.const 72) (i32.sub (local.get $size) (i32.const 8))))
    (unreachable))

  ;; Argument: [reporter]. Traps exits, sends itself custom "me", forwards
  ;; the EXIT (tag 3), then sends itself kill, which it cannot trap.
  (func (export "self_exit_trapping")
    (drop (call $args))
    (drop (call $trap_exit (i32.const 1)))
    (drop (call $exit_signal (call $self) (i32.const 2) (i32.const 8256) (i32.const 2)))
    (call $forward (i64.load (i32.const 64)) (i64.const 3) (call $recv_tag (i64.const -100)))
    (drop (call $exit_signal (call $self) (i32.const 3) (i32.const 0) (i32.const 0)))
    (unreachable))

  ;; Argument: [reporter][dead]. Reports (tag 7) the results of calls with
  ;; bad or odd arguments, as i64s.
  (func (export "badargs")
    (drop (call $args))
    (i64.store (i32.const 320) (i64.extend_i32_s (call $link (i64.const 0))))
    (i64.store (i32.const 328) (i64.extend_i32_s (call $unlink (i64.const 0))))
    (i64.store (i32.const 336) (i64.extend_i32_s (call $exit_signal (i64.const 0) (i32.const 2) (i32.const 0) (i32.const 0))))
    (i64.store (i32.const 344) (i64.extend_i32_s (call $exit_signal (call $self) (i32.const 4) (i32.const 0) (i32.const 0))))
    (i64.store (i32.const 352) (i64.extend_i32_s (call $exit_signal (call $self) (i32.const 99) (i32.const 0) (i32.const 0))))
    (i64.store (i32.const 360) (call $monitor (i64.const 0)))
    (i64.store (i32.const 368) (call $spawn_opt (i32.const 0) (i32.const 0) (i32.const 8224) (i32.const 5)
      (i32.const 0) (i32.const 0) (i32.const 4) (i32.const 16)))
    (i64.store (i32.const 376) (i64.extend_i32_s (call $trap_exit (i32.const 1))))
    (i64.store (i32.const 384) (i64.extend_i32_s (call $trap_exit (i32.const 0))))
    (i64.store (i32.const 392) (i64.extend_i32_s (call $link (call $self))))
    (i64.store (i32.const 400) (i64.extend_i32_s (call $exit_signal (i64.load (i32.const 72)) (i32.const 2) (i32.const 0) (i32.const 0))))
    (i64.store (i32.const 408) (i64.extend_i32_s (call $unlink (i64.load (i32.const 72)))))
    (i64.store (i32.const 416) (i64.extend_i32_s (call $exit_signal (call $self) (i32.const -1) (i32.const 0) (i32.const 0))))
    (drop (call $send (i64.load (i32.const 64)) (i64.const 7) (i32.const 320) (i32.const 104)))
    (call $idle))
"#;

/// The module of this file's guests (also used by the monitor tests).
pub(crate) fn links_module(node: &Node) -> LoadedModule {
    load(node, "links", &rwat(LINKS))
}

/// An argument: the i64s, then `tail`.
pub(crate) fn arg(values: &[i64], tail: &[u8]) -> Vec<u8> {
    let mut out: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    out.extend_from_slice(tail);
    out
}

/// A pid as the i64 guests see.
pub(crate) fn raw(pid: Pid) -> i64 {
    pid.raw() as i64
}

/// The pid in an 8-byte payload.
pub(crate) fn pid_of(data: &[u8]) -> Pid {
    Pid::from_raw(as_i64(data) as u64).expect("a pid")
}

/// Sends `target` an exit signal from a fresh `signaller` process (of
/// [`links_module`]), and checks exit_signal returned `OK`.
pub(crate) fn signal(node: &Node, module: &LoadedModule, inbox: &Inbox, target: Pid, kind: i32, detail: &[u8]) {
    let signaller = spawn(node, module, "signaller", &arg(&[raw(inbox.pid()), raw(target), kind.into()], detail));
    assert_eq!(as_i64(&recv_tag(inbox, 9).data), i64::from(OK), "exit_signal's result");
    finish_normally(&signaller);
}

/// Builds a chain of `n` linked processes (see `chain`); returns its head
/// and the pids by index, and the far end.
fn build_chain(node: &Node, inbox: &Inbox, n: i64, trap_at: i64) -> (ProcessHandle, Vec<Pid>, Pid) {
    let module = links_module(node);
    let head = spawn(node, &module, "chain", &arg(&[raw(inbox.pid()), n - 1, trap_at, 0], b""));
    let mut members = vec![None; n as usize];
    let mut end = None;
    while members.iter().any(Option::is_none) || end.is_none() {
        let message = recv(inbox);
        match message.tag {
            1 => {
                let index = as_i64(&message.data[..8]) as usize;
                assert!(members[index].replace(pid_of(&message.data[8..])).is_none(), "member {index} twice");
            }
            2 => end = Some(pid_of(&message.data)),
            other => panic!("unexpected message while building the chain: tag {other}"),
        }
    }
    let members: Vec<Pid> = members.into_iter().map(Option::unwrap).collect();
    assert_eq!(members[0], head.pid());
    assert_eq!(Some(members[n as usize - 1]), end);
    for pair in members.windows(2) {
        assert!(node.is_linked(pair[0], pair[1]) && node.is_linked(pair[1], pair[0]), "{pair:?} not linked");
    }
    (head, members, end.unwrap())
}

#[test]
fn kill_at_the_end_of_a_chain_of_1000_links_ends_every_member_with_killed() {
    let node = node(2);
    let inbox = node.inbox();
    let (head, members, end) = build_chain(&node, &inbox, 1000, -1);
    signal(&node, &links_module(&node), &inbox, end, warren_host::REASON_KILL, b"");
    // The reporter is linked to every member and traps exits: it hears each
    // one die, with `killed` (the end got `kill`; each neighbour then got
    // `killed`, an ordinary reason, and died with it).
    let mut dead = HashSet::new();
    for _ in 0..members.len() {
        let message = recv_tag(&inbox, TAG_EXIT);
        let (from, kind, detail) = parse_exit(&message.data);
        assert_eq!((message.sender, kind, detail.as_slice()), (from, REASON_KILLED, &b""[..]), "from {from}");
        assert!(dead.insert(from), "{from} died twice");
    }
    assert_eq!(dead, members.iter().copied().collect::<HashSet<_>>());
    assert_eq!(finish(&head), ExitReason::Killed);
    assert_eq!(node.process_count(), 1, "only the inbox is left");
}

#[test]
fn a_trapping_process_in_the_middle_of_a_chain_stops_the_cascade_and_gets_the_exit_message() {
    let node = node(2);
    let inbox = node.inbox();
    let (head, members, end) = build_chain(&node, &inbox, 1000, 500);
    signal(&node, &links_module(&node), &inbox, end, warren_host::REASON_KILL, b"");
    let mut dead = HashSet::new();
    let mut trapped = None;
    while dead.len() < 499 || trapped.is_none() {
        let message = recv(&inbox);
        match message.tag {
            TAG_EXIT => {
                let (from, kind, _) = parse_exit(&message.data);
                assert_eq!(kind, REASON_KILLED);
                assert!(dead.insert(from), "{from} died twice");
            }
            3 => trapped = Some(parse_exit(&message.data)),
            other => panic!("unexpected tag {other}"),
        }
    }
    assert_eq!(dead, members[501..].iter().copied().collect::<HashSet<_>>(), "members 501..1000 die");
    assert_eq!(trapped, Some((members[501], REASON_KILLED, Vec::new())), "member 500 gets EXIT killed from 501");
    for (index, pid) in members[..=500].iter().enumerate() {
        assert!(node.is_alive(*pid), "member {index} should be alive");
    }
    assert!(!node.is_linked(members[500], members[501]), "the link went with the signal");
    assert!(node.is_linked(members[499], members[500]));
    assert!(inbox.try_recv().is_none(), "nothing else: {:?}", inbox.try_recv());
    assert!(head.wait_timeout(std::time::Duration::ZERO).is_none(), "the head lives");
}

#[test]
fn a_trapping_process_with_10000_linked_children_that_crash_gets_exactly_10000_exit_messages() {
    const N: i64 = 10_000;
    let node = node(2);
    let module = links_module(&node);
    let inbox = node.inbox();
    let parent = spawn(&node, &module, "crasher_parent", &arg(&[raw(inbox.pid()), N], b""));
    let mut from_seen = HashSet::new();
    let mut indices = HashSet::new();
    let mut kinds: HashMap<i32, usize> = HashMap::new();
    for _ in 0..N {
        let message = recv_tag(&inbox, 5);
        let (from, kind, detail) = parse_exit(&message.data);
        assert!(from_seen.insert(from), "two EXITs from {from}");
        *kinds.entry(kind).or_default() += 1;
        match kind {
            REASON_TRAP => assert!(String::from_utf8_lossy(&detail).contains("unreachable"), "{detail:?}"),
            REASON_CUSTOM | REASON_SHUTDOWN => {
                let index = as_i64(&detail[..8]);
                assert_eq!(pid_of(&detail[8..]), from, "the reason names its process");
                let expected = if index % 3 == 1 { REASON_CUSTOM } else { REASON_SHUTDOWN };
                assert_eq!(kind, expected, "child {index}");
                assert!(indices.insert(index), "child {index} twice");
            }
            other => panic!("unexpected reason kind {other}"),
        }
    }
    assert_eq!(as_i64(&recv_tag(&inbox, 6).data), 0, "no EXIT after the 10,000th");
    assert_eq!(kinds[&REASON_TRAP], 3334);
    assert_eq!(kinds[&REASON_CUSTOM], 3333);
    assert_eq!(kinds[&REASON_SHUTDOWN], 3333);
    finish_normally(&parent);
}

#[test]
fn links_are_bidirectional_and_a_crash_travels_both_ways() {
    let node = node(2);
    let module = links_module(&node);
    let inbox = node.inbox();
    // The linker crashes: the process it linked dies with its reason.
    let passive = spawn(&node, &module, "wait_forever", b"");
    let active = spawn(&node, &module, "crash_linker", &arg(&[raw(inbox.pid()), raw(passive.pid())], b""));
    recv_tag(&inbox, 1);
    assert!(node.is_linked(active.pid(), passive.pid()) && node.is_linked(passive.pid(), active.pid()));
    inbox.send(active.pid(), 1, b"");
    assert_eq!(finish(&active), ExitReason::Custom(b"a-crash".to_vec()));
    assert_eq!(finish(&passive), ExitReason::Custom(b"a-crash".to_vec()));
    // The linked process crashes: the linker dies with its reason.
    let target = spawn(&node, &module, "crash_on_message", b"");
    let linker = spawn(&node, &module, "linker", &arg(&[raw(inbox.pid()), raw(target.pid())], b""));
    recv_tag(&inbox, 1);
    inbox.send(target.pid(), 1, b"");
    assert_eq!(finish(&target), ExitReason::Custom(b"c-crash".to_vec()));
    assert_eq!(finish(&linker), ExitReason::Custom(b"c-crash".to_vec()));
}

#[test]
fn unlink_removes_the_link_on_both_sides_and_linking_twice_makes_one_link() {
    let node = node(2);
    let module = links_module(&node);
    let inbox = node.inbox();
    let other = spawn(&node, &module, "survivor", b"");
    let unlinker = spawn(&node, &module, "unlinker", &arg(&[raw(inbox.pid()), raw(other.pid())], b""));
    recv_tag(&inbox, 1);
    assert!(!node.is_linked(unlinker.pid(), other.pid()) && !node.is_linked(other.pid(), unlinker.pid()));
    inbox.send(unlinker.pid(), 1, b"");
    assert_eq!(finish(&unlinker), ExitReason::Custom(b"a-crash".to_vec()));
    // Its exit signals went out before `wait` returned: had one reached
    // `other`, `other` would end with a-crash before reading this message.
    inbox.send(other.pid(), 1, b"");
    assert_eq!(finish(&other), ExitReason::Custom(b"survived".to_vec()));
}

#[test]
fn a_normal_exit_signal_does_not_kill_a_process_that_does_not_trap_exits() {
    let node = node(2);
    let module = links_module(&node);
    let inbox = node.inbox();
    // exit/2 with `normal`, then a message: the target reads the message.
    let target = spawn(&node, &module, "survivor", b"");
    signal(&node, &module, &inbox, target.pid(), warren_host::REASON_NORMAL, b"");
    assert_eq!(finish(&target), ExitReason::Custom(b"survived".to_vec()));
    // A linked child that exits normally: its DOWN comes after its exit
    // signal has acted, and the watcher is still alive to read it.
    let watcher = spawn(&node, &module, "normal_link_watcher", b"");
    assert_eq!(finish(&watcher), ExitReason::Custom(b"survived".to_vec()));
}

#[test]
fn a_non_normal_exit_signal_kills_a_process_that_does_not_trap_exits_with_that_reason() {
    let node = node(2);
    let module = links_module(&node);
    let inbox = node.inbox();
    let target = spawn(&node, &module, "wait_forever", b"");
    signal(&node, &module, &inbox, target.pid(), REASON_SHUTDOWN, b"bye");
    assert_eq!(finish(&target), ExitReason::Shutdown(b"bye".to_vec()));
    let target = spawn(&node, &module, "wait_forever", b"");
    signal(&node, &module, &inbox, target.pid(), REASON_CUSTOM, b"go away");
    assert_eq!(finish(&target), ExitReason::Custom(b"go away".to_vec()));
}

#[test]
fn trap_exit_turns_exit_signals_into_messages_from_their_sender() {
    let node = node(2);
    let module = links_module(&node);
    let inbox = node.inbox();
    let trapper = spawn(&node, &module, "trapper", &reporter_arg(&inbox, b""));
    assert_eq!(pid_of(&recv_tag(&inbox, 1).data), trapper.pid());
    for (kind, detail) in [(REASON_CUSTOM, &b"boo"[..]), (REASON_SHUTDOWN, b""), (warren_host::REASON_NORMAL, b"")] {
        let signaller =
            spawn(&node, &module, "signaller", &arg(&[raw(inbox.pid()), raw(trapper.pid()), kind.into()], detail));
        assert_eq!(as_i64(&recv_tag(&inbox, 9).data), i64::from(OK));
        let sender = pid_of(&recv_tag(&inbox, 4).data);
        let (from, got_kind, got_detail) = parse_exit(&recv_tag(&inbox, 3).data);
        assert_eq!((sender, from, got_kind, got_detail.as_slice()), (signaller.pid(), signaller.pid(), kind, detail));
        finish_normally(&signaller);
    }
    assert!(node.is_alive(trapper.pid()));
}

#[test]
fn kill_cannot_be_trapped_and_the_target_exits_killed() {
    let node = node(2);
    let module = links_module(&node);
    let inbox = node.inbox();
    let trapper = spawn(&node, &module, "trapper", &reporter_arg(&inbox, b""));
    recv_tag(&inbox, 1);
    signal(&node, &module, &inbox, trapper.pid(), warren_host::REASON_KILL, b"");
    assert_eq!(finish(&trapper), ExitReason::Killed);
    assert!(inbox.try_recv().is_none(), "the trapper forwarded nothing");
}

#[test]
fn exit_signal_to_oneself_takes_effect_at_once() {
    let node = node(1);
    let module = links_module(&node);
    let run = |kind: i32, detail: &[u8]| finish(&spawn(&node, &module, "self_exit", &arg(&[kind.into()], detail)));
    assert_eq!(run(REASON_CUSTOM, b"me"), ExitReason::Custom(b"me".to_vec()));
    assert_eq!(run(REASON_SHUTDOWN, b""), ExitReason::Shutdown(Vec::new()));
    assert_eq!(run(warren_host::REASON_KILL, b""), ExitReason::Killed);
    // `normal` sent to oneself ends a process that does not trap exits.
    assert_eq!(run(warren_host::REASON_NORMAL, b""), ExitReason::Normal);
    // A trapping process gets its own signal as a message, except kill.
    let inbox = node.inbox();
    let trapping = spawn(&node, &module, "self_exit_trapping", &reporter_arg(&inbox, b""));
    let (from, kind, detail) = parse_exit(&recv_tag(&inbox, 3).data);
    assert_eq!((from, kind, detail.as_slice()), (trapping.pid(), REASON_CUSTOM, &b"me"[..]));
    assert_eq!(finish(&trapping), ExitReason::Killed);
}

#[test]
fn link_to_a_dead_pid_without_trapping_exits_ends_the_caller_with_noproc() {
    let node = node(2);
    let module = links_module(&node);
    let inbox = node.inbox();
    let dead = dead_pid(&node);
    let linker = spawn(&node, &module, "link_dead", &arg(&[raw(inbox.pid()), raw(dead), 0], b""));
    assert_eq!(finish(&linker), ExitReason::Noproc);
    assert!(inbox.try_recv().is_none(), "link did not return: {:?}", inbox.try_recv());
}

#[test]
fn link_to_a_dead_pid_while_trapping_exits_gives_an_exit_message_with_noproc() {
    let node = node(2);
    let module = links_module(&node);
    let inbox = node.inbox();
    let dead = dead_pid(&node);
    let linker = spawn(&node, &module, "link_dead", &arg(&[raw(inbox.pid()), raw(dead), 1], b""));
    assert_eq!(as_i64(&recv_tag(&inbox, 5).data), i64::from(OK));
    assert_eq!(pid_of(&recv_tag(&inbox, 4).data), dead, "the EXIT comes from the dead pid");
    assert_eq!(parse_exit(&recv_tag(&inbox, 3).data), (dead, REASON_NOPROC, Vec::new()));
    finish_normally(&linker);
    assert!(!node.is_linked(linker.pid(), dead));
}

#[test]
fn spawn_link_is_atomic_so_a_child_that_crashes_at_once_still_kills_its_parent() {
    let node = node(2);
    let module = links_module(&node);
    let inbox = node.inbox();
    for _ in 0..20 {
        let parent = spawn(&node, &module, "spawn_link_crash_now", &arg(&[raw(inbox.pid()), 0], b""));
        recv_tag(&inbox, 2);
        expect_trap(&finish(&parent), &["unreachable"]);
    }
}

#[test]
fn spawn_link_is_atomic_so_a_trapping_parent_gets_the_exit_of_a_child_that_crashes_at_once() {
    let node = node(2);
    let module = links_module(&node);
    let inbox = node.inbox();
    for _ in 0..20 {
        let parent = spawn(&node, &module, "spawn_link_crash_now", &arg(&[raw(inbox.pid()), 1], b""));
        let child = pid_of(&recv_tag(&inbox, 2).data);
        let (from, kind, detail) = parse_exit(&recv_tag(&inbox, 3).data);
        assert_eq!((from, kind), (child, REASON_TRAP));
        assert!(String::from_utf8_lossy(&detail).contains("unreachable"));
        finish_normally(&parent);
    }
}

#[test]
fn bad_arguments_are_err_badarg_and_odd_ones_are_harmless() {
    let node = node(1);
    let module = links_module(&node);
    let inbox = node.inbox();
    let dead = dead_pid(&node);
    let process = spawn(&node, &module, "badargs", &arg(&[raw(inbox.pid()), raw(dead)], b""));
    let bad = i64::from(ERR_BADARG);
    let ok = i64::from(OK);
    assert_eq!(
        as_i64s(&recv_tag(&inbox, 7).data),
        [
            bad, // link(0)
            bad, // unlink(0)
            bad, // exit_signal(0, custom)
            bad, // exit_signal(self, killed): not a kind a guest may send
            bad, // exit_signal(self, 99)
            bad, // monitor(0)
            bad, // spawn_opt with an unknown flag
            0,   // trap_exit(1): was off
            1,   // trap_exit(0): was on
            ok,  // link(self): nothing to do
            ok,  // exit_signal(dead, custom): dropped
            ok,  // unlink(dead)
            bad, // exit_signal(self, -1)
        ]
    );
    assert!(!node.is_linked(process.pid(), process.pid()));
    assert_eq!(node.process_count(), 2, "spawn_opt with a bad flag made no process");
}

#[test]
fn the_rust_sdk_links_monitors_names_and_timers_work_end_to_end() {
    let node = node(2);
    let module = load_artifact(&node, warren_test_artifacts::SDK_LINKS);
    let inbox = node.inbox();
    let process = spawn(&node, &module, "main", &reporter_arg(&inbox, b""));
    let mut failures = Vec::new();
    let mut checks = 0;
    loop {
        let message = recv(&inbox);
        match message.tag {
            1 => {
                checks += 1;
                let text = String::from_utf8_lossy(&message.data).into_owned();
                if !text.ends_with(" ok") {
                    failures.push(text);
                }
            }
            2 => {
                assert_eq!(as_u32(&message.data), checks, "every check reported");
                break;
            }
            other => panic!("unexpected tag {other}"),
        }
    }
    assert!(failures.is_empty(), "SDK checks failed:\n{}", failures.join("\n"));
    assert!(checks >= 19);
    finish_normally(&process);
    assert!(node.registered().is_empty(), "the SDK guest left names: {:?}", node.registered());
}

/// The linked group of issue 23: `b` (registered "b", waiting in receive)
/// is linked to `a`; `a` traps; the root monitors `a`. By the time the root
/// gets a's DOWN, the exit signal that ended `b` has acted: `b` has exited,
/// "b" is free, and the root can register it (as a supervisor restarting
/// the group under the same names does).
const LINKED_GROUP: &str = r#"
  (data (i32.const 4096) "b")
  (data (i32.const 4100) "b_wait")
  (data (i32.const 4110) "a_link")
  ;; Registers itself as "b", tells its parent (its argument), waits.
  (func (export "b_wait")
    (drop (call $register (i32.const 4096) (i32.const 1) (call $self)))
    (call $report (call $arg_pid) (i64.const 1) (i64.const 0))
    (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1))))
  ;; Argument: [b][parent]. Links to b, tells the parent, traps on a message.
  (func (export "a_link")
    (drop (call $arg_read (i32.const 0) (i32.const 16)))
    (drop (call $link (i64.load (i32.const 0))))
    (call $report (i64.load (i32.const 8)) (i64.const 2) (i64.const 0))
    (drop (call $receive (i32.const 0) (i32.const 0) (i64.const -1)))
    (unreachable))
  ;; Reports to its argument: tag 10 whereis("b") once a's DOWN came, tag
  ;; 11 its register("b") right after.
  (func (export "root")
    (local $reporter i64) (local $b i64) (local $a i64)
    (local.set $reporter (call $arg_pid))
    (i64.store (i32.const 64) (call $self))
    (local.set $b (call $spawn (i32.const 4100) (i32.const 6) (i32.const 64) (i32.const 8)))
    (i64.store (i32.const 128) (i64.const 1))
    (drop (call $receive (i32.const 128) (i32.const 1) (i64.const -1)))
    (i64.store (i32.const 80) (local.get $b))
    (i64.store (i32.const 88) (call $self))
    (local.set $a (call $spawn (i32.const 4110) (i32.const 6) (i32.const 80) (i32.const 16)))
    (i64.store (i32.const 128) (i64.const 2))
    (drop (call $receive (i32.const 128) (i32.const 1) (i64.const -1)))
    (drop (call $monitor (local.get $a)))
    (drop (call $send (local.get $a) (i64.const 3) (i32.const 0) (i32.const 0)))
    (i64.store (i32.const 128) (i64.const -101))
    (drop (call $receive (i32.const 128) (i32.const 1) (i64.const -1)))
    (call $report (local.get $reporter) (i64.const 10) (call $whereis (i32.const 4096) (i32.const 1)))
    (call $report (local.get $reporter) (i64.const 11)
      (i64.extend_i32_s (call $register (i32.const 4096) (i32.const 1) (call $self)))))
"#;

#[test]
fn a_down_comes_after_the_linked_processes_the_exit_ended_are_gone() {
    let node = node(2);
    let module = load(&node, "linked-group", &rwat(LINKED_GROUP));
    for round in 0..100 {
        let inbox = node.inbox();
        let root = spawn(&node, &module, "root", &reporter_arg(&inbox, b""));
        let mut answers = Vec::new();
        for _ in 0..2 {
            let message = inbox.recv_timeout(PATIENCE).expect("the root reports");
            answers.push((message.tag, i64::from_le_bytes(message.data[..8].try_into().unwrap())));
        }
        assert_eq!(answers, [(10, 0), (11, i64::from(OK))], "round {round}: whereis(\"b\") then register(\"b\")");
        assert_eq!(root.wait_timeout(PATIENCE), Some(ExitReason::Normal));
    }
}
