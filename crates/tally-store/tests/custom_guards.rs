//! A custom metric and the goals that name it, on SQLite and on PostgreSQL. Both
//! sides are checked in the write transaction: a metric a goal names is neither
//! removed nor given another unit, and a goal read against a metric that was removed
//! or changed its unit meanwhile is not saved.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use tally_core::Day;
use tally_core::custom::CustomMetric;
use tally_store::testing::TestDb;
use tally_store::{Backend, GoalDefinition, Store, StoreError};

fn metric(key: &str, aggregate: Value) -> CustomMetric {
    let mut definition = json!({"key": key, "name_vi": key, "name_en": key,
        "of": "events", "events": ["call"], "filters": {"talk_seconds_at_least": 120}});
    let fields = definition.as_object_mut().unwrap();
    fields.extend(aggregate.as_object().unwrap().clone());
    CustomMetric::parse(&definition, None).unwrap()
}

fn count(key: &str) -> CustomMetric {
    metric(key, json!({"aggregate": "count"}))
}

fn talk_time(key: &str) -> CustomMetric {
    metric(key, json!({"aggregate": "sum", "field": "talk_seconds"}))
}

/// Saves a goal `id` whose one criterion is `metric`, as read then.
async fn save_goal(store: &Store, id: &str, metric: &CustomMetric) -> Result<(), StoreError> {
    let definition = json!({"criteria": [{"metric": metric.key, "period": "month"}]});
    let goal = GoalDefinition {
        name: id,
        definition: &definition.to_string(),
        starts_on: "2026-11-01".parse::<Day>().unwrap(),
        custom: vec![metric],
    };
    store.create_goal(id, &goal, "owner").await.map(drop)
}

fn conflict(result: Result<impl std::fmt::Debug, StoreError>) -> String {
    match result {
        Err(StoreError::Conflict(message)) => message,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn guards(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = Store::open(&db.url).await.unwrap();

    // A metric a goal names stays, and keeps its unit; its definition may change.
    let long = count("long_calls");
    store.define_custom_metric(&long).await.unwrap();
    save_goal(&store, "g1", &long).await.unwrap();
    let removal = conflict(store.remove_custom_metric("long_calls").await);
    assert!(removal.contains("goal 'g1'"), "{removal}");
    assert!(removal.contains("cannot be removed"), "{removal}");
    let unit = conflict(store.redefine_custom_metric(&talk_time("long_calls")).await);
    assert!(unit.contains("unit cannot change"), "{unit}");
    let longer = metric(
        "long_calls",
        json!({"aggregate": "count", "filters": {"talk_seconds_at_least": 60}}),
    );
    store.redefine_custom_metric(&longer).await.unwrap();
    assert!(store.custom_metric("long_calls").await.is_ok());

    // A goal read against a metric removed before it was saved is refused whole.
    let zalo = count("zalo_calls");
    store.define_custom_metric(&zalo).await.unwrap();
    store.remove_custom_metric("zalo_calls").await.unwrap();
    let removed = conflict(save_goal(&store, "g2", &zalo).await);
    assert!(removed.contains("'zalo_calls' was removed"), "{removed}");
    assert!(store.goal("g2").await.unwrap().is_none(), "nothing saved");

    // The same for a metric that changed its unit: the goal's target was read in
    // the old one.
    let talk = count("talk");
    store.define_custom_metric(&talk).await.unwrap();
    store
        .redefine_custom_metric(&talk_time("talk"))
        .await
        .unwrap();
    let changed = conflict(save_goal(&store, "g3", &talk).await);
    assert!(changed.contains("'talk' changed its unit"), "{changed}");
    assert!(store.goal("g3").await.unwrap().is_none(), "nothing saved");
    save_goal(&store, "g3", &talk_time("talk")).await.unwrap();

    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_guards_on_sqlite() {
    guards(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_guards_on_postgres() {
    guards(Backend::Postgres).await;
}
