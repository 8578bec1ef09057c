//! A customer's timeline as the page shows it: their calls and every CRM record on
//! them (notes, opportunities, to-dos, meetings, SMS and emails), newest first, each
//! with its label, time, person and details in the viewer's language.

use super::{local_time, money, segment};
use crate::AppState;
use crate::web::{Viewer, format};
use rust_decimal::Decimal;
use serde_json::Value;
use tally_app::call_log::LoggedCall;
use tally_app::crm::{CustomerFile, Record};
use tally_app::{Directory, Now};

/// An entry of a customer's timeline, ready to show.
pub struct TimelineLine {
    /// `note`, `opportunity`, `todo`, `meeting` or `message`.
    pub kind: &'static str,
    pub label: String,
    pub when: String,
    pub who: String,
    pub title: String,
    pub detail: String,
    /// A to-do not done yet: its path, to complete it.
    pub todo_href: String,
}

/// The calls and records of a customer, newest first.
pub fn timeline_lines(
    state: &AppState,
    viewer: &Viewer,
    now: &Now,
    file: &CustomerFile,
) -> Vec<TimelineLine> {
    let records = file.timeline.iter().map(|record| {
        let line = timeline_line(state, viewer, &now.directory, record);
        (record.happened_at(), line)
    });
    let calls = file.calls.iter().map(|call| {
        (
            call.at_micros,
            call_line(state, viewer, &now.directory, call),
        )
    });
    let mut lines: Vec<(i64, TimelineLine)> = records.chain(calls).collect();
    lines.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
    lines.into_iter().map(|(_, line)| line).collect()
}

/// A call on the timeline: `Inbound call · answered`, who took it, the talk time.
fn call_line(
    state: &AppState,
    viewer: &Viewer,
    directory: &Directory,
    call: &LoggedCall,
) -> TimelineLine {
    let t = viewer.t();
    let direction = if call.inbound { t.inbound } else { t.outbound };
    let answered = if call.answered {
        t.answered
    } else {
        t.not_answered
    };
    TimelineLine {
        kind: "call",
        label: format!("{direction} · {answered}"),
        when: local_time(state, call.at_micros, viewer.lang),
        who: directory.roster.user_name(&call.user_id).to_owned(),
        title: String::new(),
        detail: format!(
            "{} {}",
            t.talk_time,
            format::duration(Decimal::from(call.talk_seconds))
        ),
        todo_href: String::new(),
    }
}

fn timeline_line(
    state: &AppState,
    viewer: &Viewer,
    directory: &Directory,
    record: &Record,
) -> TimelineLine {
    let t = viewer.t();
    let person = |key: &str| directory.roster.user_name(record.text(key)).to_owned();
    let mut line = TimelineLine {
        kind: "note",
        label: String::new(),
        when: local_time(state, record.happened_at(), viewer.lang),
        who: String::new(),
        title: String::new(),
        detail: String::new(),
        todo_href: String::new(),
    };
    match record.kind.as_str() {
        "note" => {
            line.label = t.note.into();
            line.who = person("author_id");
            line.detail = record.text("text").into();
        }
        "opportunity" => {
            line.kind = "opportunity";
            line.label = t.opportunity.into();
            line.who = person("owner_id");
            line.title = record.text("title").into();
            line.detail = format!(
                "{} · {}",
                money(state, record.text("amount"), viewer),
                t.opportunity_status(record.text("status"))
            );
        }
        "todo" => {
            line.kind = "todo";
            line.label = t.todo.into();
            line.who = person("assignee_id");
            line.title = record.text("title").into();
            let done = record.fields.get("done").and_then(Value::as_bool) == Some(true);
            line.detail = todo_detail(record, done, viewer);
            if !done {
                line.todo_href = format!("/todos/{}/done", segment(&record.id));
            }
        }
        "meeting" => {
            line.kind = "meeting";
            line.label = t.meeting.into();
            line.who = person("owner_id");
            line.title = record.text("title").into();
            let held = record.fields.get("held").and_then(Value::as_bool) == Some(true);
            line.detail = if held { t.held } else { t.planned }.into();
        }
        _ => {
            line.kind = "message";
            line.label = message_label(record, viewer);
            line.who = person("author_id");
            line.title = record.text("subject").into();
            line.detail = record.text("text").into();
        }
    }
    line
}

/// `SMS · Sent, delivered`, `Email · Received`.
fn message_label(record: &Record, viewer: &Viewer) -> String {
    let t = viewer.t();
    let channel = match record.text("channel") {
        "email" => "Email",
        _ => "SMS",
    };
    let delivered = record.fields.get("delivered").and_then(Value::as_bool);
    let outcome = match (record.text("direction"), delivered) {
        ("received", _) => t.received,
        (_, Some(true)) => t.sent_delivered,
        _ => t.sent_failed,
    };
    format!("{channel} · {outcome}")
}

fn todo_detail(record: &Record, done: bool, viewer: &Viewer) -> String {
    let t = viewer.t();
    let status = if done { t.done } else { t.not_done };
    match record.text("due_on").parse::<tally_core::Day>() {
        Ok(day) => format!("{} {} · {status}", t.due_on, format::date(day, viewer.lang)),
        Err(_) => status.to_owned(),
    }
}
