//! The serde [`Deserializer`]: term bytes straight to Rust values, with no
//! [`crate::Term`] in between, borrowing `&str` and `&[u8]` from the input
//! where it can. The inverse of [`crate::ser`]'s mapping, a little more
//! lenient where Erlang has several spellings of one value (see the crate
//! docs).

use crate::decode::{Int, PidParts, Reader, RefParts};
use crate::error::{Error, ErrorKind, Result};
use crate::names::{is_ascii_snake_case_of, is_snake_case_of};
use crate::tag::*;
use crate::token;
use alloc::borrow::Cow;
use alloc::vec::Vec;
use serde::de::value::{BorrowedBytesDeserializer, BorrowedStrDeserializer, SeqDeserializer, StringDeserializer};
use serde::de::value::{U8Deserializer, U32Deserializer};
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

/// The value of type `T` in `bytes` (a whole term, version byte first).
/// `&str` and `&[u8]` fields borrow from `bytes` where the term holds them
/// as they are (binaries, UTF-8 atoms).
///
/// ```
/// use serde::Deserialize;
/// use warren_term::Term;
///
/// #[derive(Deserialize, Debug, PartialEq)]
/// enum Command<'a> { Stop, Put { key: &'a str, value: i64 } }
///
/// // {put, #{key => <<"a">>, value => 1}}, as Elixir's {:put, %{key: "a", value: 1}}
/// let put = Term::tuple([
///     Term::atom("put"),
///     Term::map([(Term::atom("key"), Term::string("a")), (Term::atom("value"), Term::from(1))]),
/// ]);
/// let bytes = warren_term::encode(&put)?;
/// assert_eq!(warren_term::from_slice::<Command>(&bytes)?, Command::Put { key: "a", value: 1 });
/// assert_eq!(warren_term::from_slice::<Command>(&warren_term::encode(&Term::atom("stop"))?)?, Command::Stop);
/// # Ok::<(), warren_term::Error>(())
/// ```
pub fn from_slice<'de, T: de::Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
    let mut reader = Reader::new(bytes);
    reader.version()?;
    let mut deserializer = Deserializer { reader, depth: 0 };
    let value = T::deserialize(&mut deserializer).map_err(|e| e.or_at(deserializer.reader.pos))?;
    deserializer.reader.finish()?;
    Ok(value)
}

/// A serde deserializer over one term's bytes; [`from_slice`] is the
/// usual entry point.
pub struct Deserializer<'de> {
    reader: Reader<'de>,
    depth: usize,
}

impl<'de> Deserializer<'de> {
    /// A deserializer of the term in `bytes` (version byte first). Call
    /// [`Deserializer::end`] after deserializing to refuse trailing bytes.
    pub fn from_slice(bytes: &'de [u8]) -> Result<Deserializer<'de>> {
        let mut reader = Reader::new(bytes);
        reader.version()?;
        Ok(Deserializer { reader, depth: 0 })
    }

    /// Checks that the whole input was read.
    pub fn end(&self) -> Result<()> {
        self.reader.finish()
    }

    /// Reads a tag: `(tag, its offset)`.
    fn tag(&mut self) -> Result<(u8, usize)> {
        let at = self.reader.pos;
        Ok((self.reader.u8()?, at))
    }

    /// An integer of type `T`, or an error naming `expected`.
    fn integer<T: TryFrom<i64> + TryFrom<i128>>(&mut self, expected: &'static str) -> Result<T> {
        let (tag, at) = self.tag()?;
        let value = match self.reader.integer_body(tag, at).map_err(|e| retarget(e, expected))? {
            // Most integers: no 128-bit arithmetic (emulated in a guest).
            Int::Small(value) => {
                return T::try_from(value).map_err(|_| Error::expected(expected, "an integer out of its range", at));
            }
            Int::Big { negative, magnitude } => big_to_i128(negative, magnitude)
                .ok_or_else(|| Error::expected(expected, "an integer out of its range", at))?,
        };
        T::try_from(value).map_err(|_| Error::expected(expected, "an integer out of its range", at))
    }

    /// An atom's text.
    fn atom_text(&mut self, expected: &'static str) -> Result<(Cow<'de, str>, usize)> {
        let (tag, at) = self.tag()?;
        let text = self.reader.atom_body(tag, at).map_err(|e| retarget(e, expected))?;
        Ok((text, at))
    }

    /// Whether the next term is the atom `nil` (read nothing).
    fn next_is_nil(&self) -> bool {
        let mut probe = Reader::new(self.reader.bytes);
        probe.pos = self.reader.pos;
        matches!(probe.atom().as_deref(), Ok("nil"))
    }

    /// Runs `f` one container deeper.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let saved = self.depth;
        self.depth = self.reader.nest(saved)?;
        let result = f(self);
        self.depth = saved;
        result
    }

    /// A sequence of `len` elements (tuple or list elements) to `visitor`;
    /// a list's tail follows when `list`. Every element must be read.
    fn visit_elements<V: Visitor<'de>>(&mut self, len: usize, list: bool, at: usize, visitor: V) -> Result<V::Value> {
        self.nested(|de| {
            let mut access = Elements { de, remaining: len };
            let value = visitor.visit_seq(&mut access).map_err(|e| e.or_at(at))?;
            if access.remaining != 0 {
                return Err(Error::expected("fewer elements", "a longer sequence", at));
            }
            if list {
                let tail = de.reader.pos;
                if de.reader.u8()? != NIL_EXT {
                    return Err(Error::expected("a proper list", "an improper list", tail));
                }
            }
            Ok(value)
        })
    }

    /// A tuple or list to `visitor` as a sequence (`tuples` and `lists`
    /// say which are accepted). Binaries and STRING_EXT read as sequences
    /// of bytes.
    fn sequence<V: Visitor<'de>>(&mut self, tuples: bool, expected: &'static str, visitor: V) -> Result<V::Value> {
        let (tag, at) = self.tag()?;
        match tag {
            SMALL_TUPLE_EXT | LARGE_TUPLE_EXT if tuples => {
                let arity =
                    if tag == SMALL_TUPLE_EXT { usize::from(self.reader.u8()?) } else { self.reader.len32()? };
                self.visit_elements(arity, false, at, visitor)
            }
            NIL_EXT => visitor.visit_seq(Bytes { bytes: &[] }),
            STRING_EXT => {
                let len = usize::from(self.reader.u16()?);
                visitor.visit_seq(Bytes { bytes: self.reader.take(len)? }).map_err(|e| e.or_at(at))
            }
            BINARY_EXT => {
                let len = self.reader.len32()?;
                visitor.visit_seq(Bytes { bytes: self.reader.take(len)? }).map_err(|e| e.or_at(at))
            }
            LIST_EXT => {
                let len = self.reader.len32()?;
                self.visit_elements(len, true, at, visitor)
            }
            _ => Err(Reader::unexpected(tag, expected, at)),
        }
    }

    /// A map to `visitor`; every entry must be read.
    fn map<V: Visitor<'de>>(&mut self, expected: &'static str, visitor: V) -> Result<V::Value> {
        let (tag, at) = self.tag()?;
        if tag != MAP_EXT {
            return Err(Reader::unexpected(tag, expected, at));
        }
        let arity = self.reader.len32()?;
        self.nested(|de| {
            let mut access = Entries { de, remaining: arity };
            let value = visitor.visit_map(&mut access).map_err(|e| e.or_at(at))?;
            if access.remaining != 0 {
                return Err(Error::expected("fewer map entries", "more", at));
            }
            Ok(value)
        })
    }

    /// The next term as a borrowed slice of its bytes (checked as decoding
    /// would check it).
    fn raw_term(&mut self) -> Result<&'de [u8]> {
        let start = self.reader.pos;
        self.reader.skip(self.depth)?;
        let bytes: &'de [u8] = self.reader.bytes;
        Ok(&bytes[start..self.reader.pos])
    }
}

/// An error about a tag, re-labelled with what the caller expected.
fn retarget(error: Error, expected: &'static str) -> Error {
    match error.kind() {
        ErrorKind::Expected { found, .. } => Error::expected(expected, found, error.offset().unwrap_or(0)),
        _ => error,
    }
}

/// A big integer's value, if it fits an `i128`.
fn big_to_i128(negative: bool, magnitude: &[u8]) -> Option<i128> {
    let mut le = [0u8; 16];
    le.get_mut(..magnitude.len())?.copy_from_slice(magnitude);
    let magnitude = u128::from_le_bytes(le);
    if negative { 0i128.checked_sub_unsigned(magnitude) } else { i128::try_from(magnitude).ok() }
}

/// A big integer's value, if it fits a `u128`.
fn big_to_u128(negative: bool, magnitude: &[u8]) -> Option<u128> {
    let mut le = [0u8; 16];
    le.get_mut(..magnitude.len())?.copy_from_slice(magnitude);
    (!negative).then(|| u128::from_le_bytes(le))
}

/// The variant (of `variants`, in order) that the ASCII atom `atom` names
/// as written or in snake_case, as the lookup by text would find it; `None`
/// when the atom is not ASCII, names none of them, or a name that is not
/// ASCII comes first (the lookup by text decides those).
fn variant_of_ascii_atom(atom: &[u8], variants: &'static [&'static str]) -> Option<&'static str> {
    if !atom.is_ascii() || atom.len() > crate::encode::MAX_ATOM_CHARS {
        return None;
    }
    // Atoms are usually the snake_case of names that start with a capital:
    // the first byte tells most names apart without a comparison.
    if let Some(name) = variants.iter().find(|v| v.as_bytes().first() == atom.first() && v.as_bytes() == atom) {
        return Some(name);
    }
    for name in variants {
        if !name.is_ascii() {
            return None;
        }
        if is_ascii_snake_case_of(atom, name) {
            return Some(name);
        }
    }
    None
}

/// Text to a visitor, borrowed when it can be.
fn visit_text<'de, V: Visitor<'de>>(text: Cow<'de, str>, visitor: V) -> Result<V::Value> {
    match text {
        Cow::Borrowed(text) => visitor.visit_borrowed_str(text),
        Cow::Owned(text) => visitor.visit_string(text),
    }
}

macro_rules! integer {
    ($($method:ident => $visit:ident: $ty:ty, $expected:literal;)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            let value: $ty = self.integer($expected)?;
            visitor.$visit(value)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = Error;

    fn is_human_readable(&self) -> bool {
        false
    }

    /// Any term, as its natural serde shape: integers, floats, `true` /
    /// `false` as booleans, `nil` as unit, other atoms and UTF-8 binaries as
    /// strings, other binaries as bytes, tuples and lists as sequences,
    /// maps as maps, pids and references as the tuples they serialize as.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let at = self.reader.pos;
        let tag = self.reader.peek()?;
        match tag {
            SMALL_INTEGER_EXT | INTEGER_EXT | SMALL_BIG_EXT | LARGE_BIG_EXT => {
                self.reader.pos += 1;
                match self.reader.integer_body(tag, at)? {
                    Int::Small(value) if value >= 0 => visitor.visit_u64(value as u64),
                    Int::Small(value) => visitor.visit_i64(value),
                    Int::Big { negative, magnitude } => {
                        if let Some(value) = big_to_u128(negative, magnitude) {
                            visitor.visit_u128(value)
                        } else if let Some(value) = big_to_i128(negative, magnitude) {
                            visitor.visit_i128(value)
                        } else {
                            Err(Error::expected("an integer of at most 128 bits", "a larger integer", at))
                        }
                    }
                }
            }
            NEW_FLOAT_EXT | FLOAT_EXT => {
                self.reader.pos += 1;
                visitor.visit_f64(self.reader.float_body(tag, at)?)
            }
            ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT => {
                let (text, _) = self.atom_text("an atom")?;
                match &*text {
                    "true" => visitor.visit_bool(true),
                    "false" => visitor.visit_bool(false),
                    "nil" => visitor.visit_unit(),
                    _ => visit_text(text, visitor),
                }
            }
            SMALL_TUPLE_EXT | LARGE_TUPLE_EXT | NIL_EXT | STRING_EXT | LIST_EXT => {
                self.sequence(true, "a sequence", visitor)
            }
            BINARY_EXT => {
                self.reader.pos += 1;
                let len = self.reader.len32()?;
                let bytes = self.reader.take(len)?;
                match core::str::from_utf8(bytes) {
                    Ok(text) => visitor.visit_borrowed_str(text),
                    Err(_) => visitor.visit_borrowed_bytes(bytes),
                }
            }
            MAP_EXT => self.map("a map", visitor),
            NEW_PID_EXT | PID_EXT => {
                self.reader.pos += 1;
                let parts = self.reader.pid_body(tag, at)?;
                visitor.visit_seq(PidAccess { parts: Some(parts), step: 0 })
            }
            NEWER_REFERENCE_EXT | NEW_REFERENCE_EXT | REFERENCE_EXT => {
                self.reader.pos += 1;
                let parts = self.reader.reference_body(tag, at)?;
                visitor.visit_seq(RefAccess { parts: Some(parts), step: 0 })
            }
            _ => Err(Reader::unexpected(tag, "a term", at)),
        }
    }

    /// The atoms `true` and `false`.
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (text, at) = self.atom_text("a boolean (true or false)")?;
        match &*text {
            "true" => visitor.visit_bool(true),
            "false" => visitor.visit_bool(false),
            _ => Err(Error::expected("a boolean (true or false)", "another atom", at)),
        }
    }

    integer! {
        deserialize_i8 => visit_i8: i8, "an integer in i8's range";
        deserialize_i16 => visit_i16: i16, "an integer in i16's range";
        deserialize_i32 => visit_i32: i32, "an integer in i32's range";
        deserialize_i64 => visit_i64: i64, "an integer in i64's range";
        deserialize_i128 => visit_i128: i128, "an integer in i128's range";
        deserialize_u8 => visit_u8: u8, "an integer in u8's range";
        deserialize_u16 => visit_u16: u16, "an integer in u16's range";
        deserialize_u32 => visit_u32: u32, "an integer in u32's range";
        deserialize_u64 => visit_u64: u64, "an integer in u64's range";
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (tag, at) = self.tag()?;
        let expected = "an integer in u128's range";
        let value = match self.reader.integer_body(tag, at).map_err(|e| retarget(e, expected))? {
            Int::Small(value) => u128::try_from(value).ok(),
            Int::Big { negative, magnitude } => big_to_u128(negative, magnitude),
        };
        visitor.visit_u128(value.ok_or_else(|| Error::expected(expected, "an integer out of its range", at))?)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_f64(visitor)
    }

    /// A float, or an integer.
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let at = self.reader.pos;
        match self.reader.peek()? {
            tag @ (NEW_FLOAT_EXT | FLOAT_EXT) => {
                self.reader.pos += 1;
                visitor.visit_f64(self.reader.float_body(tag, at)?)
            }
            SMALL_INTEGER_EXT | INTEGER_EXT | SMALL_BIG_EXT | LARGE_BIG_EXT => {
                let value: i64 = self.integer("a number")?;
                visitor.visit_i64(value)
            }
            tag => Err(Reader::unexpected(tag, "a float", at)),
        }
    }

    /// A code point (an integer), or a one-character binary.
    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let at = self.reader.pos;
        if self.reader.peek()? == BINARY_EXT {
            return self.deserialize_str(visitor);
        }
        let code: u32 = self.integer("a character (an integer code point)")?;
        visitor.visit_char(char::from_u32(code).ok_or_else(|| Error::invalid("not a Unicode scalar value", at))?)
    }

    /// A UTF-8 binary, borrowed.
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (tag, at) = self.tag()?;
        if tag != BINARY_EXT {
            return Err(Reader::unexpected(tag, "a binary (a UTF-8 string)", at));
        }
        let len = self.reader.len32()?;
        let bytes = self.reader.take(len)?;
        let text = core::str::from_utf8(bytes).map_err(|_| Error::invalid("a string binary that is not UTF-8", at))?;
        visitor.visit_borrowed_str(text)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    /// A binary, borrowed; also a list of integers `0..=255`.
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (tag, at) = self.tag()?;
        match tag {
            BINARY_EXT => {
                let len = self.reader.len32()?;
                visitor.visit_borrowed_bytes(self.reader.take(len)?)
            }
            STRING_EXT => {
                let len = usize::from(self.reader.u16()?);
                visitor.visit_borrowed_bytes(self.reader.take(len)?)
            }
            NIL_EXT => visitor.visit_borrowed_bytes(&[]),
            LIST_EXT => {
                self.reader.pos = at;
                let bytes: Vec<u8> = de::Deserialize::deserialize(&mut *self)?;
                visitor.visit_byte_buf(bytes)
            }
            _ => Err(Reader::unexpected(tag, "a binary", at)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_bytes(visitor)
    }

    /// `nil` is `None`; anything else is `Some`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.next_is_nil() {
            self.reader.atom()?;
            visitor.visit_none()
        } else {
            visitor.visit_some(self)
        }
    }

    /// `{}` (also `nil`).
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if self.next_is_nil() {
            self.reader.atom()?;
            return visitor.visit_unit();
        }
        let (tag, at) = self.tag()?;
        if tag == SMALL_TUPLE_EXT && self.reader.u8()? == 0 {
            visitor.visit_unit()
        } else {
            Err(Reader::unexpected(tag, "the empty tuple {}", at))
        }
    }

    /// The atom of its name in snake_case (or as written).
    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value> {
        let (text, at) = self.atom_text("an atom naming the unit struct")?;
        if *text == *name || is_snake_case_of(&text, name) {
            visitor.visit_unit()
        } else {
            Err(Error::expected("the atom naming the unit struct", "another atom", at))
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, visitor: V) -> Result<V::Value> {
        let at = self.reader.pos;
        match name {
            token::ATOM => {
                let (text, _) = self.atom_text("an atom")?;
                visit_text(text, visitor)
            }
            token::PID => {
                let (tag, _) = self.tag()?;
                let parts = self.reader.pid_body(tag, at)?;
                visitor.visit_seq(PidAccess { parts: Some(parts), step: 0 })
            }
            token::REFERENCE => {
                let (tag, _) = self.tag()?;
                let parts = self.reader.reference_body(tag, at)?;
                visitor.visit_seq(RefAccess { parts: Some(parts), step: 0 })
            }
            token::TERM => {
                let bytes = self.raw_term()?;
                visitor.visit_map(TermAccess { bytes: Some(bytes) })
            }
            _ => visitor.visit_newtype_struct(self),
        }
    }

    /// A list (also a binary or STRING_EXT, as bytes).
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.sequence(false, "a list", visitor)
    }

    /// A tuple (also a list).
    fn deserialize_tuple<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        self.sequence(true, "a tuple", visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.map("a map", visitor)
    }

    /// A map whose keys are atoms (or binaries) naming the fields; other
    /// keys are ignored unless the struct denies unknown fields.
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.map("a map (a struct)", visitor)
    }

    /// A unit variant is an atom; the others a tuple tagged with one:
    /// `{variant, value}`, `{variant, a, b}`, `{variant, #{field => ...}}`.
    /// The atom is the variant's name in snake_case (or as written).
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let expected = "an atom or a tuple {variant, ...} (an enum)";
        let (tag, at) = self.tag()?;
        let remaining = match tag {
            ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT => None,
            SMALL_TUPLE_EXT | LARGE_TUPLE_EXT => {
                let arity =
                    if tag == SMALL_TUPLE_EXT { usize::from(self.reader.u8()?) } else { self.reader.len32()? };
                if arity == 0 {
                    return Err(Error::expected(expected, "the empty tuple", at));
                }
                Some(arity - 1)
            }
            _ => return Err(Reader::unexpected(tag, expected, at)),
        };
        let (tag, at) = if remaining.is_none() { (tag, at) } else { self.tag()? };
        let body = self.reader.pos;
        let (bytes, _) = self.reader.atom_bytes(tag, at).map_err(|e| match remaining {
            Some(_) => retarget(e, "an atom naming the variant"),
            None => e,
        })?;
        // An ASCII atom is looked up by its bytes (no text made of it);
        // any other, and one that names no variant, as text.
        let variant = match variant_of_ascii_atom(bytes, variants) {
            Some(name) => Cow::Borrowed(name),
            None => {
                self.reader.pos = body;
                let text = self.reader.atom_body(tag, at)?;
                // The Rust name of the variant the atom names; an unknown
                // atom goes to the visitor as it is, which reports it with
                // the variants.
                let variant = variants
                    .iter()
                    .find(|v| ***v == *text)
                    .or_else(|| variants.iter().find(|v| is_snake_case_of(&text, v)));
                match variant {
                    Some(name) => Cow::Borrowed(*name),
                    None => text,
                }
            }
        };
        match remaining {
            None => visitor.visit_enum(UnitVariant { variant }),
            Some(remaining) => self
                .nested(|de| visitor.visit_enum(TaggedVariant { de, variant, remaining, at }))
                .map_err(|e| e.or_at(at)),
        }
    }

    /// An atom or a binary (map keys naming struct fields).
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.reader.peek()? {
            BINARY_EXT => self.deserialize_str(visitor),
            SMALL_INTEGER_EXT | INTEGER_EXT => self.deserialize_u64(visitor),
            _ => {
                let (text, _) = self.atom_text("an atom (a field or variant name)")?;
                visit_text(text, visitor)
            }
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.reader.skip(self.depth)?;
        visitor.visit_unit()
    }
}

/// The elements of a tuple or list.
struct Elements<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    remaining: usize,
}

impl<'de> de::SeqAccess<'de> for Elements<'_, 'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if self.remaining == 0 {
            return Ok(None);
        }
        self.remaining -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        // Never more than the bytes left could hold: callers reserve this.
        Some(self.de.reader.capacity(self.remaining, 1))
    }
}

/// The bytes of a binary or STRING_EXT, as a sequence of `u8`s.
struct Bytes<'de> {
    bytes: &'de [u8],
}

impl<'de> de::SeqAccess<'de> for Bytes<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        let Some((&byte, rest)) = self.bytes.split_first() else { return Ok(None) };
        self.bytes = rest;
        seed.deserialize(U8Deserializer::<Error>::new(byte)).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.bytes.len())
    }
}

/// The entries of a map.
struct Entries<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    remaining: usize,
}

impl<'de> de::MapAccess<'de> for Entries<'_, 'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if self.remaining == 0 {
            return Ok(None);
        }
        self.remaining -= 1;
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(&mut *self.de)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.de.reader.capacity(self.remaining, 2))
    }
}

/// A pid's parts as the sequence `(node, id, serial, creation)`.
struct PidAccess<'de> {
    parts: Option<PidParts<'de>>,
    step: u8,
}

impl<'de> de::SeqAccess<'de> for PidAccess<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        let Some(parts) = self.parts.as_mut() else { return Ok(None) };
        self.step += 1;
        let value = match self.step {
            1 => seed.deserialize(text_deserializer(core::mem::take(&mut parts.node)))?,
            2 => seed.deserialize(U32Deserializer::new(parts.id))?,
            3 => seed.deserialize(U32Deserializer::new(parts.serial))?,
            _ => {
                let creation = parts.creation;
                self.parts = None;
                seed.deserialize(U32Deserializer::new(creation))?
            }
        };
        Ok(Some(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(4 - usize::from(self.step))
    }
}

/// A reference's parts as the sequence `(node, creation, [words])`.
struct RefAccess<'de> {
    parts: Option<RefParts<'de>>,
    step: u8,
}

impl<'de> de::SeqAccess<'de> for RefAccess<'de> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        let Some(parts) = self.parts.as_mut() else { return Ok(None) };
        self.step += 1;
        let value = match self.step {
            1 => seed.deserialize(text_deserializer(core::mem::take(&mut parts.node)))?,
            2 => seed.deserialize(U32Deserializer::new(parts.creation))?,
            _ => {
                let words = parts.words;
                let len = parts.len;
                self.parts = None;
                seed.deserialize(SeqDeserializer::new(words.into_iter().take(len)))?
            }
        };
        Ok(Some(value))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(3 - usize::from(self.step))
    }
}

/// A deserializer of text, borrowed when it can be.
enum TextDeserializer<'de> {
    Borrowed(BorrowedStrDeserializer<'de, Error>),
    Owned(StringDeserializer<Error>),
}

fn text_deserializer(text: Cow<'_, str>) -> TextDeserializer<'_> {
    match text {
        Cow::Borrowed(text) => TextDeserializer::Borrowed(BorrowedStrDeserializer::new(text)),
        Cow::Owned(text) => TextDeserializer::Owned(text.into_deserializer()),
    }
}

impl<'de> de::Deserializer<'de> for TextDeserializer<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self {
            TextDeserializer::Borrowed(d) => d.deserialize_any(visitor),
            TextDeserializer::Owned(d) => d.deserialize_any(visitor),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// A term's own bytes, handed to [`crate::Term`]'s visitor as a one-entry
/// map (see [`token::TERM`]).
struct TermAccess<'de> {
    bytes: Option<&'de [u8]>,
}

impl<'de> de::MapAccess<'de> for TermAccess<'de> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        if self.bytes.is_none() {
            return Ok(None);
        }
        seed.deserialize(BorrowedStrDeserializer::new(token::TERM_KEY)).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        let bytes = self.bytes.take().ok_or_else(|| Error::invalid("a term read twice", 0))?;
        seed.deserialize(BorrowedBytesDeserializer::new(bytes))
    }
}

/// An enum variant given as a bare atom.
struct UnitVariant<'de> {
    variant: Cow<'de, str>,
}

impl<'de> de::EnumAccess<'de> for UnitVariant<'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(mut self, seed: V) -> Result<(V::Value, Self)> {
        let variant = seed.deserialize(text_deserializer(core::mem::take(&mut self.variant)))?;
        Ok((variant, self))
    }
}

impl<'de> de::VariantAccess<'de> for UnitVariant<'de> {
    type Error = Error;

    fn unit_variant(self) -> Result<()> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value> {
        Err(Error::new(ErrorKind::Expected { expected: "a tuple {variant, value}", found: "an atom" }))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value> {
        Err(Error::new(ErrorKind::Expected { expected: "a tuple {variant, ...}", found: "an atom" }))
    }

    fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], _visitor: V) -> Result<V::Value> {
        Err(Error::new(ErrorKind::Expected { expected: "a tuple {variant, #{...}}", found: "an atom" }))
    }
}

/// An enum variant given as a tagged tuple, its atom read; `remaining`
/// elements follow.
struct TaggedVariant<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    variant: Cow<'de, str>,
    remaining: usize,
    at: usize,
}

impl<'a, 'de> de::EnumAccess<'de> for TaggedVariant<'a, 'de> {
    type Error = Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(mut self, seed: V) -> Result<(V::Value, Self)> {
        let variant = seed.deserialize(text_deserializer(core::mem::take(&mut self.variant)))?;
        Ok((variant, self))
    }
}

impl TaggedVariant<'_, '_> {
    fn arity(&self, elements: usize, expected: &'static str) -> Result<()> {
        if self.remaining == elements {
            Ok(())
        } else {
            Err(Error::expected(expected, "a tuple of another size", self.at))
        }
    }
}

impl<'de> de::VariantAccess<'de> for TaggedVariant<'_, 'de> {
    type Error = Error;

    /// `{variant}`, a 1-tuple (a bare atom is the usual form).
    fn unit_variant(self) -> Result<()> {
        self.arity(0, "an atom or {variant}")
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        self.arity(1, "a tuple {variant, value}")?;
        seed.deserialize(&mut *self.de)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        self.arity(len, "a tuple {variant, ...} with one element per field")?;
        let mut access = Elements { de: self.de, remaining: len };
        let value = visitor.visit_seq(&mut access)?;
        if access.remaining != 0 {
            return Err(Error::expected("fewer elements", "a longer tuple", self.at));
        }
        Ok(value)
    }

    fn struct_variant<V: Visitor<'de>>(self, _fields: &'static [&'static str], visitor: V) -> Result<V::Value> {
        self.arity(1, "a tuple {variant, #{field => value}}")?;
        self.de.map("a map of the variant's fields", visitor)
    }
}
