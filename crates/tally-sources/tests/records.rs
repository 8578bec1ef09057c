//! Call records from the fixtures (written from the formats' documentation, see
//! `spec/cdr-formats.md`) through parsing and classification.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use tally_sources::{CallRecord, Classified, Directory, asterisk, classify, freeswitch};

fn directory() -> Directory {
    let mut directory = Directory::default();
    for (ext, user) in [
        ("201", "lan"),
        ("202", "minh"),
        ("1001", "lan"),
        ("1002", "minh"),
    ] {
        directory.extensions.insert(ext.into(), user.into());
    }
    directory
        .customers
        .insert("0912345678".into(), "cust-a".into());
    directory
        .customers
        .insert("0933333333".into(), "cust-b".into());
    directory
}

fn master() -> Vec<(u64, Result<CallRecord, tally_sources::CdrError>)> {
    let file = std::fs::File::open(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/Master.csv"
    ))
    .unwrap();
    asterisk::read(file, jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap()).collect()
}

fn call(classified: &Classified) -> &Value {
    match classified {
        Classified::Call(event) => event,
        other => panic!("not a call: {other:?}"),
    }
}

#[test]
fn every_asterisk_disposition_and_direction() {
    let records = master();
    assert_eq!(records.len(), 11);
    let dir = directory();
    let classified: Vec<Classified> = records
        .iter()
        .take(10)
        .map(|(_, r)| classify(r.as_ref().unwrap(), &dir))
        .collect();
    let inbound = call(&classified[0]).clone();
    let id = inbound["id"].as_str().unwrap().to_owned();
    assert!(
        id.starts_with("asterisk-1778463005.18-"),
        "uniqueid and a hash of the leg: {id}"
    );
    let expected = json!({"id": id, "type": "call", "user_id": "lan", "at": "2026-05-11T01:30:05Z",
               "direction": "inbound", "answered": true, "talk_seconds": 280, "phone": "0901234567"});
    assert_eq!(inbound, expected);
    let no_answer = call(&classified[1]);
    assert_eq!(
        (
            no_answer["direction"].as_str(),
            no_answer["answered"].as_bool()
        ),
        (Some("outbound"), Some(false))
    );
    assert_eq!(
        (
            no_answer["talk_seconds"].as_i64(),
            no_answer["customer_id"].as_str()
        ),
        (Some(0), Some("cust-a"))
    );
    let normalised = call(&classified[2]);
    assert_eq!(
        (normalised["user_id"].as_str(), normalised["phone"].as_str()),
        (Some("minh"), Some("0912345678"))
    );
    assert_eq!(
        (
            normalised["customer_id"].as_str(),
            normalised["talk_seconds"].as_i64()
        ),
        (Some("cust-a"), Some(300))
    );
    for (i, user) in [(3, "minh"), (4, "lan")] {
        let missed = call(&classified[i]);
        assert_eq!(
            (missed["user_id"].as_str(), missed["answered"].as_bool()),
            (Some(user), Some(false)),
            "busy / failed"
        );
    }
    assert_eq!(classified[5], Classified::Internal);
    // A transfer: each leg is a call of the agent who talked, keyed by uniqueid-sequence.
    let (first, second) = (call(&classified[6]), call(&classified[7]));
    assert_eq!(
        (
            first["id"].as_str(),
            first["user_id"].as_str(),
            first["talk_seconds"].as_i64()
        ),
        (Some("asterisk-1778472000.50-1"), Some("lan"), Some(60))
    );
    assert_eq!(
        (
            second["id"].as_str(),
            second["user_id"].as_str(),
            second["talk_seconds"].as_i64()
        ),
        (Some("asterisk-1778472000.50-2"), Some("minh"), Some(180))
    );
    assert_eq!(first["customer_id"], "cust-b");
    assert_eq!(
        classified[8],
        Classified::Unmapped {
            extension: Some("299".into()),
            reason: "extension 299 is not mapped to a user".into()
        }
    );
    // 16 columns, no uniqueid: a stable id from the row's content.
    let no_uid = call(&classified[9]);
    assert!(no_uid["id"].as_str().unwrap().starts_with("asterisk-h"));
    assert_eq!(no_uid["at"], "2026-05-11T16:59:30Z");
    let kept = records[8].1.as_ref().unwrap();
    assert_eq!(CallRecord::from_json(&kept.to_json()).as_ref(), Some(kept));
    let again = master();
    assert_eq!(
        again[9].1.as_ref().unwrap().uid,
        records[9].1.as_ref().unwrap().uid
    );
    let (line, error) = (&records[10].0, records[10].1.as_ref().unwrap_err());
    assert_eq!((*line, error.field.as_str()), (11, "start"));
}

#[test]
fn mapping_the_extension_turns_a_kept_aside_record_into_a_call() {
    let records = master();
    let record = records[8].1.as_ref().unwrap();
    let mut dir = directory();
    assert!(matches!(
        classify(record, &dir),
        Classified::Unmapped { .. }
    ));
    dir.extensions.insert("299".into(), "sue".into());
    assert_eq!(call(&classify(record, &dir))["user_id"], "sue");
    // Nothing mapped at all: kept aside, naming the extension.
    let empty = Directory::default();
    assert_eq!(
        classify(records[0].1.as_ref().unwrap(), &empty),
        Classified::Unmapped {
            extension: Some("201".into()),
            reason: "extension 201 is not mapped to a user".into()
        }
    );
}

#[test]
fn legs_of_a_transfer_without_sequence_are_distinct_and_trunks_are_no_extension() {
    // 18 columns (uniqueid, userfield): both legs carry the first channel's uniqueid.
    let rows = concat!(
        "\"\",\"0933333333\",\"201\",\"from-trunk\",\"\",\"DAHDI/1-1\",\"PJSIP/201-0000a\",\"Dial\",\"\",\"2026-05-11 11:00:00\",\"2026-05-11 11:00:05\",\"2026-05-11 11:01:05\",65,60,\"ANSWERED\",\"DOCUMENTATION\",\"1778472000.50\",\"\"\n",
        "\"\",\"0933333333\",\"202\",\"from-trunk\",\"\",\"DAHDI/1-1\",\"PJSIP/202-0000b\",\"Dial\",\"\",\"2026-05-11 11:01:05\",\"2026-05-11 11:01:06\",\"2026-05-11 11:04:06\",181,180,\"ANSWERED\",\"DOCUMENTATION\",\"1778472000.50\",\"\"\n",
        // Picked up on 205, which no one has: kept aside, not credited to 201.
        "\"\",\"0933333333\",\"201\",\"from-trunk\",\"\",\"DAHDI/1-1\",\"PJSIP/205-0000c\",\"Dial\",\"\",\"2026-05-11 12:00:00\",\"2026-05-11 12:00:05\",\"2026-05-11 12:01:05\",65,60,\"ANSWERED\",\"DOCUMENTATION\",\"1778475000.70\",\"\"\n",
    );
    let mut bytes = rows.as_bytes().to_vec();
    // A caller name in a legacy encoding: only that field is affected.
    bytes.extend_from_slice(b"\"\",\"201\",\"0912345678\",\"from-internal\",\"\"\"Nguy\xea\xf1\"\" <201>\",\"PJSIP/201-0000d\",\"PJSIP/trunk-0000e\",\"Dial\",\"\",\"2026-05-11 13:00:00\",,\"2026-05-11 13:00:30\",30,0,\"NO ANSWER\",\"DOCUMENTATION\",\"1778479200.90\",\"\"\n");
    let records: Vec<CallRecord> = asterisk::read(&bytes[..], jiff::tz::TimeZone::UTC)
        .map(|(_, r)| r.unwrap())
        .collect();
    assert_ne!(records[0].uid, records[1].uid);
    let dir = directory();
    let (first, second) = (classify(&records[0], &dir), classify(&records[1], &dir));
    assert_eq!(
        (
            call(&first)["user_id"].as_str(),
            call(&first)["talk_seconds"].as_i64()
        ),
        (Some("lan"), Some(60))
    );
    assert_eq!(
        (
            call(&second)["user_id"].as_str(),
            call(&second)["talk_seconds"].as_i64()
        ),
        (Some("minh"), Some(180))
    );
    assert_eq!(
        classify(&records[2], &dir),
        Classified::Unmapped {
            extension: Some("205".into()),
            reason: "extension 205 is not mapped to a user".into()
        }
    );
    assert_eq!(call(&classify(&records[3], &dir))["direction"], "outbound");
}

#[test]
fn bad_rows_name_the_field() {
    let zone = jiff::tz::TimeZone::UTC;
    let rows = "\"\",\"201\"\n\"\",\"201\",\"0912\",\"c\",\"\",\"PJSIP/201-1\",\"\",\"Dial\",\"\",\"2026-05-11 08:00:00\",,\"2026-05-11 08:00:01\",1,0,\"HUNG UP\",\"DOCUMENTATION\"\n";
    let results: Vec<_> = asterisk::read(rows.as_bytes(), zone).collect();
    assert_eq!(results[0].1.as_ref().unwrap_err().field, "columns");
    assert_eq!(results[1].1.as_ref().unwrap_err().field, "disposition");
    assert_eq!(results[1].0, 2);
}

#[test]
fn a_nul_character_in_a_record_is_refused_naming_the_field() {
    let zone = jiff::tz::TimeZone::UTC;
    let row = "\"\",\"201\",\"0912345678\",\"c\",\"\",\"PJSIP/201-1\",\"\",\"Dial\",\"\",\"2026-05-11 08:00:00\",,\"2026-05-11 08:00:01\",1,0,\"NO ANSWER\",\"DOCUMENTATION\",\"1778463005.1\0\"\n";
    // Not a uniqueid: the record is keyed on a hash of its row, which holds no NUL.
    let results: Vec<_> = asterisk::read(row.as_bytes(), zone.clone()).collect();
    assert!(results[0].1.as_ref().unwrap().uid.starts_with('h'));
    let caller = row.replace("\"201\"", "\"2\u{0}01\"");
    let results: Vec<_> = asterisk::read(caller.as_bytes(), zone.clone()).collect();
    assert_eq!(results[0].1.as_ref().unwrap_err().field, "caller");
    let callee = row.replace("0912345678", "0912\u{0}345678");
    let results: Vec<_> = asterisk::read(callee.as_bytes(), zone).collect();
    assert_eq!(results[0].1.as_ref().unwrap_err().field, "callee");
    let cdr = json!({"variables": {"uuid": "abc\u{0}", "start_epoch": "1778463005"}});
    let error = freeswitch::parse(cdr.to_string().as_bytes()).unwrap_err();
    assert_eq!(error.field, "uid");
}

#[test]
fn freeswitch_json_raw_and_form_encoded() {
    let dir = directory();
    let raw = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/freeswitch-outbound.json"
    ))
    .unwrap();
    let record = freeswitch::parse(&raw).unwrap();
    let outbound = classify(&record, &dir);
    assert_eq!(
        *call(&outbound),
        json!({"id": "freeswitch-6d3c8f4a-9a7b-4c2e-8f1d-1234567890ab", "type": "call", "user_id": "lan",
               "at": "2026-05-11T01:30:05Z", "direction": "outbound", "answered": true, "talk_seconds": 280,
               "phone": "0912345678", "customer_id": "cust-a"})
    );
    let form = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/freeswitch-inbound-missed.form"
    ))
    .unwrap();
    let missed = freeswitch::parse(&form).unwrap();
    let missed = classify(&missed, &dir);
    let missed = call(&missed);
    assert_eq!(
        (missed["user_id"].as_str(), missed["direction"].as_str()),
        (Some("minh"), Some("inbound"))
    );
    assert_eq!(
        (missed["answered"].as_bool(), missed["phone"].as_str()),
        (Some(false), Some("0933333333"))
    );
    let base64 = base64_of(&raw);
    assert_eq!(freeswitch::parse(base64.as_bytes()).unwrap(), record);
    assert_eq!(
        freeswitch::parse(b"{\"variables\": {}}").unwrap_err().field,
        "variables.uuid"
    );
    // encode=base64: the form field holds base64.
    let form = format!("cdr={}", base64_of(&raw).replace('+', "%2B"));
    assert_eq!(freeswitch::parse(form.as_bytes()).unwrap(), record);
    let doc = |vars: Value| serde_json::to_vec(&json!({"variables": vars})).unwrap();
    let base = json!({"uuid": "u1", "caller_id_number": "0933333333", "destination_number": "1002",
                      "start_epoch": "1778472000", "answer_epoch": "1778472001", "end_epoch": "1778472100", "billsec": "99"});
    // Answered by an IVR and never bridged to an agent: not a conversation.
    let mut ivr = base.clone();
    ivr["bridge_epoch"] = json!("0");
    let ivr = freeswitch::parse(&doc(ivr)).unwrap();
    assert_eq!((ivr.answered, ivr.talk_seconds), (false, 0));
    // Bridged 40 s after the start: the talk is from the bridge to the end.
    let mut bridged = base.clone();
    bridged["bridge_epoch"] = json!("1778472040");
    let bridged = freeswitch::parse(&doc(bridged)).unwrap();
    assert_eq!((bridged.answered, bridged.talk_seconds), (true, 60));
    // A B leg (log-b-leg=true, FreeSWITCH's built-in default): counted once, from the A leg.
    let mut b_leg = base.clone();
    b_leg["originating_leg_uuid"] = json!("u0");
    assert_eq!(
        classify(&freeswitch::parse(&doc(b_leg)).unwrap(), &dir),
        Classified::OtherLeg
    );
    assert_eq!(freeswitch::parse(b"not a cdr").unwrap_err().field, "body");
}

fn base64_of(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn an_inbound_calls_queue_or_number_called_names_its_channel() {
    let lines = [
        ("1900 1234", "hotline"),
        ("Zalo-Q", "zalo"),
        (" support@default", "website"),
    ];
    let dir = directory().with_lines(lines.map(|(l, c)| (l.to_owned(), c.to_owned())));
    let rows = concat!(
        // To the hotline's number, answered by 201.
        r#""","0901234567","19001234","from-trunk","""A"" <0901234567>","PJSIP/trunk-00000090","PJSIP/201-00000091","Dial","PJSIP/201,30","2026-05-11 08:30:05","2026-05-11 08:30:12","2026-05-11 08:34:52",287,280,"ANSWERED","DOCUMENTATION","1778463005.90","""#,
        "\n",
        // Through the Zalo queue (its number is not a line), answered by 202.
        r#""","0933333333","500","from-trunk","""B"" <0933333333>","PJSIP/trunk-00000092","Local/202@from-queue-00000093;1","Queue","zalo-q,t,,,300","2026-05-11 09:00:00","2026-05-11 09:00:20","2026-05-11 09:05:20",320,300,"ANSWERED","DOCUMENTATION","1778464800.92","""#,
        "\n",
        // 201 calls the hotline's number out: an outbound call comes from no channel.
        r#""","201","19001234","from-internal","""Agent 201"" <201>","PJSIP/201-00000094","PJSIP/trunk-00000095","Dial","PJSIP/19001234@trunk,60","2026-05-11 10:00:00","2026-05-11 10:00:05","2026-05-11 10:01:05",65,60,"ANSWERED","DOCUMENTATION","1778468400.94","""#,
        "\n",
        // To a number that is no line: no channel.
        r#""","0944444444","201","from-trunk","""C"" <0944444444>","PJSIP/trunk-00000096","PJSIP/201-00000097","Dial","PJSIP/201,30","2026-05-11 11:00:00","2026-05-11 11:00:05","2026-05-11 11:01:05",65,60,"ANSWERED","DOCUMENTATION","1778472000.96","""#,
        "\n",
    );
    let zone = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let channels: Vec<(Option<String>, Option<String>)> = asterisk::read(rows.as_bytes(), zone)
        .map(|(_, record)| {
            let classified = classify(&record.unwrap(), &dir);
            let event = call(&classified);
            (
                event["user_id"].as_str().map(str::to_owned),
                event["channel"].as_str().map(str::to_owned),
            )
        })
        .collect();
    let some = |user: &str, channel: Option<&str>| (Some(user.into()), channel.map(Into::into));
    assert_eq!(
        channels,
        [
            some("lan", Some("hotline")),
            some("minh", Some("zalo")),
            some("lan", None),
            some("lan", None),
        ]
    );
    // FreeSWITCH names the queue in `cc_queue` (mod_callcenter).
    let doc = json!({"variables": {"uuid": "q1", "caller_id_number": "0933333333",
        "destination_number": "1002", "cc_queue": "support@default", "start_epoch": "1778472000",
        "answer_epoch": "1778472001", "end_epoch": "1778472100", "billsec": "99"}});
    let record = freeswitch::parse(&serde_json::to_vec(&doc).unwrap()).unwrap();
    assert_eq!(record.queue.as_deref(), Some("support@default"));
    assert_eq!(call(&classify(&record, &dir))["channel"], "website");
    // A record kept from before queues were read has none.
    let mut old = record.to_json();
    old.as_object_mut().unwrap().remove("queue");
    assert_eq!(CallRecord::from_json(&old).unwrap().queue, None);
}
