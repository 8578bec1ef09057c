//! `/calls`: the call log (by person, direction, answer, days, customer; talk time as
//! `h:mm:ss`; the customer linked when the call named them or came from one of their
//! numbers); the calls kept aside by extension, each mapped to a person in one step;
//! and an Asterisk `Master.csv` uploaded from the page, with its progress and the same
//! summary as `tally import`.

use super::{assignable, local_time, segment};
use crate::AppState;
use crate::api::calls::MAX_CSV_BYTES;
use crate::api::query::{QueryParams, read_body};
use crate::web::{
    Chrome, PageError, Pairs, Viewer, form_error, form_field, format, render, texts::Texts,
};
use askama::Template;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use std::collections::HashMap;
use tally_app::call_log::{CallFilter, CallPage, LoggedCall};
use tally_app::calls::ImportSummary;
use tally_core::Role;

/// Calls a page of the log shows.
const PAGE_SIZE: i64 = 50;

/// A call in the log.
pub struct CallLine {
    pub when: String,
    pub who: String,
    /// `Inbound`, or `Inbound · Zalo` for a call that came in on a channel's line.
    pub direction: String,
    pub answered: bool,
    pub talk: String,
    pub number: String,
    pub customer: String,
    pub customer_href: String,
}

/// The log's filters, as typed.
#[derive(Clone, Default)]
pub struct CallSelection {
    pub user_id: String,
    pub direction: String,
    pub answered: String,
    pub from: String,
    pub to: String,
    pub customer_id: String,
    pub page: i64,
}

impl CallSelection {
    fn of(params: &HashMap<String, String>) -> CallSelection {
        let text = |k: &str| {
            params
                .get(k)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        CallSelection {
            user_id: text("user_id"),
            direction: text("direction"),
            answered: text("answered"),
            from: format::typed_day(&text("from")),
            to: format::typed_day(&text("to")),
            customer_id: text("customer_id"),
            page: super::page_number(&text("page")),
        }
    }

    /// The log's URL on another page.
    pub fn href(&self, page: i64) -> String {
        let e = super::encode;
        format!(
            "/calls?user_id={}&direction={}&answered={}&from={}&to={}&customer_id={}&page={page}",
            e(&self.user_id),
            e(&self.direction),
            e(&self.answered),
            e(&self.from),
            e(&self.to),
            e(&self.customer_id)
        )
    }

    fn filter(&self) -> Result<CallFilter, PageError> {
        let day = |field: &str, text: &str| match text {
            "" => Ok(None),
            typed => typed.parse().map(Some).map_err(|_| {
                PageError(crate::error::ApiError::invalid(
                    field,
                    format!("'{typed}' is not a date"),
                ))
            }),
        };
        let some = |text: &str| (!text.is_empty()).then(|| text.to_owned());
        Ok(CallFilter {
            user_id: some(&self.user_id),
            inbound: match self.direction.as_str() {
                "inbound" => Some(true),
                "outbound" => Some(false),
                _ => None,
            },
            answered: match self.answered.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            from: day("from", &self.from)?,
            to: day("to", &self.to)?,
            customer_id: some(&self.customer_id),
            limit: PAGE_SIZE,
            offset: (self.page - 1) * PAGE_SIZE,
        })
    }
}

#[derive(Template)]
#[template(path = "calls.html")]
struct CallsPage {
    chrome: Chrome,
    sel: CallSelection,
    calls: Vec<CallLine>,
    total: i64,
    pages: i64,
    people: Vec<(String, String)>,
    may_import: bool,
    kept_aside: Vec<(String, usize)>,
    notice: String,
    error: String,
}

/// The lines of a page of the log.
pub fn call_lines(
    state: &AppState,
    viewer: &Viewer,
    roster: &tally_core::Roster,
    page: &CallPage,
) -> Vec<CallLine> {
    let t = viewer.t();
    page.calls
        .iter()
        .map(|call| {
            let customer = page.customers.get(&call.event_id);
            CallLine {
                when: local_time(state, call.at_micros, viewer.lang),
                who: roster.user_name(&call.user_id).to_owned(),
                direction: direction_of(call, &page.channels, t),
                answered: call.answered,
                talk: format::duration(Decimal::from(call.talk_seconds)),
                number: call.phone.clone(),
                customer: customer.map(|(_, name)| name.clone()).unwrap_or_default(),
                customer_href: customer
                    .map(|(id, _)| format!("/customers/{}", segment(id)))
                    .unwrap_or_default(),
            }
        })
        .collect()
}

/// A call's direction, and the channel it came in on when that is one of the
/// organisation's.
fn direction_of(call: &LoggedCall, channels: &HashMap<String, String>, t: &Texts) -> String {
    let direction = if call.inbound { t.inbound } else { t.outbound };
    match call.channel.as_ref().and_then(|c| channels.get(c)) {
        Some(channel) => format!("{direction} · {channel}"),
        None => direction.to_owned(),
    }
}

/// `GET /calls`
pub async fn calls(
    State(state): State<AppState>,
    viewer: Viewer,
    QueryParams(params): QueryParams,
) -> Result<Response, PageError> {
    let t = viewer.t();
    let notice = match params.get("mapped").and_then(|n| n.parse::<u64>().ok()) {
        Some(counted) => format!("{} {counted} {}", t.mapped, t.summary_counted),
        None => String::new(),
    };
    calls_page(
        &state,
        &viewer,
        CallSelection::of(&params),
        notice,
        String::new(),
    )
    .await
}

async fn calls_page(
    state: &AppState,
    viewer: &Viewer,
    sel: CallSelection,
    notice: String,
    error: String,
) -> Result<Response, PageError> {
    let page = state.app.call_log(&viewer.caller, &sel.filter()?).await?;
    let now = state.app.now().await?;
    let may_import = viewer.user.role != Role::Agent;
    let kept_aside = match may_import {
        true => state.app.kept_aside_extensions(&viewer.caller).await?,
        false => Vec::new(),
    };
    let invalid = !error.is_empty();
    let here = sel.href(sel.page);
    let html = CallsPage {
        chrome: viewer.chrome("calls", &here),
        calls: call_lines(state, viewer, &now.directory.roster, &page),
        pages: (page.total + PAGE_SIZE - 1) / PAGE_SIZE,
        total: page.total,
        people: assignable(state, viewer, &now.directory),
        sel,
        may_import,
        kept_aside,
        notice,
        error,
    };
    Ok(crate::web::unprocessable_if(invalid, render(&html)?))
}

/// `POST /calls/map`: "this extension belongs to …", then its kept-aside calls count.
pub async fn map_extension(
    State(state): State<AppState>,
    viewer: Viewer,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    let extension = form_field(&pairs, "extension");
    let user = form_field(&pairs, "user_id");
    match state
        .app
        .map_extension(&viewer.caller, &extension, &user)
        .await
    {
        Ok(summary) => {
            Ok(Redirect::to(&format!("/calls?mapped={}", summary.counted)).into_response())
        }
        Err(e) => {
            let error = form_error(e, viewer.lang)?;
            calls_page(
                &state,
                &viewer,
                CallSelection::of(&HashMap::new()),
                String::new(),
                error,
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "import_summary.html")]
struct SummaryFragment {
    t: &'static Texts,
    summary: ImportSummary,
    kept_aside: String,
}

/// `POST /calls/upload`: the body is a `Master.csv` (sent by the page's script, which
/// shows its progress); the answer is the import's summary, as a fragment of the page.
pub async fn upload(
    State(state): State<AppState>,
    viewer: Viewer,
    request: Request,
) -> Result<Response, PageError> {
    state.app.may_send_calls(&viewer.caller)?;
    let body = read_body(request, MAX_CSV_BYTES).await?;
    let zone = state.app.org().calendar.time_zone().clone();
    let summary = state
        .app
        .import_asterisk(&viewer.caller, &body, zone)
        .await?;
    render(&SummaryFragment {
        t: viewer.t(),
        kept_aside: summary.kept_aside_list(),
        summary,
    })
}
