//! HTTP integration tests: every test body runs on SQLite and on PostgreSQL.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

mod helpers;

mod access;
mod call_pages;
mod calls;
mod channels;
mod compare;
mod crm;
mod custom_goals;
mod custom_metrics;
mod email;
mod events;
mod goals;
mod input;
mod live;
mod notices;
mod openapi;
mod people;
mod reports;
mod roles;
mod screens;
mod serving;
mod sessions;
mod sight;
mod webhooks;
