//! Goals as stored: the current definition, every revision with who made it, frozen
//! results of closed periods, and the teams each supervisor supervises.
//!
//! The store keeps a goal's definition as JSON text; what it means (criteria, targets,
//! assignees) is `tally_core::GoalSpec`, parsed by the caller.

use crate::people::day_of;
use crate::{Store, StoreError, bump_org_version};
use sqlx::Row;
use sqlx::any::AnyRow;
use tally_core::custom::CustomMetric;
use tally_core::{Day, DayRange};

/// A goal as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoalRecord {
    pub key: i64,
    pub id: String,
    pub name: String,
    /// The definition's JSON (see `tally_core::GoalSpec::to_json`).
    pub definition: String,
    pub revision: i64,
    /// When it was archived, in microseconds since the epoch.
    pub archived_at: Option<i64>,
    /// Every period that ended on or before this day has its results recorded.
    pub closed_through: Day,
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
    pub updated_by: String,
}

/// One version of a goal: what it became, by whom, when (microseconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoalRevision {
    pub revision: i64,
    pub action: String,
    pub definition: String,
    pub actor: String,
    pub at: i64,
}

/// The frozen result of one criterion of a goal, for one closed period and assignee.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoalResult {
    pub metric: String,
    pub period: DayRange,
    /// `user` or `team`.
    pub subject_kind: String,
    pub subject_id: String,
    /// The goal's revision when the period closed.
    pub revision: i64,
    /// The pro-rated target, a decimal in the metric's unit.
    pub target: String,
    /// The actual in the metric's stored unit (minor units for money).
    pub actual: i128,
    pub achieved: bool,
    pub closed_at: i64,
    /// A custom metric's definition when the period closed (JSON, as
    /// `CustomMetric::to_json` writes it); none for a built-in metric.
    pub metric_definition: Option<String>,
}

/// The query of a goal's results with its parameters bound.
fn results_query<'q>(
    sql: &'q str,
    goal_key: i64,
    range: DayRange,
    lists: Option<&'q (String, String)>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    let query = sqlx::query(sql)
        .bind(goal_key)
        .bind(i64::from(range.from.number()))
        .bind(i64::from(range.to.number()));
    match lists {
        Some((users, teams)) => query.bind(users.as_str()).bind(teams.as_str()),
        None => query,
    }
}

/// The users and teams whose results a limited caller sees.
#[derive(Clone, Debug, Default)]
pub struct ResultSubjects {
    pub users: Vec<String>,
    pub teams: Vec<String>,
}

/// A page of a long list: at most `limit` rows after the first `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

const GOAL_COLUMNS: &str = "key, id, name, definition, revision, archived_at, closed_through, \
     created_at, created_by, updated_at, updated_by";

fn goal_of(row: &AnyRow) -> Result<GoalRecord, StoreError> {
    Ok(GoalRecord {
        key: row.try_get("key")?,
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        definition: row.try_get("definition")?,
        revision: row.try_get("revision")?,
        archived_at: row.try_get("archived_at")?,
        closed_through: day_of(row.try_get("closed_through")?),
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
        updated_at: row.try_get("updated_at")?,
        updated_by: row.try_get("updated_by")?,
    })
}

/// Every goal, archived ones included, ordered by id.
pub(crate) async fn goals_in(
    conn: &mut sqlx::AnyConnection,
) -> Result<Vec<GoalRecord>, StoreError> {
    let sql = format!("select {GOAL_COLUMNS} from goals order by id");
    let rows = sqlx::query(&sql).fetch_all(&mut *conn).await?;
    rows.iter().map(goal_of).collect()
}

/// Every supervises link as (team id, user id), ordered.
pub(crate) async fn supervisors_in(
    conn: &mut sqlx::AnyConnection,
) -> Result<Vec<(String, String)>, StoreError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "select t.id, u.id from supervisors s join teams t on t.key = s.team_key \
         join users u on u.key = s.user_key order by t.id, u.id",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows)
}

fn now_micros() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

/// A goal's definition as it is saved.
pub struct GoalDefinition<'a> {
    pub name: &'a str,
    /// The definition's JSON (`GoalSpec::to_json`).
    pub definition: &'a str,
    pub starts_on: Day,
    /// The custom metrics its criteria name, as its targets were read: the save is
    /// refused if one was removed or changed its unit meanwhile.
    pub custom: Vec<&'a CustomMetric>,
}

impl Store {
    /// Creates a goal (revision 1). Nothing before its `starts_on` is ever closed.
    pub async fn create_goal(
        &self,
        id: &str,
        goal: &GoalDefinition<'_>,
        actor: &str,
    ) -> Result<GoalRecord, StoreError> {
        let GoalDefinition {
            name,
            definition,
            starts_on,
            ..
        } = *goal;
        let mut w = self.begin_write().await?;
        crate::custom::criteria_stand(&mut w, &goal.custom).await?;
        let now = now_micros();
        let (key,): (i64,) = sqlx::query_as(
            "insert into goals (id, name, definition, revision, closed_through, created_at, \
             created_by, updated_at, updated_by) values ($1, $2, $3, 1, $4, $5, $6, $7, $8) \
             returning key",
        )
        .bind(id)
        .bind(name)
        .bind(definition)
        .bind(i64::from(starts_on.plus(-1).number()))
        .bind(now)
        .bind(actor)
        .bind(now)
        .bind(actor)
        .fetch_one(&mut *w.tx)
        .await
        .map_err(|e| {
            StoreError::conflict_on_unique(e, format!("a goal with id '{id}' already exists"))
        })?;
        add_revision(&mut w.tx, key, 1, "created", definition, actor, now).await?;
        bump_org_version(&mut w.tx).await?;
        w.tx.commit().await?;
        self.goal(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("goal '{id}' vanished")))
    }

    /// Replaces a goal's definition (a new revision). Periods before a new, earlier
    /// `starts_on` become closable; periods already closed stay as they were.
    pub async fn update_goal(
        &self,
        id: &str,
        expected_revision: i64,
        saved: &GoalDefinition<'_>,
        actor: &str,
    ) -> Result<GoalRecord, StoreError> {
        let GoalDefinition {
            name,
            definition,
            starts_on,
            ..
        } = *saved;
        let mut w = self.begin_write().await?;
        crate::custom::criteria_stand(&mut w, &saved.custom).await?;
        let goal = goal_in(&mut w.tx, id).await?;
        unchanged_since(&goal, expected_revision)?;
        let now = now_micros();
        let revision = goal.revision + 1;
        let closed_through = goal.closed_through.min(starts_on.plus(-1));
        sqlx::query(
            "update goals set name = $1, definition = $2, revision = $3, closed_through = $4, \
             updated_at = $5, updated_by = $6 where key = $7",
        )
        .bind(name)
        .bind(definition)
        .bind(revision)
        .bind(i64::from(closed_through.number()))
        .bind(now)
        .bind(actor)
        .bind(goal.key)
        .execute(&mut *w.tx)
        .await?;
        add_revision(
            &mut w.tx, goal.key, revision, "updated", definition, actor, now,
        )
        .await?;
        bump_org_version(&mut w.tx).await?;
        w.tx.commit().await?;
        self.existing_goal(id).await
    }

    /// Archives a goal: it leaves the lists, its history and results stay.
    pub async fn archive_goal(
        &self,
        id: &str,
        expected_revision: i64,
        actor: &str,
    ) -> Result<GoalRecord, StoreError> {
        let mut w = self.begin_write().await?;
        let goal = goal_in(&mut w.tx, id).await?;
        if goal.archived_at.is_some() {
            return Ok(goal);
        }
        unchanged_since(&goal, expected_revision)?;
        let now = now_micros();
        let revision = goal.revision + 1;
        sqlx::query(
            "update goals set archived_at = $1, revision = $2, updated_at = $3, updated_by = $4 \
             where key = $5",
        )
        .bind(now)
        .bind(revision)
        .bind(now)
        .bind(actor)
        .bind(goal.key)
        .execute(&mut *w.tx)
        .await?;
        add_revision(
            &mut w.tx,
            goal.key,
            revision,
            "archived",
            &goal.definition,
            actor,
            now,
        )
        .await?;
        bump_org_version(&mut w.tx).await?;
        w.tx.commit().await?;
        self.existing_goal(id).await
    }

    /// Every goal, archived ones included, ordered by id.
    pub async fn goals(&self) -> Result<Vec<GoalRecord>, StoreError> {
        goals_in(&mut *self.pool.acquire().await?).await
    }

    /// One goal by id.
    pub async fn goal(&self, id: &str) -> Result<Option<GoalRecord>, StoreError> {
        let sql = format!("select {GOAL_COLUMNS} from goals where id = $1");
        let row = sqlx::query(&sql)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(goal_of).transpose()
    }

    async fn existing_goal(&self, id: &str) -> Result<GoalRecord, StoreError> {
        self.goal(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("goal '{id}' does not exist")))
    }

    /// A goal's revisions, oldest first.
    pub async fn goal_revisions(&self, goal_key: i64) -> Result<Vec<GoalRevision>, StoreError> {
        let rows: Vec<(i64, String, String, String, i64)> = sqlx::query_as(
            "select revision, action, definition, actor, at from goal_revisions \
             where goal_key = $1 order by revision",
        )
        .bind(goal_key)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(revision, action, definition, actor, at)| GoalRevision {
                revision,
                action,
                definition,
                actor,
                at,
            })
            .collect())
    }

    /// Records closed periods' results and moves `closed_through` from `from` to
    /// `through`, at once. A result already recorded is kept as it was: results are
    /// frozen. When `closed_through` is no longer `from` (another instance closed, or
    /// the goal's start moved), it is left alone and `false` says so.
    pub async fn record_results(
        &self,
        goal_key: i64,
        results: &[GoalResult],
        from: Day,
        through: Day,
    ) -> Result<bool, StoreError> {
        let mut w = self.begin_write().await?;
        for chunk in results.chunks(crate::sql::rows_per_statement(12)) {
            let sql = format!(
                "insert into goal_results (goal_key, metric, period_from, period_to, subject_kind, \
                 subject_id, revision, target, actual, achieved, closed_at, metric_definition) \
                 values {} \
                 on conflict (goal_key, metric, period_from, period_to, subject_kind, subject_id) \
                 do nothing",
                crate::sql::value_rows(self.backend, chunk.len(), 12)
            );
            let mut query = crate::sql::batch_query(self.backend, &sql);
            for r in chunk {
                query = query
                    .bind(goal_key)
                    .bind(&r.metric)
                    .bind(i64::from(r.period.from.number()))
                    .bind(i64::from(r.period.to.number()))
                    .bind(&r.subject_kind)
                    .bind(&r.subject_id)
                    .bind(r.revision)
                    .bind(&r.target)
                    .bind(r.actual.to_string())
                    .bind(i64::from(r.achieved))
                    .bind(r.closed_at)
                    .bind(r.metric_definition.clone());
            }
            query.execute(&mut *w.tx).await?;
        }
        let moved = sqlx::query(
            "update goals set closed_through = $1 where key = $2 and closed_through = $3",
        )
        .bind(i64::from(through.number()))
        .bind(goal_key)
        .bind(i64::from(from.number()))
        .execute(&mut *w.tx)
        .await?;
        w.tx.commit().await?;
        Ok(moved.rows_affected() == 1)
    }

    /// A page of a goal's frozen results whose periods lie within `range`, ordered by
    /// period, metric and subject, and how many there are in all. `subjects` limits
    /// them to these users and teams (what a limited caller sees).
    pub async fn goal_results(
        &self,
        goal_key: i64,
        range: DayRange,
        subjects: Option<&ResultSubjects>,
        page: Page,
    ) -> Result<(Vec<GoalResult>, i64), StoreError> {
        // Parameters appear in the order they are bound (see `sql::params`).
        let p = |n: usize| crate::sql::params(self.backend, n, 1);
        let mut filter = format!(
            "goal_key = {} and period_from >= {} and period_to <= {}",
            p(1),
            p(2),
            p(3)
        );
        let lists = match subjects {
            None => None,
            Some(s) => {
                filter.push_str(&format!(
                    " and ((subject_kind = 'user' and {}) or (subject_kind = 'team' and {}))",
                    crate::sql::in_json_array(self.backend, "subject_id", 4),
                    crate::sql::in_json_array(self.backend, "subject_id", 5)
                ));
                let json = |list: &[String]| {
                    serde_json::to_string(list).map_err(|e| StoreError::Corrupt(e.to_string()))
                };
                Some((json(&s.users)?, json(&s.teams)?))
            }
        };
        let bind = |sql| results_query(sql, goal_key, range, lists.as_ref());
        let count_sql =
            format!("select cast(count(*) as bigint) as n from goal_results where {filter}");
        let total: i64 = bind(&count_sql).fetch_one(&self.pool).await?.try_get("n")?;
        let sql = format!(
            "select metric, period_from, period_to, subject_kind, subject_id, revision, target, \
             actual, achieved, closed_at, metric_definition from goal_results where {filter} \
             order by period_from, metric, subject_kind, subject_id limit {} offset {}",
            page.limit.max(0),
            page.offset.max(0)
        );
        let rows = bind(&sql).fetch_all(&self.pool).await?;
        let results = rows
            .iter()
            .map(|row| {
                Ok(GoalResult {
                    metric: row.try_get("metric")?,
                    period: DayRange {
                        from: day_of(row.try_get("period_from")?),
                        to: day_of(row.try_get("period_to")?),
                    },
                    subject_kind: row.try_get("subject_kind")?,
                    subject_id: row.try_get("subject_id")?,
                    revision: row.try_get("revision")?,
                    target: row.try_get("target")?,
                    actual: total_of(row.try_get("actual")?)?,
                    achieved: row.try_get::<i64, _>("achieved")? != 0,
                    closed_at: row.try_get("closed_at")?,
                    metric_definition: row.try_get("metric_definition")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((results, total))
    }

    /// Makes a user a supervisor of a team (again is fine).
    pub async fn add_supervisor(&self, team_id: &str, user_id: &str) -> Result<(), StoreError> {
        let (team, user) = self.team_and_user_keys(team_id, user_id).await?;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "insert into supervisors (team_key, user_key) values ($1, $2) \
             on conflict (team_key, user_key) do nothing",
        )
        .bind(team)
        .bind(user)
        .execute(&mut *tx)
        .await?;
        bump_org_version(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends a supervises link; false when there was none.
    pub async fn remove_supervisor(
        &self,
        team_id: &str,
        user_id: &str,
    ) -> Result<bool, StoreError> {
        let (team, user) = self.team_and_user_keys(team_id, user_id).await?;
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query("delete from supervisors where team_key = $1 and user_key = $2")
            .bind(team)
            .bind(user)
            .execute(&mut *tx)
            .await?;
        bump_org_version(&mut tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }

    /// Every supervises link as (team id, user id), ordered.
    pub async fn supervisors(&self) -> Result<Vec<(String, String)>, StoreError> {
        supervisors_in(&mut *self.pool.acquire().await?).await
    }

    async fn team_and_user_keys(
        &self,
        team_id: &str,
        user_id: &str,
    ) -> Result<(i64, i64), StoreError> {
        let team = self
            .team(team_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("team '{team_id}' does not exist")))?;
        let user = self.user(user_id).await?.ok_or_else(|| {
            StoreError::invalid("user_id", format!("user '{user_id}' does not exist"))
        })?;
        Ok((team.key, user.key))
    }
}

/// Refuses a change decided on an older revision, or of an archived goal: two people
/// editing at once must not silently undo each other.
fn unchanged_since(goal: &GoalRecord, expected_revision: i64) -> Result<(), StoreError> {
    if goal.archived_at.is_some() {
        return Err(StoreError::Conflict(format!(
            "goal '{}' is archived and cannot change",
            goal.id
        )));
    }
    if goal.revision != expected_revision {
        return Err(StoreError::Conflict(format!(
            "goal '{}' changed meanwhile (now revision {}); read it again and retry",
            goal.id, goal.revision
        )));
    }
    Ok(())
}

/// A goal read inside a write, so that its revision cannot change underneath.
async fn goal_in(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: &str,
) -> Result<GoalRecord, StoreError> {
    let sql = format!("select {GOAL_COLUMNS} from goals where id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await?;
    row.as_ref()
        .map(goal_of)
        .transpose()?
        .ok_or_else(|| StoreError::NotFound(format!("goal '{id}' does not exist")))
}

async fn add_revision(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    goal_key: i64,
    revision: i64,
    action: &str,
    definition: &str,
    actor: &str,
    at: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into goal_revisions (goal_key, revision, action, definition, actor, at) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(goal_key)
    .bind(revision)
    .bind(action)
    .bind(definition)
    .bind(actor)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A frozen total, kept as decimal text.
fn total_of(text: String) -> Result<i128, StoreError> {
    text.parse().map_err(|_| {
        StoreError::Corrupt(format!("goal result total '{text}' is not a whole number"))
    })
}
