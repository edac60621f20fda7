//! `sdk-exit`: the ways a process ends.
//!
//! `main` (entry): argument = 8 bytes (a reporter pid, unused) followed by a
//! mode; sends no message.
//! * `custom`: `exit(Reason::Custom(b"boom"))` (REASON_CUSTOM, detail `boom`)
//! * `shutdown`: `exit(Reason::Shutdown(b"bye"))` (REASON_SHUTDOWN, detail `bye`)
//! * `panic`: panics; with `panic = "abort"` on wasm32-unknown-unknown that is
//!   an `unreachable` trap (REASON_TRAP)
//! * `exit-normal`: `exit(Reason::Normal)` (REASON_NORMAL, empty detail)
//! * anything else (including no mode): returns (REASON_NORMAL)

use warren::Reason;

#[unsafe(no_mangle)]
pub extern "C" fn main() {
    let arg = warren::arg();
    let mode = arg.get(8..).unwrap_or_default();
    match mode {
        b"custom" => warren::exit(Reason::Custom(b"boom".to_vec())),
        b"shutdown" => warren::exit(Reason::Shutdown(b"bye".to_vec())),
        b"exit-normal" => warren::exit(Reason::Normal),
        b"panic" => panic!("sdk-exit: panic requested"),
        _ => {}
    }
}
