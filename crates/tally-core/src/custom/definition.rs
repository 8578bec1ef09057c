//! Reading a custom metric's definition from the JSON the API receives (every error
//! names its field) and writing it back in the same form.

use super::{Aggregate, Channels, CustomMetric, EventRule, Filters, RecordRule, Rule};
use crate::event::{Direction, EVENT_TYPES, FieldError, Status};
use crate::metric::Metric;
use crate::state::SaleMeasure;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

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

    pub(super) fn write(&self, fields: &mut Map<String, Value>) {
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

    pub(super) fn write(&self, fields: &mut Map<String, Value>) {
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
