//! The demo's second part: a supervisor restarts a worker that crashed on
//! a bad message, and the new worker serves. The guest is
//! guests/wat/supervised.wat; this side plays the client and tells what
//! happens, in plain words, as it happens.

use anyhow::{Context, Result, anyhow};
use std::io::Write;
use std::time::Duration;
use warren_host::{
    ChildSpec, ExitReason, Inbox, Message, Node, Pid, REASON_LIMIT, REASON_TRAP, Strategy, SupervisorFlags,
    SupervisorSpec,
};

/// The guest, embedded in the binary (WebAssembly text).
const SUPERVISED: &str = include_str!("../guests/wat/supervised.wat");

/// The worker's registered name (and its child id).
const NAME: &str = "doubler";
/// Tags of supervised.wat's messages.
const TAG_REQUEST: i64 = 1;
const TAG_REPLY: i64 = 2;
const TAG_READY: i64 = 10;
const TAG_WATCHING: i64 = 11;
const TAG_DOWN_FORWARDED: i64 = 12;
/// The supervisor's restart intensity: at most this many restarts...
const INTENSITY: u32 = 3;
/// ... in this many seconds.
const PERIOD_SECS: u64 = 5;
/// How long the host waits for an answer before it calls the demo broken.
const PATIENCE: Duration = Duration::from_secs(10);

/// Runs the second part on `node`.
pub fn run(node: &Node) -> Result<()> {
    say!("Part 2: supervision (guests/wat/supervised.wat). A supervisor is a process that starts");
    say!("its children and starts them again when they exit. Here Warren itself plays the client.");
    say!();
    node.load("supervised", SUPERVISED.as_bytes())?;
    let inbox = node.inbox();
    let worker = ChildSpec::worker(NAME, "supervised", "doubler", &inbox.pid().raw().to_le_bytes());
    let flags =
        SupervisorFlags::default().strategy(Strategy::OneForOne).intensity(INTENSITY, Duration::from_secs(PERIOD_SECS));
    let supervisor = node
        .start_supervisor(&SupervisorSpec::new(flags, vec![worker]))
        .map_err(|error| anyhow!("the demo's supervisor did not start: {error}"))?;
    let sup = supervisor.pid();
    say!(
        "supervisor {sup}: started, strategy one_for_one (when a child exits, restart that child only), \
         at most {INTENSITY} restarts in {PERIOD_SECS} s (one more and it gives up)"
    );
    let first = expect(&inbox, TAG_READY, "the worker's hello")?.sender;
    say!("supervisor {sup}: started its child \"{NAME}\" as worker {first} (permanent: restarted whatever ends it)");
    say!("worker {first}: registered itself under the name \"{NAME}\" and waits for requests");

    // A watcher monitors the worker, to tell us why it ends.
    let watcher_arg: Vec<u8> = [inbox.pid().raw().to_le_bytes(), first.raw().to_le_bytes()].concat();
    node.spawn(&node.module("supervised").context("the demo's module")?, "watcher", &watcher_arg)?;
    expect(&inbox, TAG_WATCHING, "the watcher's hello")?;

    let (served_by, answer) = ask(node, &inbox, 21)?;
    say!("client: asked \"{NAME}\" to double 21; worker {served_by} answered {answer}");

    say!(
        "client: now sends \"{NAME}\" a bad message, a request without a number. The worker does not \
         guard against it: it executes `unreachable` and crashes (Erlang's \"let it crash\")"
    );
    inbox.send(first, TAG_REQUEST, b"");
    // The watcher's report and the new worker's hello come in either order.
    let (mut down, mut second) = (None, None);
    for _ in 0..2 {
        let message = recv(&inbox, "the crash report and the new worker's hello")?;
        match message.tag {
            TAG_DOWN_FORWARDED => down = Some(message.data),
            TAG_READY => second = Some(message.sender),
            _ => return Err(anyhow!("the demo got an unexpected message {message:?}")),
        }
    }
    let (Some(down), Some(second)) = (down, second) else {
        return Err(anyhow!("the demo expected a crash report and the new worker's hello"));
    };
    say!("worker {first}: crashed: {}", down_reason(&down));
    // What the supervisor itself says of its child (OTP's which_children).
    let children = node.which_children(sup).map_err(|error| anyhow!("which_children: {error}"))?;
    let child = children.iter().find(|child| child.id == NAME).context("the supervisor lost its child")?;
    if child.pid != Some(second) {
        return Err(anyhow!("the supervisor's child is {:?}, not the worker that said hello", child.pid));
    }
    say!(
        "supervisor {sup}: its child \"{NAME}\" exited, so it started it again, as worker {second} \
         (restart {} of at most {INTENSITY} in {PERIOD_SECS} s); the other children, had there been any, \
         were left alone (one_for_one)",
        child.restarts
    );
    say!("worker {second}: registered itself under the name \"{NAME}\": the name now leads to the new worker");

    let (served_by, answer) = ask(node, &inbox, 21)?;
    say!("client: asked \"{NAME}\" to double 21 again; worker {served_by} answered {answer}: the service is back");

    say!("client: stops the supervisor with the exit signal `shutdown`: it stops its child first, then itself");
    node.exit(sup, ExitReason::Shutdown(Vec::new()));
    let reason = supervisor.wait_timeout(PATIENCE).ok_or_else(|| anyhow!("the demo's supervisor did not stop"))?;
    say!("supervisor {sup}: exited: {reason}");
    let _ = std::io::stdout().flush();
    Ok(())
}

/// Asks whoever is registered as the worker to double `x`: who answered,
/// and the answer.
fn ask(node: &Node, inbox: &Inbox, x: u32) -> Result<(Pid, u32)> {
    let worker = node.whereis(NAME).ok_or_else(|| anyhow!("nobody is registered as \"{NAME}\""))?;
    inbox.send(worker, TAG_REQUEST, &x.to_le_bytes());
    let reply = expect(inbox, TAG_REPLY, "the worker's answer")?;
    let bytes: [u8; 4] = reply.data.get(..4).and_then(|b| b.try_into().ok()).context("a short answer")?;
    Ok((reply.sender, u32::from_le_bytes(bytes)))
}

/// The next message, which must have `tag`.
fn expect(inbox: &Inbox, tag: i64, what: &str) -> Result<Message> {
    let message = recv(inbox, what)?;
    if message.tag == tag { Ok(message) } else { Err(anyhow!("the demo expected {what}, got {message:?}")) }
}

fn recv(inbox: &Inbox, what: &str) -> Result<Message> {
    inbox.recv_timeout(PATIENCE).ok_or_else(|| anyhow!("the demo waited in vain for {what}"))
}

/// The reason a forwarded DOWN payload carries (`[ref][pid][kind][detail]`),
/// its first line: a trap's text is followed by the wasm backtrace.
fn down_reason(payload: &[u8]) -> String {
    let kind = payload.get(16..20).and_then(|b| b.try_into().ok()).map_or(-1, i32::from_le_bytes);
    let detail = String::from_utf8_lossy(payload.get(20..).unwrap_or_default());
    let first_line = detail.lines().next().unwrap_or_default();
    match kind {
        REASON_TRAP => format!("trap: {first_line}"),
        REASON_LIMIT => format!("limit: {first_line}"),
        kind => format!("exit reason of kind {kind} {first_line}"),
    }
}
