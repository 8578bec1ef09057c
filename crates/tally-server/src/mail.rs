//! Notices by email: the outbound side of the email outbox. When the settings name an
//! SMTP server, a task claims the due emails every second and sends each in its
//! reader's language, as HTML with a plain-text part, retried with the webhooks'
//! backoff and given up after [`crate::deliver::MAX_ATTEMPTS`].

use crate::AppState;
use crate::export::Lang;
use crate::settings::{MailSettings, MailTls};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;
use tally_app::directory::Directory;
use tally_store::DueEmail;

/// Emails claimed at once.
const BATCH: i64 = 20;

/// How long a claimed email is another sender's to leave alone.
const LEASE_MS: i64 = 120_000;

type Mailer = AsyncSmtpTransport<Tokio1Executor>;

/// The SMTP transport of the settings.
fn mailer(settings: &MailSettings) -> Result<Mailer, lettre::transport::smtp::Error> {
    let builder = match settings.tls {
        MailTls::StartTls => Mailer::starttls_relay(&settings.host)?,
        MailTls::Tls => Mailer::relay(&settings.host)?,
        MailTls::None => Mailer::builder_dangerous(&settings.host),
    };
    let builder = builder
        .port(settings.port)
        .timeout(Some(Duration::from_secs(20)));
    let builder = match (&settings.user, &settings.password) {
        (Some(user), Some(password)) => {
            builder.credentials(Credentials::new(user.clone(), password.clone()))
        }
        _ => builder,
    };
    Ok(builder.build())
}

/// Sends due emails until the server stops.
pub async fn keep_emailing(state: AppState, settings: MailSettings, backoff: Duration) {
    let (mailer, from) = match (mailer(&settings), settings.from.parse::<Mailbox>()) {
        (Ok(mailer), Ok(from)) => (mailer, from),
        (Err(e), _) => {
            return tracing::error!(error = %e, "emails cannot be sent: the SMTP settings");
        }
        (_, Err(e)) => {
            return tracing::error!(error = %e, "emails cannot be sent: the sender address");
        }
    };
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = state.app.shutdown().clone().wait() => return,
        }
        let sending = Sending {
            mailer: &mailer,
            from: &from,
            link_base: settings.public_url.as_deref(),
        };
        if let Err(e) = send_due(&state, &sending, backoff).await {
            tracing::warn!(error = %e, "sending emails failed; will retry");
        }
    }
}

/// What every email of a round is sent with.
struct Sending<'a> {
    mailer: &'a Mailer,
    from: &'a Mailbox,
    link_base: Option<&'a str>,
}

async fn send_due(
    state: &AppState,
    sending: &Sending<'_>,
    backoff: Duration,
) -> Result<(), tally_app::Error> {
    let store = state.app.store();
    let due = store.claim_due_emails(BATCH, LEASE_MS).await?;
    if due.is_empty() {
        return Ok(());
    }
    let now = state.app.now().await?;
    for email in due {
        let outcome = match message(&email, &now.directory, state, sending) {
            Ok(message) => sending
                .mailer
                .send(message)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        match outcome {
            Ok(()) => store.email_sent(email.key).await?,
            Err(error) => {
                let attempts = email.attempts + 1;
                let retry_at = (attempts < crate::deliver::MAX_ATTEMPTS)
                    .then(|| crate::deliver::retry_at(backoff, attempts));
                tracing::warn!(email = email.key, %error, attempts, "an email failed");
                store.email_failed(email.key, &error, retry_at).await?;
            }
        }
    }
    Ok(())
}

/// The email of a notice, in its reader's language: a subject, the sentence of the
/// bell, and a link to the goal's view over the notice's period.
fn message(
    email: &DueEmail,
    directory: &Directory,
    state: &AppState,
    sending: &Sending<'_>,
) -> Result<Message, String> {
    let lang = if email.lang == "en" {
        Lang::En
    } else {
        Lang::Vi
    };
    let notice = &email.notice.notice;
    let text = crate::web::wording(notice, directory, &state.app.org().currency, lang);
    let to: Mailbox = format!(
        "{} <{}>",
        email.to_name.replace(['<', '>', '"'], ""),
        email.to_email
    )
    .parse()
    .map_err(|e| format!("the address of {}: {e}", email.to_email))?;
    let (subject, open, footer) = match lang {
        Lang::Vi => (
            "Tally: thông báo KPI",
            "Mở trong Tally",
            "Bạn nhận email này vì đã chọn nhận thông báo này trong Tally (Thông báo → Email).",
        ),
        Lang::En => (
            "Tally: KPI notification",
            "Open in Tally",
            "You receive this email because you chose this notification in Tally (Notifications → Email).",
        ),
    };
    let link = sending.link_base.map(|base| {
        format!(
            "{}{}",
            base.trim_end_matches('/'),
            crate::web::goal_href(notice)
        )
    });
    let plain = match &link {
        Some(link) => format!("{text}\n\n{open}: {link}\n\n-- \n{footer}\n"),
        None => format!("{text}\n\n-- \n{footer}\n"),
    };
    let html = html(&text, link.as_deref().map(|l| (open, l)), footer);
    Message::builder()
        .from(sending.from.clone())
        .to(to)
        .subject(format!("{subject} · {}", first_words(&text)))
        .multipart(MultiPart::alternative_plain_html(plain, html))
        .map_err(|e| e.to_string())
}

/// The subject's tail: the sentence, cut at a word near 80 characters.
fn first_words(text: &str) -> String {
    if text.chars().count() <= 80 {
        return text.to_owned();
    }
    let cut: String = text.chars().take(80).collect();
    let at = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", &cut[..at])
}

/// A small HTML body, escaped, with inline styles (mail clients drop style sheets).
fn html(text: &str, link: Option<(&str, &str)>, footer: &str) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let button = link.map_or_else(String::new, |(label, href)| {
        format!(
            r#"<p><a href="{}" style="display:inline-block;padding:10px 16px;background:#1565c0;color:#ffffff;text-decoration:none;border-radius:4px">{}</a></p>"#,
            escape(href),
            escape(label)
        )
    });
    format!(
        r#"<!doctype html><html><body style="font-family:Arial,Helvetica,sans-serif;font-size:15px;color:#1a1a1a"><p style="font-size:16px">{}</p>{button}<p style="color:#666666;font-size:12px">{}</p></body></html>"#,
        escape(text),
        escape(footer)
    )
}
