//! The organisation's own metrics (custom criteria, [`tally_core::custom`]): everyone
//! reads them; owners and admins define, redefine and remove them. A metric of events
//! counts the history logged before its definition in steps beside the server
//! ([`App::keep_counting_custom_histories`]) while it keeps serving; the reports read
//! each metric's values per person and per team.

use crate::app::App;
use crate::caller::Caller;
use crate::error::{Error, Result};
use crate::input::Fields;
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;
use tally_core::Role;
use tally_core::custom::CustomMetric;
use tally_store::HISTORY_WINDOW;
pub use tally_store::StoredMetric;

/// The most custom metrics an organisation keeps: each one is credited by every
/// event ingested, so their number bounds the work an event costs.
pub const MAX_CUSTOM_METRICS: usize = 50;

/// How often the history count looks for a metric to count, when none was.
const IDLE_LOOK: Duration = Duration::from_secs(1);

impl App {
    /// Every custom metric, by key.
    pub async fn custom_metrics(&self) -> Result<Vec<StoredMetric>> {
        Ok(self.store().custom_metrics().await?)
    }

    /// The custom metric with this key.
    pub async fn custom_metric(&self, key: &str) -> Result<StoredMetric> {
        Ok(self.store().custom_metric(key).await?)
    }

    /// Defines a custom metric from its JSON definition; its history is counted next.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor()))]
    pub async fn define_custom_metric(
        &self,
        caller: &Caller,
        body: &Fields,
    ) -> Result<StoredMetric> {
        caller.require(&[Role::Owner, Role::Admin], "define metrics")?;
        let metric = self.read_definition(body).await?;
        if self.store().custom_metrics().await?.len() >= MAX_CUSTOM_METRICS {
            return Err(Error::Conflict(format!(
                "the organisation has {MAX_CUSTOM_METRICS} metrics of its own already; \
                 remove one before defining another"
            )));
        }
        Ok(self.store().define_custom_metric(&metric).await?)
    }

    /// Replaces the definition of the metric `key` (the body may repeat the key, not
    /// change it): its values are counted again from the whole history.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor(), metric = key))]
    pub async fn redefine_custom_metric(
        &self,
        caller: &Caller,
        key: &str,
        body: &Fields,
    ) -> Result<StoredMetric> {
        caller.require(&[Role::Owner, Role::Admin], "change metrics")?;
        let mut body = body.0.clone();
        match body.get("key") {
            None => drop(body.insert("key".into(), key.into())),
            Some(given) if given.as_str() == Some(key) => {}
            Some(_) => return Err(Error::invalid("key", "a metric's key cannot change")),
        }
        let metric = self.read_definition(&Fields(body)).await?;
        Ok(self.store().redefine_custom_metric(&metric).await?)
    }

    /// Removes the metric `key` and its values, unless a goal names it (in any of its
    /// revisions: its history and results read them).
    #[tracing::instrument(skip_all, fields(caller = %caller.actor(), metric = key))]
    pub async fn remove_custom_metric(&self, caller: &Caller, key: &str) -> Result<()> {
        caller.require(&[Role::Owner, Role::Admin], "remove metrics")?;
        Ok(self.store().remove_custom_metric(key).await?)
    }

    /// Counts the custom metrics' histories, a window of the log at a time and each
    /// metric in turn, until the server stops; a failed step is logged, and that
    /// metric is tried again on its next turn.
    pub async fn keep_counting_custom_histories(self) {
        let mut after_id = 0;
        loop {
            let pause = match self.store().custom_history_after(after_id).await {
                Ok(Some(id)) => {
                    after_id = id;
                    self.count_one_step(id).await
                }
                Ok(None) if after_id > 0 => {
                    after_id = 0;
                    Duration::ZERO
                }
                Ok(None) => IDLE_LOOK,
                Err(e) => {
                    tracing::warn!(error = %e, "finding a custom metric to count failed; will retry");
                    IDLE_LOOK
                }
            };
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = self.shutdown().clone().wait() => return,
            }
        }
    }

    /// One step of the history of the metric `id`; how long to pause before the next.
    async fn count_one_step(&self, id: i64) -> Duration {
        let step = self
            .store()
            .count_custom_history(self.org(), id, HISTORY_WINDOW);
        match step.await {
            Ok(Some(metric)) if !metric.counting() => {
                tracing::info!(metric = %metric.metric.key, "custom metric: its history is counted");
                Duration::ZERO
            }
            Ok(_) => Duration::ZERO,
            Err(e) => {
                tracing::warn!(metric_id = id, error = %e, "counting a custom metric's history failed; will retry");
                IDLE_LOOK
            }
        }
    }

    /// A definition, checked against the organisation's channels.
    async fn read_definition(&self, body: &Fields) -> Result<CustomMetric> {
        let channels: HashSet<String> = self.channels().await?.into_iter().map(|c| c.id).collect();
        CustomMetric::parse(&Value::Object(body.0.clone()), Some(&channels))
            .map_err(|e| Error::invalid(&e.field, e.message))
    }
}
