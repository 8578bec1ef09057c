//! Signing in to the pages and what a session may do, over plain HTTP: cookies,
//! sign-out, cross-site changes refused, every page's role check, and API tokens made
//! in the pages (shown once, revocable).

use crate::both;
use crate::helpers::TestApp;
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode};
use serde_json::json;
use tally_server::auth::{hash_password, hash_token};

const PASSWORD: &str = "mật khẩu đủ dài";

/// A client that shows redirects instead of following them.
pub fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A user with a password.
pub async fn person(app: &TestApp, id: &str, role: &str) {
    let body = json!({"id": id, "name": id, "role": role, "email": format!("{id}@example.vn")});
    app.post_ok("/api/v1/users", &body, StatusCode::CREATED)
        .await;
    let hash = hash_password(PASSWORD).unwrap();
    app.store.set_password_hash(id, &hash).await.unwrap();
}

/// Signs in; returns the session cookie's value.
pub async fn sign_in(app: &TestApp, id: &str) -> String {
    let response = client()
        .post(format!("{}/login", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email={id}%40example.vn&password={}&next=%2Fgoals",
            urlencode(PASSWORD)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/goals");
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    // Kept until the browser closes; the server ends it after 12 idle hours.
    assert!(
        !cookie.contains("Max-Age") && !cookie.contains("Expires"),
        "{cookie}"
    );
    let value = cookie.split(';').next().unwrap();
    value.strip_prefix("tally_session=").unwrap().to_owned()
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => char::from(b).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

pub async fn get(app: &TestApp, session: &str, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", app.base))
        .header("cookie", format!("tally_session={session}"))
        .send()
        .await
        .unwrap()
}

pub async fn post_form(app: &TestApp, session: &str, path: &str, form: &str) -> reqwest::Response {
    client()
        .post(format!("{}{path}", app.base))
        .header("cookie", format!("tally_session={session}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_owned())
        .send()
        .await
        .unwrap()
}

async fn a_session_reads_and_ends(app: &TestApp) {
    person(app, "boss", "owner").await;
    let wrong = client()
        .post(format!("{}/login", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=boss%40example.vn&password=wrong-password")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.headers().get(SET_COOKIE).is_none());

    let session = sign_in(app, "boss").await;
    // Only the hash of the cookie is stored.
    assert!(
        app.store
            .session_user(&hash_token(&session))
            .await
            .unwrap()
            .is_some()
    );
    assert!(app.store.session_user(&session).await.unwrap().is_none());
    let (_, hash) = app
        .store
        .sign_in_of("BOSS@example.vn")
        .await
        .unwrap()
        .unwrap();
    assert!(hash.starts_with("$argon2id$"));

    assert_eq!(get(app, &session, "/kpi").await.status(), StatusCode::OK);
    let report = get(app, &session, "/api/v1/progress/employees?format=csv").await;
    assert_eq!(
        report.status(),
        StatusCode::OK,
        "a session downloads the exports"
    );
    // A session never writes through the API: that is for tokens.
    let event = client()
        .post(format!("{}/api/v1/users", app.base))
        .header("cookie", format!("tally_session={session}"))
        .json(&json!({"name": "x", "role": "agent"}))
        .send()
        .await
        .unwrap();
    assert_eq!(event.status(), StatusCode::UNAUTHORIZED);

    // Changes from another site are refused.
    for (header, value) in [
        ("origin", "http://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let response = client()
            .post(format!("{}/admin/teams", app.base))
            .header("cookie", format!("tally_session={session}"))
            .header(header, value)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("name=Evil")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{header}");
    }
    assert!(app.store.teams().await.unwrap().is_empty());

    let out = post_form(app, &session, "/logout", "").await;
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    assert!(
        out.headers()[SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = get(app, &session, "/kpi").await;
    assert_eq!(after.status(), StatusCode::SEE_OTHER);
    assert_eq!(after.headers()[LOCATION], "/login?next=/kpi");
}

async fn every_page_checks_the_role(app: &TestApp) {
    for (id, role) in [
        ("agent", "agent"),
        ("sup", "supervisor"),
        ("admin", "admin"),
        ("boss", "owner"),
    ] {
        person(app, id, role).await;
    }
    // The owner's own customer, deal and to-do: not the agent's nor the supervisor's.
    let boss = app.token(tally_core::Role::Owner, Some("boss")).await;
    for (path, body) in [
        (
            "/api/v1/customers",
            json!({"id": "c-boss", "name": "Boss's customer"}),
        ),
        (
            "/api/v1/opportunities",
            json!({"id": "o-boss", "title": "Deal", "customer_id": "c-boss", "amount": 5}),
        ),
        (
            "/api/v1/todos",
            json!({"id": "t-boss", "title": "Call back"}),
        ),
    ] {
        assert_eq!(
            app.post_as(&boss, path, &body).await.status(),
            StatusCode::CREATED
        );
    }
    let pages = [
        ("/today", [200, 200, 200]),
        ("/customers", [200, 200, 200]),
        (
            "/customers?q=0901&owner=mine&sort=name&page=2",
            [200, 200, 200],
        ),
        ("/customers?page=9223372036854775807", [200, 200, 200]),
        ("/calls?page=9223372036854775807", [200, 200, 200]),
        ("/customers/c-boss", [403, 403, 200]),
        ("/customers/c-boss/timeline", [403, 403, 200]),
        ("/opportunities?who=team&view=list", [200, 200, 200]),
        ("/todos?show=overdue&who=team", [200, 200, 200]),
        ("/calls?direction=inbound&answered=no", [200, 200, 200]),
        ("/calls?user_id=boss", [403, 403, 200]),
        ("/kpi", [200, 200, 200]),
        ("/kpi?view=team&period=this_month", [200, 200, 200]),
        ("/kpi/report?view=goal", [200, 200, 200]),
        ("/kpi/months?view=team&compare=year", [200, 200, 200]),
        ("/wallboard", [200, 200, 200]),
        ("/goals", [403, 200, 200]),
        ("/goals/new", [403, 200, 200]),
        ("/admin/users", [403, 403, 200]),
        ("/admin/users/agent", [403, 403, 200]),
        ("/admin/teams", [403, 403, 200]),
        ("/admin/tokens", [403, 403, 200]),
        ("/admin/channels", [403, 403, 200]),
        ("/admin/screens", [403, 403, 200]),
        ("/admin/webhooks", [403, 403, 200]),
        ("/notifications", [200, 200, 200]),
        ("/notifications/bell", [200, 200, 200]),
        ("/channels", [200, 200, 200]),
        ("/channels?period=this_month&compare=year", [200, 200, 200]),
        (
            "/channels/report?from=2026-11-01&to=2026-11-30",
            [200, 200, 200],
        ),
    ];
    for (i, id) in ["agent", "sup", "admin", "boss"].into_iter().enumerate() {
        let session = sign_in(app, id).await;
        for (page, statuses) in &pages {
            let status = get(app, &session, page).await.status();
            let expected = statuses.get(i).copied().unwrap_or(200);
            assert_eq!(status.as_u16(), expected, "{id} GET {page}");
        }
    }
    // The first page: an agent's day for agents, the report for the others.
    for (id, first) in [("agent", "/today"), ("sup", "/kpi"), ("boss", "/kpi")] {
        let response = get(app, &sign_in(app, id).await, "/").await;
        assert_eq!(response.headers()[LOCATION], first, "{id}");
    }
    // Every change of the admin, setup and CRM pages, refused before it is read.
    app.post_ok(
        "/api/v1/teams",
        &json!({"id": "north", "name": "North"}),
        StatusCode::CREATED,
    )
    .await;
    let goal = json!({"id": "g", "name": "g", "assignees": [{"user_id": "agent"}],
        "criteria": [{"metric": "calls", "period": "day", "target": 5}]});
    app.post_ok("/api/v1/goals", &goal, StatusCode::CREATED)
        .await;
    let token = app.token(tally_core::Role::Agent, None).await;
    let key = app.store.tokens().await.unwrap()[0].key;
    let screen = app.store.create_screen("Wall", "vi", "hash", "user:boss");
    let screen = screen.await.unwrap().key;
    let changes = [
        ("/admin/users", "name=x&role=agent", [403, 403]),
        (
            "/admin/users/agent",
            "name=x&role=agent&active=on",
            [403, 403],
        ),
        ("/admin/teams", "name=South", [403, 403]),
        (
            "/admin/teams/north/members",
            "user_id=agent&from=2026-01-01",
            [403, 403],
        ),
        ("/admin/teams/north/supervisors", "user_id=sup", [403, 403]),
        ("/admin/teams/north/supervisors/sup/remove", "", [403, 403]),
        ("/admin/tokens", "name=x&role=agent", [403, 403]),
        ("/admin/channels", "id=tiktok&name=TikTok", [403, 403]),
        (&format!("/admin/tokens/{key}/revoke"), "", [403, 403]),
        ("/admin/screens", "name=Wall&lang=vi", [403, 403]),
        (
            "/admin/webhooks",
            "url=https%3A%2F%2Fevil.example&kind=pace",
            [403, 403],
        ),
        ("/admin/webhooks/1/remove", "", [403, 403]),
        (
            "/notifications/settings",
            "milestones=50&pace_check=10%3A00",
            [403, 403],
        ),
        (&format!("/admin/screens/{screen}/revoke"), "", [403, 403]),
        (
            "/goals/new",
            "name=x&metric_0=calls&target_0=1&user=agent",
            [403, 422],
        ),
        (
            "/goals/g",
            "name=y&metric_0=calls&target_0=1&user=agent",
            [403, 403],
        ),
        ("/goals/g/archive", "", [403, 403]),
        ("/customers/c-boss", "name=Mine+now", [403, 403]),
        ("/customers/c-boss/notes", "text=hello", [403, 403]),
        (
            "/customers/c-boss/opportunities",
            "title=x&amount=1",
            [403, 403],
        ),
        ("/customers/c-boss/todos", "title=x", [403, 403]),
        ("/customers/c-boss/meetings", "title=x", [403, 403]),
        (
            "/customers/c-boss/messages",
            "channel=sms&outcome=delivered",
            [403, 403],
        ),
        ("/opportunities/o-boss", "status=won", [403, 403]),
        (
            "/opportunities",
            "customer_id=c-boss&title=x&amount=1",
            [403, 403],
        ),
        ("/todos/t-boss/done", "", [403, 403]),
        ("/calls/map", "extension=299&user_id=agent", [403, 403]),
    ];
    for (i, id) in ["agent", "sup"].into_iter().enumerate() {
        let session = sign_in(app, id).await;
        for (page, form, statuses) in &changes {
            let status = post_form(app, &session, page, form).await.status();
            assert_eq!(status.as_u16(), statuses[i], "{id} POST {page}");
        }
    }
    let refused = client()
        .post(format!("{}/calls/upload", app.base))
        .header(
            "cookie",
            format!("tally_session={}", sign_in(app, "agent").await),
        )
        .header("content-type", "text/csv")
        .body("x")
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "agent POST /calls/upload"
    );
    let deal = app.get_ok("/api/v1/opportunities/o-boss").await;
    assert_eq!(deal["status"], "open", "{deal}");
    let screens = app.store.screens().await.unwrap();
    assert_eq!(screens.len(), 1, "no TV link was made");
    assert!(!screens[0].revoked, "nor revoked");
    assert!(app.store.webhooks().await.unwrap().is_empty(), "no webhook");
    assert_eq!(
        app.get_ok("/api/v1/customers/c-boss/notes").await["total"],
        0
    );
    assert_eq!(app.store.teams().await.unwrap().len(), 1);
    assert_eq!(app.store.users().await.unwrap().len(), 4);
    assert_eq!(app.store.memberships(None).await.unwrap().len(), 0);
    let goals = app.store.goals().await.unwrap();
    assert_eq!(
        (goals.len(), goals[0].revision, goals[0].archived_at),
        (1, 1, None)
    );
    assert_eq!(
        app.get_as(&token, "/api/v1/metrics").await.status(),
        StatusCode::OK
    );
    // Signed out: pages send to the sign-in page, htmx fragments ask htmx to.
    let page = client()
        .get(format!("{}/goals?x=1", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()[LOCATION], "/login?next=/goals%3Fx%3D1");
    let fragment = client()
        .get(format!("{}/kpi/report?view=team", app.base))
        .header("hx-request", "true")
        .header("hx-current-url", format!("{}/kpi?view=team", app.base))
        .send()
        .await
        .unwrap();
    // Back to the page after signing in, not to the bare fragment.
    assert_eq!(
        fragment.headers()["hx-redirect"],
        "/login?next=/kpi%3Fview%3Dteam"
    );
    let live = client()
        .get(format!("{}/live", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::SEE_OTHER);
}

async fn tokens_from_the_pages_show_once_and_revoke(app: &TestApp) {
    person(app, "admin", "admin").await;
    person(app, "lan", "agent").await;
    let session = sign_in(app, "admin").await;
    let owner_token = post_form(app, &session, "/admin/tokens", "name=x&role=owner").await;
    assert_eq!(
        owner_token.status(),
        StatusCode::FORBIDDEN,
        "an admin cannot make owners"
    );
    let page = post_form(
        app,
        &session,
        "/admin/tokens",
        "name=pbx&role=agent&user_id=lan",
    )
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    let start = html.find("<code id=\"new-token\">").unwrap() + "<code id=\"new-token\">".len();
    let secret = &html[start..start + 70];
    assert!(secret.starts_with("tally_"), "{secret}");
    assert_eq!(
        app.get_as(secret, "/api/v1/users/lan").await.status(),
        StatusCode::OK
    );
    let listing = get(app, &session, "/admin/tokens")
        .await
        .text()
        .await
        .unwrap();
    assert!(listing.contains("pbx") && !listing.contains(secret));

    let tokens = app.store.tokens().await.unwrap();
    let key = tokens.iter().find(|t| t.name == "pbx").unwrap().key;
    let revoke = post_form(app, &session, &format!("/admin/tokens/{key}/revoke"), "").await;
    assert_eq!(revoke.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_as(secret, "/api/v1/users/lan").await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn people_made_in_the_pages_sign_in(app: &TestApp) {
    person(app, "admin", "admin").await;
    let session = sign_in(app, "admin").await;
    let short = post_form(
        app,
        &session,
        "/admin/users",
        "name=Nam&email=nam%40example.vn&role=agent&password=short",
    )
    .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short
            .text()
            .await
            .unwrap()
            .contains("Mật khẩu: phải có ít nhất 8 ký tự"),
        "the Vietnamese page says what is wrong in Vietnamese"
    );
    assert!(app.store.user("nam").await.unwrap().is_none());
    let form = format!(
        "id=nam&name=L%C3%AA+Ho%C3%A0ng+Nam&email=nam%40example.vn&role=agent&extensions=201%2C+1001&password={}",
        urlencode(PASSWORD)
    );
    let created = post_form(app, &session, "/admin/users", &form).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let user = app.get_ok("/api/v1/users/nam").await;
    assert_eq!(user["name"], "Lê Hoàng Nam");
    assert_eq!(user["extension"], "201");
    assert_eq!(user["extensions"], json!(["1001"]));
    let nam = sign_in(app, "nam").await;
    assert_eq!(get(app, &nam, "/kpi").await.status(), StatusCode::OK);

    // A new password signs them out everywhere.
    let form = format!(
        "name=Nam&email=nam%40example.vn&role=agent&extensions=201&active=on&password={}",
        urlencode("một mật khẩu mới")
    );
    let saved = post_form(app, &session, "/admin/users/nam", &form).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(get(app, &nam, "/kpi").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get_ok("/api/v1/users/nam").await["extensions"],
        json!([])
    );
}

async fn admins_may_not_touch_owners(app: &TestApp) {
    person(app, "admin", "admin").await;
    person(app, "boss", "owner").await;
    let owner_token = app.token(tally_core::Role::Owner, None).await;
    let session = sign_in(app, "admin").await;
    let edit = post_form(
        app,
        &session,
        "/admin/users/boss",
        "name=Boss&role=owner&active=on",
    )
    .await;
    assert_eq!(edit.status(), StatusCode::FORBIDDEN);
    let reset = post_form(
        app,
        &session,
        "/admin/users/boss",
        &format!(
            "name=Boss&role=agent&active=on&password={}",
            urlencode("a new password")
        ),
    )
    .await;
    assert_eq!(reset.status(), StatusCode::FORBIDDEN);
    let key = app.store.tokens().await.unwrap()[0].key;
    let revoke = post_form(app, &session, &format!("/admin/tokens/{key}/revoke"), "").await;
    assert_eq!(revoke.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get_as(&owner_token, "/api/v1/users").await.status(),
        StatusCode::OK
    );
    let wallboard = app.token(tally_core::Role::Agent, Some("boss")).await;
    let tokens = app.store.tokens().await.unwrap();
    let bound = tokens.iter().find(|t| t.user_id.as_deref() == Some("boss"));
    let path = format!("/admin/tokens/{}/revoke", bound.unwrap().key);
    let revoke = post_form(app, &session, &path, "").await;
    assert_eq!(
        revoke.status(),
        StatusCode::FORBIDDEN,
        "a token acting for an owner"
    );
    let still = app.get_as(&wallboard, "/api/v1/metrics").await;
    assert_eq!(still.status(), StatusCode::OK);
    let acting = post_form(
        app,
        &session,
        "/admin/tokens",
        "name=x&role=agent&user_id=boss",
    )
    .await;
    assert_eq!(acting.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.store.tokens().await.unwrap().len(),
        3,
        "the helper's, the owner's and the owner's wallboard's"
    );
    let boss = app.get_ok("/api/v1/users/boss").await;
    assert_eq!(
        (boss["role"].as_str(), boss["name"].as_str()),
        (Some("owner"), Some("boss"))
    );
    // Their password is unchanged.
    sign_in(app, "boss").await;
}

async fn agents_see_their_team_but_no_one_else(app: &TestApp) {
    for id in ["lan", "nam", "mai"] {
        person(app, id, "agent").await;
    }
    let team = json!({"id": "north", "name": "North"});
    app.post_ok("/api/v1/teams", &team, StatusCode::CREATED)
        .await;
    for user in ["lan", "nam"] {
        let member = json!({"user_id": user, "from": "2020-01-01"});
        app.post_ok("/api/v1/teams/north/members", &member, StatusCode::CREATED)
            .await;
    }
    let criteria = json!([{"metric": "calls", "period": "day", "target": 5}]);
    let north =
        json!({"id": "g", "name": "g", "assignees": [{"team_id": "north"}], "criteria": criteria});
    app.post_ok("/api/v1/goals", &north, StatusCode::CREATED)
        .await;
    let mai =
        json!({"id": "m", "name": "m", "assignees": [{"user_id": "mai"}], "criteria": criteria});
    app.post_ok("/api/v1/goals", &mai, StatusCode::CREATED)
        .await;
    let session = sign_in(app, "lan").await;
    // Their own row and their teammate's (the leaderboard), as the API answers them.
    let page = get(app, &session, "/kpi").await.text().await.unwrap();
    assert!(page.contains("data-subject=\"lan\""), "{page}");
    assert!(page.contains("data-subject=\"nam\""), "{page}");
    assert!(!page.contains("data-subject=\"mai\""), "{page}");
    let other = get(app, &session, "/kpi?user_id=mai")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        other.contains("is not one of the people you see"),
        "{other}"
    );
    assert!(!other.contains("data-subject=\"mai\""));
}

async fn sessions_end_when_idle_or_deactivated(app: &TestApp) {
    person(app, "admin", "admin").await;
    person(app, "lan", "agent").await;
    let lan = sign_in(app, "lan").await;
    let past = jiff::Timestamp::now().as_second() - 1;
    app.store
        .extend_session(&hash_token(&lan), past)
        .await
        .unwrap();
    assert_eq!(
        get(app, &lan, "/kpi").await.status(),
        StatusCode::SEE_OTHER,
        "idle too long"
    );

    let lan = sign_in(app, "lan").await;
    let admin = sign_in(app, "admin").await;
    let off = post_form(
        app,
        &admin,
        "/admin/users/lan",
        "name=lan&role=agent&email=lan%40example.vn",
    )
    .await;
    assert_eq!(off.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        get(app, &lan, "/kpi").await.status(),
        StatusCode::SEE_OTHER,
        "deactivated"
    );
    let again = client()
        .post(format!("{}/login", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!(
            "email=lan%40example.vn&password={}",
            urlencode(PASSWORD)
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        StatusCode::UNAUTHORIZED,
        "an inactive user cannot sign in"
    );
}

async fn sign_in_is_guarded(app: &TestApp) {
    person(app, "lan", "agent").await;
    let attempt = |password: String, extra: Option<(&'static str, &'static str)>| {
        let mut request = client()
            .post(format!("{}/login", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!(
                "email=lan%40example.vn&password={}&next=%2F%09%2Fevil.example",
                urlencode(&password)
            ));
        if let Some((name, value)) = extra {
            request = request.header(name, value);
        }
        request.send()
    };
    // Another site's form cannot sign anyone in.
    let forged = attempt(PASSWORD.into(), Some(("origin", "http://evil.example")))
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    // `next` never leads off the site.
    let ok = attempt(PASSWORD.into(), None).await.unwrap();
    assert_eq!(ok.status(), StatusCode::SEE_OTHER);
    assert_eq!(ok.headers()[LOCATION], "/kpi");
    // Five wrong passwords, then even the right one waits.
    for _ in 0..5 {
        let wrong = attempt("not the password".into(), None).await.unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let blocked = attempt(PASSWORD.into(), None).await.unwrap();
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.headers().get(SET_COOKIE).is_none());

    // Guesses sent all at once are counted before any is checked: five at most get in.
    person(app, "nam", "agent").await;
    let guesses = (0..12).map(|i| {
        client()
            .post(format!("{}/login", app.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("email=nam%40example.vn&password=guess-{i}"))
            .send()
    });
    let statuses: Vec<u16> = futures::future::join_all(guesses)
        .await
        .into_iter()
        .map(|r| r.unwrap().status().as_u16())
        .collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!((checked, refused), (5, 7), "{statuses:?}");
}

both!(
    admins_may_not_touch_owners,
    agents_see_their_team_but_no_one_else,
    sessions_end_when_idle_or_deactivated,
    sign_in_is_guarded,
);

both!(
    a_session_reads_and_ends,
    a_form_finished_after_a_demotion_is_refused,
    every_page_checks_the_role,
    tokens_from_the_pages_show_once_and_revoke,
    people_made_in_the_pages_sign_in,
);

/// A form takes time to arrive; the person posting it may be demoted meanwhile. It is
/// judged by who they are when it has arrived.
async fn a_form_finished_after_a_demotion_is_refused(app: &TestApp) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    person(app, "boss", "admin").await;
    let session = sign_in(app, "boss").await;
    let form = "id=late&name=Muon";
    let address = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /admin/teams HTTP/1.1\r\nhost: {address}\r\ncookie: tally_session={session}\r\n\
         content-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\nid=la",
        form.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let demoted = app
        .client
        .patch(format!("{}/api/v1/users/boss", app.base))
        .bearer_auth(&app.owner)
        .json(&json!({"role": "agent"}))
        .send()
        .await
        .unwrap();
    assert_eq!(demoted.status(), StatusCode::OK);
    stream.write_all(&form.as_bytes()[5..]).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(app.store.teams().await.unwrap().is_empty());
}
