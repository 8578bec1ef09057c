//! Webhooks end to end: an admin registers a local HTTP listener in the pages; a
//! notice of a kind it wants arrives as signed JSON (the signature checked here with
//! the secret shown once); a failing endpoint is retried, then paused, its log saying
//! why; resumed, what waited goes out.

use crate::both;
use crate::helpers::TestApp;
use crate::sessions::{get, person, post_form, sign_in};
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A local receiver: what it was sent (headers and body), and whether it fails.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    failing: Arc<AtomicBool>,
}

impl Receiver {
    /// Listens on a free port; its URL.
    async fn start(&self) -> String {
        let me = self.clone();
        let hook = axum::routing::post(move |headers: HeaderMap, body: String| {
            let me = me.clone();
            async move {
                if me.failing.load(Ordering::SeqCst) {
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                me.got.lock().unwrap().push((headers, body));
                StatusCode::NO_CONTENT
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let app = axum::Router::new().route("/hook", hook);
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        format!("http://{address}/hook")
    }

    /// Waits for a delivery whose body has `mark`; its headers and JSON.
    async fn until_got(&self, mark: &str) -> (HeaderMap, Value) {
        let started = Instant::now();
        loop {
            let got = self.got.lock().unwrap().clone();
            let found = got.into_iter().find_map(|(headers, body)| {
                let json: Value = serde_json::from_str(&body).unwrap();
                (json["mark"] == mark).then_some((headers, json, body))
            });
            if let Some((headers, json, body)) = found {
                let signed = headers["x-tally-signature"].to_str().unwrap().to_owned();
                return (headers, json_with_body(json, body, signed));
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no delivery of {mark}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// The JSON, with its raw body and signature kept aside for the check.
fn json_with_body(mut json: Value, body: String, signed: String) -> Value {
    json["_body"] = json!(body);
    json["_signature"] = json!(signed);
    json
}

/// What the receiver computes: HMAC-SHA256 of the raw body with the secret, in hex.
fn expected_signature(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn calls(from: usize, n: usize) -> Value {
    let at = jiff::Timestamp::now().to_string();
    let events: Vec<Value> = (from..from + n)
        .map(|i| {
            json!({"id": format!("call-{i}"), "type": "call", "at": at, "user_id": "lan",
                   "direction": "outbound", "answered": true, "talk_seconds": 60})
        })
        .collect();
    json!(events)
}

async fn a_webhook_gets_signed_notices_is_retried_paused_and_resumed(app: &TestApp) {
    person(app, "boss", "owner").await;
    person(app, "lan", "agent").await;
    let goal = json!({"id": "goi", "name": "Gọi điện", "starts_on": "2020-01-01",
        "criteria": [{"metric": "calls", "period": "day", "target": 4}],
        "assignees": [{"user_id": "lan"}]});
    app.post_ok("/api/v1/goals", &goal, StatusCode::CREATED)
        .await;
    let receiver = Receiver::default();
    let url = receiver.start().await;
    let session = sign_in(app, "boss").await;
    let form = format!(
        "url={}&kind=milestone",
        url.replace(':', "%3A").replace('/', "%2F")
    );
    let made = post_form(app, &session, "/admin/webhooks", &form).await;
    assert_eq!(made.status(), StatusCode::OK);
    let page = made.text().await.unwrap();
    let at = page.find("whsec_").expect("the secret is shown once");
    let secret = page[at..at + "whsec_".len() + 64].to_owned();
    let listing = get(app, &session, "/admin/webhooks")
        .await
        .text()
        .await
        .unwrap();
    assert!(listing.contains(&url) && !listing.contains(&secret));

    // Two calls of four: the 50 % milestone, signed, with its figures and its words.
    assert_eq!(app.events(calls(0, 2)).await["accepted"], 2);
    let (headers, body) = receiver.until_got("50").await;
    let raw = body["_body"].as_str().unwrap();
    assert_eq!(
        body["_signature"],
        json!(expected_signature(&secret, raw)),
        "signed with the secret"
    );
    assert_ne!(
        body["_signature"],
        json!(expected_signature("whsec_other", raw))
    );
    assert_eq!(headers["x-tally-event"], "milestone");
    assert_eq!(
        headers["x-tally-delivery"].to_str().unwrap(),
        body["delivery_id"].to_string()
    );
    assert_eq!(body["kind"], "milestone");
    assert_eq!(body["goal"], json!({"id": "goi", "name": "Gọi điện"}));
    assert_eq!(body["metric"], "calls");
    assert_eq!(body["subject"]["id"], "lan");
    assert_eq!(
        (body["actual"].as_str(), body["target"].as_str()),
        (Some("2"), Some("4"))
    );
    let words = body["text"]["vi"].as_str().unwrap();
    assert!(
        words.starts_with("Gọi điện: lan đạt 50 % mục tiêu Số cuộc gọi"),
        "{words}"
    );
    assert!(
        body["text"]["en"]
            .as_str()
            .unwrap()
            .contains("reached 50 % of the Calls target")
    );
    // A kind it did not ask for (the new leader) is not sent.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let sent = receiver.got.lock().unwrap().len();
    assert_eq!(sent, 1, "only the milestone");

    // The endpoint fails: tried again, then paused after five failures in a row.
    receiver.failing.store(true, Ordering::SeqCst);
    assert_eq!(app.events(calls(2, 2)).await["accepted"], 2);
    let started = Instant::now();
    while !app.store.webhooks().await.unwrap()[0].paused {
        assert!(started.elapsed() < Duration::from_secs(30), "never paused");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let hook = app.store.webhooks().await.unwrap()[0].clone();
    assert_eq!(hook.failures, 5);
    let log = app.store.deliveries_of(hook.key, 10).await.unwrap();
    assert_eq!(log[0].status, "pending");
    assert_eq!(log[0].attempts, 5);
    assert_eq!(log[0].last_error.as_deref(), Some("answered 500"));
    assert_eq!(log[1].status, "delivered");
    let listing = get(app, &session, "/admin/webhooks")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        listing.contains("Tạm dừng") && listing.contains("answered 500"),
        "{listing}"
    );

    // Resumed, the waiting delivery goes out.
    receiver.failing.store(false, Ordering::SeqCst);
    let resume = post_form(
        app,
        &session,
        &format!("/admin/webhooks/{}/resume", hook.key),
        "",
    )
    .await;
    assert_eq!(resume.status(), StatusCode::SEE_OTHER);
    let (_, body) = receiver.until_got("100").await;
    assert_eq!(body["actual"], "4");
    // The sender records the answer just after the receiver has it.
    let started = Instant::now();
    loop {
        let log = app.store.deliveries_of(hook.key, 10).await.unwrap();
        if log[0].status == "delivered" {
            assert_eq!(log[0].attempts, 6, "five failures, then delivered");
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{log:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.store.webhooks().await.unwrap()[0].failures, 0);

    // Removed, nothing more is queued for it.
    let removed = post_form(
        app,
        &session,
        &format!("/admin/webhooks/{}/remove", hook.key),
        "",
    )
    .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    assert!(app.store.webhooks().await.unwrap().is_empty());
}

async fn a_webhook_needs_an_address_and_a_kind(app: &TestApp) {
    person(app, "boss", "owner").await;
    let session = sign_in(app, "boss").await;
    for (form, field) in [
        ("url=ftp%3A%2F%2Fx&kind=pace", "Địa chỉ URL: "),
        ("url=https%3A%2F%2F&kind=pace", "Địa chỉ URL: "),
        ("url=https%3A%2F%2Fhooks.example.vn%2Ft", "Loại thông báo: "),
    ] {
        let refused = post_form(app, &session, "/admin/webhooks", form).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{form}");
        let page = refused.text().await.unwrap();
        let error = page
            .find("id=\"webhook-error\">")
            .expect("an error is shown");
        assert!(page[error..].contains(field), "{form}: {page}");
        assert!(!page.contains("whsec_"), "{form}");
    }
    assert!(app.store.webhooks().await.unwrap().is_empty());
}

both!(
    a_webhook_gets_signed_notices_is_retried_paused_and_resumed,
    a_webhook_needs_an_address_and_a_kind,
);
