//! `GET` / `PATCH /api/v1/settings`: the organization's calendar and currency (read
//! only: they are part of the data, see `tally rebuild`), and the scoring thresholds
//! (`tally_app::settings`): grades, the score cap and the pace thresholds, as decimal
//! fractions (`"0.8"` = 80 %).

use super::openapi;
use super::query::JsonObject;
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use tally_app::settings::scoring_fields;
use tally_core::progress::Scoring;

/// `GET /api/v1/settings`: every role.
#[utoipa::path(get, path = "/api/v1/settings", operation_id = "get_settings", tag = "settings",
    responses((status = 200, description = "The answer", body = openapi::Settings), openapi::Refusals))]
pub async fn get(
    State(state): State<AppState>,
    Auth(_caller): Auth,
) -> Result<Json<Value>, ApiError> {
    let scoring = state.app.scoring().await?;
    Ok(Json(settings_json(&state, &scoring)))
}

/// `PATCH /api/v1/settings` `{"grade_a?", "grade_b?", "grade_c?", "score_cap?",
/// "pace_on_track?", "pace_at_risk?"}`: owners and admins.
#[utoipa::path(patch, path = "/api/v1/settings", operation_id = "change_settings", tag = "settings", request_body = openapi::ScoringInput,
    responses((status = 200, description = "The answer", body = openapi::Settings), openapi::Refusals))]
pub async fn update(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let scoring = state.app.change_scoring(&caller, &body).await?;
    Ok(Json(settings_json(&state, &scoring)))
}

fn settings_json(state: &AppState, scoring: &Scoring) -> Value {
    json!({
        "timezone": state.app.org().calendar.time_zone_name(),
        "currency": state.app.org().currency.code,
        "scoring": scoring_fields(scoring),
    })
}
