//! `/admin/metrics`: the organisation's own KPI criteria (custom metrics), listed with
//! how much of their history is counted, defined from a form, and removed.

use super::require_admin;
use crate::AppState;
use crate::web::{
    Chrome, PageError, Pairs, Viewer, form_error, form_field, render, unprocessable_if,
};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, Value, json};
use tally_app::channels::Channel;
use tally_app::custom_metrics::StoredMetric;
use tally_app::input::Fields;
use tally_core::event::EVENT_TYPES;

#[derive(Template)]
#[template(path = "admin_metrics.html")]
struct MetricsPage {
    chrome: Chrome,
    metrics: Vec<StoredMetric>,
    channels: Vec<Channel>,
    event_types: &'static [&'static str],
    error: String,
}

impl MetricsPage {
    /// What a metric counts, as its definition's JSON (the API's own words).
    fn counts(&self, metric: &StoredMetric) -> String {
        let mut definition = metric.metric.to_json();
        if let Some(fields) = definition.as_object_mut() {
            for shown in ["key", "name_vi", "name_en"] {
                fields.remove(shown);
            }
        }
        definition.to_string()
    }
}

async fn metrics_page(
    state: &AppState,
    viewer: &Viewer,
    error: String,
) -> Result<Response, PageError> {
    let invalid = !error.is_empty();
    let page = MetricsPage {
        chrome: viewer.chrome("metric-list", "/admin/metrics"),
        metrics: state.app.custom_metrics().await?,
        channels: state.app.channels().await?,
        event_types: &EVENT_TYPES,
        error,
    };
    Ok(unprocessable_if(invalid, render(&page)?))
}

/// `GET /admin/metrics`
pub async fn metrics(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    metrics_page(&state, &viewer, String::new()).await
}

/// `POST /admin/metrics`: a new metric from the form (its `of`, `events` ticked,
/// `aggregate` with its field, and the filters not left at "any").
pub async fn define_metric(
    State(state): State<AppState>,
    viewer: Viewer,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    let body = definition(&pairs);
    match state.app.define_custom_metric(&viewer.caller, &body).await {
        Ok(_) => Ok(Redirect::to("/admin/metrics").into_response()),
        Err(e) => metrics_page(&state, &viewer, form_error(e, viewer.lang)?).await,
    }
}

/// `POST /admin/metrics/{key}/remove`
pub async fn remove_metric(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Response, PageError> {
    require_admin(&viewer)?;
    match state.app.remove_custom_metric(&viewer.caller, &key).await {
        Ok(()) => Ok(Redirect::to("/admin/metrics").into_response()),
        Err(e) => metrics_page(&state, &viewer, form_error(e, viewer.lang)?).await,
    }
}

/// The definition the form describes, in the API's shape (the application checks it).
fn definition(pairs: &[(String, String)]) -> Fields {
    let mut body = Map::new();
    for name in ["key", "name_vi", "name_en", "of"] {
        body.insert(name.into(), json!(form_field(pairs, name)));
    }
    let (aggregate, field) = match form_field(pairs, "aggregate").as_str() {
        "sum_talk_seconds" => ("sum", Some("talk_seconds")),
        "sum_amount" => ("sum", Some("amount")),
        "distinct_customers" => ("distinct", Some("customer_id")),
        "distinct_opportunities" => ("distinct", Some("opportunity_id")),
        _ => ("count", None),
    };
    body.insert("aggregate".into(), json!(aggregate));
    if let Some(field) = field {
        body.insert("field".into(), json!(field));
    }
    let all = |name: &str| -> Vec<Value> {
        pairs
            .iter()
            .filter(|(n, v)| n == name && !v.is_empty())
            .map(|(_, v)| json!(v))
            .collect()
    };
    if form_field(pairs, "of") == "events" {
        body.insert("events".into(), Value::Array(all("events")));
    }
    let mut filters = Map::new();
    for name in ["direction", "status"] {
        let value = form_field(pairs, name);
        if !value.is_empty() {
            filters.insert(name.into(), json!(value));
        }
    }
    for name in ["answered", "delivered"] {
        match form_field(pairs, name).as_str() {
            "yes" => drop(filters.insert(name.into(), json!(true))),
            "no" => drop(filters.insert(name.into(), json!(false))),
            _ => {}
        }
    }
    let seconds = form_field(pairs, "talk_seconds_at_least");
    if !seconds.is_empty() {
        let number = seconds.parse::<u64>().map_or(json!(seconds), |s| json!(s));
        filters.insert("talk_seconds_at_least".into(), number);
    }
    let channels = all("channel");
    if !channels.is_empty() {
        filters.insert("channel".into(), Value::Array(channels));
    }
    body.insert("filters".into(), Value::Object(filters));
    Fields(body)
}
