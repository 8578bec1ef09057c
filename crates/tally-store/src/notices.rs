//! Notices and each person's inbox of them. A notice is recorded once per key (the
//! table's unique key), with its recipients' inbox rows in the same transaction, so a
//! notice is told once across restarts and instances, and none is half-recorded.

use crate::{Store, StoreError};
use rust_decimal::Decimal;
use sqlx::Row;
use sqlx::any::AnyRow;
use tally_core::notice::{Notice, NoticeKey, NoticeKind};
use tally_core::views::Subject;
use tally_core::{Day, DayRange};

/// A recorded notice, as read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeRecord {
    pub key: i64,
    pub notice: Notice,
    /// Unix microseconds.
    pub created_at: i64,
}

/// A notice in a person's inbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboxItem {
    pub record: NoticeRecord,
    pub read: bool,
}

/// A frozen period result, with its goal's id: what a period-result notice tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClosedResult {
    pub goal_id: String,
    pub result: crate::GoalResult,
}

pub(crate) const NOTICE_COLUMNS: &str = "n.key, n.kind, n.goal_id, n.metric, n.period_from, n.period_to, \
     n.subject_kind, n.subject_id, n.mark, n.actual, n.target, n.created_at";

/// key, kind, goal, metric, period from, to, subject kind, id, mark, actual, target, at.
type NoticeRow = (
    i64,
    String,
    String,
    String,
    i64,
    i64,
    String,
    String,
    String,
    String,
    String,
    i64,
);

/// The notice whose columns ([`NOTICE_COLUMNS`]) start at column `first` of `row`.
pub(crate) fn notice_at(row: &AnyRow, first: usize) -> Result<NoticeRecord, StoreError> {
    let notice: NoticeRow = (
        row.try_get(first)?,
        row.try_get(first + 1)?,
        row.try_get(first + 2)?,
        row.try_get(first + 3)?,
        row.try_get(first + 4)?,
        row.try_get(first + 5)?,
        row.try_get(first + 6)?,
        row.try_get(first + 7)?,
        row.try_get(first + 8)?,
        row.try_get(first + 9)?,
        row.try_get(first + 10)?,
        row.try_get(first + 11)?,
    );
    record_of(notice)
}

fn subject_parts(subject: &Subject) -> (&'static str, &str) {
    match subject {
        Subject::User(id) => ("user", id),
        Subject::Team(id) => ("team", id),
    }
}

fn day_of(number: i64, column: &str) -> Result<Day, StoreError> {
    i32::try_from(number)
        .map(Day::from_number)
        .map_err(|_| StoreError::Corrupt(format!("notices.{column}: {number}")))
}

fn record_of(row: NoticeRow) -> Result<NoticeRecord, StoreError> {
    let (key, kind, goal_id, metric, from, to, subject_kind, subject_id, mark, actual, target, at) =
        row;
    let corrupt = |what: &str, e: String| StoreError::Corrupt(format!("notices.{what}: {e}"));
    let decimal = |what: &str, text: &str| {
        text.parse::<Decimal>()
            .map_err(|e| corrupt(what, e.to_string()))
    };
    let period = DayRange::new(day_of(from, "period_from")?, day_of(to, "period_to")?)
        .ok_or_else(|| corrupt("period", format!("{from}..{to}")))?;
    let subject = match subject_kind.as_str() {
        "team" => Subject::Team(subject_id),
        _ => Subject::User(subject_id),
    };
    let metric = (!metric.is_empty()).then_some(metric);
    Ok(NoticeRecord {
        key,
        notice: Notice {
            key: tally_core::notice::NoticeKey {
                kind: kind.parse::<NoticeKind>().map_err(|e| corrupt("kind", e))?,
                goal_id,
                metric,
                period,
                subject,
                mark,
            },
            actual: decimal("actual", &actual)?,
            target: decimal("target", &target)?,
        },
        created_at: at,
    })
}

/// Notices recorded in one transaction: each costs a few statements a recipient, and
/// the write lock they hold keeps ingest waiting (every instance's, on PostgreSQL), so
/// a round that records hundreds lets events in between every few.
const NOTICES_A_TRANSACTION: usize = 8;

impl Store {
    /// Records the notices not recorded yet, each with an unread copy for its
    /// recipients (user ids; unknown ones are skipped) and its outbox rows, a few
    /// notices a transaction; a notice with no recipient is recorded quiet. Returns the
    /// notices recorded now (not those another instance or an earlier round had).
    pub async fn record_notices(
        &self,
        notices: &[(Notice, Vec<String>)],
    ) -> Result<Vec<NoticeRecord>, StoreError> {
        let mut recorded = Vec::new();
        for some in notices.chunks(NOTICES_A_TRANSACTION) {
            recorded.extend(self.record_some_notices(some).await?);
        }
        Ok(recorded)
    }

    /// [`Store::record_notices`] of a few, in one transaction.
    async fn record_some_notices(
        &self,
        notices: &[(Notice, Vec<String>)],
    ) -> Result<Vec<NoticeRecord>, StoreError> {
        if notices.is_empty() {
            return Ok(Vec::new());
        }
        let now = jiff::Timestamp::now().as_microsecond();
        let mut w = self.begin_write().await?;
        let mut recorded = Vec::new();
        for (notice, recipients) in notices {
            let key = &notice.key;
            let (subject_kind, subject_id) = subject_parts(&key.subject);
            let inserted: Option<(i64,)> = sqlx::query_as(
                "insert into notices (kind, goal_id, metric, period_from, period_to, \
                 subject_kind, subject_id, mark, actual, target, quiet, created_at) \
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 on conflict (kind, goal_id, metric, period_from, period_to, subject_kind, \
                 subject_id, mark) do nothing returning key",
            )
            .bind(key.kind.as_str())
            .bind(&key.goal_id)
            .bind(key.metric.as_deref().unwrap_or_default())
            .bind(i64::from(key.period.from.number()))
            .bind(i64::from(key.period.to.number()))
            .bind(subject_kind)
            .bind(subject_id)
            .bind(&key.mark)
            .bind(notice.actual.normalize().to_string())
            .bind(notice.target.normalize().to_string())
            .bind(i64::from(recipients.is_empty()))
            .bind(now)
            .fetch_optional(&mut *w.tx)
            .await?;
            let Some((notice_key,)) = inserted else {
                continue;
            };
            if !recipients.is_empty() {
                self.queue_deliveries(&mut w, notice_key, key.kind).await?;
            }
            for user in recipients {
                sqlx::query(
                    "insert into notice_inbox (user_key, notice_key) \
                     select key, $1 from users where id = $2",
                )
                .bind(notice_key)
                .bind(user)
                .execute(&mut *w.tx)
                .await?;
                Self::queue_email(&mut w, notice_key, key.kind, user).await?;
            }
            recorded.push(NoticeRecord {
                key: notice_key,
                notice: notice.clone(),
                created_at: now,
            });
        }
        w.tx.commit().await?;
        Ok(recorded)
    }

    /// Queues a notice told to someone for each webhook that wants its kind.
    async fn queue_deliveries(
        &self,
        w: &mut crate::WriteTx<'_>,
        notice_key: i64,
        kind: NoticeKind,
    ) -> Result<(), StoreError> {
        let now = jiff::Timestamp::now().as_millisecond();
        sqlx::query(
            "insert into deliveries (notice_key, webhook_key, status, next_at, created_at) \
             select $1, key, 'pending', $2, $2 from webhooks \
             where removed_at is null and kinds like $3",
        )
        .bind(notice_key)
        .bind(now)
        .bind(format!("%,{},%", kind.as_str()))
        .execute(&mut *w.tx)
        .await?;
        Ok(())
    }

    /// The keys of the notices about periods that end on `oldest` or later: what a
    /// finder that starts (a restart, another instance) knows is told already, so that
    /// its first round writes only what is new instead of every key again under the
    /// write lock.
    pub async fn notice_keys_since(&self, oldest: Day) -> Result<Vec<NoticeKey>, StoreError> {
        let sql = format!("select {NOTICE_COLUMNS} from notices n where n.period_to >= $1");
        let rows = sqlx::query(&sql)
            .bind(i64::from(oldest.number()))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| notice_at(row, 0).map(|record| record.notice.key))
            .collect()
    }

    /// A person's latest notices, newest first, at most `limit`.
    pub async fn inbox(&self, user_id: &str, limit: i64) -> Result<Vec<InboxItem>, StoreError> {
        let sql = format!(
            "select {NOTICE_COLUMNS}, i.read_at from notice_inbox i \
             join notices n on n.key = i.notice_key join users u on u.key = i.user_key \
             where u.id = $1 order by n.key desc limit $2"
        );
        let rows = sqlx::query(&sql)
            .bind(user_id)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let read_at: Option<i64> = row.try_get(12)?;
                Ok(InboxItem {
                    record: notice_at(row, 0)?,
                    read: read_at.is_some(),
                })
            })
            .collect()
    }

    /// How many of a person's notices are unread.
    pub async fn unread_notices(&self, user_id: &str) -> Result<i64, StoreError> {
        let (count,): (i64,) = sqlx::query_as(
            "select cast(count(*) as bigint) from notice_inbox i join users u on u.key = i.user_key \
             where u.id = $1 and i.read_at is null",
        )
        .bind(user_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(count)
    }

    /// Marks all of a person's notices read.
    pub async fn read_notices(&self, user_id: &str) -> Result<(), StoreError> {
        sqlx::query(
            "update notice_inbox set read_at = $1 where read_at is null \
             and user_key = (select key from users where id = $2)",
        )
        .bind(jiff::Timestamp::now().as_microsecond())
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every notice recorded since `after` (a notice key), oldest first, at most
    /// `limit`: what is to be delivered beyond the app.
    pub async fn notices_after(
        &self,
        after: i64,
        limit: i64,
    ) -> Result<Vec<NoticeRecord>, StoreError> {
        let sql = format!(
            "select {NOTICE_COLUMNS} from notices n where n.key > $1 order by n.key limit $2"
        );
        let rows: Vec<NoticeRow> = sqlx::query_as(&sql)
            .bind(after)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.into_iter().map(record_of).collect()
    }

    /// When the latest period result was frozen (unix microseconds), if any.
    pub async fn newest_result_closed_at(&self) -> Result<Option<i64>, StoreError> {
        let row: (Option<i64>,) = sqlx::query_as("select max(closed_at) from goal_results")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.0)
    }

    /// The period results frozen after `closed_after` (unix microseconds) of periods
    /// that ended on `ended_since` or later, with their goals' ids, oldest first.
    pub async fn results_closed_after(
        &self,
        closed_after: i64,
        ended_since: Day,
    ) -> Result<Vec<ClosedResult>, StoreError> {
        type Row = (
            String,
            String,
            i64,
            i64,
            String,
            String,
            i64,
            String,
            String,
            i64,
            i64,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "select g.id, r.metric, r.period_from, r.period_to, r.subject_kind, r.subject_id, \
             r.revision, r.target, cast(r.actual as text), r.achieved, r.closed_at \
             from goal_results r join goals g on g.key = r.goal_key \
             where r.closed_at > $1 and r.period_to >= $2 order by r.closed_at",
        )
        .bind(closed_after)
        .bind(i64::from(ended_since.number()))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(
                |(goal_id, metric, from, to, kind, id, revision, target, actual, achieved, at)| {
                    let period =
                        DayRange::new(day_of(from, "period_from")?, day_of(to, "period_to")?)
                            .ok_or_else(|| {
                                StoreError::Corrupt(format!("goal_results period {from}..{to}"))
                            })?;
                    let actual = actual
                        .parse::<i128>()
                        .map_err(|e| StoreError::Corrupt(format!("goal_results.actual: {e}")))?;
                    Ok(ClosedResult {
                        goal_id,
                        result: crate::GoalResult {
                            metric,
                            period,
                            subject_kind: kind,
                            subject_id: id,
                            revision,
                            target,
                            actual,
                            achieved: achieved != 0,
                            closed_at: at,
                            metric_definition: None,
                        },
                    })
                },
            )
            .collect()
    }
}
