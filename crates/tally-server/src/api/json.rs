//! How the API writes the values the application returns: instants as RFC 3339 UTC.

use serde_json::Value;

/// An instant in microseconds since the epoch as RFC 3339 UTC.
pub fn micros_json(micros: i64) -> Value {
    jiff::Timestamp::from_microsecond(micros).map_or(Value::Null, |t| Value::String(t.to_string()))
}
