//! Tally's HTTP server: the JSON API of `spec/events.md` and the web pages over a
//! [`Store`].
//!
//! [`Server::start`] is the one way a server starts, for `tally serve` and for the
//! tests alike: it opens the store from [`Settings`], checks it was built for the same
//! calendar, binds, loads the read model in the background, runs the period-close
//! loop, and serves (`listen.rs`) until [`Server::stop`]. [`serve`] adds what a person
//! at a terminal needs: where to go, and Ctrl-C or SIGTERM to stop.

pub mod api;
pub mod auth;
pub mod deliver;
pub mod error;
pub mod export;
pub mod health;
mod listen;
pub mod live;
mod mail;
pub mod settings;
pub mod web;

pub use settings::{Limits, Settings};
pub use tally_app::Shutdown;

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
pub use start::StartError;
use std::net::SocketAddr;
use std::sync::Arc;
use tally_core::Organization;
use tally_store::Store;
use tokio::net::TcpListener;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// What every handler shares: the application, and the live feed.
#[derive(Clone)]
pub struct AppState {
    /// The application: its store, organization, stop signal and services.
    pub app: tally_app::App,
    pub live: live::Live,
    /// Whether notices are emailed (the settings name an SMTP server).
    pub mail_on: bool,
}

impl AppState {
    pub fn new(store: Arc<Store>, org: Organization) -> AppState {
        AppState {
            app: tally_app::App::new(store, org),
            live: live::Live::default(),
            mail_on: false,
        }
    }
}

/// The whole HTTP app: the web pages, the JSON API, health and metrics.
pub fn router(state: AppState) -> axum::Router {
    let pokes = axum::middleware::from_fn_with_state(state.clone(), live::poke_after_writes);
    web::routes()
        .merge(api::routes(&state).layer(pokes))
        .merge(health::routes())
        .layer(axum::middleware::from_fn(refuse_nul))
        .layer(axum::middleware::from_fn(health::record_request))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                // A fault is logged once, with its cause, where it becomes an answer.
                .on_failure(()),
        )
        .layer(SetResponseHeaderLayer::if_not_present(
            HeaderName::from_static("x-content-type-options"),
            HeaderValue::from_static("nosniff"),
        ))
        .with_state(state)
}

/// A span per request, around everything logged while answering it: its method and
/// route pattern (`/api/v1/goals/{id}`), never its query or headers, which may carry
/// what is not for the log.
fn request_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unmatched", |path| path.as_str());
    tracing::info_span!("request", method = %request.method(), route)
}

/// Refuses a NUL character (`%00`) in a path or a query before anything reads it: no
/// id or search holds one, and no database stores one alike. A path is then not found;
/// a query parameter is invalid.
async fn refuse_nul(request: Request, next: Next) -> Response {
    let nul = |text: &str| text.to_ascii_lowercase().contains("%00");
    let uri = request.uri();
    if nul(uri.path()) {
        return error::ApiError::NotFound("no such page or resource".into()).into_response();
    }
    let pairs = uri.query().unwrap_or_default().split('&');
    let bad = pairs
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .find(|(key, value)| nul(key) || nul(value));
    if let Some((key, _)) = bad {
        let refused = error::ApiError::invalid(key, "must not contain a NUL character");
        return refused.into_response();
    }
    next.run(request).await
}

/// A running server.
pub struct Server {
    /// Where it listens (the port chosen when the settings say port 0).
    pub address: SocketAddr,
    /// Its store, settings and live feed, shared with its handlers.
    pub state: AppState,
    serving: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Opens the store, binds the listening address and starts serving: the read
    /// model loads in the background (`/readyz` says when it is there; from its
    /// snapshot when there is one), goal periods close every minute, the call log
    /// follows the events every few seconds, the model's snapshot is renewed every ten
    /// minutes while the data moves and, on PostgreSQL, a connection listens for other
    /// instances' writes.
    pub async fn start(settings: &Settings) -> Result<Server, StartError> {
        let (store, org) = tally_app::data::open_store(&settings.data).await?;
        let listener = TcpListener::bind(&settings.listen)
            .await
            .map_err(|e| StartError(format!("cannot listen on {}: {e}", settings.listen)))?;
        let address = listener
            .local_addr()
            .map_err(|e| StartError(e.to_string()))?;
        store.listen_for_changes();
        let mut state = AppState::new(Arc::new(store), org);
        state.mail_on = settings.mail.is_some();
        state.live = state
            .live
            .checking_sessions_every(settings.limits.session_check);
        tokio::spawn(warm_up(
            state.app.store().clone(),
            state.app.shutdown().clone(),
        ));
        tokio::spawn(state.app.clone().close_periods_every_minute());
        tokio::spawn(state.app.clone().keep_call_log_current());
        tokio::spawn(state.app.clone().keep_model_snapshot());
        tokio::spawn(state.app.clone().keep_finding_notices());
        tokio::spawn(state.app.clone().keep_counting_custom_histories());
        tokio::spawn(deliver::keep_delivering(
            state.clone(),
            settings.limits.webhook_backoff,
        ));
        if let Some(mail) = &settings.mail {
            let backoff = settings.limits.webhook_backoff;
            tokio::spawn(mail::keep_emailing(state.clone(), mail.clone(), backoff));
        }
        let serving = tokio::spawn(listen::serve(
            listener,
            router(state.clone()),
            state.app.shutdown().clone(),
            settings.limits,
        ));
        Ok(Server {
            address,
            state,
            serving,
        })
    }

    /// Starts stopping: no new connections, live streams end, running requests get
    /// the grace period of the settings' [`Limits`].
    pub fn stop(&self) {
        self.state.app.shutdown().trigger();
    }

    /// Waits until the server has stopped, saves the read model's snapshot (the next
    /// start loads it in one read), then closes the store's connections.
    pub async fn stopped(self) {
        if let Err(e) = self.serving.await {
            tracing::error!(error = %e, "the server task failed");
        }
        self.state.app.save_model_snapshot().await;
        self.state.app.store().close().await;
    }
}

/// Loads the read model, so that the first report does not wait for it; on failure
/// (the database is away), again after a pause growing to a minute, until it loads or
/// the server stops: `/readyz` waits for it.
async fn warm_up(store: Arc<Store>, shutdown: Shutdown) {
    let started = std::time::Instant::now();
    let mut pause = std::time::Duration::from_secs(1);
    loop {
        match store.warm_up().await {
            Ok(()) => {
                let seconds = started.elapsed().as_secs_f64();
                return tracing::info!(seconds, "read model loaded");
            }
            Err(e) => {
                tracing::error!(error = %e, ?pause, "loading the read model failed; retrying")
            }
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = shutdown.clone().wait() => return,
        }
        pause = (pause * 2).min(std::time::Duration::from_secs(60));
    }
}

/// Serves until Ctrl-C or SIGTERM; prints the address once listening.
pub async fn serve(settings: &Settings) -> Result<(), StartError> {
    let server = Server::start(settings).await?;
    let people = server
        .state
        .app
        .store()
        .count_users_who_sign_in()
        .await
        .unwrap_or(0);
    announce(server.address, settings, people);
    shutdown_signal().await;
    server.stop();
    server.stopped().await;
    Ok(())
}

fn announce(address: SocketAddr, settings: &Settings, people: i64) {
    println!("Tally is listening on http://{address}");
    println!("  open http://{address}/ in a browser and sign in");
    println!(
        "  data: {} · time zone: {} · week starts {} · currency {}",
        settings.data.database_for_display(),
        settings.data.timezone,
        settings.data.week_start,
        settings.data.currency
    );
    if people == 0 {
        println!("  Nobody can sign in yet. In another terminal, create the first owner:");
        println!("    tally user create --role owner --email you@example.com --name 'Your Name'");
        println!("  (it asks for a password). For the phone system and other tools, make a token:");
        println!("    tally token create --role admin --name pbx");
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

mod start {
    /// Why the server could not start, in words for the person who started it.
    #[derive(Debug, thiserror::Error)]
    #[error("{0}")]
    pub struct StartError(pub String);

    impl From<tally_app::data::OpenError> for StartError {
        fn from(error: tally_app::data::OpenError) -> Self {
            StartError(error.0)
        }
    }
}
