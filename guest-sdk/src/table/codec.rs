//! The serde format of typed tables ([`super::Table`]): a compact binary
//! encoding that is **order-preserving for keys**, so an ordered_set of
//! typed keys (ordered bytewise by the host) iterates in the keys' natural
//! order, the order Rust's derived `Ord` gives. docs/ABI.md ("Tables", "Key
//! encoding") specifies it for other languages:
//!
//! | value | key encoding | value encoding |
//! | --- | --- | --- |
//! | `bool` | 1 byte, 0 or 1 | same |
//! | unsigned integers | big-endian, fixed width | little-endian |
//! | signed integers | big-endian with the sign bit flipped | little-endian (two's complement) |
//! | `f32` / `f64` | IEEE bits big-endian; negative: all bits flipped, else the sign bit flipped | little-endian bits |
//! | `char` | as `u32` | as `u32` |
//! | string / bytes, as the whole key or value | the raw bytes | the raw bytes |
//! | string / bytes inside something else | each `0x00` as `0x00 0xFF`, then `0x00 0x00` | same |
//! | `Option` | `0x00` for `None`; `0x01` then the value | same |
//! | unit, unit struct | nothing | nothing |
//! | newtype struct | its field, as if alone | same |
//! | tuple, tuple struct, struct | the fields in order | same |
//! | sequence, map | `0x01` before each element (each key then value), `0x00` at the end | same |
//! | enum | the variant index as `u32`, then its fields | same |
//!
//! So an `i64` value is its 8 little-endian bytes: the counter format of
//! `table_update_counter`. A string key is its UTF-8 bytes, so prefix
//! selection on string keys works on raw prefixes, and a C or WAT guest
//! sharing the table sees plain text.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, Visitor};
use serde::ser::{self, Serialize};

/// Which encoding: keys keep order, values are compact.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Mode {
    /// Order-preserving (big-endian, sign bits flipped).
    Key,
    /// Little-endian numbers.
    Value,
}

/// A value that cannot be encoded or bytes that cannot be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodecError {
    /// The bytes end too early.
    Eof,
    /// Bytes are left after the value.
    TrailingBytes,
    /// The bytes are not a valid encoding (names what was expected).
    Invalid(&'static str),
    /// The type needs a self-describing format (`deserialize_any`).
    NotSelfDescribing,
    /// A message from a `Serialize` or `Deserialize` implementation.
    Custom(String),
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecError::Eof => f.write_str("unexpected end of the encoded bytes"),
            CodecError::TrailingBytes => f.write_str("bytes left after the encoded value"),
            CodecError::Invalid(what) => write!(f, "invalid encoding: expected {what}"),
            CodecError::NotSelfDescribing => f.write_str("the table format is not self-describing"),
            CodecError::Custom(message) => f.write_str(message),
        }
    }
}

impl core::error::Error for CodecError {}

impl ser::Error for CodecError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CodecError::Custom(msg.to_string())
    }
}

impl de::Error for CodecError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CodecError::Custom(msg.to_string())
    }
}

/// Encodes `value` in `mode`, as a whole key or value.
pub fn encode<T: Serialize + ?Sized>(value: &T, mode: Mode) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    value.serialize(&mut Encoder { out: &mut out, mode, top: true })?;
    Ok(out)
}

/// Encodes `value` as a part of a larger key (strings escaped and
/// terminated): the prefix shared by every key whose encoding starts with
/// this value, for example the first field of a tuple key.
pub fn encode_part<T: Serialize + ?Sized>(value: &T, mode: Mode) -> Result<Vec<u8>, CodecError> {
    let mut out = Vec::new();
    value.serialize(&mut Encoder { out: &mut out, mode, top: false })?;
    Ok(out)
}

/// Decodes a whole key or value.
pub fn decode<T: DeserializeOwned>(bytes: &[u8], mode: Mode) -> Result<T, CodecError> {
    let mut decoder = Decoder { input: bytes, mode, top: true };
    let value = T::deserialize(&mut decoder)?;
    if decoder.input.is_empty() { Ok(value) } else { Err(CodecError::TrailingBytes) }
}

// ----------------------------------------------------------------- encoding

struct Encoder<'a> {
    out: &'a mut Vec<u8>,
    mode: Mode,
    /// Encoding the whole key or value (a string here is raw).
    top: bool,
}

impl Encoder<'_> {
    fn number(&mut self, key: &[u8], value: &[u8]) {
        self.out.extend_from_slice(if self.mode == Mode::Key { key } else { value });
    }

    fn escaped(&mut self, bytes: &[u8]) {
        if core::mem::replace(&mut self.top, false) {
            self.out.extend_from_slice(bytes);
            return;
        }
        for &b in bytes {
            self.out.push(b);
            if b == 0 {
                self.out.push(0xFF);
            }
        }
        self.out.extend_from_slice(&[0, 0]);
    }

    fn variant(&mut self, index: u32) {
        self.top = false;
        self.number(&index.to_be_bytes(), &index.to_le_bytes());
    }
}

macro_rules! encode_unsigned {
    ($($method:ident: $t:ty),*) => {$(
        fn $method(self, v: $t) -> Result<(), CodecError> {
            self.top = false;
            self.number(&v.to_be_bytes(), &v.to_le_bytes());
            Ok(())
        }
    )*};
}

macro_rules! encode_signed {
    ($($method:ident: $t:ty as $u:ty),*) => {$(
        fn $method(self, v: $t) -> Result<(), CodecError> {
            self.top = false;
            let flipped = (v as $u) ^ (1 << (<$u>::BITS - 1));
            self.number(&flipped.to_be_bytes(), &v.to_le_bytes());
            Ok(())
        }
    )*};
}

impl<'b> ser::Serializer for &'b mut Encoder<'_> {
    type Ok = ();
    type Error = CodecError;
    type SerializeSeq = Marked<'b>;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Marked<'b>;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, v: bool) -> Result<(), CodecError> {
        self.top = false;
        self.out.push(u8::from(v));
        Ok(())
    }

    encode_unsigned!(serialize_u8: u8, serialize_u16: u16, serialize_u32: u32, serialize_u64: u64, serialize_u128: u128);
    encode_signed!(
        serialize_i8: i8 as u8,
        serialize_i16: i16 as u16,
        serialize_i32: i32 as u32,
        serialize_i64: i64 as u64,
        serialize_i128: i128 as u128
    );

    fn serialize_f32(self, v: f32) -> Result<(), CodecError> {
        self.top = false;
        let bits = v.to_bits();
        let ordered = if bits >> 31 == 1 { !bits } else { bits | (1 << 31) };
        self.number(&ordered.to_be_bytes(), &bits.to_le_bytes());
        Ok(())
    }

    fn serialize_f64(self, v: f64) -> Result<(), CodecError> {
        self.top = false;
        let bits = v.to_bits();
        let ordered = if bits >> 63 == 1 { !bits } else { bits | (1 << 63) };
        self.number(&ordered.to_be_bytes(), &bits.to_le_bytes());
        Ok(())
    }

    fn serialize_char(self, v: char) -> Result<(), CodecError> {
        self.serialize_u32(u32::from(v))
    }

    fn serialize_str(self, v: &str) -> Result<(), CodecError> {
        self.escaped(v.as_bytes());
        Ok(())
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<(), CodecError> {
        self.escaped(v);
        Ok(())
    }

    fn serialize_none(self) -> Result<(), CodecError> {
        self.top = false;
        self.out.push(0);
        Ok(())
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), CodecError> {
        self.top = false;
        self.out.push(1);
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<(), CodecError> {
        self.top = false;
        Ok(())
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<(), CodecError> {
        self.serialize_unit()
    }

    fn serialize_unit_variant(self, _name: &'static str, index: u32, _variant: &'static str) -> Result<(), CodecError> {
        self.variant(index);
        Ok(())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _name: &'static str, value: &T) -> Result<(), CodecError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        index: u32,
        _variant: &'static str,
        value: &T,
    ) -> Result<(), CodecError> {
        self.variant(index);
        value.serialize(self)
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Marked<'b>, CodecError> {
        self.top = false;
        Ok(Marked(self.out, self.mode))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self, CodecError> {
        self.top = false;
        Ok(self)
    }

    fn serialize_tuple_struct(self, _name: &'static str, _len: usize) -> Result<Self, CodecError> {
        self.top = false;
        Ok(self)
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self, CodecError> {
        self.variant(index);
        Ok(self)
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Marked<'b>, CodecError> {
        self.top = false;
        Ok(Marked(self.out, self.mode))
    }

    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Self, CodecError> {
        self.top = false;
        Ok(self)
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self, CodecError> {
        self.variant(index);
        Ok(self)
    }
}

/// Fields in order, nothing around them.
macro_rules! concatenated {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for &mut Encoder<'_> {
            type Ok = ();
            type Error = CodecError;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
                value.serialize(&mut **self)
            }
            fn end(self) -> Result<(), CodecError> {
                Ok(())
            }
        }
    )*};
}

concatenated!(
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeStruct for &mut Encoder<'_> {
    type Ok = ();
    type Error = CodecError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, _key: &'static str, value: &T) -> Result<(), CodecError> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), CodecError> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for &mut Encoder<'_> {
    type Ok = ();
    type Error = CodecError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, _key: &'static str, value: &T) -> Result<(), CodecError> {
        value.serialize(&mut **self)
    }
    fn end(self) -> Result<(), CodecError> {
        Ok(())
    }
}

/// A sequence or map: `0x01` before each element, `0x00` at the end.
#[doc(hidden)]
pub struct Marked<'a>(&'a mut Vec<u8>, Mode);

impl Marked<'_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T, marker: bool) -> Result<(), CodecError> {
        if marker {
            self.0.push(1);
        }
        value.serialize(&mut Encoder { out: self.0, mode: self.1, top: false })
    }
}

impl ser::SerializeSeq for Marked<'_> {
    type Ok = ();
    type Error = CodecError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
        self.element(value, true)
    }
    fn end(self) -> Result<(), CodecError> {
        self.0.push(0);
        Ok(())
    }
}

impl ser::SerializeMap for Marked<'_> {
    type Ok = ();
    type Error = CodecError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), CodecError> {
        self.element(key, true)
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), CodecError> {
        self.element(value, false)
    }
    fn end(self) -> Result<(), CodecError> {
        self.0.push(0);
        Ok(())
    }
}

// ----------------------------------------------------------------- decoding

struct Decoder<'de> {
    input: &'de [u8],
    mode: Mode,
    top: bool,
}

impl<'de> Decoder<'de> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], CodecError> {
        self.top = false;
        let (head, rest) = self.input.split_first_chunk::<N>().ok_or(CodecError::Eof)?;
        self.input = rest;
        Ok(*head)
    }

    fn byte(&mut self) -> Result<u8, CodecError> {
        Ok(self.take::<1>()?[0])
    }

    /// A string or bytes: the rest of the input at the top, else escaped.
    fn bytes(&mut self) -> Result<Vec<u8>, CodecError> {
        if core::mem::replace(&mut self.top, false) {
            return Ok(core::mem::take(&mut self.input).to_vec());
        }
        let mut out = Vec::new();
        loop {
            let b = self.byte()?;
            if b != 0 {
                out.push(b);
                continue;
            }
            match self.byte()? {
                0 => return Ok(out),
                0xFF => out.push(0),
                _ => return Err(CodecError::Invalid("0x00 or 0xFF after 0x00 in a string")),
            }
        }
    }

    fn string(&mut self) -> Result<String, CodecError> {
        String::from_utf8(self.bytes()?).map_err(|_| CodecError::Invalid("UTF-8 text"))
    }

    fn marker(&mut self) -> Result<bool, CodecError> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(CodecError::Invalid("a 0x00 or 0x01 marker")),
        }
    }

    fn number<const N: usize>(&mut self, from_key: fn([u8; N]) -> [u8; N]) -> Result<[u8; N], CodecError> {
        let raw = self.take::<N>()?;
        Ok(if self.mode == Mode::Key { from_key(raw) } else { raw })
    }
}

macro_rules! decode_unsigned {
    ($($method:ident: $t:ty => $visit:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
            let mode = self.mode;
            let raw = self.take::<{ core::mem::size_of::<$t>() }>()?;
            visitor.$visit(if mode == Mode::Key { <$t>::from_be_bytes(raw) } else { <$t>::from_le_bytes(raw) })
        }
    )*};
}

macro_rules! decode_signed {
    ($($method:ident: $t:ty as $u:ty => $visit:ident),*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
            let mode = self.mode;
            let raw = self.take::<{ core::mem::size_of::<$t>() }>()?;
            let v = if mode == Mode::Key {
                (<$u>::from_be_bytes(raw) ^ (1 << (<$u>::BITS - 1))) as $t
            } else {
                <$t>::from_le_bytes(raw)
            };
            visitor.$visit(v)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Decoder<'de> {
    type Error = CodecError;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, CodecError> {
        Err(CodecError::NotSelfDescribing)
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        match self.byte()? {
            0 => visitor.visit_bool(false),
            1 => visitor.visit_bool(true),
            _ => Err(CodecError::Invalid("a bool (0 or 1)")),
        }
    }

    decode_unsigned!(
        deserialize_u8: u8 => visit_u8,
        deserialize_u16: u16 => visit_u16,
        deserialize_u32: u32 => visit_u32,
        deserialize_u64: u64 => visit_u64,
        deserialize_u128: u128 => visit_u128
    );
    decode_signed!(
        deserialize_i8: i8 as u8 => visit_i8,
        deserialize_i16: i16 as u16 => visit_i16,
        deserialize_i32: i32 as u32 => visit_i32,
        deserialize_i64: i64 as u64 => visit_i64,
        deserialize_i128: i128 as u128 => visit_i128
    );

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        let raw = self.number::<4>(|raw| {
            let bits = u32::from_be_bytes(raw);
            let bits = if bits >> 31 == 1 { bits & !(1 << 31) } else { !bits };
            bits.to_le_bytes()
        })?;
        visitor.visit_f32(f32::from_bits(u32::from_le_bytes(raw)))
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        let raw = self.number::<8>(|raw| {
            let bits = u64::from_be_bytes(raw);
            let bits = if bits >> 63 == 1 { bits & !(1 << 63) } else { !bits };
            bits.to_le_bytes()
        })?;
        visitor.visit_f64(f64::from_bits(u64::from_le_bytes(raw)))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        let raw = self.number::<4>(|raw| u32::from_be_bytes(raw).to_le_bytes())?;
        visitor.visit_char(char::from_u32(u32::from_le_bytes(raw)).ok_or(CodecError::Invalid("a char"))?)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        visitor.visit_string(self.string()?)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        visitor.visit_string(self.string()?)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        visitor.visit_byte_buf(self.bytes()?)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        visitor.visit_byte_buf(self.bytes()?)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        if self.marker()? { visitor.visit_some(self) } else { visitor.visit_none() }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        self.top = false;
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, CodecError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, CodecError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        self.top = false;
        visitor.visit_seq(MarkedAccess(self))
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, CodecError> {
        self.top = false;
        visitor.visit_seq(Counted(self, len))
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, CodecError> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, CodecError> {
        self.top = false;
        visitor.visit_map(MarkedAccess(self))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, CodecError> {
        self.deserialize_tuple(fields.len(), visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, CodecError> {
        self.top = false;
        visitor.visit_enum(self)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, CodecError> {
        Err(CodecError::NotSelfDescribing)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, CodecError> {
        Err(CodecError::NotSelfDescribing)
    }

    fn is_human_readable(&self) -> bool {
        false
    }
}

/// A tuple or struct: a known number of fields.
struct Counted<'a, 'de>(&'a mut Decoder<'de>, usize);

impl<'de> de::SeqAccess<'de> for Counted<'_, 'de> {
    type Error = CodecError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, CodecError> {
        if self.1 == 0 {
            return Ok(None);
        }
        self.1 -= 1;
        seed.deserialize(&mut *self.0).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.1)
    }
}

/// A sequence or map: elements behind `0x01` markers, until `0x00`.
struct MarkedAccess<'a, 'de>(&'a mut Decoder<'de>);

impl<'de> de::SeqAccess<'de> for MarkedAccess<'_, 'de> {
    type Error = CodecError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, CodecError> {
        if !self.0.marker()? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.0).map(Some)
    }
}

impl<'de> de::MapAccess<'de> for MarkedAccess<'_, 'de> {
    type Error = CodecError;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, CodecError> {
        if !self.0.marker()? {
            return Ok(None);
        }
        seed.deserialize(&mut *self.0).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, CodecError> {
        seed.deserialize(&mut *self.0)
    }
}

impl<'de> de::EnumAccess<'de> for &mut Decoder<'de> {
    type Error = CodecError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), CodecError> {
        let raw = self.number::<4>(|raw| u32::from_be_bytes(raw).to_le_bytes())?;
        let index: de::value::U32Deserializer<CodecError> = u32::from_le_bytes(raw).into_deserializer();
        Ok((seed.deserialize(index)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for &mut Decoder<'de> {
    type Error = CodecError;

    fn unit_variant(self) -> Result<(), CodecError> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, CodecError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, CodecError> {
        visitor.visit_seq(Counted(self, len))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, CodecError> {
        visitor.visit_seq(Counted(self, fields.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec;
    use serde::{Deserialize, Serialize};

    fn key<T: Serialize>(v: &T) -> Vec<u8> {
        encode(v, Mode::Key).unwrap()
    }

    fn round_trip<T: Serialize + DeserializeOwned + PartialEq + fmt::Debug>(v: T) {
        for mode in [Mode::Key, Mode::Value] {
            let bytes = encode(&v, mode).unwrap();
            assert_eq!(decode::<T>(&bytes, mode).unwrap(), v, "{mode:?} {bytes:?}");
        }
    }

    /// Key order must be the values' order.
    fn ordered<T: Serialize + Ord + fmt::Debug + Clone>(mut values: Vec<T>) {
        values.sort();
        for pair in values.windows(2) {
            assert!(key(&pair[0]) <= key(&pair[1]), "{:?} vs {:?}", pair[0], pair[1]);
            assert_eq!(pair[0] == pair[1], key(&pair[0]) == key(&pair[1]));
        }
    }

    #[derive(Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Debug, Clone)]
    enum Shape {
        Dot,
        Circle(u32),
        Rect { w: u16, h: u16 },
    }

    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct Record {
        name: String,
        tags: Vec<String>,
        score: f64,
        shape: Option<Shape>,
        pair: (i8, char),
    }

    #[test]
    fn integers_keep_their_order() {
        ordered(vec![i64::MIN, -1_000_000, -2, -1, 0, 1, 2, 255, 256, i64::MAX]);
        ordered(vec![0u64, 1, 255, 256, 65_536, u64::MAX]);
        ordered(vec![i8::MIN, -1, 0, 1, i8::MAX]);
        ordered(vec![i128::MIN, -1, 0, i128::MAX]);
        assert_eq!(key(&-1i64), [0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
        assert_eq!(encode(&-1i64, Mode::Value).unwrap(), (-1i64).to_le_bytes());
    }

    #[test]
    fn floats_strings_tuples_options_enums_keep_their_order() {
        let floats = [f64::NEG_INFINITY, -1e300, -2.5, -0.0, 0.0, 1e-300, 2.5, f64::INFINITY];
        for pair in floats.windows(2) {
            assert!(key(&pair[0]) < key(&pair[1]), "{pair:?}");
        }
        ordered(vec![String::new(), "a".into(), "a\0".into(), "a\0b".into(), "a\x01".into(), "ab".into(), "b".into()]);
        ordered(vec![
            (String::from("a"), 2u32),
            (String::from("a"), 10),
            (String::from("a\0"), 0),
            (String::from("ab"), 0),
            (String::from("b"), 0),
        ]);
        ordered(vec![None, Some(0i32), Some(-5), Some(7)]);
        ordered(vec![
            Shape::Dot,
            Shape::Circle(3),
            Shape::Circle(1),
            Shape::Rect { w: 1, h: 9 },
            Shape::Rect { w: 2, h: 0 },
        ]);
        ordered(vec![vec![], vec![1u8], vec![1, 0], vec![1, 2], vec![2]]);
        assert_eq!(key(&"plain text"), b"plain text", "a string key is its bytes");
        assert_eq!(encode_part(&"ab", Mode::Key).unwrap(), b"ab\0\0");
        assert!(key(&(String::from("ab"), 7u8)).starts_with(&encode_part(&"ab", Mode::Key).unwrap()));
    }

    #[test]
    fn every_shape_round_trips() {
        round_trip(42u8);
        round_trip(-42i64);
        round_trip(u128::MAX);
        round_trip(3.25f32);
        round_trip(-0.5f64);
        round_trip('é');
        round_trip(String::from("with \0 nul"));
        round_trip(vec![String::from("x"), String::new(), String::from("\0")]);
        round_trip(Some((1u16, String::from("a"))));
        round_trip(Shape::Rect { w: 3, h: 4 });
        round_trip(());
        round_trip(Record {
            name: String::from("n\0ame"),
            tags: vec![String::from("t1"), String::from("t2")],
            score: -1.5,
            shape: Some(Shape::Circle(9)),
            pair: (-3, 'z'),
        });
        let mut map = alloc::collections::BTreeMap::new();
        map.insert(String::from("k"), vec![1u32, 2]);
        round_trip(map);
    }

    #[test]
    fn bad_bytes_are_errors_not_panics() {
        assert_eq!(decode::<u64>(&[1, 2], Mode::Key), Err(CodecError::Eof));
        assert_eq!(decode::<u8>(&[1, 2], Mode::Key), Err(CodecError::TrailingBytes));
        assert!(decode::<bool>(&[7], Mode::Key).is_err());
        assert!(decode::<(String, u8)>(&[b'a', 0, 7], Mode::Key).is_err());
        assert!(decode::<String>(&[0xFF, 0xFE], Mode::Value).is_err());
        assert!(decode::<Shape>(&[0, 0, 0, 9], Mode::Key).is_err());
        assert!(decode::<Option<u8>>(&[5, 1], Mode::Key).is_err());
    }
}
