//! Progress views over a range (`period`, default `today`, or `from`/`to`):
//! `GET /api/v1/goals/{id}/progress` (by goal), `/api/v1/progress/employees` and
//! `/api/v1/progress/teams`; each as JSON, CSV or XLSX (`format`), with metric names
//! and headers in Vietnamese or English (`lang`). Also the frozen results of a goal's
//! closed periods, `GET /api/v1/goals/{id}/results`.
//!
//! The views are the application's (`tally_app::views`); here they become the JSON of
//! `docs/api.md`, and the exports write the very same rows.

use super::openapi;
use super::query::{PathId, QueryParams, only_known, page, report_range};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::export::{
    self, Cells, Column, DailyCells, ExportFormat, Lang, PERSON_COLUMNS, TEAM_COLUMNS,
};
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use tally_app::results::{FrozenResult, ResultsPage};
use tally_app::views::{ProgressView, ViewKind};
use tally_core::goal::{number_json, quantity_json, round};
use tally_core::views::{Row, Score, Subject, in_unit};
use tally_core::{Currency, Day, DayRange, Metric, Organization};
use utoipa::ToSchema;

const RANGE: [&str; 3] = ["period", "from", "to"];

/// The longest range an XLSX export covers (a year and its per-day sheet).
const MAX_XLSX_DAYS: u32 = 366;

/// `GET /api/v1/goals/{id}/progress[?user_id=…]`: each assignee × criterion, and scores.
#[utoipa::path(get, path = "/api/v1/goals/{id}/progress", tag = "progress",
    params(("id" = String, Path), openapi::RangeParams, openapi::ExportParams,
        ("user_id" = Option<String>, Query, description = "Only this assignee")),
    responses((status = 200, description = "The view; with `format=csv` or `xlsx`, its rows as a file",
        content((ViewJson = "application/json"), (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        openapi::Refusals))]
pub async fn by_goal(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
    QueryParams(params): QueryParams,
) -> Result<Response, ApiError> {
    only_known(
        &params,
        &[&RANGE[..], &["user_id", "format", "lang"]].concat(),
    )?;
    let (format, lang) = (
        ExportFormat::parse(params.get("format"))?,
        Lang::parse(params.get("lang"))?,
    );
    let range = report_range(&params, state.app.org())?;
    let user = params.get("user_id").map(String::as_str);
    let view = state.app.goal_view(&caller, &id, range, user).await?;
    let stem = format!("kpi-{id}");
    answer(&state, format, lang, &stem, PERSON_COLUMNS, view).await
}

/// `GET /api/v1/progress/employees[?user_id=…][&team_id=…]`: every criterion of every
/// goal that applies to each employee (directly or through a team).
#[utoipa::path(get, path = "/api/v1/progress/employees", tag = "progress",
    params(openapi::RangeParams, openapi::ExportParams,
        ("user_id" = Option<String>, Query, description = "Only this employee"),
        ("team_id" = Option<String>, Query, description = "Only this team's members")),
    responses((status = 200, description = "The view; with `format=csv` or `xlsx`, its rows as a file",
        content((ViewJson = "application/json"), (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        openapi::Refusals))]
pub async fn by_employee(
    State(state): State<AppState>,
    Auth(caller): Auth,
    QueryParams(params): QueryParams,
) -> Result<Response, ApiError> {
    only_known(
        &params,
        &[&RANGE[..], &["user_id", "team_id", "format", "lang"]].concat(),
    )?;
    let (format, lang) = (
        ExportFormat::parse(params.get("format"))?,
        Lang::parse(params.get("lang"))?,
    );
    let range = report_range(&params, state.app.org())?;
    let user = params.get("user_id").map(String::as_str);
    let team = params.get("team_id").map(String::as_str);
    let view = state.app.employees_view(&caller, range, user, team).await?;
    answer(&state, format, lang, "kpi-employees", PERSON_COLUMNS, view).await
}

/// `GET /api/v1/progress/users`: the employees view under the name of its report
/// (`/reports/users`).
#[utoipa::path(get, path = "/api/v1/progress/users", tag = "progress",
    params(openapi::RangeParams, openapi::ExportParams,
        ("user_id" = Option<String>, Query, description = "Only this employee"),
        ("team_id" = Option<String>, Query, description = "Only this team's members")),
    responses((status = 200, description = "The view; with `format=csv` or `xlsx`, its rows as a file",
        content((ViewJson = "application/json"), (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        openapi::Refusals))]
pub async fn by_user(
    state: State<AppState>,
    auth: Auth,
    params: QueryParams,
) -> Result<Response, ApiError> {
    by_employee(state, auth, params).await
}

/// `GET /api/v1/progress/teams[?team_id=…]`: each team against its own target or the
/// sum of its members' targets.
#[utoipa::path(get, path = "/api/v1/progress/teams", tag = "progress",
    params(openapi::RangeParams, openapi::ExportParams,
        ("team_id" = Option<String>, Query, description = "Only this team")),
    responses((status = 200, description = "The view; with `format=csv` or `xlsx`, its rows as a file",
        content((ViewJson = "application/json"), (String = "text/csv"),
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        openapi::Refusals))]
pub async fn by_team(
    State(state): State<AppState>,
    Auth(caller): Auth,
    QueryParams(params): QueryParams,
) -> Result<Response, ApiError> {
    only_known(
        &params,
        &[&RANGE[..], &["team_id", "format", "lang"]].concat(),
    )?;
    let (format, lang) = (
        ExportFormat::parse(params.get("format"))?,
        Lang::parse(params.get("lang"))?,
    );
    let range = report_range(&params, state.app.org())?;
    let team = params.get("team_id").map(String::as_str);
    let view = state.app.teams_view(&caller, range, team).await?;
    answer(&state, format, lang, "kpi-teams", TEAM_COLUMNS, view).await
}

/// How many results a page of `/goals/{id}/results` holds, unless `limit` says.
const RESULTS_PAGE: i64 = 1_000;

/// The most results one page may hold.
const MAX_RESULTS_PAGE: i64 = 10_000;

/// `GET /api/v1/goals/{id}/results[?from=…&to=…][&user_id=…][&limit=…&offset=…]`: the
/// frozen result of each closed period, with today's actual for the same days next to
/// it, flagged when it changed since; a page at a time, with the total.
#[utoipa::path(get, path = "/api/v1/goals/{id}/results", tag = "goals",
    params(("id" = String, Path),
        ("from" = Option<String>, Query, format = Date), ("to" = Option<String>, Query, format = Date),
        ("user_id" = Option<String>, Query), ("limit" = Option<u32>, Query, description = "At most 10,000; default 1,000"),
        ("offset" = Option<u64>, Query)),
    responses((status = 200, description = "The answer", body = ResultsJson), openapi::Refusals))]
pub async fn results(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
    QueryParams(params): QueryParams,
) -> Result<Json<ResultsJson>, ApiError> {
    only_known(&params, &["from", "to", "user_id", "limit", "offset"])?;
    let page = page(&params, RESULTS_PAGE, MAX_RESULTS_PAGE)?;
    let day = |field: &str, default: Day| -> Result<Day, ApiError> {
        params.get(field).map_or(Ok(default), |s| {
            s.parse().map_err(|e: tally_core::calendar::InvalidDay| {
                ApiError::invalid(field, e.to_string())
            })
        })
    };
    let range = DayRange::new(
        day("from", Day::from_number(-1_000_000))?,
        day("to", Day::from_number(1_000_000))?,
    )
    .ok_or_else(|| ApiError::invalid("to", "must not be before from"))?;
    let user = params.get("user_id").map(String::as_str);
    let results = state
        .app
        .goal_results(&caller, &id, range, user, page)
        .await?;
    Ok(Json(ResultsJson::of(results, &state.app.org().currency)))
}

/// A view's JSON: its range, the previous range, and its rows and scores.
#[derive(Serialize, ToSchema)]
pub struct ViewJson {
    from: String,
    to: String,
    previous_from: String,
    previous_to: String,
    timezone: String,
    currency: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    goal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    goal_name: Option<String>,
    rows: Vec<RowJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scores: Option<Vec<ScoreJson>>,
}

impl ViewJson {
    pub fn of(view: &ProgressView, org: &Organization, lang: Lang) -> ViewJson {
        let currency = &org.currency;
        ViewJson {
            from: view.range.from.to_string(),
            to: view.range.to.to_string(),
            previous_from: view.previous.from.to_string(),
            previous_to: view.previous.to.to_string(),
            timezone: org.calendar.time_zone_name().to_owned(),
            currency: currency.code.clone(),
            goal_id: view.goal.as_ref().map(|(id, _)| id.clone()),
            goal_name: view.goal.as_ref().map(|(_, name)| name.clone()),
            rows: view
                .rows
                .iter()
                .map(|r| RowJson::of(r, currency, lang))
                .collect(),
            scores: (view.kind != ViewKind::Teams)
                .then(|| view.scores.iter().map(ScoreJson::of).collect()),
        }
    }
}

/// One row: counts and seconds are numbers, money a decimal string in the
/// organization's currency, fractions (completion, change %) decimal strings.
#[derive(Serialize, ToSchema)]
pub struct RowJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team_id: Option<String>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    goal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    goal_name: Option<String>,
    metric: &'static str,
    metric_name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<openapi::Quantity>)]
    weight: Option<Value>,
    days: u32,
    #[schema(value_type = openapi::Quantity)]
    actual: Value,
    #[schema(value_type = openapi::Quantity)]
    target: Value,
    completion: Option<String>,
    grade: Option<&'static str>,
    rank: Option<u32>,
    #[schema(value_type = openapi::Quantity)]
    previous: Value,
    #[schema(value_type = openapi::Quantity)]
    change: Value,
    change_pct: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pace: Option<PaceJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_source: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<openapi::Quantity>)]
    team_target: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<openapi::Quantity>)]
    members_target: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    targets_disagree: Option<bool>,
}

#[derive(Serialize, ToSchema)]
struct PaceJson {
    #[schema(value_type = openapi::Quantity)]
    expected: Value,
    #[schema(value_type = openapi::Quantity)]
    projected: Value,
    status: &'static str,
}

/// A fraction as a decimal string, to 4 places ("0.75", "1.2").
fn fraction(value: Decimal) -> String {
    round(value, 4).normalize().to_string()
}

impl RowJson {
    fn of(row: &Row, currency: &Currency, lang: Lang) -> RowJson {
        let metric = row.metric;
        let quantity = |value: Decimal| quantity_json(metric, value, currency);
        let actual = in_unit(metric, row.actual, currency);
        let previous = in_unit(metric, row.previous, currency);
        let change = actual - previous;
        let (user_id, team_id) = match &row.subject {
            Subject::User(id) => (Some(id.clone()), None),
            Subject::Team(id) => (None, Some(id.clone())),
        };
        let targets = row.team_targets.as_ref();
        RowJson {
            user_id,
            team_id,
            name: row.name.clone(),
            goal_id: row.goal.as_ref().map(|(id, _)| id.clone()),
            goal_name: row.goal.as_ref().map(|(_, name)| name.clone()),
            metric: metric.key(),
            metric_name: match lang {
                Lang::Vi => metric.name_vi(),
                Lang::En => metric.name_en(),
            },
            period: row.period.map(|p| p.as_str()),
            weight: row.weight.map(number_json),
            days: row.days,
            actual: quantity(actual),
            target: quantity(row.target),
            completion: row.completion.map(fraction),
            grade: row.grade.map(|g| g.as_str()),
            rank: row.rank,
            previous: quantity(previous),
            change: quantity(change),
            change_pct: (!previous.is_zero()).then(|| fraction(change / previous)),
            pace: row.pace.as_ref().map(|p| PaceJson {
                expected: quantity(p.expected),
                projected: quantity(p.projected),
                status: p.status.as_str(),
            }),
            target_source: targets.map(|t| t.source),
            team_target: targets.and_then(|t| t.team).map(quantity),
            members_target: targets.and_then(|t| t.members).map(quantity),
            targets_disagree: targets.map(|t| t.disagree),
        }
    }
}

/// A cell of an export: the row's JSON value, as text.
impl Cells for RowJson {
    fn cell(&self, key: &str) -> String {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let value = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let pace = self.pace.as_ref();
        match key {
            "user_id" => text(&self.user_id),
            "team_id" => text(&self.team_id),
            "name" => self.name.clone(),
            "goal_id" => text(&self.goal_id),
            "goal_name" => text(&self.goal_name),
            "metric" => self.metric.to_owned(),
            "metric_name" => self.metric_name.to_owned(),
            "period" => self.period.unwrap_or_default().to_owned(),
            "weight" => self.weight.as_ref().map(value).unwrap_or_default(),
            "days" => self.days.to_string(),
            "actual" => value(&self.actual),
            "target" => value(&self.target),
            "completion" => text(&self.completion),
            "grade" => self.grade.unwrap_or_default().to_owned(),
            "rank" => self.rank.map(|r| r.to_string()).unwrap_or_default(),
            "previous" => value(&self.previous),
            "change" => value(&self.change),
            "change_pct" => text(&self.change_pct),
            "pace/expected" => pace.map(|p| value(&p.expected)).unwrap_or_default(),
            "pace/projected" => pace.map(|p| value(&p.projected)).unwrap_or_default(),
            "pace/status" => pace.map(|p| p.status.to_owned()).unwrap_or_default(),
            "target_source" => self.target_source.unwrap_or_default().to_owned(),
            "team_target" => self.team_target.as_ref().map(value).unwrap_or_default(),
            "members_target" => self.members_target.as_ref().map(value).unwrap_or_default(),
            "targets_disagree" => self
                .targets_disagree
                .map(|d| d.to_string())
                .unwrap_or_default(),
            _ => String::new(),
        }
    }
}

/// An assignee's weighted score on a goal.
#[derive(Serialize, ToSchema)]
pub struct ScoreJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team_id: Option<String>,
    name: String,
    goal_id: String,
    score: String,
    grade: &'static str,
    rank: Option<u32>,
}

impl ScoreJson {
    fn of(score: &Score) -> ScoreJson {
        let (user_id, team_id) = match &score.subject {
            Subject::User(id) => (Some(id.clone()), None),
            Subject::Team(id) => (None, Some(id.clone())),
        };
        ScoreJson {
            user_id,
            team_id,
            name: score.name.clone(),
            goal_id: score.goal.0.clone(),
            score: fraction(score.score),
            grade: score.grade.as_str(),
            rank: score.rank,
        }
    }
}

/// A page of a goal's frozen results.
#[derive(Serialize, ToSchema)]
pub struct ResultsJson {
    goal_id: String,
    total: i64,
    limit: i64,
    offset: i64,
    results: Vec<ResultJson>,
}

#[derive(Serialize, ToSchema)]
pub struct ResultJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team_id: Option<String>,
    name: String,
    period_from: String,
    period_to: String,
    metric: &'static str,
    revision: i64,
    #[schema(value_type = openapi::Quantity)]
    target: Value,
    #[schema(value_type = openapi::Quantity)]
    actual: Value,
    achieved: bool,
    #[schema(value_type = String, format = DateTime)]
    closed_at: Value,
    #[schema(value_type = openapi::Quantity)]
    current_actual: Value,
    changed: bool,
}

impl ResultsJson {
    fn of(page: ResultsPage, currency: &Currency) -> ResultsJson {
        ResultsJson {
            goal_id: page.goal_id,
            total: page.total,
            limit: page.page.limit,
            offset: page.page.offset,
            results: page
                .results
                .into_iter()
                .map(|r| ResultJson::of(r, currency))
                .collect(),
        }
    }
}

impl ResultJson {
    fn of(result: FrozenResult, currency: &Currency) -> ResultJson {
        let metric = result.metric;
        let amount = |raw| quantity_json(metric, in_unit(metric, raw, currency), currency);
        let (user_id, team_id) = match result.subject {
            Subject::User(id) => (Some(id), None),
            Subject::Team(id) => (None, Some(id)),
        };
        ResultJson {
            user_id,
            team_id,
            name: result.name,
            period_from: result.period.from.to_string(),
            period_to: result.period.to.to_string(),
            metric: metric.key(),
            revision: result.revision,
            target: quantity_json(metric, result.target, currency),
            actual: amount(result.actual),
            achieved: result.achieved,
            closed_at: super::json::micros_json(result.closed_at),
            current_actual: amount(result.current_actual),
            changed: result.current_actual != result.actual,
        }
    }
}

/// Answers a view in the requested format: the JSON, or its rows as CSV or XLSX.
async fn answer(
    state: &AppState,
    format: ExportFormat,
    lang: Lang,
    stem: &str,
    columns: &[Column],
    view: ProgressView,
) -> Result<Response, ApiError> {
    let body = ViewJson::of(&view, state.app.org(), lang);
    match format {
        ExportFormat::Json => Ok(Json(body).into_response()),
        ExportFormat::Csv => Ok(export::download(
            format,
            stem,
            export::csv(columns, &body.rows, lang)?,
        )),
        ExportFormat::Xlsx if view.range.len() > MAX_XLSX_DAYS => Err(ApiError::invalid(
            "to",
            format!("an XLSX export, with its per-day sheet, covers at most {MAX_XLSX_DAYS} days"),
        )),
        ExportFormat::Xlsx => {
            let daily = daily_rows(state, lang, &view).await?;
            Ok(export::download(
                format,
                stem,
                export::xlsx(columns, &body.rows, &daily, lang)?,
            ))
        }
    }
}

/// The per-day breakdown: a row per subject, metric and day with data.
async fn daily_rows(
    state: &AppState,
    lang: Lang,
    view: &ProgressView,
) -> Result<Vec<DailyCells>, ApiError> {
    let groups: Vec<_> = view.daily.iter().map(|d| d.group.clone()).collect();
    let mut metrics: Vec<Metric> = view.daily.iter().flat_map(|d| d.metrics.clone()).collect();
    metrics.sort();
    metrics.dedup();
    let values = state
        .app
        .daily_values(view.data_version, view.range, &groups, &metrics)
        .await?;
    let mut by_group = vec![Vec::new(); view.daily.len()];
    for day_values in values {
        by_group[day_values.group].push((day_values.day, day_values.values));
    }
    let currency = &state.app.org().currency;
    let mut rows = Vec::new();
    for (daily, days) in view.daily.iter().zip(by_group) {
        let (user, team) = match &daily.subject {
            Subject::User(id) => (id.clone(), String::new()),
            Subject::Team(id) => (String::new(), id.clone()),
        };
        for metric in &daily.metrics {
            let metric_name = match lang {
                Lang::Vi => metric.name_vi(),
                Lang::En => metric.name_en(),
            };
            for (day, values) in days.iter().filter(|(_, v)| v.get(*metric) != 0) {
                let raw = values.get(*metric);
                let actual = match quantity_json(*metric, in_unit(*metric, raw, currency), currency)
                {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                rows.push([
                    user.clone(),
                    team.clone(),
                    daily.name.clone(),
                    daily.goal.clone().unwrap_or_default(),
                    metric.key().to_owned(),
                    metric_name.to_owned(),
                    day.to_string(),
                    actual,
                ]);
            }
        }
    }
    Ok(rows)
}
