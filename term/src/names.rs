//! Rust names to atoms as Rustler names them: `CamelCase` variant (and
//! unit struct) names become `snake_case` atoms, with the word boundaries
//! of the `heck` crate's `to_snake_case`, which Rustler's derives use
//! (`HTTPServer` → `http_server`, `Version2` → `version2`).

#[cfg(feature = "unicode-names")]
use crate::encode::write_atom;
use crate::error::Result;
use crate::tag::ATOM_EXT;
#[cfg(feature = "unicode-names")]
use alloc::string::String;
use alloc::vec::Vec;

/// The words of an ASCII `name` in order, as [`snake_chars`] splits them
/// (ASCII letters are the only cased characters, digits keep the mode),
/// each as a slice of `name` still in its own case: no `char` decoding, no
/// `to_lowercase` iterator, and a call per word rather than per character.
/// Names are converted at every encode and decode of a variant, so this is
/// on the path of every GenServer call.
fn snake_ascii_words(name: &[u8], mut word: impl FnMut(&[u8])) {
    for part in name.split(|c| !c.is_ascii_alphanumeric()) {
        let mut start = 0;
        let mut mode = Mode::Boundary;
        for i in 0..part.len() {
            let c = part[i];
            let Some(&next) = part.get(i + 1) else {
                word(&part[start..]);
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
                word(&part[start..i + 1]);
                start = i + 1;
                mode = Mode::Boundary;
            } else if mode == Mode::Upper && c.is_ascii_uppercase() && next.is_ascii_lowercase() {
                word(&part[start..i]);
                start = i;
                mode = Mode::Boundary;
            } else {
                mode = next_mode;
            }
        }
    }
}

/// [`snake_chars`] for an ASCII `name`, a byte at a time.
#[cfg(feature = "unicode-names")]
fn snake_ascii(name: &[u8], mut emit: impl FnMut(u8)) {
    let mut first = true;
    snake_ascii_words(name, |w| {
        if !core::mem::take(&mut first) {
            emit(b'_');
        }
        for &c in w {
            emit(c.to_ascii_lowercase());
        }
    });
}

/// Whether `name` is one word: an ASCII letter, then only lowercase ASCII
/// letters and digits (`Ping`, `echo`, `Version2`). Its snake_case is
/// itself with the first letter lowercased. Most variant names are one
/// word, and skip the word scan.
fn one_word(name: &[u8]) -> bool {
    match name.split_first() {
        Some((first, rest)) => {
            first.is_ascii_alphabetic() && rest.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        }
        None => false,
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
#[cfg(feature = "unicode-names")]
fn snake_chars(name: &str, mut emit: impl FnMut(char)) {
    if name.is_ascii() {
        snake_ascii(name.as_bytes(), |c| emit(c as char));
    } else {
        snake_unicode(name, emit);
    }
}

/// [`snake_chars`] for any name: Unicode's word boundaries and lowercase
/// (core's case tables, about 15 KiB of constant data in a guest, hence
/// the feature).
#[cfg(feature = "unicode-names")]
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
#[cfg(feature = "unicode-names")]
pub(crate) fn snake_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    snake_chars(name, |c| out.push(c));
    out
}

/// Whether `atom` is `name` in snake_case, without allocating.
pub(crate) fn is_snake_case_of(atom: &str, name: &str) -> bool {
    if name.is_ascii() {
        return is_ascii_snake_case_of(atom.as_bytes(), name);
    }
    #[cfg(feature = "unicode-names")]
    {
        let mut expected = atom.chars();
        let mut same = true;
        snake_chars(name, |c| same &= expected.next() == Some(c));
        same && expected.next().is_none()
    }
    // Such a name has no snake_case without the feature: only the name as
    // written matches (which the caller tries first).
    #[cfg(not(feature = "unicode-names"))]
    false
}

/// [`is_snake_case_of`] for an ASCII `name`, on the atom's bytes.
pub(crate) fn is_ascii_snake_case_of(atom: &[u8], name: &str) -> bool {
    debug_assert!(name.is_ascii());
    let name_bytes = name.as_bytes();
    if one_word(name_bytes) {
        return atom.len() == name_bytes.len()
            && atom[0] == name_bytes[0].to_ascii_lowercase()
            && atom[1..] == name_bytes[1..];
    }
    // Word by word: each must follow at `at`, lowercased, after a `_`
    // unless it is the first.
    let mut at = 0;
    let mut same = true;
    snake_ascii_words(name_bytes, |w| {
        if !same {
            return;
        }
        if at > 0 {
            same = atom.get(at) == Some(&b'_');
            at += 1;
        }
        same = same
            && atom
                .get(at..at + w.len())
                .is_some_and(|got| got.iter().zip(w).all(|(g, c)| *g == c.to_ascii_lowercase()));
        at += w.len();
    });
    same && at == atom.len()
}

/// Writes the atom of `name` in snake_case.
pub(crate) fn write_snake_atom(out: &mut Vec<u8>, name: &str) -> Result<()> {
    let bytes = name.as_bytes();
    if one_word(bytes) && bytes.len() <= crate::encode::MAX_ATOM_CHARS {
        out.extend_from_slice(&[ATOM_EXT, 0, bytes.len() as u8, bytes[0].to_ascii_lowercase()]);
        out.extend_from_slice(&bytes[1..]);
        return Ok(());
    }
    if name.is_ascii() {
        // Built in place: ASCII in, ASCII out (one byte per character),
        // so the ATOM_EXT length is the byte count.
        let header = out.len();
        out.reserve(3 + name.len() + name.len() / 2);
        out.extend_from_slice(&[ATOM_EXT, 0, 0]);
        let mut first = true;
        snake_ascii_words(bytes, |w| {
            if !core::mem::take(&mut first) {
                out.push(b'_');
            }
            let at = out.len();
            out.extend_from_slice(w);
            out[at..].make_ascii_lowercase();
        });
        let len = out.len() - header - 3;
        if len <= crate::encode::MAX_ATOM_CHARS {
            out[header + 1..header + 3].copy_from_slice(&(len as u16).to_be_bytes());
            return Ok(());
        }
        out.truncate(header);
        return Err(crate::error::Error::unencodable("an atom longer than 255 characters"));
    }
    #[cfg(feature = "unicode-names")]
    return write_atom(out, &snake_case(name));
    #[cfg(not(feature = "unicode-names"))]
    Err(crate::error::Error::unencodable(
        "a variant or unit struct name with non-ASCII characters (build warren-term with its `unicode-names` \
         feature; in the guest SDK, `warren`'s `unicode-names`)",
    ))
}

#[cfg(all(test, feature = "unicode-names"))]
mod tests {
    use super::*;
    use alloc::format;

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
                // Neither a longer nor a shorter atom, nor one a byte off.
                assert!(!is_snake_case_of(&format!("{unicode}x"), text), "{text:?}");
                if let Some(shorter) = unicode.get(..unicode.len().saturating_sub(1))
                    && !unicode.is_empty()
                {
                    assert!(!is_snake_case_of(shorter, text), "{text:?}");
                    let mut off = unicode.clone().into_bytes();
                    off[0] = if off[0] == b'q' { b'r' } else { b'q' };
                    assert!(!is_snake_case_of(core::str::from_utf8(&off).unwrap(), text), "{text:?}");
                }
                let mut atom = Vec::new();
                write_snake_atom(&mut atom, text).unwrap();
                assert_eq!(atom[..3], [ATOM_EXT, 0, unicode.len() as u8], "{text:?}");
                assert_eq!(&atom[3..], unicode.as_bytes(), "{text:?}");
            }
        }
    }
}

#[cfg(all(test, not(feature = "unicode-names")))]
mod without_unicode_names {
    use super::*;

    #[test]
    fn ascii_names_are_as_with_the_feature_and_others_are_refused_not_mangled() {
        let mut out = Vec::new();
        write_snake_atom(&mut out, "HTTPServer").unwrap();
        assert_eq!(out, [&[ATOM_EXT, 0, 11][..], b"http_server"].concat());
        assert!(is_snake_case_of("http_server", "HTTPServer"));
        let error = write_snake_atom(&mut Vec::new(), "Été").unwrap_err();
        assert!(alloc::format!("{error}").contains("unicode-names"), "{error}");
        // Only the name as written can match it (the decoder tries that first).
        assert!(!is_snake_case_of("été", "Été"));
    }
}

#[cfg(test)]
mod long_names {
    use super::*;

    #[test]
    fn a_name_whose_snake_case_outgrows_an_atom_is_refused_not_written_as_it_stands() {
        // 200 characters, 300 once snake-cased: never the name unconverted.
        let name: alloc::string::String = core::iter::repeat_n("aB", 100).collect();
        let mut out = Vec::from([1u8]);
        assert!(write_snake_atom(&mut out, &name).is_err());
        assert_eq!(out, [1], "nothing written");
    }
}
