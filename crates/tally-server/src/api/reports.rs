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
use tally_app::custom_metrics::StoredMetric;
use tally_app::reports::ReportRow;
use tally_core::metric::Unit;
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
    let metrics = requested_metrics(&params, &state).await?;
    let user = params.get("user_id").map(String::as_str);
    let team = params.get("team_id").map(String::as_str);
    let rows = state.app.users_report(&caller, range, user, team).await?;
    let custom = custom_values(&metrics, range, &rows, &state).await?;
    json_response(&report(range, &rows, (&metrics, &custom), &state))
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
    let metrics = requested_metrics(&params, &state).await?;
    let team = params.get("team_id").map(String::as_str);
    let rows = state.app.teams_report(&caller, range, team).await?;
    let custom = custom_values(&metrics, range, &rows, &state).await?;
    json_response(&report(range, &rows, (&metrics, &custom), &state))
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

fn report<'a>(
    range: DayRange,
    rows: &'a [ReportRow],
    (metrics, custom): (&'a Requested, &'a [Vec<i128>]),
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
            .zip(custom)
            .map(|(row, custom)| {
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
                        custom,
                        metrics,
                        currency,
                    },
                }
            })
            .collect(),
        counting: metrics
            .custom
            .iter()
            .filter(|m| m.counting())
            .map(|m| m.metric.key.as_str())
            .collect(),
    }
}

/// The metrics a report asks for, in the order asked: built in, or custom (an index
/// into `custom`).
struct Requested {
    columns: Vec<Column>,
    custom: Vec<StoredMetric>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    BuiltIn(Metric),
    Custom(usize),
}

/// The requested metrics: every metric of `metrics=a,b` (built in or custom), else
/// the 18 built in.
async fn requested_metrics(
    params: &HashMap<String, String>,
    state: &AppState,
) -> Result<Requested, ApiError> {
    let mut requested = Requested {
        columns: Vec::new(),
        custom: Vec::new(),
    };
    let Some(list) = params.get("metrics").filter(|l| !l.trim().is_empty()) else {
        requested.columns = Metric::ALL.into_iter().map(Column::BuiltIn).collect();
        return Ok(requested);
    };
    let mut defined: Option<Vec<StoredMetric>> = None;
    for key in list.split(',').map(str::trim).filter(|k| !k.is_empty()) {
        let column = match key.parse::<Metric>() {
            Ok(metric) => Column::BuiltIn(metric),
            Err(unknown) => {
                let defined = match &mut defined {
                    Some(defined) => defined,
                    None => defined.insert(state.app.custom_metrics().await?),
                };
                let metric = defined
                    .iter()
                    .find(|m| m.metric.key == key)
                    .ok_or_else(|| ApiError::invalid("metrics", unknown.to_string()))?;
                let index = requested.custom.iter().position(|m| m.id == metric.id);
                Column::Custom(index.unwrap_or_else(|| {
                    requested.custom.push(metric.clone());
                    requested.custom.len() - 1
                }))
            }
        };
        if !requested.columns.contains(&column) {
            requested.columns.push(column);
        }
    }
    Ok(requested)
}

/// Each row's values of the requested custom metrics, in their order.
async fn custom_values(
    metrics: &Requested,
    range: DayRange,
    rows: &[ReportRow],
    state: &AppState,
) -> Result<Vec<Vec<i128>>, ApiError> {
    let mut values = vec![Vec::with_capacity(metrics.custom.len()); rows.len()];
    for metric in &metrics.custom {
        let column = state.app.custom_values(metric, range, rows).await?;
        for (row, value) in values.iter_mut().zip(column) {
            row.push(value);
        }
    }
    Ok(values)
}

/// The requested metrics of a row, every one present (zero included): integers,
/// except money, a decimal string in the organization's currency.
struct MetricValues<'a> {
    values: Values,
    /// The row's values of `metrics.custom`, in its order.
    custom: &'a [i128],
    metrics: &'a Requested,
    currency: &'a tally_core::Currency,
}

impl Serialize for MetricValues<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.metrics.columns.len()))?;
        for column in &self.metrics.columns {
            let (key, unit, value) = match *column {
                Column::BuiltIn(metric) => (metric.key(), metric.unit(), self.values.get(metric)),
                Column::Custom(index) => {
                    let metric = &self.metrics.custom[index].metric;
                    let value = self.custom.get(index).copied().unwrap_or_default();
                    (metric.key.as_str(), metric.unit(), value)
                }
            };
            match unit {
                Unit::Money => {
                    map.serialize_entry(key, &self.currency.from_minor(value).to_string())?
                }
                _ => map.serialize_entry(key, &value)?,
            }
        }
        map.end()
    }
}
