//! Who may do what: tokens, roles, and what an agent sees.

use crate::both;
use crate::helpers::{TestApp, row_ids};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tally_core::Role;

both!(
    missing_or_unknown_tokens_are_unauthorized,
    the_role_matrix_of_writes,
    the_role_matrix_of_tokens_bound_to_people,
    an_agent_sees_only_their_teams_rows
);

async fn missing_or_unknown_tokens_are_unauthorized(app: &TestApp) {
    for path in [
        "/api/v1/reports/users",
        "/api/v1/metrics",
        "/api/v1/users",
        "/api/v1/teams",
    ] {
        let response = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
        assert_eq!(
            app.get_as("tally_not-a-token", path).await.status(),
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    // The scheme is case-insensitive; the secret is not.
    let lower = app.client.get(format!("{}/api/v1/metrics", app.base));
    let lower = lower.header("authorization", format!("bearer {}", app.owner));
    assert_eq!(lower.send().await.unwrap().status(), StatusCode::OK);
    let upper = app
        .get_as(&app.owner.to_uppercase(), "/api/v1/metrics")
        .await;
    assert_eq!(upper.status(), StatusCode::UNAUTHORIZED);
    let response = app
        .client
        .post(format!("{}/api/v1/events", app.base))
        .json(&json!([]))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}

async fn the_role_matrix_of_writes(app: &TestApp) {
    app.user("u1", "Lan").await;
    app.post_ok(
        "/api/v1/teams",
        &json!({"id": "t0", "name": "Zero"}),
        StatusCode::CREATED,
    )
    .await;
    let event = json!([{"id": "r1", "type": "call", "at": "2026-11-02T09:00:00+07:00", "user_id": "u1",
        "direction": "outbound", "answered": false, "talk_seconds": 0}]);
    let allowed = |roles: &[Role], role: Role| {
        if roles.contains(&role) {
            "allowed"
        } else {
            "forbidden"
        }
    };
    for role in [Role::Owner, Role::Admin, Role::Supervisor, Role::Agent] {
        let token = app.token(role, None).await;
        let n = role.as_str();
        let cases = [
            (
                "/api/v1/users",
                json!({"id": format!("new-{n}"), "name": "X", "role": "agent"}),
                allowed(&[Role::Owner, Role::Admin], role),
            ),
            (
                "/api/v1/users",
                json!({"id": format!("own-{n}"), "name": "X", "role": "owner"}),
                allowed(&[Role::Owner], role),
            ),
            (
                "/api/v1/teams",
                json!({"id": format!("t-{n}"), "name": "X"}),
                allowed(&[Role::Owner, Role::Admin], role),
            ),
            (
                "/api/v1/teams/t0/members",
                json!({"user_id": "u1", "from": format!("2026-0{}-01", role as u8 + 1), "to": format!("2026-0{}-02", role as u8 + 1)}),
                allowed(&[Role::Owner, Role::Admin], role),
            ),
            (
                "/api/v1/events",
                event.clone(),
                allowed(&[Role::Owner, Role::Admin, Role::Supervisor], role),
            ),
        ];
        for (path, body, expected) in cases {
            let response = app.post_as(&token, path, &body).await;
            let status = response.status();
            let got = if status == StatusCode::FORBIDDEN {
                "forbidden"
            } else {
                "allowed"
            };
            assert_eq!(got, expected, "{n} POST {path} {body}: {status}");
            if got == "forbidden" {
                let error: Value = response.json().await.unwrap();
                assert_eq!(error["error"]["code"], "forbidden");
            } else {
                assert!(status.is_success(), "{n} POST {path}: {status}");
            }
        }
        for path in ["/api/v1/metrics", "/api/v1/teams"] {
            assert_eq!(
                app.get_as(&token, path).await.status(),
                StatusCode::OK,
                "{n} GET {path}"
            );
        }
    }
}

async fn an_agent_sees_only_their_teams_rows(app: &TestApp) {
    for (id, name) in [("u1", "Lan"), ("u2", "Minh"), ("u3", "Hùng")] {
        app.user(id, name).await;
    }
    for team in ["t1", "t2"] {
        app.post_ok(
            "/api/v1/teams",
            &json!({"id": team, "name": team}),
            StatusCode::CREATED,
        )
        .await;
    }
    for (team, user) in [("t1", "u1"), ("t1", "u2"), ("t2", "u3")] {
        app.post_ok(
            &format!("/api/v1/teams/{team}/members"),
            &json!({"user_id": user, "from": "2026-01-01"}),
            StatusCode::CREATED,
        )
        .await;
    }
    let agent = app.token(Role::Agent, Some("u1")).await;
    let report: Value = app
        .get_as(
            &agent,
            "/api/v1/reports/users?from=2026-11-01&to=2026-11-30",
        )
        .await
        .json()
        .await
        .unwrap();
    let ids = row_ids(&report);
    assert_eq!(
        ids,
        ["u1", "u2"],
        "the agent's leaderboard: their team only"
    );
    let teams: Value = app
        .get_as(
            &agent,
            "/api/v1/reports/teams?from=2026-11-01&to=2026-11-30",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(teams["rows"].as_array().unwrap().len(), 1);
    assert_eq!(teams["rows"][0]["team_id"], "t1");
    assert_eq!(
        app.get_as(&agent, "/api/v1/users/u3").await.status(),
        StatusCode::FORBIDDEN
    );
    let other = app.get_as(&agent, "/api/v1/reports/users?user_id=u3").await;
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    let ghost = app
        .get_as(&agent, "/api/v1/reports/users?user_id=ghost")
        .await;
    assert_eq!(
        ghost.status(),
        StatusCode::FORBIDDEN,
        "no 404: user ids are not revealed"
    );
    let teams: Value = app
        .get_as(&agent, "/api/v1/teams")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(teams, json!([{"id": "t1", "name": "t1"}]));
    assert_eq!(
        app.get_as(&agent, "/api/v1/teams/t2").await.status(),
        StatusCode::FORBIDDEN
    );
    let members = app.get_as(&agent, "/api/v1/teams/t2/members").await;
    assert_eq!(members.status(), StatusCode::FORBIDDEN);
    let own = app.get_as(&agent, "/api/v1/teams/t1/members").await;
    assert_eq!(own.status(), StatusCode::OK);
    // An agent token bound to nobody is a read-only viewer (a wallboard): every row.
    let wallboard = app.token(Role::Agent, None).await;
    let all: Value = app
        .get_as(
            &wallboard,
            "/api/v1/reports/users?from=2026-11-01&to=2026-11-30",
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["rows"].as_array().unwrap().len(), 3);
    let write = app
        .post_as(&wallboard, "/api/v1/teams", &json!({"name": "X"}))
        .await;
    assert_eq!(write.status(), StatusCode::FORBIDDEN);
}

/// Every role with a token bound to a person of that role: what each may write (events,
/// CRM records for themself, their team's member, an outsider; goals, people,
/// settings) and read (report rows, server metrics); then, once each is deactivated,
/// nothing at all.
async fn the_role_matrix_of_tokens_bound_to_people(app: &TestApp) {
    for (id, role) in [
        ("o", Role::Owner),
        ("a", Role::Admin),
        ("s", Role::Supervisor),
        ("g", Role::Agent),
        ("m", Role::Agent),
        ("x", Role::Agent),
    ] {
        app.user_as(id, id, role).await;
    }
    for (team, members) in [("t1", ["g", "m"]), ("t2", ["x", "x"])] {
        app.post_ok(
            "/api/v1/teams",
            &json!({"id": team, "name": team}),
            StatusCode::CREATED,
        )
        .await;
        for user in members.iter().collect::<std::collections::BTreeSet<_>>() {
            let member = json!({"user_id": user, "from": "2020-01-01"});
            app.post_ok(
                &format!("/api/v1/teams/{team}/members"),
                &member,
                StatusCode::CREATED,
            )
            .await;
        }
    }
    app.post_ok(
        "/api/v1/teams/t1/supervisors",
        &json!({"user_id": "s"}),
        StatusCode::CREATED,
    )
    .await;
    let roles = [
        ("o", Role::Owner),
        ("a", Role::Admin),
        ("s", Role::Supervisor),
        ("g", Role::Agent),
    ];
    let call = |id: String, user: &str| {
        json!([{"id": id, "type": "call", "at": "2026-11-02T09:00:00+07:00", "user_id": user,
            "direction": "outbound", "answered": false, "talk_seconds": 0}])
    };
    // Each case lists whether it is allowed for owner, admin, supervisor and agent.
    let mut tokens = Vec::new();
    for (n, (who, role)) in roles.iter().enumerate() {
        let token = app.token(*role, Some(who)).await;
        let expect = |allowed: [bool; 4]| allowed[n];
        let status = |s: StatusCode| s.is_success();
        let events = |user: &str| call(format!("{who}-{user}"), user);
        for (user, allowed) in [
            (*who, [true, true, true, false]),
            ("m", [true, true, true, false]),
            ("x", [true, true, false, false]),
        ] {
            let response = app.post_as(&token, "/api/v1/events", &events(user)).await;
            let code = response.status();
            let accepted = response.json::<Value>().await.unwrap()["accepted"] == 1;
            assert_eq!(
                status(code) && accepted,
                expect(allowed),
                "{who} sends an event for {user}: {code}"
            );
        }
        for (owner, allowed) in [
            (*who, [true, true, true, true]),
            ("m", [true, true, true, false]),
            ("x", [true, true, false, false]),
        ] {
            let body = json!({"name": format!("{who} for {owner}"), "owner_id": owner});
            let code = app
                .post_as(&token, "/api/v1/customers", &body)
                .await
                .status();
            assert_eq!(
                status(code),
                expect(allowed),
                "{who} creates a customer for {owner}: {code}"
            );
        }
        let goal = json!({"name": format!("goal of {who}"), "starts_on": "2026-11-01",
            "criteria": [{"metric": "calls", "period": "day", "target": 5}], "assignees": [{"team_id": "t1"}]});
        let writes = [
            ("/api/v1/goals", goal, [true, true, true, false]),
            (
                "/api/v1/users",
                json!({"name": "New", "role": "agent"}),
                [true, true, false, false],
            ),
            (
                "/api/v1/teams",
                json!({"name": "New"}),
                [true, true, false, false],
            ),
            (
                "/api/v1/metrics",
                json!({"key": format!("calls_of_{who}"), "name_vi": "Gọi", "name_en": "Calls",
                    "of": "events", "events": ["call"], "aggregate": "count"}),
                [true, true, false, false],
            ),
        ];
        for (path, body, allowed) in writes {
            let code = app.post_as(&token, path, &body).await.status();
            assert_eq!(status(code), expect(allowed), "{who} POST {path}: {code}");
        }
        let settings = app
            .client
            .patch(format!("{}/api/v1/settings", app.base))
            .bearer_auth(&token)
            .json(&json!({"grade_a": "1.0"}))
            .send()
            .await
            .unwrap()
            .status();
        assert_eq!(
            settings != StatusCode::FORBIDDEN,
            expect([true, true, false, false]),
            "{who} PATCH settings: {settings}"
        );
        let report: Value = app
            .get_as(&token, "/api/v1/reports/users")
            .await
            .json()
            .await
            .unwrap();
        // The people made in this test (not those the managers' POSTs just added).
        let rows: Vec<&str> = report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["user_id"].as_str().unwrap())
            .filter(|id| !id.starts_with("u-"))
            .collect();
        let expected_rows: &[&str] = match role {
            Role::Owner | Role::Admin => &["a", "g", "m", "o", "s", "x"],
            Role::Supervisor => &["g", "m", "s"],
            Role::Agent => &["g", "m"],
        };
        assert_eq!(rows, expected_rows, "{who} reads the users report");
        let metrics = app.get_as(&token, "/metrics").await.status();
        assert_eq!(
            status(metrics),
            expect([true, true, false, false]),
            "{who} GET /metrics"
        );
        tokens.push((*who, token));
    }
    // Deactivated: the same tokens neither read nor write.
    for (who, token) in tokens {
        let off = app
            .client
            .patch(format!("{}/api/v1/users/{who}", app.base))
            .bearer_auth(&app.owner)
            .json(&json!({"active": false}))
            .send()
            .await
            .unwrap();
        assert_eq!(off.status(), StatusCode::OK);
        for code in [
            app.get_as(&token, "/api/v1/reports/users").await.status(),
            app.get_as(&token, "/api/v1/metrics").await.status(),
            app.post_as(&token, "/api/v1/customers", &json!({"name": "Late"}))
                .await
                .status(),
            app.post_as(&token, "/api/v1/events", &call(format!("{who}-late"), "m"))
                .await
                .status(),
        ] {
            assert_eq!(code, StatusCode::UNAUTHORIZED, "{who} deactivated");
        }
    }
}
