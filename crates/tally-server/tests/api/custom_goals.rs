//! A custom metric as a goal's criterion: in the goal's progress, the employees and
//! teams views, the export and the KPI page like a built-in metric; frozen results
//! keep the definition they were closed with; a metric a goal names cannot be removed
//! or change its unit. Numbers by hand.

use crate::access::send;
use crate::both;
use crate::custom_metrics::{self, counted, long_calls};
use crate::helpers::TestApp;
use crate::sessions::{get, person, sign_in};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tally_core::Role;

both!(a_custom_metric_is_a_criterion_like_a_built_in_one);

/// An answered outbound call of `talk_seconds` on `day`.
fn call(id: &str, user: &str, day: &str, talk_seconds: u32) -> Value {
    custom_metrics::call(id, user, day, true, talk_seconds)
}

/// (subject, actual) of the rows of `metric` in a view.
fn actuals(view: &Value, metric: &str) -> Vec<(String, Value)> {
    view["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["metric"] == metric)
        .map(|r| {
            let id = r.get("user_id").or(r.get("team_id")).unwrap();
            (id.as_str().unwrap().to_owned(), r["actual"].clone())
        })
        .collect()
}

async fn north_with_lan_and_minh(app: &TestApp) {
    app.user("lan", "Lan").await;
    app.user("minh", "Minh").await;
    let north = json!({"id": "north", "name": "North"});
    app.post_ok("/api/v1/teams", &north, StatusCode::CREATED)
        .await;
    for user in ["lan", "minh"] {
        let member = json!({"user_id": user, "from": "2026-10-01"});
        app.post_ok("/api/v1/teams/north/members", &member, StatusCode::CREATED)
            .await;
    }
}

async fn a_custom_metric_is_a_criterion_like_a_built_in_one(app: &TestApp) {
    north_with_lan_and_minh(app).await;
    // Logged before the metric exists: its history counts in the goal too.
    app.events(json!([
        call("h1", "lan", "2026-11-10", 200),
        call("h2", "lan", "2026-11-10", 90),
    ]))
    .await;
    app.post_ok("/api/v1/metrics", &long_calls(120), StatusCode::CREATED)
        .await;
    counted(app, "long_calls").await;
    let goal = json!({"name": "Long calls", "starts_on": "2026-11-01", "ends_on": "2026-11-30",
        "criteria": [{"metric": "calls", "period": "month", "target": 10, "weight": 50},
                     {"metric": "long_calls", "period": "month", "target": 4, "weight": 50}],
        "assignees": [{"team_id": "north", "mode": "each_member"},
                      {"team_id": "north", "mode": "team_total"}]});
    let goal = app
        .post_ok("/api/v1/goals", &goal, StatusCode::CREATED)
        .await;
    assert_eq!(goal["criteria"][1]["metric"], "long_calls", "{goal}");
    let id = goal["id"].as_str().unwrap();
    // After it: Lan 150 s and 60 s, Minh 130 s.
    app.events(json!([
        call("n1", "lan", "2026-11-12", 150),
        call("n2", "lan", "2026-11-12", 60),
        call("n3", "minh", "2026-11-13", 130),
    ]))
    .await;

    let november = "from=2026-11-01&to=2026-11-30";
    let progress = app
        .get_ok(&format!("/api/v1/goals/{id}/progress?{november}&lang=en"))
        .await;
    assert_eq!(
        actuals(&progress, "long_calls"),
        [
            ("lan".to_owned(), json!(2)),
            ("minh".to_owned(), json!(1)),
            ("north".to_owned(), json!(3)),
        ]
    );
    let lan = progress["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric"] == "long_calls" && r["user_id"] == "lan")
        .unwrap();
    assert_eq!(lan["metric_name"], "Calls over 2 minutes");
    assert_eq!(
        (lan["target"].as_i64(), lan["completion"].as_str()),
        (Some(4), Some("0.5"))
    );
    // Lan: calls 4 of 10 (40 %) and long calls 2 of 4 (50 %), half each.
    let score = progress["scores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["user_id"] == "lan")
        .unwrap();
    assert_eq!(score["score"], "0.45", "{score}");

    let employees = app
        .get_ok(&format!("/api/v1/progress/employees?{november}"))
        .await;
    assert_eq!(
        actuals(&employees, "long_calls"),
        [("lan".to_owned(), json!(2)), ("minh".to_owned(), json!(1))]
    );
    let teams = app
        .get_ok(&format!("/api/v1/progress/teams?{november}"))
        .await;
    assert_eq!(
        actuals(&teams, "long_calls"),
        [("north".to_owned(), json!(3))]
    );
    let csv = app
        .get_as(
            &app.owner,
            &format!("/api/v1/progress/employees?{november}&format=csv&lang=en"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        csv.lines()
            .any(|l| l.starts_with("lan,") && l.contains(",long_calls,Calls over 2 minutes,")),
        "{csv}"
    );

    // The KPI page names it in Vietnamese, with the employees' figures.
    person(app, "boss", "admin").await;
    let session = sign_in(app, "boss").await;
    let page = get(app, &session, &format!("/kpi?view=employee&{november}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Cuộc gọi trên 2 phút"), "{page}");

    // November has ended: its results freeze with the metric as it is now.
    let results = app.get_ok(&format!("/api/v1/goals/{id}/results")).await;
    assert_eq!(frozen(&results, "lan"), (json!(2), json!(2), false));

    // A goal names it: it cannot be removed, nor become a sum of seconds.
    let admin = app.token(Role::Admin, None).await;
    let path = "/api/v1/metrics/long_calls";
    let (status, error) = send(app, &admin, Method::DELETE, path, Value::Null).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");
    assert!(
        error["error"]["message"].as_str().unwrap().contains(id),
        "{error}"
    );
    let mut seconds = long_calls(120);
    seconds["aggregate"] = json!("sum");
    seconds["field"] = json!("talk_seconds");
    let (status, error) = send(app, &admin, Method::PUT, path, seconds).await;
    assert_eq!(status, StatusCode::CONFLICT, "{error}");

    // Redefined as calls of a minute or more: the goal counts it so from now on, and
    // the frozen result keeps what it closed with, flagged as changed since.
    let (status, changed) = send(app, &admin, Method::PUT, path, long_calls(60)).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    counted(app, "long_calls").await;
    let progress = app
        .get_ok(&format!("/api/v1/goals/{id}/progress?{november}"))
        .await;
    assert_eq!(
        actuals(&progress, "long_calls")[0],
        ("lan".to_owned(), json!(4))
    );
    let results = app.get_ok(&format!("/api/v1/goals/{id}/results")).await;
    assert_eq!(frozen(&results, "lan"), (json!(2), json!(4), true));
}

/// A person's frozen long-calls result of November: (actual, current actual, changed).
fn frozen(results: &Value, user: &str) -> (Value, Value, bool) {
    let result = results["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric"] == "long_calls" && r["user_id"] == user)
        .unwrap_or_else(|| panic!("no long_calls result for {user}: {results}"));
    assert_eq!(
        (&result["period_from"], &result["period_to"]),
        (&json!("2026-11-01"), &json!("2026-11-30"))
    );
    (
        result["actual"].clone(),
        result["current_actual"].clone(),
        result["changed"].as_bool().unwrap(),
    )
}
