//! Signing in and out, the signed-in [`Viewer`] of a page, and the language switch.
//!
//! A session is a random cookie (`HttpOnly`, `SameSite=Lax`, `Secure` behind HTTPS,
//! kept until the browser closes); only its SHA-256 is stored, and the server ends it
//! after 12 hours without use or at sign-out. A request that changes something, the
//! sign-in included, must come from our own pages: the browser's `Sec-Fetch-Site` or
//! `Origin` header must say so (cross-site request forgery). Checking passwords,
//! slowing down repeated wrong ones, and the sessions themselves are the
//! application's (`tally_app::sessions`).

use super::{
    Chrome, PageError, Pairs, form_secret, local_path, may_administer, may_set_goals, render, texts,
};
use crate::AppState;
use crate::auth::{Caller, SESSION_COOKIE, cookie, is_read, session_user};
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
use tally_app::sessions::SignIn;
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
        here: here.to_owned(),
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
        Ok(state.app.session_holds(&self.session, self.role).await?)
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
    // No page asked for: the person's first page, once it is known who signs in.
    let next = match query.get("next") {
        Some(asked) => local_path(Some(asked)),
        None => String::new(),
    };
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

/// `POST /login`: checks the password and starts a session.
pub async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Pairs(form): Pairs,
) -> Result<Response, PageError> {
    let asked = form_secret(&form, "next");
    let next = local_path(Some(&asked));
    let typed_email = form_secret(&form, "email");
    let password = form_secret(&form, "password");
    match state.app.sign_in(&typed_email, password).await? {
        SignIn::Started { secret, user } => {
            let next = match asked.is_empty() {
                true => super::first_page_of(user.role).to_owned(),
                false => next,
            };
            Ok(with_session(&headers, &secret, &next))
        }
        SignIn::Refused => {
            let page = LoginPage {
                chrome: chrome_for(lang_of(&headers), None, "login", "/login"),
                next,
                email: typed_email,
                failed: true,
                signed_out: false,
            };
            let mut response = render(&page)?;
            *response.status_mut() = StatusCode::UNAUTHORIZED;
            Ok(response)
        }
    }
}

/// The way to `next`, with the new session's cookie.
fn with_session(headers: &HeaderMap, secret: &str, next: &str) -> Response {
    let secure = headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes() == b"https");
    // No Max-Age: the browser keeps it until it closes; the server ends it when idle.
    let cookie = format!(
        "{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    );
    with_cookie(Redirect::to(next).into_response(), &cookie)
}

fn with_cookie(mut response: Response, cookie: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// `POST /logout`: ends the session.
pub async fn logout(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    state.app.sign_out(&viewer.session).await?;
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
