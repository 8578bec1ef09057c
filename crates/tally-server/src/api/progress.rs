//! Progress views over a range (`period`, default `today`, or `from`/`to`):
//! `GET /api/v1/goals/{id}/progress` (by goal), `/api/v1/progress/employees` and
//! `/api/v1/progress/teams`; each as JSON, CSV or XLSX (`format`), with metric names
//! and headers in Vietnamese or English (`lang`). Also the frozen results of a goal's
//! closed periods, `GET /api/v1/goals/{id}/results`.
//!
//! The views are the application's (`tally_app::views`); [`json`] writes them as the
//! JSON of `docs/api.md`, and the exports write the very same rows.

use super::openapi;
use super::query::{PathId, QueryParams, compare, only_known, page, report_range};
use crate::AppState;
use crate::auth::Auth;
use crate::error::ApiError;
use crate::export::{self, Column, DailyCells, ExportFormat, Lang, PERSON_COLUMNS, TEAM_COLUMNS};
use axum::Json;
use axum::extract::State;
use axum::response::Response;
use tally_app::views::ProgressView;
use tally_core::views::{Subject, in_unit};
use tally_core::{Day, DayRange, Measure, Quantity};

mod json;

pub use json::{ResultsJson, ViewJson};

/// The range of a view and what it is compared with.
const RANGE: [&str; 4] = ["period", "from", "to", "compare"];

/// The longest range an XLSX export covers (a year and its per-day sheet).
const MAX_XLSX_DAYS: u32 = 366;

/// `GET /api/v1/goals/{id}/progress[?user_id=…]`: each assignee × criterion, and scores.
#[utoipa::path(get, path = "/api/v1/goals/{id}/progress", tag = "progress",
    params(("id" = String, Path), openapi::RangeParams, openapi::CompareParams, openapi::ExportParams,
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
    let (format, lang) = export::format_and_lang(&params)?;
    let range = report_range(&params, state.app.org())?;
    let user = params.get("user_id").map(String::as_str);
    let view = state
        .app
        .goal_view(&caller, &id, range, compare(&params)?, user)
        .await?;
    let stem = format!("kpi-{id}");
    answer(&state, format, lang, &stem, PERSON_COLUMNS, view).await
}

/// `GET /api/v1/progress/employees[?user_id=…][&team_id=…]`: every criterion of every
/// goal that applies to each employee (directly or through a team).
#[utoipa::path(get, path = "/api/v1/progress/employees", tag = "progress",
    params(openapi::RangeParams, openapi::CompareParams, openapi::ExportParams,
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
    let (format, lang) = export::format_and_lang(&params)?;
    let range = report_range(&params, state.app.org())?;
    let user = params.get("user_id").map(String::as_str);
    let team = params.get("team_id").map(String::as_str);
    let view = state
        .app
        .employees_view(&caller, range, compare(&params)?, user, team)
        .await?;
    answer(&state, format, lang, "kpi-employees", PERSON_COLUMNS, view).await
}

/// `GET /api/v1/progress/users`: the employees view under the name of its report
/// (`/reports/users`).
#[utoipa::path(get, path = "/api/v1/progress/users", tag = "progress",
    params(openapi::RangeParams, openapi::CompareParams, openapi::ExportParams,
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
    params(openapi::RangeParams, openapi::CompareParams, openapi::ExportParams,
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
    let (format, lang) = export::format_and_lang(&params)?;
    let range = report_range(&params, state.app.org())?;
    let team = params.get("team_id").map(String::as_str);
    let view = state
        .app
        .teams_view(&caller, range, compare(&params)?, team)
        .await?;
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
    let columns = &export::comparing(columns, view.compare);
    match format {
        ExportFormat::Json => body.into_response(),
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
    let mut metrics: Vec<Measure> = view.daily.iter().flat_map(|d| d.metrics.clone()).collect();
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
            for (day, values) in days.iter().filter(|(_, v)| v.get(metric) != 0) {
                let raw = values.get(metric);
                let unit = metric.unit();
                let actual = Quantity::of(unit, in_unit(unit, raw, currency), currency);
                rows.push([
                    user.clone(),
                    team.clone(),
                    daily.name.clone(),
                    daily.goal.clone().unwrap_or_default(),
                    metric.key().to_owned(),
                    metric_name.to_owned(),
                    day.to_string(),
                    actual.to_string(),
                ]);
            }
        }
    }
    Ok(rows)
}
