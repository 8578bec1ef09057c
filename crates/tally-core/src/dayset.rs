//! Sets of local days, kept as sorted, disjoint, non-adjacent ranges.
//!
//! A goal applies to a person on some days only: while the goal is active, and, for a
//! target carried by each member of a team, while they are a member. Targets are
//! pro-rated and actuals counted over exactly those days.

use crate::calendar::{Day, DayRange};

/// A set of days as ordered, disjoint ranges with gaps between them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DaySet(Vec<DayRange>);

impl DaySet {
    /// The empty set.
    pub fn new() -> DaySet {
        DaySet(Vec::new())
    }

    /// Every day of one range.
    pub fn of(range: DayRange) -> DaySet {
        DaySet(vec![range])
    }

    /// The ranges of the set, in order.
    pub fn ranges(&self) -> &[DayRange] {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The number of days in the set.
    pub fn len(&self) -> u32 {
        self.0.iter().map(|r| r.len()).sum()
    }

    pub fn contains(&self, day: Day) -> bool {
        self.0.iter().any(|r| r.contains(day))
    }

    /// Adds the days of `range`, merging with ranges it overlaps or touches.
    pub fn insert(&mut self, range: DayRange) {
        let mut merged = range;
        let mut kept = Vec::with_capacity(self.0.len() + 1);
        for r in self.0.drain(..) {
            if r.to.plus(1) < merged.from || merged.to.plus(1) < r.from {
                kept.push(r);
            } else {
                merged = DayRange {
                    from: r.from.min(merged.from),
                    to: r.to.max(merged.to),
                };
            }
        }
        kept.push(merged);
        kept.sort_by_key(|r| r.from);
        self.0 = kept;
    }

    /// The days of the set that fall in `range`.
    pub fn within(&self, range: DayRange) -> DaySet {
        DaySet(self.0.iter().filter_map(|r| r.intersect(range)).collect())
    }

    /// The days in both sets.
    pub fn intersect(&self, other: &DaySet) -> DaySet {
        let mut both = DaySet::new();
        for range in other.ranges() {
            self.within(*range)
                .ranges()
                .iter()
                .for_each(|r| both.insert(*r));
        }
        both
    }

    /// The days of the set before `day`.
    pub fn before(&self, day: Day) -> DaySet {
        match DayRange::new(Day::from_number(i32::MIN / 2), day.plus(-1)) {
            Some(range) => self.within(range),
            None => DaySet::new(),
        }
    }

    /// Every day of the set, in order.
    pub fn days(&self) -> impl Iterator<Item = Day> + '_ {
        self.0.iter().flat_map(|r| r.days())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> Day {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    fn range(from: &str, to: &str) -> DayRange {
        DayRange {
            from: day(from),
            to: day(to),
        }
    }

    #[test]
    fn overlapping_and_touching_ranges_merge_and_gaps_stay() {
        let mut set = DaySet::new();
        set.insert(range("2026-11-10", "2026-11-12"));
        set.insert(range("2026-11-01", "2026-11-03"));
        set.insert(range("2026-11-04", "2026-11-05"));
        set.insert(range("2026-11-11", "2026-11-20"));
        assert_eq!(
            set.ranges(),
            [
                range("2026-11-01", "2026-11-05"),
                range("2026-11-10", "2026-11-20")
            ]
        );
        assert_eq!(set.len(), 16);
        assert!(!set.contains(day("2026-11-07")));
        assert_eq!(
            set.within(range("2026-11-05", "2026-11-10")).ranges(),
            [
                range("2026-11-05", "2026-11-05"),
                range("2026-11-10", "2026-11-10")
            ]
        );
        assert_eq!(set.before(day("2026-11-03")).len(), 2);
        assert!(set.before(day("2026-11-01")).is_empty());
        let other = DaySet::of(range("2026-11-05", "2026-11-11"));
        assert_eq!(set.intersect(&other).len(), 3);
    }
}
