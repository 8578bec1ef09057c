//! The organisation's people and teams over time, and the one place their rules live:
//! the days a membership covers, the teams a person is in, and a team's members over a
//! range or ever.
//!
//! [`Roster`] holds the people, teams, dated memberships and who supervises which
//! team, indexed for these rules; the store reads it, the application keeps it in
//! memory, the access rules (`access.rs`) and the goal views (`progress`) read it.

use crate::calendar::{Day, DayRange};
use crate::role::Role;
use std::collections::{BTreeSet, HashMap};

/// A person who works in the organization (and whose KPIs are counted).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The store's own key (rollups are kept by it).
    pub key: i64,
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub role: Role,
    pub extension: Option<String>,
    pub active: bool,
}

/// A team.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Team {
    pub key: i64,
    pub id: String,
    pub name: String,
}

/// A user's membership of a team over `from..=to` local days (open-ended when `to` is
/// none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MembershipRecord {
    pub key: i64,
    pub team_key: i64,
    pub team_id: String,
    pub user_key: i64,
    pub user_id: String,
    pub from: Day,
    pub to: Option<Day>,
}

/// The days of `range` within `from..=to` (open-ended when `to` is none), if any: the
/// membership-day rule every count of a team's member-days uses.
pub fn member_days(from: Day, to: Option<Day>, range: DayRange) -> Option<DayRange> {
    let to = to.unwrap_or(range.to);
    DayRange::new(from, to)?.intersect(range)
}

impl MembershipRecord {
    /// The days of `range` on which the user was a member, if any.
    pub fn days_within(&self, range: DayRange) -> Option<DayRange> {
        member_days(self.from, self.to, range)
    }

    /// Whether the user was a member on `day`.
    pub fn on(&self, day: Day) -> bool {
        self.days_within(DayRange::single(day)).is_some()
    }
}

/// The people, teams, memberships and supervisors of the organisation.
#[derive(Clone, Debug, Default)]
pub struct Roster {
    users: Vec<User>,
    user_index: HashMap<String, usize>,
    teams: Vec<Team>,
    team_index: HashMap<String, usize>,
    memberships: Vec<MembershipRecord>,
    /// (team id, user id): who supervises which team.
    supervisors: Vec<(String, String)>,
}

impl Roster {
    /// A roster of these people and teams (each list in any order; kept by id).
    pub fn new(
        mut users: Vec<User>,
        mut teams: Vec<Team>,
        mut memberships: Vec<MembershipRecord>,
        supervisors: Vec<(String, String)>,
    ) -> Roster {
        users.sort_by(|a, b| a.id.cmp(&b.id));
        teams.sort_by(|a, b| a.id.cmp(&b.id));
        memberships.sort_by(|a, b| {
            (&a.team_id, &a.user_id, a.from).cmp(&(&b.team_id, &b.user_id, b.from))
        });
        let user_index = users
            .iter()
            .enumerate()
            .map(|(i, u)| (u.id.clone(), i))
            .collect();
        let team_index = teams
            .iter()
            .enumerate()
            .map(|(i, t)| (t.id.clone(), i))
            .collect();
        Roster {
            users,
            user_index,
            teams,
            team_index,
            memberships,
            supervisors,
        }
    }

    /// Every user, ordered by id.
    pub fn users(&self) -> &[User] {
        &self.users
    }

    pub fn user(&self, id: &str) -> Option<&User> {
        self.user_index.get(id).map(|i| &self.users[*i])
    }

    /// Every team, ordered by id.
    pub fn teams(&self) -> &[Team] {
        &self.teams
    }

    pub fn team(&self, id: &str) -> Option<&Team> {
        self.team_index.get(id).map(|i| &self.teams[*i])
    }

    /// Every membership, ordered by team, user and start.
    pub fn memberships(&self) -> &[MembershipRecord] {
        &self.memberships
    }

    /// A team's memberships.
    pub fn memberships_of(&self, team_id: &str) -> impl Iterator<Item = &MembershipRecord> {
        let start = self
            .memberships
            .partition_point(|m| m.team_id.as_str() < team_id);
        self.memberships[start..]
            .iter()
            .take_while(move |m| m.team_id == team_id)
    }

    /// (team id, user id): who supervises which team, ordered.
    pub fn supervisors(&self) -> &[(String, String)] {
        &self.supervisors
    }

    /// The teams a user is a member of on `day`: the one rule for "their teams".
    pub fn teams_of(&self, user_id: &str, day: Day) -> BTreeSet<String> {
        self.teams_during(user_id, DayRange::single(day))
    }

    /// The teams a user was a member of on at least one day of `range`.
    pub fn teams_during(&self, user_id: &str, range: DayRange) -> BTreeSet<String> {
        self.memberships
            .iter()
            .filter(|m| m.user_id == user_id && m.days_within(range).is_some())
            .map(|m| m.team_id.clone())
            .collect()
    }

    /// The teams a user supervises.
    pub fn supervised_by(&self, user_id: &str) -> BTreeSet<String> {
        self.supervisors
            .iter()
            .filter(|(_, user)| user == user_id)
            .map(|(team, _)| team.clone())
            .collect()
    }

    /// Everyone who was ever a member of one of `teams`.
    pub fn members_ever(&self, teams: &BTreeSet<String>) -> BTreeSet<String> {
        teams
            .iter()
            .flat_map(|t| self.memberships_of(t))
            .map(|m| m.user_id.clone())
            .collect()
    }

    /// Everyone who was a member of one of `teams` on at least one day of `range`.
    pub fn members_during(&self, teams: &BTreeSet<String>, range: DayRange) -> BTreeSet<String> {
        teams
            .iter()
            .flat_map(|t| self.memberships_of(t))
            .filter(|m| m.days_within(range).is_some())
            .map(|m| m.user_id.clone())
            .collect()
    }

    /// A team's member-days within `range`, as (user key, days) spans.
    pub fn team_days(&self, team_id: &str, range: DayRange) -> Vec<(i64, DayRange)> {
        self.memberships_of(team_id)
            .filter_map(|m| m.days_within(range).map(|d| (m.user_key, d)))
            .collect()
    }

    /// The name of a person or team, by id (the id itself when there is none).
    pub fn user_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.user(id).map_or(id, |u| u.name.as_str())
    }

    pub fn team_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.team(id).map_or(id, |t| t.name.as_str())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn day(s: &str) -> Day {
        s.parse().unwrap()
    }

    pub(crate) fn range(a: &str, b: &str) -> DayRange {
        DayRange::new(day(a), day(b)).unwrap()
    }

    /// The users' keys: lan 1, minh 2, nam 3.
    fn key_of(user: &str) -> i64 {
        ["lan", "minh", "nam"]
            .iter()
            .position(|u| *u == user)
            .map_or(0, |i| i as i64 + 1)
    }

    fn member(key: i64, team: &str, user: &str, from: &str, to: Option<&str>) -> MembershipRecord {
        MembershipRecord {
            key,
            team_key: i64::from(team.as_bytes()[0]),
            team_id: team.into(),
            user_key: key_of(user),
            user_id: user.into(),
            from: day(from),
            to: to.map(day),
        }
    }

    /// An active agent named after their id.
    pub(crate) fn user(key: i64, id: &str) -> User {
        User {
            key,
            id: id.into(),
            name: id.to_uppercase(),
            email: None,
            role: Role::Agent,
            extension: None,
            active: true,
        }
    }

    /// North: lan from the 1st; minh the 10th to the 20th. South: nam, and minh from
    /// the 21st. Sup supervises north.
    fn roster() -> Roster {
        Roster::new(
            vec![user(3, "nam"), user(1, "lan"), user(2, "minh")],
            vec![
                Team {
                    key: 2,
                    id: "south".into(),
                    name: "South".into(),
                },
                Team {
                    key: 1,
                    id: "north".into(),
                    name: "North".into(),
                },
            ],
            vec![
                member(1, "north", "lan", "2026-11-01", None),
                member(2, "north", "minh", "2026-11-10", Some("2026-11-20")),
                member(3, "south", "nam", "2026-11-01", None),
                member(4, "south", "minh", "2026-11-21", None),
            ],
            vec![("north".into(), "sup".into())],
        )
    }

    #[test]
    fn a_membership_covers_its_days_within_a_range() {
        let m = member(1, "north", "minh", "2026-11-10", Some("2026-11-20"));
        assert_eq!(
            m.days_within(range("2026-11-01", "2026-11-30")),
            Some(range("2026-11-10", "2026-11-20"))
        );
        assert_eq!(m.days_within(range("2026-11-21", "2026-11-30")), None);
        assert!(m.on(day("2026-11-20")) && !m.on(day("2026-11-21")));
        let open = member(2, "north", "lan", "2026-11-01", None);
        assert_eq!(
            open.days_within(range("2026-12-01", "2026-12-31")),
            Some(range("2026-12-01", "2026-12-31"))
        );
        assert_eq!(open.days_within(range("2026-10-01", "2026-10-31")), None);
    }

    #[test]
    fn their_teams_are_the_teams_of_the_day() {
        let roster = roster();
        let set = |items: &[&str]| items.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(roster.teams_of("minh", day("2026-11-15")), set(&["north"]));
        assert_eq!(roster.teams_of("minh", day("2026-11-25")), set(&["south"]));
        assert_eq!(roster.teams_of("minh", day("2026-11-05")), set(&[]));
        assert_eq!(roster.supervised_by("sup"), set(&["north"]));
        assert_eq!(roster.members_ever(&set(&["north"])), set(&["lan", "minh"]));
        let late = range("2026-11-21", "2026-11-30");
        assert_eq!(roster.members_during(&set(&["north"]), late), set(&["lan"]));
        assert_eq!(
            roster.team_days("north", range("2026-11-15", "2026-11-25")),
            vec![
                (1, range("2026-11-15", "2026-11-25")),
                (2, range("2026-11-15", "2026-11-20"))
            ]
        );
    }

    #[test]
    fn people_and_teams_are_found_by_id_in_order() {
        let roster = roster();
        let ids: Vec<&str> = roster.users().iter().map(|u| u.id.as_str()).collect();
        assert_eq!(ids, ["lan", "minh", "nam"]);
        assert_eq!(roster.user("minh").map(|u| u.key), Some(2));
        assert_eq!(roster.team("south").map(|t| t.key), Some(2));
        assert_eq!(roster.user_name("ghost"), "ghost");
        assert_eq!(roster.team_name("north"), "North");
        assert_eq!(roster.memberships_of("south").count(), 2);
        assert_eq!(roster.memberships_of("west").count(), 0);
    }
}
