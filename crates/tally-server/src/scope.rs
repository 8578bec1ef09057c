//! Whose goals and progress a caller may see, and whose goals they may set.
//!
//! - owner, admin: everyone's, and they set every goal;
//! - supervisor (a token bound to a user): the teams they supervise and those teams'
//!   members (anyone who was ever a member), and themself; they set goals only for
//!   those teams and members. A supervisor token bound to nobody (an integration)
//!   reads everything and sets nothing;
//! - agent bound to a user: the goals that apply to them, with their own rows and their
//!   teams' rows (the leaderboard); they set nothing. An agent token bound to nobody is
//!   a read-only wallboard of everything. An agent's teams are the ones they are in
//!   today.

use crate::auth::Caller;
use crate::error::ApiError;
use std::collections::BTreeSet;
use tally_core::{Assignee, Day, GoalSpec, Role};
use tally_store::MembershipRecord;

/// The users and teams a caller may see (or set goals for).
#[derive(Clone, Debug, Default)]
pub struct Scope {
    /// Everyone and every team.
    pub all: bool,
    pub users: BTreeSet<String>,
    pub teams: BTreeSet<String>,
    /// An agent's own id: they see only the goals that apply to them.
    pub agent: Option<String>,
}

impl Scope {
    fn everything() -> Scope {
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
impl tally_core::access::CreditLimit for Scope {
    fn allows(&self, user: &str) -> bool {
        self.sees_user(user)
    }
}

/// What the caller may read.
pub fn read_scope(
    caller: &Caller,
    memberships: &[MembershipRecord],
    supervises: &[(String, String)],
    today: Day,
) -> Scope {
    let Some(own) = caller.user_id.as_deref() else {
        return Scope::everything();
    };
    match caller.role {
        Role::Owner | Role::Admin => Scope::everything(),
        Role::Supervisor => {
            let mut scope = supervised(own, memberships, supervises);
            scope.users.insert(own.to_owned());
            scope
        }
        Role::Agent => {
            // The teams they are in today: one they left is no longer theirs.
            let teams: BTreeSet<String> = memberships
                .iter()
                .filter(|m| {
                    m.user_id == own && m.from <= today && m.to.is_none_or(|to| to >= today)
                })
                .map(|m| m.team_id.clone())
                .collect();
            let mut users = members_of(&teams, memberships);
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

/// What the caller may set goals for; 403 for those who set none.
pub fn write_scope(
    caller: &Caller,
    memberships: &[MembershipRecord],
    supervises: &[(String, String)],
) -> Result<Scope, ApiError> {
    match (caller.role, caller.user_id.as_deref()) {
        (Role::Owner | Role::Admin, _) => Ok(Scope::everything()),
        (Role::Supervisor, Some(own)) => Ok(supervised(own, memberships, supervises)),
        (Role::Supervisor, None) => Err(ApiError::Forbidden(
            "a supervisor token must be bound to a user to set goals for their teams".into(),
        )),
        (Role::Agent, _) => Err(ApiError::Forbidden(
            "the agent role may not set or change goals".into(),
        )),
    }
}

/// The teams a supervisor supervises and every member those teams ever had.
fn supervised(
    own: &str,
    memberships: &[MembershipRecord],
    supervises: &[(String, String)],
) -> Scope {
    let teams: BTreeSet<String> = supervises
        .iter()
        .filter(|(_, user)| user == own)
        .map(|(team, _)| team.clone())
        .collect();
    Scope {
        all: false,
        users: members_of(&teams, memberships),
        teams,
        agent: None,
    }
}

fn members_of(teams: &BTreeSet<String>, memberships: &[MembershipRecord]) -> BTreeSet<String> {
    memberships
        .iter()
        .filter(|m| teams.contains(&m.team_id))
        .map(|m| m.user_id.clone())
        .collect()
}
