//! The read model's snapshot, on SQLite and on PostgreSQL: a new instance loads the
//! model from it and reloads only the days written since, reports then agree with the
//! instance that wrote; a snapshot that does not read back, lists an entity id twice
//! or misses parts is ignored.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use tally_core::{Calendar, Currency, DayRange, Event, Metric, Organization, Role, Values};
use tally_store::testing::TestDb;
use tally_store::{Backend, NewUser, Store};

fn org() -> Organization {
    Organization {
        calendar: Calendar::new("Asia/Ho_Chi_Minh", "monday").unwrap(),
        currency: Currency::default(),
    }
}

/// An answered call of Lan to customer `customer` on `day`.
fn call(id: &str, day: &str, customer: &str) -> (usize, Event) {
    let value = json!({"id": id, "type": "call", "at": format!("{day}T09:00:00+07:00"),
        "user_id": "lan", "direction": "outbound", "answered": true, "talk_seconds": 60,
        "customer_id": customer});
    (0, Event::parse(&value, &Currency::default()).unwrap())
}

fn day(day: &str) -> DayRange {
    let day = day.parse().unwrap();
    DayRange::new(day, day).unwrap()
}

async fn values(store: &Store, key: i64, range: DayRange) -> Values {
    let values = store.user_values(range, Some(&[key])).await.unwrap();
    values.get(&key).copied().unwrap_or_default()
}

/// Runs one statement on the database at `url`, beside the stores.
async fn execute<'q>(
    url: &str,
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
) {
    use sqlx::Connection;
    let mut connection = sqlx::AnyConnection::connect(url).await.unwrap();
    query.execute(&mut connection).await.unwrap();
    connection.close().await.unwrap();
}

/// Adds 1,000 calls to Lan's 2 November behind the versions' back: only a model loaded
/// from the tables sees them.
async fn tamper(url: &str, key: i64) {
    let day = i64::from(day("2026-11-02").from.number());
    let sql = "update rollups set calls = calls + 1000 where day = $1 and user_key = $2";
    execute(url, sqlx::query(sql).bind(day).bind(key)).await;
}

async fn a_new_instance_starts_from_the_snapshot(backend: Backend) {
    let db = TestDb::create(backend).await;
    let a = Store::open(&db.url).await.unwrap();
    let lan = NewUser {
        id: "lan".into(),
        name: "Lan".into(),
        email: None,
        role: Role::Agent,
        extension: None,
    };
    let key = a.create_user(&lan).await.unwrap().key;
    let customers = ["c1", "c2", "c3"].map(|c| {
        let value = json!({"id": format!("new-{c}"), "type": "customer.created",
            "at": "2026-11-01T08:00:00+07:00", "user_id": "lan", "customer_id": c});
        (0, Event::parse(&value, &Currency::default()).unwrap())
    });
    a.ingest(&org(), customers.to_vec()).await.unwrap();
    let events = vec![
        call("e1", "2026-11-02", "c1"),
        call("e2", "2026-11-02", "c2"),
        call("e3", "2026-11-03", "c1"),
    ];
    a.ingest(&org(), events).await.unwrap();
    assert_eq!(
        a.save_model_snapshot().await.unwrap(),
        None,
        "not loaded yet"
    );
    a.warm_up().await.unwrap();
    let saved = a.save_model_snapshot().await.unwrap().unwrap();
    assert_eq!(a.model_snapshot_version().await.unwrap(), Some(saved));
    // Written after the snapshot: the 3rd again (a new customer), and the 4th.
    let later = vec![
        call("e4", "2026-11-03", "c3"),
        call("e5", "2026-11-04", "c1"),
    ];
    a.ingest(&org(), later).await.unwrap();
    tamper(&db.url, key).await;

    let b = Store::open(&db.url).await.unwrap();
    let november =
        DayRange::new("2026-11-01".parse().unwrap(), "2026-11-30".parse().unwrap()).unwrap();
    for range in [day("2026-11-03"), day("2026-11-04")] {
        assert_eq!(values(&b, key, range).await, values(&a, key, range).await);
    }
    let third = values(&b, key, day("2026-11-03")).await;
    assert_eq!(third.get(Metric::Calls), 2);
    assert_eq!(third.get(Metric::CustomersInteracted), 2);
    let month = values(&b, key, november).await;
    assert_eq!(month.get(Metric::CustomersInteracted), 3);
    assert_eq!(
        values(&b, key, day("2026-11-02")).await.get(Metric::Calls),
        2,
        "the 2nd, unchanged since the snapshot, comes from it"
    );

    // A snapshot that does not read back is ignored: the model comes from the tables.
    let cut = sqlx::query("update model_snapshot set body = $1 where part like 'u%'");
    execute(&db.url, cut.bind(vec![1u8, 2, 3])).await;
    let c = Store::open(&db.url).await.unwrap();
    assert_eq!(
        values(&c, key, day("2026-11-02")).await.get(Metric::Calls),
        1002
    );
    assert_eq!(
        values(&c, key, november)
            .await
            .get(Metric::CustomersInteracted),
        3
    );

    // Nor is one whose entity ids list an id twice: its numbers would be one off.
    c.warm_up().await.unwrap();
    c.save_model_snapshot().await.unwrap().unwrap();
    tamper(&db.url, key).await;
    let twice: Vec<u8> = ["c1", "c1", "c3"]
        .iter()
        .flat_map(|id| [&(id.len() as u32).to_le_bytes()[..], id.as_bytes()].concat())
        .collect();
    let listed_twice = sqlx::query("update model_snapshot set body = $1 where part = 'e0'");
    execute(&db.url, listed_twice.bind(twice)).await;
    let d = Store::open(&db.url).await.unwrap();
    assert_eq!(
        values(&d, key, day("2026-11-02")).await.get(Metric::Calls),
        2002,
        "loaded from the tables, which were changed after the snapshot"
    );

    // Nor is one that misses parts its entry counts (here every user's).
    d.warm_up().await.unwrap();
    d.save_model_snapshot().await.unwrap().unwrap();
    tamper(&db.url, key).await;
    let users_gone = sqlx::query("delete from model_snapshot where part like 'u%'");
    execute(&db.url, users_gone).await;
    let e = Store::open(&db.url).await.unwrap();
    assert_eq!(
        values(&e, key, day("2026-11-02")).await.get(Metric::Calls),
        3002,
        "loaded from the tables, not as a model without users"
    );
    for store in [a, b, c, d, e] {
        store.close().await;
    }
}

#[tokio::test]
async fn a_new_instance_starts_from_the_snapshot_on_sqlite() {
    a_new_instance_starts_from_the_snapshot(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_new_instance_starts_from_the_snapshot_on_postgres() {
    a_new_instance_starts_from_the_snapshot(Backend::Postgres).await;
}
