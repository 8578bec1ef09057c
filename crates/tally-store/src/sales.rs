//! The organisation's sales channels (`channels`) and the figures of the sales by
//! channel (`sales_rollups`, kept by ingest in the rollups' transaction, see
//! `migrations/*/0011_channels.sql`).

use crate::ingest::{SALE_MEASURES, SalesSums, write_sales};
use crate::{Backend, Store, StoreError, WriteTx};
use futures::TryStreamExt;
use sqlx::Row;
use std::collections::HashMap;
use tally_core::state::{Customer, Opportunity, Sale, SaleMeasure};
use tally_core::{Day, DayRange};

/// One of the organisation's channels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    /// What events and records name: `zalo`, `walk_in`.
    pub id: String,
    /// What the pages show.
    pub name: String,
    /// Whether forms still offer it; events and records that name it are accepted
    /// either way, and its history stays in the reports.
    pub active: bool,
    /// Its place in lists, smallest first.
    pub position: i64,
    /// The phone lines (numbers called, or queues) whose inbound calls come from it.
    pub lines: Vec<String>,
}

/// One person's sales figures in one channel over a range, in the order of
/// [`SaleMeasure::ALL`] (revenue in minor units); `channel` is `""` for none.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SalesRow {
    pub channel: String,
    pub user_id: String,
    pub figures: [i64; SALE_MEASURES],
}

/// Marks in `meta` that `sales_rollups` holds what the entities stand for.
const FILLED: &str = "sales_rollups_filled";

impl Store {
    /// Every channel, in list order.
    pub async fn channels(&self) -> Result<Vec<Channel>, StoreError> {
        let rows =
            sqlx::query("select id, name, active, position from channels order by position, id")
                .fetch_all(&self.pool)
                .await?;
        let lines: Vec<(String, String)> =
            sqlx::query_as("select channel, line from channel_lines order by line")
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get(0)?;
                Ok(Channel {
                    name: row.try_get(1)?,
                    active: row.try_get::<i64, _>(2)? != 0,
                    position: row.try_get(3)?,
                    lines: lines
                        .iter()
                        .filter(|(channel, _)| *channel == id)
                        .map(|(_, line)| line.clone())
                        .collect(),
                    id,
                })
            })
            .collect()
    }

    /// Each phone line, with the channel it belongs to.
    pub async fn channel_lines(&self) -> Result<HashMap<String, String>, StoreError> {
        let rows: Vec<(String, String)> = sqlx::query_as("select line, channel from channel_lines")
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// Adds a channel or changes one (its name, whether forms offer it, its place, its
    /// lines). A channel is never deleted: events name it for good. A line another
    /// channel has is refused, naming the field `lines`.
    pub async fn save_channel(&self, channel: &Channel) -> Result<(), StoreError> {
        let mut w = self.begin_write().await?;
        sqlx::query(
            "insert into channels (id, name, active, position) values ($1, $2, $3, $4) \
             on conflict (id) do update set name = excluded.name, active = excluded.active, \
             position = excluded.position",
        )
        .bind(channel.id.clone())
        .bind(channel.name.clone())
        .bind(i64::from(channel.active))
        .bind(channel.position)
        .execute(&mut *w.tx)
        .await?;
        sqlx::query("delete from channel_lines where channel = $1")
            .bind(channel.id.clone())
            .execute(&mut *w.tx)
            .await?;
        for line in &channel.lines {
            let taken: Option<(String,)> =
                sqlx::query_as("select channel from channel_lines where line = $1")
                    .bind(line.clone())
                    .fetch_optional(&mut *w.tx)
                    .await?;
            if let Some((other,)) = taken {
                return Err(StoreError::invalid(
                    "lines",
                    format!("{line} is a line of the channel '{other}' already"),
                ));
            }
            sqlx::query("insert into channel_lines (line, channel) values ($1, $2)")
                .bind(line.clone())
                .bind(channel.id.clone())
                .execute(&mut *w.tx)
                .await?;
        }
        w.tx.commit().await?;
        Ok(())
    }

    /// Each person's figures in each channel over `range`, people with none left out,
    /// by channel and then person.
    ///
    /// The database sums the rows and hands them over as one JSON array of
    /// `[channel, user, [figures…]]`: a month of a thousand people in seven channels
    /// is some 7,000 rows, and taking each through the driver as a row of its own cost
    /// a third of the report's time in a profile (`docs/benchmarks.md`).
    pub async fn sales_figures(&self, range: DayRange) -> Result<Vec<SalesRow>, StoreError> {
        let keys = SaleMeasure::ALL.iter().map(|m| m.key());
        let sums: Vec<String> = keys
            .clone()
            .map(|key| format!("cast(sum(s.{key}) as bigint) as {key}"))
            .collect();
        let figures = keys.collect::<Vec<_>>().join(", ");
        let array = match self.backend {
            Backend::Sqlite => {
                format!("json_group_array(json_array(channel, user_id, json_array({figures})))")
            }
            Backend::Postgres => format!(
                "cast(coalesce(json_agg(json_build_array(channel, user_id, \
                 json_build_array({figures}))), '[]') as text)"
            ),
        };
        let sql = format!(
            "select {array} from (select s.channel as channel, u.id as user_id, {} \
             from sales_rollups s join users u on u.key = s.user_key \
             where s.day between $1 and $2 group by s.channel, u.id) as person_sums",
            sums.join(", ")
        );
        let (json,): (String,) = sqlx::query_as(&sql)
            .bind(i64::from(range.from.number()))
            .bind(i64::from(range.to.number()))
            .fetch_one(&self.pool)
            .await?;
        let mut rows: Vec<(String, String, [i64; SALE_MEASURES])> = serde_json::from_str(&json)
            .map_err(|e| StoreError::Corrupt(format!("the sales by channel: {e}")))?;
        rows.sort_unstable();
        let with_figures = rows
            .into_iter()
            .filter(|(_, _, f)| f.iter().any(|f| *f != 0));
        Ok(with_figures
            .map(|(channel, user_id, figures)| SalesRow {
                channel,
                user_id,
                figures,
            })
            .collect())
    }

    /// Once per database: fills the sales by channel from what every customer and
    /// opportunity stands for now (a database from before channels has events whose
    /// entities ingest never counted by channel). How many rows it wrote.
    pub async fn fill_sales_once(&self) -> Result<usize, StoreError> {
        if self.meta(FILLED).await?.is_some() {
            return Ok(0);
        }
        let mut w = self.begin_write().await?;
        // Another instance may have filled it while this one waited for the lock.
        let filled: Option<(String,)> = sqlx::query_as("select value from meta where name = $1")
            .bind(FILLED)
            .fetch_optional(&mut *w.tx)
            .await?;
        let written = match filled {
            Some(_) => 0,
            None => fill_sales(&mut w).await?,
        };
        crate::upsert_meta(&mut *w.tx, FILLED, "1").await?;
        w.tx.commit().await?;
        Ok(written)
    }
}

/// Replaces the sales by channel with what the entities stand for.
async fn fill_sales(w: &mut WriteTx<'_>) -> Result<usize, StoreError> {
    let mut sales: Vec<Sale> = Vec::new();
    {
        let mut rows = sqlx::query(
            "select kind, state from entities where kind in ('customer', 'opportunity')",
        )
        .fetch(&mut *w.tx);
        while let Some(row) = rows.try_next().await? {
            let (kind, state): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            let corrupt = |e: serde_json::Error| StoreError::Corrupt(format!("{kind}: {e}"));
            match kind.as_str() {
                "customer" => sales.extend(
                    serde_json::from_str::<Customer>(&state)
                        .map_err(corrupt)?
                        .sales(),
                ),
                _ => sales.extend(
                    serde_json::from_str::<Opportunity>(&state)
                        .map_err(corrupt)?
                        .sales(),
                ),
            }
        }
    }
    let keys: Vec<(String, i64)> = sqlx::query_as("select id, key from users")
        .fetch_all(&mut *w.tx)
        .await?;
    let user_keys: HashMap<String, i64> = keys.into_iter().collect();
    sqlx::query("delete from sales_rollups")
        .execute(&mut *w.tx)
        .await?;
    let sums = sums_of(sales.into_iter().map(|(c, u, d, m, a)| ((d, c, u), m, a)));
    write_sales(w, &sums, &user_keys).await?;
    Ok(sums.len())
}

/// Sales figures summed by (day, channel, user).
pub(crate) fn sums_of(
    figures: impl IntoIterator<Item = ((Day, String, String), SaleMeasure, i64)>,
) -> SalesSums {
    let mut sums = SalesSums::new();
    for (key, measure, amount) in figures {
        sums.entry(key).or_insert([0; SALE_MEASURES])[measure.index()] += amount;
    }
    sums
}
