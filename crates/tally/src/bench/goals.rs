//! The goals and phone-system part of `tally bench`: progress views over a month for
//! every user, the period close that freezes their results, an XLSX export, and the
//! import rate of Asterisk call records.

use super::{Api, Latencies, TEAM_SIZE};
use crate::bench::generate::Floor;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use tally_core::Day;

/// What the goals part measured.
pub struct GoalTimings {
    pub close: Duration,
    pub closed_results: usize,
    /// Single-event requests sent one after another while the periods closed.
    pub ingest_during_close: Latencies,
    /// Received and parsed into a JSON tree, as the bench's client does everywhere.
    pub by_goal: Latencies,
    pub by_employee: Latencies,
    /// The same answers received whole but not parsed: the server's share.
    pub by_goal_received: Latencies,
    pub by_employee_received: Latencies,
    pub by_team: Latencies,
    /// The sales by channel of the month, with its people, compared with a year earlier.
    pub by_channel: Latencies,
    pub xlsx: Latencies,
    pub cdr_records: usize,
    pub cdr_elapsed: Duration,
}

/// A goal for every team's members (calls and talk time a day, revenue a month) and a
/// team total per team, active since `starts_on`; then the views of `range`.
pub async fn run(
    api: &Api,
    users: u32,
    starts_on: Day,
    range: &str,
    runs: usize,
    today: Day,
) -> anyhow::Result<GoalTimings> {
    let teams: Vec<Value> = (0..users.div_ceil(TEAM_SIZE))
        .map(|t| json!({"team_id": format!("team{t:03}"), "mode": "each_member"}))
        .collect();
    let each = json!({"id": "floor", "name": "Chỉ tiêu sàn", "starts_on": starts_on.to_string(), "assignees": teams,
        "criteria": [
            {"metric": "calls", "period": "day", "target": 60, "weight": 40},
            {"metric": "talk_seconds", "period": "day", "target": 5400, "weight": 30},
            {"metric": "revenue", "period": "month", "target": "200000000", "weight": 30}]});
    api.post("/api/v1/goals", serde_json::to_vec(&each)?)
        .await?;
    let totals: Vec<Value> = (0..users.div_ceil(TEAM_SIZE))
        .map(|t| json!({"team_id": format!("team{t:03}"), "mode": "team_total"}))
        .collect();
    let total = json!({"id": "teams", "name": "Doanh thu nhóm", "starts_on": starts_on.to_string(), "assignees": totals,
        "criteria": [{"metric": "revenue", "period": "month", "target": "4000000000"}]});
    api.post("/api/v1/goals", serde_json::to_vec(&total)?)
        .await?;
    eprintln!("closing the goals' past periods while events keep arriving…");
    let closing = std::sync::atomic::AtomicBool::new(true);
    let started = Instant::now();
    let (results, ingest_during_close) = tokio::join!(
        async {
            let results = api.get("/api/v1/goals/floor/results?limit=1").await;
            closing.store(false, std::sync::atomic::Ordering::SeqCst);
            results
        },
        ingest_while(api, &closing, today)
    );
    let close = started.elapsed();
    let closed_results = results?["total"].as_u64().unwrap_or(0) as usize;
    let ingest_during_close = ingest_during_close?;
    let by_goal = api
        .time_get(&format!("/api/v1/goals/floor/progress?{range}"), runs)
        .await?;
    let by_employee = api
        .time_get(&format!("/api/v1/progress/employees?{range}"), runs)
        .await?;
    let by_goal_received =
        time_download(api, &format!("/api/v1/goals/floor/progress?{range}"), runs).await?;
    let by_employee_received =
        time_download(api, &format!("/api/v1/progress/employees?{range}"), runs).await?;
    let by_team = api
        .time_get(&format!("/api/v1/progress/teams?{range}"), runs)
        .await?;
    let by_channel = api
        .time_get(
            &format!("/api/v1/reports/channels?{range}&compare=year"),
            runs,
        )
        .await?;
    let xlsx = time_download(
        api,
        &format!("/api/v1/goals/floor/progress?{range}&format=xlsx"),
        runs.min(10),
    )
    .await?;
    let (cdr_records, cdr_elapsed) = import_cdrs(api, users, today).await?;
    Ok(GoalTimings {
        close,
        closed_results,
        ingest_during_close,
        by_goal,
        by_employee,
        by_goal_received,
        by_employee_received,
        by_team,
        by_channel,
        xlsx,
        cdr_records,
        cdr_elapsed,
    })
}

async fn time_download(api: &Api, path: &str, runs: usize) -> anyhow::Result<Latencies> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let response = api
            .client
            .get(format!("{}{path}", api.base))
            .bearer_auth(&api.token)
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "GET {path}: {}",
            response.status()
        );
        response.bytes().await?;
        samples.push(started.elapsed());
    }
    Ok(Latencies::of(samples))
}

/// Gives every user an extension, then uploads a day of Asterisk records for them,
/// 50,000 a request: returns how many and how long.
async fn import_cdrs(api: &Api, users: u32, today: Day) -> anyhow::Result<(usize, Duration)> {
    for n in 0..users {
        let body = json!({"extension": (2000 + n).to_string()});
        let response = api
            .client
            .patch(format!("{}/api/v1/users/{}", api.base, Floor::user_id(n)))
            .bearer_auth(&api.token)
            .json(&body)
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "PATCH user: {}",
            response.status()
        );
    }
    let day = today.plus(-1).to_string();
    let records = 200_000usize;
    let line = |i: usize| {
        let ext = 2000 + (i as u32 % users);
        let second = i % 36_000;
        let (h, m, s) = (8 + second / 3600, (second / 60) % 60, second % 60);
        let answered = !i.is_multiple_of(3);
        let (disposition, billsec) = if answered {
            ("ANSWERED", 30 + i % 300)
        } else {
            ("NO ANSWER", 0)
        };
        format!(
            "\"\",\"{ext}\",\"09{:08}\",\"from-internal\",\"\"\"Agent\"\" <{ext}>\",\"PJSIP/{ext}-{i:08x}\",\"PJSIP/trunk-{i:08x}\",\"Dial\",\"\",\"{day} {h:02}:{m:02}:{s:02}\",,\"{day} {h:02}:{m:02}:{s:02}\",{billsec},{billsec},\"{disposition}\",\"DOCUMENTATION\",\"bench.{i}\",\"\"\n",
            i % 100_000_000
        )
    };
    eprintln!("importing {records} Asterisk records…");
    let started = Instant::now();
    let mut counted = 0;
    for chunk in (0..records).collect::<Vec<_>>().chunks(50_000) {
        let body: String = chunk.iter().map(|i| line(*i)).collect();
        let response = api
            .client
            .post(format!("{}/api/v1/calls/asterisk", api.base))
            .bearer_auth(&api.token)
            .body(body)
            .send()
            .await?;
        let summary: Value = response.json().await?;
        counted += summary["counted"].as_u64().unwrap_or(0) as usize;
    }
    let elapsed = started.elapsed();
    anyhow::ensure!(
        counted == records,
        "only {counted} of {records} records were counted"
    );
    Ok((records, elapsed))
}

/// Sends one call at a time while `going` holds: how long each request waited (a
/// period close must never hold the writer long).
async fn ingest_while(
    api: &Api,
    going: &std::sync::atomic::AtomicBool,
    today: Day,
) -> anyhow::Result<Latencies> {
    let mut samples = Vec::new();
    let user = crate::bench::generate::Floor::user_id(1);
    while going.load(std::sync::atomic::Ordering::SeqCst) {
        let at = jiff::Timestamp::now().to_string();
        let event = json!([{"id": format!("during-close-{}-{}", today, samples.len()), "type": "call",
            "at": at, "user_id": user, "direction": "outbound", "answered": false, "talk_seconds": 0}]);
        let sent = Instant::now();
        api.post("/api/v1/events", serde_json::to_vec(&event)?)
            .await?;
        samples.push(sent.elapsed());
    }
    Ok(Latencies::of(samples))
}

/// The goals part of the results table.
pub fn print(t: &GoalTimings, users: u32) {
    println!(
        "| close the goal's past periods (first read of its results) | {:.1} s for {} frozen results |",
        t.close.as_secs_f64(),
        t.closed_results
    );
    println!(
        "| single events sent one at a time meanwhile ({} requests) | p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms |",
        t.ingest_during_close.0.len(),
        t.ingest_during_close.percentile(50.0),
        t.ingest_during_close.percentile(99.0),
        t.ingest_during_close.percentile(100.0)
    );
    for (name, l) in [
        (
            format!("goal progress, {users} users × 3 criteria, this month"),
            &t.by_goal,
        ),
        (
            "employees view, every goal, this month".to_owned(),
            &t.by_employee,
        ),
        (
            "goal progress, the same, received whole but not parsed".to_owned(),
            &t.by_goal_received,
        ),
        (
            "employees view, the same, received whole but not parsed".to_owned(),
            &t.by_employee_received,
        ),
        ("teams view, this month".to_owned(), &t.by_team),
        (
            "sales by channel, this month, every person, against a year earlier".to_owned(),
            &t.by_channel,
        ),
        (
            "XLSX export of the goal with its per-day sheet".to_owned(),
            &t.xlsx,
        ),
    ] {
        println!(
            "| {name} | p50 {:.1} ms, p99 {:.1} ms |",
            l.percentile(50.0),
            l.percentile(99.0)
        );
    }
    println!(
        "| Asterisk CDR upload, 50,000 records a request | {:.0} records/s ({} records in {:.1} s) |",
        t.cdr_records as f64 / t.cdr_elapsed.as_secs_f64(),
        t.cdr_records,
        t.cdr_elapsed.as_secs_f64()
    );
}
