//! TV links over plain HTTP: an admin makes one in the pages (its address shown once,
//! only its hash kept), it shows the wallboard without a sign-in and nothing else,
//! its secret opens no other page and no API, and once revoked it shows nothing and
//! its open live feed ends.

use crate::both;
use crate::helpers::TestApp;
use crate::sessions::{client, get, person, post_form, sign_in};
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, LOCATION, REFERRER_POLICY};
use serde_json::json;
use std::time::Duration;
use tally_server::auth::hash_token;

/// The TV link's secret in a page that shows it.
fn secret_in(page: &str) -> String {
    let at = page
        .find("/tv/tally_")
        .expect("the page shows the new link")
        + "/tv/".len();
    page[at..at + "tally_".len() + 64].to_owned()
}

/// A page (or anything) fetched with no cookie and no token.
async fn anonymous(app: &TestApp, path: &str) -> reqwest::Response {
    client()
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap()
}

/// An owner signed in, an agent Lan with a goal of 4 calls a day and 3 calls made.
async fn floor_with_a_goal(app: &TestApp) -> String {
    person(app, "boss", "owner").await;
    let lan = json!({"id": "lan", "name": "Nguyễn Thị Lan", "role": "agent",
        "email": "lan.private@example.vn", "phone": "0901234567"});
    app.post_ok("/api/v1/users", &lan, StatusCode::CREATED)
        .await;
    let goal = json!({"name": "Gọi điện", "starts_on": "2020-01-01",
        "criteria": [{"metric": "calls", "period": "day", "target": 4}],
        "assignees": [{"user_id": "lan"}]});
    app.post_ok("/api/v1/goals", &goal, StatusCode::CREATED)
        .await;
    let at = jiff::Timestamp::now().to_string();
    let calls: Vec<_> = (0..3)
        .map(|i| {
            json!({"id": format!("c{i}"), "type": "call", "at": at, "user_id": "lan",
            "direction": "outbound", "answered": true, "talk_seconds": 60})
        })
        .collect();
    assert_eq!(app.events(json!(calls)).await["accepted"], 3);
    sign_in(app, "boss").await
}

async fn a_tv_link_shows_the_wallboard_and_nothing_else(app: &TestApp) {
    let session = floor_with_a_goal(app).await;
    let made = post_form(
        app,
        &session,
        "/admin/screens",
        "name=TV+t%E1%BA%A7ng+3&lang=en",
    )
    .await;
    assert_eq!(made.status(), StatusCode::OK);
    assert_eq!(made.headers()[CACHE_CONTROL], "no-store");
    let page = made.text().await.unwrap();
    let secret = secret_in(&page);
    assert!(
        page.contains(&format!("{}/tv/{secret}", app.base)),
        "the whole address"
    );

    // Only the hash is kept, and the list never shows the secret again.
    let screens = app.store.screens().await.unwrap();
    assert_eq!(screens.len(), 1);
    assert_eq!(
        (screens[0].name.as_str(), screens[0].lang.as_str()),
        ("TV tầng 3", "en")
    );
    assert_eq!(screens[0].created_by, "user:boss");
    assert!(app.store.screen_by_hash(&secret).await.unwrap().is_none());
    assert!(
        app.store
            .screen_by_hash(&hash_token(&secret))
            .await
            .unwrap()
            .is_some()
    );
    let listing = get(app, &session, "/admin/screens")
        .await
        .text()
        .await
        .unwrap();
    assert!(listing.contains("TV tầng 3") && !listing.contains(&secret));

    // The board, in the link's language, with no sign-in and no way elsewhere.
    let tv = anonymous(app, &format!("/tv/{secret}")).await;
    assert_eq!(tv.status(), StatusCode::OK);
    assert_eq!(tv.headers()[REFERRER_POLICY], "no-referrer");
    assert_eq!(tv.headers()[CACHE_CONTROL], "no-store");
    let board = tv.text().await.unwrap();
    assert!(board.contains("Leaderboard"), "{board}");
    assert!(
        board.contains("Nguyễn Thị Lan") && board.contains(">75%<"),
        "{board}"
    );
    for hidden in ["<nav", "/admin", "/logout", "lan.private", "0901234567"] {
        assert!(!board.contains(hidden), "the TV page shows {hidden}");
    }
    let part = anonymous(app, &format!("/tv/{secret}/board?period=this_month")).await;
    assert_eq!(part.status(), StatusCode::OK);
    assert!(part.text().await.unwrap().contains("Nguyễn Thị Lan"));

    // The secret is no API token and no session.
    let api = client()
        .get(format!("{}/api/v1/progress/employees", app.base))
        .bearer_auth(&secret)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), StatusCode::UNAUTHORIZED);
    let kpi = get(app, &secret, "/kpi").await;
    assert_eq!(kpi.status(), StatusCode::SEE_OTHER);
    assert!(
        kpi.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/login")
    );
    let wrong = format!("/tv/tally_{}", "0".repeat(64));
    assert_eq!(anonymous(app, &wrong).await.status(), StatusCode::NOT_FOUND);

    // Its live feed hears of a change, then ends when the link is revoked.
    let mut feed = anonymous(app, &format!("/tv/{secret}/feed")).await;
    assert_eq!(feed.status(), StatusCode::OK);
    assert_eq!(feed.headers()["content-type"], "text/event-stream");
    let first = feed.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).contains("event: hello"));
    let key = screens[0].key;
    let revoked = post_form(app, &session, &format!("/admin/screens/{key}/revoke"), "").await;
    assert_eq!(revoked.status(), StatusCode::SEE_OTHER);
    let ended = tokio::time::timeout(Duration::from_secs(10), async {
        while feed.chunk().await.unwrap().is_some() {}
    });
    ended.await.expect("the feed of a revoked link ends");
    for path in ["", "/board", "/feed"] {
        let after = anonymous(app, &format!("/tv/{secret}{path}")).await;
        assert_eq!(after.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let listing = get(app, &session, "/admin/screens")
        .await
        .text()
        .await
        .unwrap();
    assert!(listing.contains("Revoked") || listing.contains("Đã thu hồi"));
}

async fn a_tv_link_needs_a_name_and_a_known_language(app: &TestApp) {
    let session = floor_with_a_goal(app).await;
    // The pages are in Vietnamese unless switched: each error names its field.
    for (form, field) in [
        ("name=&lang=vi", "Tên: "),
        ("name=Wall&lang=fr", "Ngôn ngữ: "),
    ] {
        let refused = post_form(app, &session, "/admin/screens", form).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{form}");
        let page = refused.text().await.unwrap();
        let error = page
            .find("id=\"screen-error\">")
            .expect("an error is shown");
        assert!(page[error..].contains(field), "{form}: {page}");
        assert!(!page.contains("/tv/tally_"), "{form}");
    }
    assert!(app.store.screens().await.unwrap().is_empty());
}

both!(
    a_tv_link_shows_the_wallboard_and_nothing_else,
    a_tv_link_needs_a_name_and_a_known_language,
);
