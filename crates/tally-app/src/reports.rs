//! The users and teams reports: the metrics asked for (the 18 built in by default, or
//! any of them and of the organisation's custom metrics, by key) for each person or
//! team over a range of local days, from the organisation in memory and the read
//! model (custom metrics from their own tables).
//!
//! Who sees which rows: owners, admins and unbound tokens every row; a supervisor
//! bound to a person the teams they supervise and those teams' members; an agent bound
//! to a person themself, and the teams they were in during the range with those teams'
//! members (their leaderboard). A limited caller is answered the same for a team they
//! may not see as for one that does not exist, so ids cannot be probed.

use crate::app::App;
use crate::caller::Caller;
use crate::custom_metrics::StoredMetric;
use crate::directory::Directory;
use crate::error::{Error, Result};
use std::collections::BTreeSet;
use std::sync::Arc;
use tally_core::access::Scope;
use tally_core::metric::Unit;
use tally_core::org::Roster;
use tally_core::views::Subject;
use tally_core::{DayRange, Measure, Metric, Role, Values};

/// A metric a report shows (one of the 18 built in, or one of the organisation's own),
/// and whether its values are partial: a custom metric whose history is still counted.
#[derive(Clone, Debug)]
pub struct ReportMetric {
    pub measure: Measure,
    /// A custom metric as stored: where its values are read, how far it is counted.
    stored: Option<StoredMetric>,
}

impl ReportMetric {
    pub fn key(&self) -> &str {
        self.measure.key()
    }

    pub fn unit(&self) -> Unit {
        self.measure.unit()
    }

    /// Whether its values are partial: a custom metric whose history is still counted.
    pub fn counting(&self) -> bool {
        self.stored.as_ref().is_some_and(StoredMetric::counting)
    }
}

impl From<Metric> for ReportMetric {
    fn from(metric: Metric) -> ReportMetric {
        ReportMetric {
            measure: Measure::BuiltIn(metric),
            stored: None,
        }
    }
}

/// A report: its metrics, and a row per person or team.
#[derive(Clone, Debug)]
pub struct Report {
    pub metrics: Vec<ReportMetric>,
    pub rows: Vec<ReportRow>,
}

/// One row of a report: a person or a team, its name and its value of each of the
/// report's metrics, in their order (in the metric's stored unit: minor units for
/// money).
#[derive(Clone, Debug)]
pub struct ReportRow {
    pub subject: Subject,
    pub name: String,
    pub values: Vec<i128>,
}

impl App {
    /// The metrics of `keys` (`calls,long_calls`: built in or custom, each once, in
    /// the order named); the 18 built in when there are none. An unknown key is an
    /// error of the field `metrics`.
    pub async fn report_metrics(&self, keys: Option<&str>) -> Result<Vec<ReportMetric>> {
        let keys: Vec<&str> = keys
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .collect();
        if keys.is_empty() {
            return Ok(Metric::ALL.into_iter().map(ReportMetric::from).collect());
        }
        let mut defined: Option<Vec<StoredMetric>> = None;
        let mut metrics: Vec<ReportMetric> = Vec::with_capacity(keys.len());
        for key in keys {
            let metric = match key.parse::<Metric>() {
                Ok(metric) => ReportMetric::from(metric),
                Err(unknown) => {
                    let defined = match &mut defined {
                        Some(defined) => defined,
                        None => defined.insert(self.custom_metrics().await?),
                    };
                    let stored = defined
                        .iter()
                        .find(|m| m.metric.key == key)
                        .ok_or_else(|| Error::invalid("metrics", unknown.to_string()))?;
                    ReportMetric {
                        measure: Measure::Custom(Arc::new(stored.metric.clone())),
                        stored: Some(stored.clone()),
                    }
                }
            };
            if metrics.iter().all(|m| m.key() != metric.key()) {
                metrics.push(metric);
            }
        }
        Ok(metrics)
    }

    /// `metrics` for every active person (or `user`, or the members of `team` during
    /// the range) the caller sees, ordered by id.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor()))]
    pub async fn users_report(
        &self,
        caller: &Caller,
        range: DayRange,
        (user, team): (Option<&str>, Option<&str>),
        metrics: Vec<ReportMetric>,
    ) -> Result<Report> {
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
        let rows = users
            .iter()
            .map(|u| {
                let built_in = values.get(&u.key).copied().unwrap_or_default();
                (Subject::User(u.id.clone()), u.name.clone(), built_in)
            })
            .collect();
        self.report(roster, range, metrics, rows).await
    }

    /// `metrics` for every team the caller sees (or only `team`), ordered by id,
    /// counting each member on their member days; a distinct metric counts an entity
    /// once per team.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor()))]
    pub async fn teams_report(
        &self,
        caller: &Caller,
        range: DayRange,
        team: Option<&str>,
        metrics: Vec<ReportMetric>,
    ) -> Result<Report> {
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
        let rows = teams
            .iter()
            .zip(values)
            .map(|(t, values)| (Subject::Team(t.id.clone()), t.name.clone(), values))
            .collect();
        self.report(roster, range, metrics, rows).await
    }

    /// The report of `metrics` for (subject, name, built-in values) rows: the built-in
    /// values picked, each custom metric's read for every row.
    async fn report(
        &self,
        roster: &Roster,
        range: DayRange,
        metrics: Vec<ReportMetric>,
        rows: Vec<(Subject, String, Values)>,
    ) -> Result<Report> {
        let mut custom = Vec::new();
        for metric in &metrics {
            if let Some(stored) = &metric.stored {
                custom.push(self.custom_values(roster, stored, range, &rows).await?);
            }
        }
        let rows = rows
            .into_iter()
            .enumerate()
            .map(|(i, (subject, name, built_in))| {
                let mut customs = custom.iter().map(|column| column[i]);
                let values = metrics
                    .iter()
                    .map(|metric| match metric.measure.built_in() {
                        Some(m) => built_in.get(m),
                        None => customs.next().unwrap_or_default(),
                    })
                    .collect();
                ReportRow {
                    subject,
                    name,
                    values,
                }
            })
            .collect();
        Ok(Report { metrics, rows })
    }

    /// The values of `metric` over `range` for each row: a person over the range, a
    /// team over its members' member-days (an entity of a distinct count once per
    /// team).
    async fn custom_values(
        &self,
        roster: &Roster,
        metric: &StoredMetric,
        range: DayRange,
        rows: &[(Subject, String, Values)],
    ) -> Result<Vec<i128>> {
        let days = self.store().custom_days(metric, range).await?;
        Ok(rows
            .iter()
            .map(|(subject, _, _)| match subject {
                Subject::User(id) => roster
                    .user(id)
                    .map_or(0, |u| days.value_of(&[(u.key, range)])),
                Subject::Team(id) => days.value_of(&roster.team_days(id, range)),
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
