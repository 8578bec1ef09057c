//! A view compared with the previous range or with the same dates a year earlier, in
//! the API, the exports and the KPI page; and the page's trend of the last 13 months.

use crate::both;
use crate::goals::calls;
use crate::helpers::{TestApp, table_rows};
use crate::sessions::{get, person, sign_in};
use reqwest::StatusCode;
use serde_json::{Value, json};

both!(
    views_compare_with_the_same_dates_a_year_earlier,
    the_kpi_page_compares_with_last_year_and_shows_thirteen_months,
);

fn won_deal(user: &str, day: &str, id: &str, amount: &str) -> Vec<Value> {
    vec![
        json!({"id": format!("{id}-open"), "type": "opportunity.created", "user_id": user,
               "at": format!("{day}T08:00:00+07:00"), "opportunity_id": id, "customer_id": "c-lan",
               "amount": amount}),
        json!({"id": format!("{id}-won"), "type": "opportunity.status_changed", "user_id": user,
               "at": format!("{day}T09:00:00+07:00"), "opportunity_id": id, "status": "won"}),
    ]
}

/// Lan in team North since 2024-11-01, Minh only since 2025-11-16; a goal for each
/// member of North from 2025-11-01. Calls: Lan 4 in November 2024, 3 in October 2025,
/// 6 in November 2025; Minh 5 in November 2024 (before he joined), 2 in November 2025.
/// Revenue: Lan won 2,000,000 in November 2024 and 1,500,000 in November 2025.
async fn two_years_of_work(app: &TestApp) {
    for (id, name) in [("lan", "Lan"), ("minh", "Minh")] {
        app.user(id, name).await;
    }
    app.post_ok(
        "/api/v1/teams",
        &json!({"id": "north", "name": "North"}),
        StatusCode::CREATED,
    )
    .await;
    for (user, from) in [("lan", "2024-11-01"), ("minh", "2025-11-16")] {
        app.post_ok(
            "/api/v1/teams/north/members",
            &json!({"user_id": user, "from": from}),
            StatusCode::CREATED,
        )
        .await;
    }
    let goal = json!({
        "id": "floor", "name": "Telesales",
        "criteria": [
            {"metric": "calls", "period": "day", "target": 10, "weight": 60},
            {"metric": "revenue", "period": "month", "target": "3000000", "weight": 40}
        ],
        "assignees": [{"team_id": "north"}],
        "starts_on": "2025-11-01"
    });
    app.post_ok("/api/v1/goals", &goal, StatusCode::CREATED)
        .await;
    let mut events = calls("lan", "2024-11-05", 4, 0);
    events.extend(calls("lan", "2025-10-20", 3, 100));
    events.extend(calls("lan", "2025-11-10", 6, 200));
    events.extend(calls("minh", "2024-11-20", 5, 300));
    events.extend(calls("minh", "2025-11-20", 2, 400));
    events.push(
        json!({"id": "c-lan", "type": "customer.created", "user_id": "lan",
                       "at": "2024-11-01T08:00:00+07:00", "customer_id": "c-lan"}),
    );
    events.extend(won_deal("lan", "2024-11-07", "o-2024", "2000000"));
    events.extend(won_deal("lan", "2025-11-10", "o-2025", "1500000"));
    let outcome = app.events(Value::Array(events)).await;
    assert_eq!(outcome["rejected"], json!([]), "{outcome}");
}

fn row<'a>(view: &'a Value, subject: (&str, &str), metric: &str) -> &'a Value {
    view["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[subject.0] == subject.1 && r["metric"] == metric)
        .unwrap_or_else(|| panic!("no row {subject:?} {metric} in {view}"))
}

fn compared(row: &Value) -> (Value, Value, Value) {
    (
        row["previous"].clone(),
        row["change"].clone(),
        row["change_pct"].clone(),
    )
}

async fn views_compare_with_the_same_dates_a_year_earlier(app: &TestApp) {
    two_years_of_work(app).await;
    let november = "from=2025-11-01&to=2025-11-30";

    let before = app
        .get_ok(&format!("/api/v1/progress/employees?{november}"))
        .await;
    assert_eq!(
        (
            &before["compare"],
            &before["previous_from"],
            &before["previous_to"]
        ),
        (
            &json!("previous"),
            &json!("2025-10-02"),
            &json!("2025-10-31")
        )
    );
    let lan = row(&before, ("user_id", "lan"), "calls");
    assert_eq!(compared(lan), (json!(3), json!(3), json!("1")));

    let year = app
        .get_ok(&format!(
            "/api/v1/progress/employees?{november}&compare=year"
        ))
        .await;
    assert_eq!(
        (
            &year["compare"],
            &year["previous_from"],
            &year["previous_to"]
        ),
        (&json!("year"), &json!("2024-11-01"), &json!("2024-11-30"))
    );
    // Lan was a member all of November 2024; the goal counts her then as now.
    let lan = row(&year, ("user_id", "lan"), "calls");
    assert_eq!(lan["actual"], 6);
    assert_eq!(compared(lan), (json!(4), json!(2), json!("0.5")));
    let revenue = row(&year, ("user_id", "lan"), "revenue");
    assert_eq!(
        compared(revenue),
        (json!("2000000"), json!("-500000"), json!("-0.25"))
    );
    // A person's own figure a year ago is all their work then (what went up or down),
    // though Minh was not yet in North.
    let minh = row(&year, ("user_id", "minh"), "calls");
    assert_eq!(minh["actual"], 2);
    assert_eq!(compared(minh), (json!(5), json!(-3), json!("-0.6")));

    // A team whose target is its members' compares what those members did a year
    // ago (Lan's 4 and Minh's 5 calls), as it does with the previous range.
    let teams = app
        .get_ok(&format!("/api/v1/progress/teams?{november}&compare=year"))
        .await;
    let north = row(&teams, ("team_id", "north"), "calls");
    assert_eq!(north["actual"], 8);
    assert_eq!(compared(north), (json!(9), json!(-1), json!("-0.1111")));

    // The goal view and the exports compare the same way; the export names the column.
    let goal = app
        .get_ok(&format!(
            "/api/v1/goals/floor/progress?{november}&compare=year"
        ))
        .await;
    assert_eq!(
        compared(row(&goal, ("user_id", "lan"), "calls")).0,
        json!(4)
    );
    for (lang, header, other) in [
        ("vi", "Cùng kỳ năm trước", "Kỳ trước"),
        ("en", "Same period last year", "Previous period"),
    ] {
        let path = format!(
            "/api/v1/progress/employees?{november}&compare=year&format=csv&lang={lang}&user_id=lan"
        );
        let response = app.get_as(&app.owner, &path).await;
        assert_eq!(response.status(), StatusCode::OK);
        let csv = response.text().await.unwrap();
        let mut lines = csv.lines();
        let headers: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert!(
            headers.contains(&header) && !headers.contains(&other),
            "{headers:?}"
        );
        let at = headers.iter().position(|h| *h == header).unwrap();
        let calls_row = lines.find(|l| l.contains(",calls,")).unwrap();
        assert_eq!(calls_row.split(',').nth(at), Some("4"), "{calls_row}");
    }

    let bad = app
        .get_as(
            &app.owner,
            &format!("/api/v1/progress/teams?{november}&compare=last_year"),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error: Value = bad.json().await.unwrap();
    assert_eq!(error["error"]["field"], "compare", "{error}");
}

async fn the_kpi_page_compares_with_last_year_and_shows_thirteen_months(app: &TestApp) {
    two_years_of_work(app).await;
    person(app, "boss", "admin").await;
    let session = sign_in(app, "boss").await;
    let path = "/kpi?view=employee&from=2025-11-01&to=2025-11-30&compare=year";
    let page = get(app, &session, path).await.text().await.unwrap();
    assert!(
        page.contains("cùng kỳ năm trước: 01/11/2024 – 30/11/2024"),
        "{page}"
    );
    assert!(page.contains("So với cùng kỳ năm trước"));
    assert!(page.contains(r#"<option value="year" selected>"#));
    // The live part keeps the comparison when it is fetched again.
    // The first address the page fetches by itself, past the bell's in the header.
    let live = page
        .split("hx-get=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|address| !address.starts_with("/notifications/"))
        .unwrap();
    assert!(
        live.starts_with("/kpi/report?") && live.ends_with("compare=year"),
        "{live}"
    );
    let fragment = get(
        app,
        &session,
        "/kpi/report?view=employee&from=2025-11-01&to=2025-11-30&compare=year",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(fragment.contains("So với cùng kỳ năm trước"));

    // Thirteen months, November 2024 to November 2025, the people of the table summed:
    // calls 4 + 5 a year ago, 3 in October, 6 + 2 now; revenue won in each November.
    assert!(
        page.contains(r#"hx-get="/kpi/months?view=employee"#),
        "{page}"
    );
    let months_path = "/kpi/months?view=employee&from=2025-11-01&to=2025-11-30&compare=year";
    let part = get(app, &session, months_path).await.text().await.unwrap();
    let months = table_rows(&part, r#"<table class="months">"#);
    assert_eq!(months.len(), 13, "{months:?}");
    assert_eq!(months[0], ["11/2024", "9", "2.000.000 ₫"]);
    assert_eq!(months[1], ["12/2024", "0", "0 ₫"]);
    assert_eq!(months[11], ["10/2025", "3", "0 ₫"]);
    assert_eq!(months[12], ["11/2025", "8", "1.500.000 ₫"]);

    // The default compares with the range just before.
    let plain = get(
        app,
        &session,
        "/kpi?view=employee&from=2025-11-01&to=2025-11-30",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        plain.contains("kỳ trước: 02/10/2025 – 31/10/2025"),
        "{plain}"
    );
    assert!(!plain.contains("So với cùng kỳ năm trước"));
    // The downloads compare as the page does.
    assert!(
        csv_link(&page).contains("compare=year"),
        "{}",
        csv_link(&page)
    );
    assert!(
        !csv_link(&plain).contains("compare"),
        "{}",
        csv_link(&plain)
    );
}

/// The address of the page's CSV download.
fn csv_link(page: &str) -> String {
    page.split("href=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap())
        .find(|href| href.contains("format=csv"))
        .unwrap_or_else(|| panic!("no CSV link in {page}"))
        .to_owned()
}
