//! `scripts/screenshots`: regenerates `docs/screenshots/` from a seeded server in the
//! same headless Chromium as the tests. Ignored by `cargo test`; run with `--ignored`.

use crate::browser::Browser;
use crate::helpers::{Backend, spawn_app};
use crate::{PASSWORD, seed};
use reqwest::StatusCode;
use serde_json::json;
use std::path::PathBuf;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes docs/screenshots; run scripts/screenshots"]
async fn screenshots() {
    let app = spawn_app(Backend::Sqlite).await;
    seed(&app).await;
    let more = [
        ("mai", "Đỗ Thị Mai"),
        ("tuan", "Vũ Minh Tuấn"),
        ("linh", "Hoàng Thùy Linh"),
    ];
    for (id, name) in more {
        let body = json!({"id": id, "name": name, "role": "agent"});
        app.post_ok("/api/v1/users", &body, StatusCode::CREATED)
            .await;
        let member = json!({"user_id": id, "from": "2020-01-01"});
        app.post_ok("/api/v1/teams/north/members", &member, StatusCode::CREATED)
            .await;
    }
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap())
        .date();
    let month_start = today.first_of_month();
    let goal = json!({"id": "telesales", "name": "Telesales tháng này",
        "criteria": [{"metric": "calls", "period": "day", "target": 40, "weight": 50},
                     {"metric": "talk_seconds", "period": "day", "target": 5400, "weight": 30},
                     {"metric": "revenue", "period": "month", "target": "300000000", "weight": 20}],
        "assignees": [{"team_id": "north", "mode": "each_member"}],
        "starts_on": month_start.to_string()});
    app.post_ok("/api/v1/goals", &goal, StatusCode::CREATED)
        .await;
    app.events(serde_json::Value::Array(history(today))).await;
    crm(&app).await;
    let folder = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&folder).unwrap();
    let browser = Browser::start().await;
    browser
        .sign_in(&app.base, "boss@example.vn", PASSWORD)
        .await;
    let pages = [
        (
            "kpi-employees.png",
            "/kpi?view=employee&period=today",
            1280,
            1100,
        ),
        (
            "kpi-teams.png",
            "/kpi?view=team&period=this_month",
            1280,
            800,
        ),
        ("goal-form.png", "/goals/telesales", 1280, 1000),
        ("wallboard.png", "/wallboard", 1280, 720),
        ("kpi-phone.png", "/kpi?view=goal", 390, 844),
        ("customers.png", "/customers", 1280, 800),
        ("customer.png", "/customers/kh-an-phat", 1280, 1000),
        ("opportunities.png", "/opportunities", 1280, 800),
        ("todos.png", "/todos?who=team", 1280, 600),
        ("calls.png", "/calls", 1280, 800),
        ("customer-phone.png", "/customers/kh-an-phat", 390, 844),
        ("opportunities-phone.png", "/opportunities", 390, 844),
        ("channels.png", "/channels?period=this_month", 1280, 1000),
        (
            "channels-phone.png",
            "/channels?period=this_month",
            390,
            844,
        ),
        (
            "kpi-months.png",
            "/kpi?view=employee&period=this_month",
            1280,
            1000,
        ),
    ];
    for (file, path, width, height) in pages {
        browser.client.set_window_size(width, height).await.unwrap();
        browser.goto(&format!("{}{path}", app.base)).await;
        browser.find("h1").await;
        if file == "kpi-months.png" {
            let scroll = "document.querySelector('.months-trend').scrollIntoView(); return true";
            browser.script(scroll).await;
        }
        if file == "kpi-teams.png" {
            // From the range line down: the table and the day-by-day charts.
            let scroll = "document.querySelector('p.range').scrollIntoView(); return true";
            browser.script(scroll).await;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        browser.screenshot(&folder.join(file)).await;
    }
    browser.quit().await;
}

/// Customers of Lan and Nam with notes, deals, to-dos and a message, made through the
/// CRM's API as they would be from the pages.
async fn crm(app: &crate::helpers::TestApp) {
    let lan = app.token(tally_core::Role::Agent, Some("lan")).await;
    let nam = app.token(tally_core::Role::Agent, Some("nam")).await;
    let post = |token: String, path: &'static str, body: serde_json::Value| async move {
        let response = app.post_as(&token, path, &body).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{path}: {body}");
    };
    let customers = [
        (
            &lan,
            "kh-an-phat",
            "Công ty TNHH An Phát",
            "0901 234 567",
            "An Phát",
        ),
        (
            &lan,
            "kh-binh-minh",
            "Nhà thuốc Bình Minh",
            "0912 345 678",
            "Bình Minh",
        ),
        (
            &nam,
            "kh-hoa-sen",
            "Khách sạn Hoa Sen",
            "+84 28 3822 1234",
            "Hoa Sen Group",
        ),
        (
            &nam,
            "kh-viet-tin",
            "Việt Tín Logistics",
            "0987 654 321",
            "Việt Tín",
        ),
    ];
    for (token, id, name, phone, company) in customers {
        let channel = match id {
            "kh-an-phat" | "kh-viet-tin" => "zalo",
            "kh-binh-minh" => "website",
            _ => "referral",
        };
        let body = json!({"id": id, "name": name, "phones": [phone], "company": company,
            "email": format!("lienhe@{id}.example.vn"), "channel": channel});
        post(token.clone(), "/api/v1/customers", body).await;
    }
    let note = json!({"text": "Khách cần tổng đài 20 máy lẻ, hẹn gửi báo giá trong tuần."});
    post(lan.clone(), "/api/v1/customers/kh-an-phat/notes", note).await;
    let deals = [
        (
            &lan,
            "o-1",
            "Tổng đài ảo 20 máy lẻ",
            "kh-an-phat",
            "48000000",
            Some("won"),
        ),
        (
            &lan,
            "o-2",
            "Gia hạn phần mềm CRM",
            "kh-an-phat",
            "12500000",
            None,
        ),
        (
            &lan,
            "o-3",
            "Đầu số hotline 1900",
            "kh-binh-minh",
            "9000000",
            Some("lost"),
        ),
        (
            &nam,
            "o-4",
            "Gói chăm sóc khách hàng",
            "kh-hoa-sen",
            "65000000",
            None,
        ),
        (
            &nam,
            "o-5",
            "Tích hợp Zalo OA",
            "kh-viet-tin",
            "22000000",
            Some("won"),
        ),
    ];
    for (token, id, title, customer, amount, status) in deals {
        let channel = if id == "o-3" { "hotline" } else { "zalo" };
        let body = json!({"id": id, "title": title, "customer_id": customer, "amount": amount,
            "channel": channel});
        post(token.clone(), "/api/v1/opportunities", body).await;
        if let Some(status) = status {
            let response = app
                .client
                .patch(format!("{}/api/v1/opportunities/{id}", app.base))
                .bearer_auth(token)
                .json(&json!({"status": status}))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
        }
    }
    let todo = json!({"title": "Gửi báo giá tổng đài", "customer_id": "kh-an-phat",
        "due_on": jiff::Timestamp::now().to_zoned_datetime(jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap()).date().to_string()});
    post(lan.clone(), "/api/v1/todos", todo).await;
    let at = jiff::Timestamp::now().to_string();
    let calls: Vec<serde_json::Value> = [
        ("lan", "outbound", 185, "090.123.4567"),
        ("lan", "inbound", 0, "0988 000 111"),
        ("nam", "outbound", 412, "+84 28 3822 1234"),
        ("lan", "inbound", 96, "0912 345 678"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (user, direction, talk, phone))| {
        json!({"id": format!("crm-call-{i}"), "type": "call",
            "at": at, "user_id": user, "direction": direction, "answered": *talk > 0,
            "talk_seconds": talk, "phone": phone})
    })
    .collect();
    app.events(serde_json::Value::Array(calls)).await;
    let message = json!({"channel": "email", "direction": "sent", "delivered": true,
        "customer_id": "kh-an-phat", "subject": "Báo giá tổng đài ảo"});
    post(lan.clone(), "/api/v1/messages", message).await;
}

/// Two weeks of calls for five agents, and a few won deals: at 10:00 on past days, a
/// minute ago today.
fn history(today: jiff::civil::Date) -> Vec<serde_json::Value> {
    let mut events = Vec::new();
    let people = ["lan", "nam", "mai", "tuan", "linh"];
    for back in 0..14_i64 {
        let day = today.checked_sub(jiff::Span::new().days(back)).unwrap();
        let at = if back == 0 {
            (jiff::Timestamp::now() - jiff::SignedDuration::from_secs(60)).to_string()
        } else {
            format!("{day}T10:00:00+07:00")
        };
        for (i, user) in people.iter().enumerate() {
            let i = i64::try_from(i).unwrap();
            let calls = 22 + (i * 7 + back * 5) % 23;
            for n in 0..calls {
                let talk = 60 + (n * 37 + i * 11) % 240;
                events.push(
                    json!({"id": format!("{user}-{back}-{n}"), "type": "call", "at": at,
                    "user_id": user, "direction": "outbound", "answered": n % 4 != 0,
                    "talk_seconds": if n % 4 == 0 { 0 } else { talk }}),
                );
            }
            if (back + i) % 4 == 0 {
                let deal = format!("deal-{user}-{back}");
                let customer = format!("kh-{user}-{back}");
                events.push(
                    json!({"id": format!("{customer}-c"), "type": "customer.created", "at": at,
                    "user_id": user, "customer_id": customer}),
                );
                events.push(
                    json!({"id": format!("{deal}-o"), "type": "opportunity.created", "at": at,
                    "user_id": user, "opportunity_id": deal, "customer_id": customer,
                    "amount": format!("{}", 15_000_000 + 2_500_000 * (i + back % 3))}),
                );
                events.push(
                    json!({"id": format!("{deal}-w"), "type": "opportunity.status_changed",
                    "at": at, "user_id": user, "opportunity_id": deal, "status": "won"}),
                );
            }
        }
    }
    events
}
