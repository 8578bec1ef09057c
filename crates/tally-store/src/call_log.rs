//! The call log: one row per `call` event (who, when, direction, answered, talk time,
//! the customer, the other side's number and the channel), so the pages list calls by
//! person, day, customer or number without reading the event log. The other side's number is kept
//! normalised (`tally_core::phone`), so a customer's calls are found in any notation.
//!
//! The log follows the event log rather than being written with each event: ingest
//! stays as fast as without it, and the log is brought up to date (from the sequence
//! number it has reached, kept in `meta`) in large chunks — before the call pages read
//! it, and every few seconds in the background. Writes are serialised by the write
//! lock, so events commit in sequence order and none is skipped.

use crate::rows::{Cell, Insert};
use crate::sql::in_numbered_json_array;
use crate::{Store, StoreError, WriteTx};
use serde_json::Value;
use sqlx::Row;
use tally_core::event::{Direction, EventKind};
use tally_core::phone::normalize;
use tally_core::{Event, Organization};

/// A call as the log lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedCall {
    pub event_id: String,
    pub user_id: String,
    pub customer_id: Option<String>,
    /// The other side's number, normalised; empty when the event gave none.
    pub phone: String,
    pub at_micros: i64,
    pub inbound: bool,
    pub answered: bool,
    pub talk_seconds: i64,
    /// The channel the call names (the line it came in on), as the event gave it.
    pub channel: Option<String>,
}

/// Which calls: every condition given must hold; newest first.
#[derive(Clone, Debug, Default)]
pub struct CallQuery {
    /// Only these people's calls (`None`: anyone's).
    pub users: Option<Vec<String>>,
    /// The customer's calls: named by the event, or from one of these numbers when the
    /// event names no customer.
    pub customer: Option<(String, Vec<String>)>,
    pub inbound: Option<bool>,
    pub answered: Option<bool>,
    /// Local days, inclusive (day numbers of `tally_core::Day`).
    pub from_day: Option<i32>,
    pub to_day: Option<i32>,
    pub limit: i64,
    pub offset: i64,
}

/// The log's row of an event, if it is a call.
fn row_of(event: &Event) -> Option<LoggedCall> {
    let EventKind::Call {
        direction,
        answered,
        talk_seconds,
        customer_id,
        phone,
        channel,
    } = &event.kind
    else {
        return None;
    };
    Some(LoggedCall {
        event_id: event.id.clone(),
        user_id: event.user_id.clone(),
        customer_id: customer_id.clone(),
        phone: phone.as_deref().and_then(normalize).unwrap_or_default(),
        at_micros: event.at.as_microsecond(),
        inbound: *direction == Direction::Inbound,
        answered: *answered,
        talk_seconds: i64::from(*talk_seconds),
        channel: channel.clone(),
    })
}

/// Writes the log's rows of calls.
async fn write(
    w: &mut WriteTx<'_>,
    calls: &[LoggedCall],
    org: &Organization,
) -> Result<(), StoreError> {
    const INSERT: Insert = Insert {
        head: "insert into call_log (event_id, user_id, customer_id, phone, at_micros, day, \
               direction, answered, talk_seconds, channel)",
        types: &[
            "text", "text", "text", "text", "bigint", "bigint", "text", "bigint", "bigint", "text",
        ],
        tail: "",
    };
    let mut cells = Vec::with_capacity(calls.len() * INSERT.types.len());
    for call in calls {
        let at = jiff::Timestamp::from_microsecond(call.at_micros).unwrap_or_default();
        cells.extend([
            Cell::Text(&call.event_id),
            Cell::Text(&call.user_id),
            Cell::text_or_null(call.customer_id.as_deref()),
            Cell::Text(&call.phone),
            Cell::Int(call.at_micros),
            Cell::Int(i64::from(org.calendar.day_of(at).number())),
            Cell::Text(if call.inbound { "inbound" } else { "outbound" }),
            Cell::Int(i64::from(call.answered)),
            Cell::Int(call.talk_seconds),
            Cell::text_or_null(call.channel.as_deref()),
        ]);
    }
    Ok(INSERT.run(w, &cells).await?)
}

impl Store {
    /// Brings the log up to date with the event log, a chunk of [`CHUNK`] events a
    /// transaction. How many calls it logged. Nothing is written (and the write lock is
    /// not taken) when the log is current.
    pub async fn catch_up_call_log(&self, org: &Organization) -> Result<usize, StoreError> {
        let mut logged = 0;
        while self.call_log_backlog().await? > 0 {
            logged += self.follow_call_log(org).await?;
        }
        Ok(logged)
    }

    /// How many events the log has yet to follow.
    pub async fn call_log_backlog(&self) -> Result<i64, StoreError> {
        let reached = self.call_log_reached().await?;
        let (latest,): (Option<i64>,) = sqlx::query_as("select max(seq) from events")
            .fetch_one(&self.pool)
            .await?;
        Ok(latest.unwrap_or(0).saturating_sub(reached).max(0))
    }

    /// Follows one chunk of [`CHUNK`] events, in its own transaction. How many calls it
    /// logged.
    pub async fn follow_call_log(&self, org: &Organization) -> Result<usize, StoreError> {
        let mut w = self.begin_write().await?;
        let logged = follow(&mut w, org).await?;
        w.tx.commit().await?;
        Ok(logged)
    }

    /// The sequence number of the last event the log has followed.
    async fn call_log_reached(&self) -> Result<i64, StoreError> {
        Ok(self
            .meta(REACHED)
            .await?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// A page of the call log, newest first, and how many calls match in all.
    pub async fn call_log(&self, query: &CallQuery) -> Result<(Vec<LoggedCall>, i64), StoreError> {
        let (filter, binds) = conditions(query, self.backend);
        let count_sql = format!("select cast(count(*) as bigint) from call_log where {filter}");
        let mut count = sqlx::query(&count_sql);
        for bind in &binds {
            count = bind.to(count);
        }
        let total: i64 = count.fetch_one(&self.pool).await?.try_get(0)?;
        let sql = format!(
            "select event_id, user_id, customer_id, phone, at_micros, direction, answered, \
             talk_seconds, channel from call_log where {filter} \
             order by at_micros desc, event_id \
             limit {} offset {}",
            query.limit.max(0),
            query.offset.max(0)
        );
        let mut rows = sqlx::query(&sql);
        for bind in &binds {
            rows = bind.to(rows);
        }
        let rows = rows.fetch_all(&self.pool).await?;
        let calls = rows
            .iter()
            .map(|row| -> Result<LoggedCall, StoreError> {
                Ok(LoggedCall {
                    event_id: row.try_get("event_id")?,
                    user_id: row.try_get("user_id")?,
                    customer_id: row.try_get("customer_id")?,
                    phone: row.try_get("phone")?,
                    at_micros: row.try_get("at_micros")?,
                    inbound: row.try_get::<String, _>("direction")? == "inbound",
                    answered: row.try_get::<i64, _>("answered")? != 0,
                    talk_seconds: row.try_get("talk_seconds")?,
                    channel: row.try_get("channel")?,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok((calls, total))
    }
}

/// Where the log has followed the event log to: the last event's sequence number.
const REACHED: &str = "call_log_reached";

/// How many events one step of following reads: it holds the write lock for some tens
/// of milliseconds.
pub const CHUNK: i64 = 5_000;

/// Follows the event log by one chunk, in the transaction `w`: logs the calls among the
/// events after the sequence number reached, and moves it on. How many calls it logged.
async fn follow(w: &mut WriteTx<'_>, org: &Organization) -> Result<usize, StoreError> {
    let reached: Option<(String,)> = sqlx::query_as("select value from meta where name = $1")
        .bind(REACHED)
        .fetch_optional(&mut *w.tx)
        .await?;
    let after: i64 = reached.and_then(|(v,)| v.parse().ok()).unwrap_or(0);
    let rows: Vec<(i64, Option<String>)> = sqlx::query_as(
        "select seq, case when type = 'call' then body end from events \
         where seq > $1 order by seq limit $2",
    )
    .bind(after)
    .bind(CHUNK)
    .fetch_all(&mut *w.tx)
    .await?;
    let Some((last, _)) = rows.last() else {
        return Ok(0);
    };
    let calls: Vec<LoggedCall> = rows
        .iter()
        .filter_map(|(_, body)| body.as_deref())
        .filter_map(|body| serde_json::from_str::<Value>(body).ok())
        .filter_map(|value| Event::parse(&value, &org.currency).ok())
        .filter_map(|event| row_of(&event))
        .collect();
    write(w, &calls, org).await?;
    crate::upsert_meta(&mut *w.tx, REACHED, &last.to_string()).await?;
    Ok(calls.len())
}

/// Empties the log, to be followed again from the first event (`tally rebuild`: the
/// time zone may have moved the days).
pub(crate) async fn restart(w: &mut WriteTx<'_>) -> Result<(), StoreError> {
    sqlx::query("delete from call_log")
        .execute(&mut *w.tx)
        .await?;
    crate::upsert_meta(&mut *w.tx, REACHED, "0").await
}

/// A value bound to a condition.
enum Bind {
    Text(String),
    Number(i64),
}

impl Bind {
    fn to<'q>(
        &self,
        query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        match self {
            Bind::Text(text) => query.bind(text.clone()),
            Bind::Number(n) => query.bind(*n),
        }
    }
}

/// The `where` clause of a query and its values, numbered `$1`, `$2`…
fn conditions(query: &CallQuery, backend: crate::Backend) -> (String, Vec<Bind>) {
    let mut conditions = vec!["1 = 1".to_owned()];
    let mut binds = Vec::new();
    let placeholder = |bind: Bind, binds: &mut Vec<Bind>| {
        binds.push(bind);
        format!("${}", binds.len())
    };
    if let Some(users) = &query.users {
        // One parameter, however many people.
        binds.push(Bind::Text(Value::from(users.clone()).to_string()));
        conditions.push(in_numbered_json_array(backend, "user_id", binds.len()));
    }
    if let Some((customer, phones)) = &query.customer {
        // Named by the call; or from one of their numbers, when the call names nobody
        // (a call naming another customer from a shared number is that customer's).
        let named = placeholder(Bind::Text(customer.clone()), &mut binds);
        let numbers: Vec<String> = phones
            .iter()
            .map(|phone| placeholder(Bind::Text(phone.clone()), &mut binds))
            .collect();
        conditions.push(match numbers.is_empty() {
            true => format!("customer_id = {named}"),
            false => format!(
                "(customer_id = {named} or (customer_id is null and phone <> '' and phone in ({})))",
                numbers.join(", ")
            ),
        });
    }
    if let Some(inbound) = query.inbound {
        let direction = if inbound { "inbound" } else { "outbound" };
        let p = placeholder(Bind::Text(direction.into()), &mut binds);
        conditions.push(format!("direction = {p}"));
    }
    if let Some(answered) = query.answered {
        let p = placeholder(Bind::Number(i64::from(answered)), &mut binds);
        conditions.push(format!("answered = {p}"));
    }
    if let Some(from) = query.from_day {
        let p = placeholder(Bind::Number(i64::from(from)), &mut binds);
        conditions.push(format!("day >= {p}"));
    }
    if let Some(to) = query.to_day {
        let p = placeholder(Bind::Number(i64::from(to)), &mut binds);
        conditions.push(format!("day <= {p}"));
    }
    (conditions.join(" and "), binds)
}
