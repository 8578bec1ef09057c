//! Events from integrations (a phone system, another CRM, a script): owners, admins
//! and supervisors send them; each is kept or refused on its own, and a supervisor
//! acting for a person writes only for the people they see (`tally_core::access`),
//! judged by the store on the records' state under its write lock. Batches arriving
//! together share one durable commit (`writer.rs`).

use crate::app::App;
use crate::caller::Caller;
use crate::error::Result;
use tally_core::Role;
use tally_core::batch::{Items, RejectedEvent};
use tally_store::IngestOutcome;

/// Who may send events.
pub const SENDERS: [Role; 3] = [Role::Owner, Role::Admin, Role::Supervisor];

/// What became of a batch: stored, already stored, or refused (by index).
#[derive(Debug, Default)]
pub struct Received {
    pub accepted: usize,
    pub duplicates: usize,
    /// Ordered by the event's index in the batch.
    pub rejected: Vec<RejectedEvent>,
}

impl App {
    /// Stores the valid events of a batch read by an adapter, in one transaction;
    /// those it could not read are listed with those the store refused.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor(), events = items.len()))]
    pub async fn record_events(&self, caller: &Caller, items: Items) -> Result<Received> {
        caller.require(&SENDERS, "send events")?;
        let (mut events, mut rejected) = (Vec::new(), Vec::new());
        for item in items {
            match item {
                Ok(event) => events.push(event),
                Err(rejection) => rejected.push(rejection),
            }
        }
        let scope = self.credit_scope_now(caller).await?;
        let IngestOutcome {
            accepted,
            duplicates,
            rejected: refused,
            ..
        } = self
            .writer()
            .write(self.store(), self.org(), events, scope)
            .await?;
        rejected.extend(refused);
        rejected.sort_by_key(|r| r.index);
        count_ingest("api", accepted, duplicates, rejected.len());
        Ok(Received {
            accepted,
            duplicates,
            rejected,
        })
    }
}

/// Counts what became of received events in `tally_events_total` (by source: `api` or
/// `phone`, and outcome), for whichever metrics recorder the process installed.
pub fn count_ingest(source: &'static str, accepted: usize, duplicates: usize, rejected: usize) {
    let count = |outcome: &'static str, n: usize| {
        metrics::counter!("tally_events_total", "source" => source, "outcome" => outcome)
            .increment(n as u64);
    };
    count("accepted", accepted);
    count("duplicate", duplicates);
    count("rejected", rejected);
}
