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
        self.as_slice().cmp(other.as_slice())
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
}
