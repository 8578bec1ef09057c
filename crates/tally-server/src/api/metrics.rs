//! The catalog of metrics, `GET /api/v1/metrics` (every role): the 18 built in and the
//! organisation's own (custom criteria, `tally_app::custom_metrics`), which owners and
//! admins define (`POST`), change (`PUT /api/v1/metrics/{key}`) and remove (`DELETE`).

use super::openapi;
use super::query::{JsonObject, PathId};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tally_app::custom_metrics::StoredMetric;
use tally_core::Metric;

/// Lists every metric with its names, unit and kind, the built-in ones first.
#[utoipa::path(get, path = "/api/v1/metrics", operation_id = "list_metrics", tag = "settings",
    responses((status = 200, description = "The answer", body = Vec<openapi::MetricEntry>), openapi::Refusals))]
pub async fn list(
    State(state): State<AppState>,
    Auth(_caller): Auth,
) -> Result<Json<Value>, ApiError> {
    let mut metrics: Vec<Value> = Metric::ALL.iter().map(|m| built_in(*m)).collect();
    let custom = state.app.custom_metrics().await?;
    metrics.extend(custom.iter().map(custom_json));
    Ok(Json(Value::Array(metrics)))
}

/// One metric of the catalog, by key.
#[utoipa::path(get, path = "/api/v1/metrics/{key}", operation_id = "get_metric", tag = "settings",
    params(("key" = String, Path)),
    responses((status = 200, description = "The metric", body = openapi::MetricEntry), openapi::Refusals))]
pub async fn get(
    State(state): State<AppState>,
    Auth(_caller): Auth,
    PathId(key): PathId,
) -> Result<Json<Value>, ApiError> {
    if let Ok(metric) = key.parse::<Metric>() {
        return Ok(Json(built_in(metric)));
    }
    let metric = state.app.custom_metric(&key).await?;
    Ok(Json(custom_json(&metric)))
}

/// Defines a custom metric (owners and admins); its history is counted from the
/// event log in steps while the server serves (see `history_counted`).
#[utoipa::path(post, path = "/api/v1/metrics", operation_id = "define_metric", tag = "settings",
    request_body = openapi::CustomMetricInput,
    responses((status = 201, description = "The metric", body = openapi::MetricEntry), openapi::Refusals))]
pub async fn define(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let metric = state.app.define_custom_metric(&caller, &body).await?;
    Ok((StatusCode::CREATED, Json(custom_json(&metric))))
}

/// Replaces a custom metric's definition (owners and admins): its values are counted
/// again from the whole history.
#[utoipa::path(put, path = "/api/v1/metrics/{key}", operation_id = "redefine_metric", tag = "settings",
    params(("key" = String, Path)),
    request_body = openapi::CustomMetricInput,
    responses((status = 200, description = "The metric", body = openapi::MetricEntry), openapi::Refusals))]
pub async fn redefine(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(key): PathId,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let metric = state
        .app
        .redefine_custom_metric(&caller, &key, &body)
        .await?;
    Ok(Json(custom_json(&metric)))
}

/// Removes a custom metric and its values (owners and admins).
#[utoipa::path(delete, path = "/api/v1/metrics/{key}", operation_id = "remove_metric", tag = "settings",
    params(("key" = String, Path)),
    responses((status = 204, description = "Removed"), openapi::Refusals))]
pub async fn remove(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(key): PathId,
) -> Result<StatusCode, ApiError> {
    state.app.remove_custom_metric(&caller, &key).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn built_in(metric: Metric) -> Value {
    json!({
        "key": metric.key(),
        "names": {"vi": metric.name_vi(), "en": metric.name_en()},
        "unit": metric.unit(),
        "kind": metric.kind(),
    })
}

fn custom_json(stored: &StoredMetric) -> Value {
    let metric = &stored.metric;
    json!({
        "key": metric.key,
        "names": {"vi": metric.name_vi, "en": metric.name_en},
        "unit": metric.unit(),
        "kind": metric.kind(),
        "custom": true,
        "credited_to": metric.credited_to(),
        "definition": metric.to_json(),
        "revision": stored.revision,
        "history_counted": stored.percent_counted(),
    })
}
