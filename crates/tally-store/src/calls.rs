//! Phone extensions of users, and the call records received from the PBX with what
//! became of each (counted, internal, kept aside as unmapped, rejected).

use crate::rows::{Cell, Insert};
use crate::{Store, StoreError};
use sqlx::Row;
use std::collections::HashMap;

/// A call record as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRow {
    pub source: String,
    pub uid: String,
    /// `counted`, `internal`, `unmapped` or `rejected`.
    pub status: String,
    pub reason: Option<String>,
    /// The parsed record's JSON (see `tally_sources::CallRecord::to_json`).
    pub record: String,
    pub event_id: Option<String>,
    /// Microseconds since the epoch.
    pub received_at: i64,
}

impl Store {
    /// Extension → user id, for every active user: their `extension` and their others.
    pub async fn extension_directory(&self) -> Result<HashMap<String, String>, StoreError> {
        let mut map = HashMap::new();
        let main: Vec<(String, String)> = sqlx::query_as(
            "select extension, id from users where extension is not null and active = 1",
        )
        .fetch_all(&self.pool)
        .await?;
        let more: Vec<(String, String)> = sqlx::query_as(
            "select e.extension, u.id from extensions e join users u on u.key = e.user_key \
             where u.active = 1",
        )
        .fetch_all(&self.pool)
        .await?;
        map.extend(main);
        map.extend(more);
        Ok(map)
    }

    /// A user's extensions besides their main one, ordered.
    pub async fn more_extensions(&self, user_key: i64) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "select extension from extensions where user_key = $1 order by extension",
        )
        .bind(user_key)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Replaces a user's extensions besides their main one. An extension another user
    /// has (main or not) is a conflict.
    pub async fn set_more_extensions(
        &self,
        user_key: i64,
        extensions: &[String],
    ) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        sqlx::query("delete from extensions where user_key = $1")
            .bind(user_key)
            .execute(&mut *w.tx)
            .await?;
        for extension in extensions {
            insert_extension(&mut w, user_key, extension).await?;
        }
        crate::bump_org_version(&mut w.tx).await?;
        w.tx.commit().await?;
        Ok(())
    }

    /// Gives one more extension to a user, in one transaction with the check that no
    /// one else has it (409 if someone does); one they have already is left as it is.
    pub async fn add_more_extension(
        &self,
        user_key: i64,
        extension: &str,
    ) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        let theirs: Option<(String,)> = sqlx::query_as(
            "select extension from users where key = $1 and extension = $2 \
             union select extension from extensions where user_key = $3 and extension = $4",
        )
        .bind(user_key)
        .bind(extension)
        .bind(user_key)
        .bind(extension)
        .fetch_optional(&mut *w.tx)
        .await?;
        if theirs.is_none() {
            insert_extension(&mut w, user_key, extension).await?;
            crate::bump_org_version(&mut w.tx).await?;
        }
        w.tx.commit().await?;
        Ok(())
    }

    /// The users who have this extension, as their main one or another.
    pub async fn extension_holders(&self, extension: &str) -> Result<Vec<String>, StoreError> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "select id from users where extension = $1 \
             union select u.id from extensions e join users u on u.key = e.user_key \
             where e.extension = $2",
        )
        .bind(extension)
        .bind(extension)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    /// Every user's extensions besides their main one, by user key.
    pub async fn all_more_extensions(&self) -> Result<HashMap<i64, Vec<String>>, StoreError> {
        extensions_in(&mut *self.pool.acquire().await?).await
    }

    /// The stored status of these records of a source, by unique id.
    pub async fn call_statuses(
        &self,
        source: &str,
        uids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        let sql = format!(
            "select uid, status from call_records where source = {} and {}",
            crate::sql::params(self.backend, 1, 1),
            crate::sql::in_json_array(self.backend, "uid", 2)
        );
        let mut statuses = HashMap::new();
        for chunk in uids.chunks(5_000) {
            let list =
                serde_json::to_string(chunk).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let rows: Vec<(String, String)> = sqlx::query_as(&sql)
                .bind(source)
                .bind(list)
                .fetch_all(&self.pool)
                .await?;
            statuses.extend(rows);
        }
        Ok(statuses)
    }

    /// Records what became of call records. A record already counted, internal or
    /// rejected stays as it is; a kept-aside one takes its new status.
    pub async fn record_calls(&self, rows: &[CallRow]) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        const INSERT: Insert = Insert {
            head: "insert into call_records (source, uid, status, reason, record, event_id, received_at)",
            types: &["text", "text", "text", "text", "text", "text", "bigint"],
            tail: "on conflict (source, uid) do update set status = excluded.status, \
                   reason = excluded.reason, event_id = excluded.event_id \
                   where call_records.status = 'unmapped'",
        };
        let mut cells = Vec::with_capacity(rows.len() * INSERT.types.len());
        for row in rows {
            cells.extend([
                Cell::Text(&row.source),
                Cell::Text(&row.uid),
                Cell::Text(&row.status),
                Cell::text_or_null(row.reason.as_deref()),
                Cell::Text(&row.record),
                Cell::text_or_null(row.event_id.as_deref()),
                Cell::Int(row.received_at),
            ]);
        }
        INSERT.run(&mut w, &cells).await?;
        crate::bump_org_version(&mut w.tx).await?;
        w.tx.commit().await?;
        Ok(())
    }

    /// The records with a status, oldest first (at most `limit`).
    pub async fn calls_with_status(
        &self,
        status: &str,
        limit: i64,
    ) -> Result<Vec<CallRow>, StoreError> {
        let rows = sqlx::query(
            "select source, uid, status, reason, record, event_id, received_at from call_records \
             where status = $1 order by received_at, source, uid limit $2",
        )
        .bind(status)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CallRow {
                    source: row.try_get("source")?,
                    uid: row.try_get("uid")?,
                    status: row.try_get("status")?,
                    reason: row.try_get("reason")?,
                    record: row.try_get("record")?,
                    event_id: row.try_get("event_id")?,
                    received_at: row.try_get("received_at")?,
                })
            })
            .collect()
    }
}

/// Every user's extensions besides their main one, by user key, ordered.
pub(crate) async fn extensions_in(
    conn: &mut sqlx::AnyConnection,
) -> Result<HashMap<i64, Vec<String>>, StoreError> {
    let rows: Vec<(i64, String)> =
        sqlx::query_as("select user_key, extension from extensions order by extension")
            .fetch_all(&mut *conn)
            .await?;
    let mut map: HashMap<i64, Vec<String>> = HashMap::new();
    for (user, extension) in rows {
        map.entry(user).or_default().push(extension);
    }
    Ok(map)
}

/// Adds an extension of a user, refused (409) if another user has it.
async fn insert_extension(
    w: &mut crate::WriteTx<'_>,
    user_key: i64,
    extension: &str,
) -> Result<(), StoreError> {
    let taken: Option<(String,)> = sqlx::query_as(
        "select id from users where extension = $1 and key <> $2 \
         union select u.id from extensions e join users u on u.key = e.user_key \
         where e.extension = $3",
    )
    .bind(extension)
    .bind(user_key)
    .bind(extension)
    .fetch_optional(&mut *w.tx)
    .await?;
    if let Some((owner,)) = taken {
        return Err(StoreError::Conflict(format!(
            "extension {extension} already belongs to user '{owner}'"
        )));
    }
    sqlx::query("insert into extensions (extension, user_key) values ($1, $2)")
        .bind(extension)
        .bind(user_key)
        .execute(&mut *w.tx)
        .await
        .map_err(|e| {
            StoreError::conflict_on_unique(e, format!("extension {extension} is listed twice"))
        })?;
    Ok(())
}
