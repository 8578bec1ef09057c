//! Keeping the read model's snapshot fresh (`tally_store`'s `snapshot.rs`), so that a
//! restart, even after a crash, loads the model in one read and reloads only the days
//! changed since the snapshot, instead of every rollup and mark.

use crate::app::App;
use std::time::Duration;

/// How often the snapshot is renewed while the data moves.
pub const SNAPSHOT_EVERY: Duration = Duration::from_secs(600);

/// How often the server looks whether a snapshot is due.
const LOOK_EVERY: Duration = Duration::from_secs(60);

impl App {
    /// Until the server stops: saves a snapshot once the model is loaded when the
    /// stored one is missing or behind, then every [`SNAPSHOT_EVERY`] when the data
    /// moved past the stored snapshot (which another instance may have renewed).
    pub async fn keep_model_snapshot(self) {
        let mut last_saved: Option<tokio::time::Instant> = None;
        loop {
            tokio::select! {
                () = tokio::time::sleep(LOOK_EVERY) => {}
                () = self.shutdown().clone().wait() => return,
            }
            let due = last_saved.is_none_or(|at| at.elapsed() >= SNAPSHOT_EVERY);
            if due && self.snapshot_is_behind().await {
                self.save_model_snapshot().await;
                last_saved = Some(tokio::time::Instant::now());
            }
        }
    }

    /// Whether the model is loaded and newer than the stored snapshot.
    async fn snapshot_is_behind(&self) -> bool {
        let store = self.store();
        if !store.model_loaded() {
            return false;
        }
        match (
            store.data_version().await,
            store.model_snapshot_version().await,
        ) {
            (Ok(data), Ok(snapshot)) => snapshot.is_none_or(|v| v < data),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "cannot tell whether the read model's snapshot is due");
                false
            }
        }
    }

    /// Saves a snapshot of the read model now (as the server stops, and when due);
    /// a failure is logged: the next start then loads from the tables.
    pub async fn save_model_snapshot(&self) {
        let started = std::time::Instant::now();
        match self.store().save_model_snapshot().await {
            Ok(Some(version)) => {
                let seconds = started.elapsed().as_secs_f64();
                tracing::info!(version, seconds, "read model snapshot saved");
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "saving the read model's snapshot failed"),
        }
    }
}
