//! The group committer: batches that arrive while the store is committing wait
//! together and are then written in one transaction, so many single-event requests
//! share one durable commit (one fsync) instead of taking one each.
//!
//! One task owns the writing. A request hands its batch over and waits for the
//! answer, which comes only after the commit that holds it is durable. The task takes
//! whatever has queued since its last commit (up to [`GROUP_EVENTS`] events) and
//! hands the group to [`Store::ingest_group`], which decides each batch exactly as if
//! it were alone, in arrival order. No timer delays a lone request: a group is simply
//! what arrived during the previous commit.

use std::sync::{Arc, OnceLock};
use tally_core::access::Scope;
use tally_core::{Event, Organization};
use tally_store::{IngestOutcome, Store, StoreError, Submission};
use tokio::sync::{mpsc, oneshot};

/// Events one group commit takes at most: a bound on a transaction's size (and on
/// the latency a single event waiting behind big batches sees).
pub const GROUP_EVENTS: usize = 5_000;

/// Requests that may wait for the writer before a new one waits to be queued.
const QUEUED: usize = 1_024;

/// The way to the writer task, started by the first batch.
#[derive(Default)]
pub(crate) struct Writer {
    queue: OnceLock<mpsc::Sender<Pending>>,
}

/// A batch waiting for its group commit.
struct Pending {
    events: Vec<(usize, Event)>,
    may_credit: Option<Scope>,
    answer: oneshot::Sender<Result<IngestOutcome, StoreError>>,
}

impl Writer {
    /// Writes a batch in the next group commit and returns its outcome once durable.
    pub(crate) async fn write(
        &self,
        store: &Arc<Store>,
        org: &Organization,
        events: Vec<(usize, Event)>,
        may_credit: Option<Scope>,
    ) -> Result<IngestOutcome, StoreError> {
        let queue = self.queue.get_or_init(|| start(store.clone(), org.clone()));
        let (answer, outcome) = oneshot::channel();
        let pending = Pending {
            events,
            may_credit,
            answer,
        };
        queue.send(pending).await.map_err(|_| stopped())?;
        outcome.await.map_err(|_| stopped())?
    }
}

fn stopped() -> StoreError {
    StoreError::Config("the writer stopped before the batch was written".into())
}

/// Starts the writer task; it ends when the application (the sender) is dropped.
fn start(store: Arc<Store>, org: Organization) -> mpsc::Sender<Pending> {
    let (sender, mut receiver) = mpsc::channel::<Pending>(QUEUED);
    tokio::spawn(async move {
        while let Some(first) = receiver.recv().await {
            let group = gather(first, &mut receiver);
            commit(&store, &org, group).await;
        }
    });
    sender
}

/// The first batch and whatever queued behind it, up to [`GROUP_EVENTS`] events.
fn gather(first: Pending, receiver: &mut mpsc::Receiver<Pending>) -> Vec<Pending> {
    let mut events = first.events.len();
    let mut group = vec![first];
    while events < GROUP_EVENTS {
        match receiver.try_recv() {
            Ok(next) => {
                events += next.events.len();
                group.push(next);
            }
            Err(_) => break,
        }
    }
    group
}

/// Writes a group in one transaction and answers each request.
async fn commit(store: &Store, org: &Organization, group: Vec<Pending>) {
    let batches: Vec<Submission<'_>> = group
        .iter()
        .map(|p| Submission {
            events: &p.events,
            may_credit: p.may_credit.as_ref().map(|s| s as _),
        })
        .collect();
    metrics::histogram!("tally_group_commit_batches").record(batches.len() as f64);
    let outcomes = store.ingest_group(org, &batches).await;
    drop(batches);
    for (pending, outcome) in group.into_iter().zip(outcomes) {
        // A request that gave up waiting no longer listens; its batch is stored.
        let _ = pending.answer.send(outcome);
    }
}
