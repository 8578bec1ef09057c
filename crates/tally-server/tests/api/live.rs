//! The live feed of the pages, `/live`: a signed-in page hears within a second of a
//! write made through another server instance on the same database, and a page that
//! says which version its figures are from hears at once of anything newer.

use crate::both;
use crate::helpers::TestApp;
use crate::sessions::{person, sign_in};
use reqwest::StatusCode;
use serde_json::json;
use std::time::{Duration, Instant};

/// Opens `/live?...` with a session; the response streams events.
/// Opens `/live?...` with a session and reads up to its `hello`: the stream, and what
/// was read past it.
async fn listen(app: &TestApp, session: &str, query: &str) -> (reqwest::Response, String) {
    let response = reqwest::Client::new()
        .get(format!("{}/live{query}", app.base))
        .header("cookie", format!("tally_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let (mut stream, mut unread) = (response, String::new());
    let hello = Duration::from_secs(5);
    heard(&mut stream, &mut unread, "event: hello", hello).await;
    (stream, unread)
}

/// An owner signed in, and an agent Lan to credit calls to: the owner's session.
async fn owner_and_lan(app: &TestApp) -> String {
    person(app, "boss", "owner").await;
    app.user("lan", "Lan").await;
    sign_in(app, "boss").await
}

/// Reads the stream until `marker`, for at most `within`; the time it took.
async fn heard(
    stream: &mut reqwest::Response,
    unread: &mut String,
    marker: &str,
    within: Duration,
) -> Duration {
    let started = Instant::now();
    loop {
        if let Some(at) = unread.find(marker) {
            unread.drain(..at + marker.len());
            return started.elapsed();
        }
        let left = within.saturating_sub(started.elapsed());
        let chunk = tokio::time::timeout(left, stream.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {marker:?} within {within:?}; read {unread:?}"))
            .unwrap()
            .expect("the stream ended");
        unread.push_str(&String::from_utf8_lossy(&chunk));
    }
}

async fn a_write_on_another_instance_reaches_the_page(app: &TestApp) {
    let session = owner_and_lan(app).await;
    let other = app.another_instance().await;
    let (mut stream, mut unread) = listen(app, &session, "").await;
    let call = json!([{"id": "c1", "type": "call", "at": jiff::Timestamp::now().to_string(),
        "user_id": "lan", "direction": "outbound", "answered": true, "talk_seconds": 30}]);
    let sent = app
        .client
        .post(format!("{other}/api/v1/events"))
        .bearer_auth(&app.owner)
        .json(&call)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::OK);
    heard(
        &mut stream,
        &mut unread,
        "event: changed",
        Duration::from_secs(1),
    )
    .await;
    // Nothing more until something else changes.
    let quiet = tokio::time::timeout(Duration::from_millis(600), stream.chunk()).await;
    if let Ok(Ok(Some(chunk))) = quiet {
        assert!(
            !String::from_utf8_lossy(&chunk).contains("changed"),
            "a second changed event"
        );
    }

    // A page rendered before that write hears of it as soon as it connects.
    let (mut late, mut unread) = listen(app, &session, "?since=0").await;
    heard(
        &mut late,
        &mut unread,
        "event: changed",
        Duration::from_secs(1),
    )
    .await;
}

async fn a_burst_of_writes_is_told_once_then_once_more(app: &TestApp) {
    let session = owner_and_lan(app).await;
    let (mut stream, mut unread) = listen(app, &session, "").await;
    // Ten writes at once.
    let calls: Vec<_> = (0..10)
        .map(|i| {
            json!([{"id": format!("c{i}"), "type": "call",
                "at": jiff::Timestamp::now().to_string(), "user_id": "lan",
                "direction": "outbound", "answered": true, "talk_seconds": 30}])
        })
        .collect();
    let writes = calls
        .iter()
        .map(|call| app.post_ok("/api/v1/events", call, StatusCode::OK));
    for sent in futures::future::join_all(writes).await {
        assert_eq!(sent["accepted"], 1);
    }
    let latest = app.store.data_version().await.unwrap();
    // Everything the page is told in the next 1.5 s: the first change at once, the
    // rest of the burst together after the gap (or nothing more, if the first read
    // already saw the last write), ending with the latest version.
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1500);
    while let Ok(Ok(Some(chunk))) = tokio::time::timeout_at(deadline, stream.chunk()).await {
        unread.push_str(&String::from_utf8_lossy(&chunk));
    }
    let told: Vec<&str> = unread
        .split("event: changed\ndata: ")
        .skip(1)
        .map(|rest| rest.lines().next().unwrap_or_default())
        .collect();
    assert!((1..=2).contains(&told.len()), "{unread:?}");
    assert_eq!(told.last().copied(), Some(latest.to_string().as_str()));
}

/// One person holds a few streams, not thousands; a stream ends soon after its
/// person is deactivated.
async fn streams_are_few_per_person_and_end_with_the_session(app: &TestApp) {
    let session = owner_and_lan(app).await;
    person(app, "sup", "supervisor").await;
    let other = sign_in(app, "sup").await;
    let mut open = Vec::new();
    for _ in 0..tally_server::live::STREAMS_PER_PERSON {
        open.push(listen(app, &session, "").await);
    }
    let refused = reqwest::Client::new()
        .get(format!("{}/live", app.base))
        .header("cookie", format!("tally_session={session}"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another person is not held back; one stream closed frees its place.
    let (mut theirs, mut unread) = listen(app, &other, "").await;
    drop(open.pop());
    let mut again = None;
    for _ in 0..50 {
        let response = reqwest::Client::new()
            .get(format!("{}/live", app.base))
            .header("cookie", format!("tally_session={session}"))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::OK {
            again = Some(response);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(again.is_some(), "a closed stream's place is free again");
    let deactivate = json!({"active": false});
    let response = app
        .client
        .patch(format!("{}/api/v1/users/sup", app.base))
        .bearer_auth(&app.owner)
        .json(&deactivate)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match theirs.chunk().await {
                Ok(Some(chunk)) => unread.push_str(&String::from_utf8_lossy(&chunk)),
                _ => return,
            }
        }
    })
    .await;
    assert!(
        ended.is_ok(),
        "the deactivated person's stream still runs: {unread:?}"
    );
}

both!(
    a_write_on_another_instance_reaches_the_page,
    a_burst_of_writes_is_told_once_then_once_more,
    streams_are_few_per_person_and_end_with_the_session,
);
