//! Sign-in: users' password hashes, browser sessions, and the listing and revoking of
//! API tokens. Secrets never reach this module: the server hashes passwords with
//! argon2 and session cookies and tokens with SHA-256 before storing them.

use crate::people::{USER_COLUMNS, user_of};
use crate::sql::now_seconds;
use crate::{Store, StoreError, User};
use sqlx::Row;
use tally_core::Role;

/// An API token as listed to an admin: never its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenListing {
    pub key: i64,
    pub name: String,
    pub role: Role,
    pub user_id: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    pub revoked: bool,
}

/// key, name, role, user id, created at, revoked at.
type TokenRow = (i64, String, String, Option<String>, i64, Option<i64>);

impl Store {
    /// Sets (or replaces) a user's password hash and ends their sessions, together.
    pub async fn set_password_hash(&self, user_id: &str, hash: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let key: Option<(i64,)> =
            sqlx::query_as("update users set password_hash = $1 where id = $2 returning key")
                .bind(hash)
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?;
        let (key,) =
            key.ok_or_else(|| StoreError::NotFound(format!("user '{user_id}' does not exist")))?;
        sqlx::query("delete from sessions where user_key = $1")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How many active users can sign in (none on a fresh install).
    pub async fn count_users_who_sign_in(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as(
            "select count(*) from users where active = 1 and password_hash is not null",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    /// The active user with this email and their password hash. Emails are stored in
    /// lower case (the API lowers them), so the lookup lowers its argument and uses the
    /// unique index.
    pub async fn sign_in_of(&self, email: &str) -> Result<Option<(User, String)>, StoreError> {
        let sql = format!(
            "select {USER_COLUMNS}, password_hash from users \
             where email = $1 and active = 1 and password_hash is not null"
        );
        let row = sqlx::query(&sql)
            .bind(email.to_lowercase())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((user_of(&row)?, row.try_get("password_hash")?)))
            .transpose()
    }

    /// Starts a session for a user whose password hash is still `checked_hash` and who
    /// is still active (a reset or a deactivation that committed while the password
    /// was being checked wins); also forgets the expired sessions. Whether it started.
    pub async fn create_session(
        &self,
        id_hash: &str,
        user_key: i64,
        checked_hash: &str,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let now = now_seconds();
        sqlx::query("delete from sessions where expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        let done = sqlx::query(
            "insert into sessions (id_hash, user_key, created_at, expires_at) \
             select $1, key, $3, $4 from users \
             where key = $2 and password_hash = $5 and active = 1",
        )
        .bind(id_hash)
        .bind(user_key)
        .bind(now)
        .bind(expires_at)
        .bind(checked_hash)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The active user of an unexpired session, and when it expires.
    pub async fn session_user(&self, id_hash: &str) -> Result<Option<(User, i64)>, StoreError> {
        let columns = USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "select {columns}, s.expires_at from sessions s join users u on u.key = s.user_key \
             where s.id_hash = $1 and s.expires_at > $2 and u.active = 1"
        );
        let row = sqlx::query(&sql)
            .bind(id_hash)
            .bind(now_seconds())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok((user_of(&row)?, row.try_get("expires_at")?)))
            .transpose()
    }

    /// Moves a session's expiry (sessions expire after a time without use).
    pub async fn extend_session(&self, id_hash: &str, expires_at: i64) -> Result<(), StoreError> {
        sqlx::query("update sessions set expires_at = $1 where id_hash = $2")
            .bind(expires_at)
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends a session (sign-out).
    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("delete from sessions where id_hash = $1")
            .bind(id_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every API token, newest first.
    pub async fn tokens(&self) -> Result<Vec<TokenListing>, StoreError> {
        let rows: Vec<TokenRow> = sqlx::query_as(
            "select t.key, t.name, t.role, u.id, t.created_at, t.revoked_at from tokens t \
             left join users u on u.key = t.user_key order by t.key desc",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(key, name, role, user_id, created_at, revoked_at)| {
                Ok(TokenListing {
                    key,
                    name,
                    role: role
                        .parse()
                        .map_err(|e| StoreError::Corrupt(format!("tokens.role: {e}")))?,
                    user_id,
                    created_at,
                    revoked: revoked_at.is_some(),
                })
            })
            .collect()
    }

    /// Revokes a token: it stops working at once. Revoking twice is harmless.
    pub async fn revoke_token(&self, key: i64) -> Result<(), StoreError> {
        let done =
            sqlx::query("update tokens set revoked_at = coalesce(revoked_at, $1) where key = $2")
                .bind(now_seconds())
                .bind(key)
                .execute(&self.pool)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound(format!("token {key} does not exist")));
        }
        Ok(())
    }
}
