//! The mini-CRM's records and the events they emit stay in agreement, on SQLite and on
//! PostgreSQL: a change decided on a record that changed meanwhile is refused whole,
//! and records that disagreed with the KPIs before events moved records are caught up
//! once.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use tally_core::{Calendar, Currency, Event, Organization};
use tally_store::testing::TestDb;
use tally_store::{Backend, CrmRecord, CrmWrite, Store, StoreError};

fn org() -> Organization {
    Organization {
        calendar: Calendar::new("Asia/Ho_Chi_Minh", "monday").unwrap(),
        currency: Currency::default(),
    }
}

fn event(value: Value) -> (usize, Event) {
    (0, Event::parse(&value, &Currency::default()).unwrap())
}

fn record(kind: &str, id: &str, body: Value, updated_at: i64) -> CrmRecord {
    CrmRecord {
        kind: kind.into(),
        id: id.into(),
        customer_id: body["customer_id"].as_str().map(str::to_owned),
        owner_id: body["owner_id"].as_str().map(str::to_owned),
        sort_name: "x".into(),
        search: "x".into(),
        body: body.to_string(),
        created_at: 1,
        updated_at,
    }
}

async fn store_with_people(db: &TestDb) -> Store {
    let store = Store::open(&db.url).await.unwrap();
    tally_store::testing::agents(&store, &["lan", "minh"]).await;
    store
}

/// Lan's customer c1 and opportunity o1, as the CRM writes them.
async fn customer_and_deal(store: &Store) {
    let created = json!({"id": "e1", "type": "customer.created", "at": "2026-11-02T09:00:00+07:00",
        "user_id": "lan", "customer_id": "c1"});
    let customer = record(
        "customer",
        "c1",
        json!({"id": "c1", "name": "C", "owner_id": "lan"}),
        10,
    );
    let write = CrmWrite {
        records: vec![customer],
        ..CrmWrite::default()
    };
    store
        .ingest_with(&org(), vec![event(created)], &write, None)
        .await
        .unwrap();
    // The deal's record says lan, while its event gives it to minh: how records and
    // KPIs could disagree before events moved records.
    let deal = json!({"id": "e2", "type": "opportunity.created", "at": "2026-11-02T09:05:00+07:00",
        "user_id": "lan", "opportunity_id": "o1", "customer_id": "c1", "amount": 500, "owner_id": "minh"});
    let body = json!({"id": "o1", "customer_id": "c1", "owner_id": "lan", "amount": "500", "status": "open"});
    let write = CrmWrite {
        records: vec![record("opportunity", "o1", body, 20)],
        ..CrmWrite::default()
    };
    store
        .ingest_with(&org(), vec![event(deal)], &write, None)
        .await
        .unwrap();
}

async fn a_change_decided_on_a_stale_record_is_refused_whole(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = store_with_people(&db).await;
    customer_and_deal(&store).await;
    // Read at 10; an integration's event then moves the customer (its record too).
    let moved = json!({"id": "e3", "type": "customer.updated", "at": "2026-11-03T09:00:00+07:00",
        "user_id": "lan", "customer_id": "c1", "owner_id": "minh"});
    store
        .ingest_as(&org(), vec![event(moved)], None)
        .await
        .unwrap();
    let now = store.crm_record("customer", "c1").await.unwrap().unwrap();
    assert_eq!(now.owner_id.as_deref(), Some("minh"));
    assert_ne!(now.updated_at, 10);
    // The CRM change decided on the record as read at 10 would put lan back.
    let stale = json!({"id": "e4", "type": "customer.updated", "at": "2026-11-03T10:00:00+07:00",
        "user_id": "lan", "customer_id": "c1"});
    let write = CrmWrite {
        records: vec![record(
            "customer",
            "c1",
            json!({"id": "c1", "name": "C2", "owner_id": "lan"}),
            99,
        )],
        unchanged_since: Some(10),
        ..CrmWrite::default()
    };
    let refused = store
        .ingest_with(&org(), vec![event(stale)], &write, None)
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    let kept = store.crm_record("customer", "c1").await.unwrap().unwrap();
    assert_eq!(
        (kept.owner_id.as_deref(), kept.body.contains("C2")),
        (Some("minh"), false)
    );
    // Nothing of it was stored: the same event id is new again.
    let again = json!({"id": "e4", "type": "note.added", "at": "2026-11-03T10:00:00+07:00",
        "user_id": "lan", "customer_id": "c1"});
    let outcome = store
        .ingest_as(&org(), vec![event(again)], None)
        .await
        .unwrap();
    assert_eq!(outcome.accepted, 1);
}

async fn records_that_disagreed_are_caught_up_once(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = store_with_people(&db).await;
    customer_and_deal(&store).await;
    let won = json!({"id": "w", "type": "opportunity.status_changed", "at": "2026-11-04T09:00:00+07:00",
        "user_id": "lan", "opportunity_id": "o1", "status": "won"});
    store.ingest(&org(), vec![event(won)]).await.unwrap();
    // The record as it was before events moved records: still open, still lan's (a
    // CRM write with no events changes the record alone).
    let stale = json!({"id": "o1", "customer_id": "c1", "owner_id": "lan", "amount": "500", "status": "open"});
    let write = CrmWrite {
        records: vec![record("opportunity", "o1", stale, 30)],
        ..CrmWrite::default()
    };
    store
        .ingest_with(&org(), vec![], &write, None)
        .await
        .unwrap();
    let before = store
        .crm_record("opportunity", "o1")
        .await
        .unwrap()
        .unwrap();
    assert!(before.body.contains("\"open\""));
    assert_eq!(store.follow_events_once(&org()).await.unwrap(), 1);
    let after = store
        .crm_record("opportunity", "o1")
        .await
        .unwrap()
        .unwrap();
    let body: Value = serde_json::from_str(&after.body).unwrap();
    assert_eq!(
        (&body["owner_id"], &body["status"]),
        (&json!("minh"), &json!("won"))
    );
    assert_eq!(after.owner_id.as_deref(), Some("minh"));
    assert_eq!(store.follow_events_once(&org()).await.unwrap(), 0, "once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_changes_on_sqlite() {
    a_change_decided_on_a_stale_record_is_refused_whole(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stale_changes_on_postgres() {
    a_change_decided_on_a_stale_record_is_refused_whole(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catching_up_on_sqlite() {
    records_that_disagreed_are_caught_up_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn catching_up_on_postgres() {
    records_that_disagreed_are_caught_up_once(Backend::Postgres).await;
}
