//! The CRM pages in Chromium: an agent finds a customer by a phone typed another way,
//! notes the call, opens a deal and wins it, while the manager's KPI page, in another
//! browser, moves without a reload; an agent is refused another agent's customer by
//! URL and by a posted form; the to-dos; and the pages on a phone.

use crate::browser::Browser;
use crate::helpers::TestApp;
use crate::{PASSWORD, seed, wait_until_live};
use reqwest::StatusCode;
use serde_json::json;

/// Today in Hanoi: `2026-11-30` and `30/11/2026`.
fn today() -> (String, String) {
    let zone = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    let date = jiff::Timestamp::now().to_zoned_datetime(zone).date();
    let day_first = format!("{:02}/{:02}/{}", date.day(), date.month(), date.year());
    (date.to_string(), day_first)
}

const LAN: &str = "tr[data-subject='lan']";

/// A goal for Lan on the CRM's numbers: customer interactions, won deals, revenue.
async fn crm_goal(app: &TestApp) {
    let goal = json!({"name": "Bán hàng", "starts_on": "2026-01-01",
        "criteria": [
            {"metric": "customer_interactions", "period": "day", "target": 10},
            {"metric": "opportunities_won", "period": "day", "target": 1},
            {"metric": "revenue", "period": "day", "target": "10000000"}],
        "assignees": [{"user_id": "lan"}]});
    app.post_ok("/api/v1/goals", &goal, StatusCode::CREATED)
        .await;
}

pub async fn an_agents_day_moves_the_managers_kpi_page(app: &TestApp) {
    seed(app).await;
    crm_goal(app).await;
    let manager = Browser::start().await;
    manager
        .sign_in(&app.base, "boss@example.vn", PASSWORD)
        .await;
    manager
        .goto(&format!("{}/kpi?view=employee&period=today", app.base))
        .await;
    let actual = |metric: &str| format!("{LAN}[data-metric='{metric}'] td.actual");
    manager.wait_for_text(&actual("revenue"), "0 ₫").await;
    manager
        .script("window.tallyNoReload = 7; return true")
        .await;
    wait_until_live(&manager).await;

    let agent = Browser::start().await;
    agent.sign_in(&app.base, "lan@example.vn", PASSWORD).await;
    assert!(agent.has("header a[href='/customers']").await);
    agent.goto(&format!("{}/customers", app.base)).await;
    agent.fill("#customer-name", "Công ty An Phát").await;
    agent.fill("#customer-phones", "090.123.4567").await;
    agent.click("#create-customer").await;
    agent
        .wait_for_text("#customer-title", "Công ty An Phát")
        .await;

    // Found again from the list by the number in another notation, as typed.
    agent.goto(&format!("{}/customers", app.base)).await;
    agent.fill("#q", "+84 90 123 4567").await;
    agent.wait_for_text("#customer-total", "1").await;
    agent.click("#customer-results a").await;
    agent
        .wait_for_text("#customer-title", "Công ty An Phát")
        .await;

    // The timeline is live: a call from their number appears without a reload.
    agent.script("window.tallyStayed = 1; return true").await;
    wait_until_live(&agent).await;
    let call = json!([{"id": "pbx-1", "type": "call", "at": jiff::Timestamp::now().to_string(),
        "user_id": "lan", "direction": "inbound", "answered": true, "talk_seconds": 75,
        "phone": "84-90-123-4567"}]);
    assert_eq!(app.events(call).await["accepted"], 1);
    agent.find(".entry-call").await;
    assert!(agent.text(".entry-call").await.contains("0:01:15"));
    assert_eq!(agent.script("return window.tallyStayed").await, json!(1));

    agent.fill("#note-text", "Khách hẹn gọi lại").await;
    agent.click("#add-note button").await;
    agent.find(".entry-note").await;
    assert!(agent.text(".timeline").await.contains("Khách hẹn gọi lại"));
    agent.click("details:has(#add-opportunity) summary").await;
    agent.fill("#opportunity-title", "Hợp đồng tổng đài").await;
    agent.fill("#opportunity-amount", "15.000.000").await;
    agent.click("#add-opportunity button").await;
    agent.find(".entry-opportunity").await;
    assert!(
        agent
            .text(".entry-opportunity")
            .await
            .contains("15.000.000 ₫")
    );

    // Won by dragging the card to the "won" column.
    agent.goto(&format!("{}/opportunities", app.base)).await;
    agent
        .wait_for_text("section[data-status='open'] .count", "1")
        .await;
    let drag = "const card = document.querySelector(\"section[data-status='open'] .deal\");
        const column = document.querySelector(\"section[data-status='won'] .deals\");
        const data = new DataTransfer();
        card.dispatchEvent(new DragEvent('dragstart', {bubbles: true, dataTransfer: data}));
        column.dispatchEvent(new DragEvent('dragover', {bubbles: true, cancelable: true, dataTransfer: data}));
        column.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: data}));
        return true;";
    agent.script(drag).await;
    agent
        .wait_for_text("section[data-status='won'] .count", "1")
        .await;
    assert_eq!(
        agent.text("section[data-status='won'] .column-total").await,
        "15.000.000 ₫"
    );

    // The manager's page moved by itself: created, noted, opened, won.
    manager
        .wait_for_text(&actual("revenue"), "15.000.000 ₫")
        .await;
    manager
        .wait_for_text(&actual("opportunities_won"), "1")
        .await;
    manager
        .wait_for_text(&actual("customer_interactions"), "4")
        .await;
    assert_eq!(
        manager.script("return window.tallyNoReload").await,
        json!(7)
    );

    // Lost in one click: the revenue goes, on the manager's page too.
    agent
        .click("section[data-status='won'] .deal button.move-lost")
        .await;
    agent
        .wait_for_text("section[data-status='lost'] .count", "1")
        .await;
    manager.wait_for_text(&actual("revenue"), "0 ₫").await;
    manager
        .wait_for_text(&actual("opportunities_won"), "0")
        .await;
    agent.quit().await;
    manager.quit().await;
}

pub async fn an_agent_is_refused_another_agents_customer(app: &TestApp) {
    seed(app).await;
    let nam = app.token(tally_core::Role::Agent, Some("nam")).await;
    let customer = json!({"id": "c-nam", "name": "Khách của Nam", "phones": ["0912345678"]});
    assert_eq!(
        app.post_as(&nam, "/api/v1/customers", &customer)
            .await
            .status(),
        StatusCode::CREATED
    );
    let agent = Browser::start().await;
    agent.sign_in(&app.base, "lan@example.vn", PASSWORD).await;
    agent.goto(&format!("{}/customers", app.base)).await;
    agent.wait_for_text("#customer-total", "0").await;
    agent.goto(&format!("{}/customers/c-nam", app.base)).await;
    let heading = agent.text("h1").await;
    assert!(heading.contains("không có quyền"), "{heading}");
    let cookie = agent
        .client
        .get_named_cookie("tally_session")
        .await
        .unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/customers/c-nam/notes", app.base))
        .header("cookie", format!("tally_session={}", cookie.value()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("text=xin+ch%C3%A0o")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let notes = app.get_ok("/api/v1/customers/c-nam/notes").await;
    assert_eq!(notes["total"], 0, "{notes}");
    agent.quit().await;
}

pub async fn todos_are_done_in_one_click_and_dates_are_day_first(app: &TestApp) {
    seed(app).await;
    let lan = app.token(tally_core::Role::Agent, Some("lan")).await;
    let customer = json!({"id": "c-1", "name": "An Phát"});
    assert_eq!(
        app.post_as(&lan, "/api/v1/customers", &customer)
            .await
            .status(),
        StatusCode::CREATED
    );
    let agent = Browser::start().await;
    agent.sign_in(&app.base, "lan@example.vn", PASSWORD).await;
    agent.goto(&format!("{}/customers/c-1", app.base)).await;
    agent.click("details:has(#add-todo) summary").await;
    agent.fill("#todo-title", "Gửi báo giá").await;
    // Typed day first on the Vietnamese page, whatever the browser's locale.
    let (iso, day_first) = today();
    agent.fill("#due-on", &day_first).await;
    agent.click("#add-todo button").await;
    agent.find(".entry-todo").await;
    assert!(agent.text(".entry-todo").await.contains(&day_first));
    agent.goto(&format!("{}/todos?show=today", app.base)).await;
    assert!(agent.text(".todo-list").await.contains("Gửi báo giá"));
    agent.click(".todo-list form button").await;
    agent.find("p.empty").await;
    let todos = app.get_ok("/api/v1/todos").await;
    assert_eq!(todos["items"][0]["done"], true, "{todos}");
    assert_eq!(todos["items"][0]["due_on"], iso, "{todos}");
    agent.quit().await;
}

pub async fn a_supervisor_maps_an_extension_kept_aside(app: &TestApp) {
    seed(app).await;
    let supervises = json!({"user_id": "ha"});
    app.post_ok(
        "/api/v1/teams/north/supervisors",
        &supervises,
        StatusCode::CREATED,
    )
    .await;
    let file = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tally-sources/tests/fixtures/Master.csv")
        .canonicalize()
        .unwrap();
    let boss = Browser::start().await;
    boss.sign_in(&app.base, "boss@example.vn", PASSWORD).await;
    boss.goto(&format!("{}/calls", app.base)).await;
    boss.find("#cdr-file")
        .await
        .send_keys(&file.display().to_string())
        .await
        .unwrap();
    boss.click("#cdr-upload button").await;
    boss.find("#import-summary").await;
    let summary = boss.text("#import-summary").await;
    assert!(summary.contains("11 bản ghi đã đọc"), "{summary}");
    assert!(summary.contains("299 × 1"), "{summary}");
    boss.quit().await;

    let supervisor = Browser::start().await;
    supervisor
        .sign_in(&app.base, "ha@example.vn", PASSWORD)
        .await;
    supervisor.goto(&format!("{}/calls", app.base)).await;
    let kept = "li[data-extension='299']";
    let line = supervisor.text(kept).await;
    assert!(line.contains("299: 1 cuộc gọi"), "{line}");
    supervisor.select(&format!("{kept} select"), "lan").await;
    supervisor.click(&format!("{kept} button")).await;
    supervisor.find("#calls-notice").await;
    assert!(!supervisor.has(kept).await, "nothing kept aside any more");
    let lan = app.user_values("lan", "2026-05-11", "2026-05-11").await;
    assert_eq!(lan["calls"], 1, "the mapped call counts: {lan}");
    supervisor
        .goto(&format!(
            "{}/calls?user_id=lan&from=11/05/2026&to=11/05/2026",
            app.base
        ))
        .await;
    supervisor.wait_for_text("#call-total", "1").await;
    supervisor.quit().await;
}

/// On the Vietnamese KPI page a range is typed day first, whatever the browser's
/// locale, and shown back the same way.
pub async fn a_range_is_typed_day_first_on_the_kpi_page(app: &TestApp) {
    seed(app).await;
    let browser = Browser::start().await;
    browser
        .sign_in(&app.base, "boss@example.vn", PASSWORD)
        .await;
    let (iso, day_first) = today();
    let first = format!("01/{}", &day_first[3..]);
    let kind = "return [document.getElementById('from').type, document.getElementById('from').placeholder]";
    assert_eq!(browser.script(kind).await, json!(["text", "dd/mm/yyyy"]));
    browser.fill("#from", &first).await;
    browser.fill("#to", &day_first).await;
    browser.click("#filters button[type='submit']").await;
    browser.find("p.range").await;
    let started = std::time::Instant::now();
    while !browser.path().await.contains("from=") {
        assert!(
            started.elapsed() < crate::browser::PATIENCE,
            "the range never applied"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let range = browser.text("p.range strong").await;
    assert!(
        range.contains(&first) && range.contains(&day_first),
        "{range}"
    );
    let shown = browser
        .script("return document.getElementById('from').value")
        .await;
    assert_eq!(shown, json!(first));
    // The same range in English: the browser's date picker, in ISO.
    browser.click("a.lang-switch").await;
    browser.wait_for_text("h1", "KPI report").await;
    let kind = "return [document.getElementById('to').type, document.getElementById('to').value]";
    assert_eq!(browser.script(kind).await, json!(["date", iso]));
    browser.quit().await;
}
