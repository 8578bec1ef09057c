//! The mini-CRM's actions: customers and their notes, sales opportunities, to-dos,
//! meetings, and SMS / email logs. Each action emits exactly the event of
//! `spec/events.md`, credited to the acting person, in the same transaction as the
//! record change: either both are stored or neither is. The API and the pages call
//! the same methods, so the same work counts the same way from either.
//!
//! Lists page (`limit`, `offset`) and sort (`sort=name|created_at|updated_at`,
//! `order=asc|desc`); customers are found by words of their name, email or company
//! (`q=`) and by phone in any Vietnamese notation (`phone=`).

mod activities;
mod customers;
mod sales;

pub use customers::{CustomerFile, TIMELINE_PER_KIND};

use crate::input::{Fields, only_known, page};
use crate::people::new_id;
use crate::{App, Caller, Error, Result};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use tally_core::Event;
use tally_core::Role;
use tally_store::{CrmQuery, CrmRecord, CrmWrite};

/// A CRM record as stored: its fields (what the API shows of it), and when it was
/// created and last changed (microseconds since the epoch).
#[derive(Clone, Debug)]
pub struct Record {
    pub kind: String,
    pub id: String,
    pub fields: Map<String, Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Record {
    /// When what the record tells of happened, in microseconds since the epoch: a
    /// meeting's or message's time (`at`), else when the record was created.
    pub fn happened_at(&self) -> i64 {
        self.fields
            .get("at")
            .and_then(Value::as_str)
            .and_then(tally_core::event::rfc3339)
            .map_or(self.created_at, |at| at.as_microsecond())
    }

    /// A text field ("" when absent or not text).
    pub fn text(&self, key: &str) -> &str {
        self.fields
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub(crate) fn of(record: &CrmRecord) -> Record {
        Record {
            kind: record.kind.clone(),
            id: record.id.clone(),
            fields: body_of(record),
            created_at: record.created_at,
            updated_at: record.updated_at,
        }
    }
}

/// A page of a list: its records and how many match in all.
#[derive(Clone, Debug)]
pub struct RecordPage {
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
    pub items: Vec<Record>,
}

/// Who is acting: CRM actions are credited to a person.
fn actor(caller: &Caller) -> Result<String> {
    caller.person().map(str::to_owned)
}

/// A record being written: its kind, id, JSON and the columns lists use.
struct Draft {
    kind: &'static str,
    id: String,
    body: Map<String, Value>,
    customer_id: Option<String>,
    owner_id: Option<String>,
    name: String,
    search: Vec<String>,
    created_at: i64,
}

impl Draft {
    fn record(self, now: i64) -> CrmRecord {
        CrmRecord {
            kind: self.kind.to_owned(),
            id: self.id,
            customer_id: self.customer_id,
            owner_id: self.owner_id,
            sort_name: self.name.to_lowercase(),
            search: self.search.join(" ").to_lowercase(),
            body: Value::Object(self.body).to_string(),
            created_at: self.created_at,
            updated_at: now,
        }
    }
}

/// An event of `spec/events.md` by the actor, now (or at `at`).
fn event(kind: &str, actor: &str, at: Option<&str>, fields: Value) -> Value {
    let mut event = fields;
    event["id"] = json!(new_id("crm"));
    event["type"] = json!(kind);
    event["user_id"] = json!(actor);
    event["at"] = json!(at.map_or_else(|| jiff::Timestamp::now().to_string(), str::to_owned));
    event
}

/// What an action writes besides its events: its records, a customer's phones, and,
/// for a change, when the record was last changed as read (a change decided on a
/// record that changed since is refused, 409).
#[derive(Default)]
struct Writes {
    drafts: Vec<Draft>,
    phones: Option<(String, Vec<String>)>,
    read_at: Option<i64>,
}

impl Writes {
    fn of(draft: Draft) -> Writes {
        Writes {
            drafts: vec![draft],
            ..Writes::default()
        }
    }
}

/// Stores the records and their events in one transaction. The events pass the same
/// rule as events from outside, on the entities' state under the write lock: a person
/// the caller may not write for refuses the action (403); any other refused event
/// refuses it with its field (422).
async fn commit(app: &App, caller: &Caller, events: Vec<Value>, writes: Writes) -> Result<()> {
    let mut parsed = Vec::with_capacity(events.len());
    for (i, value) in events.iter().enumerate() {
        let event = Event::parse(value, &app.org().currency)
            .map_err(|e| Error::invalid(&e.field, e.message))?;
        parsed.push((i, event));
    }
    let now = jiff::Timestamp::now().as_microsecond();
    let write = CrmWrite {
        records: writes.drafts.into_iter().map(|d| d.record(now)).collect(),
        phones: writes.phones,
        unchanged_since: writes.read_at,
    };
    let scope = app.credit_scope_now(caller).await?;
    let outcome = app
        .store()
        .ingest_with(app.org(), parsed, &write, scope.as_ref().map(|s| s as _))
        .await?;
    match outcome.rejected.first() {
        None => Ok(()),
        Some(r) if r.code == "forbidden" => Err(Error::Forbidden(r.message.clone())),
        // Another request created the same id meanwhile.
        Some(r) if r.code == "already_exists" => Err(Error::Conflict(r.message.clone())),
        Some(r) => Err(Error::invalid(&r.field, r.message.clone())),
    }
}

/// A record that must exist: 404 otherwise.
async fn existing(app: &App, kind: &str, id: &str) -> Result<CrmRecord> {
    app.store()
        .crm_record(kind, id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("{} '{id}' does not exist", kind.replace('_', " "))))
}

/// A customer that must exist: 404 otherwise.
pub(crate) async fn existing_customer(app: &App, id: &str) -> Result<CrmRecord> {
    existing(app, "customer", id).await
}

/// A stored customer's phones, normalised.
pub(crate) fn phones_of(record: &CrmRecord) -> Vec<String> {
    customers::normalized_phones(&body_of(record))
}

/// A stored record's body, to change.
fn body_of(record: &CrmRecord) -> Map<String, Value> {
    match serde_json::from_str(&record.body) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

/// The longest search (`q`), in characters and in words: every word is one more
/// condition of the query.
const MAX_SEARCH_CHARS: usize = 200;
const MAX_SEARCH_WORDS: usize = 10;

/// The list parameters of every CRM list, and the filters `extra` names.
fn list_query(kind: &str, params: &HashMap<String, String>, extra: &[&str]) -> Result<CrmQuery> {
    let known: Vec<&str> = ["limit", "offset", "sort", "order"]
        .iter()
        .chain(extra)
        .copied()
        .collect();
    only_known(params, &known)?;
    let page = page(params, 50, 500)?;
    let sort = match params.get("sort").map(String::as_str) {
        None | Some("created_at") => "created_at",
        Some("updated_at") => "updated_at",
        Some("name") => "name",
        Some(_) => {
            return Err(Error::invalid(
                "sort",
                "must be name, created_at or updated_at",
            ));
        }
    };
    let descending = match params.get("order").map(String::as_str) {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(_) => return Err(Error::invalid("order", "must be asc or desc")),
    };
    let phone = match params.get("phone") {
        None => None,
        Some(p) => Some(
            tally_sources::phone::normalize(p)
                .ok_or_else(|| Error::invalid("phone", "is not a phone number"))?,
        ),
    };
    let search = params.get("q").cloned();
    if search.as_ref().is_some_and(|q| {
        q.chars().count() > MAX_SEARCH_CHARS || q.split_whitespace().count() > MAX_SEARCH_WORDS
    }) {
        return Err(Error::invalid(
            "q",
            format!(
                "search with at most {MAX_SEARCH_WORDS} words and {MAX_SEARCH_CHARS} characters"
            ),
        ));
    }
    Ok(CrmQuery {
        kind: kind.to_owned(),
        search,
        phone,
        customer_id: params.get("customer_id").cloned(),
        owner_id: params
            .get("owner_id")
            .or(params.get("assignee_id"))
            .cloned(),
        owners: None,
        sort,
        descending,
        limit: page.limit,
        offset: page.offset,
    })
}

/// `GET` of a list of one kind, with the filters it takes.
async fn list(
    app: &App,
    caller: &Caller,
    kind: &str,
    params: &HashMap<String, String>,
    filters: &[&str],
) -> Result<RecordPage> {
    let scope = readable(app, caller).await?;
    let mut query = list_query(kind, params, filters)?;
    match (&query.customer_id, ABOUT_A_CUSTOMER.contains(&kind)) {
        // A note, meeting or message is read with its customer.
        (Some(customer), true) => {
            refuse_unseen_customer(app, scope.as_ref(), customer).await?;
        }
        _ => query.owners = scope.map(|s| s.users.into_iter().collect()),
    }
    list_page(app, &query).await
}

/// Every record of a list the caller may read (the list's filters in `params`),
/// newest change first, read a page at a time: for views whose counts and totals are
/// over all of them.
async fn every(
    app: &App,
    caller: &Caller,
    kind: &str,
    mut params: HashMap<String, String>,
    filters: &[&str],
) -> Result<Vec<Record>> {
    params.insert("sort".into(), "updated_at".into());
    params.insert("order".into(), "desc".into());
    params.insert("limit".into(), "500".into());
    let mut records = Vec::new();
    loop {
        params.insert("offset".into(), records.len().to_string());
        let page = list(app, caller, kind, &params, filters).await?;
        let seen = records.len() + page.items.len();
        let done = page.items.is_empty() || i64::try_from(seen).unwrap_or(i64::MAX) >= page.total;
        records.extend(page.items);
        if done {
            return Ok(records);
        }
    }
}

/// `GET` of one record.
async fn show(app: &App, caller: &Caller, kind: &str, id: &str) -> Result<Record> {
    let scope = readable(app, caller).await?;
    let record = existing(app, kind, id).await?;
    refuse_unseen(scope.as_ref(), &record)?;
    Ok(Record::of(&record))
}

/// The kinds of records that are about a customer and read with it (whoever wrote
/// them); the others (customers, opportunities, to-dos) are read by their owner's scope.
const ABOUT_A_CUSTOMER: [&str; 3] = ["note", "meeting", "message"];

/// Whose records the caller reads (`None`: everyone's): the people they may act for.
/// An agent reads their own customers, opportunities and to-dos, a supervisor those of
/// the people of their teams, owners and admins everything; a wallboard nothing.
pub(crate) async fn readable(
    app: &App,
    caller: &Caller,
) -> Result<Option<tally_core::access::Scope>> {
    may_read(caller)?;
    app.credit_scope_now(caller).await
}

/// Refuses a record owned by someone outside the caller's scope (403: it exists, but
/// it is not theirs to see).
pub(crate) fn refuse_unseen(
    scope: Option<&tally_core::access::Scope>,
    record: &CrmRecord,
) -> Result<()> {
    let owner = record.owner_id.as_deref().unwrap_or_default();
    match scope {
        Some(scope) if !scope.sees_user(owner) => Err(Error::Forbidden(format!(
            "{} '{}' is not one of yours",
            record.kind.replace('_', " "),
            record.id
        ))),
        _ => Ok(()),
    }
}

/// Refuses to read or act on a customer the caller may not see. An unknown customer
/// passes: the action's own check names the field.
async fn refuse_unseen_customer(
    app: &App,
    scope: Option<&tally_core::access::Scope>,
    customer: &str,
) -> Result<()> {
    if scope.is_none() {
        return Ok(());
    }
    match app.store().crm_record("customer", customer).await? {
        Some(record) => refuse_unseen(scope, &record),
        None => Ok(()),
    }
}

/// Refuses an action on a customer the caller may not see.
async fn may_work_on(app: &App, caller: &Caller, customer: &str) -> Result<()> {
    let scope = app.credit_scope_now(caller).await?;
    refuse_unseen_customer(app, scope.as_ref(), customer).await
}

/// Stores a changed record (keeping when it was created) with its events, and answers
/// it as stored.
async fn save_update(
    app: &App,
    caller: &Caller,
    record: &CrmRecord,
    mut draft: Draft,
    events: Vec<Value>,
) -> Result<Record> {
    draft.created_at = record.created_at;
    let writes = Writes {
        read_at: Some(record.updated_at),
        ..Writes::of(draft)
    };
    commit(app, caller, events, writes).await?;
    Ok(Record::of(&existing(app, &record.kind, &record.id).await?))
}

/// A text field of a record's JSON ("" when absent).
fn text_of(map: &Map<String, Value>, key: &str) -> String {
    map.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// A page of a list.
async fn list_page(app: &App, query: &CrmQuery) -> Result<RecordPage> {
    let (records, total) = app.store().crm_records(query).await?;
    Ok(RecordPage {
        total,
        limit: query.limit,
        offset: query.offset,
        items: records.iter().map(Record::of).collect(),
    })
}

/// The record id of a create: the one given, or a new one.
fn new_record_id(body: &Fields, prefix: &str) -> Result<String> {
    Ok(body
        .optional_text("id", tally_core::event::MAX_ID_CHARS)?
        .unwrap_or_else(|| new_id(prefix)))
}

/// CRM records hold customers' phones and emails: a wallboard (an agent token bound to
/// nobody) does not read them.
fn may_read(caller: &Caller) -> Result<()> {
    match caller.is_wallboard() {
        true => Err(Error::Forbidden(
            "a wallboard token does not read CRM records".into(),
        )),
        false => Ok(()),
    }
}

/// Refuses unless the caller may act for `person` (as the owner or assignee of a
/// record): an agent only for themself, a supervisor for the people of the teams they
/// supervise (and themself), admins and owners for anyone.
async fn may_act_for(app: &App, caller: &Caller, person: &str) -> Result<()> {
    match app.credit_scope_now(caller).await? {
        Some(scope) if !scope.sees_user(person) => Err(Error::Forbidden(match caller.role {
            Role::Agent => "an agent acts only on their own records, for themself".into(),
            _ => format!("'{person}' is not one of the people you supervise"),
        })),
        _ => Ok(()),
    }
}

/// Refuses a change to a record unless the caller may act for its current owner
/// (`owner_field`: the owner, assignee or author): the record's owner now decides,
/// and the people above them, not whoever created it once.
async fn may_change(
    app: &App,
    caller: &Caller,
    record: &Map<String, Value>,
    owner_field: &str,
) -> Result<()> {
    let owner = record
        .get(owner_field)
        .and_then(Value::as_str)
        .unwrap_or_default();
    may_act_for(app, caller, owner).await
}

/// Reassigning moves KPI credit (also on past days): supervisors (to the people they
/// supervise), admins and owners.
async fn may_reassign(app: &App, caller: &Caller, to: &str) -> Result<()> {
    match caller.role {
        Role::Agent => Err(Error::Forbidden(
            "reassigning to another person is for supervisors, admins and owners".into(),
        )),
        _ => may_act_for(app, caller, to).await,
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
fn amount(app: &App, value: Option<&Value>) -> Result<Option<String>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(value) => tally_core::event::amount(value, &app.org().currency)
            .map(|amount| Some(amount.to_string()))
            .map_err(|message| Error::invalid("amount", message)),
    }
}

/// An RFC 3339 timestamp field of what happened, kept as given: not in the future and
/// at most ten years back (as every event, see `tally_core::event::check_time`). An
/// agent logs what happened today; an earlier day, whose results may be closed
/// already, is for supervisors, admins and owners to correct.
fn timestamp(app: &App, caller: &Caller, body: &Fields, field: &str) -> Result<Option<String>> {
    let Some(text) = body.optional_text(field, 64)? else {
        return Ok(None);
    };
    let at = tally_core::event::rfc3339(&text).ok_or_else(|| {
        Error::invalid(
            field,
            "must be an RFC 3339 time with an offset, such as 2026-11-27T09:00:00+07:00",
        )
    })?;
    tally_core::event::check_time(field, at, jiff::Timestamp::now())
        .map_err(|e| Error::invalid(&e.field, e.message))?;
    may_log_on(app, caller, field, at)?;
    Ok(Some(text))
}

/// An agent counts what happened today; an earlier day's results may be closed
/// already, so logging it (or marking it held) is a correction for those above them.
fn may_log_on(app: &App, caller: &Caller, field: &str, at: jiff::Timestamp) -> Result<()> {
    let calendar = &app.org().calendar;
    if caller.role == Role::Agent && calendar.day_of(at) < calendar.day_of(jiff::Timestamp::now()) {
        return Err(Error::invalid(
            field,
            "an agent logs what happened today; ask a supervisor to log an earlier day",
        ));
    }
    Ok(())
}

async fn refuse_taken(app: &App, kind: &str, id: &str) -> Result<()> {
    match app.store().crm_record(kind, id).await? {
        Some(_) => Err(Error::Conflict(format!(
            "a {kind} with id '{id}' already exists"
        ))),
        None => Ok(()),
    }
}

async fn created(app: &App, kind: &str, id: &str) -> Result<Record> {
    Ok(Record::of(&existing(app, kind, id).await?))
}
