//! The read model's entity ids as small numbers (0, 1, 2… in the order first seen),
//! kept compactly: every id's text one after the other in one buffer, and a hash table
//! of numbers that finds a number by its id's text.
//!
//! A `HashMap<String, u32>` held the same at 10 M events (720,473 customer and
//! opportunity ids, 4.8 MB of text) in about 40 MB: a 32-byte slot, over a
//! power-of-two number of slots, and a heap allocation per id. Here an id costs its
//! bytes, one end offset and a 4-byte slot: about 16 MB in use (see
//! `docs/benchmarks.md`, "Entity ids in one buffer").

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use std::hash::{BuildHasher, RandomState};

/// Entity ids and their numbers.
#[derive(Default)]
pub(crate) struct EntityIds {
    /// Every id's text, in number order.
    text: String,
    /// Where each id's text ends in `text`, by number.
    ends: Vec<usize>,
    /// The numbers, placed by the hash of their id's text.
    numbers: HashTable<u32>,
    hasher: RandomState,
}

impl EntityIds {
    /// How many ids are numbered.
    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The number of `id`, given the next one if `id` is new. Numbers are `u32`, as
    /// the marks store them: past 4,294,967,296 different ids (far beyond any
    /// history), every new one would share the last number.
    pub(crate) fn number(&mut self, id: &str) -> u32 {
        let Self {
            text,
            ends,
            numbers,
            hasher,
        } = self;
        let id_of = |n: &u32| text_of(text, ends, *n);
        let entry = numbers.entry(
            hasher.hash_one(id),
            |n| id_of(n) == id,
            |n| hasher.hash_one(id_of(n)),
        );
        match entry {
            Entry::Occupied(found) => *found.get(),
            Entry::Vacant(slot) => {
                let next = u32::try_from(ends.len()).unwrap_or(u32::MAX);
                slot.insert(next);
                text.push_str(id);
                ends.push(text.len());
                next
            }
        }
    }

    /// Every id, in number order.
    pub(crate) fn ids(&self) -> impl Iterator<Item = &str> {
        (0..self.ends.len()).map(|n| text_of(&self.text, &self.ends, n as u32))
    }
}

/// The text of id number `n`.
fn text_of<'a>(text: &'a str, ends: &[usize], n: u32) -> &'a str {
    let n = n as usize;
    let start = if n == 0 { 0 } else { ends[n - 1] };
    &text[start..ends[n]]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn ids_are_numbered_in_the_order_first_seen_as_a_map_would_number_them() {
        let mut ids = EntityIds::default();
        let mut map: HashMap<String, u32> = HashMap::new();
        // Repeats, an empty id, ids that are prefixes of one another and non-ASCII
        // text; enough ids for the table to grow several times.
        let seen = (0..5_000u32)
            .map(|i| match i % 7 {
                0 => String::new(),
                1 => format!("cus-{}", i % 300),
                2 => format!("cus-{}", i % 30),
                3 => format!("khách-{i}"),
                _ => format!("opp-{}", i * 31 % 2_000),
            })
            .collect::<Vec<_>>();
        for id in &seen {
            let next = u32::try_from(map.len()).unwrap();
            let expected = *map.entry(id.clone()).or_insert(next);
            assert_eq!(ids.number(id), expected, "the number of '{id}'");
        }
        assert_eq!(ids.len(), map.len());
        let mut by_number: Vec<(&String, &u32)> = map.iter().collect();
        by_number.sort_unstable_by_key(|(_, n)| **n);
        let listed: Vec<&str> = ids.ids().collect();
        let expected: Vec<&str> = by_number.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(listed, expected);
    }
}
