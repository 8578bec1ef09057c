//! Sales opportunities: created, changed, won or lost, reassigned.

use super::*;
use crate::api::openapi;
use crate::api::query::{JsonObject, PathId, QueryParams};
use axum::extract::State;
use serde_json::{Value, json};
use tally_core::event::MAX_ID_CHARS;

/// `POST /api/v1/opportunities` `{"id?", "title", "customer_id", "amount",
/// "owner_id?"}` → `opportunity.created` (status `open`).
#[utoipa::path(post, path = "/api/v1/opportunities", tag = "crm", request_body = openapi::OpportunityInput,
    responses((status = 201, description = "The created record, as stored", body = openapi::Opportunity), openapi::Refusals))]
pub async fn create_opportunity(
    State(state): State<AppState>,
    Auth(caller): Auth,
    body: JsonObject,
) -> Result<Created, ApiError> {
    let actor = actor(&caller)?;
    body.only(&["id", "title", "customer_id", "amount", "owner_id"])?;
    let id = new_record_id(&body, "o")?;
    refuse_taken(&state, "opportunity", &id).await?;
    let title = body.text("title", 200)?;
    let customer = body.text("customer_id", MAX_ID_CHARS)?;
    let amount = amount(&state, body.0.get("amount"))?
        .ok_or_else(|| ApiError::invalid("amount", "is required"))?;
    let owner = body
        .optional_text("owner_id", MAX_ID_CHARS)?
        .unwrap_or_else(|| actor.clone());
    may_act_for(&state, &caller, &owner).await?;
    let map = json_map(
        json!({"id": id, "title": title, "customer_id": customer, "amount": amount,
                              "owner_id": owner, "status": "open", "created_by": actor}),
    );
    let draft = simple_draft("opportunity", &id, map, Some(&customer), &owner, &title);
    let fields =
        json!({"opportunity_id": id, "customer_id": customer, "amount": amount, "owner_id": owner});
    commit(
        &state,
        &caller,
        vec![event("opportunity.created", &actor, None, fields)],
        Writes::of(draft),
    )
    .await?;
    created(&state, "opportunity", &id).await
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
    body: JsonObject,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&caller)?;
    body.only(&["title", "amount", "owner_id", "status"])?;
    let record = existing(&state, "opportunity", &id).await?;
    let mut map = body_of(&record);
    may_change(&state, &caller, &map, "owner_id").await?;
    let mut updated = json!({"opportunity_id": id});
    let mut changed = false;
    if let Some(title) = body.optional_text("title", 200)? {
        changed |= replace(&mut map, "title", json!(title));
    }
    if let Some(amount) = amount(&state, body.0.get("amount"))?
        && replace(&mut map, "amount", json!(amount))
    {
        updated["amount"] = json!(amount);
        changed = true;
    }
    if let Some(owner) = body.optional_text("owner_id", MAX_ID_CHARS)?
        && map.get("owner_id") != Some(&json!(owner))
    {
        may_reassign(&state, &caller, &owner).await?;
        map.insert("owner_id".into(), json!(owner));
        updated["owner_id"] = json!(owner);
        changed = true;
    }
    let mut events = Vec::new();
    if changed {
        events.push(event("opportunity.updated", &actor, None, updated));
    }
    if let Some(status) = body.optional_text("status", 20)? {
        if !["open", "won", "lost", "cancelled"].contains(&status.as_str()) {
            return Err(ApiError::invalid(
                "status",
                "must be open, won, lost or cancelled",
            ));
        }
        if map.get("status").and_then(Value::as_str) != Some(status.as_str()) {
            events.push(event(
                "opportunity.status_changed",
                &actor,
                None,
                json!({"opportunity_id": id, "status": status}),
            ));
            map.insert("status".into(), json!(status));
        }
    }
    if events.is_empty() {
        return Ok(Json(record_json(&record)));
    }
    let text = |k: &str| text_of(&map, k);
    let (title, owner, customer) = (text("title"), text("owner_id"), text("customer_id"));
    let draft = simple_draft("opportunity", &id, map, Some(&customer), &owner, &title);
    save_update(&state, &caller, &record, draft, events).await
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
    list(
        &state,
        &caller,
        "opportunity",
        &params,
        &["q", "customer_id", "owner_id"],
    )
    .await
}

/// `GET` one record of a kind.
#[utoipa::path(get, path = "/api/v1/opportunities/{id}", tag = "crm",
    params(("id" = String, Path)), responses((status = 200, description = "The answer", body = openapi::Opportunity), openapi::Refusals))]
pub async fn get_opportunity(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    show(&state, &caller, "opportunity", &id).await
}
