//! System messages (feature `serde`): what Erlang's `sys:get_state/2` and
//! `sys:get_status/2` ask of an OTP process (docs/ABI.md, "System
//! messages").
//!
//! A system request is a call whose message has the tag
//! [`sys::TAG_SYSTEM`] instead of `TAG_CALL`: payload `[token: i64
//! LE][request: a term]`, sent by [`system_call`] or by the host
//! (`Node::get_state`, the node's tools). Every SDK behaviour
//! ([`crate::gen_server`]) answers it itself, without its user's callbacks:
//!
//! | request | answer |
//! | --- | --- |
//! | the atom `get_state` | a binary: the state's `Debug` text |
//! | the atom `get_status` | `#{behaviour => gen_server, state => <<"...">>, status => running, name => <<"name">> \| nil}` |
//! | anything else | `{error, unknown_system_request}` |
//!
//! A process that runs no behaviour does not answer; the asker times out.
//! A guest that serves by hand answers with [`SystemRequest::answer`]:
//!
//! ```ignore
//! let msg = warren::receive();
//! if let Some(request) = msg.as_system_request() {
//!     let _ = request.answer("my_loop", &state, None);
//! }
//! ```

use crate::call::{outcome, timeout_arg};
use crate::{CallError, Error, Message, Pid, ReplyTo, raw_bytes, sys};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use warren_term::{Atom, Term};

/// A system request, as the process asked receives it (tag
/// [`sys::TAG_SYSTEM`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SystemRequest {
    /// Where the answer goes (the asker and the request's token).
    pub reply_to: ReplyTo,
    /// The request's bytes (a term).
    pub body: Vec<u8>,
}

impl Message {
    /// The system request this message carries, if it is one (tag
    /// [`sys::TAG_SYSTEM`] with a token).
    ///
    /// ```ignore
    /// if let Some(request) = msg.as_system_request() {
    ///     request.answer("my_loop", &state, None)?;
    /// }
    /// ```
    pub fn as_system_request(&self) -> Option<SystemRequest> {
        if self.tag != sys::TAG_SYSTEM {
            return None;
        }
        let token = i64::from_le_bytes(self.data.get(..8)?.try_into().ok()?);
        Some(SystemRequest { reply_to: ReplyTo { caller: self.sender, token }, body: self.data[8..].to_vec() })
    }
}

impl SystemRequest {
    /// Answers the request for a process running `behaviour` (an atom's
    /// text: `gen_server`...) with `state` (rendered with `Debug`) and
    /// registered `name`: see [`system_answer`].
    ///
    /// ```ignore
    /// request.answer("gen_server", &state, Some("counter"))?;
    /// ```
    pub fn answer(self, behaviour: &str, state: &dyn fmt::Debug, name: Option<&str>) -> Result<(), Error> {
        self.reply_to.reply(&system_answer(&self.body, behaviour, state, name))
    }
}

/// The answer (term bytes) to the system request `request` (term bytes)
/// of a process running `behaviour` with `state` and registered `name`, as
/// the table of this module's docs says. A request that is not a term, or
/// not one of those known, gets `{error, unknown_system_request}`.
///
/// ```ignore
/// let answer = warren::system::system_answer(&request.body, "gen_server", &state, None);
/// ```
pub fn system_answer(request: &[u8], behaviour: &str, state: &dyn fmt::Debug, name: Option<&str>) -> Vec<u8> {
    let answer = match warren_term::decode(request) {
        Ok(request) if request.is_atom("get_state") => Term::Binary(format!("{state:?}").into_bytes()),
        Ok(request) if request.is_atom("get_status") => Term::map([
            (Term::atom("behaviour"), Term::atom(String::from(behaviour))),
            (Term::atom("state"), Term::Binary(format!("{state:?}").into_bytes())),
            (Term::atom("status"), Term::atom("running")),
            (Term::atom("name"), name.map_or(Term::Atom(Atom::NIL), Term::string)),
        ]),
        _ => Term::tuple([Term::atom("error"), Term::atom("unknown_system_request")]),
    };
    // Every part is encodable (atoms of at most 255 characters are the
    // only limit, and a behaviour's name is one of the SDK's own).
    warren_term::encode(&answer).unwrap_or_else(|_| {
        warren_term::encode(&Term::tuple([Term::atom("error"), Term::atom("unencodable_status")])).unwrap_or_default()
    })
}

/// Sends `pid` the system request `request` (a term) and waits at most
/// `timeout_ms` (`None`: for ever) for its answer, a term. A process that
/// runs no SDK behaviour does not answer: [`CallError::Timeout`].
///
/// ```ignore
/// use warren::term::Term;
/// let status = warren::system::system_call(server, &Term::atom("get_status"), Some(1000))?;
/// ```
pub fn system_call(pid: Pid, request: &Term, timeout_ms: Option<u64>) -> Result<Term, SystemCallError> {
    let request = warren_term::encode(request).map_err(SystemCallError::Term)?;
    let (ptr, len) = raw_bytes(&request).map_err(|e| SystemCallError::Call(CallError::Refused(e)))?;
    // SAFETY: `ptr`/`len` are those of `request`, a live vector the host
    // only reads.
    let result = unsafe { sys::system_call(pid.raw() as i64, ptr, len, timeout_arg(timeout_ms)) };
    let answer = outcome(result).map_err(SystemCallError::Call)?;
    warren_term::decode(&answer).map_err(SystemCallError::Term)
}

/// The state of the behaviour `pid` runs, as its `Debug` text
/// (`sys:get_state/2`).
///
/// ```ignore
/// let state = warren::system::get_state(server, Some(1000))?; // "Counter { count: 3 }"
/// ```
pub fn get_state(pid: Pid, timeout_ms: Option<u64>) -> Result<String, SystemCallError> {
    match system_call(pid, &Term::atom("get_state"), timeout_ms)? {
        Term::Binary(text) => String::from_utf8(text).map_err(|_| SystemCallError::Unexpected(Term::atom("not_utf8"))),
        other => Err(SystemCallError::Unexpected(other)),
    }
}

/// The status map of the behaviour `pid` runs (`sys:get_status/2`): keys
/// `behaviour`, `state`, `status`, `name`.
///
/// ```ignore
/// let status = warren::system::get_status(server, Some(1000))?;
/// assert!(status.map_get(&warren::term::Term::atom("status")).is_some_and(|s| s.is_atom("running")));
/// ```
pub fn get_status(pid: Pid, timeout_ms: Option<u64>) -> Result<Term, SystemCallError> {
    match system_call(pid, &Term::atom("get_status"), timeout_ms)? {
        status @ Term::Map(_) => Ok(status),
        other => Err(SystemCallError::Unexpected(other)),
    }
}

/// Why a system request has no (usable) answer.
#[derive(Clone, Debug, PartialEq)]
pub enum SystemCallError {
    /// The call failed: timeout (a process that runs no behaviour does not
    /// answer), noproc, the process exited, refused.
    Call(CallError),
    /// The request could not be encoded, or the answer is not a term.
    Term(warren_term::Error),
    /// The answer is a term, but not what the request asks for (for
    /// example `{error, unknown_system_request}`).
    Unexpected(Term),
}

impl fmt::Display for SystemCallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SystemCallError::Call(error) => fmt::Display::fmt(error, f),
            SystemCallError::Term(error) => write!(f, "the system request's term: {error}"),
            SystemCallError::Unexpected(term) => write!(f, "an unexpected answer: {term}"),
        }
    }
}

impl core::error::Error for SystemCallError {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[derive(Debug)]
    #[allow(dead_code)] // read through Debug only
    struct Counter {
        count: i64,
    }

    fn answer(request: &Term, name: Option<&str>) -> Term {
        let bytes = warren_term::encode(request).unwrap();
        warren_term::decode(&system_answer(&bytes, "gen_server", &Counter { count: 3 }, name)).unwrap()
    }

    #[test]
    fn get_state_is_the_debug_text() {
        assert_eq!(answer(&Term::atom("get_state"), None), Term::binary(*b"Counter { count: 3 }"));
    }

    #[test]
    fn get_status_is_a_map_with_atom_keys() {
        let status = answer(&Term::atom("get_status"), Some("counter"));
        assert_eq!(
            status.to_string(),
            r#"#{behaviour => gen_server,name => <<"counter">>,state => <<"Counter { count: 3 }">>,status => running}"#
        );
        let anonymous = answer(&Term::atom("get_status"), None);
        assert_eq!(anonymous.map_get(&Term::atom("name")), Some(&Term::Atom(Atom::NIL)));
    }

    #[test]
    fn anything_else_is_an_error_tuple() {
        let expected = "{error,unknown_system_request}";
        assert_eq!(answer(&Term::atom("suspend"), None).to_string(), expected);
        assert_eq!(answer(&Term::tuple([Term::atom("get_state"), Term::Integer(1)]), None).to_string(), expected);
        let not_a_term = system_answer(b"\x00garbage", "gen_server", &(), None);
        assert_eq!(warren_term::decode(&not_a_term).unwrap().to_string(), expected);
    }

    #[test]
    fn requests_carry_a_token_and_a_term() {
        let mut data = 7i64.to_le_bytes().to_vec();
        data.extend_from_slice(&warren_term::encode(&Term::atom("get_state")).unwrap());
        let message = Message { sender: Pid::from_raw(1 << 28), tag: sys::TAG_SYSTEM, data };
        let request = message.as_system_request().unwrap();
        assert_eq!(request.reply_to, ReplyTo { caller: Pid::from_raw(1 << 28), token: 7 });
        assert!(warren_term::decode(&request.body).unwrap().is_atom("get_state"));
        let short = Message { sender: Pid::from_raw(1 << 28), tag: sys::TAG_SYSTEM, data: alloc::vec![1, 2] };
        assert_eq!(short.as_system_request(), None);
        let call = Message { sender: Pid::from_raw(1 << 28), tag: sys::TAG_CALL, data: alloc::vec![0; 8] };
        assert_eq!(call.as_system_request(), None);
    }
}
