//! Tally's storage: the event log, entity state, rollups and distinct marks, plus the
//! people (users, teams, memberships) and API tokens.
//!
//! One [`Store`] serves both backends through sqlx's `Any` driver with runtime-bound
//! queries, so every code path runs on SQLite (the embedded default: one file, WAL)
//! and on PostgreSQL (many server instances) alike; the few dialect differences are
//! branches on [`Backend`]. Migrations live per backend at matching version numbers.
//! Why `Any` and not two implementations of a trait: see `docs/decisions.md`.

mod accounts;
mod ahead;
pub mod call_log;
mod calls;
pub mod crm;
mod custom;
mod email;
mod entity_ids;
mod error;
mod goals;
mod ingest;
mod listen;
mod marks;
mod notices;
mod organisation;
mod people;
mod readmodel;
mod rebuild;
mod reports;
mod rows;
mod sales;
mod screens;
mod snapshot;
mod sql;
#[cfg(feature = "testing")]
pub mod testing;
mod webhooks;

pub use accounts::TokenListing;
pub use ahead::{Planned, Written};
pub use call_log::{CallQuery, LoggedCall};
pub use calls::CallRow;
pub use crm::{CrmQuery, CrmRecord, CrmWrite};
pub use custom::{HISTORY_WINDOW, StoredMetric};
pub use email::{DueDigest, DueEmail, EmailChoice, MailOutcome};
pub use error::StoreError;
pub use goals::{GoalDefinition, GoalRecord, GoalResult, GoalRevision, Page, ResultSubjects};
pub use ingest::{IngestOutcome, MayCredit, Submission};
pub use notices::{ClosedResult, InboxItem, NoticeRecord};
pub use organisation::{OrgSnapshot, Versions};
pub use people::{MembershipRecord, NewUser, Team, TokenRecord, User};
pub use rebuild::RebuildReport;
pub use reports::Figures;
pub use sales::{Channel, SalesRow};
pub use screens::Screen;
pub use tally_core::batch::RejectedEvent;
pub use webhooks::{Delivery, DueDelivery, Webhook};

use sqlx::any::{AnyPoolOptions, install_default_drivers};
use sqlx::{AnyPool, Executor};
use std::time::Duration;
use tokio::sync::Mutex;

/// Which database a [`Store`] runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The database, opened and migrated.
pub struct Store {
    pool: AnyPool,
    /// The one connection writes take, so a writer never waits for readers to give a
    /// connection back (the write lock already makes writes one at a time).
    write_pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time: writers queue here instead of failing busy.
    write_lock: Mutex<()>,
    /// Every rollup and mark in memory, kept in step with the database's versions.
    model: tokio::sync::RwLock<readmodel::ReadModel>,
    /// Whether the read model has been loaded once (readiness: reports answer at once).
    model_loaded: std::sync::atomic::AtomicBool,
    /// Users' internal keys by id, as ingest finds them: a key never changes and users
    /// are never deleted, so a key once read is read from here.
    user_keys: std::sync::RwLock<std::collections::HashMap<String, i64>>,
    /// Where to listen for other instances' writes (PostgreSQL), once someone asks.
    listening: listen::Listening,
    /// Plans made ahead of the write lock, used or made again (see `ahead`).
    plan_counts: ahead::PlanCounts,
}

impl Store {
    /// Opens `sqlite://PATH` (created if missing) or `postgres://…`, and migrates it.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        install_default_drivers();
        let (backend, url) = backend_of(url)?;
        let (pool, write_pool) = match backend {
            Backend::Sqlite => (
                sqlite_pool(&url, 4, READING_CACHE_KIB).await?,
                sqlite_pool(&url, 1, WRITING_CACHE_KIB).await?,
            ),
            Backend::Postgres => (
                postgres_pool(&url, 16).await?,
                postgres_pool(&url, 1).await?,
            ),
        };
        let store = Store {
            pool,
            write_pool,
            backend,
            write_lock: Mutex::new(()),
            model: Default::default(),
            model_loaded: Default::default(),
            user_keys: Default::default(),
            listening: listen::Listening::new(backend, &url),
            plan_counts: Default::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// The backend this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator.run(&self.pool).await?;
        Ok(())
    }

    /// Begins a write transaction: serialized in-process on SQLite, and across
    /// instances by an advisory lock on PostgreSQL, so read-check-write is atomic.
    async fn begin_write(&self) -> Result<WriteTx<'_>, StoreError> {
        let guard = self.write_lock.lock().await;
        // IMMEDIATE: take SQLite's write lock now, so a batch that reads before it
        // writes is never refused because another writer committed in between.
        let mut tx = match self.backend {
            Backend::Sqlite => self.write_pool.begin_with("begin immediate").await?,
            Backend::Postgres => self.write_pool.begin().await?,
        };
        if self.backend == Backend::Postgres {
            tx.execute("select pg_advisory_xact_lock(7411061)").await?;
        }
        let (count,): (i64,) = sqlx::query_as("update write_count set n = n + 1 returning n")
            .fetch_one(&mut *tx)
            .await?;
        Ok(WriteTx {
            tx,
            backend: self.backend,
            count,
            _guard: guard,
        })
    }

    /// Whether the database answers a trivial query within `timeout`.
    pub async fn ping(&self, timeout: Duration) -> bool {
        let query = sqlx::query("select 1").execute(&self.pool);
        matches!(tokio::time::timeout(timeout, query).await, Ok(Ok(_)))
    }

    /// The connection pool now: connections open, and how many of them are idle.
    pub fn pool_state(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }

    /// Writes a consistent copy of a SQLite database to a new file at `path`, while
    /// it keeps serving (`vacuum into`: one read transaction, compacted). PostgreSQL
    /// is backed up with its own tools (`pg_dump`).
    pub async fn backup_sqlite(&self, path: &str) -> Result<(), StoreError> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Config(
                "only a SQLite database is copied by Tally itself; back up PostgreSQL with pg_dump"
                    .into(),
            ));
        }
        sqlx::query("vacuum into $1")
            .bind(path)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Closes every connection (for a clean shutdown).
    pub async fn close(&self) {
        self.write_pool.close().await;
        self.pool.close().await;
    }

    /// A stored fact about the data (for example the time zone of its rollups).
    pub async fn meta(&self, name: &str) -> Result<Option<String>, StoreError> {
        let row: Option<(String,)> = sqlx::query_as("select value from meta where name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.0))
    }

    /// Records a fact about the data.
    pub async fn set_meta(&self, name: &str, value: &str) -> Result<(), StoreError> {
        upsert_meta(&self.pool, name, value).await
    }
}

/// Moves the organisation's version, inside the transaction of a change to it (see
/// `migrations/*/0006_org_version.sql` and [`Store::versions`]).
pub(crate) async fn bump_org_version(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
) -> Result<(), StoreError> {
    sqlx::query("update org_version set version = version + 1")
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records a fact about the data, on the pool or inside a transaction.
pub(crate) async fn upsert_meta<'e>(
    executor: impl sqlx::Executor<'e, Database = sqlx::Any>,
    name: &str,
    value: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into meta (name, value) values ($1, $2) \
         on conflict (name) do update set value = excluded.value",
    )
    .bind(name)
    .bind(value)
    .execute(executor)
    .await?;
    Ok(())
}

/// A write transaction holding the in-process write lock.
struct WriteTx<'a> {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
    /// The write counter this transaction moved to (see `migrations/*/0022_write_count.sql`).
    count: i64,
    _guard: tokio::sync::MutexGuard<'a, ()>,
}

impl WriteTx<'_> {
    /// The transaction's connection, to read what a batch's plan needs.
    fn conn(&mut self) -> Conn<'_> {
        Conn {
            backend: self.backend,
            conn: &mut self.tx,
        }
    }
}

/// A connection and the backend it talks to: a write transaction's, or a reading
/// connection's when the writer plans a group ahead.
pub(crate) struct Conn<'c> {
    backend: Backend,
    conn: &'c mut sqlx::AnyConnection,
}

fn backend_of(url: &str) -> Result<(Backend, String), StoreError> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap_or(path);
        return Ok((Backend::Sqlite, format!("sqlite://{path}?mode=rwc")));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok((Backend::Postgres, url.to_owned()));
    }
    Err(StoreError::Config(format!(
        "database URL must start with sqlite:// or postgres:// (got '{}')",
        url.split(':').next().unwrap_or_default()
    )))
}

async fn postgres_pool(url: &str, connections: u32) -> Result<AnyPool, StoreError> {
    let pool = AnyPoolOptions::new()
        .max_connections(connections)
        .acquire_timeout(Duration::from_secs(30))
        .connect(url)
        .await?;
    Ok(pool)
}

/// SQLite's page cache of the writing connection: inserts into the event log's
/// indexes stay in memory within a batch.
const WRITING_CACHE_KIB: u32 = 16 * 1024;

/// SQLite's page cache of each reading connection. Reports come from the read model;
/// what the readers look up (tokens, the CRM, a batch of call records' phones) finds
/// its pages in the operating system's file cache, where a cache of 16 MiB per reader
/// filled with index pages the first time an import looked up 10,000 phones and kept
/// them (see `docs/benchmarks.md`).
const READING_CACHE_KIB: u32 = 2 * 1024;

async fn sqlite_pool(url: &str, connections: u32, cache_kib: u32) -> Result<AnyPool, StoreError> {
    let pool = AnyPoolOptions::new()
        .max_connections(connections)
        .after_connect(move |conn, _| {
            Box::pin(async move {
                // WAL lets reports read while a batch commits; synchronous=full makes
                // every acknowledged commit durable, even across a power loss.
                let pragmas = format!(
                    "pragma journal_mode = wal; pragma synchronous = full; \
                     pragma busy_timeout = 10000; pragma foreign_keys = on; \
                     pragma cache_size = -{cache_kib};"
                );
                conn.execute(pragmas.as_str()).await?;
                Ok(())
            })
        })
        .connect(url)
        .await?;
    Ok(pool)
}
