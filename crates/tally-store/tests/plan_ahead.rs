//! Planning a group ahead of the write lock, on SQLite and on PostgreSQL, as the
//! server's writer does: a group planned while the one before it is being written
//! sees that group's writes (its events are duplicates, its customers exist), and a
//! plan made before another write came in is made again under the lock.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use tally_core::{Calendar, Currency, DayRange, Event, Metric, Organization};
use tally_store::testing::TestDb;
use tally_store::{Backend, IngestOutcome, Store, Submission};

fn org() -> Organization {
    Organization {
        calendar: Calendar::new("Asia/Ho_Chi_Minh", "monday").unwrap(),
        currency: Currency::default(),
    }
}

fn parsed(values: &[Value]) -> Vec<(usize, Event)> {
    let parse = |v| Event::parse(v, &Currency::default()).unwrap();
    values.iter().map(parse).enumerate().collect()
}

const AT: &str = "2026-11-02T09:00:00+07:00";

fn call(id: &str, user: &str, talk: u32, customer: &str) -> Value {
    json!({"id": id, "type": "call", "at": AT, "user_id": user, "customer_id": customer,
        "direction": "outbound", "answered": true, "talk_seconds": talk})
}

fn customer(id: &str, event: &str, kind: &str, owner: &str) -> Value {
    json!({"id": event, "type": kind, "at": AT, "user_id": owner, "customer_id": id,
        "owner_id": owner})
}

fn alone(events: &[(usize, Event)]) -> [Submission<'_>; 1] {
    [Submission {
        events,
        may_credit: None,
    }]
}

fn summary(outcome: &IngestOutcome) -> (usize, usize, Vec<(usize, &str)>) {
    let rejected = outcome.rejected.iter().map(|r| (r.index, r.code)).collect();
    (outcome.accepted, outcome.duplicates, rejected)
}

async fn talk_seconds(store: &Store, user: &str) -> i128 {
    let key = store.user(user).await.unwrap().unwrap().key;
    let day = "2026-11-02".parse().unwrap();
    let range = DayRange::new(day, day).unwrap();
    let values = store.user_values(range, Some(&[key])).await.unwrap();
    values.get(&key).map_or(0, |v| v.get(Metric::TalkSeconds))
}

/// Each round writes a group that creates a customer and logs a call, and plans the
/// next group while it is written: that group resends the call (a duplicate) and
/// hands the customer to another owner (it must exist). Whether the plan's reads
/// come before or after the first group's commit, the answers are the same.
async fn a_group_planned_while_the_one_before_is_written_sees_its_writes(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = Store::open(&db.url).await.unwrap();
    tally_store::testing::agents(&store, &["lan", "minh"]).await;
    let org = org();
    for round in 0..20 {
        let (c, e) = (format!("c{round}"), format!("e{round}"));
        let first = parsed(&[
            customer(&c, &format!("new-{c}"), "customer.created", "lan"),
            call(&e, "lan", 10, &c),
        ]);
        let second = parsed(&[
            call(&e, "lan", 10, &c),
            customer(&c, &format!("moved-{c}"), "customer.updated", "minh"),
        ]);
        let (told, written) = tokio::sync::oneshot::channel();
        let first = alone(&first);
        let write = store.ingest_group(&org, &first, None, Some(told));
        let plan_next = async {
            let written = written.await.unwrap();
            store
                .plan_ahead(&org, &alone(&second), Some(&written))
                .await
        };
        let ((outcomes, whole), planned) = tokio::join!(write, plan_next);
        assert!(whole);
        assert_eq!(summary(outcomes[0].as_ref().unwrap()), (2, 0, vec![]));
        let (outcomes, whole) = store
            .ingest_group(&org, &alone(&second), Some(planned.unwrap()), None)
            .await;
        assert!(whole);
        assert_eq!(summary(outcomes[0].as_ref().unwrap()), (1, 1, vec![]));
    }
    assert_eq!(talk_seconds(&store, "lan").await, 200);
    store.close().await;
}

/// A plan made ahead, then another write of the same event id with other content:
/// the plan no longer holds, and the group is decided again under the lock (a
/// conflict, not a second copy of the event).
async fn a_plan_made_before_another_write_is_made_again(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = Store::open(&db.url).await.unwrap();
    tally_store::testing::agents(&store, &["lan"]).await;
    let planned_call = parsed(&[call("x", "lan", 60, "c1")]);
    let planned = store
        .plan_ahead(&org(), &alone(&planned_call), None)
        .await
        .unwrap();
    let other = parsed(&[call("x", "lan", 99, "c1")]);
    assert_eq!(
        summary(&store.ingest(&org(), other).await.unwrap()),
        (1, 0, vec![])
    );
    let (outcomes, whole) = store
        .ingest_group(&org(), &alone(&planned_call), Some(planned), None)
        .await;
    assert!(whole);
    assert_eq!(
        summary(outcomes[0].as_ref().unwrap()),
        (0, 0, vec![(0, "conflict")])
    );
    assert_eq!(talk_seconds(&store, "lan").await, 99);
    store.close().await;
}

#[tokio::test]
async fn sqlite_a_group_planned_while_the_one_before_is_written_sees_its_writes() {
    a_group_planned_while_the_one_before_is_written_sees_its_writes(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_a_group_planned_while_the_one_before_is_written_sees_its_writes() {
    a_group_planned_while_the_one_before_is_written_sees_its_writes(Backend::Postgres).await;
}

#[tokio::test]
async fn sqlite_a_plan_made_before_another_write_is_made_again() {
    a_plan_made_before_another_write_is_made_again(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_a_plan_made_before_another_write_is_made_again() {
    a_plan_made_before_another_write_is_made_again(Backend::Postgres).await;
}
