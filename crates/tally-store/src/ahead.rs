//! Planning the next group of batches while the previous one is written.
//!
//! Ingesting a group ([`Store::ingest_group`]) takes turns with the database: it loads
//! what a group refers to, decides it, then writes and commits it. To make the two
//! overlap, the next group is loaded and decided on a reading connection while the
//! previous group is still being written ([`Store::plan_ahead`]). What the previous
//! group writes is not committed yet, so it is laid over what was read ([`Written`]):
//! its events' bodies (a resend is a duplicate) and its entities' new state.
//!
//! Such a plan holds only if the previous group committed and nothing else wrote what
//! ingest reads in between: a CRM action, another instance, a command-line import.
//! Every such write takes the write lock and moves one counter under it
//! (`migrations/*/0022_write_count.sql`); a plan made ahead expects the number that
//! directly follows the previous group's, and is made again under the lock when the
//! counter says otherwise or the previous group did not commit as planned. So a group
//! is decided exactly as if it had been planned under the lock, and the ingest's
//! answers do not change.

use crate::ingest::{Loaded, Plan, Planning, entities_of};
use crate::{Conn, Store, StoreError, Submission};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tally_core::state::{EntityKind, EntityRef};
use tally_core::{Event, Organization, State};

/// What a group being written leaves for the next group to be planned on: the write
/// counter its transaction took, its writes that may not be committed yet, and
/// whether they were (set once its commit returned).
pub struct Written {
    count: i64,
    writes: Arc<Writes>,
    committed: Arc<AtomicBool>,
}

/// A group's accepted events (by id, their canonical bodies) and the new state of
/// the entities it created or changed (in a `State` of those entities only).
struct Writes {
    bodies: HashMap<String, String>,
    entities: State,
}

/// A group planned ahead of the write lock: the write counter it expects, and the
/// commit of the group it was planned on (if any) that it needs.
pub struct Planned {
    expected: i64,
    after_committed: Option<Arc<AtomicBool>>,
    planning: Planning,
}

/// How many plans made ahead were used, and how many were made again under the lock.
#[derive(Default)]
pub(crate) struct PlanCounts {
    used: AtomicU64,
    made_again: AtomicU64,
}

impl Store {
    /// Plans a group on a reading connection, on top of the group `after` that is
    /// being written (none: on what is committed). The plan is written by
    /// [`Store::ingest_group`] only if no other write came in between.
    pub async fn plan_ahead(
        &self,
        org: &Organization,
        batches: &[Submission<'_>],
        after: Option<&Written>,
    ) -> Result<Planned, StoreError> {
        let mut conn = self.pool.acquire().await?;
        let mut c = Conn {
            backend: self.backend,
            conn: &mut conn,
        };
        // Read before anything else: a write committed later is then seen as one.
        let expected = match after {
            Some(after) => after.count + 1,
            None => write_count(&mut c).await? + 1,
        };
        let planning = self.plan(&mut c, org, batches, after).await?;
        Ok(Planned {
            expected,
            after_committed: after.map(|a| a.committed.clone()),
            planning,
        })
    }

    /// Plans made ahead so far: how many were written as planned, and how many were
    /// made again under the lock because something else had written in between.
    pub fn plans_ahead(&self) -> (u64, u64) {
        let counts = &self.plan_counts;
        (
            counts.used.load(Ordering::Relaxed),
            counts.made_again.load(Ordering::Relaxed),
        )
    }

    /// The plan made ahead, when the write transaction `count` directly follows the
    /// one it was planned on and that one committed; counted either way.
    pub(crate) fn still_valid(&self, ahead: Planned, count: i64) -> Option<Planning> {
        let committed = ahead
            .after_committed
            .is_none_or(|c| c.load(Ordering::Acquire));
        let valid = committed && ahead.expected == count;
        let counter = if valid {
            &self.plan_counts.used
        } else {
            &self.plan_counts.made_again
        };
        counter.fetch_add(1, Ordering::Relaxed);
        valid.then_some(ahead.planning)
    }
}

impl Written {
    /// What the group of `plan` leaves, written by transaction `count`.
    pub(crate) fn of(count: i64, plan: &Plan, loaded: &Loaded) -> Written {
        let mut writes = Writes {
            bodies: plan
                .events
                .iter()
                .map(|(event, body)| (event.id.clone(), body.clone()))
                .collect(),
            entities: State::default(),
        };
        for entity in &loaded.state.touched {
            copy(entity, &loaded.state, &mut writes.entities);
        }
        Written {
            count,
            writes: Arc::new(writes),
            committed: Arc::default(),
        }
    }

    /// The flag to raise once this group's commit returned.
    pub(crate) fn commit_flag(&self) -> Arc<AtomicBool> {
        self.committed.clone()
    }

    /// Lays this group's writes over what was read for `events`: they are the newer.
    pub(crate) fn lay_over<'e>(
        &self,
        loaded: &mut Loaded,
        events: impl Iterator<Item = &'e Event>,
    ) {
        let writes = &self.writes;
        for event in events {
            if let Some(body) = writes.bodies.get(&event.id) {
                loaded.known.insert(event.id.clone(), body.clone());
            }
            for entity in entities_of(event) {
                copy(&entity, &writes.entities, &mut loaded.state);
            }
        }
    }
}

/// Copies one entity's state from one state to the other, when the first has it.
fn copy(entity: &EntityRef, from: &State, to: &mut State) {
    let id = &entity.id;
    match entity.kind {
        EntityKind::Customer => copy_in(&from.customers, id, &mut to.customers),
        EntityKind::Opportunity => copy_in(&from.opportunities, id, &mut to.opportunities),
        EntityKind::Todo => copy_in(&from.todos, id, &mut to.todos),
    }
}

fn copy_in<T: Clone>(from: &HashMap<String, T>, id: &str, to: &mut HashMap<String, T>) {
    if let Some(entity) = from.get(id) {
        to.insert(id.to_owned(), entity.clone());
    }
}

/// The write counter now.
async fn write_count(c: &mut Conn<'_>) -> Result<i64, StoreError> {
    let (count,): (i64,) = sqlx::query_as("select n from write_count")
        .fetch_one(&mut *c.conn)
        .await?;
    Ok(count)
}
