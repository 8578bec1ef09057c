//! What limited callers are not shown: a wallboard reads no contact details; a team
//! they may not see is answered like one that does not exist, in both reports; a goal
//! shared with other teams shows a supervisor only their own assignees.

use crate::access::floor;
use crate::both;
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tally_core::Role;

both!(
    a_wallboard_reads_no_contact_details,
    an_out_of_scope_team_is_answered_like_a_missing_one,
    a_shared_goal_shows_a_supervisor_only_their_assignees,
);

async fn a_wallboard_reads_no_contact_details(app: &TestApp) {
    let body = json!({"id": "lan", "name": "Lan", "role": "agent", "email": "lan@example.vn", "extension": "201", "extensions": ["202"]});
    app.post_ok("/api/v1/users", &body, StatusCode::CREATED)
        .await;
    let wallboard = app.token(Role::Agent, None).await;
    let list: Value = app
        .get_as(&wallboard, "/api/v1/users")
        .await
        .json()
        .await
        .unwrap();
    let one: Value = app
        .get_as(&wallboard, "/api/v1/users/lan")
        .await
        .json()
        .await
        .unwrap();
    for user in [&list[0], &one] {
        assert_eq!(user["name"], "Lan");
        for field in ["email", "extension", "extensions"] {
            assert!(user.get(field).is_none(), "{field} in {user}");
        }
    }
    let admin: Value = app.get_ok("/api/v1/users/lan").await;
    assert_eq!(
        (&admin["email"], &admin["extension"]),
        (&json!("lan@example.vn"), &json!("201"))
    );
    let lan = app.token(Role::Agent, Some("lan")).await;
    let own: Value = app
        .get_as(&lan, "/api/v1/users/lan")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["email"], "lan@example.vn");
}

async fn an_out_of_scope_team_is_answered_like_a_missing_one(app: &TestApp) {
    floor(app).await;
    let lan = app.token(Role::Agent, Some("lan")).await;
    let sup = app.token(Role::Supervisor, Some("sup")).await;
    for token in [&lan, &sup] {
        let south = app
            .get_as(token, "/api/v1/reports/teams?team_id=south")
            .await;
        let ghost = app
            .get_as(token, "/api/v1/reports/teams?team_id=ghost")
            .await;
        assert_eq!(
            (south.status(), ghost.status()),
            (StatusCode::FORBIDDEN, StatusCode::FORBIDDEN)
        );
        let south: Value = south.json().await.unwrap();
        let ghost: Value = ghost.json().await.unwrap();
        assert_eq!(
            south["error"]["message"]
                .as_str()
                .unwrap()
                .replace("south", "?"),
            ghost["error"]["message"]
                .as_str()
                .unwrap()
                .replace("ghost", "?")
        );
        let north = app
            .get_as(token, "/api/v1/reports/teams?team_id=north")
            .await;
        assert_eq!(north.status(), StatusCode::OK);
    }
    let missing = app
        .get_as(&app.owner, "/api/v1/reports/teams?team_id=ghost")
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

async fn a_shared_goal_shows_a_supervisor_only_their_assignees(app: &TestApp) {
    floor(app).await;
    let goal = json!({"id": "g1", "name": "Gọi điện", "starts_on": "2026-11-01",
        "criteria": [{"metric": "calls", "target": 10, "period": "day"}],
        "assignees": [{"team_id": "north"}, {"team_id": "south"}, {"user_id": "nam"}]});
    app.post_ok("/api/v1/goals", &goal, StatusCode::CREATED)
        .await;
    let sup = app.token(Role::Supervisor, Some("sup")).await;
    let seen: Value = app
        .get_as(&sup, "/api/v1/goals/g1")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        seen["assignees"],
        json!([{"team_id": "north", "mode": "each_member"}])
    );
    assert_eq!(seen["other_assignees"], 2);
    let listed: Value = app
        .get_as(&sup, "/api/v1/goals")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed[0]["assignees"], seen["assignees"]);
    let history: Value = app
        .get_as(&sup, "/api/v1/goals/g1/history")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(history[0]["goal"]["assignees"], seen["assignees"]);
    let full = app.get_ok("/api/v1/goals/g1").await;
    assert_eq!(full["assignees"].as_array().unwrap().len(), 3);
    assert!(full.get("other_assignees").is_none());
}
