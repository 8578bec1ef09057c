//! Several server instances on one database: each keeps its own in-memory read model,
//! and each sees what the others wrote, exactly, on SQLite and on PostgreSQL.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use tally_core::{Calendar, Currency, DayRange, Event, Metric, Organization, Role};
use tally_store::testing::TestDb;
use tally_store::{Backend, NewUser, Store};

fn org() -> Organization {
    Organization {
        calendar: Calendar::new("Asia/Ho_Chi_Minh", "monday").unwrap(),
        currency: Currency::default(),
    }
}

fn call(id: &str, day: &str, talk: u32) -> (usize, Event) {
    let value = json!({"id": id, "type": "call", "at": format!("{day}T09:00:00+07:00"), "user_id": "u1",
        "direction": "outbound", "answered": true, "talk_seconds": talk});
    (0, Event::parse(&value, &Currency::default()).unwrap())
}

/// Lan, user u1, whose calls the tests send.
fn lan() -> NewUser {
    NewUser {
        id: "u1".into(),
        name: "Lan".into(),
        email: None,
        role: Role::Agent,
        extension: None,
    }
}

fn range(from: &str, to: &str) -> DayRange {
    DayRange::new(from.parse().unwrap(), to.parse().unwrap()).unwrap()
}

async fn talk(store: &Store, key: i64, range: DayRange) -> i128 {
    let values = store.user_values(range, None).await.unwrap();
    values.get(&key).map_or(0, |v| v.get(Metric::TalkSeconds))
}

async fn each_instance_sees_the_others_writes(backend: Backend) {
    let db = TestDb::create(backend).await;
    let (a, b) = (
        Store::open(&db.url).await.unwrap(),
        Store::open(&db.url).await.unwrap(),
    );
    let key = a.create_user(&lan()).await.unwrap().key;
    let org = org();
    let november = range("2026-11-01", "2026-11-30");
    a.ingest(&org, vec![call("e1", "2026-11-02", 10)])
        .await
        .unwrap();
    assert_eq!(talk(&a, key, november).await, 10);
    assert_eq!(talk(&b, key, november).await, 10, "b loads what a wrote");
    // Both models are loaded now: each write must reach the other.
    b.ingest(&org, vec![call("e2", "2026-11-03", 20)])
        .await
        .unwrap();
    a.ingest(&org, vec![call("e3", "2026-11-02", 40)])
        .await
        .unwrap();
    assert_eq!(talk(&a, key, november).await, 70);
    assert_eq!(talk(&b, key, november).await, 70);
    assert_eq!(talk(&b, key, range("2026-11-02", "2026-11-02")).await, 50);
    // A duplicate changes nothing anywhere.
    let outcome = b
        .ingest(&org, vec![call("e3", "2026-11-02", 40)])
        .await
        .unwrap();
    assert_eq!(outcome.duplicates, 1);
    assert_eq!(talk(&a, key, november).await, 70);
    // A rebuild on one instance: the other reloads everything and agrees.
    assert!(b.rebuild(&org, |_| {}).await.unwrap().consistent());
    assert_eq!(talk(&a, key, november).await, 70);
    a.ingest(&org, vec![call("e4", "2026-11-30", 5)])
        .await
        .unwrap();
    assert_eq!(talk(&b, key, november).await, 75);
    a.close().await;
    b.close().await;
}

#[tokio::test]
async fn each_instance_sees_the_others_writes_on_sqlite() {
    each_instance_sees_the_others_writes(Backend::Sqlite).await;
}

#[tokio::test]
async fn each_instance_sees_the_others_writes_on_postgres() {
    each_instance_sees_the_others_writes(Backend::Postgres).await;
}

/// On PostgreSQL an instance hears of another's write when it commits (`NOTIFY`), so
/// its live pages need not wait for their next poll. The listener connects in the
/// background, so the writer writes until one write is heard (the first may come
/// before the listener is connected); 50 unheard writes fail the test.
#[tokio::test]
async fn an_instance_hears_of_the_others_writes_on_postgres() {
    let db = TestDb::create(Backend::Postgres).await;
    let (a, b) = (
        Store::open(&db.url).await.unwrap(),
        Store::open(&db.url).await.unwrap(),
    );
    a.create_user(&lan()).await.unwrap();
    let mut heard = false;
    for n in 0..50 {
        let listening = b.changed_elsewhere();
        tokio::pin!(listening);
        // Polled once, so the listener starts (or the wait begins) before the write;
        // an earlier write heard late is heard all the same.
        if poll_once(listening.as_mut()).await {
            heard = true;
            break;
        }
        a.ingest(&org(), vec![call(&format!("e{n}"), "2026-11-02", 10)])
            .await
            .unwrap();
        let wait = tokio::time::timeout(std::time::Duration::from_millis(200), listening);
        if wait.await.is_ok() {
            heard = true;
            break;
        }
    }
    assert!(heard, "b never heard of a's writes");
    a.close().await;
    b.close().await;
}

/// Polls a future once; whether it was ready.
async fn poll_once(future: std::pin::Pin<&mut impl std::future::Future>) -> bool {
    let mut future = future;
    std::future::poll_fn(|cx| std::task::Poll::Ready(future.as_mut().poll(cx).is_ready())).await
}
