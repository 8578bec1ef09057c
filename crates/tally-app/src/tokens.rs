//! API tokens and session ids: random secrets, shown once and kept only as their
//! SHA-256. Owners and admins create tokens (an admin gives no owner's rights: neither
//! an owner token nor one that acts for an owner); the command line acts as an owner.

use crate::app::App;
use crate::caller::Caller;
use crate::error::{Error, Result};
use rand::RngCore;
use sha2::{Digest, Sha256};
use tally_core::Role;

/// The longest name of a token, in characters.
pub const MAX_TOKEN_NAME_CHARS: usize = 200;

/// A new random secret: `tally_` and 64 hex digits.
pub fn new_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("tally_{}", hex::encode(bytes))
}

/// What is stored of a secret: its SHA-256, in hex.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl App {
    /// Creates a token with `role`, acting for `user` when given; returns its secret,
    /// which nothing stores.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor(), token = name))]
    pub async fn create_token(
        &self,
        caller: &Caller,
        name: &str,
        role: Role,
        user: Option<&str>,
    ) -> Result<String> {
        caller.require(&[Role::Owner, Role::Admin], "create API tokens")?;
        may_give(caller, role, &format!("create a {role} token"))?;
        let printable = !name.chars().any(char::is_control);
        if name.is_empty() || name.chars().count() > MAX_TOKEN_NAME_CHARS || !printable {
            return Err(Error::invalid(
                "name",
                format!("must have 1 to {MAX_TOKEN_NAME_CHARS} printable characters"),
            ));
        }
        if let Some(id) = user
            && let Some(bound) = self.store().user(id).await?
        {
            may_give(caller, bound.role, "make a token that acts for an owner")?;
        }
        let secret = new_secret();
        self.store()
            .create_token(name, role, user, &hash_secret(&secret))
            .await?;
        tracing::info!(token = %name, by = %caller.actor(), "API token created");
        Ok(secret)
    }

    /// Revokes a token: an admin may not revoke an owner's token, nor one that acts
    /// for an owner.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor(), token = key))]
    pub async fn revoke_token(&self, caller: &Caller, key: i64) -> Result<()> {
        caller.require(&[Role::Owner, Role::Admin], "revoke API tokens")?;
        let tokens = self.store().tokens().await?;
        let token = tokens
            .iter()
            .find(|t| t.key == key)
            .ok_or_else(|| Error::NotFound(format!("token {key} does not exist")))?;
        may_give(caller, token.role, "revoke an owner's token")?;
        if let Some(id) = &token.user_id
            && let Some(bound) = self.store().user(id).await?
        {
            may_give(caller, bound.role, "revoke a token that acts for an owner")?;
        }
        self.store().revoke_token(key).await?;
        tracing::info!(token = key, by = %caller.actor(), "API token revoked");
        Ok(())
    }
}

/// Refuses a role, or a person to act for, that the caller may not give.
fn may_give(caller: &Caller, role: Role, what: &str) -> Result<()> {
    if caller.role.may_grant(role) {
        return Ok(());
    }
    Err(Error::Forbidden(format!(
        "the {} role may not {what}",
        caller.role
    )))
}

impl App {
    /// The caller a token's secret stands for, with its person's role and state now.
    pub async fn token_caller(&self, secret: &str) -> Result<Caller> {
        let token = self.store().token_by_hash(&hash_secret(secret)).await?;
        let token = token.ok_or_else(|| Error::Unauthorized("unknown or revoked token".into()))?;
        Caller::of_token(token)
    }
}
