//! Random event streams for property tests, shared by every test that compares
//! something with the [oracle](super): `apply` in tally-core, the store in tally-store.
//!
//! A [`Case`] is a generated stream model over a few users, customers, opportunities
//! and to-dos — reassignments, status flips (won → lost → won, won → won), amount
//! changes while won, late events written in several UTC offsets around local midnight,
//! unknown users and entities, re-sent events and reused ids. [`Case::stream`] makes it
//! concrete: the organization, its users and channels, and the events as the API
//! receives them. Customers and opportunities come from channels (now and then one
//! the organisation does not have) and change channel.
//! [`day_range`] and [`team`] generate what to report on.

use super::{Known, Outcome};
use crate::apply::Organization;
use crate::calendar::{Calendar, Day, DayRange};
use crate::event::Event;
use crate::money::Currency;
use crate::rollup::Membership;
use jiff::Timestamp;
use jiff::tz::{self, TimeZone};
use proptest::prelude::*;
use proptest::sample::{Index, select};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Three known users, then one that does not exist.
pub const PEOPLE: [&str; 4] = ["u1", "u2", "u3", "ghost"];
/// How many of [`PEOPLE`] are users (the first ones).
pub const KNOWN_USERS: usize = 3;
pub const CUSTOMERS: usize = 4;
pub const OPPORTUNITIES: usize = 3;
pub const TODOS: usize = 3;
/// Two of the organisation's channels, then one it does not have.
pub const CHANNELS: [&str; 3] = ["zalo", "web", "tiktok"];
/// How many of [`CHANNELS`] the organisation has (the first ones).
pub const KNOWN_CHANNELS: usize = 2;
/// The organization's time zone is one of these.
pub const ZONES: [&str; 3] = ["Asia/Ho_Chi_Minh", "America/New_York", "UTC"];
/// Events are written with one of these offsets, in hours (`None`: `Z`).
pub const OFFSETS: [Option<i8>; 4] = [Some(7), None, Some(-5), Some(9)];
/// When events happen, in seconds from a local midnight: mostly just around it.
pub const FROM_MIDNIGHT: [i64; 8] = [-3_600, -60, -1, 0, 1, 60, 3_600, 12 * 3_600];
/// The local days of a stream: from 2026-10-30, over New York's end of daylight saving.
pub const DAYS: i32 = 4;

/// The first local day of every stream.
pub fn first_day() -> Day {
    "2026-10-30".parse().expect("a valid date")
}

// ---------------------------------------------------------------------------------
// The stream model.

/// When an event happened: seconds from the local midnight starting day `day` of the
/// stream, written with offset `OFFSETS[offset]`.
#[derive(Clone, Debug)]
pub struct When {
    pub day: i32,
    pub second: i64,
    pub offset: usize,
}

/// One generated event before it gets an id: its type and own fields (an `amount` in
/// minor units until written in the organization's currency).
#[derive(Clone, Debug)]
pub struct Draft {
    pub actor: usize,
    pub kind: &'static str,
    pub fields: Value,
    pub when: When,
}

/// An event sent again: the same one (perhaps written with another offset), or another
/// event reusing its id.
#[derive(Clone, Debug)]
pub enum Echo {
    Resend { of: Index, offset: usize },
    ReuseId { of: Index, draft: Draft },
}

/// A whole test case: the organization's settings and the stream as sent: `setup`
/// (creations, so that most later references hold), then `drafts`, with `echoes`
/// inserted anywhere.
#[derive(Clone, Debug)]
pub struct Case {
    pub zone: &'static str,
    pub currency: &'static str,
    pub setup: Vec<Draft>,
    pub drafts: Vec<Draft>,
    pub echoes: Vec<(Echo, Index)>,
}

pub fn person() -> impl Strategy<Value = usize> {
    prop_oneof![12 => 0..KNOWN_USERS, 1 => Just(KNOWN_USERS)]
}

/// An optional channel (`null`: the field is absent), now and then an unknown one.
pub fn maybe_channel() -> impl Strategy<Value = Value> {
    let channel = prop_oneof![8 => 0..KNOWN_CHANNELS, 1 => Just(KNOWN_CHANNELS)];
    prop::option::weighted(0.5, channel).prop_map(|c| json!(c.map(|c| CHANNELS[c])))
}

/// An optional owner or assignee (`null`: the field is absent).
pub fn maybe_person() -> impl Strategy<Value = Value> {
    prop::option::weighted(0.6, person()).prop_map(|p| json!(p.map(|p| PEOPLE[p])))
}

pub fn id(prefix: &'static str, pool: usize) -> impl Strategy<Value = String> + Clone {
    (0..pool).prop_map(move |i| format!("{prefix}{i}"))
}

pub fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![1 => Just(0_i64), 1 => Just(1_i64), 4 => 2_i64..2_000_000]
}

pub fn when() -> impl Strategy<Value = When> {
    let second = select(&FROM_MIDNIGHT[..]);
    (0..DAYS, second, 0..OFFSETS.len()).prop_map(|(day, second, offset)| When {
        day,
        second,
        offset,
    })
}

/// A call: `talk_seconds` is 0 when not answered; some came in on a channel's line.
pub fn call() -> impl Strategy<Value = Value> {
    let customer = prop::option::weighted(0.8, id("c", CUSTOMERS));
    let fields = (
        any::<bool>(),
        any::<bool>(),
        0_u32..600,
        customer,
        maybe_channel(),
    );
    fields.prop_map(|(out, answered, talk, customer, channel)| {
        let direction = if out { "outbound" } else { "inbound" };
        let talk_seconds = if answered { talk } else { 0 };
        json!({"direction": direction, "answered": answered, "talk_seconds": talk_seconds,
               "customer_id": customer, "channel": channel})
    })
}

pub fn opportunity_created(
    opportunity: impl Strategy<Value = String>,
) -> impl Strategy<Value = Value> {
    let fields = (
        opportunity,
        id("c", CUSTOMERS),
        amount(),
        maybe_person(),
        maybe_channel(),
    );
    fields.prop_map(|(o, c, amount, owner, channel)| {
        json!({"opportunity_id": o, "customer_id": c, "amount": amount, "owner_id": owner,
               "channel": channel})
    })
}

/// Any event's type and fields, weighted towards what moves current-state metrics.
pub fn kind() -> impl Strategy<Value = (&'static str, Value)> {
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
        (customer.clone(), maybe_person(), maybe_channel()).prop_map(move |(c, o, ch)| {
            (
                kind,
                json!({"customer_id": c, "owner_id": o, "channel": ch}),
            )
        })
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
        4 => (opportunity.clone(), prop::option::of(amount()), maybe_person(), maybe_channel()).prop_map(|(o, amount, owner, channel)| {
            ("opportunity.updated", json!({"opportunity_id": o, "amount": amount, "owner_id": owner, "channel": channel}))
        }),
        8 => (opportunity, status).prop_map(|(o, s)| {
            ("opportunity.status_changed", json!({"opportunity_id": o, "status": s}))
        }),
        2 => (todo.clone(), maybe_person()).prop_map(|(t, a)| ("todo.created", json!({"todo_id": t, "assignee_id": a}))),
        2 => todo.prop_map(|t| ("todo.completed", json!({"todo_id": t}))),
    ]
}

pub fn draft_of(
    kind: impl Strategy<Value = (&'static str, Value)>,
) -> impl Strategy<Value = Draft> {
    (person(), kind, when()).prop_map(|(actor, (kind, fields), when)| Draft {
        actor,
        kind,
        fields,
        when,
    })
}

pub fn echo() -> impl Strategy<Value = Echo> {
    prop_oneof![
        3 => (any::<Index>(), 0..OFFSETS.len()).prop_map(|(of, offset)| Echo::Resend { of, offset }),
        1 => (any::<Index>(), draft_of(kind())).prop_map(|(of, draft)| Echo::ReuseId { of, draft }),
    ]
}

/// Most customers, then most opportunities and to-dos, created at random times.
pub fn setup() -> impl Strategy<Value = Vec<Draft>> {
    let maybe = |kind: &'static str, fields: BoxedStrategy<Value>| {
        prop::option::weighted(0.8, draft_of(fields.prop_map(move |f| (kind, f))))
    };
    let customers: Vec<_> = (0..CUSTOMERS)
        .map(|i| {
            let fields = (maybe_person(), maybe_channel()).prop_map(move |(o, ch)| {
                json!({"customer_id": format!("c{i}"), "owner_id": o, "channel": ch})
            });
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

pub fn case() -> impl Strategy<Value = Case> {
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

/// A case made concrete: the organization, its users and channels, and the events as
/// sent.
pub struct Stream {
    pub org: Organization,
    pub known: Known,
    pub events: Vec<Event>,
    /// The events as JSON, to show a failing case.
    pub json: Vec<Value>,
}

impl Case {
    pub fn stream(&self) -> Stream {
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
    pub fn sent(&self) -> Vec<(String, Draft)> {
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
pub fn stream(org: Organization, json: Vec<Value>) -> Stream {
    let parse = |v: &Value| Event::parse(v, &org.currency).expect("test events parse");
    let events = json.iter().map(parse).collect();
    let known = Known {
        users: PEOPLE[..KNOWN_USERS]
            .iter()
            .map(|u| u.to_string())
            .collect(),
        channels: CHANNELS[..KNOWN_CHANNELS]
            .iter()
            .map(|c| c.to_string())
            .collect(),
    };
    Stream {
        org,
        known,
        events,
        json,
    }
}

/// The instant of `when` in the organization's zone, written with its offset.
pub fn timestamp(tz: &TimeZone, when: &When) -> String {
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
pub fn render(tz: &TimeZone, currency: &Currency, id: &str, draft: &Draft) -> Value {
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
// Showing results.

/// The indices of the events with this outcome.
pub fn with_outcome(outcomes: &[Outcome], wanted: Outcome) -> Vec<usize> {
    outcomes
        .iter()
        .enumerate()
        .filter(|(_, o)| **o == wanted)
        .map(|(i, _)| i)
        .collect()
}

/// The events as NDJSON, to show a failing case.
pub fn ndjson(json: &[Value]) -> String {
    json.iter().map(|v| format!("{v}\n")).collect()
}

// ---------------------------------------------------------------------------------
// Ranges and teams to report on.

/// An inclusive range of days, relative to the first day of the stream.
pub fn day_range() -> impl Strategy<Value = DayRange> {
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
pub type Stint = (i32, Option<i32>, Option<(i32, Option<i32>)>);

/// A team: people (ghost included) who joined on random days, some of whom left, some
/// of whom came back later. A person's stints never overlap (a return is at least a
/// day after leaving); a stint that ends the day before it starts has no days.
pub fn team() -> impl Strategy<Value = Vec<Membership>> {
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
