//! Sales channels on SQLite and on PostgreSQL: the first list and its changes, events
//! that name a channel the organisation lacks, and the sales by channel of a database
//! from before channels, filled once from the entities' state.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use tally_core::{Calendar, Currency, DayRange, Event, Organization, Role};
use tally_store::testing::TestDb;
use tally_store::{Backend, Channel, NewUser, SalesRow, Store, StoreError};

fn org() -> Organization {
    Organization {
        calendar: Calendar::new("Asia/Ho_Chi_Minh", "monday").unwrap(),
        currency: Currency::default(),
    }
}

fn events(values: Vec<Value>) -> Vec<(usize, Event)> {
    values
        .iter()
        .enumerate()
        .map(|(i, v)| (i, Event::parse(v, &Currency::default()).unwrap()))
        .collect()
}

fn november() -> DayRange {
    DayRange::new("2026-11-01".parse().unwrap(), "2026-11-30".parse().unwrap()).unwrap()
}

fn row(channel: &str, user: &str, figures: [i64; 5]) -> SalesRow {
    SalesRow {
        channel: channel.into(),
        user_id: user.into(),
        figures,
    }
}

async fn channels_and_the_sales_by_channel(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = Store::open(&db.url).await.unwrap();
    let user = NewUser {
        id: "lan".into(),
        name: "Lan".into(),
        email: None,
        role: Role::Agent,
        extension: None,
    };
    store.create_user(&user).await.unwrap();

    let first: Vec<String> = store
        .channels()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(
        first,
        [
            "hotline", "website", "facebook", "zalo", "referral", "walk_in"
        ]
    );
    let tiktok = Channel {
        id: "tiktok".into(),
        name: "TikTok".into(),
        active: true,
        position: 0,
        lines: vec!["19001234".into(), "tiktok-queue".into()],
    };
    store.save_channel(&tiktok).await.unwrap();
    let retired = Channel {
        active: false,
        lines: vec!["19001234".into()],
        ..tiktok.clone()
    };
    store.save_channel(&retired).await.unwrap();
    let listed = store.channels().await.unwrap();
    assert_eq!(listed[0], retired, "first by position, kept when retired");
    assert_eq!(listed.len(), 7);
    // A line is one channel's: another may not take it, and nothing of that save stays.
    let mut zalo = listed.iter().find(|c| c.id == "zalo").unwrap().clone();
    zalo.name = "Zalo OA".into();
    zalo.lines = vec!["zalo-queue".into(), "19001234".into()];
    match store.save_channel(&zalo).await {
        Err(StoreError::Invalid { field, .. }) => assert_eq!(field, "lines"),
        other => panic!("a line of tiktok's taken by zalo: {other:?}"),
    }
    let lines = store.channel_lines().await.unwrap();
    assert_eq!(
        lines,
        [("19001234".to_owned(), "tiktok".to_owned())]
            .into_iter()
            .collect()
    );
    assert_eq!(store.channels().await.unwrap(), listed);

    let at = |day: &str| format!("2026-11-{day}T09:00:00+07:00");
    let outcome = store
        .ingest(
            &org(),
            events(vec![
                json!({"id": "c1", "type": "customer.created", "at": at("02"), "user_id": "lan",
                       "customer_id": "c1", "channel": "zalo"}),
                json!({"id": "o1", "type": "opportunity.created", "at": at("02"), "user_id": "lan",
                       "opportunity_id": "o1", "customer_id": "c1", "amount": "1500000",
                       "channel": "tiktok"}),
                json!({"id": "o2", "type": "opportunity.created", "at": at("03"), "user_id": "lan",
                       "opportunity_id": "o2", "customer_id": "c1", "amount": "1",
                       "channel": "instagram"}),
                json!({"id": "w1", "type": "opportunity.status_changed", "at": at("04"),
                       "user_id": "lan", "opportunity_id": "o1", "status": "won"}),
            ]),
        )
        .await
        .unwrap();
    assert_eq!(outcome.accepted, 3);
    let [rejected] = outcome.rejected.as_slice() else {
        panic!("{outcome:?}");
    };
    assert_eq!(
        (rejected.index, rejected.field.as_str(), rejected.code),
        (2, "channel", "unknown_reference")
    );
    assert!(rejected.message.contains("instagram"), "{rejected:?}");
    let figures = store.sales_figures(november()).await.unwrap();
    // customers new, opportunities new, won, lost, revenue (minor units).
    let expected = vec![
        row("tiktok", "lan", [0, 1, 1, 0, 1_500_000]),
        row("zalo", "lan", [1, 0, 0, 0, 0]),
    ];
    assert_eq!(figures, expected);

    // A database from before channels: the figures are filled once from the entities.
    store.close().await;
    forget_the_sales(&db.url).await;
    let store = Store::open(&db.url).await.unwrap();
    assert!(store.sales_figures(november()).await.unwrap().is_empty());
    assert_eq!(store.fill_sales_once().await.unwrap(), 3, "rows by day");
    assert_eq!(store.sales_figures(november()).await.unwrap(), expected);
    assert_eq!(store.fill_sales_once().await.unwrap(), 0, "once");
    store.close().await;
}

/// Empties the sales by channel as a database from before them has it.
async fn forget_the_sales(url: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    for sql in [
        "delete from sales_rollups",
        "delete from meta where name = 'sales_rollups_filled'",
    ] {
        sqlx::query(sql).execute(&pool).await.unwrap();
    }
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_on_sqlite() {
    channels_and_the_sales_by_channel(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_on_postgres() {
    channels_and_the_sales_by_channel(Backend::Postgres).await;
}
