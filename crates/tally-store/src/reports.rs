//! Reading reports from the in-memory read model (see `readmodel.rs`): sums of rollups
//! and distinct counts of marks, never the event log, so a report's cost follows
//! users × days, not the number of events.

use crate::readmodel::{Distinct, ReadModel};
use crate::{Store, StoreError};
use std::collections::{BTreeMap, HashMap};
use tally_core::{Day, DayRange, Metric, Values};

impl Store {
    /// The values of users over a range: every user with data when `users` is `None`,
    /// else just these user keys. Users with no data in the range are absent.
    pub async fn user_values(
        &self,
        range: DayRange,
        users: Option<&[i64]>,
    ) -> Result<HashMap<i64, Values>, StoreError> {
        Ok(self.read_model().await?.user_values(range, users))
    }

    /// The read model at least as new as `version` (the data version a request read
    /// with [`Store::versions`]), brought up to it first if another instance wrote: a
    /// view computes all its figures from it without another query. Hold it only while
    /// computing: a write on this instance waits for it.
    pub async fn figures(&self, version: i64) -> Result<Figures<'_>, StoreError> {
        Ok(Figures(self.read_model_at(version).await?))
    }
}

/// The figures of one moment: the read model, read-locked.
pub struct Figures<'a>(tokio::sync::RwLockReadGuard<'a, ReadModel>);

impl Figures<'_> {
    /// The values of users over a range: every user with data when `users` is `None`,
    /// else just these user keys. Users with no data in the range are absent.
    pub fn user_values(&self, range: DayRange, users: Option<&[i64]>) -> HashMap<i64, Values> {
        self.0.user_values(range, users)
    }

    /// The values of groups of (user key, days): each group's sums add up, and its
    /// distinct metrics count an entity once over the whole group (as for a team), for
    /// the `wanted` metrics only: a metric not wanted is not counted (it reads 0).
    pub fn group_values(&self, groups: &[Vec<(i64, DayRange)>], wanted: &[Metric]) -> Vec<Values> {
        self.0.group_values(groups, wanted)
    }
}

impl Figures<'_> {
    /// Each group's values on each day of `range` where one of the `wanted` metrics is
    /// not zero, as (group index, day, values): a per-day breakdown.
    pub fn daily_values(
        &self,
        groups: &[Vec<(i64, DayRange)>],
        range: DayRange,
        wanted: &[Metric],
    ) -> Vec<(usize, Day, Values)> {
        self.0.daily_values(groups, range, wanted)
    }

    /// The sum of all groups' values on each day of `range`, every day listed.
    pub fn daily_totals(
        &self,
        groups: &[Vec<(i64, DayRange)>],
        range: DayRange,
        wanted: &[Metric],
    ) -> Vec<(Day, Values)> {
        self.0.daily_totals(groups, range, wanted)
    }
}

impl ReadModel {
    pub(crate) fn group_values(
        &self,
        groups: &[Vec<(i64, DayRange)>],
        wanted: &[Metric],
    ) -> Vec<Values> {
        let mut distinct = self.counter();
        let columns = summed_columns(wanted);
        groups
            .iter()
            .map(|group| {
                if let [(user, days)] = group.as_slice() {
                    return self.one_user_values(*user, *days, (&columns, wanted), &mut distinct);
                }
                let mut spans: BTreeMap<(Day, Day), Vec<i64>> = BTreeMap::new();
                for (user, days) in group {
                    spans.entry((days.from, days.to)).or_default().push(*user);
                }
                spans_values(self, &spans, (&columns, wanted), &mut distinct)
            })
            .collect()
    }
}

/// The values over spans of days, each with its users.
fn spans_values(
    model: &ReadModel,
    spans: &BTreeMap<(Day, Day), Vec<i64>>,
    (columns, wanted): (&[usize], &[Metric]),
    distinct: &mut Distinct,
) -> Values {
    let mut values = Values::default();
    for ((from, to), users) in spans {
        let range = DayRange {
            from: *from,
            to: *to,
        };
        model.sum_of(range, users, columns, &mut values);
    }
    for (metric, count) in model.distinct_union(spans, wanted, distinct) {
        values.set(metric, count);
    }
    values
}

/// The rollup columns of the `wanted` summed metrics: what a group's values add up.
fn summed_columns(wanted: &[Metric]) -> Vec<usize> {
    crate::sql::summed_metrics()
        .enumerate()
        .filter(|(_, metric)| wanted.contains(metric))
        .map(|(column, _)| column)
        .collect()
}
