//! `/api/v1/goals`: create, list, read, change and archive KPI goals; their history,
//! and the frozen results of their closed periods. Who may do what: `scope.rs`.

use super::query::{JsonObject, MAX_RANGE_DAYS, PathId, QueryParams, only_fields, only_known};
use crate::AppState;
use crate::auth::{Auth, Caller};
use crate::error::ApiError;
use crate::scope::{Scope, read_scope, write_scope};
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Map, Value, json};
use tally_app::people::new_id;
use tally_core::event::MAX_ID_CHARS;
use tally_core::{Assignee, Day, GoalSpec, Role};
use tally_store::{GoalRecord, MembershipRecord};

/// The fields a goal's body may have.
const GOAL_FIELDS: [&str; 6] = [
    "id",
    "name",
    "criteria",
    "assignees",
    "starts_on",
    "ends_on",
];

/// `POST /api/v1/goals`: owners, admins, and supervisors for their teams.
pub async fn create(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let scope = write_scope_of(&state, &caller).await?;
    only_fields(&body.0, &GOAL_FIELDS)?;
    let spec = parse_spec(&state, &body.0).await?;
    if !scope.covers_goal(&spec) {
        return Err(out_of_scope());
    }
    let id = match body.get("id") {
        None | Some(Value::Null) => new_id("g"),
        Some(_) => JsonObject(body.clone()).text("id", MAX_ID_CHARS)?,
    };
    let definition = spec.to_json(&state.org.currency).to_string();
    let goal = state
        .store
        .create_goal(
            &id,
            &spec.name,
            &definition,
            spec.starts_on,
            &caller.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(goal_json(&goal, &scope)?)))
}

/// `GET /api/v1/goals[?archived=true]`: the goals the caller may see (archived ones
/// only when asked).
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    QueryParams(params): QueryParams,
) -> Result<Json<Value>, ApiError> {
    only_known(&params, &["archived"])?;
    let archived = match params.get("archived").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(ApiError::invalid("archived", "must be true or false")),
    };
    let scope = read_scope_of(&state, &caller).await?;
    let mut goals = Vec::new();
    for goal in state.store.goals().await? {
        if goal.archived_at.is_some() != archived {
            continue;
        }
        match spec_of(&state, &goal) {
            Ok(spec) if scope.sees_goal(&spec) => goals.push(goal_json(&goal, &scope)?),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "a stored goal cannot be read; it is left out"),
        }
    }
    Ok(Json(Value::Array(goals)))
}

/// `GET /api/v1/goals/{id}`.
pub async fn get(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let (goal, scope) = visible_goal(&state, &caller, &id).await?;
    Ok(Json(goal_json(&goal, &scope)?))
}

/// `PATCH /api/v1/goals/{id}`: any of the creation fields but `id`; `"ends_on": null`
/// clears the end. Periods that ended before the change are closed first, with the
/// definition they ran under.
pub async fn update(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let scope = write_scope_of(&state, &caller).await?;
    only_fields(&body.0, &GOAL_FIELDS[1..])?;
    let goal = scoped_goal(&state, &scope, &id, Scope::covers_goal).await?;
    if goal.archived_at.is_some() {
        return Err(ApiError::Conflict(format!(
            "goal '{id}' is archived and cannot change"
        )));
    }
    let mut merged = match serde_json::from_str::<Value>(&goal.definition) {
        Ok(Value::Object(map)) => map,
        _ => {
            return Err(ApiError::Internal(format!(
                "goal '{id}' has an unreadable definition"
            )));
        }
    };
    merged.extend(body.0);
    let spec = parse_spec(&state, &merged).await?;
    if !scope.covers_goal(&spec) {
        return Err(out_of_scope());
    }
    state.app.close_due_periods(&goal).await?;
    let definition = spec.to_json(&state.org.currency).to_string();
    let goal = state
        .store
        .update_goal(
            &id,
            goal.revision,
            &spec.name,
            &definition,
            spec.starts_on,
            &caller.actor(),
        )
        .await?;
    Ok(Json(goal_json(&goal, &scope)?))
}

/// `DELETE /api/v1/goals/{id}`: archives the goal; its history and results stay.
pub async fn archive(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let scope = write_scope_of(&state, &caller).await?;
    let goal = scoped_goal(&state, &scope, &id, Scope::covers_goal).await?;
    state.app.close_due_periods(&goal).await?;
    let goal = state
        .store
        .archive_goal(&id, goal.revision, &caller.actor())
        .await?;
    Ok(Json(goal_json(&goal, &scope)?))
}

/// `GET /api/v1/goals/{id}/history`: every revision, who made it and when.
pub async fn history(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let (goal, scope) = visible_goal(&state, &caller, &id).await?;
    let revisions = state.store.goal_revisions(goal.key).await?;
    let list = revisions
        .iter()
        .map(|r| {
            let mut definition = serde_json::from_str::<Value>(&r.definition)
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            hide_assignees(&mut definition, &scope);
            Ok(json!({
                "revision": r.revision,
                "action": r.action,
                "actor": r.actor,
                "at": micros_json(r.at),
                "goal": definition,
            }))
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(Json(Value::Array(list)))
}

/// A goal the caller may see: 404 when there is none, 403 when it is not theirs.
pub(crate) async fn visible_goal(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(GoalRecord, Scope), ApiError> {
    let scope = read_scope_of(state, caller).await?;
    let goal = scoped_goal(state, &scope, id, Scope::sees_goal).await?;
    Ok((goal, scope))
}

/// A goal within a scope: 403 for one outside it and, for a limited scope, also for
/// one that does not exist, so that goal ids cannot be probed.
async fn scoped_goal(
    state: &AppState,
    scope: &Scope,
    id: &str,
    allowed: fn(&Scope, &GoalSpec) -> bool,
) -> Result<GoalRecord, ApiError> {
    let refused = || ApiError::Forbidden(format!("goal '{id}' is not one of yours"));
    match state.store.goal(id).await? {
        Some(goal) if allowed(scope, &spec_of(state, &goal)?) => Ok(goal),
        Some(_) => Err(refused()),
        None if scope.all => Err(ApiError::NotFound(format!("goal '{id}' does not exist"))),
        None => Err(refused()),
    }
}

pub(crate) async fn read_scope_of(state: &AppState, caller: &Caller) -> Result<Scope, ApiError> {
    let (memberships, supervises) = relations(state).await?;
    let today = state.org.calendar.day_of(jiff::Timestamp::now());
    Ok(read_scope(caller, &memberships, &supervises, today))
}

/// Whom a caller may credit with events and CRM records: anyone (`None`) for owners,
/// admins and integrations (a supervisor token bound to nobody); the people a
/// supervisor sees for a supervisor; only themself for an agent (nobody for a
/// wallboard token).
pub(crate) async fn credit_scope(
    state: &AppState,
    caller: &Caller,
) -> Result<Option<Scope>, ApiError> {
    match (caller.role, caller.user_id.as_deref()) {
        (Role::Owner | Role::Admin, _) | (Role::Supervisor, None) => Ok(None),
        (Role::Supervisor, Some(_)) => read_scope_of(state, caller).await.map(Some),
        (Role::Agent, own) => Ok(Some(Scope::only(own))),
    }
}

pub(crate) async fn write_scope_of(state: &AppState, caller: &Caller) -> Result<Scope, ApiError> {
    let (memberships, supervises) = relations(state).await?;
    write_scope(caller, &memberships, &supervises)
}

async fn relations(
    state: &AppState,
) -> Result<(Vec<MembershipRecord>, Vec<(String, String)>), ApiError> {
    Ok((
        state.store.memberships(None).await?,
        state.store.supervisors().await?,
    ))
}

fn out_of_scope() -> ApiError {
    ApiError::Forbidden(
        "a supervisor sets goals only for the teams they supervise and their members".into(),
    )
}
/// Parses a goal definition and checks that every assignee exists.
async fn parse_spec(state: &AppState, body: &Map<String, Value>) -> Result<GoalSpec, ApiError> {
    let today = state.org.calendar.day_of(jiff::Timestamp::now());
    let spec = GoalSpec::parse(body, &state.org.currency, today)
        .map_err(|e| ApiError::invalid(&e.field, e.message))?;
    let earliest = today.plus(-i32::try_from(MAX_RANGE_DAYS).unwrap_or(i32::MAX));
    if spec.starts_on < earliest {
        return Err(ApiError::invalid(
            "starts_on",
            format!("must be at most {MAX_RANGE_DAYS} days ago"),
        ));
    }
    for (i, assignee) in spec.assignees.iter().enumerate() {
        match assignee {
            Assignee::User(id) if state.store.user(id).await?.is_none() => {
                return Err(ApiError::invalid(
                    &format!("assignees[{i}].user_id"),
                    format!("user '{id}' does not exist"),
                ));
            }
            Assignee::Team(id, _) if state.store.team(id).await?.is_none() => {
                return Err(ApiError::invalid(
                    &format!("assignees[{i}].team_id"),
                    format!("team '{id}' does not exist"),
                ));
            }
            _ => {}
        }
    }
    Ok(spec)
}

/// The stored definition of a goal, parsed.
pub(crate) fn spec_of(state: &AppState, goal: &GoalRecord) -> Result<GoalSpec, ApiError> {
    definition_spec(state, &goal.definition)
        .map_err(|e| ApiError::Internal(format!("goal '{}': {e}", goal.id)))
}

/// A stored definition (of any revision), parsed.
pub(crate) fn definition_spec(state: &AppState, definition: &str) -> Result<GoalSpec, String> {
    let value: Value = serde_json::from_str(definition).map_err(|e| e.to_string())?;
    let map = value.as_object().ok_or("not an object")?;
    GoalSpec::parse(map, &state.org.currency, Day::from_number(0))
        .map_err(|e| format!("{}: {}", e.field, e.message))
}

/// A goal's JSON as a caller with `scope` sees it (see [`hide_assignees`]).
fn goal_json(goal: &GoalRecord, scope: &Scope) -> Result<Value, ApiError> {
    let mut value: Value = serde_json::from_str(&goal.definition)
        .map_err(|e| ApiError::Internal(format!("goal '{}': {e}", goal.id)))?;
    hide_assignees(&mut value, scope);
    let extra = json!({
        "id": goal.id,
        "archived": goal.archived_at.is_some(),
        "archived_at": goal.archived_at.map(micros_json),
        "revision": goal.revision,
        "created_at": micros_json(goal.created_at),
        "created_by": goal.created_by,
        "updated_at": micros_json(goal.updated_at),
        "updated_by": goal.updated_by,
    });
    if let (Some(map), Value::Object(extra)) = (value.as_object_mut(), extra) {
        map.extend(extra);
    }
    Ok(value)
}

/// Leaves out of a goal definition the assignees a limited caller does not see (a
/// supervisor sees a shared goal's own teams, not who else it is for), and says how
/// many there are in `other_assignees`.
fn hide_assignees(definition: &mut Value, scope: &Scope) {
    if scope.all {
        return;
    }
    let Some(list) = definition
        .get_mut("assignees")
        .and_then(Value::as_array_mut)
    else {
        return;
    };
    let before = list.len();
    list.retain(|a| {
        let text = |k: &str| a.get(k).and_then(Value::as_str);
        match (text("user_id"), text("team_id")) {
            (Some(user), _) => scope.sees_user(user),
            (None, Some(team)) => scope.sees_team(team),
            (None, None) => false,
        }
    });
    let hidden = before - list.len();
    if hidden > 0 {
        definition["other_assignees"] = json!(hidden);
    }
}

/// An instant in microseconds as RFC 3339 UTC.
pub(crate) fn micros_json(micros: i64) -> Value {
    jiff::Timestamp::from_microsecond(micros).map_or(Value::Null, |t| Value::String(t.to_string()))
}
