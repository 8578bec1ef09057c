//! The live part of a KPI page, computed and formatted: the API's rows of the chosen
//! view for people, the leaderboard, and the per-day trend of each metric shown.

use super::Viewer;
use super::format;
use super::selection::Selection;
use crate::AppState;
use crate::api::progress::{View, employee_view, goal_view, team_view, user_filter};
use crate::api::query::report_range;
use crate::error::ApiError;
use crate::export::Lang;
use crate::progress::{Context, Goal, Subject, daily_values};
use crate::scope::Scope;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;
use tally_core::{Day, DayRange, Metric};
use tally_store::{Team, User};

/// The shortest span a trend chart shows (a one-day report charts the last 14 days).
const MIN_TREND_DAYS: u32 = 14;

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
    /// The data version the figures are at least as new as.
    pub version: i64,
}

/// Computes the view the selection asks for, and formats it.
pub async fn build(
    state: &AppState,
    viewer: &Viewer,
    scope: &Scope,
    goals: &[Goal],
    sel: &Selection,
) -> Result<Built, super::PageError> {
    let (range, range_error) = match report_range(&sel.range_params(), &state.org) {
        Ok(range) => (range, None),
        Err(e) => (
            report_range(&HashMap::new(), &state.org)?,
            Some(e.to_string()),
        ),
    };
    // Read first: the figures below are at least this new.
    let version = state.store.data_version().await?;
    let ctx = Context::load(state, range).await?;
    let lang = viewer.lang;
    // A filter the person may not use, or that names nothing, shows as the report's
    // error above an empty table.
    let (view, error) = match compute(state, &ctx, scope, goals, sel, lang).await {
        Ok(view) => (view, range_error),
        Err(e @ (ApiError::Forbidden(_) | ApiError::NotFound(_) | ApiError::Invalid { .. })) => {
            (View::default(), Some(e.to_string()))
        }
        Err(e) => return Err(e.into()),
    };
    let mut report = format_view(&ctx, lang, goals, view);
    report.error = error;
    report.version = version;
    report.charts_json = script_safe(&trend(state, &ctx, &report, lang).await?);
    let Context { users, teams, .. } = ctx;
    Ok(Built {
        report,
        users,
        teams,
    })
}

/// The live part, and the people and teams it was read with (the page's filters
/// list them without reading them again).
pub struct Built {
    pub report: Report,
    pub users: HashMap<String, User>,
    pub teams: HashMap<String, Team>,
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
                return Ok(View::default());
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
fn script_safe(value: &Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
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
    let list = |key: &str| {
        view.body
            .get(key)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let rows = list("rows")
        .iter()
        .filter_map(|row| row_view(ctx, lang, row))
        .collect();
    Report {
        range_text: range_text(ctx.range, lang),
        previous_text: range_text(ctx.previous, lang),
        error: None,
        rows,
        standings: standings(&list("scores"), goals, lang),
        charts_json: "{}".into(),
        version: 0,
        as_of: jiff::Timestamp::now()
            .to_zoned_datetime(ctx.org.calendar.time_zone().clone())
            .strftime("%H:%M:%S")
            .to_string(),
    }
}

/// One row of the API's answer, for people; `None` for a metric this build does not
/// know.
fn row_view(ctx: &Context<'_>, lang: Lang, row: &Value) -> Option<RowView> {
    let metric = Metric::from_str(&text(row, "metric")).ok()?;
    let amount = |key: &str| row.get(key).and_then(decimal).unwrap_or_default();
    let show = |value: Decimal| format::quantity(value, metric.unit(), &ctx.org.currency, lang);
    let completion = row.get("completion").and_then(decimal);
    let change = amount("change");
    let pace = row
        .pointer("/pace/status")
        .and_then(Value::as_str)
        .unwrap_or("");
    let subject = row.get("user_id").or_else(|| row.get("team_id"));
    Some(RowView {
        is_team: row.get("team_id").is_some(),
        subject: subject
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
        name: text(row, "name"),
        goal_name: text(row, "goal_name"),
        metric: metric.key().to_owned(),
        metric_name: text(row, "metric_name"),
        actual: show(amount("actual")),
        target: show(amount("target")),
        bar: completion.map_or(0, bar_percent),
        completion: completion.map_or_else(|| "—".into(), |c| format::percent(c, lang)),
        grade: text(row, "grade"),
        pace: pace.to_owned(),
        pace_label: match pace {
            "" => String::new(),
            status => super::texts::of(lang).pace(status).to_owned(),
        },
        change: change_text(change, row.get("change_pct").and_then(decimal), &show, lang),
        trend: match change.cmp(&Decimal::ZERO) {
            std::cmp::Ordering::Greater => "up",
            std::cmp::Ordering::Equal => "flat",
            std::cmp::Ordering::Less => "down",
        },
    })
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
fn standings(scores: &[Value], goals: &[Goal], lang: Lang) -> Vec<Standing> {
    let goal_names: HashMap<&str, &str> = goals
        .iter()
        .map(|g| (g.record.id.as_str(), g.spec.name.as_str()))
        .collect();
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
/// the report's range (up to today: days to come have nothing to draw), and at least
/// [`MIN_TREND_DAYS`] days.
async fn trend(
    state: &AppState,
    ctx: &Context<'_>,
    report: &Report,
    lang: Lang,
) -> Result<Value, ApiError> {
    let days = trend_days(ctx.range, ctx.today);
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
    // A goal's team total and its members' rows would count the same work twice: when
    // people are shown, the chart sums the people.
    if subjects.iter().any(|s| matches!(s, Subject::User(_))) {
        subjects.retain(|s| matches!(s, Subject::User(_)));
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
            let name = super::texts::metric_name(*metric, lang);
            json!({"metric": metric.key(), "name": name, "unit": metric.unit(), "values": points})
        })
        .collect();
    Ok(json!({"days": labels, "series": series}))
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
