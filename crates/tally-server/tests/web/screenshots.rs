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
    ];
    for (file, path, width, height) in pages {
        browser.client.set_window_size(width, height).await.unwrap();
        browser.goto(&format!("{}{path}", app.base)).await;
        browser.find("h1").await;
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
