//! `GET` / `PATCH /api/v1/settings`: the organization's calendar and currency (read
//! only: they are part of the data, see `tally rebuild`), and the scoring thresholds:
//! grades, the score cap and the pace thresholds, as decimal fractions (`"0.8"` = 80 %).

use super::query::JsonObject;
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use std::str::FromStr;
use tally_core::Role;
use tally_core::progress::{SCORING_KEYS, Scoring};
use tally_store::Store;

/// Where the scoring settings are kept (one JSON object in `meta`).
const SCORING_META: &str = "scoring";

/// The organization's scoring settings: the defaults, overridden by what was set.
pub async fn load_scoring(store: &Store) -> Result<Scoring, ApiError> {
    let mut scoring = Scoring::default();
    if let Some(text) = store.meta(SCORING_META).await? {
        let stored: Map<String, Value> = serde_json::from_str(&text)
            .map_err(|e| ApiError::Internal(format!("settings: {e}")))?;
        for (key, value) in stored {
            if let Some(d) = value.as_str().and_then(|s| Decimal::from_str(s).ok()) {
                scoring.set(&key, d);
            }
        }
    }
    Ok(scoring)
}

/// `GET /api/v1/settings`: every role.
pub async fn get(
    State(state): State<AppState>,
    Auth(_caller): Auth,
) -> Result<Json<Value>, ApiError> {
    let scoring = load_scoring(state.app.store()).await?;
    Ok(Json(settings_json(&state, &scoring)))
}

/// `PATCH /api/v1/settings` `{"grade_a?", "grade_b?", "grade_c?", "score_cap?",
/// "pace_on_track?", "pace_at_risk?"}`: owners and admins.
pub async fn update(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    caller.require(&[Role::Owner, Role::Admin], "change the settings")?;
    let mut scoring = load_scoring(state.app.store()).await?;
    for (key, value) in &body.0 {
        let decimal = match value {
            Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
            Value::String(s) => Decimal::from_str(s.trim()).ok(),
            _ => None,
        }
        .filter(|d| *d > Decimal::ZERO && *d <= Decimal::from(100))
        .ok_or_else(|| {
            ApiError::invalid(key, "must be a decimal fraction above 0, such as \"0.8\"")
        })?;
        if !scoring.set(key, decimal.normalize()) {
            return Err(ApiError::invalid(
                key,
                format!(
                    "unknown setting (expected one of {})",
                    SCORING_KEYS.join(", ")
                ),
            ));
        }
    }
    scoring
        .check()
        .map_err(|(field, message)| ApiError::invalid(field, message))?;
    let stored: Map<String, Value> = scoring_json(&scoring);
    state
        .app
        .store()
        .set_scoring(&Value::Object(stored).to_string())
        .await?;
    Ok(Json(settings_json(&state, &scoring)))
}

fn scoring_json(scoring: &Scoring) -> Map<String, Value> {
    SCORING_KEYS
        .iter()
        .filter_map(|k| {
            scoring
                .get(k)
                .map(|v| ((*k).to_owned(), Value::String(v.normalize().to_string())))
        })
        .collect()
}

fn settings_json(state: &AppState, scoring: &Scoring) -> Value {
    json!({
        "timezone": state.app.org().calendar.time_zone_name(),
        "currency": state.app.org().currency.code,
        "scoring": scoring_json(scoring),
    })
}
