//! The goal form as posted: its fields and criterion rows (`metric_0`, `target_0`, …)
//! become the API's JSON body; targets are read as people type them; and an error of
//! the API is put next to the field it names.

use super::{CriterionRow, GoalForm, MAX_ROWS};
use crate::error::ApiError;
use crate::export::Lang;
use crate::web::PageError;
use crate::web::format::{grouped_by_threes, typed_day};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use tally_core::Measure;
use tally_core::metric::Unit;

/// The form as typed, and the API body made of it.
pub struct Posted {
    pub form: GoalForm,
    pub body: Map<String, Value>,
    /// For each criterion in the body, its row in the form.
    row_of: Vec<usize>,
    pub assignees: Vec<Value>,
}

/// Reads the posted pairs (one pass; at most [`MAX_ROWS`] criterion rows); `metrics`
/// are those a criterion may name, whose units say how a target is typed.
pub fn read(pairs: &[(String, String)], lang: Lang, metrics: &[Measure]) -> Posted {
    let mut fields: HashMap<&str, &str> = HashMap::new();
    for (key, value) in pairs {
        fields.entry(key.as_str()).or_insert(value.as_str());
    }
    let field = |name: &str| fields.get(name).map_or("", |v| v.trim()).to_owned();
    let rows: Vec<CriterionRow> = (0..MAX_ROWS)
        .take_while(|i| fields.contains_key(format!("metric_{i}").as_str()))
        .map(|i| CriterionRow {
            metric: field(&format!("metric_{i}")),
            period: field(&format!("period_{i}")),
            target: field(&format!("target_{i}")),
            weight: field(&format!("weight_{i}")),
            error: String::new(),
        })
        .collect();
    let (criteria, row_of) = criteria(&rows, lang, metrics);
    let assignees = assignees(pairs);
    let mut body = Map::new();
    body.insert("name".into(), json!(field("name")));
    body.insert("criteria".into(), Value::Array(criteria));
    body.insert("assignees".into(), Value::Array(assignees.clone()));
    let starts_on = typed_day(&field("starts_on"));
    if !starts_on.is_empty() {
        body.insert("starts_on".into(), json!(starts_on));
    }
    let ends_on = typed_day(&field("ends_on"));
    let end = if ends_on.is_empty() {
        Value::Null
    } else {
        json!(ends_on)
    };
    body.insert("ends_on".into(), end);
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

/// The filled rows as the API's criteria, and the row of each.
fn criteria(rows: &[CriterionRow], lang: Lang, metrics: &[Measure]) -> (Vec<Value>, Vec<usize>) {
    let filled = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.metric.is_empty());
    filled
        .map(|(i, row)| {
            let unit = metrics
                .iter()
                .find(|m| m.key() == row.metric)
                .map(Measure::unit);
            let target = target_json(row, lang, unit);
            let mut criterion =
                json!({"metric": row.metric, "period": row.period, "target": target});
            if !row.weight.is_empty() {
                criterion["weight"] = number_or_text(&plain_number(&row.weight, lang));
            }
            (criterion, i)
        })
        .unzip()
}

/// People ticked (`user`) and teams given a mode (`team:ID`).
/// The assignees of a posted form, as the form shows them chosen.
pub fn chosen(assignees: &[Value]) -> Vec<super::Chosen> {
    let text = |a: &Value, key: &str| a.get(key).and_then(Value::as_str).map(str::to_owned);
    assignees
        .iter()
        .filter_map(|a| match (text(a, "user_id"), text(a, "team_id")) {
            (Some(user), _) => Some(super::Chosen::user(&user)),
            (None, Some(team)) => {
                let mode = text(a, "mode").unwrap_or_else(|| "assigned".to_owned());
                Some(super::Chosen::team(&team, &mode))
            }
            (None, None) => None,
        })
        .collect()
}

fn assignees(pairs: &[(String, String)]) -> Vec<Value> {
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
    assignees
}

/// A target as typed: talk time may be `h:mm:ss` or `h:mm`; numbers may have the
/// language's thousands separators (`1.500.000` in Vietnamese, `1,500,000` in English)
/// and decimal separator. What cannot be read goes to the API as typed, which says why.
pub(super) fn target_json(row: &CriterionRow, lang: Lang, unit: Option<Unit>) -> Value {
    let text = row.target.replace([' ', '\u{a0}', '₫'], "");
    if unit == Some(Unit::Seconds)
        && text.contains(':')
        && let Some(seconds) = clock_seconds(&text)
    {
        return json!(seconds);
    }
    number_or_text(&plain_number(&text, lang))
}

/// `h:mm:ss` or `h:mm` as seconds; `None` if it is not, or is too large.
fn clock_seconds(text: &str) -> Option<u64> {
    let parts: Vec<u64> = text
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let total = parts
        .iter()
        .try_fold(0u64, |acc, p| acc.checked_mul(60)?.checked_add(*p))?;
    if parts.len() == 2 {
        total.checked_mul(60)
    } else {
        Some(total)
    }
}

/// A number typed with the language's separators, in the API's notation (`1234.5`).
pub(super) fn plain_number(text: &str, lang: Lang) -> String {
    let (thousands, decimal) = match lang {
        Lang::Vi => ('.', ','),
        Lang::En => (',', '.'),
    };
    let (whole, fraction) = match text.split_once(decimal) {
        Some((whole, fraction)) => (whole, Some(fraction)),
        None => (text, None),
    };
    let whole = if grouped_by_threes(whole, thousands) {
        whole.replace(thousands, "")
    } else {
        whole.to_owned()
    };
    match fraction {
        Some(fraction) => format!("{whole}.{fraction}"),
        None => whole,
    }
}

fn number_or_text(text: &str) -> Value {
    match text.parse::<i64>() {
        Ok(n) => json!(n),
        Err(_) => json!(text),
    }
}

/// Puts an API error next to its field, in the page's language: a criterion's on its
/// row, the others by name.
pub fn place_error(posted: &mut Posted, error: ApiError, lang: Lang) -> Result<(), PageError> {
    let (field, message) = match error {
        ApiError::Invalid { field, message } => (field, message),
        ApiError::Conflict(message) => ("name".to_owned(), message),
        other => return Err(PageError(other)),
    };
    let message = crate::web::texts::sentence(lang, &message);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn target(metric: &str, typed: &str, lang: Lang) -> Value {
        let row = CriterionRow {
            metric: metric.into(),
            target: typed.into(),
            ..CriterionRow::default()
        };
        let unit = metric.parse::<tally_core::Metric>().ok().map(|m| m.unit());
        target_json(&row, lang, unit)
    }

    #[test]
    fn targets_are_read_as_people_type_them() {
        use Lang::{En, Vi};
        assert_eq!(target("calls", "40", Vi), json!(40));
        assert_eq!(target("talk_seconds", "1:30:00", Vi), json!(5400));
        assert_eq!(target("talk_seconds", "2:15", En), json!(8100));
        assert_eq!(
            target("talk_seconds", "99999999999999999999:0", Vi),
            json!("99999999999999999999:0")
        );
        assert_eq!(
            target("talk_seconds", "18446744073709551615:0", Vi),
            json!("18446744073709551615:0")
        );
        assert_eq!(target("revenue", "1.500.000", Vi), json!(1_500_000));
        assert_eq!(target("revenue", "300.000.000 ₫", Vi), json!(300_000_000));
        assert_eq!(target("revenue", "300,000,000", En), json!(300_000_000));
        assert_eq!(target("revenue", "1,234.50", En), json!("1234.50"));
        assert_eq!(target("revenue", "1.234,5", Vi), json!("1234.5"));
        assert_eq!(target("revenue", "12,5", Vi), json!("12.5"));
        // In English a dot is the decimal point, never a thousands separator.
        assert_eq!(target("calls", "1.500", En), json!("1.500"));
        assert_eq!(target("calls", "1.5000", Vi), json!("1.5000"));
    }

    #[test]
    fn a_huge_form_reads_at_most_the_rows_a_goal_can_have() {
        let mut pairs = vec![("name".to_owned(), "x".to_owned())];
        for i in 0..10_000 {
            pairs.push((format!("metric_{i}"), "calls".to_owned()));
        }
        let posted = read(&pairs, Lang::Vi, &[]);
        assert_eq!(posted.form.rows.len(), MAX_ROWS);
    }
}
