//! `/admin/tokens`: API tokens for the phone system, other tools and scripts. A new
//! token's secret is shown on the answer that creates it, and never again.

use super::{RoleOption, require_admin, roles};
use crate::AppState;
use crate::web::{
    Chrome, PageError, Pairs, Viewer, form_error, form_field, render, unprocessable_if,
};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use tally_core::Role;

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
#[template(path = "admin_tokens.html")]
struct TokensPage {
    chrome: Chrome,
    tokens: Vec<TokenLine>,
    roles: Vec<RoleOption>,
    users: Vec<(String, String)>,
    secret: String,
    error: String,
}

async fn tokens_page(
    state: &AppState,
    viewer: &Viewer,
    secret: String,
    error: String,
) -> Result<Response, PageError> {
    let users = state.app.store().users().await?;
    let created = |at: i64| {
        jiff::Timestamp::from_second(at)
            .map(|at| crate::web::format::date(state.app.org().calendar.day_of(at), viewer.lang))
            .unwrap_or_default()
    };
    let tokens = state
        .app
        .store()
        .tokens()
        .await?
        .into_iter()
        .map(|t| TokenLine {
            key: t.key,
            name: t.name,
            role_name: viewer.t().role(t.role).to_owned(),
            user: t.user_id.unwrap_or_default(),
            created: created(t.created_at),
            revoked: t.revoked,
        })
        .collect();
    let invalid = !error.is_empty();
    let active = users.iter().filter(|u| u.active);
    let page = TokensPage {
        chrome: viewer.chrome("tokens", "/admin/tokens"),
        tokens,
        roles: roles(viewer),
        users: active.map(|u| (u.id.clone(), u.name.clone())).collect(),
        secret,
        error,
    };
    let mut response = unprocessable_if(invalid, render(&page)?);
    // The page may hold a secret: never keep it in a cache.
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
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
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let name = form_field(&pairs, "name");
    let role = match form_field(&pairs, "role").parse::<Role>() {
        Ok(role) => role,
        Err(e) => return tokens_page(&state, &viewer, String::new(), format!("role: {e}")).await,
    };
    let user = form_field(&pairs, "user_id");
    let user = (!user.is_empty()).then_some(user.as_str());
    match state
        .app
        .create_token(&viewer.caller, &name, role, user)
        .await
    {
        Ok(secret) => tokens_page(&state, &viewer, secret, String::new()).await,
        Err(e) => tokens_page(&state, &viewer, String::new(), form_error(e, viewer.lang)?).await,
    }
}

/// `POST /admin/tokens/{key}/revoke`: an admin may not revoke an owner's token, nor one
/// that acts for an owner.
pub async fn revoke_token(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<i64>,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    state.app.revoke_token(&viewer.caller, key).await?;
    Ok(Redirect::to("/admin/tokens").into_response())
}
