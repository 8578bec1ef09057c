//! `GET /api/v1/reports/users` and `/reports/teams`: every requested metric for every
//! row over a range of local days.

use super::query::{QueryParams, only_known, report_range};
use crate::AppState;
use crate::auth::{Auth, Caller};
use crate::error::ApiError;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::ser::SerializeMap;
use std::collections::{BTreeSet, HashMap};
use tally_core::access::Scope;
use tally_core::{DayRange, Membership, Metric, Role, Values};
use tally_store::{MembershipRecord, Team};

/// The users report: every active user (or those filtered by `user_id` / `team_id`).
pub async fn users(
    State(state): State<AppState>,
    Auth(caller): Auth,
    QueryParams(params): QueryParams,
) -> Result<Response, ApiError> {
    only_known(
        &params,
        &["period", "from", "to", "user_id", "team_id", "metrics"],
    )?;
    let range = report_range(&params, state.app.org())?;
    let metrics = requested_metrics(&params)?;
    let store = state.app.store();
    let agent = caller.limited_to();
    let supervised = supervised_scope(&state, &caller).await?;
    let memberships = match params.contains_key("team_id") || agent.is_some() {
        true => store.memberships(None).await?,
        false => Vec::new(),
    };
    // A limited view is decided before anything is looked up, so that it cannot reveal
    // which user or team ids exist through 404s.
    let (visible, visible_teams) = match (agent, supervised) {
        (Some(own), _) => {
            let (users, teams) = visible_to_agent(own, &memberships, range);
            (Some(users), Some(teams))
        }
        (None, Some(scope)) => (Some(scope.users), Some(scope.teams)),
        (None, None) => (None, None),
    };
    if let (Some(team_id), Some(teams)) = (params.get("team_id"), &visible_teams)
        && !teams.contains(team_id)
    {
        return Err(team_out_of_sight(team_id));
    }
    let mut users = match params.get("user_id") {
        Some(id) if visible.as_ref().is_some_and(|v| !v.contains(id)) => {
            return Err(ApiError::Forbidden(format!(
                "the {} role sees only themself and their teams' members, not '{id}'",
                caller.role
            )));
        }
        Some(id) => vec![store.user(id).await?.ok_or_else(|| user_not_found(id))?],
        None => store
            .users()
            .await?
            .into_iter()
            .filter(|u| u.active)
            .collect(),
    };
    if let Some(team_id) = params.get("team_id") {
        let team = store
            .team(team_id)
            .await?
            .ok_or_else(|| team_not_found(team_id))?;
        let members = members_during(&memberships, range, |m| m.team_key == team.key);
        users.retain(|u| members.contains(&u.id));
    }
    if let Some(visible) = &visible {
        users.retain(|u| visible.contains(&u.id));
    }
    let keys: Vec<i64> = users.iter().map(|u| u.key).collect();
    let filter =
        params.contains_key("user_id") || params.contains_key("team_id") || visible.is_some();
    let values = store
        .user_values(range, filter.then_some(keys.as_slice()))
        .await?;
    let rows = users
        .iter()
        .map(|u| Row {
            user_id: Some(&u.id),
            team_id: None,
            name: &u.name,
            values: MetricValues::new(values.get(&u.key), &metrics, &state),
        })
        .collect();
    json_response(&report(range, rows, &state))
}

/// The teams report: every team (or `team_id`), counting members on membership days.
pub async fn teams(
    State(state): State<AppState>,
    Auth(caller): Auth,
    QueryParams(params): QueryParams,
) -> Result<Response, ApiError> {
    only_known(&params, &["period", "from", "to", "team_id", "metrics"])?;
    let range = report_range(&params, state.app.org())?;
    let metrics = requested_metrics(&params)?;
    let mut teams: Vec<Team> = state.app.store().teams().await?;
    if let Some(scope) = supervised_scope(&state, &caller).await? {
        teams.retain(|t| scope.sees_team(&t.id));
    }
    if let Some(own) = caller.limited_to() {
        let memberships = state.app.store().memberships(None).await?;
        let mine: BTreeSet<i64> = memberships
            .iter()
            .filter(|m| m.user_id == own && during(m, range))
            .map(|m| m.team_key)
            .collect();
        teams.retain(|t| mine.contains(&t.key));
    }
    if let Some(id) = params.get("team_id") {
        teams.retain(|t| &t.id == id);
        // A limited caller is told the same for a team they may not see as for one
        // that does not exist, so that team ids cannot be probed.
        let limited = caller.limited_to().is_some() || caller_is_scoped_supervisor(&caller);
        match (teams.is_empty(), limited) {
            (true, true) => return Err(team_out_of_sight(id)),
            (true, false) => return Err(team_not_found(id)),
            (false, _) => {}
        }
    }
    let rows = state.app.store().team_values(range, &teams).await?;
    let rows = rows
        .iter()
        .map(|row| Row {
            user_id: None,
            team_id: Some(&row.team.id),
            name: &row.team.name,
            values: MetricValues::new(Some(&row.values), &metrics, &state),
        })
        .collect();
    json_response(&report(range, rows, &state))
}

/// A report, serialized straight from these structs (no intermediate JSON tree: a
/// report of 1,000 users × 18 metrics is 18,000 values).
#[derive(Serialize)]
struct Report<'a> {
    from: String,
    to: String,
    timezone: &'a str,
    currency: &'a str,
    rows: Vec<Row<'a>>,
}

/// One row: a user (`user_id`) or a team (`team_id`), its name and its values.
#[derive(Serialize)]
struct Row<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team_id: Option<&'a str>,
    name: &'a str,
    values: MetricValues<'a>,
}

/// Serializes a report that borrows from the request's own data.
fn json_response(report: &Report<'_>) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(report).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(CONTENT_TYPE, "application/json")], body).into_response())
}

fn report<'a>(range: DayRange, rows: Vec<Row<'a>>, state: &'a AppState) -> Report<'a> {
    Report {
        from: range.from.to_string(),
        to: range.to.to_string(),
        timezone: state.app.org().calendar.time_zone_name(),
        currency: &state.app.org().currency.code,
        rows,
    }
}

/// The requested metrics: every metric of `metrics=a,b`, else all 18.
fn requested_metrics(params: &HashMap<String, String>) -> Result<Vec<Metric>, ApiError> {
    let Some(list) = params.get("metrics").filter(|l| !l.trim().is_empty()) else {
        return Ok(Metric::ALL.to_vec());
    };
    let mut metrics = Vec::new();
    for key in list.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        let metric: Metric = key
            .parse()
            .map_err(|e: tally_core::metric::UnknownMetric| {
                ApiError::invalid("metrics", e.to_string())
            })?;
        if !metrics.contains(&metric) {
            metrics.push(metric);
        }
    }
    Ok(metrics)
}

/// The requested metrics of a row, every one present (zero included): integers,
/// except money, a decimal string in the organization's currency.
struct MetricValues<'a> {
    values: Values,
    metrics: &'a [Metric],
    currency: &'a tally_core::Currency,
}

impl<'a> MetricValues<'a> {
    fn new(values: Option<&Values>, metrics: &'a [Metric], state: &'a AppState) -> Self {
        let values = values.copied().unwrap_or_default();
        MetricValues {
            values,
            metrics,
            currency: &state.app.org().currency,
        }
    }
}

impl Serialize for MetricValues<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.metrics.len()))?;
        for metric in self.metrics {
            let value = self.values.get(*metric);
            match metric {
                Metric::Revenue => {
                    map.serialize_entry(metric.key(), &self.currency.from_minor(value).to_string())?
                }
                _ => map.serialize_entry(metric.key(), &value)?,
            }
        }
        map.end()
    }
}

fn during(m: &MembershipRecord, range: DayRange) -> bool {
    Membership {
        user_id: String::new(),
        from: m.from,
        to: m.to,
    }
    .days_within(range)
    .is_some()
}

/// The users who were members, on at least one day of the range, of teams matching `which`.
fn members_during(
    memberships: &[MembershipRecord],
    range: DayRange,
    which: impl Fn(&MembershipRecord) -> bool,
) -> BTreeSet<String> {
    memberships
        .iter()
        .filter(|m| which(m) && during(m, range))
        .map(|m| m.user_id.clone())
        .collect()
}

/// An agent sees themself and the members of their teams (their team's leaderboard):
/// those people, and those teams.
fn visible_to_agent(
    own: &str,
    memberships: &[MembershipRecord],
    range: DayRange,
) -> (BTreeSet<String>, BTreeSet<String>) {
    let teams: BTreeSet<String> = memberships
        .iter()
        .filter(|m| m.user_id == own && during(m, range))
        .map(|m| m.team_id.clone())
        .collect();
    let mut visible = members_during(memberships, range, |m| teams.contains(&m.team_id));
    visible.insert(own.to_owned());
    (visible, teams)
}

/// A limited caller is told the same of a team they may not see as of one that does
/// not exist, so that team ids cannot be probed.
fn team_out_of_sight(id: &str) -> ApiError {
    ApiError::Forbidden(format!("team '{id}' is not one of the teams you see"))
}

fn caller_is_scoped_supervisor(caller: &Caller) -> bool {
    caller.role == Role::Supervisor && caller.user_id.is_some()
}

/// A supervisor bound to a user sees the teams they supervise and those teams' members
/// (see `scope.rs`); `None` for every other caller.
async fn supervised_scope(state: &AppState, caller: &Caller) -> Result<Option<Scope>, ApiError> {
    if !caller_is_scoped_supervisor(caller) {
        return Ok(None);
    }
    Ok(Some(state.app.read_scope_now(caller).await?))
}

fn user_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("user '{id}' does not exist"))
}

fn team_not_found(id: &str) -> ApiError {
    ApiError::NotFound(format!("team '{id}' does not exist"))
}
