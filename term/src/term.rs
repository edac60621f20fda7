//! [`Term`]: an owned Erlang term of the subset Warren uses, and its parts
//! [`Atom`] and [`BigInt`].

use crate::pid::{Pid, Reference};
use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

/// An Erlang term.
///
/// Integers are [`Term::Integer`] when they fit an `i64`, else
/// [`Term::BigInt`] (the constructors keep this invariant, so two equal
/// integers are always the same variant). Strings are binaries, as in
/// Elixir ([`Term::string`]); a list of small integers such as `"abc"` in
/// Erlang is a [`Term::List`] of [`Term::Integer`]s.
///
/// `Debug` and `Display` print Erlang syntax: `{ok,<0.5.1>,[1,2]}`,
/// `#{a => 1}`, `<<"text">>`.
#[derive(Clone, PartialEq)]
pub enum Term {
    /// An integer that fits an `i64`.
    Integer(i64),
    /// An integer outside the `i64` range.
    BigInt(BigInt),
    /// A float (always finite: Erlang has no NaN or infinity).
    Float(f64),
    /// An atom.
    Atom(Atom),
    /// A binary (whole bytes; bitstrings are not supported).
    Binary(Vec<u8>),
    /// A tuple `{a, b}`.
    Tuple(Vec<Term>),
    /// A proper list `[a, b]`; empty, it is `[]` (Erlang's nil).
    List(Vec<Term>),
    /// An improper list `[a, b | tail]`: at least one element, and a tail
    /// that is not a list. Decoding flattens `[a | [b | c]]` to
    /// `[a, b | c]`, as Erlang does.
    ImproperList(Vec<Term>, Box<Term>),
    /// A map, as key-value pairs. [`Term::map`] and decoding give them in
    /// Erlang's key order without duplicate keys; encoding sorts them and
    /// refuses duplicates.
    Map(Vec<(Term, Term)>),
    /// A process identifier.
    Pid(Pid),
    /// A reference.
    Reference(Reference),
}

/// An atom's text. Cheap for `'static` names (no allocation).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Atom(Cow<'static, str>);

impl Atom {
    /// The atom `nil` (Elixir's `nil`, what `None` encodes to).
    pub const NIL: Atom = Atom::from_static("nil");
    /// The atom `true`.
    pub const TRUE: Atom = Atom::from_static("true");
    /// The atom `false`.
    pub const FALSE: Atom = Atom::from_static("false");

    /// The atom with this `'static` text (no allocation).
    pub const fn from_static(text: &'static str) -> Atom {
        Atom(Cow::Borrowed(text))
    }

    /// The atom's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<&'static str> for Atom {
    fn from(text: &'static str) -> Atom {
        Atom::from_static(text)
    }
}

impl From<String> for Atom {
    fn from(text: String) -> Atom {
        Atom(Cow::Owned(text))
    }
}

impl From<Cow<'static, str>> for Atom {
    fn from(text: Cow<'static, str>) -> Atom {
        Atom(text)
    }
}

impl core::ops::Deref for Atom {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Atom {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Atom {
    fn eq(&self, other: &str) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&str> for Atom {
    fn eq(&self, other: &&str) -> bool {
        *self.0 == **other
    }
}

/// An integer outside the `i64` range: a sign and a magnitude of
/// little-endian base-256 digits, as SMALL_BIG_EXT carries them.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BigInt {
    negative: bool,
    // Invariant: no trailing (most significant) zero digit, and the value
    // does not fit an i64 (else it is a `Term::Integer`).
    magnitude: Vec<u8>,
}

impl BigInt {
    /// Whether the integer is negative.
    pub fn is_negative(&self) -> bool {
        self.negative
    }

    /// The magnitude, as little-endian base-256 digits (no trailing zero).
    pub fn magnitude(&self) -> &[u8] {
        &self.magnitude
    }

    /// The value as an `i128`, if it fits.
    pub fn to_i128(&self) -> Option<i128> {
        let magnitude = self.to_u128_magnitude()?;
        if self.negative { 0i128.checked_sub_unsigned(magnitude) } else { i128::try_from(magnitude).ok() }
    }

    /// The value as a `u128`, if it fits.
    pub fn to_u128(&self) -> Option<u128> {
        if self.negative { None } else { self.to_u128_magnitude() }
    }

    fn to_u128_magnitude(&self) -> Option<u128> {
        let mut le = [0u8; 16];
        le.get_mut(..self.magnitude.len())?.copy_from_slice(&self.magnitude);
        Some(u128::from_le_bytes(le))
    }
}

/// The magnitude and sign of an integer, as `(negative, magnitude)`.
pub(crate) fn split_i128(value: i128) -> (bool, u128) {
    (value < 0, value.unsigned_abs())
}

impl Term {
    /// The atom with this text: `Term::atom("ok")`.
    pub fn atom(text: impl Into<Atom>) -> Term {
        Term::Atom(text.into())
    }

    /// A UTF-8 string, as a binary (Elixir's strings).
    pub fn string(text: &str) -> Term {
        Term::Binary(text.as_bytes().to_vec())
    }

    /// A binary.
    pub fn binary(bytes: impl Into<Vec<u8>>) -> Term {
        Term::Binary(bytes.into())
    }

    /// A tuple.
    pub fn tuple(elements: impl Into<Vec<Term>>) -> Term {
        Term::Tuple(elements.into())
    }

    /// A proper list.
    pub fn list(elements: impl Into<Vec<Term>>) -> Term {
        Term::List(elements.into())
    }

    /// A map of these pairs, sorted in Erlang's key order. A key given
    /// twice keeps its last value, as `maps:from_list/1`.
    pub fn map(pairs: impl IntoIterator<Item = (Term, Term)>) -> Term {
        let mut pairs: Vec<(Term, Term)> = pairs.into_iter().collect();
        // Stable: among equal keys the last given ends up last.
        pairs.sort_by(|a, b| a.0.erlang_cmp(&b.0));
        let mut unique: Vec<(Term, Term)> = Vec::with_capacity(pairs.len());
        for pair in pairs {
            match unique.last_mut() {
                Some(last) if last.0.erlang_cmp(&pair.0) == Ordering::Equal => *last = pair,
                _ => unique.push(pair),
            }
        }
        Term::Map(unique)
    }

    /// The integer with this sign and magnitude (little-endian base-256
    /// digits): a [`Term::Integer`] if it fits an `i64`, else a
    /// [`Term::BigInt`].
    pub fn from_magnitude(negative: bool, magnitude_le: &[u8]) -> Term {
        let digits = magnitude_le.iter().rposition(|&d| d != 0).map_or(0, |last| last + 1);
        let magnitude = &magnitude_le[..digits];
        if magnitude.len() <= 8 {
            let mut le = [0u8; 8];
            le[..magnitude.len()].copy_from_slice(magnitude);
            let value = u64::from_le_bytes(le);
            let fits = if negative { i64::try_from(0i128 - i128::from(value)).ok() } else { i64::try_from(value).ok() };
            if let Some(value) = fits {
                return Term::Integer(value);
            }
        }
        Term::BigInt(BigInt { negative, magnitude: magnitude.to_vec() })
    }

    /// The integer, if this is one that fits an `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Term::Integer(value) => Some(*value),
            _ => None,
        }
    }

    /// The integer, if this is one that fits an `i128`.
    pub fn as_i128(&self) -> Option<i128> {
        match self {
            Term::Integer(value) => Some(i128::from(*value)),
            Term::BigInt(big) => big.to_i128(),
            _ => None,
        }
    }

    /// The atom's text, if this is an atom.
    pub fn as_atom(&self) -> Option<&str> {
        match self {
            Term::Atom(atom) => Some(atom.as_str()),
            _ => None,
        }
    }

    /// Whether this is the atom `name`.
    pub fn is_atom(&self, name: &str) -> bool {
        self.as_atom() == Some(name)
    }

    /// The bytes, if this is a binary.
    pub fn as_binary(&self) -> Option<&[u8]> {
        match self {
            Term::Binary(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The text, if this is a binary holding UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        core::str::from_utf8(self.as_binary()?).ok()
    }

    /// The elements, if this is a tuple.
    pub fn as_tuple(&self) -> Option<&[Term]> {
        match self {
            Term::Tuple(elements) => Some(elements),
            _ => None,
        }
    }

    /// The elements, if this is a proper list.
    pub fn as_list(&self) -> Option<&[Term]> {
        match self {
            Term::List(elements) => Some(elements),
            _ => None,
        }
    }

    /// The value under `key`, if this is a map that has it.
    pub fn map_get(&self, key: &Term) -> Option<&Term> {
        match self {
            Term::Map(pairs) => pairs.iter().find(|(k, _)| k.erlang_cmp(key) == Ordering::Equal).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Compares two terms in Erlang's term order, as map keys are sorted:
    /// number < atom < reference < pid < tuple < map < `[]` < list <
    /// binary, with every integer before every float (so `1` and `1.0` are
    /// different keys, as in maps).
    pub fn erlang_cmp(&self, other: &Term) -> Ordering {
        crate::order::cmp(self, other)
    }
}

macro_rules! from_small_int {
    ($($ty:ty),*) => {$(
        impl From<$ty> for Term {
            fn from(value: $ty) -> Term {
                Term::Integer(i64::from(value))
            }
        }
    )*};
}

from_small_int!(i8, i16, i32, i64, u8, u16, u32);

impl From<u64> for Term {
    fn from(value: u64) -> Term {
        Term::from_magnitude(false, &value.to_le_bytes())
    }
}

impl From<i128> for Term {
    fn from(value: i128) -> Term {
        let (negative, magnitude) = split_i128(value);
        Term::from_magnitude(negative, &magnitude.to_le_bytes())
    }
}

impl From<u128> for Term {
    fn from(value: u128) -> Term {
        Term::from_magnitude(false, &value.to_le_bytes())
    }
}

impl From<f64> for Term {
    fn from(value: f64) -> Term {
        Term::Float(value)
    }
}

/// `true` and `false` are atoms.
impl From<bool> for Term {
    fn from(value: bool) -> Term {
        Term::Atom(if value { Atom::TRUE } else { Atom::FALSE })
    }
}

/// Strings are binaries.
impl From<&str> for Term {
    fn from(text: &str) -> Term {
        Term::string(text)
    }
}

/// Strings are binaries.
impl From<String> for Term {
    fn from(text: String) -> Term {
        Term::Binary(text.into_bytes())
    }
}

impl From<Atom> for Term {
    fn from(atom: Atom) -> Term {
        Term::Atom(atom)
    }
}

impl From<Pid> for Term {
    fn from(pid: Pid) -> Term {
        Term::Pid(pid)
    }
}

impl From<Reference> for Term {
    fn from(reference: Reference) -> Term {
        Term::Reference(reference)
    }
}
