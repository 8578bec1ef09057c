//! `/admin/channels`: the organisation's sales channels, added, renamed, reordered and
//! retired (never deleted: events name them for good).

use super::require_admin;
use crate::AppState;
use crate::web::{
    Chrome, PageError, Pairs, Viewer, form_error, form_field, render, unprocessable_if,
};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, json};
use tally_app::channels::Channel;
use tally_app::input::Fields;

#[derive(Template)]
#[template(path = "admin_channels.html")]
struct ChannelsPage {
    chrome: Chrome,
    channels: Vec<Channel>,
    error: String,
}

async fn channels_page(
    state: &AppState,
    viewer: &Viewer,
    error: String,
) -> Result<Response, PageError> {
    let invalid = !error.is_empty();
    let page = ChannelsPage {
        chrome: viewer.chrome("channel-list", "/admin/channels"),
        channels: state.app.channels().await?,
        error,
    };
    Ok(unprocessable_if(invalid, render(&page)?))
}

/// `GET /admin/channels`
pub async fn channels(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    channels_page(&state, &viewer, String::new()).await
}

/// `POST /admin/channels`: a new channel, or a listed one changed (`id`, `name`,
/// `position`, `lines` separated by commas, and `active` when ticked; the list's rows
/// send `listed`).
pub async fn save_channel(
    State(state): State<AppState>,
    viewer: Viewer,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let mut body = Map::new();
    body.insert("name".into(), json!(form_field(&pairs, "name")));
    let listed = !form_field(&pairs, "listed").is_empty();
    if listed {
        body.insert("active".into(), json!(form_field(&pairs, "active") == "on"));
    }
    let position = form_field(&pairs, "position");
    if !position.is_empty() {
        let number = position.parse::<i64>().map(|p| json!(p));
        body.insert("position".into(), number.unwrap_or(json!(position)));
    }
    let lines = form_field(&pairs, "lines");
    if listed || !lines.trim().is_empty() {
        let lines: Vec<&str> = lines
            .split(',')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        body.insert("lines".into(), json!(lines));
    }
    let id = form_field(&pairs, "id");
    let outcome = (state.app)
        .save_channel(&viewer.caller, &id, &Fields(body))
        .await;
    match outcome {
        Ok(_) => Ok(Redirect::to("/admin/channels").into_response()),
        Err(e) => channels_page(&state, &viewer, form_error(e, viewer.lang)?).await,
    }
}
