//! Any bytes as an Asterisk `Master.csv`: never a panic, and every record read is sane
//! (no NUL in its texts, no negative talk time, none unless answered).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tally_sources::asterisk;

fuzz_target!(|body: &[u8]| {
    for (line, record) in asterisk::read(body, jiff::tz::TimeZone::UTC) {
        assert!(line >= 1);
        if let Ok(record) = record {
            assert!(!record.uid.contains('\0') && !record.caller.contains('\0'));
            assert!(record.talk_seconds >= 0);
            assert!(record.answered || record.talk_seconds == 0);
        }
    }
});
