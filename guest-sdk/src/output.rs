//! Text to the process's standard output and error, through WASI's
//! `fd_write`: std's `println!` writes nowhere on `wasm32-unknown-unknown`,
//! the target guests build for. [`println!`](crate::println) and
//! [`eprintln!`](crate::eprintln) are std's macros for guests; what a
//! process may print is its capability (a process without it prints
//! nothing, and nothing fails).

use core::fmt::{self, Write};

/// Standard output's file descriptor.
const STDOUT: u32 = 1;
/// Standard error's.
const STDERR: u32 = 2;

#[cfg(target_arch = "wasm32")]
mod wasi {
    /// WASI's `ciovec`: a buffer to write.
    #[repr(C)]
    pub(super) struct Ciovec {
        pub(super) buf: *const u8,
        pub(super) len: usize,
    }

    #[link(wasm_import_module = "wasi_snapshot_preview1")]
    unsafe extern "C" {
        pub(super) fn fd_write(fd: u32, iovs: *const Ciovec, iovs_len: u32, written: *mut usize) -> u16;
    }
}

/// Writes all of `bytes` to `fd`; `false` if the host refused (no print
/// capability, or a closed stream).
#[cfg(target_arch = "wasm32")]
fn write_all(fd: u32, mut bytes: &[u8]) -> bool {
    while !bytes.is_empty() {
        let iov = wasi::Ciovec { buf: bytes.as_ptr(), len: bytes.len() };
        let mut written = 0usize;
        // SAFETY: `iov` names `bytes`, live for the call; the host writes
        // the count into `written`, a live local.
        let errno = unsafe { wasi::fd_write(fd, &iov, 1, &mut written) };
        if errno != 0 || written == 0 {
            return false;
        }
        bytes = &bytes[written.min(bytes.len())..];
    }
    true
}

/// Off wasm (the SDK's own tests) there is no process to print for.
#[cfg(not(target_arch = "wasm32"))]
fn write_all(_fd: u32, _bytes: &[u8]) -> bool {
    false
}

/// A standard stream, as a [`fmt::Write`].
struct Stream(u32);

impl Write for Stream {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        if write_all(self.0, text.as_bytes()) { Ok(()) } else { Err(fmt::Error) }
    }
}

/// Writes `bytes` to standard output; `false` if the host refused.
pub fn print_bytes(bytes: &[u8]) -> bool {
    write_all(STDOUT, bytes)
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments<'_>) {
    let _ = Stream(STDOUT).write_fmt(args);
}

#[doc(hidden)]
pub fn _eprint(args: fmt::Arguments<'_>) {
    let _ = Stream(STDERR).write_fmt(args);
}

/// As std's `print!`, to the process's standard output (WASI).
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::output::_print(core::format_args!($($arg)*)) };
}

/// As std's `println!`, to the process's standard output (WASI).
#[macro_export]
macro_rules! println {
    () => { $crate::output::_print(core::format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::_print(core::format_args!("{}\n", core::format_args!($($arg)*))) };
}

/// As std's `eprintln!`, to the process's standard error (WASI).
#[macro_export]
macro_rules! eprintln {
    () => { $crate::output::_eprint(core::format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::_eprint(core::format_args!("{}\n", core::format_args!($($arg)*))) };
}
