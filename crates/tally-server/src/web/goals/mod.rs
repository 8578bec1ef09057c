//! The KPI setup pages (owner, admin, supervisor): the goals list, and a form to create
//! or change a goal with its criteria, weights and assignees. The form becomes a goal
//! definition and goes through the application's goal services, as the API's does, so
//! the same rules and role checks apply; an invalid field comes back as a message next
//! to that field.

mod form;

use super::session::encode;
use super::{
    Chrome, PageError, Pairs, Viewer, may_set_goals, render, require, texts, unprocessable_if,
};
use crate::AppState;
use crate::api::query::{PathId, QueryParams};
use crate::error::ApiError;
use crate::export::Lang;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;
use tally_app::input::Fields;
use tally_core::goal::MAX_CRITERIA;
use tally_core::metric::Unit;
use tally_core::quantity::round;
use tally_core::{Assignee, Measure, Metric};

/// Criterion rows the form offers beyond those already filled.
const SPARE_ROWS: usize = 3;

/// The most criterion rows a posted form is read for.
const MAX_ROWS: usize = MAX_CRITERIA + SPARE_ROWS;

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
    pub key: String,
    pub name: String,
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
    require(viewer, may_set_goals, "set goals")
}

/// `GET /goals`: the goals the person may see, current first.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    QueryParams(query): QueryParams,
) -> Result<Response, PageError> {
    require_setup(&viewer)?;
    let t = viewer.t();
    let mut goals = Vec::new();
    let current = state.app.goals(&viewer.caller, false).await?;
    let archived = state.app.goals(&viewer.caller, true).await?;
    for goal in current.into_iter().chain(archived) {
        let spec = &goal.definition.spec;
        let criteria = spec
            .criteria
            .iter()
            .map(|c| {
                format!(
                    "{} / {}",
                    texts::metric_name(&c.metric, viewer.lang),
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
            id: goal.id.clone(),
            name: spec.name.clone(),
            criteria,
            assignees,
            starts_on: super::format::date(spec.starts_on, viewer.lang),
            ends_on: spec
                .ends_on
                .map(|d| super::format::date(d, viewer.lang))
                .unwrap_or_default(),
            archived: goal.archived_at.is_some(),
        });
    }
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
            .app
            .org()
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
    let goal = state.app.goal(&viewer.caller, &id).await?;
    let spec = &goal.definition.spec;
    let exponent = state.app.org().currency.exponent;
    let rows = spec
        .criteria
        .iter()
        .map(|c| CriterionRow {
            metric: c.metric.key().to_owned(),
            period: c.period.as_str().to_owned(),
            target: typed_target(exponent, viewer.lang, c.metric.unit(), c.target),
            weight: typed_weight(viewer.lang, c.weight),
            error: String::new(),
        })
        .collect();
    let form = GoalForm {
        name: spec.name.clone(),
        starts_on: spec.starts_on.to_string(),
        ends_on: spec.ends_on.map(|d| d.to_string()).unwrap_or_default(),
        rows,
        errors: HashMap::new(),
    };
    let chosen: Vec<Chosen> = spec.assignees.iter().map(Chosen::of).collect();
    form_page(&state, &viewer, id, form, &chosen).await
}

/// An assignee the form shows as chosen, and how (a team's mode).
pub struct Chosen {
    team: bool,
    id: String,
    mode: String,
}

impl Chosen {
    fn of(assignee: &Assignee) -> Chosen {
        match assignee {
            Assignee::User(id) => Chosen::user(id),
            Assignee::Team(id, mode) => Chosen::team(id, mode.as_str()),
        }
    }

    pub fn user(id: &str) -> Chosen {
        Chosen {
            team: false,
            id: id.to_owned(),
            mode: "assigned".to_owned(),
        }
    }

    pub fn team(id: &str, mode: &str) -> Chosen {
        Chosen {
            team: true,
            id: id.to_owned(),
            mode: mode.to_owned(),
        }
    }
}

/// A stored target as a person would type it: talk time as `h:mm:ss`, money with the
/// language's thousands separators (the form reads both back).
fn typed_target(exponent: u32, lang: Lang, unit: Unit, target: Decimal) -> String {
    match unit {
        Unit::Seconds => super::format::duration(target),
        Unit::Money => super::format::number(target, exponent, lang),
        Unit::Count => round(target, 2).normalize().to_string(),
    }
}

/// A stored weight as typed in the language (`33,3333` in Vietnamese), read back the
/// same by the form.
fn typed_weight(lang: Lang, weight: Decimal) -> String {
    super::format::number(weight, 4, lang)
}

/// Renders the form, with spare criterion rows and the assignee choices.
async fn form_page(
    state: &AppState,
    viewer: &Viewer,
    id: String,
    mut form: GoalForm,
    chosen: &[Chosen],
) -> Result<Response, PageError> {
    let filled = form.rows.len();
    form.rows
        .resize(filled + SPARE_ROWS, CriterionRow::default());
    let chosen_as = |team: bool, id: &str| -> String {
        chosen
            .iter()
            .find(|c| c.team == team && c.id == id)
            .map(|c| c.mode.clone())
            .unwrap_or_default()
    };
    let assignable = state.app.assignable(&viewer.caller).await?;
    let options = |list: Vec<(String, String)>, team: bool| -> Vec<AssigneeOption> {
        list.into_iter()
            .map(|(id, name)| AssigneeOption {
                chosen: chosen_as(team, &id),
                id,
                name,
            })
            .collect()
    };
    let users = options(assignable.people, false);
    let teams = options(assignable.teams, true);
    let here = if id.is_empty() {
        "/goals/new".to_owned()
    } else {
        format!("/goals/{}", encode(&id))
    };
    let page = GoalFormPage {
        chrome: viewer.chrome("goals", &here),
        id,
        form,
        metrics: metric_options(&measures(state).await?, viewer.lang),
        users,
        teams,
    };
    Ok(unprocessable_if(page.form.has_errors(), render(&page)?))
}

/// The metrics a criterion may name: the 18 built in, then the organisation's own.
async fn measures(state: &AppState) -> Result<Vec<Measure>, PageError> {
    let custom = state.app.custom_metrics().await?;
    let custom = custom
        .into_iter()
        .map(|m| Measure::Custom(Arc::new(m.metric)));
    Ok(Metric::ALL
        .into_iter()
        .map(Measure::from)
        .chain(custom)
        .collect())
}

fn metric_options(measures: &[Measure], lang: Lang) -> Vec<MetricOption> {
    measures
        .iter()
        .map(|m| MetricOption {
            key: m.key().to_owned(),
            name: texts::metric_name(m, lang).to_owned(),
            unit: match m.unit() {
                Unit::Count => "",
                Unit::Seconds => "h:mm:ss",
                Unit::Money => "₫",
            },
        })
        .collect()
}

/// Saves through the goal services, or shows the form again with the error in place.
async fn save(
    state: AppState,
    viewer: Viewer,
    id: String,
    pairs: Vec<(String, String)>,
) -> Result<Response, PageError> {
    require_setup(&viewer)?;
    let mut posted = form::read(&pairs, viewer.lang, &measures(&state).await?);
    let body = Fields(posted.body.clone());
    let outcome = if id.is_empty() {
        state.app.create_goal(&viewer.caller, &body).await
    } else {
        state.app.change_goal(&viewer.caller, &id, &body).await
    };
    match outcome {
        Ok(_) => Ok(Redirect::to("/goals?saved=1").into_response()),
        Err(error) => {
            form::place_error(&mut posted, ApiError::from(error), viewer.lang)?;
            let chosen = form::chosen(&posted.assignees);
            form_page(&state, &viewer, id, posted.form, &chosen).await
        }
    }
}

/// `POST /goals/new`
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    save(state, viewer, String::new(), pairs).await
}

/// `POST /goals/{id}`
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(id): PathId,
    Pairs(pairs): Pairs,
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
    state.app.archive_goal(&viewer.caller, &id).await?;
    Ok(Redirect::to("/goals?saved=1").into_response())
}

#[cfg(test)]
mod tests {
    use super::typed_target;
    use crate::export::Lang;
    use serde_json::json;

    #[test]
    fn a_stored_target_reads_back_the_same_from_the_form() {
        let stored = [
            ("talk_seconds", "5400", json!(5400)),
            ("talk_seconds", "59", json!(59)),
            ("revenue", "300000000", json!(300_000_000)),
            ("revenue", "1500", json!(1500)),
            ("calls", "40", json!(40)),
        ];
        for lang in [Lang::Vi, Lang::En] {
            for (metric, target, value) in &stored {
                let unit = metric.parse::<tally_core::Metric>().unwrap().unit();
                let typed = typed_target(0, lang, unit, target.parse().unwrap());
                let row = super::CriterionRow {
                    metric: (*metric).to_owned(),
                    target: typed.clone(),
                    ..super::CriterionRow::default()
                };
                assert_eq!(
                    &super::form::target_json(&row, lang, Some(unit)),
                    value,
                    "{metric} {typed}"
                );
            }
        }
        for lang in [Lang::Vi, Lang::En] {
            for weight in ["9.091", "33.3333", "50", "12.5", "1000"] {
                let typed = super::typed_weight(lang, weight.parse().unwrap());
                let read = super::form::plain_number(&typed, lang);
                let same = read.parse::<rust_decimal::Decimal>().unwrap_or_default();
                assert_eq!(
                    same,
                    weight.parse().unwrap_or_default(),
                    "{weight} as {typed}"
                );
            }
        }
        let typed = |metric: &str, target: &str| {
            typed_target(
                0,
                Lang::Vi,
                metric.parse::<tally_core::Metric>().unwrap().unit(),
                target.parse().unwrap(),
            )
        };
        assert_eq!(typed("talk_seconds", "5400"), "1:30:00");
        assert_eq!(typed("revenue", "300000000"), "300.000.000");
    }
}
