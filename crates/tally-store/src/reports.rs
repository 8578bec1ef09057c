//! Reading reports: sums from `rollups` and distinct counts from `marks`, never the
//! event log, so a report's cost follows users × days, not the number of events.

use crate::people::Team;
use crate::sql::{params, summed_metrics};
use crate::{Backend, Store, StoreError};
use sqlx::Row;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tally_core::{Day, DayRange, Membership, Metric, Values};

/// A team's row of the teams report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamRow {
    pub team: Team,
    pub values: Values,
}

/// Up to this many (day, user) pairs, a filtered read looks each pair up by key
/// instead of scanning every user's rows for the days.
const POINT_LOOKUPS: usize = 20_000;

/// Users filtered per statement (well under both backends' parameter limits).
const USERS_PER_STATEMENT: usize = 10_000;

impl Store {
    /// The values of users over a range: every user with data when `users` is `None`,
    /// else just these user keys. Users with no data in the range are absent.
    pub async fn user_values(
        &self,
        range: DayRange,
        users: Option<&[i64]>,
    ) -> Result<HashMap<i64, Values>, StoreError> {
        let mut values = HashMap::new();
        match users {
            None => self.read_values(range, None, &mut values).await?,
            Some(users) => {
                for chunk in users.chunks(USERS_PER_STATEMENT) {
                    self.read_values(range, Some(chunk), &mut values).await?;
                }
            }
        }
        Ok(values)
    }

    /// The values of teams over a range: each member counts only on the days of the
    /// range they were a member; distinct metrics count an entity once per team.
    pub async fn team_values(
        &self,
        range: DayRange,
        teams: &[Team],
    ) -> Result<Vec<TeamRow>, StoreError> {
        let wanted: BTreeSet<i64> = teams.iter().map(|t| t.key).collect();
        // For each team, the members' days within the range, grouped by those days.
        let mut spans: BTreeMap<i64, BTreeMap<(Day, Day), Vec<i64>>> = BTreeMap::new();
        for m in self
            .memberships(None)
            .await?
            .into_iter()
            .filter(|m| wanted.contains(&m.team_key))
        {
            let membership = Membership {
                user_id: m.user_id,
                from: m.from,
                to: m.to,
            };
            if let Some(days) = membership.days_within(range) {
                let users = spans
                    .entry(m.team_key)
                    .or_default()
                    .entry((days.from, days.to))
                    .or_default();
                users.push(m.user_key);
            }
        }
        let sums = self.sums_by_span(&spans).await?;
        let mut rows = Vec::with_capacity(teams.len());
        for team in teams {
            let mut values = Values::default();
            if let Some(team_spans) = spans.get(&team.key) {
                for (span, users) in team_spans {
                    for user in users {
                        add_sums(&mut values, sums.get(&(*span, *user)));
                    }
                }
                for (metric, count) in self.team_distinct(team_spans).await? {
                    values.set(metric, count);
                }
            }
            rows.push(TeamRow {
                team: team.clone(),
                values,
            });
        }
        Ok(rows)
    }

    /// Sums per (span, user) for every span any team needs, one read per span.
    async fn sums_by_span(
        &self,
        spans: &BTreeMap<i64, BTreeMap<(Day, Day), Vec<i64>>>,
    ) -> Result<HashMap<((Day, Day), i64), Values>, StoreError> {
        let mut users_by_span: BTreeMap<(Day, Day), BTreeSet<i64>> = BTreeMap::new();
        for team_spans in spans.values() {
            for (span, users) in team_spans {
                users_by_span.entry(*span).or_default().extend(users);
            }
        }
        let mut sums = HashMap::new();
        for (span, users) in users_by_span {
            let range = DayRange {
                from: span.0,
                to: span.1,
            };
            let users: Vec<i64> = users.into_iter().collect();
            for (user, values) in self.user_values(range, Some(&users)).await? {
                sums.insert((span, user), values);
            }
        }
        Ok(sums)
    }

    /// Distinct counts over the union of a team's member-days.
    async fn team_distinct(
        &self,
        spans: &BTreeMap<(Day, Day), Vec<i64>>,
    ) -> Result<Vec<(Metric, i64)>, StoreError> {
        let mut conditions = Vec::new();
        let mut binds: Vec<i64> = Vec::new();
        for ((from, to), users) in spans {
            let range = DayRange {
                from: *from,
                to: *to,
            };
            let (condition, values) = span_filter(self.backend, binds.len() + 1, range, users);
            conditions.push(format!("({condition})"));
            binds.extend(values);
        }
        let sql = format!(
            "select metric, count(distinct entity) from marks where {} group by metric",
            conditions.join(" or ")
        );
        let mut query = sqlx::query_as::<_, (i64, i64)>(&sql);
        for value in binds {
            query = query.bind(value);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.into_iter()
            .map(|(metric, count)| Ok((metric_at(metric)?, count)))
            .collect()
    }

    async fn read_values(
        &self,
        range: DayRange,
        users: Option<&[i64]>,
        into: &mut HashMap<i64, Values>,
    ) -> Result<(), StoreError> {
        let (filter, binds) = range_filter(self.backend, range, users);
        let sums: Vec<String> = summed_metrics()
            .map(|m| format!("cast(sum({m}) as bigint)"))
            .collect();
        let sql = format!(
            "select user_key, {} from rollups where {filter} group by user_key",
            sums.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for value in &binds {
            query = query.bind(*value);
        }
        for row in query.fetch_all(&self.pool).await? {
            let values = into.entry(row.try_get::<i64, _>(0)?).or_default();
            for (i, metric) in summed_metrics().enumerate() {
                values.set(metric, row.try_get::<i64, _>(i + 1)?);
            }
        }
        let sql = format!(
            "select user_key, metric, count(distinct entity) from marks where {filter} group by user_key, metric"
        );
        let mut query = sqlx::query_as::<_, (i64, i64, i64)>(&sql);
        for value in &binds {
            query = query.bind(*value);
        }
        for (user, metric, count) in query.fetch_all(&self.pool).await? {
            into.entry(user).or_default().set(metric_at(metric)?, count);
        }
        Ok(())
    }
}

/// The `where` clause for a range and optional users, with its parameters.
fn range_filter(backend: Backend, range: DayRange, users: Option<&[i64]>) -> (String, Vec<i64>) {
    match users {
        Some(users) => span_filter(backend, 1, range, users),
        None => {
            let (from, to) = (range.from.number(), range.to.number());
            let between = format!(
                "day between {}",
                params(backend, 1, 2).replace(", ", " and ")
            );
            (between, vec![i64::from(from), i64::from(to)])
        }
    }
}

/// The condition "these users on these days", its parameters numbered from `first`.
/// Up to [`POINT_LOOKUPS`] (day, user) pairs, it names every day so that the
/// `(day, user_key)` keys are looked up directly instead of scanning every user's rows.
fn span_filter(
    backend: Backend,
    first: usize,
    range: DayRange,
    users: &[i64],
) -> (String, Vec<i64>) {
    let days: Vec<i64> = if range.len() as usize * users.len() <= POINT_LOOKUPS {
        range.days().map(|d| i64::from(d.number())).collect()
    } else {
        Vec::new()
    };
    let day_condition = if days.is_empty() {
        format!(
            "day between {}",
            params(backend, first, 2).replace(", ", " and ")
        )
    } else {
        format!("day in ({})", params(backend, first, days.len()))
    };
    let mut binds = if days.is_empty() {
        vec![i64::from(range.from.number()), i64::from(range.to.number())]
    } else {
        days
    };
    let users_condition = format!(
        "user_key in ({})",
        params(backend, first + binds.len(), users.len())
    );
    binds.extend(users);
    (format!("{day_condition} and {users_condition}"), binds)
}

fn add_sums(values: &mut Values, sums: Option<&Values>) {
    if let Some(sums) = sums {
        for metric in summed_metrics() {
            values.add(metric, sums.get(metric));
        }
    }
}

fn metric_at(index: i64) -> Result<Metric, StoreError> {
    usize::try_from(index)
        .ok()
        .and_then(|i| Metric::ALL.get(i).copied())
        .ok_or_else(|| StoreError::Corrupt(format!("marks.metric {index} is not a metric")))
}
