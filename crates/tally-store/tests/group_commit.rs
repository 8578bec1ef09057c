//! Group commit, on SQLite and on PostgreSQL: batches written in one transaction are
//! each decided as if written alone, in order (duplicates and conflicts across
//! batches, each batch's own credit limit), and a group that fails only together is
//! retried batch by batch, so one batch never fails another.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use tally_core::access::Scope;
use tally_core::{Calendar, Currency, DayRange, Event, Metric, Organization};
use tally_store::testing::TestDb;
use tally_store::{Backend, IngestOutcome, Store, StoreError, Submission};

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

fn call(id: &str, user: &str, talk: u32) -> Value {
    json!({"id": id, "type": "call", "at": "2026-11-02T09:00:00+07:00", "user_id": user,
        "direction": "outbound", "answered": true, "talk_seconds": talk})
}

async fn store_with(db: &TestDb, people: &[&str]) -> Store {
    let store = Store::open(&db.url).await.unwrap();
    tally_store::testing::agents(&store, people).await;
    store
}

async fn day_value(store: &Store, user: &str, metric: Metric) -> i128 {
    let key = store.user(user).await.unwrap().unwrap().key;
    let day = "2026-11-02".parse().unwrap();
    let values = store
        .user_values(DayRange::new(day, day).unwrap(), Some(&[key]))
        .await
        .unwrap();
    values.get(&key).map_or(0, |v| v.get(metric))
}

fn summary(outcome: &IngestOutcome) -> (usize, usize, Vec<(usize, &str)>) {
    let rejected = outcome.rejected.iter().map(|r| (r.index, r.code)).collect();
    (outcome.accepted, outcome.duplicates, rejected)
}

async fn batches_decide_as_if_alone_in_order(backend: Backend) {
    let lan_only = Scope::only(Some("lan"));
    let first = parsed(&[call("e1", "lan", 60), call("e2", "minh", 30)]);
    let second = parsed(&[call("e1", "lan", 60), call("e3", "minh", 45)]);
    let third = parsed(&[call("e2", "minh", 999), call("e4", "lan", 15)]);
    let batches = [(&first, None), (&second, Some(&lan_only)), (&third, None)];
    let (grouped_db, serial_db) = (TestDb::create(backend).await, TestDb::create(backend).await);
    let grouped = store_with(&grouped_db, &["lan", "minh"]).await;
    let serial = store_with(&serial_db, &["lan", "minh"]).await;
    let submissions: Vec<Submission<'_>> = batches
        .iter()
        .map(|(events, scope)| Submission {
            events,
            may_credit: scope.map(|s| s as _),
        })
        .collect();
    let together = grouped.ingest_group(&org(), &submissions, None, None).await;
    let mut alone = Vec::new();
    for (events, scope) in &batches {
        let may_credit = scope.map(|s| s as _);
        let outcome = serial.ingest_as(&org(), events.to_vec(), may_credit).await;
        alone.push(outcome.unwrap());
    }
    let together: Vec<IngestOutcome> = together.into_iter().map(Result::unwrap).collect();
    assert_eq!(together, alone);
    assert_eq!(summary(&together[0]), (2, 0, vec![]));
    assert_eq!(
        summary(&together[1]),
        (0, 1, vec![(1, "forbidden")]),
        "e1 again is a duplicate; Lan's scope may not credit Minh"
    );
    assert_eq!(summary(&together[2]), (1, 0, vec![(0, "conflict")]));
    for store in [&grouped, &serial] {
        assert_eq!(day_value(store, "lan", Metric::TalkSeconds).await, 75);
        assert_eq!(day_value(store, "minh", Metric::TalkSeconds).await, 30);
    }
    grouped.close().await;
    serial.close().await;
}

/// `deals` won deals of the largest amount (10^15 minor units each) for Lan.
fn largest_wins(first: usize, deals: usize) -> Vec<(usize, Event)> {
    let at = "2026-11-02T09:00:00+07:00";
    let values: Vec<Value> = (first..first + deals)
        .flat_map(|n| {
            [
                json!({"id": format!("o{n}"), "type": "opportunity.created", "at": at,
                       "user_id": "lan", "opportunity_id": format!("o{n}"),
                       "customer_id": "c1", "amount": "1000000000000000"}),
                json!({"id": format!("w{n}"), "type": "opportunity.status_changed",
                       "at": at, "user_id": "lan", "opportunity_id": format!("o{n}"),
                       "status": "won"}),
            ]
        })
        .collect();
    parsed(&values)
}

/// Two batches whose revenue passes 64 bits only together: the first is stored, the
/// second refused naming the field, as if each had come alone.
async fn a_group_failing_together_is_retried_batch_by_batch(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = store_with(&db, &["lan"]).await;
    let customer = parsed(&[json!({"id": "c", "type": "customer.created",
        "at": "2026-11-02T08:00:00+07:00", "user_id": "lan", "customer_id": "c1"})]);
    store.ingest(&org(), customer).await.unwrap();
    let (fits, passes) = (largest_wins(0, 4_700), largest_wins(4_700, 4_600));
    let batches = [
        Submission {
            events: &fits,
            may_credit: None,
        },
        Submission {
            events: &passes,
            may_credit: None,
        },
    ];
    let mut outcomes = store
        .ingest_group(&org(), &batches, None, None)
        .await
        .into_iter();
    assert_eq!(outcomes.next().unwrap().unwrap().accepted, 9_400);
    match outcomes.next().unwrap() {
        Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "amount"),
        other => panic!("the second batch should be refused whole: {other:?}"),
    }
    assert_eq!(
        day_value(&store, "lan", Metric::Revenue).await,
        4_700_000_000_000_000_000
    );
    assert_eq!(
        day_value(&store, "lan", Metric::OpportunitiesWon).await,
        4_700
    );
    store.close().await;
}

/// A group of two 300-event batches sent twice, on statements built for its row
/// counts (prepared for one use on SQLite, kept on PostgreSQL): every event counted
/// once, then every one a duplicate.
async fn a_group_sent_twice_counts_each_event_once(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = store_with(&db, &["lan", "minh"]).await;
    let calls = |batch: usize| -> Vec<(usize, Event)> {
        let values: Vec<Value> = (0..300)
            .map(|i| {
                let user = if i % 3 == 0 { "minh" } else { "lan" };
                call(&format!("c{batch}-{i}"), user, 10)
            })
            .collect();
        parsed(&values)
    };
    let (first, second) = (calls(1), calls(2));
    let group = || {
        [&first, &second].map(|events| Submission {
            events,
            may_credit: None,
        })
    };
    for outcome in store.ingest_group(&org(), &group(), None, None).await {
        assert_eq!(summary(&outcome.unwrap()), (300, 0, vec![]));
    }
    for outcome in store.ingest_group(&org(), &group(), None, None).await {
        assert_eq!(summary(&outcome.unwrap()), (0, 300, vec![]));
    }
    assert_eq!(day_value(&store, "lan", Metric::Calls).await, 400);
    assert_eq!(day_value(&store, "minh", Metric::TalkSeconds).await, 2_000);
    store.close().await;
}

#[tokio::test]
async fn a_group_sent_twice_counts_each_event_once_on_sqlite() {
    a_group_sent_twice_counts_each_event_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_group_sent_twice_counts_each_event_once_on_postgres() {
    a_group_sent_twice_counts_each_event_once(Backend::Postgres).await;
}

#[tokio::test]
async fn batches_decide_as_if_alone_in_order_on_sqlite() {
    batches_decide_as_if_alone_in_order(Backend::Sqlite).await;
}

#[tokio::test]
async fn batches_decide_as_if_alone_in_order_on_postgres() {
    batches_decide_as_if_alone_in_order(Backend::Postgres).await;
}

#[tokio::test]
async fn a_group_failing_together_is_retried_batch_by_batch_on_sqlite() {
    a_group_failing_together_is_retried_batch_by_batch(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_group_failing_together_is_retried_batch_by_batch_on_postgres() {
    a_group_failing_together_is_retried_batch_by_batch(Backend::Postgres).await;
}
