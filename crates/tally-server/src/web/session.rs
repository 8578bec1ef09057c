//! Signing in and out, the signed-in [`Viewer`] of a page, and the language switch.
//!
//! A session is a random cookie (`HttpOnly`, `SameSite=Lax`, `Secure` behind HTTPS,
//! kept until the browser closes); only its SHA-256 is stored, and the server ends it
//! after 12 hours without use or at sign-out. A request that changes something, the
//! sign-in included, must come from our own pages: the browser's `Sec-Fetch-Site` or
//! `Origin` header must say so (cross-site request forgery). Repeated wrong passwords
//! for one email are slowed down.

use super::{
    Chrome, PageError, Pairs, form_secret, local_path, may_administer, may_set_goals, render, texts,
};
use crate::AppState;
use crate::auth::{
    Caller, SESSION_COOKIE, SESSION_IDLE_SECONDS, cookie, hash_password, hash_token, is_read,
    new_token_secret, session_user,
};
use crate::error::ApiError;
use crate::export::Lang;
use askama::Template;
use axum::extract::Request;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tally_store::User;

/// The name of the cookie that remembers the language.
const LANG_COOKIE: &str = "tally_lang";

/// The signed-in person of a page request.
pub struct Viewer {
    pub user: User,
    pub caller: Caller,
    pub lang: Lang,
    /// The stored hash of the session.
    pub(crate) session: String,
}

impl Viewer {
    pub fn t(&self) -> &'static texts::Texts {
        texts::of(self.lang)
    }

    /// The page frame for this person, on the page at `here` (path and query).
    pub fn chrome(&self, section: &'static str, here: &str) -> Chrome {
        chrome_for(self.lang, Some(&self.user), section, here)
    }
}

/// The page frame; `user` is `None` on the sign-in page.
pub fn chrome_for(lang: Lang, user: Option<&User>, section: &'static str, here: &str) -> Chrome {
    let t = texts::of(lang);
    let other = match lang {
        Lang::Vi => "en",
        Lang::En => "vi",
    };
    Chrome {
        t,
        lang: texts::code(lang),
        user_name: user.map(|u| u.name.clone()).unwrap_or_default(),
        role_name: user.map_or("", |u| t.role(u.role)),
        can_setup: user.is_some_and(|u| may_set_goals(u.role)),
        can_admin: user.is_some_and(|u| may_administer(u.role)),
        switch_href: format!("/lang/{other}?next={}", encode(here)),
        section,
    }
}

/// The language a browser chose (Vietnamese unless it switched to English).
pub fn lang_of(headers: &HeaderMap) -> Lang {
    match cookie(headers, LANG_COOKIE) {
        Some("en") => Lang::En,
        _ => Lang::Vi,
    }
}

/// Percent-encodes a query value.
pub fn encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(byte));
            }
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// Refuses a change (any method but GET and HEAD) that does not come from our own
/// pages, before any handler runs.
pub async fn same_origin_changes(request: Request, next: Next) -> Response {
    if !is_read(request.method()) && !same_origin(request.headers()) {
        let refused = ApiError::Forbidden("this change must come from Tally's own pages".into());
        return PageError(refused).into_response();
    }
    next.run(request).await
}

/// Whether a request comes from our own pages (not another site's form or script).
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin";
    }
    match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        None => true,
        Some(origin) => {
            let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
            let bare = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"));
            host.is_some() && bare == host
        }
    }
}

/// The session a page request was signed in with, and the role it had: a form posted
/// with it is judged again once its body has arrived (see [`super::Pairs`]).
#[derive(Clone)]
pub(crate) struct SignedIn {
    pub session: String,
    pub role: tally_core::Role,
}

impl SignedIn {
    /// Whether the session still signs in the same person with the same role.
    pub async fn holds(&self, state: &AppState) -> Result<bool, ApiError> {
        let now = state.app.store().session_user(&self.session).await?;
        Ok(now.is_some_and(|(user, _)| user.role == self.role))
    }
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let signed_in = session_user(state, &parts.headers)
            .await
            .map_err(|e| PageError(e).into_response())?;
        let Some((user, session)) = signed_in else {
            return Err(to_sign_in(parts));
        };
        parts.extensions.insert(SignedIn {
            session: session.clone(),
            role: user.role,
        });
        Ok(Viewer {
            caller: Caller::of_user(&user),
            lang: lang_of(&parts.headers),
            user,
            session,
        })
    }
}

/// Sends a signed-out browser to the sign-in page, and back here afterwards (to the
/// report after a change, whose address answers only POST); an htmx fragment request
/// asks htmx to move the whole page.
fn to_sign_in(parts: &Parts) -> Response {
    if parts.headers.contains_key("hx-request") {
        // Back to the page the fragment belongs to, not to the fragment.
        let page = parts
            .headers
            .get("hx-current-url")
            .and_then(|v| v.to_str().ok())
            .and_then(|url| url.split_once("://").map(|(_, rest)| rest))
            .and_then(|rest| rest.find('/').map(|at| &rest[at..]));
        let target = format!("/login?next={}", encode(&local_path(page)));
        let mut response = StatusCode::NO_CONTENT.into_response();
        if let Ok(value) = HeaderValue::from_str(&target) {
            response.headers_mut().insert("hx-redirect", value);
        }
        return response;
    }
    let here = match parts.uri.path_and_query() {
        Some(path) if is_read(&parts.method) => path.as_str(),
        _ => "/kpi",
    };
    Redirect::to(&format!("/login?next={}", encode(here))).into_response()
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    chrome: Chrome,
    next: String,
    email: String,
    failed: bool,
    signed_out: bool,
}

/// `GET /login`
pub async fn login_page(
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let next = local_path(query.get("next").map(String::as_str));
    let lang = lang_of(&headers);
    render(&LoginPage {
        chrome: chrome_for(
            lang,
            None,
            "login",
            &format!("/login?next={}", encode(&next)),
        ),
        next,
        email: String::new(),
        failed: false,
        signed_out: query.contains_key("signed_out"),
    })
}

/// The longest email accepted (RFC 5321's path limit).
const MAX_EMAIL_CHARS: usize = 254;

/// `POST /login`: checks the password and starts a session.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Pairs(form): Pairs,
) -> Result<Response, PageError> {
    let next = local_path(Some(&form_secret(&form, "next")));
    let lang = lang_of(&headers);
    let typed_email = form_secret(&form, "email");
    let email = typed_email.trim().to_lowercase();
    if email.chars().count() > MAX_EMAIL_CHARS {
        let refused = ApiError::invalid(
            "email",
            format!("is longer than {MAX_EMAIL_CHARS} characters"),
        );
        return Err(PageError(refused));
    }
    // The attempt is counted before the password is checked, so parallel guesses
    // cannot all pass the limit; a right password clears the count.
    if let Err(wait) = state.sign_in_failures.attempt(&email) {
        let minutes = wait.as_secs().div_ceil(60);
        let refused = ApiError::TooManyRequests(format!(
            "too many wrong passwords for this email: try again in {minutes} minutes"
        ));
        return Err(PageError(refused));
    }
    // No account has an email with a control character (a NUL would not even reach
    // every database alike): such an email is simply unknown.
    let found = match email.chars().any(char::is_control) {
        true => None,
        false => state.app.store().sign_in_of(&email).await?,
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        // The same work for an unknown email, so timing does not tell who has an account.
        None => (None, unknown_user_hash().to_owned()),
    };
    let passwords = state.app.passwords();
    let matches = passwords
        .matches(form_secret(&form, "password"), hash.clone())
        .await?;
    if let Some(user) = user.filter(|_| matches)
        && let Some(response) = start_session(&state, &headers, &user, &hash, &next).await?
    {
        state.sign_in_failures.forget(&email);
        return Ok(response);
    }
    tracing::info!("a sign-in failed");
    let page = LoginPage {
        chrome: chrome_for(lang, None, "login", "/login"),
        next,
        email: typed_email,
        failed: true,
        signed_out: false,
    };
    let mut response = render(&page)?;
    *response.status_mut() = StatusCode::UNAUTHORIZED;
    Ok(response)
}

/// Stores a new session and answers with its cookie, on the way to `next`; `None` when
/// the password changed or the user was deactivated while it was being checked.
async fn start_session(
    state: &AppState,
    headers: &HeaderMap,
    user: &User,
    checked_hash: &str,
    next: &str,
) -> Result<Option<Response>, PageError> {
    let secret = new_token_secret();
    let expires_at = jiff::Timestamp::now().as_second() + SESSION_IDLE_SECONDS;
    let started = state
        .app
        .store()
        .create_session(&hash_token(&secret), user.key, checked_hash, expires_at)
        .await?;
    if !started {
        return Ok(None);
    }
    tracing::info!(user = %user.id, "signed in");
    let secure = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes() == b"https");
    // No Max-Age: the browser keeps it until it closes; the server ends it when idle.
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    );
    Ok(Some(with_cookie(
        Redirect::to(next).into_response(),
        &cookie,
    )))
}

/// Attempts per email without a right password, in this server's memory: after
/// [`SignInFailures::LIMIT`] in [`SignInFailures::WINDOW`], that email may not try
/// again until the window has passed. At most `KEEP` emails are tracked; when full,
/// expired entries go, then the coldest (see `attempt`). Per instance: behind a load
/// balancer, each instance counts its own.
#[derive(Clone, Default)]
pub struct SignInFailures(Arc<Mutex<HashMap<String, (u32, Instant)>>>);

impl SignInFailures {
    pub const LIMIT: u32 = 5;
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);
    /// The most emails tracked at once.
    const KEEP: usize = 10_000;

    /// Counts an attempt for this email, or says how long it must wait. The count is
    /// taken under the lock before the password is checked.
    fn attempt(&self, email: &str) -> Result<(), Duration> {
        let Ok(mut table) = self.0.lock() else {
            return Ok(());
        };
        if table.len() >= Self::KEEP && !table.contains_key(email) {
            table.retain(|_, (_, since)| since.elapsed() < Self::WINDOW);
            // Still full: the coldest entry makes room. An email still allowed to try
            // goes first (the fewest attempts, the oldest of those); a locked one only
            // when all are locked, the newest first: a flood of guesses at made-up
            // emails, even each guessed to the limit, cannot push out the lock of an
            // email under attack.
            if table.len() >= Self::KEEP {
                let coldest = table
                    .iter()
                    .min_by_key(|(_, (count, since))| match *count < Self::LIMIT {
                        true => (false, *count, Some(*since), None),
                        false => (true, *count, None, Some(std::cmp::Reverse(*since))),
                    })
                    .map(|(k, _)| k.clone());
                if let Some(coldest) = coldest {
                    table.remove(&coldest);
                }
            }
        }
        let entry = table.entry(email.to_owned()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= Self::WINDOW {
            *entry = (0, Instant::now());
        }
        if entry.0 >= Self::LIMIT {
            return Err(Self::WINDOW.saturating_sub(entry.1.elapsed()));
        }
        entry.0 += 1;
        Ok(())
    }

    fn forget(&self, email: &str) {
        if let Ok(mut table) = self.0.lock() {
            table.remove(email);
        }
    }
}

/// A hash no password is checked against successfully in practice, for unknown emails.
fn unknown_user_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&new_token_secret()).unwrap_or_default())
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `POST /logout`: ends the session.
pub async fn logout(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    state.app.store().delete_session(&viewer.session).await?;
    let gone = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok(with_cookie(
        Redirect::to("/login?signed_out=1").into_response(),
        &gone,
    ))
}

/// `GET /lang/{vi|en}?next=…`: remembers the language for a year, then goes back.
pub async fn switch_lang(
    Path(lang): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let lang = if lang == "en" { "en" } else { "vi" };
    let next = local_path(query.get("next").map(String::as_str));
    let cookie = format!("{LANG_COOKIE}={lang}; Path=/; SameSite=Lax; Max-Age=31536000");
    with_cookie(Redirect::to(&next).into_response(), &cookie)
}

#[cfg(test)]
mod tests {
    use super::SignInFailures;

    #[test]
    fn a_flood_of_made_up_emails_does_not_reset_a_locked_one() {
        let failures = SignInFailures::default();
        for _ in 0..SignInFailures::LIMIT {
            assert!(failures.attempt("lan@example.vn").is_ok());
        }
        assert!(failures.attempt("lan@example.vn").is_err());
        for i in 0..2 * SignInFailures::KEEP {
            let _ = failures.attempt(&format!("junk{i}@example.vn"));
        }
        assert!(failures.attempt("lan@example.vn").is_err());
        // Even made-up emails each guessed up to the limit do not unlock it.
        for i in 0..SignInFailures::KEEP + 10 {
            for _ in 0..SignInFailures::LIMIT {
                let _ = failures.attempt(&format!("locked{i}@example.vn"));
            }
        }
        assert!(failures.attempt("lan@example.vn").is_err());
        let table = failures.0.lock().unwrap();
        assert!(table.len() <= SignInFailures::KEEP);
    }
}
