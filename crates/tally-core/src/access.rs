//! Whose numbers an event moves: the rule behind "a caller writes only for the people
//! they may see".
//!
//! An event credits its actor; it may give a record to an owner or assignee; and it
//! may change a record whose current owner or assignee carries its ◆ metrics (an
//! opportunity's revenue, a customer's "new customer", a to-do's completion). A caller
//! limited to some people (a supervisor and their teams) may send an event only when
//! every one of these people is theirs, so they can neither credit someone outside
//! their teams nor take credit away from them.

use crate::event::{Event, EventKind};
use crate::state::State;

/// The people a limited caller may write for (credit, or take credit from).
pub trait CreditLimit {
    fn allows(&self, user: &str) -> bool;
}

/// A person an event touches, and the field of the event that leads to them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Touched<'a> {
    pub field: &'static str,
    pub user: &'a str,
    /// Whether the person is the current owner of a record the event changes (rather
    /// than named by the event itself).
    pub as_owner: bool,
}

/// Everyone whose numbers `event` would move, given the current `state` of the records
/// it refers to. A record that does not exist yet adds nobody (the event is refused
/// for it anyway).
pub fn people_touched<'a>(event: &'a Event, state: &'a State) -> Vec<Touched<'a>> {
    let named = |field, user: &'a str| Touched {
        field,
        user,
        as_owner: false,
    };
    let owner = |field, user: &'a str| Touched {
        field,
        user,
        as_owner: true,
    };
    let mut touched = vec![named("user_id", event.user_id.as_str())];
    match &event.kind {
        EventKind::CustomerCreated { owner_id, .. }
        | EventKind::OpportunityCreated { owner_id, .. } => {
            touched.push(named("owner_id", owner_id));
        }
        EventKind::TodoCreated { assignee_id, .. } => {
            touched.push(named("assignee_id", assignee_id));
        }
        EventKind::CustomerUpdated {
            customer_id,
            owner_id,
        } => {
            if let Some(customer) = state.customers.get(customer_id) {
                touched.push(owner("customer_id", &customer.owner.value));
            }
            touched.extend(owner_id.as_deref().map(|o| named("owner_id", o)));
        }
        EventKind::OpportunityUpdated {
            opportunity_id,
            owner_id,
            ..
        } => {
            if let Some(opportunity) = state.opportunities.get(opportunity_id) {
                touched.push(owner("opportunity_id", &opportunity.owner.value));
            }
            touched.extend(owner_id.as_deref().map(|o| named("owner_id", o)));
        }
        EventKind::OpportunityStatusChanged { opportunity_id, .. } => {
            if let Some(opportunity) = state.opportunities.get(opportunity_id) {
                touched.push(owner("opportunity_id", &opportunity.owner.value));
            }
        }
        EventKind::TodoCompleted { todo_id } => {
            if let Some(todo) = state.todos.get(todo_id) {
                touched.push(owner("todo_id", &todo.assignee));
            }
        }
        EventKind::Call { .. }
        | EventKind::NoteAdded { .. }
        | EventKind::NoteEdited { .. }
        | EventKind::MeetingHeld { .. }
        | EventKind::SmsSent { .. }
        | EventKind::EmailSent { .. }
        | EventKind::EmailReceived { .. } => {}
    }
    touched
}

/// The first person of the event that `may_credit` refuses, as the message that
/// names them: `(field, message)`.
pub fn first_refused(
    event: &Event,
    state: &State,
    may_credit: impl Fn(&str) -> bool,
) -> Option<(&'static str, String)> {
    let refused = people_touched(event, state)
        .into_iter()
        .find(|t| !may_credit(t.user))?;
    let message = match refused.as_owner {
        false => format!(
            "'{}' is not one of the people you may write for",
            refused.user
        ),
        true => format!(
            "this record belongs to '{}', who is not one of the people you may write for",
            refused.user
        ),
    };
    Some((refused.field, message))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::{Organization, apply};
    use crate::calendar::Calendar;
    use crate::money::Currency;
    use serde_json::{Value, json};

    fn event(value: Value) -> Event {
        let mut base = json!({"id": "e", "at": "2026-11-27T09:00:00+07:00", "user_id": "sup"});
        for (k, v) in value.as_object().unwrap() {
            base[k] = v.clone();
        }
        Event::parse(&base, &Currency::default()).unwrap()
    }

    /// A state where lan owns customer c1, opportunity o1 and to-do t1.
    fn state() -> State {
        let org = Organization {
            calendar: Calendar::new("Asia/Ho_Chi_Minh", "monday").unwrap(),
            currency: Currency::default(),
        };
        let mut state = State {
            users: ["sup", "lan", "nam"]
                .map(String::from)
                .into_iter()
                .collect(),
            ..State::default()
        };
        for e in [
            json!({"type": "customer.created", "user_id": "lan", "customer_id": "c1"}),
            json!({"type": "opportunity.created", "user_id": "lan", "opportunity_id": "o1",
                   "customer_id": "c1", "amount": 100}),
            json!({"type": "todo.created", "user_id": "lan", "todo_id": "t1"}),
        ] {
            apply(&org, &mut state, &event(e)).unwrap();
        }
        state
    }

    fn people(value: Value) -> Vec<(&'static str, String)> {
        let state = state();
        let e = event(value);
        people_touched(&e, &state)
            .into_iter()
            .map(|t| (t.field, t.user.to_owned()))
            .collect()
    }

    fn pairs(list: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
        list.iter().map(|(f, u)| (*f, (*u).to_owned())).collect()
    }

    #[test]
    fn an_event_touches_its_actor_and_the_people_it_names() {
        let call = json!({"type": "call", "direction": "outbound", "answered": true,
                          "talk_seconds": 5, "customer_id": "c1"});
        assert_eq!(people(call), pairs(&[("user_id", "sup")]));
        let created = json!({"type": "customer.created", "customer_id": "c2", "owner_id": "nam"});
        assert_eq!(
            people(created),
            pairs(&[("user_id", "sup"), ("owner_id", "nam")])
        );
        let todo = json!({"type": "todo.created", "todo_id": "t2", "assignee_id": "nam"});
        assert_eq!(
            people(todo),
            pairs(&[("user_id", "sup"), ("assignee_id", "nam")])
        );
    }

    #[test]
    fn a_change_to_a_record_touches_its_current_owner() {
        let won =
            json!({"type": "opportunity.status_changed", "opportunity_id": "o1", "status": "won"});
        assert_eq!(
            people(won),
            pairs(&[("user_id", "sup"), ("opportunity_id", "lan")])
        );
        let moved =
            json!({"type": "opportunity.updated", "opportunity_id": "o1", "owner_id": "sup"});
        assert_eq!(
            people(moved),
            pairs(&[
                ("user_id", "sup"),
                ("opportunity_id", "lan"),
                ("owner_id", "sup")
            ])
        );
        let customer = json!({"type": "customer.updated", "customer_id": "c1"});
        assert_eq!(
            people(customer),
            pairs(&[("user_id", "sup"), ("customer_id", "lan")])
        );
        let done = json!({"type": "todo.completed", "todo_id": "t1"});
        assert_eq!(
            people(done),
            pairs(&[("user_id", "sup"), ("todo_id", "lan")])
        );
        let unknown = json!({"type": "todo.completed", "todo_id": "t9"});
        assert_eq!(people(unknown), pairs(&[("user_id", "sup")]));
    }

    #[test]
    fn the_first_person_out_of_reach_is_named() {
        let state = state();
        let won = event(
            json!({"type": "opportunity.status_changed", "opportunity_id": "o1", "status": "won"}),
        );
        let mine = |user: &str| user == "sup";
        let (field, message) = first_refused(&won, &state, mine).unwrap();
        assert_eq!(field, "opportunity_id");
        assert!(message.contains("belongs to 'lan'"), "{message}");
        assert_eq!(first_refused(&won, &state, |_| true), None);
        let (field, _) = first_refused(&won, &state, |u| u == "lan").unwrap();
        assert_eq!(field, "user_id");
    }
}
