//! A call record from any PBX, and how it becomes a `call` event.
//!
//! Direction comes from the extension mapping (`docs/decisions.md`, "Calls from the
//! phone system"): a mapped extension calling an outside number is an **outbound** call
//! of that extension's user; an outside number reaching a mapped extension is an
//! **inbound** call of its user; extension to extension is **internal** and not counted;
//! a record where an extension-like number is not mapped, or where no side is a mapped
//! extension, is **kept aside** until the extension is mapped.

use crate::CdrError;
use crate::phone::{is_extension_like, normalize};
use jiff::Timestamp;
use serde_json::{Value, json};
use std::collections::HashMap;

/// Which phone system a record came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Asterisk,
    FreeSwitch,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Asterisk => "asterisk",
            Source::FreeSwitch => "freeswitch",
        }
    }
}

impl std::str::FromStr for Source {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "asterisk" => Ok(Source::Asterisk),
            "freeswitch" => Ok(Source::FreeSwitch),
            _ => Err(format!("'{s}' is not a known phone system")),
        }
    }
}

/// One call record, whatever the PBX.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallRecord {
    pub source: Source,
    /// The PBX's unique id of the record: the idempotency key.
    pub uid: String,
    /// When the call started.
    pub start: Timestamp,
    /// The calling number (an extension on outbound calls).
    pub caller: String,
    /// The extension of the calling channel, when the PBX names it (`PJSIP/201-…`).
    pub caller_channel: Option<String>,
    /// The number called.
    pub callee: String,
    /// The extension of the answering channel, when the PBX names it.
    pub callee_channel: Option<String>,
    /// The queue the call went through, when the PBX names one (Asterisk's `Queue`
    /// application, FreeSWITCH's `cc_queue`).
    pub queue: Option<String>,
    pub answered: bool,
    /// Seconds of conversation (0 when not answered).
    pub talk_seconds: i64,
    /// The second leg of a call whose first leg has its own record (FreeSWITCH B leg):
    /// the call counts once, from the first.
    pub other_leg: bool,
}

impl CallRecord {
    /// The record, unless one of its texts holds a NUL character (a corrupt line): no
    /// database stores one alike, so it is refused here, naming the field.
    pub fn without_nul(self) -> Result<CallRecord, CdrError> {
        let texts = [
            ("uid", Some(&self.uid)),
            ("caller", Some(&self.caller)),
            ("caller_channel", self.caller_channel.as_ref()),
            ("callee", Some(&self.callee)),
            ("callee_channel", self.callee_channel.as_ref()),
            ("queue", self.queue.as_ref()),
        ];
        match texts
            .iter()
            .find(|(_, text)| text.is_some_and(|t| t.contains('\0')))
        {
            Some((field, _)) => Err(CdrError::new(field, "contains a NUL character")),
            None => Ok(self),
        }
    }

    /// The record as JSON, to keep it aside and classify it again later.
    pub fn to_json(&self) -> Value {
        json!({
            "source": self.source.as_str(),
            "uid": self.uid,
            "start": self.start.to_string(),
            "caller": self.caller,
            "caller_channel": self.caller_channel,
            "callee": self.callee,
            "callee_channel": self.callee_channel,
            "queue": self.queue,
            "answered": self.answered,
            "talk_seconds": self.talk_seconds,
            "other_leg": self.other_leg,
        })
    }

    /// A record from [`CallRecord::to_json`].
    pub fn from_json(value: &Value) -> Option<CallRecord> {
        let text = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_owned);
        Some(CallRecord {
            source: text("source")?.parse().ok()?,
            uid: text("uid")?,
            start: text("start")?.parse().ok()?,
            caller: text("caller")?,
            caller_channel: text("caller_channel"),
            callee: text("callee")?,
            callee_channel: text("callee_channel"),
            queue: text("queue"),
            answered: value.get("answered")?.as_bool()?,
            talk_seconds: value.get("talk_seconds")?.as_i64()?,
            other_leg: value
                .get("other_leg")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }
}

/// Who has which extension, which customer has which phone, and which line is which
/// sales channel.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    /// Extension → user id.
    pub extensions: HashMap<String, String>,
    /// Normalised phone → customer id.
    pub customers: HashMap<String, String>,
    /// A line (a number called, or a queue) → the channel its inbound calls come
    /// from, by [`line_key`]: set with [`Directory::with_lines`].
    lines: HashMap<String, String>,
}

/// How a line is matched: a number in any notation (`1900 1234`, `+84 28 7300 0000`)
/// by its normalised digits, a queue's name trimmed and in lowercase (PBXs find
/// queues whatever their case).
pub fn line_key(line: &str) -> String {
    normalize(line).unwrap_or_else(|| line.trim().to_lowercase())
}

/// What a record is.
#[derive(Clone, Debug, PartialEq)]
pub enum Classified {
    /// A call of a user: the `call` event to ingest.
    Call(Value),
    /// Extension to extension: not counted.
    Internal,
    /// The other leg of a call counted from its first leg: not counted again.
    OtherLeg,
    /// No side is a mapped extension: kept aside with the extension that wants a user
    /// (none when the record names no extension at all) and the reason.
    Unmapped {
        extension: Option<String>,
        reason: String,
    },
}

impl Directory {
    /// Extensions → user ids, normalised phones → customer ids, and no lines.
    pub fn new(
        extensions: HashMap<String, String>,
        customers: HashMap<String, String>,
    ) -> Directory {
        Directory {
            extensions,
            customers,
            lines: HashMap::new(),
        }
    }

    /// The directory with the sales channels' phone lines: (line, channel id) pairs.
    pub fn with_lines(mut self, lines: impl IntoIterator<Item = (String, String)>) -> Directory {
        self.lines = lines
            .into_iter()
            .map(|(line, channel)| (line_key(&line), channel))
            .collect();
        self
    }

    /// The channel of an inbound call: its queue's, else the number it called.
    fn channel_of(&self, record: &CallRecord) -> Option<&String> {
        let line = |text: &str| self.lines.get(&line_key(text));
        record
            .queue
            .as_deref()
            .and_then(line)
            .or_else(|| line(&record.callee))
    }

    fn user_of(&self, number: Option<&str>) -> Option<&String> {
        number.and_then(|n| self.extensions.get(n))
    }

    /// The user of one side: the channel's extension when the channel names one (a
    /// call picked up on another extension is that extension's), else the number.
    fn side(&self, channel: Option<&str>, number: &str) -> Option<&String> {
        match channel.filter(|c| is_extension_like(c)) {
            Some(extension) => self.user_of(Some(extension)),
            None => self.user_of(Some(number)),
        }
    }
}

/// Classifies a record with the directory.
pub fn classify(record: &CallRecord, directory: &Directory) -> Classified {
    if record.other_leg {
        return Classified::OtherLeg;
    }
    let caller = directory.side(record.caller_channel.as_deref(), &record.caller);
    let callee = directory.side(record.callee_channel.as_deref(), &record.callee);
    let unmapped_extension = |channel: &Option<String>, number: &str| {
        channel
            .clone()
            .filter(|c| is_extension_like(c))
            .or_else(|| is_extension_like(number).then(|| number.to_owned()))
    };
    match (caller, callee) {
        (Some(_), Some(_)) => Classified::Internal,
        (Some(user), None) => match unmapped_extension(&record.callee_channel, &record.callee) {
            Some(ext) => not_mapped(ext),
            None => Classified::Call(event(record, user, "outbound", &record.callee, directory)),
        },
        (None, Some(user)) => match unmapped_extension(&record.caller_channel, &record.caller) {
            Some(ext) => not_mapped(ext),
            None => Classified::Call(event(record, user, "inbound", &record.caller, directory)),
        },
        (None, None) => {
            let ext = unmapped_extension(&record.caller_channel, &record.caller)
                .or_else(|| unmapped_extension(&record.callee_channel, &record.callee));
            match ext {
                Some(ext) => not_mapped(ext),
                None => Classified::Unmapped {
                    extension: None,
                    reason: format!(
                        "no extension in the call from '{}' to '{}'",
                        record.caller, record.callee
                    ),
                },
            }
        }
    }
}

/// A record kept aside for an extension no user has.
fn not_mapped(extension: String) -> Classified {
    Classified::Unmapped {
        reason: format!("extension {extension} is not mapped to a user"),
        extension: Some(extension),
    }
}

/// The event id of a record: its source and unique id.
pub fn event_id(record: &CallRecord) -> String {
    format!("{}-{}", record.source.as_str(), record.uid)
}

fn event(
    record: &CallRecord,
    user: &str,
    direction: &str,
    other: &str,
    directory: &Directory,
) -> Value {
    let phone = normalize(other);
    let mut event = json!({
        "id": event_id(record),
        "type": "call",
        "user_id": user,
        "at": record.start.to_string(),
        "direction": direction,
        "answered": record.answered,
        "talk_seconds": if record.answered { record.talk_seconds } else { 0 },
    });
    if let Some(phone) = phone {
        if let Some(customer) = directory.customers.get(&phone) {
            event["customer_id"] = json!(customer);
        }
        event["phone"] = json!(phone);
    }
    if direction == "inbound"
        && let Some(channel) = directory.channel_of(record)
    {
        event["channel"] = json!(channel);
    }
    event
}

/// The extension in a phone's channel name: `PJSIP/201-00000013` → `201`,
/// `SIP/201@host-0001` → `201`, `Local/201@from-queue-0001;1` → `201`. Trunk
/// technologies (`DAHDI/1-1`) name no extension.
pub fn channel_extension(channel: &str) -> Option<String> {
    let (technology, rest) = channel.split_once('/')?;
    if !["SIP", "PJSIP", "IAX2", "Local"].contains(&technology) {
        return None;
    }
    let name = match rest.find(['@', ';']) {
        Some(end) => &rest[..end],
        None => rest.rsplit_once('-').map_or(rest, |(name, _)| name),
    };
    (!name.is_empty()).then(|| name.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_names_give_their_extension() {
        assert_eq!(
            channel_extension("PJSIP/201-00000013").as_deref(),
            Some("201")
        );
        assert_eq!(
            channel_extension("SIP/202-0000a1b2").as_deref(),
            Some("202")
        );
        assert_eq!(
            channel_extension("Local/203@from-queue-00000001;1").as_deref(),
            Some("203")
        );
        assert_eq!(
            channel_extension("PJSIP/trunk-00000012").as_deref(),
            Some("trunk")
        );
        assert_eq!(channel_extension(""), None);
        assert_eq!(channel_extension("DAHDI/1-1"), None);
    }
}
