//! Webhooks and their outbox. A notice's deliveries are queued in the transaction that
//! records it (`notices.rs`); a sender claims the due ones for a while, sends them, and
//! records the outcome: delivered, to be tried again at a later time, or given up. A
//! webhook's run of failed attempts pauses it; resuming sends what waited.

use crate::notices::{NOTICE_COLUMNS, NoticeRecord, notice_at};
use crate::{Store, StoreError};
use tally_core::notice::NoticeKind;

/// A registered webhook, never its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Webhook {
    pub key: i64,
    pub url: String,
    pub kinds: Vec<NoticeKind>,
    pub created_by: String,
    /// Unix milliseconds.
    pub created_at: i64,
    /// Failed attempts in a row.
    pub failures: i64,
    pub paused: bool,
}

/// One delivery of a notice to a webhook, as its log lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    pub key: i64,
    pub notice_key: i64,
    pub webhook_key: i64,
    /// `pending`, `delivered`, `failed` (given up) or `dropped` (its webhook removed).
    pub status: String,
    pub attempts: i64,
    /// Unix milliseconds: when it is (or was last) due.
    pub next_at: i64,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

/// A delivery claimed for sending: where, signed with what, and the notice.
#[derive(Clone, Debug)]
pub struct DueDelivery {
    pub delivery: Delivery,
    pub url: String,
    pub secret: String,
    pub notice: NoticeRecord,
}

const WEBHOOK_COLUMNS: &str = "key, url, kinds, created_by, created_at, failures, paused_at";
type WebhookRow = (i64, String, String, String, i64, i64, Option<i64>);

fn webhook_of(
    (key, url, kinds, created_by, created_at, failures, paused_at): WebhookRow,
) -> Webhook {
    Webhook {
        key,
        url,
        kinds: kinds
            .split(',')
            .filter_map(|k| k.parse::<NoticeKind>().ok())
            .collect(),
        created_by,
        created_at,
        failures,
        paused: paused_at.is_some(),
    }
}

const DELIVERY_COLUMNS: &str = "d.key, d.notice_key, d.webhook_key, d.status, d.attempts, \
     d.next_at, d.last_error, d.delivered_at";
type DeliveryRow = (i64, i64, i64, String, i64, i64, Option<String>, Option<i64>);

fn delivery_of(row: DeliveryRow) -> Delivery {
    let (key, notice_key, webhook_key, status, attempts, next_at, last_error, delivered_at) = row;
    Delivery {
        key,
        notice_key,
        webhook_key,
        status,
        attempts,
        next_at,
        last_error,
        delivered_at,
    }
}

/// The kinds as stored: between commas, so `like '%,pace,%'` finds one.
pub(crate) fn stored_kinds(kinds: &[NoticeKind]) -> String {
    let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    format!(",{},", names.join(","))
}

/// Records a failed attempt of an outbox row (`deliveries` or `email_deliveries`): due
/// again at `retry_at` (unix milliseconds), or given up if none.
pub(crate) async fn record_failure<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    outbox: &str,
    key: i64,
    error: &str,
    retry_at: Option<i64>,
) -> Result<(), StoreError> {
    let status = if retry_at.is_some() {
        "pending"
    } else {
        "failed"
    };
    let sql = format!(
        "update {outbox} set status = $1, attempts = attempts + 1, last_error = $2, \
         next_at = $3, claimed_until = null where key = $4"
    );
    sqlx::query(&sql)
        .bind(status)
        .bind(error)
        .bind(retry_at.unwrap_or_else(now_millis))
        .bind(key)
        .execute(executor)
        .await?;
    Ok(())
}

pub(crate) fn now_millis() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl Store {
    /// Registers a webhook for notices of `kinds`, signed with `secret`.
    pub async fn create_webhook(
        &self,
        url: &str,
        kinds: &[NoticeKind],
        secret: &str,
        created_by: &str,
    ) -> Result<Webhook, StoreError> {
        let sql = format!(
            "insert into webhooks (url, kinds, secret, created_by, created_at) \
             values ($1, $2, $3, $4, $5) returning {WEBHOOK_COLUMNS}"
        );
        let row: WebhookRow = sqlx::query_as(&sql)
            .bind(url)
            .bind(stored_kinds(kinds))
            .bind(secret)
            .bind(created_by)
            .bind(now_millis())
            .fetch_one(&self.pool)
            .await?;
        Ok(webhook_of(row))
    }

    /// Every webhook not removed, oldest first.
    pub async fn webhooks(&self) -> Result<Vec<Webhook>, StoreError> {
        let sql =
            format!("select {WEBHOOK_COLUMNS} from webhooks where removed_at is null order by key");
        let rows: Vec<WebhookRow> = sqlx::query_as(&sql).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(webhook_of).collect())
    }

    /// Pauses a webhook, or resumes it (its run of failures forgotten): what waited
    /// while it was paused goes out.
    pub async fn pause_webhook(&self, key: i64, paused: bool) -> Result<(), StoreError> {
        let sql = match paused {
            true => {
                "update webhooks set paused_at = coalesce(paused_at, $1) where key = $2 and removed_at is null"
            }
            false => {
                "update webhooks set paused_at = null, failures = 0 where key = $2 and removed_at is null and $1 = $1"
            }
        };
        let done = sqlx::query(sql)
            .bind(now_millis())
            .bind(key)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "webhook {key} does not exist"
            )));
        }
        Ok(())
    }

    /// Removes a webhook: nothing more is queued for it, and what waited is dropped.
    pub async fn remove_webhook(&self, key: i64) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        let done = sqlx::query(
            "update webhooks set removed_at = $1 where key = $2 and removed_at is null",
        )
        .bind(now_millis())
        .bind(key)
        .execute(&mut *w.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "webhook {key} does not exist"
            )));
        }
        sqlx::query("update deliveries set status = 'dropped' where webhook_key = $1 and status = 'pending'")
            .bind(key)
            .execute(&mut *w.tx)
            .await?;
        w.tx.commit().await?;
        Ok(())
    }

    /// A webhook's latest deliveries, newest first.
    pub async fn deliveries_of(
        &self,
        webhook: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>, StoreError> {
        let sql = format!(
            "select {DELIVERY_COLUMNS} from deliveries d where d.webhook_key = $1 \
             order by d.key desc limit $2"
        );
        let rows: Vec<DeliveryRow> = sqlx::query_as(&sql)
            .bind(webhook)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().map(delivery_of).collect())
    }

    /// Claims up to `limit` deliveries due now, of webhooks neither paused nor removed,
    /// for `lease_ms`: no other sender takes them meanwhile.
    pub async fn claim_due_deliveries(
        &self,
        limit: i64,
        lease_ms: i64,
    ) -> Result<Vec<DueDelivery>, StoreError> {
        let now = now_millis();
        if !self.any_due("deliveries", now).await? {
            return Ok(Vec::new());
        }
        let mut w = self.begin_write().await?;
        let keys: Vec<(i64,)> = sqlx::query_as(
            "select d.key from deliveries d join webhooks w on w.key = d.webhook_key \
             where d.status = 'pending' and d.next_at <= $1 \
             and (d.claimed_until is null or d.claimed_until < $1) \
             and w.paused_at is null and w.removed_at is null order by d.next_at, d.key limit $2",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *w.tx)
        .await?;
        let mut due = Vec::new();
        for (key,) in keys {
            sqlx::query("update deliveries set claimed_until = $1 where key = $2")
                .bind(now + lease_ms)
                .bind(key)
                .execute(&mut *w.tx)
                .await?;
            let sql = format!(
                "select {DELIVERY_COLUMNS}, w.url, w.secret, {NOTICE_COLUMNS} from deliveries d \
                 join webhooks w on w.key = d.webhook_key join notices n on n.key = d.notice_key \
                 where d.key = $1"
            );
            let row = sqlx::query(&sql).bind(key).fetch_one(&mut *w.tx).await?;
            due.push(due_of(&row)?);
        }
        w.tx.commit().await?;
        Ok(due)
    }

    /// Whether an outbox (`deliveries` or `email_deliveries`) holds a row due at `now`:
    /// a read, so that an idle sender takes no write lock.
    pub(crate) async fn any_due(&self, outbox: &str, now: i64) -> Result<bool, StoreError> {
        let sql = format!(
            "select key from {outbox} where status = 'pending' and next_at <= $1 \
             and (claimed_until is null or claimed_until < $1) limit 1"
        );
        let row: Option<(i64,)> = sqlx::query_as(&sql)
            .bind(now)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// A delivery went through: the webhook's run of failures ends.
    pub async fn delivery_succeeded(&self, key: i64) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "update deliveries set status = 'delivered', attempts = attempts + 1, \
             delivered_at = $1, claimed_until = null, last_error = null where key = $2",
        )
        .bind(now_millis())
        .bind(key)
        .execute(&mut *w.tx)
        .await?;
        sqlx::query(
            "update webhooks set failures = 0 where key = (select webhook_key from deliveries where key = $1)",
        )
        .bind(key)
        .execute(&mut *w.tx)
        .await?;
        w.tx.commit().await?;
        Ok(())
    }

    /// A delivery failed with `error`: tried again at `retry_at` (unix milliseconds),
    /// or given up if none. Its webhook pauses once `pause_after` attempts in a row
    /// failed; returns whether it paused now.
    pub async fn delivery_failed(
        &self,
        key: i64,
        error: &str,
        retry_at: Option<i64>,
        pause_after: i64,
    ) -> Result<bool, StoreError> {
        let mut w = self.begin_write().await?;
        record_failure(&mut *w.tx, "deliveries", key, error, retry_at).await?;
        let (webhook, failures): (i64, i64) = sqlx::query_as(
            "update webhooks set failures = failures + 1 \
             where key = (select webhook_key from deliveries where key = $1) \
             returning key, failures",
        )
        .bind(key)
        .fetch_one(&mut *w.tx)
        .await?;
        let paused = failures >= pause_after
            && sqlx::query(
                "update webhooks set paused_at = $1 where key = $2 and paused_at is null",
            )
            .bind(now_millis())
            .bind(webhook)
            .execute(&mut *w.tx)
            .await?
            .rows_affected()
                > 0;
        w.tx.commit().await?;
        Ok(paused)
    }
}

fn due_of(row: &sqlx::any::AnyRow) -> Result<DueDelivery, StoreError> {
    use sqlx::Row;
    let delivery = delivery_of((
        row.try_get(0)?,
        row.try_get(1)?,
        row.try_get(2)?,
        row.try_get(3)?,
        row.try_get(4)?,
        row.try_get(5)?,
        row.try_get(6)?,
        row.try_get(7)?,
    ));
    Ok(DueDelivery {
        delivery,
        url: row.try_get(8)?,
        secret: row.try_get(9)?,
        notice: notice_at(row, 10)?,
    })
}
