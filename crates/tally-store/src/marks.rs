//! One (user, distinct metric)'s marks in the read model: the days on which the user
//! touched each entity (a customer, an opportunity), sorted by day so a range is a
//! contiguous slice.
//!
//! A mark names its entity by a number local to the list (the entity's rank among
//! the list's own entities), not by the model's number. Counting one list's distinct
//! entities then sets a bit per local number, a few words that stay in the core's
//! cache, where the model's numbers spread a list's few hundred entities over a stamp
//! per entity of the whole model (2.9 MB at 720,000), each touch a cache miss: two
//! thirds of a full users report's time before. Counts over several lists (a team, a
//! day of a group) turn local numbers back into the model's. Each list also indexes
//! where each of its days starts, so a range's start is one read.

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
    /// The number of the first mark's day (0 when there is none), kept beside
    /// `starts` so that finding a range's start does not read the marks.
    first: i32,
    /// Where each day's marks start: `starts[i]` is the index of the first mark on or
    /// after the day `first + i`, for each day from the first mark's to the day after
    /// the last's. A range's start is one read here, where searching the marks touched
    /// a dozen cache lines of a list read from memory: a quarter of a full users
    /// report's time. At most 4 bytes a day of the list's history, against 8 a mark.
    starts: Vec<u32>,
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
        let mut list = Marks {
            marks,
            entities,
            ..Marks::default()
        };
        list.index();
        list
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
            self.index_new(day);
        }
    }

    /// Indexes the marks' days afresh.
    fn index(&mut self) {
        self.starts.clear();
        let (Some((first, _)), Some((last, _))) = (self.marks.first(), self.marks.last()) else {
            self.first = 0;
            return;
        };
        self.first = first.number();
        let mut at = 0;
        for day in self.first..=last.number() + 1 {
            at += self.marks[at..].partition_point(|(d, _)| d.number() < day);
            self.starts.push(at as u32);
        }
    }

    /// Indexes a mark just inserted on `day`: the days after it start one later. Most
    /// marks are the list's newest (today's): one entry moves, or one is added.
    fn index_new(&mut self, day: Day) {
        let Ok(offset) = usize::try_from(day.number() - self.first) else {
            return self.index();
        };
        if self.starts.is_empty() {
            return self.index();
        }
        let len = self.marks.len() as u32;
        if offset + 1 < self.starts.len() {
            self.starts[offset + 1..].iter_mut().for_each(|s| *s += 1);
        } else {
            // After the last day: the days up to it start at the new mark, the last.
            self.starts.resize(offset + 1, len - 1);
            self.starts.push(len);
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
        self.index();
    }

    /// How many marks the list holds.
    pub(crate) fn len(&self) -> usize {
        self.marks.len()
    }

    /// The local numbers of the marks within the range (repeated when an entity was
    /// marked on several days): for counting this list alone.
    pub(crate) fn local_within(&self, range: DayRange) -> impl Iterator<Item = u32> + '_ {
        self.since(range.from)
            .iter()
            .take_while(move |(day, _)| *day <= range.to)
            .map(|(_, local)| *local)
    }

    /// The model's numbers of the marks within the range: for counting over lists.
    pub(crate) fn within(&self, range: DayRange) -> impl Iterator<Item = u32> + '_ {
        self.local_within(range)
            .map(|local| self.entities[local as usize])
    }

    /// How many different entities the list marked within the range. `bits` is
    /// scratch, one bit per local number (a list of 2,000 entities: 32 words, in the
    /// core's cache): each mark sets its bit without a branch to mispredict, and the
    /// bits are counted at the end.
    pub(crate) fn distinct_within(&self, range: DayRange, bits: &mut Vec<u64>) -> i64 {
        bits.clear();
        bits.resize(self.entities.len().div_ceil(64), 0);
        for local in self.local_within(range) {
            if let Some(word) = bits.get_mut(local as usize / 64) {
                *word |= 1 << (local % 64);
            }
        }
        bits.iter().map(|word| i64::from(word.count_ones())).sum()
    }

    /// Every mark as (day, the model's number), in that order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (Day, u32)> + '_ {
        self.marks
            .iter()
            .map(|(day, local)| (*day, self.entities[*local as usize]))
    }

    /// The marks from the day `from` on, found in the index. A range's end is found by
    /// walking its marks, which are read anyway.
    fn since(&self, from: Day) -> &[(Day, u32)] {
        let start = match usize::try_from(from.number() - self.first) {
            Err(_) => 0,
            Ok(offset) => self
                .starts
                .get(offset)
                .map_or(self.marks.len(), |s| *s as usize),
        };
        &self.marks[start..]
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

    #[test]
    fn a_lists_distinct_count_within_a_range_equals_a_set_of_its_entities() {
        // 200 entities (four words of bits), marked out of order on 30 days: the
        // index of days grows at both ends and in the middle.
        let mut list = Marks::default();
        let mut all = Vec::new();
        for n in 0..3_000_u32 {
            let (d, entity) = (((n * 7919 + 13) % 30) as i32, n * 104_729 % 200 * 3);
            list.insert(day(d), entity);
            all.push((d, entity));
        }
        let at_once: Vec<(Day, u32)> = all.iter().map(|(d, e)| (day(*d), *e)).collect();
        assert_eq!(
            list,
            Marks::of(&at_once),
            "the days indexed alike either way"
        );
        let mut bits = vec![u64::MAX; 1];
        for (from, to) in [(0, 29), (3, 3), (10, 19), (29, 40), (31, 40), (5, 4)] {
            let expected: BTreeSet<u32> = all
                .iter()
                .filter(|(d, _)| (from..=to).contains(d))
                .map(|(_, entity)| *entity)
                .collect();
            let counted = list.distinct_within(range(from, to), &mut bits);
            assert_eq!(counted, expected.len() as i64, "days {from}..={to}");
        }
    }
}
