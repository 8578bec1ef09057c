//! Reading a batch of events from a request body: a JSON array (or one object), or
//! NDJSON, one event a line.
//!
//! The body (at most 64 MiB, held whole) is parsed one event at a time: each event's
//! text is sized first (at most [`MAX_EVENT_BYTES`]), then parsed into an [`Event`] and
//! its JSON dropped, and the count is checked as it goes, so a body of ten million tiny
//! values is refused at the first one past the limit, and one huge event never becomes
//! a huge JSON tree.
//! An event that cannot be read is listed with its position and field; the others are
//! kept. A body that is not a batch at all (not JSON, not NDJSON, too many events) is
//! an error of the whole request.

use crate::event::{Event, FieldError};
use crate::money::Currency;
use jiff::Timestamp;
use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde_json::Value;
use std::fmt;

/// The most events one request may carry.
pub const MAX_EVENTS: usize = 10_000;

/// The largest one event may be, as JSON text: a real event is a few hundred bytes.
pub const MAX_EVENT_BYTES: usize = 64 * 1024;

/// How a batch is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// A JSON array of events, or a single event object.
    Json,
    /// One JSON event a line; blank lines are skipped.
    Ndjson,
}

/// An event the batch did not keep, with why: `field: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedEvent {
    /// Position in the request (0-based; NDJSON counts the lines that are not blank).
    pub index: usize,
    pub id: Option<String>,
    /// `invalid_field`, `unknown_reference`, `already_exists`, `conflict`,
    /// `forbidden` or `malformed`.
    pub code: &'static str,
    pub field: String,
    pub message: String,
}

/// Each event of a batch, in order: parsed, or why not.
pub type Items = Vec<Result<(usize, Event), RejectedEvent>>;

/// Why a whole body is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// Not a batch of events at all.
    #[error("{0}")]
    Malformed(String),
    /// More events than one request may carry.
    #[error("more than {max} events in one request")]
    TooMany { max: usize },
}

/// Reads every event of a body, checking each as an event received `now` (see
/// [`Event::parse_received`]), and at most `max` of them.
pub fn parse(
    body: &[u8],
    format: Format,
    currency: &Currency,
    now: Timestamp,
    max: usize,
) -> Result<Items, BatchError> {
    let reader = Reader { currency, now, max };
    match format {
        Format::Json => reader.json(body),
        Format::Ndjson => reader.ndjson(body),
    }
}

struct Reader<'a> {
    currency: &'a Currency,
    now: Timestamp,
    max: usize,
}

impl Reader<'_> {
    /// One event from its JSON text, or its rejection: too large, not JSON, or invalid.
    fn item_of_text(&self, index: usize, text: &[u8]) -> Result<(usize, Event), RejectedEvent> {
        let rejected = |code, message: String| RejectedEvent {
            index,
            id: None,
            code,
            field: "event".into(),
            message,
        };
        if text.len() > MAX_EVENT_BYTES {
            let message = format!("is larger than {MAX_EVENT_BYTES} bytes");
            return Err(rejected("invalid_field", message));
        }
        match serde_json::from_slice::<Value>(text) {
            Ok(mut value) => {
                crate::event::keep_amount_exact(text, &mut value);
                self.item(index, &value)
            }
            Err(e) => Err(rejected("malformed", e.to_string())),
        }
    }

    /// One event, or its rejection.
    fn item(&self, index: usize, value: &Value) -> Result<(usize, Event), RejectedEvent> {
        Event::parse_received(value, self.currency, self.now)
            .map(|event| (index, event))
            .map_err(|FieldError { field, message }| RejectedEvent {
                index,
                id: Event::id_of(value),
                code: "invalid_field",
                field,
                message,
            })
    }

    fn json(&self, body: &[u8]) -> Result<Items, BatchError> {
        // One object on its own is a batch of one.
        if body.trim_ascii_start().starts_with(b"{") {
            serde_json::from_slice::<serde::de::IgnoredAny>(body).map_err(|e| {
                BatchError::Malformed(format!("the body is not JSON ({e}); send a JSON array, or NDJSON with Content-Type: application/x-ndjson"))
            })?;
            return Ok(vec![self.item_of_text(0, body.trim_ascii())]);
        }
        let mut deserializer = serde_json::Deserializer::from_slice(body);
        let mut too_many = false;
        let seed = Batch {
            reader: self,
            too_many: &mut too_many,
        };
        let items = seed.deserialize(&mut deserializer).and_then(|items| {
            deserializer.end()?;
            Ok(items)
        });
        match items {
            Ok(items) => Ok(items),
            Err(_) if too_many => Err(BatchError::TooMany { max: self.max }),
            Err(e) if e.is_data() => Err(BatchError::Malformed(
                "the body must be a JSON array of events".into(),
            )),
            Err(e) => Err(BatchError::Malformed(format!(
                "the body is not JSON ({e}); send a JSON array, or NDJSON with Content-Type: application/x-ndjson"
            ))),
        }
    }

    fn ndjson(&self, body: &[u8]) -> Result<Items, BatchError> {
        std::str::from_utf8(body)
            .map_err(|_| BatchError::Malformed("the body is not UTF-8".into()))?;
        // Blank lines are not events; messages still name the physical line.
        let lines = body
            .split(|b| *b == b'\n')
            .enumerate()
            .filter(|(_, line)| !line.trim_ascii().is_empty());
        let mut items = Vec::new();
        for (index, (line_number, line)) in lines.enumerate() {
            if index == self.max {
                return Err(BatchError::TooMany { max: self.max });
            }
            items.push(self.item_of_text(index, line).map_err(|mut r| {
                if r.code == "malformed" {
                    r.message = format!("line {} is not JSON: {}", line_number + 1, r.message);
                }
                r
            }));
        }
        if items
            .iter()
            .all(|item| item.as_ref().is_err_and(|r| r.code == "malformed"))
        {
            return Err(BatchError::Malformed(
                "the body is not NDJSON: no line is a JSON value".into(),
            ));
        }
        Ok(items)
    }
}

/// An array of events as serde sees it, read element by element.
struct Batch<'r, 'a> {
    reader: &'r Reader<'a>,
    too_many: &'r mut bool,
}

impl<'de> DeserializeSeed<'de> for Batch<'_, '_> {
    type Value = Items;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Items, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Batch<'_, '_> {
    type Value = Items;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Items, A::Error> {
        let mut items = Vec::new();
        // Each element as its raw text first: its size is checked before it becomes a
        // JSON tree.
        while let Some(raw) = seq.next_element::<&serde_json::value::RawValue>()? {
            if items.len() == self.reader.max {
                *self.too_many = true;
                return Err(de::Error::custom("too many events"));
            }
            items.push(self.reader.item_of_text(items.len(), raw.get().as_bytes()));
        }
        Ok(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;

    fn now() -> Timestamp {
        "2026-11-27T12:00:00+07:00".parse().unwrap()
    }

    fn read(body: &str, format: Format) -> Result<Items, BatchError> {
        parse(body.as_bytes(), format, &Currency::default(), now(), 3)
    }

    const CALL: &str = r#"{"id": "e1", "type": "call", "at": "2026-11-27T09:00:00+07:00",
        "user_id": "u1", "direction": "inbound", "answered": false, "talk_seconds": 0}"#;

    fn codes(items: &Items) -> Vec<&str> {
        items
            .iter()
            .map(|item| match item {
                Ok(_) => "ok",
                Err(r) => r.code,
            })
            .collect()
    }

    #[test]
    fn an_array_keeps_the_good_events_and_names_the_bad_ones() {
        let body = format!(r#"[{CALL}, {{"id": "e2", "type": "fax"}}, 7]"#);
        let items = read(&body, Format::Json).unwrap();
        assert_eq!(codes(&items), ["ok", "invalid_field", "invalid_field"]);
        let Err(second) = &items[1] else { panic!() };
        assert_eq!(
            (second.index, second.id.as_deref(), second.field.as_str()),
            (1, Some("e2"), "at")
        );
        let Err(third) = &items[2] else { panic!() };
        assert_eq!((third.index, third.field.as_str()), (2, "event"));
        let Ok((0, event)) = &items[0] else { panic!() };
        assert!(matches!(event.kind, EventKind::Call { .. }));
    }

    /// Amounts sent as JSON numbers are read from their text, not through a float:
    /// what a float would round is refused, not silently changed; a number too large
    /// for any float is that event's error, not the batch's.
    #[test]
    fn amounts_sent_as_numbers_stay_exact() {
        let deal = |amount: &str| {
            format!(
                r#"{{"id": "o", "type": "opportunity.created", "at": "2026-11-27T01:00:00Z",
                "user_id": "u1", "opportunity_id": "o1", "customer_id": "c1", "amount": {amount}}}"#
            )
        };
        let amount = |item: &Result<(usize, Event), RejectedEvent>| match item {
            Ok((
                _,
                Event {
                    kind: EventKind::OpportunityCreated { amount, .. },
                    ..
                },
            )) => amount.to_string(),
            Ok(_) => unreachable!(),
            Err(r) => format!("{}: {}", r.field, r.message),
        };
        let usd = Currency::from_code("USD");
        let one = |text: &str| {
            let body = format!("[{}]", deal(text));
            let items = parse(body.as_bytes(), Format::Json, &usd, now(), 3).unwrap();
            amount(&items[0])
        };
        assert_eq!(one("2500.5"), "2500.5");
        assert_eq!(one("2.5e3"), "2500");
        assert_eq!(one("19.99"), "19.99");
        assert_eq!(
            one("1.0000000000000000001"),
            "amount: USD allows at most 2 decimal places"
        );
        assert_eq!(one("9999999999999.99"), "9999999999999.99");
        let body = format!("[{}, {CALL}]", deal("1e400"));
        let items = parse(body.as_bytes(), Format::Json, &usd, now(), 3).unwrap();
        assert_eq!(codes(&items), ["malformed", "ok"]);
    }

    #[test]
    fn one_object_is_a_batch_of_one_and_an_empty_array_is_nothing() {
        assert_eq!(codes(&read(CALL, Format::Json).unwrap()), ["ok"]);
        assert!(read("[]", Format::Json).unwrap().is_empty());
        assert!(read(" [ ] \n", Format::Json).unwrap().is_empty());
    }

    #[test]
    fn a_body_that_is_not_a_batch_is_malformed() {
        for body in ["", "[", "{", "[1,]", "\"call\"", "42", "[] []", "nul"] {
            assert!(
                matches!(read(body, Format::Json), Err(BatchError::Malformed(_))),
                "{body:?}"
            );
        }
    }

    #[test]
    fn more_events_than_allowed_are_refused_at_the_first_one_over() {
        assert_eq!(read("[0,0,0]", Format::Json).map(|i| i.len()), Ok(3));
        assert_eq!(
            read("[0,0,0,0", Format::Json),
            Err(BatchError::TooMany { max: 3 })
        );
        // Refused before the rest is even looked at: the tail is not JSON.
        assert_eq!(
            read("[0,0,0,0,x", Format::Json),
            Err(BatchError::TooMany { max: 3 })
        );
        assert_eq!(
            read("1\n2\n\n3\n4\nnot json", Format::Ndjson),
            Err(BatchError::TooMany { max: 3 })
        );
    }

    #[test]
    fn ndjson_reads_a_line_at_a_time_and_names_the_physical_line() {
        let body = format!("{}\n\n   \nnot json\n", CALL.replace('\n', " "));
        let items = read(&body, Format::Ndjson).unwrap();
        assert_eq!(codes(&items), ["ok", "malformed"]);
        let Err(bad) = &items[1] else { panic!() };
        assert_eq!(bad.index, 1);
        assert!(
            bad.message.starts_with("line 4 is not JSON"),
            "{}",
            bad.message
        );
        assert!(matches!(
            read("no\nnothing", Format::Ndjson),
            Err(BatchError::Malformed(_))
        ));
        assert!(matches!(
            parse(b"\xff\n", Format::Ndjson, &Currency::default(), now(), 3),
            Err(BatchError::Malformed(_))
        ));
    }

    #[test]
    fn one_huge_event_is_refused_on_its_own() {
        let huge = format!(r#"{{"id": "big", "pad": [{}0]}}"#, "0,".repeat(40_000));
        let body = format!("[{huge}, {CALL}]");
        let items = read(&body, Format::Json).unwrap();
        assert_eq!(codes(&items), ["invalid_field", "ok"]);
        let Err(big) = &items[0] else { panic!() };
        assert_eq!(big.field, "event");
        assert!(big.message.contains("65536 bytes"), "{}", big.message);
        let lines = format!("{huge}\n{}", CALL.replace('\n', " "));
        assert_eq!(
            codes(&read(&lines, Format::Ndjson).unwrap()),
            ["invalid_field", "ok"]
        );
    }

    #[test]
    fn events_are_checked_as_received_now() {
        let future = CALL.replace("2026-11-27T09:00", "2026-11-28T09:00");
        let items = read(&format!("[{future}]"), Format::Json).unwrap();
        let Err(rejected) = &items[0] else { panic!() };
        assert_eq!(
            (rejected.field.as_str(), rejected.code),
            ("at", "invalid_field")
        );
    }
}
