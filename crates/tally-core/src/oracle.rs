//! The oracle: the spec's definitions computed literally from a whole event log.
//!
//! [`apply`](crate::apply::apply) keeps rollups incrementally: each event adds deltas,
//! and a change to a customer or an opportunity retracts what it stood for before.
//! The oracle is the tests' independent reading of `spec/metrics.md`: it never
//! retracts anything. It reads the whole log twice:
//!
//! 1. [`Ledger::read`] decides, in arrival order, which events are accepted, and
//!    gathers every write to a customer, opportunity or to-do (owners, amounts,
//!    statuses, completions), so the *final* state of each entity is known;
//! 2. the credit pass emits, once, what each accepted event counts for its actor
//!    (metrics 1–5, 7, 8, 11–13, 15, 18) and what each entity finally stands for its
//!    current owner or assignee (metrics 6, 9, 10, 14, 16, 17).
//!
//! Decisions it follows (the project's, see the spec): events are taken in arrival
//! order; a reference to an entity no earlier *accepted* event created is rejected
//! (a `call` with an unknown customer is kept, without a customer); user, owner and
//! assignee ids must be known users; a second creation of an id is rejected; owners,
//! amounts and statuses are last-writer-wins by `at`, ties going to the later arrival;
//! creating an opportunity counts as status `open` at its `at`; a won opportunity
//! counts on the day of the first `won` of its final unbroken run of `won`s. An event
//! whose `id` an earlier accepted event already has is not applied again: a duplicate
//! if it means the same thing, a conflict otherwise.
//!
//! [`streams`] generates random logs (and ranges and teams to report on) for the
//! property tests that compare `apply` and the store with the oracle.

pub mod streams;

use crate::apply::{Contribution, Organization};
use crate::calendar::{Day, DayRange};
use crate::event::{Direction, Event, EventKind, Status};
use crate::metric::Metric;
use crate::rollup::{Membership, Rollups, Values};
use crate::state::{EntityRef, SaleMeasure};
use jiff::Timestamp;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// What became of one event of the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Applied: it counts.
    Accepted,
    /// Same `id` and same meaning as an accepted event: a no-op.
    Duplicate,
    /// Same `id` as an accepted event but different content: refused.
    Conflict,
    /// Invalid reference, unknown user, existing id or unusable amount.
    Rejected,
}

/// The result of replaying a log: each event's outcome and every contribution.
#[derive(Clone, Debug)]
pub struct Replay {
    /// One outcome per event of the log, in its order.
    pub outcomes: Vec<Outcome>,
    /// Everything credited, each once (no retractions).
    pub contributions: Vec<Contribution>,
}

/// The users and channels that exist while a log is replayed.
#[derive(Clone, Debug, Default)]
pub struct Known {
    pub users: HashSet<String>,
    pub channels: HashSet<String>,
}

/// The rollups of a whole log, from the definitions.
pub fn replay(org: &Organization, known: &Known, events: &[Event]) -> Rollups {
    replay_log(org, known, events).rollups()
}

/// Replays a whole log: outcomes and contributions.
pub fn replay_log(org: &Organization, known: &Known, events: &[Event]) -> Replay {
    let ledger = Ledger::read(org, known, events);
    let mut credits = Credits {
        org,
        out: Vec::new(),
    };
    for (event, admission) in events.iter().zip(&ledger.admissions) {
        if let Some(admission) = admission {
            credits.event(event, admission.customer.as_deref());
        }
    }
    ledger.customers.values().for_each(|c| credits.customer(c));
    ledger
        .opportunities
        .values()
        .for_each(|o| credits.opportunity(o));
    ledger.todos.values().for_each(|t| credits.todo(t));
    Replay {
        outcomes: ledger.outcomes,
        contributions: credits.out,
    }
}

impl Replay {
    /// The contributions summed into rollups.
    pub fn rollups(&self) -> Rollups {
        let mut rollups = Rollups::default();
        self.contributions.iter().for_each(|c| rollups.add(c));
        rollups
    }

    /// A user's values over a range, from the contributions.
    pub fn user_values(&self, user: &str, range: DayRange) -> Values {
        let member = Membership {
            user_id: user.to_owned(),
            from: range.from,
            to: Some(range.to),
        };
        self.team_values(&[member], range)
    }

    /// A team's values over a range, day by day: a contribution counts when its day is
    /// in the range and its user was a member that day; distinct metrics count each
    /// entity once over the whole team.
    pub fn team_values(&self, members: &[Membership], range: DayRange) -> Values {
        let member_on = |user: &str, day: Day| {
            members
                .iter()
                .any(|m| m.user_id == user && m.from <= day && m.to.is_none_or(|to| day <= to))
        };
        let mut values = Values::default();
        let mut distinct: BTreeMap<Metric, BTreeSet<&EntityRef>> = BTreeMap::new();
        for contribution in &self.contributions {
            let (Contribution::Count { user, day, .. }
            | Contribution::Mark { user, day, .. }
            | Contribution::Sale { user, day, .. }) = contribution;
            if !range.contains(*day) || !member_on(user, *day) {
                continue;
            }
            match contribution {
                Contribution::Count { metric, delta, .. } => values.add(*metric, *delta),
                Contribution::Mark { metric, entity, .. } => {
                    distinct.entry(*metric).or_default().insert(entity);
                }
                Contribution::Sale { .. } => {}
            }
        }
        for (metric, entities) in distinct {
            values.set(metric, i64::try_from(entities.len()).unwrap_or(i64::MAX));
        }
        values
    }
}

/// When a value was written: the event's `at`, then its position in the log. The
/// derived order (by `at`, ties by arrival) is the order in which writes win.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Stamp {
    at: Timestamp,
    arrival: usize,
}

/// A value written to an entity by one event.
#[derive(Clone, Debug)]
struct Write<T> {
    stamp: Stamp,
    value: T,
}

impl Stamp {
    fn write<T>(self, value: T) -> Write<T> {
        Write { stamp: self, value }
    }
}

/// The value that wins: last writer by `at`, ties going to the later arrival.
fn latest<T>(writes: &[Write<T>]) -> Option<&T> {
    writes.iter().max_by_key(|w| w.stamp).map(|w| &w.value)
}

/// Everything written to one customer.
struct CustomerFacts {
    created: Timestamp,
    owners: Vec<Write<String>>,
    channels: Vec<Write<String>>,
}

/// Everything written to one opportunity; creation writes owner, amount and `open`.
struct OpportunityFacts {
    customer_id: String,
    created: Timestamp,
    owners: Vec<Write<String>>,
    amounts: Vec<Write<i64>>,
    statuses: Vec<Write<Status>>,
    channels: Vec<Write<String>>,
}

/// A to-do: its assignee (never changed), creation and every completion.
struct TodoFacts {
    assignee: String,
    created: Timestamp,
    completions: Vec<Timestamp>,
}

/// Why an event was accepted: the customer its action is about, if any.
struct Admission {
    customer: Option<String>,
}

/// Pass one: the outcome of every event and the final facts of every entity.
struct Ledger<'a> {
    org: &'a Organization,
    known: &'a Known,
    /// The canonical form of each accepted event, by id.
    accepted: HashMap<&'a str, String>,
    outcomes: Vec<Outcome>,
    admissions: Vec<Option<Admission>>,
    customers: HashMap<String, CustomerFacts>,
    opportunities: HashMap<String, OpportunityFacts>,
    todos: HashMap<String, TodoFacts>,
}

impl<'a> Ledger<'a> {
    fn read(org: &'a Organization, known: &'a Known, events: &'a [Event]) -> Ledger<'a> {
        let mut ledger = Ledger {
            org,
            known,
            accepted: HashMap::new(),
            outcomes: Vec::with_capacity(events.len()),
            admissions: Vec::with_capacity(events.len()),
            customers: HashMap::new(),
            opportunities: HashMap::new(),
            todos: HashMap::new(),
        };
        for (arrival, event) in events.iter().enumerate() {
            let (outcome, admission) = ledger.take(arrival, event);
            ledger.outcomes.push(outcome);
            ledger.admissions.push(admission);
        }
        ledger
    }

    /// Decides one event and, if accepted, records what it writes.
    fn take(&mut self, arrival: usize, event: &'a Event) -> (Outcome, Option<Admission>) {
        let canonical = event.canonical_json();
        match self.accepted.get(event.id.as_str()) {
            Some(earlier) if *earlier == canonical => return (Outcome::Duplicate, None),
            Some(_) => return (Outcome::Conflict, None),
            None => {}
        }
        let Some(admission) = self.admit(event) else {
            return (Outcome::Rejected, None);
        };
        self.record(arrival, event);
        self.accepted.insert(&event.id, canonical);
        (Outcome::Accepted, Some(admission))
    }

    fn is_user(&self, id: &str) -> bool {
        self.known.users.contains(id)
    }

    /// No channel, or one of the organisation's.
    fn is_channel(&self, channel: Option<&String>) -> bool {
        channel.is_none_or(|c| self.known.channels.contains(c))
    }

    fn is_customer(&self, id: &str) -> bool {
        self.customers.contains_key(id)
    }

    fn is_opportunity(&self, id: &str) -> bool {
        self.opportunities.contains_key(id)
    }

    fn is_amount(&self, amount: rust_decimal::Decimal) -> bool {
        self.org.currency.to_minor(amount).is_ok()
    }

    /// Whether the event may be applied now, and the customer its action is about.
    fn admit(&self, event: &Event) -> Option<Admission> {
        if !self.is_user(&event.user_id) {
            return None;
        }
        let about = |id: &str| Admission {
            customer: Some(id.to_owned()),
        };
        let on_customer = |id: &str| self.is_customer(id).then(|| about(id));
        match &event.kind {
            EventKind::Call { customer_id, .. } => {
                let known = customer_id.as_deref().filter(|id| self.is_customer(id));
                Some(Admission {
                    customer: known.map(str::to_owned),
                })
            }
            EventKind::CustomerCreated {
                customer_id,
                owner_id,
                channel,
                ..
            } => (!self.is_customer(customer_id)
                && self.is_user(owner_id)
                && self.is_channel(channel.as_ref()))
            .then(|| about(customer_id)),
            EventKind::CustomerUpdated {
                customer_id,
                owner_id,
                channel,
            } => {
                let ok = owner_id.as_deref().is_none_or(|o| self.is_user(o))
                    && self.is_channel(channel.as_ref());
                ok.then(|| on_customer(customer_id)).flatten()
            }
            EventKind::NoteAdded { customer_id }
            | EventKind::NoteEdited { customer_id }
            | EventKind::MeetingHeld { customer_id }
            | EventKind::SmsSent { customer_id, .. }
            | EventKind::EmailSent { customer_id, .. }
            | EventKind::EmailReceived { customer_id } => on_customer(customer_id),
            EventKind::OpportunityCreated {
                opportunity_id,
                customer_id,
                amount,
                owner_id,
                channel,
            } => {
                let ok = !self.is_opportunity(opportunity_id)
                    && self.is_customer(customer_id)
                    && self.is_user(owner_id)
                    && self.is_amount(*amount)
                    && self.is_channel(channel.as_ref());
                ok.then(|| about(customer_id))
            }
            EventKind::OpportunityUpdated {
                opportunity_id,
                amount,
                owner_id,
                channel,
            } => {
                let ok = owner_id.as_deref().is_none_or(|o| self.is_user(o))
                    && amount.is_none_or(|a| self.is_amount(a))
                    && self.is_channel(channel.as_ref());
                ok.then(|| self.on_opportunity(opportunity_id)).flatten()
            }
            EventKind::OpportunityStatusChanged { opportunity_id, .. } => {
                self.on_opportunity(opportunity_id)
            }
            EventKind::TodoCreated {
                todo_id,
                assignee_id,
            } => {
                let ok = !self.todos.contains_key(todo_id) && self.is_user(assignee_id);
                ok.then_some(Admission { customer: None })
            }
            EventKind::TodoCompleted { todo_id } => self
                .todos
                .contains_key(todo_id)
                .then_some(Admission { customer: None }),
        }
    }

    /// An action on an existing opportunity is about the opportunity's customer.
    fn on_opportunity(&self, id: &str) -> Option<Admission> {
        let opportunity = self.opportunities.get(id)?;
        Some(Admission {
            customer: Some(opportunity.customer_id.clone()),
        })
    }

    /// Records what an accepted event writes to the entities.
    fn record(&mut self, arrival: usize, event: &Event) {
        let (at, stamp) = (
            event.at,
            Stamp {
                at: event.at,
                arrival,
            },
        );
        let minor = |amount| self.org.currency.to_minor(amount).unwrap_or_default();
        match &event.kind {
            EventKind::CustomerCreated {
                customer_id,
                owner_id,
                channel,
                ..
            } => {
                let facts = CustomerFacts {
                    created: at,
                    owners: vec![stamp.write(owner_id.clone())],
                    channels: channel.iter().map(|c| stamp.write(c.clone())).collect(),
                };
                self.customers.insert(customer_id.clone(), facts);
            }
            EventKind::CustomerUpdated {
                customer_id,
                owner_id,
                channel,
            } => {
                if let Some(facts) = self.customers.get_mut(customer_id) {
                    facts
                        .owners
                        .extend(owner_id.iter().map(|o| stamp.write(o.clone())));
                    facts
                        .channels
                        .extend(channel.iter().map(|c| stamp.write(c.clone())));
                }
            }
            EventKind::OpportunityCreated {
                opportunity_id,
                customer_id,
                amount,
                owner_id,
                channel,
            } => {
                let facts = OpportunityFacts {
                    customer_id: customer_id.clone(),
                    created: at,
                    owners: vec![stamp.write(owner_id.clone())],
                    amounts: vec![stamp.write(minor(*amount))],
                    statuses: vec![stamp.write(Status::Open)],
                    channels: channel.iter().map(|c| stamp.write(c.clone())).collect(),
                };
                self.opportunities.insert(opportunity_id.clone(), facts);
            }
            EventKind::OpportunityUpdated {
                opportunity_id,
                amount,
                owner_id,
                channel,
            } => {
                let amount = amount.map(minor);
                if let Some(facts) = self.opportunities.get_mut(opportunity_id) {
                    facts
                        .owners
                        .extend(owner_id.clone().map(|o| stamp.write(o)));
                    facts.amounts.extend(amount.map(|a| stamp.write(a)));
                    facts
                        .channels
                        .extend(channel.iter().map(|c| stamp.write(c.clone())));
                }
            }
            EventKind::OpportunityStatusChanged {
                opportunity_id,
                status,
            } => {
                if let Some(facts) = self.opportunities.get_mut(opportunity_id) {
                    facts.statuses.push(stamp.write(*status));
                }
            }
            EventKind::TodoCreated {
                todo_id,
                assignee_id,
            } => {
                let assignee = assignee_id.clone();
                let facts = TodoFacts {
                    assignee,
                    created: at,
                    completions: vec![],
                };
                self.todos.insert(todo_id.clone(), facts);
            }
            EventKind::TodoCompleted { todo_id } => {
                if let Some(facts) = self.todos.get_mut(todo_id) {
                    facts.completions.push(at);
                }
            }
            _ => {}
        }
    }
}

/// List A of the spec: the actions that make their customer "interacted" (metric 7).
fn in_list_a(kind: &EventKind) -> bool {
    match kind {
        EventKind::CustomerCreated { .. }
        | EventKind::CustomerUpdated { .. }
        | EventKind::NoteAdded { .. }
        | EventKind::NoteEdited { .. }
        | EventKind::OpportunityCreated { .. }
        | EventKind::OpportunityStatusChanged { .. }
        | EventKind::MeetingHeld { .. } => true,
        EventKind::Call { answered, .. } => *answered,
        _ => false,
    }
}

/// List B of the spec: the actions that count as one customer interaction (metric 8).
fn in_list_b(kind: &EventKind) -> bool {
    match kind {
        EventKind::CustomerCreated { .. }
        | EventKind::CustomerUpdated { .. }
        | EventKind::NoteAdded { .. }
        | EventKind::OpportunityCreated { .. }
        | EventKind::OpportunityUpdated { .. }
        | EventKind::OpportunityStatusChanged { .. }
        | EventKind::MeetingHeld { .. }
        | EventKind::EmailReceived { .. } => true,
        // An outbound call, answered or not; an inbound one only if answered.
        EventKind::Call {
            direction,
            answered,
            ..
        } => *direction == Direction::Outbound || *answered,
        EventKind::SmsSent { delivered, .. } | EventKind::EmailSent { delivered, .. } => *delivered,
        _ => false,
    }
}

/// What an event counts for its actor, metric by metric, per the spec's table
/// (metrics 7 and 8, which need the event's customer, apart).
fn actor_count(metric: Metric, kind: &EventKind) -> i64 {
    let one = |yes: bool| i64::from(yes);
    let talk = |only: Option<Direction>| match answered_call(kind) {
        Some((direction, seconds)) if only.is_none_or(|d| d == direction) => seconds,
        _ => 0,
    };
    match metric {
        Metric::Calls => one(matches!(kind, EventKind::Call { .. })),
        Metric::CallsConnected => one(answered_call(kind).is_some()),
        Metric::TalkSeconds => talk(None),
        Metric::TalkSecondsOutbound => talk(Some(Direction::Outbound)),
        Metric::TalkSecondsInbound => talk(Some(Direction::Inbound)),
        Metric::Meetings => one(matches!(kind, EventKind::MeetingHeld { .. })),
        Metric::EmailsSent => one(matches!(
            kind,
            EventKind::EmailSent {
                delivered: true,
                ..
            }
        )),
        Metric::SmsSent => one(matches!(
            kind,
            EventKind::SmsSent {
                delivered: true,
                ..
            }
        )),
        Metric::OpportunityInteractions => one(kind.opportunity_id().is_some()),
        _ => 0,
    }
}

/// The direction and talk time of an answered call.
fn answered_call(kind: &EventKind) -> Option<(Direction, i64)> {
    match kind {
        EventKind::Call {
            answered: true,
            direction,
            talk_seconds,
            ..
        } => Some((*direction, i64::from(*talk_seconds))),
        _ => None,
    }
}

/// The metrics an event counts for its actor, by the spec's table.
const ACTOR_METRICS: [Metric; 10] = [
    Metric::Calls,
    Metric::CallsConnected,
    Metric::TalkSeconds,
    Metric::TalkSecondsOutbound,
    Metric::TalkSecondsInbound,
    Metric::Meetings,
    Metric::EmailsSent,
    Metric::SmsSent,
    Metric::OpportunityInteractions,
    Metric::CustomerInteractions,
];

/// Pass two: every contribution, each emitted once.
struct Credits<'a> {
    org: &'a Organization,
    out: Vec<Contribution>,
}

impl Credits<'_> {
    fn day(&self, at: Timestamp) -> Day {
        self.org.calendar.day_of(at)
    }

    fn count(&mut self, user: &str, day: Day, metric: Metric, delta: i64) {
        if delta != 0 {
            let user = user.to_owned();
            self.out.push(Contribution::Count {
                user,
                day,
                metric,
                delta,
            });
        }
    }

    fn mark(&mut self, user: &str, day: Day, metric: Metric, entity: EntityRef) {
        let user = user.to_owned();
        self.out.push(Contribution::Mark {
            user,
            day,
            metric,
            entity,
        });
    }

    /// What an accepted event counts for its actor on its day.
    fn event(&mut self, event: &Event, customer: Option<&str>) {
        let (actor, day, kind) = (event.user_id.as_str(), self.day(event.at), &event.kind);
        for metric in ACTOR_METRICS {
            let count = match metric {
                Metric::CustomerInteractions => i64::from(customer.is_some() && in_list_b(kind)),
                _ => actor_count(metric, kind),
            };
            self.count(actor, day, metric, count);
        }
        if let Some(customer) = customer.filter(|_| in_list_a(kind)) {
            self.mark(
                actor,
                day,
                Metric::CustomersInteracted,
                EntityRef::customer(customer),
            );
        }
        if let Some(opportunity) = kind.opportunity_id() {
            let entity = EntityRef::opportunity(opportunity);
            self.mark(actor, day, Metric::OpportunitiesInteracted, entity);
        }
    }

    fn sale(
        &mut self,
        channel: Option<&String>,
        owner: &str,
        day: Day,
        measure: SaleMeasure,
        delta: i64,
    ) {
        if delta != 0 {
            self.out.push(Contribution::Sale {
                channel: channel.cloned().unwrap_or_default(),
                user: owner.to_owned(),
                day,
                measure,
                delta,
            });
        }
    }

    /// Metric 6: one new customer for its current owner, on the day it was created;
    /// and the same by its current channel.
    fn customer(&mut self, facts: &CustomerFacts) {
        if let Some(owner) = latest(&facts.owners) {
            let day = self.day(facts.created);
            self.count(owner, day, Metric::CustomersNew, 1);
            let channel = latest(&facts.channels);
            self.sale(channel, owner, day, SaleMeasure::CustomersNew, 1);
        }
    }

    /// Metrics 14, 16 and 17, for the opportunity's current owner.
    fn opportunity(&mut self, facts: &OpportunityFacts) {
        let Some(owner) = latest(&facts.owners) else {
            return;
        };
        let channel = latest(&facts.channels);
        let created = self.day(facts.created);
        self.count(owner, created, Metric::OpportunitiesNew, 1);
        self.sale(channel, owner, created, SaleMeasure::OpportunitiesNew, 1);
        if let Some(won) = final_run_of(&facts.statuses, Status::Won) {
            let day = self.day(won);
            let amount = latest(&facts.amounts).copied().unwrap_or_default();
            self.count(owner, day, Metric::OpportunitiesWon, 1);
            self.count(owner, day, Metric::Revenue, amount);
            self.sale(channel, owner, day, SaleMeasure::OpportunitiesWon, 1);
            self.sale(channel, owner, day, SaleMeasure::Revenue, amount);
        }
        if let Some(lost) = final_run_of(&facts.statuses, Status::Lost) {
            let day = self.day(lost);
            self.sale(channel, owner, day, SaleMeasure::OpportunitiesLost, 1);
        }
    }

    /// Metrics 9 and 10, for the to-do's assignee.
    fn todo(&mut self, facts: &TodoFacts) {
        self.count(
            &facts.assignee,
            self.day(facts.created),
            Metric::TodosCreated,
            1,
        );
        for at in &facts.completions {
            self.count(&facts.assignee, self.day(*at), Metric::TodosCompleted, 1);
        }
    }
}

/// When an opportunity whose current status is `status` took it: the first entry of
/// the final unbroken run of `status` (entries in order of `at`, then of arrival).
fn final_run_of(statuses: &[Write<Status>], status: Status) -> Option<Timestamp> {
    let mut history: Vec<&Write<Status>> = statuses.iter().collect();
    history.sort_by_key(|w| w.stamp);
    let final_run = history.iter().rev().take_while(|w| w.value == status);
    final_run.last().map(|w| w.stamp.at)
}
