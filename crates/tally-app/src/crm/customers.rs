//! Customers (found by name and by phone) and their notes.

use super::*;
use crate::channels::MAX_CHANNEL_ID;
use serde_json::{Map, Value, json};
use tally_core::event::MAX_ID_CHARS;
use tally_sources::phone::normalize;

const CUSTOMER_FIELDS: [&str; 7] = [
    "id", "name", "phones", "email", "company", "owner_id", "channel",
];

impl App {
    /// Creates a customer: `{"id?", "name", "phones?", "email?", "company?",
    /// "owner_id?", "channel?"}` → `customer.created` (owner: the person in charge,
    /// default the actor; channel: one of the organisation's, where it came from).
    pub async fn create_customer(&self, caller: &Caller, body: &Fields) -> Result<Record> {
        let actor = actor(caller)?;
        body.only(&CUSTOMER_FIELDS)?;
        let id = new_record_id(body, "c")?;
        refuse_taken(self, "customer", &id).await?;
        let owner = body
            .optional_text("owner_id", MAX_ID_CHARS)?
            .unwrap_or_else(|| actor.clone());
        may_act_for(self, caller, &owner).await?;
        let mut map = Map::new();
        map.insert("id".into(), json!(id));
        map.insert("name".into(), json!(body.text("name", 200)?));
        map.insert("owner_id".into(), json!(owner));
        map.insert("created_by".into(), json!(actor));
        let mut fields = json!({"customer_id": id, "owner_id": owner, "name": map["name"]});
        if let Some(channel) = body.optional_text("channel", MAX_CHANNEL_ID)? {
            map.insert("channel".into(), json!(channel));
            fields["channel"] = json!(channel);
        }
        let phones = customer_fields(body, &mut map)?.unwrap_or_default();
        let events = vec![event("customer.created", &actor, None, fields)];
        let draft = customer_draft(&id, map, &phones, now_micros());
        let writes = Writes {
            phones: Some((id.clone(), phones)),
            ..Writes::of(draft)
        };
        commit(self, caller, events, writes).await?;
        created(self, "customer", &id).await
    }

    /// Changes a customer: any creation field but `id`; `owner_id` reassigns
    /// the customer, `channel` moves it to another channel → `customer.updated`.
    pub async fn update_customer(
        &self,
        caller: &Caller,
        id: &str,
        body: &Fields,
    ) -> Result<Record> {
        let actor = actor(caller)?;
        body.only(&CUSTOMER_FIELDS[1..])?;
        let record = existing(self, "customer", id).await?;
        let mut map = body_of(&record);
        may_change(self, caller, &map, "owner_id").await?;
        if let Some(name) = body.optional_text("name", 200)? {
            map.insert("name".into(), json!(name));
        }
        let mut fields = json!({"customer_id": id});
        if let Some(owner) = body.optional_text("owner_id", MAX_ID_CHARS)?
            && map.get("owner_id") != Some(&json!(owner))
        {
            may_reassign(self, caller, &owner).await?;
            map.insert("owner_id".into(), json!(owner));
            fields["owner_id"] = json!(owner);
        }
        if let Some(channel) = body.optional_text("channel", MAX_CHANNEL_ID)?
            && map.get("channel") != Some(&json!(channel))
        {
            map.insert("channel".into(), json!(channel));
            fields["channel"] = json!(channel);
        }
        let phones = customer_fields(body, &mut map)?;
        if map == body_of(&record) {
            return Ok(Record::of(&record));
        }
        let stored_phones = phones.clone().unwrap_or_else(|| normalized_phones(&map));
        let draft = customer_draft(id, map, &stored_phones, record.created_at);
        let events = vec![event("customer.updated", &actor, None, fields)];
        let writes = Writes {
            phones: phones.map(|p| (id.to_owned(), p)),
            read_at: Some(record.updated_at),
            ..Writes::of(draft)
        };
        commit(self, caller, events, writes).await?;
        Ok(Record::of(&existing(self, "customer", id).await?))
    }

    /// A page of customers, found by words (`q`), phone in any notation (`phone`) or
    /// owner (`owner_id`).
    pub async fn list_customers(
        &self,
        caller: &Caller,
        params: &HashMap<String, String>,
    ) -> Result<RecordPage> {
        list(
            self,
            caller,
            "customer",
            params,
            &["q", "phone", "owner_id"],
        )
        .await
    }

    /// One customer.
    pub async fn get_customer(&self, caller: &Caller, id: &str) -> Result<Record> {
        show(self, caller, "customer", id).await
    }

    /// A customer with everything on them that the caller may read — calls, notes,
    /// opportunities, to-dos, meetings, SMS and emails — newest first (the latest
    /// [`TIMELINE_PER_KIND`] of each kind).
    pub async fn customer_file(&self, caller: &Caller, id: &str) -> Result<CustomerFile> {
        let customer = self.get_customer(caller, id).await?;
        let params = HashMap::from([
            ("customer_id".to_owned(), id.to_owned()),
            ("order".to_owned(), "desc".to_owned()),
            ("limit".to_owned(), TIMELINE_PER_KIND.to_string()),
        ]);
        let mut timeline = Vec::new();
        for kind in ["note", "opportunity", "todo", "meeting", "message"] {
            let page = list(self, caller, kind, &params, &["customer_id"]).await?;
            timeline.extend(page.items);
        }
        timeline.sort_by_key(|r| std::cmp::Reverse((r.happened_at(), r.created_at)));
        let filter = crate::call_log::CallFilter {
            customer_id: Some(id.to_owned()),
            limit: TIMELINE_PER_KIND as i64,
            ..Default::default()
        };
        let calls = self.call_log(caller, &filter).await?.calls;
        Ok(CustomerFile {
            customer,
            timeline,
            calls,
        })
    }

    /// Adds a note to a customer: `{"id?", "text"}` → `note.added`.
    pub async fn add_note(&self, caller: &Caller, customer: &str, body: &Fields) -> Result<Record> {
        let actor = actor(caller)?;
        body.only(&["id", "text"])?;
        existing(self, "customer", customer).await?;
        may_work_on(self, caller, customer).await?;
        let id = new_record_id(body, "n")?;
        refuse_taken(self, "note", &id).await?;
        let text = body.text("text", 10_000)?;
        let map =
            json_map(json!({"id": id, "customer_id": customer, "text": text, "author_id": actor}));
        let draft = simple_draft("note", &id, map, Some(customer), &actor, &text);
        let events = vec![event(
            "note.added",
            &actor,
            None,
            json!({"customer_id": customer}),
        )];
        commit(self, caller, events, Writes::of(draft)).await?;
        created(self, "note", &id).await
    }

    /// Changes a note: `{"text"}` → `note.edited`.
    pub async fn edit_note(&self, caller: &Caller, id: &str, body: &Fields) -> Result<Record> {
        let actor = actor(caller)?;
        body.only(&["text"])?;
        let record = existing(self, "note", id).await?;
        let text = body.text("text", 10_000)?;
        let mut map = body_of(&record);
        may_change(self, caller, &map, "author_id").await?;
        map.insert("text".into(), json!(text));
        let customer = record.customer_id.clone().unwrap_or_default();
        let owner = record.owner_id.as_deref().unwrap_or(&actor);
        let draft = simple_draft("note", id, map, Some(&customer), owner, &text);
        let events = vec![event(
            "note.edited",
            &actor,
            None,
            json!({"customer_id": customer}),
        )];
        save_update(self, caller, &record, draft, events).await
    }

    /// A page of a customer's notes.
    pub async fn list_notes(
        &self,
        caller: &Caller,
        customer: &str,
        params: &HashMap<String, String>,
    ) -> Result<RecordPage> {
        let scope = readable(self, caller).await?;
        existing(self, "customer", customer).await?;
        refuse_unseen_customer(self, scope.as_ref(), customer).await?;
        let mut query = list_query("note", params, &["q"])?;
        query.customer_id = Some(customer.to_owned());
        list_page(self, &query).await
    }
}

/// How many records of each kind a customer's timeline shows.
pub const TIMELINE_PER_KIND: usize = 200;

/// A customer and their timeline.
#[derive(Clone, Debug)]
pub struct CustomerFile {
    pub customer: Record,
    /// Notes, opportunities, to-dos, meetings and messages, newest first.
    pub timeline: Vec<Record>,
    /// The calls with them (named by the call, or from one of their numbers), newest
    /// first.
    pub calls: Vec<crate::call_log::LoggedCall>,
}

/// Phones, email and company of a customer body into `map`; the normalised phones
/// when `phones` was given.
fn customer_fields(body: &Fields, map: &mut Map<String, Value>) -> Result<Option<Vec<String>>> {
    for field in ["email", "company"] {
        if let Some(value) = body.nullable_text(field, 200)? {
            if field == "email" && value.as_ref().is_some_and(|e| !e.contains('@')) {
                return Err(Error::invalid("email", "must be an email address"));
            }
            map.insert(field.into(), json!(value));
        }
    }
    let list = match body.get("phones") {
        None => return Ok(None),
        Some(Value::Null) => Vec::new(),
        Some(Value::Array(list)) if list.len() <= 10 => list.clone(),
        Some(_) => {
            return Err(Error::invalid(
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
            .ok_or_else(|| Error::invalid(&format!("phones[{i}]"), "is not a phone number"))?;
        raw.push(json!(text.trim()));
        if !normalized.contains(&number) {
            normalized.push(number);
        }
    }
    map.insert("phones".into(), Value::Array(raw));
    map.insert("phones_normalized".into(), json!(normalized));
    Ok(Some(normalized))
}

pub(super) fn normalized_phones(map: &Map<String, Value>) -> Vec<String> {
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
    let text = |k: &str| text_of(&map, k);
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
