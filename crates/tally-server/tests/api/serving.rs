//! The server as operators see it: idle and trickling connections are closed by the
//! time limits, a stop ends open live streams and finishes, `/healthz`, `/readyz` and
//! `/metrics`.

use crate::both;
use crate::helpers::{Backend, TestApp, spawn_app_with, start};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tally_core::Role;
use tally_server::Limits;
use tally_store::testing::TestDb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

both!(ready_once_loaded_and_metrics_for_managers);

/// Short limits, so that the tests of idle connections take a second or two.
fn short() -> Limits {
    Limits {
        header_read: Duration::from_secs(1),
        body_idle: Duration::from_secs(1),
        body_total: Duration::from_secs(3),
        shutdown_grace: Duration::from_secs(3),
        ..Limits::default()
    }
}

/// Reads until the server closes the connection (or `patience` passes); what it sent.
async fn until_closed(stream: &mut TcpStream, patience: Duration) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(patience, stream.read_to_end(&mut received)).await;
    read.ok()
        .map(|_| String::from_utf8_lossy(&received).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_trickling_connections_are_closed() {
    let app = spawn_app_with(Backend::Sqlite, short()).await;
    let address = app.base.trim_start_matches("http://").to_owned();
    // Silent connections, a hundred of them: closed after the header limit.
    let mut silent = Vec::new();
    for _ in 0..100 {
        silent.push(TcpStream::connect(&address).await.unwrap());
    }
    for stream in &mut silent {
        assert!(until_closed(stream, Duration::from_secs(5)).await.is_some());
    }
    // Headers a byte at a time: cut off too.
    let mut trickle = TcpStream::connect(&address).await.unwrap();
    let started = Instant::now();
    for byte in b"GET /healthz HTTP/1.1\r\nhost: x\r\n" {
        if trickle.write_all(&[*byte]).await.is_err() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        if started.elapsed() > Duration::from_secs(3) {
            break;
        }
    }
    let answer = until_closed(&mut trickle, Duration::from_secs(5)).await;
    assert!(answer.is_some_and(|a| !a.contains("200 OK")));
    // A kept-alive connection that sends no second request is closed too.
    let mut kept = TcpStream::connect(&address).await.unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = until_closed(&mut kept, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // A body that stops coming is refused, and the server still answers others.
    let mut slow = TcpStream::connect(&address).await.unwrap();
    let head = format!(
        "POST /api/v1/users HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\n\
         content-type: application/json\r\ncontent-length: 100\r\n\r\n{{\"name\":",
        app.owner
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let answer = until_closed(&mut slow, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let health = reqwest::get(format!("{}/healthz", app.base)).await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

/// One address holds at most `connections_per_client` connections: the next is
/// closed at once, and a place given back serves again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_client_holds_a_bounded_number_of_connections() {
    let limits = Limits {
        connections_per_client: 5,
        ..short()
    };
    let app = spawn_app_with(Backend::Sqlite, limits).await;
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(TcpStream::connect(&address).await.unwrap());
    }
    // Let the server take them before the one too many.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut over = TcpStream::connect(&address).await.unwrap();
    let _ = over
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await;
    let answer = until_closed(&mut over, Duration::from_millis(500)).await;
    assert_eq!(answer.as_deref(), Some(""), "closed unanswered, at once");
    drop(held.pop());
    let mut served = None;
    for _ in 0..20 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let response = app.client.get(format!("{}/healthz", app.base)).send().await;
        if let Ok(response) = response {
            served = Some(response.status());
            break;
        }
    }
    assert_eq!(served, Some(StatusCode::OK));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_ends_live_streams_and_finishes() {
    let db = TestDb::create(Backend::Sqlite).await;
    let server = start(&db.url, short()).await;
    let base = format!("http://{}", server.address);
    let store = server.state.app.store().clone();
    let owner = json!({"id": "boss", "name": "Boss", "role": "owner", "email": "boss@example.vn"});
    let token = crate::helpers::token(&store, Role::Owner, None).await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let created = client
        .post(format!("{base}/api/v1/users"))
        .bearer_auth(&token)
        .json(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);
    let password = "mật khẩu đủ dài";
    let hash = tally_server::auth::hash_password(password).unwrap();
    store.set_password_hash("boss", &hash).await.unwrap();
    let signed_in = client
        .post(format!("{base}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=boss%40example.vn&password=m%E1%BA%ADt+kh%E1%BA%A9u+%C4%91%E1%BB%A7+d%C3%A0i")
        .send()
        .await
        .unwrap();
    let cookie = signed_in.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    let cookie = cookie.split(';').next().unwrap().to_owned();
    let mut live = client
        .get(format!("{base}/live"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), StatusCode::OK);
    let hello = live.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&hello).contains("hello"));
    assert_eq!(server.state.live.listeners(), 1);
    let started = Instant::now();
    server.stop();
    tokio::time::timeout(Duration::from_secs(5), server.stopped())
        .await
        .expect("the server stops within seconds with a live page open");
    // The stream ended rather than being left hanging.
    let rest = tokio::time::timeout(Duration::from_secs(2), async {
        while let Ok(Some(_)) = live.chunk().await {}
    })
    .await;
    assert!(rest.is_ok());
    assert!(started.elapsed() < Duration::from_secs(5));
}

async fn ready_once_loaded_and_metrics_for_managers(app: &TestApp) {
    let health = app
        .client
        .get(format!("{}/healthz", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
    let started = Instant::now();
    loop {
        let ready = app
            .client
            .get(format!("{}/readyz", app.base))
            .send()
            .await
            .unwrap();
        if ready.status() == StatusCode::OK {
            break;
        }
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(started.elapsed() < Duration::from_secs(10), "never ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.user("lan", "Lan").await;
    let event = json!([{"id": "e1", "type": "call", "at": "2026-11-02T09:00:00+07:00", "user_id": "lan",
        "direction": "outbound", "answered": false, "talk_seconds": 0}]);
    app.events(event).await;
    assert_eq!(
        app.client
            .get(format!("{}/metrics", app.base))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    for role in [Role::Supervisor, Role::Agent] {
        let token = app.token(role, None).await;
        assert_eq!(
            app.get_as(&token, "/metrics").await.status(),
            StatusCode::FORBIDDEN
        );
    }
    // Made-up methods share one series: requests cannot grow the metrics without end.
    for method in ["X1", "X2", "X3"] {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        app.client
            .request(method, format!("{}/healthz", app.base))
            .send()
            .await
            .unwrap();
    }
    let metrics = app.get_as(&app.owner, "/metrics").await;
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.unwrap();
    assert!(!text.contains("method=\"X1\""), "{text}");
    assert!(text.contains("method=\"other\""), "{text}");
    for series in [
        "tally_http_requests_total{method=\"POST\",route=\"/api/v1/events\",status=\"200\"}",
        "tally_http_request_duration_seconds_bucket",
        "tally_events_total{source=\"api\",outcome=\"accepted\"}",
        "tally_group_commit_batches_bucket{le=\"16\"}",
        "tally_plans_ahead_total{outcome=\"used\"}",
        "tally_plans_ahead_total{outcome=\"made_again\"}",
        "tally_read_model_lag_versions",
        "tally_live_streams_open",
        "tally_db_pool_connections",
    ] {
        assert!(text.contains(series), "{series} missing from:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn not_ready_when_the_database_is_gone() {
    let db = TestDb::create(Backend::Postgres).await;
    let server = start(&db.url, Limits::default()).await;
    let base = format!("http://{}", server.address);
    let ready = |base: String| async move {
        reqwest::get(format!("{base}/readyz"))
            .await
            .unwrap()
            .status()
    };
    let started = Instant::now();
    while ready(base.clone()).await != StatusCode::OK {
        assert!(started.elapsed() < Duration::from_secs(10), "never ready");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(db);
    assert_eq!(ready(base.clone()).await, StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = reqwest::get(format!("{base}/readyz"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["reason"], "the database does not answer");
    let alive = reqwest::get(format!("{base}/healthz")).await.unwrap();
    assert_eq!(alive.status(), StatusCode::OK);
}
