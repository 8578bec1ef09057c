//! HTTP integration tests: every test body runs on SQLite and on PostgreSQL.

mod helpers;

mod events;
mod people;
mod reports;
mod roles;
