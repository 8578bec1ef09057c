//! Who is calling: API tokens (`Authorization: Bearer …`) and their roles.
//!
//! A token is 32 random bytes shown once; only its SHA-256 is stored, so a copy of
//! the database does not hand out access. Every handler takes a [`Caller`] and checks
//! its role before doing anything.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use rand::RngCore;
use sha2::{Digest, Sha256};
use tally_core::Role;

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub role: Role,
    /// The user the token belongs to, if it is bound to one.
    pub user_id: Option<String>,
    /// The token's name, to record who changed what.
    pub token_name: String,
}

impl Caller {
    /// Who made a change, as recorded in histories: the user, else the token's name.
    pub fn actor(&self) -> String {
        match &self.user_id {
            Some(user) => format!("user:{user}"),
            None => format!("token:{}", self.token_name),
        }
    }

    /// The user whose view this caller is limited to: an agent token bound to a user
    /// sees only themself and their teams. Every other token reads every row; an agent
    /// token bound to nobody is a read-only viewer (a wallboard on the call floor).
    pub fn limited_to(&self) -> Option<&str> {
        match self.role {
            Role::Agent => self.user_id.as_deref(),
            _ => None,
        }
    }

    /// Refuses unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role], what: &str) -> Result<(), ApiError> {
        if roles.contains(&self.role) {
            return Ok(());
        }
        Err(ApiError::Forbidden(format!(
            "the {} role may not {what}",
            self.role
        )))
    }
}

/// A new random token secret: `tally_` and 64 hex digits.
pub fn new_token_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("tally_{}", hex::encode(bytes))
}

/// The stored form of a token secret.
pub fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| {
                ApiError::Unauthorized("sign in: send Authorization: Bearer <token>".into())
            })?;
        let secret = secret_of(header).ok_or_else(|| {
            ApiError::Unauthorized(
                "the Authorization header must be Bearer <token> (or Basic with the token as password)".into(),
            )
        })?;
        let token = state
            .store
            .token_by_hash(&hash_token(&secret))
            .await?
            .ok_or_else(|| ApiError::Unauthorized("unknown or revoked token".into()))?;
        Ok(Caller {
            role: token.role,
            user_id: token.user_id,
            token_name: token.name,
        })
    }
}

/// The token secret of an `Authorization` header: `Bearer <token>`, or `Basic` with
/// the token as the password, for a PBX that can only send basic credentials
/// (FreeSWITCH `mod_json_cdr`'s `cred`). Scheme names are case-insensitive (RFC 9110).
fn secret_of(header: &str) -> Option<String> {
    use base64::Engine;
    let (scheme, value) = header.split_once(' ')?;
    let value = value.trim();
    let secret = if scheme.eq_ignore_ascii_case("bearer") {
        value.to_owned()
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        text.split_once(':')?.1.to_owned()
    } else {
        return None;
    };
    (!secret.is_empty()).then_some(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_stored_only_as_a_hash() {
        let (a, b) = (new_token_secret(), new_token_secret());
        assert_ne!(a, b);
        assert_eq!(a.len(), "tally_".len() + 64);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), hash_token(&b));
        assert!(!hash_token(&a).contains(&a[6..]));
    }

    #[test]
    fn the_secret_comes_from_bearer_or_basic_credentials() {
        assert_eq!(secret_of("Bearer tally_ab").as_deref(), Some("tally_ab"));
        assert_eq!(secret_of("bearer tally_ab").as_deref(), Some("tally_ab"));
        // "pbx:tally_ab" in base64.
        assert_eq!(
            secret_of("Basic cGJ4OnRhbGx5X2Fi").as_deref(),
            Some("tally_ab")
        );
        assert_eq!(secret_of("Basic !!!"), None);
        assert_eq!(secret_of("Bearer "), None);
        assert_eq!(secret_of("Digest x"), None);
    }
}
