//! The organisation's own metrics ([`tally_core::custom`]): their definitions, what
//! new events add to them in the ingest's own transaction, the count of the history
//! logged before a definition was saved, and their values per person and day.
//!
//! A metric of events keeps sums (`custom_sums`) or distinct marks (`custom_marks`)
//! per local day and credited user. What an event adds depends on the event alone, so
//! the events logged after a save are counted as they arrive and the ones logged
//! before by [`Store::count_custom_history`], window by window, in any interleaving:
//! the two never meet, as the save's `counted_from` (the last `seq` of the log under
//! the write lock) parts them. A metric of records reads `sales_rollups`, which
//! ingest already keeps current.

use crate::ingest::{key_of, select_in};
use crate::rows::{Cell, Insert};
use crate::sql::{in_numbered_json_array, now_seconds};
use crate::{Store, StoreError, WriteTx, bump_org_version};
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use tally_core::custom::{Credit, CustomDays, CustomMetric, EventRule, Rule};
use tally_core::{Day, DayRange, Event, EventKind, Organization, State};

/// A custom metric as stored, with how far its history is counted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMetric {
    pub id: i64,
    pub metric: CustomMetric,
    /// How many times its definition was saved.
    pub revision: i64,
    /// The last event logged when it was saved: the end of its history.
    pub counted_from: i64,
    /// The history is counted up to this event.
    pub counted_to: i64,
}

impl StoredMetric {
    /// Whether part of the history is still to be counted (its values are partial).
    pub fn counting(&self) -> bool {
        self.counted_to < self.counted_from
    }

    /// The share of its history counted, in whole percent (100 when done).
    pub fn percent_counted(&self) -> u8 {
        if !self.counting() {
            return 100;
        }
        let share = self.counted_to.max(0) * 100 / self.counted_from.max(1);
        u8::try_from(share.min(99)).unwrap_or(99)
    }
}

/// How many logged events a step of the history count reads (the write lock is held
/// only to add what they credit; see `docs/benchmarks.md` for the time a step takes).
pub const HISTORY_WINDOW: i64 = 5_000;

const COLUMNS: &str = "id, definition, revision, counted_from, counted_to";

type MetricRow = (i64, String, i64, i64, i64);

impl Store {
    /// Every custom metric, by key.
    pub async fn custom_metrics(&self) -> Result<Vec<StoredMetric>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        custom_metrics_in(&mut conn).await
    }

    /// The custom metric with this key.
    pub async fn custom_metric(&self, key: &str) -> Result<StoredMetric, StoreError> {
        let sql = format!("select {COLUMNS} from custom_metrics where key = $1");
        let row: Option<MetricRow> = sqlx::query_as(&sql)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(stored).unwrap_or_else(|| Err(not_found(key)))
    }

    /// Saves a new custom metric; its history is counted from now on, in steps. Like
    /// every change of definition, it moves the organisation's version: goals name
    /// custom metrics.
    pub async fn define_custom_metric(
        &self,
        metric: &CustomMetric,
    ) -> Result<StoredMetric, StoreError> {
        let mut w = self.begin_write().await?;
        let last = last_logged(&mut w).await?;
        let history_done = history_done(metric, last);
        let inserted = sqlx::query(
            "insert into custom_metrics \
             (key, definition, revision, counted_from, counted_to, updated_at) \
             values ($1, $2, 1, $3, $4, $5)",
        )
        .bind(metric.key.clone())
        .bind(metric.to_json().to_string())
        .bind(last)
        .bind(history_done)
        .bind(now_seconds())
        .execute(&mut *w.tx)
        .await;
        inserted.map_err(|e| {
            StoreError::conflict_on_unique(e, format!("a metric '{}' exists already", metric.key))
        })?;
        bump_org_version(&mut w.tx).await?;
        w.tx.commit().await?;
        self.custom_metric(&metric.key).await
    }

    /// Replaces a custom metric's definition: its values are dropped and counted
    /// again from the whole history.
    pub async fn redefine_custom_metric(
        &self,
        metric: &CustomMetric,
    ) -> Result<StoredMetric, StoreError> {
        let mut w = self.begin_write().await?;
        let (id, before) = metric_in(&mut w, &metric.key).await?;
        if before.unit() != metric.unit() {
            refuse_if_in_goals(&mut w, &metric.key, "its unit cannot change").await?;
        }
        drop_values(&mut w, id).await?;
        let last = last_logged(&mut w).await?;
        sqlx::query(
            "update custom_metrics set definition = $1, revision = revision + 1, \
             counted_from = $2, counted_to = $3, updated_at = $4 where id = $5",
        )
        .bind(metric.to_json().to_string())
        .bind(last)
        .bind(history_done(metric, last))
        .bind(now_seconds())
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        bump_org_version(&mut w.tx).await?;
        w.tx.commit().await?;
        self.custom_metric(&metric.key).await
    }

    /// Removes a custom metric and its values, unless a goal names it (in any of its
    /// revisions, archived goals included: their history and results read it).
    pub async fn remove_custom_metric(&self, key: &str) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        let (id, _) = metric_in(&mut w, key).await?;
        refuse_if_in_goals(&mut w, key, "it cannot be removed").await?;
        drop_values(&mut w, id).await?;
        sqlx::query("delete from custom_metrics where id = $1")
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
        bump_org_version(&mut w.tx).await?;
        w.tx.commit().await?;
        Ok(())
    }

    /// The id of the first metric after `after_id` (in the order of ids) whose history
    /// is not counted yet; the history loop takes them in turn, so that none waits on
    /// another (one whose step keeps failing included).
    pub async fn custom_history_after(&self, after_id: i64) -> Result<Option<i64>, StoreError> {
        let next: Option<(i64,)> = sqlx::query_as(
            "select id from custom_metrics where counted_to < counted_from and id > $1 \
             order by id limit 1",
        )
        .bind(after_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(next.map(|(id,)| id))
    }

    /// Counts the next `window` logged events (the server's: [`HISTORY_WINDOW`]) of
    /// the history of the metric `id`; returns the metric as it now stands (`None` if
    /// it was removed). The window's events never change (the log only grows past
    /// `counted_from`), so they are read and credited before the write lock is taken;
    /// the lock is held only to add the credits, and a metric redefined, recounted or
    /// counted by another instance meanwhile is left as it is (the loop finds it
    /// again).
    pub async fn count_custom_history(
        &self,
        org: &Organization,
        id: i64,
        window: i64,
    ) -> Result<Option<StoredMetric>, StoreError> {
        let sql = format!("select {COLUMNS} from custom_metrics where id = $1");
        let row: Option<MetricRow> = sqlx::query_as(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(before) = row.map(stored).transpose()? else {
            return Ok(None);
        };
        let to = before.counted_from.min(before.counted_to + window.max(1));
        let credits = match &before.metric.rule {
            Rule::Events(rule) => {
                let events = self.logged_events(org, rule, before.counted_to, to).await?;
                let state = self.opportunities_of(&events).await?;
                let events: Vec<&Event> = events.iter().collect();
                Credits::of(org, &[(before.id, rule)], &events, &state)?
            }
            Rule::Records(_) => Credits::default(),
        };
        let mut w = self.begin_write().await?;
        let now: Option<(i64, i64, i64)> = sqlx::query_as(
            "select revision, counted_from, counted_to from custom_metrics where id = $1",
        )
        .bind(before.id)
        .fetch_optional(&mut *w.tx)
        .await?;
        // Ids are never reused, and a redefinition bumps the revision.
        if now != Some((before.revision, before.counted_from, before.counted_to)) {
            return Ok(Some(before));
        }
        credits.write(&mut w).await?;
        sqlx::query("update custom_metrics set counted_to = $1 where id = $2")
            .bind(to)
            .bind(before.id)
            .execute(&mut *w.tx)
            .await?;
        if to == before.counted_from {
            // The whole history is in: a new data version (naming no day of the
            // built-in figures) tells live pages showing the metric to fetch again.
            crate::ingest::next_version(&mut w, "").await?;
        }
        w.tx.commit().await?;
        Ok(Some(StoredMetric {
            counted_to: to,
            ..before
        }))
    }

    /// The events of the rule's types logged after `after`, up to `to`, in log order.
    /// The types are chosen here rather than in SQL: a window is a few thousand rows,
    /// and SQLite's `?` and `$n` do not mix in one statement.
    async fn logged_events(
        &self,
        org: &Organization,
        rule: &EventRule,
        after: i64,
        to: i64,
    ) -> Result<Vec<Event>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "select type, body from events where seq > $1 and seq <= $2 order by seq",
        )
        .bind(after)
        .bind(to)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .filter(|(kind, _)| rule.types.contains(kind.as_str()))
            .map(|(_, body)| {
                let value: Value = serde_json::from_str(&body)
                    .map_err(|e| StoreError::Corrupt(format!("a logged event: {e}")))?;
                Event::parse(&value, &org.currency)
                    .map_err(|e| StoreError::Corrupt(format!("a logged event: {e}")))
            })
            .collect()
    }

    /// The opportunities that these events name without their customer (an update or
    /// a change of status): what a distinct count of customers reads of the state.
    async fn opportunities_of(&self, events: &[Event]) -> Result<State, StoreError> {
        let ids: BTreeSet<&str> = events
            .iter()
            .filter_map(|e| match &e.kind {
                EventKind::OpportunityUpdated { opportunity_id, .. }
                | EventKind::OpportunityStatusChanged { opportunity_id, .. } => {
                    Some(opportunity_id.as_str())
                }
                _ => None,
            })
            .collect();
        let mut state = State::default();
        if ids.is_empty() {
            return Ok(state);
        }
        let sql = format!(
            "select id, state from entities where kind = 'opportunity' and {}",
            in_numbered_json_array(self.backend, "id", 1)
        );
        let ids = serde_json::to_string(&ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let rows: Vec<(String, String)> =
            sqlx::query_as(&sql).bind(ids).fetch_all(&self.pool).await?;
        for (id, json) in rows {
            let opportunity = serde_json::from_str(&json)
                .map_err(|e| StoreError::Corrupt(format!("state of entity '{id}': {e}")))?;
            state.opportunities.insert(id, opportunity);
        }
        Ok(state)
    }

    /// A custom metric's values over `range`, per credited person (user key) and day.
    pub async fn custom_days(
        &self,
        metric: &StoredMetric,
        range: DayRange,
    ) -> Result<CustomDays, StoreError> {
        let (from, to) = (i64::from(range.from.number()), i64::from(range.to.number()));
        let in_range = "metric_id = $1 and day between $2 and $3";
        let days = match &metric.metric.rule {
            Rule::Events(rule) if rule.aggregate.is_distinct() => {
                let sql =
                    format!("select user_key, day, entity from custom_marks where {in_range}");
                let rows: Vec<(i64, i64, String)> = self.rows_of(&sql, metric.id, from, to).await?;
                CustomDays::of_marks(
                    rows.into_iter()
                        .map(|(u, d, e)| Ok((u, day(d)?, e)))
                        .collect::<Result<Vec<_>, StoreError>>()?,
                )
            }
            Rule::Events(_) => {
                let sql = format!("select user_key, day, value from custom_sums where {in_range}");
                let rows: Vec<(i64, i64, i64)> = self.rows_of(&sql, metric.id, from, to).await?;
                CustomDays::of_sums(
                    rows.into_iter()
                        .map(|(u, d, v)| Ok((u, day(d)?, v)))
                        .collect::<Result<Vec<_>, StoreError>>()?,
                )
            }
            Rule::Records(rule) => {
                let sql = format!(
                    "select user_key, day, channel, {measure} from sales_rollups \
                     where day between $1 and $2 and {measure} <> 0",
                    measure = rule.measure.key()
                );
                let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(&sql)
                    .bind(from)
                    .bind(to)
                    .fetch_all(&self.pool)
                    .await?;
                let counted =
                    |channel: &str| rule.channels.is_empty() || rule.channels.contains(channel);
                let rows = rows
                    .into_iter()
                    .filter(|(_, _, channel, _)| counted(channel))
                    .map(|(u, d, _, v)| Ok((u, day(d)?, v)));
                CustomDays::of_sums(rows.collect::<Result<Vec<_>, StoreError>>()?)
            }
        };
        Ok(days)
    }

    /// The rows of one metric's table over a range of day numbers.
    async fn rows_of<R>(&self, sql: &str, id: i64, from: i64, to: i64) -> Result<Vec<R>, StoreError>
    where
        R: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow> + Send + Unpin,
    {
        let rows = sqlx::query_as(sql)
            .bind(id)
            .bind(from)
            .bind(to)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows)
    }
}

/// Drops every custom metric's values and starts counting each history again (after
/// `tally rebuild`, whose time zone may have moved the days).
pub(crate) async fn count_all_again(w: &mut WriteTx<'_>) -> Result<(), StoreError> {
    let last = last_logged(w).await?;
    for table in ["custom_sums", "custom_marks"] {
        sqlx::query(&format!("delete from {table}"))
            .execute(&mut *w.tx)
            .await?;
    }
    // A metric of records has no history to count.
    let stored: Vec<(i64, String)> = sqlx::query_as("select id, definition from custom_metrics")
        .fetch_all(&mut *w.tx)
        .await?;
    for (id, definition) in stored {
        let metric = parse(&definition)?;
        sqlx::query("update custom_metrics set counted_from = $1, counted_to = $2 where id = $3")
            .bind(last)
            .bind(history_done(&metric, last))
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
    }
    Ok(())
}

/// Counts newly accepted events for every metric of events, in the ingest's
/// transaction (`state`: the batch's entities, after it).
pub(crate) async fn count_new_events(
    w: &mut WriteTx<'_>,
    org: &Organization,
    events: &[(Event, String)],
    state: &State,
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let rows: Vec<(i64, String)> = sqlx::query_as("select id, definition from custom_metrics")
        .fetch_all(&mut *w.tx)
        .await?;
    let mut rules = Vec::with_capacity(rows.len());
    for (id, definition) in rows {
        if let Rule::Events(rule) = parse(&definition)?.rule {
            rules.push((id, rule));
        }
    }
    if rules.is_empty() {
        return Ok(());
    }
    let rules: Vec<(i64, &EventRule)> = rules.iter().map(|(id, rule)| (*id, rule)).collect();
    let accepted: Vec<&Event> = events.iter().map(|(e, _)| e).collect();
    Credits::of(org, &rules, &accepted, state)?.write(w).await
}

/// What some events credit to metrics of events, summed: by (metric id, day, user).
#[derive(Default)]
struct Credits {
    sums: HashMap<(i64, Day, String), i64>,
    marks: BTreeSet<(i64, Day, String, String)>,
}

impl Credits {
    fn of(
        org: &Organization,
        rules: &[(i64, &EventRule)],
        events: &[&Event],
        state: &State,
    ) -> Result<Credits, StoreError> {
        let mut credits = Credits::default();
        for event in events {
            for (id, rule) in rules {
                let credit = rule
                    .credit(event, &org.calendar, &org.currency, state)
                    .map_err(|e| StoreError::Corrupt(format!("event '{}': {e}", event.id)))?;
                match credit {
                    Some(Credit::Add { user, day, amount }) => {
                        let sum = credits.sums.entry((*id, day, user)).or_default();
                        *sum = sum.checked_add(amount).ok_or_else(too_large)?;
                    }
                    Some(Credit::Mark { user, day, entity }) => {
                        credits.marks.insert((*id, day, user, entity));
                    }
                    None => {}
                }
            }
        }
        Ok(credits)
    }

    /// Adds them to the stored values.
    async fn write(&self, w: &mut WriteTx<'_>) -> Result<(), StoreError> {
        let sum_users = self.sums.keys().map(|(_, _, user)| user.as_str());
        let mark_users = self.marks.iter().map(|(_, _, user, _)| user.as_str());
        let users: BTreeSet<&str> = sum_users.chain(mark_users).collect();
        let user_keys: HashMap<String, i64> = select_in(
            &mut w.conn(),
            "select id, key from users where",
            "id",
            &users,
        )
        .await?;
        write_sums(w, &self.sums, &user_keys).await?;
        write_marks(w, &self.marks, &user_keys).await
    }
}

async fn write_sums(
    w: &mut WriteTx<'_>,
    sums: &HashMap<(i64, Day, String), i64>,
    user_keys: &HashMap<String, i64>,
) -> Result<(), StoreError> {
    const INSERT: Insert = Insert {
        head: "insert into custom_sums (metric_id, day, user_key, value)",
        types: &["bigint"; 4],
        tail: "on conflict (metric_id, day, user_key) \
               do update set value = custom_sums.value + excluded.value",
    };
    let mut cells = Vec::with_capacity(sums.len() * INSERT.types.len());
    for ((id, day, user), value) in sums.iter().filter(|(_, v)| **v != 0) {
        cells.extend([
            Cell::Int(*id),
            Cell::Int(i64::from(day.number())),
            Cell::Int(key_of(user_keys, user)?),
            Cell::Int(*value),
        ]);
    }
    INSERT.run(w, &cells).await.map_err(|e| match e {
        e if crate::ingest::out_of_range(&e) => too_large(),
        e => e.into(),
    })
}

async fn write_marks(
    w: &mut WriteTx<'_>,
    marks: &BTreeSet<(i64, Day, String, String)>,
    user_keys: &HashMap<String, i64>,
) -> Result<(), StoreError> {
    const INSERT: Insert = Insert {
        head: "insert into custom_marks (metric_id, day, user_key, entity)",
        types: &["bigint", "bigint", "bigint", "text"],
        tail: "on conflict do nothing",
    };
    let mut cells = Vec::with_capacity(marks.len() * INSERT.types.len());
    for (id, day, user, entity) in marks {
        cells.extend([
            Cell::Int(*id),
            Cell::Int(i64::from(day.number())),
            Cell::Int(key_of(user_keys, user)?),
            Cell::Text(entity),
        ]);
    }
    Ok(INSERT.run(w, &cells).await?)
}

/// The last `seq` of the event log (0 when empty).
async fn last_logged(w: &mut WriteTx<'_>) -> Result<i64, StoreError> {
    let (last,): (i64,) = sqlx::query_as("select coalesce(max(seq), 0) from events")
        .fetch_one(&mut *w.tx)
        .await?;
    Ok(last)
}

/// Where a newly saved metric's history count starts: a metric of records has none.
fn history_done(metric: &CustomMetric, last: i64) -> i64 {
    match metric.rule {
        Rule::Events(_) => 0,
        Rule::Records(_) => last,
    }
}

/// The id and definition of the metric `key`, read in the write transaction.
async fn metric_in(w: &mut WriteTx<'_>, key: &str) -> Result<(i64, CustomMetric), StoreError> {
    let row: Option<(i64, String)> =
        sqlx::query_as("select id, definition from custom_metrics where key = $1")
            .bind(key)
            .fetch_optional(&mut *w.tx)
            .await?;
    let (id, definition) = row.ok_or_else(|| not_found(key))?;
    Ok((id, parse(&definition)?))
}

/// A conflict naming the first goal (by when it was created, archived ones included)
/// with a revision whose criteria name the metric `key`. Read under the write lock,
/// which goals are saved under too, so no goal naming the metric is saved between
/// this look and the change it guards.
async fn refuse_if_in_goals(w: &mut WriteTx<'_>, key: &str, what: &str) -> Result<(), StoreError> {
    // The `like` only narrows the revisions to parse; the JSON decides.
    let revisions: Vec<(String, String)> = sqlx::query_as(
        "select g.id, r.definition from goal_revisions r join goals g on g.key = r.goal_key \
         where r.definition like $1 order by g.key, r.revision",
    )
    .bind(format!("%{key}%"))
    .fetch_all(&mut *w.tx)
    .await?;
    match revisions.iter().find(|(_, d)| names_metric(d, key)) {
        Some((goal, _)) => Err(StoreError::Conflict(format!(
            "goal '{goal}' has '{key}' as a criterion, so {what}"
        ))),
        None => Ok(()),
    }
}

/// Whether a stored goal definition has a criterion of the metric `key`.
fn names_metric(definition: &str, key: &str) -> bool {
    let value: Value = serde_json::from_str(definition).unwrap_or_default();
    let criteria = value.get("criteria").and_then(Value::as_array);
    criteria
        .into_iter()
        .flatten()
        .any(|c| c.get("metric").and_then(Value::as_str) == Some(key))
}

/// Checks, in a goal's write transaction, that each custom metric its criteria name
/// still exists with the unit their targets were read in: a metric removed or given
/// another unit while the goal was being saved refuses the save.
pub(crate) async fn criteria_stand(
    w: &mut WriteTx<'_>,
    named: &[&CustomMetric],
) -> Result<(), StoreError> {
    if named.is_empty() {
        return Ok(());
    }
    let stored = custom_metrics_in(&mut w.tx).await?;
    for metric in named {
        let now = stored.iter().find(|s| s.metric.key == metric.key);
        match now {
            None => {
                return Err(StoreError::Conflict(format!(
                    "the metric '{}' was removed while the goal was being saved",
                    metric.key
                )));
            }
            Some(now) if now.metric.unit() != metric.unit() => {
                return Err(StoreError::Conflict(format!(
                    "the metric '{}' changed its unit while the goal was being saved; \
                     enter its target again",
                    metric.key
                )));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

async fn drop_values(w: &mut WriteTx<'_>, id: i64) -> Result<(), StoreError> {
    for table in ["custom_sums", "custom_marks"] {
        sqlx::query(&format!("delete from {table} where metric_id = $1"))
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
    }
    Ok(())
}

fn stored(
    (id, definition, revision, counted_from, counted_to): MetricRow,
) -> Result<StoredMetric, StoreError> {
    Ok(StoredMetric {
        id,
        metric: parse(&definition)?,
        revision,
        counted_from,
        counted_to,
    })
}

/// Every custom metric, by key, read on `conn`.
pub(crate) async fn custom_metrics_in(
    conn: &mut sqlx::AnyConnection,
) -> Result<Vec<StoredMetric>, StoreError> {
    let sql = format!("select {COLUMNS} from custom_metrics order by key");
    let rows: Vec<MetricRow> = sqlx::query_as(&sql).fetch_all(&mut *conn).await?;
    rows.into_iter().map(stored).collect()
}

fn parse(definition: &str) -> Result<CustomMetric, StoreError> {
    let value: Value = serde_json::from_str(definition)
        .map_err(|e| StoreError::Corrupt(format!("a custom metric: {e}")))?;
    CustomMetric::parse(&value, None)
        .map_err(|e| StoreError::Corrupt(format!("a custom metric: {e}")))
}

fn not_found(key: &str) -> StoreError {
    StoreError::NotFound(format!("no custom metric '{key}'"))
}

/// A custom metric's sum that would pass what a person's day keeps (64 bits): the
/// batch is refused whole, as for the revenue.
fn too_large() -> StoreError {
    StoreError::invalid(
        "amount",
        format!(
            "this batch would make a custom metric's sum for one person and day larger \
             than Tally counts exactly ({} in minor units); nothing in it was stored",
            i64::MAX
        ),
    )
}

/// A stored day number.
fn day(number: i64) -> Result<Day, StoreError> {
    i32::try_from(number)
        .map(Day::from_number)
        .map_err(|_| StoreError::Corrupt(format!("day number {number}")))
}
