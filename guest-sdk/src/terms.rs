//! Structured messages as Erlang terms (feature `serde`): the message
//! format of docs/ABI.md ("Terms"), which every language and Erlang itself
//! reads. [`crate::term`] is the codec (the `warren-term` crate); this
//! module adds what a process needs: sending a Rust value as a term
//! ([`Pid::send_term`], [`Message::reply_term`], [`ReplyTo::reply_term`]),
//! reading one ([`Message::decode`], [`Request::decode`]), and pids,
//! monitor and timer references inside serde-derived messages (as Erlang
//! pids and references).
//!
//! ```ignore
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! enum Counter {
//!     Add(i64),                    // {add, 5}
//!     Get { reply_to: warren::Pid }, // {get, #{reply_to => <0.7.1>}}
//! }
//!
//! server.send_term(0, &Counter::Add(5))?;
//! let msg = warren::receive();
//! match msg.decode::<Counter>() {
//!     Ok(Counter::Add(n)) => { /* ... */ }
//!     Ok(Counter::Get { reply_to }) => reply_to.send_term(0, &total)?,
//!     Err(error) => { /* not a Counter: `error` says why and where */ }
//! }
//! ```

use crate::links::MonitorRef;
use crate::timer::TimerRef;
use crate::{Error, Message, NameError, Pid, Registry, ReplyTo, Request};
use core::fmt;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use warren_term as term;

/// Why a value could not be sent as a term.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendTermError {
    /// The value has no term encoding (a NaN float, an atom of more than
    /// 255 characters, a map with a duplicate key, ...).
    Encode(term::Error),
    /// The send failed ([`Error::BadArg`] for a negative tag,
    /// [`Error::Limit`] for a message too large).
    Send(Error),
}

impl fmt::Display for SendTermError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendTermError::Encode(error) => write!(f, "the message cannot be encoded as a term: {error}"),
            SendTermError::Send(error) => write!(f, "the message was not sent: {error}"),
        }
    }
}

impl core::error::Error for SendTermError {}

impl Pid {
    /// Sends `value` as a term (see [`crate::term`] for how Rust types map
    /// to terms) with `tag` (must be `>= 0`). As [`Pid::send`], succeeds
    /// also when the process is dead.
    ///
    /// ```ignore
    /// server.send_term(0, &("put", 42))?;
    /// ```
    pub fn send_term<T: ?Sized + Serialize>(&self, tag: i64, value: &T) -> Result<(), SendTermError> {
        let bytes = term::to_vec(value).map_err(SendTermError::Encode)?;
        self.send(tag, &bytes).map_err(SendTermError::Send)
    }
}

/// Sends `value` as a term with `tag` to the process registered under
/// `name` (see [`crate::send_named`]: a name nobody holds is
/// [`NameError::NoSuchName`], and nothing is sent).
///
/// ```ignore
/// warren::send_named_term("logger", 1, &("info", "started"))?;
/// ```
pub fn send_named_term<T: ?Sized + Serialize>(name: &str, tag: i64, value: &T) -> Result<(), SendNamedTermError> {
    let bytes = term::to_vec(value).map_err(SendNamedTermError::Encode)?;
    crate::send_named(name, tag, &bytes).map_err(SendNamedTermError::Send)
}

/// Why a term was not sent to a name or a registry's key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SendNamedTermError {
    /// The value has no term encoding.
    Encode(term::Error),
    /// The send failed: [`NameError::NoSuchName`] (nobody holds the name,
    /// or no such registry), `Other(BadArg)` (negative tag),
    /// `Other(Limit)` (message too large).
    Send(NameError),
}

impl fmt::Display for SendNamedTermError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendNamedTermError::Encode(error) => write!(f, "the message cannot be encoded as a term: {error}"),
            SendNamedTermError::Send(error) => write!(f, "the message was not sent: {error}"),
        }
    }
}

impl core::error::Error for SendNamedTermError {}

impl Registry {
    /// Sends `value` as a term with `tag` to the process of every entry
    /// under `key` (see [`Registry::dispatch`]); returns how many messages
    /// were sent.
    ///
    /// ```ignore
    /// let topics = warren::Registry::named("topics");
    /// let subscribers = topics.dispatch_term(b"news", 2, &("headline", "extra! extra!"))?;
    /// ```
    pub fn dispatch_term<T: ?Sized + Serialize>(
        &self,
        key: &[u8],
        tag: i64,
        value: &T,
    ) -> Result<usize, SendNamedTermError> {
        let bytes = term::to_vec(value).map_err(SendNamedTermError::Encode)?;
        self.dispatch(key, tag, &bytes).map_err(SendNamedTermError::Send)
    }
}

impl Message {
    /// The message's bytes read as a term of type `T`; `&str` and `&[u8]`
    /// fields borrow from the message. `Err` says what was expected and at
    /// which byte, for a message that is not a `T` (or not a term at all).
    ///
    /// ```ignore
    /// let msg = warren::receive();
    /// let (command, amount): (warren::term::Atom, i64) = msg.decode()?;
    /// ```
    pub fn decode<'a, T: Deserialize<'a>>(&'a self) -> Result<T, term::Error> {
        term::from_slice(&self.data)
    }

    /// Sends `value` as a term with `tag` back to the sender of this
    /// message (`self.sender.send_term(tag, value)`).
    ///
    /// ```ignore
    /// let msg = warren::receive();
    /// msg.reply_term(0, &("ok", 1))?;
    /// ```
    pub fn reply_term<T: ?Sized + Serialize>(&self, tag: i64, value: &T) -> Result<(), SendTermError> {
        self.sender.send_term(tag, value)
    }
}

impl Request {
    /// The request's body read as a term of type `T` (see
    /// [`Message::decode`]).
    ///
    /// ```ignore
    /// if let Some(request) = msg.as_call() {
    ///     let key: String = request.decode()?;
    ///     request.reply_to.reply_term(&lookup(&key))?;
    /// }
    /// ```
    pub fn decode<'a, T: Deserialize<'a>>(&'a self) -> Result<T, term::Error> {
        term::from_slice(&self.body)
    }
}

impl ReplyTo {
    /// Answers the call with `value` as a term (see [`ReplyTo::reply`]).
    ///
    /// ```ignore
    /// request.reply_to.reply_term(&Some(42))?;
    /// ```
    pub fn reply_term<T: ?Sized + Serialize>(self, value: &T) -> Result<(), SendTermError> {
        let bytes = term::to_vec(value).map_err(SendTermError::Encode)?;
        self.reply(&bytes).map_err(SendTermError::Send)
    }
}

/// The pid as an Erlang pid of node `nonode@nohost` (docs/ABI.md, "Terms").
impl From<Pid> for term::Pid {
    fn from(pid: Pid) -> term::Pid {
        term::Pid::local(pid.raw())
    }
}

/// The Warren pid an Erlang pid stands for, if it is one of this node
/// (node `nonode@nohost`, creation 0).
impl TryFrom<&term::Pid> for Pid {
    type Error = term::Error;

    fn try_from(pid: &term::Pid) -> Result<Pid, term::Error> {
        pid.to_local().map(Pid::from_raw).ok_or_else(|| term::Error::new(term::ErrorKind::NotLocal))
    }
}

/// An Erlang pid (NEW_PID_EXT) in a term; another serde format sees the
/// tuple `("nonode@nohost", id, serial, 0)`.
impl Serialize for Pid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        term::Pid::local(self.raw()).serialize(serializer)
    }
}

/// Reads a pid of this node; a pid of another node is an error.
impl<'de> Deserialize<'de> for Pid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Pid, D::Error> {
        let pid = term::Pid::deserialize(deserializer)?;
        Pid::try_from(&pid).map_err(|_| D::Error::custom(format_args!("{pid} is a pid of another node")))
    }
}

/// A Warren reference (monitor or timer) from its term, if it is one of
/// this node in Warren's layout.
fn local_reference<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    let reference = term::Reference::deserialize(deserializer)?;
    reference.to_local().ok_or_else(|| D::Error::custom(format_args!("{reference} is not a Warren reference")))
}

/// An Erlang reference (NEWER_REFERENCE_EXT) in a term.
impl Serialize for MonitorRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        term::Reference::local(self.raw()).serialize(serializer)
    }
}

/// Reads a reference of this node in Warren's layout.
impl<'de> Deserialize<'de> for MonitorRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<MonitorRef, D::Error> {
        local_reference(deserializer).map(MonitorRef::from_raw)
    }
}

/// An Erlang reference (NEWER_REFERENCE_EXT) in a term.
impl Serialize for TimerRef {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        term::Reference::local(self.raw()).serialize(serializer)
    }
}

/// Reads a reference of this node in Warren's layout.
impl<'de> Deserialize<'de> for TimerRef {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<TimerRef, D::Error> {
        local_reference(deserializer).map(TimerRef::from_raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;
    use serde::{Deserialize, Serialize};
    use term::Term;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    enum Command {
        Stop,
        Get { reply_to: Pid },
        Watch(MonitorRef, TimerRef),
    }

    #[test]
    fn pids_and_references_are_erlang_ones() {
        let pid = Pid::from_raw((1 << 28) | 5);
        let bytes = term::to_vec(&Command::Get { reply_to: pid }).unwrap();
        assert_eq!(term::decode(&bytes).unwrap().to_string(), "{get,#{reply_to => <0.5.1>}}");
        let message = Message { sender: pid, tag: 0, data: bytes };
        assert_eq!(message.decode::<Command>().unwrap(), Command::Get { reply_to: pid });

        let watch = Command::Watch(MonitorRef::from_raw(u64::MAX), TimerRef::from_raw(7));
        let bytes = term::to_vec(&watch).unwrap();
        assert_eq!(term::from_slice::<Command>(&bytes).unwrap(), watch);
        assert_eq!(term::decode(&bytes).unwrap().to_string(), "{watch,#Ref<0.16383.4294967295.262143>,#Ref<0.0.0.7>}");
        assert_eq!(term::from_slice::<Command>(&term::to_vec(&Command::Stop).unwrap()).unwrap(), Command::Stop);

        assert_eq!(term::Pid::from(pid), term::Pid::local(pid.raw()));
        assert_eq!(Pid::try_from(&term::Pid::from(pid)), Ok(pid));
    }

    #[test]
    fn pids_of_other_nodes_are_refused() {
        let remote = Term::Pid(term::Pid::new("a@b", 5, 1, 3));
        let error = term::from_slice::<Pid>(&term::encode(&remote).unwrap()).unwrap_err();
        assert!(error.to_string().contains("<a@b.5.1> is a pid of another node"), "{error}");
        assert_eq!(Pid::try_from(&term::Pid::new("a@b", 5, 1, 3)).unwrap_err().kind(), &term::ErrorKind::NotLocal);
        // An Erlang reference whose words do not fit Warren's 64 bits.
        let reference = term::Reference::new(term::LOCAL_NODE, 0, &[1, 2, u32::MAX]).unwrap();
        let bytes = term::encode(&Term::Reference(reference)).unwrap();
        assert!(term::from_slice::<MonitorRef>(&bytes).is_err());
    }

    #[test]
    fn requests_decode_borrowing_their_body() {
        let body = term::to_vec(&("get", "key")).unwrap();
        let request = Request { reply_to: ReplyTo { caller: Pid::from_raw(1), token: 1 }, body };
        let (verb, key): (&str, &str) = request.decode().unwrap();
        assert_eq!((verb, key), ("get", "key"));
        let error = request.decode::<(i32, String)>().unwrap_err();
        assert_eq!(error.offset(), Some(3));
        let not_a_term = Message { sender: Pid::from_raw(1), tag: 0, data: Vec::from(*b"raw") };
        assert!(not_a_term.decode::<Term>().is_err());
    }

    #[test]
    fn unencodable_values_are_send_errors() {
        let error = SendTermError::Encode(term::to_vec(&f64::NAN).unwrap_err());
        assert!(error.to_string().starts_with("the message cannot be encoded as a term"), "{error}");
        assert_eq!(
            SendTermError::Send(Error::BadArg).to_string(),
            "the message was not sent: bad argument (ERR_BADARG)"
        );
    }
}
