//! Custom metrics: the organisation's own KPI criteria, defined by an owner or an admin
//! from the events Tally already receives (`docs/metrics.md`, "Custom metrics").
//!
//! Two families, chosen by `of`:
//! - **over events** (`"of": "events"`): a count of events, a sum of `talk_seconds` or
//!   `amount`, or the distinct customers or opportunities they touch; over chosen event
//!   types, with filters on the event's own fields; credited to the actor on the local
//!   day of `at`, like the built-in metrics of actions. What an event adds depends on the
//!   event alone (an opportunity's customer, the only fact read from the state, never
//!   changes), so a new metric can count the history in any order while events arrive;
//! - **over records** (`"of": "customers"` or `"opportunities"`): the records as they
//!   stand now, credited to their current owner, like metrics 6, 14, 16 and 17, here
//!   limited to chosen channels: read from the sales figures by channel, which the store
//!   keeps exact under reassignments and won/lost flips.
//!
//! The definitions are read and written in `definition`; what an event credits is in
//! `credit`.

use crate::calendar::{Day, DayRange};
use crate::event::{Direction, Status};
use crate::metric::{Kind, Unit};
use crate::state::SaleMeasure;
use std::collections::{BTreeSet, HashMap, HashSet};

mod credit;
mod definition;

/// The organisation's channels, which a channel filter must name; `None` for a
/// definition read back from the store (checked when it was saved).
pub type Channels<'a> = Option<&'a HashSet<String>>;

/// A metric the organisation defined.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomMetric {
    /// What the API and goals name it by: lowercase letters, digits and `_`, never a
    /// built-in metric's key.
    pub key: String,
    pub name_vi: String,
    pub name_en: String,
    pub rule: Rule,
}

/// What a custom metric counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rule {
    Events(EventRule),
    Records(RecordRule),
}

/// A count, sum or distinct count over events, credited to the actor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRule {
    /// The event types it counts (names as in the API).
    pub types: BTreeSet<&'static str>,
    pub aggregate: Aggregate,
    pub filters: Filters,
}

/// How an events metric combines the events it counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Aggregate {
    Count,
    /// The sum of the calls' `talk_seconds`.
    SumTalkSeconds,
    /// The sum of the created opportunities' `amount`, in minor units.
    SumAmount,
    /// The distinct customers the events touch (an opportunity's event touches its
    /// opportunity's customer).
    DistinctCustomers,
    DistinctOpportunities,
}

impl Aggregate {
    /// Whether it counts distinct entities (marks) rather than summing.
    pub fn is_distinct(self) -> bool {
        matches!(
            self,
            Aggregate::DistinctCustomers | Aggregate::DistinctOpportunities
        )
    }
}

/// Conditions on an event's own fields; a set one applies to every chosen type.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    pub direction: Option<Direction>,
    pub answered: Option<bool>,
    pub talk_seconds_at_least: Option<u32>,
    pub delivered: Option<bool>,
    /// The status an `opportunity.status_changed` changes to.
    pub status: Option<Status>,
    /// The channel the event names (empty: no condition).
    pub channels: BTreeSet<String>,
}

/// Records as they stand now: one measure of the sales figures, over some channels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRule {
    pub measure: SaleMeasure,
    /// The channels counted (empty: every record, with a channel or without).
    pub channels: BTreeSet<String>,
}

/// What one event adds to an events metric.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Credit {
    /// Add `amount` to the actor's value on `day`.
    Add { user: String, day: Day, amount: i64 },
    /// `entity` counts once for the actor on `day`.
    Mark {
        user: String,
        day: Day,
        entity: String,
    },
}

/// A custom metric's values over a range, per user key: a sum a day, or the entities
/// marked each day (a distinct count).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomDays {
    sums: HashMap<i64, Vec<(Day, i64)>>,
    marks: HashMap<i64, Vec<(Day, String)>>,
}

impl CustomDays {
    /// From `(user key, day, sum)` rows.
    pub fn of_sums(rows: impl IntoIterator<Item = (i64, Day, i64)>) -> CustomDays {
        let mut sums: HashMap<i64, Vec<(Day, i64)>> = HashMap::new();
        for (user, day, sum) in rows {
            sums.entry(user).or_default().push((day, sum));
        }
        CustomDays {
            sums,
            ..CustomDays::default()
        }
    }

    /// From `(user key, day, entity)` rows.
    pub fn of_marks(rows: impl IntoIterator<Item = (i64, Day, String)>) -> CustomDays {
        let mut marks: HashMap<i64, Vec<(Day, String)>> = HashMap::new();
        for (user, day, entity) in rows {
            marks.entry(user).or_default().push((day, entity));
        }
        CustomDays {
            marks,
            ..CustomDays::default()
        }
    }

    /// The value of a group of `(user key, days)` spans — one person over the range, or
    /// a team's member-days: sums add up; an entity counts once over the group.
    pub fn value_of(&self, spans: &[(i64, DayRange)]) -> i128 {
        let mut total = 0i128;
        let mut entities: HashSet<&str> = HashSet::new();
        for (user, days) in spans {
            for (day, sum) in self.sums.get(user).into_iter().flatten() {
                if days.contains(*day) {
                    total += i128::from(*sum);
                }
            }
            for (day, entity) in self.marks.get(user).into_iter().flatten() {
                if days.contains(*day) {
                    entities.insert(entity);
                }
            }
        }
        total + entities.len() as i128
    }
}

impl CustomMetric {
    /// How its values combine over days and users.
    pub fn kind(&self) -> Kind {
        match &self.rule {
            Rule::Events(rule) => match rule.aggregate {
                Aggregate::Count => Kind::Count,
                Aggregate::SumTalkSeconds => Kind::Sum,
                Aggregate::SumAmount => Kind::Money,
                Aggregate::DistinctCustomers | Aggregate::DistinctOpportunities => Kind::Distinct,
            },
            Rule::Records(rule) if rule.measure == SaleMeasure::Revenue => Kind::Money,
            Rule::Records(_) => Kind::Count,
        }
    }

    /// The unit of its values.
    pub fn unit(&self) -> Unit {
        match self.kind() {
            Kind::Count | Kind::Distinct => Unit::Count,
            Kind::Sum => Unit::Seconds,
            Kind::Money => Unit::Money,
        }
    }

    /// Who a value is credited to: `actor` or `owner` (the record's current owner).
    pub fn credited_to(&self) -> &'static str {
        match self.rule {
            Rule::Events(_) => "actor",
            Rule::Records(_) => "owner",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;
    use crate::event::{Event, EventKind, FieldError};
    use crate::money::Currency;
    use crate::state::State;
    use serde_json::json;
    use serde_json::{Map, Value};

    fn channels() -> HashSet<String> {
        ["zalo", "hotline"].into_iter().map(String::from).collect()
    }

    fn metric(definition: Value) -> CustomMetric {
        CustomMetric::parse(&definition, Some(&channels())).unwrap()
    }

    fn refused(definition: Value) -> FieldError {
        CustomMetric::parse(&definition, Some(&channels())).unwrap_err()
    }

    fn events_rule(definition: Value) -> EventRule {
        match metric(definition).rule {
            Rule::Events(rule) => rule,
            Rule::Records(rule) => panic!("a records rule: {rule:?}"),
        }
    }

    fn long_calls() -> Value {
        json!({"key": "long_calls", "name_vi": "Cuộc gọi trên 2 phút", "name_en": "Calls over 2 minutes",
               "of": "events", "events": ["call"], "aggregate": "count",
               "filters": {"answered": true, "talk_seconds_at_least": 120}})
    }

    fn event(value: Value) -> Event {
        let mut value = value;
        value["id"] = json!("e1");
        value["user_id"] = json!("lan");
        value["at"] = json!("2026-11-30T18:30:00Z");
        Event::parse(&value, &Currency::default()).unwrap()
    }

    fn call(answered: bool, talk_seconds: u32) -> Event {
        event(
            json!({"type": "call", "direction": "outbound", "answered": answered,
                     "talk_seconds": talk_seconds, "customer_id": "c1"}),
        )
    }

    fn credit(rule: &EventRule, event: &Event, state: &State) -> Option<Credit> {
        let calendar = Calendar::new("Asia/Ho_Chi_Minh", "monday").unwrap();
        rule.credit(event, &calendar, &Currency::default(), state)
            .unwrap()
    }

    /// 18:30 UTC on 30 November is 01:30 on 1 December in Ho Chi Minh City.
    fn first_of_december() -> Day {
        Day::from_date(jiff::civil::date(2026, 12, 1))
    }

    #[test]
    fn calls_over_two_minutes_count_answered_calls_from_120_seconds_on_their_local_day() {
        let rule = events_rule(long_calls());
        let day = first_of_december();
        let one = Some(Credit::Add {
            user: "lan".into(),
            day,
            amount: 1,
        });
        assert_eq!(credit(&rule, &call(true, 120), &State::default()), one);
        assert_eq!(credit(&rule, &call(true, 119), &State::default()), None);
        assert_eq!(credit(&rule, &call(false, 0), &State::default()), None);
        let meeting = event(json!({"type": "meeting.held", "customer_id": "c1"}));
        assert_eq!(credit(&rule, &meeting, &State::default()), None);
    }

    #[test]
    fn sums_add_talk_seconds_and_amounts_in_minor_units() {
        let talk = events_rule(
            json!({"key": "talk", "name_vi": "a", "name_en": "a", "of": "events",
            "events": ["call"], "aggregate": "sum", "field": "talk_seconds",
            "filters": {"direction": "outbound"}}),
        );
        let Some(Credit::Add { amount, .. }) = credit(&talk, &call(true, 95), &State::default())
        else {
            panic!("a sum")
        };
        assert_eq!(amount, 95);
        let pipeline = events_rule(json!({"key": "pipeline", "name_vi": "a", "name_en": "a",
            "of": "events", "events": ["opportunity.created"], "aggregate": "sum", "field": "amount",
            "filters": {"channel": "zalo"}}));
        let from_zalo = event(
            json!({"type": "opportunity.created", "opportunity_id": "o1",
            "customer_id": "c1", "amount": "2500000", "owner_id": "lan", "channel": "zalo"}),
        );
        let Some(Credit::Add { amount, .. }) = credit(&pipeline, &from_zalo, &State::default())
        else {
            panic!("a sum")
        };
        assert_eq!(amount, 2_500_000);
        let mut from_hotline = from_zalo.clone();
        if let EventKind::OpportunityCreated { channel, .. } = &mut from_hotline.kind {
            *channel = Some("hotline".into());
        }
        assert_eq!(credit(&pipeline, &from_hotline, &State::default()), None);
        assert_eq!(metric(pipeline_json()).unit(), Unit::Money);
    }

    #[test]
    fn a_channel_filter_counts_the_calls_that_came_in_on_that_channels_line() {
        let zalo_calls = events_rule(json!({"key": "zalo_calls", "name_vi": "a", "name_en": "a",
            "of": "events", "events": ["call"], "aggregate": "count",
            "filters": {"direction": "inbound", "channel": ["zalo"]}}));
        let on = |channel: Option<&str>| {
            let mut inbound = event(json!({"type": "call", "direction": "inbound",
                "answered": true, "talk_seconds": 40}));
            if let EventKind::Call { channel: line, .. } = &mut inbound.kind {
                *line = channel.map(str::to_owned);
            }
            credit(&zalo_calls, &inbound, &State::default())
        };
        assert!(matches!(
            on(Some("zalo")),
            Some(Credit::Add { amount: 1, .. })
        ));
        assert_eq!(on(Some("hotline")), None);
        assert_eq!(on(None), None);
    }

    fn pipeline_json() -> Value {
        json!({"key": "pipeline", "name_vi": "a", "name_en": "a", "of": "events",
               "events": ["opportunity.created"], "aggregate": "sum", "field": "amount"})
    }

    #[test]
    fn a_distinct_count_marks_the_opportunitys_customer_for_an_opportunity_event() {
        let rule = events_rule(
            json!({"key": "won_customers", "name_vi": "a", "name_en": "a",
            "of": "events", "events": ["opportunity.status_changed", "meeting.held"],
            "aggregate": "distinct", "field": "customer_id"}),
        );
        let created = event(
            json!({"type": "opportunity.created", "opportunity_id": "o1",
            "customer_id": "c9", "amount": "1", "owner_id": "lan"}),
        );
        let mut state = State::default();
        state.users.insert("lan".into());
        state.customers.insert(
            "c9".into(),
            crate::state::Customer {
                owner: crate::state::Stamped::new("lan".into(), created.at),
                created_day: first_of_december(),
                channel: None,
            },
        );
        let calendar = Calendar::new("Asia/Ho_Chi_Minh", "monday").unwrap();
        let org = crate::Organization {
            calendar,
            currency: Currency::default(),
        };
        crate::apply(&org, &mut state, &created).unwrap();
        let won = event(
            json!({"type": "opportunity.status_changed", "opportunity_id": "o1",
                               "status": "won"}),
        );
        assert_eq!(
            credit(&rule, &won, &state),
            Some(Credit::Mark {
                user: "lan".into(),
                day: first_of_december(),
                entity: "c9".into()
            })
        );
        assert_eq!(metric(rule_json_of(&rule)).kind(), Kind::Distinct);
    }

    fn rule_json_of(rule: &EventRule) -> Value {
        let mut fields = Map::new();
        for (k, v) in [("key", "k"), ("name_vi", "a"), ("name_en", "a")] {
            fields.insert(k.into(), v.into());
        }
        rule.write(&mut fields);
        Value::Object(fields)
    }

    #[test]
    fn won_deals_from_zalo_are_the_won_opportunities_of_the_zalo_channel_credited_to_the_owner() {
        let won_zalo = metric(
            json!({"key": "won_zalo", "name_vi": "Hợp đồng thắng từ Zalo",
            "name_en": "Won deals from Zalo", "of": "opportunities", "aggregate": "count",
            "filters": {"status": "won", "channel": ["zalo"]}}),
        );
        assert_eq!(won_zalo.credited_to(), "owner");
        let Rule::Records(rule) = &won_zalo.rule else {
            panic!("a records rule")
        };
        assert_eq!(rule.measure, SaleMeasure::OpportunitiesWon);
        assert_eq!(rule.channels, BTreeSet::from(["zalo".to_owned()]));
        let revenue = metric(json!({"key": "revenue_all", "name_vi": "a", "name_en": "a",
            "of": "opportunities", "aggregate": "sum", "field": "amount",
            "filters": {"status": "won"}}));
        let Rule::Records(rule) = &revenue.rule else {
            panic!("a records rule")
        };
        assert_eq!(rule.measure, SaleMeasure::Revenue);
        assert!(rule.channels.is_empty());
        assert_eq!(revenue.unit(), Unit::Money);
    }

    #[test]
    fn a_definition_reads_back_from_its_json() {
        for definition in [
            long_calls(),
            pipeline_json(),
            json!({"key": "new_from_zalo", "name_vi": "a", "name_en": "b", "of": "customers",
                   "aggregate": "count", "filters": {"channel": ["zalo", "hotline"]}}),
            json!({"key": "delivered", "name_vi": "a", "name_en": "b", "of": "events",
                   "events": ["sms.sent", "email.sent"], "aggregate": "distinct",
                   "field": "customer_id", "filters": {"delivered": true}}),
        ] {
            let parsed = metric(definition);
            assert_eq!(metric(parsed.to_json()), parsed);
        }
    }

    #[test]
    fn a_wrong_definition_names_its_field() {
        let cases = [
            (json!({"key": "calls"}), "key"),
            (json!({"key": "k", "colour": "red"}), "colour"),
            (json!({"key": "Bad Key"}), "key"),
            (
                json!({"key": "k", "name_vi": "", "name_en": "x"}),
                "name_vi",
            ),
            (
                json!({"key": "k", "name_vi": "a", "name_en": "b", "of": "trucks"}),
                "of",
            ),
            (
                json!({"key": "k", "name_vi": "a", "name_en": "b", "of": "events",
                       "events": ["teleport"], "aggregate": "count"}),
                "events",
            ),
            (
                json!({"key": "k", "name_vi": "a", "name_en": "b", "of": "events",
                       "events": ["call"], "aggregate": "sum", "field": "amount"}),
                "field",
            ),
            (
                json!({"key": "k", "name_vi": "a", "name_en": "b", "of": "events",
                       "events": ["call", "meeting.held"], "aggregate": "count",
                       "filters": {"answered": true}}),
                "filters.answered",
            ),
            (
                json!({"key": "k", "name_vi": "a", "name_en": "b", "of": "events",
                       "events": ["customer.created"], "aggregate": "count",
                       "filters": {"channel": ["facebook"]}}),
                "filters.channel",
            ),
            (
                json!({"key": "k", "name_vi": "a", "name_en": "b", "of": "opportunities",
                       "aggregate": "sum", "field": "amount"}),
                "filters.status",
            ),
            (
                json!({"key": "k", "name_vi": "a", "name_en": "b", "of": "customers",
                       "aggregate": "distinct", "field": "customer_id"}),
                "aggregate",
            ),
        ];
        for (definition, field) in cases {
            assert_eq!(refused(definition.clone()).field, field, "{definition}");
        }
    }
}
