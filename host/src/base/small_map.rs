//! A map for the few entries most processes have: a process's links and
//! monitors are usually none or a handful, but a supervisor may hold
//! thousands. [`SmallMap`] keeps up to [`FEW`] entries in a vector (one
//! pointer-sized allocation, looked through in order: faster than hashing
//! for a handful), and moves them into a hash map past that.

use std::collections::HashMap;
use std::hash::Hash;

/// Entries kept in a vector before the map switches to hashing.
const FEW: usize = 16;

/// A map from `K` to `V` in no particular order (as a `HashMap`).
///
/// ```ignore
/// let mut links: SmallMap<Pid, ()> = SmallMap::default();
/// assert!(links.insert(pid, ()).is_none());
/// assert!(links.contains_key(&pid));
/// ```
pub(crate) enum SmallMap<K, V> {
    /// At most [`FEW`] entries, each key once.
    Few(Vec<(K, V)>),
    /// More than [`FEW`] entries at some point. Boxed so that the map is
    /// the size of a vector: most maps never get here.
    #[allow(clippy::box_collection)]
    Many(Box<HashMap<K, V>>),
}

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        SmallMap::Few(Vec::new())
    }
}

impl<K: Eq + Hash, V> SmallMap<K, V> {
    /// Inserts `value` at `key`; returns the value it replaced.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self {
            SmallMap::Few(entries) => {
                if let Some((_, old)) = entries.iter_mut().find(|(k, _)| *k == key) {
                    return Some(std::mem::replace(old, value));
                }
                if entries.len() < FEW {
                    // Room for one at first (a vector's first push makes
                    // room for four): most processes hold one link or
                    // monitor, or two.
                    if entries.capacity() == 0 {
                        entries.reserve_exact(1);
                    }
                    entries.push((key, value));
                    return None;
                }
                let mut map: HashMap<K, V> = std::mem::take(entries).into_iter().collect();
                map.insert(key, value);
                *self = SmallMap::Many(Box::new(map));
                None
            }
            SmallMap::Many(map) => map.insert(key, value),
        }
    }

    /// Removes `key`; returns its value.
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        match self {
            SmallMap::Few(entries) => {
                let at = entries.iter().position(|(k, _)| k == key)?;
                Some(entries.swap_remove(at).1)
            }
            SmallMap::Many(map) => map.remove(key),
        }
    }

    /// The value at `key`.
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        match self {
            SmallMap::Few(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            SmallMap::Many(map) => map.get(key),
        }
    }

    /// Whether `key` has a value.
    pub(crate) fn contains_key(&self, key: &K) -> bool {
        match self {
            SmallMap::Few(entries) => entries.iter().any(|(k, _)| k == key),
            SmallMap::Many(map) => map.contains_key(key),
        }
    }
}

impl<K, V> SmallMap<K, V> {
    /// Its entries, in no particular order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        let (few, many) = match self {
            SmallMap::Few(entries) => (Some(entries.iter().map(|(k, v)| (k, v))), None),
            SmallMap::Many(map) => (None, Some(map.iter())),
        };
        few.into_iter().flatten().chain(many.into_iter().flatten())
    }

    /// Its keys, in no particular order.
    pub(crate) fn keys(&self) -> impl Iterator<Item = &K> + '_ {
        self.iter().map(|(k, _)| k)
    }
}

impl<K, V> IntoIterator for SmallMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::iter::Chain<
        std::iter::Flatten<std::option::IntoIter<std::vec::IntoIter<(K, V)>>>,
        std::iter::Flatten<std::option::IntoIter<std::collections::hash_map::IntoIter<K, V>>>,
    >;

    fn into_iter(self) -> Self::IntoIter {
        let (few, many) = match self {
            SmallMap::Few(entries) => (Some(entries.into_iter()), None),
            SmallMap::Many(map) => (None, Some(map.into_iter())),
        };
        few.into_iter().flatten().chain(many.into_iter().flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_each_key_once_before_and_after_the_switch_to_hashing() {
        let mut map: SmallMap<u64, u64> = SmallMap::default();
        for key in 0..40u64 {
            assert_eq!(map.insert(key, key * 10), None, "key {key} was new");
            assert_eq!(map.insert(key, key * 100), Some(key * 10), "key {key} replaced");
            assert_eq!(map.iter().count(), key as usize + 1);
            assert!(matches!(map, SmallMap::Few(_)) == (key < FEW as u64), "switches past {FEW}");
        }
        for key in (0..40u64).step_by(2) {
            assert_eq!(map.remove(&key), Some(key * 100));
            assert_eq!(map.remove(&key), None, "removed once");
        }
        let mut left: Vec<(u64, u64)> = map.iter().map(|(k, v)| (*k, *v)).collect();
        left.sort_unstable();
        let expected: Vec<(u64, u64)> = (1..40u64).step_by(2).map(|k| (k, k * 100)).collect();
        assert_eq!(left, expected);
        assert!((0..40u64).all(|k| map.contains_key(&k) == (k % 2 == 1)));
        let mut owned: Vec<(u64, u64)> = map.into_iter().collect();
        owned.sort_unstable();
        assert_eq!(owned, expected);
    }

    #[test]
    fn a_few_entries_stay_in_order_of_arrival_until_removed_and_take_one_vector() {
        let mut map: SmallMap<u64, ()> = SmallMap::default();
        assert_eq!(map.iter().count(), 0);
        for key in [7, 3, 9] {
            map.insert(key, ());
        }
        assert_eq!(map.keys().copied().collect::<Vec<_>>(), [7, 3, 9]);
        assert_eq!(map.remove(&7), Some(()));
        // The last entry takes the removed one's place.
        assert_eq!(map.keys().copied().collect::<Vec<_>>(), [9, 3]);
        assert!(matches!(map, SmallMap::Few(_)));
        assert_eq!(std::mem::size_of::<SmallMap<u64, u64>>(), std::mem::size_of::<Vec<(u64, u64)>>());
        let mut one: SmallMap<u64, u64> = SmallMap::default();
        one.insert(1, 1);
        assert!(matches!(&one, SmallMap::Few(entries) if entries.capacity() == 1), "one entry takes room for one");
    }
}
