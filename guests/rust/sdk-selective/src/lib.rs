//! `sdk-selective`: selective receive, timeouts and polling.
//!
//! `main` (entry): argument = the reporter pid (8 bytes LE).
//! 1. Sends itself 6 messages with tags 1, 2, 3, 1, 2, 3 (payload: the index
//!    0..6 as one byte).
//! 2. Receives twice with `receive_matching(&[3], ..)`, then 4 times any tag.
//! 3. Sends the reporter tag 7 whose payload is the tags in the order
//!    received, one byte each: `[3, 3, 1, 2, 1, 2]` when right.
//! 4. Checks `receive_timeout(10)` and then `poll()` both return `None`, and
//!    sends the reporter tag 8 with `timeout ok` (or a text starting
//!    `timeout FAIL`). Returns.

use warren::{Pid, Reason};

const TAG_ORDER: i64 = 7;
const TAG_TIMEOUT: i64 = 8;
/// Safety net so a broken host fails the test instead of hanging it: the
/// messages are already queued, so no receive below should ever wait.
const WAIT_MS: u64 = 5_000;

#[unsafe(no_mangle)]
pub extern "C" fn main() {
    let Some(reporter) = Pid::from_le_slice(&warren::arg()) else {
        warren::exit(Reason::Custom(
            b"sdk-selective: the argument must start with the reporter pid".to_vec(),
        ));
    };
    let me = warren::self_pid();
    for (i, tag) in [1i64, 2, 3, 1, 2, 3].into_iter().enumerate() {
        let _ = me.send(tag, &[i as u8]);
    }

    let mut order = Vec::new();
    for _ in 0..2 {
        if let Some(msg) = warren::receive_matching(&[3], Some(WAIT_MS)) {
            order.push(msg.tag as u8);
        }
    }
    for _ in 0..4 {
        if let Some(msg) = warren::receive_timeout(WAIT_MS) {
            order.push(msg.tag as u8);
        }
    }
    let _ = reporter.send(TAG_ORDER, &order);

    let verdict: &[u8] = if warren::receive_timeout(10).is_some() {
        b"timeout FAIL: receive_timeout(10) returned a message"
    } else if warren::poll().is_some() {
        b"timeout FAIL: poll() returned a message"
    } else {
        b"timeout ok"
    };
    let _ = reporter.send(TAG_TIMEOUT, verdict);
}
