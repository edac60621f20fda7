//! [`Pid`] and [`Reference`]: Erlang's process identifiers and references,
//! and how Warren's 64-bit pids and references map onto them.

use crate::term::Atom;
use crate::token;
use core::fmt;
use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeSeq, Serializer};

/// The node name of a non-distributed Erlang node, which Warren writes in
/// its own pids and references (distribution will translate it).
pub const LOCAL_NODE: &str = "nonode@nohost";

/// Bits of a Warren pid's process-table index (the low bits of the raw
/// pid; the serial is above them).
const INDEX_BITS: u32 = 28;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;

/// A process identifier (NEW_PID_EXT): a node name, an ID, a serial and
/// the node's creation.
///
/// A Warren pid (a `u64`: `serial << 28 | index`) is a pid of node
/// [`LOCAL_NODE`] with creation 0, ID `index | (serial >> 32) << 28` and
/// serial `serial & 0xFFFF_FFFF` ([`Pid::local`], [`Pid::to_local`]). Pids
/// of other nodes keep their node and creation.
///
/// Serialized with this crate's serializer it is a pid; other serde
/// formats see a newtype struct around `(node, id, serial, creation)`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Pid {
    node: Atom,
    id: u32,
    serial: u32,
    creation: u32,
}

impl Pid {
    /// The pid with these fields.
    pub fn new(node: impl Into<Atom>, id: u32, serial: u32, creation: u32) -> Pid {
        Pid { node: node.into(), id, serial, creation }
    }

    /// The pid of the Warren process whose raw pid is `raw`.
    pub const fn local(raw: u64) -> Pid {
        let index = raw & INDEX_MASK;
        let serial = raw >> INDEX_BITS;
        // Truncations intended: index has 28 bits, serial >> 32 at most 4.
        let id = (index | ((serial >> 32) << INDEX_BITS)) as u32;
        Pid { node: Atom::from_static(LOCAL_NODE), id, serial: serial as u32, creation: 0 }
    }

    /// The raw Warren pid, if this is a pid of this node (node
    /// [`LOCAL_NODE`], creation 0); `None` for another node's.
    pub fn to_local(&self) -> Option<u64> {
        if !self.is_local() {
            return None;
        }
        let index = u64::from(self.id) & INDEX_MASK;
        let serial = (u64::from(self.id >> INDEX_BITS) << 32) | u64::from(self.serial);
        Some((serial << INDEX_BITS) | index)
    }

    /// Whether this is a pid of this node (node [`LOCAL_NODE`], creation 0).
    pub fn is_local(&self) -> bool {
        self.node == LOCAL_NODE && self.creation == 0
    }

    /// The node's name.
    pub fn node(&self) -> &Atom {
        &self.node
    }

    /// The ID field.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The serial field.
    pub fn serial(&self) -> u32 {
        self.serial
    }

    /// The node's creation.
    pub fn creation(&self) -> u32 {
        self.creation
    }
}

/// Bits of a Warren reference's first ID word (as Erlang's own local
/// references: a non-distributed Erlang node refuses a local reference
/// whose first word has more).
const REF_FIRST_BITS: u32 = 18;

/// A reference (NEWER_REFERENCE_EXT): a node name, the node's creation and
/// 1 to 5 ID words (Erlang's own have 3, pid-bound ones 4 or 5).
///
/// A Warren reference (a `u64`: monitor, timer) is a reference of node
/// [`LOCAL_NODE`] with creation 0 and three words, laid out as Erlang
/// lays out its local references so that an Erlang node reads it back
/// unchanged: `[raw & 0x3FFFF, (raw >> 18) as u32, raw >> 50]` (first word
/// least significant; Erlang prints them last to first,
/// `#Ref<0.W2.W1.W0>`). [`Reference::local`], [`Reference::to_local`].
///
/// Serialized with this crate's serializer it is a reference; other serde
/// formats see a newtype struct around `(node, creation, [words])`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    node: Atom,
    creation: u32,
    // Invariant: 1 <= len <= MAX_WORDS; words past len are 0.
    len: u8,
    words: [u32; Reference::MAX_WORDS],
}

impl Reference {
    /// The most ID words a reference has.
    pub const MAX_WORDS: usize = 5;

    /// The reference with these fields, or `None` unless there are 1 to
    /// [`Reference::MAX_WORDS`] words.
    pub fn new(node: impl Into<Atom>, creation: u32, words: &[u32]) -> Option<Reference> {
        if words.is_empty() || words.len() > Reference::MAX_WORDS {
            return None;
        }
        let mut all = [0; Reference::MAX_WORDS];
        all[..words.len()].copy_from_slice(words);
        Some(Reference { node: node.into(), creation, len: words.len() as u8, words: all })
    }

    /// The reference of the Warren reference `raw`.
    pub const fn local(raw: u64) -> Reference {
        // Truncations intended: the three words take 18, 32 and 14 bits.
        let words = [
            (raw & ((1 << REF_FIRST_BITS) - 1)) as u32,
            (raw >> REF_FIRST_BITS) as u32,
            (raw >> (REF_FIRST_BITS + 32)) as u32,
            0,
            0,
        ];
        Reference { node: Atom::from_static(LOCAL_NODE), creation: 0, len: 3, words }
    }

    /// The raw Warren reference, if this is one of this node in Warren's
    /// layout ([`Reference::local`]); `None` otherwise.
    pub fn to_local(&self) -> Option<u64> {
        let [w0, w1, w2, ..] = self.words;
        let layout = self.len == 3 && w0 >> REF_FIRST_BITS == 0 && w2 >> (64 - REF_FIRST_BITS - 32) == 0;
        if !(self.node == LOCAL_NODE && self.creation == 0 && layout) {
            return None;
        }
        Some(u64::from(w0) | (u64::from(w1) << REF_FIRST_BITS) | (u64::from(w2) << (REF_FIRST_BITS + 32)))
    }

    /// The node's name.
    pub fn node(&self) -> &Atom {
        &self.node
    }

    /// The node's creation.
    pub fn creation(&self) -> u32 {
        self.creation
    }

    /// The ID words, first (least significant) first.
    pub fn words(&self) -> &[u32] {
        &self.words[..usize::from(self.len)]
    }
}

impl Serialize for Pid {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(token::PID, &(self.node.as_str(), self.id, self.serial, self.creation))
    }
}

impl<'de> Deserialize<'de> for Pid {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Pid, D::Error> {
        deserializer.deserialize_newtype_struct(token::PID, PidVisitor)
    }
}

struct PidVisitor;

impl<'de> Visitor<'de> for PidVisitor {
    type Value = Pid;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a pid")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Pid, D::Error> {
        deserializer.deserialize_tuple(4, self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Pid, A::Error> {
        let missing = |i| de::Error::invalid_length(i, &"a pid: (node, id, serial, creation)");
        let node: Atom = seq.next_element()?.ok_or_else(|| missing(0))?;
        let id = seq.next_element()?.ok_or_else(|| missing(1))?;
        let serial = seq.next_element()?.ok_or_else(|| missing(2))?;
        let creation = seq.next_element()?.ok_or_else(|| missing(3))?;
        Ok(Pid { node, id, serial, creation })
    }
}

impl Serialize for Reference {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_newtype_struct(token::REFERENCE, &(self.node.as_str(), self.creation, Words(self.words())))
    }
}

/// The ID words as a sequence.
struct Words<'a>(&'a [u32]);

impl Serialize for Words<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for word in self.0 {
            seq.serialize_element(word)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Reference {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Reference, D::Error> {
        deserializer.deserialize_newtype_struct(token::REFERENCE, ReferenceVisitor)
    }
}

struct ReferenceVisitor;

impl<'de> Visitor<'de> for ReferenceVisitor {
    type Value = Reference;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a reference")
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, deserializer: D) -> Result<Reference, D::Error> {
        deserializer.deserialize_tuple(3, self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Reference, A::Error> {
        let missing = |i| de::Error::invalid_length(i, &"a reference: (node, creation, [words])");
        let node: Atom = seq.next_element()?.ok_or_else(|| missing(0))?;
        let creation = seq.next_element()?.ok_or_else(|| missing(1))?;
        let WordsBuf(len, words) = seq.next_element()?.ok_or_else(|| missing(2))?;
        Ok(Reference { node, creation, len, words })
    }
}

/// 1 to 5 ID words, deserialized without allocating.
struct WordsBuf(u8, [u32; Reference::MAX_WORDS]);

impl<'de> Deserialize<'de> for WordsBuf {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<WordsBuf, D::Error> {
        deserializer.deserialize_seq(WordsVisitor)
    }
}

struct WordsVisitor;

impl<'de> Visitor<'de> for WordsVisitor {
    type Value = WordsBuf;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("1 to 5 reference words")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<WordsBuf, A::Error> {
        let mut words = [0; Reference::MAX_WORDS];
        let mut len = 0;
        while let Some(word) = seq.next_element()? {
            *words.get_mut(len).ok_or_else(|| de::Error::invalid_length(len + 1, &self))? = word;
            len += 1;
        }
        if len == 0 {
            return Err(de::Error::invalid_length(0, &self));
        }
        Ok(WordsBuf(len as u8, words))
    }
}
