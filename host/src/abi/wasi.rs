//! WASI preview 1 for processes (wasmtime-wasi's, with the process's
//! capabilities), and `proc_exit`, which ends the process as `exit` does.
//! The layers below know nothing of WASI: a process's state keeps the WASI
//! context as an opaque value that only this file makes and reads.

use super::guest_memory::fault;
use crate::base::pid::Pid;
use crate::base::reason::ExitReason;
use crate::process::capabilities::Capabilities;
use crate::process::state::ProcessState;
use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;
use wasmtime::{Caller, Linker};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};
use wasmtime_wasi::{FsPerms, HostMonotonicClock};

/// The module name of WASI preview 1's functions.
const WASI_MODULE: &str = "wasi_snapshot_preview1";

/// Adds WASI preview 1, and Warren's `proc_exit`, to `linker`.
pub(super) fn link(linker: &mut Linker<ProcessState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p1::add_to_linker_async(linker, wasi)?;
    linker.allow_shadowing(true);
    linker.func_wrap(WASI_MODULE, "proc_exit", proc_exit)?;
    linker.allow_shadowing(false);
    Ok(())
}

/// The WASI context of the calling process, made on its first WASI call
/// (most processes make none).
fn wasi(state: &mut ProcessState) -> &mut WasiP1Ctx {
    let (pid, caps, process) = (state.pid, &state.caps, &state.process);
    state.wasi.get_or_insert_with(|| build(caps, pid, process.runtime.timers.epoch()))
}

/// Builds the WASI context of process `pid` (stdin empty; stdout and
/// stderr the node's, or closed if it may not print; its preopened
/// directories) on a node whose clock started at `epoch`.
fn build(caps: &Capabilities, pid: Pid, epoch: Instant) -> WasiP1Ctx {
    let mut builder = wasmtime_wasi::WasiCtxBuilder::new();
    builder.args(&caps.args).envs(&caps.env).monotonic_clock(NodeClock(epoch));
    for dir in &caps.dirs {
        let perms = if dir.read_only { FsPerms::ReadOnly } else { FsPerms::ReadWrite };
        // Opened now, at the process's first WASI call: a directory removed
        // since the node started is left out (those after it take its fd),
        // and the node's log says why.
        if let Err(error) = builder.preopened_dir(&dir.host, &dir.guest, perms) {
            tracing::warn!(%pid, host = %dir.host.display(), guest = %dir.guest, "cannot preopen directory: {error:#}");
        }
    }
    if !caps.may_print {
        builder.stdout(DeniedOutput).stderr(DeniedOutput);
    } else if caps.tag_output {
        builder.stdout(TaggedOutput { pid, stream: Stream::Stdout });
        builder.stderr(TaggedOutput { pid, stream: Stream::Stderr });
    } else {
        builder.inherit_stdout().inherit_stderr();
    }
    builder.build_p1()
}

/// `proc_exit(status)`: the process ends now, normally for status 0, else
/// with a custom reason `exit status N` (unwinds the guest; the scheduler
/// reads `exit_request` for the reason).
fn proc_exit(mut caller: Caller<'_, ProcessState>, status: i32) -> wasmtime::Result<()> {
    let reason = match status {
        0 => ExitReason::Normal,
        status => ExitReason::Custom(format!("exit status {status}").into_bytes()),
    };
    caller.data_mut().exit_request = Some(std::sync::Arc::new(reason));
    Err(fault("proc_exit", "the process exited"))
}

/// WASI's monotonic clock: nanoseconds since the node started, the same
/// clock for every process (wasmtime's own starts at each context, so the
/// times of two processes could not be compared).
struct NodeClock(Instant);

impl HostMonotonicClock for NodeClock {
    fn resolution(&self) -> u64 {
        1
    }

    fn now(&self) -> u64 {
        u64::try_from(self.0.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// Standard output (or error) of a process that may not print: every
/// write fails with `EBADF`, as on an fd that is not open, and prints
/// nothing. (`EBADF` rather than `ENOTCAPABLE`: Rust's and C's standard
/// libraries take `EBADF` on stdout as "no stdout" and go on, where another
/// error would make `println!` panic.)
#[derive(Clone, Copy)]
struct DeniedOutput;

impl DeniedOutput {
    fn error() -> std::io::Error {
        std::io::Error::from_raw_os_error(libc::EBADF)
    }
}

impl IsTerminal for DeniedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for DeniedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(DeniedOutput)
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(DeniedOutput)
    }
}

impl OutputStream for DeniedOutput {
    fn write(&mut self, _bytes: bytes::Bytes) -> StreamResult<()> {
        Err(wasmtime_wasi::p2::StreamError::LastOperationFailed(DeniedOutput::error().into()))
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Err(wasmtime_wasi::p2::StreamError::LastOperationFailed(DeniedOutput::error().into()))
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for DeniedOutput {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for DeniedOutput {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, _buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Poll::Ready(Err(DeniedOutput::error()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

/// Standard output (or error) of one process, each line prefixed with its
/// pid, so the output of many processes can be told apart.
#[derive(Clone, Copy)]
struct TaggedOutput {
    pid: Pid,
    stream: Stream,
}

impl IsTerminal for TaggedOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for TaggedOutput {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(TaggedWriter { target: *self, line: Vec::new() })
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(TaggedWriter { target: *self, line: Vec::new() })
    }
}

/// The most bytes of a partial line a process's tagged output holds.
const MAX_LINE: usize = 64 << 10;

/// Buffers a partial line; writes whole lines, tagged, in one write each so
/// lines of different processes never interleave.
struct TaggedWriter {
    target: TaggedOutput,
    line: Vec<u8>,
}

impl TaggedWriter {
    fn put(&mut self, mut bytes: &[u8]) -> std::io::Result<()> {
        while let Some(end) = bytes.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&bytes[..=end]);
            self.emit()?;
            bytes = &bytes[end + 1..];
        }
        // A line longer than `MAX_LINE` goes out in pieces of that size,
        // each tagged: the host holds at most that much of a process's
        // output.
        while self.line.len() + bytes.len() >= MAX_LINE {
            let take = MAX_LINE - self.line.len();
            self.line.extend_from_slice(&bytes[..take]);
            self.emit()?;
            bytes = &bytes[take..];
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn emit(&mut self) -> std::io::Result<()> {
        if self.line.is_empty() {
            return Ok(());
        }
        let mut out = format!("{} ", self.target.pid).into_bytes();
        out.append(&mut self.line);
        if out.last() != Some(&b'\n') {
            out.push(b'\n');
        }
        match self.target.stream {
            Stream::Stdout => std::io::stdout().lock().write_all(&out),
            Stream::Stderr => std::io::stderr().lock().write_all(&out),
        }
    }
}

impl Drop for TaggedWriter {
    fn drop(&mut self) {
        let _ = self.emit();
    }
}

impl OutputStream for TaggedWriter {
    fn write(&mut self, bytes: bytes::Bytes) -> StreamResult<()> {
        self.put(&bytes).map_err(|e| wasmtime_wasi::p2::StreamError::LastOperationFailed(e.into()))
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 << 10)
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for TaggedWriter {
    async fn ready(&mut self) {}
}

impl tokio::io::AsyncWrite for TaggedWriter {
    fn poll_write(self: Pin<&mut Self>, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        Poll::Ready(this.put(buf).map(|()| buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        Poll::Ready(this.emit())
    }
}
