//! Planning a group ahead of the write lock, on SQLite and on PostgreSQL, as the
//! server's writer does: a group planned while the one before it is being written
//! sees that group's writes (its events are duplicates, its customers exist), and a
//! plan made before another write came in, or on a group that did not commit, is made
//! again under the lock.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};
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

/// On PostgreSQL, a transaction that keeps every writer of entities waiting until it
/// commits: the group being written then cannot commit before the next group's plan
/// has read. On SQLite nothing holds a commit back, so there the plan reads before or
/// after it, as it happens.
async fn hold_entity_writes(backend: Backend, url: &str) -> Option<PgConnection> {
    if backend != Backend::Postgres {
        return None;
    }
    let mut conn = PgConnection::connect(url).await.unwrap();
    sqlx::query("begin").execute(&mut conn).await.unwrap();
    let lock = "lock table entities in share mode";
    sqlx::query(lock).execute(&mut conn).await.unwrap();
    Some(conn)
}

/// Each round writes a group that creates a customer and logs a call, and plans the
/// next group while it is written: that group resends the call (a duplicate) and
/// hands the customer to another owner (it must exist). On PostgreSQL the plan reads
/// before the first group commits; on SQLite before or after. The answers are the
/// same, and every plan is used.
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
        let held = hold_entity_writes(backend, &db.url).await;
        let write = store.ingest_group(&org, &first, None, Some(told));
        let plan_next = async {
            let written = written.await.unwrap();
            let planned = store
                .plan_ahead(&org, &alone(&second), Some(&written))
                .await;
            if let Some(mut held) = held {
                sqlx::query("commit").execute(&mut held).await.unwrap();
            }
            planned
        };
        let (outcomes, planned) = tokio::join!(write, plan_next);
        assert_eq!(summary(outcomes[0].as_ref().unwrap()), (2, 0, vec![]));
        let outcomes = store
            .ingest_group(&org, &alone(&second), Some(planned.unwrap()), None)
            .await;
        assert_eq!(summary(outcomes[0].as_ref().unwrap()), (1, 1, vec![]));
    }
    assert_eq!(store.plans_ahead(), (20, 0));
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
    let planned = store.plan_ahead(&org(), &alone(&planned_call), None).await;
    let other = parsed(&[call("x", "lan", 99, "c1")]);
    let stored = store.ingest(&org(), other).await.unwrap();
    assert_eq!(summary(&stored), (1, 0, vec![]));
    let outcomes = store
        .ingest_group(&org(), &alone(&planned_call), Some(planned.unwrap()), None)
        .await;
    let conflict = (0, 0, vec![(0, "conflict")]);
    assert_eq!(summary(outcomes[0].as_ref().unwrap()), conflict);
    assert_eq!(store.plans_ahead(), (0, 1));
    assert_eq!(talk_seconds(&store, "lan").await, 99);
    store.close().await;
}

/// `deals` won opportunities of 10^15 minor units each, numbered from `first`.
fn wins(first: usize, deals: usize) -> Vec<(usize, Event)> {
    let values: Vec<Value> = (first..first + deals)
        .flat_map(|n| {
            let id = format!("o{n}");
            [
                json!({"id": id, "type": "opportunity.created", "at": AT, "user_id": "lan",
                       "opportunity_id": id, "customer_id": "c1", "amount": "1000000000000000"}),
                json!({"id": format!("w{n}"), "type": "opportunity.status_changed", "at": AT,
                       "user_id": "lan", "opportunity_id": id, "status": "won"}),
            ]
        })
        .collect();
    parsed(&values)
}

/// A group that fails as a whole (its two batches' revenue passes 64 bits only
/// together) is written again batch by batch: the first commits, the second is
/// refused. The next group was planned on the whole group, whose second batch was
/// never stored; its transactions leave the write counter where that plan expects
/// it, yet the plan is made again, because the group it was planned on did not commit.
/// So the second batch's first event, sent again, is new, not a duplicate.
async fn a_plan_on_a_group_that_did_not_commit_is_made_again(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = Store::open(&db.url).await.unwrap();
    tally_store::testing::agents(&store, &["lan"]).await;
    let org = org();
    let owner = parsed(&[customer("c1", "new-c1", "customer.created", "lan")]);
    store.ingest(&org, owner).await.unwrap();
    let (fits, passes) = (wins(0, 4_700), wins(4_700, 4_600));
    let group = [&fits, &passes].map(|events| Submission {
        events,
        may_credit: None,
    });
    let again = vec![passes[0].clone()];
    let (told, written) = tokio::sync::oneshot::channel();
    let write = store.ingest_group(&org, &group, None, Some(told));
    let plan_next = async {
        let written = written.await.unwrap();
        store.plan_ahead(&org, &alone(&again), Some(&written)).await
    };
    let (outcomes, planned) = tokio::join!(write, plan_next);
    assert!(outcomes[0].is_ok() && outcomes[1].is_err());
    let outcomes = store
        .ingest_group(&org, &alone(&again), Some(planned.unwrap()), None)
        .await;
    assert_eq!(summary(outcomes[0].as_ref().unwrap()), (1, 0, vec![]));
    assert_eq!(store.plans_ahead(), (0, 1));
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

#[tokio::test]
async fn sqlite_a_plan_on_a_group_that_did_not_commit_is_made_again() {
    a_plan_on_a_group_that_did_not_commit_is_made_again(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_a_plan_on_a_group_that_did_not_commit_is_made_again() {
    a_plan_on_a_group_that_did_not_commit_is_made_again(Backend::Postgres).await;
}
