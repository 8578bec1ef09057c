//! `/admin/teams`: teams, their dated memberships and their supervisors.

use super::require_admin;
use crate::AppState;
use crate::api::query::PathId;
use crate::web::format;
use crate::web::{
    Chrome, PageError, Pairs, Viewer, form_error, form_field, render, unprocessable_if,
};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, json};
use std::collections::HashMap;
use tally_app::input::Fields;
use tally_core::MembershipRecord;

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
    let now = state.app.now().await?;
    let roster = &now.directory.roster;
    let names: HashMap<&str, &str> = roster
        .users()
        .iter()
        .map(|u| (u.id.as_str(), u.name.as_str()))
        .collect();
    let teams = roster
        .teams()
        .iter()
        .map(|team| TeamLine {
            members: roster
                .memberships_of(&team.id)
                .map(|m| member_line(viewer, &names, m))
                .collect(),
            supervisors: roster
                .supervisors()
                .iter()
                .filter(|(t, _)| *t == team.id)
                .map(|(_, u)| (u.clone(), roster.user_name(u).to_owned()))
                .collect(),
            id: team.id.clone(),
            name: team.name.clone(),
        })
        .collect();
    let active = roster.users().iter().filter(|u| u.active);
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
    outcome: tally_app::Result<T>,
) -> Result<Response, PageError> {
    match outcome {
        Ok(_) => Ok(Redirect::to("/admin/teams").into_response()),
        Err(e) => teams_page(state, viewer, form_error(e, viewer.lang)?).await,
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
    let outcome = state.app.create_team(&viewer.caller, &Fields(body)).await;
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
    body.insert(
        "from".into(),
        json!(format::typed_day(&form_field(&pairs, "from"))),
    );
    let to = format::typed_day(&form_field(&pairs, "to"));
    if !to.is_empty() {
        body.insert("to".into(), json!(to));
    }
    let outcome = (state.app)
        .add_member(&viewer.caller, &team, &Fields(body))
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
    let body = Fields(Map::from_iter([("user_id".to_owned(), user)]));
    let outcome = (state.app)
        .add_supervisor(&viewer.caller, &team, &body)
        .await;
    after_change(&state, &viewer, outcome).await
}

/// `POST /admin/teams/{id}/supervisors/{user_id}/remove`
pub async fn remove_supervisor(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((team, user)): Path<(String, String)>,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let outcome = (state.app)
        .remove_supervisor(&viewer.caller, &team, &user)
        .await;
    after_change(&state, &viewer, outcome).await
}
