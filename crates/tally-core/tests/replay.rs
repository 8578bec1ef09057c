//! "Incremental == replay": `apply` into `Rollups` against the oracle.
//!
//! Random event streams over a few users, customers, opportunities and to-dos —
//! reassignments, status flips (won → lost → won, won → won), amount changes while won,
//! late events written in several UTC offsets around local midnight, unknown users and
//! entities, re-sent events and reused ids — go in arrival order through
//! [`apply`] into [`Rollups`], the way the store does it (an id an accepted event already
//! has is a duplicate or a conflict and is not applied again), and through
//! [`oracle::replay_log`], which reads the spec's definitions off the whole log. Both must
//! reject the same events, give the same rollups, and report the same values for any
//! range, user and team. A few hand-computed examples pin the oracle itself to the spec.

use jiff::Timestamp;
use jiff::tz::{self, TimeZone};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::Config;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap, HashSet};
use tally_core::oracle::{self, Outcome, Replay};
use tally_core::{
    Calendar, Currency, Day, DayRange, Event, Membership, Metric, Organization, Rollups, State,
    apply,
};

/// Three known users, then one that does not exist.
const PEOPLE: [&str; 4] = ["u1", "u2", "u3", "ghost"];
const KNOWN_USERS: usize = 3;
const CUSTOMERS: usize = 4;
const OPPORTUNITIES: usize = 3;
const TODOS: usize = 3;
/// The organization's time zone is one of these.
const ZONES: [&str; 3] = ["Asia/Ho_Chi_Minh", "America/New_York", "UTC"];
/// Events are written with one of these offsets, in hours (`None`: `Z`).
const OFFSETS: [Option<i8>; 4] = [Some(7), None, Some(-5), Some(9)];
/// When events happen, in seconds from a local midnight: mostly just around it.
const FROM_MIDNIGHT: [i64; 8] = [-3_600, -60, -1, 0, 1, 60, 3_600, 12 * 3_600];
/// The local days of a stream: from 2026-10-30, over New York's end of daylight saving.
const DAYS: i32 = 4;

fn first_day() -> Day {
    "2026-10-30".parse().expect("a valid date")
}

// ---------------------------------------------------------------------------------
// The stream model.

/// When an event happened: seconds from the local midnight starting day `day` of the
/// stream, written with offset `OFFSETS[offset]`.
#[derive(Clone, Debug)]
struct When {
    day: i32,
    second: i64,
    offset: usize,
}

/// One generated event before it gets an id: its type and own fields (an `amount` in
/// minor units until written in the organization's currency).
#[derive(Clone, Debug)]
struct Draft {
    actor: usize,
    kind: &'static str,
    fields: Value,
    when: When,
}

/// An event sent again: the same one (perhaps written with another offset), or another
/// event reusing its id.
#[derive(Clone, Debug)]
enum Echo {
    Resend { of: Index, offset: usize },
    ReuseId { of: Index, draft: Draft },
}

/// A whole test case: the organization's settings and the stream as sent: `setup`
/// (creations, so that most later references hold), then `drafts`, with `echoes`
/// inserted anywhere.
#[derive(Clone, Debug)]
struct Case {
    zone: &'static str,
    currency: &'static str,
    setup: Vec<Draft>,
    drafts: Vec<Draft>,
    echoes: Vec<(Echo, Index)>,
}

fn person() -> impl Strategy<Value = usize> {
    prop_oneof![12 => 0..KNOWN_USERS, 1 => Just(KNOWN_USERS)]
}

/// An optional owner or assignee (`null`: the field is absent).
fn maybe_person() -> impl Strategy<Value = Value> {
    prop::option::weighted(0.6, person()).prop_map(|p| json!(p.map(|p| PEOPLE[p])))
}

fn id(prefix: &'static str, pool: usize) -> impl Strategy<Value = String> + Clone {
    (0..pool).prop_map(move |i| format!("{prefix}{i}"))
}

fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![1 => Just(0_i64), 1 => Just(1_i64), 4 => 2_i64..2_000_000]
}

fn when() -> impl Strategy<Value = When> {
    let second = select(&FROM_MIDNIGHT[..]);
    (0..DAYS, second, 0..OFFSETS.len()).prop_map(|(day, second, offset)| When {
        day,
        second,
        offset,
    })
}

/// A call: `talk_seconds` is 0 when not answered.
fn call() -> impl Strategy<Value = Value> {
    let customer = prop::option::weighted(0.8, id("c", CUSTOMERS));
    (any::<bool>(), any::<bool>(), 0_u32..600, customer).prop_map(|(out, answered, talk, customer)| {
        let direction = if out { "outbound" } else { "inbound" };
        let talk_seconds = if answered { talk } else { 0 };
        json!({"direction": direction, "answered": answered, "talk_seconds": talk_seconds, "customer_id": customer})
    })
}

fn opportunity_created(opportunity: impl Strategy<Value = String>) -> impl Strategy<Value = Value> {
    (opportunity, id("c", CUSTOMERS), amount(), maybe_person()).prop_map(|(o, c, amount, owner)| {
        json!({"opportunity_id": o, "customer_id": c, "amount": amount, "owner_id": owner})
    })
}

/// Any event's type and fields, weighted towards what moves current-state metrics.
fn kind() -> impl Strategy<Value = (&'static str, Value)> {
    let (customer, opportunity, todo) =
        (id("c", CUSTOMERS), id("o", OPPORTUNITIES), id("t", TODOS));
    let on_customer = |kind: &'static str| {
        customer
            .clone()
            .prop_map(move |c| (kind, json!({"customer_id": c})))
    };
    let message = |kind: &'static str| {
        (customer.clone(), any::<bool>())
            .prop_map(move |(c, d)| (kind, json!({"customer_id": c, "delivered": d})))
    };
    let owned = |kind: &'static str| {
        (customer.clone(), maybe_person())
            .prop_map(move |(c, o)| (kind, json!({"customer_id": c, "owner_id": o})))
    };
    let status = select(vec!["won", "won", "won", "lost", "open", "cancelled"]);
    prop_oneof![
        3 => call().prop_map(|fields| ("call", fields)),
        3 => owned("customer.created"),
        2 => owned("customer.updated"),
        1 => on_customer("note.added"),
        1 => on_customer("note.edited"),
        1 => on_customer("meeting.held"),
        1 => on_customer("email.received"),
        1 => message("sms.sent"),
        1 => message("email.sent"),
        3 => opportunity_created(opportunity.clone()).prop_map(|fields| ("opportunity.created", fields)),
        4 => (opportunity.clone(), prop::option::of(amount()), maybe_person()).prop_map(|(o, amount, owner)| {
            ("opportunity.updated", json!({"opportunity_id": o, "amount": amount, "owner_id": owner}))
        }),
        8 => (opportunity, status).prop_map(|(o, s)| {
            ("opportunity.status_changed", json!({"opportunity_id": o, "status": s}))
        }),
        2 => (todo.clone(), maybe_person()).prop_map(|(t, a)| ("todo.created", json!({"todo_id": t, "assignee_id": a}))),
        2 => todo.prop_map(|t| ("todo.completed", json!({"todo_id": t}))),
    ]
}

fn draft_of(kind: impl Strategy<Value = (&'static str, Value)>) -> impl Strategy<Value = Draft> {
    (person(), kind, when()).prop_map(|(actor, (kind, fields), when)| Draft {
        actor,
        kind,
        fields,
        when,
    })
}

fn echo() -> impl Strategy<Value = Echo> {
    prop_oneof![
        3 => (any::<Index>(), 0..OFFSETS.len()).prop_map(|(of, offset)| Echo::Resend { of, offset }),
        1 => (any::<Index>(), draft_of(kind())).prop_map(|(of, draft)| Echo::ReuseId { of, draft }),
    ]
}

/// Most customers, then most opportunities and to-dos, created at random times.
fn setup() -> impl Strategy<Value = Vec<Draft>> {
    let maybe = |kind: &'static str, fields: BoxedStrategy<Value>| {
        prop::option::weighted(0.8, draft_of(fields.prop_map(move |f| (kind, f))))
    };
    let customers: Vec<_> = (0..CUSTOMERS)
        .map(|i| {
            let fields = maybe_person()
                .prop_map(move |o| json!({"customer_id": format!("c{i}"), "owner_id": o}));
            maybe("customer.created", fields.boxed())
        })
        .collect();
    let opportunities: Vec<_> = (0..OPPORTUNITIES)
        .map(|i| {
            maybe(
                "opportunity.created",
                opportunity_created(Just(format!("o{i}"))).boxed(),
            )
        })
        .collect();
    let todos: Vec<_> = (0..TODOS)
        .map(|i| {
            let fields = maybe_person()
                .prop_map(move |a| json!({"todo_id": format!("t{i}"), "assignee_id": a}));
            maybe("todo.created", fields.boxed())
        })
        .collect();
    (customers, opportunities, todos)
        .prop_map(|(c, o, t)| c.into_iter().chain(o).chain(t).flatten().collect())
}

fn case() -> impl Strategy<Value = Case> {
    let currency = select(vec!["VND", "USD"]);
    let drafts = prop::collection::vec(draft_of(kind()), 0..40);
    let echoes = prop::collection::vec((echo(), any::<Index>()), 0..6);
    (select(&ZONES[..]), currency, setup(), drafts, echoes).prop_map(
        |(zone, currency, setup, drafts, echoes)| Case {
            zone,
            currency,
            setup,
            drafts,
            echoes,
        },
    )
}

// ---------------------------------------------------------------------------------
// Writing the stream as the API receives it.

/// A case made concrete: the organization, its users and the events as sent.
struct Stream {
    org: Organization,
    users: HashSet<String>,
    events: Vec<Event>,
    /// The events as JSON, to show a failing case.
    json: Vec<Value>,
}

impl Case {
    fn stream(&self) -> Stream {
        let calendar = Calendar::new(self.zone, "monday").expect("a known zone");
        let org = Organization {
            calendar,
            currency: Currency::from_code(self.currency),
        };
        let tz = TimeZone::get(self.zone).expect("a known zone");
        let json = self
            .sent()
            .iter()
            .map(|(id, d)| render(&tz, &org.currency, id, d))
            .collect();
        stream(org, json)
    }

    /// The drafts in the order sent, with their ids: echoes reuse an earlier one's.
    fn sent(&self) -> Vec<(String, Draft)> {
        let drafts = self.setup.iter().chain(&self.drafts);
        let mut sent: Vec<_> = drafts
            .enumerate()
            .map(|(i, d)| (format!("e{i}"), d.clone()))
            .collect();
        if sent.is_empty() {
            return sent;
        }
        for (echo, position) in &self.echoes {
            let entry = match echo {
                Echo::Resend { of, offset } => {
                    let (id, draft) = &sent[of.index(sent.len())];
                    let when = When {
                        offset: *offset,
                        ..draft.when.clone()
                    };
                    (
                        id.clone(),
                        Draft {
                            when,
                            ..draft.clone()
                        },
                    )
                }
                Echo::ReuseId { of, draft } => {
                    (sent[of.index(sent.len())].0.clone(), draft.clone())
                }
            };
            sent.insert(position.index(sent.len() + 1), entry);
        }
        sent
    }
}

/// The stream of these events, parsed as the API parses them; the users are u1–u3.
fn stream(org: Organization, json: Vec<Value>) -> Stream {
    let parse = |v: &Value| Event::parse(v, &org.currency).expect("test events parse");
    let events = json.iter().map(parse).collect();
    let users = PEOPLE[..KNOWN_USERS]
        .iter()
        .map(|u| u.to_string())
        .collect();
    Stream {
        org,
        users,
        events,
        json,
    }
}

/// The instant of `when` in the organization's zone, written with its offset.
fn timestamp(tz: &TimeZone, when: &When) -> String {
    let local_midnight = first_day()
        .plus(when.day)
        .date()
        .to_zoned_datetime(tz.clone());
    let midnight = local_midnight
        .expect("midnight exists in the zones used")
        .timestamp();
    let at = Timestamp::from_second(midnight.as_second() + when.second).expect("in range");
    match OFFSETS[when.offset] {
        None => at.to_string(),
        Some(hours) => at.display_with_offset(tz::offset(hours)).to_string(),
    }
}

/// The event as JSON: absent optional fields left out, the amount as a decimal string.
fn render(tz: &TimeZone, currency: &Currency, id: &str, draft: &Draft) -> Value {
    let at = timestamp(tz, &draft.when);
    let mut event = json!({"id": id, "type": draft.kind, "at": at, "user_id": PEOPLE[draft.actor]});
    for (name, value) in draft.fields.as_object().into_iter().flatten() {
        event[name] = match (name.as_str(), value.as_i64()) {
            ("amount", Some(minor)) => json!(Decimal::new(minor, currency.exponent).to_string()),
            _ => value.clone(),
        };
    }
    event
        .as_object_mut()
        .into_iter()
        .for_each(|fields| fields.retain(|_, v| !v.is_null()));
    event
}

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
        users: stream.users.clone(),
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
    oracle::replay_log(&stream.org, &stream.users, &stream.events)
}

/// The indices of the events with this outcome.
fn with_outcome(outcomes: &[Outcome], wanted: Outcome) -> Vec<usize> {
    outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| **o == wanted)
        .map(|(i, _)| i)
        .collect()
}

fn ndjson(json: &[Value]) -> String {
    json.iter().map(|v| format!("{v}\n")).collect()
}

// ---------------------------------------------------------------------------------
// Ranges and teams to report on.

/// An inclusive range of days, relative to the first day of the stream.
fn day_range() -> impl Strategy<Value = DayRange> {
    (-1..=DAYS, 0..=DAYS + 1).prop_map(|(from, len)| {
        let from = first_day().plus(from);
        DayRange {
            from,
            to: from.plus(len),
        }
    })
}

/// A person's time in a team, relative to the first day of the stream: from `from`,
/// for `len` more days (open-ended if none), and perhaps back `gap` days after leaving.
type Stint = (i32, Option<i32>, Option<(i32, Option<i32>)>);

/// A team: people (ghost included) who joined on random days, some of whom left, some
/// of whom came back later.
fn team() -> impl Strategy<Value = Vec<Membership>> {
    let rejoin = prop::option::weighted(0.3, (1..=3, prop::option::of(0..=DAYS)));
    let stint = (-2..=DAYS, prop::option::of(-1..=DAYS), rejoin);
    prop::collection::btree_map(0..PEOPLE.len(), stint, 0..=PEOPLE.len()).prop_map(|members| {
        let members: BTreeMap<usize, Stint> = members;
        let mut team = Vec::new();
        for (person, (from, len, rejoin)) in members {
            let user_id = PEOPLE[person].to_owned();
            let from = first_day().plus(from);
            let to = match rejoin {
                Some(_) => Some(from.plus(len.unwrap_or(0).max(0))),
                None => len.map(|len| from.plus(len)),
            };
            team.push(Membership {
                user_id: user_id.clone(),
                from,
                to,
            });
            if let (Some(left), Some((gap, len))) = (to, rejoin) {
                let from = left.plus(gap);
                team.push(Membership {
                    user_id,
                    from,
                    to: len.map(|len| from.plus(len)),
                });
            }
        }
        team
    })
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
fn value(stream: &Stream, user: &str, date: &str, metric: Metric) -> i64 {
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
