//! TV links: the screens that show the wallboard without a sign-in. Like API tokens,
//! a link's secret never reaches this module, only its SHA-256.

use crate::sql::now_seconds;
use crate::{Store, StoreError};

/// A TV link as listed to an admin, and as found from its secret's hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Screen {
    pub key: i64,
    pub name: String,
    /// The language it shows: `vi` or `en`.
    pub lang: String,
    /// Who made it, as recorded in histories (`user:lan`).
    pub created_by: String,
    /// Unix seconds.
    pub created_at: i64,
    pub revoked: bool,
}

/// key, name, lang, created by, created at, revoked at.
type ScreenRow = (i64, String, String, String, i64, Option<i64>);

const SCREEN_COLUMNS: &str = "key, name, lang, created_by, created_at, revoked_at";

fn screen_of((key, name, lang, created_by, created_at, revoked_at): ScreenRow) -> Screen {
    Screen {
        key,
        name,
        lang,
        created_by,
        created_at,
        revoked: revoked_at.is_some(),
    }
}

impl Store {
    /// Records a new TV link by its secret's hash.
    pub async fn create_screen(
        &self,
        name: &str,
        lang: &str,
        secret_hash: &str,
        created_by: &str,
    ) -> Result<Screen, StoreError> {
        let sql = format!(
            "insert into screens (name, lang, secret_hash, created_by, created_at) \
             values ($1, $2, $3, $4, $5) returning {SCREEN_COLUMNS}"
        );
        let row: ScreenRow = sqlx::query_as(&sql)
            .bind(name)
            .bind(lang)
            .bind(secret_hash)
            .bind(created_by)
            .bind(now_seconds())
            .fetch_one(&self.pool)
            .await?;
        Ok(screen_of(row))
    }

    /// Every TV link, newest first.
    pub async fn screens(&self) -> Result<Vec<Screen>, StoreError> {
        let sql = format!("select {SCREEN_COLUMNS} from screens order by key desc");
        let rows: Vec<ScreenRow> = sqlx::query_as(&sql).fetch_all(&self.pool).await?;
        Ok(rows.into_iter().map(screen_of).collect())
    }

    /// The TV link of a secret's hash, unless it is revoked.
    pub async fn screen_by_hash(&self, secret_hash: &str) -> Result<Option<Screen>, StoreError> {
        let sql = format!(
            "select {SCREEN_COLUMNS} from screens where secret_hash = $1 and revoked_at is null"
        );
        let row: Option<ScreenRow> = sqlx::query_as(&sql)
            .bind(secret_hash)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(screen_of))
    }

    /// Revokes a TV link: the screen shows nothing from its next request on.
    /// Revoking twice is harmless.
    pub async fn revoke_screen(&self, key: i64) -> Result<(), StoreError> {
        let done =
            sqlx::query("update screens set revoked_at = coalesce(revoked_at, $1) where key = $2")
                .bind(now_seconds())
                .bind(key)
                .execute(&self.pool)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!(
                "TV link {key} does not exist"
            )));
        }
        Ok(())
    }
}
