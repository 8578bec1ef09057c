//! Users, teams, dated memberships and API tokens.

pub use tally_core::org::{MembershipRecord, Team, User};

use crate::sql::now_seconds;
use crate::{Store, StoreError, bump_org_version};
use sqlx::Row;
use sqlx::any::AnyRow;
use tally_core::{Day, Role};

/// The fields of a user to create.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub role: Role,
    pub extension: Option<String>,
}

/// An API token as stored: never the secret, only its hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRecord {
    pub key: i64,
    pub name: String,
    pub role: Role,
    /// The user the token acts for, if any (agents see only their own data).
    pub user_id: Option<String>,
    /// That user's role and whether they are active, as they are now (not when the
    /// token was made): a token acts with no more than its user's current role.
    pub user_now: Option<(Role, bool)>,
}

pub(crate) const USER_COLUMNS: &str = "key, id, name, email, role, extension, active";

pub(crate) fn user_of(row: &AnyRow) -> Result<User, StoreError> {
    let role: String = row.try_get("role")?;
    Ok(User {
        key: row.try_get("key")?,
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        email: row.try_get("email")?,
        role: role
            .parse()
            .map_err(|e| StoreError::Corrupt(format!("users.role: {e}")))?,
        extension: row.try_get("extension")?,
        active: row.try_get::<i64, _>("active")? != 0,
    })
}

fn membership_of(row: &AnyRow) -> Result<MembershipRecord, StoreError> {
    Ok(MembershipRecord {
        key: row.try_get("key")?,
        team_key: row.try_get("team_key")?,
        team_id: row.try_get("team_id")?,
        user_key: row.try_get("user_key")?,
        user_id: row.try_get("user_id")?,
        from: day_of(row.try_get("from_day")?),
        to: row.try_get::<Option<i64>, _>("to_day")?.map(day_of),
    })
}

/// Every user, ordered by id.
pub(crate) async fn users_in(conn: &mut sqlx::AnyConnection) -> Result<Vec<User>, StoreError> {
    let sql = format!("select {USER_COLUMNS} from users");
    let rows = sqlx::query(&sql).fetch_all(&mut *conn).await?;
    let mut users = rows.iter().map(user_of).collect::<Result<Vec<_>, _>>()?;
    users.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(users)
}

/// Every team, ordered by id.
pub(crate) async fn teams_in(conn: &mut sqlx::AnyConnection) -> Result<Vec<Team>, StoreError> {
    let rows: Vec<(i64, String, String)> = sqlx::query_as("select key, id, name from teams")
        .fetch_all(&mut *conn)
        .await?;
    let mut teams: Vec<Team> = rows
        .into_iter()
        .map(|(key, id, name)| Team { key, id, name })
        .collect();
    teams.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(teams)
}

/// Every membership, ordered by team, user and start.
pub(crate) async fn memberships_in(
    conn: &mut sqlx::AnyConnection,
) -> Result<Vec<MembershipRecord>, StoreError> {
    let rows = sqlx::query(MEMBERSHIP_SELECT).fetch_all(&mut *conn).await?;
    memberships_of(&rows)
}

fn memberships_of(rows: &[AnyRow]) -> Result<Vec<MembershipRecord>, StoreError> {
    let mut all = rows
        .iter()
        .map(membership_of)
        .collect::<Result<Vec<_>, _>>()?;
    all.sort_by(|a, b| (&a.team_id, &a.user_id, a.from).cmp(&(&b.team_id, &b.user_id, b.from)));
    Ok(all)
}

pub(crate) fn day_of(number: i64) -> Day {
    Day::from_number(i32::try_from(number).unwrap_or(i32::MAX))
}

const MEMBERSHIP_SELECT: &str = "select m.key, m.team_key, t.id as team_id, m.user_key, \
     u.id as user_id, m.from_day, m.to_day \
     from memberships m join teams t on t.key = m.team_key join users u on u.key = m.user_key";

impl Store {
    /// Creates a user; a taken id or email is a conflict.
    pub async fn create_user(&self, user: &NewUser) -> Result<User, StoreError> {
        self.create_user_with_password(user, None).await
    }

    /// Creates a user who signs in with this password hash, in one statement.
    pub async fn create_user_with_password(
        &self,
        user: &NewUser,
        password_hash: Option<&str>,
    ) -> Result<User, StoreError> {
        let sql = format!(
            "insert into users (id, name, email, role, extension, active, created_at, password_hash) \
             values ($1, $2, $3, $4, $5, 1, $6, $7) returning {USER_COLUMNS}"
        );
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&sql)
            .bind(&user.id)
            .bind(&user.name)
            .bind(&user.email)
            .bind(user.role.as_str())
            .bind(&user.extension)
            .bind(now_seconds())
            .bind(password_hash)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| {
                StoreError::conflict_on_unique(
                    e,
                    format!("a user with id '{}' or this email already exists", user.id),
                )
            })?;
        bump_org_version(&mut tx).await?;
        tx.commit().await?;
        user_of(&row)
    }

    /// Saves a changed user (name, email, role, extension, active), found by id; a taken
    /// email is a conflict. A deactivated user's sessions end with it.
    pub async fn save_user(&self, user: &User) -> Result<User, StoreError> {
        self.save_user_with_password(user, None, None).await
    }

    /// Saves a changed user and, when given, a new password hash, in one transaction;
    /// a new password or a deactivation also ends the user's sessions. With
    /// `read_role`, the save happens only if the role is still the one the caller's
    /// rights were checked against (409 otherwise).
    pub async fn save_user_with_password(
        &self,
        user: &User,
        read_role: Option<Role>,
        password_hash: Option<&str>,
    ) -> Result<User, StoreError> {
        let sql = format!(
            "update users set name = $1, email = $2, role = $3, extension = $4, active = $5, \
             password_hash = coalesce($6, password_hash) \
             where id = $7 and (cast($8 as text) is null or role = $8) returning {USER_COLUMNS}"
        );
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query(&sql)
            .bind(&user.name)
            .bind(&user.email)
            .bind(user.role.as_str())
            .bind(&user.extension)
            .bind(i64::from(user.active))
            .bind(password_hash)
            .bind(&user.id)
            .bind(read_role.map(Role::as_str))
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| StoreError::conflict_on_unique(e, "another user already has this email"))?
            .ok_or_else(|| match read_role {
                Some(_) => StoreError::Conflict(format!(
                    "user '{}' changed meanwhile (a role or a removal); reload and try again",
                    user.id
                )),
                None => StoreError::NotFound(format!("user '{}' does not exist", user.id)),
            })?;
        let saved = user_of(&row)?;
        bump_org_version(&mut tx).await?;
        if password_hash.is_some() || !saved.active {
            sqlx::query("delete from sessions where user_key = $1")
                .bind(saved.key)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(saved)
    }

    /// Every user, ordered by id.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        users_in(&mut *self.pool.acquire().await?).await
    }

    /// One user by id.
    pub async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let sql = format!("select {USER_COLUMNS} from users where id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_of).transpose()
    }

    /// How many users exist (none on a fresh install).
    pub async fn count_users(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("select count(*) from users")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }

    /// Creates a team; a taken id is a conflict.
    pub async fn create_team(&self, id: &str, name: &str) -> Result<Team, StoreError> {
        let mut tx = self.pool.begin().await?;
        let (key,): (i64,) = sqlx::query_as(
            "insert into teams (id, name, created_at) values ($1, $2, $3) returning key",
        )
        .bind(id)
        .bind(name)
        .bind(now_seconds())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| {
            StoreError::conflict_on_unique(e, format!("a team with id '{id}' already exists"))
        })?;
        bump_org_version(&mut tx).await?;
        tx.commit().await?;
        Ok(Team {
            key,
            id: id.to_owned(),
            name: name.to_owned(),
        })
    }

    /// Every team, ordered by id.
    pub async fn teams(&self) -> Result<Vec<Team>, StoreError> {
        teams_in(&mut *self.pool.acquire().await?).await
    }

    /// One team by id.
    pub async fn team(&self, id: &str) -> Result<Option<Team>, StoreError> {
        let row: Option<(i64, String, String)> =
            sqlx::query_as("select key, id, name from teams where id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(key, id, name)| Team { key, id, name }))
    }

    /// Adds a user to a team from `from` to `to` (inclusive; open-ended if `None`).
    ///
    /// The same user and start day again sets the end day (how a membership is ended);
    /// a membership overlapping another of the same user in the same team is a conflict,
    /// since a member-day must count once.
    pub async fn add_membership(
        &self,
        team_id: &str,
        user_id: &str,
        from: Day,
        to: Option<Day>,
    ) -> Result<MembershipRecord, StoreError> {
        if to.is_some_and(|to| to < from) {
            return Err(StoreError::invalid("to", "must not be before from"));
        }
        let mut w = self.begin_write().await?;
        let team = sqlx::query_as::<_, (i64,)>("select key from teams where id = $1")
            .bind(team_id)
            .fetch_optional(&mut *w.tx)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("team '{team_id}' does not exist")))?;
        let user = sqlx::query_as::<_, (i64,)>("select key from users where id = $1")
            .bind(user_id)
            .fetch_optional(&mut *w.tx)
            .await?
            .ok_or_else(|| {
                StoreError::invalid("user_id", format!("user '{user_id}' does not exist"))
            })?;
        let sql = format!("{MEMBERSHIP_SELECT} where m.team_key = $1 and m.user_key = $2");
        let rows = sqlx::query(&sql)
            .bind(team.0)
            .bind(user.0)
            .fetch_all(&mut *w.tx)
            .await?;
        let existing = rows
            .iter()
            .map(membership_of)
            .collect::<Result<Vec<_>, _>>()?;
        let same_start = existing.iter().find(|m| m.from == from).map(|m| m.key);
        let far = Day::from_number(i32::MAX);
        for other in existing.iter().filter(|m| Some(m.key) != same_start) {
            if other.from <= to.unwrap_or(far) && from <= other.to.unwrap_or(far) {
                return Err(StoreError::Conflict(format!(
                    "user '{user_id}' is already a member of team '{team_id}' from {} to {}",
                    other.from,
                    other.to.map_or("no end".to_owned(), |d| d.to_string())
                )));
            }
        }
        let to_number = to.map(|d| i64::from(d.number()));
        let key = match same_start {
            Some(key) => {
                sqlx::query("update memberships set to_day = $1 where key = $2")
                    .bind(to_number)
                    .bind(key)
                    .execute(&mut *w.tx)
                    .await?;
                key
            }
            None => {
                let (key,): (i64,) = sqlx::query_as(
                    "insert into memberships (team_key, user_key, from_day, to_day) \
                     values ($1, $2, $3, $4) returning key",
                )
                .bind(team.0)
                .bind(user.0)
                .bind(i64::from(from.number()))
                .bind(to_number)
                .fetch_one(&mut *w.tx)
                .await?;
                key
            }
        };
        bump_org_version(&mut w.tx).await?;
        w.tx.commit().await?;
        Ok(MembershipRecord {
            key,
            team_key: team.0,
            team_id: team_id.to_owned(),
            user_key: user.0,
            user_id: user_id.to_owned(),
            from,
            to,
        })
    }

    /// Memberships, of one team or of all, ordered by team, user and start.
    pub async fn memberships(
        &self,
        team_key: Option<i64>,
    ) -> Result<Vec<MembershipRecord>, StoreError> {
        let rows = match team_key {
            Some(key) => {
                let sql = format!("{MEMBERSHIP_SELECT} where m.team_key = $1");
                sqlx::query(&sql).bind(key).fetch_all(&self.pool).await?
            }
            None => sqlx::query(MEMBERSHIP_SELECT).fetch_all(&self.pool).await?,
        };
        memberships_of(&rows)
    }

    /// Stores a new API token by the hash of its secret.
    pub async fn create_token(
        &self,
        name: &str,
        role: Role,
        user_id: Option<&str>,
        secret_hash: &str,
    ) -> Result<TokenRecord, StoreError> {
        let user_key = match user_id {
            Some(id) => Some(
                self.user(id)
                    .await?
                    .ok_or_else(|| {
                        StoreError::invalid("user", format!("user '{id}' does not exist"))
                    })?
                    .key,
            ),
            None => None,
        };
        let (key,): (i64,) = sqlx::query_as(
            "insert into tokens (name, role, user_key, secret_hash, created_at) \
             values ($1, $2, $3, $4, $5) returning key",
        )
        .bind(name)
        .bind(role.as_str())
        .bind(user_key)
        .bind(secret_hash)
        .bind(now_seconds())
        .fetch_one(&self.pool)
        .await?;
        Ok(TokenRecord {
            key,
            name: name.to_owned(),
            role,
            user_id: user_id.map(str::to_owned),
            user_now: None,
        })
    }

    /// The token whose secret has this hash, if any.
    pub async fn token_by_hash(
        &self,
        secret_hash: &str,
    ) -> Result<Option<TokenRecord>, StoreError> {
        type Row = (
            i64,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<i64>,
        );
        let row: Option<Row> = sqlx::query_as(
            "select t.key, t.name, t.role, u.id, u.role, u.active from tokens t \
             left join users u on u.key = t.user_key \
             where t.secret_hash = $1 and t.revoked_at is null",
        )
        .bind(secret_hash)
        .fetch_optional(&self.pool)
        .await?;
        let role_of = |role: String| -> Result<Role, StoreError> {
            role.parse()
                .map_err(|e| StoreError::Corrupt(format!("role: {e}")))
        };
        row.map(|(key, name, role, user_id, user_role, active)| {
            let user_now = match (user_role, active) {
                (Some(role), Some(active)) => Some((role_of(role)?, active != 0)),
                _ => None,
            };
            Ok(TokenRecord {
                key,
                name,
                role: role_of(role)?,
                user_id,
                user_now,
            })
        })
        .transpose()
    }

    /// How many API tokens exist (none on a fresh install).
    pub async fn count_tokens(&self) -> Result<i64, StoreError> {
        let (n,): (i64,) = sqlx::query_as("select count(*) from tokens")
            .fetch_one(&self.pool)
            .await?;
        Ok(n)
    }
}
