//! The OpenAPI description at `/api/v1/openapi.json`: every route the router serves is
//! in it, nothing in it is missing from the router, and real answers match it.

use crate::both;
use crate::helpers::TestApp;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use tally_core::Role;

both!(
    the_description_and_the_router_agree,
    every_operation_answers_as_described
);

const METHODS: [&str; 5] = ["get", "post", "patch", "put", "delete"];

/// The description, fetched without a token as an integrator's generator would.
async fn description(app: &TestApp) -> Value {
    let response = app
        .client
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let doc: Value = response.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    // Valid by the OpenAPI 3.1 schema, so client generators take it.
    let schema = include_str!("fixtures/openapi-3.1-schema.json");
    let schema: Value = serde_json::from_str(schema).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not a valid OpenAPI 3.1 document: {errors:?}"
    );
    doc
}

/// Every described (method, path template).
fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let paths = doc["paths"].as_object().unwrap();
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS
                .iter()
                .filter(|m| item.get(**m).is_some())
                .map(|m| (m.to_string(), path.clone()))
        })
        .collect()
}

/// A concrete path of a template: each `{param}` becomes `x`.
fn concrete(template: &str) -> String {
    template
        .split('/')
        .map(|s| if s.starts_with('{') { "x" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// Every `"/api/v1/…"` text in the server's sources, up to its query: the routes it
/// registers and the API addresses its pages use.
fn paths_in_sources() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut dirs = vec![std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src"
    ))];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs" || e == "html") {
                let text = std::fs::read_to_string(&path).unwrap();
                for piece in text.split("\"/api/v1/").skip(1) {
                    let end = piece.find(['"', '?']).unwrap_or(piece.len());
                    found.insert(format!("/api/v1/{}", &piece[..end]));
                }
            }
        }
    }
    found
}

async fn the_description_and_the_router_agree(app: &TestApp) {
    let doc = description(app).await;
    let described = operations(&doc);
    assert!(described.len() >= 50, "{} operations", described.len());
    // What OpenAPI requires of each operation, and what a generated client needs.
    for (method, template) in &described {
        let operation = &doc["paths"][template][method];
        assert!(
            operation["summary"].is_string(),
            "{method} {template}: no summary"
        );
        assert!(
            operation["operationId"].is_string(),
            "{method} {template}: no id"
        );
        let responses = operation["responses"].as_object().unwrap();
        for (status, answer) in responses {
            let described = answer["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty());
            assert!(described, "{method} {template} {status}: no description");
        }
    }
    let ids: BTreeSet<&str> = described
        .iter()
        .map(|(m, t)| doc["paths"][t][m]["operationId"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), described.len(), "operation ids are not unique");
    // Each described operation is routed: the router's own 404 and 405 never answer.
    for (method, template) in &described {
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let url = format!("{}{}", app.base, concrete(template));
        let response = app
            .client
            .request(method.clone(), url)
            .bearer_auth(&app.owner)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert_ne!(
            status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {template}"
        );
        assert_ne!(message, "no such endpoint", "{method} {template}");
    }
    // A described path takes no method it does not describe.
    let paths: BTreeSet<&String> = described.iter().map(|(_, p)| p).collect();
    for template in paths {
        for method in METHODS {
            if described.contains(&(method.to_owned(), template.clone())) {
                continue;
            }
            let response = app
                .client
                .request(
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    format!("{}{}", app.base, concrete(template)),
                )
                .bearer_auth(&app.owner)
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {template} is served but not described"
            );
        }
    }
    // Every API address the server's code names is described.
    let templates: BTreeSet<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    for path in paths_in_sources() {
        let known = templates.iter().any(|t| matches(t, &path) || *t == path);
        assert!(
            known,
            "{path} appears in the server's code but not in the description"
        );
    }
    // Something not described is not served.
    let response = app.get_as(&app.owner, "/api/v1/nothing-here").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

/// Whether a concrete path (or a `format!` path with `{…}` holes) fits a template.
fn matches(template: &str, path: &str) -> bool {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    t.len() == p.len()
        && t.iter()
            .zip(&p)
            .all(|(t, p)| t == p || (t.starts_with('{') && !p.is_empty()))
}

/// Checks answers against the description and records which operations were checked.
struct Checker {
    doc: Value,
    checked: BTreeSet<(String, String)>,
}

impl Checker {
    /// The template of a concrete path: the one with the most fixed segments.
    fn template(&self, path: &str) -> String {
        let path = path.split('?').next().unwrap();
        let templates = self.doc["paths"].as_object().unwrap().keys();
        let fitting = templates.filter(|t| matches(t, path));
        let best = fitting.max_by_key(|t| t.split('/').filter(|s| !s.starts_with('{')).count());
        best.unwrap_or_else(|| panic!("no description of {path}"))
            .clone()
    }

    /// Asserts the answer's status is described for the operation, and its JSON body
    /// fits the described schema, every object holding only described fields.
    fn check(&mut self, method: &str, path: &str, status: StatusCode, body: &Value) {
        let template = self.template(path);
        let operation = &self.doc["paths"][&template][method];
        let answer = &operation["responses"][status.as_str()];
        assert!(
            answer.is_object(),
            "{method} {template}: status {status} is not described"
        );
        if let Some(schema) = answer["content"]["application/json"].get("schema") {
            let mut root = schema.clone();
            root["components"] = closed(self.doc["components"].clone());
            let validator = jsonschema::draft202012::new(&root).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(body)
                .map(|e| format!("{e} at {}", e.instance_path()))
                .collect();
            assert!(
                errors.is_empty(),
                "{method} {template} {status}: {errors:?}\n{body:#}"
            );
        }
        self.checked.insert((method.to_owned(), template));
    }
}

/// The components with every object schema closed to fields it does not describe.
fn closed(mut value: Value) -> Value {
    match &mut value {
        Value::Object(map) => {
            for child in map.values_mut() {
                *child = closed(child.take());
            }
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
        }
        Value::Array(items) => {
            for item in items {
                *item = closed(item.take());
            }
        }
        _ => {}
    }
    value
}

/// A request as someone, checked against the description; its JSON answer.
async fn call(
    app: &TestApp,
    checker: &mut Checker,
    token: &str,
    method: &str,
    path: &str,
    body: Option<(&str, Vec<u8>)>,
    expected: StatusCode,
) -> Value {
    let mut request = app
        .client
        .request(
            Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
            format!("{}{path}", app.base),
        )
        .bearer_auth(token);
    if let Some((content_type, bytes)) = body {
        request = request.header("content-type", content_type).body(bytes);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(status, expected, "{method} {path}: {text}");
    let value = serde_json::from_str(&text).unwrap_or(Value::Null);
    checker.check(method, path, status, &value);
    value
}

fn json_body(value: Value) -> Option<(&'static str, Vec<u8>)> {
    Some(("application/json", value.to_string().into_bytes()))
}

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../tally-sources/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(path).unwrap()
}

async fn every_operation_answers_as_described(app: &TestApp) {
    let doc = description(app).await;
    let described = operations(&doc);
    let mut c = Checker {
        doc,
        checked: BTreeSet::new(),
    };
    let c = &mut c;
    let owner = app.owner.clone();
    let (ok, created) = (StatusCode::OK, StatusCode::CREATED);

    // People and teams.
    let lan = json!({"id": "lan", "name": "Lan", "role": "agent", "extension": "201", "email": "lan@example.vn"});
    call(
        app,
        c,
        &owner,
        "post",
        "/api/v1/users",
        json_body(lan),
        created,
    )
    .await;
    let sup = json!({"id": "sup", "name": "Sup", "role": "supervisor"});
    call(
        app,
        c,
        &owner,
        "post",
        "/api/v1/users",
        json_body(sup),
        created,
    )
    .await;
    let boss = json!({"id": "boss", "name": "Boss", "role": "admin"});
    call(
        app,
        c,
        &owner,
        "post",
        "/api/v1/users",
        json_body(boss),
        created,
    )
    .await;
    call(app, c, &owner, "get", "/api/v1/users", None, ok).await;
    call(
        app,
        c,
        &owner,
        "patch",
        "/api/v1/users/lan",
        json_body(json!({"name": "Nguyễn Thị Lan"})),
        ok,
    )
    .await;
    call(app, c, &owner, "get", "/api/v1/users/lan", None, ok).await;
    let wallboard = app.token(Role::Agent, None).await;
    call(app, c, &wallboard, "get", "/api/v1/users", None, ok).await;
    call(
        app,
        c,
        &owner,
        "post",
        "/api/v1/teams",
        json_body(json!({"id": "north", "name": "North"})),
        created,
    )
    .await;
    call(app, c, &owner, "get", "/api/v1/teams", None, ok).await;
    let member = json!({"user_id": "lan", "from": "2026-01-01"});
    call(
        app,
        c,
        &owner,
        "post",
        "/api/v1/teams/north/members",
        json_body(member),
        created,
    )
    .await;
    call(
        app,
        c,
        &owner,
        "get",
        "/api/v1/teams/north/members",
        None,
        ok,
    )
    .await;
    call(app, c, &owner, "get", "/api/v1/teams/north", None, ok).await;
    call(
        app,
        c,
        &owner,
        "post",
        "/api/v1/teams/north/supervisors",
        json_body(json!({"user_id": "sup"})),
        created,
    )
    .await;
    call(
        app,
        c,
        &owner,
        "get",
        "/api/v1/teams/north/supervisors",
        None,
        ok,
    )
    .await;
    call(
        app,
        c,
        &owner,
        "delete",
        "/api/v1/teams/north/supervisors/sup",
        None,
        StatusCode::NO_CONTENT,
    )
    .await;

    // Events, calls and reports.
    let today = crate::crm::today();
    let at = jiff::Timestamp::now().to_string();
    let events = json!([{"id": "e1", "type": "call", "at": at, "user_id": "lan", "direction": "outbound",
        "answered": true, "talk_seconds": 60, "phone": "0901234567"}, {"id": "e2", "type": "call"}]);
    let received = call(
        app,
        c,
        &owner,
        "post",
        "/api/v1/events",
        json_body(events),
        ok,
    )
    .await;
    assert_eq!(received["accepted"], 1);
    call(
        app,
        c,
        &owner,
        "post",
        "/api/v1/calls/asterisk",
        Some(("text/csv", fixture("Master.csv"))),
        ok,
    )
    .await;
    let cdr = Some(("application/json", fixture("freeswitch-outbound.json")));
    call(app, c, &owner, "post", "/api/v1/calls/freeswitch", cdr, ok).await;
    let unmapped = call(app, c, &owner, "get", "/api/v1/calls/unmapped", None, ok).await;
    assert!(
        !unmapped.as_array().unwrap().is_empty(),
        "the fixture keeps calls aside"
    );
    call(app, c, &owner, "post", "/api/v1/calls/retry", None, ok).await;
    call(
        app,
        c,
        &owner,
        "get",
        "/api/v1/reports/users?period=today",
        None,
        ok,
    )
    .await;
    call(
        app,
        c,
        &owner,
        "get",
        "/api/v1/reports/teams?period=this_month&metrics=calls,revenue",
        None,
        ok,
    )
    .await;
    call(app, c, &owner, "get", "/api/v1/metrics", None, ok).await;
    call(app, c, &owner, "get", "/api/v1/settings", None, ok).await;
    call(
        app,
        c,
        &owner,
        "patch",
        "/api/v1/settings",
        json_body(json!({"grade_a": "0.95"})),
        ok,
    )
    .await;

    // Goals and their views.
    let goal = json!({"id": "g", "name": "Gọi", "starts_on": "2026-01-01",
        "criteria": [{"metric": "calls", "period": "day", "target": 40, "weight": 60},
                     {"metric": "revenue", "period": "month", "target": "300000000", "weight": 40}],
        "assignees": [{"team_id": "north"}, {"user_id": "boss"}]});
    call(
        app,
        c,
        &owner,
        "post",
        "/api/v1/goals",
        json_body(goal),
        created,
    )
    .await;
    call(app, c, &owner, "get", "/api/v1/goals", None, ok).await;
    call(app, c, &owner, "get", "/api/v1/goals/g", None, ok).await;
    call(
        app,
        c,
        &owner,
        "patch",
        "/api/v1/goals/g",
        json_body(json!({"ends_on": "2030-12-31"})),
        ok,
    )
    .await;
    call(app, c, &owner, "get", "/api/v1/goals/g/history", None, ok).await;
    let view = call(
        app,
        c,
        &owner,
        "get",
        "/api/v1/goals/g/progress?period=this_month",
        None,
        ok,
    )
    .await;
    assert!(!view["rows"].as_array().unwrap().is_empty());
    call(app, c, &owner, "get", "/api/v1/goals/g/results", None, ok).await;
    call(
        app,
        c,
        &owner,
        "get",
        "/api/v1/progress/employees",
        None,
        ok,
    )
    .await;
    call(
        app,
        c,
        &owner,
        "get",
        "/api/v1/progress/users?period=this_week",
        None,
        ok,
    )
    .await;
    call(app, c, &owner, "get", "/api/v1/progress/teams", None, ok).await;

    // The CRM, as a person (the admin) and as an agent.
    let boss = app.token(Role::Admin, Some("boss")).await;
    let agent = app.token(Role::Agent, Some("lan")).await;
    let customer =
        json!({"id": "an", "name": "An Phát", "phones": ["+84 91 234 5678"], "company": "An Phát"});
    call(
        app,
        c,
        &agent,
        "post",
        "/api/v1/customers",
        json_body(customer),
        created,
    )
    .await;
    call(
        app,
        c,
        &boss,
        "patch",
        "/api/v1/customers/an",
        json_body(json!({"email": "a@anphat.vn"})),
        ok,
    )
    .await;
    call(app, c, &agent, "get", "/api/v1/customers/an", None, ok).await;
    call(
        app,
        c,
        &agent,
        "get",
        "/api/v1/customers?phone=0912345678",
        None,
        ok,
    )
    .await;
    let note = call(
        app,
        c,
        &agent,
        "post",
        "/api/v1/customers/an/notes",
        json_body(json!({"text": "Gọi lại"})),
        created,
    )
    .await;
    let note_id = note["id"].as_str().unwrap();
    call(
        app,
        c,
        &agent,
        "patch",
        &format!("/api/v1/notes/{note_id}"),
        json_body(json!({"text": "Gọi lại thứ Hai"})),
        ok,
    )
    .await;
    call(
        app,
        c,
        &agent,
        "get",
        "/api/v1/customers/an/notes",
        None,
        ok,
    )
    .await;
    let deal =
        json!({"id": "o1", "title": "Gói 12 tháng", "customer_id": "an", "amount": "15000000"});
    call(
        app,
        c,
        &agent,
        "post",
        "/api/v1/opportunities",
        json_body(deal),
        created,
    )
    .await;
    call(
        app,
        c,
        &agent,
        "patch",
        "/api/v1/opportunities/o1",
        json_body(json!({"status": "won"})),
        ok,
    )
    .await;
    call(app, c, &agent, "get", "/api/v1/opportunities/o1", None, ok).await;
    call(
        app,
        c,
        &agent,
        "get",
        "/api/v1/opportunities?customer_id=an",
        None,
        ok,
    )
    .await;
    let todo = json!({"id": "t1", "title": "Gửi hợp đồng", "due_on": today, "customer_id": "an"});
    call(
        app,
        c,
        &agent,
        "post",
        "/api/v1/todos",
        json_body(todo),
        created,
    )
    .await;
    call(
        app,
        c,
        &agent,
        "patch",
        "/api/v1/todos/t1",
        json_body(json!({"done": true})),
        ok,
    )
    .await;
    call(app, c, &agent, "get", "/api/v1/todos/t1", None, ok).await;
    call(
        app,
        c,
        &agent,
        "get",
        "/api/v1/todos?assignee_id=lan",
        None,
        ok,
    )
    .await;
    let meeting = json!({"id": "m1", "customer_id": "an", "at": at});
    call(
        app,
        c,
        &agent,
        "post",
        "/api/v1/meetings",
        json_body(meeting),
        created,
    )
    .await;
    call(
        app,
        c,
        &agent,
        "patch",
        "/api/v1/meetings/m1",
        json_body(json!({"held": true})),
        ok,
    )
    .await;
    call(app, c, &agent, "get", "/api/v1/meetings", None, ok).await;
    let sms = json!({"channel": "sms", "direction": "sent", "customer_id": "an", "delivered": true, "text": "Cảm ơn"});
    call(
        app,
        c,
        &agent,
        "post",
        "/api/v1/messages",
        json_body(sms),
        created,
    )
    .await;
    let email = json!({"channel": "email", "direction": "received", "customer_id": "an", "subject": "Hỏi giá"});
    call(
        app,
        c,
        &agent,
        "post",
        "/api/v1/messages",
        json_body(email),
        created,
    )
    .await;
    call(
        app,
        c,
        &agent,
        "get",
        "/api/v1/messages?customer_id=an",
        None,
        ok,
    )
    .await;

    // Refusals are described too, and archived goals still read.
    call(
        app,
        c,
        &agent,
        "delete",
        "/api/v1/goals/g",
        None,
        StatusCode::FORBIDDEN,
    )
    .await;
    call(app, c, &owner, "delete", "/api/v1/goals/g", None, ok).await;
    call(
        app,
        c,
        &owner,
        "get",
        "/api/v1/users/ghost",
        None,
        StatusCode::NOT_FOUND,
    )
    .await;
    call(
        app,
        c,
        &owner,
        "post",
        "/api/v1/users",
        json_body(json!({"name": "X", "role": "boss"})),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    call(app, c, &owner, "get", "/api/v1/openapi.json", None, ok).await;
    call(app, c, &agent, "get", "/api/v1/channels", None, ok).await;
    let channel = json_body(json!({"name": "TikTok", "position": 9}));
    call(
        app,
        c,
        &owner,
        "put",
        "/api/v1/channels/tiktok",
        channel,
        ok,
    )
    .await;
    let sales = "/api/v1/reports/channels?period=this_month&compare=year";
    call(app, c, &owner, "get", sales, None, ok).await;

    // Custom metrics: defined, read, asked for in a report, changed, removed.
    let long_calls = json!({"key": "long_calls", "name_vi": "Cuộc gọi dài", "name_en": "Long calls",
        "of": "events", "events": ["call"], "aggregate": "count",
        "filters": {"answered": true, "talk_seconds_at_least": 120}});
    let metrics = "/api/v1/metrics";
    call(
        app,
        c,
        &owner,
        "post",
        metrics,
        json_body(long_calls.clone()),
        created,
    )
    .await;
    call(
        app,
        c,
        &agent,
        "get",
        "/api/v1/metrics/long_calls",
        None,
        ok,
    )
    .await;
    let custom_report = "/api/v1/reports/users?metrics=calls,long_calls";
    call(app, c, &owner, "get", custom_report, None, ok).await;
    let mut longer = long_calls;
    longer["filters"]["talk_seconds_at_least"] = json!(300);
    call(
        app,
        c,
        &owner,
        "put",
        "/api/v1/metrics/long_calls",
        json_body(longer),
        ok,
    )
    .await;
    let no_content = StatusCode::NO_CONTENT;
    call(
        app,
        c,
        &owner,
        "delete",
        "/api/v1/metrics/long_calls",
        None,
        no_content,
    )
    .await;

    // Notifications, email, notice settings and webhooks.
    call(app, c, &agent, "get", "/api/v1/notifications", None, ok).await;
    let read = "/api/v1/notifications/read";
    call(app, c, &agent, "post", read, None, ok).await;
    let email = "/api/v1/notifications/email";
    let choice = json_body(json!({"kinds": ["milestone"], "digest": true, "lang": "en"}));
    call(app, c, &agent, "put", email, choice, ok).await;
    call(app, c, &agent, "get", email, None, ok).await;
    let settings = "/api/v1/notifications/settings";
    call(app, c, &agent, "get", settings, None, ok).await;
    let changed =
        json_body(json!({"milestones": [50, 100], "pace_check": "15:00", "digest_time": "08:00"}));
    call(app, c, &owner, "put", settings, changed, ok).await;
    let hook = json_body(json!({"url": "https://example.vn/hook", "kinds": ["leader"]}));
    let made = call(app, c, &owner, "post", "/api/v1/webhooks", hook, created).await;
    call(app, c, &owner, "get", "/api/v1/webhooks", None, ok).await;
    let one = format!("/api/v1/webhooks/{}", made["id"]);
    let pause = json_body(json!({"paused": true}));
    call(app, c, &owner, "patch", &one, pause, ok).await;
    call(app, c, &owner, "delete", &one, None, ok).await;

    let unchecked: Vec<_> = described.difference(&c.checked).collect();
    assert!(
        unchecked.is_empty(),
        "operations no answer checked: {unchecked:?}"
    );
}
