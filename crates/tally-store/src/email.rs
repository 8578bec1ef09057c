//! Notices by email: what each person chose, and the email outboxes. A notice's emails
//! are queued in the transaction that records it (`notices.rs`); a day's digests when
//! the organisation's digest time passes. A sender claims the due ones, sends them and
//! records the outcome, as for webhooks.

use crate::notices::{NOTICE_COLUMNS, NoticeRecord, notice_at};
use crate::webhooks::{now_millis, record_failure, stored_kinds};
use crate::{Store, StoreError};
use tally_core::Day;
use tally_core::notice::NoticeKind;

/// The daily digest, as kept among the kinds a person chose.
const DIGEST: &str = "digest";

/// What a person chose to receive by email.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EmailChoice {
    pub kinds: Vec<NoticeKind>,
    /// The daily digest of the day before, for the people and teams they see.
    pub digest: bool,
    /// `vi` or `en`.
    pub lang: String,
}

/// A daily digest claimed for sending: to whom, in which language, and its day.
#[derive(Clone, Debug)]
pub struct DueDigest {
    pub key: i64,
    pub attempts: i64,
    pub user_id: String,
    pub to_email: String,
    pub to_name: String,
    pub lang: String,
    pub day: Day,
}

/// How a claimed email of either outbox ended, other than by failing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailOutcome {
    /// Accepted by the SMTP server.
    Sent,
    /// Nothing to say (a digest with no figures): not sent.
    Empty,
    /// No longer news (a digest of a day long past, queued while no SMTP server was
    /// set): not sent.
    Stale,
}

/// An email claimed for sending: to whom, in which language, and the notice.
#[derive(Clone, Debug)]
pub struct DueEmail {
    pub key: i64,
    pub attempts: i64,
    pub to_email: String,
    pub to_name: String,
    pub lang: String,
    pub notice: NoticeRecord,
}

impl Store {
    /// What `user_id` chose to receive by email (nothing until they choose).
    pub async fn email_choice(&self, user_id: &str) -> Result<EmailChoice, StoreError> {
        let row: Option<(String, String)> = sqlx::query_as(
            "select c.kinds, c.lang from email_choices c join users u on u.key = c.user_key \
             where u.id = $1",
        )
        .bind(user_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(
            row.map_or_else(EmailChoice::default, |(kinds, lang)| EmailChoice {
                kinds: kinds.split(',').filter_map(|k| k.parse().ok()).collect(),
                digest: kinds.split(',').any(|k| k == DIGEST),
                lang,
            }),
        )
    }

    /// Sets what `user_id` receives by email.
    pub async fn set_email_choice(
        &self,
        user_id: &str,
        choice: &EmailChoice,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "insert into email_choices (user_key, kinds, lang) select key, $1, $2 from users \
             where id = $3 on conflict (user_key) do update set kinds = excluded.kinds, \
             lang = excluded.lang",
        )
        .bind(match choice.digest {
            true => format!("{}{DIGEST},", stored_kinds(&choice.kinds)),
            false => stored_kinds(&choice.kinds),
        })
        .bind(&choice.lang)
        .bind(user_id)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "user '{user_id}' does not exist"
            )));
        }
        Ok(())
    }

    /// Claims up to `limit` emails due now, for `lease_ms`.
    pub async fn claim_due_emails(
        &self,
        limit: i64,
        lease_ms: i64,
    ) -> Result<Vec<DueEmail>, StoreError> {
        let now = now_millis();
        if !self.any_due("email_deliveries", now).await? {
            return Ok(Vec::new());
        }
        let mut w = self.begin_write().await?;
        let keys = claim(&mut w, "email_deliveries", now, limit, lease_ms).await?;
        let mut due = Vec::new();
        for key in keys {
            let sql = format!(
                "select e.attempts, u.email, u.name, coalesce(c.lang, 'vi'), {NOTICE_COLUMNS} \
                 from email_deliveries e join users u on u.key = e.user_key \
                 left join email_choices c on c.user_key = e.user_key \
                 join notices n on n.key = e.notice_key where e.key = $1"
            );
            type Row = (i64, Option<String>, String, String);
            let row = sqlx::query(&sql).bind(key).fetch_one(&mut *w.tx).await?;
            use sqlx::Row as _;
            let (attempts, email, name, lang): Row = (
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
            );
            due.push(DueEmail {
                key,
                attempts,
                to_email: email.unwrap_or_default(),
                to_name: name,
                lang,
                notice: notice_at(&row, 4)?,
            });
        }
        w.tx.commit().await?;
        Ok(due)
    }

    /// An email was accepted by the SMTP server.
    pub async fn email_sent(&self, key: i64) -> Result<(), StoreError> {
        finish(&self.pool, "email_deliveries", key, MailOutcome::Sent).await
    }

    /// An email failed with `error`: tried again at `retry_at`, or given up if none.
    pub async fn email_failed(
        &self,
        key: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<(), StoreError> {
        record_failure(&self.pool, "email_deliveries", key, error, retry_at).await
    }

    /// Queues the digest of `day` for each active person with an address who chose
    /// it, unless already queued; returns how many were queued.
    pub async fn queue_digests(&self, day: Day) -> Result<u64, StoreError> {
        // Asked every round: a read finds whether anyone waits before a write is begun.
        const WAITING: &str = "from users u join email_choices c on c.user_key = u.key \
             where u.active = 1 and u.email is not null and u.email <> '' and c.kinds like $2 \
             and not exists (select 1 from email_digests d where d.user_key = u.key \
             and d.day = $1)";
        let day = i64::from(day.number());
        let digest = format!("%,{DIGEST},%");
        let waiting: Option<(i64,)> = sqlx::query_as(&format!("select u.key {WAITING} limit 1"))
            .bind(day)
            .bind(&digest)
            .fetch_optional(&self.pool)
            .await?;
        if waiting.is_none() {
            return Ok(0);
        }
        let mut w = self.begin_write().await?;
        let done = sqlx::query(&format!(
            "insert into email_digests (user_key, day, status, next_at, created_at) \
             select u.key, $1, 'pending', $3, $3 {WAITING} on conflict (user_key, day) do nothing"
        ))
        .bind(day)
        .bind(&digest)
        .bind(now_millis())
        .execute(&mut *w.tx)
        .await?;
        w.tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Claims up to `limit` digests due now, for `lease_ms`.
    pub async fn claim_due_digests(
        &self,
        limit: i64,
        lease_ms: i64,
    ) -> Result<Vec<DueDigest>, StoreError> {
        let now = now_millis();
        if !self.any_due("email_digests", now).await? {
            return Ok(Vec::new());
        }
        let mut w = self.begin_write().await?;
        let keys = claim(&mut w, "email_digests", now, limit, lease_ms).await?;
        let mut due = Vec::new();
        for key in keys {
            type Row = (i64, i64, String, Option<String>, String, String);
            let (attempts, day, user_id, email, name, lang): Row = sqlx::query_as(
                "select d.attempts, d.day, u.id, u.email, u.name, coalesce(c.lang, 'vi') \
                 from email_digests d join users u on u.key = d.user_key \
                 left join email_choices c on c.user_key = d.user_key where d.key = $1",
            )
            .bind(key)
            .fetch_one(&mut *w.tx)
            .await?;
            due.push(DueDigest {
                key,
                attempts,
                user_id,
                to_email: email.unwrap_or_default(),
                to_name: name,
                lang,
                day: Day::from_number(i32::try_from(day).unwrap_or_default()),
            });
        }
        w.tx.commit().await?;
        Ok(due)
    }

    /// A digest was sent, or not (empty, or stale).
    pub async fn digest_done(&self, key: i64, how: MailOutcome) -> Result<(), StoreError> {
        finish(&self.pool, "email_digests", key, how).await
    }

    /// A digest failed with `error`: tried again at `retry_at`, or given up if none.
    pub async fn digest_failed(
        &self,
        key: i64,
        error: &str,
        retry_at: Option<i64>,
    ) -> Result<(), StoreError> {
        record_failure(&self.pool, "email_digests", key, error, retry_at).await
    }

    /// Queues the email of a notice to `user_id`, if they chose its kind and have an
    /// address.
    pub(crate) async fn queue_email(
        w: &mut crate::WriteTx<'_>,
        notice_key: i64,
        kind: NoticeKind,
        user_id: &str,
    ) -> Result<(), StoreError> {
        let now = now_millis();
        sqlx::query(
            "insert into email_deliveries (notice_key, user_key, status, next_at, created_at) \
             select $1, u.key, 'pending', $2, $2 from users u \
             join email_choices c on c.user_key = u.key \
             where u.id = $3 and u.email is not null and u.email <> '' and u.active = 1 \
             and c.kinds like $4",
        )
        .bind(notice_key)
        .bind(now)
        .bind(user_id)
        .bind(format!("%,{},%", kind.as_str()))
        .execute(&mut *w.tx)
        .await?;
        Ok(())
    }
}

/// Claims the keys of up to `limit` rows of an email outbox due at `now`, for
/// `lease_ms`.
async fn claim(
    w: &mut crate::WriteTx<'_>,
    outbox: &str,
    now: i64,
    limit: i64,
    lease_ms: i64,
) -> Result<Vec<i64>, StoreError> {
    let sql = format!(
        "select key from {outbox} where status = 'pending' and next_at <= $1 \
         and (claimed_until is null or claimed_until < $1) order by next_at, key limit $2"
    );
    let keys: Vec<(i64,)> = sqlx::query_as(&sql)
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *w.tx)
        .await?;
    let update = format!("update {outbox} set claimed_until = $1 where key = $2");
    for (key,) in &keys {
        sqlx::query(&update)
            .bind(now + lease_ms)
            .bind(key)
            .execute(&mut *w.tx)
            .await?;
    }
    Ok(keys.into_iter().map(|(key,)| key).collect())
}

/// Records the end of a claimed row of an email outbox.
async fn finish(
    pool: &sqlx::AnyPool,
    outbox: &str,
    key: i64,
    how: MailOutcome,
) -> Result<(), StoreError> {
    let status = match how {
        MailOutcome::Sent => "sent",
        MailOutcome::Empty => "empty",
        MailOutcome::Stale => "stale",
    };
    let sql = format!(
        "update {outbox} set status = $1, attempts = attempts + 1, sent_at = $2, \
         claimed_until = null, last_error = null where key = $3"
    );
    sqlx::query(&sql)
        .bind(status)
        .bind(now_millis())
        .bind(key)
        .execute(pool)
        .await?;
    Ok(())
}
