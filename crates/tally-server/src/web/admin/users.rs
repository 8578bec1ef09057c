//! `/admin/users`: the people, with their roles, extensions and passwords.

use super::{RoleOption, require_admin, roles};
use crate::AppState;
use crate::api::query::{PathId, QueryParams};
use crate::web::{
    Chrome, PageError, Pairs, Viewer, form_error, form_field, form_secret, render, unprocessable_if,
};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, Value, json};
use tally_app::input::Fields;
use tally_app::people::{NewPerson, PersonChange, PersonView};

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

fn user_line(viewer: &Viewer, person: &PersonView) -> UserLine {
    let contact = person.contact.as_ref();
    let extensions: Vec<&str> = contact
        .into_iter()
        .flat_map(|c| c.extension.iter().chain(c.extensions.iter()))
        .map(String::as_str)
        .collect();
    UserLine {
        role_name: viewer.t().role(person.role).to_owned(),
        id: person.id.clone(),
        name: person.name.clone(),
        email: contact.and_then(|c| c.email.clone()).unwrap_or_default(),
        role: person.role.to_string(),
        extensions: extensions.join(", "),
        active: person.active,
    }
}

/// The form's fields as the API's body; the extensions as typed ("201, 1001"): the
/// first is the main one.
fn body_of(form: &UserLine, creating: bool) -> Fields {
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
    Fields(body)
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
async fn password_of(
    state: &AppState,
    pairs: &[(String, String)],
) -> tally_app::Result<Option<String>> {
    match form_secret(pairs, "password") {
        password if password.is_empty() => Ok(None),
        password => state.app.passwords().hash(password).await.map(Some),
    }
}

async fn users_page(
    state: &AppState,
    viewer: &Viewer,
    form: UserLine,
    error: String,
    saved: bool,
) -> Result<Response, PageError> {
    let people = state.app.people(&viewer.caller).await?;
    let users = people.iter().map(|p| user_line(viewer, p)).collect();
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
    let hash = match password_of(&state, &pairs).await {
        Ok(hash) => hash,
        Err(e) => {
            return users_page(&state, &viewer, form, form_error(e, viewer.lang)?, false).await;
        }
    };
    let body = body_of(&form, true);
    let created = match NewPerson::read(&body) {
        Ok(person) => {
            let app = &state.app;
            app.create_person(&viewer.caller, person, hash.as_deref())
                .await
        }
        Err(e) => Err(e),
    };
    match created {
        Ok(_) => Ok(Redirect::to("/admin/users?saved=1").into_response()),
        Err(e) => users_page(&state, &viewer, form, form_error(e, viewer.lang)?, false).await,
    }
}

async fn user_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    edited: Option<UserLine>,
    error: String,
) -> Result<Response, PageError> {
    let stored = state.app.person(&viewer.caller, id).await?;
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
    let hash = match password_of(&state, &pairs).await {
        Ok(hash) => hash,
        Err(e) => {
            return user_page(
                &state,
                &viewer,
                &id,
                Some(edited),
                form_error(e, viewer.lang)?,
            )
            .await;
        }
    };
    let body = body_of(&edited, false);
    let changed = match PersonChange::read(&body) {
        Ok(change) => {
            let app = &state.app;
            app.change_person(&viewer.caller, &id, change, hash.as_deref())
                .await
        }
        Err(e) => Err(e),
    };
    match changed {
        Ok(_) => Ok(Redirect::to("/admin/users?saved=1").into_response()),
        Err(e) => {
            user_page(
                &state,
                &viewer,
                &id,
                Some(edited),
                form_error(e, viewer.lang)?,
            )
            .await
        }
    }
}
