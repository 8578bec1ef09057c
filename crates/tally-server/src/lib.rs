//! Tally's HTTP server: the JSON API of `spec/events.md` over a [`Store`].
//!
//! [`router`] builds the axum app (used as is by the tests, on port 0); [`serve`]
//! opens the store from [`Settings`], checks it was built for the same calendar,
//! binds, tells the user where to go, and runs until Ctrl-C or SIGTERM.

pub mod api;
pub mod auth;
pub mod calls;
pub mod close;
pub mod error;
pub mod export;
pub mod live;
pub mod progress;
pub mod scope;
pub mod settings;
pub mod web;

pub use settings::Settings;

pub use start::StartError;
use std::net::SocketAddr;
use std::sync::Arc;
use tally_core::Organization;
use tally_store::Store;
use tokio::net::TcpListener;

/// What every handler shares: the store, the organization's settings and the live feed.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub org: Arc<Organization>,
    pub live: live::Live,
    /// Wrong passwords per email, to slow down guessing.
    pub sign_in_failures: web::SignInFailures,
}

impl AppState {
    pub fn new(store: Arc<Store>, org: Organization) -> AppState {
        AppState {
            store,
            org: Arc::new(org),
            live: live::Live::default(),
            sign_in_failures: web::SignInFailures::default(),
        }
    }
}

/// The whole HTTP app: the web pages and the JSON API.
pub fn router(state: AppState) -> axum::Router {
    let pokes = axum::middleware::from_fn_with_state(state.clone(), live::poke_after_writes);
    web::routes()
        .merge(api::routes().layer(pokes))
        .with_state(state)
}

/// Creates a user under the API's rules (`POST /api/v1/users`: the id, name, email in
/// lower case, role and extension checked alike) with a password hash, stored in one
/// statement; for `tally user create`, which acts as the owner.
pub async fn create_user_account(
    state: &AppState,
    body: serde_json::Map<String, serde_json::Value>,
    password_hash: &str,
) -> Result<serde_json::Value, error::ApiError> {
    let owner = auth::Caller {
        role: tally_core::Role::Owner,
        user_id: None,
        token_name: "command line".into(),
    };
    let body = api::query::JsonObject(body);
    api::people::create_user_with(state, &owner, &body, Some(password_hash)).await
}

/// Opens the store named by the settings and checks that its rollups were computed
/// for the configured time zone and currency (recording them on first use).
pub async fn open_store(settings: &Settings) -> Result<(Store, Organization), StartError> {
    let org = settings
        .organization()
        .map_err(|e| StartError(e.to_string()))?;
    let store = Store::open(&settings.database_url).await.map_err(|e| {
        StartError(format!(
            "cannot open {}: {e}",
            settings.database_for_display()
        ))
    })?;
    for (name, wanted) in [
        ("timezone", &settings.timezone),
        ("currency", &settings.currency),
    ] {
        match store
            .meta(name)
            .await
            .map_err(|e| StartError(e.to_string()))?
        {
            None => store
                .set_meta(name, wanted)
                .await
                .map_err(|e| StartError(e.to_string()))?,
            Some(stored) if stored == *wanted => {}
            Some(stored) => {
                return Err(StartError(format!(
                    "the stored rollups were computed with {name} {stored}, but the settings say {wanted}; \
                     run `tally rebuild` with the new settings to recompute them"
                )));
            }
        }
    }
    Ok((store, org))
}

/// Serves the API until Ctrl-C or SIGTERM; prints the address once listening.
pub async fn serve(settings: &Settings) -> Result<(), StartError> {
    let (store, org) = open_store(settings).await?;
    let store = Arc::new(store);
    let listener = TcpListener::bind(&settings.listen)
        .await
        .map_err(|e| StartError(format!("cannot listen on {}: {e}", settings.listen)))?;
    let address = listener
        .local_addr()
        .map_err(|e| StartError(e.to_string()))?;
    announce(
        address,
        settings,
        store.count_users_who_sign_in().await.unwrap_or(0),
    );
    let state = AppState::new(store.clone(), org);
    tokio::spawn(close_periods_every_minute(state.clone()));
    let app = router(state);
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| StartError(e.to_string()))?;
    store.close().await;
    Ok(())
}

/// Records the results of goal periods as they end (see `close.rs`).
async fn close_periods_every_minute(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tick.tick().await;
        // Each round in its own task, so that even a panic only costs one round.
        let round = tokio::spawn({
            let state = state.clone();
            async move { close::close_all(&state).await }
        });
        match round.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "closing goal periods failed; will retry"),
            Err(e) => tracing::error!(error = %e, "closing goal periods panicked; will retry"),
        }
    }
}

fn announce(address: SocketAddr, settings: &Settings, people: i64) {
    println!("Tally is listening on http://{address}");
    println!("  open http://{address}/ in a browser and sign in");
    println!(
        "  data: {} · time zone: {} · week starts {} · currency {}",
        settings.database_for_display(),
        settings.timezone,
        settings.week_start,
        settings.currency
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
}
