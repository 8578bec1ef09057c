//! `/todos`: the to-dos still to do, due today, overdue, or done; one click completes
//! one.

use super::segment;
use crate::AppState;
use crate::api::query::{PathId, QueryParams};
use crate::web::{Chrome, PageError, Pairs, Viewer, form_field, format, local_path, render};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, Value, json};
use tally_app::crm::Record;
use tally_app::input::Fields;
use tally_core::Day;

/// The to-dos a list shows at most (its count is of all of them).
const MAX_SHOWN: usize = 500;

/// A to-do in the list.
pub struct TodoLine {
    pub title: String,
    pub due: String,
    pub overdue: bool,
    pub assignee: String,
    pub customer_href: String,
    /// Where completing it is posted; empty when done.
    pub done_action: String,
}

#[derive(Template)]
#[template(path = "todos.html")]
struct TodosPage {
    chrome: Chrome,
    show: &'static str,
    who: &'static str,
    here: String,
    todos: Vec<TodoLine>,
    total: usize,
}

/// Which to-dos: still to do (`open`), due `today`, `overdue`, or `done`.
fn wanted(show: &str, record: &Record, today: Day) -> bool {
    let done = record.fields.get("done").and_then(Value::as_bool) == Some(true);
    let due = record.text("due_on").parse::<Day>().ok();
    match show {
        "done" => done,
        "today" => !done && due == Some(today),
        "overdue" => !done && due.is_some_and(|d| d < today),
        "due" => !done && due.is_some_and(|d| d <= today),
        _ => !done,
    }
}

/// `GET /todos?show=open|today|overdue|done&who=mine|team`
pub async fn todos(
    State(state): State<AppState>,
    viewer: Viewer,
    QueryParams(params): QueryParams,
) -> Result<Response, PageError> {
    let show = match params.get("show").map(String::as_str) {
        Some("today") => "today",
        Some("overdue") => "overdue",
        Some("done") => "done",
        _ => "open",
    };
    let who = match params.get("who").map(String::as_str) {
        Some("team") => "team",
        _ => "mine",
    };
    let mut todos = todo_lines(&state, &viewer, show, who).await?;
    let total = todos.len();
    todos.truncate(MAX_SHOWN);
    let here = format!("/todos?show={show}&who={who}");
    render(&TodosPage {
        chrome: viewer.chrome("todos", &here),
        total,
        todos,
        show,
        who,
        here,
    })
}

/// The viewer's to-dos due today or before and not done: their first page's.
pub async fn due_todos(state: &AppState, viewer: &Viewer) -> Result<Vec<TodoLine>, PageError> {
    todo_lines(state, viewer, "due", "mine").await
}

/// The to-dos `show` picks, the viewer's own (`who` "mine") or all they may read,
/// the soonest due first (those with no due day last).
async fn todo_lines(
    state: &AppState,
    viewer: &Viewer,
    show: &str,
    who: &str,
) -> Result<Vec<TodoLine>, PageError> {
    let mine = (who == "mine").then_some(viewer.user.id.as_str());
    let found = state.app.every_todo(&viewer.caller, mine).await?;
    let today = state.app.today();
    let now = state.app.now().await?;
    let roster = &now.directory.roster;
    let mut lines: Vec<(Option<Day>, TodoLine)> = found
        .iter()
        .filter(|r| wanted(show, r, today))
        .map(|r| {
            let due = r.text("due_on").parse::<Day>().ok();
            let done = r.fields.get("done").and_then(Value::as_bool) == Some(true);
            let line = TodoLine {
                title: r.text("title").into(),
                due: due
                    .map(|d| format::date(d, viewer.lang))
                    .unwrap_or_default(),
                overdue: !done && due.is_some_and(|d| d < today),
                assignee: roster.user_name(r.text("assignee_id")).into(),
                customer_href: match r.text("customer_id") {
                    "" => String::new(),
                    id => format!("/customers/{}", segment(id)),
                },
                done_action: match done {
                    true => String::new(),
                    false => format!("/todos/{}/done", segment(&r.id)),
                },
            };
            (due, line)
        })
        .collect();
    lines.sort_by_key(|(due, _)| due.map_or(i32::MAX, |d| d.number()));
    Ok(lines.into_iter().map(|(_, line)| line).collect())
}

/// `POST /todos/{id}/done`: completed (`todo.completed`), then back to `next`.
pub async fn complete_todo(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(id): PathId,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    let body = Fields(Map::from_iter([("done".to_owned(), json!(true))]));
    state.app.update_todo(&viewer.caller, &id, &body).await?;
    let next = local_path(Some(&form_field(&pairs, "next")));
    Ok(Redirect::to(&next).into_response())
}
