//! The mini-CRM's records (customers, notes, opportunities, to-dos, meetings, SMS and
//! email logs), kept as JSON with the columns that lists filter, search and sort on.
//!
//! Records are written only through [`Store::ingest_with`], in the transaction of the
//! events they emit (`spec/events.md`); and an event from elsewhere that moves one of
//! them (a new owner, a status, an amount, a completed to-do) moves the record in its
//! own transaction ([`follow_events`]), so KPIs and records never disagree.

use crate::{Store, StoreError, WriteTx};
use serde_json::{Map, Value, json};
use sqlx::Row;
use sqlx::any::AnyRow;
use std::collections::{BTreeMap, BTreeSet};
use tally_core::state::{EntityKind, Stamped};
use tally_core::{Event, EventKind, Organization, State};

/// A CRM record as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrmRecord {
    pub kind: String,
    pub id: String,
    pub customer_id: Option<String>,
    pub owner_id: Option<String>,
    /// What lists sort by name: the name or title, lower-cased.
    pub sort_name: String,
    /// Lower-cased text that search matches: name, email, company, phones…
    pub search: String,
    /// The record's JSON.
    pub body: String,
    /// Microseconds since the epoch.
    pub created_at: i64,
    pub updated_at: i64,
}

/// What a CRM action writes besides its events.
#[derive(Clone, Debug, Default)]
pub struct CrmWrite {
    /// Records to insert or replace.
    pub records: Vec<CrmRecord>,
    /// A customer's normalised phones, replacing the ones stored.
    pub phones: Option<(String, Vec<String>)>,
    /// For a change: the `updated_at` of the records as read when it was decided. If
    /// another change landed meanwhile, nothing is written (a conflict): the change
    /// would otherwise put back what that one changed.
    pub unchanged_since: Option<i64>,
}

/// Which records a list shows, and in which order.
#[derive(Clone, Debug)]
pub struct CrmQuery {
    pub kind: String,
    /// Words to find in the search text (all of them), or a phone.
    pub search: Option<String>,
    pub phone: Option<String>,
    pub customer_id: Option<String>,
    pub owner_id: Option<String>,
    /// Only records owned by one of these people (`None`: anyone's), the people a
    /// limited caller may see.
    pub owners: Option<Vec<String>>,
    /// `name`, `created_at` or `updated_at`.
    pub sort: &'static str,
    pub descending: bool,
    pub limit: i64,
    pub offset: i64,
}

const COLUMNS: &str =
    "kind, id, customer_id, owner_id, sort_name, search, body, created_at, updated_at";

fn record_of(row: &AnyRow) -> Result<CrmRecord, StoreError> {
    Ok(CrmRecord {
        kind: row.try_get("kind")?,
        id: row.try_get("id")?,
        customer_id: row.try_get("customer_id")?,
        owner_id: row.try_get("owner_id")?,
        sort_name: row.try_get("sort_name")?,
        search: row.try_get("search")?,
        body: row.try_get("body")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// Writes a CRM action's records inside its events' transaction.
pub(crate) async fn write(w: &mut WriteTx<'_>, crm: &CrmWrite) -> Result<(), StoreError> {
    if let Some(read_at) = crm.unchanged_since {
        for r in &crm.records {
            refuse_if_changed(w, r, read_at).await?;
        }
    }
    for r in &crm.records {
        sqlx::query(
            "insert into crm_records (kind, id, customer_id, owner_id, sort_name, search, body, \
             created_at, updated_at) values ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             on conflict (kind, id) do update set customer_id = excluded.customer_id, \
             owner_id = excluded.owner_id, sort_name = excluded.sort_name, \
             search = excluded.search, body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(&r.kind)
        .bind(&r.id)
        .bind(&r.customer_id)
        .bind(&r.owner_id)
        .bind(&r.sort_name)
        .bind(&r.search)
        .bind(&r.body)
        .bind(r.created_at)
        .bind(r.updated_at)
        .execute(&mut *w.tx)
        .await?;
    }
    if let Some((customer, phones)) = &crm.phones {
        sqlx::query("delete from customer_phones where customer_id = $1")
            .bind(customer)
            .execute(&mut *w.tx)
            .await?;
        for phone in phones {
            sqlx::query(
                "insert into customer_phones (phone, customer_id) values ($1, $2) \
                 on conflict (phone, customer_id) do nothing",
            )
            .bind(phone)
            .bind(customer)
            .execute(&mut *w.tx)
            .await?;
        }
    }
    Ok(())
}

/// Refuses a change decided on a record that changed since it was read (`read_at`).
async fn refuse_if_changed(
    w: &mut WriteTx<'_>,
    record: &CrmRecord,
    read_at: i64,
) -> Result<(), StoreError> {
    let current: Option<(i64,)> =
        sqlx::query_as("select updated_at from crm_records where kind = $1 and id = $2")
            .bind(&record.kind)
            .bind(&record.id)
            .fetch_optional(&mut *w.tx)
            .await?;
    match current {
        Some((updated_at,)) if updated_at != read_at => Err(StoreError::Conflict(format!(
            "{} '{}' changed meanwhile; reload it and try again",
            record.kind.replace('_', " "),
            record.id
        ))),
        _ => Ok(()),
    }
}

/// Brings the CRM records that accepted events changed in line with the entities'
/// state after the batch: a customer's or opportunity's owner, an opportunity's amount
/// and status, a to-do's completion. Records the CRM does not hold are left alone.
pub(crate) async fn follow_events(
    w: &mut WriteTx<'_>,
    org: &Organization,
    state: &State,
    events: &[(Event, String)],
) -> Result<(), StoreError> {
    let mut changed: BTreeMap<EntityKind, BTreeSet<&str>> = BTreeMap::new();
    for (event, _) in events {
        let (kind, id) = match &event.kind {
            EventKind::CustomerUpdated {
                customer_id,
                owner_id,
                channel,
            } if owner_id.is_some() || channel.is_some() => (EntityKind::Customer, customer_id),
            EventKind::OpportunityUpdated { opportunity_id, .. }
            | EventKind::OpportunityStatusChanged { opportunity_id, .. } => {
                (EntityKind::Opportunity, opportunity_id)
            }
            EventKind::TodoCompleted { todo_id } => (EntityKind::Todo, todo_id),
            _ => continue,
        };
        changed.entry(kind).or_default().insert(id.as_str());
    }
    let now = jiff::Timestamp::now().as_microsecond();
    let mut records = Vec::new();
    for (kind, ids) in changed {
        let name = kind.name();
        for mut record in records_of(w, name, &ids).await? {
            let Ok(Value::Object(mut body)) = serde_json::from_str(&record.body) else {
                continue;
            };
            let before = body.clone();
            follow(&mut body, kind, &record.id, org, state);
            if body != before {
                record.owner_id = owner_of(&body, kind).or(record.owner_id);
                record.body = Value::Object(body).to_string();
                record.updated_at = now;
                records.push(record);
            }
        }
    }
    let write = CrmWrite {
        records,
        ..CrmWrite::default()
    };
    self::write(w, &write).await
}

impl Store {
    /// Once per database: brings every CRM record in line with the entities' state
    /// and the event log's completions. Before events moved CRM records, an
    /// integration's reassignment or won deal reached the KPIs but not the record; this
    /// catches those up. How many records changed.
    pub async fn follow_events_once(&self, org: &Organization) -> Result<usize, StoreError> {
        const DONE: &str = "crm_records_follow_events";
        if self.meta(DONE).await?.is_some() {
            return Ok(0);
        }
        let mut w = self.begin_write().await?;
        let state = entity_state(&mut w).await?;
        let completed: std::collections::HashSet<String> =
            sqlx::query_as::<_, (String,)>("select body from events where type = 'todo.completed'")
                .fetch_all(&mut *w.tx)
                .await?
                .into_iter()
                .filter_map(|(body,)| serde_json::from_str::<Value>(&body).ok())
                .filter_map(|e| e.get("todo_id").and_then(Value::as_str).map(str::to_owned))
                .collect();
        let sql = format!(
            "select {COLUMNS} from crm_records where kind in ('customer', 'opportunity', 'todo')"
        );
        let rows = sqlx::query(&sql).fetch_all(&mut *w.tx).await?;
        let now = jiff::Timestamp::now().as_microsecond();
        let mut records = Vec::new();
        for mut record in rows.iter().map(record_of).collect::<Result<Vec<_>, _>>()? {
            let kind = match record.kind.as_str() {
                "customer" => EntityKind::Customer,
                "opportunity" => EntityKind::Opportunity,
                _ if completed.contains(&record.id) => EntityKind::Todo,
                _ => continue,
            };
            let Ok(Value::Object(mut body)) = serde_json::from_str(&record.body) else {
                continue;
            };
            let before = body.clone();
            follow(&mut body, kind, &record.id, org, &state);
            if body != before {
                record.owner_id = owner_of(&body, kind).or(record.owner_id);
                record.body = Value::Object(body).to_string();
                record.updated_at = now;
                records.push(record);
            }
        }
        let changed = records.len();
        let write = CrmWrite {
            records,
            ..CrmWrite::default()
        };
        self::write(&mut w, &write).await?;
        crate::upsert_meta(&mut *w.tx, DONE, "1").await?;
        w.tx.commit().await?;
        Ok(changed)
    }
}

/// The state of every customer and opportunity.
async fn entity_state(w: &mut WriteTx<'_>) -> Result<State, StoreError> {
    let rows: Vec<(String, String, String)> = sqlx::query_as(
        "select kind, id, state from entities where kind in ('customer', 'opportunity')",
    )
    .fetch_all(&mut *w.tx)
    .await?;
    let mut state = State::default();
    let corrupt =
        |id: &str, e: serde_json::Error| StoreError::Corrupt(format!("entity '{id}': {e}"));
    for (kind, id, json) in rows {
        match kind.as_str() {
            "customer" => {
                let customer = serde_json::from_str(&json).map_err(|e| corrupt(&id, e))?;
                state.customers.insert(id, customer);
            }
            _ => {
                let opportunity = serde_json::from_str(&json).map_err(|e| corrupt(&id, e))?;
                state.opportunities.insert(id, opportunity);
            }
        }
    }
    Ok(state)
}

/// A record's body as the entity's state says it is now.
fn follow(
    body: &mut Map<String, Value>,
    kind: EntityKind,
    id: &str,
    org: &Organization,
    state: &State,
) {
    match kind {
        EntityKind::Customer => {
            if let Some(customer) = state.customers.get(id) {
                body.insert("owner_id".into(), json!(customer.owner.value));
                follow_channel(body, customer.channel.as_ref());
            }
        }
        EntityKind::Opportunity => {
            if let Some(opportunity) = state.opportunities.get(id) {
                let amount = org.currency.from_minor(opportunity.amount_minor.value);
                body.insert("owner_id".into(), json!(opportunity.owner.value));
                body.insert("amount".into(), json!(amount.normalize().to_string()));
                follow_channel(body, opportunity.channel.as_ref());
                if let Some(status) = opportunity.status() {
                    body.insert("status".into(), json!(status.to_string()));
                }
            }
        }
        // A completed to-do stays completed: `todo.completed` is its only change.
        EntityKind::Todo => {
            body.insert("done".into(), json!(true));
        }
    }
}

/// A record's channel is its entity's, once it has one.
fn follow_channel(body: &mut Map<String, Value>, channel: Option<&Stamped<String>>) {
    if let Some(channel) = channel {
        body.insert("channel".into(), json!(channel.value));
    }
}

/// The person a record's column `owner_id` names: its owner, or a to-do's assignee.
fn owner_of(body: &Map<String, Value>, kind: EntityKind) -> Option<String> {
    let field = match kind {
        EntityKind::Todo => "assignee_id",
        _ => "owner_id",
    };
    body.get(field).and_then(Value::as_str).map(str::to_owned)
}

/// The records of one kind with these ids, inside a write.
async fn records_of(
    w: &mut WriteTx<'_>,
    kind: &str,
    ids: &BTreeSet<&str>,
) -> Result<Vec<CrmRecord>, StoreError> {
    // `kind` is one of the store's own names, never input.
    let sql = format!(
        "select {COLUMNS} from crm_records where kind = '{kind}' and {}",
        crate::sql::in_json_array(w.backend, "id", 1)
    );
    let list = serde_json::to_string(ids).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let rows = sqlx::query(&sql).bind(list).fetch_all(&mut *w.tx).await?;
    rows.iter().map(record_of).collect()
}

impl Store {
    /// One record.
    pub async fn crm_record(&self, kind: &str, id: &str) -> Result<Option<CrmRecord>, StoreError> {
        let sql = format!("select {COLUMNS} from crm_records where kind = $1 and id = $2");
        let row = sqlx::query(&sql)
            .bind(kind)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(record_of).transpose()
    }

    /// A page of records and how many match in all.
    pub async fn crm_records(&self, query: &CrmQuery) -> Result<(Vec<CrmRecord>, i64), StoreError> {
        let mut conditions = vec!["r.kind = $1".to_owned()];
        let mut binds: Vec<String> = vec![query.kind.clone()];
        let mut add = |condition: &str, value: String| {
            binds.push(value);
            conditions.push(condition.replace('?', &format!("${}", binds.len())));
        };
        if let Some(customer) = &query.customer_id {
            add("r.customer_id = ?", customer.clone());
        }
        if let Some(owner) = &query.owner_id {
            add("r.owner_id = ?", owner.clone());
        }
        if let Some(phone) = &query.phone {
            add(
                "r.id in (select customer_id from customer_phones where phone = ?)",
                phone.clone(),
            );
        }
        for word in query.search.iter().flat_map(|s| s.split_whitespace()) {
            add(
                "r.search like ? escape '\\'",
                format!("%{}%", escape_like(&word.to_lowercase())),
            );
        }
        if let Some(owners) = &query.owners {
            binds.push(Value::from(owners.clone()).to_string());
            let n = binds.len();
            let condition = crate::sql::in_numbered_json_array(self.backend, "r.owner_id", n);
            conditions.push(condition);
        }
        let filter = conditions.join(" and ");
        let count_sql =
            format!("select cast(count(*) as bigint) from crm_records r where {filter}");
        let mut count = sqlx::query_as::<_, (i64,)>(&count_sql);
        for b in &binds {
            count = count.bind(b);
        }
        let (total,) = count.fetch_one(&self.pool).await?;
        let order = match query.sort {
            "name" => "r.sort_name",
            "updated_at" => "r.updated_at",
            _ => "r.created_at",
        };
        let direction = if query.descending { "desc" } else { "asc" };
        let sql = format!(
            "select {COLUMNS} from crm_records r where {filter} order by {order} {direction}, r.id \
             limit {} offset {}",
            query.limit.max(0),
            query.offset.max(0)
        );
        let mut rows = sqlx::query(&sql);
        for b in &binds {
            rows = rows.bind(b);
        }
        let rows = rows.fetch_all(&self.pool).await?;
        Ok((rows.iter().map(record_of).collect::<Result<_, _>>()?, total))
    }

    /// Normalised phone → customer id, for these phones only (the numbers of a batch of
    /// calls), so that a call does not load every customer's phone.
    pub async fn customers_by_phone(
        &self,
        phones: &[String],
    ) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let sql = format!(
            "select phone, customer_id from customer_phones where {} order by customer_id",
            crate::sql::in_json_array(self.backend, "phone", 1)
        );
        let mut map = std::collections::HashMap::new();
        for chunk in phones.chunks(5_000) {
            let list =
                serde_json::to_string(chunk).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let rows: Vec<(String, String)> = sqlx::query_as(&sql)
                .bind(list)
                .fetch_all(&self.pool)
                .await?;
            map.extend(rows);
        }
        Ok(map)
    }
}

/// `%`, `_` and the escape character itself stand for themselves in a search: they
/// are not wildcards for the user.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    #[test]
    fn wildcards_are_searched_for_as_themselves() {
        assert_eq!(super::escape_like("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(super::escape_like("văn"), "văn");
    }
}
