//! The mini-CRM pages for the people on the floor: customers (search as you type, a
//! page of them, a new one), a customer's page (the contact card, a live timeline and
//! quick actions), the opportunities board and the to-dos.
//!
//! Every action goes through the application's CRM services with the signed-in person
//! as the caller, exactly as the API's does: it emits the same events (the KPI pages
//! move at once) and is refused what the API refuses. A person sees the records of the
//! people they may act for: an agent their own, a supervisor their teams', owners and
//! admins everyone's.

mod calls;
mod customers;
mod sales;
mod timeline;
mod todos;

pub use calls::{CallLine, call_lines, calls, map_extension, upload as upload_calls};
pub use customers::{
    add_note, add_opportunity, add_todo, create as create_customer, list as customers, log_meeting,
    log_message, show as customer, timeline, update as update_customer,
};
pub use sales::{change_opportunity, create_opportunity, opportunities};
pub use todos::{TodoLine, complete_todo, due_todos, todos};

use super::session::encode;
use super::{PageError, Viewer, form_field, format};
use crate::AppState;
use crate::export::Lang;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use std::str::FromStr;
use tally_app::access::people_within;
use tally_app::directory::Directory;
use tally_core::access::Scope;

/// The furthest page a list goes to: far beyond any real list, and small enough that
/// its offset never overflows.
const MAX_PAGE: i64 = 1_000_000;

/// A page number as given in an address: 1 when absent or not a number, at most
/// [`MAX_PAGE`].
fn page_number(text: &str) -> i64 {
    text.parse::<i64>().unwrap_or(1).clamp(1, MAX_PAGE)
}

/// An id as one segment of a path (a `/` in an id must not start another segment).
pub fn segment(id: &str) -> String {
    encode(id).replace('/', "%2F")
}

/// The people the viewer may make owners or assignees, `(id, name)`: empty for an
/// agent, who acts only for themself.
fn assignable(state: &AppState, viewer: &Viewer, directory: &Directory) -> Vec<(String, String)> {
    if viewer.user.role == tally_core::Role::Agent {
        return Vec::new();
    }
    let scope = state.app.credit_scope(&viewer.caller, directory);
    people_within(&directory.roster, &scope.unwrap_or_else(Scope::everything))
}

/// The channels a form offers, as (id, name): those in use, and `keep` (a record's
/// channel) even when retired.
async fn channel_choices(state: &AppState, keep: &str) -> Result<Vec<(String, String)>, PageError> {
    let channels = state.app.channels().await?;
    Ok(channels
        .into_iter()
        .filter(|c| c.active || c.id == keep)
        .map(|c| (c.id, c.name))
        .collect())
}

/// The name of `id` among (id, name) choices; the id itself when not among them.
fn name_in(choices: &[(String, String)], id: &str) -> String {
    choices
        .iter()
        .find(|(c, _)| c == id)
        .map_or(id, |(_, name)| name.as_str())
        .to_owned()
}

/// The form's non-empty fields among `names`, as the JSON the CRM services read.
fn fields_of(pairs: &[(String, String)], names: &[&str]) -> Map<String, Value> {
    names
        .iter()
        .filter_map(|name| {
            let value = form_field(pairs, name);
            (!value.is_empty()).then(|| ((*name).to_owned(), json!(value)))
        })
        .collect()
}

/// A moment as the organization's local time: `27/11/2026 09:15` / `2026-11-27 09:15`.
fn local_time(state: &AppState, micros: i64, lang: Lang) -> String {
    let Ok(at) = jiff::Timestamp::from_microsecond(micros) else {
        return String::new();
    };
    let zoned = at.to_zoned_datetime(state.app.org().calendar.time_zone().clone());
    let day = tally_core::Day::from_date(zoned.date());
    format!(
        "{} {:02}:{:02}",
        super::format::date(day, lang),
        zoned.hour(),
        zoned.minute()
    )
}

/// An amount as stored (a decimal string), in the organization's currency.
pub fn money(state: &AppState, amount: &str, viewer: &Viewer) -> String {
    let value = Decimal::from_str(amount).unwrap_or_default();
    format::money(value, &state.app.org().currency, viewer.lang)
}
