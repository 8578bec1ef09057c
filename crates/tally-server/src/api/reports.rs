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
use tally_app::reports::{Report as AppReport, ReportMetric};
use tally_core::DayRange;
use tally_core::metric::Unit;
use tally_core::views::Subject;
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
    let metrics = state.app.report_metrics(param(&params, "metrics")).await?;
    let only = (param(&params, "user_id"), param(&params, "team_id"));
    let report = state
        .app
        .users_report(&caller, range, only, metrics)
        .await?;
    json_response(&serialised(range, &report, &state))
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
    let metrics = state.app.report_metrics(param(&params, "metrics")).await?;
    let team = param(&params, "team_id");
    let report = state
        .app
        .teams_report(&caller, range, team, metrics)
        .await?;
    json_response(&serialised(range, &report, &state))
}

fn param<'p>(params: &'p HashMap<String, String>, name: &str) -> Option<&'p str> {
    params.get(name).map(String::as_str)
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
    /// The requested custom metrics whose history is still being counted: their
    /// values are partial (absent when there is none).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    counting: Vec<&'a str>,
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

fn serialised<'a>(range: DayRange, report: &'a AppReport, state: &'a AppState) -> Report<'a> {
    let currency = &state.app.org().currency;
    Report {
        from: range.from.to_string(),
        to: range.to.to_string(),
        timezone: state.app.org().calendar.time_zone_name(),
        currency: &currency.code,
        rows: report
            .rows
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
                        metrics: &report.metrics,
                        values: &row.values,
                        currency,
                    },
                }
            })
            .collect(),
        counting: report
            .metrics
            .iter()
            .filter(|m| m.counting())
            .map(ReportMetric::key)
            .collect(),
    }
}

/// The requested metrics of a row, every one present (zero included): integers,
/// except money, a decimal string in the organization's currency.
struct MetricValues<'a> {
    metrics: &'a [ReportMetric],
    /// The row's value of each of `metrics`, in their order.
    values: &'a [i128],
    currency: &'a tally_core::Currency,
}

impl Serialize for MetricValues<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.metrics.len()))?;
        for (metric, &value) in self.metrics.iter().zip(self.values) {
            match metric.unit() {
                Unit::Money => {
                    map.serialize_entry(metric.key(), &self.currency.from_minor(value).to_string())?
                }
                _ => map.serialize_entry(metric.key(), &value)?,
            }
        }
        map.end()
    }
}
