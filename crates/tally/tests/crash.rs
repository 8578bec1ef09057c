//! Durability: a server killed with SIGKILL right after it acknowledged batches has
//! lost none of them after a restart, on SQLite and on PostgreSQL; and `tally rebuild`
//! then finds the rollups exact.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use reqwest::Client;
use serde_json::{Value, json};
use std::process::Stdio;
use tally_store::Backend;
use tally_store::testing::TestDb;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const BATCHES: usize = 5;
const EVENTS_PER_BATCH: usize = 2_000;

fn tally(db: &TestDb) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tally"));
    command
        .arg(format!("--database-url={}", db.url))
        .kill_on_drop(true);
    command
}

/// Starts `tally serve` on a free port; returns the process and its base URL.
async fn serve(db: &TestDb) -> (Child, String) {
    let mut child = tally(db)
        .args(["--listen", "127.0.0.1:0", "serve"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start tally serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    while let Some(line) = lines.next_line().await.expect("read stdout") {
        if let Some(base) = line.strip_prefix("Tally is listening on ") {
            let base = base.trim().to_owned();
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return (child, base);
        }
    }
    panic!("tally serve exited without listening");
}

async fn token(db: &TestDb) -> String {
    let output = tally(db)
        .args(["token", "create", "--role", "owner", "--name", "crash"])
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .unwrap()
        .split_whitespace()
        .last()
        .unwrap()
        .to_owned()
}

fn batch(n: usize) -> Value {
    let events: Vec<Value> = (0..EVENTS_PER_BATCH)
        .map(|i| {
            json!({"id": format!("b{n}-{i}"), "type": "call", "at": "2026-11-02T09:00:00+07:00", "user_id": "u1",
                   "direction": "outbound", "answered": true, "talk_seconds": 3})
        })
        .collect();
    Value::Array(events)
}

async fn acknowledged_batches_survive_kill_9(backend: Backend) {
    let db = TestDb::create(backend).await;
    let token = token(&db).await;
    let client = Client::new();
    let (mut server, base) = serve(&db).await;
    let user = json!({"id": "u1", "name": "Lan", "role": "agent"});
    let created = client
        .post(format!("{base}/api/v1/users"))
        .bearer_auth(&token)
        .json(&user)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    for n in 0..BATCHES {
        let response = client
            .post(format!("{base}/api/v1/events"))
            .bearer_auth(&token)
            .json(&batch(n))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let result: Value = response.json().await.unwrap();
        assert_eq!(result["accepted"], EVENTS_PER_BATCH);
    }
    // SIGKILL the instant the last acknowledgement arrived: no graceful shutdown.
    server.start_kill().unwrap();
    server.wait().await.unwrap();

    let (mut server, base) = serve(&db).await;
    let report: Value = client
        .get(format!(
            "{base}/api/v1/reports/users?from=2026-11-02&to=2026-11-02"
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let values = &report["rows"][0]["values"];
    assert_eq!(values["calls"], BATCHES * EVENTS_PER_BATCH);
    assert_eq!(values["talk_seconds"], BATCHES * EVENTS_PER_BATCH * 3);
    server.start_kill().unwrap();
    server.wait().await.unwrap();

    let rebuild = tally(&db).arg("rebuild").output().await.unwrap();
    assert!(
        rebuild.status.success(),
        "{}",
        String::from_utf8_lossy(&rebuild.stderr)
    );
    let said = String::from_utf8(rebuild.stdout).unwrap();
    assert!(
        said.contains(&format!("Replayed {} events", BATCHES * EVENTS_PER_BATCH)),
        "{said}"
    );
    assert!(said.contains("nothing differed"), "{said}");
}

#[tokio::test]
async fn acknowledged_batches_survive_kill_9_on_sqlite() {
    acknowledged_batches_survive_kill_9(Backend::Sqlite).await;
}

#[tokio::test]
async fn acknowledged_batches_survive_kill_9_on_postgres() {
    acknowledged_batches_survive_kill_9(Backend::Postgres).await;
}
