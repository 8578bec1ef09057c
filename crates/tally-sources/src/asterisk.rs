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
const START: usize = 9;
const BILLSEC: usize = 13;
const DISPOSITION: usize = 14;
const UNIQUEID: usize = 16;
const SEQUENCE: usize = 20;

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
    reader.into_records().enumerate().map(move |(i, row)| {
        let line = row
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(i as u64 + 1, |p| p.line());
        let record = row
            .map_err(|e| CdrError::new("line", format!("is not valid CSV: {e}")))
            .and_then(|row| parse(&row, &zone));
        (line, record)
    })
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
    Ok(CallRecord {
        source: Source::Asterisk,
        uid: unique_id(row),
        start,
        caller: field(SRC).to_owned(),
        caller_channel: channel_extension(field(CHANNEL)),
        callee: field(DST).to_owned(),
        callee_channel: channel_extension(field(DSTCHANNEL)),
        answered,
        talk_seconds: if answered { billsec } else { 0 },
    })
}

/// `uniqueid` (with `sequence` when logged); without them, a hash of the whole row, so
/// that importing the same file twice is still a no-op.
fn unique_id(row: &csv::StringRecord) -> String {
    let field = |i: usize| row.get(i).map(str::trim).filter(|s| !s.is_empty());
    match (field(UNIQUEID), field(SEQUENCE)) {
        (Some(id), Some(sequence)) => format!("{id}-{sequence}"),
        (Some(id), None) => id.to_owned(),
        _ => {
            let joined = row.iter().collect::<Vec<_>>().join("\u{1f}");
            format!("h{}", &hex::encode(Sha256::digest(joined.as_bytes()))[..24])
        }
    }
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
