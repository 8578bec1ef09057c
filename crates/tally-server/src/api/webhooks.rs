//! Webhooks, under `/api/v1/webhooks` (owners and admins; `tally_app::webhooks`): the
//! same as the `/admin/webhooks` page, so an integration can register itself. What a
//! webhook receives is in `docs/api.md`, "Webhooks".

use super::notices::kinds;
use super::openapi;
use super::query::{JsonObject, PathId};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tally_app::Error;
use tally_app::webhooks::MAX_URL_CHARS;
use tally_store::{Delivery, Webhook};

/// The deliveries listed with each webhook, newest first.
const LOG: i64 = 20;

/// `GET /api/v1/webhooks`: every webhook, with its latest deliveries.
#[utoipa::path(get, path = "/api/v1/webhooks", operation_id = "list_webhooks", tag = "notifications",
    responses((status = 200, description = "The answer", body = Vec<openapi::WebhookJson>), openapi::Refusals))]
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Json<Vec<Value>>, ApiError> {
    let listed = state.app.webhooks(&caller, LOG).await?;
    Ok(Json(
        listed
            .iter()
            .map(|(webhook, deliveries)| webhook_json(webhook, Some(deliveries)))
            .collect(),
    ))
}

/// `POST /api/v1/webhooks` `{"url", "kinds"}`: registers a webhook; the answer holds
/// its signing secret, shown this once.
#[utoipa::path(post, path = "/api/v1/webhooks", operation_id = "create_webhook", tag = "notifications",
    request_body = openapi::WebhookInput,
    responses((status = 201, description = "The webhook and its secret", body = openapi::WebhookJson), openapi::Refusals))]
pub async fn create(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonObject(body): JsonObject,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    body.only(&["url", "kinds"])?;
    let url = body.text("url", MAX_URL_CHARS)?;
    let new = state
        .app
        .create_webhook(&caller, &url, &kinds(&body)?)
        .await?;
    let mut answer = webhook_json(&new.webhook, None);
    answer["secret"] = json!(new.secret);
    Ok((StatusCode::CREATED, Json(answer)))
}

/// `PATCH /api/v1/webhooks/{id}` `{"paused"}`: pauses a webhook, or resumes it (which
/// sends what waited).
#[utoipa::path(patch, path = "/api/v1/webhooks/{id}", operation_id = "pause_webhook", tag = "notifications",
    params(("id" = i64, Path)), request_body = openapi::WebhookPause,
    responses((status = 200, description = "The webhook", body = openapi::WebhookJson), openapi::Refusals))]
pub async fn pause(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    body.only(&["paused"])?;
    let key = webhook_key(&id)?;
    let paused = body
        .optional_bool("paused")?
        .ok_or_else(|| Error::invalid("paused", "is required"))?;
    state.app.pause_webhook(&caller, key, paused).await?;
    let listed = state.app.webhooks(&caller, LOG).await?;
    let (webhook, deliveries) = listed
        .iter()
        .find(|(w, _)| w.key == key)
        .ok_or_else(|| no_webhook(&id))?;
    Ok(Json(webhook_json(webhook, Some(deliveries))))
}

/// `DELETE /api/v1/webhooks/{id}`: removes a webhook; what waited for it is dropped.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", operation_id = "remove_webhook", tag = "notifications",
    params(("id" = i64, Path)),
    responses((status = 200, description = "Removed", body = openapi::Removed), openapi::Refusals))]
pub async fn remove(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let key = webhook_key(&id)?;
    state.app.remove_webhook(&caller, key).await?;
    Ok(Json(json!({"id": key, "removed": true})))
}

fn webhook_key(id: &str) -> Result<i64, ApiError> {
    id.parse().map_err(|_| no_webhook(id))
}

fn no_webhook(id: &str) -> ApiError {
    ApiError::NotFound(format!("webhook '{id}' does not exist"))
}

/// A webhook as the API shows it (never its secret), with its deliveries if listed.
fn webhook_json(webhook: &Webhook, deliveries: Option<&Vec<Delivery>>) -> Value {
    let kinds: Vec<&str> = webhook.kinds.iter().map(|k| k.as_str()).collect();
    let mut json = json!({
        "id": webhook.key,
        "url": webhook.url,
        "kinds": kinds,
        "paused": webhook.paused,
        "failures_in_a_row": webhook.failures,
        "created_by": webhook.created_by,
        "created_at": millis(webhook.created_at),
    });
    if let Some(deliveries) = deliveries {
        json["deliveries"] = deliveries.iter().map(delivery_json).collect();
    }
    json
}

fn delivery_json(delivery: &Delivery) -> Value {
    json!({
        "id": delivery.key,
        "notice_id": delivery.notice_key,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_at": millis(delivery.next_at),
        "last_error": delivery.last_error,
        "delivered_at": delivery.delivered_at.map(millis),
    })
}

/// Unix milliseconds as an RFC 3339 instant.
fn millis(at: i64) -> String {
    jiff::Timestamp::from_millisecond(at)
        .map(|t| t.to_string())
        .unwrap_or_default()
}
