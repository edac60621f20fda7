//! The CLI's side of the control protocol: connect to a node, send a
//! request line, read response lines.

use super::dir;
use super::protocol::{Request, RequestLine, Response, ResponseLine, VERSION};
use anyhow::{Context, Result, anyhow, bail};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::time::Duration;

/// How long the CLI waits for an answer it expects at once.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(60);

/// A connection to one node.
pub struct Client {
    name: String,
    reader: BufReader<UnixStream>,
    writer: UnixStream,
}

impl Client {
    /// Connects to node `name`, or to the only node running.
    pub fn connect(name: Option<&str>) -> Result<Client> {
        let (name, stream) = dir::connect(name)?;
        Client::over(name, stream)
    }

    /// A client over a connected `stream` to node `name`.
    pub fn over(name: String, stream: UnixStream) -> Result<Client> {
        let writer = stream.try_clone().context("cannot use the control socket")?;
        Ok(Client { name, reader: BufReader::new(stream), writer })
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Sends `request` and reads one response, waiting at most `timeout`;
    /// an error response is an error naming the node.
    pub fn ask(&mut self, request: Request, timeout: Duration) -> Result<Response> {
        self.send(request)?;
        self.next(timeout)
    }

    /// Sends `request`.
    pub fn send(&mut self, request: Request) -> Result<()> {
        let mut line = serde_json::to_string(&RequestLine { version: VERSION, request })?;
        line.push('\n');
        self.writer.write_all(line.as_bytes()).with_context(|| format!("node `{}` closed the connection", self.name))
    }

    /// Reads the next response line, waiting at most `timeout`.
    pub fn next(&mut self, timeout: Duration) -> Result<Response> {
        self.reader.get_ref().set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
        let mut line = String::new();
        match self.reader.read_line(&mut line) {
            Ok(0) => bail!("node `{}` closed the connection without answering", self.name),
            Ok(_) => {}
            Err(error) if matches!(error.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                bail!("node `{}` did not answer within {:.1} s", self.name, timeout.as_secs_f64())
            }
            Err(error) => return Err(error).with_context(|| format!("cannot read from node `{}`", self.name)),
        }
        let response: ResponseLine = serde_json::from_str(&line)
            .with_context(|| format!("node `{}` answered something that is not the protocol", self.name))?;
        match response.response {
            Response::Error { kind, message } => {
                Err(anyhow!("node `{}`: {message} ({})", self.name, serde_json::to_string(&kind)?.trim_matches('"')))
            }
            response => Ok(response),
        }
    }
}
