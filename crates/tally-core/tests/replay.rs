//! "Incremental == replay": `apply` into `Rollups` against the oracle.
//!
//! Random event streams from [`oracle::streams`] over a few users, customers,
//! opportunities and to-dos — reassignments, status flips (won → lost → won, won → won),
//! amount changes while won, late events written in several UTC offsets around local
//! midnight, unknown users and entities, re-sent events and reused ids — go in arrival
//! order through [`apply`] into [`Rollups`], the way the store does it (an id an accepted
//! event already has is a duplicate or a conflict and is not applied again), and through
//! [`oracle::replay_log`], which reads the spec's definitions off the whole log. Both must
//! reject the same events, give the same rollups, and report the same values for any
//! range, user and team. A few hand-computed examples pin the oracle itself to the spec.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use tally_core::oracle::streams::{
    PEOPLE, Stream, case, day_range, ndjson, stream, team, with_outcome,
};
use tally_core::oracle::{self, Outcome, Replay};
use tally_core::state::SaleMeasure;
use tally_core::{
    Calendar, Currency, DayRange, Membership, Metric, Organization, Rollups, State, apply,
};

// ---------------------------------------------------------------------------------
// The incremental engine, driven the way the store drives it.

/// What `apply` made of a stream.
struct Incremental {
    rollups: Rollups,
    outcomes: Vec<Outcome>,
}

/// Feeds the stream through `apply`: an id an accepted event already has is not
/// applied again (a duplicate if it means the same, a conflict otherwise).
fn incremental(stream: &Stream) -> Incremental {
    let mut state = State {
        users: stream.known.users.clone(),
        channels: stream.known.channels.clone(),
        ..State::default()
    };
    let mut rollups = Rollups::default();
    let mut accepted: HashMap<&str, String> = HashMap::new();
    let mut outcomes = Vec::new();
    for event in &stream.events {
        let canonical = event.canonical_json();
        let outcome = match accepted.get(event.id.as_str()) {
            Some(earlier) if *earlier == canonical => Outcome::Duplicate,
            Some(_) => Outcome::Conflict,
            None => match apply(&stream.org, &mut state, event) {
                Ok(contributions) => {
                    contributions.iter().for_each(|c| rollups.add(c));
                    accepted.insert(&event.id, canonical);
                    Outcome::Accepted
                }
                Err(_) => Outcome::Rejected,
            },
        };
        outcomes.push(outcome);
    }
    Incremental { rollups, outcomes }
}

fn oracle_of(stream: &Stream) -> Replay {
    oracle::replay_log(&stream.org, &stream.known, &stream.events)
}

fn config() -> Config {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config())]

    /// (a) and (c): the same events rejected (and the same duplicates and conflicts),
    /// and exactly the same sums and distinct marks.
    #[test]
    fn apply_gives_the_oracles_rollups(case in case()) {
        let stream = case.stream();
        let got = incremental(&stream);
        let expected = oracle_of(&stream);
        let log = ndjson(&stream.json);
        for outcome in [Outcome::Rejected, Outcome::Duplicate, Outcome::Conflict] {
            prop_assert_eq!(
                with_outcome(&got.outcomes, outcome),
                with_outcome(&expected.outcomes, outcome),
                "{:?} events differ (left: apply, right: oracle); zone {}, log:\n{}", outcome, case.zone, log
            );
        }
        let oracle_rollups = expected.rollups();
        let context = format!("left: apply, right: oracle; zone {}, log:\n{log}", case.zone);
        prop_assert_eq!(got.rollups.counts(), oracle_rollups.counts(), "{}", context);
        prop_assert_eq!(got.rollups.marks(), oracle_rollups.marks(), "{}", context);
        prop_assert_eq!(got.rollups.sales(), oracle_rollups.sales(), "sales by channel, {}", context);
    }

    /// (b): users' and teams' values over any range, read from `apply`'s rollups and
    /// from the oracle's (through `Rollups`, and day by day from its contributions).
    #[test]
    fn reports_agree_for_any_range_user_and_team(
        case in case(),
        ranges in prop::collection::vec(day_range(), 1..4),
        teams in prop::collection::vec(team(), 1..4),
    ) {
        let stream = case.stream();
        let got = incremental(&stream).rollups;
        let expected = oracle_of(&stream);
        let oracle_rollups = expected.rollups();
        let log = ndjson(&stream.json);
        for range in ranges {
            for user in PEOPLE {
                let literal = expected.user_values(user, range);
                prop_assert_eq!(oracle_rollups.user_values(user, range), literal, "oracle's rollups, {} {:?}", user, range);
                prop_assert_eq!(got.user_values(user, range), literal, "{} {:?}, zone {}, log:\n{}", user, range, case.zone, log);
            }
            for team in &teams {
                let literal = expected.team_values(team, range);
                prop_assert_eq!(oracle_rollups.team_values(team, range), literal, "oracle's rollups, {:?} {:?}", team, range);
                prop_assert_eq!(got.team_values(team, range), literal, "{:?} {:?}, zone {}, log:\n{}", team, range, case.zone, log);
            }
        }
    }
}

// ---------------------------------------------------------------------------------
// Hand-computed examples: the oracle against the spec, and apply against both.

/// A stream of literal events for the Ho Chi Minh City organization in VND.
fn literal(json: Vec<Value>) -> Stream {
    let calendar = Calendar::new("Asia/Ho_Chi_Minh", "monday").expect("a known zone");
    stream(
        Organization {
            calendar,
            currency: Currency::default(),
        },
        json,
    )
}

fn event(id: &str, kind: &str, at: &str, user: &str, fields: Value) -> Value {
    let mut event = json!({"id": id, "type": kind, "at": at, "user_id": user});
    for (name, value) in fields.as_object().expect("an object") {
        event[name] = value.clone();
    }
    event
}

fn status(id: &str, at: &str, status: &str) -> Value {
    event(
        id,
        "opportunity.status_changed",
        at,
        "u1",
        json!({"opportunity_id": "o1", "status": status}),
    )
}

/// A customer c1 and an opportunity o1 of 100 for u1, created on 2026-11-01.
fn opportunity_setup() -> Vec<Value> {
    vec![
        event(
            "cc",
            "customer.created",
            "2026-11-01T09:00:00+07:00",
            "u1",
            json!({"customer_id": "c1"}),
        ),
        event(
            "oc",
            "opportunity.created",
            "2026-11-01T10:00:00+07:00",
            "u1",
            json!({"opportunity_id": "o1", "customer_id": "c1", "amount": "100"}),
        ),
    ]
}

fn day(date: &str) -> DayRange {
    DayRange::single(date.parse().expect("a valid date"))
}

/// The oracle's value of `metric` for `user` on `date`, after checking that `apply`
/// agrees on the whole stream.
fn value(stream: &Stream, user: &str, date: &str, metric: Metric) -> i128 {
    let expected = oracle_of(stream);
    let got = incremental(stream);
    assert_eq!(got.outcomes, expected.outcomes);
    assert_eq!(got.rollups, expected.rollups());
    expected.user_values(user, day(date)).get(metric)
}

#[test]
fn won_lost_won_counts_on_the_day_of_the_new_win_only() {
    let mut log = opportunity_setup();
    log.push(status("s1", "2026-11-02T10:00:00+07:00", "won"));
    log.push(status("s2", "2026-11-03T10:00:00+07:00", "lost"));
    log.push(status("s3", "2026-11-04T10:00:00+07:00", "won"));
    let stream = literal(log);
    for (date, won) in [("2026-11-02", 0), ("2026-11-03", 0), ("2026-11-04", 1)] {
        assert_eq!(
            value(&stream, "u1", date, Metric::OpportunitiesWon),
            won,
            "{date}"
        );
        assert_eq!(
            value(&stream, "u1", date, Metric::Revenue),
            100 * won,
            "{date}"
        );
    }
    assert_eq!(
        value(&stream, "u1", "2026-11-01", Metric::OpportunitiesNew),
        1
    );
}

#[test]
fn won_again_while_won_keeps_the_first_day_and_a_late_older_lost_changes_nothing() {
    let mut log = opportunity_setup();
    log.push(status("s1", "2026-11-02T10:00:00+07:00", "won"));
    log.push(status("s2", "2026-11-04T10:00:00+07:00", "won"));
    // Late: a `lost` from before the first win, and one written at 18:30 on the 1st in
    // New York time, which is 06:30 on the 2nd in Ho Chi Minh City, still before it.
    log.push(status("s3", "2026-11-01T12:00:00+07:00", "lost"));
    log.push(status("s4", "2026-11-01T18:30:00-05:00", "lost"));
    let stream = literal(log);
    assert_eq!(
        value(&stream, "u1", "2026-11-02", Metric::OpportunitiesWon),
        1
    );
    assert_eq!(
        value(&stream, "u1", "2026-11-04", Metric::OpportunitiesWon),
        0
    );
    // A late `lost` after the last win ends it, on every report.
    let mut log = stream.json.clone();
    log.push(status("s5", "2026-11-05T00:00:00+07:00", "lost"));
    assert_eq!(
        value(&literal(log), "u1", "2026-11-02", Metric::OpportunitiesWon),
        0
    );
}

#[test]
fn amount_and_owner_changes_while_won_move_revenue_on_the_win_day() {
    let mut log = opportunity_setup();
    log.push(status("s1", "2026-11-02T10:00:00+07:00", "won"));
    let update = |id: &str, at: &str, fields: Value| {
        let mut fields = fields;
        fields["opportunity_id"] = json!("o1");
        event(id, "opportunity.updated", at, "u1", fields)
    };
    log.push(update(
        "a1",
        "2026-11-03T10:00:00+07:00",
        json!({"amount": "250"}),
    ));
    log.push(update(
        "w1",
        "2026-11-05T10:00:00+07:00",
        json!({"owner_id": "u2"}),
    ));
    // Late and older than the last owner and amount: ignored.
    log.push(update(
        "w0",
        "2026-11-02T12:00:00+07:00",
        json!({"owner_id": "u3", "amount": "7"}),
    ));
    let stream = literal(log);
    assert_eq!(value(&stream, "u1", "2026-11-02", Metric::Revenue), 0);
    assert_eq!(value(&stream, "u2", "2026-11-02", Metric::Revenue), 250);
    assert_eq!(
        value(&stream, "u2", "2026-11-02", Metric::OpportunitiesWon),
        1
    );
    assert_eq!(
        value(&stream, "u2", "2026-11-01", Metric::OpportunitiesNew),
        1
    );
    assert_eq!(value(&stream, "u3", "2026-11-02", Metric::Revenue), 0);
}

#[test]
fn references_to_unknown_entities_and_users_are_rejected_but_calls_are_kept() {
    let log = vec![
        event(
            "n0",
            "note.added",
            "2026-11-01T08:00:00+07:00",
            "u1",
            json!({"customer_id": "c1"}),
        ),
        event(
            "k0",
            "call",
            "2026-11-01T08:30:00+07:00",
            "u1",
            json!({"direction": "outbound", "answered": true, "talk_seconds": 30, "customer_id": "c1"}),
        ),
        event(
            "cc",
            "customer.created",
            "2026-11-01T09:00:00+07:00",
            "u1",
            json!({"customer_id": "c1"}),
        ),
        event(
            "cx",
            "customer.created",
            "2026-11-01T09:00:00+07:00",
            "u2",
            json!({"customer_id": "c1"}),
        ),
        event(
            "g0",
            "note.added",
            "2026-11-01T09:30:00+07:00",
            "ghost",
            json!({"customer_id": "c1"}),
        ),
        event(
            "t0",
            "todo.completed",
            "2026-11-01T09:40:00+07:00",
            "u1",
            json!({"todo_id": "t1"}),
        ),
        // Re-sent after the customer exists: an id never accepted is applied now.
        event(
            "n0",
            "note.added",
            "2026-11-01T08:00:00+07:00",
            "u1",
            json!({"customer_id": "c1"}),
        ),
        event(
            "n0",
            "note.added",
            "2026-11-01T01:00:00Z",
            "u1",
            json!({"customer_id": "c1"}),
        ),
    ];
    let stream = literal(log);
    let outcomes = oracle_of(&stream).outcomes;
    assert_eq!(with_outcome(&outcomes, Outcome::Rejected), [0, 3, 4, 5]);
    assert_eq!(with_outcome(&outcomes, Outcome::Duplicate), [7]);
    let on = |metric| value(&stream, "u1", "2026-11-01", metric);
    assert_eq!(on(Metric::Calls), 1);
    assert_eq!(on(Metric::TalkSecondsOutbound), 30);
    // The call came before the customer existed: it has no customer.
    assert_eq!(on(Metric::CustomerInteractions), 2);
    assert_eq!(on(Metric::CustomersInteracted), 1);
    assert_eq!(on(Metric::CustomersNew), 1);
}

#[test]
fn a_reassigned_customer_is_new_for_its_current_owner_and_teams_count_it_once() {
    let at = "2026-11-01T09:00:00+07:00";
    let log = vec![
        event(
            "cc",
            "customer.created",
            at,
            "u1",
            json!({"customer_id": "c1"}),
        ),
        event("m1", "meeting.held", at, "u1", json!({"customer_id": "c1"})),
        event(
            "m2",
            "meeting.held",
            "2026-11-02T09:00:00+07:00",
            "u2",
            json!({"customer_id": "c1"}),
        ),
        event(
            "cu",
            "customer.updated",
            "2026-11-03T09:00:00+07:00",
            "u1",
            json!({"customer_id": "c1", "owner_id": "u3"}),
        ),
    ];
    let stream = literal(log);
    assert_eq!(value(&stream, "u1", "2026-11-01", Metric::CustomersNew), 0);
    assert_eq!(value(&stream, "u3", "2026-11-01", Metric::CustomersNew), 1);
    let member = |user: &str, from: &str| Membership {
        user_id: user.to_owned(),
        from: from.parse().expect("a valid date"),
        to: None,
    };
    let week = DayRange::new(
        "2026-10-26".parse().expect("a valid date"),
        "2026-11-08".parse().expect("a valid date"),
    )
    .expect("a range");
    let expected = oracle_of(&stream);
    let team = [member("u1", "2026-10-01"), member("u2", "2026-10-01")];
    assert_eq!(
        expected
            .team_values(&team, week)
            .get(Metric::CustomersInteracted),
        1
    );
    assert_eq!(expected.team_values(&team, week).get(Metric::Meetings), 2);
    // u2 joined after the meeting: only u1's days count.
    let team = [member("u1", "2026-10-01"), member("u2", "2026-11-03")];
    assert_eq!(expected.team_values(&team, week).get(Metric::Meetings), 1);
    assert_eq!(
        incremental(&stream).rollups.team_values(&team, week),
        expected.team_values(&team, week)
    );
}

/// A guard on the generator: a property test is only as good as what it generates.
#[test]
fn generated_streams_exercise_every_rule() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut outcomes = HashMap::new();
    let mut types = HashSet::new();
    let mut metrics = HashSet::new();
    for _ in 0..64 {
        let stream = case()
            .new_tree(&mut runner)
            .expect("a case")
            .current()
            .stream();
        let replay = oracle_of(&stream);
        for (event, outcome) in stream.events.iter().zip(&replay.outcomes) {
            *outcomes.entry(*outcome).or_insert(0) += 1;
            if *outcome == Outcome::Accepted {
                types.insert(event.type_name());
            }
        }
        let rollups = replay.rollups();
        metrics.extend(rollups.counts().keys().map(|(_, _, metric)| *metric));
        metrics.extend(rollups.marks().iter().map(|(_, _, metric, _)| *metric));
    }
    for outcome in [
        Outcome::Accepted,
        Outcome::Rejected,
        Outcome::Duplicate,
        Outcome::Conflict,
    ] {
        assert!(
            outcomes.get(&outcome).is_some_and(|n| *n >= 10),
            "{outcome:?}: {outcomes:?}"
        );
    }
    assert_eq!(
        types.len(),
        tally_core::event::EVENT_TYPES.len(),
        "{types:?}"
    );
    assert_eq!(metrics.len(), Metric::ALL.len(), "{metrics:?}");
}

#[test]
fn sales_count_by_each_entitys_current_channel() {
    let day1 = "2026-11-01T09:00:00+07:00";
    let day2 = "2026-11-02T09:00:00+07:00";
    let log = vec![
        event(
            "cc",
            "customer.created",
            day1,
            "u1",
            json!({"customer_id": "c1", "channel": "zalo"}),
        ),
        event(
            "oc",
            "opportunity.created",
            day1,
            "u1",
            json!({"opportunity_id": "o1", "customer_id": "c1", "amount": "100", "channel": "web"}),
        ),
        event(
            "o2",
            "opportunity.created",
            day1,
            "u2",
            json!({"opportunity_id": "o2", "customer_id": "c1", "amount": "50"}),
        ),
        status("won", day2, "won"),
        event(
            "lost",
            "opportunity.status_changed",
            day2,
            "u2",
            json!({"opportunity_id": "o2", "status": "lost"}),
        ),
        // A channel the organisation does not have: refused, naming the field.
        event(
            "bad",
            "customer.updated",
            day2,
            "u1",
            json!({"customer_id": "c1", "channel": "tiktok"}),
        ),
        // The won deal moves to Zalo, revenue and all, on its win day.
        event(
            "move",
            "opportunity.updated",
            "2026-11-03T09:00:00+07:00",
            "u1",
            json!({"opportunity_id": "o1", "channel": "zalo"}),
        ),
    ];
    let stream = literal(log);
    let expected = oracle_of(&stream);
    let got = incremental(&stream);
    assert_eq!(got.outcomes, expected.outcomes);
    assert_eq!(
        with_outcome(&got.outcomes, Outcome::Rejected),
        vec![5],
        "only the unknown channel"
    );
    assert_eq!(got.rollups.sales(), expected.rollups().sales());
    let figure = |channel: &str, user: &str, date: &str, measure: SaleMeasure| {
        let key = (
            channel.to_owned(),
            date.parse().expect("a valid date"),
            user.to_owned(),
            measure,
        );
        got.rollups.sales().get(&key).copied().unwrap_or(0)
    };
    assert_eq!(
        figure("zalo", "u1", "2026-11-01", SaleMeasure::CustomersNew),
        1
    );
    assert_eq!(
        figure("zalo", "u1", "2026-11-01", SaleMeasure::OpportunitiesNew),
        1
    );
    assert_eq!(
        figure("web", "u1", "2026-11-01", SaleMeasure::OpportunitiesNew),
        0
    );
    assert_eq!(
        figure("zalo", "u1", "2026-11-02", SaleMeasure::OpportunitiesWon),
        1
    );
    assert_eq!(
        figure("zalo", "u1", "2026-11-02", SaleMeasure::Revenue),
        100
    );
    assert_eq!(figure("web", "u1", "2026-11-02", SaleMeasure::Revenue), 0);
    assert_eq!(
        figure("", "u2", "2026-11-01", SaleMeasure::OpportunitiesNew),
        1
    );
    assert_eq!(
        figure("", "u2", "2026-11-02", SaleMeasure::OpportunitiesLost),
        1
    );
    assert_eq!(got.rollups.sales().len(), 6, "{:?}", got.rollups.sales());
}
