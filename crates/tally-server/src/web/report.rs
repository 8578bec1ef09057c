//! The live part of a KPI page, formatted from the application's typed view: its
//! rows for people (or teams), compared with the previous range or the same dates a
//! year earlier, the leaderboard, and the trend of each metric charted, day by day and
//! over the last 13 months.

use super::format;
use super::selection::Selection;
use crate::AppState;
use crate::api::query::report_range;
use crate::error::ApiError;
use crate::export::Lang;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use tally_app::Caller;
use tally_app::views::{Choices, ProgressView, ViewKind};
use tally_core::calendar::months_up_to;
use tally_core::quantity::round;
use tally_core::views::{Compare, GroupValues, Row, Score, Subject, in_unit};
use tally_core::{Currency, Day, DayRange, Measure};

/// The shortest span a trend chart shows (a one-day report charts the last 14 days).
const MIN_TREND_DAYS: u32 = 14;

/// How many calendar months the monthly trend shows: a year and the month before it,
/// so this month stands beside the same month last year.
const TREND_MONTHS: usize = 13;

/// A row of the table, formatted.
pub struct RowView {
    pub subject: String,
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

/// The monthly trend as a table: a row per month, a cell per metric charted.
pub struct MonthRow {
    pub month: String,
    pub cells: Vec<String>,
}

/// Which trend a part of a page draws.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Trends {
    /// Day by day, under the table (the KPI page and its live part).
    Days,
    /// The last 13 months (their own part of the KPI page, fetched after the table).
    Months,
    /// None (the wallboard shows only its leaderboard).
    Left,
}

/// The live part of the page: rows, leaderboard and charts.
pub struct Report {
    pub range_text: String,
    pub previous_text: String,
    pub error: Option<String>,
    pub rows: Vec<RowView>,
    pub standings: Vec<Standing>,
    pub charts_json: String,
    /// The names of the metrics of the monthly trend, and its rows.
    pub month_metrics: Vec<String>,
    pub months: Vec<MonthRow>,
    pub as_of: String,
    /// The data version the figures are at least as new as.
    pub version: i64,
    /// The names of the custom metrics of the rows whose history is still being
    /// counted (their figures are partial).
    pub counting: Vec<String>,
}

/// Computes the view the selection asks for, and formats it. A filter the person may
/// not use, or that names nothing, shows as the report's error above an empty table.
pub async fn build(
    state: &AppState,
    (caller, lang): (&Caller, Lang),
    choices: &Choices,
    sel: &Selection,
    trends: Trends,
) -> Result<Report, super::PageError> {
    let (range, range_error) = match report_range(&sel.range_params(), state.app.org()) {
        Ok(range) => (range, None),
        Err(e) => (
            report_range(&HashMap::new(), state.app.org())?,
            Some(e.to_string()),
        ),
    };
    let compare = sel.comparison();
    let (view, error) = match compute(state, caller, sel, range).await {
        Ok(view) => (view, range_error),
        Err(e @ (ApiError::Forbidden(_) | ApiError::NotFound(_) | ApiError::Invalid { .. })) => {
            (None, Some(e.to_string()))
        }
        Err(e) => return Err(e.into()),
    };
    let version = match &view {
        Some(view) => view.data_version,
        None => state.app.store().data_version().await?,
    };
    let mut report = format_view(state, (range, compare), lang, choices, view.as_ref());
    report.error = error;
    report.version = version;
    let charted = Charted::of(view.as_ref());
    let charts = match trends {
        Trends::Left => return Ok(report),
        Trends::Days => trend(state, range, version, &charted, lang).await?,
        Trends::Months => {
            let months = months_up_to(range.to.min(state.app.today()), TREND_MONTHS);
            let totals = state
                .app
                .totals_over(version, &charted.subjects, &months, &charted.metrics)
                .await?;
            by_month(&mut report, &months, &totals, &charted, state, lang)
        }
    };
    report.charts_json = script_safe(&charts);
    Ok(report)
}

/// The view of the selection; `None` for the goal view of no goal.
async fn compute(
    state: &AppState,
    caller: &Caller,
    sel: &Selection,
    range: DayRange,
) -> Result<Option<ProgressView>, ApiError> {
    let app = &state.app;
    let user = (!sel.user_id.is_empty()).then_some(sel.user_id.as_str());
    let team = (!sel.team_id.is_empty()).then_some(sel.team_id.as_str());
    let compare = sel.comparison();
    let view = match sel.view.as_str() {
        "team" => app.teams_view(caller, range, compare, team).await?,
        "goal" if sel.goal_id.is_empty() => return Ok(None),
        "goal" => {
            app.goal_view(caller, &sel.goal_id, range, compare, user)
                .await?
        }
        _ => {
            app.employees_view(caller, range, compare, user, team)
                .await?
        }
    };
    Ok(Some(view))
}

/// The days a trend shows: the range up to today, widened back to at least
/// [`MIN_TREND_DAYS`] days.
fn trend_days(range: DayRange, today: Day) -> DayRange {
    let last = range.to.min(today).max(range.from);
    let length = i32::try_from(MIN_TREND_DAYS).unwrap_or(14);
    let first = range.from.min(last.plus(1 - length));
    DayRange::new(first, last).unwrap_or(range)
}

/// JSON to put inside a `<script>` element: `<`, `>` and `&` escaped, so no text in it
/// (a name, one day) can close the element.
pub(super) fn script_safe(value: &Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn format_view(
    state: &AppState,
    (range, compare): (DayRange, Compare),
    lang: Lang,
    choices: &Choices,
    view: Option<&ProgressView>,
) -> Report {
    let currency = &state.app.org().currency;
    let rows: Vec<RowView> = view
        .map(|v| v.rows.iter().map(|r| row_view(r, currency, lang)).collect())
        .unwrap_or_default();
    let counting = view
        .map_or(&[][..], |v| v.counting.as_slice())
        .iter()
        .filter_map(|key| rows.iter().find(|r| r.metric == *key))
        .map(|row| row.metric_name.clone())
        .collect();
    let scores = view
        .filter(|v| v.kind != ViewKind::Teams)
        .map_or(&[][..], |v| v.scores.as_slice());
    Report {
        range_text: range_text(range, lang),
        previous_text: range_text(compare.range_for(range), lang),
        error: None,
        rows,
        standings: standings(scores, choices, lang),
        charts_json: "{}".into(),
        month_metrics: Vec::new(),
        months: Vec::new(),
        version: 0,
        counting,
        as_of: jiff::Timestamp::now()
            .to_zoned_datetime(state.app.org().calendar.time_zone().clone())
            .strftime("%H:%M:%S")
            .to_string(),
    }
}

/// One row of the view, for people (the figures as the API shows them: a fraction to
/// four places, a quantity to its unit's).
pub fn row_view(row: &Row, currency: &Currency, lang: Lang) -> RowView {
    let metric = &row.metric;
    let unit = metric.unit();
    let show = |value: Decimal| format::quantity(value, unit, currency, lang);
    let actual = in_unit(unit, row.actual, currency);
    let previous = in_unit(unit, row.previous, currency);
    let change = actual - previous;
    let completion = row.completion.map(|c| round(c, 4));
    let pct = (!previous.is_zero()).then(|| round(change / previous, 4));
    let pace = row.pace.as_ref().map_or("", |p| p.status.as_str());
    let subject = match &row.subject {
        Subject::User(id) | Subject::Team(id) => id.clone(),
    };
    RowView {
        subject,
        name: row.name.clone(),
        goal_name: row
            .goal
            .as_ref()
            .map(|(_, n)| n.clone())
            .unwrap_or_default(),
        metric: metric.key().to_owned(),
        metric_name: super::texts::metric_name(metric, lang).to_owned(),
        actual: show(actual),
        target: show(row.target),
        bar: completion.map_or(0, bar_percent),
        completion: completion.map_or_else(|| "—".into(), |c| format::percent(c, lang)),
        grade: row.grade.map(|g| g.as_str().to_owned()).unwrap_or_default(),
        pace: pace.to_owned(),
        pace_label: match pace {
            "" => String::new(),
            status => super::texts::of(lang).pace(status).to_owned(),
        },
        change: change_text(change, pct, &show, lang),
        trend: match change.cmp(&Decimal::ZERO) {
            std::cmp::Ordering::Greater => "up",
            std::cmp::Ordering::Equal => "flat",
            std::cmp::Ordering::Less => "down",
        },
    }
}

/// A completion as a progress bar's 0–100.
fn bar_percent(completion: Decimal) -> u32 {
    let percent = (completion * Decimal::ONE_HUNDRED).round();
    percent
        .clamp(Decimal::ZERO, Decimal::ONE_HUNDRED)
        .to_u32()
        .unwrap_or(0)
}

/// The leaderboard: each goal's scores by rank.
fn standings(scores: &[Score], choices: &Choices, lang: Lang) -> Vec<Standing> {
    let goal_names: HashMap<&str, &str> = choices
        .goals
        .iter()
        .map(|(id, name)| (id.as_str(), name.as_str()))
        .collect();
    let mut standings: Vec<(&str, Standing)> = scores
        .iter()
        .map(|s| {
            let goal = s.goal.0.as_str();
            let standing = Standing {
                rank: s.rank.map_or(0, i64::from),
                name: s.name.clone(),
                goal_name: goal_names
                    .get(goal)
                    .map(|n| (*n).to_owned())
                    .unwrap_or_default(),
                score: format::percent(round(s.score, 4), lang),
                grade: s.grade.as_str().to_owned(),
            };
            (goal, standing)
        })
        .collect();
    standings.sort_by(|(ga, a), (gb, b)| (ga, a.rank, &a.name).cmp(&(gb, b.rank, &b.name)));
    standings.into_iter().map(|(_, s)| s).collect()
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

pub(super) fn range_text(range: DayRange, lang: Lang) -> String {
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

/// What the trends show: the metrics of the table's rows, and the people (or teams)
/// whose work they sum.
struct Charted {
    metrics: Vec<Measure>,
    subjects: Vec<Subject>,
}

impl Charted {
    fn of(view: Option<&ProgressView>) -> Charted {
        let mut metrics: Vec<Measure> = Vec::new();
        let mut subjects: BTreeSet<Subject> = BTreeSet::new();
        for row in view.map_or(&[][..], |v| v.rows.as_slice()) {
            if !metrics.contains(&row.metric) {
                metrics.push(row.metric.clone());
            }
            subjects.insert(row.subject.clone());
        }
        // A goal's team total and its members' rows would count the same work twice:
        // when people are charted, the trends sum the people.
        if subjects.iter().any(|s| matches!(s, Subject::User(_))) {
            subjects.retain(|s| matches!(s, Subject::User(_)));
        }
        Charted {
            metrics,
            subjects: subjects.into_iter().collect(),
        }
    }
}

/// The per-day values of the people (or teams) in the table, summed per metric, over
/// the report's range (up to today: days to come have nothing to draw), and at least
/// [`MIN_TREND_DAYS`] days.
async fn trend(
    state: &AppState,
    range: DayRange,
    version: i64,
    charted: &Charted,
    lang: Lang,
) -> Result<Value, ApiError> {
    let days = trend_days(range, state.app.today());
    let groups = state.app.subject_groups(&charted.subjects, days).await?;
    let totals = state
        .app
        .daily_totals(version, days, &groups, &charted.metrics)
        .await?;
    let labels: Vec<String> = totals.iter().map(|(d, _)| format::date(*d, lang)).collect();
    let values: Vec<&GroupValues> = totals.iter().map(|(_, v)| v).collect();
    let series = series(&charted.metrics, &values, &state.app.org().currency, lang);
    Ok(json!({"days": labels, "series": series}))
}

/// The monthly trend: each month's totals of the people (or teams) charted, as the
/// report's table (exact, in each metric's unit), and the charts' data: the months as
/// `labels`, a series a metric.
fn by_month(
    report: &mut Report,
    months: &[DayRange],
    totals: &[GroupValues],
    charted: &Charted,
    state: &AppState,
    lang: Lang,
) -> Value {
    if charted.metrics.is_empty() {
        return json!({});
    }
    let currency = &state.app.org().currency;
    let value = |metric: &Measure, values: &GroupValues| {
        in_unit(metric.unit(), values.get(metric), currency)
    };
    let labels: Vec<String> = months.iter().map(|m| format::month(m.from, lang)).collect();
    report.month_metrics = charted
        .metrics
        .iter()
        .map(|m| super::texts::metric_name(m, lang).to_owned())
        .collect();
    report.months = labels
        .iter()
        .zip(totals)
        .map(|(month, values)| MonthRow {
            month: month.clone(),
            cells: charted
                .metrics
                .iter()
                .map(|m| format::quantity(value(m, values), m.unit(), currency, lang))
                .collect(),
        })
        .collect();
    let values: Vec<&GroupValues> = totals.iter().collect();
    let series = series(&charted.metrics, &values, currency, lang);
    json!({"labels": labels, "series": series})
}

/// A chart's series a metric: its key, name and unit, and its value at each point.
fn series(
    metrics: &[Measure],
    points: &[&GroupValues],
    currency: &Currency,
    lang: Lang,
) -> Vec<Value> {
    metrics
        .iter()
        .map(|metric| {
            let values: Vec<f64> = points
                .iter()
                .map(|v| {
                    in_unit(metric.unit(), v.get(metric), currency)
                        .to_f64()
                        .unwrap_or(0.0)
                })
                .collect();
            let name = super::texts::metric_name(metric, lang);
            json!({"metric": metric.key(), "name": name, "unit": metric.unit(), "values": values})
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::script_safe;
    use serde_json::json;

    #[test]
    fn trends_stop_today_and_show_at_least_two_weeks() {
        use super::trend_days;
        use tally_core::{Day, DayRange};
        let day = |s: &str| s.parse::<Day>().expect("day");
        let range = |a: &str, b: &str| DayRange::new(day(a), day(b)).expect("range");
        let today = day("2026-11-27");
        let month = range("2026-11-01", "2026-11-30");
        assert_eq!(trend_days(month, today), range("2026-11-01", "2026-11-27"));
        let one = range("2026-11-27", "2026-11-27");
        assert_eq!(trend_days(one, today), range("2026-11-14", "2026-11-27"));
        let past = range("2026-10-01", "2026-10-31");
        assert_eq!(trend_days(past, today), past);
        let early = range("2026-11-01", "2026-11-30");
        assert_eq!(
            trend_days(early, day("2026-11-02")),
            range("2026-10-20", "2026-11-02")
        );
    }

    #[test]
    fn chart_data_cannot_close_its_script_element() {
        let text = script_safe(&json!({"name": "</script><script>alert(1)</script> & co"}));
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&text).expect("still JSON");
        assert_eq!(back["name"], "</script><script>alert(1)</script> & co");
    }
}
