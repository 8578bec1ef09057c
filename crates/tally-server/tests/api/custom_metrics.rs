//! The organisation's own metrics (custom criteria): who may define, change and remove
//! them; a metric of events counting the history logged before it and the events
//! after it, in the users and teams reports, then counted again when redefined; a
//! metric of records following reassignments and won/lost flips. Numbers by hand.

use crate::access::send;
use crate::both;
use crate::helpers::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tally_core::Role;

both!(
    custom_metrics_are_read_by_all_and_changed_by_managers,
    a_custom_metric_of_events_counts_history_and_new_events,
    a_custom_metric_of_records_follows_the_records_now,
);

pub fn long_calls(seconds: u32) -> Value {
    json!({"key": "long_calls", "name_vi": "Cuộc gọi trên 2 phút", "name_en": "Calls over 2 minutes",
           "of": "events", "events": ["call"], "aggregate": "count",
           "filters": {"answered": true, "talk_seconds_at_least": seconds}})
}

async fn custom_metrics_are_read_by_all_and_changed_by_managers(app: &TestApp) {
    app.user("lan", "Lan").await;
    let agent = app.token(Role::Agent, Some("lan")).await;
    let supervisor = app.token(Role::Supervisor, None).await;
    let admin = app.token(Role::Admin, None).await;
    for token in [&agent, &supervisor] {
        let (status, _) = send(app, token, Method::POST, "/api/v1/metrics", long_calls(120)).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, saved) = send(
        app,
        &admin,
        Method::POST,
        "/api/v1/metrics",
        long_calls(120),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    assert_eq!(saved["custom"], true);
    assert_eq!(saved["unit"], "count");
    assert_eq!(saved["credited_to"], "actor");
    assert_eq!(saved["revision"], 1);
    assert_eq!(saved["definition"]["filters"]["talk_seconds_at_least"], 120);
    let (status, again) = send(app, &admin, Method::POST, "/api/v1/metrics", long_calls(60)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{again}");

    // Every role reads the catalog: the 18 built in, then the organisation's.
    let (status, list) = send(app, &agent, Method::GET, "/api/v1/metrics", Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let keys: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["key"].as_str().unwrap())
        .collect();
    assert_eq!((keys.len(), keys[0], keys[18]), (19, "calls", "long_calls"));
    let (status, one) = send(
        app,
        &agent,
        Method::GET,
        "/api/v1/metrics/long_calls",
        Value::Null,
    )
    .await;
    assert_eq!(
        (status, &one["names"]["vi"]),
        (StatusCode::OK, &json!("Cuộc gọi trên 2 phút"))
    );
    let (status, _) = send(
        app,
        &agent,
        Method::GET,
        "/api/v1/metrics/revenue",
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK);

    for (token, method) in [(&agent, Method::PUT), (&supervisor, Method::DELETE)] {
        let (status, _) = send(
            app,
            token,
            method,
            "/api/v1/metrics/long_calls",
            long_calls(60),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, changed) = send(
        app,
        &admin,
        Method::PUT,
        "/api/v1/metrics/long_calls",
        long_calls(60),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["revision"], 2);
    for (method, path, body, field) in [
        (
            Method::POST,
            "/api/v1/metrics",
            json!({"key": "calls", "name_vi": "a", "name_en": "b"}),
            "key",
        ),
        (
            Method::PUT,
            "/api/v1/metrics/long_calls",
            json!({"key": "other"}),
            "key",
        ),
        (Method::PUT, "/api/v1/metrics/calls", long_calls(60), "key"),
        (
            Method::POST,
            "/api/v1/metrics",
            json!({"key": "zalo_meetings", "name_vi": "a", "name_en": "b", "of": "events",
                   "events": ["meeting.held"], "aggregate": "count", "filters": {"channel": ["zalo"]}}),
            "filters.channel",
        ),
        (
            Method::POST,
            "/api/v1/metrics",
            json!({"key": "won_tiktok", "name_vi": "a", "name_en": "b", "of": "opportunities",
                   "aggregate": "count", "filters": {"status": "won", "channel": ["tiktok"]}}),
            "filters.channel",
        ),
    ] {
        let (status, error) = send(app, &admin, method, path, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {error}");
        assert_eq!(error["error"]["field"], field, "{error}");
    }
    // At most 50 of them.
    for n in 1..50 {
        let mut another = long_calls(60);
        another["key"] = json!(format!("calls_{n}"));
        app.post_ok("/api/v1/metrics", &another, StatusCode::CREATED)
            .await;
    }
    let mut one_more = long_calls(60);
    one_more["key"] = json!("calls_50");
    let (status, error) = send(app, &admin, Method::POST, "/api/v1/metrics", one_more).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    let gone = [
        (&admin, Method::DELETE, StatusCode::NO_CONTENT),
        (&agent, Method::GET, StatusCode::NOT_FOUND),
    ];
    for (token, method, expected) in gone {
        let (status, _) = send(
            app,
            token,
            method,
            "/api/v1/metrics/long_calls",
            Value::Null,
        )
        .await;
        assert_eq!(status, expected);
    }
    let (status, error) = send(
        app,
        &agent,
        Method::GET,
        "/api/v1/reports/users?metrics=long_calls",
        Value::Null,
    )
    .await;
    assert_eq!(
        (status, &error["error"]["field"]),
        (StatusCode::UNPROCESSABLE_ENTITY, &json!("metrics"))
    );
}

pub fn call(id: &str, user: &str, day: &str, answered: bool, talk_seconds: u32) -> Value {
    json!({"id": id, "type": "call", "user_id": user, "at": format!("{day}T10:00:00+07:00"),
           "direction": "outbound", "answered": answered, "talk_seconds": talk_seconds})
}

/// Polls the metric until its whole history is counted (the server counts it beside).
pub async fn counted(app: &TestApp, key: &str) {
    for _ in 0..200 {
        let metric = app.get_ok(&format!("/api/v1/metrics/{key}")).await;
        if metric["history_counted"] == 100 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the history of {key} was not counted in 10 s");
}

async fn report(app: &TestApp, path: &str) -> Vec<(String, Value)> {
    let report = app.get_ok(path).await;
    assert!(report.get("counting").is_none(), "{report}");
    report["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let id = r.get("user_id").or(r.get("team_id")).unwrap();
            (id.as_str().unwrap().to_owned(), r["values"].clone())
        })
        .collect()
}

async fn a_custom_metric_of_events_counts_history_and_new_events(app: &TestApp) {
    for (id, name) in [("lan", "Lan"), ("minh", "Minh")] {
        app.user(id, name).await;
    }
    app.post_ok(
        "/api/v1/teams",
        &json!({"id": "north", "name": "North"}),
        StatusCode::CREATED,
    )
    .await;
    // Minh joins North on the 11th: his calls of the 10th are not the team's.
    for (user, from) in [("lan", "2026-11-01"), ("minh", "2026-11-11")] {
        app.post_ok(
            "/api/v1/teams/north/members",
            &json!({"user_id": user, "from": from}),
            StatusCode::CREATED,
        )
        .await;
    }
    // Before the metric: Lan 200 s and 119 s answered, one unanswered; Minh 120 s.
    app.events(json!([
        call("h1", "lan", "2026-11-10", true, 200),
        call("h2", "lan", "2026-11-10", true, 119),
        call("h3", "lan", "2026-11-10", false, 0),
        call("h4", "minh", "2026-11-10", true, 120),
    ]))
    .await;
    app.post_ok("/api/v1/metrics", &long_calls(120), StatusCode::CREATED)
        .await;
    counted(app, "long_calls").await;
    // After it: Lan 150 s, Minh 121 s and 60 s.
    app.events(json!([
        call("n1", "lan", "2026-11-12", true, 150),
        call("n2", "minh", "2026-11-12", true, 121),
        call("n3", "minh", "2026-11-12", true, 60),
    ]))
    .await;
    let users = "/api/v1/reports/users?from=2026-11-01&to=2026-11-30&metrics=long_calls,calls";
    assert_eq!(
        report(app, users).await,
        [
            ("lan".to_owned(), json!({"long_calls": 2, "calls": 4})),
            ("minh".to_owned(), json!({"long_calls": 2, "calls": 3})),
        ]
    );
    let teams = "/api/v1/reports/teams?from=2026-11-01&to=2026-11-30&metrics=long_calls";
    assert_eq!(
        report(app, teams).await,
        [("north".to_owned(), json!({"long_calls": 3}))]
    );

    // Redefined as calls of a minute or more: counted again, history included.
    let owner = app.token(Role::Owner, None).await;
    let (status, changed) = send(
        app,
        &owner,
        Method::PUT,
        "/api/v1/metrics/long_calls",
        long_calls(60),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    counted(app, "long_calls").await;
    assert_eq!(
        report(app, users).await,
        [
            ("lan".to_owned(), json!({"long_calls": 3, "calls": 4})),
            ("minh".to_owned(), json!({"long_calls": 3, "calls": 3})),
        ]
    );
    // Talk time of the answered inbound and outbound calls, a sum in seconds.
    let talk = json!({"key": "talk_answered", "name_vi": "a", "name_en": "b", "of": "events",
                      "events": ["call"], "aggregate": "sum", "field": "talk_seconds",
                      "filters": {"answered": true}});
    app.post_ok("/api/v1/metrics", &talk, StatusCode::CREATED)
        .await;
    counted(app, "talk_answered").await;
    let one_day = "/api/v1/reports/users?from=2026-11-10&to=2026-11-10&metrics=talk_answered";
    assert_eq!(
        report(app, one_day).await,
        [
            ("lan".to_owned(), json!({"talk_answered": 319})),
            ("minh".to_owned(), json!({"talk_answered": 120})),
        ]
    );
}

fn deal(id: &str, user: &str, channel: &str, amount: &str) -> Value {
    json!({"id": format!("{id}-open"), "type": "opportunity.created", "user_id": user,
           "at": "2026-11-05T09:00:00+07:00", "opportunity_id": id, "customer_id": "c1",
           "amount": amount, "owner_id": user, "channel": channel})
}

fn status(id: &str, event: &str, day: &str, status: &str) -> Value {
    json!({"id": event, "type": "opportunity.status_changed", "user_id": "lan",
           "at": format!("{day}T11:00:00+07:00"), "opportunity_id": id, "status": status})
}

async fn a_custom_metric_of_records_follows_the_records_now(app: &TestApp) {
    for (id, name) in [("lan", "Lan"), ("minh", "Minh")] {
        app.user(id, name).await;
    }
    let won_zalo = json!({"key": "won_zalo", "name_vi": "Hợp đồng thắng từ Zalo",
        "name_en": "Won deals from Zalo", "of": "opportunities", "aggregate": "count",
        "filters": {"status": "won", "channel": ["zalo"]}});
    let saved = app
        .post_ok("/api/v1/metrics", &won_zalo, StatusCode::CREATED)
        .await;
    assert_eq!(
        (&saved["credited_to"], &saved["history_counted"]),
        (&json!("owner"), &json!(100))
    );
    let revenue_zalo = json!({"key": "revenue_zalo", "name_vi": "Doanh thu Zalo",
        "name_en": "Zalo revenue", "of": "opportunities", "aggregate": "sum", "field": "amount",
        "filters": {"status": "won", "channel": "zalo"}});
    app.post_ok("/api/v1/metrics", &revenue_zalo, StatusCode::CREATED)
        .await;
    app.events(json!([
        {"id": "c1", "type": "customer.created", "user_id": "lan", "at": "2026-11-04T09:00:00+07:00",
         "customer_id": "c1"},
        deal("o1", "lan", "zalo", "1000000"),
        deal("o2", "lan", "zalo", "2500000"),
        deal("o3", "lan", "hotline", "9000000"),
        status("o1", "o1-won", "2026-11-06", "won"),
        status("o2", "o2-won", "2026-11-06", "won"),
        status("o3", "o3-won", "2026-11-06", "won"),
    ]))
    .await;
    let path = "/api/v1/reports/users?from=2026-11-01&to=2026-11-30&metrics=won_zalo,revenue_zalo";
    assert_eq!(
        report(app, path).await,
        [
            (
                "lan".to_owned(),
                json!({"won_zalo": 2, "revenue_zalo": "3500000"})
            ),
            (
                "minh".to_owned(),
                json!({"won_zalo": 0, "revenue_zalo": "0"})
            ),
        ]
    );
    // o2 goes to Minh, o1 is lost after all: the past moves with them.
    app.events(json!([
        {"id": "o2-minh", "type": "opportunity.updated", "user_id": "lan",
         "at": "2026-11-07T09:00:00+07:00", "opportunity_id": "o2", "owner_id": "minh"},
        status("o1", "o1-lost", "2026-11-08", "lost"),
    ]))
    .await;
    assert_eq!(
        report(app, path).await,
        [
            (
                "lan".to_owned(),
                json!({"won_zalo": 0, "revenue_zalo": "0"})
            ),
            (
                "minh".to_owned(),
                json!({"won_zalo": 1, "revenue_zalo": "2500000"})
            ),
        ]
    );
}
