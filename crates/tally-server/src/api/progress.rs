//! Progress views over a range (`period`, default `today`, or `from`/`to`):
//! `GET /api/v1/goals/{id}/progress` (by goal), `/api/v1/progress/employees` and
//! `/api/v1/progress/teams`; each as JSON, CSV or XLSX (`format`), with metric names
//! and headers in Vietnamese or English (`lang`). Also the frozen results of a goal's
//! closed periods, `GET /api/v1/goals/{id}/results`.

use super::goals::{definition_spec, micros_json, read_scope_of, visible_goal};
use super::query::{PathId, QueryParams, only_known, report_range};
use crate::AppState;
use crate::auth::Auth;
use crate::close::close_due_periods;
use crate::error::ApiError;
use crate::export::{self, Column, DailyCells, ExportFormat, Lang, PERSON_COLUMNS, TEAM_COLUMNS};
use crate::progress::{
    Context, Goal, GoalProgress, Row, Subject, daily_values, goal_progress, team_progress,
};
use crate::scope::Scope;
use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tally_core::goal::{quantity_json, round};
use tally_core::{Day, DayRange, Metric};
use tally_store::ResultSubjects;

const RANGE: [&str; 3] = ["period", "from", "to"];

/// The longest range an XLSX export covers (a year and its per-day sheet).
const MAX_XLSX_DAYS: u32 = 366;

/// A computed view: the JSON body (range, rows, scores) and its per-day groups.
#[derive(Default)]
pub(crate) struct View {
    pub body: Map<String, Value>,
    pub daily: Vec<DailyGroup>,
}

/// `GET /api/v1/goals/{id}/progress[?user_id=…]`: each assignee × criterion, and scores.
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
    let (record, scope) = visible_goal(&state, &caller, &id).await?;
    let user = user_filter(&state, &scope, &params).await?;
    let ctx = Context::load(&state, report_range(&params, &state.org)?).await?;
    let goal = goal_of(&state, record)?;
    let view = goal_view(&state, &ctx, &goal, &scope, user, lang).await?;
    let stem = format!("kpi-{}", goal.record.id);
    answer(&state, &ctx, format, lang, &stem, PERSON_COLUMNS, view).await
}

/// One goal's rows and scores, for the assignees in scope (or only `user`).
pub(crate) async fn goal_view(
    state: &AppState,
    ctx: &Context<'_>,
    goal: &Goal,
    scope: &Scope,
    user: Option<String>,
    lang: Lang,
) -> Result<View, ApiError> {
    let progress = goal_progress(&state.store, ctx, goal).await?;
    let keep = |s: &Subject| {
        visible(scope, s) && user.as_ref().is_none_or(|u| *s == Subject::User(u.clone()))
    };
    let rows: Vec<Value> = progress
        .rows
        .iter()
        .filter(|r| keep(&r.subject))
        .map(|r| row_json(r, ctx, lang))
        .collect();
    let scores = scores_json(&progress, keep);
    let mut body = frame(ctx);
    body.insert("goal_id".into(), json!(goal.record.id));
    body.insert("goal_name".into(), json!(goal.spec.name));
    body.insert("rows".into(), Value::Array(rows));
    body.insert("scores".into(), Value::Array(scores));
    let metrics: Vec<Metric> = goal.spec.criteria.iter().map(|c| c.metric).collect();
    let daily = progress
        .groups
        .into_iter()
        .filter(|(s, _)| keep(s))
        .map(|(s, g)| (s, Some(goal.record.id.clone()), metrics.clone(), g))
        .collect();
    Ok(View { body, daily })
}

/// `GET /api/v1/progress/employees[?user_id=…][&team_id=…]`: every criterion of every
/// goal that applies to each employee (directly or through a team).
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
    let scope = read_scope_of(&state, &caller).await?;
    let user = user_filter(&state, &scope, &params).await?;
    let ctx = Context::load(&state, report_range(&params, &state.org)?).await?;
    let team = params.get("team_id").map(String::as_str);
    let view = employee_view(&state, &ctx, &scope, user, team, lang).await?;
    answer(
        &state,
        &ctx,
        format,
        lang,
        "kpi-employees",
        PERSON_COLUMNS,
        view,
    )
    .await
}

/// Every goal's rows for each employee in scope (or only `user`, or `team`'s members).
pub(crate) async fn employee_view(
    state: &AppState,
    ctx: &Context<'_>,
    scope: &Scope,
    user: Option<String>,
    team: Option<&str>,
    lang: Lang,
) -> Result<View, ApiError> {
    let team_members = team_filter(ctx, scope, team)?;
    let keep = |s: &Subject| match s {
        Subject::User(u) => {
            scope.sees_user(u)
                && user.as_ref().is_none_or(|only| only == u)
                && team_members.as_ref().is_none_or(|m| m.contains(u))
        }
        Subject::Team(_) => false,
    };
    let mut rows: Vec<(&Row, Value)> = Vec::new();
    let mut scores = Vec::new();
    let mut daily = Vec::new();
    let goals = current_goals(state, scope).await?;
    let mut progresses = Vec::new();
    for goal in &goals {
        progresses.push(goal_progress(&state.store, ctx, goal).await?);
    }
    for (goal, progress) in goals.iter().zip(&progresses) {
        rows.extend(
            progress
                .rows
                .iter()
                .filter(|r| keep(&r.subject))
                .map(|r| (r, row_json(r, ctx, lang))),
        );
        scores.extend(scores_json(progress, keep));
        let metrics: Vec<Metric> = goal.spec.criteria.iter().map(|c| c.metric).collect();
        for (subject, group) in progress.groups.iter().filter(|(s, _)| keep(s)) {
            daily.push((
                subject.clone(),
                Some(goal.record.id.clone()),
                metrics.clone(),
                group.clone(),
            ));
        }
    }
    rows.sort_by(|(a, _), (b, _)| (&a.subject, &a.goal).cmp(&(&b.subject, &b.goal)));
    let mut body = frame(ctx);
    body.insert(
        "rows".into(),
        Value::Array(rows.into_iter().map(|(_, v)| v).collect()),
    );
    body.insert("scores".into(), Value::Array(scores));
    Ok(View { body, daily })
}

/// `GET /api/v1/progress/teams[?team_id=…]`: each team against its own target or the
/// sum of its members' targets.
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
    let scope = read_scope_of(&state, &caller).await?;
    let ctx = Context::load(&state, report_range(&params, &state.org)?).await?;
    let team = params.get("team_id").map(String::as_str);
    let view = team_view(&state, &ctx, &scope, team, lang).await?;
    answer(&state, &ctx, format, lang, "kpi-teams", TEAM_COLUMNS, view).await
}

/// Each team in scope (or only `team`) against its target.
pub(crate) async fn team_view(
    state: &AppState,
    ctx: &Context<'_>,
    scope: &Scope,
    team: Option<&str>,
    lang: Lang,
) -> Result<View, ApiError> {
    let mut teams: Vec<String> = ctx
        .teams
        .keys()
        .filter(|t| scope.sees_team(t))
        .cloned()
        .collect();
    teams.sort();
    if let Some(id) = team {
        team_filter(ctx, scope, Some(id))?;
        teams.retain(|t| t == id);
    }
    let goals = current_goals(
        state,
        &Scope {
            all: true,
            ..Scope::default()
        },
    )
    .await?;
    let rows = team_progress(&state.store, ctx, &goals, &teams).await?;
    let mut daily = Vec::new();
    let mut metrics: BTreeMap<&str, Vec<Metric>> = BTreeMap::new();
    for row in &rows {
        if let Subject::Team(t) = &row.subject {
            metrics.entry(t).or_default().push(row.metric);
        }
    }
    for (team, metrics) in metrics {
        let subject = Subject::Team(team.to_owned());
        daily.push((subject, None, metrics, ctx.team_group(team, ctx.range)));
    }
    let mut body = frame(ctx);
    body.insert(
        "rows".into(),
        Value::Array(rows.iter().map(|r| row_json(r, ctx, lang)).collect()),
    );
    Ok(View { body, daily })
}

/// How many results a page of `/goals/{id}/results` holds, unless `limit` says.
const RESULTS_PAGE: i64 = 1_000;

/// The most results one page may hold.
const MAX_RESULTS_PAGE: i64 = 10_000;

/// `GET /api/v1/goals/{id}/results[?from=…&to=…][&user_id=…][&limit=…&offset=…]`: the
/// frozen result of each closed period, with today's actual for the same days next to
/// it, flagged when it changed since (a late event, or a current-state metric such as a
/// won deal lost); a page at a time, with the total.
pub async fn results(
    State(state): State<AppState>,
    Auth(caller): Auth,
    PathId(id): PathId,
    QueryParams(params): QueryParams,
) -> Result<Json<Value>, ApiError> {
    only_known(&params, &["from", "to", "user_id", "limit", "offset"])?;
    let (record, scope) = visible_goal(&state, &caller, &id).await?;
    let user = user_filter(&state, &scope, &params).await?;
    let page = super::query::page(&params, RESULTS_PAGE, MAX_RESULTS_PAGE)?;
    close_due_periods(&state, &record).await?;
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
    let subjects = match (&user, scope.all) {
        (Some(user), _) => Some(ResultSubjects {
            users: vec![user.clone()],
            teams: Vec::new(),
        }),
        (None, true) => None,
        (None, false) => Some(ResultSubjects {
            users: scope.users.iter().cloned().collect(),
            teams: scope.teams.iter().cloned().collect(),
        }),
    };
    let (stored, total) = state
        .store
        .goal_results(record.key, range, subjects.as_ref(), page)
        .await?;
    let revisions: HashMap<i64, String> = state
        .store
        .goal_revisions(record.key)
        .await?
        .into_iter()
        .map(|r| (r.revision, r.definition))
        .collect();
    let mut ctx = Context::load(&state, range).await?;
    let mut current: HashMap<(i64, DayRange), HashMap<(Subject, Metric), i64>> = HashMap::new();
    let mut rows = Vec::new();
    for result in &stored {
        let subject = match result.subject_kind.as_str() {
            "team" => Subject::Team(result.subject_id.clone()),
            _ => Subject::User(result.subject_id.clone()),
        };
        let metric: Metric = result
            .metric
            .parse()
            .map_err(|e: tally_core::metric::UnknownMetric| ApiError::Internal(e.to_string()))?;
        let key = (result.revision, result.period);
        if let Entry::Vacant(slot) = current.entry(key) {
            let definition = revisions
                .get(&result.revision)
                .ok_or_else(|| ApiError::Internal("missing revision".into()))?;
            let spec = definition_spec(&state, definition).map_err(ApiError::Internal)?;
            ctx.set_range(result.period);
            let progress = goal_progress(
                &state.store,
                &ctx,
                &Goal {
                    record: record.clone(),
                    spec,
                },
            )
            .await?;
            slot.insert(
                progress
                    .rows
                    .into_iter()
                    .map(|r| ((r.subject, r.metric), r.actual))
                    .collect(),
            );
        }
        let now = current
            .get(&key)
            .and_then(|m| m.get(&(subject.clone(), metric)))
            .copied()
            .unwrap_or(0);
        let target: Decimal = result
            .target
            .parse()
            .map_err(|_| ApiError::Internal("stored target".into()))?;
        let mut row = subject_json(&subject, &ctx);
        row.extend(
            json!({
                "period_from": result.period.from.to_string(),
                "period_to": result.period.to.to_string(),
                "metric": metric.key(),
                "revision": result.revision,
                "target": quantity_json(metric, target, &state.org.currency),
                "actual": amount(&ctx, metric, result.actual),
                "achieved": result.achieved,
                "closed_at": micros_json(result.closed_at),
                "current_actual": amount(&ctx, metric, now),
                "changed": now != result.actual,
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
        );
        rows.push(Value::Object(row));
    }
    Ok(Json(json!({
        "goal_id": record.id,
        "total": total,
        "limit": page.limit,
        "offset": page.offset,
        "results": rows,
    })))
}

/// The non-archived goals the caller may see, parsed.
pub(crate) async fn current_goals(state: &AppState, scope: &Scope) -> Result<Vec<Goal>, ApiError> {
    let mut goals = Vec::new();
    for record in state.store.goals().await? {
        if record.archived_at.is_some() {
            continue;
        }
        let goal = goal_of(state, record)?;
        if scope.sees_goal(&goal.spec) {
            goals.push(goal);
        }
    }
    Ok(goals)
}

fn goal_of(state: &AppState, record: tally_store::GoalRecord) -> Result<Goal, ApiError> {
    let spec = super::goals::spec_of(state, &record)?;
    Ok(Goal { record, spec })
}

fn visible(scope: &Scope, subject: &Subject) -> bool {
    match subject {
        Subject::User(u) => scope.sees_user(u),
        Subject::Team(t) => scope.sees_team(t),
    }
}

/// `user_id=`: an existing user the caller may see (403 before 404, so that ids are
/// not revealed).
pub(crate) async fn user_filter(
    state: &AppState,
    scope: &Scope,
    params: &HashMap<String, String>,
) -> Result<Option<String>, ApiError> {
    let Some(id) = params.get("user_id") else {
        return Ok(None);
    };
    if !scope.sees_user(id) {
        return Err(ApiError::Forbidden(format!(
            "user '{id}' is not one of the people you see"
        )));
    }
    state
        .store
        .user(id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("user '{id}' does not exist")))?;
    Ok(Some(id.clone()))
}

/// `team_id=`: the team's members during the range.
fn team_filter(
    ctx: &Context<'_>,
    scope: &Scope,
    team: Option<&str>,
) -> Result<Option<BTreeSet<String>>, ApiError> {
    let Some(id) = team else { return Ok(None) };
    if !scope.sees_team(id) {
        return Err(ApiError::Forbidden(format!(
            "team '{id}' is not one of the teams you see"
        )));
    }
    if !ctx.teams.contains_key(id) {
        return Err(ApiError::NotFound(format!("team '{id}' does not exist")));
    }
    let members = ctx.memberships.iter().filter(|m| m.team_id == id);
    let members =
        members.filter(|m| m.from <= ctx.range.to && m.to.is_none_or(|to| to >= ctx.range.from));
    Ok(Some(members.map(|m| m.user_id.clone()).collect()))
}

/// The fields every view starts with.
fn frame(ctx: &Context<'_>) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert("from".into(), json!(ctx.range.from.to_string()));
    map.insert("to".into(), json!(ctx.range.to.to_string()));
    map.insert("previous_from".into(), json!(ctx.previous.from.to_string()));
    map.insert("previous_to".into(), json!(ctx.previous.to.to_string()));
    map.insert("timezone".into(), json!(ctx.org.calendar.time_zone_name()));
    map.insert("currency".into(), json!(ctx.org.currency.code));
    map
}

fn amount(ctx: &Context<'_>, metric: Metric, raw: i64) -> Value {
    quantity_json(metric, ctx.actual_decimal(metric, raw), &ctx.org.currency)
}

/// A fraction as a decimal string, to 4 places ("0.75", "1.2").
fn fraction(value: Decimal) -> Value {
    Value::String(round(value, 4).normalize().to_string())
}

fn subject_json(subject: &Subject, ctx: &Context<'_>) -> Map<String, Value> {
    let mut map = Map::new();
    match subject {
        Subject::User(id) => map.insert("user_id".into(), json!(id)),
        Subject::Team(id) => map.insert("team_id".into(), json!(id)),
    };
    map.insert("name".into(), json!(ctx.name_of(subject)));
    map
}

/// One row as JSON: counts and seconds are numbers, money a decimal string in the
/// organization's currency, fractions (completion, change %) decimal strings.
fn row_json(row: &Row, ctx: &Context<'_>, lang: Lang) -> Value {
    let currency = &ctx.org.currency;
    let metric = row.metric;
    let mut map = subject_json(&row.subject, ctx);
    if let Some((id, name)) = &row.goal {
        map.insert("goal_id".into(), json!(id));
        map.insert("goal_name".into(), json!(name));
    }
    map.insert("metric".into(), json!(metric.key()));
    let name = match lang {
        Lang::Vi => metric.name_vi(),
        Lang::En => metric.name_en(),
    };
    map.insert("metric_name".into(), json!(name));
    if let Some(period) = row.period {
        map.insert("period".into(), json!(period.as_str()));
    }
    if let Some(weight) = row.weight {
        map.insert("weight".into(), tally_core::goal::number_json(weight));
    }
    let actual = ctx.actual_decimal(metric, row.actual);
    let previous = ctx.actual_decimal(metric, row.previous);
    let change = actual - previous;
    let entries = [
        ("days", json!(row.days)),
        ("actual", quantity_json(metric, actual, currency)),
        ("target", quantity_json(metric, row.target, currency)),
        ("completion", row.completion.map_or(Value::Null, fraction)),
        (
            "grade",
            row.grade.map_or(Value::Null, |g| json!(g.as_str())),
        ),
        ("rank", json!(row.rank)),
        ("previous", quantity_json(metric, previous, currency)),
        ("change", quantity_json(metric, change, currency)),
        (
            "change_pct",
            if previous.is_zero() {
                Value::Null
            } else {
                fraction(change / previous)
            },
        ),
    ];
    map.extend(entries.into_iter().map(|(k, v)| (k.to_owned(), v)));
    if let Some(pace) = &row.pace {
        map.insert(
            "pace".into(),
            json!({
                "expected": quantity_json(metric, pace.expected, currency),
                "projected": quantity_json(metric, pace.projected, currency),
                "status": pace.status.as_str(),
            }),
        );
    }
    if let Some(t) = &row.team_targets {
        map.insert("target_source".into(), json!(t.source));
        map.insert(
            "team_target".into(),
            t.team
                .map_or(Value::Null, |v| quantity_json(metric, v, currency)),
        );
        map.insert(
            "members_target".into(),
            t.members
                .map_or(Value::Null, |v| quantity_json(metric, v, currency)),
        );
        map.insert("targets_disagree".into(), json!(t.disagree));
    }
    Value::Object(map)
}

fn scores_json(progress: &GoalProgress, keep: impl Fn(&Subject) -> bool) -> Vec<Value> {
    progress
        .scores
        .iter()
        .filter(|s| keep(&s.subject))
        .map(|s| {
            let mut v = match &s.subject {
                Subject::User(id) => json!({"user_id": id}),
                Subject::Team(id) => json!({"team_id": id}),
            };
            v["name"] = json!(s.name);
            v["goal_id"] = json!(s.goal.0);
            v["score"] = fraction(s.score);
            v["grade"] = json!(s.grade.as_str());
            v["rank"] = json!(s.rank);
            v
        })
        .collect()
}

/// Groups for the per-day breakdown: subject, goal, metrics, member-days.
pub(crate) type DailyGroup = (Subject, Option<String>, Vec<Metric>, Vec<(i64, DayRange)>);

/// Answers a view in the requested format.
async fn answer(
    state: &AppState,
    ctx: &Context<'_>,
    format: ExportFormat,
    lang: Lang,
    stem: &str,
    columns: &[Column],
    view: View,
) -> Result<Response, ApiError> {
    let empty = Vec::new();
    let rows = view
        .body
        .get("rows")
        .and_then(Value::as_array)
        .unwrap_or(&empty);
    match format {
        ExportFormat::Json => Ok(Json(&view.body).into_response()),
        ExportFormat::Csv => Ok(export::download(
            format,
            stem,
            export::csv(columns, rows, lang)?,
        )),
        ExportFormat::Xlsx if ctx.range.len() > MAX_XLSX_DAYS => Err(ApiError::invalid(
            "to",
            format!("an XLSX export, with its per-day sheet, covers at most {MAX_XLSX_DAYS} days"),
        )),
        ExportFormat::Xlsx => {
            let daily = daily_rows(state, ctx, lang, view.daily).await?;
            Ok(export::download(
                format,
                stem,
                export::xlsx(columns, rows, &daily, lang)?,
            ))
        }
    }
}

/// The per-day breakdown: a row per subject, metric and day with data.
async fn daily_rows(
    state: &AppState,
    ctx: &Context<'_>,
    lang: Lang,
    groups: Vec<DailyGroup>,
) -> Result<Vec<DailyCells>, ApiError> {
    let spans: Vec<_> = groups.iter().map(|(_, _, _, g)| g.clone()).collect();
    let values = daily_values(&state.store, ctx.range, &spans).await?;
    let mut rows = Vec::new();
    for ((subject, goal, metrics, _), days) in groups.iter().zip(values) {
        let (user, team) = match subject {
            Subject::User(id) => (id.clone(), String::new()),
            Subject::Team(id) => (String::new(), id.clone()),
        };
        let name = ctx.name_of(subject);
        for metric in metrics {
            let metric_name = match lang {
                Lang::Vi => metric.name_vi(),
                Lang::En => metric.name_en(),
            };
            for (day, v) in days.iter().filter(|(_, v)| v.get(*metric) != 0) {
                let actual = match amount(ctx, *metric, v.get(*metric)) {
                    Value::String(s) => s,
                    other => other.to_string(),
                };
                rows.push([
                    user.clone(),
                    team.clone(),
                    name.clone(),
                    goal.clone().unwrap_or_default(),
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
