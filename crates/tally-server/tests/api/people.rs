//! Users, teams and memberships.

use crate::both;
use crate::helpers::{TestApp, row_ids};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tally_core::Role;

both!(
    users_are_created_listed_and_validated,
    users_are_changed_and_deactivated,
    teams_and_dated_memberships
);

async fn users_are_created_listed_and_validated(app: &TestApp) {
    let created = app
        .post_ok("/api/v1/users", &json!({"name": "Nguyễn Thị Lan", "email": "Lan@Example.vn", "role": "agent", "extension": "101"}), StatusCode::CREATED)
        .await;
    let id = created["id"].as_str().unwrap();
    assert!(id.starts_with("u-"));
    assert_eq!(created["email"], "lan@example.vn");
    assert_eq!(app.get_ok(&format!("/api/v1/users/{id}")).await, created);
    let duplicate = app
        .post_as(
            &app.owner,
            "/api/v1/users",
            &json!({"id": id, "name": "X", "role": "agent"}),
        )
        .await;
    assert_eq!(duplicate.status(), StatusCode::CONFLICT);
    for (body, field) in [
        (json!({"role": "agent"}), "name"),
        (json!({"name": "A", "role": "boss"}), "role"),
        (
            json!({"name": "A", "role": "agent", "email": "nope"}),
            "email",
        ),
        (
            json!({"name": "A", "role": "agent", "extension": "12a"}),
            "extension",
        ),
        (json!({"name": "", "role": "agent"}), "name"),
    ] {
        let response = app.post_as(&app.owner, "/api/v1/users", &body).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}"
        );
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["field"], field, "{body}");
    }
    let response = app
        .client
        .post(format!("{}/api/v1/users", app.base))
        .bearer_auth(&app.owner)
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.get_ok("/api/v1/users").await.as_array().unwrap().len(),
        1
    );
    assert_eq!(
        app.get_as(&app.owner, "/api/v1/users/ghost").await.status(),
        StatusCode::NOT_FOUND
    );
    let url = format!("{}/api/v1/users/{id}", app.base);
    let delete = app
        .client
        .delete(url)
        .bearer_auth(&app.owner)
        .send()
        .await
        .unwrap();
    assert_eq!(delete.status(), StatusCode::METHOD_NOT_ALLOWED);
    let error: Value = delete.json().await.unwrap();
    assert_eq!(error["error"]["code"], "method_not_allowed");
}

async fn teams_and_dated_memberships(app: &TestApp) {
    app.user("u1", "Lan").await;
    let team = app
        .post_ok(
            "/api/v1/teams",
            &json!({"id": "t1", "name": "Telesales"}),
            StatusCode::CREATED,
        )
        .await;
    assert_eq!(team, json!({"id": "t1", "name": "Telesales"}));
    let taken = app
        .post_as(
            &app.owner,
            "/api/v1/teams",
            &json!({"id": "t1", "name": "Again"}),
        )
        .await;
    assert_eq!(taken.status(), StatusCode::CONFLICT);
    let path = "/api/v1/teams/t1/members";
    app.post_ok(
        path,
        &json!({"user_id": "u1", "from": "2026-11-01"}),
        StatusCode::CREATED,
    )
    .await;
    // Overlapping membership of the same user: a member-day must count once.
    let overlap = app
        .post_as(
            &app.owner,
            path,
            &json!({"user_id": "u1", "from": "2026-11-10"}),
        )
        .await;
    assert_eq!(overlap.status(), StatusCode::CONFLICT);
    // The same start again ends the membership; then a later one may follow.
    app.post_ok(
        path,
        &json!({"user_id": "u1", "from": "2026-11-01", "to": "2026-11-09"}),
        StatusCode::CREATED,
    )
    .await;
    app.post_ok(
        path,
        &json!({"user_id": "u1", "from": "2026-11-20"}),
        StatusCode::CREATED,
    )
    .await;
    let members = app.get_ok(path).await;
    let spans: Vec<(Value, Value)> = members
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["from"].clone(), m["to"].clone()))
        .collect();
    assert_eq!(
        spans,
        vec![
            (json!("2026-11-01"), json!("2026-11-09")),
            (json!("2026-11-20"), Value::Null)
        ]
    );
    for (body, status) in [
        (
            json!({"user_id": "ghost", "from": "2026-11-01"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"user_id": "u1", "from": "2026-12-05", "to": "2026-12-01"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!({"user_id": "u1"}), StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        assert_eq!(
            app.post_as(&app.owner, path, &body).await.status(),
            status,
            "{body}"
        );
    }
    let missing = app
        .post_as(
            &app.owner,
            "/api/v1/teams/ghost/members",
            &json!({"user_id": "u1", "from": "2026-11-01"}),
        )
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get_ok("/api/v1/teams/t1").await["members"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

async fn users_are_changed_and_deactivated(app: &TestApp) {
    app.user("u1", "Lan").await;
    app.user("u2", "Minh").await;
    let patch = |token: &str, id: &str, body: Value| {
        let url = format!("{}/api/v1/users/{id}", app.base);
        app.client
            .patch(url)
            .bearer_auth(token.to_owned())
            .json(&body)
            .send()
    };
    let changed: Value = patch(
        &app.owner,
        "u1",
        json!({"name": "Nguyễn Thị Lan", "extension": "101", "active": false}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        (changed["name"].as_str(), changed["active"].as_bool()),
        (Some("Nguyễn Thị Lan"), Some(false))
    );
    assert_eq!(changed["extension"], "101");
    let cleared: Value = patch(&app.owner, "u1", json!({"extension": null}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cleared["extension"], Value::Null);
    // An inactive user leaves the users report, unless asked for by id.
    let report = app
        .get_ok("/api/v1/reports/users?from=2026-11-01&to=2026-11-01")
        .await;
    let ids = row_ids(&report);
    assert_eq!(ids, ["u2"]);
    let one = app
        .get_ok("/api/v1/reports/users?from=2026-11-01&to=2026-11-01&user_id=u1")
        .await;
    assert_eq!(one["rows"][0]["user_id"], "u1");
    // Who may change what.
    let admin = app.token(Role::Admin, None).await;
    assert_eq!(
        patch(&admin, "u2", json!({"role": "owner"}))
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        patch(&admin, "u2", json!({"role": "supervisor"}))
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let agent = app.token(Role::Agent, Some("u2")).await;
    assert_eq!(
        patch(&agent, "u2", json!({"name": "Me"}))
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        patch(&app.owner, "ghost", json!({"name": "X"}))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let invalid = patch(&app.owner, "u2", json!({"active": "no"}))
        .await
        .unwrap();
    assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
    patch(&app.owner, "u1", json!({"email": "lan@example.vn"}))
        .await
        .unwrap();
    let taken = patch(&app.owner, "u2", json!({"email": "lan@example.vn"}))
        .await
        .unwrap();
    assert_eq!(taken.status(), StatusCode::CONFLICT);
}
