//! Notices by email, received by a real SMTP server: Python's `aiosmtpd` (Debian's
//! `python3-aiosmtpd`, installed by `.ci/run`), saving each message to a maildir. A
//! person who chose a kind gets its notices in the language they chose, as HTML with a
//! plain-text part and a link to the goal; a person who chose nothing gets nothing.
//! Those who chose the daily digest get the day before, as the goal view shows it to
//! them, once, however many instances send.

use crate::helpers::{Backend, TestApp, spawn_app_mailing, start_with};
use crate::sessions::{person, post_form, sign_in};
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tally_server::settings::{MailSettings, MailTls};

/// A local SMTP server, stopped when dropped.
struct SmtpServer {
    child: std::process::Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl SmtpServer {
    fn start() -> SmtpServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = tempfile::tempdir().unwrap();
        for folder in ["tmp", "new", "cur"] {
            std::fs::create_dir(maildir.path().join(folder)).unwrap();
        }
        let child = std::process::Command::new("/usr/bin/python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path())
            .spawn()
            .expect("python3-aiosmtpd is installed (.ci/run installs it)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "aiosmtpd never listened"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpServer {
            child,
            port,
            maildir,
        }
    }

    /// The messages received so far.
    fn messages(&self) -> Vec<String> {
        let new = self.maildir.path().join("new");
        let files: Vec<PathBuf> = std::fs::read_dir(&new)
            .map(|dir| dir.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        files
            .iter()
            .map(|f| std::fs::read_to_string(f).unwrap())
            .collect()
    }

    /// Waits for the message sent to `address`.
    async fn until_mail_to(&self, address: &str) -> String {
        let started = Instant::now();
        loop {
            if let Some(found) = self
                .messages()
                .into_iter()
                .find(|m| to_line(m).contains(address))
            {
                return found;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "no email to {address}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A few seconds on, exactly `count` messages were received (nothing was sent
    /// twice), none of them to `nobody`.
    async fn settles_at(&self, count: usize, nobody: &str) {
        tokio::time::sleep(Duration::from_secs(3)).await;
        let messages = self.messages();
        assert_eq!(messages.len(), count, "{messages:#?}");
        assert!(messages.iter().all(|m| !to_line(m).contains(nobody)));
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn to_line(message: &str) -> String {
    message
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("to:"))
        .unwrap_or_default()
        .to_owned()
}

/// The decoded text of each part of a message (quoted-printable or base64).
fn decoded_parts(message: &str) -> Vec<(String, String)> {
    // A maildir keeps the message with the host's line ends.
    let message = message.replace("\r\n", "\n");
    let mut parts = Vec::new();
    for part in message.split("\n--").skip(1) {
        let Some((head, body)) = part.split_once("\n\n") else {
            continue;
        };
        let head_lower = head.to_ascii_lowercase();
        let kind = head_lower
            .lines()
            .find_map(|l| l.strip_prefix("content-type: "))
            .unwrap_or_default()
            .split(';')
            .next()
            .unwrap_or_default()
            .to_owned();
        let text = if head_lower.contains("content-transfer-encoding: base64") {
            let joined: String = body.split_whitespace().collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(joined)
                .unwrap();
            String::from_utf8(bytes).unwrap()
        } else if head_lower.contains("quoted-printable") {
            unquote(body)
        } else {
            body.to_owned()
        };
        parts.push((kind, text));
    }
    parts
}

/// Quoted-printable, decoded.
fn unquote(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

fn calls(user: &str, n: usize) -> Value {
    let at = jiff::Timestamp::now().to_string();
    let events: Vec<Value> = (0..n)
        .map(|i| {
            json!({"id": format!("{user}-{i}"), "type": "call", "at": at, "user_id": user,
                   "direction": "outbound", "answered": true, "talk_seconds": 60})
        })
        .collect();
    json!(events)
}

/// The settings of a server sending through `smtp`.
fn mail_through(smtp: &SmtpServer) -> MailSettings {
    MailSettings {
        host: "127.0.0.1".into(),
        port: smtp.port,
        tls: MailTls::None,
        user: None,
        password: None,
        from: "Tally <kpi@example.vn>".into(),
        public_url: Some("https://kpi.example.vn".into()),
    }
}

/// `YYYY-MM-DD` as the Vietnamese pages write it.
fn day_vi(iso: &str) -> String {
    let (year, rest) = iso.split_once('-').unwrap();
    let (month, day) = rest.split_once('-').unwrap();
    format!("{day}/{month}/{year}")
}

/// Each person signs in and sends the email form: what they get by email.
async fn choose(app: &TestApp, choices: &[(&str, &str)]) {
    for (who, form) in choices {
        let session = sign_in(app, who).await;
        let chosen = post_form(app, &session, "/notifications/email", form).await;
        assert_eq!(chosen.status(), StatusCode::SEE_OTHER, "{who}");
    }
}

/// A message's part of this content type, decoded.
fn part(message: &str, kind: &str) -> String {
    decoded_parts(message)
        .into_iter()
        .find(|(k, _)| k == kind)
        .unwrap_or_else(|| panic!("no {kind} part in {message}"))
        .1
}

async fn people_get_the_notices_they_chose_by_email(backend: Backend) {
    let smtp = SmtpServer::start();
    let app: TestApp = spawn_app_mailing(backend, mail_through(&smtp)).await;
    for (id, role) in [
        ("boss", "owner"),
        ("lan", "agent"),
        ("nam", "agent"),
        ("binh", "agent"),
    ] {
        person(&app, id, role).await;
    }
    let goal = json!({"id": "goi", "name": "Gọi điện", "starts_on": "2020-01-01",
        "criteria": [{"metric": "calls", "period": "day", "target": 4}],
        "assignees": [{"user_id": "lan"}, {"user_id": "nam"}, {"user_id": "binh"}]});
    app.post_ok("/api/v1/goals", &goal, StatusCode::CREATED)
        .await;
    // Lan in English, Nam in Vietnamese; Binh chose nothing.
    choose(
        &app,
        &[
            // Milestones only: a pace notice depends on the hour the test runs.
            ("lan", "kind=milestone&lang=en"),
            ("nam", "kind=milestone&lang=vi"),
        ],
    )
    .await;
    for who in ["lan", "nam", "binh"] {
        assert_eq!(app.events(calls(who, 2)).await["accepted"], 2);
    }

    let lan = smtp.until_mail_to("lan@example.vn").await;
    assert!(lan.contains("From: Tally <kpi@example.vn>"), "{lan}");
    assert!(
        lan.to_ascii_lowercase().contains("multipart/alternative"),
        "{lan}"
    );
    let parts = decoded_parts(&lan);
    let plain = &parts
        .iter()
        .find(|(k, _)| k == "text/plain")
        .expect("a plain-text part")
        .1;
    let html = &parts
        .iter()
        .find(|(k, _)| k == "text/html")
        .expect("an HTML part")
        .1;
    assert!(
        plain.contains("Gọi điện: lan reached 50 % of the Calls target ("),
        "{plain}"
    );
    assert!(plain.contains("): 2 / 4"), "{plain}");
    assert!(
        plain.contains("Open in Tally: https://kpi.example.vn/kpi?view=goal&goal_id=goi&from="),
        "{plain}"
    );
    assert!(
        html.contains("reached 50 % of the Calls target")
            && html.contains("href=\"https://kpi.example.vn/kpi?view=goal&amp;goal_id=goi"),
        "{html}"
    );

    let nam = smtp.until_mail_to("nam@example.vn").await;
    let plain = part(&nam, "text/plain");
    assert!(
        plain.contains("Gọi điện: nam đạt 50 % mục tiêu Số cuộc gọi ("),
        "{plain}"
    );
    assert!(plain.contains("Mở trong Tally"), "{plain}");

    // Nobody else, and nothing twice.
    smtp.settles_at(2, "binh@example.vn").await;
}

/// The floor of the notices' tests: supervisor ha of north (lan and nam), owner boss,
/// and the goal "Chốt đơn" of 2 won deals and 4 calls a day, from yesterday, when lan
/// made 5 calls. Ha and boss choose the digest, lan does not; two instances send.
async fn managers_get_the_digest_of_yesterday_once(backend: Backend) {
    let smtp = SmtpServer::start();
    let app: TestApp = spawn_app_mailing(backend, mail_through(&smtp)).await;
    crate::notices::floor(&app).await;
    // Binh, in no team of ha's, has a goal of his own: ha does not see it, boss does.
    person(&app, "binh", "agent").await;
    let view = app
        .get_ok("/api/v1/goals/chot/progress?period=yesterday")
        .await;
    let yesterday = view["from"].as_str().unwrap().to_owned();
    let solo = json!({"id": "le", "name": "Gọi lẻ", "starts_on": yesterday,
        "criteria": [{"metric": "calls", "period": "day", "target": 2}],
        "assignees": [{"user_id": "binh"}]});
    app.post_ok("/api/v1/goals", &solo, StatusCode::CREATED)
        .await;
    let _second = start_with(
        &app.database_url(),
        tally_server::Limits::default(),
        Some(mail_through(&smtp)),
    )
    .await;
    choose(
        &app,
        &[
            ("ha", "digest=on&lang=en"),
            ("boss", "digest=on&lang=vi"),
            ("lan", "kind=pace&lang=en"),
        ],
    )
    .await;
    // Sent from midnight on: due at once.
    let boss = sign_in(&app, "boss").await;
    let form = "milestones=50&pace_check=23%3A59&digest_time=00%3A00";
    let saved = post_form(&app, &boss, "/notifications/settings", form).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);

    // The figures are the goal view's of yesterday.
    let lan_calls = view["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["user_id"] == "lan" && r["metric"] == "calls")
        .unwrap();
    assert_eq!(
        (lan_calls["actual"].as_i64(), lan_calls["target"].as_f64()),
        (Some(5), Some(4.0))
    );

    let ha = smtp.until_mail_to("ha@example.vn").await;
    assert!(
        ha.contains(&format!("Subject: Tally: results of {yesterday}")),
        "{ha}"
    );
    let plain = part(&ha, "text/plain");
    assert!(
        plain.contains(&format!("Chốt đơn · {yesterday}")),
        "{plain}"
    );
    // Lan's score: half of 0 % and half of 125 % capped at 120 %.
    let lan_score = view["scores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["user_id"] == "lan")
        .unwrap();
    assert_eq!(
        (lan_score["score"].as_str(), lan_score["grade"].as_str()),
        (Some("0.6"), Some("C"))
    );
    assert!(
        plain.contains(
            "lan: Won sales opportunities 0 / 2 (0%) · Calls 5 / 4 (125%) · Score 60% · C"
        ),
        "{plain}"
    );
    assert!(
        plain.contains("nam: Won sales opportunities 0 / 2 (0%) · Calls 0 / 4 (0%) · Score 0% · D"),
        "{plain}"
    );
    assert!(
        plain.contains(&format!(
            "Open in Tally: https://kpi.example.vn/kpi?view=goal&goal_id=chot&from={yesterday}&to={yesterday}"
        )),
        "{plain}"
    );
    assert!(
        !plain.contains("binh") && !plain.contains("Gọi lẻ"),
        "{plain}"
    );
    let html = part(&ha, "text/html");
    assert!(
        html.contains("5 / 4<br><span style=\"color:#555555\">125%</span></td>"),
        "{html}"
    );

    let boss_mail = smtp.until_mail_to("boss@example.vn").await;
    let plain = part(&boss_mail, "text/plain");
    assert!(plain.contains("Tally: kết quả ngày"), "{plain}");
    assert!(
        plain.contains("lan: Cơ hội bán hàng thành công 0 / 2 (0 %) · Số cuộc gọi 5 / 4 (125 %)"),
        "{plain}"
    );
    assert!(
        plain.contains(&format!("Gọi lẻ · {}", day_vi(&yesterday))),
        "{plain}"
    );
    assert!(plain.contains("binh: Số cuộc gọi 0 / 2 (0 %)"), "{plain}");

    // Once each, from either instance; nothing to lan.
    smtp.settles_at(2, "lan@example.vn").await;
}

mod managers_get_the_digest_of_yesterday_once {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::managers_get_the_digest_of_yesterday_once(crate::helpers::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::managers_get_the_digest_of_yesterday_once(crate::helpers::Backend::Postgres).await
    }
}

mod people_get_the_notices_they_chose_by_email {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::people_get_the_notices_they_chose_by_email(crate::helpers::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::people_get_the_notices_they_chose_by_email(crate::helpers::Backend::Postgres).await
    }
}
