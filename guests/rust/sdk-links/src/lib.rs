//! `sdk-links`: the guest SDK's process relationships end to end: links,
//! exit signals, trap_exit, monitors, names, keyed registries and timers.
//!
//! * `main` (entry): argument = the reporter pid (8 bytes LE). Runs every
//!   check below in order and sends the reporter, for each, tag 1 with the
//!   text `NAME ok` or `NAME FAIL: WHY`; then tag 2 with the number of checks
//!   (u32 LE), and returns. It ends with no name and no registry entry.
//! * `crash`: panics (an `unreachable` trap).
//! * `exit_custom`: exits with `Reason::Custom(b"boom")`.
//! * `quick`: returns at once.
//! * `waiter`: waits for one message, answers its sender with tag 2 and the
//!   same payload, and returns.
//! * `trapper`: argument = its parent's pid. Traps exits, sends the parent
//!   tag 3, then forever forwards each EXIT message it gets to the parent as
//!   tag 7 with `[from: i64][kind: i32][detail]` (the EXIT payload).
//! * `no_spawn`: tries to spawn `quick`; exits `Custom(b"not permitted")`
//!   if the SDK says `Error::NotPermitted`, else `Custom(b"spawned")`.
//! * `hog`: allocates 4 MiB and returns.
//! * `server`: serves calls: `rev:BYTES` is answered with the bytes
//!   reversed; `later:` is answered from a process it spawns (`replier`,
//!   given the caller's handle); `slow:` after 200 ms; `die:` makes it exit
//!   `Custom(b"boom")`. Ends on a plain message.
//! * `reg_child`: argument = parent pid + one index byte. Registers itself in
//!   registry `sdk-links-dup` under key `topic` with the index as value,
//!   sends the parent tag 4, waits for a tag 5 message, sends the parent tag 6
//!   with `[index][payload]`, and returns.

use warren::sys::{TAG_DOWN, TAG_EXIT};
use warren::{
    CallError, Down, Error, ReplyTo, ExitReason, Message, MonitorRef, NameError, Pid, Reason, Registry, Signal,
    SpawnOptions,
};

/// Bound on every wait, so a broken host fails a check instead of hanging.
const WAIT: u64 = 10_000;
const TAG_CHECK: i64 = 1;
const TAG_DONE: i64 = 2;

type Check = Result<(), String>;
/// A named check, run by `main`.
type NamedCheck = (&'static str, fn() -> Check);

/// `Err(why)` unless `cond`.
fn ensure(cond: bool, why: impl FnOnce() -> String) -> Check {
    if cond { Ok(()) } else { Err(why()) }
}

fn arg_pid() -> Pid {
    match Pid::from_le_slice(&warren::arg()) {
        Some(pid) => pid,
        None => warren::exit(Reason::Custom(
            b"sdk-links: the argument must start with a pid".to_vec(),
        )),
    }
}

/// The next message with one of `tags`, or a failure after `WAIT`.
fn expect(tags: &[i64], what: &str) -> Result<Message, String> {
    warren::receive_matching(tags, Some(WAIT)).ok_or_else(|| format!("no {what} within {WAIT} ms"))
}

/// Waits for the DOWN of monitor `reference`; other DOWNs met on the way are
/// a failure (no check leaves one behind).
fn expect_down(reference: MonitorRef) -> Result<Down, String> {
    let msg = expect(&[TAG_DOWN], "DOWN")?;
    let down = msg
        .as_down()
        .ok_or_else(|| format!("malformed DOWN {msg:?}"))?;
    ensure(down.monitor == reference, || {
        format!("DOWN for {:?}, expected {reference:?}", down.monitor)
    })?;
    ensure(msg.sender == down.pid, || {
        format!("DOWN sent by {}, not by {}", msg.sender, down.pid)
    })?;
    Ok(down)
}

/// Neither a DOWN nor an EXIT is queued.
fn nothing_queued() -> Check {
    match warren::receive_matching(&[TAG_DOWN, TAG_EXIT], Some(0)) {
        Some(msg) => Err(format!("unexpected {msg:?}")),
        None => Ok(()),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn main() {
    let reporter = arg_pid();
    let checks: [NamedCheck; 19] = [
        ("trap_exit_returns_the_previous_setting", trap_exit_flag),
        (
            "spawn_link_child_crash_is_an_exit_message",
            spawn_link_crash,
        ),
        ("spawn_monitor_child_exit_is_a_down", spawn_monitor_custom),
        ("monitor_of_a_dead_pid_is_down_noproc", monitor_dead),
        ("demonitor_flush_removes_a_queued_down", demonitor_flush),
        (
            "demonitor_of_an_active_monitor_stops_its_down",
            demonitor_active,
        ),
        ("link_to_a_dead_pid_is_an_exit_noproc", link_dead),
        ("unlink_then_crash_sends_nothing", unlink_then_crash),
        (
            "exit_normal_does_not_kill_a_non_trapping_process",
            exit_normal_ignored,
        ),
        (
            "exit_custom_to_a_trapping_process_is_a_message",
            exit_custom_trapped,
        ),
        ("kill_cannot_be_trapped", kill_untrappable),
        ("names", names),
        ("keyed_registries", registries),
        ("timers", timers),
        ("exit_reason_parts", exit_reason_parts),
        ("spawn_opts_narrows_the_child", spawn_opts_narrows),
        ("call_round_trip_and_deferred_reply", call_round_trip),
        ("call_to_a_dead_pid_or_unknown_name_is_noproc", call_noproc),
        ("call_gives_the_callees_exit_reason_and_drops_late_replies", call_exit_and_timeout),
    ];
    for (name, check) in checks {
        let text = match check() {
            Ok(()) => format!("{name} ok"),
            Err(why) => format!("{name} FAIL: {why}"),
        };
        let _ = reporter.send(TAG_CHECK, text.as_bytes());
    }
    let _ = reporter.send(TAG_DONE, &(checks.len() as u32).to_le_bytes());
}

fn trap_exit_flag() -> Check {
    let first = warren::trap_exit(true);
    let second = warren::trap_exit(true);
    ensure(!first && second, || {
        format!("trap_exit returned {first} then {second}, expected false then true")
    })
}

fn spawn_link_crash() -> Check {
    let child = warren::spawn_link("crash", &[]).map_err(|e| format!("spawn_link: {e}"))?;
    let msg = expect(&[TAG_EXIT], "EXIT")?;
    let exit = msg
        .as_exit()
        .ok_or_else(|| format!("malformed EXIT {msg:?}"))?;
    ensure(exit.from == child && msg.sender == child, || {
        format!("EXIT from {} (sender {})", exit.from, msg.sender)
    })?;
    match &exit.reason {
        ExitReason::Trap(text) if text.contains("unreachable") => Ok(()),
        other => Err(format!(
            "reason {other:?}, expected a trap with `unreachable`"
        )),
    }
}

fn spawn_monitor_custom() -> Check {
    let (child, reference) =
        warren::spawn_monitor("exit_custom", &[]).map_err(|e| format!("spawn_monitor: {e}"))?;
    let down = expect_down(reference)?;
    ensure(down.pid == child, || {
        format!("DOWN for {}, expected {child}", down.pid)
    })?;
    ensure(down.reason == ExitReason::Custom(b"boom".to_vec()), || {
        format!("reason {:?}", down.reason)
    })
}

fn call_round_trip() -> Check {
    let server = warren::spawn("server", &[]).map_err(|e| format!("spawn: {e}"))?;
    let reply = warren::call(server, b"rev:abc", Some(WAIT)).map_err(|e| format!("call: {e}"))?;
    ensure(reply == b"cba", || format!("reply {reply:?}"))?;
    let reply = warren::call(server, b"later:", Some(WAIT)).map_err(|e| format!("deferred call: {e}"))?;
    ensure(reply == b"from replier", || format!("deferred reply {reply:?}"))?;
    let _ = server.send(0, &[]);
    Ok(())
}

fn call_noproc() -> Check {
    let dead = dead_pid()?;
    let got = warren::call(dead, b"rev:x", Some(WAIT));
    ensure(got == Err(CallError::NoProc), || format!("call to a dead pid: {got:?}"))?;
    let got = warren::call_named("sdk-links-nobody", b"rev:x", Some(WAIT));
    ensure(got == Err(CallError::NoProc), || format!("call to an unknown name: {got:?}"))?;
    let got = warren::call(warren::self_pid(), b"", Some(WAIT));
    ensure(got == Err(CallError::Refused(Error::BadArg)), || format!("call to oneself: {got:?}"))
}

fn call_exit_and_timeout() -> Check {
    let server = warren::spawn("server", &[]).map_err(|e| format!("spawn: {e}"))?;
    let got = warren::call(server, b"slow:", Some(20));
    ensure(got == Err(CallError::Timeout), || format!("slow call: {got:?}"))?;
    // The server replies at 200 ms: the reply must not reach the mailbox.
    warren::sleep(400);
    let queued = warren::poll();
    ensure(queued.is_none(), || format!("a late reply was queued: {queued:?}"))?;
    let got = warren::call(server, b"die:", Some(WAIT));
    ensure(got == Err(CallError::Exited(ExitReason::Custom(b"boom".to_vec()))), || {
        format!("call to a server that dies: {got:?}")
    })?;
    let queued = warren::poll();
    ensure(queued.is_none(), || format!("the call left a message: {queued:?}"))
}

/// A pid that was alive once and is dead now.
fn dead_pid() -> Result<Pid, String> {
    let (pid, reference) =
        warren::spawn_monitor("quick", &[]).map_err(|e| format!("spawn_monitor: {e}"))?;
    expect_down(reference)?;
    Ok(pid)
}

fn monitor_dead() -> Check {
    let dead = dead_pid()?;
    let reference = dead.monitor().map_err(|e| format!("monitor: {e}"))?;
    // Queued at once: a poll finds it.
    let msg = warren::receive_matching(&[TAG_DOWN], Some(0)).ok_or("no DOWN queued at once")?;
    let down = msg.as_down().ok_or("malformed DOWN")?;
    ensure(
        down == Down {
            monitor: reference,
            pid: dead,
            reason: ExitReason::Noproc,
        },
        || format!("{down:?}"),
    )
}

fn demonitor_flush() -> Check {
    let dead = dead_pid()?;
    let reference = warren::monitor(dead).map_err(|e| format!("monitor: {e}"))?;
    ensure(!reference.demonitor(true), || {
        "demonitor says a fired monitor was active".into()
    })?;
    nothing_queued()
}

fn demonitor_active() -> Check {
    let waiter = warren::spawn("waiter", &[]).map_err(|e| format!("spawn: {e}"))?;
    let first = warren::monitor(waiter).map_err(|e| format!("monitor: {e}"))?;
    let second = warren::monitor(waiter).map_err(|e| format!("monitor: {e}"))?;
    ensure(first != second, || "two monitors share a reference".into())?;
    ensure(warren::demonitor(first, false), || {
        "demonitor of an active monitor returned false".into()
    })?;
    waiter
        .exit(Signal::Kill)
        .map_err(|e| format!("exit: {e}"))?;
    let down = expect_down(second)?;
    ensure(down.reason == ExitReason::Killed, || {
        format!("reason {:?}, expected killed", down.reason)
    })?;
    nothing_queued()
}

fn link_dead() -> Check {
    let dead = dead_pid()?;
    dead.link().map_err(|e| format!("link: {e}"))?;
    let msg = expect(&[TAG_EXIT], "EXIT")?;
    let exit = msg.as_exit().ok_or("malformed EXIT")?;
    ensure(
        exit.from == dead && exit.reason == ExitReason::Noproc,
        || format!("{exit:?}"),
    )
}

fn unlink_then_crash() -> Check {
    let waiter = warren::spawn_link("waiter", &[]).map_err(|e| format!("spawn_link: {e}"))?;
    waiter.unlink().map_err(|e| format!("unlink: {e}"))?;
    let reference = waiter.monitor().map_err(|e| format!("monitor: {e}"))?;
    waiter
        .exit(Signal::Custom(b"crash".to_vec()))
        .map_err(|e| format!("exit: {e}"))?;
    let down = expect_down(reference)?;
    ensure(down.reason == ExitReason::Custom(b"crash".to_vec()), || {
        format!("reason {:?}", down.reason)
    })?;
    nothing_queued()
}

fn exit_normal_ignored() -> Check {
    let waiter = warren::spawn("waiter", &[]).map_err(|e| format!("spawn: {e}"))?;
    let reference = waiter.monitor().map_err(|e| format!("monitor: {e}"))?;
    waiter
        .exit(Reason::Normal)
        .map_err(|e| format!("exit: {e}"))?;
    waiter
        .send(1, b"still there?")
        .map_err(|e| format!("send: {e}"))?;
    let reply = expect(&[2], "reply from the waiter")?;
    ensure(
        reply.sender == waiter && reply.data == b"still there?",
        || format!("{reply:?}"),
    )?;
    let down = expect_down(reference)?;
    ensure(down.reason == ExitReason::Normal, || {
        format!("reason {:?}", down.reason)
    })
}

fn exit_custom_trapped() -> Check {
    let me = warren::self_pid();
    let (trapper, reference) = warren::spawn_monitor("trapper", &me.to_le_bytes())
        .map_err(|e| format!("spawn_monitor: {e}"))?;
    expect(&[3], "the trapper's ack")?;
    trapper
        .exit(Signal::Custom(b"please".to_vec()))
        .map_err(|e| format!("exit: {e}"))?;
    let forwarded = expect(&[7], "the forwarded EXIT")?;
    let exit = Message {
        sender: me,
        tag: TAG_EXIT,
        data: forwarded.data,
    }
    .as_exit()
    .ok_or("malformed EXIT")?;
    ensure(
        exit.from == me && exit.reason == ExitReason::Custom(b"please".to_vec()),
        || format!("{exit:?}"),
    )?;
    trapper
        .exit(Signal::Kill)
        .map_err(|e| format!("exit: {e}"))?;
    expect_down(reference).map(drop)
}

fn kill_untrappable() -> Check {
    let me = warren::self_pid();
    let (trapper, reference) = warren::spawn_monitor("trapper", &me.to_le_bytes())
        .map_err(|e| format!("spawn_monitor: {e}"))?;
    expect(&[3], "the trapper's ack")?;
    warren::exit_signal(trapper, Signal::Kill).map_err(|e| format!("exit_signal: {e}"))?;
    let down = expect_down(reference)?;
    ensure(down.reason == ExitReason::Killed, || {
        format!("reason {:?}, expected killed", down.reason)
    })?;
    ensure(warren::receive_matching(&[7], Some(0)).is_none(), || {
        "the trapper got kill as a message".into()
    })
}

fn names() -> Check {
    let me = warren::self_pid();
    let name = "sdk-links-main";
    warren::register(name, me).map_err(|e| format!("register: {e}"))?;
    ensure(warren::whereis(name) == Some(me), || {
        "whereis does not find the name".into()
    })?;
    let again = warren::register("sdk-links-other", me);
    ensure(again == Err(NameError::AlreadyNamed), || {
        format!("second name: {again:?}")
    })?;
    let waiter = warren::spawn("waiter", &[]).map_err(|e| format!("spawn: {e}"))?;
    let taken = warren::register(name, waiter);
    ensure(taken == Err(NameError::Taken), || {
        format!("taken name: {taken:?}")
    })?;
    let empty = warren::register("", waiter);
    ensure(empty == Err(NameError::Other(Error::BadArg)), || {
        format!("empty name: {empty:?}")
    })?;
    let registered = warren::registered();
    ensure(registered.iter().any(|n| n == name), || {
        format!("registered() = {registered:?}")
    })?;
    warren::send_named(name, 9, b"by name").map_err(|e| format!("send_named: {e}"))?;
    let msg = expect(&[9], "the message sent by name")?;
    ensure(msg.sender == me && msg.data == b"by name", || {
        format!("{msg:?}")
    })?;
    warren::unregister(name).map_err(|e| format!("unregister: {e}"))?;
    ensure(
        warren::unregister(name) == Err(NameError::NoSuchName),
        || "unregistered twice".into(),
    )?;
    ensure(warren::whereis(name).is_none(), || {
        "whereis finds an unregistered name".into()
    })?;
    let unknown = warren::send_named(name, 9, b"lost");
    ensure(unknown == Err(NameError::NoSuchName), || {
        format!("send to an unknown name: {unknown:?}")
    })?;
    // A name dies with its process.
    warren::register("sdk-links-waiter", waiter)
        .map_err(|e| format!("register the waiter: {e}"))?;
    let reference = waiter.monitor().map_err(|e| format!("monitor: {e}"))?;
    waiter
        .exit(Signal::Kill)
        .map_err(|e| format!("exit: {e}"))?;
    expect_down(reference)?;
    ensure(warren::whereis("sdk-links-waiter").is_none(), || {
        "the name outlived its process".into()
    })?;
    warren::register("sdk-links-waiter", me).map_err(|e| format!("the freed name: {e}"))?;
    warren::unregister("sdk-links-waiter").map_err(|e| format!("unregister: {e}"))
}

fn registries() -> Check {
    let me = warren::self_pid();
    let unique =
        Registry::new("sdk-links-unique", true).map_err(|e| format!("Registry::new: {e}"))?;
    let twice = Registry::new("sdk-links-unique", false);
    ensure(twice == Err(NameError::Taken), || {
        format!("a second registry of the same name: {twice:?}")
    })?;
    unique
        .register(b"k", b"v")
        .map_err(|e| format!("register: {e}"))?;
    let held = unique.register(b"k", b"w");
    ensure(held == Err(NameError::Taken), || {
        format!("a held unique key: {held:?}")
    })?;
    let found = unique.lookup(b"k").map_err(|e| format!("lookup: {e}"))?;
    ensure(found == [(me, b"v".to_vec())], || {
        format!("lookup = {found:?}")
    })?;
    unique
        .unregister(b"k")
        .map_err(|e| format!("unregister: {e}"))?;
    ensure(unique.lookup(b"k") == Ok(Vec::new()), || {
        "an unregistered key is still found".into()
    })?;

    let dup = Registry::new("sdk-links-dup", false).map_err(|e| format!("Registry::new: {e}"))?;
    dup.register(b"topic", b"me")
        .map_err(|e| format!("register: {e}"))?;
    let mut children = Vec::new();
    for index in [1u8, 2] {
        let mut arg = me.to_le_bytes().to_vec();
        arg.push(index);
        let (child, reference) =
            warren::spawn_monitor("reg_child", &arg).map_err(|e| format!("spawn: {e}"))?;
        expect(&[4], "a child's ack")?;
        children.push((child, reference, index));
    }
    let entries = dup.lookup(b"topic").map_err(|e| format!("lookup: {e}"))?;
    let expected = [
        (me, b"me".to_vec()),
        (children[0].0, vec![1]),
        (children[1].0, vec![2]),
    ];
    ensure(entries == expected, || {
        format!("lookup = {entries:?}, expected {expected:?}")
    })?;
    let sent = dup
        .dispatch(b"topic", 5, b"hi")
        .map_err(|e| format!("dispatch: {e}"))?;
    ensure(sent == 3, || format!("dispatch sent {sent}"))?;
    let own = expect(&[5], "the dispatched message")?;
    ensure(own.data == b"hi", || format!("{own:?}"))?;
    let mut heard = Vec::new();
    for _ in 0..2 {
        heard.push(expect(&[6], "a child's report")?.data);
    }
    heard.sort();
    ensure(heard == [b"\x01hi".to_vec(), b"\x02hi".to_vec()], || {
        format!("children heard {heard:?}")
    })?;
    // The children end in any order.
    let mut downs = Vec::new();
    for _ in &children {
        let msg = expect(&[TAG_DOWN], "a child's DOWN")?;
        downs.push(msg.as_down().ok_or("malformed DOWN")?.monitor);
    }
    downs.sort();
    let mut expected_downs: Vec<MonitorRef> = children.iter().map(|c| c.1).collect();
    expected_downs.sort();
    ensure(downs == expected_downs, || {
        format!("DOWNs {downs:?}, expected {expected_downs:?}")
    })?;
    // Entries vanish with their process.
    let left = dup.lookup(b"topic").map_err(|e| format!("lookup: {e}"))?;
    ensure(left == [(me, b"me".to_vec())], || {
        format!("after the children exited: {left:?}")
    })?;
    dup.unregister(b"topic")
        .map_err(|e| format!("unregister: {e}"))?;
    let none = Registry::named("sdk-links-none").lookup(b"topic");
    ensure(none == Err(NameError::NoSuchName), || {
        format!("lookup in no registry: {none:?}")
    })
}

fn timers() -> Check {
    let me = warren::self_pid();
    let late = warren::send_after(me, 10, b"late", 40).map_err(|e| format!("send_after: {e}"))?;
    warren::send_after(me, 11, b"early", 5).map_err(|e| format!("send_after: {e}"))?;
    let first = expect(&[10, 11], "a timer message")?;
    let second = expect(&[10, 11], "a timer message")?;
    ensure(first.tag == 11 && second.tag == 10, || {
        format!("fired {} then {}", first.tag, second.tag)
    })?;
    ensure(first.sender == me && second.data == b"late", || {
        format!("{first:?} / {second:?}")
    })?;
    ensure(warren::read_timer(late).is_none(), || {
        "a fired timer reads as pending".into()
    })?;
    ensure(warren::cancel_timer(late).is_none(), || {
        "a fired timer was cancelled".into()
    })?;

    let pending =
        warren::send_after(me, 12, b"never", 60_000).map_err(|e| format!("send_after: {e}"))?;
    let left = warren::read_timer(pending).ok_or("a pending timer does not read")?;
    ensure((1..=60_000).contains(&left), || {
        format!("read_timer = {left}")
    })?;
    let left = warren::cancel_timer(pending).ok_or("a pending timer did not cancel")?;
    ensure((1..=60_000).contains(&left), || {
        format!("cancel_timer = {left}")
    })?;
    ensure(warren::cancel_timer(pending).is_none(), || {
        "cancelled twice".into()
    })?;
    ensure(warren::read_timer(pending).is_none(), || {
        "a cancelled timer reads as pending".into()
    })?;

    warren::register("sdk-links-timers", me).map_err(|e| format!("register: {e}"))?;
    warren::send_after_named("sdk-links-timers", 13, b"by name", 1)
        .map_err(|e| format!("send_after_named: {e}"))?;
    let named = expect(&[13], "the named timer's message")?;
    warren::unregister("sdk-links-timers").map_err(|e| format!("unregister: {e}"))?;
    ensure(named.data == b"by name", || format!("{named:?}"))?;

    let dead = dead_pid()?;
    let to_dead =
        warren::send_after(dead, 14, b"", 60_000).map_err(|e| format!("send_after: {e}"))?;
    ensure(warren::read_timer(to_dead).is_none(), || {
        "a timer to a dead pid is pending".into()
    })?;
    let bad = warren::send_after(me, -1, b"", 1);
    ensure(bad == Err(Error::BadArg), || {
        format!("a negative tag: {bad:?}")
    })?;
    warren::sleep(2);
    Ok(())
}

fn exit_reason_parts() -> Check {
    let reasons = [
        ExitReason::Normal,
        ExitReason::Shutdown(b"bye".to_vec()),
        ExitReason::Custom(b"boom".to_vec()),
        ExitReason::Kill,
        ExitReason::Killed,
        ExitReason::Noproc,
        ExitReason::Trap("unreachable".into()),
        ExitReason::Limit("memory".into()),
        ExitReason::Unknown(42, b"?".to_vec()),
    ];
    for reason in reasons {
        let back = ExitReason::from_parts(reason.kind(), reason.detail());
        ensure(back == reason, || {
            format!("{reason:?} read back as {back:?}")
        })?;
    }
    Ok(())
}

fn spawn_opts_narrows() -> Check {
    // No right to spawn: the child's own spawn is refused.
    let options = SpawnOptions::new().deny_spawn();
    let (_, reference) = warren::spawn_opts("", "no_spawn", &[], &options, false, true)
        .map_err(|e| format!("spawn_opts: {e}"))?;
    let down = expect_down(reference.ok_or("no monitor reference")?)?;
    ensure(down.reason == ExitReason::Custom(b"not permitted".to_vec()), || {
        format!("deny_spawn: the child exited {:?}", down.reason)
    })?;
    // A memory limit below what the child allocates ends it with a limit.
    let options = SpawnOptions::new().max_memory(2 << 20);
    let (_, reference) = warren::spawn_opts("", "hog", &[], &options, false, true)
        .map_err(|e| format!("spawn_opts: {e}"))?;
    let down = expect_down(reference.ok_or("no monitor reference")?)?;
    ensure(
        matches!(&down.reason, ExitReason::Limit(text) if text.contains("memory")),
        || format!("max_memory: the child exited {:?}", down.reason),
    )?;
    // A directory this process does not have is a bad argument, and no
    // child is made.
    let options = SpawnOptions::new().dir("/nowhere", true);
    match warren::spawn_opts("", "quick", &[], &options, false, true) {
        Err(Error::BadArg) => Ok(()),
        other => Err(format!("an unknown directory gave {other:?}")),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn no_spawn() {
    let detail: &[u8] = match warren::spawn("quick", &[]) {
        Err(Error::NotPermitted) => b"not permitted",
        _ => b"spawned",
    };
    warren::exit(Reason::Custom(detail.to_vec()));
}

#[unsafe(no_mangle)]
pub extern "C" fn hog() {
    let big = vec![1u8; 4 << 20];
    core::hint::black_box(&big);
}

#[unsafe(no_mangle)]
pub extern "C" fn crash() {
    panic!("sdk-links: crash requested");
}

#[unsafe(no_mangle)]
pub extern "C" fn exit_custom() {
    warren::exit(Reason::Custom(b"boom".to_vec()));
}

#[unsafe(no_mangle)]
pub extern "C" fn quick() {}

#[unsafe(no_mangle)]
pub extern "C" fn server() {
    loop {
        let msg = warren::receive();
        let Some(request) = msg.as_call() else { return };
        let body = &request.body;
        if let Some(bytes) = body.strip_prefix(b"rev:") {
            let mut reversed = bytes.to_vec();
            reversed.reverse();
            let _ = request.reply_to.reply(&reversed);
        } else if body.starts_with(b"later:") {
            let _ = warren::spawn("replier", &request.reply_to.to_le_bytes());
        } else if body.starts_with(b"slow:") {
            warren::sleep(200);
            let _ = request.reply_to.reply(b"too late");
        } else if body.starts_with(b"die:") {
            warren::exit(Reason::Custom(b"boom".to_vec()));
        }
    }
}

/// Replies `from replier` to the call whose handle is its argument.
#[unsafe(no_mangle)]
pub extern "C" fn replier() {
    if let Some(reply_to) = ReplyTo::from_le_slice(&warren::arg()) {
        let _ = reply_to.reply(b"from replier");
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn waiter() {
    let msg = warren::receive();
    let _ = msg.reply(2, &msg.data);
}

#[unsafe(no_mangle)]
pub extern "C" fn trapper() {
    let parent = arg_pid();
    warren::trap_exit(true);
    let _ = parent.send(3, &[]);
    loop {
        let msg = warren::receive();
        if msg.as_exit().is_some() {
            let _ = parent.send(7, &msg.data);
        }
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn reg_child() {
    let arg = warren::arg();
    let parent = arg_pid();
    let index = arg.get(8).copied().unwrap_or(0);
    if let Err(e) = Registry::named("sdk-links-dup").register(b"topic", &[index]) {
        warren::exit(Reason::Custom(format!("reg_child: {e}").into_bytes()));
    }
    let _ = parent.send(4, &[]);
    let msg = warren::receive_matching(&[5], None).unwrap_or_else(warren::receive);
    let mut report = vec![index];
    report.extend_from_slice(&msg.data);
    let _ = parent.send(6, &report);
}
