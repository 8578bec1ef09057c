//! The KPI setup pages (owner, admin, supervisor): the goals list, and a form to create
//! or change a goal with its criteria, weights and assignees. The form becomes the API's
//! JSON body and goes through the API's own handlers, so the same rules and role checks
//! apply; an invalid field comes back as a message next to that field.

use super::session::encode;
use super::{Chrome, PageError, Viewer, may_set_goals, render};
use crate::AppState;
use crate::api::goals as api;
use crate::api::query::{JsonObject, PathId, QueryParams};
use crate::error::ApiError;
use crate::export::Lang;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use tally_core::Metric;
use tally_core::metric::Unit;

/// Criterion rows the form offers beyond those already filled.
const SPARE_ROWS: usize = 3;

/// A goal in the list.
pub struct GoalLine {
    pub id: String,
    pub name: String,
    pub criteria: String,
    pub assignees: String,
    pub starts_on: String,
    pub ends_on: String,
    pub archived: bool,
}

/// One criterion row of the form, as typed, with its error.
#[derive(Clone, Default)]
pub struct CriterionRow {
    pub metric: String,
    pub period: String,
    pub target: String,
    pub weight: String,
    pub error: String,
}

/// A metric in the form's menu.
pub struct MetricOption {
    pub key: &'static str,
    pub name: &'static str,
    pub unit: &'static str,
}

/// A person or team the goal may apply to.
pub struct AssigneeOption {
    pub id: String,
    pub name: String,
    /// For a person: assigned or not. For a team: "", "each_member" or "team_total".
    pub chosen: String,
}

/// The goal form's values and errors.
#[derive(Default)]
pub struct GoalForm {
    pub name: String,
    pub starts_on: String,
    pub ends_on: String,
    pub rows: Vec<CriterionRow>,
    pub errors: HashMap<String, String>,
}

impl GoalForm {
    /// The error of a field (`name`, `starts_on`, `ends_on`, `criteria`, `assignees`).
    pub fn error(&self, field: &str) -> &str {
        self.errors.get(field).map_or("", String::as_str)
    }

    /// Whether any field or row has an error.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty() || self.rows.iter().any(|r| !r.error.is_empty())
    }
}

#[derive(Template)]
#[template(path = "goals.html")]
struct GoalsPage {
    chrome: Chrome,
    goals: Vec<GoalLine>,
    saved: bool,
}

#[derive(Template)]
#[template(path = "goal_form.html")]
struct GoalFormPage {
    chrome: Chrome,
    /// Empty for a new goal.
    id: String,
    form: GoalForm,
    metrics: Vec<MetricOption>,
    users: Vec<AssigneeOption>,
    teams: Vec<AssigneeOption>,
}

/// Refuses the setup pages to agents before anything else is read.
fn require_setup(viewer: &Viewer) -> Result<(), PageError> {
    if may_set_goals(viewer.user.role) {
        return Ok(());
    }
    Err(PageError(ApiError::Forbidden(format!(
        "the {} role may not set goals",
        viewer.user.role
    ))))
}

/// `GET /goals`: the goals the person may see, current first.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    QueryParams(query): QueryParams,
) -> Result<Response, PageError> {
    require_setup(&viewer)?;
    let scope = api::read_scope_of(&state, &viewer.caller).await?;
    let t = viewer.t();
    let mut goals = Vec::new();
    for record in state.store.goals().await? {
        let Ok(spec) = api::spec_of(&state, &record) else {
            continue;
        };
        if !scope.sees_goal(&spec) {
            continue;
        }
        let criteria = spec
            .criteria
            .iter()
            .map(|c| {
                format!(
                    "{} / {}",
                    metric_name(c.metric, viewer.lang),
                    t.period_kind(c.period.as_str())
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let assignees = spec
            .assignees
            .iter()
            .map(|a| match a {
                tally_core::Assignee::User(id) => id.clone(),
                tally_core::Assignee::Team(id, _) => format!("{}: {id}", t.team),
            })
            .collect::<Vec<_>>()
            .join(", ");
        goals.push(GoalLine {
            id: record.id.clone(),
            name: spec.name.clone(),
            criteria,
            assignees,
            starts_on: super::format::date(spec.starts_on, viewer.lang),
            ends_on: spec
                .ends_on
                .map(|d| super::format::date(d, viewer.lang))
                .unwrap_or_default(),
            archived: record.archived_at.is_some(),
        });
    }
    goals.sort_by_key(|g| g.archived);
    render(&GoalsPage {
        chrome: viewer.chrome("goals", "/goals"),
        goals,
        saved: query.contains_key("saved"),
    })
}

/// `GET /goals/new`
pub async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, PageError> {
    require_setup(&viewer)?;
    let form = GoalForm {
        starts_on: state
            .org
            .calendar
            .day_of(jiff::Timestamp::now())
            .to_string(),
        ..GoalForm::default()
    };
    form_page(&state, &viewer, String::new(), form, &[]).await
}

/// `GET /goals/{id}`: the form filled with the goal as stored.
pub async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(id): PathId,
) -> Result<Response, PageError> {
    require_setup(&viewer)?;
    let (record, _) = api::visible_goal(&state, &viewer.caller, &id).await?;
    let definition: Value = serde_json::from_str(&record.definition)
        .map_err(|e| ApiError::Internal(format!("goal '{id}' definition: {e}")))?;
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let rows = definition["criteria"]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|c| CriterionRow {
                    metric: text(c.get("metric")),
                    period: text(c.get("period")),
                    target: text(c.get("target")),
                    weight: text(c.get("weight")),
                    error: String::new(),
                })
                .collect()
        })
        .unwrap_or_default();
    let form = GoalForm {
        name: text(definition.get("name")),
        starts_on: text(definition.get("starts_on")),
        ends_on: text(definition.get("ends_on")),
        rows,
        errors: HashMap::new(),
    };
    let assignees = definition["assignees"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    form_page(&state, &viewer, id, form, &assignees).await
}

/// Renders the form, with spare criterion rows and the assignee choices.
async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    id: String,
    mut form: GoalForm,
    assignees: &[Value],
) -> Result<Response, PageError> {
    let filled = form.rows.len();
    form.rows
        .resize(filled + SPARE_ROWS, CriterionRow::default());
    let chosen = |key: &str, id: &str| -> String {
        assignees
            .iter()
            .find(|a| a.get(key).and_then(Value::as_str) == Some(id))
            .map(|a| {
                a.get("mode")
                    .and_then(Value::as_str)
                    .unwrap_or("assigned")
                    .to_owned()
            })
            .unwrap_or_default()
    };
    let scope = api::write_scope_of(state, &viewer.caller).await?;
    let users = state
        .store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.active && scope.sees_user(&u.id))
        .map(|u| AssigneeOption {
            chosen: chosen("user_id", &u.id),
            id: u.id,
            name: u.name,
        })
        .collect();
    let teams = state
        .store
        .teams()
        .await?
        .into_iter()
        .filter(|t| scope.sees_team(&t.id))
        .map(|t| AssigneeOption {
            chosen: chosen("team_id", &t.id),
            id: t.id,
            name: t.name,
        })
        .collect();
    let here = if id.is_empty() {
        "/goals/new".to_owned()
    } else {
        format!("/goals/{}", encode(&id))
    };
    let page = GoalFormPage {
        chrome: viewer.chrome("goals", &here),
        id,
        form,
        metrics: metric_options(viewer.lang),
        users,
        teams,
    };
    let invalid = page.form.has_errors();
    let mut response = render(&page)?;
    if invalid {
        *response.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

fn metric_name(metric: Metric, lang: Lang) -> &'static str {
    match lang {
        Lang::Vi => metric.name_vi(),
        Lang::En => metric.name_en(),
    }
}

fn metric_options(lang: Lang) -> Vec<MetricOption> {
    Metric::ALL
        .iter()
        .map(|m| MetricOption {
            key: m.key(),
            name: metric_name(*m, lang),
            unit: match m.unit() {
                Unit::Count => "",
                Unit::Seconds => "h:mm:ss",
                Unit::Money => "₫",
            },
        })
        .collect()
}

/// The form as typed: fields and criterion rows (`metric_0`, `target_0`, …).
struct Posted {
    form: GoalForm,
    body: Map<String, Value>,
    /// For each criterion in the body, its row in the form.
    row_of: Vec<usize>,
    assignees: Vec<Value>,
}

fn read_form(pairs: &[(String, String)]) -> Posted {
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let mut rows = Vec::new();
    for i in 0.. {
        if !pairs.iter().any(|(k, _)| *k == format!("metric_{i}")) {
            break;
        }
        rows.push(CriterionRow {
            metric: field(&format!("metric_{i}")),
            period: field(&format!("period_{i}")),
            target: field(&format!("target_{i}")),
            weight: field(&format!("weight_{i}")),
            error: String::new(),
        });
    }
    let mut criteria = Vec::new();
    let mut row_of = Vec::new();
    for (i, row) in rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.metric.is_empty())
    {
        let mut criterion =
            json!({"metric": row.metric, "period": row.period, "target": target_json(row)});
        if !row.weight.is_empty() {
            criterion["weight"] = number_or_text(&row.weight.replace(',', "."));
        }
        criteria.push(criterion);
        row_of.push(i);
    }
    let mut assignees = Vec::new();
    for (key, value) in pairs {
        if key == "user" {
            assignees.push(json!({"user_id": value}));
        } else if let Some(team) = key.strip_prefix("team:")
            && !value.is_empty()
        {
            assignees.push(json!({"team_id": team, "mode": value}));
        }
    }
    let mut body = Map::new();
    body.insert("name".into(), json!(field("name")));
    body.insert("criteria".into(), Value::Array(criteria));
    body.insert("assignees".into(), Value::Array(assignees.clone()));
    let starts_on = field("starts_on");
    if !starts_on.is_empty() {
        body.insert("starts_on".into(), json!(starts_on));
    }
    let ends_on = field("ends_on");
    body.insert(
        "ends_on".into(),
        if ends_on.is_empty() {
            Value::Null
        } else {
            json!(ends_on)
        },
    );
    let form = GoalForm {
        name: field("name"),
        starts_on,
        ends_on,
        rows,
        errors: HashMap::new(),
    };
    Posted {
        form,
        body,
        row_of,
        assignees,
    }
}

/// A target as typed: talk time may be `h:mm:ss` or `h:mm`; numbers may use `.` or
/// `,` as thousands separators (`1.500.000` ₫).
fn target_json(row: &CriterionRow) -> Value {
    let unit = row.metric.parse::<Metric>().map(Metric::unit).ok();
    let text = row.target.replace([' ', '\u{a0}', '₫'], "");
    if unit == Some(Unit::Seconds) && text.contains(':') {
        let parts: Option<Vec<u64>> = text.split(':').map(|p| p.parse().ok()).collect();
        if let Some(parts) = parts.filter(|p| (2..=3).contains(&p.len())) {
            let seconds = parts.iter().fold(0u64, |acc, p| acc * 60 + p)
                * if parts.len() == 2 { 60 } else { 1 };
            return json!(seconds);
        }
    }
    let plain = if is_grouped(&text) {
        text.replace(['.', ','], "")
    } else {
        text.replace(',', ".")
    };
    number_or_text(&plain)
}

/// Whether a number is written with thousands separators: `1.500.000`, `300,000`.
fn is_grouped(text: &str) -> bool {
    let groups: Vec<&str> = text.split(['.', ',']).collect();
    let separators: Vec<char> = text.chars().filter(|c| *c == '.' || *c == ',').collect();
    groups.len() > 1
        && separators.windows(2).all(|w| w[0] == w[1])
        && (1..=3).contains(&groups[0].len())
        && groups.iter().all(|g| g.chars().all(|c| c.is_ascii_digit()))
        && groups[1..].iter().all(|g| g.len() == 3)
}

fn number_or_text(text: &str) -> Value {
    if let Ok(n) = text.parse::<i64>() {
        return json!(n);
    }
    json!(text)
}

/// Puts an API error next to its field.
fn place_error(posted: &mut Posted, error: ApiError) -> Result<(), PageError> {
    let (field, message) = match error {
        ApiError::Invalid { field, message } => (field, message),
        ApiError::Conflict(message) => ("name".to_owned(), message),
        other => return Err(PageError(other)),
    };
    if let Some(rest) = field.strip_prefix("criteria[") {
        let index = rest.split(']').next().and_then(|i| i.parse::<usize>().ok());
        if let Some(row) = index.and_then(|i| posted.row_of.get(i)) {
            let name = rest.split_once("].").map_or("", |(_, f)| f);
            posted.form.rows[*row].error = if name.is_empty() {
                message
            } else {
                format!("{name}: {message}")
            };
            return Ok(());
        }
    }
    let key = match field.split(['[', '.']).next().unwrap_or("") {
        k @ ("name" | "starts_on" | "ends_on" | "criteria" | "assignees") => k.to_owned(),
        _ => "criteria".to_owned(),
    };
    let shown = if key == field {
        message
    } else {
        format!("{field}: {message}")
    };
    posted.form.errors.insert(key, shown);
    Ok(())
}

/// Saves through the API handler, or shows the form again with the error in place.
async fn save(
    state: AppState,
    viewer: Viewer,
    id: String,
    pairs: Vec<(String, String)>,
) -> Result<Response, PageError> {
    require_setup(&viewer)?;
    let mut posted = read_form(&pairs);
    let body = JsonObject(posted.body.clone());
    let outcome = if id.is_empty() {
        api::create(State(state.clone()), viewer.caller.clone(), body)
            .await
            .map(|_| ())
    } else {
        api::update(
            State(state.clone()),
            viewer.caller.clone(),
            PathId(id.clone()),
            body,
        )
        .await
        .map(|_| ())
    };
    match outcome {
        Ok(()) => Ok(Redirect::to("/goals?saved=1").into_response()),
        Err(error) => {
            place_error(&mut posted, error)?;
            let assignees = posted.assignees.clone();
            form_page(&state, &viewer, id, posted.form, &assignees).await
        }
    }
}

/// `POST /goals/new`
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save(state, viewer, String::new(), pairs).await
}

/// `POST /goals/{id}`
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(id): PathId,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    save(state, viewer, id, pairs).await
}

/// `POST /goals/{id}/archive`
pub async fn archive(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(id): PathId,
) -> Result<Response, PageError> {
    require_setup(&viewer)?;
    let _archived = api::archive(State(state), viewer.caller.clone(), PathId(id)).await?;
    Ok(Redirect::to("/goals?saved=1").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(metric: &str, typed: &str) -> Value {
        target_json(&CriterionRow {
            metric: metric.into(),
            target: typed.into(),
            ..CriterionRow::default()
        })
    }

    #[test]
    fn targets_are_read_as_people_type_them() {
        assert_eq!(target("calls", "40"), json!(40));
        assert_eq!(target("talk_seconds", "1:30:00"), json!(5400));
        assert_eq!(target("talk_seconds", "2:15"), json!(8100));
        assert_eq!(target("revenue", "1.500.000"), json!(1_500_000));
        assert_eq!(target("revenue", "300,000,000 ₫"), json!(300_000_000));
        assert_eq!(target("revenue", "12,5"), json!("12.5"));
        assert_eq!(target("calls", "1.5"), json!("1.5"));
        assert_eq!(target("calls", "1.5000"), json!("1.5000"));
    }
}
