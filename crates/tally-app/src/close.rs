//! Period close: when a goal's period (day, week or month of a criterion) has ended,
//! each assignee's result (actual, target, achieved or not) is recorded and frozen.
//!
//! Closing runs before a goal is changed or archived (so the periods that ran under
//! the old definition keep it), before its results are read, and every minute while a
//! server runs. It is idempotent: a result already recorded is never rewritten, and
//! several instances may close at once. It works in steps of about [`STEP_RESULTS`]
//! results, each its own short transaction, so ingest never waits long behind it.

use crate::app::App;
use crate::directory::{Directory, Goal};
use crate::error::{Error, Result};
use std::collections::BTreeSet;
use tally_core::goal::periods_covering;
use tally_core::views::{Compare, Subject, plan_goal};
use tally_core::{Calendar, Day, DayRange, GoalSpec, PeriodKind};
use tally_store::{GoalRecord, GoalResult};

/// A step closes at most this many days.
const STEP_DAYS: i32 = 92;

/// About how many results one step writes at most: a step holds the write lock while
/// it writes. A step holds at least one period end, whose results are written
/// together (1,000 people × 18 weekly criteria: 18,000 results at each week's end).
const STEP_RESULTS: usize = 2_000;

impl App {
    /// Records the results of every period of `goal` that ended before today and is not
    /// recorded yet, with the definition of `goal` as given (before a change, the one
    /// its periods ran under).
    #[tracing::instrument(skip_all, fields(goal = %goal.id))]
    pub async fn close_due_periods(&self, goal: &GoalRecord) -> Result<()> {
        let last = self.today().plus(-1);
        if goal.archived_at.is_some() || goal.closed_through >= last {
            return Ok(());
        }
        let now = self.now().await?;
        let directory = &now.directory;
        let spec = directory
            .spec_of(&goal.definition, &self.org().currency)
            .map_err(|e| Error::internal(format!("reading goal '{}'", goal.id), e))?;
        if self.counting_any(&spec).await? {
            // A result is frozen once: not from a custom metric's partial values.
            tracing::debug!(goal = %goal.id, "a custom metric of the goal is still counting its history; closing waits");
            return Ok(());
        }
        let current = &Goal {
            record: goal.clone(),
            spec,
        };
        let mut through = goal.closed_through;
        // The most results one period end gave so far: unknown until one ended.
        let mut per_end = None;
        let calendar = &self.org().calendar;
        while through < last {
            let window = next_window(&current.spec, calendar, through.plus(1), last, per_end);
            let results = self.close_window(directory, current, window).await?;
            if !self
                .store()
                .record_results(goal.key, &results, through, window.to)
                .await?
            {
                return Ok(());
            }
            let ends = ended_periods(&current.spec, calendar, window).len();
            if ends > 0 {
                per_end = per_end.max(Some(results.len().div_ceil(ends)));
            }
            through = window.to;
        }
        Ok(())
    }

    /// The results of the periods that end within `window`.
    async fn close_window(
        &self,
        directory: &Directory,
        goal: &Goal,
        window: DayRange,
    ) -> Result<Vec<GoalResult>> {
        let closed_at = jiff::Timestamp::now().as_microsecond();
        let data_version = self.store().versions().await?.data;
        // A custom metric's result keeps the definition it was counted with.
        let definition_of = |key: &str| {
            let custom = directory.custom_metric(key)?;
            Some(custom.metric.to_json().to_string())
        };
        let mut results = Vec::new();
        for (kind, period) in ended_periods(&goal.spec, &self.org().calendar, window) {
            let ctx = self.context(directory, period, Compare::Previous);
            let plan = plan_goal(&ctx, &goal.record.id, &goal.spec);
            let values = self
                .measure_values(directory, data_version, &plan.groups(), &plan.metrics())
                .await?;
            let progress = plan.finish(&ctx, &values);
            for row in progress.rows.iter().filter(|r| r.period == Some(kind)) {
                let (subject_kind, subject_id) = match &row.subject {
                    Subject::User(id) => ("user", id),
                    Subject::Team(id) => ("team", id),
                };
                results.push(GoalResult {
                    metric: row.metric.key().to_owned(),
                    period,
                    subject_kind: subject_kind.to_owned(),
                    subject_id: subject_id.clone(),
                    revision: goal.record.revision,
                    target: row.target.normalize().to_string(),
                    actual: row.actual,
                    achieved: row
                        .completion
                        .is_some_and(|c| c >= rust_decimal::Decimal::ONE),
                    closed_at,
                    metric_definition: definition_of(row.metric.key()),
                });
            }
        }
        Ok(results)
    }

    /// Closes the due periods of every goal that is not archived; a goal that fails
    /// is logged and the others still close.
    pub async fn close_all(&self) -> Result<()> {
        for goal in self.store().goals().await? {
            if let Err(e) = self.close_due_periods(&goal).await {
                tracing::warn!(goal = %goal.id, error = %e, "closing the goal's periods failed; will retry");
            }
        }
        Ok(())
    }

    /// Records the results of goal periods as they end, every minute, until the
    /// server stops.
    pub async fn close_periods_every_minute(self) {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                () = self.shutdown().clone().wait() => return,
            }
            // Each round in its own task, so that even a panic only costs one round.
            let round = tokio::spawn({
                let app = self.clone();
                async move { app.close_all().await }
            });
            match round.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "closing goal periods failed; will retry"),
                Err(e) => tracing::error!(error = %e, "closing goal periods panicked; will retry"),
            }
        }
    }
}

/// The next step's days, from `from`: as many (1 to [`STEP_DAYS`], not past `last`) as
/// keep the results of the period ends in them near [`STEP_RESULTS`], given the most
/// one period end gave so far; while that is unknown, up to the first period end.
fn next_window(
    spec: &GoalSpec,
    calendar: &Calendar,
    from: Day,
    last: Day,
    per_end: Option<usize>,
) -> DayRange {
    let allowed_ends = per_end.map_or(1, |n| (STEP_RESULTS / n.max(1)).max(1));
    let mut window = DayRange::single(from);
    while window.len() < STEP_DAYS.unsigned_abs() && window.to < last {
        let longer = DayRange {
            from,
            to: window.to.plus(1),
        };
        if ended_periods(spec, calendar, longer).len() > allowed_ends {
            break;
        }
        window = longer;
    }
    window
}

/// The periods of the goal's criteria (one per period kind) that end within `window`
/// while the goal is active.
fn ended_periods(
    spec: &GoalSpec,
    calendar: &Calendar,
    window: DayRange,
) -> Vec<(PeriodKind, DayRange)> {
    let kinds: BTreeSet<PeriodKind> = spec.criteria.iter().map(|c| c.period).collect();
    kinds
        .into_iter()
        .flat_map(|kind| {
            periods_covering(kind, window, |d| calendar.week_of(d))
                .into_iter()
                .filter(|p| p.to <= window.to && spec.active_within(*p).is_some())
                .map(move |p| (kind, p))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{STEP_RESULTS, next_window};
    use serde_json::json;
    use tally_core::{Calendar, Currency, Day, DayRange, GoalSpec};

    fn goal(period: &str) -> GoalSpec {
        let body = json!({"name": "g", "starts_on": "2026-01-01",
            "criteria": [{"metric": "calls", "period": period, "target": 1}],
            "assignees": [{"user_id": "lan"}]});
        let today: Day = "2026-11-27".parse().unwrap();
        GoalSpec::parse(body.as_object().unwrap(), &Currency::default(), &[], today).unwrap()
    }

    fn window(period: &str, from: &str, per_end: Option<usize>) -> DayRange {
        let calendar = Calendar::new("Asia/Ho_Chi_Minh", "monday").unwrap();
        let last: Day = "2026-11-26".parse().unwrap();
        next_window(
            &goal(period),
            &calendar,
            from.parse().unwrap(),
            last,
            per_end,
        )
    }

    fn range(from: &str, to: &str) -> DayRange {
        DayRange::new(from.parse().unwrap(), to.parse().unwrap()).unwrap()
    }

    #[test]
    fn steps_hold_about_two_thousand_results_and_at_least_one_period_end() {
        // Unknown yet: up to the first period end, to learn how many it gives.
        assert_eq!(
            window("day", "2026-03-01", None),
            range("2026-03-01", "2026-03-01")
        );
        assert_eq!(
            window("week", "2026-03-04", None),
            range("2026-03-04", "2026-03-14")
        );
        // 180 results a day: 11 days; 18,000 results a week end: one week end a step.
        assert_eq!(window("day", "2026-03-01", Some(180)).len(), 11);
        assert_eq!(
            window("week", "2026-03-02", Some(18_000)),
            range("2026-03-02", "2026-03-14")
        );
        assert_eq!(
            window("day", "2026-03-01", Some(STEP_RESULTS * 10)).len(),
            1
        );
        // Few results: at most 92 days, never past the last day to close.
        assert_eq!(window("day", "2026-03-01", Some(1)).len(), 92);
        assert_eq!(
            window("month", "2026-10-01", Some(1)),
            range("2026-10-01", "2026-11-26")
        );
    }
}
