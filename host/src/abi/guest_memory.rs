//! Checked access to a guest's linear memory. Every pointer and length a
//! guest passes goes through here; a bad one becomes a trap of that process
//! whose text names the function and the range, never a host panic.

use crate::base::codes::MODULE;
use crate::process::memory::KnownMemory;
use crate::process::state::ProcessState;
use std::fmt;
use std::num::NonZeroUsize;
use wasmtime::{Caller, Extern, Memory};

/// A guest passed something the host cannot accept; the process traps with
/// this text.
#[derive(Debug)]
pub(crate) struct GuestError(pub(crate) String);

impl fmt::Display for GuestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GuestError {}

/// Builds the trap for a guest fault in host function `func`.
pub(crate) fn fault(func: &str, message: impl fmt::Display) -> wasmtime::Error {
    wasmtime::Error::new(GuestError(format!("{MODULE}.{func}: {message}")))
}

/// The guest's exported `memory`, found once and remembered.
fn find_memory(caller: &mut Caller<'_, ProcessState>) -> Option<Memory> {
    if let Some(memory) = caller.data().memory.handle() {
        return Some(memory);
    }
    match caller.get_export("memory") {
        Some(Extern::Memory(memory)) => {
            caller.data_mut().memory = KnownMemory::found(memory);
            Some(memory)
        }
        _ => None,
    }
}

/// The trap text of a guest without exported memory.
const NO_MEMORY: &str = "the module exports no linear memory named `memory`";

/// The guest's exported `memory`; a trap if there is none.
fn memory(caller: &mut Caller<'_, ProcessState>, func: &str) -> wasmtime::Result<Memory> {
    find_memory(caller).ok_or_else(|| no_memory(func))
}

#[cold]
#[inline(never)]
fn no_memory(func: &str) -> wasmtime::Error {
    fault(func, NO_MEMORY)
}

/// Guest memory and the process state borrowed together, for host functions
/// that read and write several guest ranges while using the state.
pub(crate) struct Guest<'a> {
    pub(crate) mem: &'a mut [u8],
    has_memory: bool,
    pub(crate) state: &'a mut ProcessState,
}

/// The [`Guest`] view of the calling process.
#[inline]
pub(crate) fn guest<'a>(caller: &'a mut Caller<'_, ProcessState>) -> Guest<'a> {
    if let Some((base, len)) = caller.data().memory.known_bytes() {
        // SAFETY: `bytes` were taken from this store's memory (a
        // `KnownMemory` stays with its store) and it has not grown since
        // (growth forgets them), so they are its live bytes; the store owns
        // the memory for longer than this host call. They lie outside the
        // state, and nothing else reads or writes them meanwhile: the guest
        // is suspended in this call, and `Guest` borrows the caller whole.
        let mem = unsafe { std::slice::from_raw_parts_mut(base.get() as *mut u8, len) };
        return Guest { mem, has_memory: true, state: caller.data_mut() };
    }
    guest_first_look(caller)
}

/// [`guest`] when the bytes are not known: looks them up and remembers them.
#[inline(never)]
fn guest_first_look<'a>(caller: &'a mut Caller<'_, ProcessState>) -> Guest<'a> {
    match find_memory(caller) {
        Some(memory) => {
            let (mem, state) = memory.data_and_store_mut(caller);
            // (A slice's pointer is never null.)
            if let Some(base) = NonZeroUsize::new(mem.as_mut_ptr() as usize) {
                state.memory.remember_bytes(base, mem.len());
            }
            Guest { mem, has_memory: true, state }
        }
        None => Guest { mem: &mut [], has_memory: false, state: caller.data_mut() },
    }
}

impl Guest<'_> {
    /// Checks that `ptr..ptr + len` lies in guest memory (a bad range traps,
    /// as everywhere).
    #[inline]
    pub(crate) fn span(&self, func: &str, ptr: i32, len: i32) -> wasmtime::Result<std::ops::Range<usize>> {
        if len == 0 {
            return Ok(0..0);
        }
        if !self.has_memory {
            return Err(no_memory(func));
        }
        range(func, ptr, len, self.mem.len())
    }
}

/// Checks that `ptr..ptr + len` lies in memory of `size` bytes.
#[inline]
fn range(func: &str, ptr: i32, len: i32, size: usize) -> wasmtime::Result<std::ops::Range<usize>> {
    // Guest addresses are unsigned 32-bit; a negative length fails below.
    let start = ptr.cast_unsigned() as usize;
    let end = start + len.cast_unsigned() as usize;
    if len < 0 || end > size {
        return Err(outside(func, ptr, len, size));
    }
    Ok(start..end)
}

/// The trap of a range outside linear memory (out of line: the check is on
/// every host call's path, the trap almost never).
#[cold]
#[inline(never)]
fn outside(func: &str, ptr: i32, len: i32, size: usize) -> wasmtime::Error {
    fault(func, format_args!("guest range {:#x}+{} is outside linear memory ({size} bytes)", ptr.cast_unsigned(), len))
}

/// Runs `f` on the guest bytes at `ptr..ptr + len`.
pub(crate) fn with_bytes<R>(
    caller: &mut Caller<'_, ProcessState>,
    func: &str,
    ptr: i32,
    len: i32,
    f: impl FnOnce(&[u8], &ProcessState) -> R,
) -> wasmtime::Result<R> {
    let guest = guest(caller);
    let range = guest.span(func, ptr, len)?;
    Ok(f(&guest.mem[range], guest.state))
}

/// The detail bytes of an exit reason a guest gives (`exit`,
/// `exit_signal`): a copy of the guest bytes at `ptr..ptr + len` (the whole
/// range must lie in memory), cut to the node's largest message: a reason
/// travels in the EXIT and DOWN messages of the exit.
pub(crate) fn exit_detail(
    caller: &mut Caller<'_, ProcessState>,
    func: &str,
    ptr: i32,
    len: i32,
) -> wasmtime::Result<Vec<u8>> {
    let max = caller.data().process.runtime.config.max_message;
    with_bytes(caller, func, ptr, len, |bytes, _| bytes[..bytes.len().min(max)].to_vec())
}

/// The guest text at `ptr..ptr + len`; `Ok(None)` if it is not UTF-8.
pub(crate) fn read_str(
    caller: &mut Caller<'_, ProcessState>,
    func: &str,
    ptr: i32,
    len: i32,
) -> wasmtime::Result<Option<String>> {
    with_bytes(caller, func, ptr, len, |bytes, _| std::str::from_utf8(bytes).ok().map(str::to_string))
}

/// Copies `bytes` into the guest at `ptr`, which must have room for them.
pub(crate) fn write(caller: &mut Caller<'_, ProcessState>, func: &str, ptr: i32, bytes: &[u8]) -> wasmtime::Result<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    let memory = memory(caller, func)?;
    let data = memory.data_mut(&mut *caller);
    let len = i32::try_from(bytes.len()).map_err(|_| fault(func, "copy larger than 2 GiB"))?;
    let range = range(func, ptr, len, data.len())?;
    data[range].copy_from_slice(bytes);
    Ok(())
}

/// Checks that the whole buffer `ptr..ptr + len` lies in guest memory (a
/// buffer the host may write to, even if it writes less).
pub(crate) fn check_range(
    caller: &mut Caller<'_, ProcessState>,
    func: &str,
    ptr: i32,
    len: i32,
) -> wasmtime::Result<()> {
    if len == 0 {
        return Ok(());
    }
    let memory = memory(caller, func)?;
    let size = memory.data_size(&*caller);
    range(func, ptr, len, size).map(drop)
}

/// Checks a destination buffer and returns how many of `available` bytes
/// fit in it.
#[inline]
pub(crate) fn dest_len(func: &str, dst_len: i32, available: usize) -> wasmtime::Result<usize> {
    if dst_len < 0 {
        return Err(negative_length(func, dst_len));
    }
    Ok(available.min(dst_len.cast_unsigned() as usize))
}

/// A byte count the host returns to the guest: at most a length the guest
/// gave (an `i32`), or a message's size (at most the node's largest, itself
/// at most `i32::MAX`).
#[inline]
pub(crate) fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// A pid as guests see it (always positive as an `i64`).
#[inline]
pub(crate) fn pid_value(pid: crate::base::pid::Pid) -> i64 {
    pid.raw().cast_signed()
}

#[cold]
#[inline(never)]
fn negative_length(func: &str, dst_len: i32) -> wasmtime::Error {
    fault(func, format_args!("negative buffer length {dst_len}"))
}
