//! `/customers`: find a customer as you type, a page of them, a new one; and
//! `/customers/{id}`: the contact card, the timeline of everything on the customer and
//! the quick actions of a working day (a note, an opportunity, a to-do, a meeting, an
//! SMS or email).

use super::timeline::{TimelineLine, timeline_lines};
use super::{assignable, channel_choices, fields_of, name_in, segment};
use crate::AppState;
use crate::api::query::{PathId, QueryParams};
use crate::web::{
    Chrome, PageError, Pairs, Viewer, form_error, form_field, format, render, unprocessable_if,
};
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use tally_app::crm::Record;
use tally_app::input::Fields;
use tally_sources::phone::normalize;

/// Customers a page of the list shows.
const PAGE_SIZE: i64 = 25;

/// A customer in the list.
pub struct CustomerLine {
    pub href: String,
    pub name: String,
    pub company: String,
    pub phones: String,
    pub email: String,
    pub owner: String,
}

/// What the list is showing: the search, whose customers, the order and the page.
#[derive(Clone, Default)]
pub struct ListSelection {
    pub q: String,
    pub owner: String,
    pub sort: String,
    pub page: i64,
}

impl ListSelection {
    fn of(params: &HashMap<String, String>) -> ListSelection {
        let text = |k: &str| {
            params
                .get(k)
                .map(|v| v.trim().to_owned())
                .unwrap_or_default()
        };
        ListSelection {
            q: text("q"),
            owner: text("owner"),
            sort: match text("sort").as_str() {
                "name" => "name".into(),
                "created" => "created".into(),
                _ => "updated".into(),
            },
            page: super::page_number(&text("page")),
        }
    }

    /// The list's URL for another page.
    pub fn href(&self, page: i64) -> String {
        format!(
            "/customers?q={}&owner={}&sort={}&page={page}",
            super::encode(&self.q),
            super::encode(&self.owner),
            self.sort
        )
    }

    /// The CRM service's parameters for this selection.
    fn params(&self, viewer: &Viewer) -> HashMap<String, String> {
        let mut params = HashMap::new();
        if let Some(words) = search_words(&self.q) {
            params.insert("q".to_owned(), words);
        }
        match self.owner.as_str() {
            "" => {}
            "mine" => {
                params.insert("owner_id".into(), viewer.user.id.clone());
            }
            other => {
                params.insert("owner_id".into(), other.to_owned());
            }
        }
        let (sort, order) = match self.sort.as_str() {
            "name" => ("name", "asc"),
            "created" => ("created_at", "desc"),
            _ => ("updated_at", "desc"),
        };
        params.insert("sort".into(), sort.into());
        params.insert("order".into(), order.into());
        params.insert("limit".into(), PAGE_SIZE.to_string());
        params.insert("offset".into(), ((self.page - 1) * PAGE_SIZE).to_string());
        params
    }
}

/// What the search box holds, as the list's words: a phone number in any notation
/// (`0901 234 567`, `+84 901234567`, `84-90-123-4567`), whole or its first digits, in
/// the national form the customers' numbers are searched in; anything else as typed,
/// for words of the name, company or email. A number being typed keeps finding its
/// customer at every digit.
pub fn search_words(typed: &str) -> Option<String> {
    let typed = typed.trim();
    match typed.is_empty() {
        true => None,
        false => Some(normalize(typed).unwrap_or_else(|| typed.to_owned())),
    }
}

/// A new customer's form as typed.
#[derive(Default)]
pub struct CustomerForm {
    pub name: String,
    pub phones: String,
    pub email: String,
    pub company: String,
    pub owner: String,
    pub channel: String,
}

impl CustomerForm {
    fn of(pairs: &[(String, String)]) -> CustomerForm {
        CustomerForm {
            name: form_field(pairs, "name"),
            phones: form_field(pairs, "phones"),
            email: form_field(pairs, "email"),
            company: form_field(pairs, "company"),
            owner: form_field(pairs, "owner_id"),
            channel: form_field(pairs, "channel"),
        }
    }

    fn of_record(record: &Record) -> CustomerForm {
        CustomerForm {
            name: record.text("name").to_owned(),
            phones: phones_of(record),
            email: record.text("email").to_owned(),
            company: record.text("company").to_owned(),
            owner: record.text("owner_id").to_owned(),
            channel: record.text("channel").to_owned(),
        }
    }

    /// The CRM service's body: a field left empty is cleared on a change (`null`) and
    /// left out on a create.
    fn body(&self, change: bool) -> Map<String, Value> {
        let mut body = Map::new();
        let mut put = |key: &str, value: &str| {
            let value = match (value.is_empty(), change) {
                (false, _) => json!(value),
                (true, true) => Value::Null,
                (true, false) => return,
            };
            body.insert(key.into(), value);
        };
        put("email", &self.email);
        put("company", &self.company);
        let phones: Vec<&str> = self
            .phones
            .split([',', ';', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if !phones.is_empty() || change {
            body.insert("phones".into(), json!(phones));
        }
        body.insert("name".into(), json!(self.name));
        if !self.owner.is_empty() {
            body.insert("owner_id".into(), json!(self.owner));
        }
        // A channel is where the customer came from: it changes, it is never emptied.
        if !self.channel.is_empty() {
            body.insert("channel".into(), json!(self.channel));
        }
        body
    }
}

fn phones_of(record: &Record) -> String {
    let phones = record.fields.get("phones").and_then(Value::as_array);
    let list: Vec<&str> = phones
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    list.join(", ")
}

#[derive(Template)]
#[template(path = "customers.html")]
struct CustomersPage {
    chrome: Chrome,
    sel: ListSelection,
    rows: Vec<CustomerLine>,
    total: i64,
    pages: i64,
    owners: Vec<(String, String)>,
    channels: Vec<(String, String)>,
    form: CustomerForm,
    error: String,
}

/// `GET /customers`
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    QueryParams(params): QueryParams,
) -> Result<Response, PageError> {
    let sel = ListSelection::of(&params);
    list_page(&state, &viewer, sel, CustomerForm::default(), String::new()).await
}

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    sel: ListSelection,
    form: CustomerForm,
    error: String,
) -> Result<Response, PageError> {
    let found = (state.app)
        .list_customers(&viewer.caller, &sel.params(viewer))
        .await?;
    let now = state.app.now().await?;
    let roster = &now.directory.roster;
    let rows = found
        .items
        .iter()
        .map(|c| CustomerLine {
            href: format!("/customers/{}", segment(&c.id)),
            name: c.text("name").to_owned(),
            company: c.text("company").to_owned(),
            phones: phones_of(c),
            email: c.text("email").to_owned(),
            owner: roster.user_name(c.text("owner_id")).to_owned(),
        })
        .collect();
    let here = sel.href(sel.page);
    let invalid = !error.is_empty();
    let page = CustomersPage {
        chrome: viewer.chrome("customers", &here),
        pages: (found.total + PAGE_SIZE - 1) / PAGE_SIZE,
        total: found.total,
        owners: assignable(state, viewer, &now.directory),
        channels: channel_choices(state, "").await?,
        sel,
        rows,
        form,
        error,
    };
    Ok(unprocessable_if(invalid, render(&page)?))
}

/// `POST /customers`: a new customer, then their page.
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    let form = CustomerForm::of(&pairs);
    let outcome = (state.app)
        .create_customer(&viewer.caller, &Fields(form.body(false)))
        .await;
    match outcome {
        Ok(customer) => {
            Ok(Redirect::to(&format!("/customers/{}", segment(&customer.id))).into_response())
        }
        Err(e) => {
            let error = form_error(e, viewer.lang)?;
            let sel = ListSelection::of(&HashMap::new());
            list_page(&state, &viewer, sel, form, error).await
        }
    }
}

/// The contact card.
pub struct CustomerCard {
    pub id: String,
    pub href: String,
    pub name: String,
    pub phones: String,
    pub email: String,
    pub company: String,
    pub owner: String,
}

#[derive(Template)]
#[template(path = "customer.html")]
struct CustomerPage {
    chrome: Chrome,
    card: CustomerCard,
    form: CustomerForm,
    timeline: Vec<TimelineLine>,
    version: i64,
    owners: Vec<(String, String)>,
    channels: Vec<(String, String)>,
    /// The customer's channel's name, empty when none.
    channel: String,
    error: String,
}

#[derive(Template)]
#[template(path = "customer_timeline.html")]
struct TimelineFragment {
    chrome: Chrome,
    timeline: Vec<TimelineLine>,
}

/// `GET /customers/{id}`
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(id): PathId,
) -> Result<Response, PageError> {
    customer_page(&state, &viewer, &id, None, String::new()).await
}

async fn customer_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    form: Option<CustomerForm>,
    error: String,
) -> Result<Response, PageError> {
    let file = state.app.customer_file(&viewer.caller, id).await?;
    let now = state.app.now().await?;
    let c = &file.customer;
    let href = format!("/customers/{}", segment(&c.id));
    let card = CustomerCard {
        id: c.id.clone(),
        name: c.text("name").to_owned(),
        phones: phones_of(c),
        email: c.text("email").to_owned(),
        company: c.text("company").to_owned(),
        owner: now
            .directory
            .roster
            .user_name(c.text("owner_id"))
            .to_owned(),
        href,
    };
    let invalid = !error.is_empty();
    let channels = channel_choices(state, c.text("channel")).await?;
    let page = CustomerPage {
        chrome: viewer.chrome("customers", &card.href),
        channel: name_in(&channels, c.text("channel")),
        channels,
        form: form.unwrap_or_else(|| CustomerForm::of_record(c)),
        timeline: timeline_lines(state, viewer, &now, &file),
        version: now.data_version,
        owners: assignable(state, viewer, &now.directory),
        card,
        error,
    };
    Ok(unprocessable_if(invalid, render(&page)?))
}

/// `GET /customers/{id}/timeline`: the timeline alone, fetched again when the numbers
/// move.
pub async fn timeline(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(id): PathId,
) -> Result<Response, PageError> {
    let file = state.app.customer_file(&viewer.caller, &id).await?;
    let now = state.app.now().await?;
    let href = format!("/customers/{}", segment(&id));
    render(&TimelineFragment {
        chrome: viewer.chrome("customers", &href),
        timeline: timeline_lines(&state, &viewer, &now, &file),
    })
}

/// `POST /customers/{id}`: the card changed.
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(id): PathId,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    let form = CustomerForm::of(&pairs);
    let outcome = (state.app)
        .update_customer(&viewer.caller, &id, &Fields(form.body(true)))
        .await;
    after_action(&state, &viewer, &id, outcome, Some(form)).await
}

/// Back to the customer's page after a quick action, or the page again with the
/// action's error (422).
async fn after_action(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    outcome: tally_app::Result<Record>,
    form: Option<CustomerForm>,
) -> Result<Response, PageError> {
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/customers/{}#timeline", segment(id))).into_response()),
        Err(e) => {
            let error = form_error(e, viewer.lang)?;
            customer_page(state, viewer, id, form, error).await
        }
    }
}

/// `POST /customers/{id}/notes`
pub async fn add_note(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(id): PathId,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    let body = Fields(fields_of(&pairs, &["text"]));
    let outcome = state.app.add_note(&viewer.caller, &id, &body).await;
    after_action(&state, &viewer, &id, outcome, None).await
}

/// `POST /customers/{id}/opportunities`
pub async fn add_opportunity(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(id): PathId,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    let mut body = fields_of(&pairs, &["title", "amount", "owner_id", "channel"]);
    if let Some(Value::String(amount)) = body.get_mut("amount") {
        *amount = format::typed_amount(amount);
    }
    body.insert("customer_id".into(), json!(id));
    let outcome = (state.app)
        .create_opportunity(&viewer.caller, &Fields(body))
        .await;
    after_action(&state, &viewer, &id, outcome, None).await
}

/// `POST /customers/{id}/todos`
pub async fn add_todo(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(id): PathId,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    let mut body = fields_of(&pairs, &["title", "due_on", "assignee_id"]);
    if let Some(Value::String(due)) = body.get_mut("due_on") {
        *due = format::typed_day(due);
    }
    body.insert("customer_id".into(), json!(id));
    let outcome = state.app.create_todo(&viewer.caller, &Fields(body)).await;
    after_action(&state, &viewer, &id, outcome, None).await
}

/// `POST /customers/{id}/meetings`: a meeting held now.
pub async fn log_meeting(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(id): PathId,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    let mut body = fields_of(&pairs, &["title"]);
    body.insert("customer_id".into(), json!(id));
    body.insert("at".into(), json!(jiff::Timestamp::now().to_string()));
    body.insert("held".into(), json!(true));
    let outcome = state
        .app
        .create_meeting(&viewer.caller, &Fields(body))
        .await;
    after_action(&state, &viewer, &id, outcome, None).await
}

/// `POST /customers/{id}/messages`: an SMS or email sent (delivered or failed) or
/// received, now.
pub async fn log_message(
    State(state): State<AppState>,
    viewer: Viewer,
    PathId(id): PathId,
    Pairs(pairs): Pairs,
) -> Result<Response, PageError> {
    let mut body = fields_of(&pairs, &["channel", "subject", "text"]);
    let (direction, delivered) = match form_field(&pairs, "outcome").as_str() {
        "received" => ("received", None),
        "failed" => ("sent", Some(false)),
        _ => ("sent", Some(true)),
    };
    body.insert("direction".into(), json!(direction));
    if let Some(delivered) = delivered {
        body.insert("delivered".into(), json!(delivered));
    }
    body.insert("customer_id".into(), json!(id));
    let outcome = state.app.log_message(&viewer.caller, &Fields(body)).await;
    after_action(&state, &viewer, &id, outcome, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_phone_in_any_notation_is_searched_in_one_form() {
        for typed in [
            "0901 234 567",
            "+84 901234567",
            "84-90-123-4567",
            "090.123.4567",
        ] {
            assert_eq!(
                search_words(typed).as_deref(),
                Some("0901234567"),
                "{typed}"
            );
        }
        assert_eq!(search_words("090 123 456").as_deref(), Some("090123456"));
        assert_eq!(search_words(" An Phát ").as_deref(), Some("An Phát"));
        assert_eq!(search_words("  "), None);
    }
}
