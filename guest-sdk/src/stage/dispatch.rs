//! The producer's side of the demand: dispatchers (who gets which event,
//! and how much the producer may make) and the bounded buffer of events
//! made without demand. Pure bookkeeping, no host calls: sending is a
//! closure the engine gives.

use super::{BufferKeep, Dispatcher};
use crate::Pid;
use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// A subscription as the producer knows it: the consumer and the
/// consumer's reference (unique per consumer).
pub(crate) type Key = (Pid, u64);

/// Sends `events` to the consumer of a subscription.
pub(crate) type Send<'a, E> = &'a mut dyn FnMut(Key, &[E]);

/// A dispatcher's state.
pub(crate) enum Dispatch<E> {
    /// Each event to one consumer, the one with the most demand.
    Demand {
        /// Consumers in subscription order, with their unmet demand.
        demands: Vec<(Key, usize)>,
        /// Demand the producer was given for consumers that left: events
        /// made for it go to the others, so new asks are not passed on
        /// until it is used up (GenStage's `pending`).
        pending: usize,
    },
    /// Every event to every consumer, as fast as the slowest asks.
    Broadcast {
        /// Consumers in subscription order, with their unmet demand.
        demands: Vec<(Key, usize)>,
    },
    /// Each event to the consumer of its partition.
    Partition {
        /// One slot per partition.
        partitions: Vec<Partition<E>>,
        /// The partition of an event (`None`: discard it).
        hash: fn(&E) -> Option<u32>,
    },
}

/// A partition: its consumer (if one subscribed), the consumer's unmet
/// demand, and the events made for it beyond that demand.
pub(crate) struct Partition<E> {
    consumer: Option<Key>,
    demand: usize,
    queue: VecDeque<E>,
}

impl<E> Dispatch<E> {
    /// A dispatcher as `dispatcher` says, with no consumers.
    pub(crate) fn new(dispatcher: &Dispatcher<E>) -> Dispatch<E> {
        match dispatcher {
            Dispatcher::Demand => Dispatch::Demand { demands: Vec::new(), pending: 0 },
            Dispatcher::Broadcast => Dispatch::Broadcast { demands: Vec::new() },
            Dispatcher::Partition { partitions, hash } => Dispatch::Partition {
                partitions: (0..*partitions)
                    .map(|_| Partition { consumer: None, demand: 0, queue: VecDeque::new() })
                    .collect(),
                hash: *hash,
            },
        }
    }

    /// Whether `key` is a subscription of this dispatcher.
    pub(crate) fn has(&self, key: Key) -> bool {
        match self {
            Dispatch::Demand { demands, .. } | Dispatch::Broadcast { demands } => {
                demands.iter().any(|(k, _)| *k == key)
            }
            Dispatch::Partition { partitions, .. } => partitions.iter().any(|p| p.consumer == Some(key)),
        }
    }

    /// Adds a consumer (with no demand yet); the reason why not if it
    /// cannot be one (a partition missing, out of range or taken).
    pub(crate) fn subscribe(&mut self, key: Key, partition: Option<u32>) -> Result<(), String> {
        match self {
            Dispatch::Demand { demands, .. } | Dispatch::Broadcast { demands } => {
                demands.push((key, 0));
                Ok(())
            }
            Dispatch::Partition { partitions, .. } => {
                let count = partitions.len();
                let Some(index) = partition else {
                    return Err(format!("the producer has {count} partitions: subscribe with one"));
                };
                match partitions.get_mut(index as usize) {
                    None => Err(format!("partition {index} does not exist (the producer has {count})")),
                    Some(Partition { consumer: Some(_), .. }) => Err(format!("partition {index} is taken")),
                    Some(slot) => {
                        slot.consumer = Some(key);
                        slot.demand = 0;
                        Ok(())
                    }
                }
            }
        }
    }

    /// Removes a consumer; returns the demand the producer may now meet
    /// (a broadcast's slowest consumer may have left).
    pub(crate) fn cancel(&mut self, key: Key) -> usize {
        match self {
            Dispatch::Demand { demands, pending } => {
                if let Some(at) = demands.iter().position(|(k, _)| *k == key) {
                    *pending += demands.remove(at).1;
                }
                0
            }
            Dispatch::Broadcast { demands } => {
                let before = min_demand(demands);
                demands.retain(|(k, _)| *k != key);
                min_demand(demands).saturating_sub(before)
            }
            Dispatch::Partition { partitions, .. } => {
                if let Some(slot) = partitions.iter_mut().find(|p| p.consumer == Some(key)) {
                    // Its unmet demand is forgotten, not kept as pending:
                    // the events made for it fall into any partition, so
                    // holding back the others' asks could starve them.
                    // Events already made for the partition, and those
                    // made for its demand, wait for its next consumer.
                    slot.consumer = None;
                    slot.demand = 0;
                }
                0
            }
        }
    }

    /// A consumer asks for `count` more events; returns the demand to pass
    /// on to the producer (events queued for a partition are sent first).
    pub(crate) fn ask(&mut self, key: Key, count: usize, send: Send<'_, E>) -> usize {
        match self {
            Dispatch::Demand { demands, pending } => match demands.iter_mut().find(|(k, _)| *k == key) {
                Some((_, demand)) => {
                    *demand += count;
                    let already = (*pending).min(count);
                    *pending -= already;
                    count - already
                }
                None => 0,
            },
            Dispatch::Broadcast { demands } => {
                let before = min_demand(demands);
                match demands.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, demand)) => *demand += count,
                    None => return 0,
                }
                min_demand(demands) - before
            }
            Dispatch::Partition { partitions, .. } => {
                let Some(slot) = partitions.iter_mut().find(|p| p.consumer == Some(key)) else { return 0 };
                slot.demand += count;
                let ready = slot.demand.min(slot.queue.len());
                if ready > 0 {
                    let batch: Vec<E> = slot.queue.drain(..ready).collect();
                    slot.demand -= ready;
                    send(key, &batch);
                }
                count
            }
        }
    }

    /// Sends `events` to consumers within their demand; returns those
    /// that found none, in order (for the buffer).
    pub(crate) fn dispatch(&mut self, mut events: Vec<E>, send: Send<'_, E>) -> Vec<E> {
        match self {
            Dispatch::Demand { demands, .. } => {
                let mut sent = 0;
                while sent < events.len() {
                    // The consumer with the most demand (the first of equals).
                    let Some(best) = (0..demands.len()).fold(None, |best: Option<usize>, i| match best {
                        Some(b) if demands[b].1 >= demands[i].1 => Some(b),
                        _ => Some(i),
                    }) else {
                        break;
                    };
                    let (key, demand) = &mut demands[best];
                    if *demand == 0 {
                        break;
                    }
                    let take = (*demand).min(events.len() - sent);
                    send(*key, &events[sent..sent + take]);
                    *demand -= take;
                    sent += take;
                }
                events.drain(..sent);
                events
            }
            Dispatch::Broadcast { demands } => {
                let take = min_demand(demands).min(events.len());
                if take > 0 {
                    for (key, demand) in demands.iter_mut() {
                        send(*key, &events[..take]);
                        *demand -= take;
                    }
                }
                events.drain(..take);
                events
            }
            Dispatch::Partition { partitions, hash, .. } => {
                let mut batches: Vec<Vec<E>> = partitions.iter().map(|_| Vec::new()).collect();
                for event in events {
                    // An event with no partition, or one out of range, is
                    // discarded (GenStage's `:none`).
                    if let Some(index) = hash(&event)
                        && let Some(slot) = partitions.get_mut(index as usize)
                    {
                        if slot.consumer.is_some() && slot.demand > batches[index as usize].len() {
                            batches[index as usize].push(event);
                        } else {
                            slot.queue.push_back(event);
                        }
                    }
                }
                for (slot, batch) in partitions.iter_mut().zip(batches) {
                    if let (Some(key), false) = (slot.consumer, batch.is_empty()) {
                        slot.demand -= batch.len();
                        send(key, &batch);
                    }
                }
                Vec::new()
            }
        }
    }
}

/// The smallest demand of `demands` (0 for none).
fn min_demand(demands: &[(Key, usize)]) -> usize {
    demands.iter().map(|(_, d)| *d).min().unwrap_or(0)
}

/// Events made without demand, at most `size` of them (`None`: no bound):
/// GenStage's `buffer_size` and `buffer_keep`.
pub(crate) struct Buffer<E> {
    events: VecDeque<E>,
    size: Option<usize>,
    keep: BufferKeep,
    /// Events dropped so far.
    pub(crate) dropped: u64,
}

impl<E> Buffer<E> {
    pub(crate) fn new(size: Option<usize>, keep: BufferKeep) -> Buffer<E> {
        Buffer { events: VecDeque::new(), size, keep, dropped: 0 }
    }

    /// Adds `events` after those buffered; past the bound, drops the
    /// oldest ([`BufferKeep::Last`]) or the newest ([`BufferKeep::First`]).
    pub(crate) fn push(&mut self, events: Vec<E>) {
        self.events.extend(events);
        if let Some(size) = self.size
            && self.events.len() > size
        {
            let excess = self.events.len() - size;
            match self.keep {
                BufferKeep::Last => drop(self.events.drain(..excess)),
                BufferKeep::First => self.events.truncate(size),
            }
            self.dropped += excess as u64;
        }
    }

    /// Puts `events` back before those buffered (dispatched from the
    /// buffer but not taken): never dropped.
    pub(crate) fn unshift(&mut self, events: Vec<E>) {
        for event in events.into_iter().rev() {
            self.events.push_front(event);
        }
    }

    /// The oldest `count` events (fewer if there are fewer).
    pub(crate) fn take(&mut self, count: usize) -> Vec<E> {
        let count = count.min(self.events.len());
        self.events.drain(..count).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn key(n: u64) -> Key {
        (Pid::from_raw(n << 28), n)
    }

    /// Runs `f` with a send closure that records every send.
    fn sends<E: Clone, R>(f: impl FnOnce(Send<'_, E>) -> R) -> (R, Vec<(Key, Vec<E>)>) {
        let mut log = Vec::new();
        let result = f(&mut |key, events: &[E]| log.push((key, events.to_vec())));
        (result, log)
    }

    #[test]
    fn demand_sends_only_what_was_asked_to_the_hungriest() {
        let mut d: Dispatch<u32> = Dispatch::new(&Dispatcher::Demand);
        d.subscribe(key(1), None).unwrap();
        d.subscribe(key(2), None).unwrap();
        let (asked, _) = sends(|s| d.ask(key(1), 2, s));
        assert_eq!(asked, 2);
        let (asked, _) = sends(|s| d.ask(key(2), 3, s));
        assert_eq!(asked, 3);
        let (left, log) = sends(|s| d.dispatch(vec![1, 2, 3, 4, 5, 6, 7], s));
        assert_eq!(log, vec![(key(2), vec![1, 2, 3]), (key(1), vec![4, 5])]);
        assert_eq!(left, vec![6, 7], "no demand left: the rest is for the buffer");
    }

    #[test]
    fn demand_of_a_consumer_that_left_is_not_asked_again() {
        let mut d: Dispatch<u32> = Dispatch::new(&Dispatcher::Demand);
        d.subscribe(key(1), None).unwrap();
        d.subscribe(key(2), None).unwrap();
        assert_eq!(sends(|s| d.ask(key(1), 5, s)).0, 5);
        assert_eq!(d.cancel(key(1)), 0);
        assert!(!d.has(key(1)));
        assert_eq!(sends(|s| d.ask(key(2), 3, s)).0, 0, "the 5 already asked of the producer cover it");
        assert_eq!(sends(|s| d.ask(key(2), 4, s)).0, 2);
    }

    #[test]
    fn broadcast_goes_as_fast_as_the_slowest() {
        let mut d: Dispatch<u32> = Dispatch::new(&Dispatcher::Broadcast);
        d.subscribe(key(1), None).unwrap();
        d.subscribe(key(2), None).unwrap();
        assert_eq!(sends(|s| d.ask(key(1), 4, s)).0, 0, "the other has asked nothing");
        assert_eq!(sends(|s| d.ask(key(2), 2, s)).0, 2);
        let (left, log) = sends(|s| d.dispatch(vec![1, 2, 3], s));
        assert_eq!(log, vec![(key(1), vec![1, 2]), (key(2), vec![1, 2])]);
        assert_eq!(left, vec![3]);
        assert_eq!(d.cancel(key(2)), 2, "the slow one left: the other's 2 remaining can be met");
    }

    #[test]
    fn partitions_route_by_hash_and_queue_without_demand() {
        let mut d: Dispatch<u32> = Dispatch::new(&Dispatcher::Partition { partitions: 2, hash: |n| Some(n % 2) });
        assert!(d.subscribe(key(1), None).is_err());
        assert!(d.subscribe(key(1), Some(2)).is_err());
        d.subscribe(key(1), Some(0)).unwrap();
        assert!(d.subscribe(key(2), Some(0)).is_err(), "taken");
        d.subscribe(key(2), Some(1)).unwrap();
        assert_eq!(sends(|s| d.ask(key(1), 2, s)).0, 2);
        let (left, log) = sends(|s| d.dispatch(vec![1, 2, 3, 4, 6], s));
        assert!(left.is_empty());
        assert_eq!(log, vec![(key(1), vec![2, 4])], "6 waits for demand, odd ones for theirs");
        let (asked, log) = sends(|s| d.ask(key(2), 5, s));
        assert_eq!((asked, log), (5, vec![(key(2), vec![1, 3])]));
    }

    #[test]
    fn the_buffer_drops_as_configured() {
        let mut last = Buffer::new(Some(3), BufferKeep::Last);
        last.push(vec![1, 2]);
        last.push(vec![3, 4, 5]);
        assert_eq!((last.take(10), last.dropped), (vec![3, 4, 5], 2));
        let mut first = Buffer::new(Some(3), BufferKeep::First);
        first.push(vec![1, 2]);
        first.push(vec![3, 4, 5]);
        assert_eq!((first.take(2), first.dropped), (vec![1, 2], 2));
        first.unshift(vec![8, 9]);
        assert_eq!(first.take(10), vec![8, 9, 3]);
        let mut unbounded = Buffer::new(None, BufferKeep::Last);
        unbounded.push((0..100).collect());
        assert_eq!((unbounded.take(1000).len(), unbounded.dropped), (100, 0));
    }
}
