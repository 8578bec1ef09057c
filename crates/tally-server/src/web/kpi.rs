//! The KPI report page (by goal, by employee, by team), its live fragment, and the
//! wallboard. The rows are the JSON API's rows (`api::progress` views), formatted for
//! people; the trend charts read the per-day rollups of the people shown.

use super::format;
use super::session::encode;
use super::{Chrome, PageError, Viewer, render};
use crate::AppState;
use crate::api::goals::read_scope_of;
use crate::api::progress::{View, current_goals, employee_view, goal_view, team_view, user_filter};
use crate::api::query::report_range;
use crate::error::ApiError;
use crate::export::Lang;
use crate::progress::{Context, Goal, Subject, daily_values};
use crate::scope::Scope;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;
use tally_core::{Day, DayRange, Metric};

/// The shortest span a trend chart shows (a one-day report charts the last 14 days).
const MIN_TREND_DAYS: u32 = 14;

/// What the page shows, from its query string.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    /// `goal`, `employee` (the default) or `team`.
    pub view: String,
    /// `today` (the default), `this_week`, `this_month`, or `custom` with `from`/`to`.
    pub period: String,
    pub from: String,
    pub to: String,
    pub user_id: String,
    pub team_id: String,
    pub goal_id: String,
}

impl Selection {
    fn of(query: &HashMap<String, String>) -> Selection {
        let get = |k: &str| {
            query
                .get(k)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        let view = match get("view").as_str() {
            v @ ("goal" | "team") => v.to_owned(),
            _ => "employee".to_owned(),
        };
        // Dates typed in the range picker win over a period link.
        let period = match get("period").as_str() {
            _ if !get("from").is_empty() || !get("to").is_empty() => "custom".to_owned(),
            p @ ("this_week" | "this_month" | "yesterday" | "last_week" | "last_month") => {
                p.to_owned()
            }
            _ => "today".to_owned(),
        };
        Selection {
            view,
            period,
            from: get("from"),
            to: get("to"),
            user_id: get("user_id"),
            team_id: get("team_id"),
            goal_id: get("goal_id"),
        }
    }

    /// The query string for the range alone.
    fn range_query(&self) -> String {
        if self.period == "custom" {
            format!("from={}&to={}", encode(&self.from), encode(&self.to))
        } else {
            format!("period={}", self.period)
        }
    }

    /// The query string of this selection, with `view` replaced.
    pub fn query_with_view(&self, view: &str) -> String {
        let mut query = format!("view={view}&{}", self.range_query());
        for (key, value) in [
            ("user_id", &self.user_id),
            ("team_id", &self.team_id),
            ("goal_id", &self.goal_id),
        ] {
            if !value.is_empty() {
                query.push_str(&format!("&{key}={}", encode(value)));
            }
        }
        query
    }

    /// The query string of this selection, with the range replaced.
    pub fn query_with_period(&self, period: &str) -> String {
        let moved = Selection {
            period: period.to_owned(),
            ..self.clone()
        };
        moved.query_with_view(&self.view)
    }

    pub fn query(&self) -> String {
        self.query_with_view(&self.view)
    }

    /// The range parameters as the API reads them.
    fn range_params(&self) -> HashMap<String, String> {
        let mut params = HashMap::new();
        if self.period == "custom" {
            params.insert("from".to_owned(), self.from.clone());
            params.insert("to".to_owned(), self.to.clone());
        } else {
            params.insert("period".to_owned(), self.period.clone());
        }
        params
    }
}

/// A choice in a filter.
pub struct Choice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// A row of the table, formatted.
pub struct RowView {
    pub subject: String,
    pub is_team: bool,
    pub name: String,
    pub goal_name: String,
    pub metric: String,
    pub metric_name: String,
    pub actual: String,
    pub target: String,
    /// 0–100, for the progress bar.
    pub bar: u32,
    pub completion: String,
    pub grade: String,
    pub pace: String,
    pub pace_label: String,
    pub change: String,
    /// `up`, `down` or `flat`.
    pub trend: &'static str,
}

/// A place on the leaderboard.
pub struct Standing {
    pub rank: i64,
    pub name: String,
    pub goal_name: String,
    pub score: String,
    pub grade: String,
}

/// The live part of the page: rows, leaderboard and charts.
pub struct Report {
    pub range_text: String,
    pub previous_text: String,
    pub error: Option<String>,
    pub rows: Vec<RowView>,
    pub standings: Vec<Standing>,
    pub charts_json: String,
    pub as_of: String,
}

#[derive(Template)]
#[template(path = "kpi.html")]
struct KpiPage {
    chrome: Chrome,
    sel: Selection,
    users: Vec<Choice>,
    teams: Vec<Choice>,
    goals: Vec<Choice>,
    downloads: Vec<(&'static str, String)>,
    report: Report,
}

#[derive(Template)]
#[template(path = "kpi_report.html")]
struct ReportFragment {
    chrome: Chrome,
    sel: Selection,
    report: Report,
}

#[derive(Template)]
#[template(path = "wallboard.html")]
struct WallboardPage {
    chrome: Chrome,
    sel: Selection,
    report: Report,
}

#[derive(Template)]
#[template(path = "wallboard_board.html")]
struct BoardFragment {
    chrome: Chrome,
    report: Report,
}

/// `GET /kpi`: the report page.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let sel = Selection::of(&query);
    let scope = read_scope_of(&state, &viewer.caller).await?;
    let goals = current_goals(&state, &scope).await?;
    let sel = with_default_goal(sel, &goals);
    let report = build(&state, &viewer, &scope, &goals, &sel).await?;
    let users = state.store.users().await?;
    let teams = state.store.teams().await?;
    let choice = |id: &str, name: &str, chosen: &str| Choice {
        id: id.to_owned(),
        name: name.to_owned(),
        selected: id == chosen,
    };
    let page = KpiPage {
        chrome: viewer.chrome("kpi", &format!("/kpi?{}", sel.query())),
        users: users
            .iter()
            .filter(|u| u.active && scope.sees_user(&u.id))
            .map(|u| choice(&u.id, &u.name, &sel.user_id))
            .collect(),
        teams: teams
            .iter()
            .filter(|t| scope.sees_team(&t.id))
            .map(|t| choice(&t.id, &t.name, &sel.team_id))
            .collect(),
        goals: goals
            .iter()
            .map(|g| choice(&g.record.id, &g.spec.name, &sel.goal_id))
            .collect(),
        downloads: downloads(&sel, viewer.lang),
        report,
        sel,
    };
    render(&page)
}

/// `GET /kpi/report`: the live part alone, fetched again on each change.
pub async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let sel = Selection::of(&query);
    let scope = read_scope_of(&state, &viewer.caller).await?;
    let goals = current_goals(&state, &scope).await?;
    let sel = with_default_goal(sel, &goals);
    let report = build(&state, &viewer, &scope, &goals, &sel).await?;
    render(&ReportFragment {
        chrome: viewer.chrome("kpi", "/kpi"),
        sel,
        report,
    })
}

/// `GET /wallboard`: the full-screen leaderboard for the call floor.
pub async fn wallboard(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let sel = Selection::of(&query);
    let report = board_report(&state, &viewer, &sel).await?;
    render(&WallboardPage {
        chrome: viewer.chrome("wallboard", &format!("/wallboard?{}", sel.range_query())),
        sel,
        report,
    })
}

/// `GET /wallboard/board`: the wallboard's live part.
pub async fn board(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let sel = Selection::of(&query);
    let report = board_report(&state, &viewer, &sel).await?;
    render(&BoardFragment {
        chrome: viewer.chrome("wallboard", "/wallboard"),
        report,
    })
}

/// `GET /live`: the change feed (signed-in pages only).
pub async fn live(State(state): State<AppState>, _viewer: Viewer) -> Response {
    crate::live::events(&state).into_response()
}

async fn board_report(
    state: &AppState,
    viewer: &Viewer,
    sel: &Selection,
) -> Result<Report, PageError> {
    let scope = read_scope_of(state, &viewer.caller).await?;
    let goals = current_goals(state, &scope).await?;
    let sel = Selection {
        view: "employee".into(),
        user_id: String::new(),
        team_id: String::new(),
        ..sel.clone()
    };
    build(state, viewer, &scope, &goals, &sel).await
}

/// The goal view shows the chosen goal, else the first one.
fn with_default_goal(sel: Selection, goals: &[Goal]) -> Selection {
    if sel.view != "goal" || goals.iter().any(|g| g.record.id == sel.goal_id) {
        return sel;
    }
    Selection {
        goal_id: goals
            .first()
            .map(|g| g.record.id.clone())
            .unwrap_or_default(),
        ..sel
    }
}

/// The download links of the current view: the API's own exports.
fn downloads(sel: &Selection, lang: Lang) -> Vec<(&'static str, String)> {
    let lang = match lang {
        Lang::Vi => "vi",
        Lang::En => "en",
    };
    let (path, filters): (String, Vec<(&str, &String)>) = match sel.view.as_str() {
        "goal" => (
            format!("/api/v1/goals/{}/progress", encode(&sel.goal_id)),
            vec![("user_id", &sel.user_id)],
        ),
        "team" => (
            "/api/v1/progress/teams".into(),
            vec![("team_id", &sel.team_id)],
        ),
        _ => (
            "/api/v1/progress/employees".into(),
            vec![("user_id", &sel.user_id), ("team_id", &sel.team_id)],
        ),
    };
    let mut query = sel.range_query();
    for (key, value) in filters.into_iter().filter(|(_, v)| !v.is_empty()) {
        query.push_str(&format!("&{key}={}", encode(value)));
    }
    ["csv", "xlsx"]
        .into_iter()
        .map(|format| {
            let label = if format == "csv" {
                "CSV"
            } else {
                "Excel (XLSX)"
            };
            (label, format!("{path}?{query}&format={format}&lang={lang}"))
        })
        .collect()
}

/// Computes the view the selection asks for, and formats it.
async fn build(
    state: &AppState,
    viewer: &Viewer,
    scope: &Scope,
    goals: &[Goal],
    sel: &Selection,
) -> Result<Report, PageError> {
    let (range, error) = match report_range(&sel.range_params(), &state.org) {
        Ok(range) => (range, None),
        Err(e) => (
            report_range(&HashMap::new(), &state.org)?,
            Some(e.to_string()),
        ),
    };
    let ctx = Context::load(state, range).await?;
    let lang = viewer.lang;
    let view = match compute(state, &ctx, scope, goals, sel, lang).await {
        Ok(view) => view,
        Err(e @ (ApiError::Forbidden(_) | ApiError::NotFound(_) | ApiError::Invalid { .. })) => {
            let mut report = format_view(
                &ctx,
                lang,
                goals,
                View {
                    body: Default::default(),
                    daily: Vec::new(),
                },
            );
            report.error = Some(e.to_string());
            return Ok(report);
        }
        Err(e) => return Err(e.into()),
    };
    let mut report = format_view(&ctx, lang, goals, view);
    report.error = error;
    report.charts_json = trend(state, &ctx, &report, lang).await?.to_string();
    Ok(report)
}

async fn compute(
    state: &AppState,
    ctx: &Context<'_>,
    scope: &Scope,
    goals: &[Goal],
    sel: &Selection,
    lang: Lang,
) -> Result<View, ApiError> {
    let mut params = HashMap::new();
    if !sel.user_id.is_empty() {
        params.insert("user_id".to_owned(), sel.user_id.clone());
    }
    let team = (!sel.team_id.is_empty()).then_some(sel.team_id.as_str());
    match sel.view.as_str() {
        "team" => team_view(state, ctx, scope, team, lang).await,
        "goal" => {
            let Some(goal) = goals.iter().find(|g| g.record.id == sel.goal_id) else {
                return Ok(View {
                    body: Default::default(),
                    daily: Vec::new(),
                });
            };
            let user = user_filter(state, scope, &params).await?;
            goal_view(state, ctx, goal, scope, user, lang).await
        }
        _ => {
            let user = user_filter(state, scope, &params).await?;
            employee_view(state, ctx, scope, user, team, lang).await
        }
    }
}

/// A quantity of the JSON answer (a number, or money as a decimal string).
fn decimal(value: &Value) -> Option<Decimal> {
    match value {
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        Value::String(s) => Decimal::from_str(s).ok(),
        _ => None,
    }
}

fn text(row: &Value, key: &str) -> String {
    row.get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn format_view(ctx: &Context<'_>, lang: Lang, goals: &[Goal], view: View) -> Report {
    let t = super::texts::of(lang);
    let currency = &ctx.org.currency;
    let empty = Vec::new();
    let rows = view
        .body
        .get("rows")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let rows = rows
        .iter()
        .filter_map(|row| {
            let metric = Metric::from_str(&text(row, "metric")).ok()?;
            let amount = |key: &str| row.get(key).and_then(decimal).unwrap_or_default();
            let show = |value: Decimal| format::quantity(value, metric.unit(), currency, lang);
            let completion = row.get("completion").and_then(decimal);
            let change = amount("change");
            let pace = row
                .pointer("/pace/status")
                .and_then(Value::as_str)
                .unwrap_or("");
            Some(RowView {
                is_team: row.get("team_id").is_some(),
                subject: row
                    .get("user_id")
                    .or_else(|| row.get("team_id"))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                name: text(row, "name"),
                goal_name: text(row, "goal_name"),
                metric: metric.key().to_owned(),
                metric_name: text(row, "metric_name"),
                actual: show(amount("actual")),
                target: show(amount("target")),
                bar: completion
                    .map(|c| {
                        (c * Decimal::ONE_HUNDRED)
                            .round()
                            .clamp(Decimal::ZERO, Decimal::ONE_HUNDRED)
                    })
                    .and_then(|c| c.to_u32())
                    .unwrap_or(0),
                completion: completion
                    .map(|c| format::percent(c, lang))
                    .unwrap_or_else(|| "—".into()),
                grade: text(row, "grade"),
                pace: pace.to_owned(),
                pace_label: if pace.is_empty() {
                    String::new()
                } else {
                    t.pace(pace).to_owned()
                },
                change: change_text(change, row.get("change_pct").and_then(decimal), &show, lang),
                trend: if change.is_sign_positive() && !change.is_zero() {
                    "up"
                } else if change.is_zero() {
                    "flat"
                } else {
                    "down"
                },
            })
        })
        .collect();
    let goal_names: HashMap<&str, &str> = goals
        .iter()
        .map(|g| (g.record.id.as_str(), g.spec.name.as_str()))
        .collect();
    let scores = view
        .body
        .get("scores")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    let mut standings: Vec<(String, Standing)> = scores
        .iter()
        .map(|s| {
            let goal = text(s, "goal_id");
            let standing = Standing {
                rank: s.get("rank").and_then(Value::as_i64).unwrap_or(0),
                name: text(s, "name"),
                goal_name: goal_names
                    .get(goal.as_str())
                    .map(|n| (*n).to_owned())
                    .unwrap_or_default(),
                score: s
                    .get("score")
                    .and_then(decimal)
                    .map(|v| format::percent(v, lang))
                    .unwrap_or_default(),
                grade: text(s, "grade"),
            };
            (goal, standing)
        })
        .collect();
    standings.sort_by(|(ga, a), (gb, b)| (ga, a.rank, &a.name).cmp(&(gb, b.rank, &b.name)));
    Report {
        range_text: range_text(ctx.range, lang),
        previous_text: range_text(ctx.previous, lang),
        error: None,
        rows,
        standings: standings.into_iter().map(|(_, s)| s).collect(),
        charts_json: "{}".into(),
        as_of: jiff::Timestamp::now()
            .to_zoned_datetime(ctx.org.calendar.time_zone().clone())
            .strftime("%H:%M:%S")
            .to_string(),
    }
}

/// "+5 (+12,5 %)": the change against the previous period.
fn change_text(
    change: Decimal,
    pct: Option<Decimal>,
    show: &impl Fn(Decimal) -> String,
    lang: Lang,
) -> String {
    let sign = if change.is_sign_positive() && !change.is_zero() {
        "+"
    } else {
        ""
    };
    match pct {
        Some(p) => format!(
            "{sign}{} ({sign}{})",
            show(change),
            format::percent(p, lang)
        ),
        None => format!("{sign}{}", show(change)),
    }
}

fn range_text(range: DayRange, lang: Lang) -> String {
    if range.from == range.to {
        format::date(range.from, lang)
    } else {
        format!(
            "{} – {}",
            format::date(range.from, lang),
            format::date(range.to, lang)
        )
    }
}

/// The per-day values of the people (or teams) in the table, summed per metric, over
/// the report's range or at least the last [`MIN_TREND_DAYS`] days of it.
async fn trend(
    state: &AppState,
    ctx: &Context<'_>,
    report: &Report,
    lang: Lang,
) -> Result<Value, ApiError> {
    let days = if ctx.range.len() >= MIN_TREND_DAYS {
        ctx.range
    } else {
        let length = i32::try_from(MIN_TREND_DAYS).unwrap_or(14);
        DayRange::new(ctx.range.to.plus(1 - length), ctx.range.to).unwrap_or(ctx.range)
    };
    let mut metrics: Vec<Metric> = Vec::new();
    let mut subjects: BTreeSet<Subject> = BTreeSet::new();
    for row in &report.rows {
        if let Ok(metric) = Metric::from_str(&row.metric)
            && !metrics.contains(&metric)
        {
            metrics.push(metric);
        }
        let subject = if row.is_team {
            Subject::Team(row.subject.clone())
        } else {
            Subject::User(row.subject.clone())
        };
        subjects.insert(subject);
    }
    let groups: Vec<_> = subjects
        .iter()
        .map(|s| match s {
            Subject::User(id) => ctx
                .users
                .get(id)
                .map(|u| vec![(u.key, days)])
                .unwrap_or_default(),
            Subject::Team(id) => ctx.team_group(id, days),
        })
        .collect();
    let values = daily_values(&state.store, days, &groups).await?;
    let mut totals: BTreeMap<Day, Vec<i64>> =
        days.days().map(|d| (d, vec![0; metrics.len()])).collect();
    for per_day in &values {
        for (day, v) in per_day {
            if let Some(sums) = totals.get_mut(day) {
                for (i, metric) in metrics.iter().enumerate() {
                    sums[i] += v.get(*metric);
                }
            }
        }
    }
    let labels: Vec<String> = totals.keys().map(|d| format::date(*d, lang)).collect();
    let series: Vec<Value> = metrics
        .iter()
        .enumerate()
        .map(|(i, metric)| {
            let points: Vec<f64> = totals
                .values()
                .map(|sums| ctx.actual_decimal(*metric, sums[i]).to_f64().unwrap_or(0.0))
                .collect();
            let name = match lang {
                Lang::Vi => metric.name_vi(),
                Lang::En => metric.name_en(),
            };
            json!({"metric": metric.key(), "name": name, "unit": metric.unit(), "values": points})
        })
        .collect();
    Ok(json!({"days": labels, "series": series}))
}
