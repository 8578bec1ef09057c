//! The frozen results of a goal's closed periods, a page at a time: each with today's
//! actual for the same days next to it (computed with the definition the period
//! closed under), flagged when it changed since — a late event, or a current-state
//! metric such as a won deal lost.

use crate::access::{scoped_goal, seen_user};
use crate::app::App;
use crate::caller::Caller;
use crate::error::{Error, Result};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;
use tally_core::access::Scope;
use tally_core::custom::CustomMetric;
use tally_core::views::{Compare, Subject, plan_goal};
use tally_core::{DayRange, Measure};
use tally_store::{Page, ResultSubjects};

/// A page of a goal's frozen results.
#[derive(Clone, Debug)]
pub struct ResultsPage {
    pub goal_id: String,
    /// How many results match in all.
    pub total: i64,
    pub page: Page,
    pub results: Vec<FrozenResult>,
}

/// One closed period's result for one subject and criterion.
#[derive(Clone, Debug)]
pub struct FrozenResult {
    pub subject: Subject,
    pub name: String,
    pub period: DayRange,
    /// The criterion's metric; a custom one as it was defined when the period closed.
    pub metric: Measure,
    /// The goal's revision the period closed under.
    pub revision: i64,
    /// The pro-rated target, in the metric's unit.
    pub target: Decimal,
    /// The actual when it closed, in the metric's stored unit.
    pub actual: i128,
    pub achieved: bool,
    /// Microseconds since the epoch.
    pub closed_at: i64,
    /// The actual for the same days now.
    pub current_actual: i128,
}

impl App {
    /// A page of the results of `goal_id` whose periods lie within `range`, for the
    /// subjects the caller sees (or only `user`); the due periods are closed first.
    pub async fn goal_results(
        &self,
        caller: &Caller,
        goal_id: &str,
        range: DayRange,
        user: Option<&str>,
        page: Page,
    ) -> Result<ResultsPage> {
        let now = self.now().await?;
        let directory = &now.directory;
        let scope = self.read_scope(caller, directory);
        let goal = scoped_goal(directory, &scope, goal_id, Scope::sees_goal)?;
        let user = seen_user(directory, &scope, user)?;
        self.close_due_periods(&goal.record).await?;
        let subjects = match (&user, scope.all) {
            (Some(user), _) => Some(ResultSubjects {
                users: vec![user.clone()],
                teams: Vec::new(),
            }),
            (None, true) => None,
            (None, false) => Some(ResultSubjects {
                users: scope.users.iter().cloned().collect(),
                teams: scope.teams.iter().cloned().collect(),
            }),
        };
        let store = self.store();
        let (stored, total) = store
            .goal_results(goal.record.key, range, subjects.as_ref(), page)
            .await?;
        let definitions: HashMap<i64, String> = store
            .goal_revisions(goal.record.key)
            .await?
            .into_iter()
            .map(|r| (r.revision, r.definition))
            .collect();
        let mut actuals: HashMap<(i64, DayRange), HashMap<(Subject, String), i128>> =
            HashMap::new();
        let mut results = Vec::with_capacity(stored.len());
        let mut read = HashMap::new();
        for result in stored {
            let subject = match result.subject_kind.as_str() {
                "team" => Subject::Team(result.subject_id.clone()),
                _ => Subject::User(result.subject_id.clone()),
            };
            let metric = frozen_measure(&result, &directory.custom_definitions, &mut read)?;
            let key = (result.revision, result.period);
            if let Entry::Vacant(slot) = actuals.entry(key) {
                let definition = definitions.get(&result.revision).ok_or_else(|| {
                    Error::internal("reading a goal's history", "a revision is missing")
                })?;
                let spec = directory
                    .spec_of(definition, &self.org().currency)
                    .map_err(|e| Error::internal("reading a goal's revision", e))?;
                let ctx = self.context(directory, result.period, Compare::Previous);
                let plan = plan_goal(&ctx, &goal.record.id, &spec);
                let values = self.values(&now, &plan.groups(), &plan.metrics()).await?;
                let progress = plan.finish(&ctx, &values);
                slot.insert(
                    progress
                        .rows
                        .into_iter()
                        .map(|r| ((r.subject, r.metric.key().to_owned()), r.actual))
                        .collect(),
                );
            }
            let current_actual = actuals
                .get(&key)
                .and_then(|m| m.get(&(subject.clone(), result.metric.clone())))
                .copied()
                .unwrap_or(0);
            let target: Decimal = result
                .target
                .parse()
                .map_err(|e| Error::internal("reading a stored target", e))?;
            results.push(FrozenResult {
                name: match &subject {
                    Subject::User(id) => directory.roster.user_name(id).to_owned(),
                    Subject::Team(id) => directory.roster.team_name(id).to_owned(),
                },
                subject,
                period: result.period,
                metric,
                revision: result.revision,
                target,
                actual: result.actual,
                achieved: result.achieved,
                closed_at: result.closed_at,
                current_actual,
            });
        }
        Ok(ResultsPage {
            goal_id: goal.record.id.clone(),
            total,
            page,
            results,
        })
    }
}

/// A stored result's metric: a custom one as the definition kept with the result says
/// (as it was when the period closed), else as defined now; a built-in one by key.
/// `read` keeps the definitions read so far: a page repeats the same few.
fn frozen_measure(
    result: &tally_store::GoalResult,
    custom: &[Arc<CustomMetric>],
    read: &mut HashMap<String, Measure>,
) -> Result<Measure> {
    let Some(definition) = &result.metric_definition else {
        return Measure::find(&result.metric, custom)
            .map_err(|e| Error::internal("reading a stored result", e));
    };
    if let Some(measure) = read.get(definition) {
        return Ok(measure.clone());
    }
    let value: serde_json::Value = serde_json::from_str(definition)
        .map_err(|e| Error::internal("reading a result's metric", e))?;
    let metric = CustomMetric::parse(&value, None)
        .map_err(|e| Error::internal("reading a result's metric", e))?;
    let measure = Measure::Custom(Arc::new(metric));
    read.insert(definition.clone(), measure.clone());
    Ok(measure)
}
