//! `tally import asterisk-cdr`: a Master.csv from the command line, again (a no-op),
//! and `--retry-unmapped` once the missing extension is mapped; on both backends.

#![allow(clippy::unwrap_used)]

use tally_core::Role;
use tally_store::testing::TestDb;
use tally_store::{Backend, NewUser, Store};
use tokio::process::Command;

const MASTER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tally-sources/tests/fixtures/Master.csv"
);

async fn import(db: &TestDb, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_tally"))
        .arg(format!("--database-url={}", db.url))
        .args(["import", "asterisk-cdr"])
        .args(args)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

async fn agent(store: &Store, id: &str, extension: &str) -> i64 {
    let user = NewUser {
        id: id.into(),
        name: id.into(),
        email: None,
        role: Role::Agent,
        extension: Some(extension.into()),
    };
    store.create_user(&user).await.unwrap().key
}

async fn import_then_retry(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = Store::open(&db.url).await.unwrap();
    agent(&store, "lan", "201").await;
    agent(&store, "minh", "202").await;
    let first = import(&db, &[MASTER]).await;
    assert!(first.contains("11 records read; 8 calls counted, 0 already imported, 1 internal (not counted), 0 second legs (counted from their first), 1 kept aside (no mapped extension), 1 rejected."), "{first}");
    assert!(first.contains("line 11: start:"), "{first}");
    assert!(first.contains("\nKept aside: 299 × 1.\n"), "{first}");
    let again = import(&db, &[MASTER]).await;
    assert!(
        again.contains("0 calls counted, 9 already imported"),
        "{again}"
    );
    let sue = agent(&store, "sue", "203").await;
    store
        .set_more_extensions(sue, &["299".to_owned()])
        .await
        .unwrap();
    let retried = import(&db, &["--retry-unmapped"]).await;
    assert!(
        retried.contains("Retried the records kept aside: 1 records read; 1 calls counted"),
        "{retried}"
    );
    store.close().await;
}

#[tokio::test]
async fn import_then_retry_on_sqlite() {
    import_then_retry(Backend::Sqlite).await;
}

#[tokio::test]
async fn import_then_retry_on_postgres() {
    import_then_retry(Backend::Postgres).await;
}
