//! Goals and progress: the views, pro-rating through the API, teams, exports, period
//! close, settings, and who may do what.

use crate::both;
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tally_core::Role;

both!(
    goals_are_created_listed_changed_archived_with_history,
    bad_goals_name_the_field,
    progress_by_goal_pro_rates_grades_ranks_scores_and_compares,
    team_targets_each_member_or_team_total_and_the_disagreement_flag,
    exports_hold_exactly_the_numbers_of_the_json,
    closed_periods_stay_frozen_through_edits_and_flag_later_changes,
    pace_and_the_scoring_settings,
    the_role_matrix_of_goals,
    a_supervisor_reports_on_the_teams_they_supervise,
);

/// `n` answered outbound calls of a minute by `user` at 10:00 on `day`.
pub fn calls(user: &str, day: &str, n: usize, first_id: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({"id": format!("call-{}", first_id + i), "type": "call", "user_id": user,
                   "at": format!("{day}T10:00:00+07:00"), "direction": "outbound",
                   "answered": true, "talk_seconds": 60})
        })
        .collect()
}

async fn post_goal(app: &TestApp, body: Value) -> Value {
    app.post_ok("/api/v1/goals", &body, StatusCode::CREATED)
        .await
}

async fn patch(app: &TestApp, token: &str, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .patch(format!("{}{path}", app.base))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn delete(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.client
        .delete(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

/// The row of a view for a user (or team) and metric.
fn row<'a>(view: &'a Value, subject: (&str, &str), metric: &str) -> &'a Value {
    view["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[subject.0] == subject.1 && r["metric"] == metric)
        .unwrap_or_else(|| panic!("no row {subject:?} {metric} in {view}"))
}

fn score<'a>(view: &'a Value, user: &str) -> &'a Value {
    view["scores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["user_id"] == user)
        .unwrap_or_else(|| panic!("no score for {user} in {view}"))
}

async fn two_people_and_a_team(app: &TestApp) {
    app.user("lan", "Lan").await;
    app.user("minh", "Minh").await;
    app.post_ok(
        "/api/v1/teams",
        &json!({"id": "north", "name": "North"}),
        StatusCode::CREATED,
    )
    .await;
    app.post_ok(
        "/api/v1/teams",
        &json!({"id": "south", "name": "South"}),
        StatusCode::CREATED,
    )
    .await;
    let lan = json!({"user_id": "lan", "from": "2025-11-01"});
    app.post_ok("/api/v1/teams/north/members", &lan, StatusCode::CREATED)
        .await;
    let minh = json!({"user_id": "minh", "from": "2025-11-16"});
    app.post_ok("/api/v1/teams/north/members", &minh, StatusCode::CREATED)
        .await;
}

fn telesales(assignees: Value) -> Value {
    json!({
        "name": "Telesales",
        "criteria": [
            {"metric": "calls", "period": "day", "target": 10, "weight": 60},
            {"metric": "revenue", "period": "month", "target": "3000000", "weight": 40}
        ],
        "assignees": assignees,
        "starts_on": "2025-11-01"
    })
}

async fn goals_are_created_listed_changed_archived_with_history(app: &TestApp) {
    two_people_and_a_team(app).await;
    let goal = post_goal(
        app,
        telesales(json!([{"user_id": "lan"}, {"team_id": "north"}])),
    )
    .await;
    let id = goal["id"].as_str().unwrap();
    assert_eq!(goal["criteria"][1]["target"], "3000000");
    assert_eq!(
        goal["assignees"][1],
        json!({"team_id": "north", "mode": "each_member"})
    );
    assert_eq!(
        (goal["revision"].as_i64(), goal["archived"].as_bool()),
        (Some(1), Some(false))
    );
    assert_eq!(goal["created_by"], "token:test");
    assert_eq!(app.get_ok(&format!("/api/v1/goals/{id}")).await, goal);
    let changed = patch(
        app,
        &app.owner,
        &format!("/api/v1/goals/{id}"),
        &json!({"name": "Telesales Q4", "ends_on": "2025-12-31"}),
    )
    .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let changed: Value = changed.json().await.unwrap();
    assert_eq!(
        (changed["name"].as_str(), changed["ends_on"].as_str()),
        (Some("Telesales Q4"), Some("2025-12-31"))
    );
    assert_eq!(changed["criteria"], goal["criteria"]);
    assert_eq!(
        app.get_ok("/api/v1/goals").await.as_array().unwrap().len(),
        1
    );
    let archived = delete(app, &app.owner, &format!("/api/v1/goals/{id}")).await;
    assert_eq!(archived.status(), StatusCode::OK);
    assert_eq!(app.get_ok("/api/v1/goals").await, json!([]));
    let listed = app.get_ok("/api/v1/goals?archived=true").await;
    assert_eq!(listed[0]["archived"], true);
    let again = patch(
        app,
        &app.owner,
        &format!("/api/v1/goals/{id}"),
        &json!({"name": "x"}),
    )
    .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let history = app.get_ok(&format!("/api/v1/goals/{id}/history")).await;
    let actions: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "updated", "archived"]);
    assert_eq!(history[0]["goal"]["name"], "Telesales");
    assert_eq!(history[1]["goal"]["name"], "Telesales Q4");
    assert!(history[1]["at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(
        app.get_as(&app.owner, "/api/v1/goals/nope").await.status(),
        StatusCode::NOT_FOUND
    );
    let agent = app.token(Role::Agent, Some("lan")).await;
    let probe = app.get_as(&agent, "/api/v1/goals/nope").await;
    assert_eq!(
        probe.status(),
        StatusCode::FORBIDDEN,
        "a limited caller cannot probe goal ids"
    );
    // Weights left out are split evenly and read back summing to exactly 100.
    let even = json!({"name": "Even", "assignees": [{"user_id": "lan"}], "criteria": [
        {"metric": "calls", "period": "day", "target": 10},
        {"metric": "meetings", "period": "week", "target": 2},
        {"metric": "emails_sent", "period": "month", "target": 30}]});
    let even = post_goal(app, even).await;
    let weights: Vec<f64> = even["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["weight"].as_f64().unwrap())
        .collect();
    assert_eq!(weights, [33.3333, 33.3333, 33.3334]);
    assert_eq!(
        app.get_ok("/api/v1/goals").await.as_array().unwrap().len(),
        1
    );
    let path = format!("/api/v1/goals/{}", even["id"].as_str().unwrap());
    assert_eq!(
        patch(app, &app.owner, &path, &json!({"name": "Even 2"}))
            .await
            .status(),
        StatusCode::OK
    );
}

async fn bad_goals_name_the_field(app: &TestApp) {
    two_people_and_a_team(app).await;
    let cases = [
        (
            json!({"criteria": [{"metric": "calls", "period": "day", "target": 10, "weight": 60}]}),
            "criteria",
        ),
        (
            json!({"criteria": [{"metric": "revenue", "period": "day", "target": "1.5"}]}),
            "criteria[0].target",
        ),
        (
            json!({"criteria": [{"metric": "calls", "period": "quarter", "target": 1}]}),
            "criteria[0].period",
        ),
        (
            json!({"assignees": [{"user_id": "ghost"}]}),
            "assignees[0].user_id",
        ),
        (
            json!({"assignees": [{"team_id": "lan"}]}),
            "assignees[0].team_id",
        ),
        (
            json!({"assignees": [{"team_id": "north", "mode": "everyone"}]}),
            "assignees[0].mode",
        ),
        (json!({"ends_on": "2025-10-01"}), "ends_on"),
        (json!({"starts_on": "1990-01-01"}), "starts_on"),
        (json!({"owner": "lan"}), "owner"),
    ];
    for (change, field) in cases {
        let mut body = telesales(json!([{"user_id": "lan"}]));
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let response = app.post_as(&app.owner, "/api/v1/goals", &body).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{change}"
        );
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["field"], field, "{change}: {error}");
    }
    assert_eq!(
        app.get_ok("/api/v1/goals").await,
        json!([]),
        "nothing was stored"
    );
    let bad_range = app
        .get_as(&app.owner, "/api/v1/progress/employees?period=fortnight")
        .await;
    assert_eq!(bad_range.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad_format = app
        .get_as(&app.owner, "/api/v1/progress/teams?format=pdf")
        .await;
    assert_eq!(bad_format.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn progress_by_goal_pro_rates_grades_ranks_scores_and_compares(app: &TestApp) {
    two_people_and_a_team(app).await;
    let goal = post_goal(
        app,
        telesales(json!([{"user_id": "lan"}, {"user_id": "minh"}])),
    )
    .await;
    let id = goal["id"].as_str().unwrap();
    let mut events = calls("lan", "2025-11-10", 6, 0);
    events.extend(calls("lan", "2025-11-09", 2, 100));
    events.extend(calls("minh", "2025-11-10", 10, 200));
    events.push(json!({"id": "c1", "type": "customer.created", "user_id": "lan", "at": "2025-11-10T08:00:00+07:00", "customer_id": "c1"}));
    events.push(json!({"id": "o1", "type": "opportunity.created", "user_id": "lan", "at": "2025-11-10T08:00:00+07:00", "opportunity_id": "o1", "customer_id": "c1", "amount": "1500000"}));
    events.push(json!({"id": "w1", "type": "opportunity.status_changed", "user_id": "lan", "at": "2025-11-10T09:00:00+07:00", "opportunity_id": "o1", "status": "won"}));
    let outcome = app.events(Value::Array(events)).await;
    assert_eq!(outcome["rejected"], json!([]), "{outcome}");

    let day = app
        .get_ok(&format!(
            "/api/v1/goals/{id}/progress?from=2025-11-10&to=2025-11-10&lang=en"
        ))
        .await;
    assert_eq!(
        (day["from"].as_str(), day["previous_from"].as_str()),
        (Some("2025-11-10"), Some("2025-11-09"))
    );
    let lan = row(&day, ("user_id", "lan"), "calls");
    assert_eq!(lan["actual"], 6);
    assert_eq!(lan["target"], 10);
    assert_eq!(lan["completion"], "0.6");
    assert_eq!(
        (lan["grade"].as_str(), lan["rank"].as_i64()),
        (Some("C"), Some(2))
    );
    assert_eq!(
        (lan["previous"].as_i64(), lan["change"].as_i64()),
        (Some(2), Some(4))
    );
    assert_eq!(lan["change_pct"], "2");
    assert_eq!(lan["metric_name"], "Calls");
    assert!(lan.get("pace").is_none(), "no pace for a past range");
    let minh = row(&day, ("user_id", "minh"), "calls");
    assert_eq!(
        (
            minh["completion"].as_str(),
            minh["grade"].as_str(),
            minh["rank"].as_i64()
        ),
        (Some("1"), Some("A"), Some(1))
    );
    assert_eq!(minh["change_pct"], Value::Null, "nothing the day before");
    // A month target of 3,000,000 over 1 day of a 30-day month.
    let revenue = row(&day, ("user_id", "lan"), "revenue");
    assert_eq!(
        (revenue["actual"].as_str(), revenue["target"].as_str()),
        (Some("1500000"), Some("100000"))
    );
    assert_eq!(
        (revenue["completion"].as_str(), revenue["grade"].as_str()),
        (Some("15"), Some("A"))
    );
    // Scores: 60 % × 0.6 + 40 % × min(15, 1.2) = 0.84; 60 % × 1 + 40 % × 0 = 0.6.
    assert_eq!(
        (
            score(&day, "lan")["score"].as_str(),
            score(&day, "lan")["grade"].as_str()
        ),
        (Some("0.84"), Some("B"))
    );
    assert_eq!(
        (
            score(&day, "minh")["score"].as_str(),
            score(&day, "minh")["rank"].as_i64()
        ),
        (Some("0.6"), Some(2))
    );

    let only = app
        .get_ok(&format!(
            "/api/v1/goals/{id}/progress?from=2025-11-10&to=2025-11-10&user_id=minh"
        ))
        .await;
    assert!(
        only["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["user_id"] == "minh")
    );
    assert_eq!(only["rows"].as_array().unwrap().len(), 2);
    assert_eq!(
        row(&only, ("user_id", "minh"), "calls")["rank"],
        1,
        "ranked among all assignees"
    );

    let month = app
        .get_ok(&format!(
            "/api/v1/goals/{id}/progress?from=2025-11-01&to=2025-11-30"
        ))
        .await;
    assert_eq!(row(&month, ("user_id", "lan"), "calls")["target"], 300);
    assert_eq!(row(&month, ("user_id", "lan"), "calls")["actual"], 8);
    assert_eq!(
        row(&month, ("user_id", "lan"), "revenue")["target"],
        "3000000"
    );
    // A week across the month end: 1 day of November (30) and 6 of December (31).
    let week = app
        .get_ok(&format!(
            "/api/v1/goals/{id}/progress?from=2025-11-30&to=2025-12-06"
        ))
        .await;
    assert_eq!(
        row(&week, ("user_id", "lan"), "revenue")["target"],
        "680645"
    );
    assert_eq!(row(&week, ("user_id", "lan"), "calls")["target"], 70);
    // Active for only half the month: the target of the days it was active.
    let path = format!("/api/v1/goals/{id}");
    assert_eq!(
        patch(app, &app.owner, &path, &json!({"ends_on": "2025-11-15"}))
            .await
            .status(),
        StatusCode::OK
    );
    let half = app
        .get_ok(&format!(
            "/api/v1/goals/{id}/progress?from=2025-11-01&to=2025-11-30"
        ))
        .await;
    let lan = row(&half, ("user_id", "lan"), "calls");
    assert_eq!(
        (
            lan["target"].as_i64(),
            lan["days"].as_i64(),
            lan["actual"].as_i64()
        ),
        (Some(150), Some(15), Some(8))
    );
    assert_eq!(
        row(&half, ("user_id", "lan"), "revenue")["target"],
        "1500000"
    );
    // The employees view shows the same rows.
    let employees = app
        .get_ok("/api/v1/progress/employees?from=2025-11-10&to=2025-11-10&user_id=lan")
        .await;
    let same = row(&employees, ("user_id", "lan"), "calls");
    assert_eq!(
        (same["goal_id"].as_str(), same["completion"].as_str()),
        (Some(id), Some("0.6"))
    );
}

async fn team_targets_each_member_or_team_total_and_the_disagreement_flag(app: &TestApp) {
    two_people_and_a_team(app).await;
    let each = json!({"name": "Calls each", "criteria": [{"metric": "calls", "period": "day", "target": 10}],
                      "assignees": [{"team_id": "north", "mode": "each_member"}], "starts_on": "2025-11-01"});
    let each = post_goal(app, each).await;
    let total = json!({"name": "Calls team", "criteria": [{"metric": "calls", "period": "month", "target": 600}],
                       "assignees": [{"team_id": "north", "mode": "team_total"}], "starts_on": "2025-11-01"});
    let total = post_goal(app, total).await;
    let mut events = calls("lan", "2025-11-05", 4, 0);
    events.extend(calls("minh", "2025-11-10", 5, 100)); // before minh joined north
    events.extend(calls("minh", "2025-11-20", 7, 200));
    app.events(Value::Array(events)).await;
    let range = "from=2025-11-01&to=2025-11-30";

    let by_goal = app
        .get_ok(&format!(
            "/api/v1/goals/{}/progress?{range}",
            each["id"].as_str().unwrap()
        ))
        .await;
    let minh = row(&by_goal, ("user_id", "minh"), "calls");
    assert_eq!(
        (
            minh["target"].as_i64(),
            minh["days"].as_i64(),
            minh["actual"].as_i64()
        ),
        (Some(150), Some(15), Some(7))
    );
    assert_eq!(row(&by_goal, ("user_id", "lan"), "calls")["target"], 300);
    let team_goal = app
        .get_ok(&format!(
            "/api/v1/goals/{}/progress?{range}",
            total["id"].as_str().unwrap()
        ))
        .await;
    let north = row(&team_goal, ("team_id", "north"), "calls");
    assert_eq!(
        (north["actual"].as_i64(), north["target"].as_i64()),
        (Some(11), Some(600))
    );

    let teams = app.get_ok(&format!("/api/v1/progress/teams?{range}")).await;
    let north = row(&teams, ("team_id", "north"), "calls");
    assert_eq!(
        (north["actual"].as_i64(), north["target"].as_i64()),
        (Some(11), Some(600))
    );
    assert_eq!(
        (
            north["target_source"].as_str(),
            north["members_target"].as_i64()
        ),
        (Some("team"), Some(450))
    );
    assert_eq!(north["targets_disagree"], true);
    assert!(
        teams["rows"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["team_id"] != "south"),
        "south has no targets"
    );

    let employees = app
        .get_ok(&format!("/api/v1/progress/employees?{range}&team_id=north"))
        .await;
    let goals_of_lan: Vec<&Value> = employees["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["user_id"] == "lan")
        .collect();
    assert_eq!(
        goals_of_lan.len(),
        1,
        "a team total is not a personal target: {employees}"
    );

    assert_eq!(
        delete(
            app,
            &app.owner,
            &format!("/api/v1/goals/{}", total["id"].as_str().unwrap())
        )
        .await
        .status(),
        StatusCode::OK
    );
    let teams = app
        .get_ok(&format!("/api/v1/progress/teams?{range}&team_id=north"))
        .await;
    let north = row(&teams, ("team_id", "north"), "calls");
    assert_eq!(
        (north["target_source"].as_str(), north["target"].as_i64()),
        (Some("members"), Some(450))
    );
    assert_eq!(north["targets_disagree"], false);
    // In south only lan carries targets (hers, and north's each-member one): the team's actual counts only what she did.
    app.user("kim", "Kim").await;
    for user in ["lan", "kim"] {
        let body = json!({"user_id": user, "from": "2025-11-01"});
        app.post_ok("/api/v1/teams/south/members", &body, StatusCode::CREATED)
            .await;
    }
    let lan_only = json!({"name": "Lan", "criteria": [{"metric": "calls", "period": "day", "target": 10}],
                          "assignees": [{"user_id": "lan"}], "starts_on": "2025-11-01"});
    post_goal(app, lan_only).await;
    app.events(Value::Array(calls("kim", "2025-11-06", 9, 500)))
        .await;
    let south = app
        .get_ok(&format!("/api/v1/progress/teams?{range}&team_id=south"))
        .await;
    let south = row(&south, ("team_id", "south"), "calls");
    assert_eq!(
        (south["actual"].as_i64(), south["target"].as_i64()),
        (Some(4), Some(600))
    );
    assert_eq!(south["target_source"], "members");
}

async fn exports_hold_exactly_the_numbers_of_the_json(app: &TestApp) {
    use calamine::{Data, Reader, Xlsx};
    two_people_and_a_team(app).await;
    let goal = post_goal(
        app,
        telesales(json!([{"user_id": "lan"}, {"user_id": "minh"}])),
    )
    .await;
    let id = goal["id"].as_str().unwrap();
    let mut events = calls("lan", "2025-11-10", 3, 0);
    events.extend(calls("lan", "2025-11-12", 4, 50));
    events.extend(calls("minh", "2025-11-11", 7, 100));
    app.events(Value::Array(events)).await;
    let query = format!("/api/v1/goals/{id}/progress?from=2025-11-10&to=2025-11-16&lang=en");
    let view = app.get_ok(&query).await;
    let rows = view["rows"].as_array().unwrap();

    let csv = app.get_as(&app.owner, &format!("{query}&format=csv")).await;
    assert_eq!(csv.status(), StatusCode::OK);
    assert!(
        csv.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let text = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let headers = reader.headers().unwrap().clone();
    let column = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), rows.len());
    for (record, json) in records.iter().zip(rows) {
        assert_eq!(
            &record[column("User ID")],
            json["user_id"].as_str().unwrap()
        );
        assert_eq!(
            &record[column("Metric key")],
            json["metric"].as_str().unwrap()
        );
        for (header, key) in [
            ("Actual", "actual"),
            ("Target", "target"),
            ("Completion", "completion"),
            ("Rank", "rank"),
        ] {
            let expected = match &json[key] {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            assert_eq!(&record[column(header)], expected, "{header}");
        }
    }
    let path = format!("/api/v1/goals/{id}");
    assert_eq!(
        patch(
            app,
            &app.owner,
            &path,
            &json!({"name": "=HYPERLINK(\"http://x\")"})
        )
        .await
        .status(),
        StatusCode::OK
    );
    let named = app
        .get_as(&app.owner, &format!("{query}&format=csv"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        named.contains("'=HYPERLINK"),
        "a name is never a formula: {named}"
    );
    let long = format!("/api/v1/goals/{id}/progress?from=2024-01-01&to=2025-12-31&format=xlsx");
    assert_eq!(
        app.get_as(&app.owner, &long).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let vietnamese = app
        .get_as(
            &app.owner,
            &format!("/api/v1/goals/{id}/progress?from=2025-11-10&to=2025-11-16&format=csv"),
        )
        .await;
    assert!(vietnamese.text().await.unwrap().contains("Thực tế"));

    let xlsx = app
        .get_as(&app.owner, &format!("{query}&format=xlsx"))
        .await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    let bytes = xlsx.bytes().await.unwrap();
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("KPI progress").unwrap();
    let header: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(|c| c.to_string())
        .collect();
    let at = |name: &str| header.iter().position(|h| h == name).unwrap();
    let number = |cell: &Data| match cell {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        other => panic!("not a number: {other:?}"),
    };
    let json_number = |v: &Value| {
        v.as_f64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .unwrap()
    };
    let data: Vec<_> = sheet.rows().skip(1).collect();
    assert_eq!(data.len(), rows.len());
    for (cells, json) in data.iter().zip(rows) {
        assert_eq!(
            cells[at("User ID")].to_string(),
            json["user_id"].as_str().unwrap()
        );
        for (header, key) in [
            ("Actual", "actual"),
            ("Target", "target"),
            ("Completion", "completion"),
            ("Previous period", "previous"),
        ] {
            assert_eq!(
                number(&cells[at(header)]),
                json_number(&json[key]),
                "{header}"
            );
        }
        assert_eq!(
            cells[at("Grade")].to_string(),
            json["grade"].as_str().unwrap()
        );
    }
    let by_day = book.worksheet_range("By day").unwrap();
    let day_rows: Vec<Vec<String>> = by_day
        .rows()
        .skip(1)
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let lan_calls: Vec<(&str, &str)> = day_rows
        .iter()
        .filter(|r| r[0] == "lan" && r[4] == "calls" && r[7] != "0")
        .map(|r| (r[6].as_str(), r[7].as_str()))
        .collect();
    assert_eq!(lan_calls, [("2025-11-10", "3"), ("2025-11-12", "4")]);
}

async fn closed_periods_stay_frozen_through_edits_and_flag_later_changes(app: &TestApp) {
    two_people_and_a_team(app).await;
    let body = json!({"name": "Early November", "criteria": [
            {"metric": "calls", "period": "day", "target": 10, "weight": 50},
            {"metric": "opportunities_won", "period": "month", "target": 1, "weight": 50}],
        "assignees": [{"user_id": "lan"}], "starts_on": "2025-11-01", "ends_on": "2025-11-03"});
    let goal = post_goal(app, body).await;
    let id = goal["id"].as_str().unwrap();
    let mut events = calls("lan", "2025-11-02", 12, 0);
    events.push(json!({"id": "c1", "type": "customer.created", "user_id": "lan", "at": "2025-11-02T08:00:00+07:00", "customer_id": "c1"}));
    events.push(json!({"id": "o1", "type": "opportunity.created", "user_id": "lan", "at": "2025-11-02T08:00:00+07:00", "opportunity_id": "o1", "customer_id": "c1", "amount": "100"}));
    events.push(json!({"id": "w1", "type": "opportunity.status_changed", "user_id": "lan", "at": "2025-11-02T09:00:00+07:00", "opportunity_id": "o1", "status": "won"}));
    app.events(Value::Array(events)).await;

    let results = app.get_ok(&format!("/api/v1/goals/{id}/results")).await;
    let list = results["results"].as_array().unwrap();
    let days: Vec<(&str, &Value, bool)> = list
        .iter()
        .filter(|r| r["metric"] == "calls")
        .map(|r| {
            (
                r["period_from"].as_str().unwrap(),
                &r["actual"],
                r["achieved"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        days,
        [
            ("2025-11-01", &json!(0), false),
            ("2025-11-02", &json!(12), true),
            ("2025-11-03", &json!(0), false)
        ]
    );
    let month: Vec<&Value> = list
        .iter()
        .filter(|r| r["metric"] == "opportunities_won")
        .collect();
    assert_eq!(month.len(), 1);
    assert_eq!(
        (
            month[0]["period_to"].as_str(),
            month[0]["achieved"].as_bool()
        ),
        (Some("2025-11-30"), Some(true))
    );
    // Active 3 days of 30: a month target of 1 is 0.1 for them.
    assert_eq!(month[0]["target"], 0.1);

    let path = format!("/api/v1/goals/{id}");
    let edit = json!({"criteria": [{"metric": "calls", "period": "day", "target": 20, "weight": 50},
                                   {"metric": "opportunities_won", "period": "month", "target": 5, "weight": 50}]});
    assert_eq!(
        patch(app, &app.owner, &path, &edit).await.status(),
        StatusCode::OK
    );
    // The deal is lost after the month closed: the frozen result keeps the win and
    // shows today's value next to it.
    let lost = json!({"id": "l1", "type": "opportunity.status_changed", "user_id": "lan", "at": "2025-11-20T09:00:00+07:00", "opportunity_id": "o1", "status": "lost"});
    app.events(json!([lost])).await;
    let after = app.get_ok(&format!("/api/v1/goals/{id}/results")).await;
    let second = after["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["period_from"] == "2025-11-02" && r["metric"] == "calls")
        .unwrap();
    assert_eq!(
        (
            second["target"].as_i64(),
            second["revision"].as_i64(),
            second["achieved"].as_bool()
        ),
        (Some(10), Some(1), Some(true))
    );
    assert_eq!(second["changed"], false);
    let won = after["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metric"] == "opportunities_won")
        .unwrap();
    assert_eq!(
        (won["actual"].as_i64(), won["current_actual"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(won["changed"], true);
    assert_eq!(won["target"], 0.1);
    let live = app
        .get_ok(&format!(
            "/api/v1/goals/{id}/progress?from=2025-11-02&to=2025-11-02"
        ))
        .await;
    assert_eq!(
        row(&live, ("user_id", "lan"), "calls")["target"],
        20,
        "progress uses the current definition"
    );
    let window = app
        .get_ok(&format!(
            "/api/v1/goals/{id}/results?from=2025-11-02&to=2025-11-02&user_id=lan"
        ))
        .await;
    assert_eq!(window["results"].as_array().unwrap().len(), 1);
}

async fn pace_and_the_scoring_settings(app: &TestApp) {
    two_people_and_a_team(app).await;
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap());
    let today = today.date().to_string();
    let body = json!({"name": "Today", "criteria": [{"metric": "calls", "period": "day", "target": 10}],
                      "assignees": [{"user_id": "lan"}, {"user_id": "minh"}], "starts_on": "2025-01-01"});
    let goal = post_goal(app, body).await;
    let id = goal["id"].as_str().unwrap();
    let now = jiff::Timestamp::now().to_string();
    let events: Vec<Value> = (0..10)
        .map(|i| json!({"id": format!("p{i}"), "type": "call", "user_id": "lan", "at": now, "direction": "inbound", "answered": true, "talk_seconds": 5}))
        .collect();
    app.events(Value::Array(events)).await;
    let view = app.get_ok(&format!("/api/v1/goals/{id}/progress")).await;
    assert_eq!(view["from"], today.as_str());
    let lan = row(&view, ("user_id", "lan"), "calls");
    assert_eq!(lan["pace"]["status"], "on_track");
    assert!(lan["pace"]["expected"].as_f64().unwrap() <= 10.0);
    assert!(lan["pace"]["projected"].as_f64().unwrap() >= 10.0);
    let minh = row(&view, ("user_id", "minh"), "calls");
    assert_eq!(minh["pace"]["projected"], 0);
    assert_eq!(
        (minh["grade"].as_str(), lan["grade"].as_str()),
        (Some("D"), Some("A"))
    );

    let settings = app.get_ok("/api/v1/settings").await;
    assert_eq!(settings["scoring"]["grade_b"], "0.8");
    let agent = app.token(Role::Agent, Some("lan")).await;
    let refused = patch(app, &agent, "/api/v1/settings", &json!({"grade_a": "0.5"})).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let upside_down = patch(
        app,
        &app.owner,
        "/api/v1/settings",
        &json!({"grade_b": "2"}),
    )
    .await;
    assert_eq!(upside_down.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let unknown = patch(
        app,
        &app.owner,
        "/api/v1/settings",
        &json!({"grade_e": "0.1"}),
    )
    .await;
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let lenient = json!({"grade_a": "0.5", "grade_b": "0.2", "grade_c": 0.1});
    assert_eq!(
        patch(app, &app.owner, "/api/v1/settings", &lenient)
            .await
            .status(),
        StatusCode::OK
    );
    let view = app
        .get_ok(&format!(
            "/api/v1/goals/{id}/progress?from=2025-11-10&to=2025-11-10"
        ))
        .await;
    assert_eq!(row(&view, ("user_id", "lan"), "calls")["grade"], "D");
    let half = calls("minh", "2025-11-10", 3, 900);
    app.events(Value::Array(half)).await;
    let view = app
        .get_ok(&format!(
            "/api/v1/goals/{id}/progress?from=2025-11-10&to=2025-11-10"
        ))
        .await;
    assert_eq!(
        row(&view, ("user_id", "minh"), "calls")["grade"],
        "B",
        "0.3 is at least grade_b 0.2"
    );
}

async fn the_role_matrix_of_goals(app: &TestApp) {
    two_people_and_a_team(app).await;
    app.user_as("sue", "Sue", Role::Supervisor).await;
    app.post_ok(
        "/api/v1/teams/north/supervisors",
        &json!({"user_id": "sue"}),
        StatusCode::CREATED,
    )
    .await;
    let south_goal = post_goal(app, telesales(json!([{"team_id": "south"}]))).await;
    let south = south_goal["id"].as_str().unwrap().to_owned();
    let north_body = telesales(json!([{"team_id": "north"}, {"user_id": "minh"}]));
    let admin = app.token(Role::Admin, None).await;
    let supervisor = app.token(Role::Supervisor, Some("sue")).await;
    let integration = app.token(Role::Supervisor, None).await;
    let agent = app.token(Role::Agent, Some("lan")).await;
    let wallboard = app.token(Role::Agent, None).await;
    let c = StatusCode::CREATED;
    let (ok, forbidden) = (StatusCode::OK, StatusCode::FORBIDDEN);
    // (token, create north, read south, change south, progress south, teams view)
    let matrix = [
        ("owner", &app.owner, c, ok, ok, ok),
        ("admin", &admin, c, ok, ok, ok),
        (
            "supervisor of north",
            &supervisor,
            c,
            forbidden,
            forbidden,
            forbidden,
        ),
        (
            "unbound supervisor",
            &integration,
            forbidden,
            ok,
            forbidden,
            ok,
        ),
        ("agent", &agent, forbidden, forbidden, forbidden, forbidden),
        ("wallboard", &wallboard, forbidden, ok, forbidden, ok),
    ];
    for (who, token, create, read, change, progress) in matrix {
        let created = app.post_as(token, "/api/v1/goals", &north_body).await;
        assert_eq!(created.status(), create, "{who} creates");
        assert_eq!(
            app.get_as(token, &format!("/api/v1/goals/{south}"))
                .await
                .status(),
            read,
            "{who} reads"
        );
        assert_eq!(
            app.get_as(token, &format!("/api/v1/goals/{south}/history"))
                .await
                .status(),
            read,
            "{who} history"
        );
        assert_eq!(
            app.get_as(token, &format!("/api/v1/goals/{south}/results"))
                .await
                .status(),
            read,
            "{who} results"
        );
        let rename = patch(
            app,
            token,
            &format!("/api/v1/goals/{south}"),
            &json!({"name": "S"}),
        )
        .await;
        assert_eq!(rename.status(), change, "{who} changes");
        let progress_path = format!("/api/v1/goals/{south}/progress?from=2025-11-01&to=2025-11-30");
        assert_eq!(
            app.get_as(token, &progress_path).await.status(),
            read,
            "{who} progress"
        );
        let export = app
            .get_as(token, &format!("{progress_path}&format=csv"))
            .await;
        assert_eq!(export.status(), read, "{who} export");
        let employees = app.get_as(token, "/api/v1/progress/employees").await;
        assert_eq!(employees.status(), ok, "{who} employees view");
        let south_team = app
            .get_as(token, "/api/v1/progress/teams?team_id=south")
            .await;
        assert_eq!(south_team.status(), progress, "{who} south's team view");
        assert_eq!(
            app.get_as(token, "/api/v1/goals").await.status(),
            ok,
            "{who} lists"
        );
    }
    // The supervisor sets goals only within north, and sees only north's goals.
    let outside = app
        .post_as(
            &supervisor,
            "/api/v1/goals",
            &telesales(json!([{"user_id": "sue"}])),
        )
        .await;
    assert_eq!(outside.status(), forbidden);
    let theirs: Value = app
        .get_as(&supervisor, "/api/v1/goals")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        theirs
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["id"] != south.as_str())
    );
    assert!(!theirs.as_array().unwrap().is_empty());
    let one = theirs[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(
        patch(
            app,
            &supervisor,
            &format!("/api/v1/goals/{one}"),
            &json!({"name": "N"})
        )
        .await
        .status(),
        ok
    );
    assert_eq!(
        delete(app, &agent, &format!("/api/v1/goals/{one}"))
            .await
            .status(),
        forbidden
    );
    assert_eq!(
        delete(app, &supervisor, &format!("/api/v1/goals/{one}"))
            .await
            .status(),
        ok
    );
    // The agent sees the goals that apply to them, and their team's rows only.
    let mine: Value = app
        .get_as(&agent, "/api/v1/goals")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .all(|g| g["id"] != south.as_str())
    );
    let other = app
        .get_as(&agent, "/api/v1/progress/employees?user_id=sue")
        .await;
    assert_eq!(other.status(), forbidden);
    // Only owners and admins change who supervises.
    let grab = app
        .post_as(
            &supervisor,
            "/api/v1/teams/south/supervisors",
            &json!({"user_id": "sue"}),
        )
        .await;
    assert_eq!(grab.status(), forbidden);
    let listed: Value = app.get_ok("/api/v1/teams/north/supervisors").await;
    assert_eq!(listed, json!([{"team_id": "north", "user_id": "sue"}]));
    assert_eq!(
        delete(app, &app.owner, "/api/v1/teams/north/supervisors/sue")
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
}

async fn a_supervisor_reports_on_the_teams_they_supervise(app: &TestApp) {
    two_people_and_a_team(app).await;
    app.user_as("sue", "Sue", Role::Supervisor).await;
    app.user("out", "Outsider").await;
    let supervisor = app.token(Role::Supervisor, Some("sue")).await;
    let range = "from=2025-11-01&to=2025-11-30";
    let before: Value = app
        .get_as(&supervisor, &format!("/api/v1/reports/users?{range}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        crate::helpers::row_ids(&before),
        ["sue"],
        "supervising nothing yet"
    );
    app.post_ok(
        "/api/v1/teams/north/supervisors",
        &json!({"user_id": "sue"}),
        StatusCode::CREATED,
    )
    .await;
    let users: Value = app
        .get_as(&supervisor, &format!("/api/v1/reports/users?{range}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(crate::helpers::row_ids(&users), ["lan", "minh", "sue"]);
    let outsider = app
        .get_as(
            &supervisor,
            &format!("/api/v1/reports/users?{range}&user_id=out"),
        )
        .await;
    assert_eq!(outsider.status(), StatusCode::FORBIDDEN);
    let teams: Value = app
        .get_as(&supervisor, &format!("/api/v1/reports/teams?{range}"))
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = teams["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["team_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["north"]);
    // An integration's supervisor token, bound to nobody, still reads every row.
    let integration = app.token(Role::Supervisor, None).await;
    let all: Value = app
        .get_as(&integration, &format!("/api/v1/reports/users?{range}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(crate::helpers::row_ids(&all), ["lan", "minh", "out", "sue"]);
}
