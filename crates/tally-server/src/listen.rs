//! Taking connections: HTTP/1.1 over TCP with the time limits of [`Limits`], and a
//! graceful stop.
//!
//! A connection must send its request headers within `header_read`; the same limit
//! closes a kept-alive connection that sends no new request, so idle or trickling
//! sockets cannot pile up until the process runs out of file descriptors. A body may
//! pause at most `body_idle` and must arrive within `body_total`. When accepting
//! fails (too many open files), the loop pauses, longer each time, rather than spin.
//! At shutdown it stops accepting, lets running requests finish for up to
//! `shutdown_grace` (live streams end by themselves, see `live.rs`), then returns.

use crate::settings::Limits;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::time::Duration;
use tally_app::Shutdown;
use tokio::net::TcpListener;
use tower_http::timeout::{RequestBodyDeadline, RequestBodyTimeout};

/// Serves `app` on `listener` until `shutdown`, then drains.
pub async fn serve(listener: TcpListener, app: axum::Router, shutdown: Shutdown, limits: Limits) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_read);
    let connections = GracefulShutdown::new();
    let mut failures = 0u32;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.clone().wait() => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => {
                failures = 0;
                stream
            }
            Err(e) => {
                failures += 1;
                let pause = pause_after(failures);
                // Said on the first failure of a run, then at every doubling.
                if failures.is_power_of_two() {
                    tracing::warn!(error = %e, failures, ?pause, "cannot accept connections; pausing");
                }
                tokio::time::sleep(pause).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let bodies = RequestBodyDeadline::new(app.clone(), limits.body_total);
        let bodies = RequestBodyTimeout::new(bodies, limits.body_idle);
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(bodies));
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "a connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, connections.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some requests were still running at the end of the grace period");
    }
}

/// How long to pause after the `failures`th failed accept in a row: 10 ms, doubling,
/// at most one second.
fn pause_after(failures: u32) -> Duration {
    let factor = 1u64 << failures.saturating_sub(1).min(7);
    Duration::from_millis((10 * factor).min(1_000))
}

#[cfg(test)]
mod tests {
    use super::pause_after;
    use std::time::Duration;

    #[test]
    fn failed_accepts_pause_longer_each_time_up_to_a_second() {
        assert_eq!(pause_after(1), Duration::from_millis(10));
        assert_eq!(pause_after(2), Duration::from_millis(20));
        assert_eq!(pause_after(7), Duration::from_millis(640));
        assert_eq!(pause_after(8), Duration::from_secs(1));
        assert_eq!(pause_after(1_000), Duration::from_secs(1));
    }
}
