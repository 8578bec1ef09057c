//! A person's notifications and what reaches them by email, and the organisation's
//! notice settings, under `/api/v1/notifications` (`tally_app::notices`): the same as
//! the `/notifications` page, for apps and integrations. Notices are a person's own: a
//! token bound to a user reads and marks that user's.

use super::openapi;
use super::query::JsonObject;
use crate::AppState;
use crate::auth::Auth;
use crate::deliver::notice_json;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use tally_app::Error;
use tally_app::input::Fields;
use tally_core::notice::{NoticeKind, NoticeSettings, clock};
use tally_store::EmailChoice;

/// `GET /api/v1/notifications`: the caller's latest notifications, newest first, and
/// how many are unread.
#[utoipa::path(get, path = "/api/v1/notifications", operation_id = "list_notifications", tag = "notifications",
    responses((status = 200, description = "The answer", body = openapi::Notifications), openapi::Refusals))]
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Json<Value>, ApiError> {
    let items = state.app.inbox(&caller).await?;
    let unread = state.app.unread_notices(&caller).await?;
    let now = state.app.now().await?;
    let currency = &state.app.org().currency;
    let listed: Vec<Value> = items
        .iter()
        .map(|item| {
            let mut notice = notice_json(&item.record, &now.directory, currency);
            notice["read"] = json!(item.read);
            notice
        })
        .collect();
    Ok(Json(json!({"unread": unread, "notifications": listed})))
}

/// `POST /api/v1/notifications/read`: marks every notification of the caller read.
#[utoipa::path(post, path = "/api/v1/notifications/read", operation_id = "read_notifications", tag = "notifications",
    responses((status = 200, description = "None is unread now", body = openapi::Unread), openapi::Refusals))]
pub async fn read(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Json<Value>, ApiError> {
    state.app.read_notices(&caller).await?;
    Ok(Json(
        json!({"unread": state.app.unread_notices(&caller).await?}),
    ))
}

/// `GET /api/v1/notifications/email`: what the caller receives by email.
#[utoipa::path(get, path = "/api/v1/notifications/email", operation_id = "get_email_choice", tag = "notifications",
    responses((status = 200, description = "The answer", body = openapi::EmailChoiceJson), openapi::Refusals))]
pub async fn email(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(choice_json(&state.app.email_choice(&caller).await?)))
}

/// `PUT /api/v1/notifications/email` `{"kinds", "digest", "lang"}`: chooses what the
/// caller receives by email.
#[utoipa::path(put, path = "/api/v1/notifications/email", operation_id = "choose_email", tag = "notifications",
    request_body = openapi::EmailChoiceJson,
    responses((status = 200, description = "The choice", body = openapi::EmailChoiceJson), openapi::Refusals))]
pub async fn choose_email(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    body.only(&["kinds", "digest", "lang"])?;
    let choice = EmailChoice {
        kinds: kinds(&body)?,
        digest: body
            .optional_bool("digest")?
            .ok_or_else(|| Error::invalid("digest", "is required"))?,
        lang: body.text("lang", 2)?,
    };
    state.app.set_email_choice(&caller, &choice).await?;
    Ok(Json(choice_json(&state.app.email_choice(&caller).await?)))
}

/// `GET /api/v1/notifications/settings`: the milestones, the pace check time and the
/// digest time (every role).
#[utoipa::path(get, path = "/api/v1/notifications/settings", operation_id = "get_notice_settings", tag = "notifications",
    responses((status = 200, description = "The answer", body = openapi::NoticeSettingsJson), openapi::Refusals))]
pub async fn settings(
    State(state): State<AppState>,
    Auth(_caller): Auth,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(settings_json(&state.app.notice_settings().await?)))
}

/// `PUT /api/v1/notifications/settings` `{"milestones", "pace_check", "digest_time"}`:
/// owners and admins.
#[utoipa::path(put, path = "/api/v1/notifications/settings", operation_id = "change_notice_settings", tag = "notifications",
    request_body = openapi::NoticeSettingsJson,
    responses((status = 200, description = "The settings", body = openapi::NoticeSettingsJson), openapi::Refusals))]
pub async fn change_settings(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    body.only(&["milestones", "pace_check", "digest_time"])?;
    let percents = match body.get("milestones") {
        Some(Value::Array(list)) if list.iter().all(Value::is_u64) => list
            .iter()
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(","),
        _ => {
            let why = "must be a list of percents such as [50, 90, 100]";
            return Err(Error::invalid("milestones", why).into());
        }
    };
    let settings = state
        .app
        .change_notice_settings(
            &caller,
            &percents,
            &body.text("pace_check", 5)?,
            &body.text("digest_time", 5)?,
        )
        .await?;
    Ok(Json(settings_json(&settings)))
}

/// The kinds of a body's `kinds`: a list of kind names.
pub(crate) fn kinds(body: &Fields) -> Result<Vec<NoticeKind>, Error> {
    let names = NoticeKind::ALL.map(NoticeKind::as_str).join(", ");
    let invalid = || Error::invalid("kinds", format!("must be a list of: {names}"));
    let Some(Value::Array(list)) = body.get("kinds") else {
        return Err(invalid());
    };
    list.iter()
        .map(|k| k.as_str().and_then(|k| k.parse().ok()).ok_or_else(invalid))
        .collect()
}

fn choice_json(choice: &EmailChoice) -> Value {
    let lang = if choice.lang.is_empty() {
        "vi"
    } else {
        &choice.lang
    };
    let kinds: Vec<&str> = choice.kinds.iter().map(|k| k.as_str()).collect();
    json!({"kinds": kinds, "digest": choice.digest, "lang": lang})
}

fn settings_json(settings: &NoticeSettings) -> Value {
    json!({
        "milestones": settings.milestones,
        "pace_check": clock(settings.pace_check_minute),
        "digest_time": clock(settings.digest_minute),
    })
}
