//! `/admin/webhooks`: URLs that receive notices, signed; each with its state (active,
//! or paused after failures in a row) and the log of its latest deliveries. A new
//! webhook's signing secret is shown on the answer that makes it, and never again.

use super::require_admin;
use crate::AppState;
use crate::web::notices::{KindOption, kind_name, kind_options};
use crate::web::{
    Chrome, PageError, Pairs, Viewer, form_error, form_field, render, unprocessable_if,
};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use tally_core::notice::NoticeKind;

/// The deliveries listed under each webhook.
const LOG: i64 = 10;

/// A delivery as its log lists it.
pub struct DeliveryLine {
    pub key: i64,
    pub status: String,
    pub attempts: i64,
    pub when: String,
    pub error: String,
}

/// A webhook as listed.
pub struct WebhookLine {
    pub key: i64,
    pub url: String,
    pub kinds: String,
    pub paused: bool,
    pub failures: i64,
    pub deliveries: Vec<DeliveryLine>,
}

#[derive(Template)]
#[template(path = "admin_webhooks.html")]
struct WebhooksPage {
    chrome: Chrome,
    webhooks: Vec<WebhookLine>,
    kinds: Vec<KindOption>,
    url: String,
    secret: String,
    error: String,
}

async fn webhooks_page(
    state: &AppState,
    viewer: &Viewer,
    typed: (String, Vec<NoticeKind>),
    secret: String,
    error: String,
) -> Result<Response, PageError> {
    let t = viewer.t();
    let org = state.app.org();
    let moment = |millis: i64| {
        jiff::Timestamp::from_millisecond(millis)
            .map(|at| {
                let time = at
                    .to_zoned_datetime(org.calendar.time_zone().clone())
                    .strftime("%H:%M:%S");
                format!(
                    "{time} {}",
                    crate::web::format::date(org.calendar.day_of(at), viewer.lang)
                )
            })
            .unwrap_or_default()
    };
    let webhooks = state
        .app
        .webhooks(&viewer.caller, LOG)
        .await?
        .into_iter()
        .map(|(w, deliveries)| WebhookLine {
            key: w.key,
            kinds: w
                .kinds
                .iter()
                .map(|k| kind_name(*k, t))
                .collect::<Vec<_>>()
                .join(", "),
            url: w.url,
            paused: w.paused,
            failures: w.failures,
            deliveries: deliveries
                .into_iter()
                .map(|d| DeliveryLine {
                    key: d.key,
                    when: moment(d.delivered_at.unwrap_or(d.next_at)),
                    status: d.status,
                    attempts: d.attempts,
                    error: d.last_error.unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let (url, chosen) = typed;
    let kinds = kind_options(&chosen, t);
    let invalid = !error.is_empty();
    let page = WebhooksPage {
        chrome: viewer.chrome("webhooks", "/admin/webhooks"),
        webhooks,
        kinds,
        url,
        secret,
        error,
    };
    let mut response = unprocessable_if(invalid, render(&page)?);
    // The page may hold a signing secret: never keep it in a cache.
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `GET /admin/webhooks`
pub async fn webhooks(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let every = (String::new(), NoticeKind::ALL.to_vec());
    webhooks_page(&state, &viewer, every, String::new(), String::new()).await
}

/// `POST /admin/webhooks`: a new webhook, its signing secret shown on this answer only.
pub async fn create_webhook(
    State(state): State<AppState>,
    viewer: Viewer,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let url = form_field(&pairs, "url");
    let kinds: Vec<NoticeKind> = pairs
        .iter()
        .filter(|(k, _)| k == "kind")
        .filter_map(|(_, v)| v.parse().ok())
        .collect();
    match state.app.create_webhook(&viewer.caller, &url, &kinds).await {
        Ok(new) => {
            let every = (String::new(), NoticeKind::ALL.to_vec());
            webhooks_page(&state, &viewer, every, new.secret, String::new()).await
        }
        Err(e) => {
            let error = form_error(e, viewer.lang)?;
            webhooks_page(&state, &viewer, (url, kinds), String::new(), error).await
        }
    }
}

/// `POST /admin/webhooks/{key}/{action}`: `pause`, `resume` or `remove`.
pub async fn change_webhook(
    State(state): State<AppState>,
    viewer: Viewer,
    Path((key, action)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let caller = &viewer.caller;
    match action.as_str() {
        "pause" => state.app.pause_webhook(caller, key, true).await?,
        "resume" => state.app.pause_webhook(caller, key, false).await?,
        "remove" => state.app.remove_webhook(caller, key).await?,
        _ => {
            let unknown = format!("no such action '{action}' (pause, resume or remove)");
            return Err(PageError(crate::error::ApiError::NotFound(unknown)));
        }
    }
    Ok(Redirect::to("/admin/webhooks").into_response())
}
