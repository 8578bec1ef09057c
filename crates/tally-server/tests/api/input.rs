//! Input the server must bound, on both backends alike: NUL characters, times and
//! durations out of any sane range, search wildcards and huge searches, long result
//! lists, large or slow bodies (refused before they are read whole, and the role
//! checked before reading at all), and the headers every answer carries.

use crate::both;
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tally_core::Role;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

both!(
    a_nul_character_is_refused_alike_on_both_backends,
    times_and_durations_out_of_range_are_refused,
    search_words_are_literal_and_bounded,
    period_results_come_a_page_at_a_time,
    too_many_events_are_refused_at_the_first_one_over,
    the_role_is_checked_before_the_body_is_read,
    bodies_are_bounded_per_endpoint,
    a_file_of_junk_lists_a_hundred_problems_and_counts_the_rest,
    every_answer_says_nosniff,
);

fn call(id: &str) -> Value {
    json!({"id": id, "type": "call", "at": "2026-11-02T09:00:00+07:00", "user_id": "lan",
           "direction": "outbound", "answered": true, "talk_seconds": 60})
}

/// The (index, field, code) of each rejected event of an ingest answer.
fn rejected(result: &Value) -> Vec<(i64, String, String)> {
    result["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["index"].as_i64().unwrap(),
                r["field"].as_str().unwrap().to_owned(),
                r["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn a_nul_character_is_refused_alike_on_both_backends(app: &TestApp) {
    app.user("lan", "Lan").await;
    let mut nul_id = call("x");
    nul_id["id"] = json!("pg-nul\u{0}x");
    let mut nul_customer = call("nul-customer");
    nul_customer["customer_id"] = json!("c\u{0}");
    let result = app
        .events(json!([call("ok-1"), nul_id, nul_customer]))
        .await;
    assert_eq!(result["accepted"], 1, "{result}");
    assert_eq!(
        rejected(&result),
        [
            (1, "id".into(), "invalid_field".into()),
            (2, "customer_id".into(), "invalid_field".into())
        ]
    );
    assert_eq!(
        app.get_as(&app.owner, "/api/v1/users/a%00b").await.status(),
        StatusCode::NOT_FOUND
    );
    let search = app.get_as(&app.owner, "/api/v1/customers?q=%00").await;
    assert_eq!(search.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(search.json::<Value>().await.unwrap()["error"]["field"], "q");
    let name = json!({"id": "nul-user", "name": "A\u{0}B", "role": "agent"});
    let response = app.post_as(&app.owner, "/api/v1/users", &name).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A page's form too (an API token's name, on the admin page).
    crate::sessions::person(app, "boss", "owner").await;
    let session = crate::sessions::sign_in(app, "boss").await;
    let form = app
        .client
        .post(format!("{}/admin/tokens", app.base))
        .header("cookie", format!("tally_session={session}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=pbx%00x&role=agent")
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let sign_in = app
        .client
        .post(format!("{}/login", app.base))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=a%00b%40example.vn&password=whatever-long")
        .send()
        .await
        .unwrap();
    // Refused as the other forms are, naming the field, before any account is looked up.
    assert_eq!(sign_in.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(sign_in.text().await.unwrap().contains("email"));
    // A call record with a NUL in its number: refused, the good one counted.
    let csv = "\"\",\"0901234567\",\"201\",\"c\",\"\",\"PJSIP/trunk-1\",\"PJSIP/201-2\",\"Dial\",\"\",\"2026-11-02 08:30:05\",\"2026-11-02 08:30:12\",\"2026-11-02 08:34:52\",287,280,\"ANSWERED\",\"DOCUMENTATION\",\"1778463005.18\",\"\"\n";
    let body = format!(
        "{csv}{}",
        csv.replace("05.18", "05.19")
            .replace("\"0901234567\"", "\"09012\u{0}34567\"")
    );
    let users = json!({"extension": "201"});
    let response = app
        .client
        .patch(format!("{}/api/v1/users/lan", app.base))
        .bearer_auth(&app.owner)
        .json(&users)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let response = app
        .client
        .post(format!("{}/api/v1/calls/asterisk", app.base))
        .bearer_auth(&app.owner)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let summary: Value = response.json().await.unwrap();
    assert_eq!(
        (
            summary["counted"].as_i64(),
            summary["rejected_total"].as_i64()
        ),
        (Some(1), Some(1)),
        "{summary}"
    );
    assert_eq!(summary["rejected"][0]["field"], "caller");
    // The server still answers: nothing broke on the way.
    assert_eq!(
        app.user_values("lan", "2026-11-02", "2026-11-02").await["calls"],
        2
    );
}

async fn times_and_durations_out_of_range_are_refused(app: &TestApp) {
    app.user("lan", "Lan").await;
    let mut events = Vec::new();
    for (i, at) in [
        "0001-01-01T00:00:00Z",
        "2100-01-01T00:00:00Z",
        "2026-11-02T09:00:00+25:00",
    ]
    .iter()
    .enumerate()
    {
        let mut event = call(&format!("t{i}"));
        event["at"] = json!(at);
        events.push(event);
    }
    let mut year = call("year");
    year["talk_seconds"] = json!(365 * 24 * 3600);
    events.push(year);
    events.push(call("fine"));
    let result = app.events(Value::Array(events)).await;
    assert_eq!(result["accepted"], 1, "{result}");
    let fields: Vec<String> = rejected(&result).into_iter().map(|(_, f, _)| f).collect();
    assert_eq!(fields, ["at", "at", "at", "talk_seconds"]);
}

async fn search_words_are_literal_and_bounded(app: &TestApp) {
    app.user("lan", "Lan").await;
    let lan = app.token(Role::Agent, Some("lan")).await;
    for (id, name) in [
        ("a", "Giảm 50% phí"),
        ("b", "Trần Thị Bình"),
        ("c", "snake_case Co"),
    ] {
        let response = app
            .post_as(&lan, "/api/v1/customers", &json!({"id": id, "name": name}))
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let ids = |page: Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(app.get_ok("/api/v1/customers?q=%25").await), ["a"]);
    assert_eq!(ids(app.get_ok("/api/v1/customers?q=_").await), ["c"]);
    assert_eq!(ids(app.get_ok("/api/v1/customers?q=50%25").await), ["a"]);
    let long = vec!["từ"; 1_000].join("+");
    let response = app
        .get_as(&app.owner, &format!("/api/v1/customers?q={long}"))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.json::<Value>().await.unwrap()["error"]["field"],
        "q"
    );
}

async fn period_results_come_a_page_at_a_time(app: &TestApp) {
    app.user("lan", "Lan").await;
    app.user("nam", "Nam").await;
    let starts = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * 31);
    let starts = starts
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap())
        .date();
    let goal = json!({"id": "daily", "name": "Daily", "starts_on": starts.to_string(),
        "ends_on": starts.checked_add(jiff::Span::new().days(29)).unwrap().to_string(),
        "criteria": [{"metric": "calls", "target": 5, "period": "day"}],
        "assignees": [{"user_id": "lan"}, {"user_id": "nam"}]});
    app.post_ok("/api/v1/goals", &goal, StatusCode::CREATED)
        .await;
    let all = app.get_ok("/api/v1/goals/daily/results?limit=10").await;
    assert_eq!(
        (
            all["total"].as_i64(),
            all["results"].as_array().unwrap().len()
        ),
        (Some(60), 10)
    );
    let last = app
        .get_ok("/api/v1/goals/daily/results?limit=25&offset=50")
        .await;
    assert_eq!(last["results"].as_array().unwrap().len(), 10);
    assert_eq!(last["results"][9]["user_id"], "nam");
    let lan = app.token(Role::Agent, Some("lan")).await;
    let own: Value = app
        .get_as(&lan, "/api/v1/goals/daily/results")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(own["total"], 30);
    let too_many = app
        .get_as(&app.owner, "/api/v1/goals/daily/results?limit=100000")
        .await;
    assert_eq!(too_many.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

async fn too_many_events_are_refused_at_the_first_one_over(app: &TestApp) {
    // Ten million tiny values (20 MB): refused at the 10,001st, nothing stored.
    let body = format!("[{}0]", "0,".repeat(10_000_000));
    let response = app
        .client
        .post(format!("{}/api/v1/events", app.base))
        .bearer_auth(&app.owner)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let message = response.json::<Value>().await.unwrap()["error"]["message"].clone();
    assert!(
        message.as_str().unwrap().contains("10000 events"),
        "{message}"
    );
}

/// Sends only the headers of a request that announces a large body, and returns the
/// status line the server answers with before any byte of the body is sent.
async fn answer_to_headers_alone(app: &TestApp, token: &str, path: &str) -> String {
    let address = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {address}\r\nauthorization: Bearer {token}\r\n\
         content-type: application/json\r\ncontent-length: 60000000\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("the server answers without waiting for the body")
        .unwrap();
    String::from_utf8_lossy(&answer[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn the_role_is_checked_before_the_body_is_read(app: &TestApp) {
    let wallboard = app.token(Role::Agent, None).await;
    for path in [
        "/api/v1/events",
        "/api/v1/calls/asterisk",
        "/api/v1/calls/freeswitch",
    ] {
        let status = answer_to_headers_alone(app, &wallboard, path).await;
        assert!(status.contains("403"), "{path}: {status}");
    }
    let status = answer_to_headers_alone(app, "tally_wrong", "/api/v1/events").await;
    assert!(status.contains("401"), "{status}");
    // An allowed caller announcing more than the limit is refused at once too.
    let mut stream = tokio::net::TcpStream::connect(app.base.trim_start_matches("http://"))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/events HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
         content-length: 100000000\r\n\r\n",
        app.owner
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&answer[..n]).starts_with("HTTP/1.1 413"));
}

/// The status line of a POST whose head and first bytes of body are sent as given and
/// nothing more: what the server answers once it has read them.
async fn answer_to(app: &TestApp, head: &str, body: &[u8]) -> String {
    let address = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut answer = vec![0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut answer))
        .await
        .expect("an answer")
        .unwrap();
    String::from_utf8_lossy(&answer[..n])
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn bodies_are_bounded_per_endpoint(app: &TestApp) {
    let auth = format!("authorization: Bearer {}", app.owner);
    for path in ["/api/v1/users", "/api/v1/calls/freeswitch", "/api/v1/goals"] {
        // Declared larger than 1 MiB: refused before any of it is read.
        let head =
            format!("POST {path} HTTP/1.1\r\nhost: x\r\n{auth}\r\ncontent-length: 2097152\r\n\r\n");
        let status = answer_to(app, &head, b"").await;
        assert!(status.contains("413"), "{path}: {status}");
    }
    // Not declared (chunked): refused as soon as more than 1 MiB arrived.
    let head = format!(
        "POST /api/v1/users HTTP/1.1\r\nhost: x\r\n{auth}\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    let size = 1024 * 1024 + 1;
    let mut chunk = format!("{size:x}\r\n").into_bytes();
    chunk.extend(std::iter::repeat_n(b' ', size));
    chunk.extend(b"\r\n");
    let status = answer_to(app, &head, &chunk).await;
    assert!(status.contains("413"), "{status}");
    // A body within the limit is read as usual.
    let user = json!({"name": "x".repeat(300), "role": "agent"});
    let response = app.post_as(&app.owner, "/api/v1/users", &user).await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a 300-character name, read and refused"
    );
}

async fn a_file_of_junk_lists_a_hundred_problems_and_counts_the_rest(app: &TestApp) {
    let junk = "a\n".repeat(5_000);
    let response = app
        .client
        .post(format!("{}/api/v1/calls/asterisk", app.base))
        .bearer_auth(&app.owner)
        .body(junk)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let summary: Value = response.json().await.unwrap();
    assert_eq!(summary["read"], 5_000);
    assert_eq!(summary["rejected_total"], 5_000);
    assert_eq!(summary["rejected"].as_array().unwrap().len(), 100);
    assert_eq!(summary["rejected"][99]["record"], "line 100");
}

async fn every_answer_says_nosniff(app: &TestApp) {
    for path in [
        "/api/v1/metrics",
        "/api/v1/no-such-thing",
        "/healthz",
        "/login",
        "/assets/app.js",
    ] {
        let response = app.get_as(&app.owner, path).await;
        assert_eq!(
            response
                .headers()
                .get("x-content-type-options")
                .map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{path}"
        );
    }
    let unauthorized = app
        .client
        .get(format!("{}/api/v1/users", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.headers()["x-content-type-options"], "nosniff");
}
