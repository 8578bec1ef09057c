//! `POST /api/v1/events`: a JSON array (or NDJSON) of up to 10,000 events.
//!
//! The caller's role is checked before the body is read; the body is then read one
//! event at a time (`tally_core::batch`), so its size and count are refused as soon as
//! they pass the limits. The valid events go to the store in one transaction, and every
//! rejected one is listed with its index, id and field. A supervisor writes only for
//! the people they supervise (`tally_core::access`).

use super::query::read_body;
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};
use tally_core::Role;
use tally_core::batch::{self, BatchError, Format, MAX_EVENTS, RejectedEvent};

/// The largest body of events (10,000 events of about 6 KB).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Ingests a batch; owners, admins and supervisors (integrations) may send events.
pub async fn post(
    State(state): State<AppState>,
    Auth(caller): Auth,
    request: Request,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Owner, Role::Admin, Role::Supervisor], "send events")?;
    let format = format_of(request.headers());
    let body = read_body(request, MAX_BODY_BYTES).await?;
    let now = jiff::Timestamp::now();
    let items =
        batch::parse(&body, format, &state.org.currency, now, MAX_EVENTS).map_err(|e| match e {
            BatchError::Malformed(message) => ApiError::Malformed(message),
            BatchError::TooMany { max } => {
                ApiError::TooLarge(format!("more than {max} events in one request"))
            }
        })?;
    drop(body);
    let (mut events, mut rejected) = (Vec::new(), Vec::new());
    for item in items {
        match item {
            Ok(event) => events.push(event),
            Err(rejection) => rejected.push(rejection),
        }
    }
    let scope = state.app.credit_scope_now(&caller).await?;
    let may_credit = scope.as_ref().map(|s| s as _);
    let outcome = state
        .store
        .ingest_as(&state.org, events, may_credit)
        .await?;
    rejected.extend(outcome.rejected);
    crate::health::count_ingest("api", outcome.accepted, outcome.duplicates, rejected.len());
    rejected.sort_by_key(|r| r.index);
    Ok(Json(json!({
        "accepted": outcome.accepted,
        "duplicates": outcome.duplicates,
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
