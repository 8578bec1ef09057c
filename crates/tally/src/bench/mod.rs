//! `tally bench`: ingest and report speed through the HTTP API on generated data,
//! against a plain GROUP BY over the raw events, and the server's memory.
//!
//! It needs an empty database (`TALLY_DATABASE_URL`), starts `tally serve` on it as a
//! child process, and prints a Markdown table for `docs/benchmarks.md`.

mod generate;
mod goals;
mod server;
mod web;

use anyhow::{Context, bail};
use clap::Args;
use generate::Floor;
use reqwest::Client;
use serde_json::Value;
use server::Server;
use std::time::{Duration, Instant};
use tally_app::custom_metrics::MAX_CUSTOM_METRICS;
use tally_app::data::DataSettings;

/// What to generate and how long to measure.
#[derive(Args)]
pub struct BenchArgs {
    /// Users on the floor.
    #[arg(long, default_value_t = 1000)]
    users: u32,
    /// Days of history, ending yesterday.
    #[arg(long, default_value_t = 90)]
    days: u32,
    /// Events to ingest in batches.
    #[arg(long, default_value_t = 10_000_000)]
    events: u64,
    /// Events per batch request.
    #[arg(long, default_value_t = 1000)]
    batch: usize,
    /// Single-event requests, sent by 32 concurrent clients.
    #[arg(long, default_value_t = 16_000)]
    single_events: u32,
    /// Timed runs of each report.
    #[arg(long, default_value_t = 100)]
    runs: usize,
    /// Seed of the generator.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Custom metrics of events defined before the ingest (each event is offered to
    /// every one): what they cost the write path. At most as many as an organisation
    /// keeps (50).
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u8).range(0..=MAX_CUSTOM_METRICS as i64))]
    custom_metrics: u8,
}

const CONCURRENT_CLIENTS: usize = 32;
const TEAM_SIZE: u32 = 20;

pub async fn run(settings: &DataSettings, args: BenchArgs) -> anyhow::Result<()> {
    let org = settings.organization()?;
    let server = Server::start(settings).await?;
    let client = Client::builder().pool_max_idle_per_host(64).build()?;
    let api = Api {
        client,
        base: server.base.clone(),
        token: server.token.clone(),
    };
    let today = org.calendar.day_of(jiff::Timestamp::now());
    let first_day = today.plus(-i32::try_from(args.days)?);
    let start = midnight(&org, first_day)?;
    eprintln!("setting up {} users in teams of {TEAM_SIZE}…", args.users);
    setup_people(&api, args.users, &first_day.to_string()).await?;
    define_custom_metrics(&api, args.custom_metrics).await?;
    let mut floor = Floor::new(args.users, args.seed);
    let ingest = ingest_batches(&api, &mut floor, &args, start).await?;
    let single =
        single_events(&api, &mut floor, args.single_events, midnight(&org, today)?).await?;
    let range = format!("from={}&to={}", today.plus(-30), today.plus(-1));
    let all_users = api
        .time_get(&format!("/api/v1/reports/users?{range}"), args.runs)
        .await?;
    let one_user = api
        .time_get(
            &format!(
                "/api/v1/reports/users?{range}&user_id={}",
                Floor::user_id(1)
            ),
            args.runs * 5,
        )
        .await?;
    let teams = api
        .time_get(&format!("/api/v1/reports/teams?{range}"), args.runs)
        .await?;
    let group_by = group_by_baseline(
        settings,
        today.plus(-30).number(),
        today.plus(-1).number(),
        args.runs.min(20),
    )
    .await?;
    let month = tally_core::calendar::month_of(today.plus(-1));
    let month_range = format!("from={}&to={}", month.from, month.to);
    let memory = server.memory_mib();
    let goals = goals::run(&api, args.users, month.from, &month_range, args.runs, today).await?;
    let memory_after_goals = server.memory_mib();
    let web = web::run(
        settings,
        &api,
        &mut floor,
        midnight(&org, today)?,
        &month_range,
        args.runs,
    )
    .await?;
    let users_report = format!("/api/v1/reports/users?{range}");
    let (server, _, from_tables) = server
        .restart(settings, false, &users_report, &api.client)
        .await?;
    let (server, stop, from_snapshot) = server
        .restart(settings, true, &users_report, &api.client)
        .await?;
    let api = Api {
        base: server.base.clone(),
        ..api
    };
    let across = if settings.database_url.starts_with("postgres") {
        let other = server.another(settings).await?;
        let today_midnight = midnight(&org, today)?;
        let measured = web::across(&api, &other.base, &mut floor, today_midnight).await;
        other.stop().await;
        Some(measured?)
    } else {
        None
    };
    server.stop().await;
    print_results(
        settings,
        &args,
        &ingest,
        &single,
        [&all_users, &one_user, &teams],
        &group_by,
        memory,
    );
    goals::print(&goals, args.users);
    web::print(&web, args.users);
    if let Some((notified, refreshed)) = &across {
        web::print_across(notified, refreshed);
    }
    println!(
        "| graceful stop (drains, saves the read model's snapshot) | {:.2} s |",
        stop.as_secs_f64()
    );
    for (how, took) in [
        ("the read model loaded from the tables", from_tables),
        ("the read model loaded from its snapshot", from_snapshot),
    ] {
        println!(
            "| restart → first full users report answered ({how}) | {:.2} s |",
            took.as_secs_f64()
        );
    }
    if let Some((rss, peak)) = memory_after_goals {
        println!(
            "| server memory after the goals and calls part | {rss:.0} MiB resident (peak {peak:.0} MiB) |"
        );
    }
    Ok(())
}

fn midnight(org: &tally_core::Organization, day: tally_core::Day) -> anyhow::Result<i64> {
    let tz = jiff::tz::TimeZone::get(org.calendar.time_zone_name())?;
    Ok(day.date().to_zoned_datetime(tz)?.timestamp().as_second())
}

/// A signed-in HTTP client of the server under test.
struct Api {
    client: Client,
    base: String,
    token: String,
}

impl Api {
    async fn get(&self, path: &str) -> anyhow::Result<Value> {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        if !status.is_success() {
            bail!("GET {path}: {status} {body}");
        }
        Ok(body)
    }

    async fn post(&self, path: &str, body: Vec<u8>) -> anyhow::Result<Value> {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await?;
        if !status.is_success() {
            bail!("POST {path}: {status} {body}");
        }
        Ok(body)
    }

    /// Latencies of `runs` sequential GETs, after a short warm-up.
    async fn time_get(&self, path: &str, runs: usize) -> anyhow::Result<Latencies> {
        for _ in 0..3 {
            self.get(path).await?;
        }
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            self.get(path).await?;
            samples.push(started.elapsed());
        }
        Ok(Latencies::of(samples))
    }
}

/// The five shapes of custom metric of events, in turn: counts with filters, sums and
/// distinct counts, over the generator's calls, meetings and opportunities.
const CUSTOM_SHAPES: [&str; 5] = [
    r#""events": ["call"], "aggregate": "count", "filters": {"answered": true, "talk_seconds_at_least": 120}"#,
    r#""events": ["call"], "aggregate": "sum", "field": "talk_seconds", "filters": {"direction": "inbound"}"#,
    r#""events": ["call", "meeting.held"], "aggregate": "distinct", "field": "customer_id""#,
    r#""events": ["opportunity.created"], "aggregate": "sum", "field": "amount""#,
    r#""events": ["opportunity.status_changed"], "aggregate": "count", "filters": {"status": "won"}"#,
];

async fn define_custom_metrics(api: &Api, count: u8) -> anyhow::Result<()> {
    for n in 0..count {
        let shape = CUSTOM_SHAPES[usize::from(n) % CUSTOM_SHAPES.len()];
        let body = format!(
            r#"{{"key": "bench_{n}", "name_vi": "Đo {n}", "name_en": "Bench {n}", "of": "events", {shape}}}"#
        );
        api.post("/api/v1/metrics", body.into_bytes()).await?;
    }
    Ok(())
}

async fn setup_people(api: &Api, users: u32, from: &str) -> anyhow::Result<()> {
    for n in 0..users {
        let user = serde_json::json!({"id": Floor::user_id(n), "name": format!("Nhân viên {n}"), "role": "agent"});
        api.post("/api/v1/users", serde_json::to_vec(&user)?)
            .await?;
    }
    for team in 0..users.div_ceil(TEAM_SIZE) {
        let id = format!("team{team:03}");
        api.post(
            "/api/v1/teams",
            serde_json::to_vec(&serde_json::json!({"id": id, "name": format!("Nhóm {team}")}))?,
        )
        .await?;
        for n in (team * TEAM_SIZE)..((team + 1) * TEAM_SIZE).min(users) {
            let member = serde_json::json!({"user_id": Floor::user_id(n), "from": from});
            api.post(
                &format!("/api/v1/teams/{id}/members"),
                serde_json::to_vec(&member)?,
            )
            .await?;
        }
    }
    Ok(())
}

/// Throughput of the batched ingest.
struct Ingest {
    events: u64,
    rejected: u64,
    elapsed: Duration,
}

/// Sends the generated history in batches, two requests in flight, generated meanwhile.
async fn ingest_batches(
    api: &Api,
    floor: &mut Floor,
    args: &BenchArgs,
    start: i64,
) -> anyhow::Result<Ingest> {
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Vec<u8>>(4);
    let mut result = Ingest {
        events: 0,
        rejected: 0,
        elapsed: Duration::ZERO,
    };
    let started = Instant::now();
    let consumer = async {
        let mut in_flight = futures::stream::FuturesUnordered::new();
        let mut totals = (0u64, 0u64);
        loop {
            use futures::StreamExt;
            tokio::select! {
                Some(body) = receiver.recv(), if in_flight.len() < 2 => in_flight.push(api.post("/api/v1/events", body)),
                Some(done) = in_flight.next() => {
                    let done: Value = done?;
                    totals.0 += done["accepted"].as_u64().unwrap_or(0);
                    totals.1 += done["rejected"].as_array().map_or(0, |r| r.len() as u64);
                }
                else => break,
            }
        }
        anyhow::Ok(totals)
    };
    let producer = async move {
        let initial = floor.initial_customers(start);
        for chunk in initial.chunks(args.batch) {
            sender
                .send(serde_json::to_vec(chunk)?)
                .await
                .context("consumer stopped")?;
        }
        let per_day = args.events / u64::from(args.days);
        let mut sent = 0u64;
        for day in 0..i64::from(args.days) {
            let mut remaining = per_day;
            while remaining > 0 {
                let n = remaining.min(args.batch as u64);
                let batch: Vec<Value> = (0..n).map(|_| floor.event(start + day * 86_400)).collect();
                sender
                    .send(serde_json::to_vec(&batch)?)
                    .await
                    .context("consumer stopped")?;
                remaining -= n;
                sent += n;
                if sent % 1_000_000 < n {
                    eprintln!("  ingested about {sent} events");
                }
            }
        }
        drop(sender);
        anyhow::Ok(())
    };
    let (totals, produced) = tokio::join!(consumer, producer);
    produced?;
    (result.events, result.rejected) = totals?;
    result.elapsed = started.elapsed();
    Ok(result)
}

/// Single-event requests from concurrent clients: throughput and latencies.
async fn single_events(
    api: &Api,
    floor: &mut Floor,
    total: u32,
    today: i64,
) -> anyhow::Result<(f64, Latencies)> {
    let bodies: Vec<Vec<u8>> = (0..total)
        .map(|i| serde_json::to_vec(&[floor.live_call(earlier_today(today, i64::from(i)))]))
        .collect::<Result<_, _>>()?;
    let queue = std::sync::Mutex::new(bodies);
    let started = Instant::now();
    let clients = (0..CONCURRENT_CLIENTS).map(|_| async {
        let mut samples = Vec::new();
        // The guard is moved into `and_then` and dropped there, before any await.
        while let Some(body) = queue.lock().ok().and_then(|mut q| q.pop()) {
            let sent = Instant::now();
            let result = api.post("/api/v1/events", body).await?;
            samples.push(sent.elapsed());
            if result["accepted"] != 1 {
                bail!("a single event was not accepted: {result}");
            }
        }
        anyhow::Ok(samples)
    });
    let mut samples = Vec::new();
    for result in futures::future::join_all(clients).await {
        samples.extend(result?);
    }
    let rate = f64::from(total) / started.elapsed().as_secs_f64();
    Ok((rate, Latencies::of(samples)))
}

/// A time earlier today, `i` seconds (wrapping at ten hours) before now, and never
/// before `today_midnight`: new events may not be dated in the future.
pub(crate) fn earlier_today(today_midnight: i64, i: i64) -> i64 {
    let now = jiff::Timestamp::now().as_second();
    (now - 1 - i % 36_000).max(today_midnight)
}

/// The same 30 days computed by a plain GROUP BY over the raw events (with an index on
/// the day, so it is the fair alternative): counts by user and type, and talk time.
async fn group_by_baseline(
    settings: &DataSettings,
    from: i32,
    to: i32,
    runs: usize,
) -> anyhow::Result<Latencies> {
    sqlx::any::install_default_drivers();
    let postgres = settings.database_url.starts_with("postgres");
    let url = if postgres {
        settings.database_url.clone()
    } else {
        format!("{}?mode=rw", settings.database_url)
    };
    let pool = sqlx::AnyPool::connect(&url).await?;
    sqlx::query("create index if not exists bench_events_by_day on events (day)")
        .execute(&pool)
        .await?;
    let talk = if postgres {
        "(body::jsonb->>'talk_seconds')::bigint"
    } else {
        "json_extract(body, '$.talk_seconds')"
    };
    let sql = format!(
        "select user_id, type, count(*), cast(sum(coalesce({talk}, 0)) as bigint) from events \
         where day between $1 and $2 group by user_id, type"
    );
    let mut samples = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let rows: Vec<(String, String, i64, i64)> = sqlx::query_as(&sql)
            .bind(i64::from(from))
            .bind(i64::from(to))
            .fetch_all(&pool)
            .await?;
        samples.push(started.elapsed());
        if rows.is_empty() {
            bail!("the GROUP BY baseline found no events");
        }
    }
    sqlx::query("drop index bench_events_by_day")
        .execute(&pool)
        .await?;
    pool.close().await;
    Ok(Latencies::of(samples))
}

/// Sorted request latencies.
struct Latencies(pub(crate) Vec<Duration>);

impl Latencies {
    fn of(mut samples: Vec<Duration>) -> Latencies {
        samples.sort();
        Latencies(samples)
    }

    fn percentile(&self, p: f64) -> f64 {
        let n = self.0.len();
        if n == 0 {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * n as f64).ceil() as usize;
        self.0[rank.clamp(1, n) - 1].as_secs_f64() * 1000.0
    }
}

fn print_results(
    settings: &DataSettings,
    args: &BenchArgs,
    ingest: &Ingest,
    single: &(f64, Latencies),
    reports: [&Latencies; 3],
    group_by: &Latencies,
    memory: Option<(f64, f64)>,
) {
    let backend = if settings.database_url.starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let rate = ingest.events as f64 / ingest.elapsed.as_secs_f64();
    println!(
        "### {backend}: {} users, {} days, {} events stored, {} custom metrics\n",
        args.users, args.days, ingest.events, args.custom_metrics
    );
    println!("| measure | result |\n|---|---|");
    println!(
        "| batched ingest ({} events a request) | {rate:.0} events/s ({} events in {:.1} s, {} rejected) |",
        args.batch,
        ingest.events,
        ingest.elapsed.as_secs_f64(),
        ingest.rejected
    );
    println!(
        "| single-event requests, {CONCURRENT_CLIENTS} clients | {:.0} events/s, p50 {:.2} ms, p99 {:.2} ms |",
        single.0,
        single.1.percentile(50.0),
        single.1.percentile(99.0)
    );
    let [all, one, teams] = reports;
    for (name, l) in [
        ("users report, all users × 18 metrics, 30 days", all),
        ("users report, one user", one),
        ("teams report, all teams", teams),
    ] {
        println!(
            "| {name} | p50 {:.2} ms, p99 {:.2} ms |",
            l.percentile(50.0),
            l.percentile(99.0)
        );
    }
    println!(
        "| plain GROUP BY over raw events, same 30 days | p50 {:.1} ms, p99 {:.1} ms ({:.0}× the users report's p50) |",
        group_by.percentile(50.0),
        group_by.percentile(99.0),
        group_by.percentile(50.0) / all.percentile(50.0)
    );
    if let Some((rss, peak)) = memory {
        println!(
            "| server memory after the reports | {rss:.0} MiB resident (peak {peak:.0} MiB) |"
        );
    }
}
