//! `/api/v1/goals`: create, list, read, change and archive KPI goals, and their
//! history — adapters of the application's goal services (`tally_app::goals`).

use super::json::micros_json;
use super::openapi;
use super::query::{JsonObject, PathId, QueryParams, only_known};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tally_app::goals::{GoalView, Revision, Shown};
use tally_core::Currency;

/// `POST /api/v1/goals`: owners, admins, and supervisors for their teams.
#[utoipa::path(post, path = "/api/v1/goals", operation_id = "create_goal", tag = "goals", request_body = openapi::GoalInput,
    responses((status = 201, description = "The created record, as stored", body = openapi::Goal), openapi::Refusals))]
pub async fn create(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let goal = state.app.create_goal(&caller, &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(goal_json(&goal, currency(&state))),
    ))
}

/// `GET /api/v1/goals[?archived=true]`: the goals the caller may see (archived ones
/// only when asked).
#[utoipa::path(get, path = "/api/v1/goals", operation_id = "list_goals", tag = "goals",
    params(("archived" = Option<bool>, Query, description = "`true`: only archived goals")),
    responses((status = 200, description = "The answer", body = Vec<openapi::Goal>), openapi::Refusals))]
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
    let goals = state.app.goals(&caller, archived).await?;
    let currency = currency(&state);
    Ok(Json(goals.iter().map(|g| goal_json(g, currency)).collect()))
}

/// `GET /api/v1/goals/{id}`.
#[utoipa::path(get, path = "/api/v1/goals/{id}", operation_id = "get_goal", tag = "goals",
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = openapi::Goal), openapi::Refusals))]
pub async fn get(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let goal = state.app.goal(&caller, &id).await?;
    Ok(Json(goal_json(&goal, currency(&state))))
}

/// `PATCH /api/v1/goals/{id}`: any of the creation fields but `id`; `"ends_on": null`
/// clears the end. Periods that ended before the change are closed first, with the
/// definition they ran under.
#[utoipa::path(patch, path = "/api/v1/goals/{id}", operation_id = "change_goal", tag = "goals", request_body = openapi::GoalInput,
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = openapi::Goal), openapi::Refusals))]
pub async fn update(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let goal = state.app.change_goal(&caller, &id, &body).await?;
    Ok(Json(goal_json(&goal, currency(&state))))
}

/// `DELETE /api/v1/goals/{id}`: archives the goal; its history and results stay.
#[utoipa::path(delete, path = "/api/v1/goals/{id}", operation_id = "archive_goal", tag = "goals",
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = openapi::Goal), openapi::Refusals))]
pub async fn archive(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let goal = state.app.archive_goal(&caller, &id).await?;
    Ok(Json(goal_json(&goal, currency(&state))))
}

/// `GET /api/v1/goals/{id}/history`: every revision, who made it and when.
#[utoipa::path(get, path = "/api/v1/goals/{id}/history", operation_id = "goal_history", tag = "goals",
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = Vec<openapi::GoalRevision>), openapi::Refusals))]
pub async fn history(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let revisions = state.app.goal_history(&caller, &id).await?;
    let currency = currency(&state);
    Ok(Json(
        revisions
            .iter()
            .map(|r| revision_json(r, currency))
            .collect(),
    ))
}

fn currency(state: &AppState) -> &Currency {
    &state.app.org().currency
}

/// A goal's JSON: its definition as the caller sees it, and its history fields.
fn goal_json(goal: &GoalView, currency: &Currency) -> Value {
    let mut value = definition_json(&goal.definition, currency);
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
    value
}

fn revision_json(revision: &Revision, currency: &Currency) -> Value {
    json!({
        "revision": revision.revision,
        "action": revision.action,
        "actor": revision.actor,
        "at": micros_json(revision.at),
        "goal": definition_json(&revision.definition, currency),
    })
}

/// A definition, with `other_assignees` counting those the caller does not see.
fn definition_json(shown: &Shown, currency: &Currency) -> Value {
    let mut value = shown.spec.to_json(currency);
    if shown.other_assignees > 0 {
        value["other_assignees"] = json!(shown.other_assignees);
    }
    value
}
