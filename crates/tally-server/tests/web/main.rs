//! End-to-end tests of the web pages in a real headless Chromium: sign in, set a goal,
//! watch a number change live, switch period and view, download an export, the
//! agent refused the setup pages, the English switch, and a phone-sized screen.
//! Every test runs on SQLite and on PostgreSQL.

// In tests a panic is a failure that says where: unwrapping is how they assert.
#![allow(clippy::unwrap_used)]

mod browser;
mod crm;
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;
mod screenshots;

use browser::Browser;
use helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

pub const PASSWORD: &str = "mật khẩu đủ dài";

/// An owner (boss@example.vn), agents Lan and Nam in team North, a supervisor; every
/// one of them can sign in with [`PASSWORD`].
pub async fn seed(app: &TestApp) {
    let people = [
        ("boss", "Trần Văn Chủ", "owner", "boss@example.vn"),
        ("lan", "Nguyễn Thị Lan", "agent", "lan@example.vn"),
        ("nam", "Lê Hoàng Nam", "agent", "nam@example.vn"),
        ("ha", "Phạm Thu Hà", "supervisor", "ha@example.vn"),
    ];
    let hash = tally_server::auth::hash_password(PASSWORD).unwrap();
    for (id, name, role, email) in people {
        let body = json!({"id": id, "name": name, "role": role, "email": email});
        app.post_ok("/api/v1/users", &body, StatusCode::CREATED)
            .await;
        app.store.set_password_hash(id, &hash).await.unwrap();
    }
    let team = json!({"id": "north", "name": "Miền Bắc"});
    app.post_ok("/api/v1/teams", &team, StatusCode::CREATED)
        .await;
    for user in ["lan", "nam"] {
        let member = json!({"user_id": user, "from": "2020-01-01"});
        app.post_ok("/api/v1/teams/north/members", &member, StatusCode::CREATED)
            .await;
    }
}

/// `n` answered outbound calls by `user`, now.
pub async fn calls(app: &TestApp, user: &str, first: usize, n: usize) {
    let at = jiff::Timestamp::now().to_string();
    let events: Vec<Value> = (first..first + n)
        .map(|i| {
            json!({"id": format!("{user}-call-{i}"), "type": "call", "at": at, "user_id": user,
                   "direction": "outbound", "answered": true, "talk_seconds": 60})
        })
        .collect();
    let result = app.events(Value::Array(events)).await;
    assert_eq!(result["accepted"], json!(n), "{result}");
}

/// Waits until the page's live feed is connected.
async fn wait_until_live(browser: &Browser) {
    let started = Instant::now();
    let script = "return document.getElementById('live-status').classList.contains('connected')";
    while browser.script(script).await != json!(true) {
        assert!(
            started.elapsed() < browser::PATIENCE,
            "the live feed never connected"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

const LAN_CALLS: &str = "tr[data-subject='lan'][data-metric='calls']";

async fn a_manager_sets_a_goal_and_watches_it_move(app: &TestApp) {
    seed(app).await;
    let browser = Browser::start().await;
    browser
        .sign_in(&app.base, "boss@example.vn", PASSWORD)
        .await;
    assert_eq!(browser.path().await, "/kpi");

    // A goal through the setup form: 5 calls a day for each member of North.
    browser.goto(&format!("{}/goals/new", app.base)).await;
    browser.fill("#name", "Gọi điện mỗi ngày").await;
    browser.select("#metric_0", "calls").await;
    browser.select("#period_0", "day").await;
    browser.fill("#target_0", "5").await;
    browser.select("#team-north", "each_member").await;
    browser.click("#save-goal").await;
    browser.find("p.notice").await;
    assert_eq!(browser.path().await, "/goals?saved=1");
    assert!(
        browser
            .text("table.goals")
            .await
            .contains("Gọi điện mỗi ngày")
    );
    assert_eq!(app.store.goals().await.unwrap().len(), 1);

    // The report shows it, and a call posted to the API appears without a reload.
    browser.goto(&format!("{}/kpi", app.base)).await;
    browser
        .wait_for_text(&format!("{LAN_CALLS} td.actual"), "0")
        .await;
    assert_eq!(browser.text(&format!("{LAN_CALLS} td.target")).await, "5");
    browser
        .script("window.tallyNoReload = 42; return true")
        .await;
    wait_until_live(&browser).await;
    calls(app, "lan", 0, 3).await;
    browser
        .wait_for_text(&format!("{LAN_CALLS} td.actual"), "3")
        .await;
    assert_eq!(
        browser.text(&format!("{LAN_CALLS} td.completion")).await,
        "60 %"
    );
    assert_eq!(
        browser.script("return window.tallyNoReload").await,
        json!(42)
    );
    assert!(!browser.text("#as-of").await.is_empty());
    assert!(
        browser
            .text("section.leaderboard")
            .await
            .contains("Nguyễn Thị Lan")
    );

    // Another period, then the team view.
    browser.click(".periods a[href*='period=this_month']").await;
    browser
        .find(".periods a[aria-current][href*='this_month']")
        .await;
    browser
        .wait_for_text(&format!("{LAN_CALLS} td.actual"), "3")
        .await;
    browser.click(".tabs a[href*='view=team']").await;
    let north = "tr[data-subject='north'][data-metric='calls']";
    browser
        .wait_for_text(&format!("{north} td.actual"), "3")
        .await;
    assert!(browser.path().await.contains("period=this_month"));

    // The download is the API's export of this view.
    browser.click("a.download[data-format='csv']").await;
    let (name, bytes) = browser.downloaded().await;
    assert!(name.ends_with(".csv"), "{name}");
    let csv = String::from_utf8(bytes).unwrap();
    assert!(csv.contains("Miền Bắc"), "{csv}");

    // The wallboard follows too.
    browser.goto(&format!("{}/wallboard", app.base)).await;
    wait_until_live(&browser).await;
    browser
        .wait_for_text(".board li.place-1 .score", "60 %")
        .await;
    calls(app, "lan", 3, 2).await;
    browser
        .wait_for_text(".board li.place-1 .score", "100 %")
        .await;
    browser.quit().await;
}

async fn last_year_and_thirteen_months_on_the_kpi_page(app: &TestApp) {
    seed(app).await;
    let goal = json!({"name": "Gọi điện", "starts_on": "2020-01-01",
        "criteria": [{"metric": "calls", "period": "day", "target": 5}],
        "assignees": [{"team_id": "north"}]});
    app.post_ok("/api/v1/goals", &goal, StatusCode::CREATED)
        .await;
    // Four calls on the first of this month a year ago, three now.
    let zone = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let today = jiff::Timestamp::now().to_zoned_datetime(zone).date();
    let a_year_ago = today
        .first_of_month()
        .checked_sub(jiff::Span::new().years(1))
        .unwrap();
    let old: Vec<Value> = (0..4)
        .map(|i| {
            json!({"id": format!("old-{i}"), "type": "call", "user_id": "lan",
                   "at": format!("{a_year_ago}T10:00:00+07:00"), "direction": "outbound",
                   "answered": true, "talk_seconds": 60})
        })
        .collect();
    assert_eq!(app.events(Value::Array(old)).await["accepted"], 4);
    calls(app, "lan", 0, 3).await;

    let browser = Browser::start().await;
    browser
        .sign_in(&app.base, "boss@example.vn", PASSWORD)
        .await;
    browser
        .goto(&format!("{}/kpi?period=this_month", app.base))
        .await;
    browser
        .wait_for_text(&format!("{LAN_CALLS} td.actual"), "3")
        .await;
    // Choosing "same period last year" applies at once.
    browser.select("#compare", "year").await;
    browser.find("table.kpi th.num:last-child").await;
    let started = Instant::now();
    while !browser.path().await.contains("compare=year") {
        assert!(
            started.elapsed() < browser::PATIENCE,
            "the page did not move"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    browser
        .wait_for_text("table.kpi thead th:last-child", "So với cùng kỳ năm trước")
        .await;
    browser
        .wait_for_text(&format!("{LAN_CALLS} td.change"), "-1 (-25 %)")
        .await;

    // Thirteen months, drawn as bars and written in a table, fetched after the table.
    let month = |date: jiff::civil::Date| format!("{:02}/{}", date.month(), date.year());
    let rows = "section.months-trend tbody tr";
    browser
        .find("section.months-trend .month-charts figure.chart")
        .await;
    assert_eq!(
        browser
            .script(&format!(
                "return document.querySelectorAll('{rows}').length"
            ))
            .await,
        json!(13)
    );
    assert_eq!(
        browser.text(&format!("{rows}:first-child")).await,
        format!("{} 4", month(a_year_ago))
    );
    browser
        .wait_for_text(
            &format!("{rows}:last-child"),
            &format!("{} 3", month(today)),
        )
        .await;
    // The table moves live without a reload, its chart drawn again; the months follow
    // on their next minute, or at once on the next visit.
    browser
        .script("window.tallyNoReload = 7; return true")
        .await;
    wait_until_live(&browser).await;
    calls(app, "lan", 3, 2).await;
    browser
        .wait_for_text(&format!("{LAN_CALLS} td.actual"), "5")
        .await;
    assert_eq!(
        browser.script("return window.tallyNoReload").await,
        json!(7)
    );
    assert_eq!(
        browser
            .script("return document.querySelectorAll('#report figure.chart').length")
            .await,
        json!(1)
    );
    browser
        .goto(&format!("{}/kpi?period=this_month&compare=year", app.base))
        .await;
    browser
        .wait_for_text(
            &format!("{rows}:last-child"),
            &format!("{} 5", month(today)),
        )
        .await;
    browser.quit().await;
}

async fn sales_by_channel_from_the_list_to_the_chart(app: &TestApp) {
    seed(app).await;
    let boss = Browser::start().await;
    boss.sign_in(&app.base, "boss@example.vn", PASSWORD).await;
    // A channel of the organisation's own, from the list's page.
    boss.goto(&format!("{}/admin/channels", app.base)).await;
    boss.fill("#channel-name", "TikTok").await;
    boss.fill("#channel-id", "tiktok").await;
    boss.fill("#channel-lines", "1900 1234, tiktok-q").await;
    boss.click("#create-channel").await;
    boss.find("tr[data-channel='tiktok']").await;
    // Its phone lines, a number by its digits, ready to change in its row.
    let lines = boss
        .script(
            "return document.querySelector(\"tr[data-channel='tiktok'] input[name=lines]\").value",
        )
        .await;
    assert_eq!(lines, "19001234, tiktok-q");
    // A call that came in on TikTok's line says so in the log; back on the list (from
    // the back/forward cache or not), the lines are still there; neither page scrolls
    // sideways at 390 px.
    let inbound = json!([{"id": "tk1", "type": "call", "user_id": "lan",
        "at": "2026-01-05T09:00:00+07:00", "direction": "inbound", "answered": true,
        "talk_seconds": 60, "channel": "tiktok"}]);
    assert_eq!(app.events(inbound).await["accepted"], 1);
    boss.client.set_window_size(390, 844).await.unwrap();
    boss.goto(&format!("{}/calls?from=2026-01-05&to=2026-01-05", app.base))
        .await;
    boss.wait_for_text("table.calls tbody tr td:nth-child(3)", "Gọi vào · TikTok")
        .await;
    let overflow = "return document.documentElement.scrollWidth - window.innerWidth";
    assert!(boss.script(overflow).await.as_i64().unwrap() <= 0, "/calls");
    boss.client.back().await.unwrap();
    let lines = boss
        .script(
            "return document.querySelector(\"tr[data-channel='tiktok'] input[name=lines]\").value",
        )
        .await;
    assert_eq!(lines, "19001234, tiktok-q");
    assert!(
        boss.script(overflow).await.as_i64().unwrap() <= 0,
        "/admin/channels"
    );
    boss.client.set_window_size(1280, 900).await.unwrap();

    // An agent's customer from TikTok; the deal comes from the customer's channel.
    let agent = Browser::start().await;
    agent.sign_in(&app.base, "lan@example.vn", PASSWORD).await;
    agent.goto(&format!("{}/customers", app.base)).await;
    agent.fill("#customer-name", "Công ty Hoa Sen").await;
    agent.select("#customer-channel", "tiktok").await;
    agent.click("#create-customer").await;
    agent.wait_for_text("#card-channel", "TikTok").await;
    agent.click("details:has(#add-opportunity) summary").await;
    agent.fill("#opportunity-title", "Gói tổng đài").await;
    agent.fill("#opportunity-amount", "12.000.000").await;
    assert_eq!(
        agent
            .script("return document.getElementById('opportunity-channel').value")
            .await,
        json!("tiktok")
    );
    agent.click("#add-opportunity button").await;
    agent.find(".entry-opportunity").await;

    // The report: its row, its chart, and a win moving it without a reload.
    boss.goto(&format!("{}/channels?period=this_month", app.base))
        .await;
    let row = "table.sales tr.channel[data-channel='tiktok']";
    boss.wait_for_text(&format!("{row} td:nth-of-type(2)"), "1")
        .await;
    assert_eq!(boss.text(&format!("{row} td:nth-of-type(1)")).await, "1");
    boss.find(".sales-trend figure.chart").await;
    assert_eq!(
        boss.script("return document.querySelectorAll('.sales-trend figure.chart').length")
            .await,
        json!(2)
    );
    boss.script("window.tallyNoReload = 3; return true").await;
    wait_until_live(&boss).await;
    let deal = app.get_ok("/api/v1/opportunities").await;
    let id = deal["items"][0]["id"].as_str().unwrap().to_owned();
    let won = json!([{"id": "won-1", "type": "opportunity.status_changed",
        "at": jiff::Timestamp::now().to_string(), "user_id": "lan",
        "opportunity_id": id, "status": "won"}]);
    assert_eq!(app.events(won).await["accepted"], 1);
    boss.wait_for_text(&format!("{row} td:nth-of-type(3)"), "1")
        .await;
    assert_eq!(
        boss.text(&format!("{row} td:nth-of-type(6)")).await,
        "12.000.000 ₫"
    );
    assert_eq!(boss.script("return window.tallyNoReload").await, json!(3));
    // Against last year, at once.
    boss.select("#compare", "year").await;
    let started = Instant::now();
    while !boss.path().await.contains("compare=year") {
        assert!(
            started.elapsed() < browser::PATIENCE,
            "the page did not move"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    boss.wait_for_text(&format!("{row} td.change"), "+12.000.000 ₫")
        .await;
    boss.quit().await;
    agent.quit().await;
}

async fn goal_errors_stand_next_to_their_field(app: &TestApp) {
    seed(app).await;
    let browser = Browser::start().await;
    browser
        .sign_in(&app.base, "boss@example.vn", PASSWORD)
        .await;
    browser.goto(&format!("{}/goals/new", app.base)).await;
    browser.select("#metric_0", "calls").await;
    browser.fill("#target_0", "5").await;
    browser.click("#user-lan").await;
    browser.click("#save-goal").await;
    // In the page's language.
    let error = browser.text("#name-error").await;
    assert!(error.contains("từ 1 đến 200 ký tự"), "{error}");
    assert_eq!(
        browser
            .find("#name")
            .await
            .attr("aria-invalid")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    // What was typed stays; the next mistake shows on its own row.
    assert_eq!(
        browser
            .find("#target_0")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("5")
    );
    browser.fill("#name", "Sai mục tiêu").await;
    browser.fill("#target_0", "-3").await;
    browser.click("#save-goal").await;
    assert!(browser.text("#row-error-0").await.contains("target"));
    assert!(!browser.has("#name-error").await);
    assert!(
        app.store.goals().await.unwrap().is_empty(),
        "nothing was saved"
    );
    browser.quit().await;
}

async fn agents_are_refused_the_setup_pages(app: &TestApp) {
    seed(app).await;
    let browser = Browser::start().await;
    browser.sign_in(&app.base, "lan@example.vn", PASSWORD).await;
    browser.find("table.kpi, p.empty").await;
    assert!(!browser.has("header a[href='/goals']").await);
    assert!(!browser.has("header a[href='/admin/users']").await);
    for page in [
        "/goals",
        "/goals/new",
        "/admin/users",
        "/admin/tokens",
        "/admin/metrics",
    ] {
        browser.goto(&format!("{}{page}", app.base)).await;
        let heading = browser.text("h1").await;
        assert!(heading.contains("không có quyền"), "{page}: {heading}");
    }
    // The server refuses the change itself, not only the link.
    let cookie = browser
        .client
        .get_named_cookie("tally_session")
        .await
        .unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/goals/new", app.base))
        .header("cookie", format!("tally_session={}", cookie.value()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("name=x&metric_0=calls&target_0=1&user=lan")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(app.store.goals().await.unwrap().is_empty());
    browser.quit().await;
}

async fn english_is_a_remembered_switch_and_phones_fit(app: &TestApp) {
    seed(app).await;
    let browser = Browser::start().await;
    browser
        .sign_in(&app.base, "boss@example.vn", PASSWORD)
        .await;
    assert_eq!(browser.text("h1").await, "Báo cáo KPI");
    browser.click("a.lang-switch").await;
    browser.wait_for_text("h1", "KPI report").await;
    browser.goto(&format!("{}/goals", app.base)).await;
    assert_eq!(browser.text("h1").await, "KPI setup");
    assert_eq!(
        browser.script("return document.documentElement.lang").await,
        json!("en")
    );
    browser.click("a.lang-switch").await;
    browser.wait_for_text("h1", "Thiết lập KPI").await;

    // On a phone no page scrolls sideways (wide tables scroll in their box).
    let goal = json!({"name": "Gọi điện mỗi ngày", "starts_on": "2026-01-01",
        "criteria": [{"metric": "calls", "period": "day", "target": 5}],
        "assignees": [{"team_id": "north"}]});
    app.post_ok("/api/v1/goals", &goal, StatusCode::CREATED)
        .await;
    let lan = app.token(tally_core::Role::Agent, Some("lan")).await;
    let customer = json!({"id": "c-phone", "owner_id": "lan", "name": "Công ty Cổ phần Thương mại Dịch vụ An Phát Hưng Thịnh",
        "email": "phong.kinh.doanh.mien.bac@anphathungthinh.example.vn", "phones": ["0901 234 567", "+84 912 345 678"]});
    assert_eq!(
        app.post_as(&lan, "/api/v1/customers", &customer)
            .await
            .status(),
        StatusCode::CREATED
    );
    let deal = json!({"title": "Hợp đồng tổng đài ảo 200 máy lẻ", "customer_id": "c-phone", "amount": "150000000"});
    assert_eq!(
        app.post_as(&lan, "/api/v1/opportunities", &deal)
            .await
            .status(),
        StatusCode::CREATED
    );
    browser.client.set_window_size(390, 844).await.unwrap();
    let overflow = "return document.documentElement.scrollWidth - window.innerWidth";
    for page in [
        "/kpi?period=this_month",
        "/goals",
        "/goals/new",
        "/admin/users",
        "/admin/teams",
        "/admin/tokens",
        "/customers",
        "/customers/c-phone",
        "/opportunities",
        "/todos",
        "/calls",
        "/today",
        "/channels?period=this_month&compare=year",
        "/admin/channels",
        "/admin/metrics",
        "/admin/screens",
        "/notifications",
        "/admin/webhooks",
    ] {
        browser.goto(&format!("{}{page}", app.base)).await;
        browser.find("h1").await;
        let beyond = browser.script(overflow).await.as_i64().unwrap();
        assert!(beyond <= 0, "{page} scrolls sideways by {beyond} px");
    }
    // The KPI table's rows are cards there: nothing in the table scrolls sideways either.
    browser
        .goto(&format!("{}/kpi?view=employee&period=this_month", app.base))
        .await;
    browser.find("table.kpi tbody tr").await;
    let cards = "const wrap = document.querySelector('.table-wrap');
        const row = document.querySelector('table.kpi tbody tr');
        return [getComputedStyle(row).display, wrap.scrollWidth - wrap.clientWidth];";
    assert_eq!(browser.script(cards).await, json!(["grid", 0]));
    browser.quit().await;
}

/// Chromium keeps a page it left in its back/forward cache, open connections and all;
/// six pages holding a live stream would take every connection it allows to one
/// host, and the next page would never load. Twelve views and a wallboard later, the
/// page restored by "back" listens again and moves.
async fn clicking_through_many_views_never_freezes(app: &TestApp) {
    seed(app).await;
    let goal = json!({"name": "Gọi điện", "starts_on": "2026-01-01",
        "criteria": [{"metric": "calls", "period": "day", "target": 5}],
        "assignees": [{"team_id": "north"}]});
    app.post_ok("/api/v1/goals", &goal, StatusCode::CREATED)
        .await;
    let browser = Browser::start().await;
    // A page that never loads fails the test in seconds, not after WebDriver's minutes.
    let timeouts = fantoccini::wd::TimeoutConfiguration::new(None, Some(browser::PATIENCE), None);
    browser.client.update_timeouts(timeouts).await.unwrap();
    browser
        .sign_in(&app.base, "boss@example.vn", PASSWORD)
        .await;
    let views = [
        ".tabs a[href*='view=team']",
        ".periods a[href*='period=this_week']",
        ".tabs a[href*='view=goal']",
        ".periods a[href*='period=this_month']",
        ".tabs a[href*='view=employee']",
        ".periods a[href*='period=today']",
        ".tabs a[href*='view=team']",
        ".periods a[href*='period=this_week']",
        ".tabs a[href*='view=goal']",
        ".periods a[href*='period=this_month']",
        ".tabs a[href*='view=employee']",
        ".periods a[href*='period=today']",
    ];
    for (i, link) in views.iter().enumerate() {
        browser
            .find(link)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("view {} ({link}) never loaded: {e}", i + 1));
        wait_until_live(&browser).await;
    }
    browser.script("window.tallyLeftAt = 12; return true").await;
    browser
        .find("header a[href='/wallboard']")
        .await
        .click()
        .await
        .expect("the wallboard loads");
    wait_until_live(&browser).await;
    browser.client.back().await.expect("back to the report");
    // Restored from the cache (the page's own state survived), and listening again.
    assert_eq!(browser.script("return window.tallyLeftAt").await, json!(12));
    wait_until_live(&browser).await;
    calls(app, "lan", 0, 2).await;
    browser
        .wait_for_text(&format!("{LAN_CALLS} td.actual"), "2")
        .await;
    browser.quit().await;
}

/// An admin makes a TV link in the page; a screen nobody signed in to opens it, shows
/// the leaderboard and nothing else, moves live, and shows nothing once the link is
/// revoked (its feed ends, it reloads, the link is not found).
async fn a_tv_link_shows_the_board_live_until_revoked(app: &TestApp) {
    seed(app).await;
    let goal = json!({"name": "Gọi điện", "starts_on": "2020-01-01",
        "criteria": [{"metric": "calls", "period": "day", "target": 5}],
        "assignees": [{"team_id": "north"}]});
    app.post_ok("/api/v1/goals", &goal, StatusCode::CREATED)
        .await;
    calls(app, "lan", 0, 2).await;
    let admin = Browser::start().await;
    admin.sign_in(&app.base, "boss@example.vn", PASSWORD).await;
    admin.goto(&format!("{}/admin/screens", app.base)).await;
    admin.fill("#screen-name", "TV sàn tầng 3").await;
    admin.select("#screen-lang", "vi").await;
    admin.click("#create-screen").await;
    let link = admin.text("#new-screen code").await;
    assert!(
        link.starts_with(&format!("{}/tv/tally_", app.base)),
        "{link}"
    );

    let tv = Browser::start().await;
    tv.goto(&link).await;
    tv.wait_for_text(".board li.place-1 .score", "40 %").await;
    assert!(
        tv.text(".board li.place-1 .name")
            .await
            .contains("Nguyễn Thị Lan")
    );
    assert!(!tv.has("header.top").await && !tv.has("nav").await);
    wait_until_live(&tv).await;
    calls(app, "lan", 2, 3).await;
    tv.wait_for_text(".board li.place-1 .score", "100 %").await;

    admin.goto(&format!("{}/admin/screens", app.base)).await;
    admin.click("tr[data-screen] button").await;
    // The click posts a form: until the page it leads to loads, the old one shows.
    let started = Instant::now();
    while admin.has("tr[data-screen] button").await {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the link is revoked"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    admin.find("tr[data-screen]").await;
    let started = Instant::now();
    while !tv.has("p.error .status").await {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the revoked screen still shows the board"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(tv.text("p.error .status").await, "404");
    assert!(!tv.has(".board").await);
    tv.quit().await;
    admin.quit().await;
}

/// An agent's bell counts a milestone reached while she looks at her day, without a
/// reload; the list tells it in her words and "mark all read" empties the count.
async fn the_bell_rings_without_a_reload(app: &TestApp) {
    seed(app).await;
    // Pace is checked late, so that whenever the test runs only the milestone rings.
    let settings = json!({"milestones": [50, 100], "pace_check": "23:59", "digest_time": "08:00"});
    let changed = app
        .client
        .put(format!("{}/api/v1/notifications/settings", app.base))
        .bearer_auth(&app.owner)
        .json(&settings)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    let goal = json!({"name": "Gọi điện", "starts_on": "2020-01-01",
        "criteria": [{"metric": "calls", "period": "day", "target": 4}],
        "assignees": [{"user_id": "lan"}]});
    app.post_ok("/api/v1/goals", &goal, StatusCode::CREATED)
        .await;
    let browser = Browser::start().await;
    browser.sign_in(&app.base, "lan@example.vn", PASSWORD).await;
    browser.goto(&format!("{}/today", app.base)).await;
    browser.find("#bell").await;
    assert!(!browser.has("#bell .count").await);
    wait_until_live(&browser).await;
    browser
        .script("window.tallyNoReload = 7; return true")
        .await;
    calls(app, "lan", 0, 2).await;
    let started = Instant::now();
    while !browser.has("#bell .count").await {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the bell never rang"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // 50 % of her calls, and the lead of the goal's leaderboard (she is alone on it).
    let started = Instant::now();
    while browser.text("#bell .count").await != "2" {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "not two notices"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        browser.script("return window.tallyNoReload").await,
        json!(7)
    );
    browser.click("#bell").await;
    browser.find("ul.notices li.unread").await;
    let list = browser.text("ul.notices").await;
    assert!(
        list.contains("Gọi điện: Nguyễn Thị Lan đạt 50 % mục tiêu Số cuộc gọi"),
        "{list}"
    );
    assert!(
        list.contains("Nguyễn Thị Lan dẫn đầu bảng xếp hạng Gọi điện"),
        "{list}"
    );
    browser.click("#read-all").await;
    browser.find("ul.notices li:not(.unread)").await;
    assert!(!browser.has("#bell .count").await);
    browser.quit().await;
}

/// A criterion of the organisation's own, defined from its page: a wrong definition
/// answered next to the form, then calls over 2 minutes, whose history (calls made
/// before it) is counted and which the users report then counts; then put in a goal
/// from the goal form, moving live on the KPI page, and kept from removal.
async fn a_manager_defines_a_criterion_and_the_report_counts_it(app: &TestApp) {
    seed(app).await;
    calls(app, "lan", 0, 3).await;
    let long = json!([{"id": "lan-long", "type": "call", "at": jiff::Timestamp::now().to_string(),
        "user_id": "lan", "direction": "outbound", "answered": true, "talk_seconds": 150}]);
    app.events(long).await;
    let boss = Browser::start().await;
    boss.sign_in(&app.base, "boss@example.vn", PASSWORD).await;
    boss.goto(&format!("{}/admin/metrics", app.base)).await;
    let define = async |types: &[&str]| {
        boss.fill("#metric-name-vi", "Cuộc gọi trên 2 phút").await;
        boss.fill("#metric-name-en", "Calls over 2 minutes").await;
        boss.fill("#metric-key", "long_calls").await;
        for kind in types {
            boss.click(&format!("input[name='events'][value='{kind}']"))
                .await;
        }
        boss.select("#metric-answered", "yes").await;
        boss.fill("#metric-talk", "120").await;
        boss.click("#create-metric").await;
    };
    // Answered is a call's field: with meetings among the types it is refused.
    define(&["call", "meeting.held"]).await;
    let error = boss.text("#metric-error").await;
    assert!(
        error.starts_with("Nghe máy: chỉ áp dụng cho call"),
        "{error}"
    );
    assert!(!boss.has("tr[data-metric='long_calls']").await);
    boss.goto(&format!("{}/admin/metrics", app.base)).await;
    define(&["call"]).await;
    boss.find("tr[data-metric='long_calls']").await;
    let counted = "tr[data-metric='long_calls'] td.history";
    let started = Instant::now();
    while boss.text(counted).await != "100 %" {
        assert!(
            started.elapsed() < browser::PATIENCE,
            "the history was never counted"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        boss.goto(&format!("{}/admin/metrics", app.base)).await;
    }
    let report = app
        .get_ok("/api/v1/reports/users?period=today&user_id=lan&metrics=calls,long_calls")
        .await;
    assert_eq!(
        report["rows"][0]["values"],
        json!({"calls": 4, "long_calls": 1})
    );

    // It is a criterion of a goal like a built-in metric, and moves live.
    boss.goto(&format!("{}/goals/new", app.base)).await;
    boss.fill("#name", "Cuộc gọi chất lượng").await;
    boss.select("#metric_0", "long_calls").await;
    boss.select("#period_0", "day").await;
    boss.fill("#target_0", "2").await;
    boss.select("#team-north", "each_member").await;
    boss.click("#save-goal").await;
    boss.find("p.notice").await;
    assert!(
        boss.text("table.goals")
            .await
            .contains("Cuộc gọi trên 2 phút")
    );
    boss.goto(&format!("{}/kpi", app.base)).await;
    let lan_long = "tr[data-subject='lan'][data-metric='long_calls']";
    boss.wait_for_text(&format!("{lan_long} td.actual"), "1")
        .await;
    assert!(boss.text(lan_long).await.contains("Cuộc gọi trên 2 phút"));
    wait_until_live(&boss).await;
    let again = json!([{"id": "lan-long-2", "type": "call", "at": jiff::Timestamp::now().to_string(),
        "user_id": "lan", "direction": "outbound", "answered": true, "talk_seconds": 130}]);
    app.events(again).await;
    boss.wait_for_text(&format!("{lan_long} td.actual"), "2")
        .await;
    assert_eq!(
        boss.text(&format!("{lan_long} td.completion")).await,
        "100 %"
    );

    // A goal names it: removing it is refused, in the page's language.
    boss.goto(&format!("{}/admin/metrics", app.base)).await;
    boss.click("tr[data-metric='long_calls'] button").await;
    let error = boss.text("#metric-error").await;
    assert!(
        error.contains("đang dùng chỉ tiêu 'long_calls', nên không thể xoá"),
        "{error}"
    );
    boss.find("tr[data-metric='long_calls']").await;
    boss.quit().await;
}

use crm::{
    a_range_is_typed_day_first_on_the_kpi_page, a_supervisor_maps_an_extension_kept_aside,
    an_agent_is_refused_another_agents_customer, an_agents_day_moves_the_managers_kpi_page,
    todos_are_done_in_one_click_and_dates_are_day_first,
};

both!(
    a_range_is_typed_day_first_on_the_kpi_page,
    a_supervisor_maps_an_extension_kept_aside,
    an_agents_day_moves_the_managers_kpi_page,
    an_agent_is_refused_another_agents_customer,
    todos_are_done_in_one_click_and_dates_are_day_first,
    clicking_through_many_views_never_freezes,
    a_manager_sets_a_goal_and_watches_it_move,
    a_tv_link_shows_the_board_live_until_revoked,
    the_bell_rings_without_a_reload,
    last_year_and_thirteen_months_on_the_kpi_page,
    sales_by_channel_from_the_list_to_the_chart,
    a_manager_defines_a_criterion_and_the_report_counts_it,
    goal_errors_stand_next_to_their_field,
    agents_are_refused_the_setup_pages,
    english_is_a_remembered_switch_and_phones_fit,
);
