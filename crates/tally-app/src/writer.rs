//! The group committer: batches that arrive while the store is committing wait
//! together and are then written in one transaction, so many single-event requests
//! share one durable commit (one fsync) instead of taking one each.
//!
//! One task owns the writing. A request hands its batch over and waits for the
//! answer, which comes only after the commit that holds it is durable. The task takes
//! whatever has queued since its last commit (up to [`GROUP_EVENTS`] events) and
//! hands the group to [`Store::ingest_group`], which decides each batch exactly as if
//! it were alone, in arrival order. No timer delays a lone request.
//!
//! The writing is a pipeline of two steps. While one group is written and committed
//! (by a task of its own), the writer gathers what has queued and, when that is at
//! least [`PLAN_AHEAD_EVENTS`] events, loads and decides it on a reading connection
//! ([`Store::plan_ahead`]), on top of what the group being written leaves. Groups
//! still commit one at a time and in arrival order: the next one's write starts after
//! the previous one's commit, and its plan is used only if that group committed and
//! nothing else wrote in between (otherwise it is made again under the write lock).
//! A smaller group is not planned ahead: it also takes in the requests that arrived
//! during the previous commit, so single events share one commit (one fsync).

use futures::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, OnceLock};
use tally_core::access::Scope;
use tally_core::{Event, Organization};
use tally_store::{IngestOutcome, Planned, Store, StoreError, Submission, Written};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// Events one group commit takes at most: a bound on a transaction's size (and on
/// the latency a single event waiting behind big batches sees).
pub const GROUP_EVENTS: usize = 5_000;

/// Events a group needs for the writer to plan it while the previous group is being
/// written: below this, a bigger group (one commit for more requests) saves more than
/// planning ahead does (measured in `docs/benchmarks.md`).
const PLAN_AHEAD_EVENTS: usize = 256;

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
    let org = Arc::new(org);
    tokio::spawn(async move {
        let mut writing = None;
        while let Some(first) = receiver.recv().await {
            let group = gather(first, &mut receiver);
            writing = write_next(&store, &org, group, writing, &mut receiver).await;
        }
        if let Some(last) = writing {
            let _ = last.task.await;
        }
    });
    sender
}

/// A group being written: its task, and what it leaves for the next group's plan.
struct Writing {
    task: JoinHandle<()>,
    written: Written,
}

/// The first batch and whatever queued behind it, up to [`GROUP_EVENTS`] events.
fn gather(first: Pending, receiver: &mut mpsc::Receiver<Pending>) -> Vec<Pending> {
    let mut group = vec![first];
    top_up(&mut group, receiver);
    group
}

/// Adds to the group whatever has queued, up to [`GROUP_EVENTS`] events.
fn top_up(group: &mut Vec<Pending>, receiver: &mut mpsc::Receiver<Pending>) {
    let mut events = events_in(group);
    while events < GROUP_EVENTS {
        match receiver.try_recv() {
            Ok(next) => {
                events += next.events.len();
                group.push(next);
            }
            Err(_) => break,
        }
    }
}

/// How many events the group's batches hold.
fn events_in(group: &[Pending]) -> usize {
    group.iter().map(|p| p.events.len()).sum()
}

/// Plans a group while the previous one is written, waits for that one's commit, then
/// starts writing this one. Returns it as soon as its transaction holds the write lock.
async fn write_next(
    store: &Arc<Store>,
    org: &Arc<Organization>,
    mut group: Vec<Pending>,
    previous: Option<Writing>,
    receiver: &mut mpsc::Receiver<Pending>,
) -> Option<Writing> {
    let after = previous.as_ref().map(|p| &p.written);
    let ahead = plan_if_big(store, org, &group, after).await;
    if let Some(previous) = previous {
        // A task that panicked answered nobody; its batches' senders get an error.
        let _ = previous.task.await;
    }
    if ahead.is_none() {
        top_up(&mut group, receiver);
    }
    let (told, written) = oneshot::channel();
    let task = tokio::spawn(commit(store.clone(), org.clone(), group, ahead, told));
    match written.await {
        Ok(written) => Some(Writing { task, written }),
        // Nothing to plan on (the group was empty, or failed before it was planned).
        Err(_) => {
            let _ = task.await;
            None
        }
    }
}

/// The group's plan made ahead, when it holds at least [`PLAN_AHEAD_EVENTS`] events.
/// A plan that cannot be made here (a read failed, or planning panicked) is made
/// under the lock, where the same failure answers the requests.
async fn plan_if_big(
    store: &Store,
    org: &Organization,
    group: &[Pending],
    after: Option<&Written>,
) -> Option<Planned> {
    if events_in(group) < PLAN_AHEAD_EVENTS {
        return None;
    }
    let batches = submissions(group);
    let planning = AssertUnwindSafe(store.plan_ahead(org, &batches, after));
    planning.catch_unwind().await.ok()?.ok()
}

/// The group's batches as the store takes them.
fn submissions(group: &[Pending]) -> Vec<Submission<'_>> {
    group
        .iter()
        .map(|p| Submission {
            events: &p.events,
            may_credit: p.may_credit.as_ref().map(|s| s as _),
        })
        .collect()
}

/// Writes a group in one transaction and answers each request.
async fn commit(
    store: Arc<Store>,
    org: Arc<Organization>,
    group: Vec<Pending>,
    ahead: Option<Planned>,
    told: oneshot::Sender<Written>,
) {
    let batches = submissions(&group);
    metrics::histogram!("tally_group_commit_batches").record(batches.len() as f64);
    let outcomes = store.ingest_group(&org, &batches, ahead, Some(told)).await;
    drop(batches);
    for (pending, outcome) in group.into_iter().zip(outcomes) {
        // A request that gave up waiting no longer listens; its batch is stored.
        let _ = pending.answer.send(outcome);
    }
}
