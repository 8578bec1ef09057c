//! The mini-CRM: each action stores its record and emits its event together, credited
//! to the signed-in user; search, paging and sorting.

use crate::access::send;
use crate::both;
use crate::helpers::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tally_core::Role;

both!(
    crm_actions_count_for_the_signed_in_user,
    a_refused_event_leaves_no_record,
    customers_are_found_by_name_and_any_phone_notation_and_paged,
    each_person_reads_the_records_of_the_people_they_act_for,
);

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, value) = send(app, token, reqwest::Method::POST, path, body).await;
    assert_eq!(status, StatusCode::CREATED, "POST {path}: {value}");
    value
}

async fn patch(app: &TestApp, token: &str, path: &str, body: Value) -> Value {
    let (status, value) = send(app, token, reqwest::Method::PATCH, path, body).await;
    assert_eq!(status, StatusCode::OK, "PATCH {path}: {value}");
    value
}

pub fn today() -> String {
    let zone = jiff::tz::TimeZone::get("Asia/Ho_Chi_Minh").unwrap();
    jiff::Timestamp::now()
        .to_zoned_datetime(zone)
        .date()
        .to_string()
}

async fn crm_actions_count_for_the_signed_in_user(app: &TestApp) {
    app.user("lan", "Lan").await;
    app.user("minh", "Minh").await;
    let lan = app.token(Role::Agent, Some("lan")).await;
    let customer = post(app, &lan, "/api/v1/customers", json!({"id": "c1", "name": "Công ty An Phát", "phones": ["+84 90 123 4567"], "company": "An Phát"})).await;
    assert_eq!(
        (
            customer["owner_id"].as_str(),
            customer["created_by"].as_str()
        ),
        (Some("lan"), Some("lan"))
    );
    assert_eq!(customer["phones_normalized"], json!(["0901234567"]));
    post(
        app,
        &lan,
        "/api/v1/customers/c1/notes",
        json!({"id": "n1", "text": "Gọi lại thứ Hai"}),
    )
    .await;
    patch(
        app,
        &lan,
        "/api/v1/notes/n1",
        json!({"text": "Gọi lại thứ Ba"}),
    )
    .await;
    post(
        app,
        &lan,
        "/api/v1/opportunities",
        json!({"id": "o1", "title": "Gói 12 tháng", "customer_id": "c1", "amount": "15000000"}),
    )
    .await;
    let won = patch(
        app,
        &lan,
        "/api/v1/opportunities/o1",
        json!({"status": "won"}),
    )
    .await;
    assert_eq!(won["status"], "won");
    // An agent gives no to-do to someone else; an admin does, and its assignee (not
    // its creator) completes it.
    let for_minh =
        json!({"id": "t1", "title": "Gửi hợp đồng", "assignee_id": "minh", "customer_id": "c1"});
    let (status, _) = send(
        app,
        &lan,
        reqwest::Method::POST,
        "/api/v1/todos",
        for_minh.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.post_ok(
        "/api/v1/users",
        &json!({"id": "boss", "name": "Boss", "role": "admin"}),
        StatusCode::CREATED,
    )
    .await;
    let boss = app.token(Role::Admin, Some("boss")).await;
    post(app, &boss, "/api/v1/todos", for_minh).await;
    let minh = app.token(Role::Agent, Some("minh")).await;
    let (status, _) = send(
        app,
        &lan,
        reqwest::Method::PATCH,
        "/api/v1/todos/t1",
        json!({"done": true}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not lan's to-do");
    let done = patch(app, &minh, "/api/v1/todos/t1", json!({"done": true})).await;
    assert_eq!(done["done"], true);
    patch(app, &minh, "/api/v1/todos/t1", json!({"done": true})).await;
    let now = jiff::Timestamp::now().to_string();
    post(
        app,
        &lan,
        "/api/v1/meetings",
        json!({"id": "m1", "customer_id": "c1", "at": now, "held": true}),
    )
    .await;
    post(
        app,
        &lan,
        "/api/v1/meetings",
        json!({"id": "m2", "customer_id": "c1", "at": now}),
    )
    .await;
    patch(app, &lan, "/api/v1/meetings/m2", json!({"held": true})).await;
    let (status, _) = send(
        app,
        &lan,
        reqwest::Method::PATCH,
        "/api/v1/meetings/m2",
        json!({"held": false}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    for (channel, direction, delivered) in [
        ("sms", "sent", Some(true)),
        ("email", "sent", Some(false)),
        ("email", "received", None),
        ("sms", "received", None),
    ] {
        let mut body = json!({"channel": channel, "direction": direction, "customer_id": "c1"});
        if let Some(d) = delivered {
            body["delivered"] = json!(d);
        }
        post(app, &lan, "/api/v1/messages", body).await;
    }
    let day = today();
    let lan_values = app.user_values("lan", &day, &day).await;
    let expected = [
        ("customers_new", 1),
        ("customers_interacted", 1),
        // created, note added, opportunity created, status changed, 2 meetings, SMS, email received.
        ("customer_interactions", 8),
        ("opportunities_new", 1),
        ("opportunities_won", 1),
        ("meetings", 2),
        ("sms_sent", 1),
        ("emails_sent", 0),
        ("todos_created", 0),
    ];
    for (metric, value) in expected {
        assert_eq!(
            lan_values[metric].as_i64(),
            Some(value),
            "lan {metric}: {lan_values}"
        );
    }
    assert_eq!(lan_values["revenue"], "15000000");
    let minh_values = app.user_values("minh", &day, &day).await;
    assert_eq!(
        (
            minh_values["todos_created"].as_i64(),
            minh_values["todos_completed"].as_i64()
        ),
        (Some(1), Some(1))
    );
    // An unchanged save emits nothing; an agent may not move credit, nor touch
    // another's deal; a supervisor reassigns, and the credit moves.
    patch(
        app,
        &lan,
        "/api/v1/customers/c1",
        json!({"name": "Công ty An Phát"}),
    )
    .await;
    patch(
        app,
        &lan,
        "/api/v1/opportunities/o1",
        json!({"amount": "15000000"}),
    )
    .await;
    let unchanged = app.user_values("lan", &day, &day).await;
    assert_eq!(unchanged["customer_interactions"], 8, "{unchanged}");
    assert_eq!(
        unchanged["opportunity_interactions"], 2,
        "created and won: {unchanged}"
    );
    let move_it = json!({"owner_id": "minh", "amount": "20000000"});
    let (status, _) = send(
        app,
        &lan,
        reqwest::Method::PATCH,
        "/api/v1/opportunities/o1",
        move_it.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(
        app,
        &minh,
        reqwest::Method::PATCH,
        "/api/v1/opportunities/o1",
        json!({"status": "lost"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "not minh's deal");
    app.post_ok(
        "/api/v1/users",
        &json!({"id": "sup", "name": "Sup", "role": "supervisor"}),
        StatusCode::CREATED,
    )
    .await;
    let sup = app.token(Role::Supervisor, Some("sup")).await;
    // A supervisor moves deals only among the people of the teams they supervise.
    let (status, _) = send(
        app,
        &sup,
        reqwest::Method::PATCH,
        "/api/v1/opportunities/o1",
        move_it.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "lan is not in sup's teams");
    app.post_ok(
        "/api/v1/teams",
        &json!({"id": "north", "name": "North"}),
        StatusCode::CREATED,
    )
    .await;
    for user in ["lan", "minh"] {
        let member = json!({"user_id": user, "from": "2020-01-01"});
        app.post_ok("/api/v1/teams/north/members", &member, StatusCode::CREATED)
            .await;
    }
    let supervises = json!({"user_id": "sup"});
    app.post_ok(
        "/api/v1/teams/north/supervisors",
        &supervises,
        StatusCode::CREATED,
    )
    .await;
    patch(app, &sup, "/api/v1/opportunities/o1", move_it).await;
    let minh_values = app.user_values("minh", &day, &day).await;
    assert_eq!(
        (
            minh_values["opportunities_won"].as_i64(),
            minh_values["revenue"].as_str()
        ),
        (Some(1), Some("20000000"))
    );
    assert_eq!(app.user_values("lan", &day, &day).await["revenue"], "0");
    // The owner token bound to nobody cannot act in the CRM; reading is open.
    let (status, _) = send(
        app,
        &app.owner,
        reqwest::Method::POST,
        "/api/v1/customers",
        json!({"name": "X"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = send(
        app,
        &minh,
        reqwest::Method::PATCH,
        "/api/v1/todos/t1",
        json!({"done": false}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a counted completion stays"
    );
    let future = json!({"customer_id": "c1", "at": "2099-01-01T09:00:00+07:00", "held": true});
    let (status, _) = send(app, &lan, reqwest::Method::POST, "/api/v1/meetings", future).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let wallboard = app.token(Role::Agent, None).await;
    assert_eq!(
        app.get_as(&wallboard, "/api/v1/customers").await.status(),
        StatusCode::FORBIDDEN
    );
    let notes = app.get_ok("/api/v1/customers/c1/notes").await;
    assert_eq!(notes["items"][0]["text"], "Gọi lại thứ Ba");
    let messages = app.get_ok("/api/v1/messages?customer_id=c1").await;
    assert_eq!(messages["total"], 4);
}

async fn a_refused_event_leaves_no_record(app: &TestApp) {
    app.user("lan", "Lan").await;
    let lan = app.token(Role::Agent, Some("lan")).await;
    let (status, error) = send(
        app,
        &lan,
        reqwest::Method::POST,
        "/api/v1/opportunities",
        json!({"id": "o9", "title": "X", "customer_id": "nobody", "amount": 5}),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["field"], "customer_id", "{error}");
    assert_eq!(
        app.get_as(&app.owner, "/api/v1/opportunities/o9")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    // An agent may not give a customer to anyone else; an admin's unknown owner is
    // refused by the event, and nothing is stored.
    let ghost = json!({"id": "c9", "name": "Y", "owner_id": "ghost"});
    let (status, _) = send(
        app,
        &lan,
        reqwest::Method::POST,
        "/api/v1/customers",
        ghost.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.post_ok(
        "/api/v1/users",
        &json!({"id": "boss", "name": "Boss", "role": "admin"}),
        StatusCode::CREATED,
    )
    .await;
    let boss = app.token(Role::Admin, Some("boss")).await;
    let (status, error) = send(
        app,
        &boss,
        reqwest::Method::POST,
        "/api/v1/customers",
        ghost,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error["error"]["field"], "owner_id", "{error}");
    assert_eq!(
        app.get_as(&app.owner, "/api/v1/customers/c9")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let (status, error) = send(
        app,
        &lan,
        reqwest::Method::POST,
        "/api/v1/customers",
        json!({"name": "Z", "phones": ["call me"]}),
    )
    .await;
    assert_eq!(
        (status, error["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("phones[0]"))
    );
    let (status, _) = send(
        app,
        &lan,
        reqwest::Method::POST,
        "/api/v1/opportunities",
        json!({"title": "X", "customer_id": "c9", "amount": "1.5"}),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "VND has no decimals"
    );
    let day = today();
    assert_eq!(
        app.user_values("lan", &day, &day).await["opportunities_new"],
        0
    );
    post(
        app,
        &lan,
        "/api/v1/customers",
        json!({"id": "c1", "name": "A"}),
    )
    .await;
    let (status, _) = send(
        app,
        &lan,
        reqwest::Method::POST,
        "/api/v1/customers",
        json!({"id": "c1", "name": "B"}),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
}

async fn customers_are_found_by_name_and_any_phone_notation_and_paged(app: &TestApp) {
    app.user("lan", "Lan").await;
    let lan = app.token(Role::Supervisor, Some("lan")).await;
    post(
        app,
        &lan,
        "/api/v1/customers",
        json!({"id": "a", "name": "Nguyễn Văn An", "phones": ["090.123.4567"]}),
    )
    .await;
    post(app, &lan, "/api/v1/customers", json!({"id": "b", "name": "Trần Thị Bình", "phones": ["028 3822 1234"], "email": "binh@example.vn"})).await;
    post(
        app,
        &lan,
        "/api/v1/customers",
        json!({"id": "c", "name": "Lê Văn Cường"}),
    )
    .await;
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(&app.get_ok("/api/v1/customers?q=v%C4%83n").await),
        ["a", "c"]
    );
    assert_eq!(
        ids(&app.get_ok("/api/v1/customers?q=example.vn").await),
        ["b"]
    );
    for phone in ["0901234567", "%2B84901234567", "84%20901%20234%20567"] {
        assert_eq!(
            ids(&app
                .get_ok(&format!("/api/v1/customers?phone={phone}"))
                .await),
            ["a"],
            "{phone}"
        );
    }
    assert_eq!(
        ids(&app.get_ok("/api/v1/customers?phone=%2B842838221234").await),
        ["b"]
    );
    let page = app
        .get_ok("/api/v1/customers?sort=name&order=desc&limit=2")
        .await;
    assert_eq!(
        (page["total"].as_i64(), ids(&page)),
        (Some(3), vec!["b".to_owned(), "a".to_owned()])
    );
    let next = app
        .get_ok("/api/v1/customers?sort=name&order=desc&limit=2&offset=2")
        .await;
    assert_eq!(ids(&next), ["c"]);
    // A changed phone replaces the old one in search.
    patch(
        app,
        &lan,
        "/api/v1/customers/a",
        json!({"phones": ["0911 000 111"]}),
    )
    .await;
    assert_eq!(
        ids(&app.get_ok("/api/v1/customers?phone=0901234567").await),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&app.get_ok("/api/v1/customers?phone=0911000111").await),
        ["a"]
    );
    let bad = app.get_as(&app.owner, "/api/v1/customers?sort=size").await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// An agent reads their own customers, opportunities and to-dos (and what is written on
/// their customers); a supervisor those of their teams' people; an owner everything.
/// Another agent's customer is refused by id, in lists and as the target of an action.
async fn each_person_reads_the_records_of_the_people_they_act_for(app: &TestApp) {
    for (id, name, role) in [
        ("lan", "Lan", Role::Agent),
        ("minh", "Minh", Role::Agent),
        ("sup", "Sup", Role::Supervisor),
    ] {
        app.user_as(id, name, role).await;
    }
    let team = json!({"id": "north", "name": "North"});
    app.post_ok("/api/v1/teams", &team, StatusCode::CREATED)
        .await;
    let member = json!({"user_id": "lan", "from": "2020-01-01"});
    app.post_ok("/api/v1/teams/north/members", &member, StatusCode::CREATED)
        .await;
    let supervises = json!({"user_id": "sup"});
    app.post_ok(
        "/api/v1/teams/north/supervisors",
        &supervises,
        StatusCode::CREATED,
    )
    .await;
    let lan = app.token(Role::Agent, Some("lan")).await;
    let minh = app.token(Role::Agent, Some("minh")).await;
    let sup = app.token(Role::Supervisor, Some("sup")).await;
    post(
        app,
        &lan,
        "/api/v1/customers",
        json!({"id": "c-lan", "name": "Lan's customer"}),
    )
    .await;
    post(
        app,
        &minh,
        "/api/v1/customers",
        json!({"id": "c-minh", "name": "Minh's customer"}),
    )
    .await;
    post(
        app,
        &lan,
        "/api/v1/customers/c-lan/notes",
        json!({"text": "called"}),
    )
    .await;
    post(
        app,
        &lan,
        "/api/v1/opportunities",
        json!({"id": "o-lan", "title": "A", "customer_id": "c-lan", "amount": 5}),
    )
    .await;
    post(
        app,
        &minh,
        "/api/v1/todos",
        json!({"id": "t-minh", "title": "B"}),
    )
    .await;

    let ids = |page: &Value| -> Vec<String> {
        let items = page["items"].as_array().unwrap();
        items
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let list = |token: &str, path: &str| {
        let (token, path) = (token.to_owned(), path.to_owned());
        async move {
            app.get_as(&token, &path)
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    assert_eq!(ids(&list(&lan, "/api/v1/customers").await), ["c-lan"]);
    assert_eq!(ids(&list(&minh, "/api/v1/customers").await), ["c-minh"]);
    assert_eq!(ids(&list(&sup, "/api/v1/customers").await), ["c-lan"]);
    let mut everyone = ids(&list(&app.owner, "/api/v1/customers?sort=name").await);
    everyone.sort();
    assert_eq!(everyone, ["c-lan", "c-minh"]);
    assert_eq!(
        ids(&list(&minh, "/api/v1/opportunities").await),
        Vec::<String>::new()
    );
    assert_eq!(
        ids(&list(&lan, "/api/v1/todos").await),
        Vec::<String>::new()
    );
    assert_eq!(ids(&list(&sup, "/api/v1/opportunities").await), ["o-lan"]);
    assert_eq!(
        list(&lan, "/api/v1/customers/c-lan/notes").await["total"],
        1
    );

    // By id and by action: another agent's customer is refused, not hidden.
    for path in [
        "/api/v1/customers/c-lan",
        "/api/v1/customers/c-lan/notes",
        "/api/v1/opportunities/o-lan",
    ] {
        let response = app.get_as(&minh, path).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(
        app.get_as(&sup, "/api/v1/customers/c-minh").await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get_as(&sup, "/api/v1/customers/c-lan").await.status(),
        StatusCode::OK
    );
    for (path, body) in [
        ("/api/v1/customers/c-lan/notes", json!({"text": "mine now"})),
        (
            "/api/v1/opportunities",
            json!({"title": "X", "customer_id": "c-lan", "amount": 1}),
        ),
        (
            "/api/v1/todos",
            json!({"title": "X", "customer_id": "c-lan"}),
        ),
    ] {
        let (status, body) = send(app, &minh, reqwest::Method::POST, path, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
    }
    let (status, _) = send(
        app,
        &minh,
        reqwest::Method::PATCH,
        "/api/v1/customers/c-lan",
        json!({"name": "Y"}),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nothing of the refused actions was stored.
    assert_eq!(
        list(&app.owner, "/api/v1/customers/c-lan/notes").await["total"],
        1
    );
}
