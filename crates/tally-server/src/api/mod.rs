//! The JSON API under `/api/v1`: one file a resource.

pub(crate) mod calls;
mod channels;
mod crm;
mod events;
pub(crate) mod goals;
pub(crate) mod json;
mod metrics;
mod notices;
pub(crate) mod openapi;
pub(crate) mod org;
pub(crate) mod people;
pub(crate) mod progress;
pub(crate) mod query;
mod reports;
mod webhooks;

use crate::AppState;
use crate::auth::{Admits, Gate, gate};
use crate::error::ApiError;
use axum::Router;
use tally_core::Role;
use utoipa::OpenApi;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

const MANAGERS: &[Role] = &[Role::Owner, Role::Admin];
const GOAL_SETTERS: &[Role] = &[Role::Owner, Role::Admin, Role::Supervisor];

/// A method route whose caller is checked before its body is read.
fn gated(
    state: &AppState,
    admits: Admits,
    (schemas, paths, route): UtoipaMethodRouter<AppState>,
) -> UtoipaMethodRouter<AppState> {
    let gate_state = Gate {
        state: state.clone(),
        admits,
    };
    let route = route.layer(axum::middleware::from_fn_with_state(gate_state, gate));
    (schemas, paths, route)
}

/// Every API route, and its description at `/api/v1/openapi.json` (`openapi`). The
/// caller of a route that takes a JSON body is checked before the body is read (events
/// and call records check theirs in the handler, also first).
pub fn routes(state: &AppState) -> Router<AppState> {
    let (router, doc) = documented(state).split_for_parts();
    let doc = openapi::Document::of(&doc);
    router
        .layer(axum::Extension(doc))
        .fallback(|| async { ApiError::NotFound("no such endpoint".into()) })
        .method_not_allowed_fallback(|| async {
            ApiError::MethodNotAllowed("this endpoint does not take this method".into())
        })
}

/// The routes, each registered from its handler's description (one `routes!` a path).
fn documented(state: &AppState) -> OpenApiRouter<AppState> {
    let managers = |what| Admits::Roles(MANAGERS, what);
    let goal_setters = || Admits::Roles(GOAL_SETTERS, "set or change goals");
    let only = |admits, route| gated(state, admits, route);
    let person = |route| gated(state, Admits::Person, route);
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(openapi::document))
        .routes(routes!(events::post))
        .routes(only(managers("create users"), routes!(people::create_user)))
        .routes(routes!(people::list_users))
        .routes(only(managers("change users"), routes!(people::update_user)))
        .routes(routes!(people::get_user))
        .routes(only(managers("create teams"), routes!(people::create_team)))
        .routes(routes!(people::list_teams))
        .routes(routes!(people::get_team))
        .routes(only(
            managers("change team memberships"),
            routes!(people::add_member),
        ))
        .routes(routes!(people::list_members))
        .routes(only(
            managers("change who supervises a team"),
            routes!(people::add_supervisor),
        ))
        .routes(routes!(people::list_supervisors))
        .routes(routes!(people::remove_supervisor))
        .routes(only(goal_setters(), routes!(goals::create)))
        .routes(routes!(goals::list))
        .routes(only(goal_setters(), routes!(goals::update, goals::archive)))
        .routes(routes!(goals::get))
        .routes(routes!(goals::history))
        .routes(routes!(progress::by_goal))
        .routes(routes!(progress::results))
        .routes(routes!(progress::by_employee))
        .routes(routes!(progress::by_user))
        .routes(routes!(progress::by_team))
        .routes(only(
            managers("change the scoring settings"),
            routes!(org::update),
        ))
        .routes(routes!(org::get))
        .routes(routes!(calls::asterisk_upload))
        .routes(routes!(calls::freeswitch_post))
        .routes(routes!(calls::unmapped))
        .routes(routes!(calls::retry))
        .routes(person(routes!(crm::create_customer)))
        .routes(routes!(crm::list_customers))
        .routes(person(routes!(crm::update_customer)))
        .routes(routes!(crm::get_customer))
        .routes(person(routes!(crm::add_note)))
        .routes(routes!(crm::list_notes))
        .routes(person(routes!(crm::edit_note)))
        .routes(person(routes!(crm::create_opportunity)))
        .routes(routes!(crm::list_opportunities))
        .routes(person(routes!(crm::update_opportunity)))
        .routes(routes!(crm::get_opportunity))
        .routes(person(routes!(crm::create_todo)))
        .routes(routes!(crm::list_todos))
        .routes(person(routes!(crm::update_todo)))
        .routes(routes!(crm::get_todo))
        .routes(person(routes!(crm::create_meeting)))
        .routes(routes!(crm::list_meetings))
        .routes(person(routes!(crm::update_meeting)))
        .routes(person(routes!(crm::log_message)))
        .routes(routes!(crm::list_messages))
        .routes(routes!(channels::list))
        .routes(only(
            managers("change the channels"),
            routes!(channels::save),
        ))
        .routes(routes!(channels::report))
        .routes(routes!(reports::users))
        .routes(routes!(reports::teams))
        .routes(routes!(metrics::list))
        .routes(only(managers("define metrics"), routes!(metrics::define)))
        .routes(routes!(metrics::get))
        .routes(only(
            managers("change metrics"),
            routes!(metrics::redefine, metrics::remove),
        ))
        .routes(routes!(notices::list))
        .routes(person(routes!(notices::read)))
        .routes(routes!(notices::email))
        .routes(person(routes!(notices::choose_email)))
        .routes(routes!(notices::settings))
        .routes(only(
            managers("change the settings"),
            routes!(notices::change_settings),
        ))
        .routes(only(
            managers("manage webhooks"),
            routes!(webhooks::list, webhooks::create),
        ))
        .routes(only(
            managers("manage webhooks"),
            routes!(webhooks::pause, webhooks::remove),
        ))
}
