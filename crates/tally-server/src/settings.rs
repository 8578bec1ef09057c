//! Settings: defaults, then `TALLY_*` environment variables or command-line flags
//! (the CLI fills this struct). Every command reads the same settings.

use std::time::Duration;
use tally_core::calendar::CalendarError;
use tally_core::{Calendar, Currency, Organization};

/// Where Tally keeps its data, where it listens, and the organization's calendar.
#[derive(Clone)]
pub struct Settings {
    /// `sqlite://PATH` or `postgres://…`; may hold a password, so never printed whole.
    pub database_url: String,
    pub listen: String,
    pub timezone: String,
    pub week_start: String,
    pub currency: String,
    /// How long connections and bodies may take (not a command-line setting: the
    /// defaults suit every deployment; tests shorten them).
    pub limits: Limits,
}

/// How long the server waits for clients, so that idle or trickling connections
/// cannot hold its sockets (and file descriptors) for ever.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// A connection must send a request's headers within this long, and an idle
    /// kept-alive connection is closed after this long without a new request.
    pub header_read: Duration,
    /// A request body may pause at most this long between two pieces.
    pub body_idle: Duration,
    /// A request body must have arrived whole within this long.
    pub body_total: Duration,
    /// At shutdown, requests still running get this long to finish.
    pub shutdown_grace: Duration,
    /// Connections open at once from one address, at most. Behind a reverse proxy
    /// every browser comes from the proxy's address: raise it there, and let the
    /// proxy limit each client.
    pub connections_per_client: usize,
    /// Connections open at once in all, at most; `None`: what the process may open
    /// (its file limit, raised to the system's maximum at start) less a reserve for
    /// the database and files.
    pub max_connections: Option<usize>,
    /// How often an open live stream checks that its session still holds (a person
    /// signed out or deactivated stops hearing of changes within this long).
    pub session_check: Duration,
}

impl Limits {
    /// The most connections open at once: as set, else what the file limit allows.
    pub fn max_connections(&self) -> usize {
        self.max_connections
            .unwrap_or_else(connections_the_file_limit_allows)
    }
}

/// Descriptors kept for the database pool, the SQLite files, logs and backups.
const RESERVED_DESCRIPTORS: u64 = 256;

/// Raises the process's file limit to the most the system allows (often 1,024 by
/// default, far below what a call center's browsers hold open) and leaves a reserve.
fn connections_the_file_limit_allows() -> usize {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1_024);
    let allowed = limit.saturating_sub(RESERVED_DESCRIPTORS).max(64);
    usize::try_from(allowed).unwrap_or(usize::MAX)
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_read: Duration::from_secs(15),
            body_idle: Duration::from_secs(15),
            body_total: Duration::from_secs(120),
            shutdown_grace: Duration::from_secs(10),
            connections_per_client: 1_000,
            max_connections: None,
            session_check: Duration::from_secs(30),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            database_url: "sqlite://tally.db".into(),
            listen: "127.0.0.1:8080".into(),
            timezone: "Asia/Ho_Chi_Minh".into(),
            week_start: "monday".into(),
            currency: "VND".into(),
            limits: Limits::default(),
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("database_url", &redacted(&self.database_url))
            .field("listen", &self.listen)
            .field("timezone", &self.timezone)
            .field("week_start", &self.week_start)
            .field("currency", &self.currency)
            .field("limits", &self.limits)
            .finish()
    }
}

impl Settings {
    /// The organization these settings describe.
    pub fn organization(&self) -> Result<Organization, CalendarError> {
        Ok(Organization {
            calendar: Calendar::new(&self.timezone, &self.week_start)?,
            currency: Currency::from_code(&self.currency),
        })
    }

    /// The database URL without any password, for messages and logs.
    pub fn database_for_display(&self) -> String {
        redacted(&self.database_url)
    }
}

/// `postgres://user:secret@host/db` → `postgres://user:***@host/db`.
fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show_in_debug_output() {
        let settings = Settings {
            database_url: "postgres://tally:hunter2@db/tally".into(),
            ..Settings::default()
        };
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("postgres://tally:***@db/tally"));
        assert_eq!(redacted("sqlite://tally.db"), "sqlite://tally.db");
    }
}
