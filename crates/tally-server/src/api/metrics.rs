//! `GET /api/v1/metrics`: the catalog of the 18 metrics.

use super::openapi;
use crate::auth::Auth;
use axum::Json;
use serde_json::{Value, json};
use tally_core::Metric;

/// Lists every metric with its names, unit and kind (any signed-in caller).
#[utoipa::path(get, path = "/api/v1/metrics", operation_id = "list_metrics", tag = "settings",
    responses((status = 200, description = "The answer", body = Vec<openapi::MetricEntry>), openapi::Refusals))]
pub async fn list(Auth(_caller): Auth) -> Json<Value> {
    let metrics: Vec<Value> = Metric::ALL
        .iter()
        .map(|m| {
            json!({
                "key": m.key(),
                "names": {"vi": m.name_vi(), "en": m.name_en()},
                "unit": m.unit(),
                "kind": m.kind(),
            })
        })
        .collect();
    Json(Value::Array(metrics))
}
