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
pub mod progress;
pub mod scope;
pub mod settings;

pub use settings::Settings;

pub use start::StartError;
use std::net::SocketAddr;
use std::sync::Arc;
use tally_core::Organization;
use tally_store::Store;
use tokio::net::TcpListener;

/// What every handler shares: the store and the organization's settings.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub org: Arc<Organization>,
}

/// The whole HTTP app.
pub fn router(state: AppState) -> axum::Router {
    api::routes().with_state(state)
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
    announce(address, settings, store.count_tokens().await.unwrap_or(0));
    let state = AppState {
        store: store.clone(),
        org: Arc::new(org),
    };
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

fn announce(address: SocketAddr, settings: &Settings, tokens: i64) {
    println!("Tally is listening on http://{address}");
    println!(
        "  data: {} · time zone: {} · week starts {} · currency {}",
        settings.database_for_display(),
        settings.timezone,
        settings.week_start,
        settings.currency
    );
    if tokens == 0 {
        println!("  No API token yet. In another terminal, create the first one:");
        println!("    tally token create --role owner --name me");
        println!("  then call the API with it:");
        println!(
            "    curl -H 'Authorization: Bearer <token>' http://{address}/api/v1/reports/users"
        );
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
