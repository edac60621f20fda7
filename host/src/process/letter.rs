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
use crate::mem::block_cache;
use std::alloc::{Layout, handle_alloc_error};
use std::ptr::{self, NonNull};

/// What precedes the payload bytes in a letter's block.
#[repr(C)]
pub(crate) struct Header {
    /// The next letter in a mailbox's shared stack (null: none). Only the
    /// mailbox reads and writes it (see `mailbox.rs`).
    pub(crate) next: *mut Header,
    sender: Pid,
    tag: i64,
    len: usize,
}

/// A message: one heap block holding a [`Header`] and `len` payload bytes,
/// owned by whoever holds the letter.
pub(crate) struct Letter(NonNull<Header>);

// SAFETY: a letter owns its block outright (no shared state), and the
// header and payload are plain data.
unsafe impl Send for Letter {}
// SAFETY: `&Letter` only reads the block.
unsafe impl Sync for Letter {}

/// The layout of a letter's block with `len` payload bytes. (Small blocks
/// come from the thread's block cache, see `block_cache.rs`.)
fn layout(len: usize) -> Layout {
    let size = size_of::<Header>().checked_add(len);
    match size.and_then(|size| Layout::from_size_align(size, align_of::<Header>()).ok()) {
        Some(layout) => layout,
        // Only a payload near `isize::MAX` bytes, which no memory holds.
        None => handle_alloc_error(Layout::new::<Header>()),
    }
}

impl Letter {
    /// A letter from `sender` with `tag`, carrying a copy of `data`.
    pub(crate) fn new(sender: Pid, tag: i64, data: &[u8]) -> Letter {
        let len = data.len();
        // (Never empty: it holds the header.)
        let block = block_cache::allocate(layout(len)).cast::<Header>();
        // SAFETY: the block is fresh, sized and aligned for the header
        // followed by `len` bytes; the payload is written before anyone
        // reads it.
        unsafe {
            block.as_ptr().write(Header { next: ptr::null_mut(), sender, tag, len });
            ptr::copy_nonoverlapping(data.as_ptr(), block.as_ptr().add(1).cast::<u8>(), len);
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

    /// Its payload.
    pub(crate) fn data(&self) -> &[u8] {
        let len = self.header().len;
        // SAFETY: `len` initialized bytes follow the header in the block.
        unsafe { std::slice::from_raw_parts(self.0.as_ptr().add(1).cast::<u8>(), len) }
    }

    /// The public [`Message`] for it (a copy of the payload).
    pub(crate) fn into_message(self) -> Message {
        Message { sender: self.sender(), tag: self.tag(), data: Box::from(self.data()) }
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
        let layout = layout(self.header().len);
        // SAFETY: `new` allocated the block with this layout, and the
        // letter, its only owner, is going.
        unsafe { block_cache::free(self.0.cast(), layout) }
    }
}

impl std::fmt::Debug for Letter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Letter")
            .field("sender", &self.sender())
            .field("tag", &self.tag())
            .field("len", &self.data().len())
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
        assert_eq!((letter.sender(), letter.tag(), letter.data()), (Pid::new(3, 7), -2, &b"hello"[..]));
        let empty = Letter::new(Pid::new(1, 1), 5, &[]);
        assert_eq!(empty.data(), b"");
        let big: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
        let message = Letter::new(Pid::new(2, 1), 9, &big).into_message();
        assert_eq!((message.sender, message.tag, &message.data[..]), (Pid::new(2, 1), 9, &big[..]));
        let back = Letter::new(message.sender, message.tag, &message.data);
        assert_eq!(back.data(), &big[..]);
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
                assert_eq!(letter.data(), &vec![(i + round) as u8; len][..]);
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
        assert!(again.iter().all(|l| l.data() == [7; 100]));
    }
}
