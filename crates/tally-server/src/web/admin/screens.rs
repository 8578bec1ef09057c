//! `/admin/screens`: TV links, for screens on the wall that show the wallboard without
//! a sign-in. A new link's address is shown on the answer that makes it, and never
//! again; a link is revoked, never deleted.

use super::require_admin;
use crate::AppState;
use crate::web::{
    Chrome, PageError, Pairs, Viewer, form_error, form_field, render, unprocessable_if,
};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};

/// A TV link as listed.
pub struct ScreenLine {
    pub key: i64,
    pub name: String,
    pub lang: String,
    pub created_by: String,
    pub created: String,
    pub revoked: bool,
}

#[derive(Template)]
#[template(path = "admin_screens.html")]
struct ScreensPage {
    chrome: Chrome,
    screens: Vec<ScreenLine>,
    /// The new link's whole address, on the answer that made it.
    link: String,
    error: String,
}

async fn screens_page(
    state: &AppState,
    viewer: &Viewer,
    link: String,
    error: String,
) -> Result<Response, PageError> {
    let users = state.app.store().users().await?;
    let person = |actor: &str| {
        let id = actor.strip_prefix("user:").unwrap_or(actor);
        users
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| actor.to_owned(), |u| u.name.clone())
    };
    let created = |at: i64| {
        jiff::Timestamp::from_second(at)
            .map(|at| crate::web::format::date(state.app.org().calendar.day_of(at), viewer.lang))
            .unwrap_or_default()
    };
    let screens = state
        .app
        .screens(&viewer.caller)
        .await?
        .into_iter()
        .map(|s| ScreenLine {
            key: s.key,
            created_by: person(&s.created_by),
            created: created(s.created_at),
            name: s.name,
            lang: s.lang,
            revoked: s.revoked,
        })
        .collect();
    let invalid = !error.is_empty();
    let page = ScreensPage {
        chrome: viewer.chrome("screens", "/admin/screens"),
        screens,
        link,
        error,
    };
    let mut response = unprocessable_if(invalid, render(&page)?);
    // The page may hold a link's secret: never keep it in a cache.
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The address the admin's browser reached this server at, to which a link is added.
fn origin(headers: &HeaderMap) -> String {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let scheme = match value("x-forwarded-proto") {
        Some("https") => "https",
        _ => "http",
    };
    value("host").map_or_else(String::new, |host| format!("{scheme}://{host}"))
}

/// `GET /admin/screens`
pub async fn screens(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    screens_page(&state, &viewer, String::new(), String::new()).await
}

/// `POST /admin/screens`: a new link, its address shown on this answer only.
pub async fn create_screen(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let name = form_field(&pairs, "name");
    let lang = form_field(&pairs, "lang");
    match state.app.create_screen(&viewer.caller, &name, &lang).await {
        Ok(new) => {
            let link = format!("{}/tv/{}", origin(&headers), new.secret);
            screens_page(&state, &viewer, link, String::new()).await
        }
        Err(e) => screens_page(&state, &viewer, String::new(), form_error(e, viewer.lang)?).await,
    }
}

/// `POST /admin/screens/{key}/revoke`: the screen shows nothing from its next request.
pub async fn revoke_screen(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<i64>,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    state.app.revoke_screen(&viewer.caller, key).await?;
    Ok(Redirect::to("/admin/screens").into_response())
}
