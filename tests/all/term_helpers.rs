//! Terms in tests: short constructors, encoding and decoding that fail the
//! test with the term or the bytes, and pids as terms. Shared by the tests
//! of every language's guests (lang_*.rs, conformance.rs).

use warren_host::Pid;
use warren_host::term::{self, Pid as TermPid, Term};

/// The atom `name`.
pub(crate) fn atom(name: &str) -> Term {
    Term::atom(name.to_string())
}

/// The tuple of `elements`.
pub(crate) fn tuple<const N: usize>(elements: [Term; N]) -> Term {
    Term::tuple(elements.to_vec())
}

/// The integer `value`.
pub(crate) fn int(value: i64) -> Term {
    Term::Integer(value)
}

/// `true` or `false`, as Erlang's atoms.
pub(crate) fn bool_atom(value: bool) -> Term {
    atom(if value { "true" } else { "false" })
}

/// The binary of `text`'s bytes.
pub(crate) fn bin(text: &str) -> Term {
    Term::binary(text.as_bytes())
}

/// `term`'s bytes (the test fails if it cannot be encoded).
pub(crate) fn encode(term: &Term) -> Vec<u8> {
    term::encode(term).unwrap_or_else(|e| panic!("{term} encodes: {e}"))
}

/// The term `bytes` hold (the test fails if they are none).
pub(crate) fn decode(bytes: &[u8]) -> Term {
    term::decode(bytes).unwrap_or_else(|e| panic!("not a term ({e}): {bytes:?}"))
}

/// A local pid as a term.
pub(crate) fn term_pid(pid: Pid) -> Term {
    Term::Pid(TermPid::local(pid.raw()))
}

/// The Warren pid a term holds (the test fails if it holds none of this
/// node).
pub(crate) fn local_pid(term: &Term) -> Pid {
    let Term::Pid(pid) = term else { panic!("{term} is not a pid") };
    pid.to_local().and_then(Pid::from_raw).unwrap_or_else(|| panic!("{term} is not a pid of this node"))
}
