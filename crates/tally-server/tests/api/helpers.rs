//! Starting the app for a test: on port 0, with a fresh database of either backend.
//!
//! The database comes from [`TestDb`]: a temporary SQLite file or a uniquely named
//! PostgreSQL database; a PostgreSQL that cannot be reached fails the test.

use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use std::sync::Arc;
use tally_core::Role;
use tally_server::auth::{hash_token, new_token_secret};
use tally_server::settings::MailSettings;
use tally_server::{Limits, Server, Settings};
use tally_store::Store;
use tally_store::testing::TestDb;

pub use tally_store::Backend;

/// The app under test and a client with an owner token.
pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub owner: String,
    pub store: Arc<Store>,
    _db: TestDb,
}

/// Runs a test body on both backends: `both!(name)` makes `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(&$crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(&$crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await).await
            }
        }
    )*};
}

/// The app with the server's limits, but live streams check their session twice a
/// second (not every half minute), so a test sees a stream end soon, and a failed
/// webhook delivery is tried again within a fraction of a second.
pub async fn spawn_app(backend: Backend) -> TestApp {
    spawn_app_with(backend, spawn_limits()).await
}

fn spawn_limits() -> Limits {
    Limits {
        session_check: std::time::Duration::from_millis(500),
        webhook_backoff: std::time::Duration::from_millis(200),
        ..Limits::default()
    }
}

/// The app with these time limits (short ones for the tests of idle connections).
pub async fn spawn_app_with(backend: Backend, limits: Limits) -> TestApp {
    let db = TestDb::create(backend).await;
    let server = start(&db.url, limits).await;
    let base = format!("http://{}", server.address);
    let store = server.state.app.store().clone();
    let owner = token(&store, Role::Owner, None).await;
    TestApp {
        base,
        client: Client::new(),
        owner,
        store,
        _db: db,
    }
}

/// The app of [`spawn_app`], emailing notices through the SMTP server of `mail`.
pub async fn spawn_app_mailing(backend: Backend, mail: MailSettings) -> TestApp {
    let db = TestDb::create(backend).await;
    let server = start_with(&db.url, spawn_limits(), Some(mail)).await;
    let base = format!("http://{}", server.address);
    let store = server.state.app.store().clone();
    let owner = token(&store, Role::Owner, None).await;
    TestApp {
        base,
        client: Client::new(),
        owner,
        store,
        _db: db,
    }
}

/// A server on this database, started as `tally serve` starts one, on a free port.
pub async fn start(database_url: &str, limits: Limits) -> Server {
    start_with(database_url, limits, None).await
}

/// [`start`], emailing notices through `mail`, if any.
pub async fn start_with(database_url: &str, limits: Limits, mail: Option<MailSettings>) -> Server {
    let mut settings = Settings {
        listen: "127.0.0.1:0".into(),
        limits,
        mail,
        ..Settings::default()
    };
    settings.data.database_url = database_url.to_owned();
    Server::start(&settings)
        .await
        .expect("start a server on the test database")
}

impl TestApp {
    /// The URL of the test's database.
    pub fn database_url(&self) -> String {
        self._db.url.clone()
    }

    /// Another server on the same database, as a second instance would be: its address.
    pub async fn another_instance(&self) -> String {
        let server = start(&self._db.url, Limits::default()).await;
        format!("http://{}", server.address)
    }
}

/// A new API token with this role (and user), straight through the store.
pub async fn token(store: &Store, role: Role, user: Option<&str>) -> String {
    let secret = new_token_secret();
    store
        .create_token("test", role, user, &hash_token(&secret))
        .await
        .expect("create token");
    secret
}

/// The `user_id` of each row of a users report, in order.
pub fn row_ids(report: &Value) -> Vec<&str> {
    let rows = report["rows"].as_array().expect("rows");
    rows.iter()
        .map(|r| r["user_id"].as_str().expect("user_id"))
        .collect()
}

impl TestApp {
    pub async fn token(&self, role: Role, user: Option<&str>) -> String {
        token(&self.store, role, user).await
    }

    pub async fn get_as(&self, token: &str, path: &str) -> Response {
        self.client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("GET")
    }

    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> Response {
        self.client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("POST")
    }

    /// POSTs as the owner and returns the JSON body, asserting the status.
    pub async fn post_ok(&self, path: &str, body: &Value, status: StatusCode) -> Value {
        let response = self.post_as(&self.owner, path, body).await;
        assert_eq!(response.status(), status, "POST {path}");
        response.json().await.expect("JSON body")
    }

    /// GETs as the owner and returns the JSON body of a 200.
    pub async fn get_ok(&self, path: &str) -> Value {
        let response = self.get_as(&self.owner, path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.json().await.expect("JSON body")
    }

    /// Sends events and returns the ingest result.
    pub async fn events(&self, events: Value) -> Value {
        self.post_ok("/api/v1/events", &events, StatusCode::OK)
            .await
    }

    pub async fn user(&self, id: &str, name: &str) {
        self.user_as(id, name, Role::Agent).await;
    }

    /// A user with this role (a token bound to them acts with no more than it).
    pub async fn user_as(&self, id: &str, name: &str, role: Role) {
        let body = json!({"id": id, "name": name, "role": role.as_str()});
        self.post_ok("/api/v1/users", &body, StatusCode::CREATED)
            .await;
    }

    /// Values of one user's row of the users report over `from..=to`.
    pub async fn user_values(&self, user: &str, from: &str, to: &str) -> Value {
        let report = self
            .get_ok(&format!(
                "/api/v1/reports/users?from={from}&to={to}&user_id={user}"
            ))
            .await;
        report["rows"][0]["values"].clone()
    }

    /// Values of one team's row of the teams report over `from..=to`.
    pub async fn team_values(&self, team: &str, from: &str, to: &str) -> Value {
        let report = self
            .get_ok(&format!(
                "/api/v1/reports/teams?from={from}&to={to}&team_id={team}"
            ))
            .await;
        report["rows"][0]["values"].clone()
    }
}

/// The body rows of the HTML table that `opening` (its opening tag) starts: each row's
/// texts in order, header cell first, empty ones left out.
pub fn table_rows(page: &str, opening: &str) -> Vec<Vec<String>> {
    let table = page
        .split(opening)
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .unwrap_or_else(|| panic!("no {opening} in {page}"));
    let body = table.split("<tbody>").nth(1).unwrap_or(table);
    body.split("<tr")
        .skip(1)
        .map(|row| {
            let row = row.split_once('>').map_or(row, |(_, rest)| rest);
            row.split(['<', '>'])
                .enumerate()
                .filter(|(i, text)| i % 2 == 0 && !text.trim().is_empty())
                .map(|(_, text)| text.trim().to_owned())
                .collect()
        })
        .collect()
}
