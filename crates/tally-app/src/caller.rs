//! Who is calling: a role, and the person it acts for (a token bound to a user, or a
//! signed-in person), or nobody (an integration's token, a wallboard screen).

use crate::error::{Error, Result};
use tally_core::{Role, User};
use tally_store::TokenRecord;

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub role: Role,
    /// The user the caller acts for, if any.
    pub user_id: Option<String>,
    /// The token's name (or `session`), to record who changed what.
    pub token_name: String,
}

impl Caller {
    /// The caller of a token: a token bound to a person acts with no more than that
    /// person's role now, and not at all once they are deactivated (as their sessions
    /// end).
    pub fn of_token(token: TokenRecord) -> Result<Caller> {
        let role = match token.user_now {
            Some((_, false)) => {
                return Err(Error::Unauthorized(
                    "the person this token acts for is deactivated".into(),
                ));
            }
            Some((user_role, true)) => token.role.capped_by(user_role),
            None => token.role,
        };
        Ok(Caller {
            role,
            user_id: token.user_id,
            token_name: token.name,
        })
    }

    /// The caller of a signed-in person's session: their role, as themself.
    pub fn of_user(user: &User) -> Caller {
        Caller {
            role: user.role,
            user_id: Some(user.id.clone()),
            token_name: "session".into(),
        }
    }

    /// The caller the command line acts as: an owner acting for nobody.
    pub fn command_line() -> Caller {
        Caller {
            role: Role::Owner,
            user_id: None,
            token_name: "command line".into(),
        }
    }

    /// A read-only screen of the floor, named `name` in the log: an agent acting for
    /// nobody.
    pub fn wallboard(name: String) -> Caller {
        Caller {
            role: Role::Agent,
            user_id: None,
            token_name: name,
        }
    }

    /// Who made a change, as recorded in histories: the user, else the token's name.
    pub fn actor(&self) -> String {
        match &self.user_id {
            Some(user) => format!("user:{user}"),
            None => format!("token:{}", self.token_name),
        }
    }

    /// The user whose view this caller is limited to: an agent acting for a person
    /// sees only themself and their teams. Every other caller reads every row; an
    /// agent acting for nobody is a read-only viewer (a wallboard on the call floor).
    pub fn limited_to(&self) -> Option<&str> {
        match self.role {
            Role::Agent => self.user_id.as_deref(),
            _ => None,
        }
    }

    /// A wallboard: an agent acting for nobody, a read-only screen of the floor.
    pub fn is_wallboard(&self) -> bool {
        self.role == Role::Agent && self.user_id.is_none()
    }

    /// A supervisor acting for a person (whose reads and writes are their teams').
    pub fn is_bound_supervisor(&self) -> bool {
        self.role == Role::Supervisor && self.user_id.is_some()
    }

    /// Refuses unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role], what: &str) -> Result<()> {
        if roles.contains(&self.role) {
            return Ok(());
        }
        Err(Error::Forbidden(format!(
            "the {} role may not {what}",
            self.role
        )))
    }

    /// The person acting: CRM actions are credited to one and notifications are one's
    /// own, so the caller must act for a user.
    pub fn person(&self) -> Result<&str> {
        self.user_id.as_deref().ok_or_else(|| {
            Error::Forbidden(
                "this is done as a person (CRM actions are credited to one, notifications are one's own): use a token bound to a user (tally token create --user …)"
                    .into(),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(role: Role, user_now: Option<(Role, bool)>) -> TokenRecord {
        TokenRecord {
            key: 1,
            name: "t".into(),
            role,
            user_id: user_now.map(|_| "minh".into()),
            user_now,
        }
    }

    #[test]
    fn a_token_acts_with_its_users_current_role_and_status() {
        let caller = |t| Caller::of_token(t).map(|c| c.role);
        assert_eq!(
            caller(token(Role::Supervisor, Some((Role::Agent, true)))).ok(),
            Some(Role::Agent)
        );
        assert_eq!(
            caller(token(Role::Agent, Some((Role::Owner, true)))).ok(),
            Some(Role::Agent)
        );
        assert_eq!(caller(token(Role::Admin, None)).ok(), Some(Role::Admin));
        assert!(matches!(
            caller(token(Role::Owner, Some((Role::Owner, false)))),
            Err(Error::Unauthorized(_))
        ));
    }
}
