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
            let notify = ON_PANIC.load(core::sync::atomic::Ordering::Acquire);
            if !notify.is_null() {
                // SAFETY: a non-null `ON_PANIC` was stored by `on_panic`
                // from a `fn(&str)`, cast to a data pointer and back to
                // the same type here.
                let notify = unsafe { core::mem::transmute::<*mut (), fn(&str)>(notify) };
                notify(message);
            }
            crate::exit(crate::Reason::Custom(message.as_bytes().to_vec()))
        }));
    }
}

/// What the panic hook calls with the panic's message before the process
/// exits (null: nothing). Per instance, so per process.
#[cfg_attr(not(feature = "std"), allow(dead_code))]
static ON_PANIC: core::sync::atomic::AtomicPtr<()> = core::sync::atomic::AtomicPtr::new(core::ptr::null_mut());

/// Makes the panic hook call `notify` with the panic's message before the
/// process exits (a task tells its owner why it failed). Only with feature
/// `std`, where there is a hook; without it, does nothing useful.
#[cfg_attr(not(feature = "std"), allow(dead_code))]
pub(crate) fn on_panic(notify: fn(&str)) {
    ON_PANIC.store(notify as *mut (), core::sync::atomic::Ordering::Release);
}
