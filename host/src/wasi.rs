//! WASI preview 1 for processes, and what a process may do
//! (its capabilities, inherited by the processes it spawns).

use crate::pid::Pid;
use std::io::Write;
use std::pin::Pin;
use std::task::{Context, Poll};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamResult};

/// What a process may do and see. Spawned processes inherit their parent's.
#[derive(Clone, Debug, Default)]
pub struct Capabilities {
    /// May it spawn processes?
    pub may_spawn: bool,
    /// Arguments seen through WASI `args_get`.
    pub args: Vec<String>,
    /// Environment seen through WASI `environ_get`.
    pub env: Vec<(String, String)>,
    /// Prefix each line of stdout/stderr with the pid.
    pub tag_output: bool,
}

impl Capabilities {
    /// Builds the WASI context of process `pid` (called on its first WASI
    /// call only).
    pub(crate) fn build_wasi(&self, pid: Pid) -> WasiP1Ctx {
        let mut builder = wasmtime_wasi::WasiCtxBuilder::new();
        builder.args(&self.args).envs(&self.env);
        if self.tag_output {
            builder.stdout(TaggedOutput { pid, stream: Stream::Stdout });
            builder.stderr(TaggedOutput { pid, stream: Stream::Stderr });
        } else {
            builder.inherit_stdout().inherit_stderr();
        }
        builder.build_p1()
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
