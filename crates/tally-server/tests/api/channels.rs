//! Sales channels and the sales by channel: who may change the list, CRM records and
//! events that name a channel, and the report's numbers checked by hand, in JSON and
//! CSV, for an owner and for a supervisor.

use crate::access::send;
use crate::both;
use crate::helpers::{TestApp, table_rows};
use crate::sessions::{get, post_form, sign_in};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tally_core::Role;

both!(
    the_channel_list_is_read_by_all_and_changed_by_managers,
    crm_records_carry_a_channel_of_the_list,
    the_sales_by_channel_add_up_by_hand,
    the_pages_show_the_same_numbers_and_manage_the_list,
);

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect()
}

async fn the_channel_list_is_read_by_all_and_changed_by_managers(app: &TestApp) {
    app.user("lan", "Lan").await;
    let agent = app.token(Role::Agent, Some("lan")).await;
    let supervisor = app.token(Role::Supervisor, None).await;
    let admin = app.token(Role::Admin, None).await;
    let (status, list) = send(
        app,
        &agent,
        reqwest::Method::GET,
        "/api/v1/channels",
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        ids(&list),
        [
            "hotline", "website", "facebook", "zalo", "referral", "walk_in"
        ]
    );
    let tiktok = json!({"name": "TikTok"});
    for token in [&agent, &supervisor] {
        let (status, _) = send(
            app,
            token,
            reqwest::Method::PUT,
            "/api/v1/channels/tiktok",
            tiktok.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
    let (status, saved) = send(
        app,
        &admin,
        reqwest::Method::PUT,
        "/api/v1/channels/tiktok",
        tiktok,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{saved}");
    assert_eq!(
        saved,
        json!({"id": "tiktok", "name": "TikTok", "active": true, "position": 7, "lines": []})
    );
    // Renamed and retired: still listed, its history stays.
    let (status, retired) = send(
        app,
        &admin,
        reqwest::Method::PUT,
        "/api/v1/channels/zalo",
        json!({"name": "Zalo OA", "active": false}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (&retired["name"], &retired["position"]),
        (&json!("Zalo OA"), &json!(4))
    );
    let (_, list) = send(
        app,
        &agent,
        reqwest::Method::GET,
        "/api/v1/channels",
        Value::Null,
    )
    .await;
    assert_eq!(list.as_array().unwrap().len(), 7);
    assert_eq!(list[3]["active"], false);
    for (path, body, field) in [
        ("/api/v1/channels/Bad%20Id", json!({"name": "x"}), "id"),
        ("/api/v1/channels/instagram", json!({}), "name"),
        (
            "/api/v1/channels/instagram",
            json!({"name": "x", "colour": "red"}),
            "colour",
        ),
        (
            "/api/v1/channels/instagram",
            json!({"name": "x", "position": -1}),
            "position",
        ),
    ] {
        let (status, error) = send(app, &admin, reqwest::Method::PUT, path, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {error}");
        assert_eq!(error["error"]["field"], field, "{error}");
    }
}

async fn crm_records_carry_a_channel_of_the_list(app: &TestApp) {
    app.user("lan", "Lan").await;
    let lan = app.token(Role::Agent, Some("lan")).await;
    let customer = json!({"id": "c1", "name": "An Phát", "channel": "zalo"});
    let (status, created) = send(
        app,
        &lan,
        reqwest::Method::POST,
        "/api/v1/customers",
        customer,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["channel"], "zalo");
    let unknown = json!({"id": "c2", "name": "Bình Minh", "channel": "instagram"});
    let (status, error) = send(
        app,
        &lan,
        reqwest::Method::POST,
        "/api/v1/customers",
        unknown,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["field"], "channel", "{error}");
    let (status, _) = send(
        app,
        &lan,
        reqwest::Method::GET,
        "/api/v1/customers/c2",
        Value::Null,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "nothing stored");
    let deal = json!({"id": "o1", "title": "Máy lọc nước", "customer_id": "c1", "amount": "5000000", "channel": "website"});
    let (status, created) = send(
        app,
        &lan,
        reqwest::Method::POST,
        "/api/v1/opportunities",
        deal,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let (status, moved) = send(
        app,
        &lan,
        reqwest::Method::PATCH,
        "/api/v1/customers/c1",
        json!({"channel": "facebook"}),
    )
    .await;
    assert_eq!(
        (status, &moved["channel"]),
        (StatusCode::OK, &json!("facebook"))
    );
    // An integration's event moves the CRM record too.
    let event = json!([{"id": "move", "type": "opportunity.updated", "at": jiff::Timestamp::now().to_string(),
        "user_id": "lan", "opportunity_id": "o1", "channel": "zalo"}]);
    assert_eq!(app.events(event).await["accepted"], 1);
    let (_, deal) = send(
        app,
        &lan,
        reqwest::Method::GET,
        "/api/v1/opportunities/o1",
        Value::Null,
    )
    .await;
    assert_eq!(deal["channel"], "zalo");
}

fn at(day: &str) -> String {
    format!("{day}T10:00:00+07:00")
}

fn customer(id: &str, user: &str, day: &str, channel: Option<&str>) -> Value {
    let mut event = json!({"id": id, "type": "customer.created", "at": at(day), "user_id": user,
           "customer_id": id});
    if let Some(channel) = channel {
        event["channel"] = json!(channel);
    }
    event
}

fn deal(id: &str, user: &str, customer: &str, day: &str, amount: &str, channel: &str) -> Value {
    json!({"id": id, "type": "opportunity.created", "at": at(day), "user_id": user,
           "opportunity_id": id, "customer_id": customer, "amount": amount, "channel": channel})
}

fn decided(id: &str, user: &str, day: &str, status: &str) -> Value {
    json!({"id": format!("{id}-{status}"), "type": "opportunity.status_changed", "at": at(day),
           "user_id": user, "opportunity_id": id, "status": status})
}

/// The row of a channel.
fn channel<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["channels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["channel"] == id)
        .unwrap_or_else(|| panic!("no channel {id} in {report}"))
}

fn person<'a>(row: &'a Value, user: &str) -> &'a Value {
    row["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["user_id"] == user)
        .unwrap_or_else(|| panic!("no {user} in {row}"))
}

/// New customers, new, won and lost opportunities, revenue, win rate, average deal: of
/// a row's `now`, `previous` or `change`.
fn of(row: &Value, which: &str) -> Value {
    seven(&row["figures"][which])
}

fn seven(row: &Value) -> Value {
    json!([
        row["customers_new"],
        row["opportunities_new"],
        row["opportunities_won"],
        row["opportunities_lost"],
        row["revenue"],
        row["win_rate"],
        row["average_deal"]
    ])
}

fn figures(row: &Value) -> Value {
    of(row, "now")
}

/// Lan and Minh's November (see the events below), with Lan in North, which Sue
/// supervises.
async fn a_month_of_sales(app: &TestApp) {
    app.user("lan", "Lan").await;
    app.user("minh", "Minh").await;
    app.user_as("sue", "Sue", Role::Supervisor).await;
    app.post_ok(
        "/api/v1/teams",
        &json!({"id": "north", "name": "North"}),
        StatusCode::CREATED,
    )
    .await;
    let member = json!({"user_id": "lan", "from": "2026-01-01"});
    app.post_ok("/api/v1/teams/north/members", &member, StatusCode::CREATED)
        .await;
    let sue = json!({"user_id": "sue"});
    app.post_ok("/api/v1/teams/north/supervisors", &sue, StatusCode::CREATED)
        .await;
    let events = json!([
        customer("c1", "lan", "2026-11-02", Some("zalo")),
        customer("c2", "minh", "2026-11-03", Some("website")),
        customer("c3", "lan", "2026-11-03", None),
        deal("o1", "lan", "c1", "2026-11-05", "10000000", "zalo"),
        decided("o1", "lan", "2026-11-10", "won"),
        deal("o2", "lan", "c1", "2026-11-06", "4000000", "zalo"),
        decided("o2", "lan", "2026-11-12", "lost"),
        deal("o3", "minh", "c2", "2026-11-07", "6000000", "website"),
        decided("o3", "minh", "2026-11-15", "won"),
        deal("o4", "minh", "c2", "2026-11-08", "2000000", "zalo"),
        decided("o4", "minh", "2026-11-20", "won"),
        // The deal really came from Zalo: all of it moves there, revenue included.
        {"id": "o3-moved", "type": "opportunity.updated", "at": at("2026-11-21"),
         "user_id": "minh", "opportunity_id": "o3", "channel": "zalo"},
        // The previous range of November is 2–31 October.
        deal("o5", "lan", "c1", "2026-10-10", "1000000", "zalo"),
        decided("o5", "lan", "2026-10-11", "won"),
    ]);
    let outcome = app.events(events).await;
    assert_eq!(outcome["rejected"], json!([]), "{outcome}");
}

async fn the_sales_by_channel_add_up_by_hand(app: &TestApp) {
    a_month_of_sales(app).await;
    let november = "/api/v1/reports/channels?from=2026-11-01&to=2026-11-30";
    let report = app.get_ok(november).await;
    assert_eq!(
        (
            &report["compare"],
            &report["previous_from"],
            &report["previous_to"]
        ),
        (
            &json!("previous"),
            &json!("2026-10-02"),
            &json!("2026-10-31")
        )
    );
    let zalo = channel(&report, "zalo");
    // c1; o1, o2, o3, o4; won o1, o3, o4 and lost o2: 3 of 4 decided; 18 M ÷ 3.
    assert_eq!(
        figures(zalo),
        json!([1, 4, 3, 1, "18000000", "0.75", "6000000"])
    );
    assert_eq!(
        of(zalo, "previous"),
        json!([0, 1, 1, 0, "1000000", "1", "1000000"])
    );
    assert_eq!(
        of(zalo, "change"),
        json!([1, 3, 2, 1, "17000000", "-0.25", "5000000"])
    );
    assert_eq!(
        figures(person(zalo, "lan")),
        json!([1, 2, 1, 1, "10000000", "0.5", "10000000"])
    );
    assert_eq!(
        figures(person(zalo, "minh")),
        json!([0, 2, 2, 0, "8000000", "1", "4000000"])
    );
    assert_eq!(
        figures(channel(&report, "website")),
        json!([1, 0, 0, 0, "0", null, null])
    );
    let none = channel(&report, "");
    assert_eq!(
        (figures(none), &none["name"]),
        (json!([1, 0, 0, 0, "0", null, null]), &json!("Chưa rõ kênh"))
    );
    assert_eq!(
        seven(&report["total"]["now"]),
        json!([3, 4, 3, 1, "18000000", "0.75", "6000000"])
    );
    // Every listed channel, in list order, then none.
    let order: Vec<&str> = report["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["channel"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "hotline", "website", "facebook", "zalo", "referral", "walk_in", ""
        ]
    );

    // A supervisor sees their team's people only.
    let supervisor = app.token(Role::Supervisor, Some("sue")).await;
    let theirs: Value = app
        .get_as(&supervisor, november)
        .await
        .json()
        .await
        .unwrap();
    let zalo = channel(&theirs, "zalo");
    assert_eq!(
        figures(zalo),
        json!([1, 2, 1, 1, "10000000", "0.5", "10000000"])
    );
    assert_eq!(zalo["people"].as_array().unwrap().len(), 1);

    // The CSV holds the same numbers: a row per channel, then its people.
    let csv = app
        .get_as(&app.owner, &format!("{november}&format=csv&lang=en"))
        .await
        .text()
        .await
        .unwrap();
    let mut lines = csv.trim_start_matches('\u{feff}').lines();
    let headers: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(
        &headers[..6],
        [
            "Channel ID",
            "Channel",
            "User ID",
            "Name",
            "New customers",
            "New opportunities"
        ]
    );
    assert!(
        headers.contains(&"Revenue (previous period)"),
        "{headers:?}"
    );
    let column = |name: &str| headers.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let zalo_row = rows
        .iter()
        .find(|r| r[0] == "zalo" && r[2].is_empty())
        .unwrap();
    assert_eq!(zalo_row[column("Revenue")], "18000000");
    assert_eq!(zalo_row[column("Win rate")], "0.75");
    assert_eq!(zalo_row[column("Revenue (change)")], "17000000");
    let minh_row = rows
        .iter()
        .find(|r| r[0] == "zalo" && r[2] == "minh")
        .unwrap();
    assert_eq!(minh_row[column("Won")], "2");

    // Against the same dates a year earlier: nothing then.
    let year = app.get_ok(&format!("{november}&compare=year")).await;
    assert_eq!(year["previous_from"], "2025-11-01");
    assert_eq!(
        of(channel(&year, "zalo"), "previous"),
        json!([0, 0, 0, 0, "0", null, null])
    );
    let year_csv = app
        .get_as(
            &app.owner,
            &format!("{november}&compare=year&format=csv&lang=vi"),
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(
        year_csv.contains("Doanh số cùng kỳ năm trước"),
        "{year_csv}"
    );
    let xlsx = app
        .get_as(&app.owner, &format!("{november}&format=xlsx"))
        .await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
}

async fn the_pages_show_the_same_numbers_and_manage_the_list(app: &TestApp) {
    a_month_of_sales(app).await;
    crate::sessions::person(app, "boss", "admin").await;
    let session = sign_in(app, "boss").await;
    let page = get(app, &session, "/channels?from=2026-11-01&to=2026-11-30")
        .await
        .text()
        .await
        .unwrap();
    let rows = table_rows(&page, r#"<table class="sales">"#);
    let zalo = rows.iter().position(|r| r[0] == "Zalo").unwrap();
    assert_eq!(
        rows[zalo],
        [
            "Zalo",
            "1",
            "4",
            "3",
            "1",
            "75 %",
            "18.000.000 ₫",
            "6.000.000 ₫",
            "+17.000.000 ₫"
        ]
    );
    // A row a channel; a channel opened shows its people under it, live too.
    assert_eq!(rows[zalo + 1][0], "Giới thiệu");
    let opened = "/channels?from=2026-11-01&to=2026-11-30&channel=zalo";
    let page_opened = get(app, &session, opened).await.text().await.unwrap();
    // The first address the page fetches by itself, past the bell's in the header.
    let live = page_opened
        .split("hx-get=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|address| !address.starts_with("/notifications/"))
        .unwrap();
    assert!(
        live.starts_with("/channels/report?") && live.ends_with("channel=zalo"),
        "{live}"
    );
    let with_people = table_rows(&page_opened, r#"<table class="sales">"#);
    assert_eq!(with_people.len(), rows.len() + 2);
    assert_eq!(with_people[zalo + 1][0], "Lan");
    assert_eq!(with_people[zalo + 1][6], "10.000.000 ₫");
    assert_eq!(with_people[zalo + 2][0], "Minh");
    let none = get(
        app,
        &session,
        "/channels/report?from=2026-11-01&to=2026-11-30&channel=-",
    )
    .await
    .text()
    .await
    .unwrap();
    let none_rows = table_rows(&none, r#"<table class="sales">"#);
    let at = none_rows
        .iter()
        .position(|r| r[0] == "Chưa rõ kênh")
        .unwrap();
    assert_eq!(
        none_rows[at + 1][0],
        "Lan",
        "the customer with no channel is Lan's"
    );
    let last = rows.last().unwrap();
    assert_eq!(
        &last[..7],
        ["Tổng", "3", "4", "3", "1", "75 %", "18.000.000 ₫"]
    );
    assert!(rows.iter().any(|r| r[0] == "Chưa rõ kênh"));
    assert!(page.contains(r#"class="sales-data""#));
    let csv = page
        .split("href=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|href| href.contains("format=csv"))
        .unwrap();
    assert!(
        csv.starts_with("/api/v1/reports/channels?from=2026-11-01") && csv.contains("lang=vi"),
        "{csv}"
    );

    // The list: a new channel, then a listed one renamed and retired.
    let added = post_form(app, &session, "/admin/channels", "id=tiktok&name=TikTok").await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let retired = post_form(
        app,
        &session,
        "/admin/channels",
        "id=zalo&name=Zalo+OA&position=4&lines=0287+300+0000%2C+zalo-q&listed=1",
    )
    .await;
    assert_eq!(retired.status(), StatusCode::SEE_OTHER);
    let admin_page = get(app, &session, "/admin/channels")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        admin_page.contains(r#"name="lines" value="02873000000, zalo-q""#),
        "{admin_page}"
    );
    // Zalo's queue is not the hotline's too: refused next to the form, in Vietnamese.
    let form = "id=hotline&name=Hotline&lines=zalo-q&listed=1";
    let taken = post_form(app, &session, "/admin/channels", form).await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let text = taken.text().await.unwrap();
    assert!(
        text.contains("Đầu số / hàng đợi: zalo-q đã thuộc kênh &#39;zalo&#39;"),
        "{text}"
    );
    let list = app.get_ok("/api/v1/channels").await;
    let zalo = list
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "zalo")
        .unwrap();
    assert_eq!(
        (&zalo["name"], &zalo["active"]),
        (&json!("Zalo OA"), &json!(false))
    );
    assert_eq!(list.as_array().unwrap().last().unwrap()["id"], "tiktok");
    let bad = post_form(app, &session, "/admin/channels", "id=Tik+Tok&name=x").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("channel-error"));
    // A retired channel keeps its history on the report, and leaves the forms.
    let page = get(app, &session, "/channels?from=2026-11-01&to=2026-11-30")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        table_rows(&page, r#"<table class="sales">"#)
            .iter()
            .any(|r| r[0] == "Zalo OA" && r[6] == "18.000.000 ₫")
    );
    let form = get(app, &session, "/customers").await.text().await.unwrap();
    assert!(
        form.contains(r#"<option value="tiktok">"#) && !form.contains(r#"<option value="zalo">"#)
    );
}
