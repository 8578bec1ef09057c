//! The server's settings: the data's (`tally_app::data`), where it listens, and its
//! limits. Defaults, then `TALLY_*` environment variables or command-line flags (the
//! CLI fills this struct).

use std::time::Duration;
pub use tally_app::data::DataSettings;

/// Where Tally keeps its data, the organization's calendar, and where it listens.
#[derive(Clone, Debug)]
pub struct Settings {
    pub data: DataSettings,
    pub listen: String,
    /// How long connections and bodies may take (not a command-line setting: the
    /// defaults suit every deployment; tests shorten them).
    pub limits: Limits,
    /// The SMTP server notices and digests are emailed through; none: no email is sent.
    pub mail: Option<MailSettings>,
}

/// How the server reaches its SMTP server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailSettings {
    pub host: String,
    pub port: u16,
    pub tls: MailTls,
    pub user: Option<String>,
    pub password: Option<String>,
    /// The sender, `Tally <kpi@example.vn>`.
    pub from: String,
    /// The address people open Tally at, for the links in emails (`https://kpi.example.vn`).
    pub public_url: Option<String>,
}

/// How the SMTP connection is protected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailTls {
    /// Plain, then STARTTLS (port 587): required.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a server on the same machine or network.
    None,
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
    /// A webhook delivery that failed is tried again after this long, doubled at each
    /// attempt (up to an hour).
    pub webhook_backoff: Duration,
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
            webhook_backoff: Duration::from_secs(30),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            data: DataSettings::default(),
            listen: "127.0.0.1:8080".into(),
            limits: Limits::default(),
            mail: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_show_in_debug_output() {
        let mut settings = Settings::default();
        settings.data.database_url = "postgres://tally:hunter2@db/tally".into();
        let shown = format!("{settings:?}");
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("postgres://tally:***@db/tally"));
    }
}
