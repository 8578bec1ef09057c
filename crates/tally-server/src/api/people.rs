//! Users, teams, dated team memberships and supervisors: the application's people
//! services (`tally_app::people`) as JSON.

use super::openapi;
use super::query::{JsonObject, PathId};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tally_app::people::{NewPerson, PersonChange, PersonView};
use tally_core::{MembershipRecord, Team};

/// `POST /api/v1/users`: owners and admins add people (only an owner adds an owner).
#[utoipa::path(post, path = "/api/v1/users", tag = "people", request_body = openapi::PersonInput,
    responses((status = 201, description = "The created record, as stored", body = openapi::Person), openapi::Refusals))]
pub async fn create_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let person = NewPerson::read(&body)?;
    let person = state.app.create_person(&caller, person, None).await?;
    Ok((StatusCode::CREATED, Json(person_json(&person))))
}

/// `PATCH /api/v1/users/{id}` `{"name?", "email?", "role?", "extension?",
/// "extensions?", "active?"}`: owners and admins; only an owner changes an owner or
/// makes one. `null` clears the email or extension; `"active": false` takes the user
/// out of the users report.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "people", request_body = openapi::PersonInput,
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = openapi::Person), openapi::Refusals))]
pub async fn update_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let change = PersonChange::read(&body)?;
    let person = state.app.change_person(&caller, &id, change, None).await?;
    Ok(Json(person_json(&person)))
}

/// `GET /api/v1/users`: everyone for managers and supervisors; an agent sees themself.
#[utoipa::path(get, path = "/api/v1/users", tag = "people",
    responses((status = 200, description = "The answer", body = Vec<openapi::Person>), openapi::Refusals))]
pub async fn list_users(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Json<Value>, ApiError> {
    let people = state.app.people(&caller).await?;
    Ok(Json(Value::Array(people.iter().map(person_json).collect())))
}

/// `GET /api/v1/users/{id}`.
#[utoipa::path(get, path = "/api/v1/users/{id}", tag = "people",
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = openapi::Person), openapi::Refusals))]
pub async fn get_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(person_json(&state.app.person(&caller, &id).await?)))
}

/// `POST /api/v1/teams`: owners and admins.
#[utoipa::path(post, path = "/api/v1/teams", tag = "people", request_body = openapi::TeamInput,
    responses((status = 201, description = "The created record, as stored", body = openapi::Team), openapi::Refusals))]
pub async fn create_team(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let team = state.app.create_team(&caller, &body).await?;
    Ok((StatusCode::CREATED, Json(team_json(&team))))
}

/// `GET /api/v1/teams`: every team; an agent sees only the teams they belong to.
#[utoipa::path(get, path = "/api/v1/teams", tag = "people",
    responses((status = 200, description = "The answer", body = Vec<openapi::Team>), openapi::Refusals))]
pub async fn list_teams(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Json<Value>, ApiError> {
    let teams = state.app.teams(&caller).await?;
    Ok(Json(Value::Array(teams.iter().map(team_json).collect())))
}

/// `GET /api/v1/teams/{id}`: the team with its memberships.
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "people",
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = openapi::TeamWithMembers), openapi::Refusals))]
pub async fn get_team(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let view = state.app.team(&caller, &id).await?;
    let mut body = team_json(&view.team);
    body["members"] = Value::Array(view.members.iter().map(membership_json).collect());
    Ok(Json(body))
}

/// `POST /api/v1/teams/{id}/members` `{"user_id", "from", "to?"}`: owners and admins.
/// The same user and `from` again sets `to` (ends the membership).
#[utoipa::path(post, path = "/api/v1/teams/{id}/members", tag = "people",
    request_body = openapi::MembershipInput, params(("id" = String, Path)),
    responses((status = 201, description = "The created record, as stored", body = openapi::Membership), openapi::Refusals))]
pub async fn add_member(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(team_id): PathId,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let membership = state.app.add_member(&caller, &team_id, &body).await?;
    Ok((StatusCode::CREATED, Json(membership_json(&membership))))
}

/// `GET /api/v1/teams/{id}/members`.
#[utoipa::path(get, path = "/api/v1/teams/{id}/members", tag = "people",
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = Vec<openapi::Membership>), openapi::Refusals))]
pub async fn list_members(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(team_id): PathId,
) -> Result<Json<Value>, ApiError> {
    let view = state.app.team(&caller, &team_id).await?;
    Ok(Json(Value::Array(
        view.members.iter().map(membership_json).collect(),
    )))
}

/// `POST /api/v1/teams/{id}/supervisors` `{"user_id"}`: owners and admins make a user
/// a supervisor of the team (they then set goals for it and its members).
#[utoipa::path(post, path = "/api/v1/teams/{id}/supervisors", tag = "people",
    request_body = openapi::SupervisorInput, params(("id" = String, Path)),
    responses((status = 201, description = "The created record, as stored", body = openapi::Supervisor), openapi::Refusals))]
pub async fn add_supervisor(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(team_id): PathId,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user_id = state.app.add_supervisor(&caller, &team_id, &body).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"team_id": team_id, "user_id": user_id})),
    ))
}

/// `GET /api/v1/teams/{id}/supervisors`: every role that sees the team.
#[utoipa::path(get, path = "/api/v1/teams/{id}/supervisors", tag = "people",
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = Vec<openapi::Supervisor>), openapi::Refusals))]
pub async fn list_supervisors(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(team_id): PathId,
) -> Result<Json<Value>, ApiError> {
    let users = state.app.supervisors(&caller, &team_id).await?;
    let list = users
        .iter()
        .map(|user| json!({"team_id": team_id, "user_id": user}))
        .collect();
    Ok(Json(Value::Array(list)))
}

/// `DELETE /api/v1/teams/{id}/supervisors/{user_id}`: owners and admins.
#[utoipa::path(delete, path = "/api/v1/teams/{id}/supervisors/{user_id}", tag = "people",
    params(("id" = String, Path), ("user_id" = String, Path)),
    responses((status = 204, description = "No longer a supervisor of the team"), openapi::Refusals))]
pub async fn remove_supervisor(
    State(state): State<AppState>,
    Auth(caller): Auth,
    axum::extract::Path((team_id, user_id)): axum::extract::Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    state
        .app
        .remove_supervisor(&caller, &team_id, &user_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A person's JSON; a wallboard's has no contact details.
pub fn person_json(person: &PersonView) -> Value {
    let mut json = json!({
        "id": person.id, "name": person.name, "role": person.role, "active": person.active,
    });
    if let Some(contact) = &person.contact {
        json["email"] = json!(contact.email);
        json["extension"] = json!(contact.extension);
        json["extensions"] = json!(contact.extensions);
    }
    json
}

fn team_json(team: &Team) -> Value {
    json!({"id": team.id, "name": team.name})
}

fn membership_json(m: &MembershipRecord) -> Value {
    json!({
        "id": m.key, "team_id": m.team_id, "user_id": m.user_id,
        "from": m.from.to_string(), "to": m.to.map(|d| d.to_string()),
    })
}
