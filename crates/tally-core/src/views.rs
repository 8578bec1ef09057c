//! The goal views' rows, computed from the organisation and the actual values: who
//! carries which target over which days (pro-rated per assignee, teams' own targets and
//! their members' parts), completion, grade, rank, pace, the previous range, and each
//! assignee's weighted score.
//!
//! A view is computed in two steps, so that this stays pure: a plan names the
//! member-days whose values it needs ([`Group`]s: a person's days, or a team's members
//! on their member days); the caller reads those values (the store's read model) and
//! the plan turns them into rows. A person's actual counts exactly the days the goal
//! applies to them (while it is active, and for a target carried by each member of a
//! team, while they are a member).

use crate::calendar::{Day, DayRange};
use crate::dayset::DaySet;
use crate::goal::{Assignee, GoalSpec, PeriodKind, TeamMode, prorated_target};
use crate::measure::Measure;
use crate::metric::Unit;
use crate::money::Currency;
use crate::org::{MembershipRecord, Roster};
use crate::progress::{Grade, Pace, Scoring, completion, pace, ranks};
use crate::quantity::round;
use crate::rollup::Values;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// Member-days whose values count together: (user key, days) pairs.
pub type Group = Vec<(i64, DayRange)>;

/// The values of one [`Group`]: the built-in metrics' and the custom metrics' a view
/// reads, by key (in their stored unit: minor units for money).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupValues {
    pub built_in: Values,
    pub custom: BTreeMap<String, i128>,
}

impl GroupValues {
    /// The value of a measure (0 when it was not read).
    pub fn get(&self, measure: &Measure) -> i128 {
        match measure {
            Measure::BuiltIn(metric) => self.built_in.get(*metric),
            Measure::Custom(custom) => self.custom.get(&custom.key).copied().unwrap_or(0),
        }
    }
}

impl From<Values> for GroupValues {
    fn from(built_in: Values) -> GroupValues {
        GroupValues {
            built_in,
            custom: BTreeMap::new(),
        }
    }
}

/// Everything a view reads besides the actual values.
pub struct Context<'a> {
    pub roster: &'a Roster,
    pub currency: &'a Currency,
    pub scoring: &'a Scoring,
    pub range: DayRange,
    /// The range of the same length just before `range`, for comparison.
    pub previous: DayRange,
    pub today: Day,
    /// How much of `today` has passed, 0 to 1.
    pub elapsed_today: Decimal,
}

/// Whose row it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    User(String),
    Team(String),
}

/// One row of a view.
#[derive(Clone, Debug)]
pub struct Row {
    pub subject: Subject,
    pub name: String,
    /// The goal (id, name), in goal-based views.
    pub goal: Option<(String, String)>,
    pub metric: Measure,
    pub period: Option<PeriodKind>,
    pub weight: Option<Decimal>,
    /// The number of days the target applies within the range.
    pub days: u32,
    /// In the metric's stored unit (minor units for money).
    pub actual: i128,
    pub target: Decimal,
    pub completion: Option<Decimal>,
    pub grade: Option<Grade>,
    pub rank: Option<u32>,
    pub previous: i128,
    pub pace: Option<Pace>,
    /// Team rows: where the target comes from, the members' sum, and whether they differ.
    pub team_targets: Option<TeamTargets>,
}

/// A team's own target and its members', side by side.
#[derive(Clone, Debug)]
pub struct TeamTargets {
    /// `team` (its own target) or `members` (the sum of its members').
    pub source: &'static str,
    pub team: Option<Decimal>,
    pub members: Option<Decimal>,
    pub disagree: bool,
}

/// An assignee's weighted score on a goal.
#[derive(Clone, Debug)]
pub struct Score {
    pub subject: Subject,
    pub name: String,
    pub goal: (String, String),
    pub score: Decimal,
    pub grade: Grade,
    pub rank: Option<u32>,
}

/// A goal's rows and scores, and the member-days each assignee's actual counts.
pub struct GoalProgress {
    pub rows: Vec<Row>,
    pub scores: Vec<Score>,
    pub groups: Vec<(Subject, Group)>,
}

/// Part of a row's target: a criterion's target over the days it applies.
#[derive(Clone, Debug)]
struct TargetPart {
    target: Decimal,
    period: PeriodKind,
    days: DaySet,
    /// The member who carries it, for a member's part of a team's target.
    member: Option<i64>,
}

fn target_of(parts: &[TargetPart], within: Option<&DaySet>) -> Decimal {
    parts
        .iter()
        .map(|p| match within {
            Some(set) => prorated_target(p.target, p.period, &p.days.intersect(set)),
            None => prorated_target(p.target, p.period, &p.days),
        })
        .sum()
}

/// A stored value in its unit: money from minor units, counts and seconds as they are.
pub fn in_unit(unit: Unit, raw: i128, currency: &Currency) -> Decimal {
    match unit {
        Unit::Money => currency.from_minor(raw),
        // Totals of stored days stay far below the 96 bits a decimal holds.
        _ => Decimal::try_from_i128_with_scale(raw, 0).unwrap_or(Decimal::MAX),
    }
}

/// Every day of some target parts.
fn union(parts: &[TargetPart]) -> DaySet {
    let mut days = DaySet::new();
    parts
        .iter()
        .flat_map(|p| p.days.ranges())
        .for_each(|r| days.insert(*r));
    days
}

impl Context<'_> {
    /// A stored value in its unit: money from minor units, counts and seconds as they are.
    pub fn actual_decimal(&self, metric: &Measure, raw: i128) -> Decimal {
        in_unit(metric.unit(), raw, self.currency)
    }

    /// The name of a person or team (its id if it has none).
    pub fn name_of(&self, subject: &Subject) -> String {
        match subject {
            Subject::User(id) => self.roster.user_name(id).to_owned(),
            Subject::Team(id) => self.roster.team_name(id).to_owned(),
        }
    }

    /// The people a goal applies to within `within`, each with the days it applies.
    pub fn person_days(&self, spec: &GoalSpec, within: DayRange) -> BTreeMap<String, DaySet> {
        let mut people: BTreeMap<String, DaySet> = BTreeMap::new();
        let Some(active) = spec.active_within(within) else {
            return people;
        };
        for assignee in &spec.assignees {
            match assignee {
                Assignee::User(id) => people.entry(id.clone()).or_default().insert(active),
                Assignee::Team(team, TeamMode::EachMember) => {
                    for m in self.roster.memberships_of(team) {
                        if let Some(days) = m.days_within(active) {
                            people.entry(m.user_id.clone()).or_default().insert(days);
                        }
                    }
                }
                Assignee::Team(_, TeamMode::TeamTotal) => {}
            }
        }
        people.retain(|id, _| self.roster.user(id).is_some());
        people
    }

    /// A team's member-days on a set of days.
    fn team_days_on(&self, team_id: &str, days: &DaySet) -> Group {
        days.ranges()
            .iter()
            .flat_map(|r| self.roster.team_days(team_id, *r))
            .collect()
    }

    /// The pace of `parts`, which apply on `days`.
    fn pace_of(&self, actual: Decimal, parts: &[TargetPart], days: &DaySet) -> Option<Pace> {
        if !self.range.contains(self.today) {
            return None;
        }
        pace(
            actual,
            days,
            self.today,
            self.elapsed_today,
            |within| target_of(parts, Some(within)),
            self.scoring,
        )
    }

    fn row(
        &self,
        subject: Subject,
        metric: Measure,
        parts: &[TargetPart],
        now: &GroupValues,
        before: &GroupValues,
    ) -> Row {
        let actual = now.get(&metric);
        let target = target_of(parts, None);
        let actual_decimal = self.actual_decimal(&metric, actual);
        let completion = completion(actual_decimal, target);
        let days = union(parts);
        Row {
            name: self.name_of(&subject),
            subject,
            goal: None,
            metric: metric.clone(),
            period: None,
            weight: None,
            days: days.len(),
            actual,
            target,
            completion,
            grade: completion.map(|c| self.scoring.grade(c)),
            rank: None,
            previous: before.get(&metric),
            pace: self.pace_of(actual_decimal, parts, &days),
            team_targets: None,
        }
    }
}

/// The range of the same length just before `range`.
pub fn previous_of(range: DayRange) -> DayRange {
    let length = i32::try_from(range.len()).unwrap_or(i32::MAX);
    DayRange {
        from: range.from.plus(-length),
        to: range.from.plus(-1),
    }
}

/// What a view compares its range with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Compare {
    /// The range of the same length just before ([`previous_of`]).
    #[default]
    Previous,
    /// The same dates a year earlier ([`a_year_before`]).
    Year,
}

impl Compare {
    /// `previous` or `year`, as the API and the pages write it.
    pub fn as_str(self) -> &'static str {
        match self {
            Compare::Previous => "previous",
            Compare::Year => "year",
        }
    }

    /// Reads `previous` or `year`.
    pub fn parse(text: &str) -> Option<Compare> {
        match text {
            "previous" => Some(Compare::Previous),
            "year" => Some(Compare::Year),
            _ => None,
        }
    }

    /// The range `range` is compared with.
    pub fn range_for(self, range: DayRange) -> DayRange {
        match self {
            Compare::Previous => previous_of(range),
            Compare::Year => a_year_before(range),
        }
    }
}

/// The same dates a year earlier. A 29 February becomes the 28th, and a range that
/// ends on the last day of a month ends on the last day of that month a year earlier,
/// so whole months (February too) and whole years compare with whole months and years.
pub fn a_year_before(range: DayRange) -> DayRange {
    let earlier = |day: Day| {
        let date = day.date();
        let year = date.year() - 1;
        let last = date.day() == date.days_in_month();
        let month_start = jiff::civil::Date::new(year, date.month(), 1).unwrap_or(date);
        let in_month = if last {
            month_start.days_in_month()
        } else {
            date.day().min(month_start.days_in_month())
        };
        Day::from_date(
            month_start
                .with()
                .day(in_month)
                .build()
                .unwrap_or(month_start),
        )
    };
    DayRange {
        from: earlier(range.from),
        to: earlier(range.to),
    }
}

fn spans_of(key: i64, days: &DaySet) -> Group {
    days.ranges().iter().map(|r| (key, *r)).collect()
}

/// An assignee of a goal: their target parts per criterion, and the member-days their
/// actual counts now and in the previous range.
struct Assigned {
    subject: Subject,
    parts: Vec<Vec<TargetPart>>,
    now: Group,
    before: Group,
}

/// What one goal's progress reads: a row per assignee (people, and teams that carry a
/// team total) and criterion.
pub struct GoalPlan<'g> {
    goal: (String, String),
    spec: &'g GoalSpec,
    assigned: Vec<Assigned>,
}

/// Plans one goal's progress over the context's range.
pub fn plan_goal<'g>(ctx: &Context<'_>, goal_id: &str, spec: &'g GoalSpec) -> GoalPlan<'g> {
    let mut assigned = Vec::new();
    for (user, days) in ctx.person_days(spec, ctx.range) {
        let Some(key) = ctx.roster.user(&user).map(|u| u.key) else {
            continue;
        };
        assigned.push(Assigned {
            subject: Subject::User(user),
            parts: criteria_parts(spec, &days),
            now: spans_of(key, &days),
            before: vec![(key, ctx.previous)],
        });
    }
    if let Some(active) = spec.active_within(ctx.range) {
        for assignee in &spec.assignees {
            if let Assignee::Team(team, TeamMode::TeamTotal) = assignee
                && ctx.roster.team(team).is_some()
            {
                assigned.push(Assigned {
                    subject: Subject::Team(team.clone()),
                    parts: criteria_parts(spec, &DaySet::of(active)),
                    now: ctx.roster.team_days(team, active),
                    before: ctx.roster.team_days(team, ctx.previous),
                });
            }
        }
    }
    GoalPlan {
        goal: (goal_id.to_owned(), spec.name.clone()),
        spec,
        assigned,
    }
}

impl GoalPlan<'_> {
    /// The metrics its values are read for: the goal's criteria.
    pub fn metrics(&self) -> Vec<Measure> {
        self.spec
            .criteria
            .iter()
            .map(|c| c.metric.clone())
            .collect()
    }

    /// How many groups [`GoalPlan::groups`] gives.
    pub fn group_count(&self) -> usize {
        2 * self.assigned.len()
    }

    /// The member-days to read: for each assignee, now and in the previous range.
    pub fn groups(&self) -> Vec<Group> {
        self.assigned
            .iter()
            .flat_map(|a| [a.now.clone(), a.before.clone()])
            .collect()
    }

    /// The goal's rows, ranks and scores, from the values of [`GoalPlan::groups`].
    pub fn finish(self, ctx: &Context<'_>, values: &[GroupValues]) -> GoalProgress {
        let spec = self.spec;
        let mut rows = Vec::new();
        for (i, assigned) in self.assigned.iter().enumerate() {
            let (now, before) = (&values[2 * i], &values[2 * i + 1]);
            for (criterion, parts) in spec.criteria.iter().zip(&assigned.parts) {
                let subject = assigned.subject.clone();
                let mut row = ctx.row(subject, criterion.metric.clone(), parts, now, before);
                row.goal = Some(self.goal.clone());
                row.period = Some(criterion.period);
                row.weight = Some(criterion.weight);
                rows.push(row);
            }
        }
        rank_rows(&mut rows, |r| {
            (matches!(r.subject, Subject::Team(_)), r.metric.clone())
        });
        let scores = score_rows(ctx, spec, &self.goal, &rows);
        let groups = self
            .assigned
            .into_iter()
            .map(|a| (a.subject, a.now))
            .collect();
        GoalProgress {
            rows,
            scores,
            groups,
        }
    }
}

/// Each criterion's target part over a set of days.
fn criteria_parts(spec: &GoalSpec, days: &DaySet) -> Vec<Vec<TargetPart>> {
    spec.criteria
        .iter()
        .map(|c| {
            vec![TargetPart {
                target: c.target,
                period: c.period,
                days: days.clone(),
                member: None,
            }]
        })
        .collect()
}

/// Ranks rows by completion among the rows of the same group.
fn rank_rows<K: Ord>(rows: &mut [Row], group: impl Fn(&Row) -> K) {
    let mut by_group: BTreeMap<K, Vec<usize>> = BTreeMap::new();
    for (i, row) in rows.iter().enumerate() {
        by_group.entry(group(row)).or_default().push(i);
    }
    for indices in by_group.values() {
        let completions: Vec<_> = indices.iter().map(|i| rows[*i].completion).collect();
        for (i, rank) in indices.iter().zip(ranks(&completions)) {
            rows[*i].rank = rank;
        }
    }
}

/// Each assignee's weighted score over the goal's criteria, graded and ranked among
/// the goal's people (teams among teams).
fn score_rows(
    ctx: &Context<'_>,
    spec: &GoalSpec,
    goal: &(String, String),
    rows: &[Row],
) -> Vec<Score> {
    let mut parts: BTreeMap<&Subject, Vec<(Decimal, Option<Decimal>)>> = BTreeMap::new();
    for row in rows {
        let criterion = spec.criteria.iter().find(|c| c.metric == row.metric);
        let share = criterion.map_or(Decimal::ZERO, |c| spec.weight_share(c));
        parts
            .entry(&row.subject)
            .or_default()
            .push((share, row.completion));
    }
    let mut scores: Vec<Score> = parts
        .into_iter()
        .map(|(subject, parts)| {
            let score = ctx.scoring.score(&parts);
            Score {
                subject: subject.clone(),
                name: ctx.name_of(subject),
                goal: goal.clone(),
                score,
                grade: ctx.scoring.grade(score),
                rank: None,
            }
        })
        .collect();
    for teams in [false, true] {
        let indices: Vec<usize> = (0..scores.len())
            .filter(|i| matches!(scores[*i].subject, Subject::Team(_)) == teams)
            .collect();
        let values: Vec<_> = indices.iter().map(|i| Some(scores[*i].score)).collect();
        for (i, rank) in indices.iter().zip(ranks(&values)) {
            scores[*i].rank = rank;
        }
    }
    scores
}

/// A team's target parts by metric.
type PartsByMetric = BTreeMap<Measure, Vec<TargetPart>>;

/// What the teams view reads: per team and metric, the team's actual (members on
/// their member days) against the team's own target (team totals), or else the sum of
/// its members' targets on their member days.
pub struct TeamsPlan {
    pending: Vec<TeamRowPlan>,
}

struct TeamRowPlan {
    team: String,
    metric: Measure,
    own: Option<Vec<TargetPart>>,
    members: Option<Vec<TargetPart>>,
    now: Group,
    before: Group,
}

/// Plans the teams view over every goal given, for these teams.
pub fn plan_teams(ctx: &Context<'_>, goals: &[&GoalSpec], teams: &[String]) -> TeamsPlan {
    let per_goal: Vec<BTreeMap<String, DaySet>> = goals
        .iter()
        .map(|g| ctx.person_days(g, ctx.range))
        .collect();
    let mut pending = Vec::new();
    for team in teams {
        let (own, members) = team_parts(ctx, goals, &per_goal, team);
        let metrics: BTreeSet<Measure> = own.keys().chain(members.keys()).cloned().collect();
        for metric in metrics {
            let (own, members) = (own.get(&metric).cloned(), members.get(&metric).cloned());
            let (now, before) = match (&own, &members) {
                (Some(parts), _) => (
                    ctx.team_days_on(team, &union(parts)),
                    ctx.roster.team_days(team, ctx.previous),
                ),
                (None, Some(parts)) => members_groups(ctx, parts),
                (None, None) => continue,
            };
            pending.push(TeamRowPlan {
                team: team.clone(),
                metric,
                own,
                members,
                now,
                before,
            });
        }
    }
    TeamsPlan { pending }
}

impl TeamsPlan {
    /// The metrics its values are read for: those of its rows.
    pub fn metrics(&self) -> Vec<Measure> {
        let metrics: BTreeSet<Measure> = self.pending.iter().map(|p| p.metric.clone()).collect();
        metrics.into_iter().collect()
    }

    /// The member-days to read: for each row, now and in the previous range.
    pub fn groups(&self) -> Vec<Group> {
        self.pending
            .iter()
            .flat_map(|p| [p.now.clone(), p.before.clone()])
            .collect()
    }

    /// The teams' rows, ranked per metric, from the values of [`TeamsPlan::groups`].
    pub fn finish(self, ctx: &Context<'_>, values: &[GroupValues]) -> Vec<Row> {
        let mut rows = Vec::new();
        for (i, plan) in self.pending.into_iter().enumerate() {
            let (now, before) = (&values[2 * i], &values[2 * i + 1]);
            let parts = plan
                .own
                .as_ref()
                .or(plan.members.as_ref())
                .map_or(&[][..], Vec::as_slice);
            let mut row = ctx.row(Subject::Team(plan.team), plan.metric, parts, now, before);
            let team = plan.own.as_ref().map(|p| target_of(p, None));
            let members = plan.members.as_ref().map(|p| target_of(p, None));
            row.team_targets = Some(TeamTargets {
                source: if plan.own.is_some() {
                    "team"
                } else {
                    "members"
                },
                team,
                members,
                disagree: matches!((team, members), (Some(t), Some(m)) if round(t, 2) != round(m, 2)),
            });
            rows.push(row);
        }
        rank_rows(&mut rows, |r| r.metric.clone());
        rows
    }
}

/// The member-days members' targets cover (each day of a member once), and the same
/// members over the previous range.
fn members_groups(ctx: &Context<'_>, parts: &[TargetPart]) -> (Group, Group) {
    let mut by_member: BTreeMap<i64, DaySet> = BTreeMap::new();
    for part in parts {
        if let Some(member) = part.member {
            let days = by_member.entry(member).or_default();
            part.days.ranges().iter().for_each(|r| days.insert(*r));
        }
    }
    let now = by_member
        .iter()
        .flat_map(|(k, days)| spans_of(*k, days))
        .collect();
    let before = by_member.keys().map(|k| (*k, ctx.previous)).collect();
    (now, before)
}

/// A team's own target parts (team totals) and its members' (on member days).
fn team_parts(
    ctx: &Context<'_>,
    goals: &[&GoalSpec],
    per_goal: &[BTreeMap<String, DaySet>],
    team: &str,
) -> (PartsByMetric, PartsByMetric) {
    let mut own = PartsByMetric::new();
    let mut members = PartsByMetric::new();
    let memberships: Vec<&MembershipRecord> = ctx.roster.memberships_of(team).collect();
    for (spec, people) in goals.iter().zip(per_goal) {
        let carries_total = spec
            .assignees
            .iter()
            .any(|a| matches!(a, Assignee::Team(t, TeamMode::TeamTotal) if t == team));
        if let (true, Some(active)) = (carries_total, spec.active_within(ctx.range)) {
            for c in &spec.criteria {
                own.entry(c.metric.clone()).or_default().push(TargetPart {
                    target: c.target,
                    period: c.period,
                    days: DaySet::of(active),
                    member: None,
                });
            }
        }
        for m in &memberships {
            let (Some(days), Some(member_days)) =
                (people.get(&m.user_id), m.days_within(ctx.range))
            else {
                continue;
            };
            let days = days.within(member_days);
            if days.is_empty() {
                continue;
            }
            for c in &spec.criteria {
                members
                    .entry(c.metric.clone())
                    .or_default()
                    .push(TargetPart {
                        target: c.target,
                        period: c.period,
                        days: days.clone(),
                        member: Some(m.user_key),
                    });
            }
        }
    }
    (own, members)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::custom::CustomMetric;
    use crate::metric::Metric;
    use crate::org::tests::{day, range, user};
    use crate::org::{MembershipRecord, Team};
    use serde_json::json;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn member(key: i64, user: (i64, &str), from: &str, to: Option<&str>) -> MembershipRecord {
        MembershipRecord {
            key,
            team_key: 1,
            team_id: "north".into(),
            user_key: user.0,
            user_id: user.1.into(),
            from: day(from),
            to: to.map(day),
        }
    }

    /// North: lan all November; minh joins on the 11th (20 of the month's 30 days).
    fn roster() -> Roster {
        Roster::new(
            vec![user(1, "lan"), user(2, "minh")],
            vec![Team {
                key: 1,
                id: "north".into(),
                name: "North".into(),
            }],
            vec![
                member(1, (1, "lan"), "2026-11-01", None),
                member(2, (2, "minh"), "2026-11-11", None),
            ],
            vec![],
        )
    }

    fn goal(body: serde_json::Value) -> GoalSpec {
        let body = body.as_object().unwrap().clone();
        let custom = [long_calls()];
        GoalSpec::parse(
            &body,
            &Currency::from_code("VND"),
            &custom,
            day("2026-11-01"),
        )
        .unwrap()
    }

    /// A custom metric a goal may name.
    fn long_calls() -> std::sync::Arc<CustomMetric> {
        let definition = json!({
            "key": "long_calls", "name_vi": "Cuộc gọi dài", "name_en": "Long calls",
            "of": "events", "events": ["call"], "aggregate": "count",
            "filters": {"talk_seconds_at_least": 120}
        });
        std::sync::Arc::new(CustomMetric::parse(&definition, None).unwrap())
    }

    fn context<'a>(
        roster: &'a Roster,
        currency: &'a Currency,
        scoring: &'a Scoring,
    ) -> Context<'a> {
        let november = range("2026-11-01", "2026-11-30");
        Context {
            roster,
            currency,
            scoring,
            range: november,
            previous: previous_of(november),
            // After the range: no pace.
            today: day("2026-12-05"),
            elapsed_today: Decimal::ZERO,
        }
    }

    fn with(pairs: &[(Metric, i64)]) -> GroupValues {
        let mut values = Values::default();
        pairs.iter().for_each(|(m, v)| values.set(*m, *v));
        values.into()
    }

    #[test]
    fn a_member_who_joined_mid_month_carries_the_target_of_their_days() {
        let (roster, currency, scoring) =
            (roster(), Currency::from_code("VND"), Scoring::default());
        let ctx = context(&roster, &currency, &scoring);
        let spec = goal(json!({
            "name": "Calls", "starts_on": "2026-11-01",
            "criteria": [{"metric": "calls", "period": "month", "target": 300}],
            "assignees": [{"team_id": "north", "mode": "each_member"}],
        }));
        let plan = plan_goal(&ctx, "g", &spec);
        // Each person's actual counts only their member days; the previous range too.
        assert_eq!(
            plan.groups(),
            vec![
                vec![(1, range("2026-11-01", "2026-11-30"))],
                vec![(1, range("2026-10-02", "2026-10-31"))],
                vec![(2, range("2026-11-11", "2026-11-30"))],
                vec![(2, range("2026-10-02", "2026-10-31"))],
            ]
        );
        let calls = |n| with(&[(Metric::Calls, n)]);
        let progress = plan.finish(&ctx, &[calls(300), calls(10), calls(150), calls(0)]);
        let row = |id: &str| {
            let subject = Subject::User(id.into());
            progress.rows.iter().find(|r| r.subject == subject).unwrap()
        };
        assert_eq!(row("lan").target, d("300"));
        assert_eq!(row("minh").target, d("200"), "300 × 20 / 30");
        assert_eq!(row("minh").completion, Some(d("0.75")));
        assert_eq!(row("minh").grade, Some(Grade::C));
        assert_eq!((row("lan").rank, row("minh").rank), (Some(1), Some(2)));
        assert_eq!((row("lan").previous, row("minh").previous), (10, 0));
    }

    #[test]
    fn a_team_total_counts_its_members_on_their_days_against_one_target() {
        let (roster, currency, scoring) =
            (roster(), Currency::from_code("VND"), Scoring::default());
        let ctx = context(&roster, &currency, &scoring);
        let spec = goal(json!({
            "name": "Team calls", "starts_on": "2026-11-01",
            "criteria": [{"metric": "calls", "period": "day", "target": 10}],
            "assignees": [{"team_id": "north", "mode": "team_total"}],
        }));
        let plan = plan_goal(&ctx, "g", &spec);
        assert_eq!(
            plan.groups()[0],
            vec![
                (1, range("2026-11-01", "2026-11-30")),
                (2, range("2026-11-11", "2026-11-30"))
            ]
        );
        let progress = plan.finish(
            &ctx,
            &[with(&[(Metric::Calls, 330)]), GroupValues::default()],
        );
        let [row] = progress.rows.as_slice() else {
            panic!("one team row: {:?}", progress.rows);
        };
        assert_eq!(row.subject, Subject::Team("north".into()));
        assert_eq!(row.target, d("300"), "10 a day × 30 days");
        assert_eq!(row.completion, Some(d("1.1")));
        assert_eq!(row.grade, Some(Grade::A));
    }

    #[test]
    fn a_score_weighs_each_criterion_and_caps_its_completion() {
        let (roster, currency, scoring) =
            (roster(), Currency::from_code("VND"), Scoring::default());
        let ctx = context(&roster, &currency, &scoring);
        let spec = goal(json!({
            "name": "Floor", "starts_on": "2026-11-01",
            "criteria": [
                {"metric": "calls", "period": "month", "target": 100, "weight": 75},
                {"metric": "revenue", "period": "month", "target": "1000000", "weight": 25},
            ],
            "assignees": [{"user_id": "lan"}],
        }));
        let plan = plan_goal(&ctx, "g", &spec);
        let now = with(&[(Metric::Calls, 1_000), (Metric::Revenue, 500_000)]);
        let progress = plan.finish(&ctx, &[now, GroupValues::default()]);
        let [score] = progress.scores.as_slice() else {
            panic!("one score: {:?}", progress.scores);
        };
        // Calls at 1,000 % count as the cap; revenue at 50 % counts as 50 %.
        let expected = d("0.75") * scoring.score_cap + d("0.25") * d("0.5");
        assert_eq!(score.score, expected);
        assert_eq!(score.rank, Some(1));
    }

    #[test]
    fn a_custom_criterion_counts_its_own_values_and_weighs_in_the_score() {
        let (roster, currency, scoring) =
            (roster(), Currency::from_code("VND"), Scoring::default());
        let ctx = context(&roster, &currency, &scoring);
        let spec = goal(json!({
            "name": "Long calls", "starts_on": "2026-11-01",
            "criteria": [
                {"metric": "calls", "period": "month", "target": 100, "weight": 50},
                {"metric": "long_calls", "period": "week", "target": 7, "weight": 50},
            ],
            "assignees": [{"user_id": "lan"}],
        }));
        assert_eq!(spec.criteria[1].metric.key(), "long_calls");
        let plan = plan_goal(&ctx, "g", &spec);
        assert_eq!(plan.metrics()[1].key(), "long_calls");
        let mut now = with(&[(Metric::Calls, 100)]);
        now.custom.insert("long_calls".into(), 15);
        let mut before = GroupValues::default();
        before.custom.insert("long_calls".into(), 4);
        let progress = plan.finish(&ctx, &[now, before]);
        let long = progress
            .rows
            .iter()
            .find(|r| r.metric.key() == "long_calls")
            .unwrap();
        // 7 a week over November's 30 days: 30.
        assert_eq!((long.actual, long.previous, long.target), (15, 4, d("30")));
        assert_eq!(long.completion, Some(d("0.5")));
        let [score] = progress.scores.as_slice() else {
            panic!("one score: {:?}", progress.scores);
        };
        assert_eq!(score.score, d("0.5") * d("1") + d("0.5") * d("0.5"));
    }

    #[test]
    fn a_year_before_keeps_the_dates_and_whole_months() {
        let year = |a: &str, b: &str| Compare::Year.range_for(range(a, b));
        assert_eq!(
            year("2026-11-01", "2026-11-30"),
            range("2025-11-01", "2025-11-30")
        );
        assert_eq!(
            year("2026-11-10", "2026-11-16"),
            range("2025-11-10", "2025-11-16")
        );
        // February: whole months stay whole, whichever year is the leap one.
        assert_eq!(
            year("2028-02-01", "2028-02-29"),
            range("2027-02-01", "2027-02-28")
        );
        assert_eq!(
            year("2029-02-01", "2029-02-28"),
            range("2028-02-01", "2028-02-29")
        );
        assert_eq!(
            year("2028-02-29", "2028-02-29"),
            range("2027-02-28", "2027-02-28")
        );
        assert_eq!(
            year("2027-01-01", "2027-12-31"),
            range("2026-01-01", "2026-12-31")
        );
        assert_eq!(
            Compare::Previous.range_for(range("2026-11-01", "2026-11-30")),
            previous_of(range("2026-11-01", "2026-11-30"))
        );
        assert_eq!(Compare::parse("year"), Some(Compare::Year));
        assert_eq!(Compare::parse("previous"), Some(Compare::Previous));
        assert_eq!(Compare::parse("last_year"), None);
    }

    #[test]
    fn the_previous_range_is_as_long_and_just_before() {
        assert_eq!(
            previous_of(range("2026-11-01", "2026-11-30")),
            range("2026-10-02", "2026-10-31")
        );
        assert_eq!(
            previous_of(range("2026-11-02", "2026-11-02")),
            range("2026-11-01", "2026-11-01")
        );
    }
}
