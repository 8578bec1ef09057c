//! The mini-CRM as JSON: customers and their notes, sales opportunities, to-dos,
//! meetings, and SMS / email logs — adapters of the application's CRM actions
//! (`tally_app::crm`), which store each record with the event of `spec/events.md` it
//! emits, credited to the person acting.
//!
//! Lists page (`limit`, `offset`) and sort (`sort=name|created_at|updated_at`,
//! `order=asc|desc`); customers are found by words of their name, email or company
//! (`q=`) and by phone in any Vietnamese notation (`phone=`).

use super::json::micros_json;
use super::openapi;
use super::query::{JsonObject, PathId, QueryParams};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};
use tally_app::crm::{Record, RecordPage};

type Created = (StatusCode, Json<Value>);

/// `POST /api/v1/customers` `{"id?", "name", "phones?", "email?", "company?",
/// "owner_id?"}` → `customer.created` (owner: the person in charge, default the actor).
#[utoipa::path(post, path = "/api/v1/customers", tag = "crm", request_body = openapi::CustomerInput,
    responses((status = 201, description = "The created record, as stored", body = openapi::Customer), openapi::Refusals))]
pub async fn create_customer(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonObject(body): JsonObject,
) -> Result<Created, ApiError> {
    let record = state.app.create_customer(&caller, &body).await?;
    Ok((StatusCode::CREATED, Json(record_json(&record))))
}

/// `PATCH /api/v1/customers/{id}`: any creation field but `id`; `owner_id` reassigns
/// the customer → `customer.updated`.
#[utoipa::path(patch, path = "/api/v1/customers/{id}", tag = "crm", request_body = openapi::CustomerInput,
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = openapi::Customer), openapi::Refusals))]
pub async fn update_customer(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let record = state.app.update_customer(&caller, &id, &body).await?;
    Ok(Json(record_json(&record)))
}

/// `GET /api/v1/customers[?q=…][&phone=…][&owner_id=…]`.
#[utoipa::path(get, path = "/api/v1/customers", tag = "crm",
    params(openapi::ListParams, ("phone" = Option<String>, Query), ("owner_id" = Option<String>, Query)),
    responses((status = 200, description = "The answer", body = openapi::Page<openapi::Customer>), openapi::Refusals))]
pub async fn list_customers(
    State(state): State<AppState>,
    Auth(caller): Auth,
    QueryParams(params): QueryParams,
) -> Result<Json<Value>, ApiError> {
    let page = state.app.list_customers(&caller, &params).await?;
    Ok(Json(page_json(&page)))
}

/// `GET /api/v1/customers/{id}`.
#[utoipa::path(get, path = "/api/v1/customers/{id}", tag = "crm",
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = openapi::Customer), openapi::Refusals))]
pub async fn get_customer(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let record = state.app.get_customer(&caller, &id).await?;
    Ok(Json(record_json(&record)))
}

/// `POST /api/v1/customers/{id}/notes` `{"id?", "text"}` → `note.added`.
#[utoipa::path(post, path = "/api/v1/customers/{id}/notes", tag = "crm", request_body = openapi::NoteInput,
    params(("id" = String, Path)),
    responses((status = 201, description = "The created record, as stored", body = openapi::Note), openapi::Refusals))]
pub async fn add_note(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(customer): PathId,
    JsonObject(body): JsonObject,
) -> Result<Created, ApiError> {
    let record = state.app.add_note(&caller, &customer, &body).await?;
    Ok((StatusCode::CREATED, Json(record_json(&record))))
}

/// `PATCH /api/v1/notes/{id}` `{"text"}` → `note.edited`.
#[utoipa::path(patch, path = "/api/v1/notes/{id}", tag = "crm", request_body = openapi::NoteInput,
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = openapi::Note), openapi::Refusals))]
pub async fn edit_note(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let record = state.app.edit_note(&caller, &id, &body).await?;
    Ok(Json(record_json(&record)))
}

/// `GET /api/v1/customers/{id}/notes`.
#[utoipa::path(get, path = "/api/v1/customers/{id}/notes", tag = "crm",
    params(("id" = String, Path), openapi::ListParams),
    responses((status = 200, description = "The answer", body = openapi::Page<openapi::Note>), openapi::Refusals))]
pub async fn list_notes(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(customer): PathId,
    QueryParams(params): QueryParams,
) -> Result<Json<Value>, ApiError> {
    let page = state.app.list_notes(&caller, &customer, &params).await?;
    Ok(Json(page_json(&page)))
}

/// `POST /api/v1/opportunities` `{"id?", "title", "customer_id", "amount",
/// "owner_id?"}` → `opportunity.created` (status `open`).
#[utoipa::path(post, path = "/api/v1/opportunities", tag = "crm", request_body = openapi::OpportunityInput,
    responses((status = 201, description = "The created record, as stored", body = openapi::Opportunity), openapi::Refusals))]
pub async fn create_opportunity(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonObject(body): JsonObject,
) -> Result<Created, ApiError> {
    let record = state.app.create_opportunity(&caller, &body).await?;
    Ok((StatusCode::CREATED, Json(record_json(&record))))
}

/// `PATCH /api/v1/opportunities/{id}` `{"title?", "amount?", "owner_id?", "status?"}`
/// → `opportunity.updated` for the title, amount or owner, and
/// `opportunity.status_changed` when the status changes.
#[utoipa::path(patch, path = "/api/v1/opportunities/{id}", tag = "crm", request_body = openapi::OpportunityInput,
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = openapi::Opportunity), openapi::Refusals))]
pub async fn update_opportunity(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let record = state.app.update_opportunity(&caller, &id, &body).await?;
    Ok(Json(record_json(&record)))
}

/// `GET /api/v1/opportunities`, `/todos`, `/meetings`, `/messages`: filtered by
/// `customer_id`, owner (`owner_id`, or `assignee_id` for to-dos), words (`q`).
#[utoipa::path(get, path = "/api/v1/opportunities", tag = "crm",
    params(openapi::ListParams, ("customer_id" = Option<String>, Query), ("owner_id" = Option<String>, Query)),
    responses((status = 200, description = "The answer", body = openapi::Page<openapi::Opportunity>), openapi::Refusals))]
pub async fn list_opportunities(
    State(state): State<AppState>,
    Auth(caller): Auth,
    QueryParams(params): QueryParams,
) -> Result<Json<Value>, ApiError> {
    let page = state.app.list_opportunities(&caller, &params).await?;
    Ok(Json(page_json(&page)))
}

/// `GET` one record of a kind.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}", tag = "crm",
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = openapi::Opportunity), openapi::Refusals))]
pub async fn get_opportunity(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let record = state.app.get_opportunity(&caller, &id).await?;
    Ok(Json(record_json(&record)))
}

/// `POST /api/v1/todos` `{"id?", "title", "assignee_id?", "due_on?", "customer_id?"}`
/// → `todo.created`.
#[utoipa::path(post, path = "/api/v1/todos", tag = "crm", request_body = openapi::TodoInput,
    responses((status = 201, description = "The created record, as stored", body = openapi::Todo), openapi::Refusals))]
pub async fn create_todo(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonObject(body): JsonObject,
) -> Result<Created, ApiError> {
    let record = state.app.create_todo(&caller, &body).await?;
    Ok((StatusCode::CREATED, Json(record_json(&record))))
}

/// `PATCH /api/v1/todos/{id}` `{"title?", "due_on?", "done?"}`: marking it done emits
/// `todo.completed`.
#[utoipa::path(patch, path = "/api/v1/todos/{id}", tag = "crm", request_body = openapi::TodoInput,
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = openapi::Todo), openapi::Refusals))]
pub async fn update_todo(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let record = state.app.update_todo(&caller, &id, &body).await?;
    Ok(Json(record_json(&record)))
}

/// `GET /api/v1/todos/{id}`: one to-do.
#[utoipa::path(get, path = "/api/v1/todos/{id}", tag = "crm",
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = openapi::Todo), openapi::Refusals))]
pub async fn get_todo(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    let record = state.app.get_todo(&caller, &id).await?;
    Ok(Json(record_json(&record)))
}

/// `GET /api/v1/todos`: a page of to-dos (`customer_id`, `assignee_id` filter them).
#[utoipa::path(get, path = "/api/v1/todos", tag = "crm",
    params(openapi::ListParams, ("customer_id" = Option<String>, Query), ("assignee_id" = Option<String>, Query)),
    responses((status = 200, description = "The answer", body = openapi::Page<openapi::Todo>), openapi::Refusals))]
pub async fn list_todos(
    State(state): State<AppState>,
    Auth(caller): Auth,
    QueryParams(params): QueryParams,
) -> Result<Json<Value>, ApiError> {
    let page = state.app.list_todos(&caller, &params).await?;
    Ok(Json(page_json(&page)))
}

/// `POST /api/v1/meetings` `{"id?", "customer_id", "at", "title?", "held?"}`: a held
/// meeting emits `meeting.held` at its time.
#[utoipa::path(post, path = "/api/v1/meetings", tag = "crm", request_body = openapi::MeetingInput,
    responses((status = 201, description = "The created record, as stored", body = openapi::Meeting), openapi::Refusals))]
pub async fn create_meeting(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonObject(body): JsonObject,
) -> Result<Created, ApiError> {
    let record = state.app.create_meeting(&caller, &body).await?;
    Ok((StatusCode::CREATED, Json(record_json(&record))))
}

/// `PATCH /api/v1/meetings/{id}` `{"held": true}` → `meeting.held` (a held meeting
/// stays held: there is no event to take it back).
#[utoipa::path(patch, path = "/api/v1/meetings/{id}", tag = "crm", request_body = openapi::MeetingInput,
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = openapi::Meeting), openapi::Refusals))]
pub async fn update_meeting(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
    JsonObject(body): JsonObject,
) -> Result<Json<Value>, ApiError> {
    let record = state.app.update_meeting(&caller, &id, &body).await?;
    Ok(Json(record_json(&record)))
}

/// `GET /api/v1/meetings`: a page of meetings (`customer_id`, `owner_id` filter them).
#[utoipa::path(get, path = "/api/v1/meetings", tag = "crm",
    params(openapi::ListParams, ("customer_id" = Option<String>, Query), ("owner_id" = Option<String>, Query)),
    responses((status = 200, description = "The answer", body = openapi::Page<openapi::Meeting>), openapi::Refusals))]
pub async fn list_meetings(
    State(state): State<AppState>,
    Auth(caller): Auth,
    QueryParams(params): QueryParams,
) -> Result<Json<Value>, ApiError> {
    let page = state.app.list_meetings(&caller, &params).await?;
    Ok(Json(page_json(&page)))
}

/// `POST /api/v1/messages` `{"id?", "channel": "sms|email", "direction":
/// "sent|received", "customer_id", "delivered?", "at?", "subject?", "text?"}` →
/// `sms.sent`, `email.sent` (with `delivered`) or `email.received`. A received SMS is
/// logged with no event: the spec counts no such action.
#[utoipa::path(post, path = "/api/v1/messages", tag = "crm", request_body = openapi::MessageInput,
    responses((status = 201, description = "The created record, as stored", body = openapi::Message), openapi::Refusals))]
pub async fn log_message(
    State(state): State<AppState>,
    Auth(caller): Auth,
    JsonObject(body): JsonObject,
) -> Result<Created, ApiError> {
    let record = state.app.log_message(&caller, &body).await?;
    Ok((StatusCode::CREATED, Json(record_json(&record))))
}

/// `GET /api/v1/messages`: a page of SMS and emails (`customer_id`, `owner_id` filter
/// them).
#[utoipa::path(get, path = "/api/v1/messages", tag = "crm",
    params(openapi::ListParams, ("customer_id" = Option<String>, Query), ("owner_id" = Option<String>, Query)),
    responses((status = 200, description = "The answer", body = openapi::Page<openapi::Message>), openapi::Refusals))]
pub async fn list_messages(
    State(state): State<AppState>,
    Auth(caller): Auth,
    QueryParams(params): QueryParams,
) -> Result<Json<Value>, ApiError> {
    let page = state.app.list_messages(&caller, &params).await?;
    Ok(Json(page_json(&page)))
}

/// A record's JSON: its fields, with when it was created and last changed.
fn record_json(record: &Record) -> Value {
    let mut fields = record.fields.clone();
    fields.insert("created_at".into(), micros_json(record.created_at));
    fields.insert("updated_at".into(), micros_json(record.updated_at));
    Value::Object(fields)
}

/// A page of a list: `{"total", "limit", "offset", "items"}`.
fn page_json(page: &RecordPage) -> Value {
    json!({
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "items": page.items.iter().map(record_json).collect::<Vec<_>>(),
    })
}
