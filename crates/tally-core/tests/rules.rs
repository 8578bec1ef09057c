//! The rules of `spec/metrics.md`, one test per rule, through the crate's public API.
//!
//! Every test builds events from JSON with [`Event::parse`], applies them in order with
//! [`tally_core::apply`], sums every contribution into [`Rollups`], and reads a user's
//! or a team's values over an inclusive range of local days, the way a report does.
//! The organization is the default one: `Asia/Ho_Chi_Minh` (+07:00), weeks from Monday,
//! VND (no minor unit, so revenue reads in dong).

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap, HashSet};
use tally_core::Metric::*;
use tally_core::state::{Customer, EntityRef, Opportunity, Todo};
use tally_core::{
    Calendar, Currency, Day, DayRange, Event, FieldError, Membership, Metric, Organization, Period,
    Rejection, Rollups, State, Values,
};

// November 2026: Monday the 2nd to Friday the 6th, local days.
const SUN: &str = "2026-11-01";
const MON: &str = "2026-11-02";
const TUE: &str = "2026-11-03";
const WED: &str = "2026-11-04";
const THU: &str = "2026-11-05";
const FRI: &str = "2026-11-06";

/// A local day written `YYYY-MM-DD`.
fn day(date: &str) -> Day {
    date.parse().expect("a YYYY-MM-DD date")
}

/// The inclusive range of local days `from..=to`.
fn range(from: &str, to: &str) -> DayRange {
    DayRange::new(day(from), day(to)).expect("from is not after to")
}

/// A team membership over `from..=to` (open-ended without `to`).
fn member(user: &str, from: &str, to: Option<&str>) -> Membership {
    Membership {
        user_id: user.to_owned(),
        from: day(from),
        to: to.map(day),
    }
}

fn organization(zone: &str, currency: Currency) -> Organization {
    Organization {
        calendar: Calendar::new(zone, "monday").expect("a known zone"),
        currency,
    }
}

fn parse(value: &Value) -> Result<Event, FieldError> {
    Event::parse(value, &Currency::default())
}

/// Everything an event could change: what a rejected event must leave as it was.
#[derive(Debug, PartialEq)]
struct Snapshot {
    users: HashSet<String>,
    customers: HashMap<String, Customer>,
    opportunities: HashMap<String, Opportunity>,
    todos: HashMap<String, Todo>,
    touched: BTreeSet<EntityRef>,
    rollups: Rollups,
}

/// One organization with users u1, u2 and u3: its state and its rollups.
struct Tally {
    org: Organization,
    state: State,
    rollups: Rollups,
    sent: usize,
}

impl Tally {
    fn new() -> Tally {
        Tally::with(organization("Asia/Ho_Chi_Minh", Currency::default()))
    }

    fn with(org: Organization) -> Tally {
        let state = State {
            users: ["u1", "u2", "u3"].map(String::from).into(),
            ..State::default()
        };
        Tally {
            org,
            state,
            rollups: Rollups::default(),
            sent: 0,
        }
    }

    /// The JSON of an event done by `user` at `at` (a bare local date means 09:00 that
    /// day, +07:00), with the `type` and fields of `body` and a fresh `id`.
    fn event(&mut self, user: &str, at: &str, body: Value) -> Value {
        self.sent += 1;
        let at = match at.len() {
            10 => format!("{at}T09:00:00+07:00"),
            _ => at.to_owned(),
        };
        let mut value = body;
        let object = value
            .as_object_mut()
            .expect("an event body is a JSON object");
        object.insert("id".into(), json!(format!("evt-{}", self.sent)));
        object.insert("at".into(), json!(at));
        object.insert("user_id".into(), json!(user));
        value
    }

    /// Parses and applies one event, adding its contributions to the rollups.
    fn send(&mut self, user: &str, at: &str, body: Value) -> Result<(), Rejection> {
        let value = self.event(user, at, body);
        let event = Event::parse(&value, &self.org.currency).map_err(Rejection::invalid)?;
        for contribution in tally_core::apply(&self.org, &mut self.state, &event)? {
            self.rollups.add(&contribution);
        }
        Ok(())
    }

    /// Sends an event that must be accepted.
    fn ok(&mut self, user: &str, at: &str, body: Value) {
        let shown = body.to_string();
        if let Err(rejection) = self.send(user, at, body) {
            panic!("{shown} was rejected: {rejection}");
        }
    }

    /// Sends an event that must be rejected, checking that it changed nothing.
    fn rejected(&mut self, user: &str, at: &str, body: Value) -> Rejection {
        let before = self.snapshot();
        let shown = body.to_string();
        let Err(rejection) = self.send(user, at, body) else {
            panic!("{shown} was accepted");
        };
        assert_eq!(
            self.snapshot(),
            before,
            "the rejected {shown} changed something"
        );
        rejection
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            users: self.state.users.clone(),
            customers: self.state.customers.clone(),
            opportunities: self.state.opportunities.clone(),
            todos: self.state.todos.clone(),
            touched: self.state.touched.clone(),
            rollups: self.rollups.clone(),
        }
    }

    fn customer(&mut self, user: &str, at: &str, customer_id: &str) {
        self.ok(
            user,
            at,
            json!({"type": "customer.created", "customer_id": customer_id}),
        );
    }

    fn call(
        &mut self,
        user: &str,
        at: &str,
        direction: &str,
        talk: Option<u32>,
        customer: Option<&str>,
    ) {
        let mut body = json!({"type": "call", "direction": direction,
            "answered": talk.is_some(), "talk_seconds": talk.unwrap_or(0)});
        if let Some(customer) = customer {
            body["customer_id"] = json!(customer);
        }
        self.ok(user, at, body);
    }

    fn opportunity(
        &mut self,
        user: &str,
        at: &str,
        opportunity_id: &str,
        customer_id: &str,
        amount: &str,
    ) {
        self.ok(
            user,
            at,
            json!({"type": "opportunity.created", "opportunity_id": opportunity_id,
            "customer_id": customer_id, "amount": amount}),
        );
    }

    fn status(&mut self, user: &str, at: &str, opportunity_id: &str, status: &str) {
        self.ok(
            user,
            at,
            json!({"type": "opportunity.status_changed",
            "opportunity_id": opportunity_id, "status": status}),
        );
    }

    /// An action of `kind` on customer `customer_id` (`note.added`, `meeting.held`, …).
    fn act(&mut self, user: &str, at: &str, kind: &str, customer_id: &str) {
        self.ok(user, at, json!({"type": kind, "customer_id": customer_id}));
    }

    /// An `sms.sent` or `email.sent` to customer `customer_id`.
    fn message(&mut self, user: &str, at: &str, kind: &str, customer_id: &str, delivered: bool) {
        let body = json!({"type": kind, "customer_id": customer_id, "delivered": delivered});
        self.ok(user, at, body);
    }

    /// A `customer.updated` that gives the customer to `owner_id`.
    fn reassign(&mut self, user: &str, at: &str, customer_id: &str, owner_id: &str) {
        let body =
            json!({"type": "customer.updated", "customer_id": customer_id, "owner_id": owner_id});
        self.ok(user, at, body);
    }

    /// An `opportunity.updated` with the `amount` and/or `owner_id` of `fields`.
    fn update(&mut self, user: &str, at: &str, opportunity_id: &str, fields: Value) {
        let mut body = fields;
        body["type"] = json!("opportunity.updated");
        body["opportunity_id"] = json!(opportunity_id);
        self.ok(user, at, body);
    }

    fn todo(&mut self, user: &str, at: &str, todo_id: &str, assignee_id: Option<&str>) {
        let mut body = json!({"type": "todo.created", "todo_id": todo_id});
        if let Some(assignee_id) = assignee_id {
            body["assignee_id"] = json!(assignee_id);
        }
        self.ok(user, at, body);
    }

    fn complete(&mut self, user: &str, at: &str, todo_id: &str) {
        self.ok(
            user,
            at,
            json!({"type": "todo.completed", "todo_id": todo_id}),
        );
    }

    fn values(&self, user: &str, from: &str, to: &str) -> Values {
        self.rollups.user_values(user, range(from, to))
    }

    /// A user's value of a metric over `from..=to`.
    fn value(&self, user: &str, metric: Metric, from: &str, to: &str) -> i128 {
        self.values(user, from, to).get(metric)
    }

    /// A user's value of a metric on one local day.
    fn on(&self, user: &str, metric: Metric, date: &str) -> i128 {
        self.value(user, metric, date, date)
    }

    /// A team's value of a metric over `from..=to`.
    fn team(&self, members: &[Membership], metric: Metric, from: &str, to: &str) -> i128 {
        self.rollups
            .team_values(members, range(from, to))
            .get(metric)
    }
}

/// u2 created customers c1 and c2 and opportunity o1 (of c1, 1,000,000 VND) on Monday;
/// the tests of lists A and B have u1 act on Tuesday.
fn crm() -> Tally {
    let mut t = Tally::new();
    t.customer("u2", MON, "c1");
    t.customer("u2", MON, "c2");
    t.opportunity("u2", MON, "o1", "c1", "1000000");
    t
}

/// u1's metric 7 (distinct customers interacted) on Tuesday.
fn interacted(t: &Tally) -> i128 {
    t.on("u1", CustomersInteracted, TUE)
}

/// u1's metric 8 (customer interactions) on Tuesday.
fn interactions(t: &Tally) -> i128 {
    t.on("u1", CustomerInteractions, TUE)
}

/// u1's four calls on Monday: outbound answered (60 s), outbound missed, inbound
/// answered (45 s), inbound missed.
fn four_calls() -> Tally {
    let mut t = Tally::new();
    t.call("u1", MON, "outbound", Some(60), None);
    t.call("u1", MON, "outbound", None, None);
    t.call("u1", MON, "inbound", Some(45), None);
    t.call("u1", MON, "inbound", None, None);
    t
}

// ───────────────────────────── Metrics 1–5: calls ─────────────────────────────

#[test]
fn calls_count_every_call_inbound_and_outbound_answered_or_not() {
    let t = four_calls();
    assert_eq!(t.on("u1", Calls, MON), 4);
}

#[test]
fn calls_connected_count_only_answered_calls() {
    let t = four_calls();
    assert_eq!(t.on("u1", CallsConnected, MON), 2);
}

#[test]
fn talk_seconds_sum_answered_calls_in_both_directions() {
    let t = four_calls();
    assert_eq!(t.on("u1", TalkSeconds, MON), 105);
}

#[test]
fn talk_seconds_outbound_sum_only_outbound_answered_calls() {
    let mut t = four_calls();
    t.call("u1", MON, "outbound", Some(15), None);
    assert_eq!(t.on("u1", TalkSecondsOutbound, MON), 75);
}

#[test]
fn talk_seconds_inbound_sum_only_inbound_answered_calls() {
    let mut t = four_calls();
    t.call("u1", MON, "inbound", Some(5), None);
    assert_eq!(t.on("u1", TalkSecondsInbound, MON), 50);
}

#[test]
fn call_metrics_go_to_the_actor_on_the_day_of_at() {
    let mut t = Tally::new();
    t.customer("u2", MON, "c1");
    t.call("u1", TUE, "outbound", Some(60), Some("c1"));
    t.call("u1", WED, "inbound", Some(30), Some("c1"));
    let tuesday = t.values("u1", TUE, TUE);
    assert_eq!(&tuesday.0[..5], &[1, 1, 60, 60, 0]);
    let wednesday = t.values("u1", WED, WED);
    assert_eq!(&wednesday.0[..5], &[1, 1, 30, 0, 30]);
    // The customer's owner gets no call credit.
    assert_eq!(&t.values("u2", MON, FRI).0[..5], &[0, 0, 0, 0, 0]);
}

#[test]
fn call_with_unknown_customer_counts_for_metrics_1_to_5_only() {
    let mut t = Tally::new();
    t.call("u1", MON, "outbound", Some(60), Some("nobody-created-me"));
    t.call("u1", MON, "inbound", Some(30), Some("nobody-created-me"));
    let v = t.values("u1", MON, MON);
    assert_eq!(&v.0[..5], &[2, 2, 90, 60, 30]);
    assert!(v.0[5..].iter().all(|&x| x == 0), "{v:?}");
    // The call did not create the customer.
    let r = t.rejected(
        "u1",
        MON,
        json!({"type": "note.added", "customer_id": "nobody-created-me"}),
    );
    assert_eq!(r.error.field, "customer_id");
}

#[test]
fn call_without_customer_counts_for_metrics_1_to_5_only() {
    let mut t = crm();
    t.call("u1", TUE, "outbound", Some(20), None);
    t.call("u1", TUE, "outbound", None, None);
    t.call("u1", TUE, "inbound", Some(10), None);
    let v = t.values("u1", TUE, TUE);
    assert_eq!(&v.0[..5], &[3, 2, 30, 20, 10]);
    assert!(v.0[5..].iter().all(|&x| x == 0), "{v:?}");
}

// ───────────────────────── Metric 6: new customers ◆ ─────────────────────────

#[test]
fn customers_new_counts_each_created_customer_for_its_owner_defaulting_to_the_actor() {
    let mut t = Tally::new();
    t.customer("u1", MON, "c1");
    t.customer("u1", MON, "c2");
    t.ok(
        "u1",
        TUE,
        json!({"type": "customer.created", "customer_id": "c3", "owner_id": "u2"}),
    );
    assert_eq!(t.on("u1", CustomersNew, MON), 2);
    assert_eq!(t.on("u1", CustomersNew, TUE), 0);
    assert_eq!(t.on("u2", CustomersNew, TUE), 1);
}

#[test]
fn customers_new_moves_to_the_new_owner_on_reassignment_including_past_days() {
    let mut t = Tally::new();
    t.customer("u1", MON, "c1");
    t.reassign("u3", WED, "c1", "u2");
    assert_eq!(t.on("u1", CustomersNew, MON), 0);
    assert_eq!(t.on("u2", CustomersNew, MON), 1);
    // Still on the day the customer was created, not the day of the reassignment.
    assert_eq!(t.on("u2", CustomersNew, WED), 0);
    assert_eq!(t.value("u3", CustomersNew, MON, FRI), 0);
    t.reassign("u1", THU, "c1", "u3");
    assert_eq!(t.on("u2", CustomersNew, MON), 0);
    assert_eq!(t.on("u3", CustomersNew, MON), 1);
}

#[test]
fn customer_updated_without_owner_id_keeps_the_owner() {
    let mut t = Tally::new();
    t.customer("u1", MON, "c1");
    t.act("u2", TUE, "customer.updated", "c1");
    assert_eq!(t.on("u1", CustomersNew, MON), 1);
    assert_eq!(t.value("u2", CustomersNew, MON, FRI), 0);
}

// ─────────────────── Metric 7: customers interacted (distinct) ───────────────────

#[test]
fn customers_interacted_counts_each_customer_once_however_many_actions() {
    let mut t = crm();
    t.act("u1", TUE, "note.added", "c1");
    t.act("u1", TUE, "note.added", "c1");
    t.act("u1", TUE, "meeting.held", "c1");
    t.act("u1", TUE, "note.added", "c2");
    assert_eq!(interacted(&t), 2);
    t.act("u1", WED, "note.added", "c1");
    assert_eq!(t.on("u1", CustomersInteracted, WED), 1);
    // Distinct over the whole range, not summed day by day.
    assert_eq!(t.value("u1", CustomersInteracted, TUE, WED), 2);
}

#[test]
fn customers_interacted_is_credited_to_the_actor_on_the_day_of_each_action() {
    let mut t = crm();
    t.act("u1", WED, "note.added", "c1");
    assert_eq!(t.on("u1", CustomersInteracted, WED), 1);
    assert_eq!(t.on("u1", CustomersInteracted, TUE), 0);
    assert_eq!(t.on("u1", CustomersInteracted, THU), 0);
    // The owner u2 is not credited for u1's action.
    assert_eq!(t.on("u2", CustomersInteracted, WED), 0);
}

// List A, item by item.

#[test]
fn customer_created_is_in_list_a() {
    let mut t = crm();
    t.customer("u1", TUE, "c3");
    assert_eq!(interacted(&t), 1);
}

#[test]
fn customer_updated_is_in_list_a() {
    let mut t = crm();
    t.act("u1", TUE, "customer.updated", "c1");
    assert_eq!(interacted(&t), 1);
}

#[test]
fn note_added_is_in_list_a() {
    let mut t = crm();
    t.act("u1", TUE, "note.added", "c1");
    assert_eq!(interacted(&t), 1);
}

#[test]
fn note_edited_is_in_list_a() {
    let mut t = crm();
    t.act("u1", TUE, "note.edited", "c1");
    assert_eq!(interacted(&t), 1);
}

#[test]
fn opportunity_created_is_in_list_a_for_its_customer() {
    let mut t = crm();
    t.opportunity("u1", TUE, "o2", "c2", "500");
    assert_eq!(interacted(&t), 1);
    // It was c2 that was marked: a note on c2 adds nothing, one on c1 does.
    t.act("u1", TUE, "note.added", "c2");
    assert_eq!(interacted(&t), 1);
    t.act("u1", TUE, "note.added", "c1");
    assert_eq!(interacted(&t), 2);
}

#[test]
fn opportunity_status_changed_is_in_list_a_for_the_opportunitys_customer() {
    let mut t = crm();
    t.status("u1", TUE, "o1", "lost");
    assert_eq!(interacted(&t), 1);
    // The customer marked is o1's customer, c1.
    t.act("u1", TUE, "note.added", "c1");
    assert_eq!(interacted(&t), 1);
    t.act("u1", TUE, "note.added", "c2");
    assert_eq!(interacted(&t), 2);
}

#[test]
fn answered_call_is_in_list_a_in_both_directions() {
    let mut t = crm();
    t.call("u1", TUE, "outbound", Some(30), Some("c1"));
    assert_eq!(interacted(&t), 1);
    t.call("u1", WED, "inbound", Some(30), Some("c2"));
    assert_eq!(t.on("u1", CustomersInteracted, WED), 1);
    assert_eq!(t.value("u1", CustomersInteracted, TUE, WED), 2);
}

#[test]
fn answered_call_of_zero_seconds_is_in_list_a() {
    let mut t = crm();
    t.call("u1", TUE, "inbound", Some(0), Some("c1"));
    assert_eq!(interacted(&t), 1);
}

#[test]
fn meeting_held_is_in_list_a() {
    let mut t = crm();
    t.act("u1", TUE, "meeting.held", "c1");
    assert_eq!(interacted(&t), 1);
}

#[test]
fn opportunity_updated_is_not_in_list_a() {
    let mut t = crm();
    t.update("u1", TUE, "o1", json!({"amount": "2000000"}));
    t.update("u1", TUE, "o1", json!({"owner_id": "u3"}));
    assert_eq!(interacted(&t), 0);
}

#[test]
fn unanswered_call_is_not_in_list_a() {
    let mut t = crm();
    t.call("u1", TUE, "outbound", None, Some("c1"));
    t.call("u1", TUE, "inbound", None, Some("c2"));
    assert_eq!(interacted(&t), 0);
}

#[test]
fn sms_is_not_in_list_a() {
    let mut t = crm();
    t.message("u1", TUE, "sms.sent", "c1", true);
    t.message("u1", TUE, "sms.sent", "c1", false);
    assert_eq!(interacted(&t), 0);
}

#[test]
fn emails_are_not_in_list_a() {
    let mut t = crm();
    t.message("u1", TUE, "email.sent", "c1", true);
    t.message("u1", TUE, "email.sent", "c1", false);
    t.act("u1", TUE, "email.received", "c2");
    assert_eq!(interacted(&t), 0);
}

#[test]
fn todos_are_not_in_list_a() {
    let mut t = crm();
    t.todo("u1", TUE, "t1", None);
    t.complete("u1", TUE, "t1");
    assert_eq!(interacted(&t), 0);
}

// ───────────────────────── Metric 8: customer interactions ─────────────────────────

#[test]
fn customer_interactions_count_one_per_qualifying_action_for_the_actor() {
    let mut t = crm();
    t.act("u1", TUE, "note.added", "c1");
    t.act("u1", TUE, "note.added", "c1");
    t.act("u1", TUE, "meeting.held", "c1");
    t.act("u1", WED, "note.added", "c1");
    assert_eq!(interactions(&t), 3);
    assert_eq!(t.value("u1", CustomerInteractions, TUE, WED), 4);
    // Not for the customer's owner.
    assert_eq!(t.value("u2", CustomerInteractions, TUE, WED), 0);
}

// List B, item by item.

#[test]
fn customer_created_is_in_list_b() {
    let mut t = crm();
    t.customer("u1", TUE, "c3");
    assert_eq!(interactions(&t), 1);
}

#[test]
fn customer_updated_is_in_list_b() {
    let mut t = crm();
    t.act("u1", TUE, "customer.updated", "c1");
    t.reassign("u1", TUE, "c1", "u3");
    assert_eq!(interactions(&t), 2);
}

#[test]
fn note_added_is_in_list_b() {
    let mut t = crm();
    t.act("u1", TUE, "note.added", "c1");
    assert_eq!(interactions(&t), 1);
}

#[test]
fn opportunity_created_is_in_list_b() {
    let mut t = crm();
    t.opportunity("u1", TUE, "o2", "c2", "500");
    assert_eq!(interactions(&t), 1);
}

#[test]
fn opportunity_updated_is_in_list_b() {
    let mut t = crm();
    t.update("u1", TUE, "o1", json!({"amount": "2000000"}));
    assert_eq!(interactions(&t), 1);
}

#[test]
fn opportunity_status_changed_is_in_list_b() {
    let mut t = crm();
    t.status("u1", TUE, "o1", "won");
    assert_eq!(interactions(&t), 1);
}

#[test]
fn outbound_call_is_in_list_b_answered_or_not() {
    let mut t = crm();
    t.call("u1", TUE, "outbound", Some(30), Some("c1"));
    t.call("u1", TUE, "outbound", None, Some("c1"));
    assert_eq!(interactions(&t), 2);
}

#[test]
fn inbound_answered_call_is_in_list_b() {
    let mut t = crm();
    t.call("u1", TUE, "inbound", Some(30), Some("c1"));
    assert_eq!(interactions(&t), 1);
}

#[test]
fn meeting_held_is_in_list_b() {
    let mut t = crm();
    t.act("u1", TUE, "meeting.held", "c1");
    assert_eq!(interactions(&t), 1);
}

#[test]
fn delivered_sms_is_in_list_b() {
    let mut t = crm();
    t.message("u1", TUE, "sms.sent", "c1", true);
    assert_eq!(interactions(&t), 1);
}

#[test]
fn delivered_email_is_in_list_b() {
    let mut t = crm();
    t.message("u1", TUE, "email.sent", "c1", true);
    assert_eq!(interactions(&t), 1);
}

#[test]
fn email_received_is_in_list_b() {
    let mut t = crm();
    t.act("u1", TUE, "email.received", "c1");
    assert_eq!(interactions(&t), 1);
}

#[test]
fn note_edited_is_not_in_list_b() {
    let mut t = crm();
    t.act("u1", TUE, "note.edited", "c1");
    assert_eq!(interactions(&t), 0);
}

#[test]
fn unanswered_inbound_call_is_not_an_interaction() {
    let mut t = crm();
    t.call("u1", TUE, "inbound", None, Some("c1"));
    assert_eq!(interactions(&t), 0);
    assert_eq!(interacted(&t), 0);
}

#[test]
fn undelivered_messages_are_not_in_list_b() {
    let mut t = crm();
    t.message("u1", TUE, "sms.sent", "c1", false);
    t.message("u1", TUE, "email.sent", "c1", false);
    assert_eq!(interactions(&t), 0);
}

#[test]
fn todos_are_not_in_list_b() {
    let mut t = crm();
    t.todo("u1", TUE, "t1", None);
    t.complete("u1", TUE, "t1");
    assert_eq!(interactions(&t), 0);
}

#[test]
fn opportunity_updated_and_status_changed_interact_with_the_opportunitys_customer() {
    let mut t = crm();
    t.opportunity("u2", MON, "o2", "c2", "500");
    t.update("u1", TUE, "o2", json!({"amount": "700"}));
    t.status("u1", TUE, "o2", "lost");
    t.act("u3", TUE, "note.added", "c2");
    // u1 interacted with c2 (through o2) and so did u3: one customer for the two of them.
    let team = [member("u1", MON, None), member("u3", MON, None)];
    assert_eq!(t.team(&team, CustomersInteracted, TUE, TUE), 1);
    assert_eq!(t.team(&team, CustomerInteractions, TUE, TUE), 3);
}

// ───────────────────────────── Metrics 9–10: to-dos ◆ ─────────────────────────────

#[test]
fn todos_created_count_for_the_assignee_defaulting_to_the_actor_on_the_day_created() {
    let mut t = Tally::new();
    t.todo("u1", MON, "t1", None);
    t.todo("u1", TUE, "t2", Some("u2"));
    assert_eq!(t.on("u1", TodosCreated, MON), 1);
    assert_eq!(t.on("u1", TodosCreated, TUE), 0);
    assert_eq!(t.on("u2", TodosCreated, TUE), 1);
    assert_eq!(t.value("u1", TodosCreated, MON, FRI), 1);
}

#[test]
fn todos_completed_count_for_the_current_assignee_on_the_day_completed() {
    let mut t = Tally::new();
    t.todo("u1", MON, "t1", Some("u2"));
    t.complete("u3", WED, "t1");
    assert_eq!(t.on("u2", TodosCompleted, WED), 1);
    assert_eq!(t.on("u2", TodosCompleted, MON), 0);
    assert_eq!(t.value("u3", TodosCompleted, MON, FRI), 0);
    assert_eq!(t.value("u1", TodosCompleted, MON, FRI), 0);
}

// ─────────────────────── Metrics 11–13: meetings, emails, SMS ───────────────────────

#[test]
fn meetings_count_each_meeting_held_for_the_actor() {
    let mut t = crm();
    t.act("u1", TUE, "meeting.held", "c1");
    t.act("u1", TUE, "meeting.held", "c1");
    t.act("u1", WED, "meeting.held", "c2");
    assert_eq!(t.on("u1", Meetings, TUE), 2);
    assert_eq!(t.value("u1", Meetings, MON, FRI), 3);
    assert_eq!(t.value("u2", Meetings, MON, FRI), 0);
}

#[test]
fn emails_sent_count_only_delivered_emails() {
    let mut t = crm();
    t.message("u1", TUE, "email.sent", "c1", true);
    t.message("u1", TUE, "email.sent", "c2", true);
    t.message("u1", TUE, "email.sent", "c1", false);
    t.act("u1", TUE, "email.received", "c1");
    assert_eq!(t.on("u1", EmailsSent, TUE), 2);
}

#[test]
fn sms_sent_count_only_delivered_sms() {
    let mut t = crm();
    t.message("u1", TUE, "sms.sent", "c1", true);
    t.message("u1", TUE, "sms.sent", "c1", false);
    t.message("u1", TUE, "email.sent", "c1", true);
    assert_eq!(t.on("u1", SmsSent, TUE), 1);
}

// ───────────────────────── Metric 14: new opportunities ◆ ─────────────────────────

#[test]
fn opportunities_new_count_for_the_owner_defaulting_to_the_actor_on_the_day_created() {
    let mut t = crm();
    t.opportunity("u1", TUE, "o2", "c1", "100");
    t.ok(
        "u1",
        WED,
        json!({"type": "opportunity.created", "opportunity_id": "o3",
        "customer_id": "c2", "amount": "100", "owner_id": "u3"}),
    );
    assert_eq!(t.on("u1", OpportunitiesNew, TUE), 1);
    assert_eq!(t.on("u1", OpportunitiesNew, WED), 0);
    assert_eq!(t.on("u3", OpportunitiesNew, WED), 1);
    assert_eq!(t.on("u2", OpportunitiesNew, MON), 1);
}

#[test]
fn opportunities_new_moves_to_the_new_owner_on_reassignment_including_past_days() {
    let mut t = crm();
    t.update("u3", WED, "o1", json!({"owner_id": "u1"}));
    assert_eq!(t.on("u2", OpportunitiesNew, MON), 0);
    assert_eq!(t.on("u1", OpportunitiesNew, MON), 1);
    assert_eq!(t.on("u1", OpportunitiesNew, WED), 0);
    assert_eq!(t.value("u3", OpportunitiesNew, MON, FRI), 0);
}

#[test]
fn opportunity_updated_without_owner_id_keeps_the_owner() {
    let mut t = crm();
    t.update("u1", TUE, "o1", json!({"amount": "5"}));
    assert_eq!(t.on("u2", OpportunitiesNew, MON), 1);
    assert_eq!(t.value("u1", OpportunitiesNew, MON, FRI), 0);
}

// ─────────────────── Metric 15: opportunities interacted (distinct) ───────────────────

#[test]
fn opportunities_interacted_count_each_opportunity_once_over_created_updated_and_status_changed() {
    let mut t = crm();
    t.opportunity("u1", TUE, "o2", "c2", "100");
    t.update("u1", TUE, "o2", json!({"amount": "200"}));
    t.status("u1", TUE, "o2", "lost");
    t.update("u1", TUE, "o1", json!({"amount": "200"}));
    t.status("u1", WED, "o1", "won");
    t.act("u1", WED, "note.added", "c1");
    assert_eq!(t.on("u1", OpportunitiesInteracted, TUE), 2);
    assert_eq!(t.on("u1", OpportunitiesInteracted, WED), 1);
    assert_eq!(t.value("u1", OpportunitiesInteracted, TUE, WED), 2);
}

#[test]
fn opportunities_interacted_is_credited_to_the_actor_on_the_day_of_each_action() {
    let mut t = crm();
    t.status("u1", WED, "o1", "open");
    assert_eq!(t.on("u1", OpportunitiesInteracted, WED), 1);
    assert_eq!(t.on("u1", OpportunitiesInteracted, TUE), 0);
    // The owner u2 is credited only for creating it, on Monday.
    assert_eq!(t.on("u2", OpportunitiesInteracted, WED), 0);
    assert_eq!(t.on("u2", OpportunitiesInteracted, MON), 1);
}

// ─────────────────────── Metrics 16–17: won opportunities ◆, revenue ◆ ───────────────────────

#[test]
fn opportunities_won_count_for_the_current_owner_on_the_day_of_the_win() {
    let mut t = crm();
    t.status("u3", WED, "o1", "won");
    assert_eq!(t.on("u2", OpportunitiesWon, WED), 1);
    assert_eq!(t.on("u2", Revenue, WED), 1_000_000);
    assert_eq!(t.on("u2", OpportunitiesWon, MON), 0);
    assert_eq!(t.value("u3", OpportunitiesWon, MON, FRI), 0);
    assert_eq!(t.value("u3", Revenue, MON, FRI), 0);
}

#[test]
fn open_lost_and_cancelled_opportunities_are_not_won() {
    let mut t = crm();
    t.opportunity("u2", MON, "o2", "c1", "200");
    t.opportunity("u2", MON, "o3", "c1", "300");
    t.status("u2", TUE, "o2", "lost");
    t.status("u2", TUE, "o3", "cancelled");
    assert_eq!(t.value("u2", OpportunitiesWon, MON, FRI), 0);
    assert_eq!(t.value("u2", Revenue, MON, FRI), 0);
}

#[test]
fn opportunity_that_leaves_won_stops_counting_on_past_reports() {
    let mut t = crm();
    t.status("u2", WED, "o1", "won");
    assert_eq!(t.on("u2", OpportunitiesWon, WED), 1);
    t.status("u2", FRI, "o1", "lost");
    assert_eq!(t.on("u2", OpportunitiesWon, WED), 0);
    assert_eq!(t.on("u2", Revenue, WED), 0);
    assert_eq!(t.value("u2", OpportunitiesWon, MON, FRI), 0);
    assert_eq!(t.value("u2", Revenue, MON, FRI), 0);
}

#[test]
fn won_again_counts_on_the_day_of_the_new_win() {
    let mut t = crm();
    t.status("u2", TUE, "o1", "won");
    t.status("u2", WED, "o1", "open");
    t.status("u2", THU, "o1", "won");
    assert_eq!(t.on("u2", OpportunitiesWon, TUE), 0);
    assert_eq!(t.on("u2", Revenue, TUE), 0);
    assert_eq!(t.on("u2", OpportunitiesWon, THU), 1);
    assert_eq!(t.on("u2", Revenue, THU), 1_000_000);
    assert_eq!(t.value("u2", OpportunitiesWon, MON, FRI), 1);
    assert_eq!(t.value("u2", Revenue, MON, FRI), 1_000_000);
}

#[test]
fn revenue_sums_the_current_amount_of_won_opportunities() {
    let mut t = crm();
    t.opportunity("u2", MON, "o2", "c1", "2500000");
    t.ok(
        "u2",
        MON,
        json!({"type": "opportunity.created", "opportunity_id": "o3",
        "customer_id": "c2", "amount": 700}),
    );
    // An amount changed before the win: the current amount is what counts.
    t.update("u2", TUE, "o2", json!({"amount": "3000000"}));
    t.status("u2", WED, "o1", "won");
    t.status("u2", WED, "o2", "won");
    t.status("u2", WED, "o3", "lost");
    assert_eq!(t.on("u2", Revenue, WED), 4_000_000);
    assert_eq!(t.on("u2", OpportunitiesWon, WED), 2);
}

#[test]
fn revenue_follows_amount_change_while_won() {
    let mut t = crm();
    t.status("u2", TUE, "o1", "won");
    t.update("u1", THU, "o1", json!({"amount": "1500000"}));
    assert_eq!(t.on("u2", Revenue, TUE), 1_500_000);
    assert_eq!(t.on("u2", Revenue, THU), 0);
    assert_eq!(t.on("u2", OpportunitiesWon, TUE), 1);
    t.update("u1", FRI, "o1", json!({"amount": 0}));
    assert_eq!(t.on("u2", Revenue, TUE), 0);
    assert_eq!(t.on("u2", OpportunitiesWon, TUE), 1);
}

#[test]
fn won_opportunity_and_its_revenue_move_with_an_owner_change_while_won() {
    let mut t = crm();
    t.status("u2", TUE, "o1", "won");
    t.update("u1", THU, "o1", json!({"owner_id": "u3"}));
    assert_eq!(t.on("u2", OpportunitiesWon, TUE), 0);
    assert_eq!(t.on("u2", Revenue, TUE), 0);
    assert_eq!(t.on("u3", OpportunitiesWon, TUE), 1);
    assert_eq!(t.on("u3", Revenue, TUE), 1_000_000);
    assert_eq!(t.on("u3", OpportunitiesWon, THU), 0);
    assert_eq!(t.value("u1", OpportunitiesWon, MON, FRI), 0);
}

#[test]
fn revenue_is_exact_decimal_money() {
    let mut t = Tally::with(organization("Asia/Ho_Chi_Minh", Currency::from_code("USD")));
    t.customer("u1", MON, "c1");
    t.opportunity("u1", MON, "o1", "c1", "19.99");
    t.ok(
        "u1",
        MON,
        json!({"type": "opportunity.created", "opportunity_id": "o2",
        "customer_id": "c1", "amount": 0.01}),
    );
    t.opportunity("u1", MON, "o3", "c1", "0.10");
    for o in ["o1", "o2", "o3"] {
        t.status("u1", TUE, o, "won");
    }
    let revenue = t.on("u1", Revenue, TUE);
    assert_eq!(revenue, 2010);
    assert_eq!(t.org.currency.from_minor(revenue).to_string(), "20.1");
    // Large VND amounts add up to the dong.
    let mut t = crm();
    t.opportunity("u2", MON, "o2", "c1", "999999999999");
    t.status("u2", TUE, "o1", "won");
    t.status("u2", TUE, "o2", "won");
    assert_eq!(t.on("u2", Revenue, TUE), 1_000_000_999_999);
}

// ─────────────────────── Metric 18: opportunity interactions ───────────────────────

#[test]
fn opportunity_interactions_count_created_updated_and_status_changed_once_each() {
    let mut t = crm();
    t.opportunity("u1", TUE, "o2", "c2", "100");
    t.update("u1", TUE, "o2", json!({"amount": "200"}));
    t.status("u1", TUE, "o2", "lost");
    t.status("u1", TUE, "o2", "open");
    t.update("u1", TUE, "o1", json!({"owner_id": "u1"}));
    t.act("u1", TUE, "note.added", "c2");
    assert_eq!(t.on("u1", OpportunityInteractions, TUE), 5);
    assert_eq!(t.on("u2", OpportunityInteractions, TUE), 0);
    assert_eq!(t.on("u2", OpportunityInteractions, MON), 1);
}

#[test]
fn opportunity_cancellation_counts_once() {
    let mut t = crm();
    t.status("u1", TUE, "o1", "cancelled");
    assert_eq!(t.on("u1", OpportunityInteractions, TUE), 1);
    assert_eq!(t.on("u1", OpportunitiesInteracted, TUE), 1);
    // Still a status change of o1: c1 is interacted with, once.
    assert_eq!(interactions(&t), 1);
    assert_eq!(interacted(&t), 1);
}

// ─────────────────────────────────── Teams ───────────────────────────────────

/// u1 makes one outbound call of 10 s every day from Monday to Friday.
fn daily_calls() -> Tally {
    let mut t = Tally::new();
    for date in [MON, TUE, WED, THU, FRI] {
        t.call("u1", date, "outbound", Some(10), None);
    }
    t
}

#[test]
fn team_values_count_only_membership_days() {
    let t = daily_calls();
    let team = [member("u1", TUE, Some(THU))];
    assert_eq!(t.team(&team, Calls, MON, FRI), 3);
    assert_eq!(t.team(&team, TalkSeconds, MON, FRI), 30);
    assert_eq!(t.team(&team, Calls, MON, MON), 0);
    assert_eq!(t.team(&team, Calls, FRI, FRI), 0);
}

#[test]
fn team_membership_from_and_to_are_inclusive() {
    let t = daily_calls();
    let team = [member("u1", WED, Some(WED))];
    assert_eq!(t.team(&team, Calls, MON, FRI), 1);
    assert_eq!(t.team(&team, Calls, WED, WED), 1);
}

#[test]
fn team_membership_without_an_end_counts_to_the_end_of_the_range() {
    let t = daily_calls();
    let team = [member("u1", THU, None)];
    assert_eq!(t.team(&team, Calls, MON, FRI), 2);
    assert_eq!(t.team(&team, Calls, MON, WED), 0);
}

#[test]
fn member_who_left_and_rejoined_counts_only_on_membership_days() {
    let t = daily_calls();
    let team = [member("u1", MON, Some(MON)), member("u1", THU, Some(FRI))];
    assert_eq!(t.team(&team, Calls, MON, FRI), 3);
}

#[test]
fn team_count_and_sum_metrics_add_up_over_member_days() {
    let mut t = crm();
    t.call("u1", TUE, "outbound", Some(60), Some("c1"));
    t.call("u1", TUE, "outbound", Some(30), Some("c1"));
    t.call("u3", TUE, "inbound", Some(45), Some("c1"));
    t.opportunity("u1", TUE, "o2", "c2", "300");
    t.status("u1", WED, "o2", "won");
    t.status("u2", WED, "o1", "won");
    let team = [
        member("u1", MON, None),
        member("u2", MON, None),
        member("u3", MON, None),
    ];
    assert_eq!(t.team(&team, Calls, MON, FRI), 3);
    assert_eq!(t.team(&team, TalkSeconds, MON, FRI), 135);
    // u1: two calls, o2 created and won; u2: c1, c2 and o1 created, o1 won; u3: one call.
    assert_eq!(t.team(&team, CustomerInteractions, MON, FRI), 4 + 4 + 1);
    assert_eq!(t.team(&team, OpportunitiesWon, MON, FRI), 2);
    assert_eq!(t.team(&team, Revenue, MON, FRI), 1_000_300);
}

#[test]
fn team_distinct_metrics_are_unions() {
    let mut t = crm();
    t.act("u1", TUE, "note.added", "c1");
    t.act("u1", TUE, "note.added", "c2");
    t.act("u3", WED, "note.added", "c1");
    t.update("u1", TUE, "o1", json!({"amount": "1"}));
    t.status("u3", WED, "o1", "lost");
    let team = [member("u1", MON, None), member("u3", MON, None)];
    assert_eq!(t.value("u1", CustomersInteracted, MON, FRI), 2);
    assert_eq!(t.value("u3", CustomersInteracted, MON, FRI), 1);
    assert_eq!(t.team(&team, CustomersInteracted, MON, FRI), 2);
    assert_eq!(t.team(&team, OpportunitiesInteracted, MON, FRI), 1);
}

#[test]
fn team_distinct_metrics_count_only_membership_days() {
    let mut t = crm();
    t.act("u1", MON, "note.added", "c2");
    t.act("u1", TUE, "note.added", "c1");
    t.update("u1", MON, "o1", json!({"amount": "1"}));
    let team = [member("u1", TUE, None)];
    assert_eq!(t.team(&team, CustomersInteracted, MON, FRI), 1);
    assert_eq!(t.team(&team, OpportunitiesInteracted, MON, FRI), 0);
}

#[test]
fn user_can_belong_to_several_teams_and_to_none() {
    let mut t = daily_calls();
    t.call("u2", MON, "inbound", Some(5), None);
    let sales = [member("u1", MON, None), member("u2", MON, None)];
    let leads = [member("u1", MON, Some(TUE))];
    assert_eq!(t.team(&sales, Calls, MON, FRI), 6);
    assert_eq!(t.team(&leads, Calls, MON, FRI), 2);
    // u3 is in no team and still has their own values (zero here).
    assert_eq!(t.values("u3", MON, FRI), Values::default());
    assert_eq!(t.team(&[], Calls, MON, FRI), 0);
}

// ───────────────────────────── Local days and ranges ─────────────────────────────

#[test]
fn ranges_are_inclusive_on_both_ends() {
    let t = daily_calls();
    assert_eq!(t.value("u1", Calls, TUE, THU), 3);
    assert_eq!(t.value("u1", Calls, MON, MON), 1);
    assert_eq!(t.value("u1", Calls, FRI, FRI), 1);
    assert_eq!(t.value("u1", Calls, SUN, MON), 1);
    assert_eq!(t.value("u1", Calls, "2026-11-07", "2026-11-30"), 0);
}

#[test]
fn timestamps_in_any_offset_go_to_the_organizations_local_day() {
    let mut t = Tally::new();
    // Monday in Ho Chi Minh City (+07:00).
    for at in [
        "2026-11-02T00:00:00+07:00",
        "2026-11-01T17:00:00Z",
        "2026-11-02T16:59:59Z",
        "2026-11-02T23:59:59.999+07:00",
        "2026-11-03T00:10:00+09:00",
        "2026-11-01T12:00:00-05:00",
    ] {
        t.call("u1", at, "outbound", None, None);
    }
    // Tuesday there.
    for at in [
        "2026-11-02T17:00:00Z",
        "2026-11-02T12:30:00-05:00",
        "2026-11-03T05:44:00+05:45",
        "2026-11-02T17:00:00z",
    ] {
        t.call("u1", at, "outbound", None, None);
    }
    assert_eq!(t.on("u1", Calls, SUN), 0);
    assert_eq!(t.on("u1", Calls, MON), 6);
    assert_eq!(t.on("u1", Calls, TUE), 4);
}

#[test]
fn local_day_follows_the_organizations_time_zone() {
    let at = "2026-11-03T03:00:00Z";
    let mut hanoi = Tally::new();
    hanoi.call("u1", at, "outbound", None, None);
    assert_eq!(hanoi.on("u1", Calls, TUE), 1);
    let mut new_york = Tally::with(organization("America/New_York", Currency::default()));
    new_york.call("u1", at, "outbound", None, None);
    assert_eq!(new_york.on("u1", Calls, MON), 1);
    assert_eq!(new_york.on("u1", Calls, TUE), 0);
}

#[test]
fn timestamp_without_offset_is_rejected_naming_at() {
    let mut t = Tally::new();
    let r = t.rejected(
        "u1",
        "2026-11-02T09:00:00",
        json!({"type": "call",
        "direction": "outbound", "answered": false, "talk_seconds": 0}),
    );
    assert_eq!(r.error.field, "at");
}

#[test]
fn named_periods_are_local_days_of_the_organization() {
    let monday_weeks = Calendar::new("Asia/Ho_Chi_Minh", "monday").expect("calendar");
    let today = day(WED);
    let period = |p: &str| monday_weeks.period(p.parse::<Period>().expect("a period"), today);
    assert_eq!(period("today"), range(WED, WED));
    assert_eq!(period("yesterday"), range(TUE, TUE));
    assert_eq!(period("this_week"), range(MON, "2026-11-08"));
    assert_eq!(period("last_week"), range("2026-10-26", SUN));
    assert_eq!(period("this_month"), range(SUN, "2026-11-30"));
    assert_eq!(period("last_month"), range("2026-10-01", "2026-10-31"));
    let sunday_weeks = Calendar::new("Asia/Ho_Chi_Minh", "sunday").expect("calendar");
    assert_eq!(
        sunday_weeks.period(Period::ThisWeek, today),
        range(SUN, "2026-11-07")
    );
    assert_eq!(
        sunday_weeks.period(Period::LastWeek, today),
        range("2026-10-25", "2026-10-31")
    );
    assert_eq!(
        monday_weeks.period(Period::LastMonth, day("2026-01-15")),
        range("2025-12-01", "2025-12-31")
    );
    assert_eq!(
        monday_weeks.period(Period::ThisMonth, day("2028-02-10")),
        range("2028-02-01", "2028-02-29")
    );
}

#[test]
fn late_event_applies_to_the_day_of_its_at() {
    let mut t = Tally::new();
    t.customer("u2", MON, "c1");
    t.call("u1", FRI, "outbound", Some(10), Some("c1"));
    // Monday's call, with its talk time, arrives on Friday.
    t.call("u1", MON, "outbound", Some(600), Some("c1"));
    assert_eq!(t.on("u1", Calls, MON), 1);
    assert_eq!(t.on("u1", TalkSeconds, MON), 600);
    assert_eq!(t.on("u1", CustomerInteractions, MON), 1);
    assert_eq!(t.on("u1", CustomersInteracted, MON), 1);
    assert_eq!(t.on("u1", Calls, FRI), 1);
    assert_eq!(t.on("u1", TalkSeconds, FRI), 10);
}

#[test]
fn late_status_change_is_placed_by_its_at() {
    let mut t = crm();
    t.status("u2", THU, "o1", "won");
    // A `lost` from Wednesday arrives after Thursday's win: the opportunity is still won.
    t.status("u1", WED, "o1", "lost");
    assert_eq!(t.on("u2", OpportunitiesWon, THU), 1);
    assert_eq!(t.on("u2", Revenue, THU), 1_000_000);
    assert_eq!(t.on("u1", OpportunityInteractions, WED), 1);
    // A late `won` from before a later `lost` does not make it won either.
    t.status("u2", FRI, "o1", "lost");
    t.status("u3", "2026-11-05T12:00:00+07:00", "o1", "won");
    assert_eq!(t.value("u2", OpportunitiesWon, MON, FRI), 0);
    assert_eq!(t.value("u2", Revenue, MON, FRI), 0);
}

// ─────────────────────────────────── Data quality ───────────────────────────────────

#[test]
fn event_referring_to_unknown_customer_is_rejected_and_changes_nothing() {
    let mut t = crm();
    for body in [
        json!({"type": "customer.updated", "customer_id": "ghost"}),
        json!({"type": "note.added", "customer_id": "ghost"}),
        json!({"type": "note.edited", "customer_id": "ghost"}),
        json!({"type": "opportunity.created", "opportunity_id": "o9", "customer_id": "ghost", "amount": "1"}),
        json!({"type": "meeting.held", "customer_id": "ghost"}),
        json!({"type": "sms.sent", "customer_id": "ghost", "delivered": true}),
        json!({"type": "email.sent", "customer_id": "ghost", "delivered": true}),
        json!({"type": "email.received", "customer_id": "ghost"}),
    ] {
        let r = t.rejected("u1", TUE, body);
        assert_eq!(
            (r.code, r.error.field.as_str()),
            ("unknown_reference", "customer_id")
        );
    }
    // The events that follow a rejected one are applied as usual.
    t.act("u1", TUE, "note.added", "c1");
    assert_eq!(interactions(&t), 1);
}

#[test]
fn event_referring_to_unknown_opportunity_is_rejected_and_changes_nothing() {
    let mut t = crm();
    for body in [
        json!({"type": "opportunity.updated", "opportunity_id": "ghost", "amount": "1"}),
        json!({"type": "opportunity.status_changed", "opportunity_id": "ghost", "status": "won"}),
    ] {
        let r = t.rejected("u1", TUE, body);
        assert_eq!(
            (r.code, r.error.field.as_str()),
            ("unknown_reference", "opportunity_id")
        );
    }
}

#[test]
fn todo_completed_for_unknown_todo_is_rejected_and_changes_nothing() {
    let mut t = Tally::new();
    let r = t.rejected(
        "u1",
        TUE,
        json!({"type": "todo.completed", "todo_id": "ghost"}),
    );
    assert_eq!(
        (r.code, r.error.field.as_str()),
        ("unknown_reference", "todo_id")
    );
}

#[test]
fn event_from_unknown_user_is_rejected_and_changes_nothing() {
    let mut t = crm();
    let r = t.rejected(
        "ghost",
        TUE,
        json!({"type": "note.added", "customer_id": "c1"}),
    );
    assert_eq!(
        (r.code, r.error.field.as_str()),
        ("unknown_reference", "user_id")
    );
    let r = t.rejected(
        "ghost",
        TUE,
        json!({"type": "call", "direction": "outbound",
        "answered": true, "talk_seconds": 5}),
    );
    assert_eq!(r.error.field, "user_id");
}

#[test]
fn event_naming_an_unknown_owner_or_assignee_is_rejected_and_not_half_applied() {
    let mut t = crm();
    t.status("u2", TUE, "o1", "won");
    for (body, field) in [
        (
            json!({"type": "customer.created", "customer_id": "c9", "owner_id": "ghost"}),
            "owner_id",
        ),
        (
            json!({"type": "customer.updated", "customer_id": "c1", "owner_id": "ghost"}),
            "owner_id",
        ),
        (
            json!({"type": "opportunity.created", "opportunity_id": "o9", "customer_id": "c1",
            "amount": "1", "owner_id": "ghost"}),
            "owner_id",
        ),
        (
            json!({"type": "opportunity.updated", "opportunity_id": "o1", "amount": "7",
            "owner_id": "ghost"}),
            "owner_id",
        ),
        (
            json!({"type": "todo.created", "todo_id": "t9", "assignee_id": "ghost"}),
            "assignee_id",
        ),
    ] {
        let r = t.rejected("u1", WED, body);
        assert_eq!(r.error.field, field);
    }
    assert_eq!(t.on("u2", CustomersNew, MON), 2);
    assert_eq!(t.on("u2", Revenue, TUE), 1_000_000);
    assert_eq!(t.values("u1", MON, FRI), Values::default());
}

#[test]
fn invalid_fields_are_rejected_naming_the_field() {
    let mut t = crm();
    let cases = [
        (
            json!({"type": "call", "direction": "outbound", "answered": false, "talk_seconds": 30}),
            "talk_seconds",
        ),
        (
            json!({"type": "call", "direction": "sideways", "answered": false, "talk_seconds": 0}),
            "direction",
        ),
        (
            json!({"type": "call", "direction": "outbound", "talk_seconds": 0}),
            "answered",
        ),
        (json!({"type": "note.added"}), "customer_id"),
        (
            json!({"type": "sms.sent", "customer_id": "c1"}),
            "delivered",
        ),
        (
            json!({"type": "opportunity.status_changed", "opportunity_id": "o1", "status": "done"}),
            "status",
        ),
        (
            json!({"type": "opportunity.created", "opportunity_id": "o9", "customer_id": "c1", "amount": "-5"}),
            "amount",
        ),
        (
            json!({"type": "opportunity.created", "opportunity_id": "o9", "customer_id": "c1", "amount": "1.5"}),
            "amount",
        ),
        (
            json!({"type": "opportunity.updated", "opportunity_id": "o1", "amount": "lots"}),
            "amount",
        ),
        (json!({"type": "fax", "customer_id": "c1"}), "type"),
    ];
    for (body, field) in cases {
        let r = t.rejected("u1", TUE, body);
        assert_eq!((r.code, r.error.field.as_str()), ("invalid_field", field));
    }
}

#[test]
fn resent_event_is_recognized_by_its_canonical_form_and_changed_content_is_not() {
    let first = json!({"id": "e1", "type": "opportunity.created", "at": "2026-11-02T09:00:00+07:00",
        "user_id": "u1", "opportunity_id": "o1", "customer_id": "c1", "amount": "100.00"});
    let same = json!({"id": "e1", "type": "opportunity.created", "at": "2026-11-02T02:00:00Z",
        "user_id": "u1", "opportunity_id": "o1", "customer_id": "c1", "amount": 100, "owner_id": "u1"});
    let changed = json!({"id": "e1", "type": "opportunity.created", "at": "2026-11-02T09:00:00+07:00",
        "user_id": "u1", "opportunity_id": "o1", "customer_id": "c1", "amount": "101"});
    let canonical = |v: &Value| parse(v).expect("a valid event").canonical_json();
    assert_eq!(canonical(&first), canonical(&same));
    assert_ne!(canonical(&first), canonical(&changed));
}
