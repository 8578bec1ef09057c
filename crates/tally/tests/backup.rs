//! `tally backup`: a copy taken while events keep arriving is consistent (its rollups
//! are exactly its event log's), and a restored copy answers the same reports as the
//! database it came from; on SQLite (its online copy) and PostgreSQL (`pg_dump`, then
//! `pg_restore`).

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tally_core::{Calendar, Currency, DayRange, Event, Organization};
use tally_store::testing::TestDb;
use tally_store::{Backend, Store};

fn org() -> Organization {
    Organization {
        calendar: Calendar::new("Asia/Ho_Chi_Minh", "monday").unwrap(),
        currency: Currency::from_code("VND"),
    }
}

/// `n` events from `first`: calls, customers, won deals, for three people.
fn events(first: usize, n: usize) -> Vec<(usize, Event)> {
    (first..first + n)
        .map(|i| {
            let user = ["lan", "minh", "nam"][i % 3];
            let at = format!("2026-11-{:02}T09:{:02}:00+07:00", 1 + i % 20, i % 60);
            let value = match i % 4 {
                0 => json!({"type": "customer.created", "customer_id": format!("c{i}")}),
                1 => json!({"type": "note.added", "customer_id": format!("c{}", i - 1)}),
                _ => json!({"type": "call", "direction": "outbound", "answered": true,
                            "talk_seconds": i % 300, "customer_id": format!("c{}", i - i % 4)}),
            };
            let mut value = value;
            value["id"] = json!(format!("e{i}"));
            value["at"] = json!(at);
            value["user_id"] = json!(user);
            (
                i,
                Event::parse(&value, &Currency::from_code("VND")).unwrap(),
            )
        })
        .collect()
}

async fn seeded(db: &TestDb) -> Store {
    let store = Store::open(&db.url).await.unwrap();
    tally_store::testing::agents(&store, &["lan", "minh", "nam"]).await;
    store.create_team("north", "North").await.unwrap();
    let from = "2026-11-05".parse().unwrap();
    store
        .add_membership("north", "lan", from, None)
        .await
        .unwrap();
    let outcome = store.ingest(&org(), events(0, 2_000)).await.unwrap();
    assert_eq!(outcome.accepted, 2_000);
    store
}

fn tally_backup(url: &str, file: &std::path::Path) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tally"))
        .arg(format!("--database-url={url}"))
        .arg("backup")
        .arg(file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Opens a backup as a database: the SQLite file itself, or a PostgreSQL database it
/// was restored into.
async fn restored(backend: Backend, file: &std::path::Path) -> (Store, Option<TestDb>) {
    match backend {
        Backend::Sqlite => {
            let url = format!("sqlite://{}", file.display());
            (Store::open(&url).await.unwrap(), None)
        }
        Backend::Postgres => {
            let target = TestDb::create(Backend::Postgres).await;
            let status = std::process::Command::new("pg_restore")
                .args(["--no-owner", "--dbname", &target.url])
                .arg(file)
                .status()
                .unwrap();
            assert!(status.success());
            (Store::open(&target.url).await.unwrap(), Some(target))
        }
    }
}

async fn a_backup_while_writing_is_consistent_and_restores_the_same_reports(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = Arc::new(seeded(&db).await);
    let dir = tempfile::tempdir().unwrap();
    // Events keep arriving while the first copy is taken.
    let writing = Arc::new(AtomicBool::new(true));
    let writer = tokio::spawn({
        let (store, writing) = (store.clone(), writing.clone());
        async move {
            let mut next = 2_000;
            while writing.load(Ordering::SeqCst) {
                store.ingest(&org(), events(next, 50)).await.unwrap();
                next += 50;
            }
            next
        }
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let during = dir.path().join("during.backup");
    tokio::task::spawn_blocking({
        let (url, file) = (db.url.clone(), during.clone());
        move || tally_backup(&url, &file)
    })
    .await
    .unwrap();
    writing.store(false, Ordering::SeqCst);
    let written = writer.await.unwrap();
    assert!(written > 2_000, "events arrived during the backup");
    let (copy, _target) = restored(backend, &during).await;
    let report = copy.rebuild(&org(), |_| {}).await.unwrap();
    assert!(report.consistent(), "the copy's rollups are its log's");
    assert!(report.events >= 2_000 && report.events <= written as u64);
    // Once writes stop, a copy answers exactly what the original answers.
    let after = dir.path().join("after.backup");
    tokio::task::spawn_blocking({
        let (url, file) = (db.url.clone(), after.clone());
        move || tally_backup(&url, &file)
    })
    .await
    .unwrap();
    let (copy, _target) = restored(backend, &after).await;
    let month =
        DayRange::new("2026-11-01".parse().unwrap(), "2026-11-30".parse().unwrap()).unwrap();
    assert_eq!(
        users_report(&copy, month).await,
        users_report(&store, month).await
    );
    assert_eq!(
        teams_report(Arc::new(copy), month).await,
        teams_report(store.clone(), month).await
    );
    // A file that exists is never overwritten.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_tally"))
        .arg(format!("--database-url={}", db.url))
        .arg("backup")
        .arg(&after)
        .output()
        .unwrap();
    assert!(!output.status.success());
}

/// Every user's values over the range, in key order.
async fn users_report(store: &Store, range: DayRange) -> Vec<(i64, tally_core::Values)> {
    let mut values: Vec<_> = store
        .user_values(range, None)
        .await
        .unwrap()
        .into_iter()
        .collect();
    values.sort_by_key(|(key, _)| *key);
    values
}

/// The teams report as the owner reads it, every team and metric.
async fn teams_report(store: Arc<Store>, range: DayRange) -> String {
    let app = tally_app::App::new(store, org());
    let owner = tally_app::Caller::command_line();
    let every_metric = app.report_metrics(None).await.unwrap();
    let report = app
        .teams_report(&owner, range, None, every_metric)
        .await
        .unwrap();
    assert!(!report.rows.is_empty());
    format!("{:?}", report.rows)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_on_sqlite() {
    a_backup_while_writing_is_consistent_and_restores_the_same_reports(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_on_postgres() {
    a_backup_while_writing_is_consistent_and_restores_the_same_reports(Backend::Postgres).await;
}
