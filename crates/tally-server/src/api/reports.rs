//! `GET /api/v1/reports/users` and `/reports/teams`: every requested metric for every
//! row over a range of local days — adapters of `tally_app::reports`, serialised
//! straight from its rows.

use super::openapi;
use super::query::{QueryParams, only_known, report_range};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::ser::SerializeMap;
use std::collections::HashMap;
use tally_app::reports::ReportRow;
use tally_core::views::Subject;
use tally_core::{DayRange, Metric, Values};
use utoipa::ToSchema;

/// The users report: every active user (or those filtered by `user_id` / `team_id`).
#[utoipa::path(get, path = "/api/v1/reports/users", operation_id = "users_report", tag = "reports",
    params(openapi::RangeParams,
        ("metrics" = Option<String>, Query, description = "Metric keys, comma-separated; default all 18"),
        ("user_id" = Option<String>, Query), ("team_id" = Option<String>, Query)),
    responses((status = 200, description = "The answer", body = Report), openapi::Refusals))]
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
    let user = params.get("user_id").map(String::as_str);
    let team = params.get("team_id").map(String::as_str);
    let rows = state.app.users_report(&caller, range, user, team).await?;
    json_response(&report(range, &rows, &metrics, &state))
}

/// The teams report: every team (or `team_id`), counting members on membership days.
#[utoipa::path(get, path = "/api/v1/reports/teams", operation_id = "teams_report", tag = "reports",
    params(openapi::RangeParams,
        ("metrics" = Option<String>, Query, description = "Metric keys, comma-separated; default all 18"),
        ("team_id" = Option<String>, Query)),
    responses((status = 200, description = "The answer", body = Report), openapi::Refusals))]
pub async fn teams(
    State(state): State<AppState>,
    Auth(caller): Auth,
    QueryParams(params): QueryParams,
) -> Result<Response, ApiError> {
    only_known(&params, &["period", "from", "to", "team_id", "metrics"])?;
    let range = report_range(&params, state.app.org())?;
    let metrics = requested_metrics(&params)?;
    let team = params.get("team_id").map(String::as_str);
    let rows = state.app.teams_report(&caller, range, team).await?;
    json_response(&report(range, &rows, &metrics, &state))
}

/// A report, serialized straight from these structs (no intermediate JSON tree: a
/// report of 1,000 users × 18 metrics is 18,000 values).
#[derive(Serialize, ToSchema)]
pub struct Report<'a> {
    from: String,
    to: String,
    timezone: &'a str,
    currency: &'a str,
    rows: Vec<Row<'a>>,
}

/// One row: a user (`user_id`) or a team (`team_id`), its name and its values.
#[derive(Serialize, ToSchema)]
pub struct Row<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team_id: Option<&'a str>,
    name: &'a str,
    /// Every requested metric by its key, zero included.
    #[schema(value_type = HashMap<String, openapi::Quantity>)]
    values: MetricValues<'a>,
}

/// Serializes a report that borrows from the request's own data.
fn json_response(report: &Report<'_>) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(report).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(([(CONTENT_TYPE, "application/json")], body).into_response())
}

fn report<'a>(
    range: DayRange,
    rows: &'a [ReportRow],
    metrics: &'a [Metric],
    state: &'a AppState,
) -> Report<'a> {
    let currency = &state.app.org().currency;
    Report {
        from: range.from.to_string(),
        to: range.to.to_string(),
        timezone: state.app.org().calendar.time_zone_name(),
        currency: &currency.code,
        rows: rows
            .iter()
            .map(|row| {
                let (user_id, team_id) = match &row.subject {
                    Subject::User(id) => (Some(id.as_str()), None),
                    Subject::Team(id) => (None, Some(id.as_str())),
                };
                Row {
                    user_id,
                    team_id,
                    name: &row.name,
                    values: MetricValues {
                        values: row.values,
                        metrics,
                        currency,
                    },
                }
            })
            .collect(),
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
