//! The serde [`Serializer`]: Rust values straight to term bytes, with no
//! [`crate::Term`] in between, mapped as Rustler maps Rust types (see the
//! crate docs for the table).

use crate::decode::{Reader, cmp_encoded};
use crate::encode::*;
use crate::error::{Error, Result};
use crate::names::write_snake_atom;
use crate::tag::*;
use crate::token;
use alloc::vec::Vec;
use core::cmp::Ordering;
use serde::Serialize;
use serde::ser::{self, Impossible};

/// The bytes of `value` as a term (version byte first).
///
/// ```
/// use serde::Serialize;
///
/// #[derive(Serialize)]
/// struct Point { x: i32, y: i32 }
///
/// // %{x: 1, y: -1}: a map with atom keys.
/// let bytes = warren_term::to_vec(&Point { x: 1, y: -1 })?;
/// assert_eq!(warren_term::decode(&bytes)?.to_string(), "#{x => 1,y => -1}");
/// # Ok::<(), warren_term::Error>(())
/// ```
pub fn to_vec<T: ?Sized + Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(64);
    out.push(VERSION);
    value.serialize(&mut Serializer::new(&mut out))?;
    Ok(out)
}

/// Appends the bytes of `value` as a term (version byte first) to `out`:
/// [`to_vec`] into a buffer the caller keeps (a reply written where its
/// request was, with no allocation when it fits). On an error `out` may
/// hold part of the term after what it held.
///
/// ```
/// let mut out = Vec::new();
/// warren_term::to_vec_into(&(1, "a"), &mut out)?;
/// assert_eq!(out, warren_term::to_vec(&(1, "a"))?);
/// # Ok::<(), warren_term::Error>(())
/// ```
pub fn to_vec_into<T: ?Sized + Serialize>(value: &T, out: &mut Vec<u8>) -> Result<()> {
    out.push(VERSION);
    value.serialize(&mut Serializer::new(out))
}

/// A serde serializer that appends one term (no version byte) to a
/// `Vec<u8>`; [`to_vec`] is the usual entry point.
pub struct Serializer<'a> {
    out: &'a mut Vec<u8>,
}

impl<'a> Serializer<'a> {
    /// A serializer appending to `out`.
    pub fn new(out: &'a mut Vec<u8>) -> Serializer<'a> {
        Serializer { out }
    }
}

impl<'s, 'a> ser::Serializer for &'s mut Serializer<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Seq<'s, 'a>;
    type SerializeTuple = Tuple<'s, 'a>;
    type SerializeTupleStruct = Tuple<'s, 'a>;
    type SerializeTupleVariant = Tuple<'s, 'a>;
    type SerializeMap = Map<'s, 'a>;
    type SerializeStruct = Map<'s, 'a>;
    type SerializeStructVariant = Map<'s, 'a>;

    fn is_human_readable(&self) -> bool {
        false
    }

    /// The atoms `true` and `false`.
    fn serialize_bool(self, v: bool) -> Result<()> {
        write_atom(self.out, if v { "true" } else { "false" })
    }

    fn serialize_i8(self, v: i8) -> Result<()> {
        self.serialize_i64(v.into())
    }

    fn serialize_i16(self, v: i16) -> Result<()> {
        self.serialize_i64(v.into())
    }

    fn serialize_i32(self, v: i32) -> Result<()> {
        self.serialize_i64(v.into())
    }

    fn serialize_i64(self, v: i64) -> Result<()> {
        write_i64(self.out, v);
        Ok(())
    }

    fn serialize_i128(self, v: i128) -> Result<()> {
        write_integer(self.out, v < 0, &v.unsigned_abs().to_le_bytes())
    }

    fn serialize_u8(self, v: u8) -> Result<()> {
        self.serialize_i64(v.into())
    }

    fn serialize_u16(self, v: u16) -> Result<()> {
        self.serialize_i64(v.into())
    }

    fn serialize_u32(self, v: u32) -> Result<()> {
        self.serialize_i64(v.into())
    }

    fn serialize_u64(self, v: u64) -> Result<()> {
        match i64::try_from(v) {
            Ok(v) => {
                write_i64(self.out, v);
                Ok(())
            }
            Err(_) => write_integer(self.out, false, &v.to_le_bytes()),
        }
    }

    fn serialize_u128(self, v: u128) -> Result<()> {
        write_integer(self.out, false, &v.to_le_bytes())
    }

    fn serialize_f32(self, v: f32) -> Result<()> {
        write_float(self.out, v.into())
    }

    fn serialize_f64(self, v: f64) -> Result<()> {
        write_float(self.out, v)
    }

    /// Its code point, as Erlang's `$a`.
    fn serialize_char(self, v: char) -> Result<()> {
        self.serialize_i64(u32::from(v).into())
    }

    /// A UTF-8 binary, as Elixir strings.
    fn serialize_str(self, v: &str) -> Result<()> {
        write_binary(self.out, v.as_bytes())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        write_binary(self.out, v)
    }

    /// The atom `nil`, as Rustler.
    fn serialize_none(self) -> Result<()> {
        write_atom(self.out, "nil")
    }

    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }

    /// The empty tuple `{}`, as Rustler.
    fn serialize_unit(self) -> Result<()> {
        self.out.extend_from_slice(&[SMALL_TUPLE_EXT, 0]);
        Ok(())
    }

    /// The atom of its name in snake_case (`struct Ping;` is `ping`).
    fn serialize_unit_struct(self, name: &'static str) -> Result<()> {
        write_snake_atom(self.out, name)
    }

    /// The atom of its name in snake_case, as Rustler's NifUnitEnum.
    fn serialize_unit_variant(self, _name: &'static str, _index: u32, variant: &'static str) -> Result<()> {
        write_snake_atom(self.out, variant)
    }

    /// The value itself; this crate's own types ([`crate::Atom`],
    /// [`crate::Pid`], ...) come through here under reserved names.
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, name: &'static str, value: &T) -> Result<()> {
        let kind = match name {
            token::ATOM => Token::Atom,
            token::PID => Token::Pid,
            token::REFERENCE => Token::Reference,
            token::BIG_INT => Token::BigInt,
            token::ENCODED => Token::Encoded,
            _ => return value.serialize(self),
        };
        let mut capture = Capture { out: self.out, token: kind, step: 0, header: 0, words: 0, negative: false };
        value.serialize(&mut capture)?;
        capture.finish()
    }

    /// `{variant, value}`.
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        self.out.extend_from_slice(&[SMALL_TUPLE_EXT, 2]);
        write_snake_atom(self.out, variant)?;
        value.serialize(self)
    }

    /// A list.
    fn serialize_seq(self, _len: Option<usize>) -> Result<Seq<'s, 'a>> {
        let header = self.out.len();
        self.out.extend_from_slice(&[LIST_EXT, 0, 0, 0, 0]);
        Ok(Seq { ser: self, header, count: 0, small: true })
    }

    fn serialize_tuple(self, len: usize) -> Result<Tuple<'s, 'a>> {
        write_tuple_header(self.out, len)?;
        Ok(Tuple { ser: self, expected: len, count: 0 })
    }

    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Tuple<'s, 'a>> {
        self.serialize_tuple(len)
    }

    /// `{variant, field1, field2, ...}`, as Rustler's NifTaggedEnum.
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Tuple<'s, 'a>> {
        write_tuple_header(self.out, len + 1)?;
        write_snake_atom(self.out, variant)?;
        Ok(Tuple { ser: self, expected: len, count: 0 })
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Map<'s, 'a>> {
        Ok(Map::start(self))
    }

    /// A map with atom keys, as Rustler's NifMap.
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Map<'s, 'a>> {
        Ok(Map::start(self))
    }

    /// `{variant, #{field => value, ...}}`, as Rustler's NifTaggedEnum.
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Map<'s, 'a>> {
        self.out.extend_from_slice(&[SMALL_TUPLE_EXT, 2]);
        write_snake_atom(self.out, variant)?;
        Ok(Map::start(self))
    }
}

/// A list being written: LIST_EXT with its length patched at the end,
/// rewritten as STRING_EXT when every element is an integer `0..=255` (as
/// Erlang writes `[1, 2, 3]`), or as NIL_EXT when empty.
pub struct Seq<'s, 'a> {
    ser: &'s mut Serializer<'a>,
    header: usize,
    count: usize,
    small: bool,
}

impl ser::SerializeSeq for Seq<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        let start = self.ser.out.len();
        value.serialize(&mut *self.ser)?;
        self.count += 1;
        let out = &self.ser.out;
        self.small &= out.len() - start == 2 && out[start] == SMALL_INTEGER_EXT;
        Ok(())
    }

    fn end(self) -> Result<()> {
        let (out, header, count) = (&mut *self.ser.out, self.header, self.count);
        if count == 0 {
            out.truncate(header);
            out.push(NIL_EXT);
        } else if self.small && count <= usize::from(u16::MAX) {
            // [97, b0, 97, b1, ...] after the 5-byte header becomes
            // [b0, b1, ...] after a 3-byte one; each byte moves left, so
            // copying front to back never overwrites one not yet moved.
            out[header] = STRING_EXT;
            out[header + 1..header + 3].copy_from_slice(&(count as u16).to_be_bytes());
            for i in 0..count {
                out[header + 3 + i] = out[header + 5 + 2 * i + 1];
            }
            out.truncate(header + 3 + count);
        } else {
            let len = u32::try_from(count).map_err(|_| Error::unencodable("a list longer than u32::MAX"))?;
            out[header + 1..header + 5].copy_from_slice(&len.to_be_bytes());
            out.push(NIL_EXT);
        }
        Ok(())
    }
}

/// A tuple being written; its arity was written first, so the element
/// count must match it.
pub struct Tuple<'s, 'a> {
    ser: &'s mut Serializer<'a>,
    expected: usize,
    count: usize,
}

impl Tuple<'_, '_> {
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.count += 1;
        value.serialize(&mut *self.ser)
    }

    fn end(self) -> Result<()> {
        if self.count == self.expected {
            Ok(())
        } else {
            Err(Error::unencodable("a tuple with another number of elements than it declared"))
        }
    }
}

impl ser::SerializeTuple for Tuple<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }

    fn end(self) -> Result<()> {
        Tuple::end(self)
    }
}

impl ser::SerializeTupleStruct for Tuple<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }

    fn end(self) -> Result<()> {
        Tuple::end(self)
    }
}

impl ser::SerializeTupleVariant for Tuple<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }

    fn end(self) -> Result<()> {
        Tuple::end(self)
    }
}

/// A map being written: MAP_EXT with its arity patched at the end. Erlang
/// writes a map's keys in term order, so the entries are re-sorted at the
/// end unless they came in order (checked as they come, so a sorted map
/// costs no allocation).
pub struct Map<'s, 'a> {
    ser: &'s mut Serializer<'a>,
    header: usize,
    count: usize,
    sorted: bool,
    /// The byte range of the last key written.
    last_key: (usize, usize),
}

impl<'s, 'a> Map<'s, 'a> {
    fn start(ser: &'s mut Serializer<'a>) -> Map<'s, 'a> {
        let header = ser.out.len();
        ser.out.extend_from_slice(&[MAP_EXT, 0, 0, 0, 0]);
        Map { ser, header, count: 0, sorted: true, last_key: (0, 0) }
    }

    /// Notes the key just written at `start..`.
    fn key_written(&mut self, start: usize) -> Result<()> {
        let out = &self.ser.out;
        let key = (start, out.len());
        if self.count > 0 && self.sorted {
            match cmp_encoded(&out[self.last_key.0..self.last_key.1], &out[key.0..key.1]) {
                Ordering::Less => {}
                Ordering::Equal => return Err(Error::unencodable("a map with a duplicate key")),
                Ordering::Greater => self.sorted = false,
            }
        }
        self.last_key = key;
        Ok(())
    }

    fn end(self) -> Result<()> {
        let (out, header) = (&mut *self.ser.out, self.header);
        let arity = u32::try_from(self.count).map_err(|_| Error::unencodable("a map larger than u32::MAX"))?;
        out[header + 1..header + 5].copy_from_slice(&arity.to_be_bytes());
        if self.sorted {
            return Ok(());
        }
        // Find each entry (the bytes are ours, hence valid), sort by key,
        // and write the entries again in that order.
        let body = out.split_off(header + 5);
        let mut reader = Reader::trusted(&body);
        let mut entries = Vec::with_capacity(self.count);
        for _ in 0..self.count {
            let start = reader.pos;
            reader.skip(0)?;
            let key_end = reader.pos;
            reader.skip(0)?;
            entries.push((start, key_end, reader.pos));
        }
        entries.sort_by(|a, b| cmp_encoded(&body[a.0..a.1], &body[b.0..b.1]));
        if entries.windows(2).any(|w| cmp_encoded(&body[w[0].0..w[0].1], &body[w[1].0..w[1].1]) == Ordering::Equal) {
            return Err(Error::unencodable("a map with a duplicate key"));
        }
        for (start, _, end) in entries {
            out.extend_from_slice(&body[start..end]);
        }
        Ok(())
    }
}

impl ser::SerializeMap for Map<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<()> {
        let start = self.ser.out.len();
        key.serialize(&mut *self.ser)?;
        self.key_written(start)
    }

    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        self.count += 1;
        value.serialize(&mut *self.ser)
    }

    fn end(self) -> Result<()> {
        Map::end(self)
    }
}

impl ser::SerializeStruct for Map<'_, '_> {
    type Ok = ();
    type Error = Error;

    /// The field's name as an atom key (unchanged: Rust field names are
    /// already snake_case).
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        let start = self.ser.out.len();
        write_atom(self.ser.out, key)?;
        self.key_written(start)?;
        self.count += 1;
        value.serialize(&mut *self.ser)
    }

    fn end(self) -> Result<()> {
        Map::end(self)
    }
}

impl ser::SerializeStructVariant for Map<'_, '_> {
    type Ok = ();
    type Error = Error;

    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<()> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }

    fn end(self) -> Result<()> {
        Map::end(self)
    }
}

/// Which reserved newtype struct (see [`crate::token`]) is being written.
#[derive(Clone, Copy, PartialEq)]
enum Token {
    /// `&str`.
    Atom,
    /// `(node: &str, id: u32, serial: u32, creation: u32)`.
    Pid,
    /// `(node: &str, creation: u32, words: [u32])`.
    Reference,
    /// `(negative: bool, magnitude: bytes)`.
    BigInt,
    /// bytes: a whole encoded term, version byte first.
    Encoded,
}

/// Writes the contents of a reserved newtype struct as its tag, step by
/// step; anything but the expected shape is an error.
struct Capture<'o> {
    out: &'o mut Vec<u8>,
    token: Token,
    /// How many parts were written.
    step: u8,
    /// Where the reference's header is (its word count is patched).
    header: usize,
    words: usize,
    negative: bool,
}

impl Capture<'_> {
    fn unexpected<T>(&self) -> Result<T> {
        Err(Error::unencodable("a reserved warren_term newtype struct with unexpected contents"))
    }

    fn next(&mut self, expected: (Token, u8)) -> Result<()> {
        if (self.token, self.step) == expected {
            self.step += 1;
            Ok(())
        } else {
            self.unexpected()
        }
    }

    fn finish(&self) -> Result<()> {
        let last = match self.token {
            Token::Atom | Token::Encoded => 1,
            Token::Pid | Token::Reference => 5,
            Token::BigInt => 3,
        };
        if self.step == last { Ok(()) } else { self.unexpected() }
    }
}

/// Methods of a serializer that `Capture` refuses.
macro_rules! refuse {
    ($($method:ident($($arg:ty),*) -> $ret:ty;)*) => {$(
        fn $method(self, $(_: $arg),*) -> Result<$ret> {
            self.unexpected()
        }
    )*};
}

impl ser::Serializer for &mut Capture<'_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Impossible<(), Error>;
    type SerializeTupleVariant = Impossible<(), Error>;
    type SerializeMap = Impossible<(), Error>;
    type SerializeStruct = Impossible<(), Error>;
    type SerializeStructVariant = Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result<()> {
        match (self.token, self.step) {
            (Token::Atom, 0) | (Token::Pid, 1) | (Token::Reference, 1) => {
                self.step += 1;
                write_atom(self.out, v)
            }
            _ => self.unexpected(),
        }
    }

    fn serialize_u32(self, v: u32) -> Result<()> {
        match (self.token, self.step) {
            (Token::Pid, 2..=4) | (Token::Reference, 2) => self.step += 1,
            (Token::Reference, 4) if self.words < crate::Reference::MAX_WORDS => self.words += 1,
            _ => return self.unexpected(),
        }
        self.out.extend_from_slice(&v.to_be_bytes());
        Ok(())
    }

    fn serialize_bool(self, v: bool) -> Result<()> {
        self.next((Token::BigInt, 1))?;
        self.negative = v;
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        match (self.token, self.step) {
            (Token::BigInt, 2) => {
                self.step += 1;
                write_integer(self.out, self.negative, v)
            }
            (Token::Encoded, 0) => match v.split_first() {
                Some((&VERSION, term)) => {
                    self.step += 1;
                    self.out.extend_from_slice(term);
                    Ok(())
                }
                _ => self.unexpected(),
            },
            _ => self.unexpected(),
        }
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self> {
        match self.token {
            Token::Pid => self.out.push(NEW_PID_EXT),
            Token::Reference => {
                self.header = self.out.len();
                self.out.extend_from_slice(&[NEWER_REFERENCE_EXT, 0, 0]);
            }
            Token::BigInt => {}
            Token::Atom | Token::Encoded => return self.unexpected(),
        }
        self.next((self.token, 0))?;
        Ok(self)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self> {
        self.next((Token::Reference, 3))?;
        Ok(self)
    }

    refuse! {
        serialize_i8(i8) -> ();
        serialize_i16(i16) -> ();
        serialize_i32(i32) -> ();
        serialize_i64(i64) -> ();
        serialize_u8(u8) -> ();
        serialize_u16(u16) -> ();
        serialize_u64(u64) -> ();
        serialize_f32(f32) -> ();
        serialize_f64(f64) -> ();
        serialize_char(char) -> ();
        serialize_none() -> ();
        serialize_unit() -> ();
        serialize_unit_struct(&'static str) -> ();
        serialize_unit_variant(&'static str, u32, &'static str) -> ();
        serialize_tuple_struct(&'static str, usize) -> Impossible<(), Error>;
        serialize_tuple_variant(&'static str, u32, &'static str, usize) -> Impossible<(), Error>;
        serialize_map(Option<usize>) -> Impossible<(), Error>;
        serialize_struct(&'static str, usize) -> Impossible<(), Error>;
        serialize_struct_variant(&'static str, u32, &'static str, usize) -> Impossible<(), Error>;
    }

    fn serialize_some<T: ?Sized + Serialize>(self, _value: &T) -> Result<()> {
        self.unexpected()
    }

    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _name: &'static str, _value: &T) -> Result<()> {
        self.unexpected()
    }

    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<()> {
        self.unexpected()
    }
}

impl ser::SerializeTuple for &mut Capture<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        value.serialize(&mut **self)
    }

    fn end(self) -> Result<()> {
        Ok(())
    }
}

impl ser::SerializeSeq for &mut Capture<'_> {
    type Ok = ();
    type Error = Error;

    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<()> {
        value.serialize(&mut **self)
    }

    /// The reference's words are all written: patch their count.
    fn end(self) -> Result<()> {
        if self.words == 0 {
            return self.unexpected();
        }
        self.next((Token::Reference, 4))?;
        // At most Reference::MAX_WORDS words (checked as they came).
        self.out[self.header + 1..self.header + 3].copy_from_slice(&(self.words as u16).to_be_bytes());
        Ok(())
    }
}
