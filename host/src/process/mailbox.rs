//! A process's mailbox: copied messages, selective receive.
//!
//! Two halves, as in Erlang's signal queue: senders push onto [`Mailbox`], a
//! lock-free stack shared by everyone; the owner moves what arrived, in
//! arrival order, into its private [`Received`] queue, where selective
//! receive scans without any lock. Checking an empty mailbox is one atomic
//! load, a send is one compare-and-swap, and the owner takes everything
//! that arrived with one swap.

use super::letter::{Header, Letter};
use crate::base::pid::Pid;
use crate::base::sync::{AtomicPtr, AtomicUsize, Ordering};
use std::collections::VecDeque;
use std::ptr;

/// A message as the host API hands it out (see `Inbox`): bytes
/// copied out of the sender, with the sender's tag. Between processes a
/// message travels as a `Letter`, one allocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Who sent it.
    pub sender: Pid,
    /// The sender's tag (negative tags are made by the host).
    pub tag: i64,
    /// The payload, owned by the message.
    pub data: Box<[u8]>,
}

/// The shared half of a mailbox: messages sent and not yet moved to the
/// owner's [`Received`] queue, newest first.
///
/// Per sender, arrival order is send order: a send pushes before it returns,
/// and the owner reverses each batch it takes.
///
/// With a mailbox limit (the process's own, `Capabilities::max_mailbox`: at
/// most the node's `NodeConfig::max_mailbox`) senders also count what
/// they push ([`Mailbox::push_counted`]) and the owner counts what it takes
/// out: the difference is the queue's length, messages not yet received
/// wherever they wait. Without a limit nobody counts pushes (a send costs
/// no extra atomic operation).
pub(crate) struct Mailbox {
    /// The newest letter pushed; each links to the one pushed before it.
    inbound: AtomicPtr<Header>,
    /// Messages pushed with `push_counted`.
    pushed: AtomicUsize,
    /// Messages the owner has received or removed; only the owner writes it.
    taken: AtomicUsize,
}

impl Default for Mailbox {
    fn default() -> Self {
        Mailbox { inbound: AtomicPtr::new(ptr::null_mut()), pushed: AtomicUsize::new(0), taken: AtomicUsize::new(0) }
    }
}

impl Mailbox {
    /// Appends `letter`. Any thread may push; the owner is woken by the
    /// caller afterwards (see `run_state.rs`).
    pub(crate) fn push(&self, letter: Letter) {
        let node = letter.into_raw();
        let mut head = self.inbound.load(Ordering::Relaxed);
        loop {
            // SAFETY: `node` is ours until the exchange below publishes it.
            unsafe { (*node).next = head };
            match self.inbound.compare_exchange_weak(head, node, Ordering::Release, Ordering::Relaxed) {
                Ok(_) => return,
                Err(current) => head = current,
            }
        }
    }

    /// Appends `letter` as [`Mailbox::push`] does and returns how many
    /// messages are queued now, this one included (counted with the ones
    /// the owner has moved to its `Received` queue). Every push to a mailbox
    /// must go through here for the count to hold.
    pub(crate) fn push_counted(&self, letter: Letter) -> usize {
        let pushed = self.pushed.fetch_add(1, Ordering::Relaxed) + 1;
        self.push(letter);
        // Exact when nothing else happens at the same moment; with other
        // sends and takes in flight it may be off by those, so a limit is
        // then met a send later, never missed for good.
        pushed.saturating_sub(self.taken.load(Ordering::Relaxed))
    }

    /// Messages the owner has received (or removed) so far: a count kept
    /// anyway, read by introspection for a process's messages per second.
    pub(crate) fn received(&self) -> usize {
        self.taken.load(Ordering::Relaxed)
    }

    /// The owner took one message out of its queue for good.
    fn count_taken(&self) {
        // Only the owner writes `taken`: no read-modify-write needed.
        self.taken.store(self.taken.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
    }

    /// Whether no message waits here (a message pushed meanwhile comes with a
    /// wake, see `run_state.rs`).
    pub(crate) fn is_empty(&self) -> bool {
        self.inbound.load(Ordering::Relaxed).is_null()
    }

    /// Moves every message pushed so far to the back of `queue`, oldest
    /// first. Returns whether there was any.
    fn take_all_into(&self, queue: &mut VecDeque<Letter>) -> bool {
        match self.take_batch() {
            Some(batch) => {
                batch.append_to(queue);
                true
            }
            None => false,
        }
    }

    /// Takes every message pushed so far, if any.
    fn take_batch(&self) -> Option<Batch> {
        // The common case, an empty mailbox, costs a load and no write.
        if self.inbound.load(Ordering::Relaxed).is_null() {
            return None;
        }
        let newest_first = self.inbound.swap(ptr::null_mut(), Ordering::Acquire);
        (!newest_first.is_null()).then_some(Batch { newest_first })
    }

    /// Drops every message pushed and not yet taken (the process has
    /// exited); returns the host memory they held.
    pub(crate) fn clear(&self) -> usize {
        let mut freed = 0;
        if let Some(batch) = self.take_batch() {
            let mut queue = VecDeque::new();
            batch.append_to(&mut queue);
            freed = queue.iter().map(Letter::footprint).sum();
        }
        freed
    }
}

impl Mailbox {
    /// Calls `visit` on every message pushed and not yet taken, oldest
    /// first (for introspection: see `inspect.rs`). Collects the list's
    /// pointers first, as it is linked newest first.
    ///
    /// # Safety
    /// The caller holds the process `RUNNING` (it polls it, or borrowed it
    /// idle): only the owner takes letters out, so none of those seen is
    /// freed meanwhile (senders only push in front of them).
    pub(crate) unsafe fn visit_pushed(&self, mut visit: impl FnMut(&Letter)) {
        let mut newest_first = Vec::new();
        let mut node = self.inbound.load(Ordering::Acquire);
        while !node.is_null() {
            newest_first.push(node);
            // SAFETY: the caller's guarantee keeps every letter of the list
            // alive; its link was written before the push published it.
            node = unsafe { (*node).next };
        }
        for &node in newest_first.iter().rev() {
            // SAFETY: as above; the letter is only borrowed (never dropped
            // here: `ManuallyDrop`), its owner stays the mailbox.
            let letter = std::mem::ManuallyDrop::new(unsafe { Letter::from_raw(node) });
            visit(&letter);
        }
    }
}

/// Messages taken from a mailbox at once, newest first; they are the
/// owner's alone (the swap that took them made sure of it).
struct Batch {
    newest_first: *mut Header,
}

impl Batch {
    /// The batch's only letter, if it holds just one.
    fn into_single(self) -> Result<Letter, Batch> {
        // SAFETY: the batch's letters are ours (see the type) and came from
        // `Letter::into_raw` in `push`; the letter is taken back once, and
        // the batch forgotten so it does not free it again.
        unsafe {
            if !(*self.newest_first).next.is_null() {
                return Err(self);
            }
            let letter = Letter::from_raw(self.newest_first);
            std::mem::forget(self);
            Ok(letter)
        }
    }

    /// Moves the messages to the back of `queue`, oldest first.
    fn append_to(self, queue: &mut VecDeque<Letter>) {
        let mut newest_first = self.newest_first;
        std::mem::forget(self);
        // Reverse the batch so it is oldest first.
        let mut oldest_first: *mut Header = ptr::null_mut();
        while !newest_first.is_null() {
            // SAFETY: the swap made this batch ours alone; every letter in
            // it came from `Letter::into_raw` in `push`.
            unsafe {
                let next = (*newest_first).next;
                (*newest_first).next = oldest_first;
                oldest_first = newest_first;
                newest_first = next;
            }
        }
        while !oldest_first.is_null() {
            // SAFETY: as above; each letter is taken back once, and leaves
            // the list (its link cleared) as it is.
            unsafe {
                let next = (*oldest_first).next;
                (*oldest_first).next = ptr::null_mut();
                queue.push_back(Letter::from_raw(oldest_first));
                oldest_first = next;
            }
        }
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        let mut node = self.newest_first;
        while !node.is_null() {
            // SAFETY: as in `append_to`.
            unsafe {
                let next = (*node).next;
                drop(Letter::from_raw(node));
                node = next;
            }
        }
    }
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        self.clear();
    }
}

/// How a look through a process's messages for a selective receive ended.
pub(crate) enum Scan {
    /// A matching message, taken out of the queue.
    Found(Letter),
    /// No message matches: every one was looked at.
    NotFound,
    /// The budget ran out first; called again with the same [`Cursor`], the
    /// look goes on where it stopped.
    OutOfBudget,
}

/// Where one receive's look through the queue stands: the messages before
/// `position` were looked at by this receive and did not match, so a
/// receive that waits looks only at what arrives (as BEAM's receive keeps
/// its place in the message queue). `looked` counts the messages looked at,
/// for the receive's cost.
#[derive(Default, Clone, Copy)]
pub(crate) struct Cursor {
    position: usize,
    pub(crate) looked: u64,
}

/// The owner's half of a mailbox: messages moved out of the shared
/// [`Mailbox`] and not yet received, in arrival order. Only the process
/// itself (on the thread running it) touches it, so it needs no lock.
#[derive(Default)]
pub(crate) struct Received {
    queue: VecDeque<Letter>,
}

impl Received {
    /// Removes and returns the oldest message whose tag `matches`, looking
    /// at what `mailbox` holds too, from where `cursor` stands (a new
    /// receive starts with a new cursor), at no more than `budget` messages.
    /// Messages that do not match stay queued in order (Erlang's selective
    /// receive).
    #[inline]
    pub(crate) fn take_matching(
        &mut self,
        mailbox: &Mailbox,
        matches: impl Fn(i64) -> bool,
        cursor: &mut Cursor,
        budget: u64,
    ) -> Scan {
        // The usual case first, with nothing skipped before: an empty
        // mailbox is one load, and a lone message is taken without being
        // queued here (the queue's buffer is one memory line less to touch).
        if self.queue.is_empty() {
            let Some(batch) = mailbox.take_batch() else { return Scan::NotFound };
            match batch.into_single() {
                Ok(message) => {
                    cursor.looked += 1;
                    if matches(message.tag()) {
                        mailbox.count_taken();
                        return Scan::Found(message);
                    }
                    self.queue.push_back(message);
                    cursor.position = 1;
                    return Scan::NotFound;
                }
                Err(batch) => batch.append_to(&mut self.queue),
            }
        }
        self.take_queued(mailbox, matches, cursor, budget)
    }

    /// [`Received::take_matching`] with messages queued here.
    #[inline(never)]
    fn take_queued(
        &mut self,
        mailbox: &Mailbox,
        matches: impl Fn(i64) -> bool,
        cursor: &mut Cursor,
        budget: u64,
    ) -> Scan {
        let mut left = budget;
        loop {
            while let Some(message) = self.queue.get(cursor.position) {
                if left == 0 {
                    return Scan::OutOfBudget;
                }
                left -= 1;
                cursor.looked += 1;
                if matches(message.tag()) {
                    mailbox.count_taken();
                    return self.queue.remove(cursor.position).map_or(Scan::NotFound, Scan::Found);
                }
                cursor.position += 1;
            }
            if !mailbox.take_all_into(&mut self.queue) {
                return Scan::NotFound;
            }
        }
    }

    /// How many messages wait for the owner: those queued here, and those
    /// pushed to `mailbox` so far, which move here (one swap) to be counted.
    pub(crate) fn count_waiting(&mut self, mailbox: &Mailbox) -> usize {
        mailbox.take_all_into(&mut self.queue);
        self.queue.len()
    }

    /// The oldest message, if any (a handler-style process takes its
    /// messages in order, whatever their tags).
    #[inline]
    pub(crate) fn take_next(&mut self, mailbox: &Mailbox) -> Option<Letter> {
        match self.take_matching(mailbox, |_| true, &mut Cursor::default(), 1) {
            Scan::Found(message) => Some(message),
            Scan::NotFound | Scan::OutOfBudget => None,
        }
    }

    /// Whether no message is queued here.
    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// The messages queued here, oldest first (for introspection).
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Letter> {
        self.queue.iter()
    }

    /// Removes the first message (queued here or in `mailbox`) that
    /// `matches`, and gives it back.
    pub(crate) fn remove_first(&mut self, mailbox: &Mailbox, matches: impl Fn(&Letter) -> bool) -> Option<Letter> {
        mailbox.take_all_into(&mut self.queue);
        let position = self.queue.iter().position(matches)?;
        mailbox.count_taken();
        self.queue.remove(position)
    }

    /// Drops every message queued here; returns the host memory they held.
    pub(crate) fn clear(&mut self) -> usize {
        let freed = self.queue.iter().map(Letter::footprint).sum();
        self.queue.clear();
        freed
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;

    /// A whole selective receive for `tags` (any message if empty): a new
    /// cursor, no budget.
    fn take(received: &mut Received, mailbox: &Mailbox, tags: &[i64]) -> Option<Letter> {
        let matches = |tag| tags.is_empty() || tags.contains(&tag);
        match received.take_matching(mailbox, matches, &mut Cursor::default(), u64::MAX) {
            Scan::Found(letter) => Some(letter),
            Scan::NotFound | Scan::OutOfBudget => None,
        }
    }

    fn msg(tag: i64) -> Letter {
        Letter::new(Pid::new(1, 1), tag, &[tag as u8])
    }

    #[test]
    fn selective_receive_keeps_the_rest_in_order() {
        let (mailbox, mut received) = (Mailbox::default(), Received::default());
        for tag in [1, 2, 3, 1, 2, 3] {
            mailbox.push(msg(tag));
        }
        assert_eq!(take(&mut received, &mailbox, &[3]).map(|m| m.tag()), Some(3));
        assert_eq!(take(&mut received, &mailbox, &[3]).map(|m| m.tag()), Some(3));
        assert!(take(&mut received, &mailbox, &[3]).is_none());
        mailbox.push(msg(4));
        let rest: Vec<i64> = std::iter::from_fn(|| take(&mut received, &mailbox, &[])).map(|m| m.tag()).collect();
        assert_eq!(rest, [1, 2, 1, 2, 4]);
    }

    #[test]
    fn a_later_batch_is_scanned_after_the_earlier_one() {
        let (mailbox, mut received) = (Mailbox::default(), Received::default());
        mailbox.push(msg(1));
        mailbox.push(msg(2));
        assert!(take(&mut received, &mailbox, &[9]).is_none());
        mailbox.push(msg(9));
        mailbox.push(msg(1));
        assert_eq!(take(&mut received, &mailbox, &[1]).map(|m| m.payload().head()[0]), Some(1));
        assert_eq!(take(&mut received, &mailbox, &[9]).map(|m| m.tag()), Some(9));
        let rest: Vec<i64> = std::iter::from_fn(|| take(&mut received, &mailbox, &[])).map(|m| m.tag()).collect();
        assert_eq!(rest, [2, 1]);
    }

    /// Messages taken one at a time (the single-message path) keep their
    /// order with the ones a selective receive skipped.
    #[test]
    fn one_message_at_a_time_keeps_arrival_order() {
        let (mailbox, mut received) = (Mailbox::default(), Received::default());
        mailbox.push(msg(2));
        assert!(take(&mut received, &mailbox, &[1]).is_none(), "2 is skipped, kept");
        mailbox.push(msg(1));
        assert_eq!(take(&mut received, &mailbox, &[1]).map(|m| m.tag()), Some(1));
        mailbox.push(msg(3));
        let rest: Vec<i64> = std::iter::from_fn(|| take(&mut received, &mailbox, &[])).map(|m| m.tag()).collect();
        assert_eq!(rest, [2, 3]);
        mailbox.push(msg(4));
        assert_eq!(take(&mut received, &mailbox, &[]).map(|m| m.tag()), Some(4));
        assert!(take(&mut received, &mailbox, &[]).is_none());
    }

    #[test]
    fn remove_first_sees_messages_not_yet_taken() {
        let (mailbox, mut received) = (Mailbox::default(), Received::default());
        mailbox.push(msg(5));
        mailbox.push(msg(6));
        assert!(received.remove_first(&mailbox, |m| m.tag() == 6).is_some());
        assert!(received.remove_first(&mailbox, |m| m.tag() == 6).is_none());
        assert_eq!(take(&mut received, &mailbox, &[]).map(|m| m.tag()), Some(5));
    }

    /// The count covers messages wherever they wait: in the shared half
    /// or moved to the owner's queue by a selective receive.
    #[test]
    fn counted_pushes_give_the_queue_length() {
        let (mailbox, mut received) = (Mailbox::default(), Received::default());
        assert_eq!(mailbox.push_counted(msg(1)), 1);
        assert_eq!(mailbox.push_counted(msg(2)), 2);
        // Both move to the owner's queue; one is received.
        assert_eq!(take(&mut received, &mailbox, &[2]).map(|m| m.tag()), Some(2));
        assert_eq!(mailbox.push_counted(msg(3)), 2);
        assert!(received.remove_first(&mailbox, |m| m.tag() == 1).is_some());
        assert_eq!(mailbox.push_counted(msg(4)), 2);
        let rest: Vec<i64> = std::iter::from_fn(|| take(&mut received, &mailbox, &[])).map(|m| m.tag()).collect();
        assert_eq!(rest, [3, 4]);
        assert_eq!(mailbox.push_counted(msg(5)), 1);
    }

    /// The owner's count sees the messages in both halves, in order kept.
    #[test]
    fn count_waiting_counts_both_halves_and_keeps_the_order() {
        let (mailbox, mut received) = (Mailbox::default(), Received::default());
        assert_eq!(received.count_waiting(&mailbox), 0);
        for tag in 1..=3 {
            mailbox.push(msg(tag));
        }
        // A selective receive moves 1 and 2 to the owner's queue.
        assert_eq!(take(&mut received, &mailbox, &[3]).map(|m| m.tag()), Some(3));
        mailbox.push(msg(4));
        assert_eq!(received.count_waiting(&mailbox), 3);
        mailbox.push(msg(5));
        assert_eq!(received.count_waiting(&mailbox), 4);
        let rest: Vec<i64> = std::iter::from_fn(|| take(&mut received, &mailbox, &[])).map(|m| m.tag()).collect();
        assert_eq!(rest, [1, 2, 4, 5]);
        assert_eq!(received.count_waiting(&mailbox), 0);
    }

    #[test]
    fn clear_empties_the_shared_half() {
        let mailbox = Mailbox::default();
        for tag in 0..100 {
            mailbox.push(msg(tag));
        }
        mailbox.clear();
        assert!(take(&mut Received::default(), &mailbox, &[]).is_none());
        mailbox.push(msg(1));
        drop(mailbox);
    }

    #[test]
    fn a_receive_that_runs_out_of_budget_goes_on_where_it_stopped() {
        let (mailbox, mut received) = (Mailbox::default(), Received::default());
        for tag in 0..100 {
            mailbox.push(msg(tag));
        }
        let matches = |tag| tag == 95;
        let mut cursor = Cursor::default();
        let mut steps = 0;
        let found = loop {
            steps += 1;
            match received.take_matching(&mailbox, matches, &mut cursor, 10) {
                Scan::OutOfBudget => continue,
                Scan::Found(letter) => break letter,
                Scan::NotFound => panic!("95 is there"),
            }
        };
        assert_eq!(found.tag(), 95);
        assert_eq!((steps, cursor.looked), (10, 96), "each message was looked at once, ten a step");
        let rest: Vec<i64> = std::iter::from_fn(|| take(&mut received, &mailbox, &[])).map(|m| m.tag()).collect();
        assert_eq!(rest, (0..100).filter(|&t| t != 95).collect::<Vec<_>>(), "the others stay in order");
    }

    #[test]
    fn a_waiting_receive_looks_only_at_what_arrived_since() {
        let (mailbox, mut received) = (Mailbox::default(), Received::default());
        for tag in 0..50 {
            mailbox.push(msg(tag));
        }
        let matches = |tag| tag == 1000;
        let mut cursor = Cursor::default();
        assert!(matches!(received.take_matching(&mailbox, matches, &mut cursor, u64::MAX), Scan::NotFound));
        assert_eq!(cursor.looked, 50);
        mailbox.push(msg(7));
        mailbox.push(msg(1000));
        let Scan::Found(letter) = received.take_matching(&mailbox, matches, &mut cursor, u64::MAX) else {
            panic!("1000 arrived")
        };
        assert_eq!((letter.tag(), cursor.looked), (1000, 52), "the first 50 were not looked at again");
    }
}
