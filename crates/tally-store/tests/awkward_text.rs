//! Text that PostgreSQL's array input must read quoted (quotes, backslashes, braces,
//! commas, spaces at either end, the word NULL, the empty string, non-ASCII, a missing
//! value) goes into the event log, the entities and the call log and comes back
//! unchanged, on both backends: on PostgreSQL a batch's rows travel as array
//! literals, its looked-up keys as a JSON array.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use tally_core::{Calendar, Currency, Event, Organization};
use tally_store::testing::TestDb;
use tally_store::{Backend, CallQuery, Store};

const EVENT_ID: &str = r#" q"1\{a,b} NULL é "#;
const CUSTOMER_ID: &str = r#"c"\,{} NULL"#;
const NOTE: &str = r#"NULL"#;

fn org() -> Organization {
    Organization {
        calendar: Calendar::new("Asia/Ho_Chi_Minh", "monday").unwrap(),
        currency: Currency::default(),
    }
}

fn parsed(events: &[Value]) -> Vec<(usize, Event)> {
    let events = events.iter().enumerate();
    events
        .map(|(i, e)| (i, Event::parse(e, &Currency::default()).unwrap()))
        .collect()
}

fn batch() -> Vec<Value> {
    vec![
        json!({"id": "made", "type": "customer.created", "at": "2026-11-02T08:00:00+07:00",
               "user_id": "lan", "customer_id": CUSTOMER_ID}),
        json!({"id": EVENT_ID, "type": "call", "at": "2026-11-02T09:00:00+07:00",
               "user_id": "lan", "direction": "outbound", "answered": true,
               "talk_seconds": 60, "customer_id": CUSTOMER_ID, "channel": NOTE}),
        json!({"id": "plain", "type": "call", "at": "2026-11-02T09:30:00+07:00", "user_id": "lan",
               "direction": "inbound", "answered": false, "talk_seconds": 0}),
    ]
}

async fn comes_back_unchanged(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = Store::open(&db.url).await.unwrap();
    tally_store::testing::agents(&store, &["lan"]).await;
    let first = store.ingest(&org(), parsed(&batch())).await.unwrap();
    assert_eq!((first.accepted, first.rejected.len()), (3, 0), "{first:?}");

    // Sent again: each stored body is read back and found equal, so every event is a
    // duplicate, not a conflict; the customer is found by its id (a later event
    // naming it is accepted, not refused as unknown).
    let again = store.ingest(&org(), parsed(&batch())).await.unwrap();
    assert_eq!(
        (again.duplicates, again.rejected.len()),
        (3, 0),
        "{again:?}"
    );
    let later = json!({"id": "later", "type": "note.added", "at": "2026-11-02T10:00:00+07:00",
                       "user_id": "lan", "customer_id": CUSTOMER_ID});
    let later = store.ingest(&org(), parsed(&[later])).await.unwrap();
    assert_eq!((later.accepted, later.rejected.len()), (1, 0), "{later:?}");

    store.catch_up_call_log(&org()).await.unwrap();
    let all = CallQuery {
        limit: 10,
        ..CallQuery::default()
    };
    let (calls, _) = store.call_log(&all).await.unwrap();
    let call = calls.iter().find(|c| c.event_id == EVENT_ID).unwrap();
    assert_eq!(call.customer_id.as_deref(), Some(CUSTOMER_ID));
    assert_eq!(call.channel.as_deref(), Some(NOTE));
    let plain = calls.iter().find(|c| c.event_id == "plain").unwrap();
    let fields = (
        plain.phone.as_str(),
        plain.customer_id.as_deref(),
        plain.channel.as_deref(),
    );
    assert_eq!(fields, ("", None, None), "an empty text, and nulls");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_text_on_sqlite() {
    comes_back_unchanged(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn awkward_text_on_postgres() {
    comes_back_unchanged(Backend::Postgres).await;
}
