//! [`decode`]: bytes to a [`Term`]; and the [`Reader`] of each tag, which
//! the serde deserializer shares.
//!
//! Untrusted input never panics and never makes this allocate more than a
//! small multiple of its own length: a length field only reserves as many
//! elements as the bytes left could hold. Containers nest at most
//! [`MAX_DEPTH`] deep, so hostile input cannot overflow the stack.

use crate::error::{Error, ErrorKind, Result};
use crate::pid::{LOCAL_NODE, Pid, Reference};
use crate::tag::{self, *};
use crate::term::{Atom, Term};
use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;

/// How deep containers (tuples, lists, maps, and list tails) may nest in
/// decoded input: 128 levels, as serde_json's default. Deeper input is an
/// error ([`ErrorKind::TooDeep`]), not a stack overflow.
pub const MAX_DEPTH: usize = 128;

/// The term in `bytes` (version byte first, nothing after the term).
///
/// Accepts every tag Erlang writes for integers, floats (NEW_FLOAT_EXT and
/// the old FLOAT_EXT), atoms (all four tags), tuples, lists (STRING_EXT
/// too), binaries, maps, pids (NEW_PID_EXT, PID_EXT) and references
/// (NEWER_REFERENCE_EXT, NEW_REFERENCE_EXT, REFERENCE_EXT). Compressed
/// terms, bitstrings, funs and ports are errors.
///
/// ```
/// use warren_term::{Term, decode};
///
/// let term = decode(&[131, 104, 2, 100, 0, 2, b'o', b'k', 97, 1])?;
/// assert_eq!(term, Term::tuple([Term::atom("ok"), Term::from(1)]));
/// assert_eq!(term.to_string(), "{ok,1}");
/// # Ok::<(), warren_term::Error>(())
/// ```
pub fn decode(bytes: &[u8]) -> Result<Term> {
    let mut reader = Reader::new(bytes);
    reader.version()?;
    let term = reader.term(0)?;
    reader.finish()?;
    Ok(term)
}

/// An integer as read: small, or a big one's sign and magnitude digits.
pub(crate) enum Int<'a> {
    Small(i64),
    Big { negative: bool, magnitude: &'a [u8] },
}

/// The parts of a pid as read.
pub(crate) struct PidParts<'a> {
    pub node: Cow<'a, str>,
    pub id: u32,
    pub serial: u32,
    pub creation: u32,
}

/// The parts of a reference as read.
pub(crate) struct RefParts<'a> {
    pub node: Cow<'a, str>,
    pub creation: u32,
    pub len: usize,
    pub words: [u32; Reference::MAX_WORDS],
}

/// A cursor over encoded bytes. Every read checks the bytes left; errors
/// name the offset of the term or field at fault.
pub(crate) struct Reader<'a> {
    pub bytes: &'a [u8],
    pub pos: usize,
    /// [`MAX_DEPTH`] for input; unbounded for bytes this crate wrote
    /// itself (the serializer re-reads its output to sort map keys).
    pub max_depth: usize,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0, max_depth: MAX_DEPTH }
    }

    /// A reader of bytes this crate wrote itself: no depth limit (the
    /// serializer already recursed that deep to write them).
    pub fn trusted(bytes: &'a [u8]) -> Reader<'a> {
        Reader { bytes, pos: 0, max_depth: usize::MAX }
    }

    pub fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    pub fn peek(&self) -> Result<u8> {
        self.bytes.get(self.pos).copied().ok_or_else(|| Error::at(ErrorKind::Eof, self.pos))
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&end| end <= self.bytes.len());
        let end = end.ok_or_else(|| Error::at(ErrorKind::Eof, self.pos))?;
        let bytes = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut array = [0; N];
        array.copy_from_slice(self.take(N)?);
        Ok(array)
    }

    pub fn u8(&mut self) -> Result<u8> {
        let byte = self.peek()?;
        self.pos += 1;
        Ok(byte)
    }

    pub fn u16(&mut self) -> Result<u16> {
        self.array().map(u16::from_be_bytes)
    }

    pub fn u32(&mut self) -> Result<u32> {
        self.array().map(u32::from_be_bytes)
    }

    /// A 4-byte length, as a `usize`.
    pub fn len32(&mut self) -> Result<usize> {
        // u32 fits usize on every target this crate builds for (32 and
        // 64 bits); saturate rather than assume.
        self.u32().map(|n| usize::try_from(n).unwrap_or(usize::MAX))
    }

    /// The version byte.
    pub fn version(&mut self) -> Result<()> {
        match self.u8()? {
            VERSION => Ok(()),
            COMPRESSED => Err(Error::at(ErrorKind::Compressed, 0)),
            other => Err(Error::at(ErrorKind::BadVersion(other), 0)),
        }
    }

    /// Nothing may follow the term.
    pub fn finish(&self) -> Result<()> {
        if self.pos == self.bytes.len() { Ok(()) } else { Err(Error::at(ErrorKind::TrailingBytes, self.pos)) }
    }

    /// An error for tag `tag` read at `at`, where `expected` was wanted.
    pub fn unexpected(tag: u8, expected: &'static str, at: usize) -> Error {
        match tag::name(tag) {
            "an unknown tag" | "a port" | "a fun" | "a bitstring" | "an atom cache reference" | "a LOCAL_EXT term" => {
                Error::at(ErrorKind::UnsupportedTag(tag), at)
            }
            "a compressed term" => Error::at(ErrorKind::Compressed, at),
            found => Error::expected(expected, found, at),
        }
    }

    /// The bytes of an atom whose tag (at `at`) was just read, unchecked,
    /// and whether they are Latin-1 (else UTF-8). [`Reader::atom_body`]
    /// checks them.
    pub fn atom_bytes(&mut self, tag: u8, at: usize) -> Result<(&'a [u8], bool)> {
        let (len, latin1) = match tag {
            ATOM_EXT => (usize::from(self.u16()?), true),
            SMALL_ATOM_EXT => (usize::from(self.u8()?), true),
            ATOM_UTF8_EXT => (usize::from(self.u16()?), false),
            SMALL_ATOM_UTF8_EXT => (usize::from(self.u8()?), false),
            _ => return Err(Reader::unexpected(tag, "an atom", at)),
        };
        Ok((self.take(len)?, latin1))
    }

    /// The body of an atom whose tag (at `at`) was just read.
    pub fn atom_body(&mut self, tag: u8, at: usize) -> Result<Cow<'a, str>> {
        let (bytes, latin1) = self.atom_bytes(tag, at)?;
        let len = bytes.len();
        let text = if latin1 {
            if bytes.is_ascii() {
                // ASCII is valid UTF-8 (checked just above).
                Cow::Borrowed(core::str::from_utf8(bytes).map_err(|_| Error::invalid("atom text", at))?)
            } else {
                Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect::<String>())
            }
        } else {
            Cow::Borrowed(core::str::from_utf8(bytes).map_err(|_| Error::invalid("atom text is not UTF-8", at))?)
        };
        let chars = if latin1 { len } else { text.chars().count() };
        if chars > crate::encode::MAX_ATOM_CHARS {
            return Err(Error::invalid("an atom longer than 255 characters", at));
        }
        Ok(text)
    }

    /// An atom (tag and body).
    pub fn atom(&mut self) -> Result<Cow<'a, str>> {
        let at = self.pos;
        let tag = self.u8()?;
        self.atom_body(tag, at)
    }

    /// The body of an integer whose tag (at `at`) was just read.
    pub fn integer_body(&mut self, tag: u8, at: usize) -> Result<Int<'a>> {
        let n = match tag {
            SMALL_INTEGER_EXT => return Ok(Int::Small(i64::from(self.u8()?))),
            INTEGER_EXT => return Ok(Int::Small(i64::from(self.u32()? as i32))),
            SMALL_BIG_EXT => usize::from(self.u8()?),
            LARGE_BIG_EXT => self.len32()?,
            _ => return Err(Reader::unexpected(tag, "an integer", at)),
        };
        let negative = match self.u8()? {
            0 => false,
            1 => true,
            _ => return Err(Error::invalid("a big integer's sign byte is neither 0 nor 1", at)),
        };
        let digits = self.take(n)?;
        let magnitude = &digits[..digits.iter().rposition(|&d| d != 0).map_or(0, |last| last + 1)];
        if magnitude.len() <= 8 {
            let mut le = [0u8; 8];
            le[..magnitude.len()].copy_from_slice(magnitude);
            let value = u64::from_le_bytes(le);
            let small = if negative { i64::try_from(-i128::from(value)).ok() } else { i64::try_from(value).ok() };
            if let Some(value) = small {
                return Ok(Int::Small(value));
            }
        }
        Ok(Int::Big { negative, magnitude })
    }

    /// The body of a float whose tag (at `at`) was just read.
    pub fn float_body(&mut self, tag: u8, at: usize) -> Result<f64> {
        let value = match tag {
            NEW_FLOAT_EXT => f64::from_bits(u64::from_be_bytes(self.array()?)),
            FLOAT_EXT => {
                // "%.20e" padded with NULs to 31 bytes.
                let text = self.take(31)?;
                let end = text.iter().position(|&b| b == 0).unwrap_or(text.len());
                let text = core::str::from_utf8(&text[..end]).map_err(|_| Error::invalid("FLOAT_EXT text", at))?;
                // ASCII whitespace only: `str::trim` would bring core's
                // Unicode whitespace table into every guest.
                crate::float_text::parse(text.trim_ascii())
                    .ok_or_else(|| Error::invalid("FLOAT_EXT text is not a float", at))?
            }
            _ => return Err(Reader::unexpected(tag, "a float", at)),
        };
        if !value.is_finite() {
            return Err(Error::invalid("a float that is NaN or infinite", at));
        }
        Ok(value)
    }

    /// The body of a pid whose tag (at `at`) was just read.
    pub fn pid_body(&mut self, tag: u8, at: usize) -> Result<PidParts<'a>> {
        if tag != NEW_PID_EXT && tag != PID_EXT {
            return Err(Reader::unexpected(tag, "a pid", at));
        }
        let node = self.atom()?;
        let id = self.u32()?;
        let serial = self.u32()?;
        let creation = if tag == NEW_PID_EXT { self.u32()? } else { u32::from(self.u8()?) };
        Ok(PidParts { node, id, serial, creation })
    }

    /// The body of a reference whose tag (at `at`) was just read.
    pub fn reference_body(&mut self, tag: u8, at: usize) -> Result<RefParts<'a>> {
        let mut words = [0; Reference::MAX_WORDS];
        if tag == REFERENCE_EXT {
            let node = self.atom()?;
            words[0] = self.u32()?;
            let creation = u32::from(self.u8()?);
            return Ok(RefParts { node, creation, len: 1, words });
        }
        if tag != NEWER_REFERENCE_EXT && tag != NEW_REFERENCE_EXT {
            return Err(Reader::unexpected(tag, "a reference", at));
        }
        let len = usize::from(self.u16()?);
        if len == 0 || len > Reference::MAX_WORDS {
            return Err(Error::invalid("a reference of no word or more than 5", at));
        }
        let node = self.atom()?;
        let creation = if tag == NEWER_REFERENCE_EXT { self.u32()? } else { u32::from(self.u8()?) };
        for word in &mut words[..len] {
            *word = self.u32()?;
        }
        Ok(RefParts { node, creation, len, words })
    }

    /// Checks that containers may nest one level below `depth`.
    pub fn nest(&self, depth: usize) -> Result<usize> {
        if depth >= self.max_depth { Err(Error::at(ErrorKind::TooDeep, self.pos)) } else { Ok(depth + 1) }
    }

    /// How many elements to reserve for a container of `len`, when each
    /// takes at least `min_size` bytes: never more than the bytes left
    /// could hold, so a forged length cannot make us allocate.
    pub fn capacity(&self, len: usize, min_size: usize) -> usize {
        len.min(self.remaining() / min_size)
    }

    /// A term, `depth` containers deep.
    pub fn term(&mut self, depth: usize) -> Result<Term> {
        let at = self.pos;
        let tag = self.u8()?;
        Ok(match tag {
            SMALL_INTEGER_EXT | INTEGER_EXT | SMALL_BIG_EXT | LARGE_BIG_EXT => match self.integer_body(tag, at)? {
                Int::Small(value) => Term::Integer(value),
                Int::Big { negative, magnitude } => Term::from_magnitude(negative, magnitude),
            },
            NEW_FLOAT_EXT | FLOAT_EXT => Term::Float(self.float_body(tag, at)?),
            ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT => {
                Term::Atom(atom(self.atom_body(tag, at)?))
            }
            SMALL_TUPLE_EXT | LARGE_TUPLE_EXT => {
                let arity = if tag == SMALL_TUPLE_EXT { usize::from(self.u8()?) } else { self.len32()? };
                let depth = self.nest(depth)?;
                let mut elements = Vec::with_capacity(self.capacity(arity, 1));
                for _ in 0..arity {
                    elements.push(self.term(depth)?);
                }
                Term::Tuple(elements)
            }
            NIL_EXT => Term::List(Vec::new()),
            STRING_EXT => {
                let len = usize::from(self.u16()?);
                Term::List(self.take(len)?.iter().map(|&b| Term::Integer(i64::from(b))).collect())
            }
            LIST_EXT => {
                let len = self.len32()?;
                let depth = self.nest(depth)?;
                let mut elements = Vec::with_capacity(self.capacity(len, 1));
                for _ in 0..len {
                    elements.push(self.term(depth)?);
                }
                // Flatten a tail that is a list, as Erlang holds it.
                match self.term(depth)? {
                    Term::List(tail) => {
                        elements.extend(tail);
                        Term::List(elements)
                    }
                    Term::ImproperList(more, tail) => {
                        elements.extend(more);
                        Term::ImproperList(elements, tail)
                    }
                    tail if elements.is_empty() => tail,
                    tail => Term::ImproperList(elements, alloc::boxed::Box::new(tail)),
                }
            }
            BINARY_EXT => {
                let len = self.len32()?;
                Term::Binary(self.take(len)?.to_vec())
            }
            MAP_EXT => {
                let arity = self.len32()?;
                let depth = self.nest(depth)?;
                let mut pairs = Vec::with_capacity(self.capacity(arity, 2));
                for _ in 0..arity {
                    let key = self.term(depth)?;
                    pairs.push((key, self.term(depth)?));
                }
                // Erlang writes small maps sorted; larger ones in hash order.
                if !pairs.windows(2).all(|w| w[0].0.erlang_cmp(&w[1].0) == Ordering::Less) {
                    pairs.sort_by(|a, b| a.0.erlang_cmp(&b.0));
                    if pairs.windows(2).any(|w| w[0].0.erlang_cmp(&w[1].0) == Ordering::Equal) {
                        return Err(Error::invalid("a map with a duplicate key", at));
                    }
                }
                Term::Map(pairs)
            }
            NEW_PID_EXT | PID_EXT => {
                let parts = self.pid_body(tag, at)?;
                Term::Pid(Pid::new(atom(parts.node), parts.id, parts.serial, parts.creation))
            }
            NEWER_REFERENCE_EXT | NEW_REFERENCE_EXT | REFERENCE_EXT => {
                let parts = self.reference_body(tag, at)?;
                // 1..=5 words (checked by reference_body).
                let reference = Reference::new(atom(parts.node), parts.creation, &parts.words[..parts.len]);
                Term::Reference(reference.ok_or_else(|| Error::invalid("reference words", at))?)
            }
            _ => return Err(Reader::unexpected(tag, "a term", at)),
        })
    }

    /// Skips a term, `depth` containers deep, checking it as
    /// [`Reader::term`] would (so decoding the skipped bytes cannot fail).
    pub fn skip(&mut self, depth: usize) -> Result<()> {
        let at = self.pos;
        let tag = self.u8()?;
        match tag {
            SMALL_INTEGER_EXT | INTEGER_EXT | SMALL_BIG_EXT | LARGE_BIG_EXT => {
                self.integer_body(tag, at)?;
            }
            NEW_FLOAT_EXT | FLOAT_EXT => {
                self.float_body(tag, at)?;
            }
            ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT => {
                self.atom_body(tag, at)?;
            }
            SMALL_TUPLE_EXT | LARGE_TUPLE_EXT => {
                let arity = if tag == SMALL_TUPLE_EXT { usize::from(self.u8()?) } else { self.len32()? };
                let depth = self.nest(depth)?;
                for _ in 0..arity {
                    self.skip(depth)?;
                }
            }
            NIL_EXT => {}
            STRING_EXT => {
                let len = usize::from(self.u16()?);
                self.take(len)?;
            }
            LIST_EXT => {
                let len = self.len32()?;
                let depth = self.nest(depth)?;
                // The elements and the tail.
                for _ in 0..=len {
                    self.skip(depth)?;
                }
            }
            BINARY_EXT => {
                let len = self.len32()?;
                self.take(len)?;
            }
            MAP_EXT => {
                let arity = self.len32()?;
                let depth = self.nest(depth)?;
                // Key ranges, to refuse duplicate keys as decoding does.
                let mut keys = Vec::with_capacity(self.capacity(arity, 2));
                for _ in 0..arity {
                    let start = self.pos;
                    self.skip(depth)?;
                    let bytes: &'a [u8] = self.bytes;
                    keys.push(&bytes[start..self.pos]);
                    self.skip(depth)?;
                }
                if !keys.windows(2).all(|w| cmp_encoded(w[0], w[1]) == Ordering::Less) {
                    keys.sort_by(|a, b| cmp_encoded(a, b));
                    if keys.windows(2).any(|w| cmp_encoded(w[0], w[1]) == Ordering::Equal) {
                        return Err(Error::invalid("a map with a duplicate key", at));
                    }
                }
            }
            NEW_PID_EXT | PID_EXT => {
                self.pid_body(tag, at)?;
            }
            NEWER_REFERENCE_EXT | NEW_REFERENCE_EXT | REFERENCE_EXT => {
                self.reference_body(tag, at)?;
            }
            _ => return Err(Reader::unexpected(tag, "a term", at)),
        }
        Ok(())
    }
}

/// An atom from decoded text, without allocating for the node name of
/// local pids and the atoms every message has.
pub(crate) fn atom(text: Cow<'_, str>) -> Atom {
    const COMMON: [&str; 6] = [LOCAL_NODE, "nil", "true", "false", "ok", "error"];
    match COMMON.iter().find(|&&common| common == text) {
        Some(common) => Atom::from_static(common),
        None => Atom::from(text.into_owned()),
    }
}

/// Compares two encoded terms (no version byte, each exactly one valid
/// term) in Erlang's term order, as [`Term::erlang_cmp`] would compare
/// their decodings. Atoms of the same tag, binaries and small integers are
/// compared in place; anything else is decoded first.
pub(crate) fn cmp_encoded(a: &[u8], b: &[u8]) -> Ordering {
    let small = |bytes: &[u8]| -> Option<i64> {
        match *bytes {
            [SMALL_INTEGER_EXT, byte] => Some(i64::from(byte)),
            [INTEGER_EXT, b0, b1, b2, b3] => Some(i64::from(i32::from_be_bytes([b0, b1, b2, b3]))),
            _ => None,
        }
    };
    match (a.first(), b.first()) {
        // Same encoding of the text: Latin-1 byte order and UTF-8 byte
        // order are both code point order.
        (Some(&ATOM_EXT), Some(&ATOM_EXT)) => return a.get(3..).cmp(&b.get(3..)),
        (Some(&SMALL_ATOM_UTF8_EXT), Some(&SMALL_ATOM_UTF8_EXT)) => return a.get(2..).cmp(&b.get(2..)),
        (Some(&BINARY_EXT), Some(&BINARY_EXT)) => return a.get(5..).cmp(&b.get(5..)),
        _ => {}
    }
    if let (Some(x), Some(y)) = (small(a), small(b)) {
        return x.cmp(&y);
    }
    match (Reader::trusted(a).term(0), Reader::trusted(b).term(0)) {
        (Ok(x), Ok(y)) => x.erlang_cmp(&y),
        // Not reached for valid input; keep a total order regardless.
        _ => a.cmp(b),
    }
}
