//! The CRM's record kinds and the event each action emits.

use super::{
    Draft, actor, body_of, commit, event, existing, list_page, list_query, new_record_id,
    only_fields, record_json,
};
use crate::AppState;
use crate::api::query::{JsonObject, PathId, QueryParams};
use crate::auth::Caller;
use crate::error::ApiError;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use std::str::FromStr;
use tally_core::Role;
use tally_core::event::MAX_ID_CHARS;
use tally_sources::phone::normalize;

type Created = (StatusCode, Json<Value>);

const CUSTOMER_FIELDS: [&str; 6] = ["id", "name", "phones", "email", "company", "owner_id"];

/// `POST /api/v1/customers` `{"id?", "name", "phones?", "email?", "company?",
/// "owner_id?"}` → `customer.created` (owner: the person in charge, default the actor).
pub async fn create_customer(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonObject,
) -> Result<Created, ApiError> {
    let actor = actor(&caller)?;
    only_fields(&body, &CUSTOMER_FIELDS)?;
    let id = new_record_id(&body, "c")?;
    refuse_taken(&state, "customer", &id).await?;
    let owner = body
        .optional_text("owner_id", MAX_ID_CHARS)?
        .unwrap_or_else(|| actor.clone());
    let mut map = Map::new();
    map.insert("id".into(), json!(id));
    map.insert("name".into(), json!(body.text("name", 200)?));
    map.insert("owner_id".into(), json!(owner));
    map.insert("created_by".into(), json!(actor));
    let phones = customer_fields(&body, &mut map)?.unwrap_or_default();
    let events = vec![event(
        "customer.created",
        &actor,
        None,
        json!({"customer_id": id, "owner_id": owner, "name": map["name"]}),
    )];
    let draft = customer_draft(&id, map, &phones, now_micros());
    commit(&state, events, vec![draft], Some((id.clone(), phones))).await?;
    created(&state, "customer", &id).await
}

/// `PATCH /api/v1/customers/{id}`: any creation field but `id`; `owner_id` reassigns
/// the customer → `customer.updated`.
pub async fn update_customer(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonObject,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&caller)?;
    only_fields(&body, &CUSTOMER_FIELDS[1..])?;
    let record = existing(&state, "customer", &id).await?;
    let mut map = body_of(&record);
    if let Some(name) = body.optional_text("name", 200)? {
        map.insert("name".into(), json!(name));
    }
    may_change(&caller, &actor, &map, "owner_id")?;
    let mut fields = json!({"customer_id": id});
    if let Some(owner) = body.optional_text("owner_id", MAX_ID_CHARS)?
        && map.get("owner_id") != Some(&json!(owner))
    {
        may_reassign(&caller)?;
        map.insert("owner_id".into(), json!(owner));
        fields["owner_id"] = json!(owner);
    }
    let phones = customer_fields(&body, &mut map)?;
    if map == body_of(&record) {
        return Ok(Json(record_json(&record)));
    }
    let stored_phones = phones.clone().unwrap_or_else(|| normalized_phones(&map));
    let draft = customer_draft(&id, map, &stored_phones, record.created_at);
    let events = vec![event("customer.updated", &actor, None, fields)];
    commit(&state, events, vec![draft], phones.map(|p| (id.clone(), p))).await?;
    Ok(Json(record_json(&existing(&state, "customer", &id).await?)))
}

/// `GET /api/v1/customers[?q=…][&phone=…][&owner_id=…]`.
pub async fn list_customers(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(params): QueryParams,
) -> Result<Json<Value>, ApiError> {
    may_read(&caller)?;
    list_page(
        &state,
        &list_query("customer", &params, &["q", "phone", "owner_id"])?,
    )
    .await
}

/// `GET /api/v1/customers/{id}`.
pub async fn get_customer(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    may_read(&caller)?;
    Ok(Json(record_json(&existing(&state, "customer", &id).await?)))
}

/// Phones, email and company of a customer body into `map`; the normalised phones
/// when `phones` was given.
fn customer_fields(
    body: &JsonObject,
    map: &mut Map<String, Value>,
) -> Result<Option<Vec<String>>, ApiError> {
    for field in ["email", "company"] {
        if let Some(value) = body.nullable_text(field, 200)? {
            if field == "email" && value.as_ref().is_some_and(|e| !e.contains('@')) {
                return Err(ApiError::invalid("email", "must be an email address"));
            }
            map.insert(field.into(), json!(value));
        }
    }
    let list = match body.0.get("phones") {
        None => return Ok(None),
        Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) if list.len() <= 10 => list.clone(),
        Some(_) => {
            return Err(ApiError::invalid(
                "phones",
                "must be a list of at most 10 phone numbers",
            ));
        }
    };
    let mut raw = Vec::new();
    let mut normalized = Vec::new();
    for (i, phone) in list.iter().enumerate() {
        let text = phone.as_str().unwrap_or_default();
        let number = normalize(text)
            .ok_or_else(|| ApiError::invalid(&format!("phones[{i}]"), "is not a phone number"))?;
        raw.push(json!(text.trim()));
        if !normalized.contains(&number) {
            normalized.push(number);
        }
    }
    map.insert("phones".into(), Value::Array(raw));
    map.insert("phones_normalized".into(), json!(normalized));
    Ok(Some(normalized))
}

fn normalized_phones(map: &Map<String, Value>) -> Vec<String> {
    map.get("phones_normalized")
        .and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(|p| p.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn customer_draft(id: &str, map: Map<String, Value>, phones: &[String], created_at: i64) -> Draft {
    let text = |k: &str| {
        map.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut search = vec![text("name"), text("email"), text("company")];
    search.extend(phones.iter().cloned());
    Draft {
        kind: "customer",
        id: id.to_owned(),
        customer_id: Some(id.to_owned()),
        owner_id: Some(text("owner_id")),
        name: text("name"),
        search,
        created_at,
        body: map,
    }
}

/// `POST /api/v1/customers/{id}/notes` `{"id?", "text"}` → `note.added`.
pub async fn add_note(
    State(state): State<AppState>,
    caller: Caller,
    PathId(customer): PathId,
    body: JsonObject,
) -> Result<Created, ApiError> {
    let actor = actor(&caller)?;
    only_fields(&body, &["id", "text"])?;
    existing(&state, "customer", &customer).await?;
    let id = new_record_id(&body, "n")?;
    refuse_taken(&state, "note", &id).await?;
    let text = body.text("text", 10_000)?;
    let map =
        json_map(json!({"id": id, "customer_id": customer, "text": text, "author_id": actor}));
    let draft = simple_draft("note", &id, map, Some(&customer), &actor, &text);
    let events = vec![event(
        "note.added",
        &actor,
        None,
        json!({"customer_id": customer}),
    )];
    commit(&state, events, vec![draft], None).await?;
    created(&state, "note", &id).await
}

/// `PATCH /api/v1/notes/{id}` `{"text"}` → `note.edited`.
pub async fn edit_note(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonObject,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&caller)?;
    only_fields(&body, &["text"])?;
    let record = existing(&state, "note", &id).await?;
    let text = body.text("text", 10_000)?;
    let mut map = body_of(&record);
    may_change(&caller, &actor, &map, "author_id")?;
    map.insert("text".into(), json!(text));
    let customer = record.customer_id.clone().unwrap_or_default();
    let mut draft = simple_draft(
        "note",
        &id,
        map,
        Some(&customer),
        record.owner_id.as_deref().unwrap_or(&actor),
        &text,
    );
    draft.created_at = record.created_at;
    let events = vec![event(
        "note.edited",
        &actor,
        None,
        json!({"customer_id": customer}),
    )];
    commit(&state, events, vec![draft], None).await?;
    Ok(Json(record_json(&existing(&state, "note", &id).await?)))
}

/// `GET /api/v1/customers/{id}/notes`.
pub async fn list_notes(
    State(state): State<AppState>,
    caller: Caller,
    PathId(customer): PathId,
    QueryParams(params): QueryParams,
) -> Result<Json<Value>, ApiError> {
    may_read(&caller)?;
    existing(&state, "customer", &customer).await?;
    let mut query = list_query("note", &params, &["q"])?;
    query.customer_id = Some(customer);
    list_page(&state, &query).await
}

/// `POST /api/v1/opportunities` `{"id?", "title", "customer_id", "amount",
/// "owner_id?"}` → `opportunity.created` (status `open`).
pub async fn create_opportunity(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonObject,
) -> Result<Created, ApiError> {
    let actor = actor(&caller)?;
    only_fields(&body, &["id", "title", "customer_id", "amount", "owner_id"])?;
    let id = new_record_id(&body, "o")?;
    refuse_taken(&state, "opportunity", &id).await?;
    let title = body.text("title", 200)?;
    let customer = body.text("customer_id", MAX_ID_CHARS)?;
    let amount = amount(&state, body.0.get("amount"))?
        .ok_or_else(|| ApiError::invalid("amount", "is required"))?;
    let owner = body
        .optional_text("owner_id", MAX_ID_CHARS)?
        .unwrap_or_else(|| actor.clone());
    let map = json_map(
        json!({"id": id, "title": title, "customer_id": customer, "amount": amount,
                              "owner_id": owner, "status": "open", "created_by": actor}),
    );
    let draft = simple_draft("opportunity", &id, map, Some(&customer), &owner, &title);
    let fields =
        json!({"opportunity_id": id, "customer_id": customer, "amount": amount, "owner_id": owner});
    commit(
        &state,
        vec![event("opportunity.created", &actor, None, fields)],
        vec![draft],
        None,
    )
    .await?;
    created(&state, "opportunity", &id).await
}

/// `PATCH /api/v1/opportunities/{id}` `{"title?", "amount?", "owner_id?", "status?"}`
/// → `opportunity.updated` for the title, amount or owner, and
/// `opportunity.status_changed` when the status changes.
pub async fn update_opportunity(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonObject,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&caller)?;
    only_fields(&body, &["title", "amount", "owner_id", "status"])?;
    let record = existing(&state, "opportunity", &id).await?;
    let mut map = body_of(&record);
    may_change(&caller, &actor, &map, "owner_id")?;
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
        && replace(&mut map, "owner_id", json!(owner))
    {
        may_reassign(&caller)?;
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
    let text = |k: &str| {
        map.get(k)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let (title, owner, customer) = (text("title"), text("owner_id"), text("customer_id"));
    let mut draft = simple_draft("opportunity", &id, map, Some(&customer), &owner, &title);
    draft.created_at = record.created_at;
    commit(&state, events, vec![draft], None).await?;
    Ok(Json(record_json(
        &existing(&state, "opportunity", &id).await?,
    )))
}

/// `POST /api/v1/todos` `{"id?", "title", "assignee_id?", "due_on?", "customer_id?"}`
/// → `todo.created`.
pub async fn create_todo(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonObject,
) -> Result<Created, ApiError> {
    let actor = actor(&caller)?;
    only_fields(
        &body,
        &["id", "title", "assignee_id", "due_on", "customer_id"],
    )?;
    let id = new_record_id(&body, "t")?;
    refuse_taken(&state, "todo", &id).await?;
    let title = body.text("title", 200)?;
    let assignee = body
        .optional_text("assignee_id", MAX_ID_CHARS)?
        .unwrap_or_else(|| actor.clone());
    let due = body.optional_day("due_on")?.map(|d| d.to_string());
    let customer = body.optional_text("customer_id", MAX_ID_CHARS)?;
    if let Some(customer) = &customer {
        existing(&state, "customer", customer)
            .await
            .map_err(|e| ApiError::invalid("customer_id", e.to_string()))?;
    }
    let map = json_map(
        json!({"id": id, "title": title, "assignee_id": assignee, "due_on": due,
                              "customer_id": customer, "done": false, "created_by": actor}),
    );
    let draft = simple_draft("todo", &id, map, customer.as_deref(), &assignee, &title);
    let fields = json!({"todo_id": id, "assignee_id": assignee});
    commit(
        &state,
        vec![event("todo.created", &actor, None, fields)],
        vec![draft],
        None,
    )
    .await?;
    created(&state, "todo", &id).await
}

/// `PATCH /api/v1/todos/{id}` `{"title?", "due_on?", "done?"}`: marking it done emits
/// `todo.completed`.
pub async fn update_todo(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonObject,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&caller)?;
    only_fields(&body, &["title", "due_on", "done"])?;
    let record = existing(&state, "todo", &id).await?;
    let mut map = body_of(&record);
    may_change(&caller, &actor, &map, "assignee_id")?;
    if let Some(title) = body.optional_text("title", 200)? {
        map.insert("title".into(), json!(title));
    }
    if body.0.contains_key("due_on") {
        map.insert(
            "due_on".into(),
            json!(body.optional_day("due_on")?.map(|d| d.to_string())),
        );
    }
    let was_done = map.get("done").and_then(Value::as_bool).unwrap_or(false);
    let mut events = Vec::new();
    match body.optional_bool("done")? {
        Some(false) if was_done => {
            return Err(ApiError::invalid(
                "done",
                "a completed to-do stays completed (it was counted)",
            ));
        }
        Some(true) if !was_done => {
            events.push(event(
                "todo.completed",
                &actor,
                None,
                json!({"todo_id": id}),
            ));
            map.insert("done".into(), json!(true));
        }
        _ => {}
    }
    let text = |k: &str| map.get(k).and_then(Value::as_str).map(str::to_owned);
    let (title, assignee, customer) = (
        text("title").unwrap_or_default(),
        text("assignee_id").unwrap_or_default(),
        text("customer_id"),
    );
    let mut draft = simple_draft("todo", &id, map, customer.as_deref(), &assignee, &title);
    draft.created_at = record.created_at;
    commit(&state, events, vec![draft], None).await?;
    Ok(Json(record_json(&existing(&state, "todo", &id).await?)))
}

/// `POST /api/v1/meetings` `{"id?", "customer_id", "at", "title?", "held?"}`: a held
/// meeting emits `meeting.held` at its time.
pub async fn create_meeting(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonObject,
) -> Result<Created, ApiError> {
    let actor = actor(&caller)?;
    only_fields(&body, &["id", "customer_id", "at", "title", "held"])?;
    let id = new_record_id(&body, "m")?;
    refuse_taken(&state, "meeting", &id).await?;
    let customer = body.text("customer_id", MAX_ID_CHARS)?;
    let at = timestamp(&body, "at")?.ok_or_else(|| ApiError::invalid("at", "is required"))?;
    let title = body.optional_text("title", 200)?.unwrap_or_default();
    let held = body.optional_bool("held")?.unwrap_or(false);
    let map = json_map(
        json!({"id": id, "customer_id": customer, "at": at, "title": title, "held": held, "owner_id": actor}),
    );
    let draft = simple_draft("meeting", &id, map, Some(&customer), &actor, &title);
    let events = match held {
        true => vec![event(
            "meeting.held",
            &actor,
            Some(&at),
            json!({"customer_id": customer}),
        )],
        false => Vec::new(),
    };
    existing(&state, "customer", &customer)
        .await
        .map_err(|e| ApiError::invalid("customer_id", e.to_string()))?;
    commit(&state, events, vec![draft], None).await?;
    created(&state, "meeting", &id).await
}

/// `PATCH /api/v1/meetings/{id}` `{"held": true}` → `meeting.held` (a held meeting
/// stays held: there is no event to take it back).
pub async fn update_meeting(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
    body: JsonObject,
) -> Result<Json<Value>, ApiError> {
    let actor = actor(&caller)?;
    only_fields(&body, &["held", "title"])?;
    let record = existing(&state, "meeting", &id).await?;
    let mut map = body_of(&record);
    may_change(&caller, &actor, &map, "owner_id")?;
    let was_held = map.get("held").and_then(Value::as_bool).unwrap_or(false);
    let mut events = Vec::new();
    match body.optional_bool("held")? {
        Some(false) if was_held => {
            return Err(ApiError::invalid(
                "held",
                "a meeting that was held stays held",
            ));
        }
        Some(true) if !was_held => {
            let at = map.get("at").and_then(Value::as_str).map(str::to_owned);
            let customer = record.customer_id.clone().unwrap_or_default();
            events.push(event(
                "meeting.held",
                &actor,
                at.as_deref(),
                json!({"customer_id": customer}),
            ));
            map.insert("held".into(), json!(true));
        }
        _ => {}
    }
    if let Some(title) = body.optional_text("title", 200)? {
        map.insert("title".into(), json!(title));
    }
    let title = map
        .get("title")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let owner = record.owner_id.clone().unwrap_or_default();
    let mut draft = simple_draft(
        "meeting",
        &id,
        map,
        record.customer_id.as_deref(),
        &owner,
        &title,
    );
    draft.created_at = record.created_at;
    commit(&state, events, vec![draft], None).await?;
    Ok(Json(record_json(&existing(&state, "meeting", &id).await?)))
}

/// `POST /api/v1/messages` `{"id?", "channel": "sms|email", "direction":
/// "sent|received", "customer_id", "delivered?", "at?", "subject?", "text?"}` →
/// `sms.sent`, `email.sent` (with `delivered`) or `email.received`. A received SMS is
/// logged with no event: the spec counts no such action.
pub async fn log_message(
    State(state): State<AppState>,
    caller: Caller,
    body: JsonObject,
) -> Result<Created, ApiError> {
    let actor = actor(&caller)?;
    only_fields(
        &body,
        &[
            "id",
            "channel",
            "direction",
            "customer_id",
            "delivered",
            "at",
            "subject",
            "text",
        ],
    )?;
    let id = new_record_id(&body, "msg")?;
    refuse_taken(&state, "message", &id).await?;
    let channel = body.text("channel", 10)?;
    let direction = body.text("direction", 10)?;
    let customer = body.text("customer_id", MAX_ID_CHARS)?;
    let delivered = body.optional_bool("delivered")?;
    let at = timestamp(&body, "at")?.unwrap_or_else(|| jiff::Timestamp::now().to_string());
    let kind = match (channel.as_str(), direction.as_str()) {
        ("sms", "sent") => Some("sms.sent"),
        ("email", "sent") => Some("email.sent"),
        ("email", "received") => Some("email.received"),
        ("sms", "received") => None,
        ("sms" | "email", _) => {
            return Err(ApiError::invalid("direction", "must be sent or received"));
        }
        _ => return Err(ApiError::invalid("channel", "must be sms or email")),
    };
    let sent = direction == "sent";
    if sent && delivered.is_none() {
        return Err(ApiError::invalid(
            "delivered",
            "is required for a sent message: true or false",
        ));
    }
    let subject = body.optional_text("subject", 200)?.unwrap_or_default();
    let map = json_map(
        json!({"id": id, "channel": channel, "direction": direction, "customer_id": customer,
        "delivered": delivered, "at": at, "subject": subject, "text": body.optional_text("text", 10_000)?, "author_id": actor}),
    );
    let draft = simple_draft("message", &id, map, Some(&customer), &actor, &subject);
    let mut fields = json!({"customer_id": customer});
    if sent {
        fields["delivered"] = json!(delivered);
    }
    existing(&state, "customer", &customer)
        .await
        .map_err(|e| ApiError::invalid("customer_id", e.to_string()))?;
    let events = kind
        .map(|k| event(k, &actor, Some(&at), fields))
        .into_iter()
        .collect();
    commit(&state, events, vec![draft], None).await?;
    created(&state, "message", &id).await
}

/// `GET /api/v1/opportunities`, `/todos`, `/meetings`, `/messages`: filtered by
/// `customer_id`, owner (`owner_id`, or `assignee_id` for to-dos), words (`q`).
pub async fn list_opportunities(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(params): QueryParams,
) -> Result<Json<Value>, ApiError> {
    may_read(&caller)?;
    list_page(
        &state,
        &list_query("opportunity", &params, &["q", "customer_id", "owner_id"])?,
    )
    .await
}

pub async fn list_todos(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(params): QueryParams,
) -> Result<Json<Value>, ApiError> {
    may_read(&caller)?;
    list_page(
        &state,
        &list_query("todo", &params, &["q", "customer_id", "assignee_id"])?,
    )
    .await
}

pub async fn list_meetings(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(params): QueryParams,
) -> Result<Json<Value>, ApiError> {
    may_read(&caller)?;
    list_page(
        &state,
        &list_query("meeting", &params, &["q", "customer_id", "owner_id"])?,
    )
    .await
}

pub async fn list_messages(
    State(state): State<AppState>,
    caller: Caller,
    QueryParams(params): QueryParams,
) -> Result<Json<Value>, ApiError> {
    may_read(&caller)?;
    list_page(
        &state,
        &list_query("message", &params, &["q", "customer_id", "owner_id"])?,
    )
    .await
}

/// `GET` one record of a kind.
pub async fn get_opportunity(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    may_read(&caller)?;
    Ok(Json(record_json(
        &existing(&state, "opportunity", &id).await?,
    )))
}

pub async fn get_todo(
    State(state): State<AppState>,
    caller: Caller,
    PathId(id): PathId,
) -> Result<Json<Value>, ApiError> {
    may_read(&caller)?;
    Ok(Json(record_json(&existing(&state, "todo", &id).await?)))
}

/// CRM records hold customers' phones and emails: a wallboard (an agent token bound to
/// nobody) does not read them.
fn may_read(caller: &Caller) -> Result<(), ApiError> {
    match (caller.role, &caller.user_id) {
        (Role::Agent, None) => Err(ApiError::Forbidden(
            "a wallboard token does not read CRM records".into(),
        )),
        _ => Ok(()),
    }
}

/// An agent changes only their own records (the ones they own, are assigned or wrote);
/// supervisors, admins and owners change any.
fn may_change(
    caller: &Caller,
    actor: &str,
    record: &Map<String, Value>,
    owner_field: &str,
) -> Result<(), ApiError> {
    let mine = record.get(owner_field).and_then(Value::as_str) == Some(actor)
        || record.get("created_by").and_then(Value::as_str) == Some(actor);
    match caller.role == Role::Agent && !mine {
        true => Err(ApiError::Forbidden(
            "an agent changes only their own records".into(),
        )),
        false => Ok(()),
    }
}

/// Reassigning moves KPI credit (also on past days): supervisors, admins and owners.
fn may_reassign(caller: &Caller) -> Result<(), ApiError> {
    match caller.role {
        Role::Agent => Err(ApiError::Forbidden(
            "reassigning to another person is for supervisors, admins and owners".into(),
        )),
        _ => Ok(()),
    }
}

/// Sets a field; whether its value changed.
fn replace(map: &mut Map<String, Value>, key: &str, value: Value) -> bool {
    if map.get(key) == Some(&value) {
        return false;
    }
    map.insert(key.into(), value);
    true
}

fn simple_draft(
    kind: &'static str,
    id: &str,
    body: Map<String, Value>,
    customer: Option<&str>,
    owner: &str,
    name: &str,
) -> Draft {
    Draft {
        kind,
        id: id.to_owned(),
        customer_id: customer.map(str::to_owned),
        owner_id: Some(owner.to_owned()),
        name: name.to_owned(),
        search: vec![name.to_owned()],
        created_at: now_micros(),
        body,
    }
}

fn json_map(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn now_micros() -> i64 {
    jiff::Timestamp::now().as_microsecond()
}

/// An amount of the organization's currency, as its normalised decimal string.
fn amount(state: &AppState, value: Option<&Value>) -> Result<Option<String>, ApiError> {
    let decimal = match value {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => Decimal::from_str(s.trim()).ok(),
        Some(Value::Number(n)) => Decimal::from_str(&n.to_string()).ok(),
        Some(_) => None,
    }
    .ok_or_else(|| ApiError::invalid("amount", "must be a decimal amount"))?;
    let minor = state
        .org
        .currency
        .to_minor(decimal)
        .map_err(|e| ApiError::invalid("amount", e.to_string()))?;
    Ok(Some(
        state.org.currency.from_minor(minor).normalize().to_string(),
    ))
}

/// An RFC 3339 timestamp field, kept as given.
fn timestamp(body: &JsonObject, field: &str) -> Result<Option<String>, ApiError> {
    let Some(text) = body.optional_text(field, 64)? else {
        return Ok(None);
    };
    let at = text.parse::<jiff::Timestamp>().map_err(|_| {
        ApiError::invalid(
            field,
            "must be an RFC 3339 time with an offset, such as 2026-11-27T09:00:00+07:00",
        )
    })?;
    if at > jiff::Timestamp::now() + jiff::SignedDuration::from_mins(5) {
        return Err(ApiError::invalid(
            field,
            "must not be in the future: log what happened",
        ));
    }
    Ok(Some(text))
}

async fn refuse_taken(state: &AppState, kind: &str, id: &str) -> Result<(), ApiError> {
    match state.store.crm_record(kind, id).await? {
        Some(_) => Err(ApiError::Conflict(format!(
            "a {kind} with id '{id}' already exists"
        ))),
        None => Ok(()),
    }
}

async fn created(state: &AppState, kind: &str, id: &str) -> Result<Created, ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(record_json(&existing(state, kind, id).await?)),
    ))
}
