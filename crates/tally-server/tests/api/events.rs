//! `POST /api/v1/events`: ingest, bad input, duplicates and conflicts.

use crate::both;
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

both!(
    accepted_events_show_in_the_users_report,
    ndjson_is_accepted_like_a_json_array,
    each_bad_event_is_listed_and_the_good_ones_are_kept,
    a_body_that_is_not_json_stores_nothing,
    more_than_ten_thousand_events_is_too_large_and_stores_nothing,
    a_resent_event_is_a_duplicate_whatever_its_formatting,
    the_same_id_with_different_content_is_a_conflict_naming_the_id,
    events_naming_unknown_entities_or_users_are_rejected,
    a_late_event_is_applied_to_the_day_of_its_at_at_once,
    revenue_past_64_bits_is_refused_for_a_day_and_exact_for_a_team,
);

fn call(id: &str, user: &str, at: &str, answered: bool, talk: u32) -> Value {
    json!({"id": id, "type": "call", "at": at, "user_id": user, "direction": "outbound",
           "answered": answered, "talk_seconds": talk})
}

async fn accepted_events_show_in_the_users_report(app: &TestApp) {
    app.user("u1", "Lan").await;
    app.user("u2", "Minh").await;
    let result = app
        .events(json!([
            call("e1", "u1", "2026-11-02T09:00:00+07:00", true, 120),
            call("e2", "u1", "2026-11-02T10:00:00+07:00", false, 0),
            call("e3", "u2", "2026-11-03T10:00:00+07:00", true, 45),
        ]))
        .await;
    assert_eq!(
        result,
        json!({"accepted": 3, "duplicates": 0, "rejected": []})
    );
    let report = app
        .get_ok("/api/v1/reports/users?from=2026-11-01&to=2026-11-30")
        .await;
    assert_eq!(report["from"], "2026-11-01");
    assert_eq!(report["to"], "2026-11-30");
    assert_eq!(report["timezone"], "Asia/Ho_Chi_Minh");
    let rows = report["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["user_id"], "u1");
    assert_eq!(rows[0]["name"], "Lan");
    assert_eq!(rows[0]["values"]["calls"], 2);
    assert_eq!(rows[0]["values"]["calls_connected"], 1);
    assert_eq!(rows[0]["values"]["talk_seconds"], 120);
    assert_eq!(rows[0]["values"]["revenue"], "0");
    assert_eq!(rows[0]["values"].as_object().unwrap().len(), 18);
    assert_eq!(rows[1]["values"]["talk_seconds_outbound"], 45);
}

async fn ndjson_is_accepted_like_a_json_array(app: &TestApp) {
    app.user("u1", "Lan").await;
    let lines = [
        call("n1", "u1", "2026-11-02T09:00:00+07:00", true, 10).to_string(),
        String::new(),
        call("n2", "u1", "2026-11-02T09:05:00+07:00", true, 20).to_string(),
        "{not json".to_owned(),
    ];
    let response = app
        .client
        .post(format!("{}/api/v1/events", app.base))
        .bearer_auth(&app.owner)
        .header("content-type", "application/x-ndjson")
        .body(lines.join("\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let result: Value = response.json().await.unwrap();
    assert_eq!(result["accepted"], 2);
    assert_eq!(
        result["rejected"][0]["index"], 2,
        "blank lines are not events"
    );
    assert_eq!(
        app.user_values("u1", "2026-11-02", "2026-11-02").await["talk_seconds"],
        30
    );
}

async fn each_bad_event_is_listed_and_the_good_ones_are_kept(app: &TestApp) {
    app.user("u1", "Lan").await;
    let result = app
        .events(json!([
            call("ok1", "u1", "2026-11-02T09:00:00+07:00", true, 60),
            call("bad1", "u1", "2026-11-02T09:00:00+07:00", false, 60),
            {"id": "bad2", "type": "fax", "at": "2026-11-02T09:00:00+07:00", "user_id": "u1"},
            {"type": "call"},
            call("bad4", "u1", "2026-11-02 09:00:00", true, 1),
            call("ok2", "u1", "2026-11-02T09:30:00+07:00", true, 40),
        ]))
        .await;
    assert_eq!(result["accepted"], 2);
    let rejected = result["rejected"].as_array().unwrap();
    let summary: Vec<(u64, Value, &str)> = rejected
        .iter()
        .map(|r| {
            (
                r["index"].as_u64().unwrap(),
                r["id"].clone(),
                r["field"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, json!("bad1"), "talk_seconds"),
            (2, json!("bad2"), "type"),
            (3, Value::Null, "id"),
            (4, json!("bad4"), "at")
        ]
    );
    assert_eq!(
        rejected[0]["error"],
        "talk_seconds: must be 0 when answered is false"
    );
    assert_eq!(
        app.user_values("u1", "2026-11-02", "2026-11-02").await["talk_seconds"],
        100
    );
}

async fn a_body_that_is_not_json_stores_nothing(app: &TestApp) {
    app.user("u1", "Lan").await;
    for (content_type, body) in [
        ("application/json", "hello"),
        ("application/x-ndjson", "hello\nworld"),
        ("application/json", "42"),
    ] {
        let response = app
            .client
            .post(format!("{}/api/v1/events", app.base))
            .bearer_auth(&app.owner)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], "malformed");
        assert!(error["error"]["message"].as_str().unwrap().len() > 10);
    }
    let truncated = format!(
        "[{}",
        call("t1", "u1", "2026-11-02T09:00:00+07:00", true, 5)
    );
    let response = app
        .client
        .post(format!("{}/api/v1/events", app.base))
        .bearer_auth(&app.owner)
        .body(truncated)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.user_values("u1", "2026-11-02", "2026-11-02").await["calls"],
        0
    );
}

async fn more_than_ten_thousand_events_is_too_large_and_stores_nothing(app: &TestApp) {
    app.user("u1", "Lan").await;
    let events: Vec<Value> = (0..10_001)
        .map(|i| {
            call(
                &format!("big{i}"),
                "u1",
                "2026-11-02T09:00:00+07:00",
                true,
                1,
            )
        })
        .collect();
    let response = app
        .post_as(&app.owner, "/api/v1/events", &Value::Array(events))
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"]["code"], "too_large");
    assert_eq!(
        app.user_values("u1", "2026-11-02", "2026-11-02").await["calls"],
        0
    );
    let events: Vec<Value> = (0..10_000)
        .map(|i| {
            call(
                &format!("max{i}"),
                "u1",
                "2026-11-02T09:00:00+07:00",
                true,
                1,
            )
        })
        .collect();
    assert_eq!(app.events(Value::Array(events)).await["accepted"], 10_000);
}

async fn a_resent_event_is_a_duplicate_whatever_its_formatting(app: &TestApp) {
    app.user("u1", "Lan").await;
    let first = json!([{"id": "d1", "type": "call", "at": "2026-11-02T09:00:00+07:00", "user_id": "u1",
        "direction": "inbound", "answered": true, "talk_seconds": 30}]);
    assert_eq!(app.events(first).await["accepted"], 1);
    // Same event: other key order, the same instant in UTC, sent twice in one batch.
    let again = json!([
        {"talk_seconds": 30, "answered": true, "direction": "inbound", "user_id": "u1",
         "at": "2026-11-02T02:00:00Z", "type": "call", "id": "d1"},
        {"id": "d1", "type": "call", "at": "2026-11-02T02:00:00.000Z", "user_id": "u1",
         "direction": "inbound", "answered": true, "talk_seconds": 30},
    ]);
    assert_eq!(
        app.events(again).await,
        json!({"accepted": 0, "duplicates": 2, "rejected": []})
    );
    assert_eq!(
        app.user_values("u1", "2026-11-02", "2026-11-02").await["calls"],
        1
    );
}

async fn the_same_id_with_different_content_is_a_conflict_naming_the_id(app: &TestApp) {
    app.user("u1", "Lan").await;
    app.events(json!([call(
        "c1",
        "u1",
        "2026-11-02T09:00:00+07:00",
        true,
        30
    )]))
    .await;
    let result = app
        .events(json!([
            call("c2", "u1", "2026-11-02T09:00:00+07:00", true, 5),
            call("c1", "u1", "2026-11-02T09:00:00+07:00", true, 31)
        ]))
        .await;
    assert_eq!(result["accepted"], 1);
    let conflict = &result["rejected"][0];
    assert_eq!(conflict["index"], 1);
    assert_eq!(conflict["id"], "c1");
    assert_eq!(conflict["code"], "conflict");
    assert!(conflict["error"].as_str().unwrap().contains("'c1'"));
    assert_eq!(
        app.user_values("u1", "2026-11-02", "2026-11-02").await["talk_seconds"],
        35
    );
}

async fn events_naming_unknown_entities_or_users_are_rejected(app: &TestApp) {
    app.user("u1", "Lan").await;
    let result = app
        .events(json!([
            {"id": "x1", "type": "note.added", "at": "2026-11-02T09:00:00+07:00", "user_id": "u1", "customer_id": "nobody"},
            {"id": "x2", "type": "call", "at": "2026-11-02T09:00:00+07:00", "user_id": "ghost",
             "direction": "outbound", "answered": false, "talk_seconds": 0},
            {"id": "x3", "type": "customer.created", "at": "2026-11-02T09:00:00+07:00", "user_id": "u1",
             "customer_id": "k1", "owner_id": "ghost"},
            {"id": "x4", "type": "call", "at": "2026-11-02T09:00:00+07:00", "user_id": "u1",
             "direction": "outbound", "answered": false, "talk_seconds": 0, "customer_id": "nobody"},
        ]))
        .await;
    assert_eq!(result["accepted"], 1, "a call may name an unknown customer");
    let fields: Vec<&str> = result["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["customer_id", "user_id", "owner_id"]);
    let values = app.user_values("u1", "2026-11-02", "2026-11-02").await;
    assert_eq!(
        (values["calls"].as_i64(), values["customers_new"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(values["customer_interactions"], 0);
}

async fn a_late_event_is_applied_to_the_day_of_its_at_at_once(app: &TestApp) {
    app.user("u1", "Lan").await;
    app.events(json!([call(
        "today",
        "u1",
        "2026-11-05T09:00:00+07:00",
        true,
        10
    )]))
    .await;
    // Talk time of a call three days ago arrives now; 23:30 UTC is the next local day.
    app.events(json!([call(
        "late",
        "u1",
        "2026-11-01T23:30:00Z",
        true,
        600
    )]))
    .await;
    assert_eq!(
        app.user_values("u1", "2026-11-02", "2026-11-02").await["talk_seconds"],
        600
    );
    assert_eq!(
        app.user_values("u1", "2026-11-01", "2026-11-01").await["talk_seconds"],
        0
    );
    assert_eq!(
        app.user_values("u1", "2026-11-01", "2026-11-05").await["talk_seconds"],
        610
    );
}

/// `deals` won deals of the largest amount for `user` on 2 November, in one batch.
fn largest_wins(user: &str, first: usize, deals: usize) -> Value {
    let at = "2026-11-02T09:00:00+07:00";
    let events: Vec<Value> = (first..first + deals)
        .flat_map(|n| {
            [
                json!({"id": format!("{user}-o{n}"), "type": "opportunity.created", "at": at,
                       "user_id": user, "opportunity_id": format!("{user}-o{n}"),
                       "customer_id": "c1", "amount": "1000000000000000"}),
                json!({"id": format!("{user}-w{n}"), "type": "opportunity.status_changed",
                       "at": at, "user_id": user, "opportunity_id": format!("{user}-o{n}"),
                       "status": "won"}),
            ]
        })
        .collect();
    Value::Array(events)
}

/// A person's day is kept in 64 bits: a batch that would pass it is refused whole,
/// naming the field, on both backends alike (SQLite would otherwise turn the total
/// into a float). A team adds its members' days beyond 64 bits, exactly.
async fn revenue_past_64_bits_is_refused_for_a_day_and_exact_for_a_team(app: &TestApp) {
    for user in ["u1", "u2"] {
        app.user(user, user).await;
    }
    app.post_ok(
        "/api/v1/teams",
        &json!({"id": "t1", "name": "T"}),
        StatusCode::CREATED,
    )
    .await;
    for user in ["u1", "u2"] {
        let member = json!({"user_id": user, "from": "2026-01-01"});
        app.post_ok("/api/v1/teams/t1/members", &member, StatusCode::CREATED)
            .await;
    }
    let customer = json!([{"id": "c", "type": "customer.created", "at": "2026-11-02T08:00:00+07:00",
        "user_id": "u1", "customer_id": "c1"}]);
    assert_eq!(app.events(customer).await["accepted"], 1);
    for user in ["u1", "u2"] {
        let result = app.events(largest_wins(user, 0, 4_700)).await;
        assert_eq!(result["accepted"], 9_400, "{}", result["rejected"][0]);
    }
    let response = app
        .client
        .post(format!("{}/api/v1/events", app.base))
        .bearer_auth(&app.owner)
        .json(&largest_wins("u1", 4_700, 4_600))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused: Value = response.json().await.unwrap();
    assert_eq!(refused["error"]["field"], "amount", "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .contains("this batch would make"),
        "{refused}"
    );
    let day = "2026-11-02";
    assert_eq!(
        app.user_values("u1", day, day).await["revenue"],
        "4700000000000000000"
    );
    assert_eq!(
        app.user_values("u1", day, day).await["opportunities_won"],
        4_700
    );
    assert_eq!(
        app.team_values("t1", day, day).await["revenue"],
        "9400000000000000000"
    );
}
