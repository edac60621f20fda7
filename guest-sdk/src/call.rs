//! Calls: a request and its reply, with `gen_server:call`'s semantics
//! (docs/ABI.md, "Calls"). The caller waits for the reply, its timeout or
//! the callee's death; the callee answers through a [`ReplyTo`] handle, at
//! once or later, itself or from another process.
//!
//! ```ignore
//! // The server: answer every request with its bytes reversed.
//! loop {
//!     let msg = warren::receive();
//!     if let Some(request) = msg.as_call() {
//!         let mut answer = request.body.clone();
//!         answer.reverse();
//!         let _ = request.reply_to.reply(&answer);
//!     }
//! }
//!
//! // A client.
//! let answer = warren::call(server, b"abc", Some(1000))?;
//! assert_eq!(answer, b"cba");
//! ```

use crate::links::ExitReason;
use crate::{Error, Message, Pid, current_message, raw_bytes, sys};
use alloc::vec::Vec;
use core::fmt;

/// Why a call got no reply.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CallError {
    /// No reply within the timeout (a reply that comes later is dropped).
    Timeout,
    /// The process called was not alive, or no process holds the name
    /// (`gen_server:call`'s `noproc`).
    NoProc,
    /// The process called exited before it replied, with this reason.
    Exited(ExitReason),
    /// The call was refused: a malformed or own pid ([`Error::BadArg`]), a
    /// request too large ([`Error::Limit`]).
    Refused(Error),
}

impl fmt::Display for CallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallError::Timeout => f.write_str("the call timed out"),
            CallError::NoProc => f.write_str("the process called is not alive (noproc)"),
            CallError::Exited(reason) => write!(f, "the process called exited: {reason:?}"),
            CallError::Refused(error) => write!(f, "the call was refused: {error}"),
        }
    }
}

impl core::error::Error for CallError {}

/// The timeout argument of the ABI: `None` waits for ever.
pub(crate) fn timeout_arg(timeout_ms: Option<u64>) -> i64 {
    match timeout_ms {
        None => sys::WAIT_FOREVER,
        Some(ms) => i64::try_from(ms).unwrap_or(i64::MAX),
    }
}

/// The answer of a `call`/`call_named` that returned `result`: the reply's
/// bytes (the current message), or why there are none.
pub(crate) fn outcome(result: i32) -> Result<Vec<u8>, CallError> {
    let mut reply = Vec::new();
    outcome_into(result, &mut reply).map(|()| reply)
}

/// [`outcome`] with the reply's bytes put in `reply` (replacing what it
/// held).
pub(crate) fn outcome_into(result: i32, reply: &mut Vec<u8>) -> Result<(), CallError> {
    let down_reason = || current_message().and_then(|m| m.as_down()).map_or(ExitReason::Noproc, |down| down.reason);
    match result {
        // The reply's length: its bytes are all the caller needs.
        n if n >= 0 => {
            crate::read_current_into(n as usize, reply);
            Ok(())
        }
        sys::ERR_TIMEOUT => Err(CallError::Timeout),
        sys::ERR_NOPROC => Err(CallError::NoProc),
        sys::ERR_EXITED => Err(CallError::Exited(down_reason())),
        code => Err(CallError::Refused(Error::from_code(code.into()))),
    }
}

/// Calls `pid` with `request` and waits for the reply: at most
/// `timeout_ms` milliseconds (`None`: for ever).
///
/// ```ignore
/// match warren::call(server, b"get", Some(5000)) {
///     Ok(reply) => { /* ... */ }
///     Err(warren::CallError::Exited(reason)) => { /* the server died */ }
///     Err(other) => { /* timeout, noproc, refused */ }
/// }
/// ```
pub fn call(pid: Pid, request: &[u8], timeout_ms: Option<u64>) -> Result<Vec<u8>, CallError> {
    let (ptr, len) = raw_bytes(request).map_err(CallError::Refused)?;
    // SAFETY: `ptr`/`len` are those of `request`, a live slice the host only
    // reads.
    let result = unsafe { sys::call(pid.raw() as i64, ptr, len, timeout_arg(timeout_ms)) };
    outcome(result)
}

/// [`call`] with the request in `buffer`, whose bytes the reply then
/// replaces: one buffer for both, allocated once when the reply fits.
pub(crate) fn call_in(pid: Pid, buffer: &mut Vec<u8>, timeout_ms: Option<u64>) -> Result<(), CallError> {
    let (ptr, len) = raw_bytes(buffer).map_err(CallError::Refused)?;
    // SAFETY: `ptr`/`len` are those of `buffer`'s bytes, which the host only
    // reads, and which stay put until the call returns.
    let result = unsafe { sys::call(pid.raw() as i64, ptr, len, timeout_arg(timeout_ms)) };
    outcome_into(result, buffer)
}

/// [`call_in`] to the process registered under `name`.
pub(crate) fn call_named_in(name: &str, buffer: &mut Vec<u8>, timeout_ms: Option<u64>) -> Result<(), CallError> {
    let (name_ptr, name_len) = raw_bytes(name.as_bytes()).map_err(CallError::Refused)?;
    let (ptr, len) = raw_bytes(buffer).map_err(CallError::Refused)?;
    // SAFETY: both ranges are live slices the host only reads.
    let result = unsafe { sys::call_named(name_ptr, name_len, ptr, len, timeout_arg(timeout_ms)) };
    outcome_into(result, buffer)
}

/// [`call`] to the process registered under `name`
/// ([`CallError::NoProc`] if nobody holds it).
///
/// ```ignore
/// let count = warren::call_named("counter", b"get", Some(1000))?;
/// ```
pub fn call_named(name: &str, request: &[u8], timeout_ms: Option<u64>) -> Result<Vec<u8>, CallError> {
    let (name_ptr, name_len) = raw_bytes(name.as_bytes()).map_err(CallError::Refused)?;
    let (ptr, len) = raw_bytes(request).map_err(CallError::Refused)?;
    // SAFETY: both ranges are live slices the host only reads.
    let result = unsafe { sys::call_named(name_ptr, name_len, ptr, len, timeout_arg(timeout_ms)) };
    outcome(result)
}

/// Where a call's reply goes: the caller and the call's token. It can be
/// kept to reply later, or sent to another process that replies (as bytes:
/// [`ReplyTo::to_le_bytes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReplyTo {
    /// The caller.
    pub caller: Pid,
    /// The call's token.
    pub token: i64,
}

impl ReplyTo {
    /// Answers the call with `reply`. Succeeds also when the reply is
    /// dropped (the caller gave up, is gone, or has its reply already).
    ///
    /// ```ignore
    /// if let Some(request) = msg.as_call() {
    ///     request.reply_to.reply(b"ok")?;
    /// }
    /// ```
    pub fn reply(self, reply: &[u8]) -> Result<(), Error> {
        let (ptr, len) = raw_bytes(reply)?;
        // SAFETY: `ptr`/`len` are those of `reply`, a live slice the host
        // only reads.
        crate::status(unsafe { sys::reply(self.caller.raw() as i64, self.token, ptr, len) })
    }

    /// The 16 bytes of the handle: the caller's pid and the token (LE).
    pub fn to_le_bytes(self) -> [u8; 16] {
        let mut bytes = [0; 16];
        bytes[..8].copy_from_slice(&self.caller.to_le_bytes());
        bytes[8..].copy_from_slice(&self.token.to_le_bytes());
        bytes
    }

    /// The handle in the first 16 bytes of `bytes`, if there are 16.
    pub fn from_le_slice(bytes: &[u8]) -> Option<ReplyTo> {
        let caller = Pid::from_le_slice(bytes)?;
        let token = i64::from_le_bytes(bytes.get(8..16)?.try_into().ok()?);
        Some(ReplyTo { caller, token })
    }
}

/// A call's request, as the process called receives it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Request {
    /// Where the reply goes.
    pub reply_to: ReplyTo,
    /// The request's bytes.
    pub body: Vec<u8>,
}

impl Message {
    /// The call request this message carries, if it is one (tag
    /// [`sys::TAG_CALL`]).
    ///
    /// ```ignore
    /// let msg = warren::receive();
    /// if let Some(request) = msg.as_call() {
    ///     request.reply_to.reply(&request.body)?; // echo
    /// }
    /// ```
    pub fn as_call(&self) -> Option<Request> {
        let token = self.call_token()?;
        Some(Request { reply_to: ReplyTo { caller: self.sender, token }, body: self.data[8..].to_vec() })
    }

    /// The token of the call request this message carries, if it is one
    /// (its body follows the token's 8 bytes).
    pub(crate) fn call_token(&self) -> Option<i64> {
        if self.tag != sys::TAG_CALL {
            return None;
        }
        Some(i64::from_le_bytes(self.data.get(..8)?.try_into().ok()?))
    }
}
