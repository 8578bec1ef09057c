//! Passwords: kept as argon2id hashes (PHC strings with a fresh salt), checked off the
//! async threads and only a few at a time.
//!
//! One argon2 computation holds 19 MiB for tens of milliseconds. Run without a bound,
//! a crowd of sign-in attempts (no account needed: an unknown email costs the same
//! work, so timing does not tell who has one) would each take their 19 MiB at once,
//! and the allocator keeps what it grew: gigabytes. So at most one computation per
//! core runs, on threads of their own (the allocator keeps memory per thread, so a
//! few fixed threads keep little; tokio's blocking pool would spread the work over
//! many); the others wait their turn, and one that waits longer than [`MAX_WAIT`] is
//! answered "too many at once".

use crate::error::{Error, Result};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

/// The shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// The longest a password check waits for its turn.
pub const MAX_WAIT: Duration = Duration::from_secs(10);

/// Hashes a password with argon2id and a fresh salt, after checking it is long
/// enough: for the command line, which has no crowd to wait for.
pub fn hash(password: &str) -> Result<String> {
    use argon2::password_hash::PasswordHasher;
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::invalid(
            "password",
            format!("must have at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| Error::internal("hashing a password", e.to_string()))
}

/// Whether a password matches a stored argon2 hash.
pub fn matches(password: &str, hash: &str) -> bool {
    use argon2::password_hash::PasswordVerifier;
    argon2::Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// A computation for the password threads.
type Job = Box<dyn FnOnce() + Send>;

/// The server's password work, a few computations at a time.
#[derive(Clone)]
pub struct Passwords {
    turns: Arc<Semaphore>,
    jobs: Sender<Job>,
}

impl Default for Passwords {
    /// One thread, and one computation at a time, per core.
    fn default() -> Self {
        Passwords::on_threads(std::thread::available_parallelism().map_or(1, |n| n.get()))
    }
}

impl Passwords {
    /// `threads` computations at a time, each on its own thread. The threads end when
    /// the last clone is dropped.
    pub fn on_threads(threads: usize) -> Passwords {
        let (jobs, queue) = channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for _ in 0..threads {
            let queue = queue.clone();
            let started = std::thread::Builder::new()
                .name("tally-passwords".into())
                .spawn(move || work_through(&queue));
            if let Err(e) = started {
                tracing::error!(error = %e, "a password thread could not start");
            }
        }
        Passwords {
            turns: Arc::new(Semaphore::new(threads)),
            jobs,
        }
    }
}

/// A password thread: runs the jobs it is given until the queue closes.
fn work_through(queue: &Mutex<Receiver<Job>>) {
    loop {
        let next = match queue.lock() {
            Ok(queue) => queue.recv(),
            Err(_) => return,
        };
        match next {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

impl Passwords {
    /// [`hash`], in turn.
    pub async fn hash(&self, password: String) -> Result<String> {
        self.in_turn(move || hash(&password)).await?
    }

    /// [`matches`], in turn.
    pub async fn matches(&self, password: String, hash: String) -> Result<bool> {
        self.in_turn(move || matches(&password, &hash)).await
    }

    async fn in_turn<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let busy =
            || Error::TooManyRequests("too many sign-ins at once: try again in a moment".into());
        let turn = tokio::time::timeout(MAX_WAIT, self.turns.clone().acquire_owned())
            .await
            .map_err(|_| busy())?
            .map_err(|_| busy())?;
        let (answer, done) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            // The turn is held until the work is done, even if its request is gone.
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            drop(turn);
            if let Ok(result) = result {
                let _ = answer.send(result);
            }
        });
        let stopped = |e: &dyn std::fmt::Display| {
            Error::internal("checking a password", format!("the password threads: {e}"))
        };
        self.jobs.send(job).map_err(|e| stopped(&e))?;
        done.await.map_err(|e| stopped(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_matches_its_password_only() {
        let passwords = Passwords::default();
        let hash = passwords.hash("mật khẩu dài".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(
            passwords
                .matches("mật khẩu dài".into(), hash.clone())
                .await
                .unwrap()
        );
        assert!(
            !passwords
                .matches("mật khẩu khác".into(), hash.clone())
                .await
                .unwrap()
        );
        assert!(!matches("anything", "not a hash"));
        assert_ne!(
            hash,
            passwords.hash("mật khẩu dài".into()).await.unwrap(),
            "salted"
        );
        assert!(matches!(super::hash("ngắn"), Err(Error::Invalid { .. })));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn no_more_computations_run_than_there_are_turns() {
        let passwords = Passwords::on_threads(2);
        let running = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let most = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (passwords, running, most) = (passwords.clone(), running.clone(), most.clone());
                tokio::spawn(async move {
                    passwords
                        .in_turn(move || {
                            use std::sync::atomic::Ordering::SeqCst;
                            let thread = std::thread::current();
                            assert_eq!(thread.name(), Some("tally-passwords"));
                            let now = running.fetch_add(1, SeqCst) + 1;
                            most.fetch_max(now, SeqCst);
                            std::thread::sleep(Duration::from_millis(30));
                            running.fetch_sub(1, SeqCst);
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        assert_eq!(most.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}
