//! Fuzzing the batch parser (JSON arrays and NDJSON of events) for a bounded time in
//! every test run: arbitrary bytes, and valid batches with bytes inserted, removed and
//! replaced, must never panic, never give more items than the limit, and every event
//! it accepts must be a valid received event that reads back the same from its
//! canonical form. `PROPTEST_CASES` runs more (`docs/reliability.md`); the deeper,
//! coverage-guided runs are the `cargo fuzz` targets in `fuzz/`.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value;
use tally_core::batch::{self, Format};
use tally_core::{Currency, Event};

const MAX: usize = 50;

fn now() -> jiff::Timestamp {
    "2026-11-27T12:00:00+07:00".parse().unwrap()
}

/// A valid batch to start from: one event of each kind that parses.
const SEED: &str = r#"[
{"id": "e1", "type": "call", "at": "2026-11-27T09:00:00+07:00", "user_id": "lan", "direction": "outbound", "answered": true, "talk_seconds": 185, "customer_id": "c1", "phone": "0901234567"},
{"id": "e2", "type": "customer.created", "at": "2026-11-27T02:01:00Z", "user_id": "lan", "customer_id": "c1", "name": "Công ty An Phát"},
{"id": "e3", "type": "opportunity.created", "at": "2026-11-27T09:02:00+07:00", "user_id": "lan", "opportunity_id": "o1", "customer_id": "c1", "amount": "15000000"},
{"id": "e4", "type": "opportunity.status_changed", "at": "2026-11-27T09:03:00+07:00", "user_id": "lan", "opportunity_id": "o1", "status": "won"},
{"id": "e5", "type": "todo.created", "at": "2026-11-27T09:04:00+07:00", "user_id": "lan", "todo_id": "t1", "assignee_id": "minh"},
{"id": "e6", "type": "sms.sent", "at": "2026-11-27T09:05:00+07:00", "user_id": "lan", "customer_id": "c1", "delivered": true}
]"#;

fn seed(format: Format) -> Vec<u8> {
    match format {
        Format::Json => SEED.as_bytes().to_vec(),
        Format::Ndjson => SEED
            .trim_matches(['[', ']', '\n'])
            .replace("},\n{", "}\n{")
            .into_bytes(),
    }
}

/// An edit of a body: insert, remove or replace bytes at a position.
#[derive(Clone, Debug)]
enum Edit {
    Insert(usize, Vec<u8>),
    Remove(usize, usize),
    Replace(usize, u8),
}

fn edit() -> impl Strategy<Value = Edit> {
    let bytes = prop::collection::vec(
        prop_oneof![
            any::<u8>(),
            prop::sample::select(b"{}[],:\"\\ 0-e.\n\x00".to_vec())
        ],
        1..8,
    );
    prop_oneof![
        (any::<usize>(), bytes).prop_map(|(at, b)| Edit::Insert(at, b)),
        (any::<usize>(), 1..16usize).prop_map(|(at, n)| Edit::Remove(at, n)),
        (any::<usize>(), any::<u8>()).prop_map(|(at, b)| Edit::Replace(at, b)),
    ]
}

fn mutated(mut body: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let len = body.len().max(1);
        match e {
            Edit::Insert(at, bytes) => {
                let at = at % (body.len() + 1);
                body.splice(at..at, bytes.iter().copied());
            }
            Edit::Remove(at, n) => {
                let at = at % len;
                let end = (at + n).min(body.len());
                if at < end {
                    body.drain(at..end);
                }
            }
            Edit::Replace(at, byte) => {
                if !body.is_empty() {
                    let at = at % body.len();
                    body[at] = *byte;
                }
            }
        }
    }
    body
}

/// What must hold of any body, whatever the parser made of it.
fn holds(body: &[u8], format: Format) {
    let currency = Currency::default();
    let Ok(items) = batch::parse(body, format, &currency, now(), MAX) else {
        return;
    };
    assert!(items.len() <= MAX);
    for (position, item) in items.iter().enumerate() {
        match item {
            Ok((index, event)) => {
                assert_eq!(*index, position);
                let canonical: Value = serde_json::from_str(&event.canonical_json()).unwrap();
                let again = Event::parse_received(&canonical, &currency, now()).unwrap();
                assert_eq!(&again, event);
            }
            Err(rejected) => {
                assert_eq!(rejected.index, position);
                assert!(!rejected.field.is_empty());
                assert!(!rejected.message.is_empty());
            }
        }
    }
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
    fn any_bytes_as_a_json_batch(body in prop::collection::vec(any::<u8>(), 0..400)) {
        holds(&body, Format::Json);
    }

    #[test]
    fn any_bytes_as_ndjson(body in prop::collection::vec(any::<u8>(), 0..400)) {
        holds(&body, Format::Ndjson);
    }

    #[test]
    fn an_edited_json_batch(edits in prop::collection::vec(edit(), 1..6)) {
        holds(&mutated(seed(Format::Json), &edits), Format::Json);
    }

    #[test]
    fn an_edited_ndjson_batch(edits in prop::collection::vec(edit(), 1..6)) {
        holds(&mutated(seed(Format::Ndjson), &edits), Format::Ndjson);
    }
}

#[test]
fn the_seeds_parse_whole() {
    for format in [Format::Json, Format::Ndjson] {
        let items = batch::parse(&seed(format), format, &Currency::default(), now(), MAX).unwrap();
        assert_eq!(items.len(), 6);
        assert!(items.iter().all(Result::is_ok), "{items:?}");
    }
}

/// Inputs that once broke a parser or an assumption stay here.
#[test]
fn regressions() {
    for (body, format) in [
        (&b"[1e400]"[..], Format::Json),
        (b"[{\"id\":\"a\",\"at\":\"2026-11-27T09:00:00+99:99\"}]", Format::Json),
        (b"\n\n\r\n", Format::Ndjson),
        (b"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]", Format::Json),
    ] {
        holds(body, format);
    }
}
