//! The live feed: pages learn within a fraction of a second that the numbers changed.
//!
//! Every write that changes rollups, on any instance, records a new data version in
//! the database (`Store::data_version`). While at least one page listens, one task
//! per server polls that version every [`POLL`], at once after a write through this
//! server's API (`poke_after_writes`), and at once when PostgreSQL announces another
//! instance's write (`Store::changed_elsewhere`), and tells the listeners through a `watch`
//! channel; each page then fetches its own fragment again (`app.js`, `live-changed`),
//! so what it shows passes through the same role checks as every other request. A
//! page is told at most once per [`MIN_GAP`], so a busy floor costs each open page two
//! refreshes a second at most. Streams end when the server stops, and when their
//! session ends (signed out, deactivated, expired: checked every `session_check` of
//! the server's limits).
//! One person holds at most [`STREAMS_PER_PERSON`] streams at once, so a signed-in
//! account cannot hold the server's connections open by the thousand.

use crate::AppState;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tally_store::Store;
use tokio::sync::{Notify, watch};

/// How often the data version is read while someone listens.
pub const POLL: Duration = Duration::from_millis(200);

/// The shortest time between two `changed` events of one page: under a steady stream
/// of events, each page fetches its table at most twice a second, not once per event.
/// The first change after a quiet spell is told at once; the last one of a burst is
/// told at most this much later.
pub const MIN_GAP: Duration = Duration::from_millis(500);

/// Live streams one person may hold open at once: a few tabs, a wallboard or two.
pub const STREAMS_PER_PERSON: usize = 12;

/// The data version, shared by this server's listeners.
#[derive(Clone)]
pub struct Live {
    version: watch::Sender<i64>,
    polling: Arc<AtomicBool>,
    /// Wakes the poller before its time: this server just wrote.
    wake: Arc<Notify>,
    /// Open streams by person.
    streams: Arc<Mutex<HashMap<String, usize>>>,
    /// How often an open stream checks that its session still holds.
    session_check: Duration,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            version: watch::Sender::new(0),
            polling: Arc::new(AtomicBool::new(false)),
            wake: Arc::new(Notify::new()),
            streams: Arc::default(),
            session_check: Duration::from_secs(30),
        }
    }
}

/// A person's open stream, counted until it is dropped.
pub struct StreamSlot {
    streams: Arc<Mutex<HashMap<String, usize>>>,
    person: String,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = streams.get_mut(&self.person) {
            *n -= 1;
            if *n == 0 {
                streams.remove(&self.person);
            }
        }
    }
}

impl Live {
    /// Reads the version now rather than at the next tick (after a write here).
    pub fn poke(&self) {
        if self.polling.load(Ordering::SeqCst) {
            self.wake.notify_one();
        }
    }

    /// The same feed, checking open streams' sessions this often.
    pub fn checking_sessions_every(self, session_check: Duration) -> Live {
        Live {
            session_check,
            ..self
        }
    }

    /// A place for one more stream of `person`, unless they hold the most already.
    pub fn slot(&self, person: &str) -> Option<StreamSlot> {
        let mut streams = self.streams.lock().unwrap_or_else(|e| e.into_inner());
        let open = streams.entry(person.to_owned()).or_default();
        if *open >= STREAMS_PER_PERSON {
            return None;
        }
        *open += 1;
        Some(StreamSlot {
            streams: self.streams.clone(),
            person: person.to_owned(),
        })
    }

    /// How many live streams are open now.
    pub fn listeners(&self) -> usize {
        self.version.receiver_count()
    }

    /// A new listener; starts the poller if nobody was listening.
    pub fn subscribe(&self, store: Arc<Store>) -> watch::Receiver<i64> {
        let receiver = self.version.subscribe();
        self.start(store);
        receiver
    }

    fn start(&self, store: Arc<Store>) {
        if self.polling.swap(true, Ordering::SeqCst) {
            return;
        }
        let live = self.clone();
        tokio::spawn(async move { live.poll(store).await });
    }

    /// Reads the version until the last listener leaves.
    async fn poll(self, store: Arc<Store>) {
        loop {
            if self.version.receiver_count() == 0 {
                self.polling.store(false, Ordering::SeqCst);
                // A listener may have come between the count and the store.
                if self.version.receiver_count() == 0 || self.polling.swap(true, Ordering::SeqCst) {
                    return;
                }
            }
            match store.data_version().await {
                Ok(latest) => {
                    self.version.send_if_modified(|seen| {
                        let changed = *seen != latest;
                        *seen = latest;
                        changed
                    });
                }
                Err(e) => tracing::warn!(error = %e, "reading the data version failed; will retry"),
            }
            tokio::select! {
                () = tokio::time::sleep(POLL) => {}
                () = self.wake.notified() => {}
                () = store.changed_elsewhere() => {}
            }
        }
    }
}

/// Middleware of the API: after a change that succeeded (any method but GET and HEAD),
/// the listeners of this server hear of it without waiting for the next poll.
pub async fn poke_after_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let writes = !crate::auth::is_read(request.method());
    let response = next.run(request).await;
    if writes && response.status().is_success() {
        state.live.poke();
    }
    response
}

/// `GET /live[?since=VERSION]`: server-sent events, `changed` each time the data
/// version moves (and `hello` first, so the page knows it is connected). A page that
/// gives the version its figures are from is told at once if it has moved since, so a
/// change between rendering the page and connecting, or while reconnecting, is not
/// missed. Browsers reconnect by themselves.
pub async fn events(
    state: &AppState,
    since: Option<i64>,
    slot: StreamSlot,
    holder: Holder,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>> + use<>>, tally_store::StoreError> {
    let mut receiver = state.live.subscribe(state.app.store().clone());
    receiver.mark_unchanged();
    let current = state.app.store().data_version().await?;
    let mut first = vec![Event::default().event("hello").data(current.to_string())];
    if since.is_some_and(|seen| seen != current) {
        first.push(Event::default().event("changed").data(current.to_string()));
    }
    let first = futures::stream::iter(first.into_iter().map(Ok));
    // Each stream tells of a version it has not told of yet (the poller's first read
    // after a restart may only catch up with what this page already has), at most once
    // per MIN_GAP: changes during the gap are told together at its end.
    let start = (receiver, current, tokio::time::Instant::now() - MIN_GAP);
    let changes = futures::stream::unfold(start, |(mut receiver, mut told, last)| async move {
        tokio::time::sleep_until(last + MIN_GAP).await;
        loop {
            receiver.changed().await.ok()?;
            let version = *receiver.borrow_and_update();
            if version != told {
                told = version;
                let event = Event::default().event("changed").data(version.to_string());
                let state = (receiver, told, tokio::time::Instant::now());
                return Some((Ok(event), state));
            }
        }
    });
    // A stream ends when the server stops, so that shutdown does not wait for pages
    // that stay open for hours (the browser reconnects to the next server), and when
    // its session ends (or its TV link is revoked).
    let stopping = state.app.shutdown().clone().wait();
    let app = state.app.clone();
    let every = state.live.session_check;
    let ends = async move {
        tokio::select! {
            () = stopping => {}
            () = holder.ends(app, every) => {}
        }
        drop(slot);
    };
    let stream = futures::StreamExt::take_until(futures::StreamExt::chain(first, changes), ends);
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

/// What holds a live stream open: a signed-in session (the stored hash of its id), or
/// a TV link (its secret).
pub enum Holder {
    Session(String),
    Screen(String),
}

impl Holder {
    /// Returns once the session no longer signs anyone in, or the link is revoked.
    async fn ends(self, app: tally_app::App, every: Duration) {
        loop {
            tokio::time::sleep(every).await;
            let holds = match &self {
                Holder::Session(hash) => match app.store().session_user(hash).await {
                    Ok(user) => Ok(user.is_some()),
                    Err(e) => Err(e.to_string()),
                },
                Holder::Screen(secret) => match app.screen_caller(secret).await {
                    Ok(_) => Ok(true),
                    Err(tally_app::Error::NotFound(_)) => Ok(false),
                    Err(e) => Err(e.to_string()),
                },
            };
            match holds {
                Ok(true) => {}
                Ok(false) => return,
                Err(e) => tracing::warn!(error = %e, "checking a live stream's holder failed"),
            }
        }
    }
}
