//! Fuzzing the phone systems' parsers for a bounded time in every test run: the
//! Asterisk CSV reader and the FreeSWITCH JSON (raw, form-encoded, base64) parser,
//! over arbitrary bytes and over the fixtures with bytes inserted, removed and
//! replaced. They must never panic, and every record they accept must be sane: no NUL
//! in its texts, no negative talk time, none unless answered, and it must classify.
//! `PROPTEST_CASES` runs more; the coverage-guided runs are the targets in `fuzz/`.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use proptest::test_runner::Config;
use tally_sources::{CallRecord, Directory, asterisk, classify, freeswitch};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn sane(record: &CallRecord) {
    for text in [&record.uid, &record.caller, &record.callee] {
        assert!(!text.contains('\0'));
    }
    assert!(record.talk_seconds >= 0);
    assert!(record.answered || record.talk_seconds == 0);
    let mut directory = Directory::default();
    directory.extensions.insert("201".into(), "lan".into());
    let _ = classify(record, &directory);
}

fn read_asterisk(body: &[u8]) {
    for (line, record) in asterisk::read(body, jiff::tz::TimeZone::UTC) {
        assert!(line >= 1);
        if let Ok(record) = record {
            sane(&record);
        }
    }
}

fn read_freeswitch(body: &[u8]) {
    if let Ok(record) = freeswitch::parse(body) {
        sane(&record);
    }
}

/// The fixture with `edits` applied: (position, bytes to insert, bytes to remove).
fn mutated(mut body: Vec<u8>, edits: &[(usize, Vec<u8>, usize)]) -> Vec<u8> {
    for (at, insert, remove) in edits {
        let at = at % (body.len() + 1);
        let end = (at + remove).min(body.len());
        body.splice(at..end, insert.iter().copied());
    }
    body
}

fn edits() -> impl Strategy<Value = Vec<(usize, Vec<u8>, usize)>> {
    let bytes = prop::collection::vec(
        prop_oneof![
            any::<u8>(),
            prop::sample::select(b"\",\n%{}:0+=\x00".to_vec())
        ],
        0..6,
    );
    prop::collection::vec((any::<usize>(), bytes, 0..12usize), 1..6)
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(25_000)
}

proptest! {
    #![proptest_config(Config { cases: cases(), failure_persistence: None, ..Config::default() })]

    #[test]
    fn any_bytes_as_a_master_csv(body in prop::collection::vec(any::<u8>(), 0..600)) {
        read_asterisk(&body);
    }

    #[test]
    fn an_edited_master_csv(edits in edits()) {
        read_asterisk(&mutated(fixture("Master.csv"), &edits));
    }

    #[test]
    fn any_bytes_as_a_freeswitch_cdr(body in prop::collection::vec(any::<u8>(), 0..600)) {
        read_freeswitch(&body);
    }

    #[test]
    fn an_edited_freeswitch_cdr(
        edits in edits(),
        which in prop::sample::select(vec!["freeswitch-outbound.json", "freeswitch-inbound-missed.form"]),
    ) {
        read_freeswitch(&mutated(fixture(which), &edits));
    }
}

/// Inputs that once broke a parser or an assumption stay here.
#[test]
fn regressions() {
    read_freeswitch(b"cdr=%");
    read_freeswitch(b"{\"variables\": {\"uuid\": \"a\", \"start_epoch\": \"99999999999999999\"}}");
    read_asterisk(b"\"\n");
}
