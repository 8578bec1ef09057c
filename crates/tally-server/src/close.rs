//! Period close: when a goal's period (day, week or month of a criterion) has ended,
//! each assignee's result (actual, target, achieved or not) is recorded and frozen.
//!
//! Closing runs before a goal is changed or archived (so the periods that ran under
//! the old definition keep it), before its results are read, and every minute in
//! `tally serve`. It is idempotent: a result already recorded is never rewritten, and
//! several instances may close at once.

use crate::AppState;
use crate::api::goals::spec_of;
use crate::error::ApiError;
use crate::progress::{Context, Goal, Subject, goal_progress};
use std::collections::BTreeSet;
use tally_core::goal::periods_covering;
use tally_core::{DayRange, PeriodKind};
use tally_store::{GoalRecord, GoalResult};

/// Records the results of every period of `goal` that ended before today and is not
/// recorded yet.
pub async fn close_due_periods(state: &AppState, goal: &GoalRecord) -> Result<(), ApiError> {
    if goal.archived_at.is_some() {
        return Ok(());
    }
    let today = state.org.calendar.day_of(jiff::Timestamp::now());
    let last = today.plus(-1);
    let Some(window) = DayRange::new(goal.closed_through.plus(1), last) else {
        return Ok(());
    };
    let spec = spec_of(state, goal)?;
    let kinds: BTreeSet<PeriodKind> = spec.criteria.iter().map(|c| c.period).collect();
    let calendar = &state.org.calendar;
    let mut ctx = Context::load(state, window).await?;
    let closed_at = jiff::Timestamp::now().as_microsecond();
    let goal_view = Goal {
        record: goal.clone(),
        spec: spec.clone(),
    };
    let mut results = Vec::new();
    for kind in kinds {
        let periods = periods_covering(kind, window, |d| calendar.week_of(d));
        for period in periods
            .into_iter()
            .filter(|p| p.to <= last && spec.active_within(*p).is_some())
        {
            ctx.set_range(period);
            let progress = goal_progress(&state.store, &ctx, &goal_view).await?;
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
                    revision: goal.revision,
                    target: row.target.normalize().to_string(),
                    actual: row.actual,
                    achieved: row
                        .completion
                        .is_some_and(|c| c >= rust_decimal::Decimal::ONE),
                    closed_at,
                });
            }
        }
    }
    state.store.record_results(goal.key, &results, last).await?;
    Ok(())
}

/// Closes the due periods of every goal that is not archived.
pub async fn close_all(state: &AppState) -> Result<(), ApiError> {
    for goal in state.store.goals().await? {
        close_due_periods(state, &goal).await?;
    }
    Ok(())
}
