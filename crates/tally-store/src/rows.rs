//! Many rows written by few statements, on both backends. On SQLite the rows are a
//! `values` list of parameters, in chunks under its limit of parameters. On
//! PostgreSQL each column is one array, bound as one text parameter and spread back
//! into rows by `unnest`: the statement's text is then the same whatever the number
//! of rows, so it is parsed once per connection and bound with one parameter a
//! column, where a `values` list of ten thousand parameters was parsed again for
//! each batch (its text changed with the number of rows) and bound value by value
//! (see `docs/benchmarks.md`).

use crate::sql::{rows_per_statement, value_rows};
use crate::{Backend, WriteTx};
use std::fmt::Write as _;

/// One value of a row.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Cell<'a> {
    Int(i64),
    Text(&'a str),
    /// A text column's null.
    Null,
}

impl<'a> Cell<'a> {
    /// The text, or null.
    pub(crate) fn text_or_null(value: Option<&'a str>) -> Self {
        value.map_or(Cell::Null, Cell::Text)
    }
}

/// An insert of rows: its columns, their PostgreSQL types, and what follows the rows.
pub(crate) struct Insert<'a> {
    /// `insert into table (a, b, …)`.
    pub head: &'a str,
    /// The PostgreSQL type of each column, in order: `bigint` or `text`.
    pub types: &'a [&'a str],
    /// What follows the rows: an `on conflict` clause, or nothing.
    pub tail: &'a str,
}

/// The head and tail of an [`Insert`] into `table` that adds the `summed` columns to
/// those of the row already stored under the same `keys` (or stores the row).
pub(crate) fn adding(table: &str, keys: &[&str], summed: &[&str]) -> (String, String) {
    let updates: Vec<String> = (summed.iter())
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect();
    let head = format!(
        "insert into {table} ({}, {})",
        keys.join(", "),
        summed.join(", ")
    );
    let tail = format!(
        "on conflict ({}) do update set {}",
        keys.join(", "),
        updates.join(", ")
    );
    (head, tail)
}

impl Insert<'_> {
    /// Writes `cells`, row after row (each row one cell a column).
    pub(crate) async fn run(
        &self,
        w: &mut WriteTx<'_>,
        cells: &[Cell<'_>],
    ) -> Result<(), sqlx::Error> {
        if cells.is_empty() {
            return Ok(());
        }
        debug_assert_eq!(cells.len() % self.types.len(), 0, "{}", self.head);
        match w.backend {
            Backend::Postgres => self.as_arrays(w, cells).await,
            Backend::Sqlite => self.as_values(w, cells).await,
        }
    }

    async fn as_values(&self, w: &mut WriteTx<'_>, cells: &[Cell<'_>]) -> Result<(), sqlx::Error> {
        let width = self.types.len();
        for chunk in cells.chunks(rows_per_statement(width) * width) {
            let sql = format!(
                "{} values {} {}",
                self.head,
                value_rows(w.backend, chunk.len() / width, width),
                self.tail
            );
            let mut query = crate::sql::batch_query(w.backend, &sql);
            for cell in chunk {
                query = match *cell {
                    Cell::Int(value) => query.bind(value),
                    Cell::Text(value) => query.bind(value.to_owned()),
                    Cell::Null => query.bind(None::<String>),
                };
            }
            query.execute(&mut *w.tx).await?;
        }
        Ok(())
    }

    async fn as_arrays(&self, w: &mut WriteTx<'_>, cells: &[Cell<'_>]) -> Result<(), sqlx::Error> {
        let casts: Vec<String> = (self.types.iter().enumerate())
            .map(|(i, t)| format!("cast(${} as {t}[])", i + 1))
            .collect();
        let names: Vec<String> = (1..=self.types.len()).map(|i| format!("c{i}")).collect();
        // Rows in the arrays' order (the event log's `seq` follows it).
        let sql = format!(
            "{} select {names} from unnest({}) with ordinality as r({names}, n) order by n {}",
            self.head,
            casts.join(", "),
            self.tail,
            names = names.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for array in array_literals(self.types.len(), cells) {
            query = query.bind(array);
        }
        query.execute(&mut *w.tx).await?;
        Ok(())
    }
}

/// Each column of the rows as a PostgreSQL array literal: `{1,2}`, `{"a","b\"c"}`.
fn array_literals(width: usize, cells: &[Cell<'_>]) -> Vec<String> {
    let mut arrays: Vec<String> = (0..width).map(|_| String::from("{")).collect();
    for (i, cell) in cells.iter().enumerate() {
        let array = &mut arrays[i % width];
        if i >= width {
            array.push(',');
        }
        match *cell {
            Cell::Int(value) => {
                let _ = write!(array, "{value}");
            }
            Cell::Text(value) => quote_into(array, value),
            Cell::Null => array.push_str("NULL"),
        }
    }
    for array in &mut arrays {
        array.push('}');
    }
    arrays
}

/// A text element of an array literal: in double quotes, with `"` and `\` escaped.
fn quote_into(array: &mut String, value: &str) {
    array.reserve(value.len() + 2);
    array.push('"');
    let mut rest = value;
    while let Some(at) = rest.find(['"', '\\']) {
        array.push_str(&rest[..at]);
        array.push('\\');
        array.push_str(&rest[at..=at]);
        rest = &rest[at + 1..];
    }
    array.push_str(rest);
    array.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_adding_insert_sums_into_the_stored_row() {
        let (head, tail) = adding("t", &["day", "user_key"], &["a", "b"]);
        assert_eq!(head, "insert into t (day, user_key, a, b)");
        assert_eq!(
            tail,
            "on conflict (day, user_key) do update set a = t.a + excluded.a, b = t.b + excluded.b"
        );
    }

    #[test]
    fn columns_become_array_literals_with_text_quoted() {
        let cells = [
            Cell::Int(1),
            Cell::Text("a"),
            Cell::Int(-2),
            Cell::Text(r#"{"k": "v\n"}, NULL"#),
            Cell::Int(3),
            Cell::Null,
        ];
        assert_eq!(
            array_literals(2, &cells),
            vec![
                "{1,-2,3}".to_owned(),
                r#"{"a","{\"k\": \"v\\n\"}, NULL",NULL}"#.to_owned()
            ]
        );
    }
}
