//! The current state of the entities that current-state metrics (◆) depend on.
//!
//! Owners, amounts and statuses are last-writer-wins by the event's `at` (a late event
//! with an older `at` does not overwrite a newer value; equal `at`s go to the later
//! arrival). Each entity knows the contributions it *stands for* right now; a change
//! is expressed as the difference between what it stood for before and after, so
//! rollups are corrected by signed deltas and never recomputed.

use crate::calendar::Day;
use crate::event::Status;
use crate::metric::Metric;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap, HashSet};

/// A value and the `at` of the event that set it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stamped<T> {
    pub value: T,
    pub at: Timestamp,
}

impl<T> Stamped<T> {
    pub fn new(value: T, at: Timestamp) -> Self {
        Stamped { value, at }
    }

    /// Takes `value` unless the current one was set by a later event.
    pub fn set(&mut self, value: T, at: Timestamp) {
        if at >= self.at {
            *self = Stamped { value, at };
        }
    }
}

/// A customer: who is in charge of it now, the day it was created, and the channel it
/// came from (absent in states stored before channels).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    pub owner: Stamped<String>,
    pub created_day: Day,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Stamped<String>>,
}

/// One status an opportunity took, at `at` (local day `day`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusChange {
    pub at: Timestamp,
    pub day: Day,
    pub status: Status,
}

/// A sales opportunity: its customer, owner, amount and status history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opportunity {
    pub customer_id: String,
    pub created_day: Day,
    pub owner: Stamped<String>,
    pub amount_minor: Stamped<i64>,
    /// Every status it took, ordered by `at` (creation is the first, `open`).
    pub statuses: Vec<StatusChange>,
    /// The channel it came from; its own, never its customer's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<Stamped<String>>,
}

/// A to-do and the user it is assigned to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Todo {
    pub assignee: String,
}

/// The kinds of entity events refer to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Customer,
    Opportunity,
    Todo,
}

impl EntityKind {
    /// Its name in the store and in CRM records: `customer`, `opportunity`, `todo`.
    pub fn name(self) -> &'static str {
        match self {
            EntityKind::Customer => "customer",
            EntityKind::Opportunity => "opportunity",
            EntityKind::Todo => "todo",
        }
    }
}

/// A reference to one entity, by kind and the sender's id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityRef {
    pub kind: EntityKind,
    pub id: String,
}

impl EntityRef {
    pub fn customer(id: &str) -> EntityRef {
        EntityRef {
            kind: EntityKind::Customer,
            id: id.to_owned(),
        }
    }

    pub fn opportunity(id: &str) -> EntityRef {
        EntityRef {
            kind: EntityKind::Opportunity,
            id: id.to_owned(),
        }
    }

    pub fn todo(id: &str) -> EntityRef {
        EntityRef {
            kind: EntityKind::Todo,
            id: id.to_owned(),
        }
    }
}

/// A count or sum an entity currently stands for: `(credited user, day, metric, amount)`.
pub type Standing = (String, Day, Metric, i64);

/// What the sales-by-channel report counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SaleMeasure {
    /// Customers created, on the day created (as `customers_new`).
    CustomersNew,
    /// Opportunities created, on the day created (as `opportunities_new`).
    OpportunitiesNew,
    /// Opportunities won now, on the day of the latest change to won (as
    /// `opportunities_won`).
    OpportunitiesWon,
    /// Opportunities lost now, on the day of the latest change to lost.
    OpportunitiesLost,
    /// The current amount of the won ones, in minor units (as `revenue`).
    Revenue,
}

impl SaleMeasure {
    pub const ALL: [SaleMeasure; 5] = [
        SaleMeasure::CustomersNew,
        SaleMeasure::OpportunitiesNew,
        SaleMeasure::OpportunitiesWon,
        SaleMeasure::OpportunitiesLost,
        SaleMeasure::Revenue,
    ];

    /// Its name in the store and the API.
    pub fn key(self) -> &'static str {
        match self {
            SaleMeasure::CustomersNew => "customers_new",
            SaleMeasure::OpportunitiesNew => "opportunities_new",
            SaleMeasure::OpportunitiesWon => "opportunities_won",
            SaleMeasure::OpportunitiesLost => "opportunities_lost",
            SaleMeasure::Revenue => "revenue",
        }
    }

    /// Its place in [`SaleMeasure::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A figure an entity currently stands for in the sales by channel: `(channel, credited
/// user, day, measure, amount)`; the channel is `""` when it has none.
pub type Sale = (String, String, Day, SaleMeasure, i64);

fn channel_of(channel: Option<&Stamped<String>>) -> String {
    channel.map(|c| c.value.clone()).unwrap_or_default()
}

impl Customer {
    /// What the customer counts for now: one new customer for its current owner.
    pub fn standing(&self) -> Vec<Standing> {
        vec![(
            self.owner.value.clone(),
            self.created_day,
            Metric::CustomersNew,
            1,
        )]
    }

    /// What the customer counts for by channel now: one new customer of its channel,
    /// for its current owner.
    pub fn sales(&self) -> Vec<Sale> {
        vec![(
            channel_of(self.channel.as_ref()),
            self.owner.value.clone(),
            self.created_day,
            SaleMeasure::CustomersNew,
            1,
        )]
    }
}

impl Opportunity {
    /// Records a status taken at `at`, keeping the history ordered by `at`.
    pub fn record_status(&mut self, change: StatusChange) {
        let position = self.statuses.partition_point(|s| s.at <= change.at);
        self.statuses.insert(position, change);
    }

    /// The status it has now: the one with the latest `at`.
    pub fn status(&self) -> Option<Status> {
        self.statuses.last().map(|s| s.status)
    }

    /// The day of the latest change to `won`, if the current status is `won`.
    pub fn won_on(&self) -> Option<Day> {
        self.current_since(Status::Won)
    }

    /// The day of the latest change to `lost`, if the current status is `lost`.
    pub fn lost_on(&self) -> Option<Day> {
        self.current_since(Status::Lost)
    }

    /// The day the final run of `status` began, if it is the current status.
    fn current_since(&self, status: Status) -> Option<Day> {
        self.statuses
            .iter()
            .rev()
            .take_while(|s| s.status == status)
            .last()
            .map(|s| s.day)
    }

    /// What the opportunity counts for by channel now: new, and won with its revenue
    /// or lost, for its current owner.
    pub fn sales(&self) -> Vec<Sale> {
        let channel = channel_of(self.channel.as_ref());
        let owner = &self.owner.value;
        let sale = |day, measure, amount| (channel.clone(), owner.clone(), day, measure, amount);
        let mut sales = vec![sale(self.created_day, SaleMeasure::OpportunitiesNew, 1)];
        if let Some(day) = self.won_on() {
            sales.push(sale(day, SaleMeasure::OpportunitiesWon, 1));
            sales.push(sale(day, SaleMeasure::Revenue, self.amount_minor.value));
        }
        if let Some(day) = self.lost_on() {
            sales.push(sale(day, SaleMeasure::OpportunitiesLost, 1));
        }
        sales
    }

    /// What the opportunity counts for now: new for its owner, and won + revenue if won.
    pub fn standing(&self) -> Vec<Standing> {
        let owner = &self.owner.value;
        let mut standing = vec![(owner.clone(), self.created_day, Metric::OpportunitiesNew, 1)];
        if let Some(day) = self.won_on() {
            standing.push((owner.clone(), day, Metric::OpportunitiesWon, 1));
            standing.push((owner.clone(), day, Metric::Revenue, self.amount_minor.value));
        }
        standing
    }
}

/// What apply needs to know: the users that exist and the entities events refer to.
///
/// The store fills it with just the users and entities a batch names; tests and
/// `rebuild` keep everything in it.
#[derive(Clone, Debug, Default)]
pub struct State {
    pub users: HashSet<String>,
    /// The organisation's channels (every one an event may name).
    pub channels: HashSet<String>,
    pub customers: HashMap<String, Customer>,
    pub opportunities: HashMap<String, Opportunity>,
    pub todos: HashMap<String, Todo>,
    /// Entities created or changed since the set was last drained: what to write back.
    pub touched: BTreeSet<EntityRef>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn opportunity() -> Opportunity {
        let at = ts("2026-11-01T02:00:00Z");
        Opportunity {
            customer_id: "c1".into(),
            created_day: Day::from_number(100),
            owner: Stamped::new("u1".into(), at),
            amount_minor: Stamped::new(500, at),
            statuses: vec![StatusChange {
                at,
                day: Day::from_number(100),
                status: Status::Open,
            }],
            channel: None,
        }
    }

    fn change(at: &str, day: i32, status: Status) -> StatusChange {
        StatusChange {
            at: ts(at),
            day: Day::from_number(day),
            status,
        }
    }

    #[test]
    fn a_later_value_wins_and_an_older_late_one_does_not() {
        let mut owner = Stamped::new("u1".to_string(), ts("2026-11-01T10:00:00Z"));
        owner.set("u2".into(), ts("2026-11-01T09:00:00Z"));
        assert_eq!(owner.value, "u1");
        owner.set("u3".into(), ts("2026-11-01T10:00:00Z"));
        assert_eq!(owner.value, "u3");
    }

    #[test]
    fn won_counts_from_the_latest_change_to_won() {
        let mut o = opportunity();
        assert_eq!(o.won_on(), None);
        o.record_status(change("2026-11-02T02:00:00Z", 101, Status::Won));
        assert_eq!(o.won_on(), Some(Day::from_number(101)));
        // Won again while won: still the first win of this run.
        o.record_status(change("2026-11-03T02:00:00Z", 102, Status::Won));
        assert_eq!(o.won_on(), Some(Day::from_number(101)));
        o.record_status(change("2026-11-04T02:00:00Z", 103, Status::Lost));
        assert_eq!(o.won_on(), None);
        o.record_status(change("2026-11-05T02:00:00Z", 104, Status::Won));
        assert_eq!(o.won_on(), Some(Day::from_number(104)));
        // A late `lost` from before the last win changes nothing.
        o.record_status(change("2026-11-04T12:00:00Z", 103, Status::Lost));
        assert_eq!(o.won_on(), Some(Day::from_number(104)));
    }
}
