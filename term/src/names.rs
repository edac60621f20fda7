//! Rust names to atoms as Rustler names them: `CamelCase` variant (and
//! unit struct) names become `snake_case` atoms, with the word boundaries
//! of the `heck` crate's `to_snake_case`, which Rustler's derives use
//! (`HTTPServer` → `http_server`, `Version2` → `version2`).

use crate::encode::write_atom;
use crate::error::Result;
use crate::tag::ATOM_EXT;
use alloc::string::String;
use alloc::vec::Vec;

/// Calls `emit` with each character of `name` in snake_case.
fn snake_chars(name: &str, mut emit: impl FnMut(char)) {
    #[derive(Clone, Copy, PartialEq)]
    enum Mode {
        Boundary,
        Lower,
        Upper,
    }
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
        out.extend_from_slice(&[ATOM_EXT, 0, 0]);
        snake_chars(name, |c| out.push(c as u8));
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
        ] {
            assert_eq!(snake_case(name), snake, "{name}");
            assert!(is_snake_case_of(snake, name), "{name}");
            assert!(!is_snake_case_of("x", name), "{name}");
        }
    }
}
