//! Who is calling: API tokens (`Authorization: Bearer …`) and their roles, and the
//! signed-in person of a browser session (its cookie reads the API, GET only, so the
//! pages' download links work; every change from a page goes through `web/`).
//!
//! A token or session id is 32 random bytes shown once; only its SHA-256 is stored, so
//! a copy of the database does not hand out access. Passwords are kept as argon2id
//! hashes. Every handler takes a [`Caller`] and checks its role before doing anything.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use tally_core::Role;

pub use tally_app::Caller;

/// The caller of a request, found from its `Authorization` header or its session
/// cookie (see [`Caller`]).
pub struct Auth(pub Caller);

pub use tally_app::tokens::{hash_secret as hash_token, new_secret as new_token_secret};

pub use tally_app::passwords::{
    MIN_PASSWORD_CHARS, hash as hash_password, matches as password_matches,
};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "tally_session";

/// The value of a cookie in a request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a axum::http::HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The signed-in user of a session cookie, and the hash it is stored under.
pub async fn session_user(
    state: &AppState,
    headers: &axum::http::HeaderMap,
) -> Result<Option<(tally_store::User, String)>, ApiError> {
    let Some(secret) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let session = state.app.session(secret).await?;
    Ok(session.map(|s| (s.user, s.id_hash)))
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        caller_of(parts, state).await.map(Auth)
    }
}

/// The caller of a request; found once (a route's gate keeps it for the handler).
async fn caller_of(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
    {
        // Already found by a route's gate (see `Gate`).
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let Some(header) = header else {
            return session_caller(parts, state).await;
        };
        let secret = secret_of(header).ok_or_else(|| {
            ApiError::Unauthorized(
                "the Authorization header must be Bearer <token> (or Basic with the token as password)".into(),
            )
        })?;
        Ok(state.app.token_caller(&secret).await?)
    }
}

/// Who a route admits, checked before its body is read (see [`gate`]).
#[derive(Clone, Copy, Debug)]
pub enum Admits {
    /// These roles; the text says what they do, for the 403.
    Roles(&'static [Role], &'static str),
    /// Anyone acting as a person: a token or session bound to a user (CRM actions).
    Person,
}

/// A route's gate: the app's state, to find the caller, and who it admits.
#[derive(Clone)]
pub struct Gate {
    pub state: AppState,
    pub admits: Admits,
}

/// Middleware of a route: finds the caller and refuses them (401, 403) before the
/// handler reads the request's body, so a large body from a caller who may not send it
/// is never read. The caller is kept for the handler.
///
/// A body may take up to two minutes to arrive; the person may be deactivated or
/// demoted meanwhile. So the caller is found again once the body has arrived, and a
/// caller who is no longer the same (gone, or another role) ends the body with an
/// error instead of its end: the handler never acts on it (see `api::query::read_body`).
/// A body that was whole on arrival (it came with the headers: reading it never
/// waited) and was read within [`SAME_MOMENT`] of the check is judged by that check:
/// there was no time in between to change anyone, and a single event does not pay
/// for a second look-up.
pub async fn gate(
    axum::extract::State(gate): axum::extract::State<Gate>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (mut parts, body) = request.into_parts();
    let caller = match admitted(&mut parts, &gate).await {
        Ok(caller) => caller,
        Err(refused) => return refused.into_response(),
    };
    let mut again = axum::http::Request::new(());
    *again.method_mut() = parts.method.clone();
    *again.headers_mut() = parts.headers.clone();
    let (mut again, ()) = again.into_parts();
    let original = caller.clone();
    let checked_at = std::time::Instant::now();
    let still_admitted = move |waited: bool| async move {
        if !waited && checked_at.elapsed() < SAME_MOMENT {
            return Ok(());
        }
        match admitted(&mut again, &gate).await {
            Ok(now) if now.role == original.role && now.user_id == original.user_id => Ok(()),
            Ok(_) => Err(CallerChanged(ApiError::Forbidden(
                "your role changed while the request was being sent; send it again".into(),
            ))),
            Err(refused) => Err(CallerChanged(refused)),
        }
    };
    parts.extensions.insert(caller);
    let body = ended_by(body, still_admitted);
    next.run(axum::extract::Request::from_parts(parts, body))
        .await
}

/// The caller of a request, if the gate admits them.
async fn admitted(parts: &mut Parts, gate: &Gate) -> Result<Caller, ApiError> {
    let caller = caller_of(parts, &gate.state).await?;
    match gate.admits {
        Admits::Roles(roles, what) => caller.require(roles, what)?,
        Admits::Person => caller.person().map(drop)?,
    }
    Ok(caller)
}

/// Why a body ended in an error: its sender is no longer admitted as they were.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct CallerChanged(pub ApiError);

/// How soon after the caller was checked a body that never waited may end without a
/// second check.
const SAME_MOMENT: std::time::Duration = std::time::Duration::from_millis(500);

/// The body as sent, then `check` once it has all arrived (told whether reading it
/// ever waited for more): an error instead of the end when the check fails.
fn ended_by<F>(
    body: axum::body::Body,
    check: impl FnOnce(bool) -> F + Send + 'static,
) -> axum::body::Body
where
    F: std::future::Future<Output = Result<(), CallerChanged>> + Send + 'static,
{
    use futures::StreamExt;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let waited = Arc::new(AtomicBool::new(false));
    let mut data = body.into_data_stream();
    let watched = {
        let waited = waited.clone();
        futures::stream::poll_fn(move |cx| {
            let next = data.poll_next_unpin(cx);
            if next.is_pending() {
                waited.store(true, Ordering::Relaxed);
            }
            next
        })
    };
    let end = futures::stream::once(async move { check(waited.load(Ordering::Relaxed)).await })
        .filter_map(|checked| async move { checked.err().map(|e| Err(axum::Error::new(e))) });
    axum::body::Body::from_stream(watched.chain(end))
}

/// A request without an `Authorization` header: a browser session may read (GET).
async fn session_caller(parts: &Parts, state: &AppState) -> Result<Caller, ApiError> {
    let unauthorized =
        || ApiError::Unauthorized("sign in: send Authorization: Bearer <token>".into());
    if !is_read(&parts.method) {
        return Err(unauthorized());
    }
    match session_user(state, &parts.headers).await? {
        Some((user, _)) => Ok(Caller::of_user(&user)),
        None => Err(unauthorized()),
    }
}

/// Whether a method only reads (GET, HEAD).
pub fn is_read(method: &axum::http::Method) -> bool {
    method == axum::http::Method::GET || method == axum::http::Method::HEAD
}

/// The token secret of an `Authorization` header: `Bearer <token>`, or `Basic` with
/// the token as the password, for a PBX that can only send basic credentials
/// (FreeSWITCH `mod_json_cdr`'s `cred`). Scheme names are case-insensitive (RFC 9110).
fn secret_of(header: &str) -> Option<String> {
    use base64::Engine;
    let (scheme, value) = header.split_once(' ')?;
    let value = value.trim();
    let secret = if scheme.eq_ignore_ascii_case("bearer") {
        value.to_owned()
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        text.split_once(':')?.1.to_owned()
    } else {
        return None;
    };
    (!secret.is_empty()).then_some(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_stored_only_as_a_hash() {
        let (a, b) = (new_token_secret(), new_token_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), "tally_".len() + 64);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
        assert!(!hash_token(&a).contains(&a[6..]));
    }

    #[test]
    fn the_secret_comes_from_bearer_or_basic_credentials() {
        assert_eq!(secret_of("Bearer tally_ab").as_deref(), Some("tally_ab"));
        assert_eq!(secret_of("bearer tally_ab").as_deref(), Some("tally_ab"));
        // "pbx:tally_ab" in base64.
        assert_eq!(
            secret_of("Basic cGJ4OnRhbGx5X2Fi").as_deref(),
            Some("tally_ab")
        );
        assert_eq!(secret_of("Basic !!!"), None);
        assert_eq!(secret_of("Bearer "), None);
        assert_eq!(secret_of("Digest x"), None);
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            "cookie",
            "a=1; tally_session=abc; b=2".parse().expect("header"),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "c"), None);
    }
}
