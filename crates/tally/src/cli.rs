//! The commands and their flags, with help that teaches, and the small commands.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::io::Write;
use tally_app::data::DataSettings;
use tally_core::Role;

/// Tally: exact, live KPIs for sales and call-center teams.
///
/// Start with `tally serve` (an embedded SQLite file, nothing else to install), create
/// the first owner with `tally user create --role owner --email … --name …`, and sign
/// in at the address it prints. Phone systems and other tools use API tokens
/// (`tally token create`) to send events to POST /api/v1/events. Every setting can
/// also come from a TALLY_* variable.
#[derive(Parser)]
#[command(version, about, long_about, after_help = EXAMPLES)]
pub struct Cli {
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(subcommand)]
    pub command: Command,
}

const EXAMPLES: &str = "Examples:
  tally serve                                   # http://127.0.0.1:8080, data in ./tally.db
  tally user create --role owner --email lan@example.vn --name 'Nguyễn Thị Lan'
  tally user create --role agent --email nam@example.vn --name Nam --extension 201 < pw.txt
  tally token create --role owner --name me     # prints a new API token
  TALLY_DATABASE_URL=postgres://postgres@127.0.0.1/tally tally serve
  tally rebuild                                 # recompute rollups from the event log
  tally import asterisk-cdr /var/log/asterisk/cdr-csv/Master.csv";

/// Settings shared by every command.
#[derive(Args)]
pub struct SettingsArgs {
    /// Where the data lives: sqlite://PATH (created if missing) or postgres://USER@HOST/DB.
    #[arg(
        long,
        env = "TALLY_DATABASE_URL",
        default_value = "sqlite://tally.db",
        global = true,
        hide_env_values = true
    )]
    pub database_url: String,
    /// Address and port the server listens on (port 0 picks a free one).
    #[arg(
        long,
        env = "TALLY_LISTEN",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub listen: String,
    /// The organization's IANA time zone: events count on its local days.
    #[arg(
        long,
        env = "TALLY_TIMEZONE",
        default_value = "Asia/Ho_Chi_Minh",
        global = true
    )]
    pub timezone: String,
    /// First day of the week for this_week / last_week (monday … sunday).
    #[arg(
        long,
        env = "TALLY_WEEK_START",
        default_value = "monday",
        global = true
    )]
    pub week_start: String,
    /// The organization's currency (ISO code): amounts are exact in its minor unit.
    #[arg(long, env = "TALLY_CURRENCY", default_value = "VND", global = true)]
    pub currency: String,
    /// Connections one address may hold open at once (browsers hold two or three
    /// each). Behind a reverse proxy every browser shares the proxy's address: raise
    /// this and let the proxy limit each client.
    #[arg(
        long,
        env = "TALLY_CONNECTIONS_PER_CLIENT",
        default_value_t = 1_000,
        global = true
    )]
    pub connections_per_client: usize,
    /// The SMTP server notices and morning digests are emailed through (none: no email
    /// is sent; people choose what they get on /notifications).
    #[arg(long, env = "TALLY_SMTP_HOST", global = true)]
    pub smtp_host: Option<String>,
    /// The SMTP server's port.
    #[arg(long, env = "TALLY_SMTP_PORT", default_value_t = 587, global = true)]
    pub smtp_port: u16,
    /// How the SMTP connection is protected: starttls (port 587), tls (465), or none.
    #[arg(
        long,
        env = "TALLY_SMTP_TLS",
        default_value = "starttls",
        global = true
    )]
    pub smtp_tls: String,
    /// The SMTP user, if the server asks for one.
    #[arg(long, env = "TALLY_SMTP_USER", global = true)]
    pub smtp_user: Option<String>,
    /// The SMTP password: set it in the environment, not on the command line.
    #[arg(
        long,
        env = "TALLY_SMTP_PASSWORD",
        global = true,
        hide_env_values = true
    )]
    pub smtp_password: Option<String>,
    /// The sender of the emails, e.g. 'Tally <kpi@example.vn>'.
    #[arg(long, env = "TALLY_SMTP_FROM", global = true)]
    pub smtp_from: Option<String>,
    /// The address people open Tally at, for the links in emails.
    #[arg(long, env = "TALLY_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,
}

impl SettingsArgs {
    /// Where the data is and what it means: what every command reads.
    pub fn data(&self) -> DataSettings {
        DataSettings {
            database_url: self.database_url.clone(),
            timezone: self.timezone.clone(),
            week_start: self.week_start.clone(),
            currency: self.currency.clone(),
        }
    }

    /// The SMTP server of the settings, if one is named.
    fn mail(&self) -> Result<Option<tally_server::settings::MailSettings>, String> {
        use tally_server::settings::{MailSettings, MailTls};
        let Some(host) = self.smtp_host.clone().filter(|h| !h.is_empty()) else {
            return Ok(None);
        };
        let tls = match self.smtp_tls.as_str() {
            "starttls" => MailTls::StartTls,
            "tls" => MailTls::Tls,
            "none" => MailTls::None,
            other => {
                return Err(format!(
                    "--smtp-tls: '{other}' is not one of starttls, tls, none"
                ));
            }
        };
        let from = self.smtp_from.clone().ok_or(
            "--smtp-from: the sender is needed with --smtp-host, e.g. 'Tally <kpi@example.vn>'",
        )?;
        Ok(Some(MailSettings {
            host,
            port: self.smtp_port,
            tls,
            user: self.smtp_user.clone(),
            password: self.smtp_password.clone(),
            from,
            public_url: self.public_url.clone(),
        }))
    }

    /// The server's settings, for `serve`.
    pub fn server(&self) -> Result<tally_server::Settings, String> {
        Ok(tally_server::Settings {
            data: self.data(),
            listen: self.listen.clone(),
            limits: tally_server::settings::Limits {
                connections_per_client: self.connections_per_client,
                ..Default::default()
            },
            mail: self.mail()?,
        })
    }
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the server (migrations run first).
    Serve,
    /// Create or upgrade the database schema, then exit.
    Migrate,
    /// Manage the people who sign in to the pages.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Recompute every rollup from the event log and report any difference.
    Rebuild,
    /// Write a consistent copy of all the data to FILE while the server keeps running.
    ///
    /// SQLite: a compacted copy of the database file (restore by stopping Tally and
    /// putting the copy in place, or by pointing --database-url at it). PostgreSQL:
    /// `pg_dump --format=custom` (restore with `pg_restore --no-owner --dbname=URL FILE`
    /// into an empty database). See docs/reliability.md.
    Backup {
        /// Where to write the copy; it must not exist yet.
        file: std::path::PathBuf,
    },
    /// Import call records from the phone system (Asterisk, FreeSWITCH).
    Import {
        #[command(subcommand)]
        command: crate::import::ImportCommand,
    },
    /// Measure ingest and report speed on generated data (see docs/benchmarks.md).
    Bench(crate::bench::BenchArgs),
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create a user who signs in with an email and a password. The password is asked
    /// for twice on a terminal, or read as the first line of standard input.
    Create {
        /// The address they sign in with.
        #[arg(long)]
        email: String,
        /// Their name as shown in reports.
        #[arg(long)]
        name: String,
        /// owner, admin, supervisor or agent.
        #[arg(long)]
        role: String,
        /// Their id in events and the API (default: a generated one).
        #[arg(long)]
        id: Option<String>,
        /// Their phone extension, to count their calls.
        #[arg(long)]
        extension: Option<String>,
    },
    /// Set a user's password (and sign them out everywhere), read like `create` does.
    Password {
        /// The user's id.
        #[arg(long)]
        id: String,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token; it is printed once, as the last word on standard output.
    Create {
        /// owner, admin, supervisor or agent.
        #[arg(long)]
        role: String,
        /// A name to recognise the token by (who or what uses it).
        #[arg(long)]
        name: String,
        /// The user the token acts for (required to read reports as an agent).
        #[arg(long)]
        user: Option<String>,
    },
}

pub async fn migrate(settings: &DataSettings) -> anyhow::Result<()> {
    let (store, _) = tally_app::data::open_store(settings).await?;
    store.close().await;
    println!(
        "The database {} is up to date.",
        settings.database_for_display()
    );
    Ok(())
}

pub async fn create_token(
    settings: &DataSettings,
    role: &str,
    name: &str,
    user: Option<&str>,
) -> anyhow::Result<()> {
    let role: Role = role.parse()?;
    let (store, org) = tally_app::data::open_store(settings).await?;
    let app = tally_app::App::new(std::sync::Arc::new(store), org);
    let created = app
        .create_token(&tally_app::Caller::command_line(), name, role, user)
        .await;
    app.store().close().await;
    // The application's messages start with the field's name, as do the flags.
    let secret = created.map_err(|e| anyhow::anyhow!("--{e}"))?;
    eprintln!("Created the {role} token '{name}'. It is shown only this once; keep it secret:");
    let mut out = std::io::stdout().lock();
    writeln!(out, "{secret}")?;
    Ok(())
}

/// The fields of `tally user create`.
pub struct NewAccount<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: &'a str,
    pub id: Option<&'a str>,
    pub extension: Option<&'a str>,
}

pub async fn create_user(settings: &DataSettings, account: NewAccount<'_>) -> anyhow::Result<()> {
    let hash = tally_app::passwords::hash(&read_password()?).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (store, org) = tally_app::data::open_store(settings).await?;
    let app = tally_app::App::new(std::sync::Arc::new(store), org);
    let mut body = serde_json::Map::new();
    body.insert("email".into(), account.email.trim().into());
    body.insert("name".into(), account.name.trim().into());
    body.insert("role".into(), account.role.into());
    if let Some(id) = account.id {
        body.insert("id".into(), id.into());
    }
    if let Some(extension) = account.extension {
        body.insert("extension".into(), extension.into());
    }
    let created = create_account(&app, body, &hash).await;
    app.store().close().await;
    // The application's messages start with the field's name, as do the flags.
    let user = created.map_err(|e| anyhow::anyhow!("--{e}"))?;
    let email = user.contact.and_then(|c| c.email).unwrap_or_default();
    println!(
        "Created the {} {} (id {}); they sign in with {email}.",
        user.role, user.name, user.id,
    );
    Ok(())
}

/// Creates a person as the owner the command line acts as.
async fn create_account(
    app: &tally_app::App,
    body: serde_json::Map<String, serde_json::Value>,
    password_hash: &str,
) -> Result<tally_app::people::PersonView, tally_app::Error> {
    let person = tally_app::people::NewPerson::read(&tally_app::input::Fields(body))?;
    let owner = tally_app::Caller::command_line();
    app.create_person(&owner, person, Some(password_hash)).await
}

pub async fn set_password(settings: &DataSettings, id: &str) -> anyhow::Result<()> {
    let hash = tally_app::passwords::hash(&read_password()?).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (store, _) = tally_app::data::open_store(settings).await?;
    let user = store
        .user(id)
        .await?
        .with_context(|| format!("--id: user '{id}' does not exist"))?;
    store.set_password_hash(id, &hash).await?;
    store.close().await;
    println!(
        "The password of {} is set; their open sessions are signed out.",
        user.name
    );
    Ok(())
}

/// A new password: asked twice on a terminal, else the first line of standard input.
fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password (at least 8 characters): ")?;
        let again = rpassword::prompt_password("The same password again: ")?;
        if first != again {
            anyhow::bail!("the two passwords differ; nothing was changed");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub async fn rebuild(settings: &DataSettings) -> anyhow::Result<()> {
    let org = settings.organization()?;
    let store = tally_store::Store::open(&settings.database_url).await?;
    let report = store
        .rebuild(&org, |n| eprint!("\rreplayed {n} events"))
        .await
        .context("rebuild failed; nothing was changed")?;
    eprintln!();
    store.close().await;
    if report.consistent() {
        println!(
            "Replayed {} events: the rollups were exact, nothing differed.",
            report.events
        );
    } else {
        println!(
            "Replayed {} events: {} sums and {} distinct marks differed and were recomputed.",
            report.events, report.sums_differing, report.marks_differing
        );
    }
    Ok(())
}

/// `tally backup FILE`: SQLite's online copy, or `pg_dump` for PostgreSQL.
pub async fn backup(settings: &DataSettings, file: &std::path::Path) -> anyhow::Result<()> {
    if file.exists() {
        anyhow::bail!("{} exists already: choose a new file", file.display());
    }
    let path = file
        .to_str()
        .context("the backup file's name must be UTF-8")?;
    if settings.database_url.starts_with("postgres") {
        pg_dump(&settings.database_url, path).await?;
    } else {
        let store = tally_store::Store::open(&settings.database_url).await?;
        store.backup_sqlite(path).await?;
        store.close().await;
    }
    println!(
        "Backed up {} to {}",
        settings.database_for_display(),
        file.display()
    );
    Ok(())
}

/// Runs `pg_dump` on a database URL, giving it the password (if any) through the
/// environment rather than on its command line, where other users could read it.
async fn pg_dump(url: &str, path: &str) -> anyhow::Result<()> {
    let (url, password) = without_password(url);
    let mut command = tokio::process::Command::new("pg_dump");
    command.args([
        "--format=custom",
        "--no-owner",
        "--file",
        path,
        "--dbname",
        &url,
    ]);
    if let Some(password) = password {
        command.env("PGPASSWORD", password);
    }
    let status = command
        .status()
        .await
        .context("cannot run pg_dump: install PostgreSQL's client tools (it comes with them)")?;
    if !status.success() {
        anyhow::bail!("pg_dump failed ({status}); nothing was backed up");
    }
    Ok(())
}

/// `postgres://user:secret@host/db` → (`postgres://user@host/db`, `secret`), the
/// password percent-decoded.
fn without_password(url: &str) -> (String, Option<String>) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (url.to_owned(), None);
    };
    let Some((credentials, host)) = rest.split_once('@') else {
        return (url.to_owned(), None);
    };
    match credentials.split_once(':') {
        Some((user, password)) => (
            format!("{scheme}://{user}@{host}"),
            Some(percent_decoded(password)),
        ),
        None => (url.to_owned(), None),
    }
}

fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::without_password;

    #[test]
    fn the_password_leaves_the_url_for_the_environment() {
        assert_eq!(
            without_password("postgres://tally:s%40cret@db:5432/tally"),
            (
                "postgres://tally@db:5432/tally".to_owned(),
                Some("s@cret".to_owned())
            )
        );
        assert_eq!(
            without_password("postgres://postgres@127.0.0.1/test"),
            ("postgres://postgres@127.0.0.1/test".to_owned(), None)
        );
    }
}
