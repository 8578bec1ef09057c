//! The admin pages (owner, admin): users with roles, passwords and phone extensions;
//! teams with dated memberships and supervisors; API tokens, shown once and revocable.
//! Changes go through the JSON API's handlers with the signed-in person as the caller.

use super::{Chrome, PageError, Viewer, may_administer, render};
use crate::AppState;
use crate::api::people as api;
use crate::api::query::{JsonObject, PathId};
use crate::auth::{hash_password, hash_token, new_token_secret};
use crate::error::ApiError;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use tally_core::Role;

const ROLES: [Role; 4] = [Role::Owner, Role::Admin, Role::Supervisor, Role::Agent];

/// A user as listed and edited.
#[derive(Default)]
pub struct UserLine {
    pub id: String,
    pub name: String,
    pub email: String,
    pub role: String,
    pub role_name: String,
    pub extensions: String,
    pub active: bool,
}

/// A role in a menu.
pub struct RoleOption {
    pub key: &'static str,
    pub name: &'static str,
}

/// A team with its memberships and supervisors.
pub struct TeamLine {
    pub id: String,
    pub name: String,
    /// (name, from, to or "now").
    pub members: Vec<(String, String, String)>,
    /// (user id, name).
    pub supervisors: Vec<(String, String)>,
}

/// A token as listed.
pub struct TokenLine {
    pub key: i64,
    pub name: String,
    pub role_name: String,
    pub user: String,
    pub created: String,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "admin_users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserLine>,
    roles: Vec<RoleOption>,
    form: UserLine,
    error: String,
    saved: bool,
}

#[derive(Template)]
#[template(path = "admin_user.html")]
struct UserPage {
    chrome: Chrome,
    user: UserLine,
    roles: Vec<RoleOption>,
    error: String,
}

#[derive(Template)]
#[template(path = "admin_teams.html")]
struct TeamsPage {
    chrome: Chrome,
    teams: Vec<TeamLine>,
    users: Vec<(String, String)>,
    error: String,
}

#[derive(Template)]
#[template(path = "admin_tokens.html")]
struct TokensPage {
    chrome: Chrome,
    tokens: Vec<TokenLine>,
    roles: Vec<RoleOption>,
    users: Vec<(String, String)>,
    secret: String,
    error: String,
}

type Pairs = Form<Vec<(String, String)>>;

/// Refuses the admin pages to supervisors and agents before anything else is read.
fn require_admin(viewer: &Viewer) -> Result<(), PageError> {
    if may_administer(viewer.user.role) {
        return Ok(());
    }
    Err(PageError(ApiError::Forbidden(format!(
        "the {} role may not manage users, teams or tokens",
        viewer.user.role
    ))))
}

fn field(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .unwrap_or_default()
}

fn roles(viewer: &Viewer) -> Vec<RoleOption> {
    ROLES
        .iter()
        .filter(|r| viewer.user.role.may_grant(**r))
        .map(|r| RoleOption {
            key: r.as_str(),
            name: viewer.t().role(*r),
        })
        .collect()
}

/// An error as shown above a form: the field, then what is wrong.
fn message(error: ApiError) -> Result<String, PageError> {
    match error {
        e @ (ApiError::Invalid { .. } | ApiError::Conflict(_) | ApiError::NotFound(_)) => {
            Ok(e.to_string())
        }
        other => Err(PageError(other)),
    }
}

fn user_line(viewer: &Viewer, user: &Value) -> UserLine {
    let text = |k: &str| {
        user.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut extensions: Vec<String> = user
        .get("extension")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .into_iter()
        .collect();
    if let Some(more) = user.get("extensions").and_then(Value::as_array) {
        extensions.extend(more.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    let role = text("role");
    UserLine {
        role_name: role
            .parse()
            .map(|r| viewer.t().role(r))
            .unwrap_or_default()
            .to_owned(),
        id: text("id"),
        name: text("name"),
        email: text("email"),
        role,
        extensions: extensions.join(", "),
        active: user.get("active").and_then(Value::as_bool).unwrap_or(false),
    }
}

/// The extensions as typed ("201, 1001"): the first is the main one.
fn extensions_json(body: &mut Map<String, Value>, typed: &str) {
    let mut list: Vec<&str> = typed
        .split([',', ' ', ';'])
        .filter(|e| !e.is_empty())
        .collect();
    let main = if list.is_empty() {
        Value::Null
    } else {
        json!(list.remove(0))
    };
    body.insert("extension".into(), main);
    body.insert("extensions".into(), json!(list));
}

async fn users_page(
    state: &AppState,
    viewer: &Viewer,
    form: UserLine,
    error: String,
    saved: bool,
) -> Result<Response, PageError> {
    let axum::Json(all) = api::list_users(State(state.clone()), viewer.caller.clone()).await?;
    let users = all
        .as_array()
        .map(|a| a.iter().map(|u| user_line(viewer, u)).collect())
        .unwrap_or_default();
    let invalid = !error.is_empty();
    let mut response = render(&UsersPage {
        chrome: viewer.chrome("users", "/admin/users"),
        users,
        roles: roles(viewer),
        form,
        error,
        saved,
    })?;
    if invalid {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// `GET /admin/users`
pub async fn users(
    State(state): State<AppState>,
    viewer: Viewer,
    crate::api::query::QueryParams(query): crate::api::query::QueryParams,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let form = UserLine {
        role: "agent".into(),
        active: true,
        ..UserLine::default()
    };
    users_page(
        &state,
        &viewer,
        form,
        String::new(),
        query.contains_key("saved"),
    )
    .await
}

/// `POST /admin/users`: creates a user, with a password when one is given.
pub async fn create_user(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(pairs): Pairs,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let form = UserLine {
        id: field(&pairs, "id"),
        name: field(&pairs, "name"),
        email: field(&pairs, "email"),
        role: field(&pairs, "role"),
        extensions: field(&pairs, "extensions"),
        ..UserLine::default()
    };
    let password = pairs
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let hash = match (!password.is_empty())
        .then(|| hash_password(&password))
        .transpose()
    {
        Ok(hash) => hash,
        Err(e) => return users_page(&state, &viewer, form, message(e)?, false).await,
    };
    let mut body = Map::new();
    if !form.id.is_empty() {
        body.insert("id".into(), json!(form.id));
    }
    body.insert("name".into(), json!(form.name));
    body.insert("role".into(), json!(form.role));
    if !form.email.is_empty() {
        body.insert("email".into(), json!(form.email));
    }
    extensions_json(&mut body, &form.extensions);
    match api::create_user(
        State(state.clone()),
        viewer.caller.clone(),
        JsonObject(body),
    )
    .await
    {
        Ok((_, axum::Json(user))) => {
            if let (Some(hash), Some(id)) = (hash, user.get("id").and_then(Value::as_str)) {
                state.store.set_password_hash(id, &hash).await?;
            }
            Ok(Redirect::to("/admin/users?saved=1").into_response())
        }
        Err(e) => users_page(&state, &viewer, form, message(e)?, false).await,
    }
}

async fn user_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    edited: Option<UserLine>,
    error: String,
) -> Result<Response, PageError> {
    let axum::Json(stored) = api::get_user(
        State(state.clone()),
        viewer.caller.clone(),
        PathId(id.to_owned()),
    )
    .await?;
    let invalid = !error.is_empty();
    let mut response = render(&UserPage {
        chrome: viewer.chrome(
            "users",
            &format!("/admin/users/{}", super::session::encode(id)),
        ),
        user: edited.unwrap_or_else(|| user_line(viewer, &stored)),
        roles: roles(viewer),
        error,
    })?;
    if invalid {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// `GET /admin/users/{id}`
pub async fn user_form(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(id): PathId,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    user_page(&state, &viewer, &id, None, String::new()).await
}

/// `POST /admin/users/{id}`: changes a user; a new password ends their sessions.
pub async fn update_user(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(id): PathId,
    Form(pairs): Pairs,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let edited = UserLine {
        id: id.clone(),
        name: field(&pairs, "name"),
        email: field(&pairs, "email"),
        role: field(&pairs, "role"),
        extensions: field(&pairs, "extensions"),
        active: field(&pairs, "active") == "on",
        role_name: String::new(),
    };
    let password = pairs
        .iter()
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let hash = match (!password.is_empty())
        .then(|| hash_password(&password))
        .transpose()
    {
        Ok(hash) => hash,
        Err(e) => return user_page(&state, &viewer, &id, Some(edited), message(e)?).await,
    };
    let mut body = Map::new();
    body.insert("name".into(), json!(edited.name));
    body.insert("role".into(), json!(edited.role));
    body.insert(
        "email".into(),
        if edited.email.is_empty() {
            Value::Null
        } else {
            json!(edited.email)
        },
    );
    body.insert("active".into(), json!(edited.active));
    extensions_json(&mut body, &edited.extensions);
    match api::update_user(
        State(state.clone()),
        viewer.caller.clone(),
        PathId(id.clone()),
        JsonObject(body),
    )
    .await
    {
        Ok(_) => {
            let user = state
                .store
                .user(&id)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("user '{id}' does not exist")))?;
            if let Some(hash) = hash {
                state.store.set_password_hash(&id, &hash).await?;
                state.store.delete_sessions_of(user.key).await?;
            } else if !user.active {
                state.store.delete_sessions_of(user.key).await?;
            }
            Ok(Redirect::to("/admin/users?saved=1").into_response())
        }
        Err(e) => user_page(&state, &viewer, &id, Some(edited), message(e)?).await,
    }
}

async fn teams_page(
    state: &AppState,
    viewer: &Viewer,
    error: String,
) -> Result<Response, PageError> {
    let users = state.store.users().await?;
    let names: HashMap<&str, &str> = users
        .iter()
        .map(|u| (u.id.as_str(), u.name.as_str()))
        .collect();
    let memberships = state.store.memberships(None).await?;
    let supervisors = state.store.supervisors().await?;
    let lang = viewer.lang;
    let teams = state
        .store
        .teams()
        .await?
        .into_iter()
        .map(|team| TeamLine {
            members: memberships
                .iter()
                .filter(|m| m.team_id == team.id)
                .map(|m| {
                    (
                        names
                            .get(m.user_id.as_str())
                            .copied()
                            .unwrap_or(&m.user_id)
                            .to_owned(),
                        super::format::date(m.from, lang),
                        m.to.map_or_else(
                            || viewer.t().still_member.to_owned(),
                            |d| super::format::date(d, lang),
                        ),
                    )
                })
                .collect(),
            supervisors: supervisors
                .iter()
                .filter(|(t, _)| *t == team.id)
                .map(|(_, u)| {
                    (
                        u.clone(),
                        names.get(u.as_str()).copied().unwrap_or(u).to_owned(),
                    )
                })
                .collect(),
            id: team.id,
            name: team.name,
        })
        .collect();
    let invalid = !error.is_empty();
    let mut response = render(&TeamsPage {
        chrome: viewer.chrome("teams", "/admin/teams"),
        teams,
        users: users
            .iter()
            .filter(|u| u.active)
            .map(|u| (u.id.clone(), u.name.clone()))
            .collect(),
        error,
    })?;
    if invalid {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

/// Shows the teams page again after a change, or with the change's error.
async fn after_team_change<T>(
    state: &AppState,
    viewer: &Viewer,
    outcome: Result<T, ApiError>,
) -> Result<Response, PageError> {
    match outcome {
        Ok(_) => Ok(Redirect::to("/admin/teams").into_response()),
        Err(e) => teams_page(state, viewer, message(e)?).await,
    }
}

/// `GET /admin/teams`
pub async fn teams(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    teams_page(&state, &viewer, String::new()).await
}

/// `POST /admin/teams`
pub async fn create_team(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(pairs): Pairs,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let mut body = Map::new();
    let id = field(&pairs, "id");
    if !id.is_empty() {
        body.insert("id".into(), json!(id));
    }
    body.insert("name".into(), json!(field(&pairs, "name")));
    let outcome = api::create_team(
        State(state.clone()),
        viewer.caller.clone(),
        JsonObject(body),
    )
    .await;
    after_team_change(&state, &viewer, outcome).await
}

/// `POST /admin/teams/{id}/members`: a membership from a day, to a day or open.
pub async fn add_member(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(team): PathId,
    Form(pairs): Pairs,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let mut body = Map::new();
    body.insert("user_id".into(), json!(field(&pairs, "user_id")));
    body.insert("from".into(), json!(field(&pairs, "from")));
    let to = field(&pairs, "to");
    if !to.is_empty() {
        body.insert("to".into(), json!(to));
    }
    let outcome = api::add_member(
        State(state.clone()),
        viewer.caller.clone(),
        PathId(team),
        JsonObject(body),
    )
    .await;
    after_team_change(&state, &viewer, outcome).await
}

/// `POST /admin/teams/{id}/supervisors`
pub async fn add_supervisor(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(team): PathId,
    Form(pairs): Pairs,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let body = JsonObject(Map::from_iter([(
        "user_id".to_owned(),
        json!(field(&pairs, "user_id")),
    )]));
    let outcome = api::add_supervisor(
        State(state.clone()),
        viewer.caller.clone(),
        PathId(team),
        body,
    )
    .await;
    after_team_change(&state, &viewer, outcome).await
}

/// `POST /admin/teams/{id}/supervisors/{user_id}/remove`
pub async fn remove_supervisor(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((team, user)): Path<(String, String)>,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let outcome = api::remove_supervisor(
        State(state.clone()),
        viewer.caller.clone(),
        Path((team, user)),
    )
    .await;
    after_team_change(&state, &viewer, outcome).await
}

async fn tokens_page(
    state: &AppState,
    viewer: &Viewer,
    secret: String,
    error: String,
) -> Result<Response, PageError> {
    let users = state.store.users().await?;
    let tokens = state
        .store
        .tokens()
        .await?
        .into_iter()
        .map(|t| TokenLine {
            key: t.key,
            name: t.name,
            role_name: viewer.t().role(t.role).to_owned(),
            user: t.user_id.unwrap_or_default(),
            created: jiff::Timestamp::from_second(t.created_at)
                .map(|at| super::format::date(state.org.calendar.day_of(at), viewer.lang))
                .unwrap_or_default(),
            revoked: t.revoked,
        })
        .collect();
    let invalid = !error.is_empty();
    let mut response = render(&TokensPage {
        chrome: viewer.chrome("tokens", "/admin/tokens"),
        tokens,
        roles: roles(viewer),
        users: users
            .iter()
            .filter(|u| u.active)
            .map(|u| (u.id.clone(), u.name.clone()))
            .collect(),
        secret,
        error,
    })?;
    if invalid {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(response)
}

/// `GET /admin/tokens`
pub async fn tokens(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    tokens_page(&state, &viewer, String::new(), String::new()).await
}

/// `POST /admin/tokens`: a new token, its secret shown on this answer only.
pub async fn create_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(pairs): Pairs,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let name = field(&pairs, "name");
    let user = field(&pairs, "user_id");
    let role = match field(&pairs, "role").parse::<Role>() {
        Ok(role) if viewer.user.role.may_grant(role) => role,
        Ok(role) => {
            return Err(PageError(ApiError::Forbidden(format!(
                "the {} role may not create a {role} token",
                viewer.user.role
            ))));
        }
        Err(e) => return tokens_page(&state, &viewer, String::new(), format!("role: {e}")).await,
    };
    if name.is_empty() || name.chars().count() > 200 {
        return tokens_page(
            &state,
            &viewer,
            String::new(),
            "name: must have 1 to 200 characters".into(),
        )
        .await;
    }
    let secret = new_token_secret();
    let user = (!user.is_empty()).then_some(user.as_str());
    match state
        .store
        .create_token(&name, role, user, &hash_token(&secret))
        .await
    {
        Ok(_) => {
            tracing::info!(token = %name, by = %viewer.user.id, "API token created");
            tokens_page(&state, &viewer, secret, String::new()).await
        }
        Err(e) => tokens_page(&state, &viewer, String::new(), message(e.into())?).await,
    }
}

/// `POST /admin/tokens/{key}/revoke`
pub async fn revoke_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<i64>,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    state.store.revoke_token(key).await?;
    tracing::info!(token = key, by = %viewer.user.id, "API token revoked");
    Ok(Redirect::to("/admin/tokens").into_response())
}
