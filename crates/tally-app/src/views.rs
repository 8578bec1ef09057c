//! The three goal views over a range — by goal, by employee, by team — as typed rows
//! and scores for the people and teams the caller sees, with what a per-day breakdown
//! of them reads. Computed from the organisation in memory and the read model at the
//! request's data version: a view whose data did not change reads nothing else.

use crate::access::{people_within, scoped_goal, seen_team, seen_user, teams_within};
use crate::app::{App, Now};
use crate::caller::Caller;
use crate::directory::{Directory, Goal};
use crate::error::{Error, Result};
use std::collections::{BTreeMap, BTreeSet};
use tally_core::access::Scope;
use tally_core::org::Roster;
use tally_core::views::{
    Compare, Context, Group, GroupValues, Row, Score, Subject, plan_goal, plan_teams,
};
use tally_core::{Day, DayRange, GoalSpec, Measure, Metric};
use tally_store::StoredMetric;

/// Which of the three views.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKind {
    /// One goal's assignees, with scores.
    Goal,
    /// Every goal's criteria for each person, with scores.
    Employees,
    /// Each team against its target; no scores.
    Teams,
}

/// A computed view.
#[derive(Clone, Debug)]
pub struct ProgressView {
    pub kind: ViewKind,
    pub range: DayRange,
    /// What the range is compared with, and that range.
    pub compare: Compare,
    pub previous: DayRange,
    /// The goal of a by-goal view: (id, name).
    pub goal: Option<(String, String)>,
    pub rows: Vec<Row>,
    pub scores: Vec<Score>,
    /// What a per-day breakdown of the rows reads.
    pub daily: Vec<DailyGroup>,
    /// The data version the figures are at least as new as.
    pub data_version: i64,
    /// The custom metrics of its rows whose history is still being counted: their
    /// values are partial.
    pub counting: Vec<String>,
}

/// The member-days of one subject's row(s), for a per-day breakdown.
#[derive(Clone, Debug)]
pub struct DailyGroup {
    pub subject: Subject,
    pub name: String,
    pub goal: Option<String>,
    pub metrics: Vec<Measure>,
    pub group: Group,
}

/// What a caller may pick from to narrow a view, by (id, name): the current goals
/// they see (by id), the active people and the teams they see (by id).
#[derive(Clone, Debug, Default)]
pub struct Choices {
    pub goals: Vec<(String, String)>,
    pub users: Vec<(String, String)>,
    pub teams: Vec<(String, String)>,
}

/// One subject's values on one day with data.
#[derive(Clone, Debug)]
pub struct DayValues {
    /// The index of its [`DailyGroup`].
    pub group: usize,
    pub day: Day,
    pub values: GroupValues,
}

impl App {
    /// One goal's rows and scores, for the assignees the caller sees (or only `user`).
    #[tracing::instrument(skip_all, fields(caller = %caller.actor(), goal = goal_id))]
    pub async fn goal_view(
        &self,
        caller: &Caller,
        goal_id: &str,
        range: DayRange,
        compare: Compare,
        user: Option<&str>,
    ) -> Result<ProgressView> {
        let now = self.now().await?;
        let directory = &now.directory;
        let scope = self.read_scope(caller, directory);
        let goal = scoped_goal(directory, &scope, goal_id, Scope::sees_goal)?;
        let user = seen_user(directory, &scope, user)?;
        let keep = |s: &Subject| {
            visible(&scope, s) && user.as_ref().is_none_or(|u| *s == Subject::User(u.clone()))
        };
        self.one_goal_view(&now, goal, range, compare, keep).await
    }

    /// One goal's rows and scores on `now`, for the subjects `keep` admits.
    pub(crate) async fn one_goal_view(
        &self,
        now: &Now,
        goal: &Goal,
        range: DayRange,
        compare: Compare,
        keep: impl Fn(&Subject) -> bool,
    ) -> Result<ProgressView> {
        let mut view = self.goals_view(now, range, compare, &[goal], keep).await?;
        view.kind = ViewKind::Goal;
        view.goal = Some((goal.record.id.clone(), goal.spec.name.clone()));
        Ok(view)
    }

    /// Every criterion of every current goal that applies to each employee the caller
    /// sees (or only `user`, or `team`'s members during the range), sorted by person
    /// and goal.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor()))]
    pub async fn employees_view(
        &self,
        caller: &Caller,
        range: DayRange,
        compare: Compare,
        user: Option<&str>,
        team: Option<&str>,
    ) -> Result<ProgressView> {
        let now = self.now().await?;
        let directory = &now.directory;
        let scope = self.read_scope(caller, directory);
        let user = seen_user(directory, &scope, user)?;
        let members = match team {
            Some(id) => {
                let team = seen_team(directory, &scope, id)?;
                let teams = [team.to_owned()].into_iter().collect();
                Some(directory.roster.members_during(&teams, range))
            }
            None => None,
        };
        let keep = |s: &Subject| match s {
            Subject::User(u) => {
                scope.sees_user(u)
                    && user.as_ref().is_none_or(|only| only == u)
                    && members.as_ref().is_none_or(|m| m.contains(u))
            }
            Subject::Team(_) => false,
        };
        let goals: Vec<&Goal> = directory
            .current_goals()
            .filter(|g| scope.sees_goal(&g.spec))
            .collect();
        let mut view = self.goals_view(&now, range, compare, &goals, keep).await?;
        view.rows
            .sort_by(|a, b| (&a.subject, &a.goal).cmp(&(&b.subject, &b.goal)));
        Ok(view)
    }

    /// Each team the caller sees (or only `team`) against its own target, or else the
    /// sum of its members' targets, over every current goal.
    #[tracing::instrument(skip_all, fields(caller = %caller.actor()))]
    pub async fn teams_view(
        &self,
        caller: &Caller,
        range: DayRange,
        compare: Compare,
        team: Option<&str>,
    ) -> Result<ProgressView> {
        let now = self.now().await?;
        let directory = &now.directory;
        let scope = self.read_scope(caller, directory);
        let teams: Vec<String> = match team {
            Some(id) => vec![seen_team(directory, &scope, id)?.to_owned()],
            None => directory
                .roster
                .teams()
                .iter()
                .filter(|t| scope.sees_team(&t.id))
                .map(|t| t.id.clone())
                .collect(),
        };
        let specs: Vec<_> = directory.current_goals().map(|g| &g.spec).collect();
        let ctx = self.context(directory, range, compare);
        let plan = plan_teams(&ctx, &specs, &teams);
        let values = self.values(&now, &plan.groups(), &plan.metrics()).await?;
        let counting = self.counting_of(&plan.metrics()).await?;
        let rows = plan.finish(&ctx, &values);
        let mut metrics: BTreeMap<&str, Vec<Measure>> = BTreeMap::new();
        for row in &rows {
            if let Subject::Team(t) = &row.subject {
                metrics.entry(t).or_default().push(row.metric.clone());
            }
        }
        let daily = metrics
            .into_iter()
            .map(|(team, metrics)| DailyGroup {
                subject: Subject::Team(team.to_owned()),
                name: directory.roster.team_name(team).to_owned(),
                goal: None,
                metrics,
                group: directory.roster.team_days(team, range),
            })
            .collect();
        Ok(ProgressView {
            kind: ViewKind::Teams,
            range,
            compare,
            previous: ctx.previous,
            goal: None,
            rows,
            scores: Vec::new(),
            daily,
            data_version: now.data_version,
            counting,
        })
    }

    /// The goals, people and teams the caller may narrow a view to.
    pub async fn choices(&self, caller: &Caller) -> Result<Choices> {
        let now = self.now().await?;
        let directory = &now.directory;
        let scope = self.read_scope(caller, directory);
        let roster = &directory.roster;
        Ok(Choices {
            goals: directory
                .current_goals()
                .filter(|g| scope.sees_goal(&g.spec))
                .map(|g| (g.record.id.clone(), g.spec.name.clone()))
                .collect(),
            users: people_within(roster, &scope),
            teams: teams_within(roster, &scope),
        })
    }

    /// The member-days of people and teams over `range`: a person's own days, a team's
    /// members on their member days (what a trend of the rows of a view reads).
    pub async fn subject_groups(
        &self,
        subjects: &[Subject],
        range: DayRange,
    ) -> Result<Vec<Group>> {
        let now = self.now().await?;
        Ok(groups_of(&now.directory.roster, subjects, range))
    }

    /// The values of `subjects` together over each of `ranges` (a team counts its
    /// members on their member days; a customer two of them touched counts once), at
    /// `data_version`: what a trend by month reads.
    pub async fn totals_over(
        &self,
        data_version: i64,
        subjects: &[Subject],
        ranges: &[DayRange],
        metrics: &[Measure],
    ) -> Result<Vec<GroupValues>> {
        let now = self.now().await?;
        let groups: Vec<Group> = ranges
            .iter()
            .map(|range| {
                let parts = groups_of(&now.directory.roster, subjects, *range);
                parts.into_iter().flatten().collect()
            })
            .collect();
        self.measure_values(&now.directory, data_version, &groups, metrics)
            .await
    }

    /// The values of each daily group on each day of `range` where one of the
    /// `metrics` shown is not zero.
    pub async fn daily_values(
        &self,
        data_version: i64,
        range: DayRange,
        groups: &[Group],
        metrics: &[Measure],
    ) -> Result<Vec<DayValues>> {
        let built_in: Vec<Metric> = metrics.iter().filter_map(Measure::built_in).collect();
        let figures = self.store().figures(data_version).await?;
        let mut by_day: BTreeMap<(usize, Day), GroupValues> = figures
            .daily_values(groups, range, &built_in)
            .into_iter()
            .map(|(group, day, values)| ((group, day), values.into()))
            .collect();
        drop(figures);
        for (custom, stored) in self.custom_of(metrics).await? {
            let days = self.store().custom_days(&stored, range).await?;
            for (index, group) in groups.iter().enumerate() {
                for day in range.days() {
                    let value = days.value_of(&on_day(group, day));
                    if value != 0 {
                        let values = by_day.entry((index, day)).or_default();
                        values.custom.insert(custom.clone(), value);
                    }
                }
            }
        }
        Ok(by_day
            .into_iter()
            .map(|((group, day), values)| DayValues { group, day, values })
            .collect())
    }

    /// The sum of the daily groups' values on each day of `range`, every day listed:
    /// what a chart of a view's rows reads.
    pub async fn daily_totals(
        &self,
        data_version: i64,
        range: DayRange,
        groups: &[Group],
        metrics: &[Measure],
    ) -> Result<Vec<(Day, GroupValues)>> {
        let built_in: Vec<Metric> = metrics.iter().filter_map(Measure::built_in).collect();
        let figures = self.store().figures(data_version).await?;
        let mut totals: Vec<(Day, GroupValues)> = figures
            .daily_totals(groups, range, &built_in)
            .into_iter()
            .map(|(day, values)| (day, values.into()))
            .collect();
        drop(figures);
        for (custom, stored) in self.custom_of(metrics).await? {
            let days = self.store().custom_days(&stored, range).await?;
            for (day, values) in &mut totals {
                let total = groups.iter().map(|g| days.value_of(&on_day(g, *day))).sum();
                values.custom.insert(custom.clone(), total);
            }
        }
        Ok(totals)
    }

    /// The custom metrics among `metrics`, by key, as stored.
    async fn custom_of(&self, metrics: &[Measure]) -> Result<Vec<(String, StoredMetric)>> {
        if metrics.iter().all(|m| m.built_in().is_some()) {
            return Ok(Vec::new());
        }
        let now = self.now().await?;
        let mut custom = Vec::new();
        for measure in metrics {
            if let Measure::Custom(definition) = measure
                && let Some(stored) = now.directory.custom_metric(&definition.key)
            {
                custom.push((definition.key.clone(), stored.clone()));
            }
        }
        Ok(custom)
    }

    /// The rows and scores of some goals, those of the subjects `keep` admits.
    async fn goals_view(
        &self,
        now: &Now,
        range: DayRange,
        compare: Compare,
        goals: &[&Goal],
        keep: impl Fn(&Subject) -> bool,
    ) -> Result<ProgressView> {
        let ctx = self.context(&now.directory, range, compare);
        let plans: Vec<_> = goals
            .iter()
            .map(|g| plan_goal(&ctx, &g.record.id, &g.spec))
            .collect();
        let groups: Vec<Group> = plans.iter().flat_map(|p| p.groups()).collect();
        let metrics: BTreeSet<Measure> = plans.iter().flat_map(|p| p.metrics()).collect();
        let metrics: Vec<Measure> = metrics.into_iter().collect();
        let values = self.values(now, &groups, &metrics).await?;
        let mut view = ProgressView {
            kind: ViewKind::Employees,
            range,
            compare,
            previous: ctx.previous,
            goal: None,
            rows: Vec::new(),
            scores: Vec::new(),
            daily: Vec::new(),
            data_version: now.data_version,
            counting: self.counting_of(&metrics).await?,
        };
        let mut offset = 0;
        for (goal, plan) in goals.iter().zip(plans) {
            let count = plan.group_count();
            let progress = plan.finish(&ctx, &values[offset..offset + count]);
            offset += count;
            view.rows
                .extend(progress.rows.into_iter().filter(|r| keep(&r.subject)));
            view.scores
                .extend(progress.scores.into_iter().filter(|s| keep(&s.subject)));
            let metrics: Vec<Measure> = goal
                .spec
                .criteria
                .iter()
                .map(|c| c.metric.clone())
                .collect();
            view.daily
                .extend(progress.groups.into_iter().filter(|(s, _)| keep(s)).map(
                    |(subject, group)| DailyGroup {
                        name: ctx.name_of(&subject),
                        subject,
                        goal: Some(goal.record.id.clone()),
                        metrics: metrics.clone(),
                        group,
                    },
                ));
        }
        Ok(view)
    }

    /// What a view reads besides the values, over `range` compared as `compare` says.
    pub(crate) fn context<'d>(
        &'d self,
        directory: &'d Directory,
        range: DayRange,
        compare: Compare,
    ) -> Context<'d> {
        let (today, elapsed_today) = self.org().calendar.day_and_elapsed(jiff::Timestamp::now());
        Context {
            roster: &directory.roster,
            currency: &self.org().currency,
            scoring: &directory.scoring,
            range,
            previous: compare.range_for(range),
            today,
            elapsed_today,
        }
    }

    /// The values of groups of member-days for the `metrics` a view shows, at the
    /// request's data version.
    pub(crate) async fn values(
        &self,
        now: &Now,
        groups: &[Group],
        metrics: &[Measure],
    ) -> Result<Vec<GroupValues>> {
        self.measure_values(&now.directory, now.data_version, groups, metrics)
            .await
    }

    /// The values of groups of member-days for `metrics`: the built-in ones from the
    /// read model at `data_version`, each custom one from its own table (an entity of
    /// a distinct count once per group).
    pub(crate) async fn measure_values(
        &self,
        directory: &Directory,
        data_version: i64,
        groups: &[Group],
        metrics: &[Measure],
    ) -> Result<Vec<GroupValues>> {
        let built_in: Vec<Metric> = metrics.iter().filter_map(Measure::built_in).collect();
        let figures = self.store().figures(data_version).await?;
        let mut values: Vec<GroupValues> = figures
            .group_values(groups, &built_in)
            .into_iter()
            .map(GroupValues::from)
            .collect();
        drop(figures);
        let Some(span) = span_of(groups) else {
            return Ok(values);
        };
        for measure in metrics {
            let Measure::Custom(custom) = measure else {
                continue;
            };
            let stored = directory.custom_metric(&custom.key).ok_or_else(|| {
                Error::internal(
                    format!("reading custom metric '{}'", custom.key),
                    "it is not in the organisation",
                )
            })?;
            let days = self.store().custom_days(stored, span).await?;
            for (group, value) in groups.iter().zip(values.iter_mut()) {
                value
                    .custom
                    .insert(custom.key.clone(), days.value_of(group));
            }
        }
        Ok(values)
    }

    /// The keys of the custom metrics among `metrics` whose history is still being
    /// counted, as the store says now.
    async fn counting_of(&self, metrics: &[Measure]) -> Result<Vec<String>> {
        if metrics.iter().all(|m| m.built_in().is_some()) {
            return Ok(Vec::new());
        }
        let stored = self.store().custom_metrics().await?;
        Ok(stored
            .into_iter()
            .filter(|s| s.counting() && metrics.iter().any(|m| m.key() == s.metric.key))
            .map(|s| s.metric.key)
            .collect())
    }

    /// Whether a custom metric of `spec` is still counting its history (its values
    /// are partial), as the store says now.
    pub(crate) async fn counting_any(&self, spec: &GoalSpec) -> Result<bool> {
        for criterion in &spec.criteria {
            if let Measure::Custom(custom) = &criterion.metric
                && self.store().custom_metric(&custom.key).await?.counting()
            {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// A group's member-days on one day.
fn on_day(group: &Group, day: Day) -> Group {
    group
        .iter()
        .filter(|(_, days)| days.contains(day))
        .map(|(user, _)| (*user, DayRange::single(day)))
        .collect()
}

/// The days every group's member-days lie within; none when there are no days.
fn span_of(groups: &[Group]) -> Option<DayRange> {
    let days = groups.iter().flatten().map(|(_, range)| range);
    let from = days.clone().map(|r| r.from).min()?;
    let to = days.map(|r| r.to).max()?;
    DayRange::new(from, to)
}

/// The member-days of each subject over `range`: a person's own days, a team's
/// members on their member days.
fn groups_of(roster: &Roster, subjects: &[Subject], range: DayRange) -> Vec<Group> {
    subjects
        .iter()
        .map(|s| match s {
            Subject::User(id) => roster
                .user(id)
                .map(|u| vec![(u.key, range)])
                .unwrap_or_default(),
            Subject::Team(id) => roster.team_days(id, range),
        })
        .collect()
}

pub(crate) fn visible(scope: &Scope, subject: &Subject) -> bool {
    match subject {
        Subject::User(u) => scope.sees_user(u),
        Subject::Team(t) => scope.sees_team(t),
    }
}
