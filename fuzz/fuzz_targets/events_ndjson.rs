//! Any bytes as a batch of events (ndjson): never a panic, never more than the limit,
//! and every accepted event reads back the same from its canonical form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tally_core::batch::{self, Format};
use tally_core::{Currency, Event};

fuzz_target!(|body: &[u8]| {
    let currency = Currency::default();
    let now: jiff::Timestamp = "2026-11-27T12:00:00+07:00".parse().expect("a time");
    if let Ok(items) = batch::parse(body, Format::Ndjson, &currency, now, 100) {
        assert!(items.len() <= 100);
        for (index, event) in items.into_iter().flatten() {
            let canonical: serde_json::Value =
                serde_json::from_str(&event.canonical_json()).expect("canonical JSON");
            let again = Event::parse_received(&canonical, &currency, now);
            assert_eq!(again.as_ref(), Ok(&event), "event {index}");
        }
    }
});
