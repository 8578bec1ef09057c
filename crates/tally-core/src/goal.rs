//! KPI goals (plans): criteria with targets per period kind, weights, assignees and the
//! days a goal applies, and the pro-rating of `spec/metrics.md` ("Ranges and targets").
//!
//! A goal is parsed from its JSON definition here, with errors naming the field, so the
//! same rules hold for the API, the pages and the tests.

use crate::calendar::{Day, DayRange, month_of};
use crate::custom::CustomMetric;
use crate::dayset::DaySet;
use crate::event::FieldError;
use crate::measure::Measure;
use crate::metric::Unit;
use crate::money::Currency;
use crate::quantity::{Number, Quantity};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// The period a criterion's target is set for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PeriodKind {
    Day,
    Week,
    Month,
}

impl PeriodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Day => "day",
            PeriodKind::Week => "week",
            PeriodKind::Month => "month",
        }
    }
}

impl fmt::Display for PeriodKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PeriodKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "day" => Ok(PeriodKind::Day),
            "week" => Ok(PeriodKind::Week),
            "month" => Ok(PeriodKind::Month),
            _ => Err(format!("'{s}' is not one of day, week, month")),
        }
    }
}

/// One criterion of a goal: a metric (built in or custom), its target per period, its
/// weight in percent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Criterion {
    pub metric: Measure,
    pub period: PeriodKind,
    /// In the metric's unit: a count, seconds, or an amount of the currency.
    pub target: Decimal,
    pub weight: Decimal,
}

/// Whether a team's target is carried by each member or by the team as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TeamMode {
    EachMember,
    TeamTotal,
}

impl TeamMode {
    pub fn as_str(self) -> &'static str {
        match self {
            TeamMode::EachMember => "each_member",
            TeamMode::TeamTotal => "team_total",
        }
    }
}

/// Who a goal is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Assignee {
    User(String),
    Team(String, TeamMode),
}

/// What a goal asks for, of whom, and from when.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoalSpec {
    pub name: String,
    pub criteria: Vec<Criterion>,
    pub assignees: Vec<Assignee>,
    pub starts_on: Day,
    pub ends_on: Option<Day>,
}

/// The most criteria and assignees one goal may have.
pub const MAX_CRITERIA: usize = 18;
pub const MAX_ASSIGNEES: usize = 1_000;

impl GoalSpec {
    /// Parses and checks a goal definition. `custom` are the organisation's custom
    /// metrics a criterion may name besides the built-in ones; `today` is the default
    /// `starts_on`.
    pub fn parse(
        body: &Map<String, Value>,
        currency: &Currency,
        custom: &[Arc<CustomMetric>],
        today: Day,
    ) -> Result<GoalSpec, FieldError> {
        let name = match body.get("name") {
            Some(Value::String(s)) if valid_name(s) => s.trim().to_owned(),
            Some(_) => {
                return Err(FieldError::new(
                    "name",
                    "must be 1 to 200 printable characters",
                ));
            }
            None => return Err(FieldError::new("name", "is required")),
        };
        let criteria = parse_criteria(body.get("criteria"), currency, custom)?;
        let assignees = parse_assignees(body.get("assignees"))?;
        let starts_on = match body.get("starts_on") {
            None | Some(Value::Null) => today,
            Some(v) => parse_day("starts_on", v)?,
        };
        let ends_on = match body.get("ends_on") {
            None | Some(Value::Null) => None,
            Some(v) => Some(parse_day("ends_on", v)?),
        };
        if ends_on.is_some_and(|end| end < starts_on) {
            return Err(FieldError::new("ends_on", "must not be before starts_on"));
        }
        Ok(GoalSpec {
            name,
            criteria,
            assignees,
            starts_on,
            ends_on,
        })
    }

    /// The goal's definition as JSON, in the form [`GoalSpec::parse`] reads.
    pub fn to_json(&self, currency: &Currency) -> Value {
        let criteria: Vec<Value> = self
            .criteria
            .iter()
            .map(|c| {
                json!({
                    "metric": c.metric.key(),
                    "period": c.period.as_str(),
                    "target": Quantity::of(c.metric.unit(), c.target, currency),
                    "weight": Number(c.weight),
                })
            })
            .collect();
        let assignees: Vec<Value> = self
            .assignees
            .iter()
            .map(|a| match a {
                Assignee::User(id) => json!({"user_id": id}),
                Assignee::Team(id, mode) => json!({"team_id": id, "mode": mode.as_str()}),
            })
            .collect();
        json!({
            "name": self.name,
            "criteria": criteria,
            "assignees": assignees,
            "starts_on": self.starts_on.to_string(),
            "ends_on": self.ends_on.map(|d| d.to_string()),
        })
    }

    /// The days the goal is active within `range`.
    pub fn active_within(&self, range: DayRange) -> Option<DayRange> {
        let to = self.ends_on.unwrap_or(range.to);
        DayRange::new(self.starts_on, to)?.intersect(range)
    }

    /// The share of the whole of `weight` this criterion has (weights need not sum to
    /// exactly 100 when they were split evenly).
    pub fn weight_share(&self, criterion: &Criterion) -> Decimal {
        let total: Decimal = self.criteria.iter().map(|c| c.weight).sum();
        if total.is_zero() {
            return Decimal::ZERO;
        }
        criterion.weight / total
    }
}

fn valid_name(s: &str) -> bool {
    let n = s.trim().chars().count();
    (1..=200).contains(&n) && !s.chars().any(char::is_control)
}

fn parse_day(field: &str, value: &Value) -> Result<Day, FieldError> {
    value
        .as_str()
        .ok_or_else(|| FieldError::new(field, "must be a date YYYY-MM-DD"))?
        .parse()
        .map_err(|e: crate::calendar::InvalidDay| FieldError::new(field, e.to_string()))
}

fn parse_criteria(
    value: Option<&Value>,
    currency: &Currency,
    custom: &[Arc<CustomMetric>],
) -> Result<Vec<Criterion>, FieldError> {
    let list = match value {
        Some(Value::Array(list)) if !list.is_empty() && list.len() <= MAX_CRITERIA => list,
        None => return Err(FieldError::new("criteria", "is required")),
        Some(_) => {
            return Err(FieldError::new(
                "criteria",
                format!("must be a list of 1 to {MAX_CRITERIA} criteria"),
            ));
        }
    };
    let mut criteria: Vec<Criterion> = Vec::with_capacity(list.len());
    let mut weights_given = 0;
    for (i, item) in list.iter().enumerate() {
        let at = |name: &str| format!("criteria[{i}].{name}");
        let item = item
            .as_object()
            .ok_or_else(|| FieldError::new(&format!("criteria[{i}]"), "must be an object"))?;
        let metric = match item.get("metric") {
            Some(Value::String(key)) => Measure::find(key, custom)
                .map_err(|e| FieldError::new(&at("metric"), e.to_string()))?,
            _ => return Err(FieldError::new(&at("metric"), "is required: a metric key")),
        };
        if criteria.iter().any(|c| c.metric == metric) {
            return Err(FieldError::new(
                &at("metric"),
                format!("'{metric}' is already a criterion of this goal"),
            ));
        }
        let period: PeriodKind = match item.get("period") {
            Some(Value::String(p)) => p
                .parse()
                .map_err(|e: String| FieldError::new(&at("period"), e))?,
            _ => {
                return Err(FieldError::new(
                    &at("period"),
                    "is required: day, week or month",
                ));
            }
        };
        let target = parse_target(item.get("target"), metric.unit(), currency)
            .map_err(|m| FieldError::new(&at("target"), m))?;
        let weight = match item.get("weight") {
            None | Some(Value::Null) => Decimal::ZERO,
            Some(v) => {
                weights_given += 1;
                positive_decimal(v)
                    .filter(|w| *w <= Decimal::ONE_HUNDRED && w.normalize().scale() <= 4)
                    .ok_or_else(|| {
                        FieldError::new(
                            &at("weight"),
                            "must be a percentage above 0, at most 100, with at most 4 decimals",
                        )
                    })?
            }
        };
        criteria.push(Criterion {
            metric,
            period,
            target,
            weight,
        });
    }
    settle_weights(&mut criteria, weights_given)?;
    Ok(criteria)
}

/// Weights are all given and sum to 100, or all left out and split evenly.
fn settle_weights(criteria: &mut [Criterion], given: usize) -> Result<(), FieldError> {
    if given == 0 {
        // Even shares to 4 decimals; the last takes the remainder, so they sum to 100.
        let even = (Decimal::ONE_HUNDRED / Decimal::from(criteria.len())).round_dp(4);
        let mut left = Decimal::ONE_HUNDRED;
        let last = criteria.len() - 1;
        for (i, c) in criteria.iter_mut().enumerate() {
            c.weight = if i == last { left } else { even };
            left -= even;
        }
        return Ok(());
    }
    if given != criteria.len() {
        return Err(FieldError::new(
            "criteria",
            "give a weight to every criterion, or to none (even split)",
        ));
    }
    let total: Decimal = criteria.iter().map(|c| c.weight).sum();
    if total != Decimal::ONE_HUNDRED {
        return Err(FieldError::new(
            "criteria",
            format!("the weights sum to {total}, not 100"),
        ));
    }
    Ok(())
}

/// A target above zero in the metric's unit: whole counts and seconds, money with no
/// more decimals than the currency has.
fn parse_target(value: Option<&Value>, unit: Unit, currency: &Currency) -> Result<Decimal, String> {
    let target = value
        .and_then(positive_decimal)
        .ok_or("is required: a number above 0")?;
    match unit {
        Unit::Money => {
            currency.to_minor(target).map_err(|e| e.to_string())?;
        }
        Unit::Count | Unit::Seconds => {
            if !target.fract().is_zero() {
                return Err(format!("must be a whole number of {}", unit_name(unit)));
            }
            if target > Decimal::from(crate::money::MAX_MINOR_UNITS) {
                return Err("is too large".into());
            }
        }
    }
    Ok(target.normalize())
}

fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Count => "things",
        Unit::Seconds => "seconds",
        Unit::Money => "money",
    }
}

/// A number, or a decimal string, above zero.
fn positive_decimal(value: &Value) -> Option<Decimal> {
    let decimal = match value {
        Value::Number(n) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .ok()?,
        Value::String(s) => Decimal::from_str(s.trim()).ok()?,
        _ => return None,
    };
    (decimal > Decimal::ZERO).then_some(decimal)
}

fn parse_assignees(value: Option<&Value>) -> Result<Vec<Assignee>, FieldError> {
    let list = match value {
        Some(Value::Array(list)) if !list.is_empty() && list.len() <= MAX_ASSIGNEES => list,
        None => return Err(FieldError::new("assignees", "is required")),
        Some(_) => {
            return Err(FieldError::new(
                "assignees",
                format!("must be a list of 1 to {MAX_ASSIGNEES} users or teams"),
            ));
        }
    };
    let mut assignees = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let assignee = parse_assignee(i, item)?;
        if assignees.contains(&assignee) {
            return Err(FieldError::new(
                &format!("assignees[{i}]"),
                "is listed twice",
            ));
        }
        assignees.push(assignee);
    }
    Ok(assignees)
}

fn parse_assignee(i: usize, item: &Value) -> Result<Assignee, FieldError> {
    let field = |name: &str| format!("assignees[{i}].{name}");
    let text = |name: &str| -> Result<Option<String>, FieldError> {
        match item.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s.trim().to_owned())),
            Some(_) => Err(FieldError::new(&field(name), "must be a non-empty string")),
        }
    };
    if !item.is_object() {
        return Err(FieldError::new(
            &format!("assignees[{i}]"),
            "must be an object",
        ));
    }
    match (text("user_id")?, text("team_id")?) {
        (Some(user), None) => Ok(Assignee::User(user)),
        (None, Some(team)) => {
            let mode = match text("mode")?.as_deref() {
                None | Some("each_member") => TeamMode::EachMember,
                Some("team_total") => TeamMode::TeamTotal,
                Some(other) => {
                    return Err(FieldError::new(
                        &field("mode"),
                        format!("'{other}' is not one of each_member, team_total"),
                    ));
                }
            };
            Ok(Assignee::Team(team, mode))
        }
        _ => Err(FieldError::new(
            &format!("assignees[{i}]"),
            "give exactly one of user_id or team_id",
        )),
    }
}

/// The target of a criterion over a set of days, pro-rated as `spec/metrics.md` says:
/// a day target × days; a week target × days / 7; a month target × days /
/// days-in-that-month, summed month by month. Exact to `Decimal`'s 28 digits.
pub fn prorated_target(target: Decimal, period: PeriodKind, days: &DaySet) -> Decimal {
    match period {
        PeriodKind::Day => target * Decimal::from(days.len()),
        PeriodKind::Week => target * Decimal::from(days.len()) / Decimal::from(7),
        PeriodKind::Month => {
            let mut total = Decimal::ZERO;
            let mut rest = days.ranges().to_vec();
            while let Some(range) = rest.pop() {
                let month = month_of(range.from);
                let inside = range.intersect(month).map_or(0, DayRange::len);
                if range.to > month.to {
                    rest.push(DayRange {
                        from: month.to.plus(1),
                        to: range.to,
                    });
                }
                total += target * Decimal::from(inside) / Decimal::from(month.len());
            }
            total
        }
    }
}

/// The periods of a kind that hold any day of `range`, each whole.
pub fn periods_covering(
    period: PeriodKind,
    range: DayRange,
    week_of: impl Fn(Day) -> DayRange,
) -> Vec<DayRange> {
    let mut periods = Vec::new();
    let mut day = range.from;
    while day <= range.to {
        let whole = period_holding(period, day, &week_of);
        periods.push(whole);
        day = whole.to.plus(1);
    }
    periods
}

/// The period of a kind that holds `day`, whole.
pub fn period_holding(period: PeriodKind, day: Day, week_of: impl Fn(Day) -> DayRange) -> DayRange {
    match period {
        PeriodKind::Day => DayRange::single(day),
        PeriodKind::Week => week_of(day),
        PeriodKind::Month => month_of(day),
    }
}
