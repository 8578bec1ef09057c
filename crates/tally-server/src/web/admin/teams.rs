//! `/admin/teams`: teams, their dated memberships and their supervisors.

use super::{message, require_admin};
use crate::AppState;
use crate::api::people as api;
use crate::api::query::{JsonObject, PathId};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::web::format;
use crate::web::{Chrome, PageError, Pairs, Viewer, form_field, render, unprocessable_if};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, json};
use std::collections::HashMap;
use tally_store::MembershipRecord;

/// A team with its memberships and supervisors.
pub struct TeamLine {
    pub id: String,
    pub name: String,
    /// (name, from, to or "now").
    pub members: Vec<(String, String, String)>,
    /// (user id, name).
    pub supervisors: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "admin_teams.html")]
struct TeamsPage {
    chrome: Chrome,
    teams: Vec<TeamLine>,
    users: Vec<(String, String)>,
    error: String,
}

/// A membership as listed: who, from, to (or "now").
fn member_line(
    viewer: &Viewer,
    names: &HashMap<&str, &str>,
    m: &MembershipRecord,
) -> (String, String, String) {
    let lang = viewer.lang;
    let name = names.get(m.user_id.as_str()).copied().unwrap_or(&m.user_id);
    let to = m.to.map_or_else(
        || viewer.t().still_member.to_owned(),
        |d| format::date(d, lang),
    );
    (name.to_owned(), format::date(m.from, lang), to)
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
    let name_of = |id: &str| names.get(id).copied().unwrap_or(id).to_owned();
    let teams = state
        .store
        .teams()
        .await?
        .into_iter()
        .map(|team| TeamLine {
            members: memberships
                .iter()
                .filter(|m| m.team_id == team.id)
                .map(|m| member_line(viewer, &names, m))
                .collect(),
            supervisors: supervisors
                .iter()
                .filter(|(t, _)| *t == team.id)
                .map(|(_, u)| (u.clone(), name_of(u)))
                .collect(),
            id: team.id,
            name: team.name,
        })
        .collect();
    let active = users.iter().filter(|u| u.active);
    let invalid = !error.is_empty();
    let page = TeamsPage {
        chrome: viewer.chrome("teams", "/admin/teams"),
        teams,
        users: active.map(|u| (u.id.clone(), u.name.clone())).collect(),
        error,
    };
    Ok(unprocessable_if(invalid, render(&page)?))
}

/// Shows the teams page again after a change, or with the change's error.
async fn after_change<T>(
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
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let mut body = Map::new();
    let id = form_field(&pairs, "id");
    if !id.is_empty() {
        body.insert("id".into(), json!(id));
    }
    body.insert("name".into(), json!(form_field(&pairs, "name")));
    let caller = viewer.caller.clone();
    let outcome = api::create_team(State(state.clone()), Auth(caller), JsonObject(body)).await;
    after_change(&state, &viewer, outcome).await
}

/// `POST /admin/teams/{id}/members`: a membership from a day, to a day or open.
pub async fn add_member(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(team): PathId,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let mut body = Map::new();
    body.insert("user_id".into(), json!(form_field(&pairs, "user_id")));
    body.insert("from".into(), json!(form_field(&pairs, "from")));
    let to = form_field(&pairs, "to");
    if !to.is_empty() {
        body.insert("to".into(), json!(to));
    }
    let caller = viewer.caller.clone();
    let outcome = api::add_member(
        State(state.clone()),
        Auth(caller),
        PathId(team),
        JsonObject(body),
    )
    .await;
    after_change(&state, &viewer, outcome).await
}

/// `POST /admin/teams/{id}/supervisors`
pub async fn add_supervisor(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(team): PathId,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let user = json!(form_field(&pairs, "user_id"));
    let body = JsonObject(Map::from_iter([("user_id".to_owned(), user)]));
    let caller = viewer.caller.clone();
    let outcome = api::add_supervisor(State(state.clone()), Auth(caller), PathId(team), body).await;
    after_change(&state, &viewer, outcome).await
}

/// `POST /admin/teams/{id}/supervisors/{user_id}/remove`
pub async fn remove_supervisor(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((team, user)): Path<(String, String)>,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let caller = viewer.caller.clone();
    let outcome =
        api::remove_supervisor(State(state.clone()), Auth(caller), Path((team, user))).await;
    after_change(&state, &viewer, outcome).await
}
