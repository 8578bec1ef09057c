//! Progress of goals over a range of days: each assignee's actual against the
//! pro-rated target, per criterion, with completion, grade, rank, the previous range
//! and pace; weighted scores per assignee; and teams against their own targets or the
//! sum of their members'.
//!
//! The numbers come from the store's read model (`Store::group_values`): a person's
//! actual counts exactly the days the goal applies to them (while it is active, and
//! for a target carried by each member of a team, while they are a member).

use crate::error::ApiError;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use tally_core::goal::{prorated_target, round};
use tally_core::progress::{completion, pace, ranks};
use tally_core::{
    Assignee, Day, DayRange, DaySet, GoalSpec, Grade, Metric, Organization, Pace, PeriodKind,
    Scoring, TeamMode, Values,
};
use tally_store::{GoalRecord, MembershipRecord, Store, Team, User};

/// Member-days whose values count together: (user key, days) pairs.
pub type Group = Vec<(i64, DayRange)>;

/// Everything a progress computation reads besides the rollups.
pub struct Context<'a> {
    pub org: &'a Organization,
    pub scoring: Scoring,
    pub range: DayRange,
    /// The range of the same length just before `range`, for comparison.
    pub previous: DayRange,
    pub today: Day,
    /// How much of `today` has passed, 0 to 1.
    pub elapsed_today: Decimal,
    pub users: HashMap<String, User>,
    pub teams: HashMap<String, Team>,
    pub memberships: Vec<MembershipRecord>,
}

/// A stored goal with its parsed definition.
pub struct Goal {
    pub record: GoalRecord,
    pub spec: GoalSpec,
}

/// Whose row it is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    User(String),
    Team(String),
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
        .map(|p| {
            let days = match within {
                Some(set) => p.days.intersect(set),
                None => p.days.clone(),
            };
            prorated_target(p.target, p.period, &days)
        })
        .sum()
}

/// One row of a progress view.
#[derive(Clone, Debug)]
pub struct Row {
    pub subject: Subject,
    pub name: String,
    /// The goal (id, name), in goal-based views.
    pub goal: Option<(String, String)>,
    pub metric: Metric,
    pub period: Option<PeriodKind>,
    pub weight: Option<Decimal>,
    /// The number of days the target applies within the range.
    pub days: u32,
    /// In the metric's stored unit (minor units for money).
    pub actual: i64,
    pub target: Decimal,
    pub completion: Option<Decimal>,
    pub grade: Option<Grade>,
    pub rank: Option<u32>,
    pub previous: i64,
    pub pace: Option<Pace>,
    /// Team rows: where the target comes from, the members' sum, and whether they differ.
    pub team_targets: Option<TeamTargets>,
}

/// A team's own target and its members', side by side.
#[derive(Clone, Debug)]
pub struct TeamTargets {
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

/// A goal's rows and scores, and the days each assignee's actual counts.
pub struct GoalProgress {
    pub rows: Vec<Row>,
    pub scores: Vec<Score>,
    pub groups: Vec<(Subject, Group)>,
}

impl Context<'_> {
    /// A stored value in its unit: money from minor units, counts and seconds as they are.
    pub fn actual_decimal(&self, metric: Metric, raw: i64) -> Decimal {
        match metric {
            Metric::Revenue => self.org.currency.from_minor(raw),
            _ => Decimal::from(raw),
        }
    }

    /// The name of a person or team (its id if it has none).
    pub fn name_of(&self, subject: &Subject) -> String {
        match subject {
            Subject::User(id) => self
                .users
                .get(id)
                .map_or_else(|| id.clone(), |u| u.name.clone()),
            Subject::Team(id) => self
                .teams
                .get(id)
                .map_or_else(|| id.clone(), |t| t.name.clone()),
        }
    }

    fn user_key(&self, id: &str) -> Option<i64> {
        self.users.get(id).map(|u| u.key)
    }

    /// The member-days of a team within `within`, as (user key, days).
    pub fn team_group(&self, team_id: &str, within: DayRange) -> Group {
        self.memberships
            .iter()
            .filter(|m| m.team_id == team_id)
            .filter_map(|m| membership_days(m, within).map(|d| (m.user_key, d)))
            .collect()
    }

    /// The member-days of a team on a set of days.
    fn team_group_on(&self, team_id: &str, days: &DaySet) -> Group {
        days.ranges()
            .iter()
            .flat_map(|r| self.team_group(team_id, *r))
            .collect()
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
                    for m in self.memberships.iter().filter(|m| &m.team_id == team) {
                        if let Some(days) = membership_days(m, active) {
                            people.entry(m.user_id.clone()).or_default().insert(days);
                        }
                    }
                }
                Assignee::Team(_, TeamMode::TeamTotal) => {}
            }
        }
        people.retain(|id, _| self.users.contains_key(id));
        people
    }

    fn pace_of(&self, actual: Decimal, parts: &[TargetPart]) -> Option<Pace> {
        if !self.range.contains(self.today) {
            return None;
        }
        let mut days = DaySet::new();
        parts
            .iter()
            .flat_map(|p| p.days.ranges())
            .for_each(|r| days.insert(*r));
        pace(
            actual,
            &days,
            self.today,
            self.elapsed_today,
            |within| target_of(parts, Some(within)),
            &self.scoring,
        )
    }
}

fn membership_days(m: &MembershipRecord, within: DayRange) -> Option<DayRange> {
    let to = m.to.unwrap_or(within.to);
    DayRange::new(m.from, to)?.intersect(within)
}

fn spans_of(key: i64, days: &DaySet) -> Group {
    days.ranges().iter().map(|r| (key, *r)).collect()
}

/// The progress of one goal over the context's range: a row per assignee and
/// criterion (people, and teams that carry a team total), and each one's score.
pub async fn goal_progress(
    store: &Store,
    ctx: &Context<'_>,
    goal: &Goal,
) -> Result<GoalProgress, ApiError> {
    let spec = &goal.spec;
    let mut subjects: Vec<Assigned> = Vec::new();
    for (user, days) in ctx.person_days(spec, ctx.range) {
        let Some(key) = ctx.user_key(&user) else {
            continue;
        };
        subjects.push(Assigned {
            subject: Subject::User(user),
            parts: criteria_parts(spec, &days),
            now: spans_of(key, &days),
            before: vec![(key, ctx.previous)],
        });
    }
    if let Some(active) = spec.active_within(ctx.range) {
        for assignee in &spec.assignees {
            if let Assignee::Team(team, TeamMode::TeamTotal) = assignee {
                if !ctx.teams.contains_key(team) {
                    continue;
                }
                subjects.push(Assigned {
                    subject: Subject::Team(team.clone()),
                    parts: criteria_parts(spec, &DaySet::of(active)),
                    now: ctx.team_group(team, active),
                    before: ctx.team_group(team, ctx.previous),
                });
            }
        }
    }
    let groups: Vec<Group> = subjects
        .iter()
        .flat_map(|a| [a.now.clone(), a.before.clone()])
        .collect();
    let values = store.group_values(&groups).await?;
    let goal_ref = (goal.record.id.clone(), spec.name.clone());
    let mut rows = Vec::new();
    for (i, assigned) in subjects.iter().enumerate() {
        let (now, before) = (&values[2 * i], &values[2 * i + 1]);
        for (criterion, parts) in spec.criteria.iter().zip(&assigned.parts) {
            let subject = assigned.subject.clone();
            let mut row = make_row(ctx, subject, criterion.metric, parts, now, before);
            row.goal = Some(goal_ref.clone());
            row.period = Some(criterion.period);
            row.weight = Some(criterion.weight);
            rows.push(row);
        }
    }
    rank_rows(&mut rows, |r| {
        (matches!(r.subject, Subject::Team(_)), r.metric)
    });
    let scores = score_rows(ctx, spec, &goal_ref, &rows);
    let groups = subjects.into_iter().map(|a| (a.subject, a.now)).collect();
    Ok(GoalProgress {
        rows,
        scores,
        groups,
    })
}

/// An assignee of a goal: their target parts per criterion, and the member-days their
/// actual counts now and in the previous range.
struct Assigned {
    subject: Subject,
    parts: Vec<Vec<TargetPart>>,
    now: Group,
    before: Group,
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

fn make_row(
    ctx: &Context<'_>,
    subject: Subject,
    metric: Metric,
    parts: &[TargetPart],
    now: &Values,
    before: &Values,
) -> Row {
    let actual = now.get(metric);
    let target = target_of(parts, None);
    let actual_decimal = ctx.actual_decimal(metric, actual);
    let completion = completion(actual_decimal, target);
    let days = union(parts).len();
    Row {
        name: ctx.name_of(&subject),
        subject,
        goal: None,
        metric,
        period: None,
        weight: None,
        days,
        actual,
        target,
        completion,
        grade: completion.map(|c| ctx.scoring.grade(c)),
        rank: None,
        previous: before.get(metric),
        pace: ctx.pace_of(actual_decimal, parts),
        team_targets: None,
    }
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

/// The teams view: per team and metric, the team's actual (members on their member
/// days) against the team's own target (team totals), or else the sum of its members'
/// targets on their member days; both shown, flagged when they differ.
pub async fn team_progress(
    store: &Store,
    ctx: &Context<'_>,
    goals: &[Goal],
    teams: &[String],
) -> Result<Vec<Row>, ApiError> {
    let per_goal: Vec<BTreeMap<String, DaySet>> = goals
        .iter()
        .map(|g| ctx.person_days(&g.spec, ctx.range))
        .collect();
    let mut groups = Vec::new();
    let mut pending = Vec::new();
    for team in teams {
        let (own, members) = team_parts(ctx, goals, &per_goal, team);
        let metrics: BTreeSet<Metric> = own.keys().chain(members.keys()).copied().collect();
        for metric in metrics {
            let (own, members) = (own.get(&metric).cloned(), members.get(&metric).cloned());
            let (now, before) = match (&own, &members) {
                (Some(parts), _) => (
                    ctx.team_group_on(team, &union(parts)),
                    ctx.team_group(team, ctx.previous),
                ),
                (None, Some(parts)) => members_groups(ctx, parts),
                (None, None) => continue,
            };
            groups.push(now);
            groups.push(before);
            pending.push((team.clone(), metric, own, members));
        }
    }
    let values = store.group_values(&groups).await?;
    let mut rows = Vec::new();
    for (i, (team, metric, own, members)) in pending.into_iter().enumerate() {
        let (now, before) = (&values[2 * i], &values[2 * i + 1]);
        let parts = own
            .as_ref()
            .or(members.as_ref())
            .map_or(&[][..], Vec::as_slice);
        let mut row = make_row(ctx, Subject::Team(team), metric, parts, now, before);
        let team_target = own.as_ref().map(|p| target_of(p, None));
        let members_target = members.as_ref().map(|p| target_of(p, None));
        row.team_targets = Some(TeamTargets {
            source: if own.is_some() { "team" } else { "members" },
            team: team_target,
            members: members_target,
            disagree: matches!((team_target, members_target), (Some(t), Some(m)) if round(t, 2) != round(m, 2)),
        });
        rows.push(row);
    }
    rank_rows(&mut rows, |r| r.metric);
    Ok(rows)
}

type PartsByMetric = BTreeMap<Metric, Vec<TargetPart>>;

/// Every day of some target parts.
fn union(parts: &[TargetPart]) -> DaySet {
    let mut days = DaySet::new();
    parts
        .iter()
        .flat_map(|p| p.days.ranges())
        .for_each(|r| days.insert(*r));
    days
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
    goals: &[Goal],
    per_goal: &[BTreeMap<String, DaySet>],
    team: &str,
) -> (PartsByMetric, PartsByMetric) {
    let mut own = PartsByMetric::new();
    let mut members = PartsByMetric::new();
    let memberships: Vec<&MembershipRecord> = ctx
        .memberships
        .iter()
        .filter(|m| m.team_id == team)
        .collect();
    for (goal, people) in goals.iter().zip(per_goal) {
        let spec = &goal.spec;
        let carries_total = spec
            .assignees
            .iter()
            .any(|a| matches!(a, Assignee::Team(t, TeamMode::TeamTotal) if t == team));
        if let (true, Some(active)) = (carries_total, spec.active_within(ctx.range)) {
            for c in &spec.criteria {
                own.entry(c.metric).or_default().push(TargetPart {
                    target: c.target,
                    period: c.period,
                    days: DaySet::of(active),
                    member: None,
                });
            }
        }
        for m in &memberships {
            let (Some(days), Some(member_days)) =
                (people.get(&m.user_id), membership_days(m, ctx.range))
            else {
                continue;
            };
            let days = days.within(member_days);
            if days.is_empty() {
                continue;
            }
            for c in &spec.criteria {
                members.entry(c.metric).or_default().push(TargetPart {
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

/// The actual of each group on each day of the range (for the per-day breakdown).
pub async fn daily_values(
    store: &Store,
    range: DayRange,
    groups: &[Group],
) -> Result<Vec<Vec<(Day, Values)>>, ApiError> {
    let mut day_groups = Vec::new();
    let mut index = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        for day in range.days() {
            let on_day: Group = group
                .iter()
                .filter(|(_, r)| r.contains(day))
                .map(|(k, _)| (*k, DayRange::single(day)))
                .collect();
            if !on_day.is_empty() {
                day_groups.push(on_day);
                index.push((g, day));
            }
        }
    }
    let values = store.group_values(&day_groups).await?;
    let mut out = vec![Vec::new(); groups.len()];
    for ((g, day), v) in index.into_iter().zip(values) {
        out[g].push((day, v));
    }
    Ok(out)
}

impl<'a> Context<'a> {
    /// Reads the people, teams, memberships and scoring settings, for `range`.
    pub async fn load(
        state: &'a crate::AppState,
        range: DayRange,
    ) -> Result<Context<'a>, ApiError> {
        let store = &state.store;
        let (today, elapsed_today) = state.org.calendar.day_and_elapsed(jiff::Timestamp::now());
        let users = store
            .users()
            .await?
            .into_iter()
            .map(|u| (u.id.clone(), u))
            .collect();
        let teams = store
            .teams()
            .await?
            .into_iter()
            .map(|t| (t.id.clone(), t))
            .collect();
        Ok(Context {
            org: &state.org,
            scoring: crate::api::org::load_scoring(store).await?,
            range,
            previous: previous_of(range),
            today,
            elapsed_today,
            users,
            teams,
            memberships: store.memberships(None).await?,
        })
    }

    /// The same context over another range.
    pub fn set_range(&mut self, range: DayRange) {
        self.range = range;
        self.previous = previous_of(range);
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
