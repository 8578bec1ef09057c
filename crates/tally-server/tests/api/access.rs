//! Who may write what: tokens act with their person's current role and status; a
//! supervisor writes events, call records and CRM records only for the people of their
//! teams; the current owner of a record (and those above them) decides about it; an
//! event that moves a CRM record moves the record too. What limited callers are not
//! shown is in `sight.rs`.

use crate::both;
use crate::helpers::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tally_core::Role;

both!(
    a_deactivated_persons_token_stops_working,
    a_demoted_persons_token_loses_the_old_role,
    a_supervisor_writes_events_only_for_their_teams,
    an_event_that_moves_a_crm_record_moves_the_record,
    the_current_owner_decides_about_a_record,
    an_agent_logs_only_todays_activities,
    a_supervisor_posts_call_records_only_for_their_teams,
    a_crm_change_outranks_an_event_dated_ahead,
    a_body_finished_after_a_deactivation_or_demotion_is_refused,
);

pub async fn send(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
) -> (StatusCode, Value) {
    let response = app
        .client
        .request(method, format!("{}{path}", app.base))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

pub async fn status_of(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Value,
) -> StatusCode {
    send(app, token, method, path, body).await.0
}

fn call(id: &str, user: &str) -> Value {
    json!({"id": id, "type": "call", "at": "2026-11-02T09:00:00+07:00", "user_id": user,
           "direction": "outbound", "answered": true, "talk_seconds": 60})
}

/// Teams north (lan, minh) and south (nam); sup supervises north; boss is an admin.
pub async fn floor(app: &TestApp) {
    for (id, role) in [
        ("lan", Role::Agent),
        ("minh", Role::Agent),
        ("nam", Role::Agent),
        ("sup", Role::Supervisor),
        ("boss", Role::Admin),
    ] {
        app.user_as(id, id, role).await;
    }
    for (team, members) in [("north", ["lan", "minh"].as_slice()), ("south", &["nam"])] {
        app.post_ok(
            "/api/v1/teams",
            &json!({"id": team, "name": team}),
            StatusCode::CREATED,
        )
        .await;
        for user in members {
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
        "/api/v1/teams/north/supervisors",
        &json!({"user_id": "sup"}),
        StatusCode::CREATED,
    )
    .await;
}

async fn a_deactivated_persons_token_stops_working(app: &TestApp) {
    floor(app).await;
    let minh = app.token(Role::Agent, Some("minh")).await;
    let customer = json!({"id": "c1", "name": "An Phát", "email": "an@example.vn"});
    assert_eq!(
        status_of(app, &minh, Method::POST, "/api/v1/customers", customer).await,
        StatusCode::CREATED
    );
    let off = json!({"active": false});
    app.client
        .patch(format!("{}/api/v1/users/minh", app.base))
        .bearer_auth(&app.owner)
        .json(&off)
        .send()
        .await
        .unwrap();
    for (method, path, body) in [
        (Method::POST, "/api/v1/customers", json!({"name": "Again"})),
        (Method::GET, "/api/v1/customers", Value::Null),
        (Method::GET, "/api/v1/customers/c1", Value::Null),
        (Method::GET, "/api/v1/reports/users", Value::Null),
    ] {
        let (status, body) = send(app, &minh, method.clone(), path, body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("deactivated")
        );
    }
    // Back at work, the same token works again (it was never revoked).
    let on = json!({"active": true});
    app.client
        .patch(format!("{}/api/v1/users/minh", app.base))
        .bearer_auth(&app.owner)
        .json(&on)
        .send()
        .await
        .unwrap();
    assert_eq!(
        app.get_as(&minh, "/api/v1/customers/c1").await.status(),
        StatusCode::OK
    );
}

async fn a_demoted_persons_token_loses_the_old_role(app: &TestApp) {
    floor(app).await;
    let sup = app.token(Role::Supervisor, Some("sup")).await;
    let boss = app.token(Role::Admin, Some("boss")).await;
    let (status, result) = send(
        app,
        &sup,
        Method::POST,
        "/api/v1/events",
        json!([call("e1", "lan")]),
    )
    .await;
    assert_eq!(
        (status, result["accepted"].as_i64()),
        (StatusCode::OK, Some(1))
    );
    let rows = |report: Value| -> Vec<String> {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["user_id"].as_str().unwrap().to_owned())
            .collect()
    };
    let report = app
        .get_as(&sup, "/api/v1/reports/users?period=this_month")
        .await;
    assert_eq!(rows(report.json().await.unwrap()), ["lan", "minh", "sup"]);
    for (id, role) in [("sup", "agent"), ("boss", "agent")] {
        let response = app
            .client
            .patch(format!("{}/api/v1/users/{id}", app.base))
            .bearer_auth(&app.owner)
            .json(&json!({"role": role}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    // Now an agent: no events, and only their own row (they are in no team).
    let (status, _) = send(
        app,
        &sup,
        Method::POST,
        "/api/v1/events",
        json!([call("e2", "lan")]),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let report = app
        .get_as(&sup, "/api/v1/reports/users?period=this_month")
        .await;
    assert_eq!(rows(report.json().await.unwrap()), ["sup"]);
    let user = json!({"id": "x", "name": "X", "role": "agent"});
    assert_eq!(
        status_of(app, &boss, Method::POST, "/api/v1/users", user).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        status_of(
            app,
            &boss,
            Method::POST,
            "/api/v1/teams",
            json!({"name": "T"})
        )
        .await,
        StatusCode::FORBIDDEN
    );
    let metric = json!({"key": "late_admin", "name_vi": "a", "name_en": "a",
        "of": "events", "events": ["call"], "aggregate": "count"});
    assert_eq!(
        status_of(app, &boss, Method::POST, "/api/v1/metrics", metric).await,
        StatusCode::FORBIDDEN
    );
}

async fn a_supervisor_writes_events_only_for_their_teams(app: &TestApp) {
    floor(app).await;
    let owner_events = json!([
        {"id": "cs", "type": "customer.created", "at": "2026-11-02T09:00:00+07:00", "user_id": "nam", "customer_id": "c-s"},
        {"id": "os", "type": "opportunity.created", "at": "2026-11-02T09:00:00+07:00", "user_id": "nam", "opportunity_id": "o-t2", "customer_id": "c-s", "amount": 900},
        {"id": "ow", "type": "opportunity.status_changed", "at": "2026-11-02T10:00:00+07:00", "user_id": "nam", "opportunity_id": "o-t2", "status": "won"},
    ]);
    assert_eq!(app.events(owner_events).await["accepted"], 3);
    let sup = app.token(Role::Supervisor, Some("sup")).await;
    let batch = json!([
        {"id": "steal", "type": "opportunity.updated", "at": "2026-11-03T09:00:00+07:00", "user_id": "sup", "opportunity_id": "o-t2", "owner_id": "sup"},
        {"id": "lose", "type": "opportunity.status_changed", "at": "2026-11-03T09:00:00+07:00", "user_id": "sup", "opportunity_id": "o-t2", "status": "lost"},
        call("for-the-admin", "boss"),
        {"id": "give", "type": "customer.created", "at": "2026-11-03T09:00:00+07:00", "user_id": "lan", "customer_id": "c-n", "owner_id": "nam"},
        call("for-lan", "lan"),
        call("own", "sup"),
    ]);
    let (status, result) = send(app, &sup, Method::POST, "/api/v1/events", batch).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(result["accepted"], 2, "{result}");
    let refused: Vec<(i64, &str, &str)> = result["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["index"].as_i64().unwrap(),
                r["code"].as_str().unwrap(),
                r["field"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        refused,
        [
            (0, "forbidden", "opportunity_id"),
            (1, "forbidden", "opportunity_id"),
            (2, "forbidden", "user_id"),
            (3, "forbidden", "owner_id"),
        ]
    );
    let nam = app.user_values("nam", "2026-11-01", "2026-11-30").await;
    assert_eq!(
        (nam["revenue"].as_str(), nam["opportunities_won"].as_i64()),
        (Some("900"), Some(1))
    );
    assert_eq!(
        app.user_values("boss", "2026-11-01", "2026-11-30").await["calls"],
        0
    );
    assert_eq!(
        app.user_values("lan", "2026-11-01", "2026-11-30").await["calls"],
        1
    );
    // An integration's token bound to nobody writes for anyone.
    let pbx = app.token(Role::Supervisor, None).await;
    let (_, result) = send(
        app,
        &pbx,
        Method::POST,
        "/api/v1/events",
        json!([call("pbx-1", "boss")]),
    )
    .await;
    assert_eq!(result["accepted"], 1, "{result}");
}

async fn an_event_that_moves_a_crm_record_moves_the_record(app: &TestApp) {
    floor(app).await;
    let boss = app.token(Role::Admin, Some("boss")).await;
    let lan = app.token(Role::Agent, Some("lan")).await;
    let created = [
        ("/api/v1/customers", json!({"id": "c1", "name": "An Phát"})),
        (
            "/api/v1/opportunities",
            json!({"id": "o1", "title": "Hợp đồng", "customer_id": "c1", "amount": 5000}),
        ),
        ("/api/v1/todos", json!({"id": "t1", "title": "Gọi lại"})),
    ];
    for (path, body) in created {
        assert_eq!(
            status_of(app, &lan, Method::POST, path, body).await,
            StatusCode::CREATED
        );
    }
    let at = jiff::Timestamp::now().to_string();
    let moves = json!([
        {"id": "m1", "type": "opportunity.status_changed", "at": at, "user_id": "boss", "opportunity_id": "o1", "status": "won"},
        {"id": "m2", "type": "opportunity.updated", "at": at, "user_id": "boss", "opportunity_id": "o1", "owner_id": "minh", "amount": 7000},
        {"id": "m3", "type": "customer.updated", "at": at, "user_id": "boss", "customer_id": "c1", "owner_id": "minh"},
        {"id": "m4", "type": "todo.completed", "at": at, "user_id": "lan", "todo_id": "t1"},
    ]);
    let (_, result) = send(app, &boss, Method::POST, "/api/v1/events", moves).await;
    assert_eq!(result["accepted"], 4, "{result}");
    let opportunity = app.get_ok("/api/v1/opportunities/o1").await;
    assert_eq!(
        (
            &opportunity["status"],
            &opportunity["owner_id"],
            &opportunity["amount"]
        ),
        (&json!("won"), &json!("minh"), &json!("7000"))
    );
    assert_eq!(app.get_ok("/api/v1/customers/c1").await["owner_id"], "minh");
    assert_eq!(app.get_ok("/api/v1/todos/t1").await["done"], true);
    // The list filters by the new owner too.
    let mine = app.get_ok("/api/v1/opportunities?owner_id=minh").await;
    assert_eq!(mine["total"], 1);
    // A late event (older than the CRM's own change) does not move the record back.
    let late = json!([{"id": "m5", "type": "opportunity.status_changed", "at": "2026-11-02T09:00:00+07:00",
        "user_id": "boss", "opportunity_id": "o1", "status": "lost"}]);
    assert_eq!(app.events(late).await["accepted"], 1);
    assert_eq!(
        app.get_ok("/api/v1/opportunities/o1").await["status"],
        "won"
    );
    let day = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap())
        .date()
        .to_string();
    assert_eq!(app.user_values("minh", &day, &day).await["revenue"], "7000");
}

async fn the_current_owner_decides_about_a_record(app: &TestApp) {
    floor(app).await;
    let lan = app.token(Role::Agent, Some("lan")).await;
    let sup = app.token(Role::Supervisor, Some("sup")).await;
    let opportunity = json!({"id": "o1", "title": "Deal", "customer_id": "c1", "amount": 1000});
    assert_eq!(
        status_of(
            app,
            &lan,
            Method::POST,
            "/api/v1/customers",
            json!({"id": "c1", "name": "C"})
        )
        .await,
        StatusCode::CREATED
    );
    assert_eq!(
        status_of(
            app,
            &lan,
            Method::POST,
            "/api/v1/opportunities",
            opportunity
        )
        .await,
        StatusCode::CREATED
    );
    let moved = json!({"owner_id": "minh", "status": "won"});
    assert_eq!(
        status_of(app, &sup, Method::PATCH, "/api/v1/opportunities/o1", moved).await,
        StatusCode::OK
    );
    // Its creator no longer decides about it.
    let lost = json!({"status": "lost"});
    assert_eq!(
        status_of(
            app,
            &lan,
            Method::PATCH,
            "/api/v1/opportunities/o1",
            lost.clone()
        )
        .await,
        StatusCode::FORBIDDEN
    );
    let day = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap())
        .date()
        .to_string();
    assert_eq!(app.user_values("minh", &day, &day).await["revenue"], "1000");
    // A supervisor of other teams does not either; nor may one give a deal outside theirs.
    app.user_as("sue", "sue", Role::Supervisor).await;
    app.post_ok(
        "/api/v1/teams/south/supervisors",
        &json!({"user_id": "sue"}),
        StatusCode::CREATED,
    )
    .await;
    let sue = app.token(Role::Supervisor, Some("sue")).await;
    assert_eq!(
        status_of(app, &sue, Method::PATCH, "/api/v1/opportunities/o1", lost).await,
        StatusCode::FORBIDDEN
    );
    let to_nam = json!({"owner_id": "nam"});
    assert_eq!(
        status_of(app, &sup, Method::PATCH, "/api/v1/opportunities/o1", to_nam).await,
        StatusCode::FORBIDDEN
    );
    // Agents create only their own records.
    for (path, body) in [
        (
            "/api/v1/customers",
            json!({"name": "X", "owner_id": "minh"}),
        ),
        (
            "/api/v1/opportunities",
            json!({"title": "X", "customer_id": "c1", "amount": 1, "owner_id": "minh"}),
        ),
        (
            "/api/v1/todos",
            json!({"title": "X", "assignee_id": "minh"}),
        ),
    ] {
        assert_eq!(
            status_of(app, &lan, Method::POST, path, body).await,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(app.get_ok("/api/v1/customers").await["total"], 1);
}

async fn an_agent_logs_only_todays_activities(app: &TestApp) {
    floor(app).await;
    let lan = app.token(Role::Agent, Some("lan")).await;
    let sup = app.token(Role::Supervisor, Some("sup")).await;
    assert_eq!(
        status_of(
            app,
            &lan,
            Method::POST,
            "/api/v1/customers",
            json!({"id": "c1", "name": "C"})
        )
        .await,
        StatusCode::CREATED
    );
    let yesterday = (jiff::Timestamp::now() - jiff::SignedDuration::from_hours(30)).to_string();
    let meeting = json!({"customer_id": "c1", "at": yesterday, "held": true});
    let message = json!({"channel": "sms", "direction": "sent", "delivered": true, "customer_id": "c1", "at": yesterday});
    for (path, body) in [
        ("/api/v1/meetings", &meeting),
        ("/api/v1/messages", &message),
    ] {
        let (status, error) = send(app, &lan, Method::POST, path, body.clone()).await;
        assert_eq!(
            (status, error["error"]["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("at")),
            "{path}"
        );
        assert_eq!(
            status_of(app, &sup, Method::POST, path, body.clone()).await,
            StatusCode::CREATED,
            "{path}"
        );
    }
    let now = jiff::Timestamp::now().to_string();
    let today = json!({"customer_id": "c1", "at": now, "held": true});
    assert_eq!(
        status_of(app, &lan, Method::POST, "/api/v1/meetings", today).await,
        StatusCode::CREATED
    );
    // Nor by marking an old meeting held later: it would count on its own, past day.
    let meeting = json!({"id": "m-old", "customer_id": "c1", "at": yesterday, "title": "", "held": false, "owner_id": "lan"});
    let old = tally_store::CrmRecord {
        kind: "meeting".into(),
        id: "m-old".into(),
        customer_id: Some("c1".into()),
        owner_id: Some("lan".into()),
        sort_name: String::new(),
        search: String::new(),
        body: meeting.to_string(),
        created_at: 1,
        updated_at: 1,
    };
    let write = tally_store::CrmWrite {
        records: vec![old],
        ..tally_store::CrmWrite::default()
    };
    let org = tally_server::Settings::default()
        .data
        .organization()
        .unwrap();
    app.store
        .ingest_with(&org, Vec::new(), &write, None)
        .await
        .unwrap();
    let (status, error) = send(
        app,
        &lan,
        Method::PATCH,
        "/api/v1/meetings/m-old",
        json!({"held": true}),
    )
    .await;
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("at"))
    );
    assert_eq!(
        status_of(
            app,
            &sup,
            Method::PATCH,
            "/api/v1/meetings/m-old",
            json!({"held": true})
        )
        .await,
        StatusCode::OK
    );
    let ancient = json!({"customer_id": "c1", "at": "2001-01-01T09:00:00+07:00", "held": true});
    assert_eq!(
        status_of(app, &sup, Method::POST, "/api/v1/meetings", ancient).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn a_supervisor_posts_call_records_only_for_their_teams(app: &TestApp) {
    floor(app).await;
    for (user, extension) in [("lan", "201"), ("nam", "301")] {
        let response = app
            .client
            .patch(format!("{}/api/v1/users/{user}", app.base))
            .bearer_auth(&app.owner)
            .json(&json!({"extension": extension}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    let sup = app.token(Role::Supervisor, Some("sup")).await;
    let line = |extension: &str, uid: &str| {
        format!(
            "\"\",\"{extension}\",\"0912345678\",\"c\",\"\",\"PJSIP/{extension}-1\",\"PJSIP/trunk-2\",\"Dial\",\"\",\"2026-11-02 08:30:05\",\"2026-11-02 08:30:12\",\"2026-11-02 08:34:52\",287,280,\"ANSWERED\",\"DOCUMENTATION\",\"{uid}\",\"\"\n"
        )
    };
    let body = format!(
        "{}{}",
        line("201", "1778463005.1"),
        line("301", "1778463005.2")
    );
    let response = app
        .client
        .post(format!("{}/api/v1/calls/asterisk", app.base))
        .bearer_auth(&sup)
        .body(body)
        .send()
        .await
        .unwrap();
    let summary: Value = response.json().await.unwrap();
    assert_eq!(
        (
            summary["counted"].as_i64(),
            summary["rejected_total"].as_i64()
        ),
        (Some(1), Some(1)),
        "{summary}"
    );
    assert_eq!(summary["rejected"][0]["field"], "user_id");
    assert_eq!(
        app.user_values("nam", "2026-11-02", "2026-11-02").await["calls"],
        0
    );
    let cdr = json!({"variables": {"uuid": "fs-1", "start_epoch": "1793500000", "answer_epoch": "1793500005",
        "end_epoch": "1793500065", "billsec": "60", "caller_id_number": "301", "destination_number": "0912345678"}});
    let response = app
        .client
        .post(format!("{}/api/v1/calls/freeswitch", app.base))
        .bearer_auth(&sup)
        .body(cdr.to_string())
        .send()
        .await
        .unwrap();
    let summary: Value = response.json().await.unwrap();
    assert_eq!(summary["rejected"][0]["field"], "user_id", "{summary}");
}

/// An integration whose clock runs ahead dates a reassignment minutes on; an admin's
/// reassignment in the CRM right after is still the current owner, for the record and
/// the KPIs alike, and the supervisor of the old owner's team may no longer change it.
async fn a_crm_change_outranks_an_event_dated_ahead(app: &TestApp) {
    floor(app).await;
    let boss = app.token(Role::Admin, Some("boss")).await;
    let lan = app.token(Role::Agent, Some("lan")).await;
    let sup = app.token(Role::Supervisor, Some("sup")).await;
    let opportunity = json!({"id": "o1", "title": "Hợp đồng", "customer_id": "c1", "amount": 5000});
    for (path, body) in [
        ("/api/v1/customers", json!({"id": "c1", "name": "An Phát"})),
        ("/api/v1/opportunities", opportunity),
    ] {
        assert_eq!(
            status_of(app, &lan, Method::POST, path, body).await,
            StatusCode::CREATED
        );
    }
    let ahead = (jiff::Timestamp::now() + jiff::SignedDuration::from_mins(10)).to_string();
    let pinned = json!([{"id": "p1", "type": "opportunity.updated", "at": ahead, "user_id": "boss",
        "opportunity_id": "o1", "owner_id": "lan"}]);
    assert_eq!(app.events(pinned).await["accepted"], 1);
    let (status, record) = send(
        app,
        &boss,
        Method::PATCH,
        "/api/v1/opportunities/o1",
        json!({"owner_id": "nam", "status": "won"}),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{record}");
    assert_eq!(
        app.get_ok("/api/v1/opportunities/o1").await["owner_id"],
        "nam"
    );
    let day = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap())
        .date()
        .to_string();
    assert_eq!(app.user_values("nam", &day, &day).await["revenue"], "5000");
    assert_eq!(app.user_values("lan", &day, &day).await["revenue"], "0");
    let (status, refused) = send(
        app,
        &sup,
        Method::PATCH,
        "/api/v1/opportunities/o1",
        json!({"amount": "999000"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{refused}");
}

/// Starts a request whose body arrives later: its headers and the first half of the
/// body now, the stream to send the rest on.
async fn half_sent(app: &TestApp, token: &str, path: &str, body: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let address = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{}",
        body.len(),
        &body[..body.len() / 2]
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// Sends the rest of `body` and reads the answer's status line.
async fn finish(mut stream: tokio::net::TcpStream, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    stream
        .write_all(&body.as_bytes()[body.len() / 2..])
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer.lines().next().unwrap_or_default().to_owned()
}

/// A body takes time to arrive; the person sending it may be deactivated or demoted
/// meanwhile. The request is judged by who they are when it has arrived.
async fn a_body_finished_after_a_deactivation_or_demotion_is_refused(app: &TestApp) {
    floor(app).await;
    let sup = app.token(Role::Supervisor, Some("sup")).await;
    let minh = app.token(Role::Agent, Some("minh")).await;
    let customer = r#"{"id": "late", "name": "Gửi chậm"}"#;
    let team = r#"{"id": "late-team", "name": "Muộn"}"#;
    let as_minh = half_sent(app, &minh, "/api/v1/customers", customer).await;
    let as_boss_token = app.token(Role::Admin, Some("boss")).await;
    let as_boss = half_sent(app, &as_boss_token, "/api/v1/teams", team).await;
    let as_sup = half_sent(app, &sup, "/api/v1/customers", customer).await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    for (user, change) in [
        ("minh", json!({"active": false})),
        ("boss", json!({"role": "agent"})),
    ] {
        let changed = app
            .client
            .patch(format!("{}/api/v1/users/{user}", app.base))
            .bearer_auth(&app.owner)
            .json(&change)
            .send()
            .await
            .unwrap();
        assert_eq!(changed.status(), StatusCode::OK);
    }
    assert!(finish(as_minh, customer).await.contains(" 401 "));
    assert!(finish(as_boss, team).await.contains(" 403 "));
    // Nothing of theirs was stored; a person unchanged meanwhile is served.
    assert_eq!(
        app.get_as(&app.owner, "/api/v1/teams/late-team")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert!(finish(as_sup, customer).await.contains(" 201 "));
    let created = app.get_ok("/api/v1/customers/late").await;
    assert_eq!(created["created_by"], "sup");
}
