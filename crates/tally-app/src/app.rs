//! The application: the store, the organisation's calendar and currency, the
//! organisation in memory, and the server's stop signal. Every service is a method
//! of [`App`], in the module of its subject.

use crate::directory::Directory;
use crate::error::Result;
use crate::passwords::Passwords;
use crate::sessions::SignInFailures;
use crate::shutdown::Shutdown;
use crate::writer::Writer;
use std::sync::{Arc, RwLock};
use tally_core::Organization;
use tally_store::Store;

/// The application, cheap to clone (it is shared).
#[derive(Clone)]
pub struct App(Arc<Inner>);

struct Inner {
    store: Arc<Store>,
    org: Organization,
    directory: RwLock<Arc<Directory>>,
    /// One reload at a time: requests that find the directory old wait for it.
    reloading: tokio::sync::Mutex<()>,
    shutdown: Shutdown,
    passwords: Passwords,
    sign_in_failures: SignInFailures,
    writer: Writer,
}

/// What a request reads from: the organisation, and the data version its figures are
/// at least as new as.
#[derive(Clone)]
pub struct Now {
    pub directory: Arc<Directory>,
    pub data_version: i64,
}

impl App {
    pub fn new(store: Arc<Store>, org: Organization) -> App {
        App(Arc::new(Inner {
            store,
            org,
            directory: RwLock::new(Arc::new(Directory {
                version: -1,
                ..Directory::default()
            })),
            reloading: tokio::sync::Mutex::new(()),
            shutdown: Shutdown::default(),
            passwords: Passwords::default(),
            sign_in_failures: SignInFailures::default(),
            writer: Writer::default(),
        }))
    }

    /// Wrong passwords per email, in this instance's memory.
    pub(crate) fn sign_in_failures(&self) -> &SignInFailures {
        &self.0.sign_in_failures
    }

    /// Password hashing and checks, a few at a time.
    pub fn passwords(&self) -> &Passwords {
        &self.0.passwords
    }

    /// The group committer that events from integrations are written through.
    pub(crate) fn writer(&self) -> &Writer {
        &self.0.writer
    }

    pub fn store(&self) -> &Arc<Store> {
        &self.0.store
    }

    /// The organization's calendar and currency.
    pub fn org(&self) -> &Organization {
        &self.0.org
    }

    /// The server's stop signal.
    pub fn shutdown(&self) -> &Shutdown {
        &self.0.shutdown
    }

    /// The organisation and the data version now, in one query: the directory is
    /// reloaded only when its version moved (a change here or on another instance).
    pub async fn now(&self) -> Result<Now> {
        let versions = self.0.store.versions().await?;
        Ok(Now {
            directory: self.directory_at(versions.org).await?,
            data_version: versions.data,
        })
    }

    /// The directory at version `org` or newer.
    async fn directory_at(&self, org: i64) -> Result<Arc<Directory>> {
        if let Some(current) = self.current_directory(org) {
            return Ok(current);
        }
        let _one = self.0.reloading.lock().await;
        if let Some(current) = self.current_directory(org) {
            return Ok(current);
        }
        let snapshot = self.0.store.org_snapshot().await?;
        let fresh = Arc::new(Directory::of(snapshot, &self.0.org.currency));
        if let Ok(mut slot) = self.0.directory.write() {
            *slot = fresh.clone();
        }
        Ok(fresh)
    }

    fn current_directory(&self, org: i64) -> Option<Arc<Directory>> {
        let current = self.0.directory.read().ok()?.clone();
        (current.version >= org).then_some(current)
    }

    /// Today in the organization's time zone.
    pub fn today(&self) -> tally_core::Day {
        self.0.org.calendar.day_of(jiff::Timestamp::now())
    }
}
