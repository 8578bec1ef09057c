//! The web part of `tally bench`: the KPI page and its live fragment for every user,
//! and how long after an event is acknowledged a signed-in page learns of it (the
//! server-sent `changed`) and has its fresh table — on the server that took the event
//! and, on PostgreSQL, on another instance of the same database.

use super::{Api, Latencies};
use crate::bench::generate::Floor;
use anyhow::{Context, bail};
use reqwest::Client;
use serde_json::json;
use std::time::{Duration, Instant};
use tally_app::data::DataSettings;

/// The live fragment a page of the measure fetches again when told of a change.
const FRAGMENT: &str = "/kpi/report?view=employee&period=today";

/// How many events the live measure sends, one at a time (600 to 800 ms apart).
const LIVE_SAMPLES: usize = 30;

/// What the web part measured.
pub struct WebTimings {
    pub page: Latencies,
    /// The sales-by-channel page of the month.
    pub channels: Latencies,
    pub fragment: Latencies,
    pub notified: Latencies,
    pub refreshed: Latencies,
}

/// A signed-in browser, as far as the server can tell.
struct Session {
    client: Client,
    base: String,
    cookie: String,
}

impl Session {
    async fn get(&self, path: &str) -> anyhow::Result<reqwest::Response> {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("GET {path}: {}", response.status());
        }
        Ok(response)
    }

    async fn time_get(&self, path: &str, runs: usize) -> anyhow::Result<Latencies> {
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs + 2 {
            let started = Instant::now();
            self.get(path).await?.bytes().await?;
            samples.push(started.elapsed());
        }
        Ok(Latencies::of(samples.split_off(2)))
    }
}

pub async fn run(
    settings: &DataSettings,
    api: &Api,
    floor: &mut Floor,
    today_midnight: i64,
    month_range: &str,
    runs: usize,
) -> anyhow::Result<WebTimings> {
    let session = sign_in(settings, api).await?;
    let page = session
        .time_get(&format!("/kpi?view=employee&{month_range}"), runs)
        .await?;
    let channels = session
        .time_get(&format!("/channels?{month_range}"), runs)
        .await?;
    let fragment = session.time_get(FRAGMENT, runs).await?;
    let (notified, refreshed) = live(&session, api, floor, today_midnight).await?;
    Ok(WebTimings {
        page,
        channels,
        fragment,
        notified,
        refreshed,
    })
}

/// A page signed in on another instance (`base`) is told of events sent to the first
/// one: the times until `changed` and until its fresh table. The bench's owner exists
/// by then (`run` signed them in).
pub async fn across(
    api: &Api,
    base: &str,
    floor: &mut Floor,
    today_midnight: i64,
) -> anyhow::Result<(Latencies, Latencies)> {
    let session = log_in(base).await?;
    // The page was shown before it listens: its first table is not part of the measure.
    session.get(FRAGMENT).await?.bytes().await?;
    live(&session, api, floor, today_midnight).await
}

/// An owner who signs in with a password (set straight in the store, as
/// `tally user create` does).
async fn sign_in(settings: &DataSettings, api: &Api) -> anyhow::Result<Session> {
    const PASSWORD: &str = "bench password";
    let user =
        json!({"id": "bench-owner", "name": "Bench", "role": "owner", "email": "bench@example.vn"});
    api.post("/api/v1/users", serde_json::to_vec(&user)?)
        .await?;
    let hash = tally_app::passwords::hash(PASSWORD).map_err(|e| anyhow::anyhow!("{e}"))?;
    let store = tally_store::Store::open(&settings.database_url).await?;
    store.set_password_hash("bench-owner", &hash).await?;
    store.close().await;
    log_in(&api.base).await
}

/// Signs the bench's owner in on the server at `base`.
async fn log_in(base: &str) -> anyhow::Result<Session> {
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let response = client
        .post(format!("{base}/login"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("email=bench%40example.vn&password=bench+password")
        .send()
        .await?;
    let cookie = response
        .headers()
        .get("set-cookie")
        .context("signing in set no cookie")?
        .to_str()?
        .split(';')
        .next()
        .unwrap_or_default()
        .to_owned();
    Ok(Session {
        client,
        base: base.to_owned(),
        cookie,
    })
}

/// Sends one event at a time and times, from just before it is sent, until the live
/// stream says `changed`, and until the page's fragment is fetched again.
async fn live(
    session: &Session,
    api: &Api,
    floor: &mut Floor,
    today_midnight: i64,
) -> anyhow::Result<(Latencies, Latencies)> {
    let mut stream = session.get("/live").await?;
    let mut unread = String::new();
    read_until(&mut stream, &mut unread, "event: hello").await?;
    let (mut notified, mut refreshed) = (Vec::new(), Vec::new());
    for i in 0..LIVE_SAMPLES {
        let event = floor.live_call(super::earlier_today(today_midnight, i64::try_from(i)?));
        let started = Instant::now();
        api.post("/api/v1/events", serde_json::to_vec(&[event])?)
            .await?;
        read_until(&mut stream, &mut unread, "event: changed").await?;
        notified.push(started.elapsed());
        session.get(FRAGMENT).await?.bytes().await?;
        refreshed.push(started.elapsed());
        // 600 to 800 ms apart: past the 500 ms a page waits between two changes, and
        // never in step with the server's 200 ms poll.
        let pause = 600 + (i * 73) % 200;
        tokio::time::sleep(Duration::from_millis(u64::try_from(pause)?)).await;
    }
    Ok((Latencies::of(notified), Latencies::of(refreshed)))
}

/// Reads the stream until `marker`; what follows it stays in `unread` for next time.
async fn read_until(
    stream: &mut reqwest::Response,
    unread: &mut String,
    marker: &str,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(at) = unread.find(marker) {
            unread.drain(..at + marker.len());
            return Ok(());
        }
        let left = deadline.saturating_duration_since(Instant::now());
        let chunk = tokio::time::timeout(left, stream.chunk())
            .await
            .with_context(|| format!("no '{marker}' on the live stream within 10 s"))??
            .context("the live stream ended")?;
        unread.push_str(&String::from_utf8_lossy(&chunk));
    }
}

/// The rows of the measure across instances.
pub fn print_across(notified: &Latencies, refreshed: &Latencies) {
    for (name, l) in [
        (
            "event sent to instance A → page on instance B told it changed (SSE)",
            notified,
        ),
        (
            "event sent to instance A → page on instance B has its fresh table",
            refreshed,
        ),
    ] {
        println!(
            "| {name} | p50 {:.1} ms, p99 {:.1} ms |",
            l.percentile(50.0),
            l.percentile(99.0)
        );
    }
}

/// The web part of the results table.
pub fn print(t: &WebTimings, users: u32) {
    for (name, l) in [
        (
            format!("KPI page (HTML), employees view, {users} users, last month"),
            &t.page,
        ),
        (
            "sales by channel page (HTML), the same month".to_owned(),
            &t.channels,
        ),
        (
            "live fragment of the employees view, today".to_owned(),
            &t.fragment,
        ),
        (
            "event sent → signed-in page told it changed (SSE)".to_owned(),
            &t.notified,
        ),
        (
            "event sent → page has its fresh table".to_owned(),
            &t.refreshed,
        ),
    ] {
        println!(
            "| {name} | p50 {:.1} ms, p99 {:.1} ms |",
            l.percentile(50.0),
            l.percentile(99.0)
        );
    }
}
