//! `Display` and `Debug` in Erlang syntax: `{ok,<0.5.1>,[1,2]}`,
//! `#{a => 1}`, `<<"text">>`, `'quoted atom'`. Structure is written as
//! `io:format("~w")` writes it (no spaces after commas); binaries holding
//! printable text as `~p` does (`<<"text">>`, `<<"日本"/utf8>>`); floats as
//! Erlang prints them (`1.5`, `1.0e300`).

use crate::pid::{Pid, Reference};
use crate::term::{Atom, BigInt, Term};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::{self, Write};

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Term::Integer(value) => write!(f, "{value}"),
            Term::BigInt(big) => fmt::Display::fmt(big, f),
            Term::Float(value) => write_float(f, *value),
            Term::Atom(atom) => fmt::Display::fmt(atom, f),
            Term::Binary(bytes) => write_binary(f, bytes),
            Term::Tuple(elements) => {
                f.write_char('{')?;
                write_comma_separated(f, elements)?;
                f.write_char('}')
            }
            Term::List(elements) => {
                f.write_char('[')?;
                write_comma_separated(f, elements)?;
                f.write_char(']')
            }
            Term::ImproperList(elements, tail) => {
                f.write_char('[')?;
                write_comma_separated(f, elements)?;
                write!(f, "|{tail}]")
            }
            Term::Map(pairs) => {
                // In key order, as Erlang prints maps.
                let mut sorted: Vec<&(Term, Term)> = pairs.iter().collect();
                sorted.sort_by(|a, b| a.0.erlang_cmp(&b.0));
                f.write_str("#{")?;
                for (i, (key, value)) in sorted.into_iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write!(f, "{key} => {value}")?;
                }
                f.write_char('}')
            }
            Term::Pid(pid) => fmt::Display::fmt(pid, f),
            Term::Reference(reference) => fmt::Display::fmt(reference, f),
        }
    }
}

impl fmt::Debug for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn write_comma_separated(f: &mut fmt::Formatter<'_>, terms: &[Term]) -> fmt::Result {
    for (i, term) in terms.iter().enumerate() {
        if i > 0 {
            f.write_char(',')?;
        }
        write!(f, "{term}")?;
    }
    Ok(())
}

/// Erlang's `float_to_list(F, [short])`: the shortest digits that read
/// back as `value`, in plain notation unless scientific notation is
/// shorter, and always scientific from 2^53 up (io_lib_format's rule).
fn write_float(f: &mut fmt::Formatter<'_>, value: f64) -> fmt::Result {
    if value == 0.0 {
        return f.write_str(if value.is_sign_negative() { "-0.0" } else { "0.0" });
    }
    if !value.is_finite() {
        // Not a term; print something rather than fail.
        return write!(f, "{value}");
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "1.2345e-7".
    let mut sci = String::new();
    write!(sci, "{:e}", value.abs())?;
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let (first, rest) = digits.split_at(1);
    let scientific = alloc::format!("{first}.{}e{exponent}", if rest.is_empty() { "0" } else { rest });
    let plain = if exponent >= 0 {
        let point = exponent as usize + 1;
        if digits.len() <= point {
            alloc::format!("{digits}{}.0", "0".repeat(point - digits.len()))
        } else {
            alloc::format!("{}.{}", &digits[..point], &digits[point..])
        }
    } else {
        alloc::format!("0.{}{digits}", "0".repeat((-exponent - 1) as usize))
    };
    if value.is_sign_negative() {
        f.write_char('-')?;
    }
    let big = value.abs() >= 9_007_199_254_740_992.0; // 2^53
    f.write_str(if big || scientific.len() < plain.len() { &scientific } else { &plain })
}

/// `<<"text">>` for printable ASCII, `<<"текст"/utf8>>` for printable
/// UTF-8, else `<<1,2,3>>`.
fn write_binary(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    let printable = |c: char| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\x0B' | '\x08' | '\x0C' | '\x1B');
    match core::str::from_utf8(bytes) {
        Ok(text) if !text.is_empty() && text.chars().all(printable) => {
            f.write_str("<<\"")?;
            write_escaped(f, text, '"')?;
            f.write_str(if text.is_ascii() { "\">>" } else { "\"/utf8>>" })
        }
        _ => {
            f.write_str("<<")?;
            for (i, byte) in bytes.iter().enumerate() {
                if i > 0 {
                    f.write_char(',')?;
                }
                write!(f, "{byte}")?;
            }
            f.write_str(">>")
        }
    }
}

/// Text between `quote`s, with Erlang's escapes.
fn write_escaped(f: &mut fmt::Formatter<'_>, text: &str, quote: char) -> fmt::Result {
    for c in text.chars() {
        match c {
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\x0B' => f.write_str("\\v")?,
            '\x08' => f.write_str("\\b")?,
            '\x0C' => f.write_str("\\f")?,
            '\x1B' => f.write_str("\\e")?,
            '\x7F' => f.write_str("\\d")?,
            c if c == quote => write!(f, "\\{c}")?,
            // Other control characters as \^X, as Erlang writes them.
            c if u32::from(c) < 0x20 => write!(f, "\\^{}", char::from(u32::from(c) as u8 + 64))?,
            c => f.write_char(c)?,
        }
    }
    Ok(())
}

/// Erlang's reserved words, which are atoms only when quoted.
const RESERVED: [&str; 27] = [
    "after", "and", "andalso", "band", "begin", "bnot", "bor", "bsl", "bsr", "bxor", "case", "catch", "cond", "div",
    "end", "fun", "if", "let", "not", "of", "or", "orelse", "receive", "rem", "try", "when", "xor",
];

/// An atom, quoted unless it reads back unquoted: a lowercase letter, then
/// letters, digits, `_` and `@` (Latin-1 letters count), and no reserved
/// word.
impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self.as_str();
        let lower = |c: char| c.is_ascii_lowercase() || ('\u{DF}'..='\u{FF}').contains(&c) && c != '\u{F7}';
        let upper = |c: char| c.is_ascii_uppercase() || ('\u{C0}'..='\u{DE}').contains(&c) && c != '\u{D7}';
        let mut chars = text.chars();
        let bare = chars.next().is_some_and(lower)
            && chars.all(|c| lower(c) || upper(c) || c.is_ascii_digit() || c == '_' || c == '@')
            && !RESERVED.contains(&text);
        if bare {
            f.write_str(text)
        } else {
            f.write_char('\'')?;
            write_escaped(f, text, '\'')?;
            f.write_char('\'')
        }
    }
}

impl fmt::Debug for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `<0.INDEX.SERIAL>` for a Warren pid (as the guest SDK prints it, which
/// is Erlang's `<0.ID.SERIAL>` whenever the serial fits 32 bits), else
/// `<node.ID.SERIAL>`.
impl fmt::Display for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_local() {
            Some(raw) => write!(f, "<0.{}.{}>", raw & 0x0FFF_FFFF, raw >> 28),
            None => write!(f, "<{}.{}.{}>", self.node(), self.id(), self.serial()),
        }
    }
}

impl fmt::Debug for Pid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// `#Ref<0.W2.W1.W0>` (words last to first, as Erlang prints them) for a
/// reference of this node, else `#Ref<node.W2.W1.W0>`.
impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("#Ref<")?;
        if self.node() == crate::pid::LOCAL_NODE {
            f.write_char('0')?;
        } else {
            write!(f, "{}", self.node())?;
        }
        for word in self.words().iter().rev() {
            write!(f, ".{word}")?;
        }
        f.write_char('>')
    }
}

impl fmt::Debug for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// In decimal.
impl fmt::Display for BigInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Base 10^9 limbs, least significant first: multiply by 256 and
        // add each digit, most significant digit first.
        const BASE: u64 = 1_000_000_000;
        let mut limbs: Vec<u32> = Vec::with_capacity(self.magnitude().len() * 8 / 27 + 1);
        for &digit in self.magnitude().iter().rev() {
            let mut carry = u64::from(digit);
            for limb in &mut limbs {
                let value = u64::from(*limb) * 256 + carry;
                *limb = (value % BASE) as u32;
                carry = value / BASE;
            }
            while carry > 0 {
                limbs.push((carry % BASE) as u32);
                carry /= BASE;
            }
        }
        if self.is_negative() {
            f.write_char('-')?;
        }
        let mut limbs = limbs.iter().rev();
        write!(f, "{}", limbs.next().copied().unwrap_or(0))?;
        for limb in limbs {
            write!(f, "{limb:09}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for BigInt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}
