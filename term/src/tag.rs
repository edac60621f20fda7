//! The tags of the External Term Format (Erlang's `erl_ext_dist`), as bytes.
//! Each term starts with one; docs/ABI.md ("Terms") lists the layout of the
//! ones Warren uses.

/// The version byte that starts every encoded term.
pub const VERSION: u8 = 131;
/// A zlib-compressed term (`term_to_binary(T, [compressed])`): not decoded.
pub const COMPRESSED: u8 = 80;
/// An integer `0..=255`: 1 byte.
pub const SMALL_INTEGER_EXT: u8 = 97;
/// An `i32`: 4 bytes big-endian.
pub const INTEGER_EXT: u8 = 98;
/// A float as a 31-byte C string (`"%.20e"`), before NEW_FLOAT_EXT.
pub const FLOAT_EXT: u8 = 99;
/// A float: 8 bytes, IEEE 754 big-endian.
pub const NEW_FLOAT_EXT: u8 = 70;
/// An atom: 2-byte length, Latin-1 text.
pub const ATOM_EXT: u8 = 100;
/// An atom: 1-byte length, Latin-1 text.
pub const SMALL_ATOM_EXT: u8 = 115;
/// An atom: 2-byte length, UTF-8 text.
pub const ATOM_UTF8_EXT: u8 = 118;
/// An atom: 1-byte length, UTF-8 text.
pub const SMALL_ATOM_UTF8_EXT: u8 = 119;
/// A tuple of at most 255 elements: 1-byte arity, then the elements.
pub const SMALL_TUPLE_EXT: u8 = 104;
/// A tuple: 4-byte arity, then the elements.
pub const LARGE_TUPLE_EXT: u8 = 105;
/// The empty list `[]`.
pub const NIL_EXT: u8 = 106;
/// A list of integers `0..=255`: 2-byte length, one byte each.
pub const STRING_EXT: u8 = 107;
/// A list: 4-byte length, the elements, then the tail (`NIL_EXT` when
/// proper).
pub const LIST_EXT: u8 = 108;
/// A binary: 4-byte length, the bytes.
pub const BINARY_EXT: u8 = 109;
/// A bitstring (a binary whose last byte is partial): not decoded.
pub const BIT_BINARY_EXT: u8 = 77;
/// An integer: 1-byte digit count, sign byte, little-endian base-256 digits.
pub const SMALL_BIG_EXT: u8 = 110;
/// An integer: 4-byte digit count, sign byte, little-endian base-256 digits.
pub const LARGE_BIG_EXT: u8 = 111;
/// A map: 4-byte arity, then key, value, key, value...
pub const MAP_EXT: u8 = 116;
/// A pid: node atom, 4-byte ID, 4-byte serial, 1-byte creation.
pub const PID_EXT: u8 = 103;
/// A pid: node atom, 4-byte ID, 4-byte serial, 4-byte creation.
pub const NEW_PID_EXT: u8 = 88;
/// A reference: node atom, 4-byte ID, 1-byte creation (before R6).
pub const REFERENCE_EXT: u8 = 101;
/// A reference: 2-byte word count, node atom, 1-byte creation, the words.
pub const NEW_REFERENCE_EXT: u8 = 114;
/// A reference: 2-byte word count, node atom, 4-byte creation, the words.
pub const NEWER_REFERENCE_EXT: u8 = 90;

/// What kind of term `tag` starts ("an atom", "a tuple", ...), for error
/// messages; tags outside the format are "an unknown tag".
pub const fn name(tag: u8) -> &'static str {
    match tag {
        SMALL_INTEGER_EXT | INTEGER_EXT | SMALL_BIG_EXT | LARGE_BIG_EXT => "an integer",
        FLOAT_EXT | NEW_FLOAT_EXT => "a float",
        ATOM_EXT | SMALL_ATOM_EXT | ATOM_UTF8_EXT | SMALL_ATOM_UTF8_EXT => "an atom",
        SMALL_TUPLE_EXT | LARGE_TUPLE_EXT => "a tuple",
        NIL_EXT => "an empty list",
        STRING_EXT | LIST_EXT => "a list",
        BINARY_EXT => "a binary",
        BIT_BINARY_EXT => "a bitstring",
        MAP_EXT => "a map",
        PID_EXT | NEW_PID_EXT => "a pid",
        REFERENCE_EXT | NEW_REFERENCE_EXT | NEWER_REFERENCE_EXT => "a reference",
        COMPRESSED => "a compressed term",
        82 => "an atom cache reference",
        102 | 89 | 120 => "a port",
        112 | 113 | 117 => "a fun",
        121 => "a LOCAL_EXT term",
        VERSION => "a nested version byte",
        _ => "an unknown tag",
    }
}
