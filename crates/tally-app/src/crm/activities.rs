//! To-dos, meetings, and SMS / email logs.

use super::*;
use serde_json::{Value, json};
use tally_core::event::MAX_ID_CHARS;

impl App {
    /// Creates a to-do: `{"id?", "title", "assignee_id?", "due_on?", "customer_id?"}`
    /// → `todo.created`.
    pub async fn create_todo(&self, caller: &Caller, body: &Fields) -> Result<Record> {
        let actor = actor(caller)?;
        body.only(&["id", "title", "assignee_id", "due_on", "customer_id"])?;
        let id = new_record_id(body, "t")?;
        refuse_taken(self, "todo", &id).await?;
        let title = body.text("title", 200)?;
        let assignee = body
            .optional_text("assignee_id", MAX_ID_CHARS)?
            .unwrap_or_else(|| actor.clone());
        may_act_for(self, caller, &assignee).await?;
        let due = body.optional_day("due_on")?.map(|d| d.to_string());
        let customer = body.optional_text("customer_id", MAX_ID_CHARS)?;
        if let Some(customer) = &customer {
            existing(self, "customer", customer)
                .await
                .map_err(|e| Error::invalid("customer_id", e.to_string()))?;
            may_work_on(self, caller, customer).await?;
        }
        let map = json_map(
            json!({"id": id, "title": title, "assignee_id": assignee, "due_on": due,
                                  "customer_id": customer, "done": false, "created_by": actor}),
        );
        let draft = simple_draft("todo", &id, map, customer.as_deref(), &assignee, &title);
        let fields = json!({"todo_id": id, "assignee_id": assignee});
        commit(
            self,
            caller,
            vec![event("todo.created", &actor, None, fields)],
            Writes::of(draft),
        )
        .await?;
        created(self, "todo", &id).await
    }

    /// Changes a to-do: `{"title?", "due_on?", "done?"}`: marking it done emits
    /// `todo.completed`.
    pub async fn update_todo(&self, caller: &Caller, id: &str, body: &Fields) -> Result<Record> {
        let actor = actor(caller)?;
        body.only(&["title", "due_on", "done"])?;
        let record = existing(self, "todo", id).await?;
        let mut map = body_of(&record);
        may_change(self, caller, &map, "assignee_id").await?;
        if let Some(title) = body.optional_text("title", 200)? {
            map.insert("title".into(), json!(title));
        }
        if body.contains("due_on") {
            map.insert(
                "due_on".into(),
                json!(body.optional_day("due_on")?.map(|d| d.to_string())),
            );
        }
        let was_done = map.get("done").and_then(Value::as_bool).unwrap_or(false);
        let mut events = Vec::new();
        match body.optional_bool("done")? {
            Some(false) if was_done => {
                return Err(Error::invalid(
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
        let customer = map
            .get("customer_id")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let (title, assignee) = (text_of(&map, "title"), text_of(&map, "assignee_id"));
        let draft = simple_draft("todo", id, map, customer.as_deref(), &assignee, &title);
        save_update(self, caller, &record, draft, events).await
    }

    /// One to-do.
    pub async fn get_todo(&self, caller: &Caller, id: &str) -> Result<Record> {
        show(self, caller, "todo", id).await
    }

    /// A page of to-dos (`customer_id`, `assignee_id` filter them).
    pub async fn list_todos(
        &self,
        caller: &Caller,
        params: &HashMap<String, String>,
    ) -> Result<RecordPage> {
        list(
            self,
            caller,
            "todo",
            params,
            &["q", "customer_id", "assignee_id"],
        )
        .await
    }

    /// Every to-do the caller may read (only `assignee`'s when given), newest change
    /// first.
    pub async fn every_todo(&self, caller: &Caller, assignee: Option<&str>) -> Result<Vec<Record>> {
        let params = assignee
            .map(|a| ("assignee_id".to_owned(), a.to_owned()))
            .into_iter()
            .collect();
        every(self, caller, "todo", params, &["assignee_id"]).await
    }

    /// Logs a meeting: `{"id?", "customer_id", "at", "title?", "held?"}`: a held
    /// meeting emits `meeting.held` at its time.
    pub async fn create_meeting(&self, caller: &Caller, body: &Fields) -> Result<Record> {
        let actor = actor(caller)?;
        body.only(&["id", "customer_id", "at", "title", "held"])?;
        let id = new_record_id(body, "m")?;
        refuse_taken(self, "meeting", &id).await?;
        let customer = body.text("customer_id", MAX_ID_CHARS)?;
        let at = timestamp(self, caller, body, "at")?
            .ok_or_else(|| Error::invalid("at", "is required"))?;
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
        existing(self, "customer", &customer)
            .await
            .map_err(|e| Error::invalid("customer_id", e.to_string()))?;
        may_work_on(self, caller, &customer).await?;
        commit(self, caller, events, Writes::of(draft)).await?;
        created(self, "meeting", &id).await
    }

    /// Changes a meeting: `{"held": true}` → `meeting.held` (a held meeting
    /// stays held: there is no event to take it back).
    pub async fn update_meeting(&self, caller: &Caller, id: &str, body: &Fields) -> Result<Record> {
        let actor = actor(caller)?;
        body.only(&["held", "title"])?;
        let record = existing(self, "meeting", id).await?;
        let mut map = body_of(&record);
        may_change(self, caller, &map, "owner_id").await?;
        let was_held = map.get("held").and_then(Value::as_bool).unwrap_or(false);
        let mut events = Vec::new();
        match body.optional_bool("held")? {
            Some(false) if was_held => {
                return Err(Error::invalid("held", "a meeting that was held stays held"));
            }
            Some(true) if !was_held => {
                let at = map.get("at").and_then(Value::as_str).map(str::to_owned);
                if let Some(held_at) = at.as_deref().and_then(|a| a.parse().ok()) {
                    may_log_on(self, caller, "at", held_at)?;
                }
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
        let draft = simple_draft(
            "meeting",
            id,
            map,
            record.customer_id.as_deref(),
            &owner,
            &title,
        );
        save_update(self, caller, &record, draft, events).await
    }

    /// A page of meetings (`customer_id`, `owner_id` filter them).
    pub async fn list_meetings(
        &self,
        caller: &Caller,
        params: &HashMap<String, String>,
    ) -> Result<RecordPage> {
        list(
            self,
            caller,
            "meeting",
            params,
            &["q", "customer_id", "owner_id"],
        )
        .await
    }

    /// Logs an SMS or email: `{"id?", "channel": "sms|email", "direction":
    /// "sent|received", "customer_id", "delivered?", "at?", "subject?", "text?"}` →
    /// `sms.sent`, `email.sent` (with `delivered`) or `email.received`. A received SMS is
    /// logged with no event: the spec counts no such action.
    pub async fn log_message(&self, caller: &Caller, body: &Fields) -> Result<Record> {
        let actor = actor(caller)?;
        body.only(&[
            "id",
            "channel",
            "direction",
            "customer_id",
            "delivered",
            "at",
            "subject",
            "text",
        ])?;
        let id = new_record_id(body, "msg")?;
        refuse_taken(self, "message", &id).await?;
        let channel = body.text("channel", 10)?;
        let direction = body.text("direction", 10)?;
        let customer = body.text("customer_id", MAX_ID_CHARS)?;
        let delivered = body.optional_bool("delivered")?;
        let at = timestamp(self, caller, body, "at")?
            .unwrap_or_else(|| jiff::Timestamp::now().to_string());
        let kind = match (channel.as_str(), direction.as_str()) {
            ("sms", "sent") => Some("sms.sent"),
            ("email", "sent") => Some("email.sent"),
            ("email", "received") => Some("email.received"),
            ("sms", "received") => None,
            ("sms" | "email", _) => {
                return Err(Error::invalid("direction", "must be sent or received"));
            }
            _ => return Err(Error::invalid("channel", "must be sms or email")),
        };
        let sent = direction == "sent";
        if sent && delivered.is_none() {
            return Err(Error::invalid(
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
        existing(self, "customer", &customer)
            .await
            .map_err(|e| Error::invalid("customer_id", e.to_string()))?;
        may_work_on(self, caller, &customer).await?;
        let events = kind
            .map(|k| event(k, &actor, Some(&at), fields))
            .into_iter()
            .collect();
        commit(self, caller, events, Writes::of(draft)).await?;
        created(self, "message", &id).await
    }

    /// A page of SMS and emails (`customer_id`, `owner_id` filter
    /// them).
    pub async fn list_messages(
        &self,
        caller: &Caller,
        params: &HashMap<String, String>,
    ) -> Result<RecordPage> {
        list(
            self,
            caller,
            "message",
            params,
            &["q", "customer_id", "owner_id"],
        )
        .await
    }
}
