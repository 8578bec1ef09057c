//! The call log as people read it — each person the calls of the people they act for,
//! filtered by person, direction, answer, days and customer, with the customer linked
//! when the call named them or came from one of their numbers — and the calls kept
//! aside by extension, mapped to a person in one step.

use crate::calls::{ImportSummary, retry_unmapped};
use crate::crm::{readable, refuse_unseen};
use crate::events::SENDERS;
use crate::{App, Caller, Error, Result};
use std::collections::{BTreeMap, HashMap};
use tally_core::Day;
use tally_core::access::Scope;
use tally_sources::{CallRecord, Classified, Directory, classify};
use tally_store::CallQuery;
pub use tally_store::LoggedCall;

/// The most calls a page of the log lists.
pub const MAX_CALLS_LISTED: i64 = 500;

/// Which calls to show; every filter given must hold.
#[derive(Clone, Debug, Default)]
pub struct CallFilter {
    pub user_id: Option<String>,
    pub inbound: Option<bool>,
    pub answered: Option<bool>,
    pub from: Option<Day>,
    pub to: Option<Day>,
    pub customer_id: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// A page of the log, the customers its calls belong to (id, name) that the caller
/// may read, by event id, and the names of the organisation's channels, by id (a call
/// naming any other text came in on no channel of the organisation).
#[derive(Clone, Debug, Default)]
pub struct CallPage {
    pub total: i64,
    pub calls: Vec<LoggedCall>,
    pub customers: HashMap<String, (String, String)>,
    pub channels: HashMap<String, String>,
}

impl App {
    /// A page of the calls the caller may read, newest first (at most
    /// [`MAX_CALLS_LISTED`] a page).
    pub async fn call_log(&self, caller: &Caller, filter: &CallFilter) -> Result<CallPage> {
        let scope = readable(self, caller).await?;
        self.store().catch_up_call_log(self.org()).await?;
        let mut query = CallQuery {
            users: scope.as_ref().map(|s| s.users.iter().cloned().collect()),
            inbound: filter.inbound,
            answered: filter.answered,
            from_day: filter.from.map(Day::number),
            to_day: filter.to.map(Day::number),
            limit: filter.limit.clamp(0, MAX_CALLS_LISTED),
            offset: filter.offset.max(0),
            ..CallQuery::default()
        };
        if let Some(user) = &filter.user_id {
            if scope.as_ref().is_some_and(|s| !s.sees_user(user)) {
                return Err(Error::Forbidden(format!(
                    "'{user}' is not one of the people you see"
                )));
            }
            query.users = Some(vec![user.clone()]);
        }
        if let Some(customer) = &filter.customer_id {
            let record = crate::crm::existing_customer(self, customer).await?;
            refuse_unseen(scope.as_ref(), &record)?;
            query.customer = Some((customer.clone(), crate::crm::phones_of(&record)));
        }
        let (calls, total) = self.store().call_log(&query).await?;
        let customers = self.customers_of(&calls, scope.as_ref()).await?;
        let channels = self.channels().await?;
        Ok(CallPage {
            total,
            calls,
            customers,
            channels: channels.into_iter().map(|c| (c.id, c.name)).collect(),
        })
    }

    /// The customer of each call the caller may read: the one it names, else the one
    /// its number belongs to.
    async fn customers_of(
        &self,
        calls: &[LoggedCall],
        scope: Option<&Scope>,
    ) -> Result<HashMap<String, (String, String)>> {
        let phones: Vec<String> = calls
            .iter()
            .filter(|c| c.customer_id.is_none() && !c.phone.is_empty())
            .map(|c| c.phone.clone())
            .collect();
        let by_phone = self.store().customers_by_phone(&phones).await?;
        let mut names: HashMap<String, Option<String>> = HashMap::new();
        let mut found = HashMap::new();
        for call in calls {
            let Some(id) = call
                .customer_id
                .clone()
                .or_else(|| by_phone.get(&call.phone).cloned())
            else {
                continue;
            };
            if !names.contains_key(&id) {
                let record = self.store().crm_record("customer", &id).await?;
                let seen = record.filter(|r| refuse_unseen(scope, r).is_ok());
                names.insert(
                    id.clone(),
                    seen.map(|r| crate::crm::Record::of(&r).text("name").to_owned()),
                );
            }
            if let Some(Some(name)) = names.get(&id) {
                found.insert(call.event_id.clone(), (id, name.clone()));
            }
        }
        Ok(found)
    }

    /// Keeps the call log near the event log until the server stops. Every 5 seconds
    /// it follows one chunk of the events waiting, when they fit in one chunk (a floor's
    /// steady flow) or when no event arrived since the last tick. A bulk import is
    /// left its speed, and single events their latency, until it ends; a page that
    /// reads the log follows whatever is left first.
    pub async fn keep_call_log_current(self) {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        let mut last_version = None;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = self.shutdown().clone().wait() => return,
            }
            let version = self.store().data_version().await.ok();
            let quiet = version.is_some() && version == last_version;
            last_version = version;
            if let Err(e) = self.follow_a_chunk_if_due(quiet).await {
                tracing::warn!(error = %e, "following the events in the call log failed; will retry");
            }
        }
    }

    async fn follow_a_chunk_if_due(&self, quiet: bool) -> Result<()> {
        let store = self.store();
        let backlog = store.call_log_backlog().await?;
        if backlog > 0 && (quiet || backlog <= tally_store::call_log::CHUNK) {
            store.follow_call_log(self.org()).await?;
        }
        Ok(())
    }

    /// The extensions whose calls are kept aside, with how many each, the most first
    /// (a record naming no extension is not listed: no mapping would count it).
    pub async fn kept_aside_extensions(&self, caller: &Caller) -> Result<Vec<(String, usize)>> {
        let rows = self.kept_aside_calls(caller).await?;
        let directory = Directory::new(self.store().extension_directory().await?, HashMap::new());
        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
        for row in rows {
            let record = serde_json::from_str(&row.record)
                .ok()
                .and_then(|json| CallRecord::from_json(&json));
            if let Some(Classified::Unmapped {
                extension: Some(extension),
                ..
            }) = record.map(|r| classify(&r, &directory))
            {
                *counts.entry(extension).or_default() += 1;
            }
        }
        let mut list: Vec<(String, usize)> = counts.into_iter().collect();
        list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(list)
    }

    /// "This extension belongs to …": adds an extension whose calls are kept aside to
    /// the person's, then counts the records kept aside that are now mapped (as
    /// `POST /calls/retry` does). Owners and admins map it to anyone, a supervisor to the
    /// people of their teams; an extension with nothing kept aside is changed on the
    /// person's own page, by owners and admins.
    pub async fn map_extension(
        &self,
        caller: &Caller,
        extension: &str,
        user_id: &str,
    ) -> Result<ImportSummary> {
        caller.require(&SENDERS, "map an extension")?;
        let extension = crate::people::extension(Some(extension.trim().to_owned()))?
            .ok_or_else(|| Error::invalid("extension", "is required"))?;
        if let Some(scope) = self.credit_scope_now(caller).await?
            && !scope.sees_user(user_id)
        {
            return Err(Error::Forbidden(format!(
                "'{user_id}' is not one of the people you supervise"
            )));
        }
        if !self
            .kept_aside_extensions(caller)
            .await?
            .iter()
            .any(|(kept, _)| *kept == extension)
        {
            return Err(Error::invalid(
                "extension",
                format!("no call of extension {extension} is kept aside"),
            ));
        }
        let store = self.store();
        let user = store
            .user(user_id)
            .await?
            .ok_or_else(|| Error::invalid("user_id", format!("user '{user_id}' does not exist")))?;
        store.add_more_extension(user.key, &extension).await?;
        Ok(retry_unmapped(store, self.org()).await?)
    }
}
