//! Erlang's External Term Format (version 131), Warren's one structured
//! message format: what `term_to_binary/1` writes and `binary_to_term/1`
//! reads, so Warren messages are Erlang and Elixir terms.
//!
//! - [`Term`]: any term of the subset Warren uses (integers of any size,
//!   floats, atoms, binaries, tuples, lists, maps, pids, references), with
//!   [`encode`] (byte for byte what Erlang/OTP 25 writes) and [`decode`]
//!   (every tag Erlang writes for these), and `Display` in Erlang syntax.
//! - serde: [`to_vec`] and [`from_slice`] turn Rust values into term bytes
//!   and back directly, without a `Term` in between, mapped as Rustler maps
//!   Rust types, so an Elixir programmer sees what they expect.
//! - [`Pid`] and [`Reference`]: Warren's 64-bit pids and references as
//!   Erlang pids and references of node `nonode@nohost`.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! enum Request {
//!     Get,                             // get
//!     Put { key: String, value: i64 }, // {put, #{key => <<"a">>, value => 1}}
//! }
//!
//! let bytes = warren_term::to_vec(&Request::Put { key: "a".into(), value: 1 })?;
//! let term = warren_term::decode(&bytes)?;
//! assert_eq!(term.to_string(), r#"{put,#{key => <<"a">>,value => 1}}"#);
//! assert_eq!(warren_term::from_slice::<Request>(&bytes)?, Request::Put { key: "a".into(), value: 1 });
//! # Ok::<(), warren_term::Error>(())
//! ```
//!
//! # Rust types as terms
//!
//! | Rust | term | as in Rustler |
//! | --- | --- | --- |
//! | `bool` | `true` / `false` | yes |
//! | integers | the smallest integer tag: SMALL_INTEGER_EXT (0..=255), INTEGER_EXT (`i32`), else SMALL_BIG_EXT | yes |
//! | `f32`, `f64` | NEW_FLOAT_EXT (NaN and infinities cannot be encoded) | yes |
//! | `char` | its code point (an integer, as `$a`) | — |
//! | `String`, `&str` | a UTF-8 binary | yes |
//! | bytes (`serde_bytes`) | a binary | `Binary` |
//! | `Option<T>`: `None` / `Some(x)` | `nil` / `x` | yes |
//! | `()` | `{}` | yes |
//! | unit struct `Ping` | the atom `ping` (its name in snake_case) | — |
//! | newtype struct `Meters(5)` | `5` | — |
//! | tuple struct, tuple | a tuple | NifTuple |
//! | struct | a map with atom keys, `#{x => 1, y => 2}` (Elixir `%{x: 1, y: 2}`) | NifMap |
//! | unit variant `Color::DarkRed` | the atom `dark_red` (snake_case) | NifUnitEnum |
//! | newtype variant `Msg::Text(s)` | `{text, s}` | NifTaggedEnum |
//! | tuple variant `Msg::Move(x, y)` | `{move, x, y}` | NifTaggedEnum |
//! | struct variant `Msg::Put { key, value }` | `{put, #{key => .., value => ..}}` | NifTaggedEnum |
//! | `Vec<T>`, sequences | a list (STRING_EXT when all are integers `0..=255`, as Erlang) | yes |
//! | maps | a map, keys in Erlang's term order | yes |
//! | [`Atom`] | an atom | `Atom` |
//! | [`Pid`] | a pid | `LocalPid` |
//! | [`Reference`] | a reference | `Reference` |
//! | [`Term`] | the term itself | `Term` |
//!
//! Snake case follows the `heck` crate, as Rustler's derives do
//! (`HTTPServer` → `http_server`). Names with non-ASCII characters need the
//! `unicode-names` feature (on by default; the guest SDK leaves it off, as
//! it brings core's Unicode case tables): without it they cannot be
//! encoded. A `#[serde(rename = "...")]` name is
//! snake-cased too; already snake_case names are unchanged. An Elixir
//! struct is a map with a `__struct__` key: give the Rust struct a field
//! `#[serde(rename = "__struct__")] module: Atom` set to e.g.
//! `Atom::from("Elixir.MyApp.Point")`. `#[serde(flatten)]` makes serde
//! write the struct as a map with string keys, so its keys are binaries.
//!
//! Decoding is the inverse, and lenient where Erlang has several spellings:
//! variants and unit structs match their snake_case atom or their name as
//! written; struct fields may be atom or binary keys, and unknown keys
//! (such as `__struct__`) are skipped unless the struct denies unknown
//! fields; `()` also reads `nil`; floats also read integers; sequences also
//! read binaries and STRING_EXT as bytes, and tuples read lists; bytes also
//! read lists of integers `0..=255`; `char` also reads a one-character
//! binary. `&str` and `&[u8]` borrow from the input.
//!
//! Through other serde formats this crate's types keep a plain shape:
//! [`Atom`] is a string, [`Pid`] the tuple `(node, id, serial, creation)`,
//! [`Reference`] `(node, creation, [words])`, [`Term`] its natural shape
//! (see its `Serialize` impl). The newtype struct names starting with
//! `$warren_term::` are reserved for this.
//!
//! # Limits
//!
//! Decoding untrusted bytes never panics, reserves memory only in
//! proportion to the bytes left (a forged length cannot make it allocate),
//! and refuses containers nested deeper than [`MAX_DEPTH`]. Not supported:
//! compressed terms (tag 80, an error), bitstrings, funs, ports, and the
//! atom cache of the distribution protocol. A map of more than 32 keys is
//! encoded with its keys in term order, where Erlang writes them in its
//! hash order: both decode to the same map.
//!
//! # Why not a crate
//!
//! `eetf` (used by `erl_dist`) and `erltf` need `std` and have no serde
//! serializer of their own; `serde_eetf` builds on `eetf` and is
//! unmaintained since 2019; `erlang-term` is `std` too. Warren needs the
//! codec in `no_std` wasm guests, straight from Rust types to bytes, and
//! byte-exact with OTP's `term_to_binary`, so it is written here (serde is
//! the only dependency).

#![no_std]

extern crate alloc;

mod de;
mod decode;
mod display;
mod encode;
mod error;
mod float_text;
mod names;
mod order;
mod pid;
mod ser;
pub mod tag;
mod term;
mod token;
mod value;

pub use de::{Deserializer, from_slice};
pub use decode::{MAX_DEPTH, decode};
pub use encode::{encode, encode_into};
pub use error::{Error, ErrorKind, Result};
pub use pid::{LOCAL_NODE, Pid, Reference};
pub use ser::{Map, Seq, Serializer, Tuple, to_vec, to_vec_into};
pub use term::{Atom, BigInt, Term};

#[cfg(test)]
mod tests;
