//! The users and teams reports and the goal views of the application layer with a
//! custom metric: the metrics asked for, in their order, and a custom metric whose
//! history is not counted yet said to be counting (its values partial) until its
//! history is counted; a goal's period with it does not close meanwhile. The history
//! loop is not running here: its steps are taken by hand, so the moment in between is
//! certain.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use std::sync::Arc;
use tally_app::reports::{Report, ReportMetric};
use tally_app::{App, Caller, input::Fields};
use tally_core::views::{Compare, Subject};
use tally_core::{Calendar, Currency, DayRange, Event, Organization};
use tally_store::testing::TestDb;
use tally_store::{Backend, Page, Store};

fn org() -> Organization {
    Organization {
        calendar: Calendar::new("Asia/Ho_Chi_Minh", "monday").unwrap(),
        currency: Currency::from_code("VND"),
    }
}

fn call(i: usize, user: &str, talk_seconds: u32) -> (usize, Event) {
    let value = json!({"id": format!("e{i}"), "type": "call", "user_id": user,
        "at": "2026-11-10T09:00:00+07:00", "direction": "outbound", "answered": true,
        "talk_seconds": talk_seconds});
    (i, Event::parse(&value, &org().currency).unwrap())
}

/// Each row's (id, values) of a report.
fn rows(report: &Report) -> Vec<(String, Vec<i128>)> {
    report
        .rows
        .iter()
        .map(|row| match &row.subject {
            Subject::User(id) | Subject::Team(id) => (id.clone(), row.values.clone()),
        })
        .collect()
}

async fn a_report_says_which_custom_metric_is_still_counting(backend: Backend) {
    let db = TestDb::create(backend).await;
    let store = Arc::new(Store::open(&db.url).await.unwrap());
    tally_store::testing::agents(&store, &["lan", "minh"]).await;
    store.create_team("north", "North").await.unwrap();
    let from = "2026-11-01".parse().unwrap();
    store
        .add_membership("north", "lan", from, None)
        .await
        .unwrap();
    let logged = vec![
        call(0, "lan", 200),
        call(1, "lan", 30),
        call(2, "minh", 150),
    ];
    store.ingest(&org(), logged).await.unwrap();

    let app = App::new(store.clone(), org());
    let owner = Caller::command_line();
    let definition = json!({"key": "long_calls", "name_vi": "Cuộc gọi trên 2 phút",
        "name_en": "Calls over 2 minutes", "of": "events", "events": ["call"],
        "aggregate": "count", "filters": {"talk_seconds_at_least": 120}});
    let Value::Object(fields) = definition else {
        unreachable!()
    };
    app.define_custom_metric(&owner, &Fields(fields))
        .await
        .unwrap();
    let november =
        DayRange::new("2026-11-01".parse().unwrap(), "2026-11-30".parse().unwrap()).unwrap();
    let report = |team: bool| {
        let app = &app;
        let owner = &owner;
        async move {
            let metrics = app
                .report_metrics(Some("long_calls, calls,long_calls"))
                .await
                .unwrap();
            let report = match team {
                false => {
                    app.users_report(owner, november, (None, None), metrics)
                        .await
                }
                true => app.teams_report(owner, november, None, metrics).await,
            };
            report.unwrap()
        }
    };
    // Its history (the three calls logged before it) is not counted yet.
    let partial = report(false).await;
    let keys: Vec<&str> = partial.metrics.iter().map(ReportMetric::key).collect();
    assert_eq!(keys, ["long_calls", "calls"]);
    let counting: Vec<bool> = partial.metrics.iter().map(ReportMetric::counting).collect();
    assert_eq!(counting, [true, false]);
    assert_eq!(
        rows(&partial),
        [("lan".into(), vec![0, 2]), ("minh".into(), vec![0, 1])]
    );

    // A goal of November with it: the view says it is counting, and the month (ended
    // before today) does not close on partial values.
    let Value::Object(goal) = json!({"name": "Long calls", "starts_on": "2026-11-01",
        "ends_on": "2026-11-30", "assignees": [{"user_id": "lan"}],
        "criteria": [{"metric": "long_calls", "period": "month", "target": 2}]})
    else {
        unreachable!()
    };
    let goal = app.create_goal(&owner, &Fields(goal)).await.unwrap();
    let view = app
        .employees_view(&owner, november, Compare::Previous, None, None)
        .await
        .unwrap();
    assert_eq!(view.counting, ["long_calls"]);
    assert_eq!(view.rows[0].actual, 0);
    let page = Page {
        limit: 100,
        offset: 0,
    };
    let results = |range| app.goal_results(&owner, &goal.id, range, None, page);
    assert_eq!(results(november).await.unwrap().total, 0);

    let before = store.versions().await.unwrap().data;
    while let Some(id) = store.custom_history_after(0).await.unwrap() {
        store.count_custom_history(&org(), id, 2).await.unwrap();
    }
    // The last step tells live pages to fetch again.
    assert_eq!(store.versions().await.unwrap().data, before + 1);
    let view = app
        .employees_view(&owner, november, Compare::Previous, None, None)
        .await
        .unwrap();
    assert!(view.counting.is_empty());
    assert_eq!((view.rows[0].actual, view.rows[0].target), (1, 2.into()));
    let closed = results(november).await.unwrap();
    assert_eq!(closed.total, 1);
    assert_eq!(closed.results[0].metric.key(), "long_calls");
    assert_eq!(closed.results[0].actual, 1);

    let counted = report(false).await;
    assert!(counted.metrics.iter().all(|m| !m.counting()));
    assert_eq!(
        rows(&counted),
        [("lan".into(), vec![1, 2]), ("minh".into(), vec![1, 1])]
    );
    // North is Lan alone.
    assert_eq!(rows(&report(true).await), [("north".into(), vec![1, 2])]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counting_on_sqlite() {
    a_report_says_which_custom_metric_is_still_counting(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn counting_on_postgres() {
    a_report_says_which_custom_metric_is_still_counting(Backend::Postgres).await;
}
