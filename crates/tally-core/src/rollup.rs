//! Rollups in memory, and the values of a user or a team over a range of days.
//!
//! [`Rollups`] is the running sum of contributions: what the store keeps on disk, kept
//! here for replays (`tally rebuild`) and as the model the tests compare the store with.
//! [`Values`] is one report row: a value per metric.

use crate::apply::Contribution;
use crate::calendar::{Day, DayRange};
use crate::metric::Metric;
use crate::state::{EntityRef, SaleMeasure};
use std::collections::{BTreeMap, BTreeSet};

/// One value per metric, in the catalog's order. Money is in minor units.
///
/// A user's day is kept in 64 bits (the store refuses a write that would take one
/// past it); a value over a range or a team adds many of them, so it has 128 bits:
/// no sum of stored days can overflow, so a report is always exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Values(pub [i128; 18]);

impl Values {
    pub fn get(&self, metric: Metric) -> i128 {
        self.0[metric.index()]
    }

    pub fn add(&mut self, metric: Metric, amount: i64) {
        self.0[metric.index()] += i128::from(amount);
    }

    pub fn add_all(&mut self, other: &Values) {
        self.0.iter_mut().zip(other.0).for_each(|(v, o)| *v += o);
    }

    pub fn set(&mut self, metric: Metric, value: i64) {
        self.0[metric.index()] = i128::from(value);
    }
}

/// A user's membership of a team, over local days `from..=to` (`to` open-ended if none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Membership {
    pub user_id: String,
    pub from: Day,
    pub to: Option<Day>,
}

impl Membership {
    /// The days of `range` on which the user was a member, if any.
    pub fn days_within(&self, range: DayRange) -> Option<DayRange> {
        crate::org::member_days(self.from, self.to, range)
    }
}

/// Sums per (day, user, metric) and distinct marks per (day, user, metric, entity).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rollups {
    counts: BTreeMap<(Day, String, Metric), i64>,
    marks: BTreeSet<(Day, String, Metric, EntityRef)>,
    sales: BTreeMap<SaleKey, i64>,
}

/// Where a sales figure is kept: `(channel, day, user, measure)`.
pub type SaleKey = (String, Day, String, SaleMeasure);

impl Rollups {
    /// Adds one contribution; sums that come back to zero are dropped.
    pub fn add(&mut self, contribution: &Contribution) {
        match contribution {
            Contribution::Count {
                user,
                day,
                metric,
                delta,
            } => {
                let key = (*day, user.clone(), *metric);
                let sum = self.counts.entry(key.clone()).or_default();
                *sum += delta;
                if *sum == 0 {
                    self.counts.remove(&key);
                }
            }
            Contribution::Mark {
                user,
                day,
                metric,
                entity,
            } => {
                self.marks
                    .insert((*day, user.clone(), *metric, entity.clone()));
            }
            Contribution::Sale {
                channel,
                user,
                day,
                measure,
                delta,
            } => {
                let key = (channel.clone(), *day, user.clone(), *measure);
                let sum = self.sales.entry(key.clone()).or_default();
                *sum += delta;
                if *sum == 0 {
                    self.sales.remove(&key);
                }
            }
        }
    }

    /// Every non-zero sales figure by channel: `((channel, day, user, measure), sum)`.
    pub fn sales(&self) -> &BTreeMap<SaleKey, i64> {
        &self.sales
    }

    /// Every non-zero sum: `((day, user, metric), sum)`.
    pub fn counts(&self) -> &BTreeMap<(Day, String, Metric), i64> {
        &self.counts
    }

    /// Every distinct mark: `(day, user, metric, entity)`.
    pub fn marks(&self) -> &BTreeSet<(Day, String, Metric, EntityRef)> {
        &self.marks
    }

    /// A user's values over a range.
    pub fn user_values(&self, user: &str, range: DayRange) -> Values {
        let member = Membership {
            user_id: user.to_owned(),
            from: range.from,
            to: Some(range.to),
        };
        self.team_values(&[member], range)
    }

    /// A team's values over a range: each member counts only on membership days;
    /// distinct metrics count each entity once over the whole team.
    pub fn team_values(&self, members: &[Membership], range: DayRange) -> Values {
        let mut values = Values::default();
        let mut distinct: BTreeMap<Metric, BTreeSet<&EntityRef>> = BTreeMap::new();
        for member in members {
            let Some(days) = member.days_within(range) else {
                continue;
            };
            for ((_, _, metric), sum) in self.counts_of(&member.user_id, days) {
                values.add(*metric, *sum);
            }
            for (_, _, metric, entity) in self.marks_of(&member.user_id, days) {
                distinct.entry(*metric).or_default().insert(entity);
            }
        }
        for (metric, entities) in distinct {
            values.set(metric, i64::try_from(entities.len()).unwrap_or(i64::MAX));
        }
        values
    }

    fn counts_of<'a>(
        &'a self,
        user: &'a str,
        days: DayRange,
    ) -> impl Iterator<Item = (&'a (Day, String, Metric), &'a i64)> {
        let start = (days.from, String::new(), Metric::Calls);
        self.counts
            .range(start..)
            .take_while(move |((day, _, _), _)| *day <= days.to)
            .filter(move |((_, u, _), _)| u == user)
    }

    fn marks_of<'a>(
        &'a self,
        user: &'a str,
        days: DayRange,
    ) -> impl Iterator<Item = &'a (Day, String, Metric, EntityRef)> {
        self.marks
            .iter()
            .skip_while(move |(day, ..)| *day < days.from)
            .take_while(move |(day, ..)| *day <= days.to)
            .filter(move |(_, u, ..)| u == user)
    }
}
