//! Any bytes as a FreeSWITCH `mod_json_cdr` post (raw JSON, `cdr=` form or base64):
//! never a panic, and a record read is sane.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tally_sources::freeswitch;

fuzz_target!(|body: &[u8]| {
    if let Ok(record) = freeswitch::parse(body) {
        assert!(!record.uid.is_empty() && !record.uid.contains('\0'));
        assert!(record.talk_seconds >= 0);
        assert!(record.answered || record.talk_seconds == 0);
    }
});
