//! `tally rebuild`: recompute every rollup, mark and entity state by replaying the
//! event log through the same pure rules, and say whether anything differed.
//!
//! The production twin of the replay property test: if the incremental path ever
//! drifted, this finds it and repairs it. The custom metrics are not compared: their
//! values are dropped and counted again from the log, in steps beside the server.

use crate::ingest::{next_version, write_entities, write_marks, write_sales, write_sums};
use crate::sql::{SUMMED, summed_metrics};
use crate::{Store, StoreError};
use futures::TryStreamExt;
use sqlx::Row;
use std::collections::{BTreeSet, HashMap};
use tally_core::{Day, Event, Metric, Organization, Rollups, State, apply};

/// What a rebuild found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RebuildReport {
    /// Events replayed.
    pub events: u64,
    /// (day, user, metric) sums that differed from the replay.
    pub sums_differing: usize,
    /// Distinct marks missing or extra compared with the replay.
    pub marks_differing: usize,
}

impl RebuildReport {
    /// True when the stored rollups already equalled the replay.
    pub fn consistent(&self) -> bool {
        self.sums_differing == 0 && self.marks_differing == 0
    }
}

type SumKey = (Day, String, Metric);
type MarkKey = (Day, String, Metric, String);

impl Store {
    /// Replays the whole event log and replaces the rollups with the result, in one
    /// transaction that also holds off ingest meanwhile. `progress` is called with the
    /// number of events replayed so far.
    pub async fn rebuild(
        &self,
        org: &Organization,
        progress: impl Fn(u64),
    ) -> Result<RebuildReport, StoreError> {
        let mut w = self.begin_write().await?;
        let users: Vec<(String, i64)> = sqlx::query_as("select id, key from users")
            .fetch_all(&mut *w.tx)
            .await?;
        let user_keys: HashMap<String, i64> = users.into_iter().collect();
        let channels: Vec<(String,)> = sqlx::query_as("select id from channels")
            .fetch_all(&mut *w.tx)
            .await?;
        let mut state = State {
            users: user_keys.keys().cloned().collect(),
            channels: channels.into_iter().map(|(id,)| id).collect(),
            ..State::default()
        };
        let mut replay = Rollups::default();
        let mut report = RebuildReport::default();
        {
            let mut bodies = sqlx::query("select body from events order by seq").fetch(&mut *w.tx);
            while let Some(row) = bodies.try_next().await? {
                let event = stored_event(&row.try_get::<String, _>(0)?, org)?;
                let contributions = apply(org, &mut state, &event).map_err(|r| {
                    StoreError::Corrupt(format!(
                        "stored event '{}' no longer applies: {r}",
                        event.id
                    ))
                })?;
                contributions.iter().for_each(|c| replay.add(c));
                report.events += 1;
                if report.events % 100_000 == 0 {
                    progress(report.events);
                }
            }
        }
        progress(report.events);
        let stored_sums = stored_sums(&mut w.tx).await?;
        let replay_sums: HashMap<SumKey, i64> = replay
            .counts()
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        report.sums_differing = differing(&stored_sums, &replay_sums);
        let stored_marks = stored_marks(&mut w.tx).await?;
        let replay_marks: BTreeSet<MarkKey> = replay
            .marks()
            .iter()
            .map(|(d, u, m, e)| (*d, u.clone(), *m, e.id.clone()))
            .collect();
        report.marks_differing = stored_marks.symmetric_difference(&replay_marks).count();
        for table in ["rollups", "marks", "entities", "sales_rollups"] {
            sqlx::query(&format!("delete from {table}"))
                .execute(&mut *w.tx)
                .await?;
        }
        write_sums(&mut w, &by_day_and_user(&replay_sums), &user_keys).await?;
        write_marks(&mut w, &replay_marks, &user_keys).await?;
        let sales = crate::sales::sums_of(replay.sales().iter().map(
            |((channel, day, user, measure), sum)| {
                ((*day, channel.clone(), user.clone()), *measure, *sum)
            },
        ));
        write_sales(&mut w, &sales, &user_keys).await?;
        write_entities(&mut w, &state).await?;
        // The call log's days follow the time zone too: it is followed again.
        crate::call_log::restart(&mut w).await?;
        // So do the custom metrics' days: they are counted again, in steps.
        crate::custom::count_all_again(&mut w).await?;
        next_version(&mut w, "*").await?;
        // The rollups are now those of this calendar and currency: record it with them.
        let settings = [
            ("timezone", org.calendar.time_zone_name()),
            ("currency", &org.currency.code),
        ];
        for (name, value) in settings {
            crate::upsert_meta(&mut *w.tx, name, value).await?;
        }
        w.tx.commit().await?;
        Ok(report)
    }
}

fn stored_event(body: &str, org: &Organization) -> Result<Event, StoreError> {
    let value =
        serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("event body: {e}")))?;
    Event::parse(&value, &org.currency).map_err(|e| StoreError::Corrupt(format!("event body: {e}")))
}

/// Every non-zero stored sum, by (day, user id, metric).
async fn stored_sums(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
) -> Result<HashMap<SumKey, i64>, StoreError> {
    let columns: Vec<&str> = summed_metrics().map(Metric::key).collect();
    let sql = format!(
        "select r.day, u.id, {} from rollups r join users u on u.key = r.user_key",
        columns
            .iter()
            .map(|c| format!("r.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut sums = HashMap::new();
    let mut rows = sqlx::query(&sql).fetch(&mut **tx);
    while let Some(row) = rows.try_next().await? {
        let day = crate::people::day_of(row.try_get(0)?);
        let user: String = row.try_get(1)?;
        for (i, metric) in summed_metrics().enumerate() {
            let value: i64 = row.try_get(i + 2)?;
            if value != 0 {
                sums.insert((day, user.clone(), metric), value);
            }
        }
    }
    Ok(sums)
}

async fn stored_marks(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
) -> Result<BTreeSet<MarkKey>, StoreError> {
    let sql =
        "select m.day, u.id, m.metric, m.entity from marks m join users u on u.key = m.user_key";
    let rows: Vec<(i64, String, i64, String)> = sqlx::query_as(sql).fetch_all(&mut **tx).await?;
    rows.into_iter()
        .map(|(day, user, metric, entity)| {
            let metric = usize::try_from(metric)
                .ok()
                .and_then(|i| Metric::ALL.get(i).copied());
            let metric =
                metric.ok_or_else(|| StoreError::Corrupt(format!("marks.metric {metric:?}")))?;
            Ok((crate::people::day_of(day), user, metric, entity))
        })
        .collect()
}

fn differing(stored: &HashMap<SumKey, i64>, replay: &HashMap<SumKey, i64>) -> usize {
    let keys: BTreeSet<&SumKey> = stored.keys().chain(replay.keys()).collect();
    keys.into_iter()
        .filter(|k| stored.get(*k) != replay.get(*k))
        .count()
}

fn by_day_and_user(sums: &HashMap<SumKey, i64>) -> HashMap<(Day, String), [i64; SUMMED]> {
    let mut rows: HashMap<(Day, String), [i64; SUMMED]> = HashMap::new();
    for ((day, user, metric), value) in sums {
        let column = summed_metrics()
            .position(|m| m == *metric)
            .unwrap_or_default();
        rows.entry((*day, user.clone())).or_insert([0; SUMMED])[column] += value;
    }
    rows
}
