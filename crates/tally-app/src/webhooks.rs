//! Webhooks: owners and admins register URLs that receive the notices of the kinds
//! they choose, signed with a per-webhook secret (shown once), retried with backoff,
//! paused after failures in a row; each has a log of its deliveries. Sending is the
//! server's (an outbound adapter); the queue and its rules live in the store.

use crate::app::App;
use crate::caller::Caller;
use crate::error::{Error, Result};
use rand::RngCore;
use tally_core::Role;
use tally_core::notice::NoticeKind;
use tally_store::{Delivery, Webhook};

/// The longest URL a webhook may have.
pub const MAX_URL_CHARS: usize = 2_000;

/// A new webhook and the secret its deliveries are signed with (shown once).
pub struct NewWebhook {
    pub webhook: Webhook,
    pub secret: String,
}

impl App {
    /// Registers `url` for the notices of `kinds` (owners and admins).
    #[tracing::instrument(skip_all, fields(caller = %caller.actor()))]
    pub async fn create_webhook(
        &self,
        caller: &Caller,
        url: &str,
        kinds: &[NoticeKind],
    ) -> Result<NewWebhook> {
        caller.require(&[Role::Owner, Role::Admin], "register webhooks")?;
        let url = url.trim();
        let scheme_ok = url.starts_with("https://") || url.starts_with("http://");
        let host = url.split("://").nth(1).unwrap_or_default();
        let printable = !url.chars().any(|c| c.is_control() || c.is_whitespace());
        if !scheme_ok || host.is_empty() || host.starts_with('/') || !printable {
            return Err(Error::invalid(
                "url",
                "must be an http:// or https:// address",
            ));
        }
        if url.chars().count() > MAX_URL_CHARS {
            return Err(Error::invalid(
                "url",
                format!("must have at most {MAX_URL_CHARS} characters"),
            ));
        }
        if kinds.is_empty() {
            return Err(Error::invalid(
                "kinds",
                "choose at least one kind of notice",
            ));
        }
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let secret = format!("whsec_{}", hex::encode(bytes));
        let webhook = self
            .store()
            .create_webhook(url, kinds, &secret, &caller.actor())
            .await?;
        tracing::info!(webhook = webhook.key, by = %caller.actor(), "webhook registered");
        Ok(NewWebhook { webhook, secret })
    }

    /// Every webhook, with its latest deliveries (owners and admins).
    pub async fn webhooks(
        &self,
        caller: &Caller,
        log: i64,
    ) -> Result<Vec<(Webhook, Vec<Delivery>)>> {
        caller.require(&[Role::Owner, Role::Admin], "list webhooks")?;
        let mut listed = Vec::new();
        for webhook in self.store().webhooks().await? {
            let deliveries = self.store().deliveries_of(webhook.key, log).await?;
            listed.push((webhook, deliveries));
        }
        Ok(listed)
    }

    /// Pauses or resumes a webhook.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor(), webhook = key))]
    pub async fn pause_webhook(&self, caller: &Caller, key: i64, paused: bool) -> Result<()> {
        caller.require(&[Role::Owner, Role::Admin], "pause or resume webhooks")?;
        Ok(self.store().pause_webhook(key, paused).await?)
    }

    /// Removes a webhook; what waited for it is dropped.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor(), webhook = key))]
    pub async fn remove_webhook(&self, caller: &Caller, key: i64) -> Result<()> {
        caller.require(&[Role::Owner, Role::Admin], "remove webhooks")?;
        Ok(self.store().remove_webhook(key).await?)
    }
}
