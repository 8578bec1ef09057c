//! The users and teams reports: every metric for each person or team over a range of
//! local days, from the organisation in memory and the read model.
//!
//! Who sees which rows: owners, admins and unbound tokens every row; a supervisor
//! bound to a person the teams they supervise and those teams' members; an agent bound
//! to a person themself, and the teams they were in during the range with those teams'
//! members (their leaderboard). A limited caller is answered the same for a team they
//! may not see as for one that does not exist, so ids cannot be probed.

use crate::app::App;
use crate::caller::Caller;
use crate::directory::Directory;
use crate::error::{Error, Result};
use std::collections::BTreeSet;
use tally_core::access::Scope;
use tally_core::views::Subject;
use tally_core::{DayRange, Metric, Role, Values};

/// One row of a report: a person or a team, its name and its values.
#[derive(Clone, Debug)]
pub struct ReportRow {
    pub subject: Subject,
    pub name: String,
    pub values: Values,
}

impl App {
    /// Every active person (or `user`, or the members of `team` during the range) the
    /// caller sees, ordered by id.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor()))]
    pub async fn users_report(
        &self,
        caller: &Caller,
        range: DayRange,
        user: Option<&str>,
        team: Option<&str>,
    ) -> Result<Vec<ReportRow>> {
        let now = self.now().await?;
        let roster = &now.directory.roster;
        // Decided before anything is looked up, so that 404s cannot reveal ids.
        let visible = self.visible(caller, range, &now.directory);
        if let (Some(team), Some(visible)) = (team, &visible)
            && !visible.teams.contains(team)
        {
            return Err(team_out_of_sight(team));
        }
        let mut users: Vec<_> = match user {
            Some(id) if visible.as_ref().is_some_and(|v| !v.users.contains(id)) => {
                return Err(Error::Forbidden(format!(
                    "the {} role sees only themself and their teams' members, not '{id}'",
                    caller.role
                )));
            }
            Some(id) => vec![roster.user(id).ok_or_else(|| user_not_found(id))?],
            None => roster.users().iter().filter(|u| u.active).collect(),
        };
        if let Some(team) = team {
            roster.team(team).ok_or_else(|| team_not_found(team))?;
            let members = roster.members_during(&BTreeSet::from([team.to_owned()]), range);
            users.retain(|u| members.contains(&u.id));
        }
        if let Some(visible) = &visible {
            users.retain(|u| visible.users.contains(&u.id));
        }
        let keys: Vec<i64> = users.iter().map(|u| u.key).collect();
        let filtered = user.is_some() || team.is_some() || visible.is_some();
        let figures = self.store().figures(now.data_version).await?;
        let values = figures.user_values(range, filtered.then_some(keys.as_slice()));
        Ok(users
            .iter()
            .map(|u| ReportRow {
                subject: Subject::User(u.id.clone()),
                name: u.name.clone(),
                values: values.get(&u.key).copied().unwrap_or_default(),
            })
            .collect())
    }

    /// Every team the caller sees (or only `team`), ordered by id, counting each member
    /// on their member days; a distinct metric counts an entity once per team.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor()))]
    pub async fn teams_report(
        &self,
        caller: &Caller,
        range: DayRange,
        team: Option<&str>,
    ) -> Result<Vec<ReportRow>> {
        let now = self.now().await?;
        let roster = &now.directory.roster;
        let visible = self.visible(caller, range, &now.directory);
        let mut teams: Vec<_> = roster
            .teams()
            .iter()
            .filter(|t| visible.as_ref().is_none_or(|v| v.teams.contains(&t.id)))
            .collect();
        if let Some(id) = team {
            teams.retain(|t| t.id == id);
            match (teams.is_empty(), visible.is_some()) {
                (true, true) => return Err(team_out_of_sight(id)),
                (true, false) => return Err(team_not_found(id)),
                (false, _) => {}
            }
        }
        let groups: Vec<_> = teams
            .iter()
            .map(|t| roster.team_days(&t.id, range))
            .collect();
        let figures = self.store().figures(now.data_version).await?;
        let values = figures.group_values(&groups, &Metric::ALL);
        Ok(teams
            .iter()
            .zip(values)
            .map(|(t, values)| ReportRow {
                subject: Subject::Team(t.id.clone()),
                name: t.name.clone(),
                values,
            })
            .collect())
    }

    /// What a limited caller sees over the range: an agent their teams of the range
    /// and their members, and themself; a bound supervisor their read scope.
    /// `None` for the callers who see every row.
    fn visible(&self, caller: &Caller, range: DayRange, directory: &Directory) -> Option<Scope> {
        let roster = &directory.roster;
        if let Some(own) = caller.limited_to() {
            let teams = roster.teams_during(own, range);
            let mut users = roster.members_during(&teams, range);
            users.insert(own.to_owned());
            return Some(Scope {
                users,
                teams,
                ..Scope::default()
            });
        }
        let bound_supervisor = caller.role == Role::Supervisor && caller.user_id.is_some();
        bound_supervisor.then(|| self.read_scope(caller, directory))
    }
}

/// A limited caller is told the same of a team they may not see as of one that does
/// not exist, so that team ids cannot be probed.
fn team_out_of_sight(id: &str) -> Error {
    Error::Forbidden(format!("team '{id}' is not one of the teams you see"))
}

fn user_not_found(id: &str) -> Error {
    Error::NotFound(format!("user '{id}' does not exist"))
}

fn team_not_found(id: &str) -> Error {
    Error::NotFound(format!("team '{id}' does not exist"))
}
