//! Notices: the moments worth telling someone about their goals, as pure rules over a
//! goal's progress in its current period and its frozen results.
//!
//! - a **milestone** (50, 90, 100 % of the target by default) reached in the current
//!   period of a criterion;
//! - a **period result**: the period closed, achieved or missed;
//! - a **pace** turned `at_risk` or `behind` (looked at once the organisation's check
//!   time of day has passed);
//! - a new **leader** of a goal's leaderboard, or a person reaching its **top three**.
//!
//! Each notice has a [`NoticeKey`]: kind, goal, criterion (its metric, or none for the
//! leaderboard), period, subject and mark. It is told once per key, whatever happens
//! later in the same period: a milestone that a retraction un-reaches is not told again
//! when it is reached again. Who is told is decided by [`recipients`].

use crate::Day;
use crate::calendar::DayRange;
use crate::goal::PeriodKind;
use crate::org::Roster;
use crate::progress::PaceStatus;
use crate::views::{Row, Score, Subject};
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

/// What a notice tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoticeKind {
    Milestone,
    PeriodResult,
    Pace,
    Leader,
    TopThree,
}

impl NoticeKind {
    /// Every kind, in the order settings and pages list them.
    pub const ALL: [NoticeKind; 5] = [
        NoticeKind::Milestone,
        NoticeKind::PeriodResult,
        NoticeKind::Pace,
        NoticeKind::Leader,
        NoticeKind::TopThree,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Milestone => "milestone",
            NoticeKind::PeriodResult => "period_result",
            NoticeKind::Pace => "pace",
            NoticeKind::Leader => "leader",
            NoticeKind::TopThree => "top_three",
        }
    }
}

impl fmt::Display for NoticeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for NoticeKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NoticeKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!("'{s}' is not one of milestone, period_result, pace, leader, top_three")
            })
    }
}

/// What makes a notice the same notice: told once per key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NoticeKey {
    pub kind: NoticeKind,
    pub goal_id: String,
    /// The criterion's metric key (built in or custom); none for the leaderboard,
    /// which is the goal's score.
    pub metric: Option<String>,
    pub period: DayRange,
    pub subject: Subject,
    /// The milestone's percent (`50`), `achieved` or `missed`, `at_risk` or `behind`,
    /// `leader` or `top_three`.
    pub mark: String,
}

/// A notice: its key and the figures it tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    pub key: NoticeKey,
    /// The subject's actual, in the metric's stored unit (minor units for money); the
    /// score (a fraction) for the leaderboard.
    pub actual: Decimal,
    /// The target over the period; zero for the leaderboard.
    pub target: Decimal,
}

/// An organisation's notice settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticeSettings {
    /// The milestones told, in percent of the target, ascending (50, 90, 100).
    pub milestones: Vec<u32>,
    /// The local time of day from which a pace falling behind is told, as minutes after
    /// midnight (14:00 by default: by then a day's pace means something).
    pub pace_check_minute: u32,
    /// The local time of day from which the daily digest of the day before is sent,
    /// as minutes after midnight (07:30 by default: before the morning meeting).
    pub digest_minute: u32,
}

impl Default for NoticeSettings {
    fn default() -> Self {
        NoticeSettings {
            milestones: vec![50, 90, 100],
            pace_check_minute: 14 * 60,
            digest_minute: 7 * 60 + 30,
        }
    }
}

impl NoticeSettings {
    /// Settings from their parts: 1 to 5 milestones, each 1..=1000 %, and two times of
    /// day.
    pub fn new(
        mut milestones: Vec<u32>,
        pace_check_minute: u32,
        digest_minute: u32,
    ) -> Result<Self, String> {
        milestones.sort_unstable();
        milestones.dedup();
        if milestones.is_empty() || milestones.len() > 5 {
            return Err("give 1 to 5 milestones".into());
        }
        if milestones.iter().any(|m| !(1..=1000).contains(m)) {
            return Err("each milestone is a percent from 1 to 1000".into());
        }
        if pace_check_minute.max(digest_minute) >= 24 * 60 {
            return Err("must be a time of day HH:MM".into());
        }
        Ok(NoticeSettings {
            milestones,
            pace_check_minute,
            digest_minute,
        })
    }
}

/// A time of day given in minutes after midnight, as `HH:MM`.
pub fn clock(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// The milestones reached by the rows of criteria of `kind`, over their current
/// `period`: one notice per row and milestone at or under its completion.
pub fn milestones(
    goal_id: &str,
    rows: &[Row],
    kind: PeriodKind,
    period: DayRange,
    settings: &NoticeSettings,
) -> Vec<Notice> {
    let mut notices = Vec::new();
    for row in rows.iter().filter(|r| r.period == Some(kind)) {
        let Some(completion) = row.completion else {
            continue;
        };
        let percent = completion * Decimal::from(100);
        for milestone in settings.milestones.iter().copied() {
            if percent >= Decimal::from(milestone) {
                notices.push(of_row(
                    NoticeKind::Milestone,
                    goal_id,
                    row,
                    period,
                    milestone.to_string(),
                ));
            }
        }
    }
    notices
}

/// The rows of criteria of `kind` whose pace is at risk or behind, in `period`.
pub fn paces(goal_id: &str, rows: &[Row], kind: PeriodKind, period: DayRange) -> Vec<Notice> {
    rows.iter()
        .filter(|r| r.period == Some(kind))
        .filter_map(|row| {
            let status = row.pace.as_ref()?.status;
            (status != PaceStatus::OnTrack).then(|| {
                of_row(
                    NoticeKind::Pace,
                    goal_id,
                    row,
                    period,
                    status.as_str().to_owned(),
                )
            })
        })
        .collect()
}

fn of_row(kind: NoticeKind, goal_id: &str, row: &Row, period: DayRange, mark: String) -> Notice {
    Notice {
        key: NoticeKey {
            kind,
            goal_id: goal_id.to_owned(),
            metric: Some(row.metric.key().to_owned()),
            period,
            subject: row.subject.clone(),
            mark,
        },
        actual: Decimal::from_i128_with_scale(row.actual, 0),
        target: row.target,
    }
}

/// The people at the top of a goal's leaderboard over `period`: first place is a
/// leader, second and third the top three. A score of zero leads nothing.
pub fn leaderboard(goal_id: &str, scores: &[Score], period: DayRange) -> Vec<Notice> {
    scores
        .iter()
        .filter(|s| matches!(s.subject, Subject::User(_)) && s.score > Decimal::ZERO)
        .filter_map(|s| {
            let kind = match s.rank? {
                1 => NoticeKind::Leader,
                2 | 3 => NoticeKind::TopThree,
                _ => return None,
            };
            Some(Notice {
                key: NoticeKey {
                    kind,
                    goal_id: goal_id.to_owned(),
                    metric: None,
                    period,
                    subject: s.subject.clone(),
                    mark: kind.as_str().to_owned(),
                },
                actual: s.score,
                target: Decimal::ZERO,
            })
        })
        .collect()
}

/// The grade a period result reads as: `achieved` or `missed`.
pub fn result_mark(achieved: bool) -> &'static str {
    if achieved { "achieved" } else { "missed" }
}

/// Who is told a notice, as of `today`: the person it is about; for a team, its
/// supervisors and its members. A person's period result and pace also go to the
/// supervisors of their teams (what they can act on; not each member's milestones).
/// A team's period result also goes to the owners and admins. Only active people.
pub fn recipients(key: &NoticeKey, roster: &Roster, today: Day) -> BTreeSet<String> {
    let mut people = BTreeSet::new();
    let supervisors_of = |teams: &BTreeSet<String>| -> Vec<String> {
        roster
            .supervisors()
            .iter()
            .filter(|(team, _)| teams.contains(team))
            .map(|(_, user)| user.clone())
            .collect()
    };
    match &key.subject {
        Subject::User(id) => {
            people.insert(id.clone());
            if matches!(key.kind, NoticeKind::PeriodResult | NoticeKind::Pace) {
                people.extend(supervisors_of(&roster.teams_of(id, today)));
            }
        }
        Subject::Team(id) => {
            let team = BTreeSet::from([id.clone()]);
            people.extend(supervisors_of(&team));
            people.extend(
                roster
                    .memberships_of(id)
                    .filter(|m| m.on(today))
                    .map(|m| m.user_id.clone()),
            );
            if key.kind == NoticeKind::PeriodResult {
                people.extend(
                    roster
                        .users()
                        .iter()
                        .filter(|u| u.role.manages_people())
                        .map(|u| u.id.clone()),
                );
            }
        }
    }
    people.retain(|id| roster.user(id).is_some_and(|u| u.active));
    people
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::org::{MembershipRecord, Team, User};
    use crate::progress::Pace;
    use crate::{Grade, Metric, Role};

    fn day(n: i32) -> Day {
        Day::from_number(n)
    }

    fn row(subject: &str, actual: i128, target: i64, completion: Option<&str>) -> Row {
        Row {
            subject: Subject::User(subject.into()),
            name: subject.into(),
            goal: Some(("g".into(), "Goal".into())),
            metric: Metric::Calls.into(),
            period: Some(PeriodKind::Day),
            weight: None,
            days: 1,
            actual,
            target: Decimal::from(target),
            completion: completion.map(|c| c.parse().unwrap()),
            grade: None,
            rank: None,
            previous: 0,
            pace: None,
            team_targets: None,
        }
    }

    #[test]
    fn each_milestone_at_or_under_the_completion_is_reached() {
        let today = DayRange::single(day(100));
        let rows = [
            row("lan", 9, 10, Some("0.9")),
            row("nam", 4, 10, Some("0.4")),
            row("ha", 0, 0, None),
        ];
        let notices = milestones(
            "g",
            &rows,
            PeriodKind::Day,
            today,
            &NoticeSettings::default(),
        );
        let marks: Vec<_> = notices
            .iter()
            .map(|n| (&n.key.subject, n.key.mark.as_str()))
            .collect();
        let lan = Subject::User("lan".into());
        assert_eq!(marks, [(&lan, "50"), (&lan, "90")]);
        assert_eq!(notices[1].actual, Decimal::from(9));
        assert_eq!(notices[1].target, Decimal::from(10));
        // Another period kind's rows are not this period's.
        assert!(
            milestones(
                "g",
                &rows,
                PeriodKind::Week,
                today,
                &NoticeSettings::default()
            )
            .is_empty()
        );
    }

    #[test]
    fn pace_is_told_when_at_risk_or_behind() {
        let mut behind = row("lan", 1, 10, Some("0.1"));
        let status = |status| {
            Some(Pace {
                expected: Decimal::ONE,
                projected: Decimal::ONE,
                status,
            })
        };
        behind.pace = status(PaceStatus::Behind);
        let mut fine = row("nam", 9, 10, Some("0.9"));
        fine.pace = status(PaceStatus::OnTrack);
        let notices = paces(
            "g",
            &[behind, fine],
            PeriodKind::Day,
            DayRange::single(day(5)),
        );
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].key.mark, "behind");
    }

    #[test]
    fn the_leader_and_the_top_three_score_above_zero() {
        let score = |who: &str, score: &str, rank| Score {
            subject: Subject::User(who.into()),
            name: who.into(),
            goal: ("g".into(), "Goal".into()),
            score: score.parse().unwrap(),
            grade: Grade::A,
            rank: Some(rank),
        };
        let scores = [
            score("lan", "0.8", 1),
            score("nam", "0.5", 2),
            score("ha", "0.5", 2),
            score("an", "0.1", 4),
            score("bao", "0", 5),
        ];
        let notices = leaderboard("g", &scores, DayRange::single(day(1)));
        let told: Vec<_> = notices
            .iter()
            .map(|n| (n.key.kind, n.key.subject.clone()))
            .collect();
        assert_eq!(
            told,
            [
                (NoticeKind::Leader, Subject::User("lan".into())),
                (NoticeKind::TopThree, Subject::User("nam".into())),
                (NoticeKind::TopThree, Subject::User("ha".into())),
            ]
        );
        assert!(notices.iter().all(|n| n.key.metric.is_none()));
    }

    #[test]
    fn people_hear_of_themselves_supervisors_of_results_and_pace_managers_of_teams() {
        let user = |key, id: &str, role, active| User {
            key,
            id: id.into(),
            name: id.into(),
            email: None,
            role,
            extension: None,
            active,
        };
        let member = |key, user_key, user: &str, to: Option<i32>| MembershipRecord {
            key,
            team_key: 1,
            team_id: "north".into(),
            user_key,
            user_id: user.into(),
            from: day(0),
            to: to.map(day),
        };
        let roster = Roster::new(
            vec![
                user(1, "lan", Role::Agent, true),
                user(2, "nam", Role::Agent, true),
                user(3, "old", Role::Agent, true),
                user(4, "ha", Role::Supervisor, true),
                user(5, "boss", Role::Owner, true),
                user(6, "gone", Role::Agent, false),
            ],
            vec![Team {
                key: 1,
                id: "north".into(),
                name: "North".into(),
            }],
            vec![
                member(1, 1, "lan", None),
                member(2, 2, "nam", None),
                member(3, 3, "old", Some(5)),
                member(4, 6, "gone", None),
            ],
            vec![("north".into(), "ha".into())],
        );
        let key = |kind, subject| NoticeKey {
            kind,
            goal_id: "g".into(),
            metric: Some("calls".into()),
            period: DayRange::single(day(10)),
            subject,
            mark: "x".into(),
        };
        let told = |kind, subject| -> Vec<String> {
            recipients(&key(kind, subject), &roster, day(10))
                .into_iter()
                .collect()
        };
        let lan = || Subject::User("lan".into());
        let north = || Subject::Team("north".into());
        assert_eq!(told(NoticeKind::Milestone, lan()), ["lan"]);
        assert_eq!(told(NoticeKind::Pace, lan()), ["ha", "lan"]);
        assert_eq!(told(NoticeKind::PeriodResult, lan()), ["ha", "lan"]);
        assert_eq!(told(NoticeKind::Milestone, north()), ["ha", "lan", "nam"]);
        assert_eq!(
            told(NoticeKind::PeriodResult, north()),
            ["boss", "ha", "lan", "nam"]
        );
        assert!(told(NoticeKind::Milestone, Subject::User("gone".into())).is_empty());
    }

    #[test]
    fn a_time_of_day_reads_as_a_clock() {
        assert_eq!(clock(7 * 60 + 5), "07:05");
        assert_eq!(clock(14 * 60), "14:00");
    }

    #[test]
    fn settings_are_sorted_and_bounded() {
        let s = NoticeSettings::new(vec![100, 50, 50], 9 * 60, 8 * 60).unwrap();
        assert_eq!(s.milestones, [50, 100]);
        assert!(NoticeSettings::new(vec![], 0, 0).is_err());
        assert!(NoticeSettings::new(vec![0], 0, 0).is_err());
        assert!(NoticeSettings::new(vec![50], 24 * 60, 0).is_err());
        assert!(NoticeSettings::new(vec![50], 0, 24 * 60).is_err());
        for kind in NoticeKind::ALL {
            assert_eq!(kind.as_str().parse::<NoticeKind>(), Ok(kind));
        }
    }
}
