//! A process's mailbox: copied messages, selective receive.

use crate::pid::Pid;
use crate::sync::Mutex;
use std::collections::VecDeque;

/// A message: bytes copied out of the sender, with the sender's tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Who sent it.
    pub sender: Pid,
    /// The sender's tag (negative tags are made by the host).
    pub tag: i64,
    /// The payload, owned by the message.
    pub data: Box<[u8]>,
}

/// The queue of messages not yet received, in arrival order.
///
/// Senders append under a short lock; the owner takes the oldest message
/// whose tag matches, leaving the others queued in order (Erlang's selective
/// receive). Per sender, arrival order is send order because a send appends
/// before it returns.
#[derive(Default)]
pub(crate) struct Mailbox {
    queue: Mutex<VecDeque<Message>>,
}

impl Mailbox {
    /// Appends `message`; returns the mailbox length after the append.
    pub(crate) fn push(&self, message: Message) -> usize {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        queue.push_back(message);
        queue.len()
    }

    /// Removes and returns the oldest message whose tag is in `tags` (any
    /// message when `tags` is empty).
    pub(crate) fn take_matching(&self, tags: &[i64]) -> Option<Message> {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        if tags.is_empty() {
            return queue.pop_front();
        }
        let position = queue.iter().position(|m| tags.contains(&m.tag))?;
        queue.remove(position)
    }

    /// Removes the first queued message that `matches`; returns whether one
    /// was removed.
    pub(crate) fn remove_first(&self, matches: impl Fn(&Message) -> bool) -> bool {
        let mut queue = self.queue.lock().unwrap_or_else(|e| e.into_inner());
        match queue.iter().position(matches) {
            Some(position) => queue.remove(position).is_some(),
            None => false,
        }
    }

    /// Drops every queued message (the process has exited).
    pub(crate) fn clear(&self) {
        let drained = std::mem::take(&mut *self.queue.lock().unwrap_or_else(|e| e.into_inner()));
        drop(drained);
    }
}

#[cfg(all(test, not(feature = "loom")))]
mod tests {
    use super::*;

    fn msg(tag: i64) -> Message {
        Message { sender: Pid::new(1, 1), tag, data: Box::new([tag as u8]) }
    }

    #[test]
    fn selective_receive_keeps_the_rest_in_order() {
        let mailbox = Mailbox::default();
        for tag in [1, 2, 3, 1, 2, 3] {
            mailbox.push(msg(tag));
        }
        assert_eq!(mailbox.take_matching(&[3]).map(|m| m.tag), Some(3));
        assert_eq!(mailbox.take_matching(&[3]).map(|m| m.tag), Some(3));
        assert_eq!(mailbox.take_matching(&[3]), None);
        let rest: Vec<i64> = std::iter::from_fn(|| mailbox.take_matching(&[])).map(|m| m.tag).collect();
        assert_eq!(rest, [1, 2, 1, 2]);
    }
}
