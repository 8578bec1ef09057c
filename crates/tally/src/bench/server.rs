//! The server under test: `tally serve` as a child process, so its memory is its own.

use anyhow::{Context, bail};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tally_app::data::DataSettings;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// A running `tally serve` and how to reach it.
pub struct Server {
    child: Child,
    pub base: String,
    pub token: String,
}

impl Server {
    /// Creates an owner token, starts the server on a free port, waits until it listens.
    pub async fn start(settings: &DataSettings) -> anyhow::Result<Server> {
        let exe = std::env::current_exe()?;
        let store = tally_store::Store::open(&settings.database_url).await?;
        let users = store.count_users().await?;
        store.close().await;
        if users > 0 {
            bail!("tally bench needs an empty database: point TALLY_DATABASE_URL at a new one");
        }
        let output = Command::new(&exe)
            .env("TALLY_DATABASE_URL", &settings.database_url)
            .args(settings_args(settings))
            .args(["token", "create", "--role", "owner", "--name", "bench"])
            .output()
            .await?;
        if !output.status.success() {
            bail!(
                "tally token create failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let stdout = String::from_utf8_lossy(&output.stdout);
        let token = stdout
            .split_whitespace()
            .last()
            .context("no token printed")?
            .to_owned();
        let (child, base) = serve(&exe, settings).await?;
        Ok(Server { child, base, token })
    }

    /// Another instance on the same database (PostgreSQL), signed in with the same token.
    pub async fn another(&self, settings: &DataSettings) -> anyhow::Result<Server> {
        let (child, base) = serve(&std::env::current_exe()?, settings).await?;
        let token = self.token.clone();
        Ok(Server { child, base, token })
    }

    /// Resident and peak resident memory of the server, in MiB.
    pub fn memory_mib(&self) -> Option<(f64, f64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()?)).ok()?;
        let field = |name: &str| -> Option<f64> {
            let line = status.lines().find(|l| l.starts_with(name))?;
            let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib / 1024.0)
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }

    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }

    /// Stops the server as an operator does (SIGTERM: it drains, saves the read
    /// model's snapshot and exits), then, unless `keep_snapshot`, removes the snapshot,
    /// and starts it again. Returns the new server, how long the stop took, and the
    /// time from the new start until `path` (a report) was answered.
    pub async fn restart(
        mut self,
        settings: &DataSettings,
        keep_snapshot: bool,
        path: &str,
        client: &reqwest::Client,
    ) -> anyhow::Result<(Server, Duration, Duration)> {
        let pid = self.child.id().context("the server has exited")?;
        let stopping = Instant::now();
        let signalled = Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .await?;
        if !signalled.success() {
            bail!("kill -TERM {pid} failed");
        }
        self.child.wait().await?;
        let stopped = stopping.elapsed();
        if !keep_snapshot {
            let store = tally_store::Store::open(&settings.database_url).await?;
            store.discard_model_snapshot().await?;
            store.close().await;
        }
        let started = Instant::now();
        let (child, base) = serve(&std::env::current_exe()?, settings).await?;
        let response = client
            .get(format!("{base}{path}"))
            .bearer_auth(&self.token)
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("GET {path} after the restart: {}", response.status());
        }
        response.bytes().await?;
        let token = self.token.clone();
        let server = Server { child, base, token };
        Ok((server, stopped, started.elapsed()))
    }
}

/// Starts `tally serve` on a free port; returns the process and its address once it
/// listens.
async fn serve(exe: &std::path::Path, settings: &DataSettings) -> anyhow::Result<(Child, String)> {
    let mut child = Command::new(exe)
        .env("TALLY_DATABASE_URL", &settings.database_url)
        .args(settings_args(settings))
        .args(["--listen", "127.0.0.1:0", "serve"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().context("no stdout")?).lines();
    let mut base = None;
    while let Some(line) = lines.next_line().await? {
        if let Some(address) = line.strip_prefix("Tally is listening on ") {
            base = Some(address.trim().to_owned());
            break;
        }
    }
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let base = base.context("the server did not start")?;
    Ok((child, base))
}

/// The settings as flags; the database URL, which may hold a password, goes by the
/// environment instead, out of other users' sight in `ps`.
fn settings_args(settings: &DataSettings) -> Vec<String> {
    vec![
        format!("--timezone={}", settings.timezone),
        format!("--week-start={}", settings.week_start),
        format!("--currency={}", settings.currency),
    ]
}
