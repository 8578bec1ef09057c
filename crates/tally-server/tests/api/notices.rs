//! Notices over HTTP and the store: a scripted day on the floor produces each kind
//! exactly once for its recipients — milestones (with a retraction that un-reaches one
//! and a second win that reaches it again), a new leader, a pace behind, a period
//! result — and a second instance (a restart) tells nothing twice. The bell and the
//! list show them in the person's language; owners and admins set the milestones.

use crate::both;
use crate::helpers::TestApp;
use crate::sessions::{get, person, post_form, sign_in};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tally_core::notice::NoticeKind;
use tally_core::views::Subject;

/// Every notice in a person's inbox as (kind, subject, metric, mark).
async fn inbox(app: &TestApp, user: &str) -> Vec<(NoticeKind, String, String, String)> {
    let items = app.store.inbox(user, 1_000).await.unwrap();
    items
        .into_iter()
        .map(|item| {
            let key = item.record.notice.key;
            let subject = match key.subject {
                Subject::User(id) | Subject::Team(id) => id,
            };
            let metric = key.metric.unwrap_or_default();
            (key.kind, subject, metric, key.mark)
        })
        .collect()
}

/// Waits until `user`'s inbox holds `wanted`.
async fn until_told(app: &TestApp, user: &str, wanted: (NoticeKind, &str, &str, &str)) {
    let started = Instant::now();
    loop {
        let told = inbox(app, user).await;
        let (kind, subject, metric, mark) = wanted;
        if told
            .iter()
            .any(|t| t.0 == kind && t.1 == subject && t.2 == metric && t.3 == mark)
        {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(15),
            "{user} was never told {wanted:?}; told {told:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A few rounds of the finders (each runs at most once a second).
async fn some_rounds() {
    tokio::time::sleep(Duration::from_millis(3_500)).await;
}

fn event(id: &str, kind: &str, user: &str, at: &str, fields: Value) -> Value {
    let mut event = json!({"id": id, "type": kind, "at": at, "user_id": user});
    for (k, v) in fields.as_object().unwrap() {
        event[k] = v.clone();
    }
    event
}

/// Owner boss, supervisor ha of team north with agents lan and nam, and a goal of 2
/// won opportunities and 4 calls a day each, from yesterday, when lan made 5 calls.
pub(crate) async fn floor(app: &TestApp) {
    for (id, role) in [
        ("boss", "owner"),
        ("ha", "supervisor"),
        ("lan", "agent"),
        ("nam", "agent"),
    ] {
        person(app, id, role).await;
    }
    app.post_ok(
        "/api/v1/teams",
        &json!({"id": "north", "name": "Miền Bắc"}),
        StatusCode::CREATED,
    )
    .await;
    for user in ["lan", "nam"] {
        let member = json!({"user_id": user, "from": "2020-01-01"});
        app.post_ok("/api/v1/teams/north/members", &member, StatusCode::CREATED)
            .await;
    }
    app.post_ok(
        "/api/v1/teams/north/supervisors",
        &json!({"user_id": "ha"}),
        StatusCode::CREATED,
    )
    .await;
    let zone = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let today = jiff::Timestamp::now().to_zoned_datetime(zone).date();
    let yesterday = today.yesterday().unwrap();
    let day = format!("{yesterday}T10:00:00+07:00");
    let calls: Vec<Value> = (0..5)
        .map(|i| {
            event(
                &format!("y{i}"),
                "call",
                "lan",
                &day,
                json!({"direction": "outbound", "answered": true, "talk_seconds": 60}),
            )
        })
        .collect();
    assert_eq!(app.events(json!(calls)).await["accepted"], 5);
    let goal = json!({"id": "chot", "name": "Chốt đơn", "starts_on": yesterday.to_string(),
        "criteria": [{"metric": "opportunities_won", "period": "day", "target": 2},
                     {"metric": "calls", "period": "day", "target": 4}],
        "assignees": [{"user_id": "lan"}, {"user_id": "nam"}]});
    app.post_ok("/api/v1/goals", &goal, StatusCode::CREATED)
        .await;
}

/// Opportunity `id` of lan's customer, created and won now.
fn won_deal(id: &str, at: &str) -> Vec<Value> {
    vec![
        event(
            &format!("{id}-c"),
            "opportunity.created",
            "lan",
            at,
            json!({"opportunity_id": id, "customer_id": "c1", "amount": 1000}),
        ),
        event(
            &format!("{id}-w"),
            "opportunity.status_changed",
            "lan",
            at,
            json!({"opportunity_id": id, "status": "won"}),
        ),
    ]
}

async fn each_notice_is_told_once_to_its_people(app: &TestApp) {
    floor(app).await;
    let now = jiff::Timestamp::now().to_string();
    let mut first = vec![event(
        "c1",
        "customer.created",
        "lan",
        &now,
        json!({"customer_id": "c1"}),
    )];
    first.extend(won_deal("o1", &now));
    assert_eq!(app.events(json!(first)).await["accepted"], 3);
    let lan_won = |mark| (NoticeKind::Milestone, "lan", "opportunities_won", mark);
    until_told(app, "lan", lan_won("50")).await;
    // The second deal passes 90 and 100 % at once: only 100 % is told.
    assert_eq!(app.events(json!(won_deal("o2", &now))).await["accepted"], 2);
    until_told(app, "lan", lan_won("100")).await;
    until_told(app, "lan", (NoticeKind::Leader, "lan", "", "leader")).await;

    // A deal moved to lost un-reaches 100 %; a third win reaches it again: not told again.
    let at = jiff::Timestamp::now().to_string();
    let lost = event(
        "o2-l",
        "opportunity.status_changed",
        "lan",
        &at,
        json!({"opportunity_id": "o2", "status": "lost"}),
    );
    assert_eq!(app.events(json!([lost])).await["accepted"], 1);
    some_rounds().await;
    assert_eq!(app.events(json!(won_deal("o3", &at))).await["accepted"], 2);
    // And a restart: another instance's finder starts knowing nothing.
    let _restarted = app.another_instance().await;
    some_rounds().await;
    let told = inbox(app, "lan").await;
    let milestones: Vec<_> = told
        .iter()
        .filter(|t| t.0 == NoticeKind::Milestone)
        .map(|t| t.3.as_str())
        .collect();
    assert_eq!(
        milestones,
        ["100", "50"],
        "each once, newest first: {told:?}"
    );
    let recorded = app.store.notices_after(0, 1_000).await.unwrap();
    let lan_marks: Vec<_> = recorded
        .iter()
        .map(|r| &r.notice.key)
        .filter(|k| k.kind == NoticeKind::Milestone && k.subject == Subject::User("lan".into()))
        .map(|k| k.mark.as_str())
        .collect();
    assert_eq!(
        lan_marks,
        ["50", "90", "100"],
        "90 % recorded quiet, so never told"
    );
    assert_eq!(
        told.iter().filter(|t| t.0 == NoticeKind::Leader).count(),
        1,
        "{told:?}"
    );
    // A supervisor hears of no member's milestone, the owner of nothing personal.
    assert!(
        inbox(app, "ha")
            .await
            .iter()
            .all(|t| t.0 != NoticeKind::Milestone)
    );
    assert!(inbox(app, "boss").await.is_empty());

    // Pace: checked from the time the organisation sets (here midnight), nam is behind
    // on both criteria, told to nam and to ha, who supervises nam's team.
    let session = sign_in(app, "boss").await;
    let saved = post_form(
        app,
        &session,
        "/notifications/settings",
        "milestones=50%2C+100&pace_check=00%3A00",
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let settings = json!(app.store.meta("notices").await.unwrap().unwrap());
    assert!(settings.to_string().contains("[50,100]"), "{settings}");
    until_told(app, "nam", (NoticeKind::Pace, "nam", "calls", "behind")).await;
    until_told(app, "ha", (NoticeKind::Pace, "nam", "calls", "behind")).await;

    // Yesterday's period closes (reading the results closes it, if the minute's round
    // has not): lan made 5 calls yesterday, so she achieved that criterion, not the other.
    app.get_ok("/api/v1/goals/chot/results").await;
    until_told(
        app,
        "lan",
        (NoticeKind::PeriodResult, "lan", "calls", "achieved"),
    )
    .await;
    until_told(
        app,
        "ha",
        (
            NoticeKind::PeriodResult,
            "lan",
            "opportunities_won",
            "missed",
        ),
    )
    .await;

    // The bell and the list, in lan's language (Vietnamese unless switched).
    let lan = sign_in(app, "lan").await;
    let unread = app.store.unread_notices("lan").await.unwrap();
    assert!(unread >= 5, "{unread}");
    let bell = get(app, &lan, "/notifications/bell")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        bell.contains(&format!(
            "<span class=\"count\" aria-hidden=\"true\">{unread}</span>"
        )),
        "{bell}"
    );
    let list = get(app, &lan, "/notifications").await.text().await.unwrap();
    // (The people of `person` are named by their ids.)
    assert!(
        list.contains("Chốt đơn: lan đạt 100 % mục tiêu Cơ hội bán hàng thành công ("),
        "{list}"
    );
    assert!(
        list.contains("href=\"/kpi?view=goal&#38;goal_id=chot&#38;from="),
        "{list}"
    );
    let read = post_form(app, &lan, "/notifications/read", "").await;
    assert_eq!(read.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.store.unread_notices("lan").await.unwrap(), 0);
    let bell = get(app, &lan, "/notifications/bell")
        .await
        .text()
        .await
        .unwrap();
    assert!(!bell.contains("class=\"count\""), "{bell}");
}

async fn only_managers_set_the_milestones(app: &TestApp) {
    floor(app).await;
    for (who, form, status) in [
        ("lan", "milestones=50&pace_check=10%3A00", 403),
        ("ha", "milestones=50&pace_check=10%3A00", 403),
        ("boss", "milestones=abc&pace_check=10%3A00", 422),
        ("boss", "milestones=50&pace_check=25%3A00", 422),
        ("boss", "milestones=0&pace_check=10%3A00", 422),
    ] {
        let session = sign_in(app, who).await;
        let answer = post_form(app, &session, "/notifications/settings", form).await;
        assert_eq!(answer.status().as_u16(), status, "{who} {form}");
    }
    assert!(
        app.store.meta("notices").await.unwrap().is_none(),
        "nothing was saved"
    );
    let boss = sign_in(app, "boss").await;
    let refused = post_form(
        app,
        &boss,
        "/notifications/settings",
        "milestones=50&pace_check=25%3A00",
    )
    .await;
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Giờ kiểm tra tiến độ: "),
        "the error names the field: {page}"
    );
    // Each role opens its own list; the settings form is for owners and admins.
    for (who, form) in [("lan", false), ("ha", false), ("boss", true)] {
        let page = get(app, &sign_in(app, who).await, "/notifications").await;
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(
            page.text().await.unwrap().contains("id=\"milestones\""),
            form,
            "{who}"
        );
    }
}

both!(
    each_notice_is_told_once_to_its_people,
    only_managers_set_the_milestones,
    the_api_reads_a_persons_notifications_and_their_choices,
    only_managers_change_settings_and_webhooks_through_the_api
);

/// A request with a JSON body (or none) as `token`: the status and the answer.
async fn send(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn the_api_reads_a_persons_notifications_and_their_choices(app: &TestApp) {
    use reqwest::Method;
    floor(app).await;
    let lan = app.token(tally_core::Role::Agent, Some("lan")).await;
    let now = jiff::Timestamp::now().to_string();
    let mut deal = vec![event(
        "c1",
        "customer.created",
        "lan",
        &now,
        json!({"customer_id": "c1"}),
    )];
    deal.extend(won_deal("o1", &now));
    assert_eq!(app.events(json!(deal)).await["accepted"], 3);
    until_told(
        app,
        "lan",
        (NoticeKind::Milestone, "lan", "opportunities_won", "50"),
    )
    .await;

    let (status, listed) = send(app, &lan, Method::GET, "/api/v1/notifications", None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let notices = listed["notifications"].as_array().unwrap();
    let milestone = notices
        .iter()
        .find(|n| n["kind"] == "milestone" && n["metric"] == "opportunities_won")
        .unwrap_or_else(|| panic!("{listed}"));
    assert_eq!(milestone["mark"], "50");
    assert_eq!(
        (milestone["actual"].as_str(), milestone["target"].as_str()),
        (Some("1"), Some("2"))
    );
    assert_eq!(
        milestone["subject"],
        json!({"kind": "user", "id": "lan", "name": "lan"})
    );
    assert_eq!(milestone["goal"], json!({"id": "chot", "name": "Chốt đơn"}));
    assert_eq!(milestone["read"], false);
    assert!(
        milestone["text"]["en"]
            .as_str()
            .unwrap()
            .starts_with("Chốt đơn: lan reached 50 % of the Won sales opportunities target"),
        "{milestone}"
    );
    assert!(listed["unread"].as_i64().unwrap() >= 1, "{listed}");
    let (status, read) = send(app, &lan, Method::POST, "/api/v1/notifications/read", None).await;
    assert_eq!((status, read), (StatusCode::OK, json!({"unread": 0})));
    let (_, listed) = send(app, &lan, Method::GET, "/api/v1/notifications", None).await;
    assert!(
        listed["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["read"] == true)
    );
    // Nobody's notifications: a token that acts for no one.
    for path in ["/api/v1/notifications", "/api/v1/notifications/email"] {
        let (status, _) = send(app, &app.owner, Method::GET, path, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let (status, _) = send(
        app,
        &app.owner,
        Method::POST,
        "/api/v1/notifications/read",
        None,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Email: what lan chooses is what the page shows, and bad choices name the field.
    let email = "/api/v1/notifications/email";
    let (_, chosen) = send(app, &lan, Method::GET, email, None).await;
    assert_eq!(chosen, json!({"kinds": [], "digest": false, "lang": "vi"}));
    let choice = json!({"kinds": ["milestone", "pace"], "digest": true, "lang": "en"});
    let (status, chosen) = send(app, &lan, Method::PUT, email, Some(choice.clone())).await;
    assert_eq!((status, chosen), (StatusCode::OK, choice));
    let page = get(app, &sign_in(app, "lan").await, "/notifications")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"name="digest" value="on" id="email-digest" checked"#),
        "{page}"
    );
    for (body, field) in [
        (
            json!({"kinds": ["gossip"], "digest": false, "lang": "en"}),
            "kinds",
        ),
        (
            json!({"kinds": "milestone", "digest": false, "lang": "en"}),
            "kinds",
        ),
        (
            json!({"kinds": [], "digest": "yes", "lang": "en"}),
            "digest",
        ),
        (json!({"kinds": [], "digest": false, "lang": "fr"}), "lang"),
        (
            json!({"kinds": [], "digest": false, "lang": "en", "sms": true}),
            "sms",
        ),
    ] {
        let (status, answer) = send(app, &lan, Method::PUT, email, Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }
}

async fn only_managers_change_settings_and_webhooks_through_the_api(app: &TestApp) {
    use reqwest::Method;
    use tally_core::Role;
    floor(app).await;
    let lan = app.token(Role::Agent, Some("lan")).await;
    let ha = app.token(Role::Supervisor, Some("ha")).await;
    let admin = app.token(Role::Admin, None).await;
    let settings = "/api/v1/notifications/settings";
    let (status, read) = send(app, &lan, Method::GET, settings, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        read,
        json!({"milestones": [50, 90, 100], "pace_check": "14:00", "digest_time": "07:30"})
    );
    let wanted = json!({"milestones": [100, 50], "pace_check": "15:30", "digest_time": "06:45"});
    for token in [&lan, &ha] {
        let (status, _) = send(app, token, Method::PUT, settings, Some(wanted.clone())).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, changed) = send(app, &admin, Method::PUT, settings, Some(wanted)).await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(
        changed,
        json!({"milestones": [50, 100], "pace_check": "15:30", "digest_time": "06:45"})
    );
    let (_, read) = send(app, &lan, Method::GET, settings, None).await;
    assert_eq!(read, changed);
    for (body, field) in [
        (
            json!({"milestones": "50", "pace_check": "15:30", "digest_time": "06:45"}),
            "milestones",
        ),
        (
            json!({"milestones": [0], "pace_check": "15:30", "digest_time": "06:45"}),
            "milestones",
        ),
        (
            json!({"milestones": [50], "pace_check": "25:00", "digest_time": "06:45"}),
            "pace_check",
        ),
        (
            json!({"milestones": [50], "pace_check": "15:30"}),
            "digest_time",
        ),
    ] {
        let (status, answer) = send(app, &admin, Method::PUT, settings, Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }

    // Webhooks: owners and admins only, reading and writing.
    let hook = json!({"url": "https://chat.example.vn/hook", "kinds": ["leader", "milestone"]});
    for token in [&lan, &ha] {
        let (status, _) = send(app, token, Method::GET, "/api/v1/webhooks", None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = send(
            app,
            token,
            Method::POST,
            "/api/v1/webhooks",
            Some(hook.clone()),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, made) = send(app, &admin, Method::POST, "/api/v1/webhooks", Some(hook)).await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert!(
        made["secret"].as_str().unwrap().starts_with("whsec_"),
        "{made}"
    );
    assert_eq!(made["kinds"], json!(["leader", "milestone"]));
    let one = format!("/api/v1/webhooks/{}", made["id"]);
    for token in [&lan, &ha] {
        let (status, _) = send(
            app,
            token,
            Method::PATCH,
            &one,
            Some(json!({"paused": true})),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, _) = send(app, token, Method::DELETE, &one, None).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (_, listed) = send(app, &app.owner, Method::GET, "/api/v1/webhooks", None).await;
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 1);
    assert!(
        listed[0].get("secret").is_none(),
        "the secret is shown once: {listed:?}"
    );
    assert_eq!(listed[0]["deliveries"], json!([]));
    let (status, paused) = send(
        app,
        &app.owner,
        Method::PATCH,
        &one,
        Some(json!({"paused": true})),
    )
    .await;
    assert_eq!(
        (status, &paused["paused"]),
        (StatusCode::OK, &json!(true)),
        "{paused}"
    );
    let (status, _) = send(app, &app.owner, Method::DELETE, &one, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(app, &app.owner, Method::DELETE, &one, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = send(
        app,
        &app.owner,
        Method::PATCH,
        "/api/v1/webhooks/abc",
        Some(json!({"paused": true})),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (body, field) in [
        (json!({"url": "ftp://x", "kinds": ["leader"]}), "url"),
        (json!({"url": "https://x.vn", "kinds": []}), "kinds"),
        (
            json!({"url": "https://x.vn", "kinds": ["leader"], "secret": "mine"}),
            "secret",
        ),
    ] {
        let (status, answer) = send(
            app,
            &app.owner,
            Method::POST,
            "/api/v1/webhooks",
            Some(body),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }
}
