//! Hearing of other instances' writes: on PostgreSQL every new data version is
//! announced on the channel `tally_changes` (a trigger on `changes`, migration 0009),
//! and a server whose pages listen keeps one connection of its own that `LISTEN`s to
//! it. SQLite serves one server, which knows its own writes, so nothing is heard there.
//!
//! The listening connection is opened by [`Store::listen_for_changes`] (the server
//! calls it as it starts, so the first page to connect finds it ready) or by the first
//! caller of [`Store::changed_elsewhere`], and closed when the store is dropped. A connection that
//! breaks is opened again; announcements lost meanwhile are caught by the callers'
//! own polling, which this only shortens.

use crate::{Backend, Store};
use sqlx::postgres::PgListener;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::sync::{Notify, oneshot};

/// The channel new data versions are announced on.
const CHANNEL: &str = "tally_changes";

/// The listener of a PostgreSQL store, started on demand.
pub(crate) struct Listening {
    /// The database to listen to; `None` on SQLite.
    url: Option<String>,
    started: OnceLock<Started>,
}

struct Started {
    heard: Arc<Notify>,
    /// Dropped with the store: the listening task then ends.
    _stop: oneshot::Sender<()>,
}

impl Listening {
    pub(crate) fn new(backend: Backend, url: &str) -> Listening {
        Listening {
            url: (backend == Backend::Postgres).then(|| url.to_owned()),
            started: OnceLock::new(),
        }
    }
}

impl Store {
    /// Starts listening for other instances' writes (PostgreSQL), in the background.
    pub fn listen_for_changes(&self) {
        self.listener();
    }

    fn listener(&self) -> Option<&Started> {
        let url = self.listening.url.as_ref()?;
        Some(self.listening.started.get_or_init(|| start(url.clone())))
    }

    /// Returns when another instance (or any other writer) may have moved the data
    /// version: a PostgreSQL announcement. Never returns on SQLite.
    pub async fn changed_elsewhere(&self) {
        match self.listener() {
            Some(started) => started.heard.notified().await,
            None => std::future::pending().await,
        }
    }
}

fn start(url: String) -> Started {
    let heard = Arc::new(Notify::new());
    let (stop, stopped) = oneshot::channel();
    tokio::spawn(listen(url, heard.clone(), stopped));
    Started { heard, _stop: stop }
}

/// Listens until the store is dropped; wakes one waiter per announcement (a waiter
/// that comes later finds the wake-up kept for it). A connection that fails is
/// opened again after a second.
async fn listen(url: String, heard: Arc<Notify>, stopped: oneshot::Receiver<()>) {
    let listening = async {
        loop {
            if let Some(mut listener) = open(&url).await {
                loop {
                    match listener.recv().await {
                        Ok(_) => heard.notify_one(),
                        Err(e) => {
                            tracing::warn!(error = %e, "listening for other instances' writes failed; reconnecting");
                            break;
                        }
                    }
                }
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    };
    tokio::select! {
        () = listening => {}
        _ = stopped => {}
    }
}

async fn open(url: &str) -> Option<PgListener> {
    let opened = async {
        let mut listener = PgListener::connect(url).await?;
        listener.listen(CHANNEL).await?;
        Ok::<_, sqlx::Error>(listener)
    };
    match opened.await {
        Ok(listener) => Some(listener),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for other instances' writes");
            None
        }
    }
}
