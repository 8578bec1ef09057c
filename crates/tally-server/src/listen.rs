//! Taking connections: HTTP/1.1 over TCP with the time limits of [`Limits`], and a
//! graceful stop.
//!
//! A connection must send its request headers within `header_read`; the same limit
//! closes a kept-alive connection that sends no new request, so idle or trickling
//! sockets cannot pile up until the process runs out of file descriptors. A body may
//! pause at most `body_idle` and must arrive within `body_total`.
//!
//! Those limits bound how long a socket lives, not how many there are: a client that
//! opens thousands of slow connections could still use every file descriptor the
//! process has, and then nobody is served. So one address may hold at most
//! `connections_per_client` connections, and all together at most `max_connections`
//! (the file limit less a reserve); a connection over either is closed at once. When
//! accepting fails all the same (too many open files), the loop pauses, longer each
//! time, rather than spin. At shutdown it stops accepting, lets running requests
//! finish for up to `shutdown_grace` (live streams end by themselves, see `live.rs`),
//! then returns.

use crate::settings::Limits;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
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
    let open = OpenConnections::new(limits.max_connections(), limits.connections_per_client);
    let mut failures = 0u32;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.clone().wait() => break,
        };
        let (stream, slot) = match accepted {
            Ok((stream, peer)) => {
                failures = 0;
                match open.admit(peer.ip()) {
                    Some(slot) => (stream, slot),
                    // Dropped: closed at once, its descriptor freed.
                    None => continue,
                }
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
            drop(slot);
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

/// The connections open now, in all and by address.
#[derive(Clone)]
struct OpenConnections {
    max: usize,
    per_client: usize,
    counts: Arc<Mutex<Counts>>,
}

#[derive(Default)]
struct Counts {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
    refused: u64,
}

/// A connection's place among the open ones, given back when it is dropped.
struct Slot {
    open: OpenConnections,
    address: IpAddr,
}

impl OpenConnections {
    fn new(max: usize, per_client: usize) -> Self {
        OpenConnections {
            max,
            per_client,
            counts: Arc::default(),
        }
    }

    /// A place for a new connection from `address`, unless it would pass a limit.
    fn admit(&self, address: IpAddr) -> Option<Slot> {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let from_address = counts.by_address.get(&address).copied().unwrap_or(0);
        if counts.total >= self.max || from_address >= self.per_client {
            counts.refused += 1;
            // Said on the first refusal, then at every doubling.
            if counts.refused.is_power_of_two() {
                tracing::warn!(
                    %address, from_address, open = counts.total, refused = counts.refused,
                    "too many connections; closing new ones"
                );
            }
            return None;
        }
        counts.total += 1;
        *counts.by_address.entry(address).or_default() += 1;
        Some(Slot {
            open: self.clone(),
            address,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut counts = self.open.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.by_address.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                counts.by_address.remove(&self.address);
            }
        }
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
    use super::{OpenConnections, pause_after};
    use std::time::Duration;

    #[test]
    fn connections_are_limited_by_address_and_in_all() {
        let open = OpenConnections::new(3, 2);
        let a = "10.0.0.1".parse().unwrap();
        let b = "10.0.0.2".parse().unwrap();
        let first = open.admit(a).unwrap();
        let _second = open.admit(a).unwrap();
        assert!(open.admit(a).is_none(), "a third from one address");
        let _third = open.admit(b).unwrap();
        assert!(open.admit(b).is_none(), "a fourth in all");
        drop(first);
        assert!(open.admit(a).is_some(), "a place given back is free again");
    }

    #[test]
    fn failed_accepts_pause_longer_each_time_up_to_a_second() {
        assert_eq!(pause_after(1), Duration::from_millis(10));
        assert_eq!(pause_after(2), Duration::from_millis(20));
        assert_eq!(pause_after(7), Duration::from_millis(640));
        assert_eq!(pause_after(8), Duration::from_secs(1));
        assert_eq!(pause_after(1_000), Duration::from_secs(1));
    }
}
