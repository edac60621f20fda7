//! Rust names to atoms as Rustler names them: `CamelCase` variant (and
//! unit struct) names become `snake_case` atoms, with the word boundaries
//! of the `heck` crate's `to_snake_case`, which Rustler's derives use
//! (`HTTPServer` → `http_server`, `Version2` → `version2`).

use crate::encode::write_atom;
use crate::error::Result;
use crate::tag::ATOM_EXT;
use alloc::string::String;
use alloc::vec::Vec;

/// [`snake_chars`] for an ASCII `name`, a byte at a time: the same words
/// (ASCII letters are the only cased characters, digits keep the mode), no
/// `char` decoding and no `to_lowercase` iterator. Names are converted at
/// every encode and decode of a variant, so this is on the path of every
/// GenServer call.
fn snake_ascii(name: &[u8], mut emit: impl FnMut(u8)) {
    let mut first = true;
    let mut word = |w: &[u8], emit: &mut dyn FnMut(u8)| {
        if !core::mem::take(&mut first) {
            emit(b'_');
        }
        for &c in w {
            emit(c.to_ascii_lowercase());
        }
    };
    for part in name.split(|c| !c.is_ascii_alphanumeric()) {
        let mut start = 0;
        let mut mode = Mode::Boundary;
        for i in 0..part.len() {
            let c = part[i];
            let Some(&next) = part.get(i + 1) else {
                word(&part[start..], &mut emit);
                break;
            };
            let next_mode = if c.is_ascii_lowercase() {
                Mode::Lower
            } else if c.is_ascii_uppercase() {
                Mode::Upper
            } else {
                mode
            };
            if next_mode == Mode::Lower && next.is_ascii_uppercase() {
                word(&part[start..i + 1], &mut emit);
                start = i + 1;
                mode = Mode::Boundary;
            } else if mode == Mode::Upper && c.is_ascii_uppercase() && next.is_ascii_lowercase() {
                word(&part[start..i], &mut emit);
                start = i;
                mode = Mode::Boundary;
            } else {
                mode = next_mode;
            }
        }
    }
}

/// Where a word of a name is, for [`snake_chars`] and [`snake_ascii`].
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Boundary,
    Lower,
    Upper,
}

/// Calls `emit` with each character of `name` in snake_case.
fn snake_chars(name: &str, mut emit: impl FnMut(char)) {
    if name.is_ascii() {
        snake_ascii(name.as_bytes(), |c| emit(c as char));
    } else {
        snake_unicode(name, emit);
    }
}

/// [`snake_chars`] for any name.
fn snake_unicode(name: &str, mut emit: impl FnMut(char)) {
    let mut first = true;
    let mut word = |w: &str, emit: &mut dyn FnMut(char)| {
        if !core::mem::take(&mut first) {
            emit('_');
        }
        for c in w.chars().flat_map(char::to_lowercase) {
            emit(c);
        }
    };
    // Words are separated by anything not alphanumeric, and inside a run
    // of letters by a lower-to-upper step (`fooBar`) or before the last
    // capital of a run followed by a lowercase letter (`HTTPServer`).
    for part in name.split(|c: char| !c.is_alphanumeric()) {
        let mut chars = part.char_indices().peekable();
        let mut start = 0;
        let mut mode = Mode::Boundary;
        while let Some((i, c)) = chars.next() {
            let Some(&(next_i, next)) = chars.peek() else {
                word(&part[start..], &mut emit);
                break;
            };
            let next_mode = if c.is_lowercase() {
                Mode::Lower
            } else if c.is_uppercase() {
                Mode::Upper
            } else {
                mode
            };
            if next_mode == Mode::Lower && next.is_uppercase() {
                word(&part[start..next_i], &mut emit);
                start = next_i;
                mode = Mode::Boundary;
            } else if mode == Mode::Upper && c.is_uppercase() && next.is_lowercase() {
                word(&part[start..i], &mut emit);
                start = i;
                mode = Mode::Boundary;
            } else {
                mode = next_mode;
            }
        }
    }
}

/// `name` in snake_case.
pub(crate) fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    snake_chars(name, |c| out.push(c));
    out
}

/// Whether `atom` is `name` in snake_case, without allocating.
pub(crate) fn is_snake_case_of(atom: &str, name: &str) -> bool {
    if name.is_ascii() {
        let mut expected = atom.bytes();
        let mut same = true;
        snake_ascii(name.as_bytes(), |c| same &= expected.next() == Some(c));
        return same && expected.next().is_none();
    }
    let mut expected = atom.chars();
    let mut same = true;
    snake_chars(name, |c| same &= expected.next() == Some(c));
    same && expected.next().is_none()
}

/// Writes the atom of `name` in snake_case.
pub(crate) fn write_snake_atom(out: &mut Vec<u8>, name: &str) -> Result<()> {
    if name.is_ascii() {
        // Built in place: ASCII in, ASCII out (one byte per character),
        // so the ATOM_EXT length is the byte count.
        let header = out.len();
        out.reserve(3 + name.len() + name.len() / 2);
        out.extend_from_slice(&[ATOM_EXT, 0, 0]);
        snake_ascii(name.as_bytes(), |c| out.push(c));
        let len = out.len() - header - 3;
        if len <= crate::encode::MAX_ATOM_CHARS {
            out[header + 1..header + 3].copy_from_slice(&(len as u16).to_be_bytes());
            return Ok(());
        }
        out.truncate(header);
    }
    write_atom(out, &snake_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snake_case_follows_heck() {
        for (name, snake) in [
            ("Ping", "ping"),
            ("CamelCase", "camel_case"),
            ("HTTPServer", "http_server"),
            ("Version2", "version2"),
            ("already_snake", "already_snake"),
            ("ABC", "abc"),
            ("aB", "a_b"),
            ("Foo__Bar", "foo_bar"),
            ("_Leading", "leading"),
            ("XMLHttpRequest", "xml_http_request"),
            ("Été", "été"),
            ("", ""),
            ("_", ""),
            ("a1B2", "a1_b2"),
            ("A1b", "a1b"),
        ] {
            assert_eq!(snake_case(name), snake, "{name}");
            assert!(is_snake_case_of(snake, name), "{name}");
            assert!(!is_snake_case_of("x", name), "{name}");
        }
    }

    /// Every ASCII name of up to 4 characters from a set that exercises
    /// every word boundary: the byte path agrees with the `char` path.
    #[test]
    fn the_ascii_path_agrees_with_the_unicode_path() {
        let alphabet = b"aZb_Y1 x";
        let mut name = Vec::new();
        for len in 0..=4u32 {
            for code in 0..alphabet.len().pow(len) {
                name.clear();
                let mut rest = code;
                for _ in 0..len {
                    name.push(alphabet[rest % alphabet.len()]);
                    rest /= alphabet.len();
                }
                let text = core::str::from_utf8(&name).unwrap();
                let mut unicode = String::new();
                snake_unicode(text, |c| unicode.push(c));
                let mut ascii = Vec::new();
                snake_ascii(&name, |c| ascii.push(c));
                assert_eq!(ascii, unicode.as_bytes(), "{text:?}");
                assert!(is_snake_case_of(&unicode, text), "{text:?}");
            }
        }
    }
}
