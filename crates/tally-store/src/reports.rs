//! Reading reports from the in-memory read model (see `readmodel.rs`): sums of rollups
//! and distinct counts of marks, never the event log, so a report's cost follows
//! users × days, not the number of events.

use crate::people::Team;
use crate::{Store, StoreError};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tally_core::{Day, DayRange, Membership, Values};

/// A team's row of the teams report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TeamRow {
    pub team: Team,
    pub values: Values,
}

/// For each team key, the members' days within a range, grouped by those days.
type Spans = BTreeMap<i64, BTreeMap<(Day, Day), Vec<i64>>>;

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

    /// The values of teams over a range: each member counts only on the days of the
    /// range they were a member; distinct metrics count an entity once per team.
    pub async fn team_values(
        &self,
        range: DayRange,
        teams: &[Team],
    ) -> Result<Vec<TeamRow>, StoreError> {
        let spans = self.member_spans(range, teams).await?;
        let model = self.read_model().await?;
        let mut rows = Vec::with_capacity(teams.len());
        let mut distinct = model.counter();
        for team in teams {
            let mut values = Values::default();
            if let Some(team_spans) = spans.get(&team.key) {
                let mut by_user = HashMap::new();
                for ((from, to), users) in team_spans {
                    model.sums_into(
                        DayRange {
                            from: *from,
                            to: *to,
                        },
                        Some(users),
                        &mut by_user,
                    );
                }
                for user_values in by_user.values() {
                    for (metric, value) in tally_core::Metric::ALL
                        .iter()
                        .map(|m| (*m, user_values.get(*m)))
                    {
                        values.add(metric, value);
                    }
                }
                for (metric, count) in model.distinct_union(team_spans, &mut distinct) {
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

    async fn member_spans(&self, range: DayRange, teams: &[Team]) -> Result<Spans, StoreError> {
        let wanted: BTreeSet<i64> = teams.iter().map(|t| t.key).collect();
        let mut spans = Spans::new();
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
                let team = spans.entry(m.team_key).or_default();
                team.entry((days.from, days.to))
                    .or_default()
                    .push(m.user_key);
            }
        }
        Ok(spans)
    }
}
