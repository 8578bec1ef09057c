//! The API's OpenAPI 3.1 description, served at `GET /api/v1/openapi.json`.
//!
//! Every route is registered through `utoipa_axum::routes!` from its handler's
//! `#[utoipa::path]`, so the router and the description are built from the same place:
//! a route cannot be served without being described. The views and results are
//! described by the very structs that serialise them; the resources whose JSON the
//! handlers build field by field (people, goals, CRM records, summaries) by the
//! schemas below, which the API tests check real answers against.

mod shapes;

pub use shapes::*;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The document's header, its security scheme and the schemas shared by many routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Tally",
        description = "Tally's JSON API: events in, KPI reports and goal progress out, and a \
            small CRM. Every route needs `Authorization: Bearer <token>` (tokens are made \
            with `tally token create` or on the API tokens page); a role may read or write \
            only what `docs/api.md` says. Dates are `YYYY-MM-DD` in the organization's time \
            zone; money is a decimal string in its currency; counts and seconds are integers.",
        license(name = "AGPL-3.0-or-later", identifier = "AGPL-3.0-or-later"),
    ),
    modifiers(&BearerToken),
    security(("token" = [])),
    components(schemas(ErrorBody, ErrorDetail, Quantity)),
    tags(
        (name = "events", description = "What happened: calls, CRM actions, sales."),
        (name = "people", description = "Users, teams, memberships and supervisors."),
        (name = "goals", description = "KPI goals, their history and frozen results."),
        (name = "progress", description = "The three views of progress against goals."),
        (name = "reports", description = "The 18 metrics per user or team over a range, and the sales by channel."),
        (name = "channels", description = "The organization's sales channels."),
        (name = "calls", description = "Call records from Asterisk and FreeSWITCH."),
        (name = "crm", description = "Customers, notes, opportunities, to-dos, meetings, messages."),
        (name = "settings", description = "The organization's scoring settings and the catalog."),
        (name = "notifications", description = "A person's notifications and emails, the notice settings, and webhooks."),
    )
)]
pub struct ApiDoc;

/// The API token, sent as a bearer token.
struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("An API token: `tally_` and 43 characters."))
            .build();
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("token", SecurityScheme::Http(scheme));
    }
}

/// The description as served: serialised once, when the router is built.
#[derive(Clone)]
pub struct Document(std::sync::Arc<str>);

impl Document {
    pub fn of(doc: &utoipa::openapi::OpenApi) -> Document {
        // Serialising plain structs of strings and maps cannot fail.
        let json = doc.to_pretty_json().unwrap_or_default();
        Document(json.into())
    }
}

/// `GET /api/v1/openapi.json`: this description. It needs no token: it says what the
/// API takes, not anything of the organization's.
#[utoipa::path(get, path = "/api/v1/openapi.json", operation_id = "openapi_description", tag = "settings", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 description of this API",
        content_type = "application/json")))]
pub async fn document(axum::Extension(doc): axum::Extension<Document>) -> axum::response::Response {
    use axum::response::IntoResponse;
    let content_type = [(axum::http::header::CONTENT_TYPE, "application/json")];
    (content_type, doc.0.to_string()).into_response()
}
