//! Users, teams and dated team memberships.

use super::query::{JsonObject, PathId};
use crate::AppState;
use crate::auth::{Auth, Caller};
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rand::RngCore;
use serde_json::{Value, json};
use tally_core::Role;
use tally_core::event::MAX_ID_CHARS;
use tally_store::{MembershipRecord, NewUser, Team, User};

const MANAGERS: [Role; 2] = [Role::Owner, Role::Admin];

/// `POST /api/v1/users`: owners and admins add people (only an owner adds an owner).
pub async fn create_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    body: JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = create_user_with(&state, &caller, &body, None).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Creates a user from an API body, with a password hash when the pages or the command
/// line give one (stored in the same statement as the user).
pub async fn create_user_with(
    state: &AppState,
    caller: &Caller,
    body: &JsonObject,
    password_hash: Option<&str>,
) -> Result<Value, ApiError> {
    caller.require(&MANAGERS, "create users")?;
    let role: Role = body
        .text("role", 20)?
        .parse()
        .map_err(|e: tally_core::role::UnknownRole| ApiError::invalid("role", e.to_string()))?;
    if !caller.role.may_grant(role) {
        return Err(ApiError::Forbidden(format!(
            "the {} role may not create a user with role {role}",
            caller.role
        )));
    }
    let user = NewUser {
        id: body
            .optional_text("id", MAX_ID_CHARS)?
            .unwrap_or_else(|| new_id("u")),
        name: body.text("name", 200)?,
        email: email(body)?,
        role,
        extension: extension(body)?,
    };
    let more = more_extensions(state, body, None).await?;
    check_main_extension(state, user.extension.as_deref(), None).await?;
    let user = state
        .store
        .create_user_with_password(&user, password_hash)
        .await?;
    if let Some(more) = &more {
        state.store.set_more_extensions(user.key, more).await?;
    }
    user_view(state, &user).await
}

/// `PATCH /api/v1/users/{id}` `{"name?", "email?", "role?", "extension?", "active?"}`:
/// owners and admins; only an owner changes an owner or makes one. `null` clears the
/// email or extension; `"active": false` takes the user out of the users report.
pub async fn update_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
    body: JsonObject,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(
        update_user_with(&state, &caller, &id, &body, None).await?,
    ))
}

/// Changes a user from an API body and, when given, their password hash (saved with
/// the user, ending their sessions).
pub async fn update_user_with(
    state: &AppState,
    caller: &Caller,
    id: &str,
    body: &JsonObject,
    password_hash: Option<&str>,
) -> Result<Value, ApiError> {
    caller.require(&MANAGERS, "change users")?;
    let mut user = state
        .store
        .user(id)
        .await?
        .ok_or_else(|| not_found("user", id))?;
    let previous_role = user.role;
    if let Some(role) = body.optional_text("role", 20)? {
        user.role = role
            .parse()
            .map_err(|e: tally_core::role::UnknownRole| ApiError::invalid("role", e.to_string()))?;
    }
    if [previous_role, user.role]
        .iter()
        .any(|role| !caller.role.may_grant(*role))
    {
        return Err(ApiError::Forbidden(format!(
            "the {} role may not change an owner",
            caller.role
        )));
    }
    if let Some(name) = body.optional_text("name", 200)? {
        user.name = name;
    }
    if body.0.contains_key("email") {
        user.email = email(body)?;
    }
    if let Some(extension) = body.nullable_text("extension", 20)? {
        user.extension = extension;
        extension_valid(user.extension.as_deref())?;
    }
    if let Some(active) = body.optional_bool("active")? {
        user.active = active;
    }
    let more = more_extensions(state, body, Some(&user.id)).await?;
    check_main_extension(state, user.extension.as_deref(), Some(&user.id)).await?;
    let user = state
        .store
        .save_user_with_password(&user, Some(previous_role), password_hash)
        .await?;
    if let Some(more) = &more {
        state.store.set_more_extensions(user.key, more).await?;
    }
    user_view(state, &user).await
}

/// `GET /api/v1/users`: everyone for managers and supervisors; an agent sees themself.
pub async fn list_users(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Json<Value>, ApiError> {
    let users = state.store.users().await?;
    let visible = users
        .iter()
        .filter(|u| caller.limited_to().is_none_or(|own| own == u.id));
    let more = state.store.all_more_extensions().await?;
    let none = Vec::new();
    let list = visible.map(|u| {
        let json = user_json(u, more.get(&u.key).unwrap_or(&none));
        for_caller(&caller, json)
    });
    Ok(Json(Value::Array(list.collect())))
}

/// A user's JSON as this caller may see it: a wallboard (an agent token bound to
/// nobody) shows names on a screen and does not read emails or extensions.
fn for_caller(caller: &Caller, mut user: Value) -> Value {
    if caller.is_wallboard()
        && let Some(map) = user.as_object_mut()
    {
        map.remove("email");
        map.remove("extension");
        map.remove("extensions");
    }
    user
}

/// `GET /api/v1/users/{id}`.
pub async fn get_user(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    if caller.limited_to().is_some_and(|own| own != id) {
        return Err(ApiError::Forbidden(
            "an agent may only see their own user".into(),
        ));
    }
    let user = state
        .store
        .user(&id)
        .await?
        .ok_or_else(|| not_found("user", &id))?;
    Ok(Json(for_caller(&caller, user_view(&state, &user).await?)))
}

/// `POST /api/v1/teams`: owners and admins.
pub async fn create_team(
    State(state): State<AppState>,
    Auth(caller): Auth,
    body: JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(&MANAGERS, "create teams")?;
    let id = body
        .optional_text("id", MAX_ID_CHARS)?
        .unwrap_or_else(|| new_id("t"));
    let team = state
        .store
        .create_team(&id, &body.text("name", 200)?)
        .await?;
    Ok((StatusCode::CREATED, Json(team_json(&team))))
}

/// `GET /api/v1/teams`: every team; an agent sees only the teams they belong to.
pub async fn list_teams(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Json<Value>, ApiError> {
    let mut teams = state.store.teams().await?;
    if let Some(own) = caller.limited_to() {
        let memberships = state.store.memberships(None).await?;
        teams.retain(|t| {
            memberships
                .iter()
                .any(|m| m.team_key == t.key && m.user_id == own)
        });
    }
    Ok(Json(Value::Array(teams.iter().map(team_json).collect())))
}

/// `GET /api/v1/teams/{id}`: the team with its memberships.
pub async fn get_team(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let (team, members) = team_and_members(&state, &caller, &id).await?;
    let mut body = team_json(&team);
    body["members"] = Value::Array(members.iter().map(membership_json).collect());
    Ok(Json(body))
}

/// `POST /api/v1/teams/{id}/members` `{"user_id", "from", "to?"}`: owners and admins.
/// The same user and `from` again sets `to` (ends the membership).
pub async fn add_member(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(team_id): PathId,
    body: JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(&MANAGERS, "change team memberships")?;
    let user_id = body.text("user_id", MAX_ID_CHARS)?;
    let from = body
        .optional_day("from")?
        .ok_or_else(|| ApiError::invalid("from", "is required"))?;
    let to = body.optional_day("to")?;
    let membership = state
        .store
        .add_membership(&team_id, &user_id, from, to)
        .await?;
    Ok((StatusCode::CREATED, Json(membership_json(&membership))))
}

/// `GET /api/v1/teams/{id}/members`.
pub async fn list_members(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(team_id): PathId,
) -> Result<Json<Value>, ApiError> {
    let (_, members) = team_and_members(&state, &caller, &team_id).await?;
    Ok(Json(Value::Array(
        members.iter().map(membership_json).collect(),
    )))
}

/// A team and its memberships; an agent may only see a team they belong to (and gets
/// 403 for any other, existing or not, so team ids are not revealed).
async fn team_and_members(
    state: &AppState,
    caller: &Caller,
    id: &str,
) -> Result<(Team, Vec<MembershipRecord>), ApiError> {
    let team = state.store.team(id).await?;
    let members = match &team {
        Some(team) => state.store.memberships(Some(team.key)).await?,
        None => Vec::new(),
    };
    if let Some(own) = caller.limited_to()
        && !members.iter().any(|m| m.user_id == own)
    {
        return Err(ApiError::Forbidden(
            "an agent may only see their own teams".into(),
        ));
    }
    let team = team.ok_or_else(|| not_found("team", id))?;
    Ok((team, members))
}

fn email(body: &JsonObject) -> Result<Option<String>, ApiError> {
    let email = body.optional_text("email", 254)?;
    if let Some(email) = &email {
        let valid = email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !email.contains(char::is_whitespace)
        });
        if !valid {
            return Err(ApiError::invalid(
                "email",
                "must be an email address such as lan@example.vn",
            ));
        }
    }
    Ok(email.map(|e| e.to_lowercase()))
}

fn extension(body: &JsonObject) -> Result<Option<String>, ApiError> {
    let extension = body.optional_text("extension", 20)?;
    extension_valid(extension.as_deref())?;
    Ok(extension)
}

fn extension_valid(extension: Option<&str>) -> Result<(), ApiError> {
    if extension
        .as_ref()
        .is_some_and(|e| !e.chars().all(|c| c.is_ascii_digit() || "*#+".contains(c)))
    {
        return Err(ApiError::invalid(
            "extension",
            "must be digits (and * # +), such as 101",
        ));
    }
    Ok(())
}

/// A new random id such as `u-3f9a1c2b7d4e`.
pub(super) fn new_id(prefix: &str) -> String {
    let mut bytes = [0u8; 6];
    rand::rng().fill_bytes(&mut bytes);
    format!("{prefix}-{}", hex::encode(bytes))
}

pub(super) fn not_found(what: &str, id: &str) -> ApiError {
    ApiError::NotFound(format!("{what} '{id}' does not exist"))
}

fn user_json(user: &User, more_extensions: &[String]) -> Value {
    json!({
        "id": user.id, "name": user.name, "email": user.email, "role": user.role,
        "extension": user.extension, "extensions": more_extensions, "active": user.active,
    })
}

async fn user_view(state: &AppState, user: &User) -> Result<Value, ApiError> {
    Ok(user_json(
        user,
        &state.store.more_extensions(user.key).await?,
    ))
}

/// `extensions`: the user's phone extensions besides `extension` (all of them
/// replaced), none of which another user may have.
async fn more_extensions(
    state: &AppState,
    body: &JsonObject,
    user: Option<&str>,
) -> Result<Option<Vec<String>>, ApiError> {
    let list = match body.0.get("extensions") {
        None => return Ok(None),
        Some(Value::Null) => return Ok(Some(Vec::new())),
        Some(Value::Array(list)) if list.len() <= 20 => list,
        Some(_) => {
            return Err(ApiError::invalid(
                "extensions",
                "must be a list of at most 20 extensions",
            ));
        }
    };
    let mut extensions: Vec<String> = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let field = format!("extensions[{i}]");
        let text = item
            .as_str()
            .map(str::trim)
            .filter(|t| !t.is_empty() && t.len() <= 20)
            .ok_or_else(|| ApiError::invalid(&field, "must be an extension such as 201"))?;
        extension_valid(Some(text))
            .map_err(|_| ApiError::invalid(&field, "must be digits (and * # +), such as 201"))?;
        if !extensions.iter().any(|e| e == text) {
            extensions.push(text.to_owned());
        }
        check_main_extension(state, Some(text), user).await?;
    }
    Ok(Some(extensions))
}

/// An extension maps calls to one user: another user's is a conflict.
async fn check_main_extension(
    state: &AppState,
    extension: Option<&str>,
    user: Option<&str>,
) -> Result<(), ApiError> {
    let Some(extension) = extension else {
        return Ok(());
    };
    let holders = state.store.extension_holders(extension).await?;
    match holders.iter().find(|h| Some(h.as_str()) != user) {
        Some(other) => Err(ApiError::Conflict(format!(
            "extension {extension} already belongs to user '{other}'"
        ))),
        None => Ok(()),
    }
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

/// `POST /api/v1/teams/{id}/supervisors` `{"user_id"}`: owners and admins make a user
/// a supervisor of the team (they then set goals for it and its members).
pub async fn add_supervisor(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(team_id): PathId,
    body: JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(&MANAGERS, "change who supervises a team")?;
    let user_id = body.text("user_id", MAX_ID_CHARS)?;
    state.store.add_supervisor(&team_id, &user_id).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"team_id": team_id, "user_id": user_id})),
    ))
}

/// `GET /api/v1/teams/{id}/supervisors`: every role that sees the team.
pub async fn list_supervisors(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(team_id): PathId,
) -> Result<Json<Value>, ApiError> {
    let scope = super::goals::read_scope_of(&state, &caller).await?;
    if !scope.sees_team(&team_id) {
        return Err(ApiError::Forbidden(format!(
            "team '{team_id}' is not one of the teams you see"
        )));
    }
    state
        .store
        .team(&team_id)
        .await?
        .ok_or_else(|| not_found("team", &team_id))?;
    let list: Vec<Value> = state
        .store
        .supervisors()
        .await?
        .into_iter()
        .filter(|(team, _)| *team == team_id)
        .map(|(team, user)| json!({"team_id": team, "user_id": user}))
        .collect();
    Ok(Json(Value::Array(list)))
}

/// `DELETE /api/v1/teams/{id}/supervisors/{user_id}`: owners and admins.
pub async fn remove_supervisor(
    State(state): State<AppState>,
    Auth(caller): Auth,
    axum::extract::Path((team_id, user_id)): axum::extract::Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    caller.require(&MANAGERS, "change who supervises a team")?;
    match state.store.remove_supervisor(&team_id, &user_id).await? {
        true => Ok(StatusCode::NO_CONTENT),
        false => Err(ApiError::NotFound(format!(
            "'{user_id}' does not supervise team '{team_id}'"
        ))),
    }
}
