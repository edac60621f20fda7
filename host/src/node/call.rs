//! Calls made by the host: `gen_server:call` and `sys:get_state` from the
//! outside, as a shell or an operator's tool makes them. Each call waits in
//! an inbox of its own (a host process with a pid, which the reply is
//! addressed to), under the same protocol a guest's call follows
//! (`process/call.rs`): one reply at most, none after the timeout.

use super::Node;
use super::supervise::down_reason;
use crate::base::codes::{TAG_CALL_DOWN, TAG_REPLY};
use crate::base::pid::Pid;
use crate::base::reason::ExitReason;
use crate::process::call::{self, Kind};
use crate::svc::Member;
use crossbeam_channel::RecvTimeoutError;
use std::fmt;
use std::time::{Duration, Instant};
use warren_term::{Atom, Term};

/// Why a call made by the host has no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallError {
    /// No reply within the timeout.
    Timeout,
    /// The process called is not alive, or no process holds the name.
    Noproc,
    /// The process called exited before it replied, with this reason.
    Exited(ExitReason),
    /// The node's process table is full: there is no room for the inbox
    /// the call waits in.
    ProcessLimit(u32),
    /// The answer to a system request is not the term the request asks for
    /// (what is wrong with it).
    BadReply(String),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Timeout => f.write_str("no reply within the timeout"),
            CallError::Noproc => f.write_str("noproc: no such process"),
            CallError::Exited(reason) => write!(f, "the process exited before it replied: {reason}"),
            CallError::ProcessLimit(max) => write!(f, "the process table is full ({max} processes)"),
            CallError::BadReply(why) => write!(f, "a malformed reply: {why}"),
        }
    }
}

impl std::error::Error for CallError {}

impl Node {
    /// Calls `pid` with `request` (a `TAG_CALL` message, as a guest's
    /// `call` sends) and waits at most `timeout` for its reply: the reply's
    /// bytes, or why there are none. A reply that comes later is dropped.
    pub fn call(&self, pid: Pid, request: &[u8], timeout: Duration) -> Result<Vec<u8>, CallError> {
        self.call_as(Kind::Request, pid, request, timeout)
    }

    /// [`Node::call`] to the process registered as `name`
    /// ([`CallError::Noproc`] if none is).
    pub fn call_named(&self, name: &str, request: &[u8], timeout: Duration) -> Result<Vec<u8>, CallError> {
        let pid = self.whereis(name).ok_or(CallError::Noproc)?;
        self.call(pid, request, timeout)
    }

    /// Sends `pid` the system request `request` (a `TAG_SYSTEM` message:
    /// see docs/ABI.md "System messages") and waits at most `timeout` for
    /// its answer, a term. A process that is not an SDK behaviour does not
    /// answer: [`CallError::Timeout`].
    pub fn system_call(&self, pid: Pid, request: &Term, timeout: Duration) -> Result<Term, CallError> {
        let request = warren_term::encode(request).map_err(|e| CallError::BadReply(e.to_string()))?;
        let reply = self.call_as(Kind::System, pid, &request, timeout)?;
        warren_term::decode(&reply).map_err(|e| CallError::BadReply(e.to_string()))
    }

    /// The state of the SDK behaviour `pid` runs, as its language renders
    /// it (Rust: `Debug`), as Erlang's `sys:get_state/2`.
    pub fn get_state(&self, pid: Pid, timeout: Duration) -> Result<String, CallError> {
        match self.system_call(pid, &Term::Atom(Atom::from("get_state")), timeout)? {
            Term::Binary(text) => {
                String::from_utf8(text).map_err(|_| CallError::BadReply("state text is not UTF-8".into()))
            }
            other => Err(CallError::BadReply(format!("expected the state as a binary, got {other}"))),
        }
    }

    /// The status of the SDK behaviour `pid` runs (a map: its behaviour,
    /// state, status and name), as Erlang's `sys:get_status/2`.
    pub fn get_status(&self, pid: Pid, timeout: Duration) -> Result<Term, CallError> {
        match self.system_call(pid, &Term::Atom(Atom::from("get_status")), timeout)? {
            status @ Term::Map(_) => Ok(status),
            other => Err(CallError::BadReply(format!("expected the status as a map, got {other}"))),
        }
    }

    /// A call of `kind` from an inbox of its own.
    fn call_as(&self, kind: Kind, callee: Pid, request: &[u8], timeout: Duration) -> Result<Vec<u8>, CallError> {
        let inbox = self.inbox();
        let Some(me) = self.runtime.table.get(inbox.pid()) else {
            return Err(CallError::ProcessLimit(self.runtime.config.max_processes));
        };
        let token = call::send_request(&me, kind, callee, request);
        let deadline = Instant::now() + timeout;
        // Set once the call can no longer give up: a reply claimed the token
        // and is on its way.
        let mut reply_coming = false;
        loop {
            let message = if reply_coming {
                inbox.rx.recv().map_err(|_| RecvTimeoutError::Disconnected)
            } else {
                inbox.rx.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            };
            match message {
                // A reply or the DOWN is queued only for the call that waits.
                Ok(message) if message.tag == TAG_REPLY => {
                    call::settle(&me, callee, token, Some(message.sender));
                    return Ok(message.data.into_vec());
                }
                Ok(message) if message.tag == TAG_CALL_DOWN => {
                    return Err(match down_reason(&message.data) {
                        ExitReason::Noproc => CallError::Noproc,
                        reason => CallError::Exited(reason),
                    });
                }
                // Nothing else is sent to this inbox's fresh pid.
                Ok(_) => {}
                Err(RecvTimeoutError::Timeout) => {
                    // Withdraws the token, unless a reply or the DOWN claimed it.
                    if me.claim_call(token) {
                        call::settle(&me, callee, token, None);
                        return Err(CallError::Timeout);
                    }
                    reply_coming = true;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(CallError::Exited(ExitReason::Shutdown(b"node stopped".to_vec())));
                }
            }
        }
    }
}
