//! `GET /api/v1/reports/*` and `/metrics`: exact values, teams, ranges and parameters.

use crate::both;
use crate::helpers::{TestApp, row_ids};
use reqwest::StatusCode;
use serde_json::{Value, json};

both!(
    reassignment_and_won_changes_rewrite_past_reports,
    team_values_count_member_days_and_distinct_customers_once,
    the_report_defaults_to_today_in_the_organizations_time_zone,
    metrics_filter_and_row_order,
    bad_report_parameters_name_the_field,
    the_catalog_lists_the_eighteen_metrics,
    rebuild_finds_the_incremental_rollups_exact,
);

fn event(id: &str, kind: &str, user: &str, at: &str, fields: Value) -> Value {
    let mut e = fields;
    e["id"] = json!(id);
    e["type"] = json!(kind);
    e["user_id"] = json!(user);
    e["at"] = json!(at);
    e
}

async fn reassignment_and_won_changes_rewrite_past_reports(app: &TestApp) {
    app.user("u1", "Lan").await;
    app.user("u2", "Minh").await;
    let day1 = "2026-11-02T09:00:00+07:00";
    app.events(json!([
        event(
            "1",
            "customer.created",
            "u1",
            day1,
            json!({"customer_id": "c1"})
        ),
        event(
            "2",
            "opportunity.created",
            "u1",
            day1,
            json!({"opportunity_id": "o1", "customer_id": "c1", "amount": "150000000"})
        ),
        event(
            "3",
            "opportunity.status_changed",
            "u1",
            "2026-11-03T09:00:00+07:00",
            json!({"opportunity_id": "o1", "status": "won"})
        ),
    ]))
    .await;
    let u1 = app.user_values("u1", "2026-11-01", "2026-11-30").await;
    assert_eq!(
        (
            u1["customers_new"].as_i64(),
            u1["opportunities_won"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(u1["revenue"], "150000000");
    // Reassign the customer and the opportunity to u2, and change the amount while won.
    app.events(json!([
        event(
            "4",
            "customer.updated",
            "u1",
            "2026-11-10T09:00:00+07:00",
            json!({"customer_id": "c1", "owner_id": "u2"})
        ),
        event(
            "5",
            "opportunity.updated",
            "u1",
            "2026-11-10T09:00:00+07:00",
            json!({"opportunity_id": "o1", "owner_id": "u2", "amount": 200000000})
        ),
    ]))
    .await;
    let u1 = app.user_values("u1", "2026-11-02", "2026-11-03").await;
    let u2 = app.user_values("u2", "2026-11-02", "2026-11-03").await;
    assert_eq!(
        (u1["customers_new"].as_i64(), u2["customers_new"].as_i64()),
        (Some(0), Some(1))
    );
    assert_eq!(
        (u1["revenue"].as_str(), u2["revenue"].as_str()),
        (Some("0"), Some("200000000"))
    );
    // The opportunity is lost: it stops counting on the past day's report too.
    app.events(json!([event(
        "6",
        "opportunity.status_changed",
        "u2",
        "2026-11-12T09:00:00+07:00",
        json!({"opportunity_id": "o1", "status": "lost"})
    )]))
    .await;
    let u2 = app.user_values("u2", "2026-11-03", "2026-11-03").await;
    assert_eq!(
        (u2["opportunities_won"].as_i64(), u2["revenue"].as_str()),
        (Some(0), Some("0"))
    );
    // Won again: it counts on the day of the new win.
    app.events(json!([event(
        "7",
        "opportunity.status_changed",
        "u2",
        "2026-11-20T09:00:00+07:00",
        json!({"opportunity_id": "o1", "status": "won"})
    )]))
    .await;
    assert_eq!(
        app.user_values("u2", "2026-11-20", "2026-11-20").await["opportunities_won"],
        1
    );
    assert_eq!(
        app.user_values("u2", "2026-11-01", "2026-11-19").await["opportunities_won"],
        0
    );
    // u1 still did the interactions, whoever owns the records now.
    assert_eq!(
        app.user_values("u1", "2026-11-01", "2026-11-30").await["opportunity_interactions"],
        3
    );
}

async fn team_values_count_member_days_and_distinct_customers_once(app: &TestApp) {
    app.user("u1", "Lan").await;
    app.user("u2", "Minh").await;
    app.post_ok(
        "/api/v1/teams",
        &json!({"id": "t1", "name": "Sales"}),
        StatusCode::CREATED,
    )
    .await;
    app.post_ok(
        "/api/v1/teams/t1/members",
        &json!({"user_id": "u1", "from": "2026-11-01"}),
        StatusCode::CREATED,
    )
    .await;
    app.post_ok(
        "/api/v1/teams/t1/members",
        &json!({"user_id": "u2", "from": "2026-11-03", "to": "2026-11-04"}),
        StatusCode::CREATED,
    )
    .await;
    let mut events = vec![event(
        "c",
        "customer.created",
        "u1",
        "2026-11-01T08:00:00+07:00",
        json!({"customer_id": "k1"}),
    )];
    for (i, day) in ["01", "02", "03", "04", "05"].iter().enumerate() {
        for user in ["u1", "u2"] {
            events.push(event(
                &format!("m{i}{user}"),
                "meeting.held",
                user,
                &format!("2026-11-{day}T10:00:00+07:00"),
                json!({"customer_id": "k1"}),
            ));
        }
    }
    app.events(Value::Array(events)).await;
    let team = app.team_values("t1", "2026-11-01", "2026-11-05").await;
    assert_eq!(
        team["meetings"],
        5 + 2,
        "u2 counts only on 3 and 4 November"
    );
    assert_eq!(
        team["customers_interacted"], 1,
        "one customer, touched by both"
    );
    assert_eq!(team["customers_new"], 1);
    let outside = app.team_values("t1", "2026-11-05", "2026-11-05").await;
    assert_eq!(outside["meetings"], 1);
    // The users report filtered by team lists the members of the range, with their own values.
    let report = app
        .get_ok("/api/v1/reports/users?from=2026-11-05&to=2026-11-05&team_id=t1")
        .await;
    let ids = row_ids(&report);
    assert_eq!(ids, ["u1"]);
}

async fn the_report_defaults_to_today_in_the_organizations_time_zone(app: &TestApp) {
    app.user("u1", "Lan").await;
    let now = jiff::Timestamp::now();
    let today = now
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap())
        .date()
        .to_string();
    app.events(
        json!([{"id": "now", "type": "call", "at": now.to_string(), "user_id": "u1",
        "direction": "inbound", "answered": true, "talk_seconds": 7}]),
    )
    .await;
    let report = app.get_ok("/api/v1/reports/users").await;
    assert_eq!(
        (report["from"].as_str(), report["to"].as_str()),
        (Some(today.as_str()), Some(today.as_str()))
    );
    assert_eq!(report["rows"][0]["values"]["talk_seconds_inbound"], 7);
    let week = app.get_ok("/api/v1/reports/users?period=this_week").await;
    assert_eq!(week["rows"][0]["values"]["calls"], 1);
    let last_month = app.get_ok("/api/v1/reports/users?period=last_month").await;
    assert_eq!(last_month["rows"][0]["values"]["calls"], 0);
}

async fn metrics_filter_and_row_order(app: &TestApp) {
    for (id, name) in [("b", "Bình"), ("a", "An"), ("C", "Chi")] {
        app.user(id, name).await;
    }
    let report = app
        .get_ok("/api/v1/reports/users?from=2026-11-01&to=2026-11-01&metrics=revenue,calls")
        .await;
    let ids = row_ids(&report);
    assert_eq!(ids, ["C", "a", "b"]);
    assert_eq!(
        report["rows"][1]["values"],
        json!({"calls": 0, "revenue": "0"})
    );
}

async fn bad_report_parameters_name_the_field(app: &TestApp) {
    for (query, field, status) in [
        (
            "metrics=calls,nope",
            "metrics",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("from=2026-11-01", "to", StatusCode::UNPROCESSABLE_ENTITY),
        (
            "from=2026-11-05&to=2026-11-01",
            "to",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "from=2026-13-01&to=2026-13-02",
            "from",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "period=fortnight",
            "period",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("user=lan", "user", StatusCode::UNPROCESSABLE_ENTITY),
        ("user_id=ghost", "", StatusCode::NOT_FOUND),
        ("team_id=ghost", "", StatusCode::NOT_FOUND),
    ] {
        let response = app
            .get_as(&app.owner, &format!("/api/v1/reports/users?{query}"))
            .await;
        assert_eq!(response.status(), status, "{query}");
        let body: Value = response.json().await.unwrap();
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.starts_with(field), "{query}: {message}");
    }
}

async fn the_catalog_lists_the_eighteen_metrics(app: &TestApp) {
    let metrics = app.get_ok("/api/v1/metrics").await;
    let metrics = metrics.as_array().unwrap();
    assert_eq!(metrics.len(), 18);
    assert_eq!(
        metrics[0],
        json!({"key": "calls", "names": {"vi": "Số cuộc gọi", "en": "Calls"}, "unit": "count", "kind": "count"})
    );
    let revenue = metrics.iter().find(|m| m["key"] == "revenue").unwrap();
    assert_eq!(
        (revenue["unit"].as_str(), revenue["kind"].as_str()),
        (Some("money"), Some("money"))
    );
    assert_eq!(metrics[6]["kind"], "distinct");
    assert_eq!(metrics[2]["unit"], "seconds");
}

async fn rebuild_finds_the_incremental_rollups_exact(app: &TestApp) {
    app.user("u1", "Lan").await;
    app.user("u2", "Minh").await;
    app.events(json!([
        event(
            "1",
            "customer.created",
            "u1",
            "2026-11-02T09:00:00+07:00",
            json!({"customer_id": "c1"})
        ),
        event(
            "2",
            "customer.updated",
            "u1",
            "2026-11-03T09:00:00+07:00",
            json!({"customer_id": "c1", "owner_id": "u2"})
        ),
        event(
            "3",
            "opportunity.created",
            "u2",
            "2026-11-03T09:00:00+07:00",
            json!({"opportunity_id": "o1", "customer_id": "c1", "amount": 5})
        ),
        event(
            "4",
            "opportunity.status_changed",
            "u2",
            "2026-11-04T09:00:00+07:00",
            json!({"opportunity_id": "o1", "status": "won"})
        ),
        event(
            "5",
            "opportunity.status_changed",
            "u2",
            "2026-11-05T09:00:00+07:00",
            json!({"opportunity_id": "o1", "status": "lost"})
        ),
        event(
            "6",
            "todo.created",
            "u1",
            "2026-11-05T09:00:00+07:00",
            json!({"todo_id": "t1", "assignee_id": "u2"})
        ),
    ]))
    .await;
    let before = app
        .get_ok("/api/v1/reports/users?from=2026-11-01&to=2026-11-30")
        .await;
    let org = tally_server::Settings::default()
        .data
        .organization()
        .unwrap();
    let report = app.store.rebuild(&org, |_| {}).await.unwrap();
    assert_eq!(report.events, 6);
    assert!(report.consistent(), "{report:?}");
    assert_eq!(
        app.get_ok("/api/v1/reports/users?from=2026-11-01&to=2026-11-30")
            .await,
        before
    );
}
