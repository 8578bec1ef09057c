//! Reading what a caller sent: a JSON object's fields with errors that name the
//! field, the same for the API's bodies and the pages' forms (which the pages turn into
//! the same objects), so a rule is written once.

use crate::error::{Error, Result};
use serde_json::{Map, Value};
use std::collections::HashMap;
use tally_core::Day;

/// A request body: one JSON object.
#[derive(Clone, Debug, Default)]
pub struct Fields(pub Map<String, Value>);

impl Fields {
    /// A field as sent, if present.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.0.get(field)
    }

    pub fn contains(&self, field: &str) -> bool {
        self.0.contains_key(field)
    }

    /// A required non-blank string field, at most `max` characters.
    pub fn text(&self, field: &str, max: usize) -> Result<String> {
        self.optional_text(field, max)?
            .ok_or_else(|| Error::invalid(field, "is required"))
    }

    /// An optional non-blank string field, at most `max` characters, with no control
    /// character.
    pub fn optional_text(&self, field: &str, max: usize) -> Result<Option<String>> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => {
                let s = s.trim();
                let chars = s.chars().count();
                if chars == 0 || chars > max || s.chars().any(char::is_control) {
                    return Err(Error::invalid(
                        field,
                        format!("must be 1 to {max} printable characters"),
                    ));
                }
                Ok(Some(s.to_owned()))
            }
            Some(_) => Err(Error::invalid(field, "must be a string")),
        }
    }

    /// A field that may be absent (`None`: leave as is), `null` (`Some(None)`: clear
    /// it) or a non-blank string of at most `max` characters.
    pub fn nullable_text(&self, field: &str, max: usize) -> Result<Option<Option<String>>> {
        match self.0.get(field) {
            None => Ok(None),
            Some(Value::Null) => Ok(Some(None)),
            Some(_) => self.optional_text(field, max).map(Some),
        }
    }

    /// Refuses fields the action does not know, so a typo is an error, not ignored.
    pub fn only(&self, known: &[&str]) -> Result<()> {
        match self.0.keys().find(|k| !known.contains(&k.as_str())) {
            None => Ok(()),
            Some(k) => Err(Error::invalid(
                k,
                format!("unknown field (expected one of {})", known.join(", ")),
            )),
        }
    }

    /// An optional `true` / `false`.
    pub fn optional_bool(&self, field: &str) -> Result<Option<bool>> {
        match self.0.get(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(Error::invalid(field, "must be true or false")),
        }
    }

    /// An optional local date `YYYY-MM-DD`.
    pub fn optional_day(&self, field: &str) -> Result<Option<Day>> {
        self.optional_text(field, 10)?
            .map(|s| {
                s.parse::<Day>()
                    .map_err(|e| Error::invalid(field, e.to_string()))
            })
            .transpose()
    }
}

/// Refuses query parameters the endpoint does not know, so a typo (`user=` for
/// `user_id=`) is an error rather than a silently unfiltered report.
pub fn only_known(params: &HashMap<String, String>, known: &[&str]) -> Result<()> {
    match params.keys().find(|k| !known.contains(&k.as_str())) {
        None => Ok(()),
        Some(unknown) => Err(Error::invalid(
            unknown,
            format!("unknown parameter (expected one of {})", known.join(", ")),
        )),
    }
}

/// `limit` (default `default`, at most `max`) and `offset` of a list's page.
pub fn page(params: &HashMap<String, String>, default: i64, max: i64) -> Result<tally_store::Page> {
    let number = |name: &str, default: i64, max: i64| -> Result<i64> {
        match params.get(name) {
            None => Ok(default),
            Some(s) => s
                .parse::<i64>()
                .ok()
                .filter(|n| (0..=max).contains(n))
                .ok_or_else(|| {
                    Error::invalid(name, format!("must be a whole number from 0 to {max}"))
                }),
        }
    };
    Ok(tally_store::Page {
        limit: number("limit", default, max)?,
        offset: number("offset", 0, i64::MAX)?,
    })
}
