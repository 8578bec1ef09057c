//! The call log, on SQLite and on PostgreSQL: it follows the event log (the other
//! side's number normalised), chunk by chunk and never twice, and is filtered and paged
//! newest first; emptied, it is followed again from the first event to the same rows.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use serde_json::json;
use tally_core::{Calendar, Currency, Event, Organization};
use tally_store::testing::TestDb;
use tally_store::{Backend, CallQuery, Store};

fn org() -> Organization {
    Organization {
        calendar: Calendar::new("Asia/Ho_Chi_Minh", "monday").unwrap(),
        currency: Currency::default(),
    }
}

fn all() -> CallQuery {
    CallQuery {
        limit: 100,
        ..CallQuery::default()
    }
}

async fn logged_and_filled(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = Store::open(&db.url).await.unwrap();
    tally_store::testing::agents(&store, &["lan", "minh"]).await;
    let events = [
        json!({"id": "k1", "type": "call", "at": "2026-11-02T09:00:00+07:00", "user_id": "lan",
               "direction": "outbound", "answered": true, "talk_seconds": 185, "phone": "+84 90 123 4567"}),
        json!({"id": "k2", "type": "call", "at": "2026-11-03T23:30:00+07:00", "user_id": "minh",
               "direction": "inbound", "answered": false, "talk_seconds": 0, "channel": "zalo"}),
        json!({"id": "c1", "type": "customer.created", "at": "2026-11-02T08:00:00+07:00",
               "user_id": "lan", "customer_id": "c1"}),
    ];
    let parsed = events
        .iter()
        .enumerate()
        .map(|(i, e)| (i, Event::parse(e, &Currency::default()).unwrap()))
        .collect();
    store.ingest(&org(), parsed).await.unwrap();
    assert_eq!(
        store.call_log(&all()).await.unwrap().1,
        0,
        "not yet followed"
    );
    assert_eq!(store.catch_up_call_log(&org()).await.unwrap(), 2);
    assert_eq!(
        store.catch_up_call_log(&org()).await.unwrap(),
        0,
        "never twice"
    );
    let (calls, total) = store.call_log(&all()).await.unwrap();
    assert_eq!(total, 2);
    assert_eq!(calls[0].event_id, "k2", "newest first");
    assert_eq!(
        (calls[0].channel.as_deref(), calls[1].channel.as_deref()),
        (Some("zalo"), None)
    );
    assert_eq!(
        (calls[1].phone.as_str(), calls[1].talk_seconds),
        ("0901234567", 185)
    );
    assert!(calls[1].answered && !calls[1].inbound);

    // Filters: a person, a direction, a local day (23:30 in Hanoi is still the 3rd).
    let minh = CallQuery {
        users: Some(vec!["minh".into()]),
        ..all()
    };
    assert_eq!(store.call_log(&minh).await.unwrap().1, 1);
    let day = tally_core::Day::from_date(jiff::civil::date(2026, 11, 3)).number();
    let third = CallQuery {
        from_day: Some(day),
        to_day: Some(day),
        inbound: Some(true),
        ..all()
    };
    assert_eq!(store.call_log(&third).await.unwrap().0[0].event_id, "k2");
    let by_number = CallQuery {
        customer: Some(("nobody".into(), vec!["0901234567".into()])),
        ..all()
    };
    assert_eq!(
        store.call_log(&by_number).await.unwrap().0[0].event_id,
        "k1"
    );
    let nobody = CallQuery {
        users: Some(Vec::new()),
        ..all()
    };
    assert_eq!(store.call_log(&nobody).await.unwrap().1, 0);

    // Emptied (as `tally rebuild` does), it is followed again to the same rows.
    let written = store.call_log(&all()).await.unwrap().0;
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    sqlx::query("delete from call_log")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("update meta set value = '0' where name = 'call_log_reached'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(store.call_log(&all()).await.unwrap().1, 0);
    assert_eq!(store.catch_up_call_log(&org()).await.unwrap(), 2);
    assert_eq!(store.call_log(&all()).await.unwrap().0, written);
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_log_on_sqlite() {
    logged_and_filled(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_log_on_postgres() {
    logged_and_filled(Backend::Postgres).await;
}
