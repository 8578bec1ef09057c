//! Calls from the phone system: Asterisk `Master.csv` uploads and FreeSWITCH JSON CDRs
//! become call events of the users whose extensions they name.

use crate::both;
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tally_core::Role;

both!(
    asterisk_records_count_once_and_unmapped_ones_wait_for_their_extension,
    freeswitch_posts_its_cdrs,
    inbound_calls_through_a_channels_line_name_the_channel
);

pub fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../tally-sources/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(path).unwrap()
}

async fn upload(app: &TestApp, token: &str, path: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let response = app
        .client
        .post(format!("{}{path}", app.base))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

async fn agents_with_extensions(app: &TestApp) {
    for (id, name, extension, more) in [
        ("lan", "Lan", "201", "1001"),
        ("minh", "Minh", "202", "1002"),
    ] {
        let body = json!({"id": id, "name": name, "role": "agent", "extension": extension, "extensions": [more]});
        let user = app
            .post_ok("/api/v1/users", &body, StatusCode::CREATED)
            .await;
        assert_eq!(user["extensions"], json!([more]));
    }
}

fn counts(summary: &Value) -> (i64, i64, i64, i64, i64, usize) {
    let n = |k: &str| summary[k].as_i64().unwrap();
    (
        n("read"),
        n("counted"),
        n("duplicates"),
        n("internal"),
        n("unmapped"),
        summary["rejected"].as_array().unwrap().len(),
    )
}

async fn asterisk_records_count_once_and_unmapped_ones_wait_for_their_extension(app: &TestApp) {
    agents_with_extensions(app).await;
    // A customer with the number minh calls, saved in another notation.
    let crm = app.token(Role::Supervisor, Some("lan")).await;
    let customer = json!({"id": "cust-a", "name": "An Phát", "phones": ["+84 91 234 5678"]});
    assert_eq!(
        app.post_as(&crm, "/api/v1/customers", &customer)
            .await
            .status(),
        StatusCode::CREATED
    );
    let agent = app.token(Role::Agent, Some("lan")).await;
    let (status, _) = upload(app, &agent, "/api/v1/calls/asterisk", fixture("Master.csv")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let (status, summary) = upload(
        app,
        &app.owner,
        "/api/v1/calls/asterisk",
        fixture("Master.csv"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(counts(&summary), (11, 8, 0, 1, 1, 1), "{summary}");
    assert_eq!(summary["kept_aside"], json!({"299": 1}), "{summary}");
    assert_eq!(summary["rejected"][0]["record"], "line 11");
    assert_eq!(summary["rejected"][0]["field"], "start");
    let lan = app.user_values("lan", "2026-05-11", "2026-05-11").await;
    assert_eq!(
        (
            lan["calls"].as_i64(),
            lan["calls_connected"].as_i64(),
            lan["talk_seconds"].as_i64()
        ),
        (Some(5), Some(3), Some(460))
    );
    assert_eq!(
        (
            lan["talk_seconds_inbound"].as_i64(),
            lan["talk_seconds_outbound"].as_i64()
        ),
        (Some(340), Some(120))
    );
    let minh = app.user_values("minh", "2026-05-11", "2026-05-11").await;
    assert_eq!(
        (
            minh["calls"].as_i64(),
            minh["calls_connected"].as_i64(),
            minh["talk_seconds"].as_i64()
        ),
        (Some(3), Some(2), Some(480))
    );
    assert_eq!(
        minh["customers_interacted"], 1,
        "the answered call to cust-a: {minh}"
    );

    // The same file again changes nothing.
    let (_, again) = upload(
        app,
        &app.owner,
        "/api/v1/calls/asterisk",
        fixture("Master.csv"),
    )
    .await;
    assert_eq!(counts(&again), (11, 0, 9, 0, 1, 1), "{again}");
    assert_eq!(
        app.user_values("lan", "2026-05-11", "2026-05-11").await["calls"],
        5
    );

    let kept = app.get_ok("/api/v1/calls/unmapped").await;
    assert_eq!(kept.as_array().unwrap().len(), 1);
    assert_eq!(kept[0]["reason"], "extension 299 is not mapped to a user");
    assert_eq!(kept[0]["record"]["callee"], "299");
    // Map 299, then count what waited.
    let sue = json!({"id": "sue", "name": "Sue", "role": "agent", "extensions": ["299"]});
    app.post_ok("/api/v1/users", &sue, StatusCode::CREATED)
        .await;
    let taken = json!({"id": "tom", "name": "Tom", "role": "agent", "extension": "299"});
    assert_eq!(
        app.post_as(&app.owner, "/api/v1/users", &taken)
            .await
            .status(),
        StatusCode::CONFLICT
    );
    let retried = app
        .post_ok("/api/v1/calls/retry", &json!({}), StatusCode::OK)
        .await;
    assert_eq!(counts(&retried), (1, 1, 0, 0, 0, 0), "{retried}");
    let sue = app.user_values("sue", "2026-05-11", "2026-05-11").await;
    assert_eq!(
        (sue["calls"].as_i64(), sue["talk_seconds_inbound"].as_i64()),
        (Some(1), Some(120))
    );
    assert_eq!(app.get_ok("/api/v1/calls/unmapped").await, json!([]));
    let (_, third) = upload(
        app,
        &app.owner,
        "/api/v1/calls/asterisk",
        fixture("Master.csv"),
    )
    .await;
    assert_eq!(counts(&third), (11, 0, 10, 0, 0, 1), "{third}");
}

async fn freeswitch_posts_its_cdrs(app: &TestApp) {
    agents_with_extensions(app).await;
    let pbx = app.token(Role::Supervisor, None).await;
    let (status, summary) = upload(
        app,
        &pbx,
        "/api/v1/calls/freeswitch",
        fixture("freeswitch-outbound.json"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(counts(&summary), (1, 1, 0, 0, 0, 0));
    let (_, again) = upload(
        app,
        &pbx,
        "/api/v1/calls/freeswitch",
        fixture("freeswitch-outbound.json"),
    )
    .await;
    assert_eq!(counts(&again), (1, 0, 1, 0, 0, 0));
    let (_, missed) = upload(
        app,
        &pbx,
        "/api/v1/calls/freeswitch",
        fixture("freeswitch-inbound-missed.form"),
    )
    .await;
    assert_eq!(counts(&missed), (1, 1, 0, 0, 0, 0));
    let lan = app.user_values("lan", "2026-05-11", "2026-05-11").await;
    assert_eq!(
        (lan["calls"].as_i64(), lan["talk_seconds_outbound"].as_i64()),
        (Some(1), Some(280))
    );
    let minh = app.user_values("minh", "2026-05-11", "2026-05-11").await;
    assert_eq!(
        (minh["calls"].as_i64(), minh["calls_connected"].as_i64()),
        (Some(1), Some(0))
    );
    // mod_json_cdr sends basic credentials (its `cred` setting): the token is the password.
    let basic = app
        .client
        .post(format!("{}/api/v1/calls/freeswitch", app.base))
        .basic_auth("freeswitch", Some(&pbx))
        .body(fixture("freeswitch-outbound.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), StatusCode::OK);
    let wrong = app
        .client
        .post(format!("{}/api/v1/calls/freeswitch", app.base))
        .basic_auth("freeswitch", Some("nope"));
    assert_eq!(
        wrong.send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let (status, error) = upload(
        app,
        &pbx,
        "/api/v1/calls/freeswitch",
        b"{\"variables\": {}}".to_vec(),
    )
    .await;
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("variables.uuid"))
    );
}

/// Admins list a channel's phone lines (a number called, a queue); the inbound calls
/// imported through them name the channel, and a custom metric counts them by it.
async fn inbound_calls_through_a_channels_line_name_the_channel(app: &TestApp) {
    agents_with_extensions(app).await;
    let put = |id: &str, body: Value| {
        app.client
            .put(format!("{}/api/v1/channels/{id}", app.base))
            .bearer_auth(&app.owner)
            .json(&body)
            .send()
    };
    let hotline = put("hotline", json!({"lines": ["1900 1234", "hotline-q"]}))
        .await
        .unwrap();
    assert_eq!(hotline.status(), StatusCode::OK);
    let hotline: Value = hotline.json().await.unwrap();
    assert_eq!(
        (&hotline["name"], &hotline["lines"]),
        (&json!("Hotline"), &json!(["19001234", "hotline-q"]))
    );
    for (body, message) in [
        (
            json!({"lines": ["hotline-q"]}),
            "hotline-q is a line of the channel 'hotline' already",
        ),
        (json!({"lines": "19001234"}), "must be a list"),
        (json!({"lines": ["a", " a "]}), "a is listed twice"),
        (
            json!({"lines": ["1900.1234"]}),
            "19001234 is a line of the channel 'hotline'",
        ),
        (json!({"lines": [""]}), "must be a list"),
    ] {
        let refused = put("zalo", body).await.unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let error: Value = refused.json().await.unwrap();
        assert_eq!(error["error"]["field"], "lines", "{error}");
        let text = error["error"]["message"].as_str().unwrap();
        assert!(text.contains(message), "{text}");
    }
    put("zalo", json!({"lines": ["0287300 0000"]}))
        .await
        .unwrap();
    let inbound = json!({"key": "hotline_calls", "name_vi": "Cuộc gọi đến qua hotline",
        "name_en": "Inbound hotline calls", "of": "events", "events": ["call"],
        "aggregate": "count", "filters": {"direction": "inbound", "channel": ["hotline"]}});
    app.post_ok("/api/v1/metrics", &inbound, StatusCode::CREATED)
        .await;
    let mut zalo = inbound.clone();
    zalo["key"] = json!("zalo_calls");
    zalo["filters"]["channel"] = json!(["zalo"]);
    app.post_ok("/api/v1/metrics", &zalo, StatusCode::CREATED)
        .await;
    let row = |number: &str, app_data: (&str, &str), answering: &str, id: &str| {
        format!(
            "\"\",\"0901234567\",\"{number}\",\"from-trunk\",\"\",\"PJSIP/trunk-0001\",\"{answering}\",\"{}\",\"{}\",\
             \"2026-05-11 08:30:05\",\"2026-05-11 08:30:12\",\"2026-05-11 08:34:52\",287,280,\"ANSWERED\",\"DOCUMENTATION\",\"{id}\",\"\"\n",
            app_data.0, app_data.1
        )
    };
    let csv = [
        // The hotline's number as the PBX writes it, answered by lan.
        row(
            "19001234",
            ("Dial", "PJSIP/201,30"),
            "PJSIP/201-0002",
            "1.1",
        ),
        // Through the hotline's queue, answered by minh.
        row(
            "500",
            ("Queue", "hotline-q,t"),
            "Local/202@from-queue-0003;1",
            "1.2",
        ),
        // Zalo's line, answered by lan.
        row(
            "02873000000",
            ("Dial", "PJSIP/201,30"),
            "PJSIP/201-0004",
            "1.3",
        ),
        // No line: straight to lan's extension.
        row("201", ("Dial", "PJSIP/201,30"), "PJSIP/201-0005", "1.4"),
    ]
    .concat();
    let (status, summary) =
        upload(app, &app.owner, "/api/v1/calls/asterisk", csv.into_bytes()).await;
    assert_eq!(
        (status, counts(&summary)),
        (StatusCode::OK, (4, 4, 0, 0, 0, 0))
    );
    let path = "/api/v1/reports/users?from=2026-05-11&to=2026-05-11&metrics=calls,hotline_calls,zalo_calls";
    let values = |report: Value| -> Vec<(String, Value)> {
        report["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["user_id"].as_str().unwrap().to_owned(),
                    r["values"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        values(app.get_ok(path).await),
        [
            (
                "lan".into(),
                json!({"calls": 3, "hotline_calls": 1, "zalo_calls": 1})
            ),
            (
                "minh".into(),
                json!({"calls": 1, "hotline_calls": 1, "zalo_calls": 0})
            ),
        ]
    );
    // The call log says where each inbound call came in.
    crate::sessions::person(app, "boss", "owner").await;
    let session = crate::sessions::sign_in(app, "boss").await;
    let page = crate::sessions::get(app, &session, "/calls?from=2026-05-11&to=2026-05-11")
        .await
        .text()
        .await
        .unwrap();
    let directions: Vec<String> = crate::helpers::table_rows(&page, r#"<table class="calls">"#)
        .iter()
        .map(|row| row[2].clone())
        .collect();
    let mut sorted = directions.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        [
            "Gọi vào",
            "Gọi vào · Hotline",
            "Gọi vào · Hotline",
            "Gọi vào · Zalo"
        ],
        "{page}"
    );
    // A phone system's own `channel` (not one of the organisation's) does not refuse
    // the call: it counts, for no channel.
    let own = json!([{"id": "x1", "type": "call", "user_id": "lan", "at": "2026-05-11T09:00:00+07:00",
        "direction": "inbound", "answered": false, "talk_seconds": 0, "channel": "PJSIP/201-0000001a"}]);
    assert_eq!(app.events(own).await["accepted"], 1);
    let lan = values(app.get_ok(path).await)
        .into_iter()
        .find(|(id, _)| id == "lan");
    assert_eq!(
        lan,
        Some((
            "lan".into(),
            json!({"calls": 4, "hotline_calls": 1, "zalo_calls": 1})
        ))
    );
}
