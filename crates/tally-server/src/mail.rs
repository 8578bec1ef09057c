//! Email: the outbound side of the email outboxes (a notice's emails, the daily
//! digests). When the settings name an SMTP server, a task claims the due emails every
//! second and sends each in its reader's language, as HTML with a plain-text part,
//! retried with the webhooks' backoff and given up after
//! [`crate::deliver::MAX_ATTEMPTS`].

use crate::AppState;
use crate::export::Lang;
use crate::settings::{MailSettings, MailTls};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;
use tally_app::directory::Directory;
use tally_store::{DueDigest, DueEmail, MailOutcome};

/// A digest is news for this many days after its day; older ones (queued while no
/// SMTP server was set) are not sent.
const DIGEST_DAYS: i32 = 2;

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
    send_notices(state, sending, backoff).await?;
    send_digests(state, sending, backoff).await
}

/// Sends the due emails of notices.
async fn send_notices(
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
        let message = message(&email, &now.directory, state, sending);
        match send(sending, message).await {
            Ok(()) => store.email_sent(email.key).await?,
            Err(error) => {
                let retry_at = retry_at(backoff, email.attempts, &error);
                store.email_failed(email.key, &error, retry_at).await?;
            }
        }
    }
    Ok(())
}

/// Sends the due daily digests, written now from the figures of their day; a digest
/// with nothing in it, or of a day long past, is recorded as such and not sent.
async fn send_digests(
    state: &AppState,
    sending: &Sending<'_>,
    backoff: Duration,
) -> Result<(), tally_app::Error> {
    let store = state.app.store();
    for due in store.claim_due_digests(BATCH, LEASE_MS).await? {
        if due.day < state.app.today().plus(-DIGEST_DAYS) {
            store.digest_done(due.key, MailOutcome::Stale).await?;
            continue;
        }
        let digest = state.app.digest(&due.user_id, due.day).await?;
        if digest.views.is_empty() {
            store.digest_done(due.key, MailOutcome::Empty).await?;
            continue;
        }
        let message = digest_message(&due, &digest, state, sending);
        match send(sending, message).await {
            Ok(()) => store.digest_done(due.key, MailOutcome::Sent).await?,
            Err(error) => {
                let retry_at = retry_at(backoff, due.attempts, &error);
                store.digest_failed(due.key, &error, retry_at).await?;
            }
        }
    }
    Ok(())
}

/// Hands a message to the SMTP server.
async fn send(sending: &Sending<'_>, message: Result<Message, String>) -> Result<(), String> {
    sending
        .mailer
        .send(message?)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// When an email that failed after `attempts` earlier attempts is tried again; none
/// once it has had its last.
fn retry_at(backoff: Duration, attempts: i64, error: &str) -> Option<i64> {
    let attempts = attempts + 1;
    tracing::warn!(%error, attempts, "an email failed");
    (attempts < crate::deliver::MAX_ATTEMPTS).then(|| crate::deliver::retry_at(backoff, attempts))
}

/// `lang` of a stored choice.
fn lang_of(code: &str) -> Lang {
    match code {
        "en" => Lang::En,
        _ => Lang::Vi,
    }
}

/// A message from the sender of the settings to one person.
fn compose(
    sending: &Sending<'_>,
    (to_name, to_email): (&str, &str),
    subject: String,
    plain: String,
    html: String,
) -> Result<Message, String> {
    let to: Mailbox = format!("{} <{to_email}>", to_name.replace(['<', '>', '"'], ""))
        .parse()
        .map_err(|e| format!("the address of {to_email}: {e}"))?;
    Message::builder()
        .from(sending.from.clone())
        .to(to)
        .subject(subject)
        .multipart(MultiPart::alternative_plain_html(plain, html))
        .map_err(|e| e.to_string())
}

/// The digest's email, in its reader's language.
fn digest_message(
    due: &DueDigest,
    digest: &tally_app::digest::Digest,
    state: &AppState,
    sending: &Sending<'_>,
) -> Result<Message, String> {
    let lang = lang_of(&due.lang);
    let email =
        crate::web::digest_email(digest, &state.app.org().currency, lang, sending.link_base)
            .map_err(|e| format!("writing the digest: {e}"))?;
    compose(
        sending,
        (&due.to_name, &due.to_email),
        email.subject,
        email.plain,
        email.html,
    )
}

/// The email of a notice, in its reader's language: a subject, the sentence of the
/// bell, and a link to the goal's view over the notice's period.
fn message(
    email: &DueEmail,
    directory: &Directory,
    state: &AppState,
    sending: &Sending<'_>,
) -> Result<Message, String> {
    let lang = lang_of(&email.lang);
    let notice = &email.notice.notice;
    let text = crate::web::wording(notice, directory, &state.app.org().currency, lang);
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
    compose(
        sending,
        (&email.to_name, &email.to_email),
        format!("{subject} · {}", first_words(&text)),
        plain,
        html,
    )
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
