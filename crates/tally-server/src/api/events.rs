//! `POST /api/v1/events`: a JSON array (or NDJSON) of up to 10,000 events.
//!
//! Each event is parsed on its own; the valid ones go to the store in one
//! transaction, and every rejected one is listed with its index, id and field.

use super::query::body_error;
use crate::AppState;
use crate::auth::Caller;
use crate::error::ApiError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use tally_core::{Event, Role};
use tally_store::RejectedEvent;

/// The most events one request may carry.
pub const MAX_EVENTS: usize = 10_000;

/// Ingests a batch; owners, admins and supervisors (integrations) may send events.
pub async fn post(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Owner, Role::Admin, Role::Supervisor], "send events")?;
    let body = body.map_err(body_error)?;
    let items = if is_ndjson(&headers) {
        ndjson_items(&body)?
    } else {
        json_items(&body)?
    };
    if items.len() > MAX_EVENTS {
        return Err(ApiError::TooLarge(format!(
            "{} events in one request; at most {MAX_EVENTS}",
            items.len()
        )));
    }
    let mut rejected = Vec::new();
    let mut events = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        match item.and_then(|value| parse(index, &value, &state)) {
            Ok(event) => events.push((index, event)),
            Err(rejection) => rejected.push(rejection),
        }
    }
    let outcome = state.store.ingest(&state.org, events).await?;
    rejected.extend(outcome.rejected);
    rejected.sort_by_key(|r| r.index);
    Ok(Json(json!({
        "accepted": outcome.accepted,
        "duplicates": outcome.duplicates,
        "rejected": rejected.iter().map(rejection_json).collect::<Vec<_>>(),
    })))
}

type Item = Result<Value, RejectedEvent>;

fn is_ndjson(headers: &HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| {
            ct.contains("ndjson") || ct.contains("jsonlines") || ct.contains("json-seq")
        })
}

/// A JSON array of events (or one event object).
fn json_items(body: &[u8]) -> Result<Vec<Item>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Array(values)) => Ok(values.into_iter().map(Ok).collect()),
        Ok(object @ Value::Object(_)) => Ok(vec![Ok(object)]),
        Ok(_) => Err(ApiError::Malformed(
            "the body must be a JSON array of events".into(),
        )),
        Err(e) => Err(ApiError::Malformed(format!(
            "the body is not JSON ({e}); send a JSON array, or NDJSON with Content-Type: application/x-ndjson"
        ))),
    }
}

/// One event a line; a line that is not JSON is rejected on its own, but a body
/// with no JSON line at all is not NDJSON.
fn ndjson_items(body: &[u8]) -> Result<Vec<Item>, ApiError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| ApiError::Malformed("the body is not UTF-8".into()))?;
    // Blank lines are not events; messages still name the physical line.
    let lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let items: Vec<Item> = lines
        .enumerate()
        .map(|(index, (line_number, line))| {
            serde_json::from_str::<Value>(line).map_err(|e| RejectedEvent {
                index,
                id: None,
                code: "malformed",
                field: "event".into(),
                message: format!("line {} is not JSON: {e}", line_number + 1),
            })
        })
        .collect();
    if items.iter().all(Result::is_err) {
        return Err(ApiError::Malformed(
            "the body is not NDJSON: no line is a JSON value".into(),
        ));
    }
    Ok(items)
}

fn parse(index: usize, value: &Value, state: &AppState) -> Result<Event, RejectedEvent> {
    Event::parse(value, &state.org.currency).map_err(|e| RejectedEvent {
        index,
        id: Event::id_of(value),
        code: "invalid_field",
        field: e.field,
        message: e.message,
    })
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
