//! The JSON API under `/api/v1`: one file a resource.

mod calls;
mod crm;
mod events;
pub(crate) mod goals;
pub(crate) mod json;
mod metrics;
pub(crate) mod org;
pub(crate) mod people;
pub(crate) mod progress;
pub(crate) mod query;
mod reports;

use crate::AppState;
use crate::auth::{Admits, Gate, gate};
use crate::error::ApiError;
use axum::Router;
use axum::routing::{MethodRouter, delete, get, patch, post};
use tally_core::Role;

const MANAGERS: &[Role] = &[Role::Owner, Role::Admin];
const GOAL_SETTERS: &[Role] = &[Role::Owner, Role::Admin, Role::Supervisor];

/// A method route whose caller is checked before its body is read.
fn gated(
    state: &AppState,
    admits: Admits,
    route: MethodRouter<AppState>,
) -> MethodRouter<AppState> {
    let gate_state = Gate {
        state: state.clone(),
        admits,
    };
    route.layer(axum::middleware::from_fn_with_state(gate_state, gate))
}

/// Every API route. The caller of a route that takes a JSON body is checked before
/// the body is read (events and call records check theirs in the handler, also first).
pub fn routes(state: &AppState) -> Router<AppState> {
    let managers = |what| Admits::Roles(MANAGERS, what);
    let only = |admits, route| gated(state, admits, route);
    let person = |route| gated(state, Admits::Person, route);
    Router::new()
        .route("/api/v1/events", post(events::post))
        .route(
            "/api/v1/users",
            only(managers("create users"), post(people::create_user)).get(people::list_users),
        )
        .route(
            "/api/v1/users/{id}",
            only(managers("change users"), patch(people::update_user)).get(people::get_user),
        )
        .route(
            "/api/v1/teams",
            only(managers("create teams"), post(people::create_team)).get(people::list_teams),
        )
        .route("/api/v1/teams/{id}", get(people::get_team))
        .route(
            "/api/v1/teams/{id}/members",
            only(
                managers("change team memberships"),
                post(people::add_member),
            )
            .get(people::list_members),
        )
        .route(
            "/api/v1/teams/{id}/supervisors",
            only(
                managers("change who supervises a team"),
                post(people::add_supervisor),
            )
            .get(people::list_supervisors),
        )
        .route(
            "/api/v1/teams/{id}/supervisors/{user_id}",
            delete(people::remove_supervisor),
        )
        .route(
            "/api/v1/goals",
            only(
                Admits::Roles(GOAL_SETTERS, "set or change goals"),
                post(goals::create),
            )
            .get(goals::list),
        )
        .route(
            "/api/v1/goals/{id}",
            only(
                Admits::Roles(GOAL_SETTERS, "set or change goals"),
                patch(goals::update).delete(goals::archive),
            )
            .get(goals::get),
        )
        .route("/api/v1/goals/{id}/history", get(goals::history))
        .route("/api/v1/goals/{id}/progress", get(progress::by_goal))
        .route("/api/v1/goals/{id}/results", get(progress::results))
        .route("/api/v1/progress/employees", get(progress::by_employee))
        // The same view under the name of its report (`/reports/users`).
        .route("/api/v1/progress/users", get(progress::by_employee))
        .route("/api/v1/progress/teams", get(progress::by_team))
        .route(
            "/api/v1/settings",
            only(managers("change the scoring settings"), patch(org::update)).get(org::get),
        )
        .route("/api/v1/calls/asterisk", post(calls::asterisk_upload))
        .route("/api/v1/calls/freeswitch", post(calls::freeswitch_post))
        .route("/api/v1/calls/unmapped", get(calls::unmapped))
        .route("/api/v1/calls/retry", post(calls::retry))
        .route(
            "/api/v1/customers",
            person(post(crm::create_customer)).get(crm::list_customers),
        )
        .route(
            "/api/v1/customers/{id}",
            person(patch(crm::update_customer)).get(crm::get_customer),
        )
        .route(
            "/api/v1/customers/{id}/notes",
            person(post(crm::add_note)).get(crm::list_notes),
        )
        .route("/api/v1/notes/{id}", person(patch(crm::edit_note)))
        .route(
            "/api/v1/opportunities",
            person(post(crm::create_opportunity)).get(crm::list_opportunities),
        )
        .route(
            "/api/v1/opportunities/{id}",
            person(patch(crm::update_opportunity)).get(crm::get_opportunity),
        )
        .route(
            "/api/v1/todos",
            person(post(crm::create_todo)).get(crm::list_todos),
        )
        .route(
            "/api/v1/todos/{id}",
            person(patch(crm::update_todo)).get(crm::get_todo),
        )
        .route(
            "/api/v1/meetings",
            person(post(crm::create_meeting)).get(crm::list_meetings),
        )
        .route("/api/v1/meetings/{id}", person(patch(crm::update_meeting)))
        .route(
            "/api/v1/messages",
            person(post(crm::log_message)).get(crm::list_messages),
        )
        .route("/api/v1/reports/users", get(reports::users))
        .route("/api/v1/reports/teams", get(reports::teams))
        .route("/api/v1/metrics", get(metrics::list))
        .fallback(|| async { ApiError::NotFound("no such endpoint".into()) })
        .method_not_allowed_fallback(|| async {
            ApiError::MethodNotAllowed("this endpoint does not take this method".into())
        })
}
