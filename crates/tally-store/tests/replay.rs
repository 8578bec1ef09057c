//! "Store == oracle": the real [`Store`], on SQLite and on PostgreSQL, against the
//! oracle's reading of the spec.
//!
//! Each case takes a random event stream from [`tally_core::oracle::streams`], a random
//! roster of users (created in a random order, so that user keys do not follow ids, and
//! some of the stream's actors missing), random teams of dated, non-overlapping
//! memberships, a few events that do not even parse, and a random split of the stream
//! into batches, committed one by one or a few together (a group commit, as the
//! server's writer makes them). It ingests the batches into a fresh database and
//! checks that:
//!
//! - (a) the store rejects exactly the events the oracle rejects (conflicts as
//!   conflicts), counts the same duplicates and accepts the rest; the events that fail
//!   [`Event::parse`] never reach the store, as in the API;
//! - (b) every user's values over several ranges, read for all users and for chosen
//!   ones, are the oracle's (a user absent from the store's answer has only zeros);
//! - (c) every team's values are the oracle's;
//! - (d) a rebuild afterwards finds nothing to repair and changes no report;
//! - (e) random custom metrics, saved and saved again between the groups while the
//!   history count takes random steps, hold the values the log gives them, before
//!   and after the rebuild.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestCaseError};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use tally_core::custom::{Credit, CustomMetric, Rule};
use tally_core::oracle::streams::{DAYS, PEOPLE, case, day_range, first_day, ndjson, team};
use tally_core::oracle::{self, Outcome, Replay, streams};
use tally_core::{Contribution, Day, DayRange, Event, Membership, Metric, Role, Roster, Values};
use tally_store::testing::TestDb;
use tally_store::{Backend, Channel, NewUser, Store, StoreError, Submission, Team};

/// Users who never act: they only take user keys between the others'.
const IDLE: [&str; 2] = ["idle1", "idle2"];

/// Every user id a case may create: [`PEOPLE`] (ghost included), then [`IDLE`].
fn everyone() -> impl Iterator<Item = &'static str> {
    PEOPLE.into_iter().chain(IDLE)
}

/// How the events as sent are cut into batches.
#[derive(Clone, Debug)]
enum Split {
    /// One batch per event.
    Each,
    /// New batches start at these positions (taken modulo the length).
    At(Vec<Index>),
}

/// How an event is broken so that it no longer parses (it keeps an id of the stream).
#[derive(Clone, Copy, Debug)]
enum Garble {
    UnknownType,
    NoTimestamp,
    BadTimestamp,
}

/// One test case: a stream and everything around it.
#[derive(Clone, Debug)]
struct StoreCase {
    case: streams::Case,
    /// The users that exist, in order of creation.
    roster: Vec<&'static str>,
    /// Events that do not parse: which event of the stream, how broken, inserted where.
    garbled: Vec<(Index, Garble, Index)>,
    split: Split,
    /// Consecutive batches written in one group commit (1: each alone).
    group: usize,
    teams: Vec<Vec<Membership>>,
    ranges: Vec<DayRange>,
    /// Custom metrics saved (and maybe saved again) between groups.
    customs: Vec<CustomCase>,
    /// Events a step of the history count reads, and the steps taken before each group.
    window: i64,
    history_steps: usize,
}

/// Most of u1–u3, sometimes ghost, maybe the idle ones, in a random order.
fn roster() -> impl Strategy<Value = Vec<&'static str>> {
    let chances = [0.9, 0.9, 0.85, 0.2, 0.5, 0.5];
    let picks: Vec<_> = chances.into_iter().map(prop::bool::weighted).collect();
    picks
        .prop_map(|picks| {
            everyone()
                .zip(picks)
                .filter_map(|(user, picked)| picked.then_some(user))
                .collect::<Vec<_>>()
        })
        .prop_shuffle()
}

fn garble() -> impl Strategy<Value = Garble> {
    prop_oneof![
        Just(Garble::UnknownType),
        Just(Garble::NoTimestamp),
        Just(Garble::BadTimestamp),
    ]
}

fn split() -> impl Strategy<Value = Split> {
    prop_oneof![
        1 => Just(Split::Each),
        4 => prop::collection::vec(any::<Index>(), 0..12).prop_map(Split::At),
    ]
}

fn store_case() -> impl Strategy<Value = StoreCase> {
    let garbled = prop::collection::vec((any::<Index>(), garble(), any::<Index>()), 0..3);
    let teams = prop::collection::vec(team(), 1..4);
    let ranges = prop::collection::vec(day_range(), 1..4);
    let history = (custom_cases(), 1..8i64, 0..3usize);
    (
        case(),
        roster(),
        garbled,
        split(),
        1..4usize,
        teams,
        ranges,
        history,
    )
        .prop_map(
            |(
                case,
                roster,
                garbled,
                split,
                group,
                teams,
                ranges,
                (customs, window, history_steps),
            )| {
                StoreCase {
                    case,
                    roster,
                    garbled,
                    split,
                    group,
                    teams,
                    ranges,
                    customs,
                    window,
                    history_steps,
                }
            },
        )
}

/// Every local day an event of a stream can fall on, and more.
fn everything() -> DayRange {
    DayRange {
        from: first_day().plus(-2),
        to: first_day().plus(DAYS + 1),
    }
}

impl StoreCase {
    /// The events as sent: the stream with the garbled events inserted.
    fn sent(&self, stream: &streams::Stream) -> Vec<Value> {
        let mut sent = stream.json.clone();
        if sent.is_empty() {
            return sent;
        }
        for (of, garble, position) in &self.garbled {
            let mut event = sent[of.index(sent.len())].clone();
            match garble {
                Garble::UnknownType => event["type"] = json!("teleport"),
                Garble::NoTimestamp => {
                    if let Some(fields) = event.as_object_mut() {
                        fields.remove("at");
                    }
                }
                Garble::BadTimestamp => event["at"] = json!("yesterday at noon"),
            }
            sent.insert(position.index(sent.len() + 1), event);
        }
        sent
    }

    /// The batches, as ranges of positions in `sent`.
    fn batches(&self, len: usize) -> Vec<std::ops::Range<usize>> {
        let starts: BTreeSet<usize> = match &self.split {
            Split::Each => (0..len).collect(),
            Split::At(cuts) => cuts
                .iter()
                .map(|cut| cut.index(len.max(1)))
                .chain([0])
                .collect(),
        };
        let starts: Vec<usize> = starts.into_iter().filter(|s| *s < len).collect();
        let ends = starts.iter().skip(1).copied().chain([len]);
        starts.iter().zip(ends).map(|(s, e)| *s..e).collect()
    }
}

/// What became of the events as sent.
#[derive(Debug, Default, PartialEq, Eq)]
struct Outcomes {
    /// Positions (in the events as sent) refused for any reason but a conflict.
    rejected: Vec<usize>,
    /// Positions refused as conflicts: an id already accepted with other content.
    conflicts: Vec<usize>,
    duplicates: usize,
    accepted: usize,
}

/// What the oracle makes of the events as sent.
struct Expected {
    org: tally_core::Organization,
    replay: Replay,
    outcomes: Outcomes,
    /// The events accepted, in the log's order.
    accepted: Vec<Event>,
}

fn expected(stream: &streams::Stream, sent: &[Value]) -> Expected {
    let mut failed = Vec::new();
    let mut parsed = Vec::new();
    for (position, value) in sent.iter().enumerate() {
        match Event::parse(value, &stream.org.currency) {
            Ok(event) => parsed.push((position, event)),
            Err(_) => failed.push(position),
        }
    }
    let events: Vec<Event> = parsed.iter().map(|(_, e)| e.clone()).collect();
    let replay = oracle::replay_log(&stream.org, &stream.known, &events);
    let positions = |wanted: Outcome| -> Vec<usize> {
        parsed
            .iter()
            .zip(&replay.outcomes)
            .filter(|(_, outcome)| **outcome == wanted)
            .map(|((position, _), _)| *position)
            .collect()
    };
    let mut rejected = positions(Outcome::Rejected);
    rejected.extend(failed);
    rejected.sort_unstable();
    let outcomes = Outcomes {
        rejected,
        conflicts: positions(Outcome::Conflict),
        duplicates: positions(Outcome::Duplicate).len(),
        accepted: positions(Outcome::Accepted).len(),
    };
    let accepted = parsed
        .into_iter()
        .zip(&replay.outcomes)
        .filter(|(_, outcome)| **outcome == Outcome::Accepted)
        .map(|((_, event), _)| event)
        .collect();
    Expected {
        org: stream.org.clone(),
        replay,
        outcomes,
        accepted,
    }
}

/// A custom metric of a case: its first definition, before which group of batches it
/// is saved (past the last: after them all), and maybe a second definition saved
/// later under the same key.
#[derive(Clone, Debug)]
struct CustomCase {
    first: Value,
    saved_at: Index,
    redefined: Option<(Value, Index)>,
}

impl CustomCase {
    /// The group before which it is saved, and the one before which it is redefined.
    fn moments(&self, groups: usize) -> (usize, Option<usize>) {
        let saved = self.saved_at.index(groups + 1);
        let redefined = self
            .redefined
            .as_ref()
            .map(|(_, at)| saved + at.index(groups + 1 - saved));
        (saved, redefined)
    }

    /// The definition in force at the end.
    fn last(&self) -> &Value {
        self.redefined.as_ref().map_or(&self.first, |(d, _)| d)
    }
}

fn custom_case(key: usize) -> impl Strategy<Value = CustomCase> {
    let definition = move || {
        (
            0..7usize,
            prop::collection::vec(any::<bool>(), 14),
            any::<[Index; 6]>(),
        )
            .prop_map(move |(shape, picks, values)| definition(key, shape, &picks, &values))
    };
    (
        definition(),
        any::<Index>(),
        prop::option::of((definition(), any::<Index>())),
    )
        .prop_map(|(first, saved_at, redefined)| CustomCase {
            first,
            saved_at,
            redefined,
        })
}

fn custom_cases() -> impl Strategy<Value = Vec<CustomCase>> {
    prop_oneof![
        1 => Just(Vec::new()),
        4 => (custom_case(0), custom_case(1)).prop_map(|(a, b)| vec![a, b]),
    ]
}

/// A random, valid custom metric `custom{key}` of one of seven shapes: a count of
/// events of random types, a sum of talk time, a sum of amounts, distinct customers,
/// distinct opportunities, customers, opportunities; each with the filters that its
/// types allow, set at random.
fn definition(key: usize, shape: usize, picks: &[bool], values: &[Index; 6]) -> Value {
    let pool: &[&str] = match shape {
        0 => &tally_core::event::EVENT_TYPES,
        1 => &["call"],
        2 => &["opportunity.created"],
        3 => &tally_core::event::EVENT_TYPES[..12],
        4 => &[
            "opportunity.created",
            "opportunity.updated",
            "opportunity.status_changed",
        ],
        _ => &[],
    };
    let mut types: Vec<&str> = pool
        .iter()
        .zip(picks)
        .filter_map(|(t, picked)| picked.then_some(*t))
        .collect();
    // Often a single type, so that its own filters apply.
    if types.is_empty() || values[0].index(3) == 0 {
        types = pool
            .get(values[1].index(pool.len().max(1)))
            .into_iter()
            .copied()
            .collect();
    }
    // Records have no types: only events take the events' filters.
    let only = |allowed: &[&str]| shape < 5 && types.iter().all(|t| allowed.contains(t));
    let mut filters = serde_json::Map::new();
    let mut maybe = |name: &str, value: Value, index: &Index| {
        if index.index(2) == 0 {
            filters.insert(name.to_owned(), value);
        }
    };
    if only(&["call"]) {
        let direction = ["inbound", "outbound"][values[2].index(2)];
        maybe("direction", json!(direction), &values[2]);
        maybe("answered", json!(values[3].index(2) == 0), &values[3]);
        maybe(
            "talk_seconds_at_least",
            json!(values[4].index(400)),
            &values[4],
        );
    }
    if only(&["sms.sent", "email.sent"]) {
        maybe("delivered", json!(values[2].index(2) == 0), &values[3]);
    }
    if only(&["opportunity.status_changed"]) {
        let status = ["open", "won", "lost", "cancelled"][values[2].index(4)];
        maybe("status", json!(status), &values[4]);
    }
    let channels = &streams::CHANNELS[..streams::KNOWN_CHANNELS];
    let chosen = json!(channels[..=values[5].index(channels.len())]);
    if only(&[
        "call",
        "customer.created",
        "customer.updated",
        "opportunity.created",
        "opportunity.updated",
    ]) {
        maybe("channel", chosen.clone(), &values[1]);
    }
    let mut definition =
        json!({"key": format!("custom{key}"), "name_vi": "Tiêu chí", "name_en": "Criterion"});
    let mut record_status = None;
    let (of, aggregate, field) = match shape {
        0 => ("events", "count", None),
        1 => ("events", "sum", Some("talk_seconds")),
        2 => ("events", "sum", Some("amount")),
        3 => ("events", "distinct", Some("customer_id")),
        4 => ("events", "distinct", Some("opportunity_id")),
        5 => ("customers", "count", None),
        _ => {
            let (aggregate, field, status) = match values[2].index(4) {
                0 => ("count", None, None),
                1 => ("count", None, Some("won")),
                2 => ("count", None, Some("lost")),
                _ => ("sum", Some("amount"), Some("won")),
            };
            record_status = status;
            ("opportunities", aggregate, field)
        }
    };
    if shape >= 5 {
        maybe("channel", chosen, &values[1]);
    } else {
        definition["events"] = json!(types);
    }
    if let Some(status) = record_status {
        filters.insert("status".into(), json!(status));
    }
    definition["of"] = json!(of);
    definition["aggregate"] = json!(aggregate);
    if let Some(field) = field {
        definition["field"] = json!(field);
    }
    definition["filters"] = Value::Object(filters);
    definition
}

/// Saves the custom metrics due before group `group`, then takes `steps` steps of
/// the history count.
async fn save_customs(
    store: &Store,
    case: &StoreCase,
    org: &tally_core::Organization,
    group: usize,
    groups: usize,
) -> Result<(), TestCaseError> {
    let channels = stored(store.channels().await, "channels")?;
    let channels: HashSet<String> = channels.into_iter().map(|c| c.id).collect();
    let parse = |d: &Value| {
        CustomMetric::parse(d, Some(&channels))
            .map_err(|e| TestCaseError::fail(format!("the generated {d} is refused: {e}")))
    };
    for custom in &case.customs {
        let (saved, redefined) = custom.moments(groups);
        if saved == group {
            stored(
                store.define_custom_metric(&parse(&custom.first)?).await,
                "define",
            )?;
        }
        if let (Some(at), Some((second, _))) = (redefined, &custom.redefined)
            && at == group
        {
            stored(
                store.redefine_custom_metric(&parse(second)?).await,
                "redefine",
            )?;
        }
    }
    let mut after_id = 0;
    for _ in 0..case.history_steps {
        after_id = count_a_step(store, case, org, after_id).await?.unwrap_or(0);
    }
    Ok(())
}

/// One step of the history of the next metric after `after_id` whose history is not
/// counted (the metrics in turn, as the server's loop takes them); that metric's id,
/// or `None` when there was none after `after_id`.
async fn count_a_step(
    store: &Store,
    case: &StoreCase,
    org: &tally_core::Organization,
    after_id: i64,
) -> Result<Option<i64>, TestCaseError> {
    let Some(id) = stored(store.custom_history_after(after_id).await, "next history")? else {
        return Ok(None);
    };
    stored(
        store.count_custom_history(org, id, case.window).await,
        "count history",
    )?;
    Ok(Some(id))
}

/// Counts every history to its end, as the server's loop does.
async fn count_histories(
    store: &Store,
    case: &StoreCase,
    org: &tally_core::Organization,
) -> Result<(), TestCaseError> {
    while count_a_step(store, case, org, 0).await?.is_some() {}
    Ok(())
}

/// (e) every custom metric's value for every person and every team over every range,
/// against the accepted events of the log (metrics of events; the rule of one event is
/// `EventRule::credit`, unit-tested in the core: here the counting around it is
/// checked, as events arrive, in history steps, across redefinitions and rebuilds) or
/// the oracle's sales figures (metrics of records).
async fn check_customs(
    store: &Store,
    case: &StoreCase,
    want: &Expected,
    people: (&HashMap<&'static str, i64>, &[StoredTeam]),
    ranges: &[DayRange],
    log: &str,
) -> Result<(), TestCaseError> {
    let (keys, teams) = people;
    for custom in &case.customs {
        let metric = CustomMetric::parse(custom.last(), None)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let saved = stored(store.custom_metric(&metric.key).await, "custom_metric")?;
        prop_assert!(!saved.counting(), "{} still counting", metric.key);
        prop_assert_eq!(&saved.metric, &metric);
        let credits = match &metric.rule {
            Rule::Events(rule) => credits_of(rule, &want.org, &want.accepted),
            Rule::Records(rule) => records_of(rule, &want.replay),
        };
        for range in ranges.iter().copied() {
            let days = stored(store.custom_days(&saved, range).await, "custom_days")?;
            let context = format!(
                "custom metric {}, {range:?}; left: store, right: oracle; log:\n{log}",
                custom.last()
            );
            for (user, key) in keys {
                let member = |u: &str, d: Day| u == *user && range.contains(d);
                prop_assert_eq!(
                    days.value_of(&[(*key, range)]),
                    value(&credits, member),
                    "{} {}",
                    user,
                    context
                );
            }
            for team in teams {
                let spans: Vec<(i64, DayRange)> = team
                    .members
                    .iter()
                    .filter_map(|m| Some((*keys.get(m.user_id.as_str())?, m.days_within(range)?)))
                    .collect();
                let member = |u: &str, d: Day| {
                    team.members.iter().any(|m| {
                        m.user_id == u && m.days_within(range).is_some_and(|r| r.contains(d))
                    })
                };
                prop_assert_eq!(
                    days.value_of(&spans),
                    value(&credits, member),
                    "team {:?} {}",
                    team.members,
                    context
                );
            }
        }
    }
    Ok(())
}

/// What one metric credits: `(user, day, amount, entity)`, an entity for a distinct count.
type CustomCredits = Vec<(String, Day, i64, Option<String>)>;

/// The value of the credits of users on days that `member` takes: sums added, entities
/// counted once.
fn value(credits: &CustomCredits, member: impl Fn(&str, Day) -> bool) -> i128 {
    let mut total = 0i128;
    let mut entities = BTreeSet::new();
    for (user, day, amount, entity) in credits {
        if member(user, *day) {
            match entity {
                Some(entity) => drop(entities.insert(entity)),
                None => total += i128::from(*amount),
            }
        }
    }
    total + entities.len() as i128
}

fn credits_of(
    rule: &tally_core::custom::EventRule,
    org: &tally_core::Organization,
    accepted: &[Event],
) -> CustomCredits {
    let mut state = tally_core::State::default();
    let mut credits = Vec::new();
    for event in accepted {
        if let tally_core::EventKind::OpportunityCreated {
            opportunity_id,
            customer_id,
            ..
        } = &event.kind
        {
            let opportunity = tally_core::state::Opportunity {
                customer_id: customer_id.clone(),
                created_day: org.calendar.day_of(event.at),
                owner: tally_core::state::Stamped::new(event.user_id.clone(), event.at),
                amount_minor: tally_core::state::Stamped::new(0, event.at),
                statuses: Vec::new(),
                channel: None,
            };
            state
                .opportunities
                .insert(opportunity_id.clone(), opportunity);
        }
        match rule
            .credit(event, &org.calendar, &org.currency, &state)
            .unwrap()
        {
            Some(Credit::Add { user, day, amount }) => credits.push((user, day, amount, None)),
            Some(Credit::Mark { user, day, entity }) => credits.push((user, day, 0, Some(entity))),
            None => {}
        }
    }
    credits
}

fn records_of(rule: &tally_core::custom::RecordRule, replay: &Replay) -> CustomCredits {
    let mut credits = Vec::new();
    for contribution in &replay.contributions {
        if let Contribution::Sale {
            channel,
            user,
            day,
            measure,
            delta,
        } = contribution
            && *measure == rule.measure
            && (rule.channels.is_empty() || rule.channels.contains(channel))
        {
            credits.push((user.clone(), *day, *delta, None));
        }
    }
    credits
}

/// A store error fails the case, saying what was being done.
fn stored<T>(result: Result<T, StoreError>, doing: &str) -> Result<T, TestCaseError> {
    result.map_err(|e| TestCaseError::fail(format!("{doing}: {e}")))
}

/// A team as created in the store, with the memberships the store took.
struct StoredTeam {
    team: Team,
    members: Vec<Membership>,
}

async fn create_people(
    store: &Store,
    case: &StoreCase,
) -> Result<(HashMap<&'static str, i64>, Vec<StoredTeam>), TestCaseError> {
    let mut keys = HashMap::new();
    for id in &case.roster {
        let user = NewUser {
            id: (*id).to_owned(),
            name: format!("User {id}"),
            email: None,
            role: Role::Agent,
            extension: None,
        };
        keys.insert(
            *id,
            stored(store.create_user(&user).await, "create_user")?.key,
        );
    }
    let mut teams = Vec::new();
    for (i, memberships) in case.teams.iter().enumerate() {
        let id = format!("team{i}");
        let team = stored(store.create_team(&id, &id).await, "create_team")?;
        let mut members = Vec::new();
        for m in memberships {
            let added = store.add_membership(&id, &m.user_id, m.from, m.to).await;
            let is_user = keys.contains_key(m.user_id.as_str());
            let has_days = m.to.is_none_or(|to| m.from <= to);
            match added {
                Ok(_) => {
                    prop_assert!(is_user && has_days, "{m:?} should have been refused");
                    members.push(m.clone());
                }
                Err(StoreError::Invalid { .. }) if !is_user || !has_days => {}
                Err(e) => prop_assert!(false, "add_membership {m:?}: {e}"),
            }
        }
        teams.push(StoredTeam { team, members });
    }
    Ok((keys, teams))
}

/// Ingests the events as sent, batch by batch, parsing each as the API does, and
/// committing `case.group` batches at a time.
async fn ingest(
    store: &Store,
    case: &StoreCase,
    stream: &streams::Stream,
    sent: &[Value],
) -> Result<Outcomes, TestCaseError> {
    let mut got = Outcomes::default();
    let mut parsed = Vec::new();
    for batch in case.batches(sent.len()) {
        let start = batch.start;
        let mut events = Vec::new();
        for (position, value) in sent[batch].iter().enumerate() {
            match Event::parse(value, &stream.org.currency) {
                Ok(event) => events.push((position, event)),
                Err(_) => got.rejected.push(start + position),
            }
        }
        parsed.push((start, events));
    }
    let groups = parsed.chunks(case.group).len();
    let submissions: Vec<Vec<Submission<'_>>> = parsed
        .chunks(case.group)
        .map(|group| {
            group
                .iter()
                .map(|(_, events)| Submission {
                    events,
                    may_credit: None,
                })
                .collect()
        })
        .collect();
    // As the server's writer does: each group is planned ahead, on a reading
    // connection, while the one before it is written; the custom metrics saved
    // between groups are other writes that a plan made ahead must notice.
    let org = &stream.org;
    let mut ahead = match submissions.first() {
        Some(first) => store.plan_ahead(org, first, None).await.ok(),
        None => None,
    };
    for (number, group) in parsed.chunks(case.group).enumerate() {
        save_customs(store, case, org, number, groups).await?;
        let (told, written) = tokio::sync::oneshot::channel();
        let write = store.ingest_group(org, &submissions[number], ahead.take(), Some(told));
        let plan_next = async {
            let next = submissions.get(number + 1)?;
            let written = written.await.ok()?;
            store.plan_ahead(org, next, Some(&written)).await.ok()
        };
        let (outcomes, planned) = tokio::join!(write, plan_next);
        ahead = planned;
        for ((start, _), outcome) in group.iter().zip(outcomes) {
            let outcome = stored(outcome, "ingest")?;
            got.accepted += outcome.accepted;
            got.duplicates += outcome.duplicates;
            for rejected in outcome.rejected {
                match rejected.code {
                    "conflict" => got.conflicts.push(start + rejected.index),
                    _ => got.rejected.push(start + rejected.index),
                }
            }
        }
    }
    save_customs(store, case, &stream.org, groups, groups).await?;
    got.rejected.sort_unstable();
    got.conflicts.sort_unstable();
    Ok(got)
}

/// The streams' known channels that the store's first list lacks, added: the store's
/// channels are then the ones events may name.
async fn create_channels(store: &Store) -> Result<HashSet<String>, TestCaseError> {
    let have = stored(store.channels().await, "channels")?;
    for (position, id) in streams::CHANNELS[..streams::KNOWN_CHANNELS]
        .iter()
        .enumerate()
    {
        if !have.iter().any(|c| c.id == *id) {
            let channel = Channel {
                id: (*id).to_owned(),
                name: id.to_uppercase(),
                active: true,
                position: 100 + position as i64,
                lines: Vec::new(),
            };
            stored(store.save_channel(&channel).await, "save_channel")?;
        }
    }
    let channels = stored(store.channels().await, "channels")?;
    let ids: HashSet<String> = channels.into_iter().map(|c| c.id).collect();
    prop_assert!(!ids.contains(streams::CHANNELS[streams::KNOWN_CHANNELS]));
    Ok(ids)
}

/// The sales by channel over every range: each person's figures in each channel, as
/// the store sums them, against the oracle's contributions on the range's days.
async fn check_sales(
    store: &Store,
    expected: &Replay,
    ranges: &[DayRange],
    log: &str,
) -> Result<(), TestCaseError> {
    for range in ranges.iter().copied() {
        let mut want: BTreeMap<(String, String), [i64; 5]> = BTreeMap::new();
        for contribution in &expected.contributions {
            if let Contribution::Sale {
                channel,
                user,
                day,
                measure,
                delta,
            } = contribution
                && range.contains(*day)
            {
                let key = (channel.clone(), user.clone());
                want.entry(key).or_default()[measure.index()] += delta;
            }
        }
        want.retain(|_, figures| figures.iter().any(|f| *f != 0));
        let rows = stored(store.sales_figures(range).await, "sales_figures")?;
        let got: BTreeMap<(String, String), [i64; 5]> = rows
            .into_iter()
            .map(|r| ((r.channel, r.user_id), r.figures))
            .collect();
        prop_assert_eq!(
            got,
            want,
            "sales by channel, {:?}; left: store, right: oracle; log:\n{}",
            range,
            log
        );
    }
    Ok(())
}

/// (b) and (c): every user's and every team's values over every range.
async fn check_reports(
    store: &Store,
    expected: &Replay,
    keys: &HashMap<&'static str, i64>,
    teams: &[StoredTeam],
    ranges: &[DayRange],
    log: &str,
) -> Result<(), TestCaseError> {
    let known: HashSet<i64> = keys.values().copied().collect();
    let mut all_keys: Vec<i64> = known.iter().copied().collect();
    all_keys.sort_unstable();
    for range in ranges.iter().copied() {
        let all = stored(store.user_values(range, None).await, "user_values")?;
        let chosen = stored(
            store.user_values(range, Some(&all_keys)).await,
            "user_values",
        )?;
        let strangers: Vec<_> = all.keys().filter(|k| !known.contains(k)).collect();
        prop_assert!(strangers.is_empty(), "unknown user keys {strangers:?}");
        for user in everyone() {
            let want = expected.user_values(user, range);
            let Some(key) = keys.get(user) else {
                prop_assert_eq!(want, Values::default(), "{} is no user", user);
                continue;
            };
            let of = |map: &HashMap<i64, Values>| map.get(key).copied().unwrap_or_default();
            let context = format!(
                "user {user} (key {key}), {range:?}; left: store, right: oracle; log:\n{log}"
            );
            prop_assert_eq!(of(&all), want, "all users: {}", context);
            prop_assert_eq!(of(&chosen), want, "every user by key: {}", context);
            let one = stored(store.user_values(range, Some(&[*key])).await, "user_values")?;
            prop_assert!(
                one.keys().all(|k| k == key),
                "asked for {key}, got {:?}",
                one.keys()
            );
            prop_assert_eq!(of(&one), want, "this user only: {}", context);
        }
        // A team's values, as the teams report reads them: the group of its member-days
        // from the stored organisation, counted by the read model.
        let snapshot = stored(store.org_snapshot().await, "org_snapshot")?;
        let roster = Roster::new(
            snapshot.users,
            snapshot.teams,
            snapshot.memberships,
            snapshot.supervisors,
        );
        let groups: Vec<_> = teams
            .iter()
            .map(|t| roster.team_days(&t.team.id, range))
            .collect();
        let version = stored(store.data_version().await, "data_version")?;
        let figures = stored(store.figures(version).await, "figures")?;
        let rows = figures.group_values(&groups, &Metric::ALL);
        let daily = figures.daily_values(&groups, range, &Metric::ALL);
        let totals = figures.daily_totals(&groups, range, &Metric::ALL);
        drop(figures);
        check_days(expected, teams, range, &daily, &totals, log)?;
        prop_assert_eq!(rows.len(), teams.len());
        for (values, team) in rows.iter().zip(teams) {
            prop_assert_eq!(
                *values,
                expected.team_values(&team.members, range),
                "team {:?}, {:?}; left: store, right: oracle; log:\n{}",
                team.members,
                range,
                log
            );
        }
    }
    Ok(())
}

/// Each team's values on each day of `range` (a day with none is not listed), and
/// each day's sum over the teams (every day listed), as a chart reads them.
fn check_days(
    expected: &Replay,
    teams: &[StoredTeam],
    range: DayRange,
    daily: &[(usize, Day, Values)],
    totals: &[(Day, Values)],
    log: &str,
) -> Result<(), TestCaseError> {
    let listed: Vec<Day> = totals.iter().map(|(day, _)| *day).collect();
    prop_assert_eq!(listed, range.days().collect::<Vec<_>>());
    for (day, total) in totals {
        let mut sum = Values::default();
        for (index, team) in teams.iter().enumerate() {
            let want = expected.team_values(&team.members, DayRange::single(*day));
            let got = daily
                .iter()
                .find(|(i, d, _)| *i == index && d == day)
                .map(|(_, _, values)| *values);
            let context = format!("team {:?} on {day}; log:\n{log}", team.members);
            prop_assert_eq!(got.unwrap_or_default(), want, "daily: {}", context);
            prop_assert_eq!(
                got.is_some(),
                want != Values::default(),
                "listed: {}",
                context
            );
            sum.add_all(&want);
        }
        prop_assert_eq!(*total, sum, "the total of {}; log:\n{}", day, log);
    }
    Ok(())
}

async fn store_agrees_with_the_oracle(
    backend: Backend,
    case: StoreCase,
) -> Result<(), TestCaseError> {
    let db = TestDb::create(backend).await;
    let store = stored(Store::open(&db.url).await, "open")?;
    let (keys, teams) = create_people(&store, &case).await?;
    let channels = create_channels(&store).await?;

    let mut stream = case.case.stream();
    stream.known.users = case.roster.iter().map(|u| (*u).to_owned()).collect();
    stream.known.channels = channels;
    let sent = case.sent(&stream);
    let log = ndjson(&sent);
    let want = expected(&stream, &sent);

    // (a) the same events refused, the same duplicates.
    let got = ingest(&store, &case, &stream, &sent).await?;
    let context = format!(
        "left: store, right: oracle; users {:?}, batches {:?}, zone {}, log:\n{log}",
        case.roster,
        case.batches(sent.len()),
        case.case.zone
    );
    prop_assert_eq!(&got, &want.outcomes, "{}", context);

    // (b) and (c).
    let mut ranges = case.ranges.clone();
    ranges.push(everything());
    let replay = &want.replay;
    check_reports(&store, replay, &keys, &teams, &ranges, &log).await?;
    check_sales(&store, replay, &ranges, &log).await?;
    count_histories(&store, &case, &stream.org).await?;
    check_customs(&store, &case, &want, (&keys, &teams), &ranges, &log).await?;

    // (d) nothing to repair, and the same reports after.
    let report = stored(store.rebuild(&stream.org, |_| {}).await, "rebuild")?;
    prop_assert!(report.consistent(), "rebuild found {report:?}; log:\n{log}");
    prop_assert_eq!(report.events, want.outcomes.accepted as u64);
    check_reports(&store, replay, &keys, &teams, &ranges, &log).await?;
    check_sales(&store, replay, &ranges, &log).await?;
    count_histories(&store, &case, &stream.org).await?;
    check_customs(&store, &case, &want, (&keys, &teams), &ranges, &log).await?;
    store.close().await;
    Ok(())
}

/// `cases` cases, or `TALLY_STORE_REPLAY_CASES` if set.
fn config(cases: u32) -> Config {
    let cases = std::env::var("TALLY_STORE_REPLAY_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(cases);
    Config {
        cases,
        // Each case is a new database: keep shrinking affordable.
        max_shrink_iters: 256,
        failure_persistence: None,
        ..Config::default()
    }
}

fn run(backend: Backend, cases: u32) {
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    proptest!(config(cases), |(case in store_case())| {
        runtime.block_on(store_agrees_with_the_oracle(backend, case))?;
    });
}

#[test]
fn sqlite_store_agrees_with_the_oracle() {
    run(Backend::Sqlite, 24);
}

#[test]
fn postgres_store_agrees_with_the_oracle() {
    run(Backend::Postgres, 8);
}
