//! Notices by email, received by a real SMTP server: Python's `aiosmtpd` (Debian's
//! `python3-aiosmtpd`, installed by `.ci/run`), saving each message to a maildir. A
//! person who chose a kind gets its notices in the language they chose, as HTML with a
//! plain-text part and a link to the goal; a person who chose nothing gets nothing.

use crate::helpers::{Backend, TestApp, spawn_app_mailing};
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

async fn people_get_the_notices_they_chose_by_email(backend: Backend) {
    let smtp = SmtpServer::start();
    let mail = MailSettings {
        host: "127.0.0.1".into(),
        port: smtp.port,
        tls: MailTls::None,
        user: None,
        password: None,
        from: "Tally <kpi@example.vn>".into(),
        public_url: Some("https://kpi.example.vn".into()),
    };
    let app: TestApp = spawn_app_mailing(backend, mail).await;
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
    for (who, form) in [
        ("lan", "kind=milestone&kind=pace&lang=en"),
        ("nam", "kind=milestone&lang=vi"),
    ] {
        let chosen = post_form(
            &app,
            &sign_in(&app, who).await,
            "/notifications/email",
            form,
        )
        .await;
        assert_eq!(chosen.status(), StatusCode::SEE_OTHER, "{who}");
    }
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
    let plain = decoded_parts(&nam)
        .into_iter()
        .find(|(k, _)| k == "text/plain")
        .unwrap()
        .1;
    assert!(
        plain.contains("Gọi điện: nam đạt 50 % mục tiêu Số cuộc gọi ("),
        "{plain}"
    );
    assert!(plain.contains("Mở trong Tally"), "{plain}");

    // Nobody else, and nothing twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let messages = smtp.messages();
    assert_eq!(messages.len(), 2, "one each to lan and nam");
    assert!(
        messages
            .iter()
            .all(|m| !to_line(m).contains("binh@example.vn"))
    );
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
