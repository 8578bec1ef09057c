//! What operators watch: `/healthz` (the process answers), `/readyz` (it can serve:
//! the database answers and the read model is loaded, 503 until then and during
//! shutdown) and `/metrics` (Prometheus text: requests and their latency by route,
//! ingest counts, the read model's lag, open live streams, the database pool).
//!
//! `/metrics` is for owners and admins (a token or a session), like every endpoint
//! that reveals how the organization works; point Prometheus at it with a token
//! (`authorization: {credentials_file: …}` in its scrape config).

use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use axum::Json;
use axum::extract::{MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use serde_json::json;
use std::sync::OnceLock;
use std::time::{Duration, Instant};
use tally_core::Role;

/// The health and metrics routes.
pub fn routes() -> axum::Router<AppState> {
    axum::Router::new()
        .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/readyz", get(ready))
        .route("/metrics", get(metrics))
}

/// `GET /readyz`: 200 when this instance can answer at once; 503 while it starts
/// (the read model loads), when the database does not answer, or while it stops.
async fn ready(State(state): State<AppState>) -> Response {
    let problem = if state.app.shutdown().is_triggered() {
        Some("stopping")
    } else if !state.app.store().ping(Duration::from_secs(2)).await {
        Some("the database does not answer")
    } else if !state.app.store().model_loaded() {
        Some("loading the read model")
    } else {
        None
    };
    match problem {
        None => Json(json!({"status": "ready"})).into_response(),
        Some(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"status": "unavailable", "reason": why})),
        )
            .into_response(),
    }
}

/// `GET /metrics`: the Prometheus text format; owners and admins.
async fn metrics(State(state): State<AppState>, Auth(caller): Auth) -> Result<Response, ApiError> {
    caller.require(&[Role::Owner, Role::Admin], "read the server's metrics")?;
    let (size, idle) = state.app.store().pool_state();
    metrics::gauge!("tally_db_pool_connections").set(f64::from(size));
    metrics::gauge!("tally_db_pool_idle_connections").set(idle as f64);
    metrics::gauge!("tally_live_streams_open").set(state.live.listeners() as f64);
    let (used, made_again) = state.app.store().plans_ahead();
    metrics::counter!("tally_plans_ahead_total", "outcome" => "used").absolute(used);
    metrics::counter!("tally_plans_ahead_total", "outcome" => "made_again").absolute(made_again);
    metrics::gauge!("tally_read_model_loaded")
        .set(f64::from(u8::from(state.app.store().model_loaded())));
    if let Some(lag) = state.app.store().model_lag().await? {
        metrics::gauge!("tally_read_model_lag_versions").set(lag as f64);
    }
    let handle = prometheus();
    handle.run_upkeep();
    Ok((
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        handle.render(),
    )
        .into_response())
}

/// The process's metrics recorder, installed on first use (one per process, shared
/// by every server in it, as the `metrics` crate's macros are).
pub fn prometheus() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets(&[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
            ])
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("tally_group_commit_batches".into()),
                    &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 1024.0],
                )
            })
            .unwrap_or_else(|_| PrometheusBuilder::new());
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        // Another recorder already installed (an embedding program's) keeps its place;
        // this handle then renders nothing rather than failing.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Middleware: counts every request and its time by method, route and status. The
/// route is the pattern (`/api/v1/goals/{id}`), never the path, so that ids do not
/// make a new series each.
pub async fn record_request(request: Request, next: Next) -> Response {
    prometheus();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    // Any token is a method to HTTP: unknown ones share one series, so that requests
    // cannot make the metrics grow without end.
    let method = match request.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m,
        _ => "other",
    }
    .to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!(
        "tally_http_request_duration_seconds",
        "method" => method.clone(),
        "route" => route.clone()
    )
    .record(started.elapsed().as_secs_f64());
    metrics::counter!(
        "tally_http_requests_total",
        "method" => method,
        "route" => route,
        "status" => status
    )
    .increment(1);
    response
}
