//! Sales opportunities: created, changed, won or lost, reassigned.

use super::*;
use crate::channels::MAX_CHANNEL_ID;
use serde_json::{Value, json};
use tally_core::event::MAX_ID_CHARS;

impl App {
    /// Creates an opportunity: `{"id?", "title", "customer_id", "amount",
    /// "owner_id?", "channel?"}` → `opportunity.created` (status `open`).
    pub async fn create_opportunity(&self, caller: &Caller, body: &Fields) -> Result<Record> {
        let actor = actor(caller)?;
        body.only(&[
            "id",
            "title",
            "customer_id",
            "amount",
            "owner_id",
            "channel",
        ])?;
        let id = new_record_id(body, "o")?;
        refuse_taken(self, "opportunity", &id).await?;
        let title = body.text("title", 200)?;
        let customer = body.text("customer_id", MAX_ID_CHARS)?;
        may_work_on(self, caller, &customer).await?;
        let amount = amount(self, body.get("amount"))?
            .ok_or_else(|| Error::invalid("amount", "is required"))?;
        let owner = body
            .optional_text("owner_id", MAX_ID_CHARS)?
            .unwrap_or_else(|| actor.clone());
        may_act_for(self, caller, &owner).await?;
        let mut map = json_map(
            json!({"id": id, "title": title, "customer_id": customer, "amount": amount,
                                  "owner_id": owner, "status": "open", "created_by": actor}),
        );
        let mut fields = json!({"opportunity_id": id, "customer_id": customer, "amount": amount, "owner_id": owner});
        if let Some(channel) = body.optional_text("channel", MAX_CHANNEL_ID)? {
            map.insert("channel".into(), json!(channel));
            fields["channel"] = json!(channel);
        }
        let draft = simple_draft("opportunity", &id, map, Some(&customer), &owner, &title);
        commit(
            self,
            caller,
            vec![event("opportunity.created", &actor, None, fields)],
            Writes::of(draft),
        )
        .await?;
        created(self, "opportunity", &id).await
    }

    /// Changes an opportunity: `{"title?", "amount?", "owner_id?", "channel?",
    /// "status?"}` → `opportunity.updated` for the title, amount, owner or channel, and
    /// `opportunity.status_changed` when the status changes.
    pub async fn update_opportunity(
        &self,
        caller: &Caller,
        id: &str,
        body: &Fields,
    ) -> Result<Record> {
        let actor = actor(caller)?;
        body.only(&["title", "amount", "owner_id", "channel", "status"])?;
        let record = existing(self, "opportunity", id).await?;
        let mut map = body_of(&record);
        may_change(self, caller, &map, "owner_id").await?;
        let mut updated = json!({"opportunity_id": id});
        let mut changed = false;
        if let Some(title) = body.optional_text("title", 200)? {
            changed |= replace(&mut map, "title", json!(title));
        }
        if let Some(amount) = amount(self, body.get("amount"))?
            && replace(&mut map, "amount", json!(amount))
        {
            updated["amount"] = json!(amount);
            changed = true;
        }
        if let Some(owner) = body.optional_text("owner_id", MAX_ID_CHARS)?
            && map.get("owner_id") != Some(&json!(owner))
        {
            may_reassign(self, caller, &owner).await?;
            map.insert("owner_id".into(), json!(owner));
            updated["owner_id"] = json!(owner);
            changed = true;
        }
        if let Some(channel) = body.optional_text("channel", MAX_CHANNEL_ID)?
            && replace(&mut map, "channel", json!(channel))
        {
            updated["channel"] = json!(channel);
            changed = true;
        }
        let mut events = Vec::new();
        if changed {
            events.push(event("opportunity.updated", &actor, None, updated));
        }
        if let Some(status) = body.optional_text("status", 20)? {
            if !["open", "won", "lost", "cancelled"].contains(&status.as_str()) {
                return Err(Error::invalid(
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
            return Ok(Record::of(&record));
        }
        let text = |k: &str| text_of(&map, k);
        let (title, owner, customer) = (text("title"), text("owner_id"), text("customer_id"));
        let draft = simple_draft("opportunity", id, map, Some(&customer), &owner, &title);
        save_update(self, caller, &record, draft, events).await
    }

    /// A page of opportunities, filtered by customer (`customer_id`), owner
    /// (`owner_id`) and words (`q`).
    pub async fn list_opportunities(
        &self,
        caller: &Caller,
        params: &HashMap<String, String>,
    ) -> Result<RecordPage> {
        list(
            self,
            caller,
            "opportunity",
            params,
            &["q", "customer_id", "owner_id"],
        )
        .await
    }

    /// Every opportunity the caller may read (only `owner`'s when given), newest change
    /// first.
    pub async fn every_opportunity(
        &self,
        caller: &Caller,
        owner: Option<&str>,
    ) -> Result<Vec<Record>> {
        let params = owner
            .map(|o| ("owner_id".to_owned(), o.to_owned()))
            .into_iter()
            .collect();
        every(self, caller, "opportunity", params, &["owner_id"]).await
    }

    /// One opportunity.
    pub async fn get_opportunity(&self, caller: &Caller, id: &str) -> Result<Record> {
        show(self, caller, "opportunity", id).await
    }
}
