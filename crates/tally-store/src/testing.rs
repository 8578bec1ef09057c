//! Databases for tests: each test gets its own, on either backend, removed afterwards.
//!
//! SQLite: a file in a temporary directory. PostgreSQL: a uniquely named database on
//! the server at `TALLY_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`).
//! A PostgreSQL that cannot be reached fails the test: it is never skipped.

use crate::{Backend, NewUser, Store};
use std::sync::atomic::{AtomicU32, Ordering};
use tally_core::Role;

/// A database made for one test and removed after it.
pub struct TestDb {
    pub url: String,
    postgres: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

pub fn postgres_admin_url() -> String {
    std::env::var("TALLY_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into())
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// A new empty database on this backend.
    pub async fn create(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("tally.db").display());
                TestDb {
                    url,
                    postgres: None,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => {
                let admin = postgres_admin_url();
                let name = format!(
                    "tally_test_{}_{}_{}",
                    std::process::id(),
                    NEXT.fetch_add(1, Ordering::Relaxed),
                    jiff::Timestamp::now().as_millisecond() % 1_000_000
                );
                admin_execute(&admin, &format!("create database {name}")).await;
                let (base, _) = admin
                    .rsplit_once('/')
                    .expect("admin URL ends with /DATABASE");
                TestDb {
                    url: format!("{base}/{name}"),
                    postgres: Some((admin, name)),
                    _dir: None,
                }
            }
        }
    }
}

/// Agents with these ids (each named as their id, no email, no extension).
pub async fn agents(store: &Store, ids: &[&str]) {
    for id in ids {
        let user = NewUser {
            id: (*id).into(),
            name: (*id).into(),
            email: None,
            role: Role::Agent,
            extension: None,
        };
        store.create_user(&user).await.expect("a new agent");
    }
}

async fn admin_execute(admin: &str, sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at {admin} is required for these tests: {e}"));
    sqlx::Executor::execute(&mut conn, sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = self.postgres.take() {
            // Drop runs inside the test's runtime: drop the database from another thread.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(runtime) = runtime {
                    runtime.block_on(admin_execute(
                        &admin,
                        &format!("drop database if exists {name} with (force)"),
                    ));
                }
            })
            .join();
        }
    }
}
