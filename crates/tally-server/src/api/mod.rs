//! The JSON API under `/api/v1`: one file a resource.

mod calls;
mod crm;
mod events;
pub(crate) mod goals;
mod metrics;
pub(crate) mod org;
pub(crate) mod people;
pub(crate) mod progress;
pub(crate) mod query;
mod reports;

use crate::AppState;
use crate::error::ApiError;
use axum::Router;
use axum::routing::{delete, get, patch, post};

/// Every API route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/events", post(events::post))
        .route(
            "/api/v1/users",
            post(people::create_user).get(people::list_users),
        )
        .route(
            "/api/v1/users/{id}",
            get(people::get_user).patch(people::update_user),
        )
        .route(
            "/api/v1/teams",
            post(people::create_team).get(people::list_teams),
        )
        .route("/api/v1/teams/{id}", get(people::get_team))
        .route(
            "/api/v1/teams/{id}/members",
            post(people::add_member).get(people::list_members),
        )
        .route(
            "/api/v1/teams/{id}/supervisors",
            post(people::add_supervisor).get(people::list_supervisors),
        )
        .route(
            "/api/v1/teams/{id}/supervisors/{user_id}",
            delete(people::remove_supervisor),
        )
        .route("/api/v1/goals", post(goals::create).get(goals::list))
        .route(
            "/api/v1/goals/{id}",
            get(goals::get).patch(goals::update).delete(goals::archive),
        )
        .route("/api/v1/goals/{id}/history", get(goals::history))
        .route("/api/v1/goals/{id}/progress", get(progress::by_goal))
        .route("/api/v1/goals/{id}/results", get(progress::results))
        .route("/api/v1/progress/employees", get(progress::by_employee))
        // The same view under the name of its report (`/reports/users`).
        .route("/api/v1/progress/users", get(progress::by_employee))
        .route("/api/v1/progress/teams", get(progress::by_team))
        .route("/api/v1/settings", get(org::get).patch(org::update))
        .route("/api/v1/calls/asterisk", post(calls::asterisk_upload))
        .route("/api/v1/calls/freeswitch", post(calls::freeswitch_post))
        .route("/api/v1/calls/unmapped", get(calls::unmapped))
        .route("/api/v1/calls/retry", post(calls::retry))
        .route(
            "/api/v1/customers",
            post(crm::create_customer).get(crm::list_customers),
        )
        .route(
            "/api/v1/customers/{id}",
            get(crm::get_customer).patch(crm::update_customer),
        )
        .route(
            "/api/v1/customers/{id}/notes",
            post(crm::add_note).get(crm::list_notes),
        )
        .route("/api/v1/notes/{id}", patch(crm::edit_note))
        .route(
            "/api/v1/opportunities",
            post(crm::create_opportunity).get(crm::list_opportunities),
        )
        .route(
            "/api/v1/opportunities/{id}",
            get(crm::get_opportunity).patch(crm::update_opportunity),
        )
        .route("/api/v1/todos", post(crm::create_todo).get(crm::list_todos))
        .route(
            "/api/v1/todos/{id}",
            get(crm::get_todo).patch(crm::update_todo),
        )
        .route(
            "/api/v1/meetings",
            post(crm::create_meeting).get(crm::list_meetings),
        )
        .route("/api/v1/meetings/{id}", patch(crm::update_meeting))
        .route(
            "/api/v1/messages",
            post(crm::log_message).get(crm::list_messages),
        )
        .route("/api/v1/reports/users", get(reports::users))
        .route("/api/v1/reports/teams", get(reports::teams))
        .route("/api/v1/metrics", get(metrics::list))
        .fallback(|| async { ApiError::NotFound("no such endpoint".into()) })
        .method_not_allowed_fallback(|| async {
            ApiError::MethodNotAllowed("this endpoint does not take this method".into())
        })
}
