//! `/tv/{secret}`: the wallboard on a TV link, for a screen on the wall that nobody
//! signs in to. The link reads as a wallboard does (every employee's standing, no
//! contact details, nothing to change) and opens nothing but its board, the board's
//! live part and the change feed. A revoked link is not found; an open screen learns
//! it when its feed ends, reloads and shows so.
//!
//! The secret is in the path: request spans log the route's pattern, never the path,
//! and the answers tell the browser to send no referrer and to keep no copy.

use super::kpi::{BoardFragment, Shown, WallboardPage, board_selection, shown};
use super::report::Trends;
use super::session::chrome_for;
use super::{PageError, render};
use crate::AppState;
use crate::export::Lang;
use crate::live::Holder;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use tally_app::Caller;

/// The screen of a link, as the caller it reads as and the language it shows.
async fn screen(state: &AppState, secret: &str) -> Result<(Caller, Lang), PageError> {
    let (screen, caller) = state.app.screen_caller(secret).await?;
    let lang = match screen.lang.as_str() {
        "en" => Lang::En,
        _ => Lang::Vi,
    };
    Ok((caller, lang))
}

/// No referrer leaves with the secret, and no cache keeps a board a revoked link shows.
fn private(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /tv/{secret}`: the full-screen leaderboard.
pub async fn page(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let (caller, lang) = screen(&state, &secret).await?;
    let Shown { sel, report, .. } = shown(
        &state,
        (&caller, lang),
        board_selection(&query),
        Trends::Left,
    )
    .await?;
    let here = format!("/tv/{secret}");
    let page = WallboardPage {
        chrome: chrome_for(lang, None, "wallboard", &here),
        report,
        board: format!("{here}/board?{}", sel.query()),
        live: format!("{here}/feed"),
        tv: true,
    };
    Ok(private(render(&page)?))
}

/// `GET /tv/{secret}/board`: the board's live part.
pub async fn board(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let (caller, lang) = screen(&state, &secret).await?;
    let Shown { report, .. } = shown(
        &state,
        (&caller, lang),
        board_selection(&query),
        Trends::Left,
    )
    .await?;
    let fragment = BoardFragment {
        chrome: chrome_for(lang, None, "wallboard", "/tv"),
        report,
    };
    Ok(private(render(&fragment)?))
}

/// `GET /tv/{secret}/feed[?since=VERSION]`: the change feed of the screen, which ends
/// when the link is revoked. A link holds as many streams as a person may.
pub async fn feed(
    State(state): State<AppState>,
    Path(secret): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let (caller, _) = screen(&state, &secret).await?;
    let Some(slot) = state.live.slot(&caller.actor()) else {
        let message = format!(
            "at most {} live pages per TV link are open at once",
            crate::live::STREAMS_PER_PERSON
        );
        return Ok((axum::http::StatusCode::TOO_MANY_REQUESTS, message).into_response());
    };
    let since = query.get("since").and_then(|v| v.parse().ok());
    let stream = crate::live::events(&state, since, slot, Holder::Screen(secret)).await?;
    Ok(private(stream.into_response()))
}
