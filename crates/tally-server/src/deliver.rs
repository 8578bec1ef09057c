//! Webhook deliveries: the outbound side of notices. A task claims the due deliveries
//! of the outbox every half second, sends each as JSON signed with its webhook's
//! secret, and records the outcome: delivered (any 2xx), tried again after a backoff
//! that doubles (from the settings' `webhook_backoff`, up to an hour), or given up
//! after [`MAX_ATTEMPTS`]; a webhook whose last [`PAUSE_AFTER`] attempts failed is
//! paused until an admin resumes it.
//!
//! A delivery is sent at least once: a crash between sending and recording sends it
//! again after its claim lapses. Receivers tell repeats by `X-Tally-Delivery`.

use crate::AppState;
use crate::export::Lang;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;
use std::time::Duration;
use tally_app::directory::Directory;
use tally_core::Currency;
use tally_core::views::Subject;
use tally_store::{DueDelivery, NoticeRecord};

/// Attempts of one delivery before it is given up.
pub const MAX_ATTEMPTS: i64 = 8;

/// Failed attempts in a row that pause a webhook.
pub const PAUSE_AFTER: i64 = 5;

/// How long a claimed delivery is another sender's to leave alone.
const LEASE_MS: i64 = 60_000;

/// How long a receiver has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Deliveries claimed at once.
const BATCH: i64 = 20;

/// The HMAC-SHA256 of `body` with `secret`, as `sha256=` and hex: the signature
/// header's value.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// When a delivery that failed `attempts` times is tried again (unix milliseconds):
/// after `backoff`, doubled at each attempt, at most an hour.
pub fn retry_at(backoff: Duration, attempts: i64) -> i64 {
    let doublings = u32::try_from((attempts - 1).clamp(0, 16)).unwrap_or(16);
    let wait = backoff
        .saturating_mul(1 << doublings)
        .min(Duration::from_secs(3_600));
    jiff::Timestamp::now().as_millisecond()
        + i64::try_from(wait.as_millis()).unwrap_or(i64::MAX / 2)
}

/// Sends due deliveries until the server stops.
pub async fn keep_delivering(state: AppState, backoff: Duration) {
    let client = match reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("Tally-Webhooks/1")
        .build()
    {
        Ok(client) => client,
        Err(e) => return tracing::error!(error = %e, "webhooks cannot be sent: no HTTP client"),
    };
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = state.app.shutdown().clone().wait() => return,
        }
        if let Err(e) = deliver_due(&state, &client, backoff).await {
            tracing::warn!(error = %e, "delivering webhooks failed; will retry");
        }
    }
}

async fn deliver_due(
    state: &AppState,
    client: &reqwest::Client,
    backoff: Duration,
) -> Result<(), tally_app::Error> {
    let store = state.app.store();
    let due = store.claim_due_deliveries(BATCH, LEASE_MS).await?;
    if due.is_empty() {
        return Ok(());
    }
    let now = state.app.now().await?;
    for delivery in due {
        let body = body(&delivery, &now.directory, state).to_string();
        let key = delivery.delivery.key;
        match send(client, &delivery, &body).await {
            Ok(()) => store.delivery_succeeded(key).await?,
            Err(error) => {
                let attempts = delivery.delivery.attempts + 1;
                let retry_at = (attempts < MAX_ATTEMPTS).then(|| retry_at(backoff, attempts));
                let paused = store
                    .delivery_failed(key, &error, retry_at, PAUSE_AFTER)
                    .await?;
                tracing::warn!(delivery = key, %error, attempts, "a webhook delivery failed");
                if paused {
                    tracing::warn!(
                        webhook = delivery.delivery.webhook_key,
                        "webhook paused after failures in a row"
                    );
                }
            }
        }
    }
    Ok(())
}

/// Posts one delivery; the error says what went wrong, for the log of deliveries.
async fn send(client: &reqwest::Client, delivery: &DueDelivery, body: &str) -> Result<(), String> {
    let response = client
        .post(&delivery.url)
        .header("content-type", "application/json")
        .header(
            "x-tally-signature",
            signature(&delivery.secret, body.as_bytes()),
        )
        .header("x-tally-delivery", delivery.delivery.key.to_string())
        .header("x-tally-event", delivery.notice.notice.key.kind.as_str())
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| match e.is_timeout() {
            true => format!("no answer within {} s", TIMEOUT.as_secs()),
            false => format!("could not connect: {e}"),
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    Err(format!("answered {}", status.as_u16()))
}

/// The JSON of a delivery (`docs/api.md`, "Webhooks"): the notice, and which delivery.
fn body(delivery: &DueDelivery, directory: &Directory, state: &AppState) -> Value {
    let mut body = notice_json(&delivery.notice, directory, &state.app.org().currency);
    body["delivery_id"] = json!(delivery.delivery.key);
    body
}

/// A notice as JSON, as webhooks receive it and `GET /api/v1/notifications` lists it:
/// what happened, to whom, with the figures and the sentence in both languages.
pub(crate) fn notice_json(
    record: &NoticeRecord,
    directory: &Directory,
    currency: &Currency,
) -> Value {
    let key = &record.notice.key;
    let (subject_kind, subject_id, name) = match &key.subject {
        Subject::User(id) => ("user", id, directory.roster.user_name(id)),
        Subject::Team(id) => ("team", id, directory.roster.team_name(id)),
    };
    let goal_name = directory
        .goals
        .iter()
        .find(|g| g.record.id == key.goal_id)
        .map_or(key.goal_id.as_str(), |g| g.record.name.as_str());
    let text = |lang| crate::web::wording(&record.notice, directory, currency, lang);
    let at = jiff::Timestamp::from_microsecond(record.created_at)
        .map(|t| t.to_string())
        .unwrap_or_default();
    json!({
        "notice_id": record.key,
        "kind": key.kind.as_str(),
        "mark": key.mark,
        "goal": {"id": key.goal_id, "name": goal_name},
        "metric": key.metric,
        "period": {"from": key.period.from.date().to_string(), "to": key.period.to.date().to_string()},
        "subject": {"kind": subject_kind, "id": subject_id, "name": name},
        "actual": record.notice.actual.normalize().to_string(),
        "target": record.notice.target.normalize().to_string(),
        "text": {"vi": text(Lang::Vi), "en": text(Lang::En)},
        "at": at,
    })
}

#[cfg(test)]
mod tests {
    use super::signature;

    #[test]
    fn the_signature_is_the_hmac_sha256_of_the_body() {
        // RFC 4231, test case 2.
        let expected = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(signature("Jefe", b"what do ya want for nothing?"), expected);
    }
}
