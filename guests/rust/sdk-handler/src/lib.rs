//! `sdk-handler`: handler-style processes.
//!
//! * `main` (entry): `set_handler("handle")` and returns.
//! * `handle` (handler): replies to the sender of each message with the same
//!   tag and payload (host messages, with negative tags, get no reply); after
//!   replying to tag 99 it returns 1, ending the process normally; after
//!   tag 4 it hibernates (`Control::Hibernate`); otherwise returns 0.
//! * `counter_main` (entry): `set_handler("counter_handle")` and returns.
//! * `counter_handle` (handler): a counter starting at 0, kept in a static
//!   (each process has its own instance, so its own counter). Tag 1: adds 1.
//!   Tag 2: replies to the sender with tag 2 and the count as u64 LE.
//!   Tag 3: asks to hibernate after this call (`warren::hibernate`) and
//!   replies with tag 3 and the result (0, or the error code as i64 LE).
//!   Tag 99: ends the process normally (no reply). Other tags: ignored.
//!
//! If `set_handler` fails the entry exits with `REASON_CUSTOM` and a detail
//! naming the error.

use core::sync::atomic::{AtomicU64, Ordering};
use warren::{Control, Message, Reason};

const TAG_STOP: i64 = 99;
const TAG_INCREMENT: i64 = 1;
const TAG_GET: i64 = 2;
const TAG_HIBERNATE: i64 = 3;
const TAG_ECHO_AND_HIBERNATE: i64 = 4;

fn become_handler(export: &str) {
    if let Err(e) = warren::set_handler(export) {
        warren::exit(Reason::Custom(
            format!("set_handler({export:?}): {e}").into_bytes(),
        ));
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn main() {
    become_handler("handle");
}

fn echo(msg: Message) -> Control {
    if msg.tag >= 0 {
        let _ = msg.reply(msg.tag, &msg.data);
    }
    match msg.tag {
        TAG_STOP => Control::Stop,
        TAG_ECHO_AND_HIBERNATE => Control::Hibernate,
        _ => Control::Continue,
    }
}

warren::handler!(handle, echo);

static COUNT: AtomicU64 = AtomicU64::new(0);

#[unsafe(no_mangle)]
pub extern "C" fn counter_main() {
    become_handler("counter_handle");
}

warren::handler!(counter_handle, |msg: Message| match msg.tag {
    TAG_INCREMENT => {
        COUNT.fetch_add(1, Ordering::Relaxed);
        Control::Continue
    }
    TAG_GET => {
        let _ = msg.reply(TAG_GET, &COUNT.load(Ordering::Relaxed).to_le_bytes());
        Control::Continue
    }
    TAG_HIBERNATE => {
        let code = warren::hibernate().map_or_else(|e| e.code(), |()| 0);
        let _ = msg.reply(TAG_HIBERNATE, &code.to_le_bytes());
        Control::Continue
    }
    TAG_STOP => Control::Stop,
    _ => Control::Continue,
});
