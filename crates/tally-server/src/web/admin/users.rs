//! `/admin/users`: the people, with their roles, extensions and passwords.

use super::{RoleOption, message, require_admin, roles};
use crate::AppState;
use crate::api::people as api;
use crate::api::query::{JsonObject, PathId, QueryParams};
use crate::auth::Auth;
use crate::auth::hash_password_off_thread;
use crate::web::{
    Chrome, PageError, Pairs, Viewer, form_field, form_secret, render, unprocessable_if,
};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, Value, json};

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

fn user_line(viewer: &Viewer, user: &Value) -> UserLine {
    let text = |k: &str| {
        user.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let main = user.get("extension").and_then(Value::as_str);
    let more = user.get("extensions").and_then(Value::as_array);
    let extensions: Vec<&str> = main
        .into_iter()
        .chain(more.into_iter().flatten().filter_map(Value::as_str))
        .collect();
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

/// The form's fields as the API's body; the extensions as typed ("201, 1001"): the
/// first is the main one.
fn body_of(form: &UserLine, creating: bool) -> JsonObject {
    let mut body = Map::new();
    if creating && !form.id.is_empty() {
        body.insert("id".into(), json!(form.id));
    }
    body.insert("name".into(), json!(form.name));
    body.insert("role".into(), json!(form.role));
    match (creating, form.email.is_empty()) {
        (_, false) => body.insert("email".into(), json!(form.email)),
        (false, true) => body.insert("email".into(), Value::Null),
        (true, true) => None,
    };
    if !creating {
        body.insert("active".into(), json!(form.active));
    }
    let mut list: Vec<&str> = form
        .extensions
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
    JsonObject(body)
}

/// The form as typed.
fn form_of(pairs: &[(String, String)], id: String) -> UserLine {
    UserLine {
        id,
        name: form_field(pairs, "name"),
        email: form_field(pairs, "email"),
        role: form_field(pairs, "role"),
        extensions: form_field(pairs, "extensions"),
        active: form_field(pairs, "active") == "on",
        role_name: String::new(),
    }
}

/// The new password's hash, if one was typed.
async fn password_of(pairs: &[(String, String)]) -> Result<Option<String>, crate::error::ApiError> {
    match form_secret(pairs, "password") {
        password if password.is_empty() => Ok(None),
        password => hash_password_off_thread(password).await.map(Some),
    }
}

async fn users_page(
    state: &AppState,
    viewer: &Viewer,
    form: UserLine,
    error: String,
    saved: bool,
) -> Result<Response, PageError> {
    let axum::Json(all) =
        api::list_users(State(state.clone()), Auth(viewer.caller.clone())).await?;
    let users = all
        .as_array()
        .map(|a| a.iter().map(|u| user_line(viewer, u)).collect())
        .unwrap_or_default();
    let invalid = !error.is_empty();
    let page = UsersPage {
        chrome: viewer.chrome("users", "/admin/users"),
        users,
        roles: roles(viewer),
        form,
        error,
        saved,
    };
    Ok(unprocessable_if(invalid, render(&page)?))
}

/// `GET /admin/users`
pub async fn users(
    State(state): State<AppState>,
    viewer: Viewer,
    QueryParams(query): QueryParams,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let form = UserLine {
        role: "agent".into(),
        active: true,
        ..UserLine::default()
    };
    let saved = query.contains_key("saved");
    users_page(&state, &viewer, form, String::new(), saved).await
}

/// `POST /admin/users`: creates a user, with their password when one is given (in the
/// same statement).
pub async fn create_user(
    State(state): State<AppState>,
    viewer: Viewer,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let form = form_of(&pairs, form_field(&pairs, "id"));
    let hash = match password_of(&pairs).await {
        Ok(hash) => hash,
        Err(e) => return users_page(&state, &viewer, form, message(e)?, false).await,
    };
    let body = body_of(&form, true);
    match api::create_user_with(&state, &viewer.caller, &body, hash.as_deref()).await {
        Ok(_) => Ok(Redirect::to("/admin/users?saved=1").into_response()),
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
    let path = PathId(id.to_owned());
    let axum::Json(stored) =
        api::get_user(State(state.clone()), Auth(viewer.caller.clone()), path).await?;
    let invalid = !error.is_empty();
    let here = format!("/admin/users/{}", crate::web::session::encode(id));
    let page = UserPage {
        chrome: viewer.chrome("users", &here),
        user: edited.unwrap_or_else(|| user_line(viewer, &stored)),
        roles: roles(viewer),
        error,
    };
    Ok(unprocessable_if(invalid, render(&page)?))
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

/// `POST /admin/users/{id}`: changes a user; a new password or a deactivation ends
/// their sessions (saved together).
pub async fn update_user(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(id): PathId,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let edited = form_of(&pairs, id.clone());
    let hash = match password_of(&pairs).await {
        Ok(hash) => hash,
        Err(e) => return user_page(&state, &viewer, &id, Some(edited), message(e)?).await,
    };
    let body = body_of(&edited, false);
    match api::update_user_with(&state, &viewer.caller, &id, &body, hash.as_deref()).await {
        Ok(_) => Ok(Redirect::to("/admin/users?saved=1").into_response()),
        Err(e) => user_page(&state, &viewer, &id, Some(edited), message(e)?).await,
    }
}
