//! A message in flight between processes: its sender, tag and payload in
//! one heap block.
//!
//! On its way a message sits in the receiver's mailbox (a lock-free stack,
//! see `mailbox.rs`), then maybe in the receiver's private queue, then in
//! its "current message" slot. A [`Letter`] is one allocation for all of
//! that: a header (the mailbox link, sender, tag, length) followed by the
//! payload bytes. A public [`Message`] with a boxed payload inside a list
//! node would cost two allocations per send and two more cache lines per
//! hop; a letter's handle is one pointer, so the queues that hold letters
//! move 8 bytes per message.

use super::mailbox::Message;
use crate::base::pid::Pid;
use crate::base::reason::ExitReason;
use crate::mem::block_cache;
use std::alloc::{Layout, handle_alloc_error};
use std::ptr::{self, NonNull};
use std::sync::Arc;

/// What precedes the payload bytes in a letter's block.
#[repr(C)]
pub(crate) struct Header {
    /// The next letter in a mailbox's shared stack (null: none). Only the
    /// mailbox reads and writes it (see `mailbox.rs`).
    pub(crate) next: *mut Header,
    sender: Pid,
    tag: i64,
    /// The bytes stored in the block after the header, with [`SHARED`] set
    /// when an exit reason's detail follows them (see [`Letter::with_reason`]).
    len: usize,
}

/// The flag of [`Header::len`] for a letter whose payload ends with an exit
/// reason's detail, shared with the other letters of the same exit: the
/// block holds the reason's pointer (from `Arc::into_raw`) before the bytes
/// of the payload's head.
const SHARED: usize = 1 << (usize::BITS - 1);

/// A message: one heap block holding a [`Header`] and the payload,
/// owned by whoever holds the letter.
pub(crate) struct Letter(NonNull<Header>);

// SAFETY: a letter owns its block outright, and the exit reason it may
// share is immutable behind an `Arc`; the header and payload are plain data.
unsafe impl Send for Letter {}
// SAFETY: `&Letter` only reads the block.
unsafe impl Sync for Letter {}

/// The layout of a letter's block with `stored` bytes after the header.
/// (Small blocks come from the thread's block cache, see `block_cache.rs`.)
fn layout(stored: usize) -> Layout {
    let size = size_of::<Header>().checked_add(stored);
    match size.and_then(|size| Layout::from_size_align(size, align_of::<Header>()).ok()) {
        Some(layout) => layout,
        // Only a payload near `isize::MAX` bytes, which no memory holds.
        None => handle_alloc_error(Layout::new::<Header>()),
    }
}

/// A letter's payload: its bytes, in two parts when its end is a shared
/// exit reason's detail (`tail`, empty otherwise).
#[derive(Clone, Copy)]
pub(crate) struct Payload<'a> {
    head: &'a [u8],
    tail: &'a [u8],
}

impl<'a> Payload<'a> {
    /// Its length in bytes.
    #[inline]
    #[allow(clippy::len_without_is_empty)]
    pub(crate) fn len(&self) -> usize {
        self.head.len() + self.tail.len()
    }

    /// The bytes before the shared part (all of them, for most letters).
    pub(crate) fn head(&self) -> &'a [u8] {
        self.head
    }

    /// Copies the bytes from `offset` into `dst`, as many as fit; returns
    /// how many.
    #[inline]
    pub(crate) fn copy_to(&self, offset: usize, dst: &mut [u8]) -> usize {
        if self.tail.is_empty() {
            let from = &self.head[offset.min(self.head.len())..];
            let n = from.len().min(dst.len());
            dst[..n].copy_from_slice(&from[..n]);
            return n;
        }
        let (mut offset, mut copied) = (offset, 0);
        for part in [self.head, self.tail] {
            if offset >= part.len() {
                offset -= part.len();
                continue;
            }
            let from = &part[offset..];
            offset = 0;
            let n = from.len().min(dst.len() - copied);
            dst[copied..copied + n].copy_from_slice(&from[..n]);
            copied += n;
        }
        copied
    }

    /// The bytes, copied into one buffer.
    pub(crate) fn to_vec(self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.len());
        bytes.extend_from_slice(self.head);
        bytes.extend_from_slice(self.tail);
        bytes
    }
}

impl Letter {
    /// A letter from `sender` with `tag`, carrying a copy of `data`.
    pub(crate) fn new(sender: Pid, tag: i64, data: &[u8]) -> Letter {
        Letter::from_parts(sender, tag, &[], data)
    }

    /// A letter whose payload is a copy of `head` followed by a copy of
    /// `data` (a call's token and its request, in one block).
    #[inline]
    pub(crate) fn from_parts(sender: Pid, tag: i64, head: &[u8], data: &[u8]) -> Letter {
        let len = head.len() + data.len();
        // (Never empty: it holds the header.)
        let block = block_cache::allocate(layout(len)).cast::<Header>();
        // SAFETY: the block is fresh, sized and aligned for the header
        // followed by `len` bytes; the payload is written before anyone
        // reads it.
        unsafe {
            block.as_ptr().write(Header { next: ptr::null_mut(), sender, tag, len });
            let payload = block.as_ptr().add(1).cast::<u8>();
            ptr::copy_nonoverlapping(head.as_ptr(), payload, head.len());
            ptr::copy_nonoverlapping(data.as_ptr(), payload.add(head.len()), data.len());
        }
        Letter(block)
    }

    /// A letter whose payload is a copy of `head` followed by the detail of
    /// `reason`, which the letter shares instead of copying (the EXIT and
    /// DOWN messages of one exit, however many and however long its
    /// reason).
    pub(crate) fn with_reason(sender: Pid, tag: i64, head: &[u8], reason: &Arc<ExitReason>) -> Letter {
        let stored = size_of::<*const ExitReason>() + head.len();
        let block = block_cache::allocate(layout(stored)).cast::<Header>();
        let shared = Arc::into_raw(reason.clone());
        // SAFETY: the block is fresh, sized and aligned for the header, the
        // reason's pointer (aligned: the header's size is a multiple of 8)
        // and `head`; all are written before anyone reads them.
        unsafe {
            block.as_ptr().write(Header { next: ptr::null_mut(), sender, tag, len: head.len() | SHARED });
            let after = block.as_ptr().add(1);
            after.cast::<*const ExitReason>().write(shared);
            ptr::copy_nonoverlapping(head.as_ptr(), after.cast::<u8>().add(size_of::<*const ExitReason>()), head.len());
        }
        Letter(block)
    }

    fn header(&self) -> &Header {
        // SAFETY: the block lives as long as the letter and its header was
        // written when it was made.
        unsafe { self.0.as_ref() }
    }

    /// Who sent it.
    pub(crate) fn sender(&self) -> Pid {
        self.header().sender
    }

    /// Its tag.
    pub(crate) fn tag(&self) -> i64 {
        self.header().tag
    }

    /// Changes its tag (the host hands a message it made for itself to the
    /// guest under a public tag).
    pub(crate) fn set_tag(&mut self, tag: i64) {
        // SAFETY: the letter owns its block; `&mut self` is the only access.
        unsafe { (*self.0.as_ptr()).tag = tag };
    }

    /// The host memory the letter holds: its block (a shared exit reason
    /// is counted with its exit, not with each letter).
    #[inline]
    pub(crate) fn footprint(&self) -> usize {
        let len = self.header().len;
        let stored = if len & SHARED == 0 { len } else { size_of::<*const ExitReason>() + (len & !SHARED) };
        size_of::<Header>() + stored
    }

    /// The exit reason whose detail ends the payload, if it shares one.
    fn shared_reason(&self) -> Option<&ExitReason> {
        if self.header().len & SHARED == 0 {
            return None;
        }
        // SAFETY: a letter with `SHARED` stores the pointer of an
        // `Arc<ExitReason>` it holds a count of (`with_reason`) right after
        // its header.
        Some(unsafe { &**self.0.as_ptr().add(1).cast::<*const ExitReason>() })
    }

    /// Its payload.
    #[inline]
    pub(crate) fn payload(&self) -> Payload<'_> {
        let len = self.header().len;
        let after = self.0.as_ptr().wrapping_add(1).cast::<u8>();
        if len & SHARED == 0 {
            // SAFETY: `len` initialized bytes follow the header in the block.
            let head = unsafe { std::slice::from_raw_parts(after, len) };
            return Payload { head, tail: &[] };
        }
        let head_len = len & !SHARED;
        // SAFETY: the head's bytes follow the reason's pointer (see
        // `with_reason`).
        let head = unsafe { std::slice::from_raw_parts(after.add(size_of::<*const ExitReason>()), head_len) };
        let tail = self.shared_reason().map_or(&[][..], ExitReason::detail);
        Payload { head, tail }
    }

    /// The public [`Message`] for it (a copy of the payload).
    pub(crate) fn into_message(self) -> Message {
        Message { sender: self.sender(), tag: self.tag(), data: self.payload().to_vec().into_boxed_slice() }
    }

    /// Gives up the block (to link it into a mailbox).
    pub(crate) fn into_raw(self) -> *mut Header {
        let block = self.0.as_ptr();
        std::mem::forget(self);
        block
    }

    /// Takes back a block given up with [`Letter::into_raw`].
    ///
    /// # Safety
    /// `block` came from `into_raw` and is taken back once.
    pub(crate) unsafe fn from_raw(block: *mut Header) -> Letter {
        // SAFETY: `into_raw` gave out a non-null pointer.
        Letter(unsafe { NonNull::new_unchecked(block) })
    }
}

impl Drop for Letter {
    fn drop(&mut self) {
        let len = self.header().len;
        let stored = match len & SHARED {
            0 => len,
            _ => {
                // SAFETY: the pointer came from `Arc::into_raw` in
                // `with_reason`, and this letter's count is given back once.
                drop(unsafe { Arc::from_raw(*self.0.as_ptr().add(1).cast::<*const ExitReason>()) });
                size_of::<*const ExitReason>() + (len & !SHARED)
            }
        };
        // SAFETY: `new` or `with_reason` allocated the block with this
        // layout, and the letter, its only owner, is going.
        unsafe { block_cache::free(self.0.cast(), layout(stored)) }
    }
}

impl std::fmt::Debug for Letter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Letter")
            .field("sender", &self.sender())
            .field("tag", &self.tag())
            .field("len", &self.payload().len())
            .finish()
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;

    /// The block cache's size class of a letter with `len` payload bytes,
    /// if it is small.
    fn small_class(len: usize) -> Option<usize> {
        let size = size_of::<Header>().checked_add(len)?;
        block_cache::class_of(Layout::from_size_align(size, align_of::<Header>()).ok()?)
    }

    #[test]
    fn a_letter_keeps_its_sender_tag_and_bytes() {
        let letter = Letter::new(Pid::new(3, 7), -2, b"hello");
        assert_eq!(
            (letter.sender(), letter.tag(), &letter.payload().to_vec()[..]),
            (Pid::new(3, 7), -2, &b"hello"[..])
        );
        let empty = Letter::new(Pid::new(1, 1), 5, &[]);
        assert_eq!(&empty.payload().to_vec()[..], b"");
        let big: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
        let message = Letter::new(Pid::new(2, 1), 9, &big).into_message();
        assert_eq!((message.sender, message.tag, &message.data[..]), (Pid::new(2, 1), 9, &big[..]));
        let back = Letter::new(message.sender, message.tag, &message.data);
        assert_eq!(&back.payload().to_vec()[..], &big[..]);
        // Through a raw pointer and back, as a mailbox links it.
        let raw = back.into_raw();
        // SAFETY: from `into_raw`, taken back once.
        let back = unsafe { Letter::from_raw(raw) };
        assert_eq!(back.tag(), 9);
    }

    /// Blocks go back to the thread's cache and serve the next small
    /// letters of their size, whatever was in them before.
    #[test]
    fn small_letters_reuse_cached_blocks() {
        let sizes = [0, 1, 31, 32, 33, 96, 97, 224, 225, 480, 481, 4096];
        for round in 0..3 {
            // More letters than the cache keeps, so both paths are taken.
            let letters: Vec<Letter> = (0..100)
                .map(|i| {
                    let len = sizes[i % sizes.len()];
                    Letter::new(Pid::new(i as u32, 1), i as i64, &vec![(i + round) as u8; len])
                })
                .collect();
            for (i, letter) in letters.iter().enumerate() {
                let len = sizes[i % sizes.len()];
                assert_eq!((letter.tag(), letter.sender()), (i as i64, Pid::new(i as u32, 1)));
                assert_eq!(&letter.payload().to_vec()[..], &vec![(i + round) as u8; len][..]);
            }
        }
        assert_eq!(small_class(0), Some(0));
        assert_eq!(small_class(32), Some(0));
        assert_eq!(small_class(33), Some(1));
        assert_eq!(small_class(224), Some(2));
        assert_eq!(small_class(225), Some(3));
        assert_eq!(small_class(480), Some(3));
        assert_eq!(small_class(481), None);
        assert_eq!(small_class(usize::MAX), None);
    }

    /// A letter made on one thread and dropped on another is fine: blocks
    /// of a size class are interchangeable.
    #[test]
    fn letters_cross_threads() {
        let letters: Vec<Letter> = (0..200).map(|i| Letter::new(Pid::new(1, 1), i, &[i as u8; 20])).collect();
        std::thread::spawn(move || drop(letters)).join().expect("dropped on another thread");
        let again: Vec<Letter> = (0..200).map(|i| Letter::new(Pid::new(1, 1), i, &[7; 100])).collect();
        assert!(again.iter().all(|l| l.payload().to_vec() == [7; 100]));
    }

    #[test]
    fn letters_of_one_exit_share_its_reason_and_read_as_one_payload() {
        let reason = Arc::new(ExitReason::Custom(vec![9u8; 100_000]));
        let letters: Vec<Letter> =
            (0..50u8).map(|i| Letter::with_reason(Pid::new(4, 1), -101, &[i; 20], &reason)).collect();
        assert_eq!(Arc::strong_count(&reason), 51, "one reason, shared by every letter");
        let payload = letters[7].payload();
        assert_eq!((payload.len(), payload.head()), (100_020, &[7u8; 20][..]));
        let mut expected = vec![7u8; 20];
        expected.extend_from_slice(&[9u8; 100_000]);
        assert_eq!(payload.to_vec(), expected);
        // Read in pieces, across the head and the shared detail.
        let mut piece = [0u8; 30];
        assert_eq!(payload.copy_to(10, &mut piece), 30);
        assert_eq!(&piece[..], &expected[10..40]);
        let mut end = [0u8; 64];
        assert_eq!(payload.copy_to(100_000, &mut end), 20);
        assert_eq!(&end[..20], &expected[100_000..]);
        assert_eq!(payload.copy_to(200_000, &mut end), 0);
        drop(letters);
        assert_eq!(Arc::strong_count(&reason), 1, "every letter gave its count back");
    }

    #[test]
    fn a_plain_payload_copies_from_any_offset() {
        let letter = Letter::new(Pid::new(1, 1), 1, b"abcdef");
        let mut dst = [0u8; 4];
        assert_eq!(letter.payload().copy_to(3, &mut dst), 3);
        assert_eq!(&dst[..3], b"def");
        assert_eq!(letter.payload().copy_to(6, &mut dst), 0);
    }
}
