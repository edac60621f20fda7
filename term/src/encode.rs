//! [`encode`]: a [`Term`] to bytes, exactly as Erlang/OTP 25's
//! `term_to_binary/1` writes it; and the writers of each tag, which the
//! serde serializer shares.

use crate::error::{Error, Result};
use crate::pid::{Pid, Reference};
use crate::tag::*;
use crate::term::Term;
use alloc::vec::Vec;
use core::cmp::Ordering;

/// The bytes of `term` (version byte first), as `term_to_binary/1` of
/// Erlang/OTP 25 gives them: the smallest integer tag, NEW_FLOAT_EXT,
/// ATOM_EXT for Latin-1 atoms and SMALL_ATOM_UTF8_EXT / ATOM_UTF8_EXT for
/// the others, STRING_EXT for non-empty lists of at most 65535 integers
/// `0..=255`, and map keys in Erlang's term order (Erlang itself uses that
/// order for maps of at most 32 keys; a larger map's keys come in its
/// hash order there, which decodes to the same map).
///
/// Errors: a float that is NaN or infinite, an atom longer than 255
/// characters, a map with a duplicate key, a binary, list, tuple or map
/// longer than `u32::MAX`.
///
/// ```
/// use warren_term::{Term, encode};
///
/// let term = Term::tuple([Term::atom("ok"), Term::from(1)]);
/// assert_eq!(encode(&term)?, [131, 104, 2, 100, 0, 2, b'o', b'k', 97, 1]);
/// # Ok::<(), warren_term::Error>(())
/// ```
pub fn encode(term: &Term) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    encode_into(term, &mut out)?;
    Ok(out)
}

/// Appends the bytes of `term` (version byte first) to `out`; see
/// [`encode`]. On error `out` may hold part of the term.
pub fn encode_into(term: &Term, out: &mut Vec<u8>) -> Result<()> {
    out.push(VERSION);
    write_term(out, term)
}

pub(crate) fn write_term(out: &mut Vec<u8>, term: &Term) -> Result<()> {
    match term {
        Term::Integer(value) => write_i64(out, *value),
        Term::BigInt(big) => write_integer(out, big.is_negative(), big.magnitude())?,
        Term::Float(value) => write_float(out, *value)?,
        Term::Atom(atom) => write_atom(out, atom)?,
        Term::Binary(bytes) => write_binary(out, bytes)?,
        Term::Tuple(elements) => {
            write_tuple_header(out, elements.len())?;
            for element in elements {
                write_term(out, element)?;
            }
        }
        Term::List(elements) => write_list(out, elements.iter(), None)?,
        Term::ImproperList(elements, tail) => {
            // Flatten `[a | [b | c]]` to `[a, b | c]`, as Erlang holds it.
            let mut all: Vec<&Term> = elements.iter().collect();
            let mut tail: &Term = tail;
            loop {
                match tail {
                    Term::List(more) => {
                        all.extend(more);
                        return write_list(out, all.into_iter(), None);
                    }
                    Term::ImproperList(more, next) => {
                        all.extend(more);
                        tail = next;
                    }
                    _ => return write_list(out, all.into_iter(), Some(tail)),
                }
            }
        }
        Term::Map(pairs) => {
            write_length(out, MAP_EXT, pairs.len())?;
            let mut order: Vec<&(Term, Term)> = pairs.iter().collect();
            order.sort_by(|a, b| a.0.erlang_cmp(&b.0));
            if order.windows(2).any(|w| w[0].0.erlang_cmp(&w[1].0) == Ordering::Equal) {
                return Err(Error::unencodable("a map with a duplicate key"));
            }
            for (key, value) in order {
                write_term(out, key)?;
                write_term(out, value)?;
            }
        }
        Term::Pid(pid) => write_pid(out, pid)?,
        Term::Reference(reference) => write_reference(out, reference)?,
    }
    Ok(())
}

/// A list of `elements` and `tail` (`None`: proper). Erlang writes a
/// proper list of at most 65535 integers `0..=255` as STRING_EXT.
fn write_list<'a>(
    out: &mut Vec<u8>,
    elements: impl ExactSizeIterator<Item = &'a Term> + Clone,
    tail: Option<&Term>,
) -> Result<()> {
    let len = elements.len();
    if len == 0 {
        match tail {
            Some(tail) => return write_term(out, tail),
            None => {
                out.push(NIL_EXT);
                return Ok(());
            }
        }
    }
    let small = |term: &Term| matches!(term, Term::Integer(0..=255));
    if tail.is_none() && len <= usize::from(u16::MAX) && elements.clone().all(small) {
        out.push(STRING_EXT);
        out.extend_from_slice(&(len as u16).to_be_bytes());
        // Each is an integer 0..=255 (checked above).
        out.extend(elements.filter_map(Term::as_i64).map(|byte| byte as u8));
        return Ok(());
    }
    write_length(out, LIST_EXT, len)?;
    for element in elements {
        write_term(out, element)?;
    }
    match tail {
        Some(tail) => write_term(out, tail),
        None => {
            out.push(NIL_EXT);
            Ok(())
        }
    }
}

/// `tag` and a 4-byte length.
pub(crate) fn write_length(out: &mut Vec<u8>, tag: u8, len: usize) -> Result<()> {
    let len = u32::try_from(len).map_err(|_| Error::unencodable("a term longer than u32::MAX"))?;
    out.push(tag);
    out.extend_from_slice(&len.to_be_bytes());
    Ok(())
}

/// An integer, in the smallest of SMALL_INTEGER_EXT, INTEGER_EXT and
/// SMALL_BIG_EXT.
pub(crate) fn write_i64(out: &mut Vec<u8>, value: i64) {
    if let Ok(byte) = u8::try_from(value) {
        out.extend_from_slice(&[SMALL_INTEGER_EXT, byte]);
    } else if let Ok(word) = i32::try_from(value) {
        out.push(INTEGER_EXT);
        out.extend_from_slice(&word.to_be_bytes());
    } else {
        write_big(out, value < 0, &value.unsigned_abs().to_le_bytes());
    }
}

/// An integer given by sign and magnitude (little-endian digits, trailing
/// zeros allowed), in the smallest tag that holds it.
pub(crate) fn write_integer(out: &mut Vec<u8>, negative: bool, magnitude_le: &[u8]) -> Result<()> {
    let digits = magnitude_le.iter().rposition(|&d| d != 0).map_or(0, |last| last + 1);
    let magnitude = &magnitude_le[..digits];
    if magnitude.len() <= 4 {
        let mut le = [0u8; 8];
        le[..magnitude.len()].copy_from_slice(magnitude);
        let value = i64::from_le_bytes(le); // < 2^32, so positive
        write_i64(out, if negative { -value } else { value });
        return Ok(());
    }
    if u32::try_from(magnitude.len()).is_err() {
        return Err(Error::unencodable("an integer of more than u32::MAX bytes"));
    }
    write_big(out, negative, magnitude);
    Ok(())
}

/// SMALL_BIG_EXT or LARGE_BIG_EXT of a magnitude that holds at least 5
/// digits after trimming (the caller checked it is outside `i32`), and at
/// most `u32::MAX`.
fn write_big(out: &mut Vec<u8>, negative: bool, magnitude_le: &[u8]) {
    let digits = magnitude_le.iter().rposition(|&d| d != 0).map_or(0, |last| last + 1);
    let magnitude = &magnitude_le[..digits];
    match u8::try_from(magnitude.len()) {
        Ok(n) => out.extend_from_slice(&[SMALL_BIG_EXT, n]),
        Err(_) => {
            out.push(LARGE_BIG_EXT);
            out.extend_from_slice(&(magnitude.len() as u32).to_be_bytes());
        }
    }
    out.push(u8::from(negative));
    out.extend_from_slice(magnitude);
}

/// NEW_FLOAT_EXT; Erlang has no NaN or infinity.
pub(crate) fn write_float(out: &mut Vec<u8>, value: f64) -> Result<()> {
    if !value.is_finite() {
        return Err(Error::unencodable("a float that is NaN or infinite"));
    }
    out.push(NEW_FLOAT_EXT);
    out.extend_from_slice(&value.to_bits().to_be_bytes());
    Ok(())
}

/// Longest atom, in characters (Erlang's limit).
pub(crate) const MAX_ATOM_CHARS: usize = 255;

/// An atom as OTP 25 writes it: ATOM_EXT with Latin-1 text when every
/// character is Latin-1, else SMALL_ATOM_UTF8_EXT (ATOM_UTF8_EXT past 255
/// bytes).
pub(crate) fn write_atom(out: &mut Vec<u8>, text: &str) -> Result<()> {
    if text.is_ascii() {
        // The common case: Latin-1 and UTF-8 agree, the length is the count.
        if text.len() > MAX_ATOM_CHARS {
            return Err(Error::unencodable("an atom longer than 255 characters"));
        }
        out.extend_from_slice(&[ATOM_EXT, 0, text.len() as u8]);
        out.extend_from_slice(text.as_bytes());
        return Ok(());
    }
    let chars = text.chars().count();
    if chars > MAX_ATOM_CHARS {
        return Err(Error::unencodable("an atom longer than 255 characters"));
    }
    if text.chars().all(|c| u32::from(c) <= 0xFF) {
        out.extend_from_slice(&[ATOM_EXT, 0, chars as u8]);
        // Latin-1: each character is one byte (checked above).
        out.extend(text.chars().map(|c| u32::from(c) as u8));
    } else if let Ok(len) = u8::try_from(text.len()) {
        out.extend_from_slice(&[SMALL_ATOM_UTF8_EXT, len]);
        out.extend_from_slice(text.as_bytes());
    } else {
        // At most 255 characters of at most 4 bytes: fits a u16.
        out.push(ATOM_UTF8_EXT);
        out.extend_from_slice(&(text.len() as u16).to_be_bytes());
        out.extend_from_slice(text.as_bytes());
    }
    Ok(())
}

/// BINARY_EXT.
pub(crate) fn write_binary(out: &mut Vec<u8>, bytes: &[u8]) -> Result<()> {
    write_length(out, BINARY_EXT, bytes.len())?;
    out.extend_from_slice(bytes);
    Ok(())
}

/// SMALL_TUPLE_EXT or LARGE_TUPLE_EXT header.
pub(crate) fn write_tuple_header(out: &mut Vec<u8>, arity: usize) -> Result<()> {
    match u8::try_from(arity) {
        Ok(arity) => {
            out.extend_from_slice(&[SMALL_TUPLE_EXT, arity]);
            Ok(())
        }
        Err(_) => write_length(out, LARGE_TUPLE_EXT, arity),
    }
}

/// NEW_PID_EXT.
pub(crate) fn write_pid(out: &mut Vec<u8>, pid: &Pid) -> Result<()> {
    out.push(NEW_PID_EXT);
    write_atom(out, pid.node())?;
    out.extend_from_slice(&pid.id().to_be_bytes());
    out.extend_from_slice(&pid.serial().to_be_bytes());
    out.extend_from_slice(&pid.creation().to_be_bytes());
    Ok(())
}

/// NEWER_REFERENCE_EXT.
pub(crate) fn write_reference(out: &mut Vec<u8>, reference: &Reference) -> Result<()> {
    let words = reference.words();
    out.push(NEWER_REFERENCE_EXT);
    // At most Reference::MAX_WORDS words.
    out.extend_from_slice(&(words.len() as u16).to_be_bytes());
    write_atom(out, reference.node())?;
    out.extend_from_slice(&reference.creation().to_be_bytes());
    for word in words {
        out.extend_from_slice(&word.to_be_bytes());
    }
    Ok(())
}
