//! `sdk-pingpong`: 100 messages to a child and back, in order.
//!
//! * `main` (entry): argument = the reporter pid (8 bytes LE). Spawns `pong`
//!   with its own pid as argument, sends it 100 messages tag 1 whose payloads
//!   are the counters 0..100 as u32 LE, then waits for the 100 echoes (tag 2)
//!   and checks they come from the child, in order, with the same payloads.
//!   Then tells the child to stop (tag 99) and sends the reporter tag 7 with
//!   `pingpong ok 100`, or tag 7 with a text starting `pingpong FAIL` on any
//!   failure, and returns.
//! * `pong` (entry): argument = the pid to echo to (8 bytes LE). Echoes every
//!   tag 1 message to that pid with tag 2 and the same payload; returns on
//!   tag 99; ignores other tags.

use warren::{Pid, Reason};

const N: u32 = 100;
const TAG_PING: i64 = 1;
const TAG_PONG: i64 = 2;
const TAG_REPORT: i64 = 7;
const TAG_STOP: i64 = 99;
/// How long `main` waits for each echo before it reports a failure.
const ECHO_TIMEOUT_MS: u64 = 10_000;

/// The pid in the first 8 bytes of the spawn argument, or exit.
fn arg_pid(who: &str) -> Pid {
    match Pid::from_le_slice(&warren::arg()) {
        Some(pid) => pid,
        None => warren::exit(Reason::Custom(
            format!("{who}: the argument must start with a pid (8 bytes LE)").into_bytes(),
        )),
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn main() {
    let reporter = arg_pid("sdk-pingpong main");
    let report = match warren::spawn("pong", &warren::self_pid().to_le_bytes()) {
        Ok(child) => {
            let result = ping(child);
            let _ = child.send(TAG_STOP, &[]);
            result
        }
        Err(e) => Err(format!("pingpong FAIL: spawn pong: {e}")),
    };
    let text = match report {
        Ok(()) => format!("pingpong ok {N}"),
        Err(text) => text,
    };
    let _ = reporter.send(TAG_REPORT, text.as_bytes());
}

fn ping(child: Pid) -> Result<(), String> {
    for i in 0..N {
        child
            .send(TAG_PING, &i.to_le_bytes())
            .map_err(|e| format!("pingpong FAIL: send {i}: {e}"))?;
    }
    for i in 0..N {
        let msg = warren::receive_matching(&[TAG_PONG], Some(ECHO_TIMEOUT_MS))
            .ok_or_else(|| format!("pingpong FAIL: no echo {i} within {ECHO_TIMEOUT_MS} ms"))?;
        if msg.sender != child || msg.data != i.to_le_bytes() {
            return Err(format!(
                "pingpong FAIL: echo {i}: got {:?} from {} (child {child})",
                msg.data, msg.sender
            ));
        }
    }
    Ok(())
}

#[unsafe(no_mangle)]
pub extern "C" fn pong() {
    let parent = arg_pid("sdk-pingpong pong");
    loop {
        let msg = warren::receive();
        match msg.tag {
            TAG_PING => {
                let _ = parent.send(TAG_PONG, &msg.data);
            }
            TAG_STOP => return,
            _ => {}
        }
    }
}
