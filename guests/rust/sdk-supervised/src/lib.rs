//! `sdk-supervised`: a worker for supervisor tests, in Rust.
//!
//! `main` (entry): argument = a reporter pid (8 bytes) and a number (i64,
//! 8 bytes). Sends the reporter tag 1 with the number, acknowledges its
//! start (`init_ack`), then serves: tag 2 panics (a trap), tag 3 returns
//! (a normal exit), tag 4 exits with reason `shutdown`; other messages are
//! dropped.

use warren::{Pid, Reason};

#[unsafe(no_mangle)]
pub extern "C" fn main() {
    let arg = warren::arg();
    let Some(reporter) = Pid::from_le_slice(&arg) else {
        warren::exit(Reason::Custom(b"sdk-supervised: no reporter".to_vec()))
    };
    let number = arg.get(8..16).unwrap_or_default();
    let _ = reporter.send(1, number);
    warren::init_ack();
    loop {
        match warren::receive().tag {
            2 => panic!("sdk-supervised: crash requested"),
            3 => return,
            4 => warren::exit(Reason::Shutdown(Vec::new())),
            _ => {}
        }
    }
}
