//! `minimal`: the smallest useful Rust guest, for density measurements.
//!
//! * `main` (entry): blocks in `receive` forever, dropping every message (it
//!   never copies one, so it never allocates). Never ends by itself.
//! * `idle_main` (entry): `set_handler("idle_handle")` and returns: an idle
//!   handler-style process, holding no stack between messages.
//! * `sleep_main` (entry): as `idle_main`, then hibernates: between messages
//!   the process keeps no instance, only its compacted memory.
//! * `idle_handle` (handler): does nothing and returns 0. Never ends by itself.
//! * `quick` (entry): returns at once, so the process ends normally (for
//!   spawn+exit benchmarks).

use warren::sys;

#[unsafe(no_mangle)]
pub extern "C" fn main() {
    loop {
        // SAFETY: no tags (count 0), so the pointer is never read.
        unsafe { sys::receive(core::ptr::null(), 0, sys::WAIT_FOREVER) };
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn idle_main() {
    if warren::set_handler("idle_handle").is_err() {
        let detail = b"minimal: set_handler(\"idle_handle\") failed";
        // SAFETY: `detail` is a static byte string. (No `Reason` here: it
        // would pull in the allocator.)
        unsafe { sys::exit(sys::REASON_CUSTOM, detail.as_ptr(), detail.len() as i32) };
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn sleep_main() {
    idle_main();
    if warren::hibernate().is_err() {
        let detail = b"minimal: hibernate failed";
        // SAFETY: `detail` is a static byte string.
        unsafe { sys::exit(sys::REASON_CUSTOM, detail.as_ptr(), detail.len() as i32) };
    }
}

#[unsafe(no_mangle)]
pub extern "C" fn idle_handle() -> i32 {
    0
}

#[unsafe(no_mangle)]
pub extern "C" fn quick() {}
