//! The phone system: `POST /api/v1/calls/asterisk` (a `Master.csv` upload),
//! `POST /api/v1/calls/freeswitch` (where `mod_json_cdr` posts each CDR), the records
//! kept aside for want of a mapped extension, and counting them once mapped.

use super::openapi;
use super::query::{QueryParams, only_known, read_body};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{Request, State};
use serde_json::{Value, json};
use tally_app::calls::ImportSummary;
use tally_sources::freeswitch;

/// The largest `Master.csv` one upload may carry (a busy PBX's month is a few MiB).
pub const MAX_CSV_BYTES: usize = 64 * 1024 * 1024;

/// The largest FreeSWITCH CDR document (one call, with its variables).
const MAX_CDR_BYTES: usize = 1024 * 1024;

/// `POST /api/v1/calls/asterisk[?utc=true]`: the body is `Master.csv` (times local to
/// the organization, or UTC with `utc=true` for a PBX with `usegmtime=yes`).
#[utoipa::path(post, path = "/api/v1/calls/asterisk", tag = "calls",
    request_body(content = String, content_type = "text/csv",
        description = "Asterisk's `Master.csv`, at most 64 MiB"),
    params(("utc" = Option<bool>, Query, description = "`true`: the times are UTC (`usegmtime=yes`)")),
    responses((status = 200, description = "The answer", body = openapi::ImportSummary), openapi::Refusals))]
pub async fn asterisk_upload(
    State(state): State<AppState>,
    Auth(caller): Auth,
    QueryParams(params): QueryParams,
    request: Request,
) -> Result<Json<ImportSummary>, ApiError> {
    state.app.may_send_calls(&caller)?;
    only_known(&params, &["utc"])?;
    let zone = match params.get("utc").map(String::as_str) {
        None | Some("false") => state.app.org().calendar.time_zone().clone(),
        Some("true") => jiff::tz::TimeZone::UTC,
        Some(_) => return Err(ApiError::invalid("utc", "must be true or false")),
    };
    let body = read_body(request, MAX_CSV_BYTES).await?;
    let summary = state.app.import_asterisk(&caller, &body, zone).await?;
    Ok(Json(summary))
}

/// `POST /api/v1/calls/freeswitch`: one `mod_json_cdr` document (raw JSON, the form
/// field `cdr=`, or base64; values may be URL-encoded).
#[utoipa::path(post, path = "/api/v1/calls/freeswitch", tag = "calls",
    request_body(content = Object, description = "One `mod_json_cdr` document: raw JSON, \
        the form field `cdr=`, or base64"),
    responses((status = 200, description = "The answer", body = openapi::ImportSummary), openapi::Refusals))]
pub async fn freeswitch_post(
    State(state): State<AppState>,
    Auth(caller): Auth,
    request: Request,
) -> Result<Json<ImportSummary>, ApiError> {
    state.app.may_send_calls(&caller)?;
    let body = read_body(request, MAX_CDR_BYTES).await?;
    let record = freeswitch::parse(&body).map_err(|e| ApiError::invalid(&e.field, e.message))?;
    let mut summary = ImportSummary::default();
    let import = state.app.call_import(&caller).await?;
    import.count(vec![record], &mut summary).await?;
    Ok(Json(summary))
}

/// `GET /api/v1/calls/unmapped`: the records kept aside, oldest first, with why.
#[utoipa::path(get, path = "/api/v1/calls/unmapped", tag = "calls",
    responses((status = 200, description = "The answer", body = Vec<openapi::UnmappedCall>), openapi::Refusals))]
pub async fn unmapped(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Json<Value>, ApiError> {
    let rows = state.app.kept_aside_calls(&caller).await?;
    let list: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "source": r.source,
                "uid": r.uid,
                "reason": r.reason,
                "received_at": super::json::micros_json(r.received_at),
                "record": serde_json::from_str::<Value>(&r.record).unwrap_or(Value::Null),
            })
        })
        .collect();
    Ok(Json(Value::Array(list)))
}

/// `POST /api/v1/calls/retry`: counts the kept-aside records whose extension is now
/// mapped (owners and admins, after mapping it).
#[utoipa::path(post, path = "/api/v1/calls/retry", tag = "calls",
    responses((status = 200, description = "The answer", body = openapi::ImportSummary), openapi::Refusals))]
pub async fn retry(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Json<ImportSummary>, ApiError> {
    Ok(Json(state.app.count_kept_aside_calls(&caller).await?))
}
