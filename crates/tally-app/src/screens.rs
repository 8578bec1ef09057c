//! TV links: an owner or admin makes a revocable link for a screen on the wall, which
//! shows the wallboard without a sign-in, and nothing else. The link holds a random
//! secret, shown once and kept only as its SHA-256 (as API tokens are). Whoever opens
//! it reads as a wallboard does: every employee's standing, no contact details, no
//! CRM record, no write; the secret is no API token and opens nothing but the screen.

use crate::app::App;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::tokens::{MAX_TOKEN_NAME_CHARS, hash_secret, new_secret};
use tally_core::Role;
use tally_store::Screen;

/// The languages a screen may show.
pub const SCREEN_LANGS: [&str; 2] = ["vi", "en"];

/// A new TV link: its record, and the secret of its address, which nothing stores.
pub struct NewScreen {
    pub screen: Screen,
    pub secret: String,
}

impl App {
    /// Makes a TV link named `name` (where the screen hangs) showing `lang`.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor(), screen = name))]
    pub async fn create_screen(
        &self,
        caller: &Caller,
        name: &str,
        lang: &str,
    ) -> Result<NewScreen> {
        caller.require(&[Role::Owner, Role::Admin], "create TV links")?;
        let name = name.trim();
        let printable = !name.chars().any(char::is_control);
        if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME_CHARS || !printable {
            return Err(Error::invalid(
                "name",
                format!("must have 1 to {MAX_TOKEN_NAME_CHARS} printable characters"),
            ));
        }
        if !SCREEN_LANGS.contains(&lang) {
            return Err(Error::invalid("lang", "must be vi or en"));
        }
        let secret = new_secret();
        let screen = self
            .store()
            .create_screen(name, lang, &hash_secret(&secret), &caller.actor())
            .await?;
        tracing::info!(screen = screen.key, by = %caller.actor(), "TV link created");
        Ok(NewScreen { screen, secret })
    }

    /// Every TV link, newest first (owners and admins).
    pub async fn screens(&self, caller: &Caller) -> Result<Vec<Screen>> {
        caller.require(&[Role::Owner, Role::Admin], "list TV links")?;
        Ok(self.store().screens().await?)
    }

    /// Revokes a TV link: its screen shows nothing from its next request on.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor(), screen = key))]
    pub async fn revoke_screen(&self, caller: &Caller, key: i64) -> Result<()> {
        caller.require(&[Role::Owner, Role::Admin], "revoke TV links")?;
        self.store().revoke_screen(key).await?;
        tracing::info!(screen = key, by = %caller.actor(), "TV link revoked");
        Ok(())
    }

    /// The screen a link's secret opens, and the caller it reads as: a wallboard.
    /// A revoked or unknown secret is not found (it names nothing that exists).
    pub async fn screen_caller(&self, secret: &str) -> Result<(Screen, Caller)> {
        let screen = self.store().screen_by_hash(&hash_secret(secret)).await?;
        let screen = screen
            .ok_or_else(|| Error::NotFound("this TV link does not exist or was revoked".into()))?;
        let caller = Caller::wallboard(format!("TV link {}", screen.key));
        Ok((screen, caller))
    }
}
