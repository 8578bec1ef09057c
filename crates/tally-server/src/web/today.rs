//! `/today`: an agent's first page — their KPI rows for today (live), their to-dos due
//! today or overdue, and their latest calls. `/` opens it for agents and the KPI report
//! for the others.

use super::crm::{call_lines, due_todos};
use super::report::{Report, Trends, build};
use super::selection::Selection;
use super::{Chrome, PageError, Viewer, render};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use tally_app::call_log::CallFilter;

/// The calls the page lists.
const RECENT_CALLS: i64 = 10;

#[derive(Template)]
#[template(path = "today.html")]
struct TodayPage {
    chrome: Chrome,
    sel: Selection,
    report: Report,
    todos: Vec<super::crm::TodoLine>,
    calls: Vec<super::crm::CallLine>,
    /// Where a completed to-do comes back to.
    here: &'static str,
}

/// `GET /`: the person's first page.
pub async fn first_page(viewer: Viewer) -> Response {
    Redirect::to(super::first_page_of(viewer.user.role)).into_response()
}

/// `GET /today`
pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Result<Response, PageError> {
    let sel = Selection {
        view: "employee".into(),
        period: "today".into(),
        user_id: viewer.user.id.clone(),
        ..Selection::default()
    };
    let choices = state.app.choices(&viewer.caller).await?;
    let report = build(
        &state,
        (&viewer.caller, viewer.lang),
        &choices,
        &sel,
        Trends::Days,
    )
    .await?;
    let filter = CallFilter {
        user_id: Some(viewer.user.id.clone()),
        limit: RECENT_CALLS,
        ..CallFilter::default()
    };
    let calls = state.app.call_log(&viewer.caller, &filter).await?;
    let now = state.app.now().await?;
    render(&TodayPage {
        chrome: viewer.chrome("today", "/today"),
        todos: due_todos(&state, &viewer).await?,
        calls: call_lines(&state, &viewer, &now.directory.roster, &calls),
        here: "/today",
        sel,
        report,
    })
}
