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
fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A user with a password.
async fn person(app: &TestApp, id: &str, role: &str) {
    let body = json!({"id": id, "name": id, "role": role, "email": format!("{id}@example.vn")});
    app.post_ok("/api/v1/users", &body, StatusCode::CREATED)
        .await;
    let hash = hash_password(PASSWORD).unwrap();
    app.store.set_password_hash(id, &hash).await.unwrap();
}

/// Signs in; returns the session cookie's value.
async fn sign_in(app: &TestApp, id: &str) -> String {
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
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=43200"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
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

async fn get(app: &TestApp, session: &str, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", app.base))
        .header("cookie", format!("tally_session={session}"))
        .send()
        .await
        .unwrap()
}

async fn post_form(app: &TestApp, session: &str, path: &str, form: &str) -> reqwest::Response {
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
    ] {
        person(app, id, role).await;
    }
    let pages = [
        ("/kpi", [200, 200, 200]),
        ("/kpi?view=team&period=this_month", [200, 200, 200]),
        ("/kpi/report?view=goal", [200, 200, 200]),
        ("/wallboard", [200, 200, 200]),
        ("/goals", [403, 200, 200]),
        ("/goals/new", [403, 200, 200]),
        ("/admin/users", [403, 403, 200]),
        ("/admin/users/agent", [403, 403, 200]),
        ("/admin/teams", [403, 403, 200]),
        ("/admin/tokens", [403, 403, 200]),
    ];
    for (i, id) in ["agent", "sup", "admin"].into_iter().enumerate() {
        let session = sign_in(app, id).await;
        for (page, statuses) in &pages {
            let status = get(app, &session, page).await.status();
            assert_eq!(status.as_u16(), statuses[i], "{id} GET {page}");
        }
        let token = post_form(app, &session, "/admin/tokens", "name=x&role=agent").await;
        let expected = if id == "admin" { 200 } else { 403 };
        assert_eq!(token.status().as_u16(), expected, "{id} creates a token");
    }
    // Signed out: pages send to the sign-in page, htmx fragments ask htmx to.
    let page = client()
        .get(format!("{}/goals?x=1", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::SEE_OTHER);
    assert_eq!(page.headers()[LOCATION], "/login?next=/goals%3Fx%3D1");
    let fragment = client()
        .get(format!("{}/kpi/report", app.base))
        .header("hx-request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(fragment.headers()["hx-redirect"], "/login?next=/kpi/report");
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
            .contains("password: must have at least 8 characters")
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

both!(
    a_session_reads_and_ends,
    every_page_checks_the_role,
    tokens_from_the_pages_show_once_and_revoke,
    people_made_in_the_pages_sign_in,
);
