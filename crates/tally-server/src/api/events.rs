//! `POST /api/v1/events`: a JSON array (or NDJSON) of up to 10,000 events.
//!
//! The caller's role is checked before the body is read; the body is then read one
//! event at a time (`tally_core::batch`), so its size and count are refused as soon as
//! they pass the limits. The application stores the valid events in one transaction
//! (`tally_app::events`), and every rejected one is listed with its index, id and field.

use super::openapi;
use super::query::read_body;
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};
use tally_app::events::SENDERS;
use tally_core::batch::{self, BatchError, Format, MAX_EVENTS, RejectedEvent};

/// The largest body of events (10,000 events of about 6 KB).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Ingests a batch; owners, admins and supervisors (integrations) may send events.
#[utoipa::path(post, path = "/api/v1/events", operation_id = "send_events", tag = "events",
    request_body(content(
        (Vec<openapi::EventInput> = "application/json"),
        (openapi::EventInput = "application/x-ndjson"),
    ), description = "A JSON array of events, or NDJSON: one event a line"),
    responses((status = 200, description = "The answer", body = openapi::EventsReceived), openapi::Refusals))]
pub async fn post(
    State(state): State<AppState>,
    Auth(caller): Auth,
    request: Request,
) -> Result<Json<Value>, ApiError> {
    caller.require(&SENDERS, "send events")?;
    let format = format_of(request.headers());
    let body = read_body(request, MAX_BODY_BYTES).await?;
    let currency = &state.app.org().currency;
    let items =
        batch::parse(&body, format, currency, jiff::Timestamp::now(), MAX_EVENTS).map_err(|e| {
            match e {
                BatchError::Malformed(message) => ApiError::Malformed(message),
                BatchError::TooMany { max } => {
                    ApiError::TooLarge(format!("more than {max} events in one request"))
                }
            }
        })?;
    drop(body);
    let received = state.app.record_events(&caller, items).await?;
    let rejected = &received.rejected;
    Ok(Json(json!({
        "accepted": received.accepted,
        "duplicates": received.duplicates,
        "rejected": rejected.iter().map(rejection_json).collect::<Vec<_>>(),
    })))
}

fn format_of(headers: &HeaderMap) -> Format {
    let ndjson = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.contains("ndjson") || ct.contains("jsonlines") || ct.contains("json-seq")
        });
    match ndjson {
        true => Format::Ndjson,
        false => Format::Json,
    }
}

fn rejection_json(r: &RejectedEvent) -> Value {
    json!({
        "index": r.index,
        "id": r.id,
        "code": r.code,
        "field": r.field,
        "error": format!("{}: {}", r.field, r.message),
    })
}
