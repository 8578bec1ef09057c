//! Ingesting a batch of events in one transaction.
//!
//! Load what the batch refers to (earlier copies of its ids, its users, its entities),
//! plan it with the pure core (duplicates, conflicts, [`tally_core::apply`]), then write
//! the accepted events, the entity changes and the summed contributions together.
//! Either the whole plan commits or nothing does: no half-applied event.

use crate::ahead::{Planned, Written};
use crate::readmodel::Change;
use crate::rows::{Cell, Insert, adding};
use crate::sql::{SUMMED, rows_per_statement, summed_metrics};
use crate::{Backend, Conn, Store, StoreError, WriteTx};
use sqlx::Any;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::PoisonError;
use tally_core::access::{CreditLimit, first_refused};
use tally_core::batch::RejectedEvent;
use tally_core::state::{EntityKind, EntityRef, SaleMeasure};
use tally_core::{Contribution, Day, Event, EventKind, Metric, Organization, State, apply};
use tokio::sync::oneshot;

/// Whom a batch may credit: `None` for anyone; a limited caller (a supervisor and
/// their teams) passes the test of the people they may write for, and an event that
/// touches anyone else is refused (`forbidden`, see `tally_core::access`).
pub type MayCredit<'a> = Option<&'a (dyn CreditLimit + Sync)>;

/// What became of a batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestOutcome {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: Vec<RejectedEvent>,
    /// The (user, day) pairs whose values changed: what live views re-read.
    pub touched: BTreeSet<(String, Day)>,
}

/// One request's batch in a group commit ([`Store::ingest_group`]): its events (each
/// with its position in the request) and whom it may credit.
pub struct Submission<'a> {
    pub events: &'a [(usize, Event)],
    pub may_credit: MayCredit<'a>,
}

/// The writes of a transaction's batches, decided before anything is written.
#[derive(Default)]
pub(crate) struct Plan {
    /// Accepted events with their canonical JSON, computed once for both the duplicate
    /// check and the log.
    pub(crate) events: Vec<(Event, String)>,
    sums: HashMap<(Day, String), [i64; SUMMED]>,
    marks: BTreeSet<(Day, String, Metric, String)>,
    /// The sales by channel: (day, channel, user) → the measures' deltas.
    sales: SalesSums,
    /// The (user, day) pairs of every batch.
    touched: BTreeSet<(String, Day)>,
    /// Whether a sum passed what a user's day keeps (64 bits).
    too_large: bool,
}

/// Deltas of the sales by channel, by (day, channel, user), in the order of
/// [`SaleMeasure::ALL`].
pub(crate) type SalesSums = HashMap<(Day, String, String), [i64; SALE_MEASURES]>;

/// How many measures the sales by channel keeps.
pub(crate) const SALE_MEASURES: usize = SaleMeasure::ALL.len();

/// What a transaction reads before it plans: the stored bodies of its ids, its users'
/// keys and its entities' state.
pub(crate) struct Loaded {
    pub(crate) known: HashMap<String, String>,
    user_keys: HashMap<String, i64>,
    pub(crate) state: State,
}

/// A group's plan: what was loaded (with the plan's entity changes applied), the
/// writes, and each batch's outcome.
pub(crate) type Planning = (Loaded, Plan, Vec<IngestOutcome>);

impl Store {
    /// Ingests parsed events (each with its position in the request), in order.
    pub async fn ingest(
        &self,
        org: &Organization,
        events: Vec<(usize, Event)>,
    ) -> Result<IngestOutcome, StoreError> {
        self.ingest_as(org, events, None).await
    }

    /// Ingests events from outside Tally's CRM (the API, a phone system), crediting only
    /// whom `may_credit` allows. An event that moves a record of Tally's CRM (a new
    /// owner, a status, an amount, a completed to-do) moves the record too, in the
    /// same transaction, so the CRM and the KPIs never disagree.
    pub async fn ingest_as(
        &self,
        org: &Organization,
        events: Vec<(usize, Event)>,
        may_credit: MayCredit<'_>,
    ) -> Result<IngestOutcome, StoreError> {
        let batch = Submission {
            events: &events,
            may_credit,
        };
        let mut outcomes = self.ingest_together(org, &[batch], None, None).await?;
        Ok(outcomes.pop().unwrap_or_default())
    }

    /// Ingests several requests' batches in one transaction and one commit (a group
    /// commit): each batch is decided after the ones before it, exactly as if it had
    /// been ingested alone in that order, and nothing is acknowledged before the
    /// commit is durable. When the group fails as a whole (a database error, or days
    /// summed past 64 bits only together), each batch is retried alone, so one batch
    /// never fails another.
    ///
    /// `ahead` is the group's plan made before the write lock ([`Store::plan_ahead`]):
    /// it is written when nothing else wrote in between and the group it was planned
    /// on committed, and made again under the lock otherwise. Once the lock is taken
    /// and the group planned, `written` is told what the group will leave, for the
    /// next group to be planned on.
    pub async fn ingest_group(
        &self,
        org: &Organization,
        batches: &[Submission<'_>],
        ahead: Option<Planned>,
        written: Option<oneshot::Sender<Written>>,
    ) -> Vec<Result<IngestOutcome, StoreError>> {
        match self.ingest_together(org, batches, ahead, written).await {
            Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
            Err(error) if batches.len() == 1 => vec![Err(error)],
            Err(_) => {
                let mut outcomes = Vec::with_capacity(batches.len());
                for batch in batches {
                    let alone = self.ingest_together(org, std::slice::from_ref(batch), None, None);
                    outcomes.push(alone.await.map(|mut o| o.pop().unwrap_or_default()));
                }
                outcomes
            }
        }
    }

    /// Ingests a CRM action's events together with its records, in one transaction:
    /// when any event is rejected (an unknown reference, or a person `may_credit`
    /// refuses, judged on the entities' state under the write lock), nothing is written
    /// (the outcome says why), so a record never changes without its event, nor an
    /// event without it.
    pub async fn ingest_with(
        &self,
        org: &Organization,
        events: Vec<(usize, Event)>,
        records: &crate::crm::CrmWrite,
        may_credit: MayCredit<'_>,
    ) -> Result<IngestOutcome, StoreError> {
        let mut w = self.begin_write().await?;
        let mut loaded = self.load(&mut w.conn(), &events).await?;
        let mut events = events;
        after_latest_change(&loaded.state, &mut events);
        let mut plan = Plan::default();
        let outcome = plan.batch(org, &mut loaded, &events, may_credit);
        if !outcome.rejected.is_empty() {
            return Ok(outcome);
        }
        let change = self
            .write_plan(&mut w, org, &plan, &mut loaded, Some(records))
            .await?;
        self.commit(w, change).await?;
        Ok(outcome)
    }

    /// Plans every batch in order over one loaded state (or takes the plan made ahead
    /// when it still holds), writes them, and commits.
    async fn ingest_together(
        &self,
        org: &Organization,
        batches: &[Submission<'_>],
        ahead: Option<Planned>,
        written: Option<oneshot::Sender<Written>>,
    ) -> Result<Vec<IngestOutcome>, StoreError> {
        if batches.iter().all(|b| b.events.is_empty()) {
            return Ok(batches.iter().map(|_| IngestOutcome::default()).collect());
        }
        let mut w = self.begin_write().await?;
        let (mut loaded, plan, outcomes) = match ahead.and_then(|a| self.still_valid(a, w.count)) {
            Some(planning) => planning,
            None => self.plan(&mut w.conn(), org, batches, None).await?,
        };
        // The next group may be planned on this one's writes from now on.
        let committed = written.map(|written| {
            let leaves = Written::of(w.count, &plan, &loaded);
            let flag = leaves.commit_flag();
            let _ = written.send(leaves);
            flag
        });
        let change = self
            .write_plan(&mut w, org, &plan, &mut loaded, None)
            .await?;
        self.commit(w, change).await?;
        if let Some(flag) = committed {
            flag.store(true, std::sync::atomic::Ordering::Release);
        }
        Ok(outcomes)
    }

    /// Loads what the batches need on `c`, lays over it what the group `after` writes
    /// (when it is not committed yet), and decides every batch in order.
    pub(crate) async fn plan(
        &self,
        c: &mut Conn<'_>,
        org: &Organization,
        batches: &[Submission<'_>],
        after: Option<&Written>,
    ) -> Result<Planning, StoreError> {
        let all: Vec<&(usize, Event)> = batches.iter().flat_map(|b| b.events).collect();
        let mut loaded = self.load(c, all.iter().copied()).await?;
        if let Some(after) = after {
            after.lay_over(&mut loaded, all.iter().map(|(_, e)| e));
        }
        let mut plan = Plan::default();
        let outcomes = batches
            .iter()
            .map(|b| plan.batch(org, &mut loaded, b.events, b.may_credit))
            .collect();
        Ok((loaded, plan, outcomes))
    }

    /// Commits, then adds the change to this instance's read model.
    async fn commit(&self, w: WriteTx<'_>, change: Option<Change>) -> Result<(), StoreError> {
        let WriteTx { tx, _guard, .. } = w;
        tx.commit().await?;
        drop(_guard);
        if let Some(change) = change {
            self.model.write().await.apply(change);
        }
        Ok(())
    }

    /// Reads what planning these events needs: under the write lock, or ahead of it.
    async fn load<'e>(
        &self,
        c: &mut Conn<'_>,
        events: impl IntoIterator<Item = &'e (usize, Event)> + Clone,
    ) -> Result<Loaded, StoreError> {
        let known = earlier_bodies(c, events.clone()).await?;
        let user_keys = self.user_keys(c, named_users(events.clone())).await?;
        let mut state = State {
            users: user_keys.keys().cloned().collect(),
            channels: known_channels(c, events.clone()).await?,
            ..State::default()
        };
        load_entities(c, events, &mut state).await?;
        Ok(Loaded {
            known,
            user_keys,
            state,
        })
    }

    /// Writes a plan: its events, entities, sums, marks and version, a CRM action's
    /// own records, then the CRM records its events move. Returns what this instance's
    /// read model must add after the commit.
    async fn write_plan(
        &self,
        w: &mut WriteTx<'_>,
        org: &Organization,
        plan: &Plan,
        loaded: &mut Loaded,
        records: Option<&crate::crm::CrmWrite>,
    ) -> Result<Option<Change>, StoreError> {
        if plan.too_large {
            return Err(too_large());
        }
        // A reassignment also retracts credit from a former owner the batch does not name.
        let user_keys = &mut loaded.user_keys;
        let credited = plan.touched.iter().map(|(user, _)| user.as_str());
        let missing: BTreeSet<&str> = credited.filter(|u| !user_keys.contains_key(*u)).collect();
        let found = self.user_keys(&mut w.conn(), missing).await?;
        user_keys.extend(found);
        write_events(w, &plan.events, org).await?;
        write_entities(w, &loaded.state).await?;
        write_sums(w, &plan.sums, user_keys).await?;
        write_marks(w, &plan.marks, user_keys).await?;
        write_sales(w, &plan.sales, user_keys).await?;
        crate::custom::count_new_events(w, org, &plan.events, &loaded.state).await?;
        let change = record_change(w, plan, user_keys).await?;
        if let Some(records) = records {
            crate::crm::write(w, records).await?;
        }
        crate::crm::follow_events(w, org, &loaded.state, &plan.events).await?;
        Ok(change)
    }

    /// The internal keys of these users (those that exist): from memory when known (a
    /// key never changes), from the database otherwise.
    async fn user_keys(
        &self,
        c: &mut Conn<'_>,
        ids: BTreeSet<&str>,
    ) -> Result<HashMap<String, i64>, StoreError> {
        // Entries are only ever added, whole: a panic elsewhere leaves the map usable.
        let mut keys = HashMap::with_capacity(ids.len());
        let mut unknown = BTreeSet::new();
        {
            let known = self
                .user_keys
                .read()
                .unwrap_or_else(PoisonError::into_inner);
            for id in ids {
                match known.get(id) {
                    Some(key) => drop(keys.insert(id.to_owned(), *key)),
                    None => drop(unknown.insert(id)),
                }
            }
        }
        let found: HashMap<String, i64> =
            select_in(c, "select id, key from users where", "id", &unknown).await?;
        let mut known = self
            .user_keys
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        known.extend(found.iter().map(|(id, key)| (id.clone(), *key)));
        keys.extend(found);
        Ok(keys)
    }
}

/// Records the batch's new version and the days it touched (for other instances'
/// read models), and returns what this instance's read model must add.
async fn record_change(
    w: &mut WriteTx<'_>,
    plan: &Plan,
    user_keys: &HashMap<String, i64>,
) -> Result<Option<Change>, StoreError> {
    let days: BTreeSet<Day> = plan.touched.iter().map(|(_, day)| *day).collect();
    if days.is_empty() {
        return Ok(None);
    }
    let list: Vec<String> = days.iter().map(|d| d.number().to_string()).collect();
    let version = next_version(w, &list.join(",")).await?;
    let mut change = Change {
        version,
        sums: Vec::new(),
        marks: Vec::new(),
    };
    for ((day, user), sums) in &plan.sums {
        change.sums.push((*day, key_of(user_keys, user)?, *sums));
    }
    for (day, user, metric, entity) in &plan.marks {
        change
            .marks
            .push((*day, key_of(user_keys, user)?, *metric, entity.clone()));
    }
    Ok(Some(change))
}

/// Inserts the next version into `changes` with these days (`*`: everything).
pub(crate) async fn next_version(w: &mut WriteTx<'_>, days: &str) -> Result<i64, StoreError> {
    let (version,): (i64,) = sqlx::query_as(
        "insert into changes (version, days) \
         select coalesce(max(version), 0) + 1, $1 from changes returning version",
    )
    .bind(days)
    .fetch_one(&mut *w.tx)
    .await?;
    Ok(version)
}

/// Dates a CRM action's change of a customer or opportunity just after the entity's
/// latest change when that one is dated later than the action (an integration whose
/// clock runs ahead may date events up to 15 minutes on): what a person changes in
/// the CRM is then the entity's current state, for the record and the KPIs alike.
fn after_latest_change(state: &State, events: &mut [(usize, Event)]) {
    for (_, event) in events {
        let latest = match &event.kind {
            EventKind::CustomerUpdated { customer_id, .. } => {
                let channel_at = |c: &tally_core::state::Customer| c.channel.as_ref().map(|s| s.at);
                state
                    .customers
                    .get(customer_id)
                    .map(|c| c.owner.at.max(channel_at(c).unwrap_or(c.owner.at)))
            }
            EventKind::OpportunityUpdated { opportunity_id, .. }
            | EventKind::OpportunityStatusChanged { opportunity_id, .. } => {
                state.opportunities.get(opportunity_id).map(|o| {
                    let status = o.statuses.last().map(|s| s.at);
                    let channel = o.channel.as_ref().map(|s| s.at);
                    o.owner
                        .at
                        .max(channel.unwrap_or(o.owner.at))
                        .max(o.amount_minor.at)
                        .max(status.unwrap_or(o.owner.at))
                })
            }
            _ => None,
        };
        if let Some(latest) = latest.filter(|latest| *latest >= event.at) {
            event.at = latest + jiff::SignedDuration::from_micros(1);
        }
    }
}

impl Plan {
    /// Decides every event of one batch against the state, after the batches planned
    /// before it: the pure part of ingest. Its accepted writes join the plan.
    fn batch(
        &mut self,
        org: &Organization,
        loaded: &mut Loaded,
        events: &[(usize, Event)],
        may_credit: MayCredit<'_>,
    ) -> IngestOutcome {
        let mut outcome = IngestOutcome::default();
        let (seen, state) = (&mut loaded.known, &mut loaded.state);
        for (index, event) in events {
            let body = event.canonical_json();
            if let Some(earlier) = seen.get(&event.id) {
                if *earlier == body {
                    outcome.duplicates += 1;
                } else {
                    let message = format!(
                        "event '{}' was already received with different content",
                        event.id
                    );
                    reject(&mut outcome, *index, event, "conflict", "id", message);
                }
                continue;
            }
            if let Some(limit) = may_credit
                && let Some((field, message)) = first_refused(event, state, |u| limit.allows(u))
            {
                reject(&mut outcome, *index, event, "forbidden", field, message);
                continue;
            }
            match apply(org, state, event) {
                Ok(contributions) => {
                    for contribution in &contributions {
                        outcome.touched.insert(self.add(contribution));
                    }
                    seen.insert(event.id.clone(), body.clone());
                    outcome.accepted += 1;
                    self.events.push((event.clone(), body));
                }
                Err(r) => reject(
                    &mut outcome,
                    *index,
                    event,
                    r.code,
                    &r.error.field,
                    r.error.message,
                ),
            }
        }
        outcome
    }

    /// Adds a contribution to the plan's sums or marks; returns the (user, day) it
    /// touched.
    fn add(&mut self, contribution: &Contribution) -> (String, Day) {
        let touched = match contribution {
            Contribution::Count {
                user,
                day,
                metric,
                delta,
            } => {
                let column = summed_metrics()
                    .position(|m| m == *metric)
                    .unwrap_or_default();
                let sum = &mut self.sums.entry((*day, user.clone())).or_insert([0; SUMMED])[column];
                match sum.checked_add(*delta) {
                    Some(total) => *sum = total,
                    None => self.too_large = true,
                }
                (user.clone(), *day)
            }
            Contribution::Mark {
                user,
                day,
                metric,
                entity,
            } => {
                self.marks
                    .insert((*day, user.clone(), *metric, entity.id.clone()));
                (user.clone(), *day)
            }
            Contribution::Sale {
                channel,
                user,
                day,
                measure,
                delta,
            } => {
                let key = (*day, channel.clone(), user.clone());
                let sums = self.sales.entry(key).or_insert([0; SALE_MEASURES]);
                let sum = &mut sums[measure.index()];
                match sum.checked_add(*delta) {
                    Some(total) => *sum = total,
                    None => self.too_large = true,
                }
                (user.clone(), *day)
            }
        };
        self.touched.insert(touched.clone());
        touched
    }
}

fn reject(
    outcome: &mut IngestOutcome,
    index: usize,
    event: &Event,
    code: &'static str,
    field: &str,
    message: String,
) {
    outcome.rejected.push(RejectedEvent {
        index,
        id: Some(event.id.clone()),
        code,
        field: field.to_owned(),
        message,
    });
}

/// The stored canonical bodies of the batch's ids that were received before.
async fn earlier_bodies<'e>(
    c: &mut Conn<'_>,
    events: impl IntoIterator<Item = &'e (usize, Event)>,
) -> Result<HashMap<String, String>, StoreError> {
    let ids: BTreeSet<&str> = events.into_iter().map(|(_, e)| e.id.as_str()).collect();
    select_in(c, "select id, body from events where", "id", &ids).await
}

/// The channels the batch names that the organisation has.
async fn known_channels<'e>(
    c: &mut Conn<'_>,
    events: impl IntoIterator<Item = &'e (usize, Event)>,
) -> Result<HashSet<String>, StoreError> {
    let named: BTreeSet<&str> = events
        .into_iter()
        .filter_map(|(_, e)| e.kind.channel())
        .collect();
    if named.is_empty() {
        return Ok(HashSet::new());
    }
    let found: HashMap<String, String> =
        select_in(c, "select id, name from channels where", "id", &named).await?;
    Ok(found.into_keys().collect())
}

/// Every user the batch names: actors, owners, assignees.
fn named_users<'e>(events: impl IntoIterator<Item = &'e (usize, Event)>) -> BTreeSet<&'e str> {
    let mut ids = BTreeSet::new();
    for (_, event) in events {
        ids.insert(event.user_id.as_str());
        match &event.kind {
            EventKind::CustomerCreated { owner_id, .. }
            | EventKind::OpportunityCreated { owner_id, .. } => {
                ids.insert(owner_id.as_str());
            }
            EventKind::CustomerUpdated {
                owner_id: Some(owner_id),
                ..
            }
            | EventKind::OpportunityUpdated {
                owner_id: Some(owner_id),
                ..
            } => {
                ids.insert(owner_id.as_str());
            }
            EventKind::TodoCreated { assignee_id, .. } => {
                ids.insert(assignee_id.as_str());
            }
            _ => {}
        }
    }
    ids
}

/// Loads the state of every entity the batch refers to.
async fn load_entities<'e>(
    c: &mut Conn<'_>,
    events: impl IntoIterator<Item = &'e (usize, Event)>,
    state: &mut State,
) -> Result<(), StoreError> {
    let refs: BTreeSet<EntityRef> = events
        .into_iter()
        .flat_map(|(_, e)| entities_of(e))
        .collect();
    for kind in [
        EntityKind::Customer,
        EntityKind::Opportunity,
        EntityKind::Todo,
    ] {
        let ids: BTreeSet<&str> = refs
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| r.id.as_str())
            .collect();
        let sql = format!(
            "select id, state from entities where kind = '{}' and",
            kind.name()
        );
        let rows: HashMap<String, String> = select_in(c, &sql, "id", &ids).await?;
        for (id, json) in rows {
            match kind {
                EntityKind::Customer => state
                    .customers
                    .insert(id.clone(), entity_state(&id, &json)?)
                    .map(drop),
                EntityKind::Opportunity => state
                    .opportunities
                    .insert(id.clone(), entity_state(&id, &json)?)
                    .map(drop),
                EntityKind::Todo => state
                    .todos
                    .insert(id.clone(), entity_state(&id, &json)?)
                    .map(drop),
            };
        }
    }
    Ok(())
}

fn entity_state<T: serde::de::DeserializeOwned>(id: &str, json: &str) -> Result<T, StoreError> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Corrupt(format!("state of entity '{id}': {e}")))
}

/// The entities an event refers to.
pub(crate) fn entities_of(event: &Event) -> Vec<EntityRef> {
    match &event.kind {
        EventKind::Call {
            customer_id: Some(c),
            ..
        }
        | EventKind::CustomerCreated { customer_id: c, .. }
        | EventKind::CustomerUpdated { customer_id: c, .. }
        | EventKind::NoteAdded { customer_id: c }
        | EventKind::NoteEdited { customer_id: c }
        | EventKind::MeetingHeld { customer_id: c }
        | EventKind::SmsSent { customer_id: c, .. }
        | EventKind::EmailSent { customer_id: c, .. }
        | EventKind::EmailReceived { customer_id: c } => vec![EntityRef::customer(c)],
        EventKind::OpportunityCreated {
            opportunity_id,
            customer_id,
            ..
        } => {
            vec![
                EntityRef::opportunity(opportunity_id),
                EntityRef::customer(customer_id),
            ]
        }
        EventKind::OpportunityUpdated {
            opportunity_id: o, ..
        }
        | EventKind::OpportunityStatusChanged {
            opportunity_id: o, ..
        } => vec![EntityRef::opportunity(o)],
        EventKind::TodoCreated { todo_id: t, .. } | EventKind::TodoCompleted { todo_id: t } => {
            vec![EntityRef::todo(t)]
        }
        EventKind::Call {
            customer_id: None, ..
        } => vec![],
    }
}

/// The rows of `{head} {column} in (keys)`, two columns each. On SQLite the keys are
/// a list of parameters, in chunks. On PostgreSQL they are one JSON array, so the
/// statement's text never changes (prepared once), and its plan does not depend on
/// the table's statistics: with a list of hundreds of parameters and statistics
/// older than a bulk import, PostgreSQL read every customer to find a batch's few
/// hundred (6 ms a batch at 25,000 customers, growing with them; see
/// `docs/benchmarks.md`).
pub(crate) async fn select_in<V>(
    c: &mut Conn<'_>,
    head: &str,
    column: &str,
    keys: &BTreeSet<&str>,
) -> Result<HashMap<String, V>, StoreError>
where
    V: for<'r> sqlx::Decode<'r, Any> + sqlx::Type<Any> + Send + Unpin,
{
    if keys.is_empty() {
        return Ok(HashMap::new());
    }
    if c.backend == Backend::Postgres {
        let sql = format!("{head} {}", crate::sql::in_json_array(c.backend, column, 1));
        let keys = serde_json::to_string(keys).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let query = sqlx::query_as::<_, (String, V)>(&sql).bind(keys);
        return Ok(query.fetch_all(&mut *c.conn).await?.into_iter().collect());
    }
    let mut found = HashMap::new();
    let keys: Vec<&str> = keys.iter().copied().collect();
    for chunk in keys.chunks(rows_per_statement(1)) {
        let sql = format!(
            "{head} {column} in ({})",
            crate::sql::params(c.backend, 1, chunk.len())
        );
        let mut query = crate::sql::batch_query_as::<(String, V)>(c.backend, &sql);
        for key in chunk {
            query = query.bind(*key);
        }
        found.extend(query.fetch_all(&mut *c.conn).await?);
    }
    Ok(found)
}

async fn write_events(
    w: &mut WriteTx<'_>,
    events: &[(Event, String)],
    org: &Organization,
) -> Result<(), StoreError> {
    const INSERT: Insert = Insert {
        head: "insert into events (id, type, user_id, at_micros, day, body, received_at)",
        types: &["text", "text", "text", "bigint", "bigint", "text", "bigint"],
        tail: "",
    };
    let received_at = crate::sql::now_seconds();
    let mut cells = Vec::with_capacity(events.len() * INSERT.types.len());
    for (e, body) in events {
        cells.extend([
            Cell::Text(&e.id),
            Cell::Text(e.type_name()),
            Cell::Text(&e.user_id),
            Cell::Int(e.at.as_microsecond()),
            Cell::Int(i64::from(org.calendar.day_of(e.at).number())),
            Cell::Text(body),
            Cell::Int(received_at),
        ]);
    }
    Ok(INSERT.run(w, &cells).await?)
}

/// Writes back every entity the batch created or changed.
pub(crate) async fn write_entities(w: &mut WriteTx<'_>, state: &State) -> Result<(), StoreError> {
    const INSERT: Insert = Insert {
        head: "insert into entities (kind, id, state)",
        types: &["text", "text", "text"],
        tail: "on conflict (kind, id) do update set state = excluded.state",
    };
    let mut rows = Vec::new();
    for entity in &state.touched {
        let json = match entity.kind {
            EntityKind::Customer => state.customers.get(&entity.id).map(serde_json::to_string),
            EntityKind::Opportunity => state
                .opportunities
                .get(&entity.id)
                .map(serde_json::to_string),
            EntityKind::Todo => state.todos.get(&entity.id).map(serde_json::to_string),
        };
        if let Some(json) = json
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?
        {
            rows.push((entity.kind.name(), entity.id.as_str(), json));
        }
    }
    let cells: Vec<Cell> = (rows.iter())
        .flat_map(|(kind, id, json)| [Cell::Text(kind), Cell::Text(id), Cell::Text(json)])
        .collect();
    Ok(INSERT.run(w, &cells).await?)
}

pub(crate) async fn write_sums(
    w: &mut WriteTx<'_>,
    sums: &HashMap<(Day, String), [i64; SUMMED]>,
    user_keys: &HashMap<String, i64>,
) -> Result<(), StoreError> {
    let columns: Vec<&str> = summed_metrics().map(Metric::key).collect();
    let (head, tail) = adding("rollups", &["day", "user_key"], &columns);
    let insert = Insert {
        head: &head,
        types: &["bigint"; SUMMED + 2],
        tail: &tail,
    };
    let mut cells = Vec::with_capacity(sums.len() * insert.types.len());
    for ((day, user), values) in sums {
        cells.push(Cell::Int(i64::from(day.number())));
        cells.push(Cell::Int(key_of(user_keys, user)?));
        cells.extend(values.iter().map(|v| Cell::Int(*v)));
    }
    insert.run(w, &cells).await.map_err(|e| match e {
        e if out_of_range(&e) => too_large(),
        e => e.into(),
    })
}

/// A batch that would take a user's day of revenue past 64 bits: refused whole.
pub(crate) fn too_large() -> StoreError {
    StoreError::invalid(
        "amount",
        format!(
            "this batch would make a person's revenue for one day larger than Tally \
             counts exactly ({} in minor units); nothing in it was stored",
            i64::MAX
        ),
    )
}

/// The database refused a total out of 64 bits: PostgreSQL's `bigint out of range`
/// (SQLSTATE 22003), or the SQLite triggers of migration 0007.
pub(crate) fn out_of_range(error: &sqlx::Error) -> bool {
    error.as_database_error().is_some_and(|e| {
        e.code().as_deref() == Some("22003")
            || e.message().contains("rollups.revenue out of range")
            || e.message().contains("custom_sums.value out of range")
    })
}

/// Adds the sales by channel's deltas to their days.
pub(crate) async fn write_sales(
    w: &mut WriteTx<'_>,
    sales: &SalesSums,
    user_keys: &HashMap<String, i64>,
) -> Result<(), StoreError> {
    let columns: Vec<&str> = SaleMeasure::ALL.iter().map(|m| m.key()).collect();
    let (head, tail) = adding("sales_rollups", &["day", "channel", "user_key"], &columns);
    let mut types = ["bigint"; SALE_MEASURES + 3];
    types[1] = "text";
    let insert = Insert {
        head: &head,
        types: &types,
        tail: &tail,
    };
    let mut cells = Vec::new();
    for ((day, channel, user), values) in sales.iter().filter(|(_, v)| v.iter().any(|d| *d != 0)) {
        cells.push(Cell::Int(i64::from(day.number())));
        cells.push(Cell::Text(channel));
        cells.push(Cell::Int(key_of(user_keys, user)?));
        cells.extend(values.iter().map(|v| Cell::Int(*v)));
    }
    Ok(insert.run(w, &cells).await?)
}

pub(crate) async fn write_marks(
    w: &mut WriteTx<'_>,
    marks: &BTreeSet<(Day, String, Metric, String)>,
    user_keys: &HashMap<String, i64>,
) -> Result<(), StoreError> {
    const INSERT: Insert = Insert {
        head: "insert into marks (day, user_key, metric, entity)",
        types: &["bigint", "bigint", "bigint", "text"],
        tail: "on conflict do nothing",
    };
    let mut cells = Vec::with_capacity(marks.len() * INSERT.types.len());
    for (day, user, metric, entity) in marks {
        cells.extend([
            Cell::Int(i64::from(day.number())),
            Cell::Int(key_of(user_keys, user)?),
            Cell::Int(metric.index() as i64),
            Cell::Text(entity),
        ]);
    }
    Ok(INSERT.run(w, &cells).await?)
}

pub(crate) fn key_of(user_keys: &HashMap<String, i64>, user: &str) -> Result<i64, StoreError> {
    user_keys
        .get(user)
        .copied()
        .ok_or_else(|| StoreError::Corrupt(format!("credited user '{user}' was not loaded")))
}
