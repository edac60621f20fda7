//! The byte strings tables store: keys and values up to [`INLINE`] bytes
//! live inside the tree node itself (no allocation, no pointer to chase when
//! comparing keys), longer ones on the heap.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Longest byte string kept inline.
pub(crate) const INLINE: usize = 22;

/// An owned byte string, 24 bytes wide, inline when short.
#[derive(Clone)]
pub(crate) enum Bytes {
    Inline { len: u8, data: [u8; INLINE] },
    Heap(Box<[u8]>),
}

impl Bytes {
    /// A copy of `bytes`.
    pub(crate) fn new(bytes: &[u8]) -> Bytes {
        if bytes.len() <= INLINE {
            let mut data = [0; INLINE];
            data[..bytes.len()].copy_from_slice(bytes);
            Bytes::Inline { len: bytes.len() as u8, data }
        } else {
            Bytes::Heap(bytes.into())
        }
    }

    /// The bytes.
    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Inline { len, data } => &data[..usize::from(*len)],
            Bytes::Heap(bytes) => bytes,
        }
    }

    /// The first 8 bytes as a big-endian number, zero-padded.
    fn head(&self) -> u64 {
        match self {
            // Inline data is zero-padded past `len`.
            Bytes::Inline { data, .. } => {
                u64::from_be_bytes([data[0], data[1], data[2], data[3], data[4], data[5], data[6], data[7]])
            }
            Bytes::Heap(bytes) => head(bytes),
        }
    }

    /// Replaces the bytes with `bytes`, reusing the heap buffer when the
    /// length is the same.
    pub(crate) fn set(&mut self, bytes: &[u8]) {
        match self {
            Bytes::Heap(old) if old.len() == bytes.len() => old.copy_from_slice(bytes),
            _ => *self = Bytes::new(bytes),
        }
    }
}

impl Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl Borrow<[u8]> for Bytes {
    fn borrow(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for Bytes {
    fn eq(&self, other: &Bytes) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Bytes {}

impl PartialOrd for Bytes {
    fn partial_cmp(&self, other: &Bytes) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Bytes {
    fn cmp(&self, other: &Bytes) -> Ordering {
        match self.head().cmp(&other.head()) {
            Ordering::Equal => tail_order(self.as_slice(), other.as_slice()),
            unequal => unequal,
        }
    }
}

/// The first 8 bytes of `bytes` as a big-endian number, zero-padded.
fn head(bytes: &[u8]) -> u64 {
    match bytes.first_chunk::<8>() {
        Some(first) => u64::from_be_bytes(*first),
        None => {
            let mut padded = [0u8; 8];
            padded[..bytes.len()].copy_from_slice(bytes);
            u64::from_be_bytes(padded)
        }
    }
}

/// The order of two byte strings whose zero-padded heads are equal: a
/// string of 8 bytes or less is then a prefix of the other (or equal), so
/// the shorter is first; longer ones compare on.
fn tail_order(a: &[u8], b: &[u8]) -> Ordering {
    if a.len() <= 8 || b.len() <= 8 { a.len().cmp(&b.len()) } else { a[8..].cmp(&b[8..]) }
}

/// Bytewise order (as `[u8]`'s), fast for short strings: one comparison of
/// their first 8 bytes as numbers decides most pairs without `memcmp`.
pub(crate) fn compare(a: &[u8], b: &[u8]) -> Ordering {
    match head(a).cmp(&head(b)) {
        Ordering::Equal => tail_order(a, b),
        unequal => unequal,
    }
}

impl Hash for Bytes {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_slice(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_heap_compare_as_bytes() {
        assert_eq!(std::mem::size_of::<Bytes>(), 24);
        assert_eq!(std::mem::size_of::<super::super::store::Values>(), 24);
        assert_eq!(std::mem::size_of::<Option<super::super::hashed::Entry>>(), 56);
        let short = Bytes::new(b"abc");
        let long = Bytes::new(&[b'a'; 40]);
        assert!(matches!(short, Bytes::Inline { .. }));
        assert!(matches!(long, Bytes::Heap(_)));
        assert_eq!(&*short, b"abc");
        assert!(long < short, "\"aaaa...\" sorts before \"abc\"");
        assert_eq!(Bytes::new(&[]).len(), 0);
        let mut value = Bytes::new(&[1; 30]);
        value.set(&[2; 30]);
        value.set(b"x");
        assert_eq!(&*value, b"x");
    }

    #[test]
    fn the_fast_order_is_the_bytewise_order() {
        let samples: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0, 0],
            b"ab".to_vec(),
            b"ab\0".to_vec(),
            b"ab\0\0\0\0\0\0".to_vec(),
            b"ab\0\0\0\0\0\0\0".to_vec(),
            b"ab\0\0\0\0\0\0xyz".to_vec(),
            b"abcdefgh".to_vec(),
            b"abcdefghi".to_vec(),
            b"abcdefghj".to_vec(),
            vec![0xFF; 7],
            vec![0xFF; 8],
            vec![0xFF; 30],
            vec![1; 23],
            vec![1; 22],
        ];
        for a in &samples {
            for b in &samples {
                let expected = a.as_slice().cmp(b.as_slice());
                assert_eq!(compare(a, b), expected, "{a:?} vs {b:?}");
                assert_eq!(Bytes::new(a).cmp(&Bytes::new(b)), expected, "{a:?} vs {b:?}");
            }
        }
    }
}
