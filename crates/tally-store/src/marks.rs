//! One (user, distinct metric)'s marks in the read model: the days on which the user
//! touched each entity (a customer, an opportunity), sorted by day so a range is a
//! contiguous slice.
//!
//! A mark names its entity by a number local to the list (the entity's rank among
//! the list's own entities), not by the model's number. Counting one list's distinct
//! entities then stamps a few kilobytes that stay in the core's cache, where the
//! model's numbers spread a list's few hundred entities over a stamp per entity of
//! the whole model (2.9 MB at 720,000), each touch a cache miss: two thirds of a
//! full users report's time before. Counts over several lists (a team, a day of a
//! group) turn local numbers back into the model's.

use std::collections::BTreeSet;
use tally_core::{Day, DayRange};

/// The marks of one (user, metric).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Marks {
    /// (day, local number), sorted, each once.
    marks: Vec<(Day, u32)>,
    /// The model's numbers of the list's entities, ascending: a local number is an
    /// index here, so the marks of a day are in the model's order too and a count
    /// over several lists walks the model's stamps forwards.
    entities: Vec<u32>,
}

impl Marks {
    /// The list of these (day, model number) marks, in any order, repeats allowed.
    pub(crate) fn of(marks: &[(Day, u32)]) -> Marks {
        let mut entities: Vec<u32> = marks.iter().map(|(_, entity)| *entity).collect();
        entities.sort_unstable();
        entities.dedup();
        let mut marks: Vec<(Day, u32)> = marks
            .iter()
            .map(|(day, entity)| (*day, entities.partition_point(|e| e < entity) as u32))
            .collect();
        marks.sort_unstable();
        marks.dedup();
        Marks { marks, entities }
    }

    /// Adds these (day, model number) marks at once (each once).
    pub(crate) fn extend(&mut self, marks: &[(Day, u32)]) {
        let mut all: Vec<(Day, u32)> = self.iter().collect();
        all.extend_from_slice(marks);
        *self = Marks::of(&all);
    }

    /// Adds a mark of the entity with the model's number `entity` (once).
    pub(crate) fn insert(&mut self, day: Day, entity: u32) {
        let mark = (day, self.local(entity));
        let at = self.marks.partition_point(|m| *m < mark);
        if self.marks.get(at) != Some(&mark) {
            self.marks.insert(at, mark);
        }
    }

    /// The local number of an entity. A new one takes its place in the model's order,
    /// and the marks of the entities after it move up by one (most new entities are
    /// the model's newest: they come last and nothing moves).
    fn local(&mut self, entity: u32) -> u32 {
        match self.entities.binary_search(&entity) {
            Ok(at) => at as u32,
            Err(at) => {
                self.entities.insert(at, entity);
                let local = at as u32;
                if at + 1 < self.entities.len() {
                    self.marks
                        .iter_mut()
                        .filter(|(_, l)| *l >= local)
                        .for_each(|(_, l)| *l += 1);
                }
                local
            }
        }
    }

    /// Drops the marks of these days (the entities' numbers stay).
    pub(crate) fn forget(&mut self, days: &BTreeSet<Day>) {
        self.marks.retain(|(day, _)| !days.contains(day));
    }

    /// How many marks the list holds.
    pub(crate) fn len(&self) -> usize {
        self.marks.len()
    }

    /// The local numbers of the marks within the range (repeated when an entity was
    /// marked on several days): for counting this list alone.
    pub(crate) fn local_within(&self, range: DayRange) -> impl Iterator<Item = u32> + '_ {
        self.slice(range).iter().map(|(_, local)| *local)
    }

    /// The model's numbers of the marks within the range: for counting over lists.
    pub(crate) fn within(&self, range: DayRange) -> impl Iterator<Item = u32> + '_ {
        self.local_within(range)
            .map(|local| self.entities[local as usize])
    }

    /// Every mark as (day, the model's number), in that order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Day, u32)> + '_ {
        self.marks
            .iter()
            .map(|(day, local)| (*day, self.entities[*local as usize]))
    }

    fn slice(&self, range: DayRange) -> &[(Day, u32)] {
        let start = self.marks.partition_point(|(day, _)| *day < range.from);
        let end = self.marks.partition_point(|(day, _)| *day <= range.to);
        &self.marks[start..end.max(start)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(n: i32) -> Day {
        Day::from_number(n)
    }

    fn range(from: i32, to: i32) -> DayRange {
        DayRange {
            from: day(from),
            to: day(to),
        }
    }

    #[test]
    fn marks_added_one_by_one_equal_the_same_marks_at_once() {
        let marks = [
            (3, 900),
            (1, 5),
            (3, 5),
            (1, 900),
            (2, 77),
            (3, 900),
            (0, 5),
            (2, 1),
        ];
        let mut one_by_one = Marks::default();
        for (d, entity) in marks {
            one_by_one.insert(day(d), entity);
        }
        let all: Vec<(Day, u32)> = marks.iter().map(|(d, e)| (day(*d), *e)).collect();
        let at_once = Marks::of(&all);
        let mut in_two = Marks::of(&all[4..]);
        in_two.extend(&all[..4]);
        assert_eq!(in_two, at_once);
        let mut expected: Vec<(Day, u32)> = all.clone();
        expected.sort_unstable();
        expected.dedup();
        for list in [&one_by_one, &at_once] {
            // In (day, model number) order, as the marks were kept before local numbers.
            let got: Vec<(Day, u32)> = list.iter().collect();
            assert_eq!(got, expected);
            assert_eq!(list, &at_once, "the same list either way");
            assert_eq!(list.len(), 7);
            assert_eq!(
                list.entities,
                vec![1, 5, 77, 900],
                "each entity once, in order"
            );
        }
    }

    #[test]
    fn a_range_gives_its_marks_in_local_and_model_numbers() {
        let mut list = Marks::default();
        for (d, entity) in [(1, 40), (2, 10), (2, 40), (5, 30)] {
            list.insert(day(d), entity);
        }
        let mut model: Vec<u32> = list.within(range(2, 4)).collect();
        model.sort_unstable();
        assert_eq!(model, vec![10, 40]);
        let locals: Vec<u32> = list.local_within(range(2, 4)).collect();
        assert_eq!(locals.len(), 2);
        assert!(locals.iter().all(|l| (*l as usize) < list.entities.len()));
        assert_eq!(list.within(range(6, 9)).count(), 0);
        list.forget(&BTreeSet::from([day(2)]));
        assert_eq!(list.within(range(0, 9)).collect::<Vec<_>>(), vec![40, 30]);
    }
}
