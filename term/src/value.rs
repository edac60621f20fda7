//! `Serialize` and `Deserialize` for [`Term`], [`Atom`] and [`BigInt`]:
//! exact through this crate's serializer and deserializer, and a natural
//! shape in any other serde format.

use crate::decode::{Reader, atom};
use crate::term::{Atom, BigInt, Term};
use crate::token;
use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{self, SerializeMap, SerializeSeq, SerializeTuple, Serializer};
use serde::{Deserialize, Serialize};

/// Bytes that serialize with `serialize_bytes`.
struct Bytes<'a>(&'a [u8]);

impl Serialize for Bytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

/// Exactly the term through this crate's serializer ([`crate::to_vec`]
/// of a `Term` equals [`crate::encode`]); in other formats: integers,
/// floats, atoms as strings, UTF-8 binaries as strings and others as
/// bytes, tuples and lists as sequences, maps as maps, pids and references
/// as the tuples of their fields.
impl Serialize for Term {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Term::Integer(value) => serializer.serialize_i64(*value),
            Term::BigInt(big) => big.serialize(serializer),
            Term::Float(value) => serializer.serialize_f64(*value),
            Term::Atom(atom) => atom.serialize(serializer),
            Term::Binary(bytes) => match core::str::from_utf8(bytes) {
                Ok(text) => serializer.serialize_str(text),
                Err(_) => serializer.serialize_bytes(bytes),
            },
            Term::Tuple(elements) => {
                let mut tuple = serializer.serialize_tuple(elements.len())?;
                for element in elements {
                    tuple.serialize_element(element)?;
                }
                tuple.end()
            }
            Term::List(elements) => {
                let mut seq = serializer.serialize_seq(Some(elements.len()))?;
                for element in elements {
                    seq.serialize_element(element)?;
                }
                seq.end()
            }
            Term::ImproperList(..) => {
                // No serde shape: the encoded bytes, which this crate's
                // serializer copies as they are.
                let bytes = crate::encode(self).map_err(ser::Error::custom)?;
                serializer.serialize_newtype_struct(token::ENCODED, &Bytes(&bytes))
            }
            Term::Map(pairs) => {
                let mut map = serializer.serialize_map(Some(pairs.len()))?;
                for (key, value) in pairs {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
            Term::Pid(pid) => pid.serialize(serializer),
            Term::Reference(reference) => reference.serialize(serializer),
        }
    }
}

/// Any term through this crate's deserializer (its bytes are decoded as
/// [`crate::decode`] does); from other self-describing formats, the
/// natural term: strings become binaries, `null` / unit the atom `nil`,
/// booleans atoms, sequences lists.
impl<'de> Deserialize<'de> for Term {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Term, D::Error> {
        deserializer.deserialize_newtype_struct(token::TERM, TermVisitor)
    }
}

struct TermVisitor;

impl<'de> Visitor<'de> for TermVisitor {
    type Value = Term;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any term")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Term, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Term, E> {
        Ok(Term::from(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Term, E> {
        Ok(Term::Integer(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Term, E> {
        Ok(Term::from(v))
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Term, E> {
        Ok(Term::from(v))
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Term, E> {
        Ok(Term::from(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Term, E> {
        Ok(Term::Float(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Term, E> {
        Ok(Term::string(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Term, E> {
        Ok(Term::from(v))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Term, E> {
        Ok(Term::binary(v))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Term, E> {
        Ok(Term::Binary(v))
    }

    fn visit_none<E: de::Error>(self) -> Result<Term, E> {
        Ok(Term::Atom(Atom::NIL))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Term, E> {
        Ok(Term::Atom(Atom::NIL))
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Term, D::Error> {
        Term::deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Term, A::Error> {
        // size_hint is capped by this crate's deserializer; cap it for
        // others too.
        let mut elements = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(element) = seq.next_element()? {
            elements.push(element);
        }
        Ok(Term::List(elements))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Term, A::Error> {
        let Some(first) = map.next_key::<Term>()? else { return Ok(Term::Map(Vec::new())) };
        if first.as_binary() == Some(token::TERM_KEY.as_bytes()) {
            // This crate's deserializer: the term's own bytes.
            return map.next_value_seed(DecodeSeed);
        }
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096) + 1);
        pairs.push((first, map.next_value()?));
        while let Some(pair) = map.next_entry()? {
            pairs.push(pair);
        }
        Ok(Term::map(pairs))
    }
}

/// Decodes a term's bytes handed over by this crate's deserializer.
struct DecodeSeed;

impl<'de> DeserializeSeed<'de> for DecodeSeed {
    type Value = Term;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Term, D::Error> {
        deserializer.deserialize_bytes(self)
    }
}

impl<'de> Visitor<'de> for DecodeSeed {
    type Value = Term;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an encoded term")
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Term, E> {
        // Checked by the deserializer already (it skipped over them as
        // decoding reads them), so this does not fail for its bytes.
        let mut reader = Reader::new(v);
        let term = reader.term(0).map_err(de::Error::custom)?;
        reader.finish().map_err(de::Error::custom)?;
        Ok(term)
    }
}

/// An atom through this crate's serializer; a string in other formats.
impl Serialize for Atom {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(token::ATOM, self.as_str())
    }
}

/// An atom from this crate's deserializer; a string from other formats.
impl<'de> Deserialize<'de> for Atom {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Atom, D::Error> {
        deserializer.deserialize_newtype_struct(token::ATOM, AtomVisitor)
    }
}

struct AtomVisitor;

impl<'de> Visitor<'de> for AtomVisitor {
    type Value = Atom;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an atom")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Atom, D::Error> {
        deserializer.deserialize_str(self)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Atom, E> {
        Ok(atom(Cow::Borrowed(v)))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Atom, E> {
        Ok(atom(Cow::Owned(v)))
    }
}

/// A big integer through this crate's serializer; other formats see a
/// newtype struct around `(negative, magnitude bytes little-endian)`.
impl Serialize for BigInt {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(token::BIG_INT, &(self.is_negative(), Bytes(self.magnitude())))
    }
}
