//! What a KPI page shows, from its query string: the view, the range, the filters;
//! and the links that change one of them.

use super::format::typed_day;
use super::session::encode;
use std::collections::HashMap;
use tally_core::views::Compare;

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
    /// `previous` (the default) or `year`: what the figures are compared with.
    pub compare: String,
}

impl Selection {
    pub fn of(query: &HashMap<String, String>) -> Selection {
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
            from: typed_day(&get("from")),
            to: typed_day(&get("to")),
            user_id: get("user_id"),
            team_id: get("team_id"),
            goal_id: get("goal_id"),
            compare: match get("compare").as_str() {
                "year" => "year".to_owned(),
                _ => "previous".to_owned(),
            },
        }
    }

    /// The query string for the range alone.
    pub fn range_query(&self) -> String {
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
            ("compare", &self.compare),
        ] {
            if !value.is_empty() && *value != "previous" {
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

    /// What the figures are compared with.
    pub fn comparison(&self) -> Compare {
        Compare::parse(&self.compare).unwrap_or_default()
    }

    /// The range parameters as the API reads them.
    pub fn range_params(&self) -> HashMap<String, String> {
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
