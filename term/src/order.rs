//! Erlang's term order, as Erlang sorts the keys of a small map (at most 32
//! keys) before `term_to_binary` writes them: numbers < atoms < references
//! < pids < tuples < maps < `[]` < lists < binaries. Numbers compare the way
//! map keys do (`=:=`): every integer before every float, integers by
//! value, floats by value.

use crate::term::Term;
use core::cmp::Ordering;

/// The rank of a term's type in Erlang's order (funs and ports, absent
/// here, would sit between references and pids).
fn rank(term: &Term) -> u8 {
    match term {
        Term::Integer(_) | Term::BigInt(_) => 0,
        Term::Float(_) => 1,
        Term::Atom(_) => 2,
        Term::Reference(_) => 3,
        Term::Pid(_) => 4,
        Term::Tuple(_) => 5,
        Term::Map(_) => 6,
        Term::List(list) if list.is_empty() => 7,
        Term::List(_) | Term::ImproperList(..) => 8,
        Term::Binary(_) => 9,
    }
}

/// Compares `a` and `b` in Erlang's term order (see the module docs).
pub(crate) fn cmp(a: &Term, b: &Term) -> Ordering {
    match (a, b) {
        (Term::Integer(x), Term::Integer(y)) => x.cmp(y),
        (Term::Integer(_) | Term::BigInt(_), Term::Integer(_) | Term::BigInt(_)) => cmp_integers(a, b),
        // NaN cannot be encoded; treat it as equal rather than panic.
        (Term::Float(x), Term::Float(y)) => x.partial_cmp(y).unwrap_or(Ordering::Equal),
        (Term::Atom(x), Term::Atom(y)) => x.as_str().cmp(y.as_str()),
        (Term::Reference(x), Term::Reference(y)) => x
            .node()
            .as_str()
            .cmp(y.node().as_str())
            .then(x.words().len().cmp(&y.words().len()))
            .then_with(|| x.words().iter().rev().cmp(y.words().iter().rev()))
            .then(x.creation().cmp(&y.creation())),
        (Term::Pid(x), Term::Pid(y)) => x
            .node()
            .as_str()
            .cmp(y.node().as_str())
            .then(x.serial().cmp(&y.serial()))
            .then(x.id().cmp(&y.id()))
            .then(x.creation().cmp(&y.creation())),
        (Term::Tuple(x), Term::Tuple(y)) => x.len().cmp(&y.len()).then_with(|| cmp_slices(x, y)),
        (Term::Map(x), Term::Map(y)) => {
            // Size, then the keys in order, then the values in key order.
            x.len()
                .cmp(&y.len())
                .then_with(|| cmp_iter(x.iter().map(|p| &p.0), y.iter().map(|p| &p.0)))
                .then_with(|| cmp_iter(x.iter().map(|p| &p.1), y.iter().map(|p| &p.1)))
        }
        (Term::List(_) | Term::ImproperList(..), Term::List(_) | Term::ImproperList(..)) => cmp_lists(a, b),
        (Term::Binary(x), Term::Binary(y)) => x.cmp(y),
        _ => rank(a).cmp(&rank(b)),
    }
}

fn cmp_slices(x: &[Term], y: &[Term]) -> Ordering {
    cmp_iter(x.iter(), y.iter())
}

/// Lexicographic order of two sequences of terms.
fn cmp_iter<'a>(mut x: impl Iterator<Item = &'a Term>, mut y: impl Iterator<Item = &'a Term>) -> Ordering {
    loop {
        match (x.next(), y.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(a), Some(b)) => match cmp(a, b) {
                Ordering::Equal => {}
                other => return other,
            },
        }
    }
}

/// Integers where at least one is a big integer.
fn cmp_integers(a: &Term, b: &Term) -> Ordering {
    // (negative, magnitude little-endian without trailing zeros)
    fn parts(term: &Term, buf: &mut [u8; 8]) -> (bool, usize) {
        match term {
            Term::Integer(value) => {
                *buf = value.unsigned_abs().to_le_bytes();
                (*value < 0, buf.iter().rposition(|&d| d != 0).map_or(0, |i| i + 1))
            }
            _ => (false, 0),
        }
    }
    let (mut buf_a, mut buf_b) = ([0u8; 8], [0u8; 8]);
    let (neg_a, mag_a) = match a {
        Term::BigInt(big) => (big.is_negative(), big.magnitude()),
        _ => {
            let (negative, len) = parts(a, &mut buf_a);
            (negative, &buf_a[..len])
        }
    };
    let (neg_b, mag_b) = match b {
        Term::BigInt(big) => (big.is_negative(), big.magnitude()),
        _ => {
            let (negative, len) = parts(b, &mut buf_b);
            (negative, &buf_b[..len])
        }
    };
    let magnitude = mag_a.len().cmp(&mag_b.len()).then_with(|| mag_a.iter().rev().cmp(mag_b.iter().rev()));
    match (neg_a, neg_b) {
        (false, false) => magnitude,
        (true, true) => magnitude.reverse(),
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
    }
}

/// Lists compare cell by cell: the heads, then the tails (a proper list's
/// last tail is `[]`, which sorts before any other list cell).
fn cmp_lists(a: &Term, b: &Term) -> Ordering {
    fn cells(term: &Term) -> (&[Term], Option<&Term>) {
        match term {
            Term::List(elements) => (elements, None),
            Term::ImproperList(elements, tail) => (elements, Some(tail)),
            _ => (&[], Some(term)),
        }
    }
    let (xs, x_tail) = cells(a);
    let (ys, y_tail) = cells(b);
    for (x, y) in xs.iter().zip(ys) {
        match cmp(x, y) {
            Ordering::Equal => {}
            other => return other,
        }
    }
    let common = xs.len().min(ys.len());
    // What follows the common cells on each side: more cells (a list), or
    // the tail (`[]` for a proper list).
    let rest = |elements: &[Term], tail: Option<&Term>| -> Rest {
        if elements.len() > common {
            Rest::Cells
        } else {
            match tail {
                None => Rest::Nil,
                Some(tail) => Rest::Tail(rank(tail)),
            }
        }
    };
    match (rest(xs, x_tail), rest(ys, y_tail)) {
        (Rest::Tail(_), Rest::Tail(_)) => match (x_tail, y_tail) {
            (Some(x), Some(y)) => cmp(x, y),
            _ => Ordering::Equal,
        },
        (x, y) => x.rank().cmp(&y.rank()),
    }
}

#[derive(Clone, Copy)]
enum Rest {
    Nil,
    Cells,
    Tail(u8),
}

impl Rest {
    fn rank(self) -> u8 {
        match self {
            Rest::Nil => 7,
            Rest::Cells => 8,
            Rest::Tail(rank) => rank,
        }
    }
}
