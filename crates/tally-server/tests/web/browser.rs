//! A real headless Chromium, driven through chromedriver (WebDriver) by fantoccini.
//!
//! Each test starts its own chromedriver on a free port and its own Chromium with a
//! fresh profile and download folder. Chromium and chromedriver come from Debian's
//! `chromium` and `chromium-driver` packages (`.ci/run` installs them); without them
//! the test fails and says so.

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// How long a page may take to show what a test waits for.
pub const PATIENCE: Duration = Duration::from_secs(10);

pub struct Browser {
    pub client: Client,
    pub downloads: tempfile::TempDir,
    _profile: tempfile::TempDir,
    driver: Child,
}

fn chromium() -> PathBuf {
    let path = std::env::var("TALLY_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let path = PathBuf::from(path);
    assert!(
        path.exists(),
        "no Chromium at {}: install Debian's chromium and chromium-driver (apt-get install chromium chromium-driver), as .ci/run does",
        path.display()
    );
    path
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("local address").port()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium, 1280×900 unless resized. The port
    /// is picked free, then taken by chromedriver: should another test take it in
    /// between, it tries again on another.
    pub async fn start() -> Browser {
        for _ in 0..3 {
            if let Some(browser) = Browser::start_on(free_port()).await {
                return browser;
            }
        }
        panic!("cannot start Chromium through chromedriver (see the lines above)");
    }

    async fn start_on(port: u16) -> Option<Browser> {
        let binary = chromium();
        let mut driver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            // Dates in the pickers as a Vietnamese browser shows them (dd/mm/yyyy).
            .env("LANG", "vi_VN.UTF-8")
            .env("LANGUAGE", "vi")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start chromedriver (Debian package chromium-driver)");
        let profile = tempfile::tempdir().expect("profile folder");
        let downloads = tempfile::tempdir().expect("download folder");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": binary,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                    "--window-size=1280,900", "--lang=vi-VN",
                    format!("--user-data-dir={}", profile.path().display()),
                ],
                "prefs": {
                    "download.default_directory": downloads.path(),
                    "download.prompt_for_download": false,
                },
            }),
        );
        let webdriver = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(capabilities.clone())
                .connect(&webdriver)
                .await
            {
                Ok(client) => break client,
                // chromedriver exited: the port was taken.
                Err(_) if matches!(driver.try_wait(), Ok(Some(_))) => return None,
                Err(_) if started.elapsed() < PATIENCE => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => {
                    eprintln!("cannot start Chromium through chromedriver: {e}");
                    return None;
                }
            }
        };
        Some(Browser {
            client,
            downloads,
            _profile: profile,
            driver,
        })
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("open the page");
    }

    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
    }

    /// The element's text. A live update may replace the element between finding it
    /// and reading it: then it is found again.
    pub async fn text(&self, css: &str) -> String {
        let started = Instant::now();
        loop {
            match self.find(css).await.text().await {
                Ok(text) => return text,
                Err(_) if started.elapsed() < PATIENCE => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("cannot read {css}: {e}"),
            }
        }
    }

    /// Whether an element is on the page now (no waiting).
    pub async fn has(&self, css: &str) -> bool {
        !self
            .client
            .find_all(Locator::Css(css))
            .await
            .expect("search the page")
            .is_empty()
    }

    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear the field");
        field.send_keys(text).await.expect("type");
    }

    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .expect("choose an option");
    }

    /// Clicks the element. A live update (a search as you type, a refreshed fragment)
    /// may replace it between finding it and clicking it: then it is found again.
    pub async fn click(&self, css: &str) {
        let started = Instant::now();
        loop {
            match self.find(css).await.click().await {
                Ok(()) => return,
                Err(_) if started.elapsed() < PATIENCE => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("cannot click {css}: {e}"),
            }
        }
    }

    /// Runs a script in the page and returns its value.
    pub async fn script(&self, code: &str) -> Value {
        self.client
            .execute(code, Vec::new())
            .await
            .expect("run a script")
    }

    /// Waits until the element's text is `expected`; fails with what it last showed.
    pub async fn wait_for_text(&self, css: &str, expected: &str) {
        let started = Instant::now();
        loop {
            let shown = self.text(css).await;
            if shown == expected {
                return;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{css} shows {shown:?}, not {expected:?}, after {PATIENCE:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current URL");
        match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Signs in through the sign-in page.
    pub async fn sign_in(&self, base: &str, email: &str, password: &str) {
        self.goto(&format!("{base}/login")).await;
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("form button[type=submit]").await;
        let started = Instant::now();
        while self.path().await.starts_with("/login") {
            assert!(started.elapsed() < PATIENCE, "still on the sign-in page");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The first file to finish downloading into the download folder.
    pub async fn downloaded(&self) -> (String, Vec<u8>) {
        let started = Instant::now();
        loop {
            if let Some(found) = finished_file(self.downloads.path()) {
                let bytes = std::fs::read(&found).expect("read the download");
                let name = found
                    .file_name()
                    .expect("file name")
                    .to_string_lossy()
                    .into_owned();
                return (name, bytes);
            }
            assert!(started.elapsed() < PATIENCE, "nothing was downloaded");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn screenshot(&self, path: &Path) {
        let png = self.client.screenshot().await.expect("screenshot");
        std::fs::write(path, png).expect("write the screenshot");
    }

    pub async fn quit(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill().await;
    }
}

fn finished_file(folder: &Path) -> Option<PathBuf> {
    std::fs::read_dir(folder)
        .ok()?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| {
            // Chromium writes into a hidden temporary file (`.org.chromium.…`) or a
            // `.crdownload` one, then renames it.
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            !name.starts_with('.') && !name.ends_with(".crdownload") && !name.ends_with(".tmp")
        })
}
