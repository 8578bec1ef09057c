//! Asterisk `cdr_csv` (`Master.csv`): no header, 16 to 21 columns in the documented
//! order (`spec/cdr-formats.md`), local times unless the PBX writes UTC (`usegmtime`).

use crate::CdrError;
use crate::call::{CallRecord, Source, channel_extension};
use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use sha2::{Digest, Sha256};

const SRC: usize = 1;
const DST: usize = 2;
const CHANNEL: usize = 5;
const DSTCHANNEL: usize = 6;
const LASTAPP: usize = 7;
const LASTDATA: usize = 8;
const START: usize = 9;
const BILLSEC: usize = 13;
const DISPOSITION: usize = 14;
/// The first optional column: `uniqueid` (or `userfield` when only that is logged).
const OPTIONAL: usize = 16;

/// Reads `Master.csv`: each record with its line number (1-based), parsed or not.
/// `zone` is the time zone the PBX writes its times in.
pub fn read(
    input: impl std::io::Read,
    zone: TimeZone,
) -> impl Iterator<Item = (u64, Result<CallRecord, CdrError>)> {
    let reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    reader.into_byte_records().enumerate().map(move |(i, row)| {
        let line = row
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i as u64 + 1, |p| p.line());
        let record = row
            .map_err(|e| CdrError::new("line", format!("is not valid CSV: {e}")))
            .and_then(|row| parse(&lossy(&row), &zone));
        (line, record)
    })
}

/// A row as text; bytes that are not UTF-8 (a caller name in a legacy encoding) become
/// U+FFFD, and only those fields are affected.
fn lossy(row: &csv::ByteRecord) -> csv::StringRecord {
    row.iter().map(String::from_utf8_lossy).collect()
}

/// One `Master.csv` row.
pub fn parse(row: &csv::StringRecord, zone: &TimeZone) -> Result<CallRecord, CdrError> {
    if !(16..=21).contains(&row.len()) {
        return Err(CdrError::new(
            "columns",
            format!("expected 16 to 21 columns, found {}", row.len()),
        ));
    }
    let field = |i: usize| row.get(i).unwrap_or("").trim();
    let start = parse_time(field(START), zone)?;
    let disposition = field(DISPOSITION);
    if !["ANSWERED", "NO ANSWER", "BUSY", "FAILED", "CONGESTION"].contains(&disposition) {
        return Err(CdrError::new(
            "disposition",
            format!("'{disposition}' is not a known disposition"),
        ));
    }
    let billsec: i64 = field(BILLSEC)
        .parse()
        .ok()
        .filter(|s| *s >= 0)
        .ok_or_else(|| {
            CdrError::new(
                "billsec",
                format!("'{}' is not a number of seconds", field(BILLSEC)),
            )
        })?;
    let answered = disposition == "ANSWERED";
    CallRecord {
        source: Source::Asterisk,
        uid: unique_id(row),
        start,
        caller: field(SRC).to_owned(),
        caller_channel: channel_extension(field(CHANNEL)),
        callee: field(DST).to_owned(),
        callee_channel: channel_extension(field(DSTCHANNEL)),
        queue: queue_of(field(LASTAPP), field(LASTDATA)),
        answered,
        talk_seconds: if answered { billsec } else { 0 },
        other_leg: false,
    }
    .without_nul()
}

/// The queue of a call whose last application was `Queue(name,options…)`.
fn queue_of(last_app: &str, last_data: &str) -> Option<String> {
    let name = last_data
        .split([',', '|'])
        .next()
        .unwrap_or_default()
        .trim();
    (last_app.eq_ignore_ascii_case("queue") && !name.is_empty()).then(|| name.to_owned())
}

/// The record's key. The optional columns follow the core 16 in this order:
/// `uniqueid`, `userfield`, then `peeraccount, linkedid, sequence`; which are present
/// shows in the column count (19 or more: the last three are the new columns).
/// `uniqueid` is the call's first channel, shared by every CDR of a transferred call,
/// so `sequence` makes it unique; without `sequence`, a hash of the leg (its answering
/// channel and times) does. A file with no `uniqueid` is keyed on a hash of the row.
/// The same row always gives the same key, so importing a file twice is a no-op.
fn unique_id(row: &csv::StringRecord) -> String {
    let field = |i: usize| row.get(i).map(str::trim).filter(|s| !s.is_empty());
    let has_new_columns = row.len() >= 19;
    let uniqueid = field(OPTIONAL).filter(|id| looks_like_uniqueid(id));
    let sequence = has_new_columns.then(|| field(row.len() - 1)).flatten();
    let hash = |parts: &[usize]| {
        let joined: Vec<&str> = parts.iter().map(|i| row.get(*i).unwrap_or("")).collect();
        hex::encode(Sha256::digest(joined.join("\u{1f}").as_bytes()))
    };
    match (uniqueid, sequence) {
        (Some(id), Some(sequence)) => format!("{id}-{sequence}"),
        (Some(id), None) => format!("{id}-{}", &hash(&[DSTCHANNEL, START, 10, 11])[..12]),
        (None, _) => format!("h{}", &hash(&(0..row.len()).collect::<Vec<_>>())[..24]),
    }
}

/// `1778463005.18`: seconds, a dot, a counter.
fn looks_like_uniqueid(text: &str) -> bool {
    text.split_once('.').is_some_and(|(a, b)| {
        !a.is_empty() && !b.is_empty() && (a.bytes().chain(b.bytes())).all(|c| c.is_ascii_digit())
    })
}

fn parse_time(text: &str, zone: &TimeZone) -> Result<jiff::Timestamp, CdrError> {
    let invalid = || {
        CdrError::new(
            "start",
            format!("'{text}' is not a time YYYY-MM-DD HH:MM:SS"),
        )
    };
    let civil = DateTime::strptime("%Y-%m-%d %H:%M:%S", text).map_err(|_| invalid())?;
    zone.to_ambiguous_zoned_datetime(civil)
        .compatible()
        .map(|z| z.timestamp())
        .map_err(|_| invalid())
}
