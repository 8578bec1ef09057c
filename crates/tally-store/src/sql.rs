//! Small helpers for building runtime-bound SQL that both backends accept.

use crate::Backend;
use sqlx::Any;
use sqlx::any::AnyArguments;
use sqlx::query::{Query, QueryAs};
use tally_core::Metric;

/// The metrics kept as columns of `rollups`: every metric but the distinct ones.
pub(crate) fn summed_metrics() -> impl Iterator<Item = Metric> {
    Metric::ALL.into_iter().filter(|m| !m.is_distinct())
}

/// The number of summed metrics (rollup columns).
pub(crate) const SUMMED: usize = 16;

/// `$start, $start+1, …` for `count` parameters on PostgreSQL; `?, ?, …` on SQLite,
/// where sqlx looks each numbered parameter up by name, which is quadratic in the
/// number of parameters of a statement (80 % of ingest time in a profile). So the
/// parameters of a statement must appear in its SQL in the order they are bound.
pub(crate) fn params(backend: Backend, start: usize, count: usize) -> String {
    let placeholder = |i: usize| match backend {
        Backend::Sqlite => "?".to_owned(),
        Backend::Postgres => format!("${i}"),
    };
    (start..start + count)
        .map(placeholder)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `($1, $2, $3), ($4, $5, $6), …` for `rows` rows of `width` parameters.
pub(crate) fn value_rows(backend: Backend, rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", params(backend, 1 + r * width, width)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `column` is one of the strings of a JSON array bound as the `n`th parameter: one
/// parameter however many ids, where an `IN` list of hundreds of parameters cost
/// PostgreSQL seconds a statement through sqlx (see `docs/benchmarks.md`).
pub(crate) fn in_json_array(backend: Backend, column: &str, n: usize) -> String {
    match backend {
        Backend::Sqlite => format!("{column} in (select value from json_each(?))"),
        Backend::Postgres => {
            format!("{column} = any(array(select jsonb_array_elements_text(cast(${n} as jsonb))))")
        }
    }
}

/// [`in_json_array`] in a statement whose parameters are all numbered `$n`, SQLite's
/// included: there a `?` after `$n` parameters does not take the number that follows
/// them, so the array is named by its number on both backends.
pub(crate) fn in_numbered_json_array(backend: Backend, column: &str, n: usize) -> String {
    match backend {
        Backend::Sqlite => format!("{column} in (select value from json_each(${n}))"),
        Backend::Postgres => in_json_array(backend, column, n),
    }
}

/// How many rows of `width` parameters fit one statement on both backends
/// (SQLite allows 32,766 parameters, PostgreSQL 65,535).
pub(crate) fn rows_per_statement(width: usize) -> usize {
    (30_000 / width).max(1)
}

/// A statement whose text was built for one batch's row count ([`value_rows`], or
/// [`params`] over a batch's keys). sqlx keeps up to 100 prepared statements per
/// connection, by text. On SQLite a kept statement lives in the server's memory, and
/// with row counts that vary from batch to batch the writing connection's cache
/// filled with statements of thousands of parameters, most used once: SQLite held
/// 41–44 MB in the middle of a batched ingest, against 18–19 MB with these statements
/// prepared for one use (see `docs/benchmarks.md`). On PostgreSQL a kept statement
/// lives in the database's process and preparing one again costs a round trip:
/// prepared for one use (but for whole chunks of 256 rows), single-event requests
/// fell from 3,252 to 2,347 a second and the call upload from 23,185 to 13,192
/// records a second, so there they are kept. Ingest's inserts and look-ups no longer
/// take this path on PostgreSQL: their text is the same for every batch
/// ([`crate::rows`], `select_in`).
pub(crate) fn batch_query(backend: Backend, sql: &str) -> Query<'_, Any, AnyArguments<'_>> {
    sqlx::query(sql).persistent(backend == Backend::Postgres)
}

/// [`batch_query`] for a statement whose rows are read as `O`.
pub(crate) fn batch_query_as<O>(
    backend: Backend,
    sql: &str,
) -> QueryAs<'_, Any, O, AnyArguments<'_>>
where
    O: for<'r> sqlx::FromRow<'r, sqlx::any::AnyRow>,
{
    sqlx::query_as(sql).persistent(backend == Backend::Postgres)
}

/// The current time in seconds since the epoch, for `created_at` columns.
pub(crate) fn now_seconds() -> i64 {
    jiff::Timestamp::now().as_second()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_rows_number_parameters_across_rows() {
        assert_eq!(value_rows(Backend::Postgres, 2, 2), "($1, $2), ($3, $4)");
        assert_eq!(params(Backend::Postgres, 3, 2), "$3, $4");
        assert_eq!(value_rows(Backend::Sqlite, 2, 2), "(?, ?), (?, ?)");
        assert_eq!(summed_metrics().count(), SUMMED);
    }
}
