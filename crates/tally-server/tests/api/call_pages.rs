//! The call pages, signed in: each person sees the calls of the people they act for,
//! filtered by person, direction and answer, with the customer linked by number; a
//! customer's timeline shows their calls; a Master.csv uploaded from the page is
//! counted with the command line's summary; a supervisor maps a kept-aside extension to
//! one of their people and its calls count at once. Both backends.

use crate::both;
use crate::calls::fixture;
use crate::helpers::TestApp;
use crate::sessions::{client, get, person, post_form, sign_in};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tally_core::Role;

both!(
    each_person_sees_the_calls_they_may_and_numbers_find_customers,
    an_upload_is_counted_and_a_supervisor_maps_what_was_kept_aside,
);

/// Lan and Minh (agents, extensions 201 and 202), Sup supervising team North (Lan),
/// and Boss, the owner; all can sign in.
async fn floor(app: &TestApp) {
    person(app, "boss", "owner").await;
    person(app, "sup", "supervisor").await;
    for (id, extension) in [("lan", "201"), ("minh", "202")] {
        person(app, id, "agent").await;
        let body = json!({"extension": extension});
        let response = app
            .client
            .patch(format!("{}/api/v1/users/{id}", app.base))
            .bearer_auth(&app.owner)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    let team = json!({"id": "north", "name": "North"});
    app.post_ok("/api/v1/teams", &team, StatusCode::CREATED)
        .await;
    let member = json!({"user_id": "lan", "from": "2020-01-01"});
    app.post_ok("/api/v1/teams/north/members", &member, StatusCode::CREATED)
        .await;
    let supervises = json!({"user_id": "sup"});
    app.post_ok(
        "/api/v1/teams/north/supervisors",
        &supervises,
        StatusCode::CREATED,
    )
    .await;
}

async fn page(app: &TestApp, session: &str, path: &str) -> String {
    let response = get(app, session, path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

/// The number a page says it found (`<span id="call-total">N</span>`).
fn total(html: &str) -> String {
    let start = html.find("id=\"call-total\">").expect("a total") + "id=\"call-total\">".len();
    html[start..].split('<').next().unwrap().to_owned()
}

async fn each_person_sees_the_calls_they_may_and_numbers_find_customers(app: &TestApp) {
    floor(app).await;
    let lan_token = app.token(Role::Agent, Some("lan")).await;
    let customer = json!({"id": "c1", "name": "Công ty An Phát", "phones": ["+84 90 123 4567"]});
    assert_eq!(
        app.post_as(&lan_token, "/api/v1/customers", &customer)
            .await
            .status(),
        StatusCode::CREATED
    );
    let at = jiff::Timestamp::now().to_string();
    let call = |id: &str, user: &str, direction: &str, talk: u32, phone: &str| {
        json!({"id": id, "type": "call", "at": at, "user_id": user, "direction": direction,
               "answered": talk > 0, "talk_seconds": talk, "phone": phone})
    };
    let events = Value::Array(vec![
        call("k1", "lan", "outbound", 185, "090.123.4567"),
        call("k2", "lan", "inbound", 0, "0988000111"),
        call("k3", "minh", "outbound", 3725, "0912000000"),
    ]);
    assert_eq!(app.events(events).await["accepted"], 3);

    let lan = sign_in(app, "lan").await;
    let mine = page(app, &lan, "/calls").await;
    assert_eq!(total(&mine), "2");
    assert!(mine.contains("0:03:05"), "talk time as h:mm:ss");
    assert!(
        mine.contains("href=\"/customers/c1\""),
        "the number found the customer"
    );
    assert!(!mine.contains("1:02:05"), "not Minh's call");
    assert_eq!(total(&page(app, &lan, "/calls?answered=no").await), "1");
    let other = get(app, &lan, "/calls?user_id=minh").await;
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    let timeline = page(app, &lan, "/customers/c1/timeline").await;
    assert!(
        timeline.contains("0:03:05"),
        "the customer's call on their timeline"
    );

    let sup = sign_in(app, "sup").await;
    assert_eq!(total(&page(app, &sup, "/calls").await), "2", "Lan's");
    let boss = sign_in(app, "boss").await;
    assert_eq!(total(&page(app, &boss, "/calls").await), "3");
    assert_eq!(
        total(&page(app, &boss, "/calls?direction=outbound").await),
        "2"
    );
    let minh_calls = page(app, &boss, "/calls?user_id=minh").await;
    assert_eq!(total(&minh_calls), "1");
    assert!(minh_calls.contains("1:02:05"));
    assert_eq!(total(&page(app, &boss, "/calls?customer_id=c1").await), "1");
}

async fn an_upload_is_counted_and_a_supervisor_maps_what_was_kept_aside(app: &TestApp) {
    floor(app).await;
    let lan = sign_in(app, "lan").await;
    let refused = client()
        .post(format!("{}/calls/upload", app.base))
        .header("cookie", format!("tally_session={lan}"))
        .header("content-type", "text/csv")
        .body(fixture("Master.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        refused.status(),
        StatusCode::FORBIDDEN,
        "agents do not import"
    );

    let boss = sign_in(app, "boss").await;
    let uploaded = client()
        .post(format!("{}/calls/upload", app.base))
        .header("cookie", format!("tally_session={boss}"))
        .header("content-type", "text/csv")
        .body(fixture("Master.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(uploaded.status(), StatusCode::OK);
    let summary = uploaded.text().await.unwrap();
    assert!(
        summary.contains("<strong>11</strong> bản ghi đã đọc"),
        "{summary}"
    );
    assert!(
        summary.contains("<strong class=\"counted\">8</strong>"),
        "{summary}"
    );
    assert!(summary.contains("299 × 1"), "{summary}");
    let before = app.user_values("lan", "2026-05-11", "2026-05-11").await["calls"].clone();

    let sup = sign_in(app, "sup").await;
    let day = "/calls?from=11/05/2026&to=11/05/2026";
    let calls = page(app, &sup, day).await;
    assert!(
        calls.contains("data-extension=\"299\""),
        "kept aside, by extension"
    );
    let logged: i64 = total(&calls).parse().unwrap();
    assert_eq!(
        Some(logged),
        before.as_i64(),
        "the log holds Lan's counted calls"
    );
    // Only to the people of the supervisor's teams.
    let refused = post_form(app, &sup, "/calls/map", "extension=299&user_id=minh").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let mapped = post_form(app, &sup, "/calls/map", "extension=299&user_id=lan").await;
    assert_eq!(mapped.status(), StatusCode::SEE_OTHER);
    assert_eq!(mapped.headers()["location"], "/calls?mapped=1");
    let after = app.user_values("lan", "2026-05-11", "2026-05-11").await["calls"].clone();
    assert_eq!(
        after.as_i64(),
        before.as_i64().map(|n| n + 1),
        "the mapped call counts"
    );
    let calls = page(app, &sup, day).await;
    assert!(
        !calls.contains("data-extension=\"299\""),
        "nothing left aside"
    );
    assert_eq!(
        total(&calls),
        (logged + 1).to_string(),
        "and the mapped call in the log"
    );
}
