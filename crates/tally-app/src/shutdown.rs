//! The server's stop signal: once triggered, the accept loop stops taking connections,
//! open live streams end, the period-close loop stops, and in-flight requests are
//! given a grace period to finish (see `listen.rs`).

use std::sync::Arc;
use tokio::sync::watch;

/// A stop signal shared by every part of one server.
#[derive(Clone, Debug)]
pub struct Shutdown(Arc<watch::Sender<bool>>);

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown(Arc::new(watch::Sender::new(false)))
    }
}

impl Shutdown {
    /// Starts the shutdown (again is harmless).
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }

    /// Whether the shutdown has started.
    pub fn is_triggered(&self) -> bool {
        *self.0.borrow()
    }

    /// Completes once the shutdown has started.
    pub async fn wait(self) {
        let mut receiver = self.0.subscribe();
        // The sender lives as long as `self`: waiting cannot fail.
        let _ = receiver.wait_for(|stopping| *stopping).await;
    }
}

#[cfg(test)]
mod tests {
    use super::Shutdown;

    #[tokio::test]
    async fn waiting_ends_when_triggered_even_if_triggered_before() {
        let shutdown = Shutdown::default();
        let waiter = tokio::spawn(shutdown.clone().wait());
        assert!(!shutdown.is_triggered());
        shutdown.trigger();
        waiter.await.unwrap();
        assert!(shutdown.is_triggered());
        shutdown.clone().wait().await;
    }
}
