//! Importing call records from the phone system: each record becomes a `call` event of
//! the user whose extension it names (see `tally_sources::classify`), an internal call
//! (not counted), or a record kept aside until its extension is mapped. Every record is
//! remembered by its source and unique id, so importing a file or a CDR again is a
//! no-op, and kept-aside records are counted by [`retry_unmapped`] once mapped.

use crate::events::SENDERS;
use crate::{App, Caller, Result};
use serde::Serialize;
use tally_core::access::Scope;
use tally_core::{Event, Organization, Role};
use tally_sources::{CallRecord, Classified, Directory, classify};
use tally_store::{CallRow, MayCredit, Store, StoreError};

/// What an import did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportSummary {
    /// Records read (valid or not).
    pub read: usize,
    /// New call events counted.
    pub counted: usize,
    /// Records seen before (or whose event was already in the log).
    pub duplicates: usize,
    /// Extension-to-extension calls, not counted.
    pub internal: usize,
    /// Second legs of calls counted from their first leg (FreeSWITCH B legs).
    pub other_legs: usize,
    /// Records kept aside: no mapped extension.
    pub unmapped: usize,
    /// Of those, how many each extension holds (records naming no extension at all
    /// are in `unmapped` only).
    pub kept_aside: std::collections::BTreeMap<String, usize>,
    /// How many records were refused or could not be read.
    pub rejected_total: usize,
    /// The first [`MAX_PROBLEMS_LISTED`] of them, with where and why: a file of junk
    /// answers with a short list and a count, not with one line per line of junk.
    pub rejected: Vec<Problem>,
}

/// How many refused records an import lists; the rest are counted.
pub const MAX_PROBLEMS_LISTED: usize = 100;

/// A record that could not be counted: where, which field, why.
#[derive(Clone, Debug, Serialize)]
pub struct Problem {
    /// The line in a file, or the record's unique id.
    pub record: String,
    pub field: String,
    pub error: String,
}

impl ImportSummary {
    /// The extensions kept aside, the most records first: `299 × 12, 305 × 3`.
    pub fn kept_aside_list(&self) -> String {
        let mut extensions: Vec<(&String, &usize)> = self.kept_aside.iter().collect();
        extensions.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let listed: Vec<String> = extensions
            .iter()
            .map(|(extension, records)| format!("{extension} × {records}"))
            .collect();
        listed.join(", ")
    }

    /// Notes a record that could not be read.
    pub fn invalid(&mut self, record: String, field: &str, message: &str) {
        self.read += 1;
        self.refuse(record, field, message);
    }

    /// Counts a refused record, and lists it while the list is short.
    fn refuse(&mut self, record: String, field: &str, message: &str) {
        self.rejected_total += 1;
        if self.rejected.len() < MAX_PROBLEMS_LISTED {
            self.rejected.push(Problem {
                record,
                field: field.to_owned(),
                error: format!("{field}: {message}"),
            });
        }
    }
}

/// Imports parsed records of one batch, crediting only whom `may_credit` allows (a
/// supervisor's token posts calls of their teams' people only).
#[tracing::instrument(skip_all, fields(records = records.len()))]
pub async fn import(
    store: &Store,
    org: &Organization,
    records: Vec<CallRecord>,
    summary: &mut ImportSummary,
    may_credit: MayCredit<'_>,
) -> Result<(), StoreError> {
    summary.read += records.len();
    let records = new_records(store, records, summary).await?;
    let directory = Directory::new(
        store.extension_directory().await?,
        store.customers_by_phone(&phones_of(&records)).await?,
    )
    .with_lines(store.channel_lines().await?);
    let now = jiff::Timestamp::now();
    let received_at = now.as_microsecond();
    let mut rows = Vec::with_capacity(records.len());
    let mut events = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let row = |status: &str, reason: Option<String>, event_id: Option<String>| CallRow {
            source: record.source.as_str().to_owned(),
            uid: record.uid.clone(),
            status: status.to_owned(),
            reason,
            record: record.to_json().to_string(),
            event_id,
            received_at,
        };
        match classify(record, &directory) {
            Classified::Call(json) => match Event::parse_received(&json, &org.currency, now) {
                Ok(event) => {
                    rows.push(row("counted", None, Some(event.id.clone())));
                    events.push((i, event));
                }
                Err(e) => {
                    summary.refuse(record_name(record), &e.field, &e.message);
                    rows.push(row(
                        "rejected",
                        Some(format!("{}: {}", e.field, e.message)),
                        None,
                    ));
                }
            },
            Classified::Internal => {
                summary.internal += 1;
                rows.push(row("internal", None, None));
            }
            Classified::OtherLeg => {
                summary.other_legs += 1;
                rows.push(row("other_leg", None, None));
            }
            Classified::Unmapped { extension, reason } => {
                summary.unmapped += 1;
                if let Some(extension) = extension {
                    *summary.kept_aside.entry(extension).or_default() += 1;
                }
                rows.push(row("unmapped", Some(reason), None));
            }
        }
    }
    let outcome = store.ingest_as(org, events, may_credit).await?;
    crate::events::count_ingest(
        "phone",
        outcome.accepted,
        outcome.duplicates,
        outcome.rejected.len(),
    );
    summary.counted += outcome.accepted;
    summary.duplicates += outcome.duplicates;
    for rejected in &outcome.rejected {
        let record = &records[rejected.index];
        summary.refuse(record_name(record), &rejected.field, &rejected.message);
        if let Some(row) = rows
            .iter_mut()
            .find(|r| r.uid == record.uid && r.source == record.source.as_str())
        {
            row.status = "rejected".into();
            row.reason = Some(format!("{}: {}", rejected.field, rejected.message));
            row.event_id = None;
        }
    }
    store.record_calls(&rows).await
}

/// The records not seen before (a kept-aside one counts as not seen: it is classified
/// again); the others are counted as duplicates.
async fn new_records(
    store: &Store,
    records: Vec<CallRecord>,
    summary: &mut ImportSummary,
) -> Result<Vec<CallRecord>, StoreError> {
    let mut fresh = Vec::with_capacity(records.len());
    let mut by_source: std::collections::BTreeMap<&str, Vec<String>> = Default::default();
    for r in &records {
        by_source
            .entry(r.source.as_str())
            .or_default()
            .push(r.uid.clone());
    }
    let mut seen = std::collections::HashSet::new();
    for (source, uids) in by_source {
        for (uid, status) in store.call_statuses(source, &uids).await? {
            if status != "unmapped" {
                seen.insert((source.to_owned(), uid));
            }
        }
    }
    let mut in_batch = std::collections::HashSet::new();
    for record in records {
        let key = (record.source.as_str().to_owned(), record.uid.clone());
        if seen.contains(&key) || !in_batch.insert(key) {
            summary.duplicates += 1;
        } else {
            fresh.push(record);
        }
    }
    Ok(fresh)
}

/// Every number in the records, normalised: the ones a customer may have.
fn phones_of(records: &[CallRecord]) -> Vec<String> {
    let numbers = records.iter().flat_map(|r| [&r.caller, &r.callee]);
    let phones: std::collections::BTreeSet<String> = numbers
        .filter_map(|n| tally_sources::phone::normalize(n))
        .collect();
    phones.into_iter().collect()
}

/// How a refused record is named: its source and unique id.
fn record_name(record: &CallRecord) -> String {
    format!("{}-{}", record.source.as_str(), record.uid)
}

/// Classifies every kept-aside record again with today's extension mapping, and counts
/// the ones that now have a user.
pub async fn retry_unmapped(
    store: &Store,
    org: &Organization,
) -> Result<ImportSummary, StoreError> {
    let mut summary = ImportSummary::default();
    let rows = store.calls_with_status("unmapped", i64::MAX).await?;
    for chunk in rows.chunks(5_000) {
        let records: Vec<CallRecord> = chunk
            .iter()
            .filter_map(|r| serde_json::from_str(&r.record).ok())
            .filter_map(|v| CallRecord::from_json(&v))
            .collect();
        import(store, org, records, &mut summary, None).await?;
    }
    Ok(summary)
}

/// An import under way: the records of one upload or CDR, counted a batch at a time.
pub struct CallImport<'a> {
    app: &'a App,
    scope: Option<Scope>,
}

impl CallImport<'_> {
    /// Counts a batch of call records from the phone system into `summary`.
    #[tracing::instrument(skip_all, fields(records = records.len()))]
    pub async fn count(&self, records: Vec<CallRecord>, summary: &mut ImportSummary) -> Result<()> {
        let may_credit = self.scope.as_ref().map(|s| s as _);
        let (store, org) = (self.app.store(), self.app.org());
        Ok(import(store, org, records, summary, may_credit).await?)
    }
}

/// Records counted in one transaction of an upload.
pub const BATCH: usize = 5_000;

/// The most kept-aside records listed at once.
const MAX_KEPT_ASIDE_LISTED: i64 = 10_000;

impl App {
    /// Refuses a caller who may not send call records: owners, admins and supervisors
    /// (integrations) may. Checked before a record is read.
    pub fn may_send_calls(&self, caller: &Caller) -> Result<()> {
        caller.require(&SENDERS, "send call records")
    }

    /// An import of call records by this caller, who they may credit found once for
    /// all its batches: a supervisor bound to a person credits only the people of
    /// their teams.
    pub async fn call_import<'a>(&'a self, caller: &Caller) -> Result<CallImport<'a>> {
        self.may_send_calls(caller)?;
        let scope = self.credit_scope_now(caller).await?;
        Ok(CallImport { app: self, scope })
    }

    /// Counts an Asterisk `Master.csv` (its bytes; its times in `zone`), a batch of
    /// [`BATCH`] records at a time: a line that cannot be read is listed and the others
    /// still count.
    pub async fn import_asterisk(
        &self,
        caller: &Caller,
        csv: &[u8],
        zone: jiff::tz::TimeZone,
    ) -> Result<ImportSummary> {
        let import = self.call_import(caller).await?;
        let mut summary = ImportSummary::default();
        let mut batch = Vec::new();
        for (line, record) in tally_sources::asterisk::read(csv, zone) {
            match record {
                Ok(record) => batch.push(record),
                Err(e) => summary.invalid(format!("line {line}"), &e.field, &e.message),
            }
            if batch.len() == BATCH {
                import
                    .count(std::mem::take(&mut batch), &mut summary)
                    .await?;
            }
        }
        import.count(batch, &mut summary).await?;
        Ok(summary)
    }

    /// The records kept aside, oldest first, with why.
    pub async fn kept_aside_calls(&self, caller: &Caller) -> Result<Vec<CallRow>> {
        caller.require(&SENDERS, "see the call records kept aside")?;
        let store = self.store();
        Ok(store
            .calls_with_status("unmapped", MAX_KEPT_ASIDE_LISTED)
            .await?)
    }

    /// Counts the kept-aside records whose extension is now mapped (owners and admins,
    /// after mapping it).
    pub async fn count_kept_aside_calls(&self, caller: &Caller) -> Result<ImportSummary> {
        let managers = [Role::Owner, Role::Admin];
        caller.require(&managers, "retry the call records kept aside")?;
        Ok(retry_unmapped(self.store(), self.org()).await?)
    }
}
