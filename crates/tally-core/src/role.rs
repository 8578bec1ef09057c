//! The roles of people and API tokens, and what each may do.
//!
//! owner / admin: everything; supervisor: sets KPIs for and sees the teams they
//! supervise; agent: sees their own KPIs and their team's leaderboard (`design.md`).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A role, from the most to the least powerful.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Owner,
    Admin,
    Supervisor,
    Agent,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Agent => "agent",
        }
    }

    /// Owners and admins manage people, teams and settings.
    pub fn manages_people(self) -> bool {
        matches!(self, Role::Owner | Role::Admin)
    }

    /// The role a token of this role acts with for a user whose role is now `user`:
    /// never more than the person it acts for, so demoting someone demotes their
    /// tokens too.
    pub fn capped_by(self, user: Role) -> Role {
        self.max(user)
    }

    /// Whether this role may give `other` to a new user or token: only an owner makes
    /// owners, and nobody hands out more power than they have.
    pub fn may_grant(self, other: Role) -> bool {
        self.manages_people() && (self == Role::Owner || other != Role::Owner)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of the four.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role '{0}' (expected owner, admin, supervisor or agent)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "owner" => Role::Owner,
            "admin" => Role::Admin,
            "supervisor" => Role::Supervisor,
            "agent" => Role::Agent,
            _ => return Err(UnknownRole(s.to_owned())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_owners_make_owners_and_only_managers_grant_roles() {
        assert!(Role::Owner.may_grant(Role::Owner));
        assert!(Role::Admin.may_grant(Role::Admin));
        assert!(!Role::Admin.may_grant(Role::Owner));
        assert!(!Role::Supervisor.may_grant(Role::Agent));
        assert!(!Role::Agent.may_grant(Role::Agent));
    }

    #[test]
    fn a_token_acts_with_no_more_than_its_users_role() {
        assert_eq!(Role::Supervisor.capped_by(Role::Agent), Role::Agent);
        assert_eq!(Role::Agent.capped_by(Role::Owner), Role::Agent);
        assert_eq!(Role::Owner.capped_by(Role::Admin), Role::Admin);
        assert_eq!(Role::Admin.capped_by(Role::Admin), Role::Admin);
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [Role::Owner, Role::Admin, Role::Supervisor, Role::Agent] {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }
}
