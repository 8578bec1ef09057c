//! The web pages: server-rendered HTML (askama templates in `templates/`) with htmx
//! for live fragments, in Vietnamese (default) or English.
//!
//! Pages read and write through the same functions as the JSON API, with the signed-in
//! person as the caller, so a page shows exactly the API's numbers and is refused
//! exactly what the API refuses. Forms post back to the page (no JSON in the browser);
//! a change needs a session cookie (`SameSite=Lax`, `HttpOnly`) and a same-origin
//! request (see `session.rs`).

mod admin;
pub(crate) mod assets;
mod channels;
mod crm;
mod digest;
mod format;
mod goals;
mod kpi;
mod notices;
mod report;
mod selection;
mod session;
mod texts;
mod today;
mod tv;

pub(crate) use digest::digest_email;
pub(crate) use notices::{goal_href, wording};
pub use session::Viewer;
pub use texts::Texts;

use crate::AppState;
use crate::error::ApiError;
use askama::Template;
use axum::Router;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tally_core::Role;
use tower_http::set_header::SetResponseHeaderLayer;

/// Every page's route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(today::first_page))
        .route("/today", get(today::page))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/lang/{lang}", get(session::switch_lang))
        .route("/kpi", get(kpi::page))
        .route("/kpi/report", get(kpi::report))
        .route("/kpi/months", get(kpi::months))
        .route("/channels", get(channels::page))
        .route("/channels/report", get(channels::report))
        .route("/wallboard", get(kpi::wallboard))
        .route("/wallboard/board", get(kpi::board))
        .route("/live", get(kpi::live))
        .route("/goals", get(goals::list))
        .route("/goals/new", get(goals::new_form).post(goals::create))
        .route("/goals/{id}", get(goals::edit_form).post(goals::update))
        .route("/goals/{id}/archive", post(goals::archive))
        .route("/admin/users", get(admin::users).post(admin::create_user))
        .route(
            "/admin/users/{id}",
            get(admin::user_form).post(admin::update_user),
        )
        .route("/admin/teams", get(admin::teams).post(admin::create_team))
        .route(
            "/admin/channels",
            get(admin::channels).post(admin::save_channel),
        )
        .route(
            "/admin/metrics",
            get(admin::metrics).post(admin::define_metric),
        )
        .route("/admin/metrics/{key}/remove", post(admin::remove_metric))
        .route("/admin/teams/{id}/members", post(admin::add_member))
        .route("/admin/teams/{id}/supervisors", post(admin::add_supervisor))
        .route(
            "/admin/teams/{id}/supervisors/{user_id}/remove",
            post(admin::remove_supervisor),
        )
        .route(
            "/admin/tokens",
            get(admin::tokens).post(admin::create_token),
        )
        .route("/admin/tokens/{key}/revoke", post(admin::revoke_token))
        .route(
            "/admin/screens",
            get(admin::screens).post(admin::create_screen),
        )
        .route("/admin/screens/{key}/revoke", post(admin::revoke_screen))
        .route(
            "/admin/webhooks",
            get(admin::webhooks).post(admin::create_webhook),
        )
        .route(
            "/admin/webhooks/{key}/{action}",
            post(admin::change_webhook),
        )
        .route("/notifications", get(notices::page))
        .route("/notifications/bell", get(notices::bell))
        .route("/notifications/read", post(notices::read))
        .route("/notifications/settings", post(notices::settings))
        .route("/notifications/email", post(notices::email))
        .route("/tv/{secret}", get(tv::page))
        .route("/tv/{secret}/board", get(tv::board))
        .route("/tv/{secret}/feed", get(tv::feed))
        .route("/customers", get(crm::customers).post(crm::create_customer))
        .route(
            "/customers/{id}",
            get(crm::customer).post(crm::update_customer),
        )
        .route("/customers/{id}/timeline", get(crm::timeline))
        .route("/customers/{id}/notes", post(crm::add_note))
        .route("/customers/{id}/opportunities", post(crm::add_opportunity))
        .route("/customers/{id}/todos", post(crm::add_todo))
        .route("/customers/{id}/meetings", post(crm::log_meeting))
        .route("/customers/{id}/messages", post(crm::log_message))
        .route(
            "/opportunities",
            get(crm::opportunities).post(crm::create_opportunity),
        )
        .route("/opportunities/{id}", post(crm::change_opportunity))
        .route("/calls", get(crm::calls))
        .route("/calls/map", post(crm::map_extension))
        .route("/calls/upload", post(crm::upload_calls))
        .route("/todos", get(crm::todos))
        .route("/todos/{id}/done", post(crm::complete_todo))
        .route("/assets/{*path}", get(assets::serve))
        .layer(axum::middleware::from_fn(session::same_origin_changes))
        .layer(header(
            "content-security-policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ))
        .layer(header("referrer-policy", "same-origin"))
}

fn header(name: &'static str, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}

/// What every page around its content shows: the words, the navigation the person may
/// use, and the way to the other language.
pub struct Chrome {
    pub t: &'static Texts,
    pub lang: &'static str,
    pub user_name: String,
    pub role_name: &'static str,
    pub can_setup: bool,
    pub can_admin: bool,
    /// The other language's switch, coming back to this page.
    pub switch_href: String,
    /// The current section, for `aria-current`.
    pub section: &'static str,
    /// This page's path and query, to come back to after a form.
    pub here: String,
}

impl Chrome {
    /// A date field's attributes: a text field typed `dd/mm/yyyy` on the Vietnamese
    /// pages, whatever the browser's locale (its date picker would follow the locale);
    /// the browser's date picker in English.
    pub fn date_attrs(&self) -> &'static str {
        match self.lang {
            "vi" => {
                r#"type="text" inputmode="numeric" placeholder="dd/mm/yyyy" pattern="[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}" maxlength="10" autocomplete="off" data-day-first"#
            }
            _ => r#"type="date""#,
        }
    }
}

/// Where a person starts: an agent's day for agents, the KPI report for the others.
pub fn first_page_of(role: Role) -> &'static str {
    match role {
        Role::Agent => "/today",
        _ => "/kpi",
    }
}

/// Whether a role may use the KPI setup pages.
pub fn may_set_goals(role: Role) -> bool {
    matches!(role, Role::Owner | Role::Admin | Role::Supervisor)
}

/// Whether a role may use the admin pages.
pub fn may_administer(role: Role) -> bool {
    matches!(role, Role::Owner | Role::Admin)
}

/// A page or fragment rendered to HTML.
pub fn render(template: &impl Template) -> Result<Response, PageError> {
    template
        .render()
        .map(|html| Html(html).into_response())
        .map_err(|e| PageError(ApiError::Internal(format!("rendering a page: {e}"))))
}

/// An error shown as a page (in both languages: it may come before the language is
/// known).
#[derive(Debug)]
pub struct PageError(pub ApiError);

impl From<ApiError> for PageError {
    fn from(error: ApiError) -> Self {
        PageError(error)
    }
}

impl From<tally_app::Error> for PageError {
    fn from(error: tally_app::Error) -> Self {
        PageError(error.into())
    }
}

impl From<tally_store::StoreError> for PageError {
    fn from(error: tally_store::StoreError) -> Self {
        PageError(error.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status: StatusCode = self.0.status();
        let message = match &self.0 {
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error on a page");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        let page = ErrorPage {
            status: status.as_u16(),
            message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => status.into_response(),
        }
    }
}

/// Only a path of this site may be returned to after sign-in or a language switch
/// (else the KPI report):
/// one `/`, then no second `/` or `\\`, and no control character or space anywhere (a
/// browser drops tabs, so `/\t/evil.example` would leave this site).
pub fn local_path(next: Option<&str>) -> String {
    let local = |path: &str| {
        let mut chars = path.chars();
        chars.next() == Some('/')
            && !matches!(chars.next(), Some('/' | '\\'))
            && path
                .chars()
                .all(|c| !c.is_control() && !c.is_whitespace() && c != '\\')
    };
    match next {
        Some(path) if local(path) => path.to_owned(),
        _ => "/kpi".to_owned(),
    }
}

/// The largest form a page posts (a goal with many assignees is a few KiB).
pub const MAX_FORM_BYTES: usize = 64 * 1024;

/// A posted form's fields, in order (a field may repeat, such as `user`). The body is
/// read only up to [`MAX_FORM_BYTES`] (a larger declared length is refused at once). A
/// field with a NUL character is refused (422) before anything reads it: no name or id
/// holds one, and no database stores one alike. A form posted from a signed-in page is
/// refused (401) if, by the time its body arrived, the session ended or the person's
/// role changed: the page that checked them is out of date.
pub struct Pairs(pub Vec<(String, String)>);

impl axum::extract::FromRequest<crate::AppState> for Pairs {
    type Rejection = Response;

    async fn from_request(
        request: axum::extract::Request,
        state: &crate::AppState,
    ) -> Result<Self, Response> {
        let refused = |e: ApiError| PageError(e).into_response();
        let signed_in = request.extensions().get::<session::SignedIn>().cloned();
        let form = "application/x-www-form-urlencoded";
        let content_type = request.headers().get(axum::http::header::CONTENT_TYPE);
        if !content_type.is_some_and(|v| v.as_bytes().starts_with(form.as_bytes())) {
            return Err(refused(ApiError::Malformed(format!(
                "send the form as {form}"
            ))));
        }
        let bytes = crate::api::query::read_body(request, MAX_FORM_BYTES)
            .await
            .map_err(refused)?;
        if let Some(signed_in) = signed_in
            && !signed_in.holds(state).await.map_err(refused)?
        {
            let ended = "your session ended or your role changed while the form was sent";
            return Err(refused(ApiError::Unauthorized(ended.into())));
        }
        let read = axum::extract::Request::builder()
            .method(axum::http::Method::POST)
            .header(axum::http::header::CONTENT_TYPE, form)
            .body(axum::body::Body::from(bytes))
            .map_err(|e| refused(ApiError::Malformed(e.to_string())))?;
        let axum::Form(pairs) = axum::Form::<Vec<(String, String)>>::from_request(read, state)
            .await
            .map_err(|e| refused(ApiError::Malformed(e.body_text())))?;
        match pairs
            .iter()
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            Some((key, _)) => Err(refused(ApiError::invalid(
                key,
                "must not contain a NUL character",
            ))),
            None => Ok(Pairs(pairs)),
        }
    }
}

/// A form field, trimmed; empty when absent.
pub fn form_field(pairs: &[(String, String)], name: &str) -> String {
    form_secret(pairs, name).trim().to_owned()
}

/// A form field exactly as typed (a password), empty when absent.
pub fn form_secret(pairs: &[(String, String)], name: &str) -> String {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.clone())
        .unwrap_or_default()
}

/// A page shown again with a form's error answers 422.
pub fn unprocessable_if(invalid: bool, mut response: Response) -> Response {
    if invalid {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    response
}

/// An error shown above a form, in the page's language (the field, then what is
/// wrong); any other error is a page of its own (403, 500).
pub fn form_error(
    error: impl Into<ApiError>,
    lang: crate::export::Lang,
) -> Result<String, PageError> {
    match error.into() {
        ApiError::Invalid { field, message } => Ok(texts::field_error(lang, &field, &message)),
        e @ (ApiError::Conflict(_) | ApiError::NotFound(_)) => {
            Ok(texts::sentence(lang, &e.to_string()))
        }
        other => Err(PageError(other)),
    }
}

/// Refuses a page to roles `allowed` does not admit, before anything else is read.
pub fn require(viewer: &Viewer, allowed: fn(Role) -> bool, what: &str) -> Result<(), PageError> {
    if allowed(viewer.user.role) {
        return Ok(());
    }
    Err(PageError(ApiError::Forbidden(format!(
        "the {} role may not {what}",
        viewer.user.role
    ))))
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_this_sites_paths_are_returned_to() {
        for good in ["/kpi", "/goals?saved=1", "/kpi?view=team&period=this_month"] {
            assert_eq!(local_path(Some(good)), good);
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\u{1}x",
            "https://evil.example",
            "evil",
            "/ /x",
            "",
        ] {
            assert_eq!(local_path(Some(bad)), "/kpi", "{bad:?}");
        }
        assert_eq!(local_path(None), "/kpi");
    }
}
