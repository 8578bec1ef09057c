//! The KPI report page (by goal, by employee, by team), its live fragment, the
//! wallboard and the live feed: handlers and templates. What the live part shows is
//! computed in `report.rs`; the query string is read in `selection.rs`.

use super::report::{Report, Trends, build};
use super::selection::Selection;
use super::session::encode;
use super::{Chrome, PageError, Viewer, render};
use crate::AppState;
use crate::export::Lang;
use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use tally_app::Caller;
use tally_app::views::Choices;
use tally_core::views::Compare;

/// A choice in a filter.
pub struct Choice {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "kpi.html")]
struct KpiPage {
    chrome: Chrome,
    sel: Selection,
    users: Vec<Choice>,
    teams: Vec<Choice>,
    goals: Vec<Choice>,
    downloads: Vec<(&'static str, String)>,
    report: Report,
}

#[derive(Template)]
#[template(path = "kpi_report.html")]
struct ReportFragment {
    chrome: Chrome,
    sel: Selection,
    report: Report,
}

#[derive(Template)]
#[template(path = "kpi_months.html")]
struct MonthsFragment {
    chrome: Chrome,
    report: Report,
}

/// The wallboard, signed in or on a TV link: its live part is fetched from `board`
/// and hears of changes from `live`.
#[derive(Template)]
#[template(path = "wallboard.html")]
pub(super) struct WallboardPage {
    pub chrome: Chrome,
    pub report: Report,
    /// The live part's address, with the selection's range.
    pub board: String,
    /// The change feed's address.
    pub live: String,
    /// Shown on a TV link (which reloads when its feed is refused).
    pub tv: bool,
}

#[derive(Template)]
#[template(path = "wallboard_board.html")]
pub(super) struct BoardFragment {
    pub chrome: Chrome,
    pub report: Report,
}

/// What a KPI page shows: the selection (the goal view's goal filled in), what the
/// person may narrow it to, and the live part.
pub(super) struct Shown {
    pub sel: Selection,
    pub choices: Choices,
    pub report: Report,
}

/// What the selection shows to `caller`, in `lang`.
pub(super) async fn shown(
    state: &AppState,
    (caller, lang): (&Caller, Lang),
    sel: Selection,
    trends: Trends,
) -> Result<Shown, PageError> {
    let choices = state.app.choices(caller).await?;
    let sel = with_default_goal(sel, &choices);
    let report = build(state, (caller, lang), &choices, &sel, trends).await?;
    Ok(Shown {
        sel,
        choices,
        report,
    })
}

/// The wallboard's selection: every employee, over the address's range.
pub(super) fn board_selection(query: &HashMap<String, String>) -> Selection {
    Selection {
        view: "employee".into(),
        user_id: String::new(),
        team_id: String::new(),
        ..Selection::of(query)
    }
}

/// `GET /kpi`: the report page.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let Shown {
        sel,
        choices,
        report,
    } = shown(
        &state,
        (&viewer.caller, viewer.lang),
        Selection::of(&query),
        Trends::Days,
    )
    .await?;
    let menu = |list: &[(String, String)], chosen: &str| -> Vec<Choice> {
        list.iter()
            .map(|(id, name)| Choice {
                id: id.clone(),
                name: name.clone(),
                selected: *id == chosen,
            })
            .collect()
    };
    let page = KpiPage {
        chrome: viewer.chrome("kpi", &format!("/kpi?{}", sel.query())),
        users: menu(&choices.users, &sel.user_id),
        teams: menu(&choices.teams, &sel.team_id),
        goals: menu(&choices.goals, &sel.goal_id),
        downloads: downloads(&sel, viewer.lang),
        report,
        sel,
    };
    render(&page)
}

/// `GET /kpi/report`: the live part alone, fetched again on each change.
pub async fn report(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let Shown { sel, report, .. } = shown(
        &state,
        (&viewer.caller, viewer.lang),
        Selection::of(&query),
        Trends::Days,
    )
    .await?;
    render(&ReportFragment {
        chrome: viewer.chrome("kpi", "/kpi"),
        sel,
        report,
    })
}

/// `GET /kpi/months`: the last 13 months of the people (or teams) of the view, fetched
/// by the page after its table, and again every minute.
pub async fn months(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let Shown { report, .. } = shown(
        &state,
        (&viewer.caller, viewer.lang),
        Selection::of(&query),
        Trends::Months,
    )
    .await?;
    render(&MonthsFragment {
        chrome: viewer.chrome("kpi", "/kpi"),
        report,
    })
}

/// `GET /wallboard`: the full-screen leaderboard for the call floor.
pub async fn wallboard(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let Shown { sel, report, .. } = shown(
        &state,
        (&viewer.caller, viewer.lang),
        board_selection(&query),
        Trends::Left,
    )
    .await?;
    render(&WallboardPage {
        chrome: viewer.chrome("wallboard", &format!("/wallboard?{}", sel.range_query())),
        report,
        board: format!("/wallboard/board?{}", sel.query()),
        live: "/live".into(),
        tv: false,
    })
}

/// `GET /wallboard/board`: the wallboard's live part.
pub async fn board(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let Shown { report, .. } = shown(
        &state,
        (&viewer.caller, viewer.lang),
        board_selection(&query),
        Trends::Left,
    )
    .await?;
    render(&BoardFragment {
        chrome: viewer.chrome("wallboard", "/wallboard"),
        report,
    })
}

/// `GET /live[?since=VERSION]`: the change feed (signed-in pages only; 429 past
/// the streams one person may hold).
pub async fn live(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let Some(slot) = state.live.slot(&viewer.user.id) else {
        let message = format!(
            "at most {} live pages per person are open at once",
            crate::live::STREAMS_PER_PERSON
        );
        return Ok((axum::http::StatusCode::TOO_MANY_REQUESTS, message).into_response());
    };
    let since = query.get("since").and_then(|v| v.parse().ok());
    let stream = crate::live::events(
        &state,
        since,
        slot,
        crate::live::Holder::Session(viewer.session),
    )
    .await?;
    Ok(stream.into_response())
}

/// The goal view shows the chosen goal, else the first one.
fn with_default_goal(sel: Selection, choices: &Choices) -> Selection {
    let goals = &choices.goals;
    if sel.view != "goal" || goals.iter().any(|(id, _)| *id == sel.goal_id) {
        return sel;
    }
    Selection {
        goal_id: goals.first().map(|(id, _)| id.clone()).unwrap_or_default(),
        ..sel
    }
}

/// The download links of the current view: the API's own exports.
fn downloads(sel: &Selection, lang: Lang) -> Vec<(&'static str, String)> {
    let lang = super::texts::code(lang);
    let (path, filters): (String, Vec<(&str, &String)>) = match sel.view.as_str() {
        "goal" => (
            format!("/api/v1/goals/{}/progress", encode(&sel.goal_id)),
            vec![("user_id", &sel.user_id)],
        ),
        "team" => (
            "/api/v1/progress/teams".into(),
            vec![("team_id", &sel.team_id)],
        ),
        _ => (
            "/api/v1/progress/employees".into(),
            vec![("user_id", &sel.user_id), ("team_id", &sel.team_id)],
        ),
    };
    let mut query = sel.range_query();
    if sel.comparison() == Compare::Year {
        query.push_str("&compare=year");
    }
    for (key, value) in filters.into_iter().filter(|(_, v)| !v.is_empty()) {
        query.push_str(&format!("&{key}={}", encode(value)));
    }
    ["csv", "xlsx"]
        .into_iter()
        .map(|format| {
            let label = if format == "csv" {
                "CSV"
            } else {
                "Excel (XLSX)"
            };
            (label, format!("{path}?{query}&format={format}&lang={lang}"))
        })
        .collect()
}
