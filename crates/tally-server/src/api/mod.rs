//! The JSON API under `/api/v1`: one file a resource.

mod events;
mod metrics;
mod people;
mod query;
mod reports;

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

/// The largest request body accepted (10,000 events of about 6 KB).
pub const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Every API route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events", post(events::post))
        .route(
            "/api/v1/users",
            post(people::create_user).get(people::list_users),
        )
        .route(
            "/api/v1/users/{id}",
            get(people::get_user).patch(people::update_user),
        )
        .route(
            "/api/v1/teams",
            post(people::create_team).get(people::list_teams),
        )
        .route("/api/v1/teams/{id}", get(people::get_team))
        .route(
            "/api/v1/teams/{id}/members",
            post(people::add_member).get(people::list_members),
        )
        .route("/api/v1/reports/users", get(reports::users))
        .route("/api/v1/reports/teams", get(reports::teams))
        .route("/api/v1/metrics", get(metrics::list))
        .route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .fallback(|| async { ApiError::NotFound("no such endpoint".into()) })
        .method_not_allowed_fallback(|| async {
            ApiError::MethodNotAllowed("this endpoint does not take this method".into())
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
}
