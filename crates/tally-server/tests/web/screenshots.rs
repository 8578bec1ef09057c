//! `scripts/screenshots`: regenerates `docs/screenshots/` from a seeded server in the
//! same headless Chromium as the tests. Ignored by `cargo test`; run with `--ignored`.

use crate::browser::Browser;
use crate::helpers::{Backend, spawn_app};
use crate::{PASSWORD, calls, seed};
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
    let goal = json!({"id": "telesales", "name": "Telesales tháng này",
        "criteria": [{"metric": "calls", "period": "day", "target": 40, "weight": 50},
                     {"metric": "talk_seconds", "period": "day", "target": 5400, "weight": 30},
                     {"metric": "revenue", "period": "month", "target": "300000000", "weight": 20}],
        "assignees": [{"team_id": "north", "mode": "each_member"}]});
    app.post_ok("/api/v1/goals", &goal, StatusCode::CREATED)
        .await;
    for (i, user) in ["lan", "nam", "mai", "tuan", "linh"].iter().enumerate() {
        calls(&app, user, 0, 12 + 7 * i).await;
    }
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
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        browser.screenshot(&folder.join(file)).await;
    }
    browser.quit().await;
}
