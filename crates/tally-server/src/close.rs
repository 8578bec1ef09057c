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

/// Closes at most this many days at a time, each step its own transaction.
const STEP_DAYS: i32 = 92;

/// About how many results one step writes: a step holds the write lock while it
/// writes, so a goal with many criteria and people closes in shorter steps (a goal of
/// 18 daily criteria for 10 people writes 180 results a day: 11 days a step), and
/// ingest never waits long behind it.
const STEP_RESULTS: usize = 2_000;

/// Records the results of every period of `goal` that ended before today and is not
/// recorded yet.
pub async fn close_due_periods(state: &AppState, goal: &GoalRecord) -> Result<(), ApiError> {
    if goal.archived_at.is_some() {
        return Ok(());
    }
    let last = state.org.calendar.day_of(jiff::Timestamp::now()).plus(-1);
    if goal.closed_through >= last {
        return Ok(());
    }
    let spec = spec_of(state, goal)?;
    let view = Goal {
        record: goal.clone(),
        spec,
    };
    let mut ctx = Context::load(state, DayRange::single(last)).await?;
    let mut through = goal.closed_through;
    // A first short step measures how many results a day gives.
    let mut step = 7;
    while through < last {
        let step_end = through.plus(step).min(last);
        let window = DayRange {
            from: through.plus(1),
            to: step_end,
        };
        let results = close_window(state, &mut ctx, &view, window).await?;
        if !state
            .store
            .record_results(goal.key, &results, through, step_end)
            .await?
        {
            return Ok(());
        }
        step = next_step(results.len(), window.len());
        through = step_end;
    }
    Ok(())
}

/// The days of the next step, from the results the last one gave over `days` days:
/// about [`STEP_RESULTS`] results, from 1 to [`STEP_DAYS`] days.
fn next_step(results: usize, days: u32) -> i32 {
    let per_day = results.div_ceil(days.max(1) as usize).max(1);
    i32::try_from(STEP_RESULTS / per_day)
        .unwrap_or(STEP_DAYS)
        .clamp(1, STEP_DAYS)
}

/// The results of the periods that end within `window`.
async fn close_window(
    state: &AppState,
    ctx: &mut Context<'_>,
    goal: &Goal,
    window: DayRange,
) -> Result<Vec<GoalResult>, ApiError> {
    let spec = &goal.spec;
    let kinds: BTreeSet<PeriodKind> = spec.criteria.iter().map(|c| c.period).collect();
    let calendar = &state.org.calendar;
    let closed_at = jiff::Timestamp::now().as_microsecond();
    let mut results = Vec::new();
    for kind in kinds {
        let periods = periods_covering(kind, window, |d| calendar.week_of(d));
        let ended = periods
            .into_iter()
            .filter(|p| p.to <= window.to && spec.active_within(*p).is_some());
        for period in ended {
            ctx.set_range(period);
            let progress = goal_progress(&state.store, ctx, goal).await?;
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
                });
            }
        }
    }
    Ok(results)
}

/// Closes the due periods of every goal that is not archived; a goal that fails is
/// logged and the others still close.
pub async fn close_all(state: &AppState) -> Result<(), ApiError> {
    for goal in state.store.goals().await? {
        if let Err(e) = close_due_periods(state, &goal).await {
            tracing::warn!(goal = %goal.id, error = %e, "closing the goal's periods failed; will retry");
        }
    }
    Ok(())
}

/// Records the results of goal periods as they end, every minute, until the server
/// stops.
pub async fn close_periods_every_minute(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = state.shutdown.clone().wait() => return,
        }
        // Each round in its own task, so that even a panic only costs one round.
        let round = tokio::spawn({
            let state = state.clone();
            async move { close_all(&state).await }
        });
        match round.await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "closing goal periods failed; will retry"),
            Err(e) => tracing::error!(error = %e, "closing goal periods panicked; will retry"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::next_step;

    #[test]
    fn steps_write_about_two_thousand_results() {
        assert_eq!(next_step(1_260, 7), 11);
        assert_eq!(next_step(0, 7), 92);
        assert_eq!(next_step(70, 7), 92);
        assert_eq!(next_step(70_000, 7), 1);
    }
}
