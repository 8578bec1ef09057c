//! The JSON of the progress views and of a goal's frozen results, as `docs/api.md`
//! shows it: counts and seconds as numbers, money as decimal strings in the
//! organization's currency, fractions as decimal strings. A view's JSON borrows the
//! view; its rows are also an export's cells, so the JSON and the files agree.

use crate::api::openapi;
use crate::error::ApiError;
use crate::export::{Cells, Lang};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use tally_app::results::{FrozenResult, ResultsPage};
use tally_app::views::{ProgressView, ViewKind};
use tally_core::quantity::round;
use tally_core::views::{Row, Score, Subject, in_unit};
use tally_core::{Currency, Number, Organization, Quantity};
use utoipa::ToSchema;

/// A view's JSON: its range, the previous range, and its rows and scores. It borrows
/// the view, so that writing 3,000 rows copies no name and builds no JSON value.
#[derive(Serialize, ToSchema)]
pub struct ViewJson<'v> {
    from: String,
    to: String,
    /// `previous` or `year`: what `previous_from`–`previous_to` is.
    compare: &'static str,
    previous_from: String,
    previous_to: String,
    timezone: &'v str,
    currency: &'v str,
    #[serde(skip_serializing_if = "Option::is_none")]
    goal_id: Option<&'v str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    goal_name: Option<&'v str>,
    pub(super) rows: Vec<RowJson<'v>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scores: Option<Vec<ScoreJson<'v>>>,
    /// The custom metrics of the rows whose history is still being counted: their
    /// values are partial (absent when there is none).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    counting: &'v [String],
}

impl<'v> ViewJson<'v> {
    pub(super) fn of(view: &'v ProgressView, org: &'v Organization, lang: Lang) -> ViewJson<'v> {
        let currency = &org.currency;
        ViewJson {
            from: view.range.from.to_string(),
            to: view.range.to.to_string(),
            compare: view.compare.as_str(),
            previous_from: view.previous.from.to_string(),
            previous_to: view.previous.to.to_string(),
            timezone: org.calendar.time_zone_name(),
            currency: &currency.code,
            goal_id: view.goal.as_ref().map(|(id, _)| id.as_str()),
            goal_name: view.goal.as_ref().map(|(_, name)| name.as_str()),
            rows: view
                .rows
                .iter()
                .map(|r| RowJson::of(r, currency, lang))
                .collect(),
            scores: (view.kind != ViewKind::Teams)
                .then(|| view.scores.iter().map(ScoreJson::of).collect()),
            counting: &view.counting,
        }
    }

    /// The JSON answer, written into a buffer sized for its rows at once.
    pub(super) fn into_response(self) -> Result<Response, ApiError> {
        /// About what a row and its share of the scores take, so that the buffer
        /// rarely grows (each growth copies all that is written).
        const ROW_BYTES: usize = 480;
        let mut body = Vec::with_capacity(1024 + self.rows.len() * ROW_BYTES);
        serde_json::to_writer(&mut body, &self).map_err(|e| ApiError::Internal(e.to_string()))?;
        Ok((
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response())
    }
}

/// A subject's id as a user's or a team's.
fn subject_ids(subject: &Subject) -> (Option<&str>, Option<&str>) {
    match subject {
        Subject::User(id) => (Some(id), None),
        Subject::Team(id) => (None, Some(id)),
    }
}

/// One row: counts and seconds are numbers, money a decimal string in the
/// organization's currency, fractions (completion, change %) decimal strings.
#[derive(Serialize, ToSchema)]
pub struct RowJson<'v> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'v str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team_id: Option<&'v str>,
    name: &'v str,
    #[serde(skip_serializing_if = "Option::is_none")]
    goal_id: Option<&'v str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    goal_name: Option<&'v str>,
    metric: &'v str,
    metric_name: &'v str,
    #[serde(skip_serializing_if = "Option::is_none")]
    period: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<openapi::Quantity>)]
    weight: Option<Number>,
    days: u32,
    #[schema(value_type = openapi::Quantity)]
    actual: Quantity,
    #[schema(value_type = openapi::Quantity)]
    target: Quantity,
    #[schema(value_type = Option<String>)]
    completion: Option<Fraction>,
    grade: Option<&'static str>,
    rank: Option<u32>,
    #[schema(value_type = openapi::Quantity)]
    previous: Quantity,
    #[schema(value_type = openapi::Quantity)]
    change: Quantity,
    #[schema(value_type = Option<String>)]
    change_pct: Option<Fraction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pace: Option<PaceJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    target_source: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<openapi::Quantity>)]
    team_target: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<openapi::Quantity>)]
    members_target: Option<Quantity>,
    #[serde(skip_serializing_if = "Option::is_none")]
    targets_disagree: Option<bool>,
}

#[derive(Serialize, ToSchema)]
struct PaceJson {
    #[schema(value_type = openapi::Quantity)]
    expected: Quantity,
    #[schema(value_type = openapi::Quantity)]
    projected: Quantity,
    status: &'static str,
}

/// A fraction as a decimal string, to 4 places ("0.75", "1.2").
#[derive(Clone, Copy)]
struct Fraction(Decimal);

impl Fraction {
    fn of(value: Decimal) -> Fraction {
        Fraction(round(value, 4).normalize())
    }
}

impl Serialize for Fraction {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&self.0)
    }
}

impl<'v> RowJson<'v> {
    fn of(row: &'v Row, currency: &Currency, lang: Lang) -> RowJson<'v> {
        let metric = &row.metric;
        let unit = metric.unit();
        let quantity = |value: Decimal| Quantity::of(unit, value, currency);
        let actual = in_unit(unit, row.actual, currency);
        let previous = in_unit(unit, row.previous, currency);
        let change = actual - previous;
        let (user_id, team_id) = subject_ids(&row.subject);
        let targets = row.team_targets.as_ref();
        RowJson {
            user_id,
            team_id,
            name: &row.name,
            goal_id: row.goal.as_ref().map(|(id, _)| id.as_str()),
            goal_name: row.goal.as_ref().map(|(_, name)| name.as_str()),
            metric: metric.key(),
            metric_name: match lang {
                Lang::Vi => metric.name_vi(),
                Lang::En => metric.name_en(),
            },
            period: row.period.map(|p| p.as_str()),
            weight: row.weight.map(Number),
            days: row.days,
            actual: quantity(actual),
            target: quantity(row.target),
            completion: row.completion.map(Fraction::of),
            grade: row.grade.map(|g| g.as_str()),
            rank: row.rank,
            previous: quantity(previous),
            change: quantity(change),
            change_pct: (!previous.is_zero()).then(|| Fraction::of(change / previous)),
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
impl Cells for RowJson<'_> {
    fn cell(&self, key: &str) -> String {
        let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
        let shown = |v: Option<String>| v.unwrap_or_default();
        let pace = self.pace.as_ref();
        match key {
            "user_id" => text(self.user_id),
            "team_id" => text(self.team_id),
            "name" => self.name.to_owned(),
            "goal_id" => text(self.goal_id),
            "goal_name" => text(self.goal_name),
            "metric" => self.metric.to_owned(),
            "metric_name" => self.metric_name.to_owned(),
            "period" => text(self.period),
            "weight" => shown(self.weight.map(|w| w.to_string())),
            "days" => self.days.to_string(),
            "actual" => self.actual.to_string(),
            "target" => self.target.to_string(),
            "completion" => shown(self.completion.map(|c| c.0.to_string())),
            "grade" => text(self.grade),
            "rank" => shown(self.rank.map(|r| r.to_string())),
            "previous" => self.previous.to_string(),
            "change" => self.change.to_string(),
            "change_pct" => shown(self.change_pct.map(|c| c.0.to_string())),
            "pace/expected" => shown(pace.map(|p| p.expected.to_string())),
            "pace/projected" => shown(pace.map(|p| p.projected.to_string())),
            "pace/status" => text(pace.map(|p| p.status)),
            "target_source" => text(self.target_source),
            "team_target" => shown(self.team_target.map(|t| t.to_string())),
            "members_target" => shown(self.members_target.map(|t| t.to_string())),
            "targets_disagree" => shown(self.targets_disagree.map(|d| d.to_string())),
            _ => String::new(),
        }
    }
}

/// An assignee's weighted score on a goal.
#[derive(Serialize, ToSchema)]
pub struct ScoreJson<'v> {
    #[serde(skip_serializing_if = "Option::is_none")]
    user_id: Option<&'v str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    team_id: Option<&'v str>,
    name: &'v str,
    goal_id: &'v str,
    #[schema(value_type = String)]
    score: Fraction,
    grade: &'static str,
    rank: Option<u32>,
}

impl<'v> ScoreJson<'v> {
    fn of(score: &'v Score) -> ScoreJson<'v> {
        let (user_id, team_id) = subject_ids(&score.subject);
        ScoreJson {
            user_id,
            team_id,
            name: &score.name,
            goal_id: &score.goal.0,
            score: Fraction::of(score.score),
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
    metric: String,
    revision: i64,
    #[schema(value_type = openapi::Quantity)]
    target: Quantity,
    #[schema(value_type = openapi::Quantity)]
    actual: Quantity,
    achieved: bool,
    #[schema(value_type = String, format = DateTime)]
    closed_at: Value,
    #[schema(value_type = openapi::Quantity)]
    current_actual: Quantity,
    changed: bool,
}

impl ResultsJson {
    pub(super) fn of(page: ResultsPage, currency: &Currency) -> ResultsJson {
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
        let unit = result.metric.unit();
        let amount = |raw| Quantity::of(unit, in_unit(unit, raw, currency), currency);
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
            metric: result.metric.key().to_owned(),
            revision: result.revision,
            target: Quantity::of(unit, result.target, currency),
            actual: amount(result.actual),
            achieved: result.achieved,
            closed_at: crate::api::json::micros_json(result.closed_at),
            current_actual: amount(result.current_actual),
            changed: result.current_actual != result.actual,
        }
    }
}
