//! Reading requests: JSON object bodies and report ranges, with errors naming the field.

use crate::error::ApiError;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde_json::Value;
use std::collections::HashMap;
pub use tally_app::input::{Fields, only_known, page};
use tally_core::views::Compare;
use tally_core::{Day, DayRange, Organization, Period};

/// The longest report range, in days (ten years).
pub use tally_core::calendar::MAX_RANGE_DAYS;

/// The largest JSON object body (a user, a goal, a CRM record): far more than any needs.
pub const MAX_OBJECT_BYTES: usize = 1024 * 1024;

/// A request body that must be one JSON object (at most [`MAX_OBJECT_BYTES`]), read
/// field by field by the application (`tally_app::input::Fields`).
pub struct JsonObject(pub Fields);

impl std::ops::Deref for JsonObject {
    type Target = Fields;

    fn deref(&self) -> &Fields {
        &self.0
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = ApiError;

    async fn from_request(req: Request, _: &S) -> Result<Self, Self::Rejection> {
        let bytes = read_body(req, MAX_OBJECT_BYTES).await?;
        let mut value = serde_json::from_slice::<Value>(&bytes)
            .map_err(|e| ApiError::Malformed(format!("the body is not valid JSON: {e}")))?;
        tally_core::event::keep_amount_exact(&bytes, &mut value);
        // No text may hold a NUL: no database stores one alike.
        if let Some(field) = tally_core::event::nul_field(&value) {
            return Err(ApiError::invalid(
                &field,
                "must not contain a NUL character",
            ));
        }
        match value {
            Value::Object(map) => Ok(JsonObject(Fields(map))),
            _ => Err(ApiError::Malformed("the body must be a JSON object".into())),
        }
    }
}

/// Reads a request body of at most `limit` bytes, after the caller's role was checked:
/// refused at once when its declared length is larger, and as soon as more arrives
/// than it declared or than the limit, so a large body is never held whole.
pub async fn read_body(request: Request, limit: usize) -> Result<Bytes, ApiError> {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large(limit));
    }
    axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|e| body_error(&e, limit))
}

fn too_large(limit: usize) -> ApiError {
    ApiError::TooLarge(format!("the body is larger than {limit} bytes"))
}

/// A body that could not be read: too large, too slow, or cut off.
fn body_error(error: &axum::Error, limit: usize) -> ApiError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if e.is::<http_body_util::LengthLimitError>() {
            return too_large(limit);
        }
        if e.is::<tower_http::timeout::TimeoutError>() {
            return ApiError::Timeout("the body did not arrive in time".into());
        }
        if let Some(crate::auth::CallerChanged(refused)) = e.downcast_ref() {
            return refused.clone();
        }
        cause = e.source();
    }
    ApiError::Malformed(format!("the body could not be read: {error}"))
}

/// The range of a report request: `period` (default `today`) or `from` and `to`.
pub fn report_range(
    params: &HashMap<String, String>,
    org: &Organization,
) -> Result<DayRange, ApiError> {
    let day = |field: &str| -> Result<Option<Day>, ApiError> {
        params
            .get(field)
            .map(|s| {
                s.parse::<Day>()
                    .map_err(|e| ApiError::invalid(field, e.to_string()))
            })
            .transpose()
    };
    let (from, to) = (day("from")?, day("to")?);
    let range = match (from, to, params.get("period")) {
        (None, None, period) => {
            let period = period.map_or("today", String::as_str);
            let period: Period =
                period
                    .parse()
                    .map_err(|e: tally_core::calendar::UnknownPeriod| {
                        ApiError::invalid("period", e.to_string())
                    })?;
            let today = org.calendar.day_of(jiff::Timestamp::now());
            org.calendar.period(period, today)
        }
        (Some(_), Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "period",
                "give either period or from and to, not both",
            ));
        }
        (Some(from), Some(to), None) => DayRange::new(from, to)
            .ok_or_else(|| ApiError::invalid("to", "must not be before from"))?,
        (Some(_), None, _) => return Err(ApiError::invalid("to", "is required with from")),
        (None, Some(_), _) => return Err(ApiError::invalid("from", "is required with to")),
    };
    if range.len() > MAX_RANGE_DAYS {
        return Err(ApiError::invalid(
            "to",
            format!("a report covers at most {MAX_RANGE_DAYS} days"),
        ));
    }
    Ok(range)
}

/// What a view compares its range with: `compare=previous` (the default) or `year`.
pub fn compare(params: &HashMap<String, String>) -> Result<Compare, ApiError> {
    params.get("compare").map_or(Ok(Compare::Previous), |text| {
        Compare::parse(text).ok_or_else(|| ApiError::invalid("compare", "must be previous or year"))
    })
}

/// The `{id}` of a path, with a JSON error (not axum's plain text) when it is unreadable.
pub struct PathId(pub String);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PathId {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(id)| PathId(id))
            .map_err(|e| ApiError::Malformed(e.body_text()))
    }
}

/// The query parameters, with a JSON error when the query string is unreadable.
pub struct QueryParams(pub HashMap<String, String>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for QueryParams {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        axum::extract::Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(params)| QueryParams(params))
            .map_err(|e| ApiError::Malformed(e.body_text()))
    }
}
