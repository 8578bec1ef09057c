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

use crate::calendar::{Calendar, Day, DayRange};
use crate::event::{Direction, EVENT_TYPES, Event, EventKind, FieldError, Status};
use crate::metric::{Kind, Metric, Unit};
use crate::money::Currency;
use crate::state::{SaleMeasure, State};
use serde_json::{Map, Value};
use std::collections::{BTreeSet, HashMap, HashSet};

/// The fields of a definition.
const FIELDS: [&str; 8] = [
    "key",
    "name_vi",
    "name_en",
    "of",
    "events",
    "aggregate",
    "field",
    "filters",
];

/// The longest key and name of a custom metric.
const MAX_KEY: usize = 40;
const MAX_NAME: usize = 80;

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
    /// Reads a definition as the API receives it, naming the first field at fault.
    /// `channels` are the organisation's channels, which a channel filter must name
    /// (`None` for a definition read back from the store, checked when it was saved).
    pub fn parse(value: &Value, channels: Channels<'_>) -> Result<CustomMetric, FieldError> {
        let Some(fields) = value.as_object() else {
            return Err(FieldError::new("metric", "must be a JSON object"));
        };
        if let Some(unknown) = fields.keys().find(|f| !FIELDS.contains(&f.as_str())) {
            return Err(FieldError::new(unknown, "is not a field of a metric"));
        }
        let key = key(fields)?;
        let name_vi = name(fields, "name_vi")?;
        let name_en = name(fields, "name_en")?;
        let rule = match text(fields, "of")? {
            "events" => Rule::Events(EventRule::parse(fields, channels)?),
            "customers" | "opportunities" => Rule::Records(RecordRule::parse(fields, channels)?),
            _ => {
                return Err(FieldError::new(
                    "of",
                    "must be 'events', 'customers' or 'opportunities'",
                ));
            }
        };
        Ok(CustomMetric {
            key,
            name_vi,
            name_en,
            rule,
        })
    }

    /// The definition in the form [`CustomMetric::parse`] reads.
    pub fn to_json(&self) -> Value {
        let mut fields = Map::new();
        fields.insert("key".into(), self.key.clone().into());
        fields.insert("name_vi".into(), self.name_vi.clone().into());
        fields.insert("name_en".into(), self.name_en.clone().into());
        match &self.rule {
            Rule::Events(rule) => rule.write(&mut fields),
            Rule::Records(rule) => rule.write(&mut fields),
        }
        Value::Object(fields)
    }

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

impl EventRule {
    fn parse(fields: &Map<String, Value>, channels: Channels<'_>) -> Result<Self, FieldError> {
        let types = event_types(fields)?;
        let aggregate = aggregate(fields)?;
        check_aggregate(aggregate, &types)?;
        let filters = Filters::parse(fields, &types, channels)?;
        Ok(EventRule {
            types,
            aggregate,
            filters,
        })
    }

    fn write(&self, fields: &mut Map<String, Value>) {
        fields.insert("of".into(), "events".into());
        let types: Vec<Value> = self.types.iter().map(|t| (*t).into()).collect();
        fields.insert("events".into(), types.into());
        let (aggregate, field) = match self.aggregate {
            Aggregate::Count => ("count", None),
            Aggregate::SumTalkSeconds => ("sum", Some("talk_seconds")),
            Aggregate::SumAmount => ("sum", Some("amount")),
            Aggregate::DistinctCustomers => ("distinct", Some("customer_id")),
            Aggregate::DistinctOpportunities => ("distinct", Some("opportunity_id")),
        };
        fields.insert("aggregate".into(), aggregate.into());
        if let Some(field) = field {
            fields.insert("field".into(), field.into());
        }
        fields.insert("filters".into(), self.filters.to_json());
    }

    /// What `event`, accepted into the log, adds to this metric; `state` knows the
    /// opportunity of an opportunity's event (for its customer).
    pub fn credit(
        &self,
        event: &Event,
        calendar: &Calendar,
        currency: &Currency,
        state: &State,
    ) -> Result<Option<Credit>, FieldError> {
        if !self.types.contains(event.type_name()) || !self.filters.pass(&event.kind) {
            return Ok(None);
        }
        let user = event.user_id.clone();
        let day = calendar.day_of(event.at);
        let add = |amount| Some(Credit::Add { user, day, amount });
        Ok(match self.aggregate {
            Aggregate::Count => add(1),
            Aggregate::SumTalkSeconds => match event.kind {
                EventKind::Call { talk_seconds, .. } => add(i64::from(talk_seconds)),
                _ => None,
            },
            Aggregate::SumAmount => match &event.kind {
                EventKind::OpportunityCreated { amount, .. } => add(currency
                    .to_minor(*amount)
                    .map_err(|e| FieldError::new("amount", e.to_string()))?),
                _ => None,
            },
            Aggregate::DistinctCustomers => {
                customer_of(&event.kind, state).map(|entity| Credit::Mark {
                    user: event.user_id.clone(),
                    day,
                    entity,
                })
            }
            Aggregate::DistinctOpportunities => {
                opportunity_of(&event.kind).map(|entity| Credit::Mark {
                    user: event.user_id.clone(),
                    day,
                    entity: entity.to_owned(),
                })
            }
        })
    }
}

/// The customer an event touches: its own `customer_id`, or its opportunity's.
fn customer_of(kind: &EventKind, state: &State) -> Option<String> {
    match kind {
        EventKind::Call { customer_id, .. } => customer_id.clone(),
        EventKind::CustomerCreated { customer_id, .. }
        | EventKind::CustomerUpdated { customer_id, .. }
        | EventKind::NoteAdded { customer_id }
        | EventKind::NoteEdited { customer_id }
        | EventKind::OpportunityCreated { customer_id, .. }
        | EventKind::MeetingHeld { customer_id }
        | EventKind::SmsSent { customer_id, .. }
        | EventKind::EmailSent { customer_id, .. }
        | EventKind::EmailReceived { customer_id } => Some(customer_id.clone()),
        EventKind::OpportunityUpdated { opportunity_id, .. }
        | EventKind::OpportunityStatusChanged { opportunity_id, .. } => state
            .opportunities
            .get(opportunity_id)
            .map(|o| o.customer_id.clone()),
        EventKind::TodoCreated { .. } | EventKind::TodoCompleted { .. } => None,
    }
}

fn opportunity_of(kind: &EventKind) -> Option<&str> {
    match kind {
        EventKind::OpportunityCreated { opportunity_id, .. }
        | EventKind::OpportunityUpdated { opportunity_id, .. }
        | EventKind::OpportunityStatusChanged { opportunity_id, .. } => Some(opportunity_id),
        _ => None,
    }
}

/// The event types that carry each filter's field.
const CALLS: &[&str] = &["call"];
const MESSAGES: &[&str] = &["sms.sent", "email.sent"];
const STATUS_CHANGES: &[&str] = &["opportunity.status_changed"];
const WITH_CHANNEL: &[&str] = &[
    "call",
    "customer.created",
    "customer.updated",
    "opportunity.created",
    "opportunity.updated",
];
/// The event types that touch no customer.
const WITHOUT_CUSTOMER: &[&str] = &["todo.created", "todo.completed"];
/// The event types that touch an opportunity.
const OPPORTUNITIES: &[&str] = &[
    "opportunity.created",
    "opportunity.updated",
    "opportunity.status_changed",
];

impl Filters {
    fn parse(
        fields: &Map<String, Value>,
        types: &BTreeSet<&'static str>,
        channels: Channels<'_>,
    ) -> Result<Self, FieldError> {
        let filters = match fields.get("filters") {
            None | Some(Value::Null) => return Ok(Filters::default()),
            Some(Value::Object(filters)) => filters,
            Some(_) => return Err(FieldError::new("filters", "must be a JSON object")),
        };
        let mut parsed = Filters::default();
        for (name, value) in filters {
            let field = format!("filters.{name}");
            let carriers = match name.as_str() {
                "direction" => {
                    parsed.direction = Some(match value.as_str() {
                        Some("inbound") => Direction::Inbound,
                        Some("outbound") => Direction::Outbound,
                        _ => {
                            return Err(FieldError::new(&field, "must be 'inbound' or 'outbound'"));
                        }
                    });
                    CALLS
                }
                "answered" => {
                    parsed.answered = Some(boolean(value, &field)?);
                    CALLS
                }
                "talk_seconds_at_least" => {
                    let seconds = value.as_u64().and_then(|s| u32::try_from(s).ok());
                    parsed.talk_seconds_at_least = Some(seconds.ok_or_else(|| {
                        FieldError::new(&field, "must be a whole number of seconds, 0 or more")
                    })?);
                    CALLS
                }
                "delivered" => {
                    parsed.delivered = Some(boolean(value, &field)?);
                    MESSAGES
                }
                "status" => {
                    parsed.status = Some(serde_json::from_value(value.clone()).map_err(|_| {
                        FieldError::new(&field, "must be 'open', 'won', 'lost' or 'cancelled'")
                    })?);
                    STATUS_CHANGES
                }
                "channel" => {
                    parsed.channels = channel_list(value, &field, channels)?;
                    WITH_CHANNEL
                }
                _ => return Err(FieldError::new(&field, "is not a filter this metric knows")),
            };
            if let Some(other) = types.iter().find(|t| !carriers.contains(t)) {
                return Err(FieldError::new(
                    &field,
                    format!(
                        "applies to {} only, and 'events' has {other}",
                        carriers.join(", ")
                    ),
                ));
            }
        }
        Ok(parsed)
    }

    fn to_json(&self) -> Value {
        let mut filters = Map::new();
        if let Some(direction) = self.direction {
            let name = match direction {
                Direction::Inbound => "inbound",
                Direction::Outbound => "outbound",
            };
            filters.insert("direction".into(), name.into());
        }
        if let Some(answered) = self.answered {
            filters.insert("answered".into(), answered.into());
        }
        if let Some(seconds) = self.talk_seconds_at_least {
            filters.insert("talk_seconds_at_least".into(), seconds.into());
        }
        if let Some(delivered) = self.delivered {
            filters.insert("delivered".into(), delivered.into());
        }
        if let Some(status) = self.status {
            filters.insert(
                "status".into(),
                serde_json::to_value(status).unwrap_or_default(),
            );
        }
        if !self.channels.is_empty() {
            let channels: Vec<Value> = self.channels.iter().map(|c| c.clone().into()).collect();
            filters.insert("channel".into(), channels.into());
        }
        Value::Object(filters)
    }

    /// Whether an event's fields pass every set filter.
    fn pass(&self, kind: &EventKind) -> bool {
        let channel =
            self.channels.is_empty() || kind.channel().is_some_and(|c| self.channels.contains(c));
        channel && self.fields_pass(kind)
    }

    /// Whether an event passes the filters on the fields of its type.
    fn fields_pass(&self, kind: &EventKind) -> bool {
        match kind {
            EventKind::Call {
                direction,
                answered,
                talk_seconds,
                ..
            } => {
                self.direction.is_none_or(|d| d == *direction)
                    && self.answered.is_none_or(|a| a == *answered)
                    && self
                        .talk_seconds_at_least
                        .is_none_or(|s| *talk_seconds >= s)
            }
            EventKind::SmsSent { delivered, .. } | EventKind::EmailSent { delivered, .. } => {
                self.delivered.is_none_or(|d| d == *delivered)
            }
            EventKind::OpportunityStatusChanged { status, .. } => {
                self.status.is_none_or(|s| s == *status)
            }
            _ => true,
        }
    }
}

impl RecordRule {
    fn parse(fields: &Map<String, Value>, channels: Channels<'_>) -> Result<Self, FieldError> {
        let customers = text(fields, "of")? == "customers";
        if fields.contains_key("events") {
            return Err(FieldError::new(
                "events",
                "is for metrics of events; records are counted as they stand now",
            ));
        }
        let aggregate = aggregate(fields)?;
        let filters = match fields.get("filters") {
            None | Some(Value::Null) => Map::new(),
            Some(Value::Object(filters)) => filters.clone(),
            Some(_) => return Err(FieldError::new("filters", "must be a JSON object")),
        };
        let mut status = None;
        let mut chosen = BTreeSet::new();
        for (name, value) in &filters {
            let field = format!("filters.{name}");
            match name.as_str() {
                "channel" => chosen = channel_list(value, &field, channels)?,
                "status" if !customers => {
                    status = Some(match value.as_str() {
                        Some("won") => Status::Won,
                        Some("lost") => Status::Lost,
                        _ => return Err(FieldError::new(&field, "must be 'won' or 'lost'")),
                    });
                }
                _ => return Err(FieldError::new(&field, "is not a filter of these records")),
            }
        }
        let measure = match (customers, aggregate, status) {
            (true, Aggregate::Count, _) => SaleMeasure::CustomersNew,
            (false, Aggregate::Count, None) => SaleMeasure::OpportunitiesNew,
            (false, Aggregate::Count, Some(Status::Won)) => SaleMeasure::OpportunitiesWon,
            (false, Aggregate::Count, Some(_)) => SaleMeasure::OpportunitiesLost,
            (false, Aggregate::SumAmount, Some(Status::Won)) => SaleMeasure::Revenue,
            (false, Aggregate::SumAmount, _) => {
                return Err(FieldError::new(
                    "filters.status",
                    "must be 'won' to sum opportunities' amounts (the revenue)",
                ));
            }
            _ => {
                return Err(FieldError::new(
                    "aggregate",
                    if customers {
                        "customers are counted: must be 'count'"
                    } else {
                        "opportunities are counted, or their amount summed: must be 'count', or 'sum' with field 'amount'"
                    },
                ));
            }
        };
        Ok(RecordRule {
            measure,
            channels: chosen,
        })
    }

    fn write(&self, fields: &mut Map<String, Value>) {
        let (of, aggregate, status) = match self.measure {
            SaleMeasure::CustomersNew => ("customers", "count", None),
            SaleMeasure::OpportunitiesNew => ("opportunities", "count", None),
            SaleMeasure::OpportunitiesWon => ("opportunities", "count", Some("won")),
            SaleMeasure::OpportunitiesLost => ("opportunities", "count", Some("lost")),
            SaleMeasure::Revenue => ("opportunities", "sum", Some("won")),
        };
        fields.insert("of".into(), of.into());
        fields.insert("aggregate".into(), aggregate.into());
        if self.measure == SaleMeasure::Revenue {
            fields.insert("field".into(), "amount".into());
        }
        let mut filters = Map::new();
        if let Some(status) = status {
            filters.insert("status".into(), status.into());
        }
        if !self.channels.is_empty() {
            let channels: Vec<Value> = self.channels.iter().map(|c| c.clone().into()).collect();
            filters.insert("channel".into(), channels.into());
        }
        fields.insert("filters".into(), Value::Object(filters));
    }
}

fn key(fields: &Map<String, Value>) -> Result<String, FieldError> {
    let key = text(fields, "key")?;
    let well_formed = key.len() <= MAX_KEY
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !well_formed {
        return Err(FieldError::new(
            "key",
            format!(
                "must start with a lowercase letter and hold only a-z, 0-9 and _ (at most {MAX_KEY})"
            ),
        ));
    }
    if key.parse::<Metric>().is_ok() {
        return Err(FieldError::new(
            "key",
            format!("'{key}' is a built-in metric's key"),
        ));
    }
    Ok(key.to_owned())
}

fn name(fields: &Map<String, Value>, field: &str) -> Result<String, FieldError> {
    let name = text(fields, field)?.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(FieldError::new(
            field,
            format!("must hold 1 to {MAX_NAME} characters"),
        ));
    }
    if name.contains('\0') {
        return Err(FieldError::new(field, "must not contain a NUL character"));
    }
    Ok(name.to_owned())
}

fn text<'a>(fields: &'a Map<String, Value>, field: &str) -> Result<&'a str, FieldError> {
    match fields.get(field) {
        Some(Value::String(text)) => Ok(text),
        Some(_) => Err(FieldError::new(field, "must be a string")),
        None => Err(FieldError::new(field, "is required")),
    }
}

fn boolean(value: &Value, field: &str) -> Result<bool, FieldError> {
    value
        .as_bool()
        .ok_or_else(|| FieldError::new(field, "must be true or false"))
}

fn event_types(fields: &Map<String, Value>) -> Result<BTreeSet<&'static str>, FieldError> {
    let Some(Value::Array(names)) = fields.get("events") else {
        return Err(FieldError::new(
            "events",
            "is required: a list of event types",
        ));
    };
    let mut types = BTreeSet::new();
    for name in names {
        let known = name
            .as_str()
            .and_then(|n| EVENT_TYPES.iter().find(|t| **t == n));
        let Some(known) = known else {
            return Err(FieldError::new(
                "events",
                format!("{name} is not an event type ({})", EVENT_TYPES.join(", ")),
            ));
        };
        types.insert(*known);
    }
    if types.is_empty() {
        return Err(FieldError::new(
            "events",
            "must name at least one event type",
        ));
    }
    Ok(types)
}

fn aggregate(fields: &Map<String, Value>) -> Result<Aggregate, FieldError> {
    let field = fields.get("field").and_then(Value::as_str);
    match (text(fields, "aggregate")?, field) {
        ("count", None) => Ok(Aggregate::Count),
        ("sum", Some("talk_seconds")) => Ok(Aggregate::SumTalkSeconds),
        ("sum", Some("amount")) => Ok(Aggregate::SumAmount),
        ("distinct", Some("customer_id")) => Ok(Aggregate::DistinctCustomers),
        ("distinct", Some("opportunity_id")) => Ok(Aggregate::DistinctOpportunities),
        ("count", Some(_)) => Err(FieldError::new("field", "is not used with 'count'")),
        ("sum", _) => Err(FieldError::new(
            "field",
            "must be 'talk_seconds' or 'amount' for a sum",
        )),
        ("distinct", _) => Err(FieldError::new(
            "field",
            "must be 'customer_id' or 'opportunity_id' for a distinct count",
        )),
        _ => Err(FieldError::new(
            "aggregate",
            "must be 'count', 'sum' or 'distinct'",
        )),
    }
}

/// Each aggregate's field must be carried by every chosen type.
fn check_aggregate(aggregate: Aggregate, types: &BTreeSet<&'static str>) -> Result<(), FieldError> {
    let (allowed, what): (&dyn Fn(&str) -> bool, &str) = match aggregate {
        Aggregate::Count => return Ok(()),
        Aggregate::SumTalkSeconds => (&|t| CALLS.contains(&t), "call"),
        Aggregate::SumAmount => (&|t| t == "opportunity.created", "opportunity.created"),
        Aggregate::DistinctCustomers => (
            &|t| !WITHOUT_CUSTOMER.contains(&t),
            "events that touch a customer (not to-dos)",
        ),
        Aggregate::DistinctOpportunities => (&|t| OPPORTUNITIES.contains(&t), "opportunity events"),
    };
    match types.iter().find(|t| !allowed(t)) {
        Some(other) => Err(FieldError::new(
            "field",
            format!("applies to {what} only, and 'events' has {other}"),
        )),
        None => Ok(()),
    }
}

fn channel_list(
    value: &Value,
    field: &str,
    known: Channels<'_>,
) -> Result<BTreeSet<String>, FieldError> {
    let names: Vec<&Value> = match value {
        Value::Array(names) => names.iter().collect(),
        single => vec![single],
    };
    let mut channels = BTreeSet::new();
    for name in names {
        let Some(name) = name
            .as_str()
            .filter(|n| known.is_none_or(|k| k.contains(*n)))
        else {
            return Err(FieldError::new(
                field,
                format!("{name} is not one of the organisation's channels"),
            ));
        };
        channels.insert(name.to_owned());
    }
    if channels.is_empty() {
        return Err(FieldError::new(field, "must name at least one channel"));
    }
    Ok(channels)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
