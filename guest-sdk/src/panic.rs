//! Panics as exit reasons.
//!
//! With feature `std`, [`install_panic_hook`] makes a panic end the process
//! with the panic's message as its exit reason (`REASON_CUSTOM`, the
//! message's UTF-8 bytes as the detail), which its links and monitors see:
//! a linked process gets `Exit { reason: Custom(b"index out of bounds...")
//! }`, not the `unreachable` trap that `panic = "abort"` makes of it. The
//! hook calls the host's `exit`, which never returns, so the abort that
//! follows a panic on wasm32 is never reached.
//!
//! Every process that starts through the SDK installs it:
//! `#[warren::main]` entries, [`crate::spawn_fn`] processes and
//! [`crate::gen_server`] servers. An entry written by hand calls it first.
//!
//! Without feature `std` the SDK cannot install a hook (it is `no_std`):
//! [`install_panic_hook`] does nothing, and a panic ends the process as the
//! guest's panic handler says (with std's, on wasm32, a trap).
//!
//! ```ignore
//! #[unsafe(no_mangle)]
//! pub extern "C" fn main() {
//!     warren::install_panic_hook();
//!     let v: Vec<u32> = Vec::new();
//!     let _ = v[3]; // the process exits with reason "index out of bounds: ..."
//! }
//! ```

/// Makes a panic end the calling process with the panic's message as its
/// exit reason (feature `std`; without it, does nothing). Idempotent; each
/// process (each instance) needs it once, before it may panic.
///
/// ```ignore
/// warren::install_panic_hook();
/// panic!("bad config: {}", 42); // exit reason: Custom(b"bad config: 42")
/// ```
pub fn install_panic_hook() {
    #[cfg(feature = "std")]
    {
        extern crate std;
        use core::sync::atomic::{AtomicBool, Ordering};
        // One hook per instance: each process has its own memory, so its
        // own flag (a hibernated process keeps both, with its memory).
        static INSTALLED: AtomicBool = AtomicBool::new(false);
        if INSTALLED.swap(true, Ordering::Relaxed) {
            return;
        }
        std::panic::set_hook(std::boxed::Box::new(|info| {
            let message = info.payload_as_str().unwrap_or("panic with a non-string payload");
            crate::exit(crate::Reason::Custom(message.as_bytes().to_vec()))
        }));
    }
}
