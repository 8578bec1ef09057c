//! Who may see and do what, for a caller, on the organisation as it is now: the
//! rules are `tally_core::access`'s; here they meet the caller and the directory, and
//! become the errors a caller is told (403 before 404, so that a limited caller cannot
//! probe which ids exist).

use crate::app::App;
use crate::caller::Caller;
use crate::directory::{Directory, Goal};
use crate::error::{Error, Result};
use tally_core::access::{self, Scope};
use tally_core::{GoalSpec, Roster};

impl App {
    /// What the caller may read.
    pub fn read_scope(&self, caller: &Caller, directory: &Directory) -> Scope {
        let user = caller.user_id.as_deref();
        access::read_scope(caller.role, user, &directory.roster, self.today())
    }

    /// What the caller may set goals for; 403 for those who set none.
    pub fn write_scope(&self, caller: &Caller, directory: &Directory) -> Result<Scope> {
        access::write_scope(caller.role, caller.user_id.as_deref(), &directory.roster)
            .map_err(|why| Error::Forbidden(why.into()))
    }

    /// Whom the caller may credit with events and CRM records (`None`: anyone).
    pub fn credit_scope(&self, caller: &Caller, directory: &Directory) -> Option<Scope> {
        let user = caller.user_id.as_deref();
        access::credit_scope(caller.role, user, &directory.roster, self.today())
    }

    /// What the caller may read, on the organisation now.
    pub async fn read_scope_now(&self, caller: &Caller) -> Result<Scope> {
        let now = self.now().await?;
        Ok(self.read_scope(caller, &now.directory))
    }

    /// Whom the caller may credit, on the organisation now (`None`: anyone). Callers
    /// who may credit anyone whatever the organisation need not read it.
    pub async fn credit_scope_now(&self, caller: &Caller) -> Result<Option<Scope>> {
        if access::credits_anyone(caller.role, caller.user_id.as_deref()) {
            return Ok(None);
        }
        let now = self.now().await?;
        Ok(self.credit_scope(caller, &now.directory))
    }
}

/// A goal within a scope: 403 for one outside it and, for a limited scope, also for
/// one that does not exist, so that goal ids cannot be probed.
pub fn scoped_goal<'d>(
    directory: &'d Directory,
    scope: &Scope,
    id: &str,
    allowed: fn(&Scope, &GoalSpec) -> bool,
) -> Result<&'d Goal> {
    let refused = || Error::Forbidden(format!("goal '{id}' is not one of yours"));
    match directory.goal(id) {
        Some(goal) if allowed(scope, &goal.spec) => Ok(goal),
        Some(_) => Err(refused()),
        None if scope.all => Err(Error::NotFound(format!("goal '{id}' does not exist"))),
        None => Err(refused()),
    }
}

/// The active people within a scope, `(id, name)`, ordered by id.
pub fn people_within(roster: &Roster, scope: &Scope) -> Vec<(String, String)> {
    roster
        .users()
        .iter()
        .filter(|u| u.active && scope.sees_user(&u.id))
        .map(|u| (u.id.clone(), u.name.clone()))
        .collect()
}

/// The teams within a scope, `(id, name)`, ordered by id.
pub fn teams_within(roster: &Roster, scope: &Scope) -> Vec<(String, String)> {
    roster
        .teams()
        .iter()
        .filter(|t| scope.sees_team(&t.id))
        .map(|t| (t.id.clone(), t.name.clone()))
        .collect()
}

/// `user_id=`: an existing user the caller may see (403 before 404).
pub fn seen_user(directory: &Directory, scope: &Scope, id: Option<&str>) -> Result<Option<String>> {
    let Some(id) = id else {
        return Ok(None);
    };
    if !scope.sees_user(id) {
        return Err(Error::Forbidden(format!(
            "user '{id}' is not one of the people you see"
        )));
    }
    directory
        .roster
        .user(id)
        .ok_or_else(|| Error::NotFound(format!("user '{id}' does not exist")))?;
    Ok(Some(id.to_owned()))
}

/// `team_id=`: an existing team the caller may see (403 before 404).
pub fn seen_team<'d>(directory: &'d Directory, scope: &Scope, id: &str) -> Result<&'d str> {
    if !scope.sees_team(id) {
        return Err(Error::Forbidden(format!(
            "team '{id}' is not one of the teams you see"
        )));
    }
    directory
        .roster
        .team(id)
        .map(|t| t.id.as_str())
        .ok_or_else(|| Error::NotFound(format!("team '{id}' does not exist")))
}
