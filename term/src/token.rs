//! Reserved names through which this crate's types talk to its own
//! serializer and deserializer (as `toml` does for datetimes): a type
//! serializes as a newtype struct with one of these names, which the term
//! serializer recognizes and writes as the matching tag, while any other
//! serde format sees an ordinary newtype struct around plain data.

/// [`crate::Atom`]: a newtype around the text.
pub(crate) const ATOM: &str = "$warren_term::Atom";
/// [`crate::Pid`]: a newtype around `(node, id, serial, creation)`.
pub(crate) const PID: &str = "$warren_term::Pid";
/// [`crate::Reference`]: a newtype around `(node, creation, [words])`.
pub(crate) const REFERENCE: &str = "$warren_term::Reference";
/// [`crate::BigInt`]: a newtype around `(negative, magnitude bytes)`.
pub(crate) const BIG_INT: &str = "$warren_term::BigInt";
/// A whole encoded term (version byte first): a newtype around its bytes,
/// copied as they are. Used for improper lists, which have no serde shape.
pub(crate) const ENCODED: &str = "$warren_term::Encoded";
/// [`crate::Term`]'s `Deserialize` asks for a newtype struct of this name;
/// the term deserializer answers with a one-entry map whose key is
/// [`TERM_KEY`] and whose value is the term's encoded bytes, which `Term`
/// then decodes itself (a `Visitor` cannot tell a tuple from a list).
pub(crate) const TERM: &str = "$warren_term::Term";
/// The key of the map that carries a term's bytes to `Term` (see [`TERM`]).
pub(crate) const TERM_KEY: &str = "$warren_term::Term::bytes";
