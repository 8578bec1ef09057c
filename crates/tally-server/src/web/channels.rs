//! `/channels`: the sales by channel over a range, compared with the previous range or
//! a year earlier, a row per channel (and the people of the one opened, `channel=`),
//! with a bar chart of revenue and won opportunities, the API's CSV and XLSX of the
//! same figures, and a live part (`/channels/report`) fetched again on each change.

use super::report::{range_text, script_safe};
use super::selection::Selection;
use super::session::encode;
use super::{Chrome, PageError, Viewer, format, render};
use crate::AppState;
use crate::api::query::report_range;
use crate::export::Lang;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::json;
use std::collections::HashMap;
use tally_app::channels::{ChannelSales, Compared, PersonSales, SalesByChannel, SalesFigures};
use tally_core::Currency;
use tally_core::views::Compare;

/// A line of the table: a channel, or one person in it.
pub struct SalesLine {
    pub channel: String,
    pub name: String,
    /// A channel's line: the address that opens (or closes) its people.
    pub href: String,
    /// Whether its people are shown.
    pub open: bool,
    /// Whether it is a person's line under their channel.
    pub person: bool,
    pub cells: Vec<String>,
    /// Revenue against the range compared with: "+5.000.000 ₫".
    pub change: String,
    /// `up`, `down` or `flat`.
    pub trend: &'static str,
}

/// The live part: the range, the table, the total and the chart's data.
pub struct SalesReport {
    pub range_text: String,
    pub previous_text: String,
    pub error: Option<String>,
    pub lines: Vec<SalesLine>,
    pub total: SalesLine,
    pub chart_json: String,
    /// The data version the figures are at least as new as.
    pub version: i64,
}

#[derive(Template)]
#[template(path = "channels.html")]
struct ChannelsPage {
    chrome: Chrome,
    sel: Selection,
    periods: Vec<(&'static str, String, bool)>,
    downloads: Vec<(&'static str, String)>,
    report: SalesReport,
    /// The live part's query.
    live: String,
}

#[derive(Template)]
#[template(path = "channels_report.html")]
struct ChannelsFragment {
    chrome: Chrome,
    sel: Selection,
    report: SalesReport,
}

/// `GET /channels`
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let sel = Selection::of(&query);
    let opened = opened(&query);
    let report = build(&state, &viewer, &sel, &opened).await?;
    let t = viewer.t();
    let periods = [
        ("today", t.today),
        ("this_week", t.this_week),
        ("this_month", t.this_month),
    ]
    .into_iter()
    .map(|(period, label)| {
        let moved = Selection {
            period: period.to_owned(),
            ..sel.clone()
        };
        (
            label,
            format!("/channels?{}", query_of(&moved)),
            sel.period == period,
        )
    })
    .collect();
    let lang = super::texts::code(viewer.lang);
    let downloads = [("CSV", "csv"), ("Excel (XLSX)", "xlsx")]
        .into_iter()
        .map(|(label, format)| {
            let query = query_of(&sel);
            (
                label,
                format!("/api/v1/reports/channels?{query}&format={format}&lang={lang}"),
            )
        })
        .collect();
    render(&ChannelsPage {
        chrome: viewer.chrome("channels", &format!("/channels?{}", query_of(&sel))),
        periods,
        downloads,
        report,
        live: live_query(&sel, &opened),
        sel,
    })
}

/// `GET /channels/report`: the live part alone.
pub async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let sel = Selection::of(&query);
    let report = build(&state, &viewer, &sel, &opened(&query)).await?;
    render(&ChannelsFragment {
        chrome: viewer.chrome("channels", "/channels"),
        sel,
        report,
    })
}

/// The channel whose people are shown (`channel=`; `-` for the records with none).
fn opened(query: &HashMap<String, String>) -> Option<String> {
    query
        .get("channel")
        .map(|c| if c == "-" { String::new() } else { c.clone() })
}

/// The live part's query: the range, the comparison and the channel opened.
fn live_query(sel: &Selection, opened: &Option<String>) -> String {
    match opened {
        Some(channel) => {
            let param = if channel.is_empty() { "-" } else { channel };
            format!("{}&channel={}", query_of(sel), encode(param))
        }
        None => query_of(sel),
    }
}

/// The range and the comparison as a query string.
pub fn query_of(sel: &Selection) -> String {
    match sel.comparison() {
        Compare::Year => format!("{}&compare=year", sel.range_query()),
        Compare::Previous => sel.range_query(),
    }
}

/// The report of the selection's range; a range the API refuses shows its error, and
/// today's figures.
async fn build(
    state: &AppState,
    viewer: &Viewer,
    sel: &Selection,
    opened: &Option<String>,
) -> Result<SalesReport, PageError> {
    let org = state.app.org();
    let (range, error) = match report_range(&sel.range_params(), org) {
        Ok(range) => (range, None),
        Err(e) => (report_range(&HashMap::new(), org)?, Some(e.to_string())),
    };
    let sales = state
        .app
        .sales_by_channel(&viewer.caller, range, sel.comparison())
        .await?;
    let mut report = formatted(&sales, &org.currency, viewer, (sel, opened));
    report.error = error;
    report.version = sales.data_version;
    Ok(report)
}

fn formatted(
    sales: &SalesByChannel,
    currency: &Currency,
    viewer: &Viewer,
    (sel, opened): (&Selection, &Option<String>),
) -> SalesReport {
    let (t, lang) = (viewer.t(), viewer.lang);
    let mut lines = Vec::new();
    for channel in &sales.channels {
        let name = match channel.channel.is_empty() {
            true => t.no_channel.to_owned(),
            false => channel.name.clone(),
        };
        let open = opened.as_deref() == Some(channel.channel.as_str());
        let mut line = line(
            &channel.channel,
            &name,
            false,
            &channel.figures,
            currency,
            lang,
        );
        line.href = match open {
            true => format!("/channels?{}", query_of(sel)),
            false => format!(
                "/channels?{}",
                live_query(sel, &Some(channel.channel.clone()))
            ),
        };
        line.open = open;
        lines.push(line);
        if open {
            for person in &channel.people {
                lines.push(line_of_person(channel, person, currency, lang));
            }
        }
    }
    let shown: Vec<_> = sales
        .channels
        .iter()
        .filter(|c| !c.figures.now.is_zero())
        .collect();
    let money = |f: &SalesFigures| currency.from_minor(f.revenue_minor).to_f64().unwrap_or(0.0);
    let chart = json!({
        "labels": shown.iter().map(|c| if c.channel.is_empty() { t.no_channel } else { c.name.as_str() }).collect::<Vec<_>>(),
        "series": [
            {"metric": "revenue", "name": t.col_revenue, "unit": "money",
             "values": shown.iter().map(|c| money(&c.figures.now)).collect::<Vec<_>>()},
            {"metric": "opportunities_won", "name": t.col_won, "unit": "count",
             "values": shown.iter().map(|c| c.figures.now.opportunities_won).collect::<Vec<_>>()},
        ],
    });
    SalesReport {
        range_text: range_text(sales.range, lang),
        previous_text: range_text(sales.previous, lang),
        error: None,
        lines,
        total: line("", t.total_row, false, &sales.total, currency, lang),
        chart_json: script_safe(&chart),
        version: 0,
    }
}

fn line_of_person(
    channel: &ChannelSales,
    person: &PersonSales,
    currency: &Currency,
    lang: Lang,
) -> SalesLine {
    line(
        &channel.channel,
        &person.name,
        true,
        &person.figures,
        currency,
        lang,
    )
}

fn line(
    channel: &str,
    name: &str,
    person: bool,
    figures: &Compared,
    currency: &Currency,
    lang: Lang,
) -> SalesLine {
    let now = &figures.now;
    let count = |n: i64| format::number(Decimal::from(n), 0, lang);
    let money = |minor: Decimal| format::money(currency.from_minor_decimal(minor), currency, lang);
    let change = now.revenue_minor - figures.before.revenue_minor;
    let sign = if change > 0 { "+" } else { "" };
    SalesLine {
        channel: channel.to_owned(),
        name: name.to_owned(),
        href: String::new(),
        open: false,
        person,
        cells: vec![
            count(now.customers_new),
            count(now.opportunities_new),
            count(now.opportunities_won),
            count(now.opportunities_lost),
            now.win_rate()
                .map_or_else(|| "—".into(), |r| format::percent(r, lang)),
            money(Decimal::from(now.revenue_minor)),
            now.average_deal_minor().map_or_else(|| "—".into(), money),
        ],
        change: format!("{sign}{}", money(Decimal::from(change))),
        trend: match change.cmp(&0) {
            std::cmp::Ordering::Greater => "up",
            std::cmp::Ordering::Equal => "flat",
            std::cmp::Ordering::Less => "down",
        },
    }
}
