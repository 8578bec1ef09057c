//! `/opportunities`: the sales board by status (open, won, lost, cancelled) with each
//! column's count and amount total, or the same as a list; an opportunity's status
//! changes in one click (or by dragging its card), its title and amount in place.

use super::{channel_choices, fields_of, money, segment};
use crate::AppState;
use crate::api::query::{PathId, QueryParams};
use crate::web::{
    Chrome, PageError, Pairs, Viewer, form_error, form_field, format, local_path, render,
};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::HashMap;
use std::str::FromStr;
use tally_app::crm::Record;
use tally_app::input::Fields;

/// The statuses, in the board's order.
pub const STATUSES: [&str; 4] = ["open", "won", "lost", "cancelled"];

/// Cards a column shows (its count and total are of all of them).
const CARDS_PER_COLUMN: usize = 100;

/// An opportunity's card.
pub struct Card {
    pub id: String,
    /// Where its changes are posted.
    pub action: String,
    pub title: String,
    pub customer: String,
    pub customer_href: String,
    pub amount: String,
    /// The amount as a plain decimal, for the edit field.
    pub amount_value: String,
    pub owner: String,
    pub status: &'static str,
}

/// A column of the board: a status, how many and how much in all, and its cards.
pub struct Column {
    pub status: &'static str,
    pub name: &'static str,
    pub count: usize,
    pub total: String,
    pub cards: Vec<Card>,
    /// Cards not shown (the column holds more than [`CARDS_PER_COLUMN`]).
    pub more: usize,
}

#[derive(Template)]
#[template(path = "opportunities.html")]
struct OpportunitiesPage {
    chrome: Chrome,
    who: String,
    view: String,
    here: String,
    columns: Vec<Column>,
    col_statuses: [&'static str; 4],
    /// The customers a new opportunity may be for, `(id, name)`.
    customers: Vec<(String, String)>,
    /// The channels it may come from, `(id, name)`.
    channels: Vec<(String, String)>,
    error: String,
}

/// The customers the new-opportunity form offers: the most recently changed the
/// viewer may read.
const CUSTOMERS_OFFERED: usize = 500;

/// `GET /opportunities?who=mine|team&view=board|list`
pub async fn opportunities(
    State(state): State<AppState>,
    viewer: Viewer,
    QueryParams(params): QueryParams,
) -> Result<Response, PageError> {
    board_page(&state, &viewer, &params, String::new()).await
}

async fn board_page(
    state: &AppState,
    viewer: &Viewer,
    params: &HashMap<String, String>,
    error: String,
) -> Result<Response, PageError> {
    let who = match params.get("who").map(String::as_str) {
        Some("mine") => "mine",
        _ => "team",
    };
    let view = match params.get("view").map(String::as_str) {
        Some("list") => "list",
        _ => "board",
    };
    let mine = (who == "mine").then_some(viewer.user.id.as_str());
    let records = state.app.every_opportunity(&viewer.caller, mine).await?;
    let here = format!("/opportunities?who={who}&view={view}");
    let page = OpportunitiesPage {
        chrome: viewer.chrome("opportunities", &here),
        columns: columns(state, viewer, &records).await?,
        col_statuses: STATUSES,
        customers: offered_customers(state, viewer).await?,
        channels: channel_choices(state, "").await?,
        who: who.into(),
        view: view.into(),
        here,
        error,
    };
    let response = render(&page)?;
    Ok(crate::web::unprocessable_if(
        !page.error.is_empty(),
        response,
    ))
}

/// The board's columns, with customers' names read once each.
async fn columns(
    state: &AppState,
    viewer: &Viewer,
    records: &[Record],
) -> Result<Vec<Column>, PageError> {
    let now = state.app.now().await?;
    let roster = &now.directory.roster;
    let mut customers: HashMap<String, Option<String>> = HashMap::new();
    let mut columns = Vec::new();
    for status in STATUSES {
        let of_status: Vec<&Record> = records
            .iter()
            .filter(|r| r.text("status") == status)
            .collect();
        let total: Decimal = of_status
            .iter()
            .map(|r| Decimal::from_str(r.text("amount")).unwrap_or_default())
            .sum();
        let mut cards = Vec::new();
        for record in of_status.iter().take(CARDS_PER_COLUMN) {
            let customer_id = record.text("customer_id").to_owned();
            let customer = match customers.get(&customer_id) {
                Some(known) => known.clone(),
                None => {
                    let found = customer_name(state, viewer, &customer_id).await?;
                    customers.insert(customer_id.clone(), found.clone());
                    found
                }
            };
            let customer_href = match customer {
                Some(_) => format!("/customers/{}", segment(&customer_id)),
                None => String::new(),
            };
            cards.push(Card {
                id: record.id.clone(),
                action: format!("/opportunities/{}", segment(&record.id)),
                title: record.text("title").into(),
                customer: customer.unwrap_or_else(|| "—".to_owned()),
                customer_href,
                amount: money(state, record.text("amount"), viewer),
                amount_value: record.text("amount").into(),
                owner: roster.user_name(record.text("owner_id")).into(),
                status,
            });
        }
        columns.push(Column {
            status,
            name: viewer.t().opportunity_status(status),
            count: of_status.len(),
            total: money(state, &total.to_string(), viewer),
            more: of_status.len().saturating_sub(CARDS_PER_COLUMN),
            cards,
        });
    }
    Ok(columns)
}

/// The customers of the new-opportunity form, by name.
async fn offered_customers(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Vec<(String, String)>, PageError> {
    let params = HashMap::from([
        ("sort".to_owned(), "updated_at".to_owned()),
        ("order".to_owned(), "desc".to_owned()),
        ("limit".to_owned(), CUSTOMERS_OFFERED.to_string()),
    ]);
    let page = state.app.list_customers(&viewer.caller, &params).await?;
    let mut customers: Vec<(String, String)> = page
        .items
        .iter()
        .map(|c| (c.id.clone(), c.text("name").to_owned()))
        .collect();
    customers.sort_by_cached_key(|(_, name)| name.to_lowercase());
    Ok(customers)
}

/// `POST /opportunities`: a new opportunity for a customer, then back to the board.
pub async fn create_opportunity(
    State(state): State<AppState>,
    viewer: Viewer,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    let mut body = fields_of(&pairs, &["customer_id", "title", "amount", "channel"]);
    if let Some(Value::String(amount)) = body.get_mut("amount") {
        *amount = format::typed_amount(amount);
    }
    let outcome = (state.app)
        .create_opportunity(&viewer.caller, &Fields(body))
        .await;
    match outcome {
        Ok(_) => {
            let next = local_path(Some(&form_field(&pairs, "next")));
            Ok(Redirect::to(&next).into_response())
        }
        Err(e) => {
            let error = form_error(e, viewer.lang)?;
            board_page(&state, &viewer, &HashMap::new(), error).await
        }
    }
}

/// A customer's name; `None` when the viewer may not read the customer (a deal of
/// theirs on someone else's customer) or it is gone.
async fn customer_name(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<Option<String>, PageError> {
    match state.app.get_customer(&viewer.caller, id).await {
        Ok(customer) => Ok(Some(customer.text("name").to_owned())),
        Err(tally_app::Error::Forbidden(_) | tally_app::Error::NotFound(_)) => Ok(None),
        Err(other) => Err(other.into()),
    }
}

/// `POST /opportunities/{id}`: a new status, title or amount; back to where it was
/// changed (`next`, a path of this site).
pub async fn change_opportunity(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(id): PathId,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    let mut body = fields_of(&pairs, &["status", "title", "amount"]);
    if let Some(Value::String(amount)) = body.get_mut("amount") {
        *amount = format::typed_amount(amount);
    }
    let next = local_path(Some(&form_field(&pairs, "next")));
    if body.is_empty() {
        return Ok(Redirect::to(&next).into_response());
    }
    let outcome = (state.app)
        .update_opportunity(&viewer.caller, &id, &Fields(body))
        .await;
    match outcome {
        Ok(_) => Ok(Redirect::to(&next).into_response()),
        Err(e) => {
            let error = form_error(e, viewer.lang)?;
            board_page(&state, &viewer, &HashMap::new(), error).await
        }
    }
}
