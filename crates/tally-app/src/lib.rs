//! Tally's application layer: the services the HTTP API, the web pages and the command
//! line all call, with no HTTP in them.
//!
//! [`App`] holds the store, the organization's settings and the organisation in
//! memory (`directory.rs`). Each service is a method of [`App`] in the module of its
//! subject; it takes the [`Caller`] and typed requests, checks who may do what
//! (`tally_core::access`), and returns typed values or an [`Error`].
//!
//! Imports point one way: core ← store ← app ← server and CLI.

pub mod access;
mod app;
pub mod call_log;
pub mod caller;
pub mod calls;
pub mod channels;
mod close;
pub mod crm;
pub mod custom_metrics;
pub mod data;
pub mod digest;
pub mod directory;
pub mod error;
pub mod events;
pub mod goals;
pub mod input;
pub mod notices;
pub mod passwords;
pub mod people;
pub mod reports;
pub mod results;
pub mod screens;
pub mod sessions;
pub mod settings;
pub mod shutdown;
mod snapshots;
pub mod tokens;
pub mod views;
pub mod webhooks;
mod writer;

pub use app::{App, Now};
pub use caller::Caller;
pub use directory::{Directory, Goal};
pub use error::{Error, Result};
pub use shutdown::Shutdown;
