//! Who may see and write what: the people and teams each caller reaches, and whose
//! numbers an event moves.
//!
//! - owner, admin: everyone, and they set every goal;
//! - supervisor acting for a person: the teams they supervise and those teams' members
//!   (anyone who was ever a member), and themself; they set goals only for those teams
//!   and members. A supervisor acting for nobody (an integration) reads everything and
//!   sets nothing;
//! - agent acting for a person: their own rows and their teams' (the leaderboard),
//!   their teams being the ones they are in today; they set nothing. An agent acting
//!   for nobody is a read-only wallboard of everything.
//!
//! Writes have the scope of reads: an event credits its actor; it may give a record to
//! an owner or assignee; and it may change a record whose current owner or assignee
//! carries its ◆ metrics (an opportunity's revenue, a customer's "new customer", a
//! to-do's completion). A caller limited to some people may send an event only when
//! every one of these people is theirs, so they can neither credit someone outside
//! their teams nor take credit away from them.

use crate::calendar::Day;
use crate::event::{Event, EventKind};
use crate::goal::{Assignee, GoalSpec};
use crate::org::Roster;
use crate::role::Role;
use crate::state::State;
use std::collections::BTreeSet;

/// The people a limited caller may write for (credit, or take credit from).
pub trait CreditLimit {
    fn allows(&self, user: &str) -> bool;
}

/// The users and teams a caller may see (or set goals for).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Everyone and every team.
    pub all: bool,
    pub users: BTreeSet<String>,
    pub teams: BTreeSet<String>,
    /// An agent's own id: they see only the goals that apply to them.
    pub agent: Option<String>,
}

impl Scope {
    /// Everyone and every team.
    pub fn everything() -> Scope {
        Scope {
            all: true,
            ..Scope::default()
        }
    }

    /// One person (or nobody): an agent writing for themself, a wallboard for no one.
    pub fn only(user: Option<&str>) -> Scope {
        Scope {
            users: user.map(str::to_owned).into_iter().collect(),
            ..Scope::default()
        }
    }

    pub fn sees_user(&self, id: &str) -> bool {
        self.all || self.users.contains(id)
    }

    pub fn sees_team(&self, id: &str) -> bool {
        self.all || self.teams.contains(id)
    }

    /// Whether the caller may see a goal: one with an assignee in scope; for an agent,
    /// one that applies to them (directly or through one of their teams).
    pub fn sees_goal(&self, spec: &GoalSpec) -> bool {
        if self.all {
            return true;
        }
        spec.assignees.iter().any(|a| match (a, &self.agent) {
            (Assignee::User(u), Some(own)) => u == own,
            (Assignee::User(u), None) => self.users.contains(u),
            (Assignee::Team(t, _), _) => self.teams.contains(t),
        })
    }

    /// Whether every assignee of a goal is in scope (to set or change it).
    pub fn covers_goal(&self, spec: &GoalSpec) -> bool {
        self.all
            || spec.assignees.iter().all(|a| match a {
                Assignee::User(u) => self.users.contains(u),
                Assignee::Team(t, _) => self.teams.contains(t),
            })
    }
}

/// A caller writes for the people they see.
impl CreditLimit for Scope {
    fn allows(&self, user: &str) -> bool {
        self.sees_user(user)
    }
}

/// What a caller with `role`, acting for `user` (if any), may read.
pub fn read_scope(role: Role, user: Option<&str>, roster: &Roster, today: Day) -> Scope {
    let Some(own) = user else {
        return Scope::everything();
    };
    match role {
        Role::Owner | Role::Admin => Scope::everything(),
        Role::Supervisor => {
            let mut scope = supervised(own, roster);
            scope.users.insert(own.to_owned());
            scope
        }
        Role::Agent => {
            let teams = roster.teams_of(own, today);
            let mut users = roster.members_ever(&teams);
            users.insert(own.to_owned());
            Scope {
                all: false,
                users,
                teams,
                agent: Some(own.to_owned()),
            }
        }
    }
}

/// What a caller may set goals for, or why they set none.
pub fn write_scope(role: Role, user: Option<&str>, roster: &Roster) -> Result<Scope, &'static str> {
    match (role, user) {
        (Role::Owner | Role::Admin, _) => Ok(Scope::everything()),
        (Role::Supervisor, Some(own)) => Ok(supervised(own, roster)),
        (Role::Supervisor, None) => {
            Err("a supervisor token must be bound to a user to set goals for their teams")
        }
        (Role::Agent, _) => Err("the agent role may not set or change goals"),
    }
}

/// Whom a caller may credit with events and CRM records: anyone (`None`) for owners,
/// admins and integrations (a supervisor acting for nobody); the people a supervisor
/// sees for a supervisor; only themself for an agent (nobody for a wallboard).
pub fn credit_scope(role: Role, user: Option<&str>, roster: &Roster, today: Day) -> Option<Scope> {
    match (role, user) {
        _ if credits_anyone(role, user) => None,
        (Role::Supervisor, Some(_)) => Some(read_scope(role, user, roster, today)),
        (_, own) => Some(Scope::only(own)),
    }
}

/// Whether a caller may credit anyone, whatever the organisation is: owners, admins,
/// and a supervisor acting for nobody (an integration).
pub fn credits_anyone(role: Role, user: Option<&str>) -> bool {
    matches!(
        (role, user),
        (Role::Owner | Role::Admin, _) | (Role::Supervisor, None)
    )
}

/// The teams a supervisor supervises and every member those teams ever had.
fn supervised(own: &str, roster: &Roster) -> Scope {
    let teams = roster.supervised_by(own);
    Scope {
        all: false,
        users: roster.members_ever(&teams),
        teams,
        agent: None,
    }
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
            ..
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

    fn roster() -> Roster {
        use crate::org::{MembershipRecord, Team, User};
        let user = |key, id: &str| User {
            key,
            id: id.into(),
            name: id.into(),
            email: None,
            role: Role::Agent,
            extension: None,
            active: true,
        };
        let member = |key, team: &str, user_key, user: &str, from: &str, to: Option<&str>| {
            MembershipRecord {
                key,
                team_key: key,
                team_id: team.into(),
                user_key,
                user_id: user.into(),
                from: from.parse().unwrap(),
                to: to.map(|d| d.parse().unwrap()),
            }
        };
        let team = |key, id: &str| Team {
            key,
            id: id.into(),
            name: id.into(),
        };
        Roster::new(
            vec![
                user(1, "lan"),
                user(2, "minh"),
                user(3, "nam"),
                user(4, "sup"),
            ],
            vec![team(1, "north"), team(2, "south")],
            vec![
                member(1, "north", 1, "lan", "2026-01-01", None),
                member(2, "north", 2, "minh", "2026-01-01", Some("2026-06-30")),
                member(3, "south", 2, "minh", "2026-07-01", None),
                member(4, "south", 3, "nam", "2026-01-01", None),
            ],
            vec![("north".into(), "sup".into())],
        )
    }

    fn names(scope: &Scope) -> (Vec<&str>, Vec<&str>) {
        (
            scope.users.iter().map(String::as_str).collect(),
            scope.teams.iter().map(String::as_str).collect(),
        )
    }

    #[test]
    fn each_role_reaches_its_people_and_teams() {
        let roster = roster();
        let today: Day = "2026-11-27".parse().unwrap();
        for role in [Role::Owner, Role::Admin] {
            assert!(read_scope(role, Some("lan"), &roster, today).all);
            assert!(write_scope(role, Some("lan"), &roster).unwrap().all);
            assert_eq!(credit_scope(role, Some("lan"), &roster, today), None);
        }
        // A supervisor: north and everyone ever in it, and themself.
        let sup = read_scope(Role::Supervisor, Some("sup"), &roster, today);
        assert_eq!(names(&sup), (vec!["lan", "minh", "sup"], vec!["north"]));
        let sets = write_scope(Role::Supervisor, Some("sup"), &roster).unwrap();
        assert_eq!(names(&sets), (vec!["lan", "minh"], vec!["north"]));
        assert!(write_scope(Role::Supervisor, None, &roster).is_err());
        assert!(read_scope(Role::Supervisor, None, &roster, today).all);
        // An agent: the teams they are in today (minh moved to south in July).
        let minh = read_scope(Role::Agent, Some("minh"), &roster, today);
        assert_eq!(names(&minh), (vec!["minh", "nam"], vec!["south"]));
        assert_eq!(minh.agent.as_deref(), Some("minh"));
        assert!(write_scope(Role::Agent, Some("minh"), &roster).is_err());
        let writes = credit_scope(Role::Agent, Some("minh"), &roster, today).unwrap();
        assert_eq!(names(&writes), (vec!["minh"], vec![]));
        let wallboard = credit_scope(Role::Agent, None, &roster, today).unwrap();
        assert!(!wallboard.allows("lan"));
        assert!(read_scope(Role::Agent, None, &roster, today).all);
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
