//! FreeSWITCH `mod_json_cdr`: one JSON document per call leg, posted raw, as a form
//! field `cdr=…`, or base64; every value may be URL-encoded (`encode-values`).

use crate::CdrError;
use crate::call::{CallRecord, Source};
use base64::Engine;
use serde_json::{Map, Value};

/// Parses a posted CDR body.
pub fn parse(body: &[u8]) -> Result<CallRecord, CdrError> {
    let document = decode_body(body)?;
    let variables = document
        .get("variables")
        .and_then(Value::as_object)
        .ok_or_else(|| CdrError::new("variables", "is missing: not a mod_json_cdr document"))?;
    let text = |name: &str| variable(variables, name);
    let uid = text("uuid")
        .filter(|u| !u.is_empty())
        .ok_or_else(|| CdrError::new("variables.uuid", "is required"))?;
    let number = |name: &str| -> Result<i64, CdrError> {
        match text(name).filter(|s| !s.is_empty()) {
            None => Ok(0),
            Some(s) => s.parse().ok().filter(|n: &i64| *n >= 0).ok_or_else(|| {
                CdrError::new(
                    &format!("variables.{name}"),
                    format!("'{s}' is not a whole number"),
                )
            }),
        }
    };
    let start_epoch = number("start_epoch")?;
    if start_epoch == 0 {
        return Err(CdrError::new("variables.start_epoch", "is required"));
    }
    let start = jiff::Timestamp::from_second(start_epoch)
        .map_err(|e| CdrError::new("variables.start_epoch", e.to_string()))?;
    // A conversation starts when the call is bridged to the other party; an answer by
    // an IVR or a queue is not one. Records without bridge times fall back to answer.
    let bridged = number("bridge_epoch")?;
    let (answered, talk_seconds) = match bridged {
        0 if text("bridge_epoch").is_some() => (false, 0),
        0 => (number("answer_epoch")? > 0, number("billsec")?),
        from => (true, (number("end_epoch")? - from).max(0)),
    };
    let other_leg = text("originating_leg_uuid").is_some() || originated(&document);
    let callee_channel = text("dialed_user").or_else(|| text("callee_id_number"));
    CallRecord {
        source: Source::FreeSwitch,
        uid,
        start,
        caller: text("caller_id_number").unwrap_or_default(),
        caller_channel: text("sip_from_user")
            .filter(|u| Some(u) != text("caller_id_number").as_ref()),
        callee: text("destination_number").unwrap_or_default(),
        callee_channel,
        queue: text("cc_queue"),
        answered,
        talk_seconds: if answered { talk_seconds } else { 0 },
        other_leg,
    }
    .without_nul()
}

/// Whether the leg was originated by another (a B leg): its caller profile names an
/// originator.
fn originated(document: &Value) -> bool {
    let flows = match document.get("callflow") {
        Some(Value::Array(list)) => list.clone(),
        Some(one @ Value::Object(_)) => vec![one.clone()],
        _ => Vec::new(),
    };
    flows.iter().any(|flow| {
        flow.get("caller_profile")
            .and_then(|p| p.get("originator"))
            .is_some_and(|o| !o.is_null())
    })
}

/// A variable's text, URL-decoded.
fn variable(variables: &Map<String, Value>, name: &str) -> Option<String> {
    match variables.get(name)? {
        Value::String(s) => Some(percent_decode(s)),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The JSON document of a body: raw JSON, a form with `cdr=`, or base64.
fn decode_body(body: &[u8]) -> Result<Value, CdrError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| CdrError::new("body", "is not UTF-8"))?
        .trim();
    let json = if text.starts_with('{') {
        text.to_owned()
    } else if let Some(form) = form_field(text, "cdr") {
        match form.trim_start().starts_with('{') {
            true => form,
            // `encode=base64`: a form field holding base64, not URL-encoded JSON.
            false => decode_base64(raw_form_field(text, "cdr").unwrap_or_default().as_str())?,
        }
    } else {
        decode_base64(text)?
    };
    let value: Value = serde_json::from_str(&json)
        .map_err(|e| CdrError::new("body", format!("is not JSON: {e}")))?;
    if !value.is_object() {
        return Err(CdrError::new("body", "must be a JSON object"));
    }
    Ok(value)
}

fn decode_base64(text: &str) -> Result<String, CdrError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| CdrError::new("body", "is neither JSON, a form with cdr=, nor base64"))?;
    String::from_utf8(bytes)
        .map_err(|_| CdrError::new("body", "base64 of something that is not UTF-8"))
}

/// A form field's value as sent (base64 uses `+`, which is not a space there).
fn raw_form_field(text: &str, name: &str) -> Option<String> {
    text.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| percent_decode(value))
    })
}

fn form_field(text: &str, name: &str) -> Option<String> {
    text.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| percent_decode(&value.replace('+', " ")))
    })
}

/// `%41` → `A`; invalid escapes are kept as they are.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}
