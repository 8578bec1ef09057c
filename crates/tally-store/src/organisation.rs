//! The organisation as the views read it: one consistent snapshot of its people (with
//! their extensions), teams, memberships, supervisors, goals and scoring settings, at
//! one version; and the two versions a server compares its in-memory copies with.
//!
//! Every change to the organisation moves `org_version` in its own transaction (see
//! `bump_org_version`), as every write that changes rollups adds a version to
//! `changes`: one query of both tells a server whether its copies are current.

use crate::goals::{GoalRecord, goals_in, supervisors_in};
use crate::people::{MembershipRecord, Team, User, memberships_in, teams_in, users_in};
use crate::{Backend, Store, StoreError};
use std::collections::HashMap;

/// The versions of the data (rollups and marks) and of the organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Versions {
    pub data: i64,
    pub org: i64,
}

/// The organisation at one version.
#[derive(Clone, Debug)]
pub struct OrgSnapshot {
    pub version: i64,
    /// Every user, ordered by id.
    pub users: Vec<User>,
    /// Each user's extensions besides their main one, by user key.
    pub extensions: HashMap<i64, Vec<String>>,
    pub teams: Vec<Team>,
    pub memberships: Vec<MembershipRecord>,
    /// (team id, user id): who supervises which team.
    pub supervisors: Vec<(String, String)>,
    /// Every goal, archived ones included.
    pub goals: Vec<GoalRecord>,
    /// The scoring settings as stored (a JSON object), if ever set.
    pub scoring: Option<String>,
    /// The custom metrics, by key (how far each history is counted is as of the
    /// snapshot; it moves without moving the organisation's version).
    pub custom_metrics: Vec<crate::StoredMetric>,
}

/// Where the scoring settings are kept (one JSON object in `meta`).
const SCORING: &str = "scoring";

impl Store {
    /// The data's and the organisation's versions, in one query.
    pub async fn versions(&self) -> Result<Versions, StoreError> {
        let (data, org): (i64, i64) = sqlx::query_as(
            "select (select coalesce(max(version), 0) from changes), \
             (select max(version) from org_version)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Versions { data, org })
    }

    /// The whole organisation, read in one snapshot so that it is exactly one version.
    pub async fn org_snapshot(&self) -> Result<OrgSnapshot, StoreError> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("set transaction isolation level repeatable read")
                .execute(&mut *tx)
                .await?;
        }
        let (version,): (i64,) = sqlx::query_as("select max(version) from org_version")
            .fetch_one(&mut *tx)
            .await?;
        let scoring: Option<(String,)> = sqlx::query_as("select value from meta where name = $1")
            .bind(SCORING)
            .fetch_optional(&mut *tx)
            .await?;
        let snapshot = OrgSnapshot {
            version,
            users: users_in(&mut tx).await?,
            extensions: crate::calls::extensions_in(&mut tx).await?,
            teams: teams_in(&mut tx).await?,
            memberships: memberships_in(&mut tx).await?,
            supervisors: supervisors_in(&mut tx).await?,
            goals: goals_in(&mut tx).await?,
            scoring: scoring.map(|(json,)| json),
            custom_metrics: crate::custom::custom_metrics_in(&mut tx).await?,
        };
        tx.commit().await?;
        Ok(snapshot)
    }

    /// Stores the scoring settings (a JSON object), moving the organisation's version.
    pub async fn set_scoring(&self, json: &str) -> Result<(), StoreError> {
        self.set_setting(SCORING, json).await
    }

    /// Sets an organisation setting (kept in `meta` as JSON) and moves the
    /// organisation's version, together: every instance sees the change at its next
    /// look at the versions.
    pub async fn set_setting(&self, name: &str, json: &str) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        crate::upsert_meta(&mut *tx, name, json).await?;
        crate::bump_org_version(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }
}
