//! [`Error`]: why bytes could not be decoded or a value encoded, and where.

use alloc::boxed::Box;
use alloc::string::{String, ToString};
use core::fmt;

/// Why a term could not be decoded or encoded.
///
/// Decoding errors carry the byte offset (from the start of the input,
/// version byte included) of the term or field at fault; [`Error::offset`].
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    // Boxed: `Result<T, Error>` stays two words on the hot path.
    inner: Box<Inner>,
}

#[derive(Clone, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    offset: Option<usize>,
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ends in the middle of a term.
    Eof,
    /// The first byte is not the version byte 131.
    BadVersion(u8),
    /// A compressed term (tag 80, `term_to_binary(T, [compressed])`):
    /// not supported.
    Compressed,
    /// A tag this crate does not decode (ports, funs, bitstrings, atom
    /// cache references, or no tag at all); [`crate::tag::name`] names it.
    UnsupportedTag(u8),
    /// Another term was expected here.
    Expected {
        /// What was expected ("an integer", "a tuple of 2 elements", ...).
        expected: &'static str,
        /// What was found (a tag's type, or a detail).
        found: &'static str,
    },
    /// A malformed term: the reason ("atom text is not UTF-8", ...).
    Invalid(&'static str),
    /// Bytes are left after the term.
    TrailingBytes,
    /// Terms are nested deeper than [`crate::MAX_DEPTH`].
    TooDeep,
    /// A value that has no term encoding: the reason ("a float that is
    /// NaN or infinite", "an atom longer than 255 characters", ...).
    Unencodable(&'static str),
    /// A pid or reference of another node where a Warren pid or reference
    /// of this node was expected.
    NotLocal,
    /// A message from a `Serialize` or `Deserialize` implementation.
    Custom(String),
}

impl Error {
    /// An error of this kind, at no particular offset.
    pub fn new(kind: ErrorKind) -> Error {
        Error { inner: Box::new(Inner { kind, offset: None }) }
    }

    /// An error of this kind at byte `offset` of the input.
    pub fn at(kind: ErrorKind, offset: usize) -> Error {
        Error { inner: Box::new(Inner { kind, offset: Some(offset) }) }
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }

    /// The byte offset in the input where decoding failed (`None` for
    /// encoding errors).
    pub fn offset(&self) -> Option<usize> {
        self.inner.offset
    }

    /// This error, with `offset` if it had none yet.
    pub(crate) fn or_at(mut self, offset: usize) -> Error {
        self.inner.offset.get_or_insert(offset);
        self
    }

    pub(crate) fn expected(expected: &'static str, found: &'static str, offset: usize) -> Error {
        Error::at(ErrorKind::Expected { expected, found }, offset)
    }

    pub(crate) fn invalid(reason: &'static str, offset: usize) -> Error {
        Error::at(ErrorKind::Invalid(reason), offset)
    }

    pub(crate) fn unencodable(reason: &'static str) -> Error {
        Error::new(ErrorKind::Unencodable(reason))
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorKind::Eof => f.write_str("the input ends in the middle of a term"),
            ErrorKind::BadVersion(byte) => {
                write!(f, "not an external term: the first byte is {byte}, not the version byte 131")
            }
            ErrorKind::Compressed => f.write_str("compressed terms (tag 80) are not supported"),
            ErrorKind::UnsupportedTag(tag) => write!(f, "unsupported tag {tag} ({})", crate::tag::name(*tag)),
            ErrorKind::Expected { expected, found } => write!(f, "expected {expected}, found {found}"),
            ErrorKind::Invalid(reason) => write!(f, "malformed term: {reason}"),
            ErrorKind::TrailingBytes => f.write_str("bytes left after the term"),
            ErrorKind::TooDeep => write!(f, "terms nested deeper than {} levels", crate::MAX_DEPTH),
            ErrorKind::Unencodable(reason) => write!(f, "cannot encode {reason}"),
            ErrorKind::NotLocal => {
                f.write_str("a pid or reference of another node, where one of this node was expected")
            }
            ErrorKind::Custom(message) => f.write_str(message),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.inner.offset {
            Some(offset) => write!(f, "at byte {offset}: {}", self.inner.kind),
            None => fmt::Display::fmt(&self.inner.kind, f),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error").field("kind", &self.inner.kind).field("offset", &self.inner.offset).finish()
    }
}

impl core::error::Error for Error {}

impl serde::ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::new(ErrorKind::Custom(msg.to_string()))
    }
}

impl serde::de::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error::new(ErrorKind::Custom(msg.to_string()))
    }
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = core::result::Result<T, E>;
