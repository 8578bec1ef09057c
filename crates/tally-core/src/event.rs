//! Typed events: the vocabulary of `spec/events.md`, parsed with field-level errors.
//!
//! Anything from outside (the HTTP API, a CDR adapter, the event log itself on replay)
//! becomes an [`Event`] through [`Event::parse`]. Parsing resolves defaults (an owner
//! defaults to the actor) and normalizes values, so [`Event::canonical_json`] is the
//! same for two inputs that mean the same thing: that is what idempotency compares.

use crate::money::Currency;
use jiff::Timestamp;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// The longest id (of an event, user, customer, …) accepted, in characters.
pub const MAX_ID_CHARS: usize = 200;

/// How long ago a new event may have happened: the longest report range (ten years).
pub const MAX_AGE_DAYS: i32 = crate::calendar::MAX_RANGE_DAYS as i32;

/// How far ahead of the server's clock a new event may be dated: clocks drift a little,
/// but what has not happened yet is not work done.
pub const MAX_AHEAD_MINUTES: i64 = 15;

/// The longest call a new event may report: one day of talk.
pub const MAX_TALK_SECONDS: u32 = 86_400;

/// One thing that happened, done by `user_id` (the actor) at `at`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Event {
    pub id: String,
    #[serde(flatten)]
    pub kind: EventKind,
    pub at: Timestamp,
    pub user_id: String,
}

/// A call's direction, relative to the organization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Inbound,
    Outbound,
}

/// A sales opportunity's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Open,
    Won,
    Lost,
    Cancelled,
}

/// The type of an event and the fields of that type.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type")]
pub enum EventKind {
    #[serde(rename = "call")]
    Call {
        direction: Direction,
        answered: bool,
        talk_seconds: u32,
        #[serde(skip_serializing_if = "Option::is_none")]
        customer_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        phone: Option<String>,
        /// The line it came in on: one of the organisation's channels when the call
        /// import sets it from an inbound call's number or queue. Any other text is
        /// kept and matches no channel: the call still counts.
        #[serde(skip_serializing_if = "Option::is_none")]
        channel: Option<String>,
    },
    #[serde(rename = "customer.created")]
    CustomerCreated {
        customer_id: String,
        owner_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
        /// Where the customer came from: one of the organisation's channels.
        #[serde(skip_serializing_if = "Option::is_none")]
        channel: Option<String>,
    },
    #[serde(rename = "customer.updated")]
    CustomerUpdated {
        customer_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        owner_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        channel: Option<String>,
    },
    #[serde(rename = "note.added")]
    NoteAdded { customer_id: String },
    #[serde(rename = "note.edited")]
    NoteEdited { customer_id: String },
    #[serde(rename = "opportunity.created")]
    OpportunityCreated {
        opportunity_id: String,
        customer_id: String,
        amount: Decimal,
        owner_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        channel: Option<String>,
    },
    #[serde(rename = "opportunity.updated")]
    OpportunityUpdated {
        opportunity_id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        amount: Option<Decimal>,
        #[serde(skip_serializing_if = "Option::is_none")]
        owner_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        channel: Option<String>,
    },
    #[serde(rename = "opportunity.status_changed")]
    OpportunityStatusChanged {
        opportunity_id: String,
        status: Status,
    },
    #[serde(rename = "meeting.held")]
    MeetingHeld { customer_id: String },
    #[serde(rename = "sms.sent")]
    SmsSent {
        customer_id: String,
        delivered: bool,
    },
    #[serde(rename = "email.sent")]
    EmailSent {
        customer_id: String,
        delivered: bool,
    },
    #[serde(rename = "email.received")]
    EmailReceived { customer_id: String },
    #[serde(rename = "todo.created")]
    TodoCreated {
        todo_id: String,
        assignee_id: String,
    },
    #[serde(rename = "todo.completed")]
    TodoCompleted { todo_id: String },
}

/// Every event type name, as in the API.
pub const EVENT_TYPES: [&str; 14] = [
    "call",
    "customer.created",
    "customer.updated",
    "note.added",
    "note.edited",
    "opportunity.created",
    "opportunity.updated",
    "opportunity.status_changed",
    "meeting.held",
    "sms.sent",
    "email.sent",
    "email.received",
    "todo.created",
    "todo.completed",
];

/// A field of an event that is missing or wrong; displayed as `field: message`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> FieldError {
        FieldError {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl Event {
    /// Parses one event from its JSON form, naming the first field at fault.
    pub fn parse(value: &Value, currency: &Currency) -> Result<Event, FieldError> {
        let Some(object) = value.as_object() else {
            return Err(FieldError::new("event", "must be a JSON object"));
        };
        let fields = Fields(object);
        let id = fields.id("id")?;
        let type_name = fields.string("type")?;
        let at = fields.timestamp("at")?;
        let user_id = fields.id("user_id")?;
        let kind = fields.kind(type_name, &user_id, currency)?;
        Ok(Event {
            id,
            kind,
            at,
            user_id,
        })
    }

    /// Parses an event arriving now from outside (the API, a phone system, the CRM):
    /// [`Event::parse`] and the bounds that only make sense on arrival. No text may hold
    /// a NUL character (no database stores one alike), `at` lies within
    /// [`MAX_AGE_DAYS`] before `now` and [`MAX_AHEAD_MINUTES`] after it, and a call
    /// talks at most [`MAX_TALK_SECONDS`]. The event log is replayed with
    /// [`Event::parse`] alone, so a bound tightened later never refuses what was once
    /// accepted.
    pub fn parse_received(
        value: &Value,
        currency: &Currency,
        now: Timestamp,
    ) -> Result<Event, FieldError> {
        if let Some(field) = nul_field(value) {
            return Err(FieldError::new(&field, "must not contain a NUL character"));
        }
        let event = Event::parse(value, currency)?;
        check_time("at", event.at, now)?;
        if let EventKind::Call { talk_seconds, .. } = event.kind
            && talk_seconds > MAX_TALK_SECONDS
        {
            return Err(FieldError::new(
                "talk_seconds",
                format!("must be at most {MAX_TALK_SECONDS} (one day)"),
            ));
        }
        Ok(event)
    }

    /// The event's `id` if the value has a usable one, for naming a rejected event.
    pub fn id_of(value: &Value) -> Option<String> {
        value.get("id")?.as_str().map(str::to_owned)
    }

    /// The type name, as in the API.
    pub fn type_name(&self) -> &'static str {
        self.kind.type_name()
    }

    /// The normalized JSON form: equal for two events that mean the same thing.
    pub fn canonical_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl EventKind {
    /// The type name, as in the API.
    pub fn type_name(&self) -> &'static str {
        match self {
            EventKind::Call { .. } => "call",
            EventKind::CustomerCreated { .. } => "customer.created",
            EventKind::CustomerUpdated { .. } => "customer.updated",
            EventKind::NoteAdded { .. } => "note.added",
            EventKind::NoteEdited { .. } => "note.edited",
            EventKind::OpportunityCreated { .. } => "opportunity.created",
            EventKind::OpportunityUpdated { .. } => "opportunity.updated",
            EventKind::OpportunityStatusChanged { .. } => "opportunity.status_changed",
            EventKind::MeetingHeld { .. } => "meeting.held",
            EventKind::SmsSent { .. } => "sms.sent",
            EventKind::EmailSent { .. } => "email.sent",
            EventKind::EmailReceived { .. } => "email.received",
            EventKind::TodoCreated { .. } => "todo.created",
            EventKind::TodoCompleted { .. } => "todo.completed",
        }
    }
}

impl EventKind {
    /// The channel the event names, if any.
    pub fn channel(&self) -> Option<&str> {
        match self {
            EventKind::Call { channel, .. }
            | EventKind::CustomerCreated { channel, .. }
            | EventKind::CustomerUpdated { channel, .. }
            | EventKind::OpportunityCreated { channel, .. }
            | EventKind::OpportunityUpdated { channel, .. } => channel.as_deref(),
            _ => None,
        }
    }

    /// The opportunity the event is on, if any.
    pub fn opportunity_id(&self) -> Option<&str> {
        match self {
            EventKind::OpportunityCreated { opportunity_id, .. }
            | EventKind::OpportunityUpdated { opportunity_id, .. }
            | EventKind::OpportunityStatusChanged { opportunity_id, .. } => Some(opportunity_id),
            _ => None,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Open => "open",
            Status::Won => "won",
            Status::Lost => "lost",
            Status::Cancelled => "cancelled",
        })
    }
}

/// Keeps an object's `amount` exact when it was sent as a JSON number with a fraction
/// or an exponent: serde reads those as floats, which hold about 16 digits, so
/// `1.0000000000000000001` would become 1. The number's text in `json` (the object's
/// own JSON) becomes a decimal string instead, read exactly, or left as written to be
/// refused when no decimal holds it.
pub fn keep_amount_exact(json: &[u8], object: &mut Value) {
    let float = object.get("amount").is_some_and(|a| a.is_f64());
    if !float {
        return;
    }
    let Ok(fields) = serde_json::from_slice::<HashMap<String, &RawValue>>(json) else {
        return;
    };
    let Some(text) = fields.get("amount").map(|raw| raw.get()) else {
        return;
    };
    let exact = match text.contains(['e', 'E']) {
        true => Decimal::from_scientific(text).ok(),
        false => Decimal::from_str_exact(text).ok(),
    };
    object["amount"] = Value::String(exact.map_or_else(|| text.to_owned(), |d| d.to_string()));
}

/// An amount as sent, a decimal string or a JSON number (see [`keep_amount_exact`]),
/// exact in the currency's minor unit and normalised (`2500.000` is 2500); else why
/// not, for the field's error.
pub fn amount(value: &Value, currency: &Currency) -> Result<Decimal, String> {
    let invalid = || "must be a decimal number ≥ 0 (a string or a number)".to_owned();
    let amount = match value {
        Value::String(s) if plain_decimal(s.trim()) => {
            Decimal::from_str_exact(s.trim()).map_err(|_| invalid())?
        }
        // Whole numbers are exact; a float that reached here was built as a value,
        // not read from a request (those become strings first), so its shortest
        // form is what was meant.
        Value::Number(n) => Decimal::from_str_exact(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .map_err(|_| invalid())?,
        _ => return Err(invalid()),
    };
    currency.to_minor(amount).map_err(|e| e.to_string())?;
    Ok(amount.normalize())
}

/// Digits with at most one decimal point and an optional sign: `150000000`,
/// `2500.50`, `-5` (refused later as negative). Not `1_000`, `1e3` or `.5`, which a
/// lenient reader would take.
fn plain_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, "0"));
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    all_digits(whole) && all_digits(fraction)
}

/// An RFC 3339 timestamp with its offset, exactly as the RFC writes it:
/// `2026-11-27T09:30:00+07:00`, `…T02:30:00.250Z`. Nothing else a lenient reader would
/// take: no six-digit year, no missing seconds, no offset of 24 hours or more.
pub fn rfc3339(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        b.get(range.clone())
            .filter(|d| d.iter().all(u8::is_ascii_digit))
            .map(|d| d.iter().fold(0u32, |n, d| n * 10 + u32::from(d - b'0')))
    };
    let punctuated = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')]
        .iter()
        .all(|(at, c)| b.get(*at) == Some(c))
        && matches!(b.get(10), Some(b'T' | b't'));
    let clock = digits(11..13).is_some_and(|h| h <= 23)
        && digits(14..16).is_some_and(|m| m <= 59)
        && digits(17..19).is_some_and(|s| s <= 60);
    if !punctuated
        || !clock
        || digits(0..4).is_none()
        || digits(5..7).is_none()
        || digits(8..10).is_none()
    {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let figures = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if !(1..=9).contains(&figures) {
            return None;
        }
        rest = &fraction[figures..];
    }
    let offset_ok = match rest.as_bytes() {
        [b'Z' | b'z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] => {
            let number = |a: &u8, b: &u8| {
                (a.is_ascii_digit() && b.is_ascii_digit()).then(|| (a - b'0') * 10 + (b - b'0'))
            };
            number(h1, h2).is_some_and(|h| h <= 23) && number(m1, m2).is_some_and(|m| m <= 59)
        }
        _ => false,
    };
    offset_ok.then(|| Timestamp::from_str(text).ok()).flatten()
}

/// Refuses a time that is not within the window new events must fall in: at most
/// [`MAX_AGE_DAYS`] before `now`, at most [`MAX_AHEAD_MINUTES`] after it.
pub fn check_time(field: &str, at: Timestamp, now: Timestamp) -> Result<(), FieldError> {
    let ahead = jiff::SignedDuration::from_mins(MAX_AHEAD_MINUTES);
    let age = jiff::SignedDuration::from_hours(24 * i64::from(MAX_AGE_DAYS));
    if now.checked_add(ahead).is_ok_and(|latest| at > latest) {
        return Err(FieldError::new(
            field,
            format!(
                "must not be in the future (more than {MAX_AHEAD_MINUTES} minutes after the server's clock)"
            ),
        ));
    }
    if now.checked_sub(age).is_ok_and(|earliest| at < earliest) {
        return Err(FieldError::new(
            field,
            format!("must be at most {MAX_AGE_DAYS} days ago"),
        ));
    }
    Ok(())
}

/// The first field of a JSON object whose text (or key) holds a NUL character, named
/// as the event's fields are (`customer_id`, `extra.tags[2]`); `event` when the value
/// itself is such a text.
pub fn nul_field(value: &Value) -> Option<String> {
    nul_within(value, None)
}

fn nul_within(value: &Value, path: Option<&str>) -> Option<String> {
    let name = |key: &str| path.map_or_else(|| key.to_owned(), |p| format!("{p}{key}"));
    match value {
        Value::String(s) if s.contains('\0') => Some(path.unwrap_or("event").to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_within(item, Some(&name(&format!("[{i}]"))))),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            let field = match path {
                None => key.clone(),
                Some(p) => format!("{p}.{key}"),
            };
            match key.contains('\0') {
                true => Some(field),
                false => nul_within(item, Some(&field)),
            }
        }),
        _ => None,
    }
}

/// The fields of one event object, read with errors that name the field.
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    fn required(&self, name: &str) -> Result<&Value, FieldError> {
        self.get(name)
            .ok_or_else(|| FieldError::new(name, "is required"))
    }

    fn string(&self, name: &str) -> Result<&str, FieldError> {
        self.required(name)?
            .as_str()
            .ok_or_else(|| FieldError::new(name, "must be a string"))
    }

    fn opt_string(&self, name: &str) -> Result<Option<String>, FieldError> {
        match self.get(name) {
            None => Ok(None),
            Some(_) => self.string(name).map(|s| Some(s.to_owned())),
        }
    }

    fn id(&self, name: &str) -> Result<String, FieldError> {
        let id = self.string(name)?;
        let chars = id.chars().count();
        if chars == 0 || chars > MAX_ID_CHARS {
            return Err(FieldError::new(
                name,
                format!("must be 1 to {MAX_ID_CHARS} characters"),
            ));
        }
        Ok(id.to_owned())
    }

    fn opt_id(&self, name: &str) -> Result<Option<String>, FieldError> {
        match self.get(name) {
            None => Ok(None),
            Some(_) => self.id(name).map(Some),
        }
    }

    /// A field the spec's type does not have, read only when it is text of 1 to
    /// [`MAX_ID_CHARS`] characters and else ignored, as any unknown field is (a phone
    /// system may send a `channel` of its own, such as `PJSIP/201-0000001a`).
    fn lenient_text(&self, name: &str) -> Option<String> {
        let text = self.get(name)?.as_str()?;
        (1..=MAX_ID_CHARS)
            .contains(&text.chars().count())
            .then(|| text.to_owned())
    }

    fn bool(&self, name: &str) -> Result<bool, FieldError> {
        self.required(name)?
            .as_bool()
            .ok_or_else(|| FieldError::new(name, "must be true or false"))
    }

    fn seconds(&self, name: &str) -> Result<u32, FieldError> {
        self.required(name)?
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| FieldError::new(name, "must be a whole number of seconds ≥ 0"))
    }

    fn timestamp(&self, name: &str) -> Result<Timestamp, FieldError> {
        rfc3339(self.string(name)?).ok_or_else(|| {
            FieldError::new(
                name,
                "must be an RFC 3339 timestamp with an offset, such as 2026-11-27T09:30:00+07:00",
            )
        })
    }

    fn amount(&self, name: &str, currency: &Currency) -> Result<Decimal, FieldError> {
        amount(self.required(name)?, currency).map_err(|message| FieldError::new(name, message))
    }

    fn opt_amount(&self, name: &str, currency: &Currency) -> Result<Option<Decimal>, FieldError> {
        match self.get(name) {
            None => Ok(None),
            Some(_) => self.amount(name, currency).map(Some),
        }
    }

    fn direction(&self) -> Result<Direction, FieldError> {
        match self.string("direction")? {
            "inbound" => Ok(Direction::Inbound),
            "outbound" => Ok(Direction::Outbound),
            _ => Err(FieldError::new("direction", "must be inbound or outbound")),
        }
    }

    fn status(&self) -> Result<Status, FieldError> {
        match self.string("status")? {
            "open" => Ok(Status::Open),
            "won" => Ok(Status::Won),
            "lost" => Ok(Status::Lost),
            "cancelled" => Ok(Status::Cancelled),
            _ => Err(FieldError::new(
                "status",
                "must be open, won, lost or cancelled",
            )),
        }
    }

    fn call(&self) -> Result<EventKind, FieldError> {
        let direction = self.direction()?;
        let answered = self.bool("answered")?;
        let talk_seconds = self.seconds("talk_seconds")?;
        if !answered && talk_seconds != 0 {
            return Err(FieldError::new(
                "talk_seconds",
                "must be 0 when answered is false",
            ));
        }
        Ok(EventKind::Call {
            direction,
            answered,
            talk_seconds,
            customer_id: self.opt_id("customer_id")?,
            phone: self.opt_string("phone")?,
            channel: self.lenient_text("channel"),
        })
    }

    fn kind(
        &self,
        type_name: &str,
        actor: &str,
        currency: &Currency,
    ) -> Result<EventKind, FieldError> {
        let owner_or_actor = |name: &str| -> Result<String, FieldError> {
            Ok(self.opt_id(name)?.unwrap_or_else(|| actor.to_owned()))
        };
        Ok(match type_name {
            "call" => self.call()?,
            "customer.created" => EventKind::CustomerCreated {
                customer_id: self.id("customer_id")?,
                owner_id: owner_or_actor("owner_id")?,
                name: self.opt_string("name")?,
                channel: self.opt_id("channel")?,
            },
            "customer.updated" => EventKind::CustomerUpdated {
                customer_id: self.id("customer_id")?,
                owner_id: self.opt_id("owner_id")?,
                channel: self.opt_id("channel")?,
            },
            "note.added" => EventKind::NoteAdded {
                customer_id: self.id("customer_id")?,
            },
            "note.edited" => EventKind::NoteEdited {
                customer_id: self.id("customer_id")?,
            },
            "opportunity.created" => EventKind::OpportunityCreated {
                opportunity_id: self.id("opportunity_id")?,
                customer_id: self.id("customer_id")?,
                amount: self.amount("amount", currency)?,
                owner_id: owner_or_actor("owner_id")?,
                channel: self.opt_id("channel")?,
            },
            "opportunity.updated" => EventKind::OpportunityUpdated {
                opportunity_id: self.id("opportunity_id")?,
                amount: self.opt_amount("amount", currency)?,
                owner_id: self.opt_id("owner_id")?,
                channel: self.opt_id("channel")?,
            },
            "opportunity.status_changed" => EventKind::OpportunityStatusChanged {
                opportunity_id: self.id("opportunity_id")?,
                status: self.status()?,
            },
            "meeting.held" => EventKind::MeetingHeld {
                customer_id: self.id("customer_id")?,
            },
            "sms.sent" => EventKind::SmsSent {
                customer_id: self.id("customer_id")?,
                delivered: self.bool("delivered")?,
            },
            "email.sent" => EventKind::EmailSent {
                customer_id: self.id("customer_id")?,
                delivered: self.bool("delivered")?,
            },
            "email.received" => EventKind::EmailReceived {
                customer_id: self.id("customer_id")?,
            },
            "todo.created" => EventKind::TodoCreated {
                todo_id: self.id("todo_id")?,
                assignee_id: owner_or_actor("assignee_id")?,
            },
            "todo.completed" => EventKind::TodoCompleted {
                todo_id: self.id("todo_id")?,
            },
            other => {
                return Err(FieldError::new(
                    "type",
                    format!("unknown event type '{other}'"),
                ));
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Event, FieldError> {
        Event::parse(&v, &Currency::default())
    }

    fn error_of(v: Value) -> String {
        parse(v).unwrap_err().to_string()
    }

    fn call(extra: Value) -> Value {
        let mut base = json!({"id": "e1", "type": "call", "at": "2026-11-27T09:00:00+07:00",
            "user_id": "u1", "direction": "outbound", "answered": true, "talk_seconds": 30});
        for (k, v) in extra.as_object().unwrap() {
            base[k] = v.clone();
        }
        base
    }

    #[test]
    fn a_call_parses_with_its_fields() {
        let e = parse(call(json!({"customer_id": "c1"}))).unwrap();
        assert_eq!(e.type_name(), "call");
        assert_eq!(
            e.kind,
            EventKind::Call {
                direction: Direction::Outbound,
                answered: true,
                talk_seconds: 30,
                customer_id: Some("c1".into()),
                phone: None,
                channel: None
            }
        );
    }

    #[test]
    fn a_calls_channel_is_kept_when_text_and_ignored_otherwise() {
        let channel = |value: Value| match parse(call(json!({"channel": value}))).unwrap().kind {
            EventKind::Call { channel, .. } => channel,
            other => panic!("not a call: {other:?}"),
        };
        assert_eq!(channel(json!("zalo")).as_deref(), Some("zalo"));
        assert_eq!(
            channel(json!("PJSIP/201-0000001a")).as_deref(),
            Some("PJSIP/201-0000001a")
        );
        assert_eq!(channel(json!(7)), None);
        assert_eq!(channel(json!("")), None);
    }

    #[test]
    fn talk_seconds_must_be_zero_when_not_answered() {
        assert_eq!(
            error_of(call(json!({"answered": false}))),
            "talk_seconds: must be 0 when answered is false"
        );
        assert!(parse(call(json!({"answered": false, "talk_seconds": 0}))).is_ok());
    }

    #[test]
    fn each_bad_field_is_named() {
        assert_eq!(
            error_of(call(json!({"id": ""}))),
            "id: must be 1 to 200 characters"
        );
        assert_eq!(
            error_of(call(json!({"id": "x".repeat(201)}))),
            "id: must be 1 to 200 characters"
        );
        assert!(parse(call(json!({"id": "é".repeat(200)}))).is_ok());
        assert_eq!(
            error_of(call(json!({"type": "fax"}))),
            "type: unknown event type 'fax'"
        );
        assert!(
            error_of(call(json!({"at": "2026-11-27T09:00:00"})))
                .starts_with("at: must be an RFC 3339")
        );
        assert!(error_of(call(json!({"at": "yesterday"}))).starts_with("at: "));
        assert_eq!(
            error_of(call(json!({"user_id": 7}))),
            "user_id: must be a string"
        );
        assert_eq!(
            error_of(call(json!({"direction": "sideways"}))),
            "direction: must be inbound or outbound"
        );
        assert_eq!(
            error_of(call(json!({"answered": "yes"}))),
            "answered: must be true or false"
        );
        assert!(error_of(call(json!({"talk_seconds": -1}))).starts_with("talk_seconds: "));
        assert!(error_of(call(json!({"talk_seconds": 1.5}))).starts_with("talk_seconds: "));
        assert_eq!(error_of(json!([1])), "event: must be a JSON object");
        let missing = json!({"id": "e1", "type": "note.added", "at": "2026-11-27T09:00:00Z", "user_id": "u1"});
        assert_eq!(error_of(missing), "customer_id: is required");
    }

    #[test]
    fn amounts_are_decimal_strings_or_numbers_and_not_negative() {
        let opp = |amount: Value| {
            json!({"id": "e1", "type": "opportunity.created", "at": "2026-11-27T09:00:00Z",
                "user_id": "u1", "opportunity_id": "o1", "customer_id": "c1", "amount": amount})
        };
        let amount_of = |v: Value| match parse(opp(v)).unwrap().kind {
            EventKind::OpportunityCreated { amount, .. } => amount.to_string(),
            _ => unreachable!(),
        };
        assert_eq!(amount_of(json!("150000000")), "150000000");
        assert_eq!(amount_of(json!(150000000)), "150000000");
        assert_eq!(amount_of(json!("2500.000")), "2500");
        assert_eq!(error_of(opp(json!("-5"))), "amount: must not be negative");
        assert!(error_of(opp(json!("lots"))).starts_with("amount: must be a decimal"));
        assert_eq!(
            error_of(opp(json!("1.5"))),
            "amount: VND allows at most 0 decimal places"
        );
        // What a lenient decimal reader would take, but a person did not mean.
        for loose in ["1_000", "1e3", ".5", "5.", "", " ", "+-1", "1.2.3", "٣"] {
            assert!(
                error_of(opp(json!(loose))).starts_with("amount: must be a decimal"),
                "{loose:?}"
            );
        }
    }

    #[test]
    fn times_are_rfc_3339_exactly() {
        for good in [
            "2026-11-27T09:30:00+07:00",
            "2026-11-27t02:30:00z",
            "2026-11-27T02:30:00.250Z",
            "2026-11-27T02:30:00.123456789-03:30",
        ] {
            assert!(rfc3339(good).is_some(), "{good}");
        }
        for bad in [
            "+002026-11-27T09:30:00Z",
            "2026-11-27T09:30Z",
            "2026-11-27 09:30:00Z",
            "2026-11-27T09:30:00",
            "2026-11-27T09:30:00+0700",
            "2026-11-27T09:30:00+24:00",
            "2026-11-27T09:30:00.Z",
            "2026-11-27T09:30:00.1234567890Z",
            "2026-11-27T24:00:00Z",
            "2026-1-27T09:30:00Z",
            "2026-11-27T09:30:00Z ",
        ] {
            assert!(rfc3339(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn owners_default_to_the_actor() {
        let e = parse(
            json!({"id": "e1", "type": "customer.created", "at": "2026-11-27T09:00:00Z",
            "user_id": "u1", "customer_id": "c1"}),
        )
        .unwrap();
        assert!(
            matches!(e.kind, EventKind::CustomerCreated { ref owner_id, .. } if owner_id == "u1")
        );
    }

    #[test]
    fn the_same_meaning_gives_the_same_canonical_form() {
        let a = parse(
            json!({"id": "e1", "type": "opportunity.created", "at": "2026-11-27T09:00:00+07:00",
            "user_id": "u1", "opportunity_id": "o1", "customer_id": "c1", "amount": "100.00"}),
        )
        .unwrap();
        let b = parse(
            json!({"amount": 100, "customer_id": "c1", "opportunity_id": "o1",
            "owner_id": "u1", "user_id": "u1", "at": "2026-11-27T02:00:00Z",
            "type": "opportunity.created", "id": "e1"}),
        )
        .unwrap();
        assert_eq!(a.canonical_json(), b.canonical_json());
        let c = parse(
            json!({"id": "e1", "type": "opportunity.created", "at": "2026-11-27T02:00:01Z",
            "user_id": "u1", "opportunity_id": "o1", "customer_id": "c1", "amount": 100}),
        )
        .unwrap();
        assert_ne!(a.canonical_json(), c.canonical_json());
    }

    fn received(v: Value, now: &str) -> Result<Event, FieldError> {
        Event::parse_received(&v, &Currency::default(), now.parse().unwrap())
    }

    #[test]
    fn a_received_event_is_dated_within_ten_years_and_a_quarter_hour() {
        let now = "2026-11-27T09:00:00+07:00";
        assert!(received(call(json!({})), now).is_ok());
        let late = call(json!({"at": "2026-11-27T09:15:00+07:00"}));
        assert!(received(late, now).is_ok());
        let ahead = call(json!({"at": "2026-11-27T09:15:01+07:00"}));
        assert!(
            received(ahead, now)
                .unwrap_err()
                .to_string()
                .starts_with("at: must not be in the future")
        );
        for far in [
            "2100-01-01T00:00:00Z",
            "0001-01-01T00:00:00Z",
            "2016-01-01T00:00:00Z",
        ] {
            let error = received(call(json!({"at": far})), now).unwrap_err();
            assert_eq!(error.field, "at", "{far}");
        }
        let ten_years = call(json!({"at": "2016-12-10T00:00:00Z"}));
        assert!(received(ten_years, now).is_ok());
        // An offset beyond ±24 hours is not RFC 3339.
        let offset = call(json!({"at": "2026-11-27T09:00:00+25:00"}));
        assert_eq!(received(offset, now).unwrap_err().field, "at");
        // The log is replayed without the window: what was accepted stays readable.
        assert!(parse(call(json!({"at": "2016-01-01T00:00:00Z"}))).is_ok());
    }

    #[test]
    fn a_received_call_talks_at_most_a_day() {
        let now = "2026-11-27T10:00:00+07:00";
        assert!(received(call(json!({"talk_seconds": 86_400})), now).is_ok());
        assert_eq!(
            received(call(json!({"talk_seconds": 86_401})), now)
                .unwrap_err()
                .to_string(),
            "talk_seconds: must be at most 86400 (one day)"
        );
        let year = call(json!({"talk_seconds": 31_536_000}));
        assert_eq!(received(year, now).unwrap_err().field, "talk_seconds");
    }

    #[test]
    fn no_received_text_holds_a_nul_character() {
        let now = "2026-11-27T10:00:00+07:00";
        let error = received(call(json!({"id": "pg-nul\u{0}x"})), now).unwrap_err();
        assert_eq!(error.to_string(), "id: must not contain a NUL character");
        let nested = call(json!({"extra": {"tags": ["a", "b\u{0}"]}}));
        assert_eq!(received(nested, now).unwrap_err().field, "extra.tags[1]");
        let key = call(json!({"bad\u{0}key": 1}));
        assert_eq!(received(key, now).unwrap_err().field, "bad\u{0}key");
        let customer = call(json!({"customer_id": "c\u{0}"}));
        assert_eq!(received(customer, now).unwrap_err().field, "customer_id");
    }

    #[test]
    fn the_canonical_form_parses_back_to_the_same_event() {
        let e = parse(call(json!({"phone": "0901234567"}))).unwrap();
        let again = Event::parse(
            &serde_json::from_str(&e.canonical_json()).unwrap(),
            &Currency::default(),
        );
        assert_eq!(again, Ok(e));
    }
}
