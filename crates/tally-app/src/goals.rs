//! Goals: set, changed and archived by owners, admins, and supervisors for their teams
//! and members; read by everyone within what they see (`tally_core::access`); every
//! revision kept with who made it. Read from the organisation in memory; a change
//! first closes the periods that ended under the old definition.

use crate::access::{people_within, scoped_goal, teams_within};
use crate::app::App;
use crate::caller::Caller;
use crate::directory::Directory;
use crate::error::{Error, Result};
use crate::input::Fields;
use crate::people::new_id;
use serde_json::{Map, Value};
use tally_core::access::Scope;
use tally_core::calendar::MAX_RANGE_DAYS;
use tally_core::event::MAX_ID_CHARS;
use tally_core::{Assignee, GoalSpec, Measure};
use tally_store::{GoalDefinition, GoalRecord};

/// The fields a goal's definition has (`id` only when it is created).
pub const GOAL_FIELDS: [&str; 6] = [
    "id",
    "name",
    "criteria",
    "assignees",
    "starts_on",
    "ends_on",
];

/// A goal as a caller sees it: its definition with only the assignees they see, how
/// many others there are, and its stored history fields.
#[derive(Clone, Debug)]
pub struct GoalView {
    pub id: String,
    pub definition: Shown,
    pub archived_at: Option<i64>,
    pub revision: i64,
    pub created_at: i64,
    pub created_by: String,
    pub updated_at: i64,
    pub updated_by: String,
}

/// A definition as a caller sees it: a supervisor sees a shared goal's own teams, not
/// who else it is for.
#[derive(Clone, Debug)]
pub struct Shown {
    pub spec: GoalSpec,
    /// Assignees left out of `spec` because the caller does not see them.
    pub other_assignees: usize,
}

/// One revision of a goal: what it was made, by whom and when (microseconds).
#[derive(Clone, Debug)]
pub struct Revision {
    pub revision: i64,
    pub action: String,
    pub actor: String,
    pub at: i64,
    pub definition: Shown,
}

/// Whom a caller may name in a goal they set.
#[derive(Clone, Debug, Default)]
pub struct Assignable {
    /// Active people, `(id, name)`, ordered by id.
    pub people: Vec<(String, String)>,
    /// Teams, `(id, name)`, ordered by id.
    pub teams: Vec<(String, String)>,
}

impl App {
    /// The goals the caller may see: the current ones, or only the archived ones.
    pub async fn goals(&self, caller: &Caller, archived: bool) -> Result<Vec<GoalView>> {
        let now = self.now().await?;
        let scope = self.read_scope(caller, &now.directory);
        Ok(now
            .directory
            .goals
            .iter()
            .filter(|g| g.record.archived_at.is_some() == archived && scope.sees_goal(&g.spec))
            .map(|g| view(&g.record, &g.spec, &scope))
            .collect())
    }

    /// One goal the caller may see (403 before 404 for a limited caller).
    pub async fn goal(&self, caller: &Caller, id: &str) -> Result<GoalView> {
        let now = self.now().await?;
        let scope = self.read_scope(caller, &now.directory);
        let goal = scoped_goal(&now.directory, &scope, id, Scope::sees_goal)?;
        Ok(view(&goal.record, &goal.spec, &scope))
    }

    /// Every revision of a goal the caller may see, oldest first.
    pub async fn goal_history(&self, caller: &Caller, id: &str) -> Result<Vec<Revision>> {
        let now = self.now().await?;
        let scope = self.read_scope(caller, &now.directory);
        let goal = scoped_goal(&now.directory, &scope, id, Scope::sees_goal)?;
        let revisions = self.store().goal_revisions(goal.record.key).await?;
        revisions
            .into_iter()
            .map(|r| {
                let spec = now
                    .directory
                    .spec_of(&r.definition, &self.org().currency)
                    .map_err(|e| {
                        Error::internal(format!("reading goal '{id}' revision {}", r.revision), e)
                    })?;
                Ok(Revision {
                    revision: r.revision,
                    action: r.action,
                    actor: r.actor,
                    at: r.at,
                    definition: shown(spec, &scope),
                })
            })
            .collect()
    }

    /// Sets a goal from its definition (`GOAL_FIELDS`); every assignee must be one the
    /// caller sets goals for.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor()))]
    pub async fn create_goal(&self, caller: &Caller, fields: &Fields) -> Result<GoalView> {
        let now = self.now().await?;
        let scope = self.write_scope(caller, &now.directory)?;
        fields.only(&GOAL_FIELDS)?;
        let spec = self.checked_spec(&now.directory, &fields.0)?;
        covered(&scope, &spec)?;
        let id = match fields.get("id") {
            None | Some(Value::Null) => new_id("g"),
            Some(_) => fields.text("id", MAX_ID_CHARS)?,
        };
        let definition = spec.to_json(&self.org().currency).to_string();
        let record = self
            .store()
            .create_goal(&id, &saved(&spec, &definition), &caller.actor())
            .await?;
        Ok(view(&record, &spec, &scope))
    }

    /// Changes any of a goal's fields but `id` (`"ends_on": null` clears the end).
    /// The periods that ended before the change are closed first, with the definition
    /// they ran under; the change is saved only if nobody changed the goal meanwhile.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor(), goal = id))]
    pub async fn change_goal(
        &self,
        caller: &Caller,
        id: &str,
        fields: &Fields,
    ) -> Result<GoalView> {
        let now = self.now().await?;
        let scope = self.write_scope(caller, &now.directory)?;
        fields.only(&GOAL_FIELDS[1..])?;
        let goal = scoped_goal(&now.directory, &scope, id, Scope::covers_goal)?;
        if goal.record.archived_at.is_some() {
            return Err(Error::Conflict(format!(
                "goal '{id}' is archived and cannot change"
            )));
        }
        let Value::Object(mut merged) = goal.spec.to_json(&self.org().currency) else {
            return Err(Error::internal(
                format!("changing goal '{id}'"),
                "its definition is not a JSON object",
            ));
        };
        merged.extend(fields.0.clone());
        let spec = self.checked_spec(&now.directory, &merged)?;
        covered(&scope, &spec)?;
        self.close_due_periods(&goal.record).await?;
        let definition = spec.to_json(&self.org().currency).to_string();
        let saved = saved(&spec, &definition);
        let record = self
            .store()
            .update_goal(id, goal.record.revision, &saved, &caller.actor())
            .await?;
        Ok(view(&record, &spec, &scope))
    }

    /// Archives a goal after closing its ended periods; its history and results stay.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor(), goal = id))]
    pub async fn archive_goal(&self, caller: &Caller, id: &str) -> Result<GoalView> {
        let now = self.now().await?;
        let scope = self.write_scope(caller, &now.directory)?;
        let goal = scoped_goal(&now.directory, &scope, id, Scope::covers_goal)?;
        self.close_due_periods(&goal.record).await?;
        let record = self
            .store()
            .archive_goal(id, goal.record.revision, &caller.actor())
            .await?;
        Ok(view(&record, &goal.spec, &scope))
    }

    /// The people and teams the caller may name in a goal (403 for those who set none).
    pub async fn assignable(&self, caller: &Caller) -> Result<Assignable> {
        let now = self.now().await?;
        let scope = self.write_scope(caller, &now.directory)?;
        let roster = &now.directory.roster;
        Ok(Assignable {
            people: people_within(roster, &scope),
            teams: teams_within(roster, &scope),
        })
    }

    /// A definition read and checked: it starts at most `MAX_RANGE_DAYS` ago, and every
    /// assignee exists.
    fn checked_spec(&self, directory: &Directory, body: &Map<String, Value>) -> Result<GoalSpec> {
        let today = self.today();
        let spec = GoalSpec::parse(
            body,
            &self.org().currency,
            &directory.custom_definitions,
            today,
        )
        .map_err(|e| Error::invalid(&e.field, e.message))?;
        let earliest = today.plus(-i32::try_from(MAX_RANGE_DAYS).unwrap_or(i32::MAX));
        if spec.starts_on < earliest {
            return Err(Error::invalid(
                "starts_on",
                format!("must be at most {MAX_RANGE_DAYS} days ago"),
            ));
        }
        for (i, assignee) in spec.assignees.iter().enumerate() {
            match assignee {
                Assignee::User(id) if directory.roster.user(id).is_none() => {
                    return Err(Error::invalid(
                        &format!("assignees[{i}].user_id"),
                        format!("user '{id}' does not exist"),
                    ));
                }
                Assignee::Team(id, _) if directory.roster.team(id).is_none() => {
                    return Err(Error::invalid(
                        &format!("assignees[{i}].team_id"),
                        format!("team '{id}' does not exist"),
                    ));
                }
                _ => {}
            }
        }
        Ok(spec)
    }
}

/// A supervisor sets goals only within their scope.
fn covered(scope: &Scope, spec: &GoalSpec) -> Result<()> {
    if scope.covers_goal(spec) {
        return Ok(());
    }
    Err(Error::Forbidden(
        "a supervisor sets goals only for the teams they supervise and their members".into(),
    ))
}

/// What the store saves of a checked goal: with the custom metrics its criteria name,
/// which must still stand as they were read when the save takes the write lock.
fn saved<'a>(spec: &'a GoalSpec, definition: &'a str) -> GoalDefinition<'a> {
    let custom = spec.criteria.iter().filter_map(|c| match &c.metric {
        Measure::Custom(metric) => Some(&**metric),
        Measure::BuiltIn(_) => None,
    });
    GoalDefinition {
        name: &spec.name,
        definition,
        starts_on: spec.starts_on,
        custom: custom.collect(),
    }
}

fn view(record: &GoalRecord, spec: &GoalSpec, scope: &Scope) -> GoalView {
    GoalView {
        id: record.id.clone(),
        definition: shown(spec.clone(), scope),
        archived_at: record.archived_at,
        revision: record.revision,
        created_at: record.created_at,
        created_by: record.created_by.clone(),
        updated_at: record.updated_at,
        updated_by: record.updated_by.clone(),
    }
}

/// A definition with the assignees a limited caller does not see left out.
fn shown(mut spec: GoalSpec, scope: &Scope) -> Shown {
    let before = spec.assignees.len();
    if !scope.all {
        spec.assignees.retain(|a| match a {
            Assignee::User(user) => scope.sees_user(user),
            Assignee::Team(team, _) => scope.sees_team(team),
        });
    }
    Shown {
        other_assignees: before - spec.assignees.len(),
        spec,
    }
}
