//! Signing in and out of the pages: sessions, and the slowing down of guessed
//! passwords. A session's secret is 32 random bytes handed to the browser once; only
//! its SHA-256 is stored, and a session ends after [`SESSION_IDLE_SECONDS`] without use
//! or at sign-out. The cookie that carries it is the HTTP adapter's business.

use crate::passwords::hash as hash_password;
use crate::tokens::{hash_secret, new_secret};
use crate::{App, Error, Result};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tally_core::Role;
use tally_store::User;

/// A session ends after this long without use.
pub const SESSION_IDLE_SECONDS: i64 = 12 * 3600;

/// How often, at most, a session's expiry is moved on (one write per half hour).
const SESSION_REFRESH_SECONDS: i64 = 1800;

/// The longest email accepted (RFC 5321's path limit).
const MAX_EMAIL_CHARS: usize = 254;

/// A signed-in session: its person, and the hash it is stored under.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: User,
    pub id_hash: String,
}

/// What a sign-in came to.
pub enum SignIn {
    /// A new session: its secret, for the browser, once.
    Started { secret: String, user: User },
    /// A wrong email or password (which one is not told).
    Refused,
}

impl App {
    /// Checks an email and password and starts a session. Too many wrong passwords
    /// for one email make it wait ([`SignInFailures`]); an unknown email costs the
    /// same hashing as a known one, so timing does not tell who has an account.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in(&self, email: &str, password: String) -> Result<SignIn> {
        let email = email.trim().to_lowercase();
        if email.chars().count() > MAX_EMAIL_CHARS {
            let message = format!("is longer than {MAX_EMAIL_CHARS} characters");
            return Err(Error::invalid("email", message));
        }
        // The attempt is counted before the password is checked, so parallel guesses
        // cannot all pass the limit; a right password clears the count.
        if let Err(wait) = self.sign_in_failures().attempt(&email) {
            let minutes = wait.as_secs().div_ceil(60);
            return Err(Error::TooManyRequests(format!(
                "too many wrong passwords for this email: try again in {minutes} minutes"
            )));
        }
        // No account has an email with a control character (a NUL would not even
        // reach every database alike): such an email is simply unknown.
        let found = match email.chars().any(char::is_control) {
            true => None,
            false => self.store().sign_in_of(&email).await?,
        };
        let (user, hash) = match found {
            Some((user, hash)) => (Some(user), hash),
            None => (None, unknown_user_hash().to_owned()),
        };
        let matches = self.passwords().matches(password, hash.clone()).await?;
        let Some(user) = user.filter(|_| matches) else {
            tracing::info!("a sign-in failed");
            return Ok(SignIn::Refused);
        };
        let secret = new_secret();
        let expires_at = jiff::Timestamp::now().as_second() + SESSION_IDLE_SECONDS;
        let store = self.store();
        // Not started when the password changed, or the person was deactivated, while
        // it was being checked.
        let started = store
            .create_session(&hash_secret(&secret), user.key, &hash, expires_at)
            .await?;
        if !started {
            return Ok(SignIn::Refused);
        }
        self.sign_in_failures().forget(&email);
        tracing::info!(user = %user.id, "signed in");
        Ok(SignIn::Started { secret, user })
    }

    /// The session of a secret, if it is still open; its end moves on with use.
    pub async fn session(&self, secret: &str) -> Result<Option<Session>> {
        let id_hash = hash_secret(secret);
        let Some((user, expires_at)) = self.store().session_user(&id_hash).await? else {
            return Ok(None);
        };
        let now = jiff::Timestamp::now().as_second();
        if expires_at - now < SESSION_IDLE_SECONDS - SESSION_REFRESH_SECONDS {
            let until = now + SESSION_IDLE_SECONDS;
            self.store().extend_session(&id_hash, until).await?;
        }
        Ok(Some(Session { user, id_hash }))
    }

    /// Whether a session still signs in the same person with the same role (a form
    /// is judged again once its body has arrived).
    pub async fn session_holds(&self, id_hash: &str, role: Role) -> Result<bool> {
        let now = self.store().session_user(id_hash).await?;
        Ok(now.is_some_and(|(user, _)| user.role == role))
    }

    /// Ends a session.
    pub async fn sign_out(&self, id_hash: &str) -> Result<()> {
        Ok(self.store().delete_session(id_hash).await?)
    }
}

/// A hash no password is checked against successfully in practice, for unknown emails.
fn unknown_user_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&new_secret()).unwrap_or_default())
}

/// Attempts per email without a right password, in this server's memory: after
/// [`SignInFailures::LIMIT`] in [`SignInFailures::WINDOW`], that email may not try
/// again until the window has passed. At most `KEEP` emails are tracked; when full,
/// expired entries go, then the coldest (see `attempt`). Per instance: behind a load
/// balancer, each instance counts its own.
#[derive(Clone, Default)]
pub struct SignInFailures(Arc<Mutex<HashMap<String, (u32, Instant)>>>);

impl SignInFailures {
    pub const LIMIT: u32 = 5;
    pub const WINDOW: Duration = Duration::from_secs(15 * 60);
    /// The most emails tracked at once.
    const KEEP: usize = 10_000;

    /// Counts an attempt for this email, or says how long it must wait. The count is
    /// taken under the lock before the password is checked.
    pub(crate) fn attempt(&self, email: &str) -> Result<(), Duration> {
        let Ok(mut table) = self.0.lock() else {
            return Ok(());
        };
        if table.len() >= Self::KEEP && !table.contains_key(email) {
            table.retain(|_, (_, since)| since.elapsed() < Self::WINDOW);
            // Still full: the coldest entry makes room. An email still allowed to try
            // goes first (the fewest attempts, the oldest of those); a locked one only
            // when all are locked, the newest first: a flood of guesses at made-up
            // emails, even each guessed to the limit, cannot push out the lock of an
            // email under attack.
            if table.len() >= Self::KEEP {
                let coldest = table
                    .iter()
                    .min_by_key(|(_, (count, since))| match *count < Self::LIMIT {
                        true => (false, *count, Some(*since), None),
                        false => (true, *count, None, Some(std::cmp::Reverse(*since))),
                    })
                    .map(|(k, _)| k.clone());
                if let Some(coldest) = coldest {
                    table.remove(&coldest);
                }
            }
        }
        let entry = table.entry(email.to_owned()).or_insert((0, Instant::now()));
        if entry.1.elapsed() >= Self::WINDOW {
            *entry = (0, Instant::now());
        }
        if entry.0 >= Self::LIMIT {
            return Err(Self::WINDOW.saturating_sub(entry.1.elapsed()));
        }
        entry.0 += 1;
        Ok(())
    }

    pub(crate) fn forget(&self, email: &str) {
        if let Ok(mut table) = self.0.lock() {
            table.remove(email);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::SignInFailures;

    #[test]
    fn a_flood_of_made_up_emails_does_not_reset_a_locked_one() {
        let failures = SignInFailures::default();
        for _ in 0..SignInFailures::LIMIT {
            assert!(failures.attempt("lan@example.vn").is_ok());
        }
        assert!(failures.attempt("lan@example.vn").is_err());
        for i in 0..2 * SignInFailures::KEEP {
            let _ = failures.attempt(&format!("junk{i}@example.vn"));
        }
        assert!(failures.attempt("lan@example.vn").is_err());
        // Even made-up emails each guessed up to the limit do not unlock it.
        for i in 0..SignInFailures::KEEP + 10 {
            for _ in 0..SignInFailures::LIMIT {
                let _ = failures.attempt(&format!("locked{i}@example.vn"));
            }
        }
        assert!(failures.attempt("lan@example.vn").is_err());
        let table = failures.0.lock().unwrap();
        assert!(table.len() <= SignInFailures::KEEP);
    }
}
