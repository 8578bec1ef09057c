//! `/admin/tokens`: API tokens for the phone system, other tools and scripts. A new
//! token's secret is shown on the answer that creates it, and never again.

use super::{RoleOption, message, require_admin, roles};
use crate::AppState;
use crate::auth::{hash_token, new_token_secret};
use crate::error::ApiError;
use crate::web::{Chrome, PageError, Pairs, Viewer, form_field, render, unprocessable_if};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use tally_core::Role;

/// The longest token name.
const MAX_NAME_CHARS: usize = 200;

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
    let users = state.store.users().await?;
    let created = |at: i64| {
        jiff::Timestamp::from_second(at)
            .map(|at| crate::web::format::date(state.org.calendar.day_of(at), viewer.lang))
            .unwrap_or_default()
    };
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

/// Refuses a token role, or a user to act for, that this person may not give.
fn may_give(viewer: &Viewer, role: Role, what: &str) -> Result<(), PageError> {
    if viewer.user.role.may_grant(role) {
        return Ok(());
    }
    Err(PageError(ApiError::Forbidden(format!(
        "the {} role may not {what}",
        viewer.user.role
    ))))
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
    may_give(&viewer, role, &format!("create a {role} token"))?;
    let printable = !name.chars().any(char::is_control);
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS || !printable {
        let error = format!("name: must have 1 to {MAX_NAME_CHARS} printable characters");
        return tokens_page(&state, &viewer, String::new(), error).await;
    }
    let user = form_field(&pairs, "user_id");
    let user = (!user.is_empty()).then_some(user.as_str());
    if let Some(id) = user
        && let Some(bound) = state.store.user(id).await?
    {
        may_give(&viewer, bound.role, "make a token that acts for an owner")?;
    }
    let secret = new_token_secret();
    let stored = state
        .store
        .create_token(&name, role, user, &hash_token(&secret))
        .await;
    match stored {
        Ok(_) => {
            tracing::info!(token = %name, by = %viewer.user.id, "API token created");
            tokens_page(&state, &viewer, secret, String::new()).await
        }
        Err(e) => tokens_page(&state, &viewer, String::new(), message(e)?).await,
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
    let tokens = state.store.tokens().await?;
    let token = tokens
        .iter()
        .find(|t| t.key == key)
        .ok_or_else(|| ApiError::NotFound(format!("token {key} does not exist")))?;
    may_give(&viewer, token.role, "revoke an owner's token")?;
    if let Some(id) = &token.user_id
        && let Some(bound) = state.store.user(id).await?
    {
        may_give(&viewer, bound.role, "revoke a token that acts for an owner")?;
    }
    state.store.revoke_token(key).await?;
    tracing::info!(token = key, by = %viewer.user.id, "API token revoked");
    Ok(Redirect::to("/admin/tokens").into_response())
}
